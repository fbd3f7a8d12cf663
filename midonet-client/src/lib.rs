//! A typed async client for the MidoNet REST API (v5 semantics), over the `topology` model:
//! the same calls drive our api-gateway or a real MidoNet.
//!
//! # How it finds things
//!
//! [`MidonetClient::connect`] reads the root resource (`Application-v5`) once. Every other URI
//! comes from there: collection URIs (`routers`, `bridges`, ...), `{id}` templates
//! (`routerTemplate`, ...), and the link fields of objects (`ports`, `routes`, `rules`, `link`,
//! `dhcpSubnets`, `hosts`, `addrs`, `interfaces`, ...). Members of a collection are
//! `<collection link>/<key>`, as MidoNet lays them out (a DHCP subnet `10.0.0.0_24`, a DHCP host
//! by MAC, a tunnel zone member by host id). Links of an object never change, so the client
//! remembers them from every object it reads; a sub-resource call costs one extra GET of the
//! parent only the first time.
//!
//! # Calls
//!
//! - Objects with ids: `routers()`, `routers_of_tenant(t)`, `router(id)`, `create_router(&r)`,
//!   `update_router(&r)`, `delete_router(id)`, and the same for bridges, chains, port groups,
//!   tunnel zones, IP address groups; `ports`/`port`/`update_port`/`delete_port`; hosts;
//!   `rule`/`route`/`bgp_peer`/`bgp_network` by id. The generic forms are
//!   [`MidonetClient::object`], [`MidonetClient::objects`], [`MidonetClient::create_object`], ...
//!   over any [`Kind`].
//! - Sub-resources: device ports, peer ports, [`MidonetClient::link_ports`] and
//!   [`MidonetClient::unlink_port`], routes, BGP peers and networks, ordered chain rules
//!   ([`MidonetClient::create_rule`] documents MidoNet's position semantics: the default
//!   position 1 inserts at the top), IP address group addresses, port group members, tunnel
//!   zone members, host interfaces and port bindings, DHCP subnets ([`SubnetKey`]) and hosts,
//!   MAC and ARP table entries, system state, tenants.
//! - Our gateway's extension [`MidonetClient::register_host`], when the root advertises
//!   `adminHosts`; its history, when the root advertises `history`:
//!   [`MidonetClient::object_history`], [`MidonetClient::gni_applies`],
//!   [`MidonetClient::report_gni_apply`].
//! - [`login`] for a MidoNet that checks credentials: the token goes into the
//!   `reqwest::Client` given to [`MidonetClient::connect_with`] as [`AUTH_TOKEN_HEADER`].
//! - The REST core, for anything else: [`MidonetClient::get`], [`MidonetClient::list`],
//!   [`MidonetClient::create`], [`MidonetClient::update`], [`MidonetClient::delete`].
//!
//! Creates POST with the resource's vendor media type ([`media`]) and then GET the answer's
//! `Location`, so what they return is what the server stored (defaults and generated fields
//! filled in). Updates PUT and return nothing; read the object again to see it.
//!
//! # Errors
//!
//! [`ClientError`]: a refusal carries the status, MidoNet's message and violations, the method
//! and the URL (`409 Conflict on POST http://…/ports/…/link: Ports are not linkable: …`);
//! decide with [`ClientError::is_not_found`], [`ClientError::is_conflict`],
//! [`ClientError::is_unavailable`].
//!
//! # Batches and change feeds
//!
//! Optional endpoints are discovered, never assumed: [`MidonetClient::supports`] tells whether
//! the root advertises a key ([`BATCH`], [`CHANGES`]). Our gateway offers both (`POST /batch`,
//! `GET /changes?since=N`, see its docs/api.md); MidoNet does not. A caller that batches uses
//! the batch endpoint only where `supports(BATCH)` is true and sends the plain calls, which are
//! always correct, elsewhere.
//!
//! # Concurrency
//!
//! [`MidonetClient`] is `Clone`; clones share one connection pool and one link cache, so
//! independent requests can run in parallel from clones.

mod batch;
mod changes;
mod devices;
mod dhcp;
mod error;
mod history;
mod kind;
mod login;
pub use topology::media;
mod members;
mod rest;
mod root;
mod simulation;
mod system;
mod tables;

pub use batch::{BatchError, BatchOutcome, Op, OpResult, Operation};
pub use changes::{Change, Changes};
pub use dhcp::{BadSubnetKey, SubnetKey};
pub use error::ClientError;
pub use history::{utc, HISTORY};
pub use kind::Kind;
pub use login::{login, AUTH_TOKEN_HEADER};
pub use media::Media;
pub use rest::MidonetClient;
pub use root::{Root, ADMIN_HOSTS, BATCH, CHANGES};

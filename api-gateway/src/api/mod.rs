//! The MidoNet REST API under `/midonet-api`: the route table, and the generic handlers that
//! serve every plain resource (list, show, create, update, delete), each one store call.
//! Writes are functions over a transaction listed in [`writes`], shared by the HTTP routes
//! and the batch endpoint.

pub mod batch;
mod bridges;
mod chains;
pub mod changes;
mod dhcp;
mod groups;
pub mod history;
mod hosts;
mod ports;
pub mod root;
mod routers;
pub mod simulation;
mod system;
mod tables;
mod tunnel_zones;
pub mod writes;

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use topology::integrity::{self, Objects};
use topology::{Class, Resource};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::http::{reply, Accept, Base};
use crate::render::{object_uri, Rendered};
use crate::store::{Store, Tx};
pub use root::VERSION;
use writes::{Call, Write, Written};

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
}

/// A plain top-level resource served by the generic handlers.
pub trait ApiResource: Resource {
    /// Media type names this resource answers to (first = canonical).
    const MEDIA: &'static [&'static str];
    /// Whether `?tenant_id=` filters its list.
    const TENANTED: bool = false;
}

macro_rules! api_resource {
    ($t:ty, [$($m:literal),+], $tenanted:expr) => {
        impl ApiResource for $t {
            const MEDIA: &'static [&'static str] = &[$($m),+];
            const TENANTED: bool = $tenanted;
        }
    };
}

api_resource!(topology::Router, ["Router"], true);
api_resource!(topology::Bridge, ["Bridge"], true);
api_resource!(topology::Port, ["Port"], false);
api_resource!(topology::Chain, ["Chain"], true);
api_resource!(topology::Rule, ["Rule"], false);
api_resource!(topology::Route, ["Route"], false);
api_resource!(topology::IpAddrGroup, ["IpAddrGroup"], false);
api_resource!(topology::PortGroup, ["PortGroup"], true);
api_resource!(topology::Host, ["Host"], false);
api_resource!(topology::TunnelZone, ["TunnelZone"], false);
api_resource!(topology::BgpPeer, ["BgpPeer"], false);
api_resource!(topology::BgpNetwork, ["BgpNetwork"], false);

/// Path parameters, with MidoNet-shaped errors for malformed ids.
pub struct P<T>(pub T);

impl<T, S> FromRequestParts<S> for P<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(t)| P(t))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no such resource: {}", e.body_text()),
                )
            })
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    tenant_id: Option<String>,
}

/// Query strings, with MidoNet-shaped errors.
pub struct Q<T>(pub T);

impl<T, S> FromRequestParts<S> for Q<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Q(t))
            .map_err(|e| ApiError::bad_request(format!("bad query string: {}", e.body_text())))
    }
}

pub fn tenant_matches(v: &Value, tenant: Option<&str>) -> bool {
    tenant.is_none_or(|t| v.get("tenantId").and_then(Value::as_str) == Some(t))
}

/// Answers a list of rendered values.
pub fn list_reply(accept: &Accept, names: &[&str], items: Vec<Value>) -> ApiResult<Response> {
    let media = accept.negotiate(names, true)?;
    Ok(reply(media, &Value::Array(items)))
}

pub fn one_reply(accept: &Accept, names: &[&str], item: Value) -> ApiResult<Response> {
    let media = accept.negotiate(names, false)?;
    Ok(reply(media, &item))
}

/// The rendered objects of `class` whose `field` names `parent`.
pub fn children(store: &Store, base: &Base, class: Class, field: &str, parent: Uuid) -> Vec<Value> {
    let parent = Value::String(parent.to_string());
    store
        .list(class)
        .iter()
        .filter(|v| v.get(field) == Some(&parent))
        .map(|v| crate::render::render(base, class, v))
        .collect()
}

/// The stored object or 404.
pub fn fetch(store: &Store, class: Class, id: Uuid) -> ApiResult<Arc<Value>> {
    store
        .get(class, id)
        .ok_or_else(|| ApiError::not_found(class, id))
}

/// Inside a transaction: the stored object or 404.
pub fn fetch_tx(tx: &mut Tx<'_>, class: Class, id: Uuid) -> ApiResult<Value> {
    read_tx(tx, class, id).map(|v| v.as_ref().clone())
}

/// `fetch_tx` for reading only: the stored value, not a copy to change (a chain or a host can
/// list thousands of ids).
pub fn read_tx(tx: &mut Tx<'_>, class: Class, id: Uuid) -> ApiResult<Arc<Value>> {
    tx.get(class, id)
        .ok_or_else(|| ApiError::not_found(class, id))
}

async fn list<R: ApiResource>(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    Q(q): Q<ListQuery>,
) -> ApiResult<Response> {
    let tenant = if R::TENANTED {
        q.tenant_id.as_deref()
    } else {
        None
    };
    let stored = s.store.list(R::CLASS);
    let items: Vec<Rendered<'_>> = stored
        .iter()
        .filter(|v| tenant_matches(v, tenant))
        .map(|v| Rendered {
            base: &base,
            class: R::CLASS,
            stored: v,
        })
        .collect();
    let media = accept.negotiate(R::MEDIA, true)?;
    Ok(reply(media, &items))
}

async fn show<R: ApiResource>(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let v = fetch(&s.store, R::CLASS, id)?;
    let media = accept.negotiate(R::MEDIA, false)?;
    Ok(reply(
        media,
        &Rendered {
            base: &base,
            class: R::CLASS,
            stored: &v,
        },
    ))
}

/// Validates a new object, fills what its URL decides, stores it with its back-references,
/// runs `then` in the same transaction, and answers with its `Location`.
pub fn insert<R: ApiResource>(
    tx: &mut Tx<'_>,
    base: &Base,
    obj: R,
    fill: impl Fn(&mut Value),
    then: impl Fn(&mut Tx<'_>, &Value) -> ApiResult<()>,
) -> ApiResult<Written> {
    obj.validate()?;
    let id = obj.id();
    let mut value = serde_json::to_value(&obj).map_err(|e| ApiError::bad_request(e.to_string()))?;
    integrity::strip_client_fields(R::CLASS, &mut value);
    fill(&mut value);
    integrity::create(tx, R::CLASS, value.clone())?;
    then(tx, &value)?;
    Ok(Written::Created(object_uri(
        base,
        R::CLASS,
        &id.to_string(),
    )))
}

fn create<R: ApiResource>(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let obj: R = c.body()?.parse(R::MEDIA)?;
    insert(tx, c.base, obj, |_| {}, |_, _| Ok(()))
}

/// Replaces the client-writable fields of a stored object; back-references follow.
fn update<R: ApiResource>(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let obj: R = c.body()?.parse(R::MEDIA)?;
    obj.validate()?;
    let incoming = serde_json::to_value(&obj).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let stored = fetch_tx(tx, R::CLASS, id)?;
    let merged = integrity::merge_client_update(R::CLASS, &stored, incoming);
    integrity::update(tx, R::CLASS, merged)?;
    Ok(Written::Done)
}

/// Deletes an object; the integrity table cascades, clears or refuses.
pub fn remove<R: Resource>(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    integrity::delete(tx, R::CLASS, c.id("id")?)?;
    Ok(Written::Done)
}

/// The plain writes of top-level resources.
fn plain_writes() -> Vec<Write> {
    use topology as t;
    use writes::{delete, post, put};
    vec![
        post("/routers", create::<t::Router>),
        put("/routers/{id}", update::<t::Router>),
        delete("/routers/{id}", remove::<t::Router>),
        post("/bridges", create::<t::Bridge>),
        put("/bridges/{id}", update::<t::Bridge>),
        delete("/bridges/{id}", remove::<t::Bridge>),
        put("/ports/{id}", update::<t::Port>),
        delete("/ports/{id}", remove::<t::Port>),
        post("/chains", create::<t::Chain>),
        delete("/chains/{id}", remove::<t::Chain>),
        delete("/routes/{id}", remove::<t::Route>),
        post("/ip_addr_groups", create::<t::IpAddrGroup>),
        delete("/ip_addr_groups/{id}", remove::<t::IpAddrGroup>),
        post("/port_groups", create::<t::PortGroup>),
        put("/port_groups/{id}", update::<t::PortGroup>),
        delete("/port_groups/{id}", remove::<t::PortGroup>),
        delete("/hosts/{id}", remove::<t::Host>),
        post("/tunnel_zones", create::<t::TunnelZone>),
        put("/tunnel_zones/{id}", update::<t::TunnelZone>),
        delete("/tunnel_zones/{id}", remove::<t::TunnelZone>),
        put("/bgp_peers/{id}", update::<t::BgpPeer>),
        delete("/bgp_peers/{id}", remove::<t::BgpPeer>),
        delete("/bgp_networks/{id}", remove::<t::BgpNetwork>),
    ]
}

/// Every module's writes; [`writes`] serves them over HTTP and in batches.
pub(crate) const WRITE_TABLES: &[fn() -> Vec<Write>] = &[
    plain_writes,
    routers::writes,
    bridges::writes,
    ports::writes,
    chains::writes,
    groups::writes,
    hosts::writes,
    tunnel_zones::writes,
    dhcp::writes,
    tables::writes,
    system::writes,
];

pub async fn immutable() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this resource cannot be updated: delete it and create a new one",
    )
}

pub(crate) async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed on this resource",
    )
}

async fn no_route() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such resource")
}

type R = axum::Router<AppState>;

/// Every route under the API root.
pub fn routes() -> R {
    use topology as t;
    R::new()
        .route("/", get(root::application))
        .route("/routers", get(list::<t::Router>))
        .route("/routers/{id}", get(show::<t::Router>))
        .route("/bridges", get(list::<t::Bridge>))
        .route("/bridges/{id}", get(show::<t::Bridge>))
        .route("/ports", get(list::<t::Port>))
        .route("/ports/{id}", get(show::<t::Port>))
        .route("/chains", get(list::<t::Chain>))
        .route("/chains/{id}", get(show::<t::Chain>).put(immutable))
        .route("/routes/{id}", get(show::<t::Route>).put(immutable))
        .route("/ip_addr_groups", get(list::<t::IpAddrGroup>))
        .route(
            "/ip_addr_groups/{id}",
            get(show::<t::IpAddrGroup>).put(immutable),
        )
        .route("/port_groups", get(list::<t::PortGroup>))
        .route("/port_groups/{id}", get(show::<t::PortGroup>))
        .route("/hosts", get(list::<t::Host>))
        .route("/hosts/{id}", get(show::<t::Host>))
        .route("/tunnel_zones", get(list::<t::TunnelZone>))
        .route("/tunnel_zones/{id}", get(show::<t::TunnelZone>))
        .route("/bgp_peers/{id}", get(show::<t::BgpPeer>))
        .route(
            "/bgp_networks/{id}",
            get(show::<t::BgpNetwork>).put(immutable),
        )
        .merge(writes::routes())
        .merge(batch::routes())
        .merge(changes::routes())
        .merge(routers::routes())
        .merge(bridges::routes())
        .merge(ports::routes())
        .merge(chains::routes())
        .merge(groups::routes())
        .merge(hosts::routes())
        .merge(tunnel_zones::routes())
        .merge(dhcp::routes())
        .merge(tables::routes())
        .merge(system::routes())
        .merge(simulation::routes())
        .merge(history::routes())
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(no_route)
}

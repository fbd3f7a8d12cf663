//! Router sub-resources: its ports, the ports linked to them, and its routes.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::{BgpNetwork, BgpPeer, Class, Port, PortType, Route};
use uuid::Uuid;

use super::writes::{post, Call, Write, Written};
use super::{children, fetch, fetch_tx, insert, list_reply, read_tx, ApiResource, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::render::render;
use crate::store::{Store, Tx};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/routers/{id}/ports", get(router_ports_list))
        .route("/routers/{id}/peer_ports", get(router_peer_ports_list))
        .route("/routers/{id}/routes", get(router_children_list::<Route>))
        .route(
            "/routers/{id}/bgp_peers",
            get(router_children_list::<BgpPeer>),
        )
        .route(
            "/routers/{id}/bgp_networks",
            get(router_children_list::<BgpNetwork>),
        )
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/routers/{id}/ports", router_port_create),
        post("/routers/{id}/routes", router_route_create),
        post("/routers/{id}/bgp_peers", router_child_create::<BgpPeer>),
        post(
            "/routers/{id}/bgp_networks",
            router_child_create::<BgpNetwork>,
        ),
    ]
}

/// Ports of a device, rendered.
pub fn device_ports(store: &Store, base: &Base, device: Uuid) -> Vec<Value> {
    children(store, base, Class::Port, "deviceId", device)
}

/// The peers of a device's linked ports, rendered.
pub fn device_peer_ports(store: &Store, base: &Base, device: Uuid) -> Vec<Value> {
    let device = json!(device.to_string());
    store
        .list(Class::Port)
        .iter()
        .filter(|p| p.get("deviceId") == Some(&device))
        .filter_map(|p| p.get("peerId").and_then(Value::as_str)?.parse().ok())
        .filter_map(|peer| store.get(Class::Port, peer))
        .map(|p| render(base, Class::Port, &p))
        .collect()
}

/// Creates a port of `port_type` on the device `{id}`, which must exist and be of that kind.
pub fn create_device_port(
    tx: &mut Tx<'_>,
    c: &Call<'_>,
    port_type: PortType,
) -> ApiResult<Written> {
    let device = c.id("id")?;
    read_tx(tx, port_type.device_class(), device)?;
    let body = c.body()?;
    let kind = match port_type {
        PortType::Bridge => "Bridge",
        PortType::Router => "Router",
    };
    let mut port: Port = body.parse_with(Port::MEDIA, |v| v["type"] = json!(kind))?;
    if port_type == PortType::Router && port.port_mac.is_none() {
        port.port_mac = Some(Port::generated_mac(port.id));
    }
    if port_type == PortType::Bridge {
        // MidoNet v5 reports untagged bridge ports as VLAN 0.
        port.vlan_id.get_or_insert(0);
        port.port_address = None;
        port.network_address = None;
        port.network_length = None;
        port.port_mac = None;
    }
    insert(
        tx,
        c.base,
        port,
        |v| v["deviceId"] = json!(device.to_string()),
        |_, _| Ok(()),
    )
}

async fn router_ports_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Router, id)?;
    list_reply(&accept, Port::MEDIA, device_ports(&s.store, &base, id))
}

fn router_port_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    create_device_port(tx, c, PortType::Router)
}

async fn router_peer_ports_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Router, id)?;
    list_reply(&accept, Port::MEDIA, device_peer_ports(&s.store, &base, id))
}

/// Objects of `R` that belong to a router (routes, BGP peers, BGP networks).
async fn router_children_list<R: ApiResource>(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Router, id)?;
    list_reply(
        &accept,
        R::MEDIA,
        children(&s.store, &base, R::CLASS, "routerId", id),
    )
}

/// Creates an object of `R` on a router (BGP peers, BGP networks).
fn router_child_create<R: ApiResource>(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    read_tx(tx, Class::Router, id)?;
    let obj: R = c.body()?.parse(R::MEDIA)?;
    insert(
        tx,
        c.base,
        obj,
        |v| v["routerId"] = json!(id.to_string()),
        |_, _| Ok(()),
    )
}

fn router_route_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    read_tx(tx, Class::Router, id)?;
    let route: Route = c.body()?.parse(Route::MEDIA)?;
    let next_hop = route.next_hop_port;
    insert(
        tx,
        c.base,
        route,
        |v| v["routerId"] = json!(id.to_string()),
        |tx, _| {
            // A route may only leave through a port of its own router.
            if let Some(port) = next_hop {
                let p = fetch_tx(tx, Class::Port, port)?;
                if p.get("deviceId").and_then(Value::as_str) != Some(id.to_string().as_str()) {
                    return Err(ApiError::violation(
                        "nextHopPort",
                        format!("port {port} is not a port of router {id}"),
                    ));
                }
            }
            Ok(())
        },
    )
}

//! Port links (interior ports) and a port's group memberships.

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity;
use topology::{Class, PortLink};
use uuid::Uuid;

use super::groups::membership;
use super::writes::{delete, post, Call, Write, Written};
use super::{fetch, fetch_tx, list_reply, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::store::Tx;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/ports/{id}/port_groups", get(port_groups_list))
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/ports/{id}/link", port_link),
        delete("/ports/{id}/link", port_unlink),
    ]
}

fn str_field<'a>(v: &'a Value, f: &str) -> Option<&'a str> {
    v.get(f).and_then(Value::as_str)
}

fn vlan(v: &Value) -> u64 {
    v.get("vlanId").and_then(Value::as_u64).unwrap_or(0)
}

/// Why two ports cannot be linked, if they cannot (MidoNet's `PortResource.link` checks).
fn link_refusal(a: &Value, b: &Value) -> Option<ApiError> {
    for p in [a, b] {
        let id = str_field(p, "id").unwrap_or("?");
        if let Some(peer) = str_field(p, "peerId") {
            return Some(ApiError::conflict(format!(
                "Ports are not linkable: port {id} is already linked to port {peer}"
            )));
        }
        if let (Some(host), Some(iface)) = (str_field(p, "hostId"), str_field(p, "interfaceName")) {
            return Some(ApiError::conflict(format!(
                "Ports are not linkable: port {id} is bound to interface {iface} on host {host}"
            )));
        }
    }
    let bridges = [a, b]
        .iter()
        .all(|p| str_field(p, "type") == Some("Bridge"));
    if bridges && ((vlan(a) == 0) == (vlan(b) == 0)) {
        return Some(ApiError::bad_request(
            "Ports are not linkable: two bridge ports can be linked only if exactly one of them has a vlanId",
        ));
    }
    None
}

fn port_link(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let link: PortLink = c.body()?.parse(&["PortLink", "Port"])?;
    let peer = link.peer_id;
    if peer == id {
        return Err(ApiError::violation(
            "peerId",
            "a port cannot be linked to itself",
        ));
    }
    let mut port = fetch_tx(tx, Class::Port, id)?;
    let other = fetch_tx(tx, Class::Port, peer)?;
    if let Some(refusal) = link_refusal(&port, &other) {
        return Err(refusal);
    }
    port["peerId"] = json!(peer.to_string());
    integrity::update(tx, Class::Port, port)?;
    Ok(Written::Created(c.base.uri(&format!("/ports/{id}/link"))))
}

fn port_unlink(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let mut port = fetch_tx(tx, Class::Port, c.id("id")?)?;
    if port.get("peerId").is_some_and(|p| !p.is_null()) {
        port["peerId"] = Value::Null;
        integrity::update(tx, Class::Port, port)?;
    }
    Ok(Written::Done)
}

async fn port_groups_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let port = fetch(&s.store, Class::Port, id)?;
    let groups: Vec<Value> = port
        .get("portGroupIds")
        .and_then(Value::as_array)
        .map(|ids| {
            ids.iter()
                .filter_map(|g| g.as_str()?.parse::<Uuid>().ok())
                .map(|g| membership(&base, g, id))
                .collect()
        })
        .unwrap_or_default();
    list_reply(&accept, &["PortGroupPort"], groups)
}

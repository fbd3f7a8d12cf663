//! Hosts: their interfaces, the bindings of exterior ports to those interfaces, and our admin
//! extension that registers a host (MidoNet's agent does that; we have no agent yet).

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity::{self, Objects};
use topology::{Class, Host, HostInterfacePort, Resource};
use uuid::Uuid;

use super::writes::{delete, post, put, Call, Write, Written};
use super::{fetch, fetch_tx, list_reply, one_reply, read_tx, ApiResource, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::render::{object_uri, with_links};
use crate::store::Tx;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/hosts/{id}/interfaces", get(host_interfaces_list))
        .route("/hosts/{id}/interfaces/{name}", get(host_interface_get))
        .route("/hosts/{id}/ports", get(host_bindings_list))
        .route("/hosts/{id}/ports/{port}", get(host_binding_get))
}

pub fn writes() -> Vec<Write> {
    vec![
        put("/hosts/{id}", host_update),
        post("/hosts/{id}/ports", host_binding_create),
        delete("/hosts/{id}/ports/{port}", host_binding_delete),
        post("/admin/hosts", admin_host_register),
    ]
}

const BINDING_MEDIA: &[&str] = &["HostInterfacePort"];
const INTERFACE_MEDIA: &[&str] = &["Interface"];

fn interfaces(base: &Base, host: &Value) -> Vec<Value> {
    let Some(id) = host.get("id").and_then(Value::as_str) else {
        return Vec::new();
    };
    host.get("hostInterfaces")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|i| {
                    let name = i.get("name").and_then(Value::as_str).unwrap_or_default();
                    let mut i = with_links(
                        i.clone(),
                        &[
                            ("uri", base.uri(&format!("/hosts/{id}/interfaces/{name}"))),
                            ("host", base.uri(&format!("/hosts/{id}"))),
                        ],
                    );
                    i["hostId"] = json!(id);
                    i
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn host_interfaces_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let host = fetch(&s.store, Class::Host, id)?;
    list_reply(&accept, INTERFACE_MEDIA, interfaces(&base, &host))
}

async fn host_interface_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, name)): P<(Uuid, String)>,
) -> ApiResult<Response> {
    let host = fetch(&s.store, Class::Host, id)?;
    let iface = interfaces(&base, &host)
        .into_iter()
        .find(|i| i.get("name").and_then(Value::as_str) == Some(name.as_str()))
        .ok_or_else(|| ApiError::missing(format!("host {id} has no interface {name}")))?;
    one_reply(&accept, INTERFACE_MEDIA, iface)
}

fn binding(base: &Base, host: Uuid, port: &Value) -> Value {
    let port_id = port.get("id").and_then(Value::as_str).unwrap_or_default();
    with_links(
        json!({"hostId": host, "portId": port_id, "interfaceName": port.get("interfaceName")}),
        &[
            ("uri", base.uri(&format!("/hosts/{host}/ports/{port_id}"))),
            ("host", base.uri(&format!("/hosts/{host}"))),
            ("port", object_uri(base, Class::Port, port_id)),
        ],
    )
}

fn bound_to(port: &Value, host: Uuid) -> bool {
    port.get("hostId").and_then(Value::as_str) == Some(host.to_string().as_str())
}

async fn host_bindings_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Host, id)?;
    let items = s
        .store
        .list(Class::Port)
        .iter()
        .filter(|p| bound_to(p, id))
        .map(|p| binding(&base, id, p))
        .collect();
    list_reply(&accept, BINDING_MEDIA, items)
}

async fn host_binding_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, port)): P<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let p = fetch(&s.store, Class::Port, port)?;
    if !bound_to(&p, id) {
        return Err(ApiError::missing(format!(
            "port {port} is not bound to host {id}"
        )));
    }
    one_reply(&accept, BINDING_MEDIA, binding(&base, id, &p))
}

/// Binds a port to a host interface, with MidoNet v5's checks: the host is in a tunnel zone,
/// the port is neither bound nor linked, and no other port uses the interface on that host.
fn host_binding_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let b: HostInterfacePort = c.body()?.parse(BINDING_MEDIA)?;
    if b.interface_name.is_empty() {
        return Err(ApiError::violation("interfaceName", "may not be empty"));
    }
    let port_id = b.port_id;
    // Read, not copied: a host holds the ids of every port bound on it.
    let host = read_tx(tx, Class::Host, id)?;
    if integrity::refs(&host, integrity::Field::Many("tunnelZoneIds")).is_empty() {
        return Err(ApiError::conflict(format!(
            "The specified host is not in any tunnel zone: add host {id} to one before binding ports"
        )));
    }
    let mut port = fetch_tx(tx, Class::Port, port_id)?;
    if let Some(h) = port.get("hostId").and_then(Value::as_str) {
        let iface = port
            .get("interfaceName")
            .and_then(Value::as_str)
            .unwrap_or("?");
        return Err(ApiError::conflict(format!(
            "port {port_id} is already bound to interface {iface} on host {h}"
        )));
    }
    if let Some(peer) = port.get("peerId").and_then(Value::as_str) {
        return Err(ApiError::conflict(format!(
            "port {port_id} is linked to port {peer}: an interior port cannot be bound"
        )));
    }
    // The host's version guards these: binding or unbinding any of its ports rewrites it.
    for other in integrity::refs(&host, integrity::Field::Many("portIds")) {
        let o = tx
            .peek(Class::Port, other)
            .ok_or_else(|| ApiError::not_found(Class::Port, other))?;
        if o.get("interfaceName").and_then(Value::as_str) == Some(b.interface_name.as_str()) {
            return Err(ApiError::conflict(format!(
                "interface {} on host {id} is already bound to port {other}",
                b.interface_name
            )));
        }
    }
    port["hostId"] = json!(id.to_string());
    port["interfaceName"] = json!(b.interface_name);
    integrity::update(tx, Class::Port, port)?;
    Ok(Written::Created(
        c.base.uri(&format!("/hosts/{id}/ports/{port_id}")),
    ))
}

fn host_binding_delete(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let (id, port_id) = (c.id("id")?, c.id("port")?);
    let mut port = fetch_tx(tx, Class::Port, port_id)?;
    if !bound_to(&port, id) {
        return Err(ApiError::missing(format!(
            "port {port_id} is not bound to host {id}"
        )));
    }
    port["hostId"] = Value::Null;
    port["interfaceName"] = Value::Null;
    port["previousHostId"] = json!(id.to_string());
    integrity::update(tx, Class::Port, port)?;
    Ok(Written::Done)
}

/// `PUT /hosts/{id}`: operators tune weights and limits; interfaces and liveness belong to the
/// host itself and are kept.
fn host_update(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let host: Host = c.body()?.parse(Host::MEDIA)?;
    host.validate()?;
    let incoming = serde_json::to_value(&host).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let stored = fetch_tx(tx, Class::Host, id)?;
    let mut merged = integrity::merge_client_update(Class::Host, &stored, incoming);
    merged["hostInterfaces"] = stored.get("hostInterfaces").cloned().unwrap_or(json!([]));
    integrity::update(tx, Class::Host, merged)?;
    Ok(Written::Done)
}

/// Our extension: `POST /admin/hosts` registers a host and its interfaces, or refreshes them
/// if the host exists (so provisioning can run it again). Answers 201 for a new host, 200
/// for a refreshed one, with its `Location` either way.
fn admin_host_register(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    #[derive(serde::Deserialize)]
    struct Liveness {
        alive: Option<bool>,
    }
    let body = c.body()?;
    let mut host: Host = body.parse(Host::MEDIA)?;
    // Registration states liveness, unlike a client update; absent means alive.
    let alive = body.parse::<Liveness>(Host::MEDIA)?.alive.unwrap_or(true);
    host.alive = alive;
    host.validate()?;
    let id = host.id;
    for iface in &mut host.host_interfaces {
        iface.host_id = Some(id);
    }
    let incoming = serde_json::to_value(&host).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let location = object_uri(c.base, Class::Host, &id.to_string());
    match tx.get(Class::Host, id) {
        Some(stored) => {
            let mut merged = integrity::merge_client_update(Class::Host, &stored, incoming.clone());
            merged["alive"] = json!(alive);
            merged["hostInterfaces"] = incoming["hostInterfaces"].clone();
            integrity::update(tx, Class::Host, merged)?;
            Ok(Written::Refreshed(location))
        }
        None => {
            integrity::create(tx, Class::Host, incoming)?;
            Ok(Written::Created(location))
        }
    }
}

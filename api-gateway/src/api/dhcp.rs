//! DHCP subnets of a bridge and their static hosts. A subnet is addressed by its CIDR
//! (`/bridges/{id}/dhcp/10.0.0.0_24`), a host by its MAC (`.../hosts/aa-bb-cc-dd-ee-ff`).

use std::net::Ipv4Addr;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity::{self, Objects};
use topology::{mac_to_uri, parse_mac, Class, DhcpHost, DhcpSubnet};
use uuid::Uuid;

use super::writes::{delete, post, put, Call, Write, Written};
use super::{fetch, fetch_tx, list_reply, one_reply, read_tx, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base, Body};
use crate::render::with_links;
use crate::store::Tx;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/bridges/{id}/dhcp", get(dhcp_subnets_list))
        .route("/bridges/{id}/dhcp/{subnet}", get(dhcp_subnet_get))
        .route("/bridges/{id}/dhcp/{subnet}/hosts", get(dhcp_hosts_list))
        .route(
            "/bridges/{id}/dhcp/{subnet}/hosts/{mac}",
            get(dhcp_host_get),
        )
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/bridges/{id}/dhcp", dhcp_subnet_create),
        put("/bridges/{id}/dhcp/{subnet}", dhcp_subnet_update),
        delete("/bridges/{id}/dhcp/{subnet}", dhcp_subnet_delete),
        post("/bridges/{id}/dhcp/{subnet}/hosts", dhcp_host_create),
        put("/bridges/{id}/dhcp/{subnet}/hosts/{mac}", dhcp_host_update),
        delete("/bridges/{id}/dhcp/{subnet}/hosts/{mac}", dhcp_host_delete),
    ]
}

const SUBNET_MEDIA: &[&str] = &["DhcpSubnet"];
const HOST_MEDIA: &[&str] = &["DhcpHost"];

/// Parses a subnet key `10.0.0.0_24` into its canonical form.
fn subnet_key(key: &str) -> ApiResult<String> {
    let bad = || {
        ApiError::missing(format!(
            "no such DHCP subnet: '{key}' is not of the form 10.0.0.0_24"
        ))
    };
    let (addr, len) = key.split_once('_').ok_or_else(bad)?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| bad())?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 32).ok_or_else(bad)?;
    Ok(format!("{addr}_{len}"))
}

fn subnet_base(base: &Base, bridge: Uuid, key: &str) -> String {
    base.uri(&format!("/bridges/{bridge}/dhcp/{key}"))
}

fn render_subnet(base: &Base, bridge: Uuid, stored: &Value) -> Value {
    let mut out = stored.clone();
    if let Some(m) = out.as_object_mut() {
        for f in Class::Dhcp.internal_fields() {
            m.remove(*f);
        }
    }
    let key = format!(
        "{}_{}",
        stored["subnetPrefix"].as_str().unwrap_or_default(),
        stored["subnetLength"]
    );
    let me = subnet_base(base, bridge, &key);
    with_links(out, &[("hosts", format!("{me}/hosts")), ("uri", me)])
}

fn render_host(base: &Base, bridge: Uuid, key: &str, host: &Value) -> Value {
    let mac = host["macAddr"].as_str().unwrap_or_default();
    let uri = format!(
        "{}/hosts/{}",
        subnet_base(base, bridge, key),
        mac_to_uri(mac)
    );
    with_links(host.clone(), &[("uri", uri)])
}

/// The bridge's subnet stored under `key`, in a transaction.
fn subnet_tx(tx: &mut Tx<'_>, bridge: Uuid, key: &str) -> ApiResult<Value> {
    read_tx(tx, Class::Network, bridge)?;
    fetch_tx(tx, Class::Dhcp, DhcpSubnet::object_id(bridge, key)).map_err(|_| {
        ApiError::missing(format!(
            "bridge {bridge} has no DHCP subnet {}",
            key.replace('_', "/")
        ))
    })
}

fn subnet(s: &AppState, bridge: Uuid, key: &str) -> ApiResult<std::sync::Arc<Value>> {
    fetch(&s.store, Class::Network, bridge)?;
    s.store
        .get(Class::Dhcp, DhcpSubnet::object_id(bridge, key))
        .ok_or_else(|| {
            ApiError::missing(format!(
                "bridge {bridge} has no DHCP subnet {}",
                key.replace('_', "/")
            ))
        })
}

fn hosts_of(subnet: &Value) -> Vec<Value> {
    subnet
        .get("hosts")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn same_mac(host: &Value, mac: [u8; 6]) -> bool {
    host["macAddr"].as_str().and_then(parse_mac) == Some(mac)
}

async fn dhcp_subnets_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let bridge = fetch(&s.store, Class::Network, id)?;
    let items = integrity::refs(&bridge, integrity::Field::Many("dhcpIds"))
        .into_iter()
        .filter_map(|d| s.store.get(Class::Dhcp, d))
        .map(|d| render_subnet(&base, id, &d))
        .collect();
    list_reply(&accept, SUBNET_MEDIA, items)
}

fn dhcp_subnet_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let subnet: DhcpSubnet = c.body()?.parse(SUBNET_MEDIA)?;
    subnet.validate()?;
    let key = subnet.key();
    let object_id = DhcpSubnet::object_id(id, &key);
    let mut value =
        serde_json::to_value(&subnet).map_err(|e| ApiError::bad_request(e.to_string()))?;
    value["id"] = json!(object_id);
    value["networkId"] = json!(id);
    value["hosts"] = json!([]);
    read_tx(tx, Class::Network, id)?;
    if tx.get(Class::Dhcp, object_id).is_some() {
        return Err(ApiError::conflict(format!(
            "bridge {id} already has DHCP subnet {}",
            key.replace('_', "/")
        )));
    }
    integrity::create(tx, Class::Dhcp, value)?;
    Ok(Written::Created(subnet_base(c.base, id, &key)))
}

async fn dhcp_subnet_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, key)): P<(Uuid, String)>,
) -> ApiResult<Response> {
    let key = subnet_key(&key)?;
    let stored = subnet(&s, id, &key)?;
    one_reply(&accept, SUBNET_MEDIA, render_subnet(&base, id, &stored))
}

fn dhcp_subnet_update(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let key = subnet_key(c.param("subnet")?)?;
    let subnet: DhcpSubnet = c.body()?.parse(SUBNET_MEDIA)?;
    subnet.validate()?;
    if subnet.key() != key {
        return Err(ApiError::violation(
            "subnetPrefix",
            format!(
                "a DHCP subnet's CIDR cannot change ({} in the URL)",
                key.replace('_', "/")
            ),
        ));
    }
    let incoming =
        serde_json::to_value(&subnet).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let stored = subnet_tx(tx, id, &key)?;
    let merged = integrity::merge_client_update(Class::Dhcp, &stored, incoming);
    integrity::update(tx, Class::Dhcp, merged)?;
    Ok(Written::Done)
}

fn dhcp_subnet_delete(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let key = subnet_key(c.param("subnet")?)?;
    subnet_tx(tx, id, &key)?;
    integrity::delete(tx, Class::Dhcp, DhcpSubnet::object_id(id, &key))?;
    Ok(Written::Done)
}

async fn dhcp_hosts_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, key)): P<(Uuid, String)>,
) -> ApiResult<Response> {
    let key = subnet_key(&key)?;
    let stored = subnet(&s, id, &key)?;
    let items = hosts_of(&stored)
        .iter()
        .map(|h| render_host(&base, id, &key, h))
        .collect();
    list_reply(&accept, HOST_MEDIA, items)
}

fn parse_host(body: &Body) -> ApiResult<(DhcpHost, Value, [u8; 6])> {
    let host: DhcpHost = body.parse(HOST_MEDIA)?;
    host.validate()?;
    let mac = parse_mac(&host.mac_addr)
        .ok_or_else(|| ApiError::violation("macAddr", "is not a MAC address"))?;
    let mut value =
        serde_json::to_value(&host).map_err(|e| ApiError::bad_request(e.to_string()))?;
    value["macAddr"] = json!(topology::format_mac(mac));
    Ok((host, value, mac))
}

fn dhcp_host_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let key = subnet_key(c.param("subnet")?)?;
    let (_, value, mac) = parse_host(c.body()?)?;
    let mut subnet = subnet_tx(tx, id, &key)?;
    let mut hosts = hosts_of(&subnet);
    if hosts.iter().any(|h| same_mac(h, mac)) {
        return Err(ApiError::conflict(format!(
            "DHCP subnet {} already has a host with MAC {}",
            key.replace('_', "/"),
            topology::format_mac(mac)
        )));
    }
    hosts.push(value);
    subnet["hosts"] = Value::Array(hosts);
    integrity::update(tx, Class::Dhcp, subnet)?;
    Ok(Written::Created(format!(
        "{}/hosts/{}",
        subnet_base(c.base, id, &key),
        mac_to_uri(&topology::format_mac(mac))
    )))
}

fn mac_param(mac: &str) -> ApiResult<[u8; 6]> {
    parse_mac(mac).ok_or_else(|| {
        ApiError::missing(format!("no such DHCP host: '{mac}' is not a MAC address"))
    })
}

async fn dhcp_host_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, key, mac)): P<(Uuid, String, String)>,
) -> ApiResult<Response> {
    let key = subnet_key(&key)?;
    let want = mac_param(&mac)?;
    let stored = subnet(&s, id, &key)?;
    let host = hosts_of(&stored)
        .into_iter()
        .find(|h| same_mac(h, want))
        .ok_or_else(|| {
            ApiError::missing(format!(
                "DHCP subnet {} has no host {mac}",
                key.replace('_', "/")
            ))
        })?;
    one_reply(&accept, HOST_MEDIA, render_host(&base, id, &key, &host))
}

/// Replaces (`Some`) or removes (`None`) the host with `mac` in a subnet.
fn change_host(
    tx: &mut Tx<'_>,
    id: Uuid,
    key: &str,
    mac: [u8; 6],
    new: Option<Value>,
) -> ApiResult<Written> {
    let mut subnet = subnet_tx(tx, id, key)?;
    let mut hosts = hosts_of(&subnet);
    let at = hosts.iter().position(|h| same_mac(h, mac)).ok_or_else(|| {
        ApiError::missing(format!(
            "DHCP subnet {} has no host {}",
            key.replace('_', "/"),
            topology::format_mac(mac)
        ))
    })?;
    match new {
        Some(v) => hosts[at] = v,
        None => {
            hosts.remove(at);
        }
    }
    subnet["hosts"] = Value::Array(hosts);
    integrity::update(tx, Class::Dhcp, subnet)?;
    Ok(Written::Done)
}

fn dhcp_host_update(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let key = subnet_key(c.param("subnet")?)?;
    let want = mac_param(c.param("mac")?)?;
    let (_, value, mac) = parse_host(c.body()?)?;
    if mac != want {
        return Err(ApiError::violation(
            "macAddr",
            "a DHCP host's MAC cannot change",
        ));
    }
    change_host(tx, id, &key, mac, Some(value))
}

fn dhcp_host_delete(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let key = subnet_key(c.param("subnet")?)?;
    let mac = mac_param(c.param("mac")?)?;
    change_host(tx, id, &key, mac, None)
}

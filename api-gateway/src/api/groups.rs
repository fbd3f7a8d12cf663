//! Members of groups: addresses of IP address groups, ports of port groups.

use std::net::IpAddr;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity;
use topology::{Class, IpAddrGroupAddr, PortGroupPort};
use uuid::Uuid;

use super::writes::{delete, post, Call, Write, Written};
use super::{fetch, fetch_tx, list_reply, one_reply, read_tx, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::render::with_links;
use crate::store::Tx;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/ip_addr_groups/{id}/ip_addrs", get(ip_addrs_list))
        .route(
            "/ip_addr_groups/{id}/versions/{version}/ip_addrs/{addr}",
            get(ip_addr_get),
        )
        .route("/port_groups/{id}/ports", get(port_group_ports_list))
        .route("/port_groups/{id}/ports/{port}", get(port_group_port_get))
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/ip_addr_groups/{id}/ip_addrs", ip_addr_add),
        delete(
            "/ip_addr_groups/{id}/versions/{version}/ip_addrs/{addr}",
            ip_addr_remove,
        ),
        post("/port_groups/{id}/ports", port_group_port_add),
        delete("/port_groups/{id}/ports/{port}", port_group_port_remove),
    ]
}

const ADDR_MEDIA: &[&str] = &["IpAddrGroupAddr", "IpAddrGroupAddrV4", "IpAddrGroupAddrV6"];
const MEMBER_MEDIA: &[&str] = &["PortGroupPort"];

fn addr_value(base: &Base, group: Uuid, addr: IpAddr) -> Value {
    let version = if addr.is_ipv4() { 4 } else { 6 };
    let uri = base.uri(&format!(
        "/ip_addr_groups/{group}/versions/{version}/ip_addrs/{addr}"
    ));
    with_links(
        json!({"ipAddrGroupId": group, "addr": addr.to_string(), "version": version}),
        &[
            ("uri", uri),
            ("ipAddrGroup", base.uri(&format!("/ip_addr_groups/{group}"))),
        ],
    )
}

fn addrs_of(group: &Value) -> Vec<IpAddr> {
    group
        .get("ipAddrs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

async fn ip_addrs_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let group = fetch(&s.store, Class::IpAddrGroup, id)?;
    let items = addrs_of(&group)
        .into_iter()
        .map(|a| addr_value(&base, id, a))
        .collect();
    list_reply(&accept, ADDR_MEDIA, items)
}

fn ip_addr_add(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let member: IpAddrGroupAddr = c.body()?.parse(ADDR_MEDIA)?;
    member.validate()?;
    let addr = member.addr;
    let mut group = fetch_tx(tx, Class::IpAddrGroup, id)?;
    let mut addrs = addrs_of(&group);
    if addrs.contains(&addr) {
        return Err(ApiError::conflict(format!(
            "IP address group {id} already has address {addr}"
        )));
    }
    addrs.push(addr);
    group["ipAddrs"] = json!(addrs.iter().map(IpAddr::to_string).collect::<Vec<_>>());
    integrity::update(tx, Class::IpAddrGroup, group)?;
    Ok(Written::Created(
        addr_value(c.base, id, addr)["uri"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

fn parse_addr(version: u8, addr: &str) -> ApiResult<IpAddr> {
    let parsed: IpAddr = addr.parse().map_err(|_| {
        ApiError::missing(format!("no such address: '{addr}' is not an IP address"))
    })?;
    if (version == 4) != parsed.is_ipv4() {
        return Err(ApiError::missing(format!(
            "{addr} is not an IPv{version} address"
        )));
    }
    Ok(parsed)
}

async fn ip_addr_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, version, addr)): P<(Uuid, u8, String)>,
) -> ApiResult<Response> {
    let addr = parse_addr(version, &addr)?;
    let group = fetch(&s.store, Class::IpAddrGroup, id)?;
    if !addrs_of(&group).contains(&addr) {
        return Err(ApiError::missing(format!(
            "address {addr} is not in IP address group {id}"
        )));
    }
    one_reply(&accept, ADDR_MEDIA, addr_value(&base, id, addr))
}

fn ip_addr_remove(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let addr = parse_addr(c.parsed("version")?, c.param("addr")?)?;
    let mut group = fetch_tx(tx, Class::IpAddrGroup, id)?;
    let mut addrs = addrs_of(&group);
    let before = addrs.len();
    addrs.retain(|a| *a != addr);
    if addrs.len() == before {
        return Err(ApiError::missing(format!(
            "address {addr} is not in IP address group {id}"
        )));
    }
    group["ipAddrs"] = json!(addrs.iter().map(IpAddr::to_string).collect::<Vec<_>>());
    integrity::update(tx, Class::IpAddrGroup, group)?;
    Ok(Written::Done)
}

/// A `PortGroupPort` representation.
pub fn membership(base: &Base, group: Uuid, port: Uuid) -> Value {
    with_links(
        json!({"portGroupId": group, "portId": port}),
        &[
            (
                "uri",
                base.uri(&format!("/port_groups/{group}/ports/{port}")),
            ),
            ("portGroup", base.uri(&format!("/port_groups/{group}"))),
            ("port", base.uri(&format!("/ports/{port}"))),
        ],
    )
}

fn members_of(group: &Value) -> Vec<Uuid> {
    topology::integrity::refs(group, topology::integrity::Field::Many("portIds"))
}

async fn port_group_ports_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let group = fetch(&s.store, Class::PortGroup, id)?;
    let items = members_of(&group)
        .into_iter()
        .map(|p| membership(&base, id, p))
        .collect();
    list_reply(&accept, MEMBER_MEDIA, items)
}

fn port_group_port_add(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let member: PortGroupPort = c.body()?.parse(MEMBER_MEDIA)?;
    let port_id = member.port_id;
    read_tx(tx, Class::PortGroup, id)?;
    let mut port = fetch_tx(tx, Class::Port, port_id)?;
    let mut groups = integrity::refs(&port, integrity::Field::Many("portGroupIds"));
    if groups.contains(&id) {
        return Err(ApiError::conflict(format!(
            "port {port_id} is already a member of port group {id}"
        )));
    }
    groups.push(id);
    port["portGroupIds"] = json!(groups);
    integrity::update(tx, Class::Port, port)?;
    Ok(Written::Created(
        c.base.uri(&format!("/port_groups/{id}/ports/{port_id}")),
    ))
}

async fn port_group_port_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, port)): P<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let group = fetch(&s.store, Class::PortGroup, id)?;
    if !members_of(&group).contains(&port) {
        return Err(ApiError::missing(format!(
            "port {port} is not in port group {id}"
        )));
    }
    one_reply(&accept, MEMBER_MEDIA, membership(&base, id, port))
}

fn port_group_port_remove(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let (id, port_id) = (c.id("id")?, c.id("port")?);
    read_tx(tx, Class::PortGroup, id)?;
    let mut port = fetch_tx(tx, Class::Port, port_id)?;
    let mut groups = integrity::refs(&port, integrity::Field::Many("portGroupIds"));
    if !groups.contains(&id) {
        return Err(ApiError::missing(format!(
            "port {port_id} is not in port group {id}"
        )));
    }
    groups.retain(|g| *g != id);
    port["portGroupIds"] = json!(groups);
    integrity::update(tx, Class::Port, port)?;
    Ok(Written::Done)
}

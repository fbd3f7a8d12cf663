//! A bridge's API-seeded state tables: the MAC table (per VLAN) and the ARP table, stored as
//! MidoNet stores persistent state-table entries (`<key>,<value>,2147483647`).

use std::net::Ipv4Addr;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::{format_mac, mac_to_uri, parse_mac, Class, Ip4Mac, MacPort};
use uuid::Uuid;

use super::writes::{delete, post, Call, Write, Written};
use super::{fetch, fetch_tx, list_reply, one_reply, read_tx, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::render::with_links;
use crate::store::{Tx, PERSISTENT};

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/bridges/{id}/mac_table", get(mac_table_list))
        .route("/bridges/{id}/mac_table/{entry}", get(mac_entry_get))
        .route(
            "/bridges/{id}/vlans/{vlan}/mac_table",
            get(vlan_mac_table_list),
        )
        .route(
            "/bridges/{id}/vlans/{vlan}/mac_table/{entry}",
            get(vlan_mac_entry_get),
        )
        .route("/bridges/{id}/arp_table", get(arp_table_list))
        .route("/bridges/{id}/arp_table/{entry}", get(arp_entry_get))
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/bridges/{id}/mac_table", mac_entry_create),
        delete("/bridges/{id}/mac_table/{entry}", mac_entry_delete),
        post(
            "/bridges/{id}/vlans/{vlan}/mac_table",
            vlan_mac_entry_create,
        ),
        delete(
            "/bridges/{id}/vlans/{vlan}/mac_table/{entry}",
            vlan_mac_entry_delete,
        ),
        post("/bridges/{id}/arp_table", arp_entry_create),
        delete("/bridges/{id}/arp_table/{entry}", arp_entry_delete),
    ]
}

const MAC_MEDIA: &[&str] = &["MacPort"];
const ARP_MEDIA: &[&str] = &["IP4Mac"];
const MAC_TABLE: &str = "mac_table";
const ARP_TABLE: &str = "ip4_mac_table";

/// `key,value,version` -> `(key, value)`.
fn split_entry(name: &str) -> Option<(&str, &str)> {
    let mut parts = name.splitn(3, ',');
    Some((parts.next()?, parts.next()?))
}

fn mac_value(base: &Base, bridge: Uuid, vlan: u16, mac: &str, port: &str) -> Value {
    let key = format!("{}_{port}", mac_to_uri(mac));
    let uri = if vlan == 0 {
        base.uri(&format!("/bridges/{bridge}/mac_table/{key}"))
    } else {
        base.uri(&format!("/bridges/{bridge}/vlans/{vlan}/mac_table/{key}"))
    };
    with_links(
        json!({"bridgeId": bridge, "macAddr": mac, "portId": port, "vlanId": vlan}),
        &[("uri", uri)],
    )
}

/// MAC entries of a bridge's MAC table listing, of one VLAN or all.
fn mac_entries(table: &[String], only: Option<u16>) -> Vec<(u16, String, String)> {
    table
        .iter()
        .filter_map(|path| {
            let (vlan, name) = path.split_once('/')?;
            let vlan: u16 = vlan.parse().ok()?;
            let (mac, port) = split_entry(name)?;
            Some((vlan, mac.to_string(), port.to_string()))
        })
        .filter(|(vlan, _, _)| only.is_none_or(|v| v == *vlan))
        .collect()
}

/// `aa-bb-cc-dd-ee-ff_<port>` from a URL.
fn parse_mac_key(entry: &str) -> ApiResult<(String, Uuid)> {
    let bad = || {
        ApiError::missing(format!(
            "no such MAC table entry: '{entry}' is not of the form aa-bb-cc-dd-ee-ff_<port id>"
        ))
    };
    let (mac, port) = entry.split_once('_').ok_or_else(bad)?;
    let mac = parse_mac(mac).ok_or_else(bad)?;
    Ok((format_mac(mac), port.parse().map_err(|_| bad())?))
}

fn list_macs(
    s: &AppState,
    accept: &Accept,
    base: &Base,
    id: Uuid,
    vlan: Option<u16>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Network, id)?;
    let items = mac_entries(&s.store.table(Class::Network, id, MAC_TABLE), vlan)
        .into_iter()
        .map(|(v, mac, port)| mac_value(base, id, v, &mac, &port))
        .collect();
    list_reply(accept, MAC_MEDIA, items)
}

fn create_mac(tx: &mut Tx<'_>, c: &Call<'_>, vlan: Option<u16>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let entry: MacPort = c.body()?.parse(MAC_MEDIA)?;
    entry.validate()?;
    let vlan = vlan.or(entry.vlan_id).unwrap_or(0);
    let mac = parse_mac(&entry.mac_addr)
        .map(format_mac)
        .unwrap_or_default();
    let port = entry.port_id;
    read_tx(tx, Class::Network, id)?;
    let p = fetch_tx(tx, Class::Port, port)?;
    if p.get("deviceId").and_then(Value::as_str) != Some(id.to_string().as_str()) {
        return Err(ApiError::violation(
            "portId",
            format!("port {port} is not a port of bridge {id}"),
        ));
    }
    tx.put_table_entry(
        Class::Network,
        id,
        &format!("{MAC_TABLE}/{vlan}"),
        &format!("{mac},{port},{PERSISTENT}"),
    );
    Ok(Written::Created(
        mac_value(c.base, id, vlan, &mac, &port.to_string())["uri"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

/// The entry `entry` (`<mac>_<port>`) of VLAN `vlan` in a bridge's MAC table listing.
fn find_mac(table: &[String], id: Uuid, vlan: u16, entry: &str) -> ApiResult<(String, String)> {
    let (mac, port) = parse_mac_key(entry)?;
    mac_entries(table, Some(vlan))
        .into_iter()
        .find(|(_, m, p)| *m == mac && *p == port.to_string())
        .map(|(_, m, p)| (m, p))
        .ok_or_else(|| {
            ApiError::missing(format!(
                "bridge {id} has no MAC table entry {mac} -> {port} on VLAN {vlan}"
            ))
        })
}

/// A MAC entry as the store holds it now, for the GETs.
fn stored_mac(s: &AppState, id: Uuid, vlan: u16, entry: &str) -> ApiResult<(String, String)> {
    fetch(&s.store, Class::Network, id)?;
    find_mac(
        &s.store.table(Class::Network, id, MAC_TABLE),
        id,
        vlan,
        entry,
    )
}

fn delete_mac(tx: &mut Tx<'_>, c: &Call<'_>, vlan: u16) -> ApiResult<Written> {
    let id = c.id("id")?;
    read_tx(tx, Class::Network, id)?;
    let table = tx.table(Class::Network, id, MAC_TABLE);
    let (mac, port) = find_mac(&table, id, vlan, c.param("entry")?)?;
    tx.remove_table_entry(
        Class::Network,
        id,
        &format!("{MAC_TABLE}/{vlan}"),
        &format!("{mac},{port},{PERSISTENT}"),
    );
    Ok(Written::Done)
}

async fn mac_table_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    list_macs(&s, &accept, &base, id, None)
}

async fn vlan_mac_table_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, vlan)): P<(Uuid, u16)>,
) -> ApiResult<Response> {
    list_macs(&s, &accept, &base, id, Some(vlan))
}

fn mac_entry_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    create_mac(tx, c, None)
}

fn vlan_mac_entry_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    create_mac(tx, c, Some(c.parsed("vlan")?))
}

async fn mac_entry_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, entry)): P<(Uuid, String)>,
) -> ApiResult<Response> {
    let (mac, port) = stored_mac(&s, id, 0, &entry)?;
    one_reply(&accept, MAC_MEDIA, mac_value(&base, id, 0, &mac, &port))
}

async fn vlan_mac_entry_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, vlan, entry)): P<(Uuid, u16, String)>,
) -> ApiResult<Response> {
    let (mac, port) = stored_mac(&s, id, vlan, &entry)?;
    one_reply(&accept, MAC_MEDIA, mac_value(&base, id, vlan, &mac, &port))
}

fn mac_entry_delete(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    delete_mac(tx, c, 0)
}

fn vlan_mac_entry_delete(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    delete_mac(tx, c, c.parsed("vlan")?)
}

fn arp_value(base: &Base, bridge: Uuid, ip: &str, mac: &str) -> Value {
    let uri = base.uri(&format!(
        "/bridges/{bridge}/arp_table/{ip}_{}",
        mac_to_uri(mac)
    ));
    with_links(json!({"ip": ip, "mac": mac}), &[("uri", uri)])
}

fn arp_entries(table: &[String]) -> Vec<(String, String)> {
    table
        .iter()
        .filter_map(|name| split_entry(name).map(|(ip, mac)| (ip.to_string(), mac.to_string())))
        .collect()
}

async fn arp_table_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Network, id)?;
    let items = arp_entries(&s.store.table(Class::Network, id, ARP_TABLE))
        .iter()
        .map(|(ip, mac)| arp_value(&base, id, ip, mac))
        .collect();
    list_reply(&accept, ARP_MEDIA, items)
}

fn arp_entry_create(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let entry: Ip4Mac = c.body()?.parse(ARP_MEDIA)?;
    entry.validate()?;
    let mac = parse_mac(&entry.mac).map(format_mac).unwrap_or_default();
    let ip = entry.ip.to_string();
    read_tx(tx, Class::Network, id)?;
    tx.put_table_entry(
        Class::Network,
        id,
        ARP_TABLE,
        &format!("{ip},{mac},{PERSISTENT}"),
    );
    Ok(Written::Created(
        arp_value(c.base, id, &ip, &mac)["uri"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

/// The entry `entry` (`<ip>_<mac>`) in a bridge's ARP table listing.
fn find_arp(table: &[String], id: Uuid, entry: &str) -> ApiResult<(String, String)> {
    let bad = || {
        ApiError::missing(format!(
            "no such ARP table entry: '{entry}' is not of the form 10.0.0.1_aa-bb-cc-dd-ee-ff"
        ))
    };
    let (ip, mac) = entry.split_once('_').ok_or_else(bad)?;
    let ip: Ipv4Addr = ip.parse().map_err(|_| bad())?;
    let mac = parse_mac(mac).map(format_mac).ok_or_else(bad)?;
    arp_entries(table)
        .into_iter()
        .find(|(i, m)| *i == ip.to_string() && *m == mac)
        .ok_or_else(|| {
            ApiError::missing(format!("bridge {id} has no ARP table entry {ip} -> {mac}"))
        })
}

async fn arp_entry_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, entry)): P<(Uuid, String)>,
) -> ApiResult<Response> {
    fetch(&s.store, Class::Network, id)?;
    let table = s.store.table(Class::Network, id, ARP_TABLE);
    let (ip, mac) = find_arp(&table, id, &entry)?;
    one_reply(&accept, ARP_MEDIA, arp_value(&base, id, &ip, &mac))
}

fn arp_entry_delete(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    read_tx(tx, Class::Network, id)?;
    let table = tx.table(Class::Network, id, ARP_TABLE);
    let (ip, mac) = find_arp(&table, id, c.param("entry")?)?;
    tx.remove_table_entry(
        Class::Network,
        id,
        ARP_TABLE,
        &format!("{ip},{mac},{PERSISTENT}"),
    );
    Ok(Written::Done)
}

//! Members of a tunnel zone: hosts and the underlay address each tunnels from.

use std::net::IpAddr;

use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{json, Value};
use topology::integrity::{self, Field};
use topology::{Class, TunnelZoneHost};
use uuid::Uuid;

use super::writes::{delete, post, Call, Write, Written};
use super::{fetch, fetch_tx, list_reply, one_reply, AppState, P};
use crate::error::{ApiError, ApiResult};
use crate::http::{Accept, Base};
use crate::render::with_links;
use crate::store::Tx;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/tunnel_zones/{id}/hosts", get(zone_members_list))
        .route("/tunnel_zones/{id}/hosts/{host}", get(zone_member_get))
}

pub fn writes() -> Vec<Write> {
    vec![
        post("/tunnel_zones/{id}/hosts", zone_member_add),
        delete("/tunnel_zones/{id}/hosts/{host}", zone_member_remove),
    ]
}

const MEMBER_MEDIA: &[&str] = &["TunnelZoneHost", "GreTunnelZoneHost", "VxLanTunnelZoneHost"];
const MEMBERS: Field = Field::Nested {
    list: "hosts",
    key: "hostId",
};

fn members(base: &Base, zone: Uuid, stored: &Value) -> Vec<Value> {
    stored
        .get("hosts")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|m| {
                    let host = m.get("hostId").and_then(Value::as_str).unwrap_or_default();
                    let mut m = with_links(
                        m.clone(),
                        &[
                            (
                                "uri",
                                base.uri(&format!("/tunnel_zones/{zone}/hosts/{host}")),
                            ),
                            ("tunnelZone", base.uri(&format!("/tunnel_zones/{zone}"))),
                            ("host", base.uri(&format!("/hosts/{host}"))),
                        ],
                    );
                    m["tunnelZoneId"] = json!(zone);
                    m
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn zone_members_list(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P(id): P<Uuid>,
) -> ApiResult<Response> {
    let zone = fetch(&s.store, Class::TunnelZone, id)?;
    list_reply(&accept, MEMBER_MEDIA, members(&base, id, &zone))
}

async fn zone_member_get(
    State(s): State<AppState>,
    accept: Accept,
    base: Base,
    P((id, host)): P<(Uuid, Uuid)>,
) -> ApiResult<Response> {
    let zone = fetch(&s.store, Class::TunnelZone, id)?;
    let member = members(&base, id, &zone)
        .into_iter()
        .find(|m| m.get("hostId").and_then(Value::as_str) == Some(host.to_string().as_str()))
        .ok_or_else(|| {
            ApiError::missing(format!("host {host} is not a member of tunnel zone {id}"))
        })?;
    one_reply(&accept, MEMBER_MEDIA, member)
}

fn zone_member_add(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let id = c.id("id")?;
    let m: TunnelZoneHost = c.body()?.parse(MEMBER_MEDIA)?;
    let (host, address): (Uuid, IpAddr) = (m.host_id, m.ip_address);
    let mut zone = fetch_tx(tx, Class::TunnelZone, id)?;
    if integrity::refs(&zone, MEMBERS).contains(&host) {
        return Err(ApiError::conflict(format!(
            "host {host} is already a member of tunnel zone {id}"
        )));
    }
    let mut list = zone["hosts"].as_array().cloned().unwrap_or_default();
    list.push(json!({"hostId": host, "ipAddress": address.to_string()}));
    zone["hosts"] = Value::Array(list);
    integrity::update(tx, Class::TunnelZone, zone)?;
    Ok(Written::Created(
        c.base.uri(&format!("/tunnel_zones/{id}/hosts/{host}")),
    ))
}

fn zone_member_remove(tx: &mut Tx<'_>, c: &Call<'_>) -> ApiResult<Written> {
    let (id, host) = (c.id("id")?, c.id("host")?);
    let mut zone = fetch_tx(tx, Class::TunnelZone, id)?;
    if !integrity::refs(&zone, MEMBERS).contains(&host) {
        return Err(ApiError::missing(format!(
            "host {host} is not a member of tunnel zone {id}"
        )));
    }
    if let Some(list) = zone["hosts"].as_array_mut() {
        list.retain(|m| m.get("hostId").and_then(Value::as_str) != Some(host.to_string().as_str()));
    }
    integrity::update(tx, Class::TunnelZone, zone)?;
    Ok(Written::Done)
}

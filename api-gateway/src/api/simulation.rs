//! Our extension `POST /simulations`: walks a packet through the stored topology with the
//! simulator (`topology::sim`) and answers its flow record, with the trace rendered one hop per
//! line for `midonet-cli trace`. It reads one consistent view of the store and writes no
//! topology. Tracing the reply too when asked, the reply sees its request's connection.
//!
//! With a state store (`/history`), connection state outlives the call, as MidoNet's flow
//! state does: a trace starts from the state stored under its ingress port, and what it adds
//! is stored, with the configured TTL, under its ingress port and the port it leaves by, so a
//! reply traced later (from that port, by any gateway sharing the store) is known as return
//! flow and reverse-NATed. `"flowState": false` starts from empty state and stores nothing.

use std::net::Ipv4Addr;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use topology::sim::{
    simulate, ConnectionState, FlowRecord, FlowStateEntry, Packet, Snapshot, SnapshotBuilder,
};
use topology::{
    parse_mac, Bridge, Chain, Class, DhcpHost, DhcpSubnet, Ip4Mac, MacPort, Port, PortGroup, Route,
    Router, Rule,
};
use uuid::Uuid;

use super::history::state_error;
use super::AppState;
use crate::error::{ApiError, ApiResult};
use crate::http::Body;
use crate::store::Store;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/simulations", post(simulation_run))
}

/// The request: the exterior port the packet enters by and its headers.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SimulationRequest {
    ingress_port_id: Uuid,
    eth_src: String,
    eth_dst: String,
    nw_src: Ipv4Addr,
    nw_dst: Ipv4Addr,
    /// `tcp`, `udp` or `icmp` (an echo request).
    #[serde(default = "tcp")]
    proto: String,
    #[serde(default)]
    tp_src: u16,
    #[serde(default)]
    tp_dst: u16,
    /// Trace the reply too, after the request.
    #[serde(default)]
    reply: bool,
    /// Render rules that did not match as well.
    #[serde(default)]
    all_rules: bool,
    /// Start from, and keep, the stored flow state (when the gateway has a state store).
    #[serde(default = "yes")]
    flow_state: bool,
}

fn yes() -> bool {
    true
}

fn tcp() -> String {
    "tcp".into()
}

async fn simulation_run(State(s): State<AppState>, body: Body) -> ApiResult<Response> {
    let req: SimulationRequest = body.parse(&["Simulation"])?;
    let mac = |what: &str, m: &str| {
        parse_mac(m).ok_or_else(|| ApiError::bad_request(format!("{what}: '{m}' is not a MAC")))
    };
    let eth = (mac("ethSrc", &req.eth_src)?, mac("ethDst", &req.eth_dst)?);
    let packet = match req.proto.as_str() {
        "tcp" => Packet::tcp(eth, (req.nw_src, req.tp_src), (req.nw_dst, req.tp_dst)),
        "udp" => Packet::udp(eth, (req.nw_src, req.tp_src), (req.nw_dst, req.tp_dst)),
        "icmp" => Packet::icmp(eth, req.nw_src, req.nw_dst, 8, req.tp_src),
        other => {
            return Err(ApiError::bad_request(format!(
                "proto: '{other}' is not tcp, udp or icmp"
            )))
        }
    };
    let snapshot = snapshot(&s.store)?;
    let kept = s.store.state().filter(|_| req.flow_state);
    let mut state = ConnectionState::new();
    let mut loaded = Vec::new();
    if let Some(service) = kept {
        loaded = service
            .state
            .flow_state(req.ingress_port_id)
            .await
            .map_err(state_error)?;
        for e in &loaded {
            state.restore(*e);
        }
    }
    let record = simulate(&snapshot, &mut state, req.ingress_port_id, packet)
        .map_err(|e| ApiError::missing(e.to_string()))?;
    let mut answer = json!({"request": record_json(&snapshot, &record, req.all_rules)});
    let mut ports = vec![req.ingress_port_id];
    if let topology::sim::Verdict::Delivered { port, .. } = record.verdict {
        ports.push(port);
        if req.reply {
            let reply = simulate(&snapshot, &mut state, port, record.output.reply())
                .map_err(|e| ApiError::missing(e.to_string()))?;
            answer["reply"] = record_json(&snapshot, &reply, req.all_rules);
        }
    }
    if let Some(service) = kept {
        let known: std::collections::HashSet<FlowStateEntry> = loaded.iter().copied().collect();
        let added: Vec<FlowStateEntry> = state
            .entries()
            .into_iter()
            .filter(|e| !known.contains(e))
            .collect();
        if !added.is_empty() {
            for port in &ports {
                service
                    .state
                    .put_flow_state(*port, added.clone(), service.flow_ttl)
                    .await
                    .map_err(state_error)?;
            }
        }
        answer["flowState"] = json!({"loaded": loaded.len(), "stored": added.len()});
    }
    Ok(Json(answer).into_response())
}

fn record_json(snapshot: &Snapshot, r: &FlowRecord, all_rules: bool) -> Value {
    let text = r.render(snapshot, all_rules);
    let lines: Vec<&str> = text.lines().collect();
    json!({
        "verdict": lines.iter().find_map(|l| l.strip_prefix("verdict ")).unwrap_or_default(),
        "devices": r.devices(),
        "returnFlow": r.return_flow,
        "output": r.output.to_string(),
        "trace": lines,
    })
}

/// Every stored object a walk reads, typed, in a snapshot. An object that does not parse as
/// its model (the store holds validated objects only) fails the request, naming it.
pub fn snapshot(store: &Store) -> ApiResult<Snapshot> {
    fn typed<T: serde::de::DeserializeOwned>(
        store: &Store,
        class: Class,
    ) -> ApiResult<Vec<(Value, T)>> {
        store
            .list(class)
            .into_iter()
            .map(|v| {
                let typed = serde_json::from_value((*v).clone()).map_err(|e| {
                    ApiError::bad_request(format!("stored {class:?} {}: {e}", v["id"]))
                })?;
                Ok(((*v).clone(), typed))
            })
            .collect()
    }
    let ids = |v: &Value, field: &str| -> Vec<Uuid> {
        v.get(field)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
            .unwrap_or_default()
    };
    let mut b = SnapshotBuilder::new();
    for (_, r) in typed::<Router>(store, Class::Router)? {
        b.router(r);
    }
    let bridges = typed::<Bridge>(store, Class::Network)?;
    for (_, br) in &bridges {
        b.bridge(br.clone());
    }
    // Ports and rules have no names: traces name them by device and address or interface,
    // and by chain and position, as an operator would point at them.
    let device_names: std::collections::HashMap<Uuid, String> = store
        .list(Class::Router)
        .iter()
        .chain(store.list(Class::Network).iter())
        .filter_map(|v| {
            Some((
                v["id"].as_str()?.parse().ok()?,
                v["name"].as_str()?.to_owned(),
            ))
        })
        .collect();
    for (_, p) in typed::<Port>(store, Class::Port)? {
        let device = p
            .device_id
            .and_then(|d| device_names.get(&d).cloned())
            .unwrap_or_else(|| "?".into());
        let what = match (&p.port_address, &p.interface_name) {
            (Some(a), _) => a.to_string(),
            (None, Some(i)) => i.clone(),
            (None, None) => p.id.to_string()[..8].to_owned(),
        };
        b.name(p.id, format!("{device}/{what}"));
        b.port(p);
    }
    let rules: std::collections::HashMap<Uuid, Rule> = typed::<Rule>(store, Class::Rule)?
        .into_iter()
        .map(|(_, r)| (r.id, r))
        .collect();
    for (v, c) in typed::<Chain>(store, Class::Chain)? {
        let ordered: Vec<Rule> = ids(&v, "ruleIds")
            .iter()
            .filter_map(|id| rules.get(id).cloned())
            .collect();
        let chain_name = c.name.clone().unwrap_or_else(|| c.id.to_string());
        for (i, r) in ordered.iter().enumerate() {
            b.name(r.id, format!("{chain_name}#{}", i + 1));
        }
        b.chain(c, ordered);
    }
    for (_, r) in typed::<Route>(store, Class::Route)? {
        b.route(r);
    }
    for v in store.list(Class::IpAddrGroup) {
        let Some(id) = v["id"].as_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        let addrs = v
            .get("ipAddrs")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str()?.parse().ok()).collect())
            .unwrap_or_default();
        b.ip_addr_group(id, v["name"].as_str().map(str::to_owned), addrs);
    }
    for (v, g) in typed::<PortGroup>(store, Class::PortGroup)? {
        b.port_group(g.id, g.name, ids(&v, "portIds"));
    }
    for v in store.list(Class::Dhcp) {
        let Some(bridge) = v["networkId"].as_str().and_then(|s| s.parse().ok()) else {
            continue;
        };
        if let Ok(subnet) = serde_json::from_value::<DhcpSubnet>((*v).clone()) {
            b.dhcp_subnet(bridge, subnet);
        }
        for h in v
            .get("hosts")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Ok(host) = serde_json::from_value::<DhcpHost>(h.clone()) {
                b.dhcp_host(bridge, host);
            }
        }
    }
    // ARP entries are stored as `<ip>,<mac>,<version>` (MidoNet's state-table layout).
    for (_, br) in &bridges {
        for entry in store.table(Class::Network, br.id, "ip4_mac_table") {
            let mut parts = entry.split(',');
            if let (Some(ip), Some(mac)) = (parts.next(), parts.next()) {
                if let Ok(ip) = ip.parse() {
                    b.arp_entry(
                        br.id,
                        Ip4Mac {
                            ip,
                            mac: mac.into(),
                        },
                    );
                }
            }
        }
        // MAC entries are `<vlan>/<mac>,<port>,<version>`; the simulator knows no VLANs.
        for entry in store.table(Class::Network, br.id, "mac_table") {
            let Some(("0", name)) = entry.split_once('/') else {
                continue;
            };
            let mut parts = name.split(',');
            if let (Some(mac), Some(port)) = (parts.next(), parts.next()) {
                if let Ok(port_id) = port.parse() {
                    let entry = MacPort {
                        mac_addr: mac.into(),
                        port_id,
                        vlan_id: None,
                    };
                    b.mac_entry(br.id, entry);
                }
            }
        }
    }
    b.build()
        .map_err(|e| ApiError::bad_request(format!("the stored topology cannot be simulated: {e}")))
}

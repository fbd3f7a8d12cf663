//! Renders a desired topology as normalised text for golden files and reviews: one block per
//! object, sorted by kind then key, ids replaced by the keys they derive from, defaults left out,
//! optionally only the objects (and rules) one stage made, so adding a stage changes no other
//! stage's dump.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Desired, Stage};

/// The text of `desired`, restricted to `stage` when given.
pub fn render(desired: &Desired, stage: Option<Stage>) -> String {
    let r = Renderer { desired, stage };
    let mut blocks: Vec<(u8, String, String)> = Vec::new();
    let mut add = |order: u8, id: &Uuid, kind: &str, value: Value, extra: Vec<String>| {
        if !r.wanted(id) {
            return;
        }
        let key = r.key(id);
        let mut text = format!("{kind} {key}{}\n", r.origin(id));
        let fields = r.fields(value);
        if !fields.is_empty() {
            let _ = writeln!(text, "  {fields}");
        }
        for line in extra {
            let _ = writeln!(text, "  {line}");
        }
        blocks.push((order, key, text));
    };
    for (id, o) in &desired.routers {
        add(0, id, "router", json(o), vec![]);
    }
    for (id, o) in &desired.bridges {
        add(1, id, "bridge", json(o), vec![]);
    }
    for (id, o) in &desired.ports {
        let mut extra = Vec::new();
        if let Some(peer) = o.peer {
            extra.push(format!("peer {}", r.key(&peer)));
        }
        if let Some(binding) = &o.binding {
            extra.push(format!(
                "binding host {} interface {}",
                binding.host_id, binding.interface_name
            ));
        }
        add(2, id, "port", json(&o.port), extra);
    }
    for (id, o) in &desired.routes {
        add(3, id, "route", json(o), vec![]);
    }
    for (id, o) in &desired.ip_addr_groups {
        let addrs: Vec<String> = o.addrs.iter().map(|a| a.to_string()).collect();
        add(
            5,
            id,
            "ip_addr_group",
            json(&o.group),
            vec![format!("addrs [{}]", addrs.join(" "))],
        );
    }
    for (id, o) in &desired.port_groups {
        let ports: Vec<String> = o.ports.iter().map(|p| r.key(p)).collect();
        add(
            6,
            id,
            "port_group",
            json(&o.group),
            vec![format!("ports [{}]", ports.join(" "))],
        );
    }
    for (id, o) in &desired.dhcp_subnets {
        let bridge = format!("bridge {}", r.key(&o.bridge));
        add(7, id, "dhcp_subnet", json(&o.subnet), vec![bridge]);
    }
    for (id, o) in &desired.dhcp_hosts {
        let subnet = format!("dhcp_subnet {}", r.key(&o.dhcp_subnet));
        add(8, id, "dhcp_host", json(&o.host), vec![subnet]);
    }
    for (id, o) in &desired.ip4_macs {
        let bridge = format!("bridge {}", r.key(&o.bridge));
        add(9, id, "arp_entry", json(&o.entry), vec![bridge]);
    }
    for (id, o) in &desired.mac_ports {
        let bridge = format!("bridge {}", r.key(&o.bridge));
        add(10, id, "mac_entry", json(&o.entry), vec![bridge]);
    }
    for (id, o) in &desired.bgp_peers {
        add(11, id, "bgp_peer", json(o), vec![]);
    }
    for (id, o) in &desired.bgp_networks {
        add(12, id, "bgp_network", json(o), vec![]);
    }
    // Chains: shown when they or any of their rules belong to the stage; rules keep their
    // position numbers so order is visible even when filtered.
    for (id, o) in &desired.chains {
        let rules: Vec<&topology::Rule> = o
            .rules
            .iter()
            .map(|rule| &**rule)
            .filter(|rule| r.wanted(&rule.id))
            .collect();
        if !r.wanted(id) && rules.is_empty() {
            continue;
        }
        let key = r.key(id);
        let mut text = format!("chain {key}{}\n", r.origin(id));
        let fields = r.fields(json(&o.chain));
        if !fields.is_empty() {
            let _ = writeln!(text, "  {fields}");
        }
        for rule in rules {
            let _ = writeln!(
                text,
                "  {}. {}{}\n     {}",
                rule.position,
                r.key(&rule.id),
                r.origin(&rule.id),
                r.fields(json(rule))
            );
        }
        blocks.push((4, key, text));
    }
    blocks.sort();
    let mut out = String::new();
    for (_, _, text) in blocks {
        out.push_str(&text);
    }
    if stage.is_none() && !desired.diagnostics.is_empty() {
        out.push_str("diagnostics\n");
        for d in &desired.diagnostics {
            let _ = writeln!(out, "  {d}");
        }
    }
    out
}

struct Renderer<'a> {
    desired: &'a Desired,
    stage: Option<Stage>,
}

impl Renderer<'_> {
    fn wanted(&self, id: &Uuid) -> bool {
        match self.stage {
            None => true,
            Some(stage) => self
                .desired
                .origins
                .get(id)
                .is_some_and(|o| o.stage == stage),
        }
    }

    fn key(&self, id: &Uuid) -> String {
        self.desired
            .key(*id)
            .map_or_else(|| id.to_string(), str::to_owned)
    }

    fn origin(&self, id: &Uuid) -> String {
        self.desired
            .origins
            .get(id)
            .map_or_else(String::new, |o| format!("  ({} {})", o.stage, o.gni_id))
    }

    /// `name=value` for every field that says something, sorted by name, ids as keys.
    fn fields(&self, value: Value) -> String {
        let Value::Object(map) = value else {
            return String::new();
        };
        let mut fields = BTreeMap::new();
        for (name, v) in map {
            let implied = matches!(
                name.as_str(),
                "id" | "name" | "chainId" | "position" | "jumpChainName"
            );
            let default = matches!(&v, Value::Null | Value::Bool(false))
                || matches!(&v, Value::Array(a) if a.is_empty())
                || (name == "adminStateUp" && v == Value::Bool(true))
                || (name == "asNumber" && v == 0)
                || (name == "weight" && v == 0);
            if !implied && !default {
                fields.insert(name, self.value(v));
            }
        }
        fields
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn value(&self, v: Value) -> String {
        match v {
            Value::String(s) => match Uuid::parse_str(&s) {
                Ok(id) => self.key(&id),
                Err(_) => s,
            },
            Value::Array(items) => {
                let items: Vec<String> = items.into_iter().map(|i| self.value(i)).collect();
                format!("[{}]", items.join(" "))
            }
            Value::Object(_) => {
                let inner = self.fields(v);
                format!("{{{inner}}}")
            }
            other => other.to_string(),
        }
    }
}

fn json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

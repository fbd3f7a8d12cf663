//! Turns stored objects into API representations: server-owned fields removed, and the `uri`
//! and link fields MidoNet clients navigate by (`ports`, `routes`, `rules`, `peer`, ...) added.

use serde_json::{Map, Value};
use topology::Class;

use crate::http::Base;

fn id_of(v: &Value, field: &str) -> Option<String> {
    v.get(field).and_then(Value::as_str).map(str::to_string)
}

/// The collection segment of a top-level class.
pub fn collection(class: Class) -> &'static str {
    match class {
        Class::Router => "routers",
        Class::Network => "bridges",
        Class::Port => "ports",
        Class::Chain => "chains",
        Class::Rule => "rules",
        Class::Route => "routes",
        Class::IpAddrGroup => "ip_addr_groups",
        Class::PortGroup => "port_groups",
        Class::Host => "hosts",
        Class::TunnelZone => "tunnel_zones",
        Class::BgpPeer => "bgp_peers",
        Class::BgpNetwork => "bgp_networks",
        Class::Dhcp => "dhcp",
        Class::SystemState => "system_state",
    }
}

/// `<base>/<collection>/<id>`.
pub fn object_uri(base: &Base, class: Class, id: &str) -> String {
    base.uri(&format!("/{}/{id}", collection(class)))
}

/// The API form of a stored object of a top-level class.
pub fn render(base: &Base, class: Class, stored: &Value) -> Value {
    let mut out: Map<String, Value> = stored.as_object().cloned().unwrap_or_default();
    for f in class.internal_fields() {
        out.remove(*f);
    }
    let Some(id) = id_of(stored, "id") else {
        return Value::Object(out);
    };
    let me = object_uri(base, class, &id);
    let link = |path: &str| Value::String(format!("{me}/{path}"));
    let to = |c: Class, field: &str| {
        id_of(stored, field).map(|t| Value::String(object_uri(base, c, &t)))
    };
    let mut links: Vec<(&str, Option<Value>)> = vec![("uri", Some(Value::String(me.clone())))];
    match class {
        Class::Router => links.extend([
            ("ports", Some(link("ports"))),
            ("peerPorts", Some(link("peer_ports"))),
            ("routes", Some(link("routes"))),
            ("bgpPeers", Some(link("bgp_peers"))),
            ("bgpNetworks", Some(link("bgp_networks"))),
            ("inboundFilter", to(Class::Chain, "inboundFilterId")),
            ("outboundFilter", to(Class::Chain, "outboundFilterId")),
        ]),
        Class::Network => links.extend([
            ("ports", Some(link("ports"))),
            ("peerPorts", Some(link("peer_ports"))),
            ("macTable", Some(link("mac_table"))),
            ("arpTable", Some(link("arp_table"))),
            ("dhcpSubnets", Some(link("dhcp"))),
            (
                "macPortTemplate",
                Some(link("mac_table/{macAddress}_{portId}")),
            ),
            (
                "vlanMacTableTemplate",
                Some(link("vlans/{vlanId}/mac_table")),
            ),
            (
                "vlanMacPortTemplate",
                Some(link("vlans/{vlanId}/mac_table/{macAddress}_{portId}")),
            ),
            ("inboundFilter", to(Class::Chain, "inboundFilterId")),
            ("outboundFilter", to(Class::Chain, "outboundFilterId")),
        ]),
        Class::Port => {
            let device = match stored.get("type").and_then(Value::as_str) {
                Some("Router") => Class::Router,
                _ => Class::Network,
            };
            let binding = id_of(stored, "hostId")
                .map(|h| Value::String(base.uri(&format!("/hosts/{h}/ports/{id}"))));
            links.extend([
                ("device", to(device, "deviceId")),
                ("link", Some(link("link"))),
                ("portGroups", Some(link("port_groups"))),
                ("peer", to(Class::Port, "peerId")),
                ("host", to(Class::Host, "hostId")),
                ("hostInterfacePort", binding),
                ("inboundFilter", to(Class::Chain, "inboundFilterId")),
                ("outboundFilter", to(Class::Chain, "outboundFilterId")),
            ]);
        }
        Class::Chain => links.push(("rules", Some(link("rules")))),
        Class::Rule => links.push(("chain", to(Class::Chain, "chainId"))),
        Class::Route => links.push(("router", to(Class::Router, "routerId"))),
        Class::IpAddrGroup => links.push(("addrs", Some(link("ip_addrs")))),
        Class::PortGroup => links.push(("ports", Some(link("ports")))),
        Class::Host => links.extend([
            ("interfaces", Some(link("interfaces"))),
            ("ports", Some(link("ports"))),
        ]),
        Class::TunnelZone => links.push(("hosts", Some(link("hosts")))),
        Class::BgpPeer | Class::BgpNetwork => links.push(("router", to(Class::Router, "routerId"))),
        Class::Dhcp | Class::SystemState => {}
    }
    for (name, value) in links {
        if let Some(v) = value {
            out.insert(name.to_string(), v);
        }
    }
    Value::Object(out)
}

/// Adds `uri` and further links to a value object (memberships, bindings, DHCP entries).
pub fn with_links(mut v: Value, links: &[(&str, String)]) -> Value {
    if let Some(map) = v.as_object_mut() {
        for (k, uri) in links {
            map.insert(k.to_string(), Value::String(uri.clone()));
        }
    }
    v
}

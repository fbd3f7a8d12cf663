//! Turns stored objects into API representations: server-owned fields removed, and the `uri`
//! and link fields MidoNet clients navigate by (`ports`, `routes`, `rules`, `peer`, ...) added.

use std::fmt;

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};
use topology::Class;

use crate::http::Base;

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

/// A link field's URI, written when serialized instead of built as a string first (a list of
/// ten thousand objects has tens of thousands of links).
#[derive(Clone, Copy)]
enum Uri<'a> {
    /// `<base>/<collection>/<id><suffix>`.
    Object(&'a Base, Class, &'a str, &'static str),
    /// `<base>/hosts/<host>/ports/<port>`: a port's binding.
    Binding(&'a Base, &'a str, &'a str),
}

impl fmt::Display for Uri<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Uri::Object(base, class, id, suffix) => {
                write!(f, "{}/{}/{id}{suffix}", base.0, collection(class))
            }
            Uri::Binding(base, host, port) => write!(f, "{}/hosts/{host}/ports/{port}", base.0),
        }
    }
}

impl Serialize for Uri<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The `uri` and link fields of a stored object of a top-level class, MidoNet's names.
fn links<'a>(base: &'a Base, class: Class, stored: &'a Value) -> Vec<(&'static str, Uri<'a>)> {
    let Some(id) = stored.get("id").and_then(Value::as_str) else {
        return Vec::new();
    };
    let link = |suffix: &'static str| Some(Uri::Object(base, class, id, suffix));
    let to = |c: Class, field: &str| {
        stored
            .get(field)
            .and_then(Value::as_str)
            .map(|t| Uri::Object(base, c, t, ""))
    };
    let mut links: Vec<(&'static str, Option<Uri<'a>>)> = Vec::with_capacity(12);
    match class {
        Class::Router => links.extend([
            ("ports", link("/ports")),
            ("peerPorts", link("/peer_ports")),
            ("routes", link("/routes")),
            ("bgpPeers", link("/bgp_peers")),
            ("bgpNetworks", link("/bgp_networks")),
            ("inboundFilter", to(Class::Chain, "inboundFilterId")),
            ("outboundFilter", to(Class::Chain, "outboundFilterId")),
        ]),
        Class::Network => links.extend([
            ("ports", link("/ports")),
            ("peerPorts", link("/peer_ports")),
            ("macTable", link("/mac_table")),
            ("arpTable", link("/arp_table")),
            ("dhcpSubnets", link("/dhcp")),
            ("macPortTemplate", link("/mac_table/{macAddress}_{portId}")),
            ("vlanMacTableTemplate", link("/vlans/{vlanId}/mac_table")),
            (
                "vlanMacPortTemplate",
                link("/vlans/{vlanId}/mac_table/{macAddress}_{portId}"),
            ),
            ("inboundFilter", to(Class::Chain, "inboundFilterId")),
            ("outboundFilter", to(Class::Chain, "outboundFilterId")),
        ]),
        Class::Port => {
            let device = match stored.get("type").and_then(Value::as_str) {
                Some("Router") => Class::Router,
                _ => Class::Network,
            };
            let binding = stored
                .get("hostId")
                .and_then(Value::as_str)
                .map(|h| Uri::Binding(base, h, id));
            links.extend([
                ("device", to(device, "deviceId")),
                ("link", link("/link")),
                ("portGroups", link("/port_groups")),
                ("peer", to(Class::Port, "peerId")),
                ("host", to(Class::Host, "hostId")),
                ("hostInterfacePort", binding),
                ("inboundFilter", to(Class::Chain, "inboundFilterId")),
                ("outboundFilter", to(Class::Chain, "outboundFilterId")),
            ]);
        }
        Class::Chain => links.push(("rules", link("/rules"))),
        Class::Rule => links.push(("chain", to(Class::Chain, "chainId"))),
        Class::Route => links.push(("router", to(Class::Router, "routerId"))),
        Class::IpAddrGroup => links.push(("addrs", link("/ip_addrs"))),
        Class::PortGroup => links.push(("ports", link("/ports"))),
        Class::Host => links.extend([
            ("interfaces", link("/interfaces")),
            ("ports", link("/ports")),
        ]),
        Class::TunnelZone => links.push(("hosts", link("/hosts"))),
        Class::BgpPeer | Class::BgpNetwork => links.push(("router", to(Class::Router, "routerId"))),
        Class::Dhcp | Class::SystemState => {}
    }
    let mut out: Vec<(&'static str, Uri<'a>)> = links
        .into_iter()
        .filter_map(|(k, v)| Some((k, v?)))
        .collect();
    out.push(("uri", Uri::Object(base, class, id, "")));
    out
}

/// A stored object as the API shows it, serialized straight from the stored form: internal
/// fields skipped, links added, nothing copied (lists of thousands are served this way).
pub struct Rendered<'a> {
    pub base: &'a Base,
    pub class: Class,
    pub stored: &'a Value,
}

impl Serialize for Rendered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let internal = self.class.internal_fields();
        let links = links(self.base, self.class, self.stored);
        let mut map = serializer.serialize_map(None)?;
        if let Some(fields) = self.stored.as_object() {
            for (k, v) in fields {
                if !internal.contains(&k.as_str()) && !links.iter().any(|(l, _)| l == k) {
                    map.serialize_entry(k, v)?;
                }
            }
        }
        for (k, v) in &links {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// The API form of a stored object of a top-level class, as a value to adjust further.
pub fn render(base: &Base, class: Class, stored: &Value) -> Value {
    let mut out: Map<String, Value> = stored.as_object().cloned().unwrap_or_default();
    for f in class.internal_fields() {
        out.remove(*f);
    }
    for (k, v) in links(base, class, stored) {
        out.insert(k.to_string(), Value::String(v.to_string()));
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

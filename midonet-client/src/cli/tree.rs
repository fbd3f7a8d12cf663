//! `tree` (ours, not MidoNet's): one router or bridge with what hangs off it, the picture
//! operators otherwise assemble from several `list` commands. A router shows its ports, each
//! port's peer and the bridge (or router) behind it, and that bridge's other ports; a bridge
//! shows its ports, the routers they link to, and for each exterior port the host and
//! interface it is bound to. Names are aliases, or UUIDs where aliases are off.

use std::rc::Rc;

use midonet_client::media;

use super::error::{CliError, CliResult};
use super::json::Json;
use super::objects::{dereference, get_by_id, Obj};
use super::schema::{Kind, Vt};
use super::session::{Output, Session};

/// One line of the tree, its JSON form, and what hangs under it.
struct Node {
    text: String,
    json: Json,
    children: Vec<Node>,
}

/// Prints the tree of a router or a bridge.
pub fn show(s: &Session, obj: Rc<Obj>) -> CliResult<()> {
    let node = match obj.kind {
        Kind::Router => router(s, &obj)?,
        Kind::Bridge => bridge(s, &obj, None)?,
        other => {
            return Err(CliError::internal(format!(
                "tree shows a router or a bridge, not a {}",
                other.type_name()
            )))
        }
    };
    match s.output {
        Output::Json => s.println(&to_json(node).to_json_pretty()),
        Output::Text => {
            let mut lines = Vec::new();
            render(&node, 0, &mut lines);
            for line in lines {
                s.println(&line);
            }
        }
    }
    Ok(())
}

fn render(node: &Node, depth: usize, lines: &mut Vec<String>) {
    lines.push(format!("{}{}", "  ".repeat(depth), node.text));
    for child in &node.children {
        render(child, depth + 1, lines);
    }
}

fn to_json(node: Node) -> Json {
    let mut json = node.json;
    if !node.children.is_empty() {
        json.set(
            "children",
            Json::Arr(node.children.into_iter().map(to_json).collect()),
        );
    }
    json
}

/// The alias of `obj` within `parent` (or at the root), or its id.
fn name(s: &Session, parent: Option<&Rc<Obj>>, obj: &Rc<Obj>) -> String {
    let mut links = Vec::new();
    if let Some(p) = parent {
        links.push(p.chain_link());
    }
    links.push(obj.chain_link());
    let names = s.aliases.borrow_mut().add(&links);
    names.last().cloned().unwrap_or_else(|| id(obj))
}

fn id(obj: &Obj) -> String {
    obj.dto.get_some("id").map(Json::py_str).unwrap_or_default()
}

fn text_of(s: &Session, obj: &Obj, field: &str) -> CliResult<Option<String>> {
    Ok(obj.fetch_field(s, field)?.map(|v| v.py_str()))
}

/// `<type> <name> <fields>` of a device, as `list` prints it.
fn device_line(s: &Session, obj: &Rc<Obj>) -> CliResult<String> {
    Ok(format!(
        "{} {} {}",
        obj.kind.type_name(),
        name(s, None, obj),
        obj.describe(s)?
    ))
}

/// `name X` of a device, for the short mentions.
fn device_mention(s: &Session, obj: &Rc<Obj>) -> CliResult<String> {
    let mut text = format!("{} {}", obj.kind.type_name(), name(s, None, obj));
    if let Some(n) = text_of(s, obj, "name")? {
        text.push_str(&format!(" name {n}"));
    }
    Ok(text)
}

/// A port's own address words: `address A net N` for router ports, `vlan V` for a tagged
/// bridge port.
fn port_words(s: &Session, port: &Obj) -> CliResult<String> {
    let mut words = Vec::new();
    let fields: &[&str] = match port.kind {
        Kind::RouterPort => &["address", "net"],
        _ => &["vlan"],
    };
    for field in fields {
        if let Some(v) = text_of(s, port, field)? {
            if *field == "vlan" && v == "0" {
                continue;
            }
            words.push(format!("{field} {v}"));
        }
    }
    Ok(words.join(" "))
}

fn router(s: &Session, router: &Rc<Obj>) -> CliResult<Node> {
    let mut children = Vec::new();
    for port in router.fetch_all(s, "port", &[])? {
        children.push(port_node(s, router, &port, true)?);
    }
    device_node(s, router, children)
}

/// A device's own line and JSON, with its ports under it.
fn device_node(s: &Session, device: &Rc<Obj>, children: Vec<Node>) -> CliResult<Node> {
    Ok(Node {
        text: device_line(s, device)?,
        json: Json::Obj(vec![(device.kind.type_name().into(), device.dto.clone())]),
        children,
    })
}

/// `port <name> <address words>` and the port's JSON.
fn port_head(s: &Session, device: &Rc<Obj>, port: &Rc<Obj>) -> CliResult<(String, Json)> {
    let mut text = format!("port {}", name(s, Some(device), port));
    let words = port_words(s, port)?;
    if !words.is_empty() {
        text.push(' ');
        text.push_str(&words);
    }
    Ok((text, Json::Obj(vec![("port".into(), port.dto.clone())])))
}

/// A port: its peer and the peer's device, or the host interface it is bound to. A bridge
/// reached from a router (`expand`) shows its other ports under the port.
fn port_node(s: &Session, device: &Rc<Obj>, port: &Rc<Obj>, expand: bool) -> CliResult<Node> {
    let (mut text, mut json) = port_head(s, device, port)?;
    let mut children = Vec::new();
    match peer_of(s, port)? {
        Some((peer, peer_device)) => {
            text.push_str(&format!(
                " -> {} (port {}",
                device_mention(s, &peer_device)?,
                name(s, Some(&peer_device), &peer)
            ));
            let words = port_words(s, &peer)?;
            if !words.is_empty() {
                text.push(' ');
                text.push_str(&words);
            }
            text.push(')');
            json.set("peer", peer.dto.clone());
            if expand && peer_device.kind == Kind::Bridge {
                let node = bridge(s, &peer_device, Some(&peer))?;
                json.set("bridge", node.json);
                children = node.children;
            } else {
                json.set(peer_device.kind.type_name(), peer_device.dto.clone());
            }
        }
        None => {
            let (binding, binding_json) = binding_of(s, port)?;
            text.push_str(&binding);
            if let Some(b) = binding_json {
                json.set("binding", b);
            }
        }
    }
    Ok(Node {
        text,
        json,
        children,
    })
}

/// A bridge's ports; `except` is the port the bridge was reached through.
fn bridge(s: &Session, bridge: &Rc<Obj>, except: Option<&Rc<Obj>>) -> CliResult<Node> {
    let skip = except.map(|p| id(p));
    let mut children = Vec::new();
    for port in bridge.fetch_all(s, "port", &[])? {
        if skip.as_deref() == Some(id(&port).as_str()) {
            continue;
        }
        children.push(port_node(s, bridge, &port, false)?);
    }
    device_node(s, bridge, children)
}

/// The port linked to `port` and its device.
fn peer_of(s: &Session, port: &Obj) -> CliResult<Option<(Rc<Obj>, Rc<Obj>)>> {
    let Some(peer_id) = port.dto.get_some("peerId").map(Json::py_str) else {
        return Ok(None);
    };
    let Some(peer) = dereference(s, Vt::PortRef, &peer_id)? else {
        return Ok(None);
    };
    let device = peer.parent.clone();
    Ok(device.map(|d| (peer, d)))
}

/// ` host H (name) interface I` for an exterior port, ` unplugged` otherwise.
fn binding_of(s: &Session, port: &Obj) -> CliResult<(String, Option<Json>)> {
    let (Some(host_id), Some(interface)) = (
        port.dto.get_some("hostId").map(Json::py_str),
        port.dto.get_some("interfaceName").map(Json::py_str),
    ) else {
        return Ok((" unplugged".to_string(), None));
    };
    let host = get_by_id(s, "hostTemplate", Some("hosts"), &host_id, media::HOST)?;
    let (label, host_json) = match host {
        Some(dto) => {
            let host = Rc::new(Obj::new(Kind::Host, dto));
            let mut label = format!("host {}", name(s, None, &host));
            if let Some(n) = text_of(s, &host, "name")? {
                label.push_str(&format!(" ({n})"));
            }
            (label, host.dto.clone())
        }
        None => (format!("host {host_id}"), Json::Null),
    };
    let json = Json::Obj(vec![
        ("host".into(), host_json),
        ("hostId".into(), Json::Str(host_id)),
        ("interfaceName".into(), Json::str(interface.clone())),
    ]);
    Ok((format!(" {label} interface {interface}"), Some(json)))
}

#[cfg(test)]
mod tests {
    use crate::cli::commands::{grammar, run_line};
    use crate::cli::fake::{uuid, Fake};
    use crate::cli::session::Output;

    /// A router whose two ports lead to a bridge (with a VM bound on a host and an unbound
    /// port) and to another router.
    fn topology() -> Fake {
        let fake = Fake::new();
        let r = fake.router(1, "edge");
        let r2 = fake.router(3, "core");
        let b = fake.bridge(2, "vpc-net");
        let h = fake.host(5, "node1");
        fake.port(
            11,
            &r,
            Some("10.0.0.1"),
            &format!(r#""peerId": "{}""#, uuid(21)),
        );
        fake.port(
            12,
            &r,
            Some("192.0.2.1"),
            &format!(r#""peerId": "{}""#, uuid(31)),
        );
        fake.port(
            31,
            &r2,
            Some("192.0.2.2"),
            &format!(r#""peerId": "{}""#, uuid(12)),
        );
        fake.port(21, &b, None, &format!(r#""peerId": "{}""#, uuid(11)));
        fake.port(
            22,
            &b,
            None,
            &format!(r#""hostId": "{h}", "interfaceName": "tap0""#),
        );
        fake.port(23, &b, None, "");
        fake
    }

    fn tree(aliases: bool, output: Output, line: &str) -> String {
        let (s, out) = topology().session(aliases, output);
        let outcome = run_line(&s, &grammar(), line);
        assert_eq!(outcome.succeeded, Some(true), "{line}");
        let text = String::from_utf8_lossy(&out.borrow()).into_owned();
        text
    }

    #[test]
    fn a_router_tree_shows_ports_peers_bridges_and_bound_ports() {
        let text = tree(true, Output::Text, &format!("tree router {}", uuid(1)));
        assert_eq!(
            text,
            "router router0 name edge state up asn 0\n\
             \x20 port port0 address 10.0.0.1 net 10.0.0.1/24 -> bridge bridge0 name vpc-net (port port0)\n\
             \x20   port port1 host host0 (node1) interface tap0\n\
             \x20   port port2 unplugged\n\
             \x20 port port1 address 192.0.2.1 net 192.0.2.1/24 -> router router1 name core (port port0 address 192.0.2.2 net 192.0.2.2/24)\n"
        );
    }

    #[test]
    fn a_bridge_tree_names_uuids_when_aliases_are_off() {
        let b = uuid(2);
        let text = tree(false, Output::Text, &format!("bridge {b} tree"));
        assert_eq!(
            text,
            format!(
                "bridge {b} name vpc-net state up\n\
                 \x20 port {} -> router {} name edge (port {} address 10.0.0.1 net 10.0.0.1/24)\n\
                 \x20 port {} host {} (node1) interface tap0\n\
                 \x20 port {} unplugged\n",
                uuid(21),
                uuid(1),
                uuid(11),
                uuid(22),
                uuid(5),
                uuid(23)
            )
        );
    }

    #[test]
    fn a_tree_as_json_nests_what_hangs_off_each_port() {
        let text = tree(false, Output::Json, &format!("tree router {}", uuid(1)));
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(doc["router"]["name"], "edge");
        let ports = doc["children"].as_array().cloned().unwrap_or_default();
        assert_eq!(ports.len(), 2, "{text}");
        assert_eq!(ports[0]["bridge"]["bridge"]["name"], "vpc-net");
        assert_eq!(ports[0]["children"][0]["binding"]["interfaceName"], "tap0");
        assert_eq!(ports[0]["children"][0]["binding"]["host"]["name"], "node1");
        assert_eq!(ports[1]["router"]["name"], "core");
    }

    #[test]
    fn only_routers_and_bridges_have_trees() {
        let (s, out) = topology().session(false, Output::Text);
        let outcome = run_line(&s, &grammar(), &format!("tree host {}", uuid(5)));
        assert_eq!(outcome.succeeded, Some(false));
        assert_eq!(
            String::from_utf8_lossy(&out.borrow()),
            "Internal error: tree shows a router or a bridge, not a host\n"
        );
    }
}

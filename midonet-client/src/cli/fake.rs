//! An in-memory stand-in for a MidoNet API, for the CLI's unit tests: objects by URI, lists
//! of member URIs, creates that assign ids, and a record of every request.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::rc::Rc;

use midonet_client::Media;

use super::error::{CliError, CliResult};
use super::json::Json;
use super::session::{Backend, Output, Session};

pub const BASE: &str = "http://fake/midonet-api";

#[derive(Default)]
pub struct Fake {
    root: Json,
    objects: RefCell<HashMap<String, Json>>,
    lists: RefCell<HashMap<String, Vec<String>>>,
    pub requests: Rc<RefCell<Vec<String>>>,
    next_id: RefCell<u32>,
}

/// A UUID that reads as a number, for fixtures.
pub fn uuid(n: u32) -> String {
    format!("00000000-0000-0000-0000-{n:012}")
}

impl Fake {
    pub fn new() -> Fake {
        let mut root = Json::object();
        for (key, path) in [
            ("routers", "routers"),
            ("bridges", "bridges"),
            ("ports", "ports"),
            ("chains", "chains"),
            ("hosts", "hosts"),
            ("portGroups", "port_groups"),
            ("ipAddrGroups", "ip_addr_groups"),
            ("tunnelZones", "tunnel_zones"),
            ("tenants", "tenants"),
        ] {
            root.set(key, Json::str(format!("{BASE}/{path}")));
        }
        for (key, path) in [
            ("routerTemplate", "routers"),
            ("bridgeTemplate", "bridges"),
            ("portTemplate", "ports"),
            ("chainTemplate", "chains"),
            ("ruleTemplate", "rules"),
            ("routeTemplate", "routes"),
            ("hostTemplate", "hosts"),
            ("portGroupTemplate", "port_groups"),
            ("ipAddrGroupTemplate", "ip_addr_groups"),
            ("tunnelZoneTemplate", "tunnel_zones"),
        ] {
            root.set(key, Json::str(format!("{BASE}/{path}/{{id}}")));
        }
        root.set("systemState", Json::str(format!("{BASE}/system_state")));
        let fake = Fake {
            root,
            next_id: RefCell::new(900),
            ..Fake::default()
        };
        for path in [
            "routers",
            "bridges",
            "ports",
            "chains",
            "hosts",
            "port_groups",
            "ip_addr_groups",
            "tunnel_zones",
            "tenants",
        ] {
            fake.empty_list(&format!("{BASE}/{path}"));
        }
        fake
    }

    /// Stores `dto` at its `uri` and lists it under each of `lists`.
    pub fn put(&self, dto: Json, lists: &[&str]) {
        let uri = dto.get_str("uri").unwrap_or_default().to_string();
        for list in lists {
            self.lists
                .borrow_mut()
                .entry(list.to_string())
                .or_default()
                .push(uri.clone());
        }
        self.objects.borrow_mut().insert(uri, dto);
    }

    /// An empty list at `uri` (a collection with nothing in it yet).
    pub fn empty_list(&self, uri: &str) {
        self.lists.borrow_mut().entry(uri.to_string()).or_default();
    }

    pub fn object(&self, uri: &str) -> Option<Json> {
        self.objects.borrow().get(uri).cloned()
    }

    fn log(&self, line: String) {
        self.requests.borrow_mut().push(line);
    }

    /// A session over this fake, printing into the returned buffer.
    pub fn session(self, aliases: bool, output: Output) -> (Session, Rc<RefCell<Vec<u8>>>) {
        let buffer = Rc::new(RefCell::new(Vec::new()));
        let out = Box::new(SharedBuffer(buffer.clone()));
        let session = super::test_session(Box::new(self), aliases, output, out);
        (session, buffer)
    }
}

fn not_found(uri: &str) -> CliError {
    CliError::Internal(format!(r#"{{"message":"{uri} not found","code":404}}"#))
}

impl Backend for Fake {
    fn root(&self) -> &Json {
        &self.root
    }

    fn get(&self, uri: &str, _media: Media) -> CliResult<Json> {
        self.log(format!("GET {uri}"));
        self.object(uri).ok_or_else(|| not_found(uri))
    }

    fn list(&self, uri: &str, _media: Media, query: Option<(&str, &str)>) -> CliResult<Vec<Json>> {
        let shown = match query {
            Some((k, v)) => format!("{uri}?{k}={v}"),
            None => uri.to_string(),
        };
        self.log(format!("GET {shown}"));
        let lists = self.lists.borrow();
        let members = lists.get(uri).ok_or_else(|| not_found(uri))?;
        Ok(members.iter().filter_map(|m| self.object(m)).collect())
    }

    fn create(&self, uri: &str, _media: Media, body: &Json) -> CliResult<Json> {
        self.log(format!("POST {uri} {}", body.to_json_string()));
        let mut dto = body.clone();
        if dto.get("id").is_none() {
            let mut n = self.next_id.borrow_mut();
            *n += 1;
            dto.set("id", Json::str(uuid(*n)));
        }
        let id = dto.get_str("id").unwrap_or_default().to_string();
        // Ports, routes and rules live at the top (`{BASE}/ports/<id>`), listed under their
        // device too; a port knows its device and has a link.
        let segments: Vec<&str> = uri.rsplitn(3, '/').collect();
        let top = segments[0];
        if matches!(top, "ports" | "routes" | "rules") {
            let own = format!("{BASE}/{top}/{id}");
            dto.set("uri", Json::str(own.clone()));
            if top == "ports" {
                dto.set(
                    "deviceId",
                    Json::str(segments.get(1).copied().unwrap_or_default()),
                );
                dto.set("link", Json::str(format!("{own}/link")));
                self.put(dto.clone(), &[uri, &format!("{BASE}/ports")]);
            } else {
                self.put(dto.clone(), &[uri]);
            }
        } else {
            dto.set("uri", Json::str(format!("{uri}/{id}")));
            self.put(dto.clone(), &[uri]);
        }
        Ok(dto)
    }

    fn post(&self, uri: &str, _content_type: &'static str, body: &Json) -> CliResult<()> {
        self.log(format!("POST {uri} {}", body.to_json_string()));
        Ok(())
    }

    fn update(&self, uri: &str, _media: Media, body: &Json) -> CliResult<Json> {
        self.log(format!("PUT {uri} {}", body.to_json_string()));
        self.objects
            .borrow_mut()
            .insert(uri.to_string(), body.clone());
        Ok(body.clone())
    }

    fn delete(&self, uri: &str) -> CliResult<()> {
        self.log(format!("DELETE {uri}"));
        if uri.ends_with("/link") {
            return Ok(());
        }
        self.objects
            .borrow_mut()
            .remove(uri)
            .map(|_| ())
            .ok_or_else(|| not_found(uri))?;
        for members in self.lists.borrow_mut().values_mut() {
            members.retain(|m| m != uri);
        }
        Ok(())
    }
}

/// A writer tests read back.
pub struct SharedBuffer(pub Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Parses a JSON fixture.
pub fn json(text: &str) -> Json {
    Json::parse(text.as_bytes()).unwrap_or_else(|e| panic!("bad fixture {text}: {e}"))
}

/// Fixture builders: MidoNet-shaped objects with their links, stored and listed where the
/// API lists them. Each returns the new object's id.
impl Fake {
    fn device(&self, collection: &str, n: u32, fields: &str, links: &[(&str, &str)]) -> String {
        let id = uuid(n);
        let uri = format!("{BASE}/{collection}/{id}");
        let mut dto = json(&format!(r#"{{"id": "{id}", {fields}}}"#));
        for (key, path) in links {
            let link = format!("{uri}/{path}");
            self.empty_list(&link);
            dto.set(key, Json::str(link));
        }
        dto.set("uri", Json::str(uri));
        self.put(dto, &[&format!("{BASE}/{collection}")]);
        id
    }

    pub fn router(&self, n: u32, name: &str) -> String {
        self.device(
            "routers",
            n,
            &format!(
                r#""name": "{name}", "adminStateUp": true, "inboundFilterId": null, "asNumber": 0"#
            ),
            &[("ports", "ports"), ("routes", "routes")],
        )
    }

    pub fn bridge(&self, n: u32, name: &str) -> String {
        self.device(
            "bridges",
            n,
            &format!(r#""name": "{name}", "adminStateUp": true, "inboundFilterId": null"#),
            &[("ports", "ports"), ("dhcpSubnets", "dhcp")],
        )
    }

    pub fn host(&self, n: u32, name: &str) -> String {
        self.device(
            "hosts",
            n,
            &format!(r#""name": "{name}", "alive": true, "addresses": ["10.0.0.11"]"#),
            &[("ports", "ports"), ("interfaces", "interfaces")],
        )
    }

    pub fn chain(&self, n: u32, name: &str) -> String {
        self.device(
            "chains",
            n,
            &format!(r#""name": "{name}""#),
            &[("rules", "rules")],
        )
    }

    /// A port of `device` (a router when `address` is given, else a bridge); `extra` is more
    /// JSON fields (`"peerId": ...`, `"hostId": ...`).
    pub fn port(&self, n: u32, device: &str, address: Option<&str>, extra: &str) -> String {
        let id = uuid(n);
        let uri = format!("{BASE}/ports/{id}");
        let (kind, devices, fields) = match address {
            Some(a) => (
                "Router",
                "routers",
                format!(
                    r#""portMac": "02:00:00:00:00:{n:02}", "portAddress": "{a}", "networkAddress": "{a}", "networkLength": 24"#
                ),
            ),
            None => ("Bridge", "bridges", r#""vlanId": 0"#.to_string()),
        };
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(", {extra}")
        };
        let dto = json(&format!(
            r#"{{"id": "{id}", "type": "{kind}", "deviceId": "{device}", "adminStateUp": true,
                "active": false, {fields}, "peerId": null, "uri": "{uri}",
                "link": "{uri}/link"{extra}}}"#
        ));
        self.put(
            dto,
            &[
                &format!("{BASE}/ports"),
                &format!("{BASE}/{devices}/{device}/ports"),
            ],
        );
        id
    }

    /// A rule of `chain` with the given JSON fields.
    pub fn rule(&self, n: u32, chain: &str, fields: &str) -> String {
        let id = uuid(n);
        let uri = format!("{BASE}/rules/{id}");
        let dto = json(&format!(
            r#"{{"id": "{id}", "chainId": "{chain}", "condInvert": false, "noVlan": false, {fields}, "uri": "{uri}"}}"#
        ));
        self.put(dto, &[&format!("{BASE}/chains/{chain}/rules")]);
        id
    }
}

//! The OpenAPI 3 document of the API, served at `/midonet-api/openapi.json`, built from the
//! same route table the server uses, so it cannot drift from what is served.

use axum::routing::get;
use axum::Json;
use serde_json::{json, Map, Value};

use crate::api::AppState;

/// `(method, path, summary)` of every endpoint; paths are relative to `/midonet-api`.
pub const ENDPOINTS: &[(&str, &str, &str)] = &[
    (
        "get",
        "/",
        "The root resource: version, collection URIs and templates",
    ),
    ("get", "/routers", "List routers (?tenant_id= filters)"),
    ("post", "/routers", "Create a router"),
    ("get", "/routers/{id}", "Show a router"),
    ("put", "/routers/{id}", "Update a router"),
    (
        "delete",
        "/routers/{id}",
        "Delete a router, its ports, routes and BGP objects",
    ),
    ("get", "/routers/{id}/ports", "List a router's ports"),
    (
        "post",
        "/routers/{id}/ports",
        "Create a router port (gets a Local route to its address)",
    ),
    (
        "get",
        "/routers/{id}/peer_ports",
        "List the ports linked to a router's ports",
    ),
    ("get", "/routers/{id}/routes", "List a router's routes"),
    ("post", "/routers/{id}/routes", "Create a route"),
    (
        "get",
        "/routers/{id}/bgp_peers",
        "List a router's BGP peers",
    ),
    ("post", "/routers/{id}/bgp_peers", "Create a BGP peer"),
    (
        "get",
        "/routers/{id}/bgp_networks",
        "List a router's announced networks",
    ),
    (
        "post",
        "/routers/{id}/bgp_networks",
        "Create an announced network",
    ),
    ("get", "/bridges", "List bridges (?tenant_id= filters)"),
    ("post", "/bridges", "Create a bridge"),
    ("get", "/bridges/{id}", "Show a bridge"),
    ("put", "/bridges/{id}", "Update a bridge"),
    (
        "delete",
        "/bridges/{id}",
        "Delete a bridge, its ports, DHCP subnets and tables",
    ),
    ("get", "/bridges/{id}/ports", "List a bridge's ports"),
    ("post", "/bridges/{id}/ports", "Create a bridge port"),
    (
        "get",
        "/bridges/{id}/peer_ports",
        "List the ports linked to a bridge's ports",
    ),
    ("get", "/bridges/{id}/dhcp", "List DHCP subnets"),
    ("post", "/bridges/{id}/dhcp", "Create a DHCP subnet"),
    (
        "get",
        "/bridges/{id}/dhcp/{subnet}",
        "Show a DHCP subnet (subnet = 10.0.0.0_24)",
    ),
    ("put", "/bridges/{id}/dhcp/{subnet}", "Update a DHCP subnet"),
    (
        "delete",
        "/bridges/{id}/dhcp/{subnet}",
        "Delete a DHCP subnet",
    ),
    (
        "get",
        "/bridges/{id}/dhcp/{subnet}/hosts",
        "List DHCP hosts",
    ),
    (
        "post",
        "/bridges/{id}/dhcp/{subnet}/hosts",
        "Create a DHCP host",
    ),
    (
        "get",
        "/bridges/{id}/dhcp/{subnet}/hosts/{mac}",
        "Show a DHCP host (mac = aa-bb-cc-dd-ee-ff)",
    ),
    (
        "put",
        "/bridges/{id}/dhcp/{subnet}/hosts/{mac}",
        "Update a DHCP host",
    ),
    (
        "delete",
        "/bridges/{id}/dhcp/{subnet}/hosts/{mac}",
        "Delete a DHCP host",
    ),
    (
        "get",
        "/bridges/{id}/mac_table",
        "List MAC table entries (all VLANs)",
    ),
    ("post", "/bridges/{id}/mac_table", "Add a MAC table entry"),
    (
        "get",
        "/bridges/{id}/mac_table/{entry}",
        "Show a MAC entry (entry = mac_portId)",
    ),
    (
        "delete",
        "/bridges/{id}/mac_table/{entry}",
        "Delete a MAC entry",
    ),
    (
        "get",
        "/bridges/{id}/vlans/{vlan}/mac_table",
        "List a VLAN's MAC entries",
    ),
    (
        "post",
        "/bridges/{id}/vlans/{vlan}/mac_table",
        "Add a VLAN MAC entry",
    ),
    (
        "get",
        "/bridges/{id}/vlans/{vlan}/mac_table/{entry}",
        "Show a VLAN MAC entry",
    ),
    (
        "delete",
        "/bridges/{id}/vlans/{vlan}/mac_table/{entry}",
        "Delete a VLAN MAC entry",
    ),
    ("get", "/bridges/{id}/arp_table", "List ARP table entries"),
    ("post", "/bridges/{id}/arp_table", "Add an ARP entry"),
    (
        "get",
        "/bridges/{id}/arp_table/{entry}",
        "Show an ARP entry (entry = ip_mac)",
    ),
    (
        "delete",
        "/bridges/{id}/arp_table/{entry}",
        "Delete an ARP entry",
    ),
    ("get", "/ports", "List ports"),
    ("get", "/ports/{id}", "Show a port"),
    (
        "put",
        "/ports/{id}",
        "Update a port (not its link or binding)",
    ),
    (
        "delete",
        "/ports/{id}",
        "Delete a port, unlinking its peer and deleting its routes",
    ),
    ("post", "/ports/{id}/link", "Link a port to a peer port"),
    ("delete", "/ports/{id}/link", "Unlink a port"),
    (
        "get",
        "/ports/{id}/port_groups",
        "List a port's group memberships",
    ),
    ("get", "/chains", "List chains (?tenant_id= filters)"),
    ("post", "/chains", "Create a chain"),
    ("get", "/chains/{id}", "Show a chain"),
    (
        "delete",
        "/chains/{id}",
        "Delete a chain, its rules and jumps into it; clear filters",
    ),
    ("get", "/chains/{id}/rules", "List a chain's rules in order"),
    ("post", "/chains/{id}/rules", "Insert a rule at a position"),
    ("get", "/rules/{id}", "Show a rule"),
    ("delete", "/rules/{id}", "Delete a rule"),
    ("get", "/routes/{id}", "Show a route"),
    ("delete", "/routes/{id}", "Delete a route"),
    ("get", "/ip_addr_groups", "List IP address groups"),
    ("post", "/ip_addr_groups", "Create an IP address group"),
    ("get", "/ip_addr_groups/{id}", "Show an IP address group"),
    (
        "delete",
        "/ip_addr_groups/{id}",
        "Delete an IP address group and the rules matching it",
    ),
    (
        "get",
        "/ip_addr_groups/{id}/ip_addrs",
        "List a group's addresses",
    ),
    ("post", "/ip_addr_groups/{id}/ip_addrs", "Add an address"),
    (
        "get",
        "/ip_addr_groups/{id}/versions/{version}/ip_addrs/{addr}",
        "Show an address",
    ),
    (
        "delete",
        "/ip_addr_groups/{id}/versions/{version}/ip_addrs/{addr}",
        "Remove an address",
    ),
    (
        "get",
        "/port_groups",
        "List port groups (?tenant_id= filters)",
    ),
    ("post", "/port_groups", "Create a port group"),
    ("get", "/port_groups/{id}", "Show a port group"),
    ("put", "/port_groups/{id}", "Update a port group"),
    ("delete", "/port_groups/{id}", "Delete a port group"),
    ("get", "/port_groups/{id}/ports", "List a group's ports"),
    ("post", "/port_groups/{id}/ports", "Add a port to a group"),
    ("get", "/port_groups/{id}/ports/{port}", "Show a membership"),
    (
        "delete",
        "/port_groups/{id}/ports/{port}",
        "Remove a port from a group",
    ),
    ("get", "/hosts", "List hosts"),
    ("get", "/hosts/{id}", "Show a host"),
    ("put", "/hosts/{id}", "Update a host's weights and limits"),
    (
        "delete",
        "/hosts/{id}",
        "Delete a host, unbinding its ports",
    ),
    ("get", "/hosts/{id}/interfaces", "List a host's interfaces"),
    ("get", "/hosts/{id}/interfaces/{name}", "Show an interface"),
    ("get", "/hosts/{id}/ports", "List a host's port bindings"),
    (
        "post",
        "/hosts/{id}/ports",
        "Bind a port to a host interface",
    ),
    ("get", "/hosts/{id}/ports/{port}", "Show a binding"),
    ("delete", "/hosts/{id}/ports/{port}", "Unbind a port"),
    (
        "post",
        "/admin/hosts",
        "Extension: register or refresh a host and its interfaces",
    ),
    (
        "post",
        "/batch",
        "Extension: apply a list of writes in order, atomically (split into atomic chunks under the store's multi limit); answers each chunk's store revision",
    ),
    (
        "get",
        "/changes",
        "Extension: objects changed since ?since=<revision> (410 Gone: read everything), ?limit= bounds the answer, ?summary=true answers only the revisions",
    ),
    (
        "get",
        "/history",
        "Extension: which state store keeps history and flow state, and what the history writer recorded, dropped and failed",
    ),
    (
        "get",
        "/history/objects/{id}",
        "Extension: an object's recorded changes (time, tenant, operation, before and after), oldest first; ?limit=",
    ),
    (
        "get",
        "/history/versions",
        "Extension: the GNI versions the translator applied or failed, oldest first; ?version=, ?limit=",
    ),
    (
        "post",
        "/history/versions",
        "Extension: record one translator cycle (version, operations, durationMs, errors)",
    ),
    (
        "post",
        "/simulations",
        "Extension: walk a packet through the stored topology (the packet-path simulator) and answer its flow record, one hop per line",
    ),
    ("get", "/tunnel_zones", "List tunnel zones"),
    ("post", "/tunnel_zones", "Create a tunnel zone"),
    ("get", "/tunnel_zones/{id}", "Show a tunnel zone"),
    ("put", "/tunnel_zones/{id}", "Update a tunnel zone"),
    ("delete", "/tunnel_zones/{id}", "Delete a tunnel zone"),
    ("get", "/tunnel_zones/{id}/hosts", "List a zone's members"),
    ("post", "/tunnel_zones/{id}/hosts", "Add a host to a zone"),
    ("get", "/tunnel_zones/{id}/hosts/{host}", "Show a member"),
    (
        "delete",
        "/tunnel_zones/{id}/hosts/{host}",
        "Remove a member",
    ),
    ("get", "/bgp_peers/{id}", "Show a BGP peer"),
    ("put", "/bgp_peers/{id}", "Update a BGP peer"),
    ("delete", "/bgp_peers/{id}", "Delete a BGP peer"),
    ("get", "/bgp_networks/{id}", "Show an announced network"),
    (
        "delete",
        "/bgp_networks/{id}",
        "Delete an announced network",
    ),
    ("get", "/system_state", "Show the system state"),
    ("put", "/system_state", "Update the system state"),
    ("get", "/tenants", "List tenants that own objects"),
    ("get", "/tenants/{id}", "Show a tenant"),
    ("get", "/openapi.json", "Extension: this document"),
    (
        "post",
        "/login",
        "Log in with HTTP Basic credentials; answers a session token for X-Auth-Token (also set as the sessionId cookie)",
    ),
];

fn error_schema() -> Value {
    json!({
        "type": "object",
        "required": ["message", "code"],
        "properties": {
            "message": {"type": "string"},
            "code": {"type": "integer"},
            "violations": {"type": "array", "items": {
                "type": "object",
                "required": ["property", "message"],
                "properties": {"property": {"type": "string"}, "message": {"type": "string"}}
            }}
        }
    })
}

/// The document, with every endpoint's parameters, bodies and responses.
pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, summary) in ENDPOINTS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                let schema = if name == "id" && !path.starts_with("/tenants") {
                    json!({"type": "string", "format": "uuid"})
                } else {
                    json!({"type": "string"})
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        let error = json!({"description": "MidoNet error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        let mut responses = Map::new();
        match *method {
            "get" => {
                responses.insert(
                    "200".into(),
                    json!({"description": "OK", "content": {"application/json": {"schema": {}}}}),
                );
                responses.insert("404".into(), error.clone());
                responses.insert("406".into(), error.clone());
            }
            "post" => {
                responses.insert(
                    "201".into(),
                    json!({"description": "Created; Location names the new resource"}),
                );
                responses.insert("400".into(), error.clone());
                responses.insert("404".into(), error.clone());
                responses.insert("409".into(), error.clone());
                responses.insert("415".into(), error.clone());
            }
            "put" => {
                responses.insert("204".into(), json!({"description": "Updated"}));
                responses.insert("400".into(), error.clone());
                responses.insert("404".into(), error.clone());
                responses.insert("415".into(), error.clone());
            }
            _ => {
                responses.insert("204".into(), json!({"description": "Deleted"}));
                responses.insert("404".into(), error.clone());
                responses.insert("409".into(), error.clone());
            }
        }
        let mut op = json!({"summary": summary, "parameters": params, "responses": responses});
        if matches!(*method, "post" | "put") {
            op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"type": "object"}}}});
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    describe_extensions(&mut paths);
    json!({
        "openapi": "3.0.3",
        "info": {"title": "MidoNet REST API (v5.0)", "version": crate::api::VERSION},
        "servers": [{"url": crate::API_ROOT}],
        "paths": paths,
        "components": {"schemas": {"Error": error_schema()}}
    })
}

/// The bodies of our own extensions, which MidoNet's documentation cannot describe for them.
fn describe_extensions(paths: &mut Map<String, Value>) {
    let ok = |schema: Value| json!({"description": "OK", "content": {"application/json": {"schema": schema}}});
    if let Some(login) = paths.get_mut("/login").and_then(|p| p.get_mut("post")) {
        let token = json!({
            "type": "object",
            "required": ["key", "expires"],
            "properties": {"key": {"type": "string"}, "expires": {"type": "string"}}
        });
        let error = json!({"description": "Bad or missing credentials", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
        login["responses"] = json!({"200": ok(token), "401": error});
        if let Some(op) = login.as_object_mut() {
            op.remove("requestBody");
        }
    }
    let revision = json!({"type": "integer", "format": "int64"});
    if let Some(batch) = paths.get_mut("/batch").and_then(|p| p.get_mut("post")) {
        let answer = json!({
            "type": "object",
            "required": ["results", "transactions", "revisions"],
            "properties": {
                "results": {"type": "array", "items": {
                    "type": "object",
                    "required": ["status"],
                    "properties": {"status": {"type": "integer"}, "location": {"type": "string"}}
                }},
                "transactions": {"type": "integer", "description": "Store transactions (chunks) that carried the batch"},
                "revisions": {"type": "array", "items": revision.clone(), "description": "The store revision each chunk that changed something committed at, in order; the change feed shows the batch's objects at these revisions"}
            }
        });
        if let Some(responses) = batch["responses"].as_object_mut() {
            responses.remove("201");
            responses.insert("200".into(), ok(answer));
        }
    }
    if let Some(changes) = paths.get_mut("/changes").and_then(|p| p.get_mut("get")) {
        let query = |name: &str, schema: Value, what: &str| json!({"name": name, "in": "query", "required": false, "schema": schema, "description": what});
        changes["parameters"] = json!([
            query("since", revision.clone(), "Answer the changes after this store revision; without it, only the current revision"),
            query("limit", json!({"type": "integer", "minimum": 1, "maximum": crate::api::changes::MAX_LIMIT}), "At most this many changes (default 1000, 1 to 100000), unless one revision holds more"),
            query("summary", json!({"type": "boolean"}), "Answer only the distinct revisions of the changes, no objects, no paging"),
        ]);
        let feed = json!({
            "type": "object",
            "required": ["revision", "changed", "more"],
            "properties": {
                "revision": revision.clone(),
                "more": {"type": "boolean"},
                "changed": {"type": "array", "items": {
                    "type": "object",
                    "required": ["class", "id", "revision", "deleted"],
                    "properties": {
                        "class": {"type": "string"},
                        "id": {"type": "string", "format": "uuid"},
                        "revision": revision.clone(),
                        "deleted": {"type": "boolean"},
                        "object": {"type": "object"}
                    }
                }}
            }
        });
        let summary = json!({
            "type": "object",
            "required": ["revision", "revisions"],
            "properties": {
                "revision": revision.clone(),
                "revisions": {"type": "array", "items": revision, "description": "Distinct revisions of the changes after `since`, ascending, deletions included"}
            }
        });
        if let Some(responses) = changes["responses"].as_object_mut() {
            responses.insert("200".into(), ok(json!({"oneOf": [feed, summary]})));
            responses.remove("404");
            let gone = json!({"description": "The feed cannot answer from `since`: read everything again", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
            responses.insert("410".into(), gone);
        }
    }
}

async fn openapi_json() -> Json<Value> {
    Json(document())
}

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new().route("/openapi.json", get(openapi_json))
}

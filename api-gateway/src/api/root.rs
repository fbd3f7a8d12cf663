//! The root resource: the API version and the URI of every collection and object template,
//! from which clients discover every other path.

use axum::response::Response;
use serde_json::{Map, Value};

use super::one_reply;
use crate::error::ApiResult;
use crate::http::{Accept, Base};

pub const VERSION: &str = "v5.0";

/// `(key, path)` of each collection, and `(key, collection)` of each `{id}` template.
const COLLECTIONS: &[(&str, &str)] = &[
    ("bridges", "/bridges"),
    ("chains", "/chains"),
    ("hosts", "/hosts"),
    ("ipAddrGroups", "/ip_addr_groups"),
    ("portGroups", "/port_groups"),
    ("ports", "/ports"),
    ("routers", "/routers"),
    ("systemState", "/system_state"),
    ("tenants", "/tenants"),
    ("tunnelZones", "/tunnel_zones"),
];

const TEMPLATES: &[(&str, &str)] = &[
    ("bridgeTemplate", "/bridges"),
    ("chainTemplate", "/chains"),
    ("hostTemplate", "/hosts"),
    ("portTemplate", "/ports"),
    ("portGroupTemplate", "/port_groups"),
    ("ipAddrGroupTemplate", "/ip_addr_groups"),
    ("routerTemplate", "/routers"),
    ("routeTemplate", "/routes"),
    ("ruleTemplate", "/rules"),
    ("tunnelZoneTemplate", "/tunnel_zones"),
    ("tenantTemplate", "/tenants"),
    ("bgpNetworkTemplate", "/bgp_networks"),
    ("bgpPeerTemplate", "/bgp_peers"),
];

/// Our extensions, advertised so clients can find them and skip them on a real MidoNet.
const EXTENSIONS: &[(&str, &str)] = &[
    ("adminHosts", "/admin/hosts"),
    ("batch", "/batch"),
    ("changes", "/changes"),
    ("history", "/history"),
    ("openApi", "/openapi.json"),
    ("simulations", "/simulations"),
];

pub fn document(base: &Base) -> Value {
    let mut root = Map::new();
    root.insert("uri".into(), Value::String(base.uri("/")));
    root.insert("version".into(), Value::String(VERSION.into()));
    for (key, path) in COLLECTIONS.iter().chain(EXTENSIONS) {
        root.insert((*key).into(), Value::String(base.uri(path)));
    }
    for (key, path) in TEMPLATES {
        root.insert(
            (*key).into(),
            Value::String(base.uri(&format!("{path}/{{id}}"))),
        );
    }
    Value::Object(root)
}

pub async fn application(accept: Accept, base: Base) -> ApiResult<Response> {
    one_reply(&accept, &["Application"], document(&base))
}

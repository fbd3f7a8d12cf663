//! Confines a tenant's token to its tenant: the routers, bridges, chains and port groups whose
//! `tenantId` is the tenant's, and what hangs under them (ports, rules, routes, DHCP subnets,
//! BGP, MAC and ARP entries). Everything else (hosts, tunnel zones, IP address groups, the
//! system state, batches, the change feed, simulations) is the admin's.
//!
//! Three checks, none of them in the handlers: every object a path names must be the tenant's
//! (else 404, as if it did not exist, so ids of other tenants are not confirmed); every object
//! a written body names must be the tenant's (so a port cannot be linked to, nor a rule jump
//! to, another tenant's device), and a body's `tenantId` must be the tenant (filled in when
//! left out); and a list answer keeps only the tenant's objects.

use axum::http::StatusCode;
use serde_json::Value;
use topology::Class;
use uuid::Uuid;

use crate::error::ApiError;
use crate::store::Store;

/// The path families a tenant's token may use (the first segment under the API root; "" is
/// the root resource).
const TENANT_FAMILIES: &[&str] = &[
    "",
    "routers",
    "bridges",
    "ports",
    "chains",
    "rules",
    "routes",
    "port_groups",
    "bgp_peers",
    "bgp_networks",
    "tenants",
];

/// The classes that belong to a tenant, directly or through their parent.
const OWNED: &[Class] = &[
    Class::Router,
    Class::Network,
    Class::Chain,
    Class::PortGroup,
    Class::Port,
    Class::Rule,
    Class::Route,
    Class::Dhcp,
    Class::BgpPeer,
    Class::BgpNetwork,
];

/// The class a path segment names objects of, when the next segment is an id.
fn collection_class(segment: &str) -> Option<Class> {
    Some(match segment {
        "routers" => Class::Router,
        "bridges" => Class::Network,
        "ports" | "peer_ports" => Class::Port,
        "chains" => Class::Chain,
        "rules" => Class::Rule,
        "routes" => Class::Route,
        "port_groups" => Class::PortGroup,
        "bgp_peers" => Class::BgpPeer,
        "bgp_networks" => Class::BgpNetwork,
        _ => return None,
    })
}

/// The tenant that owns a stored object: `None` when it is not stored; `Some(None)` when it is
/// but belongs to no tenant (then only the admin may touch it).
pub fn owner(store: &Store, class: Class, id: Uuid) -> Option<Option<String>> {
    let obj = store.get(class, id)?;
    let parent = |field: &str, parent_class: Class| {
        let parent = obj
            .get(field)
            .and_then(Value::as_str)
            .and_then(|s| s.parse().ok());
        parent.and_then(|p| owner(store, parent_class, p)).flatten()
    };
    Some(match class {
        Class::Router | Class::Network | Class::Chain | Class::PortGroup => obj
            .get("tenantId")
            .and_then(Value::as_str)
            .map(str::to_string),
        Class::Port => match obj.get("type").and_then(Value::as_str) {
            Some("Router") => parent("deviceId", Class::Router),
            _ => parent("deviceId", Class::Network),
        },
        Class::Rule => parent("chainId", Class::Chain),
        Class::Route | Class::BgpPeer | Class::BgpNetwork => parent("routerId", Class::Router),
        Class::Dhcp => parent("networkId", Class::Network),
        _ => None,
    })
}

/// Whether a stored object with this id belongs to a tenant other than `tenant` (or to none).
/// An id of no owned object is not another tenant's.
fn foreign(store: &Store, tenant: &str, id: Uuid) -> Option<Class> {
    OWNED.iter().copied().find(|&class| {
        owner(store, class, id).is_some_and(|owner| owner.as_deref() != Some(tenant))
    })
}

/// Refuses a path outside the tenant's families, or naming another tenant's object.
pub fn check_path(store: &Store, tenant: &str, path: &str) -> Result<(), ApiError> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let family = segments.first().copied().unwrap_or("");
    if !TENANT_FAMILIES.contains(&family) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("tenant {tenant} may not use /{family}: only an admin may"),
        ));
    }
    if family == "tenants" {
        if let Some(id) = segments.get(1) {
            if *id != tenant {
                return Err(ApiError::missing(format!("tenant {id} owns no objects")));
            }
        }
        return Ok(());
    }
    for pair in segments.windows(2) {
        let (Some(class), Ok(id)) = (collection_class(pair[0]), pair[1].parse::<Uuid>()) else {
            continue;
        };
        if let Some(owner) = owner(store, class, id) {
            if owner.as_deref() != Some(tenant) {
                return Err(ApiError::not_found(class, id));
            }
        }
    }
    Ok(())
}

/// Checks (and completes) a body a tenant writes at `path`: its `tenantId` is the tenant's
/// (filled in on the tenant-owned top-level objects when missing), and no id in it names
/// another tenant's object. Answers whether it changed the body.
pub fn check_body(
    store: &Store,
    tenant: &str,
    path: &str,
    body: &mut Value,
) -> Result<bool, ApiError> {
    let Some(map) = body.as_object_mut() else {
        return Ok(false);
    };
    let mut changed = false;
    match map.get("tenantId") {
        Some(Value::String(t)) if t != tenant => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                format!("tenantId: tenant {tenant} may not write objects of tenant {t}"),
            ));
        }
        Some(Value::String(_)) => {}
        _ => {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            let tenant_owned = matches!(
                segments.first().copied(),
                Some("routers" | "bridges" | "chains" | "port_groups")
            ) && segments.len() <= 2;
            if tenant_owned {
                map.insert("tenantId".into(), Value::String(tenant.to_string()));
                changed = true;
            }
        }
    }
    for (key, value) in map.iter() {
        if key != "id" {
            check_ids(store, tenant, key, value)?;
        }
    }
    Ok(changed)
}

/// Refuses any id under `key` that names another tenant's object, as the integrity table
/// refuses a reference to a missing one.
fn check_ids(store: &Store, tenant: &str, key: &str, value: &Value) -> Result<(), ApiError> {
    match value {
        Value::String(s) => {
            if let Ok(id) = s.parse::<Uuid>() {
                if let Some(class) = foreign(store, tenant, id) {
                    return Err(ApiError::missing(format!(
                        "{key}: {} {id} does not exist",
                        class.noun()
                    )));
                }
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|v| check_ids(store, tenant, key, v)),
        Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| check_ids(store, tenant, k, v)),
        _ => Ok(()),
    }
}

/// Keeps, of a list answer, only what the tenant may see: objects of other tenants go; items
/// that are no owned object (a MAC entry, a DHCP host) stay, their parent having been checked.
pub fn filter_list(store: &Store, tenant: &str, path: &str, items: &mut Vec<Value>) {
    let tenants_list = path.trim_matches('/') == "tenants";
    items.retain(|item| {
        let id = item.get("id").and_then(Value::as_str);
        if tenants_list {
            return id == Some(tenant);
        }
        match id.and_then(|s| s.parse::<Uuid>().ok()) {
            Some(id) => foreign(store, tenant, id).is_none(),
            None => true,
        }
    });
}

//! Keeps references and back-references consistent from one declarative table, as MidoNet's
//! storage "bindings" do: creating an object adds its back-references, updating moves them, and
//! deleting cascades, clears or refuses exactly as the table says. Handlers never maintain a
//! back-reference by hand.
//!
//! Objects are handled in their stored JSON form, so the table names fields by their JSON names
//! and one generic walk serves every class. All reads and writes go through [`Objects`], which a
//! store implements over a transaction: an error leaves the transaction to be dropped whole.

pub mod consistency;

use std::sync::Arc;

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::model::Route;
use crate::Class;

/// What deleting the owner of one side of a binding does to the objects that side references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// Delete the referenced objects too.
    Cascade,
    /// Remove the back-reference to the deleted object from the referenced objects.
    Clear,
    /// Refuse the delete while any reference exists.
    Error,
}

/// How a side stores its references.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A single id (or null).
    One(&'static str),
    /// A list of ids.
    Many(&'static str),
    /// A list of objects, each naming the referenced id under `key` (tunnel-zone members).
    Nested {
        list: &'static str,
        key: &'static str,
    },
}

impl Field {
    pub fn name(self) -> &'static str {
        match self {
            Field::One(n) | Field::Many(n) => n,
            Field::Nested { list, .. } => list,
        }
    }
}

/// One end of a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    pub class: Class,
    pub field: Field,
    pub on_delete: OnDelete,
    /// The side applies only to objects whose field has this string value (e.g. ports of
    /// `type` `Bridge` reference a bridge through `deviceId`).
    pub when: Option<(&'static str, &'static str)>,
    /// Fields cleared together with this one (a port's `interfaceName` with its `hostId`).
    pub clears_also: &'static [&'static str],
}

/// A pair of fields that reference each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub left: Side,
    pub right: Side,
}

const fn side(class: Class, field: Field, on_delete: OnDelete) -> Side {
    Side {
        class,
        field,
        on_delete,
        when: None,
        clears_also: &[],
    }
}

const fn bind(left: Side, right: Side) -> Binding {
    Binding { left, right }
}

use Class::*;
use Field::{Many, Nested, One};
use OnDelete::{Cascade, Clear};

const fn filter_binding(owner: Class, field: &'static str, chain_field: &'static str) -> Binding {
    bind(
        side(owner, One(field), Clear),
        side(Chain, Many(chain_field), Clear),
    )
}

/// MidoNet's binding table (its `MidonetBackend.setupBindings`), in our JSON names.
pub static BINDINGS: &[Binding] = &[
    bind(
        side(Network, Many("portIds"), Cascade),
        Side {
            when: Some(("type", "Bridge")),
            ..side(Port, One("deviceId"), Clear)
        },
    ),
    bind(
        side(Router, Many("portIds"), Cascade),
        Side {
            when: Some(("type", "Router")),
            ..side(Port, One("deviceId"), Clear)
        },
    ),
    bind(
        side(Router, Many("routeIds"), Cascade),
        side(Route, One("routerId"), Clear),
    ),
    bind(
        side(Port, Many("routeIds"), Cascade),
        side(Route, One("nextHopPort"), Clear),
    ),
    bind(
        side(Port, One("peerId"), Clear),
        side(Port, One("peerId"), Clear),
    ),
    bind(
        Side {
            clears_also: &["interfaceName"],
            ..side(Port, One("hostId"), Clear)
        },
        side(Host, Many("portIds"), Clear),
    ),
    bind(
        side(Port, Many("portGroupIds"), Clear),
        side(PortGroup, Many("portIds"), Clear),
    ),
    filter_binding(Router, "inboundFilterId", "routerInboundIds"),
    filter_binding(Router, "outboundFilterId", "routerOutboundIds"),
    filter_binding(Router, "localRedirectChainId", "routerRedirectIds"),
    filter_binding(Router, "forwardChainId", "routerForwardIds"),
    filter_binding(Network, "inboundFilterId", "networkInboundIds"),
    filter_binding(Network, "outboundFilterId", "networkOutboundIds"),
    filter_binding(Port, "inboundFilterId", "portInboundIds"),
    filter_binding(Port, "outboundFilterId", "portOutboundIds"),
    bind(
        side(Rule, One("chainId"), Clear),
        side(Chain, Many("ruleIds"), Cascade),
    ),
    // A jump rule, or a rule matching a group, means nothing once its target is gone: it goes
    // with it rather than silently widening what it matches.
    bind(
        side(Rule, One("jumpChainId"), Clear),
        side(Chain, Many("jumpRuleIds"), Cascade),
    ),
    bind(
        side(Rule, One("ipAddrGroupSrc"), Clear),
        side(IpAddrGroup, Many("srcRuleIds"), Cascade),
    ),
    bind(
        side(Rule, One("ipAddrGroupDst"), Clear),
        side(IpAddrGroup, Many("dstRuleIds"), Cascade),
    ),
    bind(
        side(Rule, One("portGroup"), Clear),
        side(PortGroup, Many("ruleIds"), Cascade),
    ),
    bind(
        side(Rule, One("inPortGroup"), Clear),
        side(PortGroup, Many("inRuleIds"), Cascade),
    ),
    bind(
        side(Rule, One("outPortGroup"), Clear),
        side(PortGroup, Many("outRuleIds"), Cascade),
    ),
    bind(
        side(Network, Many("dhcpIds"), Cascade),
        side(Dhcp, One("networkId"), Clear),
    ),
    bind(
        side(Host, Many("tunnelZoneIds"), Clear),
        side(
            TunnelZone,
            Nested {
                list: "hosts",
                key: "hostId",
            },
            Clear,
        ),
    ),
    bind(
        side(Router, Many("bgpPeerIds"), Cascade),
        side(BgpPeer, One("routerId"), Clear),
    ),
    bind(
        side(Router, Many("bgpNetworkIds"), Cascade),
        side(BgpNetwork, One("routerId"), Clear),
    ),
];

/// Transactional access to stored objects, in their JSON form.
pub trait Objects {
    /// The object as this transaction sees it, shared: reading it copies nothing.
    fn get(&mut self, class: Class, id: Uuid) -> Option<Arc<Value>>;
    /// The object made this transaction's own, to change in place: it is copied at most once
    /// per transaction however often it is changed.
    fn get_mut(&mut self, class: Class, id: Uuid) -> Option<&mut Value>;
    fn put(&mut self, class: Class, id: Uuid, value: Value);
    fn remove(&mut self, class: Class, id: Uuid);
    /// Removes the state tables (MAC, ARP) an object owns.
    fn remove_tables(&mut self, class: Class, id: Uuid);
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntegrityError {
    #[error("{} {id} does not exist", class.noun())]
    NotFound { class: Class, id: Uuid },
    #[error("{field}: {} {id} does not exist", class.noun())]
    MissingReference {
        field: &'static str,
        class: Class,
        id: Uuid,
    },
    #[error("{} {id} already exists", class.noun())]
    AlreadyExists { class: Class, id: Uuid },
    #[error("{} {id} already has {field} {current}", class.noun())]
    AlreadyReferenced {
        class: Class,
        id: Uuid,
        field: &'static str,
        current: Uuid,
    },
    #[error("{} {id} is still referenced by {field}", class.noun())]
    StillReferenced {
        class: Class,
        id: Uuid,
        field: &'static str,
    },
    #[error("position {position} is out of range: the chain allows 1 to {max}")]
    BadPosition { position: usize, max: usize },
    #[error("{class} {id} is not a stored object: {reason}")]
    Corrupt {
        class: Class,
        id: Uuid,
        reason: String,
    },
}

/// Every (this side, other side) pair that involves `class`, each binding once.
fn sides_of(class: Class) -> impl Iterator<Item = (&'static Side, &'static Side)> {
    BINDINGS.iter().flat_map(move |b| {
        let mut pairs = Vec::with_capacity(2);
        if b.left.class == class {
            pairs.push((&b.left, &b.right));
        }
        if b.right.class == class && b.right != b.left {
            pairs.push((&b.right, &b.left));
        }
        pairs
    })
}

fn applies(side: &Side, obj: &Value) -> bool {
    match side.when {
        None => true,
        Some((field, value)) => obj.get(field).and_then(Value::as_str) == Some(value),
    }
}

fn parse_id(v: &Value) -> Option<Uuid> {
    v.as_str().and_then(|s| s.parse().ok())
}

/// The ids `field` of `obj` references.
pub fn refs(obj: &Value, field: Field) -> Vec<Uuid> {
    match field {
        One(name) => obj.get(name).and_then(parse_id).into_iter().collect(),
        Many(name) => obj
            .get(name)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(parse_id).collect())
            .unwrap_or_default(),
        Nested { list, key } => obj
            .get(list)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.get(key).and_then(parse_id))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

fn fields_mut(
    class: Class,
    id: Uuid,
    obj: &mut Value,
) -> Result<&mut Map<String, Value>, IntegrityError> {
    obj.as_object_mut().ok_or_else(|| IntegrityError::Corrupt {
        class,
        id,
        reason: "not a JSON object".to_string(),
    })
}

/// Makes `target` (of `side`) reference `id`. A `fresh` id (an object being created) is in
/// no list yet, so lists are not searched for it: a hub's list holds thousands of ids (every
/// instance's metadata rule refers to one address group), and searching it once per referrer
/// made a bulk load quadratic.
fn add_ref(
    side: &Side,
    target_id: Uuid,
    target: &mut Value,
    id: Uuid,
    fresh: bool,
) -> Result<(), IntegrityError> {
    let map = fields_mut(side.class, target_id, target)?;
    let idv = Value::String(id.to_string());
    match side.field {
        One(name) => match map.get(name).and_then(parse_id) {
            Some(current) if current != id => {
                return Err(IntegrityError::AlreadyReferenced {
                    class: side.class,
                    id: target_id,
                    field: name,
                    current,
                })
            }
            _ => {
                map.insert(name.to_string(), idv);
            }
        },
        Many(name) => {
            let list = map.entry(name).or_insert_with(|| Value::Array(Vec::new()));
            if !list.is_array() {
                *list = Value::Array(Vec::new());
            }
            if let Value::Array(items) = list {
                if fresh || !items.contains(&idv) {
                    items.push(idv);
                }
            }
        }
        Nested { list, key } => {
            let items = map.entry(list).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = items {
                if fresh || !items.iter().any(|e| e.get(key) == Some(&idv)) {
                    let mut member = Map::new();
                    member.insert(key.to_string(), idv);
                    items.push(Value::Object(member));
                }
            }
        }
    }
    Ok(())
}

/// Makes `target` (of `side`) stop referencing `id`.
fn remove_ref(side: &Side, target: &mut Value, id: Uuid) {
    let Some(map) = target.as_object_mut() else {
        return;
    };
    let idv = Value::String(id.to_string());
    match side.field {
        One(name) => {
            if map.get(name) == Some(&idv) {
                map.insert(name.to_string(), Value::Null);
                for also in side.clears_also {
                    map.insert(also.to_string(), Value::Null);
                }
            }
        }
        Many(name) => {
            if let Some(Value::Array(items)) = map.get_mut(name) {
                items.retain(|v| v != &idv);
            }
        }
        Nested { list, key } => {
            if let Some(Value::Array(items)) = map.get_mut(list) {
                items.retain(|e| e.get(key) != Some(&idv));
            }
        }
    }
}

fn object_id(class: Class, obj: &Value) -> Result<Uuid, IntegrityError> {
    obj.get("id")
        .and_then(parse_id)
        .ok_or_else(|| IntegrityError::Corrupt {
            class,
            id: Uuid::nil(),
            reason: "missing id".to_string(),
        })
}

/// Adds the back-reference to `id` on every object `ids` names through `other`; `fresh` when
/// `id` is being created (see `add_ref`).
fn link_all(
    objs: &mut dyn Objects,
    this: &Side,
    other: &Side,
    ids: &[Uuid],
    id: Uuid,
    fresh: bool,
) -> Result<(), IntegrityError> {
    for (k, &target_id) in ids.iter().enumerate() {
        // An object naming a target twice (a rule's port list) references it once.
        if fresh && ids[..k].contains(&target_id) {
            continue;
        }
        let missing = IntegrityError::MissingReference {
            field: this.field.name(),
            class: other.class,
            id: target_id,
        };
        let target = objs
            .get_mut(other.class, target_id)
            .ok_or(missing.clone())?;
        if !applies(other, target) {
            return Err(missing);
        }
        add_ref(other, target_id, target, id, fresh)?;
    }
    Ok(())
}

fn unlink_all(objs: &mut dyn Objects, other: &Side, ids: &[Uuid], id: Uuid) {
    for &target_id in ids {
        let references = objs
            .get(other.class, target_id)
            .is_some_and(|t| refs(&t, other.field).contains(&id));
        if references {
            if let Some(target) = objs.get_mut(other.class, target_id) {
                remove_ref(other, target, id);
            }
        }
    }
}

/// Objects the server derives from another, deleted with it through the bindings: a router
/// port's `Local` route to its own address.
fn derived(class: Class, obj: &Value) -> Vec<(Class, Uuid, Value)> {
    if class != Port || obj.get("type").and_then(Value::as_str) != Some("Router") {
        return Vec::new();
    }
    let (Some(id), Some(router), Some(address)) = (
        obj.get("id").and_then(parse_id),
        obj.get("deviceId").and_then(parse_id),
        obj.get("portAddress")
            .and_then(Value::as_str)
            .and_then(|a| a.parse().ok()),
    ) else {
        return Vec::new();
    };
    let route_id = Uuid::new_v5(&id, b"local-route");
    let route = Route::local(route_id, router, id, address);
    match serde_json::to_value(route) {
        Ok(v) => vec![(Class::Route, route_id, v)],
        Err(_) => Vec::new(),
    }
}

/// Stores a new object and adds every back-reference it implies.
///
/// Fails, leaving the transaction to be dropped, if the id exists, a referenced object is
/// missing, or a single-valued back-reference already points elsewhere.
pub fn create(objs: &mut dyn Objects, class: Class, obj: Value) -> Result<(), IntegrityError> {
    let id = object_id(class, &obj)?;
    if objs.get(class, id).is_some() {
        return Err(IntegrityError::AlreadyExists { class, id });
    }
    objs.put(class, id, obj.clone());
    for (this, other) in sides_of(class) {
        if applies(this, &obj) {
            link_all(objs, this, other, &refs(&obj, this.field), id, true)?;
        }
    }
    for (dclass, _, dobj) in derived(class, &obj) {
        create(objs, dclass, dobj)?;
    }
    Ok(())
}

/// Replaces a stored object and moves the back-references whose references changed.
pub fn update(objs: &mut dyn Objects, class: Class, obj: Value) -> Result<(), IntegrityError> {
    let id = object_id(class, &obj)?;
    let old = objs
        .get(class, id)
        .ok_or(IntegrityError::NotFound { class, id })?;
    objs.put(class, id, obj.clone());
    for (this, other) in sides_of(class) {
        let before = if applies(this, &old) {
            refs(&old, this.field)
        } else {
            Vec::new()
        };
        let after = if applies(this, &obj) {
            refs(&obj, this.field)
        } else {
            Vec::new()
        };
        let removed: Vec<Uuid> = before
            .iter()
            .filter(|r| !after.contains(r))
            .copied()
            .collect();
        let added: Vec<Uuid> = after
            .iter()
            .filter(|r| !before.contains(r))
            .copied()
            .collect();
        unlink_all(objs, other, &removed, id);
        link_all(objs, this, other, &added, id, false)?;
    }
    let old_derived = derived(class, &old);
    let new_derived = derived(class, &obj);
    for (dclass, did, dobj) in &old_derived {
        if !new_derived
            .iter()
            .any(|(_, nid, nobj)| nid == did && nobj == dobj)
        {
            delete(objs, *dclass, *did)?;
        }
    }
    for (dclass, did, dobj) in new_derived {
        if !old_derived
            .iter()
            .any(|(_, oid, oobj)| *oid == did && *oobj == dobj)
        {
            create(objs, dclass, dobj)?;
        }
    }
    Ok(())
}

/// Deletes a stored object and, through the bindings, cascades to what it owns and clears what
/// references it. Refuses, changing nothing, if an `Error` binding still holds a reference.
pub fn delete(objs: &mut dyn Objects, class: Class, id: Uuid) -> Result<(), IntegrityError> {
    let obj = objs
        .get(class, id)
        .ok_or(IntegrityError::NotFound { class, id })?;
    for (this, _) in sides_of(class) {
        if this.on_delete == OnDelete::Error
            && applies(this, &obj)
            && !refs(&obj, this.field).is_empty()
        {
            return Err(IntegrityError::StillReferenced {
                class,
                id,
                field: this.field.name(),
            });
        }
    }
    objs.remove(class, id);
    objs.remove_tables(class, id);
    for (this, other) in sides_of(class) {
        if !applies(this, &obj) {
            continue;
        }
        let ids = refs(&obj, this.field);
        match this.on_delete {
            OnDelete::Cascade => {
                for target in ids {
                    if objs.get(other.class, target).is_some() {
                        delete(objs, other.class, target)?;
                    }
                }
            }
            OnDelete::Clear => unlink_all(objs, other, &ids, id),
            OnDelete::Error => {}
        }
    }
    Ok(())
}

/// Moves `id` within the ordered list `field` of `owner` to 1-based `position` (rule order in a
/// chain). Positions past the end are refused, as MidoNet refuses them.
pub fn place(
    objs: &mut dyn Objects,
    class: Class,
    owner: Uuid,
    field: &'static str,
    id: Uuid,
    position: usize,
) -> Result<(), IntegrityError> {
    let obj = objs
        .get_mut(class, owner)
        .ok_or(IntegrityError::NotFound { class, id: owner })?;
    let map = fields_mut(class, owner, obj)?;
    if !map.get(field).is_some_and(Value::is_array) {
        map.insert(field.to_string(), Value::Array(Vec::new()));
    }
    let Some(Value::Array(items)) = map.get_mut(field) else {
        return Err(IntegrityError::Corrupt {
            class,
            id: owner,
            reason: format!("{field} is not a list"),
        });
    };
    let idv = Value::String(id.to_string());
    items.retain(|v| v != &idv);
    let max = items.len() + 1;
    if position == 0 || position > max {
        return Err(IntegrityError::BadPosition { position, max });
    }
    items.insert(position - 1, idv);
    Ok(())
}

/// For a client's update of `stored`, keeps what the client may not change: internal and
/// read-only fields are copied from the stored object, and the id stays.
pub fn merge_client_update(class: Class, stored: &Value, mut incoming: Value) -> Value {
    if let (Some(map), Some(old)) = (incoming.as_object_mut(), stored.as_object()) {
        for field in class
            .internal_fields()
            .iter()
            .chain(class.readonly_fields())
            .chain(&["id"])
        {
            match old.get(*field) {
                Some(v) => map.insert(field.to_string(), v.clone()),
                None => map.remove(*field),
            };
        }
    }
    incoming
}

/// Removes what a client may not set on create: internal fields go, and read-only fields are
/// reset to their empty value (`false`, `[]` or null), which is what a new object has.
pub fn strip_client_fields(class: Class, obj: &mut Value) {
    if let Some(map) = obj.as_object_mut() {
        for field in class.internal_fields() {
            map.remove(*field);
        }
        for field in class.readonly_fields() {
            if let Some(v) = map.get_mut(*field) {
                *v = match v {
                    Value::Bool(_) => Value::Bool(false),
                    Value::Array(_) => Value::Array(Vec::new()),
                    _ => Value::Null,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests;

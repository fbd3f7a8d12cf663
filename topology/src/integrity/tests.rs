//! Unit tests of the binding table over an in-memory object map.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{json, Value};
use uuid::Uuid;

use super::*;

#[derive(Default)]
struct Memory {
    objects: BTreeMap<(Class, Uuid), Value>,
    tables_removed: Vec<Uuid>,
}

impl Objects for Memory {
    fn get(&mut self, class: Class, id: Uuid) -> Option<Arc<Value>> {
        self.objects.get(&(class, id)).cloned().map(Arc::new)
    }
    fn get_mut(&mut self, class: Class, id: Uuid) -> Option<&mut Value> {
        self.objects.get_mut(&(class, id))
    }
    fn put(&mut self, class: Class, id: Uuid, value: Value) {
        self.objects.insert((class, id), value);
    }
    fn remove(&mut self, class: Class, id: Uuid) {
        self.objects.remove(&(class, id));
    }
    fn remove_tables(&mut self, _class: Class, id: Uuid) {
        self.tables_removed.push(id);
    }
}

impl Memory {
    fn ids(&self, class: Class) -> Vec<Uuid> {
        self.objects
            .keys()
            .filter(|(c, _)| *c == class)
            .map(|(_, id)| *id)
            .collect()
    }
    fn field(&self, class: Class, id: Uuid, field: &str) -> Value {
        self.objects[&(class, id)]
            .get(field)
            .cloned()
            .unwrap_or(Value::Null)
    }
    /// Every reference in every object points at an existing object that points back.
    fn assert_consistent(&self) {
        for b in BINDINGS {
            for (this, other) in [(&b.left, &b.right), (&b.right, &b.left)] {
                for ((class, id), obj) in &self.objects {
                    if *class != this.class || !applies(this, obj) {
                        continue;
                    }
                    for r in refs(obj, this.field) {
                        let target = self.objects.get(&(other.class, r)).unwrap_or_else(|| {
                            panic!(
                                "{class} {id}: {} -> missing {} {r}",
                                this.field.name(),
                                other.class
                            )
                        });
                        assert!(
                            refs(target, other.field).contains(id),
                            "{} {r} lacks back-reference {} to {class} {id}",
                            other.class,
                            other.field.name()
                        );
                    }
                }
            }
        }
    }
}

fn id(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

fn bridge(n: u8) -> Value {
    json!({"id": id(n), "name": format!("b{n}")})
}
fn router(n: u8) -> Value {
    json!({"id": id(n), "name": format!("r{n}")})
}
fn bridge_port(n: u8, bridge: u8) -> Value {
    json!({"id": id(n), "type": "Bridge", "deviceId": id(bridge)})
}
fn router_port(n: u8, router: u8) -> Value {
    json!({"id": id(n), "type": "Router", "deviceId": id(router), "portAddress": "10.0.0.1",
           "networkAddress": "10.0.0.0", "networkLength": 24})
}
fn chain(n: u8) -> Value {
    json!({"id": id(n), "name": format!("c{n}")})
}
fn rule(n: u8, chain: u8) -> Value {
    json!({"id": id(n), "type": "accept", "chainId": id(chain)})
}

#[test]
fn every_binding_names_fields_of_its_class() {
    // Each side's field must be a real field of the stored form: a typo here would silently
    // break integrity, so check the names against the model's serialized shape.
    use crate::model::*;
    let samples: Vec<(Class, Value)> = vec![
        (
            Class::Router,
            serde_json::to_value(Router::named(id(1), "r", "t")).unwrap(),
        ),
        (
            Class::Network,
            serde_json::to_value(Bridge::named(id(1), "b", "t")).unwrap(),
        ),
        (
            Class::Port,
            serde_json::to_value(Port::bridge_port(id(1), id(2))).unwrap(),
        ),
        (
            Class::Rule,
            serde_json::to_value(Rule::new(id(1), RuleType::Accept, Condition::default())).unwrap(),
        ),
        (
            Class::Route,
            serde_json::to_value(Route::local(
                id(1),
                id(2),
                id(3),
                "10.0.0.1".parse().unwrap(),
            ))
            .unwrap(),
        ),
    ];
    for b in BINDINGS {
        for s in [&b.left, &b.right] {
            let name = s.field.name();
            if s.class.internal_fields().contains(&name) {
                continue;
            }
            let Some((_, sample)) = samples.iter().find(|(c, _)| *c == s.class) else {
                continue;
            };
            let in_rule_condition = s.class == Class::Rule;
            assert!(
                sample.get(name).is_some() || in_rule_condition && ["jumpChainId"].contains(&name),
                "{}.{name} is not a field of the stored form",
                s.class
            );
        }
    }
}

#[test]
fn creating_a_port_adds_it_to_its_device() {
    let mut m = Memory::default();
    create(&mut m, Class::Network, bridge(1)).unwrap();
    create(&mut m, Class::Port, bridge_port(2, 1)).unwrap();
    assert_eq!(m.field(Class::Network, id(1), "portIds"), json!([id(2)]));
    m.assert_consistent();
}

#[test]
fn a_port_on_a_missing_device_is_refused() {
    let mut m = Memory::default();
    create(&mut m, Class::Router, router(1)).unwrap();
    // A bridge port naming a router as its device is as missing as a bridge that isn't there.
    let err = create(&mut m, Class::Port, bridge_port(2, 1)).unwrap_err();
    assert_eq!(
        err,
        IntegrityError::MissingReference {
            field: "deviceId",
            class: Class::Network,
            id: id(1)
        }
    );
}

#[test]
fn router_ports_get_a_local_route_that_dies_with_them() {
    let mut m = Memory::default();
    create(&mut m, Class::Router, router(1)).unwrap();
    create(&mut m, Class::Port, router_port(2, 1)).unwrap();
    let routes = m.ids(Class::Route);
    assert_eq!(routes.len(), 1);
    let route = &m.objects[&(Class::Route, routes[0])];
    assert_eq!(route["type"], "Local");
    assert_eq!(route["dstNetworkAddr"], "10.0.0.1");
    assert_eq!(route["dstNetworkLength"], 32);
    m.assert_consistent();
    delete(&mut m, Class::Port, id(2)).unwrap();
    assert!(m.ids(Class::Route).is_empty());
    assert_eq!(m.field(Class::Router, id(1), "routeIds"), json!([]));
    m.assert_consistent();
}

#[test]
fn deleting_a_bridge_deletes_its_ports_and_dhcp_and_tables_and_unlinks_peers() {
    let mut m = Memory::default();
    create(&mut m, Class::Network, bridge(1)).unwrap();
    create(&mut m, Class::Router, router(2)).unwrap();
    create(&mut m, Class::Port, bridge_port(3, 1)).unwrap();
    create(&mut m, Class::Port, router_port(4, 2)).unwrap();
    create(
        &mut m,
        Class::Dhcp,
        json!({"id": id(5), "networkId": id(1)}),
    )
    .unwrap();
    let mut linked = (*m.get(Class::Port, id(3)).unwrap()).clone();
    linked["peerId"] = json!(id(4));
    update(&mut m, Class::Port, linked).unwrap();
    assert_eq!(m.field(Class::Port, id(4), "peerId"), json!(id(3)));

    delete(&mut m, Class::Network, id(1)).unwrap();
    assert!(m.ids(Class::Network).is_empty());
    assert_eq!(m.ids(Class::Port), vec![id(4)]);
    assert!(m.ids(Class::Dhcp).is_empty());
    assert_eq!(m.field(Class::Port, id(4), "peerId"), Value::Null);
    assert!(m.tables_removed.contains(&id(1)));
    m.assert_consistent();
}

#[test]
fn linking_to_an_already_linked_port_is_refused() {
    let mut m = Memory::default();
    create(&mut m, Class::Network, bridge(1)).unwrap();
    for p in [2, 3, 4] {
        create(&mut m, Class::Port, bridge_port(p, 1)).unwrap();
    }
    let mut a = (*m.get(Class::Port, id(2)).unwrap()).clone();
    a["peerId"] = json!(id(3));
    update(&mut m, Class::Port, a).unwrap();
    let mut c = (*m.get(Class::Port, id(4)).unwrap()).clone();
    c["peerId"] = json!(id(3));
    let err = update(&mut m, Class::Port, c).unwrap_err();
    assert!(
        matches!(err, IntegrityError::AlreadyReferenced { field: "peerId", current, .. } if current == id(2))
    );
}

#[test]
fn deleting_a_chain_deletes_its_rules_clears_filters_and_drops_jumps_into_it() {
    let mut m = Memory::default();
    create(&mut m, Class::Chain, chain(1)).unwrap();
    create(&mut m, Class::Chain, chain(2)).unwrap();
    create(&mut m, Class::Rule, rule(3, 1)).unwrap();
    create(&mut m, Class::Rule, rule(4, 1)).unwrap();
    let mut jump = rule(5, 2);
    jump["type"] = json!("jump");
    jump["jumpChainId"] = json!(id(1));
    create(&mut m, Class::Rule, jump).unwrap();
    let mut r = router(6);
    r["inboundFilterId"] = json!(id(1));
    create(&mut m, Class::Router, r).unwrap();
    m.assert_consistent();

    delete(&mut m, Class::Chain, id(1)).unwrap();
    assert!(m.ids(Class::Rule).is_empty());
    assert_eq!(m.field(Class::Chain, id(2), "ruleIds"), json!([]));
    assert_eq!(
        m.field(Class::Router, id(6), "inboundFilterId"),
        Value::Null
    );
    m.assert_consistent();
}

#[test]
fn rules_are_placed_by_position_and_positions_past_the_end_are_refused() {
    let mut m = Memory::default();
    create(&mut m, Class::Chain, chain(1)).unwrap();
    create(&mut m, Class::Rule, rule(2, 1)).unwrap();
    create(&mut m, Class::Rule, rule(3, 1)).unwrap();
    place(&mut m, Class::Chain, id(1), "ruleIds", id(3), 1).unwrap();
    assert_eq!(
        m.field(Class::Chain, id(1), "ruleIds"),
        json!([id(3), id(2)])
    );
    create(&mut m, Class::Rule, rule(4, 1)).unwrap();
    let err = place(&mut m, Class::Chain, id(1), "ruleIds", id(4), 5).unwrap_err();
    assert_eq!(
        err,
        IntegrityError::BadPosition {
            position: 5,
            max: 3
        }
    );
}

#[test]
fn binding_a_port_records_it_on_the_host_and_deleting_the_host_unbinds() {
    let mut m = Memory::default();
    create(&mut m, Class::Network, bridge(1)).unwrap();
    create(&mut m, Class::Port, bridge_port(2, 1)).unwrap();
    create(&mut m, Class::Host, json!({"id": id(3), "name": "h"})).unwrap();
    let mut p = (*m.get(Class::Port, id(2)).unwrap()).clone();
    p["hostId"] = json!(id(3));
    p["interfaceName"] = json!("vn_eni1");
    update(&mut m, Class::Port, p).unwrap();
    assert_eq!(m.field(Class::Host, id(3), "portIds"), json!([id(2)]));
    delete(&mut m, Class::Host, id(3)).unwrap();
    assert_eq!(m.field(Class::Port, id(2), "hostId"), Value::Null);
    assert_eq!(m.field(Class::Port, id(2), "interfaceName"), Value::Null);
    m.assert_consistent();
}

#[test]
fn tunnel_zone_members_are_nested_and_cleared_with_their_host() {
    let mut m = Memory::default();
    create(&mut m, Class::Host, json!({"id": id(1), "name": "h"})).unwrap();
    create(
        &mut m,
        Class::TunnelZone,
        json!({"id": id(2), "name": "tz", "type": "gre"}),
    )
    .unwrap();
    let mut tz = (*m.get(Class::TunnelZone, id(2)).unwrap()).clone();
    tz["hosts"] = json!([{"hostId": id(1), "ipAddress": "10.1.1.1"}]);
    update(&mut m, Class::TunnelZone, tz).unwrap();
    assert_eq!(m.field(Class::Host, id(1), "tunnelZoneIds"), json!([id(2)]));
    delete(&mut m, Class::Host, id(1)).unwrap();
    assert_eq!(m.field(Class::TunnelZone, id(2), "hosts"), json!([]));
}

#[test]
fn deleting_an_ip_address_group_removes_rules_that_match_it() {
    let mut m = Memory::default();
    create(&mut m, Class::Chain, chain(1)).unwrap();
    create(
        &mut m,
        Class::IpAddrGroup,
        json!({"id": id(2), "name": "g"}),
    )
    .unwrap();
    let mut r = rule(3, 1);
    r["ipAddrGroupSrc"] = json!(id(2));
    create(&mut m, Class::Rule, r).unwrap();
    delete(&mut m, Class::IpAddrGroup, id(2)).unwrap();
    assert!(m.ids(Class::Rule).is_empty());
    assert_eq!(m.field(Class::Chain, id(1), "ruleIds"), json!([]));
}

#[test]
fn a_client_update_cannot_touch_server_fields() {
    let stored = json!({"id": id(1), "type": "Bridge", "deviceId": id(2), "peerId": id(3),
                        "routeIds": [id(4)], "adminStateUp": true});
    let incoming = json!({"id": id(9), "type": "Bridge", "deviceId": id(7), "peerId": null,
                          "routeIds": [], "adminStateUp": false});
    let merged = merge_client_update(Class::Port, &stored, incoming);
    assert_eq!(merged["id"], json!(id(1)));
    assert_eq!(merged["deviceId"], json!(id(2)));
    assert_eq!(merged["peerId"], json!(id(3)));
    assert_eq!(merged["routeIds"], json!([id(4)]));
    assert_eq!(merged["adminStateUp"], json!(false));
}

#[test]
fn a_failed_create_reports_the_missing_reference_by_field() {
    let mut m = Memory::default();
    create(&mut m, Class::Router, router(1)).unwrap();
    let mut r = router(2);
    r["inboundFilterId"] = json!(id(9));
    let err = create(&mut m, Class::Router, r).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("inboundFilterId: chain {} does not exist", id(9))
    );
}

#[test]
fn a_new_object_naming_a_target_twice_is_listed_there_once() {
    let mut m = Memory::default();
    create(&mut m, Class::Network, bridge(1)).unwrap();
    create(&mut m, Class::PortGroup, json!({"id": id(2), "name": "g"})).unwrap();
    let mut p = bridge_port(3, 1);
    p["portGroupIds"] = json!([id(2), id(2)]);
    create(&mut m, Class::Port, p).unwrap();
    create(&mut m, Class::Port, bridge_port(4, 1)).unwrap();
    assert_eq!(m.field(Class::PortGroup, id(2), "portIds"), json!([id(3)]));
    assert_eq!(
        m.field(Class::Network, id(1), "portIds"),
        json!([id(3), id(4)])
    );
    m.assert_consistent();
}

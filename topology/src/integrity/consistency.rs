//! Checks a whole set of stored objects against the binding table, as a file-system checker
//! checks a disk: every reference must name an existing object of the right kind whose
//! back-reference names it in return, objects that live under a parent must have one, a list of
//! references holds each id once, and server-derived objects (a router port's local route) exist.
//!
//! Pure: the caller reads the objects (from a store's backend, a snapshot, a test's map) and
//! decides what to do with the findings. A store written only through [`super::create`],
//! [`super::update`] and [`super::delete`] has none; the fault tests run this after each crash.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;
use uuid::Uuid;

use super::{applies, derived, refs, sides_of, Field};
use crate::Class;

/// One inconsistency, naming the object, the field and the id involved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Finding {
    /// `field` names an object that does not exist, or one of the wrong kind (a bridge port's
    /// `deviceId` naming a router).
    Dangling {
        class: Class,
        id: Uuid,
        field: &'static str,
        target_class: Class,
        target: Uuid,
    },
    /// `field` names `target`, but the target's `back_field` does not name this object back.
    OneSided {
        class: Class,
        id: Uuid,
        field: &'static str,
        target_class: Class,
        target: Uuid,
        back_field: &'static str,
    },
    /// An object that lives under a parent (a port under its device, a rule in its chain, ...)
    /// has none.
    Orphan {
        class: Class,
        id: Uuid,
        field: &'static str,
    },
    /// A list of references names the same id more than once.
    Duplicate {
        class: Class,
        id: Uuid,
        field: &'static str,
        target: Uuid,
    },
    /// An object the server derives from this one (a router port's local route) is missing or
    /// differs from what the port implies.
    MissingDerived {
        class: Class,
        id: Uuid,
        derived_class: Class,
        derived: Uuid,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Dangling {
                class,
                id,
                field,
                target_class,
                target,
            } => write!(
                f,
                "dangling reference: {} {id} {field} names {} {target}, which does not exist",
                class.noun(),
                target_class.noun()
            ),
            Finding::OneSided {
                class,
                id,
                field,
                target_class,
                target,
                back_field,
            } => write!(
                f,
                "one-sided reference: {} {id} {field} names {} {target}, whose {back_field} \
                 does not name it",
                class.noun(),
                target_class.noun()
            ),
            Finding::Orphan { class, id, field } => {
                write!(f, "orphan: {} {id} has no {field}", class.noun())
            }
            Finding::Duplicate {
                class,
                id,
                field,
                target,
            } => write!(
                f,
                "duplicate reference: {} {id} {field} names {target} more than once",
                class.noun()
            ),
            Finding::MissingDerived {
                class,
                id,
                derived_class,
                derived,
            } => write!(
                f,
                "missing derived object: {} {id} implies {} {derived}, which is missing or differs",
                class.noun(),
                derived_class.noun()
            ),
        }
    }
}

/// The reference that makes an object of `class` part of its parent; an object without it is
/// an orphan (MidoNet cannot create one through its API).
pub fn parent_field(class: Class) -> Option<&'static str> {
    match class {
        Class::Port => Some("deviceId"),
        Class::Rule => Some("chainId"),
        Class::Route | Class::BgpPeer | Class::BgpNetwork => Some("routerId"),
        Class::Dhcp => Some("networkId"),
        _ => None,
    }
}

/// Every inconsistency among `objects`, sorted (so two runs over the same store print the same
/// report).
pub fn check(objects: &BTreeMap<(Class, Uuid), Value>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (&(class, id), obj) in objects {
        if let Some(field) = parent_field(class) {
            if obj.get(field).is_none_or(Value::is_null) {
                findings.push(Finding::Orphan { class, id, field });
            }
        }
        for (this, other) in sides_of(class) {
            if !applies(this, obj) {
                continue;
            }
            let targets = refs(obj, this.field);
            let field = this.field.name();
            if matches!(this.field, Field::Many(_) | Field::Nested { .. }) {
                let mut seen = std::collections::BTreeSet::new();
                for &target in &targets {
                    if !seen.insert(target) {
                        findings.push(Finding::Duplicate {
                            class,
                            id,
                            field,
                            target,
                        });
                    }
                }
            }
            for target in targets {
                match objects.get(&(other.class, target)) {
                    Some(t) if applies(other, t) => {
                        if !refs(t, other.field).contains(&id) {
                            findings.push(Finding::OneSided {
                                class,
                                id,
                                field,
                                target_class: other.class,
                                target,
                                back_field: other.field.name(),
                            });
                        }
                    }
                    _ => findings.push(Finding::Dangling {
                        class,
                        id,
                        field,
                        target_class: other.class,
                        target,
                    }),
                }
            }
        }
        for (derived_class, derived_id, expected) in derived(class, obj) {
            if objects.get(&(derived_class, derived_id)) != Some(&expected) {
                findings.push(Finding::MissingDerived {
                    class,
                    id,
                    derived_class,
                    derived: derived_id,
                });
            }
        }
    }
    findings.sort();
    findings.dedup();
    findings
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::integrity::{create, delete, Objects};

    #[derive(Default)]
    struct Memory(BTreeMap<(Class, Uuid), Value>);

    impl Objects for Memory {
        fn get(&mut self, class: Class, id: Uuid) -> Option<Arc<Value>> {
            self.0.get(&(class, id)).cloned().map(Arc::new)
        }
        fn get_mut(&mut self, class: Class, id: Uuid) -> Option<&mut Value> {
            self.0.get_mut(&(class, id))
        }
        fn put(&mut self, class: Class, id: Uuid, value: Value) {
            self.0.insert((class, id), value);
        }
        fn remove(&mut self, class: Class, id: Uuid) {
            self.0.remove(&(class, id));
        }
        fn remove_tables(&mut self, _class: Class, _id: Uuid) {}
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// A router with a port, a bridge with a port linked to it, and a chain with a rule used
    /// as the router's inbound filter: made through the integrity table, so consistent.
    fn small_topology() -> Memory {
        let mut m = Memory::default();
        let ok = |r: Result<(), _>| r.expect("consistent write");
        ok(create(
            &mut m,
            Class::Chain,
            json!({"id": id(5).to_string(), "name": "in"}),
        ));
        ok(create(
            &mut m,
            Class::Router,
            json!({"id": id(1).to_string(), "name": "r", "inboundFilterId": id(5).to_string()}),
        ));
        ok(create(
            &mut m,
            Class::Port,
            json!({"id": id(2).to_string(), "type": "Router", "deviceId": id(1).to_string(),
                   "portAddress": "10.0.0.1", "networkAddress": "10.0.0.0", "networkLength": 24}),
        ));
        ok(create(
            &mut m,
            Class::Network,
            json!({"id": id(3).to_string(), "name": "b"}),
        ));
        ok(create(
            &mut m,
            Class::Port,
            json!({"id": id(4).to_string(), "type": "Bridge", "deviceId": id(3).to_string(),
                   "peerId": id(2).to_string()}),
        ));
        ok(create(
            &mut m,
            Class::Rule,
            json!({"id": id(6).to_string(), "chainId": id(5).to_string(), "type": "accept"}),
        ));
        m
    }

    #[test]
    fn a_topology_written_through_the_table_has_no_findings() {
        let mut m = small_topology();
        assert_eq!(check(&m.0), vec![]);
        delete(&mut m, Class::Router, id(1)).expect("delete");
        assert_eq!(check(&m.0), vec![], "the cascade leaves nothing behind");
    }

    #[test]
    fn a_removed_target_is_dangling_and_its_back_reference_too() {
        let mut m = small_topology();
        // A crash between two writes could leave this; the table never does.
        m.0.remove(&(Class::Chain, id(5)));
        let found = check(&m.0);
        assert!(found.contains(&Finding::Dangling {
            class: Class::Router,
            id: id(1),
            field: "inboundFilterId",
            target_class: Class::Chain,
            target: id(5),
        }));
        assert!(found.contains(&Finding::Dangling {
            class: Class::Rule,
            id: id(6),
            field: "chainId",
            target_class: Class::Chain,
            target: id(5),
        }));
    }

    #[test]
    fn a_missing_back_reference_is_one_sided() {
        let mut m = small_topology();
        m.0.get_mut(&(Class::Network, id(3))).unwrap()["portIds"] = json!([]);
        assert_eq!(
            check(&m.0),
            vec![Finding::OneSided {
                class: Class::Port,
                id: id(4),
                field: "deviceId",
                target_class: Class::Network,
                target: id(3),
                back_field: "portIds",
            }]
        );
    }

    #[test]
    fn a_port_of_the_wrong_device_kind_is_dangling() {
        let mut m = small_topology();
        // A bridge port whose deviceId names the router, and the router listing it.
        m.0.get_mut(&(Class::Port, id(4))).unwrap()["deviceId"] = json!(id(1).to_string());
        let found = check(&m.0);
        assert!(found.contains(&Finding::Dangling {
            class: Class::Port,
            id: id(4),
            field: "deviceId",
            target_class: Class::Network,
            target: id(1),
        }));
    }

    #[test]
    fn orphans_duplicates_and_missing_local_routes_are_reported() {
        let mut m = small_topology();
        m.0.get_mut(&(Class::Rule, id(6))).unwrap()["chainId"] = Value::Null;
        m.0.get_mut(&(Class::Chain, id(5))).unwrap()["ruleIds"] = json!([]);
        let router = m.0.get_mut(&(Class::Router, id(1))).unwrap();
        let port = router["portIds"][0].clone();
        router["portIds"] = json!([port.clone(), port]);
        let local = Uuid::new_v5(&id(2), b"local-route");
        let found_before = check(&m.0);
        assert!(found_before.contains(&Finding::Orphan {
            class: Class::Rule,
            id: id(6),
            field: "chainId",
        }));
        assert!(found_before.contains(&Finding::Duplicate {
            class: Class::Router,
            id: id(1),
            field: "portIds",
            target: id(2),
        }));
        m.0.remove(&(Class::Route, local));
        assert!(check(&m.0).contains(&Finding::MissingDerived {
            class: Class::Port,
            id: id(2),
            derived_class: Class::Route,
            derived: local,
        }));
    }

    #[test]
    fn findings_read_as_sentences() {
        let f = Finding::Orphan {
            class: Class::Port,
            id: id(9),
            field: "deviceId",
        };
        assert_eq!(
            f.to_string(),
            "orphan: port 00000000-0000-0000-0000-000000000009 has no deviceId"
        );
    }
}

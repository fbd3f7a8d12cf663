//! Validation as MidoNet does it, and the JSON shapes clients send.

use serde_json::json;
use uuid::Uuid;

use super::*;
use crate::Resource;

fn rule(body: serde_json::Value) -> Rule {
    serde_json::from_value(body).expect("a rule body")
}

fn violated(r: &impl Resource) -> Vec<String> {
    r.validate()
        .err()
        .map(|e| e.violations.into_iter().map(|v| v.property).collect())
        .unwrap_or_default()
}

#[test]
fn port_ranges_must_lie_in_1_to_65535() {
    assert_eq!(
        violated(&rule(
            json!({"type": "accept", "nwProto": 6, "tpDst": {"start": 0, "end": 65535}})
        )),
        ["tpDst"]
    );
    assert!(violated(&rule(
        json!({"type": "accept", "nwProto": 6, "tpDst": {"start": 1, "end": 65535}})
    ))
    .is_empty());
    assert_eq!(
        violated(&rule(
            json!({"type": "accept", "tpSrc": {"start": 80, "end": 22}})
        )),
        ["tpSrc"]
    );
}

#[test]
fn icmp_type_zero_is_a_real_value() {
    let echo_reply = rule(json!({"type": "accept", "nwProto": 1, "tpSrc": {"start": 0, "end": 0}}));
    assert!(violated(&echo_reply).is_empty());
}

#[test]
fn fragment_policy_defaults_follow_the_rule_kind() {
    let mut l4 = rule(json!({"type": "accept", "tpDst": {"start": 22, "end": 22}}));
    l4.normalize();
    assert_eq!(l4.condition.fragment_policy, Some(FragmentPolicy::Header));
    let mut plain = rule(json!({"type": "drop"}));
    plain.normalize();
    assert_eq!(plain.condition.fragment_policy, Some(FragmentPolicy::Any));
    let mut floating = rule(json!({"type": "dnat", "flowAction": "accept",
        "natTargets": [{"addressFrom": "10.0.0.5", "addressTo": "10.0.0.5", "portFrom": 0, "portTo": 0}]}));
    floating.normalize();
    assert_eq!(
        floating.condition.fragment_policy,
        Some(FragmentPolicy::Any),
        "floating-IP NAT is static"
    );
    let mut dynamic = rule(json!({"type": "snat", "flowAction": "accept",
        "natTargets": [{"addressFrom": "203.0.113.1", "addressTo": "203.0.113.1", "portFrom": 1024, "portTo": 65535}]}));
    dynamic.normalize();
    assert_eq!(
        dynamic.condition.fragment_policy,
        Some(FragmentPolicy::Unfragmented)
    );
}

#[test]
fn l4_matches_refuse_any_and_nonheader_fragments() {
    let r = rule(
        json!({"type": "accept", "tpDst": {"start": 22, "end": 22}, "fragmentPolicy": "nonheader"}),
    );
    assert_eq!(violated(&r), ["fragmentPolicy"]);
}

#[test]
fn rules_need_the_fields_of_their_type() {
    assert_eq!(violated(&rule(json!({"type": "jump"}))), ["jumpChainId"]);
    assert_eq!(
        violated(&rule(json!({"type": "dnat"}))),
        ["flowAction", "natTargets"]
    );
    assert_eq!(violated(&rule(json!({"type": "rev_snat"}))), ["flowAction"]);
    let reversed = rule(json!({"type": "snat", "flowAction": "accept",
        "natTargets": [{"addressFrom": "10.0.0.9", "addressTo": "10.0.0.1"}]}));
    assert!(violated(&reversed).contains(&"natTargets".to_string()));
}

#[test]
fn ethertypes_masks_and_prefixes_are_checked() {
    assert_eq!(
        violated(&rule(json!({"type": "accept", "dlType": 1535}))),
        ["dlType"]
    );
    assert!(violated(&rule(
        json!({"type": "accept", "dlType": 2054, "invDlType": true})
    ))
    .is_empty());
    assert_eq!(
        violated(&rule(json!({"type": "accept", "dlSrc": "01:02:03"}))),
        ["dlSrc"]
    );
    assert!(violated(&rule(
        json!({"type": "accept", "dlSrc": "01:02:03:04:05:06", "dlSrcMask": "ffff.ffff.0000"})
    ))
    .is_empty());
    assert_eq!(
        violated(&rule(
            json!({"type": "accept", "nwDstAddress": "10.0.0.0", "nwDstLength": 40})
        )),
        ["nwDstLength"]
    );
}

#[test]
fn router_ports_need_an_address_and_bridge_ports_a_valid_vlan() {
    let p: Port = serde_json::from_value(json!({"type": "Router"})).unwrap();
    assert_eq!(
        violated(&p),
        ["portAddress", "networkAddress", "networkLength"]
    );
    let b: Port = serde_json::from_value(json!({"type": "Bridge", "vlanId": 4095})).unwrap();
    assert_eq!(violated(&b), ["vlanId"]);
}

#[test]
fn legacy_port_types_are_read_as_v5_types() {
    for (legacy, v5) in [
        ("ExteriorBridge", PortType::Bridge),
        ("InteriorRouter", PortType::Router),
    ] {
        let p: Port =
            serde_json::from_value(json!({"type": legacy, "portAddress": "10.0.0.1"})).unwrap();
        assert_eq!(p.port_type, v5);
    }
}

#[test]
fn router_port_macs_are_stable_unicast_and_in_midonets_range() {
    let id = Uuid::new_v4();
    let mac = Port::generated_mac(id);
    assert_eq!(mac, Port::generated_mac(id));
    assert!(mac.starts_with("ac:ca:ba:"));
    assert!(
        parse_mac(&mac).is_some_and(|m| m[0] & 0x01 == 0),
        "not multicast"
    );
}

#[test]
fn dhcp_subnets_are_keyed_by_cidr() {
    let s: DhcpSubnet =
        serde_json::from_value(json!({"subnetPrefix": "172.31.0.0", "subnetLength": 20})).unwrap();
    assert_eq!(s.key(), "172.31.0.0_20");
    let bridge = Uuid::new_v4();
    assert_eq!(
        DhcpSubnet::object_id(bridge, &s.key()),
        DhcpSubnet::object_id(bridge, "172.31.0.0_20")
    );
    assert!(s.enabled, "enabled by default");
    let bad: DhcpHost =
        serde_json::from_value(json!({"macAddr": "zz", "ipAddr": "172.31.0.5"})).unwrap();
    assert!(bad.validate().is_err());
}

#[test]
fn macs_parse_with_colons_or_dashes_and_print_lower_case() {
    assert_eq!(
        parse_mac("D0-0D-12-34-56-78").map(format_mac).as_deref(),
        Some("d0:0d:12:34:56:78")
    );
    assert_eq!(mac_to_uri("d0:0d:12:34:56:78"), "d0-0d-12-34-56-78");
    assert!(parse_mac("d0:0d:12:34:56").is_none());
}

#[test]
fn names_are_limited_to_255_characters() {
    let r: Router = serde_json::from_value(json!({"name": "x".repeat(256)})).unwrap();
    assert_eq!(violated(&r), ["name"]);
    let g: IpAddrGroup = serde_json::from_value(json!({})).unwrap();
    assert_eq!(violated(&g), ["name"], "an IP address group needs a name");
}

//! Tests of the translation on the shared examples and on fixture clouds: names, addresses,
//! rule order, routes, allocations, determinism, and the golden dumps.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use topology::{Resource, RuleType};
use uuid::Uuid;

use super::names::object_id;
use super::*;
use crate::gni::{self, fixture, Gni};

const SINGLE_VPC: &str = include_str!("../../testdata/gni/single-vpc.xml");
const TWO_VPCS: &str = include_str!("../../testdata/gni/two-vpcs.xml");

fn gni(document: &str) -> Gni {
    gni::parse(document).expect("the example parses")
}

fn host(n: u128, address: [u8; 4]) -> RegisteredHost {
    RegisteredHost {
        id: Uuid::from_u128(n),
        name: format!("host{n}"),
        addresses: vec![IpAddr::V4(Ipv4Addr::from(address))],
    }
}

/// The CLC, the gateway host and the examples' two nodes, registered.
fn env() -> Environment {
    let mut env = Environment::new("5.0.0.0");
    env.hosts = vec![
        host(2, [10, 1, 0, 2]),
        host(5, [10, 1, 0, 5]),
        host(21, [10, 1, 0, 21]),
        host(22, [10, 1, 0, 22]),
    ];
    env
}

fn translate_ok(gni: &Gni, env: &Environment) -> Desired {
    translate(gni, env).expect("the GNI translates")
}

fn chain_roles(d: &Desired, chain: &str) -> Vec<String> {
    let chain = &d.chains[&object_id(chain)];
    chain
        .rules
        .iter()
        .map(|r| {
            let key = d.key(r.id).unwrap_or_default();
            key.split_once('/').map_or(key, |(_, role)| role).to_owned()
        })
        .collect()
}

fn rule<'a>(d: &'a Desired, chain: &str, role: &str) -> &'a topology::Rule {
    &d.chains[&object_id(chain)].rules[chain_roles(d, chain)
        .iter()
        .position(|r| r == role)
        .unwrap_or_else(|| panic!("{chain} has no rule {role}"))]
}

fn route<'a>(d: &'a Desired, key: &str) -> &'a topology::Route {
    d.routes
        .get(&object_id(key))
        .unwrap_or_else(|| panic!("no route {key}"))
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("an address")
}

#[test]
fn core_has_eucart_eucabr_the_gateway_and_the_guard() {
    let d = translate_ok(&gni(SINGLE_VPC), &env());
    let eucart = object_id("eucart");
    assert_eq!(d.routers[&eucart].name.as_deref(), Some("eucart"));
    assert_eq!(
        d.routers[&eucart].tenant_id.as_deref(),
        Some(DEFAULT_TENANT)
    );
    let transit = &d.ports[&object_id("eucart/transit")];
    assert_eq!(transit.port.port_address, Some(ip("169.254.0.1")));
    assert_eq!(transit.port.network_length, Some(17));
    assert_eq!(transit.peer, Some(object_id("eucabr/port/eucart")));
    route(&d, "eucart/route/0.0.0.0/0/169.254.0.0/17/eucart/transit");
    let gw = &d.ports[&object_id("eucart/gateway/172.19.0.2")];
    assert_eq!(gw.port.network_address, Some(ip("172.19.0.0")));
    assert_eq!(gw.port.network_length, Some(30));
    assert_eq!(
        gw.binding,
        Some(Binding {
            host_id: Uuid::from_u128(5),
            interface_name: "veth1".into()
        })
    );
    route(
        &d,
        "eucart/route/0.0.0.0/0/172.19.0.0/30/eucart/gateway/172.19.0.2",
    );
    route(
        &d,
        "eucart/route/0.0.0.0/0/172.19.0.1/32/eucart/gateway/172.19.0.2",
    );
    let default = route(
        &d,
        "eucart/route/0.0.0.0/0/0.0.0.0/0/eucart/gateway/172.19.0.2/via/172.19.0.1",
    );
    assert_eq!(default.next_hop_gateway, Some(ip("172.19.0.1")));
    let pg = &d.port_groups[&object_id("eucapg")];
    assert!(pg.group.stateful);
    assert_eq!(
        pg.ports.iter().copied().collect::<Vec<_>>(),
        vec![gw.port.id]
    );
    let eucabr = &d.bridges[&object_id("eucabr")];
    assert_eq!(eucabr.inbound_filter_id, Some(object_id("eucabr_infilter")));
    let guard = rule(&d, "eucabr_infilter", "drop_transit");
    assert_eq!(guard.rule_type, RuleType::Drop);
    assert_eq!(guard.condition.nw_dst_address, Some(ip("169.254.0.0")));
    assert_eq!(guard.condition.nw_dst_length, Some(17));
    assert_eq!(guard.condition.dl_type, Some(ETH_IPV4));
    let version = &d.ip_addr_groups[&object_id("euca_version")];
    assert_eq!(
        version.addrs.iter().collect::<Vec<_>>(),
        [&IpAddr::V4(ip("5.0.0.0"))]
    );
    let md = &d.ip_addr_groups[&object_id("metadata_ip")];
    assert!(md.addrs.contains(&IpAddr::V4(ip("169.254.169.254"))));
}

#[test]
fn a_version_that_is_no_dotted_quad_is_refused_naming_the_layer() {
    let mut env = env();
    env.version = "5.0".into();
    let err = translate(&gni(SINGLE_VPC), &env).expect_err("not a dotted quad");
    assert_eq!(
        err.to_string(),
        "core: euca_version \"5.0\" is not a dotted four-part version"
    );
}

#[test]
fn bgp_gateways_set_the_as_number_peers_and_unique_networks() {
    let document = SINGLE_VPC.replace(
        "<property name=\"externalRouterIp\"><value>172.19.0.1</value></property>",
        "<property name=\"bgpPeerIp\"><value>172.19.0.1</value></property>\
         <property name=\"bgpPeerAsn\"><value>65001</value></property>\
         <property name=\"bgpAdRoutes\"><value>203.0.113.0/24</value><value>203.0.113.0/24</value></property>",
    ).replace(
        "<property name=\"gateways\">",
        "<property name=\"bgpAsn\"><value>65000</value></property><property name=\"gateways\">",
    );
    let d = translate_ok(&gni(&document), &env());
    assert_eq!(d.routers[&object_id("eucart")].as_number, 65000);
    let peer = &d.bgp_peers[&object_id("eucart/bgp_peer/172.19.0.1")];
    assert_eq!((peer.address, peer.as_number), (ip("172.19.0.1"), 65001));
    assert_eq!(d.bgp_networks.len(), 1);
    let net = &d.bgp_networks[&object_id("eucart/bgp_network/203.0.113.0/24")];
    assert_eq!(net.router_id, Some(object_id("eucart")));
}

#[test]
fn a_vpc_router_has_its_uplink_on_the_transit_network_and_its_chains() {
    let d = translate_ok(&gni(SINGLE_VPC), &env());
    let name = "vr_vpc-1f2e3d4c_2";
    assert!(d.routers.contains_key(&object_id(name)));
    let uplink = &d.ports[&object_id("vr_vpc-1f2e3d4c_2/uplink")];
    assert_eq!(uplink.port.port_address, Some(ip("169.254.0.2")));
    assert_eq!(uplink.port.network_length, Some(17));
    assert_eq!(
        uplink.peer,
        Some(object_id("eucabr/port/vr_vpc-1f2e3d4c_2"))
    );
    assert_eq!(
        d.ports[&object_id("eucabr/port/vr_vpc-1f2e3d4c_2")]
            .port
            .device_id,
        Some(object_id("eucabr"))
    );
    assert_eq!(
        uplink.port.inbound_filter_id,
        Some(object_id("vc_vpc-1f2e3d4c_prechain"))
    );
    assert_eq!(
        uplink.port.outbound_filter_id,
        Some(object_id("vc_vpc-1f2e3d4c_postchain"))
    );
    route(
        &d,
        "vr_vpc-1f2e3d4c_2/route/0.0.0.0/0/169.254.0.0/17/vr_vpc-1f2e3d4c_2/uplink",
    );
    let jump = rule(&d, "vc_vpc-1f2e3d4c_prechain", "jump_preelip");
    assert_eq!(
        jump.jump_chain_id,
        Some(object_id("vc_vpc-1f2e3d4c_preelip"))
    );
    assert_eq!(
        *d.origins[&object_id(name)],
        Origin {
            stage: Stage::VpcRouter,
            gni_id: "vpc-1f2e3d4c".into(),
            key: name.into()
        }
    );
}

#[test]
fn a_subnet_gets_a_router_port_a_route_a_bridge_and_its_chains() {
    let d = translate_ok(&gni(SINGLE_VPC), &env());
    let port = &d.ports[&object_id("vr_vpc-1f2e3d4c_2/subnet/subnet-0a0b0c0d")];
    assert_eq!(port.port.port_address, Some(ip("10.20.1.1")));
    assert_eq!(port.port.network_address, Some(ip("10.20.1.0")));
    assert_eq!(port.port.network_length, Some(24));
    assert_eq!(
        port.peer,
        Some(object_id("vb_vpc-1f2e3d4c_subnet-0a0b0c0d/port/router"))
    );
    route(
        &d,
        "vr_vpc-1f2e3d4c_2/route/0.0.0.0/0/10.20.1.0/24/vr_vpc-1f2e3d4c_2/subnet/subnet-0a0b0c0d",
    );
    let bridge = &d.bridges[&object_id("vb_vpc-1f2e3d4c_subnet-0a0b0c0d")];
    assert_eq!(
        bridge.inbound_filter_id,
        Some(object_id("sc_subnet-0a0b0c0d_in"))
    );
    assert_eq!(
        bridge.outbound_filter_id,
        Some(object_id("sc_subnet-0a0b0c0d_out"))
    );
    let defaults = [
        "reserved",
        "link_local",
        "dhcp",
        "intra_subnet",
        "jump/acl-5e6f7a8b",
    ];
    assert_eq!(chain_roles(&d, "sc_subnet-0a0b0c0d_in"), defaults);
    assert_eq!(chain_roles(&d, "sc_subnet-0a0b0c0d_out"), defaults);
    let intra = rule(&d, "sc_subnet-0a0b0c0d_in", "intra_subnet");
    assert_eq!(intra.condition.nw_src_address, Some(ip("10.20.1.0")));
    let intra = rule(&d, "sc_subnet-0a0b0c0d_out", "intra_subnet");
    assert_eq!(intra.condition.nw_dst_address, Some(ip("10.20.1.0")));
    let arp = &d.ip4_macs[&object_id("vb_vpc-1f2e3d4c_subnet-0a0b0c0d/arp/10.20.1.2")];
    assert_eq!(Some(&arp.entry.mac), port.port.port_mac.as_ref());
}

#[test]
fn dhcp_applies_the_vpc_option_set() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let a_bridge = object_id("vb_vpc-0000000a_subnet-000000a1");
    let a = &d.dhcp_subnets[&topology::DhcpSubnet::object_id(a_bridge, "10.20.1.0_24")];
    assert_eq!(a.subnet.default_gateway, Some(ip("10.20.1.1")));
    assert_eq!(a.subnet.dns_server_addrs, [ip("10.20.0.2"), ip("10.1.0.2")]);
    let b_bridge = object_id("vb_vpc-0000000b_subnet-000000b1");
    let b = &d.dhcp_subnets[&topology::DhcpSubnet::object_id(b_bridge, "10.20.1.0_24")];
    assert_eq!(
        b.subnet.dns_server_addrs,
        [ip("10.1.0.2")],
        "AmazonProvidedDNS"
    );
    let host = d
        .dhcp_hosts
        .values()
        .find(|h| h.host.name.as_deref() == Some("i-00000a01"))
        .expect("a DHCP host for the primary interface");
    let opts: Vec<(&str, &str)> = host
        .host
        .extra_dhcp_opts
        .iter()
        .map(|o| (o.opt_name.as_str(), o.opt_value.as_str()))
        .collect();
    assert_eq!(
        opts,
        [
            ("domain_search", "corp.example"),
            ("15", "corp.example"),
            ("42", "10.20.0.3")
        ]
    );
    let host_b = d
        .dhcp_hosts
        .values()
        .find(|h| h.host.name.as_deref() == Some("i-00000b01"))
        .expect("a DHCP host");
    assert_eq!(
        host_b.host.extra_dhcp_opts.len(),
        1,
        "instanceDNSDomain only"
    );
    assert_eq!(
        host_b.host.extra_dhcp_opts[0].opt_value,
        "eucalyptus.internal"
    );
}

#[test]
fn interface_chains_follow_eucanetd_rule_order() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    assert_eq!(
        chain_roles(&d, "ic_i-00000a01_prechain"),
        [
            "antispoof_mac",
            "antispoof_ip",
            "antispoof_arp_mac",
            "antispoof_arp_ip",
            "metadata_dnat",
            "return_flow",
            "dot2",
            "metadata",
            "jump/sg-000000a1",
            "drop_non_arp"
        ]
    );
    assert_eq!(
        chain_roles(&d, "ic_i-00000a01_postchain"),
        [
            "dhcp",
            "antispoof_ip",
            "antispoof_arp_mac",
            "antispoof_arp_ip",
            "metadata_snat",
            "return_flow",
            "jump/sg-000000a1",
            "drop_non_arp"
        ]
    );
    let mac = rule(&d, "ic_i-00000a01_prechain", "antispoof_mac");
    assert_eq!(mac.condition.dl_src.as_deref(), Some("d0:0d:00:00:0a:01"));
    assert!(mac.condition.inv_dl_src);
    let spoof = rule(&d, "ic_i-00000a01_prechain", "antispoof_ip");
    assert_eq!(spoof.condition.nw_src_address, Some(ip("10.20.1.10")));
    assert!(spoof.condition.inv_nw_src);
    let dot2 = rule(&d, "ic_i-00000a01_prechain", "dot2");
    assert_eq!(dot2.condition.nw_dst_address, Some(ip("10.20.1.2")));
    assert_eq!(dot2.condition.nw_dst_length, Some(31));
    let last = rule(&d, "ic_i-00000a01_prechain", "drop_non_arp");
    assert_eq!(
        (last.condition.dl_type, last.condition.inv_dl_type),
        (Some(ETH_ARP), true)
    );
    let jump = rule(&d, "ic_i-00000a01_postchain", "jump/sg-000000a1");
    assert_eq!(
        jump.jump_chain_id,
        Some(object_id("sg_ingress_sg-000000a1"))
    );
    // Positions are the rules' places.
    let positions: Vec<u32> = d.chains[&object_id("ic_i-00000a01_prechain")]
        .rules
        .iter()
        .map(|r| r.position)
        .collect();
    assert_eq!(positions, (1..=10).collect::<Vec<_>>());
}

#[test]
fn source_dest_check_off_drops_only_the_ip_anti_spoofing() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let pre = chain_roles(&d, "ic_i-00000a03_prechain");
    assert!(!pre.contains(&"antispoof_ip".to_owned()));
    assert!(
        pre.contains(&"antispoof_mac".to_owned()) && pre.contains(&"antispoof_arp_ip".to_owned())
    );
    assert!(!chain_roles(&d, "ic_i-00000a03_postchain").contains(&"antispoof_ip".to_owned()));
    let mut env = env();
    env.constants.disable_l2_isolation = true;
    let d = translate_ok(&gni(TWO_VPCS), &env);
    assert_eq!(
        chain_roles(&d, "ic_i-00000a01_prechain"),
        [
            "metadata_dnat",
            "return_flow",
            "dot2",
            "metadata",
            "jump/sg-000000a1",
            "drop_non_arp"
        ]
    );
}

#[test]
fn interfaces_bind_to_the_host_with_the_node_address_or_are_reported() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let port = &d.ports[&object_id("vb_vpc-0000000a_subnet-000000a2/port/eni-00000a11")];
    assert_eq!(
        port.binding,
        Some(Binding {
            host_id: Uuid::from_u128(21),
            interface_name: "vn_eni-00000a11".into()
        })
    );
    assert_eq!(
        port.port.inbound_filter_id,
        Some(object_id("ic_eni-00000a11_prechain"))
    );
    assert_eq!(
        port.port.outbound_filter_id,
        Some(object_id("ic_eni-00000a11_postchain"))
    );
    let mac = &d.mac_ports[&object_id("vb_vpc-0000000a_subnet-000000a2/mac/d0:0d:00:00:0a:11")];
    assert_eq!(mac.entry.port_id, port.port.id);

    let mut env = env();
    env.hosts.retain(|h| h.id != Uuid::from_u128(22));
    let d = translate_ok(&gni(TWO_VPCS), &env);
    let unbound = &d.ports[&object_id("vb_vpc-0000000b_subnet-000000b1/port/i-00000b01")];
    assert_eq!(unbound.binding, None);
    let reported: Vec<&str> = d.diagnostics.iter().map(|x| x.gni_id.as_str()).collect();
    assert_eq!(reported, ["i-00000a03", "i-00000b01"]);
    assert_eq!(
        d.diagnostics[1].to_string(),
        "interface i-00000b01: node 10.1.0.22 has no MidoNet host; port vn_i-00000b01 stays unbound"
    );
}

#[test]
fn metadata_dnat_is_the_first_rule_after_the_anti_spoofing_drops() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    // Four drops, then the DNAT at 5: eucanetd's prechain rule 2.
    let dnat = rule(&d, "ic_i-00000a01_prechain", "metadata_dnat");
    assert_eq!(dnat.position, 5);
    assert_eq!(dnat.rule_type, RuleType::Dnat);
    assert_eq!(dnat.flow_action, Some(topology::FlowAction::Continue));
    assert_eq!(dnat.condition.nw_proto, Some(6));
    assert_eq!(dnat.condition.tp_dst, Some(topology::PortRange::single(80)));
    assert_eq!(
        dnat.condition.ip_addr_group_dst,
        Some(object_id("metadata_ip"))
    );
    let to_proxy = topology::NatTarget {
        address_from: ip("10.20.1.3"),
        address_to: ip("10.20.1.3"),
        port_from: METADATA_PROXY_PORT,
        port_to: METADATA_PROXY_PORT,
    };
    assert_eq!(dnat.nat_targets, Some(vec![to_proxy]));
    // sourceDestCheck=false has one drop fewer; the DNAT still directly follows the drops.
    let fewer = rule(&d, "ic_i-00000a03_prechain", "metadata_dnat");
    assert_eq!(fewer.position, 4);
    // A secondary ENI in another subnet goes to that subnet's proxy.
    let eni = rule(&d, "ic_eni-00000a11_prechain", "metadata_dnat");
    let targets = eni.nat_targets.as_deref().unwrap_or_default();
    assert_eq!(targets[0].address_from, ip("10.20.2.3"));
    let mut env = env();
    env.constants.disable_l2_isolation = true;
    let d = translate_ok(&gni(TWO_VPCS), &env);
    assert_eq!(
        rule(&d, "ic_i-00000a01_prechain", "metadata_dnat").position,
        1
    );
}

#[test]
fn metadata_snat_is_rule_5_of_the_postchain_before_the_return_flow_accept() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let snat = rule(&d, "ic_i-00000a01_postchain", "metadata_snat");
    assert_eq!(snat.position, 5);
    assert_eq!(
        rule(&d, "ic_i-00000a01_postchain", "return_flow").position,
        6
    );
    assert_eq!(snat.rule_type, RuleType::Snat);
    assert_eq!(snat.flow_action, Some(topology::FlowAction::Continue));
    assert_eq!(snat.condition.nw_proto, Some(6));
    assert_eq!(snat.condition.nw_src_address, Some(ip("10.20.1.3")));
    assert_eq!(snat.condition.nw_src_length, Some(32));
    assert_eq!(
        snat.condition.tp_src,
        Some(topology::PortRange::single(METADATA_PROXY_PORT))
    );
    let back = topology::NatTarget {
        address_from: ip("169.254.169.254"),
        address_to: ip("169.254.169.254"),
        port_from: 80,
        port_to: 80,
    };
    assert_eq!(snat.nat_targets, Some(vec![back]));
    // Positions stay the rules' places after the insertion.
    for chain in ["ic_i-00000a01_postchain", "ic_i-00000a03_postchain"] {
        let positions: Vec<u32> = d.chains[&object_id(chain)]
            .rules
            .iter()
            .map(|r| r.position)
            .collect();
        assert_eq!(positions, (1..=positions.len() as u32).collect::<Vec<_>>());
    }
}

#[test]
fn each_subnet_has_a_metadata_port_bound_to_vn0_on_the_clc_host_or_reported() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let port = &d.ports[&object_id("vb_vpc-0000000a_subnet-000000a2/port/metadata")];
    assert_eq!(
        port.port.device_id,
        Some(object_id("vb_vpc-0000000a_subnet-000000a2"))
    );
    assert_eq!(
        port.binding,
        Some(Binding {
            host_id: Uuid::from_u128(2),
            interface_name: "vn0_000000a2".into()
        })
    );
    assert_eq!(d.origins[&port.port.id].stage, Stage::Metadata);
    assert_eq!(d.origins[&port.port.id].gni_id, "subnet-000000a2");
    let metadata_ports = d
        .ports
        .keys()
        .filter(|id| d.key(**id).is_some_and(|k| k.ends_with("/port/metadata")))
        .count();
    assert_eq!(metadata_ports, 3, "one per subnet");

    let mut env = env();
    env.hosts.retain(|h| h.id != Uuid::from_u128(2));
    let d = translate_ok(&gni(TWO_VPCS), &env);
    let port = &d.ports[&object_id("vb_vpc-0000000b_subnet-000000b1/port/metadata")];
    assert_eq!(port.binding, None);
    let reported: Vec<String> = d
        .diagnostics
        .iter()
        .filter(|x| x.stage == Stage::Metadata)
        .map(|x| x.to_string())
        .collect();
    assert_eq!(
        reported,
        [
            "metadata subnet-000000a1: CLC 10.1.0.2 has no MidoNet host; port vn0_000000a1 stays unbound",
            "metadata subnet-000000a2: CLC 10.1.0.2 has no MidoNet host; port vn0_000000a2 stays unbound",
            "metadata subnet-000000b1: CLC 10.1.0.2 has no MidoNet host; port vn0_000000b1 stays unbound",
        ]
    );
}

#[test]
fn without_legacy_metadata_the_stage_adds_nothing() {
    let mut env = env();
    env.constants.legacy_metadata = false;
    let d = translate_ok(&gni(TWO_VPCS), &env);
    assert!(d.origins.values().all(|o| o.stage != Stage::Metadata));
    assert!(!chain_roles(&d, "ic_i-00000a01_prechain").contains(&"metadata_dnat".to_owned()));
}

#[test]
fn security_groups_become_chains_of_accepts_and_member_groups() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    assert_eq!(
        chain_roles(&d, "sg_ingress_sg-000000a1"),
        [
            "tcp/80-80/0.0.0.0/0",
            "tcp/22-22/198.51.100.0/24",
            "icmp/8/any/10.20.0.0/16"
        ]
    );
    let icmp = rule(&d, "sg_ingress_sg-000000a1", "icmp/8/any/10.20.0.0/16");
    assert_eq!(icmp.condition.nw_proto, Some(1));
    assert_eq!(icmp.condition.tp_src, Some(topology::PortRange::single(8)));
    assert_eq!(icmp.condition.tp_dst, None);
    let by_group = rule(&d, "sg_ingress_sg-000000a2", "tcp/5432-5432/sg-000000a1");
    assert_eq!(
        by_group.condition.ip_addr_group_src,
        Some(object_id("sg_all_sg-000000a1"))
    );
    assert_eq!(
        by_group.condition.tp_dst,
        Some(topology::PortRange::single(5432))
    );
    let egress = rule(&d, "sg_egress_sg-000000a1", "all/0.0.0.0/0");
    assert_eq!(egress.rule_type, RuleType::Accept);
    assert_eq!(
        egress.condition.nw_proto, None,
        "protocol -1 matches every protocol"
    );
    assert_eq!(egress.condition.nw_dst_length, Some(0));
    let addrs = |name: &str| -> Vec<String> {
        d.ip_addr_groups[&object_id(name)]
            .addrs
            .iter()
            .map(|a| a.to_string())
            .collect()
    };
    assert_eq!(addrs("sg_priv_sg-000000a1"), ["10.20.1.10", "10.20.1.30"]);
    assert_eq!(addrs("sg_pub_sg-000000a1"), ["203.0.113.10"]);
    assert_eq!(
        addrs("sg_all_sg-000000a1"),
        ["10.20.1.10", "10.20.1.30", "203.0.113.10"]
    );
    assert_eq!(addrs("sg_priv_sg-000000a2"), ["10.20.2.11", "10.20.2.20"]);
}

#[test]
fn zero_ports_become_port_one_as_midonet_refuses_zero() {
    let document = SINGLE_VPC.replace(
        "<fromPort>22</fromPort><toPort>22</toPort>",
        "<fromPort>0</fromPort><toPort>0</toPort>",
    );
    let d = translate_ok(&gni(&document), &env());
    let r = rule(&d, "sg_ingress_sg-6a7b8c9d", "tcp/0-0/0.0.0.0/0");
    assert_eq!(r.condition.tp_dst, Some(topology::PortRange::single(1)));
}

#[test]
fn an_elastic_ip_is_dnat_snat_and_a_weight_100_route_on_eucart() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let dnat = rule(&d, "vc_vpc-0000000a_preelip", "dnat/i-00000a01");
    assert_eq!(dnat.rule_type, RuleType::Dnat);
    assert_eq!(dnat.condition.nw_dst_address, Some(ip("203.0.113.10")));
    assert_eq!(dnat.condition.nw_dst_length, Some(32));
    assert_eq!(
        dnat.nat_targets,
        Some(vec![topology::NatTarget::address(ip("10.20.1.10"))])
    );
    assert_eq!(dnat.flow_action, Some(topology::FlowAction::Continue));
    let snat = rule(&d, "vc_vpc-0000000a_postchain", "snat/i-00000a01");
    assert_eq!(
        snat.condition.ip_addr_group_src,
        Some(object_id("elip_post_i-00000a01"))
    );
    assert_eq!(snat.condition.nw_dst_address, Some(ip("10.20.0.0")));
    assert!(snat.condition.inv_nw_dst);
    let r = route(
        &d,
        "eucart/route/0.0.0.0/0/203.0.113.10/32/eucart/transit/via/169.254.0.2",
    );
    assert_eq!(r.weight, 100);
    let b = route(
        &d,
        "eucart/route/0.0.0.0/0/203.0.113.11/32/eucart/transit/via/169.254.0.3",
    );
    assert_eq!(b.next_hop_port, Some(object_id("eucart/transit")));
    let pre = &d.ip_addr_groups[&object_id("elip_pre_i-00000a01")];
    assert!(pre.addrs.contains(&IpAddr::V4(ip("203.0.113.10"))));
    let post = &d.ip_addr_groups[&object_id("elip_post_i-00000a01")];
    assert!(post.addrs.contains(&IpAddr::V4(ip("10.20.1.10"))));
    assert!(d.ip_addr_groups[&object_id("elip_pre_i-00000a02")]
        .addrs
        .is_empty());
}

#[test]
fn route_tables_become_source_restricted_routes_with_eucanetd_weights() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let igw = route(
        &d,
        "vr_vpc-0000000a_2/route/10.20.1.0/24/0.0.0.0/0/vr_vpc-0000000a_2/uplink/via/169.254.0.1",
    );
    assert_eq!((igw.weight, igw.src_network_length), (10, 24));
    let nat = route(
        &d,
        "vr_vpc-0000000a_2/route/10.20.2.0/24/0.0.0.0/0/vr_vpc-0000000a_2/subnet/subnet-000000a1/via/10.20.1.254",
    );
    assert_eq!(nat.weight, 20);
    let eni = route(
        &d,
        "vr_vpc-0000000a_2/route/10.20.2.0/24/192.0.2.0/24/vr_vpc-0000000a_2/subnet/subnet-000000a1/via/10.20.1.30",
    );
    assert_eq!(eni.weight, 30);
    assert_eq!(eni.src_network_addr, ip("10.20.2.0"));
    // `local` routes add nothing: vpc-b's table has only one.
    let b_routes = d
        .routes
        .values()
        .filter(|r| r.router_id == Some(object_id("vr_vpc-0000000b_3")))
        .count();
    assert_eq!(b_routes, 2, "transit and subnet routes only");
    let origin = &d.origins[&eni.id];
    assert_eq!(
        (origin.stage, origin.gni_id.as_str()),
        (Stage::RouteTable, "rtb-000000a2")
    );
}

#[test]
fn peering_routes_go_to_the_peer_router_uplink_and_unknown_ones_are_reported() {
    let document = TWO_VPCS.replace(
        "<route><destinationCidr>10.20.0.0/16</destinationCidr><gatewayId>local</gatewayId></route>\n        </routes></routeTable>\n      </routeTables>\n      <natGateways/>",
        "<route><destinationCidr>10.20.0.0/16</destinationCidr><gatewayId>local</gatewayId></route>\n          <route><destinationCidr>10.30.0.0/16</destinationCidr><gatewayId>pcx-000000ab</gatewayId></route>\n          <route><destinationCidr>10.40.0.0/16</destinationCidr><gatewayId>pcx-000000ff</gatewayId></route>\n        </routes></routeTable>\n      </routeTables>\n      <natGateways/>",
    );
    assert_ne!(document, TWO_VPCS, "the replacement found its place");
    let mut env = env();
    env.peerings.insert(
        "pcx-000000ab".into(),
        VpcPeering {
            requester: gni::VpcId::parse("vpc-0000000a").expect("an id"),
            accepter: gni::VpcId::parse("vpc-0000000b").expect("an id"),
        },
    );
    let d = translate_ok(&gni(&document), &env);
    let peering = route(
        &d,
        "vr_vpc-0000000b_3/route/10.20.1.0/24/10.30.0.0/16/vr_vpc-0000000b_3/uplink/via/169.254.0.2",
    );
    assert_eq!(peering.weight, 40);
    assert!(d.diagnostics.iter().any(|x| x.gni_id == "rtb-000000b0"
        && x.message
            .contains("pcx-000000ff: unknown peering connection")));
}

#[test]
fn a_route_to_a_nat_gateway_of_another_vpc_names_table_route_and_target() {
    let mut g = gni(TWO_VPCS);
    let b = gni::VpcId::parse("vpc-0000000b").expect("an id");
    let table = g
        .vpcs
        .get_mut(&b)
        .and_then(|v| v.route_tables.values_mut().next())
        .expect("vpc-b has a table");
    table.routes.push(gni::Route {
        destination: network(Ipv4Addr::UNSPECIFIED, 0),
        target: gni::RouteTarget::NatGateway(gni::NatGatewayId::parse("nat-0000000a").expect("id")),
    });
    let err = translate(&g, &env()).expect_err("the NAT gateway is vpc-a's");
    assert_eq!(
        err.to_string(),
        "route table rtb-000000b0: route 0.0.0.0/0: target nat-0000000a is not a NAT gateway of vpc-0000000b"
    );
}

#[test]
fn a_nat_gateway_is_a_router_with_snat_and_rev_snat() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let name = "natr_nat-0000000a_subnet-000000a1_4";
    let router = &d.routers[&object_id(name)];
    assert_eq!(
        router.inbound_filter_id,
        Some(object_id("natc_nat-0000000a_rtin"))
    );
    assert_eq!(
        router.outbound_filter_id,
        Some(object_id("natc_nat-0000000a_rtout"))
    );
    let uplink = &d.ports[&object_id(&format!("{name}/uplink"))];
    assert_eq!(uplink.port.port_address, Some(ip("169.254.0.4")));
    let inside = &d.ports[&object_id(&format!("{name}/subnet"))];
    assert_eq!(inside.port.port_address, Some(ip("10.20.1.254")));
    assert_eq!(inside.port.port_mac.as_deref(), Some("d0:0d:00:00:0a:fe"));
    assert_eq!(
        inside.peer,
        Some(object_id(&format!(
            "vb_vpc-0000000a_subnet-000000a1/port/{name}"
        )))
    );
    route(
        &d,
        &format!("{name}/route/0.0.0.0/0/0.0.0.0/0/{name}/uplink/via/169.254.0.1"),
    );
    route(
        &d,
        &format!("{name}/route/0.0.0.0/0/169.254.0.0/17/{name}/uplink"),
    );
    route(
        &d,
        &format!("{name}/route/0.0.0.0/0/10.20.0.0/16/{name}/subnet/via/10.20.1.1"),
    );
    let public = route(
        &d,
        "eucart/route/0.0.0.0/0/203.0.113.12/32/eucart/transit/via/169.254.0.4",
    );
    assert_eq!(public.weight, 100);
    let snat = rule(&d, "natc_nat-0000000a_rtout", "snat");
    assert_eq!(snat.condition.out_ports, Some(vec![uplink.port.id]));
    assert_eq!(snat.condition.nw_src_address, Some(ip("10.20.0.0")));
    let target = snat
        .nat_targets
        .as_ref()
        .and_then(|t| t.first())
        .expect("a target");
    assert_eq!((target.port_from, target.port_to), (1024, 65535));
    assert_eq!(target.address_from, ip("203.0.113.12"));
    let rev = rule(&d, "natc_nat-0000000a_rtin", "rev_snat");
    assert_eq!(rev.rule_type, RuleType::RevSnat);
    assert_eq!(rev.condition.nw_dst_address, Some(ip("203.0.113.12")));
    let pre = &d.ip_addr_groups[&object_id("elip_pre_nat-0000000a")];
    assert!(pre.addrs.contains(&IpAddr::V4(ip("203.0.113.12"))));
}

#[test]
fn acl_entries_apply_in_rule_number_order_then_deny() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    assert_eq!(
        chain_roles(&d, "acl_ingress_vpc-0000000a_acl-000000a2"),
        [
            "entry/100/deny/tcp/23-23/10.20.1.0/24",
            "entry/200/allow/all/10.20.0.0/16",
            "default_deny"
        ]
    );
    let deny = rule(
        &d,
        "acl_ingress_vpc-0000000a_acl-000000a2",
        "entry/100/deny/tcp/23-23/10.20.1.0/24",
    );
    assert_eq!(deny.rule_type, RuleType::Drop);
    assert_eq!(deny.condition.nw_src_address, Some(ip("10.20.1.0")));
    let egress = rule(
        &d,
        "acl_egress_vpc-0000000a_acl-000000a2",
        "entry/100/allow/all/0.0.0.0/0",
    );
    assert_eq!(egress.condition.nw_dst_length, Some(0));
    let jump = rule(&d, "sc_subnet-000000a2_out", "jump/acl-000000a2");
    assert_eq!(
        jump.jump_chain_id,
        Some(object_id("acl_egress_vpc-0000000a_acl-000000a2"))
    );
}

#[test]
fn every_object_is_valid_for_midonet_and_every_reference_resolves() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let known = |id: &Uuid| d.origins.contains_key(id);
    for r in d.routers.values() {
        r.validate().expect("a valid router");
    }
    for p in d.ports.values() {
        p.port.validate().expect("a valid port");
        assert!(p.port.device_id.is_some_and(|dev| known(&dev)));
        for f in [p.port.inbound_filter_id, p.port.outbound_filter_id]
            .into_iter()
            .flatten()
        {
            assert!(d.chains.contains_key(&f));
        }
        if let Some(peer) = p.peer {
            assert_eq!(d.ports[&peer].peer, Some(p.port.id), "links are symmetric");
        }
    }
    for c in d.chains.values() {
        for r in &c.rules {
            r.validate()
                .unwrap_or_else(|e| panic!("{:?}: {e:?}", d.key(r.id)));
            for target in [r.jump_chain_id].into_iter().flatten() {
                assert!(
                    d.chains.contains_key(&target),
                    "{:?} jumps nowhere",
                    d.key(r.id)
                );
            }
            for g in [r.condition.ip_addr_group_src, r.condition.ip_addr_group_dst]
                .into_iter()
                .flatten()
            {
                assert!(d.ip_addr_groups.contains_key(&g));
            }
        }
    }
    for r in d.routes.values() {
        r.validate().expect("a valid route");
        assert!(r.next_hop_port.is_some_and(|p| d.ports.contains_key(&p)));
        assert_eq!(
            d.ports[&r.next_hop_port.unwrap_or_default()].port.device_id,
            r.router_id,
            "{:?} leaves by a port of its router",
            d.key(r.id)
        );
    }
    let objects = d.routers.len()
        + d.bridges.len()
        + d.ports.len()
        + d.chains.len()
        + d.chains.values().map(|c| c.rules.len()).sum::<usize>()
        + d.routes.len()
        + d.ip_addr_groups.len()
        + d.port_groups.len()
        + d.dhcp_subnets.len()
        + d.dhcp_hosts.len()
        + d.ip4_macs.len()
        + d.mac_ports.len()
        + d.bgp_peers.len()
        + d.bgp_networks.len();
    assert_eq!(
        objects,
        d.origins.len(),
        "every object has exactly one origin"
    );
}

#[test]
fn translating_twice_gives_equal_output() {
    let spec = fixture::CloudSpec::small();
    let g = gni(&fixture::cloud_xml(&spec).expect("a valid spec"));
    assert_eq!(translate(&g, &env()), translate(&g, &env()));
}

#[test]
fn allocations_are_stable_and_new_vpcs_take_the_lowest_free_rtid() {
    let spec = |vpcs| fixture::CloudSpec {
        vpcs,
        subnets_per_vpc: 1,
        instances: vpcs,
        security_groups: 0,
        rules_per_group: 0,
        elastic_ips: 0,
        nodes: 1,
    };
    let three = gni(&fixture::cloud_xml(&spec(3)).expect("a valid spec"));
    let first = translate_ok(&three, &env());
    let rtids: Vec<u32> = first.allocations.rtids.values().copied().collect();
    assert_eq!(rtids, [2, 3, 4]);
    let eniids: Vec<u32> = first.allocations.eniids.values().copied().collect();
    assert_eq!(eniids, [10, 11, 12]);

    let mut again = env();
    again.allocations = first.allocations.clone();
    assert_eq!(
        translate_ok(&three, &again),
        first,
        "fed back, nothing moves"
    );

    // vpc-00000001 goes away; a fourth VPC arrives and takes the freed id.
    let mut four = gni(&fixture::cloud_xml(&spec(4)).expect("a valid spec"));
    four.vpcs.retain(|id, _| id.as_str() != "vpc-00000001");
    four.instances
        .retain(|_, i| i.vpc.as_str() != "vpc-00000001");
    let next = translate_ok(&four, &again);
    let got: BTreeMap<&str, u32> = next
        .allocations
        .rtids
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        got,
        BTreeMap::from([
            ("vpc-00000000", 2),
            ("vpc-00000002", 4),
            ("vpc-00000003", 3)
        ])
    );
    assert!(next.routers.contains_key(&object_id("vr_vpc-00000003_3")));
}

#[test]
fn produced_by_lists_an_owners_objects() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let keys: Vec<&str> = d
        .produced_by("nat-0000000a")
        .filter_map(|id| d.key(id))
        .collect();
    assert!(keys.contains(&"natr_nat-0000000a_subnet-000000a1_4"));
    assert!(keys.contains(&"natc_nat-0000000a_rtout/snat"));
    assert!(keys.iter().all(|k| !k.contains("i-0000")));
}

/// Compares `text` with the golden file `name`, or writes it when `BLESS=1`.
fn golden(name: &str, text: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/golden")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir golden");
        std::fs::write(&path, text).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", path.display()));
    assert!(
        want == text,
        "{} differs from the translation; rerun with BLESS=1 and review the diff",
        path.display()
    );
}

#[test]
fn golden_dumps_of_the_examples() {
    for (name, document) in [("single-vpc", SINGLE_VPC), ("two-vpcs", TWO_VPCS)] {
        let d = translate_ok(&gni(document), &env());
        golden(&format!("{name}.txt"), &dump::render(&d, None));
        for stage in Stage::ALL {
            let text = dump::render(&d, Some(stage));
            golden(&format!("{name}/{stage}.txt"), &text);
        }
    }
}

#[test]
fn a_stage_dump_holds_only_that_stages_objects() {
    let d = translate_ok(&gni(TWO_VPCS), &env());
    let text = dump::render(&d, Some(Stage::ElasticIp));
    assert!(text.contains("dnat/i-00000a01"));
    assert!(!text.contains("router vr_"), "{text}");
    assert!(!text.contains("jump_preelip"));
}

/// The parts, translated apart and put together, make exactly what `translate` makes, so a
/// daemon may redo only the parts whose inputs changed.
#[test]
fn the_parts_together_are_the_whole() {
    let env = env();
    let big = fixture::cloud_xml(&fixture::CloudSpec::small()).expect("a spec");
    for document in [SINGLE_VPC, TWO_VPCS, big.as_str()] {
        let gni = gni(document);
        let whole = translate_ok(&gni, &env);
        let allocations = allocate(&gni, &env).expect("allocates");
        let mut together = Desired {
            allocations,
            ..Desired::default()
        };
        for part in Part::all(&gni) {
            // Each part from an index of its own inputs only, as the engine builds them.
            let index = Index::for_parts(&gni, std::slice::from_ref(&part));
            let made = translate_part(&gni, &env, &together.allocations, &index, &part)
                .expect("a part translates");
            assert!(
                made.origins
                    .keys()
                    .all(|id| !together.origins.contains_key(id)),
                "{part} makes an object another part made"
            );
            together.absorb(made);
        }
        let mut want = whole.diagnostics.clone();
        let mut got = together.diagnostics.clone();
        want.sort_by(|a, b| (&a.gni_id, &a.message).cmp(&(&b.gni_id, &b.message)));
        got.sort_by(|a, b| (&a.gni_id, &a.message).cmp(&(&b.gni_id, &b.message)));
        assert_eq!(got, want);
        together.diagnostics = whole.diagnostics.clone();
        assert_eq!(together.routers, whole.routers);
        assert_eq!(together.bridges, whole.bridges);
        assert_eq!(together.ports, whole.ports);
        assert_eq!(together.chains.len(), whole.chains.len());
        for (id, chain) in &whole.chains {
            assert_eq!(
                together.chains.get(id),
                Some(chain),
                "chain {:?}",
                chain.chain.name
            );
        }
        assert_eq!(together.routes, whole.routes);
        assert_eq!(together.ip_addr_groups, whole.ip_addr_groups);
        assert!(together == whole, "the parts differ from the whole");
    }
}

type GniEdit = fn(&mut Gni);

#[test]
fn reallocation_from_the_changes_equals_allocation_from_scratch() {
    let big = fixture::cloud_xml(&fixture::CloudSpec::small()).expect("a spec");
    for document in [TWO_VPCS, big.as_str()] {
        let mut env = env();
        let mut old = gni(document);
        env.allocations = allocate(&old, &env).expect("allocates");
        // Each edit in turn, as the CLC makes them between two versions.
        let edits: [(&str, GniEdit); 5] = [
            ("remove the first instance", |g| {
                let first = g.instances.keys().next().cloned().expect("an instance");
                g.instances.remove(&first);
            }),
            ("add an instance under a new id", |g| {
                let (id, mut copy) = g
                    .instances
                    .iter()
                    .last()
                    .map(|(id, i)| (id.clone(), (**i).clone()))
                    .expect("an instance");
                let new_id = gni::InstanceId::parse("i-0000fffe").expect("an id");
                let primary = copy.interfaces.remove(id.as_str()).expect("a primary");
                let name = gni::InterfaceName::from(&new_id);
                copy.interfaces
                    .insert(name.clone(), gni::Interface { name, ..primary });
                copy.id = new_id.clone();
                g.instances.insert(new_id, copy.into());
            }),
            ("change an instance's address", |g| {
                let instance = g.instances.values_mut().nth(1).expect("two instances");
                instance.private_ip = Ipv4Addr::new(10, 99, 0, 9);
            }),
            ("drop a VPC's NAT gateways", |g| {
                for vpc in g.vpcs.values_mut() {
                    if !vpc.nat_gateways.is_empty() {
                        vpc.nat_gateways.clear();
                        break;
                    }
                }
            }),
            ("delete the first VPC", |g| {
                let first = g.vpcs.keys().next().cloned().expect("a VPC");
                g.vpcs.remove(&first);
            }),
        ];
        for (what, edit) in edits {
            let mut new = old.clone();
            edit(&mut new);
            let scratch = allocate(&new, &env).expect("allocates");
            let incremental =
                reallocate(&Changes::between(&old, &new), &new, &env).expect("reallocates");
            assert_eq!(incremental, scratch, "{what}");
            // All but the address change add or free ids (NAT gateways where there are
            // some), so the case is not vacuous.
            let had_nat = old.vpcs.values().any(|v| !v.nat_gateways.is_empty());
            if !what.starts_with("change") && (had_nat || !what.starts_with("drop")) {
                assert_ne!(scratch, env.allocations, "{what} changes the allocations");
            }
            env.allocations = scratch;
            old = new;
        }
    }
}

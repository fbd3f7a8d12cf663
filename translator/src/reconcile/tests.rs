//! Tests of the plan on hand-built desired and actual topologies: what an empty MidoNet needs,
//! that equal topologies need nothing, and that each kind of change gives exactly its operations.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use topology::{
    Bridge, Chain, Condition, DhcpHost, DhcpSubnet, Ip4Mac, IpAddrGroup, MacPort, Port, PortGroup,
    Route, RouteType, Router, Rule, RuleType,
};
use uuid::Uuid;

use super::plan::{plan, Change, Level};
use super::Actual;
use crate::desired::names::object_id;
use crate::desired::{
    Binding, Desired, DesiredChain, DesiredDhcpHost, DesiredDhcpSubnet, DesiredIp4Mac,
    DesiredIpAddrGroup, DesiredMacPort, DesiredPort, DesiredPortGroup, Origin, Stage,
};

const TENANT: &str = "euca_tenant_1";
const HOST_1: Uuid = Uuid::from_u128(1);
const HOST_2: Uuid = Uuid::from_u128(2);

fn id(key: &str) -> Uuid {
    object_id(key)
}

/// Records `key`'s origin in `d` and returns its id.
fn origin(d: &mut Desired, key: &str, stage: Stage, gni_id: &str) -> Uuid {
    let id = id(key);
    let o = Origin {
        stage,
        gni_id: gni_id.to_owned(),
        key: key.to_owned(),
    };
    d.origins.insert(id, o.into());
    id
}

fn rule(d: &mut Desired, chain: &str, role: &str, mut rule: Rule) {
    let rid = origin(d, &format!("{chain}/{role}"), Stage::SecurityGroup, "sg-1");
    let c = Arc::make_mut(d.chains.get_mut(&id(chain)).expect("chain made first"));
    rule.id = rid;
    rule.chain_id = Some(id(chain));
    rule.position = c.rules.len() as u32 + 1;
    rule.normalize();
    c.rules.push(rule.into());
}

/// A small VPC: a router and a subnet bridge linked by a port pair, an interface port with a
/// filter chain jumping to a security group chain that matches an address group, a port
/// group, a route, DHCP, and ARP/MAC entries.
fn small() -> Desired {
    let mut d = Desired::default();
    let vpc = "vpc-1";
    let r = origin(&mut d, "vr_vpc-1_2", Stage::VpcRouter, vpc);
    d.routers
        .insert(r, Router::named(r, "vr_vpc-1_2", TENANT).into());
    let b = origin(&mut d, "vb_vpc-1_subnet-1", Stage::SubnetBridge, "subnet-1");
    d.bridges
        .insert(b, Bridge::named(b, "vb_vpc-1_subnet-1", TENANT).into());
    for name in ["ic_i-1_prechain", "sg_ingress_sg-1"] {
        let c = origin(&mut d, name, Stage::Interface, "i-1");
        let chain = Chain {
            id: c,
            tenant_id: Some(TENANT.into()),
            name: Some(name.into()),
        };
        let rules = Vec::new();
        d.chains.insert(c, DesiredChain { chain, rules }.into());
    }
    let g = origin(&mut d, "sg_priv_sg-1", Stage::SecurityGroup, "sg-1");
    let group = IpAddrGroup {
        id: g,
        name: Some("sg_priv_sg-1".into()),
    };
    let addrs = [IpAddr::V4(Ipv4Addr::new(10, 0, 1, 5))].into();
    d.ip_addr_groups
        .insert(g, DesiredIpAddrGroup { group, addrs }.into());

    let rp = origin(
        &mut d,
        "vr_vpc-1_2/subnet/subnet-1",
        Stage::SubnetBridge,
        "subnet-1",
    );
    let mut router_port =
        Port::router_port(rp, r, Ipv4Addr::new(10, 0, 1, 1), [10, 0, 1, 0].into(), 24);
    router_port.port_mac = Some(Port::generated_mac(rp));
    let bp = origin(
        &mut d,
        "vb_vpc-1_subnet-1/port/router",
        Stage::SubnetBridge,
        "subnet-1",
    );
    let ip = origin(
        &mut d,
        "vb_vpc-1_subnet-1/port/i-1",
        Stage::Interface,
        "i-1",
    );
    let mut interface_port = Port::bridge_port(ip, b);
    interface_port.inbound_filter_id = Some(id("ic_i-1_prechain"));
    let port = |port, peer, binding| DesiredPort {
        port,
        peer,
        binding,
    };
    d.ports.insert(rp, port(router_port, Some(bp), None).into());
    d.ports
        .insert(bp, port(Port::bridge_port(bp, b), Some(rp), None).into());
    let binding = Binding {
        host_id: HOST_1,
        interface_name: "vn_i-1".into(),
    };
    d.ports
        .insert(ip, port(interface_port, None, Some(binding)).into());

    let pg = origin(&mut d, "eucapg", Stage::Core, "configuration");
    let group = PortGroup {
        id: pg,
        tenant_id: Some(TENANT.into()),
        name: Some("eucapg".into()),
        stateful: true,
    };
    d.port_groups.insert(
        pg,
        DesiredPortGroup {
            group,
            ports: [rp].into(),
        }
        .into(),
    );

    let mut jump = Rule::new(Uuid::nil(), RuleType::Jump, Condition::default());
    jump.jump_chain_id = Some(id("sg_ingress_sg-1"));
    jump.jump_chain_name = Some("sg_ingress_sg-1".into());
    rule(&mut d, "ic_i-1_prechain", "jump_sg", jump);
    let drop = Rule::new(Uuid::nil(), RuleType::Drop, Condition::default());
    rule(&mut d, "ic_i-1_prechain", "drop", drop);
    let from_group = Condition {
        ip_addr_group_src: Some(g),
        ..Condition::default()
    };
    let accept = Rule::new(Uuid::nil(), RuleType::Accept, from_group);
    rule(&mut d, "sg_ingress_sg-1", "accept_priv", accept);

    let route_id = origin(
        &mut d,
        "vr_vpc-1_2/route/subnet-1",
        Stage::SubnetBridge,
        "subnet-1",
    );
    let route = Route {
        id: route_id,
        router_id: Some(r),
        src_network_addr: Ipv4Addr::UNSPECIFIED,
        src_network_length: 0,
        dst_network_addr: Ipv4Addr::new(10, 0, 1, 0),
        dst_network_length: 24,
        next_hop_port: Some(rp),
        next_hop_gateway: None,
        weight: 0,
        route_type: RouteType::Normal,
        attributes: None,
        learned: false,
    };
    d.routes.insert(route_id, route.into());

    let subnet = DhcpSubnet {
        subnet_prefix: Ipv4Addr::new(10, 0, 1, 0),
        subnet_length: 24,
        default_gateway: Some(Ipv4Addr::new(10, 0, 1, 1)),
        server_addr: None,
        dns_server_addrs: vec![Ipv4Addr::new(10, 1, 0, 2)],
        interface_mtu: None,
        opt121_routes: Vec::new(),
        enabled: true,
    };
    let s = DhcpSubnet::object_id(b, &subnet.key());
    let key = format!("vb_vpc-1_subnet-1/dhcp/{}", subnet.key());
    let o = Origin {
        stage: Stage::Dhcp,
        gni_id: "subnet-1".into(),
        key,
    };
    d.origins.insert(s, o.into());
    d.dhcp_subnets
        .insert(s, DesiredDhcpSubnet { bridge: b, subnet }.into());
    let h = origin(&mut d, "vb_vpc-1_subnet-1/dhcp/host", Stage::Dhcp, "i-1");
    let host = DhcpHost {
        mac_addr: "d0:0d:00:00:00:01".into(),
        ip_addr: Ipv4Addr::new(10, 0, 1, 5),
        name: Some("i-1".into()),
        extra_dhcp_opts: Vec::new(),
    };
    let dhcp_subnet = s;
    d.dhcp_hosts.insert(
        h,
        DesiredDhcpHost {
            bridge: b,
            dhcp_subnet,
            host,
        }
        .into(),
    );
    let a = origin(
        &mut d,
        "vb_vpc-1_subnet-1/arp/10.0.1.5",
        Stage::Interface,
        "i-1",
    );
    let entry = Ip4Mac {
        ip: Ipv4Addr::new(10, 0, 1, 5),
        mac: "d0:0d:00:00:00:01".into(),
    };
    d.ip4_macs
        .insert(a, DesiredIp4Mac { bridge: b, entry }.into());
    let m = origin(
        &mut d,
        "vb_vpc-1_subnet-1/mac/d0:0d:00:00:00:01",
        Stage::Interface,
        "i-1",
    );
    let entry = MacPort {
        mac_addr: "d0:0d:00:00:00:01".into(),
        port_id: ip,
        vlan_id: None,
    };
    d.mac_ports
        .insert(m, DesiredMacPort { bridge: b, entry }.into());
    d
}

/// `desired` as MidoNet would show it: no origins, server-filled fields filled, MACs upper-case
/// in the table entries and their own ids on id-less members.
fn as_read(desired: &Desired) -> Actual {
    let mut a = desired.clone();
    a.origins.clear();
    for (n, p) in a.ports.values_mut().map(Arc::make_mut).enumerate() {
        p.port.tunnel_key = Some(n as i64 + 7);
        p.port.active = p.binding.is_some();
        if p.port.port_type == topology::PortType::Bridge {
            p.port.vlan_id = Some(0);
        }
    }
    a.ip4_macs = a
        .ip4_macs
        .into_values()
        .map(|mut e| {
            Arc::make_mut(&mut e).entry.mac = e.entry.mac.to_uppercase();
            (Uuid::new_v4(), e)
        })
        .collect();
    a.dhcp_hosts = a
        .dhcp_hosts
        .into_values()
        .map(|h| (Uuid::new_v4(), h))
        .collect();
    a
}

fn phrases(d: &Desired, a: &Actual) -> Vec<String> {
    plan(d, a)
        .operations
        .iter()
        .map(|o| o.to_string())
        .collect()
}

#[test]
fn an_empty_midonet_gets_everything_parents_first() {
    let d = small();
    let p = plan(&d, &Actual::default());
    let text = p.to_string();
    assert!(
        text.ends_with("plan: 21 to create, 0 to update, 0 to delete\n"),
        "{text}"
    );
    // Every object an operation needs is made by an earlier operation.
    let mut made = BTreeSet::new();
    for op in &p.operations {
        for need in &op.needs {
            assert!(
                made.contains(need),
                "{op} runs before what it needs\n{text}"
            );
        }
        made.insert(op.object);
    }
    let level = |phrase: &str| {
        p.operations
            .iter()
            .find(|o| o.to_string().starts_with(phrase))
            .map(|o| o.level)
    };
    assert_eq!(level("create chain"), Some(Level::Groups));
    assert_eq!(level("create router"), Some(Level::Devices));
    assert_eq!(level("create port "), Some(Level::Ports));
    assert_eq!(level("link port"), Some(Level::Wiring));
    assert_eq!(level("create rule"), Some(Level::Rules));
    // Rules of a chain are created in order, in the chain's lane.
    let rules: Vec<String> = p
        .operations
        .iter()
        .filter(|o| o.lane == Some(id("ic_i-1_prechain")))
        .map(|o| o.to_string())
        .collect();
    assert_eq!(
        rules,
        [
            "create rule 1 of ic_i-1_prechain/jump_sg (security_group sg-1)",
            "create rule 2 of ic_i-1_prechain/drop (security_group sg-1)",
        ]
    );
    assert!(
        text.contains("+ create router vr_vpc-1_2 (vpc_router vpc-1)\n"),
        "{text}"
    );
    // One link per port pair.
    assert_eq!(text.matches("link port").count(), 1, "{text}");
}

#[test]
fn equal_topologies_need_no_operation() {
    let d = small();
    assert_eq!(phrases(&d, &as_read(&d)), Vec::<String>::new());
}

#[test]
fn a_changed_port_filter_is_one_port_update_keeping_server_fields() {
    let d = small();
    let mut a = as_read(&d);
    let ip = id("vb_vpc-1_subnet-1/port/i-1");
    a.ports
        .get_mut(&ip)
        .map(Arc::make_mut)
        .expect("port")
        .port
        .inbound_filter_id = None;
    let p = plan(&d, &a);
    assert_eq!(p.len(), 1, "{p}");
    let Change::UpdatePort(body) = &p.operations[0].change else {
        panic!("not a port update: {p}");
    };
    assert_eq!(body.inbound_filter_id, Some(id("ic_i-1_prechain")));
    assert_eq!(body.tunnel_key, a.ports[&ip].port.tunnel_key, "kept");
    assert_eq!(body.vlan_id, Some(0), "kept");
}

#[test]
fn a_changed_rule_rebuilds_only_its_chain() {
    let mut d = small();
    let chain = id("ic_i-1_prechain");
    let a = as_read(&d);
    let c = Arc::make_mut(d.chains.get_mut(&chain).expect("chain"));
    Arc::make_mut(&mut c.rules[1]).rule_type = RuleType::Reject;
    let p = plan(&d, &a);
    let ops: Vec<(Level, String)> = p
        .operations
        .iter()
        .map(|o| (o.level, o.to_string()))
        .collect();
    assert_eq!(
        ops,
        [
            (
                Level::Detach,
                "delete rule ic_i-1_prechain/jump_sg (security_group sg-1)".into()
            ),
            (
                Level::Detach,
                "delete rule ic_i-1_prechain/drop (security_group sg-1)".into()
            ),
            (
                Level::Rules,
                "create rule 1 of ic_i-1_prechain/jump_sg (security_group sg-1)".into()
            ),
            (
                Level::Rules,
                "create rule 2 of ic_i-1_prechain/drop (security_group sg-1)".into()
            ),
        ]
    );
    assert!(p.operations.iter().all(|o| o.lane == Some(chain)));
}

#[test]
fn an_added_address_is_one_add() {
    let mut d = small();
    let a = as_read(&d);
    let g = id("sg_priv_sg-1");
    let new = IpAddr::V4(Ipv4Addr::new(10, 0, 1, 6));
    d.ip_addr_groups
        .get_mut(&g)
        .map(Arc::make_mut)
        .expect("group")
        .addrs
        .insert(new);
    assert_eq!(
        phrases(&d, &a),
        ["add address 10.0.1.6 to ip_addr_group sg_priv_sg-1 (security_group sg-1)"]
    );
}

#[test]
fn a_removed_route_is_one_delete() {
    let mut d = small();
    let a = as_read(&d);
    d.routes.clear();
    let p = plan(&d, &a);
    assert_eq!(p.len(), 1, "{p}");
    assert_eq!(
        p.operations[0].change,
        Change::DeleteRoute(id("vr_vpc-1_2/route/subnet-1"))
    );
    assert_eq!(p.operations[0].level, Level::DeleteEntries);
}

#[test]
fn a_binding_moved_to_another_host_is_unbind_then_bind() {
    let mut d = small();
    let a = as_read(&d);
    let ip = id("vb_vpc-1_subnet-1/port/i-1");
    let binding = d
        .ports
        .get_mut(&ip)
        .map(Arc::make_mut)
        .and_then(|p| p.binding.as_mut());
    binding.expect("bound").host_id = HOST_2;
    let p = plan(&d, &a);
    let changes: Vec<&Change> = p.operations.iter().map(|o| &o.change).collect();
    assert_eq!(
        changes,
        [
            &Change::Unbind {
                port: ip,
                host: HOST_1
            },
            &Change::Bind {
                port: ip,
                binding: Binding {
                    host_id: HOST_2,
                    interface_name: "vn_i-1".into()
                }
            },
        ]
    );
}

#[test]
fn server_filled_fields_and_mac_case_cause_no_update() {
    let d = small();
    let mut a = as_read(&d);
    for p in a.ports.values_mut().map(Arc::make_mut) {
        p.port.active = true;
        p.port.tunnel_key = Some(99);
    }
    for e in a.mac_ports.values_mut().map(Arc::make_mut) {
        e.entry.mac_addr = e.entry.mac_addr.to_uppercase();
        e.entry.vlan_id = Some(0);
    }
    assert!(plan(&d, &a).is_empty());
}

#[test]
fn a_deleted_router_takes_its_ports_and_routes_with_it() {
    let d = small();
    let mut a = as_read(&d);
    // An old VPC router with a port, a route and a link to the subnet bridge's port.
    let old = Uuid::from_u128(77);
    a.routers
        .insert(old, Router::named(old, "vr_vpc-9_3", TENANT).into());
    let port = Uuid::from_u128(78);
    let p = Port::router_port(port, old, [10, 9, 0, 1].into(), [10, 9, 0, 0].into(), 24);
    a.ports.insert(
        port,
        DesiredPort {
            port: p,
            peer: None,
            binding: None,
        }
        .into(),
    );
    let mut route = Route::clone(a.routes.values().next().expect("a route"));
    route.id = Uuid::from_u128(79);
    route.router_id = Some(old);
    route.next_hop_port = Some(port);
    a.routes.insert(route.id, route.into());
    assert_eq!(
        plan(&d, &a)
            .operations
            .iter()
            .map(|o| &o.change)
            .collect::<Vec<_>>(),
        [&Change::DeleteRouter(old)]
    );
}

#[test]
fn a_removed_chain_is_deleted_last_and_its_jump_rebuilt() {
    let mut d = small();
    let a = as_read(&d);
    let sg = id("sg_ingress_sg-1");
    d.chains.remove(&sg);
    let pre = Arc::make_mut(d.chains.get_mut(&id("ic_i-1_prechain")).expect("chain"));
    pre.rules.remove(0);
    Arc::make_mut(&mut pre.rules[0]).position = 1;
    let p = plan(&d, &a);
    let last = p.operations.last().expect("operations");
    assert_eq!(last.change, Change::DeleteChain(sg));
    assert_eq!(
        last.name(),
        "sg_ingress_sg-1",
        "named from what MidoNet holds"
    );
    let own_rule = Change::DeleteRule(id("sg_ingress_sg-1/accept_priv"));
    assert!(
        !p.operations.iter().any(|o| o.change == own_rule),
        "the removed chain's own rules go with it:\n{p}"
    );
}

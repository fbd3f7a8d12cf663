//! Unit tests of the simulator on small hand-built topologies: one router between two bridges,
//! each bridge with VM ports, and variations.

use std::net::{IpAddr, Ipv4Addr};

use uuid::Uuid;

use super::*;
use crate::{
    Bridge, Chain, Condition, DhcpHost, DhcpSubnet, FlowAction, FragmentPolicy, Ip4Mac, MacPort,
    NatTarget, Port, PortRange, Route, RouteType, Router, Rule, RuleType,
};

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

const VM1_MAC: Mac = [2, 0, 0, 0, 0, 1];
const VM2_MAC: Mac = [2, 0, 0, 0, 0, 2];
const VM3_MAC: Mac = [2, 0, 0, 0, 0, 3];
const RP1_MAC: &str = "ac:ca:ba:00:00:01";
const HOST: u128 = 900;

const ROUTER: u128 = 1;
const BR1: u128 = 2;
const BR2: u128 = 3;
const RP1: u128 = 11; // router port on 10.0.1.0/24
const RP2: u128 = 12; // router port on 10.0.2.0/24
const BP1: u128 = 21; // bridge 1 port linked to RP1
const BP2: u128 = 22;
const VM1: u128 = 31; // 10.0.1.5 on bridge 1
const VM2: u128 = 32; // 10.0.2.6 on bridge 2
const VM3: u128 = 33; // 10.0.1.7 on bridge 1

fn mac_str(m: Mac) -> String {
    crate::format_mac(m)
}

fn vm_port(port: u128, bridge: u128, iface: &str) -> Port {
    Port {
        host_id: Some(id(HOST)),
        interface_name: Some(iface.into()),
        ..Port::bridge_port(id(port), id(bridge))
    }
}

fn route(n: u128, src: (&str, u8), dst: (&str, u8), port: u128, weight: i32) -> Route {
    Route {
        id: id(n),
        router_id: Some(id(ROUTER)),
        src_network_addr: ip(src.0),
        src_network_length: src.1,
        dst_network_addr: ip(dst.0),
        dst_network_length: dst.1,
        next_hop_port: Some(id(port)),
        next_hop_gateway: None,
        weight,
        route_type: RouteType::Normal,
        attributes: None,
        learned: false,
    }
}

/// Router 10.0.1.1/24 and 10.0.2.1/24 between two bridges with VMs, tables seeded.
fn base() -> SnapshotBuilder {
    let mut b = SnapshotBuilder::new();
    b.router(Router::named(id(ROUTER), "r", "t"))
        .bridge(Bridge::named(id(BR1), "b1", "t"))
        .bridge(Bridge::named(id(BR2), "b2", "t"));
    let mut rp1 = Port::router_port(id(RP1), id(ROUTER), ip("10.0.1.1"), ip("10.0.1.0"), 24);
    rp1.port_mac = Some(RP1_MAC.into());
    rp1.peer_id = Some(id(BP1));
    let mut rp2 = Port::router_port(id(RP2), id(ROUTER), ip("10.0.2.1"), ip("10.0.2.0"), 24);
    rp2.port_mac = Some("ac:ca:ba:00:00:02".into());
    rp2.peer_id = Some(id(BP2));
    b.port(rp1).port(rp2);
    b.port(Port::bridge_port(id(BP1), id(BR1)))
        .port(Port::bridge_port(id(BP2), id(BR2)));
    b.port(vm_port(VM1, BR1, "vm1"))
        .port(vm_port(VM2, BR2, "vm2"))
        .port(vm_port(VM3, BR1, "vm3"));
    b.route(route(101, ("0.0.0.0", 0), ("10.0.1.0", 24), RP1, 0))
        .route(route(102, ("0.0.0.0", 0), ("10.0.2.0", 24), RP2, 0));
    for (br, addr, mac, port) in [
        (BR1, "10.0.1.5", VM1_MAC, VM1),
        (BR2, "10.0.2.6", VM2_MAC, VM2),
        (BR1, "10.0.1.7", VM3_MAC, VM3),
    ] {
        b.arp_entry(
            id(br),
            Ip4Mac {
                ip: ip(addr),
                mac: mac_str(mac),
            },
        );
        b.mac_entry(
            id(br),
            MacPort {
                mac_addr: mac_str(mac),
                port_id: id(port),
                vlan_id: None,
            },
        );
    }
    b.dhcp_subnet(
        id(BR1),
        DhcpSubnet {
            subnet_prefix: ip("10.0.1.0"),
            subnet_length: 24,
            default_gateway: Some(ip("10.0.1.1")),
            server_addr: None,
            dns_server_addrs: vec![ip("10.0.0.2")],
            interface_mtu: None,
            opt121_routes: Vec::new(),
            enabled: true,
        },
    );
    b.dhcp_host(
        id(BR1),
        DhcpHost {
            mac_addr: mac_str(VM1_MAC),
            ip_addr: ip("10.0.1.5"),
            name: Some("vm1".into()),
            extra_dhcp_opts: Vec::new(),
        },
    );
    b
}

fn rp1_mac() -> Mac {
    crate::parse_mac(RP1_MAC).unwrap()
}

fn vm1_to_vm2(dport: u16) -> Packet {
    Packet::tcp(
        (VM1_MAC, rp1_mac()),
        (ip("10.0.1.5"), 40000),
        (ip("10.0.2.6"), dport),
    )
}

fn trace(snap: &Snapshot, state: &mut ConnectionState, port: u128, p: Packet) -> FlowRecord {
    simulate(snap, state, id(port), p).unwrap()
}

fn rule(n: u128, t: RuleType, c: Condition) -> Rule {
    Rule::new(id(n), t, c)
}

fn chain(n: u128) -> Chain {
    Chain {
        id: id(n),
        tenant_id: None,
        name: Some(format!("c{n}")),
    }
}

fn dropped_by(r: &FlowRecord) -> Option<Uuid> {
    match &r.verdict {
        Verdict::Dropped {
            reason: DropReason::Rule { rule, .. },
            ..
        } => Some(*rule),
        _ => None,
    }
}

#[test]
fn a_packet_crosses_the_router_with_rewritten_macs_and_one_less_ttl() {
    let snap = base().build().unwrap();
    let r = trace(&snap, &mut ConnectionState::new(), VM1, vm1_to_vm2(22));
    assert!(
        r.verdict.is_delivered_to(id(VM2)),
        "{}",
        r.render(&snap, true)
    );
    assert_eq!(r.devices(), vec![id(BR1), id(ROUTER), id(BR2)]);
    assert_eq!(r.output.eth_dst, VM2_MAC);
    assert_eq!(r.output.eth_src, [0xac, 0xca, 0xba, 0, 0, 2]);
    assert_eq!(r.output.ttl, r.input.ttl - 1);
    assert!(r.hops.contains(&Hop::Route {
        router: id(ROUTER),
        route: id(102),
        next_hop: ip("10.0.2.6"),
        port: Some(id(RP2)),
    }));
    let text = r.render(&snap, false);
    assert!(
        text.contains("router r") && text.contains("delivered to port"),
        "{text}"
    );
}

#[test]
fn same_bridge_traffic_is_switched_by_the_mac_table() {
    let snap = base().build().unwrap();
    let p = Packet::tcp((VM1_MAC, VM3_MAC), (ip("10.0.1.5"), 1), (ip("10.0.1.7"), 2));
    let r = trace(&snap, &mut ConnectionState::new(), VM1, p);
    assert!(r.verdict.is_delivered_to(id(VM3)));
    assert_eq!(r.devices(), vec![id(BR1)]);
    // An unknown MAC floods to the other exterior ports only.
    let p = Packet::tcp(
        (VM1_MAC, [2, 9, 9, 9, 9, 9]),
        (ip("10.0.1.5"), 1),
        (ip("10.0.1.9"), 2),
    );
    let r = trace(&snap, &mut ConnectionState::new(), VM1, p);
    assert_eq!(
        r.verdict,
        Verdict::Flooded {
            bridge: id(BR1),
            ports: vec![id(VM3)]
        }
    );
    // A frame for the port it came in by is a hairpin.
    let p = Packet::tcp((VM3_MAC, VM1_MAC), (ip("10.0.1.7"), 1), (ip("10.0.1.5"), 2));
    let r = trace(&snap, &mut ConnectionState::new(), VM1, p);
    assert!(matches!(
        r.verdict,
        Verdict::Dropped {
            reason: DropReason::Hairpin,
            ..
        }
    ));
}

#[test]
fn arp_and_dhcp_are_answered_from_the_tables() {
    let snap = base().build().unwrap();
    let mut st = ConnectionState::new();
    let r = trace(
        &snap,
        &mut st,
        VM1,
        Packet::arp_request(VM1_MAC, ip("10.0.1.5"), ip("10.0.1.1")),
    );
    assert_eq!(
        r.verdict,
        Verdict::ArpReply {
            device: id(BR1),
            ip: ip("10.0.1.1"),
            mac: rp1_mac()
        }
    );
    let r = trace(
        &snap,
        &mut st,
        VM1,
        Packet::arp_request(VM1_MAC, ip("10.0.1.5"), ip("10.0.1.7")),
    );
    assert_eq!(
        r.verdict,
        Verdict::ArpReply {
            device: id(BR1),
            ip: ip("10.0.1.7"),
            mac: VM3_MAC
        }
    );
    let r = trace(&snap, &mut st, VM1, Packet::dhcp_request(VM1_MAC));
    match r.verdict {
        Verdict::DhcpReply {
            lease,
            gateway,
            dns,
            ..
        } => {
            assert_eq!(lease.ip_addr, ip("10.0.1.5"));
            assert_eq!(gateway, Some(ip("10.0.1.1")));
            assert_eq!(dns, vec![ip("10.0.0.2")]);
        }
        other => panic!("{other:?}"),
    }
    // No host entry for VM3's MAC: the request is only a broadcast.
    let r = trace(&snap, &mut st, VM3, Packet::dhcp_request(VM3_MAC));
    assert!(matches!(r.verdict, Verdict::Flooded { .. }));
}

#[test]
fn routes_pick_longest_prefix_then_source_then_lowest_weight_of_active_ports() {
    let mut b = base();
    // A /16 via RP1 loses to the /24 via RP2; a heavier /24 loses on weight; a /25 whose
    // source does not match is skipped; a /32 via an unplugged port is not installed.
    b.route(route(103, ("0.0.0.0", 0), ("10.0.0.0", 16), RP1, 0))
        .route(route(104, ("0.0.0.0", 0), ("10.0.2.0", 24), RP1, 5))
        .route(route(105, ("192.168.0.0", 16), ("10.0.2.0", 25), RP1, 0))
        .port(Port::router_port(
            id(13),
            id(ROUTER),
            ip("10.9.0.1"),
            ip("10.9.0.0"),
            24,
        ))
        .route(route(106, ("0.0.0.0", 0), ("10.0.2.6", 32), 13, 0));
    let snap = b.build().unwrap();
    let r = trace(&snap, &mut ConnectionState::new(), VM1, vm1_to_vm2(22));
    assert!(
        r.verdict.is_delivered_to(id(VM2)),
        "{}",
        r.render(&snap, true)
    );
    let p = Packet::tcp(
        (VM1_MAC, rp1_mac()),
        (ip("10.0.1.5"), 1),
        (ip("172.16.0.1"), 2),
    );
    let r = trace(&snap, &mut ConnectionState::new(), VM1, p);
    assert_eq!(r.verdict, Verdict::NoRoute { router: id(ROUTER) });
}

#[test]
fn blackhole_local_and_unresolved_next_hops_end_the_walk() {
    let mut b = base();
    b.route(Route {
        route_type: RouteType::BlackHole,
        next_hop_port: None,
        ..route(107, ("0.0.0.0", 0), ("10.0.3.0", 24), RP1, 0)
    });
    b.route(route(108, ("0.0.0.0", 0), ("10.0.2.99", 32), RP2, 0));
    let snap = b.build().unwrap();
    let mut st = ConnectionState::new();
    let to = |dst: &str| Packet::tcp((VM1_MAC, rp1_mac()), (ip("10.0.1.5"), 1), (ip(dst), 2));
    let r = trace(&snap, &mut st, VM1, to("10.0.3.3"));
    assert!(matches!(
        r.verdict,
        Verdict::Dropped {
            reason: DropReason::BlackHole { .. },
            ..
        }
    ));
    let r = trace(&snap, &mut st, VM1, to("10.0.2.99"));
    assert_eq!(
        r.verdict,
        Verdict::ArpUnresolved {
            router: id(ROUTER),
            port: id(RP2),
            next_hop: ip("10.0.2.99")
        }
    );
    // The router answers pings to its port through the Local route the builder added.
    let ping = Packet::icmp((VM1_MAC, rp1_mac()), ip("10.0.1.5"), ip("10.0.2.1"), 8, 7);
    let r = trace(&snap, &mut st, VM1, ping);
    assert_eq!(r.verdict, Verdict::EchoReply { router: id(ROUTER) });
    let r = trace(&snap, &mut st, VM1, to("10.0.2.1"));
    assert!(matches!(
        r.verdict,
        Verdict::Dropped {
            reason: DropReason::LocalNotAnswered { .. },
            ..
        }
    ));
    // A frame not for the router port's MAC is dropped by the router.
    let p = Packet::tcp((VM1_MAC, VM2_MAC), (ip("10.0.1.5"), 1), (ip("10.0.2.6"), 2));
    let r = trace(&snap, &mut st, VM1, p);
    assert_eq!(
        r.verdict,
        Verdict::Flooded {
            bridge: id(BR1),
            ports: vec![id(VM3)]
        }
    );
}

#[test]
fn a_routing_loop_stops_at_the_hop_limit() {
    let mut b = SnapshotBuilder::new();
    let (r1, r2) = (id(1), id(2));
    b.router(Router::named(r1, "r1", "t"))
        .router(Router::named(r2, "r2", "t"));
    let mut a = Port::router_port(id(11), r1, ip("10.0.0.1"), ip("10.0.0.0"), 30);
    a.peer_id = Some(id(12));
    a.port_mac = Some("ac:ca:ba:00:00:11".into());
    let mut c = Port::router_port(id(12), r2, ip("10.0.0.2"), ip("10.0.0.0"), 30);
    c.port_mac = Some("ac:ca:ba:00:00:12".into());
    let mut ext = Port::router_port(id(13), r1, ip("192.0.2.1"), ip("192.0.2.0"), 24);
    ext.host_id = Some(id(HOST));
    ext.interface_name = Some("eth0".into());
    ext.port_mac = Some("ac:ca:ba:00:00:13".into());
    b.port(a).port(c).port(ext);
    let mut to_r2 = route(1, ("0.0.0.0", 0), ("0.0.0.0", 0), 11, 0);
    to_r2.router_id = Some(r1);
    let mut to_r1 = route(2, ("0.0.0.0", 0), ("0.0.0.0", 0), 12, 0);
    to_r1.router_id = Some(r2);
    b.route(to_r2).route(to_r1);
    let snap = b.build().unwrap();
    let p = Packet::tcp(
        ([2, 0, 0, 0, 0, 9], [0xac, 0xca, 0xba, 0, 0, 0x13]),
        (ip("192.0.2.9"), 1),
        (ip("8.8.8.8"), 53),
    );
    let r = trace(&snap, &mut ConnectionState::new(), 13, p);
    // TTL 64 outlasts 12 devices, so the hop limit ends it.
    assert_eq!(r.verdict, Verdict::HopLimit);
    assert_eq!(r.devices().len(), MAX_DEVICES);
}

#[test]
fn chains_default_accept_jumps_return_and_ignore_jump_loops() {
    let mut b = base();
    // c1: jump c2; drop tcp/22.  c2: jump c1 (loop, ignored); return on tcp/22; accept tcp/80.
    let tcp = |port: u16| Condition {
        nw_proto: Some(6),
        tp_dst: Some(PortRange::single(port)),
        ..Condition::default()
    };
    let mut jump2 = rule(201, RuleType::Jump, Condition::default());
    jump2.jump_chain_id = Some(id(2002));
    let mut jump1 = rule(203, RuleType::Jump, Condition::default());
    jump1.jump_chain_id = Some(id(2001));
    b.chain(chain(2001), vec![jump2, rule(202, RuleType::Drop, tcp(22))]);
    b.chain(
        chain(2002),
        vec![
            jump1,
            rule(204, RuleType::Return, tcp(22)),
            rule(205, RuleType::Accept, tcp(80)),
        ],
    );
    let mut builder = b.clone();
    // The chain sits on VM2's port as its outbound filter (traffic to VM2).
    builder.ports.retain(|p| p.id != id(VM2));
    let mut vm2 = vm_port(VM2, BR2, "vm2");
    vm2.outbound_filter_id = Some(id(2001));
    builder.port(vm2);
    let snap = builder.build().unwrap();
    let mut st = ConnectionState::new();
    let r = trace(&snap, &mut st, VM1, vm1_to_vm2(22));
    assert_eq!(dropped_by(&r), Some(id(202)), "{}", r.render(&snap, true));
    assert!(r
        .matched_rules()
        .any(|(_, rule, res)| rule == id(203) && res == RuleResult::JumpIgnored));
    let r = trace(&snap, &mut st, VM1, vm1_to_vm2(80));
    assert!(r.verdict.is_delivered_to(id(VM2)));
    assert!(r
        .matched_rules()
        .any(|(_, rule, res)| rule == id(205) && res == RuleResult::Accept));
    // Nothing matches tcp/443: end of the jumped chain continues, end of the top chain accepts.
    let r = trace(&snap, &mut st, VM1, vm1_to_vm2(443));
    assert!(r.verdict.is_delivered_to(id(VM2)));
}

/// Builds the base topology with `rules` as VM2's outbound filter and reports which of
/// `packets` reach VM2.
fn reaching(
    rules: Vec<Rule>,
    extra: impl FnOnce(&mut SnapshotBuilder),
    packets: &[Packet],
) -> Vec<bool> {
    let mut b = base();
    b.chain(chain(3000), rules);
    b.ports.retain(|p| p.id != id(VM2));
    let mut vm2 = vm_port(VM2, BR2, "vm2");
    vm2.outbound_filter_id = Some(id(3000));
    b.port(vm2);
    extra(&mut b);
    let snap = b.build().unwrap();
    packets
        .iter()
        .map(|p| {
            trace(&snap, &mut ConnectionState::new(), VM1, *p)
                .verdict
                .is_delivered_to(id(VM2))
        })
        .collect()
}

#[test]
fn conditions_honour_every_inversion_and_cond_invert() {
    let p22 = vm1_to_vm2(22);
    let p80 = vm1_to_vm2(80);
    let udp = Packet::udp(
        (VM1_MAC, rp1_mac()),
        (ip("10.0.1.5"), 5),
        (ip("10.0.2.6"), 22),
    );
    let drop = |c: Condition| vec![rule(300, RuleType::Drop, c)];
    let tp22 = Condition {
        tp_dst: Some(PortRange::single(22)),
        ..Condition::default()
    };
    assert_eq!(
        reaching(drop(tp22.clone()), |_| {}, &[p22, p80]),
        [false, true]
    );
    let inv = Condition {
        inv_tp_dst: true,
        ..tp22.clone()
    };
    assert_eq!(reaching(drop(inv), |_| {}, &[p22, p80]), [true, false]);
    let whole = Condition {
        cond_invert: true,
        ..tp22.clone()
    };
    assert_eq!(reaching(drop(whole), |_| {}, &[p22, p80]), [true, false]);
    let proto = Condition {
        nw_proto: Some(17),
        ..Condition::default()
    };
    assert_eq!(reaching(drop(proto), |_| {}, &[p22, udp]), [true, false]);
    let src = Condition {
        nw_src_address: Some(ip("10.0.1.0")),
        nw_src_length: Some(24),
        inv_nw_src: true,
        ..Condition::default()
    };
    assert_eq!(reaching(drop(src), |_| {}, &[p22]), [true]);
    let dst = Condition {
        nw_dst_address: Some(ip("10.0.2.6")),
        nw_dst_length: Some(32),
        ..Condition::default()
    };
    assert_eq!(reaching(drop(dst), |_| {}, &[p22]), [false]);
    // The MAC the router wrote, matched under a mask of its first three bytes.
    let mac = Condition {
        dl_src: Some("ac:ca:ba:ff:ff:ff".into()),
        dl_src_mask: Some("ffff.ff00.0000".into()),
        ..Condition::default()
    };
    assert_eq!(reaching(drop(mac), |_| {}, &[p22]), [false]);
    let ethertype = Condition {
        dl_type: Some(0x0800),
        inv_dl_type: true,
        ..Condition::default()
    };
    assert_eq!(reaching(drop(ethertype), |_| {}, &[p22]), [true]);
    let traversed = Condition {
        traversed_device: Some(id(ROUTER)),
        ..Condition::default()
    };
    assert_eq!(reaching(drop(traversed), |_| {}, &[p22]), [false]);
    let in_port = Condition {
        in_ports: Some(vec![id(BP2)]),
        ..Condition::default()
    };
    assert_eq!(reaching(drop(in_port), |_| {}, &[p22]), [false]);
    let out_port = Condition {
        out_ports: Some(vec![id(VM2)]),
        inv_out_ports: true,
        ..Condition::default()
    };
    assert_eq!(reaching(drop(out_port), |_| {}, &[p22]), [true]);
}

#[test]
fn fragment_policy_is_checked_before_cond_invert() {
    let mut later = vm1_to_vm2(22);
    later.fragment = Fragment::Later;
    let tp22 = Condition {
        tp_dst: Some(PortRange::single(22)),
        ..Condition::default()
    };
    // A later fragment has no ports: a port rule (policy header) cannot match it, even inverted.
    let inverted = Condition {
        cond_invert: true,
        ..tp22.clone()
    };
    assert_eq!(
        reaching(vec![rule(300, RuleType::Drop, inverted)], |_| {}, &[later]),
        [true]
    );
    let nonheader = Condition {
        fragment_policy: Some(FragmentPolicy::Nonheader),
        ..Condition::default()
    };
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, nonheader)],
            |_| {},
            &[later, vm1_to_vm2(22)]
        ),
        [false, true]
    );
}

#[test]
fn address_and_port_groups_match_their_members() {
    let p = vm1_to_vm2(22);
    let group_src = |inv| Condition {
        ip_addr_group_src: Some(id(400)),
        inv_ip_addr_group_src: inv,
        ..Condition::default()
    };
    let with_group = |addrs: Vec<IpAddr>| {
        move |b: &mut SnapshotBuilder| {
            b.ip_addr_group(id(400), Some("g".into()), addrs);
        }
    };
    let member = vec![IpAddr::V4(ip("10.0.1.5"))];
    let other = vec![IpAddr::V4(ip("10.0.1.7"))];
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, group_src(false))],
            with_group(member.clone()),
            &[p]
        ),
        [false]
    );
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, group_src(false))],
            with_group(other.clone()),
            &[p]
        ),
        [true]
    );
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, group_src(true))],
            with_group(other),
            &[p]
        ),
        [false]
    );
    // A group the snapshot lacks is empty.
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, group_src(false))],
            |_| {},
            &[p]
        ),
        [true]
    );
    // portGroup: the groups of the exterior port the packet came in by (VM1's).
    let pg = Condition {
        port_group: Some(id(500)),
        ..Condition::default()
    };
    let groups = |members: Vec<Uuid>| {
        move |b: &mut SnapshotBuilder| {
            b.port_group(id(500), Some("pg".into()), members);
        }
    };
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, pg.clone())],
            groups(vec![id(VM1)]),
            &[p]
        ),
        [false]
    );
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, pg)],
            groups(vec![id(VM3)]),
            &[p]
        ),
        [true]
    );
    let out_pg = Condition {
        out_port_group: Some(id(500)),
        ..Condition::default()
    };
    assert_eq!(
        reaching(
            vec![rule(300, RuleType::Drop, out_pg)],
            groups(vec![id(VM2)]),
            &[p]
        ),
        [false]
    );
}

/// VM2 accepts only return flow and tcp/22; VM1 accepts only return flow.
fn stateful() -> Snapshot {
    let mut b = base();
    let ret = Condition {
        match_return_flow: true,
        ..Condition::default()
    };
    let ssh = Condition {
        nw_proto: Some(6),
        tp_dst: Some(PortRange::single(22)),
        ..Condition::default()
    };
    b.chain(
        chain(600),
        vec![
            rule(601, RuleType::Accept, ret.clone()),
            rule(602, RuleType::Accept, ssh),
            rule(603, RuleType::Drop, Condition::default()),
        ],
    );
    b.chain(
        chain(610),
        vec![
            rule(611, RuleType::Accept, ret),
            rule(612, RuleType::Drop, Condition::default()),
        ],
    );
    b.ports.retain(|p| p.id != id(VM2) && p.id != id(VM1));
    let mut vm2 = vm_port(VM2, BR2, "vm2");
    vm2.outbound_filter_id = Some(id(600));
    let mut vm1 = vm_port(VM1, BR1, "vm1");
    vm1.outbound_filter_id = Some(id(610));
    b.port(vm1).port(vm2);
    b.build().unwrap()
}

#[test]
fn a_reply_after_its_request_is_return_flow_and_nothing_else_is() {
    let snap = stateful();
    let mut st = ConnectionState::new();
    let req = trace(&snap, &mut st, VM1, vm1_to_vm2(22));
    assert!(req.verdict.is_delivered_to(id(VM2)));
    assert!(!req.return_flow);
    assert_eq!(st.connections(), 1);
    let reply = Packet::tcp(
        (VM2_MAC, [0xac, 0xca, 0xba, 0, 0, 2]),
        (ip("10.0.2.6"), 22),
        (ip("10.0.1.5"), 40000),
    );
    let r = trace(&snap, &mut st, VM2, reply);
    assert!(r.return_flow);
    assert!(
        r.verdict.is_delivered_to(id(VM1)),
        "{}",
        r.render(&snap, true)
    );
    // The same reply without the request: a new connection VM1 does not accept.
    let r = trace(&snap, &mut ConnectionState::new(), VM2, reply);
    assert_eq!(dropped_by(&r), Some(id(612)));
    // A different source port is another connection.
    let other = Packet {
        tp_src: 23,
        ..reply
    };
    let r = trace(&snap, &mut st, VM2, other);
    assert_eq!(dropped_by(&r), Some(id(612)));
}

#[test]
fn dynamic_snat_binds_ports_and_rev_snat_undoes_it_on_the_reply() {
    let mut b = base();
    // The router SNATs 10.0.1.0/24 leaving by RP2 to 10.0.2.1:1024-1025; rev_snat inbound.
    let leaving = Condition {
        nw_src_address: Some(ip("10.0.1.0")),
        nw_src_length: Some(24),
        out_ports: Some(vec![id(RP2)]),
        ..Condition::default()
    };
    let mut snat = rule(701, RuleType::Snat, leaving);
    snat.flow_action = Some(FlowAction::Accept);
    snat.nat_targets = Some(vec![NatTarget {
        address_from: ip("10.0.2.1"),
        address_to: ip("10.0.2.1"),
        port_from: 1024,
        port_to: 1025,
    }]);
    let to_public = Condition {
        nw_dst_address: Some(ip("10.0.2.1")),
        nw_dst_length: Some(32),
        ..Condition::default()
    };
    let mut rev = rule(711, RuleType::RevSnat, to_public);
    rev.flow_action = Some(FlowAction::Continue);
    b.chain(chain(700), vec![snat]).chain(chain(710), vec![rev]);
    b.routers[0].outbound_filter_id = Some(id(700));
    b.routers[0].inbound_filter_id = Some(id(710));
    let snap = b.build().unwrap();
    let mut st = ConnectionState::new();
    let first = trace(&snap, &mut st, VM1, vm1_to_vm2(22));
    assert_eq!(
        (first.output.nw_src, first.output.tp_src),
        (ip("10.0.2.1"), 1024)
    );
    let again = trace(&snap, &mut st, VM1, vm1_to_vm2(22));
    assert_eq!(again.output.tp_src, 1024, "a flow keeps its binding");
    let second = trace(
        &snap,
        &mut st,
        VM3,
        Packet::tcp(
            (VM3_MAC, rp1_mac()),
            (ip("10.0.1.7"), 40000),
            (ip("10.0.2.6"), 22),
        ),
    );
    assert_eq!(
        second.output.tp_src, 1025,
        "another flow gets the next free port"
    );
    let reply = Packet::tcp(
        (VM2_MAC, [0xac, 0xca, 0xba, 0, 0, 2]),
        (ip("10.0.2.6"), 22),
        (ip("10.0.2.1"), 1025),
    );
    let r = trace(&snap, &mut st, VM2, reply);
    assert!(
        r.verdict.is_delivered_to(id(VM3)),
        "{}",
        r.render(&snap, true)
    );
    assert_eq!((r.output.nw_dst, r.output.tp_dst), (ip("10.0.1.7"), 40000));
}

#[test]
fn static_dnat_rewrites_the_destination_and_marks_it_rewritten() {
    let mut b = base();
    let to_vip = Condition {
        nw_dst_address: Some(ip("10.0.2.200")),
        nw_dst_length: Some(32),
        ..Condition::default()
    };
    let mut dnat = rule(801, RuleType::Dnat, to_vip);
    dnat.flow_action = Some(FlowAction::Continue);
    dnat.nat_targets = Some(vec![NatTarget::address(ip("10.0.2.6"))]);
    let rewritten = Condition {
        match_nw_dst_rewritten: true,
        nw_proto: Some(6),
        tp_dst: Some(PortRange::single(23)),
        ..Condition::default()
    };
    b.chain(chain(800), vec![dnat, rule(802, RuleType::Drop, rewritten)]);
    b.routers[0].inbound_filter_id = Some(id(800));
    let snap = b.build().unwrap();
    let mut st = ConnectionState::new();
    let to = |port| {
        Packet::tcp(
            (VM1_MAC, rp1_mac()),
            (ip("10.0.1.5"), 1),
            (ip("10.0.2.200"), port),
        )
    };
    let r = trace(&snap, &mut st, VM1, to(22));
    assert!(
        r.verdict.is_delivered_to(id(VM2)),
        "{}",
        r.render(&snap, true)
    );
    assert_eq!((r.output.nw_dst, r.output.tp_dst), (ip("10.0.2.6"), 22));
    assert_eq!(
        dropped_by(&trace(&snap, &mut st, VM1, to(23))),
        Some(id(802))
    );
    // Straight to 10.0.2.6:23 nothing was rewritten, so the rule does not apply.
    let direct = Packet::tcp(
        (VM1_MAC, rp1_mac()),
        (ip("10.0.1.5"), 1),
        (ip("10.0.2.6"), 23),
    );
    assert!(trace(&snap, &mut st, VM1, direct)
        .verdict
        .is_delivered_to(id(VM2)));
}

#[test]
fn build_refuses_dangling_references_and_unplugged_ports_drop() {
    let mut b = base();
    let mut j = rule(901, RuleType::Jump, Condition::default());
    j.jump_chain_id = Some(id(999));
    b.chain(chain(900), vec![j]);
    assert!(matches!(b.build(), Err(SnapshotError::Jump { .. })));
    let mut b = base();
    b.chain(
        chain(900),
        vec![rule(902, RuleType::Jump, Condition::default())],
    );
    assert!(matches!(
        b.build(),
        Err(SnapshotError::JumpWithoutTarget { .. })
    ));
    let mut b = base();
    b.ports.retain(|p| p.id != id(VM2));
    b.port(Port {
        outbound_filter_id: Some(id(998)),
        ..vm_port(VM2, BR2, "vm2")
    });
    assert!(matches!(b.build(), Err(SnapshotError::Filter { .. })));
    // A MAC entry pointing at a port that is neither bound nor linked.
    let mut b = base();
    b.port(Port::bridge_port(id(34), id(BR1)));
    b.mac_entry(
        id(BR1),
        MacPort {
            mac_addr: "02:00:00:00:00:34".into(),
            port_id: id(34),
            vlan_id: None,
        },
    );
    let snap = b.build().unwrap();
    let p = Packet::tcp(
        (VM1_MAC, [2, 0, 0, 0, 0, 0x34]),
        (ip("10.0.1.5"), 1),
        (ip("10.0.1.34"), 2),
    );
    let r = trace(&snap, &mut ConnectionState::new(), VM1, p);
    assert_eq!(
        r.verdict,
        Verdict::Dropped {
            at: id(34),
            reason: DropReason::Unplugged
        }
    );
}

#[test]
fn dynamic_dnat_binds_the_flow_and_rev_dnat_restores_the_source_of_the_reply() {
    let mut b = base();
    // A VIP 10.0.2.200:80 on the router, forwarded to VM2's port 8080; rev_dnat outbound.
    let to_vip = Condition {
        nw_dst_address: Some(ip("10.0.2.200")),
        nw_dst_length: Some(32),
        ..Condition::default()
    };
    let mut dnat = rule(1001, RuleType::Dnat, to_vip);
    dnat.flow_action = Some(FlowAction::Accept);
    dnat.nat_targets = Some(vec![NatTarget {
        address_from: ip("10.0.2.6"),
        address_to: ip("10.0.2.6"),
        port_from: 8080,
        port_to: 8080,
    }]);
    let mut rev = rule(1011, RuleType::RevDnat, Condition::default());
    rev.flow_action = Some(FlowAction::Continue);
    b.chain(chain(1000), vec![dnat])
        .chain(chain(1010), vec![rev]);
    b.routers[0].inbound_filter_id = Some(id(1000));
    b.routers[0].outbound_filter_id = Some(id(1010));
    let snap = b.build().unwrap();
    let mut st = ConnectionState::new();
    let req = Packet::tcp(
        (VM1_MAC, rp1_mac()),
        (ip("10.0.1.5"), 40000),
        (ip("10.0.2.200"), 80),
    );
    let r = trace(&snap, &mut st, VM1, req);
    assert!(
        r.verdict.is_delivered_to(id(VM2)),
        "{}",
        r.render(&snap, true)
    );
    assert_eq!((r.output.nw_dst, r.output.tp_dst), (ip("10.0.2.6"), 8080));
    assert!(st.nat_bindings() >= 2, "a forward and a reverse binding");
    let reply = trace(&snap, &mut st, VM2, r.output.reply());
    assert!(
        reply.verdict.is_delivered_to(id(VM1)),
        "{}",
        reply.render(&snap, true)
    );
    assert_eq!(
        (reply.output.nw_src, reply.output.tp_src),
        (ip("10.0.2.200"), 80),
        "the client sees the VIP answer"
    );
    // Without the request's binding, rev_dnat leaves the packet as it is.
    let alone = trace(&snap, &mut ConnectionState::new(), VM2, r.output.reply());
    assert_eq!(alone.output.nw_src, ip("10.0.2.6"));
}

#[test]
fn flow_state_entries_round_trip_through_json_and_restore_the_reply_path() {
    let mut b = base();
    let to_vip = Condition {
        nw_dst_address: Some(ip("10.0.2.200")),
        nw_dst_length: Some(32),
        ..Condition::default()
    };
    let mut dnat = rule(1001, RuleType::Dnat, to_vip);
    dnat.flow_action = Some(FlowAction::Accept);
    dnat.nat_targets = Some(vec![NatTarget {
        address_from: ip("10.0.2.6"),
        address_to: ip("10.0.2.6"),
        port_from: 8080,
        port_to: 8080,
    }]);
    let mut rev = rule(1011, RuleType::RevDnat, Condition::default());
    rev.flow_action = Some(FlowAction::Continue);
    b.chain(chain(1000), vec![dnat])
        .chain(chain(1010), vec![rev]);
    b.routers[0].inbound_filter_id = Some(id(1000));
    b.routers[0].outbound_filter_id = Some(id(1010));
    let snap = b.build().unwrap();
    let mut first = ConnectionState::new();
    let req = Packet::tcp(
        (VM1_MAC, rp1_mac()),
        (ip("10.0.1.5"), 40000),
        (ip("10.0.2.200"), 80),
    );
    let r = trace(&snap, &mut first, VM1, req);
    let entries = first.entries();
    assert!(!entries.is_empty());
    // What another process would read back from storage.
    let text = serde_json::to_string(&entries).unwrap();
    let read: Vec<crate::sim::FlowStateEntry> = serde_json::from_str(&text).unwrap();
    assert_eq!(read, entries);
    let mut later = ConnectionState::new();
    for e in read {
        later.restore(e);
    }
    assert_eq!(later.entries(), entries);
    let reply = trace(&snap, &mut later, VM2, r.output.reply());
    assert_eq!(
        (reply.output.nw_src, reply.output.tp_src),
        (ip("10.0.2.200"), 80),
        "the restored binding undoes the DNAT on the reply"
    );
}

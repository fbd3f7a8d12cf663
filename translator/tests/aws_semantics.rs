//! AWS VPC semantics on translated topologies: a GNI (the shipped `two-vpcs.xml`, or an edit
//! of it) is translated, compiled into a simulator snapshot, and packets are traced "from
//! instance X to address Y". Each test states the verdict AWS documents, and why, before
//! asserting it; the simulator follows MidoNet's agent (`reference/midonet.md` §4).
//!
//! The cloud of `two-vpcs.xml`:
//! - vpc-0000000a 10.20.0.0/16: subnet a1 10.20.1.0/24 (route 0/0 -> igw, NACL allow-all),
//!   subnet a2 10.20.2.0/24 (route 0/0 -> nat-0000000a, 192.0.2.0/24 -> eni-00000a03; NACL
//!   ingress #100 deny tcp/23 from 10.20.1.0/24, #200 allow 10.20.0.0/16).
//!   - i-00000a01 10.20.1.10, elastic IP 203.0.113.10, sg-a1; its eni-00000a11 10.20.2.11, sg-a2
//!   - i-00000a02 10.20.2.20, sg-a2 (no public IP)
//!   - i-00000a03 10.20.1.30, sg-a1, sourceDestCheck false (a NAT instance)
//!   - nat-0000000a in a1, 10.20.1.254, public 203.0.113.12
//! - vpc-0000000b 10.20.0.0/16 (same CIDR), no internet gateway: i-00000b01 10.20.1.10,
//!   elastic IP 203.0.113.11, sg-b1.
//! - sg-a1 in: tcp/80 from 0/0, tcp/22 from 198.51.100.0/24, icmp echo from 10.20.0.0/16.
//!   sg-a2 in: tcp/5432 from sg-a1, all from sg-a2. sg-b1 in: tcp/22 from 0/0. Egress: all.

use std::net::{IpAddr, Ipv4Addr};

use topology::sim::{DropReason, FlowRecord, Packet, Verdict};
use translator::desired::{Environment, RegisteredHost};
use translator::gni::{self, Gni};
use translator::trace::{Proto, Tracer};
use uuid::Uuid;

const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

fn ip(s: &str) -> Ipv4Addr {
    s.parse().unwrap()
}

/// MidoNet hosts for the gateway (10.1.0.5) and the two nodes, so every port is bound.
fn env() -> Environment {
    let mut env = Environment::new("5.0.0.0");
    for (n, last) in [(5u128, 5u8), (21, 21), (22, 22)] {
        env.hosts.push(RegisteredHost {
            id: Uuid::from_u128(n),
            name: format!("host{n}"),
            addresses: vec![IpAddr::V4(Ipv4Addr::new(10, 1, 0, last))],
        });
    }
    env
}

fn parse(xml: &str) -> Gni {
    gni::parse(xml).expect("GNI parses")
}

/// The name of the chain and rule that dropped `r`, if a rule did.
fn dropping_rule(t: &Tracer<'_>, r: &FlowRecord) -> Option<(String, String)> {
    match &r.verdict {
        Verdict::Dropped {
            reason: DropReason::Rule { chain, rule },
            ..
        } => Some((t.snapshot.name_of(*chain), t.snapshot.name_of(*rule))),
        _ => None,
    }
}

fn show(t: &Tracer<'_>, r: &FlowRecord) -> String {
    r.render(&t.snapshot, false)
}

/// `two-vpcs.xml` with an instance i-00000a04 (10.20.1.40, subnet a1) in a new group sg-a3 that
/// no rule references, sg-a2 also allowing tcp/23 from the whole VPC (so only the NACL can
/// stop it), and acl-a2 allowing inbound tcp/1024-65535 from anywhere (#300, for replies).
fn edited() -> String {
    let instance = r#"<instance name="i-00000a04"><ownerId>000000000001</ownerId><macAddress>d0:0d:00:00:0a:04</macAddress>
      <privateIp>10.20.1.40</privateIp><vpc>vpc-0000000a</vpc><subnet>subnet-000000a1</subnet>
      <networkInterfaces>
        <networkInterface name="eni-00000a04"><ownerId>000000000001</ownerId><deviceIndex>0</deviceIndex>
          <attachmentId>eni-attach-00000a04</attachmentId><macAddress>d0:0d:00:00:0a:04</macAddress><privateIp>10.20.1.40</privateIp>
          <sourceDestCheck>true</sourceDestCheck><vpc>vpc-0000000a</vpc><subnet>subnet-000000a1</subnet>
          <securityGroups><value>sg-000000a3</value></securityGroups></networkInterface>
      </networkInterfaces>
      <securityGroups><value>sg-000000a3</value></securityGroups>
    </instance>
  </instances>"#;
    let group = r#"<securityGroup name="sg-000000a3"><ownerId>000000000001</ownerId>
      <ingressRules/>
      <egressRules><rule><protocol>-1</protocol><cidr>0.0.0.0/0</cidr></rule></egressRules>
    </securityGroup>
  </securityGroups>"#;
    let telnet = r#"<rule><protocol>-1</protocol><groupId>sg-000000a2</groupId><groupOwnerId>000000000001</groupOwnerId></rule>
        <rule><protocol>6</protocol><fromPort>23</fromPort><toPort>23</toPort><cidr>10.20.0.0/16</cidr></rule>"#;
    let out = TWO_VPCS
        .replacen("</instances>", instance, 1)
        .replacen("</securityGroups>\n</network-data>", &format!("{group}\n</network-data>"), 1)
        .replacen(
            "<value>i-00000a01</value><value>i-00000a02</value>",
            "<value>i-00000a01</value><value>i-00000a02</value><value>i-00000a04</value>",
            1,
        )
        .replacen(
            r#"<rule><protocol>-1</protocol><groupId>sg-000000a2</groupId><groupOwnerId>000000000001</groupOwnerId></rule>"#,
            telnet,
            1,
        );
    let ephemeral = r#"<entry number="200"><protocol>-1</protocol><action>allow</action><cidr>10.20.0.0/16</cidr></entry>
            <entry number="300"><protocol>6</protocol><action>allow</action><cidr>0.0.0.0/0</cidr><portRangeFrom>1024</portRangeFrom><portRangeTo>65535</portRangeTo></entry>"#;
    let out = out.replacen(
        r#"<entry number="200"><protocol>-1</protocol><action>allow</action><cidr>10.20.0.0/16</cidr></entry>"#,
        ephemeral,
        1,
    );
    assert_ne!(out, TWO_VPCS);
    out
}

#[test]
fn same_vpc_across_subnets_reaches_when_the_security_group_allows() {
    // AWS: every subnet of a VPC routes to every other through the implicit "local" route;
    // sg-a2 allows tcp/5432 from members of sg-a1, and i-00000a01 is one -> delivered.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a01", ip("10.20.2.20"), Proto::Tcp(5432))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a02"), "{}", show(&t, &r));
    // At least the two subnet bridges and the VPC router, in that order.
    assert_eq!(r.devices().len(), 3);
    assert_eq!(r.output.nw_dst, ip("10.20.2.20"));
}

#[test]
fn security_group_ingress_blocks_what_it_does_not_allow() {
    // AWS: a security group denies by default; sg-a2 allows nothing on tcp/22 -> dropped, and
    // dropped at i-00000a02's ingress (the interface's final drop), not on the way.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a01", ip("10.20.2.20"), Proto::Tcp(22))
        .unwrap();
    let (chain, rule) = dropping_rule(&t, &r).unwrap_or_else(|| panic!("{}", show(&t, &r)));
    assert_eq!(chain, "ic_i-00000a02_postchain");
    assert!(rule.ends_with("drop_non_arp"), "{rule}");
    // sg-a1 allows tcp/80 from anywhere but not tcp/443.
    let r = t
        .from_interface("i-00000a02", ip("10.20.1.10"), Proto::Tcp(443))
        .unwrap();
    assert!(!t.delivered_to(&r, "i-00000a01"), "{}", show(&t, &r));
    let r = t
        .from_interface("i-00000a02", ip("10.20.1.10"), Proto::Tcp(80))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a01"), "{}", show(&t, &r));
}

#[test]
fn a_rule_referencing_a_group_allows_exactly_its_members() {
    // AWS: a rule whose source is a security group allows traffic from the private addresses
    // of the group's members, and from nobody else in the VPC.
    let xml = edited();
    let gni = parse(&xml);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    for member in ["i-00000a01", "i-00000a03"] {
        let r = t
            .from_interface(member, ip("10.20.2.20"), Proto::Tcp(5432))
            .unwrap();
        assert!(
            t.delivered_to(&r, "i-00000a02"),
            "{member}: {}",
            show(&t, &r)
        );
    }
    // i-00000a04 is in the same subnet as the members but in sg-a3 only.
    let r = t
        .from_interface("i-00000a04", ip("10.20.2.20"), Proto::Tcp(5432))
        .unwrap();
    assert!(!t.delivered_to(&r, "i-00000a02"), "{}", show(&t, &r));
    assert!(dropping_rule(&t, &r).is_some_and(|(c, _)| c == "ic_i-00000a02_postchain"));
    // sg-a2 allows everything from its own members: eni-00000a11 (sg-a2) reaches on any port.
    let r = t
        .from_interface("eni-00000a11", ip("10.20.2.20"), Proto::Udp(9999))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a02"), "{}", show(&t, &r));
}

#[test]
fn replies_to_allowed_traffic_come_back_although_no_ingress_rule_lists_them() {
    // AWS: security groups are stateful: "responses to allowed inbound traffic are allowed to
    // flow out, regardless of outbound rules", and the reverse. sg-a1 has no rule allowing
    // tcp from 10.20.2.20 to port 40000, yet the reply to i-00000a01's request arrives.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let req = t
        .from_interface("i-00000a01", ip("10.20.2.20"), Proto::Tcp(5432))
        .unwrap();
    assert!(t.delivered_to(&req, "i-00000a02"));
    let reply = t.reply(&req).unwrap().expect("request delivered");
    assert!(reply.return_flow);
    assert!(t.delivered_to(&reply, "i-00000a01"), "{}", show(&t, &reply));
    assert_eq!(
        (reply.output.nw_src, reply.output.tp_src),
        (ip("10.20.2.20"), 5432)
    );

    // The same packet with no request before it is a new connection and is dropped.
    let mut fresh = Tracer::new(&gni, &env()).unwrap();
    let unsolicited = fresh.send_from("i-00000a02", reply.input).unwrap();
    assert!(
        !fresh.delivered_to(&unsolicited, "i-00000a01"),
        "{}",
        show(&fresh, &unsolicited)
    );
}

#[test]
fn two_vpcs_with_the_same_cidr_never_reach_each_other() {
    // AWS: VPCs are isolated networks; without peering no private address of one is reachable
    // from the other, even when their CIDRs are equal. i-00000b01 is 10.20.1.10, as i-00000a01.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    for (to, proto) in [
        ("10.20.2.20", Proto::Tcp(5432)),
        ("10.20.2.11", Proto::Icmp),
    ] {
        let r = t.from_interface("i-00000b01", ip(to), proto).unwrap();
        assert!(
            !t.delivered_to_any_instance(&r),
            "to {to}: {}",
            show(&t, &r)
        );
    }
    // 10.20.1.30 (i-00000a03 in VPC a) would be on i-00000b01's own subnet: ARP finds nobody,
    // and a frame sent blindly to i-00000a03's MAC floods VPC b's subnet only.
    let (_, b01) = t.interface("i-00000b01").unwrap();
    let (_, a03) = t.interface("i-00000a03").unwrap();
    let (b01_mac, a03_mac) = (b01.mac.0, a03.mac.0);
    let arp = Packet::arp_request(b01_mac, ip("10.20.1.10"), ip("10.20.1.30"));
    let r = t.send_from("i-00000b01", arp).unwrap();
    assert!(
        matches!(r.verdict, Verdict::Flooded { .. }),
        "{}",
        show(&t, &r)
    );
    let blind = Packet::tcp(
        (b01_mac, a03_mac),
        (ip("10.20.1.10"), 1),
        (ip("10.20.1.30"), 80),
    );
    let r = t.send_from("i-00000b01", blind).unwrap();
    let a03_port = t.port_of("i-00000a03").unwrap();
    match &r.verdict {
        Verdict::Flooded { ports, .. } => assert!(!ports.contains(&a03_port)),
        other => assert!(!t.delivered_to_any_instance(&r), "{other:?}"),
    }
    // And the other way: 10.20.1.10 from VPC a is i-00000a01 itself, never i-00000b01.
    let r = t
        .from_interface("i-00000a03", ip("10.20.1.10"), Proto::Tcp(22))
        .unwrap();
    assert!(!t.delivered_to(&r, "i-00000b01"), "{}", show(&t, &r));
}

#[test]
fn an_elastic_ip_is_reachable_from_outside_only_on_allowed_ports() {
    // AWS: the internet gateway maps the elastic IP 1:1 to the private address; the security
    // group decides: sg-a1 allows tcp/80 from anywhere, tcp/22 only from 198.51.100.0/24.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let elastic = ip("203.0.113.10");
    let r = t
        .from_internet(ip("8.8.8.8"), elastic, Proto::Tcp(80))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a01"), "{}", show(&t, &r));
    assert_eq!(
        r.output.nw_dst,
        ip("10.20.1.10"),
        "DNAT to the private address"
    );
    assert!(
        r.devices().len() >= 4,
        "eucart, eucabr, VPC router, subnet bridge"
    );
    let r = t
        .from_internet(ip("8.8.8.8"), elastic, Proto::Tcp(22))
        .unwrap();
    assert!(!t.delivered_to_any_instance(&r), "{}", show(&t, &r));
    let r = t
        .from_internet(ip("198.51.100.9"), elastic, Proto::Tcp(22))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a01"), "{}", show(&t, &r));
    // The reply leaves with the elastic IP as source.
    let reply = t.reply(&r).unwrap().unwrap();
    assert!(t.delivered_to_internet(&reply), "{}", show(&t, &reply));
    assert_eq!((reply.output.nw_src, reply.output.tp_src), (elastic, 22));
}

#[test]
fn outbound_traffic_from_an_elastic_ip_instance_leaves_with_the_elastic_ip() {
    // AWS: an instance with an elastic IP in a subnet routed to the internet gateway reaches
    // the internet, seen there from its elastic IP; the answer comes back to it.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a01", ip("8.8.8.8"), Proto::Tcp(443))
        .unwrap();
    assert!(t.delivered_to_internet(&r), "{}", show(&t, &r));
    assert_eq!(r.output.nw_src, ip("203.0.113.10"));
    let reply = t.reply(&r).unwrap().unwrap();
    assert!(t.delivered_to(&reply, "i-00000a01"), "{}", show(&t, &reply));
    assert_eq!(reply.output.nw_dst, ip("10.20.1.10"));
}

#[test]
fn a_private_subnet_reaches_out_through_its_nat_gateway_and_is_not_reachable_from_outside() {
    // AWS: subnet a2 routes 0.0.0.0/0 to nat-0000000a, which translates the source to its
    // elastic IP (203.0.113.12) and lets replies back; nothing outside can open a connection to
    // an instance behind it. Network ACLs are stateless, so the reply must also pass subnet
    // a2's inbound entries: the edited GNI adds the documented ephemeral-port allow (#300).
    let xml = edited();
    let gni = parse(&xml);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a02", ip("8.8.8.8"), Proto::Tcp(443))
        .unwrap();
    assert!(t.delivered_to_internet(&r), "{}", show(&t, &r));
    assert_eq!(r.output.nw_src, ip("203.0.113.12"), "{}", show(&t, &r));
    let reply = t.reply(&r).unwrap().unwrap();
    assert!(t.delivered_to(&reply, "i-00000a02"), "{}", show(&t, &reply));
    assert_eq!(
        (reply.output.nw_dst, reply.output.tp_dst),
        (ip("10.20.2.20"), 40000)
    );
    assert_eq!(reply.output.nw_src, ip("8.8.8.8"));

    let mut outside = Tracer::new(&gni, &env()).unwrap();
    for (to, proto) in [
        ("203.0.113.12", Proto::Tcp(22)),
        ("203.0.113.12", Proto::Tcp(40000)),
        ("10.20.2.20", Proto::Tcp(22)),
    ] {
        let r = outside.from_internet(ip("8.8.8.8"), ip(to), proto).unwrap();
        assert!(
            !outside.delivered_to_any_instance(&r),
            "to {to}: {}",
            show(&outside, &r)
        );
    }
}

#[test]
fn network_acls_are_stateless_so_an_unlisted_reply_is_denied() {
    // AWS: "network ACLs are stateless": responses to allowed outbound traffic are subject to
    // the inbound entries. acl-a2 (shipped GNI) allows inbound only from 10.20.0.0/16, so the
    // internet's reply to i-00000a02 stops at subnet a2's NACL although the SG would take it.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a02", ip("8.8.8.8"), Proto::Tcp(443))
        .unwrap();
    assert!(t.delivered_to_internet(&r), "{}", show(&t, &r));
    let reply = t.reply(&r).unwrap().unwrap();
    let (chain, rule) = dropping_rule(&t, &reply).unwrap_or_else(|| panic!("{}", show(&t, &reply)));
    assert!(
        chain.starts_with("acl_ingress_") && rule.ends_with("default_deny"),
        "{rule}"
    );
}

#[test]
fn a_subnet_whose_route_table_lacks_an_igw_route_has_no_internet() {
    // AWS: without a route to an internet gateway, nothing leaves the VPC for the internet, an
    // elastic IP notwithstanding. vpc-0000000b's table is "local" only.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000b01", ip("8.8.8.8"), Proto::Tcp(443))
        .unwrap();
    assert!(
        matches!(r.verdict, Verdict::NoRoute { .. }),
        "{}",
        show(&t, &r)
    );
    // So no connection from outside can be answered either: whatever reaches the instance,
    // its reply has no way out.
    let r = t
        .from_internet(ip("8.8.8.8"), ip("203.0.113.11"), Proto::Tcp(22))
        .unwrap();
    if let Some(reply) = t.reply(&r).unwrap() {
        assert!(!t.delivered_to_internet(&reply), "{}", show(&t, &reply));
    }
}

#[test]
fn a_network_acl_deny_entry_wins_over_a_later_allow() {
    // AWS: NACL entries are evaluated in rule-number order and the first match decides;
    // subnet a2's #100 denies tcp/23 from 10.20.1.0/24 before #200 allows the VPC. sg-a2 (in
    // the edited GNI) allows tcp/23 from the VPC, so only the NACL can stop it.
    let xml = edited();
    let gni = parse(&xml);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a01", ip("10.20.2.20"), Proto::Tcp(23))
        .unwrap();
    let (chain, _) = dropping_rule(&t, &r).unwrap_or_else(|| panic!("{}", show(&t, &r)));
    assert!(
        chain.starts_with("acl_ingress_"),
        "{chain}: {}",
        show(&t, &r)
    );
    // #200 still lets other VPC traffic in, and tcp/23 from inside subnet a2 is not NACL'd.
    let r = t
        .from_interface("i-00000a01", ip("10.20.2.20"), Proto::Tcp(5432))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a02"), "{}", show(&t, &r));
    let r = t
        .from_interface("eni-00000a11", ip("10.20.2.20"), Proto::Tcp(23))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a02"), "{}", show(&t, &r));
}

#[test]
fn a_route_to_an_eni_with_source_dest_check_off_reaches_that_instance() {
    // AWS: a route whose target is a network interface sends matching traffic to that
    // interface; with source/destination check off the instance accepts packets not
    // addressed to it. Subnet a2 routes 192.0.2.0/24 to eni-00000a03; sg-a1 allows tcp/80.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let r = t
        .from_interface("i-00000a02", ip("192.0.2.5"), Proto::Tcp(80))
        .unwrap();
    assert!(t.delivered_to(&r, "i-00000a03"), "{}", show(&t, &r));
    assert_eq!(
        r.output.nw_dst,
        ip("192.0.2.5"),
        "the destination is not rewritten"
    );
    // The appliance may send from the address it serves: its anti-spoofing lets it out. The
    // reply then meets subnet a2's stateless NACL, which allows only 10.20.0.0/16 in.
    let reply = t.reply(&r).unwrap().unwrap();
    let (chain, _) = dropping_rule(&t, &reply).unwrap_or_else(|| panic!("{}", show(&t, &reply)));
    assert!(chain.starts_with("acl_ingress_"), "{}", show(&t, &reply));
    assert!(!reply.hops.iter().any(|h| matches!(h, topology::sim::Hop::Rule { rule, result: topology::sim::RuleResult::Drop, .. } if t.snapshot.name_of(*rule).contains("antispoof"))));
}

#[test]
fn anti_spoofing_drops_packets_with_a_forged_source() {
    // AWS: with source/destination check on (the default), an instance cannot send from an
    // address or MAC that is not its own.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let honest = t
        .packet_from("i-00000a01", ip("10.20.2.20"), Proto::Tcp(5432))
        .unwrap();
    let forged_ip = Packet {
        nw_src: ip("10.20.1.99"),
        ..honest
    };
    let r = t.send_from("i-00000a01", forged_ip).unwrap();
    let (chain, rule) = dropping_rule(&t, &r).unwrap_or_else(|| panic!("{}", show(&t, &r)));
    assert_eq!(chain, "ic_i-00000a01_prechain");
    assert!(rule.ends_with("antispoof_ip"), "{rule}");
    let forged_mac = Packet {
        eth_src: [0xd0, 0x0d, 0, 0, 0x0a, 0x99],
        ..honest
    };
    let r = t.send_from("i-00000a01", forged_mac).unwrap();
    assert!(dropping_rule(&t, &r).is_some_and(|(_, rule)| rule.ends_with("antispoof_mac")));
    // Forging another VPC member's address (10.20.1.30 is i-00000a03) is still forging.
    let r = t
        .send_from(
            "i-00000a01",
            Packet {
                nw_src: ip("10.20.1.30"),
                ..honest
            },
        )
        .unwrap();
    assert!(!t.delivered_to_any_instance(&r), "{}", show(&t, &r));
    // The honest packet passes.
    let r = t.send_from("i-00000a01", honest).unwrap();
    assert!(t.delivered_to(&r, "i-00000a02"), "{}", show(&t, &r));
}

#[test]
fn dhcp_answers_each_interface_with_its_private_address() {
    // AWS: the VPC DHCP server hands each interface its private address, with the subnet's
    // .1 as router.
    let gni = parse(TWO_VPCS);
    let mut t = Tracer::new(&gni, &env()).unwrap();
    let (_, interface) = t.interface("i-00000a01").unwrap();
    let mac = interface.mac.0;
    let r = t
        .send_from("i-00000a01", Packet::dhcp_request(mac))
        .unwrap();
    match r.verdict {
        Verdict::DhcpReply { lease, gateway, .. } => {
            assert_eq!(lease.ip_addr, ip("10.20.1.10"));
            assert_eq!(gateway, Some(ip("10.20.1.1")));
        }
        other => panic!("{other:?}"),
    }
}

//! Tests of `gni::parse` on whole documents: the shared examples (copied to `testdata/gni/`),
//! edits of them that break one rule each, and the properties the translator relies on.

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use super::*;

const SINGLE_VPC: &str = include_str!("../../testdata/gni/single-vpc.xml");
const TWO_VPCS: &str = include_str!("../../testdata/gni/two-vpcs.xml");

/// `document` with the first `from` replaced; fails if `from` is not there, so an edit of the
/// examples cannot silently turn a test into a no-op.
fn edit(document: &str, from: &str, to: &str) -> String {
    assert!(
        document.contains(from),
        "the document no longer contains {from:?}"
    );
    document.replacen(from, to, 1)
}

/// The line `needle` first appears on.
fn line_of(document: &str, needle: &str) -> u32 {
    let at = document
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} is not in the document"));
    let newlines = document[..at].matches('\n').count();
    u32::try_from(newlines).expect("a short document") + 1
}

fn problems(document: &str) -> Vec<Problem> {
    match parse(document) {
        Err(GniError::Invalid { problems }) => problems,
        other => panic!("expected an invalid GNI, got {other:?}"),
    }
}

/// The only problem of `document`, as text.
fn only_problem(document: &str) -> String {
    match problems(document).as_slice() {
        [one] => one.to_string(),
        many => panic!("expected one problem, got {many:#?}"),
    }
}

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("an IPv4 address")
}

fn net(s: &str) -> Ipv4Network {
    s.parse().expect("a CIDR")
}

fn ids<T>(parse: fn(&str) -> Option<T>, all: &[&str]) -> Vec<T> {
    all.iter().map(|s| parse(s).expect("a valid id")).collect()
}

fn tcp(from: u16, to: u16) -> Protocol {
    Protocol::Tcp(PortRange { from, to })
}

#[test]
fn the_single_vpc_example_parses_into_its_contents() {
    let gni = parse(SINGLE_VPC).expect("the example is valid");
    assert_eq!(gni.version, "5f3a9c1e");
    assert_eq!(gni.applied_version.as_deref(), Some("4b77d002"));
    assert_eq!(
        gni.applied_time.as_deref(),
        Some("2017-06-01T10:00:00.000Z")
    );

    let config = &gni.config;
    assert_eq!(config.mode, "VPCMIDO");
    assert_eq!(config.clc_ip, ip("10.1.0.2"));
    assert_eq!(config.dns_domain.as_deref(), Some("eucalyptus.internal"));
    assert_eq!(config.dns_servers, [ip("10.1.0.2")]);
    assert_eq!(config.public_ips, [ip("203.0.113.10"), ip("203.0.113.11")]);
    assert_eq!(config.bgp_asn, None);
    assert_eq!(
        config.gateways,
        [Gateway {
            host_ip: ip("10.1.0.5"),
            external_cidr: net("172.19.0.0/30"),
            external_device: "veth1".into(),
            external_ip: ip("172.19.0.2"),
            uplink: Uplink::Static {
                router_ip: ip("172.19.0.1")
            },
        }]
    );
    let az1 = &config.clusters["az1"];
    assert_eq!(
        az1.subnet,
        Some(ClusterSubnet {
            network: net("172.31.0.0/16"),
            gateway: ip("172.31.0.1")
        })
    );
    assert_eq!(az1.cc_ip, Some(ip("10.1.0.3")));
    assert_eq!(az1.mac_prefix.as_deref(), Some("d0:0d"));
    assert_eq!(az1.private_ips, [ip("172.31.0.5")]);
    assert_eq!(
        az1.nodes[&ip("10.1.0.21")],
        ids(InstanceId::parse, &["i-4a1b2c3d"])
    );

    assert_eq!(gni.vpcs.len(), 1);
    let vpc = &gni.vpcs["vpc-1f2e3d4c"];
    assert_eq!(vpc.owner_id.as_deref(), Some("000123456789"));
    assert_eq!(vpc.cidr, net("10.20.0.0/16"));
    assert_eq!(vpc.dhcp_option_set, DhcpOptionSetId::parse("dopt-aa11bb22"));
    let subnet = &vpc.subnets["subnet-0a0b0c0d"];
    assert_eq!(subnet.cidr, net("10.20.1.0/24"));
    assert_eq!(subnet.cluster.as_deref(), Some("az1"));
    assert_eq!(subnet.network_acl, NetworkAclId::parse("acl-5e6f7a8b"));
    assert_eq!(subnet.route_table.as_str(), "rtb-9c8d7e6f");
    let igw = InternetGatewayId::parse("igw-3c4d5e6f").expect("a valid id");
    assert_eq!(
        vpc.route_tables["rtb-9c8d7e6f"].routes,
        [
            Route {
                destination: net("10.20.0.0/16"),
                target: RouteTarget::Local
            },
            Route {
                destination: net("0.0.0.0/0"),
                target: RouteTarget::InternetGateway(igw.clone())
            },
        ]
    );
    let allow_all = [AclEntry {
        number: 100,
        action: AclAction::Allow,
        protocol: Protocol::All,
        cidr: net("0.0.0.0/0"),
    }];
    let acl = &vpc.network_acls["acl-5e6f7a8b"];
    assert_eq!(
        (&acl.ingress[..], &acl.egress[..]),
        (&allow_all[..], &allow_all[..])
    );
    assert!(vpc.nat_gateways.is_empty());
    assert_eq!(vpc.internet_gateways.iter().collect::<Vec<_>>(), [&igw]);

    let instance = &gni.instances["i-4a1b2c3d"];
    assert_eq!(instance.node, ip("10.1.0.21"));
    assert_eq!(instance.mac.to_string(), "d0:0d:4a:1b:2c:3d");
    assert_eq!(
        (instance.private_ip, instance.public_ip),
        (ip("10.20.1.15"), Some(ip("203.0.113.10")))
    );
    assert_eq!(
        instance.security_groups,
        ids(SecurityGroupId::parse, &["sg-6a7b8c9d"])
    );
    let primary = instance.primary().expect("a primary interface");
    assert_eq!(
        primary.name.as_str(),
        "i-4a1b2c3d",
        "renamed after the instance"
    );
    assert_eq!(primary.eni_id.as_str(), "eni-7d8e9f01");
    assert_eq!(primary.device_index, 0);
    assert_eq!(
        primary.attachment_id.as_deref(),
        Some("eni-attach-11223344")
    );
    assert!(primary.source_dest_check);
    assert_eq!(
        (primary.vpc.as_str(), primary.subnet.as_str()),
        ("vpc-1f2e3d4c", "subnet-0a0b0c0d")
    );
    assert_eq!(instance.interfaces.len(), 1);

    assert_eq!(
        gni.dhcp_option_sets["dopt-aa11bb22"].domain_name_servers,
        [DnsServer::Address(ip("10.1.0.2"))]
    );
    assert_eq!(
        gni.internet_gateways["igw-3c4d5e6f"].owner_id.as_deref(),
        Some("000123456789")
    );
    let group = &gni.security_groups["sg-6a7b8c9d"];
    assert_eq!(
        group.ingress,
        [
            SecurityGroupRule {
                protocol: tcp(22, 22),
                peer: RulePeer::Cidr(net("0.0.0.0/0"))
            },
            SecurityGroupRule {
                protocol: Protocol::All,
                peer: RulePeer::Group {
                    id: group.id.clone(),
                    owner_id: Some("000123456789".into())
                }
            },
        ]
    );
    assert_eq!(
        group.egress,
        [SecurityGroupRule {
            protocol: Protocol::All,
            peer: RulePeer::Cidr(net("0.0.0.0/0"))
        }]
    );
}

#[test]
fn the_two_vpcs_example_parses_into_its_contents() {
    let gni = parse(TWO_VPCS).expect("the example is valid");
    assert_eq!(gni.version, "a1b2c3d4e5f60718");
    let a = &gni.vpcs["vpc-0000000a"];
    let b = &gni.vpcs["vpc-0000000b"];
    assert_eq!(
        (a.cidr, b.cidr),
        (net("10.20.0.0/16"), net("10.20.0.0/16")),
        "same CIDR, isolated VPCs"
    );
    assert_eq!(
        a.subnets.keys().map(SubnetId::as_str).collect::<Vec<_>>(),
        ["subnet-000000a1", "subnet-000000a2"]
    );
    assert_eq!(
        a.subnets["subnet-000000a2"].route_table.as_str(),
        "rtb-000000a2"
    );
    assert_eq!(
        a.subnets["subnet-000000a2"].network_acl,
        NetworkAclId::parse("acl-000000a2")
    );
    assert_eq!(b.subnets.len(), 1);
    assert!(b.internet_gateways.is_empty() && b.nat_gateways.is_empty());

    let routes = &a.route_tables["rtb-000000a2"].routes;
    let targets: Vec<_> = routes.iter().map(|r| (r.destination, &r.target)).collect();
    assert_eq!(
        targets,
        [
            (net("10.20.0.0/16"), &RouteTarget::Local),
            (
                net("0.0.0.0/0"),
                &RouteTarget::NatGateway(NatGatewayId::parse("nat-0000000a").expect("id"))
            ),
            (
                net("192.0.2.0/24"),
                &RouteTarget::NetworkInterface(EniId::parse("eni-00000a03").expect("id"))
            ),
        ]
    );
    let nat = &a.nat_gateways["nat-0000000a"];
    assert_eq!(nat.mac.to_string(), "d0:0d:00:00:0a:fe");
    assert_eq!(
        (nat.public_ip, nat.private_ip),
        (ip("203.0.113.12"), ip("10.20.1.254"))
    );
    assert_eq!(
        (nat.vpc.as_str(), nat.subnet.as_str()),
        ("vpc-0000000a", "subnet-000000a1")
    );

    // Entries keep document order (eucanetd does not sort them); the deny entry keeps its ports.
    let ingress = &a.network_acls["acl-000000a2"].ingress;
    assert_eq!(
        ingress.iter().map(|e| e.number).collect::<Vec<_>>(),
        [200, 100]
    );
    assert_eq!(
        ingress[1],
        AclEntry {
            number: 100,
            action: AclAction::Deny,
            protocol: tcp(23, 23),
            cidr: net("10.20.1.0/24")
        }
    );

    let nodes: Vec<_> = gni
        .instances
        .values()
        .map(|i| (i.id.as_str(), i.node))
        .collect();
    assert_eq!(
        nodes,
        [
            ("i-00000a01", ip("10.1.0.21")),
            ("i-00000a02", ip("10.1.0.21")),
            ("i-00000a03", ip("10.1.0.22")),
            ("i-00000b01", ip("10.1.0.22")),
        ]
    );
    let with_two = &gni.instances["i-00000a01"];
    let names: Vec<_> = with_two
        .interfaces
        .keys()
        .map(InterfaceName::as_str)
        .collect();
    assert_eq!(
        names,
        ["eni-00000a11", "i-00000a01"],
        "the primary is named after the instance"
    );
    let secondary = &with_two.interfaces["eni-00000a11"];
    assert_eq!((secondary.device_index, secondary.public_ip), (1, None));
    assert_eq!(secondary.subnet.as_str(), "subnet-000000a2");
    assert_eq!(
        secondary.security_groups,
        ids(SecurityGroupId::parse, &["sg-000000a2"])
    );
    let nat_instance = gni.instances["i-00000a03"]
        .primary()
        .expect("a primary interface");
    assert!(!nat_instance.source_dest_check);
    let (owner, by_eni) = gni
        .interface_by_eni("eni-00000a03")
        .expect("the route's target");
    assert_eq!(
        (owner.id.as_str(), by_eni.name.as_str()),
        ("i-00000a03", "i-00000a03")
    );
    assert_eq!(gni.interfaces().count(), 5);

    let a1 = &gni.security_groups["sg-000000a1"];
    assert_eq!(
        a1.ingress[2].protocol,
        Protocol::Icmp {
            icmp_type: Some(8),
            code: None
        }
    );
    assert_eq!(a1.ingress[2].peer, RulePeer::Cidr(net("10.20.0.0/16")));
    let a2 = &gni.security_groups["sg-000000a2"];
    assert_eq!(a2.ingress[0].protocol, tcp(5432, 5432));
    assert!(
        matches!(&a2.ingress[0].peer, RulePeer::Group { id, .. } if id.as_str() == "sg-000000a1")
    );

    let dopt_a = &gni.dhcp_option_sets["dopt-0000000a"];
    assert_eq!(dopt_a.domain_name, ["corp.example"]);
    assert_eq!(
        dopt_a.domain_name_servers,
        [
            DnsServer::Address(ip("10.20.0.2")),
            DnsServer::Address(ip("10.1.0.2"))
        ]
    );
    assert_eq!(dopt_a.ntp_servers, [ip("10.20.0.3")]);
    assert_eq!(
        gni.dhcp_option_sets["dopt-0000000b"].domain_name_servers,
        [DnsServer::AmazonProvided]
    );
    assert_eq!(gni.internet_gateways.len(), 1);
    assert_eq!(gni.config.clusters["az1"].nodes.len(), 2);
}

/// The single-VPC example's gateway list replaced by `gateways` (and its mido properties).
fn with_gateways(gateways: &str) -> String {
    let start = SINGLE_VPC
        .find("<property name=\"mido\">")
        .expect("a mido property");
    let end = SINGLE_VPC
        .find("<property name=\"enabledCLCIp\">")
        .expect("a CLC property");
    format!(
        "{}<property name=\"mido\">{gateways}</property>\n    {}",
        &SINGLE_VPC[..start],
        &SINGLE_VPC[end..]
    )
}

const STATIC_GATEWAY: &str = "<gateway><property name=\"ip\"><value>10.1.0.5</value></property>\
    <property name=\"externalCidr\"><value>172.19.0.0/30</value></property>\
    <property name=\"externalDevice\"><value>veth1</value></property>\
    <property name=\"externalIp\"><value>172.19.0.2</value></property>\
    <property name=\"externalRouterIp\"><value>172.19.0.1</value></property></gateway>";

const BGP_GATEWAY: &str = "<gateway><property name=\"ip\"><value>10.1.0.6</value></property>\
    <property name=\"externalCidr\"><value>198.51.100.0/29</value></property>\
    <property name=\"externalDevice\"><value>eth2</value></property>\
    <property name=\"externalIp\"><value>198.51.100.2</value></property>\
    <property name=\"bgpPeerIp\"><value>198.51.100.1</value></property>\
    <property name=\"bgpPeerAsn\"><value>65000</value></property>\
    <property name=\"bgpAdRoutes\"><value>203.0.113.0/24</value><value>192.0.2.0/24</value></property>\
    </gateway>";

#[test]
fn static_and_bgp_gateways_parse_side_by_side() {
    let gni = parse(&with_gateways(&format!(
        "<property name=\"gateways\">{STATIC_GATEWAY}{BGP_GATEWAY}</property>\
         <property name=\"bgpAsn\"><value>4200000001</value></property>"
    )))
    .expect("valid gateways");
    assert_eq!(gni.config.bgp_asn, Some(4_200_000_001));
    let uplinks: Vec<_> = gni.config.gateways.iter().map(|g| &g.uplink).collect();
    assert_eq!(
        uplinks,
        [
            &Uplink::Static {
                router_ip: ip("172.19.0.1")
            },
            &Uplink::Bgp {
                peer_ip: ip("198.51.100.1"),
                peer_asn: 65000,
                ad_routes: vec![net("203.0.113.0/24"), net("192.0.2.0/24")],
            },
        ]
    );
    assert_eq!(gni.config.gateways[1].external_device, "eth2");
    assert_eq!(gni.config.gateways[1].uplink.peer_ip(), ip("198.51.100.1"));
}

#[test]
fn a_bgp_gateway_needs_the_cloud_as_number_and_a_peer_as_number() {
    let document = with_gateways(&format!(
        "<property name=\"gateways\">{BGP_GATEWAY}</property>"
    ));
    assert_eq!(
        only_problem(&document),
        format!(
            "line {}: configuration: mido: missing bgpAsn",
            line_of(&document, "<property name=\"mido\">")
        )
    );
    let document = with_gateways(&format!(
        "<property name=\"gateways\">{}</property><property name=\"bgpAsn\"><value>65001</value></property>",
        edit(BGP_GATEWAY, "<property name=\"bgpPeerAsn\"><value>65000</value></property>", "")
    ));
    assert!(only_problem(&document).ends_with("configuration: mido: gateway 1: missing bgpPeerAsn"));
}

#[test]
fn a_gateway_names_one_peer_with_its_address_on_the_external_network() {
    let both = edit(
        STATIC_GATEWAY,
        "</gateway>",
        "<property name=\"bgpPeerIp\"><value>172.19.0.1</value></property></gateway>",
    );
    let document = with_gateways(&format!(
        "<property name=\"gateways\">{STATIC_GATEWAY}\n{both}</property>"
    ));
    let gateway_2 = line_of(&document, "<gateway>") + 1;
    assert_eq!(
        only_problem(&document),
        format!("line {gateway_2}: configuration: mido: gateway 2: give only one of externalRouterIp or bgpPeerIp")
    );
    let outside = edit(
        STATIC_GATEWAY,
        "<value>172.19.0.2</value>",
        "<value>172.19.0.9</value>",
    );
    let document = with_gateways(&format!("<property name=\"gateways\">{outside}</property>"));
    assert!(only_problem(&document)
        .ends_with("gateway 1: externalIp 172.19.0.9 is outside externalCidr 172.19.0.0/30"));
}

#[test]
fn the_legacy_gateway_properties_become_one_static_gateway() {
    let gni = parse(&with_gateways(
        "<property name=\"eucanetdHost\"><value>10.1.0.2</value></property>\
         <property name=\"gatewayHost\"><value>10.1.0.7</value></property>\
         <property name=\"gatewayIP\"><value>192.0.2.10</value></property>\
         <property name=\"gatewayInterface\"><value>em1</value></property>\
         <property name=\"publicNetworkCidr\"><value>192.0.2.0/24</value></property>\
         <property name=\"publicGatewayIP\"><value>192.0.2.1</value></property>",
    ))
    .expect("a valid legacy gateway");
    assert_eq!(
        gni.config.gateways,
        [Gateway {
            host_ip: ip("10.1.0.7"),
            external_cidr: net("192.0.2.0/24"),
            external_device: "em1".into(),
            external_ip: ip("192.0.2.10"),
            uplink: Uplink::Static {
                router_ip: ip("192.0.2.1")
            },
        }]
    );
}

#[test]
fn a_legacy_gateway_missing_a_property_names_it() {
    let document = with_gateways(
        "<property name=\"gatewayHost\"><value>10.1.0.7</value></property>\
         <property name=\"gatewayIP\"><value>192.0.2.10</value></property>\
         <property name=\"publicNetworkCidr\"><value>192.0.2.0/24</value></property>\
         <property name=\"publicGatewayIP\"><value>192.0.2.1</value></property>",
    );
    assert!(only_problem(&document).ends_with("configuration: mido: missing gatewayInterface"));
}

#[test]
fn vpcmido_needs_a_gateway_other_modes_need_no_mido_at_all() {
    let document = with_gateways("<property name=\"gateways\"/>");
    assert!(only_problem(&document).ends_with("configuration: mido: missing gateways"));
    let edge = "<network-data version=\"1\"><configuration>\
                <property name=\"mode\"><value>EDGE</value></property>\
                <property name=\"enabledCLCIp\"><value>10.0.0.1</value></property>\
                </configuration></network-data>";
    let gni = parse(edge).expect("a valid EDGE view");
    assert_eq!(
        (gni.config.mode.as_str(), gni.config.gateways.len()),
        ("EDGE", 0)
    );
}

#[test]
fn a_cidr_that_does_not_parse_names_line_vpc_subnet_and_value() {
    let document = edit(
        SINGLE_VPC,
        "<cidr>10.20.1.0/24</cidr>",
        "<cidr>10.20.300.0/24</cidr>",
    );
    let line = line_of(&document, "<subnet name=\"subnet-0a0b0c0d\">");
    assert_eq!(
        only_problem(&document),
        format!("line {line}: vpc vpc-1f2e3d4c: subnet subnet-0a0b0c0d: cidr '10.20.300.0/24' is not a CIDR")
    );
    let error = parse(&document).expect_err("an invalid GNI");
    assert_eq!(
        error.to_string(),
        format!("GNI: {}", only_problem(&document))
    );
    assert!(matches!(
        error.problems()[0].kind,
        ProblemKind::Invalid { field: "cidr", .. }
    ));
}

#[test]
fn vpc_and_subnet_cidrs_are_network_addresses_and_subnets_fit_their_vpc_without_overlap() {
    let document = edit(
        SINGLE_VPC,
        "<cidr>10.20.0.0/16</cidr>",
        "<cidr>10.20.0.1/16</cidr>",
    );
    assert!(only_problem(&document).ends_with(
        "vpc vpc-1f2e3d4c: cidr '10.20.0.1/16' is not a network address (its host bits are set)"
    ));
    let document = edit(
        SINGLE_VPC,
        "<cidr>10.20.0.0/16</cidr>",
        "<cidr>10.21.0.0/16</cidr>",
    );
    assert!(only_problem(&document).ends_with(
        "subnet subnet-0a0b0c0d: cidr 10.20.1.0/24 is outside vpc vpc-1f2e3d4c 10.21.0.0/16"
    ));
    let document = edit(
        TWO_VPCS,
        "<cidr>10.20.2.0/24</cidr>",
        "<cidr>10.20.1.128/25</cidr>",
    );
    let found = problems(&document);
    assert!(found.iter().any(|p| p.to_string().ends_with(
        "vpc vpc-0000000a: subnet subnet-000000a2: cidr 10.20.1.128/25 overlaps subnet subnet-000000a1 10.20.1.0/24"
    )), "{found:#?}");
}

#[test]
fn malformed_xml_is_refused_with_the_line_the_reader_stopped_at() {
    let document = edit(SINGLE_VPC, "</subnets>", "</subnet>");
    let line = line_of(&document, "</subnet>");
    match parse(&document) {
        Err(GniError::Malformed {
            line: Some(at),
            message,
        }) => {
            assert!(at >= line, "{at} < {line}: {message}");
            assert!(message.contains("subnet"), "{message}");
        }
        other => panic!("expected malformed XML, got {other:?}"),
    }
    let truncated = &SINGLE_VPC[..SINGLE_VPC.len() / 2];
    assert!(matches!(
        parse(truncated),
        Err(GniError::Malformed { line: Some(_), .. })
    ));
    let document = edit(
        SINGLE_VPC,
        "<cidr>10.20.0.0/16</cidr>",
        "<cidr>10.20.0.0/16</cidr>\n<cidr>10.21.0.0/16</cidr>",
    );
    assert_eq!(
        parse(&document),
        Err(GniError::Malformed {
            line: Some(line_of(&document, "<cidr>10.21.0.0/16</cidr>")),
            message:
                "<vpc name=\"vpc-1f2e3d4c\"> has more than one <cidr> (duplicate field `cidr`)"
                    .into()
        })
    );
    let text = parse("<network-data version=\"1\"><vpcs><vpc name=\"vpc-1\"><cidr><b/></cidr></vpc></vpcs></network-data>")
        .expect_err("an element where text belongs")
        .to_string();
    assert!(text.starts_with("GNI: malformed XML: "), "{text}");
}

#[test]
fn a_gni_over_the_50_mb_buffer_is_refused_unread() {
    let huge = " ".repeat(MAX_GNI_BYTES + 1);
    assert_eq!(
        parse(&huge),
        Err(GniError::TooLarge {
            size: MAX_GNI_BYTES + 1,
            limit: 50 * 1024 * 1024
        })
    );
}

#[test]
fn references_to_missing_objects_name_the_element_field_and_id() {
    // (edit from, edit to, the element the problem is reported on, its message)
    let cases = [
        (
            "<vpc>vpc-1f2e3d4c</vpc><subnet>subnet-0a0b0c0d</subnet>\n      <networkInterfaces>",
            "<vpc>vpc-5a6b7c8d</vpc><subnet>subnet-0a0b0c0d</subnet>\n      <networkInterfaces>",
            "<instance name=\"i-4a1b2c3d\">",
            "instance i-4a1b2c3d: vpc vpc-5a6b7c8d: no such vpc",
        ),
        (
            "<groupId>sg-6a7b8c9d</groupId>",
            "<groupId>sg-00000000</groupId>",
            "<securityGroup name=\"sg-6a7b8c9d\">",
            "security group sg-6a7b8c9d: ingress rule 2: groupId sg-00000000: no such security group",
        ),
        (
            "<routeTable>rtb-9c8d7e6f</routeTable>",
            "<routeTable>rtb-00000000</routeTable>",
            "<subnet name=\"subnet-0a0b0c0d\">",
            "vpc vpc-1f2e3d4c: subnet subnet-0a0b0c0d: routeTable rtb-00000000: no such route table in vpc vpc-1f2e3d4c",
        ),
        (
            "<dhcpOptionSet>dopt-aa11bb22</dhcpOptionSet>",
            "<dhcpOptionSet>dopt-00000000</dhcpOptionSet>",
            "<vpc name=\"vpc-1f2e3d4c\">",
            "vpc vpc-1f2e3d4c: dhcpOptionSet dopt-00000000: no such dhcp option set",
        ),
        (
            "<internetGateways><value>igw-3c4d5e6f</value></internetGateways>",
            "<internetGateways/>",
            "<routeTable name=\"rtb-9c8d7e6f\">",
            "vpc vpc-1f2e3d4c: route table rtb-9c8d7e6f: route 0.0.0.0/0: gatewayId igw-3c4d5e6f: no such internet gateway attached to vpc vpc-1f2e3d4c",
        ),
        (
            "<cluster>az1</cluster>",
            "<cluster>az9</cluster>",
            "<subnet name=\"subnet-0a0b0c0d\">",
            "vpc vpc-1f2e3d4c: subnet subnet-0a0b0c0d: cluster az9: no such cluster in configuration clusters",
        ),
        (
            "<securityGroups><value>sg-6a7b8c9d</value></securityGroups></networkInterface>",
            "<securityGroups><value>sg-6a7b8c9e</value></securityGroups></networkInterface>",
            "<networkInterface name=\"eni-7d8e9f01\">",
            "instance i-4a1b2c3d: network interface eni-7d8e9f01: securityGroups sg-6a7b8c9e: no such security group",
        ),
    ];
    for (from, to, anchor, message) in cases {
        let document = edit(SINGLE_VPC, from, to);
        let line = line_of(&document, anchor);
        assert_eq!(only_problem(&document), format!("line {line}: {message}"));
    }
}

#[test]
fn route_targets_must_be_in_the_route_tables_vpc() {
    // The NAT instance's ENI moves to the other VPC: the route to it no longer resolves.
    let document = edit(
        TWO_VPCS,
        "<networkInterfaceId>eni-00000a03</networkInterfaceId>",
        "<networkInterfaceId>eni-00000b01</networkInterfaceId>",
    );
    assert!(only_problem(&document).ends_with(
        "route table rtb-000000a2: route 192.0.2.0/24: networkInterfaceId eni-00000b01: no such network interface in vpc vpc-0000000a"
    ));
    let document = edit(
        TWO_VPCS,
        "<natGatewayId>nat-0000000a</natGatewayId>",
        "<natGatewayId>nat-0000000b</natGatewayId>",
    );
    assert!(only_problem(&document)
        .ends_with("natGatewayId nat-0000000b: no such nat gateway in vpc vpc-0000000a"));
}

#[test]
fn a_route_names_exactly_one_target_and_unsupported_ones_are_kept() {
    let document = edit(
        SINGLE_VPC,
        "<gatewayId>local</gatewayId>",
        "<gatewayId>local</gatewayId><natGatewayId>nat-00000000</natGatewayId>",
    );
    assert!(only_problem(&document).ends_with(
        "route 10.20.0.0/16: give only one of gatewayId, natGatewayId or networkInterfaceId"
    ));
    let document = edit(SINGLE_VPC, "<gatewayId>local</gatewayId>", "");
    assert!(only_problem(&document)
        .ends_with("route 10.20.0.0/16: missing gatewayId, natGatewayId or networkInterfaceId"));
    let document = edit(
        SINGLE_VPC,
        "</routes>",
        "<route><destinationCidr>10.30.0.0/16</destinationCidr><gatewayId>pcx-11112222</gatewayId></route></routes>",
    );
    let gni = parse(&document).expect("an unsupported target is the translator's to warn about");
    let routes = &gni.vpcs["vpc-1f2e3d4c"].route_tables["rtb-9c8d7e6f"].routes;
    assert_eq!(
        routes[2].target,
        RouteTarget::Unsupported("pcx-11112222".into())
    );
}

#[test]
fn duplicate_ids_are_refused_with_both_lines() {
    let document = edit(
        SINGLE_VPC,
        "</subnet></subnets>",
        "</subnet>\n<subnet name=\"subnet-0a0b0c0d\"><cidr>10.20.9.0/24</cidr><routeTable>rtb-9c8d7e6f</routeTable></subnet></subnets>",
    );
    let first = line_of(&document, "<subnet name=\"subnet-0a0b0c0d\">");
    assert_eq!(
        only_problem(&document),
        format!(
            "line {}: vpc vpc-1f2e3d4c: subnet subnet-0a0b0c0d: appears more than once (first at line {first})",
            first + 2
        )
    );
    // A subnet id is unique across VPCs too.
    let document = edit(
        TWO_VPCS,
        "<subnet name=\"subnet-000000b1\">",
        "<subnet name=\"subnet-000000a1\">",
    );
    assert!(problems(&document).iter().any(|p| p
        .to_string()
        .contains("vpc vpc-0000000b: subnet subnet-000000a1: appears more than once")));
    let document = edit(
        TWO_VPCS,
        "<securityGroup name=\"sg-000000b1\">",
        "<securityGroup name=\"sg-000000a1\">",
    );
    assert!(problems(&document).iter().any(|p| matches!(
        p.kind,
        ProblemKind::Duplicate {
            first_line: Some(_)
        }
    ) && p.element == "security group sg-000000a1"));
    let document = edit(TWO_VPCS, "<entry number=\"200\">", "<entry number=\"100\">");
    assert!(only_problem(&document)
        .ends_with("network acl acl-000000a2: ingress entry 100: appears more than once"));
}

#[test]
fn an_instance_no_node_lists_is_refused() {
    let document = edit(
        SINGLE_VPC,
        "<instanceIds><value>i-4a1b2c3d</value></instanceIds>",
        "<instanceIds/>",
    );
    let line = line_of(&document, "<instance name=\"i-4a1b2c3d\">");
    assert_eq!(
        only_problem(&document),
        format!("line {line}: instance i-4a1b2c3d: no node under configuration clusters lists this instance")
    );
    let document = edit(
        TWO_VPCS,
        "<value>i-00000a03</value><value>i-00000b01</value>",
        "<value>i-00000a03</value><value>i-00000b01</value><value>i-00000a01</value>",
    );
    assert_eq!(
        only_problem(&document),
        format!(
            "line {}: configuration: cluster az1: node 10.1.0.22: instance i-00000a01: appears more than once (first at line {})",
            line_of(&document, "<node name=\"10.1.0.22\">"),
            line_of(&document, "<node name=\"10.1.0.21\">"),
        )
    );
    // A node whose address does not parse: its instances are not also reported as unplaced.
    let document = edit(
        SINGLE_VPC,
        "<node name=\"10.1.0.21\">",
        "<node name=\"nc1.example\">",
    );
    assert_eq!(
        only_problem(&document),
        format!(
            "line {}: configuration: cluster az1: node nc1.example: name 'nc1.example' is not an IPv4 address",
            line_of(&document, "<node name=")
        )
    );
}

#[test]
fn every_problem_is_reported_at_once_in_document_order() {
    let document = edit(
        TWO_VPCS,
        "<cidr>10.20.1.0/24</cidr>",
        "<cidr>10.20.1.0/33</cidr>",
    );
    let document = edit(
        &document,
        "<macAddress>d0:0d:00:00:0a:02</macAddress>",
        "<macAddress>d0:0d:00:00:0a</macAddress>",
    );
    let document = edit(
        &document,
        "<groupId>sg-000000a1</groupId>",
        "<groupId>sg-000000ff</groupId>",
    );
    let found: Vec<String> = problems(&document)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        found,
        [
            format!(
                "line {}: vpc vpc-0000000a: subnet subnet-000000a1: cidr '10.20.1.0/33' is not a CIDR",
                line_of(&document, "<subnet name=\"subnet-000000a1\">")
            ),
            format!(
                "line {}: instance i-00000a02: macAddress 'd0:0d:00:00:0a' is not a MAC address",
                line_of(&document, "<instance name=\"i-00000a02\">")
            ),
            format!(
                "line {}: security group sg-000000a2: ingress rule 1: groupId sg-000000ff: no such security group",
                line_of(&document, "<securityGroup name=\"sg-000000a2\">")
            ),
        ],
        "references to the failed subnet (instances, the NAT gateway) are not reported again"
    );
    let text = parse(&document).expect_err("invalid").to_string();
    assert!(text.starts_with("GNI: 3 problems:\n  line "), "{text}");
}

#[test]
fn missing_required_elements_are_named() {
    let document = edit(SINGLE_VPC, " version=\"5f3a9c1e\"", "");
    assert_eq!(
        only_problem(&document),
        "line 1: network-data: missing version attribute"
    );
    let document = edit(SINGLE_VPC, "<cidr>10.20.0.0/16</cidr>", "");
    assert!(only_problem(&document).ends_with("vpc vpc-1f2e3d4c: missing cidr"));
    let document = edit(SINGLE_VPC, "<deviceIndex>0</deviceIndex>", "");
    assert!(only_problem(&document)
        .ends_with("instance i-4a1b2c3d: network interface eni-7d8e9f01: missing deviceIndex"));
    let document = edit(
        SINGLE_VPC,
        "<deviceIndex>0</deviceIndex>",
        "<deviceIndex>1</deviceIndex>",
    );
    assert!(only_problem(&document)
        .ends_with("instance i-4a1b2c3d: missing networkInterface with deviceIndex 0"));
    let document = edit(SINGLE_VPC, "<vpc name=\"vpc-1f2e3d4c\">", "<vpc>");
    assert!(problems(&document)
        .iter()
        .any(|p| p.to_string() == "vpc #1: missing name attribute"));
    let document = edit(
        SINGLE_VPC,
        "<property name=\"enabledCLCIp\"><value>10.1.0.2</value></property>",
        "",
    );
    assert_eq!(
        only_problem(&document),
        format!(
            "line {}: configuration: missing enabledCLCIp",
            line_of(&document, "<configuration>")
        )
    );
    let start = SINGLE_VPC.find("<configuration>").expect("a configuration");
    let end = SINGLE_VPC.find("<vpcs>").expect("vpcs");
    let document = format!("{}{}", &SINGLE_VPC[..start], &SINGLE_VPC[end..]);
    assert_eq!(
        only_problem(&document),
        "line 1: network-data: missing configuration"
    );
}

#[test]
fn values_of_the_wrong_kind_are_named_with_what_was_expected() {
    let cases = [
        (
            "<privateIp>10.20.1.15</privateIp><vpc>",
            "<privateIp>10.20.1</privateIp><vpc>",
            "instance i-4a1b2c3d: privateIp '10.20.1' is not an IPv4 address",
        ),
        (
            "<sourceDestCheck>true</sourceDestCheck>",
            "<sourceDestCheck>yes</sourceDestCheck>",
            "network interface eni-7d8e9f01: sourceDestCheck 'yes' is not true or false",
        ),
        (
            "<vpc name=\"vpc-1f2e3d4c\">",
            "<vpc name=\"subnet-1f2e3d4c\">",
            "vpc subnet-1f2e3d4c: name 'subnet-1f2e3d4c' is not an id of the form vpc-…",
        ),
        (
            "<protocol>6</protocol><fromPort>22</fromPort>",
            "<protocol>tcp</protocol><fromPort>22</fromPort>",
            "ingress rule 1: protocol 'tcp' is not a protocol number (-1 for all)",
        ),
        (
            "<toPort>22</toPort>",
            "<toPort>70000</toPort>",
            "ingress rule 1: toPort '70000' is not a port number",
        ),
        (
            "<toPort>22</toPort>",
            "<toPort>21</toPort>",
            "ingress rule 1: port range '22-21' is not ascending",
        ),
        (
            "<fromPort>22</fromPort>",
            "",
            "ingress rule 1: missing fromPort",
        ),
        (
            "<cidr>0.0.0.0/0</cidr></rule>",
            "</rule>",
            "ingress rule 1: missing groupId or cidr",
        ),
        (
            "<action>allow</action>",
            "<action>reject</action>",
            "network acl acl-5e6f7a8b: ingress entry 100: action 'reject' is not allow or deny",
        ),
        (
            "<entry number=\"100\">",
            "<entry number=\"0\">",
            "ingress entry 0: number attribute '0' is not a rule number from 1 to 32767",
        ),
        (
            "<property name=\"netmask\"><value>255.255.0.0</value>",
            "<property name=\"netmask\"><value>255.0.255.0</value>",
            "configuration: cluster az1: subnet: netmask '255.0.255.0' is not a contiguous netmask",
        ),
        (
            "<node name=\"10.1.0.21\">",
            "<node name=\"nc1.example\">",
            "cluster az1: node nc1.example: name 'nc1.example' is not an IPv4 address",
        ),
        (
            "<cidr>0.0.0.0/0</cidr></entry></ingressEntries>",
            "<cidr>0.0.0.0</cidr></entry></ingressEntries>",
            "ingress entry 100: cidr '0.0.0.0' is not a CIDR",
        ),
    ];
    for (from, to, message) in cases {
        let document = edit(SINGLE_VPC, from, to);
        let found: Vec<String> = problems(&document)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert!(
            found.iter().any(|p| p.ends_with(message)),
            "{message}: {found:#?}"
        );
    }
}

#[test]
fn interfaces_and_nat_gateways_sit_inside_their_subnet_and_vpc() {
    let document = edit(
        TWO_VPCS,
        "<vpc>vpc-0000000a</vpc><subnet>subnet-000000a2</subnet>\n          <securityGroups><value>sg-000000a2</value></securityGroups></networkInterface>\n      </networkInterfaces>\n      <securityGroups><value>sg-000000a1</value>",
        "<vpc>vpc-0000000b</vpc><subnet>subnet-000000b1</subnet>\n          <securityGroups><value>sg-000000a2</value></securityGroups></networkInterface>\n      </networkInterfaces>\n      <securityGroups><value>sg-000000a1</value>",
    );
    assert!(only_problem(&document).ends_with(
        "instance i-00000a01: network interface eni-00000a11: vpc vpc-0000000b differs from the instance's vpc vpc-0000000a"
    ));
    let document = edit(
        TWO_VPCS,
        "<privateIp>10.20.1.254</privateIp>",
        "<privateIp>10.20.2.254</privateIp>",
    );
    assert!(only_problem(&document).ends_with(
        "nat gateway nat-0000000a: privateIp 10.20.2.254 is outside subnet subnet-000000a1 10.20.1.0/24"
    ));
    let document = edit(
        TWO_VPCS,
        "<subnet>subnet-000000a1</subnet></natGateway>",
        "<subnet>subnet-000000b1</subnet></natGateway>",
    );
    assert!(only_problem(&document).ends_with(
        "nat gateway nat-0000000a: subnet subnet-000000b1: no such subnet in vpc vpc-0000000a"
    ));
    let document = edit(
        TWO_VPCS,
        "<vpc>vpc-0000000a</vpc><subnet>subnet-000000a1</subnet></natGateway>",
        "<vpc>vpc-0000000b</vpc><subnet>subnet-000000a1</subnet></natGateway>",
    );
    assert!(only_problem(&document).ends_with(
        "nat gateway nat-0000000a: vpc vpc-0000000b differs from the enclosing vpc vpc-0000000a"
    ));
}

#[test]
fn an_address_held_twice_is_refused() {
    // i-00000b01's elastic IP given to i-00000a01's primary interface as well.
    let document = edit(
        TWO_VPCS,
        "<publicIp>203.0.113.10</publicIp><sourceDestCheck>",
        "<publicIp>203.0.113.11</publicIp><sourceDestCheck>",
    );
    assert!(only_problem(&document).ends_with(
        "instance i-00000b01: network interface eni-00000b01: publicIp 203.0.113.11 is also held by instance i-00000a01: network interface eni-00000a01"
    ));
    // The same private address in two VPCs is fine (both examples' VPCs use 10.20.1.10); in one
    // VPC it is not.
    let document = edit(
        TWO_VPCS,
        "<privateIp>10.20.1.30</privateIp>\n          <sourceDestCheck>",
        "<privateIp>10.20.1.10</privateIp>\n          <sourceDestCheck>",
    );
    assert!(only_problem(&document).ends_with("network interface eni-00000a03: privateIp 10.20.1.10 is also held by instance i-00000a01: network interface eni-00000a01"));
}

#[test]
fn unknown_elements_and_attributes_are_ignored() {
    let document = edit(
        SINGLE_VPC,
        "<vpcs>",
        "<futureSection><x>1</x></futureSection><vpcs>",
    );
    let document = edit(
        &document,
        "<ownerId>000123456789</ownerId><cidr>",
        "<ownerId>000123456789</ownerId><tenancy>default</tenancy><cidr>",
    );
    let document = edit(
        &document,
        "<vpc name=\"vpc-1f2e3d4c\">",
        "<vpc name=\"vpc-1f2e3d4c\" state=\"available\">",
    );
    let document = edit(
        &document,
        "<property name=\"mode\">",
        "<property name=\"futureKnob\"><value>on</value></property><property name=\"mode\">",
    );
    let document = edit(
        &document,
        "<route><destinationCidr>0.0.0.0/0",
        "<route><state>active</state><destinationCidr>0.0.0.0/0",
    );
    assert_eq!(parse(&document), parse(SINGLE_VPC));
    assert!(parse(&document).is_ok());
}

#[test]
fn lists_whose_elements_are_not_adjacent_are_read_whole() {
    let document = edit(
        SINGLE_VPC,
        "<value>203.0.113.10</value><value>203.0.113.11</value>",
        "<value>203.0.113.10</value><note>x</note><value>203.0.113.11</value>",
    );
    let gni = parse(&document).expect("valid");
    assert_eq!(
        gni.config.public_ips,
        [ip("203.0.113.10"), ip("203.0.113.11")]
    );
}

#[test]
fn a_byte_order_mark_and_an_xml_declaration_are_accepted() {
    let document = format!("\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{SINGLE_VPC}");
    assert_eq!(parse(&document), parse(SINGLE_VPC));
}

#[test]
fn parsing_is_deterministic_and_independent_of_element_order() {
    assert_eq!(parse(TWO_VPCS), parse(TWO_VPCS));
    // The same objects in another order, on other lines: the same value, so a diff against the
    // applied GNI sees no change.
    let a = "    <dhcpOptionSet name=\"dopt-0000000a\">";
    let b = "    <dhcpOptionSet name=\"dopt-0000000b\">";
    let start = TWO_VPCS.find(a).expect("dopt a");
    let middle = TWO_VPCS.find(b).expect("dopt b");
    let end = TWO_VPCS
        .find("  </dhcpOptionSets>")
        .expect("the end of the sets");
    let swapped = format!(
        "{}{}{}\n\n{}",
        &TWO_VPCS[..start],
        &TWO_VPCS[middle..end],
        &TWO_VPCS[start..middle],
        &TWO_VPCS[end..]
    );
    assert_ne!(swapped, TWO_VPCS);
    assert_eq!(
        parse(&swapped).expect("valid"),
        parse(TWO_VPCS).expect("valid")
    );
}

#[test]
fn differing_lists_changed_values_both_ways_and_added_and_removed_once() {
    let old = std::collections::BTreeMap::from([(1, "a"), (2, "b"), (4, "d"), (6, "f")]);
    let new = std::collections::BTreeMap::from([(0, "z"), (2, "b"), (4, "D"), (5, "e")]);
    let mut got = differing(&old, &new);
    got.sort();
    assert_eq!(got, vec![&"D", &"a", &"d", &"e", &"f", &"z"]);
    assert!(differing(&old, &old).is_empty());
}

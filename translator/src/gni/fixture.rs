//! Writes GNI documents for tests and benchmarks: a whole VPCMIDO cloud from a few counts (VPCs,
//! subnets, instances, security groups and their rules, elastic IPs, nodes), shaped as the CLC
//! broadcasts it. Deterministic: the same `CloudSpec` always gives the same bytes.
//!
//! The layout follows the benchmark scenario (`bench/ovn-peer/scenario.py`) where that is cheap:
//! VPC CIDRs from a pool of four /16s (so VPCs overlap), /24 subnets, instances from host `.4`,
//! elastic IPs from 198.18.0.0/15, an allow-all egress rule then ingress rules of four kinds.
//! Choices the scenario makes at random are made by index here.

use std::net::Ipv4Addr;

/// The counts a cloud is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudSpec {
    pub vpcs: usize,
    pub subnets_per_vpc: usize,
    /// One primary interface each; spread over VPCs, then subnets, round robin.
    pub instances: usize,
    /// Spread over VPCs round robin; each instance joins one group of its VPC, every third a
    /// second one.
    pub security_groups: usize,
    /// The first is an allow-all egress rule, the others ingress rules.
    pub rules_per_group: usize,
    /// Given to the first `elastic_ips` instances.
    pub elastic_ips: usize,
    /// Node controllers the instances run on, round robin.
    pub nodes: usize,
}

impl CloudSpec {
    /// The benchmark's "small" size: 10 VPCs, 2 subnets each, 100 instances, 20 groups of 5
    /// rules, 20 elastic IPs, on 4 nodes.
    pub fn small() -> Self {
        CloudSpec {
            vpcs: 10,
            subnets_per_vpc: 2,
            instances: 100,
            security_groups: 20,
            rules_per_group: 5,
            elastic_ips: 20,
            nodes: 4,
        }
    }

    /// The benchmark's "large" size, issue 4's: 1,000 VPCs, 2 subnets each, 10,000 instances,
    /// 2,000 groups of 5 rules, 2,000 elastic IPs, on 20 nodes.
    pub fn large() -> Self {
        CloudSpec {
            vpcs: 1000,
            subnets_per_vpc: 2,
            instances: 10_000,
            security_groups: 2000,
            rules_per_group: 5,
            elastic_ips: 2000,
            nodes: 20,
        }
    }

    /// This size with the counts a benchmark's command line gives instead (`--vpcs N`,
    /// `--instances N`, `--groups N`, `--eips N`); panics on a value that is not a number.
    pub fn with_args(self, args: &[String]) -> Self {
        let count = |name: &str, default: usize| {
            let at = args.iter().position(|a| a == name);
            at.and_then(|i| args.get(i + 1)).map_or(default, |v| {
                v.parse()
                    .unwrap_or_else(|_| panic!("{name} takes a number, not {v}"))
            })
        };
        CloudSpec {
            vpcs: count("--vpcs", self.vpcs),
            instances: count("--instances", self.instances),
            security_groups: count("--groups", self.security_groups),
            elastic_ips: count("--eips", self.elastic_ips),
            ..self
        }
    }
}

/// Why a `CloudSpec` cannot be laid out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudSpecError {
    #[error(
        "cloud spec: {instances} instances need at least one VPC, one subnet per VPC and one node"
    )]
    NowhereToRun { instances: usize },
    #[error("cloud spec: {groups} security groups need at least one VPC")]
    GroupsWithoutVpc { groups: usize },
    #[error("cloud spec: {subnets} subnets per VPC do not fit as /24s in a /16 (at most 256)")]
    TooManySubnets { subnets: usize },
    #[error("cloud spec: {instances} instances do not fit: at most {capacity} ({HOSTS_PER_SUBNET} per subnet)")]
    TooManyInstances { instances: usize, capacity: usize },
    #[error("cloud spec: {elastic_ips} elastic IPs for {instances} instances")]
    TooManyElasticIps {
        elastic_ips: usize,
        instances: usize,
    },
    #[error("cloud spec: {count} {what} exceed the address plan (at most {limit})")]
    AddressPlan {
        what: &'static str,
        count: usize,
        limit: usize,
    },
}

/// VPC CIDRs, reused in turn so that VPCs overlap, as in real clouds.
const VPC_CIDRS: [[u8; 2]; 4] = [[10, 0], [10, 1], [172, 31], [192, 168]];
/// Instances take `.4` to `.254` of their /24 (AWS reserves `.0`–`.3` and `.255`).
const FIRST_HOST: usize = 4;
const HOSTS_PER_SUBNET: usize = 251;
/// Elastic IPs: 198.18.0.0/15 from .1.0 on, as the scenario.
const ELASTIC_IP_BASE: u32 = u32::from_be_bytes([198, 18, 1, 0]);
const ELASTIC_IP_LIMIT: usize = (1 << 17) - 256;
/// Node controllers: 10.1.0.21 on, inside 10.0.0.0/8.
const NODE_BASE: u32 = u32::from_be_bytes([10, 1, 0, 21]);
const NODE_LIMIT: usize = 1 << 20;
const POPULAR_PORTS: [u16; 8] = [22, 80, 443, 3306, 5432, 6379, 8080, 8443];
const OWNER: &str = "000000000001";

/// The GNI document of the cloud `spec` describes.
pub fn cloud_xml(spec: &CloudSpec) -> Result<String, CloudSpecError> {
    check(spec)?;
    let mut out = String::new();
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<network-data version=\"00000000000000f1\" applied-version=\"0000000000000000\" ",
        "applied-time=\"2026-01-01T00:00:00.000Z\">\n"
    ));
    configuration(&mut out, spec);
    out.push_str("  <vpcs>\n");
    for v in 0..spec.vpcs {
        vpc(&mut out, spec, v);
    }
    out.push_str("  </vpcs>\n  <instances>\n");
    for i in 0..spec.instances {
        instance(&mut out, spec, i);
    }
    out.push_str("  </instances>\n  <dhcpOptionSets>\n");
    for v in 0..spec.vpcs {
        out.push_str(&format!(
            "    <dhcpOptionSet name=\"{}\"><ownerId>{OWNER}</ownerId>\
             <property name=\"domain-name-servers\"><value>AmazonProvidedDNS</value></property>\
             </dhcpOptionSet>\n",
            id("dopt", v)
        ));
    }
    out.push_str("  </dhcpOptionSets>\n  <internetGateways>\n");
    for v in 0..spec.vpcs {
        out.push_str(&format!(
            "    <internetGateway name=\"{}\"><ownerId>{OWNER}</ownerId></internetGateway>\n",
            id("igw", v)
        ));
    }
    out.push_str("  </internetGateways>\n  <securityGroups>\n");
    for g in 0..spec.security_groups {
        security_group(&mut out, spec, g);
    }
    out.push_str("  </securityGroups>\n</network-data>\n");
    Ok(out)
}

fn check(spec: &CloudSpec) -> Result<(), CloudSpecError> {
    if spec.instances > 0 && (spec.vpcs == 0 || spec.subnets_per_vpc == 0 || spec.nodes == 0) {
        return Err(CloudSpecError::NowhereToRun {
            instances: spec.instances,
        });
    }
    if spec.security_groups > 0 && spec.vpcs == 0 {
        return Err(CloudSpecError::GroupsWithoutVpc {
            groups: spec.security_groups,
        });
    }
    if spec.subnets_per_vpc > 256 {
        return Err(CloudSpecError::TooManySubnets {
            subnets: spec.subnets_per_vpc,
        });
    }
    let capacity = spec
        .vpcs
        .saturating_mul(spec.subnets_per_vpc)
        .saturating_mul(HOSTS_PER_SUBNET);
    if spec.instances > capacity {
        return Err(CloudSpecError::TooManyInstances {
            instances: spec.instances,
            capacity,
        });
    }
    if spec.elastic_ips > spec.instances {
        return Err(CloudSpecError::TooManyElasticIps {
            elastic_ips: spec.elastic_ips,
            instances: spec.instances,
        });
    }
    let plan = [
        ("elastic IPs", spec.elastic_ips, ELASTIC_IP_LIMIT),
        ("nodes", spec.nodes, NODE_LIMIT),
    ];
    for (what, count, limit) in plan {
        if count > limit {
            return Err(CloudSpecError::AddressPlan { what, count, limit });
        }
    }
    Ok(())
}

/// `<prefix>-<index in hex>`, at least 8 digits, as eucanetd's short ids.
fn id(prefix: &str, index: usize) -> String {
    format!("{prefix}-{index:08x}")
}

/// `base + offset`; `check` keeps every offset inside the plan.
fn address(base: u32, offset: usize) -> Ipv4Addr {
    Ipv4Addr::from(base.wrapping_add(u32::try_from(offset).unwrap_or(u32::MAX)))
}

fn vpc_cidr(v: usize) -> String {
    let [a, b] = VPC_CIDRS[v % VPC_CIDRS.len()];
    format!("{a}.{b}.0.0/16")
}

/// Address `host` of subnet `s` of VPC `v`, the `s`-th /24 of the VPC's /16 (`check` keeps
/// `s` below 256); host 0 is the subnet's network address.
fn subnet_address(v: usize, s: usize, host: usize) -> Ipv4Addr {
    let [a, b] = VPC_CIDRS[v % VPC_CIDRS.len()];
    let base = u32::from(Ipv4Addr::new(a, b, 0, 0)) + (u32::try_from(s).unwrap_or(0) << 8);
    address(base, host)
}

/// Where instance `i` lives: VPC, subnet, and host number in the subnet.
fn placement(spec: &CloudSpec, i: usize) -> (usize, usize, usize) {
    let v = i % spec.vpcs;
    let round = i / spec.vpcs;
    (
        v,
        round % spec.subnets_per_vpc,
        round / spec.subnets_per_vpc,
    )
}

/// The groups of VPC `v`: `v`, `v + vpcs`, `v + 2 * vpcs`, …
fn groups_of_vpc(spec: &CloudSpec, v: usize) -> Vec<usize> {
    (v..spec.security_groups)
        .step_by(spec.vpcs.max(1))
        .collect()
}

fn configuration(out: &mut String, spec: &CloudSpec) {
    out.push_str(concat!(
        "  <configuration>\n",
        "    <property name=\"mode\"><value>VPCMIDO</value></property>\n",
        "    <property name=\"mido\">\n",
        "      <property name=\"gateways\">\n",
        "        <gateway>\n",
        "          <property name=\"ip\"><value>10.1.0.5</value></property>\n",
        "          <property name=\"externalCidr\"><value>203.0.113.0/24</value></property>\n",
        "          <property name=\"externalDevice\"><value>veth-ext0</value></property>\n",
        "          <property name=\"externalIp\"><value>203.0.113.2</value></property>\n",
        "          <property name=\"externalRouterIp\"><value>203.0.113.1</value></property>\n",
        "        </gateway>\n",
        "      </property>\n",
        "    </property>\n",
        "    <property name=\"enabledCLCIp\"><value>10.1.0.2</value></property>\n",
        "    <property name=\"instanceDNSDomain\"><value>eucalyptus.internal</value></property>\n",
        "    <property name=\"instanceDNSServers\"><value>10.1.0.2</value></property>\n",
        "    <property name=\"clusters\">\n",
        "      <cluster name=\"az1\">\n",
        "        <subnet name=\"172.31.0.0\"><property name=\"subnet\"><value>172.31.0.0</value></property>",
        "<property name=\"netmask\"><value>255.255.0.0</value></property>",
        "<property name=\"gateway\"><value>172.31.0.1</value></property></subnet>\n",
        "        <property name=\"enabledCCIp\"><value>10.1.0.3</value></property>\n",
        "        <property name=\"macPrefix\"><value>d0:0d</value></property>\n",
        "        <property name=\"nodes\">\n",
    ));
    for n in 0..spec.nodes {
        out.push_str(&format!(
            "          <node name=\"{}\"><instanceIds>",
            address(NODE_BASE, n)
        ));
        for i in (n..spec.instances).step_by(spec.nodes) {
            out.push_str(&format!("<value>{}</value>", id("i", i)));
        }
        out.push_str("</instanceIds></node>\n");
    }
    out.push_str("        </property>\n      </cluster>\n    </property>\n  </configuration>\n");
}

/// A VPC with its subnets, one route table (local, default via its igw), one allow-all ACL.
fn vpc(out: &mut String, spec: &CloudSpec, v: usize) {
    let (rtb, acl, igw) = (id("rtb", v), id("acl", v), id("igw", v));
    let cidr = vpc_cidr(v);
    out.push_str(&format!(
        "    <vpc name=\"{}\"><ownerId>{OWNER}</ownerId><cidr>{cidr}</cidr>\
         <dhcpOptionSet>{}</dhcpOptionSet>\n      <subnets>\n",
        id("vpc", v),
        id("dopt", v)
    ));
    for s in 0..spec.subnets_per_vpc {
        out.push_str(&format!(
            "        <subnet name=\"{}\"><ownerId>{OWNER}</ownerId><cidr>{}/24</cidr><cluster>az1</cluster>\
             <networkAcl>{acl}</networkAcl><routeTable>{rtb}</routeTable></subnet>\n",
            id("subnet", v * spec.subnets_per_vpc + s),
            subnet_address(v, s, 0)
        ));
    }
    let allow_all = "<protocol>-1</protocol><action>allow</action><cidr>0.0.0.0/0</cidr>";
    out.push_str(&format!(
        "      </subnets>\n      <networkAcls><networkAcl name=\"{acl}\"><ownerId>{OWNER}</ownerId>\
         <ingressEntries><entry number=\"100\">{allow_all}</entry></ingressEntries>\
         <egressEntries><entry number=\"100\">{allow_all}</entry></egressEntries>\
         </networkAcl></networkAcls>\n"
    ));
    out.push_str(&format!(
        "      <routeTables><routeTable name=\"{rtb}\"><ownerId>{OWNER}</ownerId><routes>\
         <route><destinationCidr>{cidr}</destinationCidr><gatewayId>local</gatewayId></route>\
         <route><destinationCidr>0.0.0.0/0</destinationCidr><gatewayId>{igw}</gatewayId></route>\
         </routes></routeTable></routeTables>\n      <natGateways/>\n\
         <internetGateways><value>{igw}</value></internetGateways>\n    </vpc>\n"
    ));
}

/// An instance with one primary interface; the instance-level fields repeat the interface's.
fn instance(out: &mut String, spec: &CloudSpec, i: usize) {
    let (v, s, host) = placement(spec, i);
    let (vpc, subnet) = (id("vpc", v), id("subnet", v * spec.subnets_per_vpc + s));
    let private_ip = subnet_address(v, s, FIRST_HOST + host);
    let [b1, b2, b3, b4] = u32::try_from(i + 1).unwrap_or(u32::MAX).to_be_bytes();
    let mac = format!("d0:0d:{b1:02x}:{b2:02x}:{b3:02x}:{b4:02x}");
    let public_ip = if i < spec.elastic_ips {
        format!("<publicIp>{}</publicIp>", address(ELASTIC_IP_BASE, i))
    } else {
        String::new()
    };
    let groups: String = instance_groups(spec, v, i)
        .into_iter()
        .map(|g| format!("<value>{}</value>", id("sg", g)))
        .collect();
    let common = format!(
        "<macAddress>{mac}</macAddress>{public_ip}<privateIp>{private_ip}</privateIp>\
         <vpc>{vpc}</vpc><subnet>{subnet}</subnet>"
    );
    out.push_str(&format!(
        "    <instance name=\"{}\"><ownerId>{OWNER}</ownerId>{common}\n      <networkInterfaces>\
         <networkInterface name=\"{}\"><ownerId>{OWNER}</ownerId><deviceIndex>0</deviceIndex>\
         <attachmentId>{}</attachmentId>{common}<sourceDestCheck>true</sourceDestCheck>\
         <securityGroups>{groups}</securityGroups></networkInterface></networkInterfaces>\n      \
         <securityGroups>{groups}</securityGroups>\n    </instance>\n",
        id("i", i),
        id("eni", i),
        id("eni-attach", i),
    ));
}

/// One group of the instance's VPC, and a second for every third instance (from the second).
fn instance_groups(spec: &CloudSpec, v: usize, i: usize) -> Vec<usize> {
    let groups = groups_of_vpc(spec, v);
    if groups.is_empty() {
        return Vec::new();
    }
    let k = (i / spec.vpcs) % groups.len();
    let mut chosen = vec![groups[k]];
    if i % 3 == 1 && groups.len() > 1 {
        chosen.push(groups[(k + 1) % groups.len()]);
    }
    chosen
}

/// Egress allow-all, then ingress: a popular port from anywhere, everything from a sibling group
/// (or itself), ICMP echo from the VPC, a port range from an outside /24.
fn security_group(out: &mut String, spec: &CloudSpec, g: usize) {
    let v = g % spec.vpcs;
    let siblings = groups_of_vpc(spec, v);
    let position = siblings.iter().position(|&s| s == g).unwrap_or(0);
    let sibling = siblings
        .get((position + 1) % siblings.len().max(1))
        .copied()
        .unwrap_or(g);
    let mut ingress = String::new();
    for k in 1..spec.rules_per_group {
        let proto = if (k - 1) / 4 % 2 == 0 { 6 } else { 17 };
        let rule = match (k - 1) % 4 {
            0 => {
                let port = POPULAR_PORTS[(g + k) % POPULAR_PORTS.len()];
                format!("<protocol>{proto}</protocol><fromPort>{port}</fromPort><toPort>{port}</toPort><cidr>0.0.0.0/0</cidr>")
            }
            1 => format!(
                "<protocol>-1</protocol><groupId>{}</groupId><groupOwnerId>{OWNER}</groupOwnerId>",
                id("sg", sibling)
            ),
            2 => format!(
                "<protocol>1</protocol><icmpType>8</icmpType><icmpCode>-1</icmpCode><cidr>{}</cidr>",
                vpc_cidr(v)
            ),
            _ => {
                let from = 1024 + (g * 97 + k * 13) % 58_000;
                format!(
                    "<protocol>{proto}</protocol><fromPort>{from}</fromPort><toPort>{}</toPort>\
                     <cidr>198.51.{}.0/24</cidr>",
                    from + 1 + (g + k) % 999,
                    (g + k) % 100
                )
            }
        };
        ingress.push_str(&format!("<rule>{rule}</rule>"));
    }
    let egress = if spec.rules_per_group > 0 {
        "<rule><protocol>-1</protocol><cidr>0.0.0.0/0</cidr></rule>"
    } else {
        ""
    };
    out.push_str(&format!(
        "    <securityGroup name=\"{}\"><ownerId>{OWNER}</ownerId>\n      \
         <ingressRules>{ingress}</ingressRules>\n      <egressRules>{egress}</egressRules>\n    \
         </securityGroup>\n",
        id("sg", g)
    ));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gni::{parse, DnsServer, Protocol, RulePeer};

    #[test]
    fn a_small_cloud_parses_into_exactly_what_was_asked_for() {
        let spec = CloudSpec::small();
        let gni = parse(&cloud_xml(&spec).expect("a valid spec")).expect("the fixture parses");
        assert_eq!(gni.vpcs.len(), spec.vpcs);
        assert!(gni
            .vpcs
            .values()
            .all(|v| v.subnets.len() == spec.subnets_per_vpc));
        assert_eq!(gni.instances.len(), spec.instances);
        assert_eq!(gni.security_groups.len(), spec.security_groups);
        assert!(gni
            .security_groups
            .values()
            .all(|g| g.ingress.len() + g.egress.len() == spec.rules_per_group));
        let elastic = gni
            .interfaces()
            .filter(|(_, i)| i.public_ip.is_some())
            .count();
        assert_eq!(elastic, spec.elastic_ips);
        let nodes: std::collections::BTreeSet<_> = gni.instances.values().map(|i| i.node).collect();
        assert_eq!(nodes.len(), spec.nodes);
        assert_eq!(gni.config.gateways.len(), 1);
        assert_eq!(gni.dhcp_option_sets.len(), spec.vpcs);
        assert!(gni
            .dhcp_option_sets
            .values()
            .all(|d| d.domain_name_servers == [DnsServer::AmazonProvided]));
    }

    #[test]
    fn rules_cover_every_kind_the_benchmark_uses() {
        let spec = CloudSpec {
            rules_per_group: 9,
            ..CloudSpec::small()
        };
        let gni = parse(&cloud_xml(&spec).expect("a valid spec")).expect("the fixture parses");
        let rules: Vec<_> = gni
            .security_groups
            .values()
            .flat_map(|g| &g.ingress)
            .collect();
        assert!(rules.iter().any(|r| matches!(r.protocol, Protocol::Tcp(_))));
        assert!(rules.iter().any(|r| matches!(r.protocol, Protocol::Udp(_))));
        assert!(rules.iter().any(|r| matches!(
            r.protocol,
            Protocol::Icmp {
                icmp_type: Some(8),
                code: None
            }
        )));
        assert!(rules
            .iter()
            .any(|r| matches!(r.peer, RulePeer::Group { .. })));
    }

    #[test]
    fn subnets_fill_up_and_every_address_is_unique() {
        // One VPC, one subnet, full: hosts .4 to .254; `parse` refuses repeated addresses.
        let spec = CloudSpec {
            vpcs: 1,
            subnets_per_vpc: 1,
            instances: HOSTS_PER_SUBNET,
            security_groups: 3,
            rules_per_group: 2,
            elastic_ips: HOSTS_PER_SUBNET,
            nodes: 7,
        };
        let gni = parse(&cloud_xml(&spec).expect("a valid spec")).expect("the fixture parses");
        let last = gni.instances.values().map(|i| i.private_ip).max();
        assert_eq!(last, Some(Ipv4Addr::new(10, 0, 0, 254)));
        let one_more = CloudSpec {
            instances: HOSTS_PER_SUBNET + 1,
            ..spec
        };
        assert!(matches!(
            cloud_xml(&one_more),
            Err(CloudSpecError::TooManyInstances { .. })
        ));
    }

    #[test]
    fn an_empty_cloud_is_a_valid_gni() {
        let spec = CloudSpec {
            vpcs: 0,
            subnets_per_vpc: 0,
            instances: 0,
            security_groups: 0,
            rules_per_group: 0,
            elastic_ips: 0,
            nodes: 0,
        };
        let gni = parse(&cloud_xml(&spec).expect("a valid spec")).expect("the fixture parses");
        assert!(gni.vpcs.is_empty() && gni.instances.is_empty());
    }

    #[test]
    fn impossible_specs_are_refused_with_the_reason() {
        let no_node = CloudSpec {
            nodes: 0,
            ..CloudSpec::small()
        };
        assert_eq!(
            cloud_xml(&no_node),
            Err(CloudSpecError::NowhereToRun { instances: 100 })
        );
        let too_many_eips = CloudSpec {
            elastic_ips: 101,
            ..CloudSpec::small()
        };
        assert!(matches!(
            cloud_xml(&too_many_eips),
            Err(CloudSpecError::TooManyElasticIps { .. })
        ));
        let subnets = CloudSpec {
            subnets_per_vpc: 257,
            ..CloudSpec::small()
        };
        assert!(matches!(
            cloud_xml(&subnets),
            Err(CloudSpecError::TooManySubnets { .. })
        ));
    }

    #[test]
    fn the_same_spec_gives_the_same_bytes() {
        let spec = CloudSpec::small();
        assert_eq!(cloud_xml(&spec), cloud_xml(&spec));
    }
}

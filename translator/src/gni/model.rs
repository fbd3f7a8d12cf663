//! The typed view of a GNI that the translator's stages read: every value parsed (CIDRs,
//! addresses, MACs, ports, ids), every map keyed by id in a `BTreeMap` so iteration order, and so
//! everything derived from it, is deterministic. A `Gni` from `gni::parse` has been checked: its
//! references resolve, and each instance has a primary interface named after it.
//!
//! Line numbers are deliberately absent: two parses of the same objects compare equal even when
//! the document around them moved, which is what diffing a new GNI against the applied one needs.
//!
//! VPCs, instances and security groups are held as `Shared` values: a `GniParser` re-reading a
//! document hands out the same allocation for every element whose text did not change, so the new
//! `Gni` costs no copies of them, and `Shared::ptr_eq` tells a diff which ones cannot differ.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::Ipv4Addr;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use ipnetwork::Ipv4Network;

use super::id::{
    DhcpOptionSetId, EniId, InstanceId, InterfaceName, InternetGatewayId, NatGatewayId,
    NetworkAclId, RouteTableId, SecurityGroupId, SubnetId, VpcId,
};

/// One global network view (`network-data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gni {
    /// Fingerprint of the CLC's source data; written back after a successful apply.
    pub version: String,
    /// The version the CLC last saw applied (`applied-version`).
    pub applied_version: Option<String>,
    pub applied_time: Option<String>,
    pub config: Config,
    // Option sets and internet gateways are small, and cheap to copy: plain values.
    pub vpcs: BTreeMap<VpcId, Shared<Vpc>>,
    pub instances: BTreeMap<InstanceId, Shared<Instance>>,
    pub dhcp_option_sets: BTreeMap<DhcpOptionSetId, DhcpOptionSet>,
    pub internet_gateways: BTreeMap<InternetGatewayId, InternetGateway>,
    pub security_groups: BTreeMap<SecurityGroupId, Shared<SecurityGroup>>,
}

impl Gni {
    /// Every interface with the instance it belongs to, by instance then interface name.
    pub fn interfaces(&self) -> impl Iterator<Item = (&Instance, &Interface)> + '_ {
        self.instances.values().flat_map(|instance| {
            let instance: &Instance = instance;
            instance.interfaces.values().map(move |i| (instance, i))
        })
    }

    /// The interface with ENI id `eni` (a route target names ENIs by ENI id, primary or not).
    /// Walks all interfaces: build an index when resolving many.
    pub fn interface_by_eni(&self, eni: &str) -> Option<(&Instance, &Interface)> {
        self.interfaces()
            .find(|(_, interface)| interface.eni_id.as_str() == eni)
    }
}

/// A value that GNIs parsed one after another share while it is unchanged (see the module
/// docs). Reads go through `Deref`; `DerefMut` copies the value first if another GNI shares it,
/// so changing one GNI never changes another. `Debug` shows the value alone.
#[derive(Clone, Eq)]
pub struct Shared<T>(Arc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Arc::new(value))
    }

    /// Whether `a` and `b` are one allocation, so surely equal: the same element of an
    /// unchanged text, as `GniParser` hands it out again.
    pub fn ptr_eq(a: &Self, b: &Self) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl<T> From<T> for Shared<T> {
    fn from(value: T) -> Self {
        Shared::new(value)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T> AsRef<T> for Shared<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl<T: PartialEq> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Shared::ptr_eq(self, other) || *self.0 == *other.0
    }
}

impl<T: fmt::Debug> fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `configuration`: the cloud-wide settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `VPCMIDO` for this translator; other modes are reported as they are, for the caller to
    /// refuse.
    pub mode: String,
    /// `enabledCLCIp`.
    pub clc_ip: Ipv4Addr,
    /// `instanceDNSDomain`, pushed to instances as DHCP `domain_search`.
    pub dns_domain: Option<String>,
    /// `instanceDNSServers`, every subnet's DHCP DNS servers.
    pub dns_servers: Vec<Ipv4Addr>,
    /// `publicIps`, the public pool. eucanetd's VPCMIDO driver does not use it.
    pub public_ips: Vec<Ipv4Addr>,
    /// `mido` `bgpAsn`: the AS number of `eucart` when gateways peer with BGP.
    pub bgp_asn: Option<u32>,
    /// `mido` `gateways`, in document order; the legacy single-gateway properties become one.
    pub gateways: Vec<Gateway>,
    /// `clusters`, by name (the availability zone).
    pub clusters: BTreeMap<String, Cluster>,
}

impl Config {
    /// Equal but for which instances each node runs: that placement reaches the topology
    /// through each instance's `node`, so a translator need not redo everything when it moves.
    pub fn same_but_placement(&self, other: &Config) -> bool {
        let Config {
            mode,
            clc_ip,
            dns_domain,
            dns_servers,
            public_ips,
            bgp_asn,
            gateways,
            clusters: _,
        } = self;
        *mode == other.mode
            && *clc_ip == other.clc_ip
            && *dns_domain == other.dns_domain
            && *dns_servers == other.dns_servers
            && *public_ips == other.public_ips
            && *bgp_asn == other.bgp_asn
            && *gateways == other.gateways
            && self.clusters.keys().eq(other.clusters.keys())
    }
}

/// One MidoNet gateway: a port of `eucart` bound to a device on a gateway host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// `ip`: the gateway host, as MidoNet knows it by address.
    pub host_ip: Ipv4Addr,
    /// `externalCidr`: the network between the gateway port and the upstream router.
    pub external_cidr: Ipv4Network,
    /// `externalDevice`: the host interface the port is bound to.
    pub external_device: String,
    /// `externalIp`: the gateway port's address, inside `external_cidr`.
    pub external_ip: Ipv4Addr,
    pub uplink: Uplink,
}

/// How a gateway reaches the outside: the default route's next hop, static or BGP-learned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uplink {
    /// `externalRouterIp`.
    Static { router_ip: Ipv4Addr },
    /// `bgpPeerIp`, `bgpPeerAsn`, and `bgpAdRoutes` (the networks announced to the peer).
    Bgp {
        peer_ip: Ipv4Addr,
        peer_asn: u32,
        ad_routes: Vec<Ipv4Network>,
    },
}

impl Uplink {
    /// The next hop of `eucart`'s default route through this gateway.
    pub fn peer_ip(&self) -> Ipv4Addr {
        match self {
            Uplink::Static { router_ip } => *router_ip,
            Uplink::Bgp { peer_ip, .. } => *peer_ip,
        }
    }
}

/// `cluster`: an availability zone and its nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    pub name: String,
    /// `subnet`: a dummy network in VPCMIDO (172.31.0.0/16, gateway .1).
    pub subnet: Option<ClusterSubnet>,
    /// `enabledCCIp`.
    pub cc_ip: Option<Ipv4Addr>,
    /// `macPrefix`, e.g. `d0:0d`.
    pub mac_prefix: Option<String>,
    /// `privateIps`.
    pub private_ips: Vec<Ipv4Addr>,
    /// `nodes`: each node controller's address and the instances it runs, in document order.
    /// This is the only instance-to-host mapping in a GNI; `Instance::node` is its inverse.
    pub nodes: BTreeMap<Ipv4Addr, Vec<InstanceId>>,
}

/// A cluster's `subnet` (`subnet`, `netmask`, `gateway` properties).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSubnet {
    pub network: Ipv4Network,
    pub gateway: Ipv4Addr,
}

/// `vpc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vpc {
    pub id: VpcId,
    pub owner_id: Option<String>,
    /// A network address (no host bits set).
    pub cidr: Ipv4Network,
    pub dhcp_option_set: Option<DhcpOptionSetId>,
    pub subnets: BTreeMap<SubnetId, Subnet>,
    pub route_tables: BTreeMap<RouteTableId, RouteTable>,
    pub network_acls: BTreeMap<NetworkAclId, NetworkAcl>,
    pub nat_gateways: BTreeMap<NatGatewayId, NatGateway>,
    /// Ids of the internet gateways attached to this VPC.
    pub internet_gateways: BTreeSet<InternetGatewayId>,
}

/// `subnet` of a VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub id: SubnetId,
    pub owner_id: Option<String>,
    /// A network address inside the VPC's CIDR, overlapping no other subnet of the VPC.
    pub cidr: Ipv4Network,
    /// `cluster`: the availability zone.
    pub cluster: Option<String>,
    pub network_acl: Option<NetworkAclId>,
    /// The associated route table (the CLC resolves the main table when none is explicit).
    pub route_table: RouteTableId,
}

/// `routeTable`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteTable {
    pub id: RouteTableId,
    pub owner_id: Option<String>,
    /// In document order; destinations are unique.
    pub routes: Vec<Route>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// `destinationCidr`.
    pub destination: Ipv4Network,
    pub target: RouteTarget,
}

/// Where a route sends traffic: one of `gatewayId`, `natGatewayId`, `networkInterfaceId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteTarget {
    /// `gatewayId` `local`: the VPC itself, already routed by the subnets.
    Local,
    /// `gatewayId` `igw-…`, attached to the route table's VPC.
    InternetGateway(InternetGatewayId),
    /// `natGatewayId`, a NAT gateway of the same VPC.
    NatGateway(NatGatewayId),
    /// `networkInterfaceId`, an ENI of the same VPC (a NAT instance or appliance).
    NetworkInterface(EniId),
    /// Any other `gatewayId` (`vgw-…`, `pcx-…`): kept so the translator can warn, as eucanetd does.
    Unsupported(String),
}

/// `networkAcl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkAcl {
    pub id: NetworkAclId,
    pub owner_id: Option<String>,
    /// In document order (the CLC sorts them; eucanetd does not re-sort); numbers are unique.
    pub ingress: Vec<AclEntry>,
    pub egress: Vec<AclEntry>,
}

/// `entry` of a network ACL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclEntry {
    /// `number`, 1 to 32767.
    pub number: u16,
    pub action: AclAction,
    pub protocol: Protocol,
    pub cidr: Ipv4Network,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclAction {
    Allow,
    Deny,
}

/// What traffic a security-group rule or ACL entry matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// Protocol `-1`: everything.
    All,
    /// Protocol 6 with its port range.
    Tcp(PortRange),
    /// Protocol 17 with its port range.
    Udp(PortRange),
    /// Protocol 1 with its type and code; `None` (`-1` or absent) matches any.
    Icmp {
        icmp_type: Option<u8>,
        code: Option<u8>,
    },
    /// Any other IP protocol number; ports do not apply.
    Other(u8),
}

/// An inclusive port range, `from <= to`. Zero is kept as given: the translator decides (6.0 maps
/// 0..0 to 1..1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortRange {
    pub from: u16,
    pub to: u16,
}

/// `instance`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: InstanceId,
    pub owner_id: Option<String>,
    /// The node controller running it, from `configuration` `clusters`.
    pub node: Ipv4Addr,
    /// The instance-level copies of the primary interface's addresses, as the CLC sends them.
    pub mac: MacAddr,
    pub private_ip: Ipv4Addr,
    pub public_ip: Option<Ipv4Addr>,
    pub vpc: VpcId,
    pub subnet: SubnetId,
    pub security_groups: Vec<SecurityGroupId>,
    /// By interface name: the primary (device index 0) under the instance id, the others under
    /// their ENI id.
    pub interfaces: BTreeMap<InterfaceName, Interface>,
}

impl Instance {
    /// The primary interface (device index 0), named after the instance.
    pub fn primary(&self) -> Option<&Interface> {
        self.interfaces.get(self.id.as_str())
    }
}

/// `networkInterface`: an attached ENI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interface {
    /// The instance id for the primary interface, the ENI id for the others.
    pub name: InterfaceName,
    pub eni_id: EniId,
    pub owner_id: Option<String>,
    pub device_index: u32,
    pub attachment_id: Option<String>,
    pub mac: MacAddr,
    /// Inside the interface's subnet.
    pub private_ip: Ipv4Addr,
    /// The elastic or public IP, if any.
    pub public_ip: Option<Ipv4Addr>,
    /// `sourceDestCheck`; true when absent, AWS's default. False turns off the IP anti-spoofing
    /// rules (NAT instances).
    pub source_dest_check: bool,
    /// Always the instance's VPC.
    pub vpc: VpcId,
    pub subnet: SubnetId,
    pub security_groups: Vec<SecurityGroupId>,
}

/// `natGateway` of a VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatGateway {
    pub id: NatGatewayId,
    pub owner_id: Option<String>,
    /// The MAC of the NAT router's subnet-side port.
    pub mac: MacAddr,
    pub public_ip: Ipv4Addr,
    /// Inside `subnet`.
    pub private_ip: Ipv4Addr,
    pub vpc: VpcId,
    pub subnet: SubnetId,
}

/// `dhcpOptionSet`. Parsed for completeness: eucanetd never applies option sets (subnets get
/// `instanceDNSServers` and `instanceDNSDomain`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpOptionSet {
    pub id: DhcpOptionSetId,
    pub owner_id: Option<String>,
    pub domain_name: Vec<String>,
    pub domain_name_servers: Vec<DnsServer>,
    pub ntp_servers: Vec<Ipv4Addr>,
    pub netbios_name_servers: Vec<Ipv4Addr>,
    /// 1, 2, 4 or 8.
    pub netbios_node_type: Option<u8>,
}

/// A `domain-name-servers` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsServer {
    /// `AmazonProvidedDNS`: the cloud's own resolvers (`instanceDNSServers`).
    AmazonProvided,
    Address(Ipv4Addr),
}

/// `internetGateway`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternetGateway {
    pub id: InternetGatewayId,
    pub owner_id: Option<String>,
}

/// `securityGroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroup {
    pub id: SecurityGroupId,
    pub owner_id: Option<String>,
    /// In document order.
    pub ingress: Vec<SecurityGroupRule>,
    pub egress: Vec<SecurityGroupRule>,
}

/// An allow rule: traffic of `protocol` from (ingress) or to (egress) `peer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupRule {
    pub protocol: Protocol,
    pub peer: RulePeer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RulePeer {
    /// `cidr`.
    Cidr(Ipv4Network),
    /// `groupId` (+ `groupOwnerId`): the members of another group of the GNI, or this one.
    Group {
        id: SecurityGroupId,
        owner_id: Option<String>,
    },
}

/// An Ethernet address, written `d0:0d:4a:1b:2c:3d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// Six colon-separated pairs of hex digits, either case.
    pub fn parse(s: &str) -> Option<Self> {
        let mut bytes = [0u8; 6];
        let mut parts = s.split(':');
        for byte in &mut bytes {
            let part = parts.next()?;
            // from_str_radix alone would accept a sign ("+3").
            if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            *byte = u8::from_str_radix(part, 16).ok()?;
        }
        parts.next().is_none().then_some(Self(bytes))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// The VPCs and instances that differ between two GNIs (see `differing`): what a cycle's
/// allocation and choice of parts to redo both start from, found once.
pub struct Changes<'a> {
    pub vpcs: Vec<&'a Shared<Vpc>>,
    pub instances: Vec<&'a Shared<Instance>>,
}

impl<'a> Changes<'a> {
    pub fn between(old: &'a Gni, new: &'a Gni) -> Self {
        Changes {
            vpcs: differing(&old.vpcs, &new.vpcs),
            instances: differing(&old.instances, &new.instances),
        }
    }
}

/// The values of `old` and `new` that differ, both sides: changed ones twice (as they were and
/// are), added and removed ones once.
pub fn differing<'a, K: Ord, V: PartialEq>(
    old: &'a BTreeMap<K, V>,
    new: &'a BTreeMap<K, V>,
) -> Vec<&'a V> {
    let mut out = Vec::new();
    walk_differing(old, new, |was, now| {
        out.extend(was.into_iter().chain(now).map(|(_, v)| v))
    });
    out
}

/// The keys whose values differ between `old` and `new`, or that only one of them has.
pub fn differing_keys<'a, K: Ord, V: PartialEq>(
    old: &'a BTreeMap<K, V>,
    new: &'a BTreeMap<K, V>,
) -> Vec<&'a K> {
    let mut out = Vec::new();
    walk_differing(old, new, |was, now| out.extend(now.or(was).map(|(k, _)| k)));
    out
}

/// Calls `found` with each differing entry as it was and is: one walk over both maps in key
/// order, as they are sorted.
fn walk_differing<'a, K: Ord, V: PartialEq>(
    old: &'a BTreeMap<K, V>,
    new: &'a BTreeMap<K, V>,
    mut found: impl FnMut(Option<(&'a K, &'a V)>, Option<(&'a K, &'a V)>),
) {
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    loop {
        match (a.peek().copied(), b.peek().copied()) {
            (None, None) => return,
            (Some(was), Some(now)) if was.0 == now.0 => {
                if was.1 != now.1 {
                    found(Some(was), Some(now));
                }
                a.next();
                b.next();
            }
            (Some(was), Some(now)) if was.0 < now.0 => {
                found(Some(was), None);
                a.next();
            }
            (Some(was), None) => {
                found(Some(was), None);
                a.next();
            }
            (_, now) => {
                found(None, now);
                b.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_addresses_parse_in_either_case_and_print_in_lower_case() {
        let mac = MacAddr::parse("D0:0d:4A:1b:2c:3d").expect("a valid MAC");
        assert_eq!(mac.0, [0xd0, 0x0d, 0x4a, 0x1b, 0x2c, 0x3d]);
        assert_eq!(mac.to_string(), "d0:0d:4a:1b:2c:3d");
        for bad in [
            "d0:0d:4a:1b:2c",
            "d0:0d:4a:1b:2c:3d:00",
            "d0-0d-4a-1b-2c-3d",
            "d0:0d:4a:1b:2c:3",
            "d0:0d:4a:1b:2c:+3",
        ] {
            assert_eq!(MacAddr::parse(bad), None, "{bad}");
        }
    }
}

//! Computes the MidoNet topology a GNI should become (`reference/eucanetd.md` §2): a pure
//! function, `translate`, run as an ordered table of named stages like OVN northd's pipeline.
//!
//! Contract of `translate`: given a checked `Gni` and the `Environment` (what the GNI does not
//! say: MidoNet hosts, earlier id allocations, eucanetd's constants, tenant, version), it returns
//! every object the translator owns, keyed by deterministic id (`names`), each with its `Origin`
//! (stage, GNI owner, key), plus the allocations to persist and diagnostics for things that are
//! not errors (an ENI whose node has no MidoNet host yet). It does no I/O and depends on no
//! hash order: the same inputs give equal outputs. On error nothing is returned, so a bad GNI
//! never half-applies.
//!
//! Not produced here: MidoNet's own `Local` routes (the server adds one per router port) and the
//! MidoNet-native metadata objects (`eucamdrt`, `vc_*_mdul*`, §3.2): the `metadata` stage builds
//! the namespace design of §3.1 instead, whose host side is `crate::metadata`'s.

mod allocation;
mod core;
mod dhcp;
pub mod dump;
mod elastic_ip;
mod interface;
mod metadata;
pub mod names;
mod nat_gateway;
mod network_acl;
mod route_table;
mod security_group;
mod subnet_bridge;
mod vpc_router;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use ipnetwork::Ipv4Network;
use topology::{
    BgpNetwork, BgpPeer, Bridge, Chain, DhcpHost, DhcpSubnet, Ip4Mac, IpAddrGroup, MacPort, Port,
    PortGroup, Route, Router, Rule,
};
use uuid::Uuid;

use crate::gni::{
    Changes, Gni, Instance, Interface, SecurityGroup, SecurityGroupId, Subnet, Vpc, VpcId,
};

pub use allocation::{from_names as allocation_from_names, Allocations};
pub use metadata::{proxy_address, METADATA_PROXY_PORT};

/// The tenant eucanetd creates everything under (`VPCMIDO_TENANT`).
pub const DEFAULT_TENANT: &str = "euca_tenant_1";

/// What the translation needs besides the GNI.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    /// The tenant of routers, bridges, chains and port groups.
    pub tenant: String,
    /// The artifacts' version, a dotted quad such as `5.0.0.0`, stored in `euca_version`.
    pub version: String,
    /// MidoNet hosts, to bind ports to the host that has a node's (or gateway's) address.
    pub hosts: Vec<RegisteredHost>,
    /// The allocations in force (recovered from the store); kept where still valid.
    pub allocations: Allocations,
    pub constants: Constants,
    /// VPC peering connections by id (`pcx-…`): the GNI carries none, so route-table targets
    /// `pcx-…` resolve through this map; an unknown one is a diagnostic.
    pub peerings: BTreeMap<String, VpcPeering>,
}

impl Environment {
    /// An environment with eucanetd's defaults, no hosts, no allocations and no peerings.
    pub fn new(version: &str) -> Self {
        Environment {
            tenant: DEFAULT_TENANT.to_owned(),
            version: version.to_owned(),
            hosts: Vec::new(),
            allocations: Allocations::default(),
            constants: Constants::default(),
            peerings: BTreeMap::new(),
        }
    }

    /// This environment with `allocations` in place of its own, which are not copied (at
    /// 10,000 interfaces a copy costs a millisecond of every cycle).
    pub fn with_allocations(&self, allocations: Allocations) -> Self {
        Environment {
            tenant: self.tenant.clone(),
            version: self.version.clone(),
            hosts: self.hosts.clone(),
            allocations,
            constants: self.constants.clone(),
            peerings: self.peerings.clone(),
        }
    }

    /// The version as the address stored in `euca_version`; refused unless a dotted quad.
    pub fn version_address(&self) -> Result<Ipv4Addr, TranslateError> {
        self.version.parse().map_err(|_| TranslateError::Version {
            version: self.version.clone(),
        })
    }

    /// The host that has `address` among its addresses; the lowest id if several do.
    fn host_with(&self, address: Ipv4Addr) -> Option<&RegisteredHost> {
        self.hosts
            .iter()
            .filter(|h| h.addresses.contains(&IpAddr::V4(address)))
            .min_by_key(|h| h.id)
    }
}

/// A MidoNet host as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredHost {
    pub id: Uuid,
    pub name: String,
    pub addresses: Vec<IpAddr>,
}

/// An accepted VPC peering connection: its two VPCs, either of which may route to the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcPeering {
    pub requester: VpcId,
    pub accepter: VpcId,
}

/// eucanetd's configuration constants (`reference/eucanetd.md` §1 "Other inputs").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constants {
    /// `MIDO_INTRT_CIDR`: the transit network on `eucabr`.
    pub intrt_cidr: Ipv4Network,
    /// `MIDO_INTMD_CIDR`: the metadata transit network.
    pub intmd_cidr: Ipv4Network,
    /// `MIDO_EXTMD_CIDR`: the metadata service network, accepted by interface chains.
    pub extmd_cidr: Ipv4Network,
    /// `MIDO_MD_CIDR`: one address per ENI (`eniid`).
    pub md_cidr: Ipv4Network,
    /// `MIDO_MAX_RTID`.
    pub max_rtid: u32,
    /// `MIDO_MAX_ENIID`.
    pub max_eniid: u32,
    /// `DISABLE_L2_ISOLATION`: leaves out the interface anti-spoofing rules.
    pub disable_l2_isolation: bool,
    /// `MIDO_ENABLE_ARPTABLE`: seeds bridge ARP and MAC tables.
    pub enable_arptable: bool,
    /// `MIDO_ENABLE_MIDOMD=N`: instance metadata through per-VPC namespaces on the CLC host
    /// (§3.1), the `metadata` stage. False leaves its objects out, for a translator run without
    /// the metadata plane.
    pub legacy_metadata: bool,
}

impl Default for Constants {
    fn default() -> Self {
        let net = |a, b, c, d, len| network(Ipv4Addr::new(a, b, c, d), len);
        Constants {
            intrt_cidr: net(169, 254, 0, 0, 17),
            intmd_cidr: net(169, 254, 128, 0, 17),
            extmd_cidr: net(169, 254, 169, 248, 29),
            md_cidr: net(255, 0, 0, 0, 8),
            max_rtid: 10240,
            max_eniid: 1_048_576,
            disable_l2_isolation: false,
            enable_arptable: true,
            legacy_metadata: true,
        }
    }
}

impl Constants {
    /// `base + offset` inside `cidr`, if it fits.
    fn nth(cidr: Ipv4Network, offset: u32) -> Option<Ipv4Addr> {
        (offset < cidr.size()).then(|| Ipv4Addr::from(u32::from(cidr.network()) + offset))
    }

    /// The transit address of router id `rtid` (`eucart` is rtid 1).
    fn transit_address(&self, rtid: u32) -> Result<Ipv4Addr, TranslateError> {
        Self::nth(self.intrt_cidr, rtid).ok_or_else(|| TranslateError::Constants {
            reason: format!(
                "router id {rtid} has no address in MIDO_INTRT_CIDR {}",
                self.intrt_cidr
            ),
        })
    }
}

/// The pipeline's stages, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Core,
    VpcRouter,
    SubnetBridge,
    Dhcp,
    Interface,
    SecurityGroup,
    ElasticIp,
    RouteTable,
    NatGateway,
    NetworkAcl,
    Metadata,
}

impl Stage {
    pub const ALL: [Stage; 11] = [
        Stage::Core,
        Stage::VpcRouter,
        Stage::SubnetBridge,
        Stage::Dhcp,
        Stage::Interface,
        Stage::SecurityGroup,
        Stage::ElasticIp,
        Stage::RouteTable,
        Stage::NatGateway,
        Stage::NetworkAcl,
        Stage::Metadata,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Core => "core",
            Stage::VpcRouter => "vpc_router",
            Stage::SubnetBridge => "subnet_bridge",
            Stage::Dhcp => "dhcp",
            Stage::Interface => "interface",
            Stage::SecurityGroup => "security_group",
            Stage::ElasticIp => "elastic_ip",
            Stage::RouteTable => "route_table",
            Stage::NatGateway => "nat_gateway",
            Stage::NetworkAcl => "network_acl",
            Stage::Metadata => "metadata",
        }
    }

    fn run(self, b: &mut Build) -> Result<(), TranslateError> {
        match self {
            Stage::Core => core::build(b),
            Stage::VpcRouter => vpc_router::build(b),
            Stage::SubnetBridge => subnet_bridge::build(b),
            Stage::Dhcp => dhcp::build(b),
            Stage::Interface => interface::build(b),
            Stage::SecurityGroup => security_group::build(b),
            Stage::ElasticIp => elastic_ip::build(b),
            Stage::RouteTable => route_table::build(b),
            Stage::NatGateway => nat_gateway::build(b),
            Stage::NetworkAcl => network_acl::build(b),
            Stage::Metadata => metadata::build(b),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an object exists: the stage that made it, the GNI object it serves (`vpc-…`, `i-…`, or
/// `configuration` for the core), and the key its id derives from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub stage: Stage,
    pub gni_id: String,
    pub key: String,
}

/// Something the translation could not do for one GNI object, without failing the whole view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub stage: Stage,
    pub gni_id: String,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.stage, self.gni_id, self.message)
    }
}

/// A port with its link and binding, which MidoNet sets through their own endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredPort {
    /// `peerId`, `hostId` and `interfaceName` are left empty here: `peer` and `binding` say them.
    pub port: Port,
    pub peer: Option<Uuid>,
    pub binding: Option<Binding>,
}

/// A port's host binding (`POST /hosts/{hostId}/ports`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub host_id: Uuid,
    pub interface_name: String,
}

/// A chain and its rules, in order; each rule's `position` is its 1-based index.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredChain {
    pub chain: Chain,
    pub rules: Vec<Arc<Rule>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredIpAddrGroup {
    pub group: IpAddrGroup,
    pub addrs: BTreeSet<IpAddr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredPortGroup {
    pub group: PortGroup,
    pub ports: BTreeSet<Uuid>,
}

/// A bridge's DHCP subnet; its id is `DhcpSubnet::object_id(bridge, key)`, as the store's.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredDhcpSubnet {
    pub bridge: Uuid,
    pub subnet: DhcpSubnet,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DesiredDhcpHost {
    pub bridge: Uuid,
    /// The id of the `DesiredDhcpSubnet` it belongs to.
    pub dhcp_subnet: Uuid,
    pub host: DhcpHost,
}

/// An entry of a bridge's ARP table.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredIp4Mac {
    pub bridge: Uuid,
    pub entry: Ip4Mac,
}

/// An entry of a bridge's MAC table.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredMacPort {
    pub bridge: Uuid,
    pub entry: MacPort,
}

/// Objects by id, shared: the engine holds the same object in its parts, in its view of
/// MidoNet and in a plan, and a copy of each would double or triple its memory.
pub type Objects<T> = BTreeMap<Uuid, Arc<T>>;

/// The desired topology: every object by id, with its origin.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub routers: Objects<Router>,
    pub bridges: Objects<Bridge>,
    pub ports: Objects<DesiredPort>,
    pub chains: Objects<DesiredChain>,
    /// Translator routes only; MidoNet's per-port `Local` routes are the server's.
    pub routes: Objects<Route>,
    pub ip_addr_groups: Objects<DesiredIpAddrGroup>,
    pub port_groups: Objects<DesiredPortGroup>,
    pub dhcp_subnets: Objects<DesiredDhcpSubnet>,
    pub dhcp_hosts: Objects<DesiredDhcpHost>,
    pub ip4_macs: Objects<DesiredIp4Mac>,
    pub mac_ports: Objects<DesiredMacPort>,
    pub bgp_peers: Objects<BgpPeer>,
    pub bgp_networks: Objects<BgpNetwork>,
    /// The allocations this topology uses; persist them (the store recovers them too).
    pub allocations: Allocations,
    /// Every object above, rules included, by id.
    pub origins: Objects<Origin>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Desired {
    /// The key of `id`, for messages and dumps.
    pub fn key(&self, id: Uuid) -> Option<&str> {
        self.origins.get(&id).map(|o| o.key.as_str())
    }

    /// Adds the objects of `part`, made apart (`translate_part`); ids never clash, as every
    /// object belongs to one part.
    pub fn absorb(&mut self, part: Desired) {
        self.routers.extend(part.routers);
        self.bridges.extend(part.bridges);
        self.ports.extend(part.ports);
        self.chains.extend(part.chains);
        self.routes.extend(part.routes);
        self.ip_addr_groups.extend(part.ip_addr_groups);
        self.port_groups.extend(part.port_groups);
        self.dhcp_subnets.extend(part.dhcp_subnets);
        self.dhcp_hosts.extend(part.dhcp_hosts);
        self.ip4_macs.extend(part.ip4_macs);
        self.mac_ports.extend(part.mac_ports);
        self.bgp_peers.extend(part.bgp_peers);
        self.bgp_networks.extend(part.bgp_networks);
        self.origins.extend(part.origins);
        self.diagnostics.extend(part.diagnostics);
    }

    /// Every id a GNI object produced, e.g. to recompute only that owner's objects.
    pub fn produced_by<'a>(&'a self, gni_id: &'a str) -> impl Iterator<Item = Uuid> + 'a {
        self.origins
            .iter()
            .filter(move |(_, o)| o.gni_id == gni_id)
            .map(|(id, _)| *id)
    }
}

/// Why a GNI cannot be translated. Each message names the layer and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    #[error("allocation: no free router id for {owner} in 2..={max}")]
    RtidsExhausted { owner: String, max: u32 },
    #[error("allocation: no free ENI id for interface {interface} in 10..={max}")]
    EniidsExhausted { interface: String, max: u32 },
    #[error("core: euca_version {version:?} is not a dotted four-part version")]
    Version { version: String },
    #[error("constants: {reason}")]
    Constants { reason: String },
    /// A reference the GNI parser checks; only a hand-built `Gni` can fail it.
    #[error("{layer} {id}: {reason}")]
    Reference {
        layer: &'static str,
        id: String,
        reason: String,
    },
    #[error("route table {table}: route {destination}: {reason}")]
    Route {
        table: String,
        destination: Ipv4Network,
        reason: String,
    },
    /// Two objects derived the same key: a translator bug or a GNI naming one thing twice.
    #[error("{stage} {gni_id}: object {key} is already made by {first_stage} {first_gni_id}")]
    DuplicateKey {
        stage: Stage,
        gni_id: String,
        key: String,
        first_stage: Stage,
        first_gni_id: String,
    },
}

/// The id of the exterior subnet-bridge port an attached interface gets (`interface` stage).
pub fn interface_port_id(interface: &Interface) -> Uuid {
    let bridge = names::subnet_bridge(&interface.vpc, &interface.subnet);
    names::object_id(&interface::port_key(&bridge, interface))
}

/// The id of `eucart`'s port for the gateway with external address `external_ip` (`core`).
pub fn gateway_port_id(external_ip: Ipv4Addr) -> Uuid {
    names::object_id(&format!("{}/gateway/{external_ip}", names::CORE_ROUTER))
}

/// Translates `gni` into the desired topology; see the module's contract.
pub fn translate(gni: &Gni, env: &Environment) -> Result<Desired, TranslateError> {
    let allocations = allocate(gni, env)?;
    let index = Index::new(gni);
    let scope = Scope {
        index: &index,
        vpc: None,
        group: None,
    };
    let mut out = build(gni, env, &allocations, scope, &Stage::ALL)?;
    out.allocations = allocations;
    Ok(out)
}

/// The id allocations `gni` needs, keeping `env`'s where still valid (`allocation`).
pub fn allocate(gni: &Gni, env: &Environment) -> Result<Allocations, TranslateError> {
    allocation::allocate(gni, &env.allocations, &env.constants)
}

/// `allocate` for `gni` when `env`'s allocations are what `allocate` gave the GNI before it
/// under the same constants: the same result, from the `changes` between the two (see
/// `allocation::reallocate`).
pub fn reallocate(
    changes: &Changes,
    gni: &Gni,
    env: &Environment,
) -> Result<Allocations, TranslateError> {
    allocation::reallocate(changes, gni, &env.allocations, &env.constants)
}

/// A part of the translation that can be redone alone, so that a daemon redoes only the parts
/// whose inputs changed: the core (the configuration), one VPC (its routers, subnets, tables,
/// gateways, ACLs and interfaces), or one security group (its chains and member groups). Every
/// object belongs to exactly one part; together they make what `translate` makes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Part {
    Core,
    Vpc(VpcId),
    SecurityGroup(SecurityGroupId),
}

impl Part {
    /// Every part of `gni`.
    pub fn all(gni: &Gni) -> impl Iterator<Item = Part> + '_ {
        let vpcs = gni.vpcs.keys().cloned().map(Part::Vpc);
        let groups = gni.security_groups.keys().cloned().map(Part::SecurityGroup);
        std::iter::once(Part::Core).chain(vpcs).chain(groups)
    }

    /// The stages that make this part's objects, in pipeline order.
    fn stages(&self) -> &'static [Stage] {
        match self {
            Part::Core => &Stage::ALL[..1],
            Part::Vpc(_) => &VPC_STAGES,
            Part::SecurityGroup(_) => &[Stage::SecurityGroup],
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Part::Core => f.write_str("core"),
            Part::Vpc(id) => write!(f, "{id}"),
            Part::SecurityGroup(id) => write!(f, "{id}"),
        }
    }
}

const VPC_STAGES: [Stage; 9] = [
    Stage::VpcRouter,
    Stage::SubnetBridge,
    Stage::Dhcp,
    Stage::Interface,
    Stage::ElasticIp,
    Stage::RouteTable,
    Stage::NatGateway,
    Stage::NetworkAcl,
    Stage::Metadata,
];

/// Translates one part of `gni` with the allocations of the whole (`allocate`) and its
/// `Index`. The result's `allocations` stay empty: they belong to the whole.
pub fn translate_part(
    gni: &Gni,
    env: &Environment,
    allocations: &Allocations,
    index: &Index,
    part: &Part,
) -> Result<Desired, TranslateError> {
    let scope = Scope {
        index,
        vpc: match part {
            Part::Vpc(id) => Some(id),
            _ => None,
        },
        group: match part {
            Part::SecurityGroup(id) => Some(id),
            _ => None,
        },
    };
    build(gni, env, allocations, scope, part.stages())
}

/// Lookups over one GNI that several parts need: interfaces by VPC, in `Gni::interfaces`
/// order, and each security group's member addresses (private, public).
pub struct Index<'g> {
    all: Vec<(&'g Instance, &'g Interface)>,
    by_vpc: BTreeMap<&'g VpcId, Vec<(&'g Instance, &'g Interface)>>,
    members: BTreeMap<&'g SecurityGroupId, Members>,
}

/// A security group's member addresses: private, public.
type Members = (BTreeSet<IpAddr>, BTreeSet<IpAddr>);

impl<'g> Index<'g> {
    pub fn new(gni: &'g Gni) -> Self {
        let all: Vec<_> = gni.interfaces().collect();
        let mut by_vpc: BTreeMap<_, Vec<_>> = BTreeMap::new();
        let mut members: BTreeMap<_, Members> = BTreeMap::new();
        for &(instance, interface) in &all {
            by_vpc
                .entry(&interface.vpc)
                .or_default()
                .push((instance, interface));
            for group in &interface.security_groups {
                let (private, public) = members.entry(group).or_default();
                private.insert(IpAddr::V4(interface.private_ip));
                public.extend(interface.public_ip.map(IpAddr::V4));
            }
        }
        Index {
            all,
            by_vpc,
            members,
        }
    }

    /// An index good for translating `parts` only: the interfaces of their VPCs and the
    /// members of their groups (everything when the core is among them). A cycle that redoes
    /// three parts of a 10,000-instance GNI should not index all of it.
    pub fn for_parts(gni: &'g Gni, parts: &[Part]) -> Self {
        if parts.contains(&Part::Core) {
            return Index::new(gni);
        }
        let vpcs: BTreeSet<&VpcId> = parts
            .iter()
            .filter_map(|p| match p {
                Part::Vpc(id) => Some(id),
                _ => None,
            })
            .collect();
        let groups: BTreeSet<&SecurityGroupId> = parts
            .iter()
            .filter_map(|p| match p {
                Part::SecurityGroup(id) => Some(id),
                _ => None,
            })
            .collect();
        let mut index = Index {
            all: Vec::new(),
            by_vpc: BTreeMap::new(),
            members: BTreeMap::new(),
        };
        for (instance, interface) in gni.interfaces() {
            if vpcs.contains(&interface.vpc) {
                index.all.push((instance, interface));
                index
                    .by_vpc
                    .entry(&interface.vpc)
                    .or_default()
                    .push((instance, interface));
            }
            for group in interface
                .security_groups
                .iter()
                .filter(|g| groups.contains(g))
            {
                let (private, public) = index.members.entry(group).or_default();
                private.insert(IpAddr::V4(interface.private_ip));
                public.extend(interface.public_ip.map(IpAddr::V4));
            }
        }
        index
    }

    /// The interfaces of `vpc`.
    pub fn interfaces_of(&self, vpc: &VpcId) -> &[(&'g Instance, &'g Interface)] {
        self.by_vpc.get(vpc).map_or(&[], Vec::as_slice)
    }

    /// The member addresses of security group `group`: private, public.
    pub fn members(&self, group: &SecurityGroupId) -> Option<&Members> {
        self.members.get(group)
    }

    /// Every group with members, with their addresses.
    pub fn all_members(&self) -> impl Iterator<Item = (&'g SecurityGroupId, &Members)> + '_ {
        self.members.iter().map(|(id, m)| (*id, m))
    }
}

/// What a build covers: everything, or one VPC, or one security group.
#[derive(Clone, Copy)]
struct Scope<'a> {
    index: &'a Index<'a>,
    vpc: Option<&'a VpcId>,
    group: Option<&'a SecurityGroupId>,
}

fn build(
    gni: &Gni,
    env: &Environment,
    allocations: &Allocations,
    scope: Scope,
    stages: &[Stage],
) -> Result<Desired, TranslateError> {
    let mut b = Build {
        gni,
        env,
        allocations,
        scope,
        stage: Stage::Core,
        out: Desired::default(),
    };
    for &stage in stages {
        b.stage = stage;
        stage.run(&mut b)?;
    }
    Ok(b.out)
}

/// The state stages share: the inputs, the running stage, and the topology built so far.
/// Stages add objects through its methods, which derive ids and record origins.
struct Build<'a> {
    gni: &'a Gni,
    env: &'a Environment,
    allocations: &'a Allocations,
    scope: Scope<'a>,
    stage: Stage,
    out: Desired,
}

impl<'a> Build<'a> {
    /// The VPCs in scope, in id order.
    fn vpcs(&self) -> Vec<&'a Vpc> {
        let gni: &'a Gni = self.gni;
        match self.scope.vpc {
            Some(id) => gni.vpcs.get(id).map(|v| &**v).into_iter().collect(),
            None => gni.vpcs.values().map(|v| &**v).collect(),
        }
    }

    /// The interfaces in scope, with their instances.
    fn interfaces(&self) -> &'a [(&'a Instance, &'a Interface)] {
        let index: &'a Index<'a> = self.scope.index;
        match self.scope.vpc {
            Some(id) => index.interfaces_of(id),
            None => &index.all,
        }
    }

    /// The interfaces of `vpc`, with their instances.
    fn interfaces_of(&self, vpc: &VpcId) -> &'a [(&'a Instance, &'a Interface)] {
        let index: &'a Index<'a> = self.scope.index;
        index.interfaces_of(vpc)
    }

    /// The security groups in scope, in id order.
    fn security_groups(&self) -> Vec<&'a SecurityGroup> {
        let gni: &'a Gni = self.gni;
        match self.scope.group {
            Some(id) => gni
                .security_groups
                .get(id)
                .map(|g| &**g)
                .into_iter()
                .collect(),
            None => gni.security_groups.values().map(|g| &**g).collect(),
        }
    }

    /// The subnet `interface` is in.
    fn subnet_of(&self, interface: &Interface) -> Result<&'a Subnet, TranslateError> {
        let gni: &'a Gni = self.gni;
        gni.vpcs
            .get(&interface.vpc)
            .and_then(|v| v.subnets.get(&interface.subnet))
            .ok_or_else(|| TranslateError::Reference {
                layer: "interface",
                id: interface.name.to_string(),
                reason: format!(
                    "subnet {} is not in vpc {}",
                    interface.subnet, interface.vpc
                ),
            })
    }

    /// The member addresses of `group`: private, public.
    fn members(&self, group: &SecurityGroupId) -> Option<&'a Members> {
        let index: &'a Index<'a> = self.scope.index;
        index.members(group)
    }
}

impl Build<'_> {
    fn tenant(&self) -> &str {
        &self.env.tenant
    }

    fn rtid(&self, owner: &str) -> Result<u32, TranslateError> {
        self.allocations
            .rtids
            .get(owner)
            .copied()
            .ok_or_else(|| TranslateError::Reference {
                layer: "allocation",
                id: owner.to_owned(),
                reason: "has no router id".to_owned(),
            })
    }

    fn diagnose(&mut self, owner: &str, message: String) {
        self.out.diagnostics.push(Diagnostic {
            stage: self.stage,
            gni_id: owner.to_owned(),
            message,
        });
    }

    /// Records an object of key `key` made for `owner` and returns its id.
    fn record(&mut self, key: String, owner: &str) -> Result<Uuid, TranslateError> {
        let id = names::object_id(&key);
        self.record_as(id, key, owner)?;
        Ok(id)
    }

    /// Records an object whose id MidoNet derives itself (DHCP subnets) under `key`.
    fn record_as(&mut self, id: Uuid, key: String, owner: &str) -> Result<(), TranslateError> {
        if let Some(first) = self.out.origins.get(&id) {
            return Err(TranslateError::DuplicateKey {
                stage: self.stage,
                gni_id: owner.to_owned(),
                key,
                first_stage: first.stage,
                first_gni_id: first.gni_id.clone(),
            });
        }
        self.out.origins.insert(
            id,
            Origin {
                stage: self.stage,
                gni_id: owner.to_owned(),
                key,
            }
            .into(),
        );
        Ok(())
    }

    /// The key of an object made so far, or of a core object other parts refer to (a part
    /// built alone has not made those).
    fn key_of(&self, id: Uuid) -> String {
        if let Some(key) = self.out.key(id) {
            return key.to_owned();
        }
        static CORE_KEYS: std::sync::LazyLock<BTreeMap<Uuid, String>> =
            std::sync::LazyLock::new(|| {
                [names::CORE_ROUTER.to_owned(), core::transit_port_key()]
                    .into_iter()
                    .map(|key| (names::object_id(&key), key))
                    .collect()
            });
        CORE_KEYS.get(&id).cloned().unwrap_or_default()
    }

    fn router(&mut self, name: &str, owner: &str) -> Result<Uuid, TranslateError> {
        let id = self.record(name.to_owned(), owner)?;
        let router = Router::named(id, name, self.tenant());
        self.out.routers.insert(id, router.into());
        Ok(id)
    }

    fn bridge(&mut self, name: &str, owner: &str) -> Result<Uuid, TranslateError> {
        let id = self.record(name.to_owned(), owner)?;
        let bridge = Bridge::named(id, name, self.tenant());
        self.out.bridges.insert(id, bridge.into());
        Ok(id)
    }

    fn chain(&mut self, name: &str, owner: &str) -> Result<Uuid, TranslateError> {
        let id = self.record(name.to_owned(), owner)?;
        let chain = Chain {
            id,
            tenant_id: Some(self.tenant().to_owned()),
            name: Some(name.to_owned()),
        };
        self.out.chains.insert(
            id,
            DesiredChain {
                chain,
                rules: Vec::new(),
            }
            .into(),
        );
        Ok(id)
    }

    /// Appends `rule` to `chain` under key `<chain name>/<role>`; fills id, chain, position and
    /// MidoNet's defaults, so the rule compares equal to what the API returns.
    fn rule(
        &mut self,
        chain: Uuid,
        role: &str,
        owner: &str,
        rule: Rule,
    ) -> Result<Uuid, TranslateError> {
        self.insert_rule(chain, u32::MAX, role, owner, rule)
    }

    /// Inserts `rule` into `chain` at 1-based `position` (past the end appends), moving the rules
    /// from there on one place down, for a stage that adds to a chain an earlier stage wrote, at
    /// a place eucanetd's rule order fixes. Otherwise as `rule`.
    fn insert_rule(
        &mut self,
        chain: Uuid,
        position: u32,
        role: &str,
        owner: &str,
        mut rule: Rule,
    ) -> Result<Uuid, TranslateError> {
        let key = format!("{}/{role}", self.key_of(chain));
        let id = self.record(key.clone(), owner)?;
        let Some(target) = self.out.chains.get_mut(&chain).map(Arc::make_mut) else {
            return Err(TranslateError::Reference {
                layer: "rule",
                id: key,
                reason: "its chain is not made by an earlier stage".to_owned(),
            });
        };
        let index = usize::try_from(position.max(1) - 1)
            .unwrap_or(usize::MAX)
            .min(target.rules.len());
        rule.id = id;
        rule.chain_id = Some(chain);
        rule.normalize();
        target.rules.insert(index, rule.into());
        // A rule's position is its place, as MidoNet reports it.
        for (place, r) in target.rules.iter_mut().enumerate().skip(index) {
            Arc::make_mut(r).position = u32::try_from(place + 1).unwrap_or(u32::MAX);
        }
        Ok(id)
    }

    fn ip_addr_group(
        &mut self,
        name: &str,
        owner: &str,
        addrs: impl IntoIterator<Item = IpAddr>,
    ) -> Result<Uuid, TranslateError> {
        let id = self.record(name.to_owned(), owner)?;
        let group = IpAddrGroup {
            id,
            name: Some(name.to_owned()),
        };
        let addrs = addrs.into_iter().collect();
        self.out
            .ip_addr_groups
            .insert(id, DesiredIpAddrGroup { group, addrs }.into());
        Ok(id)
    }

    /// Adds `addr` to a group an earlier stage made.
    fn add_to_group(&mut self, group: Uuid, addr: IpAddr) -> Result<(), TranslateError> {
        match self.out.ip_addr_groups.get_mut(&group).map(Arc::make_mut) {
            Some(g) => {
                g.addrs.insert(addr);
                Ok(())
            }
            None => Err(TranslateError::Reference {
                layer: "ip address group",
                id: group.to_string(),
                reason: format!("{addr} is added before the group is made"),
            }),
        }
    }

    /// A router port `address` in `network`, with a MAC derived from its id unless given (so the
    /// MAC, which bridge ARP entries name, is known before the port exists).
    fn router_port(
        &mut self,
        key: String,
        owner: &str,
        router: Uuid,
        address: Ipv4Addr,
        network: Ipv4Network,
        mac: Option<String>,
    ) -> Result<Uuid, TranslateError> {
        let id = self.record(key, owner)?;
        let mut port = Port::router_port(id, router, address, network.network(), network.prefix());
        port.port_mac = Some(mac.unwrap_or_else(|| Port::generated_mac(id)));
        self.out.ports.insert(
            id,
            DesiredPort {
                port,
                peer: None,
                binding: None,
            }
            .into(),
        );
        Ok(id)
    }

    fn bridge_port(
        &mut self,
        key: String,
        owner: &str,
        bridge: Uuid,
    ) -> Result<Uuid, TranslateError> {
        let id = self.record(key, owner)?;
        self.out.ports.insert(
            id,
            DesiredPort {
                port: Port::bridge_port(id, bridge),
                peer: None,
                binding: None,
            }
            .into(),
        );
        Ok(id)
    }

    /// Links two ports made by this build.
    fn link(&mut self, a: Uuid, b: Uuid) {
        for (port, peer) in [(a, b), (b, a)] {
            if let Some(p) = self.out.ports.get_mut(&port).map(Arc::make_mut) {
                p.peer = Some(peer);
            }
        }
    }

    fn port_mut(&mut self, id: Uuid) -> Option<&mut Port> {
        self.out
            .ports
            .get_mut(&id)
            .map(Arc::make_mut)
            .map(|p| &mut p.port)
    }

    /// A `Normal` route on `router` from `src` to `dst` out of `port`, via `gateway` if given.
    #[allow(clippy::too_many_arguments)]
    fn route(
        &mut self,
        owner: &str,
        router: Uuid,
        src: Ipv4Network,
        dst: Ipv4Network,
        port: Uuid,
        gateway: Option<Ipv4Addr>,
        weight: i32,
    ) -> Result<Uuid, TranslateError> {
        let key = names::route(&self.key_of(router), src, dst, &self.key_of(port), gateway);
        let id = self.record(key, owner)?;
        self.out.routes.insert(
            id,
            Route {
                id,
                router_id: Some(router),
                src_network_addr: src.network(),
                src_network_length: src.prefix(),
                dst_network_addr: dst.network(),
                dst_network_length: dst.prefix(),
                next_hop_port: Some(port),
                next_hop_gateway: gateway,
                weight,
                route_type: topology::RouteType::Normal,
                attributes: None,
                learned: false,
            }
            .into(),
        );
        Ok(id)
    }
}

/// `addr/len`; `len` is at most 32 at every call, so the /32 fallback is never taken.
fn network(addr: Ipv4Addr, len: u8) -> Ipv4Network {
    Ipv4Network::new(addr, len).unwrap_or_else(|_| Ipv4Network::from(addr))
}

/// `0.0.0.0/0`.
fn any_network() -> Ipv4Network {
    network(Ipv4Addr::UNSPECIFIED, 0)
}

/// `addr/32`.
fn host_network(addr: Ipv4Addr) -> Ipv4Network {
    Ipv4Network::from(addr)
}

/// The `offset`-th address of `cidr` (`.1` is offset 1), if inside it.
fn nth_address(cidr: Ipv4Network, offset: u32) -> Option<Ipv4Addr> {
    Constants::nth(cidr, offset)
}

/// The owner of objects every cloud has (the core), for origins and diagnostics.
const CONFIGURATION: &str = "configuration";

/// Ethertypes rules match on.
const ETH_IPV4: i32 = 0x0800;
const ETH_ARP: i32 = 0x0806;

/// Condition builders, so stages read like the rule lists of `reference/eucanetd.md`.
trait ConditionExt: Sized {
    fn src(self, net: Ipv4Network, invert: bool) -> Self;
    fn dst(self, net: Ipv4Network, invert: bool) -> Self;
    fn dl_type(self, ethertype: i32, invert: bool) -> Self;
}

impl ConditionExt for topology::Condition {
    fn src(mut self, net: Ipv4Network, invert: bool) -> Self {
        self.nw_src_address = Some(net.network());
        self.nw_src_length = Some(net.prefix());
        self.inv_nw_src = invert;
        self
    }

    fn dst(mut self, net: Ipv4Network, invert: bool) -> Self {
        self.nw_dst_address = Some(net.network());
        self.nw_dst_length = Some(net.prefix());
        self.inv_nw_dst = invert;
        self
    }

    fn dl_type(mut self, ethertype: i32, invert: bool) -> Self {
        self.dl_type = Some(ethertype);
        self.inv_dl_type = invert;
        self
    }
}

/// A rule of `rule_type` on `condition`; `Build::rule` gives it its id and place.
fn plain_rule(rule_type: topology::RuleType, condition: topology::Condition) -> Rule {
    Rule::new(Uuid::nil(), rule_type, condition)
}

/// A jump to the chain named `target`.
fn jump_rule(target: &str, condition: topology::Condition) -> Rule {
    let mut rule = plain_rule(topology::RuleType::Jump, condition);
    rule.jump_chain_id = Some(names::object_id(target));
    rule.jump_chain_name = Some(target.to_owned());
    rule
}

/// A NAT rule rewriting to `targets`, then doing `then`.
fn nat_rule(
    rule_type: topology::RuleType,
    condition: topology::Condition,
    targets: Option<Vec<topology::NatTarget>>,
    then: topology::FlowAction,
) -> Rule {
    let mut rule = plain_rule(rule_type, condition);
    rule.nat_targets = targets;
    rule.flow_action = Some(then);
    rule
}

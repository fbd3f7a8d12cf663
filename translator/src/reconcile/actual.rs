//! Reads the part of a MidoNet topology the translator owns into the shape of a `Desired`, so
//! the two can be compared by `plan`.
//!
//! Owned: the routers, bridges, chains and port groups of the translator's tenant and
//! everything below them (ports with their links and bindings, routes other than MidoNet's
//! `Local` and learned ones, rules in chain order, DHCP subnets and hosts, ARP and MAC
//! entries, BGP peers and networks, port group members), and the IP address groups that are
//! the translator's: named with eucanetd's prefixes (`sg_`, `elip_`, `metadata_ip`,
//! `euca_version`) or whose id is the translator's id for their name.
//!
//! Contract of `read`: one listing per collection, issued in parallel from clones of the client
//! with at most `READ_CONCURRENCY` requests in flight, so a 1,000-VPC topology reads in
//! seconds. Id-less members (DHCP hosts, ARP and MAC entries) get ids derived from their
//! parent and content (`host_id`, `arp_id`, `mac_id`), only to key the maps; `plan` matches
//! them by content. Origins and allocations stay empty. Any failed request fails the read: a
//! partial view would make the plan delete what it did not see.
//!
//! `from_desired` is the other way to an `Actual`: what `read` would return once MidoNet holds a
//! desired topology, for a writer that has just made it so (members keyed as `read` keys them,
//! so later follows and plans treat the two alike).

use std::net::IpAddr;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use midonet_client::{ClientError, MidonetClient, SubnetKey};
use topology::{BgpNetwork, BgpPeer, DhcpHost, DhcpSubnet, Ip4Mac, MacPort, Port, Route, Rule};
use uuid::Uuid;

use super::Actual;
use crate::desired::names::{self, METADATA_IP_GROUP, VERSION_GROUP};
use crate::desired::{
    Binding, Desired, DesiredChain, DesiredDhcpHost, DesiredDhcpSubnet, DesiredIp4Mac,
    DesiredIpAddrGroup, DesiredMacPort, DesiredPort, DesiredPortGroup, Objects,
};

/// Requests in flight at once while reading: enough to hide the round trip, few enough not to
/// swamp a gateway that serves the agents too.
pub const READ_CONCURRENCY: usize = 32;

/// Name prefixes of the IP address groups eucanetd makes (`reference/eucanetd.md` §2.1).
const GROUP_PREFIXES: [&str; 2] = ["sg_", "elip_"];

/// Reads what the translator owns under `tenant`; see the module's contract.
pub async fn read(client: &MidonetClient, tenant: &str) -> Result<Actual, ClientError> {
    let (routers, bridges, chains, port_groups, ip_addr_groups) = futures::try_join!(
        client.routers_of_tenant(tenant),
        client.bridges_of_tenant(tenant),
        client.chains_of_tenant(tenant),
        client.port_groups_of_tenant(tenant),
        client.ip_addr_groups(),
    )?;
    let mut actual = Actual::default();
    let mut reads = Vec::new();
    for r in routers {
        reads.extend([
            Read::RouterPorts(r.id),
            Read::Routes(r.id),
            Read::BgpPeers(r.id),
            Read::BgpNetworks(r.id),
        ]);
        actual.routers.insert(r.id, r.into());
    }
    for b in bridges {
        reads.extend([
            Read::BridgePorts(b.id),
            Read::DhcpSubnets(b.id),
            Read::Arp(b.id),
            Read::Mac(b.id),
        ]);
        actual.bridges.insert(b.id, b.into());
    }
    for chain in chains {
        reads.push(Read::Rules(chain.id));
        let rules = Vec::new();
        actual
            .chains
            .insert(chain.id, DesiredChain { chain, rules }.into());
    }
    for group in port_groups {
        reads.push(Read::Members(group.id));
        let ports = Default::default();
        actual
            .port_groups
            .insert(group.id, DesiredPortGroup { group, ports }.into());
    }
    for group in ip_addr_groups.into_iter().filter(is_translators) {
        reads.push(Read::Addrs(group.id));
        let addrs = Default::default();
        actual
            .ip_addr_groups
            .insert(group.id, DesiredIpAddrGroup { group, addrs }.into());
    }

    let mut subnets = Vec::new();
    for read in run(client, reads).await? {
        match read {
            Read::Ports(ports) => ports.into_iter().for_each(|p| add_port(&mut actual, p)),
            Read::RoutesOf(routes) => {
                for r in routes.into_iter().filter(is_static) {
                    actual.routes.insert(r.id, r.into());
                }
            }
            Read::BgpPeersOf(peers) => actual
                .bgp_peers
                .extend(peers.into_iter().map(|p| (p.id, p.into()))),
            Read::BgpNetworksOf(nets) => actual
                .bgp_networks
                .extend(nets.into_iter().map(|n| (n.id, n.into()))),
            Read::DhcpSubnetsOf(bridge, list) => {
                for subnet in list {
                    let id = DhcpSubnet::object_id(bridge, &subnet.key());
                    subnets.push(Read::DhcpHosts(bridge, id, SubnetKey::from(&subnet)));
                    actual
                        .dhcp_subnets
                        .insert(id, DesiredDhcpSubnet { bridge, subnet }.into());
                }
            }
            Read::ArpOf(bridge, entries) => {
                for entry in entries {
                    let id = arp_id(bridge, &entry);
                    actual
                        .ip4_macs
                        .insert(id, DesiredIp4Mac { bridge, entry }.into());
                }
            }
            Read::MacOf(bridge, entries) => {
                for entry in entries {
                    let id = mac_id(bridge, &entry);
                    actual
                        .mac_ports
                        .insert(id, DesiredMacPort { bridge, entry }.into());
                }
            }
            members => put_members(&mut actual, members),
        }
    }
    // DHCP hosts hang under their subnet, known only now.
    for read in run(client, subnets).await? {
        if let Read::DhcpHostsOf(bridge, dhcp_subnet, hosts) = read {
            put_dhcp_hosts(&mut actual, bridge, dhcp_subnet, hosts);
        }
    }
    Ok(actual)
}

/// Adds the static hosts of one DHCP subnet of `bridge` to `actual`, keyed as `read` keys them.
pub(super) fn put_dhcp_hosts(
    actual: &mut Actual,
    bridge: Uuid,
    dhcp_subnet: Uuid,
    hosts: Vec<DhcpHost>,
) {
    for host in hosts {
        let id = host_id(dhcp_subnet, &host);
        let entry = DesiredDhcpHost {
            bridge,
            dhcp_subnet,
            host,
        };
        actual.dhcp_hosts.insert(id, entry.into());
    }
}

/// Puts a parent's members that a `Read` brought (a chain's rules, a group's addresses or
/// ports) in place in `actual`; other reads are not members and change nothing.
pub(super) fn put_members(actual: &mut Actual, read: Read) {
    match read {
        Read::RulesOf(chain, rules) => {
            if let Some(c) = actual.chains.get_mut(&chain).map(Arc::make_mut) {
                c.rules = rules.into_iter().map(Arc::new).collect();
            }
        }
        Read::AddrsOf(group, addrs) => {
            if let Some(g) = actual.ip_addr_groups.get_mut(&group).map(Arc::make_mut) {
                g.addrs = addrs.into_iter().collect();
            }
        }
        Read::MembersOf(group, ports) => {
            if let Some(g) = actual.port_groups.get_mut(&group).map(Arc::make_mut) {
                g.ports = ports.into_iter().collect();
            }
        }
        _ => {}
    }
}

/// One listing to make (`RouterPorts`...) or made (`Ports`...).
pub(super) enum Read {
    RouterPorts(Uuid),
    BridgePorts(Uuid),
    Routes(Uuid),
    BgpPeers(Uuid),
    BgpNetworks(Uuid),
    DhcpSubnets(Uuid),
    DhcpHosts(Uuid, Uuid, SubnetKey),
    Arp(Uuid),
    Mac(Uuid),
    Rules(Uuid),
    Addrs(Uuid),
    Members(Uuid),
    Ports(Vec<Port>),
    RoutesOf(Vec<Route>),
    BgpPeersOf(Vec<BgpPeer>),
    BgpNetworksOf(Vec<BgpNetwork>),
    DhcpSubnetsOf(Uuid, Vec<DhcpSubnet>),
    DhcpHostsOf(Uuid, Uuid, Vec<DhcpHost>),
    ArpOf(Uuid, Vec<Ip4Mac>),
    MacOf(Uuid, Vec<MacPort>),
    RulesOf(Uuid, Vec<Rule>),
    AddrsOf(Uuid, Vec<IpAddr>),
    MembersOf(Uuid, Vec<Uuid>),
}

impl Read {
    /// Makes this listing, returning what it found.
    async fn fetch(self, c: MidonetClient) -> Result<Read, ClientError> {
        Ok(match self {
            Read::RouterPorts(id) => Read::Ports(c.router_ports(id).await?),
            Read::BridgePorts(id) => Read::Ports(c.bridge_ports(id).await?),
            Read::Routes(id) => Read::RoutesOf(c.router_routes(id).await?),
            Read::BgpPeers(id) => Read::BgpPeersOf(c.bgp_peers(id).await?),
            Read::BgpNetworks(id) => Read::BgpNetworksOf(c.bgp_networks(id).await?),
            Read::DhcpSubnets(id) => Read::DhcpSubnetsOf(id, c.dhcp_subnets(id).await?),
            Read::DhcpHosts(bridge, id, key) => {
                Read::DhcpHostsOf(bridge, id, c.dhcp_hosts(bridge, key).await?)
            }
            Read::Arp(id) => Read::ArpOf(id, c.arp_table(id).await?),
            Read::Mac(id) => Read::MacOf(id, c.mac_table(id).await?),
            Read::Rules(id) => Read::RulesOf(id, c.chain_rules(id).await?),
            Read::Addrs(id) => {
                let addrs = c.ip_addr_group_addrs(id).await?;
                Read::AddrsOf(id, addrs.into_iter().map(|a| a.addr).collect())
            }
            Read::Members(id) => {
                let members = c.port_group_ports(id).await?;
                Read::MembersOf(id, members.into_iter().map(|m| m.port_id).collect())
            }
            done => done,
        })
    }
}

/// Runs `reads` with at most `READ_CONCURRENCY` in flight; the first error stops the rest.
pub(super) async fn run(
    client: &MidonetClient,
    reads: Vec<Read>,
) -> Result<Vec<Read>, ClientError> {
    stream::iter(reads)
        .map(|read| read.fetch(client.clone()))
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await
}

/// Adds `port`, moving its link and binding into `peer` and `binding` as `Desired` holds them.
pub(super) fn add_port(actual: &mut Actual, mut port: Port) {
    let peer = port.peer_id.take();
    let binding = match (port.host_id.take(), port.interface_name.take()) {
        (Some(host_id), Some(interface_name)) => Some(Binding {
            host_id,
            interface_name,
        }),
        _ => None,
    };
    let entry = DesiredPort {
        port,
        peer,
        binding,
    };
    actual.ports.insert(entry.port.id, entry.into());
}

/// Routes the translator could have made: not the server's `Local` ones, not learned ones.
pub(super) fn is_static(route: &Route) -> bool {
    route.route_type != topology::RouteType::Local && !route.learned
}

/// Whether an IP address group is the translator's: eucanetd's names, or the translator's id.
pub(super) fn is_translators(group: &topology::IpAddrGroup) -> bool {
    let Some(name) = group.name.as_deref() else {
        return false;
    };
    GROUP_PREFIXES.iter().any(|p| name.starts_with(p))
        || name == METADATA_IP_GROUP
        || name == VERSION_GROUP
        || names::object_id(name) == group.id
}

/// The half of a member's key that is its parent's.
const PARENT_HALF: u128 = !0 << 64;

/// A map key for a member without an id of its own. It starts with the first half of its
/// parent's id, so that a parent's members sit together in key order and `members` finds them
/// by range: a one-instance cycle must not scan the 10,000 DHCP hosts and ARP entries of a
/// large cloud. The other half hashes the member's content under its parent.
fn member_id(parent: Uuid, key: &str) -> Uuid {
    let hash = Uuid::new_v5(&parent, key.as_bytes()).as_u128();
    Uuid::from_u128((parent.as_u128() & PARENT_HALF) | (hash & !PARENT_HALF))
}

/// The keys of the members of `parent` in `map` (DHCP hosts by DHCP subnet, ARP and MAC
/// entries by bridge), found by their keys' range; `parent_of` tells a member's parent, which
/// rules out another parent that shares the first half of `parent`'s id.
pub fn members<T>(map: &Objects<T>, parent: Uuid, parent_of: impl Fn(&T) -> Uuid) -> Vec<Uuid> {
    let low = parent.as_u128() & PARENT_HALF;
    map.range(Uuid::from_u128(low)..=Uuid::from_u128(low | !PARENT_HALF))
        .filter(|(_, member)| parent_of(member) == parent)
        .map(|(id, _)| *id)
        .collect()
}

/// Removes the members of `parent` from `map`; see `members`.
pub fn remove_members<T>(map: &mut Objects<T>, parent: Uuid, parent_of: impl Fn(&T) -> Uuid) {
    for id in members(map, parent, parent_of) {
        map.remove(&id);
    }
}

/// The map key of a DHCP host of `dhcp_subnet`: its MAC, in MidoNet's form.
pub fn host_id(dhcp_subnet: Uuid, host: &DhcpHost) -> Uuid {
    let mac = topology::parse_mac(&host.mac_addr)
        .map_or_else(|| host.mac_addr.to_ascii_lowercase(), topology::format_mac);
    member_id(dhcp_subnet, &format!("host/{mac}"))
}

/// The map key of an ARP entry of `bridge`.
pub fn arp_id(bridge: Uuid, entry: &Ip4Mac) -> Uuid {
    member_id(bridge, &format!("arp/{}", entry.uri_key()))
}

/// The map key of a MAC table entry of `bridge`.
pub fn mac_id(bridge: Uuid, entry: &MacPort) -> Uuid {
    member_id(
        bridge,
        &format!("mac/{}/{}", entry.vlan_id.unwrap_or(0), entry.uri_key()),
    )
}

/// What `read` returns once MidoNet holds `desired`: the same objects, without origins,
/// allocations or diagnostics, and the id-less members keyed as `read` keys them (`desired`
/// keys them by their names), so a follow that replaces a parent's members, or a plan that
/// looks one up, finds them whichever way this `Actual` was made. What the server fills in
/// itself (a port's tunnel key, an untagged port's VLAN 0) stays as desired; `plan` settles
/// those against what it reads.
pub fn from_desired(desired: Desired) -> Actual {
    let Desired {
        routers,
        bridges,
        ports,
        chains,
        routes,
        ip_addr_groups,
        port_groups,
        dhcp_subnets,
        dhcp_hosts,
        ip4_macs,
        mac_ports,
        bgp_peers,
        bgp_networks,
        allocations: _,
        origins: _,
        diagnostics: _,
    } = desired;
    Actual {
        routers,
        bridges,
        ports,
        chains,
        routes,
        ip_addr_groups,
        port_groups,
        dhcp_subnets,
        dhcp_hosts: dhcp_hosts
            .into_values()
            .map(|h| (host_id(h.dhcp_subnet, &h.host), h))
            .collect(),
        ip4_macs: ip4_macs
            .into_values()
            .map(|e| (arp_id(e.bridge, &e.entry), e))
            .collect(),
        mac_ports: mac_ports
            .into_values()
            .map(|e| (mac_id(e.bridge, &e.entry), e))
            .collect(),
        bgp_peers,
        bgp_networks,
        ..Actual::default()
    }
}

/// Makes `actual` hold `desired`'s own object wherever the two are equal, so that after a full
/// read the engine keeps one copy of each unchanged object rather than two.
pub fn share(actual: &mut Actual, desired: &Desired) {
    share_map(&mut actual.routers, &desired.routers);
    share_map(&mut actual.bridges, &desired.bridges);
    share_map(&mut actual.ports, &desired.ports);
    share_map(&mut actual.chains, &desired.chains);
    share_map(&mut actual.routes, &desired.routes);
    share_map(&mut actual.ip_addr_groups, &desired.ip_addr_groups);
    share_map(&mut actual.port_groups, &desired.port_groups);
    share_map(&mut actual.dhcp_subnets, &desired.dhcp_subnets);
    share_map(&mut actual.dhcp_hosts, &desired.dhcp_hosts);
    share_map(&mut actual.ip4_macs, &desired.ip4_macs);
    share_map(&mut actual.mac_ports, &desired.mac_ports);
    share_map(&mut actual.bgp_peers, &desired.bgp_peers);
    share_map(&mut actual.bgp_networks, &desired.bgp_networks);
}

fn share_map<T: PartialEq>(actual: &mut Objects<T>, desired: &Objects<T>) {
    for (id, have) in actual.iter_mut() {
        if let Some(want) = desired.get(id) {
            if !Arc::ptr_eq(have, want) && **have == **want {
                *have = Arc::clone(want);
            }
        }
    }
}

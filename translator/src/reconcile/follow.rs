//! Keeps an `Actual` current from the server's change feed (`GET /changes`), so a daemon reads
//! the whole topology once and then only what changed: anyone else's writes, and its own when
//! it cannot take them from its plan (the engine does that when the feed's summary shows that
//! nobody else wrote meanwhile, see `engine`).
//!
//! Contract of `follow`: after it, `actual` equals what `actual::read` would return, provided
//! it did before and `changes` are every change since then. Objects the feed carries whole
//! (routers, bridges, ports, routes, chains, groups, BGP) are taken from it; what hangs inside
//! a store object and is not in the feed (a chain's rule order, a group's addresses or
//! members, a DHCP subnet's hosts) is fetched again for the changed parents only. ARP and MAC
//! entries are not in the feed at all: the caller records its own writes of them
//! (`Actual` keeps the plan's) and a full read catches anyone else's.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use midonet_client::{Change, ClientError, MidonetClient, SubnetKey};
use serde::de::DeserializeOwned;
use topology::{
    BgpNetwork, BgpPeer, Bridge, Chain, Class, IpAddrGroup, Port, PortGroup, Route, Router,
};
use uuid::Uuid;

use super::actual::{
    add_port, is_static, is_translators, put_dhcp_hosts, put_members, remove_members, run, Read,
};
use super::Actual;
use crate::desired::{DesiredChain, DesiredIpAddrGroup, DesiredPortGroup};

/// What a `follow` saw: the ids of the translator's objects that changed (parents for the
/// members fetched again), and whether hosts or tunnel zones changed (bindings may move).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Followed {
    pub touched: BTreeSet<Uuid>,
    pub hosts_changed: bool,
}

/// Applies `changes` to `actual`; see the module's contract. A failed fetch leaves `actual`
/// partly updated: the caller must read in full again.
pub async fn follow(
    client: &MidonetClient,
    actual: &mut Actual,
    tenant: &str,
    changes: &[Change],
) -> Result<Followed, ClientError> {
    let mut seen = Followed::default();
    let mut refetch = Refetch::default();
    // The feed holds each object once, at its last revision, so a router written after its
    // ports (its port list changed) comes after them: take parents first.
    let parents_first = |c: &&Change| match Class::from_name(&c.class) {
        Some(Class::Router | Class::Network | Class::Chain) => 0,
        _ => 1,
    };
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by_key(parents_first);
    // A deleted rule's entry carries no object to name its chain: look it up in what we
    // had, once per call rather than a walk over every rule per deletion.
    let deleted_rules = changes
        .iter()
        .any(|c| c.deleted && Class::from_name(&c.class) == Some(Class::Rule));
    let chain_of_rule: HashMap<Uuid, Uuid> = if deleted_rules {
        actual
            .chains
            .values()
            .flat_map(|ch| ch.rules.iter().map(|r| (r.id, ch.chain.id)))
            .collect()
    } else {
        HashMap::new()
    };
    for change in ordered {
        take(
            actual,
            tenant,
            change,
            &chain_of_rule,
            &mut seen,
            &mut refetch,
        );
    }
    refetch.run(client, actual).await?;
    Ok(seen)
}

/// Parents whose members must be fetched again.
#[derive(Default)]
struct Refetch {
    rules: BTreeSet<Uuid>,
    addrs: BTreeSet<Uuid>,
    members: BTreeSet<Uuid>,
    dhcp_of_bridges: BTreeSet<Uuid>,
    dhcp_hosts: BTreeSet<Uuid>,
}

fn parse<T: DeserializeOwned>(change: &Change) -> Option<T> {
    serde_json::from_value(change.object.clone()?).ok()
}

fn owned_by(tenant: &str, of: &Option<String>) -> bool {
    of.as_deref() == Some(tenant)
}

fn take(
    actual: &mut Actual,
    tenant: &str,
    c: &Change,
    chain_of_rule: &HashMap<Uuid, Uuid>,
    seen: &mut Followed,
    todo: &mut Refetch,
) {
    let id = c.id;
    let mut touched = true;
    match Class::from_name(&c.class) {
        Some(Class::Router) => {
            match parse::<Router>(c).filter(|r| owned_by(tenant, &r.tenant_id)) {
                Some(router) if !c.deleted => {
                    actual.routers.insert(id, router.into());
                }
                _ => touched = remove_device(actual, id),
            }
        }
        Some(Class::Network) => match parse::<Bridge>(c).filter(|b| owned_by(tenant, &b.tenant_id))
        {
            Some(bridge) if !c.deleted => {
                actual.bridges.insert(id, bridge.into());
                todo.dhcp_of_bridges.insert(id);
            }
            _ => touched = remove_device(actual, id),
        },
        Some(Class::Port) => match parse::<Port>(c) {
            Some(port) if !c.deleted && port.device_id.is_some_and(|d| is_device(actual, d)) => {
                add_port(actual, port)
            }
            _ => touched = actual.ports.remove(&id).is_some(),
        },
        Some(Class::Route) => match parse::<Route>(c) {
            Some(route)
                if !c.deleted
                    && is_static(&route)
                    && route
                        .router_id
                        .is_some_and(|r| actual.routers.contains_key(&r)) =>
            {
                actual.routes.insert(id, route.into());
            }
            _ => touched = actual.routes.remove(&id).is_some(),
        },
        Some(Class::Chain) => {
            match parse::<Chain>(c).filter(|ch| owned_by(tenant, &ch.tenant_id)) {
                Some(chain) if !c.deleted => {
                    let entry = actual.chains.entry(id).or_insert_with(|| {
                        let rules = Vec::new();
                        let chain = chain.clone();
                        DesiredChain { chain, rules }.into()
                    });
                    Arc::make_mut(entry).chain = chain;
                    todo.rules.insert(id);
                }
                _ => touched = actual.chains.remove(&id).is_some(),
            }
        }
        Some(Class::Rule) => {
            let chain = parse::<topology::Rule>(c)
                .and_then(|r| r.chain_id)
                .or_else(|| chain_of_rule.get(&id).copied());
            match chain.filter(|ch| actual.chains.contains_key(ch)) {
                Some(chain) => {
                    todo.rules.insert(chain);
                    seen.touched.insert(chain);
                }
                None => touched = false,
            }
        }
        Some(Class::IpAddrGroup) => match parse::<IpAddrGroup>(c).filter(is_translators) {
            Some(group) if !c.deleted => {
                let entry = actual.ip_addr_groups.entry(id).or_insert_with(|| {
                    let (group, addrs) = (group.clone(), Default::default());
                    DesiredIpAddrGroup { group, addrs }.into()
                });
                Arc::make_mut(entry).group = group;
                todo.addrs.insert(id);
            }
            _ => touched = actual.ip_addr_groups.remove(&id).is_some(),
        },
        Some(Class::PortGroup) => {
            match parse::<PortGroup>(c).filter(|g| owned_by(tenant, &g.tenant_id)) {
                Some(group) if !c.deleted => {
                    let entry = actual.port_groups.entry(id).or_insert_with(|| {
                        let (group, ports) = (group.clone(), Default::default());
                        DesiredPortGroup { group, ports }.into()
                    });
                    Arc::make_mut(entry).group = group;
                    todo.members.insert(id);
                }
                _ => touched = actual.port_groups.remove(&id).is_some(),
            }
        }
        Some(Class::Dhcp) => {
            // The feed's DHCP object hides its bridge; the translator's ones are known by id,
            // and a new one comes with its bridge's change.
            if c.deleted {
                touched = actual.dhcp_subnets.remove(&id).is_some();
                remove_members(&mut actual.dhcp_hosts, id, |h| h.dhcp_subnet);
            } else if actual.dhcp_subnets.contains_key(&id) {
                todo.dhcp_hosts.insert(id);
            } else {
                touched = false;
            }
        }
        Some(Class::BgpPeer) => match parse::<BgpPeer>(c) {
            Some(peer)
                if !c.deleted
                    && peer
                        .router_id
                        .is_some_and(|r| actual.routers.contains_key(&r)) =>
            {
                actual.bgp_peers.insert(id, peer.into());
            }
            _ => touched = actual.bgp_peers.remove(&id).is_some(),
        },
        Some(Class::BgpNetwork) => match parse::<BgpNetwork>(c) {
            Some(net)
                if !c.deleted
                    && net
                        .router_id
                        .is_some_and(|r| actual.routers.contains_key(&r)) =>
            {
                actual.bgp_networks.insert(id, net.into());
            }
            _ => touched = actual.bgp_networks.remove(&id).is_some(),
        },
        Some(Class::Host | Class::TunnelZone) => {
            seen.hosts_changed = true;
            touched = false;
        }
        _ => touched = false,
    }
    if touched {
        seen.touched.insert(id);
    }
}

fn is_device(actual: &Actual, id: Uuid) -> bool {
    actual.routers.contains_key(&id) || actual.bridges.contains_key(&id)
}

/// Removes a router or bridge and what MidoNet deletes with it; whether it was there.
fn remove_device(actual: &mut Actual, id: Uuid) -> bool {
    let was = actual.routers.remove(&id).is_some() | actual.bridges.remove(&id).is_some();
    if was {
        actual.ports.retain(|_, p| p.port.device_id != Some(id));
        actual.routes.retain(|_, r| r.router_id != Some(id));
        actual.bgp_peers.retain(|_, p| p.router_id != Some(id));
        actual.bgp_networks.retain(|_, n| n.router_id != Some(id));
        actual.dhcp_subnets.retain(|_, s| s.bridge != id);
        actual.dhcp_hosts.retain(|_, h| h.bridge != id);
        remove_members(&mut actual.ip4_macs, id, |e| e.bridge);
        remove_members(&mut actual.mac_ports, id, |e| e.bridge);
    }
    was
}

impl Refetch {
    async fn run(self, client: &MidonetClient, actual: &mut Actual) -> Result<(), ClientError> {
        let mut reads: Vec<Read> = Vec::new();
        reads.extend(
            self.rules
                .iter()
                .filter(|c| actual.chains.contains_key(c))
                .map(|&c| Read::Rules(c)),
        );
        reads.extend(
            self.addrs
                .iter()
                .filter(|g| actual.ip_addr_groups.contains_key(g))
                .map(|&g| Read::Addrs(g)),
        );
        reads.extend(
            self.members
                .iter()
                .filter(|g| actual.port_groups.contains_key(g))
                .map(|&g| Read::Members(g)),
        );
        reads.extend(
            self.dhcp_of_bridges
                .iter()
                .filter(|b| actual.bridges.contains_key(b))
                .map(|&b| Read::DhcpSubnets(b)),
        );
        let mut hosts: BTreeSet<Uuid> = self.dhcp_hosts;
        for read in run(client, reads).await? {
            match read {
                Read::DhcpSubnetsOf(bridge, list) => {
                    let mut now = BTreeSet::new();
                    for subnet in list {
                        let id = topology::DhcpSubnet::object_id(bridge, &subnet.key());
                        now.insert(id);
                        if !actual.dhcp_subnets.contains_key(&id) {
                            hosts.insert(id);
                        }
                        let entry = crate::desired::DesiredDhcpSubnet { bridge, subnet };
                        actual.dhcp_subnets.insert(id, entry.into());
                    }
                    let gone: Vec<Uuid> = actual
                        .dhcp_subnets
                        .iter()
                        .filter(|(id, s)| s.bridge == bridge && !now.contains(id))
                        .map(|(id, _)| *id)
                        .collect();
                    for id in gone {
                        actual.dhcp_subnets.remove(&id);
                        remove_members(&mut actual.dhcp_hosts, id, |h| h.dhcp_subnet);
                    }
                }
                members => put_members(actual, members),
            }
        }
        let host_reads: Vec<Read> = hosts
            .iter()
            .filter_map(|id| {
                let s = actual.dhcp_subnets.get(id)?;
                Some(Read::DhcpHosts(s.bridge, *id, SubnetKey::from(&s.subnet)))
            })
            .collect();
        for read in run(client, host_reads).await? {
            if let Read::DhcpHostsOf(bridge, dhcp_subnet, list) = read {
                remove_members(&mut actual.dhcp_hosts, dhcp_subnet, |h| h.dhcp_subnet);
                put_dhcp_hosts(actual, bridge, dhcp_subnet, list);
            }
        }
        Ok(())
    }
}

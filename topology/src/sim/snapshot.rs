//! Holds what a packet walk reads, compiled from plain topology objects: devices, ports with
//! their links, bindings and filters, chains with ordered rules, routes, IP address groups,
//! port groups, DHCP subnets and hosts, ARP and MAC tables. Every reference is resolved to an
//! index once, here, so a walk does no parsing and few lookups.
//!
//! Fill a `SnapshotBuilder` from anything that holds the objects (the translator's desired
//! topology, a store's contents) and call `build`. Like the MidoNet server, `build` adds each
//! router port's `Local` route when the input lacks it; it refuses references to objects it
//! was not given (a port on a missing device, a filter or jump to a missing chain), naming them.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use uuid::Uuid;

use super::conditions::{Compiled, Index, Predicate, Prefix, Resolver, NONE};
use super::fast_hash::{FastMap, FastSet};
use super::packet::Mac;
use crate::{
    parse_mac, Bridge, Chain, DhcpHost, DhcpSubnet, FlowAction, Ip4Mac, MacPort, NatTarget, Port,
    PortType, Route, RouteType, Router, Rule, RuleType,
};

/// Why objects cannot make a snapshot; each message names the object and what it lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    #[error("port {port}: device {device} is not in the snapshot")]
    PortDevice { port: Uuid, device: Uuid },
    #[error("port {port}: has no device")]
    PortWithoutDevice { port: Uuid },
    #[error("{owner}: filter chain {chain} is not in the snapshot")]
    Filter { owner: Uuid, chain: Uuid },
    #[error("chain {chain}: rule {rule} jumps to chain {target}, which is not in the snapshot")]
    Jump {
        chain: Uuid,
        rule: Uuid,
        target: Uuid,
    },
    #[error("chain {chain}: rule {rule} is a jump without jumpChainId")]
    JumpWithoutTarget { chain: Uuid, rule: Uuid },
    #[error("route {route}: router {router} is not in the snapshot")]
    RouteRouter { route: Uuid, router: Uuid },
    #[error("bridge {bridge}: {what} refers to a bridge not in the snapshot")]
    Bridge { bridge: Uuid, what: &'static str },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Router,
    Bridge,
}

/// A device as a walk sees it; router-only and bridge-only parts are empty on the other kind.
#[derive(Debug)]
pub(crate) struct Device {
    pub id: Uuid,
    pub name: Option<String>,
    pub kind: DeviceKind,
    pub admin_up: bool,
    /// Router: [localRedirectChainId, inboundFilterId]; bridge: [inboundFilterId].
    pub inbound: Vec<Index>,
    /// Router: [forwardChainId, outboundFilterId]; bridge: [outboundFilterId].
    pub outbound: Vec<Index>,
    pub ports: Vec<Index>,
    /// Bridge: MAC -> port (the API-seeded MAC table).
    pub mac_table: FastMap<Mac, Index>,
    /// Bridge: IP -> MAC from the ARP table, DHCP hosts and peer router ports.
    pub arp: FastMap<Ipv4Addr, Mac>,
    /// Bridge: MAC of a peer router port -> the interior bridge port linked to it.
    pub router_macs: FastMap<Mac, Index>,
    /// Bridge: DHCP subnets with their static hosts.
    pub dhcp: Vec<DhcpService>,
    /// Router: routes grouped by destination prefix length, longest first.
    pub routes: Vec<(u8, FastMap<u32, Vec<RouteEntry>>)>,
    /// Router: the router's own ARP table (learned in MidoNet; seeded here).
    pub router_arp: FastMap<Ipv4Addr, Mac>,
}

#[derive(Debug)]
pub(crate) struct DhcpService {
    pub subnet: DhcpSubnet,
    pub prefix: Prefix,
    pub hosts: FastMap<Mac, DhcpHost>,
}

#[derive(Debug, Clone)]
pub(crate) struct RouteEntry {
    pub id: Uuid,
    pub src: Prefix,
    pub dst: Prefix,
    pub dst_len: u8,
    pub port: Option<Index>,
    pub gateway: Option<Ipv4Addr>,
    pub weight: i32,
    pub kind: RouteType,
}

#[derive(Debug)]
pub(crate) struct PortEntry {
    pub id: Uuid,
    pub device: Index,
    pub kind: PortType,
    pub admin_up: bool,
    pub inbound: Option<Index>,
    pub outbound: Option<Index>,
    pub peer: Option<Index>,
    pub host: Option<Uuid>,
    pub interface: Option<String>,
    pub address: Option<Ipv4Addr>,
    pub network: Option<Prefix>,
    pub mac: Option<Mac>,
    pub groups: Vec<Index>,
}

impl PortEntry {
    pub fn is_exterior(&self) -> bool {
        self.host.is_some() && self.interface.is_some()
    }
}

#[derive(Debug)]
pub(crate) struct ChainEntry {
    pub id: Uuid,
    pub name: Option<String>,
    pub rules: Vec<RuleEntry>,
}

#[derive(Debug)]
pub(crate) struct RuleEntry {
    pub id: Uuid,
    pub kind: RuleType,
    pub condition: Compiled,
    /// The jump target; `conditions::NONE` unless a jump.
    pub jump: Index,
    pub flow_action: FlowAction,
    pub targets: Box<[NatTarget]>,
    /// Forward NAT whose targets all keep ports: a stateless 1:1 rewrite (floating IP).
    pub static_nat: bool,
}

/// The compiled topology a walk reads; immutable, shareable between threads.
#[derive(Debug)]
pub struct Snapshot {
    pub(crate) devices: Vec<Device>,
    pub(crate) ports: Vec<PortEntry>,
    pub(crate) chains: Vec<ChainEntry>,
    /// Every rule's predicates, chain by chain (`Compiled` holds ranges into it).
    pub(crate) predicates: Vec<Predicate>,
    pub(crate) ip_groups: Vec<FastSet<Ipv4Addr>>,
    pub(crate) port_index: FastMap<Uuid, Index>,
    pub(crate) device_index: FastMap<Uuid, Index>,
    pub(crate) names: HashMap<Uuid, String>,
}

/// Plain topology objects, gathered for `build`.
#[derive(Debug, Default, Clone)]
pub struct SnapshotBuilder {
    pub(crate) routers: Vec<Router>,
    pub(crate) bridges: Vec<Bridge>,
    pub(crate) ports: Vec<Port>,
    pub(crate) chains: Vec<(Chain, Vec<Rule>)>,
    pub(crate) routes: Vec<Route>,
    pub(crate) ip_groups: Vec<(Uuid, Option<String>, Vec<IpAddr>)>,
    pub(crate) port_groups: Vec<(Uuid, Option<String>, Vec<Uuid>)>,
    pub(crate) dhcp_subnets: Vec<(Uuid, DhcpSubnet)>,
    pub(crate) dhcp_hosts: Vec<(Uuid, DhcpHost)>,
    pub(crate) arp: Vec<(Uuid, Ip4Mac)>,
    pub(crate) macs: Vec<(Uuid, MacPort)>,
    pub(crate) router_arp: Vec<(Uuid, Ipv4Addr, Mac)>,
    pub(crate) names: Vec<(Uuid, String)>,
}

impl SnapshotBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn router(&mut self, r: Router) -> &mut Self {
        self.routers.push(r);
        self
    }

    pub fn bridge(&mut self, b: Bridge) -> &mut Self {
        self.bridges.push(b);
        self
    }

    /// A port as stored: `peerId` links it, `hostId` + `interfaceName` bind it.
    pub fn port(&mut self, p: Port) -> &mut Self {
        self.ports.push(p);
        self
    }

    /// A chain and its rules in chain order (`position` is not read).
    pub fn chain(&mut self, c: Chain, rules: Vec<Rule>) -> &mut Self {
        self.chains.push((c, rules));
        self
    }

    pub fn route(&mut self, r: Route) -> &mut Self {
        self.routes.push(r);
        self
    }

    pub fn ip_addr_group(
        &mut self,
        id: Uuid,
        name: Option<String>,
        addrs: Vec<IpAddr>,
    ) -> &mut Self {
        self.ip_groups.push((id, name, addrs));
        self
    }

    pub fn port_group(&mut self, id: Uuid, name: Option<String>, ports: Vec<Uuid>) -> &mut Self {
        self.port_groups.push((id, name, ports));
        self
    }

    pub fn dhcp_subnet(&mut self, bridge: Uuid, s: DhcpSubnet) -> &mut Self {
        self.dhcp_subnets.push((bridge, s));
        self
    }

    /// A static DHCP host of `bridge`; it joins the bridge's subnet holding its address.
    pub fn dhcp_host(&mut self, bridge: Uuid, h: DhcpHost) -> &mut Self {
        self.dhcp_hosts.push((bridge, h));
        self
    }

    pub fn arp_entry(&mut self, bridge: Uuid, e: Ip4Mac) -> &mut Self {
        self.arp.push((bridge, e));
        self
    }

    pub fn mac_entry(&mut self, bridge: Uuid, e: MacPort) -> &mut Self {
        self.macs.push((bridge, e));
        self
    }

    /// An entry of a router's ARP table, which MidoNet learns from the wire (e.g. the
    /// upstream router behind a gateway port); without it that next hop stays unresolved.
    pub fn router_arp_entry(&mut self, router: Uuid, ip: Ipv4Addr, mac: Mac) -> &mut Self {
        self.router_arp.push((router, ip, mac));
        self
    }

    /// A display name for an object without one (a port, a rule), used in rendered traces.
    pub fn name(&mut self, id: Uuid, name: String) -> &mut Self {
        self.names.push((id, name));
        self
    }

    pub fn build(&self) -> Result<Snapshot, SnapshotError> {
        let mut names: HashMap<Uuid, String> = self.names.iter().cloned().collect();
        let mut devices = Vec::new();
        let mut device_index = FastMap::default();
        for r in &self.routers {
            device_index.insert(r.id, devices.len() as Index);
            devices.push(Device::new(
                r.id,
                r.name.clone(),
                DeviceKind::Router,
                r.admin_state_up,
            ));
        }
        for b in &self.bridges {
            device_index.insert(b.id, devices.len() as Index);
            devices.push(Device::new(
                b.id,
                b.name.clone(),
                DeviceKind::Bridge,
                b.admin_state_up,
            ));
        }
        for d in &devices {
            if let Some(n) = &d.name {
                names.entry(d.id).or_insert_with(|| n.clone());
            }
        }
        let chain_index: FastMap<Uuid, Index> = self
            .chains
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (c.id, i as Index))
            .collect();
        let port_index: FastMap<Uuid, Index> = self
            .ports
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id, i as Index))
            .collect();
        let ip_index: FastMap<Uuid, Index> = self
            .ip_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.0, i as Index))
            .collect();
        let pg_index: FastMap<Uuid, Index> = self
            .port_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (g.0, i as Index))
            .collect();
        for (id, name, _) in self.ip_groups.iter().chain(&self.port_groups_as_groups()) {
            if let Some(n) = name {
                names.entry(*id).or_insert_with(|| n.clone());
            }
        }

        let filter = |owner: Uuid, chain: Option<Uuid>| -> Result<Option<Index>, SnapshotError> {
            chain
                .map(|c| {
                    chain_index
                        .get(&c)
                        .copied()
                        .ok_or(SnapshotError::Filter { owner, chain: c })
                })
                .transpose()
        };
        for r in &self.routers {
            let d = &mut devices[device_index[&r.id] as usize];
            d.inbound = [
                filter(r.id, r.local_redirect_chain_id)?,
                filter(r.id, r.inbound_filter_id)?,
            ]
            .into_iter()
            .flatten()
            .collect();
            d.outbound = [
                filter(r.id, r.forward_chain_id)?,
                filter(r.id, r.outbound_filter_id)?,
            ]
            .into_iter()
            .flatten()
            .collect();
        }
        for b in &self.bridges {
            let d = &mut devices[device_index[&b.id] as usize];
            d.inbound = filter(b.id, b.inbound_filter_id)?.into_iter().collect();
            d.outbound = filter(b.id, b.outbound_filter_id)?.into_iter().collect();
        }

        let mut ports = Vec::with_capacity(self.ports.len());
        for p in &self.ports {
            let device_id = p
                .device_id
                .ok_or(SnapshotError::PortWithoutDevice { port: p.id })?;
            let device = *device_index
                .get(&device_id)
                .ok_or(SnapshotError::PortDevice {
                    port: p.id,
                    device: device_id,
                })?;
            devices[device as usize].ports.push(ports.len() as Index);
            ports.push(PortEntry {
                id: p.id,
                device,
                kind: p.port_type,
                admin_up: p.admin_state_up,
                inbound: filter(p.id, p.inbound_filter_id)?,
                outbound: filter(p.id, p.outbound_filter_id)?,
                peer: p.peer_id.and_then(|q| port_index.get(&q).copied()),
                host: p.host_id,
                interface: p.interface_name.clone(),
                address: p.port_address,
                network: p
                    .network_address
                    .map(|n| Prefix::new(n, p.network_length.unwrap_or(32))),
                mac: p.port_mac.as_deref().and_then(parse_mac),
                groups: Vec::new(),
            });
        }
        // A link stored on one side only still links both, as the store's binding would.
        for i in 0..ports.len() {
            if let Some(q) = ports[i].peer {
                if ports[q as usize].peer.is_none() {
                    ports[q as usize].peer = Some(i as Index);
                }
            }
        }
        for (g, (_, _, members)) in self.port_groups.iter().enumerate() {
            for m in members {
                if let Some(&p) = port_index.get(m) {
                    ports[p as usize].groups.push(g as Index);
                }
            }
        }

        let resolver = Resolver {
            ports: &port_index,
            devices: &device_index,
            ip_groups: &ip_index,
            port_groups: &pg_index,
        };
        let mut chains = Vec::with_capacity(self.chains.len());
        let mut predicates = Vec::new();
        for (c, rules) in &self.chains {
            if let Some(n) = &c.name {
                names.entry(c.id).or_insert_with(|| n.clone());
            }
            let mut entries = Vec::with_capacity(rules.len());
            for r in rules {
                let jump = match (r.rule_type, r.jump_chain_id) {
                    (RuleType::Jump, Some(t)) => {
                        *chain_index.get(&t).ok_or(SnapshotError::Jump {
                            chain: c.id,
                            rule: r.id,
                            target: t,
                        })?
                    }
                    (RuleType::Jump, None) => {
                        return Err(SnapshotError::JumpWithoutTarget {
                            chain: c.id,
                            rule: r.id,
                        })
                    }
                    _ => NONE,
                };
                let targets: Box<[NatTarget]> = r.nat_targets.clone().unwrap_or_default().into();
                let static_nat = !targets.is_empty()
                    && targets.iter().all(|t| t.port_from == 0 && t.port_to == 0);
                entries.push(RuleEntry {
                    id: r.id,
                    kind: r.rule_type,
                    condition: Compiled::new(&r.condition, &resolver, &mut predicates),
                    jump,
                    flow_action: r.flow_action.unwrap_or(FlowAction::Accept),
                    targets,
                    static_nat,
                });
            }
            chains.push(ChainEntry {
                id: c.id,
                name: c.name.clone(),
                rules: entries,
            });
        }

        let ip_groups = self
            .ip_groups
            .iter()
            .map(|(_, _, addrs)| {
                addrs
                    .iter()
                    .filter_map(|a| match a {
                        IpAddr::V4(v4) => Some(*v4),
                        IpAddr::V6(_) => None,
                    })
                    .collect()
            })
            .collect();

        self.fill_routes(&mut devices, &device_index, &ports, &port_index)?;
        self.fill_l2(&mut devices, &device_index, &ports, &port_index)?;

        Ok(Snapshot {
            devices,
            ports,
            chains,
            predicates,
            ip_groups,
            port_index,
            device_index,
            names,
        })
    }

    fn port_groups_as_groups(&self) -> Vec<(Uuid, Option<String>, Vec<IpAddr>)> {
        self.port_groups
            .iter()
            .map(|(id, n, _)| (*id, n.clone(), Vec::new()))
            .collect()
    }

    /// Installs routes as MidoNet's router does: only those of linked or bound ports (and the
    /// port-less blackhole/reject routes), plus each port's `Local` route.
    fn fill_routes(
        &self,
        devices: &mut [Device],
        device_index: &FastMap<Uuid, Index>,
        ports: &[PortEntry],
        port_index: &FastMap<Uuid, Index>,
    ) -> Result<(), SnapshotError> {
        let mut per_router: HashMap<Index, Vec<RouteEntry>> = HashMap::new();
        let mut has_local: HashSet<(Index, Ipv4Addr)> = HashSet::new();
        for r in &self.routes {
            let router_id = r.router_id.unwrap_or_default();
            let router = *device_index
                .get(&router_id)
                .ok_or(SnapshotError::RouteRouter {
                    route: r.id,
                    router: router_id,
                })?;
            let port = r.next_hop_port.and_then(|p| port_index.get(&p).copied());
            if matches!(r.route_type, RouteType::Normal | RouteType::Local) {
                let active = port.is_some_and(|p| {
                    let e = &ports[p as usize];
                    e.peer.is_some() || e.is_exterior()
                });
                if !active && r.route_type == RouteType::Normal {
                    continue;
                }
            }
            if r.route_type == RouteType::Local {
                if let Some(p) = port {
                    has_local.insert((p, r.dst_network_addr));
                }
            }
            per_router.entry(router).or_default().push(RouteEntry {
                id: r.id,
                src: Prefix::new(r.src_network_addr, r.src_network_length),
                dst: Prefix::new(r.dst_network_addr, r.dst_network_length),
                dst_len: r.dst_network_length.min(32),
                port,
                gateway: r
                    .next_hop_gateway
                    .filter(|g| !g.is_unspecified() && !g.is_broadcast()),
                weight: r.weight,
                kind: r.route_type,
            });
        }
        for (i, p) in ports.iter().enumerate() {
            let (PortType::Router, Some(addr)) = (p.kind, p.address) else {
                continue;
            };
            if has_local.contains(&(i as Index, addr)) {
                continue;
            }
            let local = Route::local(
                Uuid::new_v5(&p.id, b"local"),
                devices[p.device as usize].id,
                p.id,
                addr,
            );
            per_router.entry(p.device).or_default().push(RouteEntry {
                id: local.id,
                src: Prefix::new(Ipv4Addr::UNSPECIFIED, 0),
                dst: Prefix::new(addr, 32),
                dst_len: 32,
                port: Some(i as Index),
                gateway: None,
                weight: 0,
                kind: RouteType::Local,
            });
        }
        for (router, routes) in per_router {
            let mut by_len: HashMap<u8, FastMap<u32, Vec<RouteEntry>>> = HashMap::new();
            for r in routes {
                by_len
                    .entry(r.dst_len)
                    .or_default()
                    .entry(r.dst.net)
                    .or_default()
                    .push(r);
            }
            let mut table: Vec<_> = by_len.into_iter().collect();
            table.sort_by_key(|t| std::cmp::Reverse(t.0));
            devices[router as usize].routes = table;
        }
        for (router, ip, mac) in &self.router_arp {
            if let Some(&d) = device_index.get(router) {
                devices[d as usize].router_arp.insert(*ip, *mac);
            }
        }
        Ok(())
    }

    /// Bridge L2 state: MAC and ARP tables, DHCP, and what peer router ports make known.
    fn fill_l2(
        &self,
        devices: &mut [Device],
        device_index: &FastMap<Uuid, Index>,
        ports: &[PortEntry],
        port_index: &FastMap<Uuid, Index>,
    ) -> Result<(), SnapshotError> {
        let bridge = |id: Uuid, what| {
            device_index
                .get(&id)
                .copied()
                .filter(|d| devices[*d as usize].kind == DeviceKind::Bridge)
                .ok_or(SnapshotError::Bridge { bridge: id, what })
        };
        let mut arp = Vec::new();
        for (b, e) in &self.arp {
            if let Some(mac) = parse_mac(&e.mac) {
                arp.push((bridge(*b, "an ARP entry")?, e.ip, mac));
            }
        }
        let mut macs = Vec::new();
        for (b, e) in &self.macs {
            if let (Some(mac), Some(&port)) = (parse_mac(&e.mac_addr), port_index.get(&e.port_id)) {
                macs.push((bridge(*b, "a MAC entry")?, mac, port));
            }
        }
        let mut dhcp = Vec::new();
        for (b, s) in &self.dhcp_subnets {
            dhcp.push((bridge(*b, "a DHCP subnet")?, s.clone()));
        }
        let mut hosts = Vec::new();
        for (b, h) in &self.dhcp_hosts {
            hosts.push((bridge(*b, "a DHCP host")?, h.clone()));
        }
        for (d, ip, mac) in arp {
            devices[d as usize].arp.insert(ip, mac);
        }
        for (d, mac, port) in macs {
            devices[d as usize].mac_table.insert(mac, port);
        }
        for (d, s) in dhcp {
            devices[d as usize].dhcp.push(DhcpService {
                prefix: Prefix::new(s.subnet_prefix, s.subnet_length),
                subnet: s,
                hosts: FastMap::default(),
            });
        }
        for (d, h) in hosts {
            let Some(mac) = parse_mac(&h.mac_addr) else {
                continue;
            };
            let dev = &mut devices[d as usize];
            // The DHCP host is what the VM will answer ARP with, so it seeds the ARP table.
            dev.arp.entry(h.ip_addr).or_insert(mac);
            if let Some(s) = dev.dhcp.iter_mut().find(|s| s.prefix.contains(h.ip_addr)) {
                s.hosts.insert(mac, h);
            }
        }
        for (i, p) in ports.iter().enumerate() {
            if p.kind != PortType::Bridge {
                continue;
            }
            let Some(peer) = p.peer.map(|q| &ports[q as usize]) else {
                continue;
            };
            if peer.kind != PortType::Router {
                continue;
            }
            let dev = &mut devices[p.device as usize];
            if let Some(mac) = peer.mac {
                dev.router_macs.insert(mac, i as Index);
                if let Some(addr) = peer.address {
                    dev.arp.insert(addr, mac);
                }
            }
        }
        Ok(())
    }
}

impl Device {
    fn new(id: Uuid, name: Option<String>, kind: DeviceKind, admin_up: bool) -> Self {
        Device {
            id,
            name,
            kind,
            admin_up,
            inbound: Vec::new(),
            outbound: Vec::new(),
            ports: Vec::new(),
            mac_table: FastMap::default(),
            arp: FastMap::default(),
            router_macs: FastMap::default(),
            dhcp: Vec::new(),
            routes: Vec::new(),
            router_arp: FastMap::default(),
        }
    }
}

impl Snapshot {
    /// The name of an object for display: its own name, or one given to the builder, or its id.
    pub fn name_of(&self, id: Uuid) -> String {
        self.names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    pub fn has_port(&self, id: Uuid) -> bool {
        self.port_index.contains_key(&id)
    }

    /// The device owning port `id`.
    pub fn device_of_port(&self, id: Uuid) -> Option<Uuid> {
        let p = self.port_index.get(&id)?;
        Some(self.devices[self.ports[*p as usize].device as usize].id)
    }

    /// The exterior port bound to `interface` (e.g. `vn_i-1a2b3c4d`), on any host.
    pub fn port_bound_to(&self, interface: &str) -> Option<Uuid> {
        self.ports
            .iter()
            .find(|p| p.interface.as_deref() == Some(interface))
            .map(|p| p.id)
    }

    /// Router port `id`'s MAC, if it is a router port with one.
    pub fn port_mac(&self, id: Uuid) -> Option<Mac> {
        self.ports[*self.port_index.get(&id)? as usize].mac
    }

    /// The MAC a host behind bridge port `port` would send an IPv4 packet for `dst` to, the way
    /// its own ARP would find it: `dst` itself inside the port's DHCP subnet, else the subnet's
    /// default gateway; resolved through the bridge's ARP knowledge (ARP table, DHCP hosts,
    /// peer router ports). `None` when the bridge cannot tell.
    pub fn l2_next_hop(&self, port: Uuid, dst: Ipv4Addr) -> Option<Mac> {
        let p = &self.ports[*self.port_index.get(&port)? as usize];
        let bridge = &self.devices[p.device as usize];
        let hop = match bridge.dhcp.iter().find(|s| s.prefix.contains(dst)) {
            Some(_) => dst,
            None => bridge.dhcp.iter().find_map(|s| s.subnet.default_gateway)?,
        };
        bridge.arp.get(&hop).copied()
    }

    pub fn chain_id_by_name(&self, name: &str) -> Option<Uuid> {
        self.chains
            .iter()
            .find(|c| c.name.as_deref() == Some(name))
            .map(|c| c.id)
    }

    /// The device named `name` (e.g. `eucart`).
    pub fn device_by_name(&self, name: &str) -> Option<Uuid> {
        self.devices
            .iter()
            .find(|d| d.name.as_deref() == Some(name))
            .map(|d| d.id)
    }

    /// Whether the snapshot holds device `id`.
    pub fn has_device(&self, id: Uuid) -> bool {
        self.device_index.contains_key(&id)
    }
}

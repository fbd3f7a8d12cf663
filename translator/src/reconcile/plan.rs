//! Computes the ordered operations that turn the actual topology into the desired one: a pure
//! function, `plan`, over two values of the same shape, with no I/O.
//!
//! Contract of `plan`: every operation names its object (the desired key, or a description of
//! an actual object the translator no longer wants) and its origin, and carries its dependency
//! `Level`; operations are sorted by level, so parents are created before children
//! (chains, IP address groups, port groups -> routers, bridges -> ports -> links, bindings,
//! routes, table entries -> rules, DHCP hosts), then objects are updated, then deleted children
//! first. Only fields the translator sets are compared, so server-filled ones (`tunnelKey`,
//! `active`, a bridge port's `vlanId` 0, a generated `portMac`) never cause an update.
//! Immutable objects (rules, routes, BGP networks, chains) change by delete + create; a chain
//! whose rule list differs is rebuilt (its rules deleted, the desired ones created in order),
//! and only that chain. Children that MidoNet deletes with their parent (a router's ports and
//! routes, a chain's rules, a bridge's DHCP and tables) get no delete of their own. Equal
//! inputs give an empty plan.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use midonet_client::SubnetKey;
use topology::{
    BgpNetwork, BgpPeer, Bridge, Chain, DhcpHost, DhcpSubnet, Ip4Mac, IpAddrGroup, MacPort, Port,
    PortGroup, Route, Router, Rule,
};
use uuid::Uuid;

use super::Actual;
use crate::desired::{Binding, Desired, DesiredIp4Mac, DesiredMacPort, Objects, Origin};

/// When an operation runs: every operation of a level runs after every operation of the levels
/// before it, so an operation only needs what earlier levels make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Makes room: unlinks, unbinds, the rules of chains being rebuilt, replaced immutable
    /// objects and table entries, which would otherwise conflict with what is created next.
    Detach,
    /// Chains, IP address groups, port groups: what devices and rules refer to.
    Groups,
    /// Routers and bridges (their filters are chains).
    Devices,
    Ports,
    /// Links, bindings, routes, BGP, DHCP subnets, group members, ARP and MAC entries.
    Wiring,
    /// Rules (they refer to chains, groups and ports) and DHCP hosts (under their subnet).
    Rules,
    Update,
    /// Deletes of children whose parent stays: routes, members, addresses, DHCP hosts, BGP.
    DeleteEntries,
    DeleteDhcp,
    DeletePorts,
    DeleteDevices,
    DeleteGroups,
}

/// Whether an operation adds, changes or removes something, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Update,
    Delete,
}

/// One request's worth of change, with what the request needs. Objects are shared with the
/// desired topology or boxed, so that an operation stays small: a first plan holds hundreds of
/// thousands.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    CreateChain(Box<Chain>),
    DeleteChain(Uuid),
    /// Inserts `rule` into `chain` at `rule.position`.
    CreateRule {
        chain: Uuid,
        rule: Arc<Rule>,
    },
    DeleteRule(Uuid),
    CreateIpAddrGroup(Box<IpAddrGroup>),
    DeleteIpAddrGroup(Uuid),
    AddAddr {
        group: Uuid,
        addr: IpAddr,
    },
    RemoveAddr {
        group: Uuid,
        addr: IpAddr,
    },
    CreatePortGroup(Box<PortGroup>),
    UpdatePortGroup(Box<PortGroup>),
    DeletePortGroup(Uuid),
    AddMember {
        group: Uuid,
        port: Uuid,
    },
    RemoveMember {
        group: Uuid,
        port: Uuid,
    },
    CreateRouter(Arc<Router>),
    UpdateRouter(Arc<Router>),
    DeleteRouter(Uuid),
    CreateBridge(Arc<Bridge>),
    UpdateBridge(Arc<Bridge>),
    DeleteBridge(Uuid),
    /// A router or bridge port, by `port_type`, on `device_id`.
    CreatePort(Box<Port>),
    UpdatePort(Box<Port>),
    DeletePort(Uuid),
    Link {
        port: Uuid,
        peer: Uuid,
    },
    Unlink {
        port: Uuid,
    },
    Bind {
        port: Uuid,
        binding: Binding,
    },
    Unbind {
        port: Uuid,
        host: Uuid,
    },
    CreateRoute(Arc<Route>),
    DeleteRoute(Uuid),
    CreateDhcpSubnet {
        bridge: Uuid,
        subnet: Box<DhcpSubnet>,
    },
    UpdateDhcpSubnet {
        bridge: Uuid,
        subnet: Box<DhcpSubnet>,
    },
    DeleteDhcpSubnet {
        bridge: Uuid,
        key: SubnetKey,
    },
    CreateDhcpHost {
        bridge: Uuid,
        subnet: SubnetKey,
        host: Box<DhcpHost>,
    },
    UpdateDhcpHost {
        bridge: Uuid,
        subnet: SubnetKey,
        host: Box<DhcpHost>,
    },
    DeleteDhcpHost {
        bridge: Uuid,
        subnet: SubnetKey,
        mac: String,
    },
    AddArpEntry {
        bridge: Uuid,
        entry: Ip4Mac,
    },
    DeleteArpEntry {
        bridge: Uuid,
        entry: Ip4Mac,
    },
    AddMacEntry {
        bridge: Uuid,
        entry: MacPort,
    },
    DeleteMacEntry {
        bridge: Uuid,
        entry: MacPort,
    },
    CreateBgpPeer(Arc<BgpPeer>),
    UpdateBgpPeer(Arc<BgpPeer>),
    DeleteBgpPeer(Uuid),
    CreateBgpNetwork(Arc<BgpNetwork>),
    DeleteBgpNetwork(Uuid),
}

impl Change {
    pub fn action(&self) -> Action {
        use Change::*;
        match self {
            CreateChain(_)
            | CreateRule { .. }
            | CreateIpAddrGroup(_)
            | AddAddr { .. }
            | CreatePortGroup(_)
            | AddMember { .. }
            | CreateRouter(_)
            | CreateBridge(_)
            | CreatePort(_)
            | Link { .. }
            | Bind { .. }
            | CreateRoute(_)
            | CreateDhcpSubnet { .. }
            | CreateDhcpHost { .. }
            | AddArpEntry { .. }
            | AddMacEntry { .. }
            | CreateBgpPeer(_)
            | CreateBgpNetwork(_) => Action::Create,
            UpdatePortGroup(_)
            | UpdateRouter(_)
            | UpdateBridge(_)
            | UpdatePort(_)
            | UpdateDhcpSubnet { .. }
            | UpdateDhcpHost { .. }
            | UpdateBgpPeer(_) => Action::Update,
            _ => Action::Delete,
        }
    }

    /// The parent whose list of children the request edits, when the change names it.
    fn parent(&self) -> Option<Uuid> {
        use Change::*;
        match self {
            CreateRule { chain, .. } => Some(*chain),
            AddAddr { group, .. }
            | RemoveAddr { group, .. }
            | AddMember { group, .. }
            | RemoveMember { group, .. } => Some(*group),
            CreatePort(p) => p.device_id,
            CreateRoute(r) => r.router_id,
            CreateBgpPeer(b) => b.router_id,
            CreateBgpNetwork(b) => b.router_id,
            CreateDhcpSubnet { bridge, .. }
            | UpdateDhcpSubnet { bridge, .. }
            | DeleteDhcpSubnet { bridge, .. }
            | CreateDhcpHost { bridge, .. }
            | UpdateDhcpHost { bridge, .. }
            | DeleteDhcpHost { bridge, .. }
            | AddArpEntry { bridge, .. }
            | DeleteArpEntry { bridge, .. }
            | AddMacEntry { bridge, .. }
            | DeleteMacEntry { bridge, .. } => Some(*bridge),
            _ => None,
        }
    }

    /// What the request does, as a verb and noun: `create router`, `add address 10.0.0.5 to`.
    fn phrase(&self) -> String {
        use Change::*;
        let s = |t: &str| t.to_owned();
        match self {
            CreateChain(_) => s("create chain"),
            DeleteChain(_) => s("delete chain"),
            CreateRule { rule, .. } => format!("create rule {} of", rule.position),
            DeleteRule(_) => s("delete rule"),
            CreateIpAddrGroup(_) => s("create ip_addr_group"),
            DeleteIpAddrGroup(_) => s("delete ip_addr_group"),
            AddAddr { addr, .. } => format!("add address {addr} to ip_addr_group"),
            RemoveAddr { addr, .. } => format!("remove address {addr} from ip_addr_group"),
            CreatePortGroup(_) => s("create port_group"),
            UpdatePortGroup(_) => s("update port_group"),
            DeletePortGroup(_) => s("delete port_group"),
            AddMember { .. } => s("add port_group member"),
            RemoveMember { .. } => s("remove port_group member"),
            CreateRouter(_) => s("create router"),
            UpdateRouter(_) => s("update router"),
            DeleteRouter(_) => s("delete router"),
            CreateBridge(_) => s("create bridge"),
            UpdateBridge(_) => s("update bridge"),
            DeleteBridge(_) => s("delete bridge"),
            CreatePort(_) => s("create port"),
            UpdatePort(_) => s("update port"),
            DeletePort(_) => s("delete port"),
            Link { .. } => s("link port"),
            Unlink { .. } => s("unlink port"),
            Bind { binding, .. } => format!(
                "bind (host {} interface {}) port",
                binding.host_id, binding.interface_name
            ),
            Unbind { host, .. } => format!("unbind (host {host}) port"),
            CreateRoute(_) => s("create route"),
            DeleteRoute(_) => s("delete route"),
            CreateDhcpSubnet { .. } => s("create dhcp_subnet"),
            UpdateDhcpSubnet { .. } => s("update dhcp_subnet"),
            DeleteDhcpSubnet { .. } => s("delete dhcp_subnet"),
            CreateDhcpHost { .. } => s("create dhcp_host"),
            UpdateDhcpHost { .. } => s("update dhcp_host"),
            DeleteDhcpHost { .. } => s("delete dhcp_host"),
            AddArpEntry { .. } => s("add arp_entry"),
            DeleteArpEntry { .. } => s("delete arp_entry"),
            AddMacEntry { .. } => s("add mac_entry"),
            DeleteMacEntry { .. } => s("delete mac_entry"),
            CreateBgpPeer(_) => s("create bgp_peer"),
            UpdateBgpPeer(_) => s("update bgp_peer"),
            DeleteBgpPeer(_) => s("delete bgp_peer"),
            CreateBgpNetwork(_) => s("create bgp_network"),
            DeleteBgpNetwork(_) => s("delete bgp_network"),
        }
    }
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub level: Level,
    pub change: Change,
    /// Why the object exists (absent for objects the translator no longer wants); its key
    /// names the object.
    pub origin: Option<Arc<Origin>>,
    /// The name of an object without an origin: a description of the actual object.
    described: Option<Box<str>>,
    /// The object the operation makes or changes; operations that need it name it in `needs`.
    pub object: Uuid,
    /// Objects this operation needs; if making one of them failed, it is not sent.
    pub needs: Vec<Uuid>,
    /// Operations sharing a lane (the children of one parent: a chain's rules, a bridge's
    /// ports) run one at a time in plan order; others of the level run concurrently.
    pub lane: Option<Uuid>,
}

impl Operation {
    /// The object's name: its desired key, or a description of an actual object.
    pub fn name(&self) -> &str {
        match (&self.origin, &self.described) {
            (Some(origin), _) => &origin.key,
            (None, Some(described)) => described,
            (None, None) => "",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.change.phrase(), self.name())?;
        if let Some(o) = &self.origin {
            write!(f, " ({} {})", o.stage, o.gni_id)?;
        }
        Ok(())
    }
}

/// The ordered operations of one reconcile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub operations: Vec<Operation>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.operations.is_empty()
    }

    pub fn len(&self) -> usize {
        self.operations.len()
    }

    /// How many operations create, update and delete.
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |a| {
            self.operations
                .iter()
                .filter(|o| o.change.action() == a)
                .count()
        };
        (
            count(Action::Create),
            count(Action::Update),
            count(Action::Delete),
        )
    }
}

/// One line per operation in order (`+` create, `~` update, `-` delete), then a summary.
impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in &self.operations {
            let sign = match op.change.action() {
                Action::Create => '+',
                Action::Update => '~',
                Action::Delete => '-',
            };
            writeln!(f, "{sign} {op}")?;
        }
        let (c, u, d) = self.counts();
        writeln!(f, "plan: {c} to create, {u} to update, {d} to delete")
    }
}

/// The operations that turn `actual` into `desired`; see the module's contract.
pub fn plan(desired: &Desired, actual: &Actual) -> Plan {
    let mut p = Planner {
        desired,
        actual,
        ops: Vec::new(),
        gone: Gone::default(),
    };
    p.find_deleted();
    p.chains();
    p.ip_addr_groups();
    p.port_groups();
    p.devices();
    p.ports();
    p.routes();
    p.dhcp();
    p.tables();
    p.bgp();
    let mut operations = p.ops;
    // Stable: within a level, operations keep the order they were planned in (id order, and
    // rule order within a chain).
    operations.sort_by_key(|o| o.level);
    Plan { operations }
}

/// Actual objects the plan deletes, or MidoNet deletes with their parent, so their children
/// need no delete of their own.
#[derive(Default)]
struct Gone {
    routers: BTreeSet<Uuid>,
    bridges: BTreeSet<Uuid>,
    ports: BTreeSet<Uuid>,
    chains: BTreeSet<Uuid>,
    ip_addr_groups: BTreeSet<Uuid>,
    port_groups: BTreeSet<Uuid>,
    dhcp_subnets: BTreeSet<Uuid>,
}

struct Planner<'a> {
    desired: &'a Desired,
    actual: &'a Actual,
    ops: Vec<Operation>,
    gone: Gone,
}

impl Planner<'_> {
    /// Plans `change`, in the lane of the parent whose list of children it edits: writes to
    /// one parent (1,000 ports of `eucabr`) would otherwise contend for its version in the
    /// store and be refused after the store's retries.
    fn push(&mut self, level: Level, change: Change, object: Uuid, needs: Vec<Uuid>) {
        let lane = change.parent();
        self.push_in(level, change, object, needs, lane);
    }

    fn push_in(
        &mut self,
        level: Level,
        change: Change,
        object: Uuid,
        needs: Vec<Uuid>,
        lane: Option<Uuid>,
    ) {
        let origin = self.desired.origins.get(&object).cloned();
        let described = match origin {
            Some(_) => None,
            None => Some(self.name(object).into()),
        };
        self.ops.push(Operation {
            level,
            change,
            origin,
            described,
            object,
            needs,
            lane,
        });
    }

    /// The desired key of `id`, else a description of the actual object.
    fn name(&self, id: Uuid) -> String {
        if let Some(key) = self.desired.key(id) {
            return key.to_owned();
        }
        let a = self.actual;
        let named = |name: &Option<String>| name.clone().unwrap_or_else(|| id.to_string());
        if let Some(r) = a.routers.get(&id) {
            return named(&r.name);
        }
        if let Some(b) = a.bridges.get(&id) {
            return named(&b.name);
        }
        if let Some(c) = a.chains.get(&id) {
            return named(&c.chain.name);
        }
        if let Some(g) = a.ip_addr_groups.get(&id) {
            return named(&g.group.name);
        }
        if let Some(g) = a.port_groups.get(&id) {
            return named(&g.group.name);
        }
        if let Some(p) = a.ports.get(&id) {
            let device = p.port.device_id.map_or_else(String::new, |d| self.name(d));
            return format!("{device}/port {id}");
        }
        if let Some(r) = a.routes.get(&id) {
            let router = r.router_id.map_or_else(String::new, |d| self.name(d));
            return format!(
                "{router}/route/{}/{}/{}/{} {id}",
                r.src_network_addr, r.src_network_length, r.dst_network_addr, r.dst_network_length
            );
        }
        if let Some((chain, rule)) = a
            .chains
            .values()
            .find_map(|c| Some((c, c.rules.iter().find(|r| r.id == id)?)))
        {
            return format!("{}/rule {} {id}", self.name(chain.chain.id), rule.position);
        }
        if let Some(s) = a.dhcp_subnets.get(&id) {
            return format!("{}/dhcp/{}", self.name(s.bridge), s.subnet.key());
        }
        if let Some(h) = a.dhcp_hosts.get(&id) {
            return format!("{}/host/{}", self.name(h.dhcp_subnet), h.host.mac_addr);
        }
        if let Some(e) = a.ip4_macs.get(&id) {
            return format!("{}/arp/{}", self.name(e.bridge), e.entry.ip);
        }
        if let Some(e) = a.mac_ports.get(&id) {
            return format!("{}/mac/{}", self.name(e.bridge), e.entry.mac_addr);
        }
        if let Some(b) = a.bgp_peers.get(&id) {
            return format!("bgp_peer {} {id}", b.address);
        }
        if let Some(b) = a.bgp_networks.get(&id) {
            return format!("bgp_network {}/{} {id}", b.subnet_address, b.subnet_length);
        }
        id.to_string()
    }

    /// Records what goes, directly or by cascade, before any child is planned.
    fn find_deleted(&mut self) {
        let (d, a) = (self.desired, self.actual);
        let absent = |ids: Vec<Uuid>| -> BTreeSet<Uuid> { ids.into_iter().collect() };
        self.gone.routers = absent(keys_missing(&a.routers, &d.routers));
        self.gone.bridges = absent(keys_missing(&a.bridges, &d.bridges));
        self.gone.chains = absent(keys_missing(&a.chains, &d.chains));
        self.gone.ip_addr_groups = absent(keys_missing(&a.ip_addr_groups, &d.ip_addr_groups));
        self.gone.port_groups = absent(keys_missing(&a.port_groups, &d.port_groups));
        let devices_gone = |p: &Port| {
            p.device_id.is_some_and(|dev| {
                self.gone.routers.contains(&dev) || self.gone.bridges.contains(&dev)
            })
        };
        self.gone.ports = a
            .ports
            .iter()
            .filter(|(id, p)| !d.ports.contains_key(id) || devices_gone(&p.port))
            .map(|(id, _)| *id)
            .collect();
        self.gone.dhcp_subnets = a
            .dhcp_subnets
            .iter()
            .filter(|(id, s)| {
                !d.dhcp_subnets.contains_key(id) || self.gone.bridges.contains(&s.bridge)
            })
            .map(|(id, _)| *id)
            .collect();
    }

    fn chains(&mut self) {
        let (d, a) = (self.desired, self.actual);
        for (id, want) in &d.chains {
            let create_rules = match a.chains.get(id) {
                None => {
                    self.push(
                        Level::Groups,
                        Change::CreateChain(Box::new(want.chain.clone())),
                        *id,
                        vec![],
                    );
                    true
                }
                Some(have) if have.chain != want.chain => {
                    // Chains are immutable: replace (MidoNet drops its rules with it).
                    self.push(Level::Detach, Change::DeleteChain(*id), *id, vec![]);
                    self.push(
                        Level::Groups,
                        Change::CreateChain(Box::new(want.chain.clone())),
                        *id,
                        vec![],
                    );
                    true
                }
                Some(have) if have.rules != want.rules => {
                    for rule in &have.rules {
                        self.push_in(
                            Level::Detach,
                            Change::DeleteRule(rule.id),
                            rule.id,
                            vec![],
                            Some(*id),
                        );
                    }
                    true
                }
                Some(_) => false,
            };
            if create_rules {
                let mut previous = None;
                for rule in &want.rules {
                    // Each rule's position assumes the ones before it.
                    let mut needs: Vec<Uuid> = [*id].into_iter().chain(previous).collect();
                    previous = Some(rule.id);
                    needs.extend(rule_references(rule));
                    self.push_in(
                        Level::Rules,
                        Change::CreateRule {
                            chain: *id,
                            rule: rule.clone(),
                        },
                        rule.id,
                        needs,
                        Some(*id),
                    );
                }
            }
        }
        for id in self.gone.chains.clone() {
            self.push(Level::DeleteGroups, Change::DeleteChain(id), id, vec![]);
        }
    }

    fn ip_addr_groups(&mut self) {
        let (d, a) = (self.desired, self.actual);
        let empty = BTreeSet::new();
        for (id, want) in &d.ip_addr_groups {
            let have_addrs = match a.ip_addr_groups.get(id) {
                Some(have) if have.group == want.group => &have.addrs,
                have => {
                    if have.is_some() {
                        self.push(Level::Detach, Change::DeleteIpAddrGroup(*id), *id, vec![]);
                    }
                    let create = Change::CreateIpAddrGroup(Box::new(want.group.clone()));
                    self.push(Level::Groups, create, *id, vec![]);
                    &empty
                }
            };
            for addr in want.addrs.difference(have_addrs) {
                let change = Change::AddAddr {
                    group: *id,
                    addr: *addr,
                };
                self.push(Level::Wiring, change, *id, vec![*id]);
            }
            for addr in have_addrs.difference(&want.addrs) {
                let change = Change::RemoveAddr {
                    group: *id,
                    addr: *addr,
                };
                self.push(Level::DeleteEntries, change, *id, vec![]);
            }
        }
        for id in self.gone.ip_addr_groups.clone() {
            self.push(
                Level::DeleteGroups,
                Change::DeleteIpAddrGroup(id),
                id,
                vec![],
            );
        }
    }

    fn port_groups(&mut self) {
        let (d, a) = (self.desired, self.actual);
        let empty = BTreeSet::new();
        for (id, want) in &d.port_groups {
            let have_ports = match a.port_groups.get(id) {
                None => {
                    let create = Change::CreatePortGroup(Box::new(want.group.clone()));
                    self.push(Level::Groups, create, *id, vec![]);
                    &empty
                }
                Some(have) => {
                    if have.group != want.group {
                        let update = Change::UpdatePortGroup(Box::new(want.group.clone()));
                        self.push(Level::Update, update, *id, vec![]);
                    }
                    &have.ports
                }
            };
            for port in want.ports.difference(have_ports) {
                let change = Change::AddMember {
                    group: *id,
                    port: *port,
                };
                self.push(Level::Wiring, change, *port, vec![*id, *port]);
            }
            for port in have_ports.difference(&want.ports) {
                // A deleted port leaves its groups by itself.
                if self.gone.ports.contains(port) {
                    continue;
                }
                let change = Change::RemoveMember {
                    group: *id,
                    port: *port,
                };
                self.push(Level::DeleteEntries, change, *port, vec![]);
            }
        }
        for id in self.gone.port_groups.clone() {
            self.push(Level::DeleteGroups, Change::DeletePortGroup(id), id, vec![]);
        }
    }

    fn devices(&mut self) {
        let (d, a) = (self.desired, self.actual);
        for (id, want) in &d.routers {
            let filters = filters(want.inbound_filter_id, want.outbound_filter_id);
            match a.routers.get(id) {
                None => {
                    let create = Change::CreateRouter(want.clone());
                    self.push(Level::Devices, create, *id, filters);
                }
                Some(have) if have != want => {
                    let update = Change::UpdateRouter(want.clone());
                    self.push(Level::Update, update, *id, filters);
                }
                Some(_) => {}
            }
        }
        for (id, want) in &d.bridges {
            let filters = filters(want.inbound_filter_id, want.outbound_filter_id);
            match a.bridges.get(id) {
                None => {
                    let create = Change::CreateBridge(want.clone());
                    self.push(Level::Devices, create, *id, filters);
                }
                Some(have) => {
                    let settled = settle_bridge(want, have);
                    if settled != **have {
                        self.push(
                            Level::Update,
                            Change::UpdateBridge(Arc::new(settled)),
                            *id,
                            filters,
                        );
                    }
                }
            }
        }
        for id in self.gone.routers.clone() {
            self.push(Level::DeleteDevices, Change::DeleteRouter(id), id, vec![]);
        }
        for id in self.gone.bridges.clone() {
            self.push(Level::DeleteDevices, Change::DeleteBridge(id), id, vec![]);
        }
    }

    fn ports(&mut self) {
        let (d, a) = (self.desired, self.actual);
        // Bindings desired ports take, so an unwanted port holding one lets go of it first.
        let claimed: BTreeSet<(Uuid, &str)> = d
            .ports
            .values()
            .filter_map(|p| p.binding.as_ref())
            .map(|b| (b.host_id, b.interface_name.as_str()))
            .collect();
        for (id, want) in &d.ports {
            let have = a.ports.get(id);
            let mut needs: Vec<Uuid> = want.port.device_id.into_iter().collect();
            needs.extend(filters(
                want.port.inbound_filter_id,
                want.port.outbound_filter_id,
            ));
            match have {
                None => {
                    let create = Change::CreatePort(Box::new(want.port.clone()));
                    self.push(Level::Ports, create, *id, needs);
                }
                Some(have) => {
                    let settled = settle_port(&want.port, &have.port);
                    if settled != have.port {
                        self.push(
                            Level::Update,
                            Change::UpdatePort(Box::new(settled)),
                            *id,
                            needs,
                        );
                    }
                }
            }
            // Links: planned once per pair, from its lower id.
            let have_peer = have.and_then(|h| h.peer);
            if want.peer != have_peer {
                if let Some(peer) = want.peer.filter(|peer| *id < *peer) {
                    let change = Change::Link { port: *id, peer };
                    self.push(Level::Wiring, change, *id, vec![*id, peer]);
                }
            }
            let have_binding = have.and_then(|h| h.binding.as_ref());
            if want.binding.as_ref() != have_binding {
                if let Some(old) = have_binding {
                    let change = Change::Unbind {
                        port: *id,
                        host: old.host_id,
                    };
                    self.push(Level::Detach, change, *id, vec![]);
                }
                if let Some(binding) = &want.binding {
                    let change = Change::Bind {
                        port: *id,
                        binding: binding.clone(),
                    };
                    self.push(Level::Wiring, change, *id, vec![*id]);
                }
            }
        }
        // Actual links that are not wanted, once per pair: unlinked first when either end
        // stays (it may be linked anew); two ports that both go take their link with them.
        for (id, have) in &a.ports {
            let Some(peer) = have.peer else { continue };
            let wanted = d.ports.get(id).is_some_and(|p| p.peer == Some(peer));
            let both_gone = self.gone.ports.contains(id) && self.gone.ports.contains(&peer);
            let first = *id < peer || !a.ports.contains_key(&peer);
            if !wanted && !both_gone && first {
                self.push(Level::Detach, Change::Unlink { port: *id }, *id, vec![]);
            }
        }
        for (id, have) in &a.ports {
            if d.ports.contains_key(id) {
                continue;
            }
            if let Some(b) = &have.binding {
                if claimed.contains(&(b.host_id, b.interface_name.as_str())) {
                    let change = Change::Unbind {
                        port: *id,
                        host: b.host_id,
                    };
                    self.push(Level::Detach, change, *id, vec![]);
                }
            }
            // Ports of a deleted device go with it.
            let device_gone = have.port.device_id.is_some_and(|dev| {
                self.gone.routers.contains(&dev) || self.gone.bridges.contains(&dev)
            });
            if !device_gone {
                self.push(Level::DeletePorts, Change::DeletePort(*id), *id, vec![]);
            }
        }
    }

    fn routes(&mut self) {
        let (d, a) = (self.desired, self.actual);
        for (id, want) in &d.routes {
            let needs: Vec<Uuid> = want
                .router_id
                .into_iter()
                .chain(want.next_hop_port)
                .collect();
            match a.routes.get(id) {
                Some(have) if have == want => continue,
                // Routes are immutable: replace.
                Some(_) => self.push(Level::Detach, Change::DeleteRoute(*id), *id, vec![]),
                None => {}
            }
            self.push(Level::Wiring, Change::CreateRoute(want.clone()), *id, needs);
        }
        for (id, have) in &a.routes {
            if d.routes.contains_key(id) {
                continue;
            }
            let router_gone = have
                .router_id
                .is_some_and(|r| self.gone.routers.contains(&r));
            let port_gone = have
                .next_hop_port
                .is_some_and(|p| self.gone.ports.contains(&p));
            if !router_gone && !port_gone {
                self.push(Level::DeleteEntries, Change::DeleteRoute(*id), *id, vec![]);
            }
        }
    }

    fn dhcp(&mut self) {
        let (d, a) = (self.desired, self.actual);
        for (id, want) in &d.dhcp_subnets {
            match a.dhcp_subnets.get(id) {
                None => {
                    let change = Change::CreateDhcpSubnet {
                        bridge: want.bridge,
                        subnet: Box::new(want.subnet.clone()),
                    };
                    self.push(Level::Wiring, change, *id, vec![want.bridge]);
                }
                Some(have) if have.subnet != want.subnet => {
                    let change = Change::UpdateDhcpSubnet {
                        bridge: want.bridge,
                        subnet: Box::new(want.subnet.clone()),
                    };
                    self.push(Level::Update, change, *id, vec![]);
                }
                Some(_) => {}
            }
        }
        for id in self.gone.dhcp_subnets.clone() {
            let Some(have) = a.dhcp_subnets.get(&id) else {
                continue;
            };
            if !self.gone.bridges.contains(&have.bridge) {
                let change = Change::DeleteDhcpSubnet {
                    bridge: have.bridge,
                    key: SubnetKey::from(&have.subnet),
                };
                self.push(Level::DeleteDhcp, change, id, vec![]);
            }
        }
        // Hosts have no id in MidoNet: they match by bridge, subnet and MAC.
        let key = |bridge: Uuid, subnet: Uuid, mac: &str| (bridge, subnet, normal_mac(mac));
        let have_hosts: BTreeMap<_, _> = a
            .dhcp_hosts
            .iter()
            .map(|(id, h)| (key(h.bridge, h.dhcp_subnet, &h.host.mac_addr), (*id, h)))
            .collect();
        let mut matched = BTreeSet::new();
        for (id, want) in &d.dhcp_hosts {
            let Some(subnet) = d.dhcp_subnets.get(&want.dhcp_subnet) else {
                continue;
            };
            let subnet_key = SubnetKey::from(&subnet.subnet);
            let k = key(want.bridge, want.dhcp_subnet, &want.host.mac_addr);
            match have_hosts.get(&k) {
                None => {
                    let change = Change::CreateDhcpHost {
                        bridge: want.bridge,
                        subnet: subnet_key,
                        host: Box::new(want.host.clone()),
                    };
                    self.push(Level::Rules, change, *id, vec![want.dhcp_subnet]);
                }
                Some((have_id, have)) => {
                    matched.insert(*have_id);
                    if !same_dhcp_host(&want.host, &have.host) {
                        let change = Change::UpdateDhcpHost {
                            bridge: want.bridge,
                            subnet: subnet_key,
                            host: Box::new(want.host.clone()),
                        };
                        self.push(Level::Update, change, *id, vec![]);
                    }
                }
            }
        }
        for (id, have) in &a.dhcp_hosts {
            if matched.contains(id) || self.gone.dhcp_subnets.contains(&have.dhcp_subnet) {
                continue;
            }
            let Some(subnet) = a.dhcp_subnets.get(&have.dhcp_subnet) else {
                continue;
            };
            let change = Change::DeleteDhcpHost {
                bridge: have.bridge,
                subnet: SubnetKey::from(&subnet.subnet),
                mac: have.host.mac_addr.clone(),
            };
            self.push(Level::DeleteEntries, change, *id, vec![]);
        }
    }

    /// ARP and MAC entries have no id either: they match by content. Unwanted ones go first,
    /// so a moved entry (another MAC for an address) never meets its old self.
    fn tables(&mut self) {
        let (d, a) = (self.desired, self.actual);
        let arp = |e: &DesiredIp4Mac| (e.bridge, e.entry.ip, normal_mac(&e.entry.mac));
        let (add, remove) = by_content(&d.ip4_macs, &a.ip4_macs, arp);
        for (id, e) in add {
            let (bridge, entry) = (e.bridge, e.entry.clone());
            let change = Change::AddArpEntry { bridge, entry };
            self.push(Level::Wiring, change, id, vec![bridge]);
        }
        for (id, e) in remove {
            if !self.gone.bridges.contains(&e.bridge) {
                let (bridge, entry) = (e.bridge, e.entry.clone());
                let change = Change::DeleteArpEntry { bridge, entry };
                self.push(Level::Detach, change, id, vec![]);
            }
        }
        let mac = |e: &DesiredMacPort| {
            let vlan = e.entry.vlan_id.unwrap_or(0);
            (
                e.bridge,
                normal_mac(&e.entry.mac_addr),
                e.entry.port_id,
                vlan,
            )
        };
        let (add, remove) = by_content(&d.mac_ports, &a.mac_ports, mac);
        for (id, e) in add {
            let (bridge, entry) = (e.bridge, e.entry.clone());
            let needs = vec![bridge, entry.port_id];
            let change = Change::AddMacEntry { bridge, entry };
            self.push(Level::Wiring, change, id, needs);
        }
        for (id, e) in remove {
            if !self.gone.bridges.contains(&e.bridge) {
                let (bridge, entry) = (e.bridge, e.entry.clone());
                let change = Change::DeleteMacEntry { bridge, entry };
                self.push(Level::Detach, change, id, vec![]);
            }
        }
    }

    fn bgp(&mut self) {
        let (d, a) = (self.desired, self.actual);
        for (id, want) in &d.bgp_peers {
            let needs: Vec<Uuid> = want.router_id.into_iter().collect();
            match a.bgp_peers.get(id) {
                None => self.push(
                    Level::Wiring,
                    Change::CreateBgpPeer(want.clone()),
                    *id,
                    needs,
                ),
                Some(have) if have != want => self.push(
                    Level::Update,
                    Change::UpdateBgpPeer(want.clone()),
                    *id,
                    needs,
                ),
                Some(_) => {}
            }
        }
        for (id, have) in &a.bgp_peers {
            let router_gone = have
                .router_id
                .is_some_and(|r| self.gone.routers.contains(&r));
            if !d.bgp_peers.contains_key(id) && !router_gone {
                self.push(
                    Level::DeleteEntries,
                    Change::DeleteBgpPeer(*id),
                    *id,
                    vec![],
                );
            }
        }
        for (id, want) in &d.bgp_networks {
            let needs: Vec<Uuid> = want.router_id.into_iter().collect();
            match a.bgp_networks.get(id) {
                Some(have) if have == want => continue,
                Some(_) => self.push(Level::Detach, Change::DeleteBgpNetwork(*id), *id, vec![]),
                None => {}
            }
            let create = Change::CreateBgpNetwork(want.clone());
            self.push(Level::Wiring, create, *id, needs);
        }
        for (id, have) in &a.bgp_networks {
            let router_gone = have
                .router_id
                .is_some_and(|r| self.gone.routers.contains(&r));
            if !d.bgp_networks.contains_key(id) && !router_gone {
                self.push(
                    Level::DeleteEntries,
                    Change::DeleteBgpNetwork(*id),
                    *id,
                    vec![],
                );
            }
        }
    }
}

/// Map entries by id.
type Entries<'m, E> = Vec<(Uuid, &'m E)>;

/// Entries of `want` with no equal in `have` (to add), and of `have` with none in `want` (to
/// remove), equal meaning the same `key`: for members whose map ids are not MidoNet's.
fn by_content<'m, E, K: Ord>(
    want: &'m Objects<E>,
    have: &'m Objects<E>,
    key: impl Fn(&E) -> K,
) -> (Entries<'m, E>, Entries<'m, E>) {
    let keys = |m: &Objects<E>| m.values().map(|e| key(e)).collect::<BTreeSet<K>>();
    let (want_keys, have_keys) = (keys(want), keys(have));
    let missing = |m: &'m Objects<E>, other: &BTreeSet<K>| {
        m.iter()
            .filter(|(_, e)| !other.contains(&key(e)))
            .map(|(id, e)| (*id, &**e))
            .collect::<Vec<_>>()
    };
    (missing(want, &have_keys), missing(have, &want_keys))
}

/// Keys of `have` absent from `want`.
fn keys_missing<A, B>(have: &BTreeMap<Uuid, A>, want: &BTreeMap<Uuid, B>) -> Vec<Uuid> {
    have.keys()
        .filter(|k| !want.contains_key(k))
        .copied()
        .collect()
}

fn filters(inbound: Option<Uuid>, outbound: Option<Uuid>) -> Vec<Uuid> {
    inbound.into_iter().chain(outbound).collect()
}

/// What a rule refers to besides its chain: jump target, groups, ports.
fn rule_references(rule: &Rule) -> Vec<Uuid> {
    let c = &rule.condition;
    let mut refs: Vec<Uuid> = [
        rule.jump_chain_id,
        c.port_group,
        c.in_port_group,
        c.out_port_group,
        c.ip_addr_group_src,
        c.ip_addr_group_dst,
    ]
    .into_iter()
    .flatten()
    .collect();
    refs.extend(c.in_ports.iter().flatten());
    refs.extend(c.out_ports.iter().flatten());
    refs
}

/// `want` with the fields the server fills copied from `have`: equal to `have` exactly when
/// every field the translator sets agrees, and the body of the update otherwise.
pub(crate) fn settle_port(want: &Port, have: &Port) -> Port {
    let mut settled = want.clone();
    settled.tunnel_key = have.tunnel_key;
    settled.active = have.active;
    settled.vif_id = have.vif_id;
    // Links and bindings have their own endpoints and their own operations.
    settled.peer_id = have.peer_id;
    settled.host_id = have.host_id;
    settled.interface_name = have.interface_name.clone();
    // MidoNet reports an untagged bridge port as VLAN 0 and generates a router port's MAC.
    if want.vlan_id.is_none() && have.vlan_id == Some(0) {
        settled.vlan_id = have.vlan_id;
    }
    if want.port_mac.is_none() {
        settled.port_mac = have.port_mac.clone();
    }
    settled
}

/// `want` with the VXLAN ports (which MidoNet keeps on the bridge) copied from `have`.
pub(crate) fn settle_bridge(want: &Bridge, have: &Bridge) -> Bridge {
    Bridge {
        vx_lan_port_ids: have.vx_lan_port_ids.clone(),
        ..want.clone()
    }
}

fn same_dhcp_host(want: &DhcpHost, have: &DhcpHost) -> bool {
    normal_mac(&want.mac_addr) == normal_mac(&have.mac_addr)
        && DhcpHost {
            mac_addr: String::new(),
            ..want.clone()
        } == DhcpHost {
            mac_addr: String::new(),
            ..have.clone()
        }
}

/// A MAC as MidoNet prints it (lower case, colons), whatever form it was given in.
fn normal_mac(mac: &str) -> String {
    topology::parse_mac(mac).map_or_else(|| mac.to_ascii_lowercase(), topology::format_mac)
}

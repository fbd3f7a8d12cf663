//! Compiles rule conditions (`Condition`) into a form matched without parsing or map lookups
//! per packet, and matches them as MidoNet's `Condition.matches` does: the fragment policy
//! first (not inverted by `condInvert`), then every set predicate with its own inversion flag,
//! the conjunction XOR `condInvert`. An absent field is a wildcard; so are `nwProto` and
//! `nwTos` equal to 0, which MidoNet 1.x servers report for "unset".

use super::fast_hash::FastMap;
use std::net::Ipv4Addr;

use uuid::Uuid;

use super::packet::{Fragment, Mac, Packet};
use crate::{parse_mac, parse_mask, Condition, FragmentPolicy};

/// An index into one of the snapshot's tables; `NONE` stands for an id the snapshot does not
/// hold, which matches nothing (an empty group), as a missing object would in MidoNet.
pub(crate) type Index = u32;
pub(crate) const NONE: Index = Index::MAX;

/// A network prefix as (network, mask) in host order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Prefix {
    pub net: u32,
    pub mask: u32,
}

impl Prefix {
    pub fn new(addr: Ipv4Addr, len: u8) -> Self {
        let mask = if len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(len.min(32)))
        };
        Prefix {
            net: u32::from(addr) & mask,
            mask,
        }
    }

    pub fn contains(&self, addr: Ipv4Addr) -> bool {
        u32::from(addr) & self.mask == self.net
    }
}

/// What a condition reads besides the packet: the simulation context at the rule.
pub(crate) struct MatchContext<'a> {
    pub packet: &'a Packet,
    pub in_port: Option<Index>,
    pub out_port: Option<Index>,
    /// The groups of the exterior port the packet entered the virtual network by.
    pub origin_groups: &'a [Index],
    pub in_port_groups: &'a [Index],
    pub out_port_groups: &'a [Index],
    pub traversed: &'a [Index],
    pub nw_dst_rewritten: bool,
}

/// The IP address groups a condition may name, by index.
pub(crate) type AddressGroups = [super::fast_hash::FastSet<Ipv4Addr>];

/// Which of the packet's port groups a port-group predicate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupOf {
    Origin,
    InPort,
    OutPort,
}

/// One set predicate of a condition, with its inversion flag where it has one.
#[derive(Debug, Clone)]
pub(crate) enum Predicate {
    /// `matchForwardFlow` (false) or `matchReturnFlow` (true).
    Direction(bool),
    NoVlan,
    Vlan(u16),
    PortGroup(GroupOf, Index, bool),
    InPorts(Box<[Index]>, bool),
    OutPorts(Box<[Index]>, bool),
    DlType(u16, bool),
    DlSrc(Mac, Mac, bool),
    DlDst(Mac, Mac, bool),
    NwTos(u8, bool),
    NwProto(u8, bool),
    NwSrc(Prefix, bool),
    NwDst(Prefix, bool),
    TpSrc(u16, u16, bool),
    TpDst(u16, u16, bool),
    IpGroupSrc(Index, bool),
    IpGroupDst(Index, bool),
    Traversed(Index, bool),
    /// An ICMP error payload predicate: the simulated packets carry no ICMP error payload, so
    /// it holds only when inverted.
    IcmpData(bool),
    NwDstRewritten,
}

/// A condition as the list of its set predicates, in MidoNet's evaluation order, so that a
/// rule with two fields costs two checks. The predicates live in one pool per snapshot, those
/// of a chain's rules next to each other, so a chain walk reads memory in order.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    invert: bool,
    fragment: FragmentPolicy,
    start: u32,
    len: u16,
}

/// Id -> index tables a condition's references are resolved through.
pub(crate) struct Resolver<'a> {
    pub ports: &'a FastMap<Uuid, Index>,
    pub devices: &'a FastMap<Uuid, Index>,
    pub ip_groups: &'a FastMap<Uuid, Index>,
    pub port_groups: &'a FastMap<Uuid, Index>,
}

fn look(map: &FastMap<Uuid, Index>, id: Uuid) -> Index {
    map.get(&id).copied().unwrap_or(NONE)
}

fn mac_pair(mac: &Option<String>, mask: &Option<String>) -> Option<(Mac, Mac)> {
    let mac = mac.as_deref()?;
    // An unparsable MAC cannot match anything; validation refuses it before it is stored.
    let value = parse_mac(mac).unwrap_or([0xff; 6]);
    let mask = mask.as_deref().and_then(parse_mask).unwrap_or([0xff; 6]);
    Some((value, mask))
}

impl Compiled {
    /// Compiles `c`, appending its predicates to `pool`.
    pub fn new(c: &Condition, r: &Resolver<'_>, pool: &mut Vec<Predicate>) -> Self {
        use Predicate as P;
        let start = pool.len();
        let p = pool;
        if c.match_forward_flow {
            p.push(P::Direction(false));
        }
        if c.match_return_flow {
            p.push(P::Direction(true));
        }
        if c.no_vlan {
            p.push(P::NoVlan);
        }
        if let Some(v) = c.vlan {
            p.push(P::Vlan(v));
        }
        let groups = [
            (GroupOf::Origin, c.port_group, c.inv_port_group),
            (GroupOf::InPort, c.in_port_group, c.inv_in_port_group),
            (GroupOf::OutPort, c.out_port_group, c.inv_out_port_group),
        ];
        for (of, group, inv) in groups {
            if let Some(g) = group {
                p.push(P::PortGroup(of, look(r.port_groups, g), inv));
            }
        }
        let ports = |list: &Option<Vec<Uuid>>| {
            list.as_ref().filter(|l| !l.is_empty()).map(|l| {
                l.iter()
                    .map(|id| look(r.ports, *id))
                    .collect::<Box<[Index]>>()
            })
        };
        if let Some(l) = ports(&c.in_ports) {
            p.push(P::InPorts(l, c.inv_in_ports));
        }
        if let Some(l) = ports(&c.out_ports) {
            p.push(P::OutPorts(l, c.inv_out_ports));
        }
        if let Some(t) = c.dl_type {
            p.push(P::DlType(t as u16, c.inv_dl_type));
        }
        if let Some((m, mask)) = mac_pair(&c.dl_src, &c.dl_src_mask) {
            p.push(P::DlSrc(m, mask, c.inv_dl_src));
        }
        if let Some((m, mask)) = mac_pair(&c.dl_dst, &c.dl_dst_mask) {
            p.push(P::DlDst(m, mask, c.inv_dl_dst));
        }
        if let Some(t) = c.nw_tos.filter(|t| *t != 0) {
            p.push(P::NwTos(t, c.inv_nw_tos));
        }
        if let Some(t) = c.nw_proto.filter(|t| *t != 0) {
            p.push(P::NwProto(t, c.inv_nw_proto));
        }
        if let Some(a) = c.nw_src_address {
            let len = c.nw_src_length.unwrap_or(32);
            p.push(P::NwSrc(Prefix::new(a, len), c.inv_nw_src));
        }
        if let Some(a) = c.nw_dst_address {
            let len = c.nw_dst_length.unwrap_or(32);
            p.push(P::NwDst(Prefix::new(a, len), c.inv_nw_dst));
        }
        if let Some(range) = c.tp_src {
            let (lo, hi) = range.bounds();
            p.push(P::TpSrc(lo, hi, c.inv_tp_src));
        }
        if let Some(range) = c.tp_dst {
            let (lo, hi) = range.bounds();
            p.push(P::TpDst(lo, hi, c.inv_tp_dst));
        }
        if let Some(g) = c.ip_addr_group_src {
            p.push(P::IpGroupSrc(look(r.ip_groups, g), c.inv_ip_addr_group_src));
        }
        if let Some(g) = c.ip_addr_group_dst {
            p.push(P::IpGroupDst(look(r.ip_groups, g), c.inv_ip_addr_group_dst));
        }
        if let Some(d) = c.traversed_device {
            p.push(P::Traversed(look(r.devices, d), c.inv_traversed_device));
        }
        if c.icmp_data_src_ip_address.is_some() {
            p.push(P::IcmpData(c.inv_icmp_data_src_ip));
        }
        if c.icmp_data_dst_ip_address.is_some() {
            p.push(P::IcmpData(c.inv_icmp_data_dst_ip));
        }
        if c.match_nw_dst_rewritten {
            p.push(P::NwDstRewritten);
        }
        Compiled {
            invert: c.cond_invert,
            fragment: c
                .fragment_policy
                .unwrap_or_else(|| c.default_fragment_policy()),
            start: start as u32,
            len: (p.len() - start) as u16,
        }
    }

    /// Matches the condition; `is_return` is asked only if a flow-direction predicate is set.
    pub fn matches(
        &self,
        pool: &[Predicate],
        m: &MatchContext<'_>,
        groups: &AddressGroups,
        is_return: &mut dyn FnMut() -> bool,
    ) -> bool {
        if !fragment_allows(self.fragment, m.packet.fragment) {
            return false;
        }
        let start = self.start as usize;
        let end = start + usize::from(self.len);
        let all = pool[start..end]
            .iter()
            .all(|p| holds(p, m, groups, is_return));
        all != self.invert
    }
}

fn holds(
    pred: &Predicate,
    m: &MatchContext<'_>,
    groups: &AddressGroups,
    is_return: &mut dyn FnMut() -> bool,
) -> bool {
    use Predicate as P;
    let p = m.packet;
    let net = p.has_network();
    let l4 = p.has_transport();
    let mac = |mac: Mac, v: Mac, mask: Mac| (0..6).all(|i| mac[i] & mask[i] == v[i] & mask[i]);
    let member =
        |g: Index, addr: Ipv4Addr| net && groups.get(g as usize).is_some_and(|s| s.contains(&addr));
    match *pred {
        P::Direction(want_return) => is_return() == want_return,
        P::NoVlan => p.vlan.is_none(),
        P::Vlan(v) => p.vlan == Some(v),
        P::PortGroup(of, g, inv) => {
            let set = match of {
                GroupOf::Origin => m.origin_groups,
                GroupOf::InPort => m.in_port_groups,
                GroupOf::OutPort => m.out_port_groups,
            };
            set.contains(&g) != inv
        }
        P::InPorts(ref l, inv) => m.in_port.is_some_and(|x| l.contains(&x)) != inv,
        P::OutPorts(ref l, inv) => m.out_port.is_some_and(|x| l.contains(&x)) != inv,
        P::DlType(t, inv) => (p.eth_type == t) != inv,
        P::DlSrc(v, mask, inv) => mac(p.eth_src, v, mask) != inv,
        P::DlDst(v, mask, inv) => mac(p.eth_dst, v, mask) != inv,
        P::NwTos(t, inv) => (p.is_ipv4() && p.nw_tos == t) != inv,
        P::NwProto(t, inv) => (net && p.nw_proto == t) != inv,
        P::NwSrc(pre, inv) => (net && pre.contains(p.nw_src)) != inv,
        P::NwDst(pre, inv) => (net && pre.contains(p.nw_dst)) != inv,
        P::TpSrc(lo, hi, inv) => (l4 && (lo..=hi).contains(&p.tp_src)) != inv,
        P::TpDst(lo, hi, inv) => (l4 && (lo..=hi).contains(&p.tp_dst)) != inv,
        P::IpGroupSrc(g, inv) => member(g, p.nw_src) != inv,
        P::IpGroupDst(g, inv) => member(g, p.nw_dst) != inv,
        P::Traversed(d, inv) => m.traversed.contains(&d) != inv,
        P::IcmpData(inv) => inv,
        P::NwDstRewritten => m.nw_dst_rewritten,
    }
}

/// MidoNet's fragment policies: `header` wants the L4 header (whole datagram or first
/// fragment), `nonheader` a later fragment, `unfragmented` a whole datagram.
fn fragment_allows(policy: FragmentPolicy, fragment: Fragment) -> bool {
    match policy {
        FragmentPolicy::Any => true,
        FragmentPolicy::Header => fragment != Fragment::Later,
        FragmentPolicy::Nonheader => fragment == Fragment::Later,
        FragmentPolicy::Unfragmented => fragment == Fragment::Unfragmented,
    }
}

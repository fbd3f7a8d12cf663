//! Compiles rule conditions (`Condition`) into a form matched without parsing or map lookups
//! per packet, and matches them as MidoNet's `Condition.matches` does: the fragment policy
//! first (not inverted by `condInvert`), then every set predicate with its own inversion flag,
//! the conjunction XOR `condInvert`. An absent field is a wildcard; so are `nwProto` and
//! `nwTos` equal to 0, which MidoNet 1.x servers report for "unset".

use std::collections::HashMap;
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
pub(crate) type AddressGroups = [std::collections::HashSet<Ipv4Addr>];

#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    invert: bool,
    forward_flow: bool,
    return_flow: bool,
    in_ports: Option<(Vec<Index>, bool)>,
    out_ports: Option<(Vec<Index>, bool)>,
    port_group: Option<(Index, bool)>,
    in_port_group: Option<(Index, bool)>,
    out_port_group: Option<(Index, bool)>,
    ip_group_src: Option<(Index, bool)>,
    ip_group_dst: Option<(Index, bool)>,
    traversed: Option<(Index, bool)>,
    no_vlan: bool,
    vlan: Option<u16>,
    dl_type: Option<(u16, bool)>,
    dl_src: Option<(Mac, Mac, bool)>,
    dl_dst: Option<(Mac, Mac, bool)>,
    nw_tos: Option<(u8, bool)>,
    nw_proto: Option<(u8, bool)>,
    nw_src: Option<(Prefix, bool)>,
    nw_dst: Option<(Prefix, bool)>,
    tp_src: Option<(u16, u16, bool)>,
    tp_dst: Option<(u16, u16, bool)>,
    fragment: Option<FragmentPolicy>,
    nw_dst_rewritten: bool,
    /// ICMP error payload predicates (their inversion flags): the simulated packets carry no
    /// ICMP error payload, so a set predicate holds only when inverted.
    icmp_data_src: Option<bool>,
    icmp_data_dst: Option<bool>,
}

/// Id -> index tables a condition's references are resolved through.
pub(crate) struct Resolver<'a> {
    pub ports: &'a HashMap<Uuid, Index>,
    pub devices: &'a HashMap<Uuid, Index>,
    pub ip_groups: &'a HashMap<Uuid, Index>,
    pub port_groups: &'a HashMap<Uuid, Index>,
}

fn look(map: &HashMap<Uuid, Index>, id: Uuid) -> Index {
    map.get(&id).copied().unwrap_or(NONE)
}

fn mac_pair(mac: &Option<String>, mask: &Option<String>, inv: bool) -> Option<(Mac, Mac, bool)> {
    let mac = mac.as_deref()?;
    // An unparsable MAC cannot match anything; validation refuses it before it is stored.
    let value = parse_mac(mac).unwrap_or([0xff; 6]);
    let mask = mask.as_deref().and_then(parse_mask).unwrap_or([0xff; 6]);
    Some((value, mask, inv))
}

impl Compiled {
    pub fn new(c: &Condition, r: &Resolver<'_>) -> Self {
        let ports = |list: &Option<Vec<Uuid>>, inv: bool| {
            list.as_ref()
                .filter(|l| !l.is_empty())
                .map(|l| (l.iter().map(|p| look(r.ports, *p)).collect(), inv))
        };
        let range = |pr: &Option<crate::PortRange>, inv: bool| {
            pr.map(|p| {
                let (lo, hi) = p.bounds();
                (lo, hi, inv)
            })
        };
        Compiled {
            invert: c.cond_invert,
            forward_flow: c.match_forward_flow,
            return_flow: c.match_return_flow,
            in_ports: ports(&c.in_ports, c.inv_in_ports),
            out_ports: ports(&c.out_ports, c.inv_out_ports),
            port_group: c
                .port_group
                .map(|g| (look(r.port_groups, g), c.inv_port_group)),
            in_port_group: c
                .in_port_group
                .map(|g| (look(r.port_groups, g), c.inv_in_port_group)),
            out_port_group: c
                .out_port_group
                .map(|g| (look(r.port_groups, g), c.inv_out_port_group)),
            ip_group_src: c
                .ip_addr_group_src
                .map(|g| (look(r.ip_groups, g), c.inv_ip_addr_group_src)),
            ip_group_dst: c
                .ip_addr_group_dst
                .map(|g| (look(r.ip_groups, g), c.inv_ip_addr_group_dst)),
            traversed: c
                .traversed_device
                .map(|d| (look(r.devices, d), c.inv_traversed_device)),
            no_vlan: c.no_vlan,
            vlan: c.vlan,
            dl_type: c.dl_type.map(|t| (t as u16, c.inv_dl_type)),
            dl_src: mac_pair(&c.dl_src, &c.dl_src_mask, c.inv_dl_src),
            dl_dst: mac_pair(&c.dl_dst, &c.dl_dst_mask, c.inv_dl_dst),
            nw_tos: c.nw_tos.filter(|t| *t != 0).map(|t| (t, c.inv_nw_tos)),
            nw_proto: c.nw_proto.filter(|p| *p != 0).map(|p| (p, c.inv_nw_proto)),
            nw_src: c
                .nw_src_address
                .map(|a| (Prefix::new(a, c.nw_src_length.unwrap_or(32)), c.inv_nw_src)),
            nw_dst: c
                .nw_dst_address
                .map(|a| (Prefix::new(a, c.nw_dst_length.unwrap_or(32)), c.inv_nw_dst)),
            tp_src: range(&c.tp_src, c.inv_tp_src),
            tp_dst: range(&c.tp_dst, c.inv_tp_dst),
            fragment: Some(
                c.fragment_policy
                    .unwrap_or_else(|| c.default_fragment_policy()),
            ),
            nw_dst_rewritten: c.match_nw_dst_rewritten,
            icmp_data_src: c.icmp_data_src_ip_address.map(|_| c.inv_icmp_data_src_ip),
            icmp_data_dst: c.icmp_data_dst_ip_address.map(|_| c.inv_icmp_data_dst_ip),
        }
    }

    /// Whether the condition reads the flow direction (and so needs connection tracking).
    pub fn reads_direction(&self) -> bool {
        self.forward_flow || self.return_flow
    }

    /// Matches the condition; `is_return` is asked only if a flow-direction predicate is set.
    pub fn matches(
        &self,
        m: &MatchContext<'_>,
        groups: &AddressGroups,
        is_return: &mut dyn FnMut() -> bool,
    ) -> bool {
        if !fragment_allows(self.fragment, m.packet.fragment) {
            return false;
        }
        self.conjunction(m, groups, is_return) != self.invert
    }

    fn conjunction(
        &self,
        m: &MatchContext<'_>,
        groups: &AddressGroups,
        is_return: &mut dyn FnMut() -> bool,
    ) -> bool {
        let p = m.packet;
        if self.reads_direction() {
            let ret = is_return();
            if (self.forward_flow && ret) || (self.return_flow && !ret) {
                return false;
            }
        }
        if self.no_vlan && p.vlan.is_some() {
            return false;
        }
        if self.vlan.is_some_and(|v| p.vlan != Some(v)) {
            return false;
        }
        let in_groups = |set: &[Index], g: Option<(Index, bool)>| {
            g.is_none_or(|(g, inv)| set.contains(&g) != inv)
        };
        if !in_groups(m.origin_groups, self.port_group)
            || !in_groups(m.in_port_groups, self.in_port_group)
            || !in_groups(m.out_port_groups, self.out_port_group)
        {
            return false;
        }
        let port_in = |port: Option<Index>, list: &Option<(Vec<Index>, bool)>| {
            list.as_ref()
                .is_none_or(|(l, inv)| port.is_some_and(|p| l.contains(&p)) != *inv)
        };
        if !port_in(m.in_port, &self.in_ports) || !port_in(m.out_port, &self.out_ports) {
            return false;
        }
        if self
            .dl_type
            .is_some_and(|(t, inv)| (p.eth_type == t) == inv)
        {
            return false;
        }
        let mac_ok = |mac: Mac, cond: Option<(Mac, Mac, bool)>| {
            cond.is_none_or(|(v, mask, inv)| {
                let eq = (0..6).all(|i| mac[i] & mask[i] == v[i] & mask[i]);
                eq != inv
            })
        };
        if !mac_ok(p.eth_src, self.dl_src) || !mac_ok(p.eth_dst, self.dl_dst) {
            return false;
        }
        let net = p.has_network();
        if self
            .nw_tos
            .is_some_and(|(t, inv)| (p.is_ipv4() && p.nw_tos == t) == inv)
        {
            return false;
        }
        if self
            .nw_proto
            .is_some_and(|(t, inv)| (net && p.nw_proto == t) == inv)
        {
            return false;
        }
        let ip_ok = |addr: Ipv4Addr, cond: Option<(Prefix, bool)>| {
            cond.is_none_or(|(pre, inv)| (net && pre.contains(addr)) != inv)
        };
        if !ip_ok(p.nw_src, self.nw_src) || !ip_ok(p.nw_dst, self.nw_dst) {
            return false;
        }
        let l4 = p.has_transport();
        let tp_ok = |port: u16, cond: Option<(u16, u16, bool)>| {
            cond.is_none_or(|(lo, hi, inv)| (l4 && (lo..=hi).contains(&port)) != inv)
        };
        if !tp_ok(p.tp_src, self.tp_src) || !tp_ok(p.tp_dst, self.tp_dst) {
            return false;
        }
        let group_ok = |addr: Ipv4Addr, cond: Option<(Index, bool)>| {
            cond.is_none_or(|(g, inv)| {
                let member = net && groups.get(g as usize).is_some_and(|s| s.contains(&addr));
                member != inv
            })
        };
        if !group_ok(p.nw_src, self.ip_group_src) || !group_ok(p.nw_dst, self.ip_group_dst) {
            return false;
        }
        if self
            .traversed
            .is_some_and(|(d, inv)| m.traversed.contains(&d) == inv)
        {
            return false;
        }
        if self.icmp_data_src.is_some_and(|inv| !inv) || self.icmp_data_dst.is_some_and(|inv| !inv)
        {
            return false;
        }
        !(self.nw_dst_rewritten && !m.nw_dst_rewritten)
    }
}

/// MidoNet's fragment policies: `header` wants the L4 header (whole datagram or first
/// fragment), `nonheader` a later fragment, `unfragmented` a whole datagram.
fn fragment_allows(policy: Option<FragmentPolicy>, fragment: Fragment) -> bool {
    match policy {
        None | Some(FragmentPolicy::Any) => true,
        Some(FragmentPolicy::Header) => fragment != Fragment::Later,
        Some(FragmentPolicy::Nonheader) => fragment == Fragment::Later,
        Some(FragmentPolicy::Unfragmented) => fragment == Fragment::Unfragmented,
    }
}

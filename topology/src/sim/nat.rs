//! Applies NAT rules (`reference/midonet.md` §4.4): a forward NAT whose targets keep ports is a
//! stateless 1:1 rewrite (elastic IPs); one with port ranges is dynamic and binds the flow in
//! the connection state, so later packets reuse the binding and `rev_snat`/`rev_dnat` on the
//! reply undo it. A reverse NAT without a binding changes nothing.
//!
//! Dynamic SNAT keeps the source port when it is in range and free, else takes the lowest free
//! one: deterministic, where MidoNet leases random 64-port blocks per host. ICMP keeps its
//! identifier; only its addresses are rewritten.

use std::net::Ipv4Addr;

use super::conntrack::NatTable;
use super::packet::{Packet, IPPROTO_ICMP};
use super::record::{Hop, NatKind};
use super::snapshot::RuleEntry;
use super::walk::Walk;
use crate::RuleType;

fn src_of(p: &Packet) -> (Ipv4Addr, u16) {
    (
        p.nw_src,
        if p.nw_proto == IPPROTO_ICMP {
            p.icmp_id
        } else {
            p.tp_src
        },
    )
}

fn dst_of(p: &Packet) -> (Ipv4Addr, u16) {
    (
        p.nw_dst,
        if p.nw_proto == IPPROTO_ICMP {
            p.icmp_id
        } else {
            p.tp_dst
        },
    )
}

fn set_src(p: &mut Packet, (addr, port): (Ipv4Addr, u16)) {
    p.nw_src = addr;
    if p.nw_proto != IPPROTO_ICMP && p.has_transport() {
        p.tp_src = port;
    }
}

fn set_dst(p: &mut Packet, (addr, port): (Ipv4Addr, u16)) {
    p.nw_dst = addr;
    if p.nw_proto != IPPROTO_ICMP && p.has_transport() {
        p.tp_dst = port;
    }
}

impl Walk<'_> {
    pub(crate) fn nat(&mut self, rule: &RuleEntry) {
        // NAT rewrites IPv4 only; MidoNet's NAT rules never apply to ARP.
        if !self.pkt.is_ipv4() {
            return;
        }
        let device = self.snap.devices[self.device as usize].id;
        let tuple = self.pkt.tuple();
        let (kind, before) = match rule.kind {
            RuleType::Dnat => (NatKind::Dnat, dst_of(&self.pkt)),
            RuleType::Snat => (NatKind::Snat, src_of(&self.pkt)),
            RuleType::RevDnat => (NatKind::RevDnat, src_of(&self.pkt)),
            _ => (NatKind::RevSnat, dst_of(&self.pkt)),
        };
        let after = match kind {
            NatKind::Dnat | NatKind::Snat if rule.static_nat => {
                // A static rule picks the first target's first address and keeps the port.
                let addr = rule
                    .targets
                    .first()
                    .map(|t| t.address_from)
                    .unwrap_or(before.0);
                (addr, before.1)
            }
            NatKind::Dnat => {
                let table = NatTable::ForwardDnat;
                match self.state.binding(table, tuple, device) {
                    Some(b) => b,
                    None => {
                        let t = rule.targets.first();
                        let addr = t.map(|t| t.address_from).unwrap_or(before.0);
                        let port = match t {
                            Some(t)
                                if t.port_from != 0
                                    && !(t.port_from..=t.port_to).contains(&before.1) =>
                            {
                                t.port_from
                            }
                            _ => before.1,
                        };
                        let mut reply = tuple.reversed();
                        reply.src = addr;
                        reply.src_port = port;
                        self.state.bind(table, tuple, device, (addr, port));
                        self.state
                            .bind(NatTable::ReverseDnat, reply, device, before);
                        (addr, port)
                    }
                }
            }
            NatKind::Snat => match self.state.binding(NatTable::ForwardSnat, tuple, device) {
                Some(b) => b,
                None => {
                    let chosen = self.lease(rule, tuple.proto, before, device);
                    let mut reply = tuple.reversed();
                    reply.dst = chosen.0;
                    reply.dst_port = chosen.1;
                    self.state
                        .bind(NatTable::ForwardSnat, tuple, device, chosen);
                    self.state
                        .bind(NatTable::ReverseSnat, reply, device, before);
                    chosen
                }
            },
            NatKind::RevDnat => self
                .state
                .binding(NatTable::ReverseDnat, tuple, device)
                .unwrap_or(before),
            NatKind::RevSnat => self
                .state
                .binding(NatTable::ReverseSnat, tuple, device)
                .unwrap_or(before),
        };
        match kind {
            NatKind::Dnat | NatKind::RevSnat => set_dst(&mut self.pkt, after),
            NatKind::Snat | NatKind::RevDnat => set_src(&mut self.pkt, after),
        }
        if kind == NatKind::Dnat && after != before {
            self.nw_dst_rewritten = true;
        }
        self.hops.push(Hop::Nat {
            rule: rule.id,
            kind,
            before,
            after,
        });
    }

    /// Picks an (address, port) for a dynamic SNAT from the rule's targets and leases it.
    fn lease(
        &mut self,
        rule: &RuleEntry,
        proto: u8,
        before: (Ipv4Addr, u16),
        device: uuid::Uuid,
    ) -> (Ipv4Addr, u16) {
        for t in &rule.targets {
            let (lo, hi) = (u32::from(t.address_from), u32::from(t.address_to));
            for a in lo..=hi {
                let addr = Ipv4Addr::from(a);
                if proto == IPPROTO_ICMP || t.port_from == 0 {
                    return (addr, before.1);
                }
                let keep = (t.port_from..=t.port_to).contains(&before.1);
                if keep && self.state.lease(device, proto, addr, before.1) {
                    return (addr, before.1);
                }
                for port in t.port_from..=t.port_to {
                    if self.state.lease(device, proto, addr, port) {
                        return (addr, port);
                    }
                }
            }
        }
        // Every port of every target is taken: MidoNet drops such a packet; keeping the source
        // unchanged makes the trace show the exhaustion as a missing rewrite.
        before
    }
}

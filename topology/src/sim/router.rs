//! Simulates an IPv4 router (`reference/midonet.md` §4.3): answers ARP for its ports, drops
//! frames not addressed to the ingress port, runs the inbound filters (DNAT, rev_snat), looks
//! the route up, decrements the TTL, runs the outbound filters with the out port set (SNAT,
//! rev_dnat), resolves the next hop's MAC and rewrites the Ethernet addresses.
//!
//! Route lookup follows MidoNet's `RoutingTable`: routes whose source prefix does not hold the
//! packet's source are skipped; among the rest the longest destination prefix wins, then the
//! lowest weight, then (ECMP) one picked by a hash of the flow's tuple.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::Ipv4Addr;

use super::conditions::Index;
use super::packet::{ARP_REQUEST, ICMP_ECHO_REQUEST, IPPROTO_ICMP};
use super::record::{DropReason, Hop, Verdict};
use super::snapshot::{Device, RouteEntry};
use super::walk::{Step, Walk};
use crate::{PortType, RouteType};

/// The route for (`src`, `dst`) on `dev`, as MidoNet's routing table picks it; `flow_hash`
/// is asked only when several routes tie (ECMP).
pub(crate) fn lookup(
    dev: &Device,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    flow_hash: impl FnOnce() -> u64,
) -> Option<&RouteEntry> {
    let d = u32::from(dst);
    for (len, table) in &dev.routes {
        let mask = if *len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(*len))
        };
        let Some(routes) = table.get(&(d & mask)) else {
            continue;
        };
        let usable = || routes.iter().filter(|r| r.src.contains(src));
        let Some(weight) = usable().map(|r| r.weight).min() else {
            continue;
        };
        let ties = usable().filter(|r| r.weight == weight).count();
        let pick = if ties > 1 {
            (flow_hash() % ties as u64) as usize
        } else {
            0
        };
        return usable().filter(|r| r.weight == weight).nth(pick);
    }
    None
}

impl Walk<'_> {
    pub(crate) fn router(&mut self, d: Index) -> Step {
        let snap = self.snap;
        let dev = &snap.devices[d as usize];
        let Some(in_port) = self.in_port.map(|p| &snap.ports[p as usize]) else {
            return Step::Done(self.drop_at(dev.id, DropReason::NotForRouter));
        };
        if self.pkt.vlan.is_some() || !self.pkt.has_network() {
            return Step::Done(self.drop_at(dev.id, DropReason::UnsupportedEthertype));
        }
        if !dev.admin_up {
            return Step::Done(self.drop_at(dev.id, DropReason::AdminDown));
        }
        if self.pkt.is_arp() {
            // A router answers ARP requests for its ingress port's address from senders inside
            // the port's subnet; other ARP (replies,
            // gratuitous) only feeds its ARP table.
            let from_subnet = in_port.network.is_none_or(|n| n.contains(self.pkt.nw_src));
            if self.pkt.nw_proto == ARP_REQUEST
                && Some(self.pkt.nw_dst) == in_port.address
                && from_subnet
            {
                if let Some(mac) = in_port.mac {
                    return Step::Done(Verdict::ArpReply {
                        device: dev.id,
                        ip: self.pkt.nw_dst,
                        mac,
                    });
                }
            }
            return Step::Done(self.drop_at(dev.id, DropReason::NotForRouter));
        }
        if self.pkt.is_l2_multicast_dst() || Some(self.pkt.eth_dst) != in_port.mac {
            return Step::Done(self.drop_at(dev.id, DropReason::NotForRouter));
        }
        if let Some(v) = self.filters(&dev.inbound, dev.id) {
            return Step::Done(v);
        }
        let tuple = self.pkt.tuple();
        let flow_hash = || {
            let mut h = DefaultHasher::new();
            tuple.hash(&mut h);
            h.finish()
        };
        let Some(route) = lookup(dev, self.pkt.nw_src, self.pkt.nw_dst, flow_hash) else {
            return Step::Done(Verdict::NoRoute { router: dev.id });
        };
        let out = route.port;
        self.hops.push(Hop::Route {
            router: dev.id,
            route: route.id,
            next_hop: route.gateway.unwrap_or(self.pkt.nw_dst),
            port: out.map(|p| snap.ports[p as usize].id),
        });
        let reason = match route.kind {
            RouteType::BlackHole => Some(DropReason::BlackHole { route: route.id }),
            RouteType::Reject => Some(DropReason::RejectRoute { route: route.id }),
            RouteType::Local => {
                let echo =
                    self.pkt.nw_proto == IPPROTO_ICMP && self.pkt.tp_src == ICMP_ECHO_REQUEST;
                if echo {
                    return Step::Done(Verdict::EchoReply { router: dev.id });
                }
                Some(DropReason::LocalNotAnswered { route: route.id })
            }
            RouteType::Normal => None,
        };
        if let Some(reason) = reason {
            return Step::Done(self.drop_at(dev.id, reason));
        }
        let Some(out) = out else {
            return Step::Done(self.drop_at(dev.id, DropReason::BadOutPort));
        };
        if self.pkt.ttl <= 1 {
            return Step::Done(self.drop_at(dev.id, DropReason::TtlExpired));
        }
        self.pkt.ttl -= 1;
        let q = &snap.ports[out as usize];
        match q.address {
            Some(a) if a != self.pkt.nw_dst => {}
            _ => return Step::Done(self.drop_at(dev.id, DropReason::BadOutPort)),
        }
        self.out_port = Some(out);
        if let Some(v) = self.filters(&dev.outbound, dev.id) {
            return Step::Done(v);
        }
        // The next hop is the gateway, else the (possibly rewritten) destination itself.
        let next_hop = route.gateway.unwrap_or(self.pkt.nw_dst);
        let peer = q.peer.map(|p| &snap.ports[p as usize]);
        let mac = match peer {
            Some(p) if p.kind == PortType::Router => p.mac,
            Some(p) => snap.devices[p.device as usize].arp.get(&next_hop).copied(),
            None => dev.router_arp.get(&next_hop).copied(),
        };
        let Some(mac) = mac else {
            return Step::Done(Verdict::ArpUnresolved {
                router: dev.id,
                port: q.id,
                next_hop,
            });
        };
        if let Some(own) = q.mac {
            self.pkt.eth_src = own;
        }
        self.pkt.eth_dst = mac;
        Step::Egress(out)
    }
}

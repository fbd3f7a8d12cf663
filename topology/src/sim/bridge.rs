//! Simulates a bridge (`reference/midonet.md` §4.2): drops multicast sources, runs the inbound
//! filters (skipped for VLAN-tagged frames), answers ARP requests it knows the answer to,
//! forwards unicast by peer router MACs then the MAC table, floods the rest to its exterior
//! ports, and runs the outbound filters on a single chosen port.
//!
//! Not simulated: MAC learning (the translator seeds the tables MidoNet would learn) and VLANs.

use super::conditions::Index;
use super::packet::ARP_REQUEST;
use super::record::{DropReason, Hop, Verdict};
use super::walk::{Step, Walk};

impl Walk<'_> {
    pub(crate) fn bridge(&mut self, d: Index) -> Step {
        let snap = self.snap;
        let dev = &snap.devices[d as usize];
        if self.pkt.is_l2_multicast_src() {
            return Step::Done(self.drop_at(dev.id, DropReason::MulticastSource));
        }
        if !dev.admin_up {
            return Step::Done(self.drop_at(dev.id, DropReason::AdminDown));
        }
        let tagged = self.pkt.vlan.is_some();
        if !tagged {
            if let Some(v) = self.filters(&dev.inbound, dev.id) {
                return Step::Done(v);
            }
        }
        let out = if self.pkt.is_l2_multicast_dst() {
            if self.pkt.is_arp() && self.pkt.nw_proto == ARP_REQUEST {
                if let Some(&mac) = dev.arp.get(&self.pkt.nw_dst) {
                    return Step::Done(Verdict::ArpReply {
                        device: dev.id,
                        ip: self.pkt.nw_dst,
                        mac,
                    });
                }
            }
            None
        } else {
            dev.router_macs
                .get(&self.pkt.eth_dst)
                .or_else(|| dev.mac_table.get(&self.pkt.eth_dst))
                .copied()
        };
        let Some(out) = out else {
            let ports = dev
                .ports
                .iter()
                .filter(|p| Some(**p) != self.in_port)
                .map(|p| &snap.ports[*p as usize])
                .filter(|p| p.is_exterior())
                .map(|p| p.id)
                .collect();
            return Step::Done(Verdict::Flooded {
                bridge: dev.id,
                ports,
            });
        };
        if Some(out) == self.in_port {
            return Step::Done(self.drop_at(dev.id, DropReason::Hairpin));
        }
        self.out_port = Some(out);
        self.hops.push(Hop::Forward {
            bridge: dev.id,
            port: snap.ports[out as usize].id,
        });
        if !tagged {
            if let Some(v) = self.filters(&dev.outbound, dev.id) {
                return Step::Done(v);
            }
        }
        Step::Egress(out)
    }
}

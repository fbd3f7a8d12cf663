//! Walks one packet through a snapshot (`reference/midonet.md` §4.1): port inbound filters,
//! the device (bridge or router), the device's filters, port outbound filters, then the peer
//! port, at most `MAX_DEVICES` devices. Devices, chains and NAT are in sibling modules; this
//! one holds the per-packet context and the port-to-port loop.

use uuid::Uuid;

use super::conditions::Index;
use super::conntrack::ConnectionState;
use super::packet::{FlowTuple, Packet, IPPROTO_UDP};
use super::record::{DropReason, FlowRecord, Hop, Verdict};
use super::snapshot::{DeviceKind, Snapshot};

/// MidoNet's `Simulator.MaxDevicesTraversed`.
pub const MAX_DEVICES: usize = 12;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulateError {
    #[error("port {0} is not in the snapshot")]
    UnknownPort(Uuid),
}

/// Walks `packet` in by port `ingress` and returns its flow record. `state` is read for return
/// flow and reverse NAT and updated with the connections and NAT bindings this packet opens.
pub fn simulate(
    snap: &Snapshot,
    state: &mut ConnectionState,
    ingress: Uuid,
    packet: Packet,
) -> Result<FlowRecord, SimulateError> {
    let port = *snap
        .port_index
        .get(&ingress)
        .ok_or(SimulateError::UnknownPort(ingress))?;
    let device = snap.ports[port as usize].device;
    let mut walk = Walk {
        snap,
        state,
        pkt: packet,
        hops: Vec::with_capacity(128),
        in_port: None,
        out_port: None,
        device,
        origin: port,
        nw_dst_rewritten: false,
        traversed: Vec::with_capacity(8),
        direction: None,
        ingress_device: snap.devices[device as usize].id,
        orig_tuple: packet.tuple(),
        chain_stack: Vec::with_capacity(8),
    };
    let verdict = walk.run(port);
    Ok(FlowRecord {
        ingress,
        input: packet,
        hops: walk.hops,
        verdict,
        output: walk.pkt,
        return_flow: walk.direction == Some(true),
    })
}

/// What a device decided.
pub(crate) enum Step {
    Egress(Index),
    Done(Verdict),
}

pub(crate) struct Walk<'a> {
    pub snap: &'a Snapshot,
    pub state: &'a mut ConnectionState,
    pub pkt: Packet,
    pub hops: Vec<Hop>,
    pub in_port: Option<Index>,
    pub out_port: Option<Index>,
    /// The device being simulated (the owner of the port whose filters run, too).
    pub device: Index,
    /// The exterior port the packet entered by.
    pub origin: Index,
    pub nw_dst_rewritten: bool,
    pub traversed: Vec<Index>,
    /// `Some(true)` once connection tracking found the packet to be return flow.
    pub direction: Option<bool>,
    pub ingress_device: Uuid,
    pub orig_tuple: FlowTuple,
    pub chain_stack: Vec<Index>,
}

impl Walk<'_> {
    fn run(&mut self, mut port: Index) -> Verdict {
        let snap = self.snap;
        if let Some(v) = self.dhcp(port) {
            return v;
        }
        loop {
            let p = &snap.ports[port as usize];
            self.hops.push(Hop::PortIngress { port: p.id });
            self.in_port = Some(port);
            self.out_port = None;
            self.nw_dst_rewritten = false;
            self.device = p.device;
            if !p.admin_up {
                return self.drop_at(p.id, DropReason::AdminDown);
            }
            if let Some(v) = self.filters(p.inbound.as_slice(), p.id) {
                return v;
            }
            if self.traversed.len() == MAX_DEVICES {
                return Verdict::HopLimit;
            }
            self.traversed.push(p.device);
            let dev = &snap.devices[p.device as usize];
            self.hops.push(Hop::Device {
                device: dev.id,
                kind: dev.kind,
            });
            let step = match dev.kind {
                DeviceKind::Bridge => self.bridge(p.device),
                DeviceKind::Router => self.router(p.device),
            };
            let out = match step {
                Step::Done(v) => return v,
                Step::Egress(out) => out,
            };
            let q = &snap.ports[out as usize];
            self.out_port = Some(out);
            self.hops.push(Hop::PortEgress { port: q.id });
            if !q.admin_up {
                return self.drop_at(q.id, DropReason::AdminDown);
            }
            if let Some(v) = self.filters(q.outbound.as_slice(), q.id) {
                return v;
            }
            if q.is_exterior() {
                self.track_connection(out);
                return Verdict::Delivered {
                    port: q.id,
                    host: q.host,
                    interface: q.interface.clone(),
                };
            }
            match q.peer {
                Some(peer) => port = peer,
                None => return self.drop_at(q.id, DropReason::Unplugged),
            }
        }
    }

    pub(crate) fn drop_at(&self, at: Uuid, reason: DropReason) -> Verdict {
        Verdict::Dropped { at, reason }
    }

    /// A DHCP request on an exterior bridge port is answered before simulation from the
    /// bridge's static hosts (`PacketWorkflow.handleDHCP`); without a host entry it is just a
    /// broadcast.
    fn dhcp(&mut self, port: Index) -> Option<Verdict> {
        let p = &self.snap.ports[port as usize];
        let pkt = &self.pkt;
        if !(p.is_exterior() && pkt.is_ipv4() && pkt.nw_proto == IPPROTO_UDP)
            || (pkt.tp_src, pkt.tp_dst) != (68, 67)
        {
            return None;
        }
        let dev = &self.snap.devices[p.device as usize];
        let (service, host) = dev
            .dhcp
            .iter()
            .filter(|s| s.subnet.enabled)
            .find_map(|s| s.hosts.get(&pkt.eth_src).map(|h| (s, h)))?;
        self.hops.push(Hop::PortIngress { port: p.id });
        Some(Verdict::DhcpReply {
            bridge: dev.id,
            lease: Box::new(host.clone()),
            gateway: service.subnet.default_gateway,
            dns: service.subnet.dns_server_addrs.clone(),
        })
    }

    /// On emission at an exterior port, a forward flow makes its reply key known: the reversed
    /// final tuple, entering by the device that owns the egress port.
    fn track_connection(&mut self, out: Index) {
        if self.direction == Some(false) && self.pkt.is_tracked() {
            let device = self.snap.devices[self.snap.ports[out as usize].device as usize].id;
            self.state.track(self.pkt.tuple().reversed(), device);
        }
    }
}

/// Whether the packet is return flow, computed once per walk on the packet as it entered
/// (`ConnTrackState`): its tuple and ingress device must be a tracked reply key. On disjoint
/// fields, so a condition can ask it while reading the others.
pub(crate) fn is_return(
    direction: &mut Option<bool>,
    state: &ConnectionState,
    pkt: &Packet,
    orig: FlowTuple,
    ingress_device: Uuid,
) -> bool {
    *direction.get_or_insert_with(|| pkt.is_tracked() && state.is_return(orig, ingress_device))
}

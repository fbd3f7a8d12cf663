//! Connection state a caller keeps between traces: the connections seen (so a reply is known as
//! return flow) and the dynamic NAT bindings with their leased ports (so a reply is reverse
//! NATed), keyed by device id as MidoNet's `ConnTrackState` and `NatState` are. Ids, not
//! snapshot indices, so the state survives a rebuilt snapshot.
//!
//! [`FlowStateEntry`] is one piece of that state as plain data, so a caller can keep it beyond
//! one process (the gateway stores it with a TTL) and put it back with
//! [`ConnectionState::restore`].

use std::net::Ipv4Addr;

use uuid::Uuid;

use super::fast_hash::{FastMap, FastSet};
use super::packet::FlowTuple;

/// Which NAT table a binding is in: forward bindings let later packets of a flow reuse their
/// translation, reverse bindings undo it on the reply.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum NatTable {
    ForwardSnat,
    ForwardDnat,
    ReverseSnat,
    ReverseDnat,
}

#[derive(Debug, Clone, Default)]
pub struct ConnectionState {
    /// (reply tuple, device the reply enters by) of every connection opened so far.
    connections: FastSet<(FlowTuple, Uuid)>,
    nat: FastMap<(NatTable, FlowTuple, Uuid), (Ipv4Addr, u16)>,
    /// (device, protocol, address, port) taken by a dynamic SNAT binding.
    leases: FastSet<(Uuid, u8, Ipv4Addr, u16)>,
}

/// One entry of [`ConnectionState`], as MidoNet's flow state tables hold them: a tracked
/// connection, a NAT binding, or a leased SNAT port, each on the device that keeps it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum FlowStateEntry {
    /// Replies with `reply` entering by `device` are return flow.
    #[serde(rename_all = "camelCase")]
    Conntrack { reply: FlowTuple, device: Uuid },
    /// `tuple` entering by `device` is translated to `translate_ip:translate_port`.
    #[serde(rename_all = "camelCase")]
    Nat {
        table: NatTable,
        tuple: FlowTuple,
        device: Uuid,
        translate_ip: Ipv4Addr,
        translate_port: u16,
    },
    /// `ip:port` of protocol `proto` is taken on `device` by a dynamic SNAT binding.
    #[serde(rename_all = "camelCase")]
    Lease {
        device: Uuid,
        proto: u8,
        ip: Ipv4Addr,
        port: u16,
    },
}

impl ConnectionState {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every entry held, in a stable order.
    pub fn entries(&self) -> Vec<FlowStateEntry> {
        let connections = self
            .connections
            .iter()
            .map(|&(reply, device)| FlowStateEntry::Conntrack { reply, device });
        let nat =
            self.nat.iter().map(
                |(&(table, tuple, device), &(ip, port))| FlowStateEntry::Nat {
                    table,
                    tuple,
                    device,
                    translate_ip: ip,
                    translate_port: port,
                },
            );
        let leases = self
            .leases
            .iter()
            .map(|&(device, proto, ip, port)| FlowStateEntry::Lease {
                device,
                proto,
                ip,
                port,
            });
        let mut all: Vec<FlowStateEntry> = connections.chain(nat).chain(leases).collect();
        all.sort_unstable();
        all
    }

    /// Puts back an entry taken from [`ConnectionState::entries`] (of this or another process).
    pub fn restore(&mut self, entry: FlowStateEntry) {
        match entry {
            FlowStateEntry::Conntrack { reply, device } => self.track(reply, device),
            FlowStateEntry::Nat {
                table,
                tuple,
                device,
                translate_ip,
                translate_port,
            } => self.bind(table, tuple, device, (translate_ip, translate_port)),
            FlowStateEntry::Lease {
                device,
                proto,
                ip,
                port,
            } => {
                self.lease(device, proto, ip, port);
            }
        }
    }

    /// Connections tracked so far.
    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    /// NAT bindings held (forward and reverse).
    pub fn nat_bindings(&self) -> usize {
        self.nat.len()
    }

    /// Whether a packet with `tuple` entering by `device` belongs to a connection opened the
    /// other way.
    pub(crate) fn is_return(&self, tuple: FlowTuple, device: Uuid) -> bool {
        self.connections.contains(&(tuple, device))
    }

    /// Records that replies `reply` entering by `device` are return flow.
    pub(crate) fn track(&mut self, reply: FlowTuple, device: Uuid) {
        self.connections.insert((reply, device));
    }

    pub(crate) fn binding(
        &self,
        table: NatTable,
        tuple: FlowTuple,
        device: Uuid,
    ) -> Option<(Ipv4Addr, u16)> {
        self.nat.get(&(table, tuple, device)).copied()
    }

    pub(crate) fn bind(
        &mut self,
        table: NatTable,
        tuple: FlowTuple,
        device: Uuid,
        to: (Ipv4Addr, u16),
    ) {
        self.nat.insert((table, tuple, device), to);
    }

    /// Leases `port` of `addr` on `device` if free.
    pub(crate) fn lease(&mut self, device: Uuid, proto: u8, addr: Ipv4Addr, port: u16) -> bool {
        self.leases.insert((device, proto, addr, port))
    }
}

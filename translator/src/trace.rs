//! Traces packets through a GNI's translated topology in Eucalyptus terms: "from instance or
//! ENI X to address Y, tcp/22", or "from the internet to Y". The topology is a fresh
//! `desired::translate` of the GNI, compiled into a `topology::sim::Snapshot`; no store needed.
//!
//! The upstream router behind each gateway is outside MidoNet: its MAC would be learned by
//! `eucart` from the wire, so it is seeded here as `UPSTREAM_MAC` to let traffic leave.

use std::net::{IpAddr, Ipv4Addr};

use topology::sim::{
    simulate, ConnectionState, FlowRecord, Mac, Packet, SimulateError, Snapshot, SnapshotBuilder,
    SnapshotError, Verdict,
};
use uuid::Uuid;

use crate::desired::{self, names, Desired, Environment, RegisteredHost, TranslateError};
use crate::gni::{Gni, Instance, Interface};

/// The MAC the simulation gives the upstream router behind every gateway.
pub const UPSTREAM_MAC: Mac = [0x02, 0x00, 0x5e, 0x00, 0x00, 0x01];
/// The source port a traced TCP/UDP packet leaves from.
pub const SOURCE_PORT: u16 = 40000;
/// The identifier of traced ICMP echo requests.
const ECHO_ID: u16 = 7;

/// The protocol part of a trace request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proto {
    Tcp(u16),
    Udp(u16),
    /// An ICMP echo request.
    Icmp,
}

#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error(transparent)]
    Translate(#[from] TranslateError),
    #[error("snapshot: {0}")]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Simulate(#[from] SimulateError),
    #[error("trace: no instance or interface {0} in the GNI")]
    UnknownInterface(String),
    #[error("trace: interface {0} has no port in the topology (its node has no MidoNet host?)")]
    Unbound(String),
    #[error("trace: the GNI has no gateway to enter from the internet by")]
    NoGateway,
    #[error("trace: {0} has nowhere to send {1} (its bridge knows no MAC for it or its gateway)")]
    NoNextHop(String, Ipv4Addr),
}

/// Every object of `desired` in a snapshot builder, named by its translator key so that
/// rendered traces read `ic_i-1a2b_prechain/return_flow` rather than ids.
impl From<&Desired> for SnapshotBuilder {
    fn from(d: &Desired) -> Self {
        let mut b = SnapshotBuilder::new();
        for r in d.routers.values() {
            b.router(topology::Router::clone(r));
        }
        for br in d.bridges.values() {
            b.bridge(topology::Bridge::clone(br));
        }
        for p in d.ports.values() {
            let mut port = p.port.clone();
            port.peer_id = p.peer;
            if let Some(binding) = &p.binding {
                port.host_id = Some(binding.host_id);
                port.interface_name = Some(binding.interface_name.clone());
            }
            b.port(port);
        }
        for c in d.chains.values() {
            b.chain(
                c.chain.clone(),
                c.rules.iter().map(|r| topology::Rule::clone(r)).collect(),
            );
        }
        for r in d.routes.values() {
            b.route(topology::Route::clone(r));
        }
        for g in d.ip_addr_groups.values() {
            let addrs = g.addrs.iter().copied().collect();
            b.ip_addr_group(g.group.id, g.group.name.clone(), addrs);
        }
        for g in d.port_groups.values() {
            let ports = g.ports.iter().copied().collect();
            b.port_group(g.group.id, g.group.name.clone(), ports);
        }
        for s in d.dhcp_subnets.values() {
            b.dhcp_subnet(s.bridge, s.subnet.clone());
        }
        for h in d.dhcp_hosts.values() {
            b.dhcp_host(h.bridge, h.host.clone());
        }
        for e in d.ip4_macs.values() {
            b.arp_entry(e.bridge, e.entry.clone());
        }
        for e in d.mac_ports.values() {
            b.mac_entry(e.bridge, e.entry.clone());
        }
        for (id, origin) in &d.origins {
            b.name(*id, origin.key.clone());
        }
        b
    }
}

/// A GNI's topology ready to trace, with the connection state traces share.
pub struct Tracer<'g> {
    gni: &'g Gni,
    pub desired: Desired,
    pub snapshot: Snapshot,
    pub state: ConnectionState,
    /// The source port of traced TCP/UDP packets ([`SOURCE_PORT`] unless set): a reply traced
    /// in a later run sets it to its request's destination port.
    pub source_port: u16,
}

impl<'g> Tracer<'g> {
    /// Translates `gni` and compiles the result.
    pub fn new(gni: &'g Gni, env: &Environment) -> Result<Self, TraceError> {
        let desired = desired::translate(gni, env)?;
        let mut builder = SnapshotBuilder::from(&desired);
        let eucart = names::object_id(names::CORE_ROUTER);
        for g in &gni.config.gateways {
            builder.router_arp_entry(eucart, g.uplink.peer_ip(), UPSTREAM_MAC);
        }
        let snapshot = builder.build()?;
        Ok(Tracer {
            gni,
            desired,
            snapshot,
            state: ConnectionState::new(),
            source_port: SOURCE_PORT,
        })
    }

    /// The interface named `name`: an instance id (its primary interface), an interface name
    /// or an ENI id.
    pub fn interface(&self, name: &str) -> Result<(&'g Instance, &'g Interface), TraceError> {
        let gni: &'g Gni = self.gni;
        gni.interfaces()
            .find(|(_, i)| i.name.as_str() == name || i.eni_id.as_str() == name)
            .or_else(|| {
                gni.interfaces()
                    .find(|(inst, i)| inst.id.as_str() == name && i.device_index == 0)
            })
            .ok_or_else(|| TraceError::UnknownInterface(name.to_owned()))
    }

    /// The exterior port of interface `name`.
    pub fn port_of(&self, name: &str) -> Result<Uuid, TraceError> {
        let (_, interface) = self.interface(name)?;
        let port = desired::interface_port_id(interface);
        if self.snapshot.has_port(port) {
            Ok(port)
        } else {
            Err(TraceError::Unbound(name.to_owned()))
        }
    }

    /// The packet interface `from` would send to `to`: from its MAC and private address to
    /// the MAC its ARP finds (`to` on its subnet, else the subnet's router port).
    pub fn packet_from(
        &self,
        from: &str,
        to: Ipv4Addr,
        proto: Proto,
    ) -> Result<Packet, TraceError> {
        let (_, interface) = self.interface(from)?;
        let port = self.port_of(from)?;
        let next = self
            .snapshot
            .l2_next_hop(port, to)
            .ok_or_else(|| TraceError::NoNextHop(from.to_owned(), to))?;
        Ok(packet(
            (interface.mac.0, next),
            (interface.private_ip, self.source_port),
            to,
            proto,
        ))
    }

    /// Traces `packet` in by the port of interface `from`, as it is (forged headers included).
    pub fn send_from(&mut self, from: &str, packet: Packet) -> Result<FlowRecord, TraceError> {
        let port = self.port_of(from)?;
        Ok(simulate(&self.snapshot, &mut self.state, port, packet)?)
    }

    /// Traces a packet from interface `from` to `to`.
    pub fn from_interface(
        &mut self,
        from: &str,
        to: Ipv4Addr,
        proto: Proto,
    ) -> Result<FlowRecord, TraceError> {
        let p = self.packet_from(from, to, proto)?;
        self.send_from(from, p)
    }

    /// Traces a packet from internet host `src` to `to`, in by the first gateway's port.
    pub fn from_internet(
        &mut self,
        src: Ipv4Addr,
        to: Ipv4Addr,
        proto: Proto,
    ) -> Result<FlowRecord, TraceError> {
        let mut state = std::mem::take(&mut self.state);
        let r = self.trace_from_internet(src, to, proto, &mut state);
        self.state = state;
        r
    }

    /// `from_internet` with a connection state of the caller's.
    pub fn trace_from_internet(
        &self,
        src: Ipv4Addr,
        to: Ipv4Addr,
        proto: Proto,
        state: &mut ConnectionState,
    ) -> Result<FlowRecord, TraceError> {
        let gateway = self
            .gni
            .config
            .gateways
            .first()
            .ok_or(TraceError::NoGateway)?;
        let port = desired::gateway_port_id(gateway.external_ip);
        let mac = self.snapshot.port_mac(port).ok_or(TraceError::NoGateway)?;
        let p = packet((UPSTREAM_MAC, mac), (src, self.source_port), to, proto);
        Ok(simulate(&self.snapshot, state, port, p)?)
    }

    /// Traces the reply to a delivered packet: back in by the port it was delivered to, with
    /// addresses and ports swapped. `None` if `request` was not delivered.
    pub fn reply(&mut self, request: &FlowRecord) -> Result<Option<FlowRecord>, TraceError> {
        let Verdict::Delivered { port, .. } = request.verdict else {
            return Ok(None);
        };
        let reply = request.output.reply();
        Ok(Some(simulate(
            &self.snapshot,
            &mut self.state,
            port,
            reply,
        )?))
    }

    /// Whether `record` ended at interface `name`'s port.
    pub fn delivered_to(&self, record: &FlowRecord, name: &str) -> bool {
        self.port_of(name)
            .is_ok_and(|p| record.verdict.is_delivered_to(p))
    }

    /// Whether `record` left the cloud by a gateway port.
    pub fn delivered_to_internet(&self, record: &FlowRecord) -> bool {
        self.gni.config.gateways.iter().any(|g| {
            record
                .verdict
                .is_delivered_to(desired::gateway_port_id(g.external_ip))
        })
    }

    /// Whether `record` ended at any instance's port.
    pub fn delivered_to_any_instance(&self, record: &FlowRecord) -> bool {
        match record.verdict {
            Verdict::Delivered { port, .. } => self
                .gni
                .interfaces()
                .any(|(_, i)| desired::interface_port_id(i) == port),
            _ => false,
        }
    }
}

fn packet(eth: (Mac, Mac), src: (Ipv4Addr, u16), dst: Ipv4Addr, proto: Proto) -> Packet {
    let (src, sport) = src;
    match proto {
        Proto::Tcp(port) => Packet::tcp(eth, (src, sport), (dst, port)),
        Proto::Udp(port) => Packet::udp(eth, (src, sport), (dst, port)),
        Proto::Icmp => Packet::icmp(eth, src, dst, 8, ECHO_ID),
    }
}

/// A MidoNet host for every node and gateway host of `gni`, so that an offline trace binds
/// every port as a live cloud would; ids are UUIDv5 of the address, stable across runs.
pub fn offline_environment(gni: &Gni, version: &str) -> Environment {
    let mut env = Environment::new(version);
    let nodes = gni
        .config
        .clusters
        .values()
        .flat_map(|c| c.nodes.keys().copied());
    let gateways = gni.config.gateways.iter().map(|g| g.host_ip);
    let mut addresses: Vec<Ipv4Addr> = nodes.chain(gateways).collect();
    addresses.sort();
    addresses.dedup();
    for address in addresses {
        env.hosts.push(RegisteredHost {
            id: Uuid::new_v5(&names::NAMESPACE, format!("host/{address}").as_bytes()),
            name: address.to_string(),
            addresses: vec![IpAddr::V4(address)],
        });
    }
    env
}

/// What `translator trace` asks, in Eucalyptus terms.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    /// `i-…`, `eni-…`, or `internet` (in by the first gateway, from `internet_source`).
    pub from: String,
    /// An address, or an instance/interface whose private address is meant.
    pub to: String,
    pub proto: Proto,
    pub internet_source: Ipv4Addr,
    /// Trace the reply too, after the request (stateful: return flow, reverse NAT).
    pub reply: bool,
    /// List rules that did not match as well.
    pub all_rules: bool,
}

impl Tracer<'_> {
    /// The address `to` names: itself if an address, else the interface's private address.
    pub fn address_of(&self, to: &str) -> Result<Ipv4Addr, TraceError> {
        match to.parse() {
            Ok(a) => Ok(a),
            Err(_) => Ok(self.interface(to)?.1.private_ip),
        }
    }

    /// The port `request`'s packet enters by: the interface's, or the first gateway's.
    pub fn ingress_port(&self, request: &TraceRequest) -> Result<Uuid, TraceError> {
        if request.from == "internet" {
            let gateway = self
                .gni
                .config
                .gateways
                .first()
                .ok_or(TraceError::NoGateway)?;
            Ok(desired::gateway_port_id(gateway.external_ip))
        } else {
            self.port_of(&request.from)
        }
    }

    /// Runs `request` and renders the trace (and the reply's), one hop per line.
    pub fn run(&mut self, request: &TraceRequest) -> Result<String, TraceError> {
        self.run_ports(request).map(|(out, _)| out)
    }

    /// [`Tracer::run`], also answering the exterior ports the packets entered and left by:
    /// where flow state is kept so that a later trace from any of them sees it.
    pub fn run_ports(&mut self, request: &TraceRequest) -> Result<(String, Vec<Uuid>), TraceError> {
        let mut ports = vec![self.ingress_port(request)?];
        let to = self.address_of(&request.to)?;
        let record = if request.from == "internet" {
            self.from_internet(request.internet_source, to, request.proto)?
        } else {
            self.from_interface(&request.from, to, request.proto)?
        };
        if let Verdict::Delivered { port, .. } = record.verdict {
            ports.push(port);
        }
        let mut out = record.render(&self.snapshot, request.all_rules);
        if request.reply {
            match self.reply(&record)? {
                Some(reply) => {
                    out.push_str("\nreply:\n");
                    out.push_str(&reply.render(&self.snapshot, request.all_rules));
                }
                None => out.push_str("\nreply: none (the request was not delivered)\n"),
            }
        }
        ports.dedup();
        Ok((out, ports))
    }
}

/// Parses `tcp`, `udp` or `icmp` with a destination port (needed for tcp and udp).
pub fn parse_proto(proto: &str, dport: Option<u16>) -> Result<Proto, String> {
    match (proto.to_ascii_lowercase().as_str(), dport) {
        ("tcp", Some(p)) => Ok(Proto::Tcp(p)),
        ("udp", Some(p)) => Ok(Proto::Udp(p)),
        ("icmp", _) => Ok(Proto::Icmp),
        ("tcp" | "udp", None) => Err(format!("--proto {proto} needs --dport")),
        _ => Err(format!("--proto {proto}: expected tcp, udp or icmp")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

    fn request(from: &str, to: &str, proto: Proto) -> TraceRequest {
        TraceRequest {
            from: from.into(),
            to: to.into(),
            proto,
            internet_source: Ipv4Addr::new(8, 8, 8, 8),
            reply: true,
            all_rules: false,
        }
    }

    #[test]
    fn an_offline_trace_binds_every_instance_and_names_hops_by_their_eucanetd_names() {
        let gni = crate::gni::parse(TWO_VPCS).unwrap();
        let env = offline_environment(&gni, "5.0.0.0");
        let mut t = Tracer::new(&gni, &env).unwrap();
        for (_, i) in gni.interfaces() {
            assert!(t.port_of(i.name.as_str()).is_ok(), "{}", i.name);
        }
        let text = t
            .run(&request("i-00000a01", "i-00000a02", Proto::Tcp(5432)))
            .unwrap();
        assert!(text.contains("router vr_vpc-0000000a_"), "{text}");
        assert!(
            text.contains(
                "verdict delivered to port vb_vpc-0000000a_subnet-000000a2/port/i-00000a02"
            ),
            "{text}"
        );
        assert!(text.contains("reply:"), "{text}");
        let text = t
            .run(&request("internet", "203.0.113.10", Proto::Tcp(22)))
            .unwrap();
        assert!(text.contains("verdict dropped by rule"), "{text}");
    }

    #[test]
    fn protocols_need_a_port_except_icmp() {
        assert_eq!(parse_proto("tcp", Some(22)), Ok(Proto::Tcp(22)));
        assert_eq!(parse_proto("ICMP", None), Ok(Proto::Icmp));
        assert!(parse_proto("udp", None).is_err());
        assert!(parse_proto("sctp", Some(1)).is_err());
    }
}

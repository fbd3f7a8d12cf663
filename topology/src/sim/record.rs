//! The flow record a simulation returns, after MidoNet's `FlowRecord`: every port, device,
//! chain and rule on the path in order, each NAT rewrite, the route chosen, the verdict and the
//! final headers; `render` prints it one hop per line with names in place of ids.

use std::fmt::Write;
use std::net::Ipv4Addr;

use uuid::Uuid;

use super::packet::{Mac, MacDisplay, Packet};
use super::snapshot::{DeviceKind, Snapshot};
use crate::{DhcpHost, RuleType};

/// What a matched rule made of the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleResult {
    /// The rule did not match.
    NoMatch,
    Accept,
    Drop,
    Reject,
    Return,
    /// Matched and went on (a NAT rule with flowAction continue).
    Continue,
    /// Matched a jump whose target chain was entered.
    Jump,
    /// Matched a jump to a chain already on the stack, which MidoNet ignores.
    JumpIgnored,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NatKind {
    Dnat,
    Snat,
    RevDnat,
    RevSnat,
}

/// One step of the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    PortIngress {
        port: Uuid,
    },
    Device {
        device: Uuid,
        kind: DeviceKind,
    },
    Rule {
        chain: Uuid,
        rule: Uuid,
        rule_type: RuleType,
        result: RuleResult,
    },
    /// A NAT rewrite, or a reverse NAT that found no mapping (`before == after`).
    Nat {
        rule: Uuid,
        kind: NatKind,
        before: (Ipv4Addr, u16),
        after: (Ipv4Addr, u16),
    },
    Route {
        router: Uuid,
        route: Uuid,
        next_hop: Ipv4Addr,
        port: Option<Uuid>,
    },
    /// The bridge's forwarding decision.
    Forward {
        bridge: Uuid,
        port: Uuid,
    },
    PortEgress {
        port: Uuid,
    },
}

/// Why a packet went no further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DropReason {
    Rule {
        chain: Uuid,
        rule: Uuid,
    },
    /// A reject rule: dropped, with an ICMP "prohibited" sent back in a router's context.
    Rejected {
        chain: Uuid,
        rule: Uuid,
    },
    AdminDown,
    MulticastSource,
    /// The bridge would send the frame back out of the port it came in by.
    Hairpin,
    /// The egress port is neither linked nor bound.
    Unplugged,
    /// A router got a unicast frame for another MAC, or an ethertype it does not route.
    NotForRouter,
    UnsupportedEthertype,
    TtlExpired,
    BlackHole {
        route: Uuid,
    },
    RejectRoute {
        route: Uuid,
    },
    /// Addressed to a router's own port but not an echo request the router answers.
    LocalNotAnswered {
        route: Uuid,
    },
    /// The route's port has no IPv4 address, or the packet is for that address.
    BadOutPort,
}

/// The outcome of a walk.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Emitted on exterior port `port`, bound to `interface` on `host`.
    Delivered {
        port: Uuid,
        host: Option<Uuid>,
        interface: Option<String>,
    },
    Dropped {
        at: Uuid,
        reason: DropReason,
    },
    /// No route on `router` for the destination (ICMP net unreachable to the sender).
    NoRoute {
        router: Uuid,
    },
    /// The router found no MAC for `next_hop` behind `port`: it would ARP and wait.
    ArpUnresolved {
        router: Uuid,
        port: Uuid,
        next_hop: Ipv4Addr,
    },
    /// More than `MAX_DEVICES` devices: a topology loop.
    HopLimit,
    /// A DHCP request answered by the agent from a static host entry.
    DhcpReply {
        bridge: Uuid,
        lease: Box<DhcpHost>,
        gateway: Option<Ipv4Addr>,
        dns: Vec<Ipv4Addr>,
    },
    /// An ARP request answered by a device (a bridge from its table, a router for its port).
    ArpReply {
        device: Uuid,
        ip: Ipv4Addr,
        mac: Mac,
    },
    /// An ICMP echo request to a router port, answered by the router.
    EchoReply {
        router: Uuid,
    },
    /// Unknown destination or broadcast: copies go to these exterior ports.
    Flooded {
        bridge: Uuid,
        ports: Vec<Uuid>,
    },
}

impl Verdict {
    pub fn is_delivered_to(&self, port: Uuid) -> bool {
        matches!(self, Verdict::Delivered { port: p, .. } if *p == port)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FlowRecord {
    pub ingress: Uuid,
    pub input: Packet,
    pub hops: Vec<Hop>,
    pub verdict: Verdict,
    /// The headers at the end of the walk, rewrites included.
    pub output: Packet,
    /// Whether connection tracking saw this packet as part of a connection opened the other way.
    pub return_flow: bool,
}

impl FlowRecord {
    /// The devices the walk entered, in order.
    pub fn devices(&self) -> Vec<Uuid> {
        self.hops
            .iter()
            .filter_map(|h| match h {
                Hop::Device { device, .. } => Some(*device),
                _ => None,
            })
            .collect()
    }

    /// The rules that matched, in order, as (chain, rule, result).
    pub fn matched_rules(&self) -> impl Iterator<Item = (Uuid, Uuid, RuleResult)> + '_ {
        self.hops.iter().filter_map(|h| match h {
            Hop::Rule {
                chain,
                rule,
                result,
                ..
            } if *result != RuleResult::NoMatch => Some((*chain, *rule, *result)),
            _ => None,
        })
    }

    /// The trace as text, one hop per line; `all_rules` also lists rules that did not match.
    pub fn render(&self, snap: &Snapshot, all_rules: bool) -> String {
        let n = |id: Uuid| snap.name_of(id);
        let mut out = format!("packet  {} in port {}\n", self.input, n(self.ingress));
        for h in &self.hops {
            let line = match h {
                Hop::PortIngress { port } => format!("ingress port {}", n(*port)),
                Hop::Device { device, kind } => {
                    let k = if *kind == DeviceKind::Router {
                        "router"
                    } else {
                        "bridge"
                    };
                    format!("{k} {}", n(*device))
                }
                Hop::Rule {
                    result: RuleResult::NoMatch,
                    ..
                } if !all_rules => continue,
                Hop::Rule {
                    chain,
                    rule,
                    rule_type,
                    result,
                } => format!(
                    "  chain {} rule {} ({rule_type:?}): {result:?}",
                    n(*chain),
                    n(*rule)
                ),
                Hop::Nat {
                    kind,
                    before,
                    after,
                    ..
                } => format!(
                    "  {kind:?} {}:{} -> {}:{}",
                    before.0, before.1, after.0, after.1
                ),
                Hop::Route {
                    route,
                    next_hop,
                    port,
                    ..
                } => format!(
                    "  route {} next hop {next_hop} via {}",
                    n(*route),
                    port.map(n).unwrap_or_else(|| "-".into())
                ),
                Hop::Forward { port, .. } => format!("  forward to port {}", n(*port)),
                Hop::PortEgress { port } => format!("egress port {}", n(*port)),
            };
            let _ = writeln!(out, "{line}");
        }
        let verdict = match &self.verdict {
            Verdict::Delivered {
                port,
                host,
                interface,
            } => format!(
                "delivered to port {} (host {}, interface {})",
                n(*port),
                host.map(|h| h.to_string()).unwrap_or_else(|| "-".into()),
                interface.as_deref().unwrap_or("-")
            ),
            Verdict::Dropped { at, reason } => match reason {
                DropReason::Rule { chain, rule } => {
                    format!("dropped by rule {} of chain {}", n(*rule), n(*chain))
                }
                DropReason::Rejected { chain, rule } => {
                    format!("rejected by rule {} of chain {}", n(*rule), n(*chain))
                }
                other => format!("dropped at {}: {other:?}", n(*at)),
            },
            Verdict::NoRoute { router } => format!("no route on {}", n(*router)),
            Verdict::ArpUnresolved {
                router,
                port,
                next_hop,
            } => format!(
                "ARP unresolved: {} has no MAC for {next_hop} behind port {}",
                n(*router),
                n(*port)
            ),
            Verdict::HopLimit => "dropped: hop limit (possible topology loop)".into(),
            Verdict::DhcpReply { lease, gateway, .. } => format!(
                "DHCP reply: {} for {} (gateway {})",
                lease.ip_addr,
                lease.mac_addr,
                gateway.map(|g| g.to_string()).unwrap_or_else(|| "-".into())
            ),
            Verdict::ArpReply { device, ip, mac } => {
                format!(
                    "ARP reply from {}: {ip} is at {}",
                    n(*device),
                    MacDisplay(*mac)
                )
            }
            Verdict::EchoReply { router } => format!("echo reply from router {}", n(*router)),
            Verdict::Flooded { bridge, ports } => {
                format!(
                    "flooded by {} to {} exterior ports",
                    n(*bridge),
                    ports.len()
                )
            }
        };
        let _ = writeln!(out, "verdict {verdict}");
        let _ = writeln!(out, "headers {}", self.output);
        out
    }
}

//! The packet a simulation walks: the header fields MidoNet's flow match carries (Ethernet,
//! IPv4 or ARP, TCP/UDP ports or ICMP type/code/identifier), as plain copyable data.
//!
//! ARP rides in the same fields as MidoNet's flow match puts it: `nw_proto` is the opcode,
//! `nw_src`/`nw_dst` the sender and target protocol addresses. ICMP carries its type in `tp_src`
//! and its code in `tp_dst`, as rule conditions match them.

use std::fmt;
use std::net::Ipv4Addr;

/// A MAC address.
pub type Mac = [u8; 6];

pub const ETH_IPV4: u16 = 0x0800;
pub const ETH_ARP: u16 = 0x0806;
pub const IPPROTO_ICMP: u8 = 1;
pub const IPPROTO_TCP: u8 = 6;
pub const IPPROTO_UDP: u8 = 17;
pub const ARP_REQUEST: u8 = 1;
pub const ARP_REPLY: u8 = 2;
pub const ICMP_ECHO_REQUEST: u16 = 8;
pub const BROADCAST_MAC: Mac = [0xff; 6];
const DEFAULT_TTL: u8 = 64;

/// Where a packet stands among the fragments of its datagram; rule fragment policies read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fragment {
    /// A whole datagram.
    Unfragmented,
    /// The first fragment, which carries the L4 header.
    First,
    /// A later fragment, without L4 header.
    Later,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Packet {
    pub eth_src: Mac,
    pub eth_dst: Mac,
    pub eth_type: u16,
    pub vlan: Option<u16>,
    pub nw_src: Ipv4Addr,
    pub nw_dst: Ipv4Addr,
    pub nw_proto: u8,
    pub nw_tos: u8,
    pub ttl: u8,
    pub tp_src: u16,
    pub tp_dst: u16,
    /// The ICMP echo identifier, which connection tracking uses in place of ports.
    pub icmp_id: u16,
    pub fragment: Fragment,
}

/// The 5-tuple connection tracking and NAT key on (ICMP uses its identifier as both ports).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct FlowTuple {
    pub proto: u8,
    pub src: Ipv4Addr,
    pub src_port: u16,
    pub dst: Ipv4Addr,
    pub dst_port: u16,
}

impl FlowTuple {
    /// The tuple of the reply: source and destination swapped.
    pub fn reversed(self) -> Self {
        FlowTuple {
            proto: self.proto,
            src: self.dst,
            src_port: self.dst_port,
            dst: self.src,
            dst_port: self.src_port,
        }
    }
}

impl Packet {
    fn ipv4(eth_src: Mac, eth_dst: Mac, src: Ipv4Addr, dst: Ipv4Addr, proto: u8) -> Self {
        Packet {
            eth_src,
            eth_dst,
            eth_type: ETH_IPV4,
            vlan: None,
            nw_src: src,
            nw_dst: dst,
            nw_proto: proto,
            nw_tos: 0,
            ttl: DEFAULT_TTL,
            tp_src: 0,
            tp_dst: 0,
            icmp_id: 0,
            fragment: Fragment::Unfragmented,
        }
    }

    /// A TCP segment (a SYN, as far as the simulation cares).
    pub fn tcp(eth: (Mac, Mac), src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> Self {
        Packet {
            tp_src: src.1,
            tp_dst: dst.1,
            ..Self::ipv4(eth.0, eth.1, src.0, dst.0, IPPROTO_TCP)
        }
    }

    pub fn udp(eth: (Mac, Mac), src: (Ipv4Addr, u16), dst: (Ipv4Addr, u16)) -> Self {
        Packet {
            tp_src: src.1,
            tp_dst: dst.1,
            ..Self::ipv4(eth.0, eth.1, src.0, dst.0, IPPROTO_UDP)
        }
    }

    /// An ICMP message of `icmp_type`/`code`, with echo identifier `id`.
    pub fn icmp(eth: (Mac, Mac), src: Ipv4Addr, dst: Ipv4Addr, icmp_type: u8, id: u16) -> Self {
        Packet {
            tp_src: u16::from(icmp_type),
            tp_dst: 0,
            icmp_id: id,
            ..Self::ipv4(eth.0, eth.1, src, dst, IPPROTO_ICMP)
        }
    }

    /// A broadcast ARP request from `sender` asking for `target`.
    pub fn arp_request(sender_mac: Mac, sender: Ipv4Addr, target: Ipv4Addr) -> Self {
        Packet {
            eth_type: ETH_ARP,
            nw_proto: ARP_REQUEST,
            ttl: 0,
            ..Self::ipv4(sender_mac, BROADCAST_MAC, sender, target, 0)
        }
    }

    /// A DHCP DISCOVER/REQUEST from `client_mac` (UDP 68 -> 67, broadcast).
    pub fn dhcp_request(client_mac: Mac) -> Self {
        Self::udp(
            (client_mac, BROADCAST_MAC),
            (Ipv4Addr::UNSPECIFIED, 68),
            (Ipv4Addr::BROADCAST, 67),
        )
    }

    /// The reply a host would send to this packet: addresses and ports swapped, ICMP echo
    /// requests answered by echo replies.
    pub fn reply(&self) -> Self {
        let mut r = Packet {
            eth_src: self.eth_dst,
            eth_dst: self.eth_src,
            nw_src: self.nw_dst,
            nw_dst: self.nw_src,
            tp_src: self.tp_dst,
            tp_dst: self.tp_src,
            ttl: DEFAULT_TTL,
            ..*self
        };
        if self.nw_proto == IPPROTO_ICMP {
            r.tp_src = if self.tp_src == ICMP_ECHO_REQUEST {
                0
            } else {
                self.tp_src
            };
            r.tp_dst = self.tp_dst;
        }
        r
    }

    pub fn is_ipv4(&self) -> bool {
        self.eth_type == ETH_IPV4
    }

    pub fn is_arp(&self) -> bool {
        self.eth_type == ETH_ARP
    }

    /// Whether the network fields (addresses, protocol) mean anything: IPv4 or ARP.
    pub fn has_network(&self) -> bool {
        self.is_ipv4() || self.is_arp()
    }

    /// Whether the transport fields mean anything: an IPv4 TCP/UDP/ICMP packet with its header.
    pub fn has_transport(&self) -> bool {
        self.is_ipv4()
            && matches!(self.nw_proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_ICMP)
            && self.fragment != Fragment::Later
    }

    /// Whether connection tracking follows this packet (IPv4 TCP, UDP or ICMP).
    pub fn is_tracked(&self) -> bool {
        self.is_ipv4() && matches!(self.nw_proto, IPPROTO_TCP | IPPROTO_UDP | IPPROTO_ICMP)
    }

    pub fn tuple(&self) -> FlowTuple {
        let (src_port, dst_port) = if self.nw_proto == IPPROTO_ICMP {
            (self.icmp_id, self.icmp_id)
        } else {
            (self.tp_src, self.tp_dst)
        };
        FlowTuple {
            proto: self.nw_proto,
            src: self.nw_src,
            src_port,
            dst: self.nw_dst,
            dst_port,
        }
    }

    pub fn is_l2_multicast_dst(&self) -> bool {
        self.eth_dst[0] & 1 == 1
    }

    pub fn is_l2_multicast_src(&self) -> bool {
        self.eth_src[0] & 1 == 1
    }
}

/// Writes a MAC as `aa:bb:cc:dd:ee:ff`.
pub struct MacDisplay(pub Mac);

impl fmt::Display for MacDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            m[0], m[1], m[2], m[3], m[4], m[5]
        )
    }
}

impl fmt::Display for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} > {} ",
            MacDisplay(self.eth_src),
            MacDisplay(self.eth_dst)
        )?;
        match (self.eth_type, self.nw_proto) {
            (ETH_ARP, op) => {
                let what = if op == ARP_REPLY { "reply" } else { "request" };
                write!(f, "arp {what} {} asks {}", self.nw_src, self.nw_dst)
            }
            (ETH_IPV4, IPPROTO_TCP) | (ETH_IPV4, IPPROTO_UDP) => {
                let p = if self.nw_proto == IPPROTO_TCP {
                    "tcp"
                } else {
                    "udp"
                };
                write!(
                    f,
                    "{p} {}:{} > {}:{}",
                    self.nw_src, self.tp_src, self.nw_dst, self.tp_dst
                )
            }
            (ETH_IPV4, IPPROTO_ICMP) => write!(
                f,
                "icmp {} > {} type {} code {} id {}",
                self.nw_src, self.nw_dst, self.tp_src, self.tp_dst, self.icmp_id
            ),
            (ETH_IPV4, p) => write!(f, "ip proto {p} {} > {}", self.nw_src, self.nw_dst),
            (t, _) => write!(f, "ethertype {t:#06x}"),
        }
    }
}

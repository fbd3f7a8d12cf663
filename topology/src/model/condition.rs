//! The match half of a rule (MidoNet `Condition`): every field is a wildcard when absent, each
//! predicate has its own inversion flag, and `condInvert` inverts the whole match.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::parse_mac;
use crate::validation::Checker;

/// An inclusive L4 port range; one bound may be omitted. For ICMP it carries the type (`tpSrc`)
/// and code (`tpDst`), as MidoNet's own Neutron translation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<u16>,
}

impl PortRange {
    pub fn new(start: u16, end: u16) -> Self {
        PortRange {
            start: Some(start),
            end: Some(end),
        }
    }

    pub fn single(port: u16) -> Self {
        Self::new(port, port)
    }

    pub fn bounds(&self) -> (u16, u16) {
        (self.start.unwrap_or(0), self.end.unwrap_or(u16::MAX))
    }

    pub fn contains(&self, port: u16) -> bool {
        let (lo, hi) = self.bounds();
        (lo..=hi).contains(&port)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FragmentPolicy {
    Any,
    Header,
    Nonheader,
    Unfragmented,
}

/// IP protocol number of ICMP, whose type and code ride in the port ranges.
pub const IPPROTO_ICMP: u8 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    pub cond_invert: bool,
    pub match_forward_flow: bool,
    pub match_return_flow: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_ports: Option<Vec<Uuid>>,
    pub inv_in_ports: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_ports: Option<Vec<Uuid>>,
    pub inv_out_ports: bool,
    pub port_group: Option<Uuid>,
    pub inv_port_group: bool,
    pub in_port_group: Option<Uuid>,
    pub inv_in_port_group: bool,
    pub out_port_group: Option<Uuid>,
    pub inv_out_port_group: bool,
    pub ip_addr_group_src: Option<Uuid>,
    pub inv_ip_addr_group_src: bool,
    pub ip_addr_group_dst: Option<Uuid>,
    pub inv_ip_addr_group_dst: bool,
    pub traversed_device: Option<Uuid>,
    pub inv_traversed_device: bool,
    pub no_vlan: bool,
    pub vlan: Option<u16>,
    pub dl_type: Option<i32>,
    pub inv_dl_type: bool,
    pub dl_src: Option<String>,
    pub dl_src_mask: Option<String>,
    pub inv_dl_src: bool,
    pub dl_dst: Option<String>,
    pub dl_dst_mask: Option<String>,
    pub inv_dl_dst: bool,
    /// Absent (or 0, which MidoNet 1.x servers report for unset) matches any TOS.
    pub nw_tos: Option<u8>,
    pub inv_nw_tos: bool,
    /// Absent (or 0) matches any protocol.
    pub nw_proto: Option<u8>,
    pub inv_nw_proto: bool,
    pub nw_src_address: Option<Ipv4Addr>,
    pub nw_src_length: Option<u8>,
    pub inv_nw_src: bool,
    pub nw_dst_address: Option<Ipv4Addr>,
    pub nw_dst_length: Option<u8>,
    pub inv_nw_dst: bool,
    pub tp_src: Option<PortRange>,
    pub inv_tp_src: bool,
    pub tp_dst: Option<PortRange>,
    pub inv_tp_dst: bool,
    pub fragment_policy: Option<FragmentPolicy>,
    pub match_nw_dst_rewritten: bool,
    pub icmp_data_src_ip_address: Option<Ipv4Addr>,
    pub icmp_data_src_ip_length: Option<u8>,
    pub inv_icmp_data_src_ip: bool,
    pub icmp_data_dst_ip_address: Option<Ipv4Addr>,
    pub icmp_data_dst_ip_length: Option<u8>,
    pub inv_icmp_data_dst_ip: bool,
}

impl Condition {
    pub fn has_l4_fields(&self) -> bool {
        self.tp_src.is_some() || self.tp_dst.is_some()
    }

    /// MidoNet's default fragment policy: `header` when L4 ports are matched, else `any`.
    pub fn default_fragment_policy(&self) -> FragmentPolicy {
        if self.has_l4_fields() {
            FragmentPolicy::Header
        } else {
            FragmentPolicy::Any
        }
    }

    /// Checks the condition's fields into `c`, as MidoNet validates them.
    pub(crate) fn check(&self, c: &mut Checker) {
        let icmp = self.nw_proto == Some(IPPROTO_ICMP) && !self.inv_nw_proto;
        for (name, range) in [("tpSrc", &self.tp_src), ("tpDst", &self.tp_dst)] {
            if let Some(r) = range {
                let (lo, hi) = r.bounds();
                // Port 0 is no port, but ICMP type 0 (echo reply) and code 0 are real values.
                let min = if icmp { 0 } else { 1 };
                c.require(
                    r.start.is_none_or(|s| s >= min) && r.end.is_none_or(|e| e >= min),
                    name,
                    format!("port range {lo}-{hi} is outside {min}..65535"),
                )
                .require(
                    lo <= hi,
                    name,
                    format!("range start {lo} is after end {hi}"),
                );
            }
        }
        c.require(
            self.dl_type.is_none_or(|t| (0x0600..=0xFFFF).contains(&t)),
            "dlType",
            "must be between 1536 (0x0600) and 65535 (0xFFFF)",
        )
        .prefix_length("nwSrcLength", self.nw_src_length)
        .prefix_length("nwDstLength", self.nw_dst_length)
        .prefix_length("icmpDataSrcIpLength", self.icmp_data_src_ip_length)
        .prefix_length("icmpDataDstIpLength", self.icmp_data_dst_ip_length)
        .require(
            self.vlan.is_none_or(|v| v < 4095),
            "vlan",
            "must be between 0 and 4094",
        );
        for (name, mac) in [
            ("dlSrc", &self.dl_src),
            ("dlDst", &self.dl_dst),
            ("dlSrcMask", &self.dl_src_mask),
            ("dlDstMask", &self.dl_dst_mask),
        ] {
            if let Some(m) = mac {
                let ok = if name.ends_with("Mask") {
                    parse_mask(m).is_some()
                } else {
                    parse_mac(m).is_some()
                };
                c.require(ok, name, format!("'{m}' is not a MAC address"));
            }
        }
        if let Some(policy) = self.fragment_policy {
            c.require(
                !(self.has_l4_fields()
                    && matches!(policy, FragmentPolicy::Any | FragmentPolicy::Nonheader)),
                "fragmentPolicy",
                "must be header or unfragmented when L4 fields (tpSrc, tpDst) are set",
            );
        }
    }
}

/// Parses a MAC mask, in MidoNet's `ffff.0000.0000` form or as a MAC address.
pub fn parse_mask(s: &str) -> Option<[u8; 6]> {
    let groups: Vec<&str> = s.split('.').collect();
    if groups.len() != 3 {
        return parse_mac(s);
    }
    let mut mask = [0u8; 6];
    for (i, g) in groups.iter().enumerate() {
        if g.len() != 4 {
            return None;
        }
        let v = u16::from_str_radix(g, 16).ok()?;
        mask[2 * i] = (v >> 8) as u8;
        mask[2 * i + 1] = v as u8;
    }
    Some(mask)
}

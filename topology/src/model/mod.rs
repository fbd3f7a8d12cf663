//! The MidoNet v5 resources, one module per family, with MidoNet's JSON field names.

mod bgp;
mod bridge;
mod chain;
mod condition;
mod dhcp;
mod host;
mod ip_addr_group;
mod port;
mod port_group;
mod route;
mod router;
mod rule;
mod state_table;
mod system;
mod tunnel_zone;

pub use bgp::{BgpNetwork, BgpPeer};
pub use bridge::Bridge;
pub use chain::Chain;
pub use condition::{parse_mask, Condition, FragmentPolicy, PortRange};
pub use dhcp::{DhcpExtraOption, DhcpHost, DhcpSubnet, Opt121Route};
pub use host::{Host, HostInterfacePort, Interface};
pub use ip_addr_group::{IpAddrGroup, IpAddrGroupAddr};
pub use port::{Port, PortLink, PortType};
pub use port_group::{PortGroup, PortGroupPort};
pub use route::{Route, RouteType};
pub use router::Router;
pub use rule::{FlowAction, NatTarget, Rule, RuleType};
pub use state_table::{mac_to_uri, Ip4Mac, MacPort};
pub use system::{SystemState, Tenant};
pub use tunnel_zone::{TunnelZone, TunnelZoneHost, TunnelZoneType};

fn default_true() -> bool {
    true
}

/// Parses a MAC address in `aa:bb:cc:dd:ee:ff` form (case-insensitive); MidoNet's URL form uses
/// `-` instead of `:`, which is accepted too.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<&str> = s.split([':', '-']).collect();
    if parts.len() != 6 {
        return None;
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(parts) {
        if part.len() != 2 {
            return None;
        }
        *byte = u8::from_str_radix(part, 16).ok()?;
    }
    Some(mac)
}

/// Formats a MAC the way MidoNet prints it: lower-case, colon-separated.
pub fn format_mac(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests;

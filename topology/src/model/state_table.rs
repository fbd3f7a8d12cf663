//! Entries of a bridge's replicated state tables: the MAC table (MAC -> port, per VLAN) and the
//! ARP table (IPv4 -> MAC), as seeded through the API.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{format_mac, parse_mac};
use crate::validation::{Checker, Invalid};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MacPort {
    pub mac_addr: String,
    pub port_id: Uuid,
    #[serde(default)]
    pub vlan_id: Option<u16>,
}

impl MacPort {
    pub fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .require(
                parse_mac(&self.mac_addr).is_some(),
                "macAddr",
                format!("'{}' is not a MAC address", self.mac_addr),
            )
            .finish()
    }

    /// The entry's key in URLs: `aa-bb-cc-dd-ee-ff_<port>`.
    pub fn uri_key(&self) -> String {
        format!("{}_{}", mac_to_uri(&self.mac_addr), self.port_id)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ip4Mac {
    pub ip: Ipv4Addr,
    pub mac: String,
}

impl Ip4Mac {
    pub fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .require(
                parse_mac(&self.mac).is_some(),
                "mac",
                format!("'{}' is not a MAC address", self.mac),
            )
            .finish()
    }

    /// The entry's key in URLs: `<ip>_aa-bb-cc-dd-ee-ff`.
    pub fn uri_key(&self) -> String {
        format!("{}_{}", self.ip, mac_to_uri(&self.mac))
    }
}

/// MidoNet writes MACs in URL path segments with `-` instead of `:`.
pub fn mac_to_uri(mac: &str) -> String {
    parse_mac(mac)
        .map(format_mac)
        .unwrap_or_else(|| mac.to_string())
        .replace(':', "-")
}

//! DHCP service of a bridge (MidoNet `DhcpSubnet`, stored as class `Dhcp`) and its static hosts.
//! A subnet is identified by its CIDR within the bridge, a host by its MAC within the subnet.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::parse_mac;
use crate::validation::{Checker, Invalid};

/// A classless static route handed out in DHCP option 121.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Opt121Route {
    pub destination_prefix: Ipv4Addr,
    pub destination_length: u8,
    pub gateway_addr: Ipv4Addr,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DhcpSubnet {
    pub subnet_prefix: Ipv4Addr,
    pub subnet_length: u8,
    #[serde(default)]
    pub default_gateway: Option<Ipv4Addr>,
    #[serde(default)]
    pub server_addr: Option<Ipv4Addr>,
    #[serde(default)]
    pub dns_server_addrs: Vec<Ipv4Addr>,
    #[serde(default, rename = "interfaceMTU")]
    pub interface_mtu: Option<u16>,
    #[serde(default)]
    pub opt121_routes: Vec<Opt121Route>,
    #[serde(default = "super::default_true")]
    pub enabled: bool,
}

impl DhcpSubnet {
    /// The subnet's key in URLs and stored ids: `10.0.0.0_24`.
    pub fn key(&self) -> String {
        format!("{}_{}", self.subnet_prefix, self.subnet_length)
    }

    /// The stored object id of a bridge's subnet: stable, so the same subnet is one object.
    pub fn object_id(bridge: Uuid, key: &str) -> Uuid {
        Uuid::new_v5(&bridge, key.as_bytes())
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        let mut c = Checker::new();
        c.prefix_length("subnetLength", Some(self.subnet_length));
        for r in &self.opt121_routes {
            c.prefix_length("opt121Routes", Some(r.destination_length));
        }
        c.finish()
    }
}

/// A DHCP option handed to one host: `optName` is the option code, e.g. `"26"` for MTU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DhcpExtraOption {
    pub opt_name: String,
    pub opt_value: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DhcpHost {
    pub mac_addr: String,
    pub ip_addr: Ipv4Addr,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub extra_dhcp_opts: Vec<DhcpExtraOption>,
}

impl DhcpHost {
    pub fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .require(
                parse_mac(&self.mac_addr).is_some(),
                "macAddr",
                format!("'{}' is not a MAC address", self.mac_addr),
            )
            .name("name", self.name.as_deref(), false)
            .finish()
    }
}

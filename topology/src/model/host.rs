//! A physical host running the datapath (MidoNet `Host`), its interfaces, and the bindings of
//! exterior ports to those interfaces (`HostInterfacePort`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interface {
    #[serde(default)]
    pub host_id: Option<Uuid>,
    pub name: String,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default = "Interface::default_mtu")]
    pub mtu: u32,
    /// Bit 0: up, bit 1: carrier.
    #[serde(default = "Interface::default_status")]
    pub status: u32,
    #[serde(default = "Interface::default_type", rename = "type")]
    pub interface_type: String,
    #[serde(default = "Interface::default_endpoint")]
    pub endpoint: String,
    #[serde(default)]
    pub port_type: Option<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
}

impl Interface {
    fn default_mtu() -> u32 {
        1500
    }
    fn default_status() -> u32 {
        3
    }
    fn default_type() -> String {
        "Physical".to_string()
    }
    fn default_endpoint() -> String {
        "PHYSICAL".to_string()
    }

    pub fn named(name: &str) -> Self {
        Interface {
            host_id: None,
            name: name.to_string(),
            mac: None,
            mtu: Self::default_mtu(),
            status: Self::default_status(),
            interface_type: Self::default_type(),
            endpoint: Self::default_endpoint(),
            port_type: None,
            addresses: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Host {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub addresses: Vec<String>,
    #[serde(default)]
    pub alive: bool,
    #[serde(default = "Host::default_weight")]
    pub flooding_proxy_weight: u32,
    #[serde(default = "Host::default_weight")]
    pub container_weight: u32,
    #[serde(default = "Host::no_limit")]
    pub container_limit: i32,
    #[serde(default)]
    pub enforce_container_limit: bool,
    #[serde(default)]
    pub host_interfaces: Vec<Interface>,
}

impl Host {
    fn default_weight() -> u32 {
        1
    }
    fn no_limit() -> i32 {
        -1
    }
}

impl Resource for Host {
    const CLASS: Class = Class::Host;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        let mut c = Checker::new();
        c.name("name", self.name.as_deref(), true).require(
            self.flooding_proxy_weight <= 65535,
            "floodingProxyWeight",
            "must be between 0 and 65535",
        );
        for iface in &self.host_interfaces {
            c.require(
                !iface.name.is_empty(),
                "hostInterfaces",
                "interface name may not be empty",
            );
        }
        c.finish()
    }
}

/// A binding of a port to an interface of a host (`POST /hosts/{id}/ports`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInterfacePort {
    #[serde(default)]
    pub host_id: Option<Uuid>,
    pub port_id: Uuid,
    pub interface_name: String,
}

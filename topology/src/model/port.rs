//! A device port (MidoNet `Port`), polymorphic on `type`: bridge ports and router ports.
//!
//! A port is *exterior* when bound to a host interface, *interior* when linked to a peer port,
//! and unplugged otherwise. Binding and linking go through their own endpoints, never through a
//! port update.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{default_true, parse_mac};
use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

/// The port's device kind. MidoNet 1.x type names are accepted and mapped onto the v5 ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PortType {
    #[serde(alias = "ExteriorBridge", alias = "InteriorBridge")]
    Bridge,
    #[serde(alias = "ExteriorRouter", alias = "InteriorRouter")]
    Router,
}

impl PortType {
    /// The class of the device that owns a port of this type.
    pub fn device_class(self) -> Class {
        match self {
            PortType::Bridge => Class::Network,
            PortType::Router => Class::Router,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Port {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(rename = "type")]
    pub port_type: PortType,
    #[serde(default)]
    pub device_id: Option<Uuid>,
    #[serde(default = "default_true")]
    pub admin_state_up: bool,
    #[serde(default)]
    pub inbound_filter_id: Option<Uuid>,
    #[serde(default)]
    pub outbound_filter_id: Option<Uuid>,
    #[serde(default)]
    pub tunnel_key: Option<i64>,
    #[serde(default)]
    pub vif_id: Option<Uuid>,
    #[serde(default)]
    pub host_id: Option<Uuid>,
    #[serde(default)]
    pub interface_name: Option<String>,
    #[serde(default)]
    pub peer_id: Option<Uuid>,
    #[serde(default)]
    pub active: bool,
    /// Bridge ports: 802.1Q VLAN id of an interior port; absent or 0 means untagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vlan_id: Option<u16>,
    /// Router ports: the port's own address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_address: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_address: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network_length: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port_mac: Option<String>,
}

impl Port {
    /// A new unplugged bridge port on `bridge`.
    pub fn bridge_port(id: Uuid, bridge: Uuid) -> Self {
        Port {
            id,
            port_type: PortType::Bridge,
            device_id: Some(bridge),
            admin_state_up: true,
            inbound_filter_id: None,
            outbound_filter_id: None,
            tunnel_key: None,
            vif_id: None,
            host_id: None,
            interface_name: None,
            peer_id: None,
            active: false,
            vlan_id: None,
            port_address: None,
            network_address: None,
            network_length: None,
            port_mac: None,
        }
    }

    /// A new unplugged router port on `router` with `address` inside `network/length`.
    pub fn router_port(
        id: Uuid,
        router: Uuid,
        address: Ipv4Addr,
        network: Ipv4Addr,
        length: u8,
    ) -> Self {
        Port {
            port_type: PortType::Router,
            port_address: Some(address),
            network_address: Some(network),
            network_length: Some(length),
            ..Port::bridge_port(id, router)
        }
    }

    pub fn is_exterior(&self) -> bool {
        self.host_id.is_some() && self.interface_name.is_some()
    }

    pub fn is_interior(&self) -> bool {
        self.peer_id.is_some()
    }

    /// A MAC for a router port that has none, in the `ac:ca:ba` range MidoNet generates from,
    /// derived from the port id so the same port always gets the same MAC.
    pub fn generated_mac(id: Uuid) -> String {
        let b = id.as_bytes();
        format!("ac:ca:ba:{:02x}:{:02x}:{:02x}", b[13], b[14], b[15])
    }
}

impl Resource for Port {
    const CLASS: Class = Class::Port;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        let mut c = Checker::new();
        match self.port_type {
            PortType::Router => {
                c.require(
                    self.port_address.is_some(),
                    "portAddress",
                    "may not be null",
                )
                .require(
                    self.network_address.is_some(),
                    "networkAddress",
                    "may not be null",
                )
                .require(
                    self.network_length.is_some(),
                    "networkLength",
                    "may not be null",
                )
                .prefix_length("networkLength", self.network_length)
                .require(
                    self.port_mac
                        .as_deref()
                        .is_none_or(|m| parse_mac(m).is_some()),
                    "portMac",
                    "is not a MAC address (aa:bb:cc:dd:ee:ff)",
                );
            }
            PortType::Bridge => {
                c.require(
                    self.vlan_id.is_none_or(|v| v < 4095),
                    "vlanId",
                    "must be between 0 and 4094",
                );
            }
        }
        c.finish()
    }
}

/// The body of `POST /ports/{id}/link`: link `portId` to `peerId`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PortLink {
    #[serde(default)]
    pub port_id: Option<Uuid>,
    pub peer_id: Uuid,
}

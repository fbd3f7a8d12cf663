//! A tunnel zone (MidoNet `TunnelZone`): hosts that tunnel to each other, with their underlay IPs.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TunnelZoneType {
    Gre,
    Vxlan,
    Vtep,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TunnelZone {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "type", default = "TunnelZone::gre")]
    pub zone_type: TunnelZoneType,
}

impl TunnelZone {
    fn gre() -> TunnelZoneType {
        TunnelZoneType::Gre
    }
}

impl Resource for TunnelZone {
    const CLASS: Class = Class::TunnelZone;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .name("name", self.name.as_deref(), true)
            .finish()
    }
}

/// Membership of a host in a zone (`POST /tunnel_zones/{id}/hosts`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TunnelZoneHost {
    #[serde(default)]
    pub tunnel_zone_id: Option<Uuid>,
    pub host_id: Uuid,
    pub ip_address: IpAddr,
}

//! BGP on a router (MidoNet v5 `BgpPeer`, `BgpNetwork`): peers to speak to, networks to announce.

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BgpPeer {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub router_id: Option<Uuid>,
    pub address: Ipv4Addr,
    pub as_number: u32,
    #[serde(default)]
    pub keep_alive: Option<u32>,
    #[serde(default)]
    pub hold_time: Option<u32>,
    #[serde(default)]
    pub connect_retry: Option<u32>,
    #[serde(default)]
    pub password: Option<String>,
}

impl Resource for BgpPeer {
    const CLASS: Class = Class::BgpPeer;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .require(
                self.as_number >= 1,
                "asNumber",
                "must be greater than or equal to 1",
            )
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BgpNetwork {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub router_id: Option<Uuid>,
    pub subnet_address: Ipv4Addr,
    pub subnet_length: u8,
}

impl Resource for BgpNetwork {
    const CLASS: Class = Class::BgpNetwork;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .prefix_length("subnetLength", Some(self.subnet_length))
            .finish()
    }
}

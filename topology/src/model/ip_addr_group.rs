//! A named set of IP addresses (MidoNet `IpAddrGroup`) that rules match as source or destination.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpAddrGroup {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub name: Option<String>,
}

impl Resource for IpAddrGroup {
    const CLASS: Class = Class::IpAddrGroup;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .name("name", self.name.as_deref(), true)
            .finish()
    }
}

/// One member address of a group; `version` (4 or 6) follows from the address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IpAddrGroupAddr {
    #[serde(default)]
    pub ip_addr_group_id: Option<Uuid>,
    pub addr: IpAddr,
    #[serde(default)]
    pub version: Option<u8>,
}

impl IpAddrGroupAddr {
    pub fn ip_version(&self) -> u8 {
        if self.addr.is_ipv4() {
            4
        } else {
            6
        }
    }

    pub fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .require(
                self.version.is_none_or(|v| v == self.ip_version()),
                "version",
                format!(
                    "{} is not an IPv{} address",
                    self.addr,
                    self.version.unwrap_or(4)
                ),
            )
            .finish()
    }
}

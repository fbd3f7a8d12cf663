//! A route in a router's table (MidoNet `Route`).

use std::net::Ipv4Addr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::validation::{Checker, Invalid};
use crate::{Class, Resource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteType {
    Normal,
    BlackHole,
    Reject,
    Local,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Route {
    #[serde(default = "Uuid::new_v4")]
    pub id: Uuid,
    #[serde(default)]
    pub router_id: Option<Uuid>,
    #[serde(default = "Route::any")]
    pub src_network_addr: Ipv4Addr,
    #[serde(default)]
    pub src_network_length: u8,
    pub dst_network_addr: Ipv4Addr,
    pub dst_network_length: u8,
    #[serde(default)]
    pub next_hop_port: Option<Uuid>,
    #[serde(default)]
    pub next_hop_gateway: Option<Ipv4Addr>,
    #[serde(default)]
    pub weight: i32,
    #[serde(rename = "type")]
    pub route_type: RouteType,
    #[serde(default)]
    pub attributes: Option<String>,
    #[serde(default)]
    pub learned: bool,
}

impl Route {
    fn any() -> Ipv4Addr {
        Ipv4Addr::UNSPECIFIED
    }

    /// The `Local` route MidoNet adds for every router port: `0.0.0.0/0 -> <portAddress>/32`.
    pub fn local(id: Uuid, router: Uuid, port: Uuid, address: Ipv4Addr) -> Self {
        Route {
            id,
            router_id: Some(router),
            src_network_addr: Ipv4Addr::UNSPECIFIED,
            src_network_length: 0,
            dst_network_addr: address,
            dst_network_length: 32,
            next_hop_port: Some(port),
            next_hop_gateway: None,
            weight: 0,
            route_type: RouteType::Local,
            attributes: None,
            learned: false,
        }
    }
}

impl Resource for Route {
    const CLASS: Class = Class::Route;
    fn id(&self) -> Uuid {
        self.id
    }
    fn validate(&self) -> Result<(), Invalid> {
        Checker::new()
            .prefix_length("srcNetworkLength", Some(self.src_network_length))
            .prefix_length("dstNetworkLength", Some(self.dst_network_length))
            .require(
                self.weight >= 0,
                "weight",
                "must be greater than or equal to 0",
            )
            .require(
                !matches!(self.route_type, RouteType::Normal | RouteType::Local)
                    || self.next_hop_port.is_some(),
                "nextHopPort",
                "may not be null for a Normal route",
            )
            .finish()
    }
}

//! Builds each subnet's routes from its route table (`reference/eucanetd.md` §2.7 "Internet
//! gateway and route tables"): every route becomes a source-restricted route on the VPC router
//! (`src` = the subnet, `dst` = the destination). Targets and weights: `local` nothing (the
//! subnet routes do it), `igw-…` the uplink via `eucart` (10), `nat-…` the NAT gateway's private
//! IP on its subnet (20), `eni-…` the interface's private IP on its subnet (30), and, unlike
//! eucanetd, `pcx-…` the peer VPC router's uplink (40) for peerings the environment knows.
//! Other targets (`vgw-…`) are diagnostics, as eucanetd's "unsupported" warning.

use std::collections::BTreeMap;

use ipnetwork::Ipv4Network;

use super::subnet_bridge::router_port_key;
use super::vpc_router::{router_name, uplink_key};
use super::{names, Build, TranslateError};
use crate::gni::{Interface, RouteTable, RouteTarget, Subnet, Vpc};

pub(super) const IGW_WEIGHT: i32 = 10;
pub(super) const NAT_GATEWAY_WEIGHT: i32 = 20;
pub(super) const INTERFACE_WEIGHT: i32 = 30;
pub(super) const PEERING_WEIGHT: i32 = 40;

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    // A route names an interface of its own VPC (the GNI is checked for it), so the
    // interfaces in scope are enough: a VPC part need not index 10,000 others.
    let by_eni: BTreeMap<&str, &Interface> = b
        .interfaces()
        .iter()
        .map(|&(_, i)| (i.eni_id.as_str(), i))
        .collect();
    for vpc in b.vpcs() {
        for subnet in vpc.subnets.values() {
            let Some(table) = vpc.route_tables.get(&subnet.route_table) else {
                return Err(TranslateError::Reference {
                    layer: "subnet",
                    id: subnet.id.to_string(),
                    reason: format!(
                        "route table {} is not in vpc {}",
                        subnet.route_table, vpc.id
                    ),
                });
            };
            for route in &table.routes {
                subnet_route(b, vpc, subnet, table, route, &by_eni)?;
            }
        }
    }
    Ok(())
}

fn subnet_route(
    b: &mut Build,
    vpc: &Vpc,
    subnet: &Subnet,
    table: &RouteTable,
    route: &crate::gni::Route,
    by_eni: &BTreeMap<&str, &Interface>,
) -> Result<(), TranslateError> {
    let owner = table.id.as_str();
    let router_name = router_name(b, &vpc.id)?;
    let router = names::object_id(&router_name);
    let fail = |reason: String| TranslateError::Route {
        table: table.id.to_string(),
        destination: route.destination,
        reason,
    };
    // The VPC router port facing `on`, for next hops inside the VPC.
    let port_on = |on: &crate::gni::SubnetId| -> Result<uuid::Uuid, TranslateError> {
        let subnet = vpc
            .subnets
            .get(on)
            .ok_or_else(|| fail(format!("subnet {on} is not in vpc {}", vpc.id)))?;
        Ok(names::object_id(&router_port_key(&router_name, subnet)))
    };
    let uplink = names::object_id(&uplink_key(&router_name));
    let (port, gateway, weight) = match &route.target {
        RouteTarget::Local => return Ok(()),
        RouteTarget::InternetGateway(igw) => {
            if !vpc.internet_gateways.contains(igw) {
                return Err(fail(format!(
                    "target {igw} is not an internet gateway attached to {}",
                    vpc.id
                )));
            }
            let eucart = b.env.constants.transit_address(1)?;
            (uplink, eucart, IGW_WEIGHT)
        }
        RouteTarget::NatGateway(nat) => {
            let gateway = vpc
                .nat_gateways
                .get(nat)
                .ok_or_else(|| fail(format!("target {nat} is not a NAT gateway of {}", vpc.id)))?;
            (
                port_on(&gateway.subnet)?,
                gateway.private_ip,
                NAT_GATEWAY_WEIGHT,
            )
        }
        RouteTarget::NetworkInterface(eni) => {
            let interface = by_eni
                .get(eni.as_str())
                .filter(|i| i.vpc == vpc.id)
                .ok_or_else(|| fail(format!("target {eni} is not an interface in {}", vpc.id)))?;
            (
                port_on(&interface.subnet)?,
                interface.private_ip,
                INTERFACE_WEIGHT,
            )
        }
        RouteTarget::Unsupported(target) => match peer_vpc(b, vpc, target) {
            Ok(peer_rtid) => {
                let peer = b.env.constants.transit_address(peer_rtid)?;
                (uplink, peer, PEERING_WEIGHT)
            }
            Err(why) => {
                b.diagnose(
                    owner,
                    format!(
                        "route {}: target {target}: {why}; route left out",
                        route.destination
                    ),
                );
                return Ok(());
            }
        },
    };
    let src: Ipv4Network = subnet.cidr;
    b.route(
        owner,
        router,
        src,
        route.destination,
        port,
        Some(gateway),
        weight,
    )?;
    Ok(())
}

/// The router id of the VPC that peering `target` connects `vpc` to, or why there is none.
fn peer_vpc(b: &Build, vpc: &Vpc, target: &str) -> Result<u32, String> {
    if !target.starts_with("pcx-") {
        return Err("unsupported target kind".to_owned());
    }
    let peering = b
        .env
        .peerings
        .get(target)
        .ok_or_else(|| "unknown peering connection".to_owned())?;
    let peer = if peering.requester == vpc.id {
        &peering.accepter
    } else if peering.accepter == vpc.id {
        &peering.requester
    } else {
        return Err(format!("the peering does not connect {}", vpc.id));
    };
    b.allocations
        .rtids
        .get(peer.as_str())
        .copied()
        .ok_or_else(|| format!("peer {peer} is not in the GNI"))
}

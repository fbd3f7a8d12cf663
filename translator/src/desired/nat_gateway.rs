//! Builds each NAT gateway (`reference/eucanetd.md` §2.8): router `natr_<nat>_<subnet>_<rtid>`
//! with an uplink `169.254.0.<rtid>` on `eucabr` and a subnet port holding the gateway's private
//! IP and GNI MAC; its routes (default via `eucart`, the VPC via the subnet's `.1`); the route of
//! its public IP on `eucart` (weight 100); chains `natc_<nat>_rtin` (rev_snat to the public IP)
//! and `natc_<nat>_rtout` (SNAT from the VPC to the public IP, ports 1024–65535, out of the
//! uplink only); and `elip_pre_<nat>` holding the public IP. No security groups apply.

use std::net::IpAddr;
use std::sync::Arc;

use topology::{Condition, FlowAction, NatTarget, RuleType};

use super::core::transit_port_key;
use super::elastic_ip::PUBLIC_ROUTE_WEIGHT;
use super::names::{self, CORE_ROUTER};
use super::subnet_bridge::gateway_address;
use super::vpc_router::transit_uplink;
use super::{any_network, host_network, nat_rule, Build, ConditionExt, TranslateError};
use crate::gni::{NatGateway, Vpc};

/// The source ports SNAT may use.
const SNAT_PORTS: (u16, u16) = (1024, 65535);

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for vpc in b.vpcs() {
        for nat in vpc.nat_gateways.values() {
            gateway(b, vpc, nat)?;
        }
    }
    Ok(())
}

fn gateway(b: &mut Build, vpc: &Vpc, nat: &NatGateway) -> Result<(), TranslateError> {
    let owner = nat.id.as_str();
    let Some(subnet) = vpc.subnets.get(&nat.subnet) else {
        return Err(TranslateError::Reference {
            layer: "nat gateway",
            id: owner.to_owned(),
            reason: format!("subnet {} is not in vpc {}", nat.subnet, vpc.id),
        });
    };
    let rtid = b.rtid(owner)?;
    let name = names::nat_router(&nat.id, &subnet.id, rtid);
    let router = b.router(&name, owner)?;
    let uplink = transit_uplink(b, owner, router, &name, rtid)?;

    let inside = b.router_port(
        format!("{name}/subnet"),
        owner,
        router,
        nat.private_ip,
        subnet.cidr,
        Some(nat.mac.to_string()),
    )?;
    let bridge_name = names::subnet_bridge(&vpc.id, &subnet.id);
    let bridge = names::object_id(&bridge_name);
    let bridge_port = b.bridge_port(format!("{bridge_name}/port/{name}"), owner, bridge)?;
    b.link(inside, bridge_port);

    let eucart_address = b.env.constants.transit_address(1)?;
    b.route(
        owner,
        router,
        any_network(),
        any_network(),
        uplink,
        Some(eucart_address),
        0,
    )?;
    let vpc_router = gateway_address(subnet)?;
    b.route(
        owner,
        router,
        any_network(),
        vpc.cidr,
        inside,
        Some(vpc_router),
        0,
    )?;
    let uplink_address = b.env.constants.transit_address(rtid)?;
    b.route(
        owner,
        names::object_id(CORE_ROUTER),
        any_network(),
        host_network(nat.public_ip),
        names::object_id(&transit_port_key()),
        Some(uplink_address),
        PUBLIC_ROUTE_WEIGHT,
    )?;

    let rtin = b.chain(&names::nat_chain(&nat.id, "rtin"), owner)?;
    let rtout = b.chain(&names::nat_chain(&nat.id, "rtout"), owner)?;
    if let Some(r) = b.out.routers.get_mut(&router).map(Arc::make_mut) {
        r.inbound_filter_id = Some(rtin);
        r.outbound_filter_id = Some(rtout);
    }
    let to_public = Condition::default().dst(host_network(nat.public_ip), false);
    let rev_snat = nat_rule(RuleType::RevSnat, to_public, None, FlowAction::Accept);
    b.rule(rtin, "rev_snat", owner, rev_snat)?;
    let leaving = Condition {
        out_ports: Some(vec![uplink]),
        ..Condition::default()
    }
    .src(vpc.cidr, false);
    let target = NatTarget {
        address_from: nat.public_ip,
        address_to: nat.public_ip,
        port_from: SNAT_PORTS.0,
        port_to: SNAT_PORTS.1,
    };
    let snat = nat_rule(
        RuleType::Snat,
        leaving,
        Some(vec![target]),
        FlowAction::Accept,
    );
    b.rule(rtout, "snat", owner, snat)?;

    b.ip_addr_group(
        &names::elastic_ip_group(owner, "pre"),
        owner,
        [IpAddr::V4(nat.public_ip)],
    )?;
    Ok(())
}

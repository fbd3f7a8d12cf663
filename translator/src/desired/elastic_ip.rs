//! Builds the one-to-one NAT of each interface's public IP (`reference/eucanetd.md` §2.7
//! "EIP"): `P` in `elip_pre_<if>` and the private `p` in `elip_post_<if>`, a DNAT `P -> p` in
//! `vc_<vpc>_preelip` (matched by address: MidoNet 5 mishandles `ipAddrGroupDst` in DNAT), an
//! SNAT `p -> P` in `vc_<vpc>_postchain` for traffic leaving the VPC, and the route `P/32` on
//! `eucart` to the VPC router's uplink, weight 100.

use std::net::IpAddr;

use topology::{Condition, FlowAction, NatTarget, RuleType};

use super::core::transit_port_key;
use super::names::{self, CORE_ROUTER};
use super::{any_network, host_network, nat_rule, Build, ConditionExt, TranslateError};

/// The weight of public-address routes on `eucart`.
pub(super) const PUBLIC_ROUTE_WEIGHT: i32 = 100;

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    let eucart = names::object_id(CORE_ROUTER);
    let transit_port = names::object_id(&transit_port_key());
    for (_, interface) in b.interfaces() {
        let Some(public) = interface.public_ip else {
            continue;
        };
        let owner = interface.name.as_str();
        let Some(vpc) = b.gni.vpcs.get(&interface.vpc) else {
            return Err(TranslateError::Reference {
                layer: "interface",
                id: owner.to_owned(),
                reason: format!("vpc {} is not in the GNI", interface.vpc),
            });
        };
        let private = interface.private_ip;
        let pre = names::object_id(&names::elastic_ip_group(owner, "pre"));
        let post_name = names::elastic_ip_group(owner, "post");
        b.add_to_group(pre, IpAddr::V4(public))?;
        b.add_to_group(names::object_id(&post_name), IpAddr::V4(private))?;

        let preelip = names::object_id(&names::vpc_chain(&vpc.id, "preelip"));
        let to_public = Condition::default().dst(host_network(public), false);
        let dnat = nat_rule(
            RuleType::Dnat,
            to_public,
            Some(vec![NatTarget::address(private)]),
            FlowAction::Continue,
        );
        b.rule(preelip, &format!("dnat/{owner}"), owner, dnat)?;

        let postchain = names::object_id(&names::vpc_chain(&vpc.id, "postchain"));
        let leaving = Condition {
            ip_addr_group_src: Some(names::object_id(&post_name)),
            ..Condition::default()
        }
        .dst(vpc.cidr, true);
        let snat = nat_rule(
            RuleType::Snat,
            leaving,
            Some(vec![NatTarget::address(public)]),
            FlowAction::Continue,
        );
        b.rule(postchain, &format!("snat/{owner}"), owner, snat)?;

        let uplink = b.env.constants.transit_address(b.rtid(vpc.id.as_str())?)?;
        b.route(
            owner,
            eucart,
            any_network(),
            host_network(public),
            transit_port,
            Some(uplink),
            PUBLIC_ROUTE_WEIGHT,
        )?;
    }
    Ok(())
}

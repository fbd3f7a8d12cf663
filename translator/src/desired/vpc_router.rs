//! Builds each VPC's router (`reference/eucanetd.md` §2.4): `vr_<vpc>_<rtid>`, its uplink
//! `169.254.0.<rtid>/17` linked to `eucabr` with the transit route, and the chains
//! `vc_<vpc>_prechain` (jumping to `vc_<vpc>_preelip`) and `vc_<vpc>_postchain` as the uplink's
//! inbound and outbound filters (4.3+ placement, so source-restricted routes work). Default
//! routes come from route tables, not from here.

use topology::Condition;
use uuid::Uuid;

use super::names::{self, CORE_BRIDGE};
use super::{any_network, jump_rule, Build, TranslateError};
use crate::gni::VpcId;

/// The key of a VPC router's uplink port (`<router name>/uplink`).
pub(super) fn uplink_key(router: &str) -> String {
    format!("{router}/uplink")
}

/// The name of `vpc`'s router, from its allocated rtid.
pub(super) fn router_name(b: &Build, vpc: &VpcId) -> Result<String, TranslateError> {
    Ok(names::vpc_router(vpc, b.rtid(vpc.as_str())?))
}

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for vpc in b.vpcs() {
        let vpc = &vpc.id;
        let owner = vpc.as_str();
        let rtid = b.rtid(owner)?;
        let name = names::vpc_router(vpc, rtid);
        let router = b.router(&name, owner)?;
        let uplink = transit_uplink(b, owner, router, &name, rtid)?;

        let prechain = b.chain(&names::vpc_chain(vpc, "prechain"), owner)?;
        let preelip = names::vpc_chain(vpc, "preelip");
        b.chain(&preelip, owner)?;
        let postchain = b.chain(&names::vpc_chain(vpc, "postchain"), owner)?;
        b.rule(
            prechain,
            "jump_preelip",
            owner,
            jump_rule(&preelip, Condition::default()),
        )?;
        if let Some(port) = b.port_mut(uplink) {
            port.inbound_filter_id = Some(prechain);
            port.outbound_filter_id = Some(postchain);
        }
    }
    Ok(())
}

/// A router's uplink `169.254.0.<rtid>` linked to a new `eucabr` port, and the route to the
/// transit network through it. Shared by VPC and NAT gateway routers.
pub(super) fn transit_uplink(
    b: &mut Build,
    owner: &str,
    router: Uuid,
    name: &str,
    rtid: u32,
) -> Result<Uuid, TranslateError> {
    let transit = b.env.constants.intrt_cidr;
    let address = b.env.constants.transit_address(rtid)?;
    let uplink = b.router_port(uplink_key(name), owner, router, address, transit, None)?;
    let eucabr = names::object_id(CORE_BRIDGE);
    let bridge_port = b.bridge_port(format!("{CORE_BRIDGE}/port/{name}"), owner, eucabr)?;
    b.link(uplink, bridge_port);
    b.route(owner, router, any_network(), transit, uplink, None, 0)?;
    Ok(uplink)
}

//! Builds each subnet's L2 segment (`reference/eucanetd.md` §2.5): the VPC router port `.1` and
//! the subnet route, bridge `vb_<vpc>_<subnet>` linked to it, the bridge filters `sc_<subnet>_in`
//! and `sc_<subnet>_out` with their default accepts (§2.10; `network_acl` appends the jump), and
//! the ARP entry pointing `.2` at the router port. DHCP is the `dhcp` stage's.
//!
//! Bridge filters see every frame both ways, so each chain accepts first what is not its
//! direction's business: `sc_in` (frames entering the bridge) accepts frames *from* the subnet,
//! `sc_out` (frames leaving it) frames *to* the subnet; what is left is traffic entering,
//! respectively leaving, the subnet, which the ACL judges.

use std::net::Ipv4Addr;
use std::sync::Arc;

use topology::{Condition, Ip4Mac, PortRange, RuleType};
use uuid::Uuid;

use super::names;
use super::vpc_router::router_name;
use super::{
    any_network, network, nth_address, plain_rule, Build, ConditionExt, DesiredIp4Mac,
    TranslateError,
};
use crate::gni::{Subnet, VpcId};

/// The IP protocol number of UDP.
pub(super) const UDP: u8 = 17;
/// The key of the VPC router's port on `subnet`.
pub(super) fn router_port_key(router: &str, subnet: &Subnet) -> String {
    format!("{router}/subnet/{}", subnet.id)
}

/// The subnet's `.1`, the router port and DHCP default gateway.
pub(super) fn gateway_address(subnet: &Subnet) -> Result<Ipv4Addr, TranslateError> {
    nth_address(subnet.cidr, 1).ok_or_else(|| TranslateError::Reference {
        layer: "subnet",
        id: subnet.id.to_string(),
        reason: format!("{} has no room for a router address", subnet.cidr),
    })
}

/// An accept of UDP to ports 67–68 (DHCP), used by subnet and interface chains.
pub(super) fn dhcp_condition() -> Condition {
    Condition {
        nw_proto: Some(UDP),
        tp_dst: Some(PortRange::new(67, 68)),
        ..Condition::default()
    }
}

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for vpc in b.vpcs() {
        let router_name = router_name(b, &vpc.id)?;
        let router = names::object_id(&router_name);
        for subnet in vpc.subnets.values() {
            segment(b, &vpc.id, &router_name, router, subnet)?;
        }
    }
    Ok(())
}

fn segment(
    b: &mut Build,
    vpc: &VpcId,
    router_name: &str,
    router: Uuid,
    subnet: &Subnet,
) -> Result<(), TranslateError> {
    let owner = subnet.id.as_str();
    let gateway = gateway_address(subnet)?;
    let key = router_port_key(router_name, subnet);
    let router_port = b.router_port(key, owner, router, gateway, subnet.cidr, None)?;
    b.route(
        owner,
        router,
        any_network(),
        subnet.cidr,
        router_port,
        None,
        0,
    )?;

    let bridge_name = names::subnet_bridge(vpc, &subnet.id);
    let bridge = b.bridge(&bridge_name, owner)?;
    let bridge_port = b.bridge_port(format!("{bridge_name}/port/router"), owner, bridge)?;
    b.link(router_port, bridge_port);

    let inbound = b.chain(&names::subnet_chain(&subnet.id, "in"), owner)?;
    let outbound = b.chain(&names::subnet_chain(&subnet.id, "out"), owner)?;
    if let Some(bridge) = b.out.bridges.get_mut(&bridge).map(Arc::make_mut) {
        bridge.inbound_filter_id = Some(inbound);
        bridge.outbound_filter_id = Some(outbound);
    }
    let reserved = network(subnet.cidr.network(), 30);
    let link_local = network(Ipv4Addr::new(169, 254, 0, 0), 16);
    let any = Condition::default;
    let sc_in = [
        ("reserved", any().dst(reserved, false)),
        ("link_local", any().src(link_local, false)),
        ("dhcp", dhcp_condition()),
        ("intra_subnet", any().src(subnet.cidr, false)),
    ];
    let sc_out = [
        ("reserved", any().src(reserved, false)),
        ("link_local", any().dst(link_local, false)),
        ("dhcp", dhcp_condition()),
        ("intra_subnet", any().dst(subnet.cidr, false)),
    ];
    for (chain, accepts) in [(inbound, sc_in), (outbound, sc_out)] {
        for (role, condition) in accepts {
            b.rule(chain, role, owner, plain_rule(RuleType::Accept, condition))?;
        }
    }

    if b.env.constants.enable_arptable {
        let dot2 = nth_address(subnet.cidr, 2).ok_or_else(|| TranslateError::Reference {
            layer: "subnet",
            id: subnet.id.to_string(),
            reason: format!("{} has no .2 address", subnet.cidr),
        })?;
        let mac = b
            .out
            .ports
            .get(&router_port)
            .and_then(|p| p.port.port_mac.clone())
            .unwrap_or_default();
        let id = b.record(format!("{bridge_name}/arp/{dot2}"), owner)?;
        b.out.ip4_macs.insert(
            id,
            DesiredIp4Mac {
                bridge,
                entry: Ip4Mac { ip: dot2, mac },
            }
            .into(),
        );
    }
    Ok(())
}

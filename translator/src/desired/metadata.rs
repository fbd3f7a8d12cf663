//! Builds the MidoNet half of instance metadata through per-VPC namespaces (`reference/eucanetd.md`
//! §3.1, the legacy design, with §2.5 "Legacy MD" and §2.6 rules 2 and 5): per subnet, an
//! exterior port of `vb_<vpc>_<subnet>` bound to `vn0_<sub8>` on the CLC's MidoNet host; per
//! interface, a DNAT of `169.254.169.254:80` to the subnet's `.3:8008` in `ic_<if>_prechain` and
//! the SNAT back in `ic_<if>_postchain`. The host half (namespaces, veths, the proxy behind
//! `.3:8008`) is `crate::metadata`'s.
//!
//! Why `.3`: it lies in the `.2/31` the interface chains already accept and in the `/30` the
//! subnet filters let through, so the rewritten packets need no rule of their own.

use std::net::Ipv4Addr;
use std::sync::Arc;

use ipnetwork::Ipv4Network;
use topology::{Condition, FlowAction, NatTarget, PortRange, RuleType};

use super::core::METADATA_IP;
use super::interface::metadata_nat_position;
use super::names;
use super::{host_network, nat_rule, Binding, Build, ConditionExt, TranslateError};
use crate::gni::{Interface, Subnet, VpcId};

/// The port the metadata proxy listens on inside each VPC namespace (eucanetd 4.3+).
pub const METADATA_PROXY_PORT: u16 = 8008;

/// The port instances address the metadata service on.
const METADATA_PORT: u16 = 80;

/// The IP protocol number of TCP.
const TCP: u8 = 6;

/// The subnet's metadata proxy address, its `.3`, if the subnet has one.
pub fn proxy_address(subnet: Ipv4Network) -> Option<Ipv4Addr> {
    super::nth_address(subnet, 3).filter(|a| *a != subnet.broadcast())
}

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    if !b.env.constants.legacy_metadata {
        return Ok(());
    }
    for vpc in b.vpcs() {
        for subnet in vpc.subnets.values() {
            subnet_port(b, &vpc.id, subnet)?;
        }
    }
    for (_, interface) in b.interfaces() {
        let subnet = b.subnet_of(interface)?;
        redirect(b, interface, subnet)?;
    }
    Ok(())
}

/// `.3` of `subnet`, or the error naming it.
fn subnet_proxy(subnet: &Subnet) -> Result<Ipv4Addr, TranslateError> {
    proxy_address(subnet.cidr).ok_or_else(|| TranslateError::Reference {
        layer: "subnet",
        id: subnet.id.to_string(),
        reason: format!("{} has no .3 address for the metadata proxy", subnet.cidr),
    })
}

/// The subnet bridge's port toward the VPC namespace on the CLC host.
fn subnet_port(b: &mut Build, vpc: &VpcId, subnet: &Subnet) -> Result<(), TranslateError> {
    let owner = subnet.id.as_str();
    subnet_proxy(subnet)?;
    let bridge_name = names::subnet_bridge(vpc, &subnet.id);
    let bridge = names::object_id(&bridge_name);
    let port = b.bridge_port(format!("{bridge_name}/port/metadata"), owner, bridge)?;
    let veth = names::metadata_subnet_interface(&subnet.id);
    let clc = b.gni.config.clc_ip;
    match b.env.host_with(clc) {
        Some(host) => {
            let binding = Binding {
                host_id: host.id,
                interface_name: veth,
            };
            if let Some(p) = b.out.ports.get_mut(&port).map(Arc::make_mut) {
                p.binding = Some(binding);
            }
        }
        None => b.diagnose(
            owner,
            format!("CLC {clc} has no MidoNet host; port {veth} stays unbound"),
        ),
    }
    Ok(())
}

/// The DNAT to the proxy and the SNAT of its replies, in the interface's chains.
fn redirect(b: &mut Build, interface: &Interface, subnet: &Subnet) -> Result<(), TranslateError> {
    let owner = interface.name.as_str();
    let proxy = subnet_proxy(subnet)?;
    let metadata_group = names::object_id(names::METADATA_IP_GROUP);

    let prechain = names::object_id(&names::interface_chain(&interface.name, "prechain"));
    let to_metadata = Condition {
        nw_proto: Some(TCP),
        tp_dst: Some(PortRange::single(METADATA_PORT)),
        ip_addr_group_dst: Some(metadata_group),
        ..Condition::default()
    };
    let dnat = nat_rule(
        RuleType::Dnat,
        to_metadata,
        Some(vec![target(proxy, METADATA_PROXY_PORT)]),
        // Continue: the `.2/31` accept further down lets the rewritten packet through.
        FlowAction::Continue,
    );
    let at = metadata_nat_position(b, prechain)?;
    b.insert_rule(prechain, at, "metadata_dnat", owner, dnat)?;

    let postchain = names::object_id(&names::interface_chain(&interface.name, "postchain"));
    let from_proxy = Condition {
        nw_proto: Some(TCP),
        tp_src: Some(PortRange::single(METADATA_PROXY_PORT)),
        ..Condition::default()
    }
    .src(host_network(proxy), false);
    let snat = nat_rule(
        RuleType::Snat,
        from_proxy,
        Some(vec![target(METADATA_IP, METADATA_PORT)]),
        FlowAction::Continue,
    );
    let at = metadata_nat_position(b, postchain)?;
    b.insert_rule(postchain, at, "metadata_snat", owner, snat)?;
    Ok(())
}

/// A NAT target of one address and one port.
fn target(address: Ipv4Addr, port: u16) -> NatTarget {
    NatTarget {
        address_from: address,
        address_to: address,
        port_from: port,
        port_to: port,
    }
}

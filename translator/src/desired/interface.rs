//! Builds each attached ENI's presence in its subnet (`reference/eucanetd.md` §2.6): the
//! exterior bridge port bound to `vn_<if>` on the node's MidoNet host, the bridge ARP and MAC
//! entries, the empty `elip_pre_<if>`/`elip_post_<if>` groups (`elastic_ip` fills them), and the
//! filters `ic_<if>_prechain` (from the VM) and `ic_<if>_postchain` (to the VM) in eucanetd's
//! rule order: anti-spoofing, return flow, reserved accepts, security-group jumps, a final drop
//! of everything but ARP. The `metadata` stage later inserts its NAT rule into each chain at the
//! place `metadata_nat_position` gives (§2.6 prechain rule 2, postchain rule 5).
//!
//! `sourceDestCheck=false` (NAT instances, appliances) drops the two IPv4 address checks, so the
//! interface may send from and receive for addresses not its own; the MAC and ARP checks stay.

use std::collections::BTreeSet;
use std::sync::Arc;

use topology::{Condition, Ip4Mac, MacPort, RuleType};
use uuid::Uuid;

use super::names;
use super::subnet_bridge::dhcp_condition;
use super::{
    host_network, jump_rule, network, nth_address, plain_rule, Binding, Build, ConditionExt,
    DesiredIp4Mac, DesiredMacPort, TranslateError, ETH_ARP, ETH_IPV4,
};
use crate::gni::{Instance, Interface, Subnet};

/// ARP's opcode, which MidoNet matches as the network protocol: 2 is a reply.
const ARP_REPLY: u8 = 2;

/// The role of the return-flow accept in both interface chains.
const RETURN_FLOW: &str = "return_flow";

/// The 1-based place of the legacy-metadata NAT rule in an interface chain: just after the
/// anti-spoofing drops and before the return-flow accept, however many drops
/// `DISABLE_L2_ISOLATION` or `sourceDestCheck=false` left out. After the drops, so a spoofed
/// packet is dropped before it is rewritten; before the return-flow accept, because the proxy's
/// replies *are* return flow and would otherwise reach the VM un-SNATed, from `.3:8008` instead
/// of `169.254.169.254:80`.
pub(super) fn metadata_nat_position(b: &Build, chain: Uuid) -> Result<u32, TranslateError> {
    let chain_name = b.key_of(chain);
    let return_flow = names::object_id(&format!("{chain_name}/{RETURN_FLOW}"));
    b.out
        .chains
        .get(&chain)
        .and_then(|c| c.rules.iter().find(|r| r.id == return_flow))
        .map(|r| r.position)
        .ok_or_else(|| TranslateError::Reference {
            layer: "interface chain",
            id: chain_name,
            reason: "has no return-flow rule to place the metadata NAT before".to_owned(),
        })
}

/// The key of an interface's exterior port.
pub(super) fn port_key(bridge: &str, interface: &Interface) -> String {
    format!("{bridge}/port/{}", interface.name)
}

pub(super) fn build(b: &mut Build) -> Result<(), TranslateError> {
    for (instance, interface) in b.interfaces() {
        let subnet = b.subnet_of(interface)?;
        attach(b, instance, interface, subnet)?;
    }
    Ok(())
}

fn attach(
    b: &mut Build,
    instance: &Instance,
    interface: &Interface,
    subnet: &Subnet,
) -> Result<(), TranslateError> {
    let owner = interface.name.as_str();
    let bridge_name = names::subnet_bridge(&interface.vpc, &subnet.id);
    let bridge = names::object_id(&bridge_name);
    let port = b.bridge_port(port_key(&bridge_name, interface), owner, bridge)?;
    let prechain = b.chain(&names::interface_chain(&interface.name, "prechain"), owner)?;
    let postchain = b.chain(&names::interface_chain(&interface.name, "postchain"), owner)?;
    if let Some(p) = b.port_mut(port) {
        p.inbound_filter_id = Some(prechain);
        p.outbound_filter_id = Some(postchain);
    }
    let tap = names::host_interface(&interface.name);
    match b.env.host_with(instance.node) {
        Some(host) => {
            let binding = Binding {
                host_id: host.id,
                interface_name: tap,
            };
            if let Some(p) = b.out.ports.get_mut(&port).map(Arc::make_mut) {
                p.binding = Some(binding);
            }
        }
        None => b.diagnose(
            owner,
            format!(
                "node {} has no MidoNet host; port {tap} stays unbound",
                instance.node
            ),
        ),
    }

    if b.env.constants.enable_arptable {
        let mac = interface.mac.to_string();
        let id = b.record(format!("{bridge_name}/arp/{}", interface.private_ip), owner)?;
        let entry = Ip4Mac {
            ip: interface.private_ip,
            mac: mac.clone(),
        };
        b.out
            .ip4_macs
            .insert(id, DesiredIp4Mac { bridge, entry }.into());
        let id = b.record(format!("{bridge_name}/mac/{mac}"), owner)?;
        let entry = MacPort {
            mac_addr: mac,
            port_id: port,
            vlan_id: None,
        };
        b.out
            .mac_ports
            .insert(id, DesiredMacPort { bridge, entry }.into());
    }

    let elastic = interface.name.as_str();
    b.ip_addr_group(&names::elastic_ip_group(elastic, "pre"), owner, [])?;
    b.ip_addr_group(&names::elastic_ip_group(elastic, "post"), owner, [])?;

    from_vm(b, prechain, interface, subnet)?;
    to_vm(b, postchain, interface)?;
    Ok(())
}

/// The interface's security groups, each once, in GNI order.
fn groups(interface: &Interface) -> Vec<&crate::gni::SecurityGroupId> {
    let mut seen = BTreeSet::new();
    interface
        .security_groups
        .iter()
        .filter(|g| seen.insert(*g))
        .collect()
}

/// `ic_<if>_prechain`, traffic from the VM (§2.6, master order).
fn from_vm(
    b: &mut Build,
    chain: Uuid,
    interface: &Interface,
    subnet: &Subnet,
) -> Result<(), TranslateError> {
    let mac = interface.mac.to_string();
    let ip = host_network(interface.private_ip);
    let any = Condition::default;
    let mut rules = Vec::new();
    if !b.env.constants.disable_l2_isolation {
        let other_mac = Condition {
            dl_src: Some(mac.clone()),
            inv_dl_src: true,
            ..any()
        };
        rules.push(("antispoof_mac", RuleType::Drop, other_mac.clone()));
        if interface.source_dest_check {
            let other_ip = any().dl_type(ETH_IPV4, false).src(ip, true);
            rules.push(("antispoof_ip", RuleType::Drop, other_ip));
        }
        let arp_mac = other_mac.dl_type(ETH_ARP, false);
        rules.push(("antispoof_arp_mac", RuleType::Drop, arp_mac));
        let arp_ip = any().dl_type(ETH_ARP, false).src(ip, true);
        rules.push(("antispoof_arp_ip", RuleType::Drop, arp_ip));
    }
    rules.push((RETURN_FLOW, RuleType::Accept, return_flow()));
    let dot2 = nth_address(subnet.cidr, 2).ok_or_else(|| TranslateError::Reference {
        layer: "subnet",
        id: subnet.id.to_string(),
        reason: format!("{} has no .2 address", subnet.cidr),
    })?;
    rules.push((
        "dot2",
        RuleType::Accept,
        any().dst(network(dot2, 31), false),
    ));
    let metadata = b.env.constants.extmd_cidr;
    rules.push(("metadata", RuleType::Accept, any().dst(metadata, false)));
    write_chain(b, chain, interface, rules, "egress")
}

/// `ic_<if>_postchain`, traffic to the VM (§2.6, master order).
fn to_vm(b: &mut Build, chain: Uuid, interface: &Interface) -> Result<(), TranslateError> {
    let ip = host_network(interface.private_ip);
    let any = Condition::default;
    let mut rules = vec![("dhcp", RuleType::Accept, dhcp_condition())];
    if !b.env.constants.disable_l2_isolation {
        if interface.source_dest_check {
            let other_ip = any().dl_type(ETH_IPV4, false).dst(ip, true);
            rules.push(("antispoof_ip", RuleType::Drop, other_ip));
        }
        let reply_elsewhere = Condition {
            nw_proto: Some(ARP_REPLY),
            dl_dst: Some(interface.mac.to_string()),
            inv_dl_dst: true,
            ..any()
        }
        .dl_type(ETH_ARP, false);
        rules.push(("antispoof_arp_mac", RuleType::Drop, reply_elsewhere));
        let arp_ip = any().dl_type(ETH_ARP, false).dst(ip, true);
        rules.push(("antispoof_arp_ip", RuleType::Drop, arp_ip));
    }
    rules.push((RETURN_FLOW, RuleType::Accept, return_flow()));
    write_chain(b, chain, interface, rules, "ingress")
}

/// Accepts the replies of connections the other side opened (stateful).
fn return_flow() -> Condition {
    Condition {
        match_return_flow: true,
        ..Condition::default()
    }
}

/// Writes an interface chain: `rules`, then one jump per security group into its
/// `sg_<direction>_` chain, then the drop of everything but ARP that no group accepted.
fn write_chain(
    b: &mut Build,
    chain: Uuid,
    interface: &Interface,
    rules: Vec<(&str, RuleType, Condition)>,
    direction: &str,
) -> Result<(), TranslateError> {
    let owner = interface.name.as_str();
    for (role, rule_type, condition) in rules {
        b.rule(chain, role, owner, plain_rule(rule_type, condition))?;
    }
    for group in groups(interface) {
        let target = names::security_group_chain(group, direction);
        let role = format!("jump/{group}");
        b.rule(
            chain,
            &role,
            owner,
            jump_rule(&target, Condition::default()),
        )?;
    }
    let non_arp = Condition::default().dl_type(ETH_ARP, true);
    b.rule(
        chain,
        "drop_non_arp",
        owner,
        plain_rule(RuleType::Drop, non_arp),
    )?;
    Ok(())
}

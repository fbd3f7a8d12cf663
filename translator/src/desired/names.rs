//! Names every translator-made MidoNet object exactly as eucanetd does (`reference/eucanetd.md`
//! §2.1) and derives each object's id from its name: the one place identity is decided.
//!
//! An object's *key* is its eucanetd name (`vr_vpc-1f2e3d4c_2`) or, for objects MidoNet leaves
//! unnamed (ports, routes, rules, DHCP entries, table entries), its owner's name plus a stable
//! role (`vr_vpc-1f2e3d4c_2/uplink`, `ic_i-4a1b2c3d_prechain/return_flow`). The id is the UUIDv5
//! of the key in `NAMESPACE`, so the same GNI always yields the same ids, a create is idempotent,
//! and nothing ever has to be found by parsing names.

use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;
use uuid::Uuid;

use crate::gni::{InterfaceName, NatGatewayId, NetworkAclId, SecurityGroupId, SubnetId, VpcId};

/// The project's UUIDv5 namespace for translator-made objects. Fixed forever: changing it would
/// give every object of every deployment a new id, so the reconciler would recreate them all.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x8f3c_2a61_7d4e_5b09_a1c6_6575_6361_6d69);

/// The id of the object whose key is `key`.
pub fn object_id(key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, key.as_bytes())
}

/// The core router.
pub const CORE_ROUTER: &str = "eucart";
/// The core (transit) bridge.
pub const CORE_BRIDGE: &str = "eucabr";
/// `eucabr`'s inbound filter.
pub const CORE_BRIDGE_INFILTER: &str = "eucabr_infilter";
/// The gateway ports' group.
pub const GATEWAY_PORT_GROUP: &str = "eucapg";
/// The IP address group holding the metadata address.
pub const METADATA_IP_GROUP: &str = "metadata_ip";
/// The IP address group holding the artifacts' version as a dotted quad.
pub const VERSION_GROUP: &str = "euca_version";

pub fn vpc_router(vpc: &VpcId, rtid: u32) -> String {
    format!("vr_{vpc}_{rtid}")
}

/// `vc_<vpc>_<role>`: `prechain`, `preelip`, `postchain`.
pub fn vpc_chain(vpc: &VpcId, role: &str) -> String {
    format!("vc_{vpc}_{role}")
}

pub fn subnet_bridge(vpc: &VpcId, subnet: &SubnetId) -> String {
    format!("vb_{vpc}_{subnet}")
}

/// `sc_<subnet>_<in|out>`.
pub fn subnet_chain(subnet: &SubnetId, direction: &str) -> String {
    format!("sc_{subnet}_{direction}")
}

/// `ic_<if>_<prechain|postchain>`.
pub fn interface_chain(interface: &InterfaceName, role: &str) -> String {
    format!("ic_{interface}_{role}")
}

/// `elip_<pre|post>_<if or nat>`.
pub fn elastic_ip_group(owner: &str, role: &str) -> String {
    format!("elip_{role}_{owner}")
}

/// The host interface (tap) of an interface: `vn_<if>`, with a long id cut to its first 8 hex
/// digits as `euca_truncate_interfaceid` does, so the name fits IFNAMSIZ (15 characters). The NC
/// creates the tap under the same name.
pub fn host_interface(interface: &InterfaceName) -> String {
    let name = interface.as_str();
    let (prefix, digits) = name.split_at(name.find('-').map_or(0, |dash| dash + 1));
    let short: String = digits.chars().take(8).collect();
    format!("vn_{prefix}{short}")
}

/// The first 8 characters after a GNI id's dash (`subnet-0123abcd` and the long
/// `subnet-0123abcd4567ef890` both give `0123abcd`), which eucanetd's host interface names use
/// so that `vn0_` plus them fits IFNAMSIZ. Two long ids that share those 8 characters collide.
pub fn short_id(id: &str) -> &str {
    let digits = id.find('-').map_or(id, |dash| &id[dash + 1..]);
    digits
        .char_indices()
        .nth(8)
        .map_or(digits, |(end, _)| &digits[..end])
}

/// `vn0_<sub8>`: the host end of a subnet's metadata veth pair on the CLC host, which the subnet
/// bridge's metadata port is bound to (§2.5 "Legacy MD"; the other end, `vn1_<sub8>`, is in the
/// VPC's namespace).
pub fn metadata_subnet_interface(subnet: &SubnetId) -> String {
    format!("vn0_{}", short_id(subnet.as_str()))
}

/// `sg_<ingress|egress>_<sg>`.
pub fn security_group_chain(group: &SecurityGroupId, direction: &str) -> String {
    format!("sg_{direction}_{group}")
}

/// `sg_<priv|pub|all>_<sg>`.
pub fn security_group_ips(group: &SecurityGroupId, members: &str) -> String {
    format!("sg_{members}_{group}")
}

pub fn nat_router(nat: &NatGatewayId, subnet: &SubnetId, rtid: u32) -> String {
    format!("natr_{nat}_{subnet}_{rtid}")
}

/// `natc_<nat>_<rtin|rtout>`.
pub fn nat_chain(nat: &NatGatewayId, role: &str) -> String {
    format!("natc_{nat}_{role}")
}

/// `acl_<ingress|egress>_<vpc>_<acl>`.
pub fn network_acl_chain(vpc: &VpcId, acl: &NetworkAclId, direction: &str) -> String {
    format!("acl_{direction}_{vpc}_{acl}")
}

/// The key of a route: its router, source, destination, port and next hop, which together are
/// what makes two routes different.
pub fn route(
    router: &str,
    src: Ipv4Network,
    dst: Ipv4Network,
    port: &str,
    gateway: Option<Ipv4Addr>,
) -> String {
    match gateway {
        Some(gw) => format!("{router}/route/{src}/{dst}/{port}/via/{gw}"),
        None => format!("{router}/route/{src}/{dst}/{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interface(name: &str) -> InterfaceName {
        let id = crate::gni::EniId::parse(name)
            .map(|e| InterfaceName::from(&e))
            .or_else(|| crate::gni::InstanceId::parse(name).map(|i| InterfaceName::from(&i)));
        id.expect("a valid interface name")
    }

    #[test]
    fn ids_are_the_uuidv5_of_the_key_in_the_project_namespace() {
        let id = object_id("eucart");
        assert_eq!(id.get_version_num(), 5);
        assert_eq!(id, object_id("eucart"));
        assert_ne!(id, object_id("eucabr"));
        assert_eq!(id, Uuid::new_v5(&NAMESPACE, b"eucart"));
    }

    #[test]
    fn metadata_interfaces_use_the_first_8_characters_of_the_subnet_id() {
        let short = SubnetId::parse("subnet-0000a1b2").expect("an id");
        assert_eq!(metadata_subnet_interface(&short), "vn0_0000a1b2");
        let long = SubnetId::parse("subnet-0123456789abcdef0").expect("an id");
        assert_eq!(metadata_subnet_interface(&long), "vn0_01234567");
        assert_eq!(short_id("vpc-12"), "12");
    }

    #[test]
    fn host_interfaces_fit_ifnamsiz_for_long_ids() {
        assert_eq!(host_interface(&interface("i-4a1b2c3d")), "vn_i-4a1b2c3d");
        assert_eq!(
            host_interface(&interface("i-0123456789abcdef0")),
            "vn_i-01234567"
        );
        assert_eq!(
            host_interface(&interface("eni-0123456789abcdef0")),
            "vn_eni-01234567"
        );
        assert!(host_interface(&interface("eni-0123456789abcdef0")).len() <= 15);
    }
}

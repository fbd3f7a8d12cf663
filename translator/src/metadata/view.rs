//! Computes what the metadata plane should serve from a GNI and its translation: per VPC its
//! router id, its subnets with their proxy addresses, and which instance each private address
//! belongs to. Pure; `MetadataPlane::sync` makes the host match it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use ipnetwork::Ipv4Network;

use crate::desired::{proxy_address, Allocations};
use crate::gni::{Gni, SubnetId, VpcId};

/// Everything the metadata plane serves, by VPC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetadataView {
    pub vpcs: BTreeMap<VpcId, VpcMetadata>,
}

/// One VPC: its namespace `vpc-…` and the instances the proxy answers for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VpcMetadata {
    pub id: VpcId,
    /// The VPC router's id, which numbers its namespace's `169.254.0.0/16` address, as eucanetd
    /// numbers `vn3_<vpc8>`.
    pub rtid: u32,
    /// In subnet id order.
    pub subnets: Vec<SubnetMetadata>,
    /// The instance id each private address of the VPC belongs to: what the proxy sends as
    /// `Euca-Instance-Id`. A secondary ENI's address maps to its instance, as eucanetd's legacy
    /// map (`eucanetd_vpc_instance_ip_map`) does, since the CLC serves metadata per instance.
    pub instances: BTreeMap<Ipv4Addr, String>,
}

/// One subnet: the veth pair `vn0_<sub8>`/`vn1_<sub8>` and the proxy address on `vn1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubnetMetadata {
    pub id: SubnetId,
    pub cidr: Ipv4Network,
    /// The subnet's `.3` with the subnet's prefix, where the DNAT of `169.254.169.254:80` lands.
    pub proxy: Ipv4Network,
}

impl VpcMetadata {
    /// The namespace end of `vn2_<vpc8>`/`vn3_<vpc8>`: `169.254.0.0 + rtid` in `/16`.
    pub fn link_local_address(&self) -> Option<Ipv4Network> {
        let base = u32::from(Ipv4Addr::new(169, 254, 0, 0));
        let offset = u16::try_from(self.rtid).ok()?;
        Ipv4Network::new(Ipv4Addr::from(base + u32::from(offset)), 16).ok()
    }
}

/// The view of `gni` with the router ids its translation allocated. A VPC without a router id
/// in `allocations` (those of another GNI) and a subnet without a `.3` (too small; the
/// translation refuses those) are left out.
pub fn view(gni: &Gni, allocations: &Allocations) -> MetadataView {
    let mut vpcs = BTreeMap::new();
    for vpc in gni.vpcs.values() {
        let Some(rtid) = allocations.rtids.get(vpc.id.as_str()).copied() else {
            continue;
        };
        let subnets = vpc
            .subnets
            .values()
            .filter_map(|s| {
                let proxy = proxy_address(s.cidr)?;
                let proxy = Ipv4Network::new(proxy, s.cidr.prefix()).ok()?;
                Some(SubnetMetadata {
                    id: s.id.clone(),
                    cidr: s.cidr,
                    proxy,
                })
            })
            .collect();
        vpcs.insert(
            vpc.id.clone(),
            VpcMetadata {
                id: vpc.id.clone(),
                rtid,
                subnets,
                instances: BTreeMap::new(),
            },
        );
    }
    for (instance, interface) in gni.interfaces() {
        if let Some(vpc) = vpcs.get_mut(&interface.vpc) {
            vpc.instances
                .insert(interface.private_ip, instance.id.to_string());
        }
    }
    MetadataView { vpcs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{translate, Environment};

    const TWO_VPCS: &str = include_str!("../../testdata/gni/two-vpcs.xml");

    #[test]
    fn the_view_has_each_vpcs_rtid_proxy_addresses_and_instance_map() {
        let gni = crate::gni::parse(TWO_VPCS).expect("the example parses");
        let desired = translate(&gni, &Environment::new("5.0.0.0")).expect("it translates");
        let view = view(&gni, &desired.allocations);
        let ids: Vec<&str> = view.vpcs.keys().map(|v| v.as_str()).collect();
        assert_eq!(ids, ["vpc-0000000a", "vpc-0000000b"]);
        let a = &view.vpcs["vpc-0000000a"];
        assert_eq!(a.rtid, desired.allocations.rtids["vpc-0000000a"]);
        assert_eq!(
            a.link_local_address().map(|n| n.to_string()),
            Some(format!("169.254.0.{}/16", a.rtid))
        );
        let proxies: Vec<String> = a.subnets.iter().map(|s| s.proxy.to_string()).collect();
        assert_eq!(proxies, ["10.20.1.3/24", "10.20.2.3/24"]);
        let ip = |s: &str| s.parse::<Ipv4Addr>().expect("an address");
        // The secondary ENI eni-00000a11 answers as its instance.
        assert_eq!(a.instances[&ip("10.20.2.11")], "i-00000a01");
        assert_eq!(a.instances[&ip("10.20.1.10")], "i-00000a01");
        assert_eq!(a.instances.len(), 4);
        // The same private address in the other VPC is another instance.
        let b = &view.vpcs["vpc-0000000b"];
        assert_eq!(b.instances[&ip("10.20.1.10")], "i-00000b01");
    }

    #[test]
    fn link_local_addresses_count_past_one_octet() {
        let gni = crate::gni::parse(TWO_VPCS).expect("the example parses");
        let desired = translate(&gni, &Environment::new("5.0.0.0")).expect("it translates");
        let mut vpc = view(&gni, &desired.allocations).vpcs["vpc-0000000a"].clone();
        vpc.rtid = 300;
        assert_eq!(
            vpc.link_local_address().map(|n| n.to_string()),
            Some("169.254.1.44/16".to_owned())
        );
    }
}

//! Changes to a GNI as the CLC would make them, shared by the reconcile and engine tests.

use translator::gni::{self, Gni, PortRange, Protocol, RulePeer, SecurityGroupRule};

/// A change to a GNI, as the CLC would make it.
pub type GniChange = fn(&mut Gni);

fn instance_ids(gni: &Gni) -> Vec<String> {
    gni.instances.keys().map(|i| i.to_string()).collect()
}

pub fn add_instance(gni: &mut Gni) {
    let (id, template) = gni
        .instances
        .iter()
        .next()
        .map(|(id, i)| (id.clone(), i.clone()))
        .expect("an instance");
    let mut copy = template;
    let new_id = gni::InstanceId::parse("i-0000ffff").expect("an id");
    copy.id = new_id.clone();
    copy.private_ip = std::net::Ipv4Addr::new(
        copy.private_ip.octets()[0],
        copy.private_ip.octets()[1],
        copy.private_ip.octets()[2],
        200,
    );
    copy.public_ip = None;
    copy.mac = gni::MacAddr::parse("d0:0d:00:00:ff:ff").expect("a MAC");
    let mut interfaces = std::collections::BTreeMap::new();
    if let Some(primary) = copy.interfaces.values().next().cloned() {
        let mut primary = primary;
        primary.name = gni::InterfaceName::from(&new_id);
        primary.eni_id = gni::EniId::parse("eni-0000ffff").expect("an ENI id");
        primary.private_ip = copy.private_ip;
        primary.public_ip = None;
        primary.mac = copy.mac;
        interfaces.insert(primary.name.clone(), primary);
    }
    copy.interfaces = interfaces;
    for cluster in gni.config.clusters.values_mut() {
        for instances in cluster.nodes.values_mut() {
            if instances.contains(&id) {
                instances.push(new_id.clone());
            }
        }
    }
    gni.instances.insert(new_id, copy);
    assert!(instance_ids(gni).contains(&"i-0000ffff".to_owned()));
}

pub fn remove_instance(gni: &mut Gni) {
    let id = gni
        .instances
        .keys()
        .find(|i| i.as_str() == "i-00000a02")
        .cloned()
        .expect("instance i-00000a02");
    gni.instances.remove(&id);
    for cluster in gni.config.clusters.values_mut() {
        for instances in cluster.nodes.values_mut() {
            instances.retain(|i| *i != id);
        }
    }
}

pub fn move_interface(gni: &mut Gni) {
    let nodes: Vec<std::net::Ipv4Addr> = gni
        .config
        .clusters
        .values()
        .flat_map(|c| c.nodes.keys().copied())
        .collect();
    let instance = gni.instances.values_mut().next().expect("an instance");
    let other = nodes
        .iter()
        .copied()
        .find(|n| *n != instance.node)
        .expect("a second node");
    let id = instance.id.clone();
    instance.node = other;
    for cluster in gni.config.clusters.values_mut() {
        for (node, instances) in cluster.nodes.iter_mut() {
            instances.retain(|i| *i != id);
            if *node == other {
                instances.push(id.clone());
            }
        }
    }
}

pub fn add_security_group_rule(gni: &mut Gni) {
    let group = gni
        .security_groups
        .values_mut()
        .find(|g| g.id.as_str() == "sg-000000a1")
        .expect("security group sg-000000a1");
    group.ingress.push(SecurityGroupRule {
        protocol: Protocol::Tcp(PortRange { from: 22, to: 22 }),
        peer: RulePeer::Cidr("0.0.0.0/0".parse().expect("a CIDR")),
    });
}

pub fn add_elastic_ip(gni: &mut Gni) {
    let instance = gni
        .instances
        .values_mut()
        .find(|i| i.public_ip.is_none())
        .expect("an instance without a public IP");
    let public = std::net::Ipv4Addr::new(203, 0, 113, 77);
    instance.public_ip = Some(public);
    let id = instance.id.as_str().to_owned();
    if let Some(primary) = instance
        .interfaces
        .values_mut()
        .find(|i| i.name.as_str() == id)
    {
        primary.public_ip = Some(public);
    }
}

pub fn switch_route_table(gni: &mut Gni) {
    let vpc = gni
        .vpcs
        .values_mut()
        .find(|v| v.id.as_str() == "vpc-0000000a")
        .expect("vpc-0000000a");
    let other = vpc
        .route_tables
        .keys()
        .find(|t| t.as_str() == "rtb-000000a2")
        .cloned()
        .expect("rtb-000000a2");
    let subnet = vpc
        .subnets
        .values_mut()
        .find(|s| s.id.as_str() == "subnet-000000a1")
        .expect("subnet-000000a1");
    subnet.route_table = other;
}

pub fn delete_vpc(gni: &mut Gni) {
    let vpc = gni
        .vpcs
        .keys()
        .find(|v| v.as_str() == "vpc-0000000b")
        .cloned()
        .expect("vpc-0000000b");
    gni.vpcs.remove(&vpc);
    let gone: Vec<_> = gni
        .instances
        .iter()
        .filter(|(_, i)| i.vpc == vpc)
        .map(|(id, _)| id.clone())
        .collect();
    for id in &gone {
        gni.instances.remove(id);
    }
    for cluster in gni.config.clusters.values_mut() {
        for instances in cluster.nodes.values_mut() {
            instances.retain(|i| !gone.contains(i));
        }
    }
}

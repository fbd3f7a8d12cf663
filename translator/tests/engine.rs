//! The incremental engine against a real gateway on ZooKeeper: from empty, then every kind of
//! GNI change, each cycle ending where a from-scratch translation and a fresh read say it
//! should, and followed by a cycle that sends nothing.

mod common;

use common::Cloud;
use translator::desired::{translate, Desired};
use translator::engine::{CycleReport, Engine};
use translator::gni::{self, Gni, PortRange, Protocol, RulePeer, SecurityGroupRule};
use translator::reconcile::{actual, plan, tenant_of};

const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

fn parse(document: &str) -> Gni {
    gni::parse(document).expect("a valid GNI")
}

/// Runs a cycle of `gni`, checks MidoNet then holds exactly its from-scratch translation
/// (with the engine's allocations), and that a second cycle sends nothing.
async fn cycle(cloud: &Cloud, engine: &mut Engine, gni: &Gni, what: &str) -> CycleReport {
    let report = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(
        report.apply.failed.is_empty(),
        "{what}: {:#?}",
        report.apply.failed
    );
    let mut env = cloud.env.clone();
    env.allocations = engine.allocations().clone();
    let want: Desired = translate(gni, &env).expect("translates");
    let have = actual::read(&cloud.client, tenant_of(&want))
        .await
        .expect("read");
    let left = plan(&want, &have);
    assert!(
        left.is_empty(),
        "{what}: MidoNet differs from the translation:\n{left}"
    );
    let again = engine.cycle(gni.clone()).await.expect("a cycle");
    assert_eq!(
        again.planned,
        (0, 0, 0),
        "{what}: the next cycle plans nothing"
    );
    assert_eq!(again.apply.sent, 0, "{what}");
    eprintln!(
        "{what}: full read {}, full plan {}, {} parts translated, {} planned, {:?} sent {} in {:?}",
        report.full_read,
        report.full_plan,
        report.parts_translated,
        report.parts_planned,
        report.planned,
        report.apply.sent,
        report.apply.elapsed
    );
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn the_engine_follows_every_kind_of_change_on_zookeeper() {
    let Some(cloud) = Cloud::start_on_zookeeper().await else {
        return;
    };
    let mut engine = Engine::new(cloud.client.clone(), cloud.env.clone());
    let mut gni = parse(TWO_VPCS);
    let first = cycle(&cloud, &mut engine, &gni, "from empty").await;
    assert!(first.full_read && first.full_plan);
    assert!(first.apply.sent > 50);

    let changes: [(&str, GniChange); 7] = [
        ("add an instance", add_instance),
        ("remove an instance", remove_instance),
        ("move an ENI to another node", move_interface),
        ("change a security group rule", add_security_group_rule),
        ("add an elastic IP", add_elastic_ip),
        ("switch a subnet's route table", switch_route_table),
        ("delete a VPC", delete_vpc),
    ];
    for (what, change) in changes {
        change(&mut gni);
        let report = cycle(&cloud, &mut engine, &gni, what).await;
        assert!(!report.full_read, "{what}: followed, not read again");
        assert!(
            !report.full_plan,
            "{what}: only the changed parts are planned"
        );
        assert!(report.apply.sent > 0, "{what} sends something");
    }

    // A restart: a new engine reads MidoNet, recovers the router ids and sends nothing.
    let mut restarted = Engine::new(cloud.client.clone(), cloud.env.clone());
    let report = restarted.cycle(gni.clone()).await.expect("a cycle");
    assert!(report.full_read);
    assert_eq!(report.planned, (0, 0, 0), "a restart changes nothing");
    assert_eq!(restarted.allocations().rtids, engine.allocations().rtids);
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_elses_change_is_seen_in_the_feed_and_repaired() {
    let Some(cloud) = Cloud::start_on_zookeeper().await else {
        return;
    };
    let mut engine = Engine::new(cloud.client.clone(), cloud.env.clone());
    let gni = parse(TWO_VPCS);
    cycle(&cloud, &mut engine, &gni, "from empty").await;
    let desired = engine.desired();
    let (&chain, _) = desired
        .chains
        .iter()
        .find(|(_, c)| {
            c.chain
                .name
                .as_deref()
                .is_some_and(|n| n.starts_with("ic_"))
        })
        .expect("an interface chain");
    let rules = cloud.client.chain_rules(chain).await.expect("rules");
    cloud
        .client
        .delete_rule(rules[0].id)
        .await
        .expect("an operator deletes a rule");
    let report = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(!report.full_read);
    assert!(report.apply.sent > 0, "the rule is put back");
    cycle(&cloud, &mut engine, &gni, "after repair").await;
}

/// A change to a GNI, as the CLC would make it.
type GniChange = fn(&mut Gni);

fn instance_ids(gni: &Gni) -> Vec<String> {
    gni.instances.keys().map(|i| i.to_string()).collect()
}

fn add_instance(gni: &mut Gni) {
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

fn remove_instance(gni: &mut Gni) {
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

fn move_interface(gni: &mut Gni) {
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

fn add_security_group_rule(gni: &mut Gni) {
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

fn add_elastic_ip(gni: &mut Gni) {
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

fn switch_route_table(gni: &mut Gni) {
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

fn delete_vpc(gni: &mut Gni) {
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

//! The incremental engine against a real gateway on ZooKeeper: from empty, then every kind of
//! GNI change, each cycle ending where a from-scratch translation and a fresh read say it
//! should, and followed by a cycle that sends nothing.

mod common;

use common::changes::*;
use common::Cloud;
use translator::desired::{translate, Desired};
use translator::engine::{CycleReport, Engine};
use translator::gni::{self, Gni};
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

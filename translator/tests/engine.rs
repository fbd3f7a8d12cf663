//! The incremental engine against a real gateway on ZooKeeper: from empty, then every kind of
//! GNI change, each cycle ending where a from-scratch translation and a fresh read say it
//! should, with the engine's view of MidoNet equal to that fresh read, and followed by a cycle
//! that sends nothing. Cycles nobody else writes during take their own writes from the plan
//! without following the feed; one someone else writes during follows it.

mod common;

use common::changes::*;
use common::Cloud;
use translator::desired::{translate, Desired};
use translator::engine::{CycleReport, Engine};
use translator::gni::{self, Gni};
use translator::reconcile::{actual, plan, tenant_of, Actual};

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
    assert_view_is_a_fresh_read(engine, &have, what);
    let again = engine.cycle(gni.clone()).await.expect("a cycle");
    assert_eq!(
        again.planned,
        (0, 0, 0),
        "{what}: the next cycle plans nothing"
    );
    assert_eq!(again.apply.sent, 0, "{what}");
    assert!(again.follow_skipped, "{what}: nobody wrote since");
    assert_view_is_a_fresh_read(engine, &have, what);
    eprintln!(
        "{what}: full read {}, full plan {}, {} parts translated, {} planned, {:?} sent {} in {:?}, follow {:?}{}",
        report.full_read,
        report.full_plan,
        report.parts_translated,
        report.parts_planned,
        report.planned,
        report.apply.sent,
        report.apply.elapsed,
        report.follow,
        if report.follow_skipped { " (skipped)" } else { "" },
    );
    report
}

/// Asserts the engine takes MidoNet to hold what a fresh read `have` shows: planning the
/// engine's view against it finds nothing to do, so the next plan starts from the truth.
fn assert_view_is_a_fresh_read(engine: &Engine, have: &Actual, what: &str) {
    let view = engine.actual().expect("the engine has a view");
    let drift = plan(view, have);
    assert!(
        drift.is_empty(),
        "{what}: the engine's view differs from a fresh read:\n{drift}"
    );
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
    assert!(
        first.follow_skipped,
        "nobody else wrote: the whole plan is the view"
    );

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
        assert!(
            report.follow_skipped,
            "{what}: nobody else wrote, the planned parts are the view"
        );
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
    let rule = an_interface_rule(&cloud, &engine).await;
    cloud
        .client
        .delete_rule(rule)
        .await
        .expect("an operator deletes a rule");
    let report = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(!report.full_read);
    assert!(report.apply.sent > 0, "the rule is put back");
    assert!(
        report.follow_skipped,
        "the deletion came before the cycle, in the feed it read"
    );
    cycle(&cloud, &mut engine, &gni, "after repair").await;
}

/// The first rule of an interface chain of `engine`'s topology.
async fn an_interface_rule(cloud: &Cloud, engine: &Engine) -> uuid::Uuid {
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
    cloud.client.chain_rules(chain).await.expect("rules")[0].id
}

#[tokio::test(flavor = "multi_thread")]
async fn someone_elses_write_during_a_cycle_is_followed_not_assumed_and_repaired_next() {
    let Some(cloud) = Cloud::start_on_zookeeper().await else {
        return;
    };
    let proxy = cloud.interpose().await;
    let mut engine = Engine::new(proxy.client.clone(), cloud.env.clone());
    let mut gni = parse(TWO_VPCS);
    cycle(&cloud, &mut engine, &gni, "from empty").await;

    // An operator deletes a rule after the engine has read the feed and planned, just before
    // its first batch: the cycle's own writes are then not all that changed.
    let rule = an_interface_rule(&cloud, &engine).await;
    let operator = cloud.client.clone();
    proxy.arm(
        |method, path| method == "POST" && path.ends_with("/batch"),
        Box::new(move || {
            Box::pin(async move {
                operator
                    .delete_rule(rule)
                    .await
                    .expect("an operator deletes a rule");
            })
        }),
    );
    add_instance(&mut gni);
    let report = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(proxy.fired(), "the operator's write happened mid-cycle");
    assert!(report.apply.is_success(), "{:#?}", report.apply.failed);
    assert!(
        !report.follow_skipped,
        "someone else wrote: the feed is followed, not the plan assumed"
    );
    let have = actual::read(&cloud.client, &cloud.env.tenant)
        .await
        .expect("read");
    assert!(
        have.chains
            .values()
            .all(|c| c.rules.iter().all(|r| r.id != rule)),
        "the rule is gone"
    );
    assert_view_is_a_fresh_read(&engine, &have, "after a write mid-cycle");

    let repair = engine.cycle(gni.clone()).await.expect("a cycle");
    assert!(
        repair.apply.sent > 0,
        "the chain the operator changed is planned again and its rule put back"
    );
    cycle(&cloud, &mut engine, &gni, "after repair").await;
}

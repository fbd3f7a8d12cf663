//! Measures a reconcile of a 1,000-VPC cloud into an in-process gateway: the first run from
//! empty, then the read and empty plan of a second run, which must send nothing.

mod common;

use std::time::Instant;

use common::Cloud;
use translator::desired::translate;
use translator::gni::{self, fixture};
use translator::reconcile::{actual, plan, reconcile, tenant_of};

#[tokio::test(flavor = "multi_thread")]
#[ignore = "minutes in a debug build; run with --release"]
async fn a_thousand_vpcs_reconcile_and_reread_quickly() {
    let spec = fixture::CloudSpec {
        vpcs: 1000,
        subnets_per_vpc: 1,
        instances: 1000,
        security_groups: 1000,
        rules_per_group: 3,
        elastic_ips: 0,
        nodes: 2,
    };
    let gni = gni::parse(&fixture::cloud_xml(&spec).expect("a spec")).expect("a GNI");
    let cloud = Cloud::start().await;
    let client = &cloud.client;
    let desired = translate(&gni, &cloud.env).expect("translates");

    let first = reconcile(client, &desired).await.expect("reconcile");
    assert!(
        first.failed.is_empty(),
        "{:#?}",
        &first.failed[..3.min(first.failed.len())]
    );
    eprintln!(
        "first run: {} operations in {:?}",
        first.sent, first.elapsed
    );

    let started = Instant::now();
    let actual = actual::read(client, tenant_of(&desired))
        .await
        .expect("read");
    let read = started.elapsed();
    let left = plan(&desired, &actual);
    eprintln!(
        "full read: {} routers, {} ports, {} chains in {read:?}; plan {} operations in {:?}",
        actual.routers.len(),
        actual.ports.len(),
        actual.chains.len(),
        left.len(),
        started.elapsed() - read
    );
    assert!(left.is_empty(), "{left}");
    let second = reconcile(client, &desired).await.expect("reconcile");
    assert_eq!(second.sent, 0);
}

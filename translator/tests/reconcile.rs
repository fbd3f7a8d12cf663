//! Reconciles the shared example GNIs into a real in-process gateway (embedded store): from
//! empty, again with nothing to do, after each kind of GNI change, and after a failed write.

mod common;

use std::time::Instant;

use common::changes::*;
use common::Cloud;
use topology::Router;
use translator::desired::{translate, Desired};
use translator::gni::{self, Gni};
use translator::reconcile::{actual, apply, plan, reconcile, tenant_of, ApplyError, ApplyReport};
use uuid::Uuid;

const SINGLE_VPC: &str = include_str!("../testdata/gni/single-vpc.xml");
const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

impl Cloud {
    /// Translates `gni`, keeping the allocations of `previous` (as the daemon does).
    fn translate(&self, gni: &Gni, previous: Option<&Desired>) -> Desired {
        let mut env = self.env.clone();
        if let Some(p) = previous {
            env.allocations = p.allocations.clone();
        }
        translate(gni, &env).expect("the GNI translates")
    }

    async fn reconcile(&self, desired: &Desired) -> ApplyReport {
        let started = Instant::now();
        let report = reconcile(&self.client, desired).await.expect("reconcile");
        eprintln!(
            "reconcile: {} operations sent, {} failed, apply {:?}, in all {:?}",
            report.sent,
            report.failed.len(),
            report.elapsed,
            started.elapsed()
        );
        report
    }

    /// Asserts MidoNet now holds exactly `desired`: nothing to plan, and names, links,
    /// bindings and rule order as desired.
    async fn assert_holds(&self, desired: &Desired) {
        let actual = actual::read(&self.client, tenant_of(desired))
            .await
            .expect("read");
        let left = plan(desired, &actual);
        assert!(left.is_empty(), "MidoNet differs from the desired:\n{left}");
        assert_eq!(actual.routers, desired.routers);
        assert_eq!(actual.bridges, desired.bridges);
        assert_eq!(actual.chains, desired.chains, "chains and rule order");
        assert_eq!(actual.routes, desired.routes);
        assert_eq!(actual.ip_addr_groups, desired.ip_addr_groups);
        assert_eq!(actual.port_groups, desired.port_groups);
        assert_eq!(actual.dhcp_subnets, desired.dhcp_subnets);
        assert_eq!(actual.bgp_peers, desired.bgp_peers);
        assert_eq!(actual.ports.len(), desired.ports.len());
        for (id, want) in &desired.ports {
            let have = &actual.ports[id];
            assert_eq!(have.peer, want.peer, "link of {}", key(desired, *id));
            assert_eq!(
                have.binding,
                want.binding,
                "binding of {}",
                key(desired, *id)
            );
        }
        assert_eq!(actual.dhcp_hosts.len(), desired.dhcp_hosts.len());
        assert_eq!(actual.ip4_macs.len(), desired.ip4_macs.len());
        assert_eq!(actual.mac_ports.len(), desired.mac_ports.len());
    }

    /// Reconciles `desired` twice: the first run converges without failures, the second sends
    /// nothing.
    async fn converge(&self, desired: &Desired) -> ApplyReport {
        let first = self.reconcile(desired).await;
        assert!(first.failed.is_empty(), "failures: {:#?}", first.failed);
        self.assert_holds(desired).await;
        let second = self.reconcile(desired).await;
        assert_eq!(
            second.sent, 0,
            "a second run with the same GNI sends nothing"
        );
        assert!(second.failed.is_empty());
        first
    }
}

fn key(d: &Desired, id: Uuid) -> String {
    d.key(id).unwrap_or_default().to_owned()
}

fn parse(document: &str) -> Gni {
    gni::parse(document).expect("the example parses")
}

#[tokio::test]
async fn the_single_vpc_example_converges_and_a_second_run_sends_nothing() {
    let cloud = Cloud::start().await;
    let desired = cloud.translate(&parse(SINGLE_VPC), None);
    let first = cloud.converge(&desired).await;
    assert!(first.sent > 50, "sent {}", first.sent);
}

#[tokio::test]
async fn the_two_vpcs_example_follows_every_kind_of_gni_change() {
    let cloud = Cloud::start().await;
    let mut gni = parse(TWO_VPCS);
    let mut desired = cloud.translate(&gni, None);
    cloud.converge(&desired).await;

    // Each change is followed by a reconcile whose result equals the changed GNI's
    // translation, then by one that sends nothing.
    let changes: [(&str, GniChange); 4] = [
        ("remove an instance", remove_instance),
        ("add a security group rule", add_security_group_rule),
        ("switch a subnet's route table", switch_route_table),
        ("delete a VPC", delete_vpc),
    ];
    for (what, change) in changes {
        change(&mut gni);
        let next = cloud.translate(&gni, Some(&desired));
        assert_ne!(next, desired, "{what} changes the desired topology");
        eprintln!("{what}:");
        let report = cloud.converge(&next).await;
        assert!(report.sent > 0, "{what} sends something");
        desired = next;
    }
}

#[tokio::test]
async fn a_failed_write_applies_the_rest_and_the_next_run_repairs_it() {
    let cloud = Cloud::start().await;
    let desired = cloud.translate(&parse(TWO_VPCS), None);
    // Someone else's router holds the id of one VPC router, under another tenant, so the
    // translator does not see it and its create is refused.
    let (&taken, router) = desired
        .routers
        .iter()
        .find(|(_, r)| r.name.as_deref().is_some_and(|n| n.starts_with("vr_")))
        .expect("a VPC router");
    let squatter = Router::named(taken, "squatter", "another_tenant");
    cloud
        .client
        .create_router(&squatter)
        .await
        .expect("the squatter");

    let report = cloud.reconcile(&desired).await;
    let name = router.name.clone().unwrap_or_default();
    let (refused, error) = &report.failed[0];
    assert!(
        refused.starts_with(&format!("create router {name}")),
        "{refused}"
    );
    assert!(error.client().is_some_and(|e| e.is_conflict()), "{error}");
    // What needs the router was not sent; everything else was.
    assert!(report.failed[1..]
        .iter()
        .all(|(_, e)| matches!(e, ApplyError::Skipped { .. })));
    assert!(report
        .failed
        .iter()
        .any(|(op, _)| op.contains(&format!("port {name}/"))));
    let other_vpc_bridge = desired
        .bridges
        .values()
        .filter_map(|b| b.name.clone())
        .find(|n| !n.contains(name.split('_').nth(1).unwrap_or("?")) && n.starts_with("vb_"))
        .expect("a bridge of the other VPC");
    let bridges = cloud.client.bridges().await.expect("bridges");
    assert!(bridges
        .iter()
        .any(|b| b.name.as_deref() == Some(&other_vpc_bridge)));

    // The squatter goes; the next cycle's fresh diff sends what failed, then nothing.
    cloud.client.delete_router(taken).await.expect("delete");
    cloud.converge(&desired).await;
}

/// The map keys of `map`, to compare how two `Actual`s key their id-less members.
fn keys<V>(map: &std::collections::BTreeMap<Uuid, V>) -> Vec<Uuid> {
    map.keys().copied().collect()
}

#[tokio::test]
async fn an_actual_taken_from_the_desired_is_keyed_like_a_read_and_plans_member_changes_alike() {
    let cloud = Cloud::start().await;
    let mut gni = parse(TWO_VPCS);
    let mut desired = cloud.translate(&gni, None);
    cloud.converge(&desired).await;
    // Instances own DHCP hosts and ARP/MAC entries; a VPC's go with their bridges.
    let changes: [(&str, GniChange, bool); 3] = [
        ("remove an instance", remove_instance, true),
        ("add an instance", add_instance, true),
        ("delete a VPC", delete_vpc, false),
    ];
    for (what, change, members_change) in changes {
        let read = actual::read(&cloud.client, tenant_of(&desired))
            .await
            .expect("read");
        let taken = actual::from_desired(desired.clone());
        assert!(
            !taken.dhcp_hosts.is_empty()
                && !taken.ip4_macs.is_empty()
                && !taken.mac_ports.is_empty(),
            "{what}: the example has DHCP hosts, ARP and MAC entries"
        );
        assert_eq!(keys(&taken.dhcp_hosts), keys(&read.dhcp_hosts), "{what}");
        assert_eq!(keys(&taken.ip4_macs), keys(&read.ip4_macs), "{what}");
        assert_eq!(keys(&taken.mac_ports), keys(&read.mac_ports), "{what}");
        assert!(taken.origins.is_empty(), "{what}: a read has no origins");

        change(&mut gni);
        let next = cloud.translate(&gni, Some(&desired));
        let from_taken = plan(&next, &taken);
        let from_read = plan(&next, &read);
        assert_eq!(
            from_taken.to_string(),
            from_read.to_string(),
            "{what}: the same operations whichever way the actual was made"
        );
        let members = from_taken
            .to_string()
            .lines()
            .filter(|l| {
                l.contains("dhcp_host") || l.contains("arp_entry") || l.contains("mac_entry")
            })
            .count();
        assert_eq!(
            members > 0,
            members_change,
            "{what}: operations on id-less members:\n{from_taken}"
        );
        let report = apply::apply(&cloud.client, &from_taken).await;
        assert!(report.is_success(), "{what}: {:#?}", report.failed);
        cloud.assert_holds(&next).await;
        desired = next;
    }
}

//! Measures the metadata plane's sync at 1,000 VPCs on this host: the first sync (1,000
//! namespaces, 2,000 veth pairs, 1,000 listeners), a sync that changes nothing, a sync that adds
//! one VPC, and the sync that removes them all. Needs root and `ip`; makes thousands of
//! interfaces, so it is ignored by default:
//! `cargo test -p translator --features test-util --test metadata_scale -- --ignored --nocapture`

use std::process::Command;
use std::time::Instant;

use translator::desired::{translate, Environment};
use translator::gni::{self, fixture};
use translator::metadata::{self, MetadataConfig, MetadataPlane, MetadataView};
use uuid::Uuid;

/// Deletes every namespace and host link whose name carries this run's digits, and the bridge.
struct Cleanup {
    digits: String,
    bridge: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let list = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        let mut lines = Vec::new();
        for l in list(&["-br", "link", "show"]).lines() {
            let name = l.split(['@', ' ']).next().unwrap_or_default();
            if name.contains(&self.digits) {
                lines.push(format!("link del dev {name}"));
            }
        }
        for l in list(&["netns", "list"]).lines() {
            let name = l.split(' ').next().unwrap_or_default();
            if name.contains(&self.digits) {
                lines.push(format!("netns del {name}"));
            }
        }
        lines.push(format!("link del dev {}", self.bridge));
        if let Ok(mut child) = Command::new("ip")
            .args(["-force", "-batch", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            if let Some(mut stdin) = child.stdin.take() {
                use std::io::Write;
                let _ = stdin.write_all(lines.join("\n").as_bytes());
            }
            let _ = child.wait();
        }
    }
}

/// A view of `vpcs` fixture VPCs whose ids start with this run's `digits`.
fn view(vpcs: usize, subnets_per_vpc: usize, digits: &str) -> MetadataView {
    let spec = fixture::CloudSpec {
        vpcs,
        subnets_per_vpc,
        instances: vpcs,
        security_groups: 0,
        rules_per_group: 0,
        elastic_ips: 0,
        nodes: 2,
    };
    // Fixture ids are `vpc-%08x`: the leading zeros become this run's digits, so the names are
    // unique to the run and still unique among themselves.
    let document = fixture::cloud_xml(&spec)
        .expect("a spec")
        .replace("vpc-00000", &format!("vpc-{digits}"))
        .replace("subnet-00000", &format!("subnet-{digits}"));
    let gni = gni::parse(&document).expect("a GNI");
    let desired = translate(&gni, &Environment::new("5.0.0.0")).expect("translates");
    metadata::view(&gni, &desired.allocations)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "makes 1,000 namespaces on this host; needs root"]
async fn a_thousand_vpcs_sync_in_seconds() {
    let digits = Uuid::new_v4().simple().to_string()[..5].to_owned();
    let bridge = format!("mds{digits}");
    let _cleanup = Cleanup {
        digits: digits.clone(),
        bridge: bridge.clone(),
    };
    let full = view(1001, 2, &digits);
    let mut thousand = full.clone();
    let last = thousand.vpcs.keys().next_back().cloned().expect("a VPC");
    thousand.vpcs.remove(&last);
    assert_eq!(thousand.vpcs.len(), 1000);

    let config = MetadataConfig {
        // Nothing answers there; no request is sent.
        clc: "127.0.0.1:9".parse().expect("an address"),
        bridge,
        ..MetadataConfig::default()
    };
    let mut plane = MetadataPlane::start(config).await.expect("starts");

    let started = Instant::now();
    let first = plane.sync(&thousand).await.expect("first sync");
    eprintln!(
        "first sync, 1,000 VPCs x 2 subnets: {first} in {:?}",
        started.elapsed()
    );
    assert_eq!(first.namespaces_created, 1000);
    assert_eq!(first.veth_pairs_created, 3000);
    assert_eq!(first.listeners_started, 1000);

    let started = Instant::now();
    let noop = plane.sync(&thousand).await.expect("no-op sync");
    eprintln!("no-op sync: {noop} in {:?}", started.elapsed());
    assert_eq!(noop, Default::default());

    let started = Instant::now();
    let one = plane.sync(&full).await.expect("one more VPC");
    eprintln!("one VPC added: {one} in {:?}", started.elapsed());
    assert_eq!(one.namespaces_created, 1);

    let started = Instant::now();
    let gone = plane
        .sync(&MetadataView::default())
        .await
        .expect("remove all");
    eprintln!("all removed: {gone} in {:?}", started.elapsed());
    assert_eq!(gone.namespaces_removed, 1001);
    assert_eq!(gone.listeners_stopped, 1001);
    // The kernel deletes the namespaces' veths in the background.
    let started = Instant::now();
    loop {
        let links = Command::new("ip")
            .args(["-br", "link", "show"])
            .output()
            .expect("ip runs");
        let left = String::from_utf8_lossy(&links.stdout)
            .lines()
            .filter(|l| l.contains(&digits) && l.starts_with("vn"))
            .count();
        if left == 0 {
            break;
        }
        assert!(
            started.elapsed().as_secs() < 120,
            "{left} host veths still there after 2 minutes"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    eprintln!("host veths gone {:?} after that", started.elapsed());
    plane.shutdown().await;
}

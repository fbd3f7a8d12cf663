//! Times GNI parsing at the benchmark size (1,000 VPCs, 10,000 instances, 2,000 security
//! groups; 10.5 MB): a full `gni::parse`, and `GniParser` re-reading an identical document, one
//! whose root attributes changed (the CLC's `applied-version` rewrite), and one with an instance
//! added or removed; and a full parse of an invalid document. Prints the median of several runs
//! of each, and the extremes: the machine may be shared, so the minimum says what the code costs
//! and the median what to expect.
//!
//! `cargo bench -p translator --features test-util --bench gni_parse`

use std::hint::black_box;
use std::time::{Duration, Instant};

use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::gni::{self, GniParser};

const RUNS: usize = 11;

fn spec(instances: usize) -> CloudSpec {
    CloudSpec {
        vpcs: 1000,
        subnets_per_vpc: 2,
        instances,
        security_groups: 2000,
        rules_per_group: 5,
        elastic_ips: 2000,
        nodes: 20,
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

fn report(what: &str, runs: Vec<Duration>) {
    let (min, max) = (runs.iter().min().copied(), runs.iter().max().copied());
    println!(
        "{what:<44} median {:>9.2?}  (min {:.2?}, max {:.2?}, {} runs)",
        median(runs.clone()),
        min.unwrap_or_default(),
        max.unwrap_or_default(),
        runs.len()
    );
}

fn main() {
    let base = cloud_xml(&spec(10_000)).expect("a valid spec");
    // The same cloud with one more instance: one <instance> and one node's <value> more.
    let plus_one = cloud_xml(&spec(10_001)).expect("a valid spec");
    println!(
        "document: {} bytes; with one more instance: {} bytes",
        base.len(),
        plus_one.len()
    );

    let full: Vec<Duration> = (0..RUNS)
        .map(|_| timed(|| gni::parse(&base).expect("valid")))
        .collect();
    report("gni::parse, full", full);

    // An invalid document takes the fast path until it fails, then the checked path, which
    // places every problem on its line.
    let invalid = base.replacen("<vpc>vpc-00000001</vpc>", "<vpc>vpc-0000ffff</vpc>", 1);
    let refused: Vec<Duration> = (0..5)
        .map(|_| timed(|| gni::parse(&invalid).expect_err("invalid")))
        .collect();
    report("gni::parse, invalid (one bad reference)", refused);

    let mut parser = GniParser::new();
    parser.parse(&base).expect("valid");
    let identical: Vec<Duration> = (0..RUNS)
        .map(|_| timed(|| parser.parse(&base).expect("valid")))
        .collect();
    report("GniParser::parse, identical document", identical);

    let applied = base.replacen(
        "applied-version=\"0000000000000000\"",
        "applied-version=\"00000000000000f1\"",
        1,
    );
    let mut root_only = Vec::new();
    for _ in 0..RUNS {
        root_only.push(timed(|| parser.parse(&applied).expect("valid")));
        parser.parse(&base).expect("valid");
    }
    report("GniParser::parse, root attributes changed", root_only);

    // Alternate the two documents: each parse sees one instance added or removed.
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        added.push(timed(|| parser.parse(&plus_one).expect("valid")));
        removed.push(timed(|| parser.parse(&base).expect("valid")));
    }
    report("GniParser::parse, one instance added", added);
    report("GniParser::parse, one instance removed", removed);
    println!(
        "last read: {:?} (an instance changed: the configuration's node list and the instance)",
        parser.stats()
    );

    // The answers are gni::parse's.
    assert_eq!(parser.parse(&plus_one), gni::parse(&plus_one));
    assert_eq!(parser.parse(&base), gni::parse(&base));
}

// scratch: profile GniParser re-reads
use std::time::Instant;
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::gni::GniParser;
#[global_allocator]
static A: mimalloc::MiMalloc = mimalloc::MiMalloc;
fn main() {
    let spec = CloudSpec {
        vpcs: 1000,
        subnets_per_vpc: 2,
        instances: 10_000,
        security_groups: 2000,
        rules_per_group: 5,
        elastic_ips: 2000,
        nodes: 20,
    };
    let plus = CloudSpec {
        instances: 10_001,
        ..spec.clone()
    };
    let a = cloud_xml(&spec).unwrap();
    let b = cloud_xml(&plus).unwrap();
    let mut parser = GniParser::new();
    parser.parse(&a).unwrap();
    let mut times = vec![];
    for round in 0..400 {
        let doc = if round % 2 == 0 { &b } else { &a };
        let t = Instant::now();
        let g = parser.parse(doc).unwrap();
        times.push(t.elapsed());
        drop(g);
    }
    times.sort();
    println!("median {:?} min {:?}", times[200], times[0]);
}

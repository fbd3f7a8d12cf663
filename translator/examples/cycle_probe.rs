// scratch: time the pure phases of a one-instance-added cycle
use std::time::Instant;
use translator::desired::{self, Environment, Index, Part};
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::gni::GniParser;
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
    let old = parser.parse(&a).unwrap();
    let env = Environment::new("5.0.0.0");
    let alloc_old = desired::allocate(&old, &env).unwrap();
    let mut env_old = env.clone();
    env_old.allocations = alloc_old;
    for round in 0..5 {
        let doc = if round % 2 == 0 { &b } else { &a };
        let t = Instant::now();
        let new = parser.parse(doc).unwrap();
        let t_parse = t.elapsed();
        let t = Instant::now();
        let mut env2 = env_old.clone();
        let t_envclone = t.elapsed();
        let t = Instant::now();
        let alloc = desired::reallocate(&old, &new, &env_old).unwrap();
        let t_realloc = t.elapsed();
        env2.allocations = alloc.clone();
        let t = Instant::now();
        let changed: Vec<_> = translator::gni::differing(&old.instances, &new.instances)
            .into_iter()
            .collect();
        let t_diff = t.elapsed();
        let mut parts = std::collections::BTreeSet::new();
        for i in &changed {
            for f in i.interfaces.values() {
                parts.insert(Part::Vpc(f.vpc.clone()));
                for g in &f.security_groups {
                    parts.insert(Part::SecurityGroup(g.clone()));
                }
            }
        }
        let parts: Vec<Part> = parts.into_iter().collect();
        let t = Instant::now();
        let index = Index::for_parts(&new, &parts);
        let t_index = t.elapsed();
        let t = Instant::now();
        for p in &parts {
            desired::translate_part(&new, &env2, &alloc, &index, p).unwrap();
        }
        let t_tr = t.elapsed();
        println!("parse {t_parse:?} envclone {t_envclone:?} realloc {t_realloc:?} differing {t_diff:?} ({} inst) index {t_index:?} translate {t_tr:?} ({} parts)", changed.len(), parts.len());
    }
}

// scratch: live heap bytes at each stage of a first cycle
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use translator::desired::{self, Desired, Environment, Index, Part};
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::reconcile::{plan, Actual};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let n = LIVE.fetch_add(l.size(), Ordering::Relaxed) + l.size();
        PEAK.fetch_max(n, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        System.dealloc(p, l)
    }
}
#[global_allocator]
static A: Counting = Counting;
fn mib(s: &str) {
    println!(
        "{s:30} live {:7.1} MiB peak {:7.1} MiB",
        LIVE.load(Ordering::Relaxed) as f64 / 1048576.0,
        PEAK.load(Ordering::Relaxed) as f64 / 1048576.0
    );
}
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
    let xml = cloud_xml(&spec).unwrap();
    mib("xml");
    let gni = translator::gni::parse(&xml).unwrap();
    mib("gni");
    let env = Environment::new("5.0.0.0");
    let allocations = desired::allocate(&gni, &env).unwrap();
    let parts: Vec<Part> = Part::all(&gni).collect();
    let index = Index::for_parts(&gni, &parts);
    let mut by_part = std::collections::BTreeMap::new();
    for p in &parts {
        by_part.insert(
            p.clone(),
            desired::translate_part(&gni, &env, &allocations, &index, p).unwrap(),
        );
    }
    drop(index);
    mib("parts");
    let mut whole = Desired::default();
    for d in by_part.values() {
        whole.absorb(d.clone());
    }
    mib("whole");
    let n = whole.origins.len();
    println!(
        "objects {n} rules {}",
        whole.chains.values().map(|c| c.rules.len()).sum::<usize>()
    );
    let p = plan::plan(&whole, &Actual::default());
    mib("plan");
    println!("ops {}", p.len());
    println!(
        "sizes: Rule {} Port {} DesiredPort {} Route {} Origin {} Operation {}",
        std::mem::size_of::<topology::Rule>(),
        std::mem::size_of::<topology::Port>(),
        std::mem::size_of::<desired::DesiredPort>(),
        std::mem::size_of::<topology::Route>(),
        std::mem::size_of::<desired::Origin>(),
        std::mem::size_of::<plan::Operation>()
    );
    drop(p);
    mib("plan dropped");
    let o: usize = whole
        .origins
        .values()
        .map(|o| o.key.capacity() + o.gni_id.capacity())
        .sum();
    println!("origin strings {:.1} MiB", o as f64 / 1048576.0);
}

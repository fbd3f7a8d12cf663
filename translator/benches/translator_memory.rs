//! What the translator's first cycle holds on the heap, stage by stage, counted by a global
//! allocator wrapper: exact bytes, repeatable whatever else the machine is doing, and without
//! ZooKeeper or a gateway (the end-to-end peak is `translator_cycle`'s VmHWM).
//!
//! `cargo bench -p translator --features test-util --bench translator_memory [-- --vpcs 1000 --instances 10000 --groups 2000 --eips 2000]`
//!
//! Prints the live and peak heap after reading the GNI, translating it part by part (as the
//! engine keeps it), putting the parts together (what the first plan compares), and planning
//! against an empty MidoNet.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use translator::desired::{self, Desired, Environment, Index, Part};
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::reconcile::{plan, Actual};

/// The system allocator, counting the bytes it holds.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on unchanged to the system allocator; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn report(stage: &str) {
    let mib = |n: &AtomicUsize| n.load(Ordering::Relaxed) as f64 / 1_048_576.0;
    println!(
        "{stage:<28} live {:>7.1} MiB   peak so far {:>7.1} MiB",
        mib(&LIVE),
        mib(&PEAK)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spec = CloudSpec::large().with_args(&args);
    println!("translator memory: {spec:?}");
    let xml = cloud_xml(&spec).expect("a spec");
    let gni = translator::gni::parse(&xml).expect("the fixture parses");
    drop(xml);
    report("GNI read");
    let env = Environment::new("5.0.0.0");
    let allocations = desired::allocate(&gni, &env).expect("allocations");
    let parts: Vec<Part> = Part::all(&gni).collect();
    let index = Index::for_parts(&gni, &parts);
    let mut by_part = BTreeMap::new();
    for part in &parts {
        let made = desired::translate_part(&gni, &env, &allocations, &index, part)
            .expect("the fixture translates");
        by_part.insert(part.clone(), made);
    }
    drop(index);
    report("translated, by part");
    let mut whole = Desired::default();
    for made in by_part.values() {
        whole.absorb(made.clone());
    }
    report("put together");
    let planned = plan::plan(&whole, &Actual::default());
    report("planned from empty");
    let rules: usize = whole.chains.values().map(|c| c.rules.len()).sum();
    println!(
        "{} objects ({rules} rules), {} operations",
        whole.origins.len(),
        planned.len()
    );
}

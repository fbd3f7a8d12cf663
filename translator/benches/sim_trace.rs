//! The simulator's speed on a translated 1,000-VPC cloud (issue "Packet-path simulator",
//! Speed): one thread walks pre-built packets from an instance with an elastic IP to the
//! elastic IP of an instance in another VPC, which crosses subnet bridge, VPC router, `eucabr`,
//! `eucart`, `eucabr`, the other VPC router and subnet bridge (7 devices) through both
//! interfaces' security-group chains, the NACL chains and both VPCs' elastic-IP NAT.
//!
//! `taskset -c 0 cargo bench -p translator --features test-util --bench sim_trace`
//! Options: `--vpcs N` (1000), `--instances N` (10000), `--pairs N` (1000 instance pairs tried),
//! `--rounds N` (9), `--millis M` (500 per
//! measurement). Prints every round, then the median and best.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use topology::sim::{simulate, ConnectionState, Hop, Packet, Verdict};
use translator::desired::{Environment, RegisteredHost};
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::trace::{Proto, Tracer};
use uuid::Uuid;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Walks every (port, packet) in turn for about `seconds`; returns packets per second.
fn rate(
    tracer: &Tracer<'_>,
    paths: &[(Uuid, Packet)],
    state: &mut ConnectionState,
    seconds: f64,
) -> f64 {
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut walked = 0u64;
    while start.elapsed() < budget {
        for (port, packet) in paths {
            let r = simulate(&tracer.snapshot, state, *port, *packet).expect("port exists");
            black_box(&r);
        }
        walked += paths.len() as u64;
    }
    walked as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let spec = CloudSpec {
        vpcs: arg("--vpcs", 1000),
        subnets_per_vpc: 2,
        instances: arg("--instances", 10_000),
        security_groups: 2 * arg("--vpcs", 1000),
        rules_per_group: 5,
        elastic_ips: 2 * arg("--vpcs", 1000),
        nodes: 20,
    };
    let seconds = arg("--millis", 500) as f64 / 1000.0;
    let rounds = arg("--rounds", 9);
    println!("simulator benchmark: {spec:?}");
    let xml = cloud_xml(&spec).expect("spec fits");
    let gni = translator::gni::parse(&xml).expect("fixture parses");
    let mut env = Environment::new("5.0.0.0");
    let hosts =
        (0..spec.nodes as u32).map(|n| Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 1, 0, 21)) + n));
    for (n, address) in std::iter::once(Ipv4Addr::new(10, 1, 0, 5))
        .chain(hosts)
        .enumerate()
    {
        env.hosts.push(RegisteredHost {
            id: Uuid::from_u128(n as u128 + 1),
            name: format!("host{n}"),
            addresses: vec![IpAddr::V4(address)],
        });
    }
    let start = Instant::now();
    let mut tracer = Tracer::new(&gni, &env).expect("translates");
    println!(
        "translate + snapshot: {:.2} s ({} ports, {} chains, {} rules)",
        start.elapsed().as_secs_f64(),
        tracer.desired.ports.len(),
        tracer.desired.chains.len(),
        tracer
            .desired
            .chains
            .values()
            .map(|c| c.rules.len())
            .sum::<usize>()
    );

    // Instance i and i+1 are in neighbouring VPCs; the first 2 per VPC have elastic IPs.
    let with_eip: Vec<_> = gni
        .interfaces()
        .filter(|(_, i)| i.public_ip.is_some())
        .map(|(inst, i)| {
            (
                inst.id.to_string(),
                i.public_ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            )
        })
        .collect();
    let mut paths = Vec::new();
    let mut devices = 0usize;
    for pair in with_eip.windows(2).take(arg("--pairs", 1000)) {
        let (from, (_, to)) = (&pair[0].0, &pair[1]);
        for port in [22, 80, 443, 8080, 3306, 5432] {
            let p = tracer
                .packet_from(from, *to, Proto::Tcp(port))
                .expect("packet");
            let r = tracer.send_from(from, p).expect("trace");
            if matches!(r.verdict, Verdict::Delivered { .. })
                && tracer.delivered_to_any_instance(&r)
            {
                devices += r.devices().len();
                paths.push((tracer.port_of(from).expect("port"), p));
                break;
            }
        }
    }
    assert!(!paths.is_empty(), "no delivered cross-VPC path found");
    let mut min_devices = usize::MAX;
    let mut rules = 0usize;
    for (port, p) in &paths {
        let r = simulate(&tracer.snapshot, &mut ConnectionState::new(), *port, *p).expect("port");
        min_devices = min_devices.min(r.devices().len());
        rules += r
            .hops
            .iter()
            .filter(|h| matches!(h, Hop::Rule { .. }))
            .count();
    }
    println!(
        "{} delivered paths, {:.1} devices on average, at least {min_devices}; {:.1} rules evaluated per packet",
        paths.len(),
        devices as f64 / paths.len() as f64,
        rules as f64 / paths.len() as f64
    );

    let mut state = ConnectionState::new();
    let warm = rate(&tracer, &paths, &mut ConnectionState::new(), 1.0);
    println!("warm-up (fresh connection state): {warm:.0} packets/s");
    let replies: Vec<_> = paths
        .iter()
        .map(|(port, p)| {
            let r = simulate(&tracer.snapshot, &mut state, *port, *p).expect("port");
            match r.verdict {
                Verdict::Delivered { port, .. } => (port, r.output.reply()),
                other => panic!("path no longer delivered: {other:?}"),
            }
        })
        .collect();
    // Rounds alternate so that load from others on the shared machine hits both alike.
    let (mut forward, mut back) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let f = rate(&tracer, &paths, &mut state, seconds);
        let b = rate(&tracer, &replies, &mut state, seconds);
        println!("round {round}: requests {f:.0} packets/s, replies {b:.0} packets/s");
        forward.push(f);
        back.push(b);
    }
    let summary = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[v.len() / 2], v[v.len() - 1])
    };
    let (fm, fb) = summary(&mut forward);
    let (bm, bb) = summary(&mut back);
    println!("requests (new connections, 7-device paths): median {fm:.0}, best {fb:.0} packets/s");
    println!("replies (return flow, reverse NAT): median {bm:.0}, best {bb:.0} packets/s");
    println!("connection state: {} connections", state.connections());

    // `translator audit` of a 100-instance VPC (issue target: <= 1 s), translation included.
    let small = CloudSpec {
        vpcs: 1,
        subnets_per_vpc: 2,
        instances: 100,
        security_groups: 2,
        rules_per_group: 5,
        elastic_ips: 20,
        nodes: 4,
    };
    let xml = cloud_xml(&small).expect("spec fits");
    let gni = translator::gni::parse(&xml).expect("fixture parses");
    let start = Instant::now();
    let env = translator::trace::offline_environment(&gni, "5.0.0.0");
    let tracer = Tracer::new(&gni, &env).expect("translates");
    let audit = translator::audit::audit(&gni, &tracer).expect("audits");
    println!(
        "audit of a 100-instance VPC: {:.3} s ({} traces, {} reachable (from, to, probe))",
        start.elapsed().as_secs_f64(),
        audit.traces,
        audit.reachable.len()
    );
}

//! Runs the metadata plane for real on this host: namespaces, veth pairs, a bridge, listeners,
//! and HTTP requests sent from inside a VPC namespace, as an instance would, through the proxy to
//! a stub CLC on loopback.
//!
//! Needs root and `ip`. Without them the test is skipped with a message, except under `CI=true`,
//! where it fails. Every name is random (VPC and subnet ids, hence namespaces and veths, and the
//! bridge), so runs in parallel do not meet; a guard deletes everything even when an assertion
//! fails. Nothing gets an address in the host namespace, and traffic stays on loopback or inside
//! namespaces the test made.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use nix::sched::{setns, CloneFlags};
use nix::sys::socket::{bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
use translator::desired::{translate, Environment};
use translator::metadata::{self, MetadataConfig, MetadataPlane, MetadataView};
use uuid::Uuid;

const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

/// `ip` from `/usr/sbin` or `/sbin`, else whatever `PATH` finds.
fn ip_binary() -> &'static str {
    ["/usr/sbin/ip", "/sbin/ip"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or("ip")
}

/// Whether this host can run the test; under CI a missing prerequisite is a failure.
fn prerequisites() -> bool {
    let root = nix::unistd::geteuid().is_root();
    let ip = Command::new(ip_binary())
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing = match (root, ip) {
        (true, true) => return true,
        (false, _) => "root (network namespaces)",
        (true, false) => "the `ip` command (iproute2)",
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the metadata test needs {missing}, and CI must run it");
    }
    eprintln!("skipping the metadata test: it needs {missing}");
    false
}

/// Eight random hex digits.
fn random8() -> String {
    Uuid::new_v4().simple().to_string()[..8].to_owned()
}

/// Runs `ip <args>` and returns its output; panics naming the command if it fails.
fn ip(args: &[&str]) -> String {
    let out = Command::new(ip_binary())
        .args(args)
        .output()
        .expect("ip runs");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The example with every VPC and subnet id made unique to this run.
struct Ids {
    document: String,
    vpc_a: String,
    vpc_b: String,
    subnet_a1: String,
    subnet_a2: String,
    subnet_b1: String,
}

impl Ids {
    fn new() -> Ids {
        let mut document = TWO_VPCS.to_owned();
        let mut fresh = |old: &str, prefix: &str| {
            let new = format!("{prefix}{}", random8());
            document = document.replace(old, &new);
            new
        };
        let vpc_a = fresh("vpc-0000000a", "vpc-");
        let vpc_b = fresh("vpc-0000000b", "vpc-");
        let subnet_a1 = fresh("subnet-000000a1", "subnet-");
        let subnet_a2 = fresh("subnet-000000a2", "subnet-");
        let subnet_b1 = fresh("subnet-000000b1", "subnet-");
        Ids {
            document,
            vpc_a,
            vpc_b,
            subnet_a1,
            subnet_a2,
            subnet_b1,
        }
    }

    fn view(&self) -> MetadataView {
        let gni = translator::gni::parse(&self.document).expect("the example parses");
        let desired = translate(&gni, &Environment::new("5.0.0.0")).expect("it translates");
        metadata::view(&gni, &desired.allocations)
    }
}

/// The host interface of `id` (`vn0_`/`vn2_` and its first 8 digits).
fn veth(end: u8, id: &str) -> String {
    let digits = &id[id.find('-').map_or(0, |d| d + 1)..];
    format!("vn{end}_{}", &digits[..8])
}

/// Deletes what the test may have made, whatever happened.
struct Cleanup {
    bridge: String,
    namespaces: Vec<String>,
    links: Vec<String>,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let quiet = |args: &[&str]| {
            let _ = Command::new(ip_binary()).args(args).output();
        };
        for link in &self.links {
            quiet(&["link", "del", "dev", link]);
        }
        for ns in &self.namespaces {
            quiet(&["netns", "del", ns]);
        }
        quiet(&["link", "del", "dev", &self.bridge]);
    }
}

/// What the stub CLC saw: method, path, `Euca-Instance-Id` and `Host` of each request.
type Seen = Arc<Mutex<Vec<(String, String, Option<String>, Option<String>)>>>;

/// A CLC metadata service on loopback that records requests and answers with the instance id.
async fn stub_clc() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new().fallback(move |request: Request| {
        let record = record.clone();
        async move {
            let header = |name: &str| {
                request
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned)
            };
            let (id, host) = (header("euca-instance-id"), header("host"));
            let path = request
                .uri()
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            record.lock().expect("the record").push((
                request.method().to_string(),
                path,
                id.clone(),
                host,
            ));
            let body = format!("metadata of {}", id.unwrap_or_default());
            (StatusCode::OK, [("x-stub", "yes")], body).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (address, seen)
}

/// Sends `request` from `source` to `to` inside namespace `ns`, as an instance there would, and
/// returns the raw answer. Runs on a thread of its own, which it moves into the namespace.
fn http_in_namespace(
    ns: &str,
    source: Ipv4Addr,
    to: SocketAddrV4,
    request: String,
) -> std::io::Result<String> {
    let path = format!("/var/run/netns/{ns}");
    std::thread::spawn(move || {
        let netns = File::open(path)?;
        setns(&netns, CloneFlags::CLONE_NEWNET)?;
        exchange(source, to, &request)
    })
    .join()
    .expect("the client thread")
}

/// Connects from `source` (port chosen by the kernel) to `to`, sends, reads to the end.
fn exchange(source: Ipv4Addr, to: SocketAddrV4, request: &str) -> std::io::Result<String> {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    bind(
        fd.as_raw_fd(),
        &SockaddrIn::from(SocketAddrV4::new(source, 0)),
    )?;
    connect(fd.as_raw_fd(), &SockaddrIn::from(to))?;
    let mut stream = TcpStream::from(fd);
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    stream.write_all(request.as_bytes())?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    Ok(answer)
}

fn get(path: &str) -> String {
    // The instance's own Euca-Instance-Id must not survive the proxy.
    format!(
        "GET {path} HTTP/1.1\r\nHost: 169.254.169.254\r\nEuca-Instance-Id: i-spoofed\r\n\
         Connection: close\r\n\r\n"
    )
}

fn proxy_at(subnet_proxy: &str) -> SocketAddrV4 {
    SocketAddrV4::new(subnet_proxy.parse().expect("an address"), 8008)
}

/// The IPv4 addresses of the links of the host namespace the test made.
fn host_ipv4(links: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for link in links {
        let out = ip(&["-j", "addr", "show", "dev", link]);
        let parsed: serde_json::Value = serde_json::from_str(&out).expect("ip json");
        for entry in parsed.as_array().into_iter().flatten() {
            for a in entry["addr_info"].as_array().into_iter().flatten() {
                if a["family"] == "inet" {
                    found.push(format!("{link}: {}", a["local"]));
                }
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_get_their_metadata_through_their_vpc_namespace() {
    if !prerequisites() {
        return;
    }
    let ids = Ids::new();
    let bridge = format!("mdt{}", random8());
    let (vpc_a, vpc_b) = (ids.vpc_a.clone(), ids.vpc_b.clone());
    let _cleanup = Cleanup {
        bridge: bridge.clone(),
        namespaces: vec![vpc_a.clone(), vpc_b.clone()],
        links: vec![
            veth(2, &vpc_a),
            veth(2, &vpc_b),
            veth(0, &ids.subnet_a1),
            veth(0, &ids.subnet_a2),
            veth(0, &ids.subnet_b1),
        ],
    };
    let view = ids.view();
    let (clc, seen) = stub_clc().await;
    let config = MetadataConfig {
        clc,
        bridge: bridge.clone(),
        ..MetadataConfig::default()
    };
    assert_eq!(
        config.bridge_address, None,
        "no address in the host namespace"
    );
    let mut plane = MetadataPlane::start(config)
        .await
        .expect("the plane starts");

    // A's namespace is there already, empty and forwarding, as a host might leave it: it is
    // adopted, and its forwarding turned off from inside it (the host's stays as it was).
    let host_forwarding = std::fs::read_to_string("/proc/sys/net/ipv4/conf/all/forwarding")
        .expect("the host's forwarding");
    ip(&["netns", "add", &vpc_a]);
    let forwarding = "/proc/sys/net/ipv4/conf/all/forwarding";
    ip(&[
        "netns",
        "exec",
        &vpc_a,
        "sh",
        "-c",
        &format!("echo 1 > {forwarding}"),
    ]);

    let report = plane.sync(&view).await.expect("the first sync");
    assert_eq!(report.namespaces_created, 1, "{report}");
    assert_eq!(
        report.veth_pairs_created, 5,
        "one per VPC and one per subnet"
    );
    assert_eq!(report.listeners_started, 2);
    let listed = ip(&["netns", "list"]);
    assert!(
        listed.contains(&vpc_a) && listed.contains(&vpc_b),
        "{listed}"
    );
    let inner = ip(&["-n", &vpc_a, "-j", "addr", "show"]);
    assert!(inner.contains("\"10.20.1.3\"") && inner.contains("\"10.20.2.3\""));
    let rtid = view.vpcs[vpc_a.as_str()].rtid;
    assert!(inner.contains(&format!("\"169.254.0.{rtid}\"")), "{inner}");
    for ns in [&vpc_a, &vpc_b] {
        let inside = ip(&["netns", "exec", ns, "cat", forwarding]);
        assert_eq!(inside.trim(), "0", "a VPC namespace never routes");
    }
    let host_after = std::fs::read_to_string(forwarding).expect("the host's forwarding");
    assert_eq!(
        host_after, host_forwarding,
        "the host's forwarding is left alone"
    );
    let master = ip(&["-j", "link", "show", "dev", &veth(2, &vpc_a)]);
    assert!(
        master.contains(&format!("\"master\":\"{bridge}\"")),
        "{master}"
    );
    let host_links = [
        bridge.as_str(),
        &veth(2, &vpc_a),
        &veth(2, &vpc_b),
        &veth(0, &ids.subnet_a1),
        &veth(0, &ids.subnet_a2),
        &veth(0, &ids.subnet_b1),
    ];
    assert_eq!(host_ipv4(&host_links), Vec::<String>::new());

    let again = plane.sync(&view).await.expect("a second sync");
    assert_eq!(again, Default::default(), "a second sync changes nothing");

    // Instances: add their private addresses inside the namespace, as if they were there.
    let instance_a = Ipv4Addr::new(10, 20, 1, 10);
    let eni_a = Ipv4Addr::new(10, 20, 2, 11);
    let stranger = Ipv4Addr::new(10, 20, 1, 99);
    for (ns, addr, dev) in [
        (&vpc_a, instance_a, veth(1, &ids.subnet_a1)),
        (&vpc_a, eni_a, veth(1, &ids.subnet_a2)),
        (&vpc_a, stranger, veth(1, &ids.subnet_a1)),
        (&vpc_b, instance_a, veth(1, &ids.subnet_b1)),
    ] {
        ip(&["-n", ns, "addr", "add", &format!("{addr}/32"), "dev", &dev]);
    }
    let path = "/latest/meta-data/instance-id?x=1";
    let answer = http_in_namespace(&vpc_a, instance_a, proxy_at("10.20.1.3"), get(path))
        .expect("the proxy answers");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("metadata of i-00000a01"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-stub: yes"),
        "{answer}"
    );
    // A secondary ENI answers as its instance, through its own subnet's proxy address.
    let answer = http_in_namespace(&vpc_a, eni_a, proxy_at("10.20.2.3"), get("/"))
        .expect("the proxy answers");
    assert!(answer.contains("metadata of i-00000a01"), "{answer}");
    // The same private address in the other VPC is the other VPC's instance.
    let answer = http_in_namespace(&vpc_b, instance_a, proxy_at("10.20.1.3"), get("/"))
        .expect("the proxy answers");
    assert!(answer.contains("metadata of i-00000b01"), "{answer}");
    let answer = http_in_namespace(&vpc_a, stranger, proxy_at("10.20.1.3"), get("/"))
        .expect("the proxy answers");
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains(&format!("{vpc_a} has no instance with address {stranger}")));
    {
        let seen = seen.lock().expect("the record");
        let expected = [
            ("GET", path, "i-00000a01"),
            ("GET", "/", "i-00000a01"),
            ("GET", "/", "i-00000b01"),
        ];
        let got: Vec<(&str, &str, &str)> = seen
            .iter()
            .map(|(m, p, id, _)| (m.as_str(), p.as_str(), id.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            got, expected,
            "the stranger's request never reached the CLC"
        );
        // The CLC answers `/` only for this Host.
        assert!(seen
            .iter()
            .all(|r| r.3.as_deref() == Some("169.254.169.254")));
    }

    // Drift is repaired: an address flushed, a link down, a veth deleted by hand.
    ip(&[
        "-n",
        &vpc_a,
        "addr",
        "flush",
        "dev",
        &veth(1, &ids.subnet_a1),
    ]);
    ip(&["-n", &vpc_a, "link", "set", "dev", &veth(3, &vpc_a), "down"]);
    ip(&["link", "del", "dev", &veth(0, &ids.subnet_a2)]);
    let repaired = plane.sync(&view).await.expect("a repairing sync");
    assert_eq!(repaired.veth_pairs_created, 1, "{repaired}");
    assert_eq!(repaired.namespaces_created, 0);
    let inner = ip(&["-n", &vpc_a, "-j", "addr", "show"]);
    assert!(inner.contains("\"10.20.1.3\"") && inner.contains("\"10.20.2.3\""));
    let vn3 = ip(&["-n", &vpc_a, "-j", "link", "show", "dev", &veth(3, &vpc_a)]);
    assert!(vn3.contains("\"UP\""), "{vn3}");

    // VPC B leaves: its listener stops, its namespace and veths go.
    let held = File::open(format!("/var/run/netns/{vpc_b}")).expect("B's namespace");
    let mut without_b = view.clone();
    without_b.vpcs.retain(|id, _| id.as_str() != vpc_b);
    let report = plane.sync(&without_b).await.expect("the sync without B");
    assert_eq!(report.namespaces_removed, 1, "{report}");
    assert_eq!(report.listeners_stopped, 1, "{report}");
    assert!(!ip(&["netns", "list"]).contains(&vpc_b));
    assert!(ip(&["netns", "list"]).contains(&vpc_a));
    let serving: Vec<String> = plane.serving().iter().map(|v| v.to_string()).collect();
    assert_eq!(serving, vec![vpc_a.clone()]);
    // The namespace lives on while we hold it; nothing listens in it any more.
    let refused = std::thread::spawn(move || {
        setns(&held, CloneFlags::CLONE_NEWNET)?;
        drop(held);
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            match TcpStream::connect(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8008)) {
                Err(e) => return Ok::<_, std::io::Error>(e.kind()),
                Ok(_) if Instant::now() > deadline => {
                    return Ok(std::io::ErrorKind::AddrInUse);
                }
                Ok(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    })
    .join()
    .expect("the probe thread")
    .expect("setns into the held namespace");
    assert_eq!(refused, std::io::ErrorKind::ConnectionRefused);
    // Released, the namespace dies, and the kernel deletes its veths, host ends included.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let links = ip(&["link", "show"]);
        if !links.contains(&veth(2, &vpc_b)) && !links.contains(&veth(0, &ids.subnet_b1)) {
            break;
        }
        assert!(Instant::now() < deadline, "B's veths outlive it: {links}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    plane.shutdown().await;
    assert!(
        ip(&["netns", "list"]).contains(&vpc_a),
        "namespaces outlive the plane"
    );
}

#[tokio::test]
async fn a_plane_refuses_a_bridge_name_ip_would_reject() {
    let config = MetadataConfig {
        bridge: "a name too long for linux".into(),
        ..MetadataConfig::default()
    };
    let err = MetadataPlane::start(config)
        .await
        .err()
        .expect("refused before anything runs");
    assert!(err.to_string().contains("longer than 15 bytes"), "{err}");
}

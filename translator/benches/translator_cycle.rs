//! The translator benchmark of issue 4, end to end with real processes: ZooKeeper as shipped
//! (fsync on), `api-gateway serve --store zookeeper`, and `translator run` watching a GNI file.
//! Every figure is from "GNI file written" to "`global_network_info.version` says it", the
//! CLC's own handshake, so it includes inotify, reading, parsing, translating, planning,
//! applying and following the feed.
//!
//! `cargo build --release -p api-gateway -p translator && cargo bench -p translator --features test-util --bench translator_cycle [-- --vpcs 1000 --instances 10000 --groups 2000 --eips 2000 --rounds 5 --no-history]`
//!
//! Prints: converge from empty, no-op cycles (same content, new version), one instance added
//! and removed (median and all rounds), and the translator's peak memory (VmHWM).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_gateway::testing::ZkServer;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use translator::daemon::VERSION_FILE;
use translator::gni::fixture::{cloud_xml, CloudSpec};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn release_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("release").join(name);
    assert!(
        path.exists(),
        "{} is missing: cargo build --release -p api-gateway -p translator",
        path.display()
    );
    path
}

/// The document of `spec` under `version`.
fn document(spec: &CloudSpec, version: &str) -> String {
    let xml = cloud_xml(spec).expect("a spec");
    let root = xml.find("<network-data").expect("the root element");
    let start =
        root + xml[root..].find("version=\"").expect("a version attribute") + "version=\"".len();
    let end = start + xml[start..].find('"').expect("closing quote");
    format!("{}{version}{}", &xml[..start], &xml[end..])
}

/// Writes `document` as the CLC does (a new file renamed over the old) and waits until the
/// translator reports `version` applied; the time in between.
async fn apply(dir: &Path, document: &str, version: &str) -> Duration {
    let tmp = dir.join("gni.xml.tmp");
    std::fs::write(&tmp, document).expect("write");
    let started = Instant::now();
    std::fs::rename(&tmp, dir.join("gni.xml")).expect("rename");
    wait_for(dir, version, Duration::from_secs(600)).await;
    started.elapsed()
}

async fn wait_for(dir: &Path, version: &str, limit: Duration) {
    let started = Instant::now();
    let file = dir.join(VERSION_FILE);
    loop {
        if std::fs::read_to_string(&file).is_ok_and(|v| v.trim() == version) {
            return;
        }
        assert!(
            started.elapsed() < limit,
            "version {version} not applied in {limit:?}"
        );
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
}

fn peak_memory_mib(child: &Child) -> f64 {
    let pid = child.id().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time (user and system) a process has used so far, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; the kernel
    // counts them in USER_HZ ticks, 100 a second on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let spec = CloudSpec::large().with_args(&args);
    let rounds = arg("--rounds", 5);
    // The gateway records history by default, as deployed; this measures without it.
    let no_history = std::env::args().any(|a| a == "--no-history");
    println!(
        "translator benchmark: {spec:?}, {rounds} rounds, history {}",
        if no_history { "off" } else { "on" }
    );
    let zookeeper = ZkServer::start_durable().await.expect("ZooKeeper");
    // The gateway's history (embedded, as deployed by default) goes with the run.
    let data = tempfile::tempdir().expect("a directory");
    let mut gateway = Command::new(release_binary("api-gateway"))
        .args([
            "serve",
            "--no-auth",
            "--store",
            "zookeeper",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--zookeeper", &zookeeper.connect_string()])
        .arg("--data-dir")
        .arg(data.path())
        .args(no_history.then_some("--no-history"))
        .stdout(Stdio::piped())
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .spawn()
        .expect("api-gateway");
    let mut lines = BufReader::new(gateway.stdout.take().expect("stdout")).lines();
    let first = lines.next_line().await.expect("a line").expect("a line");
    let url = first.rsplit(' ').next().expect("a URL").to_owned();

    let dir = tempfile::tempdir().expect("a directory");
    let base = document(&spec, "v0");
    std::fs::write(dir.path().join("gni.xml"), &base).expect("write");
    println!("GNI: {:.1} MB", base.len() as f64 / 1e6);

    let started = Instant::now();
    let mut translator = Command::new(release_binary("translator"))
        .args(["run", "--no-metadata", "--register-hosts", "--api", &url])
        .arg("--gni")
        .arg(dir.path().join("gni.xml"))
        .env("RUST_LOG", "warn,translator::daemon=info")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("translator");
    // The translator's own account of each cycle (read, translate, plan, apply, follow).
    let mut log = BufReader::new(translator.stderr.take().expect("stderr")).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = log.next_line().await {
            if let Some(at) = line.find("GNI version") {
                println!("  translator: {}", &line[at..]);
            } else if !line.contains(" INFO ") {
                eprintln!("translator: {line}");
            }
        }
    });
    wait_for(dir.path(), "v0", Duration::from_secs(1800)).await;
    let converge = started.elapsed();
    println!("converge from empty (process start to version file): {converge:.2?}");
    println!(
        "CPU time used until then: ZooKeeper {:.1} s, api-gateway {:.1} s, translator {:.1} s",
        zookeeper.pid().map_or(0.0, cpu_seconds),
        gateway.id().map_or(0.0, cpu_seconds),
        translator.id().map_or(0.0, cpu_seconds),
    );

    let mut noop = Vec::new();
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let plus_one = CloudSpec {
        instances: spec.instances + 1,
        ..spec.clone()
    };
    for round in 0..rounds {
        let v = format!("n{round}");
        noop.push(apply(dir.path(), &document(&spec, &v), &v).await);
        let v = format!("a{round}");
        added.push(apply(dir.path(), &document(&plus_one, &v), &v).await);
        let v = format!("r{round}");
        removed.push(apply(dir.path(), &document(&spec, &v), &v).await);
    }
    println!(
        "no-op cycle: median {:.2?}, all {noop:.2?}",
        median(noop.clone())
    );
    println!(
        "one instance added: median {:.2?}, all {added:.2?}",
        median(added.clone())
    );
    println!(
        "one instance removed: median {:.2?}, all {removed:.2?}",
        median(removed.clone())
    );
    println!(
        "translator peak memory (VmHWM): {:.0} MiB",
        peak_memory_mib(&translator)
    );
    drop(translator);
    drop(gateway);
    drop(zookeeper);
}

//! Faults while the translator applies a 1,000-instance cloud, on real processes: a
//! three-member ZooKeeper ensemble on loopback, two `api-gateway` processes on it, and the
//! `translator` daemon writing through the first. Each scenario injects one fault mid-apply:
//!
//! - `leader`: the ensemble's leader is killed, then restarted;
//! - `gateway`: the translator's gateway is killed (SIGKILL) in the middle of a batch, then
//!   restarted on the same address;
//! - `translator`: the translator is killed with SIGKILL and started again;
//! - `session`: the translator's gateway is paused (SIGSTOP) longer than its ZooKeeper session
//!   timeout, so the ensemble expires its session, then resumed (SIGCONT).
//!
//! Meanwhile a prober writes small objects through the other gateway and remembers which were
//! acknowledged. After each scenario: the translator reports the GNI's version; a fresh
//! translator's full plan is empty (MidoNet is exactly the from-scratch translation: nothing
//! missing, nothing left over); no name is used twice; `fsck` finds the store clean (no
//! dangling references, orphans or one-sided bindings); both gateways show the same objects;
//! every acknowledged probe exists. Each scenario prints one `fault …` line of figures
//! (docs/reliability.md). `FAULT_RUNS=n` repeats the scenarios; `FAULT_INSTANCES` changes the
//! cloud's size.

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api_gateway::testing::{four_letter_word, free_port, zookeeper_installed_or_skip, ZkPeer};
use api_gateway::StoreConfig;
use midonet_client::MidonetClient;
use serde_json::json;
use system_tests::binary;
use translator::daemon::VERSION_FILE;
use translator::desired::Environment;
use translator::engine::Engine;
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::reconcile::actual;

/// How long a scenario may take to converge after its fault.
const CONVERGE_TIMEOUT: Duration = Duration::from_secs(900);
/// The ensemble's largest session timeout: gateways ask for 10 s and get this, so a pause of
/// the gateway process a little longer than it expires the session.
const SESSION_TIMEOUT_MS: u64 = 3000;

fn spec() -> CloudSpec {
    let instances = std::env::var("FAULT_INSTANCES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    CloudSpec {
        vpcs: 50,
        subnets_per_vpc: 2,
        instances,
        security_groups: 100,
        rules_per_group: 5,
        elastic_ips: 100.min(instances),
        nodes: 10,
    }
}

/// Three ZooKeeper members on loopback ports, each from its own `zoo.cfg`.
struct Ensemble {
    dir: tempfile::TempDir,
    peers: Vec<Option<ZkPeer>>,
    clients: Vec<SocketAddr>,
}

impl Ensemble {
    fn start() -> Ensemble {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = || free_port().expect("a free port");
        let ports: Vec<(u16, u16, u16)> = (0..3).map(|_| (port(), port(), port())).collect();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (_, quorum, election))| {
                format!("server.{}=127.0.0.1:{quorum}:{election}\n", i + 1)
            })
            .collect();
        let mut clients = Vec::new();
        for (i, (client, _, _)) in ports.iter().enumerate() {
            let member = dir.path().join(format!("zk{}", i + 1));
            let data = member.join("data");
            fs::create_dir_all(&data).expect("data dir");
            fs::write(data.join("myid"), format!("{}\n", i + 1)).expect("myid");
            // Short ticks for quick elections; forceSync=no as in the other tests (a killed
            // process loses nothing the page cache holds).
            let config = format!(
                "tickTime=200\ninitLimit=20\nsyncLimit=10\ndataDir={}\nclientPort={client}\n\
                 clientPortAddress=127.0.0.1\nmaxClientCnxns=0\nminSessionTimeout=400\n\
                 maxSessionTimeout={SESSION_TIMEOUT_MS}\nadmin.enableServer=false\n\
                 4lw.commands.whitelist=*\nforceSync=no\n{servers}",
                data.display()
            );
            fs::write(member.join("zoo.cfg"), config).expect("zoo.cfg");
            clients.push(SocketAddr::from(([127, 0, 0, 1], *client)));
        }
        let mut ensemble = Ensemble {
            dir,
            peers: vec![None, None, None],
            clients,
        };
        for i in 0..3 {
            ensemble.restart(i);
        }
        ensemble.wait_for_leader();
        ensemble
    }

    fn connect_string(&self) -> String {
        let hosts: Vec<String> = self.clients.iter().map(ToString::to_string).collect();
        hosts.join(",")
    }

    fn restart(&mut self, i: usize) {
        let member = self.dir.path().join(format!("zk{}", i + 1));
        let peer = ZkPeer::spawn(&member.join("zoo.cfg"), &member.join("zookeeper.log"))
            .expect("a ZooKeeper member");
        self.peers[i] = Some(peer);
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut peer) = self.peers[i].take() {
            peer.kill();
        }
    }

    /// The member that leads, once a quorum serves.
    fn wait_for_leader(&mut self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            for (i, addr) in self.clients.iter().enumerate() {
                if self.peers[i].is_none() {
                    continue;
                }
                if four_letter_word(*addr, "srvr").is_ok_and(|a| a.contains("Mode: leader")) {
                    return i;
                }
            }
            if Instant::now() > deadline {
                let tails: Vec<String> =
                    self.peers.iter().flatten().map(ZkPeer::log_tail).collect();
                panic!("no leader within 120 s:\n{}", tails.join("\n"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// An `api-gateway serve` process on the ensemble, on a fixed loopback port.
struct GatewayProcess {
    child: Child,
    port: u16,
    url: String,
    /// Its own data directory: the embedded state store (history) locks its file, so two
    /// gateways on one host cannot share one.
    _data: tempfile::TempDir,
}

impl GatewayProcess {
    fn start(connect: &str, root: &str, port: u16) -> GatewayProcess {
        let deadline = Instant::now() + Duration::from_secs(60);
        let data = tempfile::tempdir().expect("a data directory");
        loop {
            let mut child = Command::new(binary("api-gateway"))
                .args(["serve", "--no-auth", "--store", "zookeeper"])
                .args(["--zookeeper", connect, "--zk-root", root])
                .arg("--data-dir")
                .arg(data.path())
                .args(["--listen", &format!("127.0.0.1:{port}")])
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("spawn api-gateway");
            let mut first = String::new();
            let _ = BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut first);
            if first.starts_with("api-gateway listening on ") {
                return GatewayProcess {
                    child,
                    port,
                    url: format!("http://127.0.0.1:{port}/midonet-api"),
                    _data: data,
                };
            }
            // The port of a killed gateway can take a moment to be free again.
            let _ = child.kill();
            let _ = child.wait();
            assert!(
                Instant::now() < deadline,
                "the gateway did not start on {port}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill(1)");
        assert!(status.success(), "kill {signal}");
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        self.signal_quietly();
        self.kill();
    }
}

impl GatewayProcess {
    /// A paused process cannot die of SIGKILL until it is resumed on some systems' terms;
    /// resume it first, ignoring errors (it may be gone).
    fn signal_quietly(&self) {
        let _ = Command::new("kill")
            .args(["-CONT", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

struct TranslatorProcess(Child);

impl TranslatorProcess {
    fn start(url: &str, gni: &Path) -> TranslatorProcess {
        let child = Command::new(binary("translator"))
            .args(["run", "--no-metadata", "--register-hosts", "--poll", "0.2"])
            .args(["--api", url])
            .arg("--gni")
            .arg(gni)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn translator");
        TranslatorProcess(child)
    }

    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }

    fn running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

impl Drop for TranslatorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Writes a small object through a gateway every few milliseconds and remembers which writes
/// were acknowledged (201), until stopped.
struct Prober {
    acknowledged: Arc<Mutex<Vec<String>>>,
    attempts: Arc<Mutex<usize>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Prober {
    fn start(url: String) -> Prober {
        let acknowledged = Arc::new(Mutex::new(Vec::new()));
        let attempts = Arc::new(Mutex::new(0));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let (acked, tried) = (acknowledged.clone(), attempts.clone());
        let task = tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("client");
            while !*stopped.borrow() {
                let id = uuid::Uuid::new_v4().to_string();
                *tried.lock().unwrap() += 1;
                let sent = http
                    .post(format!("{url}/chains"))
                    .header("Content-Type", "application/json")
                    .body(json!({"id": id, "name": "probe", "tenantId": "probe"}).to_string())
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().as_u16() == 201) {
                    acked.lock().unwrap().push(id);
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(50)) => {}
                    _ = stopped.changed() => {}
                }
            }
        });
        Prober {
            acknowledged,
            attempts,
            stop,
            task,
        }
    }

    async fn finish(self) -> (Vec<String>, usize) {
        let _ = self.stop.send(true);
        self.task.await.expect("prober");
        let acked = self.acknowledged.lock().unwrap().clone();
        let attempts = *self.attempts.lock().unwrap();
        (acked, attempts)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    Leader,
    Gateway,
    Translator,
    Session,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Leader => "leader",
            Fault::Gateway => "gateway",
            Fault::Translator => "translator",
            Fault::Session => "session",
        }
    }
}

fn applied_version(dir: &Path) -> Option<String> {
    fs::read_to_string(dir.join(VERSION_FILE))
        .ok()
        .map(|v| v.trim().to_owned())
}

/// Names used more than once among the objects of one class.
fn repeated<'a>(names: impl Iterator<Item = Option<&'a str>>) -> Vec<String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for name in names.flatten() {
        *seen.entry(name).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, n)| format!("{name} ×{n}"))
        .collect()
}

/// The ids each gateway lists, per collection, once both list the same.
async fn gateways_agree(a: &str, b: &str) {
    let http = reqwest::Client::new();
    let ids = |url: String| {
        let http = http.clone();
        async move {
            let list: serde_json::Value = http.get(&url).send().await.ok()?.json().await.ok()?;
            let mut ids: Vec<String> = list
                .as_array()?
                .iter()
                .filter_map(|o| o["id"].as_str().map(str::to_owned))
                .collect();
            ids.sort();
            Some(ids)
        }
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    for collection in [
        "routers",
        "bridges",
        "ports",
        "chains",
        "ip_addr_groups",
        "port_groups",
    ] {
        loop {
            let x = ids(format!("{a}/{collection}")).await;
            let y = ids(format!("{b}/{collection}")).await;
            if x.is_some() && x == y {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the gateways disagree on {collection}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Deletes every key under the backend's root, in multis well under ZooKeeper's 1 MB limit.
async fn clear(backend: &dyn api_gateway::store::backend::Backend) {
    use api_gateway::store::backend::KvOp;
    let entries = backend.load().await.expect("load");
    for chunk in entries.chunks(500) {
        let ops = chunk
            .iter()
            .map(|e| KvOp::Delete {
                path: e.path.clone(),
                version: e.stat.version,
            })
            .collect();
        backend.multi(ops).await.expect("delete a chunk");
    }
}

/// One scenario on a fresh root of the ensemble; answers its figures line.
async fn scenario(ensemble: &mut Ensemble, fault: Fault, run: usize) -> String {
    let connect = ensemble.connect_string();
    let root = format!("/fault-{}-{run}", fault.name());
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = spec();
    let document = cloud_xml(&spec).expect("a cloud");
    let gni_path = dir.path().join("global_network_info.xml");
    fs::write(&gni_path, &document).expect("write the GNI");
    let gni = translator::gni::parse(&document).expect("a valid GNI");

    let port_a = free_port().expect("port");
    let port_b = free_port().expect("port");
    let mut gateway_a = GatewayProcess::start(&connect, &root, port_a);
    let gateway_b = GatewayProcess::start(&connect, &root, port_b);
    let watcher = MidonetClient::connect(&gateway_b.url)
        .await
        .expect("connect B");
    let prober = Prober::start(gateway_b.url.clone());

    let started = Instant::now();
    let mut translator = TranslatorProcess::start(&gateway_a.url, &gni_path);
    // The fault lands once the translator's first batch of topology is committed (it writes
    // in batches of up to 900 KiB, a few dozen for this cloud), while the rest is to come.
    let deadline = Instant::now() + CONVERGE_TIMEOUT;
    let fault_at = loop {
        let routers = watcher
            .routers_of_tenant(translator::desired::DEFAULT_TENANT)
            .await
            .expect("list routers");
        if !routers.is_empty() {
            break routers.len();
        }
        assert!(translator.running(), "the translator exited by itself");
        assert!(Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        applied_version(dir.path()),
        None,
        "{}: the fault came after the apply finished",
        fault.name()
    );
    let faulted = Instant::now();
    match fault {
        Fault::Leader => {
            let leader = ensemble.wait_for_leader();
            ensemble.kill(leader);
            tokio::time::sleep(Duration::from_secs(2)).await;
            ensemble.restart(leader);
            ensemble.wait_for_leader();
        }
        Fault::Gateway => {
            gateway_a.kill();
            tokio::time::sleep(Duration::from_secs(1)).await;
            gateway_a = GatewayProcess::start(&connect, &root, gateway_a.port);
        }
        Fault::Translator => {
            translator.kill();
            translator = TranslatorProcess::start(&gateway_a.url, &gni_path);
        }
        Fault::Session => {
            gateway_a.signal("-STOP");
            tokio::time::sleep(Duration::from_millis(SESSION_TIMEOUT_MS * 2)).await;
            gateway_a.signal("-CONT");
        }
    }
    let recovered = faulted.elapsed();

    while applied_version(dir.path()).as_deref() != Some(gni.version.as_str()) {
        assert!(
            faulted.elapsed() < CONVERGE_TIMEOUT,
            "{}: not converged in {CONVERGE_TIMEOUT:?}",
            fault.name()
        );
        assert!(
            translator.running(),
            "{}: the translator exited",
            fault.name()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let converged = faulted.elapsed();
    translator.kill();
    let (acknowledged, attempts) = prober.finish().await;

    // Exactly the from-scratch translation: a fresh engine's full read and plan find nothing.
    let client = MidonetClient::connect(&gateway_a.url)
        .await
        .expect("connect A");
    let mut env = Environment::new("5.0.0.0");
    env.constants.legacy_metadata = false;
    let left = Engine::new(client.clone(), env)
        .dry_run(&gni)
        .await
        .expect("a plan");
    assert!(
        left.is_empty(),
        "{}: MidoNet differs from the translation:\n{left}",
        fault.name()
    );
    let have = actual::read(&client, translator::desired::DEFAULT_TENANT)
        .await
        .expect("read");
    for (class, twice) in [
        (
            "router",
            repeated(have.routers.values().map(|r| r.name.as_deref())),
        ),
        (
            "bridge",
            repeated(have.bridges.values().map(|b| b.name.as_deref())),
        ),
        (
            "chain",
            repeated(have.chains.values().map(|c| c.chain.name.as_deref())),
        ),
        (
            "port group",
            repeated(have.port_groups.values().map(|g| g.group.name.as_deref())),
        ),
    ] {
        assert!(
            twice.is_empty(),
            "{}: {class} names used twice: {twice:?}",
            fault.name()
        );
    }

    // No dangling reference, orphan or one-sided binding anywhere in the store.
    let backend = api_gateway::open_backend(&StoreConfig::ZooKeeper {
        connect: connect.clone(),
        root: root.clone(),
    })
    .await
    .expect("backend");
    let report = api_gateway::fsck::run(backend.as_ref())
        .await
        .expect("fsck");
    assert!(report.is_clean(), "{}: {report}", fault.name());

    // Both gateways show the same objects, and every acknowledged probe is among them.
    gateways_agree(&gateway_a.url, &gateway_b.url).await;
    let probes: serde_json::Value =
        reqwest::get(format!("{}/chains?tenant_id=probe", gateway_a.url))
            .await
            .expect("list probes")
            .json()
            .await
            .expect("probes");
    let stored: std::collections::BTreeSet<&str> = probes
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{}: acknowledged writes lost: {lost:?}",
        fault.name()
    );

    drop((gateway_a, gateway_b));
    // The ensemble keeps every scenario's tree in a small heap: empty this one's.
    clear(backend.as_ref()).await;

    format!(
        "fault {}: run {run}: {} instances, fault with {fault_at} routers applied ({:.1} s), \
         fault over in {:.1} s, converged {:.1} s after the fault; {} objects, fsck clean, \
         plan empty; probes {}/{} acknowledged, 0 lost",
        fault.name(),
        spec.instances,
        (faulted - started).as_secs_f64(),
        recovered.as_secs_f64(),
        converged.as_secs_f64(),
        report.object_count(),
        acknowledged.len(),
        attempts,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cloud_applied_through_faults_converges_to_its_translation() {
    if !zookeeper_installed_or_skip() {
        return;
    }
    let runs: usize = std::env::var("FAULT_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut ensemble = Ensemble::start();
    let mut lines = Vec::new();
    for run in 1..=runs {
        for fault in [
            Fault::Leader,
            Fault::Gateway,
            Fault::Translator,
            Fault::Session,
        ] {
            let line = scenario(&mut ensemble, fault, run).await;
            eprintln!("{line}");
            lines.push(line);
        }
    }
    println!("{}", lines.join("\n"));
}

//! The translator killed with SIGKILL in the middle of applying a GNI, twice, then left to
//! finish: MidoNet must end exactly at the from-scratch translation — nothing missing, nothing
//! twice, nothing left over — because every write is idempotent by id and a restart reads
//! everything before planning.
//!
//! Real processes: a ZooKeeper server, a gateway on it (in this process), and the `translator`
//! binary run as operators run it (`translator run --register-hosts --no-metadata --api`).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_gateway::testing::LocalGateway;
use api_gateway::StoreConfig;
use midonet_client::MidonetClient;
use tokio::process::{Child, Command};
use translator::daemon::VERSION_FILE;
use translator::desired::Environment;
use translator::engine::Engine;
use translator::gni::fixture::{cloud_xml, CloudSpec};
use translator::reconcile::actual;

/// Big enough that applying it takes several batches, so a kill lands between them.
fn spec() -> CloudSpec {
    CloudSpec {
        vpcs: 20,
        instances: 400,
        security_groups: 40,
        elastic_ips: 40,
        ..CloudSpec::small()
    }
}

fn start_translator(url: &str, gni: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_translator"))
        .args(["run", "--no-metadata", "--register-hosts", "--poll", "0.2"])
        .args(["--api", url])
        .arg("--gni")
        .arg(gni)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the translator binary")
}

/// The store revision, which every committed write (or batch) moves on.
async fn revision(client: &MidonetClient) -> i64 {
    client
        .changes_revision()
        .await
        .expect("the changes feed")
        .expect("a gateway with a changes feed")
}

/// Waits until the store has moved at least `writes` revisions past `from`, then kills the
/// translator at once, as a power cut or the OOM killer would.
async fn kill_after(translator: &mut Child, client: &MidonetClient, from: i64, writes: i64) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let now = revision(client).await;
        if now >= from + writes {
            translator.start_kill().expect("SIGKILL");
            translator.wait().await.expect("reaped");
            return revision(client).await;
        }
        assert!(
            translator.try_wait().expect("status").is_none(),
            "the translator exited by itself"
        );
        assert!(Instant::now() < deadline, "no progress in 300 s");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn applied_version(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(VERSION_FILE))
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

#[tokio::test(flavor = "multi_thread")]
async fn a_translator_killed_mid_apply_converges_after_restart_without_duplicates_or_orphans() {
    let Some(zookeeper) = api_gateway::testing::zookeeper_or_skip().await else {
        return;
    };
    let gateway = LocalGateway::start(&StoreConfig::ZooKeeper {
        connect: zookeeper.connect_string(),
        root: "/midonet".into(),
    })
    .await
    .expect("a gateway");
    let client = MidonetClient::connect(&gateway.url).await.expect("connect");
    let dir = tempfile::tempdir().expect("a directory");
    let gni_path = dir.path().join("gni.xml");
    let document = cloud_xml(&spec()).expect("a cloud");
    std::fs::write(&gni_path, &document).expect("write the GNI");
    let gni = translator::gni::parse(&document).expect("a valid GNI");

    // Two kills, each once the run has committed some writes of its own.
    let mut at = revision(&client).await;
    for (kill, writes) in [(1, 30), (2, 30)] {
        let mut translator = start_translator(&gateway.url, &gni_path);
        let before = at;
        at = kill_after(&mut translator, &client, at, writes).await;
        assert_eq!(
            applied_version(dir.path()),
            None,
            "kill {kill} came after the apply finished; make the cloud bigger"
        );
        eprintln!("kill {kill}: after {} committed revisions", at - before);
    }

    // What the kills left: partly applied, so the restart has real work to do.
    let mut env = Environment::new("5.0.0.0");
    env.constants.legacy_metadata = false;
    let mut fresh = Engine::new(client.clone(), env.clone());
    let partial = fresh.dry_run(&gni).await.expect("a plan").counts();
    assert!(
        partial.0 > 0,
        "the kills left nothing to do: {partial:?}; kill earlier"
    );

    // A restart finishes the job and reports the version.
    let started = Instant::now();
    let mut translator = start_translator(&gateway.url, &gni_path);
    while applied_version(dir.path()).as_deref() != Some(gni.version.as_str()) {
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not converged in 300 s"
        );
        assert!(
            translator.try_wait().expect("status").is_none(),
            "the restarted translator exited"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    translator.start_kill().expect("stop");
    translator.wait().await.expect("reaped");

    // Exactly the from-scratch translation: a new engine's full read and full plan (which
    // deletes whatever the translator owns and does not want) find nothing to do.
    let mut check = Engine::new(client.clone(), env);
    let left = check.dry_run(&gni).await.expect("a plan");
    assert!(
        left.is_empty(),
        "after the restart MidoNet differs from the translation:\n{left}"
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
            "ip address group",
            repeated(
                have.ip_addr_groups
                    .values()
                    .map(|g| g.group.name.as_deref()),
            ),
        ),
        (
            "port group",
            repeated(have.port_groups.values().map(|g| g.group.name.as_deref())),
        ),
    ] {
        assert!(twice.is_empty(), "{class} names used twice: {twice:?}");
    }
}

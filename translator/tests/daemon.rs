//! `translator run` fed bad GNI versions, as a CLC with a bug might write them: each is refused
//! with a message naming the element, nothing of it is applied, the last topology and the
//! version handshake stay, the daemon keeps running, and the next good version is applied.
//!
//! The `translator` binary runs as operators run it, against a gateway in this process.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use api_gateway::testing::LocalGateway;
use api_gateway::StoreConfig;
use midonet_client::MidonetClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use translator::daemon::VERSION_FILE;
use translator::desired::Environment;
use translator::engine::Engine;

const SINGLE_VPC: &str = include_str!("../testdata/gni/single-vpc.xml");
const VERSION: &str = "version=\"5f3a9c1e\"";

/// `SINGLE_VPC` as version `version`, with `from` replaced by `to`.
fn document(version: &str, from: &str, to: &str) -> String {
    assert!(SINGLE_VPC.contains(from), "{from} is not in the example");
    SINGLE_VPC
        .replacen(VERSION, &format!("version=\"{version}\""), 1)
        .replacen(from, to, 1)
}

/// Writes the GNI as the CLC does: a new file renamed over the old one.
fn publish(dir: &Path, document: &str) {
    let tmp = dir.join("gni.xml.tmp");
    std::fs::write(&tmp, document).expect("write");
    std::fs::rename(&tmp, dir.join("gni.xml")).expect("rename");
}

fn applied_version(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join(VERSION_FILE))
        .ok()
        .map(|v| v.trim().to_owned())
}

async fn wait_for_version(dir: &Path, version: &str, translator: &mut Child) {
    let started = Instant::now();
    while applied_version(dir).as_deref() != Some(version) {
        assert!(
            translator.try_wait().expect("status").is_none(),
            "the translator exited"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "version {version} not applied in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The next log line that contains every one of `words`.
async fn wait_for_log(lines: &mut mpsc::UnboundedReceiver<String>, words: &[&str]) -> String {
    let deadline = tokio::time::sleep(Duration::from_secs(60));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            line = lines.recv() => {
                let line = line.expect("the translator's log ended");
                if words.iter().all(|w| line.contains(w)) {
                    return line;
                }
            }
            _ = &mut deadline => panic!("no log line with {words:?} in 60 s"),
        }
    }
}

async fn revision(client: &MidonetClient) -> i64 {
    client
        .changes_revision()
        .await
        .expect("the changes feed")
        .expect("a gateway with a changes feed")
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_versions_are_refused_and_the_next_good_one_is_applied() {
    let store = tempfile::tempdir().expect("a directory");
    let gateway = LocalGateway::start(&StoreConfig::Embedded {
        dir: store.path().to_path_buf(),
    })
    .await
    .expect("a gateway");
    let client = MidonetClient::connect(&gateway.url).await.expect("connect");
    let dir = tempfile::tempdir().expect("a directory");
    publish(dir.path(), &document("good-1", "", ""));

    let mut translator = Command::new(env!("CARGO_BIN_EXE_translator"))
        .args(["run", "--no-metadata", "--register-hosts", "--poll", "0.2"])
        .args(["--api", &gateway.url])
        .arg("--gni")
        .arg(dir.path().join("gni.xml"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the translator binary");
    let (tx, mut log) = mpsc::unbounded_channel();
    let mut stderr = BufReader::new(translator.stderr.take().expect("stderr")).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = stderr.next_line().await {
            eprintln!("translator: {line}");
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    wait_for_version(dir.path(), "good-1", &mut translator).await;
    let applied = revision(&client).await;

    // (what is wrong, edit from, edit to, words the refusal must contain)
    let bad: [(&str, &str, &str, &[&str]); 6] = [
        (
            "malformed XML",
            "</subnets>",
            "</subnet>",
            &["not applied", "line", "subnet"],
        ),
        (
            "an instance in a missing VPC",
            "<vpc>vpc-1f2e3d4c</vpc><subnet>subnet-0a0b0c0d</subnet>\n      <networkInterfaces>",
            "<vpc>vpc-5a6b7c8d</vpc><subnet>subnet-0a0b0c0d</subnet>\n      <networkInterfaces>",
            &["not applied", "instance i-4a1b2c3d: vpc vpc-5a6b7c8d: no such vpc"],
        ),
        (
            "a security group rule naming a missing group",
            "<groupId>sg-6a7b8c9d</groupId>",
            "<groupId>sg-00000000</groupId>",
            &["not applied", "groupId sg-00000000: no such security group"],
        ),
        (
            "a duplicate subnet id",
            "</subnet></subnets>",
            "</subnet>\n<subnet name=\"subnet-0a0b0c0d\"><cidr>10.20.9.0/24</cidr><routeTable>rtb-9c8d7e6f</routeTable></subnet></subnets>",
            &["not applied", "subnet subnet-0a0b0c0d: appears more than once"],
        ),
        (
            "a CIDR that does not parse",
            "<cidr>10.20.1.0/24</cidr>",
            "<cidr>10.20.300.0/24</cidr>",
            &["not applied", "cidr '10.20.300.0/24' is not a CIDR"],
        ),
        (
            "an instance on no known node",
            "<instanceIds><value>i-4a1b2c3d</value></instanceIds>",
            "<instanceIds/>",
            &["not applied", "instance i-4a1b2c3d: no node under configuration clusters lists this instance"],
        ),
    ];
    for (n, (what, from, to, words)) in bad.into_iter().enumerate() {
        publish(dir.path(), &document(&format!("bad-{n}"), from, to));
        let line = wait_for_log(&mut log, words).await;
        assert!(line.contains("line "), "{what}: no line number in {line}");
        assert_eq!(
            applied_version(dir.path()).as_deref(),
            Some("good-1"),
            "{what}: the handshake still names the last good version"
        );
        assert_eq!(
            revision(&client).await,
            applied,
            "{what}: nothing was written"
        );
    }

    // A good version again, with a change: applied, and MidoNet equals its translation.
    let good = document(
        "good-2",
        "<fromPort>22</fromPort><toPort>22</toPort>",
        "<fromPort>2222</fromPort><toPort>2222</toPort>",
    );
    publish(dir.path(), &good);
    wait_for_version(dir.path(), "good-2", &mut translator).await;
    assert!(revision(&client).await > applied, "the change was written");
    let mut env = Environment::new("5.0.0.0");
    env.constants.legacy_metadata = false;
    let gni = translator::gni::parse(&good).expect("a valid GNI");
    let left = Engine::new(client.clone(), env)
        .dry_run(&gni)
        .await
        .expect("a plan");
    assert!(left.is_empty(), "MidoNet differs from good-2:\n{left}");
    translator.start_kill().expect("stop");
}

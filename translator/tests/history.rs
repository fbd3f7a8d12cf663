//! `translator apply` records its cycle in the gateway's history, and `translator history`
//! prints it back, all versions or one (the binary against an in-process gateway that keeps
//! history in an embedded state store).

use std::process::{Command, Output};

use api_gateway::testing::LocalGateway;
use api_gateway::{StateOptions, StoreConfig};

const TWO_VPCS: &str = include_str!("../testdata/gni/two-vpcs.xml");

fn translator(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_translator"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("MIDONET_API")
        .env_remove("TRANSLATOR_GNI")
        .output()
        .expect("the translator binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_applied_version_is_listed_by_translator_history() {
    let dir = tempfile::tempdir().expect("a directory");
    let state = StateOptions {
        store: api_gateway::state::StateConfig::Embedded {
            dir: dir.path().to_path_buf(),
        },
        history: true,
        flow_ttl: api_gateway::state::config::DEFAULT_FLOW_TTL,
    };
    let gateway = LocalGateway::start_with_state(
        &StoreConfig::Embedded {
            dir: dir.path().to_path_buf(),
        },
        &state,
    )
    .await
    .expect("a gateway");
    // Apply writes the version file beside the GNI: work on a copy.
    let gni = dir.path().join("global_network_info.xml");
    std::fs::write(&gni, TWO_VPCS).expect("write the GNI");
    let url = gateway.url.clone();
    let gni_path = gni.display().to_string();
    let (applied, all, one, none) = tokio::task::spawn_blocking(move || {
        let applied = translator(&[
            "apply",
            "--once",
            "--api",
            &url,
            "--gni",
            &gni_path,
            "--register-hosts",
            "--no-metadata",
        ]);
        let all = translator(&["history", "--api", &url]);
        let one = translator(&["history", "--api", &url, "--version", "a1b2c3d4e5f60718"]);
        let none = translator(&["history", "--api", &url, "--version", "nope"]);
        (applied, all, one, none)
    })
    .await
    .expect("the binary runs");
    assert!(applied.status.success(), "{applied:?}");
    let all = stdout(&all);
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 1, "{all}");
    assert!(lines[0].contains(" version a1b2c3d4e5f60718: "), "{all}");
    assert!(lines[0].ends_with(", ok"), "{all}");
    let operations: u64 = lines[0]
        .split(": ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("an operation count");
    assert!(operations > 10, "{all}");
    assert_eq!(stdout(&one), all);
    assert_eq!(stdout(&none), "no GNI version recorded\n");
}

#[test]
fn history_without_an_api_says_what_it_needs() {
    let out = translator(&["history"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("history needs the gateway's API"), "{err}");
}

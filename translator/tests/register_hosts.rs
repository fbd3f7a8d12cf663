//! `translator register-hosts` run as the Chef cookbook runs it (a file with `api`,
//! `tunnel_zone` and `[[hosts]]`), against a gateway: `--check` says what is missing and exits 1,
//! a run registers it, and then `--check` exits 0 and a second run changes nothing, leaving one
//! host per name and one membership per host.

use std::process::{Command, Output};

use api_gateway::testing::LocalGateway;
use api_gateway::StoreConfig;
use midonet_client::MidonetClient;

fn register_hosts(config: &std::path::Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_translator"))
        .args(["register-hosts", "--config"])
        .arg(config)
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the translator binary")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn registering_twice_registers_once_and_check_tells_whether_anything_is_missing() {
    let store = tempfile::tempdir().expect("a directory");
    let gateway = LocalGateway::start(&StoreConfig::Embedded {
        dir: store.path().to_path_buf(),
    })
    .await
    .expect("a gateway");
    let dir = tempfile::tempdir().expect("a directory");
    let config = dir.path().join("translator.toml");
    std::fs::write(
        &config,
        format!(
            "api = \"{}\"\ntunnel_zone = \"mido-tz\"\n\n\
             [[hosts]]\nname = \"b-05\"\naddress = \"10.111.1.5\"\n\n\
             [[hosts]]\nname = \"b-22\"\naddress = \"10.111.1.22\"\ninterfaces = [\"em1.116\"]\n",
            gateway.url
        ),
    )
    .expect("write the file");

    let check = register_hosts(&config, &["--check"]);
    assert_eq!(check.status.code(), Some(1), "{}", stdout(&check));
    assert!(
        stdout(&check).contains("would register host b-22 (10.111.1.22) with interfaces em1.116")
    );
    assert!(stdout(&check)
        .ends_with("register-hosts: 2 hosts in tunnel zone mido-tz: 5 changes needed\n"));

    let first = register_hosts(&config, &[]);
    assert!(first.status.success(), "{:?}", first);
    assert_eq!(
        stdout(&first),
        "create tunnel zone mido-tz (gre)\n\
         register host b-05 (10.111.1.5)\n\
         add host b-05 to tunnel zone mido-tz at 10.111.1.5\n\
         register host b-22 (10.111.1.22) with interfaces em1.116\n\
         add host b-22 to tunnel zone mido-tz at 10.111.1.22\n\
         register-hosts: 2 hosts in tunnel zone mido-tz: 5 changes made\n"
    );

    let check = register_hosts(&config, &["--check"]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    let second = register_hosts(&config, &[]);
    assert!(second.status.success(), "{:?}", second);
    assert_eq!(
        stdout(&second),
        "register-hosts: 2 hosts in tunnel zone mido-tz: nothing to change\n"
    );

    let client = MidonetClient::connect(&gateway.url).await.expect("connect");
    let mut hosts: Vec<(String, Vec<String>)> = client
        .hosts()
        .await
        .expect("hosts")
        .into_iter()
        .map(|h| (h.name.unwrap_or_default(), h.addresses))
        .collect();
    hosts.sort();
    assert_eq!(
        hosts,
        [
            ("b-05".to_string(), vec!["10.111.1.5".to_string()]),
            ("b-22".to_string(), vec!["10.111.1.22".to_string()]),
        ]
    );
    let zones = client.tunnel_zones().await.expect("zones");
    assert_eq!(zones.len(), 1);
    let members = client
        .tunnel_zone_members(zones[0].id)
        .await
        .expect("members");
    assert_eq!(members.len(), 2);
    let b22 = translator::hosts::host_id("b-22");
    let interfaces = client.host_interfaces(b22).await.expect("interfaces");
    assert_eq!(
        interfaces
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>(),
        ["em1.116"]
    );

    // The command line's hosts replace the file's; a bad one is refused before any request.
    let bad = register_hosts(&config, &["--host", "b-06=10.111.1"]);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("\"10.111.1\" is not an IP address"),
        "{:?}",
        bad
    );
    let more = register_hosts(&config, &["--host", "b-06=10.111.1.6", "--check"]);
    assert_eq!(more.status.code(), Some(1));
    assert_eq!(
        stdout(&more),
        "would register host b-06 (10.111.1.6)\n\
         would add host b-06 to tunnel zone mido-tz at 10.111.1.6\n\
         register-hosts: 1 hosts in tunnel zone mido-tz: 2 changes needed\n"
    );
}

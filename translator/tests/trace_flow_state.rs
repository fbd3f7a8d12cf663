//! `translator trace --flow-state DIR`: the request traced by one run, its reply by a later
//! run (another process) that is return flow only through the state the first one stored.

use std::process::{Command, Output};

const GNI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/gni/two-vpcs.xml");

fn trace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_translator"))
        .args(["trace", "--gni", GNI])
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("TRANSLATOR_GNI")
        .output()
        .expect("the translator binary")
}

fn verdict(out: &Output) -> String {
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find(|l| l.starts_with("verdict "))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_reply_traced_by_a_later_run_sees_the_stored_request() {
    let dir = tempfile::tempdir().expect("a directory");
    let state = dir.path().to_str().expect("a UTF-8 path");
    // sg-a2 lets tcp/5432 in from sg-a1's members.
    let request = trace(&[
        "--from",
        "i-00000a01",
        "--to",
        "i-00000a02",
        "--dport",
        "5432",
        "--flow-state",
        state,
    ]);
    assert!(
        verdict(&request).starts_with("verdict delivered"),
        "{request:?}"
    );
    assert!(String::from_utf8_lossy(&request.stderr).contains("0 entries loaded, 1 stored"));
    let reply = [
        "--from",
        "i-00000a02",
        "--to",
        "10.20.1.10",
        "--sport",
        "5432",
        "--dport",
        "40000",
    ];
    // Alone, the reply is a new connection that i-00000a01's chain drops ...
    assert!(verdict(&trace(&reply)).starts_with("verdict dropped"));
    // ... after the stored request, it is return flow.
    let mut with_state = reply.to_vec();
    with_state.extend(["--flow-state", state]);
    let later = trace(&with_state);
    assert!(
        verdict(&later).starts_with("verdict delivered"),
        "{later:?}"
    );
    assert!(String::from_utf8_lossy(&later.stderr).contains("1 entries loaded"));
}

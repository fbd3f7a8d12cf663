//! The gateway against its own OpenAPI document with schemathesis (PyPI): generated requests
//! for every operation (its coverage, fuzzing and stateful phases), a bounded number each; no
//! answer may be a 5xx, and every error must be MidoNet's `{"message", "code"}` body
//! (tests/python/midonet_checks.py). schemathesis comes from tests/python/schemathesis.sh
//! (`.ci/run` runs it); without it the test skips, except under CI, where it fails.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use system_tests::{binary, in_ci, repo_root};

/// Examples per operation and phase: enough to reach every validation path, bounded in time.
const EXAMPLES: &str = "10";

fn schemathesis() -> Option<PathBuf> {
    let path = repo_root().join(".venv-schemathesis/bin/schemathesis");
    if path.is_file() {
        return Some(path);
    }
    let why = format!(
        "{} is missing: bash tests/python/schemathesis.sh",
        path.display()
    );
    if in_ci() {
        panic!("schemathesis is required under CI: {why}");
    }
    eprintln!("skipping: {why}");
    None
}

#[test]
fn generated_requests_get_no_5xx_and_every_error_in_midonet_format() {
    let Some(schemathesis) = schemathesis() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut gateway = Command::new(binary("api-gateway"))
        .args([
            "serve",
            "--no-auth",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path().join("data"))
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn api-gateway");
    let mut first = String::new();
    BufReader::new(gateway.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("the gateway's first line");
    let url = first
        .trim()
        .strip_prefix("api-gateway listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();

    let out = Command::new(schemathesis)
        .arg("run")
        .arg(format!("{url}/openapi.json"))
        .args(["--url", &url])
        .args(["--checks", "not_a_server_error,midonet_error_format"])
        .args(["--max-examples", EXAMPLES, "--seed", "1", "--workers", "1"])
        .args(["--request-timeout", "30"])
        .env("SCHEMATHESIS_HOOKS", "midonet_checks")
        .env("PYTHONPATH", repo_root().join("tests/python"))
        .env("NO_COLOR", "1")
        .current_dir(dir.path())
        .output()
        .expect("run schemathesis");
    let _ = gateway.kill();
    let _ = gateway.wait();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
    let summary = stdout
        .lines()
        .find(|l| l.contains(" generated, "))
        .unwrap_or_else(|| panic!("no summary line:\n{stdout}"));
    eprintln!("schemathesis: {}", summary.trim());
    assert!(summary.contains(" passed"), "{summary}");
}

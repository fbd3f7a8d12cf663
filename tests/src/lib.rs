//! What the system tests share: where the repository and the built binaries are, and whether
//! they run under CI (where a missing tool fails a test instead of skipping it).

use std::path::{Path, PathBuf};

/// The repository's root directory.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

/// Whether the tests run under CI (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A workspace binary: `$<NAME>_BIN` (`API_GATEWAY_BIN` for `api-gateway`), or
/// `target/<profile>/<name>` beside this test's `deps/` directory. Panics, saying how to build
/// it, when it is missing.
pub fn binary(name: &str) -> PathBuf {
    let variable = format!("{}_BIN", name.to_uppercase().replace('-', "_"));
    if let Some(path) = std::env::var_os(&variable) {
        return PathBuf::from(path);
    }
    let test = std::env::current_exe().expect("the test's own path");
    let profile = test
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let bin = profile.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.is_file(),
        "{} is missing: `cargo build --workspace --bins` builds it (or set {variable})",
        bin.display()
    );
    bin
}

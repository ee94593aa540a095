//! The fuzz targets' inputs in the normal suite: every file of `fuzz/corpus/TARGET/` (the seeds
//! and what the fuzzer kept) and of `fuzz/regressions/TARGET/` (inputs that crashed a target
//! once, each fixed since) is fed through the function the target calls (`fuzz/harness.rs`), on
//! stable and without libFuzzer. A panic names the file.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every file under `fuzz/corpus/TARGET` and `fuzz/regressions/TARGET`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let dir = root().join("fuzz").join(dir).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        files.extend(
            entries
                .map(|e| e.expect("entry").path())
                .filter(|p| p.is_file()),
        );
    }
    files.sort();
    files
}

fn run(target: &str, f: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no inputs for fuzz target {target}");
    for path in files {
        let data = std::fs::read(&path).expect("read input");
        let outcome = std::panic::catch_unwind(|| f(&data));
        assert!(
            outcome.is_ok(),
            "fuzz target {target} panics on {}",
            path.display()
        );
    }
}

#[test]
fn topology_inputs() {
    run("topology", harness::topology);
}

#[test]
fn policy_inputs() {
    run("policy", harness::policy);
}

#[test]
fn request_inputs() {
    run("request", harness::request);
}

#[test]
fn dns_inputs() {
    run("dns", harness::dns);
}

//! Golden tests for topology diagnostics: every `tests/invalid/*.yaml` is loaded and its
//! diagnostics, one per line (`file:line:col: severity[code]: message (help: …)`), must equal the
//! sibling `.expected` file (an `expect-test` file snapshot). Run with `UPDATE_EXPECT=1` to
//! rewrite the expected files after a deliberate change, then review the diff.

use std::path::{Path, PathBuf};

use expect_test::expect_file;
use vpcsim_topology::{FileError, FileSystem, Limit, Loaded, StdFs};

/// Reads paths relative to the workspace root, so diagnostics name `tests/invalid/x.yaml`.
struct Rooted(PathBuf);

impl FileSystem for Rooted {
    fn read(&self, path: &Path, limit: Limit) -> Result<String, FileError> {
        StdFs.read(&self.0.join(path), limit)
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn load(rel: &Path) -> Loaded {
    vpcsim_topology::load(rel, &Rooted(root())).expect("test file is readable")
}

fn render(loaded: &Loaded) -> String {
    let mut out = String::new();
    for d in &loaded.diagnostics {
        out.push_str(&d.one_line(&loaded.sources));
        out.push('\n');
    }
    out
}

fn cases() -> Vec<PathBuf> {
    cases_in("tests/invalid")
}

fn cases_in(dir: &str) -> Vec<PathBuf> {
    let dir = root().join(dir);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("test directory exists")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.strip_prefix(root()).expect("under root").to_path_buf())
        .collect();
    files.sort();
    files
}

#[test]
fn every_broken_topology_gets_its_diagnostics() {
    let cases = cases();
    assert!(
        cases.len() >= 20,
        "expected at least twenty broken topologies"
    );
    for rel in cases {
        let loaded = load(&rel);
        assert!(!loaded.is_valid(), "{} should be invalid", rel.display());
        expect_file![root().join(rel.with_extension("expected"))].assert_eq(&render(&loaded));
    }
}

/// `tests/warnings/*.yaml` are valid topologies whose warnings (policy lints) are golden.
#[test]
fn lints_warn_with_their_place() {
    for rel in cases_in("tests/warnings") {
        let mut loaded = load(&rel);
        // With the checks that walk the network, as `vpcsim validate` runs them.
        if let Some(topo) = &loaded.topology {
            let more = vpcsim_engine::design::warnings(&vpcsim_engine::Engine::new(topo));
            loaded.diagnostics.extend(more);
            loaded
                .diagnostics
                .sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
        }
        assert!(
            loaded.is_valid(),
            "{} should be valid:\n{}",
            rel.display(),
            render(&loaded)
        );
        expect_file![root().join(rel.with_extension("expected"))].assert_eq(&render(&loaded));
    }
}

#[test]
fn five_independent_mistakes_give_five_diagnostics() {
    let loaded = load(Path::new("tests/invalid/five-mistakes.yaml"));
    let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(
        codes,
        [
            "unknown-key",
            "invalid-cidr",
            "address-reserved",
            "unknown-reference",
            "invalid-vpce-id"
        ]
    );
}

#[test]
fn every_shipped_topology_is_valid_with_only_intended_warnings() {
    let dir = root().join("topologies");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("topologies/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let rel = path.strip_prefix(root()).expect("under root").to_path_buf();
        let loaded = load(&rel);
        // The only warnings the examples may carry are the lints they teach: the seed's lock-out
        // warning on endpoint-only bucket policies, seed example 2's deny-only endpoint policy,
        // and those a topology lists under `diagnostics:` (a design shown broken on purpose).
        let intended = ["policy-console-lockout", "endpoint-policy-allows-nothing"];
        let listed = |code: &str| {
            loaded
                .topology
                .as_ref()
                .is_some_and(|t| t.expects_diagnostic(code))
        };
        assert!(
            loaded.is_valid()
                && loaded
                    .diagnostics
                    .iter()
                    .all(|d| intended.contains(&d.code) || listed(d.code)),
            "{}:\n{}",
            rel.display(),
            render(&loaded)
        );
        let topo = loaded.topology.expect("valid");
        assert_eq!(
            topo.dangling_ids(),
            Vec::<String>::new(),
            "{}",
            rel.display()
        );
        for o in &topo.outposts {
            assert_eq!(o.xenis.len(), 4, "an Outposts endpoint has four X-ENIs");
        }
        n += 1;
    }
    assert!(n >= 7, "expected the example topologies, found {n}");
}

/// Deterministic mutations of every shipped topology (lines dropped, text truncated, bytes
/// replaced) must never panic the loader.
#[test]
fn no_input_panics() {
    let dir = root().join("topologies");
    let mut rng: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for entry in std::fs::read_dir(dir).expect("topologies/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        let fs = vpcsim_topology::MemFs::default();
        let mut variants: Vec<String> = Vec::new();
        for i in 0..lines.len() {
            let mut v = lines.clone();
            v.remove(i);
            variants.push(v.join("\n"));
            variants.push(lines[..i].join("\n"));
        }
        let noise = b" :-[]{}\"'\n#&*!|>0123456789abcxyz./\t";
        for _ in 0..120 {
            let mut bytes = text.clone().into_bytes();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = noise[(next() % noise.len() as u64) as usize];
            }
            variants.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        for v in variants {
            let loaded = vpcsim_topology::load_str(Path::new("mutant.yaml"), v, &fs);
            for d in &loaded.diagnostics {
                let _ = d.render(&loaded.sources, false);
            }
        }
    }
}

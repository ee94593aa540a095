//! A topology read in pieces on several threads is the topology read whole: every YAML file of
//! the repository (valid, invalid and with warnings) and generated topologies, cut into pieces of
//! several sizes, give the same model and the same diagnostics as one piece.

use std::path::{Path, PathBuf};

use vpcsim_gen::{Params, generate};
use vpcsim_syntax::pieces::{self, Parallel};
use vpcsim_syntax::{SourceFile, SourceId};
use vpcsim_topology::{StdFs, format, load_str_with};

/// The model (as `Debug` prints it) and the diagnostics of `text` read from `path`.
fn read(path: &Path, text: &str, how: Parallel) -> (String, Vec<String>) {
    let loaded = load_str_with(path, text, &StdFs, how);
    let diags = loaded
        .diagnostics
        .iter()
        .map(|d| format!("{d:?}"))
        .collect();
    (format!("{:?}", loaded.topology), diags)
}

fn same(path: &Path, text: &str) {
    let whole = read(
        path,
        text,
        Parallel {
            threads: 1,
            piece_bytes: usize::MAX / 4,
        },
    );
    for piece_bytes in [64, 1000, 16 * 1024] {
        let how = Parallel {
            threads: 3,
            piece_bytes,
        };
        let cut = read(path, text, how);
        assert!(
            cut == whole,
            "{}: read in pieces of {piece_bytes} bytes, the result differs from the file read whole",
            path.display()
        );
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_yaml_file_of_the_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    yaml_files(&root.join("topologies"), &mut files);
    yaml_files(&root.join("tests"), &mut files);
    files.sort();
    assert!(files.len() > 50, "found {} files", files.len());
    let mut cut = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        same(path, &text);
        cut += usize::from(is_cut(&text));
    }
    // Every shipped topology is valid, so every one that is long enough is read in pieces.
    assert!(
        cut >= 20,
        "{cut} of {} files were read in pieces",
        files.len()
    );
}

/// True when `text` is read in pieces of 1,000 bytes (rather than whole).
fn is_cut(text: &str) -> bool {
    let file = SourceFile::new("t.yaml", text);
    let how = Parallel {
        threads: 2,
        piece_bytes: 1000,
    };
    pieces::in_pieces::<format::Topology>(SourceId(0), &file, how).is_some()
}

#[test]
fn generated_topologies() {
    for p in [
        Params::with_vpcs(120),
        Params {
            seed: 3,
            vpcs: 60,
            gateway_endpoints: true,
            sites: 3,
            outposts: 2,
            compact: true,
            ..Params::default()
        },
    ] {
        let text = generate(&p);
        same(Path::new("gen.yaml"), &text);
        assert!(is_cut(&text));
    }
}

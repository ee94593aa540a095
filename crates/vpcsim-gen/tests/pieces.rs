//! A topology read in pieces on several threads is the topology read whole: every YAML file of
//! the repository (valid, invalid and with warnings) and generated topologies, cut into pieces of
//! several sizes, give the same model and the same diagnostics as one piece.

mod common;

use std::path::Path;

use common::repository_yaml;

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
        assert!(
            pieces::plan(text, piece_bytes)
                == pieces::plan_looking_at_every_line(text, piece_bytes),
            "{}: the quick plan in pieces of {piece_bytes} bytes differs from the one looking at every line",
            path.display()
        );
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

#[test]
fn every_yaml_file_of_the_repository() {
    let files = repository_yaml();
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

/// Every node's span, in document order.
fn spans(node: &vpcsim_syntax::Node, out: &mut Vec<vpcsim_syntax::Span>) {
    out.push(node.span);
    match &node.kind {
        vpcsim_syntax::NodeKind::Scalar { .. } => {}
        vpcsim_syntax::NodeKind::Seq(items) => items.iter().for_each(|n| spans(n, out)),
        vpcsim_syntax::NodeKind::Map(entries) => entries.iter().for_each(|(k, v)| {
            spans(k, out);
            spans(v, out);
        }),
    }
}

/// Spans of an ASCII file are made from the parser's character index (`SourceFile::plain`);
/// other files find them through the line index. Both give the same spans: a comment with a
/// non-ASCII character appended after the document sends the same text down the second path.
#[test]
fn spans_from_the_parser_index_are_those_from_the_line_index() {
    let files = repository_yaml();
    let mut compared = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for text in [text.clone(), text.replace('\n', "\r\n")] {
            let tree = |text: String| {
                let file = SourceFile::new("f", text);
                let plain = file.plain();
                let diags = vpcsim_syntax::Diagnostics::new();
                let mut out = Vec::new();
                if let Some(root) = vpcsim_syntax::yaml::parse(SourceId(0), &file, &diags) {
                    spans(&root, &mut out);
                }
                (plain, out, diags.into_sorted().len())
            };
            let (fast, by_index, errors) = tree(text.clone());
            if !fast || errors > 0 || !text.ends_with('\n') {
                continue;
            }
            let (slow, by_lines, _) = tree(format!("{text}# é\n"));
            assert!(!slow);
            // The root mapping's end is where the document ends.
            assert_eq!(by_index[1..], by_lines[1..], "{}", path.display());
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared} files compared");
}

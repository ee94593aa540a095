//! `vpcsim import aws` on the committed dump of tests/import/aws (made by `run.py` from moto with
//! the real aws CLI): the import is the expected topology, it validates, and with
//! tests/import/aws/expect.yaml appended every expectation holds. Then the same dump, broken in
//! hundreds of ways, never gives a topology that does not validate.

use std::path::{Path, PathBuf};

mod common;
use common::{Rng, at_mut, errors, load, paths, root};

use serde_json::Value;
use vpcsim_import::aws::{self, Dump};

fn files() -> Vec<(Option<String>, String, Value)> {
    let dir = root().join("examples/import/aws");
    let mut out = Vec::new();
    let walk = |d: &Path, region: Option<String>, out: &mut Vec<_>| {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(d)
            .expect("dump folder")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for p in entries {
            if p.extension().is_some_and(|e| e == "json") {
                let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
                let v: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
                out.push((region.clone(), stem, v));
            }
        }
    };
    walk(&dir, None, &mut out);
    for r in ["us-east-1", "us-west-2"] {
        walk(&dir.join(r), Some(r.to_string()), &mut out);
    }
    out
}

fn dump_of(files: &[(Option<String>, String, Value)]) -> Dump {
    let mut d = Dump::new();
    for (r, stem, v) in files {
        d.insert(r.as_deref(), stem, v.clone());
    }
    d
}

#[test]
fn the_moto_account_imports_as_expected_and_its_expectations_hold() {
    let mut net = aws::import(&dump_of(&files()), "moto-account");
    let yaml = vpcsim_import::finish(&mut net, "vpcsim import aws examples/import/aws");
    expect_test::expect_file!["../../../tests/import/aws/expected.yaml"].assert_eq(&yaml);
    let loaded = load(&yaml);
    assert!(loaded.topology.is_some(), "{}", errors(&loaded));
    let with = format!(
        "{yaml}\n{}",
        std::fs::read_to_string(root().join("tests/import/aws/expect.yaml")).unwrap()
    );
    let loaded = load(&with);
    let topo = loaded
        .topology
        .as_ref()
        .unwrap_or_else(|| panic!("{}", errors(&loaded)));
    let result = vpcsim_engine::check(topo);
    assert_eq!(result.results.len(), 4);
    for r in &result.results {
        assert!(r.passed, "{}: {:?}", r.name, r.mismatches);
    }
}

#[test]
fn broken_input_never_gives_a_topology_that_does_not_validate() {
    let base = files();
    let replacements = [
        Value::Null,
        Value::Bool(true),
        Value::from(-1),
        Value::from(""),
        Value::from("10.0.1.0/24"),
        Value::from("999.1.1.1"),
        Value::from("vpc-9af3739bc4b716148"),
        Value::from("subnet-a8baee0e1fe19ba60"),
        Value::from("us-east-1z"),
        Value::from("::/0"),
        Value::from("a b/c:d\n#e"),
        Value::from("{\"Statement\": 3}"),
        Value::Array(vec![]),
        serde_json::json!({}),
    ];
    let mut rng = Rng(std::env::var("IMPORT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(42));
    let rounds: usize = std::env::var("IMPORT_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400);
    let mut wholesale = 0;
    for round in 0..rounds {
        let mut files = base.clone();
        for _ in 0..1 + rng.below(3) {
            let f = rng.below(files.len());
            let mut all = Vec::new();
            paths(&files[f].2, &mut Vec::new(), &mut all);
            let path = all[rng.below(all.len())].clone();
            let new = replacements[rng.below(replacements.len())].clone();
            let root_value = &mut files[f].2;
            if path.is_empty() {
                *root_value = new;
            } else if rng.below(4) == 0 {
                // Delete the key or element.
                let (last, parent) = path.split_last().unwrap();
                match at_mut(root_value, parent) {
                    Some(Value::Object(m)) => {
                        m.remove(last);
                    }
                    Some(Value::Array(a)) => {
                        if let Ok(i) = last.parse::<usize>()
                            && i < a.len()
                        {
                            a.remove(i);
                        }
                    }
                    _ => {}
                }
            } else if let Some(slot) = at_mut(root_value, &path) {
                *slot = new;
            }
        }
        let mut net = aws::import(&dump_of(&files), "broken");
        let yaml = vpcsim_import::finish(&mut net, "vpcsim import aws broken");
        let loaded = load(&yaml);
        assert!(
            loaded.topology.is_some(),
            "round {round}: the import of a broken dump does not validate:\n{}\n\n{yaml}",
            errors(&loaded)
        );
        // What could not be traced to an entity leaves the whole network out: that must stay
        // rare, or the importer is missing a check of its own.
        if yaml.contains("every VPC left out") {
            wholesale += 1;
        }
    }
    assert!(
        wholesale * 50 <= rounds,
        "{wholesale} of {rounds} broken dumps lost every VPC"
    );
}

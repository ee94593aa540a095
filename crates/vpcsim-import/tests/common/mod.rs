//! What the importers' tests share: loading what an import wrote, and breaking inputs at random
//! (deterministically) to hold every importer to "the output always loads".

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Loads topology text as `imported.yaml` at the root.
pub fn load(yaml: &str) -> vpcsim_topology::Loaded {
    vpcsim_topology::load_str(
        &root().join("imported.yaml"),
        yaml.to_string(),
        &vpcsim_topology::StdFs,
    )
}

/// Every diagnostic, rendered.
pub fn errors(loaded: &vpcsim_topology::Loaded) -> String {
    loaded
        .diagnostics
        .iter()
        .map(|d| d.render(&loaded.sources, false))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A small deterministic generator.
pub struct Rng(pub u64);

impl Rng {
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n.max(1) as u64) as usize
    }
}

/// Every value of `v` reachable by a path, as paths.
pub fn paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| {
            at.push(k.clone());
            paths(x, at, out);
            at.pop();
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| {
            at.push(i.to_string());
            paths(x, at, out);
            at.pop();
        }),
        _ => {}
    }
}

/// The value at `path`.
pub fn at_mut<'a>(mut cur: &'a mut Value, path: &[String]) -> Option<&'a mut Value> {
    for p in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(p)?,
            Value::Array(a) => a.get_mut(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

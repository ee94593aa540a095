//! `vpcsim matrix`: every sender against every endpoint or bucket, on all cores.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use rayon::prelude::*;
use vpcsim_engine::Engine;
use vpcsim_engine::matrix::{self, Cell, Destination};
use vpcsim_topology::model::Source;

use crate::trace::failures;
use crate::{load_valid, usage};

/// The output format of `vpcsim matrix`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum MatrixFormat {
    /// A table and a summary by reason.
    Text,
    /// One object per pair, and the summary.
    Json,
    /// One line per pair.
    Csv,
}

pub(crate) fn run(
    path: &Path,
    to: &[String],
    fail: &[String],
    key: &str,
    format: MatrixFormat,
) -> ExitCode {
    let topo = match load_valid(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let down = match failures(&topo, fail) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let mut dests: Vec<Destination> = Vec::new();
    for name in to {
        match matrix::find_destination(&topo, name) {
            Some(d) => dests.push(d),
            None => {
                let names = matrix::destination_names(&topo);
                return usage(
                    format!("no endpoint or bucket named '{name}'"),
                    vpcsim_syntax::suggest::hint(
                        name,
                        "destination",
                        names.iter().map(String::as_str),
                    ),
                );
            }
        }
    }
    if dests.is_empty() {
        dests = matrix::all_destinations(&topo);
    }
    let senders: Vec<(String, Source)> = topo
        .sender_names()
        .into_iter()
        .filter_map(|n| topo.find_sender(&n).ok().map(|s| (n, s)))
        .collect();
    if senders.is_empty() || dests.is_empty() {
        return usage(
            "nothing to ask: the topology has no sender (instance or host) or no destination (endpoint or bucket)".into(),
            "add instances or on-premises hosts, and endpoints or buckets".into(),
        );
    }
    let engine = Engine::new(&topo);
    let net = engine.network(&down);
    let started = std::time::Instant::now();
    // Every pair is one independent trace: spread the rows over the cores.
    let rows: Vec<Vec<Cell>> = senders
        .par_iter()
        .map(|(name, source)| {
            dests
                .iter()
                .map(|d| matrix::cell(&engine, &net, *source, name, *d, key))
                .collect()
        })
        .collect();
    let elapsed = started.elapsed();
    let labels: Vec<String> = dests.iter().map(|d| matrix::label(&topo, *d)).collect();
    let mut by_reason: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for c in rows.iter().flatten() {
        *by_reason.entry((c.verdict.as_str(), c.code)).or_default() += 1;
    }
    let pairs = senders.len() * dests.len();
    match format {
        MatrixFormat::Csv => {
            println!("source,destination,request,verdict,code,via,through");
            for ((name, _), row) in senders.iter().zip(&rows) {
                for ((d, label), c) in dests.iter().zip(&labels).zip(row) {
                    println!(
                        "{name},{label},\"{}\",{},{},{},{}",
                        matrix::probe(&topo, *d, key).replace('"', "\"\""),
                        c.verdict.as_str(),
                        c.code,
                        c.via.join(" "),
                        c.through.map_or(String::new(), |t| t.to_string())
                    );
                }
            }
        }
        MatrixFormat::Json => {
            let topo = &topo;
            let cells: Vec<serde_json::Value> = senders
                .iter()
                .zip(&rows)
                .flat_map(|((name, _), row)| {
                    dests.iter().zip(&labels).zip(row).map(move |((d, label), c)| {
                        serde_json::json!({
                            "source": name, "destination": label,
                            "request": matrix::probe(topo, *d, key),
                            "verdict": c.verdict.as_str(), "code": c.code, "via": c.via, "through": c.through,
                        })
                    })
                })
                .collect();
            let summary: Vec<serde_json::Value> = by_reason
                .iter()
                .map(|((v, code), n)| serde_json::json!({"verdict": v, "code": code, "pairs": n}))
                .collect();
            let out = serde_json::json!({ "pairs": cells, "summary": summary });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        MatrixFormat::Text => {
            let width = senders
                .iter()
                .map(|(n, _)| n.chars().count())
                .max()
                .unwrap_or(0);
            // A column is as wide as its heading or its widest word (`unreachable`, `allowed*`).
            let cols: Vec<usize> = labels.iter().map(|l| l.chars().count().max(11)).collect();
            let mut head = format!("{:width$}", "");
            for (l, w) in labels.iter().zip(&cols) {
                head.push_str(&format!("  {l:w$}"));
            }
            println!("{}", head.trim_end());
            for ((name, _), row) in senders.iter().zip(&rows) {
                let mut line = format!("{name:width$}");
                for (w, c) in cols.iter().zip(row) {
                    let mut word = c.verdict.as_str().to_string();
                    if c.through == Some(false) && c.verdict == vpcsim_engine::Verdict::Allowed {
                        word.push('*'); // reached, but not through this endpoint
                    }
                    line.push_str(&format!("  {word:w$}", w = *w));
                }
                println!("{}", line.trim_end());
            }
            println!();
            println!(
                "{} senders × {} destinations = {pairs} pairs",
                senders.len(),
                dests.len()
            );
            for ((v, code), n) in &by_reason {
                println!("  {n:>6}  {v:<11} {code}");
            }
            if rows
                .iter()
                .flatten()
                .any(|c| c.through == Some(false) && c.verdict == vpcsim_engine::Verdict::Allowed)
            {
                println!("  (allowed* : the service was reached, but not through that endpoint)");
            }
        }
    }
    // The time is the machine's, not the answer's: on standard error, so that the output is the
    // same on every run.
    eprintln!(
        "vpcsim: {pairs} pairs traced in {:.1} ms",
        elapsed.as_secs_f64() * 1000.0
    );
    ExitCode::SUCCESS
}

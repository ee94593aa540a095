//! `vpcsim trace` and `vpcsim check`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vpcsim_dns::Rotation;
use vpcsim_engine::{Engine, Options, Spread, Trace, check::ExpectationResult};
use vpcsim_topology::Topology;
use vpcsim_topology::model::LinkId;

use crate::{CheckFormat, Format, load_valid, usage};

/// How a traced request is made: who signs it, over which TLS version.
pub(crate) struct How<'a> {
    /// `--principal`.
    pub principal: Option<&'a str>,
    /// `--tls`.
    pub tls: Option<vpcsim_engine::TlsVersion>,
    /// `--header`, names in lowercase.
    pub headers: Vec<(String, String)>,
}

/// `--header 'NAME: VALUE'`.
pub(crate) fn header(text: &str) -> Result<(String, String), String> {
    vpcsim_topology::request::parse_header(text)
}

/// `--tls 1.2` / `1.3`.
pub(crate) fn tls_version(text: &str) -> Result<vpcsim_engine::TlsVersion, String> {
    vpcsim_engine::TlsVersion::parse(text).ok_or_else(|| {
        format!(
            "'{text}' is not a TLS version S3 negotiates: give 1.2 or 1.3 (S3 refuses 1.0 and 1.1)"
        )
    })
}

/// Parses `--fail LINK` / `LINK/TUNNEL`.
pub(crate) fn failures(
    topo: &Topology,
    fail: &[String],
) -> Result<Vec<(LinkId, Option<usize>)>, ExitCode> {
    fail.iter()
        .map(|f| topo.find_failure(f).map_err(|e| usage(e.message, e.hint)))
        .collect()
}

pub(crate) fn trace(
    path: &Path,
    from: &str,
    request: &str,
    fail: &[String],
    how: How<'_>,
    repeat: u32,
    format: Format,
) -> ExitCode {
    let How {
        principal,
        tls,
        headers,
    } = how;
    if headers.len() > vpcsim_topology::request::MAX_HEADERS {
        return usage(
            format!(
                "{} headers: a request carries at most {}",
                headers.len(),
                vpcsim_topology::request::MAX_HEADERS
            ),
            "give fewer --header options".into(),
        );
    }
    let topo = match load_valid(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let source = match topo.find_sender(from) {
        Ok(s) => s,
        Err(e) => return usage(e.message, e.hint),
    };
    let down = match failures(&topo, fail) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let opts = match principal.map(|p| topo.find_principal(p)) {
        None => Options {
            tls,
            headers,
            ..Options::default()
        },
        Some(Ok(p)) => Options {
            principal: Some(p),
            tls,
            headers,
        },
        Some(Err(e)) => return usage(e.message, e.hint),
    };
    let engine = Engine::new(&topo);
    let net = engine.network(&down);
    let mut rotation = Rotation::new();
    // Only the first trace is kept (it is the one shown, put in words); the others are only
    // counted, so a repetition costs a trace (data, no words) and memory does not grow with
    // `--repeat`.
    let mut first: Option<Trace> = None;
    let mut spread = Spread::default();
    for _ in 0..repeat.max(1) {
        match engine.trace(&net, source, from, request, &opts, &mut rotation) {
            Ok(t) => {
                spread.add(&t);
                first.get_or_insert(t);
            }
            Err(e) => return usage(e.to_string(), "write `METHOD URL` (GET https://bucket.s3.us-east-1.amazonaws.com/key), a URL, or HOST:PORT".into()),
        }
    }
    let Some(mut first) = first else {
        return ExitCode::SUCCESS;
    };
    engine.render(&mut first);
    match format {
        Format::Text => {
            print!("{}", vpcsim_report::text::trace(&first, fail));
            if repeat > 1 {
                print!("{}", spread_text(&spread));
            }
        }
        Format::Json => {
            let mut v = vpcsim_report::json::trace(&topo, &first);
            if repeat > 1 {
                v["spread"] = serde_json::json!(
                    spread
                        .by_destination
                        .iter()
                        .map(|(k, (n, verdicts))| serde_json::json!({"destination": k.map_or("(none)".into(), |d| d.to_string()), "requests": n, "verdicts": verdicts}))
                        .collect::<Vec<_>>()
                );
            }
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    crate::exit_without_freeing((net, engine));
    crate::exit_without_freeing(topo);
    ExitCode::SUCCESS
}

/// The most repetitions `trace --repeat` takes (docs/reliability.md).
pub(crate) const MAX_REPEAT: u32 = 100_000;

/// Parses `--repeat N`: at most [`MAX_REPEAT`].
pub(crate) fn repeat_count(s: &str) -> Result<u32, String> {
    let digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits {
        return Err(format!("'{s}' is not a number of requests"));
    }
    let n: u64 = s.parse().unwrap_or(u64::MAX);
    if n > u64::from(MAX_REPEAT) {
        return Err(format!(
            "at most {MAX_REPEAT} requests: the spread over addresses follows a fixed rotation, \
             which a few hundred requests show in full"
        ));
    }
    Ok(n as u32)
}

/// What `--repeat` prints: requests per destination address, with their verdicts.
fn spread_text(spread: &Spread) -> String {
    let mut out = format!("\nspread of {} requests:\n", spread.total);
    for (dst, (n, verdicts)) in &spread.by_destination {
        let v: Vec<String> = verdicts.iter().map(|(k, c)| format!("{c} {k}")).collect();
        let dst = dst.map_or("(none)".into(), |d| d.to_string());
        out.push_str(&format!(
            "  {dst:<16} {n:>6}  {:>5.1}%  ({})\n",
            100.0 * *n as f64 / spread.total as f64,
            v.join(", ")
        ));
    }
    out
}

pub(crate) fn check(
    files: &[PathBuf],
    format: CheckFormat,
    verbose: bool,
    warnings: crate::Warnings,
) -> ExitCode {
    let mut failed = 0;
    let mut all: Vec<(PathBuf, Vec<ExpectationResult>)> = Vec::new();
    let mut broken: Option<ExitCode> = None;
    for path in files {
        let topo = match crate::load_valid_with(path, warnings) {
            Ok(t) => t,
            Err(code) => {
                // Report the other files anyway; an unreadable file (2) outranks an invalid one (1).
                if broken.is_none() || code == ExitCode::from(2) {
                    broken = Some(code);
                }
                continue;
            }
        };
        let result = vpcsim_engine::check(&topo);
        failed += result.failed();
        all.push((path.clone(), result.results));
        crate::exit_without_freeing(topo);
    }
    match format {
        CheckFormat::Text => {
            for (path, results) in &all {
                let n_failed = results.iter().filter(|r| !r.passed).count();
                for r in results {
                    if r.passed && !verbose {
                        continue;
                    }
                    let scenario = r
                        .scenario
                        .as_ref()
                        .map(|s| format!("[{}] ", text(s)))
                        .unwrap_or_default();
                    let mark = if r.passed { "pass" } else { "FAIL" };
                    println!(
                        "{mark} {}:{}: {scenario}{}",
                        text(&path.display().to_string()),
                        r.span.line,
                        text(&r.name)
                    );
                    if !r.passed {
                        for m in &r.mismatches {
                            println!("       {}", text(m));
                        }
                        println!("       actual: {}", text(&r.actual));
                    }
                }
                println!(
                    "{}: {} expectations, {} passed, {} failed",
                    text(&path.display().to_string()),
                    results.len(),
                    results.len() - n_failed,
                    n_failed
                );
            }
        }
        CheckFormat::Json => {
            let v: Vec<serde_json::Value> = all
                .iter()
                .map(|(p, rs)| serde_json::json!({
                    "file": p.display().to_string(),
                    "results": rs.iter().map(|r| serde_json::json!({
                        "name": r.name, "scenario": r.scenario, "line": r.span.line, "passed": r.passed,
                        "mismatches": r.mismatches, "actual": r.actual,
                    })).collect::<Vec<_>>(),
                }))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "files": v, "failed": failed }))
                    .unwrap_or_default()
            );
        }
        CheckFormat::Junit => print!("{}", junit(&all)),
    }
    // A file with nothing to check passes nothing: in CI that would be a silent green.
    let mut empty = 0;
    for (path, results) in &all {
        if results.is_empty() {
            empty += 1;
            eprintln!(
                "error: {} has no expectations: nothing was checked",
                text(&path.display().to_string())
            );
            eprintln!(
                "  help: add `expect:` entries (or scenarios with them); `vpcsim validate` checks a file without expectations"
            );
        }
    }
    match broken {
        Some(code) => code,
        None if failed > 0 || empty > 0 => ExitCode::from(1),
        None => ExitCode::SUCCESS,
    }
}

/// `s` for XML 1.0 attribute values and text. XML 1.0 forbids most control characters even as
/// character references (a parser stops at `&#1;` as at a raw U+0001), so they, the others a
/// terminal would act on (ESC, newlines, bidirectional overrides) and the non-characters U+FFFE
/// and U+FFFF are written as visible escapes (`\u{1}`, `\n`), then markup characters as entities.
fn xml(s: &str) -> String {
    let visible = vpcsim_syntax::text::escape(s);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\u{FFFE}' | '\u{FFFF}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// `s` for the text report: control characters (newlines included) and bidirectional overrides
/// escaped visibly, so that a name cannot print a line of its own (`FAIL …`), move the cursor or
/// reorder what is shown.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    vpcsim_syntax::text::escape(s)
}

fn junit(all: &[(PathBuf, Vec<ExpectationResult>)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (path, results) in all {
        let failures = results.iter().filter(|r| !r.passed).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\">\n",
            xml(&path.display().to_string()),
            results.len()
        ));
        for r in results {
            let name = match &r.scenario {
                Some(s) => format!("[{s}] {}", r.name),
                None => r.name.clone(),
            };
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\" line=\"{}\"",
                xml(&path.display().to_string()),
                xml(&name),
                xml(&path.display().to_string()),
                r.span.line
            ));
            if r.passed {
                out.push_str("/>\n");
            } else {
                out.push_str(&format!(
                    ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>\n",
                    xml(&r.mismatches.join("; ")),
                    xml(&format!("actual: {}", r.actual))
                ));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

//! Running expectations: each `expect:` of a topology and of each scenario, compared with a trace
//! or a resolution.

use vpcsim_dns::Rotation;
use vpcsim_topology::Topology;
use vpcsim_topology::model::{Check, Expectation, LinkId};

use crate::{Engine, Network, Options, Spread, Trace};

/// The result of one expectation.
#[derive(Clone, Debug)]
pub struct ExpectationResult {
    /// The expectation's name.
    pub name: String,
    /// The scenario it belongs to (`None`: top level).
    pub scenario: Option<String>,
    /// Passed.
    pub passed: bool,
    /// What differs, one line each.
    pub mismatches: Vec<String>,
    /// What happened, in one line (verdict and reason, or DNS status and answer).
    pub actual: String,
    /// The trace, for request expectations.
    pub trace: Option<Trace>,
    /// Where the expectation is written.
    pub span: vpcsim_topology::model::Span,
}

/// The results for a topology.
#[derive(Clone, Debug, Default)]
pub struct CheckResult {
    /// One per expectation, in file order (scenarios after the top level).
    pub results: Vec<ExpectationResult>,
}

impl CheckResult {
    /// Number of failed expectations.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.passed).count()
    }
}

/// Checks one expectation with the given failed links.
pub fn check_expectation(
    engine: &Engine,
    net: &Network,
    exp: &Expectation,
    scenario: Option<&str>,
) -> ExpectationResult {
    let topo = engine.topo;
    let mut mismatches = Vec::new();
    let (actual, trace) = match &exp.check {
        Check::Request {
            request,
            principal,
            headers,
            verdict,
            via,
            denied_by,
            reason,
            spread,
        } => {
            let opts = Options {
                principal: *principal,
                headers: headers.clone(),
                ..Options::default()
            };
            let from = source_name(topo, exp);
            let mut rotation = Rotation::new();
            match engine.trace(net, exp.from, &from, request, &opts, &mut rotation) {
                Err(e) => {
                    mismatches.push(e.to_string());
                    (e.to_string(), None)
                }
                Ok(mut t) => {
                    // The result shows the trace and its reason: in words.
                    engine.render(&mut t);
                    if t.verdict != *verdict {
                        mismatches.push(format!(
                            "verdict: expected {}, got {}",
                            verdict.as_str(),
                            t.verdict.as_str()
                        ));
                    }
                    let comps = t.components(topo);
                    let names: Vec<String> = comps.iter().map(|c| c.to_string()).collect();
                    if !is_subsequence(topo, via, &names) {
                        mismatches.push(format!(
                            "via: expected [{}] in this order, the path passed [{}]",
                            via.join(", "),
                            names.join(", ")
                        ));
                    }
                    if let Some(want) = denied_by {
                        let got = t.deciding();
                        if !got.iter().any(|g| g == want) {
                            mismatches.push(format!(
                                "denied_by: expected {want}, decided by [{}]",
                                got.join(", ")
                            ));
                        }
                    }
                    if let Some(want) = reason
                        && want != t.code
                        && want != t.disposition.as_str()
                    {
                        mismatches.push(format!(
                            "reason: expected {want}, got {} ({})",
                            t.code,
                            t.disposition.as_str()
                        ));
                    }
                    let mut actual = format!("{} ({}: {})", t.verdict.as_str(), t.code, t.reason);
                    if let Some(want) = spread {
                        // The first request is the one above; the others follow it in the same
                        // rotation, as `vpcsim trace --repeat` sends them.
                        let mut counted = Spread::default();
                        counted.add(&t);
                        for _ in 1..want.repeat {
                            match engine.trace(net, exp.from, &from, request, &opts, &mut rotation)
                            {
                                Ok(next) => counted.add(&next),
                                Err(e) => {
                                    mismatches.push(e.to_string());
                                    break;
                                }
                            }
                        }
                        let expected = if want.over.is_empty() {
                            resolved(&t)
                        } else {
                            want.over.clone()
                        };
                        if let Some(why) = counted.compare(&expected, want.tolerance) {
                            mismatches.push(why);
                        }
                        let other = counted.other_verdicts(*verdict);
                        if other > 0 {
                            mismatches.push(format!(
                                "spread: {other} of {} requests were not {}",
                                counted.total,
                                verdict.as_str()
                            ));
                        }
                        actual.push_str(&format!("; spread: {}", counted.summary()));
                    }
                    (actual, Some(t))
                }
            }
        }
        Check::Resolve { .. } => {
            let paths = crate::trace::PathNet { engine, net };
            match vpcsim_dns::check_expectation(&engine.dns, topo, exp, &paths) {
                Ok(res) => (describe_dns(&res), None),
                Err(e) => {
                    let (res, why) = *e;
                    mismatches.push(why);
                    (describe_dns(&res), None)
                }
            }
        }
    };
    ExpectationResult {
        name: exp.name.clone(),
        scenario: scenario.map(str::to_string),
        passed: mismatches.is_empty(),
        mismatches,
        actual,
        trace,
        span: exp.span,
    }
}

/// A `diagnostics:` entry: the warning `code` must be among those loading raised.
fn expected_diagnostic(
    topo: &Topology,
    code: &str,
    span: vpcsim_topology::model::Span,
) -> ExpectationResult {
    let lines: Vec<String> = topo
        .warnings
        .iter()
        .filter(|(c, _)| *c == code)
        .map(|(_, at)| at.map_or("?".into(), |s| s.line.to_string()))
        .collect();
    let mut mismatches = Vec::new();
    let actual = if lines.is_empty() {
        let mut raised: Vec<&str> = topo.warnings.iter().map(|(c, _)| *c).collect();
        raised.sort_unstable();
        raised.dedup();
        mismatches.push(format!(
            "diagnostics: expected warning {code}, which this topology does not raise"
        ));
        if raised.is_empty() {
            "no warning raised".to_string()
        } else {
            format!("warnings raised: {}", raised.join(", "))
        }
    } else {
        format!("{code} raised at line {}", lines.join(", "))
    };
    ExpectationResult {
        name: format!("warning {code}"),
        scenario: None,
        passed: mismatches.is_empty(),
        mismatches,
        actual,
        trace: None,
        span,
    }
}

/// The addresses the request's name resolved to (its destination when it named an address).
fn resolved(t: &Trace) -> Vec<std::net::IpAddr> {
    let mut out: Vec<std::net::IpAddr> = match &t.dns {
        Some(res) => res
            .answers
            .iter()
            .flat_map(|set| set.data.iter())
            .filter_map(|d| d.to_string().parse().ok())
            .collect(),
        None => t.destination.into_iter().collect(),
    };
    out.sort();
    out.dedup();
    out
}

fn describe_dns(res: &vpcsim_dns::Resolution) -> String {
    let addrs: Vec<String> = res
        .answers
        .iter()
        .flat_map(|s| s.data.iter().map(|d| d.to_string()))
        .collect();
    if addrs.is_empty() {
        res.status().to_string()
    } else {
        format!("{} [{}]", res.status(), addrs.join(", "))
    }
}

fn source_name(topo: &Topology, exp: &Expectation) -> String {
    use vpcsim_topology::model::Source;
    match exp.from {
        Source::Instance(i) => {
            let inst = &topo.instances[i.index()];
            format!("{}/{}", topo.vpcs[inst.vpc.index()].name, inst.name)
        }
        Source::Host(h) => {
            let host = &topo.hosts[h.index()];
            format!("{}/{}", topo.sites[host.site.index()].name, host.name)
        }
        Source::Service(s) => format!("aws/{}", s.name()),
        other => format!("{other:?}"),
    }
}

/// True when `want` appears in `got` in order (endpoint ids may stand for endpoint names).
fn is_subsequence(topo: &Topology, want: &[String], got: &[String]) -> bool {
    let canon = |s: &str| -> String {
        topo.endpoints
            .iter()
            .find(|e| e.aws_id == s)
            .map(|e| e.name.clone())
            .unwrap_or_else(|| s.to_string())
    };
    let mut it = got.iter();
    want.iter().all(|w| {
        let w = canon(w);
        it.any(|g| *g == w)
    })
}

/// Runs every expectation of the topology and of each scenario.
pub fn check(topo: &Topology) -> CheckResult {
    let engine = Engine::new(topo);
    let base = engine.network(&[]);
    check_with(&engine, &base)
}

/// [`check`] with an engine and its network without failures already built (a server keeps them
/// per topology it serves).
pub fn check_with(engine: &Engine, base: &Network) -> CheckResult {
    let topo = engine.topo;
    let mut out = CheckResult::default();
    for (code, span) in &topo.expected_diagnostics {
        out.results.push(expected_diagnostic(topo, code, *span));
    }
    for exp in &topo.expectations {
        out.results.push(check_expectation(engine, base, exp, None));
    }
    for s in &topo.scenarios {
        let down: Vec<(LinkId, Option<usize>)> = s.fail.clone();
        let net = engine.network(&down);
        for exp in &s.expectations {
            out.results
                .push(check_expectation(engine, &net, exp, Some(&s.name)));
        }
    }
    out
}

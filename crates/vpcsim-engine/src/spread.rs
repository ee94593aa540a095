//! How repeated requests spread over the addresses of a name (`vpcsim trace --repeat`, `spread:`
//! expectations): counted as they are traced, so memory does not grow with their number.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::{Trace, Verdict};

/// Requests per destination address, with the verdicts each got.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Spread {
    /// Requests counted.
    pub total: u64,
    /// Per destination (`None`: the request reached no address), in address order: the number of
    /// requests and how many got each verdict.
    pub by_destination: BTreeMap<Option<IpAddr>, (u64, BTreeMap<&'static str, u64>)>,
}

impl Spread {
    /// Counts one request.
    pub fn add(&mut self, t: &Trace) {
        self.total += 1;
        let e = self.by_destination.entry(t.destination).or_default();
        e.0 += 1;
        *e.1.entry(t.verdict.as_str()).or_insert(0) += 1;
    }

    /// Requests sent to `addr`.
    pub fn count(&self, addr: IpAddr) -> u64 {
        self.by_destination.get(&Some(addr)).map_or(0, |e| e.0)
    }

    /// Requests that did not get `verdict`.
    pub fn other_verdicts(&self, verdict: Verdict) -> u64 {
        self.by_destination
            .values()
            .flat_map(|(_, v)| v.iter())
            .filter(|(k, _)| **k != verdict.as_str())
            .map(|(_, n)| n)
            .sum()
    }

    /// `ADDRESS COUNT, …`, for reports.
    pub fn summary(&self) -> String {
        self.by_destination
            .iter()
            .map(|(d, (n, _))| match d {
                Some(a) => format!("{a} {n}"),
                None => format!("(no address) {n}"),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// How the spread differs from `want`: the `expected` addresses (none: every address seen)
    /// each within `tolerance` (a fraction) of an even share, and no request elsewhere. `None`
    /// when it holds; else the lines to report.
    pub fn compare(&self, expected: &[IpAddr], tolerance: f64) -> Option<String> {
        let even = self.total as f64 / expected.len().max(1) as f64;
        let (low, high) = (even * (1.0 - tolerance), even * (1.0 + tolerance));
        let uneven = expected.iter().any(|a| {
            let n = self.count(*a) as f64;
            n < low - 1e-9 || n > high + 1e-9
        });
        let elsewhere = self
            .by_destination
            .keys()
            .any(|d| !d.is_some_and(|a| expected.contains(&a)));
        if !uneven && !elsewhere {
            return None;
        }
        let want: Vec<String> = expected.iter().map(|a| a.to_string()).collect();
        Some(format!(
            "spread: expected {} requests evenly over {} ({:.1} each, ± {:.0}%), got {}",
            self.total,
            want.join(", "),
            even,
            tolerance * 100.0,
            self.summary()
        ))
    }
}

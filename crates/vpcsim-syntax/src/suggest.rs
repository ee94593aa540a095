//! "Did you mean …?" hints.

/// The candidate closest to `wanted`, if one is close enough to be a likely typo.
pub fn closest<'a, I>(wanted: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let wanted_lower = wanted.to_ascii_lowercase();
    let mut best: Option<(f64, &'a str)> = None;
    for candidate in candidates {
        let lower = candidate.to_ascii_lowercase();
        let score = if lower == wanted_lower {
            1.0
        } else {
            // Jaro-Winkler misses a swap in a short word (`tpc`, `bpg`): one edit (a swap
            // included) away from a word of three letters or more is close too.
            let one_edit = wanted_lower.len().min(lower.len()) >= 3
                && strsim::osa_distance(&wanted_lower, &lower) == 1;
            let jw = strsim::jaro_winkler(&wanted_lower, &lower);
            if one_edit { jw.max(0.85) } else { jw }
        };
        if score >= 0.8 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// A help line: `did you mean 'x'?` when one candidate is close, else the list of what exists.
pub fn hint<'a, I>(wanted: &str, what: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: Clone,
{
    let iter = candidates.into_iter();
    if let Some(best) = closest(wanted, iter.clone()) {
        return format!("did you mean '{best}'?");
    }
    let all: Vec<&str> = iter.collect();
    match all.len() {
        0 => format!("there is no {what} defined here"),
        1..=12 => format!("known {what}s: {}", all.join(", ")),
        n => format!(
            "known {what}s: {}, … ({} more)",
            all[..12].join(", "),
            n - 12
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["endpoints-a", "endpoints-b", "app-a"];
        assert_eq!(closest("endpoint-a", names), Some("endpoints-a"));
        assert_eq!(closest("zzz", names), None);
        assert_eq!(closest("tpc", ["tcp", "udp", "icmp", "all"]), Some("tcp"));
        assert_eq!(closest("bpg", ["static", "bgp"]), Some("bgp"));
        assert_eq!(closest("ab", ["ba"]), None);
        assert_eq!(
            hint("zzz", "subnet", names),
            "known subnets: endpoints-a, endpoints-b, app-a"
        );
        assert_eq!(hint("ap-a", "subnet", names), "did you mean 'app-a'?");
        assert_eq!(hint("x", "subnet", []), "there is no subnet defined here");
    }
}

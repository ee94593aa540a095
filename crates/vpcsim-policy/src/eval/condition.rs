//! Condition operators applied to request values.
//!
//! Every negated operator is evaluated as NOT of its positive counterpart
//! (`StringNotEquals` = not `StringEquals`), so one value test per operator family suffices.

use std::net::IpAddr;

use ipnet::IpNet;

use super::Keys;
use super::pattern::{Expand, Tok, matches};
use crate::{BaseOperator, Condition, SetQualifier};

/// Whether one condition (operator, key, values) holds for the request context.
///
/// - Key absent, or present with an empty set of values (both are a null data set to IAM):
///   `Null` → its value says; `ForAllValues` → true and `ForAnyValue` → false, with or without
///   `…IfExists` (the set qualifier decides first: "ForAllValues … also returns true if there are
///   no context keys in the request", ForAnyValue is false for a missing key or a null data set,
///   and AWS is observed to deny through `ForAnyValue:StringEqualsIfExists` when the key is
///   absent); otherwise `…IfExists` → true, negated operators → true and positive ones → false.
///   Sources: IAM's "Single-valued vs. multivalued context keys" and "Condition operators"
///   (`…IfExists`); see docs/decisions.md.
/// - The condition's values are OR'ed: a request value *matches* when it matches any of them.
/// - `ForAllValues`: every request value must pass; `ForAnyValue`: at least one must. A request value
///   passes a positive operator when it matches, a negated one when it matches none of the values.
/// - No set qualifier: a positive operator holds when any request value matches; a negated operator
///   holds when no request value matches (NOT of the OR over every pair). For a single-valued key
///   both readings agree with IAM; for multivalued keys IAM asks for a qualifier.
pub(crate) fn holds(cond: &Condition, ctx: &dyn Keys, vars: Option<&dyn Keys>) -> bool {
    let op = cond.operator;
    let values = ctx.get(&cond.key).filter(|v| !v.is_empty());
    if op.base == BaseOperator::Null {
        let want_absent = cond.values.iter().any(|v| v.eq_ignore_ascii_case("true"));
        let want_present = cond.values.iter().any(|v| v.eq_ignore_ascii_case("false"));
        return if values.is_none() {
            want_absent
        } else {
            want_present
        };
    }
    let Some(values) = values else {
        return match op.set {
            Some(SetQualifier::ForAllValues) => true,
            Some(SetQualifier::ForAnyValue) => false,
            None => op.if_exists || op.base.is_negated(),
        };
    };
    let positive = positive(op.base);
    let negated = op.base.is_negated();
    let expand = Expand {
        vars: if allows_variables(positive) {
            vars
        } else {
            None
        },
        wildcards: matches!(
            positive,
            BaseOperator::StringLike | BaseOperator::ArnEquals | BaseOperator::ArnLike
        ),
    };
    let matches_any = |value: &str| {
        if positive == BaseOperator::StringEquals
            && let Some(hit) = cond.has_literal(value)
        {
            return hit;
        }
        cond.values
            .iter()
            .any(|c| value_matches(positive, expand, c, value))
    };
    match op.set {
        Some(SetQualifier::ForAllValues) => values.iter().all(|v| matches_any(v) != negated),
        Some(SetQualifier::ForAnyValue) => values.iter().any(|v| matches_any(v) != negated),
        None => values.iter().any(matches_any) != negated,
    }
}

/// IAM substitutes policy variables in string and ARN operators only.
fn allows_variables(op: BaseOperator) -> bool {
    use BaseOperator::*;
    matches!(
        op,
        StringEquals | StringEqualsIgnoreCase | StringLike | ArnEquals | ArnLike
    )
}

/// The positive operator a negated one inverts (itself for positive operators).
fn positive(op: BaseOperator) -> BaseOperator {
    use BaseOperator::*;
    match op {
        StringNotEquals => StringEquals,
        StringNotEqualsIgnoreCase => StringEqualsIgnoreCase,
        StringNotLike => StringLike,
        NumericNotEquals => NumericEquals,
        DateNotEquals => DateEquals,
        NotIpAddress => IpAddress,
        ArnNotEquals => ArnEquals,
        ArnNotLike => ArnLike,
        other => other,
    }
}

/// Whether the request value `value` matches the condition value `cond` under positive operator `op`.
fn value_matches(op: BaseOperator, expand: Expand, cond: &str, value: &str) -> bool {
    use BaseOperator::*;
    match op {
        StringEquals | StringEqualsIgnoreCase | StringLike => match op {
            StringEquals => expand.literal_eq(cond, value),
            StringEqualsIgnoreCase => expand.matches(cond, value, true),
            _ => expand.matches(cond, value, false),
        },
        NumericEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => match (number(value), number(cond)) {
            (Some(v), Some(c)) => compare(op, v.partial_cmp(&c)),
            _ => false,
        },
        DateEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => match (date_millis(value), date_millis(cond)) {
            (Some(v), Some(c)) => compare(op, Some(v.cmp(&c))),
            _ => false,
        },
        Bool => {
            let b = |s: &str| match s.to_ascii_lowercase().as_str() {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            };
            matches!((b(value), b(cond)), (Some(v), Some(c)) if v == c)
        }
        BinaryEquals => matches!((base64(value), base64(cond)), (Some(v), Some(c)) if v == c),
        IpAddress => match (value.trim().parse::<IpAddr>(), network(cond)) {
            (Ok(ip), Some(net)) => net.contains(&ip),
            _ => false,
        },
        ArnEquals | ArnLike => arn_matches(expand, cond, value),
        // Negated operators and Null are handled by the caller.
        _ => false,
    }
}

/// Maps an ordering to the verdict of a comparison operator (Numeric* and Date* alike).
fn compare(op: BaseOperator, ord: Option<std::cmp::Ordering>) -> bool {
    use BaseOperator::*;
    use std::cmp::Ordering::*;
    let Some(ord) = ord else { return false };
    match op {
        NumericEquals | DateEquals => ord == Equal,
        NumericLessThan | DateLessThan => ord == Less,
        NumericLessThanEquals | DateLessThanEquals => ord != Greater,
        NumericGreaterThan | DateGreaterThan => ord == Greater,
        NumericGreaterThanEquals | DateGreaterThanEquals => ord != Less,
        _ => false,
    }
}

pub(crate) fn number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|n| n.is_finite())
}

/// A CIDR block, or a single address as a host network.
pub(crate) fn network(s: &str) -> Option<IpNet> {
    let s = s.trim();
    s.parse::<IpNet>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(IpNet::from))
}

/// `ArnEquals`/`ArnLike`: each of the six colon-separated parts is matched on its own, with `*` and
/// `?` wildcards that cannot cross a colon between parts (the resource part keeps its colons).
fn arn_matches(expand: Expand, cond: &str, value: &str) -> bool {
    let Some(pat) = expand.pattern(cond) else {
        return false;
    };
    let pat_parts = split_pattern(&pat);
    let val_parts: Vec<&str> = value.splitn(6, ':').collect();
    if pat_parts.len() != 6 || val_parts.len() != 6 {
        // Not an ARN on either side: `*` alone still matches any ARN.
        return pat == [Tok::Star] && val_parts.len() == 6;
    }
    pat_parts
        .iter()
        .zip(&val_parts)
        .all(|(p, v)| matches(p, v, false))
}

fn split_pattern(pat: &[Tok]) -> Vec<Vec<Tok>> {
    let mut parts = vec![Vec::new()];
    for t in pat {
        if *t == Tok::Lit(':') && parts.len() < 6 {
            parts.push(Vec::new());
        } else {
            parts.last_mut().expect("one part").push(*t);
        }
    }
    parts
}

/// Standard or URL-safe base64, padding optional; `None` when not base64.
pub(crate) fn base64(s: &str) -> Option<Vec<u8>> {
    let s = s.trim().trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return None; // a lone trailing character carries no full byte
    }
    Some(out)
}

/// Milliseconds since the Unix epoch for an ISO 8601 date (`2024-05-01`,
/// `2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.250+02:00`, `20240501T120000Z`) or epoch seconds
/// (`1714564800`, fractions allowed). A date-time without a zone is read as UTC.
pub(crate) fn date_millis(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && !s[1..].contains('-')
    {
        // Epoch seconds. (ISO dates always have a '-' after the year, or 'T' in basic form;
        // 8-digit basic dates without 'T' are ambiguous, IAM reads plain numbers as epoch.)
        let secs: f64 = s.parse().ok()?;
        return Some((secs * 1000.0).round() as i64);
    }
    let (date, time) = match s.split_once(['T', 't', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty();
    let (y, m, d) = if date.len() == 8 && digits(date) {
        (&date[..4], &date[4..6], &date[6..])
    } else {
        let mut it = date.split('-');
        let parts = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        parts
    };
    if !(digits(y) && y.len() == 4 && digits(m) && m.len() == 2 && digits(d) && d.len() == 2) {
        return None;
    }
    let (y, m, d): (i64, u32, u32) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    let mut millis = days_from_civil(y, m, d) * 86_400_000;
    if let Some(time) = time {
        // Split off the zone: Z, +hh:mm, -hh:mm, +hhmm, +hh.
        let (clock, offset_min) = if let Some(c) = time.strip_suffix(['Z', 'z']) {
            (c, 0)
        } else if let Some(i) = time.rfind(['+', '-']) {
            let (c, z) = time.split_at(i);
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let z = z[1..].replace(':', "");
            if !digits(&z) || !(z.len() == 2 || z.len() == 4) {
                return None;
            }
            let h: i64 = z[..2].parse().ok()?;
            let mm: i64 = if z.len() == 4 {
                z[2..].parse().ok()?
            } else {
                0
            };
            (c, sign * (h * 60 + mm))
        } else {
            (time, 0)
        };
        let (hms, frac) = match clock.split_once(['.', ',']) {
            Some((a, f)) if digits(f) => (a, f),
            Some(_) => return None,
            None => (clock, ""),
        };
        let hms = hms.replace(':', "");
        if !digits(&hms) || !(hms.len() == 4 || hms.len() == 6) {
            return None;
        }
        let h: i64 = hms[..2].parse().ok()?;
        let mi: i64 = hms[2..4].parse().ok()?;
        let se: i64 = if hms.len() == 6 {
            hms[4..].parse().ok()?
        } else {
            0
        };
        if h > 24 || mi > 59 || se > 60 {
            return None;
        }
        let ms: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<3}")[..3].parse().ok()?
        };
        millis += ((h * 60 + mi) * 60 + se) * 1000 + ms - offset_min * 60_000;
    }
    Some(millis)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(date_millis("1970-01-01"), Some(0));
        assert_eq!(date_millis("1970-01-02T00:00:00Z"), Some(86_400_000));
        assert_eq!(date_millis("2024-05-01T12:00:00Z"), Some(1_714_564_800_000));
        assert_eq!(
            date_millis("2024-05-01T14:00:00+02:00"),
            Some(1_714_564_800_000)
        );
        assert_eq!(
            date_millis("2024-05-01T12:00:00.5Z"),
            Some(1_714_564_800_500)
        );
        assert_eq!(date_millis("20240501T120000Z"), Some(1_714_564_800_000));
        assert_eq!(date_millis("1714564800"), Some(1_714_564_800_000));
        assert_eq!(date_millis("2000-02-29"), Some(951_782_400_000));
        assert_eq!(date_millis("2023-02-29"), None);
        assert_eq!(date_millis("yesterday"), None);
        assert_eq!(date_millis("2024-13-01"), None);
    }

    #[test]
    fn base64_decodes() {
        assert_eq!(base64("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("aGVsbG8").as_deref(), Some(&b"hello"[..]));
        assert_eq!(base64("not base64!"), None);
    }
}

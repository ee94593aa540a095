//! Checks in the spirit of IAM Access Analyzer's policy validation
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html>):
//! valid policies that name what does not exist or cannot match. [`lint`] returns data — a code,
//! the place, and what was found — and the caller writes the sentences.

use vpcsim_syntax::{Span, suggest};

use crate::catalog::{self, KeyType, Resource};
use crate::{BaseOperator, Effect, Policy, PolicyKind, Principal, PrincipalType};

/// One finding of [`lint`].
#[derive(Clone, Debug, PartialEq)]
pub struct Lint {
    /// Where: the action, resource, condition key, principal or statement.
    pub span: Span,
    /// What was found.
    pub kind: LintKind,
}

/// What a [`Lint`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum LintKind {
    /// An S3 action (or pattern) that names no S3 action: `s3:GetObjcet`.
    UnknownAction {
        /// As written.
        action: String,
        /// The closest known action, with its prefix.
        suggestion: Option<String>,
    },
    /// An S3 action whose resource type no `Resource` of the statement can be: `s3:GetObject` on
    /// `arn:aws:s3:::bucket` only.
    ActionResourceMismatch {
        /// As written.
        action: String,
        /// The resource type the action applies to.
        applies_to: Resource,
        /// The statement's resources, as written.
        resources: Vec<String>,
    },
    /// A global or S3 condition key vpcsim does not know: `aws:SourceVpcee`.
    UnknownConditionKey {
        /// As written.
        key: String,
        /// The closest known key.
        suggestion: Option<&'static str>,
    },
    /// A `Sid` used by an earlier statement of the same policy.
    DuplicateSid {
        /// The Sid.
        sid: String,
    },
    /// `Allow` with `NotAction`: it allows every action not listed, of every service.
    AllowWithNotAction,
    /// `Allow` with `NotResource`: it allows on every resource not listed.
    AllowWithNotResource,
    /// A `Resource` that starts as an ARN but is not one (`arn:aws:s3::bucket`).
    InvalidArn {
        /// As written.
        arn: String,
    },
    /// An `AWS` principal that is neither `*`, an account id, nor an IAM or STS ARN.
    InvalidPrincipal {
        /// As written.
        principal: String,
    },
    /// An action the statement lists twice, or that another of its actions covers
    /// (`s3:GetObject` beside `s3:Get*`).
    RedundantAction {
        /// As written.
        action: String,
        /// The action or pattern that covers it.
        covered_by: String,
    },
    /// A condition operator whose type does not fit the key's (Access Analyzer's "Type
    /// mismatch"): `NumericLessThan` on `aws:SourceIp`, `IpAddress` on `aws:username`,
    /// `DateGreaterThan` on `s3:prefix`. String operators fit every key, and `Null` too.
    OperatorMismatch {
        /// The operator as written, qualifiers included (`ForAnyValue:NumericEqualsIfExists`).
        operator: String,
        /// The key as written.
        key: String,
        /// The key's documented type.
        key_type: KeyType,
        /// The operators that fit it (`IpAddress or NotIpAddress`), for the fix.
        use_instead: &'static str,
    },
    /// A statement that another statement of the policy makes redundant: the same effect,
    /// principal and conditions, and every action and resource it lists covered by the other's
    /// (Access Analyzer's suggestion to merge or remove redundant statements).
    RedundantStatement {
        /// The statement that covers it: its position in the policy (0-based) and its `Sid`.
        covered_by: usize,
        /// Its `Sid`, when it has one.
        sid: Option<String>,
    },
    /// A resource the statement lists twice, or that another of its resources covers
    /// (`arn:aws:s3:::b/report.csv` beside `arn:aws:s3:::b/*`).
    RedundantResource {
        /// As written.
        resource: String,
        /// The resource or pattern that covers it.
        covered_by: String,
    },
}

impl LintKind {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LintKind::UnknownAction { .. } => "policy-unknown-action",
            LintKind::ActionResourceMismatch { .. } => "policy-action-resource-mismatch",
            LintKind::UnknownConditionKey { .. } => "policy-unknown-condition-key",
            LintKind::DuplicateSid { .. } => "policy-duplicate-sid",
            LintKind::AllowWithNotAction => "policy-allow-not-action",
            LintKind::AllowWithNotResource => "policy-allow-not-resource",
            LintKind::InvalidArn { .. } => "policy-invalid-arn",
            LintKind::InvalidPrincipal { .. } => "policy-invalid-principal",
            LintKind::RedundantAction { .. } => "policy-redundant-action",
            LintKind::RedundantResource { .. } => "policy-redundant-resource",
            LintKind::RedundantStatement { .. } => "policy-redundant-statement",
            LintKind::OperatorMismatch { .. } => "policy-operator-mismatch",
        }
    }
}

/// Whether an action name matches an action pattern (`s3:Get*`): without case, as IAM compares
/// actions.
fn wildcard(pat: &str, name: &str) -> bool {
    crate::eval::wildcard_match(pat, name, true)
}

/// Whether `op` fits a key of type `t`, and if not, the operators that do. The rule (see
/// docs/decisions.md): String operators fit every key — IAM compares a key's text, and Access
/// Analyzer's "Type mismatch" names Date and Numeric operators on a Bool key as its example —
/// and `Null` tests presence only; Numeric, Date, Bool, IP address and ARN operators need a key
/// of their type (`aws:EpochTime`, a Date, takes Numeric operators too, as the global keys
/// reference says); `BinaryEquals` fits none of the keys vpcsim knows (none is Binary).
fn operator_fits(op: BaseOperator, t: KeyType) -> Result<(), &'static str> {
    use BaseOperator as O;
    let family = match op {
        O::StringEquals
        | O::StringNotEquals
        | O::StringEqualsIgnoreCase
        | O::StringNotEqualsIgnoreCase
        | O::StringLike
        | O::StringNotLike
        | O::Null => return Ok(()),
        O::NumericEquals
        | O::NumericNotEquals
        | O::NumericLessThan
        | O::NumericLessThanEquals
        | O::NumericGreaterThan
        | O::NumericGreaterThanEquals => KeyType::Numeric,
        O::DateEquals
        | O::DateNotEquals
        | O::DateLessThan
        | O::DateLessThanEquals
        | O::DateGreaterThan
        | O::DateGreaterThanEquals => KeyType::Date,
        O::Bool => KeyType::Bool,
        O::IpAddress | O::NotIpAddress => KeyType::IpAddress,
        O::ArnEquals | O::ArnLike | O::ArnNotEquals | O::ArnNotLike => KeyType::Arn,
        O::BinaryEquals => KeyType::String,
    };
    if family == t && op != O::BinaryEquals {
        return Ok(());
    }
    Err(match t {
        KeyType::String | KeyType::ArrayOfString => "a String operator (StringEquals, StringLike…)",
        KeyType::Numeric => "a Numeric operator (NumericEquals, NumericLessThan…) or a String one",
        KeyType::Date => "a Date operator (DateGreaterThan, DateLessThan…) or a String one",
        KeyType::Bool => "Bool (or a String operator)",
        KeyType::IpAddress => "IpAddress or NotIpAddress",
        KeyType::Arn => "an ARN operator (ArnEquals, ArnLike…) or a String one",
    })
}

/// Checks one policy of `kind` (see the module documentation). Findings come in statement order.
pub fn lint(policy: &Policy, kind: PolicyKind) -> Vec<Lint> {
    let mut out = Vec::new();
    // "Did you mean" compares a name with every known one: for the first findings of a policy
    // only, and for names of a sensible length, so that a hostile policy of thousands of unknown
    // names stays fast.
    let mut suggestions = 64usize;
    let mut suggest = |name: &str, known: &mut dyn Iterator<Item = &'static str>| {
        if suggestions == 0 || name.len() > 128 {
            return None;
        }
        suggestions -= 1;
        suggest::closest(name, known)
    };
    let mut sids: Vec<&str> = Vec::new();
    for s in &policy.statements {
        let at = |places: &[Span], i: usize| places.get(i).copied().unwrap_or(s.span);
        if let Some(sid) = &s.sid {
            if sids.contains(&sid.as_str()) {
                out.push(Lint {
                    span: s.span,
                    kind: LintKind::DuplicateSid { sid: sid.clone() },
                });
            }
            sids.push(sid);
        }
        if s.effect == Effect::Allow && s.action.negated {
            out.push(Lint {
                span: at(&s.places.action, 0),
                kind: LintKind::AllowWithNotAction,
            });
        }
        if s.effect == Effect::Allow && s.resource.as_ref().is_some_and(|r| r.negated) {
            out.push(Lint {
                span: at(&s.places.resource, 0),
                kind: LintKind::AllowWithNotResource,
            });
        }
        // Resources: ARNs that are not, and the types they name.
        let resources: Vec<&String> = s.resource.iter().flat_map(|r| &r.value).collect();
        for (i, r) in resources.iter().enumerate() {
            if r.starts_with("arn:") && r.splitn(6, ':').count() < 6 {
                out.push(Lint {
                    span: at(&s.places.resource, i),
                    kind: LintKind::InvalidArn { arn: r.to_string() },
                });
            }
        }
        let types: Option<Vec<Option<Resource>>> = match &s.resource {
            Some(r) if !r.negated => r.value.iter().map(|p| catalog::arn_resource(p)).collect(),
            _ => None,
        };
        // Actions: unknown ones, and known ones no resource of the statement can be.
        for (i, a) in s.action.value.iter().enumerate() {
            let Some((prefix, name)) = catalog::s3_action(a) else {
                continue;
            };
            let pattern = name.contains(['*', '?']);
            // Looked up once: whether the action exists, and the resource it applies to.
            let applies = (!pattern).then(|| catalog::action_resource(name)).flatten();
            let matched = if pattern {
                catalog::actions().any(|k| wildcard(name, k))
            } else {
                applies.is_some()
            };
            if !matched {
                out.push(Lint {
                    span: at(&s.places.action, i),
                    kind: LintKind::UnknownAction {
                        action: a.clone(),
                        suggestion: suggest(name, &mut catalog::actions())
                            .map(|n| format!("{prefix}:{n}")),
                    },
                });
                continue;
            }
            if s.action.negated {
                continue;
            }
            let Some(applies_to) = applies else {
                continue;
            };
            if applies_to == Resource::Unchecked {
                continue;
            }
            if let Some(types) = &types {
                let fits = |t: &Option<Resource>| match t {
                    // Another service's ARN never names an S3 resource.
                    None => false,
                    Some(Resource::Unchecked) => true,
                    // Bucket-level actions through an access point name the access point.
                    Some(Resource::AccessPoint) => {
                        matches!(applies_to, Resource::AccessPoint | Resource::Bucket)
                    }
                    Some(t) => *t == applies_to,
                };
                if !types.is_empty() && !types.iter().any(fits) {
                    out.push(Lint {
                        span: at(&s.places.action, i),
                        kind: LintKind::ActionResourceMismatch {
                            action: a.clone(),
                            applies_to,
                            resources: resources.iter().map(|r| r.to_string()).collect(),
                        },
                    });
                }
            }
        }
        // Redundant actions and resources: a literal value another value of the list covers (a
        // pattern covers a literal when it matches it; two patterns are not compared). Among
        // the first 64 values of up to 256 characters: every pair is compared, and a hostile
        // list must not make that slow.
        let covered = |values: &[String], i: usize, case: bool| -> Option<String> {
            let v = &values[i];
            if v.len() > 256 {
                return None;
            }
            // A pattern is compared with the others only for being written twice.
            let pattern = v.contains(['*', '?']) || v.contains("${");
            values.iter().take(64).enumerate().find_map(|(j, p)| {
                let same = if case {
                    p == v
                } else {
                    p.eq_ignore_ascii_case(v)
                };
                let covers = if same {
                    j < i
                } else {
                    !pattern && value_covers(p, v, !case)
                };
                covers.then(|| p.clone())
            })
        };
        for i in 0..s.action.value.len().min(64) {
            if let Some(by) = covered(&s.action.value, i, false) {
                out.push(Lint {
                    span: at(&s.places.action, i),
                    kind: LintKind::RedundantAction {
                        action: s.action.value[i].clone(),
                        covered_by: by,
                    },
                });
            }
        }
        if let Some(r) = &s.resource {
            for i in 0..r.value.len().min(64) {
                if let Some(by) = covered(&r.value, i, true) {
                    out.push(Lint {
                        span: at(&s.places.resource, i),
                        kind: LintKind::RedundantResource {
                            resource: r.value[i].clone(),
                            covered_by: by,
                        },
                    });
                }
            }
        }
        // Condition keys, and operators of another type than their key's.
        for c in &s.conditions {
            if let Some(t) = catalog::key_type(&c.key) {
                let epoch = c.key.eq_ignore_ascii_case("aws:EpochTime")
                    && operator_fits(c.operator.base, KeyType::Numeric).is_ok();
                if let (Err(use_instead), false) = (operator_fits(c.operator.base, t), epoch) {
                    out.push(Lint {
                        span: c.span,
                        kind: LintKind::OperatorMismatch {
                            operator: c.operator.name(),
                            key: c.key.clone(),
                            key_type: t,
                            use_instead,
                        },
                    });
                }
            }
            if catalog::known_key(&c.key) == Some(false) {
                out.push(Lint {
                    span: c.span,
                    kind: LintKind::UnknownConditionKey {
                        key: c.key.clone(),
                        suggestion: suggest(
                            &c.key,
                            &mut catalog::keys_like(&c.key).iter().copied(),
                        ),
                    },
                });
            }
        }
        // Principals (resource, endpoint and RCP policies).
        if kind != PolicyKind::Identity
            && kind != PolicyKind::Scp
            && let Some(p) = &s.principal
            && let Principal::Typed(entries) = &p.value
        {
            for v in entries
                .iter()
                .filter(|(t, _)| *t == PrincipalType::Aws)
                .flat_map(|(_, v)| v)
            {
                let account = v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit());
                let arn = (v.starts_with("arn:aws:iam::") || v.starts_with("arn:aws:sts::"))
                    && v.splitn(6, ':').count() == 6;
                if v != "*" && !account && !arn {
                    out.push(Lint {
                        span: s.places.principal.unwrap_or(s.span),
                        kind: LintKind::InvalidPrincipal {
                            principal: v.clone(),
                        },
                    });
                }
            }
        }
    }
    redundant_statements(policy, &mut out);
    out
}

/// Statements compared for [`LintKind::RedundantStatement`]: the first 32 of a policy, each with
/// at most 32 actions and 32 resources, and at most this many value comparisons in all (a
/// hostile policy costs bounded time).
const REDUNDANT_BUDGET: usize = 100_000;

/// Adds a [`LintKind::RedundantStatement`] for each statement another one covers (of two equal
/// statements, the later).
fn redundant_statements(policy: &Policy, out: &mut Vec<Lint>) {
    let small = |s: &crate::Statement| {
        s.action.value.len() <= 32 && s.resource.as_ref().is_none_or(|r| r.value.len() <= 32)
    };
    let statements: Vec<(usize, &crate::Statement)> = policy
        .statements
        .iter()
        .take(32)
        .enumerate()
        .filter(|(_, s)| small(s))
        .collect();
    let mut budget = REDUNDANT_BUDGET;
    for &(j, b) in &statements {
        for &(i, a) in &statements {
            if i == j || !covers(a, b, &mut budget) {
                continue;
            }
            if i > j && covers(b, a, &mut budget) {
                continue; // equal: the later one is reported
            }
            out.push(Lint {
                span: b.span,
                kind: LintKind::RedundantStatement {
                    covered_by: i,
                    sid: a.sid.clone(),
                },
            });
            break;
        }
    }
}

/// True when statement `a` grants or denies everything `b` does, under the same conditions.
fn covers(a: &crate::Statement, b: &crate::Statement, budget: &mut usize) -> bool {
    if a.effect != b.effect || a.principal != b.principal || a.action.negated || b.action.negated {
        return false;
    }
    if !same_conditions(&a.conditions, &b.conditions) {
        return false;
    }
    let mut all_covered = |patterns: &[String], values: &[String], fold: bool| {
        values.iter().all(|v| {
            patterns.iter().any(|p| {
                *budget = budget.saturating_sub(1);
                *budget > 0 && value_covers(p, v, fold)
            })
        })
    };
    if !all_covered(&a.action.value, &b.action.value, true) {
        return false;
    }
    match (&a.resource, &b.resource) {
        (None, None) => true,
        (Some(ra), Some(rb)) if !ra.negated && !rb.negated => {
            all_covered(&ra.value, &rb.value, false)
        }
        _ => false,
    }
}

/// True when the pattern `p` matches every value `v` can: the same text, a wildcard pattern over
/// a value without wildcards or variables, or a prefix pattern over a pattern that starts with
/// its prefix.
fn value_covers(p: &str, v: &str, fold: bool) -> bool {
    let same = if fold {
        p.eq_ignore_ascii_case(v)
    } else {
        p == v
    };
    if same {
        return true;
    }
    if v.contains("${") || p.contains("${") || p.len() > 256 || v.len() > 256 {
        return false;
    }
    if v.contains(['*', '?']) {
        // A pattern covers another when it is a prefix and `*` (`arn:aws:s3:::data/*` covers
        // `arn:aws:s3:::data/2025/*`); other pattern pairs are not compared.
        return p.strip_suffix('*').is_some_and(|prefix| {
            !prefix.contains(['*', '?'])
                && v.is_char_boundary(prefix.len().min(v.len()))
                && v.len() >= prefix.len()
                && if fold {
                    v[..prefix.len()].eq_ignore_ascii_case(prefix)
                } else {
                    v.starts_with(prefix)
                }
        });
    }
    p.contains(['*', '?']) && crate::eval::wildcard_match(p, v, fold)
}

/// The same condition blocks, in any order (operators, keys without case, values in order).
fn same_conditions(a: &[crate::Condition], b: &[crate::Condition]) -> bool {
    a.len() == b.len()
        && a.iter().all(|x| {
            b.iter().any(|y| {
                x.operator == y.operator
                    && x.key.eq_ignore_ascii_case(&y.key)
                    && x.values == y.values
            })
        })
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards_match_without_case_and_in_bounded_time() {
        assert!(wildcard("Get*", "GetObject"));
        assert!(wildcard("get?bject", "GetObject"));
        assert!(wildcard("*Object*", "GetObjectAcl"));
        assert!(!wildcard("Put*", "GetObject"));
        assert!(!wildcard("GetObject?", "GetObject"));
        // Many stars: quadratic at worst, not exponential.
        let pat = "*a".repeat(40) + "b";
        assert!(!wildcard(&pat, &"a".repeat(60)));
        // `?` is one character, not one byte (the checks once matched bytes: `é` is two).
        assert!(crate::eval::wildcard_match("caf?/*", "café/menu", false));
        assert!(!crate::eval::wildcard_match("caf??/*", "café/menu", false));
    }
}

//! Structure checks: a YAML/JSON tree to a [`Policy`].

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use vpcsim_syntax::{
    Diagnostic, Diagnostics, Entries, Node, OneOrMany, SourceFile, SourceId, Spanned, from_node,
    suggest, yaml,
};

use crate::{
    BaseOperator, Condition, Effect, Negatable, Operator, Places, Policy, PolicyKind, Principal,
    PrincipalType, Statement,
};

mod raw {
    use super::*;

    /// The keys of a policy document.
    #[derive(Deserialize)]
    #[allow(non_snake_case)]
    pub struct Policy {
        pub Version: Option<Spanned<String>>,
        pub Id: Option<String>,
        pub Statement: Option<Spanned<OneOrMany<Spanned<Statement>>>>,
    }

    /// The keys of a statement.
    #[derive(Deserialize)]
    #[allow(non_snake_case)]
    pub struct Statement {
        pub Sid: Option<String>,
        pub Effect: Option<Spanned<String>>,
        pub Principal: Option<Spanned<super::Principal>>,
        pub NotPrincipal: Option<Spanned<super::Principal>>,
        pub Action: Option<Spanned<OneOrMany<Spanned<String>>>>,
        pub NotAction: Option<Spanned<OneOrMany<Spanned<String>>>>,
        pub Resource: Option<Spanned<OneOrMany<Spanned<String>>>>,
        pub NotResource: Option<Spanned<OneOrMany<Spanned<String>>>>,
        pub Condition: Option<Entries<Entries<OneOrMany<Spanned<String>>>>>,
    }
}

const VERSIONS: [&str; 2] = ["2012-10-17", "2008-10-17"];

/// Reads a policy document from the text of `file` (JSON or YAML) and checks it for `kind`.
/// Problems go to `diags`; `None` when the text or the document has an error, including those
/// the YAML reader finds (a duplicate key, whose second value it drops: the document [`parse`]
/// sees is then not the one written).
pub fn read(
    id: SourceId,
    file: &SourceFile,
    kind: PolicyKind,
    diags: &Diagnostics,
) -> Option<Policy> {
    let before = diags.error_count();
    let node = yaml::parse(id, file, diags)?;
    let policy = parse(&node, kind, diags)?;
    (diags.error_count() == before).then_some(policy)
}

/// Reads a policy document from `node` and checks its structure for `kind`. Problems go to `diags`;
/// `None` when the document has errors. Errors recorded before the call are not this
/// document's: when `node` comes from text read with errors, use [`read`] (or check `diags`).
pub fn parse(node: &Node, kind: PolicyKind, diags: &Diagnostics) -> Option<Policy> {
    let before = diags.error_count();
    let raw: raw::Policy = from_node(node, diags)?;
    if let Some(v) = &raw.Version
        && !VERSIONS.contains(&v.as_str())
    {
        diags.push(
            Diagnostic::error(
                "policy-structure",
                v.span,
                format!("'{}' is not a policy language version", v.value),
            )
            .with_help("use \"2012-10-17\" (the current version; policy variables need it)"),
        );
    }
    let Some(list) = raw.Statement else {
        diags.push(
            Diagnostic::error(
                "policy-structure",
                node.span,
                format!("{} needs a 'Statement'", kind.describe()),
            )
            .with_help("add `Statement:` with one statement or a list of them"),
        );
        return None;
    };
    let written_empty = matches!(node.get("Statement").map(|n| &n.kind), Some(vpcsim_syntax::NodeKind::Seq(items)) if items.is_empty());
    if written_empty {
        diags.push(Diagnostic::error(
            "policy-structure",
            list.span,
            "'Statement' is empty: a policy needs at least one statement",
        ));
    }
    let statements: Vec<Statement> = list
        .value
        .0
        .into_iter()
        .filter_map(|s| statement(s, kind, diags))
        .collect();
    if diags.error_count() > before {
        return None;
    }
    Some(Policy {
        version: raw.Version.map(|v| v.value),
        id: raw.Id,
        statements,
        span: node.span,
    })
}

fn statement(
    s: Spanned<raw::Statement>,
    kind: PolicyKind,
    diags: &Diagnostics,
) -> Option<Statement> {
    let span = s.span;
    let s = s.value;
    let err = |at, msg: String, help: &str| {
        diags.push(Diagnostic::error("policy-structure", at, msg).with_help(help.to_string()));
    };
    let effect = match &s.Effect {
        None => {
            err(
                span,
                "statement has no 'Effect'".into(),
                "add `Effect: Allow` or `Effect: Deny`",
            );
            None
        }
        Some(e) if e.as_str() == "Allow" && kind == PolicyKind::Rcp => {
            err(
                e.span,
                "a resource control policy can only Deny: the AWS-managed RCPFullAWSAccess, attached everywhere, is the only RCP that allows".into(),
                "write `Effect: Deny` with the conditions under which to deny (RCPs are guard rails, they grant nothing)",
            );
            None
        }
        Some(e) if e.as_str() == "Allow" => Some(Effect::Allow),
        Some(e) if e.as_str() == "Deny" => Some(Effect::Deny),
        Some(e) => {
            let help = match suggest::closest(e.as_str(), ["Allow", "Deny"]) {
                Some(b) => format!("did you mean '{b}'? (case matters)"),
                None => "use Allow or Deny".into(),
            };
            err(e.span, format!("'{}' is not an Effect", e.value), &help);
            None
        }
    };
    let mut places = Places::default();
    if let Some(a) = s.Action.as_ref().or(s.NotAction.as_ref()) {
        places.action = a.value.iter().map(|x| x.span).collect();
    }
    let action = match (s.Action, s.NotAction) {
        (Some(a), None) => Some(actions(a, false, diags)),
        (None, Some(a)) => Some(actions(a, true, diags)),
        (Some(_), Some(b)) => {
            err(
                b.span,
                "a statement has either 'Action' or 'NotAction', not both".into(),
                "remove one of them",
            );
            None
        }
        (None, None) => {
            err(
                span,
                "statement has no 'Action' (or 'NotAction')".into(),
                "add `Action: \"s3:GetObject\"` or a list of actions",
            );
            None
        }
    };
    let mut resources = |r: Spanned<OneOrMany<Spanned<String>>>| -> Vec<String> {
        places.resource = r.value.iter().map(|x| x.span).collect();
        r.value.0.into_iter().map(|x| x.value).collect()
    };
    let resource = match (s.Resource, s.NotResource) {
        (Some(r), None) => Some(Negatable {
            negated: false,
            value: resources(r),
        }),
        (None, Some(r)) => Some(Negatable {
            negated: true,
            value: resources(r),
        }),
        (Some(_), Some(b)) => {
            err(
                b.span,
                "a statement has either 'Resource' or 'NotResource', not both".into(),
                "remove one of them",
            );
            None
        }
        (None, None) => {
            err(
                span,
                "statement has no 'Resource' (or 'NotResource')".into(),
                "add `Resource: \"arn:aws:s3:::my-bucket/*\"` or `Resource: \"*\"`",
            );
            None
        }
    };
    let principal = match (s.Principal, s.NotPrincipal) {
        (Some(_), Some(b)) => {
            err(
                b.span,
                "a statement has either 'Principal' or 'NotPrincipal', not both".into(),
                "remove one of them",
            );
            None
        }
        (Some(p), None) => Some((false, p)),
        (None, Some(p)) => Some((true, p)),
        (None, None) => None,
    };
    match (&principal, kind) {
        (Some((_, p)), PolicyKind::Identity) => err(
            p.span,
            "an identity policy cannot name a 'Principal': it applies to the role or user it is attached to".into(),
            "remove the Principal element",
        ),
        (Some((_, p)), PolicyKind::Scp) => err(
            p.span,
            "a service control policy cannot name a 'Principal': it applies to every principal of the accounts it is attached to".into(),
            "remove the Principal element; to exempt a role, add a condition such as `ArnNotLike: { aws:PrincipalArn: \"arn:aws:iam::*:role/admin\" }`",
        ),
        (Some((negated, p)), PolicyKind::Rcp) if *negated || p.value != Principal::Any => err(
            p.span,
            "a resource control policy's 'Principal' must be \"*\"".into(),
            "write `Principal: \"*\"` and narrow with conditions, such as `StringNotEqualsIfExists: { aws:PrincipalOrgID: o-a1b2c3d4e5 }`",
        ),
        (None, PolicyKind::Resource | PolicyKind::Endpoint | PolicyKind::Rcp) => err(
            span,
            format!("a statement in {} needs a 'Principal'", kind.describe()),
            "add `Principal: \"*\"` (anyone) or `Principal: { AWS: \"arn:aws:iam::111122223333:root\" }`",
        ),
        _ => {}
    }
    let mut conditions = Vec::new();
    for op in s.Condition.iter().flat_map(|c| c.iter()) {
        let Some(operator) = Operator::parse(op.key.as_str()) else {
            let names: Vec<&str> = crate::BaseOperator::ALL
                .iter()
                .map(|o| o.as_str())
                .collect();
            let help = match suggest::closest(op.key.as_str(), names.iter().copied()) {
                Some(b) => format!("did you mean '{b}'?"),
                None => "see the IAM condition operators: StringEquals, StringLike, ArnLike, IpAddress, Bool, Null, …".into(),
            };
            err(
                op.key.span,
                format!("'{}' is not a condition operator", op.key.value),
                &help,
            );
            continue;
        };
        for key in op.value.iter().flat_map(|k| k.iter()) {
            let values = key.value.as_ref().map_or(&[][..], |v| &v.0[..]);
            for value in values {
                if let Some((what, help)) = bad_value(operator.base, value.as_str()) {
                    diags.push(
                        Diagnostic::error(
                            "policy-structure",
                            value.span,
                            format!(
                                "'{}' is not {what}, as {} needs",
                                value.value,
                                operator.name(),
                            ),
                        )
                        .with_help(help),
                    );
                }
            }
            conditions.push(Condition::new(
                operator,
                key.key.value.clone(),
                values.iter().map(|v| v.value.clone()).collect(),
                key.key.span,
            ));
        }
    }
    places.principal = principal.as_ref().map(|(_, p)| p.span);
    let principal = principal.map(|(negated, p)| Negatable {
        negated,
        value: p.value,
    });
    Some(
        Statement::new(
            s.Sid, effect?, principal, action?, resource, conditions, span,
        )
        .with_places(places),
    )
}

/// What a value of `op` must be and how to write it, when `value` is not one: IAM refuses such a
/// policy when it is saved, and an operator given a value it cannot read never matches, so
/// `NotIpAddress` with `abc` would hold for every request. String operators take any text.
fn bad_value(op: BaseOperator, value: &str) -> Option<(&'static str, &'static str)> {
    use BaseOperator::*;
    let ok = match op {
        NumericEquals
        | NumericNotEquals
        | NumericLessThan
        | NumericLessThanEquals
        | NumericGreaterThan
        | NumericGreaterThanEquals => crate::eval::number(value).is_some(),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => crate::eval::date_millis(value).is_some(),
        Bool | Null => value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false"),
        BinaryEquals => crate::eval::base64(value).is_some(),
        IpAddress | NotIpAddress => crate::eval::network(value).is_some(),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => arn_pattern(value),
        StringEquals
        | StringNotEquals
        | StringEqualsIgnoreCase
        | StringNotEqualsIgnoreCase
        | StringLike
        | StringNotLike => true,
    };
    if ok {
        return None;
    }
    Some(match op {
        Bool | Null => ("a boolean", "write true or false"),
        BinaryEquals => (
            "base64 data",
            "write the value in base64, such as QmluYXJ5VmFsdWU=",
        ),
        IpAddress | NotIpAddress => (
            "an IP address or CIDR block",
            "write an IPv4 or IPv6 address or CIDR block, such as 203.0.113.0/24 or 2001:db8::/32",
        ),
        ArnEquals | ArnLike | ArnNotEquals | ArnNotLike => (
            "an ARN",
            "write arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (wildcards allowed in each part, such as arn:aws:iam::111122223333:role/*), or *",
        ),
        DateEquals
        | DateNotEquals
        | DateLessThan
        | DateLessThanEquals
        | DateGreaterThan
        | DateGreaterThanEquals => (
            "a date",
            "write an ISO 8601 date or date and time, such as 2024-05-01 or 2024-05-01T12:00:00Z, or seconds since 1970",
        ),
        _ => ("a number", "write a number, such as 10 or 2.5"),
    })
}

/// `*`, or text starting with `arn:` or with a policy variable (`${aws:SourceArn}`). The parts
/// are not counted: a pattern of fewer than six parts (`arn:aws:*`) is accepted, and matches no
/// ARN when evaluated (each part is matched on its own).
fn arn_pattern(value: &str) -> bool {
    value == "*" || value.starts_with("arn:") || value.starts_with("${")
}

fn actions(
    a: Spanned<OneOrMany<Spanned<String>>>,
    negated: bool,
    diags: &Diagnostics,
) -> Negatable<Vec<String>> {
    for action in a.value.iter() {
        let ok = action.as_str() == "*"
            || action.split_once(':').is_some_and(|(svc, name)| {
                !svc.is_empty() && !name.is_empty() && !svc.contains('*')
            });
        if !ok {
            diags.push(
                Diagnostic::error(
                    "policy-structure",
                    action.span,
                    format!("'{}' is not an action", action.value),
                )
                .with_help(
                    "write actions as `service:Action`, for example `s3:GetObject` or `s3:*`",
                ),
            );
        }
    }
    Negatable {
        negated,
        value: a.value.0.into_iter().map(|s| s.value).collect(),
    }
}

impl<'de> Deserialize<'de> for Principal {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Principal;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"*\" or a mapping such as { AWS: [...] }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Principal, E> {
                if v == "*" {
                    Ok(Principal::Any)
                } else {
                    Err(E::custom(format!(
                        "Principal '{v}' must be \"*\" or a mapping such as {{ AWS: \"{v}\" }}"
                    )))
                }
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Principal, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let ty = match key.as_str() {
                        "AWS" => PrincipalType::Aws,
                        "Service" => PrincipalType::Service,
                        "Federated" => PrincipalType::Federated,
                        "CanonicalUser" => PrincipalType::CanonicalUser,
                        other => {
                            return Err(de::Error::custom(format!(
                                "'{other}' is not a principal type (use AWS, Service, Federated or CanonicalUser)"
                            )));
                        }
                    };
                    let values: OneOrMany<String> = map.next_value()?;
                    out.push((ty, values.0));
                }
                Ok(Principal::Typed(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, kind: PolicyKind) -> (Option<Policy>, Vec<String>) {
        let file = SourceFile::new("p.json", text);
        let diags = Diagnostics::new();
        let node = yaml::parse(SourceId(0), &file, &diags).unwrap();
        let p = parse(&node, kind, &diags);
        let msgs = diags
            .into_sorted()
            .iter()
            .map(|d| {
                format!(
                    "{}:{} {}",
                    d.span.unwrap().line,
                    d.span.unwrap().col,
                    d.message
                )
            })
            .collect();
        (p, msgs)
    }

    #[test]
    fn reads_the_seed_bucket_policy_in_json() {
        let text = r#"{
  "Version": "2012-10-17",
  "Id": "Policy1415115909152",
  "Statement": [
    { "Sid": "Access-to-specific-VPCE-only",
      "Principal": "*",
      "Action": "s3:*",
      "Effect": "Deny",
      "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET2",
                   "arn:aws:s3:::DOC-EXAMPLE-BUCKET2/*"],
      "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1a2b3c4d"}}
    }
  ]
}"#;
        let (p, msgs) = check(text, PolicyKind::Resource);
        assert!(msgs.is_empty(), "{msgs:?}");
        let p = p.unwrap();
        let s = &p.statements[0];
        assert_eq!(s.effect, Effect::Deny);
        assert_eq!(s.principal.as_ref().unwrap().value, Principal::Any);
        assert_eq!(s.conditions[0].key, "aws:sourceVpce");
        assert_eq!(s.conditions[0].values, vec!["vpce-1a2b3c4d"]);
        assert_eq!(
            s.conditions[0].operator.base,
            crate::BaseOperator::StringNotEquals
        );
        assert_eq!(s.resource.as_ref().unwrap().value.len(), 2);
    }

    #[test]
    fn reports_every_structural_problem() {
        let text = "Version: 2012-10-18\nStatement:\n  - Effect: allow\n    Action: GetObject\n    Resource: '*'\n    Condition: { StringEqual: { a: b } }\n  - Effect: Deny\n    Principal: '*'\n    Action: s3:*\n  - Efect: Allow\n";
        let (p, msgs) = check(text, PolicyKind::Identity);
        assert!(p.is_none());
        assert_eq!(
            msgs,
            vec![
                "1:10 '2012-10-18' is not a policy language version",
                "3:13 'allow' is not an Effect",
                "4:13 'GetObject' is not an action",
                "6:18 'StringEqual' is not a condition operator",
                "7:5 statement has no 'Resource' (or 'NotResource')",
                "8:16 an identity policy cannot name a 'Principal': it applies to the role or user it is attached to",
                "10:5 unknown key 'Efect' in a statement",
                "10:5 statement has no 'Effect'",
                "10:5 statement has no 'Action' (or 'NotAction')",
                "10:5 statement has no 'Resource' (or 'NotResource')",
            ]
        );
    }

    #[test]
    fn resource_policies_need_a_principal() {
        let (_, msgs) = check(
            "Statement: { Effect: Allow, Action: 's3:*', Resource: '*' }",
            PolicyKind::Endpoint,
        );
        assert_eq!(
            msgs,
            vec!["1:12 a statement in a VPC endpoint policy needs a 'Principal'"]
        );
    }

    /// Condition values each operator cannot read are errors where they are written (IAM refuses
    /// such policies); before, `NotIpAddress` with `abc` was accepted and held for every request.
    #[test]
    fn condition_values_are_checked_by_operator() {
        let text = r#"{"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {
  "NotIpAddress": {"aws:SourceIp": "abc"},
  "IpAddressIfExists": {"aws:SourceIp": ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "10.0.0.0/33"]},
  "NumericLessThan": {"s3:max-keys": ["10", "2.5", "ten"]},
  "DateGreaterThan": {"aws:CurrentTime": ["2024-05-01T12:00:00Z", "1714564800", "2023-02-29"]},
  "Bool": {"aws:SecureTransport": ["true", "False", "yes"]},
  "Null": {"aws:TokenIssueTime": "maybe"},
  "BinaryEquals": {"k": ["aGVsbG8=", "!!"]},
  "ForAnyValue:ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/x", "*", "${aws:PrincipalArn}", "arn:aws:iam::${aws:PrincipalAccount}:root", "role/x", "s3:::bucket"]},
  "StringEquals": {"s3:prefix": ["", "anything: at all", "${aws:username}"]}
}}}"#;
        let (p, msgs) = check(text, PolicyKind::Identity);
        assert!(p.is_none());
        assert_eq!(
            msgs,
            vec![
                "2:36 'abc' is not an IP address or CIDR block, as NotIpAddress needs",
                "3:86 '10.0.0.0/33' is not an IP address or CIDR block, as IpAddressIfExists needs",
                "4:52 'ten' is not a number, as NumericLessThan needs",
                "5:81 '2023-02-29' is not a date, as DateGreaterThan needs",
                "6:53 'yes' is not a boolean, as Bool needs",
                "7:34 'maybe' is not a boolean, as Null needs",
                "8:38 '!!' is not base64 data, as BinaryEquals needs",
                "9:146 'role/x' is not an ARN, as ForAnyValue:ArnLike needs",
                "9:156 's3:::bucket' is not an ARN, as ForAnyValue:ArnLike needs",
            ]
        );
    }

    /// A duplicate key is an error of the YAML reader, which keeps the first value: the policy
    /// read from such a text is none at all (before, `policy eval` answered with it).
    #[test]
    fn a_duplicate_key_leaves_no_policy() {
        let text = r#"{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#;
        let file = SourceFile::new("p.json", text);
        let diags = Diagnostics::new();
        assert_eq!(read(SourceId(0), &file, PolicyKind::Identity, &diags), None);
        let d = diags.into_sorted();
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].message, "duplicate key 'Effect'");
    }
}

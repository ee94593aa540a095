//! Policy evaluation: condition operators, principals, `Not…` elements, variables, and the way
//! identity, resource and endpoint policies combine (with the seed 001 examples).

use vpcsim_policy::{
    Authorization, Caller, Context, Decision, Outcome, Policy, PolicyKind, Request, StatementRef,
    authorize, evaluate, parse,
};
use vpcsim_syntax::{Diagnostics, SourceFile, SourceId, yaml};

fn policy(text: &str, kind: PolicyKind) -> Policy {
    let file = SourceFile::new("p.json", text);
    let diags = Diagnostics::new();
    let node = yaml::parse(SourceId(0), &file, &diags).expect("yaml");
    let p = parse(&node, kind, &diags);
    assert_eq!(diags.error_count(), 0, "{text}");
    p.expect("policy")
}

fn context(keys: &[(&str, &[&str])]) -> Context<'static> {
    let mut ctx = Context::new();
    for (k, v) in keys {
        ctx.set_many(k.to_string(), v.iter().map(|s| s.to_string()));
    }
    ctx
}

fn caller(arn: &str) -> Caller {
    let account = arn.split(':').nth(4).unwrap().to_string();
    Caller {
        arn: arn.to_string(),
        account,
    }
}

const APP: &str = "arn:aws:iam::111122223333:role/app";
const OTHER: &str = "arn:aws:iam::444455556666:role/partner";
const OBJ: &str = "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/key";

/// Whether an identity policy with one Allow statement and this condition block allows.
fn cond_allows(block: &str, keys: &[(&str, &[&str])]) -> bool {
    let text = format!(
        r#"{{"Version": "2012-10-17", "Statement": {{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {block}}}}}"#
    );
    let p = policy(&text, PolicyKind::Identity);
    let ctx = context(keys);
    let c = caller(APP);
    let req = Request {
        action: "s3:GetObject",
        resource: OBJ,
        caller: Some(&c),
        context: &ctx,
    };
    !evaluate(&p, "identity test", &req).allows.is_empty()
}

#[test]
fn every_operator_present_absent_and_multivalued() {
    // (condition block, context, expected)
    type Row = (
        &'static str,
        &'static [(&'static str, &'static [&'static str])],
        bool,
    );
    #[rustfmt::skip]
    let rows: &[Row] = &[
        // String
        (r#"{"StringEquals": {"k": "abc"}}"#, &[("k", &["abc"])], true),
        (r#"{"StringEquals": {"k": "abc"}}"#, &[("k", &["ABC"])], false),
        (r#"{"StringEquals": {"k": "a*"}}"#, &[("k", &["abc"])], false),
        (r#"{"StringEquals": {"k": ["x", "abc"]}}"#, &[("k", &["abc"])], true),
        // Many values (found in a hash set), unsorted, with prefixes and a variable among them.
        (r#"{"StringEquals": {"k": ["vpce-9", "vpce-10", "vpce-1", "vpce-100", "b", "a"]}}"#, &[("k", &["vpce-10"])], true),
        (r#"{"StringEquals": {"k": ["vpce-9", "vpce-10", "vpce-1", "vpce-100", "b", "a"]}}"#, &[("k", &["vpce-1000"])], false),
        (r#"{"StringNotEquals": {"k": ["vpce-9", "vpce-10", "vpce-1", "vpce-100", "b", "a"]}}"#, &[("k", &["a"])], false),
        (r#"{"StringEquals": {"k": ["z", "${aws:username}-x", "y"]}}"#, &[("k", &["bob-x"]), ("aws:username", &["bob"])], true),
        (r#"{"StringEquals": {"k": "abc"}}"#, &[], false),
        (r#"{"StringEquals": {"k": "abc"}}"#, &[("k", &["x", "abc"])], true),
        (r#"{"StringNotEquals": {"k": "abc"}}"#, &[("k", &["abd"])], true),
        (r#"{"StringNotEquals": {"k": ["x", "abc"]}}"#, &[("k", &["abc"])], false),
        (r#"{"StringNotEquals": {"k": "abc"}}"#, &[], true),
        (r#"{"StringNotEquals": {"k": "abc"}}"#, &[("k", &["x", "abc"])], false),
        (r#"{"StringNotEquals": {"k": "abc"}}"#, &[("k", &["x", "y"])], true),
        (r#"{"StringEqualsIgnoreCase": {"k": "ABC"}}"#, &[("k", &["abc"])], true),
        (r#"{"StringEqualsIgnoreCase": {"k": "ABC"}}"#, &[], false),
        (r#"{"StringEqualsIgnoreCase": {"k": "ABC"}}"#, &[("k", &["q", "aBc"])], true),
        (r#"{"StringNotEqualsIgnoreCase": {"k": "ABC"}}"#, &[("k", &["abc"])], false),
        (r#"{"StringNotEqualsIgnoreCase": {"k": "ABC"}}"#, &[], true),
        (r#"{"StringNotEqualsIgnoreCase": {"k": "ABC"}}"#, &[("k", &["q", "r"])], true),
        (r#"{"StringLike": {"k": "a*c"}}"#, &[("k", &["abbbc"])], true),
        (r#"{"StringLike": {"k": "a?c"}}"#, &[("k", &["abbc"])], false),
        (r#"{"StringLike": {"k": "A*"}}"#, &[("k", &["abc"])], false),
        (r#"{"StringLike": {"k": "a*"}}"#, &[], false),
        (r#"{"StringLike": {"k": "a*"}}"#, &[("k", &["x", "ab"])], true),
        (r#"{"StringNotLike": {"k": "a*"}}"#, &[("k", &["ba"])], true),
        (r#"{"StringNotLike": {"k": "a*"}}"#, &[("k", &["ab"])], false),
        (r#"{"StringNotLike": {"k": "a*"}}"#, &[], true),
        (r#"{"StringNotLike": {"k": "a*"}}"#, &[("k", &["x", "ab"])], false),
        // Numeric
        (r#"{"NumericEquals": {"k": "10"}}"#, &[("k", &["10.0"])], true),
        (r#"{"NumericEquals": {"k": "10"}}"#, &[], false),
        (r#"{"NumericEquals": {"k": "10"}}"#, &[("k", &["1", "10"])], true),
        (r#"{"NumericEquals": {"k": "10"}}"#, &[("k", &["ten"])], false),
        (r#"{"NumericNotEquals": {"k": "10"}}"#, &[("k", &["11"])], true),
        (r#"{"NumericNotEquals": {"k": "10"}}"#, &[("k", &["10"])], false),
        (r#"{"NumericNotEquals": {"k": "10"}}"#, &[], true),
        (r#"{"NumericLessThan": {"k": "10"}}"#, &[("k", &["9"])], true),
        (r#"{"NumericLessThan": {"k": "10"}}"#, &[("k", &["10"])], false),
        (r#"{"NumericLessThan": {"k": "10"}}"#, &[], false),
        (r#"{"NumericLessThan": {"k": "10"}}"#, &[("k", &["20", "5"])], true),
        (r#"{"NumericLessThanEquals": {"k": "10"}}"#, &[("k", &["10"])], true),
        (r#"{"NumericLessThanEquals": {"k": "10"}}"#, &[("k", &["11"])], false),
        (r#"{"NumericLessThanEquals": {"k": "10"}}"#, &[], false),
        (r#"{"NumericGreaterThan": {"k": "10"}}"#, &[("k", &["10.5"])], true),
        (r#"{"NumericGreaterThan": {"k": "10"}}"#, &[("k", &["10"])], false),
        (r#"{"NumericGreaterThan": {"k": "10"}}"#, &[], false),
        (r#"{"NumericGreaterThanEquals": {"k": "10"}}"#, &[("k", &["10"])], true),
        (r#"{"NumericGreaterThanEquals": {"k": "10"}}"#, &[("k", &["-3"])], false),
        (r#"{"NumericGreaterThanEquals": {"k": "10"}}"#, &[], false),
        // Date (ISO 8601 and epoch seconds on either side)
        (r#"{"DateEquals": {"k": "2024-05-01T12:00:00Z"}}"#, &[("k", &["1714564800"])], true),
        (r#"{"DateEquals": {"k": "2024-05-01T12:00:00Z"}}"#, &[("k", &["2024-05-01T14:00:00+02:00"])], true),
        (r#"{"DateEquals": {"k": "2024-05-01"}}"#, &[], false),
        (r#"{"DateNotEquals": {"k": "2024-05-01"}}"#, &[("k", &["2024-05-02"])], true),
        (r#"{"DateNotEquals": {"k": "2024-05-01"}}"#, &[("k", &["2024-05-01T00:00:00Z"])], false),
        (r#"{"DateNotEquals": {"k": "2024-05-01"}}"#, &[], true),
        (r#"{"DateLessThan": {"k": "2024-05-01"}}"#, &[("k", &["2024-04-30T23:59:59Z"])], true),
        (r#"{"DateLessThan": {"k": "2024-05-01"}}"#, &[("k", &["2024-05-01"])], false),
        (r#"{"DateLessThan": {"k": "2024-05-01"}}"#, &[], false),
        (r#"{"DateLessThan": {"k": "2024-05-01"}}"#, &[("k", &["2025-01-01", "2020-01-01"])], true),
        (r#"{"DateLessThanEquals": {"k": "2024-05-01"}}"#, &[("k", &["2024-05-01"])], true),
        (r#"{"DateLessThanEquals": {"k": "2024-05-01"}}"#, &[], false),
        (r#"{"DateGreaterThan": {"k": "1714564800"}}"#, &[("k", &["2024-05-01T12:00:01Z"])], true),
        (r#"{"DateGreaterThan": {"k": "1714564800"}}"#, &[("k", &["2024-05-01T12:00:00Z"])], false),
        (r#"{"DateGreaterThan": {"k": "1714564800"}}"#, &[], false),
        (r#"{"DateGreaterThanEquals": {"k": "2024-05-01"}}"#, &[("k", &["2024-05-01"])], true),
        (r#"{"DateGreaterThanEquals": {"k": "2024-05-01"}}"#, &[("k", &["not a date"])], false),
        (r#"{"DateGreaterThanEquals": {"k": "2024-05-01"}}"#, &[], false),
        // Bool
        (r#"{"Bool": {"aws:SecureTransport": "true"}}"#, &[("aws:SecureTransport", &["true"])], true),
        (r#"{"Bool": {"aws:SecureTransport": "true"}}"#, &[("aws:SecureTransport", &["false"])], false),
        (r#"{"Bool": {"aws:SecureTransport": "false"}}"#, &[], false),
        (r#"{"Bool": {"aws:SecureTransport": false}}"#, &[("aws:securetransport", &["FALSE"])], true),
        (r#"{"Bool": {"k": "true"}}"#, &[("k", &["false", "true"])], true),
        // BinaryEquals
        (r#"{"BinaryEquals": {"k": "aGVsbG8="}}"#, &[("k", &["aGVsbG8="])], true),
        (r#"{"BinaryEquals": {"k": "aGVsbG8="}}"#, &[("k", &["aGVsbG8"])], true),
        (r#"{"BinaryEquals": {"k": "aGVsbG8="}}"#, &[("k", &["d29ybGQ="])], false),
        (r#"{"BinaryEquals": {"k": "aGVsbG8="}}"#, &[], false),
        (r#"{"BinaryEquals": {"k": "aGVsbG8="}}"#, &[("k", &["d29ybGQ=", "aGVsbG8="])], true),
        // IP addresses
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[("aws:SourceIp", &["203.0.113.9"])], true),
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[("aws:SourceIp", &["203.0.114.9"])], false),
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.7"}}"#, &[("aws:SourceIp", &["203.0.113.7"])], true),
        // Key names compare case-insensitively (values do not).
        (r#"{"StringEquals": {"AWS:SOURCEVPCE": "vpce-1"}}"#, &[("aws:sourceVpce", &["vpce-1"])], true),
        (r#"{"StringEquals": {"aws:SourceVpce": "vpce-1"}}"#, &[("aws:SourceVpc", &["vpce-1"])], false),
        (r#"{"StringEquals": {"aws:SourceVpc": "VPC-1"}}"#, &[("aws:sourcevpc", &["vpc-1"])], false),
        (r#"{"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}"#, &[("aws:SourceIp", &["2001:db8:1::5"])], true),
        (r#"{"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}"#, &[("aws:SourceIp", &["203.0.113.7"])], false),
        (r#"{"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[], false),
        (r#"{"IpAddress": {"k": "10.0.0.0/8"}}"#, &[("k", &["192.0.2.1", "10.1.2.3"])], true),
        (r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[("aws:SourceIp", &["198.51.100.1"])], true),
        (r#"{"NotIpAddress": {"aws:SourceIp": ["198.51.100.0/24", "203.0.113.0/24"]}}"#, &[("aws:SourceIp", &["203.0.113.1"])], false),
        (r#"{"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}"#, &[], true),
        (r#"{"NotIpAddress": {"k": "10.0.0.0/8"}}"#, &[("k", &["192.0.2.1", "10.1.2.3"])], false),
        // ARNs: six parts matched separately
        (r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}"#, &[("aws:SourceArn", &["arn:aws:s3:::bucket"])], true),
        (r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}"#, &[("aws:SourceArn", &["arn:aws:s3:::Bucket"])], false),
        (r#"{"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::bucket"}}"#, &[], false),
        (r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app*"}}"#, &[("aws:PrincipalArn", &[APP])], true),
        (r#"{"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app*"}}"#, &[("aws:PrincipalArn", &["arn:aws:iam::111122223333:user/app"])], false),
        (r#"{"ArnLike": {"k": "arn:aws:*"}}"#, &[("k", &["arn:aws:s3:::b"])], false),
        (r#"{"ArnLike": {"k": "arn:aws:s3:*:*:*"}}"#, &[("k", &["arn:aws:s3:us-east-1:1:accesspoint/x:y"])], true),
        (r#"{"ArnLike": {"k": "arn:aws:s3:::b*"}}"#, &[("k", &["not-an-arn", "arn:aws:s3:::bx"])], true),
        (r#"{"ArnLike": {"k": "arn:aws:s3:::b*"}}"#, &[], false),
        (r#"{"ArnNotEquals": {"k": "arn:aws:s3:::b"}}"#, &[("k", &["arn:aws:s3:::c"])], true),
        (r#"{"ArnNotEquals": {"k": "arn:aws:s3:::b"}}"#, &[], true),
        (r#"{"ArnNotLike": {"k": "arn:aws:s3:::b*"}}"#, &[("k", &["arn:aws:s3:::bx"])], false),
        (r#"{"ArnNotLike": {"k": "arn:aws:s3:::b*"}}"#, &[], true),
        (r#"{"ArnNotLike": {"k": "arn:aws:s3:::b*"}}"#, &[("k", &["arn:aws:s3:::c", "arn:aws:s3:::d"])], true),
        // Null
        (r#"{"Null": {"k": "true"}}"#, &[], true),
        (r#"{"Null": {"k": "true"}}"#, &[("k", &["v"])], false),
        (r#"{"Null": {"k": "false"}}"#, &[("k", &["v"])], true),
        (r#"{"Null": {"k": "false"}}"#, &[], false),
        (r#"{"Null": {"k": "true"}}"#, &[("k", &[])], true),
        (r#"{"Null": {"k": "false"}}"#, &[("k", &["a", "b"])], true),
        // IfExists: absent → true; present → the operator decides
        (r#"{"StringEqualsIfExists": {"k": "a"}}"#, &[], true),
        (r#"{"StringEqualsIfExists": {"k": "a"}}"#, &[("k", &["b"])], false),
        (r#"{"StringEqualsIfExists": {"k": "a"}}"#, &[("k", &["a"])], true),
        (r#"{"NumericLessThanIfExists": {"k": "5"}}"#, &[], true),
        (r#"{"IpAddressIfExists": {"k": "10.0.0.0/8"}}"#, &[("k", &["11.0.0.1"])], false),
        (r#"{"StringNotEqualsIfExists": {"k": "a"}}"#, &[("k", &["a"])], false),
        (r#"{"ArnLikeIfExists": {"k": "arn:aws:s3:::*"}}"#, &[], true),
        // Set qualifiers
        (r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[("aws:TagKeys", &["a", "b"])], true),
        (r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[("aws:TagKeys", &["a", "c"])], false),
        (r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[], true),
        (r#"{"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[("aws:TagKeys", &[])], true),
        (r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[("aws:TagKeys", &["c", "b"])], true),
        (r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[("aws:TagKeys", &["c", "d"])], false),
        (r#"{"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}"#, &[], false),
        (r#"{"ForAnyValue:StringLike": {"aws:TagKeys": "Created*"}}"#, &[("aws:TagKeys", &["x", "CreatedBy"])], true),
        (r#"{"ForAllValues:StringLike": {"aws:TagKeys": "Created*"}}"#, &[("aws:TagKeys", &["CreatedAt", "CreatedBy"])], true),
        (r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}"#, &[("aws:TagKeys", &["a", "b"])], true),
        (r#"{"ForAllValues:StringNotEquals": {"aws:TagKeys": "secret"}}"#, &[("aws:TagKeys", &["a", "secret"])], false),
        (r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "secret"}}"#, &[("aws:TagKeys", &["a", "secret"])], true),
        (r#"{"ForAnyValue:StringNotEquals": {"aws:TagKeys": "secret"}}"#, &[("aws:TagKeys", &["secret"])], false),
        (r#"{"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}"#, &[], false),
        // Key names are case-insensitive, values of String* are not
        (r#"{"StringEquals": {"AWS:SOURCEVPCE": "vpce-1"}}"#, &[("aws:SourceVpce", &["vpce-1"])], true),
        // Several keys and operators are AND'ed
        (r#"{"StringEquals": {"a": "1", "b": "2"}}"#, &[("a", &["1"]), ("b", &["2"])], true),
        (r#"{"StringEquals": {"a": "1", "b": "2"}}"#, &[("a", &["1"]), ("b", &["3"])], false),
        (r#"{"StringEquals": {"a": "1"}, "Bool": {"b": "true"}}"#, &[("a", &["1"]), ("b", &["true"])], true),
        (r#"{"StringEquals": {"a": "1"}, "Bool": {"b": "true"}}"#, &[("a", &["1"])], false),
    ];
    let mut failures = Vec::new();
    for (block, keys, want) in rows {
        if cond_allows(block, keys) != *want {
            failures.push(format!("{block} with {keys:?}: expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Set qualifiers on a key that is absent or present with an empty set, with and without
/// `…IfExists`, for a positive and a negated operator: one row per combination. IAM,
/// "Single-valued vs. multivalued context keys"
/// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
/// ForAllValues is true when the request has no such key (and a missing key and a key with an
/// empty value are alike, the `Null` check guards against both); ForAnyValue is false when the
/// key is missing or its data set is null. The set qualifier decides before `…IfExists`
/// ("Condition operators", …IfExists, covers single-valued keys; AWS denies through
/// `ForAnyValue:StringEqualsIfExists` on an absent key:
/// https://repost.aws/questions/QU9HFmDzP0QGuU-fd7rS6B7w). docs/decisions.md states the rule.
#[test]
fn set_operators_on_missing_and_empty_keys() {
    type Keys = &'static [(&'static str, &'static [&'static str])];
    const ABSENT: Keys = &[];
    const EMPTY: Keys = &[("aws:TagKeys", &[])];
    const MATCH: Keys = &[("aws:TagKeys", &["a"])];
    const OTHER: Keys = &[("aws:TagKeys", &["z"])];
    const MIXED: Keys = &[("aws:TagKeys", &["a", "z"])];
    #[rustfmt::skip]
    let rows: &[(&str, Keys, bool)] = &[
        ("ForAllValues:StringEquals", ABSENT, true),
        ("ForAllValues:StringEquals", EMPTY, true),
        ("ForAllValues:StringEqualsIfExists", ABSENT, true),
        ("ForAllValues:StringEqualsIfExists", EMPTY, true),
        ("ForAllValues:StringNotEquals", ABSENT, true),
        ("ForAllValues:StringNotEquals", EMPTY, true),
        ("ForAllValues:StringNotEqualsIfExists", ABSENT, true),
        ("ForAllValues:StringNotEqualsIfExists", EMPTY, true),
        ("ForAnyValue:StringEquals", ABSENT, false),
        ("ForAnyValue:StringEquals", EMPTY, false),
        ("ForAnyValue:StringEqualsIfExists", ABSENT, false),
        ("ForAnyValue:StringEqualsIfExists", EMPTY, false),
        ("ForAnyValue:StringNotEquals", ABSENT, false),
        ("ForAnyValue:StringNotEquals", EMPTY, false),
        ("ForAnyValue:StringNotEqualsIfExists", ABSENT, false),
        ("ForAnyValue:StringNotEqualsIfExists", EMPTY, false),
        // Without a qualifier: IfExists and negated operators hold on a missing or empty key.
        ("StringEquals", ABSENT, false),
        ("StringEquals", EMPTY, false),
        ("StringEqualsIfExists", ABSENT, true),
        ("StringEqualsIfExists", EMPTY, true),
        ("StringNotEquals", ABSENT, true),
        ("StringNotEquals", EMPTY, true),
        ("StringNotEqualsIfExists", ABSENT, true),
        ("StringNotEqualsIfExists", EMPTY, true),
        // Null: an empty set is null as a missing key is.
        ("Null", ABSENT, true),
        ("Null", EMPTY, true),
        // Present values: IfExists changes nothing, the qualifier decides.
        ("ForAllValues:StringEqualsIfExists", MATCH, true),
        ("ForAllValues:StringEqualsIfExists", MIXED, false),
        ("ForAnyValue:StringEqualsIfExists", MIXED, true),
        ("ForAnyValue:StringEqualsIfExists", OTHER, false),
        ("ForAllValues:StringNotEqualsIfExists", OTHER, true),
        ("ForAllValues:StringNotEqualsIfExists", MIXED, false),
        ("ForAnyValue:StringNotEqualsIfExists", MIXED, true),
        ("ForAnyValue:StringNotEqualsIfExists", MATCH, false),
    ];
    let mut failures = Vec::new();
    for (operator, keys, want) in rows {
        let value = if *operator == "Null" { "true" } else { "a" };
        let block = format!(r#"{{"{operator}": {{"aws:TagKeys": "{value}"}}}}"#);
        if cond_allows(&block, keys) != *want {
            failures.push(format!("{block} with {keys:?}: expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn policy_variables() {
    let c = caller("arn:aws:iam::111122223333:user/alice");
    let check = |version: &str,
                 resource: &str,
                 cond: &str,
                 keys: &[(&str, &[&str])],
                 target: &str| {
        let text = format!(
            r#"{{{version} "Statement": {{"Effect": "Allow", "Action": "s3:*", "Resource": "{resource}", "Condition": {cond}}}}}"#
        );
        let p = policy(&text, PolicyKind::Identity);
        let ctx = context(keys);
        let req = Request {
            action: "s3:GetObject",
            resource: target,
            caller: Some(&c),
            context: &ctx,
        };
        !evaluate(&p, "identity", &req).allows.is_empty()
    };
    let v = r#""Version": "2012-10-17","#;
    let user = [("aws:username", &["alice"][..])];
    let home = "arn:aws:s3:::home/alice/notes";
    assert!(check(
        v,
        "arn:aws:s3:::home/${aws:username}/*",
        "{}",
        &user,
        home
    ));
    assert!(check(
        v,
        "arn:aws:s3:::home/${AWS:UserName}/*",
        "{}",
        &user,
        home
    ));
    assert!(!check(
        v,
        "arn:aws:s3:::home/${aws:username}/*",
        "{}",
        &user,
        "arn:aws:s3:::home/bob/x"
    ));
    // Unresolved: the value matches nothing.
    assert!(!check(
        v,
        "arn:aws:s3:::home/${aws:username}/*",
        "{}",
        &[],
        home
    ));
    // A default value stands in.
    assert!(check(
        v,
        "arn:aws:s3:::home/${aws:username, 'alice'}/*",
        "{}",
        &[],
        home
    ));
    // Escapes: ${*} is a literal star.
    assert!(check(
        v,
        "arn:aws:s3:::b/${*}",
        "{}",
        &[],
        "arn:aws:s3:::b/*"
    ));
    assert!(!check(
        v,
        "arn:aws:s3:::b/${*}",
        "{}",
        &[],
        "arn:aws:s3:::b/x"
    ));
    // Without Version 2012-10-17 variables are literal text.
    assert!(!check(
        "",
        "arn:aws:s3:::home/${aws:username}/*",
        "{}",
        &user,
        home
    ));
    assert!(check(
        "",
        "arn:aws:s3:::home/${aws:username}/*",
        "{}",
        &user,
        "arn:aws:s3:::home/${aws:username}/x"
    ));
    // In condition values.
    let keys = [
        ("aws:SourceVpce", &["vpce-1a2b"][..]),
        ("aws:PrincipalTag/vpce", &["vpce-1a2b"][..]),
    ];
    assert!(check(
        v,
        "*",
        r#"{"StringEquals": {"aws:SourceVpce": "${aws:PrincipalTag/vpce}"}}"#,
        &keys,
        home
    ));
    assert!(!check(
        v,
        "*",
        r#"{"StringEquals": {"aws:SourceVpce": "${aws:PrincipalTag/other}"}}"#,
        &keys,
        home
    ));
    // An unresolved value in a negated operator matches nothing, so the negation holds.
    assert!(check(
        v,
        "*",
        r#"{"StringNotEquals": {"aws:SourceVpce": "${aws:nothing}"}}"#,
        &keys,
        home
    ));
    assert!(check(
        v,
        "*",
        r#"{"StringLike": {"k": "${aws:username}-*"}}"#,
        &[("k", &["alice-1"]), user[0]],
        home
    ));
    assert!(check(
        v,
        "*",
        r#"{"ArnLike": {"k": "arn:aws:iam::*:user/${aws:username}"}}"#,
        &[("k", &["arn:aws:iam::1:user/alice"]), user[0]],
        home
    ));
}

/// Evaluates a resource policy whose one statement has this Principal element (JSON) for `who`.
fn principal_applies(element: &str, who: Option<&str>) -> bool {
    let text = format!(
        r#"{{"Statement": {{"Effect": "Deny", {element}, "Action": "s3:*", "Resource": "*"}}}}"#
    );
    let p = policy(&text, PolicyKind::Resource);
    let ctx = Context::new();
    let c = who.map(caller);
    let req = Request {
        action: "s3:GetObject",
        resource: OBJ,
        caller: c.as_ref(),
        context: &ctx,
    };
    !evaluate(&p, "bucket b", &req).denies.is_empty()
}

#[test]
fn principal_forms() {
    let session = "arn:aws:sts::111122223333:assumed-role/app/i-0123";
    #[rustfmt::skip]
    let rows: &[(&str, Option<&str>, bool)] = &[
        (r#""Principal": "*""#, Some(APP), true),
        (r#""Principal": "*""#, None, true),
        (r#""Principal": {"AWS": "*"}"#, Some(APP), true),
        (r#""Principal": {"AWS": "*"}"#, None, true),
        (r#""Principal": {"AWS": "111122223333"}"#, Some(APP), true),
        (r#""Principal": {"AWS": "111122223333"}"#, Some(OTHER), false),
        (r#""Principal": {"AWS": "111122223333"}"#, None, false),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Some(APP), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Some(session), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:root"}"#, Some("arn:aws:iam::111122223333:root"), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}"#, Some(APP), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}"#, Some(session), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/App"}"#, Some(APP), false),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/other"}"#, Some(APP), false),
        (r#""Principal": {"AWS": ["arn:aws:iam::111122223333:role/other", "444455556666"]}"#, Some(OTHER), true),
        (r#""Principal": {"Service": "s3.amazonaws.com"}"#, Some(APP), false),
        (r#""Principal": {"Service": "s3.amazonaws.com"}"#, None, false),
        (r#""Principal": {"Federated": "cognito-identity.amazonaws.com"}"#, Some(APP), false),
        // NotPrincipal: applies to everyone not named; every identity of the caller must be named.
        (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/app"}"#, Some(OTHER), true),
        (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/app"}"#, None, true),
        (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/app"}"#, Some(APP), true),
        (r#""NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/app", "111122223333"]}"#, Some(APP), false),
        (r#""NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:root"]}"#, Some(session), false),
        (r#""NotPrincipal": {"AWS": "arn:aws:iam::111122223333:role/app"}"#, Some(session), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/team/app"}"#, Some(session), true),
        (r#""Principal": {"AWS": "arn:aws:iam::111122223333:role/team/app"}"#, Some(APP), false),
        (r#""NotPrincipal": {"AWS": ["arn:aws:sts::111122223333:assumed-role/app/i-0123", "arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:root"]}"#, Some(session), false),
        (r#""NotPrincipal": {"AWS": "*"}"#, Some(APP), false),
        (r#""NotPrincipal": "*""#, None, false),
    ];
    let mut failures = Vec::new();
    for (element, who, want) in rows {
        if principal_applies(element, *who) != *want {
            failures.push(format!("{element} for {who:?}: expected {want}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn actions_resources_and_their_negations() {
    let run = |stmt: &str, action: &str, resource: &str| {
        let text = format!(r#"{{"Statement": {{"Effect": "Allow", {stmt}}}}}"#);
        let p = policy(&text, PolicyKind::Identity);
        let ctx = Context::new();
        let c = caller(APP);
        let req = Request {
            action,
            resource,
            caller: Some(&c),
            context: &ctx,
        };
        evaluate(&p, "identity", &req).allows
    };
    let b = "arn:aws:s3:::DOC-EXAMPLE-BUCKET1";
    #[rustfmt::skip]
    let rows: &[(&str, &str, &str, bool)] = &[
        (r#""Action": "s3:GetObject", "Resource": "*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "S3:getobject", "Resource": "*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "s3:Get*", "Resource": "*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "s3:Get*", "Resource": "*""#, "s3:PutObject", OBJ, false),
        (r#""Action": "s3:?etObject", "Resource": "*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "*", "Resource": "*""#, "ec2:RunInstances", OBJ, true),
        (r#""Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*""#, "s3:GetObject", OBJ, true),
        (r#""NotAction": "s3:DeleteObject", "Resource": "*""#, "s3:GetObject", OBJ, true),
        (r#""NotAction": "s3:Delete*", "Resource": "*""#, "s3:DeleteObject", OBJ, false),
        (r#""Action": "s3:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "s3:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*""#, "s3:ListBucket", b, false),
        (r#""Action": "s3:*", "Resource": "arn:aws:s3:::doc-example-bucket1/*""#, "s3:GetObject", OBJ, false),
        (r#""Action": "s3:*", "Resource": "arn:aws:s3:::*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "s3:*", "Resource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET?/key""#, "s3:GetObject", OBJ, true),
        (r#""Action": "s3:*", "Resource": "arn:aws:*""#, "s3:GetObject", OBJ, true),
        (r#""Action": "s3:*", "NotResource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*""#, "s3:GetObject", OBJ, false),
        (r#""Action": "s3:*", "NotResource": "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*""#, "s3:ListBucket", b, true),
        (r#""NotAction": "s3:*", "NotResource": "arn:aws:s3:::x""#, "ec2:RunInstances", OBJ, true),
    ];
    let mut failures = Vec::new();
    for (stmt, action, resource, want) in rows {
        if run(stmt, action, resource).is_empty() == *want {
            failures.push(format!(
                "{stmt} for {action} on {resource}: expected {want}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn verdicts_name_statements_by_sid_or_position() {
    let p = policy(
        r#"{"Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "*"}]}"#,
        PolicyKind::Identity,
    );
    let ctx = Context::new();
    let c = caller(APP);
    let req = Request {
        action: "s3:DeleteObject",
        resource: OBJ,
        caller: Some(&c),
        context: &ctx,
    };
    let v = evaluate(&p, "identity s3-apps/rw", &req);
    let r = |s: &str| StatementRef {
        policy: "identity s3-apps/rw".into(),
        statement: s.into(),
    };
    assert_eq!(v.allows, vec![r("A"), r("#3")]);
    assert_eq!(v.denies, vec![r("#2")]);
}

// ---------------------------------------------------------------------------------------------
// Combination rules

const ALLOW_ALL_ID: &str =
    r#"{"Statement": {"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#;
const DENY_DELETE_ID: &str = r#"{"Statement": {"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}}"#;

fn bucket_allowing(principal: &str) -> String {
    format!(
        r#"{{"Statement": {{"Sid": "Grant", "Effect": "Allow", "Principal": {principal}, "Action": "s3:*", "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET1", "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*"]}}}}"#
    )
}

struct Case<'a> {
    action: &'a str,
    resource: &'a str,
    caller: Option<&'a str>,
    keys: &'a [(&'a str, &'a [&'a str])],
    identity: &'a [&'a str],
    bucket: &'a [&'a str],
    owner: &'a str,
    /// None: no endpoint; Some(None): default policy; Some(Some(text)).
    endpoint: Option<Option<&'a str>>,
}

impl Default for Case<'_> {
    fn default() -> Self {
        Case {
            action: "s3:GetObject",
            resource: OBJ,
            caller: Some(APP),
            keys: &[],
            identity: &[],
            bucket: &[],
            owner: "111122223333",
            endpoint: None,
        }
    }
}

fn run(case: &Case) -> Outcome {
    let identity: Vec<Policy> = case
        .identity
        .iter()
        .map(|t| policy(t, PolicyKind::Identity))
        .collect();
    let bucket: Vec<Policy> = case
        .bucket
        .iter()
        .map(|t| policy(t, PolicyKind::Resource))
        .collect();
    let endpoint = case
        .endpoint
        .map(|p| p.map(|t| policy(t, PolicyKind::Endpoint)));
    let ctx = context(case.keys);
    let c = case.caller.map(caller);
    // The labels, kept here for the authorization to borrow.
    let resource_labels: Vec<std::sync::Arc<str>> = (0..bucket.len())
        .map(|i| {
            let bucket = case.resource.trim_start_matches("arn:aws:s3:::");
            if i == 0 {
                format!("bucket {}", bucket.split('/').next().unwrap()).into()
            } else {
                format!("access point ap{i}").into()
            }
        })
        .collect();
    let endpoint_label: std::sync::Arc<str> = "endpoint s3-interface".into();
    let mut a = Authorization {
        request: Request {
            action: case.action,
            resource: case.resource,
            caller: c.as_ref(),
            context: &ctx,
        },
        identity: identity
            .iter()
            .enumerate()
            .map(|(i, p)| (format!("identity id{i}").into(), p))
            .collect(),
        resource: bucket
            .iter()
            .zip(&resource_labels)
            .map(|(p, label)| (label, p, None))
            .collect(),
        resource_account: case.owner,
        endpoint: endpoint.as_ref().map(|p| (&endpoint_label, p.as_ref())),
        limits: Default::default(),
        explain: false,
    };
    // Without the explanation, the same decision by the same statements, and no text.
    let quiet = authorize(&a);
    a.explain = true;
    let explained = authorize(&a);
    assert_eq!(
        quiet.decision, explained.decision,
        "{}",
        explained.explanation
    );
    assert_eq!(
        quiet.deciding, explained.deciding,
        "{}",
        explained.explanation
    );
    assert!(quiet.explanation.is_empty(), "{}", quiet.explanation);
    assert!(!explained.explanation.is_empty());
    explained
}

fn refs(o: &Outcome) -> Vec<String> {
    o.deciding.iter().map(|r| r.to_string()).collect()
}

#[test]
fn same_account_needs_one_allow() {
    let grant_app = bucket_allowing(r#"{"AWS": "arn:aws:iam::111122223333:role/app"}"#);
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed);
    assert_eq!(refs(&o), ["identity id0 statement All"]);
    let o = run(&Case {
        bucket: &[&grant_app],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    assert_eq!(refs(&o), ["bucket DOC-EXAMPLE-BUCKET1 statement Grant"]);
    let o = run(&Case::default());
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(o.deciding.is_empty());
    assert!(
        o.explanation
            .contains("no identity or resource policy allows it"),
        "{}",
        o.explanation
    );
}

#[test]
fn cross_account_needs_both() {
    let grant_other = bucket_allowing(r#"{"AWS": "444455556666"}"#);
    let base = Case {
        caller: Some(OTHER),
        ..Default::default()
    };
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        ..base
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(o.explanation.contains("cross account"), "{}", o.explanation);
    let o = run(&Case {
        bucket: &[&grant_other],
        ..base
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        bucket: &[&grant_other],
        ..base
    });
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    assert_eq!(
        refs(&o),
        [
            "identity id0 statement All",
            "bucket DOC-EXAMPLE-BUCKET1 statement Grant"
        ]
    );
    // A grant to another principal does not help.
    let grant_app = bucket_allowing(r#"{"AWS": "arn:aws:iam::111122223333:role/app"}"#);
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        bucket: &[&grant_app],
        ..base
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
}

/// Naming an account in a resource policy delegates to the account: its principals still need an
/// identity policy that allows, in the same account as across accounts; a principal named by its own
/// ARN needs nothing more in the same account. IAM, "AWS account principals":
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
#[test]
fn account_principals_delegate_to_the_account() {
    let session = "arn:aws:sts::111122223333:assumed-role/app/i-0123";
    let root = "arn:aws:iam::111122223333:root";
    let by_id = bucket_allowing(r#"{"AWS": "111122223333"}"#);
    let by_root = bucket_allowing(r#"{"AWS": "arn:aws:iam::111122223333:root"}"#);
    let by_role = bucket_allowing(r#"{"AWS": "arn:aws:iam::111122223333:role/app"}"#);
    let everyone = bucket_allowing(r#"{"AWS": "*"}"#);
    let other_id = bucket_allowing(r#"{"AWS": "444455556666"}"#);
    let other_root = bucket_allowing(r#"{"AWS": "arn:aws:iam::444455556666:root"}"#);
    #[rustfmt::skip]
    let rows: &[(&str, Option<&str>, &[&str], Decision)] = &[
        // Same account: the account named, no identity allow: denied; with one: allowed.
        (&by_id, Some(APP), &[], Decision::ImplicitDeny),
        (&by_root, Some(APP), &[], Decision::ImplicitDeny),
        (&by_id, Some(session), &[], Decision::ImplicitDeny),
        (&by_root, Some(session), &[], Decision::ImplicitDeny),
        (&by_id, Some(APP), &[ALLOW_ALL_ID], Decision::Allowed),
        (&by_root, Some(APP), &[ALLOW_ALL_ID], Decision::Allowed),
        // The principal by its own ARN, or everyone: the resource policy alone suffices.
        (&by_role, Some(APP), &[], Decision::Allowed),
        (&by_role, Some(session), &[], Decision::Allowed),
        (&everyone, Some(APP), &[], Decision::Allowed),
        // The root user is the account: it needs no identity policy anyway.
        (&by_id, Some(root), &[], Decision::Allowed),
        // Cross account: the account named and an identity allow; either alone is not enough.
        (&other_id, Some(OTHER), &[ALLOW_ALL_ID], Decision::Allowed),
        (&other_root, Some(OTHER), &[ALLOW_ALL_ID], Decision::Allowed),
        (&other_id, Some(OTHER), &[], Decision::ImplicitDeny),
        (&other_root, Some(OTHER), &[], Decision::ImplicitDeny),
    ];
    let mut failures = Vec::new();
    for (bucket, who, identity, want) in rows {
        let o = run(&Case {
            caller: *who,
            identity,
            bucket: &[bucket],
            ..Default::default()
        });
        if o.decision != *want {
            failures.push(format!(
                "{bucket} for {who:?} with {} identity policies: {:?}, expected {want:?} ({})",
                identity.len(),
                o.decision,
                o.explanation
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The explanation says why the bucket's grant was not enough.
    let o = run(&Case {
        bucket: &[&by_id],
        ..Default::default()
    });
    assert!(
        o.explanation.contains(
            "bucket DOC-EXAMPLE-BUCKET1 statement Grant names account 111122223333 as its principal, which delegates to the account"
        ),
        "{}",
        o.explanation
    );
    // Allowed same-account by the identity policy: that is the deciding statement.
    let o = run(&Case {
        bucket: &[&by_id],
        identity: &[ALLOW_ALL_ID],
        ..Default::default()
    });
    assert_eq!(refs(&o), ["identity id0 statement All"]);
    // Cross account, both decide.
    let o = run(&Case {
        caller: Some(OTHER),
        bucket: &[&other_root],
        identity: &[ALLOW_ALL_ID],
        ..Default::default()
    });
    assert_eq!(
        refs(&o),
        [
            "identity id0 statement All",
            "bucket DOC-EXAMPLE-BUCKET1 statement Grant"
        ]
    );
    // A deny naming the account applies to its principals.
    let deny_account = r#"{"Statement": [{"Sid": "Grant", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}, {"Sid": "NoAccount", "Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}]}"#;
    let o = run(&Case {
        bucket: &[deny_account],
        identity: &[ALLOW_ALL_ID],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    // An endpoint policy naming the account lets its principals through (it grants nothing).
    let endpoint_account = r#"{"Statement": {"Sid": "Account", "Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}}"#;
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(endpoint_account)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    assert_eq!(
        refs(&o),
        [
            "endpoint s3-interface statement Account",
            "identity id0 statement All"
        ]
    );
}

#[test]
fn anonymous_needs_a_public_grant() {
    let public = bucket_allowing(r#""*""#);
    let public_aws = bucket_allowing(r#"{"AWS": "*"}"#);
    let account = bucket_allowing(r#"{"AWS": "111122223333"}"#);
    let base = Case {
        caller: None,
        ..Default::default()
    };
    assert_eq!(
        run(&Case {
            bucket: &[&public],
            ..base
        })
        .decision,
        Decision::Allowed
    );
    assert_eq!(
        run(&Case {
            bucket: &[&public_aws],
            ..base
        })
        .decision,
        Decision::Allowed
    );
    assert_eq!(
        run(&Case {
            bucket: &[&account],
            ..base
        })
        .decision,
        Decision::ImplicitDeny
    );
    // Identity policies never apply to an anonymous request.
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        ..base
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(o.explanation.starts_with("anonymous"), "{}", o.explanation);
}

#[test]
fn explicit_deny_wins() {
    let o = run(&Case {
        action: "s3:DeleteObject",
        identity: &[ALLOW_ALL_ID, DENY_DELETE_ID],
        bucket: &[&bucket_allowing(r#""*""#)],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    assert_eq!(refs(&o), ["identity id1 statement NoDelete"]);
    assert!(
        o.explanation
            .contains("explicitly denied by identity id1 statement NoDelete"),
        "{}",
        o.explanation
    );
    // A deny in the endpoint policy wins too, even over the default-allow bucket grant.
    let ep = r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                               {"Sid": "NoPut", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}]}"#;
    let o = run(&Case {
        action: "s3:PutObject",
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(ep)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    assert_eq!(refs(&o), ["endpoint s3-interface statement NoPut"]);
}

#[test]
fn endpoint_policy_is_an_extra_gate() {
    // Default policy: full access, the identity policy decides.
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(None),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed);
    let o = run(&Case {
        endpoint: Some(None),
        ..Default::default()
    });
    assert_eq!(
        o.decision,
        Decision::ImplicitDeny,
        "the endpoint does not grant by itself"
    );
    // Deny-only policy allows nothing.
    let deny_only = r#"{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}}"#;
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(deny_only)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(
        o.explanation.contains("endpoint s3-interface"),
        "{}",
        o.explanation
    );
    // An endpoint policy that names the principal.
    let only_app = r#"{"Statement": {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"}, "Action": "*", "Resource": "*"}}"#;
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(only_app)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed);
    assert_eq!(
        refs(&o),
        [
            "endpoint s3-interface statement App",
            "identity id0 statement All"
        ]
    );
    let o = run(&Case {
        caller: Some("arn:aws:iam::111122223333:role/batch"),
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(only_app)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
}

#[test]
fn root_may_always_manage_the_bucket_policy() {
    let lockout = r#"{"Statement": {"Sid": "Lockout", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET1", "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*"]}}"#;
    let root = "arn:aws:iam::111122223333:root";
    let bucket = "arn:aws:s3:::DOC-EXAMPLE-BUCKET1";
    for action in [
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
    ] {
        let o = run(&Case {
            action,
            resource: bucket,
            caller: Some(root),
            bucket: &[lockout],
            ..Default::default()
        });
        assert_eq!(o.decision, Decision::Allowed, "{action}: {}", o.explanation);
    }
    // Not other actions, not other principals, not another account's root.
    let o = run(&Case {
        caller: Some(root),
        bucket: &[lockout],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    let o = run(&Case {
        action: "s3:DeleteBucketPolicy",
        resource: bucket,
        identity: &[ALLOW_ALL_ID],
        bucket: &[lockout],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    let o = run(&Case {
        action: "s3:DeleteBucketPolicy",
        resource: bucket,
        caller: Some("arn:aws:iam::444455556666:root"),
        bucket: &[lockout],
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    // Endpoint policies can still block the root user.
    let ep_deny = r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"},
                                    {"Sid": "NoPolicyEdits", "Effect": "Deny", "Principal": "*", "Action": "s3:*BucketPolicy", "Resource": "*"}]}"#;
    let o = run(&Case {
        action: "s3:DeleteBucketPolicy",
        resource: bucket,
        caller: Some(root),
        bucket: &[lockout],
        endpoint: Some(Some(ep_deny)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    assert_eq!(refs(&o), ["endpoint s3-interface statement NoPolicyEdits"]);
    // The root user needs no identity policy in its own account.
    let o = run(&Case {
        caller: Some(root),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed);
}

#[test]
fn access_point_requests_need_the_bucket_too() {
    let ap_arn = "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/key";
    let ap_grant = r#"{"Statement": {"Sid": "AP", "Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap1/object/*"}}"#;
    let delegate = r#"{"Statement": {"Sid": "Delegate", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}}}"#;
    let keys: &[(&str, &[&str])] = &[("s3:DataAccessPointAccount", &["111122223333"])];
    let base = Case {
        resource: ap_arn,
        caller: Some(OTHER),
        keys,
        identity: &[ALLOW_ALL_ID],
        ..Default::default()
    };
    assert_eq!(
        run(&Case {
            bucket: &[delegate, ap_grant],
            ..base
        })
        .decision,
        Decision::Allowed
    );
    let no_delegation = bucket_allowing(r#"{"AWS": "arn:aws:iam::111122223333:role/app"}"#);
    assert_eq!(
        run(&Case {
            bucket: &[&no_delegation, ap_grant],
            ..base
        })
        .decision,
        Decision::ImplicitDeny
    );
}

#[test]
fn implied_keys_for_the_principal_and_resource_account() {
    let ep = r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalAccount": "111122223333", "s3:ResourceAccount": "111122223333"},
                              "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/app"}}}}"#;
    let session = "arn:aws:sts::111122223333:assumed-role/app/s1";
    let o = run(&Case {
        caller: Some(session),
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(ep)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    let o = run(&Case {
        identity: &[ALLOW_ALL_ID],
        owner: "999999999999",
        endpoint: Some(Some(ep)),
        ..Default::default()
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
}

// ---------------------------------------------------------------------------------------------
// Seed 001: the three example policies of "Creating a VPC endpoint policy for Amazon S3".

const SEED_BUCKET1_ONLY: &str = r#"{
  "Version": "2012-10-17",
  "Id": "Policy1415115909151",
  "Statement": [
    { "Sid": "Access-to-specific-bucket-only",
      "Principal": "*",
      "Action": [
        "s3:GetObject",
        "s3:PutObject"
      ],
      "Effect": "Allow",
      "Resource": ["arn:aws:s3:::DOC-EXAMPLE-BUCKET1",
                   "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/*"]
    }
  ]
}"#;

const SEED_ACCOUNT_ONLY: &str = r#"{
  "Statement": [
    {
      "Sid": "Access-to-bucket-in-specific-account-only",
      "Principal": "*",
      "Action": [
        "s3:GetObject",
        "s3:PutObject"
      ],
      "Effect": "Deny",
      "Resource": "arn:aws:s3:::*",
      "Condition": {
        "StringNotEquals": {
          "s3:ResourceAccount": "111122223333"
        }
      }
    }
  ]
}"#;

const SEED_VPCE_ONLY: &str = r#"{
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

#[test]
fn seed_endpoint_policy_for_one_bucket() {
    let base = Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(SEED_BUCKET1_ONLY)),
        ..Default::default()
    };
    let o = run(&base);
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    assert_eq!(
        refs(&o),
        [
            "endpoint s3-interface statement Access-to-specific-bucket-only",
            "identity id0 statement All"
        ]
    );
    let o = run(&Case {
        resource: "arn:aws:s3:::other-bucket/key",
        ..base
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(
        o.explanation.contains("at endpoint s3-interface"),
        "{}",
        o.explanation
    );
    let o = run(&Case {
        action: "s3:DeleteObject",
        ..base
    });
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(
        o.explanation.contains("endpoint s3-interface"),
        "{}",
        o.explanation
    );
}

#[test]
fn seed_endpoint_policy_for_one_account() {
    // On its own the Deny-only policy allows nothing.
    let base = Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(SEED_ACCOUNT_ONLY)),
        ..Default::default()
    };
    assert_eq!(run(&base).decision, Decision::ImplicitDeny);
    assert_eq!(
        run(&Case {
            owner: "444455556666",
            ..base
        })
        .decision,
        Decision::ExplicitDeny
    );
    // With an Allow-all statement added: own account allowed, other account explicitly denied.
    let with_allow = SEED_ACCOUNT_ONLY.replacen(
        "\"Statement\": [",
        "\"Statement\": [ {\"Sid\": \"AllowAll\", \"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"*\", \"Resource\": \"*\"},",
        1,
    );
    let base = Case {
        endpoint: Some(Some(&with_allow)),
        ..base
    };
    let o = run(&base);
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    let o = run(&Case {
        resource: "arn:aws:s3:::their-bucket/key",
        owner: "444455556666",
        bucket: &[&bucket_allowing(r#""*""#).replace("DOC-EXAMPLE-BUCKET1", "their-bucket")],
        ..base
    });
    assert_eq!(o.decision, Decision::ExplicitDeny, "{}", o.explanation);
    assert_eq!(
        refs(&o),
        ["endpoint s3-interface statement Access-to-bucket-in-specific-account-only"]
    );
    // An explicit s3:ResourceAccount in the context is used as given.
    let o = run(&Case {
        keys: &[("s3:ResourceAccount", &["444455556666"])],
        ..base
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
}

#[test]
fn seed_bucket_policy_for_one_endpoint() {
    let obj2 = "arn:aws:s3:::DOC-EXAMPLE-BUCKET2/report.csv";
    let base = Case {
        resource: obj2,
        identity: &[ALLOW_ALL_ID],
        bucket: &[SEED_VPCE_ONLY],
        ..Default::default()
    };
    let via_vpce: &[(&str, &[&str])] = &[
        ("aws:SourceVpce", &["vpce-1a2b3c4d"]),
        ("aws:SourceVpc", &["vpc-111bbb22"]),
    ];
    let o = run(&Case {
        keys: via_vpce,
        endpoint: Some(None),
        ..base
    });
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    // From the internet or the console: no aws:SourceVpce, so StringNotEquals holds and the Deny applies.
    let o = run(&Case {
        keys: &[("aws:SourceIp", &["203.0.113.5"])],
        ..base
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    assert_eq!(
        refs(&o),
        ["bucket DOC-EXAMPLE-BUCKET2 statement Access-to-specific-VPCE-only"]
    );
    // Through another endpoint.
    let o = run(&Case {
        keys: &[("aws:SourceVpce", &["vpce-99999999"])],
        endpoint: Some(None),
        ..base
    });
    assert_eq!(o.decision, Decision::ExplicitDeny);
    // The bucket owner's root user can still repair the policy from the console.
    let o = run(&Case {
        action: "s3:PutBucketPolicy",
        resource: "arn:aws:s3:::DOC-EXAMPLE-BUCKET2",
        caller: Some("arn:aws:iam::111122223333:root"),
        identity: &[],
        ..base
    });
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
}

#[test]
fn explanations_are_one_sentence_naming_the_deciding_policies() {
    let b = Case {
        identity: &[ALLOW_ALL_ID],
        endpoint: Some(Some(SEED_BUCKET1_ONLY)),
        ..Default::default()
    };
    let rows: &[(Case, &str)] = &[
        (
            Case { ..b },
            "s3:GetObject on arn:aws:s3:::DOC-EXAMPLE-BUCKET1/key is allowed: same account, identity id0 statement All allows arn:aws:iam::111122223333:role/app (account 111122223333); endpoint s3-interface lets it through with statement Access-to-specific-bucket-only.",
        ),
        (
            Case {
                action: "s3:DeleteObject",
                ..b
            },
            "s3:DeleteObject on arn:aws:s3:::DOC-EXAMPLE-BUCKET1/key is implicitly denied at endpoint s3-interface: no statement of its endpoint policy allows it.",
        ),
        (
            Case {
                caller: Some(OTHER),
                endpoint: Some(None),
                ..b
            },
            "s3:GetObject on arn:aws:s3:::DOC-EXAMPLE-BUCKET1/key by arn:aws:iam::444455556666:role/partner (account 444455556666) is implicitly denied: cross account, an identity policy allows it but no resource policy of account 111122223333 grants it.",
        ),
        (
            Case {
                caller: None,
                endpoint: None,
                ..b
            },
            "anonymous s3:GetObject on arn:aws:s3:::DOC-EXAMPLE-BUCKET1/key is implicitly denied: no resource policy grants it to everyone (Principal \"*\").",
        ),
    ];
    for (case, want) in rows {
        assert_eq!(run(case).explanation, *want);
    }
}

// ---------------------------------------------------------------------------------------------
// Organizations policies: what an SCP and an RCP may say
// (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html,
// https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps_syntax.html)

/// The first error a policy of `kind` gets, with its line and column.
fn first_error(text: &str, kind: PolicyKind) -> Option<(String, usize, usize)> {
    let file = SourceFile::new("p.json", text);
    let diags = Diagnostics::new();
    let node = yaml::parse(SourceId(0), &file, &diags).expect("yaml");
    let _ = parse(&node, kind, &diags);
    diags
        .into_sorted()
        .into_iter()
        .find(|d| d.severity == vpcsim_syntax::Severity::Error)
        .map(|d| {
            let at = d.span.expect("a place");
            (d.message, at.line as usize, at.col as usize)
        })
}

#[test]
fn scps_and_rcps_are_checked_as_organizations_saves_them() {
    // An SCP names no Principal.
    let scp = "{\"Statement\": {\"Effect\": \"Deny\",\n  \"Principal\": \"*\", \"Action\": \"s3:*\", \"Resource\": \"*\"}}";
    let (msg, line, col) = first_error(scp, PolicyKind::Scp).expect("an error");
    assert!(
        msg.contains("service control policy cannot name a 'Principal'"),
        "{msg}"
    );
    assert_eq!((line, col), (2, 16));
    assert!(
        first_error(
            r#"{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
            PolicyKind::Scp
        )
        .is_none()
    );
    // An RCP only denies, and names everyone.
    let allow = r#"{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}}"#;
    let (msg, ..) = first_error(allow, PolicyKind::Rcp).expect("an error");
    assert!(msg.contains("can only Deny"), "{msg}");
    let named = r#"{"Statement": {"Effect": "Deny", "Principal": {"AWS": "111122223333"}, "Action": "s3:*", "Resource": "*"}}"#;
    let (msg, ..) = first_error(named, PolicyKind::Rcp).expect("an error");
    assert!(msg.contains("must be \"*\""), "{msg}");
    let none = r#"{"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}"#;
    let (msg, ..) = first_error(none, PolicyKind::Rcp).expect("an error");
    assert!(msg.contains("needs a 'Principal'"), "{msg}");
    let good =
        r#"{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}}"#;
    assert!(first_error(good, PolicyKind::Rcp).is_none());
}

#[test]
fn guards_need_an_allow_at_every_level_and_their_denies_win() {
    let full = policy(
        r#"{"Statement": {"Sid": "Full", "Effect": "Allow", "Action": "*", "Resource": "*"}}"#,
        PolicyKind::Scp,
    );
    let ec2 = policy(
        r#"{"Statement": {"Sid": "Ec2", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"}}"#,
        PolicyKind::Scp,
    );
    let rcp = policy(
        r#"{"Statement": {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "*"}}"#,
        PolicyKind::Rcp,
    );
    let id = policy(ALLOW_ALL_ID, PolicyKind::Identity);
    let ctx = Context::new();
    let app = caller(APP);
    let run = |action: &str, scps: Vec<vpcsim_policy::Guard>, rcps: Vec<vpcsim_policy::Guard>| {
        authorize(&Authorization {
            request: Request {
                action,
                resource: OBJ,
                caller: Some(&app),
                context: &ctx,
            },
            identity: vec![("identity app".into(), &id)].into(),
            resource: vec![].into(),
            resource_account: "111122223333",
            endpoint: None,
            limits: vpcsim_policy::Limits {
                scps,
                rcps,
                ..Default::default()
            },
            explain: true,
        })
    };
    let level = |target: &'static str, p: &'static Policy| vpcsim_policy::Guard {
        target: target.into(),
        policies: vec![("scp".into(), p)],
    };
    let full: &'static Policy = Box::leak(Box::new(full));
    let ec2: &'static Policy = Box::leak(Box::new(ec2));
    let rcp: &'static Policy = Box::leak(Box::new(rcp));
    let o = run(
        "s3:GetObject",
        vec![level("root", full), level("OU apps", full)],
        vec![],
    );
    assert_eq!(o.decision, Decision::Allowed, "{}", o.explanation);
    let o = run(
        "s3:GetObject",
        vec![level("root", full), level("OU apps", ec2)],
        vec![],
    );
    assert_eq!(o.decision, Decision::ImplicitDeny);
    assert!(
        o.explanation.contains("attached to OU apps"),
        "{}",
        o.explanation
    );
    let o = run(
        "s3:DeleteObject",
        vec![level("root", full)],
        vec![vpcsim_policy::Guard {
            target: "root".into(),
            policies: vec![("rcp no-delete".into(), rcp)],
        }],
    );
    assert_eq!(o.decision, Decision::ExplicitDeny);
    assert_eq!(refs(&o), ["rcp no-delete statement NoDelete"]);
}

/// The context's index: keys found whatever their case, replaced in place (named as set last),
/// and found beyond what the index holds (a context of 70,000 keys scans for the last ones).
#[test]
fn context_index_finds_every_key() {
    let mut ctx = Context::new();
    let n = 70_000;
    for i in 0..n {
        ctx.set(format!("k:Key{i}"), format!("v{i}"));
    }
    // Replaced, not added: in the first keys and among those beyond the index.
    ctx.set("K:KEY3", "again");
    ctx.set(format!("K:KEY{}", n - 2), "late");
    assert_eq!(ctx.len(), n);
    for i in [0, 1, 2, 4, 63, 64, 1000, 65_533, 65_534, 65_535, n - 1] {
        let v = ctx.get(&format!("K:kEY{i}")).and_then(|v| v.first());
        assert_eq!(v, Some(format!("v{i}").as_str()), "key {i}");
    }
    assert_eq!(ctx.get("k:key3").and_then(|v| v.first()), Some("again"));
    let late = format!("k:key{}", n - 2);
    assert_eq!(ctx.get(&late).and_then(|v| v.first()), Some("late"));
    assert!(ctx.get("k:key70000").is_none());
    assert!(ctx.get("k:other").is_none());
    let order: Vec<&str> = ctx.entries().take(4).map(|(k, _)| k).collect();
    assert_eq!(order, ["k:Key0", "k:Key1", "k:Key2", "K:KEY3"]);
}

/// `extend_from` is setting the other context's keys one by one: values (multivalued and empty
/// lists included) copied, earlier values of the same names replaced, whatever their case.
#[test]
fn context_extend_from_sets_each_key() {
    let mut part = Context::new();
    part.set("aws:SourceVpce", "vpce-1");
    part.set_many(
        "aws:CalledVia",
        ["athena.amazonaws.com", "glue.amazonaws.com"],
    );
    part.set_many("aws:Empty", Vec::<&str>::new());
    part.set("aws:SourceVpc", "vpc-1");
    let mut one = Context::new();
    one.set("AWS:SOURCEVPC", "vpc-0");
    one.set("aws:SecureTransport", "true");
    one.set_many("aws:CalledVia", ["x"]);
    let mut both = one.clone();
    both.extend_from(&part);
    for (k, v) in part.entries() {
        one.set_many(
            k.to_string(),
            v.iter().map(str::to_string).collect::<Vec<_>>(),
        );
    }
    assert_eq!(both, one);
    assert_eq!(both.len(), 5);
    let via: Vec<&str> = both.get("aws:calledvia").unwrap().iter().collect();
    assert_eq!(via, ["athena.amazonaws.com", "glue.amazonaws.com"]);
    assert_eq!(
        both.get("aws:sourcevpc").and_then(|v| v.first()),
        Some("vpc-1")
    );
    assert!(both.get("aws:Empty").is_some_and(|v| v.is_empty()));
    assert_eq!(
        both.get("aws:SecureTransport").and_then(|v| v.first()),
        Some("true")
    );
}

//! The Access Analyzer-style checks of `vpcsim_policy::lint`: one row per finding and per
//! look-alike that must not be flagged (pages: IAM Access Analyzer policy check reference; Service
//! Authorization Reference for Amazon S3).

use vpcsim_policy::{PolicyKind, lint, parse};
use vpcsim_syntax::{Diagnostics, SourceFile, SourceId, yaml};

/// The codes `lint` finds in a policy of `kind` made of `statements` (JSON), with the line and
/// column of each.
fn codes(kind: PolicyKind, statements: &str) -> Vec<(String, u32, u32)> {
    let text = format!("{{\"Version\": \"2012-10-17\", \"Statement\": [\n{statements}\n]}}");
    let file = SourceFile::new("p.json", text.as_str());
    let diags = Diagnostics::new();
    let node = yaml::parse(SourceId(0), &file, &diags).expect("yaml");
    let p = parse(&node, kind, &diags).expect("a valid policy");
    assert_eq!(diags.error_count(), 0, "{text}");
    lint(&p, kind)
        .into_iter()
        .map(|l| (l.kind.code().to_string(), l.span.line, l.span.col))
        .collect()
}

fn only(kind: PolicyKind, statements: &str) -> Vec<String> {
    codes(kind, statements).into_iter().map(|c| c.0).collect()
}

const BUCKET: PolicyKind = PolicyKind::Resource;
const ID: PolicyKind = PolicyKind::Identity;

#[test]
fn actions_and_their_resource_types() {
    let rows: &[(&str, &[&str])] = &[
        // Objects need an object ARN.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}"#,
            &["policy-action-resource-mismatch"],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:getobject", "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]}"#,
            &[],
        ),
        // Buckets need a bucket ARN (or an access point's, through which bucket actions are asked).
        (
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b/*"}"#,
            &["policy-action-resource-mismatch"],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/*"}"#,
            &[],
        ),
        // A wildcard that may reach past the bucket name, "*", a pattern of actions: not flagged.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b*"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b"}"#,
            &[],
        ),
        // Account-level actions need "*"; jobs a job ARN.
        (
            r#"{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::b"}"#,
            &["policy-action-resource-mismatch"],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:DescribeJob", "Resource": "arn:aws:s3:us-east-1:111122223333:job/*"}"#,
            &[],
        ),
        // Another service's ARN is no S3 resource.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:dynamodb:us-east-1:111122223333:table/t"}"#,
            &["policy-action-resource-mismatch"],
        ),
        // S3 on Outposts.
        (
            r#"{"Effect": "Allow", "Action": "s3-outposts:GetObject", "Resource": "arn:aws:s3-outposts:us-west-2:111122223333:outpost/op-01234567890123456/accesspoint/ap/object/*"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3-outposts:GetObject", "Resource": "arn:aws:s3-outposts:us-west-2:111122223333:outpost/op-01234567890123456/bucket/b"}"#,
            &["policy-action-resource-mismatch"],
        ),
        // Unknown actions and patterns; other services are not checked.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObjcet", "Resource": "*"}"#,
            &["policy-unknown-action"],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:Fetch*", "Resource": "*"}"#,
            &["policy-unknown-action"],
        ),
        (
            r#"{"Effect": "Allow", "Action": "ec2:DescribeAnything", "Resource": "*"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}"#,
            &[],
        ),
    ];
    for (statement, want) in rows {
        assert_eq!(&only(ID, statement), want, "{statement}");
    }
}

#[test]
fn keys_sids_not_elements_arns_and_principals() {
    let rows: &[(PolicyKind, &str, &[&str])] = &[
        (
            ID,
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"aws:SourceVpcee": "vpce-1"}}}"#,
            &["policy-unknown-condition-key"],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"AWS:SOURCEVPCE": "vpce-1", "aws:PrincipalTag/team": "a", "s3:prefix": "x/", "ec2:Region": "y"}}}"#,
            &[],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": {"StringEquals": {"s3:prefixx": "x/"}}}"#,
            &["policy-unknown-condition-key"],
        ),
        (
            ID,
            "{\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"},\n{\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:PutObject\", \"Resource\": \"*\"}",
            &["policy-duplicate-sid"],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}"#,
            &["policy-allow-not-action"],
        ),
        (
            ID,
            r#"{"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}"#,
            &[],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"}"#,
            &["policy-allow-not-resource"],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3::b"}"#,
            &["policy-invalid-arn"],
        ),
        (
            BUCKET,
            r#"{"Effect": "Allow", "Principal": {"AWS": "partner"}, "Action": "s3:*", "Resource": "*"}"#,
            &["policy-invalid-principal"],
        ),
        (
            BUCKET,
            r#"{"Effect": "Allow", "Principal": {"AWS": ["*", "111122223333", "arn:aws:iam::111122223333:role/a", "arn:aws:sts::111122223333:assumed-role/a/s"]}, "Action": "s3:*", "Resource": "*"}"#,
            &[],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": ["s3:Get*", "s3:GetObject", "s3:PutObject", "S3:PUTOBJECT"], "Resource": "*"}"#,
            &["policy-redundant-action", "policy-redundant-action"],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b/report.csv", "arn:aws:s3:::B/report.csv", "arn:aws:s3:::b/*"]}"#,
            &["policy-redundant-resource", "policy-redundant-resource"],
        ),
        (
            ID,
            r#"{"Effect": "Allow", "Action": ["s3:Get*", "s3:*Object"], "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::b/${aws:username}"]}"#,
            &[],
        ),
    ];
    for (kind, statement, want) in rows {
        assert_eq!(&only(*kind, statement), want, "{statement}");
    }
}

#[test]
fn findings_point_at_the_element() {
    // The second action of the second line, the key, the second statement.
    let found = codes(
        ID,
        "{\"Sid\": \"A\", \"Effect\": \"Allow\", \"Action\": \"s3:PutObject\", \"Resource\": \"*\"},\n{\"Sid\": \"B\", \"Effect\": \"Allow\", \"Action\": [\"s3:GetObject\", \"s3:Lst*\"], \"Resource\": \"*\"}",
    );
    assert_eq!(found, vec![("policy-unknown-action".into(), 3, 60)]);
}

/// Operators of another type than their key's (Access Analyzer's "Type mismatch"; key types from
/// the Service Authorization Reference and "AWS global condition context keys"), and what is not
/// flagged: String operators on any key, Null, each operator on a key of its type, `aws:EpochTime`
/// with Numeric operators, keys vpcsim does not know.
#[test]
fn operators_of_another_type_than_their_key() {
    let cond = |c: &str| {
        format!(r#"{{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {c}}}"#)
    };
    let rows: &[(&str, &[&str])] = &[
        (
            r#"{"NumericLessThan": {"aws:SourceIp": "10"}}"#,
            &["policy-operator-mismatch"],
        ),
        (
            r#"{"IpAddress": {"aws:username": "10.0.0.0/8"}}"#,
            &["policy-operator-mismatch"],
        ),
        (
            r#"{"DateGreaterThan": {"s3:prefix": "2024-01-01T00:00:00Z"}}"#,
            &["policy-operator-mismatch"],
        ),
        (
            r#"{"Bool": {"aws:SourceVpce": "true"}}"#,
            &["policy-operator-mismatch"],
        ),
        (
            r#"{"ForAnyValue:NumericEqualsIfExists": {"aws:SecureTransport": "1"}}"#,
            &["policy-operator-mismatch"],
        ),
        (
            r#"{"ArnLike": {"aws:SourceVpc": "arn:aws:ec2:*:*:vpc/*"}}"#,
            &["policy-operator-mismatch"],
        ),
        (
            r#"{"BinaryEquals": {"s3:x-amz-acl": "cHJpdmF0ZQ=="}}"#,
            &["policy-operator-mismatch"],
        ),
        // Each operator on a key of its type.
        (
            r#"{"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "NumericLessThan": {"s3:TlsVersion": "1.2"}, "DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}, "Bool": {"aws:SecureTransport": "false"}, "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/a"}}"#,
            &[],
        ),
        // String operators fit every key; Null tests presence; EpochTime takes numbers.
        (
            r#"{"StringEquals": {"aws:SecureTransport": "true", "aws:SourceIp": "10.0.0.1", "s3:max-keys": "10"}, "Null": {"aws:SourceIp": "true"}, "NumericGreaterThan": {"aws:EpochTime": "1700000000"}}"#,
            &[],
        ),
        // Keys of other services, and unknown keys, are not checked here.
        (r#"{"Bool": {"ec2:Encrypted": "true"}}"#, &[]),
        (
            r#"{"Bool": {"aws:SourceVpcee": "true"}}"#,
            &["policy-unknown-condition-key"],
        ),
    ];
    for (c, want) in rows {
        assert_eq!(&only(ID, &cond(c)), want, "{c}");
    }
    // At the key, in line and column.
    assert_eq!(
        codes(
            ID,
            &cond(r#"{"IpAddress": {"aws:username": "10.0.0.0/8"}}"#)
        ),
        [("policy-operator-mismatch".to_string(), 2, 83)]
    );
}

/// Access Analyzer suggests removing or merging a statement another one already covers.
#[test]
fn statements_another_statement_covers() {
    let rows: &[(&str, &[&str])] = &[
        // The same statement twice: the later one is reported, once.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
            &["policy-redundant-statement"],
        ),
        // Covered by patterns of a later statement: the earlier, narrower one is reported.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/report.csv"},
               {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}"#,
            &["policy-redundant-statement"],
        ),
        // Another effect, other conditions or a resource outside: not redundant.
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
               {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}"#,
            &[],
        ),
        (
            r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["arn:aws:s3:::b/*", "arn:aws:s3:::c/*"]}"#,
            &[],
        ),
        // Conditions compare without order; keys without case.
        (
            r#"{"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "false"}, "StringNotEquals": {"aws:SourceVpce": "vpce-1"}}},
               {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*", "Condition": {"StringNotEquals": {"AWS:sourcevpce": "vpce-1"}, "Bool": {"aws:SecureTransport": "false"}}}"#,
            &["policy-redundant-statement"],
        ),
        // A NotAction statement is not compared.
        (
            r#"{"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"},
               {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}"#,
            &[],
        ),
    ];
    for (statements, want) in rows {
        assert_eq!(&only(ID, statements), want, "{statements}");
    }
}

#[test]
fn a_prefix_pattern_covers_narrower_patterns() {
    assert_eq!(
        only(
            ID,
            r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::data/*"},
               {"Effect": "Allow", "Action": "s3:GetObject*", "Resource": "arn:aws:s3:::data/2025/*"}"#
        ),
        ["policy-redundant-statement"]
    );
    // `data/*` does not cover `dat*` (it could match `date`).
    assert!(
        only(
            ID,
            r#"{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::data/*"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::dat*"}"#
        )
        .is_empty()
    );
}

//! `vpcsim policy eval --batch`: the data-driven policy cases of `tests/policy/cases.jsonl` (one
//! JSON case per line, each citing the AWS page it follows, with the decision it expects), and
//! how a batch treats lines it cannot evaluate.
//!
//! To add a case, add a line to `tests/policy/cases.jsonl` (the format is in docs/policy.md):
//! `doc` is the AWS page the expectation follows, `expect` the decision (`allowed`, `denied`,
//! `explicitly denied`, `implicitly denied`), `expect_deciding` optionally the deciding statements.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn batch(path: &str, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args(["policy", "eval", "--batch", path])
        .current_dir(root())
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vpcsim");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write stdin");
    }
    child.wait_with_output().expect("vpcsim ends")
}

fn verdicts(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each verdict is one JSON line"))
        .collect()
}

#[test]
fn every_case_gets_the_decision_its_aws_page_gives() {
    let file = "tests/policy/cases.jsonl";
    let text = std::fs::read_to_string(root().join(file)).expect("the case file");
    let cases: Vec<serde_json::Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("each case is one JSON line"))
        .collect();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    // Every case cites the page it follows and says what it expects.
    let mut ids = std::collections::HashSet::new();
    for c in &cases {
        let id = c["id"].as_str().expect("every case has an id");
        assert!(ids.insert(id.to_string()), "two cases are named {id}");
        let doc = c["doc"].as_str().unwrap_or_default();
        assert!(
            doc.starts_with("https://docs.aws.amazon.com/")
                || doc.starts_with("https://repost.aws/"),
            "{id}: cite the AWS page the case follows in \"doc\""
        );
        assert!(c["expect"].is_string(), "{id}: no \"expect\"");
    }
    let o = batch(file, None);
    let stderr = String::from_utf8_lossy(&o.stderr);
    let got = verdicts(&o);
    assert_eq!(got.len(), cases.len(), "one verdict per case: {stderr}");
    let mut failures = Vec::new();
    for (c, v) in cases.iter().zip(&got) {
        assert_eq!(v["id"], c["id"], "verdicts come in the order of the cases");
        if v["pass"] != true {
            failures.push(format!(
                "{} (line {}, {}): expected {}{}, got {} by {}: {}",
                c["id"],
                v["line"],
                c["doc"],
                c["expect"],
                if c["expect_deciding"].is_null() {
                    String::new()
                } else {
                    format!(" by {}", c["expect_deciding"])
                },
                v["decision"],
                v["deciding"],
                v["notes"][0]
                    .as_str()
                    .or(v["error"].as_str())
                    .unwrap_or_default()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(&format!("{n} of {n} expectations met", n = cases.len())),
        "{stderr}"
    );
}

/// A line that cannot be evaluated gets an error verdict naming its line, and the batch goes on.
#[test]
fn malformed_lines_get_an_error_verdict_and_the_batch_goes_on() {
    let good = r#"{"id": "ok", "caller": "arn:aws:iam::111122223333:role/app", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {"identity": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}}, "expect": "allowed"}"#;
    let lines = [
        good,
        "{not json",
        "",
        "[1, 2]",
        r#"{"id": "no-action", "resource": "arn:aws:s3:::b/k"}"#,
        r#"{"id": 7, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "color": "red"}"#,
        r#"{"id": "bad-caller", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "caller": "alice"}"#,
        r#"{"id": "bad-policy", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {"identity": {"Statement": {"Effect": "Permit", "Action": "*", "Resource": "*"}}}}"#,
        r#"{"id": "rcp-allow", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {"rcp": [{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}}]}}"#,
        r#"{"id": "bad-context", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {"k": null}}"#,
        r#"{"id": "missing-file", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {"bucket": "no-such-policy.json"}}"#,
        r#"{"id": "bad-expect", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "expect": "maybe"}"#,
        r#"{"id": "unmet", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "expect": "allowed"}"#,
        good,
    ];
    let o = batch("-", Some(&lines.join("\n")));
    let v = verdicts(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    // The blank line has no verdict; every other line has one, in order.
    assert_eq!(v.len(), lines.len() - 1, "{stderr}");
    let error = |i: usize| v[i]["error"].as_str().unwrap_or_default().to_string();
    assert_eq!(v[0]["decision"], "allowed");
    assert_eq!(v[0]["pass"], true);
    assert!(error(1).starts_with("line 2: not JSON"), "{}", error(1));
    assert_eq!(v[1]["decision"], "error");
    assert_eq!(v[1]["line"], 2);
    assert!(
        error(2).starts_with("line 4: a case is a JSON object"),
        "{}",
        error(2)
    );
    assert!(
        error(3).contains("line 5: 'action' is missing"),
        "{}",
        error(3)
    );
    assert_eq!(v[3]["id"], "no-action");
    assert!(error(4).contains("unknown field `color`"), "{}", error(4));
    assert_eq!(v[4]["id"], 7);
    assert!(
        error(5).contains("'alice' is not an IAM principal ARN"),
        "{}",
        error(5)
    );
    assert!(
        error(6).contains("identity policy 1: 'Permit' is not an Effect"),
        "{}",
        error(6)
    );
    assert!(
        error(7).contains("rcp policy 1: a resource control policy can only Deny"),
        "{}",
        error(7)
    );
    assert!(error(8).contains("context: 'k' is null"), "{}", error(8));
    assert!(
        error(9).contains("cannot read ./no-such-policy.json"),
        "{}",
        error(9)
    );
    assert!(error(10).contains("'expect' is 'maybe'"), "{}", error(10));
    assert_eq!(v[11]["decision"], "implicitly denied");
    assert_eq!(v[11]["pass"], false);
    assert_eq!(v[12]["pass"], true);
    assert_eq!(
        o.status.code(),
        Some(1),
        "errors and unmet expectations: exit 1"
    );
    assert!(
        stderr.contains("13 cases: 3 evaluated, 10 errors; 2 of 3 expectations met"),
        "{stderr}"
    );
}

/// What is not a batch file is refused at once (no hang on a device), exit 2.
#[test]
fn a_batch_that_cannot_be_read_is_refused() {
    for (path, says) in [
        ("/dev/zero", "not a regular file"),
        ("tests/policy/no-such-file.jsonl", "cannot read"),
        ("tests/policy", "a directory"),
    ] {
        let o = batch(path, None);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains(says), "{path}: {stderr}");
        assert!(o.stdout.is_empty());
    }
}

/// Lines built to be expensive are answered at once, each with its error: an object of many keys
/// (a duplicate check that scanned would be quadratic), a context of thousands of keys, nesting
/// deeper than any policy.
#[test]
fn hostile_lines_are_refused_quickly() {
    let keys: Vec<String> = (0..50_000).map(|i| format!("\"k{i}\": \"v\"")).collect();
    let big_policy = format!(
        r#"{{"id": "keys", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {{"identity": {{"Statement": [], {}}}}}}}"#,
        keys.join(", ")
    );
    let twice = format!(
        r#"{{"id": "twice", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {{"identity": {{{}, "k7": "again"}}}}}}"#,
        keys.join(", ")
    );
    let context = format!(
        r#"{{"id": "context", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "context": {{{}}}}}"#,
        keys[..5000].join(", ")
    );
    let deep = format!(
        r#"{{"id": "deep", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {{"identity": {}1{}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let deep_object = format!(
        r#"{{"id": "deep-object", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "policies": {{"identity": {}1{}}}}}"#,
        r#"{"a": "#.repeat(5000),
        "}".repeat(5000)
    );
    let lines = [
        big_policy,
        twice,
        context,
        deep,
        deep_object,
        "[".repeat(100_000),
    ];
    let start = std::time::Instant::now();
    let o = batch("-", Some(&lines.join("\n")));
    let took = start.elapsed();
    let v = verdicts(&o);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(v.len(), lines.len(), "{stderr}");
    assert!(v.iter().all(|v| v["decision"] == "error"), "{v:?}");
    let error = |i: usize| v[i]["error"].as_str().unwrap_or_default().to_string();
    assert!(
        error(0).contains("unknown key 'k0' in a policy"),
        "{}",
        error(0)
    );
    assert!(error(1).contains("duplicate key 'k7'"), "{}", error(1));
    assert!(
        error(2).contains("the context has 5000 keys"),
        "{}",
        error(2)
    );
    assert!(error(3).contains("is neither a policy"), "{}", error(3));
    assert!(error(4).contains("recursion limit"), "{}", error(4));
    // Generous for a debug build on a shared machine; a quadratic check took minutes.
    assert!(took.as_secs() < 30, "{took:?}");
}

/// `policy eval` takes the policies that limit the others: a boundary, session policies, and SCPs
/// and RCPs by organization node; each file also gets the Access Analyzer-style checks.
#[test]
fn policy_eval_takes_boundaries_sessions_scps_and_rcps() {
    let eval = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_vpcsim"))
            .args([
                "policy",
                "eval",
                "--caller",
                "arn:aws:iam::111122223333:role/app",
            ])
            .args([
                "--identity",
                "tests/policy/examples/app-all.json",
                "--resource",
                "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/report.csv",
            ])
            .args(args)
            .current_dir(root())
            .env("NO_COLOR", "1")
            .output()
            .expect("vpcsim runs");
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let boundary = "tests/policy/examples/boundary-read-only.json";
    let (code, out, _) = eval(&["--action", "s3:GetObject", "--boundary", boundary]);
    assert_eq!(code, Some(0));
    assert!(out.contains("\nALLOWED:"), "{out}");
    let (_, out, _) = eval(&["--action", "s3:PutObject", "--session-policy", boundary]);
    assert!(
        out.contains("IMPLICITLY DENIED:") && out.contains("no session policy"),
        "{out}"
    );
    let deny = "FullAWSAccess,tests/policy/examples/scp-deny-delete.json";
    let (_, out, _) = eval(&[
        "--action",
        "s3:DeleteObject",
        "--scp",
        "FullAWSAccess",
        "--scp",
        deny,
    ]);
    assert!(
        out.contains("explicitly denied by scp scp-deny-delete statement NoDelete"),
        "{out}"
    );
    // An OU whose only SCP allows nothing of S3.
    let (_, out, _) = eval(&[
        "--action",
        "s3:GetObject",
        "--scp",
        "FullAWSAccess",
        "--scp",
        "tests/policy/examples/scp-deny-delete.json",
        "--scp",
        "FullAWSAccess",
    ]);
    assert!(
        out.contains("no service control policy attached to OU 1 allows it"),
        "{out}"
    );
    // An RCP that allows is refused as Organizations refuses it: exit 1, no verdict.
    let (code, out, err) = eval(&[
        "--action",
        "s3:GetObject",
        "--rcp",
        "tests/policy/examples/app-all.json",
    ]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        err.contains("a resource control policy can only Deny"),
        "{err}"
    );
    // A verdict on another service's action says what it does not cover.
    let (_, out, _) = eval(&["--action", "ec2:RunInstances"]);
    assert!(
        out.contains("note: vpcsim carries S3 requests only"),
        "{out}"
    );
    let (_, out, _) = eval(&["--action", "s3:GetObject"]);
    assert!(!out.contains("note:"), "{out}");
    // The checks of validate, as warnings.
    let (code, _, err) = eval(&[
        "--action",
        "s3:GetObject",
        "--identity",
        "tests/policy/examples/typo.json",
    ]);
    assert_eq!(code, Some(0));
    assert!(
        err.contains("policy-unknown-action") && err.contains("did you mean 's3:GetObject'?"),
        "{err}"
    );
}

/// The policy checks `validate` runs (Access Analyzer's, `vpcsim_policy::lint`) run on a batch
/// case's policies too: each finding is a note of the verdict, `LABEL: CODE …` (with the line
/// and column in a policy file), and does not change the decision.
#[test]
fn check_findings_are_notes_of_the_verdict() {
    let case = r#"{"id": "mismatch", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "caller": "arn:aws:iam::111122223333:role/app", "context": {"aws:SourceIp": "10.0.0.1"}, "policies": {"identity": [{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}, {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": {"NumericLessThan": {"aws:SourceIp": "10"}}}]}, {"Statement": [{"Effect": "Allow", "Action": "s3:GetObjcet", "Resource": "*"}]}]}, "expect": "allowed"}
{"id": "clean", "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k", "caller": "arn:aws:iam::111122223333:role/app", "policies": {"identity": {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}, "expect": "allowed"}
"#;
    let o = batch("-", Some(case));
    let v = verdicts(&o);
    assert_eq!(o.status.code(), Some(0), "{v:?}");
    let notes: Vec<&str> = v[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(notes.len(), 3, "{notes:?}");
    assert!(
        notes[1].starts_with("identity 1: policy-operator-mismatch: NumericLessThan compares numbers, and 'aws:SourceIp' is of type IPAddress"),
        "{notes:?}"
    );
    assert!(
        notes[2].starts_with("identity 2: policy-unknown-action: 's3:GetObjcet'")
            && notes[2].contains("did you mean 's3:GetObject'?"),
        "{notes:?}"
    );
    assert_eq!(v[1]["notes"].as_array().unwrap().len(), 1, "{:?}", v[1]);
}

//! End-to-end tests of the `vpcsim` binary: exit codes, output formats, the committed schema.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vpcsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run vpcsim")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

#[test]
fn validate_accepts_the_reference_topology() {
    let o = vpcsim(&["validate", "topologies/hybrid-s3.yaml"]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        code(&o),
        0,
        "{stdout}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout.starts_with("topologies/hybrid-s3.yaml: valid"),
        "{stdout}"
    );
    // The seed's lock-out warning on the endpoint-only bucket policy.
    assert!(String::from_utf8_lossy(&o.stderr).contains("policy-console-lockout"));
}

#[test]
fn validate_exits_1_and_renders_a_snippet_for_an_invalid_topology() {
    let o = vpcsim(&["validate", "tests/invalid/06-dangling-endpoint-subnet.yaml"]);
    assert_eq!(code(&o), 1);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("no subnet named 'endpoint-b' in VPC 'main'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("06-dangling-endpoint-subnet.yaml:19:32"),
        "{stderr}"
    );
    assert!(
        stderr.contains("subnets: [endpoints-a, endpoint-b]"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean 'endpoints-b'?"), "{stderr}");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("invalid: 1 error"), "{stdout}");
}

#[test]
fn validate_json_lists_every_diagnostic_with_its_place() {
    let o = vpcsim(&[
        "validate",
        "--format",
        "json",
        "tests/invalid/five-mistakes.yaml",
        "topologies/hybrid-s3.yaml",
    ]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["valid"], false);
    assert_eq!(files[0]["errors"], 5);
    let first = &files[0]["diagnostics"][0];
    assert_eq!(first["code"], "unknown-key");
    assert_eq!(first["line"], 13);
    assert_eq!(first["column"], 51);
    assert_eq!(first["file"], "tests/invalid/five-mistakes.yaml");
    assert_eq!(first["help"], "did you mean 'route_table'?");
    assert_eq!(files[1]["valid"], true);
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(code(&vpcsim(&["validate", "no/such/file.yaml"])), 2);
    assert_eq!(code(&vpcsim(&["validate"])), 2);
    assert_eq!(code(&vpcsim(&["frobnicate"])), 2);
    let json = vpcsim(&["validate", "--format", "json", "no/such/file.yaml"]);
    assert_eq!(code(&json), 2);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON output");
    assert!(
        v["files"][0]["error"]
            .as_str()
            .unwrap()
            .contains("no/such/file.yaml")
    );
}

#[test]
fn committed_schema_is_up_to_date() {
    let o = vpcsim(&["schema"]);
    assert_eq!(code(&o), 0);
    let committed =
        std::fs::read_to_string(root().join("docs/topology.schema.json")).unwrap_or_default();
    assert!(
        committed == String::from_utf8_lossy(&o.stdout),
        "docs/topology.schema.json is out of date: run `cargo run -q -p vpcsim -- schema > docs/topology.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&committed).expect("valid JSON");
    assert!(schema["properties"]["vpcs"].is_object());
    assert!(
        schema["$defs"]["Endpoint"]["properties"]["private_dns_only_for_inbound_resolver_endpoint"]
            .is_object()
    );
}

#[test]
fn policy_eval_explains_the_seed_bucket_policy() {
    let dir = std::env::temp_dir().join(format!("vpcsim-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let identity = dir.join("app.json");
    std::fs::write(&identity, r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#).unwrap();
    let id = identity.to_str().unwrap();
    let base = [
        "policy",
        "eval",
        "--identity",
        id,
        "--resource-policy",
        "topologies/policies/access-to-specific-vpce-only.json",
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::DOC-EXAMPLE-BUCKET2/report.csv",
        "--caller",
        "arn:aws:iam::111122223333:role/app",
        "--format",
        "json",
    ];
    // Not through the endpoint: the seed's Deny decides.
    let o = vpcsim(&base);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["decision"], "explicitly denied");
    assert_eq!(
        v["deciding"][0],
        "resource access-to-specific-vpce-only statement Access-to-specific-VPCE-only"
    );
    // Through vpce-1a2b3c4d (the key's case does not matter).
    let mut through = base.to_vec();
    through.extend(["--context", "AWS:SourceVpce=vpce-1a2b3c4d"]);
    let v: serde_json::Value = serde_json::from_slice(&vpcsim(&through).stdout).unwrap();
    assert_eq!(v["decision"], "allowed");
    // A broken policy file is reported with its place, exit 1.
    let broken = dir.join("broken.json");
    std::fs::write(
        &broken,
        r#"{"Statement":[{"Effect":"Permit","Action":"s3:*","Resource":"*"}]}"#,
    )
    .unwrap();
    let o = vpcsim(&[
        "policy",
        "eval",
        "--identity",
        broken.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("'Permit' is not an Effect"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `policy eval` with the policy `text`, as the caller's identity policy, for s3:GetObject.
fn eval_identity(tag: &str, text: &str) -> Output {
    let dir = std::env::temp_dir().join(format!("vpcsim-eval-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("identity.json");
    std::fs::write(&path, text).unwrap();
    let o = vpcsim(&[
        "policy",
        "eval",
        "--identity",
        path.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::reports/a.csv",
        "--caller",
        "arn:aws:iam::111122223333:role/app",
        "--context",
        "aws:SourceIp=203.0.113.9",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    o
}

/// An invalid policy never yields a verdict (issue 14, item 16): a duplicate `Effect` was
/// reported, and then the first one answered ALLOWED with exit 0.
#[test]
fn policy_eval_gives_no_verdict_for_a_policy_with_a_duplicate_key() {
    let o = eval_identity(
        "dup",
        r#"{"Statement": [{"Effect": "Allow", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}"#,
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{stderr}");
    assert!(stderr.contains("duplicate key 'Effect'"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "", "no verdict");
}

/// Condition values are checked at load (issue 14, item 15): `NotIpAddress` with `abc` was
/// accepted and then held for every request (this Deny refused everyone).
#[test]
fn policy_eval_refuses_condition_values_the_operator_cannot_read() {
    let o = eval_identity(
        "cond",
        r#"{"Statement": [
  {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
  {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
   "Condition": {"NotIpAddress": {"aws:SourceIp": "abc"}}}
]}"#,
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{stderr}");
    assert!(
        stderr.contains("'abc' is not an IP address or CIDR block, as NotIpAddress needs"),
        "{stderr}"
    );
    assert!(stderr.contains("identity.json:4:51]"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "", "no verdict");
}

/// Names and values printed by `check` are escaped (issue 14, item 17): control characters made
/// the JUnit XML unparseable (XML 1.0 forbids them even as `&#1;`), and a newline in a name
/// printed a line of its own in the text report.
#[test]
fn check_escapes_control_characters_in_text_and_junit() {
    let dir = std::env::temp_dir().join(format!("vpcsim-junit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let topo = dir.join("t.yaml");
    std::fs::write(
        &topo,
        r#"regions:
  us-east-1: { azs: [us-east-1a] }
accounts:
  "111122223333": { name: workload }
vpcs:
  main:
    account: "111122223333"
    region: us-east-1
    cidr: 10.0.0.0/16
    subnets:
      a: { az: us-east-1a, cidr: 10.0.1.0/24 }
    instances:
      app: { subnet: a, ip: 10.0.1.10 }
expect:
  - name: "evil\x01 \e[2J\rX\nFAIL forged.yaml:1: all good\u202e <x> & \"q\" 'a' \uFFFE"
    from: main/app
    request: "example.com:443"
    verdict: allowed
"#,
    )
    .unwrap();
    let path = topo.to_str().unwrap();
    let o = vpcsim(&["check", "--format", "junit", path]);
    assert_eq!(code(&o), 1);
    let xml = String::from_utf8(o.stdout).unwrap();
    // Every character is one XML 1.0 allows (no C0 control but tab, LF, CR; no U+FFFE/U+FFFF),
    // and the markup characters of the name are entities.
    let bad: Vec<char> = xml
        .chars()
        .filter(|&c| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        })
        .collect();
    assert!(bad.is_empty(), "{bad:?} in {xml}");
    assert!(
        xml.contains(r#"name="evil\u{1} \u{1b}[2J\rX\nFAIL forged.yaml:1: all good\u{202e} &lt;x&gt; &amp; &quot;q&quot; &apos;a&apos; \u{fffe}""#),
        "{xml}"
    );
    let o = vpcsim(&["check", path]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        !text.contains(['\x01', '\x1b', '\r', '\u{202e}']),
        "{text:?}"
    );
    assert!(
        text.lines().all(|l| !l.starts_with("FAIL forged")),
        "a name printed a line of its own: {text}"
    );
    assert!(
        text.contains(r"evil\u{1} \u{1b}[2J\rX\nFAIL forged.yaml:1"),
        "{text}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_fails_when_a_file_has_nothing_to_check() {
    // tests/e2e's topology has expectations; a copy without them checks nothing.
    let dir = std::env::temp_dir().join(format!("vpcsim-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("no-expectations.yaml");
    std::fs::write(
        &file,
        "regions:\n  us-east-1: { azs: [us-east-1a] }\naccounts:\n  \"111122223333\": { name: a }\n",
    )
    .unwrap();
    let o = vpcsim(&["check", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.contains("has no expectations: nothing was checked"),
        "{err}"
    );
    let o = vpcsim(&["check", "topologies/glacier.yaml"]);
    assert_eq!(code(&o), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg(unix)]
fn a_closed_pipe_ends_a_command_quietly() {
    use std::io::Read;
    // `vpcsim trace … --repeat 100000 | head -c 10`: the reader goes away early.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args([
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "datacenter/build-server",
            "--format",
            "json",
            "--repeat",
            "100000",
            "GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv",
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 10];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_ne!(out.status.code(), Some(101), "{err}");
}

#[test]
fn deny_warnings_fails_and_quiet_hides_them() {
    // hybrid-s3 is valid with one warning (the bucket policy's lock-out).
    let o = vpcsim(&["validate", "topologies/hybrid-s3.yaml"]);
    assert_eq!(code(&o), 0);
    assert!(String::from_utf8_lossy(&o.stderr).contains("policy-console-lockout"));
    let o = vpcsim(&["validate", "--deny-warnings", "topologies/hybrid-s3.yaml"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("1 warning and --deny-warnings"), "{err}");
    let o = vpcsim(&["validate", "--quiet", "topologies/hybrid-s3.yaml"]);
    assert_eq!(code(&o), 0);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("policy-console-lockout"));
    let o = vpcsim(&[
        "check",
        "--deny-warnings",
        "--quiet",
        "topologies/hybrid-s3.yaml",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(!err.contains("policy-console-lockout"), "{err}");
    // A file without warnings passes either way.
    let o = vpcsim(&[
        "check",
        "--deny-warnings",
        "topologies/cross-region-peering.yaml",
    ]);
    assert_eq!(code(&o), 0);
}

#[test]
fn diagram_draws_the_topology_and_the_path_as_the_library_does() {
    let request = "GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv";
    let o = vpcsim(&[
        "diagram",
        "topologies/hybrid-s3.yaml",
        "--from",
        "datacenter/build-server",
        "--request",
        request,
        "--fail",
        "dx-primary",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let svg = String::from_utf8(o.stdout).expect("UTF-8");
    // The same picture as the library draws for the same question (the HTTP API's /diagram is
    // held to the same bytes in crates/vpcsim-server/tests/serve.rs).
    let loaded = vpcsim_topology::load(
        &root().join("topologies/hybrid-s3.yaml"),
        &vpcsim_topology::StdFs,
    )
    .expect("readable");
    let topo = loaded.topology.expect("valid");
    let engine = vpcsim_engine::Engine::new(&topo);
    let net = engine.network(&[topo.find_failure("dx-primary").unwrap()]);
    let source = topo.find_sender("datacenter/build-server").unwrap();
    let mut t = engine
        .trace(
            &net,
            source,
            "datacenter/build-server",
            request,
            &vpcsim_engine::Options::default(),
            &mut vpcsim_dns::Rotation::new(),
        )
        .unwrap();
    engine.render(&mut t);
    let expected = vpcsim_diagram::Diagram::new(&topo, &net.links)
        .with_trace(&topo, &t)
        .render(vpcsim_diagram::Format::Svg);
    assert_eq!(svg, expected);

    // The format follows the output file's name; DOT and Mermaid name the same elements.
    let dir = std::env::temp_dir().join(format!("vpcsim-diagram-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (file, start) in [
        ("h.dot", "digraph \"hybrid-s3\""),
        ("h.mmd", "flowchart LR"),
    ] {
        let out = dir.join(file);
        let o = vpcsim(&[
            "diagram",
            "topologies/hybrid-s3.yaml",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.starts_with(start), "{file}: {text}");
        assert!(text.contains("dx-primary") && text.contains("build-server"));
    }
    let _ = std::fs::remove_dir_all(&dir);

    // Mistakes are usage errors with what to do.
    for (args, says) in [
        (
            vec![
                "diagram",
                "topologies/hybrid-s3.yaml",
                "--from",
                "datacenter/build-server",
            ],
            "go together",
        ),
        (
            vec!["diagram", "topologies/hybrid-s3.yaml", "-o", "x.png"],
            ".svg, .dot or .mmd",
        ),
        (
            vec![
                "diagram",
                "topologies/hybrid-s3.yaml",
                "--fail",
                "dx-primry",
            ],
            "dx-primary",
        ),
        (
            vec![
                "diagram",
                "topologies/hybrid-s3.yaml",
                "--from",
                "datacenter/nobody",
                "--request",
                "GET https://x/",
            ],
            "build-server",
        ),
    ] {
        let o = vpcsim(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

#[test]
fn import_aws_reads_a_folder_and_says_what_is_wrong_with_it() {
    // The shipped example imports, loads and names its warnings on standard error.
    let o = vpcsim(&[
        "import",
        "aws",
        "examples/import/aws",
        "--name",
        "moto-account",
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let yaml = String::from_utf8_lossy(&o.stdout);
    assert!(yaml.contains("name: moto-account") && yaml.contains("vpce-1da48d71e4aa83e69"));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("warning: vpce-1da48d71e4aa83e69: its network interface")
    );

    // The script: every call, read-only.
    let o = vpcsim(&["import", "aws", "--print-commands", "--region", "eu-west-1"]);
    let script = String::from_utf8_lossy(&o.stdout);
    for call in [
        "ec2 describe-vpcs",
        "ec2 describe-prefix-lists",
        "route53 list-hosted-zones",
        "route53resolver list-resolver-endpoint-ip-addresses",
        "directconnect describe-virtual-interfaces",
        "s3api get-bucket-policy",
        "REGIONS=\"eu-west-1\"",
    ] {
        assert!(script.contains(call), "{call} in\n{script}");
    }
    assert!(
        !script.contains(" create-") && !script.contains(" delete-") && !script.contains(" put-")
    );

    // A file that is not JSON: its place; an empty folder: what to do.
    let dir = std::env::temp_dir().join(format!("vpcsim-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("us-east-1")).unwrap();
    let o = vpcsim(&["import", "aws", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("--print-commands"));
    std::fs::write(
        dir.join("us-east-1/ec2-describe-vpcs.json"),
        "{\"Vpcs\": [\n  {,}\n]}",
    )
    .unwrap();
    let o = vpcsim(&["import", "aws", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("ec2-describe-vpcs.json:2:4"), "{err}");
    // A misnamed file is a warning, and the rest imports.
    std::fs::write(
        dir.join("us-east-1/ec2-describe-vpcs.json"),
        "{\"Vpcs\": []}",
    )
    .unwrap();
    std::fs::write(dir.join("us-east-1/ec2-describe-vpc.json"), "{}").unwrap();
    let o = vpcsim(&["import", "aws", dir.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("us-east-1/ec2-describe-vpc.json: not a file vpcsim import aws reads")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--context-file` (issue 16, defect 4): a JSON object of key → string or array of strings, so a
/// multivalued key can be empty and values can hold commas, which `--context K=V1,V2` cannot say.
/// Bad input is refused with a sentence and exit 2, never a panic.
#[test]
fn policy_eval_reads_a_json_context_file() {
    let dir = std::env::temp_dir().join(format!("vpcsim-context-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let identity = dir.join("tags.json");
    std::fs::write(
        &identity,
        r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Tags", "Effect": "Allow", "Action": "s3:*", "Resource": "*",
  "Condition": {"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b,c"]}}}]}"#,
    )
    .unwrap();
    let eval = |context: &str| {
        let file = dir.join("context.json");
        std::fs::write(&file, context).unwrap();
        vpcsim(&[
            "policy",
            "eval",
            "--identity",
            identity.to_str().unwrap(),
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::reports/a.csv",
            "--caller",
            "arn:aws:iam::111122223333:role/app",
            "--context-file",
            file.to_str().unwrap(),
            "--format",
            "json",
        ])
    };
    let decision = |o: &Output| {
        assert_eq!(code(o), 0, "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["decision"].as_str().unwrap().to_string()
    };
    // A value with a comma is one value.
    assert_eq!(
        decision(&eval(r#"{"aws:TagKeys": ["x", "b,c"]}"#)),
        "allowed"
    );
    assert_eq!(
        decision(&eval(r#"{"aws:TagKeys": ["b", "c"]}"#)),
        "implicitly denied"
    );
    // An empty set: ForAnyValue is false.
    assert_eq!(
        decision(&eval(r#"{"aws:TagKeys": [], "aws:SecureTransport": true}"#)),
        "implicitly denied"
    );
    // `--context` is added after the file.
    let file = dir.join("context.json");
    std::fs::write(&file, r#"{"aws:TagKeys": ["x"]}"#).unwrap();
    let o = vpcsim(&[
        "policy",
        "eval",
        "--identity",
        identity.to_str().unwrap(),
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::reports/a.csv",
        "--context-file",
        file.to_str().unwrap(),
        "--context",
        "aws:TagKeys=a",
        "--caller",
        "arn:aws:iam::111122223333:role/app",
    ]);
    assert!(
        String::from_utf8_lossy(&o.stdout).starts_with("s3:GetObject"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).contains("ALLOWED"));
    // Bad input: a sentence, exit 2.
    for (text, says) in [
        ("[1, 2]", "the context is an array: write a JSON object"),
        (r#"{"k": null}"#, "'k' is null: leave the key out"),
        (r#"{"k": {"x": 1}}"#, "'k' is an object"),
        (r#"{"k": ["a", []]}"#, "the value 2 of 'k' is an array"),
        (r#"{"k": "a", "K": "b"}"#, "is given twice"),
        (r#"{"": "a"}"#, "a condition key name is empty"),
        ("{oops", "it is not JSON"),
        ("", "it is not JSON"),
    ] {
        let o = eval(text);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{text}: {stderr}");
        assert!(stderr.contains(says), "{text}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert_eq!(String::from_utf8_lossy(&o.stdout), "", "no verdict");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn import_cloudformation_and_terraform_say_what_is_wrong_with_their_input() {
    for (args, says) in [
        (
            vec![
                "import",
                "cloudformation",
                "examples/import/cloudformation/hybrid-s3.yaml",
            ],
            "name: hybrid-s3",
        ),
        (
            vec![
                "import",
                "terraform",
                "examples/import/terraform/plan.json",
                "--name",
                "tf",
            ],
            "name: tf",
        ),
    ] {
        let o = vpcsim(&args);
        assert_eq!(
            code(&o),
            0,
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stdout).contains(says));
    }
    let dir = std::env::temp_dir().join(format!("vpcsim-iac-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_yaml = dir.join("bad.yaml");
    std::fs::write(&bad_yaml, "Resources:\n  V: [\n").unwrap();
    let no_resources = dir.join("empty.json");
    std::fs::write(
        &no_resources,
        "{\"AWSTemplateFormatVersion\": \"2010-09-09\"}",
    )
    .unwrap();
    let not_plan = dir.join("state.json");
    std::fs::write(&not_plan, "{\"format_version\": \"1.0\", \"values\": {}}").unwrap();
    let broken_plan = dir.join("broken.json");
    std::fs::write(&broken_plan, "{\"planned_values\": \n").unwrap();
    for (args, says) in [
        (
            vec!["import", "cloudformation", bad_yaml.to_str().unwrap()],
            "not a CloudFormation template: line",
        ),
        (
            vec!["import", "cloudformation", no_resources.to_str().unwrap()],
            "has a `Resources` mapping",
        ),
        (
            vec!["import", "cloudformation", "x.yaml", "--account", "12"],
            "12 digits",
        ),
        (
            vec![
                "import",
                "cloudformation",
                "examples/import/cloudformation/hybrid-s3.yaml",
                "--parameter",
                "VpcCidr",
            ],
            "NAME=VALUE",
        ),
        (
            vec!["import", "terraform", not_plan.to_str().unwrap()],
            "terraform show -json",
        ),
        (
            vec!["import", "terraform", broken_plan.to_str().unwrap()],
            "broken.json:2:",
        ),
    ] {
        let o = vpcsim(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn matrix_answers_every_pair_as_trace_does() {
    let o = vpcsim(&["matrix", "topologies/hybrid-s3.yaml", "--format", "json"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    let pairs = v["pairs"].as_array().unwrap();
    // Every sender against every endpoint and bucket.
    assert_eq!(pairs.len(), 3 * 3);
    // One truth: each pair is what `vpcsim trace` says of the same request.
    for p in pairs {
        let t = vpcsim(&[
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            p["source"].as_str().unwrap(),
            p["request"].as_str().unwrap(),
            "--format",
            "json",
        ]);
        let t: serde_json::Value = serde_json::from_slice(&t.stdout).expect("trace JSON");
        assert_eq!(p["verdict"], t["verdict"], "{p}");
        assert_eq!(p["code"], t["code"], "{p}");
        assert_eq!(p["via"], t["via"], "{p}");
    }
    let summary: u64 = v["summary"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pairs"].as_u64().unwrap())
        .sum();
    assert_eq!(summary, 9);
    // Chosen destinations, a link down, CSV.
    let o = vpcsim(&[
        "matrix",
        "topologies/hybrid-s3.yaml",
        "--to",
        "s3-interface",
        "--fail",
        "dx-primary",
        "--format",
        "csv",
    ]);
    let csv = String::from_utf8_lossy(&o.stdout);
    assert!(
        csv.starts_with("source,destination,request,verdict,code,via,through\n"),
        "{csv}"
    );
    assert!(
        csv.contains("datacenter/build-server,s3-interface,"),
        "{csv}"
    );
    assert!(
        csv.contains("vpn-backup"),
        "with dx-primary down the VPN carries it: {csv}"
    );
    // A name that is neither: the closest.
    let o = vpcsim(&["matrix", "topologies/hybrid-s3.yaml", "--to", "s3-interfac"]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("s3-interface"));
}

#[test]
fn validate_refuses_a_file_with_nothing_to_simulate() {
    let dir = std::env::temp_dir().join(format!("vpcsim-cli-nothing-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let empty = dir.join("empty.yaml");
    std::fs::write(&empty, "").unwrap();
    let names_only = dir.join("names-only.yaml");
    std::fs::write(
        &names_only,
        "# a start\nname: x\nregions:\n  us-east-1: { azs: [us-east-1a] }\n",
    )
    .unwrap();
    let o = vpcsim(&["validate", empty.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("nothing-to-simulate"), "{err}");
    assert!(err.contains("the file describes nothing"), "{err}");
    assert!(err.contains("help: describe a VPC under `vpcs:`"), "{err}");
    assert!(String::from_utf8_lossy(&o.stdout).contains("invalid: 1 error"));
    let o = vpcsim(&["validate", "--format", "json", names_only.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    let d = &v["files"][0]["diagnostics"][0];
    assert_eq!(d["code"], "nothing-to-simulate");
    assert_eq!(d["line"], 2, "the first line of content: {d}");
    // A site alone is something to simulate (public DNS from its hosts).
    let site = dir.join("site.yaml");
    std::fs::write(
        &site,
        "onprem:\n  dc:\n    cidrs: [172.16.0.0/16]\n    hosts:\n      h: { ip: 172.16.0.10 }\n",
    )
    .unwrap();
    let o = vpcsim(&["validate", site.to_str().unwrap()]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_misspelt_value_gets_the_closest_one_and_nothing_else() {
    let o = vpcsim(&["validate", "tests/invalid/misspelt-values.yaml"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    for hint in [
        "did you mean 'allowed'?",
        "did you mean 'tcp'?",
        "did you mean 'bgp'?",
        "did you mean 'gateway'?",
        "did you mean 'allow'?",
        "did you mean 'NXDOMAIN'?",
    ] {
        assert!(err.contains(hint), "{hint}: {err}");
    }
    assert!(!err.contains("has no `verdict:`"), "{err}");
}

#[test]
fn resolve_from_all_asks_every_view() {
    let name = "corp-reports.s3.us-east-1.amazonaws.com";
    let o = vpcsim(&[
        "resolve",
        "topologies/gateway-and-interface.yaml",
        "--from",
        "all",
        name,
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let lines: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    let views: Vec<&str> = lines.iter().map(|l| l[0]).collect();
    assert_eq!(
        views,
        ["public", "shared", "shared/inbound", "datacenter", "branch"]
    );
    // Each line is what `--from VIEW` answers.
    for l in &lines {
        let one = vpcsim(&[
            "resolve",
            "topologies/gateway-and-interface.yaml",
            "--from",
            l[0],
            "--format",
            "json",
            name,
        ]);
        let v: serde_json::Value = serde_json::from_slice(&one.stdout).expect("JSON");
        assert_eq!(v["status"], l[1], "{l:?}");
        let data: Vec<&str> = v["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["data"].as_str().unwrap())
            .collect();
        assert_eq!(data, l[2..], "{l:?}");
    }
    let o = vpcsim(&[
        "resolve",
        "topologies/gateway-and-interface.yaml",
        "--from",
        "all",
        "--format",
        "json",
        "www.example.com",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON array");
    let all = v.as_array().expect("an array");
    assert_eq!(all.len(), 5);
    assert_eq!(all[2]["query"]["from"], "shared/inbound");
    assert!(all.iter().all(|r| r["status"] == "REFUSED"), "{v}");
}

#[test]
fn check_compares_the_spread_of_repeated_requests() {
    // tests/scenarios/spread.yaml holds (tests/trace.rs checks every scenario); the same
    // expectations with the wrong addresses fail, naming the counts.
    let text = std::fs::read_to_string(root().join("tests/scenarios/spread.yaml")).unwrap();
    let bad = text
        .replace("over: [10.0.11.5]", "over: [10.0.10.5]")
        .replace(
            "repeat: 100, tolerance: 0.2",
            "repeat: 100, tolerance: 0.2, over: [10.0.10.5]",
        );
    let dir = std::env::temp_dir().join(format!("vpcsim-cli-spread-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("spread.yaml");
    std::fs::write(&file, bad).unwrap();
    let o = vpcsim(&["check", file.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("spread: expected 100 requests evenly over 10.0.10.5 (100.0 each, ± 20%), got 10.0.10.5 50, 10.0.11.5 50"),
        "{out}"
    );
    assert!(
        out.contains("spread: expected 10 requests evenly over 10.0.10.5 (10.0 each, ± 10%), got 10.0.11.5 10"),
        "{out}"
    );
    assert!(out.contains("3 expectations, 1 passed, 2 failed"), "{out}");
    let o = vpcsim(&["check", "-v", "tests/scenarios/spread.yaml"]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn expected_diagnostics_pass_check_and_do_not_deny() {
    let file = "tests/scenarios/broken-on-purpose.yaml";
    let o = vpcsim(&["validate", "--deny-warnings", file]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 0, "{err}");
    assert!(err.contains("site-overlap"), "still shown: {err}");
    let o = vpcsim(&["check", "-v", "--deny-warnings", file]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 0, "{out}");
    assert!(
        out.contains("pass tests/scenarios/broken-on-purpose.yaml:"),
        "{out}"
    );
    assert!(out.contains(": warning site-overlap"), "{out}");
    assert!(out.contains("2 expectations, 2 passed, 0 failed"), "{out}");

    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let dir = std::env::temp_dir().join(format!("vpcsim-cli-diags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A listed warning the topology does not raise fails `check`, naming those it raises.
    let extra = dir.join("extra.yaml");
    std::fs::write(
        &extra,
        text.replace(
            "diagnostics: [site-overlap, nothing-advertised]",
            "diagnostics: [site-overlap, nothing-advertised, gateway-endpoint-unused]",
        ),
    )
    .unwrap();
    let o = vpcsim(&["check", extra.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(code(&o), 1, "{out}");
    assert!(
        out.contains("diagnostics: expected warning gateway-endpoint-unused, which this topology does not raise"),
        "{out}"
    );
    assert!(
        out.contains("actual: warnings raised: nothing-advertised, site-overlap"),
        "{out}"
    );
    // Without the list, the same warnings fail --deny-warnings.
    let unlisted = dir.join("unlisted.yaml");
    std::fs::write(
        &unlisted,
        text.replace("diagnostics: [site-overlap, nothing-advertised]", ""),
    )
    .unwrap();
    let o = vpcsim(&["validate", "--deny-warnings", unlisted.to_str().unwrap()]);
    assert_eq!(code(&o), 1);
    assert!(String::from_utf8_lossy(&o.stderr).contains("2 warnings and --deny-warnings"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dns_export_all_refuses_two_views_in_one_folder() {
    // The site `shared-inbound` holds zones, so its folder would be the inbound view's.
    let text = std::fs::read_to_string(root().join("topologies/hybrid-dns.yaml")).unwrap();
    let renamed = text.replace("datacenter", "shared-inbound");
    let dir = std::env::temp_dir().join(format!("vpcsim-cli-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("clash.yaml");
    std::fs::write(&file, renamed).unwrap();
    let v = vpcsim(&["validate", file.to_str().unwrap()]);
    assert_eq!(code(&v), 0, "{}", String::from_utf8_lossy(&v.stderr));
    let out = dir.join("zones");
    let o = vpcsim(&[
        "dns",
        "export",
        file.to_str().unwrap(),
        "--view",
        "all",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(code(&o), 2, "{err}");
    assert!(err.contains("would both be written to"), "{err}");
    assert!(err.contains("rename the site"), "{err}");
    // The shipped file exports every view.
    let o = vpcsim(&[
        "dns",
        "export",
        "topologies/hybrid-dns.yaml",
        "--view",
        "all",
        "--out",
        dir.join("ok").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.join("ok/shared-inbound").is_dir());
    assert!(dir.join("ok/datacenter").is_dir());
    std::fs::remove_dir_all(&dir).ok();
}

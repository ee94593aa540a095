//! The binary against hostile files (issue 14, items 1–4): names that would write outside the
//! export folder, policy paths that lead out of the topology's folder or at files full of
//! secrets, special files and files over the size limits, and FIFOs under `validate` and
//! `serve --watch`. Every command runs under a deadline: a hang fails the test instead of
//! stalling the suite.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long any one command may take here (each one answers in well under a second).
const DEADLINE: Duration = Duration::from_secs(30);

/// A secret that must never be printed whole.
const SECRET: &str = "SECRET-0123456789-abcdefghijklmnopqrstuvwxyz-do-not-print";

/// A fresh directory under the system's temporary directory.
fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vpcsim-hostile-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Waits for `child` until the deadline; kills it and fails the test if it is still running.
fn wait(child: Child, what: &str) -> Output {
    wait_within(child, what, DEADLINE)
}

/// Waits for `child` until `deadline`; kills it and fails the test if it is still running.
fn wait_within(mut child: Child, what: &str, deadline: Duration) -> Output {
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`{what}` did not finish within {deadline:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs vpcsim in `dir` with `args`, under the deadline.
fn vpcsim_in(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vpcsim");
    wait(child, &format!("vpcsim {}", args.join(" ")))
}

/// Runs vpcsim in `dir` with `args`, under the deadline, its output going to files (for outputs
/// larger than a pipe holds, which the child would wait on for ever).
fn vpcsim_to_files(dir: &Path, args: &[&str]) -> Output {
    vpcsim_to_files_within(dir, args, DEADLINE)
}

/// [`vpcsim_to_files`] under `deadline`.
fn vpcsim_to_files_within(dir: &Path, args: &[&str], deadline: Duration) -> Output {
    let out = dir.join("stdout.txt");
    let err = dir.join("stderr.txt");
    let child = Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .expect("run vpcsim");
    let status = wait_within(child, &format!("vpcsim {}", args.join(" ")), deadline).status;
    Output {
        status,
        stdout: std::fs::read(&out).unwrap(),
        stderr: std::fs::read(&err).unwrap(),
    }
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

const HEAD: &str = r#"regions:
  us-east-1: { azs: [us-east-1a] }
accounts:
  "111122223333": {}
"#;

// ---- item 1: export stays in its folder ----

#[test]
fn dns_export_writes_nothing_outside_its_folder() {
    let dir = tempdir("export");
    let topo = format!(
        r#"{HEAD}vpcs:
  ../../vpc-escaped:
    account: "111122223333"
    region: us-east-1
    cidr: 10.0.0.0/16
hosted_zones:
  ../zone-escaped:
    vpcs: [../../vpc-escaped]
    records:
      - {{ name: www, type: A, values: [10.0.0.10] }}
"#
    );
    std::fs::create_dir_all(dir.join("a/b")).unwrap();
    std::fs::write(dir.join("a/b/t.yaml"), topo).unwrap();
    for view in ["all", "../../vpc-escaped"] {
        let o = vpcsim_in(
            &dir.join("a/b"),
            &["dns", "export", "t.yaml", "--view", view, "--out", "out"],
        );
        // Before the fix: exit 0, with `a/zone-escaped.zone` and `a/vpc-escaped/` written next to
        // (not inside) `a/b/out`.
        assert_eq!(code(&o), 1, "{}", text(&o));
        assert!(text(&o).contains("invalid-name"), "{}", text(&o));
        assert!(text(&o).contains("invalid-dns-name"), "{}", text(&o));
    }
    let written: Vec<String> = walk(&dir)
        .into_iter()
        .filter(|p| !p.ends_with("t.yaml"))
        .map(|p| p.display().to_string())
        .collect();
    assert_eq!(written, Vec::<String>::new(), "nothing may be written");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every file under `dir`.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

// ---- item 2: policy files stay inside the topology's folder and are never echoed ----

#[test]
fn policy_files_outside_the_folder_are_refused_and_secrets_never_printed() {
    let dir = tempdir("policy");
    let top = dir.join("top");
    std::fs::create_dir_all(&top).unwrap();
    std::fs::write(dir.join("secret.txt"), format!("{SECRET}\n")).unwrap();
    std::fs::write(top.join("notes.txt"), format!("token {SECRET}\n")).unwrap();
    let secret = dir.join("secret.txt");
    let mut paths = vec![
        "../secret.txt".to_string(),
        secret.display().to_string(),
        "notes.txt".to_string(),
    ];
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&secret, top.join("link.json")).unwrap();
        paths.push("link.json".into());
    }
    for path in &paths {
        let topo = format!(
            "{HEAD}buckets:\n  reports:\n    account: \"111122223333\"\n    region: us-east-1\n    policy: {path}\n"
        );
        std::fs::write(top.join("t.yaml"), topo).unwrap();
        for format in ["text", "json"] {
            let o = vpcsim_in(&top, &["validate", "--format", format, "t.yaml"]);
            assert_eq!(code(&o), 1, "{path}: {}", text(&o));
            // Before the fix, the error quoted the whole file.
            assert!(!text(&o).contains(&SECRET[8..]), "{path}: {}", text(&o));
        }
        let o = vpcsim_in(&top, &["validate", "t.yaml"]);
        let expected = if path == "notes.txt" {
            "not-a-policy"
        } else {
            "policy-outside-folder"
        };
        assert!(text(&o).contains(expected), "{path}: {}", text(&o));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn policy_eval_quotes_no_more_than_an_excerpt_of_a_file_that_is_no_policy() {
    let dir = tempdir("eval");
    std::fs::write(dir.join("secret.env"), format!("TOKEN={SECRET}\n")).unwrap();
    let o = vpcsim_in(
        &dir,
        &[
            "policy",
            "eval",
            "--identity",
            "secret.env",
            "--action",
            "s3:GetObject",
            "--resource",
            "*",
        ],
    );
    assert_eq!(code(&o), 1, "{}", text(&o));
    assert!(
        text(&o).contains("is not a policy document"),
        "{}",
        text(&o)
    );
    assert!(!text(&o).contains(&SECRET[8..]), "{}", text(&o));
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- items 3 and 4: special files, size limits, FIFOs ----

#[cfg(unix)]
#[test]
fn validate_refuses_devices_fifos_and_oversized_files_at_once() {
    let dir = tempdir("special");
    mkfifo(&dir.join("fifo.yaml"));
    let big = std::fs::File::create(dir.join("big.yaml")).unwrap();
    big.set_len((256 << 20) + 1).unwrap();
    for (file, why) in [
        // Before the fix: read until memory ran out.
        ("/dev/zero", "it is a character device, not a regular file"),
        // Before the fix: never returned.
        ("fifo.yaml", "it is a FIFO (named pipe), not a regular file"),
        ("big.yaml", "more than the 256 MiB limit of a topology file"),
        (".", "it is a directory, not a regular file"),
    ] {
        let o = vpcsim_in(&dir, &["validate", file]);
        assert_eq!(code(&o), 2, "{file}: {}", text(&o));
        assert!(text(&o).contains(why), "{file}: {}", text(&o));
    }
    // The same through `policy eval`.
    for file in ["/dev/zero", "fifo.yaml"] {
        let o = vpcsim_in(
            &dir,
            &[
                "policy",
                "eval",
                "--identity",
                file,
                "--action",
                "s3:GetObject",
                "--resource",
                "*",
            ],
        );
        assert_eq!(code(&o), 2, "{file}: {}", text(&o));
        assert!(
            text(&o).contains("not a regular file"),
            "{file}: {}",
            text(&o)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[test]
fn policy_paths_to_fifos_and_oversized_files_are_located_errors() {
    let dir = tempdir("policy-special");
    mkfifo(&dir.join("fifo.json"));
    let big = std::fs::File::create(dir.join("big.json")).unwrap();
    big.set_len((1 << 20) + 1).unwrap();
    for (path, why) in [
        ("fifo.json", "it is a FIFO (named pipe), not a regular file"),
        ("big.json", "more than the 1 MiB limit of a policy file"),
    ] {
        let topo = format!(
            "{HEAD}buckets:\n  reports:\n    account: \"111122223333\"\n    region: us-east-1\n    policy: {path}\n"
        );
        std::fs::write(dir.join("t.yaml"), topo).unwrap();
        let o = vpcsim_in(&dir, &["validate", "--format", "json", "t.yaml"]);
        assert_eq!(code(&o), 1, "{path}: {}", text(&o));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
        let d = &v["files"][0]["diagnostics"][0];
        assert_eq!(d["code"], "policy-file", "{d}");
        assert!(
            d["message"].as_str().is_some_and(|m| m.contains(why)),
            "{d}"
        );
        assert_eq!(
            (d["line"].as_u64(), d["column"].as_u64()),
            (Some(9), Some(13)),
            "{d}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `GET /health` over a plain socket.
fn health(addr: &str) -> String {
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the API");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Makes `edit` once and polls `GET /health` until it contains `needle` (the watcher compares the
/// files with what they were like when they were read, so even an edit made right after the
/// listing is seen). Kills the server and fails at the deadline.
fn health_until(child: &mut Child, addr: &str, edit: &dyn Fn(), needle: &str) -> String {
    let start = Instant::now();
    edit();
    let mut last = String::new();
    while start.elapsed() < DEADLINE {
        last = health(addr);
        if last.contains(needle) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("`GET /health` never said {needle:?}: {last}");
}

/// `serve --watch` on hostile edits. The errors `GET /health` serves quote no secret (before the
/// fix a policy path could name any file, whose text the error quoted); a topology file that
/// becomes a FIFO is reported (before the fix the reload blocked forever, and SIGTERM then no
/// longer stopped the server: the runtime waited for the blocked reload).
#[cfg(unix)]
#[test]
fn serve_watch_reports_hostile_edits_without_secrets_and_sigterm_still_stops_it() {
    use std::io::BufRead;
    let dir = tempdir("serve");
    let top = dir.join("top");
    std::fs::create_dir_all(&top).unwrap();
    std::fs::write(dir.join("secret.txt"), format!("{SECRET}\n")).unwrap();
    std::fs::write(top.join("notes.txt"), format!("token {SECRET}\n")).unwrap();
    let path = top.join("t.yaml");
    let vpc =
        "vpcs:\n  main: { account: \"111122223333\", region: us-east-1, cidr: 10.0.0.0/16 }\n";
    let bucket = |policy: &str| {
        format!(
            "{HEAD}{vpc}buckets:\n  reports:\n    account: \"111122223333\"\n    region: us-east-1\n    policy: {policy}\n"
        )
    };
    std::fs::write(&path, format!("{HEAD}{vpc}")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args([
            "serve",
            "t.yaml",
            "--watch",
            "--dns-base-port",
            "0",
            "--http",
            "127.0.0.1:0",
            "--view",
            "public",
        ])
        .current_dir(&top)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vpcsim serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("HTTP API on http://") {
                let _ = tx.send(addr.to_string());
            }
        }
    });
    let Ok(addr) = rx.recv_timeout(DEADLINE) else {
        let _ = child.kill();
        panic!("the server did not start");
    };
    for (policy, code) in [
        ("../secret.txt", "policy-outside-folder"),
        ("notes.txt", "not-a-policy"),
    ] {
        let edit = || std::fs::write(&path, bucket(policy)).unwrap();
        let h = health_until(&mut child, &addr, &edit, code);
        assert!(!h.contains(&SECRET[8..]), "{h}");
    }
    let fifo = || {
        let _ = std::fs::remove_file(&path);
        mkfifo(&path);
    };
    let h = health_until(
        &mut child,
        &addr,
        &fifo,
        "it is a FIFO (named pipe), not a regular file",
    );
    assert!(h.contains("\"generation\": 1"), "still serving: {h}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(status.success());
    let o = wait(child, "vpcsim serve after SIGTERM");
    assert_eq!(code(&o), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- items 11 and 12: reporting errors costs what is reported ----

/// A topology whose one route table holds `n` copies of one route: `n - 1` duplicate routes.
fn duplicate_routes(n: usize) -> String {
    let mut topo = format!(
        "{HEAD}vpcs:
  hub:
    account: \"111122223333\"
    region: us-east-1
    cidr: 10.0.0.0/16
    internet_gateway: {{}}
    subnets:
      a: {{ az: us-east-1a, cidr: 10.0.1.0/24, route_table: app }}
    route_tables:
      app:
        main: true
        routes:
"
    );
    for _ in 0..n {
        topo.push_str("          - { destination: 0.0.0.0/0, target: igw }\n");
    }
    topo
}

#[test]
fn many_errors_are_rendered_in_linear_time() {
    let dir = tempdir("quadratic");
    let n = 20_000;
    std::fs::write(dir.join("t.yaml"), duplicate_routes(n)).unwrap();
    // Before the fix each snippet was found by scanning the file from its start: 4,000
    // duplicates took 28 s in a debug build, 20,000 would take about 12 minutes; now 20,000 take
    // a few seconds. The deadline is three minutes, not the usual 30 s: far below what the
    // quadratic rendering takes, and far above what the linear one takes on a loaded machine
    // (once over 30 s with the load average at 7).
    let o = vpcsim_to_files_within(&dir, &["validate", "t.yaml"], Duration::from_secs(180));
    assert_eq!(code(&o), 1, "{}", &text(&o)[..2000]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(stderr.matches("duplicate-route").count(), n - 1);
    assert!(
        stderr.len() < 1_000 * n,
        "{} bytes for {n} errors",
        stderr.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_on_very_long_lines_quote_a_window_and_never_panic() {
    let dir = tempdir("longline");
    let pad = "x".repeat(8 << 20);
    // One line of 8 MB: the bad value at its end (miette panicked: a column past 65,535) and
    // at its start (the whole line was quoted: an 8 MB error).
    let cases = [
        format!(
            "{{name: \"{pad}\", regions: {{us-east-1: {{azs: [us-east-1a]}}}}, vpcs: {{hub: {{account: \"111122223333\", region: us-east-1, cidr: nope}}}}}}\n"
        ),
        format!(
            "{{vpcs: {{hub: {{account: \"111122223333\", region: us-east-1, cidr: nope}}}}, name: \"{pad}\", regions: {{us-east-1: {{azs: [us-east-1a]}}}}}}\n"
        ),
    ];
    for (i, topo) in cases.iter().enumerate() {
        std::fs::write(dir.join("t.yaml"), topo).unwrap();
        for args in [&["validate", "t.yaml"][..], &["check", "t.yaml"]] {
            let o = vpcsim_to_files(&dir, args);
            let out = text(&o);
            assert_eq!(
                code(&o),
                1,
                "case {i} {args:?}: {}",
                &out[..out.len().min(2000)]
            );
            assert!(out.contains("'nope'"), "case {i}: {out}");
            assert!(out.len() < 4_000, "case {i} {args:?}: {} bytes", out.len());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- item 10: `trace --repeat` counts as it goes, and is capped ----

const REPEATED: &[&str] = &[
    "trace",
    "topologies/onprem-dx-vpn.yaml",
    "--from",
    "datacenter/build-server",
    "GET https://bucket.vpce-0d1e2f3a4b5c6d7e8-k7m2x9qp.s3.us-east-1.vpce.amazonaws.com/corp-build-artifacts/app-1.4.2.tar.gz",
    "--repeat",
];

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn trace_repeat_over_the_cap_is_a_usage_error() {
    for n in ["4294967295", "100001", "99999999999999999999999"] {
        let args: Vec<&str> = REPEATED.iter().copied().chain([n]).collect();
        // Before the fix, 4294967295 kept every trace until the process was killed for memory.
        let o = vpcsim_in(&repo(), &args);
        assert_eq!(code(&o), 2, "{}", text(&o));
        assert!(text(&o).contains("at most 100000 requests"), "{}", text(&o));
    }
    let args: Vec<&str> = REPEATED.iter().copied().chain(["x1"]).collect();
    let o = vpcsim_in(&repo(), &args);
    assert_eq!(code(&o), 2, "{}", text(&o));
    assert!(text(&o).contains("'x1' is not a number"), "{}", text(&o));
}

/// The resident size of process `pid` in KiB, from `/proc`.
#[cfg(target_os = "linux")]
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(target_os = "linux")]
#[test]
fn trace_repeat_keeps_counts_not_traces() {
    let n = 50_000;
    let count = n.to_string();
    let args: Vec<&str> = REPEATED.iter().copied().chain([count.as_str()]).collect();
    let child = Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args(&args)
        .current_dir(repo())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("run vpcsim");
    let pid = child.id();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while let Some(kib) = rss_kib(pid) {
                peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(10));
            }
        })
    };
    let o = wait(child, "vpcsim trace --repeat 50000");
    sampler.join().unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("spread of 50000 requests:"), "{out}");
    assert!(out.contains("25000   50.0%  (25000 allowed)"), "{out}");
    // Before the fix every trace was kept: about 8.5 KB each, 430 MB for 50,000.
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    assert!(peak < 100 * 1024, "peak resident size {peak} KiB");
}

/// A policy made to slow the Access Analyzer-style checks down — action patterns of many stars,
/// thousands of unknown actions and condition keys, each a "did you mean" candidate — is checked
/// quickly, with its warnings.
#[test]
fn policy_checks_stay_fast_on_a_hostile_policy() {
    let dir = tempdir("lint");
    let stars = format!("s3:{}Z", "*a".repeat(60));
    let mut actions: Vec<String> = (0..4000).map(|i| format!("s3:NoSuchAction{i}")).collect();
    actions.push(stars);
    let keys: Vec<String> = (0..2000)
        .map(|i| format!("\"aws:NoSuchKey{i}\": \"x\""))
        .collect();
    let policy = format!(
        "{{\"Statement\": [{{\"Effect\": \"Allow\", \"Action\": {}, \"Resource\": \"*\", \"Condition\": {{\"StringEquals\": {{{}}}}}}}]}}",
        serde_json::to_string(&actions).unwrap(),
        keys.join(", ")
    );
    std::fs::write(dir.join("p.json"), policy).unwrap();
    let start = Instant::now();
    let o = vpcsim_to_files(
        &dir,
        &[
            "policy",
            "eval",
            "--identity",
            "p.json",
            "--caller",
            "arn:aws:iam::111122223333:role/app",
            "--action",
            "s3:GetObject",
            "--resource",
            "arn:aws:s3:::b/k",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o));
    assert!(text(&o).contains("policy-unknown-action"));
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

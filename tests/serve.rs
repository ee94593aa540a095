//! `vpcsim serve` as a process: choosing views, what happens when the open-files limit is too
//! low for the listeners (a clear error, or views answering over UDP only), and what hostile
//! clients cannot do (issue 14): reserve memory with DNS-over-TCP lengths, fill the log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// An open-files limit for the server: soft and hard, or soft only.
#[derive(Clone, Copy)]
enum Limit {
    Both(u32),
    Soft(u32),
}

/// `vpcsim serve topologies/hybrid-s3.yaml` on free ports with `args`, under `limit` when given.
fn serve_command(limit: Option<Limit>, args: &[&str]) -> Command {
    let bin = env!("CARGO_BIN_EXE_vpcsim");
    let mut cmd = match limit {
        Some(limit) => {
            let ulimit = match limit {
                Limit::Both(n) => format!("ulimit -n {n}"),
                Limit::Soft(n) => format!("ulimit -Sn {n}"),
            };
            let mut c = Command::new("sh");
            c.args(["-c", &format!("{ulimit} && exec \"$0\" \"$@\""), bin]);
            c
        }
        None => Command::new(bin),
    };
    cmd.args([
        "serve",
        "topologies/hybrid-s3.yaml",
        "--dns-base-port",
        "0",
        "--http",
        "127.0.0.1:0",
    ])
    .args(args)
    .current_dir(root())
    .env("NO_COLOR", "1")
    .env("RUST_LOG", "warn");
    cmd
}

/// Runs a serve that must fail at start.
fn serve_fails(nofile: Option<Limit>, args: &[&str]) -> Output {
    serve_command(nofile, args).output().expect("run vpcsim")
}

/// A running server and its startup listing (standard output up to "Ctrl-C to stop").
struct Served {
    child: Option<Child>,
    listing: String,
}

impl Served {
    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn serve(nofile: Option<Limit>, args: &[&str]) -> Served {
    let mut child = serve_command(nofile, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vpcsim serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut listing = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            listing.push_str(&line);
            listing.push('\n');
            if line == "Ctrl-C to stop" {
                break;
            }
        }
        let _ = tx.send(listing);
    });
    let listing = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server starts and lists its listeners");
    Served {
        child: Some(child),
        listing,
    }
}

/// The `(view, rest of the line)` of each listener in the listing.
fn listeners(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter(|l| l.starts_with("  127.0.0.1:"))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let _addr = parts.next();
            let view = parts.next().unwrap_or_default().to_string();
            (view, l.to_string())
        })
        .collect()
}

#[test]
fn view_serves_only_the_named_views_in_the_order_given() {
    let s = serve(None, &["--view", "datacenter", "--view", "public"]);
    let views: Vec<String> = listeners(&s.listing).into_iter().map(|(v, _)| v).collect();
    assert_eq!(views, ["datacenter", "public"], "{}", s.listing);
    assert!(!s.listing.contains("UDP only"), "{}", s.listing);
}

#[test]
fn an_unknown_view_exits_2_with_the_closest_name() {
    let o = serve_fails(None, &["--view", "datacentre"]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("error: the topology has no view 'datacentre'"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean 'datacenter'?"), "{stderr}");
}

#[test]
fn too_low_an_open_files_limit_fails_saying_how_many_are_needed_and_what_to_do() {
    // hybrid-s3 has 5 views: 5 UDP sockets + 32 kept aside = 37 at the least.
    let o = serve_fails(Some(Limit::Both(36)), &[]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains(
            "error: serving 5 DNS views needs at least 37 open files (one UDP socket per view, \
             42 with TCP, 32 kept for the rest), but the open-files limit is 36 (hard limit 36)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("--view NAME"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Fewer views fit.
    let s = serve(
        Some(Limit::Both(36)),
        &["--view", "public", "--view", "shared"],
    );
    assert_eq!(listeners(&s.listing).len(), 2, "{}", s.listing);
}

#[test]
fn short_of_descriptors_for_tcp_some_views_answer_over_udp_only() {
    // 4 views: 36 for UDP and the reserve, 2 left: TCP for public DNS and the site resolver first.
    let s = serve(
        Some(Limit::Both(38)),
        &[
            "--view",
            "shared",
            "--view",
            "public",
            "--view",
            "datacenter",
            "--view",
            "analytics",
        ],
    );
    let ls = listeners(&s.listing);
    assert_eq!(ls.len(), 4, "{}", s.listing);
    for (view, line) in &ls {
        let udp_only = line.ends_with("(UDP only)");
        assert_eq!(
            udp_only,
            !matches!(view.as_str(), "public" | "datacenter"),
            "{}",
            s.listing
        );
    }
    assert!(
        s.listing.contains("2 of 4 views answer over UDP only"),
        "{}",
        s.listing
    );
    // A view without TCP still answers over UDP.
    let analytics = ls.iter().find(|(v, _)| v == "analytics").unwrap();
    let addr = analytics.1.split_whitespace().next().unwrap();
    let answer = udp_query(addr, "s3.us-east-1.amazonaws.com");
    assert_eq!(&answer[..2], &[0x12, 0x34], "same id");
    assert_eq!(answer[2] & 0x80, 0x80, "a response");
    assert_eq!(answer[3] & 0x0f, 0, "NOERROR");
    assert!(u16::from_be_bytes([answer[6], answer[7]]) > 0, "answers");
}

#[test]
fn the_soft_open_files_limit_is_raised_to_the_hard_one() {
    // A soft limit of 36 alone would not hold the 5 views; the hard limit (higher) does.
    let s = serve(Some(Limit::Soft(36)), &[]);
    let ls = listeners(&s.listing);
    assert_eq!(ls.len(), 5, "{}", s.listing);
    assert!(!s.listing.contains("UDP only"), "{}", s.listing);
}

/// Sends an A query for `name` (id 0x1234) over UDP to `addr` and returns the answer's bytes.
fn udp_query(addr: &str, name: &str) -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let mut buf = [0u8; 4096];
    for _ in 0..5 {
        socket.send_to(&q, addr).unwrap();
        if let Ok(n) = socket.recv(&mut buf) {
            return buf[..n].to_vec();
        }
    }
    panic!("no answer from {addr}");
}

/// An A query for `name` with id `id`, as sent over UDP.
fn query_bytes(id: u16, name: &str) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

/// Sends an A query for `name` over TCP to `addr` and returns the answer's bytes.
fn tcp_query(addr: &str, id: u16, name: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).expect("connect over TCP");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let q = query_bytes(id, name);
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(&q);
    s.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).expect("an answer over TCP");
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut answer).unwrap();
    answer
}

/// The resident memory of process `pid` in KiB.
fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

/// Issue 14, item 7: a DNS-over-TCP client that announces a 65,535-byte message and sends nothing
/// more made the server reserve 64 KiB for it (300 such connections: +20 MB resident). Buffers
/// now grow as bytes arrive.
#[cfg(target_os = "linux")]
#[test]
fn announced_dns_over_tcp_lengths_reserve_no_memory() {
    use std::io::Write;
    let s = serve(None, &[]);
    let addrs: Vec<String> = listeners(&s.listing)
        .iter()
        .map(|(_, line)| line.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(addrs.len(), 5, "{}", s.listing);
    // Warm up: every listener has answered over TCP once.
    for a in &addrs {
        tcp_query(a, 1, "s3.us-east-1.amazonaws.com");
    }
    let pid = s.pid();
    let before = resident_kib(pid);
    // 60 per view: within the per-view connection limit, so each one is accepted and read.
    let mut held = Vec::new();
    for i in 0..300 {
        let mut c = std::net::TcpStream::connect(&addrs[i % addrs.len()]).unwrap();
        c.write_all(&[0xff, 0xff]).unwrap();
        held.push(c);
    }
    // Every view still answers over TCP (accepting is in order: the 60 came first).
    for a in &addrs {
        let answer = tcp_query(a, 2, "s3.us-east-1.amazonaws.com");
        assert_eq!(&answer[..2], &[0, 2], "same id");
    }
    std::thread::sleep(Duration::from_millis(500));
    let grown = resident_kib(pid).saturating_sub(before);
    // Before the fix: about 20,000 KiB (68 KiB per connection).
    assert!(
        grown < 8 * 1024,
        "300 connections that announced 64 KiB each grew the server by {grown} KiB"
    );
    drop(held);
}

/// Issue 14, item 9: at `RUST_LOG=info`, which the docs give as the default, a query writes no log
/// line (DNS over TCP wrote two per query, through hickory-server).
#[test]
fn queries_write_no_log_lines_at_info() {
    let mut child = serve_command(None, &[])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vpcsim serve");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut listing = String::new();
        let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
        for line in lines.by_ref() {
            listing.push_str(&line);
            listing.push('\n');
            if line == "Ctrl-C to stop" {
                break;
            }
        }
        let _ = tx.send(listing);
        lines.for_each(drop);
    });
    let listing = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server starts");
    let served = Served {
        child: Some(child),
        listing: listing.clone(),
    };
    let public = listeners(&listing)
        .into_iter()
        .find(|(v, _)| v == "public")
        .map(|(_, line)| line.split_whitespace().next().unwrap().to_string())
        .expect("a public view");
    for i in 0..20 {
        tcp_query(&public, i, "s3.us-east-1.amazonaws.com");
        udp_query(&public, "s3.us-east-1.amazonaws.com");
    }
    let mut child = stop(served);
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{stderr}");
    // "serving" at start (after the topology's warnings), then "stopping" and "stopped": the log
    // does not grow with the 40 queries (before the fix: two lines per TCP query).
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() < 20, "{} lines:\n{stderr}", lines.len());
    assert!(!stderr.contains("s3.us-east-1.amazonaws.com"), "{stderr}");
}

/// Sends SIGTERM to the server and gives back its process, to wait for.
fn stop(mut served: Served) -> Child {
    let child = served.child.take().expect("running");
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(ok.success());
    child
}

/// `GET /health` with `Host: host` to the API of the listing; the status line.
fn health_status(listing: &str, host: &str) -> String {
    use std::io::{Read, Write};
    let addr = listing
        .lines()
        .find_map(|l| l.strip_prefix("HTTP API on http://"))
        .expect("the API's address");
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or_default().to_string()
}

/// Issue 14, item 8: the API answers loopback names and those of `--allow-host` only.
#[test]
fn allow_host_names_the_hosts_the_api_answers_besides_loopback() {
    let s = serve(None, &["--view", "public", "--allow-host", "vpcsim.test"]);
    for (host, want) in [
        ("localhost:8053", "200"),
        ("127.0.0.1", "200"),
        ("vpcsim.test:8053", "200"),
        ("evil.example", "403"),
        ("evil.example:8053", "403"),
    ] {
        let status = health_status(&s.listing, host);
        assert!(status.contains(want), "Host {host}: {status}");
    }
    let o = serve_fails(None, &["--allow-host", "vpcsim.test:8053"]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("has a port"), "{stderr}");
    let o = serve_fails(None, &["--allow-host", "evil example"]);
    assert_eq!(o.status.code(), Some(2));
}

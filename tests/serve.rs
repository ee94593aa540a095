//! `vpcsim serve` as a process: choosing views, and what happens when the open-files limit is too
//! low for the listeners (a clear error, or views answering over UDP only).

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
    child: Child,
    listing: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
    Served { child, listing }
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

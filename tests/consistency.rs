//! One truth: a DNS question has one answer whichever way it is asked. For every shipped topology
//! (and the blocked-resolver scenario), every query of `tests/dns/NAME.queries` and every
//! `resolve:` expectation is asked
//!
//! - of `vpcsim resolve --format json` (the CLI),
//! - of `vpcsim serve` over the wire, UDP and TCP, on the listener of the source's view (what `dig`
//!   does; `.ci/interop.sh` repeats the blocked-resolver case with `dig` itself),
//! - of `POST /resolve` on the same server,
//!
//! and the response code and the answers must be the same. The blocked-resolver scenario is the
//! case that once differed: the CLI walked the forwarded query to the inbound endpoint and found it
//! blocked (SERVFAIL) while the server and the API answered as if every path were open.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType as WireType};
use serde_json::{Value, json};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_vpcsim")
}

/// A running `vpcsim serve` with its listeners (view description → address) and HTTP address.
struct Served {
    child: Child,
    views: Vec<(String, SocketAddr)>,
    http: SocketAddr,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(topo: &Path) -> Served {
    let mut child = Command::new(bin())
        .args(["serve", "--dns-base-port", "0", "--http", "127.0.0.1:0"])
        .arg(topo)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
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
    // "  127.0.0.1:PORT   NAME   DESCRIPTION"
    let views = listing
        .lines()
        .filter(|l| l.starts_with("  127.0.0.1:"))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let addr = parts.next().unwrap().parse().unwrap();
            let _name = parts.next();
            (parts.collect::<Vec<_>>().join(" "), addr)
        })
        .collect();
    let http = listing
        .lines()
        .find_map(|l| l.strip_prefix("HTTP API on http://"))
        .expect("HTTP address in the listing")
        .trim()
        .parse()
        .unwrap();
    Served { child, views, http }
}

/// The answer as the three edges can all express it: the status (`NOERROR`, `NODATA`, …) and the
/// sorted `TYPE DATA` of every answer record.
#[derive(Debug, PartialEq)]
struct Answer {
    status: String,
    answers: Vec<String>,
}

fn from_json(v: &Value) -> Answer {
    let mut answers: Vec<String> = v["answers"]
        .as_array()
        .expect("answers")
        .iter()
        .map(|a| {
            format!(
                "{} {}",
                a["type"].as_str().unwrap(),
                a["data"].as_str().unwrap().trim_end_matches('.')
            )
        })
        .collect();
    answers.sort();
    Answer {
        status: v["status"].as_str().expect("status").to_string(),
        answers,
    }
}

fn from_wire(m: &Message) -> Answer {
    let mut answers: Vec<String> = m
        .answers
        .iter()
        .map(|r| {
            let data = match &r.data {
                RData::A(a) => a.0.to_string(),
                RData::AAAA(a) => a.0.to_string(),
                RData::CNAME(c) => c.0.to_string(),
                other => other.to_string(),
            };
            format!("{} {}", r.record_type(), data.trim_end_matches('.'))
        })
        .collect();
    answers.sort();
    let status = match m.metadata.response_code {
        ResponseCode::NoError if m.answers.is_empty() => "NODATA",
        ResponseCode::NoError => "NOERROR",
        ResponseCode::NXDomain => "NXDOMAIN",
        ResponseCode::ServFail => "SERVFAIL",
        ResponseCode::Refused => "REFUSED",
        other => panic!("unexpected response code {other:?}"),
    };
    Answer {
        status: status.to_string(),
        answers,
    }
}

fn wire_query(name: &str, rtype: &str) -> Vec<u8> {
    let mut m = Message::new(7, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    let name = Name::from_str(&format!("{}.", name.trim_end_matches('.'))).unwrap();
    m.add_query(Query::query(name, WireType::from_str(rtype).unwrap()));
    m.to_vec().unwrap()
}

fn udp(addr: SocketAddr, q: &[u8]) -> Message {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.connect(addr).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    let mut buf = vec![0u8; 65535];
    for _ in 0..5 {
        sock.send(q).unwrap();
        if let Ok(n) = sock.recv(&mut buf) {
            return Message::from_vec(&buf[..n]).expect("a decodable response");
        }
    }
    panic!("no UDP answer from {addr}");
}

fn tcp(addr: SocketAddr, q: &[u8]) -> Message {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut framed = (q.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(q);
    s.write_all(&framed).unwrap();
    let mut len = [0u8; 2];
    s.read_exact(&mut len).unwrap();
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf).unwrap();
    Message::from_vec(&buf).expect("a decodable response")
}

/// `POST path` with a JSON body; the status and the JSON answer.
fn post(addr: SocketAddr, path: &str, body: &Value) -> (u16, Value) {
    let body = body.to_string();
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out[9..12].parse().unwrap();
    let (_, json) = out.split_once("\r\n\r\n").expect("a body");
    (status, serde_json::from_str(json).expect("JSON"))
}

/// `(from, type, name)` of the golden queries and the `resolve:` expectations of `topo`.
fn questions(topo: &Path) -> Vec<(String, String, String)> {
    let stem = topo.file_stem().unwrap().to_str().unwrap();
    let mut qs = Vec::new();
    let queries = root().join("tests/dns").join(format!("{stem}.queries"));
    if let Ok(text) = std::fs::read_to_string(&queries) {
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let p: Vec<&str> = line.split_whitespace().collect();
            qs.push((p[0].to_string(), p[1].to_string(), p[2].to_string()));
        }
    }
    let loaded = vpcsim_topology::load(topo, &vpcsim_topology::StdFs).expect("readable");
    let t = loaded.topology.expect("valid");
    for e in &t.expectations {
        if let vpcsim_topology::model::Check::Resolve {
            name, record_type, ..
        } = &e.check
        {
            let from = t
                .source_names()
                .into_iter()
                .find(|n| t.find_source(n) == Some(e.from))
                .expect("the expectation's source has a name");
            qs.push((from, record_type.as_str().to_string(), name.clone()));
        }
    }
    qs
}

fn topologies() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("topologies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v.push(root().join("tests/scenarios/blocked-inbound-resolver.yaml"));
    v
}

#[test]
fn cli_dns_server_and_http_api_give_the_same_answers() {
    let mut differences = Vec::new();
    let mut asked = 0;
    let mut servfails = 0;
    for topo in topologies() {
        let served = serve(&topo);
        for (from, rtype, name) in questions(&topo) {
            asked += 1;
            let ctx = format!("{}: {rtype} {name} from {from}", topo.display());
            // The CLI.
            let out = Command::new(bin())
                .arg("resolve")
                .arg(&topo)
                .args(["--from", &from, "--type", &rtype, &name, "--format", "json"])
                .current_dir(root())
                .output()
                .unwrap();
            assert!(out.status.success(), "{ctx}: vpcsim resolve failed");
            let cli_json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
            let cli = from_json(&cli_json);
            if cli.status == "SERVFAIL" {
                servfails += 1;
            }
            // The HTTP API.
            let (status, api_json) = post(
                served.http,
                "/resolve",
                &json!({"from": from, "name": name, "type": rtype}),
            );
            assert_eq!(status, 200, "{ctx}: {api_json}");
            let api = from_json(&api_json);
            // The DNS server, on the listener of the source's view.
            let view = cli_json["query"]["view"].as_str().unwrap();
            let addr = served
                .views
                .iter()
                .find(|(d, _)| d == view)
                .unwrap_or_else(|| panic!("{ctx}: no listener for {view}"))
                .1;
            let q = wire_query(&name, &rtype);
            let over_udp = from_wire(&udp(addr, &q));
            let over_tcp = from_wire(&tcp(addr, &q));
            for (edge, got) in [
                ("POST /resolve", &api),
                ("DNS over UDP", &over_udp),
                ("DNS over TCP", &over_tcp),
            ] {
                if *got != cli {
                    differences.push(format!("{ctx}: {edge} {got:?}, vpcsim resolve {cli:?}"));
                }
            }
        }
    }
    assert!(asked > 200, "only {asked} questions");
    assert!(servfails >= 2, "the blocked-resolver case is among them");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

/// The blocked inbound Resolver endpoint: SERVFAIL from the data center over every edge, and
/// `POST /resolve` with `fail` agrees with `vpcsim resolve --fail`.
#[test]
fn a_blocked_inbound_resolver_is_servfail_everywhere_and_fail_is_honoured() {
    let topo = root().join("tests/scenarios/blocked-inbound-resolver.yaml");
    let served = serve(&topo);
    let (status, v) = post(
        served.http,
        "/resolve",
        &json!({"from": "datacenter", "name": "s3.us-east-1.amazonaws.com"}),
    );
    assert_eq!(status, 200);
    assert_eq!(v["status"], "SERVFAIL", "{v}");
    let blocked = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["detail"].as_str().unwrap().contains("resolver-sg"));
    assert!(blocked, "the step names the security group: {v}");

    // With the VPN down, the working topology's forwarded query cannot get through either.
    let topo = root().join("topologies/gateway-and-interface.yaml");
    let served = serve(&topo);
    let ask = |fail: Value| {
        post(
            served.http,
            "/resolve",
            &json!({"from": "datacenter", "name": "s3.us-east-1.amazonaws.com", "fail": fail}),
        )
    };
    let (_, up) = ask(json!([]));
    assert_eq!(up["status"], "NOERROR", "{up}");
    let (_, down) = ask(json!(["vpn-1"]));
    assert_eq!(down["status"], "SERVFAIL", "{down}");
    let cli = Command::new(bin())
        .arg("resolve")
        .arg(&topo)
        .args(["--from", "datacenter", "s3.us-east-1.amazonaws.com"])
        .args(["--fail", "vpn-1", "--format", "json"])
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
    assert_eq!(from_json(&cli), from_json(&down));
    let (status, bad) = ask(json!("vpn-1"));
    assert_eq!(status, 400, "{bad}");
}

/// `POST /trace` answers what `vpcsim trace` answers, every time: each request starts from a fresh
/// DNS rotation (no state shared between requests), so repeating it does not move to the next ENI.
#[test]
fn http_traces_are_the_cli_traces_every_time() {
    let topo = root().join("topologies/hybrid-s3.yaml");
    let served = serve(&topo);
    let request = "GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv";
    let cli = Command::new(bin())
        .arg("trace")
        .arg(&topo)
        .args([
            "--from",
            "datacenter/build-server",
            request,
            "--format",
            "json",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let cli: Value = serde_json::from_slice(&cli.stdout).expect("JSON");
    let key = |v: &Value| {
        (
            v["verdict"].clone(),
            v["code"].clone(),
            v["destination"].clone(),
            v["via"].clone(),
            v["forward"].clone(),
            v["back"].clone(),
        )
    };
    for _ in 0..3 {
        let (status, api) = post(
            served.http,
            "/trace",
            &json!({"from": "datacenter/build-server", "request": request}),
        );
        assert_eq!(status, 200, "{api}");
        assert_eq!(key(&api), key(&cli));
    }
}

/// Request headers are the same question everywhere: `vpcsim trace --header` and `POST /trace`
/// with `headers` decide an upload under the "Require SSE" bucket policy alike, with the header
/// (allowed) and without it (denied), and carry the same request context. (The front's side is
/// `tests/front.rs` and, with the aws CLI's `--sse`, `tests/e2e/run.py`.)
#[test]
fn request_headers_decide_alike_in_the_cli_and_the_http_api() {
    let topo = root().join("tests/scenarios/require-sse.yaml");
    let served = serve(&topo);
    let request = "PUT https://secure-uploads.s3.us-east-1.amazonaws.com/reports/a.csv";
    let key = |v: &Value| {
        (
            v["verdict"].clone(),
            v["code"].clone(),
            v["decided_by"].clone(),
            v["context"].clone(),
        )
    };
    for (headers, verdict) in [
        (vec![], "denied"),
        (vec![("X-Amz-Server-Side-Encryption", "AES256")], "allowed"),
        (
            vec![
                ("x-amz-server-side-encryption", "AES256"),
                ("x-amz-acl", "public-read"),
            ],
            "denied",
        ),
    ] {
        let mut args = vec![
            "trace".to_string(),
            topo.display().to_string(),
            "--from".into(),
            "app/uploader".into(),
            request.into(),
            "--format".into(),
            "json".into(),
        ];
        for (n, v) in &headers {
            args.push("--header".into());
            args.push(format!("{n}: {v}"));
        }
        let cli = Command::new(bin())
            .args(&args)
            .current_dir(root())
            .output()
            .unwrap();
        let cli: Value = serde_json::from_slice(&cli.stdout).expect("JSON");
        let map: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), json!(v)))
            .collect();
        let (status, api) = post(
            served.http,
            "/trace",
            &json!({"from": "app/uploader", "request": request, "headers": map}),
        );
        assert_eq!(status, 200, "{api}");
        assert_eq!(cli["verdict"], verdict, "{headers:?}: {cli}");
        assert_eq!(key(&api), key(&cli), "{headers:?}");
    }
    let (status, api) = post(
        served.http,
        "/trace",
        &json!({"from": "app/uploader", "request": request, "headers": {"bad name": "x"}}),
    );
    assert_eq!(status, 400, "{api}");
    let (status, api) = post(
        served.http,
        "/trace",
        &json!({"from": "app/uploader", "request": request, "headers": ["x-amz-acl: private"]}),
    );
    assert_eq!(status, 400, "{api}");
}

//! `vpcsim serve` in process: DNS over UDP and TCP for every view, truncation, rotation, error
//! codes, a fuzz run of malformed packets, the HTTP API, reload, and the limits hostile clients
//! meet (issue 14).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use hickory_net::client::{Client, ClientHandle};
use hickory_net::runtime::TokioRuntimeProvider;
use hickory_net::tcp::TcpClientStream;
use hickory_net::udp::UdpClientStream;
use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType as WireType};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use vpcsim_dns::{Rcode, RecordType, Rotation};
use vpcsim_server::{Config, Running};

const REGIONAL: &str = "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com";
const OUTPOSTS: &str =
    "reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com";

fn topology_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../topologies")
        .join(name)
}

/// The defaults, on ports the system chooses.
fn test_config() -> Config {
    Config {
        dns_base_port: 0,
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        watch_interval: Duration::from_millis(50),
        watch_settle: Duration::from_millis(200),
        ..Config::default()
    }
}

/// Loads `path` and starts a server on it with `config`.
async fn try_start(path: &Path, config: &Config) -> Result<Running, vpcsim_server::StartError> {
    let (topology, files) = vpcsim_server::load(path).expect("valid topology");
    vpcsim_server::start(path, topology, files, config).await
}

async fn start_at(path: &Path, watch: bool) -> Running {
    let config = Config {
        watch,
        ..test_config()
    };
    try_start(path, &config).await.expect("server starts")
}

async fn start() -> Running {
    start_at(&topology_path("hybrid-s3.yaml"), false).await
}

fn addr_of(running: &Running, view: &str) -> SocketAddr {
    running
        .listeners
        .iter()
        .find(|l| l.view == view)
        .unwrap_or_else(|| panic!("no listener for {view}"))
        .addr
}

// ---- raw messages ----

fn query(id: u16, name: &str, t: WireType, payload: Option<u16>) -> Vec<u8> {
    let mut m = Message::new(id, MessageType::Query, OpCode::Query);
    m.metadata.recursion_desired = true;
    m.add_query(Query::query(Name::from_str(name).unwrap(), t));
    if let Some(p) = payload {
        let mut e = Edns::new();
        e.set_max_payload(p);
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

async fn udp_exchange(addr: SocketAddr, bytes: &[u8]) -> Message {
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    sock.connect(addr).await.unwrap();
    for _ in 0..5 {
        sock.send(bytes).await.unwrap();
        let mut buf = vec![0u8; 65535];
        if let Ok(Ok(n)) =
            tokio::time::timeout(Duration::from_millis(1000), sock.recv(&mut buf)).await
        {
            return Message::from_vec(&buf[..n]).expect("a decodable response");
        }
    }
    panic!("no UDP answer from {addr}");
}

async fn tcp_exchange(addr: SocketAddr, bytes: &[u8]) -> Message {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut framed = (bytes.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(bytes);
    s.write_all(&framed).await.unwrap();
    let mut len = [0u8; 2];
    tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut len))
        .await
        .expect("TCP answer in time")
        .unwrap();
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut buf).await.unwrap();
    Message::from_vec(&buf).expect("a decodable response")
}

fn data(m: &Message) -> Vec<String> {
    m.answers
        .iter()
        .map(|r| match &r.data {
            RData::A(a) => a.0.to_string(),
            RData::AAAA(a) => a.0.to_string(),
            RData::CNAME(c) => c.0.to_string(),
            other => other.to_string(),
        })
        .collect()
}

fn model_data(res: &vpcsim_dns::Resolution) -> Vec<String> {
    res.answers
        .iter()
        .flat_map(|s| s.data.iter().map(|d| d.to_string()))
        .collect()
}

fn wire_rcode(r: Rcode) -> ResponseCode {
    match r {
        Rcode::NoError => ResponseCode::NoError,
        Rcode::NxDomain => ResponseCode::NXDomain,
        Rcode::ServFail => ResponseCode::ServFail,
        Rcode::Refused => ResponseCode::Refused,
    }
}

// ---- DNS ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_answers_as_the_model_over_udp_and_tcp() {
    let running = start().await;
    let snap = running.shared.current();
    let names: &[(&str, RecordType)] = &[
        (REGIONAL, RecordType::A),
        (
            "vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com",
            RecordType::A,
        ),
        (
            "vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com",
            RecordType::A,
        ),
        (
            "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            RecordType::A,
        ),
        (REGIONAL, RecordType::Aaaa),
        ("s3.us-east-1.amazonaws.com", RecordType::A),
        (OUTPOSTS, RecordType::A),
        ("ip-10-0-1-10.ec2.internal", RecordType::A),
        ("www.example.com", RecordType::A),
        ("amazonaws.com", RecordType::Soa),
        ("amazonaws.com", RecordType::Ns),
    ];
    for listener in &running.listeners {
        let source = snap.topology().find_source(&listener.view).unwrap();
        let view = vpcsim_dns::view_of(snap.topology(), source);
        let mut rotation = Rotation::new();

        let udp = UdpClientStream::builder(listener.addr, TokioRuntimeProvider::default()).build();
        let (mut udp_client, bg) = Client::<TokioRuntimeProvider>::from_sender(udp);
        tokio::spawn(bg);
        let (stream, sender) =
            TcpClientStream::new(listener.addr, None, None, TokioRuntimeProvider::new());
        let (mut tcp_client, bg) =
            Client::<TokioRuntimeProvider>::new(stream.await.expect("TCP connects"), sender);
        tokio::spawn(bg);

        for (name, rtype) in names {
            let wtype = WireType::from_str(rtype.as_str()).unwrap();
            for (proto, client) in [("udp", &mut udp_client), ("tcp", &mut tcp_client)] {
                let want =
                    snap.engine()
                        .resolve(snap.base_network(), view, name, *rtype, &mut rotation);
                let got = client
                    .query(
                        Name::from_str(&format!("{name}.")).unwrap(),
                        DNSClass::IN,
                        wtype,
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{proto} {} {name}: {e}", listener.view));
                let ctx = format!("{proto} {} {rtype} {name}", listener.view);
                assert_eq!(got.metadata.response_code, wire_rcode(want.rcode), "{ctx}");
                assert_eq!(got.metadata.authoritative, want.authoritative, "{ctx}");
                assert_eq!(
                    got.metadata.recursion_available,
                    listener.view != "public",
                    "{ctx}"
                );
                assert!(!got.metadata.truncation, "{ctx}");
                assert_eq!(data(&got), model_data(&want), "{ctx}");
                // A negative answer carries its zone's SOA, with the negative-caching TTL.
                let authority: Vec<(String, u32, String)> = got
                    .authorities
                    .iter()
                    .map(|r| (r.name.to_string(), r.ttl, r.data.to_string()))
                    .collect();
                let model_authority: Vec<(String, u32, String)> = want
                    .authority
                    .iter()
                    .flat_map(|s| {
                        s.data
                            .iter()
                            .map(|d| (format!("{}.", s.name), s.ttl, d.to_string()))
                    })
                    .collect();
                assert_eq!(authority, model_authority, "{ctx}");
                let negative = want.rcode == Rcode::NxDomain || want.is_nodata();
                assert_eq!(
                    authority.len(),
                    usize::from(negative),
                    "{ctx}: {authority:?}"
                );
                assert!(got.edns.is_some(), "{ctx}: OPT echoed");
            }
        }
    }
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outposts_x_enis_rotate_per_query() {
    let running = start().await;
    let addr = addr_of(&running, "shared");
    let mut firsts = Vec::new();
    let mut sets = Vec::new();
    for i in 0..4 {
        let m = udp_exchange(addr, &query(100 + i, OUTPOSTS, WireType::A, Some(1232))).await;
        let d = data(&m);
        assert_eq!(d.len(), 4, "four X-ENIs: {d:?}");
        firsts.push(d[0].clone());
        let mut s = d.clone();
        s.sort();
        sets.push(s);
    }
    assert!(sets.windows(2).all(|w| w[0] == w[1]), "same four addresses");
    let mut distinct = firsts.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        4,
        "each query leads with another X-ENI: {firsts:?}"
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_answers_truncate_over_udp_and_come_whole_over_tcp() {
    // A copy of hybrid-s3 with a private zone whose one name has 60 A records (≈1 KiB).
    let dir = tempdir("truncation");
    let path = dir.join("big.yaml");
    let values: Vec<String> = (1..=60).map(|i| format!("10.0.1.{}", 100 + i)).collect();
    let text = std::fs::read_to_string(topology_path("hybrid-s3.yaml")).unwrap()
        + &format!(
            "\nhosted_zones:\n  corp.internal:\n    vpcs: [shared]\n    records:\n      - {{ name: many, type: A, values: [{}] }}\n",
            values.join(", ")
        );
    std::fs::write(&path, text).unwrap();
    let running = start_at(&path, false).await;
    let addr = addr_of(&running, "shared");
    let name = "many.corp.internal.";

    // EDNS with a 512-byte buffer (and a smaller one, which counts as 512): TC, no answers, OPT kept.
    for payload in [512, 300] {
        let m = udp_exchange(addr, &query(7, name, WireType::A, Some(payload))).await;
        assert!(m.metadata.truncation, "TC with payload {payload}");
        assert!(m.answers.is_empty());
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(m.edns.as_ref().map(|e| e.max_payload()), Some(512));
    }
    // No EDNS: the 512-byte limit of RFC 1035.
    let m = udp_exchange(addr, &query(8, name, WireType::A, None)).await;
    assert!(m.metadata.truncation);
    assert!(m.edns.is_none(), "no OPT when the query had none");
    // The retry over TCP gets all 60.
    let m = tcp_exchange(addr, &query(9, name, WireType::A, Some(512))).await;
    assert!(!m.metadata.truncation);
    assert_eq!(data(&m).len(), 60);
    // A client with a large buffer gets them over UDP.
    let m = udp_exchange(addr, &query(10, name, WireType::A, Some(4096))).await;
    assert!(!m.metadata.truncation);
    assert_eq!(data(&m).len(), 60);

    // The ordinary 4-record Outposts answer fits in 512 bytes.
    let m = udp_exchange(addr, &query(11, OUTPOSTS, WireType::A, None)).await;
    assert!(!m.metadata.truncation);
    assert_eq!(data(&m).len(), 4);
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_formerr_notimp_badvers() {
    let running = start().await;
    let public = addr_of(&running, "public");
    // Outside the served zones.
    let m = udp_exchange(public, &query(1, "example.com.", WireType::A, Some(1232))).await;
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    // CHAOS class (version.bind) and zone transfers are refused too.
    let mut q = Message::new(2, MessageType::Query, OpCode::Query);
    let mut query_ch = Query::query(Name::from_str("version.bind.").unwrap(), WireType::TXT);
    query_ch.set_query_class(DNSClass::CH);
    q.add_query(query_ch);
    let m = udp_exchange(public, &q.to_vec().unwrap()).await;
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    let m = tcp_exchange(public, &query(3, "amazonaws.com.", WireType::AXFR, None)).await;
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    // Garbage after a valid header: one question announced, none there.
    let mut garbage = vec![0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0];
    garbage.extend_from_slice(&[0xc0, 0xff, 0x03]);
    let m = udp_exchange(public, &garbage).await;
    assert_eq!(m.metadata.id, 0x1234);
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    // No question at all.
    let empty = Message::new(4, MessageType::Query, OpCode::Query);
    let m = udp_exchange(public, &empty.to_vec().unwrap()).await;
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    // Another opcode.
    let mut status = Message::new(5, MessageType::Query, OpCode::Status);
    status.add_query(Query::query(Name::from_str(REGIONAL).unwrap(), WireType::A));
    let m = udp_exchange(public, &status.to_vec().unwrap()).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NotImp);
    // EDNS version 1.
    let mut v1 = Message::new(6, MessageType::Query, OpCode::Query);
    v1.add_query(Query::query(Name::from_str(REGIONAL).unwrap(), WireType::A));
    let mut e = Edns::new();
    e.set_version(1);
    v1.set_edns(e);
    let m = udp_exchange(public, &v1.to_vec().unwrap()).await;
    // BADVERS and BADSIG share the value 16; the decoder names it BADSIG.
    assert_eq!(
        u16::from(m.metadata.response_code),
        u16::from(ResponseCode::BADVERS)
    );
    // A type the model does not hold: NODATA at an existing name, NXDOMAIN elsewhere.
    let m = udp_exchange(
        public,
        &query(7, &format!("{REGIONAL}."), WireType::HINFO, Some(1232)),
    )
    .await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    running.shutdown().await;
}

/// splitmix64: a deterministic PRNG for the fuzz run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_packets_leave_the_server_answering() {
    let running = start().await;
    let targets = [addr_of(&running, "public"), addr_of(&running, "shared")];
    let seeds: Vec<Vec<u8>> = [
        (REGIONAL, WireType::A, Some(1232)),
        (OUTPOSTS, WireType::A, None),
        ("s3.us-east-1.amazonaws.com", WireType::AAAA, Some(512)),
        ("ip-10-0-1-10.ec2.internal", WireType::ANY, Some(4096)),
    ]
    .iter()
    .map(|(n, t, p)| query(0x4242, &format!("{n}."), *t, *p))
    .collect();
    let mut rng = Rng(0x5eed_0001);
    let sock = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut sent = 0;
    for i in 0..100_000 {
        let packet: Vec<u8> = if i % 2 == 0 {
            // Random bytes, 0 to 600 long.
            let len = rng.below(601);
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            // A valid query with 1 to 8 mutations: flipped bytes, a cut, bytes appended.
            let mut p = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(8) {
                match rng.below(4) {
                    0 | 1 => {
                        let at = rng.below(p.len());
                        p[at] = rng.next() as u8;
                    }
                    2 => {
                        let keep = rng.below(p.len() + 1);
                        p.truncate(keep);
                        if p.is_empty() {
                            p.push(0);
                        }
                    }
                    _ => {
                        let extra = rng.below(16);
                        p.extend((0..extra).map(|_| rng.next() as u8));
                    }
                }
            }
            p
        };
        if sock.send_to(&packet, targets[i % 2]).await.is_ok() {
            sent += 1;
        }
        if i % 1000 == 999 {
            // Drain replies now and then so our socket does not just drop them.
            let mut buf = [0u8; 4096];
            while sock.try_recv(&mut buf).is_ok() {}
            tokio::task::yield_now().await;
        }
    }
    assert!(sent > 90_000, "sent {sent}");

    // Still answering, and correctly, over UDP and TCP.
    let snap = running.shared.current();
    for (view_name, addr) in [("public", targets[0]), ("shared", targets[1])] {
        let view = vpcsim_dns::view_of(
            snap.topology(),
            snap.topology().find_source(view_name).unwrap(),
        );
        let want = snap.engine().resolve(
            snap.base_network(),
            view,
            REGIONAL,
            RecordType::A,
            &mut Rotation::new(),
        );
        let mut want_sorted = model_data(&want);
        want_sorted.sort();
        for m in [
            udp_exchange(
                addr,
                &query(77, &format!("{REGIONAL}."), WireType::A, Some(1232)),
            )
            .await,
            tcp_exchange(
                addr,
                &query(78, &format!("{REGIONAL}."), WireType::A, Some(1232)),
            )
            .await,
        ] {
            assert_eq!(m.metadata.response_code, ResponseCode::NoError);
            let mut got = data(&m);
            got.sort();
            assert_eq!(got, want_sorted, "{view_name}");
        }
    }
    running.shutdown().await;
}

// ---- HTTP ----

/// One HTTP/1.1 request with `Connection: close`: the status and the JSON body.
async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> (u16, String, Value) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("content-type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    // A server may answer (413) before reading the whole body; ignore a failed write.
    let _ = s.write_all(body).await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a full response");
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, head.to_string(), json)
}

async fn post(addr: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    let (s, _, v) = http(
        addr,
        "POST",
        path,
        Some("application/json"),
        body.to_string().as_bytes(),
    )
    .await;
    (s, v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_api_routes_and_errors() {
    let running = start().await;
    let a = running.http;

    let (s, _, v) = http(a, "GET", "/health", None, b"").await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["generation"], 1);
    assert!(v["reload_error"].is_null());

    let (s, _, v) = http(a, "GET", "/topology", None, b"").await;
    assert_eq!(s, 200);
    assert_eq!(v["name"], "hybrid-s3");
    let views = v["views"].as_array().unwrap();
    assert_eq!(views.len(), running.listeners.len());
    assert_eq!(views[0]["name"], "public");
    assert_eq!(views[0]["dns"], running.listeners[0].addr.to_string());
    assert!(
        v["vpcs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "shared")
    );
    assert!(
        v["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["dns_names"][0] == REGIONAL)
    );

    let (s, v) = post(
        a,
        "/resolve",
        json!({"from": "datacenter/build-server", "name": REGIONAL}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "NOERROR");
    assert_eq!(v["answers"].as_array().unwrap().len(), 2);
    let (s, v) = post(
        a,
        "/resolve",
        json!({"from": "public", "name": "www.example.com", "type": "A"}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["rcode"], "REFUSED");

    let request = format!("GET https://bucket.{REGIONAL}/DOC-EXAMPLE-BUCKET1/report.csv");
    let (s, v) = post(
        a,
        "/trace",
        json!({"from": "datacenter/build-server", "request": request}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verdict"], "allowed");
    assert_eq!(v["via"], json!(["dx-primary", "s3-interface"]));
    let (s, v) = post(
        a,
        "/trace",
        json!({"from": "datacenter/build-server", "request": request, "fail": ["dx-primary"], "principal": "s3-apps"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let via: Vec<&str> = v["via"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(
        via.contains(&"vpn-backup") && !via.contains(&"dx-primary"),
        "{via:?}"
    );
    // The failure applied to that request only: the kept routes still have every link up.
    let (s, v) = post(
        a,
        "/trace",
        json!({"from": "datacenter/build-server", "request": request}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["via"], json!(["dx-primary", "s3-interface"]));

    let (s, _, v) = http(a, "POST", "/check", None, b"").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["failed"], 0);
    assert!(v["passed"].as_u64().unwrap() > 0);

    // Errors: JSON with error and hint, and the right status.
    /// Status, method, path, content type, body.
    type Case<'a> = (u16, &'a str, &'a str, Option<&'a str>, Vec<u8>);
    let cases: Vec<Case> = vec![
        (400, "POST", "/trace", Some("application/json"), b"{not json".to_vec()),
        (400, "POST", "/trace", Some("application/json"), br#"{"from": "datacenter/build-servr", "request": "GET https://s3.us-east-1.amazonaws.com/"}"#.to_vec()),
        (400, "POST", "/trace", Some("application/json"), br#"{"from": "shared", "request": "GET https://s3.us-east-1.amazonaws.com/"}"#.to_vec()),
        (400, "POST", "/trace", Some("application/json"), br#"{"from": "datacenter/build-server", "request": "GET https://s3.us-east-1.amazonaws.com/", "fail": ["dx-primry"]}"#.to_vec()),
        (400, "POST", "/trace", Some("application/json"), br#"{"from": "datacenter/build-server"}"#.to_vec()),
        (400, "POST", "/resolve", Some("application/json"), br#"{"from": "public", "name": "x", "tpye": "A"}"#.to_vec()),
        (400, "POST", "/resolve", Some("application/json"), br#"{"from": "public", "name": "x", "type": "BOGUS"}"#.to_vec()),
        (400, "POST", "/resolve", Some("application/json"), br#"[1, 2]"#.to_vec()),
        (404, "GET", "/nope", None, vec![]),
        (405, "GET", "/trace", None, vec![]),
        (405, "POST", "/health", Some("application/json"), b"{}".to_vec()),
        (413, "POST", "/trace", Some("application/json"), vec![b' '; 70 * 1024]),
        (415, "POST", "/trace", Some("text/plain"), b"{}".to_vec()),
        (415, "POST", "/resolve", Some("application/x-www-form-urlencoded"), b"from=public".to_vec()),
    ];
    for (want, method, path, ct, body) in cases {
        let (s, head, v) = http(a, method, path, ct, &body).await;
        assert_eq!(
            s,
            want,
            "{method} {path} {}: {v}",
            String::from_utf8_lossy(&body[..body.len().min(80)])
        );
        assert!(v["error"].is_string(), "{method} {path}: {v}");
        assert!(v["hint"].is_string(), "{method} {path}: {v}");
        if want == 405 {
            assert!(head.to_ascii_lowercase().contains("allow:"), "{head}");
        }
    }
    let (_, v) = post(
        a,
        "/trace",
        json!({"from": "datacenter/build-servr", "request": "x"}),
    )
    .await;
    assert!(v["hint"].as_str().unwrap().contains("build-server"), "{v}");

    // Still serving after all that.
    let (s, _, _) = http(a, "GET", "/health", None, b"").await;
    assert_eq!(s, 200);
    running.shutdown().await;
}

// ---- reload ----

fn tempdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vpcsim-serve-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn wait_until<F, Fut>(what: &str, mut ok: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if ok().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reloads_a_good_edit_and_keeps_serving_through_a_bad_one() {
    let dir = tempdir("reload");
    let path = dir.join("hybrid-s3.yaml");
    let original = std::fs::read_to_string(topology_path("hybrid-s3.yaml")).unwrap();
    std::fs::write(&path, &original).unwrap();
    let running = start_at(&path, true).await;
    let public = addr_of(&running, "public");
    let renamed = REGIONAL.replace("5e6f", "7a8b");
    let ask = |name: String| async move {
        udp_exchange(
            public,
            &query(1, &format!("{name}."), WireType::A, Some(1232)),
        )
        .await
        .metadata
        .response_code
    };
    assert_eq!(ask(REGIONAL.into()).await, ResponseCode::NoError);
    assert_eq!(ask(renamed.clone()).await, ResponseCode::NXDomain);

    // A good edit: the endpoint's DNS id changes.
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(&path, original.replace("dns_id: 5e6f", "dns_id: 7a8b")).unwrap();
    wait_until("the new name resolves", || is_noerror(ask(renamed.clone()))).await;
    assert_eq!(ask(REGIONAL.into()).await, ResponseCode::NXDomain);
    assert_eq!(running.shared.current().generation, 2);
    assert!(running.shared.last_error().is_none());
    // The HTTP API traces over the reloaded topology too (the engine is rebuilt with it).
    let (s, v) = post(
        running.http,
        "/trace",
        json!({"from": "datacenter/build-server", "request": format!("GET https://bucket.{renamed}/DOC-EXAMPLE-BUCKET1/report.csv")}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verdict"], "allowed", "{v}");

    // A bad edit: a subnet that does not exist. The last good topology keeps serving.
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(
        &path,
        original.replace("dns_id: 5e6f", "dns_id: 7a8b").replace(
            "subnets: [endpoints-a, endpoints-b]",
            "subnets: [endpoints-a, endpoint-b]",
        ),
    )
    .unwrap();
    let shared = running.shared.clone();
    wait_until("the bad edit is reported", || {
        let shared = shared.clone();
        async move { shared.last_error().is_some() }
    })
    .await;
    let err = running.shared.last_error().unwrap();
    assert!(
        err.diagnostics.iter().any(|d| d.contains("endpoint-b")),
        "{err:?}"
    );
    assert_eq!(running.shared.current().generation, 2);
    assert_eq!(ask(renamed.clone()).await, ResponseCode::NoError);
    let (_, _, health) = http(running.http, "GET", "/health", None, b"").await;
    assert!(health["reload_error"]["error"].is_string(), "{health}");
    assert_eq!(health["generation"], 2);

    // Fixing it reloads again and clears the error.
    tokio::time::sleep(Duration::from_millis(20)).await;
    std::fs::write(&path, &original).unwrap();
    wait_until("the fix is served", || is_noerror(ask(REGIONAL.into()))).await;
    assert!(running.shared.last_error().is_none());
    assert_eq!(running.shared.current().generation, 3);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// True when the answer is NOERROR.
async fn is_noerror(answer: impl std::future::Future<Output = ResponseCode>) -> bool {
    answer.await == ResponseCode::NoError
}

// ---- the UDP loop against hickory-server's ----

/// Queries for the differential test: names of every kind, types, EDNS sizes and versions,
/// opcodes, classes, question counts, responses, short packets, then fuzzed copies.
fn differential_packets() -> Vec<Vec<u8>> {
    let names = [
        REGIONAL,
        "vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com",
        "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
        "VPCE-1A2B3C4D-5E6F.S3.US-EAST-1.VPCE.AMAZONAWS.COM",
        OUTPOSTS,
        "s3.us-east-1.amazonaws.com",
        "ip-10-0-1-10.ec2.internal",
        "vpce-0000000000-zzzz.s3.us-east-1.vpce.amazonaws.com",
        "nothing.amazonaws.com",
        "example.com",
        "amazonaws.com",
        ".",
    ];
    let types = [
        WireType::A,
        WireType::AAAA,
        WireType::CNAME,
        WireType::TXT,
        WireType::MX,
        WireType::NS,
        WireType::SOA,
        WireType::ANY,
        WireType::HINFO,
        WireType::AXFR,
    ];
    let mut packets = Vec::new();
    let mut id = 1u16;
    for name in names {
        for t in types {
            for payload in [
                None,
                Some(300),
                Some(512),
                Some(1232),
                Some(4096),
                Some(65000),
            ] {
                let n = if name.ends_with('.') {
                    name.to_string()
                } else {
                    format!("{name}.")
                };
                packets.push(query(id, &n, t, payload));
                id = id.wrapping_add(1);
            }
        }
    }
    // Outposts again, so that the rotation advances on both sides; after four the UDP loop knows
    // the response of every offset and answers from them, advancing the same counter.
    for i in 0..16 {
        packets.push(query(
            9000 + i,
            &format!("{OUTPOSTS}."),
            WireType::A,
            Some(1232),
        ));
    }
    let mut v1 = Message::new(7, MessageType::Query, OpCode::Query);
    v1.add_query(Query::query(Name::from_str(REGIONAL).unwrap(), WireType::A));
    let mut e = Edns::new();
    e.set_version(1);
    v1.set_edns(e);
    packets.push(v1.to_vec().unwrap());
    let mut status = Message::new(8, MessageType::Query, OpCode::Status);
    status.add_query(Query::query(Name::from_str(REGIONAL).unwrap(), WireType::A));
    packets.push(status.to_vec().unwrap());
    let mut chaos = Message::new(9, MessageType::Query, OpCode::Query);
    let mut q = Query::query(Name::from_str("version.bind.").unwrap(), WireType::TXT);
    q.set_query_class(DNSClass::CH);
    chaos.add_query(q);
    packets.push(chaos.to_vec().unwrap());
    packets.push(
        Message::new(10, MessageType::Query, OpCode::Query)
            .to_vec()
            .unwrap(),
    );
    let mut two = Message::new(11, MessageType::Query, OpCode::Query);
    two.add_query(Query::query(Name::from_str(REGIONAL).unwrap(), WireType::A));
    two.add_query(Query::query(Name::from_str(OUTPOSTS).unwrap(), WireType::A));
    packets.push(two.to_vec().unwrap());
    let mut response = Message::new(12, MessageType::Response, OpCode::Query);
    response.add_query(Query::query(Name::from_str(REGIONAL).unwrap(), WireType::A));
    packets.push(response.to_vec().unwrap());
    packets.push(vec![0x12, 0x34, 0x01]);
    packets.push(vec![
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0xc0, 0xff,
    ]);
    // Every one again with another ID: the answer cache answers these from the responses it kept
    // (the rotated names still rotate).
    let seeds = packets.clone();
    for p in &seeds {
        let mut again = p.clone();
        if again.len() >= 2 {
            again[0] ^= 0x5a;
            again[1] ^= 0xa5;
        }
        packets.push(again);
    }
    // Fuzzed copies of the valid ones, and random bytes.
    let mut rng = Rng(0xd1ff_0001);
    for i in 0..3000 {
        if i % 3 == 0 {
            let len = rng.below(80);
            packets.push((0..len).map(|_| rng.next() as u8).collect());
        } else {
            let mut p = seeds[rng.below(seeds.len())].clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(p.len());
                p[at] = rng.next() as u8;
            }
            packets.push(p);
        }
    }
    packets
}

/// The UDP loop answers every datagram exactly as hickory-server's own UDP loop does with the same
/// handler: the same bytes, or no answer for both. Both sides start with a fresh rotation and see
/// the same queries in the same order; the loop's answer cache is on.
#[tokio::test]
async fn udp_answers_are_byte_for_byte_those_of_hickory_servers_udp_loop() {
    const MARKER: u16 = 0xfff7;
    let marker_name = Name::from_str("marker.vpcsim.invalid.").unwrap();
    let marker = {
        let mut m = Message::new(MARKER, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(marker_name.clone(), WireType::A));
        m.to_vec().unwrap()
    };
    let packets = differential_packets();
    let path = topology_path("hybrid-s3.yaml");
    for view in ["public", "shared", "datacenter"] {
        let (topology, files) = vpcsim_server::load(&path).unwrap();
        let shared = vpcsim_server::Shared::new(&path, topology, files);
        let mut server =
            hickory_server::Server::new(vpcsim_server::ViewHandler::new(shared.clone(), view));
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        server.register_socket(socket);
        let ours = vpcsim_server::ViewHandler::new(shared.clone(), view);
        let mut cache = vpcsim_server::dns::AnswerCache::new();
        let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        client.connect(addr).await.unwrap();
        let me = client.local_addr().unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; 65535];
        let mut answered = 0;
        for (i, p) in packets.iter().enumerate() {
            // hickory-server's answer, if any, comes before the marker's (one thread, in order).
            client.send(p).await.unwrap();
            client.send(&marker).await.unwrap();
            let mut theirs = None;
            loop {
                let n = tokio::time::timeout(Duration::from_secs(5), client.recv(&mut buf))
                    .await
                    .expect("hickory-server answers the marker")
                    .unwrap();
                let bytes = &buf[..n];
                let is_marker = Message::from_vec(bytes).is_ok_and(|m| {
                    m.metadata.id == MARKER
                        && m.queries.first().is_some_and(|q| q.name() == &marker_name)
                });
                if is_marker {
                    break;
                }
                assert!(theirs.is_none(), "packet {i}: two answers");
                theirs = Some(bytes.to_vec());
            }
            let mine = vpcsim_server::udp::respond(&ours, p, me, &mut out, &mut cache)
                .then(|| out.clone());
            answered += usize::from(mine.is_some());
            assert_eq!(mine, theirs, "view {view}, packet {i}: {p:02x?}");
        }
        assert!(answered > packets.len() / 2, "{answered} answered");
        server.shutdown_gracefully().await.unwrap();
    }
}

/// A burst of queries from several clients at once (read and answered in batches): every query
/// gets exactly one answer, with its ID and the answer of a query asked alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_queries_is_answered_in_full() {
    let running = start().await;
    let addr = addr_of(&running, "public");
    let alone = udp_exchange(addr, &query(1, &format!("{REGIONAL}."), WireType::A, None)).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        let c = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        c.connect(addr).await.unwrap();
        clients.push(c);
    }
    const EACH: u16 = 150;
    for c in &clients {
        for id in 0..EACH {
            c.send(&query(id, &format!("{REGIONAL}."), WireType::A, None))
                .await
                .unwrap();
        }
    }
    let mut buf = vec![0u8; 4096];
    for c in &clients {
        let mut seen = vec![false; usize::from(EACH)];
        for _ in 0..EACH {
            let n = tokio::time::timeout(Duration::from_secs(5), c.recv(&mut buf))
                .await
                .expect("every query is answered")
                .unwrap();
            let m = Message::from_vec(&buf[..n]).unwrap();
            let id = usize::from(m.metadata.id);
            assert!(!seen[id], "two answers to {id}");
            seen[id] = true;
            // The Regional name rotates: the same addresses, in any order.
            let (mut got, mut want) = (data(&m), data(&alone));
            got.sort();
            want.sort();
            assert_eq!(got, want);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        }
    }
    running.shutdown().await;
}

// ---- choosing views, UDP sockets ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_chosen_views_are_served_in_the_order_given() {
    let path = topology_path("hybrid-s3.yaml");
    let config = Config {
        views: vec!["datacenter".into(), "public".into(), "datacenter".into()],
        ..test_config()
    };
    let running = try_start(&path, &config).await.expect("server starts");
    let views: Vec<&str> = running.listeners.iter().map(|l| l.view.as_str()).collect();
    assert_eq!(views, ["datacenter", "public"]);
    assert!(running.listeners.iter().all(|l| l.tcp));
    // Each answers as its view: public DNS is authoritative without RA, the site resolver has RA.
    let m = udp_exchange(
        addr_of(&running, "public"),
        &query(1, &format!("{REGIONAL}."), WireType::A, None),
    )
    .await;
    assert!(m.metadata.authoritative && !m.metadata.recursion_available);
    let m = udp_exchange(
        addr_of(&running, "datacenter"),
        &query(2, &format!("{REGIONAL}."), WireType::A, None),
    )
    .await;
    assert!(!m.metadata.authoritative && m.metadata.recursion_available);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    running.shutdown().await;

    // An unknown view: no server, and the closest name as hint.
    let config = Config {
        views: vec!["public".into(), "sharde".into()],
        ..config
    };
    let err = try_start(&path, &config).await.expect_err("unknown view");
    assert_eq!(err.message, "the topology has no view 'sharde'");
    assert!(
        err.hint
            .as_deref()
            .is_some_and(|h| h.contains("did you mean 'shared'?")),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_udp_sockets_of_a_listener_share_its_rotation() {
    let config = Config {
        views: vec!["shared".into()],
        udp_sockets: 4,
        ..test_config()
    };
    let running = try_start(&topology_path("hybrid-s3.yaml"), &config)
        .await
        .expect("server starts");
    let addr = addr_of(&running, "shared");
    // Each exchange comes from a new client socket, so the kernel spreads them over the four
    // server sockets; the X-ENIs still take turns, one listener-wide sequence.
    let mut firsts = Vec::new();
    for i in 0..12 {
        let m = udp_exchange(addr, &query(200 + i, OUTPOSTS, WireType::A, None)).await;
        firsts.push(data(&m)[0].clone());
    }
    for window in firsts.chunks(4) {
        let mut w = window.to_vec();
        w.sort();
        w.dedup();
        assert_eq!(w.len(), 4, "four X-ENIs in turn: {firsts:?}");
    }
    assert_eq!(firsts[0..4], firsts[4..8], "{firsts:?}");
    assert_eq!(firsts[4..8], firsts[8..12], "{firsts:?}");
    running.shutdown().await;
}

// ---- DNS over TCP: the loop, its limits ----

/// `bytes` with its two-byte length in front, as DNS over TCP sends a message.
fn framed(bytes: &[u8]) -> Vec<u8> {
    let mut out = (bytes.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(bytes);
    out
}

/// Reads one length-prefixed answer (`None`: the server closed the connection), waiting at most
/// 10 s.
async fn tcp_read_answer(s: &mut TcpStream) -> Option<Vec<u8>> {
    let read = async {
        let mut len = [0u8; 2];
        s.read_exact(&mut len).await.ok()?;
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        s.read_exact(&mut buf).await.ok()?;
        Some(buf)
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .expect("an answer or the end of the connection within 10 s")
}

/// True when the server closes `s` (end of stream or reset) within 10 s, reading and discarding
/// anything it sends first.
async fn closed_by_server(s: &mut TcpStream) -> bool {
    let mut buf = [0u8; 512];
    let until_closed = async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), until_closed)
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_over_tcp_answers_pipelined_and_split_queries_in_order() {
    let running = start().await;
    let public = addr_of(&running, "public");
    let mut s = TcpStream::connect(public).await.unwrap();
    // Three queries in one write, answered in order.
    let mut burst = Vec::new();
    for id in [1u16, 2, 3] {
        burst.extend(framed(&query(
            id,
            &format!("{REGIONAL}."),
            WireType::A,
            None,
        )));
    }
    s.write_all(&burst).await.unwrap();
    for id in [1u16, 2, 3] {
        let m = Message::from_vec(&tcp_read_answer(&mut s).await.expect("an answer")).unwrap();
        assert_eq!(m.metadata.id, id);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        assert_eq!(data(&m).len(), 2);
    }
    // One query a byte at a time, the length prefix included.
    for b in framed(&query(4, &format!("{REGIONAL}."), WireType::A, None)) {
        s.write_all(&[b]).await.unwrap();
        s.flush().await.unwrap();
        tokio::task::yield_now().await;
    }
    let m = Message::from_vec(&tcp_read_answer(&mut s).await.expect("an answer")).unwrap();
    assert_eq!(m.metadata.id, 4);
    // A message shorter than a header gets no answer; the connection goes on.
    s.write_all(&framed(&[0x12, 0x34, 0x01])).await.unwrap();
    s.write_all(&framed(&query(5, "example.com.", WireType::A, None)))
        .await
        .unwrap();
    let m = Message::from_vec(&tcp_read_answer(&mut s).await.expect("an answer")).unwrap();
    assert_eq!(m.metadata.id, 5);
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    running.shutdown().await;
}

/// Before the fix hickory-server's TCP loop accepted every connection, kept an idle one for its
/// own 10 s whatever was configured, and reserved the announced length (64 KiB) before a byte of
/// the message came.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_over_tcp_caps_connections_per_view_and_closes_idle_ones() {
    let config = Config {
        views: vec!["public".into()],
        limits: vpcsim_server::Limits {
            dns_tcp_connections: 3,
            dns_tcp_idle: Duration::from_secs(120),
            ..vpcsim_server::Limits::default()
        },
        ..test_config()
    };
    let path = topology_path("hybrid-s3.yaml");
    let running = try_start(&path, &config).await.expect("server starts");
    let public = addr_of(&running, "public");
    let ask = query(9, &format!("{REGIONAL}."), WireType::A, None);
    // Three connections that sent a query each and stay open: the limit.
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(public).await.unwrap();
        s.write_all(&framed(&ask)).await.unwrap();
        assert!(tcp_read_answer(&mut s).await.is_some(), "answered");
        held.push(s);
    }
    // A fourth is closed without an answer.
    let mut over = TcpStream::connect(public).await.unwrap();
    let _ = over.write_all(&framed(&ask)).await;
    assert!(
        closed_by_server(&mut over).await,
        "a connection over the limit is closed"
    );
    // UDP is not affected.
    let m = udp_exchange(public, &ask).await;
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    // When one ends, its place is free again.
    drop(held.pop());
    wait_until("a new connection is answered", || {
        let ask = ask.clone();
        async move {
            let mut s = TcpStream::connect(public).await.unwrap();
            let _ = s.write_all(&framed(&ask)).await;
            tcp_read_answer(&mut s).await.is_some()
        }
    })
    .await;
    running.shutdown().await;

    // A short idle timeout: a connection that sends nothing, one that sends half a length, and
    // one that announces 65,535 bytes and sends 10 are all closed; an answered one is closed
    // after it.
    let config = Config {
        limits: vpcsim_server::Limits {
            dns_tcp_idle: Duration::from_millis(300),
            ..vpcsim_server::Limits::default()
        },
        ..config
    };
    let running = try_start(&path, &config).await.expect("server starts");
    let public = addr_of(&running, "public");
    for sent in [vec![], vec![0xff], {
        let mut v = vec![0xff, 0xff];
        v.extend_from_slice(&[0u8; 10]);
        v
    }] {
        let mut s = TcpStream::connect(public).await.unwrap();
        s.write_all(&sent).await.unwrap();
        assert!(
            closed_by_server(&mut s).await,
            "idle after {sent:02x?}: closed"
        );
    }
    let mut s = TcpStream::connect(public).await.unwrap();
    s.write_all(&framed(&ask)).await.unwrap();
    assert!(tcp_read_answer(&mut s).await.is_some());
    assert!(
        closed_by_server(&mut s).await,
        "idle after an answer: closed"
    );
    running.shutdown().await;
}

/// The TCP loop answers every message exactly as hickory-server's own TCP loop does with the same
/// handler: the same bytes, or no answer for both (the queries of the UDP differential test, each
/// followed by a marker query on the same connection).
#[tokio::test]
async fn tcp_answers_are_byte_for_byte_those_of_hickory_servers_tcp_loop() {
    const MARKER: u16 = 0xfff7;
    let marker_name = Name::from_str("marker.vpcsim.invalid.").unwrap();
    let marker = {
        let mut m = Message::new(MARKER, MessageType::Query, OpCode::Query);
        m.add_query(Query::query(marker_name.clone(), WireType::A));
        framed(&m.to_vec().unwrap())
    };
    let is_marker = |bytes: &[u8]| {
        Message::from_vec(bytes).is_ok_and(|m| {
            m.metadata.id == MARKER && m.queries.first().is_some_and(|q| q.name() == &marker_name)
        })
    };
    let packets = differential_packets();
    let path = topology_path("hybrid-s3.yaml");
    for view in ["public", "shared", "datacenter"] {
        let (topology, files) = vpcsim_server::load(&path).unwrap();
        let shared = vpcsim_server::Shared::new(&path, topology, files);
        let mut server =
            hickory_server::Server::new(vpcsim_server::ViewHandler::new(shared.clone(), view));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let theirs_addr = listener.local_addr().unwrap();
        // Accepted sockets inherit it: no Nagle delay between hickory-server's two answers.
        socket2::SockRef::from(&listener)
            .set_tcp_nodelay(true)
            .unwrap();
        server.register_listener(listener, Duration::from_secs(10), 64);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let ours_addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let ours = tokio::spawn(vpcsim_server::tcp::serve(
            listener,
            vpcsim_server::ViewHandler::new(shared.clone(), view),
            vpcsim_server::accept::Gate::new(4, None),
            Duration::from_secs(10),
            stopped,
        ));
        let mut theirs_conn = TcpStream::connect(theirs_addr).await.unwrap();
        let mut ours_conn = TcpStream::connect(ours_addr).await.unwrap();
        theirs_conn.set_nodelay(true).unwrap();
        ours_conn.set_nodelay(true).unwrap();
        let mut answered = 0;
        for (i, p) in packets.iter().enumerate() {
            if p.is_empty() {
                // A length of 0 is not a message: both close the connection.
                continue;
            }
            let mut answers = Vec::new();
            for (side, conn) in [("hickory", &mut theirs_conn), ("ours", &mut ours_conn)] {
                let mut both = framed(p);
                both.extend_from_slice(&marker);
                conn.write_all(&both).await.unwrap();
                let mut answer = None;
                loop {
                    let bytes = tcp_read_answer(conn).await.unwrap_or_else(|| {
                        panic!("{side}, packet {i} {p:02x?}: connection closed")
                    });
                    if is_marker(&bytes) {
                        break;
                    }
                    assert!(answer.is_none(), "packet {i}: two answers");
                    answer = Some(bytes);
                }
                answers.push(answer);
            }
            answered += usize::from(answers[1].is_some());
            assert_eq!(answers[1], answers[0], "view {view}, packet {i}: {p:02x?}");
        }
        assert!(answered > packets.len() / 2, "{answered} answered");
        server.shutdown_gracefully().await.unwrap();
        let _ = stop.send(true);
        ours.await.unwrap();
    }
}

// ---- HTTP: timeouts and the connection limit ----

/// Reads what the server sends on `s` until it closes the connection (at most 10 s): the status
/// and the JSON body of the first response, if any.
async fn response_then_close(s: &mut TcpStream) -> Option<(u16, Value)> {
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("the server closes the connection within 10 s");
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn http_limits(limits: vpcsim_server::Limits) -> Config {
    Config {
        views: vec!["public".into()],
        limits,
        ..test_config()
    }
}

/// Before the fix a client that sent 10 of the 100 bytes it announced held its connection (and a
/// task) for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_bodies_and_heads_that_do_not_come_in_time_close_the_connection() {
    let config = http_limits(vpcsim_server::Limits {
        http_body_timeout: Duration::from_millis(300),
        http_header_timeout: Duration::from_millis(300),
        ..vpcsim_server::Limits::default()
    });
    let running = try_start(&topology_path("hybrid-s3.yaml"), &config)
        .await
        .expect("server starts");
    // 10 of 100 bytes: 408 with the usual error shape, and the connection closes.
    let mut s = TcpStream::connect(running.http).await.unwrap();
    s.write_all(
        b"POST /trace HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"from\": \"",
    )
    .await
    .unwrap();
    let (status, body) = response_then_close(&mut s).await.expect("a response");
    assert_eq!(status, 408, "{body}");
    assert!(
        body["error"].is_string() && body["hint"].is_string(),
        "{body}"
    );
    // Half a head, and nothing at all: closed.
    for sent in [&b"GET /health HTTP/1.1\r\nhost: local"[..], b""] {
        let mut s = TcpStream::connect(running.http).await.unwrap();
        s.write_all(sent).await.unwrap();
        let _ = response_then_close(&mut s).await;
    }
    // Still answering.
    let (s, _, v) = http(running.http, "GET", "/health", None, b"").await;
    assert_eq!(s, 200, "{v}");
    running.shutdown().await;
}

/// Before the fix the API accepted every connection: idle ones ran the process out of
/// descriptors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_connections_over_the_limit_get_503_until_one_ends() {
    let config = http_limits(vpcsim_server::Limits {
        http_connections: 3,
        http_header_timeout: Duration::from_secs(120),
        ..vpcsim_server::Limits::default()
    });
    let running = try_start(&topology_path("hybrid-s3.yaml"), &config)
        .await
        .expect("server starts");
    let a = running.http;
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(a).await.unwrap());
    }
    let (s, _, v) = http(a, "GET", "/health", None, b"").await;
    assert_eq!(s, 503, "{v}");
    assert!(v["error"].is_string() && v["hint"].is_string(), "{v}");
    drop(idle.pop());
    wait_until("a place is free again", || async move {
        http(a, "GET", "/health", None, b"").await.0 == 200
    })
    .await;
    running.shutdown().await;
}

/// A client that asks and never reads its responses gives its place back after the send timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_clients_that_do_not_read_their_responses_are_closed() {
    let config = http_limits(vpcsim_server::Limits {
        http_connections: 1,
        http_send_timeout: Duration::from_millis(300),
        ..vpcsim_server::Limits::default()
    });
    let running = try_start(&topology_path("hybrid-s3.yaml"), &config)
        .await
        .expect("server starts");
    let a = running.http;
    // Requests for /topology, pipelined and never read, until the buffers between are full.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(a).await.unwrap();
    let writer = tokio::spawn(async move {
        let mut stream = stream;
        let request = b"GET /topology HTTP/1.1\r\nhost: localhost\r\n\r\n".repeat(64);
        while stream.write_all(&request).await.is_ok() {}
    });
    // The one place is taken (connections are accepted in order)...
    let (s, _, v) = http(a, "GET", "/health", None, b"").await;
    assert_eq!(s, 503, "{v}");
    // ...and given back when the server gives up on that client.
    wait_until("the API answers a new client", || async move {
        http(a, "GET", "/health", None, b"").await.0 == 200
    })
    .await;
    writer.abort();
    running.shutdown().await;
}

// ---- HTTP: the Host header ----

/// Sends `head` (a request head, CRLF line ends, without the final empty line) with
/// `Connection: close` and returns the status and JSON body.
async fn raw_http(addr: SocketAddr, head: &str) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("{head}\r\nconnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    response_then_close(&mut s).await.expect("a response")
}

/// Before the fix the API answered any `Host`, so a web page could reach it by DNS rebinding
/// (`curl -H 'Host: evil.example' …/health` was 200).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_answers_only_loopback_and_allowed_hosts() {
    let config = Config {
        views: vec!["public".into()],
        allowed_hosts: vec!["vpcsim.test".into(), "192.0.2.7".into()],
        ..test_config()
    };
    let running = try_start(&topology_path("hybrid-s3.yaml"), &config)
        .await
        .expect("server starts");
    let a = running.http;
    for host in [
        "localhost",
        "localhost:8053",
        "LOCALHOST.",
        "127.0.0.1",
        &a.to_string(),
        "127.9.9.9:80",
        "[::1]",
        "[::1]:8053",
        "vpcsim.test",
        "VPCSIM.test:1234",
        "192.0.2.7:8053",
    ] {
        let (s, v) = raw_http(a, &format!("GET /health HTTP/1.1\r\nhost: {host}")).await;
        assert_eq!(s, 200, "Host: {host}: {v}");
    }
    for host in [
        "evil.example",
        "evil.example:8053",
        "localhost.evil.example",
        "vpcsim.test.evil.example",
        "10.0.0.1",
        "[2001:db8::1]:80",
        "localhost:http",
        "[::1",
        "::1",
        "",
    ] {
        let (s, v) = raw_http(a, &format!("GET /health HTTP/1.1\r\nhost: {host}")).await;
        assert_eq!(s, 403, "Host: {host}: {v}");
        assert!(v["error"].is_string() && v["hint"].is_string(), "{v}");
    }
    // The hint names the flag with the host refused.
    let (_, v) = raw_http(a, "GET /topology HTTP/1.1\r\nhost: evil.example:8053").await;
    assert!(
        v["hint"]
            .as_str()
            .is_some_and(|h| h.contains("--allow-host evil.example")),
        "{v}"
    );
    // Every route, before its body is read.
    let (s, _) = raw_http(
        a,
        "POST /trace HTTP/1.1\r\nhost: evil.example\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
    )
    .await;
    assert_eq!(s, 403);
    // An absolute URI names the host too.
    let (s, _) = raw_http(
        a,
        "GET http://evil.example/health HTTP/1.1\r\nhost: localhost",
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = raw_http(
        a,
        "GET http://localhost:8053/health HTTP/1.1\r\nhost: localhost",
    )
    .await;
    assert_eq!(s, 200);
    // Two Host headers: 400.
    let (s, _) = raw_http(
        a,
        "GET /health HTTP/1.1\r\nhost: localhost\r\nhost: evil.example",
    )
    .await;
    assert_eq!(s, 400);
    // HTTP/1.0 without Host (no browser sends that) is answered.
    let (s, _) = raw_http(a, "GET /health HTTP/1.0").await;
    assert_eq!(s, 200);
    running.shutdown().await;
}

// ---- reload: settling, empty files, edits during startup ----

/// A VPC with a private zone holding `a` and `b`.
const SMALL: &str = r#"regions:
  us-east-1: { azs: [us-east-1a] }
accounts:
  "111122223333": {}
vpcs:
  main: { account: "111122223333", region: us-east-1, cidr: 10.0.0.0/16 }
hosted_zones:
  corp.internal:
    vpcs: [main]
    records:
      - { name: a, type: A, values: [10.0.0.1] }
      - { name: b, type: A, values: [10.0.0.2] }
"#;

/// SMALL with `c` too.
fn small_with_c() -> String {
    format!("{SMALL}      - {{ name: c, type: A, values: [10.0.0.3] }}\n")
}

/// The answer code for `name` (A) from the view `main`.
async fn code_of(addr: SocketAddr, name: &str) -> ResponseCode {
    udp_exchange(addr, &query(1, name, WireType::A, Some(1232)))
        .await
        .metadata
        .response_code
}

async fn start_watching(path: &Path, settle: Duration) -> Running {
    let config = Config {
        watch: true,
        watch_settle: settle,
        ..test_config()
    };
    try_start(path, &config).await.expect("server starts")
}

/// Issue 14, item 5: a topology rewritten in place in two writes 200 ms apart (the first half
/// valid on its own, without `b`) was served half-written: `b`, in both versions, was NXDOMAIN
/// (and SERVFAIL while the file was empty). The watcher now waits for the file to settle.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_does_not_serve_a_file_rewritten_in_two_slow_writes() {
    use std::io::Write;
    let dir = tempdir("two-writes");
    let path = dir.join("t.yaml");
    std::fs::write(&path, SMALL).unwrap();
    let new = small_with_c();
    let (first, second) = new.split_at(new.find("      - { name: b").unwrap());
    // The first half alone is a valid topology without `b`: served, it would be NXDOMAIN.
    std::fs::write(dir.join("half.yaml"), first).unwrap();
    let (half, _) = vpcsim_server::load(&dir.join("half.yaml")).expect("the half is valid");
    assert!(
        half.hosted_zones[0].records.len() == 1,
        "one record in the half"
    );

    let running = start_watching(&path, Duration::from_secs(2)).await;
    let main = addr_of(&running, "main");
    assert_eq!(
        code_of(main, "b.corp.internal.").await,
        ResponseCode::NoError
    );
    // Ask for `b` all along the rewrite.
    let (done, mut finished) = tokio::sync::watch::channel(false);
    let checker = tokio::spawn(async move {
        let mut wrong = Vec::new();
        while !*finished.borrow_and_update() {
            let code = code_of(main, "b.corp.internal.").await;
            if code != ResponseCode::NoError {
                wrong.push(code);
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        wrong
    });
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(first.as_bytes()).unwrap();
    f.flush().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    f.write_all(second.as_bytes()).unwrap();
    drop(f);
    wait_until("c resolves", || async move {
        code_of(main, "c.corp.internal.").await == ResponseCode::NoError
    })
    .await;
    let _ = done.send(true);
    let wrong = checker.await.unwrap();
    assert!(wrong.is_empty(), "b answered {wrong:?} during the rewrite");
    assert_eq!(
        running.shared.current().generation,
        2,
        "one reload, of the whole file"
    );
    assert!(running.shared.last_error().is_none());
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 14, item 5: a file truncated to 0 bytes was loaded as an empty topology. An empty file
/// (or one with comments only: the first lines of a file being written) is now an error that
/// `GET /health` reports, and the last valid topology keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_keeps_serving_through_an_empty_file() {
    let dir = tempdir("empty");
    let path = dir.join("t.yaml");
    std::fs::write(&path, SMALL).unwrap();
    let running = start_watching(&path, Duration::from_millis(200)).await;
    let main = addr_of(&running, "main");
    for (text, says) in [
        ("", "(0 bytes)"),
        ("# vpcsim topology, being written\n\n", "only comments"),
    ] {
        std::fs::write(&path, text).unwrap();
        let shared = running.shared.clone();
        wait_until(&format!("the error says {says}"), || {
            let shared = shared.clone();
            async move {
                shared
                    .last_error()
                    .is_some_and(|e| e.message.contains(says))
            }
        })
        .await;
        let (s, _, health) = http(running.http, "GET", "/health", None, b"").await;
        assert_eq!(s, 200);
        assert_eq!(health["generation"], 1, "{health}");
        let error = health["reload_error"]["error"].as_str().unwrap_or_default();
        assert!(error.contains("is empty"), "{health}");
        assert!(error.contains("still serving generation 1"), "{health}");
        assert_eq!(
            code_of(main, "b.corp.internal.").await,
            ResponseCode::NoError
        );
    }
    std::fs::write(&path, small_with_c()).unwrap();
    wait_until("c resolves", || async move {
        code_of(main, "c.corp.internal.").await == ResponseCode::NoError
    })
    .await;
    assert!(running.shared.last_error().is_none());
    assert_eq!(running.shared.current().generation, 2);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// An edit made after the topology was read but before the watcher's first look was never
/// reloaded: the watcher took its first stamps from the edited file. The stamps are now taken
/// just before each file is read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reloads_an_edit_made_while_the_server_was_starting() {
    let dir = tempdir("early-edit");
    let path = dir.join("t.yaml");
    std::fs::write(&path, SMALL).unwrap();
    let (topology, files) = vpcsim_server::load(&path).unwrap();
    std::fs::write(&path, small_with_c()).unwrap();
    let config = Config {
        watch: true,
        ..test_config()
    };
    let running = vpcsim_server::start(&path, topology, files, &config)
        .await
        .expect("server starts");
    let main = addr_of(&running, "main");
    wait_until("c resolves", || async move {
        code_of(main, "c.corp.internal.").await == ResponseCode::NoError
    })
    .await;
    assert_eq!(running.shared.current().generation, 2);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A reload that failed for want of a policy file is tried again when the file appears: the
/// watcher follows the files the failed reload read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_reloads_when_a_missing_policy_file_appears() {
    let dir = tempdir("policy-appears");
    let path = dir.join("t.yaml");
    std::fs::write(&path, SMALL).unwrap();
    let running = start_watching(&path, Duration::from_millis(200)).await;
    std::fs::write(
        &path,
        format!(
            "{}buckets:\n  reports-111122223333:\n    account: \"111122223333\"\n    region: us-east-1\n    policy: policy.json\n",
            small_with_c()
        ),
    )
    .unwrap();
    let shared = running.shared.clone();
    wait_until("the missing policy file is reported", || {
        let shared = shared.clone();
        async move {
            shared
                .last_error()
                .is_some_and(|e| e.diagnostics.iter().any(|d| d.contains("policy.json")))
        }
    })
    .await;
    std::fs::write(
        dir.join("policy.json"),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::reports-111122223333/*"}]}"#,
    )
    .unwrap();
    let shared = running.shared.clone();
    wait_until("the topology with its policy is served", || {
        let shared = shared.clone();
        async move { shared.current().generation == 2 }
    })
    .await;
    assert!(running.shared.last_error().is_none());
    // What is watched: the topology and its policy file, not the folder (which any file saved
    // beside changes).
    let snap = running.shared.current();
    let watched: Vec<&Path> = snap.files.paths().collect();
    assert_eq!(watched, [path.as_path(), &dir.join("policy.json")]);
    running.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

// ---- the web view, /diagram and /events ----

/// One request with `Connection: close`: status, head and body as text.
async fn http_text(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let ct = if body.is_empty() {
        ""
    } else {
        "content-type: application/json\r\n"
    };
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n{ct}content-length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).to_string();
    let (head, body) = text.split_once("\r\n\r\n").expect("a full response");
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_view_its_pictures_and_its_events() {
    let running = start().await;
    let a = running.http;

    // The page and its files, embedded.
    let (s, head, body) = http_text(a, "GET", "/", None).await;
    assert_eq!(s, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(body.contains(r#"<script src="/ui/app.js">"#));
    for (path, ct) in [
        ("/ui/app.js", "text/javascript"),
        ("/ui/app.css", "text/css"),
    ] {
        let (s, head, body) = http_text(a, "GET", path, None).await;
        assert_eq!(s, 200, "{path}");
        assert!(head.contains(ct), "{head}");
        assert!(!body.is_empty());
    }
    let (s, head, _) = http_text(a, "POST", "/", Some(json!({}))).await;
    assert_eq!(s, 405);
    assert!(head.contains("allow: get, head"), "{head}");
    let (s, _, _) = http_text(a, "GET", "/ui/nothing.js", None).await;
    assert_eq!(s, 404);

    // /topology lists every element under the ids hops name, and the connections.
    let (_, _, v) = http(a, "GET", "/topology", None, b"").await;
    let ids: Vec<&str> = v["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    for id in [
        "vpc:shared",
        "subnet:shared/app-a",
        "rtb:shared/endpoints",
        "link:dx-primary",
        "host:datacenter/build-server",
        "vpce:shared/s3-interface",
        "outpost:factory",
    ] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(
        v["connections"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["from"] == "site:datacenter" && c["to"] == "link:dx-primary")
    );
    assert_eq!(
        v["senders"],
        json!(["shared/app-1", "analytics/etl-1", "datacenter/build-server"])
    );

    // The picture: the same bytes as the library's for the same question (one truth).
    let request = format!("GET https://bucket.{REGIONAL}/DOC-EXAMPLE-BUCKET1/report.csv");
    let (s, head, svg) = http_text(
        a,
        "POST",
        "/diagram",
        Some(
            json!({"from": "datacenter/build-server", "request": request, "fail": ["dx-primary"]}),
        ),
    )
    .await;
    assert_eq!(s, 200, "{svg}");
    assert!(head.contains("content-type: image/svg+xml"));
    let snap = running.shared.current();
    let topo = snap.topology();
    let engine = snap.engine();
    let down = vec![(topo.find_failure("dx-primary").unwrap())];
    let net = engine.network(&down);
    let source = topo.find_sender("datacenter/build-server").unwrap();
    let mut t = engine
        .trace(
            &net,
            source,
            "datacenter/build-server",
            &request,
            &vpcsim_engine::Options::default(),
            &mut Rotation::new(),
        )
        .unwrap();
    engine.render(&mut t);
    let expected = vpcsim_diagram::Diagram::new(topo, &net.links)
        .with_trace(topo, &t)
        .render(vpcsim_diagram::Format::Svg);
    assert_eq!(svg, expected);
    assert!(svg.contains(r#"class="node leaf vpn on-path" data-id="link:vpn-backup""#));
    let (s, _, dot) = http_text(a, "GET", "/diagram?format=dot&fail=dx-primary", None).await;
    assert_eq!(s, 200);
    assert!(dot.starts_with("digraph \"hybrid-s3\""), "{dot}");
    let (s, _, body) = http_text(a, "POST", "/diagram", Some(json!({"format": "png"}))).await;
    assert_eq!(s, 400);
    assert!(body.contains("svg, dot or mermaid"), "{body}");
    let (s, _, body) = http_text(
        a,
        "POST",
        "/diagram",
        Some(json!({"from": "datacenter/build-server"})),
    )
    .await;
    assert_eq!(s, 400);
    assert!(body.contains("go together"), "{body}");
    let (s, _, body) = http_text(a, "GET", "/diagram?fail=dx-primry", None).await;
    assert_eq!(s, 400);
    assert!(body.contains("dx-primary"), "{body}");

    // Events: one at once, one per change; the stream ends when the server stops.
    let mut es = TcpStream::connect(a).await.unwrap();
    es.write_all(b"GET /events HTTP/1.1\r\nhost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut got = String::new();
    let mut buf = [0u8; 4096];
    while !got.contains("event: change") {
        let n = tokio::time::timeout(Duration::from_secs(10), es.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "{got}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    assert!(
        got.to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{got}"
    );
    let first = got.matches("event: change").count();
    running
        .shared
        .replace_bucket_policy("DOC-EXAMPLE-BUCKET1", None)
        .expect("a bucket");
    while got.matches("event: change").count() == first {
        let n = tokio::time::timeout(Duration::from_secs(10), es.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "{got}");
        got.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    tokio::time::timeout(Duration::from_secs(10), running.shutdown())
        .await
        .expect("an open event stream does not hold the server up");
}

/// Athena as a caller (issue 16): `from: aws/athena` with a principal, no VPC keys in the context,
/// aws:CalledVia and aws:ViaAWSService set; a bucket locked to an endpoint refuses it unless its
/// Deny exempts requests made by AWS services.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aws_service_calls_s3_for_a_principal() {
    let running = start_at(&topology_path("athena-endpoint-lock.yaml"), false).await;
    let a = running.http;
    let (s, v) = post(
        a,
        "/trace",
        json!({"from": "aws/athena", "principal": "analyst", "request": "s3://locked-data/sales/2026.csv"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verdict"], "denied", "{v}");
    assert_eq!(v["code"], "policy.explicit-deny", "{v}");
    let context = &v["context"];
    assert_eq!(
        context["aws:CalledVia"],
        json!(["athena.amazonaws.com"]),
        "{v}"
    );
    assert_eq!(context["aws:ViaAWSService"], json!(["true"]), "{v}");
    assert!(context.get("aws:SourceVpce").is_none(), "{v}");
    let (s, v) = post(
        a,
        "/trace",
        json!({"from": "aws/athena", "principal": "analyst", "request": "s3://exempt-data/sales/2026.csv"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["verdict"], "allowed", "{v}");
    // Without a principal the service has no credentials to call with.
    let (s, v) = post(
        a,
        "/trace",
        json!({"from": "aws/athena", "request": "s3://exempt-data/sales/2026.csv"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"], "source.service-needs-principal", "{v}");
}

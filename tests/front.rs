//! The emulation front in-process, with a client written here (TCP, `CONNECT`, rustls): what a
//! client sees for each outcome of a connection, the TLS versions per name, and a request inside
//! the tunnel decided as `Engine::trace` decides it. The real clients (the aws CLI, boto3, curl,
//! openssl) are exercised by `tests/e2e/run.py`, which `.ci/run` runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const VPCE: &str = "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Fixture {
    front: vpcsim_front::Front,
    shared: vpcsim_server::Shared,
    data: PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

async fn start(name: &str) -> Fixture {
    let path = root().join("tests/e2e/emulation.yaml");
    let (topology, files) = vpcsim_server::load(&path).expect("the e2e topology loads");
    let shared = vpcsim_server::Shared::new(&path, topology, files);
    let data = std::env::temp_dir().join(format!("vpcsim-front-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let config = vpcsim_front::Config {
        drop_delay: Duration::from_millis(300),
        data_dir: data.clone(),
        ..vpcsim_front::Config::default()
    };
    let front = vpcsim_front::start(shared.clone(), config)
        .await
        .expect("the front starts");
    Fixture {
        front,
        shared,
        data,
    }
}

/// Sends `CONNECT host:443` as `source`; the status, the head, and the stream.
async fn connect(f: &Fixture, source: &str, host: &str) -> (u16, String, TcpStream) {
    let mut s = TcpStream::connect(f.front.addr).await.expect("connects");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{source}:x"));
    let req = format!(
        "CONNECT {host}:443 HTTP/1.1\r\nHost: {host}:443\r\nProxy-Authorization: Basic {auth}\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.expect("writes");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await.expect("reads") == 0 {
            break;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    // A failure's body follows its head; read it into the head for the checks.
    let length = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; if status == 200 { 0 } else { length }];
    s.read_exact(&mut body).await.expect("the body");
    (status, head + &String::from_utf8_lossy(&body), s)
}

fn tls_client(
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::pem::PemObject::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.expect("a certificate")).expect("a root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// The engine's trace of `request` from the data center's build server, on the front's topology.
fn from_build_server(
    f: &Fixture,
    request: &str,
    opts: &vpcsim_engine::Options,
) -> vpcsim_engine::Trace {
    let snap = f.shared.current();
    let engine = snap.engine();
    let source = snap
        .topology()
        .find_sender("datacenter/build-server")
        .expect("a host");
    let mut t = engine
        .trace(
            &engine.network(&[]),
            source,
            "datacenter/build-server",
            request,
            opts,
            &mut vpcsim_dns::Rotation::new(),
        )
        .expect("a request");
    engine.render(&mut t);
    t
}

fn name(host: &str) -> rustls::pki_types::ServerName<'static> {
    rustls::pki_types::ServerName::try_from(host.to_string()).expect("a name")
}

#[tokio::test]
async fn an_unknown_source_gets_407_with_the_sources() {
    let f = start("407").await;
    let (status, head, _) = connect(&f, "datacenter/nobody", VPCE).await;
    assert_eq!(status, 407, "{head}");
    assert!(head.contains("datacenter/build-server"), "{head}");
    assert!(
        head.contains("no instance or host named 'datacenter/nobody'"),
        "{head}"
    );
}

#[tokio::test]
async fn each_failure_looks_like_the_network() {
    let f = start("fail").await;
    // A name with no answer from the data center: 502 at once, explained.
    let (status, head, _) = connect(
        &f,
        "datacenter/build-server",
        "bucket.vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com",
    )
    .await;
    assert_eq!(status, 502, "{head}");
    assert!(
        head.contains("x-vpcsim-explain: could not resolve"),
        "{head}"
    );
    assert!(head.contains("(dns.failure)"), "{head}");
    // A security group drop: nothing for the drop delay, then 504.
    let t = Instant::now();
    let (status, head, _) = connect(&f, "branch/kiosk", VPCE).await;
    assert_eq!(status, 504, "{head}");
    assert!(
        t.elapsed() >= Duration::from_millis(300),
        "waited the drop delay"
    );
    assert!(head.contains("security group endpoint-sg"), "{head}");
    // The log has both, with their traces.
    let log = f.shared.requests().last(10);
    let outcomes: Vec<&str> = log
        .iter()
        .filter_map(|r| r.get("connection").and_then(|c| c.as_str()))
        .collect();
    assert_eq!(outcomes, ["refused", "dropped"]);
}

#[tokio::test]
async fn tls_versions_follow_the_name() {
    let f = start("tls").await;
    let ca = f.front.ca_pem().to_string();
    let v13: &[&'static rustls::SupportedProtocolVersion] = &[&rustls::version::TLS13];
    let v12: &[&'static rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];
    for (host, versions, ok) in [
        (VPCE, v12, true),
        (VPCE, v13, false),
        ("s3.us-east-1.amazonaws.com", v13, true),
        ("s3.us-east-1.amazonaws.com", v12, true),
    ] {
        let (status, head, stream) = connect(&f, "datacenter/build-server", host).await;
        assert_eq!(status, 200, "{host}: {head}");
        let r = tls_client(&ca, versions).connect(name(host), stream).await;
        assert_eq!(r.is_ok(), ok, "{host} with {versions:?}: {:?}", r.err());
    }
}

#[tokio::test]
async fn a_request_in_the_tunnel_is_decided_as_vpcsim_trace_decides_it() {
    let f = start("decide").await;
    let ca = f.front.ca_pem().to_string();
    let (status, head, stream) = connect(&f, "datacenter/build-server", VPCE).await;
    assert_eq!(status, 200, "{head}");
    let mut tls = tls_client(&ca, &[&rustls::version::TLS12])
        .connect(name(VPCE), stream)
        .await
        .expect("TLS 1.2");
    // Unsigned: anonymous.
    let path = "/DOC-EXAMPLE-BUCKET1/report.csv";
    let req = format!("GET {path} HTTP/1.1\r\nHost: {VPCE}\r\nConnection: close\r\n\r\n");
    tls.write_all(req.as_bytes()).await.expect("writes");
    let mut answer = String::new();
    let _ = tls.read_to_string(&mut answer).await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("<Code>AccessDenied</Code>"), "{answer}");
    assert!(
        answer.contains("x-vpcsim-explain: denied (policy.implicit-deny)"),
        "{answer}"
    );

    // The same request, anonymous, over TLS 1.2, asked of the engine.
    let opts = vpcsim_engine::Options {
        principal: Some(None),
        tls: Some(vpcsim_engine::TlsVersion::Tls12),
        ..Default::default()
    };
    let t = from_build_server(&f, &format!("GET https://{VPCE}{path}"), &opts);
    let logged = f.shared.requests().last(1);
    let decision = &logged[0]["decisions"][0];
    assert_eq!(decision["verdict"], t.verdict.as_str());
    assert_eq!(decision["code"], t.code);
    assert_eq!(
        decision["trace"],
        vpcsim_report::json::trace(f.shared.current().topology(), &t)
    );
}

/// The client's headers reach the engine: an upload to `sse-required` (the "Require SSE" bucket
/// policy) is decided with its `x-amz-server-side-encryption`, and each decision is the engine's
/// for the same request and headers. Unsigned, the caller is anonymous: without the header the
/// bucket policy's Deny decides (explicitly), with it nothing grants (implicitly).
#[tokio::test]
async fn request_headers_are_condition_keys_in_the_tunnel_too() {
    let f = start("headers").await;
    let ca = f.front.ca_pem().to_string();
    let host = "s3.us-east-1.amazonaws.com";
    let path = "/sse-required/a.csv";
    for (i, (extra, code)) in [
        ("", "policy.explicit-deny"),
        (
            "X-Amz-Server-Side-Encryption: AES256\r\nx-amz-acl: private\r\n",
            "policy.implicit-deny",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (status, head, stream) = connect(&f, "datacenter/build-server", host).await;
        assert_eq!(status, 200, "{head}");
        let mut tls = tls_client(&ca, &[&rustls::version::TLS13])
            .connect(name(host), stream)
            .await
            .expect("TLS 1.3");
        let req = format!(
            "PUT {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: 2\r\nConnection: close\r\n\r\nhi"
        );
        tls.write_all(req.as_bytes()).await.expect("writes");
        let mut answer = String::new();
        let _ = tls.read_to_string(&mut answer).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
        assert!(
            answer.contains(&format!("x-vpcsim-explain: denied ({code})")),
            "{answer}"
        );
        let logged = f.shared.requests().last(1);
        let decision = &logged[0]["decisions"][0];
        let headers: Vec<(String, String)> = decision["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|h| vpcsim_topology::request::parse_header(h.as_str().unwrap()).unwrap())
            .collect();
        if i == 1 {
            // Only what the engine reads, names in lowercase.
            assert_eq!(
                headers,
                [
                    (
                        "x-amz-server-side-encryption".to_string(),
                        "AES256".to_string()
                    ),
                    ("x-amz-acl".to_string(), "private".to_string())
                ]
            );
        }
        let snap = f.shared.current();
        let opts = vpcsim_engine::Options {
            principal: Some(None),
            tls: Some(vpcsim_engine::TlsVersion::Tls13),
            headers,
        };
        let t = from_build_server(&f, &format!("PUT https://{host}{path}"), &opts);
        assert_eq!(t.code, code);
        assert_eq!(
            decision["trace"],
            vpcsim_report::json::trace(snap.topology(), &t)
        );
    }
}

//! The emulation front against s3s served directly: requests per second and the latency the front
//! adds, with the same client (hyper over rustls, keep-alive), on `bench/front.yaml`.
//!
//!     cargo run --release -p vpcsim-front --example front_bench [REQUESTS]
//!
//! Both servers run in this process on loopback and serve the same `s3::Service` (the same objects)
//! over TLS 1.2; the front adds the proxy (`CONNECT`, the source), the engine's decision for the
//! connection and for every request, and the request log. The object read is 1 KiB, anonymous
//! (the bucket allows public reads), through the interface endpoint over Direct Connect.
#![allow(clippy::print_stdout, missing_docs)]

/// The allocator of the `vpcsim` binary, which runs the front.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const VPCE: &str = "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com";
const PATH: &str = "/bench-bucket/object";

fn client_tls(ca_pem: &str) -> tokio_rustls::TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::pem::PemObject::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.expect("a certificate")).expect("a root");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// A keep-alive HTTP/1.1 connection to the bucket's name: through the front's `CONNECT`, or
/// straight to the direct server.
async fn open<B>(
    tls: &tokio_rustls::TlsConnector,
    proxy: Option<SocketAddr>,
    direct: SocketAddr,
) -> SendRequest<B>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut tcp = TcpStream::connect(proxy.unwrap_or(direct))
        .await
        .expect("connects");
    tcp.set_nodelay(true).expect("nodelay");
    if proxy.is_some() {
        // `datacenter/client:x`
        let req = format!(
            "CONNECT {VPCE}:443 HTTP/1.1\r\nHost: {VPCE}:443\r\nProxy-Authorization: Basic ZGF0YWNlbnRlci9jbGllbnQ6eA==\r\n\r\n"
        );
        tcp.write_all(req.as_bytes()).await.expect("writes");
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            assert_eq!(
                tcp.read(&mut b).await.expect("reads"),
                1,
                "the proxy closed"
            );
            head.push(b[0]);
        }
        assert!(
            head.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&head)
        );
    }
    let name = rustls::pki_types::ServerName::try_from(VPCE).expect("a name");
    let stream = tls.connect(name, tcp).await.expect("TLS");
    let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .expect("HTTP/1.1");
    tokio::spawn(conn);
    send
}

async fn get(send: &mut SendRequest<Empty<Bytes>>) -> usize {
    let req = hyper::Request::get(PATH)
        .header(hyper::header::HOST, VPCE)
        .body(Empty::new())
        .expect("a request");
    send.ready().await.expect("ready");
    let resp = send.send_request(req).await.expect("a response");
    assert_eq!(resp.status(), 200, "{resp:?}");
    resp.into_body()
        .collect()
        .await
        .expect("a body")
        .to_bytes()
        .len()
}

/// The direct server: s3s over the same service, TLS with the front's certificate for the name.
async fn direct_server(
    shared: vpcsim_server::Shared,
    data: &Path,
    tls: Arc<rustls::ServerConfig>,
) -> SocketAddr {
    let objects = vpcsim_front::s3::Objects::persistent(1 << 30, data.join("objects/bench-front"))
        .expect("objects");
    let service = vpcsim_front::s3::Service {
        shared,
        objects: Arc::new(objects),
        started: SystemTime::now(),
    };
    let mut b = s3s::service::S3ServiceBuilder::new(service);
    b.set_validation(vpcsim_front::decide::Names);
    let s3 = b.build();
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let addr = listener.local_addr().expect("an address");
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (acceptor, s3) = (acceptor.clone(), s3.clone());
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), s3)
                        .await;
                }
            });
        }
    });
    addr
}

struct Figures {
    per_sec: f64,
    p50: Duration,
    mean: Duration,
}

async fn sequential(
    tls: &tokio_rustls::TlsConnector,
    proxy: Option<SocketAddr>,
    direct: SocketAddr,
    n: usize,
) -> Figures {
    let mut send = open(tls, proxy, direct).await;
    for _ in 0..100 {
        get(&mut send).await;
    }
    let mut lat = Vec::with_capacity(n);
    let t0 = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        get(&mut send).await;
        lat.push(t.elapsed());
    }
    let total = t0.elapsed();
    lat.sort();
    Figures {
        per_sec: n as f64 / total.as_secs_f64(),
        p50: lat[n / 2],
        mean: total / n as u32,
    }
}

async fn concurrent(
    tls: &tokio_rustls::TlsConnector,
    proxy: Option<SocketAddr>,
    direct: SocketAddr,
    connections: usize,
    n: usize,
) -> f64 {
    let mut sends = Vec::new();
    for _ in 0..connections {
        sends.push(open(tls, proxy, direct).await);
    }
    let t0 = Instant::now();
    let tasks: Vec<_> = sends
        .into_iter()
        .map(|mut s| {
            tokio::spawn(async move {
                for _ in 0..n / connections {
                    get(&mut s).await;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("a task");
    }
    n as f64 / t0.elapsed().as_secs_f64()
}

async fn setup(
    tls: &tokio_rustls::TlsConnector,
    proxy: Option<SocketAddr>,
    direct: SocketAddr,
    n: usize,
) -> Duration {
    let t0 = Instant::now();
    for _ in 0..n {
        let mut s = open(tls, proxy, direct).await;
        get(&mut s).await;
    }
    t0.elapsed() / n as u32
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(5000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let path = root.join("bench/front.yaml");
        let (topology, files) = vpcsim_server::load(&path).expect("bench/front.yaml loads");
        let shared = vpcsim_server::Shared::new(&path, topology, files);
        let data = std::env::temp_dir().join(format!("vpcsim-front-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let ca = Arc::new(vpcsim_front::ca::Ca::open(&data).expect("a CA"));
        let configs = vpcsim_front::tls::Configs::new(ca.clone());
        let direct = direct_server(shared.clone(), &data, configs.for_name(VPCE).expect("TLS")).await;
        let tls = client_tls(ca.cert_pem());
        // The object, stored through the direct server (no authentication there).
        let mut put: SendRequest<Full<Bytes>> = open(&tls, None, direct).await;
        let req = hyper::Request::put(PATH)
            .header(hyper::header::HOST, VPCE)
            .body(Full::new(Bytes::from(vec![b'x'; 1024])))
            .expect("a request");
        put.ready().await.expect("ready");
        let resp = put.send_request(req).await.expect("stored");
        assert_eq!(resp.status(), 200);
        // The front loads the objects from the same folder.
        let front = vpcsim_front::start(
            shared.clone(),
            vpcsim_front::Config {
                data_dir: data.clone(),
                persist: true,
                ..vpcsim_front::Config::default()
            },
        )
        .await
        .expect("the front starts");
        let proxy = Some(front.addr);

        println!("GET of 1 KiB over TLS 1.2, keep-alive, {n} requests (after 100 to warm up)");
        let d = sequential(&tls, None, direct, n).await;
        let f = sequential(&tls, proxy, direct, n).await;
        println!(
            "one connection      s3s direct {:>8.0} req/s (mean {:>6.1} µs, median {:>6.1} µs)",
            d.per_sec,
            d.mean.as_secs_f64() * 1e6,
            d.p50.as_secs_f64() * 1e6
        );
        println!(
            "                    front      {:>8.0} req/s (mean {:>6.1} µs, median {:>6.1} µs)",
            f.per_sec,
            f.mean.as_secs_f64() * 1e6,
            f.p50.as_secs_f64() * 1e6
        );
        println!(
            "                    added by the front: {:.1} µs a request (median)",
            (f.p50.as_secs_f64() - d.p50.as_secs_f64()) * 1e6
        );
        let c = 8;
        let dc = concurrent(&tls, None, direct, c, n * 2).await;
        let fc = concurrent(&tls, proxy, direct, c, n * 2).await;
        println!("{c} connections       s3s direct {dc:>8.0} req/s");
        println!("                    front      {fc:>8.0} req/s ({:.2}× direct)", fc / dc);
        let m = 200;
        let ds = setup(&tls, None, direct, m).await;
        let fs = setup(&tls, proxy, direct, m).await;
        println!(
            "new connection + 1 GET, {m} times: s3s direct {:.0} µs, front {:.0} µs (CONNECT, the connection's trace, TLS)",
            ds.as_secs_f64() * 1e6,
            fs.as_secs_f64() * 1e6
        );
        front.shutdown().await;
        let _ = std::fs::remove_dir_all(&data);
    });
}

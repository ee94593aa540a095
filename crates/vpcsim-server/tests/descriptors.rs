//! The accept loops when the process is out of descriptors (issue 14, item 6). Before the fix,
//! the DNS-over-TCP loop retried a failed accept at once, for ever (the connection still waits in
//! the kernel's queue), spinning on a core and logging each time; the HTTP loop logged every
//! 50 ms. Now each pauses, longer while it keeps failing, logs once, and accepts again when
//! descriptors are back.
//!
//! A test binary of its own: it lowers the whole process's open-files limit.

#![cfg(target_os = "linux")]

use std::io::Write;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use vpcsim_server::Config;

/// The log, kept in memory.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Log {
    type Writer = Log;
    fn make_writer(&'a self) -> Log {
        self.clone()
    }
}

/// Opens files until every descriptor number up to the highest open one is taken, and returns
/// them with the first free number: with the limit at that number, nothing more can be opened.
fn fill_descriptors() -> (Vec<std::fs::File>, u64) {
    let highest = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap();
    let mut files = Vec::new();
    loop {
        let f = std::fs::File::open("/dev/null").unwrap();
        let fd = f.as_raw_fd() as u64;
        files.push(f);
        if fd >= highest {
            return (files, fd + 1);
        }
    }
}

async fn connect(socket: TcpSocket, addr: SocketAddr) -> TcpStream {
    tokio::time::timeout(Duration::from_secs(10), socket.connect(addr))
        .await
        .expect("connected (the kernel completes the handshake)")
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accept_loops_pause_and_log_once_when_out_of_descriptors() {
    let log = Log::default();
    tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_env_filter("debug")
        .init();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../topologies/hybrid-s3.yaml");
    let config = Config {
        dns_base_port: 0,
        http: SocketAddr::from(([127, 0, 0, 1], 0)),
        views: vec!["public".into()],
        ..Config::default()
    };
    let (topology, files) = vpcsim_server::load(&path).expect("valid topology");
    let running = vpcsim_server::start(&path, topology, files, &config)
        .await
        .expect("server starts");
    let dns = running.listeners[0].addr;
    let http = running.http;
    // Client sockets made now: connecting them later takes no descriptor.
    let sockets: Vec<(TcpSocket, SocketAddr)> = (0..6)
        .map(|i| {
            (
                TcpSocket::new_v4().unwrap(),
                if i % 2 == 0 { dns } else { http },
            )
        })
        .collect();

    let saved = getrlimit(Resource::Nofile);
    let (fillers, free) = fill_descriptors();
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(free),
            maximum: saved.maximum,
        },
    )
    .unwrap();
    assert!(
        std::fs::File::open("/dev/null").is_err(),
        "out of descriptors"
    );
    let mut conns = Vec::new();
    for (socket, addr) in sockets {
        conns.push((connect(socket, addr).await, addr));
    }
    // Both listeners fail to accept for a while.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    setrlimit(Resource::Nofile, saved).unwrap();
    drop(fillers);

    // Descriptors are back: the waiting connections are accepted and answered.
    for (mut conn, addr) in conns.into_iter().take(2) {
        let answer = tokio::time::timeout(Duration::from_secs(10), async {
            if addr == dns {
                let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
                q.extend_from_slice(b"\x02s3\x09us-east-1\x09amazonaws\x03com\x00\x00\x01\x00\x01");
                let mut framed = (q.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&q);
                conn.write_all(&framed).await.unwrap();
            } else {
                conn.write_all(
                    b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n",
                )
                .await
                .unwrap();
            }
            let mut buf = vec![0u8; 4096];
            let n = conn.read(&mut buf).await.unwrap();
            buf.truncate(n);
            buf
        })
        .await
        .expect("answered once descriptors are back");
        if addr == dns {
            assert_eq!(&answer[2..4], &[0x12, 0x34], "a DNS answer: {answer:02x?}");
            assert_eq!(answer[5] & 0x0f, 0, "NOERROR: {answer:02x?}");
        } else {
            let text = String::from_utf8_lossy(&answer);
            assert!(text.starts_with("HTTP/1.1 200"), "{text}");
        }
    }
    running.shutdown().await;

    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).to_string();
    let failures: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("Too many open files"))
        .collect();
    // One line per listener (DNS over TCP, HTTP) for the whole episode.
    assert!(
        !failures.is_empty() && failures.len() <= 2,
        "{} lines about failed accepts:\n{}",
        failures.len(),
        failures[..failures.len().min(20)].join("\n")
    );
}

//! The generator against a UDP responder started in the test that misbehaves on purpose, by a
//! fixed rule on the order of the queries it receives: it drops some, garbles the question of
//! some, answers some without the QR bit, sends a stray datagram (an ID not asked) before some
//! answers and answers some with NXDOMAIN.
//! The generator's counts must match what the responder did, exactly.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use vpcsim_dnsload::{Config, Question, Report, parse_queries, run};

/// What the responder did.
#[derive(Debug, Default)]
struct Done {
    received: u64,
    dropped: u64,
    garbled: u64,
    not_responses: u64,
    strays: u64,
    nxdomain: u64,
    normal: u64,
}

fn responder() -> (SocketAddr, Arc<AtomicBool>, JoinHandle<Done>) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .unwrap();
    let addr = socket.local_addr().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stopping = stop.clone();
    let handle = std::thread::spawn(move || {
        let mut done = Done::default();
        let mut buf = [0u8; 512];
        while !stopping.load(Ordering::Relaxed) {
            let Ok((len, from)) = socket.recv_from(&mut buf) else {
                continue;
            };
            let k = done.received;
            done.received += 1;
            let mut answer = buf[..len].to_vec();
            answer[2] |= 0x80; // QR
            match k % 10 {
                3 => {
                    done.dropped += 1;
                    continue;
                }
                5 => {
                    // The question's class byte, so the question no longer matches.
                    answer[len - 1] ^= 0x40;
                    done.garbled += 1;
                }
                6 => {
                    answer[2] &= !0x80;
                    done.not_responses += 1;
                }
                7 => {
                    // First a stray copy under an ID that is not outstanding (the generator hands
                    // IDs out in order from a queue of all 65,536, and only a few are in flight),
                    // then the real answer. The stray one is ahead on the same socket, so it is
                    // read, and counted, before the query is settled.
                    let mut stray = answer.clone();
                    stray[0] ^= 0x80;
                    socket.send_to(&stray, from).unwrap();
                    done.strays += 1;
                }
                9 => {
                    answer[3] = (answer[3] & 0xf0) | 3;
                    done.nxdomain += 1;
                }
                _ => done.normal += 1,
            }
            socket.send_to(&answer, from).unwrap();
        }
        done
    });
    (addr, stop, handle)
}

fn queries() -> Vec<Question> {
    parse_queries("a.example A\nb.example AAAA\nc.example TXT\nd.example.\n").unwrap()
}

fn config(server: SocketAddr) -> Config {
    Config {
        server,
        duration: Duration::from_millis(400),
        threads: 2,
        sockets: 2,
        // Few in flight, so the kernel never drops a datagram for lack of buffer space: every
        // loss is the responder's.
        outstanding: 4,
        timeout: Duration::from_millis(200),
        limit: None,
        spin: false,
    }
}

fn finish(stop: Arc<AtomicBool>, handle: JoinHandle<Done>) -> Done {
    stop.store(true, Ordering::Relaxed);
    handle.join().unwrap()
}

#[test]
fn every_answer_and_loss_is_counted_as_what_it_was() {
    let (addr, stop, handle) = responder();
    let report: Report = run(&config(addr), &queries()).unwrap();
    let done = finish(stop, handle);
    assert!(
        done.received >= 100,
        "too few queries to mean anything: {done:?}"
    );
    assert_eq!(report.sent, done.received, "{report:?} {done:?}");
    assert_eq!(report.lost, done.dropped, "{report:?} {done:?}");
    assert_eq!(
        report.bad,
        done.garbled + done.not_responses,
        "{report:?} {done:?}"
    );
    assert_eq!(report.unexpected, done.strays, "{report:?} {done:?}");
    assert_eq!(
        report.completed,
        done.normal + done.strays + done.nxdomain,
        "{report:?} {done:?}"
    );
    assert_eq!(report.rcodes[3], done.nxdomain);
    assert_eq!(report.rcodes[0], done.normal + done.strays);
    assert_eq!(
        report.sent,
        report.completed + report.lost + report.bad,
        "every query settled once"
    );
    assert!(report.elapsed > Duration::ZERO && report.qps() > 0.0);
}

#[test]
fn a_limit_sends_exactly_that_many() {
    let (addr, stop, handle) = responder();
    let mut config = config(addr);
    config.duration = Duration::from_secs(30);
    config.limit = Some(1001);
    // Busy-polling changes how the sockets are read, not what is counted.
    config.spin = true;
    let report = run(&config, &queries()).unwrap();
    let done = finish(stop, handle);
    assert_eq!(report.sent, 1001);
    assert_eq!(done.received, 1001);
    assert_eq!(report.lost, done.dropped);
    assert_eq!(report.sent, report.completed + report.lost + report.bad);
}

#[test]
fn a_server_that_is_not_there_loses_everything() {
    // A port just released: nothing listens there.
    let addr = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut config = config(addr);
    config.duration = Duration::from_secs(30);
    config.timeout = Duration::from_millis(50);
    config.limit = Some(50);
    let report = run(&config, &queries()).unwrap();
    assert_eq!(report.sent, 50);
    assert_eq!(report.lost, 50);
    assert_eq!(report.completed, 0);
}

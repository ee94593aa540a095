//! A UDP DNS load generator for `bench/dns.sh`: it sends the queries of a dnsperf-style query
//! file (`NAME TYPE` per line) to one server as fast as the server answers, keeping a fixed number
//! of queries outstanding on each of a few connected UDP sockets, and counts what comes back.
//!
//! Why not only dnsperf: on this two-core machine one dnsperf thread tops out at about
//! 310–320k queries per second, below what `vpcsim serve` answers, so the benchmark measured
//! dnsperf (docs/performance.md, docs/decisions.md). Over loopback most of any generator's cost
//! is the kernel's (sending a datagram runs the receiver's receive path), so this one is only
//! somewhat cheaper per query; what it changes is how the load arrives and what the server pays
//! for it. Each thread sends a batch with one `sendmmsg` and reads a batch with one `recvmmsg` per
//! socket, so queries wait for the server in batches, as under load from many clients; with
//! `spin` it busy-polls instead of sleeping, so a server's answers never have to wake it (on a
//! network they would not). A query is two prebuilt pieces (a 12-byte header with its ID and the
//! question from the file, encoded once), and nothing is logged or timed per query beyond one
//! timestamp per batch.
//!
//! What it checks, the same for every server: every datagram received is matched to the query
//! outstanding on that socket with that ID. An answer counts as *completed* only if it is a
//! response (QR set, opcode QUERY) with exactly one question, byte for byte the question sent;
//! a matched datagram that is not is *bad* (and its query is not retried); a datagram whose ID
//! is not outstanding on its socket (a duplicate, or an answer after its query timed out) is
//! *unexpected*. A query unanswered after the timeout is *lost*. Answers are counted by RCODE.
//! The rate is the completed answers over the time from the first query to the last answer. The
//! run ends when every query is settled; datagrams arriving after that are not read.
//!
//! IDs are taken from a queue of all 65,536 per socket and returned at the back when their query
//! is settled, so an ID comes back only after every other free one was used: a late answer cannot
//! be taken for the answer to a newer query unless 65,536 queries went out on that socket within
//! the timeout of the late one.

use std::collections::VecDeque;
use std::io::{self, IoSlice, IoSliceMut};
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsFd, AsRawFd};
use std::str::FromStr;
use std::time::{Duration, Instant};

use hickory_proto::rr::RecordType;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{MsgFlags, MultiHeaders, recvmmsg};
use rustix::net::{MMsgHdr, SendAncillaryBuffer, SendFlags, sendmmsg};
use socket2::{Domain, Socket, Type};

/// Datagrams sent or read with one system call at most.
const BATCH: usize = 64;

/// The largest answer read (a longer one is cut, and then its question still matches).
const MAX_ANSWER: usize = 4096;

/// How often outstanding queries are checked for the timeout.
const SCAN: Duration = Duration::from_millis(10);

/// What to send, where, and how hard.
#[derive(Clone, Debug)]
pub struct Config {
    /// The server.
    pub server: SocketAddr,
    /// How long to send queries (answers still arriving after that are waited for, up to
    /// `timeout`).
    pub duration: Duration,
    /// Threads, each with its own sockets.
    pub threads: usize,
    /// UDP sockets per thread (each its own source port).
    pub sockets: usize,
    /// Queries outstanding per socket.
    pub outstanding: usize,
    /// When an unanswered query counts as lost.
    pub timeout: Duration,
    /// Stop sending after this many queries in all (each thread sends its share); none: until
    /// `duration` is over.
    pub limit: Option<u64>,
    /// Never sleep: read every socket without waiting instead of waiting in `poll` for one to be
    /// readable. For a generator with a core of its own (see `bench/dns.sh`): waking a sleeping
    /// thread on another core costs more than the queries, and would make the generator's own
    /// wake-ups the measure.
    pub spin: bool,
}

/// One query's question section in wire form (name, type, class IN).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question(Vec<u8>);

impl Question {
    /// The question for `name` (absolute or not; `.` is the root) and `rtype`.
    pub fn new(name: &str, rtype: RecordType) -> Result<Question, String> {
        let mut wire = Vec::with_capacity(name.len() + 6);
        let trimmed = name.strip_suffix('.').unwrap_or(name);
        if !trimmed.is_empty() {
            for label in trimmed.split('.') {
                if label.is_empty() || label.len() > 63 {
                    return Err(format!("{name}: bad label length"));
                }
                wire.push(label.len() as u8);
                wire.extend_from_slice(label.as_bytes());
            }
        }
        wire.push(0);
        if wire.len() > 255 {
            return Err(format!("{name}: name longer than 255 bytes"));
        }
        wire.extend_from_slice(&u16::from(rtype).to_be_bytes());
        wire.extend_from_slice(&1u16.to_be_bytes());
        Ok(Question(wire))
    }

    /// The bytes of the question section.
    pub fn wire(&self) -> &[u8] {
        &self.0
    }
}

/// Reads a dnsperf query file: `NAME TYPE` per line (the type defaults to A); blank lines and
/// lines starting with `;` or `#` are skipped.
pub fn parse_queries(text: &str) -> Result<Vec<Question>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let Some(name) = words.next() else { continue };
        if name.starts_with(';') || name.starts_with('#') {
            continue;
        }
        let rtype = match words.next() {
            Some(t) => RecordType::from_str(&t.to_ascii_uppercase())
                .map_err(|e| format!("line {}: type {t}: {e}", n + 1))?,
            None => RecordType::A,
        };
        out.push(Question::new(name, rtype).map_err(|e| format!("line {}: {e}", n + 1))?);
    }
    if out.is_empty() {
        return Err("no queries".into());
    }
    Ok(out)
}

/// What came back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Queries sent.
    pub sent: u64,
    /// Valid answers (see the crate's documentation).
    pub completed: u64,
    /// Queries not answered within the timeout.
    pub lost: u64,
    /// Answers matched to a query by socket and ID that were not a response to its question.
    pub bad: u64,
    /// Datagrams whose ID was not outstanding on their socket.
    pub unexpected: u64,
    /// Completed answers by RCODE (the header's four bits).
    pub rcodes: [u64; 16],
    /// Completed answers with the TC bit.
    pub truncated: u64,
    /// From the first query sent to the last answer received (or the end of the run).
    pub elapsed: Duration,
}

impl Report {
    /// Completed answers per second.
    pub fn qps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.completed as f64 / secs
        } else {
            0.0
        }
    }

    fn add(&mut self, other: &Report) {
        self.sent += other.sent;
        self.completed += other.completed;
        self.lost += other.lost;
        self.bad += other.bad;
        self.unexpected += other.unexpected;
        self.truncated += other.truncated;
        for (a, b) in self.rcodes.iter_mut().zip(other.rcodes) {
            *a += b;
        }
        self.elapsed = self.elapsed.max(other.elapsed);
    }
}

/// Runs the load and returns the counts of all threads together.
pub fn run(config: &Config, queries: &[Question]) -> io::Result<Report> {
    if queries.is_empty() || config.threads == 0 || config.sockets == 0 || config.outstanding == 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "queries, threads, sockets and outstanding must not be zero",
        ));
    }
    if config.outstanding > 60_000 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "at most 60,000 queries outstanding per socket",
        ));
    }
    let start = Instant::now();
    let results: Vec<io::Result<Report>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..config.threads)
            .map(|t| {
                let limit = config.limit.map(|l| {
                    l / config.threads as u64 + u64::from((t as u64) < l % config.threads as u64)
                });
                let first = t * queries.len() / config.threads;
                scope.spawn(move || Worker::new(config, start, limit)?.run(queries, first))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(io::Error::other("a thread panicked")))
            })
            .collect()
    });
    let mut total = Report::default();
    for r in results {
        total.add(&r?);
    }
    Ok(total)
}

/// A query in flight: which one, and when it went (nanoseconds since the start).
#[derive(Clone, Copy, Default)]
struct Slot {
    /// This socket's send counter at the time (0: the ID is free).
    seq: u64,
    query: u32,
    sent: u64,
}

/// One connected socket and its queries in flight.
struct Flight {
    socket: UdpSocket,
    slots: Vec<Slot>,
    free: VecDeque<u16>,
    /// (ID, seq) in the order sent; entries whose query was settled are dropped when reached.
    order: VecDeque<(u16, u64)>,
    seq: u64,
    outstanding: usize,
}

impl Flight {
    fn new(server: SocketAddr) -> io::Result<Flight> {
        let socket = Socket::new(Domain::for_address(server), Type::DGRAM, None)?;
        // As the servers have: a burst of answers must not overflow the receive buffer.
        socket.set_recv_buffer_size(4 << 20)?;
        socket.set_send_buffer_size(4 << 20)?;
        let any: SocketAddr = if server.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        socket.bind(&any.into())?;
        socket.connect(&server.into())?;
        socket.set_nonblocking(true)?;
        let mut free: VecDeque<u16> = (0..=u16::MAX).collect();
        // Start each socket's IDs somewhere else, so that two runs do not reuse the same pairs.
        free.rotate_left(usize::from(
            socket.local_addr()?.as_socket().map_or(0, |a| a.port()),
        ));
        Ok(Flight {
            socket: socket.into(),
            slots: vec![Slot::default(); 1 << 16],
            free,
            order: VecDeque::new(),
            seq: 0,
            outstanding: 0,
        })
    }

    /// Settles the query with this ID (it was outstanding).
    fn settle(&mut self, id: u16) {
        self.slots[usize::from(id)].seq = 0;
        self.free.push_back(id);
        self.outstanding -= 1;
    }

    /// Counts the queries sent before `before` (nanoseconds since the start) still unanswered
    /// as lost.
    fn expire(&mut self, before: u64, report: &mut Report) {
        while let Some(&(id, seq)) = self.order.front() {
            let slot = self.slots[usize::from(id)];
            if slot.seq == seq {
                if slot.sent >= before {
                    break;
                }
                report.lost += 1;
                self.settle(id);
            }
            self.order.pop_front();
        }
    }
}

/// One thread's sockets and buffers.
struct Worker<'a> {
    config: &'a Config,
    start: Instant,
    /// The queries this thread may still send (`u64::MAX`: no limit).
    left: u64,
    flights: Vec<Flight>,
    headers: Vec<[u8; 12]>,
    answers: Vec<u8>,
    report: Report,
}

impl<'a> Worker<'a> {
    fn new(config: &'a Config, start: Instant, limit: Option<u64>) -> io::Result<Worker<'a>> {
        let flights = (0..config.sockets)
            .map(|_| Flight::new(config.server))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(Worker {
            config,
            start,
            left: limit.unwrap_or(u64::MAX),
            flights,
            headers: vec![[0; 12]; BATCH],
            answers: vec![0; BATCH * MAX_ANSWER],
            report: Report::default(),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn run(mut self, queries: &[Question], first: usize) -> io::Result<Report> {
        let duration = nanos(self.config.duration);
        let timeout = nanos(self.config.timeout);
        let mut next = first % queries.len();
        let mut last_scan = 0;
        let mut last_answer = 0;
        let mut stopped_at = None;
        loop {
            let now = self.now();
            let sending = now < duration && self.left > 0;
            if sending {
                for f in 0..self.flights.len() {
                    self.fill(f, queries, &mut next, now)?;
                }
            } else {
                let stopped = *stopped_at.get_or_insert(now);
                let outstanding: usize = self.flights.iter().map(|f| f.outstanding).sum();
                if outstanding == 0 {
                    break;
                }
                if now > stopped.saturating_add(timeout) {
                    for f in &mut self.flights {
                        f.expire(u64::MAX, &mut self.report);
                    }
                    break;
                }
            }
            let ready: Vec<bool> = if self.config.spin {
                vec![true; self.flights.len()]
            } else {
                let mut fds: Vec<PollFd<'_>> = self
                    .flights
                    .iter()
                    .map(|f| PollFd::new(f.socket.as_fd(), PollFlags::POLLIN))
                    .collect();
                match poll(&mut fds, PollTimeout::from(10u16)) {
                    Ok(_) => {}
                    Err(nix::errno::Errno::EINTR) => {}
                    Err(e) => return Err(e.into()),
                }
                fds.iter()
                    .map(|p| p.revents().is_some_and(|r| !r.is_empty()))
                    .collect()
            };
            for (f, ready) in ready.into_iter().enumerate() {
                if ready && self.receive(f, queries)? > 0 {
                    last_answer = self.now();
                }
            }
            let now = self.now();
            if now.saturating_sub(last_scan) >= nanos(SCAN) {
                last_scan = now;
                let before = now.saturating_sub(timeout);
                for f in &mut self.flights {
                    f.expire(before, &mut self.report);
                }
            }
        }
        let end = if self.report.completed > 0 {
            last_answer
        } else {
            self.now()
        };
        self.report.elapsed = Duration::from_nanos(end);
        Ok(self.report)
    }

    /// Sends queries on socket `f` until it has `outstanding` in flight (or the limit is reached).
    fn fill(
        &mut self,
        f: usize,
        queries: &[Question],
        next: &mut usize,
        now: u64,
    ) -> io::Result<()> {
        loop {
            let flight = &mut self.flights[f];
            let room = (self.config.outstanding - flight.outstanding)
                .min(BATCH)
                .min(usize::try_from(self.left).unwrap_or(usize::MAX));
            if room == 0 {
                return Ok(());
            }
            let mut picked: [(u16, u32); BATCH] = [(0, 0); BATCH];
            for (i, pick) in picked.iter_mut().enumerate().take(room) {
                let id = flight
                    .free
                    .pop_front()
                    .expect("fewer than 65,536 outstanding");
                let query = *next as u32;
                *next = (*next + 1) % queries.len();
                let header = &mut self.headers[i];
                header[0..2].copy_from_slice(&id.to_be_bytes());
                // RD set, as dnsperf sends its queries; one question, no other sections.
                header[2..12].copy_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
                *pick = (id, query);
            }
            let iovs: Vec<[IoSlice<'_>; 2]> = picked[..room]
                .iter()
                .enumerate()
                .map(|(i, &(_, q))| {
                    [
                        IoSlice::new(&self.headers[i]),
                        IoSlice::new(queries[q as usize].wire()),
                    ]
                })
                .collect();
            let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> =
                (0..room).map(|_| SendAncillaryBuffer::default()).collect();
            let mut messages: Vec<MMsgHdr<'_>> = iovs
                .iter()
                .zip(controls.iter_mut())
                .map(|(iov, control)| MMsgHdr::new(iov, control))
                .collect();
            let sent = match sendmmsg(&flight.socket, &mut messages, SendFlags::DONTWAIT) {
                Ok(n) => n,
                // A full send buffer; or the ICMP error of an earlier query (no server there),
                // reported once: that query is lost when its time is up.
                Err(rustix::io::Errno::AGAIN | rustix::io::Errno::CONNREFUSED) => 0,
                Err(e) => return Err(e.into()),
            };
            drop(messages);
            drop(iovs);
            // What was not sent goes back to the front of the queue, in order.
            for &(id, _) in picked[sent..room].iter().rev() {
                flight.free.push_front(id);
            }
            for &(id, query) in &picked[..sent] {
                flight.seq += 1;
                flight.slots[usize::from(id)] = Slot {
                    seq: flight.seq,
                    query,
                    sent: now,
                };
                flight.order.push_back((id, flight.seq));
            }
            flight.outstanding += sent;
            self.report.sent += sent as u64;
            self.left -= sent as u64;
            if sent < room {
                // The send buffer is full: read answers first.
                let unsent = (room - sent) as u32;
                *next = (*next + queries.len() - unsent as usize % queries.len()) % queries.len();
                return Ok(());
            }
        }
    }

    /// Reads what is waiting on socket `f` (one batch) and matches it; how many datagrams.
    fn receive(&mut self, f: usize, queries: &[Question]) -> io::Result<usize> {
        let flight = &mut self.flights[f];
        let mut headers = MultiHeaders::<()>::preallocate(BATCH, None);
        // An array (no drop glue), so the buffers are free again once the lengths are read.
        let mut slices: [[IoSliceMut<'_>; 1]; BATCH] = {
            let mut chunks = self.answers.chunks_exact_mut(MAX_ANSWER);
            std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())])
        };
        let lengths: Vec<usize> = match recvmmsg(
            flight.socket.as_raw_fd(),
            &mut headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        ) {
            Ok(results) => results.map(|r| r.bytes.min(MAX_ANSWER)).collect(),
            Err(nix::errno::Errno::EAGAIN) => return Ok(0),
            // ICMP port unreachable on a connected socket: the server is not (yet) there. The
            // queries are lost when their time is up.
            Err(nix::errno::Errno::ECONNREFUSED) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        for (i, &len) in lengths.iter().enumerate() {
            let answer = &self.answers[i * MAX_ANSWER..i * MAX_ANSWER + len];
            if len < 12 {
                self.report.unexpected += 1;
                continue;
            }
            let id = u16::from_be_bytes([answer[0], answer[1]]);
            let slot = flight.slots[usize::from(id)];
            if slot.seq == 0 {
                self.report.unexpected += 1;
                continue;
            }
            let question = queries[slot.query as usize].wire();
            let qr = answer[2] & 0x80 != 0;
            let opcode = (answer[2] >> 3) & 0x0f;
            let qdcount = u16::from_be_bytes([answer[4], answer[5]]);
            if qr && opcode == 0 && qdcount == 1 && answer[12..].starts_with(question) {
                self.report.completed += 1;
                self.report.rcodes[usize::from(answer[3] & 0x0f)] += 1;
                if answer[2] & 0x02 != 0 {
                    self.report.truncated += 1;
                }
            } else {
                self.report.bad += 1;
            }
            flight.settle(id);
        }
        Ok(lengths.len())
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_are_encoded_as_hickory_encodes_them() {
        use hickory_proto::op::{Message, Query};
        use hickory_proto::rr::Name;
        for (name, rtype) in [
            ("example.com", RecordType::A),
            (
                "vpce-0abc.s3.us-east-1.vpce.amazonaws.com.",
                RecordType::AAAA,
            ),
            (".", RecordType::NS),
            ("x.y", RecordType::TXT),
        ] {
            let mine = Question::new(name, rtype).unwrap();
            let mut message = Message::query();
            message.add_query(Query::query(Name::from_ascii(name).unwrap(), rtype));
            let wire = message.to_vec().unwrap();
            assert_eq!(&wire[12..], mine.wire(), "{name} {rtype}");
        }
    }

    #[test]
    fn query_files_are_read_as_dnsperf_reads_them() {
        let qs = parse_queries("; comment\n\nexample.com A\nexample.com aaaa\nbare\n").unwrap();
        assert_eq!(qs.len(), 3);
        assert_eq!(qs[2], Question::new("bare", RecordType::A).unwrap());
        assert_eq!(
            qs[1],
            Question::new("example.com", RecordType::AAAA).unwrap()
        );
        assert!(parse_queries("example.com NOTATYPE\n").is_err());
        assert!(parse_queries("; nothing\n").is_err());
        assert!(Question::new("a..b", RecordType::A).is_err());
    }
}

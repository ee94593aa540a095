//! The UDP side of a DNS listener: a loop per socket that reads the datagrams waiting in batches,
//! answers each with the view's [`ViewHandler`] and sends the batch's answers from the same task.
//!
//! hickory-server's UDP loop spawns a Tokio task per datagram and hands every answer back to the
//! reading task through a channel; at tens of thousands of queries per second that costs more CPU
//! than answering (see docs/performance.md). This loop keeps hickory-server's request decoding,
//! its response building and encoding and its rules for what gets an answer (see
//! [`crate::dns::respond`], which the [`tcp`](crate::tcp) loop shares); a test requires the same
//! bytes as hickory-server's UDP loop.
//!
//! On Linux a batch is read with one `recvmmsg` and its answers are sent with one `sendmmsg`, as
//! NSD and Knot DNS do: most of a query's cost is the system calls (docs/performance.md). Elsewhere
//! the loop reads and sends one datagram at a time.

use std::net::SocketAddr;

use hickory_server::net::xfer::Protocol;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tracing::warn;

use crate::dns::{AnswerCache, SENDING, ViewHandler};
use crate::logs::Throttle;

/// Errors receiving a datagram.
static RECEIVING: Throttle = Throttle::new();

/// The largest query read, as hickory-server reads them (the rest of a longer datagram is cut).
const MAX_DATAGRAM: usize = 4096;

/// Datagrams read (and answered) with one system call at most.
const BATCH: usize = 32;

/// Empty reads in a row before the task waits for the socket to be readable.
const SPIN: usize = 4;

/// Batches answered in a row before the loop lets the runtime's other tasks run.
const BATCHES: usize = 4;

/// Answers the datagrams arriving on `socket` until `stopped` turns true.
pub async fn serve(socket: UdpSocket, handler: ViewHandler, mut stopped: watch::Receiver<bool>) {
    // Allocated at the first datagram: most listeners of a large topology never get one.
    let mut batch: Option<Box<Batch>> = None;
    let mut cache = AnswerCache::new();
    loop {
        tokio::select! {
            ready = socket.readable() => {
                if let Err(error) = ready {
                    warn!(view = handler.label(), %error, "UDP socket failed");
                    return;
                }
            }
            _ = stopped.changed() => return,
        }
        let batch = batch.get_or_insert_with(|| Box::new(Batch::new()));
        // Everything waiting, in batches; then wait for more.
        let mut rounds = 0;
        let mut idle = 0;
        loop {
            match batch.receive(&socket) {
                Ok(0) => break,
                Ok(n) => {
                    idle = 0;
                    batch.answer(n, &handler, &mut cache);
                    batch.send(&socket).await;
                    rounds += 1;
                    if rounds % BATCHES == 0 {
                        if *stopped.borrow() {
                            return;
                        }
                        tokio::task::yield_now().await;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    // Under load the next datagram is usually on its way: look again a few times,
                    // letting other tasks run in between, before the task sleeps (putting the
                    // thread to sleep and waking it costs more than a few empty reads).
                    idle += 1;
                    if idle > SPIN {
                        break;
                    }
                    tokio::task::yield_now().await;
                }
                Err(error) => {
                    RECEIVING.warn(format_args!(
                        "view {}: error receiving a UDP datagram: {error}",
                        handler.label()
                    ));
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::NotConnected | std::io::ErrorKind::ConnectionAborted
                    ) {
                        return;
                    }
                    // An error that would repeat (out of memory) must not spin the loop.
                    tokio::time::sleep(crate::accept::MIN_PAUSE).await;
                    break;
                }
            }
        }
    }
}

/// The buffers of one batch: the datagrams read and the answers to send.
struct Batch {
    /// `BATCH` query buffers of `MAX_DATAGRAM` bytes, one after the other.
    queries: Vec<u8>,
    /// The length and source of each datagram read.
    received: Vec<(usize, SocketAddr)>,
    /// The answers, and where each goes; `answers[..ready]` are to be sent.
    answers: Vec<Vec<u8>>,
    to: Vec<SocketAddr>,
    ready: usize,
}

impl Batch {
    fn new() -> Self {
        Batch {
            queries: vec![0; BATCH * MAX_DATAGRAM],
            received: Vec::with_capacity(BATCH),
            answers: (0..BATCH).map(|_| Vec::with_capacity(512)).collect(),
            to: Vec::with_capacity(BATCH),
            ready: 0,
        }
    }

    /// Reads the datagrams waiting, up to `BATCH`; how many (`WouldBlock` when none).
    fn receive(&mut self, socket: &UdpSocket) -> std::io::Result<usize> {
        self.received.clear();
        socket.try_io(tokio::io::Interest::READABLE, || self.read(socket))?;
        Ok(self.received.len())
    }

    #[cfg(target_os = "linux")]
    fn read(&mut self, socket: &UdpSocket) -> std::io::Result<()> {
        use std::io::IoSliceMut;
        use std::os::fd::AsRawFd;

        use nix::sys::socket::{MsgFlags, MultiHeaders, SockaddrStorage, recvmmsg};
        // Made for each call (two small allocations): they hold pointers, so the task could not
        // keep them across an await, and the kernel rewrites their address lengths.
        let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(BATCH, None);
        let mut slices: [[IoSliceMut<'_>; 1]; BATCH] = {
            let mut chunks = self.queries.chunks_exact_mut(MAX_DATAGRAM);
            std::array::from_fn(|_| [IoSliceMut::new(chunks.next().unwrap_or_default())])
        };
        let results = recvmmsg(
            socket.as_raw_fd(),
            &mut headers,
            slices.iter_mut(),
            MsgFlags::MSG_DONTWAIT,
            None,
        )
        .map_err(std::io::Error::from)?;
        for r in results {
            let from = r.address.as_ref().and_then(|a| {
                a.as_sockaddr_in()
                    .map(|v4| SocketAddr::V4((*v4).into()))
                    .or_else(|| a.as_sockaddr_in6().map(|v6| SocketAddr::V6((*v6).into())))
            });
            // A datagram whose source is not an IP address (not possible on a UDP socket) is
            // kept with port 0, which gets no answer.
            let from = from.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
            self.received.push((r.bytes.min(MAX_DATAGRAM), from));
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn read(&mut self, socket: &UdpSocket) -> std::io::Result<()> {
        let (len, from) = socket.try_recv_from(&mut self.queries[..MAX_DATAGRAM])?;
        self.received.push((len, from));
        Ok(())
    }

    /// Answers the first `n` datagrams read.
    fn answer(&mut self, n: usize, handler: &ViewHandler, cache: &mut AnswerCache) {
        self.ready = 0;
        self.to.clear();
        for (i, &(len, from)) in self.received.iter().take(n).enumerate() {
            let query = &self.queries[i * MAX_DATAGRAM..i * MAX_DATAGRAM + len];
            if respond(handler, query, from, &mut self.answers[self.ready], cache) {
                self.to.push(from);
                self.ready += 1;
            }
        }
    }

    /// Sends the answers ready, waiting while the socket's send buffer is full; an answer that
    /// cannot be sent is logged and dropped.
    async fn send(&mut self, socket: &UdpSocket) {
        let mut sent = 0;
        while sent < self.ready {
            let result = socket.try_io(tokio::io::Interest::WRITABLE, || self.write(socket, sent));
            match result {
                Ok(k) => sent += k.max(1),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if let Err(error) = socket.writable().await {
                        SENDING.warn(format_args!(
                            "could not send {} DNS responses, dropping them: {error}",
                            self.ready - sent
                        ));
                        return;
                    }
                }
                Err(error) => {
                    SENDING.warn(format_args!(
                        "could not send a DNS response to {}, dropping it: {error}",
                        self.to[sent]
                    ));
                    sent += 1;
                }
            }
        }
    }

    /// Sends answers from `first` on; how many were sent.
    #[cfg(target_os = "linux")]
    fn write(&mut self, socket: &UdpSocket, first: usize) -> std::io::Result<usize> {
        use std::io::IoSlice;

        use rustix::net::{MMsgHdr, SendAncillaryBuffer, SendFlags, SocketAddrAny, sendmmsg};
        let end = self.ready.min(first + BATCH);
        let addrs: [SocketAddrAny; BATCH] = std::array::from_fn(|i| {
            SocketAddrAny::from(self.to.get(first + i).copied().unwrap_or(self.to[first]))
        });
        let slices: [[IoSlice<'_>; 1]; BATCH] = std::array::from_fn(|i| {
            [IoSlice::new(
                self.answers.get(first + i).map_or(&[][..], |a| &a[..]),
            )]
        });
        let mut controls: [SendAncillaryBuffer<'_, '_, '_>; BATCH] =
            std::array::from_fn(|_| SendAncillaryBuffer::default());
        let mut messages: Vec<MMsgHdr<'_>> = addrs
            .iter()
            .zip(&slices)
            .zip(controls.iter_mut())
            .take(end - first)
            .map(|((addr, iov), control)| MMsgHdr::new_with_addr(addr, iov, control))
            .collect();
        Ok(sendmmsg(socket, &mut messages, SendFlags::DONTWAIT)?)
    }

    #[cfg(not(target_os = "linux"))]
    fn write(&mut self, socket: &UdpSocket, first: usize) -> std::io::Result<usize> {
        socket.try_send_to(&self.answers[first], self.to[first])?;
        Ok(1)
    }
}

/// Writes the answer to `datagram` into `out`; false when it gets none. `cache` keeps the answers
/// of this socket (see [`AnswerCache`]).
pub fn respond(
    handler: &ViewHandler,
    datagram: &[u8],
    src: SocketAddr,
    out: &mut Vec<u8>,
    cache: &mut AnswerCache,
) -> bool {
    crate::dns::respond(handler, datagram, src, Protocol::Udp, out, Some(cache))
}

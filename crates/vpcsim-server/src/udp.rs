//! The UDP side of a DNS listener: a loop per socket that reads each datagram, answers it with
//! the view's [`ViewHandler`] and sends the answer from the same task.
//!
//! hickory-server's UDP loop spawns a Tokio task per datagram and hands every answer back to the
//! reading task through a channel; at tens of thousands of queries per second that costs more CPU
//! than answering (see docs/performance.md). This loop keeps hickory-server's request decoding,
//! its response building and encoding and its rules for what gets an answer (see
//! [`crate::dns::respond`], which the [`tcp`](crate::tcp) loop shares); a test requires the same
//! bytes as hickory-server's UDP loop.

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

/// Datagrams answered in a row before the loop lets the runtime's other tasks run.
const BATCH: usize = 64;

/// Answers the datagrams arriving on `socket` until `stopped` turns true.
pub async fn serve(socket: UdpSocket, handler: ViewHandler, mut stopped: watch::Receiver<bool>) {
    // Allocated at the first datagram: most listeners of a large topology never get one.
    let mut buf = Vec::new();
    let mut out = Vec::new();
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
        if buf.is_empty() {
            buf = vec![0u8; MAX_DATAGRAM];
            out.reserve(4096);
        }
        // Everything waiting, in batches; then wait for more.
        let mut answered = 0;
        loop {
            match socket.try_recv_from(&mut buf) {
                Ok((len, src)) => {
                    if respond(&handler, &buf[..len], src, &mut out, &mut cache) {
                        send(&socket, &out, src).await;
                    }
                    answered += 1;
                    if answered % BATCH == 0 {
                        if *stopped.borrow() {
                            return;
                        }
                        tokio::task::yield_now().await;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
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

async fn send(socket: &UdpSocket, bytes: &[u8], to: SocketAddr) {
    let sent = match socket.try_send_to(bytes, to) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => socket.send_to(bytes, to).await,
        other => other,
    };
    if let Err(error) = sent {
        SENDING.warn(format_args!(
            "could not send a DNS response to {to}, dropping it: {error}"
        ));
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

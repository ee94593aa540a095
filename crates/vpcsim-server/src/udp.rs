//! The UDP side of a DNS listener: a loop per socket that reads each datagram, answers it with
//! the view's [`ViewHandler`] and sends the answer from the same task.
//!
//! hickory-server's UDP loop spawns a Tokio task per datagram and hands every answer back to the
//! reading task through a channel; at tens of thousands of queries per second that costs more CPU
//! than answering (see docs/performance.md). This loop keeps hickory-server's request decoding
//! ([`Request::from_bytes`]), its response building and encoding ([`MessageResponseBuilder`],
//! [`MessageResponse::destructive_emit`]) and its rules for what gets an answer: a datagram shorter
//! than a header or from port 0 is dropped, one whose header decodes but the rest does not gets
//! FORMERR, a response is ignored, an answer that cannot be encoded becomes SERVFAIL. TCP stays
//! with hickory-server.

use std::net::{IpAddr, SocketAddr};

use hickory_proto::op::{Header, MessageType, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncodable, BinEncoder};
use hickory_server::net::xfer::Protocol;
use hickory_server::server::Request;
use hickory_server::zone_handler::{MessageResponse, MessageResponseBuilder, Queries};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tracing::{debug, error, warn};

use crate::dns::{AnswerCache, ViewHandler};

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
                    warn!(view = handler.label(), %error, "error receiving a UDP datagram");
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::NotConnected | std::io::ErrorKind::ConnectionAborted
                    ) {
                        return;
                    }
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
        warn!(%to, %error, "could not send a DNS response, dropping it");
    }
}

/// True when an answer may be sent to `src` (not port 0, not an unspecified or broadcast address).
fn answerable(src: SocketAddr) -> bool {
    src.port() != 0
        && match src.ip() {
            IpAddr::V4(ip) => !ip.is_unspecified() && !ip.is_broadcast(),
            IpAddr::V6(ip) => !ip.is_unspecified(),
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
    if !answerable(src) {
        debug!(%src, "datagram from an address that cannot be answered");
        return false;
    }
    let Ok(header) = Header::read(&mut BinDecoder::new(datagram)) else {
        // Shorter than a header: not DNS.
        return false;
    };
    let request = match Request::from_bytes(datagram.to_vec(), src, Protocol::Udp) {
        Ok(request) => request,
        Err(error) => {
            debug!(view = handler.label(), %src, %error, "undecodable query: FORMERR");
            let Ok(none) = Queries::read(&mut BinDecoder::new(&[]), 0) else {
                return false;
            };
            let message = MessageResponseBuilder::new(&none, None)
                .error_msg(&header.metadata, ResponseCode::FormErr);
            encode(message, 512, out);
            return true;
        }
    };
    if request.metadata.message_type == MessageType::Response {
        return false;
    }
    let outcome = handler.answer_with(&request, Some(cache));
    let max = outcome.edns.as_ref().map_or(512, |e| e.max_payload());
    let message = MessageResponseBuilder::new(&request.queries, outcome.edns.as_ref()).build(
        outcome.metadata,
        outcome.answers.iter(),
        [],
        outcome.authority.iter(),
        [],
    );
    encode(message, max, out);
    true
}

/// Encodes `message` into `out` within `max` bytes; SERVFAIL if it cannot be encoded.
fn encode<'a, A, N, S, D>(message: MessageResponse<'_, 'a, A, N, S, D>, max: u16, out: &mut Vec<u8>)
where
    A: Iterator<Item = &'a Record> + Send + 'a,
    N: Iterator<Item = &'a Record> + Send + 'a,
    S: Iterator<Item = &'a Record> + Send + 'a,
    D: Iterator<Item = &'a Record> + Send + 'a,
{
    let id = message.metadata().id;
    out.clear();
    let mut encoder = BinEncoder::new(out);
    encoder.set_max_size(max);
    if let Err(err) = message.destructive_emit(&mut encoder) {
        error!(error = %err, "error encoding a DNS response: SERVFAIL");
        out.clear();
        let mut metadata = Metadata::new(id, MessageType::Response, OpCode::Query);
        metadata.response_code = ResponseCode::ServFail;
        let header = Header {
            metadata,
            counts: Default::default(),
        };
        let mut encoder = BinEncoder::new(out);
        let _ = header.emit(&mut encoder);
    }
}

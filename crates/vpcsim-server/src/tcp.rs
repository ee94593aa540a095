//! The TCP side of a DNS listener (RFC 1035 4.2.2, RFC 7766): each message is preceded by its
//! length in two bytes. A task per connection reads a message, answers it with the view's
//! [`ViewHandler`] through the same code as the [`udp`](crate::udp) loop (with TCP's size limit,
//! so never truncated), and reads the next: queries may be pipelined, and are answered in order.
//!
//! What a client can hold is bounded:
//!
//! - **memory**: the message buffer grows as bytes arrive, by at most [`CHUNK`] bytes beyond
//!   what was received, so a length prefix of 65,535 followed by nothing costs nothing;
//! - **time**: a connection is closed when no complete message arrives within the idle timeout
//!   of its opening or of the previous answer, or when an answer cannot be written within it;
//! - **connections**: each listener accepts a limited number at once, within a budget shared by
//!   every listener (see [`Gate`](crate::accept::Gate)); over it, new connections are closed.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use hickory_server::net::xfer::Protocol;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::{debug, trace};

use crate::accept::{Accepted, Acceptor, Gate, Pass};
use crate::dns::ViewHandler;

/// The most the message buffer grows by before more bytes arrive.
pub const CHUNK: usize = 4096;

/// Serves DNS over TCP on `listener` for `handler`'s view until `stopped` turns true, then lets
/// each connection finish the answer it is writing.
pub async fn serve(
    listener: TcpListener,
    handler: ViewHandler,
    gate: Gate,
    idle: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut acceptor = Acceptor::new(
        listener,
        gate,
        format!("DNS over TCP (view {})", handler.label()),
    );
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = acceptor.next() => a,
            _ = stopped.wait_for(|s| *s) => break,
        };
        match accepted {
            Accepted::Open(stream, peer, pass) => {
                trace!(view = handler.label(), %peer, "TCP connection");
                conns.spawn(connection(
                    stream,
                    peer,
                    handler.clone(),
                    idle,
                    stopped.clone(),
                    pass,
                ));
            }
            // Closed at once: the client sees the connection end and may try again.
            Accepted::Over(_, peer) => {
                debug!(view = handler.label(), %peer, "over the connection limit, closed");
            }
        }
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}

/// Answers the messages of one connection until the client closes it, it stays idle for `idle`,
/// or the server stops.
async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    handler: ViewHandler,
    idle: Duration,
    mut stopped: watch::Receiver<bool>,
    _pass: Pass,
) {
    let _ = stream.set_nodelay(true);
    let mut message = Vec::new();
    let mut out = Vec::new();
    let mut frame = Vec::new();
    loop {
        let read = tokio::select! {
            r = tokio::time::timeout(idle, read_message(&mut stream, &mut message)) => r,
            _ = stopped.wait_for(|s| *s) => return,
        };
        match read {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                if error.kind() != io::ErrorKind::UnexpectedEof || !message.is_empty() {
                    trace!(view = handler.label(), %peer, %error, "TCP connection ended");
                }
                return;
            }
            Err(_) => {
                trace!(view = handler.label(), %peer, "TCP connection idle, closed");
                return;
            }
        }
        if crate::dns::respond(&handler, &message, peer, Protocol::Tcp, &mut out, None) {
            let Ok(len) = u16::try_from(out.len()) else {
                // The encoder keeps answers within 65,535 bytes; this cannot happen.
                return;
            };
            frame.clear();
            frame.extend_from_slice(&len.to_be_bytes());
            frame.extend_from_slice(&out);
            match tokio::time::timeout(idle, stream.write_all(&frame)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    trace!(view = handler.label(), %peer, %error, "TCP connection ended");
                    return;
                }
                Err(_) => {
                    debug!(view = handler.label(), %peer, "TCP client not reading its answers, closed");
                    return;
                }
            }
        }
        // A large message or answer does not keep its buffer for the life of the connection.
        for buf in [&mut message, &mut out, &mut frame] {
            buf.clear();
            buf.shrink_to(CHUNK);
        }
    }
}

/// Reads one message: its two-byte length, then exactly that many bytes into `buf`, which grows
/// as they arrive ([`CHUNK`] bytes at a time at most). An end of stream before the message is
/// complete is `UnexpectedEof` (with `buf` empty when it came between messages); a length of 0 is
/// `InvalidData`.
pub async fn read_message<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    buf.clear();
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).await?;
    let len = usize::from(u16::from_be_bytes(len));
    if len == 0 {
        // Not a message: the connection is closed, as hickory-server does.
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "a message of length 0",
        ));
    }
    while buf.len() < len {
        let want = (len - buf.len()).min(CHUNK);
        buf.reserve_exact(want);
        let n = (&mut *stream).take(want as u64).read_buf(buf).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok(())
}

//! Accepting connections, for the HTTP API and the DNS-over-TCP listeners alike: a cap on the
//! connections open at once (each listener's own, and a budget shared by the listeners), and a
//! pause after a failed accept, logged once per burst.
//!
//! Without the pause, a listener whose `accept` fails with "too many open files" is still
//! readable (the connection waits in the kernel's queue), so the loop retried at once, for ever,
//! on a whole core, writing a log line each time.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::{debug, info, warn};

/// The first pause after a failed accept; each failure in a row doubles it, up to [`MAX_PAUSE`].
pub const MIN_PAUSE: Duration = Duration::from_millis(10);

/// The longest pause after failed accepts in a row.
pub const MAX_PAUSE: Duration = Duration::from_millis(500);

/// How many connections a listener keeps open at once: its own limit, and a budget it shares with
/// other listeners (the server's descriptors). Clones share the counts.
#[derive(Clone, Debug)]
pub struct Gate {
    own: Arc<Semaphore>,
    limit: usize,
    shared: Option<Arc<Semaphore>>,
}

/// The places one connection takes; dropping it frees them.
#[derive(Debug)]
pub struct Pass {
    _own: OwnedSemaphorePermit,
    _shared: Option<OwnedSemaphorePermit>,
}

impl Gate {
    /// At most `limit` connections at once (at least one), and one place of `shared` each.
    pub fn new(limit: usize, shared: Option<Arc<Semaphore>>) -> Self {
        let limit = limit.max(1);
        Gate {
            own: Arc::new(Semaphore::new(limit)),
            limit,
            shared,
        }
    }

    /// The listener's own limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A place for one more connection, if the limit and the shared budget have one.
    pub fn try_enter(&self) -> Option<Pass> {
        let own = self.own.clone().try_acquire_owned().ok()?;
        let shared = match &self.shared {
            Some(s) => Some(s.clone().try_acquire_owned().ok()?),
            None => None,
        };
        Some(Pass {
            _own: own,
            _shared: shared,
        })
    }
}

/// What [`Acceptor::next`] gives.
#[derive(Debug)]
pub enum Accepted {
    /// A connection to serve, holding its place until the pass is dropped.
    Open(TcpStream, SocketAddr, Pass),
    /// A connection over the limit: the caller says so if it can, and closes it.
    Over(TcpStream, SocketAddr),
}

/// A listener with its [`Gate`], and the state of the bursts of failures and refusals being logged.
#[derive(Debug)]
pub struct Acceptor {
    listener: TcpListener,
    gate: Gate,
    what: String,
    failures: u64,
    pause: Duration,
    refused: u64,
}

/// True for errors about one connection that ended before it was accepted: the next one is fine.
fn one_connection(e: &io::Error) -> bool {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    matches!(e.kind(), ConnectionAborted | ConnectionReset | Interrupted)
}

impl Acceptor {
    /// Accepts from `listener` within `gate`; `what` names it in the log (`the HTTP API`).
    pub fn new(listener: TcpListener, gate: Gate, what: impl Into<String>) -> Self {
        Acceptor {
            listener,
            gate,
            what: what.into(),
            failures: 0,
            pause: MIN_PAUSE,
            refused: 0,
        }
    }

    /// The next connection. A failed accept (out of descriptors, `EMFILE`/`ENFILE`, or memory)
    /// pauses the loop, [`MIN_PAUSE`] doubling up to [`MAX_PAUSE`] while it keeps failing, and is
    /// logged once per burst; a connection that ended before it was accepted is skipped.
    /// Cancel-safe: dropping the future loses no connection that was accepted.
    pub async fn next(&mut self) -> Accepted {
        loop {
            match self.listener.accept().await {
                Ok((stream, peer)) => {
                    if self.failures > 0 {
                        info!(
                            failed = self.failures,
                            "{}: accepting connections again", self.what
                        );
                        self.failures = 0;
                        self.pause = MIN_PAUSE;
                    }
                    return match self.gate.try_enter() {
                        Some(pass) => {
                            if self.refused > 0 {
                                info!(
                                    refused = self.refused,
                                    "{}: below its connection limit again", self.what
                                );
                                self.refused = 0;
                            }
                            Accepted::Open(stream, peer, pass)
                        }
                        None => {
                            if self.refused == 0 {
                                warn!(
                                    limit = self.gate.limit(),
                                    "{}: connection limit reached; closing new connections \
                                     until one ends (logged once until then)",
                                    self.what
                                );
                            }
                            self.refused += 1;
                            Accepted::Over(stream, peer)
                        }
                    };
                }
                Err(error) if one_connection(&error) => {
                    debug!(%error, "{}: a connection ended before it was accepted", self.what);
                }
                Err(error) => {
                    if self.failures == 0 {
                        warn!(
                            %error,
                            "{}: cannot accept connections; retrying after a pause of up to \
                             {} ms (logged once until it works again)",
                            self.what,
                            MAX_PAUSE.as_millis()
                        );
                    }
                    self.failures += 1;
                    tokio::time::sleep(self.pause).await;
                    self.pause = (self.pause * 2).min(MAX_PAUSE);
                }
            }
        }
    }
}

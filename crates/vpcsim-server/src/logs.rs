//! Warnings that a query can cause, written at most once per interval: a flood of such queries
//! must not become a flood of log lines. The occurrences left out are counted in the next line
//! (and each is logged at `debug`).

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tracing::{debug, warn};

/// How often one throttled warning is written at most.
pub const EVERY: Duration = Duration::from_secs(10);

/// One warning, throttled.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Milliseconds since [`start`] before which the warning is not written again.
    next: AtomicU64,
    /// Occurrences not written since the last line.
    skipped: AtomicU64,
}

fn start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

impl Throttle {
    /// A warning not written yet.
    pub(crate) const fn new() -> Self {
        Throttle {
            next: AtomicU64::new(0),
            skipped: AtomicU64::new(0),
        }
    }

    /// Writes `message` at `warn` unless it was written less than [`EVERY`] ago.
    pub(crate) fn warn(&self, message: fmt::Arguments<'_>) {
        let now = u64::try_from(start().elapsed().as_millis()).unwrap_or(u64::MAX);
        let next = self.next.load(Ordering::Relaxed);
        let every = u64::try_from(EVERY.as_millis()).unwrap_or(u64::MAX);
        if now >= next
            && self
                .next
                .compare_exchange(
                    next,
                    now.saturating_add(every),
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                )
                .is_ok()
        {
            let skipped = self.skipped.swap(0, Ordering::Relaxed);
            if skipped > 0 {
                warn!("{message} ({skipped} more since the last such line, logged at debug level)");
            } else {
                warn!("{message}");
            }
        } else {
            self.skipped.fetch_add(1, Ordering::Relaxed);
            debug!("{message}");
        }
    }
}

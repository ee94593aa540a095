//! `--watch`: polls the files the topology was read from and reloads once they have settled.
//!
//! A file is compared by its [`Stamp`] (length, modification and status-change times, inode),
//! taken just before it was read, so that an edit made while the server was starting, or during
//! a reload, is seen. A change is reloaded only once the files have kept the same stamps for the
//! settle period: a topology rewritten in place in several writes is not read half-written. A
//! reload that fails (unreadable, invalid, empty) keeps the last valid topology, and the files it
//! read are watched from then on (a policy file it missed is reloaded once it appears); one whose
//! files changed while they were read is dropped and tried again when they have settled.

use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::{debug, info, warn};

use crate::state::{Reload, Shared, Stamp};

/// Polls every `every`; reloads when the files changed and then kept their stamps for `settle`.
pub(crate) async fn watch(
    shared: Shared,
    every: Duration,
    settle: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut watched = shared.current().files.clone();
    // The stamps of a change and when they were first seen.
    let mut pending: Option<(Vec<Option<Stamp>>, Instant)> = None;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopped.changed() => return,
        }
        let now = watched.now();
        if watched.same_as(&now) {
            pending = None;
            continue;
        }
        match &pending {
            Some((seen, since)) if *seen == now => {
                if since.elapsed() < settle {
                    continue;
                }
            }
            _ => {
                debug!(
                    settle_ms = settle.as_millis(),
                    topology = %shared.path().display(),
                    "a watched file changed; reloading once it stops changing"
                );
                pending = Some((now, Instant::now()));
                continue;
            }
        }
        pending = None;
        let cell = shared.clone();
        // Files are read without blocking (a FIFO is refused, not waited on); stopping still
        // does not wait for a reload in progress.
        let reload = tokio::task::spawn_blocking(move || cell.reload());
        let result = tokio::select! {
            r = reload => r,
            _ = stopped.changed() => return,
        };
        match result {
            Ok(Reload::Swapped(generation)) => {
                // The new topology may read other policy files: watch those from now on.
                watched = shared.current().files.clone();
                info!(generation, topology = %shared.path().display(), "reloaded");
            }
            Ok(Reload::Kept(e, files)) => {
                watched = files;
                if e.rendered.is_empty() {
                    warn!("{}", e.message);
                } else {
                    warn!("{}\n{}", e.message, e.rendered);
                }
            }
            Ok(Reload::Moved) => {
                debug!(
                    topology = %shared.path().display(),
                    "a file changed while it was read; reloading once it stops changing"
                );
            }
            Err(error) => warn!(%error, "reload task failed"),
        }
    }
}

//! The topology being served, swapped atomically on reload, and the files it was read from with
//! what they were like just before they were read (their [`Stamp`]s), for the watcher.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use vpcsim_dns::{Dns, View};
use vpcsim_engine::{Engine, Network};
use vpcsim_topology::load::{FileError, FileSystem, Limit, Loaded, ReadError};
use vpcsim_topology::{StdFs, Topology};

self_cell::self_cell!(
    /// A topology with the engine built over it (its DNS model and trace indexes), kept together
    /// so that a request does not rebuild them.
    struct Model {
        owner: Topology,
        #[covariant]
        dependent: Engine,
    }
    impl {Debug}
);

/// One loaded topology with its engine (DNS model, indexes) and its routes without failures.
/// Immutable: a reload builds a new one.
#[derive(Debug)]
pub struct Snapshot {
    model: Model,
    /// The compiled routes with every link up (a request that fails links compiles its own).
    base: Network,
    /// 1 for the topology read at start, +1 for each successful reload.
    pub generation: u64,
    /// The files it was read from (the topology, then its policy files), for `--watch`.
    pub files: Files,
    /// Every view by the name `--from` takes, so that a DNS query finds its view without scanning
    /// the VPCs.
    views: HashMap<String, View>,
}

impl Snapshot {
    /// Derives the engine (DNS model, indexes) and the routes of `topology`.
    pub fn new(topology: Topology, generation: u64, files: Files) -> Self {
        let model = Model::new(topology, |t| Engine::new(t));
        let engine = model.borrow_dependent();
        let base = engine.network(&[]);
        let views = crate::view_names(engine.topo, &engine.dns)
            .into_iter()
            .map(|v| (v.name, v.view))
            .collect();
        Snapshot {
            model,
            base,
            generation,
            files,
            views,
        }
    }

    /// The validated topology.
    pub fn topology(&self) -> &Topology {
        self.model.borrow_owner()
    }

    /// Its DNS model.
    pub fn dns(&self) -> &Dns<'_> {
        &self.model.borrow_dependent().dns
    }

    /// The engine over the topology.
    pub fn engine(&self) -> &Engine<'_> {
        self.model.borrow_dependent()
    }

    /// The compiled routes with every link up.
    pub fn base_network(&self) -> &Network {
        &self.base
    }

    /// The view named `name` (`public`, `VPC`, `VPC/inbound`, `SITE`), if this topology has it.
    pub fn view(&self, name: &str) -> Option<View> {
        self.views.get(name).copied()
    }
}

/// Why a reload kept the previous topology.
#[derive(Clone, Debug)]
pub struct ReloadError {
    /// One line: what went wrong.
    pub message: String,
    /// Each diagnostic on one line (`file:line:col: error[code]: message`).
    pub diagnostics: Vec<String>,
    /// The errors rendered with their snippets, for the log.
    pub rendered: String,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    /// Read without a lock by every request and query ([`arc_swap`]); written under `writing`.
    current: arc_swap::ArcSwap<Snapshot>,
    /// Held by whoever serves a new generation, so that two never take the same number.
    writing: std::sync::Mutex<()>,
    last_error: RwLock<Option<ReloadError>>,
    requests: RequestLog,
    /// Bumped each time what is served changes (a new generation) or a reload fails: what
    /// `GET /events` tells the web view.
    changes: tokio::sync::watch::Sender<u64>,
    /// The generation of `current`, readable without the lock (the DNS listeners check their
    /// answer caches against it on every query).
    generation: std::sync::atomic::AtomicU64,
}

/// The last requests the emulation front served (`GET /requests`), newest last. Each is kept as
/// the front recorded it (its traces as data) and written as JSON only when read, so that serving
/// a request costs no JSON. Bounded: the oldest go first.
pub struct RequestLog {
    entries: std::sync::Mutex<std::collections::VecDeque<LogEntry>>,
    capacity: usize,
}

/// One request of the log: writes its JSON when asked.
pub type LogEntry = Arc<dyn Fn() -> serde_json::Value + Send + Sync>;

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestLog")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl RequestLog {
    /// A log keeping the last `capacity` requests.
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            entries: std::sync::Mutex::new(std::collections::VecDeque::new()),
            capacity,
        }
    }

    /// Adds one request.
    pub fn push(&self, entry: LogEntry) {
        let old = {
            let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            let old = if e.len() >= self.capacity {
                e.pop_front()
            } else {
                None
            };
            e.push_back(entry);
            old
        };
        // Dropped outside the lock.
        drop(old);
    }

    /// The last `n` requests, oldest first, as JSON.
    pub fn last(&self, n: usize) -> Vec<serde_json::Value> {
        let entries: Vec<LogEntry> = {
            let e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            e.iter().skip(e.len().saturating_sub(n)).cloned().collect()
        };
        entries.iter().map(|f| f()).collect()
    }
}

/// The cell every DNS listener and HTTP request reads the topology from. Readers take an
/// `Arc<Snapshot>` and keep it for the whole request, so a reload never changes a topology under a
/// request that is being answered; a failed reload leaves the cell untouched.
#[derive(Clone, Debug)]
pub struct Shared {
    inner: Arc<Inner>,
}

impl Shared {
    /// Serves `topology`, read from `path` (whose files are `files`).
    pub fn new(path: &Path, topology: Topology, files: Files) -> Self {
        Shared {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                current: arc_swap::ArcSwap::from_pointee(Snapshot::new(topology, 1, files)),
                writing: std::sync::Mutex::new(()),
                last_error: RwLock::new(None),
                requests: RequestLog::new(1000),
                changes: tokio::sync::watch::Sender::new(0),
                generation: std::sync::atomic::AtomicU64::new(1),
            }),
        }
    }

    /// A receiver that sees a new value each time a new generation is served or a reload fails.
    pub fn changes(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }

    fn changed(&self) {
        self.inner.changes.send_modify(|n| *n += 1);
    }

    /// The requests the emulation front served.
    pub fn requests(&self) -> &RequestLog {
        &self.inner.requests
    }

    /// The topology file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The snapshot being served.
    pub fn current(&self) -> Arc<Snapshot> {
        self.inner.current.load_full()
    }

    /// The generation being served (that of [`Shared::current`]), without taking the lock.
    pub fn generation(&self) -> u64 {
        self.inner
            .generation
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The error of the last reload, if it failed (cleared by a successful one).
    pub fn last_error(&self) -> Option<ReloadError> {
        self.inner
            .last_error
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads the topology file again. A valid topology replaces the served one; a file that
    /// cannot be read, does not validate or is empty leaves the served topology as it was, and is
    /// kept as [`last_error`](Self::last_error); a file that changed while it was read is not
    /// used (see [`Reload::Moved`]).
    pub fn reload(&self) -> Reload {
        let serving = self.current().generation;
        let still = |message: String| {
            format!("{message}; still serving generation {serving}, the last valid topology")
        };
        let (result, files) = match read(&self.inner.path) {
            Err((e, files)) => (
                Err(ReloadError {
                    message: still(e.to_string()),
                    diagnostics: Vec::new(),
                    rendered: String::new(),
                }),
                files,
            ),
            Ok((loaded, files)) => {
                if files.changed() {
                    return Reload::Moved;
                }
                let blank = loaded
                    .sources
                    .iter()
                    .next()
                    .is_some_and(|(_, f)| blank(&f.text));
                if blank {
                    (
                        Err(ReloadError {
                            message: still(format!(
                                "{} is empty ({}): is it being written?",
                                self.inner.path.display(),
                                match loaded
                                    .sources
                                    .iter()
                                    .next()
                                    .map_or(0, |(_, f)| f.text.len())
                                {
                                    0 => "0 bytes".to_string(),
                                    n => format!("{n} bytes, only comments and blank lines"),
                                }
                            )),
                            diagnostics: Vec::new(),
                            rendered: String::new(),
                        }),
                        files,
                    )
                } else {
                    (
                        valid(&self.inner.path, loaded).map_err(|mut e| {
                            e.message = still(e.message);
                            e
                        }),
                        files,
                    )
                }
            }
        };
        let last = |e: Option<ReloadError>| {
            *self
                .inner
                .last_error
                .write()
                .unwrap_or_else(|e| e.into_inner()) = e;
        };
        match result {
            Ok(topology) => {
                // Cleared first: a page told of the new generation finds no stale error.
                last(None);
                let generation = self.swap(Snapshot::new(topology, 0, files));
                Reload::Swapped(generation)
            }
            Err(e) => {
                last(Some(e.clone()));
                self.changed();
                Reload::Kept(e, files)
            }
        }
    }
}

impl Shared {
    /// Serves the topology with the policy of bucket `bucket` replaced (`None`: removed), as a
    /// client's PutBucketPolicy or DeleteBucketPolicy through the emulation front does: a new
    /// generation, seen by every edge (DNS, the HTTP API, the front). The file is not written: a
    /// reload reads it again. `None` when the topology has no such bucket.
    pub fn replace_bucket_policy(
        &self,
        bucket: &str,
        policy: Option<vpcsim_policy::Policy>,
    ) -> Option<u64> {
        let base = self.current();
        let mut topology = base.topology().clone();
        let b = topology.buckets.iter_mut().find(|b| b.name == bucket)?;
        b.policy = policy;
        // Built before the cell is locked: readers (DNS queries, requests) never wait for it.
        Some(self.swap(Snapshot::new(topology, 0, base.files.clone())))
    }

    /// Serves `next` as the generation after the current one; returns that generation. The
    /// snapshot is built by the caller; readers never wait (they see the old snapshot or the new).
    fn swap(&self, mut next: Snapshot) -> u64 {
        let writing = self.inner.writing.lock().unwrap_or_else(|e| e.into_inner());
        let generation = self.inner.current.load().generation + 1;
        next.generation = generation;
        self.inner.current.store(Arc::new(next));
        // Set after the store: whoever sees this generation then reads this snapshot or a later one.
        self.inner
            .generation
            .store(generation, std::sync::atomic::Ordering::Release);
        drop(writing);
        self.changed();
        generation
    }
}

/// What a [`Shared::reload`] did.
#[derive(Debug)]
pub enum Reload {
    /// The new topology is served, with this generation.
    Swapped(u64),
    /// The files did not give a valid topology: the last valid one is still served. The files
    /// that were read (to watch for the next edit).
    Kept(ReloadError, Files),
    /// A file changed while it was read: nothing was used; try again when it has settled.
    Moved,
}

/// True for a topology text with nothing in it but blanks, comments and document markers: what a
/// file just truncated, or whose first lines only are written, looks like.
fn blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

/// A file as the watcher compares it: length, modification and status-change times, and inode.
/// Taken just before the file is read, so that an edit made during or after the read is seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    changed: (i64, i64),
    #[cfg(unix)]
    inode: (u64, u64),
}

impl Stamp {
    /// The stamp of `path` now; `None` when it cannot be looked at (missing).
    pub fn of(path: &Path) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        use std::os::unix::fs::MetadataExt;
        Some(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            #[cfg(unix)]
            changed: (m.ctime(), m.ctime_nsec()),
            #[cfg(unix)]
            inode: (m.dev(), m.ino()),
        })
    }
}

/// The files a load read (the topology, then its policy files, also those that could not be
/// read), each with its [`Stamp`] from just before it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    read: Vec<(PathBuf, Option<Stamp>)>,
}

impl Files {
    /// The paths.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.read.iter().map(|(p, _)| p.as_path())
    }

    /// The stamps of the files now.
    pub fn now(&self) -> Vec<Option<Stamp>> {
        self.read.iter().map(|(p, _)| Stamp::of(p)).collect()
    }

    /// True when `now` is what the files were like when they were read.
    pub fn same_as(&self, now: &[Option<Stamp>]) -> bool {
        self.read.len() == now.len() && self.read.iter().zip(now).all(|((_, a), b)| a == b)
    }

    /// True when a file changed since it was read.
    pub fn changed(&self) -> bool {
        !self.same_as(&self.now())
    }
}

/// The real file system, noting each file's stamp before reading it.
struct Recorder {
    read: RefCell<Vec<(PathBuf, Option<Stamp>)>>,
}

impl Recorder {
    /// Notes `path` with its stamp now, unless it was noted already.
    fn note(&self, path: &Path) {
        let mut read = self.read.borrow_mut();
        if !read.iter().any(|(p, _)| p == path) {
            read.push((path.to_path_buf(), Stamp::of(path)));
        }
    }
}

impl FileSystem for Recorder {
    fn read(&self, path: &Path, limit: Limit) -> Result<String, FileError> {
        self.note(path);
        StdFs.read(path, limit)
    }

    /// A policy file is looked at here first: one that does not exist yet is watched too (the
    /// topology's folder, also looked at here, is not: any file saved beside would change it).
    fn canonicalize(&self, path: &Path) -> Result<PathBuf, FileError> {
        if !path.is_dir() {
            self.note(path);
        }
        StdFs.canonicalize(path)
    }
}

/// Reads and validates `path` once, with the [`Files`] it read and their stamps from before they
/// were read: what `serve` starts with, and what a reload tries.
pub fn read(path: &Path) -> Result<(Loaded, Files), (ReadError, Files)> {
    let recorder = Recorder {
        read: RefCell::new(Vec::new()),
    };
    let loaded = vpcsim_topology::load(path, &recorder);
    let files = Files {
        read: recorder.read.into_inner(),
    };
    match loaded {
        Ok(l) => Ok((l, files)),
        Err(e) => Err((e, files)),
    }
}

/// Loads and validates `path`: the topology and every file it read.
pub fn load(path: &Path) -> Result<(Topology, Files), ReloadError> {
    let (loaded, files) = read(path).map_err(|(e, _)| ReloadError {
        message: e.to_string(),
        diagnostics: Vec::new(),
        rendered: String::new(),
    })?;
    Ok((valid(path, loaded)?, files))
}

/// The topology of `loaded`, or its errors.
fn valid(path: &Path, loaded: Loaded) -> Result<Topology, ReloadError> {
    match loaded.topology {
        Some(t) => Ok(t),
        None => {
            let errors = loaded
                .diagnostics
                .iter()
                .filter(|d| d.severity == vpcsim_syntax::Severity::Error)
                .count();
            Err(ReloadError {
                message: format!(
                    "{} is invalid ({errors} error{})",
                    path.display(),
                    if errors == 1 { "" } else { "s" }
                ),
                diagnostics: loaded
                    .diagnostics
                    .iter()
                    .map(|d| d.one_line(&loaded.sources))
                    .collect(),
                rendered: loaded
                    .diagnostics
                    .iter()
                    .filter(|d| d.severity == vpcsim_syntax::Severity::Error)
                    .map(|d| d.render(&loaded.sources, false))
                    .collect::<Vec<_>>()
                    .join("\n"),
            })
        }
    }
}

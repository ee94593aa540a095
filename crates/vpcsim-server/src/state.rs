//! The topology being served, swapped atomically on reload.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use vpcsim_dns::{Dns, View};
use vpcsim_engine::{Engine, Network};
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
    pub files: Vec<PathBuf>,
    /// Every view by the name `--from` takes, so that a DNS query finds its view without scanning
    /// the VPCs.
    views: HashMap<String, View>,
}

impl Snapshot {
    /// Derives the engine (DNS model, indexes) and the routes of `topology`.
    pub fn new(topology: Topology, generation: u64, files: Vec<PathBuf>) -> Self {
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
    pub fn dns(&self) -> &Dns {
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
    current: RwLock<Arc<Snapshot>>,
    last_error: RwLock<Option<ReloadError>>,
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
    pub fn new(path: &Path, topology: Topology, files: Vec<PathBuf>) -> Self {
        Shared {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                current: RwLock::new(Arc::new(Snapshot::new(topology, 1, files))),
                last_error: RwLock::new(None),
            }),
        }
    }

    /// The topology file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The snapshot being served.
    pub fn current(&self) -> Arc<Snapshot> {
        self.inner
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The error of the last reload, if it failed (cleared by a successful one).
    pub fn last_error(&self) -> Option<ReloadError> {
        self.inner
            .last_error
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Reads the topology file again. A valid topology replaces the served one and its generation
    /// is returned; an unreadable or invalid file leaves the served topology as it was.
    pub fn reload(&self) -> Result<u64, ReloadError> {
        let result = load(&self.inner.path);
        let mut last = self
            .inner
            .last_error
            .write()
            .unwrap_or_else(|e| e.into_inner());
        match result {
            Ok((topology, files)) => {
                let mut cur = self
                    .inner
                    .current
                    .write()
                    .unwrap_or_else(|e| e.into_inner());
                let generation = cur.generation + 1;
                *cur = Arc::new(Snapshot::new(topology, generation, files));
                *last = None;
                Ok(generation)
            }
            Err(e) => {
                *last = Some(e.clone());
                Err(e)
            }
        }
    }
}

/// Loads and validates `path`: the topology and every file it read.
pub fn load(path: &Path) -> Result<(Topology, Vec<PathBuf>), ReloadError> {
    let loaded = vpcsim_topology::load(path, &StdFs).map_err(|e| ReloadError {
        message: e.to_string(),
        diagnostics: Vec::new(),
        rendered: String::new(),
    })?;
    let files: Vec<PathBuf> = loaded
        .sources
        .iter()
        .map(|(_, f)| PathBuf::from(&f.name))
        .collect();
    match loaded.topology {
        Some(t) => Ok((t, files)),
        None => {
            let errors = loaded
                .diagnostics
                .iter()
                .filter(|d| d.severity == vpcsim_syntax::Severity::Error)
                .count();
            Err(ReloadError {
                message: format!(
                    "{} is invalid ({errors} error{}); still serving the last valid topology",
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

/// The modification times (and lengths) of `files`, to notice an edit.
pub(crate) fn stamps(files: &[PathBuf]) -> Vec<Option<(SystemTime, u64)>> {
    files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

//! Reading a topology from files: the only place the topology crate touches I/O, behind
//! [`FileSystem`] so tests and servers can supply files from memory.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use vpcsim_syntax::{Diagnostic, Diagnostics, SourceMap, yaml};

use crate::format;
use crate::model::Topology;
use crate::validate;

/// Where files come from.
pub trait FileSystem {
    /// Reads a whole file as UTF-8.
    fn read(&self, path: &Path) -> io::Result<String>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdFs;

impl FileSystem for StdFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Files in memory, for tests and for topologies received over the network.
#[derive(Clone, Debug, Default)]
pub struct MemFs(pub HashMap<PathBuf, String>);

impl MemFs {
    /// Adds a file.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.0.insert(path.into(), text.into());
        self
    }
}

impl FileSystem for MemFs {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

/// The outcome of loading one topology file.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read (the topology and its policy files), for rendering diagnostics.
    pub sources: SourceMap,
    /// The model, when there was no error (warnings allowed).
    pub topology: Option<Topology>,
    /// Errors and warnings, sorted by place.
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// True when the topology is valid.
    pub fn is_valid(&self) -> bool {
        self.topology.is_some()
    }
}

/// Why a topology file could not be read at all (not a validation finding).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct ReadError {
    /// The path.
    pub path: PathBuf,
    /// The I/O error.
    #[source]
    pub source: io::Error,
}

/// Loads and validates the topology at `path`.
pub fn load(path: &Path, fs: &dyn FileSystem) -> Result<Loaded, ReadError> {
    let text = fs.read(path).map_err(|source| ReadError {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(load_str(path, text, fs))
}

/// Validates topology text that was read from `path` (policy paths resolve next to it).
pub fn load_str(path: &Path, text: impl Into<String>, fs: &dyn FileSystem) -> Loaded {
    let mut sources = SourceMap::new();
    let id = sources.add(path.display().to_string(), text.into());
    let diags = Diagnostics::new();
    let file = sources.get(id).expect("just added").clone();
    let topology = yaml::parse(id, &file, &diags).and_then(|root| {
        let raw: format::Topology = vpcsim_syntax::from_node(&root, &diags)?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        validate::build(&raw, &root, &base, fs, &mut sources, &diags)
    });
    let topology = if diags.has_errors() { None } else { topology };
    Loaded {
        sources,
        topology,
        diagnostics: diags.into_sorted(),
    }
}

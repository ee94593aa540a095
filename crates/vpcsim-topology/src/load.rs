//! Reading a topology from files: the only place the topology crate touches I/O, behind
//! [`FileSystem`] so tests and servers can supply files from memory.
//!
//! Files are read defensively, since topologies travel between people: only regular files (a FIFO
//! would block, a device never end), at most [`Limit::TOPOLOGY`] or [`Limit::POLICY`] bytes,
//! opened without blocking. Limits and their reasons: docs/reliability.md.

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use vpcsim_syntax::pieces::{self, Parallel};
use vpcsim_syntax::{Diagnostic, Diagnostics, NodeKind, SourceFile, SourceId, SourceMap, yaml};

use crate::format;
use crate::model::Topology;
use crate::validate;

/// The most bytes vpcsim reads from one file of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// The size limit in bytes.
    pub bytes: u64,
    /// What is read, for messages (`topology file`).
    pub kind: &'static str,
}

impl Limit {
    /// A topology file: 256 MiB, above the largest topology `vpcsim gen` writes (131,072 VPCs
    /// with 8 subnets, gateway endpoints and 20 routes per table, 160 MiB) and far above
    /// hand-written ones.
    pub const TOPOLOGY: Limit = Limit {
        bytes: 256 << 20,
        kind: "topology file",
    };
    /// A policy file: 1 MiB, fifty times the largest policy AWS accepts (20 KB for a bucket or
    /// endpoint policy, 10,240 characters for an inline identity policy).
    pub const POLICY: Limit = Limit {
        bytes: 1 << 20,
        kind: "policy file",
    };
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The operating system's error (no such file, permission denied…).
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A directory, FIFO, socket or device: reading it could block forever or never end.
    #[error("it is {0}, not a regular file")]
    NotRegular(&'static str),
    /// Larger than the limit of its kind (`size` when known before reading).
    #[error(
        "{} than the {} limit of a {} ({} bytes)",
        size.map_or_else(|| "it is larger".to_string(), |s| format!("its {s} bytes are more")),
        human(limit.bytes),
        limit.kind,
        limit.bytes
    )]
    TooLarge {
        /// The size the file system reported, if it was over the limit.
        size: Option<u64>,
        /// The limit.
        limit: Limit,
    },
    /// Not UTF-8 text.
    #[error("it is not UTF-8 text")]
    NotUtf8,
}

/// `64 MiB`, `1 MiB`, `512 KiB`, `100 bytes`.
fn human(bytes: u64) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// Where files come from.
pub trait FileSystem {
    /// Reads a whole file as UTF-8: a regular file of at most `limit.bytes` bytes, refused without
    /// blocking otherwise.
    fn read(&self, path: &Path, limit: Limit) -> Result<String, FileError>;

    /// The path with every symbolic link (and `.`, `..`) resolved, to check that a policy file
    /// stays inside the topology's folder. Files without links (in memory) are where they are.
    fn canonicalize(&self, path: &Path) -> Result<PathBuf, FileError> {
        Ok(path.to_path_buf())
    }
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct StdFs;

/// What kind of file `meta` describes, when it is not a regular file.
fn not_regular(meta: &Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
    }
    Some("a special file")
}

/// Refuses what is not a regular file, or is larger than `limit`.
fn check(meta: &Metadata, limit: Limit) -> Result<(), FileError> {
    if let Some(kind) = not_regular(meta) {
        return Err(FileError::NotRegular(kind));
    }
    if meta.len() > limit.bytes {
        return Err(FileError::TooLarge {
            size: Some(meta.len()),
            limit,
        });
    }
    Ok(())
}

/// Opens for reading without waiting: a FIFO put in place after [`check`] looked opens at once
/// (and is refused by the second look) instead of blocking until a writer comes.
fn open(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

impl FileSystem for StdFs {
    fn read(&self, path: &Path, limit: Limit) -> Result<String, FileError> {
        // Look before opening (a FIFO would block the open, /dev/zero never ends)…
        check(&std::fs::metadata(path)?, limit)?;
        let file = open(path)?;
        // …and at what was opened, in case the path changed in between.
        let meta = file.metadata()?;
        check(&meta, limit)?;
        // Never more than the limit, even if the file grows or reports no size (/proc).
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(limit.bytes + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit.bytes {
            return Err(FileError::TooLarge { size: None, limit });
        }
        String::from_utf8(bytes).map_err(|_| FileError::NotUtf8)
    }

    fn canonicalize(&self, path: &Path) -> Result<PathBuf, FileError> {
        // A topology named without a folder (`t.yaml`) has the empty path as its folder.
        let path = if path.as_os_str().is_empty() {
            Path::new(".")
        } else {
            path
        };
        Ok(std::fs::canonicalize(path)?)
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
    fn read(&self, path: &Path, limit: Limit) -> Result<String, FileError> {
        let text = self
            .0
            .get(path)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        if text.len() as u64 > limit.bytes {
            return Err(FileError::TooLarge {
                size: Some(text.len() as u64),
                limit,
            });
        }
        Ok(text.clone())
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

    /// `vpcsim validate`'s rule that a topology must describe something: a valid topology with no
    /// VPC and no on-premises site (an empty file included) has nothing to send a request from or
    /// resolve a name in. It becomes invalid with one `nothing-to-simulate` error at its first
    /// line of content. The loader itself accepts such a file (importers may find nothing to
    /// write; `check` already fails on a file that checks nothing).
    pub fn refuse_nothing_to_simulate(&mut self) {
        let Some(t) = &self.topology else { return };
        if !t.vpcs.is_empty() || !t.sites.is_empty() {
            return;
        }
        let Some((id, file)) = self.sources.iter().next() else {
            return;
        };
        // The first line that is neither blank nor a comment; the start of the file if none.
        let mut offset = 0;
        let mut span = file.span(id, 0, 0);
        for line in file.text.split_inclusive('\n') {
            let body = line.trim_end_matches(['\n', '\r']);
            let trimmed = body.trim_start();
            if !trimmed.is_empty() && !trimmed.starts_with('#') && trimmed != "---" {
                let start = offset + (body.len() - trimmed.len());
                span = file.span(id, start, offset + body.len());
                break;
            }
            offset += line.len();
        }
        let empty = span.is_empty();
        let msg = if empty {
            "the file describes nothing: there is nothing to simulate"
        } else {
            "nothing to simulate: the topology has no VPC and no on-premises site"
        };
        let mut d = Diagnostic::error("nothing-to-simulate", span, msg).with_help(
            "describe a VPC under `vpcs:` (with `regions:` and `accounts:`) or a site under \
             `onprem:`; docs/topology.md, \"A minimal example\", has the smallest valid topology",
        );
        if !empty {
            d = d.with_label("no `vpcs:` and no `onprem:` in this file");
        }
        self.diagnostics.push(d);
        self.topology = None;
    }
}

/// Why a topology file could not be read at all (not a validation finding).
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct ReadError {
    /// The path.
    pub path: PathBuf,
    /// What went wrong.
    #[source]
    pub source: FileError,
}

/// Loads and validates the topology at `path`.
pub fn load(path: &Path, fs: &dyn FileSystem) -> Result<Loaded, ReadError> {
    let text = fs.read(path, Limit::TOPOLOGY).map_err(|source| ReadError {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(load_str(path, text, fs))
}

/// Validates topology text that was read from `path` (policy paths resolve next to it).
pub fn load_str(path: &Path, text: impl Into<String>, fs: &dyn FileSystem) -> Loaded {
    load_str_with(path, text, fs, Parallel::for_this_machine())
}

/// [`load_str`], reading a large file in pieces as `how` says (the result is the same
/// whatever `how` is; tests use it to cut small files).
pub fn load_str_with(
    path: &Path,
    text: impl Into<String>,
    fs: &dyn FileSystem,
    how: Parallel,
) -> Loaded {
    let mut sources = SourceMap::new();
    let id = sources.add(path.display().to_string(), text.into());
    let diags = Diagnostics::new();
    let file = sources.get(id).expect("just added").clone();
    // Read straight from the parser's events (no tree of the whole document is built), a large
    // file in pieces on every core.
    let topology = pieces::from_str::<format::Topology>(id, &file, &diags, how).and_then(|raw| {
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        validate::build(raw, &base, fs, &mut sources, &diags)
    });
    let topology = if diags.has_errors() { None } else { topology };
    let diagnostics = diags.into_sorted();
    // The model keeps the warnings' codes, for `diagnostics:` expectations.
    let topology = topology.map(|mut t| {
        t.warnings = diagnostics
            .iter()
            .filter(|d| d.severity == vpcsim_syntax::Severity::Warning)
            .map(|d| (d.code, d.span))
            .collect();
        t
    });
    Loaded {
        sources,
        topology,
        diagnostics,
    }
}

/// How many characters of a file that is not a policy document an error may quote.
pub const EXCERPT_CHARS: usize = 16;

/// Why `text`, read from a policy file, is not a policy document; `None` when it is one: a JSON
/// object, or YAML whose top level is a mapping with a `Statement`, `Version` or `Id` key. Such a
/// document is diagnosed in full, with its lines quoted. Anything else may be a file never meant as
/// a policy (a key, a password file), so the reason quotes at most its first [`EXCERPT_CHARS`]
/// characters, and never the line of a syntax error.
pub fn not_a_policy(text: &str) -> Option<String> {
    let body = text.trim_start_matches('\u{feff}').trim_start();
    if body.is_empty() {
        return Some("it is empty".into());
    }
    if body.starts_with('{') && serde_json::from_str::<serde::de::IgnoredAny>(body).is_ok() {
        return None;
    }
    let file = SourceFile::new("policy", text);
    let diags = Diagnostics::new();
    let root = yaml::parse(SourceId(u32::MAX), &file, &diags);
    let syntax = diags
        .into_sorted()
        .into_iter()
        .find(|d| d.severity == vpcsim_syntax::Severity::Error);
    let why = match (&root, syntax) {
        (_, Some(d)) => {
            let (line, col) = d.span.map_or((1, 1), |s| file.line_col(s.start_offset()));
            // The parser's own words (saphyr's say what it expected, not what it found).
            let what = if d.code == "yaml-syntax" {
                format!(": {}", d.message)
            } else {
                String::new()
            };
            format!("it is neither JSON nor YAML (line {line}, column {col}{what})")
        }
        (Some(node), None) => match &node.kind {
            NodeKind::Map(entries)
                if entries
                    .iter()
                    .any(|(k, _)| matches!(k.as_str(), Some("Statement" | "Version" | "Id"))) =>
            {
                return None;
            }
            NodeKind::Map(_) => "it has no `Statement`".into(),
            NodeKind::Seq(_) => "it is a list, not a mapping".into(),
            NodeKind::Scalar { .. } => "it is text, not a mapping".into(),
        },
        (None, None) => "it is not a mapping".into(),
    };
    Some(format!("{why}; it starts with {}", excerpt(body)))
}

/// The first [`EXCERPT_CHARS`] characters of the first line, quoted, control characters escaped.
fn excerpt(body: &str) -> String {
    let line = body.lines().next().unwrap_or_default();
    let mut out: String = line
        .chars()
        .take(EXCERPT_CHARS)
        .flat_map(char::escape_debug)
        .collect();
    if line.chars().nth(EXCERPT_CHARS).is_some() || body.trim_end().len() > line.len() {
        out.push('…');
    }
    format!("\"{out}\"")
}

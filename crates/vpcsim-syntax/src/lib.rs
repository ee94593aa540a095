//! Source text, spans and diagnostics: the layer that lets every later error point into the user's file.
//!
//! vpcsim reads hand-written YAML, and its promise is that a mistake anywhere is reported with the file,
//! line and column, a snippet, what is wrong and how to fix it, and that *every* mistake is reported in
//! one run. Serde alone stops at the first error, so this crate's deserializers *record* errors into a
//! [`Diagnostics`] sink instead of only returning them: unknown keys are reported (with a `did you
//! mean` hint) and skipped, and the wrapper types in [`types`] ([`Entries`], [`List`], [`Lenient`])
//! recover from a broken entry so the rest is still checked. [`Spanned`] gives any value its
//! location, so semantic checks made later can point into the file. Two readers share these rules:
//!
//! - [`stream::from_str`] deserializes straight from the YAML parser's events: a topology file is
//!   read without building a tree of it (the tree of a large network took more memory than the
//!   model built from it). Duplicate keys, aliases and syntax errors are handled as the events pass.
//! - [`yaml::parse`] builds a [`Node`] tree in which every value keeps its [`Span`], and
//!   [`de::from_node`] runs any `serde::Deserialize` type over it: for small documents that are
//!   looked at as a whole (policy documents, whose form is decided by their keys; a value read as
//!   [`RawNode`] by the streaming reader is such a tree).
//!
//! Key types: [`SourceMap`] (the files read, for rendering), [`Span`], [`Diagnostic`] (one finding:
//! severity, code, message, primary label, help, related locations), [`Diagnostics`] (the sink).
//!
//! Invariant: this crate knows nothing about AWS or topologies; it is pure (no I/O, no global state).

pub mod de;
pub mod diag;
mod excerpt;
pub mod pieces;
pub mod source;
pub mod stream;
pub mod suggest;
pub mod text;
pub mod types;
pub mod yaml;

pub use de::from_node;
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use source::{SourceFile, SourceId, SourceMap, Span, offset32};
pub use stream::RawNode;
pub use types::{Entries, Entry, Lenient, List, OneOrMany, Spanned};
pub use yaml::{Node, NodeKind};

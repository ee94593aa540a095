//! The topology: the network a user describes in YAML, read into one immutable, indexed model.
//!
//! Three layers, one per module:
//! - [`format`]: the file format as serde types (what users write; names as text, every value
//!   with its location). The JSON Schema (`vpcsim schema`) is derived from these types.
//! - [`validate`] (internal): resolves every reference and checks AWS's rules, reporting *all*
//!   problems at once as located [`Diagnostic`](vpcsim_syntax::Diagnostic)s.
//! - [`model`]: the result. Entities live in arenas and refer to each other by typed ids; later
//!   crates (DNS, routing, policy, engine) never look a name up by string.
//!
//! [`load`] reads files (through a [`FileSystem`], so tests and servers can use memory) and
//! [`services`] holds what vpcsim knows of AWS services and managed prefix lists.
//!
//! Invariant: pure and synchronous; the only I/O is reading files through [`FileSystem`].

pub mod format;
pub mod load;
pub mod model;
pub mod services;
mod validate;

pub use load::{FileSystem, Loaded, MemFs, ReadError, StdFs, load, load_str};
pub use model::Topology;

/// The JSON Schema of the topology format, as pretty-printed JSON.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(format::Topology);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

//! The topology: the network a user describes in YAML, read into one immutable, indexed model.
//!
//! Three layers, one per module:
//! - [`format`]: the file format as serde types (what users write; names as text, every value
//!   with its location). The JSON Schema (`vpcsim schema`) is derived from these types.
//! - [`validate`] (internal): resolves every reference and checks AWS's rules, reporting *all*
//!   problems at once as located [`Diagnostic`](vpcsim_syntax::Diagnostic)s.
//! - [`model`]: the result. Entities live in arenas and refer to each other by typed ids; later
//!   crates (DNS, routing, policy, engine) never look a name up by string. A model exists only
//!   when every reference resolved, so none of its ids is a placeholder.
//!
//! [`load`] reads files (through a [`FileSystem`], so tests and servers can use memory),
//! [`services`] holds what vpcsim knows of AWS services and managed prefix lists, [`text`]
//! writes the model's addresses into sentences without the formatting machinery, and
//! [`policy_text`] the sentences of the policy checks.
//!
//! Invariant: pure and synchronous; the only I/O is reading files through [`FileSystem`]
//! (regular files only, size-capped: [`Limit`]).

pub mod element;
pub mod format;
pub mod load;
pub mod model;
pub mod policy_text;
pub mod request;
pub mod services;
pub mod text;
mod validate;

pub use element::Element;
pub use load::{
    FileError, FileSystem, Limit, Loaded, MemFs, ReadError, StdFs, load, load_str, load_str_with,
    not_a_policy,
};
pub use model::Topology;
pub use validate::stable_hash;

/// The JSON Schema of the topology format, as pretty-printed JSON (committed as
/// `docs/topology.schema.json` for editors).
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(format::Topology);
    let mut value = schema.to_value();
    widen_scalars(&mut value);
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// vpcsim reads a text field from any scalar (`ports: 443` and `ports: "443"` are the same), so
/// the schema must not flag unquoted numbers where text is expected.
fn widen_scalars(v: &mut serde_json::Value) {
    use serde_json::{Value, json};
    match v {
        Value::Object(map) => {
            if !map.contains_key("enum") {
                let widened = match map.get("type") {
                    Some(Value::String(t)) if t == "string" => {
                        Some(json!(["string", "number", "boolean"]))
                    }
                    Some(Value::Array(a)) if a == &[json!("string"), json!("null")] => {
                        Some(json!(["string", "number", "boolean", "null"]))
                    }
                    _ => None,
                };
                if let Some(w) = widened {
                    map.insert("type".into(), w);
                }
            }
            map.values_mut().for_each(widen_scalars);
        }
        Value::Array(items) => items.iter_mut().for_each(widen_scalars),
        _ => {}
    }
}

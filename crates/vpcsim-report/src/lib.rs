//! Rendering: vpcsim's answers as people and programs read them. The core crates return data
//! (traces with their hops and codes, resolutions with their steps, check results); this crate
//! writes them out — [`json`], the one JSON shape of each answer, which `--format json` and the
//! HTTP API both print, and [`text`], the readable report of a trace.
//!
//! Invariant: presentation only. It decides nothing and depends only on the core crates, so every
//! edge (command line, HTTP API) renders an answer the same way.

pub mod json;
pub mod text;

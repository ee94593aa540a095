//! Topologies shared by the benchmarks.

#![allow(dead_code)]

use std::path::Path;

use vpcsim_gen::Params;
use vpcsim_topology::{MemFs, StdFs, Topology};

/// The allocator the `vpcsim` binary uses, so that figures are those of the program users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The parameters of the generated topologies the benchmarks use.
pub fn params(vpcs: usize) -> Params {
    Params {
        seed: 1,
        gateway_endpoints: true,
        sites: 10,
        outposts: 5,
        ..Params::with_vpcs(vpcs)
    }
}

/// A generated topology, loaded.
pub fn generated(vpcs: usize) -> Topology {
    let text = vpcsim_gen::generate(&params(vpcs));
    vpcsim_topology::load_str(Path::new("gen.yaml"), text, &MemFs::default())
        .topology
        .expect("generated topologies are valid")
}

/// A shipped example topology, loaded.
pub fn example(name: &str) -> Topology {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../topologies")
        .join(name);
    vpcsim_topology::load(&path, &StdFs)
        .expect("readable")
        .topology
        .expect("valid")
}

//! Topologies from what exists. A design to validate usually exists already — as an account, or
//! as the infrastructure code that will change it — and writing its YAML by hand is slow and is
//! where mistakes creep in. An importer reads that description and writes a topology a person
//! would keep: names from `Name` tags with the AWS ids as comments, a fixed order, every resource
//! vpcsim cannot model listed with its id, and the on-premises side and the expectations left as
//! stubs to fill in.
//!
//! Each importer turns its input into a [`Net`] — the network in the topology format's own terms
//! — and [`finish`] writes it as text that loads. [`aws`] reads the JSON of the aws CLI's describe
//! and list calls (one file per call, [`aws::print_commands`] writes the script that makes them).
//! Infrastructure code goes through [`res`]: [`cfn`] (CloudFormation templates, intrinsic
//! functions evaluated) and [`tf`] (Terraform plans, references followed through the
//! configuration) turn their resources into [`res::Res`] under common attribute names, and
//! [`res::build`] makes the one network both describe.
//!
//! Invariant: pure (the caller reads the files) and deterministic; input it cannot use becomes a
//! [`Note`], never a topology that does not validate (the importers' tests load every output).

pub mod aws;
pub mod cfn;
pub mod net;
pub mod res;
pub mod tf;

pub use net::{Level, Net, Note};

/// The topology as YAML that loads: what vpcsim's validation refuses is left out, each with a
/// warning saying why (see [`net::settle`]).
pub fn finish(net: &mut Net, how: &str) -> String {
    let check = |yaml: &str| -> Vec<net::Problem> {
        let loaded = vpcsim_topology::load_str(
            std::path::Path::new("imported.yaml"),
            yaml.to_string(),
            &vpcsim_topology::MemFs::default(),
        );
        if loaded.topology.is_some() {
            return Vec::new();
        }
        loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == vpcsim_syntax::Severity::Error)
            .map(|d| (d.span.map(|s| s.start_offset()), d.message.clone()))
            .collect()
    };
    net::settle(net, how, &check)
}

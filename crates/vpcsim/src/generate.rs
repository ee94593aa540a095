//! `vpcsim gen`: writes a synthetic topology (for benchmarks and load tests).

use std::path::PathBuf;
use std::process::ExitCode;

use vpcsim_gen::Params;

/// The flags of `vpcsim gen`.
#[derive(clap::Args)]
pub(crate) struct GenArgs {
    /// Number of VPCs, up to 131072 (every 50th is a hub holding the interface endpoints).
    #[arg(long, default_value_t = 100)]
    vpcs: usize,
    /// Seed of the generated ids and of the topology.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Subnets per VPC (1–8).
    #[arg(long, default_value_t = 2)]
    subnets_per_vpc: usize,
    /// Extra static routes per route table.
    #[arg(long, default_value_t = 2)]
    routes_per_table: usize,
    /// Interface endpoints per hub (1–12; S3 first).
    #[arg(long, default_value_t = 1)]
    interface_endpoints: usize,
    /// Give every spoke an S3 gateway endpoint.
    #[arg(long)]
    gateway_endpoints: bool,
    /// On-premises sites, each over Direct Connect with a VPN backup.
    #[arg(long, default_value_t = 1)]
    sites: usize,
    /// Buckets with endpoint-only policies (default: one per hub).
    #[arg(long)]
    buckets: Option<usize>,
    /// S3 on Outposts deployments.
    #[arg(long, default_value_t = 1)]
    outposts: usize,
    /// Make every VPC a /25 with /28 subnets (automatic above 16384 VPCs).
    #[arg(long)]
    compact: bool,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &GenArgs) -> ExitCode {
    let params = Params {
        seed: args.seed,
        vpcs: args.vpcs,
        subnets_per_vpc: args.subnets_per_vpc,
        routes_per_table: args.routes_per_table,
        interface_endpoints: args.interface_endpoints,
        gateway_endpoints: args.gateway_endpoints,
        sites: args.sites,
        buckets: args.buckets,
        outposts: args.outposts,
        compact: args.compact,
    };
    if let Err(e) = params.check() {
        return crate::usage(e, String::new());
    }
    let text = vpcsim_gen::generate(&params);
    match &args.output {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                ExitCode::from(2)
            }
        },
    }
}

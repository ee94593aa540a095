//! Generated topologies validate and their expectations hold; the same seed gives the same text.

use std::path::Path;

use vpcsim_gen::{Params, generate};
use vpcsim_syntax::Severity;
use vpcsim_topology::{MemFs, load_str};

fn check(p: &Params) {
    let text = generate(p);
    let loaded = load_str(Path::new("gen.yaml"), text, &MemFs::default());
    let problems: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| format!("{:?}: {}", d.severity, d.one_line(&loaded.sources)))
        .collect();
    assert!(
        loaded
            .diagnostics
            .iter()
            .all(|d| d.severity != Severity::Error),
        "{p:?}: {problems:#?}"
    );
    assert!(problems.is_empty(), "{p:?}: warnings: {problems:#?}");
    let topo = loaded.topology.expect("valid");
    assert_eq!(topo.vpcs.len(), p.vpcs);
    let result = vpcsim_engine::check(&topo);
    let failed: Vec<String> = result
        .results
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {} ({})", r.name, r.mismatches.join("; "), r.actual))
        .collect();
    assert!(failed.is_empty(), "{p:?}: {failed:#?}");
    assert!(result.results.len() >= 4, "{p:?}: too few expectations");
}

#[test]
fn small_default() {
    check(&Params::with_vpcs(3));
}

#[test]
fn hundred_vpcs_with_everything() {
    check(&Params {
        seed: 7,
        vpcs: 120,
        subnets_per_vpc: 3,
        routes_per_table: 5,
        interface_endpoints: 4,
        gateway_endpoints: true,
        sites: 4,
        buckets: Some(5),
        outposts: 3,
        compact: false,
    });
}

#[test]
fn without_gateways_sites_or_outposts() {
    check(&Params {
        seed: 1,
        vpcs: 60,
        subnets_per_vpc: 1,
        routes_per_table: 0,
        interface_endpoints: 1,
        gateway_endpoints: false,
        sites: 0,
        buckets: Some(0),
        outposts: 0,
        compact: false,
    });
}

#[test]
fn one_vpc_eight_subnets() {
    check(&Params {
        vpcs: 1,
        subnets_per_vpc: 8,
        ..Params::default()
    });
}

#[test]
fn thousand_vpcs() {
    check(&Params {
        seed: 3,
        sites: 20,
        outposts: 10,
        ..Params::with_vpcs(1000)
    });
}

#[test]
fn hubs_without_a_site_and_compact_addressing() {
    // Six hubs, two linked to a site: the others' extra routes must not go to an unlinked VPN
    // gateway (route-vgw-no-link). /25 VPCs with /28 subnets, as above 16,384 VPCs.
    check(&Params {
        seed: 5,
        vpcs: 301,
        sites: 2,
        routes_per_table: 3,
        interface_endpoints: 6,
        compact: true,
        ..Params::default()
    });
    assert!(
        Params {
            interface_endpoints: 7,
            compact: true,
            ..Params::default()
        }
        .check()
        .is_err()
    );
}

#[test]
fn same_seed_same_text() {
    let p = Params {
        seed: 42,
        ..Params::with_vpcs(200)
    };
    assert_eq!(generate(&p), generate(&p));
    let other = Params {
        seed: 43,
        ..p.clone()
    };
    assert_ne!(generate(&p), generate(&other));
}

//! The DNS model answering in process (`Engine::resolve`), as the DNS server calls it per query.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use vpcsim_dns::{RecordType, Rotation, View};
use vpcsim_engine::Engine;
use vpcsim_topology::Topology;
use vpcsim_topology::model::Source;

mod common;

fn view(topo: &Topology, name: &str) -> View {
    match topo.find_source(name).expect("view") {
        Source::Public => View::Public,
        s => vpcsim_dns::view_of(topo, s),
    }
}

fn bench(c: &mut Criterion, group: &str, topo: &Topology, cases: &[(&str, &str, &str)]) {
    let engine = Engine::new(topo);
    let net = engine.network(&[]);
    let mut g = c.benchmark_group(group);
    for &(name, from, qname) in cases {
        let v = view(topo, from);
        let mut rotation = Rotation::new();
        g.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| engine.resolve(&net, v, black_box(qname), RecordType::A, &mut rotation))
        });
    }
    g.finish();
}

fn hybrid(c: &mut Criterion) {
    let topo = common::example("hybrid-s3.yaml");
    bench(
        c,
        "dns_hybrid_s3",
        &topo,
        &[
            (
                "public-vpce",
                "public",
                "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            ),
            (
                "public-nxdomain",
                "public",
                "vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com",
            ),
            (
                "site-vpce",
                "datacenter",
                "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            ),
            (
                "vpc-outposts-rotation",
                "shared",
                "reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com",
            ),
        ],
    );
}

fn generated(c: &mut Criterion) {
    let p = common::params(10_000);
    let topo = common::generated(10_000);
    let vpce = vpcsim_gen::vpce_name(&p, 100, 0, None);
    let zonal = vpcsim_gen::vpce_name(&p, 100, 0, Some("us-east-1d"));
    bench(
        c,
        "dns_10000_vpcs",
        &topo,
        &[
            ("public-vpce", "public", &vpce),
            ("public-nxdomain", "public", &zonal),
            ("vpc-vpce", "spoke-5001", &vpce),
            ("site-vpce", "site-0", &vpce),
            (
                "public-s3-regional",
                "public",
                "gen-bucket-1.s3.us-east-1.amazonaws.com",
            ),
        ],
    );
}

criterion_group!(benches, hybrid, generated);
criterion_main!(benches);

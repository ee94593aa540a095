//! Route lookup, full traces (DNS, routes there and back, policies) and `check`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use vpcsim_dns::Rotation;
use vpcsim_engine::{Engine, Options};
use vpcsim_routing::Routes;
use vpcsim_topology::Topology;

mod common;

fn vpc_table(topo: &Topology, vpc: &str) -> vpcsim_topology::model::RouteTableId {
    let v = topo.vpcs.iter().find(|v| v.name == vpc).expect("vpc");
    v.route_tables[0]
}

fn route_lookup(c: &mut Criterion) {
    let mut g = c.benchmark_group("route_lookup");
    let topo = common::generated(10_000);
    let routes = Routes::build(&topo);
    let links = vpcsim_routing::LinkState::all_up(&topo);
    // A hub's table: 49 peering routes and the extra static routes (hub-0 also learns site-0's prefix).
    let hub = vpc_table(&topo, "hub-100");
    let hub0 = vpc_table(&topo, "hub-0");
    let spoke = vpc_table(&topo, "spoke-5001");
    let cases = [
        ("hub-to-spoke", hub, Ipv4Addr::new(10, 78, 52, 10)),
        ("hub-to-site", hub0, Ipv4Addr::new(172, 16, 0, 10)),
        ("spoke-to-hub", spoke, Ipv4Addr::new(10, 78, 32, 10)),
        (
            "spoke-to-s3-prefix-list",
            spoke,
            Ipv4Addr::new(52, 216, 1, 1),
        ),
        ("spoke-no-route", spoke, Ipv4Addr::new(192, 0, 2, 1)),
    ];
    for (name, table, dst) in cases {
        g.bench_function(BenchmarkId::new("10000-vpcs", name), |b| {
            b.iter(|| routes.choose(black_box(table), black_box(IpAddr::V4(dst)), &links))
        });
    }
    g.finish();
}

fn bench_traces(c: &mut Criterion, group: &str, topo: &Topology, cases: &[(&str, &str, &str)]) {
    let mut g = c.benchmark_group(group);
    let engine = Engine::new(topo);
    let net = engine.network(&[]);
    let opts = Options::default();
    for &(name, from, request) in cases {
        let source = topo.find_source(from).expect("source");
        let mut rotation = Rotation::new();
        let trace = |rotation: &mut Rotation| {
            engine.trace(
                &net,
                source,
                black_box(from),
                black_box(request),
                &opts,
                rotation,
            )
        };
        // Make sure the case traces as the expectations say before timing it.
        let mut t = trace(&mut rotation).expect("request parses");
        engine.render(&mut t);
        assert!(!t.forward.is_empty(), "{name}: {}", t.reason);
        // `full`: the whole trace, as data (every step, the DNS events, the finding and the
        // policy outcome with its deciding statements): the one trace path; `rendered`: the same
        // and its words (`Engine::render`: hops, DNS steps, request context, policy explanation,
        // reason), as `vpcsim trace` shows it.
        g.bench_function(BenchmarkId::new("full", name), |b| {
            b.iter(|| trace(&mut rotation))
        });
        g.bench_function(BenchmarkId::new("rendered", name), |b| {
            b.iter(|| {
                let mut t = trace(&mut rotation).expect("request parses");
                engine.render(&mut t);
                t
            })
        });
    }
    g.finish();
}

fn trace_examples(c: &mut Criterion) {
    let topo = common::example("hybrid-s3.yaml");
    let vpce = "https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv";
    bench_traces(
        c,
        "trace_hybrid_s3",
        &topo,
        &[
            (
                "dx-to-interface-endpoint",
                "datacenter/build-server",
                &format!("GET {vpce}"),
            ),
            (
                "app-to-gateway-endpoint",
                "shared/app-1",
                "GET https://s3.us-east-1.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv",
            ),
            (
                "peer-to-interface-endpoint",
                "analytics/etl-1",
                &format!("GET {vpce}"),
            ),
        ],
    );
}

fn trace_generated(c: &mut Criterion) {
    let p = common::params(10_000);
    let topo = common::generated(10_000);
    let hub100 = vpcsim_gen::vpce_name(&p, 100, 0, None);
    let hub0 = vpcsim_gen::vpce_name(&p, 0, 0, None);
    bench_traces(
        c,
        "trace_10000_vpcs",
        &topo,
        &[
            (
                "spoke-over-peering-to-interface-endpoint",
                "spoke-5001/app",
                &format!("GET https://bucket.{hub100}/gen-bucket-100/data/object.csv"),
            ),
            (
                "spoke-to-gateway-endpoint",
                "spoke-5001/app",
                "GET https://gen-bucket-100.s3.us-east-1.amazonaws.com/data/object.csv",
            ),
            (
                "site-over-dx-to-interface-endpoint",
                "site-0/host",
                &format!("GET https://bucket.{hub0}/gen-bucket-0/data/object.csv"),
            ),
        ],
    );
}

fn check(c: &mut Criterion) {
    let mut g = c.benchmark_group("check");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [1_000usize, 10_000] {
        let topo = common::generated(n);
        g.bench_function(BenchmarkId::new("vpcs", n), |b| {
            b.iter(|| {
                let r = vpcsim_engine::check(&topo);
                assert_eq!(r.failed(), 0);
                r
            })
        });
    }
    g.finish();
}

criterion_group!(
    benches,
    route_lookup,
    trace_examples,
    trace_generated,
    check
);
criterion_main!(benches);

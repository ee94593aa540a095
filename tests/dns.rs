//! DNS model tests: seed 001's names, X-ENI rotation, every shipped topology's `resolve:`
//! expectations, and golden answers for `tests/dns/*.queries` (`UPDATE_EXPECT=1` rewrites the
//! goldens, `expect-test` file snapshots).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use vpcsim_dns::{RecordType, Resolution, Rotation, View};
use vpcsim_engine::{Engine, Network};
use vpcsim_topology::{StdFs, Topology};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn topology(name: &str) -> Topology {
    let loaded =
        vpcsim_topology::load(&root().join("topologies").join(name), &StdFs).expect("readable");
    loaded.topology.expect("valid topology")
}

fn view(topo: &Topology, from: &str) -> View {
    vpcsim_dns::view_of(
        topo,
        topo.find_source(from)
            .unwrap_or_else(|| panic!("source {from}")),
    )
}

/// A topology's engine and its network with every link up: the one way vpcsim resolves (forwarded
/// queries walk the real paths).
struct Resolver<'t> {
    engine: Engine<'t>,
    net: Network,
}

impl<'t> Resolver<'t> {
    fn new(topo: &'t Topology) -> Self {
        let engine = Engine::new(topo);
        let net = engine.network(&[]);
        Resolver { engine, net }
    }

    fn resolve(&self, v: View, name: &str, qtype: RecordType, rot: &mut Rotation) -> Resolution {
        self.engine.resolve(&self.net, v, name, qtype, rot)
    }
}

fn ips(dns: &Resolver, v: View, name: &str) -> Vec<Ipv4Addr> {
    let mut a = dns
        .resolve(v, name, RecordType::A, &mut Rotation::new())
        .addresses();
    a.sort();
    a
}

/// Seed 001: the Regional name answers every ENI, a zonal name only its AZ's, the bucket./
/// accesspoint./control. names the same, and all of them resolve from public DNS, so on-premises
/// resolvers need no change.
#[test]
fn seed_001_endpoint_specific_names() {
    let topo = topology("hybrid-s3.yaml");
    let dns = Resolver::new(&topo);
    let ep = topo
        .endpoints
        .iter()
        .find(|e| e.aws_id == "vpce-1a2b3c4d")
        .expect("endpoint");
    let eni_ip = |az: &str| {
        ep.enis()
            .iter()
            .map(|e| &topo.enis[e.index()])
            .find(|e| topo.subnets[e.subnet.index()].az == az)
            .expect("eni")
            .ip
    };
    let (a, b) = (eni_ip("us-east-1a"), eni_ip("us-east-1b"));
    let mut both = vec![a, b];
    both.sort();
    for from in [
        "public",
        "datacenter/build-server",
        "shared/app-1",
        "analytics/etl-1",
        "shared/inbound",
    ] {
        let v = view(&topo, from);
        for prefix in ["", "bucket.", "accesspoint.", "control."] {
            let regional = format!("{prefix}vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com");
            assert_eq!(ips(&dns, v, &regional), both, "{regional} from {from}");
            let zonal =
                format!("{prefix}vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com");
            assert_eq!(ips(&dns, v, &zonal), vec![a], "{zonal} from {from}");
        }
        // Virtual-hosted bucket names under bucket., as SDKs send them with --endpoint-url.
        let vh = "doc-example-bucket1.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com";
        assert_eq!(ips(&dns, v, vh), both, "{vh} from {from}");
    }
    let r = dns.resolve(
        View::Public,
        "vpce-1a2b3c4d-5e6f-us-east-1c.s3.us-east-1.vpce.amazonaws.com",
        RecordType::A,
        &mut Rotation::new(),
    );
    assert_eq!(r.status(), "NXDOMAIN");
    assert_eq!(
        r.steps.last().unwrap().detail,
        "endpoint vpce-1a2b3c4d has no ENI in us-east-1c; it has us-east-1a, us-east-1b"
    );
    let r = dns.resolve(
        View::Public,
        "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
        RecordType::Aaaa,
        &mut Rotation::new(),
    );
    assert_eq!(r.status(), "NODATA");
    let r = dns.resolve(
        View::Public,
        "www.example.com",
        RecordType::A,
        &mut Rotation::new(),
    );
    assert_eq!(r.status(), "REFUSED");
}

/// 10,000 successive queries for one Outposts name from one view spread evenly over the four
/// X-ENIs, and the same seed gives the same sequence.
#[test]
fn outposts_names_rotate_over_four_xenis() {
    let topo = topology("hybrid-s3.yaml");
    let dns = Resolver::new(&topo);
    let name = "reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com";
    let v = view(&topo, "shared/app-1");
    let run = || {
        let mut rot = Rotation::new();
        (0..10_000)
            .map(|_| dns.resolve(v, name, RecordType::A, &mut rot).addresses())
            .collect::<Vec<_>>()
    };
    let first = run();
    assert_eq!(first, run(), "same seed, same sequence");
    let xenis: Vec<Ipv4Addr> = topo.outposts[0]
        .xenis
        .iter()
        .map(|x| topo.enis[x.index()].ip)
        .collect();
    assert_eq!(xenis.len(), 4);
    for answer in &first {
        let mut sorted = answer.clone();
        sorted.sort();
        let mut all = xenis.clone();
        all.sort();
        assert_eq!(sorted, all, "every answer lists the four X-ENIs");
    }
    for x in &xenis {
        let share = first.iter().filter(|a| a[0] == *x).count() as f64 / first.len() as f64;
        assert!((share - 0.25).abs() <= 0.01, "{x} first in {share}");
    }
}

/// Every `resolve:` expectation of every shipped topology (and of its scenarios) holds, asked as
/// `vpcsim check` asks it.
#[test]
fn shipped_dns_expectations_hold() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(root().join("topologies")).expect("topologies/") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let topo = topology(path.file_name().unwrap().to_str().unwrap());
        // DNS expectations are the ones without a trace; forwarded queries walk the real paths
        // with the scenario's links down.
        for r in &vpcsim_engine::check(&topo).results {
            if r.trace.is_some() {
                continue;
            }
            checked += 1;
            if !r.passed {
                failures.push(format!(
                    "{}: {}: {:?}",
                    path.display(),
                    r.name,
                    r.mismatches
                ));
            }
        }
    }
    assert!(checked > 0);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Golden answers: `tests/dns/NAME.queries` holds `FROM TYPE NAME` lines for
/// `topologies/NAME.yaml`; the reports must equal `tests/dns/NAME.golden`.
#[test]
fn golden_answers() {
    let dir = root().join("tests/dns");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/dns")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "queries"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for qfile in files {
        let stem = qfile.file_stem().unwrap().to_str().unwrap().to_string();
        let topo = topology(&format!("{stem}.yaml"));
        let dns = Resolver::new(&topo);
        let mut out = String::new();
        for line in std::fs::read_to_string(&qfile).unwrap().lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (from, rtype, name) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let v = view(&topo, from);
            let qtype = RecordType::parse(rtype).expect("record type");
            let res = dns.resolve(v, name, qtype, &mut Rotation::new());
            // Without text, the same answer through the same steps.
            let quiet = dns
                .engine
                .resolve_quiet(&dns.net, v, name, qtype, &mut Rotation::new());
            assert_eq!(
                (
                    quiet.rcode,
                    &quiet.answers,
                    &quiet.authority,
                    quiet.authoritative
                ),
                (res.rcode, &res.answers, &res.authority, res.authoritative),
                "{stem}: {line}"
            );
            let codes = |r: &Resolution| -> Vec<&str> { r.steps.iter().map(|s| s.code).collect() };
            assert_eq!(codes(&quiet), codes(&res), "{stem}: {line}");
            assert!(
                quiet
                    .steps
                    .iter()
                    .all(|s| s.at.is_empty() && s.detail.is_empty())
            );
            out.push_str(&dns.engine.dns.report(v, from, name, qtype, &res));
            out.push('\n');
        }
        expect_test::expect_file![dir.join(format!("{stem}.golden"))].assert_eq(&out);
    }
}

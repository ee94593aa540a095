//! All pairs: every sender (instance or on-premises host) against every destination (an endpoint
//! or a bucket), each answered by one trace — "can every spoke reach S3 the way we intended?".
//! [`probe`] says which request stands for a destination; [`Cell`] is one pair's answer as data.
//! The edge decides how to spread the pairs over cores: each trace is independent.

use vpcsim_dns::Rotation;
use vpcsim_topology::Topology;
use vpcsim_topology::model::{BucketId, EndpointId, Source};

use crate::{Engine, Network, Options, Verdict};

/// What a row of the matrix is asked about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// An endpoint: an interface endpoint by its Regional DNS name (HTTPS), a gateway endpoint
    /// by its service's Regional name (the path must pass it).
    Endpoint(EndpointId),
    /// A bucket: a GetObject of a probe key, path style at its Region's name.
    Bucket(BucketId),
}

/// Every endpoint, then every bucket outside Outposts, in file order.
pub fn all_destinations(topo: &Topology) -> Vec<Destination> {
    let mut v: Vec<Destination> = (0..topo.endpoints.len())
        .map(|i| Destination::Endpoint(EndpointId(i as u32)))
        .collect();
    v.extend(
        topo.buckets
            .iter()
            .enumerate()
            .filter(|(_, b)| b.outpost.is_none())
            .map(|(i, _)| Destination::Bucket(BucketId(i as u32))),
    );
    v
}

/// A destination by name: an endpoint (`NAME`, `VPC/NAME` or its `vpce-` id) or a bucket.
pub fn find_destination(topo: &Topology, text: &str) -> Option<Destination> {
    let by_endpoint = topo.endpoints.iter().position(|e| {
        e.name == text
            || e.aws_id == text
            || format!("{}/{}", topo.vpcs[e.vpc.index()].name, e.name) == text
    });
    if let Some(i) = by_endpoint {
        return Some(Destination::Endpoint(EndpointId(i as u32)));
    }
    topo.buckets
        .iter()
        .position(|b| b.name == text && b.outpost.is_none())
        .map(|i| Destination::Bucket(BucketId(i as u32)))
}

/// Every name `find_destination` takes, for hints.
pub fn destination_names(topo: &Topology) -> Vec<String> {
    let mut v: Vec<String> = topo.endpoints.iter().map(|e| e.name.clone()).collect();
    v.extend(
        topo.buckets
            .iter()
            .filter(|b| b.outpost.is_none())
            .map(|b| b.name.clone()),
    );
    v
}

/// The destination's name as a column heading.
pub fn label(topo: &Topology, d: Destination) -> String {
    match d {
        Destination::Endpoint(e) => topo.endpoints[e.index()].name.clone(),
        Destination::Bucket(b) => topo.buckets[b.index()].name.clone(),
    }
}

/// The request that stands for the destination, with `key` as a bucket's object.
pub fn probe(topo: &Topology, d: Destination, key: &str) -> String {
    match d {
        Destination::Endpoint(e) => {
            let ep = &topo.endpoints[e.index()];
            let vpc = &topo.vpcs[ep.vpc.index()];
            let region = &topo.regions[vpc.region.index()].name;
            match ep.regional_dns_name(region) {
                Some(name) => format!("{name}:443"),
                None => {
                    let suffix = vpcsim_aws::region::Partition::of_region(region).dns_suffix();
                    format!("{}.{region}.{suffix}:443", ep.service)
                }
            }
        }
        Destination::Bucket(b) => {
            let bucket = &topo.buckets[b.index()];
            let region = &topo.regions[bucket.region.index()].name;
            let suffix = vpcsim_aws::region::Partition::of_region(region).dns_suffix();
            format!("GET https://s3.{region}.{suffix}/{}/{key}", bucket.name)
        }
    }
}

/// One pair's answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Allowed, denied or unreachable.
    pub verdict: Verdict,
    /// The deciding code.
    pub code: &'static str,
    /// The named components passed.
    pub via: Vec<String>,
    /// For an endpoint: whether the path passed it (a gateway endpoint's service may be reached
    /// another way, over the internet).
    pub through: Option<bool>,
}

/// Answers one pair (quietly: the decision and the components, no words).
pub fn cell(
    engine: &Engine<'_>,
    net: &Network,
    source: Source,
    from: &str,
    d: Destination,
    key: &str,
) -> Cell {
    let topo = engine.topo;
    let request = probe(topo, d, key);
    match engine.trace(
        net,
        source,
        from,
        &request,
        &Options::default(),
        &mut Rotation::new(),
    ) {
        Ok(t) => {
            let via: Vec<String> = t.components(topo).into_iter().map(String::from).collect();
            let through = match d {
                Destination::Endpoint(e) => {
                    Some(via.iter().any(|c| *c == topo.endpoints[e.index()].name))
                }
                Destination::Bucket(_) => None,
            };
            Cell {
                verdict: t.verdict,
                code: t.code,
                via,
                through,
            }
        }
        Err(_) => Cell {
            verdict: Verdict::Unreachable,
            code: "request.invalid",
            via: Vec::new(),
            through: None,
        },
    }
}

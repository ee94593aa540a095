//! The DNS model: every name AWS would serve for a topology, answered per *view*, with the chain of
//! resolvers and rules that produced the answer.
//!
//! Who asks decides the answer. vpcsim models four kinds of view ([`View`]):
//! - **public** DNS (AWS's authoritative servers for `amazonaws.com`): public service names of the
//!   topology's Regions and of every Region with built-in prefix lists (S3 and DynamoDB in the
//!   Region's published ranges, other services at stand-in addresses), every interface endpoint's
//!   endpoint-specific names (which resolve publicly to private addresses, the Regional ones
//!   rotated), S3 on Outposts access point names over the four X-ENIs;
//! - a VPC's **Route 53 Resolver** (`VPC+2`): Resolver rules (most specific wins, SYSTEM carves out),
//!   then private hosted zones and the private DNS of the VPC's interface endpoints (a matching zone
//!   without the record is NXDOMAIN, no fallback), EC2 host names, then public DNS;
//! - a VPC's **inbound Resolver endpoint**: the same Resolver, but queries arriving this way see the
//!   S3 private DNS names restricted by `PrivateDnsOnlyForInboundResolverEndpoint`;
//! - an **on-premises resolver**: the zones it holds and its conditional forwarders (the most
//!   specific first, its own zone on a tie), else public DNS.
//!
//! [`Dns::build`] derives public DNS and the on-premises resolvers from a
//! [`Topology`](vpcsim_topology::Topology); a VPC's Resolver (its rules and its own zones) and
//! each private hosted zone are derived the first time a query needs them, once, each behind its
//! own `OnceLock` (a query touches the views it crosses, not every VPC; [`Dns::derive_all`] derives
//! everything at once); [`Dns::resolve_over`] answers a query in a view and returns a [`Resolution`] whose [`Step`]s say which
//! resolver received the query, which rule or zone matched, where it was forwarded, and why a
//! negative answer was given. [`Zone::to_master_file`] exports a view's zones for BIND and NSD.
//!
//! Invariant: pure and deterministic. The only state is the caller's [`Rotation`], which makes DNS
//! load balancing (over an endpoint's ENIs, over X-ENIs) repeatable from the topology's seed; what
//! is derived lazily is derived from the topology alone, so answers do not depend on which views
//! were asked before.

mod build;
mod explain;
pub mod net;
mod resolve;
pub mod zone;

use std::collections::HashMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use vpcsim_topology::model::{EndpointId, HostedZoneId, InstanceId, OutpostId, SiteId, VpcId};

pub use build::{Dns, public_address};

/// The hash maps of the lookup path: keys are names and addresses from the topology, so a fast
/// hash with a fixed seed (lookups only; nothing iterates them into output).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;
/// The set counterpart of [`FastMap`].
pub(crate) type FastSet<K> = std::collections::HashSet<K, foldhash::fast::FixedState>;
pub use net::{Network, Unconstrained};
pub use zone::{Zone, ZoneAnswer, ZoneKind};

/// DNS record types ([`vpcsim_aws::RecordType`]: the vocabulary's, with their value rules).
pub use vpcsim_aws::RecordType;

/// Record data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RData {
    /// An IPv4 address.
    A(Ipv4Addr),
    /// An IPv6 address.
    Aaaa(Ipv6Addr),
    /// A canonical name (lowercase, no final dot).
    Cname(String),
    /// Any other type, in master-file syntax.
    Other(String),
}

impl fmt::Display for RData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RData::Cname(n) => write!(f, "{n}."),
            other => f.write_str(&other.presentation()),
        }
    }
}

/// Why a record exists: the topology element behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// An interface endpoint's endpoint-specific name: Regional (`az: None`) or zonal, with its
    /// `bucket.`/`accesspoint.`/`control.` prefix (or a virtual-hosted name under one).
    EndpointName {
        /// The endpoint.
        endpoint: EndpointId,
        /// The endpoint's `vpce-` id (shared by its records: an answer copies a reference).
        vpce: Arc<str>,
        /// The zone of a zonal name.
        az: Option<Arc<str>>,
        /// `bucket`, `accesspoint` or `control`.
        prefix: Option<&'static str>,
        /// A wildcard for virtual-hosted names under the prefix.
        wildcard: bool,
    },
    /// A public AWS service name in the Region's published ranges.
    ServicePublic {
        /// `s3`, `s3-fips`, `s3-website`, `dynamodb`…
        family: &'static str,
        /// Region (`us-east-1`, or `global` for the legacy endpoint).
        region: Arc<str>,
        /// The prefix list the address comes from, or `None` for a stand-in address.
        prefix_list: Option<Arc<str>>,
    },
    /// The IPv6 address of a public dual-stack name: a stand-in from 2001:db8::/32, as vpcsim has
    /// no published IPv6 ranges.
    ServicePublicV6 {
        /// `s3-dualstack`.
        family: &'static str,
        /// Region.
        region: Arc<str>,
    },
    /// An S3 on Outposts access point name, load-balanced over the endpoint's X-ENIs.
    OutpostsAccessPoint {
        /// The Outpost.
        outpost: OutpostId,
        /// Access point name.
        access_point: String,
    },
    /// The private DNS name of an interface endpoint (a hidden private hosted zone).
    PrivateDns {
        /// The endpoint.
        endpoint: EndpointId,
        /// Its `vpce-` id.
        vpce: Arc<str>,
    },
    /// A record of a private hosted zone.
    HostedZone {
        /// The zone.
        zone: HostedZoneId,
        /// Alias target (an interface endpoint), if an alias record.
        alias: Option<String>,
    },
    /// EC2's internal host name of an instance.
    Ec2Hostname {
        /// The instance.
        instance: InstanceId,
    },
    /// The private DNS name of a network interface that is not an instance's (an endpoint's,
    /// a Resolver endpoint's, a NAT gateway's, an X-ENI): `owner` says whose.
    EniHostname {
        /// What the interface belongs to (`interface endpoint s3-interface`).
        owner: String,
    },
    /// A PTR record of the Resolver's reverse lookup zone: the private DNS name of the
    /// network interface with that address.
    Reverse {
        /// What the interface belongs to (`instance app-1`).
        owner: String,
    },
    /// A record of a zone an on-premises resolver holds.
    SiteZone {
        /// The site.
        site: SiteId,
        /// The site's name, for reports.
        name: String,
    },
    /// SOA/NS of a zone.
    Infrastructure,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::EndpointName {
                vpce,
                az,
                prefix,
                wildcard,
                ..
            } => {
                let kind = if az.is_some() { "zonal" } else { "Regional" };
                let az = az.as_ref().map(|a| format!(" ({a})")).unwrap_or_default();
                match (prefix, wildcard) {
                    (Some(p), true) => write!(
                        f,
                        "virtual-hosted names under the {p}. {kind} name of {vpce}{az}"
                    ),
                    (Some(p), false) => write!(f, "{p}. {kind} name of {vpce}{az}"),
                    _ => write!(f, "{kind} DNS name of {vpce}{az}"),
                }
            }
            Origin::ServicePublic {
                family,
                region,
                prefix_list,
            } => match prefix_list {
                Some(pl) => write!(f, "public {family} name of {region}, an address of {pl}"),
                None => write!(
                    f,
                    "public {family} name of {region}; vpcsim has no published range for it, the address is a stand-in from 198.18.0.0/15"
                ),
            },
            Origin::ServicePublicV6 { family, region } => write!(
                f,
                "public {family} name of {region}; vpcsim has no published IPv6 range for it, the address is a stand-in from the documentation range 2001:db8::/32"
            ),
            Origin::OutpostsAccessPoint { access_point, .. } => write!(
                f,
                "S3 on Outposts access point {access_point}, DNS load-balanced over the endpoint's four X-ENIs"
            ),
            Origin::PrivateDns { vpce, .. } => write!(f, "private DNS name of {vpce}"),
            Origin::HostedZone { alias, .. } => match alias {
                Some(a) => write!(f, "alias record to {a}"),
                None => write!(f, "record of the private hosted zone"),
            },
            Origin::Ec2Hostname { .. } => write!(f, "EC2 private host name"),
            Origin::EniHostname { owner } => {
                write!(f, "private DNS name of the network interface of {owner}")
            }
            Origin::Reverse { owner } => write!(
                f,
                "the private DNS name of {owner}, by the Resolver's autodefined reverse lookup rule"
            ),
            Origin::SiteZone { name, .. } => write!(f, "record of a zone of the {name} resolver"),
            Origin::Infrastructure => write!(f, "zone data"),
        }
    }
}

/// A record set: one name, one type, one or more values.
#[derive(Clone, Debug, PartialEq)]
pub struct RrSet {
    /// Owner name (lowercase, no final dot), shared: an answer copies a reference to its zone's
    /// name, not the text.
    pub name: Arc<str>,
    /// Type.
    pub rtype: RecordType,
    /// TTL in seconds.
    pub ttl: u32,
    /// Values.
    pub data: Vec<RData>,
    /// Why it exists.
    pub origin: Origin,
    /// Rotated per query (DNS load balancing): Regional endpoint names and S3 on Outposts access
    /// point names.
    pub rotate: bool,
}

/// A response code (NODATA is `NoError` with no answer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    /// Success (possibly NODATA).
    NoError,
    /// The name does not exist.
    NxDomain,
    /// The resolver could not get an answer (a forwarding target that does not answer, a loop).
    ServFail,
    /// The view does not serve this name.
    Refused,
}

impl Rcode {
    /// The mnemonic.
    pub fn as_str(self) -> &'static str {
        match self {
            Rcode::NoError => "NOERROR",
            Rcode::NxDomain => "NXDOMAIN",
            Rcode::ServFail => "SERVFAIL",
            Rcode::Refused => "REFUSED",
        }
    }
}

/// Who answers a query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum View {
    /// AWS's public DNS.
    Public,
    /// A VPC's Route 53 Resolver, asked from inside the VPC.
    Vpc(VpcId),
    /// A VPC's inbound Resolver endpoint.
    Inbound(VpcId),
    /// An on-premises site's resolver.
    Site(SiteId),
}

/// One step of a resolution: where the query was and what happened there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The resolver or server (`datacenter resolver (172.16.0.2)`).
    pub at: String,
    /// A stable code (`dns.forwarded`, `dns.nxdomain.endpoint`…), documented in docs/dns.md.
    pub code: &'static str,
    /// What happened, in a sentence.
    pub detail: String,
}

/// The answer to a query and how it was reached.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolution {
    /// The response code.
    pub rcode: Rcode,
    /// Answer records, in order (a CNAME chain first).
    pub answers: Vec<RrSet>,
    /// For a negative answer (NXDOMAIN or NODATA) from a zone: that zone's SOA, with the TTL a
    /// resolver caches the negative answer for (RFC 2308: the smaller of the SOA record's TTL and
    /// its minimum field); empty otherwise. Resolvers pass it on, as Route 53 Resolver does.
    pub authority: Vec<RrSet>,
    /// True when the answering server is authoritative for the name.
    pub authoritative: bool,
    /// The chain of resolvers, rules and zones.
    pub steps: Vec<Step>,
    /// The load-balanced record sets of the answer, each with the rotation it took.
    pub rotations: Vec<Rotated>,
    /// The steps as data, when resolved with [`Dns::resolve_data`] (then `steps` is empty until
    /// [`Dns::render_steps`] writes them); empty otherwise.
    pub events: Events,
}

/// The steps of a resolution as data (what happened at which resolver, by reference into the
/// model); [`Dns::render_steps`] puts them in words.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Events(pub(crate) Vec<(View, resolve::Event)>);

impl Events {
    /// No step recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The steps' codes, in order.
    pub fn codes(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().map(|(_, e)| e.code())
    }
}

/// A load-balanced record set of an answer: the rotation counter it advanced (of `name` in
/// `view`, over `records` records) and the offset it took. An answer with one such set is
/// one of `records` answers, chosen by the counter: [`Dns::advance`] advances it the same way
/// without resolving (the DNS server keeps each of the answers ready).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotated {
    /// The view whose counter it is.
    pub view: View,
    /// The name looked up (the answer's owner name, shared with it).
    pub name: Arc<str>,
    /// The number of records rotated.
    pub records: u64,
    /// The offset this answer took (its records start there).
    pub offset: u64,
}

impl Resolution {
    /// NOERROR without answers.
    pub fn is_nodata(&self) -> bool {
        self.rcode == Rcode::NoError && self.answers.is_empty()
    }

    /// `NOERROR`, `NODATA`, `NXDOMAIN`…
    pub fn status(&self) -> &'static str {
        if self.is_nodata() {
            "NODATA"
        } else {
            self.rcode.as_str()
        }
    }

    /// The first IPv4 address of the answer (the one a client connects to), without collecting
    /// the others.
    pub fn first_address(&self) -> Option<Ipv4Addr> {
        self.answers
            .iter()
            .flat_map(|s| &s.data)
            .find_map(|d| match d {
                RData::A(ip) => Some(*ip),
                _ => None,
            })
    }

    /// The IPv4 addresses of the answer, in answer order.
    pub fn addresses(&self) -> Vec<Ipv4Addr> {
        self.answers
            .iter()
            .flat_map(|s| &s.data)
            .filter_map(|d| match d {
                RData::A(ip) => Some(*ip),
                _ => None,
            })
            .collect()
    }
}

/// Per-name query counters for DNS load balancing (endpoint ENIs, X-ENIs). Keep one per server or
/// session; the same seed and the same sequence of queries give the same answers.
#[derive(Clone, Debug, Default)]
pub struct Rotation {
    /// Per view, per name: the queries so far, and the name's starting offset with what it was
    /// computed for (the seed and the number of records: a reload may change either).
    counters: FastMap<View, FastMap<String, Counter>>,
}

#[derive(Clone, Debug, Default)]
struct Counter {
    queries: u64,
    start: u64,
    /// The seed and the number of records `start` was computed for.
    computed_for: Option<(u64, u64)>,
    /// The next query's offset, `(start + queries % len) % len`, kept so that a query divides
    /// nothing (two 64-bit divisions were a tenth of a trace's DNS time).
    next: u64,
}

impl Rotation {
    /// Fresh counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// The rotation of `name`'s next answer of `len` records in `view`: its starting offset
    /// (`start()`, computed on the name's first query and kept while `seed` and `len` stay the
    /// same) plus the number of earlier queries, modulo `len`. Allocates only on a name's first
    /// query.
    pub(crate) fn next(
        &mut self,
        view: View,
        name: &str,
        seed: u64,
        len: u64,
        start: impl FnOnce() -> u64,
    ) -> u64 {
        // Looked up, then made on a view's first query (`entry` costs more than a lookup).
        let names = match self.counters.get_mut(&view) {
            Some(names) => names,
            None => self.counters.entry(view).or_default(),
        };
        let c = match names.get_mut(name) {
            Some(c) => c,
            None => names.entry(name.to_string()).or_default(),
        };
        if c.computed_for != Some((seed, len)) {
            c.start = start();
            c.computed_for = Some((seed, len));
            c.next = (c.start + c.queries % len) % len;
        }
        let k = c.next;
        c.queries += 1;
        // `(start + queries % len) % len` for the next query: one more, modulo `len`.
        c.next = if k + 1 == len { 0 } else { k + 1 };
        k
    }
}

/// The DNS view a source asks through: an instance asks its VPC's Resolver, an on-premises host its
/// site's resolver (or public DNS when the site has none), an AWS service public DNS; views stand
/// for themselves.
pub fn view_of(topo: &vpcsim_topology::Topology, source: vpcsim_topology::model::Source) -> View {
    use vpcsim_topology::model::Source;
    match source {
        Source::Instance(i) => View::Vpc(topo.instances[i.index()].vpc),
        Source::Host(h) => {
            let site = topo.hosts[h.index()].site;
            if topo.sites[site.index()].dns.is_some() {
                View::Site(site)
            } else {
                View::Public
            }
        }
        Source::Public => View::Public,
        Source::VpcResolver(v) => View::Vpc(v),
        Source::InboundEndpoint(v) => View::Inbound(v),
        Source::SiteResolver(s) => View::Site(s),
        // An AWS service resolves AWS's public names inside AWS.
        Source::Service(_) => View::Public,
    }
}

/// Checks a `resolve:` expectation, with `net` deciding whether forwarded queries get through;
/// `Err` says what differs.
pub fn check_expectation(
    dns: &Dns,
    topo: &vpcsim_topology::Topology,
    exp: &vpcsim_topology::model::Expectation,
    net: &dyn Network,
) -> Result<Resolution, Box<(Resolution, String)>> {
    use vpcsim_topology::model::{Check, Rcode as Want};
    let Check::Resolve {
        name,
        record_type,
        answer,
        rcode,
    } = &exp.check
    else {
        return Err(Box::new((
            Resolution {
                rcode: Rcode::NoError,
                answers: vec![],
                authority: vec![],
                authoritative: false,
                steps: vec![],
                rotations: vec![],
                events: Events::default(),
            },
            "not a DNS expectation".into(),
        )));
    };
    let qtype = *record_type;
    let res = dns.resolve_over(
        view_of(topo, exp.from),
        name,
        qtype,
        &mut Rotation::new(),
        net,
    );
    if let Some(want) = rcode {
        let ok = match want {
            Want::NoError => res.rcode == Rcode::NoError && !res.answers.is_empty(),
            Want::NoData => res.is_nodata(),
            Want::NxDomain => res.rcode == Rcode::NxDomain,
            Want::Refused => res.rcode == Rcode::Refused,
            Want::ServFail => res.rcode == Rcode::ServFail,
        };
        if !ok {
            let w = format!("{want:?}").to_uppercase();
            return Err(Box::new((
                res.clone(),
                format!("expected {w}, got {}", res.status()),
            )));
        }
    }
    if let Some(want) = answer {
        let mut got: Vec<String> = res
            .answers
            .iter()
            .filter(|s| s.rtype == qtype || qtype == RecordType::Any)
            .flat_map(|s| s.data.iter().map(|d| d.to_string()))
            .collect();
        got.sort();
        if &got != want {
            return Err(Box::new((
                res.clone(),
                format!(
                    "expected answer [{}], got [{}] ({})",
                    want.join(", "),
                    got.join(", "),
                    res.status()
                ),
            )));
        }
    }
    Ok(res)
}

/// Normalises a query name: lowercase, no final dot (borrowed when it is so already, as names
/// from a parsed request are).
pub fn normalize(name: &str) -> std::borrow::Cow<'_, str> {
    // A name that starts and ends with a letter or digit (nearly every name asked) has no
    // whitespace or final dot to trim: the Unicode-aware trim is skipped.
    let plain = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    let trimmed = if plain(name.as_bytes().first()) && plain(name.as_bytes().last()) {
        name
    } else {
        name.trim().trim_end_matches('.')
    };
    // Every byte is looked at (a fold, not `any`): the loop has no early exit, so it is
    // vectorised; names are nearly always lowercase already, so `any` would scan them all too.
    if trimmed
        .bytes()
        .fold(false, |up, b| up | b.is_ascii_uppercase())
    {
        trimmed.to_ascii_lowercase().into()
    } else {
        trimmed.into()
    }
}

#[cfg(test)]
mod rotation_tests {
    use super::*;

    #[test]
    fn the_start_follows_the_seed_and_the_size_and_the_count_goes_on() {
        let mut r = Rotation::new();
        let v = View::Public;
        let first: Vec<u64> = (0..5).map(|_| r.next(v, "n", 1, 4, || 3)).collect();
        assert_eq!(first, [3, 0, 1, 2, 3]);
        // Kept: the start is not computed again for the same seed and size.
        assert_eq!(r.next(v, "n", 1, 4, || unreachable!()), 0);
        // A reload with another seed: a new start, the count (6) goes on.
        assert_eq!(r.next(v, "n", 2, 4, || 1), (1 + 6) % 4);
        // Another number of records.
        assert_eq!(r.next(v, "n", 2, 3, || 2), (2 + 7 % 3) % 3);
        // Names and views count apart.
        assert_eq!(r.next(v, "m", 2, 3, || 1), 1);
        assert_eq!(r.next(View::Vpc(VpcId(0)), "n", 2, 3, || 0), 0);
    }

    /// The offset kept from one query to the next is `(start + queries % len) % len`, through
    /// changes of seed and size.
    #[test]
    fn the_kept_offset_is_the_formula() {
        let mut r = Rotation::new();
        let (mut queries, mut seed, mut len, mut start) = (0u64, 0u64, 1u64, 0u64);
        for i in 0..500u64 {
            if i % 37 == 0 || i % 53 == 0 {
                seed = i % 5;
                len = 1 + i % 7;
                start = (i * 31) % len;
            }
            let k = r.next(View::Public, "n", seed, len, || start);
            assert_eq!(k, (start + queries % len) % len, "query {i}");
            queries += 1;
        }
    }
}

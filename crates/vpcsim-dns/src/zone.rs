//! Zones: authoritative data with the lookup algorithm of an authoritative server (exact match,
//! CNAME, empty non-terminals, wildcards at the closest encloser) and RFC 1035 master-file output.

use std::sync::OnceLock;

use crate::{FastMap, FastSet};
use std::fmt::Write as _;

use crate::{Origin, RData, RecordType, RrSet};

/// Which part of AWS a zone stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneKind {
    /// AWS's public DNS for `amazonaws.com` (service names, endpoint-specific names, Outposts).
    Public,
    /// A Route 53 private hosted zone written in the topology.
    PrivateHosted(vpcsim_topology::model::HostedZoneId),
    /// The hidden private hosted zone AWS creates for an interface endpoint's private DNS name.
    PrivateDns(vpcsim_topology::model::EndpointId),
    /// EC2's internal host names of a VPC (`ip-10-0-1-10.ec2.internal`).
    Ec2Internal(vpcsim_topology::model::VpcId),
    /// A VPC Resolver's reverse lookup zone (`0.10.in-addr.arpa`): PTR records of the interfaces
    /// of the VPC and of the VPCs peered with it (the Resolver's autodefined rules).
    Reverse(vpcsim_topology::model::VpcId),
    /// A zone an on-premises resolver is authoritative for (`corp.example.com`).
    Site(vpcsim_topology::model::SiteId),
}

/// A zone: an apex and its records, keyed by name with labels reversed so a subtree is a range.
#[derive(Clone, Debug)]
pub struct Zone {
    /// Apex, lowercase, without the final dot.
    pub apex: String,
    /// What the zone is.
    pub kind: ZoneKind,
    /// Indexes into `sets` in canonical order, by owner name with its labels reversed
    /// (`com.amazonaws.s3`, so a subtree is a range): found the first time they are listed
    /// (export, zone transfers), as a lookup does not need them.
    order: OnceLock<Vec<usize>>,
    /// The record sets of each name.
    sets: Vec<Vec<RrSet>>,
    /// Owner name as queried → index into `sets`: an exact hit needs no reversed key.
    exact: FastMap<String, usize>,
    /// Empty non-terminals: names inside the zone with no records of their own but with
    /// descendants that have some (`s3.us-east-1.vpce.amazonaws.com` under an endpoint's names).
    empty_non_terminals: FastSet<String>,
    /// Parent of a wildcard owner (`s3.us-east-1.amazonaws.com` for `*.s3.us-east-1.amazonaws.com`)
    /// → index into `sets`.
    wildcards: FastMap<String, usize>,
}

/// `s3.us-east-1.amazonaws.com` → `com.amazonaws.us-east-1.s3`.
pub(crate) fn reversed(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, label) in name.rsplit('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(label);
    }
    out
}

/// True when `name` is `zone` or below it.
pub fn in_zone(name: &str, zone: &str) -> bool {
    zone.is_empty()
        || name == zone
        || (name.len() > zone.len()
            && name.ends_with(zone)
            && name.as_bytes()[name.len() - zone.len() - 1] == b'.')
}

/// What a zone says about a name and type.
#[derive(Clone, Debug, PartialEq)]
pub enum ZoneAnswer<'z> {
    /// The records (for a CNAME at the name: the CNAME, to be followed), by reference into the
    /// zone, and the name a wildcard answers with (the query's).
    Found(&'z [RrSet], Option<&'z str>),
    /// The name exists but has no record of this type.
    NoData,
    /// The name does not exist in the zone.
    NxDomain,
}

/// The name server of every zone vpcsim exports.
const NS_HOST: &str = "ns.vpcsim.test.";
/// SOA values after the serial: refresh, retry, expire, negative-caching TTL.
const SOA_TIMERS: &str = "7200 900 1209600 60";
/// TTL of the apex SOA and NS records.
const APEX_TTL: u32 = 900;

impl Zone {
    /// A zone with only its apex SOA and NS records (every hosted zone has them).
    pub fn new(apex: impl Into<String>, kind: ZoneKind) -> Self {
        let apex = apex.into();
        let mut zone = Zone {
            apex: apex.clone(),
            kind,
            order: OnceLock::new(),
            sets: Vec::new(),
            exact: FastMap::default(),
            empty_non_terminals: FastSet::default(),
            wildcards: FastMap::default(),
        };
        let infra = |rtype, value: String| RrSet {
            name: apex.as_str().into(),
            rtype,
            ttl: APEX_TTL,
            data: vec![RData::Other(value)],
            origin: Origin::Infrastructure,
            rotate: false,
        };
        zone.add(infra(RecordType::Soa, Self::soa_value(1)));
        zone.add(infra(RecordType::Ns, NS_HOST.to_string()));
        zone
    }

    fn soa_value(serial: u32) -> String {
        format!("{NS_HOST} hostmaster.vpcsim.test. {serial} {SOA_TIMERS}")
    }

    /// Adds a record set (merging data into an existing set of the same name and type; a set of
    /// the zone's own SOA/NS is replaced by one from the topology).
    pub fn add(&mut self, set: RrSet) {
        let i = match self.exact.get(&*set.name) {
            Some(&i) => i,
            None => {
                let i = self.sets.len();
                self.sets.push(Vec::new());
                self.order.take();
                self.exact.insert(set.name.to_string(), i);
                self.index_new_name(&set.name, i);
                i
            }
        };
        let sets = &mut self.sets[i];
        match sets.iter_mut().find(|s| s.rtype == set.rtype) {
            Some(existing)
                if existing.origin == Origin::Infrastructure
                    && set.origin != Origin::Infrastructure =>
            {
                *existing = set;
            }
            Some(existing) => {
                for d in set.data {
                    if !existing.data.contains(&d) {
                        existing.data.push(d);
                    }
                }
            }
            None => sets.push(set),
        }
    }

    /// Keeps the lookup indexes true for a name that just got its first record set: it is no
    /// longer an empty non-terminal, its ancestors inside the zone without records become ones,
    /// and a wildcard is filed under its parent.
    fn index_new_name(&mut self, name: &str, i: usize) {
        self.empty_non_terminals.remove(name);
        if let Some(parent) = name.strip_prefix("*.") {
            self.wildcards.insert(parent.to_string(), i);
        }
        let mut ancestor = name;
        while let Some((_, parent)) = ancestor.split_once('.') {
            ancestor = parent;
            if ancestor == self.apex || !in_zone(ancestor, &self.apex) {
                break;
            }
            if self.exact.contains_key(ancestor)
                || !self.empty_non_terminals.insert(ancestor.to_string())
            {
                // An ancestor that exists already has every further ancestor indexed.
                break;
            }
        }
    }

    /// The zone's SOA as the authority section of a negative answer carries it: the TTL is the
    /// smaller of the record's TTL and its minimum field (RFC 2308 §3), the TTL resolvers cache
    /// the negative answer for.
    pub fn negative_soa(&self) -> Option<RrSet> {
        let &i = self.exact.get(self.apex.as_str())?;
        let soa = self.sets[i].iter().find(|s| s.rtype == RecordType::Soa)?;
        let minimum = soa.data.first().and_then(|d| match d {
            RData::Other(text) => text.split_whitespace().last()?.parse::<u32>().ok(),
            _ => None,
        });
        let mut out = soa.clone();
        out.ttl = minimum.map_or(soa.ttl, |m| m.min(soa.ttl));
        Some(out)
    }

    /// Number of names with records (the apex included).
    pub fn len(&self) -> usize {
        self.sets.len()
    }

    /// True when the zone has no records.
    pub fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    /// Every record set, in canonical order.
    pub fn rrsets(&self) -> impl Iterator<Item = &RrSet> {
        let order = self.order.get_or_init(|| {
            let owner = |sets: &[RrSet]| sets.first().map_or(String::new(), |s| reversed(&s.name));
            let mut keyed: Vec<(String, usize)> =
                self.sets.iter().map(|s| owner(s)).zip(0..).collect();
            keyed.sort_unstable();
            keyed.into_iter().map(|(_, i)| i).collect()
        });
        order.iter().flat_map(|&i| &self.sets[i])
    }

    /// Looks `qname` (inside this zone) up for `qtype`. Allocates nothing but the answer.
    pub fn lookup<'z>(&'z self, qname: &'z str, qtype: RecordType) -> ZoneAnswer<'z> {
        if let Some(&i) = self.exact.get(qname) {
            return Self::select(&self.sets[i], qtype, None);
        }
        // An empty non-terminal (a name with descendants but no records) exists: NODATA.
        if self.empty_non_terminals.contains(qname) {
            return ZoneAnswer::NoData;
        }
        // RFC 4592: only the wildcard child of the closest encloser (the nearest existing
        // ancestor, empty non-terminals included) can answer.
        let mut encloser = qname;
        while let Some((_, parent)) = encloser.split_once('.') {
            encloser = parent;
            if !in_zone(encloser, &self.apex) {
                break;
            }
            if encloser == self.apex
                || self.exact.contains_key(encloser)
                || self.empty_non_terminals.contains(encloser)
            {
                return match self.wildcards.get(encloser) {
                    Some(&i) => Self::select(&self.sets[i], qtype, Some(qname)),
                    None => ZoneAnswer::NxDomain,
                };
            }
        }
        ZoneAnswer::NxDomain
    }

    fn select<'z>(
        sets: &'z [RrSet],
        qtype: RecordType,
        synthesize: Option<&'z str>,
    ) -> ZoneAnswer<'z> {
        if qtype == RecordType::Any {
            return ZoneAnswer::Found(sets, synthesize);
        }
        if let Some(i) = sets
            .iter()
            .position(|s| s.rtype == qtype && !s.data.is_empty())
            .or_else(|| sets.iter().position(|s| s.rtype == RecordType::Cname))
        {
            return ZoneAnswer::Found(&sets[i..=i], synthesize);
        }
        ZoneAnswer::NoData
    }

    /// The zone as an RFC 1035 master file (starting with the apex SOA, which carries `serial`),
    /// loadable by BIND and NSD.
    pub fn to_master_file(&self, serial: u32) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "; {} — exported by vpcsim ({})",
            self.apex,
            self.describe()
        );
        let _ = writeln!(out, "$ORIGIN {}.", self.apex);
        let _ = writeln!(out, "$TTL 60");
        // The SOA first (RFC 1035 wants it at the top), then everything else in canonical order.
        let apex_soa = |s: &&RrSet| s.rtype == RecordType::Soa && *s.name == *self.apex;
        let sets = self
            .rrsets()
            .filter(apex_soa)
            .chain(self.rrsets().filter(|s| !apex_soa(s)));
        for set in sets {
            if let Some(why) = set.origin.comment() {
                let _ = writeln!(out, "; {why}");
            }
            for d in &set.data {
                let value = match (set.rtype, &set.origin) {
                    (RecordType::Soa, Origin::Infrastructure) => Self::soa_value(serial),
                    _ => d.presentation(),
                };
                let _ = writeln!(
                    out,
                    "{}.\t{}\tIN\t{}\t{value}",
                    set.name,
                    set.ttl,
                    set.rtype.as_str(),
                );
            }
        }
        out
    }

    fn describe(&self) -> &'static str {
        match self.kind {
            ZoneKind::Public => "AWS public DNS",
            ZoneKind::PrivateHosted(_) => "Route 53 private hosted zone",
            ZoneKind::PrivateDns(_) => "private DNS of an interface endpoint",
            ZoneKind::Ec2Internal(_) => "EC2 internal host names",
            ZoneKind::Site(_) => "a zone of an on-premises resolver",
            ZoneKind::Reverse(_) => "reverse lookups of a VPC's Resolver",
        }
    }
}

impl Origin {
    fn comment(&self) -> Option<String> {
        match self {
            Origin::Infrastructure => None,
            other => Some(other.to_string()),
        }
    }
}

impl RData {
    /// The value in master-file syntax.
    pub fn presentation(&self) -> String {
        match self {
            RData::A(ip) => ip.to_string(),
            RData::Aaaa(ip) => ip.to_string(),
            RData::Cname(n) => format!("{n}."),
            RData::Other(text) => text.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    fn a(name: &str, ip: [u8; 4]) -> RrSet {
        RrSet {
            name: name.into(),
            rtype: RecordType::A,
            ttl: 60,
            data: vec![RData::A(Ipv4Addr::from(ip))],
            origin: Origin::Infrastructure,
            rotate: false,
        }
    }

    #[test]
    fn exact_wildcard_empty_non_terminal_and_missing() {
        let mut z = Zone::new("example.com", ZoneKind::Public);
        z.add(a("www.example.com", [192, 0, 2, 1]));
        z.add(a("*.bucket.x.example.com", [192, 0, 2, 2]));
        assert!(matches!(
            z.lookup("www.example.com", RecordType::A),
            ZoneAnswer::Found(..)
        ));
        assert_eq!(
            z.lookup("www.example.com", RecordType::Aaaa),
            ZoneAnswer::NoData
        );
        match z.lookup("my-bucket.bucket.x.example.com", RecordType::A) {
            // A wildcard's records answer with the query's name.
            ZoneAnswer::Found(_, name) => assert_eq!(name, Some("my-bucket.bucket.x.example.com")),
            other => panic!("{other:?}"),
        }
        assert_eq!(z.lookup("x.example.com", RecordType::A), ZoneAnswer::NoData);
        assert_eq!(
            z.lookup("bucket.x.example.com", RecordType::A),
            ZoneAnswer::NoData
        );
        assert_eq!(
            z.lookup("nope.example.com", RecordType::A),
            ZoneAnswer::NxDomain
        );
        // A wildcard covers several labels (dotted bucket names)…
        assert!(matches!(
            z.lookup("a.b.bucket.x.example.com", RecordType::A),
            ZoneAnswer::Found(..)
        ));
        // …but only below its closest encloser.
        z.add(a("*.example.com", [192, 0, 2, 3]));
        assert_eq!(
            z.lookup("q.x.example.com", RecordType::A),
            ZoneAnswer::NxDomain
        );
        assert!(matches!(
            z.lookup("q.example.com", RecordType::A),
            ZoneAnswer::Found(..)
        ));
        // Every zone has SOA and NS at its apex; a topology's own record replaces them.
        assert!(matches!(
            z.lookup("example.com", RecordType::Soa),
            ZoneAnswer::Found(..)
        ));
        assert!(matches!(
            z.lookup("example.com", RecordType::Ns),
            ZoneAnswer::Found(..)
        ));
        let mut ns = a("example.com", [0, 0, 0, 0]);
        ns.rtype = RecordType::Ns;
        ns.data = vec![RData::Other("ns1.example.net.".into())];
        ns.origin = Origin::HostedZone {
            zone: vpcsim_topology::model::HostedZoneId(0),
            alias: None,
        };
        z.add(ns);
        match z.lookup("example.com", RecordType::Ns) {
            ZoneAnswer::Found(s, _) => assert_eq!(s[0].data.len(), 1),
            other => panic!("{other:?}"),
        }
        // An empty non-terminal that later gets records of its own is no longer one, whatever
        // the order the names were added in.
        z.add(a("bucket.x.example.com", [192, 0, 2, 4]));
        assert!(matches!(
            z.lookup("bucket.x.example.com", RecordType::A),
            ZoneAnswer::Found(..)
        ));
        assert_eq!(z.lookup("x.example.com", RecordType::A), ZoneAnswer::NoData);
        z.add(a("deep.er.bucket.x.example.com", [192, 0, 2, 5]));
        assert_eq!(
            z.lookup("er.bucket.x.example.com", RecordType::A),
            ZoneAnswer::NoData
        );
        // `er` is now the closest encloser of names below it: no wildcard there.
        assert_eq!(
            z.lookup("q.er.bucket.x.example.com", RecordType::A),
            ZoneAnswer::NxDomain
        );
        // The SOA of a negative answer: TTL min(SOA TTL, minimum field) (RFC 2308).
        let soa = z.negative_soa().expect("every zone has an SOA");
        assert_eq!(
            (&*soa.name, soa.rtype, soa.ttl),
            ("example.com", RecordType::Soa, 60)
        );
        let mut own = a("example.com", [0, 0, 0, 0]);
        own.rtype = RecordType::Soa;
        own.ttl = 300;
        own.data = vec![RData::Other(
            "ns1.example.net. admin.example.net. 7 1 1 1 3600".into(),
        )];
        own.origin = Origin::HostedZone {
            zone: vpcsim_topology::model::HostedZoneId(0),
            alias: None,
        };
        z.add(own);
        assert_eq!(z.negative_soa().map(|s| s.ttl), Some(300));
        assert!(in_zone("a.example.com", "example.com"));
        assert!(!in_zone("aexample.com", "example.com"));
    }
}

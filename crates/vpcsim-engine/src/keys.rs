//! A request's condition keys, worked out when a policy reads them.
//!
//! The service step does not fill a request context key by key: it keeps the few [`Facts`] every
//! key follows from (how the request arrived, through which endpoint, from which address, to which
//! bucket or access point, in which Region), and [`RequestKeys`] works out a key from them, and
//! from the trace's request, headers and principal, when a condition asks for it. A request has
//! some 20 keys and a policy reads one or two, so most are never made. The context a trace shows
//! ([`crate::Trace::context`]) is every key made by the same function ([`RequestKeys::context`]),
//! so the keys the policies saw and the keys a trace shows cannot differ.

use std::cell::OnceCell;
use std::net::IpAddr;

use vpcsim_policy::{Context, Keys, Values};
use vpcsim_topology::model::{
    AccessPointId, AccountId, AwsCaller, BucketId, EndpointId, NetworkOrigin, PrincipalId,
    PrincipalKind, RegionId,
};

use crate::{Engine, Signing, Trace};

/// The Region a request was sent to.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Region {
    /// Not known (no `aws:RequestedRegion`).
    #[default]
    Unknown,
    /// A Region of the topology (an endpoint's or an Outpost's VPC's).
    Of(RegionId),
    /// Named by the service's address or the request's host.
    Named(String),
}

/// What a request's condition keys follow from, besides the trace's request, headers, principal
/// and TLS version: set by the service step, kept in the trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Facts {
    /// The AWS service that made the request for the principal (`aws:CalledVia`).
    pub(crate) via: Option<AwsCaller>,
    /// The VPC endpoint the request went through (`aws:SourceVpce`…).
    pub(crate) endpoint: Option<EndpointId>,
    /// The client's address: its private address through an endpoint (`aws:VpcSourceIp`), its
    /// public address over the internet (`aws:SourceIp`).
    pub(crate) client_ip: Option<IpAddr>,
    /// The Region the request was sent to.
    pub(crate) region: Region,
    /// The bucket.
    pub(crate) bucket: Option<BucketId>,
    /// The access point.
    pub(crate) access_point: Option<AccessPointId>,
    /// Through an S3 on Outposts access point.
    pub(crate) outposts: bool,
    /// The S3 action (`s3:GetObject`), as S3 names it outside Outposts.
    pub(crate) action: &'static str,
}

impl Facts {
    /// The Region's name (`None` when unknown; empty for a Region the topology does not name).
    pub(crate) fn region<'s>(&'s self, eng: &'s Engine<'_>) -> Option<&'s str> {
        match &self.region {
            Region::Unknown => None,
            Region::Of(r) => Some(eng.topo.regions.get(r.index()).map_or("", |r| &r.name)),
            Region::Named(r) => Some(r),
        }
    }

    /// The access point's ARN (`arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`, or the Outposts
    /// form), when the request names one.
    pub(crate) fn access_point_arn(&self, eng: &Engine<'_>) -> Option<String> {
        let topo = eng.topo;
        let apv = &topo.access_points[self.access_point?.index()];
        let region = self.region(eng).unwrap_or_default();
        let acct = account_id(eng, apv.account);
        Some(if self.outposts {
            let o = topo.buckets[apv.bucket.index()]
                .outpost
                .map_or("", |o| topo.outposts[o.index()].aws_id.as_str());
            format!(
                "arn:aws:s3-outposts:{region}:{acct}:outpost/{o}/accesspoint/{}",
                apv.name
            )
        } else {
            format!("arn:aws:s3:{region}:{acct}:accesspoint/{}", apv.name)
        })
    }
}

/// An account's 12-digit id (empty for an account the topology does not have).
fn account_id<'e>(eng: &Engine<'e>, a: AccountId) -> &'e str {
    eng.topo
        .accounts
        .get(a.index())
        .map_or("", |a| a.id.as_str())
}

/// The resource owner's account id: the bucket's account, else (a request that names no bucket)
/// the caller's.
pub(crate) fn owner<'a>(
    eng: &'a Engine<'_>,
    bucket: Option<BucketId>,
    principal: Option<PrincipalId>,
) -> &'a str {
    match bucket {
        Some(b) => account_id(eng, eng.topo.buckets[b.index()].account),
        None => principal.map_or("", |p| eng.callers[p.index()].account.as_str()),
    }
}

/// The keys with a fixed name, in the order AWS's documentation and the trace list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    SecureTransport,
    TlsVersion,
    CalledVia,
    CalledViaFirst,
    CalledViaLast,
    ViaAwsService,
    SourceVpce,
    SourceVpc,
    VpceAccount,
    VpcSourceIp,
    SourceIp,
    PrincipalArn,
    PrincipalAccount,
    Username,
    S3ResourceAccount,
    ResourceAccount,
    AuthType,
    SignatureVersion,
    RequestedRegion,
    PrincipalOrgId,
    PrincipalOrgPaths,
    ResourceOrgId,
    ResourceOrgPaths,
    DataAccessPointArn,
    DataAccessPointAccount,
    AccessPointNetworkOrigin,
}

/// Each fixed key's name.
const KEYS: [(&str, Key); 26] = [
    ("aws:SecureTransport", Key::SecureTransport),
    ("s3:TlsVersion", Key::TlsVersion),
    ("aws:CalledVia", Key::CalledVia),
    ("aws:CalledViaFirst", Key::CalledViaFirst),
    ("aws:CalledViaLast", Key::CalledViaLast),
    ("aws:ViaAWSService", Key::ViaAwsService),
    ("aws:SourceVpce", Key::SourceVpce),
    ("aws:SourceVpc", Key::SourceVpc),
    ("aws:VpceAccount", Key::VpceAccount),
    ("aws:VpcSourceIp", Key::VpcSourceIp),
    ("aws:SourceIp", Key::SourceIp),
    ("aws:PrincipalArn", Key::PrincipalArn),
    ("aws:PrincipalAccount", Key::PrincipalAccount),
    ("aws:username", Key::Username),
    ("s3:ResourceAccount", Key::S3ResourceAccount),
    ("aws:ResourceAccount", Key::ResourceAccount),
    ("s3:authType", Key::AuthType),
    ("s3:signatureversion", Key::SignatureVersion),
    ("aws:RequestedRegion", Key::RequestedRegion),
    ("aws:PrincipalOrgID", Key::PrincipalOrgId),
    ("aws:PrincipalOrgPaths", Key::PrincipalOrgPaths),
    ("aws:ResourceOrgID", Key::ResourceOrgId),
    ("aws:ResourceOrgPaths", Key::ResourceOrgPaths),
    ("s3:DataAccessPointArn", Key::DataAccessPointArn),
    ("s3:DataAccessPointAccount", Key::DataAccessPointAccount),
    ("s3:AccessPointNetworkOrigin", Key::AccessPointNetworkOrigin),
];

/// The slots of [`INDEX`].
const SLOTS: usize = 64;

/// The slot a name starts looking in: from its length and two of its bytes, lower-cased, so that
/// names equal up to ASCII case start in the same slot.
const fn slot(name: &[u8]) -> usize {
    let n = name.len();
    if n == 0 {
        return 0;
    }
    let sig = (n as u32)
        | ((name[n - 1].to_ascii_lowercase() as u32) << 8)
        | ((name[n / 2].to_ascii_lowercase() as u32) << 16);
    (sig.wrapping_mul(0x9e37_79b1) >> 26) as usize % SLOTS
}

/// The fixed keys by name: open addressing over [`slot`], each entry a position in [`KEYS`] + 1
/// (0: empty), made at compile time. A lookup compares one or two names, not 26.
const INDEX: [u8; SLOTS] = {
    let mut index = [0u8; SLOTS];
    let mut i = 0;
    while i < KEYS.len() {
        let mut at = slot(KEYS[i].0.as_bytes());
        while index[at] != 0 {
            at = (at + 1) % SLOTS;
        }
        index[at] = i as u8 + 1;
        i += 1;
    }
    index
};

// A free slot always ends a lookup.
const _: () = assert!(KEYS.len() < SLOTS);

/// Whether two key names are equal up to ASCII case: byte for byte, a letter matching its other
/// case (policies mostly spell a key as AWS does, or differ in a letter or two: `aws:sourceVpce`).
/// Compared eight bytes at a time (the last eight overlapping), each word equal or equal once
/// its capital letters are lower-cased ([`fold`]).
fn same_name(known: &str, name: &str) -> bool {
    let (a, b) = (known.as_bytes(), name.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.eq_ignore_ascii_case(b);
    }
    let word = |s: &[u8], at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let same = |at: usize| {
        let (x, y) = (word(a, at), word(b, at));
        x == y || fold(x) == fold(y)
    };
    let mut at = 0;
    while at + 8 < n {
        if !same(at) {
            return false;
        }
        at += 8;
    }
    same(n - 8)
}

/// Eight bytes with their ASCII capitals lower-cased (others unchanged), as
/// `u8::to_ascii_lowercase` would each: no sum carries into the next byte.
fn fold(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low7 = w & !HIGH;
    // High bit of each byte: at least `A`; above `Z` (of the low seven bits).
    let at_least_a = low7 + (0x80 - u64::from(b'A')) * ONES;
    let above_z = low7 + (0x80 - u64::from(b'Z') - 1) * ONES;
    let capital = at_least_a & !above_z & !w & HIGH;
    w | (capital >> 2)
}

/// The fixed key named `name` (case-insensitively).
fn key_named(name: &str) -> Option<Key> {
    let mut at = slot(name.as_bytes());
    loop {
        let (known, key) = *KEYS.get(usize::from(INDEX[at]).checked_sub(1)?)?;
        if same_name(known, name) {
            return Some(key);
        }
        at = (at + 1) % SLOTS;
    }
}

/// An account's organization, as its keys give it: the organization's id and the path from the
/// root (`o-…/r-…/ou-…/`).
type Org<'e> = Option<(&'e str, String)>;

/// A request's condition keys, each worked out from the [`Facts`] and the trace when it is read
/// (the values that are written rather than borrowed are made once, on first reading).
#[derive(Debug)]
pub(crate) struct RequestKeys<'k, 'e> {
    eng: &'k Engine<'e>,
    facts: &'k Facts,
    /// The trace: its request, headers, principal and TLS version.
    trace: &'k Trace,
    /// The client's address, written.
    client_ip: OnceCell<String>,
    /// The access point's ARN.
    access_point_arn: OnceCell<Option<String>>,
    /// The caller's and the resource owner's organizations.
    orgs: OnceCell<(Org<'e>, Org<'e>)>,
    /// The keys named after the request's content: `aws:PrincipalTag/…`, the headers S3 reads
    /// for the action, a listing's parameters.
    named: OnceCell<Context<'static>>,
}

impl<'k, 'e> RequestKeys<'k, 'e> {
    /// The keys of the trace's request, whose service step found `facts`.
    pub(crate) fn new(eng: &'k Engine<'e>, facts: &'k Facts, trace: &'k Trace) -> Self {
        RequestKeys {
            eng,
            facts,
            trace,
            client_ip: OnceCell::new(),
            access_point_arn: OnceCell::new(),
            orgs: OnceCell::new(),
            named: OnceCell::new(),
        }
    }

    /// The resource owner's account id ([`owner`]).
    fn owner(&self) -> &'k str {
        owner(self.eng, self.facts.bucket, self.trace.principal)
    }

    /// The value of a fixed key, when the request has it.
    fn value(&self, key: Key) -> Option<&str> {
        let eng = self.eng;
        let topo = eng.topo;
        let f = self.facts;
        let endpoint = f.endpoint.map(|e| &topo.endpoints[e.index()]);
        let endpoint_vpc = endpoint.map(|e| &topo.vpcs[e.vpc.index()]);
        let caller = self.trace.principal.map(|p| &eng.callers[p.index()]);
        let access_point = f.access_point.map(|a| &topo.access_points[a.index()]);
        Some(match key {
            Key::SecureTransport => match self.trace.request.scheme == "https" {
                true => "true",
                false => "false",
            },
            Key::TlsVersion => self.trace.tls?.as_str(),
            Key::CalledVia | Key::CalledViaFirst | Key::CalledViaLast => f.via?.service_principal(),
            // A request the client makes itself: AWS always sets the key, false then
            // (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-viaawsservice>).
            Key::ViaAwsService => match f.via {
                Some(_) => "true",
                None => "false",
            },
            Key::SourceVpce => endpoint?.aws_id.as_str(),
            Key::SourceVpc => endpoint_vpc?.aws_id.as_str(),
            Key::VpceAccount => account_id(eng, endpoint_vpc?.account),
            Key::VpcSourceIp | Key::SourceIp => {
                if (key == Key::VpcSourceIp) != f.endpoint.is_some() {
                    return None;
                }
                let ip = f.client_ip?;
                self.client_ip.get_or_init(|| {
                    let mut s = String::with_capacity(15);
                    vpcsim_topology::text::push_ip(&mut s, ip);
                    s
                })
            }
            Key::PrincipalArn => caller?.arn.as_str(),
            Key::PrincipalAccount => caller?.account.as_str(),
            Key::Username => {
                let pr = &topo.principals[self.trace.principal?.index()];
                if pr.kind != PrincipalKind::User {
                    return None;
                }
                pr.name.as_str()
            }
            Key::S3ResourceAccount | Key::ResourceAccount => self.owner(),
            // How the request is signed — a presigned URL's query, the Authorization header's
            // scheme, else SigV4 in the Authorization header, as the aws CLI and SDKs sign.
            Key::AuthType => {
                self.trace.principal?;
                Signing::of(self.trace.request.query(), &self.trace.headers).auth_type()
            }
            Key::SignatureVersion => {
                self.trace.principal?;
                Signing::of(self.trace.request.query(), &self.trace.headers).version()
            }
            Key::RequestedRegion => f.region(eng).filter(|r| !r.is_empty())?,
            Key::PrincipalOrgId => self.orgs().0.as_ref()?.0,
            Key::PrincipalOrgPaths => self.orgs().0.as_ref()?.1.as_str(),
            Key::ResourceOrgId => self.orgs().1.as_ref()?.0,
            Key::ResourceOrgPaths => self.orgs().1.as_ref()?.1.as_str(),
            Key::DataAccessPointArn => self.access_point_arn()?,
            Key::DataAccessPointAccount => account_id(eng, access_point?.account),
            Key::AccessPointNetworkOrigin => match access_point?.network_origin {
                NetworkOrigin::Vpc => "VPC",
                NetworkOrigin::Internet => "Internet",
            },
        })
    }

    /// The access point's ARN, when the request names one (written once).
    pub(crate) fn access_point_arn(&self) -> Option<&str> {
        self.access_point_arn
            .get_or_init(|| self.facts.access_point_arn(self.eng))
            .as_deref()
    }

    /// The caller's and the resource owner's organizations (AWS Organizations).
    fn orgs(&self) -> &(Org<'e>, Org<'e>) {
        self.orgs.get_or_init(|| {
            let topo = self.eng.topo;
            let org = |a: Option<AccountId>| {
                let (org, path) = topo.membership(a?)?;
                Some((
                    org.aws_id.as_str(),
                    vpcsim_topology::Topology::org_path(org, &path),
                ))
            };
            let caller = self
                .trace
                .principal
                .map(|p| topo.principals[p.index()].account);
            let owner = self.facts.bucket.map(|b| topo.buckets[b.index()].account);
            (org(caller), org(owner))
        })
    }

    /// The keys named after the request's content.
    fn named(&self) -> &Context<'static> {
        self.named.get_or_init(|| {
            let topo = self.eng.topo;
            let mut ctx = Context::default();
            if let Some(p) = self.trace.principal {
                for (k, v) in &topo.principals[p.index()].tags {
                    ctx.set(format!("aws:PrincipalTag/{k}"), v.clone());
                }
            }
            let action = self.facts.action;
            // The keys S3 takes from the request's headers, for the actions that have them
            // (`s3:x-amz-server-side-encryption` on s3:PutObject…); a header given twice is one
            // value, its values joined with ", " as HTTP joins them.
            if !self.trace.headers.is_empty() {
                for key in vpcsim_policy::catalog::header_keys(action) {
                    let name = &key[3..];
                    let mut value: Option<String> = None;
                    for (_, v) in self
                        .trace
                        .headers
                        .iter()
                        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                    {
                        match &mut value {
                            Some(joined) => {
                                joined.push_str(", ");
                                joined.push_str(v);
                            }
                            None => value = Some(v.clone()),
                        }
                    }
                    if let Some(v) = value {
                        ctx.set(*key, v);
                    }
                }
            }
            // A listing's parameters, as S3 sets its keys s3:prefix, s3:delimiter and
            // s3:max-keys (present when the request gives the parameter, an empty `prefix=`
            // included).
            if matches!(action, "s3:ListBucket" | "s3:ListBucketVersions") {
                for (param, key) in [
                    ("prefix", "s3:prefix"),
                    ("delimiter", "s3:delimiter"),
                    ("max-keys", "s3:max-keys"),
                ] {
                    let value =
                        vpcsim_topology::request::query_param(self.trace.request.query(), param);
                    if let Some(v) = value {
                        let plus = v.replace('+', " ");
                        let decoded = vpcsim_topology::request::percent_decode(&plus)
                            .map_or_else(|_| v.to_string(), |d| d.into_owned());
                        ctx.set(key, decoded);
                    }
                }
            }
            ctx
        })
    }

    /// Every key the request has, as a context (what a trace shows).
    pub(crate) fn context(&self) -> Context<'static> {
        // The values are copied into the context's one buffer as they are set.
        let mut ctx = Context::new();
        for (name, key) in KEYS {
            if let Some(v) = self.value(key) {
                ctx.set(name, v);
            }
        }
        ctx.extend_from(self.named());
        ctx.into_static()
    }
}

impl Keys for RequestKeys<'_, '_> {
    fn get(&self, key: &str) -> Option<Values<'_>> {
        match key_named(key) {
            Some(k) => self.value(k).map(Values::one),
            None => self.named().get(key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vpcsim_topology::model::{Check, HostId, InstanceId, Source};

    /// Names compared a word at a time agree with a comparison byte by byte, for every pair of
    /// bytes (in each position of names of several lengths).
    #[test]
    fn same_name_agrees_with_bytes() {
        let slow = |a: &[u8], b: &[u8]| {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|(k, n)| k == n || (k ^ n == 0x20 && k.is_ascii_alphabetic()))
        };
        for len in [1usize, 7, 8, 9, 14, 16, 17, 23] {
            for at in [0, len / 2, len - 1] {
                for x in 0..=255u8 {
                    for y in [x, x ^ 0x20, x ^ 0x80, x.wrapping_add(1), b'a', b'Z', 0xc3] {
                        let mut a = vec![b'k'; len];
                        let mut b = vec![b'K'; len];
                        a[at] = x;
                        b[at] = y;
                        if let (Ok(sa), Ok(sb)) = (std::str::from_utf8(&a), std::str::from_utf8(&b))
                        {
                            assert_eq!(same_name(sa, sb), slow(&a, &b), "{a:?} {b:?}");
                        }
                    }
                }
            }
        }
        for x in 0..=255u8 {
            let w = u64::from_le_bytes([x, b'A', b'z', b'@', b'[', b'`', b'{', x ^ 0x20]);
            let want = w.to_le_bytes().map(|c| c.to_ascii_lowercase());
            assert_eq!(fold(w).to_le_bytes(), want, "{x}");
        }
    }

    /// Every fixed key is found by its name in any case, and no other name finds one.
    #[test]
    fn the_index_finds_every_key_by_name() {
        for (name, key) in KEYS {
            assert_eq!(key_named(name), Some(key), "{name}");
            assert_eq!(key_named(&name.to_ascii_uppercase()), Some(key), "{name}");
            assert_eq!(key_named(&name.to_ascii_lowercase()), Some(key), "{name}");
            assert_eq!(key_named(&name[1..]), None, "{name}");
            assert_eq!(key_named(&format!("{name}x")), None, "{name}");
        }
        for other in [
            "",
            "aws:",
            "aws:PrincipalTag/team",
            "s3:prefix",
            "aws:SourceVpcX",
            // Bytes 0x20 apart that are not letters of two cases.
            "aws\x1aSourceVpce",
            "s3\x1aauthType",
        ] {
            assert_eq!(key_named(other), None, "{other}");
        }
    }

    /// What a condition reads is what the trace shows: for every trace of the shipped topologies'
    /// and scenarios' expectations, from every host, instance and AWS service, each key of the
    /// rendered context is found by name (in any case) with the same values, and every fixed key
    /// it lacks is absent.
    #[test]
    fn conditions_read_the_keys_the_trace_shows() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files: Vec<_> = ["topologies", "tests/scenarios"]
            .iter()
            .flat_map(|d| std::fs::read_dir(root.join(d)).expect("a directory of topologies"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        files.sort();
        let mut keys_seen = std::collections::BTreeSet::new();
        let mut tags = 0;
        for path in files {
            let Some(topo) = vpcsim_topology::load(&path, &vpcsim_topology::StdFs)
                .expect("readable")
                .topology
            else {
                continue;
            };
            let eng = Engine::new(&topo);
            let net = eng.network(&[]);
            let mut requests: Vec<String> = topo
                .expectations
                .iter()
                .chain(topo.scenarios.iter().flat_map(|s| &s.expectations))
                .filter_map(|e| match &e.check {
                    Check::Request { request, .. } => Some(request.clone()),
                    _ => None,
                })
                .collect();
            requests.sort();
            requests.dedup();
            let sources = (0..topo.instances.len())
                .map(|i| Source::Instance(InstanceId(i as u32)))
                .chain((0..topo.hosts.len()).map(|h| Source::Host(HostId(h as u32))))
                .chain(AwsCaller::ALL.iter().map(|&c| Source::Service(c)));
            for source in sources {
                for r in &requests {
                    // A service calls for a principal: the topology's first.
                    let opts = crate::Options {
                        principal: matches!(source, Source::Service(_))
                            .then(|| (!topo.principals.is_empty()).then_some(PrincipalId(0))),
                        ..crate::Options::default()
                    };
                    let mut rot = vpcsim_dns::Rotation::new();
                    let Ok(mut t) = eng.trace(&net, source, "src", r, &opts, &mut rot) else {
                        continue;
                    };
                    eng.render(&mut t);
                    let Some(facts) = &t.facts else { continue };
                    let keys = RequestKeys::new(&eng, facts, &t);
                    let what = format!("{}: {r} from {source:?}", path.display());
                    for (name, values) in t.context().iter() {
                        keys_seen.insert(name.to_string());
                        tags += usize::from(name.starts_with("aws:PrincipalTag/"));
                        assert_eq!(Keys::get(&keys, name), Some(values), "{what}: {name}");
                        let upper = name.to_ascii_uppercase();
                        assert_eq!(Keys::get(&keys, &upper), Some(values), "{what}: {upper}");
                    }
                    for (name, _) in KEYS {
                        if t.context().get(name).is_none() {
                            assert_eq!(Keys::get(&keys, name), None, "{what}: {name}");
                        }
                    }
                }
            }
        }
        // Every kind of key is reached.
        for name in [
            "aws:SourceVpce",
            "aws:VpcSourceIp",
            "aws:SourceIp",
            "aws:PrincipalArn",
            "aws:CalledVia",
            "aws:PrincipalOrgPaths",
            "aws:ResourceOrgID",
            "s3:DataAccessPointArn",
            "s3:prefix",
        ] {
            assert!(keys_seen.contains(name), "no trace has {name}");
        }
        assert!(tags > 0, "no trace has a principal tag");
    }
}

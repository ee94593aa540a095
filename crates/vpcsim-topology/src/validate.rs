//! From the format to the model: resolve every reference and check every rule, reporting all
//! problems at once.
//!
//! The build runs in passes so that references can point forward in the file: names are
//! registered first (a broken entry registers its name as *poisoned*, so references to it do not
//! cause a second, confusing error), then entities are built, then cross-entity rules are checked.
//! Entities are built into a draft ([`Topology<Draft>`](Draft)), where a reference that does not
//! resolve is `None`; when no error was recorded, [`finish`] turns it into the model.
//!
//! The passes, by module: [`names`] (names first), [`vpcs`] (VPCs, route tables, subnets, and
//! their members), [`filters`] (security groups, network ACLs), [`gateways`] (NAT, Direct
//! Connect, `VPC/vgw`), [`endpoints`], [`resolver`], [`addresses`] (every interface's address),
//! [`peering`], [`routes`], [`other`] (sites and links, principals, hosted zones, buckets,
//! Outposts, expectations), [`lints`] (policy warnings).

/// Hash maps and sets of the validator: foldhash, seeded per process (names come from files).
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Component, Path};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use vpcsim_policy::{Policy, PolicyKind};
use vpcsim_syntax::{Diagnostic, Diagnostics, Entries, SourceMap, Span, Spanned, suggest, yaml};

use crate::format::{self as f, PolicyForm, PolicySource};
use crate::load::{FileError, FileSystem, Limit, not_a_policy};
use crate::model::*;
use crate::services;

/// Applies `free` to every VPC as written.
fn shed(raw: &mut f::Topology, free: impl Fn(&mut f::Vpc)) {
    let vpcs = raw.vpcs.0.iter_mut().flat_map(|v| v.0.iter_mut());
    vpcs.filter_map(|e| e.value.as_mut()).for_each(free);
}

/// Builds the model. Returns `None` when an error was recorded.
pub(crate) fn build(
    mut raw: f::Topology,
    base: &Path,
    fs: &dyn FileSystem,
    sources: &mut SourceMap,
    diags: &Diagnostics,
) -> Option<Topology> {
    let mut b = Builder {
        d: diags,
        base,
        fs,
        sources,
        t: Topology {
            name: raw
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_else(|| "topology".into()),
            description: raw.description.0.clone(),
            seed: raw.seed.unwrap_or(0),
            ..Topology::default()
        },
        names: Names::default(),
        eni_requests: Vec::new(),
        vpce_ids: HashMap::default(),
        gateway_assoc: HashMap::default(),
        gateway_tables_written: HashSet::default(),
        peer_sg_refs: Vec::new(),
    };
    b.names(&raw);
    b.regions_and_accounts(&raw);
    b.register_globals(&raw);
    b.vpcs(&raw);
    // What is written of a VPC is freed once the passes that read it are done: the model built
    // from it is about as large (docs/performance.md, "Scale").
    shed(&mut raw, |v| {
        v.subnets = Default::default();
        v.security_groups = Default::default();
        v.network_acls = Default::default();
        v.nat_gateways = Default::default();
        v.internet_gateway = Default::default();
        v.vpn_gateway = Default::default();
    });
    b.peerings(&raw);
    raw.peerings = Default::default();
    b.peer_security_groups();
    b.dx_gateways(&raw);
    b.sites_and_links(&raw);
    b.principals(&raw);
    b.principal_limits(&raw);
    b.organizations(&raw);
    b.vpc_members(&mut raw);
    b.outposts(&raw);
    b.assign_addresses();
    b.routes(&mut raw);
    raw.vpcs = Default::default();
    b.hosted_zones(&raw);
    b.buckets(&raw);
    b.expectations(&raw);
    b.lints();
    if diags.has_errors() {
        return None;
    }
    let t = b.t.finish();
    if t.is_none() {
        // Every reference that does not resolve is reported where it is written; a draft
        // without errors has none left.
        diags.push(Diagnostic::unlocated(
            "internal-error",
            "vpcsim could not resolve a reference of this topology but reported no problem; please report this",
        ));
    }
    t
}

/// A name table: `None` marks a poisoned entry (defined, but broken).
type Table<I> = HashMap<String, Option<I>>;

#[derive(Default)]
struct Names {
    regions: Table<RegionId>,
    accounts: Table<AccountId>,
    vpcs: Table<VpcId>,
    peerings: Table<PeeringId>,
    dx_gateways: Table<DxGatewayId>,
    sites: Table<SiteId>,
    links: Table<LinkId>,
    principals: Table<PrincipalId>,
    buckets: Table<BucketId>,
    /// Per VPC: subnets, route tables, security groups, endpoints, instances, NAT gateways.
    subnets: PerVpc<SubnetId>,
    route_tables: PerVpc<RouteTableId>,
    security_groups: PerVpc<SecurityGroupId>,
    endpoints: PerVpc<EndpointId>,
    instances: PerVpc<InstanceId>,
    nat_gateways: PerVpc<NatGatewayId>,
}

/// A name table for each VPC, by the VPC's id (dense: a vector, not a map).
struct PerVpc<I>(Vec<Option<Table<I>>>);

impl<I> Default for PerVpc<I> {
    fn default() -> Self {
        PerVpc(Vec::new())
    }
}

impl<I> PerVpc<I> {
    /// The table of `vpc`, once made.
    fn get(&self, vpc: &VpcId) -> Option<&Table<I>> {
        self.0.get(vpc.index()).and_then(Option::as_ref)
    }

    /// Sets the table of `vpc`.
    fn insert(&mut self, vpc: VpcId, table: Table<I>) {
        let i = vpc.index();
        if self.0.len() <= i {
            self.0.resize_with(i + 1, || None);
        }
        self.0[i] = Some(table);
    }

    /// Every VPC's table, with its VPC.
    fn iter(&self) -> impl Iterator<Item = (VpcId, &Table<I>)> {
        let tables = self.0.iter().enumerate();
        tables.filter_map(|(i, t)| Some((VpcId(i as u32), t.as_ref()?)))
    }
}

/// An empty name table with room for `n` names.
fn table_for<I>(n: usize) -> Table<I> {
    Table::with_capacity_and_hasher(n, Default::default())
}

/// What a lookup found.
enum Found<I> {
    Yes(I),
    /// Defined but broken: stay silent.
    Poisoned,
    No,
}

struct EniRequest {
    subnet: SubnetId,
    ip: Option<Spanned<String>>,
    owner: EniOwner,
    security_groups: Vec<SecurityGroupId>,
    span: Span,
    /// A stable key for deterministic allocation.
    key: String,
    /// Address must come from this pool instead of the subnet (Outposts CoIP).
    pool: Option<Ipv4Net>,
    /// An instance's interface: it gets an IPv6 address in a dual-stack subnet (`ipv6:` or
    /// allocated).
    dual_stack: bool,
    /// The `ipv6:` written for it.
    ipv6: Option<Spanned<String>>,
}

struct Builder<'a> {
    d: &'a Diagnostics,
    base: &'a Path,
    fs: &'a dyn FileSystem,
    sources: &'a mut SourceMap,
    /// The topology being built: a reference that did not resolve is `None` (reported).
    t: Topology<Draft>,
    names: Names,
    eni_requests: Vec<EniRequest>,
    vpce_ids: HashMap<String, Span>,
    /// (route table, service) → where a gateway endpoint was associated with it.
    gateway_assoc: HashMap<(RouteTableId, String), Span>,
    /// Gateway endpoints that name route tables (even ones that failed to resolve).
    gateway_tables_written: HashSet<EndpointId>,
    /// Security group rules naming a peered VPC's group (`sg/VPC/NAME`), resolved once every
    /// VPC's groups and the peerings are known.
    peer_sg_refs: Vec<PeerSgRef>,
}

/// A rule's reference to a group of another VPC, waiting for the peerings.
struct PeerSgRef {
    /// The group whose rule it is.
    sg: SecurityGroupId,
    /// An egress rule (else ingress).
    egress: bool,
    /// The rule's index.
    rule: usize,
    /// The VPC the group is in.
    vpc: Spanned<String>,
    /// The group's name.
    name: Spanned<String>,
}

fn lookup<I: Copy>(table: Option<&Table<I>>, name: &str) -> Found<I> {
    match table.and_then(|t| t.get(name)) {
        Some(Some(id)) => Found::Yes(*id),
        Some(None) => Found::Poisoned,
        None => Found::No,
    }
}

fn sorted_keys<I>(table: Option<&Table<I>>) -> Vec<&str> {
    let mut v: Vec<&str> = table
        .map(|t| t.keys().map(String::as_str).collect())
        .unwrap_or_default();
    v.sort_unstable();
    v
}

/// A deterministic 64-bit hash of a seed and some strings (FNV-1a then a splitmix finaliser): the
/// same on every machine and in every release. Everything vpcsim chooses itself derives from it.
pub fn stable_hash(seed: u64, parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for p in parts {
        for b in p.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// `PREFIX-` and the first `digits` (at most 32) hex digits of `hash` followed by `hash` rotated
/// left by 17 bits: one id for each of the thousands of resources a generated topology leaves
/// without one, so written out digit by digit rather than formatted.
fn hex_id(prefix: &str, hash: u64, digits: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let words = [hash, hash.rotate_left(17)];
    let digits = digits.min(32);
    let mut hex = [0u8; 32];
    for (i, h) in hex[..digits].iter_mut().enumerate() {
        let nibble = (words[i / 16] >> (60 - 4 * (i % 16))) & 0xf;
        *h = HEX[nibble as usize];
    }
    let mut id = String::with_capacity(prefix.len() + 1 + digits);
    id.push_str(prefix);
    id.push('-');
    id.push_str(std::str::from_utf8(&hex[..digits]).expect("hex digits are ASCII"));
    id
}

/// `s` as an IPv4 CIDR when it is written the usual way: four decimal octets without leading
/// zeros (std's parser), `/` and a prefix length of one or two digits. ipnet reads these the
/// same, and more (leading zeros, IPv6), several times slower: anything else is left to it.
fn plain_cidr4(s: &str) -> Option<IpNet> {
    let slash = s.bytes().position(|b| b == b'/')?;
    let len = match s.as_bytes()[slash + 1..] {
        [d] if d.is_ascii_digit() => d - b'0',
        [t, d] if t.is_ascii_digit() && d.is_ascii_digit() => (t - b'0') * 10 + (d - b'0'),
        _ => return None,
    };
    let net = Ipv4Net::new(plain_ipv4(&s[..slash])?, len).ok()?;
    Some(IpNet::V4(net))
}

/// `s` as std's parser reads an IPv4 address (four decimal octets of one to three digits, at
/// most 255, without leading zeros), byte by byte: the model's addresses and CIDRs are read on
/// the one thread that builds it, and std's general parser takes several times longer.
fn plain_ipv4(s: &str) -> Option<Ipv4Addr> {
    let b = s.as_bytes();
    let mut octets = [0u8; 4];
    let mut i = 0;
    for (k, o) in octets.iter_mut().enumerate() {
        if k > 0 {
            if b.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
        let start = i;
        let mut value: u16 = 0;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if i - start == 3 {
                return None;
            }
            value = value * 10 + u16::from(d - b'0');
            i += 1;
        }
        if i == start || (i - start > 1 && b[start] == b'0') {
            return None;
        }
        *o = u8::try_from(value).ok()?;
    }
    (i == b.len()).then(|| Ipv4Addr::from(octets))
}

fn is_hex(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// At most the first 40 characters of user text, for messages (an ellipsis marks the cut).
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]).into(),
        None => text.into(),
    }
}

fn normalize_domain(s: &str) -> String {
    s.trim_end_matches('.').to_ascii_lowercase()
}

impl<'a> Builder<'a> {
    // ----- reporting helpers -------------------------------------------------------------------

    fn err(&self, code: &'static str, span: Span, msg: impl Into<String>, help: impl Into<String>) {
        let help = help.into();
        let mut d = Diagnostic::error(code, span, msg);
        if !help.is_empty() {
            d = d.with_help(help);
        }
        self.d.push(d);
    }

    fn warn(
        &self,
        code: &'static str,
        span: Span,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) {
        let help = help.into();
        let mut d = Diagnostic::warning(code, span, msg);
        if !help.is_empty() {
            d = d.with_help(help);
        }
        self.d.push(d);
    }

    /// Resolves `name` in `table`; reports a dangling reference with a hint. `what` is singular
    /// ("subnet"), `scope` says where it was looked for ("in VPC shared").
    fn resolve<I: Copy>(
        &self,
        table: Option<&Table<I>>,
        name: &Spanned<String>,
        what: &str,
        scope: &str,
    ) -> Option<I> {
        match lookup(table, name.as_str()) {
            Found::Yes(id) => Some(id),
            Found::Poisoned => None,
            Found::No => {
                let keys = sorted_keys(table);
                let help = suggest::hint(name.as_str(), what, keys.iter().copied());
                self.d.push(
                    Diagnostic::error(
                        "unknown-reference",
                        name.span,
                        format!("no {what} named '{}'{scope}", name.value),
                    )
                    .with_label(format!("this {what} is not defined"))
                    .with_help(help),
                );
                None
            }
        }
    }

    fn cidr4(&self, text: &Spanned<String>) -> Option<Ipv4Net> {
        match self.cidr(text)? {
            IpNet::V4(n) => Some(n),
            IpNet::V6(_) => {
                self.err(
                    "invalid-cidr",
                    text.span,
                    format!("'{}' is an IPv6 CIDR; vpcsim models IPv4 here", text.value),
                    "use an IPv4 CIDR such as 10.0.0.0/16",
                );
                None
            }
        }
    }

    fn cidr(&self, text: &Spanned<String>) -> Option<IpNet> {
        let s = text.as_str().trim();
        match plain_cidr4(s).map_or_else(|| s.parse::<IpNet>(), Ok) {
            Ok(net) if net.trunc() == net => Some(net),
            Ok(net) => {
                self.err(
                    "invalid-cidr",
                    text.span,
                    format!("'{s}' has host bits set"),
                    format!("did you mean '{}'?", net.trunc()),
                );
                None
            }
            Err(_) => {
                let help = if s.parse::<IpAddr>().is_ok() {
                    format!("a CIDR needs a prefix length: '{s}/32' for one address")
                } else {
                    "write a CIDR as ADDRESS/LENGTH, for example 10.0.1.0/24".to_string()
                };
                self.err(
                    "invalid-cidr",
                    text.span,
                    format!("'{s}' is not a valid CIDR"),
                    help,
                );
                None
            }
        }
    }

    /// An IPv6 CIDR (`ipv6_cidr:`), with host bits clear.
    fn cidr6(&self, text: &Spanned<String>) -> Option<Ipv6Net> {
        match self.cidr(text)? {
            IpNet::V6(n) => Some(n),
            IpNet::V4(_) => {
                self.err(
                    "invalid-cidr",
                    text.span,
                    format!("'{}' is an IPv4 CIDR; `ipv6_cidr` takes IPv6", text.value),
                    "write an IPv6 CIDR such as 2600:1f18:1234:5600::/56, or put IPv4 blocks under `cidr`",
                );
                None
            }
        }
    }

    fn ip6(&self, text: &Spanned<String>) -> Option<Ipv6Addr> {
        let s = text.as_str().trim();
        match s.parse::<Ipv6Addr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                let help = if s.contains('/') {
                    "an address has no prefix length: drop the '/…'".to_string()
                } else {
                    "write an IPv6 address such as 2600:1f18:1234:5601::10".to_string()
                };
                self.err(
                    "invalid-address",
                    text.span,
                    format!("'{s}' is not a valid IPv6 address"),
                    help,
                );
                None
            }
        }
    }

    fn ip4(&self, text: &Spanned<String>) -> Option<Ipv4Addr> {
        let s = text.as_str().trim();
        match plain_ipv4(s).map_or_else(|| s.parse::<Ipv4Addr>(), Ok) {
            Ok(ip) => Some(ip),
            Err(_) => {
                let help = if s.contains('/') {
                    "an address has no prefix length: drop the '/…'".to_string()
                } else {
                    "write an IPv4 address such as 10.0.1.10".to_string()
                };
                self.err(
                    "invalid-address",
                    text.span,
                    format!("'{s}' is not a valid IPv4 address"),
                    help,
                );
                None
            }
        }
    }

    fn account(&self, text: &Spanned<String>) -> Option<AccountId> {
        let s = text.as_str();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            self.err(
                "invalid-account-id",
                text.span,
                format!("'{s}' is not an AWS account id"),
                "an account id is exactly 12 digits, such as \"111122223333\"",
            );
            return None;
        }
        self.resolve(Some(&self.names.accounts), text, "account", "")
    }

    fn policy(&mut self, src: &PolicySource, kind: PolicyKind) -> Option<Policy> {
        let spanned = &src.0;
        match &spanned.value {
            PolicyForm::Inline(node) => vpcsim_policy::parse(node, kind, self.d),
            PolicyForm::Text(text) if text.trim_start().starts_with('{') => {
                let origin = self.sources.get(spanned.span.file).map(|f| f.name.clone());
                let name = format!(
                    "{}:{} (inline JSON policy)",
                    origin.unwrap_or_default(),
                    spanned.span.line
                );
                self.parse_policy_text(name, text.clone(), kind)
            }
            PolicyForm::Text(path) => self.policy_file(path.trim(), spanned.span, kind),
        }
    }

    /// A policy written as a path: it must stay inside the topology's folder (no absolute path, no
    /// `..` out of it, no symbolic link out of it), be a regular file within [`Limit::POLICY`],
    /// and be a policy document; a file that is not one is quoted by a short excerpt only.
    fn policy_file(&mut self, path: &str, at: Span, kind: PolicyKind) -> Option<Policy> {
        let full = self.base.join(path);
        let outside = |this: &Self, why: &str| {
            this.err(
                "policy-outside-folder",
                at,
                format!("policy file '{path}' is outside the topology's folder: {why}"),
                "a policy file must be in the topology file's folder or below it; copy it there, or write the policy inline",
            );
        };
        if let Some(why) = leaves_folder(Path::new(path)) {
            outside(self, why);
            return None;
        }
        let cannot_read = |this: &Self, e: FileError| {
            this.err(
                "policy-file",
                at,
                format!("cannot read policy file '{}': {e}", full.display()),
                "policy paths are relative to the topology file; or write the policy inline",
            );
        };
        let real = match (self.fs.canonicalize(self.base), self.fs.canonicalize(&full)) {
            (Ok(base), Ok(real)) if real.starts_with(&base) => real,
            (Ok(_), Ok(_)) => {
                outside(self, "a symbolic link on the way leads out of it");
                return None;
            }
            (Err(e), _) | (_, Err(e)) => {
                cannot_read(self, e);
                return None;
            }
        };
        let text = match self.fs.read(&real, Limit::POLICY) {
            Ok(text) => text,
            Err(e) => {
                cannot_read(self, e);
                return None;
            }
        };
        if let Some(why) = not_a_policy(&text) {
            self.err(
                "not-a-policy",
                at,
                format!("policy file '{}' is not a policy document: {why}", full.display()),
                "a policy file holds one policy document in JSON (or YAML): {\"Version\": \"2012-10-17\", \"Statement\": [ … ]}",
            );
            return None;
        }
        self.parse_policy_text(full.display().to_string(), text, kind)
    }

    fn parse_policy_text(
        &mut self,
        name: String,
        text: String,
        kind: PolicyKind,
    ) -> Option<Policy> {
        let id = self.sources.add(name, text);
        let file = self.sources.get(id)?.clone();
        let node = yaml::parse(id, &file, self.d)?;
        vpcsim_policy::parse(&node, kind, self.d)
    }

    fn vpce_id(&mut self, id: &Spanned<String>) -> bool {
        let s = id.as_str();
        let ok = s
            .strip_prefix("vpce-")
            .is_some_and(|h| (h.len() == 8 || h.len() == 17) && is_hex(h));
        if !ok {
            self.err(
                "invalid-vpce-id",
                id.span,
                format!("'{s}' is not a VPC endpoint id"),
                "an endpoint id is 'vpce-' followed by 8 or 17 lowercase hex digits, such as vpce-1a2b3c4d or vpce-0a1b2c3d4e5f60718",
            );
            return false;
        }
        if let Some(first) = self.vpce_ids.get(s) {
            self.d.push(
                Diagnostic::error(
                    "duplicate-id",
                    id.span,
                    format!("endpoint id '{s}' is used twice"),
                )
                .with_related(*first, "first used here")
                .with_help("every endpoint has its own id"),
            );
            return false;
        }
        self.vpce_ids.insert(s.to_string(), id.span);
        true
    }

    fn aws_id(&self, given: Option<&Spanned<String>>, prefix: &str, key: &[&str]) -> String {
        match given {
            Some(id) => {
                let ok = id
                    .as_str()
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|h| (h.len() == 8 || h.len() == 17) && is_hex(h));
                if !ok {
                    self.err(
                        "invalid-id",
                        id.span,
                        format!("'{}' is not a valid {prefix} id", id.value),
                        format!("write '{prefix}-' followed by 8 or 17 lowercase hex digits, or leave it out to have one derived"),
                    );
                }
                id.value.clone()
            }
            None => hex_id(prefix, stable_hash(self.t.seed, key), 17),
        }
    }

    // ----- passes ------------------------------------------------------------------------------

    fn regions_and_accounts(&mut self, raw: &f::Topology) {
        for e in raw.regions.0.iter().flat_map(Entries::iter) {
            let id = RegionId(self.t.regions.len() as u32);
            let Some(r) = &e.value else {
                self.names.regions.insert(e.key.value.clone(), None);
                continue;
            };
            self.names.regions.insert(e.key.value.clone(), Some(id));
            self.region_name(&e.key);
            let mut azs: Vec<String> = Vec::new();
            for az in r.azs.iter() {
                if !vpcsim_aws::zone_in_region(az.as_str(), e.key.as_str()) {
                    self.err(
                        "az-not-in-region",
                        az.span,
                        format!(
                            "'{}' is not an Availability Zone of {}",
                            az.value, e.key.value
                        ),
                        format!(
                            "zones of {} are named {}a, {}b, …",
                            e.key.value, e.key.value, e.key.value
                        ),
                    );
                } else if azs.contains(&az.value) {
                    self.err(
                        "duplicate-id",
                        az.span,
                        format!("zone '{}' is listed twice", az.value),
                        "",
                    );
                } else {
                    azs.push(az.value.clone());
                }
            }
            self.t.regions.push(Region {
                name: e.key.value.clone(),
                azs,
                span: e.key.span,
            });
            // Prefix lists: the topology's own, else the built-in data.
            let mut overridden = HashSet::default();
            for pl in r.prefix_lists.iter() {
                let Some(v) = &pl.value else { continue };
                overridden.insert(pl.key.value.clone());
                if !v.id.as_str().starts_with("pl-") {
                    self.err(
                        "invalid-id",
                        v.id.span,
                        format!("'{}' is not a prefix list id", v.id.value),
                        "prefix list ids start with 'pl-'",
                    );
                }
                let cidrs = v.cidrs.iter().filter_map(|c| self.cidr4(c)).collect();
                self.t.prefix_lists.push(PrefixList {
                    aws_id: v.id.value.clone(),
                    region: id,
                    service: pl.key.value.clone(),
                    cidrs,
                });
            }
            for pl in services::builtin_prefix_lists(e.key.as_str()) {
                if !overridden.contains(pl.service) {
                    self.t.prefix_lists.push(PrefixList {
                        aws_id: pl.id.to_string(),
                        region: id,
                        service: pl.service.to_string(),
                        cidrs: pl.cidrs.iter().filter_map(|c| c.parse().ok()).collect(),
                    });
                }
            }
        }
        for e in raw.accounts.0.iter().flat_map(Entries::iter) {
            let s = e.key.as_str();
            if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
                self.err(
                    "invalid-account-id",
                    e.key.span,
                    format!("'{s}' is not an AWS account id"),
                    "an account id is exactly 12 digits, such as \"111122223333\"",
                );
                self.names.accounts.insert(s.to_string(), None);
                continue;
            }
            let id = AccountId(self.t.accounts.len() as u32);
            self.names.accounts.insert(s.to_string(), Some(id));
            self.t.accounts.push(Account {
                id: s.to_string(),
                name: e.value.as_ref().and_then(|a| a.name.clone()),
                span: e.key.span,
            });
        }
    }

    /// A Region's name: the shape of one (an error otherwise: names derived from it would not be
    /// AWS's), and one of the public Regions vpcsim knows (a warning otherwise: a Region opened
    /// after vpcsim's list still works, in the partition its name says).
    fn region_name(&self, key: &Spanned<String>) {
        let name = key.as_str();
        let known = || vpcsim_aws::REGIONS.iter().map(|r| r.name);
        if vpcsim_aws::Region::named(name).is_some() {
            return;
        }
        if !vpcsim_aws::looks_like_region(name) {
            let help = match suggest::closest(name, known()) {
                Some(best) => format!("did you mean '{best}'?"),
                None => "Region names look like us-east-1 or eu-central-2".to_string(),
            };
            self.err(
                "invalid-region",
                key.span,
                format!("'{}' is not a Region name", clip(name)),
                help,
            );
            return;
        }
        let partition = vpcsim_aws::Partition::of_region(name);
        let help = match suggest::closest(name, known()) {
            Some(best) => format!("did you mean '{best}'?"),
            None => format!(
                "vpcsim treats it as a Region of partition {partition} (names end in {}); check the name against AWS's Region list",
                partition.dns_suffix()
            ),
        };
        self.warn(
            "unknown-region",
            key.span,
            format!("'{name}' is not a public AWS Region vpcsim knows"),
            help,
        );
    }

    /// Registers top-level names that other entries refer to, before building anything.
    fn register_globals(&mut self, raw: &f::Topology) {
        fn reg<T, I: Copy>(table: &mut Table<I>, entries: &Entries<T>, make: impl Fn(u32) -> I) {
            let mut n = 0;
            for e in entries.iter() {
                if e.value.is_some() {
                    table.insert(e.key.value.clone(), Some(make(n)));
                    n += 1;
                } else {
                    table.insert(e.key.value.clone(), None);
                }
            }
        }
        let empty_vpcs = Entries::default();
        reg(
            &mut self.names.vpcs,
            raw.vpcs.0.as_ref().unwrap_or(&empty_vpcs),
            VpcId,
        );
        let e = Entries::default();
        reg(
            &mut self.names.peerings,
            raw.peerings.0.as_ref().unwrap_or(&e),
            PeeringId,
        );
        let e = Entries::default();
        reg(
            &mut self.names.dx_gateways,
            raw.dx_gateways.0.as_ref().unwrap_or(&e),
            DxGatewayId,
        );
        let e = Entries::default();
        reg(
            &mut self.names.sites,
            raw.onprem.0.as_ref().unwrap_or(&e),
            SiteId,
        );
        let e = Entries::default();
        reg(
            &mut self.names.links,
            raw.links.0.as_ref().unwrap_or(&e),
            LinkId,
        );
        let e = Entries::default();
        reg(
            &mut self.names.principals,
            raw.principals.0.as_ref().unwrap_or(&e),
            PrincipalId,
        );
    }
}

/// Why a relative path leads out of its folder (an absolute path, or more `..` than folders),
/// judged on the text alone.
fn leaves_folder(path: &Path) -> Option<&'static str> {
    let mut depth = 0usize;
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return Some("it is an absolute path"),
            Component::CurDir => {}
            Component::ParentDir if depth == 0 => return Some("'..' leads out of it"),
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
        }
    }
    None
}

mod addresses;
mod endpoints;
mod filters;
mod finish;
mod gateways;
mod lints;
mod names;
mod organizations;
mod other;
mod peering;
mod resolver;
mod routes;
mod vpcs;

#[cfg(test)]
mod tests {
    use super::*;

    /// The id written digit by digit is the one formatted.
    #[test]
    fn hex_ids_are_the_formatted_digits() {
        let mut hash = 0x0123_4567_89ab_cdef_u64;
        for _ in 0..1000 {
            hash = stable_hash(hash, &["next"]);
            for digits in [8, 17, 32] {
                let hex = format!("{hash:016x}{:016x}", hash.rotate_left(17));
                assert_eq!(
                    hex_id("vpc", hash, digits),
                    format!("vpc-{}", &hex[..digits])
                );
            }
        }
    }

    /// What the quick reader takes, ipnet reads the same; what it leaves, ipnet decides.
    #[test]
    fn plain_cidrs_read_as_ipnet_reads_them() {
        let taken = [
            "10.0.0.0/16",
            "0.0.0.0/0",
            "255.255.255.255/32",
            "10.1.2.3/8",
            "192.168.0.0/05",
        ];
        for s in taken {
            assert_eq!(plain_cidr4(s), s.parse::<IpNet>().ok(), "{s}");
        }
        let left = [
            "010.0.0.0/8",
            "10.0.0.0/033",
            "10.0.0.0/33",
            "10.0.0/8",
            "10.0.0.0",
            "10.0.0.0/",
            "10.0.0.0/+8",
            "256.0.0.0/8",
            " 10.0.0.0/8",
            "2600::/56",
            "10.0.0.0/8/8",
        ];
        for s in left {
            assert_eq!(plain_cidr4(s), None, "{s}");
        }
    }

    /// The quick readers against std's and ipnet's on every octet and on seeded strings of
    /// digits, dots, slashes and what else may be written around them.
    #[test]
    fn plain_addresses_read_as_std_reads_them() {
        let mut cases: Vec<String> = Vec::new();
        for o in 0..1100 {
            cases.push(format!("{o}.1.2.3"));
            cases.push(format!("1.2.3.{o}"));
            cases.push(format!("0{o}.1.2.3"));
            cases.push(format!("10.0.0.0/{}", o % 40));
            cases.push(format!("10.0.0.0/0{}", o % 40));
        }
        let alphabet = b"0123456789...//+- x:a";
        let mut seed: u64 = 0x1d2c;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 19) as usize;
            let s: String = (0..len)
                .map(|i| char::from(alphabet[((seed >> (3 * i % 60)) % 21) as usize]))
                .collect();
            cases.push(s);
        }
        for s in &cases {
            assert_eq!(plain_ipv4(s), s.parse::<Ipv4Addr>().ok(), "{s:?}");
            if let Some(net) = plain_cidr4(s) {
                assert_eq!(Ok(net), s.parse::<IpNet>(), "{s:?}");
            }
        }
        let taken = cases.iter().filter(|s| plain_ipv4(s).is_some()).count();
        assert!(taken > 500, "{taken} addresses read");
    }
}

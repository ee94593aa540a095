//! The network an importer found, in the topology format's own terms (names resolved, values as
//! the format writes them), and [`Net::to_yaml`], which writes it as a topology a person would
//! keep: names from `Name` tags with the AWS ids beside them as comments, a fixed order, the notes
//! of the import at the top, and the sections to fill in by hand (`onprem:`, `expect:`) as
//! commented stubs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde_json::Value;

/// How much a note matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something of the input that vpcsim does not model, or that was wrong and was fixed.
    Warning,
    /// What the import did that a reader should know.
    Info,
}

/// One thing the import says about its input.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Note {
    /// Warning or information.
    pub level: Level,
    /// The AWS id, logical id or address of what it is about (`rtb-0a1b…`, `aws_route.to_tgw`).
    pub id: String,
    /// What, and what was done.
    pub message: String,
}

/// What a range of the written topology came from: the entity an error there is about, which
/// [`Net::remove`] leaves out.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    /// A Region (and what is in it).
    Region(String),
    /// A Region's prefix list of a service.
    PrefixList(String, String),
    /// A VPC.
    Vpc(usize),
    /// A VPC's subnet.
    Subnet(usize, usize),
    /// A VPC's route table.
    RouteTable(usize, usize),
    /// A route of a table.
    Route(usize, usize, usize),
    /// A NAT gateway.
    Nat(usize, usize),
    /// A security group.
    SecurityGroup(usize, usize),
    /// A rule of a security group (egress?).
    SgRule(usize, usize, bool, usize),
    /// A network ACL.
    Acl(usize, usize),
    /// A rule of a network ACL (egress?).
    AclRule(usize, usize, bool, usize),
    /// An endpoint.
    Endpoint(usize, usize),
    /// An instance.
    Instance(usize, usize),
    /// A Resolver endpoint (outbound?).
    ResolverEndpoint(usize, bool),
    /// A Resolver rule.
    ResolverRule(usize, usize),
    /// A peering.
    Peering(usize),
    /// A hosted zone.
    Zone(usize),
    /// A record of a zone.
    Record(usize, usize),
    /// A bucket.
    Bucket(usize),
    /// A link (with its site).
    Link(usize),
}

impl Origin {
    /// Removal order, descending: children before their parents, higher indexes before lower.
    fn key(&self) -> (u8, usize, u8, u8, usize, u8, usize) {
        match *self {
            Origin::Region(_) | Origin::PrefixList(..) => (0, 0, 0, 0, 0, 0, 0),
            Origin::Vpc(v) => (1, v, 0, 0, 0, 0, 0),
            Origin::Subnet(v, j) => (1, v, 1, 1, j, 0, 0),
            Origin::RouteTable(v, j) => (1, v, 1, 2, j, 0, 0),
            Origin::Route(v, j, k) => (1, v, 1, 2, j, 1, k),
            Origin::Nat(v, j) => (1, v, 1, 3, j, 0, 0),
            Origin::SecurityGroup(v, j) => (1, v, 1, 4, j, 0, 0),
            Origin::SgRule(v, j, e, k) => (1, v, 1, 4, j, 1 + e as u8, k),
            Origin::Acl(v, j) => (1, v, 1, 5, j, 0, 0),
            Origin::AclRule(v, j, e, k) => (1, v, 1, 5, j, 1 + e as u8, k),
            Origin::Endpoint(v, j) => (1, v, 1, 6, j, 0, 0),
            Origin::Instance(v, j) => (1, v, 1, 7, j, 0, 0),
            Origin::ResolverEndpoint(v, out) => (1, v, 1, 8, out as usize, 0, 0),
            Origin::ResolverRule(v, j) => (1, v, 1, 9, j, 0, 0),
            Origin::Peering(i) => (2, 0, 0, 0, i, 0, 0),
            Origin::Zone(i) => (3, 0, 0, 0, i, 0, 0),
            Origin::Record(i, j) => (3, 0, 0, 0, i, 1, j),
            Origin::Bucket(i) => (4, 0, 0, 0, i, 0, 0),
            Origin::Link(i) => (5, 0, 0, 0, i, 0, 0),
        }
    }
}

/// A Region.
#[derive(Clone, Debug, Default)]
pub struct Region {
    /// Availability Zones seen.
    pub azs: BTreeSet<String>,
    /// AWS-managed prefix lists by service short name: id and CIDRs.
    pub prefix_lists: BTreeMap<String, (String, Vec<String>)>,
}

/// A security group or network ACL rule, as the format writes it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    /// ACL rule number.
    pub number: Option<u32>,
    /// `tcp`, `udp`, `icmp`, `all` or a number.
    pub protocol: String,
    /// `443`, `1024-65535`; `None`: all.
    pub ports: Option<String>,
    /// Peers (security groups: CIDRs, `sg/NAME`, `pl-…`; ACLs: one CIDR).
    pub peers: Vec<String>,
    /// ACL: `allow` or `deny`.
    pub action: Option<String>,
}

/// A security group.
#[derive(Clone, Debug, Default)]
pub struct SecurityGroup {
    /// Name in the VPC.
    pub name: String,
    /// `sg-…`.
    pub id: String,
    /// Description.
    pub description: Option<String>,
    /// Inbound rules.
    pub ingress: Vec<Rule>,
    /// Outbound rules; `None`: AWS's default (all out).
    pub egress: Option<Vec<Rule>>,
}

/// A network ACL.
#[derive(Clone, Debug, Default)]
pub struct NetworkAcl {
    /// Name in the VPC.
    pub name: String,
    /// `acl-…`.
    pub id: String,
    /// Associated subnets, by name.
    pub subnets: Vec<String>,
    /// Inbound rules.
    pub ingress: Vec<Rule>,
    /// Outbound rules.
    pub egress: Vec<Rule>,
}

/// A subnet.
#[derive(Clone, Debug, Default)]
pub struct Subnet {
    /// Name in the VPC.
    pub name: String,
    /// `subnet-…`.
    pub id: String,
    /// Availability Zone.
    pub az: String,
    /// IPv4 CIDR.
    pub cidr: String,
    /// IPv6 CIDR.
    pub ipv6_cidr: Option<String>,
    /// Its route table, when not the main one.
    pub route_table: Option<String>,
}

/// A route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Route {
    /// CIDR or prefix list id.
    pub destination: String,
    /// `igw`, `vgw`, `nat/NAME`, `peering/NAME`, `instance/NAME`.
    pub target: String,
}

/// A route table.
#[derive(Clone, Debug, Default)]
pub struct RouteTable {
    /// Name in the VPC.
    pub name: String,
    /// `rtb-…`.
    pub id: String,
    /// The VPC's main table.
    pub main: bool,
    /// Learns the VPN gateway's routes.
    pub propagate: bool,
    /// Static routes.
    pub routes: Vec<Route>,
}

/// A VPC endpoint.
#[derive(Clone, Debug, Default)]
pub struct Endpoint {
    /// Name in the VPC.
    pub name: String,
    /// `vpce-…`.
    pub id: String,
    /// `gateway` or `interface`.
    pub kind: String,
    /// `s3`, `com.amazonaws.REGION.SERVICE`…
    pub service: String,
    /// Gateway: route tables by name.
    pub route_tables: Vec<String>,
    /// Interface: subnets by name, with the ENI's address when it is known and fits.
    pub subnets: Vec<(String, Option<String>)>,
    /// Interface: security groups by name.
    pub security_groups: Vec<String>,
    /// Interface: the DNS id.
    pub dns_id: Option<String>,
    /// Interface: private DNS.
    pub private_dns: Option<bool>,
    /// Interface: private DNS only for inbound Resolver endpoints.
    pub private_dns_only_inbound: Option<bool>,
    /// The policy, when not the default full-access one.
    pub policy: Option<Value>,
}

/// An instance.
#[derive(Clone, Debug, Default)]
pub struct Instance {
    /// Name in the VPC.
    pub name: String,
    /// `i-…`.
    pub id: String,
    /// Subnet by name.
    pub subnet: String,
    /// Private address (when it fits the subnet).
    pub ip: Option<String>,
    /// Public address.
    pub public_ip: Option<String>,
    /// Security groups by name.
    pub security_groups: Vec<String>,
}

/// A NAT gateway.
#[derive(Clone, Debug, Default)]
pub struct NatGateway {
    /// Name in the VPC.
    pub name: String,
    /// `nat-…`.
    pub id: String,
    /// Subnet by name.
    pub subnet: String,
    /// Private address.
    pub ip: Option<String>,
    /// Elastic IP.
    pub public_ip: Option<String>,
}

/// A Route 53 Resolver endpoint.
#[derive(Clone, Debug, Default)]
pub struct ResolverEndpoint {
    /// `rslvr-in-…`.
    pub id: String,
    /// Subnets by name, with addresses.
    pub subnets: Vec<(String, Option<String>)>,
    /// Security groups by name.
    pub security_groups: Vec<String>,
}

/// A Resolver rule associated with a VPC.
#[derive(Clone, Debug, Default)]
pub struct ResolverRule {
    /// Name.
    pub name: String,
    /// `rslvr-rr-…`.
    pub id: String,
    /// Domain, without the final dot.
    pub domain: String,
    /// `forward` or `system`.
    pub kind: String,
    /// `IP` or `IP:PORT`.
    pub targets: Vec<String>,
}

/// A VPC.
#[derive(Clone, Debug, Default)]
pub struct Vpc {
    /// Name.
    pub name: String,
    /// `vpc-…`.
    pub id: String,
    /// Owner.
    pub account: String,
    /// Region.
    pub region: String,
    /// IPv4 blocks, primary first.
    pub cidrs: Vec<String>,
    /// IPv6 blocks.
    pub ipv6_cidrs: Vec<String>,
    /// Subnets.
    pub subnets: Vec<Subnet>,
    /// Route tables.
    pub route_tables: Vec<RouteTable>,
    /// Internet gateway id.
    pub internet_gateway: Option<String>,
    /// NAT gateways.
    pub nat_gateways: Vec<NatGateway>,
    /// VPN gateway id and ASN.
    pub vpn_gateway: Option<(String, u32)>,
    /// Security groups.
    pub security_groups: Vec<SecurityGroup>,
    /// Network ACLs.
    pub network_acls: Vec<NetworkAcl>,
    /// Endpoints.
    pub endpoints: Vec<Endpoint>,
    /// Instances.
    pub instances: Vec<Instance>,
    /// Inbound Resolver endpoint.
    pub inbound_resolver: Option<ResolverEndpoint>,
    /// Outbound Resolver endpoint.
    pub outbound_resolver: Option<ResolverEndpoint>,
    /// Resolver rules.
    pub resolver_rules: Vec<ResolverRule>,
}

/// A peering connection.
#[derive(Clone, Debug, Default)]
pub struct Peering {
    /// Name.
    pub name: String,
    /// `pcx-…`.
    pub id: String,
    /// The two VPCs by name.
    pub between: [String; 2],
}

/// A private hosted zone.
#[derive(Clone, Debug, Default)]
pub struct HostedZone {
    /// Domain, without the final dot.
    pub domain: String,
    /// Zone id.
    pub id: String,
    /// Associated VPCs by name.
    pub vpcs: Vec<String>,
    /// Records: name (relative, `@` for the apex), type, values or alias (`VPC/ENDPOINT`), TTL.
    pub records: Vec<Record>,
}

/// A record.
#[derive(Clone, Debug, Default)]
pub struct Record {
    /// Relative name, `@` for the apex.
    pub name: String,
    /// Type.
    pub kind: String,
    /// Values.
    pub values: Vec<String>,
    /// Alias to an interface endpoint, `VPC/ENDPOINT`.
    pub alias: Option<String>,
    /// TTL.
    pub ttl: Option<u64>,
}

/// A bucket.
#[derive(Clone, Debug, Default)]
pub struct Bucket {
    /// Name.
    pub name: String,
    /// Owner.
    pub account: String,
    /// Region.
    pub region: String,
    /// Bucket policy.
    pub policy: Option<Value>,
}

/// A link known from AWS's side only (a VPN connection or a Direct Connect virtual interface),
/// written as a commented stub unless the on-premises prefixes are known.
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// Name.
    pub name: String,
    /// `vpn-…` or `dxvif-…`.
    pub id: String,
    /// `vpn` or `direct_connect`.
    pub kind: String,
    /// `VPC/vgw` or `dxgw/NAME`.
    pub attach: String,
    /// `static` or `bgp` (VPN).
    pub routing: Option<String>,
    /// The customer side's ASN.
    pub asn: Option<u64>,
    /// On-premises prefixes known from AWS's side (static routes).
    pub prefixes: Vec<String>,
    /// The site it comes from (a name made from the customer gateway or connection).
    pub site: String,
    /// The AWS-side prefixes a site route would send over it.
    pub vpc_cidrs: Vec<String>,
}

/// Everything found.
#[derive(Clone, Debug, Default)]
pub struct Net {
    /// Topology name.
    pub name: String,
    /// One line on where it came from.
    pub description: String,
    /// Regions.
    pub regions: BTreeMap<String, Region>,
    /// Accounts.
    pub accounts: BTreeSet<String>,
    /// VPCs.
    pub vpcs: Vec<Vpc>,
    /// Peerings.
    pub peerings: Vec<Peering>,
    /// Links (VPN, Direct Connect).
    pub links: Vec<Link>,
    /// Private hosted zones.
    pub hosted_zones: Vec<HostedZone>,
    /// Buckets.
    pub buckets: Vec<Bucket>,
    /// What the import says.
    pub notes: Vec<Note>,
}

impl Net {
    /// Notes a warning about `id`.
    pub fn warn(&mut self, id: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            level: Level::Warning,
            id: id.into(),
            message: message.into(),
        });
    }

    /// Notes what the import did about `id`.
    pub fn info(&mut self, id: impl Into<String>, message: impl Into<String>) {
        self.notes.push(Note {
            level: Level::Info,
            id: id.into(),
            message: message.into(),
        });
    }
}

impl Net {
    /// Leaves out what `origin` names, noting `why`.
    pub fn remove(&mut self, origin: &Origin, why: &str) {
        let what: Option<(String, String)> = match origin {
            Origin::Region(r) => {
                self.regions.remove(r);
                let gone: Vec<String> = self
                    .vpcs
                    .iter()
                    .filter(|v| &v.region == r)
                    .map(|v| v.name.clone())
                    .collect();
                self.vpcs.retain(|v| &v.region != r);
                self.buckets.retain(|b| &b.region != r);
                Some((r.clone(), format!("the Region and its {} VPCs", gone.len())))
            }
            Origin::PrefixList(r, svc) => self
                .regions
                .get_mut(r)
                .and_then(|g| g.prefix_lists.remove(svc))
                .map(|(id, _)| (id, "the prefix list (vpcsim's built-in one is used)".into())),
            Origin::Vpc(v) => (*v < self.vpcs.len()).then(|| {
                let x = self.vpcs.remove(*v);
                (x.id, format!("VPC {}", x.name))
            }),
            Origin::Subnet(v, j) => take(self.vpcs.get_mut(*v).map(|x| &mut x.subnets), *j)
                .map(|x| (x.id, format!("subnet {}", x.name))),
            Origin::RouteTable(v, j) => {
                let t = take(self.vpcs.get_mut(*v).map(|x| &mut x.route_tables), *j);
                t.map(|t| {
                    for s in &mut self.vpcs[*v].subnets {
                        if s.route_table.as_deref() == Some(&t.name) {
                            s.route_table = None;
                        }
                    }
                    (t.id, format!("route table {}", t.name))
                })
            }
            Origin::Route(v, j, k) => self
                .vpcs
                .get_mut(*v)
                .and_then(|x| x.route_tables.get_mut(*j))
                .and_then(|t| {
                    let id = t.id.clone();
                    take(Some(&mut t.routes), *k)
                        .map(|r| (id, format!("route {} → {}", r.destination, r.target)))
                }),
            Origin::Nat(v, j) => take(self.vpcs.get_mut(*v).map(|x| &mut x.nat_gateways), *j)
                .map(|x| (x.id, format!("NAT gateway {}", x.name))),
            Origin::SecurityGroup(v, j) => {
                take(self.vpcs.get_mut(*v).map(|x| &mut x.security_groups), *j)
                    .map(|x| (x.id, format!("security group {}", x.name)))
            }
            Origin::SgRule(v, j, egress, k) => self
                .vpcs
                .get_mut(*v)
                .and_then(|x| x.security_groups.get_mut(*j))
                .and_then(|g| {
                    let id = g.id.clone();
                    let rules = if *egress {
                        g.egress.as_mut()
                    } else {
                        Some(&mut g.ingress)
                    };
                    take(rules, *k).map(|_| {
                        (
                            id,
                            format!(
                                "{} rule {}",
                                if *egress { "an outbound" } else { "an inbound" },
                                k + 1
                            ),
                        )
                    })
                }),
            Origin::Acl(v, j) => take(self.vpcs.get_mut(*v).map(|x| &mut x.network_acls), *j)
                .map(|x| (x.id, format!("network ACL {}", x.name))),
            Origin::AclRule(v, j, egress, k) => self
                .vpcs
                .get_mut(*v)
                .and_then(|x| x.network_acls.get_mut(*j))
                .and_then(|a| {
                    let id = a.id.clone();
                    let rules = if *egress {
                        &mut a.egress
                    } else {
                        &mut a.ingress
                    };
                    take(Some(rules), *k).map(|r| (id, format!("rule {}", r.number.unwrap_or(0))))
                }),
            Origin::Endpoint(v, j) => take(self.vpcs.get_mut(*v).map(|x| &mut x.endpoints), *j)
                .map(|x| (x.id, format!("endpoint {}", x.name))),
            Origin::Instance(v, j) => take(self.vpcs.get_mut(*v).map(|x| &mut x.instances), *j)
                .map(|x| (x.id, format!("instance {}", x.name))),
            Origin::ResolverEndpoint(v, outbound) => self.vpcs.get_mut(*v).and_then(|x| {
                let slot = if *outbound {
                    &mut x.outbound_resolver
                } else {
                    &mut x.inbound_resolver
                };
                slot.take()
                    .map(|e| (e.id, "the Resolver endpoint".to_string()))
            }),
            Origin::ResolverRule(v, j) => {
                take(self.vpcs.get_mut(*v).map(|x| &mut x.resolver_rules), *j)
                    .map(|x| (x.id, format!("Resolver rule {}", x.name)))
            }
            Origin::Peering(i) => {
                take(Some(&mut self.peerings), *i).map(|x| (x.id, format!("peering {}", x.name)))
            }
            Origin::Zone(i) => take(Some(&mut self.hosted_zones), *i)
                .map(|x| (x.id, format!("hosted zone {}", x.domain))),
            Origin::Record(i, j) => self.hosted_zones.get_mut(*i).and_then(|z| {
                let id = z.id.clone();
                take(Some(&mut z.records), *j)
                    .map(|r| (id, format!("record {} {}", r.name, r.kind)))
            }),
            Origin::Bucket(i) => take(Some(&mut self.buckets), *i)
                .map(|x| (x.name.clone(), format!("bucket {}", x.name))),
            Origin::Link(i) => {
                take(Some(&mut self.links), *i).map(|x| (x.id, format!("link {}", x.name)))
            }
        };
        if let Some((id, what)) = what {
            self.warn(id, format!("{what} left out: {why}"));
        }
    }
}

/// An error in written text: its byte offset (`None`: no place) and message.
pub type Problem = (Option<usize>, String);

fn take<T>(list: Option<&mut Vec<T>>, i: usize) -> Option<T> {
    let list = list?;
    (i < list.len()).then(|| list.remove(i))
}

/// Writes `net` as a topology that loads: each error `check` finds in the text (by byte offset) is
/// traced to the entity written there, which is left out with a warning, until none is left.
/// `check` returns the errors' offsets (`None`: no place) and messages.
pub fn settle(net: &mut Net, how: &str, check: &dyn Fn(&str) -> Vec<Problem>) -> String {
    for _ in 0..10_000 {
        let mut spans = Vec::new();
        let yaml = net.to_yaml_mapped(how, &mut spans);
        let errors = check(&yaml);
        if errors.is_empty() {
            return yaml;
        }
        let mut found: Vec<(Origin, String)> = Vec::new();
        for (at, msg) in errors {
            let origin = at.and_then(|a| {
                spans
                    .iter()
                    .filter(|(s, e, _)| *s <= a && a < *e)
                    .min_by_key(|(s, e, _)| e - s)
                    .map(|(_, _, o)| o.clone())
            });
            match origin {
                Some(o) => found.push((o, msg)),
                None => {
                    // An error nothing written by an entity explains: leave the network out.
                    net.warn(
                        "topology",
                        format!("the import does not load ({msg}): every VPC left out"),
                    );
                    net.vpcs.clear();
                    net.peerings.clear();
                    net.hosted_zones.clear();
                    net.buckets.clear();
                    net.links.clear();
                    net.regions.retain(|_, r| {
                        r.prefix_lists.clear();
                        false
                    });
                }
            }
        }
        found.sort_by(|a, b| b.0.key().cmp(&a.0.key()).then_with(|| b.0.cmp(&a.0)));
        found.dedup_by(|a, b| a.0 == b.0);
        for (o, msg) in found {
            net.remove(&o, &msg);
        }
    }
    net.to_yaml(how)
}

/// A scalar as YAML writes it: plain when that reads back as the same string, else double-quoted.
pub fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@*".contains(c))
        && s.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '/')
        && !s.starts_with('@')
        && s.parse::<f64>().is_err()
        && !s.chars().all(|c| c.is_ascii_digit() || c == '_')
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true"
                | "false"
                | "yes"
                | "no"
                | "on"
                | "off"
                | "y"
                | "n"
                | "null"
                | "~"
                | "nan"
                | "inf"
        )
        && !s.starts_with("0x")
        && !s.starts_with("0o")
        && !looks_like_date(s);
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

/// YAML 1.1 readers (PyYAML) take `2012-10-17` for a date.
fn looks_like_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && s[5..]
            .split(['-', 'T', ' '])
            .next()
            .is_some_and(|m| !m.is_empty() && m.bytes().all(|c| c.is_ascii_digit()))
}

/// The order IAM writes a policy's keys in; other keys follow alphabetically.
fn key_rank(k: &str) -> usize {
    const ORDER: [&str; 12] = [
        "Version",
        "Id",
        "Statement",
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ];
    ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len())
}

fn ordered(m: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<(&String, &Value)> = m.iter().collect();
    v.sort_by(|a, b| (key_rank(a.0), a.0).cmp(&(key_rank(b.0), b.0)));
    v
}

fn list(items: &[String]) -> String {
    let v: Vec<String> = items.iter().map(|s| scalar(s)).collect();
    format!("[{}]", v.join(", "))
}

/// A flow mapping `{ k: v, … }` of the entries with a value.
fn flow(entries: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = entries
        .iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}: {v}")))
        .collect();
    format!("{{ {} }}", parts.join(", "))
}

/// Writes a JSON value (a policy document) as block YAML at `indent`.
fn value(out: &mut String, v: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, x) in ordered(m) {
                match x {
                    Value::Object(o) if !o.is_empty() => {
                        let _ = writeln!(out, "{pad}{}:", scalar(k));
                        value(out, x, indent + 2);
                    }
                    Value::Array(a) if a.iter().any(|e| e.is_object() || e.is_array()) => {
                        let _ = writeln!(out, "{pad}{}:", scalar(k));
                        value(out, x, indent + 2);
                    }
                    _ => {
                        let _ = writeln!(out, "{pad}{}: {}", scalar(k), inline(x));
                    }
                }
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for x in a {
                match x {
                    Value::Object(o) if !o.is_empty() => {
                        // The first key on the dash's line, the rest under it.
                        let mut inner = String::new();
                        value(&mut inner, x, indent + 2);
                        let trimmed = inner.trim_start_matches(' ');
                        let _ = write!(out, "{pad}- {trimmed}");
                    }
                    _ => {
                        let _ = writeln!(out, "{pad}- {}", inline(x));
                    }
                }
            }
        }
        other => {
            let _ = writeln!(out, "{pad}{}", inline(other));
        }
    }
}

/// A JSON value on one line, as YAML flow.
fn inline(v: &Value) -> String {
    match v {
        Value::String(s) => scalar(s),
        Value::Array(a) => {
            let v: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", v.join(", "))
        }
        Value::Object(m) => {
            let v: Vec<String> = ordered(m)
                .into_iter()
                .map(|(k, x)| format!("{}: {}", scalar(k), inline(x)))
                .collect();
            format!("{{ {} }}", v.join(", "))
        }
        other => other.to_string(),
    }
}

fn rule_line(r: &Rule, peer_key: &str) -> String {
    let mut e: Vec<(&str, Option<String>)> = Vec::new();
    if let Some(n) = r.number {
        e.push(("rule", Some(n.to_string())));
    }
    e.push(("protocol", Some(scalar(&r.protocol))));
    // `443` and `1024-65535` read back as the format takes them.
    e.push(("ports", r.ports.clone()));
    let peers = match r.peers.as_slice() {
        [one] => scalar(one),
        many => list(many),
    };
    e.push((peer_key, Some(peers)));
    e.push(("action", r.action.clone()));
    flow(&e)
}

impl Net {
    /// The topology as YAML text. `how` says how it was made (the command), for the header.
    pub fn to_yaml(&self, how: &str) -> String {
        self.to_yaml_mapped(how, &mut Vec::new())
    }

    /// [`Net::to_yaml`], recording which byte range of the text each entity was written to.
    pub fn to_yaml_mapped(&self, how: &str, spans: &mut Vec<(usize, usize, Origin)>) -> String {
        let mut o = String::with_capacity(16 * 1024);
        let _ = writeln!(o, "# {} — imported by `{how}`.", self.name);
        o.push_str("# Names come from Name tags (the AWS ids are in the comments); add the on-premises side and\n");
        o.push_str("# your expectations at the end, then `vpcsim check` this file.\n");
        let mut notes = self.notes.clone();
        notes.sort();
        notes.dedup();
        if !notes.is_empty() {
            o.push_str("#\n# What the import found:\n");
            for n in &notes {
                let level = match n.level {
                    Level::Warning => "warning",
                    Level::Info => "note",
                };
                let _ = writeln!(o, "#   {level}: {}: {}", n.id, n.message.replace('\n', " "));
            }
        }
        o.push('\n');
        let _ = writeln!(o, "name: {}", scalar(&self.name));
        let _ = writeln!(o, "description: {}", scalar(&self.description));
        o.push_str("\nregions:\n");
        for (name, r) in &self.regions {
            let at = o.len();
            let azs: Vec<String> = r.azs.iter().cloned().collect();
            if r.prefix_lists.is_empty() {
                let _ = writeln!(o, "  {}: {{ azs: {} }}", scalar(name), list(&azs));
            } else {
                let _ = writeln!(o, "  {}:", scalar(name));
                let _ = writeln!(o, "    azs: {}", list(&azs));
                o.push_str("    prefix_lists:\n");
                for (svc, (id, cidrs)) in &r.prefix_lists {
                    let pl = o.len();
                    let _ = writeln!(
                        o,
                        "      {}: {{ id: {}, cidrs: {} }}",
                        scalar(svc),
                        scalar(id),
                        list(cidrs)
                    );
                    spans.push((pl, o.len(), Origin::PrefixList(name.clone(), svc.clone())));
                }
            }
            spans.push((at, o.len(), Origin::Region(name.clone())));
        }
        o.push_str("\naccounts:\n");
        for a in &self.accounts {
            let _ = writeln!(
                o,
                "  {}: {{}}",
                serde_json::to_string(a).unwrap_or_default()
            );
        }
        if !self.vpcs.is_empty() {
            o.push_str("\nvpcs:\n");
        }
        for (i, v) in self.vpcs.iter().enumerate() {
            let at = o.len();
            self.write_vpc(&mut o, i, v, spans);
            spans.push((at, o.len(), Origin::Vpc(i)));
        }
        if !self.peerings.is_empty() {
            o.push_str("\npeerings:\n");
            for (i, p) in self.peerings.iter().enumerate() {
                let at = o.len();
                let _ = writeln!(
                    o,
                    "  {}: {{ id: {}, between: {} }}",
                    scalar(&p.name),
                    scalar(&p.id),
                    list(&p.between)
                );
                spans.push((at, o.len(), Origin::Peering(i)));
            }
        }
        if !self.hosted_zones.is_empty() {
            o.push_str("\nhosted_zones:\n");
            for (zi, z) in self.hosted_zones.iter().enumerate() {
                let at = o.len();
                let _ = writeln!(o, "  {}:                    # {}", scalar(&z.domain), z.id);
                let _ = writeln!(o, "    vpcs: {}", list(&z.vpcs));
                if !z.records.is_empty() {
                    o.push_str("    records:\n");
                }
                for (ri, r) in z.records.iter().enumerate() {
                    let rec = o.len();
                    let values = match (&r.alias, r.values.as_slice()) {
                        (Some(a), _) => ("alias", scalar(a)),
                        (None, [one]) => ("values", scalar(one)),
                        (None, many) => ("values", list(many)),
                    };
                    let _ = writeln!(
                        o,
                        "      - {}",
                        flow(&[
                            ("name", Some(scalar(&r.name))),
                            ("type", Some(r.kind.clone())),
                            (values.0, Some(values.1)),
                            ("ttl", r.ttl.map(|t| t.to_string())),
                        ])
                    );
                    spans.push((rec, o.len(), Origin::Record(zi, ri)));
                }
                spans.push((at, o.len(), Origin::Zone(zi)));
            }
        }
        if !self.buckets.is_empty() {
            o.push_str("\nbuckets:\n");
            for (bi, b) in self.buckets.iter().enumerate() {
                let at = o.len();
                let _ = writeln!(o, "  {}:", scalar(&b.name));
                let _ = writeln!(
                    o,
                    "    account: {}",
                    serde_json::to_string(&b.account).unwrap_or_default()
                );
                let _ = writeln!(o, "    region: {}", scalar(&b.region));
                if let Some(p) = &b.policy {
                    o.push_str("    policy:\n");
                    value(&mut o, p, 6);
                }
                spans.push((at, o.len(), Origin::Bucket(bi)));
            }
        }
        // Links whose on-premises side is known from AWS (static routes) are written; the others
        // are stubs to complete.
        let (known, stubs): (Vec<&Link>, Vec<&Link>) =
            self.links.iter().partition(|l| !l.prefixes.is_empty());
        if !known.is_empty() {
            o.push_str("\n# On-premises sites as AWS sees them (from the links' static routes): add hosts, DNS and\n# the internet egress.\nonprem:\n");
            let mut sites: BTreeMap<&str, Vec<&Link>> = BTreeMap::new();
            for l in &known {
                sites.entry(&l.site).or_default().push(l);
            }
            for (site, links) in &sites {
                let at = o.len();
                let mut cidrs: Vec<String> =
                    links.iter().flat_map(|l| l.prefixes.clone()).collect();
                cidrs.sort();
                cidrs.dedup();
                let _ = writeln!(o, "  {}:", scalar(site));
                let _ = writeln!(o, "    cidrs: {}", list(&cidrs));
                o.push_str("    routes:\n");
                let mut dests: Vec<String> =
                    links.iter().flat_map(|l| l.vpc_cidrs.clone()).collect();
                dests.sort();
                dests.dedup();
                for d in dests {
                    let via: Vec<String> = links
                        .iter()
                        .filter(|l| l.vpc_cidrs.contains(&d))
                        .map(|l| l.name.clone())
                        .collect();
                    let _ = writeln!(
                        o,
                        "      - {{ destination: {}, via: {} }}",
                        scalar(&d),
                        list(&via)
                    );
                }
                let first = self.links.iter().position(|l| l.site == *site).unwrap_or(0);
                spans.push((at, o.len(), Origin::Link(first)));
            }
            o.push_str("\nlinks:\n");
            for l in &known {
                let at = o.len();
                self.write_link(&mut o, l, "  ");
                let i = self
                    .links
                    .iter()
                    .position(|x| std::ptr::eq(x, *l))
                    .unwrap_or(0);
                spans.push((at, o.len(), Origin::Link(i)));
            }
        }
        if !stubs.is_empty() {
            o.push_str("\n# Links AWS knows but whose on-premises side it does not (BGP learns the prefixes): fill in\n# the site's CIDRs and the prefixes it advertises, then uncomment.\n#\n# onprem:\n");
            for l in &stubs {
                let _ = writeln!(o, "#   {}:", scalar(&l.site));
                o.push_str("#     cidrs: [ON-PREMISES-CIDR]\n");
                let _ = writeln!(
                    o,
                    "#     routes: [{{ destination: {}, via: [{}] }}]",
                    l.vpc_cidrs.first().map_or("VPC-CIDR", String::as_str),
                    scalar(&l.name)
                );
            }
            o.push_str("# links:\n");
            for l in &stubs {
                let mut s = String::new();
                self.write_link(&mut s, l, "#   ");
                o.push_str(&s);
            }
        }
        o.push_str("\n# expect:\n#   - name: an instance reaches the bucket through the gateway endpoint\n#     from: VPC/INSTANCE\n#     request: GET https://BUCKET.s3.REGION.amazonaws.com/KEY\n#     verdict: allowed\n#     via: [ENDPOINT]\n");
        o
    }

    fn write_link(&self, o: &mut String, l: &Link, pad: &str) {
        let _ = writeln!(o, "{pad}{}:                # {}", scalar(&l.name), l.id);
        let _ = writeln!(o, "{pad}  type: {}", l.kind);
        let _ = writeln!(o, "{pad}  onprem: {}", scalar(&l.site));
        let _ = writeln!(o, "{pad}  attach: {}", scalar(&l.attach));
        if let Some(r) = &l.routing {
            let _ = writeln!(o, "{pad}  routing: {r}");
        }
        if let Some(a) = l.asn {
            let _ = writeln!(o, "{pad}  asn: {a}");
        }
        if l.prefixes.is_empty() {
            let _ = writeln!(o, "{pad}  advertise: [ON-PREMISES-CIDR]");
        } else {
            let _ = writeln!(o, "{pad}  advertise: {}", list(&l.prefixes));
        }
    }

    fn write_vpc(
        &self,
        o: &mut String,
        vi: usize,
        v: &Vpc,
        spans: &mut Vec<(usize, usize, Origin)>,
    ) {
        let _ = writeln!(o, "  {}:", scalar(&v.name));
        let _ = writeln!(
            o,
            "    account: {}",
            serde_json::to_string(&v.account).unwrap_or_default()
        );
        let _ = writeln!(o, "    region: {}", scalar(&v.region));
        let _ = writeln!(o, "    id: {}", scalar(&v.id));
        match v.cidrs.as_slice() {
            [one] => {
                let _ = writeln!(o, "    cidr: {}", scalar(one));
            }
            many => {
                let _ = writeln!(o, "    cidr: {}", list(many));
            }
        }
        if !v.ipv6_cidrs.is_empty() {
            let _ = writeln!(o, "    ipv6_cidr: {}", list(&v.ipv6_cidrs));
        }
        if let Some(igw) = &v.internet_gateway {
            let _ = writeln!(o, "    internet_gateway: {{ id: {} }}", scalar(igw));
        }
        if let Some((id, asn)) = &v.vpn_gateway {
            let _ = writeln!(o, "    vpn_gateway: {{ id: {}, asn: {asn} }}", scalar(id));
        }
        if !v.subnets.is_empty() {
            o.push_str("    subnets:\n");
        }
        for (j, s) in v.subnets.iter().enumerate() {
            let at = o.len();
            let _ = writeln!(
                o,
                "      {}: {}   # {}",
                scalar(&s.name),
                flow(&[
                    ("az", Some(scalar(&s.az))),
                    ("cidr", Some(scalar(&s.cidr))),
                    ("ipv6_cidr", s.ipv6_cidr.as_deref().map(scalar)),
                    ("route_table", s.route_table.as_deref().map(scalar)),
                ]),
                s.id
            );
            spans.push((at, o.len(), Origin::Subnet(vi, j)));
        }
        if !v.route_tables.is_empty() {
            o.push_str("    route_tables:\n");
        }
        for (j, t) in v.route_tables.iter().enumerate() {
            let at = o.len();
            let _ = writeln!(o, "      {}:                # {}", scalar(&t.name), t.id);
            if t.main {
                o.push_str("        main: true\n");
            }
            if t.propagate {
                o.push_str("        propagate: [vgw]\n");
            }
            if !t.routes.is_empty() {
                o.push_str("        routes:\n");
            }
            for (k, r) in t.routes.iter().enumerate() {
                let rt = o.len();
                let _ = writeln!(
                    o,
                    "          - {{ destination: {}, target: {} }}",
                    scalar(&r.destination),
                    scalar(&r.target)
                );
                spans.push((rt, o.len(), Origin::Route(vi, j, k)));
            }
            spans.push((at, o.len(), Origin::RouteTable(vi, j)));
        }
        if !v.nat_gateways.is_empty() {
            o.push_str("    nat_gateways:\n");
        }
        for (j, n) in v.nat_gateways.iter().enumerate() {
            let at = o.len();
            let _ = writeln!(
                o,
                "      {}: {}   # {}",
                scalar(&n.name),
                flow(&[
                    ("subnet", Some(scalar(&n.subnet))),
                    ("ip", n.ip.as_deref().map(scalar)),
                    ("public_ip", n.public_ip.as_deref().map(scalar)),
                ]),
                n.id
            );
            spans.push((at, o.len(), Origin::Nat(vi, j)));
        }
        if !v.security_groups.is_empty() {
            o.push_str("    security_groups:\n");
        }
        for (j, g) in v.security_groups.iter().enumerate() {
            let at = o.len();
            let _ = writeln!(o, "      {}:                # {}", scalar(&g.name), g.id);
            if let Some(d) = &g.description {
                let _ = writeln!(o, "        description: {}", scalar(d));
            }
            if g.ingress.is_empty() {
                o.push_str("        ingress: []\n");
            } else {
                o.push_str("        ingress:\n");
                for (k, r) in g.ingress.iter().enumerate() {
                    let rl = o.len();
                    let _ = writeln!(o, "          - {}", rule_line(r, "from"));
                    spans.push((rl, o.len(), Origin::SgRule(vi, j, false, k)));
                }
            }
            match &g.egress {
                None => {}
                Some(e) if e.is_empty() => o.push_str("        egress: []\n"),
                Some(e) => {
                    o.push_str("        egress:\n");
                    for (k, r) in e.iter().enumerate() {
                        let rl = o.len();
                        let _ = writeln!(o, "          - {}", rule_line(r, "to"));
                        spans.push((rl, o.len(), Origin::SgRule(vi, j, true, k)));
                    }
                }
            }
            spans.push((at, o.len(), Origin::SecurityGroup(vi, j)));
        }
        if !v.network_acls.is_empty() {
            o.push_str("    network_acls:\n");
        }
        for (j, a) in v.network_acls.iter().enumerate() {
            let at = o.len();
            let _ = writeln!(o, "      {}:                # {}", scalar(&a.name), a.id);
            let _ = writeln!(o, "        subnets: {}", list(&a.subnets));
            for (key, rules) in [("ingress", &a.ingress), ("egress", &a.egress)] {
                if rules.is_empty() {
                    let _ = writeln!(o, "        {key}: []");
                    continue;
                }
                let _ = writeln!(o, "        {key}:");
                for (k, r) in rules.iter().enumerate() {
                    let rl = o.len();
                    let _ = writeln!(o, "          - {}", rule_line(r, "cidr"));
                    spans.push((rl, o.len(), Origin::AclRule(vi, j, key == "egress", k)));
                }
            }
            spans.push((at, o.len(), Origin::Acl(vi, j)));
        }
        if !v.endpoints.is_empty() {
            o.push_str("    endpoints:\n");
        }
        for (j, e) in v.endpoints.iter().enumerate() {
            let at = o.len();
            let _ = writeln!(o, "      {}:", scalar(&e.name));
            let _ = writeln!(o, "        id: {}", scalar(&e.id));
            let _ = writeln!(o, "        type: {}", e.kind);
            let _ = writeln!(o, "        service: {}", scalar(&e.service));
            if e.kind == "gateway" {
                let _ = writeln!(o, "        route_tables: {}", list(&e.route_tables));
            } else {
                let names: Vec<String> = e.subnets.iter().map(|(s, _)| s.clone()).collect();
                let _ = writeln!(o, "        subnets: {}", list(&names));
                let addrs: Vec<(&str, Option<String>)> = e
                    .subnets
                    .iter()
                    .filter_map(|(s, a)| a.as_ref().map(|a| (s.as_str(), Some(scalar(a)))))
                    .collect();
                if !addrs.is_empty() {
                    let _ = writeln!(o, "        addresses: {}", flow(&addrs));
                }
                if !e.security_groups.is_empty() {
                    let _ = writeln!(o, "        security_groups: {}", list(&e.security_groups));
                }
                if let Some(d) = &e.dns_id {
                    let _ = writeln!(o, "        dns_id: {}", scalar(d));
                }
                if let Some(p) = e.private_dns {
                    let _ = writeln!(o, "        private_dns: {p}");
                }
                if let Some(p) = e.private_dns_only_inbound {
                    let _ = writeln!(
                        o,
                        "        private_dns_only_for_inbound_resolver_endpoint: {p}"
                    );
                }
            }
            if let Some(p) = &e.policy {
                o.push_str("        policy:\n");
                value(o, p, 10);
            }
            spans.push((at, o.len(), Origin::Endpoint(vi, j)));
        }
        if !v.instances.is_empty() {
            o.push_str("    instances:\n");
        }
        for (j, i) in v.instances.iter().enumerate() {
            let at = o.len();
            let sgs = (!i.security_groups.is_empty()).then(|| list(&i.security_groups));
            let _ = writeln!(
                o,
                "      {}: {}   # {}",
                scalar(&i.name),
                flow(&[
                    ("subnet", Some(scalar(&i.subnet))),
                    ("ip", i.ip.as_deref().map(scalar)),
                    ("public_ip", i.public_ip.as_deref().map(scalar)),
                    ("security_groups", sgs),
                ]),
                i.id
            );
            spans.push((at, o.len(), Origin::Instance(vi, j)));
        }
        if v.inbound_resolver.is_some()
            || v.outbound_resolver.is_some()
            || !v.resolver_rules.is_empty()
        {
            o.push_str("    resolver:\n");
            for (key, ep) in [
                ("inbound_endpoint", &v.inbound_resolver),
                ("outbound_endpoint", &v.outbound_resolver),
            ] {
                let Some(ep) = ep else { continue };
                let at = o.len();
                let names: Vec<String> = ep.subnets.iter().map(|(s, _)| s.clone()).collect();
                let addrs: Vec<(&str, Option<String>)> = ep
                    .subnets
                    .iter()
                    .filter_map(|(s, a)| a.as_ref().map(|a| (s.as_str(), Some(scalar(a)))))
                    .collect();
                let _ = writeln!(
                    o,
                    "      {key}: {}   # {}",
                    flow(&[
                        ("subnets", Some(list(&names))),
                        ("addresses", (!addrs.is_empty()).then(|| flow(&addrs))),
                        (
                            "security_groups",
                            (!ep.security_groups.is_empty()).then(|| list(&ep.security_groups))
                        ),
                    ]),
                    ep.id
                );
                spans.push((
                    at,
                    o.len(),
                    Origin::ResolverEndpoint(vi, key == "outbound_endpoint"),
                ));
            }
            let rules_at = o.len();
            if !v.resolver_rules.is_empty() {
                o.push_str("      rules:\n");
            }
            for (j, r) in v.resolver_rules.iter().enumerate() {
                let at = o.len();
                let _ = writeln!(
                    o,
                    "        {}: {}   # {}",
                    scalar(&r.name),
                    flow(&[
                        ("domain", Some(scalar(&r.domain))),
                        ("type", Some(r.kind.clone())),
                        ("targets", (!r.targets.is_empty()).then(|| list(&r.targets))),
                    ]),
                    r.id
                );
                spans.push((at, o.len(), Origin::ResolverRule(vi, j)));
            }
            let _ = rules_at;
        }
    }
}

/// Makes unique, valid vpcsim names (1–64 ASCII letters, digits, `-`, `_`, `.`, starting with a
/// letter or digit; not one of vpcsim's own words) from `Name` tags, falling back to the id.
#[derive(Debug, Default)]
pub struct Names {
    taken: BTreeSet<String>,
}

/// Words vpcsim keeps for itself.
const RESERVED: [&str; 7] = [
    "public",
    "all",
    "inbound",
    "anonymous",
    "igw",
    "vgw",
    "internet",
];

impl Names {
    /// A fresh namespace.
    pub fn new() -> Self {
        Self::default()
    }

    /// A name from `wanted` (a tag, maybe empty) or `id`, unique in this namespace.
    pub fn name(&mut self, wanted: Option<&str>, id: &str) -> String {
        let clean = |s: &str| -> String {
            let mut out: String = s
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            while out.contains("--") {
                out = out.replace("--", "-");
            }
            let out = out
                .trim_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string();
            out.chars().take(64).collect()
        };
        let mut base = wanted
            .map(clean)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| clean(id));
        if base.is_empty() {
            base = "unnamed".into();
        }
        if RESERVED.contains(&base.as_str()) {
            base = format!("{base}-{}", clean(id));
        }
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            let suffix = format!("-{n}");
            name = format!("{}{suffix}", &base[..base.len().min(64 - suffix.len())]);
            n += 1;
        }
        self.taken.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_are_plain_only_when_yaml_reads_them_back_as_text() {
        assert_eq!(scalar("10.0.0.0/16"), "10.0.0.0/16");
        assert_eq!(scalar("app-a"), "app-a");
        assert_eq!(scalar("123456789012"), "\"123456789012\"");
        assert_eq!(scalar("1.5"), "\"1.5\"");
        assert_eq!(scalar("yes"), "\"yes\"");
        assert_eq!(scalar("::/0"), "\"::/0\"");
        assert_eq!(scalar("a b"), "\"a b\"");
        assert_eq!(scalar("@"), "\"@\"");
        assert_eq!(scalar("2012-10-17"), "\"2012-10-17\"");
        assert_eq!(scalar("10.0.1.10"), "10.0.1.10");
        assert_eq!(scalar(""), "\"\"");
    }

    #[test]
    fn names_are_valid_and_unique() {
        let mut n = Names::new();
        assert_eq!(
            n.name(Some("Shared VPC (prod)"), "vpc-1"),
            "Shared-VPC-prod"
        );
        assert_eq!(
            n.name(Some("Shared VPC (prod)"), "vpc-2"),
            "Shared-VPC-prod-2"
        );
        assert_eq!(n.name(None, "vpc-0abc"), "vpc-0abc");
        assert_eq!(n.name(Some("public"), "vpc-9"), "public-vpc-9");
        assert_eq!(n.name(Some("  "), "subnet-1"), "subnet-1");
    }
}

//! Deriving every zone of every view from the topology.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::OnceLock;

use vpcsim_aws::{EndpointPrefix, Family, ServiceName};
use vpcsim_topology::Topology;
use vpcsim_topology::model::{Direction, EndpointId, EniId, RuleType, SiteId, VpcId};

use crate::zone::{Zone, ZoneKind};
use crate::{Origin, RData, RecordType, RrSet};

const TTL: u32 = 60;

/// What the model knows of one interface endpoint, for answers and explanations.
#[derive(Clone, Debug)]
pub(crate) struct EndpointInfo {
    pub id: EndpointId,
    pub vpce: String,
    pub dns_id: String,
    pub service: String,
    pub region: String,
    pub vpc: VpcId,
    /// (AZ, address) per ENI, in subnet order.
    pub enis: Vec<(String, Ipv4Addr)>,
}

/// A private zone and the context in which it is visible.
#[derive(Clone, Debug)]
pub(crate) struct PrivateZone {
    pub zone: Zone,
    /// Visible only to queries arriving through an inbound Resolver endpoint.
    pub inbound_only: bool,
}

/// A private zone of the model, as resolutions name it: which part of the model holds it (the
/// handle stays the same whatever was derived before it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneId {
    /// A private hosted zone (its index in the topology).
    Hosted(u32),
    /// A zone of a VPC's own (reverse lookups, an endpoint's private DNS, EC2 host names): index
    /// into the VPC's `VpcDns::own`.
    Vpc(VpcId, u32),
    /// A zone an on-premises resolver holds: index into its `SiteDns::own`.
    Site(SiteId, u32),
}

/// What a VPC's Resolver holds.
#[derive(Clone, Debug)]
pub(crate) struct VpcDns {
    /// The zones the Resolver answers from, in the order they are searched.
    pub zones: Vec<ZoneId>,
    /// The zones only this VPC's Resolver holds (`ZoneId::Vpc`).
    pub own: Vec<PrivateZone>,
    pub rules: Vec<Rule>,
    pub outbound: Vec<Ipv4Addr>,
    /// `enableDnsSupport`: the Resolver answers at all.
    pub support: bool,
}

/// A Resolver rule associated with a VPC.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub name: String,
    pub domain: String,
    /// Forward targets; `None` for a SYSTEM rule.
    pub targets: Option<Vec<(IpAddr, u16)>>,
}

/// An S3 on Outposts access point name's parts.
#[derive(Clone, Debug)]
pub(crate) struct OutpostsAp {
    pub name: String,
    pub account: String,
    pub outpost: String,
    /// The Outpost's Region.
    pub region: String,
}

/// What an on-premises resolver holds.
#[derive(Clone, Debug)]
pub(crate) struct SiteDns {
    pub name: String,
    pub resolver: Option<Ipv4Addr>,
    /// (domain, targets).
    pub forwards: Vec<(String, Vec<Ipv4Addr>)>,
    /// The zones it is authoritative for (`ZoneId::Site`).
    pub zones: Vec<ZoneId>,
    /// Those zones.
    pub own: Vec<PrivateZone>,
}

/// What the model derives from the topology in one pass to make a VPC's Resolver when it is
/// first asked: per VPC, what is associated with it.
#[derive(Clone, Debug, Default)]
struct PerVpc {
    /// The private hosted zones the VPC's Resolver answers from, in the topology's order.
    hosted: Vec<Vec<u32>>,
    /// Its interface endpoints with private DNS (indexes into `Dns::endpoints`).
    private_dns: Vec<Vec<u32>>,
    /// The network interfaces inside its blocks, in the topology's order.
    enis: Vec<Vec<EniId>>,
    /// The VPCs peered with it, in the order of the peerings.
    peers: Vec<Vec<VpcId>>,
}

/// The DNS of a whole topology: the public zone, every private zone, and each resolver's rules.
///
/// Public DNS, the on-premises resolvers and the index of DNS servers are derived at
/// [`Dns::build`]; a VPC's Resolver (its rules and its own zones: reverse lookups, endpoint private
/// DNS, EC2 host names) and each private hosted zone are derived the first time a query needs
/// them, each behind its own [`OnceLock`], from the topology alone: a query touches the views it
/// crosses, not every VPC of a large topology, and answers the same whatever was derived before.
#[derive(Clone, Debug)]
pub struct Dns<'t> {
    pub(crate) topo: &'t Topology,
    pub(crate) seed: u64,
    /// AWS's public DNS: one zone per partition suffix in use, `amazonaws.com` first.
    pub(crate) public: Vec<Zone>,
    /// Each private hosted zone, when first needed.
    hosted: Vec<OnceLock<PrivateZone>>,
    /// Each VPC's Resolver, when first needed (boxed: a VPC never asked costs a pointer).
    vpcs: Vec<OnceLock<Box<VpcDns>>>,
    /// Each VPC's named interfaces ([`Dns::named_enis`]), when first needed: by its own Resolver
    /// and by each peer's reverse zones. Made from the topology alone (never from another VPC's
    /// Resolver: two peers derived at once must not wait on each other).
    named: Vec<OnceLock<Vec<NamedEni>>>,
    per_vpc: PerVpc,
    pub(crate) sites: Vec<SiteDns>,
    pub(crate) endpoints: Vec<EndpointInfo>,
    /// The gateway endpoints (they have an id but no DNS names).
    pub(crate) gateways: Vec<EndpointId>,
    /// `vpce-…` id → index in `gateways` (`Err`) or `endpoints` (`Ok`), for explanations that
    /// must not scan every endpoint of a large topology per query.
    pub(crate) vpce_index: crate::FastMap<&'t str, Result<usize, usize>>,
    pub(crate) outposts_aps: Vec<OutpostsAp>,
    /// Regions with public names: the topology's, then those with built-in prefix lists.
    pub(crate) public_regions: Vec<String>,
    /// Which address answers DNS: inbound endpoint ENIs, site resolvers, VPC `.2` resolvers.
    pub(crate) dns_servers: crate::FastMap<IpAddr, crate::View>,
}

pub(crate) use vpcsim_topology::stable_hash as hash;

/// The public address vpcsim gives a service name family in a Region: a host address chosen from
/// the service's AWS-managed prefix list (deterministic from the seed), or a stand-in from
/// 198.18.0.0/15 when vpcsim has no published range. The topology's prefix lists come first; a
/// Region the topology does not list uses vpcsim's built-in lists
/// ([`vpcsim_topology::services::PREFIX_LISTS`]). Returns the address and the prefix list id.
pub fn public_address(
    topo: &Topology,
    service: &str,
    region: &str,
    family: &str,
) -> (Ipv4Addr, Option<String>) {
    let h = hash(topo.seed, &["public", family, region]);
    let pick = |cidrs: &[ipnet::Ipv4Net]| {
        let net = cidrs[(h % cidrs.len() as u64) as usize];
        let size = 1u64 << (32 - u32::from(net.prefix_len()));
        let offset = if size > 2 {
            1 + (h >> 16) % (size - 2)
        } else {
            0
        };
        Ipv4Addr::from((u64::from(u32::from(net.network())) + offset) as u32)
    };
    let in_topology = topo.regions.iter().any(|r| r.name == region);
    let pl = topo.prefix_lists.iter().find(|p| {
        p.service == service
            && topo
                .regions
                .get(p.region.index())
                .is_some_and(|r| r.name == region)
    });
    if let Some(pl) = pl.filter(|p| !p.cidrs.is_empty()) {
        return (pick(&pl.cidrs), Some(pl.aws_id.clone()));
    }
    if !in_topology
        && let Some(pl) =
            vpcsim_topology::services::builtin_prefix_lists(region).find(|p| p.service == service)
    {
        let cidrs: Vec<ipnet::Ipv4Net> = pl.cidrs.iter().filter_map(|c| c.parse().ok()).collect();
        if !cidrs.is_empty() {
            return (pick(&cidrs), Some(pl.id.to_string()));
        }
    }
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0));
    (Ipv4Addr::from(base + 1 + ((h >> 8) % 131_070) as u32), None)
}

/// The stand-in IPv6 address of a dual-stack name: in the documentation range 2001:db8::/32,
/// deterministic from the seed (vpcsim has no published IPv6 ranges).
pub(crate) fn public_address_v6(seed: u64, region: &str, family: &str) -> Ipv6Addr {
    let h = hash(seed, &["public-v6", family, region]);
    let word = |shift: u32| (h >> shift) as u16;
    // 2001:db8:XXXX:XXXX::XXXX, never the subnet-router anycast address.
    Ipv6Addr::new(0x2001, 0xdb8, word(48), word(32), 0, 0, 0, word(0) | 1)
}

fn aaaa_set(name: String, ip: Ipv6Addr, origin: Origin) -> RrSet {
    RrSet {
        name: name.into(),
        rtype: RecordType::Aaaa,
        ttl: TTL,
        data: vec![RData::Aaaa(ip)],
        origin,
        rotate: false,
    }
}

fn a_set(name: String, ips: &[Ipv4Addr], origin: Origin) -> RrSet {
    RrSet {
        name: name.into(),
        rtype: RecordType::A,
        ttl: TTL,
        data: ips.iter().map(|ip| RData::A(*ip)).collect(),
        origin,
        rotate: false,
    }
}

/// The private DNS zones of an interface endpoint's service: (apex, with a wildcard below it).
/// The same names are the service's public names.
pub(crate) fn private_dns_zones(service: &str, region: &str) -> Vec<(String, bool)> {
    vpcsim_aws::private_dns_names(service, region)
        .into_iter()
        .map(|(name, wildcard)| (name.render(), wildcard))
        .collect()
}

/// The public zone a name belongs to, made when it is the first of its partition's suffix.
fn public_zone<'z>(zones: &'z mut Vec<Zone>, name: &str) -> &'z mut Zone {
    let i = match zones
        .iter()
        .position(|z| crate::zone::in_zone(name, &z.apex))
    {
        Some(i) => i,
        None => {
            let apex = vpcsim_aws::Partition::ALL
                .iter()
                .map(|p| p.dns_suffix())
                .filter(|s| crate::zone::in_zone(name, s))
                .max_by_key(|s| s.len())
                .unwrap_or("amazonaws.com");
            zones.push(Zone::new(apex, ZoneKind::Public));
            zones.len() - 1
        }
    };
    &mut zones[i]
}

/// The address of a VPC's Route 53 Resolver (unspecified for a VPC without blocks).
pub(crate) fn resolver_ip(vpc: &vpcsim_topology::model::Vpc) -> Ipv4Addr {
    if vpc.cidrs.is_empty() {
        Ipv4Addr::UNSPECIFIED
    } else {
        vpc.dns_resolver_ip()
    }
}

/// The addresses of a Resolver endpoint (none without one).
pub(crate) fn endpoint_ips(
    topo: &Topology,
    ep: Option<vpcsim_topology::model::ResolverEndpointId>,
) -> Vec<Ipv4Addr> {
    ep.map(|ep| {
        topo.resolver_endpoints[ep.index()]
            .enis
            .iter()
            .map(|e| topo.enis[e.index()].ip)
            .collect()
    })
    .unwrap_or_default()
}

/// Makes the last field (a domain name) of an MX, SRV, NS or PTR value absolute.
/// A network interface's private DNS name: (address, host name, whose it is in words, the
/// instance when it is one's).
type NamedEni = (
    Ipv4Addr,
    String,
    String,
    Option<vpcsim_topology::model::InstanceId>,
);

/// `D.C.B.A.in-addr.arpa` for `A.B.C.D`.
pub(crate) fn reverse_name(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
}

/// The address of a reverse name `D.C.B.A.in-addr.arpa`, if it is one.
pub(crate) fn reverse_address(name: &str) -> Option<Ipv4Addr> {
    let body = name.strip_suffix(".in-addr.arpa")?;
    let mut o: Vec<u8> = body
        .split('.')
        .map(|l| l.parse().ok())
        .collect::<Option<_>>()?;
    if o.len() != 4 {
        return None;
    }
    o.reverse();
    Some(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
}

/// The reverse zone that covers a block, at the octet boundary at or above its prefix
/// (10.0.0.0/16 → `0.10.in-addr.arpa`; 10.0.16.0/20 too; 10.0.1.0/24 → `1.0.10.in-addr.arpa`).
fn reverse_apex(block: ipnet::Ipv4Net) -> String {
    let octets = usize::from(block.prefix_len() / 8).clamp(1, 3);
    let o = block.network().octets();
    let mut labels: Vec<String> = o[..octets].iter().map(u8::to_string).collect();
    labels.reverse();
    format!("{}.in-addr.arpa", labels.join("."))
}

/// Whose a network interface is, in words (`instance app-1`), and the instance when it is one's.
fn eni_owner(
    topo: &Topology,
    owner: vpcsim_topology::model::EniOwner,
) -> (String, Option<vpcsim_topology::model::InstanceId>) {
    use vpcsim_topology::model::EniOwner;
    match owner {
        EniOwner::Instance(i) => (
            format!("instance {}", topo.instances[i.index()].name),
            Some(i),
        ),
        EniOwner::Endpoint(e) => (
            format!("interface endpoint {}", topo.endpoints[e.index()].name),
            None,
        ),
        EniOwner::Resolver(r) => {
            let ep = &topo.resolver_endpoints[r.index()];
            let dir = match ep.direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            };
            (format!("the {dir} Resolver endpoint"), None)
        }
        EniOwner::NatGateway(n) => (
            format!("NAT gateway {}", topo.nat_gateways[n.index()].name),
            None,
        ),
        EniOwner::OutpostXeni(o, k) => (
            format!(
                "X-ENI {} of Outpost {}",
                u16::from(k) + 1,
                topo.outposts[o.index()].name
            ),
            None,
        ),
    }
}

/// A record value written in a topology, as record data: addresses parsed, CNAME targets
/// normalised, TXT quoted, the last field of MX/SRV/NS/PTR made absolute.
fn record_data(rtype: RecordType, v: &str) -> RData {
    match rtype {
        RecordType::A => v
            .parse()
            .map(RData::A)
            .unwrap_or_else(|_| RData::Other(v.to_string())),
        RecordType::Aaaa => v
            .parse()
            .map(RData::Aaaa)
            .unwrap_or_else(|_| RData::Other(v.to_string())),
        RecordType::Cname => RData::Cname(crate::normalize(v).into_owned()),
        RecordType::Txt if !v.starts_with('"') => {
            RData::Other(format!("\"{}\"", v.replace('"', "\\\"")))
        }
        RecordType::Mx | RecordType::Srv | RecordType::Ns | RecordType::Ptr => {
            RData::Other(absolute_last(v))
        }
        _ => RData::Other(v.to_string()),
    }
}

fn absolute_last(value: &str) -> String {
    let mut parts: Vec<String> = value.split_whitespace().map(str::to_string).collect();
    if let Some(last) = parts.last_mut()
        && !last.ends_with('.')
    {
        last.push('.');
    }
    parts.join(" ")
}

impl<'t> Dns<'t> {
    /// Derives public DNS and the on-premises resolvers from the topology, and what it needs to
    /// derive each VPC's Resolver and each private hosted zone when a query first needs it.
    pub fn build(topo: &'t Topology) -> Dns<'t> {
        let mut public = vec![Zone::new(
            vpcsim_aws::Partition::Aws.dns_suffix(),
            ZoneKind::Public,
        )];
        let region_name = |vpc: VpcId| {
            topo.regions
                .get(topo.vpcs[vpc.index()].region.index())
                .map_or(String::new(), |r| r.name.clone())
        };

        // Public service names of every Region: the topology's, those vpcsim has built-in
        // prefix lists for, then every other public Region of AWS's partitions (public DNS
        // answers them whatever the topology lists: a design may call any Region).
        let mut public_regions: Vec<String> = topo.regions.iter().map(|r| r.name.clone()).collect();
        let more = vpcsim_topology::services::PREFIX_LISTS
            .iter()
            .map(|pl| pl.region)
            .chain(vpcsim_aws::REGIONS.iter().map(|r| r.name));
        for region in more {
            if !public_regions.iter().any(|r| r == region) {
                public_regions.push(region.to_string());
            }
        }
        // The services the endpoints of each Region name (one pass over the endpoints, not one
        // per Region).
        let mut endpoint_services: crate::FastMap<&str, Vec<&str>> = crate::FastMap::default();
        for e in &topo.endpoints {
            if let Some(region) = topo.regions.get(topo.vpcs[e.vpc.index()].region.index()) {
                let services = endpoint_services.entry(region.name.as_str()).or_default();
                if !services.contains(&e.service.as_str()) {
                    services.push(e.service.as_str());
                }
            }
        }
        for r in &public_regions {
            let r = r.as_str();
            // One name for the Region, shared by its records' origins.
            let region: Arc<str> = r.into();
            let mut public_name =
                |name: ServiceName, wildcard: bool, service: &str, family: &'static str| {
                    let (ip, pl) = public_address(topo, service, r, family);
                    let origin = Origin::ServicePublic {
                        family,
                        region: Arc::clone(&region),
                        prefix_list: pl.map(Into::into),
                    };
                    let name = name.render();
                    let zone = public_zone(&mut public, &name);
                    if wildcard {
                        zone.add(a_set(format!("*.{name}"), &[ip], origin.clone()));
                    }
                    zone.add(a_set(name, &[ip], origin));
                };
            // S3's names (a wildcard for virtual-hosted buckets, access points, accounts).
            for (family, key) in [
                (Family::Regional, "s3"),
                (Family::DualStack, "s3-dualstack"),
                (Family::Control, "s3-control"),
                (Family::AccessPoint, "s3-accesspoint"),
                (Family::Fips, "s3-fips"),
                (Family::FipsDualStack, "s3-fips-dualstack"),
                (Family::Website, "s3-website"),
            ] {
                let name = ServiceName::new(family, "s3", r);
                if name.in_scope() {
                    public_name(name, true, "s3", key);
                }
            }
            for svc in ["s3-outposts", "dynamodb"] {
                public_name(ServiceName::new(Family::Regional, svc, r), false, svc, svc);
            }
            // Every service vpcsim knows (with or without endpoints), and any other service an
            // endpoint of this Region names.
            let mut services: Vec<&str> = vpcsim_aws::SERVICES
                .iter()
                .map(|s| s.id)
                .chain(endpoint_services.get(r).into_iter().flatten().copied())
                .filter(|s| !matches!(*s, "s3" | "dynamodb" | "s3-outposts"))
                .collect();
            services.sort_unstable();
            services.dedup();
            for svc in services {
                let names = vpcsim_aws::private_dns_names(svc, r);
                if names.is_empty() {
                    // A service without endpoints (Glacier) still has its Regional name.
                    public_name(
                        ServiceName::new(Family::Regional, svc, r),
                        false,
                        svc,
                        "service",
                    );
                }
                for (name, wildcard) in names {
                    public_name(name, wildcard, svc, "service");
                }
            }
            // S3 Control's dual-stack name (`ACCOUNT.s3-control.dualstack.REGION…`), which the
            // name families of vpcsim-aws do not parse: a record, not a family.
            {
                let suffix = vpcsim_aws::Partition::of_region(r).dns_suffix();
                let name = format!("s3-control.dualstack.{r}.{suffix}");
                let (ip, pl) = public_address(topo, "s3", r, "s3-control-dualstack");
                let origin = Origin::ServicePublic {
                    family: "s3-control-dualstack",
                    region: Arc::clone(&region),
                    prefix_list: pl.map(Into::into),
                };
                let zone = public_zone(&mut public, &name);
                zone.add(a_set(format!("*.{name}"), &[ip], origin.clone()));
                zone.add(a_set(name, &[ip], origin));
            }
            // Dual-stack names also answer AAAA (a stand-in address: vpcsim has no IPv6 ranges).
            {
                let ip = public_address_v6(topo.seed, r, "s3-dualstack");
                let origin = Origin::ServicePublicV6 {
                    family: "s3-dualstack",
                    region: Arc::clone(&region),
                };
                let name = ServiceName::new(Family::DualStack, "s3", r).render();
                let zone = public_zone(&mut public, &name);
                zone.add(aaaa_set(format!("*.{name}"), ip, origin.clone()));
                zone.add(aaaa_set(name, ip, origin));
            }
        }
        // The legacy global endpoint answers from us-east-1.
        {
            let global = ServiceName::new(Family::Global, "s3", "us-east-1");
            let (ip, pl) = public_address(topo, "s3", &global.region, "s3-global");
            let origin = Origin::ServicePublic {
                family: "s3-global",
                region: "global (us-east-1)".into(),
                prefix_list: pl.map(Into::into),
            };
            let name = global.render();
            let zone = public_zone(&mut public, &name);
            zone.add(a_set(format!("*.{name}"), &[ip], origin.clone()));
            zone.add(a_set(name, &[ip], origin));
        }

        // Global service endpoints, served from us-east-1 (AWS General Reference, "Service
        // endpoints": STS's legacy global endpoint, IAM, Route 53, CloudFront, Global
        // Accelerator; Organizations, Route 53 Domains and Support answer in us-east-1 only).
        for (name, svc) in [
            ("sts.amazonaws.com", "sts"),
            ("iam.amazonaws.com", "iam"),
            ("route53.amazonaws.com", "route53"),
            ("cloudfront.amazonaws.com", "cloudfront"),
            ("globalaccelerator.amazonaws.com", "globalaccelerator"),
            ("organizations.us-east-1.amazonaws.com", "organizations"),
            ("route53domains.us-east-1.amazonaws.com", "route53domains"),
            ("support.us-east-1.amazonaws.com", "support"),
        ] {
            let name = name.to_string();
            let (ip, _) = public_address(topo, svc, "us-east-1", svc);
            let origin = Origin::ServicePublic {
                family: svc,
                region: "global (us-east-1)".into(),
                prefix_list: None,
            };
            public_zone(&mut public, &name).add(a_set(name, &[ip], origin));
        }

        // Endpoint-specific names of every interface endpoint (resolvable from public DNS).
        let mut endpoints = Vec::new();
        let mut gateways = Vec::new();
        for (i, ep) in topo.endpoints.iter().enumerate() {
            let Some(iface) = ep.interface() else {
                gateways.push(EndpointId(i as u32));
                continue;
            };
            let id = EndpointId(i as u32);
            let region = region_name(ep.vpc);
            let enis: Vec<(String, Ipv4Addr)> = iface
                .enis
                .iter()
                .map(|e| {
                    let eni = &topo.enis[e.index()];
                    (topo.subnets[eni.subnet.index()].az.clone(), eni.ip)
                })
                .collect();
            let all: Vec<Ipv4Addr> = enis.iter().map(|(_, ip)| *ip).collect();
            let mut names: Vec<(ServiceName, Option<&str>, Vec<Ipv4Addr>)> = Vec::new();
            names.extend(ep.regional_name(&region).map(|n| (n, None, all.clone())));
            for (az, ip) in &enis {
                names.extend(
                    ep.zonal_name(&region, az)
                        .map(|n| (n, Some(az.as_str()), vec![*ip])),
                );
            }
            let vpce: Arc<str> = ep.aws_id.as_str().into();
            for (name, az, ips) in names {
                let az: Option<Arc<str>> = az.map(Into::into);
                let origin = |prefix: Option<EndpointPrefix>, wildcard| Origin::EndpointName {
                    endpoint: id,
                    vpce: Arc::clone(&vpce),
                    az: az.clone(),
                    prefix: prefix.map(EndpointPrefix::as_str),
                    wildcard,
                };
                // Route 53 returns a Regional name's addresses in varying order.
                let rotate = az.is_none();
                let set = |name: String, origin: Origin| RrSet {
                    rotate,
                    ..a_set(name, &ips, origin)
                };
                let mut add = |set: RrSet| public_zone(&mut public, &set.name).add(set);
                // bucket., accesspoint. and control. names (S3), with virtual-hosted names below.
                for prefix in EndpointPrefix::ALL {
                    let prefixed = name.clone().with_prefix(prefix);
                    if !prefixed.in_scope() {
                        continue;
                    }
                    let prefixed = prefixed.render();
                    let wildcard = format!("*.{prefixed}");
                    add(set(prefixed, origin(Some(prefix), false)));
                    add(set(wildcard, origin(Some(prefix), true)));
                }
                add(set(name.render(), origin(None, false)));
            }
            endpoints.push(EndpointInfo {
                id,
                vpce: ep.aws_id.clone(),
                dns_id: iface.dns_id.clone(),
                service: ep.service.clone(),
                region,
                vpc: ep.vpc,
                enis,
            });
        }

        // S3 on Outposts access points: four X-ENI addresses, rotated per query.
        let mut outposts_aps = Vec::new();
        for (i, o) in topo.outposts.iter().enumerate() {
            let region = region_name(o.vpc);
            let ips: Vec<Ipv4Addr> = o.xenis.iter().map(|x| topo.enis[x.index()].ip).collect();
            for ap in &o.access_points {
                let ap = &topo.access_points[ap.index()];
                let account = topo
                    .accounts
                    .get(ap.account.index())
                    .map_or("", |a| a.id.as_str());
                let name = ServiceName::outposts_access_point(
                    region.as_str(),
                    o.aws_id.as_str(),
                    vpcsim_aws::access_point_label(&ap.name, account),
                )
                .render();
                let mut set = a_set(
                    name,
                    &ips,
                    Origin::OutpostsAccessPoint {
                        outpost: vpcsim_topology::model::OutpostId(i as u32),
                        access_point: ap.name.clone(),
                    },
                );
                set.rotate = true;
                public_zone(&mut public, &set.name).add(set);
                outposts_aps.push(OutpostsAp {
                    name: ap.name.clone(),
                    account: account.to_string(),
                    outpost: o.aws_id.clone(),
                    region: region.clone(),
                });
            }
        }

        // What each VPC's Resolver will be made of, in one pass over each kind of element.
        let n = topo.vpcs.len();
        let mut per_vpc = PerVpc {
            hosted: vec![Vec::new(); n],
            private_dns: vec![Vec::new(); n],
            enis: vec![Vec::new(); n],
            peers: vec![Vec::new(); n],
        };
        // AWS answers a private hosted zone only in VPCs with DNS support and DNS hostnames
        // (validation warns about the others).
        for (i, hz) in topo.hosted_zones.iter().enumerate() {
            for v in &hz.vpcs {
                let attrs = &topo.vpcs[v.index()];
                if attrs.dns_support && attrs.dns_hostnames {
                    per_vpc.hosted[v.index()].push(i as u32);
                }
            }
        }
        for (i, info) in endpoints.iter().enumerate() {
            if topo.endpoints[info.id.index()]
                .interface()
                .is_some_and(|i| i.private_dns)
            {
                per_vpc.private_dns[info.vpc.index()].push(i as u32);
            }
        }
        // Every network interface inside its VPC's blocks has a private DNS name.
        for (i, eni) in topo.enis.iter().enumerate() {
            let vpc = topo.subnets[eni.subnet.index()].vpc;
            if topo.vpcs[vpc.index()]
                .cidrs
                .iter()
                .any(|c| c.contains(&eni.ip))
            {
                per_vpc.enis[vpc.index()].push(EniId(i as u32));
            }
        }
        // Each VPC's peers, in the order of the peerings (one pass: a VPC never scans them all).
        for p in &topo.peerings {
            let [a, b] = p.vpcs;
            for (a, b) in [(a, b), (b, a)] {
                if a != b && !per_vpc.peers[a.index()].contains(&b) {
                    per_vpc.peers[a.index()].push(b);
                }
            }
        }

        // Which address answers DNS: inbound endpoint ENIs, VPC `.2` resolvers, site resolvers.
        let mut dns_servers = crate::FastMap::default();
        for (v, vpc) in topo.vpcs.iter().enumerate() {
            if let Some(ep) = vpc.inbound_resolver {
                for e in &topo.resolver_endpoints[ep.index()].enis {
                    dns_servers.insert(
                        IpAddr::V4(topo.enis[e.index()].ip),
                        crate::View::Inbound(VpcId(v as u32)),
                    );
                }
            }
            if !vpc.cidrs.is_empty() {
                dns_servers.insert(
                    IpAddr::V4(vpc.dns_resolver_ip()),
                    crate::View::Vpc(VpcId(v as u32)),
                );
            }
        }
        let sites = topo
            .sites
            .iter()
            .enumerate()
            .map(|(s, site)| {
                let mut own = Vec::new();
                if let Some(d) = &site.dns {
                    dns_servers.insert(IpAddr::V4(d.resolver), crate::View::Site(SiteId(s as u32)));
                    for z in &d.zones {
                        let mut zone =
                            Zone::new(z.domain.clone(), ZoneKind::Site(SiteId(s as u32)));
                        for r in &z.records {
                            zone.add(RrSet {
                                name: r.name.as_str().into(),
                                rtype: r.kind,
                                ttl: r.ttl,
                                data: r.values.iter().map(|v| record_data(r.kind, v)).collect(),
                                origin: Origin::SiteZone {
                                    site: SiteId(s as u32),
                                    name: site.name.clone(),
                                },
                                rotate: false,
                            });
                        }
                        own.push(PrivateZone {
                            zone,
                            inbound_only: false,
                        });
                    }
                }
                SiteDns {
                    zones: (0..own.len())
                        .map(|k| ZoneId::Site(SiteId(s as u32), k as u32))
                        .collect(),
                    own,
                    name: site.name.clone(),
                    resolver: site.dns.as_ref().map(|d| d.resolver),
                    forwards: site
                        .dns
                        .as_ref()
                        .map(|d| {
                            d.forwards
                                .iter()
                                .map(|f| (f.domain.clone(), f.to.clone()))
                                .collect()
                        })
                        .unwrap_or_default(),
                }
            })
            .collect();
        let mut vpce_index = crate::FastMap::default();
        // The first of a (never valid) duplicate id wins, as a linear search would find it.
        for (i, g) in gateways.iter().enumerate() {
            let vpce = topo.endpoints[g.index()].aws_id.as_str();
            vpce_index.entry(vpce).or_insert(Err(i));
        }
        for (i, e) in endpoints.iter().enumerate() {
            vpce_index
                .entry(topo.endpoints[e.id.index()].aws_id.as_str())
                .or_insert(Ok(i));
        }
        Dns {
            topo,
            seed: topo.seed,
            public,
            hosted: (0..topo.hosted_zones.len())
                .map(|_| OnceLock::new())
                .collect(),
            vpcs: (0..n).map(|_| OnceLock::new()).collect(),
            named: (0..n).map(|_| OnceLock::new()).collect(),
            per_vpc,
            sites,
            endpoints,
            gateways,
            vpce_index,
            outposts_aps,
            public_regions,
            dns_servers,
        }
    }

    /// Derives every VPC's Resolver and every private hosted zone now (what a query would derive
    /// when it first needs them): for callers that will ask every view anyway.
    pub fn derive_all(&self) {
        for v in 0..self.vpcs.len() {
            let d = self.vpc_dns(VpcId(v as u32));
            for z in &d.zones {
                self.private(*z);
            }
        }
        for i in 0..self.hosted.len() {
            self.private(ZoneId::Hosted(i as u32));
        }
    }

    /// The name of a VPC's Region (empty for a VPC without one).
    pub(crate) fn region_name(&self, vpc: VpcId) -> String {
        let topo = self.topo;
        topo.regions
            .get(topo.vpcs[vpc.index()].region.index())
            .map_or(String::new(), |r| r.name.clone())
    }

    /// A VPC's Resolver, derived the first time it is needed.
    pub(crate) fn vpc_dns(&self, vpc: VpcId) -> &VpcDns {
        self.vpcs[vpc.index()].get_or_init(|| Box::new(self.derive_vpc(vpc)))
    }

    /// A private zone of the model, derived the first time it is needed.
    pub(crate) fn private(&self, id: ZoneId) -> &PrivateZone {
        match id {
            ZoneId::Hosted(i) => {
                self.hosted[i as usize].get_or_init(|| self.derive_hosted(i as usize))
            }
            ZoneId::Vpc(v, k) => &self.vpc_dns(v).own[k as usize],
            ZoneId::Site(s, k) => &self.sites[s.index()].own[k as usize],
        }
    }

    /// The private hosted zone `i`.
    fn derive_hosted(&self, i: usize) -> PrivateZone {
        let topo = self.topo;
        let hz = &topo.hosted_zones[i];
        let mut zone = Zone::new(
            hz.domain.clone(),
            ZoneKind::PrivateHosted(vpcsim_topology::model::HostedZoneId(i as u32)),
        );
        for r in &hz.records {
            let rtype = r.kind;
            let (data, alias) = match r.alias {
                Some(ep) => {
                    let e = &topo.endpoints[ep.index()];
                    // vpcsim's endpoints are IPv4-only: an AAAA alias has no data (NODATA).
                    let ips: Vec<RData> = e
                        .enis()
                        .iter()
                        .filter(|_| rtype == RecordType::A)
                        .map(|x| RData::A(topo.enis[x.index()].ip))
                        .collect();
                    // An alias names an interface endpoint (validated), which has names.
                    let name = e.regional_dns_name(&self.region_name(e.vpc));
                    (ips, name.map(|n| format!("{n} ({})", e.aws_id)))
                }
                None => (
                    r.values.iter().map(|v| record_data(rtype, v)).collect(),
                    None,
                ),
            };
            // An alias without data (AAAA to an IPv4-only endpoint) still makes the name exist:
            // queries for it get NODATA, as Route 53 answers.
            zone.add(RrSet {
                name: r.name.as_str().into(),
                rtype,
                ttl: r.ttl,
                data,
                origin: Origin::HostedZone {
                    zone: vpcsim_topology::model::HostedZoneId(i as u32),
                    alias,
                },
                rotate: false,
            });
        }
        PrivateZone {
            zone,
            inbound_only: false,
        }
    }

    /// The private DNS names of the network interfaces inside `vpc`'s blocks, `ip-A-B-C-D.` and
    /// the Region's internal domain (DescribeNetworkInterfaces' PrivateDnsName).
    fn named_enis(&self, vpc: VpcId) -> &[NamedEni] {
        self.named[vpc.index()].get_or_init(|| self.make_named_enis(vpc))
    }

    fn make_named_enis(&self, vpc: VpcId) -> Vec<NamedEni> {
        let topo = self.topo;
        let apex = vpcsim_aws::ec2_internal_domain(&self.region_name(vpc));
        self.per_vpc.enis[vpc.index()]
            .iter()
            .map(|e| {
                let eni = &topo.enis[e.index()];
                let host = format!("ip-{}.{apex}", eni.ip.to_string().replace('.', "-"));
                let (owner, instance) = eni_owner(topo, eni.owner);
                (eni.ip, host, owner, instance)
            })
            .collect()
    }

    /// What VPC `vpc`'s Resolver holds: its rules, endpoints and zones, searched in this order:
    /// reverse lookups, private hosted zones, endpoint private DNS, EC2 host names.
    fn derive_vpc(&self, id: VpcId) -> VpcDns {
        let topo = self.topo;
        let v = id.index();
        let vpc = &topo.vpcs[v];
        let mut own: Vec<PrivateZone> = Vec::new();
        let mut zones: Vec<ZoneId> = Vec::new();
        let named = self.named_enis(id);
        // Reverse lookups: the Resolver's autodefined rules for the blocks of the VPC and of the
        // VPCs peered with it, one zone per block at the octet boundary that covers it
        // (10.0.0.0/16 and 10.0.16.0/20 → 0.10.in-addr.arpa), PTR to each interface's name. They
        // come first among the VPC's zones, so a private hosted zone of the same name wins.
        // The autodefined reverse rules exist only with DNS hostnames on.
        if vpc.dns_hostnames {
            let mut connected = vec![id];
            connected.extend(self.per_vpc.peers[v].iter().copied());
            let mut reverse: Vec<Zone> = Vec::new();
            for c in &connected {
                for block in &topo.vpcs[c.index()].cidrs {
                    let apex = reverse_apex(*block);
                    if !reverse.iter().any(|z| z.apex == apex) {
                        reverse.push(Zone::new(apex, ZoneKind::Reverse(id)));
                    }
                }
            }
            for c in &connected {
                for (ip, host, owner, _) in self.named_enis(*c) {
                    let name = reverse_name(*ip);
                    let Some(zone) = reverse
                        .iter_mut()
                        .find(|z| crate::zone::in_zone(&name, &z.apex))
                    else {
                        continue;
                    };
                    zone.add(RrSet {
                        name: name.into(),
                        rtype: RecordType::Ptr,
                        ttl: TTL,
                        data: vec![RData::Other(format!("{host}."))],
                        origin: Origin::Reverse {
                            owner: owner.clone(),
                        },
                        rotate: false,
                    });
                }
            }
            for zone in reverse {
                zones.push(ZoneId::Vpc(id, own.len() as u32));
                own.push(PrivateZone {
                    zone,
                    inbound_only: false,
                });
            }
        }
        zones.extend(self.per_vpc.hosted[v].iter().map(|i| ZoneId::Hosted(*i)));
        for e in &self.per_vpc.private_dns[v] {
            let info = &self.endpoints[*e as usize];
            let inbound_only = topo.endpoints[info.id.index()]
                .interface()
                .is_some_and(|i| i.private_dns_only_for_inbound_resolver);
            let ips: Vec<Ipv4Addr> = info.enis.iter().map(|(_, ip)| *ip).collect();
            for (apex, wildcard) in private_dns_zones(&info.service, &info.region) {
                let mut zone = Zone::new(apex.clone(), ZoneKind::PrivateDns(info.id));
                let origin = Origin::PrivateDns {
                    endpoint: info.id,
                    vpce: info.vpce.as_str().into(),
                };
                zone.add(a_set(apex.clone(), &ips, origin.clone()));
                if wildcard {
                    zone.add(a_set(format!("*.{apex}"), &ips, origin));
                }
                zones.push(ZoneId::Vpc(id, own.len() as u32));
                own.push(PrivateZone { zone, inbound_only });
            }
        }
        // EC2 host names.
        let apex = vpcsim_aws::ec2_internal_domain(&self.region_name(id));
        let mut zone = Zone::new(apex, ZoneKind::Ec2Internal(id));
        for (ip, host, owner, instance) in named {
            let origin = match instance {
                Some(i) => Origin::Ec2Hostname { instance: *i },
                None => Origin::EniHostname {
                    owner: owner.clone(),
                },
            };
            zone.add(a_set(host.clone(), &[*ip], origin));
        }
        zones.push(ZoneId::Vpc(id, own.len() as u32));
        own.push(PrivateZone {
            zone,
            inbound_only: false,
        });

        // Resolver rules and endpoints.
        let rules = vpc
            .resolver_rules
            .iter()
            .map(|r| {
                let rule = &topo.resolver_rules[r.index()];
                Rule {
                    name: rule.name.clone(),
                    domain: rule.domain.clone(),
                    targets: (rule.kind == RuleType::Forward).then(|| rule.targets.clone()),
                }
            })
            .collect();
        VpcDns {
            zones,
            own,
            rules,
            outbound: endpoint_ips(topo, vpc.outbound_resolver),
            support: vpc.dns_support,
        }
    }

    /// The zones a view answers from its own data (for export): public DNS's `amazonaws.com`; a
    /// VPC's private hosted zones, endpoint private DNS zones and EC2 names (an inbound endpoint also
    /// sees the zones restricted to it); nothing for an on-premises resolver, which only forwards.
    pub fn zones(&self, view: crate::View) -> Vec<&Zone> {
        match view {
            crate::View::Public => self.public.iter().collect(),
            crate::View::Vpc(v) | crate::View::Inbound(v) => {
                let inbound = matches!(view, crate::View::Inbound(_));
                if v.index() >= self.vpcs.len() {
                    return Vec::new();
                }
                let d = self.vpc_dns(v);
                if !d.support {
                    return Vec::new();
                }
                d.zones
                    .iter()
                    .map(|z| self.private(*z))
                    .filter(|z| inbound || !z.inbound_only)
                    .map(|z| &z.zone)
                    .collect()
            }
            crate::View::Site(s) => self
                .sites
                .get(s.index())
                .map(|d| d.own.iter().map(|z| &z.zone).collect())
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_ids_map_to_host_names() {
        let apexes = |svc| -> Vec<(String, bool)> { private_dns_zones(svc, "us-east-1") };
        assert_eq!(
            apexes("ecr.api"),
            vec![("api.ecr.us-east-1.amazonaws.com".into(), false)]
        );
        assert_eq!(
            apexes("sagemaker.api"),
            vec![("api.sagemaker.us-east-1.amazonaws.com".into(), false)]
        );
        assert_eq!(
            apexes("ecr.dkr"),
            vec![("dkr.ecr.us-east-1.amazonaws.com".into(), true)]
        );
        assert_eq!(
            apexes("kinesis-streams"),
            vec![("kinesis.us-east-1.amazonaws.com".into(), false)]
        );
        assert_eq!(
            apexes("sts"),
            vec![("sts.us-east-1.amazonaws.com".into(), false)]
        );
        assert_eq!(apexes("s3").len(), 3);
    }
}

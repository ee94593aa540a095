//! Infrastructure code as resources: what a CloudFormation template or a Terraform plan declares,
//! each resource a [`Res`] of a [`Kind`] with its attributes under common names, values resolved
//! as far as the input allows. A value that points at another resource is `{"$ref": KEY}`; one the
//! input cannot tell before it is deployed is `{"$unknown": WHY}`. [`build`] turns the resources
//! into a [`Net`], the same for both sources.

use std::collections::{BTreeMap, HashMap};

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::net::{
    Bucket, Endpoint, HostedZone, Instance, Link, Names, NatGateway, Net, NetworkAcl, Peering,
    Record, ResolverEndpoint, ResolverRule, Route, RouteTable, Rule, SecurityGroup, Subnet, Vpc,
};

/// What a resource is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// `cidr`, `ipv6_cidr`, `name`.
    Vpc,
    /// `vpc`, `cidr`, `ipv6_cidr`, `az`, `name`.
    Subnet,
    /// `vpc`, `name`.
    RouteTable,
    /// `table`, `destination`, and one of `gateway`, `nat`, `peering`, `instance`, `other`.
    Route,
    /// `table`, `subnet`.
    TableAssociation,
    /// `table`, `vpc`: the VPC's main table.
    MainTable,
    /// `vpc` (when attached), `name`.
    InternetGateway,
    /// `vpc` (when attached), `asn`, `name`.
    VpnGateway,
    /// `vpc`, `gateway`: an internet or VPN gateway attached.
    GatewayAttachment,
    /// `table`, `gateway`.
    Propagation,
    /// `subnet`, `public_ip`, `private` (bool), `name`.
    NatGateway,
    /// `public_ip`.
    ElasticIp,
    /// `ip`, `asn`.
    CustomerGateway,
    /// `vpn_gateway`, `customer_gateway`, `static` (bool), `routes` (CIDRs), `name`.
    VpnConnection,
    /// A Direct Connect private virtual interface: `vpn_gateway` or `dx_gateway`, `connection`,
    /// `asn`, `name`.
    DxInterface,
    /// `vpn`, `cidr`.
    VpnRoute,
    /// `vpc`, `peer_vpc`, `name`.
    Peering,
    /// `vpc`, `name` (group name), `description`, `ingress`, `egress` (rules: `protocol`,
    /// `from_port`, `to_port`, `cidrs`, `sgs`, `prefix_lists`).
    SecurityGroup,
    /// `sg`, `egress` (bool), and a rule's fields.
    SecurityGroupRule,
    /// `vpc`, `subnets`, `entries`, `name`.
    NetworkAcl,
    /// `acl`, `number`, `protocol`, `action`, `egress`, `cidr`, `from_port`, `to_port`.
    AclEntry,
    /// `acl`, `subnet`.
    AclAssociation,
    /// `vpc`, `service`, `type`, `route_tables`, `subnets`, `sgs`, `private_dns`, `policy`, `name`.
    Endpoint,
    /// `endpoint`, `route_table` (Terraform's association resources).
    EndpointRouteTable,
    /// `endpoint`, `subnet`.
    EndpointSubnet,
    /// `subnet`, `ip`, `public_ip`, `sgs`, `name`.
    Instance,
    /// `domain`, `vpcs`.
    HostedZone,
    /// `zone`, `vpc`.
    ZoneAssociation,
    /// `zone`, `name`, `type`, `ttl`, `values`, `alias` (a DNS name or a `$ref`).
    Record,
    /// `direction`, `ips` (`subnet`, `ip`), `sgs`, `name`.
    ResolverEndpoint,
    /// `domain`, `type`, `targets` (`ip`, `port`), `endpoint`, `name`.
    ResolverRule,
    /// `rule`, `vpc`.
    ResolverRuleAssociation,
    /// `name` (bucket name).
    Bucket,
    /// `bucket`, `policy`.
    BucketPolicy,
}

/// One declared resource.
#[derive(Clone, Debug)]
pub struct Res {
    /// What it is.
    pub kind: Kind,
    /// Its key in the input: a logical id (`SharedVpc`), a Terraform address (`aws_vpc.shared`).
    pub key: String,
    /// Attributes by common name.
    pub attrs: BTreeMap<String, Value>,
}

/// A reference to the resource `key`.
pub fn reference(key: &str) -> Value {
    json!({ "$ref": key })
}

/// A value the input does not know: `why`.
pub fn unknown(why: impl Into<String>) -> Value {
    json!({ "$unknown": why.into() })
}

/// The resource a value points at.
pub fn ref_of(v: &Value) -> Option<&str> {
    v.get("$ref").and_then(Value::as_str)
}

/// Why a value is unknown.
pub fn unknown_of(v: &Value) -> Option<&str> {
    v.get("$unknown").and_then(Value::as_str)
}

/// A plain string (not a reference, not unknown).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other.clone()],
    }
}

fn boolean(v: Option<&Value>) -> Option<bool> {
    match v? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A stable id of AWS's shape for a resource deployed later: `PREFIX-` and 17 hex digits from
/// the resource's key (FNV-1a), the same on every run.
pub fn planned_id(prefix: &str, key: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    let mut h2 = h ^ 0x9e3779b97f4a7c15;
    h2 = h2.wrapping_mul(0xff51afd7ed558ccd);
    format!("{prefix}-{:016x}{:x}", h, (h2 >> 60) & 0xf)
}

fn inside(ip: &str, cidr: &str) -> bool {
    match (ip.parse::<std::net::IpAddr>(), cidr.parse::<IpNet>()) {
        (Ok(ip), Ok(net)) => net.contains(&ip),
        _ => false,
    }
}

fn protocol(p: &str) -> String {
    match p {
        "-1" | "all" | "ALL" => "all".into(),
        "6" | "tcp" | "TCP" => "tcp".into(),
        "17" | "udp" | "UDP" => "udp".into(),
        "1" | "icmp" | "ICMP" => "icmp".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn ports(proto: &str, from: Option<i64>, to: Option<i64>) -> Option<String> {
    if !matches!(proto, "tcp" | "udp") {
        return None;
    }
    match (from, to) {
        (Some(a), Some(b)) if (a <= 0 && b >= 65535) || a < 0 || b < 0 => None,
        (Some(a), Some(b)) if a == b => Some(a.to_string()),
        (Some(a), Some(b)) => Some(format!("{a}-{b}")),
        (Some(a), None) => Some(a.to_string()),
        _ => None,
    }
}

/// What a source is, for the notes (`CloudFormation`, `Terraform`).
pub struct Source<'a> {
    /// `deployed` or `applied`.
    pub after: &'a str,
    /// The account, when known.
    pub account: String,
    /// The Region.
    pub region: String,
}

/// Builds the network the resources declare.
pub fn build(resources: &[Res], src: &Source<'_>, name: &str, description: &str) -> Net {
    let mut net = Net {
        name: name.to_string(),
        description: description.to_string(),
        ..Net::default()
    };
    let by_key: HashMap<&str, &Res> = resources.iter().map(|r| (r.key.as_str(), r)).collect();
    let of = |k: Kind| resources.iter().filter(move |r| r.kind == k);
    // What each resource became: VPC index and name.
    let mut made: HashMap<String, (usize, String)> = HashMap::new();
    let resolve = |v: Option<&Value>| -> Option<String> { v.and_then(ref_of).map(str::to_string) };
    let name_of = |r: &Res| text(r.attrs.get("name")).filter(|n| !n.trim().is_empty());

    // VPCs.
    let mut vpc_names = Names::new();
    let mut vpc_index: HashMap<String, usize> = HashMap::new();
    // Ids by key, for policies that name a VPC or an endpoint.
    let mut endpoint_ids: HashMap<String, String> = HashMap::new();
    for r in of(Kind::Vpc) {
        let Some(cidr) = text(r.attrs.get("cidr")) else {
            net.warn(
                &r.key,
                why_unknown(r.attrs.get("cidr"), "a VPC without an IPv4 CIDR", src),
            );
            continue;
        };
        let n = vpc_names.name(name_of(r).as_deref(), &r.key);
        let id = text(r.attrs.get("id")).unwrap_or_else(|| planned_id("vpc", &r.key));
        endpoint_ids.insert(r.key.clone(), id.clone());
        vpc_index.insert(r.key.clone(), net.vpcs.len());
        made.insert(r.key.clone(), (net.vpcs.len(), n.clone()));
        let mut cidrs = vec![cidr];
        cidrs.extend(
            list(r.attrs.get("extra_cidrs"))
                .iter()
                .filter_map(|c| text(Some(c))),
        );
        net.vpcs.push(Vpc {
            name: n,
            id,
            account: src.account.clone(),
            region: src.region.clone(),
            cidrs,
            ipv6_cidrs: text(r.attrs.get("ipv6_cidr")).into_iter().collect(),
            ..Vpc::default()
        });
    }
    net.accounts.insert(src.account.clone());
    net.regions.entry(src.region.clone()).or_default();
    let vpc_of = |v: Option<&Value>, vpcs: &HashMap<String, usize>| -> Option<usize> {
        v.and_then(ref_of).and_then(|k| vpcs.get(k).copied())
    };
    let fresh = |n: usize| -> Vec<Names> { (0..n).map(|_| Names::new()).collect() };
    let count = net.vpcs.len();

    // Subnets.
    let mut names = fresh(count);
    for r in of(Kind::Subnet) {
        let Some(vi) = vpc_of(r.attrs.get("vpc"), &vpc_index) else {
            net.warn(
                &r.key,
                "its VPC is not declared here (an existing one?): skipped",
            );
            continue;
        };
        let (Some(cidr), Some(az)) = (text(r.attrs.get("cidr")), text(r.attrs.get("az"))) else {
            net.warn(
                &r.key,
                why_unknown(
                    r.attrs.get("cidr").or(r.attrs.get("az")),
                    "a subnet without a CIDR or zone",
                    src,
                ),
            );
            continue;
        };
        if !az.starts_with(&src.region) {
            net.warn(
                &r.key,
                format!("zone {az} is not of {}: skipped", src.region),
            );
            continue;
        }
        let n = names[vi].name(name_of(r).as_deref(), &r.key);
        made.insert(r.key.clone(), (vi, n.clone()));
        net.regions
            .entry(src.region.clone())
            .or_default()
            .azs
            .insert(az.clone());
        net.vpcs[vi].subnets.push(Subnet {
            name: n,
            id: r.key.clone(),
            az,
            cidr,
            ipv6_cidr: text(r.attrs.get("ipv6_cidr")),
            route_table: None,
        });
    }
    let subnet_of =
        |v: Option<&Value>, made: &HashMap<String, (usize, String)>, vi: usize| -> Option<String> {
            let k = v.and_then(ref_of)?;
            made.get(k)
                .filter(|(x, _)| *x == vi)
                .map(|(_, n)| n.clone())
        };

    // Gateways.
    let mut attached: HashMap<String, usize> = HashMap::new();
    for r in of(Kind::GatewayAttachment) {
        if let (Some(g), Some(vi)) = (
            resolve(r.attrs.get("gateway")),
            vpc_of(r.attrs.get("vpc"), &vpc_index),
        ) {
            attached.insert(g, vi);
        }
    }
    for r in of(Kind::InternetGateway) {
        let vi = vpc_of(r.attrs.get("vpc"), &vpc_index).or_else(|| attached.get(&r.key).copied());
        let Some(vi) = vi else {
            net.info(
                &r.key,
                "an internet gateway attached to no VPC declared here",
            );
            continue;
        };
        net.vpcs[vi].internet_gateway =
            Some(text(r.attrs.get("id")).unwrap_or_else(|| planned_id("igw", &r.key)));
        made.insert(r.key.clone(), (vi, "igw".into()));
    }
    for r in of(Kind::VpnGateway) {
        let vi = vpc_of(r.attrs.get("vpc"), &vpc_index).or_else(|| attached.get(&r.key).copied());
        let Some(vi) = vi else {
            net.info(&r.key, "a VPN gateway attached to no VPC declared here");
            continue;
        };
        let asn = number(r.attrs.get("asn"))
            .filter(|a| *a > 0 && *a < u32::MAX as i64)
            .unwrap_or(64512) as u32;
        net.vpcs[vi].vpn_gateway = Some((
            text(r.attrs.get("id")).unwrap_or_else(|| planned_id("vgw", &r.key)),
            asn,
        ));
        made.insert(r.key.clone(), (vi, "vgw".into()));
    }
    let mut names = fresh(count);
    for r in of(Kind::NatGateway) {
        let Some(sk) = resolve(r.attrs.get("subnet")) else {
            continue;
        };
        let Some((vi, sub)) = made.get(&sk).cloned() else {
            net.warn(&r.key, "its subnet is not declared here: skipped");
            continue;
        };
        if boolean(r.attrs.get("private")) == Some(true) {
            net.warn(
                &r.key,
                "a private NAT gateway: vpcsim models public NAT gateways only",
            );
        }
        let public_ip = match r.attrs.get("public_ip") {
            Some(v) if ref_of(v).is_some() => by_key
                .get(ref_of(v).unwrap_or_default())
                .and_then(|e| text(e.attrs.get("public_ip"))),
            other => text(other),
        };
        if public_ip.is_none() {
            net.info(
                &r.key,
                format!(
                    "its Elastic IP is known once {}: imported without one",
                    src.after
                ),
            );
        }
        let n = names[vi].name(name_of(r).as_deref(), &r.key);
        made.insert(r.key.clone(), (vi, n.clone()));
        net.vpcs[vi].nat_gateways.push(NatGateway {
            name: n,
            id: r.key.clone(),
            subnet: sub,
            ip: None,
            public_ip,
        });
    }

    // Security groups (before what uses them).
    let mut names = fresh(count);
    let mut sgs: Vec<(usize, usize, &Res)> = Vec::new();
    for r in of(Kind::SecurityGroup) {
        let Some(vi) = vpc_of(r.attrs.get("vpc"), &vpc_index) else {
            net.warn(
                &r.key,
                "its VPC is not declared here (or it is the default VPC's): skipped",
            );
            continue;
        };
        let n = names[vi].name(text(r.attrs.get("name")).as_deref(), &r.key);
        made.insert(r.key.clone(), (vi, n.clone()));
        sgs.push((vi, net.vpcs[vi].security_groups.len(), r));
        net.vpcs[vi].security_groups.push(SecurityGroup {
            name: n,
            id: r.key.clone(),
            description: text(r.attrs.get("description")).filter(|d| !d.is_empty()),
            ingress: Vec::new(),
            egress: None,
        });
    }
    let rule_of = |net: &mut Net,
                   key: &str,
                   vi: usize,
                   x: &Value,
                   made: &HashMap<String, (usize, String)>|
     -> Option<Rule> {
        let proto = protocol(&text(x.get("protocol")).unwrap_or_else(|| "-1".into()));
        let mut peers: Vec<String> = Vec::new();
        for c in list(x.get("cidrs")) {
            match text(Some(&c)) {
                Some(c) => peers.push(c),
                None => net.warn(key, why_unknown(Some(&c), "a rule's CIDR", src)),
            }
        }
        for g in list(x.get("sgs")) {
            match ref_of(&g)
                .and_then(|k| made.get(k))
                .filter(|(v, _)| *v == vi)
            {
                Some((_, n)) => peers.push(format!("sg/{n}")),
                None => net.warn(
                    key,
                    "a rule names a security group not declared in this VPC: left out",
                ),
            }
        }
        for p in list(x.get("prefix_lists")) {
            net.warn(key, format!("a rule names prefix list {}: managed prefix lists are left out (vpcsim knows AWS's)", text(Some(&p)).unwrap_or_else(|| "(unknown)".into())));
        }
        if peers.is_empty() {
            return None;
        }
        Some(Rule {
            number: None,
            ports: ports(&proto, number(x.get("from_port")), number(x.get("to_port"))),
            protocol: proto,
            peers,
            action: None,
        })
    };
    for (vi, gi, r) in sgs {
        let ingress: Vec<Rule> = list(r.attrs.get("ingress"))
            .iter()
            .filter_map(|x| rule_of(&mut net, &r.key, vi, x, &made))
            .collect();
        let egress = r.attrs.get("egress").map(|e| {
            list(Some(e))
                .iter()
                .filter_map(|x| rule_of(&mut net, &r.key, vi, x, &made))
                .collect::<Vec<_>>()
        });
        let g = &mut net.vpcs[vi].security_groups[gi];
        g.ingress = ingress;
        g.egress = egress;
    }
    for r in of(Kind::SecurityGroupRule) {
        let Some((vi, gname)) = resolve(r.attrs.get("sg")).and_then(|k| made.get(&k).cloned())
        else {
            net.warn(&r.key, "its security group is not declared here: skipped");
            continue;
        };
        let fields = Value::Object(
            r.attrs
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        );
        let Some(rule) = rule_of(&mut net, &r.key, vi, &fields, &made) else {
            continue;
        };
        let egress = boolean(r.attrs.get("egress")) == Some(true);
        if let Some(g) = net.vpcs[vi]
            .security_groups
            .iter_mut()
            .find(|g| g.name == gname)
        {
            if egress {
                g.egress.get_or_insert_with(Vec::new).push(rule);
            } else {
                g.ingress.push(rule);
            }
        }
    }
    // A declared egress list equal to AWS's default is the format's default.
    for v in &mut net.vpcs {
        for g in &mut v.security_groups {
            if let Some(e) = &g.egress
                && !e.is_empty()
                && e.iter().all(|r| {
                    r.protocol == "all" && r.peers.iter().all(|p| p == "0.0.0.0/0" || p == "::/0")
                })
            {
                g.egress = None;
            }
        }
    }
    let sg_names =
        |v: Option<&Value>, made: &HashMap<String, (usize, String)>, vi: usize| -> Vec<String> {
            list(v)
                .iter()
                .filter_map(ref_of)
                .filter_map(|k| {
                    made.get(k)
                        .filter(|(x, _)| *x == vi)
                        .map(|(_, n)| n.clone())
                })
                .collect()
        };

    // Instances.
    let mut names = fresh(count);
    for r in of(Kind::Instance) {
        let Some(sk) = resolve(r.attrs.get("subnet")) else {
            net.warn(&r.key, "an instance outside a declared subnet: skipped");
            continue;
        };
        let Some((vi, sub)) = made.get(&sk).cloned() else {
            continue;
        };
        let cidr = net.vpcs[vi]
            .subnets
            .iter()
            .find(|s| s.name == sub)
            .map(|s| s.cidr.clone())
            .unwrap_or_default();
        let ip = text(r.attrs.get("ip"));
        if let Some(ip) = ip.as_deref().filter(|ip| !inside(ip, &cidr)) {
            net.warn(
                &r.key,
                format!("its address {ip} is outside its subnet {cidr}: vpcsim allocates one"),
            );
        }
        let n = names[vi].name(name_of(r).as_deref(), &r.key);
        made.insert(r.key.clone(), (vi, n.clone()));
        net.vpcs[vi].instances.push(Instance {
            name: n,
            id: r.key.clone(),
            subnet: sub,
            ip: ip.filter(|ip| inside(ip, &cidr)),
            public_ip: text(r.attrs.get("public_ip")),
            security_groups: sg_names(r.attrs.get("sgs"), &made, vi),
        });
    }

    // Peerings.
    let mut pnames = Names::new();
    for r in of(Kind::Peering) {
        let (Some(a), Some(b)) = (
            vpc_of(r.attrs.get("vpc"), &vpc_index),
            vpc_of(r.attrs.get("peer_vpc"), &vpc_index),
        ) else {
            net.warn(
                &r.key,
                "one of its VPCs is not declared here: skipped (routes to it are left out)",
            );
            continue;
        };
        let n = pnames.name(name_of(r).as_deref(), &r.key);
        made.insert(r.key.clone(), (usize::MAX, n.clone()));
        net.peerings.push(Peering {
            name: n,
            id: text(r.attrs.get("id")).unwrap_or_else(|| planned_id("pcx", &r.key)),
            between: [net.vpcs[a].name.clone(), net.vpcs[b].name.clone()],
        });
    }

    // Endpoints (their ids: policies name them).
    let mut names = fresh(count);
    for r in of(Kind::Endpoint) {
        let Some(vi) = vpc_of(r.attrs.get("vpc"), &vpc_index) else {
            net.warn(&r.key, "its VPC is not declared here: skipped");
            continue;
        };
        let Some(service) = text(r.attrs.get("service")) else {
            net.warn(
                &r.key,
                why_unknown(
                    r.attrs.get("service"),
                    "an endpoint without a service name",
                    src,
                ),
            );
            continue;
        };
        let own = format!("com.amazonaws.{}.", src.region);
        let short = service.strip_prefix(&own).unwrap_or(&service).to_string();
        if short.contains('.') || short.is_empty() {
            net.warn(
                &r.key,
                format!(
                    "service {service} is not an AWS service of {}: skipped",
                    src.region
                ),
            );
            continue;
        }
        let kind = match text(r.attrs.get("type"))
            .unwrap_or_else(|| "Gateway".into())
            .to_ascii_lowercase()
            .as_str()
        {
            "gateway" => "gateway",
            "interface" => "interface",
            other => {
                net.warn(&r.key, format!("a {other} endpoint: skipped"));
                continue;
            }
        };
        let id = text(r.attrs.get("id")).unwrap_or_else(|| planned_id("vpce", &r.key));
        if !r.attrs.contains_key("id") {
            net.info(&r.key, format!("AWS gives the endpoint its id when {}: {id} stands for it (policies that name the endpoint use it too)", src.after));
        }
        endpoint_ids.insert(r.key.clone(), id.clone());
        let n = names[vi].name(name_of(r).as_deref(), &format!("{short}-{kind}"));
        made.insert(r.key.clone(), (vi, n.clone()));
        let mut ep = Endpoint {
            name: n,
            id,
            kind: kind.into(),
            service: short,
            private_dns: if kind == "interface" {
                boolean(r.attrs.get("private_dns"))
            } else {
                None
            },
            ..Endpoint::default()
        };
        ep.route_tables = list(r.attrs.get("route_tables"))
            .iter()
            .filter_map(|v| ref_of(v).map(str::to_string))
            .collect();
        let mut azs = std::collections::HashSet::new();
        for s in list(r.attrs.get("subnets")).iter().filter_map(ref_of) {
            if let Some((x, sn)) = made.get(s).filter(|(x, _)| *x == vi).cloned() {
                let az = net.vpcs[x]
                    .subnets
                    .iter()
                    .find(|t| t.name == sn)
                    .map(|t| t.az.clone())
                    .unwrap_or_default();
                if azs.insert(az) {
                    ep.subnets.push((sn, None));
                }
            }
        }
        ep.security_groups = sg_names(r.attrs.get("sgs"), &made, vi);
        ep.policy = r.attrs.get("policy").cloned().filter(|p| p.is_object());
        net.vpcs[vi].endpoints.push(ep);
    }
    for r in of(Kind::EndpointRouteTable) {
        if let (Some(e), Some(t)) = (
            resolve(r.attrs.get("endpoint")),
            resolve(r.attrs.get("route_table")),
        ) {
            for v in &mut net.vpcs {
                if let Some(ep) = v
                    .endpoints
                    .iter_mut()
                    .find(|x| x.id == endpoint_ids.get(&e).cloned().unwrap_or_default())
                {
                    ep.route_tables.push(t.clone());
                }
            }
        }
    }
    for r in of(Kind::EndpointSubnet) {
        if let (Some(e), Some(s)) = (
            resolve(r.attrs.get("endpoint")),
            resolve(r.attrs.get("subnet")),
        ) && let Some((vi, sn)) = made.get(&s).cloned()
        {
            let id = endpoint_ids.get(&e).cloned().unwrap_or_default();
            if let Some(ep) = net.vpcs[vi].endpoints.iter_mut().find(|x| x.id == id)
                && !ep.subnets.iter().any(|(n, _)| *n == sn)
            {
                ep.subnets.push((sn, None));
            }
        }
    }

    // Route tables, associations, routes.
    let mut names = fresh(count);
    for r in of(Kind::RouteTable) {
        let Some(vi) = vpc_of(r.attrs.get("vpc"), &vpc_index) else {
            net.warn(&r.key, "its VPC is not declared here: skipped");
            continue;
        };
        let n = names[vi].name(name_of(r).as_deref(), &r.key);
        made.insert(r.key.clone(), (vi, n.clone()));
        let propagate = false;
        net.vpcs[vi].route_tables.push(RouteTable {
            name: n,
            id: r.key.clone(),
            main: false,
            propagate,
            routes: Vec::new(),
        });
    }
    let table = |net: &mut Net,
                 k: &str,
                 made: &HashMap<String, (usize, String)>|
     -> Option<(usize, usize)> {
        let (vi, n) = made.get(k)?;
        let ti = net
            .vpcs
            .get(*vi)?
            .route_tables
            .iter()
            .position(|t| &t.name == n)?;
        Some((*vi, ti))
    };
    for r in of(Kind::MainTable) {
        if let Some((vi, ti)) =
            resolve(r.attrs.get("table")).and_then(|k| table(&mut net, &k, &made))
        {
            net.vpcs[vi].route_tables[ti].main = true;
        }
    }
    for r in of(Kind::TableAssociation) {
        let (Some(t), Some(s)) = (
            resolve(r.attrs.get("table")),
            resolve(r.attrs.get("subnet")),
        ) else {
            continue;
        };
        let (Some((vi, ti)), Some((svi, sn))) = (table(&mut net, &t, &made), made.get(&s).cloned())
        else {
            continue;
        };
        if vi != svi {
            net.warn(
                &r.key,
                "associates a subnet with another VPC's route table: skipped",
            );
            continue;
        }
        let tn = net.vpcs[vi].route_tables[ti].name.clone();
        if let Some(sub) = net.vpcs[vi].subnets.iter_mut().find(|x| x.name == sn) {
            sub.route_table = Some(tn);
        }
    }
    for r in of(Kind::Propagation) {
        let gateway_vpc = resolve(r.attrs.get("gateway"))
            .and_then(|k| made.get(&k).cloned())
            .filter(|(_, n)| n == "vgw")
            .map(|(vi, _)| vi);
        if let Some((vi, ti)) =
            resolve(r.attrs.get("table")).and_then(|k| table(&mut net, &k, &made))
            && gateway_vpc == Some(vi)
        {
            net.vpcs[vi].route_tables[ti].propagate = true;
        }
    }
    for r in of(Kind::Route) {
        let Some((vi, ti)) = resolve(r.attrs.get("table")).and_then(|k| table(&mut net, &k, &made))
        else {
            net.warn(&r.key, "its route table is not declared here: skipped");
            continue;
        };
        let Some(dst) = text(r.attrs.get("destination")) else {
            net.warn(
                &r.key,
                why_unknown(
                    r.attrs.get("destination"),
                    "a route without a destination",
                    src,
                ),
            );
            continue;
        };
        let target = if let Some(g) = r.attrs.get("gateway") {
            match ref_of(g).and_then(|k| made.get(k)) {
                Some((x, n)) if *x == vi && (n == "igw" || n == "vgw") => Some(n.clone()),
                _ if text(Some(g)).as_deref() == Some("local") => None,
                _ => {
                    net.warn(&r.key, format!("route {dst}: its gateway is not an internet or VPN gateway of this VPC declared here; left out"));
                    None
                }
            }
        } else if let Some(x) = r.attrs.get("nat") {
            ref_of(x)
                .and_then(|k| made.get(k))
                .filter(|(v, _)| *v == vi)
                .map(|(_, n)| format!("nat/{n}"))
        } else if let Some(x) = r.attrs.get("peering") {
            ref_of(x)
                .and_then(|k| made.get(k))
                .map(|(_, n)| format!("peering/{n}"))
        } else if let Some(x) = r.attrs.get("instance") {
            ref_of(x)
                .and_then(|k| made.get(k))
                .filter(|(v, _)| *v == vi)
                .map(|(_, n)| format!("instance/{n}"))
        } else {
            let what = text(r.attrs.get("other")).unwrap_or_else(|| "a target".into());
            net.warn(&r.key, format!("route {dst} → {what}: a target vpcsim does not model (a transit gateway, an egress-only gateway…); left out"));
            None
        };
        if let Some(target) = target {
            net.vpcs[vi].route_tables[ti].routes.push(Route {
                destination: dst,
                target,
            });
        }
    }
    for v in &mut net.vpcs {
        let by_key: HashMap<String, String> = v
            .route_tables
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
        let mut taken = std::collections::HashSet::new();
        for e in &mut v.endpoints {
            e.route_tables = e
                .route_tables
                .iter()
                .filter_map(|t| by_key.get(t).cloned())
                .collect();
            let svc = e.service.clone();
            e.route_tables
                .retain(|t| taken.insert((t.clone(), svc.clone())));
        }
        let main = v
            .route_tables
            .iter()
            .find(|t| t.main)
            .map(|t| t.name.clone());
        for s in &mut v.subnets {
            if s.route_table.is_some() && s.route_table == main {
                s.route_table = None;
            }
        }
        let gateways: Vec<String> = v
            .endpoints
            .iter()
            .filter(|e| e.kind == "gateway")
            .map(|e| e.service.clone())
            .collect();
        for e in &mut v.endpoints {
            if e.kind == "interface"
                && matches!(e.service.as_str(), "s3" | "dynamodb")
                && e.private_dns == Some(true)
            {
                // AWS's default is true, which needs a gateway endpoint of the service.
                e.private_dns_only_inbound = Some(gateways.contains(&e.service));
            }
        }
    }

    // Network ACLs.
    let mut names = fresh(count);
    for r in of(Kind::NetworkAcl) {
        let Some(vi) = vpc_of(r.attrs.get("vpc"), &vpc_index) else {
            continue;
        };
        let n = names[vi].name(name_of(r).as_deref(), &r.key);
        made.insert(r.key.clone(), (vi, n.clone()));
        let subnets = list(r.attrs.get("subnets"))
            .iter()
            .filter_map(|s| subnet_of(Some(s), &made, vi))
            .collect();
        net.vpcs[vi].network_acls.push(NetworkAcl {
            name: n,
            id: r.key.clone(),
            subnets,
            ingress: Vec::new(),
            egress: Vec::new(),
        });
    }
    let mut entries: Vec<(Res, bool)> = of(Kind::AclEntry).map(|r| (r.clone(), false)).collect();
    for r in of(Kind::NetworkAcl) {
        for (i, e) in list(r.attrs.get("entries")).into_iter().enumerate() {
            let mut attrs: BTreeMap<String, Value> = e
                .as_object()
                .map(|o| o.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default();
            attrs.insert("acl".into(), reference(&r.key));
            entries.push((
                Res {
                    kind: Kind::AclEntry,
                    key: format!("{}[{i}]", r.key),
                    attrs,
                },
                true,
            ));
        }
    }
    for (r, _) in &entries {
        let Some((vi, an)) = resolve(r.attrs.get("acl")).and_then(|k| made.get(&k).cloned()) else {
            continue;
        };
        let Some(number) = number(r.attrs.get("number")).filter(|n| (1..=32766).contains(n)) else {
            continue;
        };
        let proto = protocol(&text(r.attrs.get("protocol")).unwrap_or_else(|| "-1".into()));
        let Some(cidr) = text(r.attrs.get("cidr")) else {
            continue;
        };
        let rule = Rule {
            number: Some(number as u32),
            ports: ports(&proto, number_of(r, "from_port"), number_of(r, "to_port")),
            protocol: proto,
            peers: vec![cidr],
            action: text(r.attrs.get("action")).map(|a| a.to_ascii_lowercase()),
        };
        if let Some(a) = net.vpcs[vi].network_acls.iter_mut().find(|a| a.name == an) {
            if boolean(r.attrs.get("egress")) == Some(true) {
                a.egress.push(rule);
            } else {
                a.ingress.push(rule);
            }
        }
    }
    for r in of(Kind::AclAssociation) {
        let (Some(a), Some(s)) = (resolve(r.attrs.get("acl")), resolve(r.attrs.get("subnet")))
        else {
            continue;
        };
        let (Some((vi, an)), Some((svi, sn))) = (made.get(&a).cloned(), made.get(&s).cloned())
        else {
            continue;
        };
        if vi == svi {
            // A subnet belongs to one ACL.
            for acl in &mut net.vpcs[vi].network_acls {
                acl.subnets.retain(|x| *x != sn);
            }
            if let Some(acl) = net.vpcs[vi].network_acls.iter_mut().find(|x| x.name == an) {
                acl.subnets.push(sn);
            }
        }
    }
    for v in &mut net.vpcs {
        for a in &mut v.network_acls {
            a.ingress.sort_by_key(|r| r.number);
            a.egress.sort_by_key(|r| r.number);
            a.ingress.dedup_by_key(|r| r.number);
            a.egress.dedup_by_key(|r| r.number);
        }
    }

    // Resolver.
    for r in of(Kind::ResolverEndpoint) {
        let mut vi_seen = None;
        let mut subnets: Vec<(String, Option<String>)> = Vec::new();
        for ip in list(r.attrs.get("ips")) {
            let Some((vi, sn)) = ref_of(ip.get("subnet").unwrap_or(&Value::Null))
                .and_then(|k| made.get(k))
                .cloned()
            else {
                continue;
            };
            if vi_seen.is_some_and(|v| v != vi) || subnets.iter().any(|(n, _)| *n == sn) {
                continue;
            }
            vi_seen = Some(vi);
            let cidr = net.vpcs[vi]
                .subnets
                .iter()
                .find(|s| s.name == sn)
                .map(|s| s.cidr.clone())
                .unwrap_or_default();
            subnets.push((sn, text(ip.get("ip")).filter(|a| inside(a, &cidr))));
        }
        let Some(vi) = vi_seen else {
            net.warn(&r.key, "its subnets are not declared here: skipped");
            continue;
        };
        if subnets.len() < 2 {
            net.warn(
                &r.key,
                "fewer than two subnets: AWS requires two addresses per Resolver endpoint; skipped",
            );
            continue;
        }
        let ep = ResolverEndpoint {
            id: r.key.clone(),
            subnets,
            security_groups: sg_names(r.attrs.get("sgs"), &made, vi),
        };
        made.insert(r.key.clone(), (vi, String::new()));
        match text(r.attrs.get("direction"))
            .map(|d| d.to_ascii_uppercase())
            .as_deref()
        {
            Some("INBOUND") => net.vpcs[vi].inbound_resolver = Some(ep),
            Some("OUTBOUND") => net.vpcs[vi].outbound_resolver = Some(ep),
            _ => net.warn(&r.key, "a Resolver endpoint without a direction: skipped"),
        }
    }
    let mut names = fresh(count);
    for a in of(Kind::ResolverRuleAssociation) {
        let (Some(rk), Some(vi)) = (
            resolve(a.attrs.get("rule")),
            vpc_of(a.attrs.get("vpc"), &vpc_index),
        ) else {
            continue;
        };
        let Some(rule) = by_key.get(rk.as_str()) else {
            continue;
        };
        let domain = text(rule.attrs.get("domain"))
            .unwrap_or_default()
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let kind = match text(rule.attrs.get("type"))
            .map(|t| t.to_ascii_uppercase())
            .as_deref()
        {
            Some("FORWARD") => "forward",
            Some("SYSTEM") => "system",
            _ => continue,
        };
        if domain.is_empty() {
            continue;
        }
        if kind == "forward" && net.vpcs[vi].outbound_resolver.is_none() {
            net.warn(
                &rk,
                format!(
                    "a forward rule in VPC {} without an outbound endpoint there: skipped",
                    net.vpcs[vi].name
                ),
            );
            continue;
        }
        let targets = if kind == "forward" {
            list(rule.attrs.get("targets"))
                .iter()
                .filter_map(|t| {
                    let ip = text(t.get("ip"))?;
                    Some(match number(t.get("port")) {
                        Some(53) | None => ip,
                        Some(p) => format!("{ip}:{p}"),
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        let n = names[vi].name(name_of(rule).as_deref(), &rk);
        net.vpcs[vi].resolver_rules.push(ResolverRule {
            name: n,
            id: rk.clone(),
            domain,
            kind: kind.into(),
            targets,
        });
    }

    // Hosted zones and records.
    let mut zone_vpcs: HashMap<String, Vec<String>> = HashMap::new();
    for r in of(Kind::ZoneAssociation) {
        if let (Some(z), Some(vi)) = (
            resolve(r.attrs.get("zone")),
            vpc_of(r.attrs.get("vpc"), &vpc_index),
        ) {
            zone_vpcs
                .entry(z)
                .or_default()
                .push(net.vpcs[vi].name.clone());
        }
    }
    let mut zone_index: HashMap<String, usize> = HashMap::new();
    for r in of(Kind::HostedZone) {
        let Some(domain) =
            text(r.attrs.get("domain")).map(|d| d.trim_end_matches('.').to_ascii_lowercase())
        else {
            continue;
        };
        let mut vpcs: Vec<String> = list(r.attrs.get("vpcs"))
            .iter()
            .filter_map(|v| vpc_of(Some(v), &vpc_index))
            .map(|vi| net.vpcs[vi].name.clone())
            .collect();
        vpcs.extend(zone_vpcs.remove(&r.key).unwrap_or_default());
        vpcs.dedup();
        if vpcs.is_empty() {
            net.info(
                &r.key,
                "a public hosted zone (or one associated with no VPC declared here): skipped",
            );
            continue;
        }
        zone_index.insert(r.key.clone(), net.hosted_zones.len());
        net.hosted_zones.push(HostedZone {
            domain,
            id: r.key.clone(),
            vpcs,
            records: Vec::new(),
        });
    }
    for r in of(Kind::Record) {
        let Some(zi) = resolve(r.attrs.get("zone")).and_then(|z| zone_index.get(&z).copied())
        else {
            net.warn(
                &r.key,
                "its hosted zone is not a private zone declared here: skipped",
            );
            continue;
        };
        let domain = net.hosted_zones[zi].domain.clone();
        let Some(name) =
            text(r.attrs.get("name")).map(|n| n.trim_end_matches('.').to_ascii_lowercase())
        else {
            continue;
        };
        let rel = if name == domain {
            "@".to_string()
        } else if let Some(x) = name.strip_suffix(&format!(".{domain}")) {
            x.to_string()
        } else if !name.contains('.') {
            name.clone()
        } else {
            net.warn(&r.key, format!("{name} is not inside {domain}: skipped"));
            continue;
        };
        let Some(kind) = text(r.attrs.get("type")).map(|t| t.to_ascii_uppercase()) else {
            continue;
        };
        if let Some(a) = r.attrs.get("alias") {
            match ref_of(a)
                .and_then(|k| made.get(k))
                .filter(|(vi, _)| *vi != usize::MAX)
            {
                Some((vi, n))
                    if net.vpcs[*vi]
                        .endpoints
                        .iter()
                        .any(|e| &e.name == n && e.kind == "interface") =>
                {
                    let alias = format!("{}/{n}", net.vpcs[*vi].name);
                    net.hosted_zones[zi].records.push(Record {
                        name: rel,
                        kind,
                        alias: Some(alias),
                        ..Record::default()
                    });
                }
                _ => net.warn(
                    &r.key,
                    "an alias to something other than an interface endpoint declared here: skipped",
                ),
            }
            continue;
        }
        let values: Vec<String> = list(r.attrs.get("values"))
            .iter()
            .filter_map(|v| text(Some(v)))
            .collect();
        if values.is_empty() {
            net.warn(
                &r.key,
                why_unknown(r.attrs.get("values"), "a record without values", src),
            );
            continue;
        }
        net.hosted_zones[zi].records.push(Record {
            name: rel,
            kind,
            values,
            alias: None,
            ttl: number(r.attrs.get("ttl")).map(|t| t.max(0) as u64),
        });
    }

    // Buckets and their policies.
    let bucket_names: HashMap<&str, String> = of(Kind::Bucket)
        .filter_map(|r| Some((r.key.as_str(), text(r.attrs.get("name"))?)))
        .collect();
    for r in of(Kind::BucketPolicy) {
        let bucket = match r.attrs.get("bucket") {
            Some(v) if ref_of(v).is_some() => {
                bucket_names.get(ref_of(v).unwrap_or_default()).cloned()
            }
            other => text(other),
        };
        let Some(bucket) = bucket else {
            net.warn(
                &r.key,
                "its bucket's name is not known (a name AWS chooses?): skipped",
            );
            continue;
        };
        let policy = r
            .attrs
            .get("policy")
            .cloned()
            .map(|p| resolve_policy(&p, &endpoint_ids))
            .filter(|p| p.is_object());
        net.buckets.push(Bucket {
            name: bucket,
            account: src.account.clone(),
            region: src.region.clone(),
            policy,
        });
    }
    // Endpoint policies too may name endpoints and VPCs.
    let endpoint_policies: Vec<(usize, usize, Value)> = net
        .vpcs
        .iter()
        .enumerate()
        .flat_map(|(vi, v)| {
            v.endpoints
                .iter()
                .enumerate()
                .filter_map(move |(ei, e)| e.policy.clone().map(|p| (vi, ei, p)))
        })
        .collect();
    for (vi, ei, p) in endpoint_policies {
        let p = resolve_policy(&p, &endpoint_ids);
        net.vpcs[vi].endpoints[ei].policy = Some(p);
    }

    // VPN connections.
    let mut lnames = Names::new();
    let mut snames = Names::new();
    for v in &net.vpcs {
        snames.name(Some(&v.name), &v.id); // a site may not share a VPC's name
    }
    let mut sites: HashMap<String, String> = HashMap::new();
    for r in of(Kind::VpnConnection) {
        let Some((vi, _)) = resolve(r.attrs.get("vpn_gateway"))
            .and_then(|k| made.get(&k).cloned())
            .filter(|(_, n)| n == "vgw")
        else {
            net.warn(&r.key, "its VPN gateway is not attached to a VPC declared here (a transit gateway?): skipped");
            continue;
        };
        let mut prefixes: Vec<String> = list(r.attrs.get("routes"))
            .iter()
            .filter_map(|c| text(Some(c)))
            .collect();
        for x in of(Kind::VpnRoute) {
            if resolve(x.attrs.get("vpn")).as_deref() == Some(r.key.as_str())
                && let Some(c) = text(x.attrs.get("cidr"))
            {
                prefixes.push(c);
            }
        }
        prefixes.sort();
        prefixes.dedup();
        let static_only = boolean(r.attrs.get("static")) == Some(true);
        if prefixes.is_empty() {
            net.warn(&r.key, "a BGP VPN: the on-premises prefixes are learned, not declared; written as a stub at the end to complete");
        }
        let cgw = resolve(r.attrs.get("customer_gateway")).unwrap_or_else(|| r.key.clone());
        // The site is named after its customer gateway (its Name tag, else its key).
        let cgw_name = by_key
            .get(cgw.as_str())
            .and_then(|c| name_of(c))
            .unwrap_or_else(|| cgw.rsplit(['.', ':']).next().unwrap_or(&cgw).to_string());
        let site = sites
            .entry(cgw.clone())
            .or_insert_with(|| snames.name(Some(&cgw_name), &cgw))
            .clone();
        let n = lnames.name(name_of(r).as_deref(), &r.key);
        let vpc = &net.vpcs[vi];
        net.links.push(Link {
            name: n,
            id: r.key.clone(),
            kind: "vpn".into(),
            attach: format!("{}/vgw", vpc.name),
            routing: Some(if static_only { "static" } else { "bgp" }.into()),
            asn: by_key
                .get(cgw.as_str())
                .and_then(|c| number(c.attrs.get("asn")))
                .map(|a| a as u64),
            prefixes,
            site,
            vpc_cidrs: vpc.cidrs.clone(),
        });
    }
    // Direct Connect private virtual interfaces: BGP learns the site's prefixes, so each is a stub.
    for r in of(Kind::DxInterface) {
        let vi = resolve(r.attrs.get("vpn_gateway"))
            .and_then(|k| made.get(&k).cloned())
            .filter(|(_, n)| n == "vgw")
            .map(|(vi, _)| vi);
        let Some(vi) = vi else {
            net.warn(&r.key, "a virtual interface to a Direct Connect gateway or to no VPN gateway declared here: add it to the topology by hand");
            continue;
        };
        let conn = text(r.attrs.get("connection")).unwrap_or_else(|| r.key.clone());
        let site = sites
            .entry(conn.clone())
            .or_insert_with(|| snames.name(None, &format!("site-{conn}")))
            .clone();
        let n = lnames.name(name_of(r).as_deref(), &r.key);
        net.warn(&r.key, "Direct Connect: the on-premises prefixes are learned over BGP, not declared; written as a stub at the end to complete");
        let vpc = &net.vpcs[vi];
        net.links.push(Link {
            name: n,
            id: r.key.clone(),
            kind: "direct_connect".into(),
            attach: format!("{}/vgw", vpc.name),
            routing: None,
            asn: number(r.attrs.get("asn")).map(|a| a as u64),
            prefixes: Vec::new(),
            site,
            vpc_cidrs: vpc.cidrs.clone(),
        });
    }
    net
}

fn number_of(r: &Res, k: &str) -> Option<i64> {
    number(r.attrs.get(k))
}

/// Replaces references inside a policy with the ids they stand for (an endpoint's, a VPC's);
/// other references and unknown values become a readable placeholder.
fn resolve_policy(p: &Value, ids: &HashMap<String, String>) -> Value {
    match p {
        Value::Object(m) if m.contains_key("$ref") => {
            let k = ref_of(p).unwrap_or_default();
            Value::String(
                ids.get(k)
                    .cloned()
                    .unwrap_or_else(|| format!("UNRESOLVED-{k}")),
            )
        }
        Value::Object(m) if m.contains_key("$unknown") => Value::String("UNKNOWN".into()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), resolve_policy(v, ids)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| resolve_policy(v, ids)).collect()),
        other => other.clone(),
    }
}

fn why_unknown(v: Option<&Value>, what: &str, src: &Source<'_>) -> String {
    match v.and_then(unknown_of) {
        Some(why) => format!("{what}: known only once {} ({why}); skipped", src.after),
        None => format!("{what}: skipped"),
    }
}

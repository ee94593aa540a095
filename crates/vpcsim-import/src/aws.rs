//! `vpcsim import aws DIR`: a topology from the JSON the aws CLI prints (`--output json`) for the
//! read-only calls [`COMMANDS`] lists, one file per call: `REGION/SERVICE-COMMAND.json`, calls
//! made per zone, endpoint or bucket with its id or name after the command
//! (`route53-list-resource-record-sets-Z0123456789ABC.json`,
//! `REGION/s3api-get-bucket-policy-my-bucket.json`), global services (Route 53) at the top.
//! [`print_commands`] writes the script that makes such a folder from a real account.

use std::collections::{BTreeMap, HashMap};

use ipnet::IpNet;
use serde_json::Value;

use crate::net::{
    Bucket, Endpoint, HostedZone, Instance, Link, Names, NatGateway, Net, NetworkAcl, Peering,
    Record, ResolverEndpoint, ResolverRule, Route, RouteTable, Rule, SecurityGroup, Subnet, Vpc,
};

/// The calls of one Region, as `SERVICE COMMAND`.
pub const REGIONAL: [&str; 19] = [
    "ec2 describe-vpcs",
    "ec2 describe-subnets",
    "ec2 describe-route-tables",
    "ec2 describe-vpc-endpoints",
    "ec2 describe-security-groups",
    "ec2 describe-network-acls",
    "ec2 describe-network-interfaces",
    "ec2 describe-instances",
    "ec2 describe-internet-gateways",
    "ec2 describe-nat-gateways",
    "ec2 describe-vpn-gateways",
    "ec2 describe-vpn-connections",
    "ec2 describe-vpc-peering-connections",
    "ec2 describe-prefix-lists",
    "route53resolver list-resolver-endpoints",
    "route53resolver list-resolver-rules",
    "route53resolver list-resolver-rule-associations",
    "directconnect describe-virtual-interfaces",
    "route53resolver list-resolver-endpoint-ip-addresses",
];

/// The files read: `(Region or "" for the top, file stem)` → the JSON.
#[derive(Debug, Default)]
pub struct Dump {
    files: BTreeMap<(String, String), Value>,
}

impl Dump {
    /// An empty dump.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the file `stem.json` of `region` (`None`: the top folder).
    pub fn insert(&mut self, region: Option<&str>, stem: &str, v: Value) {
        self.files
            .insert((region.unwrap_or("").to_string(), stem.to_string()), v);
    }

    /// The Regions with files.
    pub fn regions(&self) -> Vec<String> {
        let mut r: Vec<String> = self
            .files
            .keys()
            .map(|(r, _)| r.clone())
            .filter(|r| !r.is_empty())
            .collect();
        r.dedup();
        r
    }

    fn get(&self, region: &str, stem: &str) -> Option<&Value> {
        self.files.get(&(region.to_string(), stem.to_string()))
    }

    /// The items of `key` in `region`'s `stem` file.
    fn items<'a>(&'a self, region: &str, stem: &str, key: &str) -> &'a [Value] {
        self.get(region, stem)
            .and_then(|v| v.get(key))
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// Files of `region` whose stem starts with `prefix-`: (the rest of the stem, the JSON).
    fn per_item<'a>(&'a self, region: &str, prefix: &str) -> Vec<(&'a str, &'a Value)> {
        let p = format!("{prefix}-");
        self.files
            .iter()
            .filter(|((r, s), _)| r == region && s.starts_with(&p))
            .map(|((_, s), v)| (&s[p.len()..], v))
            .collect()
    }

    /// The file stems of this dump that no importer reads (misnamed files).
    pub fn unknown_files(&self) -> Vec<String> {
        let known = |s: &str| {
            REGIONAL
                .iter()
                .map(|c| c.replace(' ', "-"))
                .any(|c| s == c || s.starts_with(&format!("{c}-")))
                || s == "route53-list-hosted-zones"
                || s.starts_with("route53-list-resource-record-sets-")
                || s.starts_with("route53-get-hosted-zone-")
                || s.starts_with("s3api-get-bucket-policy-")
        };
        self.files
            .keys()
            .filter(|(_, s)| !known(s))
            .map(|(r, s)| {
                if r.is_empty() {
                    format!("{s}.json")
                } else {
                    format!("{r}/{s}.json")
                }
            })
            .collect()
    }
}

/// The shell script that makes an import folder from a real account with the aws CLI: read-only
/// calls, for `regions`.
pub fn print_commands(regions: &[String]) -> String {
    let mut s = String::from(
        "#!/bin/sh\n\
         # Makes a folder for `vpcsim import aws DIR`: run it in an empty folder with read-only\n\
         # credentials for the account (every call below only describes, lists or gets). A call\n\
         # that fails (a service not used, a permission missing) is reported and skipped.\n\
         call() {\n\
         \x20 out=$1; shift\n\
         \x20 if aws \"$@\" --output json > \"$out.part\"; then mv \"$out.part\" \"$out\"\n\
         \x20 else rm -f \"$out.part\"; echo \"vpcsim: aws $* failed: $out not written\" >&2; fi\n\
         }\n",
    );
    s.push_str(&format!("REGIONS=\"{}\"\n", regions.join(" ")));
    s.push_str("for r in $REGIONS; do\n  mkdir -p \"$r\"\n");
    for c in &REGIONAL[..REGIONAL.len() - 1] {
        let (svc, cmd) = c.split_once(' ').unwrap_or((c, ""));
        s.push_str(&format!(
            "  call \"$r/{svc}-{cmd}.json\" {svc} {cmd} --region \"$r\"\n"
        ));
    }
    s.push_str(
        "  for e in $(aws route53resolver list-resolver-endpoints --region \"$r\" --query 'ResolverEndpoints[].Id' --output text 2>/dev/null); do\n\
         \x20   call \"$r/route53resolver-list-resolver-endpoint-ip-addresses-$e.json\" route53resolver list-resolver-endpoint-ip-addresses --region \"$r\" --resolver-endpoint-id \"$e\"\n\
         \x20 done\n\
         done\n\
         call route53-list-hosted-zones.json route53 list-hosted-zones\n\
         for z in $(aws route53 list-hosted-zones --query 'HostedZones[?Config.PrivateZone].Id' --output text 2>/dev/null); do\n\
         \x20 z=${z##*/}\n\
         \x20 call \"route53-list-resource-record-sets-$z.json\" route53 list-resource-record-sets --hosted-zone-id \"$z\"\n\
         \x20 call \"route53-get-hosted-zone-$z.json\" route53 get-hosted-zone --id \"$z\"\n\
         done\n\
         for b in $(aws s3api list-buckets --query 'Buckets[].Name' --output text 2>/dev/null); do\n\
         \x20 r=$(aws s3api get-bucket-location --bucket \"$b\" --query LocationConstraint --output text)\n\
         \x20 case \"$r\" in None|null|\"\") r=us-east-1;; EU) r=eu-west-1;; esac\n\
         \x20 case \" $REGIONS \" in *\" $r \"*) ;; *) continue;; esac\n\
         \x20 aws s3api get-bucket-policy --bucket \"$b\" --output json > \"$r/s3api-get-bucket-policy-$b.json\" 2>/dev/null || rm -f \"$r/s3api-get-bucket-policy-$b.json\"\n\
         done\n",
    );
    s
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn tag<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    arr(v, "Tags")
        .iter()
        .find(|t| s(t, "Key") == Some(key))
        .and_then(|t| s(t, "Value"))
}

fn name_tag(v: &Value) -> Option<&str> {
    tag(v, "Name").filter(|n| !n.trim().is_empty())
}

fn inside(ip: &str, cidr: &str) -> bool {
    match (ip.parse::<std::net::IpAddr>(), cidr.parse::<IpNet>()) {
        (Ok(ip), Ok(net)) => net.contains(&ip),
        _ => false,
    }
}

/// Protocol as the format writes it.
fn protocol(p: &str) -> String {
    match p {
        "-1" | "all" => "all".into(),
        "6" | "tcp" => "tcp".into(),
        "17" | "udp" => "udp".into(),
        "1" | "icmp" => "icmp".into(),
        other => other.to_ascii_lowercase(),
    }
}

fn ports(proto: &str, from: Option<i64>, to: Option<i64>) -> Option<String> {
    if !matches!(proto, "tcp" | "udp") {
        return None;
    }
    match (from, to) {
        (Some(a), Some(b)) if a == 0 && b == 65535 => None,
        (Some(a), Some(b)) if a < 0 || b < 0 => None,
        (Some(a), Some(b)) if a == b => Some(a.to_string()),
        (Some(a), Some(b)) => Some(format!("{a}-{b}")),
        _ => None,
    }
}

/// What a VPC's parts are called, by AWS id.
#[derive(Default)]
struct Ids {
    /// AWS id → (VPC index, name).
    by_id: HashMap<String, (usize, String)>,
}

impl Ids {
    fn add(&mut self, id: &str, vpc: usize, name: &str) {
        self.by_id.insert(id.to_string(), (vpc, name.to_string()));
    }
    fn get(&self, id: &str) -> Option<&(usize, String)> {
        self.by_id.get(id)
    }
    fn name_in(&self, id: &str, vpc: usize) -> Option<&str> {
        self.by_id
            .get(id)
            .filter(|(v, _)| *v == vpc)
            .map(|(_, n)| n.as_str())
    }
}

/// Imports a dump. `name` names the topology.
pub fn import(dump: &Dump, name: &str) -> Net {
    let mut net = Net {
        name: name.to_string(),
        description: "Imported from aws CLI describe output (vpcsim import aws).".into(),
        ..Net::default()
    };
    for f in dump.unknown_files() {
        net.warn(f, "not a file vpcsim import aws reads (see `vpcsim import aws --print-commands`): ignored");
    }
    let mut vpc_names = Names::new();
    let mut ids = Ids::default();
    let mut vpc_index: HashMap<String, usize> = HashMap::new();
    // VPCs first, in Region order then by name.
    let mut found: Vec<(String, String, &Value)> = Vec::new();
    for r in dump.regions() {
        for v in dump.items(&r, "ec2-describe-vpcs", "Vpcs") {
            let Some(id) = s(v, "VpcId") else { continue };
            let wanted = name_tag(v).map(str::to_string).or_else(|| {
                (v.get("IsDefault") == Some(&Value::Bool(true))).then(|| format!("default-{r}"))
            });
            found.push((r.clone(), wanted.unwrap_or_else(|| id.to_string()), v));
        }
    }
    found.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    for (region, wanted, v) in found {
        let id = s(v, "VpcId").unwrap_or_default();
        let Some(account) = s(v, "OwnerId")
            .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
            .map(str::to_string)
        else {
            net.warn(id, "no 12-digit OwnerId: its account is unknown; skipped");
            continue;
        };
        let mut cidrs: Vec<String> = arr(v, "CidrBlockAssociationSet")
            .iter()
            .filter(|a| {
                a.get("CidrBlockState")
                    .and_then(|s2| s(s2, "State"))
                    .unwrap_or("associated")
                    == "associated"
            })
            .filter_map(|a| s(a, "CidrBlock").map(str::to_string))
            .collect();
        if let Some(primary) = s(v, "CidrBlock") {
            cidrs.retain(|c| c != primary);
            cidrs.insert(0, primary.to_string());
        }
        let ipv6: Vec<String> = arr(v, "Ipv6CidrBlockAssociationSet")
            .iter()
            .filter_map(|a| s(a, "Ipv6CidrBlock").map(str::to_string))
            .collect();
        let name = vpc_names.name(Some(&wanted), id);
        net.accounts.insert(account.clone());
        net.regions.entry(region.clone()).or_default();
        vpc_index.insert(id.to_string(), net.vpcs.len());
        net.vpcs.push(Vpc {
            name,
            id: id.to_string(),
            account,
            region,
            cidrs,
            ipv6_cidrs: ipv6,
            ..Vpc::default()
        });
    }
    for (i, v) in net.vpcs.iter().enumerate() {
        ids.add(&v.id, i, &v.name);
    }
    let regions = dump.regions();
    // Prefix lists of the services gateway endpoints serve.
    for r in &regions {
        for p in dump.items(r, "ec2-describe-prefix-lists", "PrefixLists") {
            let (Some(id), Some(name)) = (s(p, "PrefixListId"), s(p, "PrefixListName")) else {
                continue;
            };
            let service = name.rsplit('.').next().unwrap_or(name);
            if !matches!(service, "s3" | "dynamodb") {
                continue;
            }
            let cidrs: Vec<String> = arr(p, "Cidrs")
                .iter()
                .filter_map(|c| c.as_str().map(str::to_string))
                .collect();
            if cidrs.is_empty() {
                net.warn(id, format!("the {service} prefix list has no CIDRs in the dump: vpcsim's built-in list of {r} is used"));
                continue;
            }
            net.regions
                .entry(r.clone())
                .or_default()
                .prefix_lists
                .insert(service.to_string(), (id.to_string(), cidrs));
        }
    }
    // Names are per VPC and per kind (a subnet and a route table may both be `main`).
    let count = net.vpcs.len();
    let fresh = || -> Vec<Names> { (0..count).map(|_| Names::new()).collect() };
    subnets(dump, &regions, &mut net, &vpc_index, &mut fresh(), &mut ids);
    security_groups(dump, &regions, &mut net, &vpc_index, &mut fresh(), &mut ids);
    gateways(dump, &regions, &mut net, &vpc_index, &mut fresh(), &mut ids);
    instances(dump, &regions, &mut net, &vpc_index, &mut fresh(), &mut ids);
    peerings(dump, &regions, &mut net, &vpc_index, &mut ids);
    endpoints(dump, &regions, &mut net, &vpc_index, &mut fresh(), &mut ids);
    route_tables(dump, &regions, &mut net, &vpc_index, &mut fresh(), &mut ids);
    network_acls(dump, &regions, &mut net, &vpc_index, &mut fresh(), &ids);
    resolver(dump, &regions, &mut net, &vpc_index, &ids);
    links(dump, &regions, &mut net, &ids);
    zones(dump, &mut net, &vpc_index);
    buckets(dump, &regions, &mut net);
    net
}

fn subnets(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &mut Ids,
) {
    for r in regions {
        let mut list: Vec<&Value> = dump
            .items(r, "ec2-describe-subnets", "Subnets")
            .iter()
            .collect();
        list.sort_by_key(|v| {
            (
                name_tag(v).unwrap_or("~").to_string(),
                s(v, "SubnetId").unwrap_or("").to_string(),
            )
        });
        for v in list {
            let (Some(id), Some(vpc)) = (s(v, "SubnetId"), s(v, "VpcId")) else {
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else {
                net.warn(id, format!("its VPC {vpc} is not in the dump: skipped"));
                continue;
            };
            let (Some(az), Some(cidr)) = (s(v, "AvailabilityZone"), s(v, "CidrBlock")) else {
                net.warn(
                    id,
                    "no Availability Zone or IPv4 CIDR (an IPv6-only subnet): skipped",
                );
                continue;
            };
            // A zone of the subnet's Region: `us-east-1a`, `us-east-1-bos-1a`.
            let zone_ok = az.strip_prefix(r.as_str()).is_some_and(|rest| {
                !rest.is_empty()
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && (rest.len() == 1 || rest.starts_with('-'))
            });
            if !zone_ok {
                net.warn(
                    id,
                    format!("Availability Zone {az:?} is not a zone of {r}: skipped"),
                );
                continue;
            }
            let name = names[vi].name(name_tag(v), id);
            ids.add(id, vi, &name);
            net.regions
                .entry(r.clone())
                .or_default()
                .azs
                .insert(az.to_string());
            let ipv6 = arr(v, "Ipv6CidrBlockAssociationSet")
                .iter()
                .find_map(|a| s(a, "Ipv6CidrBlock").map(str::to_string));
            net.vpcs[vi].subnets.push(Subnet {
                name,
                id: id.to_string(),
                az: az.to_string(),
                cidr: cidr.to_string(),
                ipv6_cidr: ipv6,
                route_table: None,
            });
        }
    }
}

fn security_groups(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &mut Ids,
) {
    let mut found = Vec::new();
    for r in regions {
        for v in dump.items(r, "ec2-describe-security-groups", "SecurityGroups") {
            let (Some(id), Some(vpc)) = (s(v, "GroupId"), s(v, "VpcId")) else {
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let name = names[vi].name(s(v, "GroupName"), id);
            ids.add(id, vi, &name);
            found.push((vi, id.to_string(), name, v.clone()));
        }
    }
    for (vi, id, name, v) in found {
        let rules = |key: &str, net: &mut Net| -> Vec<Rule> {
            let mut out = Vec::new();
            for p in arr(&v, key) {
                let proto = protocol(s(p, "IpProtocol").unwrap_or("-1"));
                let ports = ports(
                    &proto,
                    p.get("FromPort").and_then(Value::as_i64),
                    p.get("ToPort").and_then(Value::as_i64),
                );
                let mut peers: Vec<String> = Vec::new();
                peers.extend(
                    arr(p, "IpRanges")
                        .iter()
                        .filter_map(|x| s(x, "CidrIp").map(str::to_string)),
                );
                peers.extend(
                    arr(p, "Ipv6Ranges")
                        .iter()
                        .filter_map(|x| s(x, "CidrIpv6").map(str::to_string)),
                );
                for pl in arr(p, "PrefixListIds")
                    .iter()
                    .filter_map(|x| s(x, "PrefixListId"))
                {
                    let known = net
                        .regions
                        .get(&net.vpcs[vi].region)
                        .is_some_and(|r| r.prefix_lists.values().any(|(i, _)| i == pl));
                    if known {
                        peers.push(pl.to_string());
                    } else {
                        net.warn(&id, format!("a rule names prefix list {pl}, which is not an S3 or DynamoDB list with CIDRs in the dump: left out"));
                    }
                }
                for g in arr(p, "UserIdGroupPairs")
                    .iter()
                    .filter_map(|x| s(x, "GroupId"))
                {
                    match ids.name_in(g, vi) {
                        Some(n) => peers.push(format!("sg/{n}")),
                        None => net.warn(&id, format!("a rule names security group {g} of another VPC or account: left out")),
                    }
                }
                if peers.is_empty() {
                    continue;
                }
                out.push(Rule {
                    number: None,
                    protocol: proto,
                    ports,
                    peers,
                    action: None,
                });
            }
            out
        };
        let ingress = rules("IpPermissions", net);
        let egress_rules = rules("IpPermissionsEgress", net);
        // AWS's default outbound rule (everything to 0.0.0.0/0, and ::/0) is the format's default.
        let default_egress = egress_rules.iter().all(|r| {
            r.protocol == "all" && r.peers.iter().all(|p| p == "0.0.0.0/0" || p == "::/0")
        }) && egress_rules
            .iter()
            .any(|r| r.peers.iter().any(|p| p == "0.0.0.0/0"));
        let egress = if default_egress {
            None
        } else {
            Some(egress_rules)
        };
        net.vpcs[vi].security_groups.push(SecurityGroup {
            name,
            id,
            description: s(&v, "Description")
                .map(str::to_string)
                .filter(|d| !d.is_empty()),
            ingress,
            egress,
        });
    }
}

fn gateways(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &mut Ids,
) {
    for r in regions {
        for g in dump.items(r, "ec2-describe-internet-gateways", "InternetGateways") {
            let Some(id) = s(g, "InternetGatewayId") else {
                continue;
            };
            for a in arr(g, "Attachments") {
                if let Some(&vi) = s(a, "VpcId").and_then(|v| vpcs.get(v)) {
                    net.vpcs[vi].internet_gateway = Some(id.to_string());
                    ids.add(id, vi, "igw");
                }
            }
        }
        for g in dump.items(r, "ec2-describe-vpn-gateways", "VpnGateways") {
            let Some(id) = s(g, "VpnGatewayId") else {
                continue;
            };
            if s(g, "State").is_some_and(|st| st == "deleted" || st == "deleting") {
                continue;
            }
            let asn = g
                .get("AmazonSideAsn")
                .and_then(Value::as_u64)
                .unwrap_or(64512) as u32;
            for a in arr(g, "VpcAttachments") {
                if s(a, "State") != Some("attached") {
                    continue;
                }
                if let Some(&vi) = s(a, "VpcId").and_then(|v| vpcs.get(v)) {
                    net.vpcs[vi].vpn_gateway = Some((id.to_string(), asn));
                    ids.add(id, vi, "vgw");
                }
            }
        }
        for g in dump.items(r, "ec2-describe-nat-gateways", "NatGateways") {
            let (Some(id), Some(vpc), Some(subnet)) =
                (s(g, "NatGatewayId"), s(g, "VpcId"), s(g, "SubnetId"))
            else {
                continue;
            };
            if matches!(s(g, "State"), Some("deleted" | "deleting" | "failed")) {
                continue;
            }
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let Some(sub) = ids.name_in(subnet, vi).map(str::to_string) else {
                continue;
            };
            if s(g, "ConnectivityType") == Some("private") {
                net.warn(id, "a private NAT gateway: vpcsim models public NAT gateways only; imported without an Elastic IP");
            }
            let addr = arr(g, "NatGatewayAddresses").first();
            let name = names[vi].name(name_tag(g), id);
            ids.add(id, vi, &name);
            let cidr = net.vpcs[vi]
                .subnets
                .iter()
                .find(|x| x.name == sub)
                .map(|x| x.cidr.clone())
                .unwrap_or_default();
            net.vpcs[vi].nat_gateways.push(NatGateway {
                name,
                id: id.to_string(),
                subnet: sub,
                ip: addr
                    .and_then(|a| s(a, "PrivateIp"))
                    .filter(|ip| inside(ip, &cidr))
                    .map(str::to_string),
                public_ip: addr.and_then(|a| s(a, "PublicIp")).map(str::to_string),
            });
        }
    }
}

fn instances(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &mut Ids,
) {
    for r in regions {
        let mut all: Vec<&Value> = dump
            .items(r, "ec2-describe-instances", "Reservations")
            .iter()
            .flat_map(|res| arr(res, "Instances"))
            .collect();
        all.sort_by_key(|v| {
            (
                name_tag(v).unwrap_or("~").to_string(),
                s(v, "InstanceId").unwrap_or("").to_string(),
            )
        });
        for v in all {
            let Some(id) = s(v, "InstanceId") else {
                continue;
            };
            if v.get("State")
                .and_then(|st| s(st, "Name"))
                .is_some_and(|n| n == "terminated" || n == "shutting-down")
            {
                continue;
            }
            let (Some(vpc), Some(subnet)) = (s(v, "VpcId"), s(v, "SubnetId")) else {
                net.warn(id, "not in a VPC: skipped");
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let Some(sub) = ids.name_in(subnet, vi).map(str::to_string) else {
                continue;
            };
            let cidr = net.vpcs[vi]
                .subnets
                .iter()
                .find(|x| x.name == sub)
                .map(|x| x.cidr.clone())
                .unwrap_or_default();
            let ip = s(v, "PrivateIpAddress");
            if let Some(ip) = ip.filter(|ip| !inside(ip, &cidr)) {
                net.warn(
                    id,
                    format!("its address {ip} is outside its subnet {cidr}: vpcsim allocates one"),
                );
            }
            let sgs: Vec<String> = arr(v, "SecurityGroups")
                .iter()
                .filter_map(|g| s(g, "GroupId"))
                .filter_map(|g| ids.name_in(g, vi).map(str::to_string))
                .collect();
            if v.get("IamInstanceProfile").is_some() {
                net.info(id, "has an instance profile: give the instance `role:` with a principal to sign its requests");
            }
            let name = names[vi].name(name_tag(v), id);
            ids.add(id, vi, &name);
            net.vpcs[vi].instances.push(Instance {
                name,
                id: id.to_string(),
                subnet: sub,
                ip: ip.filter(|ip| inside(ip, &cidr)).map(str::to_string),
                public_ip: s(v, "PublicIpAddress").map(str::to_string),
                security_groups: sgs,
            });
        }
    }
}

fn peerings(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    ids: &mut Ids,
) {
    let mut names = Names::new();
    let mut seen = std::collections::HashSet::new();
    for r in regions {
        for p in dump.items(
            r,
            "ec2-describe-vpc-peering-connections",
            "VpcPeeringConnections",
        ) {
            let Some(id) = s(p, "VpcPeeringConnectionId") else {
                continue;
            };
            if !seen.insert(id.to_string()) {
                continue; // listed in both Regions
            }
            let status = p
                .get("Status")
                .and_then(|x| s(x, "Code"))
                .unwrap_or("active");
            if status != "active" {
                net.warn(id, format!("status {status}: only active peerings carry traffic; skipped (routes to it are left out)"));
                continue;
            }
            let side = |k: &str| p.get(k).and_then(|x| s(x, "VpcId"));
            let (Some(a), Some(b)) = (side("RequesterVpcInfo"), side("AccepterVpcInfo")) else {
                continue;
            };
            let (Some(&va), Some(&vb)) = (vpcs.get(a), vpcs.get(b)) else {
                net.warn(
                    id,
                    "one of its VPCs is not in the dump (another account or Region): skipped",
                );
                continue;
            };
            let name = names.name(name_tag(p), id);
            ids.add(id, usize::MAX, &name);
            net.peerings.push(Peering {
                name,
                id: id.to_string(),
                between: [net.vpcs[va].name.clone(), net.vpcs[vb].name.clone()],
            });
        }
    }
}

fn endpoints(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &mut Ids,
) {
    for r in regions {
        let enis: HashMap<&str, &Value> = dump
            .items(r, "ec2-describe-network-interfaces", "NetworkInterfaces")
            .iter()
            .filter_map(|e| Some((s(e, "NetworkInterfaceId")?, e)))
            .collect();
        for e in dump.items(r, "ec2-describe-vpc-endpoints", "VpcEndpoints") {
            let (Some(id), Some(vpc), Some(service)) =
                (s(e, "VpcEndpointId"), s(e, "VpcId"), s(e, "ServiceName"))
            else {
                continue;
            };
            if matches!(
                s(e, "State").map(str::to_ascii_lowercase).as_deref(),
                Some("deleted" | "deleting" | "rejected" | "failed")
            ) {
                continue;
            }
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let kind = match s(e, "VpcEndpointType") {
                Some("Gateway") => "gateway",
                Some("Interface") => "interface",
                other => {
                    net.warn(id, format!("a {} endpoint: vpcsim models gateway and interface endpoints only; skipped", other.unwrap_or("?")));
                    continue;
                }
            };
            let own = format!("com.amazonaws.{}.", net.vpcs[vi].region);
            let short = service.strip_prefix(&own).unwrap_or(service);
            if short.contains('.') || !short.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                net.warn(id, format!("service {service} is not an AWS service of the VPC's Region (a PrivateLink service of another owner?): skipped"));
                continue;
            }
            let name = names[vi].name(name_tag(e), &format!("{short}-{kind}"));
            ids.add(id, vi, &name);
            let policy = s(e, "PolicyDocument")
                .and_then(|p| serde_json::from_str::<Value>(p).ok())
                .filter(|p| !full_access(p));
            let mut ep = Endpoint {
                name,
                id: id.to_string(),
                kind: kind.into(),
                service: short.to_string(),
                policy,
                ..Endpoint::default()
            };
            if kind == "gateway" {
                for t in arr(e, "RouteTableIds").iter().filter_map(Value::as_str) {
                    ep.route_tables.push(t.to_string()); // names resolved once tables have names
                }
            } else {
                let subnet_cidr: HashMap<String, (String, String, String)> = net.vpcs[vi]
                    .subnets
                    .iter()
                    .map(|x| (x.id.clone(), (x.name.clone(), x.cidr.clone(), x.az.clone())))
                    .collect();
                let mut addr_of: HashMap<String, String> = HashMap::new();
                for n in arr(e, "NetworkInterfaceIds")
                    .iter()
                    .filter_map(Value::as_str)
                {
                    let Some(eni) = enis.get(n) else { continue };
                    let (Some(sub), Some(ip)) = (s(eni, "SubnetId"), s(eni, "PrivateIpAddress"))
                    else {
                        continue;
                    };
                    addr_of.insert(sub.to_string(), ip.to_string());
                }
                let mut azs = std::collections::HashSet::new();
                for sub in arr(e, "SubnetIds").iter().filter_map(Value::as_str) {
                    let Some((sname, cidr, az)) = subnet_cidr.get(sub) else {
                        continue;
                    };
                    if !azs.insert(az.clone()) {
                        net.warn(id, format!("two subnets in {az}: AWS allows one per Availability Zone; {sname} left out"));
                        continue;
                    }
                    let ip = addr_of.get(sub).cloned();
                    let fits = ip
                        .as_deref()
                        .filter(|ip| inside(ip, cidr))
                        .map(str::to_string);
                    if let (Some(ip), None) = (&ip, &fits) {
                        net.warn(id, format!("its network interface in {sname} has the address {ip}, outside the subnet {cidr}: vpcsim allocates one in the subnet"));
                    }
                    ep.subnets.push((sname.clone(), fits));
                }
                if ep.subnets.is_empty() {
                    net.warn(
                        id,
                        "an interface endpoint without a subnet of the dump: skipped",
                    );
                    continue;
                }
                ep.security_groups = arr(e, "Groups")
                    .iter()
                    .filter_map(|g| s(g, "GroupId"))
                    .filter_map(|g| ids.name_in(g, vi).map(str::to_string))
                    .collect();
                ep.dns_id = arr(e, "DnsEntries")
                    .iter()
                    .filter_map(|d| s(d, "DnsName"))
                    .find_map(|d| {
                        let first = d.split('.').next()?;
                        let rest = first.strip_prefix(id)?.strip_prefix('-')?;
                        (!rest.is_empty()
                            && rest.len() <= 16
                            && rest
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
                        .then(|| rest.to_string())
                    });
                ep.private_dns = e.get("PrivateDnsEnabled").and_then(Value::as_bool);
                ep.private_dns_only_inbound = e
                    .get("DnsOptions")
                    .and_then(|o| o.get("PrivateDnsOnlyForInboundResolverEndpoint"))
                    .and_then(Value::as_bool);
            }
            net.vpcs[vi].endpoints.push(ep);
        }
    }
    // S3 and DynamoDB private DNS "only for inbound Resolver endpoints" needs a gateway endpoint
    // in the VPC (AWS refuses it otherwise): without one, the setting must have been off.
    for v in &mut net.vpcs {
        let gateways: Vec<String> = v
            .endpoints
            .iter()
            .filter(|e| e.kind == "gateway")
            .map(|e| e.service.clone())
            .collect();
        for e in &mut v.endpoints {
            if e.kind != "interface" || !matches!(e.service.as_str(), "s3" | "dynamodb") {
                e.private_dns_only_inbound = None;
                continue;
            }
            if e.private_dns != Some(true) {
                e.private_dns_only_inbound = None;
            } else if e.private_dns_only_inbound.is_none() {
                e.private_dns_only_inbound = Some(gateways.contains(&e.service));
            } else if e.private_dns_only_inbound == Some(true) && !gateways.contains(&e.service) {
                e.private_dns_only_inbound = Some(false);
            }
        }
    }
}

/// AWS's default endpoint policy (everything allowed), written either way.
fn full_access(p: &Value) -> bool {
    let st = arr(p, "Statement");
    st.len() == 1 && {
        let x = &st[0];
        s(x, "Effect") == Some("Allow")
            && matches!(x.get("Principal"), Some(Value::String(p)) if p == "*")
            && matches!(x.get("Action"), Some(Value::String(a)) if a == "*")
            && matches!(x.get("Resource"), Some(Value::String(r)) if r == "*")
            && x.get("Condition").is_none()
    }
}

fn route_tables(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &mut Ids,
) {
    let mut tables: Vec<(usize, &Value)> = Vec::new();
    for r in regions {
        for t in dump.items(r, "ec2-describe-route-tables", "RouteTables") {
            if let Some(&vi) = s(t, "VpcId").and_then(|v| vpcs.get(v)) {
                tables.push((vi, t));
            }
        }
    }
    tables.sort_by_key(|(vi, t)| {
        let main = arr(t, "Associations")
            .iter()
            .any(|a| a.get("Main") == Some(&Value::Bool(true)));
        (
            *vi,
            !main,
            name_tag(t).unwrap_or("~").to_string(),
            s(t, "RouteTableId").unwrap_or("").to_string(),
        )
    });
    for (vi, t) in tables {
        let Some(id) = s(t, "RouteTableId") else {
            continue;
        };
        let main = arr(t, "Associations")
            .iter()
            .any(|a| a.get("Main") == Some(&Value::Bool(true)));
        let name = names[vi].name(name_tag(t).or(main.then_some("main")), id);
        ids.add(id, vi, &name);
        for a in arr(t, "Associations") {
            if let Some(sub) = s(a, "SubnetId")
                && let Some(x) = net.vpcs[vi].subnets.iter_mut().find(|x| x.id == sub)
            {
                x.route_table = Some(name.clone());
            }
        }
        let mut routes = Vec::new();
        for rt in arr(t, "Routes") {
            let dst = s(rt, "DestinationCidrBlock")
                .or(s(rt, "DestinationIpv6CidrBlock"))
                .or(s(rt, "DestinationPrefixListId"));
            let Some(dst) = dst else { continue };
            if s(rt, "Origin") == Some("EnableVgwRoutePropagation") {
                continue; // learned: `propagate: [vgw]` brings it back
            }
            let gw = s(rt, "GatewayId");
            if gw == Some("local") {
                continue;
            }
            if s(rt, "State") == Some("blackhole") {
                net.warn(
                    id,
                    format!("route {dst} is a blackhole (its target was deleted): left out"),
                );
                continue;
            }
            let target = if let Some(g) = gw {
                if g.starts_with("igw-") {
                    Some("igw".to_string())
                } else if g.starts_with("vgw-") {
                    Some("vgw".to_string())
                } else if g.starts_with("vpce-") {
                    None // the gateway endpoint's own route: its `route_tables:` gives it back
                } else {
                    net.warn(
                        id,
                        format!("route {dst} → {g}: a gateway vpcsim does not model; left out"),
                    );
                    None
                }
            } else if let Some(n) = s(rt, "NatGatewayId") {
                match ids.name_in(n, vi) {
                    Some(nm) => Some(format!("nat/{nm}")),
                    None => {
                        net.warn(
                            id,
                            format!(
                                "route {dst} → {n}: the NAT gateway is not in the dump; left out"
                            ),
                        );
                        None
                    }
                }
            } else if let Some(p) = s(rt, "VpcPeeringConnectionId") {
                match ids.get(p) {
                    Some((_, nm)) => Some(format!("peering/{nm}")),
                    None => {
                        net.warn(id, format!("route {dst} → {p}: the peering is not active or not in the dump; left out"));
                        None
                    }
                }
            } else if let Some(i) = s(rt, "InstanceId") {
                ids.name_in(i, vi).map(|nm| format!("instance/{nm}"))
            } else if let Some(tgw) = s(rt, "TransitGatewayId") {
                net.warn(
                    id,
                    format!("route {dst} → {tgw}: transit gateways are not modelled yet; left out"),
                );
                None
            } else {
                let what = [
                    "EgressOnlyInternetGatewayId",
                    "CarrierGatewayId",
                    "LocalGatewayId",
                    "NetworkInterfaceId",
                    "CoreNetworkArn",
                ]
                .iter()
                .find_map(|k| s(rt, k))
                .unwrap_or("an unknown target");
                net.warn(
                    id,
                    format!("route {dst} → {what}: a target vpcsim does not model; left out"),
                );
                None
            };
            if let Some(target) = target {
                routes.push(Route {
                    destination: dst.to_string(),
                    target,
                });
            }
        }
        // A prefix-list destination must be a list the Region knows.
        let region = net.vpcs[vi].region.clone();
        routes.retain(|r| {
            !r.destination.starts_with("pl-")
                || net
                    .regions
                    .get(&region)
                    .is_some_and(|g| g.prefix_lists.values().any(|(i, _)| *i == r.destination))
        });
        let propagate = !arr(t, "PropagatingVgws").is_empty() && net.vpcs[vi].vpn_gateway.is_some();
        net.vpcs[vi].route_tables.push(RouteTable {
            name,
            id: id.to_string(),
            main,
            propagate,
            routes,
        });
    }
    // Gateway endpoints name their tables.
    for v in &mut net.vpcs {
        let by_id: HashMap<String, String> = v
            .route_tables
            .iter()
            .map(|t| (t.id.clone(), t.name.clone()))
            .collect();
        for e in &mut v.endpoints {
            e.route_tables = e
                .route_tables
                .iter()
                .filter_map(|t| by_id.get(t).cloned())
                .collect();
        }
        // A table holds one gateway endpoint per service: keep the first.
        let mut taken: std::collections::HashSet<(String, String)> =
            std::collections::HashSet::new();
        for e in v.endpoints.iter_mut().filter(|e| e.kind == "gateway") {
            e.route_tables
                .retain(|t| taken.insert((t.clone(), e.service.clone())));
        }
        // The main table's subnets need no `route_table:`.
        let main = v
            .route_tables
            .iter()
            .find(|t| t.main)
            .map(|t| t.name.clone());
        for sub in &mut v.subnets {
            if sub.route_table == main {
                sub.route_table = None;
            }
        }
    }
}

fn network_acls(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    names: &mut [Names],
    ids: &Ids,
) {
    for r in regions {
        for a in dump.items(r, "ec2-describe-network-acls", "NetworkAcls") {
            let (Some(id), Some(vpc)) = (s(a, "NetworkAclId"), s(a, "VpcId")) else {
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let mut ingress = Vec::new();
            let mut egress = Vec::new();
            for e in arr(a, "Entries") {
                let number = e.get("RuleNumber").and_then(Value::as_u64).unwrap_or(0);
                if number == 0 || number > 32766 {
                    continue; // the `*` rule: the format's default
                }
                let proto = protocol(s(e, "Protocol").unwrap_or("-1"));
                let pr = e.get("PortRange");
                let rule = Rule {
                    number: Some(number as u32),
                    ports: ports(
                        &proto,
                        pr.and_then(|p| p.get("From")).and_then(Value::as_i64),
                        pr.and_then(|p| p.get("To")).and_then(Value::as_i64),
                    ),
                    protocol: proto,
                    peers: s(e, "CidrBlock")
                        .or(s(e, "Ipv6CidrBlock"))
                        .map(str::to_string)
                        .into_iter()
                        .collect(),
                    action: s(e, "RuleAction").map(str::to_string),
                };
                if rule.peers.is_empty() {
                    continue;
                }
                if e.get("Egress") == Some(&Value::Bool(true)) {
                    egress.push(rule);
                } else {
                    ingress.push(rule);
                }
            }
            let allow_all = |rules: &[Rule]| {
                rules.len() <= 2
                    && rules.iter().any(|r| r.peers == ["0.0.0.0/0"])
                    && rules
                        .iter()
                        .all(|r| r.protocol == "all" && r.action.as_deref() == Some("allow"))
            };
            let default = a.get("IsDefault") == Some(&Value::Bool(true));
            if default && allow_all(&ingress) && allow_all(&egress) {
                continue; // AWS's default ACL as created: the format's default
            }
            let subnets: Vec<String> = arr(a, "Associations")
                .iter()
                .filter_map(|x| s(x, "SubnetId"))
                .filter_map(|x| ids.name_in(x, vi).map(str::to_string))
                .collect();
            if default && subnets.is_empty() {
                continue;
            }
            let name = names[vi].name(name_tag(a).or(default.then_some("default-acl")), id);
            ingress.sort_by_key(|r| r.number);
            egress.sort_by_key(|r| r.number);
            net.vpcs[vi].network_acls.push(NetworkAcl {
                name,
                id: id.to_string(),
                subnets,
                ingress,
                egress,
            });
        }
    }
}

fn resolver(
    dump: &Dump,
    regions: &[String],
    net: &mut Net,
    vpcs: &HashMap<String, usize>,
    ids: &Ids,
) {
    for r in regions {
        let addresses: HashMap<&str, &Value> = dump
            .per_item(r, "route53resolver-list-resolver-endpoint-ip-addresses")
            .into_iter()
            .collect();
        let mut outbound_of: HashMap<String, usize> = HashMap::new();
        for e in dump.items(
            r,
            "route53resolver-list-resolver-endpoints",
            "ResolverEndpoints",
        ) {
            let (Some(id), Some(vpc)) = (s(e, "Id"), s(e, "HostVPCId")) else {
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let Some(ips) = addresses.get(id) else {
                net.warn(id, format!("no {r}/route53resolver-list-resolver-endpoint-ip-addresses-{id}.json: its addresses are unknown; skipped"));
                continue;
            };
            let mut subnets: Vec<(String, Option<String>)> = Vec::new();
            for a in arr(ips, "IpAddresses") {
                let Some(sub) = s(a, "SubnetId").and_then(|x| ids.name_in(x, vi)) else {
                    continue;
                };
                if subnets.iter().any(|(n, _)| n == sub) {
                    net.warn(id, format!("two addresses in subnet {sub}: vpcsim gives an endpoint one per subnet; the first kept"));
                    continue;
                }
                let cidr = net.vpcs[vi]
                    .subnets
                    .iter()
                    .find(|x| x.name == sub)
                    .map(|x| x.cidr.clone())
                    .unwrap_or_default();
                let ip = s(a, "Ip")
                    .filter(|ip| inside(ip, &cidr))
                    .map(str::to_string);
                subnets.push((sub.to_string(), ip));
            }
            if subnets.len() < 2 {
                net.warn(id, "fewer than two subnets: AWS requires two addresses per Resolver endpoint; skipped");
                continue;
            }
            let sgs: Vec<String> = arr(e, "SecurityGroupIds")
                .iter()
                .filter_map(Value::as_str)
                .filter_map(|g| ids.name_in(g, vi).map(str::to_string))
                .collect();
            let ep = ResolverEndpoint {
                id: id.to_string(),
                subnets,
                security_groups: sgs,
            };
            match s(e, "Direction") {
                Some("INBOUND") => net.vpcs[vi].inbound_resolver = Some(ep),
                Some("OUTBOUND") => {
                    outbound_of.insert(id.to_string(), vi);
                    net.vpcs[vi].outbound_resolver = Some(ep);
                }
                other => net.warn(id, format!("direction {}: skipped", other.unwrap_or("?"))),
            }
        }
        let rules: HashMap<&str, &Value> = dump
            .items(r, "route53resolver-list-resolver-rules", "ResolverRules")
            .iter()
            .filter_map(|x| Some((s(x, "Id")?, x)))
            .collect();
        let mut names: Vec<Names> = net.vpcs.iter().map(|_| Names::new()).collect();
        for a in dump.items(
            r,
            "route53resolver-list-resolver-rule-associations",
            "ResolverRuleAssociations",
        ) {
            let (Some(rid), Some(vpc)) = (s(a, "ResolverRuleId"), s(a, "VPCId")) else {
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let Some(rule) = rules.get(rid) else {
                net.warn(
                    rid,
                    "associated with a VPC but not in list-resolver-rules: skipped",
                );
                continue;
            };
            let domain = s(rule, "DomainName")
                .unwrap_or(".")
                .trim_end_matches('.')
                .to_string();
            let kind = match s(rule, "RuleType") {
                Some("FORWARD") => "forward",
                Some("SYSTEM") => "system",
                _ => {
                    net.info(
                        rid,
                        "a RECURSIVE rule (the Resolver's own): nothing to import",
                    );
                    continue;
                }
            };
            if domain.is_empty() {
                net.warn(
                    rid,
                    "a rule for the root domain: vpcsim rules need a domain; skipped",
                );
                continue;
            }
            if kind == "forward" && net.vpcs[vi].outbound_resolver.is_none() {
                net.warn(rid, format!("a forward rule in VPC {} without an outbound endpoint there (a shared rule?): skipped", net.vpcs[vi].name));
                continue;
            }
            let targets: Vec<String> = arr(rule, "TargetIps")
                .iter()
                .filter_map(|t| {
                    let ip = s(t, "Ip").or(s(t, "Ipv6"))?;
                    Some(match t.get("Port").and_then(Value::as_u64) {
                        Some(53) | None => ip.to_string(),
                        Some(p) => format!("{ip}:{p}"),
                    })
                })
                .collect();
            let name = names[vi].name(s(rule, "Name"), rid);
            net.vpcs[vi].resolver_rules.push(ResolverRule {
                name,
                id: rid.to_string(),
                domain,
                kind: kind.into(),
                targets: if kind == "forward" {
                    targets
                } else {
                    Vec::new()
                },
            });
        }
    }
}

fn links(dump: &Dump, regions: &[String], net: &mut Net, ids: &Ids) {
    let mut names = Names::new();
    let vgw_vpc = |g: &str| ids.get(g).map(|(vi, _)| *vi);
    for r in regions {
        for v in dump.items(r, "ec2-describe-vpn-connections", "VpnConnections") {
            let Some(id) = s(v, "VpnConnectionId") else {
                continue;
            };
            if matches!(s(v, "State"), Some("deleted" | "deleting")) {
                continue;
            }
            if v.get("TransitGatewayId").is_some() {
                net.warn(id, "a VPN to a transit gateway: not modelled yet; skipped");
                continue;
            }
            let Some(vi) = s(v, "VpnGatewayId").and_then(vgw_vpc) else {
                net.warn(
                    id,
                    "its VPN gateway is attached to no VPC of the dump: skipped",
                );
                continue;
            };
            let static_only = v
                .get("Options")
                .and_then(|o| o.get("StaticRoutesOnly"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            let prefixes: Vec<String> = arr(v, "Routes")
                .iter()
                .filter(|x| s(x, "State") != Some("deleted"))
                .filter_map(|x| s(x, "DestinationCidrBlock").map(str::to_string))
                .collect();
            let site = names.name(
                None,
                &format!("site-{}", s(v, "CustomerGatewayId").unwrap_or(id)),
            );
            let name = names.name(name_tag(v), id);
            if prefixes.is_empty() {
                net.warn(id, "a BGP VPN: the on-premises prefixes are learned, not in AWS's description; written as a stub at the end to complete");
            }
            let vpc = &net.vpcs[vi];
            net.links.push(Link {
                name,
                id: id.to_string(),
                kind: "vpn".into(),
                attach: format!("{}/vgw", vpc.name),
                routing: Some(if static_only { "static" } else { "bgp" }.into()),
                asn: None,
                prefixes,
                site,
                vpc_cidrs: vpc.cidrs.clone(),
            });
        }
        for x in dump.items(
            r,
            "directconnect-describe-virtual-interfaces",
            "virtualInterfaces",
        ) {
            let Some(id) = s(x, "virtualInterfaceId") else {
                continue;
            };
            if s(x, "virtualInterfaceType") != Some("private") {
                net.info(
                    id,
                    format!(
                        "a {} virtual interface: vpcsim models private ones; skipped",
                        s(x, "virtualInterfaceType").unwrap_or("?")
                    ),
                );
                continue;
            }
            let vi = s(x, "virtualGatewayId")
                .filter(|g| !g.is_empty())
                .and_then(vgw_vpc);
            let attach = match (vi, s(x, "directConnectGatewayId").filter(|g| !g.is_empty())) {
                (Some(vi), _) => format!("{}/vgw", net.vpcs[vi].name),
                (None, Some(g)) => {
                    net.warn(id, format!("attached to Direct Connect gateway {g}, whose associations describe-virtual-interfaces does not give: written as a stub"));
                    format!("dxgw/{g}")
                }
                (None, None) => {
                    net.warn(id, "attached to no VPN gateway of the dump: skipped");
                    continue;
                }
            };
            let name = names.name(s(x, "virtualInterfaceName"), id);
            let site = names.name(
                None,
                &format!("site-{}", s(x, "connectionId").unwrap_or(id)),
            );
            net.warn(id, "Direct Connect: the on-premises prefixes are learned over BGP, not in AWS's description; written as a stub at the end to complete");
            net.links.push(Link {
                name,
                id: id.to_string(),
                kind: "direct_connect".into(),
                attach,
                routing: None,
                asn: x.get("asn").and_then(Value::as_u64),
                prefixes: Vec::new(),
                site,
                vpc_cidrs: vi.map(|vi| net.vpcs[vi].cidrs.clone()).unwrap_or_default(),
            });
        }
    }
}

fn zones(dump: &Dump, net: &mut Net, vpcs: &HashMap<String, usize>) {
    // Interface endpoints by the DNS names AWS gives them, for alias records.
    let mut endpoint_names: Vec<(String, String)> = Vec::new();
    for r in dump.regions() {
        for e in dump.items(&r, "ec2-describe-vpc-endpoints", "VpcEndpoints") {
            let (Some(id), Some(vpc)) = (s(e, "VpcEndpointId"), s(e, "VpcId")) else {
                continue;
            };
            let Some(&vi) = vpcs.get(vpc) else { continue };
            let Some(ep) = net.vpcs[vi].endpoints.iter().find(|x| x.id == id) else {
                continue;
            };
            for d in arr(e, "DnsEntries").iter().filter_map(|d| s(d, "DnsName")) {
                endpoint_names.push((
                    d.trim_end_matches('.').to_ascii_lowercase(),
                    format!("{}/{}", net.vpcs[vi].name, ep.name),
                ));
            }
        }
    }
    for z in dump.items("", "route53-list-hosted-zones", "HostedZones") {
        let (Some(zid), Some(domain)) = (s(z, "Id"), s(z, "Name")) else {
            continue;
        };
        let short = zid.rsplit('/').next().unwrap_or(zid);
        let private = z
            .get("Config")
            .and_then(|c| c.get("PrivateZone"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if !private {
            net.info(
                short,
                "a public hosted zone: vpcsim answers AWS's public names only; skipped",
            );
            continue;
        }
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let Some(detail) = dump.get("", &format!("route53-get-hosted-zone-{short}")) else {
            net.warn(
                short,
                format!("no route53-get-hosted-zone-{short}.json: its VPCs are unknown; skipped"),
            );
            continue;
        };
        let vpc_names: Vec<String> = arr(detail, "VPCs")
            .iter()
            .filter_map(|v| s(v, "VPCId"))
            .filter_map(|v| vpcs.get(v).map(|&i| net.vpcs[i].name.clone()))
            .collect();
        if vpc_names.is_empty() {
            net.warn(short, "associated with no VPC of the dump: skipped");
            continue;
        }
        let mut records = Vec::new();
        let sets = dump.get("", &format!("route53-list-resource-record-sets-{short}"));
        if sets.is_none() {
            net.warn(
                short,
                format!(
                    "no route53-list-resource-record-sets-{short}.json: imported without records"
                ),
            );
        }
        for rs in sets.map(|v| arr(v, "ResourceRecordSets")).unwrap_or(&[]) {
            let (Some(name), Some(kind)) = (s(rs, "Name"), s(rs, "Type")) else {
                continue;
            };
            let name = name
                .trim_end_matches('.')
                .to_ascii_lowercase()
                .replace("\\052", "*");
            let rel = if name == domain {
                "@".to_string()
            } else if let Some(r) = name.strip_suffix(&format!(".{domain}")) {
                r.to_string()
            } else {
                continue;
            };
            if rel == "@" && matches!(kind, "SOA" | "NS") {
                continue; // Route 53's own
            }
            if !matches!(
                kind,
                "A" | "AAAA" | "CNAME" | "TXT" | "MX" | "SRV" | "NS" | "PTR" | "CAA"
            ) {
                net.warn(
                    short,
                    format!("record {name} {kind}: a type vpcsim does not serve; skipped"),
                );
                continue;
            }
            if s(rs, "SetIdentifier").is_some() {
                net.warn(short, format!("record {name} {kind} has a routing policy (weighted, latency…): imported as a simple record"));
            }
            if let Some(alias) = rs.get("AliasTarget") {
                let target = s(alias, "DNSName")
                    .unwrap_or("")
                    .trim_end_matches('.')
                    .to_ascii_lowercase();
                match endpoint_names.iter().find(|(n, _)| *n == target) {
                    Some((_, ep)) if matches!(kind, "A" | "AAAA") => records.push(Record {
                        name: rel,
                        kind: kind.into(),
                        alias: Some(ep.clone()),
                        ..Record::default()
                    }),
                    _ => net.warn(short, format!("record {name} is an alias to {target}, which is not an interface endpoint of the dump: skipped")),
                }
                continue;
            }
            let values: Vec<String> = arr(rs, "ResourceRecords")
                .iter()
                .filter_map(|v| s(v, "Value").map(str::to_string))
                .collect();
            if values.is_empty() {
                continue;
            }
            records.push(Record {
                name: rel,
                kind: kind.into(),
                values,
                alias: None,
                ttl: rs.get("TTL").and_then(Value::as_u64),
            });
        }
        if net.hosted_zones.iter().any(|h| h.domain == domain) {
            net.warn(
                short,
                format!("a second private zone for {domain}: vpcsim keys zones by domain; skipped"),
            );
            continue;
        }
        net.hosted_zones.push(HostedZone {
            domain,
            id: short.to_string(),
            vpcs: vpc_names,
            records,
        });
    }
}

fn buckets(dump: &Dump, regions: &[String], net: &mut Net) {
    let account = net.accounts.iter().next().cloned();
    for r in regions {
        for (bucket, v) in dump.per_item(r, "s3api-get-bucket-policy") {
            let Some(account) = account.clone() else {
                continue;
            };
            if net.accounts.len() > 1 {
                net.warn(bucket, format!("the dump holds several accounts: its owner is taken to be {account}; check `account:`"));
            }
            let policy = s(v, "Policy").and_then(|p| serde_json::from_str::<Value>(p).ok());
            if policy.is_none() {
                net.warn(bucket, "its policy is not JSON: imported without it");
            }
            net.regions.entry(r.clone()).or_default();
            net.buckets.push(Bucket {
                name: bucket.to_string(),
                account,
                region: r.clone(),
                policy,
            });
        }
    }
    for (bucket, _) in dump.per_item("", "s3api-get-bucket-policy") {
        net.warn(bucket, "its policy file is at the top of the folder: put it in its Region's folder (REGION/s3api-get-bucket-policy-BUCKET.json); skipped");
    }
}

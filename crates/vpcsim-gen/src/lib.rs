//! Synthetic topologies at scale, for benchmarks and load tests (`vpcsim gen`).
//!
//! [`generate`] writes the YAML text of a valid topology from [`Params`]: hub-and-spoke VPCs in
//! us-east-1 (every 50th VPC is a hub holding interface endpoints, the others are spokes peered
//! with their hub, each with an optional S3 gateway endpoint), on-premises sites attached to the
//! hubs' virtual private gateways over Direct Connect with a VPN backup, buckets whose policies
//! accept only their hub's endpoints, S3 on Outposts, and `expect:` entries (requests, DNS
//! resolutions and a failure scenario) that hold, so `vpcsim check` passes on every output.
//!
//! Addressing: VPC `i` is the /22 `10.(i / 64).((i % 64) * 4).0`, so up to 16,384 VPCs fit in
//! 10.0.0.0/8 without overlap; its subnets are /25s (at most 8 per VPC). Above 16,384 VPCs
//! (up to [`MAX_VPCS`]) every VPC is a /25 instead, `10.(i / 512).((i / 2) % 256).((i % 2) * 128)`,
//! with /28 subnets (11 usable addresses each, so at most [`MAX_COMPACT_INTERFACE_ENDPOINTS`]
//! interface endpoints per hub). Site `s` is the /24
//! `172.(16 + s / 256).(s % 256).0`. Extra static routes use /24s of 100.64.0.0/10.
//!
//! Invariant: pure; the same [`Params`] (seed included) give byte-identical text.

use std::fmt::Write as _;

use vpcsim_aws::{EndpointPrefix, Family, ServiceName};
use vpcsim_topology::stable_hash;

/// How many VPCs share one hub (the hub included).
pub const VPCS_PER_HUB: usize = 50;
/// The largest number of VPCs [`generate`] accepts: every /25 of 10.0.0.0/8.
pub const MAX_VPCS: usize = 131_072;
/// The most VPCs that get a /22 each (every /22 of 10.0.0.0/8); above, VPCs are /25s.
pub const MAX_WIDE_VPCS: usize = 16_384;
/// The most interface endpoints per hub when VPCs are /25s (an ENI each in three /28 subnets of
/// 11 usable addresses, beside the four X-ENIs of an S3 on Outposts endpoint).
pub const MAX_COMPACT_INTERFACE_ENDPOINTS: usize = 6;
/// The largest number of subnets per VPC.
pub const MAX_SUBNETS_PER_VPC: usize = 8;
/// The largest number of on-premises sites.
pub const MAX_SITES: usize = 4_096;
/// The largest number of extra static routes per route table.
pub const MAX_ROUTES_PER_TABLE: usize = 16_384;

/// Services of a hub's interface endpoints, in order (the first is always S3).
const INTERFACE_SERVICES: &[&str] = &[
    "s3",
    "sts",
    "ssm",
    "kms",
    "logs",
    "sqs",
    "sns",
    "ec2",
    "secretsmanager",
    "ecs",
    "lambda",
    "monitoring",
];

/// The account that owns everything.
pub const ACCOUNT: &str = "111122223333";
const REGION: &str = "us-east-1";
const AZS: [&str; 4] = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"];
/// How many hubs, sites and Outposts get expectations (spread over the topology).
const SAMPLES: usize = 5;

/// Size parameters of a synthetic topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    /// Seed of the ids (and the topology's own `seed`).
    pub seed: u64,
    /// Number of VPCs, 1 to [`MAX_VPCS`].
    pub vpcs: usize,
    /// Subnets per VPC, 1 to [`MAX_SUBNETS_PER_VPC`].
    pub subnets_per_vpc: usize,
    /// Extra static routes in each route table, up to [`MAX_ROUTES_PER_TABLE`].
    pub routes_per_table: usize,
    /// Interface endpoints per hub, 1 to 12 (S3 first, then sts, ssm, kms…).
    pub interface_endpoints: usize,
    /// Every spoke has an S3 gateway endpoint.
    pub gateway_endpoints: bool,
    /// On-premises sites, each attached to a hub over Direct Connect and a VPN, up to [`MAX_SITES`].
    pub sites: usize,
    /// Buckets (bucket `b` belongs to hub `b % hubs`); `None`: one per hub.
    pub buckets: Option<usize>,
    /// S3 on Outposts deployments, spread over the VPCs.
    pub outposts: usize,
    /// Every VPC a /25 with /28 subnets, as above [`MAX_WIDE_VPCS`] VPCs, whatever their number.
    pub compact: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            seed: 0,
            vpcs: 100,
            subnets_per_vpc: 2,
            routes_per_table: 2,
            interface_endpoints: 1,
            gateway_endpoints: true,
            sites: 1,
            buckets: None,
            outposts: 1,
            compact: false,
        }
    }
}

impl Params {
    /// Parameters with `vpcs` VPCs and the defaults otherwise.
    pub fn with_vpcs(vpcs: usize) -> Self {
        Params {
            vpcs,
            ..Params::default()
        }
    }

    /// True when VPCs are /25s with /28 subnets: asked for, or needed by the number of VPCs.
    pub fn is_compact(&self) -> bool {
        self.compact || self.vpcs > MAX_WIDE_VPCS
    }

    /// Says what is out of range, if anything.
    pub fn check(&self) -> Result<(), String> {
        let range = |name: &str, v: usize, lo: usize, hi: usize| {
            if v < lo || v > hi {
                Err(format!("{name} must be between {lo} and {hi} (got {v})"))
            } else {
                Ok(())
            }
        };
        range("--vpcs", self.vpcs, 1, MAX_VPCS)?;
        range(
            "--subnets-per-vpc",
            self.subnets_per_vpc,
            1,
            MAX_SUBNETS_PER_VPC,
        )?;
        range(
            "--routes-per-table",
            self.routes_per_table,
            0,
            MAX_ROUTES_PER_TABLE,
        )?;
        range(
            "--interface-endpoints",
            self.interface_endpoints,
            1,
            INTERFACE_SERVICES.len(),
        )?;
        range("--sites", self.sites, 0, MAX_SITES)?;
        range("--outposts", self.outposts, 0, self.vpcs)?;
        if self.is_compact() {
            range(
                "--interface-endpoints (with /28 subnets: --compact or above 16384 VPCs)",
                self.interface_endpoints,
                1,
                MAX_COMPACT_INTERFACE_ENDPOINTS,
            )?;
        }
        Ok(())
    }

    /// Number of hub VPCs.
    pub fn hubs(&self) -> usize {
        self.vpcs.div_ceil(VPCS_PER_HUB)
    }

    /// Number of buckets.
    pub fn bucket_count(&self) -> usize {
        self.buckets.unwrap_or_else(|| self.hubs())
    }
}

/// The name of VPC `i` (`hub-H` or `spoke-I`).
pub fn vpc_name(i: usize) -> String {
    if i.is_multiple_of(VPCS_PER_HUB) {
        format!("hub-{}", i / VPCS_PER_HUB)
    } else {
        format!("spoke-{i}")
    }
}

/// The CIDR of VPC `i` (a /25 when `compact`, else a /22).
pub fn vpc_cidr(i: usize, compact: bool) -> String {
    if compact {
        format!("10.{}.{}.{}/25", i / 512, (i / 2) % 256, (i % 2) * 128)
    } else {
        format!("10.{}.{}.0/22", i / 64, (i % 64) * 4)
    }
}

fn subnet_cidr(i: usize, k: usize, compact: bool) -> String {
    if compact {
        format!(
            "10.{}.{}.{}/28",
            i / 512,
            (i / 2) % 256,
            (i % 2) * 128 + k * 16
        )
    } else {
        format!(
            "10.{}.{}.{}/25",
            i / 64,
            (i % 64) * 4 + k / 2,
            (k % 2) * 128
        )
    }
}

fn site_cidr(s: usize) -> String {
    format!("172.{}.{}.0/24", 16 + s / 256, s % 256)
}

fn site_host(s: usize) -> String {
    format!("172.{}.{}.10", 16 + s / 256, s % 256)
}

fn extra_destination(j: usize) -> String {
    format!("100.{}.{}.0/24", 64 + j / 256, j % 256)
}

/// The id of interface endpoint `e` of hub `h`, and its DNS id.
fn interface_ids(seed: u64, h: usize, e: usize) -> (String, String) {
    let n = h * INTERFACE_SERVICES.len() + e;
    let hash = stable_hash(seed, &["interface", &n.to_string()]);
    let id = format!("vpce-{:08x}{:09x}", hash >> 32, n);
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = stable_hash(seed, &["dns", &n.to_string()]);
    let mut dns = String::with_capacity(8);
    for _ in 0..8 {
        dns.push(alphabet[(x % 36) as usize] as char);
        x /= 36;
    }
    (id, dns)
}

/// The id of spoke `i`'s gateway endpoint.
fn gateway_id(seed: u64, i: usize) -> String {
    let hash = stable_hash(seed, &["gateway", &i.to_string()]);
    format!("vpce-{:08x}{:09x}", hash >> 32, (1u64 << 32) + i as u64)
}

/// The id (`op-…`) of Outpost `o`.
pub fn outpost_id(seed: u64, o: usize) -> String {
    let hash = stable_hash(seed, &["outpost", &o.to_string()]);
    format!("op-{:08x}{:09x}", hash >> 32, o)
}

/// `count` indices spread over `0..n` (first and last included), without repeats.
fn spread(n: usize, count: usize) -> Vec<usize> {
    if n == 0 {
        return Vec::new();
    }
    let mut v: Vec<usize> = (0..count.min(n))
        .map(|k| {
            if count <= 1 {
                0
            } else {
                k * (n - 1) / (count.min(n) - 1).max(1)
            }
        })
        .collect();
    v.dedup();
    v
}

/// The index of the VPC holding Outpost `o`.
pub fn outpost_vpc(p: &Params, o: usize) -> usize {
    o * p.vpcs / p.outposts.max(1)
}

/// The hub of VPC `i`.
fn hub_of(i: usize) -> usize {
    i / VPCS_PER_HUB
}

/// The DNS name of interface endpoint `e` (0 is S3) of hub `h`: Regional, or zonal in `zone`.
pub fn vpce_name(p: &Params, h: usize, e: usize, zone: Option<&str>) -> String {
    vpce_service_name(p, h, e, zone).render()
}

fn vpce_service_name(p: &Params, h: usize, e: usize, zone: Option<&str>) -> ServiceName<'static> {
    let (id, dns) = interface_ids(p.seed, h, e);
    ServiceName::endpoint(
        INTERFACE_SERVICES[e],
        REGION,
        id,
        dns,
        zone.map(|z| z.to_string().into()),
    )
}

/// The `bucket.` name of hub `h`'s S3 interface endpoint (path-style requests).
fn bucket_vpce_name(p: &Params, h: usize) -> String {
    vpce_service_name(p, h, 0, None)
        .with_prefix(EndpointPrefix::Bucket)
        .render()
}

/// `BUCKET.s3.REGION.amazonaws.com`: a bucket's virtual-hosted Regional name.
fn bucket_host(bucket: &str) -> String {
    ServiceName::new(Family::Regional, "s3", REGION)
        .with_resource(bucket)
        .render()
}

/// Generates the topology's YAML text. Panics if [`Params::check`] fails.
pub fn generate(p: &Params) -> String {
    if let Err(e) = p.check() {
        panic!("invalid parameters: {e}");
    }
    let mut out = String::with_capacity(p.vpcs * 1200 + 4096);
    let o = &mut out;
    let hubs = p.hubs();
    let buckets = p.bucket_count();
    // Writing to a String cannot fail.
    let _ = writeln!(
        o,
        "# Generated by `vpcsim gen --vpcs {} --seed {} --subnets-per-vpc {} --routes-per-table {} \
         --interface-endpoints {}{} --sites {} --buckets {} --outposts {}`.",
        p.vpcs,
        p.seed,
        p.subnets_per_vpc,
        p.routes_per_table,
        p.interface_endpoints,
        if p.gateway_endpoints {
            " --gateway-endpoints"
        } else {
            ""
        },
        p.sites,
        buckets,
        p.outposts
    );
    let _ = writeln!(o, "name: gen-{}-vpcs", p.vpcs);
    let _ = writeln!(
        o,
        "description: >\n  Synthetic hub-and-spoke network: {} VPCs ({hubs} hubs with interface endpoints, \
         spokes peered with their hub), {} sites over Direct Connect and VPN, {buckets} buckets, {} Outposts.",
        p.vpcs, p.sites, p.outposts
    );
    let _ = writeln!(o, "seed: {}", p.seed);
    let _ = writeln!(o, "regions:\n  {REGION}: {{ azs: [{}] }}", AZS.join(", "));
    let _ = writeln!(o, "accounts:\n  \"{ACCOUNT}\": {{ name: synthetic }}");

    write_vpcs(o, p);
    write_peerings(o, p);
    write_sites(o, p);
    write_buckets(o, p);
    write_principals(o);
    write_outposts(o, p);
    write_expectations(o, p, hubs, buckets);
    out
}

fn write_vpcs(o: &mut String, p: &Params) {
    let _ = writeln!(o, "vpcs:");
    for i in 0..p.vpcs {
        let name = vpc_name(i);
        let is_hub = i.is_multiple_of(VPCS_PER_HUB);
        let table = if is_hub { "endpoints" } else { "private" };
        let _ = writeln!(
            o,
            "  {name}:\n    account: \"{ACCOUNT}\"\n    region: {REGION}\n    cidr: {}\n    subnets:",
            vpc_cidr(i, p.is_compact())
        );
        for k in 0..p.subnets_per_vpc {
            let _ = writeln!(
                o,
                "      s{k}: {{ az: {}, cidr: {}, route_table: {table} }}",
                AZS[k % AZS.len()],
                subnet_cidr(i, k, p.is_compact())
            );
        }
        let _ = writeln!(o, "    route_tables:\n      {table}:");
        if is_hub {
            let _ = writeln!(o, "        propagate: [vgw]");
        }
        let _ = writeln!(o, "        routes:");
        let h = hub_of(i);
        if is_hub {
            let last = ((h + 1) * VPCS_PER_HUB).min(p.vpcs);
            for s in i + 1..last {
                let _ = writeln!(
                    o,
                    "          - {{ destination: {}, target: peering/p-{s} }}",
                    vpc_cidr(s, p.is_compact())
                );
            }
        } else {
            let _ = writeln!(
                o,
                "          - {{ destination: {}, target: peering/p-{i} }}",
                vpc_cidr(h * VPCS_PER_HUB, p.is_compact())
            );
        }
        // A hub's extra routes go to its VPN gateway when a site is linked to it, else over the
        // peering of its first spoke (a VPN gateway no link connects drops them:
        // `route-vgw-no-link`); a hub alone has none.
        let linked = p.sites > 0 && h < p.sites;
        let extra_target = if !is_hub {
            Some(format!("peering/p-{i}"))
        } else if linked {
            Some("vgw".to_string())
        } else if i + 1 < p.vpcs && hub_of(i + 1) == h {
            Some(format!("peering/p-{}", i + 1))
        } else {
            None
        };
        for j in 0..p.routes_per_table {
            let Some(extra_target) = &extra_target else {
                break;
            };
            let _ = writeln!(
                o,
                "          - {{ destination: {}, target: {extra_target} }}",
                extra_destination(j)
            );
        }
        if is_hub {
            let _ = writeln!(o, "    vpn_gateway: {{ asn: 64512 }}");
            let _ = writeln!(
                o,
                "    security_groups:\n      endpoint-sg:\n        ingress:\n          - {{ protocol: tcp, ports: 443, from: [10.0.0.0/8, 172.16.0.0/12] }}"
            );
        }
        let outpost_here = (0..p.outposts).any(|x| outpost_vpc(p, x) == i);
        if outpost_here {
            if !is_hub {
                let _ = writeln!(o, "    security_groups:");
            }
            let _ = writeln!(
                o,
                "      xeni-sg:\n        ingress:\n          - {{ protocol: tcp, ports: 443, from: {} }}",
                vpc_cidr(i, p.is_compact())
            );
        }
        if is_hub {
            let _ = writeln!(o, "    endpoints:");
            let ens = p.subnets_per_vpc.min(3);
            let subnets: Vec<String> = (0..ens).map(|k| format!("s{k}")).collect();
            for (e, service) in INTERFACE_SERVICES
                .iter()
                .enumerate()
                .take(p.interface_endpoints)
            {
                let (id, dns) = interface_ids(p.seed, h, e);
                let _ = writeln!(
                    o,
                    "      h{h}-{service}:\n        id: {id}\n        dns_id: {dns}\n        type: interface\n        service: {service}\n        subnets: [{}]\n        security_groups: [endpoint-sg]",
                    subnets.join(", ")
                );
            }
        } else if p.gateway_endpoints {
            let _ = writeln!(
                o,
                "    endpoints:\n      gw-{i}:\n        id: {}\n        type: gateway\n        service: s3\n        route_tables: [private]",
                gateway_id(p.seed, i)
            );
        }
        let _ = writeln!(o, "    instances:\n      app: {{ subnet: s0, role: apps }}");
    }
}

fn write_peerings(o: &mut String, p: &Params) {
    if p.vpcs <= 1 {
        return;
    }
    let _ = writeln!(o, "peerings:");
    for i in 0..p.vpcs {
        if !i.is_multiple_of(VPCS_PER_HUB) {
            let _ = writeln!(
                o,
                "  p-{i}: {{ between: [{}, spoke-{i}] }}",
                vpc_name(hub_of(i) * VPCS_PER_HUB)
            );
        }
    }
}

fn write_sites(o: &mut String, p: &Params) {
    if p.sites == 0 {
        return;
    }
    let hubs = p.hubs();
    let _ = writeln!(o, "onprem:");
    for s in 0..p.sites {
        let cidr = site_cidr(s);
        let base = format!("172.{}.{}", 16 + s / 256, s % 256);
        let hub_cidr = vpc_cidr((s % hubs) * VPCS_PER_HUB, p.is_compact());
        let _ = writeln!(
            o,
            "  site-{s}:\n    cidrs: [{cidr}]\n    internet: {{ public_ip: 198.51.{}.{} }}\n    dns: {{ resolver: {base}.2 }}\n    hosts:\n      host: {{ ip: {}, principal: apps }}\n    routes:\n      - {{ destination: {hub_cidr}, via: [dx-{s}, vpn-{s}] }}",
            100 + s / 256,
            s % 256,
            site_host(s)
        );
    }
    let _ = writeln!(o, "links:");
    for s in 0..p.sites {
        let hub = vpc_name((s % hubs) * VPCS_PER_HUB);
        let cidr = site_cidr(s);
        let _ = writeln!(
            o,
            "  dx-{s}: {{ type: direct_connect, onprem: site-{s}, attach: {hub}/vgw, advertise: [{cidr}], asn: 65000 }}"
        );
        let _ = writeln!(
            o,
            "  vpn-{s}: {{ type: vpn, onprem: site-{s}, attach: {hub}/vgw, routing: bgp, advertise: [{cidr}], asn: 65000 }}"
        );
    }
}

fn write_buckets(o: &mut String, p: &Params) {
    let buckets = p.bucket_count();
    if buckets == 0 {
        return;
    }
    let hubs = p.hubs();
    let _ = writeln!(o, "buckets:");
    for b in 0..buckets {
        let h = b % hubs;
        let mut ids = vec![interface_ids(p.seed, h, 0).0];
        if p.gateway_endpoints {
            let first = h * VPCS_PER_HUB;
            let last = (first + VPCS_PER_HUB).min(p.vpcs);
            ids.extend((first + 1..last).map(|i| gateway_id(p.seed, i)));
        }
        let _ = writeln!(
            o,
            "  gen-bucket-{b}:\n    account: \"{ACCOUNT}\"\n    region: {REGION}\n    policy:\n      Statement:\n        - Sid: Only-through-hub-{h}-endpoints\n          Effect: Deny\n          Principal: {{ AWS: \"arn:aws:iam::{ACCOUNT}:role/apps\" }}\n          Action: \"s3:*\"\n          Resource: [\"arn:aws:s3:::gen-bucket-{b}\", \"arn:aws:s3:::gen-bucket-{b}/*\"]\n          Condition: {{ StringNotEquals: {{ \"aws:sourceVpce\": [{}] }} }}",
            ids.join(", ")
        );
    }
}

fn write_principals(o: &mut String) {
    let _ = writeln!(
        o,
        "principals:\n  apps:\n    account: \"{ACCOUNT}\"\n    policies:\n      data:\n        Statement:\n          - Effect: Allow\n            Action: [\"s3:GetObject\", \"s3:PutObject\", \"s3:ListBucket\"]\n            Resource: [\"arn:aws:s3:::gen-bucket-*\", \"arn:aws:s3:::gen-bucket-*/*\"]\n          - Effect: Allow\n            Action: [\"s3-outposts:GetObject\", \"s3-outposts:PutObject\"]\n            Resource: \"arn:aws:s3-outposts:{REGION}:{ACCOUNT}:outpost/*\""
    );
}

fn write_outposts(o: &mut String, p: &Params) {
    if p.outposts == 0 {
        return;
    }
    let _ = writeln!(o, "outposts:");
    for x in 0..p.outposts {
        let vpc = vpc_name(outpost_vpc(p, x));
        let _ = writeln!(
            o,
            "  outpost-{x}:\n    id: {}\n    vpc: {vpc}\n    subnet: s0\n    s3_endpoint: {{ access_type: private, security_groups: [xeni-sg] }}\n    buckets:\n      op-bucket-{x}: {{}}\n    access_points:\n      ap-{x}: {{ bucket: op-bucket-{x}, vpc: {vpc} }}",
            outpost_id(p.seed, x)
        );
    }
}

fn write_expectations(o: &mut String, p: &Params, hubs: usize, buckets: usize) {
    let _ = writeln!(o, "expect:");
    let key = "data/object.csv";
    for h in spread(hubs, SAMPLES) {
        let hub = vpc_name(h * VPCS_PER_HUB);
        let regional = vpce_name(p, h, 0, None);
        let bucket_vpce = bucket_vpce_name(p, h);
        let _ = writeln!(
            o,
            "  - name: {hub}'s S3 endpoint name resolves in public DNS\n    from: public\n    resolve: {regional}\n    rcode: NOERROR"
        );
        if p.subnets_per_vpc < 4 {
            let _ = writeln!(
                o,
                "  - name: but not in an AZ without an ENI\n    from: public\n    resolve: {}\n    rcode: NXDOMAIN",
                vpce_name(p, h, 0, Some(AZS[3]))
            );
        }
        let spoke = h * VPCS_PER_HUB + 1;
        if spoke >= p.vpcs {
            continue;
        }
        if h < buckets {
            let _ = writeln!(
                o,
                "  - name: spoke-{spoke} reaches its hub's bucket through the hub's interface endpoint\n    from: spoke-{spoke}/app\n    request: GET https://{bucket_vpce}/gen-bucket-{h}/{key}\n    verdict: allowed\n    via: [p-{spoke}, h{h}-s3]"
            );
            if p.gateway_endpoints {
                let _ = writeln!(
                    o,
                    "  - name: and through its own gateway endpoint\n    from: spoke-{spoke}/app\n    request: GET https://{}/{key}\n    verdict: allowed\n    via: [gw-{spoke}]",
                    bucket_host(&format!("gen-bucket-{h}"))
                );
            }
        }
        // A bucket of another hub refuses this spoke's gateway endpoint.
        if p.gateway_endpoints && hubs > 1 && buckets > 0 {
            let other = (0..buckets).find(|b| b % hubs != h);
            if let Some(b) = other {
                let _ = writeln!(
                    o,
                    "  - name: a bucket of hub {} refuses spoke-{spoke}'s gateway endpoint\n    from: spoke-{spoke}/app\n    request: GET https://{}/{key}\n    verdict: denied",
                    b % hubs,
                    bucket_host(&format!("gen-bucket-{b}"))
                );
            }
        }
    }
    for s in spread(p.sites, SAMPLES) {
        let h = s % hubs;
        let regional = vpce_name(p, h, 0, None);
        let bucket_vpce = bucket_vpce_name(p, h);
        let _ = writeln!(
            o,
            "  - name: site-{s} resolves hub-{h}'s S3 endpoint\n    from: site-{s}\n    resolve: {regional}\n    rcode: NOERROR"
        );
        if h < buckets {
            let _ = writeln!(
                o,
                "  - name: site-{s} reaches its hub's bucket over Direct Connect\n    from: site-{s}/host\n    request: GET https://{bucket_vpce}/gen-bucket-{h}/{key}\n    verdict: allowed\n    via: [dx-{s}, h{h}-s3]\n  - name: but not over the internet\n    from: site-{s}/host\n    request: GET https://{}/{key}\n    verdict: denied",
                bucket_host(&format!("gen-bucket-{h}"))
            );
        }
    }
    for x in spread(p.outposts, SAMPLES) {
        let vpc = vpc_name(outpost_vpc(p, x));
        let _ = writeln!(
            o,
            "  - name: {vpc} reaches Outpost {x}'s bucket through its access point\n    from: {vpc}/app\n    request: GET https://{}/{key}\n    verdict: allowed\n    via: [outpost-{x}, ap-{x}]",
            ServiceName::outposts_access_point(
                REGION,
                outpost_id(p.seed, x),
                vpcsim_aws::access_point_label(&format!("ap-{x}"), ACCOUNT),
            )
        );
    }
    if p.sites > 0 && p.bucket_count() > 0 {
        let bucket_vpce = bucket_vpce_name(p, 0);
        let _ = writeln!(
            o,
            "scenarios:\n  dx-0-down:\n    fail: [dx-0]\n    expect:\n      - name: site-0 falls back to the VPN\n        from: site-0/host\n        request: GET https://{bucket_vpce}/gen-bucket-0/{key}\n        verdict: allowed\n        via: [vpn-0, h0-s3]"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_says_how_many_vpcs() {
        let text = generate(&Params::with_vpcs(120));
        assert!(
            text.contains("\nname: gen-120-vpcs\n"),
            "{}",
            &text[..300.min(text.len())]
        );
    }

    #[test]
    fn spread_picks_first_and_last() {
        assert_eq!(spread(10, 5), vec![0, 2, 4, 6, 9]);
        assert_eq!(spread(3, 5), vec![0, 1, 2]);
        assert_eq!(spread(1, 5), vec![0]);
        assert!(spread(0, 5).is_empty());
    }

    #[test]
    fn cidrs_do_not_overlap() {
        assert_eq!(vpc_cidr(0, false), "10.0.0.0/22");
        assert_eq!(vpc_cidr(63, false), "10.0.252.0/22");
        assert_eq!(vpc_cidr(64, false), "10.1.0.0/22");
        assert_eq!(subnet_cidr(1, 7, false), "10.0.7.128/25");
        assert_eq!(vpc_cidr(MAX_WIDE_VPCS - 1, false), "10.255.252.0/22");
        assert_eq!(vpc_cidr(0, true), "10.0.0.0/25");
        assert_eq!(vpc_cidr(1, true), "10.0.0.128/25");
        assert_eq!(vpc_cidr(513, true), "10.1.0.128/25");
        assert_eq!(vpc_cidr(MAX_VPCS - 1, true), "10.255.255.128/25");
        assert_eq!(subnet_cidr(1, 7, true), "10.0.0.240/28");
        assert!(Params::with_vpcs(MAX_WIDE_VPCS + 1).is_compact());
        assert!(!Params::with_vpcs(MAX_WIDE_VPCS).is_compact());
    }
}

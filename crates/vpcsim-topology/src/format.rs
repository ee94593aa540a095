//! The topology file format: what users write. These types mirror the YAML one to one; they keep
//! every value's location ([`Spanned`]) and hold names as text. [`crate::validate`] turns them into
//! the [`crate::model`], where every reference is resolved. `vpcsim schema` derives the JSON Schema
//! (docs/topology.schema.json) from these types and their doc comments.
#![allow(missing_docs)] // fields are documented where users read them: the JSON Schema and docs/topology.md

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Unexpected};
use vpcsim_syntax::de::Scalar;
use vpcsim_syntax::{Entries, Lenient, List, Node, NodeKind, OneOrMany, RawNode, Spanned};

/// Text with its location.
pub type Text = Spanned<String>;

/// A vpcsim topology: a network to emulate and what it should do.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// A short name for the scenario.
    #[serde(default)]
    pub name: Lenient<Text>,
    /// What the scenario shows.
    #[serde(default)]
    pub description: Lenient<String>,
    /// Seed for everything vpcsim chooses itself (addresses, DNS ids, X-ENI rotation). Default 0.
    #[serde(default)]
    pub seed: Lenient<u64>,
    /// AWS Regions used, with their Availability Zones.
    #[serde(default)]
    pub regions: Lenient<Entries<Region>>,
    /// AWS accounts, keyed by their 12-digit id.
    #[serde(default)]
    pub accounts: Lenient<Entries<Account>>,
    /// VPCs, keyed by a short name.
    #[serde(default)]
    pub vpcs: Lenient<Entries<Vpc>>,
    /// VPC peering connections.
    #[serde(default)]
    pub peerings: Lenient<Entries<Peering>>,
    /// Direct Connect gateways.
    #[serde(default)]
    pub dx_gateways: Lenient<Entries<DxGateway>>,
    /// On-premises sites.
    #[serde(default)]
    pub onprem: Lenient<Entries<Site>>,
    /// Site-to-Site VPN connections and Direct Connect virtual interfaces.
    #[serde(default)]
    pub links: Lenient<Entries<Link>>,
    /// Route 53 private hosted zones, keyed by domain.
    #[serde(default)]
    pub hosted_zones: Lenient<Entries<HostedZone>>,
    /// S3 buckets, keyed by bucket name.
    #[serde(default)]
    pub buckets: Lenient<Entries<Bucket>>,
    /// IAM roles and users, with their identity policies.
    #[serde(default)]
    pub principals: Lenient<Entries<PrincipalDef>>,
    /// AWS Organizations, keyed by a short name: which accounts are members, in which OUs, and
    /// the SCPs and RCPs attached to the root, OUs and accounts.
    #[serde(default)]
    pub organizations: Lenient<Entries<Organization>>,
    /// AWS Outposts with S3 on Outposts.
    #[serde(default)]
    pub outposts: Lenient<Entries<Outpost>>,
    /// Expectations checked by `vpcsim check`.
    #[serde(default)]
    pub expect: Lenient<List<Expect>>,
    /// Named failure scenarios (links or tunnels down) with their own expectations.
    #[serde(default)]
    pub scenarios: Lenient<Entries<Scenario>>,
    /// Warning codes the topology raises on purpose (a teaching topology showing a broken
    /// design): `vpcsim check` passes each one that is raised and fails each one that is not;
    /// `--deny-warnings` does not count them.
    #[serde(default)]
    pub diagnostics: Lenient<List<Text>>,
}

impl vpcsim_syntax::pieces::Join for Topology {
    /// The later pieces of the same file: each key is in one piece, but for a collection cut
    /// into several, whose entries are appended.
    fn join(&mut self, mut later: Vec<Self>) -> bool {
        use vpcsim_syntax::pieces::take_all;
        // Every field, so that a new one cannot be forgotten here.
        let Topology {
            name,
            description,
            seed,
            regions,
            accounts,
            vpcs,
            peerings,
            dx_gateways,
            onprem,
            links,
            hosted_zones,
            buckets,
            principals,
            organizations,
            outposts,
            expect,
            scenarios,
            diagnostics,
        } = self;
        name.join(take_all(&mut later, |t| &mut t.name))
            && description.join(take_all(&mut later, |t| &mut t.description))
            && seed.join(take_all(&mut later, |t| &mut t.seed))
            && regions.join(take_all(&mut later, |t| &mut t.regions))
            && accounts.join(take_all(&mut later, |t| &mut t.accounts))
            && vpcs.join(take_all(&mut later, |t| &mut t.vpcs))
            && peerings.join(take_all(&mut later, |t| &mut t.peerings))
            && dx_gateways.join(take_all(&mut later, |t| &mut t.dx_gateways))
            && onprem.join(take_all(&mut later, |t| &mut t.onprem))
            && links.join(take_all(&mut later, |t| &mut t.links))
            && hosted_zones.join(take_all(&mut later, |t| &mut t.hosted_zones))
            && buckets.join(take_all(&mut later, |t| &mut t.buckets))
            && principals.join(take_all(&mut later, |t| &mut t.principals))
            && organizations.join(take_all(&mut later, |t| &mut t.organizations))
            && outposts.join(take_all(&mut later, |t| &mut t.outposts))
            && expect.join(take_all(&mut later, |t| &mut t.expect))
            && scenarios.join(take_all(&mut later, |t| &mut t.scenarios))
            && diagnostics.join(take_all(&mut later, |t| &mut t.diagnostics))
    }
}

/// A Region.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Region {
    /// Availability Zone names (`us-east-1a`).
    pub azs: List<Text>,
    /// AWS-managed prefix lists to use instead of the built-in data, keyed by service (`s3`).
    #[serde(default)]
    pub prefix_lists: Entries<PrefixList>,
}

/// An AWS-managed prefix list.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrefixList {
    /// `pl-` id.
    pub id: Text,
    /// The CIDRs.
    pub cidrs: List<Text>,
}

/// An account.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// A readable name.
    pub name: Option<String>,
}

/// A VPC.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpc {
    /// Owning account id.
    pub account: Text,
    /// Region.
    pub region: Text,
    /// AWS-shaped id (`vpc-0abc…`), used by `aws:SourceVpc`; derived from the name when absent.
    pub id: Option<Text>,
    /// One CIDR or a list (primary first).
    pub cidr: Spanned<OneOrMany<Text>>,
    /// IPv6 CIDR blocks: one or a list (Amazon-provided blocks are /56; /44 to /60 in steps of /4).
    pub ipv6_cidr: Option<Box<Spanned<OneOrMany<Text>>>>,
    /// `enableDnsSupport`: the VPC's Route 53 Resolver answers (default true).
    #[serde(default)]
    pub enable_dns_support: Lenient<Spanned<bool>>,
    /// `enableDnsHostnames`: private hosted zones, private DNS of interface endpoints and reverse
    /// lookups work in the VPC (default true, as the console's VPC wizard creates it; false when
    /// `enable_dns_support` is false).
    #[serde(default)]
    pub enable_dns_hostnames: Lenient<Spanned<bool>>,
    #[serde(default)]
    pub subnets: Entries<Subnet>,
    #[serde(default)]
    pub route_tables: Entries<RouteTable>,
    /// An internet gateway attached to the VPC (route target `igw`).
    #[serde(default)]
    pub internet_gateway: Lenient<Box<Spanned<InternetGateway>>>,
    #[serde(default)]
    pub nat_gateways: Entries<NatGateway>,
    /// The virtual private gateway (route target `vgw`).
    #[serde(default)]
    pub vpn_gateway: Lenient<Box<Spanned<VpnGateway>>>,
    #[serde(default)]
    pub security_groups: Entries<SecurityGroup>,
    #[serde(default)]
    pub network_acls: Entries<NetworkAcl>,
    /// VPC endpoints (gateway and interface).
    #[serde(default)]
    pub endpoints: Entries<Endpoint>,
    /// Instances (hosts) in the VPC's subnets.
    #[serde(default)]
    pub instances: Entries<Instance>,
    /// Route 53 Resolver endpoints and rules of this VPC.
    #[serde(default)]
    pub resolver: Lenient<Box<Resolver>>,
}

/// A subnet.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Subnet {
    pub az: Text,
    pub cidr: Text,
    /// IPv6 CIDR of a dual-stack subnet, inside one of the VPC's `ipv6_cidr` blocks (/44 to /64 in
    /// steps of /4; usually /64).
    pub ipv6_cidr: Option<Box<Text>>,
    /// The associated route table; the VPC's main route table when absent.
    pub route_table: Option<Text>,
}

/// A route table.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteTable {
    /// The VPC's main route table (used by subnets without an explicit one).
    #[serde(default)]
    pub main: bool,
    /// Route propagation: `[vgw]` learns the prefixes advertised over the VPN gateway's links.
    #[serde(default)]
    pub propagate: List<Text>,
    #[serde(default)]
    pub routes: List<Route>,
}

/// A route.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// A CIDR or a prefix list id (`pl-63a5400a`).
    pub destination: Text,
    /// `local`, `igw`, `vgw`, `nat/NAME`, `peering/NAME`, `endpoint/NAME` (gateway endpoint) or
    /// `instance/NAME`.
    pub target: Text,
}

/// An internet gateway.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct InternetGateway {
    pub id: Option<Text>,
}

/// A NAT gateway.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NatGateway {
    pub subnet: Text,
    /// Private address in the subnet; allocated when absent.
    pub ip: Option<Text>,
    /// Elastic IP.
    pub public_ip: Option<Text>,
}

/// A virtual private gateway.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VpnGateway {
    /// `vgw-` id.
    pub id: Option<Text>,
    /// Amazon-side ASN (default 64512).
    #[serde(default)]
    pub asn: Lenient<Spanned<u32>>,
}

/// A security group: stateful; what is allowed in is allowed back out.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecurityGroup {
    pub description: Option<String>,
    #[serde(default)]
    pub ingress: List<SgRule>,
    /// Absent: all outbound traffic is allowed (AWS's default rule).
    pub egress: Option<List<SgRule>>,
}

/// A security group rule.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, `all` or a protocol number.
    pub protocol: Text,
    /// `443`, `1024-65535` or `all`; all ports when absent.
    pub ports: Option<Text>,
    /// Ingress sources: CIDRs, `sg/NAME` or prefix list ids.
    pub from: Option<OneOrMany<Text>>,
    /// Egress destinations: CIDRs, `sg/NAME` or prefix list ids.
    pub to: Option<OneOrMany<Text>>,
    pub description: Option<String>,
}

/// A network ACL: stateless, ordered rules in each direction.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkAcl {
    /// Associated subnets (the others use the default ACL, which allows everything).
    #[serde(default)]
    pub subnets: List<Text>,
    #[serde(default)]
    pub ingress: List<AclRule>,
    #[serde(default)]
    pub egress: List<AclRule>,
}

/// A network ACL rule.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AclRule {
    /// Rule number 1–32766; lowest first.
    pub rule: Spanned<u32>,
    pub protocol: Text,
    pub ports: Option<Text>,
    pub cidr: Text,
    pub action: Spanned<AclAction>,
}

/// An ACL rule's action.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum AclAction {
    Allow,
    Deny,
}

/// Endpoint type.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EndpointType {
    Gateway,
    Interface,
}

/// A VPC endpoint.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// `vpce-` followed by 8 or 17 hex digits.
    pub id: Text,
    #[serde(rename = "type")]
    pub kind: Spanned<EndpointType>,
    /// `s3`, `dynamodb`, `sts`… or `com.amazonaws.REGION.SERVICE`.
    pub service: Text,
    /// Interface endpoints: the DNS suffix AWS adds to the id in DNS names (`5e6f` in
    /// `vpce-1a2b3c4d-5e6f.s3…`); derived from the seed when absent.
    pub dns_id: Option<Text>,
    /// Gateway endpoints: the associated route tables.
    pub route_tables: Option<List<Text>>,
    /// Interface endpoints: one subnet per AZ; each gets one ENI.
    pub subnets: Option<List<Text>>,
    /// Interface endpoints: ENI addresses by subnet; allocated in the subnet when absent.
    pub addresses: Option<Entries<Text>>,
    /// Interface endpoints: security groups of the ENIs.
    pub security_groups: Option<List<Text>>,
    /// The endpoint policy (inline, JSON text, or a file path); absent means full access.
    pub policy: Option<PolicySource>,
    /// Interface endpoints: private DNS names (default true, as in the console).
    #[serde(default)]
    pub private_dns: Lenient<Spanned<bool>>,
    /// S3 interface endpoints with private DNS: answer private IPs only to queries from an
    /// inbound Resolver endpoint (default true); needs an S3 gateway endpoint in the VPC.
    #[serde(default)]
    pub private_dns_only_for_inbound_resolver_endpoint: Lenient<Spanned<bool>>,
}

/// An instance or other host in a subnet.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub subnet: Text,
    /// Private address; allocated when absent.
    pub ip: Option<Text>,
    /// IPv6 address in a dual-stack subnet; allocated when absent.
    pub ipv6: Option<Text>,
    /// Public IPv4 address (or Elastic IP): lets it use an internet gateway route.
    pub public_ip: Option<Text>,
    #[serde(default)]
    pub security_groups: List<Text>,
    /// The IAM role (a key of `principals`) its requests are signed with.
    pub role: Option<Text>,
}

/// Route 53 Resolver of a VPC.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resolver {
    /// Where on-premises resolvers forward queries into the VPC.
    #[serde(default)]
    pub inbound_endpoint: Lenient<Spanned<ResolverEndpoint>>,
    /// Where forwarding rules send queries out.
    #[serde(default)]
    pub outbound_endpoint: Lenient<Spanned<ResolverEndpoint>>,
    /// Resolver rules associated with this VPC.
    #[serde(default)]
    pub rules: Entries<ResolverRule>,
}

/// A Resolver endpoint (one ENI per subnet).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolverEndpoint {
    pub subnets: List<Text>,
    /// Addresses by subnet; allocated when absent.
    pub addresses: Option<Entries<Text>>,
    #[serde(default)]
    pub security_groups: List<Text>,
}

/// Resolver rule type.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RuleType {
    /// Forward matching queries to target resolvers through the outbound endpoint.
    Forward,
    /// Resolve matching queries with the Resolver itself (carves a subdomain out of a forward rule).
    System,
}

/// A Resolver rule.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolverRule {
    /// The domain; the rule matches it and its subdomains.
    pub domain: Text,
    #[serde(rename = "type")]
    pub kind: Spanned<RuleType>,
    /// Forward rules: target resolvers, `IP` or `IP:PORT`.
    #[serde(default)]
    pub targets: List<Text>,
}

/// A private hosted zone.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostedZone {
    /// The VPCs the zone is associated with.
    pub vpcs: List<Text>,
    #[serde(default)]
    pub records: List<Record>,
}

/// A DNS record in a private hosted zone.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Relative to the zone (`@` for the apex, `*` for a wildcard) or absolute with a final dot.
    pub name: Text,
    #[serde(rename = "type")]
    pub kind: Text,
    #[serde(default)]
    pub values: OneOrMany<Text>,
    /// Alias to an interface endpoint (`VPC/ENDPOINT`) instead of values.
    pub alias: Option<Text>,
    pub ttl: Option<Spanned<u32>>,
}

/// A VPC peering connection.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Peering {
    /// The two VPCs.
    pub between: Spanned<List<Text>>,
    /// `pcx-` id.
    pub id: Option<Text>,
}

/// A Direct Connect gateway.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DxGateway {
    #[serde(default)]
    pub asn: Lenient<Spanned<u32>>,
    /// Associated virtual private gateways, as `VPC/vgw`.
    #[serde(default)]
    pub associations: List<Text>,
}

/// An on-premises site.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub cidrs: List<Text>,
    /// Internet egress: where traffic to public addresses leaves.
    #[serde(default)]
    pub internet: Lenient<SiteInternet>,
    #[serde(default)]
    pub dns: Lenient<SiteDns>,
    #[serde(default)]
    pub hosts: Entries<Host>,
    /// Routes toward AWS over named links, in order of preference.
    #[serde(default)]
    pub routes: List<SiteRoute>,
}

/// Internet egress of a site.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteInternet {
    pub public_ip: Text,
}

/// The site's DNS resolver.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteDns {
    /// The resolver's address (inside the site).
    pub resolver: Text,
    /// Conditional forwarders; everything else goes to public DNS.
    #[serde(default)]
    pub forward: List<Forward>,
    /// Zones this resolver is authoritative for, keyed by domain (`corp.example.com`).
    #[serde(default)]
    pub zones: Entries<SiteZone>,
}

/// A zone an on-premises resolver holds itself (its own authoritative data).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteZone {
    /// Records, as in a private hosted zone (no `alias:`: aliases are Route 53's).
    #[serde(default)]
    pub records: List<Record>,
}

/// A conditional forwarder.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Forward {
    pub domain: Text,
    /// Addresses to forward to (an inbound Resolver endpoint's).
    pub to: OneOrMany<Text>,
}

/// An on-premises host.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Host {
    pub ip: Text,
    /// IPv6 address, inside one of the site's IPv6 CIDRs.
    pub ipv6: Option<Text>,
    /// The IAM principal its requests are signed with.
    pub principal: Option<Text>,
}

/// A route from a site toward AWS.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteRoute {
    pub destination: Text,
    /// Links in order of preference.
    pub via: List<Text>,
}

/// Link kind.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LinkType {
    /// A Site-to-Site VPN connection (two tunnels).
    Vpn,
    /// A Direct Connect private virtual interface.
    DirectConnect,
}

/// VPN routing.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Routing {
    Static,
    Bgp,
}

/// A link between a site and AWS.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    #[serde(rename = "type")]
    pub kind: Spanned<LinkType>,
    /// The on-premises site.
    pub onprem: Text,
    /// `VPC/vgw` or `dxgw/NAME` (Direct Connect only).
    pub attach: Text,
    /// VPN routing (default bgp). Direct Connect is always BGP.
    #[serde(default)]
    pub routing: Lenient<Spanned<Routing>>,
    /// VPN tunnels: always 2 on AWS.
    #[serde(default)]
    pub tunnels: Lenient<Spanned<u32>>,
    /// On-premises prefixes announced (BGP) or configured as static routes.
    #[serde(default)]
    pub advertise: List<Text>,
    /// The customer side's BGP ASN.
    #[serde(default)]
    pub asn: Lenient<Spanned<u32>>,
    /// AS_PATH length added to advertisements (prepending), for preference among BGP paths.
    pub as_path_prepend: Option<u32>,
}

/// A storage class.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StorageClass {
    Standard,
    IntelligentTiering,
    StandardIa,
    OnezoneIa,
    GlacierIr,
    Glacier,
    DeepArchive,
    ExpressOnezone,
}

/// An S3 bucket.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bucket {
    pub account: Text,
    pub region: Text,
    pub policy: Option<PolicySource>,
    /// Storage classes objects use (S3 Glacier is reached this way, through S3's endpoints).
    #[serde(default)]
    pub storage_classes: List<Spanned<StorageClass>>,
    #[serde(default)]
    pub access_points: Entries<AccessPoint>,
    /// Objects the bucket starts with, key → text (for the emulation front).
    #[serde(default)]
    pub objects: Entries<Text>,
}

/// Access point network origin.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NetworkOrigin {
    Vpc,
    Internet,
}

/// An S3 access point.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessPoint {
    /// `vpc` or `internet`; `vpc` when `vpc:` is given, else `internet`.
    #[serde(default)]
    pub network_origin: Lenient<Spanned<NetworkOrigin>>,
    /// The VPC a VPC access point accepts requests from.
    pub vpc: Option<Text>,
    pub policy: Option<PolicySource>,
}

/// Principal kind.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum PrincipalKind {
    #[default]
    Role,
    User,
}

/// An IAM role or user.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrincipalDef {
    pub account: Text,
    #[serde(rename = "type", default)]
    pub kind: PrincipalKind,
    /// Identity policies by name.
    #[serde(default)]
    pub policies: Entries<PolicySource>,
    /// The test keys the emulation front accepts for this principal (default: derived ones).
    pub access_key: Option<Spanned<AccessKey>>,
    /// The permissions boundary: the most its identity policies (and grants to its role's ARN)
    /// can allow.
    pub permissions_boundary: Option<PolicySource>,
    /// Session policies by name: the principal signs as a session of the role given these
    /// policies (`AssumeRole`'s `Policy`/`PolicyArns`); they limit what the role's policies allow.
    #[serde(default)]
    pub session_policies: Entries<PolicySource>,
    /// Tags of the role or user, key → value: its requests carry `aws:PrincipalTag/KEY`.
    #[serde(default)]
    pub tags: Entries<Text>,
}

/// An organization of AWS Organizations.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// `o-` followed by 10 to 32 lowercase letters and digits (`aws:PrincipalOrgID`,
    /// `aws:ResourceOrgID`); derived from the name when absent.
    pub id: Option<Text>,
    /// The root's id: `r-` followed by 4 to 32 lowercase letters and digits
    /// (`aws:PrincipalOrgPaths`); derived when absent.
    pub root_id: Option<Text>,
    /// The management account (a key of `accounts`): SCPs and RCPs never apply to it.
    pub management_account: Text,
    /// Service control policies by name. `FullAWSAccess` (allow everything) is built in.
    #[serde(default)]
    pub scps: Entries<PolicySource>,
    /// Resource control policies by name (Deny statements only; `RCPFullAWSAccess` is always
    /// attached everywhere).
    #[serde(default)]
    pub rcps: Entries<PolicySource>,
    /// The policies attached to the organization root.
    #[serde(default)]
    pub root: Option<Spanned<OrgAttachments>>,
    /// Organizational units by name.
    #[serde(default)]
    pub units: Entries<OrgUnit>,
    /// Member accounts (keys of `accounts`), with their OU and attached policies.
    #[serde(default)]
    pub accounts: Entries<OrgAccount>,
}

/// Policies attached to a node of an organization.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgAttachments {
    /// SCP names (of the organization's `scps`, or `FullAWSAccess`); absent: `[FullAWSAccess]`,
    /// as AWS attaches it by default; `[]`: none, so nothing is allowed below.
    pub scps: Option<List<Text>>,
    /// RCP names (of the organization's `rcps`).
    #[serde(default)]
    pub rcps: List<Text>,
}

/// An organizational unit.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgUnit {
    /// The OU's id: `ou-`, the root id's letters, `-`, then 8 to 32 lowercase letters and digits
    /// (`ou-ab12-11111111`); derived when absent.
    pub id: Option<Text>,
    /// The parent OU (a key of `units`); absent: the organization root.
    pub parent: Option<Text>,
    /// SCP names; absent: `[FullAWSAccess]`.
    pub scps: Option<List<Text>>,
    /// RCP names.
    #[serde(default)]
    pub rcps: List<Text>,
}

/// A member account.
#[derive(Deserialize, JsonSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct OrgAccount {
    /// Its OU (a key of `units`); absent: directly under the root.
    pub unit: Option<Text>,
    /// SCP names; absent: `[FullAWSAccess]`.
    pub scps: Option<List<Text>>,
    /// RCP names.
    #[serde(default)]
    pub rcps: List<Text>,
}

/// A test access key pair (never a real one: topologies are shared).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AccessKey {
    /// The access key id: 16 to 128 letters and digits.
    pub id: Text,
    /// The secret: 1 to 128 printable ASCII characters.
    pub secret: Text,
}

/// An Outpost with S3 on Outposts.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Outpost {
    /// `op-` followed by 17 hex digits.
    pub id: Text,
    pub account: Option<Text>,
    pub vpc: Text,
    /// The subnet of the S3 on Outposts endpoint.
    pub subnet: Text,
    pub s3_endpoint: Spanned<OutpostEndpoint>,
    #[serde(default)]
    pub buckets: Entries<OutpostBucket>,
    /// VPC-only access points: the only way to reach Outposts buckets.
    #[serde(default)]
    pub access_points: Entries<OutpostAccessPoint>,
}

/// Outposts endpoint access type.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum AccessType {
    /// Reachable from the VPC only (the default).
    #[default]
    Private,
    /// Addresses from a customer-owned IP pool: reachable on premises and from the VPC.
    CustomerOwnedIp,
}

/// The S3 on Outposts endpoint: four X-ENIs, DNS load-balanced.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutpostEndpoint {
    pub id: Option<Text>,
    /// `private` (default) or `customer_owned_ip`.
    #[serde(default)]
    pub access_type: Lenient<Spanned<AccessType>>,
    /// CustomerOwnedIp: the CoIP pool CIDR.
    pub coip_pool: Option<Text>,
    /// The four X-ENI addresses; allocated when absent.
    pub addresses: Option<List<Text>>,
    #[serde(default)]
    pub security_groups: List<Text>,
}

/// An Outposts bucket.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutpostBucket {
    pub account: Option<Text>,
    pub policy: Option<PolicySource>,
}

/// A VPC-only access point of an Outposts bucket.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OutpostAccessPoint {
    pub bucket: Text,
    pub vpc: Text,
    pub policy: Option<PolicySource>,
}

/// A failure scenario.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub description: Option<String>,
    /// Links (`dx-primary`) or tunnels (`vpn-backup/tunnel1`) taken down.
    #[serde(default)]
    pub fail: List<Text>,
    #[serde(default)]
    pub expect: List<Expect>,
}

/// Expected outcome of a request.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Delivered and allowed by every policy.
    Allowed,
    /// Delivered, but a policy denies it.
    Denied,
    /// Never delivered (no route, a security group or ACL, a link down, an unsupported path).
    Unreachable,
}

impl Verdict {
    /// The word used in topologies and reports: `allowed`, `denied`, `unreachable`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allowed => "allowed",
            Verdict::Denied => "denied",
            Verdict::Unreachable => "unreachable",
        }
    }
}

/// A DNS response code for `resolve:` expectations.
#[derive(Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rcode {
    #[serde(rename = "NOERROR")]
    NoError,
    #[serde(rename = "NXDOMAIN")]
    NxDomain,
    #[serde(rename = "NODATA")]
    NoData,
    #[serde(rename = "REFUSED")]
    Refused,
    #[serde(rename = "SERVFAIL")]
    ServFail,
}

/// One expectation: a request (`request:` + `verdict:`) or a DNS query (`resolve:` + `answer:`/`rcode:`).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub name: Option<String>,
    /// `VPC/INSTANCE`, `SITE/HOST`, or for `resolve:` a view: `public`, `VPC`, `VPC/inbound`, `SITE`.
    pub from: Text,
    /// `METHOD URL`, a URL, or `HOST:PORT`.
    pub request: Option<Text>,
    /// The IAM principal signing the request (a key of `principals`, or `anonymous`).
    pub principal: Option<Text>,
    /// Request headers, name → value (`x-amz-server-side-encryption: AES256`): S3 turns some into
    /// condition keys, as `vpcsim trace --header` does.
    pub headers: Option<Spanned<Entries<Text>>>,
    /// Absent: `None`; present but not a verdict: `Some(Lenient(None))` (reported once, not also
    /// as a missing key).
    #[serde(default)]
    pub verdict: Option<Lenient<Spanned<Verdict>>>,
    /// Named components the path must pass, in order (links, peerings, endpoints, gateways).
    pub via: Option<List<Text>>,
    /// The deciding policy statement, `KIND NAME / SID`.
    pub denied_by: Option<Text>,
    /// An explanation code the verdict must carry.
    pub reason: Option<Text>,
    /// Send the request `repeat` times, as `vpcsim trace --repeat` does, and check that the
    /// requests spread evenly over the addresses of the name (ENIs, X-ENIs).
    pub spread: Option<Spanned<SpreadDef>>,
    /// A DNS name to resolve from `from`.
    pub resolve: Option<Text>,
    /// Record type for `resolve:` (default A).
    #[serde(rename = "type")]
    pub record_type: Option<Text>,
    /// Expected addresses (any order).
    pub answer: Option<OneOrMany<Text>>,
    #[serde(default)]
    pub rcode: Option<Lenient<Spanned<Rcode>>>,
}

/// `spread:` of a request expectation: the request sent `repeat` times with one DNS rotation,
/// each address's share of the requests within `tolerance` of an even share.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SpreadDef {
    /// How many requests: 2 to 100000.
    pub repeat: Spanned<u32>,
    /// How far each address's count may be from an even share, as a fraction of that share:
    /// 0 to 1 (default 0.1: 100 requests over 4 addresses, 22 to 28 each).
    pub tolerance: Option<Spanned<f64>>,
    /// The addresses the requests must spread over, each getting its share and no request going
    /// elsewhere (default: every address the name resolves to from the source).
    pub over: Option<List<Text>>,
}

/// Where a policy comes from: written inline (YAML or JSON syntax), JSON text in a string, or a
/// path relative to the topology file.
#[derive(Clone, Debug)]
pub struct PolicySource(pub Spanned<PolicyForm>);

/// The form of a [`PolicySource`].
#[derive(Clone, Debug, PartialEq)]
pub enum PolicyForm {
    /// A mapping in the topology file, as its YAML tree (read by the policy parser).
    Inline(Node),
    /// A string: JSON text when it starts with `{`, otherwise a path.
    Text(String),
}

impl<'de> Deserialize<'de> for PolicyForm {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let RawNode(node) = RawNode::deserialize(d)?;
        let expected = &"a policy document or a path to one";
        match &node.kind {
            NodeKind::Map(_) => Ok(PolicyForm::Inline(node)),
            NodeKind::Seq(_) => Err(de::Error::invalid_type(Unexpected::Seq, expected)),
            // A plain scalar means what it says: null, a boolean or a number is not a path.
            NodeKind::Scalar { text, plain } => match Scalar::of(text, *plain) {
                Scalar::Text(path) => Ok(PolicyForm::Text(path.to_string())),
                other => Err(de::Error::invalid_type(other.unexpected(), expected)),
            },
        }
    }
}

impl<'de> Deserialize<'de> for PolicySource {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Spanned::deserialize(d).map(PolicySource)
    }
}

impl JsonSchema for PolicySource {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Policy".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An IAM policy document: inline (YAML or JSON syntax), JSON text, or a path relative to the topology file.",
            "anyOf": [
                { "type": "string" },
                {
                    "type": "object",
                    "properties": {
                        "Version": { "type": "string" },
                        "Id": { "type": "string" },
                        "Statement": {}
                    },
                    "required": ["Statement"]
                }
            ]
        })
    }
}

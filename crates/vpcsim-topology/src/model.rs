//! The validated topology: immutable, indexed, every reference resolved to a typed id.
//!
//! Entities live in flat arenas on [`Topology`] and point at each other with copyable ids
//! ([`VpcId`], [`SubnetId`], …). Nothing here is looked up by name except user input at the edges
//! ([`Topology::find_source`] and friends). Every entity keeps the [`Span`] of its definition so
//! later explanations can point into the file.
//!
//! No placeholder stands for "not resolved": entities with references that can fail to resolve
//! are generic over a [`Stage`] whose default, [`Resolved`], makes each such reference a plain id
//! (`Vpc::account` is an [`AccountId`]). Validation builds a draft in which they are `Option`s and
//! turns it into a [`Topology`] only when nothing failed. A VPC endpoint is an [`Endpoint`] with
//! what every endpoint has, and its type's own fields in [`EndpointKind`].

use std::fmt::Debug;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
pub use vpcsim_aws::RecordType;
use vpcsim_aws::{EndpointPrefix, ServiceName};
use vpcsim_policy::Policy;
pub use vpcsim_syntax::Span;

pub use crate::format::{
    AccessType, AclAction, EndpointType, LinkType, NetworkOrigin, PrincipalKind, Rcode, Routing,
    RuleType, StorageClass, Verdict,
};

macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            /// Position in its arena.
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}

ids!(
    /// A Region.
    RegionId,
    /// An account.
    AccountId,
    /// A VPC.
    VpcId,
    /// A subnet.
    SubnetId,
    /// A route table.
    RouteTableId,
    /// A security group.
    SecurityGroupId,
    /// A network ACL.
    NetworkAclId,
    /// A VPC endpoint.
    EndpointId,
    /// A network interface.
    EniId,
    /// An instance.
    InstanceId,
    /// A NAT gateway.
    NatGatewayId,
    /// A Route 53 Resolver endpoint.
    ResolverEndpointId,
    /// A Resolver rule.
    ResolverRuleId,
    /// A private hosted zone.
    HostedZoneId,
    /// A peering connection.
    PeeringId,
    /// A Direct Connect gateway.
    DxGatewayId,
    /// An on-premises site.
    SiteId,
    /// An on-premises host.
    HostId,
    /// A link (VPN or Direct Connect).
    LinkId,
    /// A bucket.
    BucketId,
    /// An access point.
    AccessPointId,
    /// An IAM principal.
    PrincipalId,
    /// An Outpost.
    OutpostId,
    /// A prefix list.
    PrefixListId,
);

/// How far a topology's references are resolved.
///
/// A [`Topology`] is [`Resolved`] (the default parameter of every generic entity, so consumers
/// write `Topology`, `Vpc`, … and read plain ids): every reference is an id. While validation
/// builds a topology, a reference that does not resolve — an unknown name, an invalid address, a
/// subnet without an address to give — is `None` in a draft (the problem is reported where it is
/// written). A model is made from a draft only when no error was recorded, and then every
/// reference is `Some`: a [`Topology`] never holds a placeholder.
pub trait Stage: sealed::Sealed + Clone + Copy + Debug + Default + 'static {
    /// A reference at this stage: `T` when resolved, `Option<T>` in a draft.
    type Ref<T: Clone + Debug>: Clone + Debug;
}

/// The stage of a validated [`Topology`]: every reference resolved.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resolved;

impl Stage for Resolved {
    type Ref<T: Clone + Debug> = T;
}

/// The stage of a topology being validated: a reference that did not resolve is `None`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Draft;

impl Stage for Draft {
    type Ref<T: Clone + Debug> = Option<T>;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::Resolved {}
    impl Sealed for super::Draft {}
}

/// The whole validated topology.
#[derive(Clone, Debug, Default)]
pub struct Topology<S: Stage = Resolved> {
    /// Scenario name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Seed for every choice vpcsim makes itself.
    pub seed: u64,
    /// Regions.
    pub regions: Vec<Region>,
    /// Accounts.
    pub accounts: Vec<Account>,
    /// VPCs.
    pub vpcs: Vec<Vpc<S>>,
    /// Subnets of all VPCs.
    pub subnets: Vec<Subnet<S>>,
    /// Route tables of all VPCs.
    pub route_tables: Vec<RouteTable>,
    /// Security groups of all VPCs.
    pub security_groups: Vec<SecurityGroup>,
    /// Network ACLs of all VPCs.
    pub network_acls: Vec<NetworkAcl>,
    /// Endpoints of all VPCs.
    pub endpoints: Vec<Endpoint>,
    /// Every network interface: instances, endpoint ENIs, Resolver ENIs, NAT gateways, X-ENIs.
    pub enis: Vec<Eni<S>>,
    /// Instances.
    pub instances: Vec<Instance<S>>,
    /// NAT gateways.
    pub nat_gateways: Vec<NatGateway<S>>,
    /// Resolver endpoints.
    pub resolver_endpoints: Vec<ResolverEndpoint>,
    /// Resolver rules.
    pub resolver_rules: Vec<ResolverRule>,
    /// Private hosted zones.
    pub hosted_zones: Vec<HostedZone>,
    /// Peering connections.
    pub peerings: Vec<Peering<S>>,
    /// Direct Connect gateways.
    pub dx_gateways: Vec<DxGateway>,
    /// On-premises sites.
    pub sites: Vec<Site>,
    /// On-premises hosts.
    pub hosts: Vec<Host>,
    /// Links.
    pub links: Vec<Link<S>>,
    /// Buckets.
    pub buckets: Vec<Bucket<S>>,
    /// Access points (of buckets and of Outposts buckets).
    pub access_points: Vec<AccessPoint<S>>,
    /// IAM principals.
    pub principals: Vec<Principal<S>>,
    /// Outposts.
    pub outposts: Vec<Outpost<S>>,
    /// AWS Organizations.
    pub organizations: Vec<Organization>,
    /// AWS-managed prefix lists in use.
    pub prefix_lists: Vec<PrefixList>,
    /// Top-level expectations.
    pub expectations: Vec<Expectation>,
    /// Failure scenarios.
    pub scenarios: Vec<Scenario>,
    /// Warning codes the file expects (`diagnostics:`), where each is written.
    pub expected_diagnostics: Vec<(String, Span)>,
    /// The warnings loading raised (code and place), in file order: what `check` compares
    /// `expected_diagnostics` with. Filled by the loader.
    pub warnings: Vec<(&'static str, Option<Span>)>,
}

impl Topology {
    /// The organization `account` is a member of, with the nodes from its root down to the
    /// account (indexes into [`Organization::nodes`]); `None` when it is in none.
    pub fn membership(&self, account: AccountId) -> Option<(&Organization, Vec<usize>)> {
        self.organizations.iter().find_map(|o| {
            let mut at = o
                .nodes
                .iter()
                .position(|n| n.kind == OrgNodeKind::Account(account))?;
            let mut path = vec![at];
            while let Some(parent) = o.nodes[at].parent {
                if path.contains(&parent) {
                    break; // validation refuses cycles; never loop
                }
                path.push(parent);
                at = parent;
            }
            path.reverse();
            Some((o, path))
        })
    }

    /// `aws:PrincipalOrgPaths` (and `aws:ResourceOrgPaths`) of an account: its organization's
    /// id, then the root's and each OU's down to the account's parent, each followed by `/`
    /// (`o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/`).
    pub fn org_path(org: &Organization, path: &[usize]) -> String {
        let mut out = format!("{}/", org.aws_id);
        for &i in path.iter().take(path.len().saturating_sub(1)) {
            out.push_str(&org.nodes[i].aws_id);
            out.push('/');
        }
        out
    }

    /// True when `code` is one of the warning codes the file lists under `diagnostics:`.
    pub fn expects_diagnostic(&self, code: &str) -> bool {
        self.expected_diagnostics.iter().any(|(c, _)| c == code)
    }
}

/// A Region.
#[derive(Clone, Debug)]
pub struct Region {
    /// `us-east-1`.
    pub name: String,
    /// Availability Zones.
    pub azs: Vec<String>,
    /// Where defined.
    pub span: Span,
}

/// An account.
#[derive(Clone, Debug)]
pub struct Account {
    /// The 12-digit id.
    pub id: String,
    /// Readable name.
    pub name: Option<String>,
    /// Where defined.
    pub span: Span,
}

/// A VPC.
#[derive(Clone, Debug)]
pub struct Vpc<S: Stage = Resolved> {
    /// The user's name.
    pub name: String,
    /// `vpc-…`.
    pub aws_id: String,
    /// Owner.
    pub account: S::Ref<AccountId>,
    /// Region.
    pub region: S::Ref<RegionId>,
    /// CIDR blocks, primary first.
    pub cidrs: Vec<Ipv4Net>,
    /// IPv6 CIDR blocks (`ipv6_cidr:`); empty for an IPv4-only VPC.
    pub ipv6_cidrs: Vec<Ipv6Net>,
    /// Subnets.
    pub subnets: Vec<SubnetId>,
    /// Route tables.
    pub route_tables: Vec<RouteTableId>,
    /// The main route table.
    pub main_route_table: RouteTableId,
    /// Internet gateway id, when attached.
    pub internet_gateway: Option<String>,
    /// Virtual private gateway.
    pub vpn_gateway: Option<VpnGateway>,
    /// Endpoints.
    pub endpoints: Vec<EndpointId>,
    /// Instances.
    pub instances: Vec<InstanceId>,
    /// Security groups.
    pub security_groups: Vec<SecurityGroupId>,
    /// Route 53 Resolver inbound endpoint.
    pub inbound_resolver: Option<ResolverEndpointId>,
    /// Route 53 Resolver outbound endpoint.
    pub outbound_resolver: Option<ResolverEndpointId>,
    /// Resolver rules associated with the VPC.
    pub resolver_rules: Vec<ResolverRuleId>,
    /// Private hosted zones associated with the VPC.
    pub hosted_zones: Vec<HostedZoneId>,
    /// `enableDnsSupport`: the VPC's Route 53 Resolver answers queries.
    pub dns_support: bool,
    /// `enableDnsHostnames`: private hosted zones, endpoint private DNS and the Resolver's
    /// reverse lookups work in the VPC.
    pub dns_hostnames: bool,
    /// Where defined.
    pub span: Span,
}

impl<S: Stage> Vpc<S> {
    /// The Route 53 Resolver address: the VPC's primary CIDR base plus two.
    pub fn dns_resolver_ip(&self) -> Ipv4Addr {
        let base = u32::from(self.cidrs[0].network());
        Ipv4Addr::from(base + 2)
    }

    /// True when the address is inside one of the VPC's IPv4 CIDRs.
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        self.cidrs.iter().any(|c| c.contains(&ip))
    }

    /// True when the address is inside one of the VPC's CIDRs, IPv4 or IPv6.
    pub fn contains_ip(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(v4) => self.contains(v4),
            IpAddr::V6(v6) => self.ipv6_cidrs.iter().any(|c| c.contains(&v6)),
        }
    }

    /// Every CIDR of the VPC, IPv4 then IPv6.
    pub fn all_cidrs(&self) -> impl Iterator<Item = IpNet> + '_ {
        self.cidrs
            .iter()
            .map(|c| IpNet::V4(*c))
            .chain(self.ipv6_cidrs.iter().map(|c| IpNet::V6(*c)))
    }
}

/// A virtual private gateway.
#[derive(Clone, Debug)]
pub struct VpnGateway {
    /// `vgw-…`.
    pub aws_id: String,
    /// Amazon-side ASN.
    pub asn: u32,
    /// Links attached to it directly or through a Direct Connect gateway.
    pub links: Vec<LinkId>,
}

/// A subnet.
#[derive(Clone, Debug)]
pub struct Subnet<S: Stage = Resolved> {
    /// The user's name.
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// Availability Zone name.
    pub az: String,
    /// CIDR.
    pub cidr: S::Ref<Ipv4Net>,
    /// IPv6 CIDR of a dual-stack subnet.
    pub ipv6_cidr: Option<Ipv6Net>,
    /// Associated route table (explicit or the main one).
    pub route_table: S::Ref<RouteTableId>,
    /// Network ACL, when one is associated (otherwise the default ACL, which allows all).
    pub network_acl: Option<NetworkAclId>,
    /// Where defined.
    pub span: Span,
}

impl Subnet {
    /// The five addresses AWS reserves in every subnet: network, +1 router, +2 DNS, +3 future, broadcast.
    pub fn is_reserved(&self, ip: Ipv4Addr) -> bool {
        is_reserved(self.cidr, ip)
    }
}

/// True when `ip` is one of the five addresses AWS reserves in a subnet of `cidr`.
pub(crate) fn is_reserved(cidr: Ipv4Net, ip: Ipv4Addr) -> bool {
    let base = u32::from(cidr.network());
    let off = u32::from(ip).wrapping_sub(base);
    off <= 3 || ip == cidr.broadcast()
}

/// A route table.
#[derive(Clone, Debug)]
pub struct RouteTable {
    /// The user's name (`(main)` for the implicit main table).
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// Main route table.
    pub main: bool,
    /// Routes written by the user, plus the gateway endpoint routes AWS adds. The local routes
    /// are implicit (one per VPC CIDR) and not listed.
    pub routes: Vec<Route>,
    /// Propagates the prefixes learned by the VPN gateway.
    pub propagate_vgw: bool,
    /// Where defined.
    pub span: Span,
}

/// A route destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    /// A CIDR.
    Cidr(IpNet),
    /// An AWS-managed prefix list.
    PrefixList(PrefixListId),
}

/// A route target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The VPC itself.
    Local,
    /// The internet gateway.
    InternetGateway,
    /// A NAT gateway.
    NatGateway(NatGatewayId),
    /// The virtual private gateway.
    VpnGateway,
    /// A peering connection.
    Peering(PeeringId),
    /// A gateway endpoint.
    GatewayEndpoint(EndpointId),
    /// A network interface (of an instance or appliance).
    Eni(EniId),
}

/// A route.
#[derive(Clone, Debug)]
pub struct Route {
    /// Destination.
    pub destination: Destination,
    /// Target.
    pub target: Target,
    /// Where the route is written (for gateway endpoint routes: the endpoint's association).
    pub span: Span,
}

/// A protocol in security group and ACL rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// Every protocol.
    All,
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// ICMP (1).
    Icmp,
    /// Another IP protocol number.
    Number(u8),
}

/// An inclusive port range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    /// First port.
    pub from: u16,
    /// Last port.
    pub to: u16,
}

impl PortRange {
    /// All ports.
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    /// True when `port` is inside.
    pub fn contains(&self, port: u16) -> bool {
        (self.from..=self.to).contains(&port)
    }
}

/// What a security group rule matches on the far side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// A CIDR.
    Cidr(IpNet),
    /// Members of a security group.
    SecurityGroup(SecurityGroupId),
    /// A prefix list.
    PrefixList(PrefixListId),
}

/// A security group rule.
#[derive(Clone, Debug)]
pub struct SgRule {
    /// Protocol.
    pub protocol: Protocol,
    /// Ports.
    pub ports: PortRange,
    /// Sources (ingress) or destinations (egress).
    pub peers: Vec<Peer>,
    /// Where written.
    pub span: Span,
}

/// A security group.
#[derive(Clone, Debug)]
pub struct SecurityGroup {
    /// The user's name.
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// Inbound rules.
    pub ingress: Vec<SgRule>,
    /// Outbound rules (AWS's default: all traffic to 0.0.0.0/0).
    pub egress: Vec<SgRule>,
    /// Where defined.
    pub span: Span,
}

/// A network ACL rule.
#[derive(Clone, Debug)]
pub struct AclRule {
    /// Rule number; lowest first.
    pub number: u32,
    /// Protocol.
    pub protocol: Protocol,
    /// Ports.
    pub ports: PortRange,
    /// CIDR.
    pub cidr: IpNet,
    /// Allow or deny.
    pub action: AclAction,
    /// Where written.
    pub span: Span,
}

/// A network ACL; rules sorted by number. After the last rule comes the implicit deny-all `*`.
#[derive(Clone, Debug)]
pub struct NetworkAcl {
    /// The user's name.
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// Inbound rules, by number.
    pub ingress: Vec<AclRule>,
    /// Outbound rules, by number.
    pub egress: Vec<AclRule>,
    /// Where defined.
    pub span: Span,
}

/// A VPC endpoint: what every endpoint has, and in [`kind`](Endpoint::kind) what only its type
/// has.
#[derive(Clone, Debug)]
pub struct Endpoint {
    /// The user's name.
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// `vpce-…`.
    pub aws_id: String,
    /// Short service name (`s3`, `dynamodb`, `sts`).
    pub service: String,
    /// Endpoint policy; `None` is the default full-access policy.
    pub policy: Option<Policy>,
    /// Gateway or interface, with the fields of that type.
    pub kind: EndpointKind,
    /// Where defined.
    pub span: Span,
}

/// The type of a VPC endpoint, with what only that type has.
#[derive(Clone, Debug)]
pub enum EndpointKind {
    /// A gateway endpoint (S3, DynamoDB): a route target, reached through route tables.
    Gateway(GatewayEndpoint),
    /// An interface endpoint (AWS PrivateLink): network interfaces in subnets, with DNS names.
    Interface(InterfaceEndpoint),
}

/// What only a gateway endpoint has.
#[derive(Clone, Debug, Default)]
pub struct GatewayEndpoint {
    /// Associated route tables (each holds the route AWS adds: prefix list → endpoint).
    pub route_tables: Vec<RouteTableId>,
}

/// What only an interface endpoint has.
#[derive(Clone, Debug)]
pub struct InterfaceEndpoint {
    /// One network interface per subnet.
    pub enis: Vec<EniId>,
    /// Security groups of its network interfaces.
    pub security_groups: Vec<SecurityGroupId>,
    /// The DNS suffix after the id in its DNS names (`5e6f` in `vpce-1a2b3c4d-5e6f.s3.…`).
    pub dns_id: String,
    /// Private DNS enabled.
    pub private_dns: bool,
    /// `PrivateDnsOnlyForInboundResolverEndpoint` in effect (interface endpoints with private
    /// DNS of services that also have gateway endpoints).
    pub private_dns_only_for_inbound_resolver: bool,
}

impl Endpoint {
    /// Gateway or interface.
    pub fn endpoint_type(&self) -> EndpointType {
        match self.kind {
            EndpointKind::Gateway(_) => EndpointType::Gateway,
            EndpointKind::Interface(_) => EndpointType::Interface,
        }
    }

    /// The gateway endpoint's own fields; `None` for an interface endpoint.
    pub fn gateway(&self) -> Option<&GatewayEndpoint> {
        match &self.kind {
            EndpointKind::Gateway(g) => Some(g),
            EndpointKind::Interface(_) => None,
        }
    }

    /// The interface endpoint's own fields; `None` for a gateway endpoint.
    pub fn interface(&self) -> Option<&InterfaceEndpoint> {
        match &self.kind {
            EndpointKind::Interface(i) => Some(i),
            EndpointKind::Gateway(_) => None,
        }
    }

    /// Its network interfaces: one per subnet for an interface endpoint, none for a gateway
    /// endpoint.
    pub fn enis(&self) -> &[EniId] {
        self.interface().map_or(&[], |i| &i.enis)
    }

    /// The route tables it is associated with: a gateway endpoint's, none for an interface
    /// endpoint.
    pub fn route_tables(&self) -> &[RouteTableId] {
        self.gateway().map_or(&[], |g| &g.route_tables)
    }

    /// The Regional endpoint-specific name as a typed value (`region` is the endpoint's VPC's);
    /// `None` for a gateway endpoint, which has no DNS names.
    pub fn regional_name<'a>(&'a self, region: &'a str) -> Option<ServiceName<'a>> {
        let i = self.interface()?;
        Some(ServiceName::endpoint(
            self.service.as_str(),
            region,
            self.aws_id.as_str(),
            i.dns_id.as_str(),
            None,
        ))
    }

    /// A zonal endpoint-specific name as a typed value; `None` for a gateway endpoint.
    pub fn zonal_name<'a>(&'a self, region: &'a str, az: &'a str) -> Option<ServiceName<'a>> {
        let i = self.interface()?;
        Some(ServiceName::endpoint(
            self.service.as_str(),
            region,
            self.aws_id.as_str(),
            i.dns_id.as_str(),
            Some(az.into()),
        ))
    }

    /// The Regional DNS name: `vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com`; `None` for a
    /// gateway endpoint.
    pub fn regional_dns_name(&self, region: &str) -> Option<String> {
        Some(self.regional_name(region)?.render())
    }

    /// A zonal DNS name: `vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com`; `None`
    /// for a gateway endpoint.
    pub fn zonal_dns_name(&self, region: &str, az: &str) -> Option<String> {
        Some(self.zonal_name(region, az)?.render())
    }

    /// An endpoint-specific name with a prefix (`bucket.vpce-…`, S3 only), Regional or zonal;
    /// `None` for a gateway endpoint.
    pub fn prefixed_dns_name(
        &self,
        region: &str,
        az: Option<&str>,
        prefix: EndpointPrefix,
    ) -> Option<String> {
        let name = match az {
            Some(az) => self.zonal_name(region, az)?,
            None => self.regional_name(region)?,
        };
        Some(name.with_prefix(prefix).render())
    }
}

/// Who a network interface belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EniOwner {
    /// An instance.
    Instance(InstanceId),
    /// An interface endpoint.
    Endpoint(EndpointId),
    /// A Route 53 Resolver endpoint.
    Resolver(ResolverEndpointId),
    /// A NAT gateway.
    NatGateway(NatGatewayId),
    /// One of the four X-ENIs of an S3 on Outposts endpoint (index 0–3).
    OutpostXeni(OutpostId, u8),
}

/// A network interface with its private address.
#[derive(Clone, Debug)]
pub struct Eni<S: Stage = Resolved> {
    /// Subnet.
    pub subnet: SubnetId,
    /// Private address.
    pub ip: S::Ref<Ipv4Addr>,
    /// IPv6 address (instances in dual-stack subnets).
    pub ipv6: Option<Ipv6Addr>,
    /// True when vpcsim chose the address (deterministically from the seed).
    pub allocated: bool,
    /// Security groups.
    pub security_groups: Vec<SecurityGroupId>,
    /// Owner.
    pub owner: EniOwner,
    /// Where the address (or its owner) is written.
    pub span: Span,
}

/// An instance.
#[derive(Clone, Debug)]
pub struct Instance<S: Stage = Resolved> {
    /// The user's name.
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// Its network interface.
    pub eni: S::Ref<EniId>,
    /// Public IPv4 address, when it has one.
    pub public_ip: Option<Ipv4Addr>,
    /// IAM role.
    pub role: Option<PrincipalId>,
    /// Where defined.
    pub span: Span,
}

/// A NAT gateway.
#[derive(Clone, Debug)]
pub struct NatGateway<S: Stage = Resolved> {
    /// The user's name.
    pub name: String,
    /// VPC.
    pub vpc: VpcId,
    /// Its network interface.
    pub eni: S::Ref<EniId>,
    /// Elastic IP.
    pub public_ip: Option<Ipv4Addr>,
    /// Where defined.
    pub span: Span,
}

/// Inbound or outbound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Inbound Resolver endpoint.
    Inbound,
    /// Outbound Resolver endpoint.
    Outbound,
}

/// A Route 53 Resolver endpoint.
#[derive(Clone, Debug)]
pub struct ResolverEndpoint {
    /// VPC.
    pub vpc: VpcId,
    /// Direction.
    pub direction: Direction,
    /// One ENI per subnet.
    pub enis: Vec<EniId>,
    /// Where defined.
    pub span: Span,
}

/// A Resolver rule.
#[derive(Clone, Debug)]
pub struct ResolverRule {
    /// The user's name.
    pub name: String,
    /// VPC it is associated with.
    pub vpc: VpcId,
    /// Lowercase domain without the final dot.
    pub domain: String,
    /// Forward or system.
    pub kind: RuleType,
    /// Forward targets.
    pub targets: Vec<(IpAddr, u16)>,
    /// Where defined.
    pub span: Span,
}

/// A record in a private hosted zone.
#[derive(Clone, Debug)]
pub struct Record {
    /// Absolute lowercase name without the final dot.
    pub name: String,
    /// Record type (one of [`RecordType::RECORDS`]).
    pub kind: RecordType,
    /// Values.
    pub values: Vec<String>,
    /// Alias to an interface endpoint.
    pub alias: Option<EndpointId>,
    /// TTL.
    pub ttl: u32,
    /// Where defined.
    pub span: Span,
}

/// A private hosted zone.
#[derive(Clone, Debug)]
pub struct HostedZone {
    /// Lowercase domain without the final dot.
    pub domain: String,
    /// Associated VPCs.
    pub vpcs: Vec<VpcId>,
    /// Records.
    pub records: Vec<Record>,
    /// Where defined.
    pub span: Span,
}

/// A peering connection.
#[derive(Clone, Debug)]
pub struct Peering<S: Stage = Resolved> {
    /// The user's name.
    pub name: String,
    /// `pcx-…`.
    pub aws_id: String,
    /// The two VPCs.
    pub vpcs: S::Ref<[VpcId; 2]>,
    /// Where defined.
    pub span: Span,
}

impl Peering {
    /// The VPC on the other side of `vpc`, if `vpc` is one end.
    pub fn other(&self, vpc: VpcId) -> Option<VpcId> {
        match self.vpcs {
            [a, b] if a == vpc => Some(b),
            [a, b] if b == vpc => Some(a),
            _ => None,
        }
    }
}

/// A Direct Connect gateway.
#[derive(Clone, Debug)]
pub struct DxGateway {
    /// The user's name.
    pub name: String,
    /// ASN.
    pub asn: u32,
    /// VPCs whose virtual private gateways are associated.
    pub vpcs: Vec<VpcId>,
    /// Where defined.
    pub span: Span,
}

/// An on-premises site.
#[derive(Clone, Debug)]
pub struct Site {
    /// The user's name.
    pub name: String,
    /// Address space.
    pub cidrs: Vec<IpNet>,
    /// Public address of the internet egress.
    pub public_ip: Option<Ipv4Addr>,
    /// The site's resolver.
    pub dns: Option<SiteDns>,
    /// Hosts.
    pub hosts: Vec<HostId>,
    /// Routes toward AWS.
    pub routes: Vec<SiteRoute>,
    /// Where defined.
    pub span: Span,
}

/// An on-premises resolver.
#[derive(Clone, Debug)]
pub struct SiteDns {
    /// Its address.
    pub resolver: Ipv4Addr,
    /// Conditional forwarders.
    pub forwards: Vec<SiteForward>,
    /// Zones the resolver is authoritative for.
    pub zones: Vec<SiteZone>,
}

/// A zone an on-premises resolver holds.
#[derive(Clone, Debug)]
pub struct SiteZone {
    /// Lowercase domain without the final dot.
    pub domain: String,
    /// Records (never aliases).
    pub records: Vec<Record>,
    /// Where defined.
    pub span: Span,
}

/// A conditional forwarder.
#[derive(Clone, Debug)]
pub struct SiteForward {
    /// Lowercase domain.
    pub domain: String,
    /// Addresses forwarded to.
    pub to: Vec<Ipv4Addr>,
    /// Where defined.
    pub span: Span,
}

/// A site route.
#[derive(Clone, Debug)]
pub struct SiteRoute {
    /// Destination.
    pub destination: IpNet,
    /// Links in order of preference.
    pub via: Vec<LinkId>,
    /// Where defined.
    pub span: Span,
}

/// An on-premises host.
#[derive(Clone, Debug)]
pub struct Host {
    /// The user's name.
    pub name: String,
    /// Site.
    pub site: SiteId,
    /// Address.
    pub ip: Ipv4Addr,
    /// IPv6 address, when the host has one.
    pub ipv6: Option<Ipv6Addr>,
    /// Principal its requests are signed with.
    pub principal: Option<PrincipalId>,
    /// Where defined.
    pub span: Span,
}

/// Where a link lands on the AWS side.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attachment {
    /// A VPC's virtual private gateway.
    VpnGateway(VpcId),
    /// A Direct Connect gateway.
    DxGateway(DxGatewayId),
}

/// A link between a site and AWS.
#[derive(Clone, Debug)]
pub struct Link<S: Stage = Resolved> {
    /// The user's name.
    pub name: String,
    /// VPN or Direct Connect.
    pub kind: LinkType,
    /// Site.
    pub site: S::Ref<SiteId>,
    /// Where it lands.
    pub attach: S::Ref<Attachment>,
    /// Static or BGP (Direct Connect: BGP).
    pub routing: Routing,
    /// Tunnel names (`tunnel1`, `tunnel2`) for VPN, none for Direct Connect.
    pub tunnels: Vec<String>,
    /// Advertised on-premises prefixes.
    pub advertise: Vec<IpNet>,
    /// Customer ASN.
    pub asn: Option<u32>,
    /// AS_PATH prepends.
    pub as_path_prepend: u32,
    /// Where defined.
    pub span: Span,
}

/// A bucket.
#[derive(Clone, Debug)]
pub struct Bucket<S: Stage = Resolved> {
    /// Name.
    pub name: String,
    /// Owner.
    pub account: S::Ref<AccountId>,
    /// Region (for Outposts buckets: the Outpost's VPC's Region).
    pub region: S::Ref<RegionId>,
    /// Bucket policy.
    pub policy: Option<Policy>,
    /// Storage classes.
    pub storage_classes: Vec<StorageClass>,
    /// The Outpost, for S3 on Outposts buckets.
    pub outpost: Option<OutpostId>,
    /// Access points.
    pub access_points: Vec<AccessPointId>,
    /// Objects it starts with: key and text (`objects:`; the emulation front stores them).
    pub objects: Vec<(String, String)>,
    /// Where defined.
    pub span: Span,
}

/// An access point.
#[derive(Clone, Debug)]
pub struct AccessPoint<S: Stage = Resolved> {
    /// Name.
    pub name: String,
    /// Bucket.
    pub bucket: BucketId,
    /// Owner account.
    pub account: S::Ref<AccountId>,
    /// Network origin.
    pub network_origin: NetworkOrigin,
    /// VPC for VPC-origin access points.
    pub vpc: Option<VpcId>,
    /// Access point policy.
    pub policy: Option<Policy>,
    /// Where defined.
    pub span: Span,
}

/// An IAM principal.
#[derive(Clone, Debug)]
pub struct Principal<S: Stage = Resolved> {
    /// Name.
    pub name: String,
    /// Account.
    pub account: S::Ref<AccountId>,
    /// Role or user.
    pub kind: PrincipalKind,
    /// Identity policies, by name.
    pub policies: Vec<(String, Policy)>,
    /// Test keys given in the topology (`access_key:`): id and secret.
    pub access_key: Option<(String, String)>,
    /// The permissions boundary, when it has one.
    pub boundary: Option<Policy>,
    /// Session policies by name: the principal signs as a session of the role with these.
    pub session_policies: Vec<(String, Policy)>,
    /// Tags, key → value (`aws:PrincipalTag/KEY`).
    pub tags: Vec<(String, String)>,
    /// Where defined.
    pub span: Span,
}

impl<S: Stage> Principal<S> {
    /// `arn:aws:iam::ACCOUNT:role/NAME` or `…:user/NAME`.
    pub fn arn(&self, account_id: &str) -> String {
        let kind = match self.kind {
            PrincipalKind::Role => "role",
            PrincipalKind::User => "user",
        };
        format!("arn:aws:iam::{account_id}:{kind}/{}", self.name)
    }
}

/// An organization of AWS Organizations.
#[derive(Clone, Debug)]
pub struct Organization {
    /// The user's name.
    pub name: String,
    /// `o-…`: `aws:PrincipalOrgID`, `aws:ResourceOrgID`.
    pub aws_id: String,
    /// The management account: SCPs and RCPs do not apply to it.
    pub management: AccountId,
    /// SCPs by name (`FullAWSAccess` included).
    pub scps: Vec<(String, Policy)>,
    /// RCPs by name.
    pub rcps: Vec<(String, Policy)>,
    /// The root (first), the OUs and the member accounts.
    pub nodes: Vec<OrgNode>,
    /// Where defined.
    pub span: Span,
}

/// A node of an organization: its root, an OU or a member account.
#[derive(Clone, Debug)]
pub struct OrgNode {
    /// What it is.
    pub kind: OrgNodeKind,
    /// Its id: `r-…` for the root, `ou-…` for an OU, the account id for an account.
    pub aws_id: String,
    /// Its parent node (`None` for the root).
    pub parent: Option<usize>,
    /// The SCPs attached (indexes into [`Organization::scps`]).
    pub scps: Vec<usize>,
    /// The RCPs attached (indexes into [`Organization::rcps`]).
    pub rcps: Vec<usize>,
}

/// The kind of an [`OrgNode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgNodeKind {
    /// The organization root.
    Root,
    /// An organizational unit, by name.
    Unit(String),
    /// A member account.
    Account(AccountId),
}

/// An Outpost.
#[derive(Clone, Debug)]
pub struct Outpost<S: Stage = Resolved> {
    /// Name.
    pub name: String,
    /// `op-…`.
    pub aws_id: String,
    /// Owner.
    pub account: S::Ref<AccountId>,
    /// VPC.
    pub vpc: VpcId,
    /// Subnet.
    pub subnet: S::Ref<SubnetId>,
    /// S3 on Outposts endpoint id.
    pub endpoint_id: String,
    /// Access type.
    pub access_type: AccessType,
    /// CoIP pool (CustomerOwnedIp).
    pub coip_pool: Option<Ipv4Net>,
    /// The four X-ENIs.
    pub xenis: Vec<EniId>,
    /// Buckets.
    pub buckets: Vec<BucketId>,
    /// Access points.
    pub access_points: Vec<AccessPointId>,
    /// Where defined.
    pub span: Span,
}

/// An AWS-managed prefix list.
#[derive(Clone, Debug)]
pub struct PrefixList {
    /// `pl-…`.
    pub aws_id: String,
    /// Region.
    pub region: RegionId,
    /// Service (`s3`, `dynamodb`).
    pub service: String,
    /// CIDRs.
    pub cidrs: Vec<Ipv4Net>,
}

/// A name given by a user (on the command line or over the API) that names nothing usable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameError {
    /// What is wrong.
    pub message: String,
    /// How to fix it (`did you mean 'dx-primary'?`).
    pub hint: String,
}

/// Where a request or query starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An instance in a VPC.
    Instance(InstanceId),
    /// An on-premises host.
    Host(HostId),
    /// The public internet (DNS view).
    Public,
    /// A VPC's Route 53 Resolver (DNS view).
    VpcResolver(VpcId),
    /// A VPC's inbound Resolver endpoint (DNS view).
    InboundEndpoint(VpcId),
    /// An on-premises site's resolver (DNS view).
    SiteResolver(SiteId),
    /// An AWS service calling S3 with a principal's credentials (`aws/athena`).
    Service(AwsCaller),
}

/// An AWS service that calls S3 on a principal's behalf, with the principal's credentials (a
/// forward access session): the request reaches S3 over S3's public endpoint inside AWS, never
/// through the customer's VPC endpoints, and carries `aws:CalledVia`
/// (<https://docs.aws.amazon.com/athena/latest/ug/s3-permissions.html>,
/// <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-calledvia>).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AwsCaller {
    /// Amazon Athena reading query data and writing query results.
    Athena,
}

impl AwsCaller {
    /// Every service vpcsim models as a caller.
    pub const ALL: &'static [AwsCaller] = &[AwsCaller::Athena];

    /// The name after `aws/` in a source: `athena`.
    pub fn name(self) -> &'static str {
        match self {
            AwsCaller::Athena => "athena",
        }
    }

    /// The service's name in sentences: `Athena`.
    pub fn title(self) -> &'static str {
        match self {
            AwsCaller::Athena => "Athena",
        }
    }

    /// The service principal, the value of `aws:CalledVia`: `athena.amazonaws.com`.
    pub fn service_principal(self) -> &'static str {
        match self {
            AwsCaller::Athena => "athena.amazonaws.com",
        }
    }

    /// The service named `name` (as after `aws/`).
    pub fn from_name(name: &str) -> Option<AwsCaller> {
        AwsCaller::ALL.iter().copied().find(|c| c.name() == name)
    }
}

/// What an expectation checks.
#[derive(Clone, Debug)]
pub enum Check {
    /// A request and its expected fate.
    Request {
        /// The request as written (`GET https://…`).
        request: String,
        /// The signing principal when given: `Some(None)` is `anonymous`; `None` means the
        /// source's own role or principal.
        principal: Option<Option<PrincipalId>>,
        /// Request headers (names in lowercase), in file order.
        headers: Vec<(String, String)>,
        /// Expected verdict.
        verdict: Verdict,
        /// Named components the path must pass, in order.
        via: Vec<String>,
        /// Expected deciding statement.
        denied_by: Option<String>,
        /// Expected explanation code.
        reason: Option<String>,
        /// Expected spread of repeated requests over the name's addresses.
        spread: Option<SpreadCheck>,
    },
    /// A DNS query and its expected answer.
    Resolve {
        /// Name.
        name: String,
        /// Record type.
        record_type: RecordType,
        /// Expected addresses, sorted.
        answer: Option<Vec<String>>,
        /// Expected response code.
        rcode: Option<Rcode>,
    },
}

/// The most requests a `spread:` sends (as `vpcsim trace --repeat`: docs/reliability.md).
pub const MAX_SPREAD_REPEAT: u32 = 100_000;

/// A `spread:` expectation: the request sent `repeat` times with one DNS rotation, each address
/// within `tolerance` (a fraction) of an even share.
#[derive(Clone, Debug, PartialEq)]
pub struct SpreadCheck {
    /// Requests sent.
    pub repeat: u32,
    /// How far a count may be from an even share, as a fraction of it.
    pub tolerance: f64,
    /// The addresses the requests must spread over; empty: every address the name resolves to.
    pub over: Vec<IpAddr>,
}

/// An expectation.
#[derive(Clone, Debug)]
pub struct Expectation {
    /// Name (or the request as written).
    pub name: String,
    /// Source.
    pub from: Source,
    /// What to check.
    pub check: Check,
    /// Where written.
    pub span: Span,
}

/// A failure scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Failed links (all tunnels) and tunnels (`link`, tunnel index).
    pub fail: Vec<(LinkId, Option<usize>)>,
    /// Expectations under the failure.
    pub expectations: Vec<Expectation>,
    /// Where defined.
    pub span: Span,
}

impl<S: Stage> Topology<S> {
    /// A source named as `VPC/INSTANCE`, `SITE/HOST`, `public`, `VPC`, `VPC/inbound` or `SITE`.
    pub fn find_source(&self, text: &str) -> Option<Source> {
        if text == "public" {
            return Some(Source::Public);
        }
        match text.split_once('/') {
            None => {
                if let Some(i) = self.vpcs.iter().position(|v| v.name == text) {
                    return Some(Source::VpcResolver(VpcId(i as u32)));
                }
                let i = self.sites.iter().position(|s| s.name == text)?;
                Some(Source::SiteResolver(SiteId(i as u32)))
            }
            Some((outer, inner)) => {
                if let Some(v) = self.vpcs.iter().position(|v| v.name == outer) {
                    let vpc = &self.vpcs[v];
                    if inner == "inbound" && vpc.inbound_resolver.is_some() {
                        return Some(Source::InboundEndpoint(VpcId(v as u32)));
                    }
                    return vpc
                        .instances
                        .iter()
                        .find(|i| self.instances[i.index()].name == inner)
                        .map(|i| Source::Instance(*i));
                }
                if let Some(s) = self.sites.iter().position(|s| s.name == outer) {
                    return self.sites[s]
                        .hosts
                        .iter()
                        .find(|h| self.hosts[h.index()].name == inner)
                        .map(|h| Source::Host(*h));
                }
                // `aws/SERVICE`, unless a VPC or site is named `aws`.
                (outer == "aws")
                    .then(|| AwsCaller::from_name(inner).map(Source::Service))
                    .flatten()
            }
        }
    }

    /// Every name `find_source` accepts, for hints.
    pub fn source_names(&self) -> Vec<String> {
        let mut out = vec!["public".to_string()];
        for vpc in &self.vpcs {
            out.push(vpc.name.clone());
            if vpc.inbound_resolver.is_some() {
                out.push(format!("{}/inbound", vpc.name));
            }
            for i in &vpc.instances {
                out.push(format!("{}/{}", vpc.name, self.instances[i.index()].name));
            }
        }
        for site in &self.sites {
            out.push(site.name.clone());
            for h in &site.hosts {
                out.push(format!("{}/{}", site.name, self.hosts[h.index()].name));
            }
        }
        out.extend(AwsCaller::ALL.iter().map(|c| format!("aws/{}", c.name())));
        out
    }

    /// Every name a request can be sent from (`VPC/INSTANCE`, `SITE/HOST`), in file order.
    pub fn sender_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        for vpc in &self.vpcs {
            for i in &vpc.instances {
                out.push(format!("{}/{}", vpc.name, self.instances[i.index()].name));
            }
        }
        for site in &self.sites {
            for h in &site.hosts {
                out.push(format!("{}/{}", site.name, self.hosts[h.index()].name));
            }
        }
        out
    }
}

impl Topology {
    /// Ids that point outside their arena. Always empty for a model built by validation; tests use
    /// it to hold that invariant.
    pub fn dangling_ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut check = |what: &str, index: usize, len: usize| {
            if index >= len {
                out.push(format!("{what} {index} (of {len})"));
            }
        };
        for s in &self.subnets {
            check("subnet.vpc", s.vpc.index(), self.vpcs.len());
            check(
                "subnet.route_table",
                s.route_table.index(),
                self.route_tables.len(),
            );
        }
        for v in &self.vpcs {
            check("vpc.account", v.account.index(), self.accounts.len());
            check("vpc.region", v.region.index(), self.regions.len());
            check(
                "vpc.main_route_table",
                v.main_route_table.index(),
                self.route_tables.len(),
            );
        }
        for e in &self.enis {
            check("eni.subnet", e.subnet.index(), self.subnets.len());
        }
        for e in &self.endpoints {
            e.enis()
                .iter()
                .for_each(|x| check("endpoint.eni", x.index(), self.enis.len()));
            e.route_tables()
                .iter()
                .for_each(|x| check("endpoint.route_table", x.index(), self.route_tables.len()));
        }
        for i in &self.instances {
            check("instance.eni", i.eni.index(), self.enis.len());
        }
        for n in &self.nat_gateways {
            check("nat.eni", n.eni.index(), self.enis.len());
        }
        for r in &self.resolver_endpoints {
            r.enis
                .iter()
                .for_each(|x| check("resolver.eni", x.index(), self.enis.len()));
        }
        for o in &self.outposts {
            o.xenis
                .iter()
                .for_each(|x| check("outpost.xeni", x.index(), self.enis.len()));
            check("outpost.subnet", o.subnet.index(), self.subnets.len());
            o.access_points
                .iter()
                .for_each(|x| check("outpost.access_point", x.index(), self.access_points.len()));
        }
        for a in &self.access_points {
            check("access_point.bucket", a.bucket.index(), self.buckets.len());
        }
        for l in &self.links {
            check("link.site", l.site.index(), self.sites.len());
        }
        for p in &self.peerings {
            p.vpcs
                .iter()
                .for_each(|x| check("peering.vpc", x.index(), self.vpcs.len()));
        }
        out
    }

    /// The sender of a request named by a user (`VPC/INSTANCE` or `SITE/HOST`), or what is wrong.
    pub fn find_sender(&self, text: &str) -> Result<Source, NameError> {
        match self.find_source(text) {
            Some(s @ (Source::Instance(_) | Source::Host(_) | Source::Service(_))) => Ok(s),
            Some(_) => Err(NameError {
                message: format!("'{text}' is a DNS view; requests start at an instance or a host"),
                hint: "use VPC/INSTANCE or SITE/HOST (views are for name resolution)".into(),
            }),
            None => {
                let names: Vec<String> = self
                    .source_names()
                    .into_iter()
                    .filter(|n| n.contains('/') && !n.ends_with("/inbound"))
                    .collect();
                Err(NameError {
                    message: format!("no instance or host named '{text}'"),
                    hint: vpcsim_syntax::suggest::hint(
                        text,
                        "source",
                        names.iter().map(String::as_str),
                    ),
                })
            }
        }
    }

    /// A failure named by a user: `LINK` (the whole link) or `LINK/TUNNEL`.
    pub fn find_failure(&self, text: &str) -> Result<(LinkId, Option<usize>), NameError> {
        let (link, tunnel) = match text.split_once('/') {
            Some((l, t)) => (l, Some(t)),
            None => (text, None),
        };
        let Some(id) = self.find_link(link) else {
            return Err(NameError {
                message: format!("no link named '{link}'"),
                hint: vpcsim_syntax::suggest::hint(
                    link,
                    "link",
                    self.links.iter().map(|l| l.name.as_str()),
                ),
            });
        };
        let Some(t) = tunnel else {
            return Ok((id, None));
        };
        let tunnels = &self.links[id.index()].tunnels;
        match tunnels.iter().position(|x| x == t) {
            Some(i) => Ok((id, Some(i))),
            None => Err(NameError {
                message: format!("link '{link}' has no tunnel '{t}'"),
                hint: if tunnels.is_empty() {
                    format!(
                        "{link} is a Direct Connect link: it has no tunnels; fail the whole link"
                    )
                } else {
                    format!("tunnels: {}", tunnels.join(", "))
                },
            }),
        }
    }

    /// A signing principal named by a user: a key of `principals`, or `anonymous` (`None`).
    pub fn find_principal(&self, text: &str) -> Result<Option<PrincipalId>, NameError> {
        if text == "anonymous" {
            return Ok(None);
        }
        match self.principals.iter().position(|x| x.name == text) {
            Some(i) => Ok(Some(PrincipalId(i as u32))),
            None => Err(NameError {
                message: format!("no principal named '{text}'"),
                hint: vpcsim_syntax::suggest::hint(
                    text,
                    "principal",
                    self.principals.iter().map(|x| x.name.as_str()),
                ),
            }),
        }
    }

    /// A link by name.
    pub fn find_link(&self, name: &str) -> Option<LinkId> {
        self.links
            .iter()
            .position(|l| l.name == name)
            .map(|i| LinkId(i as u32))
    }

    /// The VPC an ENI is in.
    pub fn eni_vpc(&self, eni: EniId) -> VpcId {
        self.subnets[self.enis[eni.index()].subnet.index()].vpc
    }
}

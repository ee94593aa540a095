//! The components of a network as pictures and traces name them: [`Element`] is a typed reference
//! to one thing a diagram draws (a VPC, a subnet, a route table, an interface, a link…), and
//! [`Topology::element_id`] its stable text id (`subnet:shared/app-a`, `eni:shared/10.0.10.5`,
//! `link:dx-primary`). A trace's hops name the element they pass, `GET /topology` lists every
//! element by id, and `vpcsim diagram` draws them under the same ids, so a hop, an API answer and
//! a shape in a picture meet on one name.

use std::fmt::Write;

use crate::model::{
    AccountId, DxGatewayId, EndpointId, EniId, HostId, HostedZoneId, LinkId, NatGatewayId,
    OutpostId, PeeringId, RegionId, ResolverEndpointId, RouteTableId, SiteId, SubnetId, Topology,
    VpcId,
};

/// One component of the network, by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Element {
    /// A Region.
    Region(RegionId),
    /// An account.
    Account(AccountId),
    /// A VPC (its router, for a packet).
    Vpc(VpcId),
    /// The Availability Zone of a subnet, in its VPC (subnets are drawn in it): every subnet of
    /// the VPC in that zone names the same zone, by the same id.
    Zone(SubnetId),
    /// A subnet (its network ACL, for a packet).
    Subnet(SubnetId),
    /// A route table.
    RouteTable(RouteTableId),
    /// A network interface (an instance, an endpoint's ENI, a Resolver endpoint's, a NAT
    /// gateway's, an X-ENI).
    Interface(EniId),
    /// A VPC endpoint.
    Endpoint(EndpointId),
    /// A VPC's internet gateway.
    InternetGateway(VpcId),
    /// A NAT gateway.
    NatGateway(NatGatewayId),
    /// A VPC's VPN gateway.
    VpnGateway(VpcId),
    /// A Route 53 Resolver endpoint.
    ResolverEndpoint(ResolverEndpointId),
    /// A private hosted zone.
    HostedZone(HostedZoneId),
    /// A peering connection.
    Peering(PeeringId),
    /// A Direct Connect gateway.
    DxGateway(DxGatewayId),
    /// A VPN or Direct Connect link.
    Link(LinkId),
    /// An on-premises site (its router, for a packet).
    Site(SiteId),
    /// An on-premises site's resolver.
    SiteResolver(SiteId),
    /// An on-premises host.
    Host(HostId),
    /// An Outpost with its S3 endpoint.
    Outpost(OutpostId),
    /// The internet, and AWS services' public addresses.
    Internet,
}

impl Topology {
    /// The element's stable id: its kind and the names of what contains it
    /// (`vpc:shared`, `subnet:shared/app-a`, `rtb:shared/private`, `eni:shared/10.0.10.5`,
    /// `vpce:shared/s3-interface`, `igw:shared`, `vgw:shared`, `link:dx-primary`,
    /// `host:datacenter/build-server`, `zone:shared/us-east-1a`, `phz:example.internal`…).
    /// Ids follow names, not positions: editing one part of a file does not rename the rest.
    /// A NAT gateway's interface is named as the NAT gateway.
    pub fn element_id(&self, e: Element) -> String {
        let vpc = |v: VpcId| self.vpcs[v.index()].name.as_str();
        let mut s = String::with_capacity(32);
        let _ = match e {
            Element::Region(r) => write!(s, "region:{}", self.regions[r.index()].name),
            Element::Account(a) => write!(s, "account:{}", self.accounts[a.index()].id),
            Element::Vpc(v) => write!(s, "vpc:{}", vpc(v)),
            Element::Zone(x) => {
                let sub = &self.subnets[x.index()];
                write!(s, "zone:{}/{}", vpc(sub.vpc), sub.az)
            }
            Element::Subnet(x) => {
                let sub = &self.subnets[x.index()];
                write!(s, "subnet:{}/{}", vpc(sub.vpc), sub.name)
            }
            Element::RouteTable(x) => {
                let t = &self.route_tables[x.index()];
                write!(s, "rtb:{}/{}", vpc(t.vpc), t.name)
            }
            Element::Interface(x) => {
                let eni = &self.enis[x.index()];
                // A NAT gateway is drawn and named as itself, not as its interface.
                if let crate::model::EniOwner::NatGateway(n) = eni.owner {
                    return self.element_id(Element::NatGateway(n));
                }
                let sub = &self.subnets[eni.subnet.index()];
                write!(s, "eni:{}/{}", vpc(sub.vpc), eni.ip)
            }
            Element::Endpoint(x) => {
                let ep = &self.endpoints[x.index()];
                write!(s, "vpce:{}/{}", vpc(ep.vpc), ep.name)
            }
            Element::InternetGateway(v) => write!(s, "igw:{}", vpc(v)),
            Element::NatGateway(x) => {
                let n = &self.nat_gateways[x.index()];
                write!(s, "nat:{}/{}", vpc(n.vpc), n.name)
            }
            Element::VpnGateway(v) => write!(s, "vgw:{}", vpc(v)),
            Element::ResolverEndpoint(x) => {
                let r = &self.resolver_endpoints[x.index()];
                let dir = match r.direction {
                    crate::model::Direction::Inbound => "inbound",
                    crate::model::Direction::Outbound => "outbound",
                };
                write!(s, "rslvr:{}/{dir}", vpc(r.vpc))
            }
            Element::HostedZone(x) => {
                let z = &self.hosted_zones[x.index()];
                // Two zones may serve one domain (to different VPCs): the later ones are told
                // apart by their rank among the zones of that domain.
                let rank = self.hosted_zones[..x.index()]
                    .iter()
                    .filter(|o| o.domain == z.domain)
                    .count();
                if rank == 0 {
                    write!(s, "phz:{}", z.domain)
                } else {
                    write!(s, "phz:{}#{}", z.domain, rank + 1)
                }
            }
            Element::Peering(x) => write!(s, "pcx:{}", self.peerings[x.index()].name),
            Element::DxGateway(x) => write!(s, "dxgw:{}", self.dx_gateways[x.index()].name),
            Element::Link(x) => write!(s, "link:{}", self.links[x.index()].name),
            Element::Site(x) => write!(s, "site:{}", self.sites[x.index()].name),
            Element::SiteResolver(x) => write!(s, "resolver:{}", self.sites[x.index()].name),
            Element::Host(x) => {
                let h = &self.hosts[x.index()];
                write!(s, "host:{}/{}", self.sites[h.site.index()].name, h.name)
            }
            Element::Outpost(x) => write!(s, "outpost:{}", self.outposts[x.index()].name),
            Element::Internet => write!(s, "internet"),
        };
        s
    }
}

//! The node kinds of the forwarding graph. Each kind lives in its own module and says, for a
//! packet arriving at it, where the packet goes next ([`Next`]) and what it recorded on the way.
//! The walker knows none of them: it calls [`Node::step`] until a node delivers or stops. Adding a
//! network element (a transit gateway, an egress-only internet gateway) means adding a variant here
//! and a module beside these; the walker does not change.

mod endpoint;
mod interface;
mod internet;
mod peering;
mod site;
mod subnet;
mod vpc;
mod vpn;

use vpcsim_topology::model::{
    DxGatewayId, EndpointId, EniId, LinkId, NatGatewayId, PeeringId, SiteId, Span, SubnetId, VpcId,
};

pub use site::is_private;

use crate::walk::{Arrival, Packet, Record, Stop, Walk};

/// What a node decided.
#[derive(Debug)]
pub(crate) enum Next {
    /// On to this node.
    Go(Node),
    /// The packet arrived.
    Arrive(Arrival),
    /// The packet stops here.
    Stop(Stop),
}

/// A node of the forwarding graph, addressed by the topology's ids.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Node {
    /// A network interface sending: its security groups, outbound.
    InterfaceOut(EniId),
    /// A network interface receiving: its security groups, inbound; the packet arrives.
    InterfaceIn(EniId),
    /// A packet leaving a subnet: its network ACL and route table.
    SubnetOut(SubnetId),
    /// A packet entering a subnet for `eni`, from `from` (no ACL within one subnet).
    SubnetIn {
        subnet: SubnetId,
        eni: EniId,
        from: Option<SubnetId>,
    },
    /// The VPC's router delivering to the interface with the destination address.
    VpcRouter { vpc: VpcId, from: Option<SubnetId> },
    /// A gateway endpoint taking a request to its service.
    GatewayEndpoint(EndpointId),
    /// A gateway endpoint bringing the service's reply into the VPC.
    GatewayEndpointReturn(EndpointId),
    /// An internet gateway sending out, with the span of the route that chose it.
    InternetGatewayOut { vpc: VpcId, span: Option<Span> },
    /// A NAT gateway sending out.
    NatOut(NatGatewayId),
    /// A NAT gateway bringing a reply back.
    NatIn(NatGatewayId),
    /// The internet delivering a reply to a public address.
    InternetReturn,
    /// A VPC's VPN gateway sending to a site over `link` (`None`: no link carries it).
    VpnGatewayOut { vpc: VpcId, link: Option<LinkId> },
    /// A peering connection from `from` to the other VPC.
    Peering { peering: PeeringId, from: VpcId },
    /// A site's router sending.
    SiteOut(SiteId),
    /// A site's network receiving.
    SiteIn(SiteId),
    /// A Direct Connect gateway forwarding to a VPC's VPN gateway.
    DxGateway { gateway: DxGatewayId, vpc: VpcId },
}

impl Node {
    /// The node's decision for `pkt`, which it may rewrite (address translation). Inlined into
    /// the walker's loop, its one caller.
    #[inline]
    pub(crate) fn step(self, w: &mut Walk<'_, impl Record>, pkt: &mut Packet) -> Next {
        match self {
            Node::InterfaceOut(eni) => interface::send(w, pkt, eni),
            Node::InterfaceIn(eni) => interface::receive(w, pkt, eni),
            Node::SubnetOut(subnet) => subnet::leave(w, pkt, subnet),
            Node::SubnetIn { subnet, eni, from } => subnet::enter(w, pkt, subnet, eni, from),
            Node::VpcRouter { vpc, from } => vpc::deliver(w, pkt, vpc, from),
            Node::GatewayEndpoint(e) => endpoint::gateway(w, pkt, e),
            Node::GatewayEndpointReturn(e) => endpoint::gateway_return(w, pkt, e),
            Node::InternetGatewayOut { vpc, span } => internet::gateway_out(w, pkt, vpc, span),
            Node::NatOut(n) => internet::nat_out(w, pkt, n),
            Node::NatIn(n) => internet::nat_in(w, pkt, n),
            Node::InternetReturn => internet::internet_return(w, pkt),
            Node::VpnGatewayOut { vpc, link } => vpn::gateway_out(w, pkt, vpc, link),
            Node::Peering { peering, from } => peering::cross(w, pkt, peering, from),
            Node::SiteOut(site) => site::send(w, pkt, site),
            Node::SiteIn(site) => site::receive(w, pkt, site),
            Node::DxGateway { gateway, vpc } => vpn::dx_gateway(w, gateway, vpc),
        }
    }
}

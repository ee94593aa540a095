//! Subnets: the network ACL at the boundary and the subnet's route table.

use std::net::IpAddr;

use vpcsim_topology::model::{EniId, SubnetId, Target};

use super::{Next, Node};
use crate::RouteKind;
use crate::filters::Direction;
use crate::walk::{Disposition, Event, LocalGatewayFrom, Packet, Record, Walk};

/// A packet leaves a subnet: the Outpost's local gateway for customer-owned addresses; the ACL
/// (unless the destination is in the same subnet); the route table decides the next node.
pub(super) fn leave(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, subnet: SubnetId) -> Next {
    let topo = w.g.topo;
    let vpc = topo.subnets[subnet.index()].vpc;
    if let Some(xeni) = w.g.coip(pkt.dst)
        && topo.eni_vpc(xeni) == vpc
    {
        w.note(
            Event::LocalGateway {
                dst: pkt.dst,
                from: LocalGatewayFrom::Vpc(vpc),
            },
            None,
        );
        return Next::Go(Node::InterfaceIn(xeni));
    }
    // An interface's address is inside its subnet's CIDR (validation sees to it), so only a
    // destination inside the subnet's CIDRs is looked up.
    let s = &topo.subnets[subnet.index()];
    let in_cidr = match pkt.dst {
        IpAddr::V4(a) => s.cidr.contains(&a),
        IpAddr::V6(a) => s.ipv6_cidr.is_some_and(|n| n.contains(&a)),
    };
    let same_subnet = in_cidr
        && w.g
            .interface(vpc, pkt.dst)
            .is_some_and(|e| topo.enis[e.index()].subnet == subnet);
    if !same_subnet && let Err(n) = w.network_acl(subnet, Direction::Outbound, pkt) {
        return n;
    }
    let table = topo.subnets[subnet.index()].route_table;
    let Some(choice) = w.g.routes.choose(table, pkt.dst, w.links) else {
        let unassociated = w.gateway_endpoint_for(vpc, pkt.dst);
        return w.stop(
            Disposition::NoRoute,
            Event::NoRoute {
                table,
                subnet,
                dst: pkt.dst,
                unassociated,
            },
            Some(topo.route_tables[table.index()].span),
        );
    };
    let route = w.g.routes.route(table, choice);
    let (target, kind, span) = (route.target, route.kind, route.span);
    w.note(
        Event::Route {
            table,
            vpc,
            dst: pkt.dst,
            choice,
        },
        Some(span),
    );
    match target {
        Target::Local => Next::Go(Node::VpcRouter {
            vpc,
            from: Some(subnet),
        }),
        Target::GatewayEndpoint(e) => Next::Go(Node::GatewayEndpoint(e)),
        Target::InternetGateway => Next::Go(Node::InternetGatewayOut {
            vpc,
            span: Some(span),
        }),
        Target::NatGateway(n) => Next::Go(Node::NatOut(n)),
        Target::VpnGateway => {
            let link = match kind {
                RouteKind::Propagated { link, .. } => Some(link),
                _ => w.g.routes.vgw_link(topo, vpc, pkt.dst, w.links),
            };
            Next::Go(Node::VpnGatewayOut { vpc, link })
        }
        Target::Peering(p) => Next::Go(Node::Peering {
            peering: p,
            from: vpc,
        }),
        Target::Eni(x) => w.stop(Disposition::Unsupported, Event::Appliance { eni: x }, None),
    }
}

/// A packet enters `subnet` for `eni`: the ACL, unless it comes from the same subnet.
pub(super) fn enter(
    w: &mut Walk<'_, impl Record>,
    pkt: &mut Packet,
    subnet: SubnetId,
    eni: EniId,
    from: Option<SubnetId>,
) -> Next {
    if from != Some(subnet)
        && let Err(n) = w.network_acl(subnet, Direction::Inbound, pkt)
    {
        return n;
    }
    Next::Go(Node::InterfaceIn(eni))
}

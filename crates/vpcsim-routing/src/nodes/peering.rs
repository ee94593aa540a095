//! VPC peering connections: not transitive.

use vpcsim_topology::model::{PeeringId, VpcId};

use super::{Next, Node};
use crate::walk::{Disposition, Event, Packet, Record, Walk};

/// Crosses from `from` to the other VPC, which delivers only addresses inside its own CIDRs.
pub(super) fn cross(
    w: &mut Walk<'_, impl Record>,
    pkt: &mut Packet,
    peering: PeeringId,
    from: VpcId,
) -> Next {
    let topo = w.g.topo;
    let p = &topo.peerings[peering.index()];
    let to = p.other(from).unwrap_or(from);
    w.note(Event::Peering { peering, to }, Some(p.span));
    // The usual case: an interface of that VPC has the address (so it is inside its CIDRs), and
    // its router delivers to it (what `Node::VpcRouter` would find, looked up once).
    if let Some(eni) = w.g.interface(to, pkt.dst) {
        return super::vpc::to_interface(w, eni, None);
    }
    if topo.vpcs[to.index()].contains_ip(pkt.dst) {
        return Next::Go(Node::VpcRouter {
            vpc: to,
            from: None,
        });
    }
    let gateway_endpoint = w.gateway_endpoint_for(to, pkt.dst);
    w.stop(
        Disposition::NoRoute,
        Event::PeeringNotTransitive {
            peering,
            to,
            dst: pkt.dst,
            gateway_endpoint,
        },
        None,
    )
}

//! The VPC router: local delivery to the interface that has the destination address.

use vpcsim_topology::model::{EniId, SubnetId, VpcId};

use super::{Next, Node};
use crate::walk::{Disposition, Event, Packet, Record, Walk};

/// Delivers inside `vpc` (after a local route, a peering, a link or a gateway's reply).
pub(super) fn deliver(
    w: &mut Walk<'_, impl Record>,
    pkt: &mut Packet,
    vpc: VpcId,
    from: Option<SubnetId>,
) -> Next {
    let Some(eni) = w.g.interface(vpc, pkt.dst) else {
        return w.stop(
            Disposition::NoRoute,
            Event::NoInterface { vpc, dst: pkt.dst },
            None,
        );
    };
    to_interface(w, eni, from)
}

/// On to the interface `eni` that has the destination address, entering its subnet from `from`.
pub(super) fn to_interface(w: &Walk<'_, impl Record>, eni: EniId, from: Option<SubnetId>) -> Next {
    let subnet = w.g.topo.enis[eni.index()].subnet;
    Next::Go(Node::SubnetIn { subnet, eni, from })
}

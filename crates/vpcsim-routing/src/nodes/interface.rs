//! Network interfaces: security groups on the way out and on the way in.

use std::net::IpAddr;

use vpcsim_topology::model::EniId;

use super::{Next, Node};
use crate::filters::Direction;
use crate::walk::{Arrival, Disposition, Event, LocalGatewayFrom, Packet, Record, Walk};

/// An interface sends: its security groups (outbound), then its subnet.
pub(super) fn send(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, eni: EniId) -> Next {
    if let Err(n) = w.security_groups(eni, Direction::Outbound, pkt) {
        return n;
    }
    let topo = w.g.topo;
    // An X-ENI with a customer-owned address answers the site through the Outpost's local gateway.
    if w.is_coip(eni) && !topo.vpcs[topo.eni_vpc(eni).index()].contains_ip(pkt.dst) {
        w.note(
            Event::LocalGateway {
                dst: pkt.dst,
                from: LocalGatewayFrom::Reply,
            },
            None,
        );
        return match site_of(w, pkt.dst) {
            Some(site) => Next::Go(Node::SiteIn(site)),
            None => w.stop(
                Disposition::NoRoute,
                Event::NoInterface {
                    vpc: topo.eni_vpc(eni),
                    dst: pkt.dst,
                },
                None,
            ),
        };
    }
    Next::Go(Node::SubnetOut(topo.enis[eni.index()].subnet))
}

/// An interface receives: its security groups (inbound); the packet has arrived.
pub(super) fn receive(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, eni: EniId) -> Next {
    if let Err(n) = w.security_groups(eni, Direction::Inbound, pkt) {
        return n;
    }
    Next::Arrive(Arrival::Eni {
        eni,
        client_ip: pkt.src,
    })
}

fn site_of(w: &Walk<'_, impl Record>, ip: IpAddr) -> Option<vpcsim_topology::model::SiteId> {
    w.g.topo
        .sites
        .iter()
        .position(|s| s.cidrs.iter().any(|c| c.contains(&ip)))
        .map(|i| vpcsim_topology::model::SiteId(i as u32))
}

//! VPN gateways, their links (Direct Connect and Site-to-Site VPN with its tunnels) and Direct
//! Connect gateways.

use vpcsim_topology::model::{DxGatewayId, LinkId, VpcId};

use super::{Next, Node};
use crate::walk::{Disposition, Event, Packet, Record, Walk};

/// The VPN gateway of `vpc` sends over `link` to its site; without a link, the links that would
/// carry the destination are all down or there is none.
pub(super) fn gateway_out(
    w: &mut Walk<'_, impl Record>,
    pkt: &mut Packet,
    vpc: VpcId,
    link: Option<LinkId>,
) -> Next {
    let topo = w.g.topo;
    let Some(link) = link else {
        let links: Vec<LinkId> = topo.vpcs[vpc.index()]
            .vpn_gateway
            .iter()
            .flat_map(|g| g.links.iter().copied())
            .filter(|l| {
                topo.links[l.index()]
                    .advertise
                    .iter()
                    .any(|p| p.contains(&pkt.dst))
            })
            .collect();
        let disposition = if links.is_empty() {
            Disposition::NoRoute
        } else {
            Disposition::LinkDown
        };
        return w.stop(
            disposition,
            Event::VpnGatewayNoLink {
                vpc,
                dst: pkt.dst,
                links,
            },
            None,
        );
    };
    let l = &topo.links[link.index()];
    w.note(Event::VpnGatewayLink { link }, Some(l.span));
    tunnel(w, link);
    Next::Go(Node::SiteIn(l.site))
}

/// For a VPN link, the IPsec tunnel that carries the packet: the first one up.
pub(super) fn tunnel(w: &mut Walk<'_, impl Record>, link: LinkId) {
    let topo = w.g.topo;
    if let Some(t) = w.links.tunnel(topo, link) {
        w.note(
            Event::Tunnel { link, tunnel: t },
            Some(topo.links[link.index()].span),
        );
    }
}

/// A Direct Connect gateway forwards to the VPN gateway of `vpc`.
pub(super) fn dx_gateway(w: &mut Walk<'_, impl Record>, gateway: DxGatewayId, vpc: VpcId) -> Next {
    w.note(Event::DxGateway { gateway, vpc }, None);
    Next::Go(Node::VpcRouter { vpc, from: None })
}

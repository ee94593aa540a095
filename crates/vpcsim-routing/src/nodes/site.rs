//! On-premises sites: the site router (its own addresses, customer-owned addresses of Outposts,
//! routes over links in order of preference with failover, internet egress) and the site network.

use std::net::IpAddr;

use vpcsim_topology::model::{Attachment, LinkId, SiteId, VpcId};

use super::{Next, Node, vpn};
use crate::walk::{Arrival, Disposition, Event, LocalGatewayFrom, Packet, Record, Walk};

/// Address space the internet does not carry: RFC 1918, shared, link-local and loopback IPv4;
/// unique local (fc00::/7), link-local (fe80::/10), loopback and unspecified IPv6.
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => {
            ip.is_private()
                || ip.is_loopback()
                || ip.is_link_local()
                || (ip.octets()[0] == 100 && (64..128).contains(&ip.octets()[1]))
        }
        IpAddr::V6(ip) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
        }
    }
}

/// The site router sends.
pub(super) fn send(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, site: SiteId) -> Next {
    let topo = w.g.topo;
    let s = &topo.sites[site.index()];
    let dst = pkt.dst;
    if s.cidrs.iter().any(|c| c.contains(&dst)) {
        w.note(Event::SiteLocal { site, dst }, None);
        return Next::Arrive(Arrival::Site { site });
    }
    if let Some(xeni) = w.g.coip(dst) {
        w.note(
            Event::LocalGateway {
                dst,
                from: LocalGatewayFrom::Site(site),
            },
            None,
        );
        return Next::Go(Node::InterfaceIn(xeni));
    }
    let route = s
        .routes
        .iter()
        .enumerate()
        .filter(|(_, r)| r.destination.contains(&dst))
        .max_by_key(|(_, r)| r.destination.prefix_len());
    let Some((index, route)) = route else {
        // No route toward AWS: public addresses leave through the internet egress, if any.
        if let Some(public) = s.public_ip
            && !is_private(dst)
            && dst.is_ipv4()
        {
            let public = IpAddr::V4(public);
            w.note(Event::SiteInternet { site, dst, public }, Some(s.span));
            w.translated_from = Some(pkt.src);
            pkt.src = public;
            return Next::Arrive(Arrival::Internet {
                public_ip: public,
                via_nat: None,
            });
        }
        return w.stop(
            Disposition::NoRoute,
            Event::SiteNoRoute { site, dst },
            Some(s.span),
        );
    };
    let mut failed = Vec::new();
    for &link in &route.via {
        let l = &topo.links[link.index()];
        if !w.links.link_up(link) {
            w.note(Event::LinkDown { link }, Some(l.span));
            failed.push(link);
            continue;
        }
        let Some(vpc) = w.g.routes.link_vpc(topo, link, dst) else {
            let vpcs: Vec<VpcId> = match l.attach {
                Attachment::VpnGateway(v) => vec![v],
                Attachment::DxGateway(g) => topo.dx_gateways[g.index()].vpcs.clone(),
            };
            let gateway_endpoint = vpcs.iter().find_map(|v| w.gateway_endpoint_for(*v, dst));
            return w.stop(
                Disposition::NoRoute,
                Event::LinkNoVpc {
                    link,
                    dst,
                    gateway_endpoint,
                },
                Some(l.span),
            );
        };
        w.note(
            Event::SiteRoute {
                site,
                route: index,
                link,
                failed,
            },
            Some(route.span),
        );
        w.note(Event::LinkInto { link, vpc }, Some(l.span));
        vpn::tunnel(w, link);
        return match l.attach {
            Attachment::DxGateway(gateway) => Next::Go(Node::DxGateway { gateway, vpc }),
            Attachment::VpnGateway(_) => Next::Go(Node::VpcRouter { vpc, from: None }),
        };
    }
    let links: Vec<LinkId> = route.via.clone();
    w.stop(
        Disposition::LinkDown,
        Event::AllLinksDown {
            site,
            route: index,
            links,
        },
        None,
    )
}

/// The site network receives: the destination must be one of its addresses.
pub(super) fn receive(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, site: SiteId) -> Next {
    let s = &w.g.topo.sites[site.index()];
    if s.cidrs.iter().any(|c| c.contains(&pkt.dst)) {
        Next::Arrive(Arrival::Site { site })
    } else {
        w.stop(
            Disposition::NoRoute,
            Event::NotInSite { site, dst: pkt.dst },
            None,
        )
    }
}

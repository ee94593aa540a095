//! The internet side: internet gateways, NAT gateways, and replies coming back from the internet.

use std::net::IpAddr;

use vpcsim_topology::model::{EniOwner, NatGatewayId, Span, Target, VpcId};

use super::{Next, Node};
use crate::graph::Public;
use crate::walk::{Arrival, Disposition, Event, Packet, Record, Walk};

/// The internet gateway carries public sources out: an IPv6 address as it is, a NAT gateway's
/// Elastic IP, or an instance's private IPv4 address translated to its public one.
pub(super) fn gateway_out(
    w: &mut Walk<'_, impl Record>,
    pkt: &mut Packet,
    vpc: VpcId,
    span: Option<Span>,
) -> Next {
    let topo = w.g.topo;
    let src = pkt.src;
    let via_nat = w
        .nat
        .map(|n| IpAddr::V4(topo.enis[topo.nat_gateways[n.index()].eni.index()].ip));
    // A NAT gateway of this walk translated the request's source already.
    let after_nat = w.nat.is_some();
    let public = match src {
        IpAddr::V6(_) => Some(src),
        IpAddr::V4(_) if after_nat => Some(src),
        IpAddr::V4(_) => {
            w.g.interface(vpc, src)
                .and_then(|e| match topo.enis[e.index()].owner {
                    EniOwner::Instance(i) => topo.instances[i.index()].public_ip.map(IpAddr::V4),
                    _ => None,
                })
        }
    };
    let Some(public) = public else {
        return w.stop(Disposition::NoRoute, Event::NoPublicIp { vpc, src }, None);
    };
    if public != src {
        w.translated_from = Some(src);
        pkt.src = public;
    }
    w.note(
        Event::InternetGateway {
            vpc,
            src,
            public,
            after_nat,
        },
        span,
    );
    Next::Arrive(Arrival::Internet {
        public_ip: public,
        via_nat,
    })
}

/// A NAT gateway translates the source to its Elastic IP and sends it by its own subnet's route
/// table, which must lead to the internet gateway.
pub(super) fn nat_out(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, nat: NatGatewayId) -> Next {
    let topo = w.g.topo;
    let n = &topo.nat_gateways[nat.index()];
    w.note(Event::Nat { nat, src: pkt.src }, Some(n.span));
    let nat_subnet = topo.enis[n.eni.index()].subnet;
    let table = topo.subnets[nat_subnet.index()].route_table;
    match w
        .g
        .routes
        .choose(table, pkt.dst, w.links)
        .map(|c| w.g.routes.route(table, c))
    {
        Some(route) if route.target == Target::InternetGateway => {
            let Some(public) = n.public_ip else {
                return w.stop(Disposition::NoRoute, Event::NatNoPublicIp { nat }, None);
            };
            w.translated_from = Some(pkt.src);
            w.nat = Some(nat);
            pkt.src = IpAddr::V4(public);
            Next::Go(Node::InternetGatewayOut {
                vpc: n.vpc,
                span: Some(route.span),
            })
        }
        _ => w.stop(
            Disposition::NoRoute,
            Event::NatNoRoute { nat, dst: pkt.dst },
            None,
        ),
    }
}

/// A NAT gateway translates a reply back to the client that sent the request.
pub(super) fn nat_in(w: &mut Walk<'_, impl Record>, pkt: &mut Packet, nat: NatGatewayId) -> Next {
    let topo = w.g.topo;
    let n = &topo.nat_gateways[nat.index()];
    w.note(Event::NatReturn { nat }, None);
    if let Some(client) = w.translated_from {
        pkt.dst = client;
    }
    Next::Go(Node::VpcRouter {
        vpc: n.vpc,
        from: Some(topo.enis[n.eni.index()].subnet),
    })
}

/// A reply from the internet goes to whoever owns the public address it is sent to.
pub(super) fn internet_return(w: &mut Walk<'_, impl Record>, pkt: &mut Packet) -> Next {
    let topo = w.g.topo;
    let owner = w.g.public.get(&pkt.dst).copied();
    match owner {
        Some(Public::Interface(eni)) => {
            let vpc = topo.eni_vpc(eni);
            w.note(Event::InternetGatewayReturn { vpc }, None);
            if let Some(private) = w.translated_from {
                pkt.dst = private;
            }
            Next::Go(Node::VpcRouter { vpc, from: None })
        }
        Some(Public::Nat(nat)) => {
            let vpc = topo.nat_gateways[nat.index()].vpc;
            w.note(Event::InternetGatewayReturn { vpc }, None);
            Next::Go(Node::NatIn(nat))
        }
        Some(Public::Site(site)) => {
            w.note(Event::InternetReturn { public: pkt.dst }, None);
            if let Some(private) = w.translated_from {
                pkt.dst = private;
            }
            Next::Go(Node::SiteIn(site))
        }
        None => {
            let (client, arrival) = (
                pkt.dst,
                Arrival::Internet {
                    public_ip: pkt.dst,
                    via_nat: None,
                },
            );
            w.stop(
                Disposition::NoRoute,
                Event::ReplyElsewhere { client, arrival },
                None,
            )
        }
    }
}

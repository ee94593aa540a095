//! Gateway endpoints: a prefix-list route to the service, and the service's reply.

use vpcsim_topology::model::EndpointId;

use super::{Next, Node};
use crate::walk::{Arrival, Event, Packet, Record, Walk};

/// The request reaches the service through the gateway endpoint.
pub(super) fn gateway(
    w: &mut Walk<'_, impl Record>,
    pkt: &mut Packet,
    endpoint: EndpointId,
) -> Next {
    let span = w.g.topo.endpoints[endpoint.index()].span;
    w.note(Event::GatewayEndpoint { endpoint }, Some(span));
    Next::Arrive(Arrival::Gateway {
        endpoint,
        client_ip: pkt.src,
    })
}

/// The service replies through the gateway endpoint into its VPC.
pub(super) fn gateway_return(
    w: &mut Walk<'_, impl Record>,
    _pkt: &mut Packet,
    endpoint: EndpointId,
) -> Next {
    w.note(Event::GatewayEndpoint { endpoint }, None);
    Next::Go(Node::VpcRouter {
        vpc: w.g.topo.endpoints[endpoint.index()].vpc,
        from: None,
    })
}

//! The walker: one loop that moves a packet from node to node until it arrives or stops, used for
//! the request and, on the reversed packet, for the reply.
//!
//! What the walk records is data: a [`Step`] per decision, an [`Event`] naming the route, rule,
//! link or component by id, and the span that decided it. Nothing here writes English; the engine
//! renders steps for people, and a caller that wants only the decision ignores them. Steps go to a
//! [`Record`]: a `Vec<Step>` keeps them, and a caller with records of its own (the engine's hops)
//! implements it to take each step as it is made, with no vector of steps in between.

use std::net::IpAddr;

use vpcsim_topology::Element;
use vpcsim_topology::model::{
    DxGatewayId, EndpointId, EniId, EniOwner, LinkId, NatGatewayId, PeeringId, Protocol,
    RouteTableId, SiteId, Span, SubnetId, VpcId,
};

#[cfg(doc)]
use crate::filters::Verdict;
use crate::filters::{self, Direction, Rule};
use crate::nodes::{Next, Node};
use crate::{Graph, LinkState};

/// The client port replies go to. Linux picks ephemeral ports from 32768–60999 and Windows from
/// 49152–65535; vpcsim uses 49152, inside both (docs/decisions.md).
pub const EPHEMERAL: u16 = 49152;

/// The most nodes one walk may visit: far more than any real path, so that a routing loop stops
/// with an answer instead of running forever.
const MAX_NODES: usize = 64;

/// A packet: the 5-tuple over IPv4 or IPv6.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Protocol.
    pub protocol: Protocol,
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
}

impl Packet {
    /// A request from `src` to `dst` on `port`, from the client's ephemeral port.
    pub fn request(src: IpAddr, dst: IpAddr, protocol: Protocol, port: u16) -> Self {
        Packet {
            src,
            dst,
            protocol,
            src_port: EPHEMERAL,
            dst_port: port,
        }
    }

    /// The reply's 5-tuple.
    pub fn reversed(&self) -> Self {
        Packet {
            src: self.dst,
            dst: self.src,
            protocol: self.protocol,
            src_port: self.dst_port,
            dst_port: self.src_port,
        }
    }
}

/// Where the request starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A network interface in a VPC (an instance, a Resolver endpoint).
    Instance {
        /// The interface.
        eni: EniId,
        /// Its subnet.
        subnet: SubnetId,
        /// Its VPC.
        vpc: VpcId,
    },
    /// A host (or resolver) on premises.
    Host {
        /// The site.
        site: SiteId,
    },
}

/// Where a walk arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// A network interface (endpoint ENI, X-ENI, instance, Resolver endpoint).
    Eni {
        /// The interface.
        eni: EniId,
        /// The sender's address as the interface sees it.
        client_ip: IpAddr,
    },
    /// A gateway endpoint's prefix-list route.
    Gateway {
        /// The endpoint.
        endpoint: EndpointId,
        /// The sender's private address.
        client_ip: IpAddr,
    },
    /// The internet, leaving from a public address.
    Internet {
        /// The public source address.
        public_ip: IpAddr,
        /// The NAT gateway's private address, when one translated.
        via_nat: Option<IpAddr>,
    },
    /// A host on premises.
    Site {
        /// The site.
        site: SiteId,
    },
}

/// Where a request ended, in the spirit of Batfish's dispositions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// The request reached the service (its policies then decide).
    Delivered,
    /// The name did not resolve.
    DnsFailure,
    /// A route table, a site router or a peering had no route on the way there.
    NoRoute,
    /// The reply has no way back.
    NoReturnRoute,
    /// A security group refused it.
    DeniedBySecurityGroup,
    /// A network ACL refused it.
    DeniedByNetworkAcl,
    /// Every link that could carry it is down.
    LinkDown,
    /// It reached something that does not serve this request (an unsupported name or path).
    Unsupported,
    /// It left for the internet, to an address vpcsim does not model.
    ExitsToInternet,
}

impl Disposition {
    /// Kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Delivered => "delivered",
            Disposition::DnsFailure => "dns-failure",
            Disposition::NoRoute => "no-route",
            Disposition::NoReturnRoute => "no-return-route",
            Disposition::DeniedBySecurityGroup => "denied-by-security-group",
            Disposition::DeniedByNetworkAcl => "denied-by-network-acl",
            Disposition::LinkDown => "link-down",
            Disposition::Unsupported => "unsupported",
            Disposition::ExitsToInternet => "exits-to-internet",
        }
    }
}

/// Where an Outpost's local gateway carried a customer-owned address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalGatewayFrom {
    /// From inside the Outpost's VPC.
    Vpc(VpcId),
    /// From a site's network.
    Site(SiteId),
    /// The X-ENI's reply, back to the site.
    Reply,
}

/// What happened at one step, by reference into the topology.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A security group decided (the [`Verdict`]: whether it let the packet through and the rule
    /// that decided; where the rule is written is the step's span).
    SecurityGroup {
        /// The interface.
        eni: EniId,
        /// Which side.
        dir: Direction,
        /// Let through.
        allowed: bool,
        /// The rule that decided.
        rule: Rule,
        /// The far side's address.
        remote: IpAddr,
    },
    /// A security group let a packet of a connection it already allowed through (stateful).
    Tracked {
        /// The interface.
        eni: EniId,
        /// Which side.
        dir: Direction,
        /// The far side's address.
        remote: IpAddr,
    },
    /// A network ACL decided (shown when the subnet has one of its own, or when it refuses), as
    /// [`Event::SecurityGroup`] says a security group's [`Verdict`].
    NetworkAcl {
        /// The subnet.
        subnet: SubnetId,
        /// Which side.
        dir: Direction,
        /// Let through.
        allowed: bool,
        /// The rule that decided.
        rule: Rule,
    },
    /// A route table chose a route.
    Route {
        /// The table.
        table: RouteTableId,
        /// Its VPC.
        vpc: VpcId,
        /// The destination looked up.
        dst: IpAddr,
        /// The route chosen ([`crate::Routes::route`] gives it) and why.
        choice: crate::Choice,
    },
    /// A route table has no route for the destination.
    NoRoute {
        /// The table.
        table: RouteTableId,
        /// The subnet it was asked for.
        subnet: SubnetId,
        /// The destination.
        dst: IpAddr,
        /// A gateway endpoint of the VPC whose prefix list covers the destination but that is not
        /// associated with this table.
        unassociated: Option<EndpointId>,
    },
    /// No interface has the address in the VPC.
    NoInterface {
        /// The VPC.
        vpc: VpcId,
        /// The address.
        dst: IpAddr,
    },
    /// A customer-owned address of an Outpost, through its local gateway.
    LocalGateway {
        /// The address.
        dst: IpAddr,
        /// Where from.
        from: LocalGatewayFrom,
    },
    /// A gateway endpoint carries the request to its service (or the service's reply back).
    GatewayEndpoint {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// The internet gateway takes the packet out, translating a private IPv4 address.
    InternetGateway {
        /// The VPC.
        vpc: VpcId,
        /// The source before translation.
        src: IpAddr,
        /// The public source.
        public: IpAddr,
        /// A NAT gateway translated already.
        after_nat: bool,
    },
    /// The internet gateway carries only public sources.
    NoPublicIp {
        /// The VPC.
        vpc: VpcId,
        /// The private source.
        src: IpAddr,
    },
    /// The internet gateway brings a reply in.
    InternetGatewayReturn {
        /// The VPC.
        vpc: VpcId,
    },
    /// A NAT gateway translates the source.
    Nat {
        /// The gateway.
        nat: NatGatewayId,
        /// The source it translates.
        src: IpAddr,
    },
    /// A NAT gateway without an Elastic IP.
    NatNoPublicIp {
        /// The gateway.
        nat: NatGatewayId,
    },
    /// The NAT gateway's subnet has no route to the internet gateway for the destination.
    NatNoRoute {
        /// The gateway.
        nat: NatGatewayId,
        /// The destination.
        dst: IpAddr,
    },
    /// A NAT gateway translates a reply back.
    NatReturn {
        /// The gateway.
        nat: NatGatewayId,
    },
    /// A reply comes back over the internet to a site's egress.
    InternetReturn {
        /// The public address it returns to.
        public: IpAddr,
    },
    /// The VPN gateway sends the packet over a link to a site.
    VpnGatewayLink {
        /// The link.
        link: LinkId,
    },
    /// The VPN gateway has no link for the destination.
    VpnGatewayNoLink {
        /// The VPC.
        vpc: VpcId,
        /// The destination.
        dst: IpAddr,
        /// The links that advertise it (all down); empty when none does.
        links: Vec<LinkId>,
    },
    /// A VPN link's IPsec tunnel carries the packet.
    Tunnel {
        /// The link.
        link: LinkId,
        /// The tunnel (0-based).
        tunnel: usize,
    },
    /// A site delivers to one of its own addresses.
    SiteLocal {
        /// The site.
        site: SiteId,
        /// The address.
        dst: IpAddr,
    },
    /// A site sends a public destination out through its internet egress.
    SiteInternet {
        /// The site.
        site: SiteId,
        /// The destination.
        dst: IpAddr,
        /// The egress address.
        public: IpAddr,
    },
    /// A site router has no route.
    SiteNoRoute {
        /// The site.
        site: SiteId,
        /// The destination.
        dst: IpAddr,
    },
    /// A link of a site route is down; the router tries the next.
    LinkDown {
        /// The link.
        link: LinkId,
    },
    /// A site route chose a link that is up.
    SiteRoute {
        /// The site.
        site: SiteId,
        /// The route's index in the site's routes.
        route: usize,
        /// The link chosen.
        link: LinkId,
        /// The links before it that are down.
        failed: Vec<LinkId>,
    },
    /// Every link of a site route is down.
    AllLinksDown {
        /// The site.
        site: SiteId,
        /// The route's index.
        route: usize,
        /// Its links.
        links: Vec<LinkId>,
    },
    /// A link carries the packet into a VPC.
    LinkInto {
        /// The link.
        link: LinkId,
        /// The VPC.
        vpc: VpcId,
    },
    /// A link lands where no VPC contains the destination.
    LinkNoVpc {
        /// The link.
        link: LinkId,
        /// The destination.
        dst: IpAddr,
        /// A gateway endpoint whose prefix list covers it (gateway endpoints do not extend out
        /// of a VPC).
        gateway_endpoint: Option<EndpointId>,
    },
    /// A Direct Connect gateway forwards to a VPC's VPN gateway.
    DxGateway {
        /// The gateway.
        gateway: DxGatewayId,
        /// The VPC.
        vpc: VpcId,
    },
    /// The destination is not in the site the link reaches.
    NotInSite {
        /// The site.
        site: SiteId,
        /// The destination.
        dst: IpAddr,
    },
    /// A peering connection crosses to the other VPC.
    Peering {
        /// The peering.
        peering: PeeringId,
        /// The VPC it crosses to.
        to: VpcId,
    },
    /// The peered VPC does not forward for an address outside its CIDRs.
    PeeringNotTransitive {
        /// The peering.
        peering: PeeringId,
        /// The VPC it crossed to.
        to: VpcId,
        /// The destination.
        dst: IpAddr,
        /// A gateway endpoint of that VPC whose prefix list covers the destination.
        gateway_endpoint: Option<EndpointId>,
    },
    /// A route hands the packet to a network interface (an appliance), which vpcsim does not
    /// model.
    Appliance {
        /// The interface.
        eni: EniId,
    },
    /// The reply arrived somewhere other than the client.
    ReplyElsewhere {
        /// The client's address.
        client: IpAddr,
        /// Where it went.
        arrival: Arrival,
    },
    /// The packet went round more nodes than any path has.
    Loop,
}

/// One step of a walk.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// What happened.
    pub event: Event,
    /// Where the deciding route, rule or component is written.
    pub span: Option<Span>,
    /// A step of the reply.
    pub reply: bool,
}

impl Step {
    /// The stable code (documented in docs/trace.md).
    pub fn code(&self) -> &'static str {
        match &self.event {
            Event::SecurityGroup { allowed: true, .. } => "sg.allowed",
            Event::SecurityGroup { .. } => "sg.no-matching-rule",
            Event::Tracked { .. } => "sg.tracked",
            Event::NetworkAcl { allowed: true, .. } => "acl.allowed",
            Event::NetworkAcl { .. } => "acl.denied",
            Event::Route { .. } => "route.selected",
            Event::NoRoute { .. } if self.reply => "route.no-return-route",
            Event::NoRoute { .. } => "route.no-route",
            Event::NoInterface { .. } => "route.no-interface",
            Event::LocalGateway { .. } => "route.local-gateway",
            Event::GatewayEndpoint { .. } if self.reply => "route.return",
            Event::GatewayEndpoint { .. } => "endpoint.gateway",
            Event::InternetGateway { .. } => "route.internet",
            Event::NoPublicIp { .. } | Event::NatNoPublicIp { .. } => "route.no-public-ip",
            Event::InternetGatewayReturn { .. }
            | Event::NatReturn { .. }
            | Event::InternetReturn { .. } => "route.return",
            Event::Nat { .. } => "route.nat",
            Event::NatNoRoute { .. } => "route.no-route",
            Event::VpnGatewayLink { .. } | Event::LinkInto { .. } => "link.selected",
            Event::VpnGatewayNoLink { links, .. } if links.is_empty() => "route.no-route",
            Event::VpnGatewayNoLink { .. }
            | Event::LinkDown { .. }
            | Event::AllLinksDown { .. } => "link.down",
            Event::Tunnel { .. } => "link.tunnel",
            Event::SiteLocal { .. } => "site.local",
            Event::SiteInternet { .. } => "site.internet",
            Event::SiteNoRoute { .. } | Event::NotInSite { .. } => "site.no-route",
            Event::SiteRoute { .. } => "site.route",
            Event::LinkNoVpc {
                gateway_endpoint: Some(_),
                ..
            } => "endpoint.gateway-not-extendable",
            Event::LinkNoVpc { .. } => "route.no-route",
            Event::DxGateway { .. } => "link.dx-gateway",
            Event::Peering { .. } => "route.peering",
            Event::PeeringNotTransitive {
                gateway_endpoint: Some(_),
                ..
            } => "endpoint.gateway-not-extendable",
            Event::PeeringNotTransitive { .. } => "peering.not-transitive",
            Event::Appliance { .. } => "route.appliance",
            Event::ReplyElsewhere { .. } => "route.no-return-route",
            Event::Loop => "route.loop",
        }
    }

    /// The component the step happened at, as a diagram draws it (`None`: nowhere drawn, such as
    /// a loop or a reply that arrived elsewhere).
    pub fn element(&self) -> Option<Element> {
        Some(match &self.event {
            Event::SecurityGroup { eni, .. }
            | Event::Tracked { eni, .. }
            | Event::Appliance { eni } => Element::Interface(*eni),
            Event::NetworkAcl { subnet, .. } => Element::Subnet(*subnet),
            Event::Route { table, .. } | Event::NoRoute { table, .. } => {
                Element::RouteTable(*table)
            }
            Event::NoInterface { vpc, .. } => Element::Vpc(*vpc),
            Event::LocalGateway { from, .. } => match from {
                LocalGatewayFrom::Vpc(v) => Element::Vpc(*v),
                LocalGatewayFrom::Site(s) => Element::Site(*s),
                LocalGatewayFrom::Reply => return None,
            },
            Event::GatewayEndpoint { endpoint } => Element::Endpoint(*endpoint),
            Event::InternetGateway { vpc, .. }
            | Event::NoPublicIp { vpc, .. }
            | Event::InternetGatewayReturn { vpc } => Element::InternetGateway(*vpc),
            Event::Nat { nat, .. }
            | Event::NatNoPublicIp { nat }
            | Event::NatNoRoute { nat, .. }
            | Event::NatReturn { nat } => Element::NatGateway(*nat),
            Event::InternetReturn { .. } => Element::Internet,
            Event::VpnGatewayNoLink { vpc, .. } => Element::VpnGateway(*vpc),
            Event::VpnGatewayLink { link }
            | Event::Tunnel { link, .. }
            | Event::LinkDown { link }
            | Event::LinkInto { link, .. }
            | Event::LinkNoVpc { link, .. } => Element::Link(*link),
            Event::SiteLocal { site, .. }
            | Event::SiteInternet { site, .. }
            | Event::SiteNoRoute { site, .. }
            | Event::SiteRoute { site, .. }
            | Event::AllLinksDown { site, .. }
            | Event::NotInSite { site, .. } => Element::Site(*site),
            Event::DxGateway { gateway, .. } => Element::DxGateway(*gateway),
            Event::Peering { peering, .. } | Event::PeeringNotTransitive { peering, .. } => {
                Element::Peering(*peering)
            }
            Event::ReplyElsewhere { .. } | Event::Loop => return None,
        })
    }
}

/// Why a walk stopped: where it ended and the code. The deciding step is the last one the walk
/// recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stop {
    /// Where it ended.
    pub disposition: Disposition,
    /// The deciding step's code (for a reply that has no way back, `route.no-return-route`).
    pub code: &'static str,
}

/// Where a walk's steps go, in walk order.
pub trait Record {
    /// Takes the next step.
    fn record(&mut self, step: Step);
}

/// Keeps the steps.
impl Record for Vec<Step> {
    fn record(&mut self, step: Step) {
        self.push(step);
    }
}

/// A walk over a [`Graph`] with one [`LinkState`]: the request with [`Walk::there`], then the reply
/// with [`Walk::back`] on the same walker, which keeps the connection-tracking state of the
/// security groups the request passed (so that they let the reply through, as stateful filters
/// do) and none for network ACLs (which judge the reply on its own, as stateless filters do).
/// The steps go to `R` ([`Record`]): by default a vector of them ([`Walk::new`]).
#[derive(Debug)]
pub struct Walk<'a, R = Vec<Step>> {
    pub(crate) g: &'a Graph<'a>,
    pub(crate) links: &'a LinkState,
    /// The steps so far (or what the recorder made of them).
    pub steps: R,
    /// Connections a security group allowed: (interface, packet as it passed). A path passes a
    /// handful of interfaces, so they are kept inline.
    tracked: [Option<(EniId, Packet)>; 4],
    /// Beyond the inline four.
    tracked_more: Vec<(EniId, Packet)>,
    /// The source before the walk translated it (internet gateway, NAT gateway, site egress).
    pub(crate) translated_from: Option<IpAddr>,
    /// The NAT gateway that translated.
    pub(crate) nat: Option<NatGatewayId>,
    pub(crate) reply: bool,
    /// The interface the packet came from, for security group references.
    pub(crate) src_eni: Option<EniId>,
}

impl<'a> Walk<'a> {
    /// A walker over `g` with `links` that keeps its steps.
    pub fn new(g: &'a Graph<'a>, links: &'a LinkState) -> Self {
        // Room for the steps of a typical path there and back.
        Walk::recording(g, links, Vec::with_capacity(16))
    }

    /// Takes the steps recorded so far.
    pub fn take_steps(&mut self) -> Vec<Step> {
        std::mem::take(&mut self.steps)
    }
}

impl<'a, R: Record> Walk<'a, R> {
    /// A walker over `g` with `links` that hands its steps to `steps`.
    pub fn recording(g: &'a Graph<'a>, links: &'a LinkState, steps: R) -> Self {
        Walk {
            g,
            links,
            steps,
            tracked: [None; 4],
            tracked_more: Vec::new(),
            translated_from: None,
            nat: None,
            reply: false,
            src_eni: None,
        }
    }

    /// Walks the request `pkt` from `origin` until it arrives or stops.
    pub fn there(&mut self, origin: Origin, pkt: Packet) -> Result<Arrival, Stop> {
        self.reply = false;
        let start = match origin {
            Origin::Instance { eni, .. } => {
                self.src_eni = Some(eni);
                Node::InterfaceOut(eni)
            }
            Origin::Host { site } => {
                self.src_eni = None;
                Node::SiteOut(site)
            }
        };
        self.run(start, pkt)
    }

    /// Walks the reply to the request `pkt` (as sent by `origin`) from where it `arrived`; it must
    /// come back to `origin`.
    pub fn back(&mut self, origin: Origin, arrived: Arrival, pkt: Packet) -> Result<(), Stop> {
        self.reply = true;
        // The request's NAT translated its source; the reply is translated back by the address
        // the NAT recorded (`translated_from`), and nothing on the way back is "after a NAT".
        self.nat = None;
        let mut reply = pkt.reversed();
        let start = match arrived {
            Arrival::Eni { eni, .. } => {
                self.src_eni = Some(eni);
                Node::InterfaceOut(eni)
            }
            Arrival::Gateway { endpoint, .. } => {
                self.src_eni = None;
                Node::GatewayEndpointReturn(endpoint)
            }
            Arrival::Internet { public_ip, .. } => {
                self.src_eni = None;
                reply.dst = public_ip;
                Node::InternetReturn
            }
            Arrival::Site { site } => {
                self.src_eni = None;
                Node::SiteOut(site)
            }
        };
        let client = pkt.src;
        let back_home = |a: &Arrival| match (origin, a) {
            (Origin::Instance { eni, .. }, Arrival::Eni { eni: e, .. }) => eni == *e,
            (Origin::Host { site }, Arrival::Site { site: s }) => site == *s,
            _ => false,
        };
        match self.run(start, reply) {
            Ok(a) if back_home(&a) => Ok(()),
            Ok(a) => {
                self.note(Event::ReplyElsewhere { client, arrival: a }, None);
                Err(Stop {
                    disposition: Disposition::NoReturnRoute,
                    code: "route.no-return-route",
                })
            }
            Err(mut s) => {
                if s.disposition == Disposition::NoRoute {
                    s.disposition = Disposition::NoReturnRoute;
                    s.code = "route.no-return-route";
                }
                Err(s)
            }
        }
    }

    fn run(&mut self, mut node: Node, mut pkt: Packet) -> Result<Arrival, Stop> {
        for _ in 0..MAX_NODES {
            match node.step(self, &mut pkt) {
                Next::Go(n) => node = n,
                Next::Arrive(a) => return Ok(a),
                Next::Stop(s) => return Err(s),
            }
        }
        match self.stop(Disposition::NoRoute, Event::Loop, None) {
            Next::Stop(s) => Err(s),
            _ => unreachable!("stop returns Next::Stop"),
        }
    }

    /// Records a step.
    pub(crate) fn note(&mut self, event: Event, span: Option<Span>) {
        self.steps.record(Step {
            event,
            span,
            reply: self.reply,
        });
    }

    /// Records the deciding step and stops.
    pub(crate) fn stop(
        &mut self,
        disposition: Disposition,
        event: Event,
        span: Option<Span>,
    ) -> Next {
        let step = Step {
            event,
            span,
            reply: self.reply,
        };
        let code = step.code();
        self.steps.record(step);
        Next::Stop(Stop { disposition, code })
    }

    /// The security groups of `eni` on `pkt` in direction `dir`: a packet of a connection they
    /// already allowed passes (stateful); otherwise the rules decide, and what they allow is
    /// tracked.
    pub(crate) fn security_groups(
        &mut self,
        eni: EniId,
        dir: Direction,
        pkt: &Packet,
    ) -> Result<(), Next> {
        let remote = remote(dir, pkt);
        let back = pkt.reversed();
        let is_back = |(e, p): &(EniId, Packet)| *e == eni && *p == back;
        if self.tracked.iter().flatten().any(is_back) || self.tracked_more.iter().any(is_back) {
            self.note(Event::Tracked { eni, dir, remote }, None);
            return Ok(());
        }
        let topo = self.g.topo;
        let remote_eni = match dir {
            Direction::Inbound => self.src_eni,
            // The far interface matters only to a rule that names a security group: without
            // one (most egress rules name CIDRs), it is not looked up.
            Direction::Outbound if !names_group(topo, eni) => None,
            Direction::Outbound => {
                let vpc = topo.eni_vpc(eni);
                self.g.interface(vpc, pkt.dst).or_else(|| {
                    // A rule may name a peered VPC's group (`sg/VPC/NAME`): the destination's
                    // interface is then looked up in the VPCs peered with this one.
                    names_peer_group(topo, eni, vpc).then(|| {
                        topo.peerings.iter().find_map(|p| {
                            let other = match p.vpcs {
                                [a, b] if a == vpc => b,
                                [a, b] if b == vpc => a,
                                _ => return None,
                            };
                            self.g.interface(other, pkt.dst)
                        })
                    })?
                })
            }
        };
        let verdict = filters::security_groups(
            topo,
            eni,
            dir,
            &filters::Packet {
                remote,
                remote_eni,
                protocol: pkt.protocol,
                port: pkt.dst_port,
            },
        );
        let span = verdict.span;
        let event = Event::SecurityGroup {
            eni,
            dir,
            allowed: verdict.allowed,
            rule: verdict.rule,
            remote,
        };
        if verdict.allowed {
            match self.tracked.iter_mut().find(|t| t.is_none()) {
                Some(slot) => *slot = Some((eni, *pkt)),
                None => self.tracked_more.push((eni, *pkt)),
            }
            self.note(event, span);
            Ok(())
        } else {
            Err(self.stop(Disposition::DeniedBySecurityGroup, event, span))
        }
    }

    /// The network ACL of `subnet` on `pkt` in direction `dir` (stateless: replies are judged on
    /// their own). A step is recorded when the subnet has an ACL of its own or when it refuses.
    /// Inlined: a subnet without an ACL of its own uses the default ACL, which allows everything
    /// (most subnets, on most packets), so there is nothing to evaluate or record.
    #[inline]
    pub(crate) fn network_acl(
        &mut self,
        subnet: SubnetId,
        dir: Direction,
        pkt: &Packet,
    ) -> Result<(), Next> {
        if self.g.topo.subnets[subnet.index()].network_acl.is_none() {
            return Ok(());
        }
        self.own_network_acl(subnet, dir, pkt)
    }

    /// [`Walk::network_acl`] for a subnet with an ACL of its own.
    fn own_network_acl(
        &mut self,
        subnet: SubnetId,
        dir: Direction,
        pkt: &Packet,
    ) -> Result<(), Next> {
        let verdict = filters::network_acl(
            self.g.topo,
            subnet,
            dir,
            &filters::Packet {
                remote: remote(dir, pkt),
                remote_eni: None,
                protocol: pkt.protocol,
                port: pkt.dst_port,
            },
        );
        let span = verdict.span;
        let event = Event::NetworkAcl {
            subnet,
            dir,
            allowed: verdict.allowed,
            rule: verdict.rule,
        };
        if !verdict.allowed {
            return Err(self.stop(Disposition::DeniedByNetworkAcl, event, span));
        }
        self.note(event, span);
        Ok(())
    }

    /// A gateway endpoint of `vpc` whose service's prefix list covers `dst`.
    pub(crate) fn gateway_endpoint_for(&self, vpc: VpcId, dst: IpAddr) -> Option<EndpointId> {
        let topo = self.g.topo;
        let IpAddr::V4(dst) = dst else { return None };
        let v = &topo.vpcs[vpc.index()];
        v.endpoints.iter().copied().find(|e| {
            let e = &topo.endpoints[e.index()];
            e.gateway().is_some()
                && topo.prefix_lists.iter().any(|p| {
                    p.region == v.region
                        && p.service == e.service
                        && p.cidrs.iter().any(|c| c.contains(&dst))
                })
        })
    }

    /// True when `eni` is an Outposts X-ENI with a customer-owned address.
    pub(crate) fn is_coip(&self, eni: EniId) -> bool {
        let topo = self.g.topo;
        matches!(topo.enis[eni.index()].owner, EniOwner::OutpostXeni(o, _)
            if topo.outposts[o.index()].coip_pool.is_some())
    }
}

/// The far side of `pkt` as a filter in direction `dir` sees it: the source of what comes in, the
/// destination of what goes out.
fn remote(dir: Direction, pkt: &Packet) -> IpAddr {
    match dir {
        Direction::Inbound => pkt.src,
        Direction::Outbound => pkt.dst,
    }
}

/// Whether an egress rule of the interface's groups names a security group that `which` takes.
fn egress_names(
    topo: &vpcsim_topology::Topology,
    eni: EniId,
    which: impl Fn(vpcsim_topology::model::SecurityGroupId) -> bool,
) -> bool {
    topo.enis[eni.index()].security_groups.iter().any(|g| {
        topo.security_groups[g.index()].egress.iter().any(|r| {
            r.peers
                .iter()
                .any(|p| matches!(p, vpcsim_topology::model::Peer::SecurityGroup(x) if which(*x)))
        })
    })
}

/// Whether an egress rule of the interface's groups names a security group.
fn names_group(topo: &vpcsim_topology::Topology, eni: EniId) -> bool {
    egress_names(topo, eni, |_| true)
}

/// Whether an egress rule of the interface's groups names a group of another VPC.
fn names_peer_group(topo: &vpcsim_topology::Topology, eni: EniId, vpc: VpcId) -> bool {
    egress_names(topo, eni, |x| topo.security_groups[x.index()].vpc != vpc)
}

//! A trace in words ([`trace`], which [`crate::Engine::render`] calls where a trace is shown):
//! each hop's place (`at`) and what happened (`detail`), naming the route, rule or link; the DNS
//! steps; the request context and the policy explanation; the reason. The walker, the service
//! step and the resolver record data only; this is the one place their sentences are written.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use vpcsim_routing::filters::Direction;
use vpcsim_routing::{Arrival, Event, LocalGatewayFrom, RouteKind, Routes, Step, describe_link};
use vpcsim_topology::model::{EniId, EniOwner, LinkId, RouteTableId, SubnetId, Target, VpcId};
use vpcsim_topology::{Topology, text};

use crate::service::{Finding, ServiceEvent};
use crate::{Component, Engine, Hop, HopEvent, Trace, Way};

/// Writes the words of a trace: hops, DNS steps, the request context and the policy explanation,
/// the reason.
pub(crate) fn trace(eng: &Engine, t: &mut Trace) {
    let topo = eng.topo;
    for h in t.forward.iter_mut().chain(t.back.iter_mut()) {
        let (at, detail) = match &h.event {
            HopEvent::Walk(step) => words(topo, &eng.graph.routes, step),
            HopEvent::Service(event) => service_words(topo, event),
        };
        let component = h.component.map(|c| eng.names.of(topo, c));
        h.words = Some(Box::new(crate::Words {
            at,
            detail,
            component,
        }));
    }
    if let Some(r) = &mut t.dns
        && !r.events.is_empty()
    {
        r.steps = eng.dns.render_steps(r);
    }
    explain_service(eng, t);
    t.reason = reason_of(topo, t);
}

/// The request context and the policy explanation, from what the service step kept as data.
fn explain_service(eng: &Engine, t: &mut Trace) {
    if let Some(f) = &t.facts {
        let context = crate::keys::RequestKeys::new(eng, f, t).context();
        t.kept = Some(Box::new(context));
    }
    if let Some(p) = &mut t.policy {
        p.explanation = p.explain();
    }
}

/// The reason in one sentence: the deciding step's, the service's finding, or why the trace did
/// not start.
fn reason_of(topo: &Topology, t: &Trace) -> String {
    if let Some(way) = t.stopped {
        let hops = match way {
            Way::There => &t.forward,
            Way::Back => &t.back,
        };
        return hops
            .last()
            .map(|h| h.detail().to_string())
            .unwrap_or_default();
    }
    if let Some(f) = &t.finding {
        return finding(topo, t, f);
    }
    let from = &t.from;
    match t.code {
        "source.not-a-host" => {
            format!("'{from}' is a DNS view; requests start at an instance or an on-premises host")
        }
        "source.no-ipv6" => {
            let dst = t
                .destination
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
            format!(
                "{dst} is an IPv6 address and {from} has none (put it in a dual-stack subnet, one with `ipv6_cidr`, or give the host `ipv6`)"
            )
        }
        "dns.failure" => {
            let Some(r) = &t.dns else {
                return String::new();
            };
            let last = r.steps.last().map_or("", |s| s.detail.as_str());
            format!(
                "{} does not resolve ({}): {last}",
                t.request.host(),
                r.status()
            )
        }
        _ => String::new(),
    }
}

/// The reason a walk stopped: the deciding step's sentence.
pub(crate) fn reason(topo: &Topology, routes: &Routes, step: &Step) -> String {
    words(topo, routes, step).1
}

/// The names rendered hops carry for their component (`via:`), shared: each made once, the first
/// time a rendered trace passes its component (a cell per component, so an engine of a large
/// topology makes only the names its traces show), then cloned by reference count.
#[derive(Clone, Debug)]
pub(crate) struct Names {
    endpoints: Box<[OnceLock<Arc<str>>]>,
    outposts: Box<[OnceLock<Arc<str>>]>,
    nat_gateways: Box<[OnceLock<Arc<str>>]>,
    links: Box<[OnceLock<Arc<str>>]>,
    dx_gateways: Box<[OnceLock<Arc<str>>]>,
    peerings: Box<[OnceLock<Arc<str>>]>,
    access_points: Box<[OnceLock<Arc<str>>]>,
    igw: Arc<str>,
    internet: Arc<str>,
}

impl Names {
    pub(crate) fn new(topo: &Topology) -> Self {
        let cells = |n: usize| (0..n).map(|_| OnceLock::new()).collect();
        Names {
            endpoints: cells(topo.endpoints.len()),
            outposts: cells(topo.outposts.len()),
            nat_gateways: cells(topo.nat_gateways.len()),
            links: cells(topo.links.len()),
            dx_gateways: cells(topo.dx_gateways.len()),
            peerings: cells(topo.peerings.len()),
            access_points: cells(topo.access_points.len()),
            igw: "igw".into(),
            internet: "internet".into(),
        }
    }

    /// The shared name of `c` ([`Component::name`]).
    pub(crate) fn of(&self, topo: &Topology, c: Component) -> Arc<str> {
        let cell = |cells: &[OnceLock<Arc<str>>], i: usize| {
            Arc::clone(cells[i].get_or_init(|| c.name(topo).into()))
        };
        match c {
            Component::Endpoint(e) => cell(&self.endpoints, e.index()),
            Component::Outpost(o) => cell(&self.outposts, o.index()),
            Component::AccessPoint(a) => cell(&self.access_points, a.index()),
            Component::NatGateway(n) => cell(&self.nat_gateways, n.index()),
            Component::Link(l) => cell(&self.links, l.index()),
            Component::DxGateway(g) => cell(&self.dx_gateways, g.index()),
            Component::Peering(p) => cell(&self.peerings, p.index()),
            Component::InternetGateway => Arc::clone(&self.igw),
            Component::Internet => Arc::clone(&self.internet),
            Component::Tunnel { .. } | Component::Service(_) => c.name(topo).into(),
        }
    }
}

/// The named component a step passes, for `via:` (forward steps; replies name none). Inlined:
/// every hop asks, and most name none.
#[inline]
pub(crate) fn component(topo: &Topology, step: &Step) -> Option<Component> {
    if step.reply {
        return None;
    }
    match &step.event {
        // An endpoint or Outpost is passed only when its interface lets the request in.
        Event::SecurityGroup {
            eni,
            dir: Direction::Inbound,
            allowed: true,
            ..
        } => match topo.enis[eni.index()].owner {
            EniOwner::Endpoint(ep) => Some(Component::Endpoint(ep)),
            EniOwner::OutpostXeni(o, _) => Some(Component::Outpost(o)),
            _ => None,
        },
        Event::GatewayEndpoint { endpoint } => Some(Component::Endpoint(*endpoint)),
        Event::InternetGateway { .. } | Event::NoPublicIp { .. } => {
            Some(Component::InternetGateway)
        }
        Event::Nat { nat, .. } => Some(Component::NatGateway(*nat)),
        Event::VpnGatewayLink { link } | Event::LinkInto { link, .. } => {
            Some(Component::Link(*link))
        }
        Event::Tunnel { link, tunnel } => Some(Component::Tunnel {
            link: *link,
            tunnel: *tunnel,
        }),
        Event::DxGateway { gateway, .. } => Some(Component::DxGateway(*gateway)),
        Event::Peering { peering, .. } => Some(Component::Peering(*peering)),
        Event::SiteInternet { .. } => Some(Component::Internet),
        _ => None,
    }
}

fn vpc_name(topo: &Topology, vpc: VpcId) -> &str {
    &topo.vpcs[vpc.index()].name
}

fn subnet_label(topo: &Topology, s: SubnetId) -> String {
    let sub = &topo.subnets[s.index()];
    ["subnet ", &sub.name, " (VPC ", vpc_name(topo, sub.vpc), ")"].concat()
}

fn table_name(topo: &Topology, t: RouteTableId) -> &str {
    &topo.route_tables[t.index()].name
}

fn link_names(topo: &Topology, links: &[LinkId]) -> String {
    let mut out = String::new();
    push_link_names(&mut out, topo, links);
    out
}

fn push_link_names(out: &mut String, topo: &Topology, links: &[LinkId]) {
    for (i, l) in links.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&topo.links[l.index()].name);
    }
}

/// The interface by its address of the family the packet uses.
fn interface(topo: &Topology, eni: EniId, family: IpAddr) -> String {
    let e = &topo.enis[eni.index()];
    let ip = match (family, e.ipv6) {
        (IpAddr::V6(_), Some(v6)) => IpAddr::V6(v6),
        _ => IpAddr::V4(e.ip),
    };
    let mut out = String::with_capacity(40);
    out.push_str("network interface ");
    text::push_ip(&mut out, ip);
    out
}

fn igw_id(topo: &Topology, vpc: VpcId) -> &str {
    topo.vpcs[vpc.index()]
        .internet_gateway
        .as_deref()
        .unwrap_or_default()
}

/// Appends a route target in words: `VPN gateway vgw-…, propagated from dx-primary`.
fn push_target(out: &mut String, topo: &Topology, vpc: VpcId, t: &Target, kind: &RouteKind) {
    let mut push = |parts: &[&str]| parts.iter().for_each(|p| out.push_str(p));
    match t {
        Target::Local => push(&["local"]),
        Target::InternetGateway => push(&["internet gateway ", igw_id(topo, vpc)]),
        Target::NatGateway(n) => push(&["NAT gateway ", &topo.nat_gateways[n.index()].name]),
        Target::VpnGateway => push(&[
            "VPN gateway ",
            topo.vpcs[vpc.index()]
                .vpn_gateway
                .as_ref()
                .map_or("", |g| g.aws_id.as_str()),
        ]),
        Target::Peering(p) => push(&["peering ", &topo.peerings[p.index()].name]),
        Target::GatewayEndpoint(e) => {
            let e = &topo.endpoints[e.index()];
            push(&["gateway endpoint ", &e.name, " (", &e.aws_id, ")"]);
        }
        Target::Eni(e) => {
            out.push_str("network interface ");
            text::push_ipv4(out, topo.enis[e.index()].ip);
        }
    }
    match kind {
        RouteKind::PrefixList(pl) => {
            out.push_str(", through prefix list ");
            out.push_str(&topo.prefix_lists[pl.index()].aws_id);
        }
        RouteKind::Propagated { link, .. } => {
            out.push_str(", propagated from ");
            out.push_str(&topo.links[link.index()].name);
        }
        _ => {}
    }
}

/// `(at, detail)` of a step.
fn words(topo: &Topology, routes: &Routes, step: &Step) -> (String, String) {
    let reply = step.reply;
    let what = if reply { "reply" } else { "request" };
    match &step.event {
        Event::SecurityGroup {
            eni, rule, remote, ..
        } => (interface(topo, *eni, *remote), rule.describe(topo)),
        Event::Tracked { eni, dir, remote } => (
            interface(topo, *eni, *remote),
            match dir {
                Direction::Outbound => "the reply leaves: security groups are stateful, and this connection was let in".into(),
                Direction::Inbound => "the reply is let in: security groups are stateful, and this connection was let out".into(),
            },
        ),
        Event::NetworkAcl { subnet, rule, .. } => (subnet_label(topo, *subnet), rule.describe(topo)),
        Event::Route {
            table,
            vpc,
            dst,
            choice,
        } => {
            let route = routes.route(*table, *choice);
            let mut d = String::with_capacity(96);
            text::push_ip(&mut d, *dst);
            d.push_str(" matches ");
            text::push_net(&mut d, &route.prefix);
            d.push_str(" → ");
            push_target(&mut d, topo, *vpc, &route.target, &route.kind);
            if let Some(r) = choice.rule() {
                d.push_str(" (");
                d.push_str(r.text());
                d.push(')');
            }
            (["route table ", table_name(topo, *table)].concat(), d)
        }
        Event::NoRoute {
            table,
            subnet,
            dst,
            unassociated,
        } => {
            let back = if reply { " back" } else { "" };
            let mut d = format!(
                "route table {} of {} has no route{back} to {dst}",
                table_name(topo, *table),
                subnet_label(topo, *subnet)
            );
            if let Some(ep) = unassociated {
                d.push_str(&format!(
                    ": the gateway endpoint {} is not associated with this route table",
                    topo.endpoints[ep.index()].name
                ));
            }
            (format!("route table {}", table_name(topo, *table)), d)
        }
        Event::NoInterface { vpc, dst } => (
            format!("VPC {}", vpc_name(topo, *vpc)),
            format!(
                "no network interface has the address {dst} in VPC {}",
                vpc_name(topo, *vpc)
            ),
        ),
        Event::LocalGateway { dst, from } => match from {
            LocalGatewayFrom::Vpc(v) => (
                format!("VPC {}", vpc_name(topo, *v)),
                format!(
                    "{dst} is a customer-owned IP of the Outpost, reached through its local gateway"
                ),
            ),
            LocalGatewayFrom::Site(s) => (
                format!("site {}", topo.sites[s.index()].name),
                format!(
                    "{dst} is a customer-owned IP of an Outpost, reached through the Outpost's local gateway on the site network"
                ),
            ),
            LocalGatewayFrom::Reply => (
                "Outpost local gateway".into(),
                format!("the reply returns to {dst} through the local gateway"),
            ),
        },
        Event::GatewayEndpoint { endpoint } => {
            let e = &topo.endpoints[endpoint.index()];
            let detail = if reply {
                [e.service.as_str(), " replies through ", &e.name].concat()
            } else {
                [
                    &e.name,
                    " (",
                    &e.aws_id,
                    ") carries the request to ",
                    &e.service,
                    " over the AWS network",
                ]
                .concat()
            };
            (["gateway endpoint ", &e.name].concat(), detail)
        }
        Event::InternetGateway {
            vpc,
            src,
            public,
            after_nat,
        } => (
            "internet gateway".into(),
            if *after_nat {
                format!("leaves for the internet from {public}")
            } else if src == public {
                format!(
                    "{} carries {src} to the internet as it is (IPv6 addresses are public)",
                    igw_id(topo, *vpc)
                )
            } else {
                format!(
                    "{} translates {src} to its public address {public}",
                    igw_id(topo, *vpc)
                )
            },
        ),
        Event::NoPublicIp { vpc, src } => (
            "internet gateway".into(),
            format!(
                "the internet gateway {} carries only traffic from addresses with a public IPv4 address, and {src} has none (give the instance a `public_ip`, or route through a NAT gateway)",
                igw_id(topo, *vpc)
            ),
        ),
        Event::InternetGatewayReturn { .. } => (
            "internet gateway".into(),
            "the reply comes back through the internet gateway".into(),
        ),
        Event::Nat { nat, src } => (
            format!("NAT gateway {}", topo.nat_gateways[nat.index()].name),
            format!("translates {src} to its public address"),
        ),
        Event::NatNoPublicIp { nat } => {
            let n = &topo.nat_gateways[nat.index()].name;
            (
                format!("NAT gateway {n}"),
                format!("NAT gateway {n} has no `public_ip`"),
            )
        }
        Event::NatNoRoute { nat, dst } => (
            format!("NAT gateway {}", topo.nat_gateways[nat.index()].name),
            format!(
                "the NAT gateway's subnet has no route to {dst} through an internet gateway"
            ),
        ),
        Event::NatReturn { .. } => (
            "NAT gateway".into(),
            "the reply comes back through the NAT gateway".into(),
        ),
        Event::InternetReturn { public } => (
            "internet".into(),
            format!("the reply comes back over the internet to {public}"),
        ),
        Event::VpnGatewayLink { link } => {
            let l = &topo.links[link.index()];
            let site = &topo.sites[l.site.index()].name;
            let detail = if reply {
                ["the reply returns over ", &l.name, " to site ", site].concat()
            } else {
                ["the VPN gateway sends it over ", &l.name, " to site ", site].concat()
            };
            (describe_link(l), detail)
        }
        Event::VpnGatewayNoLink { vpc, dst, links } => (
            format!(
                "VPN gateway {}",
                topo.vpcs[vpc.index()]
                    .vpn_gateway
                    .as_ref()
                    .map_or("", |g| g.aws_id.as_str())
            ),
            if links.is_empty() {
                format!("the VPN gateway learned no route to {dst} from any link")
            } else {
                format!(
                    "every link toward {dst} is down: {}",
                    link_names(topo, links)
                )
            },
        ),
        Event::Tunnel { link, tunnel } => {
            let l = &topo.links[link.index()];
            let failed: Vec<&str> = l.tunnels[..*tunnel].iter().map(String::as_str).collect();
            let note = if failed.is_empty() {
                String::new()
            } else {
                format!(" ({} down)", failed.join(", "))
            };
            (
                format!("{} {}", l.name, l.tunnels[*tunnel]),
                format!("IPsec tunnel {}{note}", l.tunnels[*tunnel]),
            )
        }
        Event::SiteLocal { site, dst } => (
            format!("site {}", topo.sites[site.index()].name),
            format!("{dst} is inside the site"),
        ),
        Event::SiteInternet { site, dst, public } => (
            format!("site {}", topo.sites[site.index()].name),
            format!(
                "no route toward AWS covers {dst}; it leaves through the site's internet egress as {public}"
            ),
        ),
        Event::SiteNoRoute { site, dst } => {
            let s = &topo.sites[site.index()];
            let why = if vpcsim_routing::is_private(*dst) && s.public_ip.is_some() {
                format!(
                    "has no route to the private address {dst}; internet egress does not carry private addresses"
                )
            } else if vpcsim_routing::is_private(*dst) {
                format!("has no route to the private address {dst}")
            } else if s.public_ip.is_some() {
                format!("has no route to {dst}, and its internet egress is IPv4 only")
            } else {
                format!("has no route to {dst} and the site has no internet egress")
            };
            (
                format!("site {}", s.name),
                format!("the site router of {} {why}", s.name),
            )
        }
        Event::LinkDown { link } => {
            let l = &topo.links[link.index()];
            (
                describe_link(l),
                format!("{} is down; the site router tries the next link", l.name),
            )
        }
        Event::SiteRoute {
            site,
            route,
            link,
            failed,
        } => {
            let s = &topo.sites[site.index()];
            let r = &s.routes[*route];
            let mut d = String::with_capacity(96);
            d.push_str("route ");
            text::push_net(&mut d, &r.destination);
            d.push_str(" via ");
            push_link_names(&mut d, topo, &r.via);
            d.push_str(" in order of preference: ");
            d.push_str(&topo.links[link.index()].name);
            d.push_str(" is up");
            if !failed.is_empty() {
                d.push_str(" (failed over from ");
                push_link_names(&mut d, topo, failed);
                d.push(')');
            }
            (["site ", &s.name].concat(), d)
        }
        Event::AllLinksDown { site, route, links } => {
            let s = &topo.sites[site.index()];
            (
                format!("site {}", s.name),
                format!(
                    "every link of the route to {} is down: {}",
                    s.routes[*route].destination,
                    link_names(topo, links)
                ),
            )
        }
        Event::LinkInto { link, vpc } => (
            describe_link(&topo.links[link.index()]),
            ["carries the ", what, " into VPC ", vpc_name(topo, *vpc)].concat(),
        ),
        Event::LinkNoVpc {
            link,
            dst,
            gateway_endpoint,
        } => {
            let l = &topo.links[link.index()];
            let detail = match gateway_endpoint {
                Some(ep) => format!(
                    "{dst} is behind the gateway endpoint {}, and gateway endpoints cannot be used from on premises (over Direct Connect or VPN)",
                    topo.endpoints[ep.index()].name
                ),
                None => format!(
                    "{} lands on a VPN gateway whose VPCs do not contain {dst}: a private virtual interface or VPN reaches only VPC addresses",
                    l.name
                ),
            };
            (describe_link(l), detail)
        }
        Event::DxGateway { gateway, vpc } => (
            format!(
                "Direct Connect gateway {}",
                topo.dx_gateways[gateway.index()].name
            ),
            format!(
                "forwards to the VPN gateway of VPC {}",
                vpc_name(topo, *vpc)
            ),
        ),
        Event::NotInSite { site, dst } => {
            let s = &topo.sites[site.index()].name;
            (format!("site {s}"), format!("{dst} is not in site {s}"))
        }
        Event::Peering { peering, to } => (
            ["peering ", &topo.peerings[peering.index()].name].concat(),
            if reply {
                ["the reply crosses back to VPC ", vpc_name(topo, *to)].concat()
            } else {
                ["crosses to VPC ", vpc_name(topo, *to)].concat()
            },
        ),
        Event::PeeringNotTransitive {
            peering,
            to,
            dst,
            gateway_endpoint,
        } => (
            format!("peering {}", topo.peerings[peering.index()].name),
            match gateway_endpoint {
                Some(_) => format!(
                    "{dst} is behind a gateway endpoint of VPC {}, and gateway endpoint connections cannot be extended out of a VPC (not over peering)",
                    vpc_name(topo, *to)
                ),
                None => format!(
                    "VPC peering is not transitive: VPC {} does not forward traffic for {dst}, which is outside its CIDRs, to its own gateways or endpoints",
                    vpc_name(topo, *to)
                ),
            },
        ),
        Event::Appliance { eni } => {
            let ip = topo.enis[eni.index()].ip;
            (
                format!("network interface {ip}"),
                format!(
                    "the route hands the traffic to the network interface {ip} (an appliance); vpcsim does not model forwarding through appliances"
                ),
            )
        }
        Event::ReplyElsewhere { client, arrival } => {
            let to = match arrival {
                Arrival::Internet { .. } => "the internet".to_string(),
                Arrival::Gateway { endpoint, .. } => {
                    format!("gateway endpoint {}", topo.endpoints[endpoint.index()].name)
                }
                Arrival::Eni { eni, .. } => interface(topo, *eni, *client),
                Arrival::Site { site } => format!("site {}", topo.sites[site.index()].name),
            };
            (
                "reply".into(),
                format!("the reply to {client} goes to {to}, not back the way the request came"),
            )
        }
        Event::Loop => (
            "route".into(),
            "the packet went through more than 64 nodes: a routing loop".into(),
        ),
    }
}

/// A hop of the service step: its data, code and component (its words are written by [`trace`]).
pub(crate) fn service_hop(event: ServiceEvent) -> Hop {
    let component = match &event {
        ServiceEvent::InterfaceEndpoint { endpoint, .. } => Component::Endpoint(*endpoint),
        ServiceEvent::OutpostXeni { outpost, .. } => Component::Outpost(*outpost),
        ServiceEvent::OutpostsAccessPoint { access_point }
        | ServiceEvent::AccessPoint { access_point } => Component::AccessPoint(*access_point),
        ServiceEvent::ViaService { service } => Component::Service(*service),
        ServiceEvent::Public { .. } => Component::Internet,
    };
    Hop::new(HopEvent::Service(event), Some(component))
}

/// `(at, detail)` of a hop of the service step.
fn service_words(topo: &Topology, event: &ServiceEvent) -> (String, String) {
    match event {
        ServiceEvent::InterfaceEndpoint { endpoint, eni } => {
            let e = &topo.endpoints[endpoint.index()];
            (
                format!("interface endpoint {}", e.name),
                format!(
                    "the ENI {} of {} ({}) carries the request to {} over AWS PrivateLink",
                    topo.enis[eni.index()].ip,
                    e.name,
                    e.aws_id,
                    e.service
                ),
            )
        }
        ServiceEvent::OutpostXeni { outpost, xeni } => {
            let o = &topo.outposts[outpost.index()];
            (
                format!("Outpost {}", o.name),
                format!(
                    "X-ENI {} of the S3 on Outposts endpoint of {} ({})",
                    xeni + 1,
                    o.name,
                    o.aws_id
                ),
            )
        }
        ServiceEvent::OutpostsAccessPoint { access_point }
        | ServiceEvent::AccessPoint { access_point } => {
            let a = &topo.access_points[access_point.index()];
            let vpc_only = if matches!(event, ServiceEvent::OutpostsAccessPoint { .. }) {
                "VPC-only "
            } else {
                ""
            };
            (
                format!("access point {}", a.name),
                format!(
                    "{vpc_only}access point {} of bucket {}",
                    a.name,
                    topo.buckets[a.bucket.index()].name
                ),
            )
        }
        ServiceEvent::ViaService { service } => (
            service.service_principal().to_string(),
            format!(
                "{} calls S3 with the principal's credentials (a forward access session), over S3's public endpoint inside AWS: never through the VPC's endpoints, so no aws:SourceVpce, aws:SourceVpc or aws:SourceIp; aws:CalledVia is {} and aws:ViaAWSService true",
                service.title(),
                service.service_principal()
            ),
        ),
        ServiceEvent::Public {
            dst,
            from,
            service,
            region,
        } => (
            "internet".into(),
            format!(
                "reaches the public address {dst} of {} from {from}",
                if service == "aws" {
                    "an AWS service".to_string()
                } else {
                    format!("{service} in {region}")
                }
            ),
        ),
    }
}

/// How the service step ended, in words.
pub(crate) fn finding(topo: &Topology, t: &Trace, f: &Finding) -> String {
    let vpc = |v: VpcId| vpc_name(topo, v).to_string();
    match f {
        Finding::WrongService { endpoint } => {
            let e = &topo.endpoints[endpoint.index()];
            format!("{} is an endpoint for {}, not for S3", e.name, e.service)
        }
        Finding::NameOfOtherService { endpoint, service } => {
            let e = &topo.endpoints[endpoint.index()];
            format!(
                "{} is a name of {service}, but the address it resolved to is interface endpoint {} ({}), which serves {} only: the TLS handshake fails (its certificate names no {service} host)",
                t.request.host(),
                e.name,
                e.aws_id,
                e.service
            )
        }
        Finding::UnsupportedName { endpoint, what } => format!(
            "AWS PrivateLink for S3 does not support {what}; {} reached the interface endpoint {}",
            t.request.host(),
            topo.endpoints[endpoint.index()].name
        ),
        Finding::NotAccessPoint { outpost, eni } => format!(
            "{} is an S3 on Outposts endpoint: Outposts buckets are reached only through a VPC-only access point name ({})",
            topo.enis[eni.index()].ip,
            vpcsim_aws::ServiceName::outposts_access_point(
                "REGION",
                topo.outposts[outpost.index()].aws_id.as_str(),
                "AP-ACCOUNT"
            )
        ),
        Finding::OutpostsBucket { bucket } => format!(
            "{} is an Outposts bucket, reached only through a VPC-only access point of its Outpost",
            topo.buckets[bucket.index()].name
        ),
        Finding::WrongOutpost { outpost, named } => format!(
            "the request names Outpost {named} but reached the endpoint of {}",
            topo.outposts[outpost.index()].aws_id
        ),
        Finding::PrivateAccessType { outpost } => {
            let o = &topo.outposts[outpost.index()];
            format!(
                "the S3 on Outposts endpoint of {} has access type Private: it accepts requests from VPC {} only; use CustomerOwnedIp for on-premises access",
                o.name,
                vpc(o.vpc)
            )
        }
        Finding::OutpostsWrongVpc { outpost, from } => format!(
            "Outposts buckets are reached only from the VPC of the endpoint and its access points ({}), not from VPC {}",
            vpc(topo.outposts[outpost.index()].vpc),
            vpc(*from)
        ),
        Finding::NoOutpostsAccessPoint { outpost, label } => format!(
            "Outpost {} has no access point {label}",
            topo.outposts[outpost.index()].name
        ),
        Finding::AccessPointWrongVpc { access_point } => {
            let a = &topo.access_points[access_point.index()];
            format!(
                "access point {} accepts requests from VPC {} only",
                a.name,
                a.vpc.map(vpc).unwrap_or_default()
            )
        }
        Finding::NotS3Endpoint { ip } => format!("{ip} is not an S3 endpoint"),
        Finding::Delivered { ip } => format!("delivered to {ip}"),
        Finding::DeliveredOnPremises => "delivered on premises".into(),
        Finding::OtherService { service } => {
            format!("delivered to {service} (vpcsim evaluates policies for S3 requests only)")
        }
        Finding::Internet { dst } => format!("{dst} is an internet address vpcsim does not model"),
        Finding::NoSuchAccessPoint { label } => format!(
            "there is no access point {label} in the topology; S3 answers NoSuchAccessPoint"
        ),
        Finding::NoSuchBucket { name, case } => format!(
            "there is no bucket {name} in the topology; S3 answers NoSuchBucket{}",
            if *case {
                " (bucket names are case-sensitive; a name with capitals cannot be addressed virtual-hosted style, use path style)"
            } else {
                ""
            }
        ),
        Finding::ServiceWithoutPrincipal { service } => format!(
            "{} calls S3 with the credentials of the principal it acts for, and none was given: name one (--principal, or `principal:` in an expectation)",
            service.title()
        ),
        Finding::ServiceNotS3 { service } => format!(
            "vpcsim models {} as a caller of S3 only: give an S3 request (an s3:// URI or an S3 URL)",
            service.title()
        ),
        Finding::NotBucketOwner { bucket } => {
            let b = &topo.buckets[bucket.index()];
            let owner = topo
                .accounts
                .get(b.account.index())
                .map_or("", |a| a.id.as_str());
            format!(
                "the policies allow it, but only the bucket owner's account ({owner}) may read, write or delete the policy of bucket {}: S3 answers 405 MethodNotAllowed",
                b.name
            )
        }
        Finding::WrongRegion { bucket, reached } => {
            let b = &topo.buckets[bucket.index()];
            let br = topo
                .regions
                .get(b.region.index())
                .map_or("", |r| r.name.as_str());
            format!(
                "bucket {} is in {br}, but the request reached S3 in {reached}: S3 answers 301 PermanentRedirect (a gateway or interface endpoint reaches buckets of its own Region)",
                b.name
            )
        }
        Finding::NetworkOrigin { access_point } => {
            let a = &topo.access_points[access_point.index()];
            format!(
                "access point {} has network origin VPC ({}): it rejects requests that do not come from that VPC through an endpoint",
                a.name,
                a.vpc.map_or("", |v| topo.vpcs[v.index()].aws_id.as_str())
            )
        }
        Finding::Policy(_) => t
            .policy
            .as_ref()
            .map(|o| o.explanation.clone())
            .unwrap_or_default(),
    }
}

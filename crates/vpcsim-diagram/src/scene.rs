//! What a picture of a topology holds, before anything is placed: a tree of [`Node`]s (a Region
//! holds VPCs, a VPC its gateways and Availability Zones, a zone its subnets, a subnet its
//! interfaces) and the [`Edge`]s between them (links, peerings, Direct Connect gateways). Every
//! node carries the [`Element`] it draws and its stable id, and its facts as data.

use std::collections::HashMap;

use vpcsim_routing::LinkState;
use vpcsim_topology::Element;
use vpcsim_topology::Topology;
use vpcsim_topology::model::{
    AccessType, Attachment, Direction, EndpointKind, EniOwner, LinkType, RegionId, SubnetId,
    Target, VpcId,
};

/// What a node is (its shape and colour, and the `kind` of `GET /topology`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A column of the picture (on premises, connections, AWS, internet): no element.
    Group,
    /// A Region.
    Region,
    /// A VPC.
    Vpc,
    /// The strip of a VPC's own gateways, route tables and zones: no element.
    Strip,
    /// An Availability Zone of a VPC.
    Zone,
    /// A subnet.
    Subnet,
    /// A route table.
    RouteTable,
    /// A network interface of an instance.
    Instance,
    /// A network interface of an endpoint, a Resolver endpoint, a NAT gateway or an X-ENI.
    Interface,
    /// A gateway endpoint.
    GatewayEndpoint,
    /// An interface endpoint.
    InterfaceEndpoint,
    /// An internet gateway.
    InternetGateway,
    /// A NAT gateway.
    NatGateway,
    /// A VPN gateway.
    VpnGateway,
    /// A Route 53 Resolver endpoint.
    ResolverEndpoint,
    /// A private hosted zone.
    HostedZone,
    /// A peering connection.
    Peering,
    /// A Direct Connect gateway.
    DxGateway,
    /// A Direct Connect link.
    DirectConnect,
    /// A Site-to-Site VPN link.
    Vpn,
    /// An on-premises site.
    Site,
    /// An on-premises host.
    Host,
    /// An on-premises resolver.
    SiteResolver,
    /// An Outpost and its S3 endpoint.
    Outpost,
    /// The internet and AWS services' public addresses.
    Internet,
}

impl Kind {
    /// The kind's name in ids, CSS classes and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Region => "region",
            Kind::Vpc => "vpc",
            Kind::Strip => "strip",
            Kind::Zone => "zone",
            Kind::Subnet => "subnet",
            Kind::RouteTable => "route-table",
            Kind::Instance => "instance",
            Kind::Interface => "interface",
            Kind::GatewayEndpoint => "gateway-endpoint",
            Kind::InterfaceEndpoint => "interface-endpoint",
            Kind::InternetGateway => "internet-gateway",
            Kind::NatGateway => "nat-gateway",
            Kind::VpnGateway => "vpn-gateway",
            Kind::ResolverEndpoint => "resolver-endpoint",
            Kind::HostedZone => "hosted-zone",
            Kind::Peering => "peering",
            Kind::DxGateway => "dx-gateway",
            Kind::DirectConnect => "direct-connect",
            Kind::Vpn => "vpn",
            Kind::Site => "site",
            Kind::Host => "host",
            Kind::SiteResolver => "site-resolver",
            Kind::Outpost => "outpost",
            Kind::Internet => "internet",
        }
    }

    /// Whether nodes of this kind hold others (drawn as frames, behind what they hold).
    pub fn is_container(self) -> bool {
        matches!(
            self,
            Kind::Group
                | Kind::Region
                | Kind::Vpc
                | Kind::Strip
                | Kind::Zone
                | Kind::Subnet
                | Kind::Site
                | Kind::Outpost
        )
    }
}

/// How a container places what it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Left to right.
    Row,
    /// Top to bottom.
    Column,
    /// Left to right, in rows of at most this many.
    Wrap(usize),
}

/// One thing drawn.
#[derive(Clone, Debug)]
pub struct Node {
    /// Stable id (`Topology::element_id`, or `group:NAME` for a column).
    pub id: String,
    /// The element drawn (`None` for groups and strips).
    pub element: Option<Element>,
    /// What it is.
    pub kind: Kind,
    /// Its name as the topology writes it.
    pub label: String,
    /// Facts shown under the name, as (key, value): `("cidr", "10.0.0.0/16")`.
    pub facts: Vec<(&'static str, String)>,
    /// The container.
    pub parent: Option<usize>,
    /// What it holds, in order.
    pub children: Vec<usize>,
    /// How it places them.
    pub flow: Flow,
    /// `false` for a link or tunnel that is down.
    pub up: bool,
}

impl Node {
    /// The facts as the lines under the name: a CIDR or an address alone, others as `key value`.
    pub fn lines(&self) -> Vec<String> {
        self.facts
            .iter()
            .map(|(k, v)| match *k {
                "cidr" | "ip" | "id" | "service" | "state" => v.clone(),
                _ => format!("{k} {v}"),
            })
            .collect()
    }
}

/// What an edge connects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// A site to its link, or a link to the gateway it lands on.
    Link,
    /// A Direct Connect gateway to a VPC's VPN gateway.
    DxAttachment,
    /// A peering connection to one of its VPCs.
    Peering,
}

impl EdgeKind {
    /// The kind's name in CSS classes and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Link => "link",
            EdgeKind::DxAttachment => "dx-attachment",
            EdgeKind::Peering => "peering",
        }
    }
}

/// A line between two nodes.
#[derive(Clone, Debug)]
pub struct Edge {
    /// One end.
    pub from: usize,
    /// The other.
    pub to: usize,
    /// What it is.
    pub kind: EdgeKind,
    /// `false` when the link it draws is down.
    pub up: bool,
}

/// The picture's content.
#[derive(Clone, Debug)]
pub struct Scene {
    /// The topology's name.
    pub title: String,
    /// Every node; roots have no parent.
    pub nodes: Vec<Node>,
    /// The top-level nodes, left to right.
    pub roots: Vec<usize>,
    /// Lines between nodes.
    pub edges: Vec<Edge>,
    /// Node index by element.
    pub(crate) by_element: HashMap<Element, usize>,
}

impl Scene {
    /// The node drawing `e`.
    pub fn node_of(&self, e: Element) -> Option<usize> {
        self.by_element.get(&e).copied()
    }

    fn add(
        &mut self,
        topo: &Topology,
        parent: Option<usize>,
        (kind, element): (Kind, Option<Element>),
        label: impl Into<String>,
        facts: Vec<(&'static str, String)>,
        flow: Flow,
    ) -> usize {
        let i = self.nodes.len();
        let label: String = label.into();
        let id = match element {
            Some(e) => topo.element_id(e),
            None => format!("group:{}", label.replace(' ', "-")),
        };
        self.nodes.push(Node {
            id,
            element,
            kind,
            label,
            facts,
            parent,
            children: Vec::new(),
            flow,
            up: true,
        });
        match parent {
            Some(p) => self.nodes[p].children.push(i),
            None => self.roots.push(i),
        }
        if let Some(e) = element {
            self.by_element.entry(e).or_insert(i);
        }
        i
    }

    /// The scene of `topo` with the links `links` says are down drawn down.
    pub fn build(topo: &Topology, links: &LinkState) -> Scene {
        let mut s = Scene {
            title: topo.name.clone(),
            nodes: Vec::new(),
            roots: Vec::new(),
            edges: Vec::new(),
            by_element: HashMap::new(),
        };
        s.sites(topo);
        let connections = s.connections(topo, links);
        s.regions(topo);
        s.internet(topo);
        s.edges(topo, links, connections);
        s
    }

    fn sites(&mut self, topo: &Topology) {
        if topo.sites.is_empty() {
            return;
        }
        let group = self.add(
            topo,
            None,
            (Kind::Group, None),
            "on premises",
            vec![],
            Flow::Column,
        );
        for (i, site) in topo.sites.iter().enumerate() {
            let id = vpcsim_topology::model::SiteId(i as u32);
            let mut facts: Vec<_> = site.cidrs.iter().map(|c| ("cidr", c.to_string())).collect();
            if let Some(p) = site.public_ip {
                facts.push(("internet", p.to_string()));
            }
            let n = self.add(
                topo,
                Some(group),
                (Kind::Site, Some(Element::Site(id))),
                &site.name,
                facts,
                Flow::Wrap(3),
            );
            if let Some(dns) = &site.dns {
                let mut facts = vec![("ip", dns.resolver.to_string())];
                for f in &dns.forwards {
                    let to: Vec<String> = f.to.iter().map(|a| a.to_string()).collect();
                    facts.push(("forward", format!("{} → {}", f.domain, to.join(", "))));
                }
                self.add(
                    topo,
                    Some(n),
                    (Kind::SiteResolver, Some(Element::SiteResolver(id))),
                    "resolver",
                    facts,
                    Flow::Row,
                );
            }
            for &h in &site.hosts {
                let host = &topo.hosts[h.index()];
                let mut facts = vec![("ip", host.ip.to_string())];
                if let Some(v6) = host.ipv6 {
                    facts.push(("ip", v6.to_string()));
                }
                self.add(
                    topo,
                    Some(n),
                    (Kind::Host, Some(Element::Host(h))),
                    &host.name,
                    facts,
                    Flow::Row,
                );
            }
        }
    }

    /// Links, Direct Connect gateways and peerings, in one column between the sites and AWS.
    fn connections(&mut self, topo: &Topology, links: &LinkState) -> Option<usize> {
        if topo.links.is_empty() && topo.dx_gateways.is_empty() && topo.peerings.is_empty() {
            return None;
        }
        let group = self.add(
            topo,
            None,
            (Kind::Group, None),
            "connections",
            vec![],
            Flow::Column,
        );
        for (i, l) in topo.links.iter().enumerate() {
            let id = vpcsim_topology::model::LinkId(i as u32);
            let up = links.link_up(id);
            let (kind, what) = match l.kind {
                LinkType::DirectConnect => (Kind::DirectConnect, "Direct Connect".to_string()),
                LinkType::Vpn => (
                    Kind::Vpn,
                    format!(
                        "VPN, {}",
                        match l.routing {
                            vpcsim_topology::model::Routing::Static => "static",
                            vpcsim_topology::model::Routing::Bgp => "BGP",
                        }
                    ),
                ),
            };
            let mut facts = vec![("type", what)];
            if l.kind == LinkType::Vpn && !l.tunnels.is_empty() {
                let t: Vec<String> = (0..l.tunnels.len())
                    .map(|t| {
                        let state = if up && tunnel_up(links, id, t) {
                            "up"
                        } else {
                            "down"
                        };
                        format!("{} {state}", l.tunnels[t])
                    })
                    .collect();
                facts.push(("tunnels", t.join(", ")));
            }
            facts.push(("state", if up { "up" } else { "down" }.to_string()));
            let n = self.add(
                topo,
                Some(group),
                (kind, Some(Element::Link(id))),
                &l.name,
                facts,
                Flow::Row,
            );
            self.nodes[n].up = up;
        }
        for (i, g) in topo.dx_gateways.iter().enumerate() {
            let id = vpcsim_topology::model::DxGatewayId(i as u32);
            self.add(
                topo,
                Some(group),
                (Kind::DxGateway, Some(Element::DxGateway(id))),
                &g.name,
                vec![
                    ("type", "Direct Connect gateway".into()),
                    ("asn", g.asn.to_string()),
                ],
                Flow::Row,
            );
        }
        for (i, p) in topo.peerings.iter().enumerate() {
            let id = vpcsim_topology::model::PeeringId(i as u32);
            let [a, b] = p.vpcs;
            self.add(
                topo,
                Some(group),
                (Kind::Peering, Some(Element::Peering(id))),
                &p.name,
                vec![
                    ("type", "peering".into()),
                    ("id", p.aws_id.clone()),
                    (
                        "between",
                        format!(
                            "{} ↔ {}",
                            topo.vpcs[a.index()].name,
                            topo.vpcs[b.index()].name
                        ),
                    ),
                ],
                Flow::Row,
            );
        }
        Some(group)
    }

    fn regions(&mut self, topo: &Topology) {
        let group = self.add(topo, None, (Kind::Group, None), "AWS", vec![], Flow::Column);
        for (r, region) in topo.regions.iter().enumerate() {
            let rid = RegionId(r as u32);
            let vpcs: Vec<usize> = (0..topo.vpcs.len())
                .filter(|&v| topo.vpcs[v].region == rid)
                .collect();
            if vpcs.is_empty() {
                continue;
            }
            let rn = self.add(
                topo,
                Some(group),
                (Kind::Region, Some(Element::Region(rid))),
                &region.name,
                vec![],
                Flow::Column,
            );
            for v in vpcs {
                self.vpc(topo, rn, VpcId(v as u32));
            }
        }
    }

    fn vpc(&mut self, topo: &Topology, region: usize, v: VpcId) {
        let vpc = &topo.vpcs[v.index()];
        let account = &topo.accounts[vpc.account.index()];
        let mut facts: Vec<_> = vpc.cidrs.iter().map(|c| ("cidr", c.to_string())).collect();
        facts.extend(vpc.ipv6_cidrs.iter().map(|c| ("cidr", c.to_string())));
        facts.push((
            "account",
            match &account.name {
                Some(n) => format!("{} ({n})", account.id),
                None => account.id.clone(),
            },
        ));
        let n = self.add(
            topo,
            Some(region),
            (Kind::Vpc, Some(Element::Vpc(v))),
            &vpc.name,
            facts,
            Flow::Column,
        );
        // The VPC's own parts: gateways, endpoints, route tables, Resolver endpoints, zones.
        let strip = self.add(
            topo,
            Some(n),
            (Kind::Strip, None),
            "",
            vec![],
            Flow::Wrap(4),
        );
        self.nodes[strip].id = format!("strip:{}", vpc.name);
        if let Some(g) = &vpc.vpn_gateway {
            self.add(
                topo,
                Some(strip),
                (Kind::VpnGateway, Some(Element::VpnGateway(v))),
                "VPN gateway",
                vec![("id", g.aws_id.clone()), ("asn", g.asn.to_string())],
                Flow::Row,
            );
        }
        if let Some(igw) = &vpc.internet_gateway {
            self.add(
                topo,
                Some(strip),
                (Kind::InternetGateway, Some(Element::InternetGateway(v))),
                "internet gateway",
                vec![("id", igw.clone())],
                Flow::Row,
            );
        }
        for &t in &vpc.route_tables {
            let table = &topo.route_tables[t.index()];
            let subnets: Vec<&str> = vpc
                .subnets
                .iter()
                .map(|s| &topo.subnets[s.index()])
                .filter(|s| s.route_table == t)
                .map(|s| s.name.as_str())
                .collect();
            let mut facts = Vec::new();
            if table.main {
                facts.push(("main", "yes".to_string()));
            }
            facts.push((
                "subnets",
                if subnets.is_empty() {
                    "none".into()
                } else {
                    subnets.join(", ")
                },
            ));
            for r in &table.routes {
                let dst = match &r.destination {
                    vpcsim_topology::model::Destination::Cidr(c) => c.to_string(),
                    vpcsim_topology::model::Destination::PrefixList(p) => {
                        topo.prefix_lists[p.index()].aws_id.clone()
                    }
                };
                let target = match r.target {
                    Target::Local => "local".to_string(),
                    Target::InternetGateway => "igw".into(),
                    Target::NatGateway(x) => format!("nat {}", topo.nat_gateways[x.index()].name),
                    Target::VpnGateway => "vgw".into(),
                    Target::Peering(x) => format!("pcx {}", topo.peerings[x.index()].name),
                    Target::GatewayEndpoint(x) => {
                        format!("vpce {}", topo.endpoints[x.index()].name)
                    }
                    Target::Eni(x) => format!("eni {}", topo.enis[x.index()].ip),
                };
                if target != "local" {
                    facts.push(("route", format!("{dst} → {target}")));
                }
            }
            if table.propagate_vgw {
                facts.push(("propagates", "vgw".into()));
            }
            self.add(
                topo,
                Some(strip),
                (Kind::RouteTable, Some(Element::RouteTable(t))),
                &table.name,
                facts,
                Flow::Row,
            );
        }
        for &e in &vpc.endpoints {
            let ep = &topo.endpoints[e.index()];
            let (kind, mut facts) = match &ep.kind {
                EndpointKind::Gateway(g) => {
                    let tables: Vec<&str> = g
                        .route_tables
                        .iter()
                        .map(|t| topo.route_tables[t.index()].name.as_str())
                        .collect();
                    (
                        Kind::GatewayEndpoint,
                        vec![
                            ("type", "gateway endpoint".to_string()),
                            ("route tables", tables.join(", ")),
                        ],
                    )
                }
                EndpointKind::Interface(i) => {
                    let mut f = vec![("type", "interface endpoint".to_string())];
                    if i.private_dns {
                        f.push(("private DNS", "on".into()));
                    }
                    (Kind::InterfaceEndpoint, f)
                }
            };
            facts.insert(0, ("service", ep.service.clone()));
            facts.insert(1, ("id", ep.aws_id.clone()));
            self.add(
                topo,
                Some(strip),
                (kind, Some(Element::Endpoint(e))),
                &ep.name,
                facts,
                Flow::Row,
            );
        }
        for r in [vpc.inbound_resolver, vpc.outbound_resolver]
            .into_iter()
            .flatten()
        {
            let re = &topo.resolver_endpoints[r.index()];
            let dir = match re.direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            };
            let ips: Vec<String> = re
                .enis
                .iter()
                .map(|e| topo.enis[e.index()].ip.to_string())
                .collect();
            self.add(
                topo,
                Some(strip),
                (Kind::ResolverEndpoint, Some(Element::ResolverEndpoint(r))),
                format!("Resolver {dir}"),
                vec![("ip", ips.join(", "))],
                Flow::Row,
            );
        }
        for &r in &vpc.resolver_rules {
            // Rules are facts of the outbound endpoint's VPC: shown on the VPC.
            let rule = &topo.resolver_rules[r.index()];
            let to: Vec<String> = rule.targets.iter().map(|(a, _)| a.to_string()).collect();
            let text = if to.is_empty() {
                rule.domain.clone()
            } else {
                format!("{} → {}", rule.domain, to.join(", "))
            };
            self.nodes[n].facts.push(("rule", text));
        }
        for &z in &vpc.hosted_zones {
            let e = Element::HostedZone(z);
            if self.by_element.contains_key(&e) {
                continue; // drawn in the first VPC it is associated with
            }
            let zone = &topo.hosted_zones[z.index()];
            let vpcs: Vec<&str> = zone
                .vpcs
                .iter()
                .map(|v| topo.vpcs[v.index()].name.as_str())
                .collect();
            self.add(
                topo,
                Some(strip),
                (Kind::HostedZone, Some(e)),
                &zone.domain,
                vec![
                    ("type", "private hosted zone".into()),
                    ("records", zone.records.len().to_string()),
                    ("VPCs", vpcs.join(", ")),
                ],
                Flow::Row,
            );
        }
        if self.nodes[strip].children.is_empty() {
            // Nothing of the VPC's own: no strip.
            self.nodes[n].children.retain(|&c| c != strip);
            self.nodes[strip].parent = None;
        }
        // Subnets by Availability Zone: the Region's zones in its order, then any other.
        let region = &topo.regions[vpc.region.index()];
        let azs = self.add(topo, Some(n), (Kind::Strip, None), "", vec![], Flow::Row);
        self.nodes[azs].id = format!("zones:{}", vpc.name);
        let mut zones: Vec<&str> = region.azs.iter().map(String::as_str).collect();
        for s in &vpc.subnets {
            let az = topo.subnets[s.index()].az.as_str();
            if !zones.contains(&az) {
                zones.push(az);
            }
        }
        for az in zones {
            let subnets: Vec<SubnetId> = vpc
                .subnets
                .iter()
                .copied()
                .filter(|s| topo.subnets[s.index()].az == az)
                .collect();
            let Some(&first) = subnets.first() else {
                continue;
            };
            let zn = self.add(
                topo,
                Some(azs),
                (Kind::Zone, Some(Element::Zone(first))),
                az,
                vec![],
                Flow::Column,
            );
            for s in subnets {
                self.subnet(topo, zn, s);
            }
        }
    }

    fn subnet(&mut self, topo: &Topology, zone: usize, s: SubnetId) {
        let sub = &topo.subnets[s.index()];
        let mut facts = vec![("cidr", sub.cidr.to_string())];
        if let Some(v6) = sub.ipv6_cidr {
            facts.push(("cidr", v6.to_string()));
        }
        facts.push((
            "route table",
            topo.route_tables[sub.route_table.index()].name.clone(),
        ));
        if let Some(acl) = sub.network_acl {
            facts.push(("network ACL", topo.network_acls[acl.index()].name.clone()));
        }
        let n = self.add(
            topo,
            Some(zone),
            (Kind::Subnet, Some(Element::Subnet(s))),
            &sub.name,
            facts,
            Flow::Wrap(3),
        );
        let mut outposts: Vec<(vpcsim_topology::model::OutpostId, usize)> = Vec::new();
        for (i, eni) in topo.enis.iter().enumerate() {
            if eni.subnet != s {
                continue;
            }
            let id = vpcsim_topology::model::EniId(i as u32);
            let mut facts = vec![("ip", eni.ip.to_string())];
            if let Some(v6) = eni.ipv6 {
                facts.push(("ip", v6.to_string()));
            }
            let (kind, label, parent) = match eni.owner {
                EniOwner::Instance(x) => {
                    let inst = &topo.instances[x.index()];
                    if let Some(p) = inst.public_ip {
                        facts.push(("public", p.to_string()));
                    }
                    (Kind::Instance, inst.name.clone(), n)
                }
                EniOwner::Endpoint(x) => (
                    Kind::Interface,
                    format!("{} ENI", topo.endpoints[x.index()].name),
                    n,
                ),
                EniOwner::Resolver(x) => {
                    let dir = match topo.resolver_endpoints[x.index()].direction {
                        Direction::Inbound => "inbound",
                        Direction::Outbound => "outbound",
                    };
                    (Kind::Interface, format!("Resolver {dir} ENI"), n)
                }
                EniOwner::NatGateway(x) => {
                    let nat = &topo.nat_gateways[x.index()];
                    if let Some(p) = nat.public_ip {
                        facts.push(("public", p.to_string()));
                    }
                    // The NAT gateway is drawn as its interface.
                    let k = self.add(
                        topo,
                        Some(n),
                        (Kind::NatGateway, Some(Element::NatGateway(x))),
                        &nat.name,
                        facts,
                        Flow::Row,
                    );
                    self.by_element.insert(Element::Interface(id), k);
                    continue;
                }
                EniOwner::OutpostXeni(o, x) => {
                    let box_ = match outposts.iter().find(|(oo, _)| *oo == o) {
                        Some((_, b)) => *b,
                        None => {
                            let op = &topo.outposts[o.index()];
                            let mut facts = vec![("id", op.aws_id.clone())];
                            facts.push((
                                "access",
                                match op.access_type {
                                    AccessType::Private => "private".to_string(),
                                    AccessType::CustomerOwnedIp => format!(
                                        "customer-owned IP {}",
                                        op.coip_pool.map(|c| c.to_string()).unwrap_or_default()
                                    ),
                                },
                            ));
                            let b = self.add(
                                topo,
                                Some(n),
                                (Kind::Outpost, Some(Element::Outpost(o))),
                                format!("Outpost {}", op.name),
                                facts,
                                Flow::Wrap(2),
                            );
                            outposts.push((o, b));
                            b
                        }
                    };
                    (Kind::Interface, format!("X-ENI {}", x + 1), box_)
                }
            };
            self.add(
                topo,
                Some(parent),
                (kind, Some(Element::Interface(id))),
                label,
                facts,
                Flow::Row,
            );
        }
    }

    fn internet(&mut self, topo: &Topology) {
        let group = self.add(
            topo,
            None,
            (Kind::Group, None),
            "internet",
            vec![],
            Flow::Column,
        );
        self.add(
            topo,
            Some(group),
            (Kind::Internet, Some(Element::Internet)),
            "internet",
            vec![("service", "public AWS service addresses".into())],
            Flow::Row,
        );
    }

    fn edges(&mut self, topo: &Topology, links: &LinkState, connections: Option<usize>) {
        if connections.is_none() {
            return;
        }
        let node = |s: &Scene, e: Element| s.by_element.get(&e).copied();
        let mut edges = Vec::new();
        for (i, l) in topo.links.iter().enumerate() {
            let id = vpcsim_topology::model::LinkId(i as u32);
            let up = links.link_up(id);
            let Some(ln) = node(self, Element::Link(id)) else {
                continue;
            };
            if let Some(sn) = node(self, Element::Site(l.site)) {
                edges.push(Edge {
                    from: sn,
                    to: ln,
                    kind: EdgeKind::Link,
                    up,
                });
            }
            let to = match l.attach {
                Attachment::VpnGateway(v) => node(self, Element::VpnGateway(v)),
                Attachment::DxGateway(g) => node(self, Element::DxGateway(g)),
            };
            if let Some(t) = to {
                edges.push(Edge {
                    from: ln,
                    to: t,
                    kind: EdgeKind::Link,
                    up,
                });
            }
        }
        for (i, g) in topo.dx_gateways.iter().enumerate() {
            let id = vpcsim_topology::model::DxGatewayId(i as u32);
            let Some(gn) = node(self, Element::DxGateway(id)) else {
                continue;
            };
            for &v in &g.vpcs {
                if let Some(t) = node(self, Element::VpnGateway(v)) {
                    edges.push(Edge {
                        from: gn,
                        to: t,
                        kind: EdgeKind::DxAttachment,
                        up: true,
                    });
                }
            }
        }
        for (i, p) in topo.peerings.iter().enumerate() {
            let id = vpcsim_topology::model::PeeringId(i as u32);
            let Some(pn) = node(self, Element::Peering(id)) else {
                continue;
            };
            for v in p.vpcs {
                if let Some(t) = node(self, Element::Vpc(v)) {
                    edges.push(Edge {
                        from: pn,
                        to: t,
                        kind: EdgeKind::Peering,
                        up: true,
                    });
                }
            }
        }
        self.edges = edges;
    }
}

fn tunnel_up(links: &LinkState, link: vpcsim_topology::model::LinkId, t: usize) -> bool {
    !links.down().contains(&(link, Some(t)))
}

//! The packet walk: from the source to the destination address, then the reply back.

use crate::FastMap;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use vpcsim_dns::{RecordType, Rotation, View};
use vpcsim_routing::filters::{self, Direction, Packet};
use vpcsim_routing::{RouteKind, describe_link};
use vpcsim_topology::Topology;
use vpcsim_topology::model::{
    Attachment, EniId, EniOwner, LinkId, Protocol, SiteId, Source, SubnetId, Target, VpcId,
};

use crate::{Disposition, Engine, Hop, Network, Options, Request, S3Call, S3Host, Trace, Verdict};

/// The client port replies go to. Linux picks ephemeral ports from 32768–60999 and Windows from
/// 49152–65535; vpcsim uses 49152, inside both (docs/decisions.md).
pub(crate) const EPHEMERAL: u16 = 49152;

/// Where the forward walk arrived.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Arrival {
    /// A network interface (endpoint ENI, X-ENI, instance, Resolver endpoint).
    Eni { eni: EniId, client_ip: IpAddr },
    /// A gateway endpoint's prefix-list route.
    Gateway {
        endpoint: vpcsim_topology::model::EndpointId,
        client_ip: IpAddr,
    },
    /// The internet, leaving from a public address.
    Internet {
        public_ip: IpAddr,
        via_nat: Option<IpAddr>,
    },
    /// A host on premises.
    Site,
}

/// Why the walk stopped.
#[derive(Clone, Debug)]
pub(crate) struct Stop {
    pub disposition: Disposition,
    pub code: &'static str,
    pub reason: String,
}

fn stop(disposition: Disposition, code: &'static str, reason: impl Into<String>) -> Stop {
    Stop {
        disposition,
        code,
        reason: reason.into(),
    }
}

/// Where the request starts.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Origin {
    Instance {
        eni: EniId,
        subnet: SubnetId,
        vpc: VpcId,
    },
    Host {
        site: SiteId,
    },
}

pub(crate) struct Walker<'a> {
    pub topo: &'a Topology,
    pub net: &'a Network,
    pub hops: Vec<Hop>,
    pub eni_by_ip: &'a FastMap<(VpcId, IpAddr), EniId>,
    pub coip: &'a FastMap<IpAddr, EniId>,
    pub port: u16,
    pub protocol: Protocol,
    /// The source instance's public address, for internet gateway routes.
    pub public_ip: Option<IpAddr>,
    /// Leave the text out (hops' `at` and `detail`, reasons).
    pub quiet: bool,
}

/// Records a hop on a [`Walker`]; its `at` and `detail` expressions are evaluated only when the
/// trace is explained, so a quiet trace formats nothing.
macro_rules! hop {
    ($w:expr, $at:expr, $component:expr, $code:expr, $detail:expr, $span:expr $(,)?) => {
        push_hop!($w.quiet, $w.hops, $at, $component, $code, $detail, $span)
    };
}

impl Walker<'_> {
    /// Text for a hop or a reason, made only when the trace is explained (not [`Options::quiet`]).
    ///
    /// [`Options::quiet`]: crate::Options::quiet
    pub fn text(&self, f: impl FnOnce() -> String) -> String {
        if self.quiet { String::new() } else { f() }
    }

    fn subnet_label(&self, s: SubnetId) -> String {
        let sub = &self.topo.subnets[s.index()];
        format!(
            "subnet {} (VPC {})",
            sub.name,
            self.topo.vpcs[sub.vpc.index()].name
        )
    }

    fn acl(
        &mut self,
        subnet: SubnetId,
        dir: Direction,
        remote: IpAddr,
        port: u16,
    ) -> Result<(), Stop> {
        let v = filters::network_acl(
            self.topo,
            subnet,
            dir,
            &Packet {
                remote,
                remote_eni: None,
                protocol: self.protocol,
                port,
            },
        );
        let topo = self.topo;
        if v.allowed {
            if topo.subnets[subnet.index()].network_acl.is_some() {
                hop!(
                    self,
                    self.subnet_label(subnet),
                    None,
                    "acl.allowed",
                    v.describe(topo),
                    v.span
                );
            }
            Ok(())
        } else {
            hop!(
                self,
                self.subnet_label(subnet),
                None,
                "acl.denied",
                v.describe(topo),
                v.span
            );
            Err(stop(
                Disposition::DeniedByNetworkAcl,
                "acl.denied",
                self.text(|| v.describe(topo)),
            ))
        }
    }

    fn sg(
        &mut self,
        eni: EniId,
        dir: Direction,
        remote: IpAddr,
        remote_eni: Option<EniId>,
        port: u16,
    ) -> Result<(), Stop> {
        let v = filters::security_groups(
            self.topo,
            eni,
            dir,
            &Packet {
                remote,
                remote_eni,
                protocol: self.protocol,
                port,
            },
        );
        let topo = self.topo;
        let e = &topo.enis[eni.index()];
        // Arriving at an endpoint's interface or an X-ENI passes that named component.
        let component = match (dir, e.owner) {
            (Direction::Inbound, EniOwner::Endpoint(ep)) => {
                Some(self.topo.endpoints[ep.index()].name.clone())
            }
            (Direction::Inbound, EniOwner::OutpostXeni(o, _)) => {
                Some(self.topo.outposts[o.index()].name.clone())
            }
            _ => None,
        };
        // The interface by the address of the packet's family.
        let at = || match (remote, e.ipv6) {
            (IpAddr::V6(_), Some(v6)) => format!("network interface {v6}"),
            _ => format!("network interface {}", e.ip),
        };
        if v.allowed {
            hop!(
                self,
                at(),
                component,
                "sg.allowed",
                v.describe(topo),
                v.span
            );
            Ok(())
        } else {
            hop!(
                self,
                at(),
                component,
                "sg.no-matching-rule",
                v.describe(topo),
                v.span
            );
            Err(stop(
                Disposition::DeniedBySecurityGroup,
                "sg.no-matching-rule",
                self.text(|| v.describe(topo)),
            ))
        }
    }

    /// The forward walk from `origin` to `dst`.
    pub fn forward(
        &mut self,
        origin: Origin,
        src_ip: IpAddr,
        dst: IpAddr,
    ) -> Result<Arrival, Stop> {
        match origin {
            Origin::Instance { eni, subnet, vpc } => {
                self.sg(eni, Direction::Outbound, dst, None, self.port)?;
                self.leave_subnet(vpc, subnet, src_ip, Some(eni), dst)
            }
            Origin::Host { site } => self.leave_site(site, src_ip, dst),
        }
    }

    fn leave_subnet(
        &mut self,
        vpc: VpcId,
        subnet: SubnetId,
        src_ip: IpAddr,
        src_eni: Option<EniId>,
        dst: IpAddr,
    ) -> Result<Arrival, Stop> {
        let topo = self.topo;
        // Customer-owned IP addresses of an Outpost in this VPC are reached through its local gateway.
        if let Some(&xeni) = self.coip.get(&dst)
            && topo.eni_vpc(xeni) == vpc
        {
            hop!(
                self,
                format!("VPC {}", topo.vpcs[vpc.index()].name),
                None,
                "route.local-gateway",
                format!(
                    "{dst} is a customer-owned IP of the Outpost, reached through its local gateway"
                ),
                None,
            );
            self.sg(xeni, Direction::Inbound, src_ip, src_eni, self.port)?;
            return Ok(Arrival::Eni {
                eni: xeni,
                client_ip: src_ip,
            });
        }
        let same_subnet = self
            .eni_by_ip
            .get(&(vpc, dst))
            .is_some_and(|e| topo.enis[e.index()].subnet == subnet);
        if !same_subnet {
            self.acl(subnet, Direction::Outbound, dst, self.port)?;
        }
        let rt = topo.subnets[subnet.index()].route_table;
        let table = &topo.route_tables[rt.index()];
        let Some(sel) = self.net.routes.lookup(rt, dst) else {
            let reason = self.text(|| {
                format!(
                    "route table {} of {} has no route to {dst}",
                    table.name,
                    self.subnet_label(subnet)
                )
            });
            hop!(
                self,
                format!("route table {}", table.name),
                None,
                "route.no-route",
                reason.clone(),
                Some(table.span),
            );
            return Err(self.explain_no_route(vpc, dst, reason));
        };
        let detail = self.text(|| {
            format!(
                "{dst} matches {} → {}{}",
                sel.route.prefix,
                self.target_name(vpc, &sel.route.target, &sel.route.kind),
                sel.rule.map(|r| format!(" ({r})")).unwrap_or_default()
            )
        });
        hop!(
            self,
            format!("route table {}", table.name),
            None,
            "route.selected",
            detail,
            Some(sel.route.span),
        );
        match sel.route.target {
            Target::Local => self.deliver(vpc, dst, src_ip, src_eni, Some(subnet)),
            Target::GatewayEndpoint(ep) => {
                let e = &topo.endpoints[ep.index()];
                hop!(
                    self,
                    format!("gateway endpoint {}", e.name),
                    Some(e.name.clone()),
                    "endpoint.gateway",
                    format!(
                        "{} ({}) carries the request to {} over the AWS network",
                        e.name, e.aws_id, e.service
                    ),
                    Some(e.span),
                );
                Ok(Arrival::Gateway {
                    endpoint: ep,
                    client_ip: src_ip,
                })
            }
            Target::InternetGateway => {
                let igw = topo.vpcs[vpc.index()]
                    .internet_gateway
                    .clone()
                    .unwrap_or_default();
                if let Some(public) = self.public_ip {
                    hop!(
                        self,
                        "internet gateway",
                        Some("igw".into()),
                        "route.internet",
                        if src_ip.is_ipv6() {
                            format!("{igw} carries {src_ip} to the internet as it is (IPv6 addresses are public)")
                        } else {
                            format!("{igw} translates {src_ip} to its public address {public}")
                        },
                        Some(sel.route.span),
                    );
                    return Ok(Arrival::Internet {
                        public_ip: public,
                        via_nat: None,
                    });
                }
                let reason = self.text(|| format!(
                    "the internet gateway {igw} carries only traffic from addresses with a public IPv4 address, and {src_ip} has none (give the instance a `public_ip`, or route through a NAT gateway)"
                ));
                hop!(
                    self,
                    "internet gateway",
                    Some("igw".into()),
                    "route.no-public-ip",
                    reason.clone(),
                    None,
                );
                Err(stop(Disposition::NoRoute, "route.no-public-ip", reason))
            }
            Target::NatGateway(n) => {
                let nat = &topo.nat_gateways[n.index()];
                let nat_eni = &topo.enis[nat.eni.index()];
                hop!(
                    self,
                    format!("NAT gateway {}", nat.name),
                    Some(nat.name.clone()),
                    "route.nat",
                    format!("translates {src_ip} to its public address"),
                    Some(nat.span),
                );
                let nat_rt = topo.subnets[nat_eni.subnet.index()].route_table;
                match self.net.routes.lookup(nat_rt, dst) {
                    Some(s) if s.route.target == Target::InternetGateway => {
                        let Some(public) = nat.public_ip else {
                            return Err(stop(
                                Disposition::NoRoute,
                                "route.no-public-ip",
                                self.text(|| format!("NAT gateway {} has no `public_ip`", nat.name)),
                            ));
                        };
                        hop!(
                            self,
                            "internet gateway",
                            Some("igw".into()),
                            "route.internet",
                            format!("leaves for the internet from {public}"),
                            Some(s.route.span),
                        );
                        Ok(Arrival::Internet {
                            public_ip: IpAddr::V4(public),
                            via_nat: Some(IpAddr::V4(nat_eni.ip)),
                        })
                    }
                    _ => {
                        let reason = self.text(|| format!(
                            "the NAT gateway's subnet has no route to {dst} through an internet gateway"
                        ));
                        hop!(
                            self,
                            format!("NAT gateway {}", nat.name),
                            None,
                            "route.no-route",
                            reason.clone(),
                            None,
                        );
                        Err(stop(Disposition::NoRoute, "route.no-route", reason))
                    }
                }
            }
            Target::VpnGateway => {
                let link = match sel.route.kind {
                    RouteKind::Propagated { link, .. } => Some(link),
                    _ => self.net.routes.vgw_link(topo, vpc, dst),
                };
                let Some(link) = link else {
                    return Err(self.vgw_failure(vpc, dst));
                };
                let l = &topo.links[link.index()];
                hop!(
                    self,
                    describe_link(l),
                    Some(l.name.clone()),
                    "link.selected",
                    format!(
                        "the VPN gateway sends it over {} to site {}",
                        l.name,
                        topo.sites[l.site.index()].name
                    ),
                    Some(l.span),
                );
                self.tunnel(link);
                let site = &topo.sites[l.site.index()];
                if site
                    .cidrs
                    .iter()
                    .any(|c| c.contains(&dst))
                {
                    Ok(Arrival::Site)
                } else {
                    Err(stop(
                        Disposition::NoRoute,
                        "site.no-route",
                        self.text(|| format!("{dst} is not in site {}", site.name)),
                    ))
                }
            }
            Target::Peering(p) => {
                let peering = &topo.peerings[p.index()];
                let other = peering.other(vpc).unwrap_or(vpc);
                hop!(
                    self,
                    format!("peering {}", peering.name),
                    Some(peering.name.clone()),
                    "route.peering",
                    format!("crosses to VPC {}", topo.vpcs[other.index()].name),
                    Some(peering.span),
                );
                if topo.vpcs[other.index()].contains_ip(dst) {
                    self.deliver(other, dst, src_ip, src_eni, None)
                } else {
                    let mut reason = self.text(|| format!(
                        "VPC peering is not transitive: VPC {} does not forward traffic for {dst}, which is outside its CIDRs, to its own gateways or endpoints",
                        topo.vpcs[other.index()].name
                    ));
                    let mut code = "peering.not-transitive";
                    if self.gateway_endpoint_prefix(other, dst).is_some() {
                        reason = self.text(|| format!(
                            "{dst} is behind a gateway endpoint of VPC {}, and gateway endpoint connections cannot be extended out of a VPC (not over peering)",
                            topo.vpcs[other.index()].name
                        ));
                        code = "endpoint.gateway-not-extendable";
                    }
                    Err(stop(Disposition::NoRoute, code, reason))
                }
            }
            Target::Eni(x) => Err(stop(
                Disposition::Unsupported,
                "route.appliance",
                self.text(|| format!(
                    "the route hands the traffic to the network interface {} (an appliance); vpcsim does not model forwarding through appliances",
                    topo.enis[x.index()].ip
                )),
            )),
        }
    }

    /// For a VPN, the tunnel that carries the traffic: the first one that is up.
    fn tunnel(&mut self, link: LinkId) {
        let l = &self.topo.links[link.index()];
        let Some(t) = (0..l.tunnels.len()).find(|t| !self.net.down.contains(&(link, Some(*t))))
        else {
            return;
        };
        let failed: Vec<&str> = (0..t).map(|i| l.tunnels[i].as_str()).collect();
        let note = if failed.is_empty() {
            String::new()
        } else {
            self.text(|| format!(" ({} down)", failed.join(", ")))
        };
        hop!(
            self,
            format!("{} {}", l.name, l.tunnels[t]),
            Some(format!("{}/{}", l.name, l.tunnels[t])),
            "link.tunnel",
            format!("IPsec tunnel {}{note}", l.tunnels[t]),
            Some(l.span),
        );
    }

    fn target_name(&self, vpc: VpcId, t: &Target, kind: &RouteKind) -> String {
        let topo = self.topo;
        let base = match t {
            Target::Local => "local".to_string(),
            Target::InternetGateway => format!(
                "internet gateway {}",
                topo.vpcs[vpc.index()]
                    .internet_gateway
                    .clone()
                    .unwrap_or_default()
            ),
            Target::NatGateway(n) => format!("NAT gateway {}", topo.nat_gateways[n.index()].name),
            Target::VpnGateway => format!(
                "VPN gateway {}",
                topo.vpcs[vpc.index()]
                    .vpn_gateway
                    .as_ref()
                    .map_or("", |g| g.aws_id.as_str())
            ),
            Target::Peering(p) => format!("peering {}", topo.peerings[p.index()].name),
            Target::GatewayEndpoint(e) => format!(
                "gateway endpoint {} ({})",
                topo.endpoints[e.index()].name,
                topo.endpoints[e.index()].aws_id
            ),
            Target::Eni(e) => format!("network interface {}", topo.enis[e.index()].ip),
        };
        match kind {
            RouteKind::PrefixList(pl) => format!(
                "{base}, through prefix list {}",
                topo.prefix_lists[pl.index()].aws_id
            ),
            RouteKind::Propagated { link, .. } => {
                format!("{base}, propagated from {}", topo.links[link.index()].name)
            }
            _ => base,
        }
    }

    fn gateway_endpoint_prefix(&self, vpc: VpcId, dst: IpAddr) -> Option<String> {
        self.topo.vpcs[vpc.index()]
            .endpoints
            .iter()
            .map(|e| &self.topo.endpoints[e.index()])
            .find_map(|e| {
                if e.kind != vpcsim_topology::model::EndpointType::Gateway {
                    return None;
                }
                let region = self.topo.vpcs[vpc.index()].region;
                self.topo
                    .prefix_lists
                    .iter()
                    .find(|p| {
                        p.region == region
                            && p.service == e.service
                            && p.cidrs.iter().any(|c| IpNet::V4(*c).contains(&dst))
                    })
                    .map(|_| e.name.clone())
            })
    }

    fn explain_no_route(&self, vpc: VpcId, dst: IpAddr, reason: String) -> Stop {
        if let Some(ep) = self.gateway_endpoint_prefix(vpc, dst) {
            return stop(
                Disposition::NoRoute,
                "route.no-route",
                self.text(|| format!(
                    "{reason}: the gateway endpoint {ep} is not associated with this route table"
                )),
            );
        }
        stop(Disposition::NoRoute, "route.no-route", reason)
    }

    fn vgw_failure(&self, vpc: VpcId, dst: IpAddr) -> Stop {
        let topo = self.topo;
        let links: Vec<LinkId> = topo.vpcs[vpc.index()]
            .vpn_gateway
            .iter()
            .flat_map(|g| g.links.iter().copied())
            .filter(|l| {
                topo.links[l.index()]
                    .advertise
                    .iter()
                    .any(|p| p.contains(&dst))
            })
            .collect();
        if links.is_empty() {
            stop(
                Disposition::NoRoute,
                "route.no-route",
                self.text(|| format!("the VPN gateway learned no route to {dst} from any link")),
            )
        } else {
            let names: Vec<&str> = links
                .iter()
                .map(|l| topo.links[l.index()].name.as_str())
                .collect();
            stop(
                Disposition::LinkDown,
                "link.down",
                self.text(|| format!("every link toward {dst} is down: {}", names.join(", "))),
            )
        }
    }

    /// Delivery inside a VPC: the destination interface, its subnet's ACL and its security groups.
    fn deliver(
        &mut self,
        vpc: VpcId,
        dst: IpAddr,
        src_ip: IpAddr,
        src_eni: Option<EniId>,
        from_subnet: Option<SubnetId>,
    ) -> Result<Arrival, Stop> {
        let topo = self.topo;
        let Some(&eni) = self.eni_by_ip.get(&(vpc, dst)) else {
            let reason = self.text(|| {
                format!(
                    "no network interface has the address {dst} in VPC {}",
                    topo.vpcs[vpc.index()].name
                )
            });
            hop!(
                self,
                format!("VPC {}", topo.vpcs[vpc.index()].name),
                None,
                "route.no-interface",
                reason.clone(),
                None,
            );
            return Err(stop(Disposition::NoRoute, "route.no-interface", reason));
        };
        let dsub = topo.enis[eni.index()].subnet;
        if from_subnet != Some(dsub) {
            self.acl(dsub, Direction::Inbound, src_ip, self.port)?;
        }
        self.sg(eni, Direction::Inbound, src_ip, src_eni, self.port)?;
        Ok(Arrival::Eni {
            eni,
            client_ip: src_ip,
        })
    }

    fn leave_site(&mut self, site: SiteId, src_ip: IpAddr, dst: IpAddr) -> Result<Arrival, Stop> {
        let topo = self.topo;
        let s = &topo.sites[site.index()];
        if s.cidrs.iter().any(|c| c.contains(&dst)) {
            hop!(
                self,
                format!("site {}", s.name),
                None,
                "site.local",
                format!("{dst} is inside the site"),
                None,
            );
            return Ok(Arrival::Site);
        }
        if let Some(&xeni) = self.coip.get(&dst) {
            hop!(
                self,
                format!("site {}", s.name),
                None,
                "route.local-gateway",
                format!(
                    "{dst} is a customer-owned IP of an Outpost, reached through the Outpost's local gateway on the site network"
                ),
                None
            );
            self.sg(xeni, Direction::Inbound, src_ip, None, self.port)?;
            return Ok(Arrival::Eni {
                eni: xeni,
                client_ip: src_ip,
            });
        }
        let route = s
            .routes
            .iter()
            .filter(|r| r.destination.contains(&dst))
            .max_by_key(|r| r.destination.prefix_len());
        let Some(route) = route else {
            // No route toward AWS: public addresses leave through the internet egress, if any.
            let why = match s.public_ip {
                Some(public) if !is_private(dst) => {
                    hop!(self, format!("site {}", s.name), Some("internet".into()), "site.internet", format!("no route toward AWS covers {dst}; it leaves through the site's internet egress as {public}"), Some(s.span));
                    return Ok(Arrival::Internet {
                        public_ip: IpAddr::V4(public),
                        via_nat: None,
                    });
                }
                _ if is_private(dst) => self.text(|| format!(
                    "has no route to the private address {dst}; internet egress does not carry private addresses"
                )),
                _ => self.text(|| format!("has no route to {dst} and the site has no internet egress")),
            };
            let reason = self.text(|| format!("the site router of {} {why}", s.name));
            hop!(
                self,
                format!("site {}", s.name),
                None,
                "site.no-route",
                reason.clone(),
                Some(s.span),
            );
            return Err(stop(Disposition::NoRoute, "site.no-route", reason));
        };
        let mut down = Vec::new();
        for link in &route.via {
            let l = &topo.links[link.index()];
            if !self.net.routes.link_up(*link) {
                down.push(l.name.clone());
                hop!(
                    self,
                    describe_link(l),
                    None,
                    "link.down",
                    format!("{} is down; the site router tries the next link", l.name),
                    Some(l.span),
                );
                continue;
            }
            let Some(vpc) = self.net.routes.link_vpc(topo, *link, dst) else {
                let mut reason = self.text(|| format!(
                    "{} lands on a VPN gateway whose VPCs do not contain {dst}: a private virtual interface or VPN reaches only VPC addresses",
                    l.name
                ));
                let mut code = "route.no-route";
                let vpcs: Vec<VpcId> = match l.attach {
                    Attachment::VpnGateway(v) => vec![v],
                    Attachment::DxGateway(g) => topo.dx_gateways[g.index()].vpcs.clone(),
                };
                if let Some(ep) = vpcs
                    .iter()
                    .find_map(|v| self.gateway_endpoint_prefix(*v, dst))
                {
                    reason = self.text(|| format!(
                        "{dst} is behind the gateway endpoint {ep}, and gateway endpoints cannot be used from on premises (over Direct Connect or VPN)"
                    ));
                    code = "endpoint.gateway-not-extendable";
                }
                hop!(
                    self,
                    describe_link(l),
                    None,
                    code,
                    reason.clone(),
                    Some(l.span)
                );
                return Err(stop(Disposition::NoRoute, code, reason));
            };
            let via_dxgw = match l.attach {
                Attachment::DxGateway(g) => Some(topo.dx_gateways[g.index()].name.clone()),
                Attachment::VpnGateway(_) => None,
            };
            let failover = if down.is_empty() {
                String::new()
            } else {
                self.text(|| format!(" (failed over from {})", down.join(", ")))
            };
            hop!(
                self,
                format!("site {}", s.name),
                None,
                "site.route",
                format!(
                    "route {} via {} in order of preference: {} is up{failover}",
                    route.destination,
                    route
                        .via
                        .iter()
                        .map(|l| topo.links[l.index()].name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    l.name
                ),
                Some(route.span),
            );
            hop!(
                self,
                describe_link(l),
                Some(l.name.clone()),
                "link.selected",
                format!(
                    "carries the request into VPC {}",
                    topo.vpcs[vpc.index()].name
                ),
                Some(l.span),
            );
            self.tunnel(*link);
            if let Some(gw) = via_dxgw {
                hop!(
                    self,
                    format!("Direct Connect gateway {gw}"),
                    Some(gw),
                    "link.dx-gateway",
                    format!(
                        "forwards to the VPN gateway of VPC {}",
                        topo.vpcs[vpc.index()].name
                    ),
                    None,
                );
            }
            return self.deliver(vpc, dst, src_ip, None, None);
        }
        let reason = self.text(|| {
            format!(
                "every link of the route to {} is down: {}",
                route.destination,
                down.join(", ")
            )
        });
        Err(stop(Disposition::LinkDown, "link.down", reason))
    }

    /// The reply from `from_ip` (the interface reached) back to the client.
    pub fn back(
        &mut self,
        arrival: Arrival,
        origin: Origin,
        server_ip: IpAddr,
    ) -> Result<(), Stop> {
        let topo = self.topo;
        match arrival {
            Arrival::Eni { eni, client_ip } => {
                let e = &topo.enis[eni.index()];
                let vpc = topo.eni_vpc(eni);
                if self.coip.get(&IpAddr::V4(e.ip)) == Some(&eni)
                    && matches!(origin, Origin::Host { .. })
                {
                    hop!(
                        self,
                        "Outpost local gateway",
                        None,
                        "route.local-gateway",
                        format!("the reply returns to {client_ip} through the local gateway"),
                        None,
                    );
                    return Ok(());
                }
                let same_subnet =
                    matches!(origin, Origin::Instance { subnet, .. } if subnet == e.subnet);
                if same_subnet {
                    hop!(
                        self,
                        self.subnet_label(e.subnet),
                        None,
                        "route.local",
                        "the reply stays in the subnet",
                        None,
                    );
                    return Ok(());
                }
                self.acl(e.subnet, Direction::Outbound, client_ip, EPHEMERAL)?;
                let rt = topo.subnets[e.subnet.index()].route_table;
                let table = &topo.route_tables[rt.index()];
                let Some(sel) = self.net.routes.lookup(rt, client_ip) else {
                    let reason = self.text(|| {
                        format!(
                            "route table {} of {} has no route back to {client_ip}",
                            table.name,
                            self.subnet_label(e.subnet)
                        )
                    });
                    hop!(
                        self,
                        format!("route table {}", table.name),
                        None,
                        "route.no-return-route",
                        reason.clone(),
                        Some(table.span),
                    );
                    return Err(stop(
                        Disposition::NoReturnRoute,
                        "route.no-return-route",
                        reason,
                    ));
                };
                let detail = self.text(|| {
                    format!(
                        "{client_ip} matches {} → {}",
                        sel.route.prefix,
                        self.target_name(vpc, &sel.route.target, &sel.route.kind)
                    )
                });
                hop!(
                    self,
                    format!("route table {}", table.name),
                    None,
                    "route.selected",
                    detail,
                    Some(sel.route.span),
                );
                match (sel.route.target, origin) {
                    (Target::Local, Origin::Instance { subnet, vpc: v, .. }) if v == vpc => {
                        self.acl(subnet, Direction::Inbound, server_ip, EPHEMERAL)
                    }
                    (Target::Peering(p), Origin::Instance { subnet, vpc: v, .. })
                        if topo.peerings[p.index()].other(vpc) == Some(v) =>
                    {
                        hop!(
                            self,
                            format!("peering {}", topo.peerings[p.index()].name),
                            None,
                            "route.peering",
                            "the reply crosses back",
                            None,
                        );
                        self.acl(subnet, Direction::Inbound, server_ip, EPHEMERAL)
                    }
                    (Target::VpnGateway, Origin::Host { site }) => {
                        let link = match sel.route.kind {
                            RouteKind::Propagated { link, .. } => Some(link),
                            _ => self.net.routes.vgw_link(topo, vpc, client_ip),
                        };
                        match link {
                            Some(l) if topo.links[l.index()].site == site => {
                                let l = &topo.links[l.index()];
                                hop!(
                                    self,
                                    describe_link(l),
                                    None,
                                    "link.return",
                                    format!("the reply returns over {}", l.name),
                                    Some(l.span),
                                );
                                Ok(())
                            }
                            Some(l) => Err(stop(
                                Disposition::NoReturnRoute,
                                "route.no-return-route",
                                self.text(|| format!(
                                    "the reply to {client_ip} leaves over {}, which goes to another site",
                                    topo.links[l.index()].name
                                )),
                            )),
                            None => Err(self.vgw_failure(vpc, client_ip)),
                        }
                    }
                    (target, _) => {
                        let reason = self.text(|| format!(
                            "the reply to {client_ip} goes to {}, not back the way the request came",
                            self.target_name(vpc, &target, &sel.route.kind)
                        ));
                        hop!(
                            self,
                            format!("route table {}", table.name),
                            None,
                            "route.no-return-route",
                            reason.clone(),
                            Some(sel.route.span),
                        );
                        Err(stop(
                            Disposition::NoReturnRoute,
                            "route.no-return-route",
                            reason,
                        ))
                    }
                }
            }
            Arrival::Gateway { endpoint, .. } => {
                let e = &topo.endpoints[endpoint.index()];
                hop!(
                    self,
                    format!("gateway endpoint {}", e.name),
                    None,
                    "route.return",
                    format!("{} replies through {}", e.service, e.name),
                    None,
                );
                match origin {
                    Origin::Instance { subnet, .. } => {
                        self.acl(subnet, Direction::Inbound, server_ip, EPHEMERAL)
                    }
                    Origin::Host { .. } => Ok(()),
                }
            }
            Arrival::Internet { via_nat, .. } => match (origin, via_nat) {
                (Origin::Instance { subnet, .. }, Some(nat_ip)) => {
                    hop!(
                        self,
                        "NAT gateway",
                        None,
                        "route.return",
                        "the reply comes back through the NAT gateway",
                        None,
                    );
                    self.acl(subnet, Direction::Inbound, nat_ip, EPHEMERAL)
                }
                (Origin::Instance { subnet, .. }, None) => {
                    hop!(
                        self,
                        "internet gateway",
                        None,
                        "route.return",
                        "the reply comes back through the internet gateway",
                        None,
                    );
                    self.acl(subnet, Direction::Inbound, server_ip, EPHEMERAL)
                }
                (Origin::Host { .. }, _) => {
                    hop!(
                        self,
                        "internet",
                        None,
                        "route.return",
                        "the reply comes back over the internet",
                        None,
                    );
                    Ok(())
                }
            },
            Arrival::Site => Ok(()),
        }
    }
}

/// Address space the internet does not carry: RFC 1918, shared, link-local and loopback IPv4;
/// unique local (fc00::/7), link-local (fe80::/10), loopback and unspecified IPv6.
fn is_private(ip: IpAddr) -> bool {
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

/// Runs a trace.
pub(crate) fn run(
    eng: &Engine,
    net: &Network,
    source: Source,
    from: &str,
    req: Request,
    opts: &Options,
    rot: &mut Rotation,
) -> Trace {
    let topo = eng.topo;
    let (origin, src_ip, src_ipv6, default_principal) = match source {
        Source::Instance(i) => {
            let inst = &topo.instances[i.index()];
            let e = &topo.enis[inst.eni.index()];
            (
                Origin::Instance {
                    eni: inst.eni,
                    subnet: e.subnet,
                    vpc: inst.vpc,
                },
                e.ip,
                e.ipv6,
                inst.role,
            )
        }
        Source::Host(h) => {
            let host = &topo.hosts[h.index()];
            (
                Origin::Host { site: host.site },
                host.ip,
                host.ipv6,
                host.principal,
            )
        }
        _ => {
            let mut t = empty_trace(req, from, IpAddr::V4(Ipv4Addr::UNSPECIFIED), None);
            t.disposition = Disposition::Unsupported;
            t.code = "source.not-a-host";
            if !opts.quiet {
                t.reason = format!(
                    "'{from}' is a DNS view; requests start at an instance or an on-premises host"
                );
            }
            return t;
        }
    };
    let principal = opts.principal.unwrap_or(default_principal);
    let mut t = empty_trace(req, from, IpAddr::V4(src_ip), principal);
    let s3host = if t.request.scheme.is_empty() {
        None
    } else {
        S3Host::parse(&t.request.host)
    };
    t.s3 = s3host.as_ref().map(|h| S3Call::new(h, &t.request));

    // 1. The name.
    let dst: IpAddr = match t.request.host_ip() {
        Some(ip) => ip,
        None => {
            let view = vpcsim_dns::view_of(topo, source);
            let res = if opts.quiet {
                eng.resolve_quiet(net, view, &t.request.host, RecordType::A, rot)
            } else {
                eng.resolve(net, view, &t.request.host, RecordType::A, rot)
            };
            let first = res.addresses().first().copied().map(IpAddr::V4);
            let status = res.status();
            t.dns = Some(res);
            match first {
                Some(ip) => ip,
                None => {
                    t.disposition = Disposition::DnsFailure;
                    t.code = "dns.failure";
                    if !opts.quiet {
                        let last = t.dns.as_ref().and_then(|r| r.steps.last());
                        let last = last.map_or("", |s| s.detail.as_str());
                        t.reason =
                            format!("{} does not resolve ({status}): {last}", t.request.host);
                    }
                    return t;
                }
            }
        }
    };
    t.destination = Some(dst);
    // The source address of the family of the destination.
    let src_ip = match dst {
        IpAddr::V4(_) => IpAddr::V4(src_ip),
        IpAddr::V6(_) => match src_ipv6 {
            Some(v6) => IpAddr::V6(v6),
            None => {
                t.disposition = Disposition::NoRoute;
                t.code = "source.no-ipv6";
                if !opts.quiet {
                    t.reason = format!(
                        "{dst} is an IPv6 address and {from} has none (put it in a dual-stack subnet, one with `ipv6_cidr`, or give the host `ipv6`)"
                    );
                }
                return t;
            }
        },
    };
    t.source_ip = src_ip;

    // 2. There and back.
    let mut w = Walker {
        topo,
        net,
        // The trace's preallocated vectors: forward first, then back.
        hops: std::mem::take(&mut t.forward),
        eni_by_ip: &eng.eni_by_ip,
        coip: &eng.coip,
        port: t.request.port,
        protocol: Protocol::Tcp,
        // IPv4 needs a public address at an internet gateway; an instance's IPv6 address is
        // globally unique and is its own public address.
        public_ip: match (source, src_ip) {
            (Source::Instance(_), IpAddr::V6(_)) => Some(src_ip),
            (Source::Instance(i), IpAddr::V4(_)) => {
                topo.instances[i.index()].public_ip.map(IpAddr::V4)
            }
            _ => None,
        },
        quiet: opts.quiet,
    };
    let arrival = match w.forward(origin, src_ip, dst) {
        Ok(a) => a,
        Err(s) => {
            t.forward = w.hops;
            t.disposition = s.disposition;
            t.code = s.code;
            t.reason = s.reason;
            return t;
        }
    };
    t.forward = std::mem::replace(&mut w.hops, std::mem::take(&mut t.back));
    let back = w.back(arrival, origin, dst);
    t.back = std::mem::take(&mut w.hops);
    if let Err(s) = back {
        t.disposition = s.disposition;
        t.code = s.code;
        t.reason = s.reason;
        return t;
    }

    // 3. The service and its policies.
    let call = t.s3.take();
    let (quiet, host) = (opts.quiet, s3host.as_ref());
    crate::service::reach(eng, quiet, &mut t, call.as_ref(), arrival, origin, host);
    t.s3 = call;
    t
}

fn empty_trace(
    request: Request,
    from: &str,
    source_ip: IpAddr,
    principal: Option<vpcsim_topology::model::PrincipalId>,
) -> Trace {
    Trace {
        request,
        from: from.to_string(),
        source_ip,
        principal,
        dns: None,
        destination: None,
        // Room for the hops of a typical trace (about a dozen there, half as many back).
        forward: Vec::with_capacity(16),
        back: Vec::with_capacity(8),
        access: None,
        s3: None,
        context: Vec::new(),
        policy: None,
        disposition: Disposition::Unsupported,
        verdict: Verdict::Unreachable,
        code: "",
        reason: String::new(),
    }
}

/// Address indexes the walk needs, built once per engine.
pub(crate) fn indexes(
    topo: &Topology,
) -> (FastMap<(VpcId, IpAddr), EniId>, FastMap<IpAddr, EniId>) {
    let mut by_ip = FastMap::default();
    let mut coip = FastMap::default();
    for (i, e) in topo.enis.iter().enumerate() {
        let id = EniId(i as u32);
        if let EniOwner::OutpostXeni(o, _) = e.owner
            && topo.outposts[o.index()].coip_pool.is_some()
        {
            coip.insert(IpAddr::V4(e.ip), id);
            continue;
        }
        let vpc = topo.subnets[e.subnet.index()].vpc;
        by_ip.insert((vpc, IpAddr::V4(e.ip)), id);
        if let Some(v6) = e.ipv6 {
            by_ip.insert((vpc, IpAddr::V6(v6)), id);
        }
    }
    (by_ip, coip)
}

/// Decides whether forwarded DNS queries get through by walking them like any packet: UDP 53 from
/// the forwarding resolver (an on-premises resolver, or a VPC's outbound Resolver endpoint) to the
/// target, with security groups, network ACLs, routes, links and the reply path.
pub(crate) struct PathNet<'a> {
    /// The engine.
    pub engine: &'a Engine<'a>,
    /// The routes for the failure set in force.
    pub net: &'a Network,
}

impl vpcsim_dns::Network for PathNet<'_> {
    fn dns_reachable(&self, from: View, to: std::net::IpAddr) -> Result<Option<String>, String> {
        let dst = to;
        let topo = self.engine.topo;
        let (origin, src_ip) = match from {
            View::Site(s) => match topo.sites[s.index()].dns.as_ref() {
                Some(d) => (Origin::Host { site: s }, d.resolver),
                None => return Ok(None),
            },
            View::Vpc(v) | View::Inbound(v) => {
                let Some(out) = topo.vpcs[v.index()].outbound_resolver else {
                    return Ok(None);
                };
                let Some(&eni) = topo.resolver_endpoints[out.index()].enis.first() else {
                    return Ok(None);
                };
                let e = &topo.enis[eni.index()];
                (
                    Origin::Instance {
                        eni,
                        subnet: e.subnet,
                        vpc: v,
                    },
                    e.ip,
                )
            }
            View::Public => return Ok(None),
        };
        let mut w = Walker {
            topo,
            net: self.net,
            hops: Vec::new(),
            eni_by_ip: &self.engine.eni_by_ip,
            coip: &self.engine.coip,
            port: 53,
            protocol: Protocol::Udp,
            public_ip: None,
            quiet: false,
        };
        let src_ip = IpAddr::V4(src_ip);
        let arrival = w.forward(origin, src_ip, dst).map_err(|s| s.reason)?;
        w.back(arrival, origin, dst).map_err(|s| s.reason)?;
        let via: Vec<String> = w.hops.iter().filter_map(|h| h.component.clone()).collect();
        Ok((!via.is_empty()).then(|| format!("over {}", via.join(", "))))
    }
}

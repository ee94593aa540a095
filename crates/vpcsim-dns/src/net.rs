//! Whether a forwarded DNS query reaches its target over the network.
//!
//! Forwarding is where DNS meets routing: an on-premises resolver forwards to an inbound Resolver
//! endpoint over Direct Connect or VPN, and a Resolver rule forwards to an on-premises resolver
//! through the outbound endpoint. [`Network`] lets the caller decide; [`LinkState`] decides from the
//! topology's site routes, link attachments and the links a scenario takes down.

use std::net::IpAddr;

use vpcsim_topology::Topology;
use vpcsim_topology::model::{Attachment, LinkId, SiteId, VpcId};

use crate::View;

/// Decides whether a DNS query from a resolver reaches the DNS server at an address.
pub trait Network {
    /// `Ok(Some(path))` reachable over `path` (`over dx-primary`), `Ok(None)` reachable with
    /// nothing to say, `Err(why)` unreachable.
    fn dns_reachable(&self, from: View, to: IpAddr) -> Result<Option<String>, String>;
}

/// Every target is reachable.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unconstrained;

impl Network for Unconstrained {
    fn dns_reachable(&self, _: View, _: IpAddr) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// Reachability between sites and VPCs from the links that are up: a site reaches a VPC address
/// through the first link of its most specific route that is up and lands on that VPC's VPN gateway
/// (directly or through a Direct Connect gateway); a VPC reaches a site through any link up on its
/// VPN gateway that advertises the address. Traffic inside AWS (VPC to VPC) is not constrained here.
#[derive(Clone, Copy, Debug)]
pub struct LinkState<'a> {
    topo: &'a Topology,
    down: &'a [(LinkId, Option<usize>)],
}

impl<'a> LinkState<'a> {
    /// Links and tunnels in `down` are failed (a VPN is down when both its tunnels are).
    pub fn new(topo: &'a Topology, down: &'a [(LinkId, Option<usize>)]) -> Self {
        LinkState { topo, down }
    }

    /// True when the link carries traffic.
    pub fn is_up(&self, link: LinkId) -> bool {
        let l = &self.topo.links[link.index()];
        if self.down.iter().any(|(id, t)| *id == link && t.is_none()) {
            return false;
        }
        if l.tunnels.is_empty() {
            return true;
        }
        (0..l.tunnels.len()).any(|t| !self.down.contains(&(link, Some(t))))
    }

    fn lands_on(&self, link: LinkId, vpc: VpcId) -> bool {
        match self.topo.links[link.index()].attach {
            Attachment::VpnGateway(v) => v == vpc,
            Attachment::DxGateway(g) => self.topo.dx_gateways[g.index()].vpcs.contains(&vpc),
        }
    }

    fn vpc_of(&self, ip: IpAddr) -> Option<VpcId> {
        let IpAddr::V4(v4) = ip else { return None };
        self.topo
            .vpcs
            .iter()
            .position(|v| v.contains(v4))
            .map(|i| VpcId(i as u32))
    }

    fn site_of(&self, ip: IpAddr) -> Option<SiteId> {
        self.topo
            .sites
            .iter()
            .position(|s| s.cidrs.iter().any(|c| c.contains(&ip)))
            .map(|i| SiteId(i as u32))
    }

    fn names(&self, links: &[LinkId]) -> String {
        links
            .iter()
            .map(|l| self.topo.links[l.index()].name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl Network for LinkState<'_> {
    fn dns_reachable(&self, from: View, to: IpAddr) -> Result<Option<String>, String> {
        match from {
            View::Site(s) => {
                let site = &self.topo.sites[s.index()];
                let Some(vpc) = self.vpc_of(to) else {
                    return Ok(None); // another site or the internet: not modelled here
                };
                let route = site
                    .routes
                    .iter()
                    .filter(|r| r.destination.contains(&to))
                    .max_by_key(|r| r.destination.prefix_len());
                let Some(route) = route else {
                    return Err(format!("site {} has no route to {to}", site.name));
                };
                let candidates: Vec<LinkId> = route
                    .via
                    .iter()
                    .copied()
                    .filter(|l| self.lands_on(*l, vpc))
                    .collect();
                match candidates.iter().find(|l| self.is_up(**l)) {
                    Some(l) => Ok(Some(format!("over {}", self.topo.links[l.index()].name))),
                    None if candidates.is_empty() => Err(format!(
                        "no link of route {} lands on VPC {}",
                        route.destination,
                        self.topo.vpcs[vpc.index()].name
                    )),
                    None => Err(format!("link down: {}", self.names(&candidates))),
                }
            }
            View::Vpc(v) | View::Inbound(v) => {
                let Some(site) = self.site_of(to) else {
                    return Ok(None);
                };
                let links: Vec<LinkId> = self.topo.vpcs[v.index()]
                    .vpn_gateway
                    .iter()
                    .flat_map(|g| g.links.iter().copied())
                    .filter(|l| {
                        let link = &self.topo.links[l.index()];
                        link.site == site && link.advertise.iter().any(|p| p.contains(&to))
                    })
                    .collect();
                match links.iter().find(|l| self.is_up(**l)) {
                    Some(l) => Ok(Some(format!("over {}", self.topo.links[l.index()].name))),
                    None if links.is_empty() => Err(format!(
                        "VPC {} learns no route to {to} from any link",
                        self.topo.vpcs[v.index()].name
                    )),
                    None => Err(format!("link down: {}", self.names(&links))),
                }
            }
            View::Public => Ok(None),
        }
    }
}

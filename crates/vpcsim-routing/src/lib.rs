//! The forwarding model: which way a packet goes, there and back, and whether the filters on the
//! way let it pass.
//!
//! [`Graph::compile`] turns a topology into a forwarding graph: its nodes are the topology's
//! own elements (interfaces, subnets, the VPC router, internet, NAT and VPN gateways, peerings,
//! gateway endpoints, Direct Connect gateways, site routers; see `nodes`), its edges are decided by
//! compiled tables. [`Walk`] moves a [`Packet`] (a 5-tuple over IPv4 or IPv6) through it with one
//! loop: [`Walk::there`] from an [`Origin`] to an [`Arrival`] or a [`Stop`], then [`Walk::back`] on
//! the reversed packet, keeping connection tracking for security groups (stateful) and none for
//! network ACLs (stateless). [`LinkState`] — which links and tunnels are down — is the one input
//! that says what failed. Every decision is a [`Step`]: an [`Event`] naming the route, rule, link
//! or component by id, with its span and a stable code; the words are written by the engine. The
//! steps go to a [`Record`]: a `Vec<Step>`, or the caller's own records made as the walk goes.
//!
//! [`Routes`] holds every route table as a prefix trie over IPv4 and IPv6 with all candidate
//! routes per prefix (local, static, prefix-list routes of gateway endpoints, routes propagated
//! over links), each compiled the first time a lookup needs it (a trace touches a handful of
//! tables, not every table of a large topology); [`Routes::lookup`] applies AWS's priority rules (`route-tables-priority`,
//! `vpn-route-priority`) for a link state: longest prefix first, leaving out routes whose link is
//! down; the local route wins over a propagated route even a more specific one; on one prefix,
//! static routes beat prefix-list routes, which beat propagated routes, in the order Direct Connect
//! BGP, VPN static, VPN BGP, then the shorter AS_PATH.
//!
//! [`filters`] evaluates security groups (allow-only, on every network interface) and network ACLs
//! (ordered rules, on every subnet boundary, both directions).
//!
//! Invariant: pure; each part compiled at most once per topology (the route tables lazily, each
//! behind its own `OnceLock`, from the topology alone; within a table, each prefix's selection
//! with all its routes available, the usual lookup, made once behind its own `OnceLock` and
//! shared) and then read-only; a walk depends only on the graph, the link state and the packet,
//! never on what was compiled before it. Each decision names the route or rule that made it, with
//! its span in the topology file.

pub mod filters;
mod graph;
mod links;
mod nodes;
mod walk;

pub use graph::Graph;

use graph::FastMap;
pub use links::LinkState;
pub use nodes::is_private;
pub use walk::{
    Arrival, Disposition, EPHEMERAL, Event, LocalGatewayFrom, Origin, Packet, Record, Step, Stop,
    Walk,
};

use std::net::IpAddr;
use std::sync::Arc;

use ipnet::IpNet;
use prefix_trie::joint::map::JointPrefixMap;
use vpcsim_topology::Topology;
use vpcsim_topology::model::Link;
use vpcsim_topology::model::Span;
use vpcsim_topology::model::{
    Attachment, Destination, LinkId, LinkType, PrefixListId, RouteTableId, Routing, Target, VpcId,
};

/// Where a propagated route was learned, in AWS's order of preference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Learned {
    /// Direct Connect BGP.
    DirectConnect,
    /// Site-to-Site VPN static route.
    VpnStatic,
    /// Site-to-Site VPN BGP.
    VpnBgp,
}

/// How a candidate route got into the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// The VPC's own CIDR.
    Local,
    /// Written in the route table.
    Static,
    /// A prefix-list route (gateway endpoints).
    PrefixList(PrefixListId),
    /// Propagated from the VPN gateway, learned over a link.
    Propagated {
        /// The link.
        link: LinkId,
        /// How.
        learned: Learned,
        /// AS_PATH length (1 + prepends).
        as_path: u32,
    },
}

impl RouteKind {
    fn rank(&self) -> (u8, u8, u32) {
        match *self {
            RouteKind::Local => (0, 0, 0),
            RouteKind::Static => (1, 0, 0),
            RouteKind::PrefixList(_) => (2, 0, 0),
            RouteKind::Propagated {
                learned, as_path, ..
            } => (3, learned as u8, as_path),
        }
    }
}

/// A route as the table holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The prefix, IPv4 or IPv6 (a prefix-list route contributes one candidate per CIDR of the
    /// list).
    pub prefix: IpNet,
    /// The target.
    pub target: Target,
    /// How it got there.
    pub kind: RouteKind,
    /// Where it is written (for propagated routes: the link).
    pub span: Span,
}

/// The route a lookup selected, with the routes it beat on the same prefix.
#[derive(Clone, Debug, PartialEq)]
pub struct Selected {
    /// The winner.
    pub route: Candidate,
    /// Other candidates for the same prefix, best first.
    pub beaten: Vec<Candidate>,
    /// Why the winner won, when a rule beyond "longest prefix" decided.
    pub rule: Option<&'static str>,
}

/// One prefix of a compiled route table: its candidate routes, best first, and the selection
/// they make when all are available (the usual case), made the first time a lookup needs it and
/// then shared by every lookup that makes it.
#[derive(Clone, Debug, Default)]
struct Prefix {
    cands: Vec<Candidate>,
    selected: std::sync::OnceLock<Arc<Selected>>,
}

/// Every route table of a topology, each compiled the first time a lookup needs it and then kept:
/// all candidate routes per prefix, the propagated ones with the link they were learned over, so
/// that a lookup can leave out the links that are down ([`LinkState`]) without compiling again.
/// A table is compiled from the topology alone, so the order tables are compiled in changes no
/// answer; each has its own [`OnceLock`](std::sync::OnceLock), so concurrent walks share no lock
/// once it is compiled.
#[derive(Clone, Debug)]
pub struct Routes<'t> {
    topo: &'t Topology,
    /// Boxed: a table never looked up costs a pointer.
    tables: Vec<std::sync::OnceLock<Box<Table>>>,
}

/// One compiled route table.
#[derive(Clone, Debug)]
struct Table {
    /// Every prefix (host bits cleared) with its candidate routes, best first.
    prefixes: Vec<(IpNet, Prefix)>,
    /// The index of each prefix in `prefixes`: the longest IPv6 match, the prefixes covering an
    /// address, a prefix exactly.
    map: JointPrefixMap<IpNet, usize>,
    /// The longest IPv4 match, the lookup of every walk's every hop.
    v4: V4Index,
    /// The VPC's CIDRs (the local routes).
    local: Vec<IpNet>,
}

/// How a table finds the longest IPv4 prefix containing an address, without the trie's walk down
/// 32 bits (a few hundred instructions).
#[derive(Clone, Debug)]
enum V4Index {
    /// A table of at most [`SCAN`] prefixes (a spoke's: its VPC, a few static routes, a gateway
    /// endpoint's prefix list): (network, mask, index into `prefixes`), longest first, so the
    /// first match is the longest prefix; a few masks and compares.
    Scan(Box<[(u32, u32, usize)]>),
    /// A larger table (a hub's route to each spoke): per prefix length present, longest first,
    /// the length's mask and its prefixes by network; one hash lookup per length tried.
    ByLength(Box<[(u32, FastMap<u32, usize>)]>),
}

/// The most prefixes a table may have to be scanned for its longest IPv4 match.
const SCAN: usize = 16;

impl V4Index {
    /// The index of `prefixes`, the IPv4 prefixes of a table (with their index into it).
    fn new(prefixes: impl Iterator<Item = (ipnet::Ipv4Net, usize)>) -> Self {
        // (length, network, mask, index), longest first.
        let mut v4: Vec<(u8, u32, u32, usize)> = prefixes
            .map(|(n, i)| {
                let (net, mask) = (u32::from(n.network()), u32::from(n.netmask()));
                (n.prefix_len(), net, mask, i)
            })
            .collect();
        v4.sort_by_key(|e| std::cmp::Reverse(e.0));
        if v4.len() <= SCAN {
            return V4Index::Scan(v4.iter().map(|&(_, net, mask, i)| (net, mask, i)).collect());
        }
        let mut by_length: Vec<(u8, u32, FastMap<u32, usize>)> = Vec::new();
        for (len, net, mask, i) in v4 {
            match by_length.last_mut() {
                Some((l, _, nets)) if *l == len => {
                    nets.insert(net, i);
                }
                _ => by_length.push((len, mask, [(net, i)].into_iter().collect())),
            }
        }
        V4Index::ByLength(
            by_length
                .into_iter()
                .map(|(_, mask, nets)| (mask, nets))
                .collect(),
        )
    }

    /// The index of the longest prefix containing `a`.
    fn longest(&self, a: u32) -> Option<usize> {
        match self {
            V4Index::Scan(scan) => scan
                .iter()
                .find(|(net, mask, _)| a & mask == *net)
                .map(|e| e.2),
            V4Index::ByLength(lengths) => lengths
                .iter()
                .find_map(|(mask, nets)| nets.get(&(a & mask)).copied()),
        }
    }
}

impl Table {
    /// The prefix of the longest match for `dst`, with all its candidates.
    fn longest(&self, dst: IpAddr) -> Option<&Prefix> {
        let i = match dst {
            IpAddr::V4(v4) => self.v4.longest(u32::from(v4))?,
            IpAddr::V6(_) => *self.map.get_lpm(&IpNet::from(dst))?.1,
        };
        Some(&self.prefixes[i].1)
    }

    /// The prefix `net`, exactly.
    fn get(&self, net: &IpNet) -> Option<&Prefix> {
        self.map.get(net).map(|&i| &self.prefixes[i].1)
    }
}

/// A link's name and type, for messages.
pub fn describe_link(link: &Link) -> String {
    match link.kind {
        LinkType::DirectConnect => ["Direct Connect ", &link.name].concat(),
        LinkType::Vpn => ["Site-to-Site VPN ", &link.name].concat(),
    }
}

impl<'t> Routes<'t> {
    /// The route tables of `topo`, none compiled yet: each is compiled with the routes propagated
    /// over every link (a lookup leaves out the links that are down) the first time a lookup asks
    /// for it.
    pub fn build(topo: &'t Topology) -> Routes<'t> {
        Routes {
            topo,
            tables: (0..topo.route_tables.len())
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    /// Compiles every route table now (for callers that will look up in all of them).
    pub fn compile_all(&self) {
        for i in 0..self.tables.len() {
            self.table(RouteTableId(i as u32));
        }
    }

    /// The compiled table `table`, compiled now if no lookup has needed it yet.
    fn table(&self, table: RouteTableId) -> Option<&Table> {
        let cell = self.tables.get(table.index())?;
        Some(cell.get_or_init(|| Box::new(Self::compile(self.topo, table))))
    }

    /// Compiles one route table.
    fn compile(topo: &Topology, table: RouteTableId) -> Table {
        let rt = &topo.route_tables[table.index()];
        let vpc = &topo.vpcs[rt.vpc.index()];
        let mut prefixes: Vec<(IpNet, Prefix)> = Vec::new();
        let mut map: JointPrefixMap<IpNet, usize> = JointPrefixMap::new();
        let mut add = |c: Candidate| {
            let net = c.prefix.trunc();
            let i = *map.entry(net).or_insert_with(|| {
                prefixes.push((net, Prefix::default()));
                prefixes.len() - 1
            });
            prefixes[i].1.cands.push(c);
        };
        for cidr in vpc.all_cidrs() {
            add(Candidate {
                prefix: cidr,
                target: Target::Local,
                kind: RouteKind::Local,
                span: vpc.span,
            });
        }
        for r in &rt.routes {
            match r.destination {
                Destination::Cidr(net) => add(Candidate {
                    prefix: net,
                    target: r.target,
                    kind: RouteKind::Static,
                    span: r.span,
                }),
                Destination::PrefixList(pl) => {
                    for cidr in &topo.prefix_lists[pl.index()].cidrs {
                        add(Candidate {
                            prefix: IpNet::V4(*cidr),
                            target: r.target,
                            kind: RouteKind::PrefixList(pl),
                            span: r.span,
                        });
                    }
                }
            }
        }
        if rt.propagate_vgw
            && let Some(gw) = &vpc.vpn_gateway
        {
            for link in &gw.links {
                let l = &topo.links[link.index()];
                let learned = match (l.kind, l.routing) {
                    (LinkType::DirectConnect, _) => Learned::DirectConnect,
                    (LinkType::Vpn, Routing::Static) => Learned::VpnStatic,
                    (LinkType::Vpn, Routing::Bgp) => Learned::VpnBgp,
                };
                for p in &l.advertise {
                    add(Candidate {
                        prefix: *p,
                        target: Target::VpnGateway,
                        kind: RouteKind::Propagated {
                            link: *link,
                            learned,
                            as_path: 1 + l.as_path_prepend,
                        },
                        span: l.span,
                    });
                }
            }
        }
        for (_, p) in &mut prefixes {
            p.cands.sort_by_key(|c| c.kind.rank());
        }
        let v4 = V4Index::new(
            prefixes
                .iter()
                .enumerate()
                .filter_map(|(i, (net, _))| match net {
                    IpNet::V4(n) => Some((*n, i)),
                    IpNet::V6(_) => None,
                }),
        );
        Table {
            prefixes,
            map,
            v4,
            local: vpc.all_cidrs().collect(),
        }
    }

    /// The candidates `table` holds for the longest prefix containing `dst` that has one
    /// available with `links` (a propagated route is withdrawn while its link is down, and the
    /// next shorter prefix applies). The prefix itself when none of them is withdrawn, the usual
    /// case.
    fn candidates<'a>(table: &'a Table, dst: IpAddr, links: &LinkState) -> Option<Candidates<'a>> {
        let available = |c: &Candidate| match c.kind {
            RouteKind::Propagated { link, .. } => links.link_up(link),
            _ => true,
        };
        let p = table.longest(dst)?;
        if p.cands.iter().all(available) {
            return Some(Candidates::All(p));
        }
        let mut covering: Vec<(IpNet, &Prefix)> = table
            .map
            .cover(&IpNet::from(dst))
            .map(|(net, &i)| (net, &table.prefixes[i].1))
            .collect();
        covering.sort_by_key(|(p, _)| std::cmp::Reverse(p.prefix_len()));
        covering.into_iter().find_map(|(_, p)| {
            let up: Vec<Candidate> = p.cands.iter().filter(|c| available(c)).cloned().collect();
            (!up.is_empty()).then_some(Candidates::Up(up))
        })
    }

    /// The route `table` uses for `dst` with `links`, or `None` when no route matches (shared:
    /// the usual selection of a prefix is made once).
    pub fn lookup(
        &self,
        table: RouteTableId,
        dst: IpAddr,
        links: &LinkState,
    ) -> Option<Arc<Selected>> {
        let compiled = self.table(table)?;
        let found = Self::candidates(compiled, dst, links)?;
        let cands = match &found {
            Candidates::All(p) => p.cands.as_slice(),
            Candidates::Up(up) => up.as_slice(),
        };
        let best = cands.first()?;
        // The local route wins over a propagated route, even a more specific one.
        if matches!(best.kind, RouteKind::Propagated { .. })
            && let Some(cidr) = compiled.local.iter().find(|c| c.contains(&dst))
        {
            let local = compiled
                .get(cidr)
                .and_then(|p| p.cands.iter().find(|c| c.kind == RouteKind::Local))
                .cloned()?;
            return Some(Arc::new(Selected {
                route: local,
                beaten: cands.to_vec(),
                rule: Some(
                    "the local route takes priority over propagated routes, even more specific ones",
                ),
            }));
        }
        Some(match found {
            Candidates::All(p) => Arc::clone(p.selected.get_or_init(|| Arc::new(select(cands)))),
            Candidates::Up(_) => Arc::new(select(cands)),
        })
    }

    /// The link a VPN gateway of `vpc` sends traffic for `dst` over: among the links that are up
    /// and advertise a prefix containing `dst`, the longest prefix, then Direct Connect over VPN
    /// static over VPN BGP, then the shorter AS_PATH, then the name.
    pub fn vgw_link(
        &self,
        topo: &Topology,
        vpc: VpcId,
        dst: IpAddr,
        links: &LinkState,
    ) -> Option<LinkId> {
        let gw = topo.vpcs[vpc.index()].vpn_gateway.as_ref()?;
        gw.links
            .iter()
            .filter(|l| links.link_up(**l))
            .filter_map(|l| {
                let link = &topo.links[l.index()];
                let best = link
                    .advertise
                    .iter()
                    .filter(|p| p.contains(&dst))
                    .map(|p| p.prefix_len())
                    .max()?;
                let learned = match (link.kind, link.routing) {
                    (LinkType::DirectConnect, _) => 0u8,
                    (LinkType::Vpn, Routing::Static) => 1,
                    (LinkType::Vpn, Routing::Bgp) => 2,
                };
                Some((
                    std::cmp::Reverse(best),
                    learned,
                    link.as_path_prepend,
                    link.name.clone(),
                    *l,
                ))
            })
            .min()
            .map(|t| t.4)
    }

    /// The VPC a link delivers `dst` into: its VPN gateway's VPC, or through a Direct Connect
    /// gateway the associated VPC, whose CIDRs contain `dst`; `None` when no such VPC does (a link
    /// reaches only VPC addresses).
    pub fn link_vpc(&self, topo: &Topology, link: LinkId, dst: IpAddr) -> Option<VpcId> {
        match topo.links[link.index()].attach {
            Attachment::VpnGateway(v) => Some(v).filter(|v| topo.vpcs[v.index()].contains_ip(dst)),
            Attachment::DxGateway(g) => topo.dx_gateways[g.index()]
                .vpcs
                .iter()
                .copied()
                .find(|v| topo.vpcs[v.index()].contains_ip(dst)),
        }
    }
}

/// The candidates of a lookup: a prefix's, all available, or those of the longest prefix with
/// some available.
enum Candidates<'a> {
    All(&'a Prefix),
    Up(Vec<Candidate>),
}

/// The selection candidates make, best first (not empty), by AWS's priority rules for routes of
/// the same prefix.
fn select(cands: &[Candidate]) -> Selected {
    let best = &cands[0];
    let rule = cands.get(1).map(|second| match (best.kind, second.kind) {
        (RouteKind::Static, RouteKind::PrefixList(_)) => "a static route takes priority over a prefix-list route for the same prefix",
        (RouteKind::Static | RouteKind::PrefixList(_), RouteKind::Propagated { .. }) => "a static or prefix-list route takes priority over a propagated route for the same prefix",
        (RouteKind::Propagated { learned: a, .. }, RouteKind::Propagated { learned: b, .. }) if a != b => "for the same prefix, Direct Connect BGP routes beat VPN static routes, which beat VPN BGP routes",
        (RouteKind::Propagated { .. }, RouteKind::Propagated { .. }) => "for the same prefix and origin, the shorter AS_PATH wins",
        _ => "the first of equal routes",
    });
    Selected {
        route: best.clone(),
        beaten: cands[1..].to_vec(),
        rule,
    }
}

#[cfg(test)]
mod tests {
    use super::V4Index;
    use ipnet::Ipv4Net;

    /// The longest of `nets` containing `a`, by brute force.
    fn brute(nets: &[Ipv4Net], a: std::net::Ipv4Addr) -> Option<usize> {
        (0..nets.len())
            .filter(|&i| nets[i].contains(&a))
            .max_by_key(|&i| nets[i].prefix_len())
    }

    /// Both ways of finding the longest IPv4 match (a scan for a small table, a map per prefix
    /// length for a large one) agree with brute force, the default route and host routes
    /// included.
    #[test]
    fn longest_ipv4_match_scan_and_per_length() {
        let mut nets: Vec<Ipv4Net> = ["0.0.0.0/0", "10.0.0.0/8", "10.0.4.0/22", "10.0.4.7/32"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let probes: Vec<std::net::Ipv4Addr> = [
            "10.0.4.7",
            "10.0.4.8",
            "10.0.9.1",
            "10.200.0.1",
            "192.0.2.1",
            "10.0.63.255",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for size in [nets.len(), 60] {
            // Spokes' /22s up to `size` prefixes: more than a scan takes.
            let mut k = 2;
            while nets.len() < size {
                nets.push(Ipv4Net::new(std::net::Ipv4Addr::new(10, 0, 4 * k, 0), 22).unwrap());
                k += 1;
            }
            let index = V4Index::new(nets.iter().copied().zip(0..));
            assert_eq!(
                matches!(index, V4Index::Scan(_)),
                nets.len() <= super::SCAN,
                "{} prefixes",
                nets.len()
            );
            for &a in &probes {
                assert_eq!(index.longest(u32::from(a)), brute(&nets, a), "{a}");
            }
        }
    }
}

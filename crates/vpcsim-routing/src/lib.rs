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

/// One prefix of a compiled route table: its candidate routes, best first.
#[derive(Clone, Debug, Default)]
struct Prefix {
    cands: Vec<Candidate>,
}

/// The route a lookup chose, by its place in the compiled table (a few integers, so that a walk
/// records it without copying or sharing a route): the prefix, the winning candidate among the
/// prefix's, and the rule that decided when the prefix had more than one available.
/// [`Routes::route`] gives the route, [`Choice::rule`] the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// Index of the prefix in the table.
    prefix: u32,
    /// Index of the winner among the prefix's candidates.
    route: u32,
    rule: Option<Priority>,
}

/// Why a route won over the other available routes of its prefix (or, for the local route, over a
/// more specific propagated one), by AWS's route priority ("Route priority", Amazon VPC User
/// Guide).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    /// The local route over propagated routes, even more specific ones.
    LocalOverPropagated,
    /// A static route over a prefix-list route.
    StaticOverPrefixList,
    /// A static or prefix-list route over a propagated route.
    StaticOverPropagated,
    /// Direct Connect BGP over VPN static over VPN BGP.
    Origin,
    /// The shorter AS_PATH.
    AsPath,
    /// The first of equal routes.
    First,
}

impl Priority {
    /// The rule in words.
    pub fn text(self) -> &'static str {
        match self {
            Priority::LocalOverPropagated => {
                "the local route takes priority over propagated routes, even more specific ones"
            }
            Priority::StaticOverPrefixList => {
                "a static route takes priority over a prefix-list route for the same prefix"
            }
            Priority::StaticOverPropagated => {
                "a static or prefix-list route takes priority over a propagated route for the same prefix"
            }
            Priority::Origin => {
                "for the same prefix, Direct Connect BGP routes beat VPN static routes, which beat VPN BGP routes"
            }
            Priority::AsPath => "for the same prefix and origin, the shorter AS_PATH wins",
            Priority::First => "the first of equal routes",
        }
    }

    /// The rule that puts `best` before `second`, the next available route of the same prefix.
    fn between(best: &Candidate, second: &Candidate) -> Priority {
        match (best.kind, second.kind) {
            (RouteKind::Static, RouteKind::PrefixList(_)) => Priority::StaticOverPrefixList,
            (RouteKind::Static | RouteKind::PrefixList(_), RouteKind::Propagated { .. }) => {
                Priority::StaticOverPropagated
            }
            (
                RouteKind::Propagated { learned: a, .. },
                RouteKind::Propagated { learned: b, .. },
            ) if a != b => Priority::Origin,
            (RouteKind::Propagated { .. }, RouteKind::Propagated { .. }) => Priority::AsPath,
            _ => Priority::First,
        }
    }
}

impl Choice {
    /// Why the route won, when a rule beyond "longest prefix" decided.
    pub fn rule(self) -> Option<Priority> {
        self.rule
    }
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
    /// The index of the prefix of the longest match for `dst`.
    fn longest(&self, dst: IpAddr) -> Option<usize> {
        match dst {
            IpAddr::V4(v4) => self.v4.longest(u32::from(v4)),
            IpAddr::V6(_) => self.map.get_lpm(&IpNet::from(dst)).map(|(_, &i)| i),
        }
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
    /// The prefix a lookup of `dst` with `links` uses and its available candidates (indices,
    /// best first, not empty): the longest match when all its routes are available (the usual
    /// case, nothing collected), else the longest covering prefix with a route whose link is up.
    fn candidates(table: &Table, dst: IpAddr, links: &LinkState) -> Option<(usize, Available)> {
        let available = |c: &Candidate| match c.kind {
            RouteKind::Propagated { link, .. } => links.link_up(link),
            _ => true,
        };
        let i = table.longest(dst)?;
        if table.prefixes[i].1.cands.iter().all(available) {
            return Some((i, Available::All));
        }
        let mut covering: Vec<(IpNet, usize)> = table
            .map
            .cover(&IpNet::from(dst))
            .map(|(net, &i)| (net, i))
            .collect();
        covering.sort_by_key(|(p, _)| std::cmp::Reverse(p.prefix_len()));
        covering.into_iter().find_map(|(_, i)| {
            let up: Vec<u32> = (0..table.prefixes[i].1.cands.len() as u32)
                .filter(|&c| available(&table.prefixes[i].1.cands[c as usize]))
                .collect();
            (!up.is_empty()).then_some((i, Available::Some(up)))
        })
    }

    /// The route `table` uses for `dst` with `links`, as its place in the table, or `None` when
    /// no route matches. Nothing is allocated when every route of the prefix is available.
    pub fn choose(&self, table: RouteTableId, dst: IpAddr, links: &LinkState) -> Option<Choice> {
        self.pick(table, dst, links).map(|(choice, ..)| choice)
    }

    /// [`Routes::choose`], with the table, the prefix of the longest match and its available
    /// candidates (what [`Routes::lookup`] lists as beaten). Inlined into `choose`, which drops
    /// all but the choice.
    #[inline]
    fn pick(
        &self,
        table: RouteTableId,
        dst: IpAddr,
        links: &LinkState,
    ) -> Option<(Choice, &Table, usize, Available)> {
        let compiled = self.table(table)?;
        let (p, available) = Self::candidates(compiled, dst, links)?;
        let cands = &compiled.prefixes[p].1.cands;
        let (best, second) = match &available {
            Available::All => (0, (cands.len() > 1).then_some(1)),
            Available::Some(up) => (up[0], up.get(1).copied()),
        };
        let winner = &cands[best as usize];
        // The local route wins over a propagated route, even a more specific one.
        let choice = if matches!(winner.kind, RouteKind::Propagated { .. })
            && let Some(cidr) = compiled.local.iter().find(|c| c.contains(&dst))
        {
            let local = compiled.map.get(cidr).copied()?;
            let route = compiled.prefixes[local]
                .1
                .cands
                .iter()
                .position(|c| c.kind == RouteKind::Local)?;
            Choice {
                prefix: local as u32,
                route: route as u32,
                rule: Some(Priority::LocalOverPropagated),
            }
        } else {
            Choice {
                prefix: p as u32,
                route: best,
                rule: second.map(|s| Priority::between(winner, &cands[s as usize])),
            }
        };
        Some((choice, compiled, p, available))
    }

    /// The route of `choice`, which [`Routes::choose`] made for `table`.
    ///
    /// # Panics
    /// When `choice` was not made for `table` of these routes.
    pub fn route(&self, table: RouteTableId, choice: Choice) -> &Candidate {
        let compiled = self.table(table).expect("a chosen route's table");
        &compiled.prefixes[choice.prefix as usize].1.cands[choice.route as usize]
    }

    /// The route `table` uses for `dst` with `links`, with the routes it beat on the same prefix
    /// (the available routes of the longest match, the winner's own prefix unless the local route
    /// won over them), or `None` when no route matches: [`Routes::choose`] and its route.
    pub fn lookup(&self, table: RouteTableId, dst: IpAddr, links: &LinkState) -> Option<Selected> {
        let (choice, compiled, p, available) = self.pick(table, dst, links)?;
        let cands = &compiled.prefixes[p].1.cands;
        let mut up: Vec<&Candidate> = match &available {
            Available::All => cands.iter().collect(),
            Available::Some(up) => up.iter().map(|&c| &cands[c as usize]).collect(),
        };
        if choice.rule != Some(Priority::LocalOverPropagated) {
            up.remove(0);
        }
        Some(Selected {
            route: self.route(table, choice).clone(),
            beaten: up.into_iter().cloned().collect(),
            rule: choice.rule.map(Priority::text),
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

/// Which candidates of a prefix a lookup may use.
enum Available {
    /// All (no link of theirs is down).
    All,
    /// These, best first (indices into the prefix's candidates).
    Some(Vec<u32>),
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

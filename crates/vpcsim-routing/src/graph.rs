//! The forwarding graph: a topology compiled into what a packet needs at each node (the address
//! indexes at once, each route table when a walk first needs it).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vpcsim_topology::Topology;
use vpcsim_topology::model::{EniId, EniOwner, NatGatewayId, SiteId, VpcId};

use crate::Routes;

pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

/// What owns a public address (where a reply from the internet goes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Public {
    /// An instance's public IPv4 address, or an IPv6 address of an interface in a VPC.
    Interface(EniId),
    /// A NAT gateway's Elastic IP.
    Nat(NatGatewayId),
    /// A site's internet egress address.
    Site(SiteId),
}

/// A topology compiled for forwarding. The nodes are the topology's own elements, addressed by
/// their ids (an interface, a subnet, a route table, a gateway, a link, a site router…, see
/// `nodes`); the edges are decided by the tables compiled here: every route table as a
/// longest-prefix-match trie over IPv4 and IPv6 with all its candidate routes ([`Routes`]), the
/// interfaces of each VPC by address, the customer-owned addresses of Outposts, and who owns each
/// public address. Built once per topology, each route table compiled the first time a walk
/// looks a route up in it; link state is given to each walk, not compiled in.
#[derive(Clone, Debug)]
pub struct Graph<'t> {
    /// The topology.
    pub topo: &'t Topology,
    /// Every route table.
    pub routes: Routes<'t>,
    /// The interfaces of each VPC by IPv4 address, keyed by [`v4_key`]: one integer, which
    /// hashes in a few instructions (the walk looks addresses up several times a path).
    by_ipv4: FastMap<u64, EniId>,
    /// The interfaces of each VPC by IPv6 address.
    by_ipv6: FastMap<(VpcId, Ipv6Addr), EniId>,
    pub(crate) coip: FastMap<IpAddr, EniId>,
    pub(crate) public: FastMap<IpAddr, Public>,
}

impl<'t> Graph<'t> {
    /// Compiles `topo`.
    pub fn compile(topo: &'t Topology) -> Self {
        let mut by_ipv4 = FastMap::default();
        let mut by_ipv6 = FastMap::default();
        let mut coip = FastMap::default();
        let mut public = FastMap::default();
        for (i, e) in topo.enis.iter().enumerate() {
            let id = EniId(i as u32);
            if let EniOwner::OutpostXeni(o, _) = e.owner
                && topo.outposts[o.index()].coip_pool.is_some()
            {
                coip.insert(IpAddr::V4(e.ip), id);
                continue;
            }
            let vpc = topo.subnets[e.subnet.index()].vpc;
            by_ipv4.insert(v4_key(vpc, e.ip), id);
            if let Some(v6) = e.ipv6 {
                by_ipv6.insert((vpc, v6), id);
                public.insert(IpAddr::V6(v6), Public::Interface(id));
            }
        }
        for inst in &topo.instances {
            if let Some(ip) = inst.public_ip {
                public.insert(IpAddr::V4(ip), Public::Interface(inst.eni));
            }
        }
        for (i, n) in topo.nat_gateways.iter().enumerate() {
            if let Some(ip) = n.public_ip {
                public.insert(IpAddr::V4(ip), Public::Nat(NatGatewayId(i as u32)));
            }
        }
        for (i, s) in topo.sites.iter().enumerate() {
            if let Some(ip) = s.public_ip {
                public.insert(IpAddr::V4(ip), Public::Site(SiteId(i as u32)));
            }
        }
        Graph {
            topo,
            routes: Routes::build(topo),
            by_ipv4,
            by_ipv6,
            coip,
            public,
        }
    }

    /// The interface with address `ip` in `vpc`.
    pub fn interface(&self, vpc: VpcId, ip: IpAddr) -> Option<EniId> {
        match ip {
            IpAddr::V4(v4) => self.by_ipv4.get(&v4_key(vpc, v4)).copied(),
            IpAddr::V6(v6) => self.by_ipv6.get(&(vpc, v6)).copied(),
        }
    }

    /// The Outpost X-ENI with customer-owned address `ip`.
    pub fn coip(&self, ip: IpAddr) -> Option<EniId> {
        self.coip.get(&ip).copied()
    }
}

/// The key of an IPv4 address in a VPC: the VPC's index above the address.
fn v4_key(vpc: VpcId, ip: Ipv4Addr) -> u64 {
    (u64::from(vpc.0) << 32) | u64::from(u32::from(ip))
}

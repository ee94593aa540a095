//! Link state: which Direct Connect links, VPN links and tunnels are up. The one input to the walk
//! that says what has failed (`--fail`, a scenario's `fail:`, the HTTP API's `fail`).

use vpcsim_topology::Topology;
use vpcsim_topology::model::LinkId;

/// The links and tunnels that are down, and from them whether each link carries traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkState {
    down: Vec<(LinkId, Option<usize>)>,
    up: Vec<bool>,
}

impl LinkState {
    /// Links (`None`: the whole link) and tunnels in `down` are failed. A VPN link is down when
    /// both its tunnels are.
    pub fn new(topo: &Topology, down: &[(LinkId, Option<usize>)]) -> Self {
        let mut list = down.to_vec();
        list.sort_unstable();
        list.dedup();
        let up = topo
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let id = LinkId(i as u32);
                !list.contains(&(id, None))
                    && (l.tunnels.is_empty()
                        || (0..l.tunnels.len()).any(|t| !list.contains(&(id, Some(t)))))
            })
            .collect();
        LinkState { down: list, up }
    }

    /// Every link and tunnel up.
    pub fn all_up(topo: &Topology) -> Self {
        Self::new(topo, &[])
    }

    /// What is down, sorted.
    pub fn down(&self) -> &[(LinkId, Option<usize>)] {
        &self.down
    }

    /// True when the link carries traffic.
    pub fn link_up(&self, link: LinkId) -> bool {
        self.up.get(link.index()).copied().unwrap_or(false)
    }

    /// For a VPN link, the tunnel that carries traffic (the first one up) and how many before it
    /// are down; `None` for a link without tunnels or with every tunnel down.
    pub fn tunnel(&self, topo: &Topology, link: LinkId) -> Option<usize> {
        let l = &topo.links[link.index()];
        (0..l.tunnels.len()).find(|t| !self.down.contains(&(link, Some(*t))))
    }
}

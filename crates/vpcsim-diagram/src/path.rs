//! A traced path over a scene: the nodes its hops happened at, in order, numbered as `vpcsim
//! trace` numbers its hops (there: 1, 2, 3…; back: b1, b2…), and where it failed.

use vpcsim_engine::{Hop, Trace, Verdict};
use vpcsim_routing::Disposition;
use vpcsim_topology::Element;
use vpcsim_topology::Topology;
use vpcsim_topology::model::{Attachment, Source};

use crate::scene::Scene;

/// One numbered hop on a node.
#[derive(Clone, Debug)]
pub struct Mark {
    /// The node.
    pub node: usize,
    /// `1`, `2`… there, `b1`, `b2`… back.
    pub label: String,
    /// A hop of the reply.
    pub back: bool,
    /// The hop's code.
    pub code: &'static str,
    /// The hop in words (`at: detail`), empty for a quiet trace.
    pub text: String,
}

/// How the path ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Allowed.
    Allowed,
    /// Reached the service, which refused (a policy, a wrong name).
    Denied,
    /// Stopped on the way (no route, a filter, a link down, DNS).
    Unreachable,
}

/// The path of one trace on a scene.
#[derive(Clone, Debug)]
pub struct Path {
    /// The node the request leaves from.
    pub source: Option<usize>,
    /// The numbered hops, there then back.
    pub marks: Vec<Mark>,
    /// The nodes passed there, in order (consecutive repeats merged), from the source.
    pub there: Vec<usize>,
    /// The nodes passed back, in order, from where the request arrived.
    pub back: Vec<usize>,
    /// The node where it failed (the deciding hop's), if it did.
    pub failed: Option<usize>,
    /// How it ended.
    pub end: End,
    /// `REQUEST from SOURCE`.
    pub title: String,
    /// `verdict (code): reason`.
    pub verdict: String,
}

impl Path {
    /// The path of `t` on `scene`.
    pub fn new(topo: &Topology, scene: &Scene, t: &Trace) -> Path {
        let source = topo.find_sender(&t.from).ok().and_then(|s| match s {
            Source::Instance(i) => scene.node_of(Element::Interface(topo.instances[i.index()].eni)),
            Source::Host(h) => scene.node_of(Element::Host(h)),
            _ => None,
        });
        let mut marks = Vec::new();
        let mut there: Vec<usize> = source.into_iter().collect();
        let mut back: Vec<usize> = Vec::new();
        let mut push = |hops: &[Hop], is_back: bool, seq: &mut Vec<usize>| {
            for (i, h) in hops.iter().enumerate() {
                let Some(n) = h.element().and_then(|e| scene.node_of(e)) else {
                    continue;
                };
                let label = if is_back {
                    format!("b{}", i + 1)
                } else {
                    format!("{}", i + 1)
                };
                let text = match (h.at().is_empty(), h.detail().is_empty()) {
                    (true, _) => String::new(),
                    (false, true) => h.at().to_string(),
                    (false, false) => format!("{}: {}", h.at(), h.detail()),
                };
                marks.push(Mark {
                    node: n,
                    label,
                    back: is_back,
                    code: h.code(),
                    text,
                });
                // A link tried and found down is numbered, not passed.
                let tried =
                    h.code() == "link.down" && matches!(h.element(), Some(Element::Link(_)));
                if !tried {
                    step_to(topo, scene, seq, n);
                }
            }
        };
        push(&t.forward, false, &mut there);
        if !t.back.is_empty() {
            back.extend(there.last().copied());
            push(&t.back, true, &mut back);
            if t.disposition == Disposition::Delivered
                && let Some(s) = source
                && back.last() != Some(&s)
            {
                back.push(s);
            }
        }
        let end = match t.verdict {
            Verdict::Allowed => End::Allowed,
            Verdict::Denied => End::Denied,
            Verdict::Unreachable => End::Unreachable,
        };
        let failed = match end {
            End::Allowed => None,
            End::Denied => there.last().copied(),
            End::Unreachable => {
                let last = |hops: &[Hop]| {
                    hops.iter()
                        .rev()
                        .find_map(|h| h.element().and_then(|e| scene.node_of(e)))
                };
                if t.back.is_empty() {
                    last(&t.forward).or(source)
                } else {
                    last(&t.back)
                }
            }
        };
        let title = format!("{} from {}", t.request.text(), t.from);
        let verdict = if t.reason.is_empty() {
            format!("{} ({})", t.verdict.as_str(), t.code)
        } else {
            format!("{} ({}): {}", t.verdict.as_str(), t.code, t.reason)
        };
        Path {
            source,
            marks,
            there,
            back,
            failed,
            end,
            title,
            verdict,
        }
    }

    /// The labels of the hops at `node`, in order.
    pub fn labels_at(&self, node: usize) -> impl Iterator<Item = &Mark> {
        self.marks.iter().filter(move |m| m.node == node)
    }
}

/// Appends `n` to a sequence of nodes passed, merging repeats, and going through the gateway a
/// link lands on between the link and anything but its site (a packet into a VPC over a link
/// passes its VPN gateway or Direct Connect gateway, which draws no hop of its own).
fn step_to(topo: &Topology, scene: &Scene, seq: &mut Vec<usize>, n: usize) {
    let link_of = |i: usize| match scene.nodes[i].element {
        Some(Element::Link(l)) => Some(l),
        _ => None,
    };
    let lands = |l: vpcsim_topology::model::LinkId| {
        let link = &topo.links[l.index()];
        let at = match link.attach {
            Attachment::VpnGateway(v) => Element::VpnGateway(v),
            Attachment::DxGateway(g) => Element::DxGateway(g),
        };
        (scene.node_of(Element::Site(link.site)), scene.node_of(at))
    };
    if let Some(&last) = seq.last() {
        if last == n {
            return;
        }
        if let Some(l) = link_of(last) {
            let (site, gw) = lands(l);
            if Some(n) != site
                && Some(n) != gw
                && let Some(g) = gw
            {
                seq.push(g);
            }
        } else if let Some(l) = link_of(n) {
            let (site, gw) = lands(l);
            if Some(last) != site
                && Some(last) != gw
                && let Some(g) = gw
            {
                seq.push(g);
            }
        }
    }
    seq.push(n);
}

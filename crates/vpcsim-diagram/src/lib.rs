//! Pictures of a topology, with a traced path drawn on them.
//!
//! A [`Diagram`] is made in three pure steps:
//! 1. **Scene** ([`scene`]): the topology as a tree of nodes — columns for the sites, the
//!    connections (links, Direct Connect gateways, peerings), AWS (Regions → VPCs → the VPC's
//!    gateways, endpoints, route tables, Resolver endpoints and hosted zones, then its
//!    Availability Zones → subnets → interfaces and Outposts) and the internet — plus the lines
//!    between them (links to their site and gateway, peerings to their VPCs). Each node is an
//!    [`Element`](vpcsim_topology::Element) under its stable id (`Topology::element_id`), the id
//!    trace hops and `GET /topology` use.
//! 2. **Path** ([`path`]): a [`Trace`]'s hops mapped onto the nodes they happened at, numbered as
//!    `vpcsim trace` numbers them (1, 2… there; b1, b2… back), and the node where it failed.
//! 3. **Output**: SVG ([`svg`]) through a nested-box [`layout`] whose boxes are sized from their
//!    text (so labels never overlap), or Graphviz DOT and Mermaid ([`text`]), which leave the
//!    layout to those tools.
//!
//! Invariant: pure and deterministic — the same topology, link state and trace give the same
//! bytes. It decides nothing: link state and paths come from the engine.

pub mod layout;
pub mod path;
pub mod scene;
pub mod svg;
pub mod text;

use serde_json::{Value, json};
use vpcsim_engine::Trace;
use vpcsim_routing::LinkState;
use vpcsim_topology::Topology;

pub use path::Path;
pub use scene::Scene;

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable Vector Graphics, self-contained.
    Svg,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

/// A picture of a topology, maybe with a path.
#[derive(Clone, Debug)]
pub struct Diagram {
    /// What is drawn.
    pub scene: Scene,
    /// The traced path drawn on it.
    pub path: Option<Path>,
}

impl Diagram {
    /// The topology with `links`' failures drawn.
    pub fn new(topo: &Topology, links: &LinkState) -> Self {
        Diagram {
            scene: Scene::build(topo, links),
            path: None,
        }
    }

    /// Draws `trace`'s path (an explained trace puts its hops' words in the caption).
    pub fn with_trace(mut self, topo: &Topology, trace: &Trace) -> Self {
        self.path = Some(Path::new(topo, &self.scene, trace));
        self
    }

    /// The picture in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Svg => svg::render(&self.scene, self.path.as_ref()),
            Format::Dot => text::dot(&self.scene, self.path.as_ref()),
            Format::Mermaid => text::mermaid(&self.scene, self.path.as_ref()),
        }
    }

    /// The scene as data, for `GET /topology`: every element with its id, kind, name, facts and
    /// container, and every connection.
    pub fn json(&self) -> Value {
        let s = &self.scene;
        let elements: Vec<Value> = svg::dfs(s)
            .into_iter()
            .filter(|&i| s.nodes[i].element.is_some())
            .map(|i| {
                let n = &s.nodes[i];
                // The nearest container that is an element (columns and strips are layout).
                let mut parent = n.parent;
                while let Some(p) = parent {
                    if s.nodes[p].element.is_some() {
                        break;
                    }
                    parent = s.nodes[p].parent;
                }
                let mut facts = serde_json::Map::new();
                for (k, v) in &n.facts {
                    match facts.get_mut(*k) {
                        Some(Value::Array(a)) => a.push(json!(v)),
                        Some(other) => *other = json!([other.clone(), v]),
                        None => {
                            facts.insert((*k).to_string(), json!(v));
                        }
                    }
                }
                json!({
                    "id": n.id,
                    "kind": n.kind.as_str(),
                    "name": n.label,
                    "parent": parent.map(|p| s.nodes[p].id.clone()),
                    "facts": facts,
                    "up": n.up,
                })
            })
            .collect();
        let connections: Vec<Value> = s
            .edges
            .iter()
            .map(|e| {
                json!({
                    "kind": e.kind.as_str(),
                    "from": s.nodes[e.from].id,
                    "to": s.nodes[e.to].id,
                    "up": e.up,
                })
            })
            .collect();
        json!({ "elements": elements, "connections": connections })
    }
}

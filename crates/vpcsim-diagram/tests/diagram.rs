//! Diagrams of every shipped topology, without a browser: the SVG parses as XML, every component
//! of the topology is drawn under its element id, no two boxes of one container overlap and each
//! box holds its text, and the path of every request expectation is marked on the elements its
//! hops name (the failing one marked `failed`). DOT and Mermaid output name every element too.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use vpcsim_diagram::layout::{self, LINE, PAD, text_width};
use vpcsim_diagram::{Diagram, Format};
use vpcsim_dns::Rotation;
use vpcsim_engine::{Engine, Options, Verdict};
use vpcsim_routing::LinkState;
use vpcsim_topology::model::{
    Check, DxGatewayId, EndpointId, EniId, HostId, LinkId, OutpostId, PeeringId, RouteTableId,
    SiteId, Source, SubnetId, VpcId,
};
use vpcsim_topology::{Element, StdFs, Topology};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn topologies() -> Vec<(PathBuf, Topology)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("topologies"))
        .expect("topologies/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let loaded = vpcsim_topology::load(&p, &StdFs).expect("readable");
            let topo = loaded.topology.expect("valid");
            (p, topo)
        })
        .collect()
}

/// Every element a diagram must show.
fn elements(topo: &Topology) -> Vec<Element> {
    let mut v = Vec::new();
    v.extend((0..topo.vpcs.len()).map(|i| Element::Vpc(VpcId(i as u32))));
    v.extend((0..topo.subnets.len()).map(|i| Element::Subnet(SubnetId(i as u32))));
    v.extend((0..topo.route_tables.len()).map(|i| Element::RouteTable(RouteTableId(i as u32))));
    v.extend((0..topo.enis.len()).map(|i| Element::Interface(EniId(i as u32))));
    v.extend((0..topo.endpoints.len()).map(|i| Element::Endpoint(EndpointId(i as u32))));
    v.extend((0..topo.links.len()).map(|i| Element::Link(LinkId(i as u32))));
    v.extend((0..topo.sites.len()).map(|i| Element::Site(SiteId(i as u32))));
    v.extend((0..topo.hosts.len()).map(|i| Element::Host(HostId(i as u32))));
    v.extend((0..topo.peerings.len()).map(|i| Element::Peering(PeeringId(i as u32))));
    v.extend((0..topo.dx_gateways.len()).map(|i| Element::DxGateway(DxGatewayId(i as u32))));
    v.extend((0..topo.outposts.len()).map(|i| Element::Outpost(OutpostId(i as u32))));
    for (i, vpc) in topo.vpcs.iter().enumerate() {
        let id = VpcId(i as u32);
        if vpc.internet_gateway.is_some() {
            v.push(Element::InternetGateway(id));
        }
        if vpc.vpn_gateway.is_some() {
            v.push(Element::VpnGateway(id));
        }
        v.extend(
            [vpc.inbound_resolver, vpc.outbound_resolver]
                .into_iter()
                .flatten()
                .map(Element::ResolverEndpoint),
        );
        v.extend(vpc.hosted_zones.iter().map(|&z| Element::HostedZone(z)));
    }
    v
}

/// `data-id` → `class` of every SVG element that has one.
fn ids(svg: &str) -> HashMap<String, String> {
    let doc = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    doc.descendants()
        .filter_map(|n| {
            Some((
                n.attribute("data-id")?.to_string(),
                n.attribute("class").unwrap_or_default().to_string(),
            ))
        })
        .filter(|(_, c)| c.contains("node"))
        .collect()
}

#[test]
fn every_component_is_drawn_under_its_id() {
    for (path, topo) in topologies() {
        let d = Diagram::new(&topo, &LinkState::all_up(&topo));
        let svg = d.render(Format::Svg);
        let drawn = ids(&svg);
        let dot = d.render(Format::Dot);
        for e in elements(&topo) {
            let id = topo.element_id(e);
            assert!(
                drawn.contains_key(&id),
                "{}: {id} is not drawn",
                path.display()
            );
            assert!(
                dot.contains(&format!("id=\"{id}\"")) || dot.contains(&format!("id=\"{id}\";")),
                "{}: {id} is not in the DOT output",
                path.display()
            );
        }
        // Ids are unique.
        let mut seen = HashSet::new();
        for n in &d.scene.nodes {
            assert!(seen.insert(&n.id), "{}: id {} twice", path.display(), n.id);
        }
        let mermaid = d.render(Format::Mermaid);
        assert_eq!(
            mermaid.matches("subgraph ").count(),
            mermaid.lines().filter(|l| l.trim() == "end").count(),
            "{}: every Mermaid subgraph ends",
            path.display()
        );
        assert_eq!(dot.matches('{').count(), dot.matches('}').count());
    }
}

#[test]
fn boxes_hold_their_text_and_never_overlap() {
    for (path, topo) in topologies() {
        let d = Diagram::new(&topo, &LinkState::all_up(&topo));
        let s = &d.scene;
        let l = layout::layout(s, &vec![0.0; s.nodes.len()]);
        let reachable: HashSet<usize> = vpcsim_diagram::svg::dfs(s).into_iter().collect();
        for &i in &reachable {
            let n = &s.nodes[i];
            let b = l.boxes[i];
            let widest = n
                .lines()
                .iter()
                .map(|t| text_width(t))
                .fold(text_width(&n.label), f64::max);
            assert!(
                b.w >= widest + 2.0 * PAD - 0.01,
                "{}: {} is narrower than its text",
                path.display(),
                n.id
            );
            if !n.label.is_empty() {
                assert!(b.h >= LINE * (1 + n.lines().len()) as f64);
            }
            if let Some(p) = n.parent {
                assert!(
                    l.boxes[p].contains(&b),
                    "{}: {} sticks out of {}: {:?} {:?}",
                    path.display(),
                    n.id,
                    s.nodes[p].id,
                    b,
                    l.boxes[p]
                );
            }
            for (a, &x) in n.children.iter().enumerate() {
                for &y in &n.children[a + 1..] {
                    assert!(
                        !l.boxes[x].overlaps(&l.boxes[y]),
                        "{}: {} overlaps {}",
                        path.display(),
                        s.nodes[x].id,
                        s.nodes[y].id
                    );
                }
                // A child starts below its container's name and facts.
                assert!(l.boxes[x].y >= b.y + l.header[i] - 0.01);
            }
        }
        for (a, &x) in s.roots.iter().enumerate() {
            for &y in &s.roots[a + 1..] {
                assert!(!l.boxes[x].overlaps(&l.boxes[y]));
            }
        }
    }
}

fn sender(topo: &Topology, s: Source) -> Option<String> {
    match s {
        Source::Instance(i) => {
            let inst = &topo.instances[i.index()];
            Some(format!(
                "{}/{}",
                topo.vpcs[inst.vpc.index()].name,
                inst.name
            ))
        }
        Source::Host(h) => {
            let host = &topo.hosts[h.index()];
            Some(format!(
                "{}/{}",
                topo.sites[host.site.index()].name,
                host.name
            ))
        }
        _ => None,
    }
}

#[test]
fn the_path_of_every_expectation_is_marked() {
    let mut paths = 0;
    for (path, topo) in topologies() {
        let engine = Engine::new(&topo);
        let mut runs = vec![(Vec::new(), &topo.expectations)];
        runs.extend(
            topo.scenarios
                .iter()
                .map(|s| (s.fail.clone(), &s.expectations)),
        );
        for (down, expectations) in runs {
            let net = engine.network(&down);
            for x in expectations {
                let Check::Request {
                    request, principal, ..
                } = &x.check
                else {
                    continue;
                };
                let Some(from) = sender(&topo, x.from) else {
                    continue;
                };
                let opts = Options {
                    principal: *principal,
                    ..Options::default()
                };
                let mut t = engine
                    .trace(&net, x.from, &from, request, &opts, &mut Rotation::new())
                    .expect("a valid request");
                engine.render(&mut t);
                let d = Diagram::new(&topo, &net.links).with_trace(&topo, &t);
                let svg = d.render(Format::Svg);
                let drawn = ids(&svg);
                let what = format!("{}: {}", path.display(), x.name);
                for h in t.forward.iter().chain(&t.back) {
                    let Some(e) = h.element() else { continue };
                    let id = topo.element_id(e);
                    let class = drawn
                        .get(&id)
                        .unwrap_or_else(|| panic!("{what}: {id} drawn"));
                    assert!(
                        ["on-path", "failed", "source"]
                            .iter()
                            .any(|c| class.split(' ').any(|k| k == *c)),
                        "{what}: hop at {id} is not marked ({class})"
                    );
                }
                let failed = drawn.values().filter(|c| c.contains("failed")).count();
                match t.verdict {
                    Verdict::Allowed => assert_eq!(failed, 0, "{what}: nothing failed"),
                    _ => assert_eq!(failed, 1, "{what}: one node failed"),
                }
                // One badge per hop that names an element.
                let badges = svg.matches("class=\"badge ").count();
                let named = t
                    .forward
                    .iter()
                    .chain(&t.back)
                    .filter(|h| h.element().is_some_and(|e| d.scene.node_of(e).is_some()))
                    .count();
                assert_eq!(badges, named, "{what}: badges");
                assert!(svg.contains(&format!(">{}", super_escape(t.request.text()))));
                paths += 1;
            }
        }
    }
    assert!(paths > 20, "only {paths} paths drawn");
}

fn super_escape(s: &str) -> String {
    vpcsim_diagram::svg::esc(s)
}

#[test]
fn diagrams_are_deterministic() {
    for (_, topo) in topologies() {
        let a = Diagram::new(&topo, &LinkState::all_up(&topo)).render(Format::Svg);
        let b = Diagram::new(&topo, &LinkState::all_up(&topo)).render(Format::Svg);
        assert_eq!(a, b);
    }
}

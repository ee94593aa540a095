//! The picture as text for other tools: Graphviz DOT (containers as clusters) and Mermaid
//! flowcharts (containers as subgraphs), with the path's hops on the nodes and its segments as
//! numbered, coloured edges.

use std::fmt::Write;

use crate::path::Path;
use crate::scene::Scene;
use crate::svg::dfs;

/// The lines a node shows: name, facts, and the hops of the path at it.
fn lines(scene: &Scene, path: Option<&Path>, i: usize) -> Vec<String> {
    let n = &scene.nodes[i];
    let mut v = vec![n.label.clone()];
    v.extend(n.lines());
    if let Some(p) = path {
        let hops: Vec<&str> = p.labels_at(i).map(|m| m.label.as_str()).collect();
        if !hops.is_empty() {
            v.push(format!("hops {}", hops.join(", ")));
        }
    }
    v
}

fn dot_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// Graphviz DOT.
pub fn dot(scene: &Scene, path: Option<&Path>) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "digraph {} {{", dot_str(&scene.title));
    o.push_str(
        "  graph [rankdir=LR, compound=true, fontname=\"monospace\", fontsize=11, newrank=true];\n",
    );
    o.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=white, fontname=\"monospace\", fontsize=10];\n");
    o.push_str("  edge [fontname=\"monospace\", fontsize=10];\n");
    let failed = path.and_then(|p| p.failed);
    let on_path =
        |i: usize| path.is_some_and(|p| p.marks.iter().any(|m| m.node == i) || p.source == Some(i));
    // Containers with content are clusters; every cluster has an invisible anchor for edges.
    fn emit(
        o: &mut String,
        scene: &Scene,
        path: Option<&Path>,
        i: usize,
        depth: usize,
        failed: Option<usize>,
        on_path: &dyn Fn(usize) -> bool,
    ) {
        let n = &scene.nodes[i];
        let pad = "  ".repeat(depth);
        if !n.children.is_empty() {
            let label = lines(scene, path, i).join("\n");
            let _ = writeln!(o, "{pad}subgraph cluster_{i} {{");
            let _ = writeln!(
                o,
                "{pad}  label={}; id={}; labeljust=l; style=\"rounded{}\"; color={};",
                dot_str(&label),
                dot_str(&n.id),
                if n.kind.as_str() == "group" || n.kind.as_str() == "strip" {
                    ",dashed"
                } else {
                    ""
                },
                if failed == Some(i) {
                    "\"#c62828\""
                } else {
                    "\"#7d8a99\""
                }
            );
            let _ = writeln!(o, "{pad}  n{i} [shape=point, style=invis, label=\"\"];");
            for &c in &n.children {
                emit(o, scene, path, c, depth + 1, failed, on_path);
            }
            let _ = writeln!(o, "{pad}}}");
        } else {
            let style = if failed == Some(i) {
                ", color=\"#c62828\", penwidth=3, fillcolor=\"#fdecea\""
            } else if on_path(i) {
                ", color=\"#0b62d6\", penwidth=3"
            } else if !n.up {
                ", color=\"#c62828\", style=\"rounded,filled,dashed\", fillcolor=\"#fdecea\""
            } else {
                ""
            };
            let _ = writeln!(
                o,
                "{pad}n{i} [id={}, label={}{style}];",
                dot_str(&n.id),
                dot_str(&lines(scene, path, i).join("\n"))
            );
        }
    }
    for &r in &scene.roots {
        emit(&mut o, scene, path, r, 1, failed, &on_path);
    }
    let end = |i: usize, head: bool| {
        if scene.nodes[i].children.is_empty() {
            String::new()
        } else if head {
            format!(", lhead=cluster_{i}")
        } else {
            format!(", ltail=cluster_{i}")
        }
    };
    for e in &scene.edges {
        let _ = writeln!(
            o,
            "  n{} -> n{} [dir=none, color={}{}{}{}];",
            e.from,
            e.to,
            if e.up { "\"#4051b5\"" } else { "\"#c62828\"" },
            if e.up { "" } else { ", style=dashed" },
            end(e.from, false),
            end(e.to, true)
        );
    }
    if let Some(p) = path {
        for (seq, color, style) in [
            (&p.there, "#0b62d6", "bold"),
            (&p.back, "#00897b", "dashed"),
        ] {
            for (k, w) in seq.windows(2).enumerate() {
                let _ = writeln!(
                    o,
                    "  n{} -> n{} [color=\"{color}\", penwidth=2.5, style={style}, constraint=false, label=\"{}\"{}{}];",
                    w[0],
                    w[1],
                    k + 1,
                    end(w[0], false),
                    end(w[1], true)
                );
            }
        }
        let _ = writeln!(
            o,
            "  label={}; labelloc=b;",
            dot_str(&format!("{}\n{}", p.title, p.verdict))
        );
    }
    o.push_str("}\n");
    o
}

fn mermaid_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("#quot;"),
            '\n' => o.push_str("<br/>"),
            '<' => o.push_str("#lt;"),
            '>' => o.push_str("#gt;"),
            c if c.is_control() => o.push(' '),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A Mermaid flowchart.
pub fn mermaid(scene: &Scene, path: Option<&Path>) -> String {
    let mut o = String::from("flowchart LR\n");
    fn emit(o: &mut String, scene: &Scene, path: Option<&Path>, i: usize, depth: usize) {
        let n = &scene.nodes[i];
        let pad = "  ".repeat(depth);
        let label = mermaid_str(&lines(scene, path, i).join("\n"));
        if n.children.is_empty() {
            let _ = writeln!(o, "{pad}n{i}[{label}]");
        } else {
            let _ = writeln!(o, "{pad}subgraph n{i}[{label}]");
            for &c in &n.children {
                emit(o, scene, path, c, depth + 1);
            }
            let _ = writeln!(o, "{pad}end");
        }
    }
    for &r in &scene.roots {
        emit(&mut o, scene, path, r, 1);
    }
    let mut links = 0usize;
    let mut styled: Vec<String> = Vec::new();
    for e in &scene.edges {
        let _ = writeln!(o, "  n{} --- n{}", e.from, e.to);
        if !e.up {
            styled.push(format!(
                "  linkStyle {links} stroke:#c62828,stroke-dasharray:5 4"
            ));
        }
        links += 1;
    }
    if let Some(p) = path {
        for (seq, color, arrow) in [(&p.there, "#0b62d6", "-->"), (&p.back, "#00897b", "-.->")] {
            let prefix = if arrow == "-->" { "" } else { "b" };
            for (k, w) in seq.windows(2).enumerate() {
                let _ = writeln!(o, "  n{} {arrow}|{prefix}{}| n{}", w[0], k + 1, w[1]);
                styled.push(format!(
                    "  linkStyle {links} stroke:{color},stroke-width:3px"
                ));
                links += 1;
            }
        }
    }
    for s in styled {
        o.push_str(&s);
        o.push('\n');
    }
    o.push_str("  classDef onpath stroke:#0b62d6,stroke-width:3px\n");
    o.push_str("  classDef failed stroke:#c62828,stroke-width:3px,fill:#fdecea\n");
    o.push_str("  classDef down stroke:#c62828,stroke-dasharray:5 3,fill:#fdecea\n");
    let order = dfs(scene);
    let down: Vec<String> = order
        .iter()
        .filter(|&&i| !scene.nodes[i].up)
        .map(|i| format!("n{i}"))
        .collect();
    if !down.is_empty() {
        let _ = writeln!(o, "  class {} down", down.join(","));
    }
    if let Some(p) = path {
        let mut on: Vec<usize> = p.there.iter().chain(&p.back).copied().collect();
        on.sort_unstable();
        on.dedup();
        on.retain(|&i| Some(i) != p.failed);
        if !on.is_empty() {
            let ids: Vec<String> = on.iter().map(|i| format!("n{i}")).collect();
            let _ = writeln!(o, "  class {} onpath", ids.join(","));
        }
        if let Some(f) = p.failed {
            let _ = writeln!(o, "  class n{f} failed");
        }
    }
    o
}

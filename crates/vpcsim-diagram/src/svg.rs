//! The picture as SVG: self-contained (styles inline, no fonts or scripts fetched), every shape
//! carrying its element's id (`data-id`) and kind (`class`), the path's hops numbered in badges
//! and drawn as arrows (`class="hop there"` / `"hop back"`), the failing node marked `failed`.

use std::fmt::Write;

use crate::layout::{self, BADGE_PAD, FONT, LINE, PAD, Rect, badge_width, text_width};
use crate::path::{End, Path};
use crate::scene::Scene;

const STYLE: &str = r#"
text { font-family: "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12px; fill: #1b1f24; }
text.name { font-weight: bold; }
text.fact { fill: #4a5360; }
.names text { paint-order: stroke; stroke: #ffffff; stroke-width: 3px; stroke-linejoin: round; }
.frame > rect { stroke-width: 1.2; }
.strip > rect { fill: none; stroke: none; }
.group > rect { fill: none; stroke: #c5cbd3; stroke-dasharray: 6 4; }
.group > text.name { fill: #5a6472; text-transform: uppercase; letter-spacing: 1px; }
.region > rect { fill: #f7f9fc; stroke: #7d8a99; stroke-dasharray: 8 3; }
.vpc > rect { fill: #eef7ee; stroke: #2e8540; }
.zone > rect { fill: #ffffff; stroke: #9fb3c8; stroke-dasharray: 4 3; }
.subnet > rect { fill: #e8f1fb; stroke: #3a78c2; }
.site > rect { fill: #f4eefb; stroke: #7a4cb3; }
.outpost > rect { fill: #fff5e6; stroke: #c77700; }
.leaf > rect { fill: #ffffff; stroke: #6b7785; stroke-width: 1; }
.instance > rect, .host > rect { stroke: #1b1f24; }
.interface > rect { stroke: #3a78c2; }
.interface-endpoint > rect, .gateway-endpoint > rect { fill: #fff8e1; stroke: #b58100; }
.route-table > rect { fill: #fafafa; stroke: #8892a0; }
.internet-gateway > rect, .nat-gateway > rect, .vpn-gateway > rect, .dx-gateway > rect { fill: #f0f4ff; stroke: #4051b5; }
.direct-connect > rect, .vpn > rect, .peering > rect { fill: #f0f4ff; stroke: #4051b5; }
.resolver-endpoint > rect, .site-resolver > rect, .hosted-zone > rect { fill: #f3fbf7; stroke: #2b8a63; }
.internet > rect { fill: #f5f5f5; stroke: #555; }
.down > rect { stroke: #c62828; stroke-dasharray: 5 3; fill: #fdecea; }
.edge { stroke: #4051b5; stroke-width: 1.5; fill: none; }
.edge.peering { stroke: #2e8540; }
.edge.down { stroke: #c62828; stroke-dasharray: 5 4; }
.on-path > rect { stroke: #0b62d6; stroke-width: 3; }
.source > rect { stroke: #0b62d6; stroke-width: 3; fill: #e3efff; }
.failed > rect { stroke: #c62828; stroke-width: 3.5; fill: #fdecea; }
.hop { fill: none; stroke-width: 2.5; stroke-opacity: 0.85; }
.hop.there { stroke: #0b62d6; marker-end: url(#arrow-there); }
.hop.back { stroke: #00897b; stroke-dasharray: 7 4; marker-end: url(#arrow-back); }
.badge rect { stroke: none; }
.badge.there rect { fill: #0b62d6; }
.badge.back rect { fill: #00897b; }
.badge.failed rect { fill: #c62828; }
.badge text { fill: #ffffff; font-weight: bold; }
.caption text.verdict.allowed { fill: #2e7d32; font-weight: bold; }
.caption text.verdict.denied, .caption text.verdict.unreachable { fill: #c62828; font-weight: bold; }
"#;

/// Escapes text for XML content and attributes.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Writes the scene (with its path, if any) as SVG.
pub fn render(scene: &Scene, path: Option<&Path>) -> String {
    let badges: Vec<f64> = (0..scene.nodes.len())
        .map(|i| match path {
            Some(p) => p
                .labels_at(i)
                .map(|m| badge_width(&m.label) + 3.0)
                .sum::<f64>(),
            None => 0.0,
        })
        .collect();
    let l = layout::layout(scene, &badges);
    // The caption wraps at the picture's width (at least 120 characters).
    let columns = (((l.width - 4.0 * PAD) / layout::CHAR_W) as usize).max(120);
    let caption: Vec<(String, String)> = caption_lines(path)
        .into_iter()
        .flat_map(|(class, text)| {
            let indent = if class == "hop-text" { 6 } else { 2 };
            wrap(&text, columns, indent)
                .into_iter()
                .map(move |t| (class.clone(), t))
        })
        .collect();
    let caption_w = caption
        .iter()
        .map(|(_, t)| text_width(t) + 4.0 * PAD)
        .fold(0.0, f64::max);
    let width = l.width.max(caption_w).ceil();
    let height =
        (l.height + caption.len() as f64 * LINE + if caption.is_empty() { 0.0 } else { 2.0 * PAD })
            .ceil();
    let mut o = String::with_capacity(64 * 1024);
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" class="vpcsim-diagram" data-topology="{}">"#,
        esc(&scene.title)
    );
    let _ = write!(
        o,
        "\n<title>{}</title>\n<style>{STYLE}</style>\n",
        esc(&scene.title)
    );
    o.push_str(concat!(
        "<defs>",
        r##"<marker id="arrow-there" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#0b62d6"/></marker>"##,
        r##"<marker id="arrow-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#00897b"/></marker>"##,
        "</defs>\n"
    ));
    let _ = writeln!(
        o,
        r##"<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>"##
    );
    let order = dfs(scene);
    let on_path = |i: usize| path.is_some_and(|p| p.marks.iter().any(|m| m.node == i));
    let class = |i: usize| {
        let n = &scene.nodes[i];
        let mut c = format!(
            "node {} {}",
            if n.kind.is_container() {
                "frame"
            } else {
                "leaf"
            },
            n.kind.as_str()
        );
        if !n.up {
            c.push_str(" down");
        }
        if let Some(p) = path {
            if p.failed == Some(i) {
                c.push_str(" failed");
            } else if p.source == Some(i) {
                c.push_str(" source");
            } else if on_path(i) {
                c.push_str(" on-path");
            }
        }
        c
    };
    // Frames first (parents before children), then the lines between things, then the frames'
    // names over them, then the boxes, then the path.
    o.push_str("<g class=\"frames\">\n");
    for &i in &order {
        if scene.nodes[i].kind.is_container() {
            let b = l.boxes[i];
            let _ = writeln!(
                o,
                r#"<g class="{}" data-id="{}"><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="6"/></g>"#,
                class(i),
                esc(&scene.nodes[i].id),
                b.x,
                b.y,
                b.w,
                b.h
            );
        }
    }
    o.push_str("</g>\n<g class=\"edges\">\n");
    for e in &scene.edges {
        let (a, b) = (l.boxes[e.from], l.boxes[e.to]);
        let (p, q) = segment(&a, &b);
        let _ = writeln!(
            o,
            r#"<line class="edge {}{}" data-from="{}" data-to="{}" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
            e.kind.as_str(),
            if e.up { "" } else { " down" },
            esc(&scene.nodes[e.from].id),
            esc(&scene.nodes[e.to].id),
            p.0,
            p.1,
            q.0,
            q.1
        );
    }
    o.push_str("</g>\n");
    if let Some(p) = path {
        draw_lines(&mut o, scene, &l.boxes, p);
    }
    o.push_str("<g class=\"names\">\n");
    for &i in &order {
        if scene.nodes[i].kind.is_container() && !scene.nodes[i].label.is_empty() {
            text_block(
                &mut o,
                scene,
                i,
                &l.boxes[i],
                &format!("label {}", scene.nodes[i].kind.as_str()),
            );
        }
    }
    o.push_str("</g>\n<g class=\"boxes\">\n");
    for &i in &order {
        if !scene.nodes[i].kind.is_container() {
            let b = l.boxes[i];
            let tip = path
                .map(|p| {
                    p.labels_at(i)
                        .map(|m| {
                            format!(
                                "\n{} {}",
                                m.label,
                                if m.text.is_empty() { m.code } else { &m.text }
                            )
                        })
                        .collect::<String>()
                })
                .unwrap_or_default();
            let _ = write!(
                o,
                r#"<g class="{}" data-id="{}"><title>{}{}</title><rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" rx="4"/>"#,
                class(i),
                esc(&scene.nodes[i].id),
                esc(&scene.nodes[i].id),
                esc(&tip),
                b.x,
                b.y,
                b.w,
                b.h
            );
            text_block(&mut o, scene, i, &b, "");
            o.push_str("</g>\n");
        }
    }
    o.push_str("</g>\n");
    if let Some(p) = path {
        draw_badges(&mut o, scene, &l.boxes, p);
        // Caption: the request, the verdict, and each numbered hop.
        let mut y = l.height + PAD + LINE - 4.0;
        o.push_str("<g class=\"caption\">\n");
        for (cls, t) in &caption {
            let _ = writeln!(
                o,
                r#"<text class="{cls}" x="{:.1}" y="{y:.1}" xml:space="preserve">{}</text>"#,
                PAD * 2.0,
                esc(t)
            );
            y += LINE;
        }
        o.push_str("</g>\n");
    }
    o.push_str("</svg>\n");
    o
}

/// `text` in lines of at most `columns` characters, broken at spaces (a longer word stays whole),
/// the lines after the first indented by `indent`.
fn wrap(text: &str, columns: usize, indent: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut len = 0;
    for (i, word) in text.split(' ').enumerate() {
        let w = word.chars().count();
        if i > 0 {
            if len + 1 + w > columns && !line.trim_start().is_empty() {
                out.push(std::mem::replace(&mut line, " ".repeat(indent)));
                len = indent;
            } else {
                line.push(' ');
                len += 1;
            }
        }
        line.push_str(word);
        len += w;
    }
    out.push(line);
    out
}

/// The caption's lines, with their classes.
fn caption_lines(path: Option<&Path>) -> Vec<(String, String)> {
    let Some(p) = path else {
        return Vec::new();
    };
    let end = match p.end {
        End::Allowed => "allowed",
        End::Denied => "denied",
        End::Unreachable => "unreachable",
    };
    let mut v = vec![
        ("title".to_string(), p.title.clone()),
        (format!("verdict {end}"), p.verdict.clone()),
    ];
    for m in &p.marks {
        let text = if m.text.is_empty() { m.code } else { &m.text };
        v.push(("hop-text".into(), format!("{:>4}  {text}", m.label)));
    }
    v
}

/// The name and facts of node `i` inside `b`, and its badges.
fn text_block(o: &mut String, scene: &Scene, i: usize, b: &Rect, class: &str) {
    let n = &scene.nodes[i];
    let x = b.x + PAD;
    let mut y = b.y + PAD + FONT - 1.0;
    if !class.is_empty() {
        let _ = write!(o, r#"<g class="{class}" data-label-of="{}">"#, esc(&n.id));
    }
    let _ = write!(
        o,
        r#"<text class="name" x="{x:.1}" y="{y:.1}">{}</text>"#,
        esc(&n.label)
    );
    for line in n.lines() {
        y += LINE;
        let _ = write!(
            o,
            r#"<text class="fact" x="{x:.1}" y="{y:.1}" xml:space="preserve">{}</text>"#,
            esc(&line)
        );
    }
    if !class.is_empty() {
        o.push_str("</g>\n");
    }
}

/// The path's segments, under the boxes (a segment crossing a box passes behind it).
fn draw_lines(o: &mut String, scene: &Scene, boxes: &[Rect], p: &Path) {
    o.push_str("<g class=\"path\">\n");
    for (seq, cls, shift) in [(&p.there, "there", -3.0), (&p.back, "back", 3.0)] {
        for (k, w) in seq.windows(2).enumerate() {
            let (a, b) = (boxes[w[0]], boxes[w[1]]);
            if a.contains(&b) || b.contains(&a) {
                continue; // a subnet and its own interface: the badges tell the order
            }
            let (mut s, mut e) = segment(&a, &b);
            s.1 += shift;
            e.1 += shift;
            s.0 += shift;
            e.0 += shift;
            let _ = writeln!(
                o,
                r#"<line class="hop {cls}" data-from="{}" data-to="{}" data-step="{}" x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
                esc(&scene.nodes[w[0]].id),
                esc(&scene.nodes[w[1]].id),
                k + 1,
                s.0,
                s.1,
                e.0,
                e.1
            );
        }
    }
    o.push_str("</g>\n");
}

/// Badges in each node's header, right-aligned, in hop order.
fn draw_badges(o: &mut String, scene: &Scene, boxes: &[Rect], p: &Path) {
    o.push_str("<g class=\"badges\">\n");
    for (i, b) in boxes.iter().enumerate() {
        let marks: Vec<_> = p.labels_at(i).collect();
        let Some(&last) = marks.last() else {
            continue;
        };
        let total: f64 = marks.iter().map(|m| badge_width(&m.label) + 3.0).sum();
        let mut x = b.x + b.w - PAD - total + 3.0;
        let y = b.y + PAD - 2.0;
        for m in marks {
            let w = badge_width(&m.label);
            let failed = p.failed == Some(i) && std::ptr::eq(m, last);
            let cls = match (failed, m.back) {
                (true, _) => "failed",
                (false, true) => "back",
                (false, false) => "there",
            };
            let _ = write!(
                o,
                r#"<g class="badge {cls}" data-id="{}" data-hop="{}" data-code="{}"><rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" rx="7"/><text x="{:.1}" y="{:.1}">{}</text></g>"#,
                esc(&scene.nodes[i].id),
                esc(&m.label),
                m.code,
                LINE,
                x + BADGE_PAD,
                y + FONT,
                esc(&m.label)
            );
            o.push('\n');
            x += w + 3.0;
        }
    }
    o.push_str("</g>\n");
}

/// The segment between two boxes, from border to border.
fn segment(a: &Rect, b: &Rect) -> ((f64, f64), (f64, f64)) {
    let (ac, bc) = (a.center(), b.center());
    (a.border_towards(bc.0, bc.1), b.border_towards(ac.0, ac.1))
}

/// Nodes reachable from the roots, parents before children.
pub fn dfs(scene: &Scene) -> Vec<usize> {
    let mut out = Vec::with_capacity(scene.nodes.len());
    let mut stack: Vec<usize> = scene.roots.iter().rev().copied().collect();
    while let Some(i) = stack.pop() {
        out.push(i);
        stack.extend(scene.nodes[i].children.iter().rev());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn captions_wrap_at_spaces_keeping_leading_ones() {
        assert_eq!(wrap("   1  a b c", 80, 6), vec!["   1  a b c"]);
        assert_eq!(
            wrap("   1  aaa bbb ccc", 10, 6),
            vec!["   1  aaa", "      bbb", "      ccc"]
        );
        assert_eq!(
            wrap("averyveryverylongword x", 5, 2),
            vec!["averyveryverylongword", "  x"]
        );
    }
}

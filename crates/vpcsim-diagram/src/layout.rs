//! Where each node goes: nested boxes, sized from their text, packed by each container's
//! [`Flow`]. Text is set in a monospace font whose advance is known ([`CHAR_W`]), so a box is always
//! wide enough for its lines and no two boxes of one container overlap: labels cannot overlap.
//! The layout is a pure function of the scene (and of how many hop badges each node carries).

use crate::scene::{Flow, Kind, Scene};

/// Font size of every text, in pixels.
pub const FONT: f64 = 12.0;
/// The advance of one character of the monospace font at [`FONT`] (DejaVu Sans Mono and
/// Liberation Mono advance 0.6 em; a little more, so that a wider fallback still fits).
pub const CHAR_W: f64 = 7.4;
/// One line of text.
pub const LINE: f64 = 16.0;
/// Inner margin of a box.
pub const PAD: f64 = 8.0;
/// Space between boxes.
pub const GAP: f64 = 12.0;
/// Space between the top-level columns.
pub const COLUMN_GAP: f64 = 56.0;
/// Width of one badge character, and a badge's margin.
pub const BADGE_CHAR: f64 = 7.4;
/// A badge's inner margin.
pub const BADGE_PAD: f64 = 5.0;

/// A rectangle.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// The centre.
    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// Whether the two overlap (touching edges do not).
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// Whether `o` lies inside.
    pub fn contains(&self, o: &Rect) -> bool {
        const E: f64 = 1e-6;
        o.x >= self.x - E
            && o.y >= self.y - E
            && o.x + o.w <= self.x + self.w + E
            && o.y + o.h <= self.y + self.h + E
    }

    /// Where the segment from the centre towards `(tx, ty)` leaves the rectangle.
    pub fn border_towards(&self, tx: f64, ty: f64) -> (f64, f64) {
        let (cx, cy) = self.center();
        let (dx, dy) = (tx - cx, ty - cy);
        if dx == 0.0 && dy == 0.0 {
            return (cx, cy);
        }
        let sx = if dx == 0.0 {
            f64::INFINITY
        } else {
            (self.w / 2.0) / dx.abs()
        };
        let sy = if dy == 0.0 {
            f64::INFINITY
        } else {
            (self.h / 2.0) / dy.abs()
        };
        let s = sx.min(sy).min(1.0);
        (cx + dx * s, cy + dy * s)
    }
}

/// The width of `text` in the font.
pub fn text_width(text: &str) -> f64 {
    text.chars().count() as f64 * CHAR_W
}

/// A badge's width.
pub fn badge_width(label: &str) -> f64 {
    label.chars().count() as f64 * BADGE_CHAR + 2.0 * BADGE_PAD
}

/// The placed scene.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Each node's box, by node index.
    pub boxes: Vec<Rect>,
    /// Each node's header height (its name and facts).
    pub header: Vec<f64>,
    /// Width of the whole picture.
    pub width: f64,
    /// Height of the boxes (the caption goes below).
    pub height: f64,
}

/// Places `scene`, reserving `badges[node]` pixels in each header for hop badges.
pub fn layout(scene: &Scene, badges: &[f64]) -> Layout {
    let n = scene.nodes.len();
    let mut l = Layout {
        boxes: vec![Rect::default(); n],
        header: vec![0.0; n],
        width: 0.0,
        height: 0.0,
    };
    // Sizes, children before parents (children always have larger indexes than their parent).
    let mut size = vec![(0.0f64, 0.0f64); n];
    let mut offsets: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n];
    for i in (0..n).rev() {
        let node = &scene.nodes[i];
        let lines = node.lines();
        let has_header = !node.label.is_empty();
        let text_w = lines.iter().map(|s| text_width(s)).fold(
            if has_header {
                text_width(&node.label)
            } else {
                0.0
            },
            f64::max,
        );
        let badge = badges.get(i).copied().unwrap_or(0.0);
        let header_w = if has_header {
            text_w + 2.0 * PAD + if badge > 0.0 { badge + PAD } else { 0.0 }
        } else {
            0.0
        };
        let header_h = if has_header {
            PAD + LINE * (1 + lines.len()) as f64
        } else {
            0.0
        };
        l.header[i] = header_h;
        let kids = &node.children;
        let (content_w, content_h, offs) = pack(node.flow, kids.iter().map(|&c| size[c]));
        offsets[i] = offs;
        let (w, h) = if kids.is_empty() {
            (header_w, header_h + PAD / 2.0)
        } else {
            let inner = if node.kind == Kind::Strip { 0.0 } else { PAD };
            (
                header_w.max(content_w + 2.0 * inner),
                header_h + content_h + inner + if has_header { 0.0 } else { inner },
            )
        };
        size[i] = (w, h);
    }
    // Positions, parents before children.
    let mut x = PAD * 2.0;
    let mut bottom: f64 = 0.0;
    for &r in &scene.roots {
        place(scene, r, x, PAD * 2.0, &size, &offsets, &mut l);
        x += size[r].0 + COLUMN_GAP;
        bottom = bottom.max(PAD * 2.0 + size[r].1);
    }
    l.width = x - COLUMN_GAP + PAD * 2.0;
    l.height = bottom + PAD * 2.0;
    l
}

fn place(
    scene: &Scene,
    i: usize,
    x: f64,
    y: f64,
    size: &[(f64, f64)],
    offsets: &[Vec<(f64, f64)>],
    l: &mut Layout,
) {
    l.boxes[i] = Rect {
        x,
        y,
        w: size[i].0,
        h: size[i].1,
    };
    let node = &scene.nodes[i];
    let inner = if node.kind == Kind::Strip { 0.0 } else { PAD };
    let top = y + l.header[i] + if node.label.is_empty() { inner } else { 0.0 };
    for (k, &c) in node.children.iter().enumerate() {
        let (dx, dy) = offsets[i][k];
        place(scene, c, x + inner + dx, top + dy, size, offsets, l);
    }
}

/// Packs boxes of the given sizes by `flow`: the extent and each box's offset.
fn pack(flow: Flow, sizes: impl Iterator<Item = (f64, f64)>) -> (f64, f64, Vec<(f64, f64)>) {
    let sizes: Vec<(f64, f64)> = sizes.collect();
    let mut offs = Vec::with_capacity(sizes.len());
    let per_row = match flow {
        Flow::Row => usize::MAX,
        Flow::Column => 1,
        Flow::Wrap(n) => n.max(1),
    };
    let (mut w, mut h) = (0.0f64, 0.0f64);
    let (mut x, mut y, mut row_h) = (0.0f64, 0.0f64, 0.0f64);
    for (k, &(bw, bh)) in sizes.iter().enumerate() {
        if k > 0 && k % per_row == 0 {
            y += row_h + GAP;
            x = 0.0;
            row_h = 0.0;
        }
        offs.push((x, y));
        x += bw + GAP;
        row_h = row_h.max(bh);
        w = w.max(x - GAP);
        h = h.max(y + row_h);
    }
    (w, h, offs)
}

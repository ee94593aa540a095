//! YAML text to a [`Node`] tree that keeps the location of every value.
//!
//! Built on `saphyr-parser`'s event stream (the parser under serde-saphyr). Scalars keep their
//! text and whether they were quoted; their meaning (number, boolean, CIDR…) is decided by the
//! type that reads them, so `account: 111122223333` and `account: "111122223333"` read the same.

use std::collections::HashMap;

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan};

use crate::diag::{Diagnostic, Diagnostics};
use crate::source::{SourceFile, SourceId, Span};

/// Aliases may not copy more than this many nodes into a document (a "billion laughs" guard).
/// Nodes written in the text are bounded by the size of the file
/// (the caller limits it: 256 MiB for a topology), not by this.
pub const MAX_NODES: usize = 2_000_000;

/// A YAML value with its location.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// Where the value is written.
    pub span: Span,
    /// The value.
    pub kind: NodeKind,
}

/// The shape of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A scalar: its text and whether it was written plain (unquoted, no block style).
    Scalar {
        /// The text after YAML unescaping (kept inline, without an allocation, up to 24 bytes:
        /// most names, addresses and CIDRs of a topology).
        text: CompactString,
        /// True for a plain scalar, whose text may mean null, a boolean or a number.
        plain: bool,
    },
    /// A sequence (its vector holds exactly its items: no spare capacity).
    Seq(Vec<Node>),
    /// A mapping, in the order written; keys are unique (duplicates are reported and dropped).
    /// Exactly its entries, as for a sequence.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// True for `~`, `null` or an empty plain scalar.
    pub fn is_null(&self) -> bool {
        matches!(&self.kind, NodeKind::Scalar { text, plain } if is_null_text(text, *plain))
    }

    /// The scalar text, if this is a scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// A word for the kind of value, for messages: "a mapping", "a list", "`text`".
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Scalar { .. } if self.is_null() => "nothing (null)".into(),
            NodeKind::Scalar { text, .. } => format!("'{text}'"),
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Map(_) => "a mapping".into(),
        }
    }
}

/// Collections may nest this deep, no deeper (YAML written by hand nests a dozen levels; both
/// readers recurse per level).
pub const MAX_DEPTH: usize = 256;

/// The reports both readers make on what the YAML itself gets wrong (the tree's builder here,
/// [`crate::stream`] as the events pass), written once so that they say the same.
pub(crate) fn syntax_error(span: Span, info: &str) -> Diagnostic {
    Diagnostic::error("yaml-syntax", span, format!("invalid YAML: {info}"))
        .with_label("the YAML parser stopped here")
        .with_help("check indentation, quotes and that each `key:` is followed by a space")
}

/// A `---` after the document.
pub(crate) fn second_document(span: Span) -> Diagnostic {
    Diagnostic::error(
        "yaml-syntax",
        span,
        "a topology file holds one YAML document; this is a second one",
    )
    .with_help("remove the `---` line or split the file in two")
}

/// Aliases copied more than [`MAX_NODES`] values.
pub(crate) fn alias_explosion(span: Span) -> Diagnostic {
    Diagnostic::error(
        "yaml-syntax",
        span,
        format!("aliases copy more than {MAX_NODES} values into the document"),
    )
    .with_help("aliases (`*name`) copy their anchor; avoid nesting them")
}

/// An alias with no anchor before it.
pub(crate) fn unknown_alias(span: Span) -> Diagnostic {
    Diagnostic::error(
        "yaml-syntax",
        span,
        "this alias names no anchor defined before it",
    )
}

/// A collection nested deeper than [`MAX_DEPTH`].
pub(crate) fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::error(
        "yaml-syntax",
        span,
        format!("values nest more than {MAX_DEPTH} levels deep"),
    )
    .with_help("a topology nests a few levels; check the indentation")
}

/// A key written a second time in a mapping (`first` is where it was written first).
pub(crate) fn duplicate_key(name: &str, span: Span, first: Span) -> Diagnostic {
    Diagnostic::error("duplicate-key", span, format!("duplicate key '{name}'"))
        .with_label("defined again here")
        .with_related(first, "first defined here")
        .with_help("each key may appear once in a mapping; rename or merge the two entries")
}

/// True for the text of a null scalar: `~`, `null` or nothing, written plain.
pub(crate) fn is_null_text(text: &str, plain: bool) -> bool {
    plain && matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Parses one YAML document. Syntax errors and duplicate keys are recorded in `diags`; on a syntax
/// error there is no tree. An empty document is an empty mapping.
pub fn parse(id: SourceId, file: &SourceFile, diags: &Diagnostics) -> Option<Node> {
    let mut builder = Builder {
        id,
        file,
        diags,
        anchors: HashMap::new(),
        stack: Vec::new(),
        items: Vec::new(),
        entries: Vec::new(),
        root: None,
        copied: 0,
        documents: 0,
    };
    let mut parser = Parser::new_from_str(&file.text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                let m = e.marker();
                let offset = file.offset(m.line(), m.col());
                let span = file.span(id, offset, offset);
                diags.push(syntax_error(span, e.info()));
                return None;
            }
            Some(Ok((event, span))) => {
                if !builder.event(event, span) {
                    return None;
                }
            }
        }
    }
    Some(builder.root.unwrap_or(Node {
        span: file.span(id, 0, 0),
        kind: NodeKind::Map(Vec::new()),
    }))
}

/// An open collection. Its children so far are the tail of the builder's `items` (a sequence) or
/// `entries` (a mapping) from the index it holds: one scratch vector for all open collections, so
/// a collection is copied once, at its exact size, when it ends.
enum Frame {
    Seq(Span, usize, usize),
    Map(Span, usize, usize, Option<Node>, KeyIndex),
}

/// The scalar keys of a large mapping, for finding duplicates without comparing every pair (the
/// `vpcs:` mapping of a big network holds thousands of keys). Small mappings are scanned.
#[derive(Default)]
struct KeyIndex(HashMap<Box<str>, usize>);

/// Mappings with more entries than this get an index of their keys (a [`KeyIndex`] here, a map in
/// the streamed reader's `Keys`).
pub(crate) const INDEX_FROM: usize = 16;

impl KeyIndex {
    /// The index of an entry whose key equals `key`, if any; remembers `key` at `at` otherwise.
    fn find_or_insert(&mut self, entries: &[(Node, Node)], key: &Node, at: usize) -> Option<usize> {
        if entries.len() < INDEX_FROM {
            return entries.iter().position(|(k, _)| same_key(k, key));
        }
        if self.0.is_empty() {
            for (i, (k, _)) in entries.iter().enumerate() {
                if let NodeKind::Scalar { text, .. } = &k.kind {
                    self.0.entry(text.as_str().into()).or_insert(i);
                }
            }
        }
        let NodeKind::Scalar { text, .. } = &key.kind else {
            return None;
        };
        match self.0.get(text.as_str()) {
            Some(&i) => Some(i),
            None => {
                self.0.insert(text.as_str().into(), at);
                None
            }
        }
    }
}

struct Builder<'a> {
    id: SourceId,
    file: &'a SourceFile,
    diags: &'a Diagnostics,
    anchors: HashMap<usize, Node>,
    stack: Vec<Frame>,
    /// The items of the open sequences, innermost last.
    items: Vec<Node>,
    /// The entries of the open mappings, innermost last.
    entries: Vec<(Node, Node)>,
    root: Option<Node>,
    /// Nodes copied by aliases so far.
    copied: usize,
    documents: usize,
}

impl Builder<'_> {
    fn span(&self, s: YSpan) -> Span {
        self.file.parsed_span(self.id, s, 0, 0)
    }

    /// Handles one event; false stops parsing.
    fn event(&mut self, event: Event<'_>, ys: YSpan) -> bool {
        let span = self.span(ys);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => true,
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    self.diags.push(second_document(span));
                    return false;
                }
                true
            }
            Event::Scalar(text, style, anchor, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                let node = Node {
                    span,
                    kind: NodeKind::Scalar {
                        text: CompactString::from(text.as_ref()),
                        plain: style == ScalarStyle::Plain && !forced_str,
                    },
                };
                self.finish(node, anchor)
            }
            Event::Alias(id) => match self.anchors.get(&id) {
                Some(node) => {
                    self.copied += count(node);
                    if self.copied > MAX_NODES {
                        self.diags.push(alias_explosion(span));
                        return false;
                    }
                    let mut node = node.clone();
                    node.span = span;
                    self.finish(node, 0)
                }
                None => {
                    self.diags.push(unknown_alias(span));
                    false
                }
            },
            Event::SequenceStart(..) | Event::MappingStart(..) if self.stack.len() >= MAX_DEPTH => {
                self.diags.push(too_deep(span));
                false
            }
            Event::SequenceStart(anchor, _) => {
                self.stack.push(Frame::Seq(span, anchor, self.items.len()));
                true
            }
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(
                    span,
                    anchor,
                    self.entries.len(),
                    None,
                    KeyIndex::default(),
                ));
                true
            }
            Event::SequenceEnd => match self.stack.pop() {
                Some(Frame::Seq(start, anchor, from)) => {
                    let items: Vec<Node> = self.items.drain(from..).collect();
                    let span = self.join(start, &items.last().map(|n| n.span), span);
                    self.finish(
                        Node {
                            span,
                            kind: NodeKind::Seq(items),
                        },
                        anchor,
                    )
                }
                _ => false,
            },
            Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Map(start, anchor, from, _, _)) => {
                    let entries: Vec<(Node, Node)> = self.entries.drain(from..).collect();
                    let span = self.join(start, &entries.last().map(|(_, v)| v.span), span);
                    self.finish(
                        Node {
                            span,
                            kind: NodeKind::Map(entries),
                        },
                        anchor,
                    )
                }
                _ => false,
            },
        }
    }

    /// The span of a collection: from its start to its last child (block collections end where the
    /// next token starts, which would underline the following lines).
    fn join(&self, start: Span, last: &Option<Span>, end: Span) -> Span {
        let end_offset = match last {
            Some(l) if end.start > l.end => l.end,
            _ => end.end.max(start.end),
        };
        self.file
            .span(self.id, start.start_offset(), end_offset as usize)
    }

    fn finish(&mut self, node: Node, anchor: usize) -> bool {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Seq(..)) => self.items.push(node),
            Some(Frame::Map(_, _, from, pending, index)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    let entries = &self.entries[*from..];
                    let dup = index.find_or_insert(entries, &key, entries.len());
                    if let Some((first, _)) = dup.map(|i| &entries[i]) {
                        let name = key.as_str().unwrap_or("(complex key)");
                        self.diags.push(duplicate_key(name, key.span, first.span));
                    } else {
                        self.entries.push((key, node));
                    }
                }
            },
        }
        true
    }
}

fn same_key(a: &Node, b: &Node) -> bool {
    match (&a.kind, &b.kind) {
        (NodeKind::Scalar { text: x, .. }, NodeKind::Scalar { text: y, .. }) => x == y,
        _ => false,
    }
}

fn count(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Scalar { .. } => 1,
        NodeKind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        NodeKind::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| count(k) + count(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Option<Node>, Vec<Diagnostic>) {
        let file = SourceFile::new("t.yaml", text);
        let diags = Diagnostics::new();
        let node = parse(SourceId(0), &file, &diags);
        (node, diags.into_sorted())
    }

    #[test]
    fn keeps_locations_and_text() {
        let (node, diags) = parse_str("a:\n  b: 10.0.0.0/16\n  c: [x, \"y\"]\n");
        assert!(diags.is_empty());
        let node = node.unwrap();
        let b = node.get("a").unwrap().get("b").unwrap();
        assert_eq!(b.as_str(), Some("10.0.0.0/16"));
        assert_eq!((b.span.line, b.span.col), (2, 6));
        let c = node.get("a").unwrap().get("c").unwrap();
        let NodeKind::Seq(items) = &c.kind else {
            panic!()
        };
        assert!(matches!(
            &items[1].kind,
            NodeKind::Scalar { plain: false, .. }
        ));
    }

    #[test]
    fn reports_duplicate_keys_with_the_first_place() {
        let (_, diags) = parse_str("a: 1\nb: 2\na: 3\n");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].code, "duplicate-key");
        assert_eq!(diags[0].span.unwrap().line, 3);
        assert_eq!(diags[0].related[0].0.line, 1);
    }

    #[test]
    fn finds_duplicates_in_large_mappings_too() {
        // 40 keys: past the size where a key index replaces the scan. k3 and k30 come back.
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k30: again\nk3: again\nk40: new\n");
        let (node, diags) = parse_str(&text);
        let lines: Vec<(u32, u32)> = diags
            .iter()
            .map(|d| (d.span.unwrap().line, d.related[0].0.line))
            .collect();
        assert_eq!(lines, vec![(41, 31), (42, 4)]);
        let Some(Node {
            kind: NodeKind::Map(entries),
            ..
        }) = node
        else {
            panic!("a mapping")
        };
        assert_eq!(
            entries.len(),
            41,
            "duplicates are dropped, the new key kept"
        );
    }

    #[test]
    fn reports_syntax_errors_with_a_place() {
        let (node, diags) = parse_str("a: [1, 2\nb: 3\n");
        assert!(node.is_none());
        assert_eq!(diags[0].code, "yaml-syntax");
    }

    #[test]
    fn expands_aliases_and_guards_against_explosions() {
        let (node, diags) = parse_str("x: &a [1, 2]\ny: *a\n");
        assert!(diags.is_empty());
        assert_eq!(node.unwrap().get("y").unwrap().describe(), "a list");
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let (node, diags) = parse_str(&bomb);
        assert!(node.is_none());
        assert!(diags[0].message.contains("aliases copy more than"));
    }
}

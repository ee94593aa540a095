//! A serde `Deserializer` straight over the YAML parser's events, with the same rules and the same
//! diagnostics as [`de`](crate::de) over a [`Node`] tree, but without the tree.
//!
//! A topology of 10,000 VPCs is 8 MB of YAML; its tree took more memory than everything built
//! from it, and building it took a third of the load. Here every value is read the moment its
//! events arrive:
//! - Each `deserialize_*` call reads exactly one node (a scalar, or a collection up to its end),
//!   whatever its visitor does: a visitor that fails half-way leaves the rest of its node to be
//!   skipped, so the next entry starts in the right place and the error is recorded once at the
//!   node's full span.
//! - What the tree's builder checked is checked as the events pass: duplicate keys (reported at
//!   the second key, the entry dropped, also inside values that are skipped), aliases (an anchored
//!   node's events are recorded and replayed; at most [`MAX_NODES`] copied), one document, and a
//!   nesting limit ([`MAX_DEPTH`]).
//! - A struct's unknown keys are reported as they come, and the rest of a struct whose visitor
//!   failed is still read for them, so every unknown key is reported, as before.
//! - [`Spanned`](crate::Spanned) reads its value first and then its span (a collection's span is
//!   known only at its end). [`RawNode`] takes a value as a [`Node`] (inline policies).
//! - A syntax error ends reading; only the syntax error and the duplicate keys before it are
//!   reported then, as the tree reports them (what was read before it may be cut off, so its
//!   "missing key" errors would be noise).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle, Span as YSpan, StrInput};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::de::{
    Error, Scalar, SpannedAccess, SpannedSource, article, not_a_variant, parse_bool, unknown_key,
};
use crate::diag::{Diagnostic, Diagnostics};
use crate::pieces::Piece;
use crate::source::{SourceFile, SourceId, Span, offset32};
use crate::yaml::{
    self, INDEX_FROM, MAX_DEPTH, MAX_NODES, Node, NodeKind, alias_explosion, is_null_text,
    second_document, syntax_error, too_deep, unknown_alias,
};

/// Deserializes `T` from the YAML text of `file`, recording problems in `diags`. `None` when the
/// value could not be built (the reasons are in `diags`). An empty document is an empty mapping.
pub fn from_str<'de, T: de::Deserialize<'de>>(
    id: SourceId,
    file: &'de SourceFile,
    diags: &Diagnostics,
) -> Option<T> {
    let local = Diagnostics::new();
    let value = read(Stream::new(id, file, &local)).0;
    let found = local.into_sorted();
    let syntax = found.iter().any(|d| d.code == "yaml-syntax");
    found
        .into_iter()
        .filter(|d| !syntax || matches!(d.code, "yaml-syntax" | "duplicate-key"))
        .for_each(|d| diags.push(d));
    value
}

/// What reading one piece of a file gave (see [`crate::pieces`]).
pub(crate) struct PieceRead<T> {
    /// The value, when the piece read without any diagnostic, alias or anchor.
    pub value: Option<T>,
    /// The keys of the piece's top-level mapping, in order.
    pub top_keys: Vec<CompactString>,
}

/// Reads `T` from one piece of `file` (see [`crate::pieces`]); the value only if the piece read
/// cleanly.
pub(crate) fn read_piece<'de, T: de::Deserialize<'de>>(
    id: SourceId,
    file: &'de SourceFile,
    piece: &Piece,
) -> PieceRead<T> {
    let local = Diagnostics::new();
    let (value, s) = read(Stream::piece(id, file, &local, piece));
    // A piece stops at its first anchor or alias (`Stream::piece`), so a clean read had none.
    PieceRead {
        value: value.filter(|_| local.is_empty()),
        top_keys: s.top_keys,
    }
}

/// Reads one `T` and what follows it; the stream is given back for what it saw.
fn read<'de, 'd, T: de::Deserialize<'de>>(mut s: Stream<'de, 'd>) -> (Option<T>, Stream<'de, 'd>) {
    let value = {
        let file = s.file;
        let id = s.id;
        match s.item() {
            Some(Item::Node(start)) => s.pending = Some(start),
            // An empty document: an empty mapping at the start of the file.
            None if !s.broken => {
                let at = file.span(id, 0, 0);
                s.replays.push(Replay {
                    events: Rc::new(vec![
                        (Event::MappingStart(0, None), at),
                        (Event::MappingEnd, at),
                    ]),
                    at: 0,
                    over: None,
                });
            }
            _ => {}
        }
        let value = T::deserialize(&mut s).ok();
        // What follows the value: a second document or a syntax error.
        while s.item().is_some() {}
        if s.broken { None } else { value }
    };
    (value, s)
}

/// A value read as its YAML [`Node`] (with spans), from [`from_str`] or [`from_node`]
/// (crate::from_node); other deserializers cannot give one.
#[derive(Clone, Debug, PartialEq)]
pub struct RawNode(pub Node);

/// The struct name with which [`RawNode`] asks for its node.
pub(crate) const RAW_NODE: &str = "$vpcsim::RawNode";

thread_local! {
    /// The node a deserializer built for [`RawNode`], taken back at once by its visitor.
    static CAPTURED: RefCell<Option<Node>> = const { RefCell::new(None) };
}

/// Hands `node` to the [`RawNode`] being deserialized (called by the deserializers).
pub(crate) fn capture(node: Node) {
    CAPTURED.with(|c| *c.borrow_mut() = Some(node));
}

impl<'de> de::Deserialize<'de> for RawNode {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawNode;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E: de::Error>(self) -> Result<RawNode, E> {
                CAPTURED
                    .with(|c| c.borrow_mut().take())
                    .map(RawNode)
                    .ok_or_else(|| E::custom("a YAML value is read only from YAML"))
            }
        }
        d.deserialize_struct(RAW_NODE, &[], V)
    }
}

type Ev<'de> = (Event<'de>, Span);

/// Events to read before the parser's: an alias's copy of its anchor.
struct Replay<'de> {
    events: Rc<Vec<Ev<'de>>>,
    at: usize,
    /// The alias's span, given to the copy's first and last event (as the tree gave it to the
    /// copied node).
    over: Option<Span>,
}

/// An anchored collection being recorded, from its start event.
struct Recording<'de> {
    anchor: usize,
    /// The depth outside the collection: it is complete when the depth comes back to it.
    depth: usize,
    events: Vec<Ev<'de>>,
}

/// The start of a node.
#[derive(Debug)]
enum Start<'de> {
    Scalar {
        text: Cow<'de, str>,
        plain: bool,
        span: Span,
    },
    /// A sequence; `depth` is the depth outside it.
    Seq { span: Span, depth: usize },
    /// A mapping; `depth` is the depth outside it.
    Map { span: Span, depth: usize },
}

impl Start<'_> {
    fn span(&self) -> Span {
        match self {
            Start::Scalar { span, .. } | Start::Seq { span, .. } | Start::Map { span, .. } => *span,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self, Start::Scalar { text, plain, .. } if is_null_text(text, *plain))
    }

    /// As `Node::describe`: "a mapping", "a list", "'text'", "nothing (null)".
    fn describe(&self) -> String {
        match self {
            _ if self.is_null() => "nothing (null)".into(),
            Start::Scalar { text, .. } => format!("'{text}'"),
            Start::Seq { .. } => "a list".into(),
            Start::Map { .. } => "a mapping".into(),
        }
    }
}

/// What comes next inside a collection: a node, or the collection's end.
enum Item<'de> {
    Node(Start<'de>),
    End(Span),
}

/// The event stream with what the tree's builder kept: anchors, depth, the last span.
pub struct Stream<'de, 'd> {
    parser: Parser<'de, StrInput<'de>>,
    id: SourceId,
    file: &'de SourceFile,
    diags: &'d Diagnostics,
    replays: Vec<Replay<'de>>,
    anchors: HashMap<usize, Rc<Vec<Ev<'de>>>>,
    recordings: Vec<Recording<'de>>,
    /// Values copied by aliases so far (a collection counts once, as in the tree reader).
    copied: usize,
    /// Open collections.
    depth: usize,
    /// A node started and put back, for the next `deserialize_*` call.
    pending: Option<Start<'de>>,
    /// The span of the last node completed.
    last_span: Span,
    /// The span of the last collection end event read.
    last_close: Span,
    /// The keys of the open mappings (see [`Keys`]).
    keys: Vec<(CompactString, Span)>,
    /// A syntax error (or an alias, document or nesting error) stopped reading.
    broken: bool,
    documents: usize,
    /// Lines before the text the parser reads (a piece's first line is the file's line
    /// `lines + 1`).
    lines: usize,
    /// The byte offset in the file of the text the parser reads.
    base: usize,
    /// A piece's injected mapping is still to be closed when its text ends.
    wrap_open: bool,
    /// The keys of the top-level mapping, in order.
    top_keys: Vec<CompactString>,
    /// A piece of a file: reading stops at the first anchor or alias (the file is then read
    /// whole), so no piece copies an alias's events.
    piece: bool,
}

impl<'de, 'd> Stream<'de, 'd> {
    fn new(id: SourceId, file: &'de SourceFile, diags: &'d Diagnostics) -> Self {
        Self::over(id, file, diags, &file.text)
    }

    /// A stream over one piece of `file`. A piece that starts inside a top-level collection
    /// reads as the mapping of that collection's key alone: the mapping's start and the key are
    /// injected before the piece's text, and the mapping's end after it.
    fn piece(id: SourceId, file: &'de SourceFile, diags: &'d Diagnostics, p: &Piece) -> Self {
        let mut s = Self::over(id, file, diags, &file.text[p.start..p.end]);
        s.lines = p.first_line - 1;
        s.base = p.start;
        s.piece = true;
        if let Some(key) = p.wrap {
            let (start, end) = (key.start, key.end);
            // A plain key at the start of its line.
            let at = Span {
                file: id,
                start: offset32(start),
                end: offset32(end),
                line: offset32(key.line),
                col: 1,
            };
            s.replays.push(Replay {
                events: Rc::new(vec![
                    (Event::MappingStart(0, None), at),
                    (
                        Event::Scalar(
                            Cow::Borrowed(&file.text[start..end]),
                            ScalarStyle::Plain,
                            0,
                            None,
                        ),
                        at,
                    ),
                ]),
                at: 0,
                over: None,
            });
            s.wrap_open = true;
        }
        s
    }

    fn over(id: SourceId, file: &'de SourceFile, diags: &'d Diagnostics, text: &'de str) -> Self {
        Stream {
            parser: Parser::new_from_str(text),
            id,
            file,
            diags,
            replays: Vec::new(),
            anchors: HashMap::new(),
            recordings: Vec::new(),
            copied: 0,
            depth: 0,
            pending: None,
            last_span: file.span(id, 0, 0),
            last_close: file.span(id, 0, 0),
            keys: Vec::new(),
            broken: false,
            documents: 0,
            lines: 0,
            base: 0,
            wrap_open: false,
            top_keys: Vec::new(),
            piece: false,
        }
    }

    fn span(&self, s: YSpan) -> Span {
        self.file.parsed_span(self.id, s, self.base, self.lines)
    }

    fn stop(&mut self, d: Diagnostic) {
        self.diags.push(d);
        self.broken = true;
    }

    /// The next event that matters (a replayed one first), with its span, and whether it came
    /// from the parser; `None` at the end or after an error.
    #[inline(always)]
    fn raw(&mut self) -> Option<(Event<'de>, Span, bool)> {
        loop {
            if self.broken {
                return None;
            }
            if let Some(r) = self.replays.last_mut() {
                if r.at < r.events.len() {
                    let (event, mut span) = r.events[r.at].clone();
                    r.at += 1;
                    if r.at == 1 || r.at == r.events.len() {
                        span = r.over.unwrap_or(span);
                    }
                    return Some((event, span, false));
                }
                self.replays.pop();
                continue;
            }
            match self.parser.next_event() {
                None => return None,
                Some(Err(e)) => {
                    let m = e.marker();
                    let offset = self.file.offset(m.line() + self.lines, m.col());
                    let span = self.file.span(self.id, offset, offset);
                    self.stop(syntax_error(span, e.info()));
                    return None;
                }
                Some(Ok((event, ys))) => match event {
                    Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
                    Event::StreamEnd if self.wrap_open => {
                        self.wrap_open = false;
                        return Some((Event::MappingEnd, self.span(ys), false));
                    }
                    Event::StreamEnd => return None,
                    Event::DocumentStart(_) => {
                        self.documents += 1;
                        if self.documents > 1 {
                            let span = self.span(ys);
                            self.stop(second_document(span));
                            return None;
                        }
                    }
                    event => return Some((event, self.span(ys), true)),
                },
            }
        }
    }

    /// Replays the events recorded for anchor `id`, which an alias at `span` names; `None` (with
    /// the reason recorded) when there is no such anchor or the copies grow too many.
    fn replay(&mut self, id: usize, span: Span) -> Option<()> {
        let Some(events) = self.anchors.get(&id).cloned() else {
            self.stop(unknown_alias(span));
            return None;
        };
        // Values, as the tree reader counts them: a collection once, not at both ends.
        let ends = |e: &&(Event, Span)| matches!(e.0, Event::SequenceEnd | Event::MappingEnd);
        self.copied += events.len() - events.iter().filter(ends).count();
        if self.copied > MAX_NODES {
            self.stop(alias_explosion(span));
            return None;
        }
        self.replays.push(Replay {
            events,
            at: 0,
            over: Some(span),
        });
        Some(())
    }

    /// The next event with aliases replaced by their anchor's events, anchors recorded and the
    /// depth counted.
    // Inlined, with `raw`, into `item`, its one caller: an event is about 100 bytes, moved once
    // more by each call between them (1.5 % of a large file's instructions).
    #[inline(always)]
    fn event(&mut self) -> Option<Ev<'de>> {
        let (event, span, parsed) = loop {
            let (event, span, parsed) = self.raw()?;
            if let Event::Alias(id) = event {
                if self.piece {
                    self.broken = true;
                    return None;
                }
                self.replay(id, span)?;
                continue;
            }
            break (event, span, parsed);
        };
        let anchor = match &event {
            Event::Scalar(_, _, a, _) | Event::SequenceStart(a, _) | Event::MappingStart(a, _) => {
                *a != 0
            }
            _ => false,
        };
        if anchor && self.piece {
            self.broken = true;
            return None;
        }
        let outside = self.depth;
        match &event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    self.stop(too_deep(span));
                    return None;
                }
            }
            Event::SequenceEnd | Event::MappingEnd => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        for r in &mut self.recordings {
            r.events.push((event.clone(), span));
        }
        if parsed {
            match &event {
                Event::Scalar(_, _, anchor, _) if *anchor != 0 => {
                    self.anchors
                        .insert(*anchor, Rc::new(vec![(event.clone(), span)]));
                }
                Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _)
                    if *anchor != 0 =>
                {
                    self.recordings.push(Recording {
                        anchor: *anchor,
                        depth: outside,
                        events: vec![(event.clone(), span)],
                    });
                }
                _ => {}
            }
        }
        if matches!(event, Event::SequenceEnd | Event::MappingEnd) {
            while self
                .recordings
                .last()
                .is_some_and(|r| r.depth == self.depth)
            {
                let r = self.recordings.pop().expect("checked");
                self.anchors.insert(r.anchor, Rc::new(r.events));
            }
        }
        Some((event, span))
    }

    /// The next node's start or its collection's end; `None` at the end of the input.
    fn item(&mut self) -> Option<Item<'de>> {
        let depth = self.depth;
        let (event, span) = self.event()?;
        Some(match event {
            Event::Scalar(text, style, _, tag) => {
                let forced_str = tag.as_ref().is_some_and(|t| t.suffix == "str");
                self.last_span = span;
                Item::Node(Start::Scalar {
                    text,
                    plain: style == ScalarStyle::Plain && !forced_str,
                    span,
                })
            }
            Event::SequenceStart(..) => Item::Node(Start::Seq { span, depth }),
            Event::MappingStart(..) => Item::Node(Start::Map { span, depth }),
            _ => {
                self.last_close = span;
                Item::End(span)
            }
        })
    }

    /// The node to read: the one put back, else the next one.
    fn node(&mut self) -> Result<Start<'de>, Error> {
        if let Some(start) = self.pending.take() {
            return Ok(start);
        }
        match self.item() {
            Some(Item::Node(start)) => Ok(start),
            // The input ended (the reason is recorded) or a collection ended where a value
            // was due (the parser does not produce that).
            _ => Err(Error::located("the document ends here")),
        }
    }

    /// Ends a collection that started at `start` and whose end event is at `end`: its span runs
    /// to its last child (a block collection's end event is where the next token starts).
    fn close(&mut self, start: Span, end: Span) -> Span {
        // The last node completed inside it, if any, is its last child.
        let l = self.last_span.end;
        let end_offset = if l > start.start && end.start > l {
            l
        } else {
            end.end.max(start.end)
        };
        // It starts where its start event does: the line and column are that event's.
        let span = Span {
            end: end_offset.max(start.start),
            ..start
        };
        self.last_span = span;
        span
    }

    /// Reads the rest of a started node, checking its mappings' keys; returns its span.
    fn skip(&mut self, start: Start<'de>) -> Span {
        match start {
            Start::Scalar { span, .. } => span,
            Start::Seq { span, .. } => loop {
                match self.item() {
                    Some(Item::Node(n)) => {
                        self.skip(n);
                    }
                    Some(Item::End(end)) => return self.close(span, end),
                    None => return span,
                }
            },
            Start::Map { span, .. } => {
                let mut keys = Keys::new(self);
                let span = loop {
                    match self.item() {
                        Some(Item::Node(key)) => {
                            self.check_key(&mut keys, &key);
                            self.skip(key);
                            match self.item() {
                                Some(Item::Node(value)) => {
                                    self.skip(value);
                                }
                                Some(Item::End(end)) => break self.close(span, end),
                                None => break span,
                            }
                        }
                        Some(Item::End(end)) => break self.close(span, end),
                        None => break span,
                    }
                };
                keys.end(&mut self.keys);
                span
            }
        }
    }

    /// Reads to the end of the collection `start` after its visitor stopped (or failed) inside
    /// it; returns its span. A scalar is complete already.
    fn finish(&mut self, start: &Start<'de>) -> Span {
        let (span, depth) = match start {
            Start::Scalar { span, .. } => return *span,
            Start::Seq { span, depth } | Start::Map { span, depth } => (*span, *depth),
        };
        if let Some(p) = self.pending.take() {
            self.skip(p);
        }
        while self.depth > depth {
            match self.item() {
                Some(Item::Node(n)) => {
                    self.skip(n);
                }
                Some(Item::End(_)) => {}
                None => return span,
            }
        }
        // The end event that brought the depth back is this collection's, whoever read it.
        self.close(span, self.last_close)
    }

    /// Reports `key` if the mapping has it already; true when it is new.
    fn check_key(&mut self, keys: &mut Keys, key: &Start<'de>) -> bool {
        let Start::Scalar { text, span, .. } = key else {
            return true;
        };
        if self.depth == 1 {
            self.top_keys.push(text.as_ref().into());
        }
        match keys.find_or_insert(&mut self.keys, text, *span) {
            None => true,
            Some(first) => {
                self.diags.push(yaml::duplicate_key(text, *span, first));
                false
            }
        }
    }

    /// Builds the tree of a started node (for [`RawNode`]); duplicate keys are reported and
    /// dropped, as the tree's builder does.
    fn build(&mut self, start: Start<'de>) -> Node {
        match start {
            Start::Scalar { text, plain, span } => Node {
                span,
                kind: NodeKind::Scalar {
                    text: CompactString::from(text.as_ref()),
                    plain,
                },
            },
            Start::Seq { span, .. } => {
                let mut items = Vec::new();
                let end = loop {
                    match self.item() {
                        Some(Item::Node(n)) => items.push(self.build(n)),
                        Some(Item::End(end)) => break end,
                        None => break span,
                    }
                };
                let items = crate::types::exact(items);
                Node {
                    span: self.close(span, end),
                    kind: NodeKind::Seq(items),
                }
            }
            Start::Map { span, .. } => {
                let mut keys = Keys::new(self);
                let mut entries = Vec::new();
                let end = loop {
                    match self.item() {
                        Some(Item::Node(key)) => {
                            let new = self.check_key(&mut keys, &key);
                            let key = self.build(key);
                            match self.item() {
                                Some(Item::Node(value)) => {
                                    let value = self.build(value);
                                    if new {
                                        entries.push((key, value));
                                    }
                                }
                                Some(Item::End(end)) => break end,
                                None => break span,
                            }
                        }
                        Some(Item::End(end)) => break end,
                        None => break span,
                    }
                };
                keys.end(&mut self.keys);
                let entries = crate::types::exact(entries);
                Node {
                    span: self.close(span, end),
                    kind: NodeKind::Map(entries),
                }
            }
        }
    }

    /// Records `msg` at `span` and returns the located error.
    fn fail(&self, code: &'static str, span: Span, msg: String, help: Option<String>) -> Error {
        let mut d = Diagnostic::error(code, span, msg.clone());
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diags.push(d);
        Error::located(msg)
    }

    /// Records an error coming back from a visitor for the node at `span`, once.
    fn locate(&self, e: Error, span: Span) -> Error {
        if e.located {
            return e;
        }
        self.fail(e.code(), span, e.msg, None)
    }

    /// The node is not what was expected: reads it to its end and reports it.
    fn expected(&mut self, what: &str, start: Start<'de>) -> Error {
        let found = start.describe();
        let span = self.skip(start);
        self.fail(
            "invalid-type",
            span,
            format!("expected {what}, found {found}"),
            None,
        )
    }

    /// The next node's text, when it is a scalar that is not null.
    fn scalar(&mut self, what: &str) -> Result<(Cow<'de, str>, Span), Error> {
        match self.node()? {
            Start::Scalar { text, plain, span } if !is_null_text(&text, plain) => Ok((text, span)),
            other => Err(self.expected(what, other)),
        }
    }

    fn number<T: std::str::FromStr>(&mut self, what: &str) -> Result<(T, Span), Error> {
        let (text, span) = self.scalar(what)?;
        match text.trim().parse() {
            Ok(n) => Ok((n, span)),
            Err(_) => Err(self.fail(
                "invalid-type",
                span,
                format!("expected {what}, found '{text}'"),
                None,
            )),
        }
    }

    /// Reads a collection with `visit`, then whatever it left; errors are located at its span.
    fn collection<T>(
        &mut self,
        start: Start<'de>,
        visit: impl FnOnce(&mut Self) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let r = visit(self);
        let span = self.finish(&start);
        r.map_err(|e| self.locate(e, span))
    }
}

impl<'de> Stream<'de, '_> {
    /// Reads a mapping (or a null, as an empty one) with `visitor`, as a struct with `fields` or
    /// as a map, then whatever the visitor left; errors are located at the mapping's span.
    fn mapping<V: Visitor<'de>>(
        &mut self,
        start: Start<'de>,
        fields: Option<(&'static str, &'static [&'static str])>,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let mut access = MapAccess::new(self, fields, start.is_null());
        let r = visitor.visit_map(&mut access);
        if r.is_err() {
            access.drain();
        }
        let meant = std::mem::take(&mut access.meant);
        let span = self.finish(&start);
        r.map_err(|e| {
            // A misspelt key was reported with its hint: its "missing key" would repeat it.
            if meant.iter().any(|m| e.msg == format!("missing key '{m}'")) {
                return Error::located(e.msg);
            }
            self.locate(e, span)
        })
    }
}

/// The keys of a mapping read so far, for finding duplicates: scanned while few, indexed when
/// many (the `vpcs:` mapping of a big network holds thousands). The keys of all open mappings
/// share one stack ([`Stream::keys`]): a mapping's are the `count` from `from`, and whatever lies
/// above them belonged to a mapping nested in it, which has ended.
struct Keys {
    from: usize,
    count: usize,
    many: Option<HashMap<CompactString, Span, foldhash::fast::RandomState>>,
}

impl Keys {
    fn new(s: &Stream<'_, '_>) -> Self {
        Keys {
            from: s.keys.len(),
            count: 0,
            many: None,
        }
    }

    /// Where `key` was first written, if it was; remembers it otherwise.
    fn find_or_insert(
        &mut self,
        stack: &mut Vec<(CompactString, Span)>,
        key: &str,
        span: Span,
    ) -> Option<Span> {
        if let Some(many) = &mut self.many {
            return match many.get(key) {
                Some(first) => Some(*first),
                None => {
                    many.insert(key.into(), span);
                    None
                }
            };
        }
        stack.truncate(self.from + self.count);
        if let Some((_, first)) = stack[self.from..].iter().find(|(k, _)| k == key) {
            return Some(*first);
        }
        stack.push((key.into(), span));
        self.count += 1;
        if self.count > INDEX_FROM {
            self.many = Some(stack.drain(self.from..).collect());
        }
        None
    }

    /// The mapping ended: its keys leave the stack.
    fn end(&self, stack: &mut Vec<(CompactString, Span)>) {
        stack.truncate(self.from);
    }
}

macro_rules! number {
    ($method:ident, $visit:ident, $t:ty, $what:expr) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let (n, span): ($t, Span) = self.number($what)?;
            visitor.$visit(n).map_err(|e| self.locate(e, span))
        }
    };
}

impl<'de> de::Deserializer<'de> for &mut Stream<'de, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node()? {
            Start::Scalar { text, plain, span } => {
                let r = Scalar::of(&text, plain).visit(visitor);
                r.map_err(|e| self.locate(e, span))
            }
            start @ Start::Seq { .. } => {
                self.collection(start, |s| visitor.visit_seq(SeqAccess { s, done: false }))
            }
            start @ Start::Map { .. } => self.mapping(start, None, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (text, span) = self.scalar("true or false")?;
        match parse_bool(&text) {
            Some(b) => visitor.visit_bool(b).map_err(|e| self.locate(e, span)),
            None => Err(self.fail(
                "invalid-type",
                span,
                format!("expected true or false, found '{text}'"),
                None,
            )),
        }
    }

    number!(deserialize_i8, visit_i8, i8, "an integer");
    number!(deserialize_i16, visit_i16, i16, "an integer");
    number!(deserialize_i32, visit_i32, i32, "an integer");
    number!(deserialize_i64, visit_i64, i64, "an integer");
    number!(deserialize_u8, visit_u8, u8, "an integer from 0 to 255");
    number!(
        deserialize_u16,
        visit_u16,
        u16,
        "an integer from 0 to 65535"
    );
    number!(deserialize_u32, visit_u32, u32, "a non-negative integer");
    number!(deserialize_u64, visit_u64, u64, "a non-negative integer");
    number!(deserialize_f32, visit_f32, f32, "a number");
    number!(deserialize_f64, visit_f64, f64, "a number");

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let (text, span) = self.scalar("a text value")?;
        // Not `visit_string` with the parser's string: it has room to spare, which the value
        // read would keep.
        visitor.visit_str(&text).map_err(|e| self.locate(e, span))
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let start = self.node()?;
        if start.is_null() {
            let span = start.span();
            return visitor.visit_none().map_err(|e| self.locate(e, span));
        }
        self.pending = Some(start);
        let r = visitor.visit_some(&mut *self);
        r.map_err(|e| self.locate(e, self.last_span))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let start = self.node()?;
        if start.is_null() {
            let span = start.span();
            return visitor.visit_unit().map_err(|e| self.locate(e, span));
        }
        Err(self.expected("nothing (null)", start))
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        let start = self.node()?;
        let seq = matches!(start, Start::Seq { .. });
        self.pending = Some(start);
        if name == crate::types::ONE_OR_MANY && seq {
            return self.deserialize_seq(visitor);
        }
        let r = visitor.visit_newtype_struct(&mut *self);
        r.map_err(|e| self.locate(e, self.last_span))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node()? {
            start @ Start::Seq { .. } => {
                self.collection(start, |s| visitor.visit_seq(SeqAccess { s, done: false }))
            }
            // An empty value (`ingress:` with nothing after it) reads as an empty list.
            start if start.is_null() => {
                let span = start.span();
                visitor
                    .visit_seq(SeqAccess {
                        s: self,
                        done: true,
                    })
                    .map_err(|e| self.locate(e, span))
            }
            start => Err(self.expected("a list", start)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.node()? {
            // An empty value (`subnets:` with nothing after it) reads as an empty mapping.
            start if matches!(start, Start::Map { .. }) || start.is_null() => {
                self.mapping(start, None, visitor)
            }
            start => Err(self.expected("a mapping of `key: value`", start)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == crate::de::SPANNED {
            let r = visitor.visit_map(SpannedAccess::new(&mut *self));
            return r.map_err(|e| self.locate(e, self.last_span));
        }
        if name == RAW_NODE {
            let start = self.node()?;
            let node = self.build(start);
            let span = node.span;
            capture(node);
            return visitor.visit_unit().map_err(|e| self.locate(e, span));
        }
        match self.node()? {
            start if matches!(start, Start::Map { .. }) || start.is_null() => {
                self.mapping(start, Some((name, fields)), visitor)
            }
            start => {
                Err(self.expected(&format!("a mapping (the keys of {})", article(name)), start))
            }
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.node()? {
            Start::Scalar { text, plain, span } if !is_null_text(&text, plain) => {
                if let Some((msg, help)) = not_a_variant(name, variants, &text) {
                    return Err(self.fail("invalid-value", span, msg, Some(help)));
                }
                visitor
                    .visit_enum(text.as_ref().into_deserializer())
                    .map_err(|e: Error| self.locate(e, span))
            }
            start => Err(self.expected(&format!("one of: {}", variants.join(", ")), start)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let start = self.node()?;
        self.skip(start);
        visitor.visit_unit()
    }
}

/// The items of a sequence (none when `done` from the start: a null read as a list).
struct SeqAccess<'a, 'de, 'd> {
    s: &'a mut Stream<'de, 'd>,
    done: bool,
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, 'de, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        if self.done {
            return Ok(None);
        }
        match self.s.item() {
            Some(Item::Node(start)) => {
                self.s.pending = Some(start);
                seed.deserialize(&mut *self.s).map(Some)
            }
            Some(Item::End(_)) => {
                self.done = true;
                Ok(None)
            }
            None => {
                self.done = true;
                Err(Error::located("the document ends here"))
            }
        }
    }
}

/// The entries of a mapping: duplicate keys are reported and their entries skipped as they come.
/// Read as a struct (`fields`), unknown keys are reported with a hint and skipped too; read as a
/// map, every key is read. `drain` reads what a failed visitor left, for the same reports.
struct MapAccess<'a, 'de, 'd> {
    s: &'a mut Stream<'de, 'd>,
    /// The struct's name and fields; `None` for a map.
    fields: Option<(&'static str, &'static [&'static str])>,
    keys: Keys,
    /// Fields a misspelt key was probably meant to be.
    meant: Vec<&'static str>,
    /// A key was handed out and its value not yet read (a visitor can fail in between).
    value_due: bool,
    done: bool,
}

impl<'a, 'de, 'd> MapAccess<'a, 'de, 'd> {
    /// Reads `s`'s mapping as a struct (`fields`) or a map; `done` when there is nothing to read
    /// (a null read as an empty mapping).
    fn new(
        s: &'a mut Stream<'de, 'd>,
        fields: Option<(&'static str, &'static [&'static str])>,
        done: bool,
    ) -> Self {
        let keys = Keys::new(s);
        MapAccess {
            s,
            fields,
            keys,
            meant: Vec::new(),
            value_due: false,
            done,
        }
    }

    /// The next key to read, reporting and skipping the others; `None` at the end.
    fn next_known(&mut self) -> Result<Option<Start<'de>>, Error> {
        loop {
            if self.done {
                return Ok(None);
            }
            match self.s.item() {
                Some(Item::Node(key)) => {
                    if !self.s.check_key(&mut self.keys, &key) {
                        self.s.skip(key);
                        skip_value(self.s);
                        continue;
                    }
                    let Some((name, fields)) = self.fields else {
                        return Ok(Some(key));
                    };
                    if matches!(&key, Start::Scalar { text, .. } if fields.contains(&text.as_ref()))
                    {
                        return Ok(Some(key));
                    }
                    let k = match &key {
                        Start::Scalar { text, .. } => text.to_string(),
                        _ => "(complex key)".to_string(),
                    };
                    let span = self.s.skip(key);
                    let (d, best) = unknown_key(name, fields, &k, span);
                    self.meant.extend(best);
                    self.s.diags.push(d);
                    skip_value(self.s);
                }
                Some(Item::End(_)) => {
                    self.done = true;
                    self.keys.end(&mut self.s.keys);
                    return Ok(None);
                }
                None => {
                    self.done = true;
                    return Err(Error::located("the document ends here"));
                }
            }
        }
    }

    /// After a failed visitor: the rest of the mapping, for its unknown and duplicate keys.
    fn drain(&mut self) {
        if let Some(p) = self.s.pending.take() {
            self.s.skip(p);
        }
        if std::mem::take(&mut self.value_due) {
            skip_value(self.s);
        }
        while let Ok(Some(key)) = self.next_known() {
            self.s.skip(key);
            skip_value(self.s);
        }
    }
}

impl<'de> de::MapAccess<'de> for &mut MapAccess<'_, 'de, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.next_known()? {
            None => Ok(None),
            Some(key) => {
                self.s.pending = Some(key);
                self.value_due = true;
                seed.deserialize(&mut *self.s).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.value_due = false;
        seed.deserialize(&mut *self.s)
    }
}

/// Skips the value after a key that is not read.
fn skip_value(s: &mut Stream<'_, '_>) {
    if let Some(Item::Node(value)) = s.item() {
        s.skip(value);
    }
}

/// The stream's side of [`SpannedAccess`]: the next value, and the span of the last node read.
impl<'de> SpannedSource<'de> for &mut Stream<'de, '_> {
    fn value<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(&mut **self)
    }

    fn value_span(&self) -> Span {
        self.last_span
    }
}

#[cfg(test)]
mod tests {
    //! The stream must read what the tree read and report what the tree reported: every case is
    //! read both ways and compared (values with their spans, and the diagnostics).
    use serde::Deserialize;

    use super::*;
    use crate::{Entries, Lenient, List, OneOrMany, Spanned, from_node, yaml};

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Gateway,
        Interface,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: Spanned<String>,
        size: Option<Spanned<u16>>,
        #[serde(default)]
        kind: Lenient<Spanned<Kind>>,
        #[serde(default)]
        tags: List<Spanned<String>>,
        cidr: Option<Spanned<OneOrMany<Spanned<String>>>>,
        #[serde(default)]
        on: Lenient<bool>,
        ratio: Option<f64>,
        policy: Option<Spanned<RawNode>>,
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(deny_unknown_fields)]
    struct Top {
        #[serde(default)]
        items: Lenient<Entries<Item>>,
        #[serde(default)]
        list: Lenient<List<Item>>,
        #[serde(default)]
        seed: Lenient<u64>,
        #[serde(default)]
        extra: Lenient<Spanned<std::collections::BTreeMap<String, String>>>,
    }

    fn lines(diags: Diagnostics) -> Vec<String> {
        diags
            .into_sorted()
            .iter()
            .map(|d| {
                let s = d.span.unwrap();
                let related: Vec<_> = d.related.iter().map(|(r, _)| (r.start, r.end)).collect();
                format!(
                    "{}-{} {}:{} {} {} | {} {related:?}",
                    s.start,
                    s.end,
                    s.line,
                    s.col,
                    d.code,
                    d.message,
                    d.help.clone().unwrap_or_default()
                )
            })
            .collect()
    }

    /// What a reader gave: the value and the diagnostics.
    type Read = (Option<Top>, Vec<String>);

    /// The text read by the stream and by the tree.
    fn both(text: &str) -> (Read, Read) {
        let file = SourceFile::new("t.yaml", text);
        let diags = Diagnostics::new();
        let tree =
            yaml::parse(SourceId(0), &file, &diags).and_then(|n| from_node::<Top>(&n, &diags));
        let by_tree = (tree, lines(diags));
        let diags = Diagnostics::new();
        let streamed = from_str::<Top>(SourceId(0), &file, &diags);
        ((streamed, lines(diags)), by_tree)
    }

    fn same(text: &str) -> Read {
        let (streamed, tree) = both(text);
        assert_eq!(
            streamed, tree,
            "streamed (left) and tree (right) differ for:\n{text}"
        );
        streamed
    }

    #[test]
    fn reads_what_the_tree_reads() {
        let cases = [
            "",
            "items:\n",
            "items:\n  a: { name: x, size: 8, kind: gateway, tags: [t1, t2], cidr: 10.0.0.0/8 }\n  b:\n    name: \"y\"\n    cidr: [a, 'b']\n    on: true\n    ratio: 0.5\nseed: 7\n",
            "list:\n  - name: x\n    policy: { Statement: [ { Effect: Allow } ] }\n  - name: z\n    policy: arn-or-path\n",
            "items:\n  a:\n    name: x\n    policy:\n      Version: '2012-10-17'\n      Statement:\n        - Effect: Deny\n\n\nseed: 3\n",
            "extra: { a: b, c: d }\n",
            "items:\n  a:\n    name: x\n    policy: 12\n  b:\n    name: y\n    policy: ~\n",
            "x: &anchor { name: n, size: 3 }\nitems: { a: *anchor, b: *anchor }\n",
        ];
        for text in cases {
            let (value, diags) = same(text);
            assert!(
                value.is_some() && diags.iter().all(|d| d.contains("unknown-key")),
                "{text}: {diags:?}"
            );
        }
    }

    #[test]
    fn reports_what_the_tree_reports() {
        let cases = [
            // Unknown keys (with and without a hint), a bad value, a missing key, a wrong type.
            "items:\n  a: { nmae: x, size: big }\n  b: { name: y, colour: red, kind: gatway }\n  c: { size: 1 }\n  d: [1, 2]\nseed: -1\n",
            // A failed value half-way through a struct: the keys after it are still checked.
            "items:\n  a: { name: [1, 2], sise: 3, tags: { a: b }, zz: 1 }\n",
            // Duplicate keys: in a struct, in a map, in a skipped value, in a large mapping.
            "items:\n  a: { name: x, name: y }\n  a: { name: z }\nbogus: { k: 1, k: 2 }\n",
            &format!(
                "items:\n{}  k3: {{ name: again }}\n",
                (0..40)
                    .map(|i| format!("  k{i}: {{ name: n{i} }}\n"))
                    .collect::<String>()
            ),
            // Nulls, empty collections, wrong shapes.
            "items: ~\nlist: []\nseed: true\nextra: [x]\n",
            "list:\n  - name: x\n    size: 70000\n    ratio: nope\n    on: maybe\n    cidr: { a: b }\n    policy: [1]\n  - 5\n  - ~\n",
            // Syntax errors: only the syntax error is reported.
            "items:\n  a: { nmae: x }\nlist: [1, 2\nseed: 3\n",
            // A duplicate key before a syntax error is reported with it.
            "items:\n  a: 1\n  a: 2\nlist: [1, 2\n",
            "items: {}\n---\nseed: 1\n",
            "items: { a: *nothing }\n",
            // A scalar or a list where the document's mapping belongs.
            "just text\n",
            "- 1\n- 2\n",
            // Complex keys.
            "items:\n  ? [a, b]\n  : { name: x }\n",
            "? { a: 1 }\n: 2\n",
        ];
        let mut reported = 0;
        for text in cases {
            reported += usize::from(!same(text).1.is_empty());
        }
        assert_eq!(reported, cases.len(), "every case reports something");
    }

    #[test]
    fn guards_against_alias_explosions_and_deep_nesting() {
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let ((value, diags), _) = both(&bomb);
        assert!(value.is_none());
        assert!(diags[0].contains("aliases copy more than"), "{diags:?}");

        // Both readers count values, a collection once: 1,999,997 values copied (under the
        // limit), which are 2,201,794 events (a collection's start and end).
        let near = format!(
            "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [{}]\nc: [{}]\n",
            ["*a"; 100].join(", "),
            ["*b"; 1997].join(", ")
        );
        let (streamed, tree) = both(&near);
        assert_eq!(streamed.1, tree.1);
        let explosion = |d: &Vec<String>| d.iter().any(|d| d.contains("aliases copy more than"));
        assert!(!explosion(&streamed.1), "{:?}", streamed.1);

        // Block sequences (flow collections have the parser's own limit, 255).
        let deep: String = (0..300)
            .map(|i| format!("{}-\n", " ".repeat(2 * i)))
            .chain([format!("{}x\n", " ".repeat(600))])
            .collect();
        let (streamed, tree) = both(&deep);
        assert_eq!(streamed, tree, "the tree has the same limit");
        assert!(streamed.0.is_none());
        assert!(
            streamed.1[0].contains("nest more than 256 levels"),
            "{:?}",
            streamed.1
        );
    }
}

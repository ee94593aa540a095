//! A serde `Deserializer` over a [`Node`] tree that records every error with its location.
//!
//! The rules:
//! - Every error is recorded in the [`Diagnostics`] sink once, at the innermost node it concerns,
//!   the moment it is created or first passes through this deserializer. A returned `Err` only means
//!   "this value could not be built"; [`Lenient`](crate::Lenient) and the collections in
//!   [`types`](crate::types) catch it and go on with the next entry.
//! - A struct's keys are checked before its fields are read: every unknown key is reported with a
//!   hint and skipped, so one typo does not hide another.
//! - Scalars are read by what the target type asks for: a plain `443` is a number for a `u16` and
//!   the text "443" for a `String`.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::diag::{Diagnostic, Diagnostics};
use crate::suggest;
use crate::yaml::{Node, NodeKind};

/// The struct name with which [`Spanned`](crate::Spanned) asks for its location.
pub(crate) const SPANNED: &str = "$vpcsim::Spanned";
pub(crate) const SPANNED_FIELDS: &[&str] = &["$value", "$span"];

/// Deserializes `T` from `node`, recording problems in `diags`. `None` when the value could not be
/// built (the reasons are in `diags`).
pub fn from_node<'de, T: de::Deserialize<'de>>(
    node: &'de Node,
    diags: &'de Diagnostics,
) -> Option<T> {
    T::deserialize(NodeDe { node, diags }).ok()
}

/// The deserializer error. Its message has already been recorded in the sink when `located` is true.
#[derive(Debug)]
pub struct Error {
    pub(crate) msg: String,
    pub(crate) located: bool,
}

impl Error {
    /// The diagnostic code of an error a visitor returned.
    pub(crate) fn code(&self) -> &'static str {
        if self.msg.starts_with("missing key") {
            "missing-key"
        } else {
            "invalid-value"
        }
    }

    /// An error whose message is recorded already (or needs no record: the input ended, and why
    /// is recorded).
    pub(crate) fn located(msg: impl Into<String>) -> Self {
        Error {
            msg: msg.into(),
            located: true,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            msg: msg.to_string(),
            located: false,
        }
    }

    fn missing_field(field: &'static str) -> Self {
        Error::custom(format_args!("missing key '{field}'"))
    }
}

/// Deserializes from one node.
#[derive(Clone, Copy)]
pub struct NodeDe<'a> {
    node: &'a Node,
    diags: &'a Diagnostics,
}

impl<'a> NodeDe<'a> {
    /// A deserializer for `node` reporting into `diags`.
    pub fn new(node: &'a Node, diags: &'a Diagnostics) -> Self {
        NodeDe { node, diags }
    }

    fn fail(&self, code: &'static str, msg: String, help: Option<String>) -> Error {
        let mut d = Diagnostic::error(code, self.node.span, msg.clone());
        if let Some(h) = help {
            d = d.with_help(h);
        }
        self.diags.push(d);
        Error { msg, located: true }
    }

    /// Records an error coming back from a visitor at this node, once.
    fn locate(&self, e: Error) -> Error {
        if e.located {
            return e;
        }
        self.fail(e.code(), e.msg, None)
    }

    fn expected(&self, what: &str) -> Error {
        self.fail(
            "invalid-type",
            format!("expected {what}, found {}", self.node.describe()),
            None,
        )
    }

    fn scalar(&self, what: &str) -> Result<&'a str, Error> {
        match &self.node.kind {
            NodeKind::Scalar { text, .. } if !self.node.is_null() => Ok(text),
            _ => Err(self.expected(what)),
        }
    }

    fn number<T: std::str::FromStr>(&self, what: &str) -> Result<T, Error> {
        let text = self.scalar(what)?;
        text.trim().parse().map_err(|_| self.expected(what))
    }
}

macro_rules! number {
    ($method:ident, $visit:ident, $t:ty, $what:expr) => {
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let n: $t = self.number($what)?;
            visitor.$visit(n).map_err(|e| self.locate(e))
        }
    };
}

impl<'de> de::Deserializer<'de> for NodeDe<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match &self.node.kind {
            NodeKind::Scalar { text, plain } => Scalar::of(text, *plain).visit(visitor),
            NodeKind::Seq(items) => visitor.visit_seq(SeqDe {
                items: items.iter(),
                diags: self.diags,
            }),
            NodeKind::Map(entries) => visitor.visit_map(MapDe {
                entries: entries.iter(),
                value: None,
                diags: self.diags,
            }),
        };
        r.map_err(|e| self.locate(e))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let text = self.scalar("true or false")?;
        match parse_bool(text) {
            Some(b) => visitor.visit_bool(b).map_err(|e| self.locate(e)),
            None => Err(self.expected("true or false")),
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
        let text = self.scalar("a text value")?;
        visitor.visit_str(text).map_err(|e| self.locate(e))
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
        if self.node.is_null() {
            visitor.visit_none().map_err(|e| self.locate(e))
        } else {
            visitor.visit_some(self).map_err(|e| self.locate(e))
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        if self.node.is_null() {
            visitor.visit_unit().map_err(|e| self.locate(e))
        } else {
            Err(self.expected("nothing (null)"))
        }
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
        if name == crate::types::ONE_OR_MANY && matches!(self.node.kind, NodeKind::Seq(_)) {
            return self.deserialize_seq(visitor);
        }
        visitor
            .visit_newtype_struct(self)
            .map_err(|e| self.locate(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Seq(items) => visitor
                .visit_seq(SeqDe {
                    items: items.iter(),
                    diags: self.diags,
                })
                .map_err(|e| self.locate(e)),
            // An empty value (`ingress:` with nothing after it) reads as an empty list.
            _ if self.node.is_null() => visitor
                .visit_seq(SeqDe {
                    items: [].iter(),
                    diags: self.diags,
                })
                .map_err(|e| self.locate(e)),
            _ => Err(self.expected("a list")),
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
        match &self.node.kind {
            NodeKind::Map(entries) => visitor
                .visit_map(MapDe {
                    entries: entries.iter(),
                    value: None,
                    diags: self.diags,
                })
                .map_err(|e| self.locate(e)),
            // An empty value (`subnets:` with nothing after it) reads as an empty mapping.
            _ if self.node.is_null() => visitor
                .visit_map(MapDe {
                    entries: [].iter(),
                    value: None,
                    diags: self.diags,
                })
                .map_err(|e| self.locate(e)),
            _ => Err(self.expected("a mapping of `key: value`")),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == crate::stream::RAW_NODE {
            crate::stream::capture(self.node.clone());
            return visitor.visit_unit().map_err(|e| self.locate(e));
        }
        if name == SPANNED {
            return visitor
                .visit_map(SpannedAccess::new(SpannedNode {
                    node: self.node,
                    diags: self.diags,
                }))
                .map_err(|e| self.locate(e));
        }
        let entries: &'de [(Node, Node)] = match &self.node.kind {
            NodeKind::Map(entries) => entries,
            _ if self.node.is_null() => &[],
            _ => return Err(self.expected(&format!("a mapping (the keys of {})", article(name)))),
        };
        let mut known = Vec::with_capacity(entries.len());
        // Fields a misspelt key was probably meant to be: their "missing key" would repeat the hint.
        let mut meant: Vec<&str> = Vec::new();
        for (key, value) in entries {
            match key.as_str() {
                Some(k) if fields.contains(&k) => known.push((key, value)),
                _ => {
                    let k = key.as_str().unwrap_or("(complex key)");
                    let (d, best) = unknown_key(name, fields, k, key.span);
                    meant.extend(best);
                    self.diags.push(d);
                }
            }
        }
        visitor
            .visit_map(MapDe {
                entries: KnownIter(known.into_iter()),
                value: None,
                diags: self.diags,
            })
            .map_err(|e| {
                if meant.iter().any(|m| e.msg == format!("missing key '{m}'")) {
                    return Error { located: true, ..e };
                }
                self.locate(e)
            })
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match &self.node.kind {
            NodeKind::Scalar { text, .. } if !self.node.is_null() => {
                if let Some((msg, help)) = not_a_variant(name, variants, text) {
                    return Err(self.fail("invalid-value", msg, Some(help)));
                }
                visitor
                    .visit_enum(text.as_str().into_deserializer())
                    .map_err(|e: Error| self.locate(e))
            }
            _ => Err(self.expected(&format!("one of: {}", variants.join(", ")))),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }
}

impl<'de> IntoDeserializer<'de, Error> for NodeDe<'de> {
    type Deserializer = Self;
    fn into_deserializer(self) -> Self {
        self
    }
}

/// The report of a key that is not one of `fields` of the struct `name`, and the field it was
/// probably meant to be (whose "missing key" error would repeat the hint).
pub(crate) fn unknown_key(
    name: &str,
    fields: &'static [&'static str],
    key: &str,
    span: crate::Span,
) -> (Diagnostic, Option<&'static str>) {
    let best = suggest::closest(key, fields.iter().copied());
    let help = match best {
        Some(best) => format!("did you mean '{best}'?"),
        None => format!("{} takes: {}", article(name), fields.join(", ")),
    };
    let d = Diagnostic::error(
        "unknown-key",
        span,
        format!("unknown key '{key}' in {}", article(name)),
    )
    .with_label("not a key of this mapping")
    .with_help(help);
    (d, best)
}

/// The message and hint when `text` is not one of `variants` of the enum `name`.
pub(crate) fn not_a_variant(name: &str, variants: &[&str], text: &str) -> Option<(String, String)> {
    if variants.contains(&text) {
        return None;
    }
    let help = match suggest::closest(text, variants.iter().copied()) {
        Some(best) => format!("did you mean '{best}'?"),
        None => format!("use one of: {}", variants.join(", ")),
    };
    Some((format!("'{text}' is not a valid {}", human(name)), help))
}

/// "a Subnet" from a type name, for messages.
pub(crate) fn article(name: &str) -> String {
    let h = human(name);
    let an = h.starts_with(['a', 'e', 'i', 'o', 'u']);
    format!("{} {h}", if an { "an" } else { "a" })
}

/// `RouteTable` → "route table", `Vpc` → "VPC", `SgRule` → "security group rule".
pub(crate) fn human(name: &str) -> String {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in name.chars() {
        if c.is_uppercase() && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    words.push(word);
    words
        .iter()
        .filter(|w| *w != "def")
        .map(|w| match w.as_str() {
            "vpc" => "VPC",
            "nat" => "NAT",
            "acl" => "network ACL",
            "sg" => "security group",
            "dx" => "Direct Connect",
            "dns" => "DNS",
            "s3" => "S3",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

pub(crate) fn parse_float(text: &str) -> Option<f64> {
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E'));
    if looks_numeric {
        text.parse().ok()
    } else {
        None
    }
}

/// What a scalar means as vpcsim reads YAML: a plain scalar may be null, a boolean or a number
/// (the YAML 1.2 core schema's forms); any other scalar, and every quoted or block one, is text.
/// Both deserializers and the forms that take "text but not a number" read scalars through it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar<'a> {
    /// `~`, `null`, or nothing.
    Null,
    /// `true`, `False`…
    Bool(bool),
    /// A number that fits `i64`.
    Signed(i64),
    /// A larger whole number.
    Unsigned(u64),
    /// Any other number.
    Float(f64),
    /// Text.
    Text(&'a str),
}

impl<'a> Scalar<'a> {
    /// What `text`, written plain or not, means.
    pub fn of(text: &'a str, plain: bool) -> Self {
        if !plain {
            Scalar::Text(text)
        } else if crate::yaml::is_null_text(text, plain) {
            Scalar::Null
        } else if let Some(b) = parse_bool(text) {
            Scalar::Bool(b)
        } else if let Ok(n) = text.parse::<i64>() {
            Scalar::Signed(n)
        } else if let Ok(n) = text.parse::<u64>() {
            Scalar::Unsigned(n)
        } else if let Some(f) = parse_float(text) {
            Scalar::Float(f)
        } else {
            Scalar::Text(text)
        }
    }

    /// Hands the value to `visitor`.
    pub fn visit<'de, V: Visitor<'de>, E: de::Error>(self, visitor: V) -> Result<V::Value, E> {
        match self {
            Scalar::Null => visitor.visit_unit(),
            Scalar::Bool(b) => visitor.visit_bool(b),
            Scalar::Signed(n) => visitor.visit_i64(n),
            Scalar::Unsigned(n) => visitor.visit_u64(n),
            Scalar::Float(f) => visitor.visit_f64(f),
            Scalar::Text(t) => visitor.visit_str(t),
        }
    }

    /// The value, as serde names what it did not expect.
    pub fn unexpected(self) -> de::Unexpected<'a> {
        match self {
            Scalar::Null => de::Unexpected::Unit,
            Scalar::Bool(b) => de::Unexpected::Bool(b),
            Scalar::Signed(n) => de::Unexpected::Signed(n),
            Scalar::Unsigned(n) => de::Unexpected::Unsigned(n),
            Scalar::Float(f) => de::Unexpected::Float(f),
            Scalar::Text(t) => de::Unexpected::Str(t),
        }
    }
}

struct SeqDe<'a> {
    items: std::slice::Iter<'a, Node>,
    diags: &'a Diagnostics,
}

impl<'de> de::SeqAccess<'de> for SeqDe<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        match self.items.next() {
            None => Ok(None),
            Some(node) => seed.deserialize(NodeDe::new(node, self.diags)).map(Some),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// The entries a struct reads, after unknown keys were taken out.
struct KnownIter<'a>(std::vec::IntoIter<(&'a Node, &'a Node)>);

trait Pairs<'a> {
    fn next_pair(&mut self) -> Option<(&'a Node, &'a Node)>;
    /// The entries left.
    fn left(&self) -> usize;
}

impl<'a> Pairs<'a> for std::slice::Iter<'a, (Node, Node)> {
    fn next_pair(&mut self) -> Option<(&'a Node, &'a Node)> {
        self.next().map(|(k, v)| (k, v))
    }
    fn left(&self) -> usize {
        self.len()
    }
}

impl<'a> Pairs<'a> for KnownIter<'a> {
    fn next_pair(&mut self) -> Option<(&'a Node, &'a Node)> {
        self.0.next()
    }
    fn left(&self) -> usize {
        self.0.len()
    }
}

struct MapDe<'a, I> {
    entries: I,
    value: Option<&'a Node>,
    diags: &'a Diagnostics,
}

impl<'de, I: Pairs<'de>> de::MapAccess<'de> for MapDe<'de, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.entries.next_pair() {
            None => Ok(None),
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(NodeDe::new(k, self.diags)).map(Some)
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        match self.value.take() {
            Some(v) => seed.deserialize(NodeDe::new(v, self.diags)),
            None => Err(de::Error::custom("value requested before key")),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.left())
    }
}

/// Where a [`Spanned`](crate::Spanned) value is read from: the tree's node, or the stream.
pub(crate) trait SpannedSource<'de> {
    /// Reads the value.
    fn value<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error>;
    /// Where the value was (asked after it is read: the stream knows it only then).
    fn value_span(&self) -> crate::Span;
}

/// Feeds [`Spanned`](crate::Spanned) its value and then its span (as five integers), from
/// either reader.
pub(crate) struct SpannedAccess<S> {
    source: S,
    state: u8,
}

impl<S> SpannedAccess<S> {
    pub(crate) fn new(source: S) -> Self {
        SpannedAccess { source, state: 0 }
    }
}

impl<'de, S: SpannedSource<'de>> de::MapAccess<'de> for SpannedAccess<S> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let key = match self.state {
            0 => SPANNED_FIELDS[0],
            1 => SPANNED_FIELDS[1],
            _ => return Ok(None),
        };
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.state += 1;
        if self.state == 1 {
            self.source.value(seed)
        } else {
            let s = self.source.value_span();
            let parts = [
                s.file.0 as u64,
                s.start as u64,
                s.end as u64,
                s.line as u64,
                s.col as u64,
            ];
            seed.deserialize(de::value::SeqDeserializer::new(parts.into_iter()))
        }
    }
}

/// The tree's side: the node and its span.
struct SpannedNode<'a> {
    node: &'a Node,
    diags: &'a Diagnostics,
}

impl<'de> SpannedSource<'de> for SpannedNode<'de> {
    fn value<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        seed.deserialize(NodeDe::new(self.node, self.diags))
    }

    fn value_span(&self) -> crate::Span {
        self.node.span
    }
}

//! Wrapper types that the format's structs use to keep locations and to survive broken entries.

use std::fmt;
use std::marker::PhantomData;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::de::{SPANNED, SPANNED_FIELDS};
use crate::source::{SourceId, Span};

/// A value with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    /// Where the value is written.
    pub span: Span,
    /// The value.
    pub value: T,
}

impl<T> Spanned<T> {
    /// A value with a span.
    pub fn new(span: Span, value: T) -> Self {
        Spanned { span, value }
    }
}

impl Spanned<String> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.value
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Spanned<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Spanned<T>, A::Error> {
                let _: Option<String> = map.next_key()?;
                let value = map.next_value()?;
                let _: Option<String> = map.next_key()?;
                let [file, start, end, line, col]: [u64; 5] = map.next_value()?;
                Ok(Spanned {
                    span: Span {
                        file: SourceId(file as u32),
                        start: start as u32,
                        end: end as u32,
                        line: line as u32,
                        col: col as u32,
                    },
                    value,
                })
            }
        }
        d.deserialize_struct(SPANNED, SPANNED_FIELDS, V(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Spanned<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        g.subschema_for::<T>()
    }
}

/// A value that may fail to read without failing its parent: `None` when broken (the reason is
/// already in the diagnostics) or, with `#[serde(default)]`, when absent. Use it for optional
/// fields so one bad value does not hide the problems of the entry around it.
#[derive(Clone, Debug, PartialEq)]
pub struct Lenient<T>(pub Option<T>);

impl<T> std::ops::Deref for Lenient<T> {
    type Target = Option<T>;
    fn deref(&self) -> &Option<T> {
        &self.0
    }
}

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Lenient(T::deserialize(d).ok()))
    }
}

impl<T: JsonSchema> JsonSchema for Lenient<T> {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        g.subschema_for::<T>()
    }
}

/// One entry of a named map (`subnets: { app-a: {...} }`): the name and, unless it was broken, the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry<T> {
    /// The name, where it is written.
    pub key: Spanned<String>,
    /// The value; `None` if it could not be read (the reason is in the diagnostics).
    pub value: Option<T>,
}

/// A mapping from names to values, in file order; each value is read on its own so one broken
/// entry does not hide the others. Keys are unique (the YAML reader drops duplicates).
#[derive(Clone, Debug, PartialEq)]
pub struct Entries<T>(pub Vec<Entry<T>>);

impl<T> Default for Entries<T> {
    fn default() -> Self {
        Entries(Vec::new())
    }
}

impl<T> Entries<T> {
    /// The entries.
    pub fn iter(&self) -> std::slice::Iter<'_, Entry<T>> {
        self.0.iter()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Entries<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Entries<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of names to entries")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<T>, A::Error> {
                let mut out = Vec::with_capacity(capacity(map.size_hint()));
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let Lenient(value) = map.next_value::<Lenient<T>>()?;
                    out.push(Entry { key, value });
                }
                Ok(Entries(exact(out)))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for Entries<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("Entries_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let item = g.subschema_for::<T>();
        json_schema!({ "type": ["object", "null"], "additionalProperties": item })
    }
}

/// The room to make for a list or mapping of `hint` items. `from_node`'s hints are exact (the tree
/// holds the items already); `stream::from_str` gives none (the items are still to be parsed), so
/// the vectors grow and are shrunk to their length at the end: either way no spare capacity is
/// kept (see [`exact`]). A hint above a million (which no tree the loader accepts holds) is not trusted.
fn capacity(hint: Option<usize>) -> usize {
    hint.filter(|&n| n <= 1 << 20).unwrap_or(0)
}

/// `v` in a vector of exactly its length. A vector grown without a size hint has room to spare,
/// and `shrink_to_fit` keeps it (the allocator shrinks a block in place while it is at least half
/// used): the items are moved to a new allocation instead, and the grown one is freed for the next
/// collection to use. A large vector is shrunk in place: the pages of its spare room were never
/// written, so they cost no memory, and a copy would hold it twice.
pub(crate) fn exact<T>(mut v: Vec<T>) -> Vec<T> {
    if v.capacity() == v.len() {
        return v;
    }
    if v.capacity() * std::mem::size_of::<T>() >= 64 * 1024 {
        v.shrink_to_fit();
        return v;
    }
    let mut out = Vec::with_capacity(v.len());
    out.append(&mut v);
    out
}

/// A list whose items are read one by one; broken items are left out (and reported).
#[derive(Clone, Debug, PartialEq)]
pub struct List<T>(pub Vec<T>);

impl<T> Default for List<T> {
    fn default() -> Self {
        List(Vec::new())
    }
}

impl<T> List<T> {
    /// The items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut out = Vec::with_capacity(capacity(seq.size_hint()));
                while let Some(Lenient(item)) = seq.next_element::<Lenient<T>>()? {
                    out.extend(item);
                }
                Ok(List(exact(out)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<List<T>, E> {
                Ok(List(Vec::new()))
            }
        }
        d.deserialize_seq(V(PhantomData))
    }
}

impl<T: JsonSchema> JsonSchema for List<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("List_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let item = g.subschema_for::<T>();
        json_schema!({ "type": "array", "items": item })
    }
}

/// One value or a list of them (`cidr: 10.0.0.0/16` or `cidr: [10.0.0.0/16, 10.2.0.0/16]`).
#[derive(Clone, Debug, PartialEq)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        OneOrMany(Vec::new())
    }
}

impl<T> OneOrMany<T> {
    /// The values.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read as a list when it is one, otherwise as a single value.
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value or a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany<T>, A::Error> {
                let mut out = Vec::with_capacity(capacity(seq.size_hint()));
                while let Some(Lenient(item)) = seq.next_element::<Lenient<T>>()? {
                    out.extend(item);
                }
                Ok(OneOrMany(exact(out)))
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(
                self,
                d: D,
            ) -> Result<OneOrMany<T>, D::Error> {
                Ok(OneOrMany(vec![T::deserialize(d)?]))
            }
        }
        d.deserialize_newtype_struct(ONE_OR_MANY, V(PhantomData))
    }
}

pub(crate) const ONE_OR_MANY: &str = "$vpcsim::OneOrMany";

impl<T: JsonSchema> JsonSchema for OneOrMany<T> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        format!("OneOrMany_{}", T::schema_name()).into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(g: &mut SchemaGenerator) -> Schema {
        let item = g.subschema_for::<T>();
        json_schema!({ "anyOf": [item.clone(), { "type": "array", "items": item }] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Diagnostics, SourceFile, from_node, yaml};
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Subnet {
        az: Spanned<String>,
        cidr: String,
        size: Option<u16>,
    }

    #[derive(Deserialize, Debug)]
    struct Top {
        subnets: Entries<Subnet>,
        cidr: OneOrMany<String>,
        more: OneOrMany<String>,
    }

    fn read(text: &str) -> (Option<Top>, Vec<String>) {
        let file = SourceFile::new("t.yaml", text);
        let diags = Diagnostics::new();
        let node = yaml::parse(SourceId(0), &file, &diags).unwrap();
        let top = from_node::<Top>(&node, &diags);
        let lines = diags
            .into_sorted()
            .iter()
            .map(|d| {
                let s = d.span.unwrap();
                format!(
                    "{}:{} {} {}",
                    s.line,
                    s.col,
                    d.message,
                    d.help.clone().unwrap_or_default()
                )
            })
            .collect();
        (top, lines)
    }

    #[test]
    fn reads_and_locates() {
        let (top, diags) = read(
            "subnets:\n  a: { az: us-east-1a, cidr: 10.0.0.0/24, size: 8 }\ncidr: x\nmore: [y, z]\n",
        );
        assert!(diags.is_empty(), "{diags:?}");
        let top = top.unwrap();
        let a = top.subnets.0[0].value.as_ref().unwrap();
        assert_eq!(a.az.value, "us-east-1a");
        assert_eq!((a.az.span.line, a.az.span.col), (2, 12));
        assert_eq!(top.cidr.0, vec!["x"]);
        assert_eq!(top.more.0, vec!["y", "z"]);
    }

    #[test]
    fn reports_every_problem_and_keeps_going() {
        let text = "subnets:\n  a: { azz: us-east-1a, cidr: 10.0.0.0/24 }\n  b: { az: x, cidr: y, size: big }\n  c: { az: x, cidr: y, colour: red }\ncidr: x\nmore: [y]\n";
        let (top, diags) = read(text);
        assert_eq!(
            diags,
            vec![
                "2:8 unknown key 'azz' in a subnet did you mean 'az'?".to_string(),
                "3:30 expected an integer from 0 to 65535, found 'big' ".to_string(),
                "4:24 unknown key 'colour' in a subnet a subnet takes: az, cidr, size".to_string(),
            ]
        );
        let top = top.unwrap();
        let names: Vec<_> = top
            .subnets
            .iter()
            .map(|e| (e.key.as_str(), e.value.is_some()))
            .collect();
        // 'a' lacks its required 'az' (the misspelt key's hint already says so, once).
        assert_eq!(names, vec![("a", false), ("b", false), ("c", true)]);
    }
}

//! IAM-style policy documents: endpoint, bucket, access point and identity policies.
//!
//! A policy arrives as a YAML or JSON tree (JSON is read by the same YAML reader, so both point into
//! the file). [`parse`] checks its *structure* the way IAM does when a policy is saved — `Statement`
//! present, `Effect` Allow or Deny, exactly one of `Action`/`NotAction`, a `Principal` where the
//! policy kind needs one and none where it forbids one, known condition operators — and returns a
//! typed [`Policy`].
//!
//! [`evaluate`] then says which statements of one policy match a [`Request`] (action, resource,
//! caller and its condition keys, read through [`Keys`]: a [`Context`] that holds them, or a
//! source that works each out when a condition reads it), and [`authorize`] combines the identity,
//! resource (bucket, access point) and VPC endpoint policies of an [`Authorization`] the way AWS does
//! for S3 — explicit deny wins, the endpoint policy is an extra gate, same account needs one allow
//! and cross account needs both — into an [`Outcome`] naming the deciding statements.
//!
//! [`lint`] checks a valid policy the way IAM Access Analyzer's policy validation does (unknown
//! actions and condition keys, actions no resource of their statement can be, …), against the S3
//! vocabulary of [`catalog`].
//!
//! Key types: [`Policy`], [`Statement`], [`Principal`], [`Condition`] with its parsed [`Operator`];
//! for evaluation [`Keys`], [`Context`], [`Caller`], [`Request`], [`PolicyVerdict`], [`Authorization`],
//! [`Outcome`].
//!
//! Invariant: pure; knows nothing of topologies. Element names are case-sensitive as in IAM.

pub mod catalog;
mod eval;
mod lint;
mod parse;

pub use eval::{
    Authorization, Caller, Context, Decision, Guard, Keys, Limits, Outcome, PolicyVerdict, Request,
    ResourcePolicy, StatementRef, Values, Why, authorize, evaluate,
};
pub use lint::{Lint, LintKind, lint};
pub use parse::{parse, read};
use vpcsim_syntax::Span;

/// Where a policy is attached; decides which elements it must or must not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyKind {
    /// Attached to a principal (role or user): no `Principal` element.
    Identity,
    /// Attached to a resource (bucket, access point): `Principal` required.
    Resource,
    /// Attached to a VPC endpoint: `Principal` required.
    Endpoint,
    /// An AWS Organizations service control policy (SCP): no `Principal`, as identity policies.
    Scp,
    /// An AWS Organizations resource control policy (RCP): `Principal` must be `"*"` and the
    /// effect `Deny` (only the AWS-managed `RCPFullAWSAccess`, always attached, allows).
    Rcp,
}

impl PolicyKind {
    /// For messages: "a bucket policy".
    pub fn describe(self) -> &'static str {
        match self {
            PolicyKind::Identity => "an identity policy",
            PolicyKind::Resource => "a resource policy",
            PolicyKind::Endpoint => "a VPC endpoint policy",
            PolicyKind::Scp => "a service control policy (SCP)",
            PolicyKind::Rcp => "a resource control policy (RCP)",
        }
    }
}

/// A policy document.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    /// `Version`, when given.
    pub version: Option<String>,
    /// `Id`, when given.
    pub id: Option<String>,
    /// The statements, in order.
    pub statements: Vec<Statement>,
    /// Where the document is written.
    pub span: Span,
}

/// `Allow` or `Deny`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Allows when it matches.
    Allow,
    /// Denies when it matches; an explicit deny wins over every allow.
    Deny,
}

/// One statement. Built by [`parse`] or [`Statement::new`], which classify the `Action` and
/// `Resource` patterns for matching; the fields are public for reading. To change a statement,
/// build a new one: the classification is not redone when a field is edited in place.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// `Sid`, when given.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal` or `NotPrincipal` (`negated`), when present.
    pub principal: Option<Negatable<Principal>>,
    /// `Action` or `NotAction`.
    pub action: Negatable<Vec<String>>,
    /// `Resource` or `NotResource`, when present.
    pub resource: Option<Negatable<Vec<String>>>,
    /// `Condition` blocks, one entry per operator and key.
    pub conditions: Vec<Condition>,
    /// Where the statement is written.
    pub span: Span,
    /// Where each element is written (empty when built without a document).
    pub places: Places,
    /// The shape of each `Action` and `Resource` pattern, decided once when parsed.
    shapes: Shapes,
    /// The statement's name ([`Statement::name`]), made when an outcome first names it and shared
    /// by every outcome after.
    label: Label,
}

/// A statement's name as outcomes share it: made once (with the position it was made for, which
/// names a statement without a `Sid`), then lent to every outcome that names the statement.
/// Never compared: two statements equal but for it are equal.
#[derive(Clone, Default)]
struct Label(std::sync::OnceLock<(usize, std::sync::Arc<str>)>);

impl PartialEq for Label {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Label")
    }
}

/// Where a statement's elements are written, for checks that point at one of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Places {
    /// Each `Action` (or `NotAction`) value, position for position.
    pub action: Vec<Span>,
    /// Each `Resource` (or `NotResource`) value, position for position.
    pub resource: Vec<Span>,
    /// The `Principal` (or `NotPrincipal`) element.
    pub principal: Option<Span>,
}

/// Shapes of a statement's `Action` and `Resource` patterns, position for position.
#[derive(Clone, Debug, Default, PartialEq)]
struct Shapes {
    action: Vec<eval::Shape>,
    resource: Vec<eval::Shape>,
}

impl Statement {
    /// A statement; `Action` and `Resource` patterns are classified for matching here.
    pub fn new(
        sid: Option<String>,
        effect: Effect,
        principal: Option<Negatable<Principal>>,
        action: Negatable<Vec<String>>,
        resource: Option<Negatable<Vec<String>>>,
        conditions: Vec<Condition>,
        span: Span,
    ) -> Self {
        let shapes = Shapes {
            action: action.value.iter().map(|a| eval::Shape::of(a)).collect(),
            resource: resource
                .iter()
                .flat_map(|r| &r.value)
                .map(|r| eval::Shape::of(r))
                .collect(),
        };
        Statement {
            sid,
            effect,
            principal,
            action,
            resource,
            conditions,
            span,
            places: Places::default(),
            shapes,
            label: Label::default(),
        }
    }

    /// The statement with the places of its elements.
    pub fn with_places(mut self, places: Places) -> Self {
        self.places = places;
        self
    }

    /// [`Statement::name`], shared: made once, then lent (a statement named at another position
    /// than the first time, which only a statement without a `Sid` could notice, is named anew).
    pub(crate) fn label(&self, index: usize) -> std::sync::Arc<str> {
        let (at, name) = self
            .label
            .0
            .get_or_init(|| (index, self.name(index).into()));
        if *at == index || self.sid.is_some() {
            name.clone()
        } else {
            self.name(index).into()
        }
    }

    /// `Sid` or `#n` (1-based position) to name the statement in explanations.
    pub fn name(&self, index: usize) -> String {
        match &self.sid {
            Some(sid) => sid.clone(),
            None => {
                // `#n` written digit by digit: every matched statement of every trace is named.
                let mut digits = [0u8; 20];
                let mut i = digits.len();
                let mut n = index + 1;
                while n > 0 {
                    i -= 1;
                    digits[i] = b'0' + (n % 10) as u8;
                    n /= 10;
                }
                let mut out = String::with_capacity(1 + digits.len() - i);
                out.push('#');
                out.extend(digits[i..].iter().map(|&d| char::from(d)));
                out
            }
        }
    }
}

/// An element that has a `Not…` form.
#[derive(Clone, Debug, PartialEq)]
pub struct Negatable<T> {
    /// True for `NotPrincipal`, `NotAction`, `NotResource`.
    pub negated: bool,
    /// The values.
    pub value: T,
}

/// The `Principal` element.
#[derive(Clone, Debug, PartialEq)]
pub enum Principal {
    /// `"*"`: everyone (anonymous included).
    Any,
    /// `{ "AWS": [...], "Service": [...] }`.
    Typed(Vec<(PrincipalType, Vec<String>)>),
}

/// The kind of principal named in a `Principal` map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PrincipalType {
    /// `AWS`: accounts, roles, users, `*`.
    Aws,
    /// `Service`: `s3.amazonaws.com`…
    Service,
    /// `Federated`.
    Federated,
    /// `CanonicalUser`.
    CanonicalUser,
}

/// One condition test: an operator applied to one key with its values (OR'ed). Built by [`parse`]
/// or [`Condition::new`], which index the values for exact matches; the fields are public for
/// reading. To change a condition, build a new one: the index is not redone when `values` is
/// edited in place.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// The operator with its qualifiers.
    pub operator: Operator,
    /// The condition key as written (`aws:sourceVpce`); compare case-insensitively.
    pub key: String,
    /// The values, as text.
    pub values: Vec<String>,
    /// Where the key is written.
    pub span: Span,
    /// The values as a set, for exact matches without a scan (a policy that lists every endpoint
    /// of an organisation has dozens of `aws:SourceVpce` values); empty for a few values.
    set: std::collections::HashSet<String, foldhash::fast::FixedState>,
    /// Whether a value holds a policy variable (`${…}`): then exact matches are found by
    /// substituting each value in turn.
    variables: bool,
}

/// Up to this many condition values, an exact match scans them rather than hashing.
const SCAN_MAX: usize = 4;

impl Condition {
    /// A condition test; `values` are OR'ed.
    pub fn new(operator: Operator, key: String, values: Vec<String>, span: Span) -> Self {
        let variables = values.iter().any(|v| v.contains("${"));
        let set = if values.len() > SCAN_MAX {
            values.iter().cloned().collect()
        } else {
            Default::default()
        };
        Condition {
            operator,
            key,
            values,
            span,
            set,
            variables,
        }
    }

    /// Whether some value is `text` exactly, when no value holds a policy variable; `None` when
    /// one does (the caller substitutes).
    pub(crate) fn has_literal(&self, text: &str) -> Option<bool> {
        if self.variables {
            return None;
        }
        Some(if self.values.len() > SCAN_MAX {
            if self.set.is_empty() {
                // Values added after construction: no index to trust.
                return None;
            }
            self.set.contains(text)
        } else {
            self.values.iter().any(|v| v == text)
        })
    }
}

/// A condition operator: `ForAnyValue:StringLikeIfExists` is set `ForAnyValue`, base `StringLike`,
/// `if_exists`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Operator {
    /// `ForAllValues:` or `ForAnyValue:`.
    pub set: Option<SetQualifier>,
    /// The operator proper.
    pub base: BaseOperator,
    /// The `IfExists` suffix.
    pub if_exists: bool,
}

/// Set qualifiers for multivalued keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetQualifier {
    /// Every value of the key must match (true when the key is absent or empty, `…IfExists` or
    /// not).
    ForAllValues,
    /// At least one value must match (false when the key is absent or empty, `…IfExists` or
    /// not).
    ForAnyValue,
}

macro_rules! operators {
    ($($name:ident),* $(,)?) => {
        /// The condition operators IAM defines.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum BaseOperator { $(
            #[doc = stringify!($name)]
            $name
        ),* }

        impl BaseOperator {
            /// Every operator, in documentation order.
            pub const ALL: &'static [BaseOperator] = &[$(BaseOperator::$name),*];

            /// The operator's name as written in policies.
            pub fn as_str(self) -> &'static str {
                match self { $(BaseOperator::$name => stringify!($name)),* }
            }
        }
    };
}

operators!(
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
);

impl BaseOperator {
    /// Parses an operator name (exact case, as IAM requires).
    pub fn from_name(name: &str) -> Option<BaseOperator> {
        BaseOperator::ALL
            .iter()
            .copied()
            .find(|o| o.as_str() == name)
    }

    /// Negated operators are true when the key is missing.
    pub fn is_negated(self) -> bool {
        use BaseOperator::*;
        matches!(
            self,
            StringNotEquals
                | StringNotEqualsIgnoreCase
                | StringNotLike
                | NumericNotEquals
                | DateNotEquals
                | NotIpAddress
                | ArnNotEquals
                | ArnNotLike
        )
    }
}

impl Operator {
    /// Parses `[ForAllValues:|ForAnyValue:]Base[IfExists]`.
    pub fn parse(text: &str) -> Option<Operator> {
        let (set, rest) = if let Some(r) = text.strip_prefix("ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else if let Some(r) = text.strip_prefix("ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else {
            (None, text)
        };
        let (base, if_exists) = match rest.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (rest, false),
        };
        let base = BaseOperator::from_name(base)?;
        if if_exists && base == BaseOperator::Null {
            return None;
        }
        Some(Operator {
            set,
            base,
            if_exists,
        })
    }

    /// The operator as written.
    pub fn name(&self) -> String {
        let set = match self.set {
            Some(SetQualifier::ForAllValues) => "ForAllValues:",
            Some(SetQualifier::ForAnyValue) => "ForAnyValue:",
            None => "",
        };
        let suffix = if self.if_exists { "IfExists" } else { "" };
        format!("{set}{}{suffix}", self.base.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_round_trip() {
        for text in [
            "StringEquals",
            "ForAnyValue:StringLikeIfExists",
            "ForAllValues:ArnNotLike",
            "Null",
            "NotIpAddressIfExists",
        ] {
            assert_eq!(Operator::parse(text).unwrap().name(), text);
        }
        assert_eq!(Operator::parse("NullIfExists"), None);
        assert_eq!(Operator::parse("stringequals"), None);
        assert!(BaseOperator::StringNotLike.is_negated());
        assert!(!BaseOperator::Null.is_negated());
    }
}

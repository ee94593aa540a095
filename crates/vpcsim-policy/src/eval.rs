//! Evaluation: which statements of a policy match a request, and how AWS combines identity, resource
//! (bucket, access point) and VPC endpoint policies into one decision for S3.
//!
//! [`evaluate`] looks at one policy; [`authorize`] combines them:
//!
//! 1. An explicit `Deny` in any applicable policy wins ([`Decision::ExplicitDeny`]), with one
//!    exception: the bucket owner's root user may always call `s3:GetBucketPolicy`,
//!    `s3:PutBucketPolicy` and `s3:DeleteBucketPolicy` whatever the bucket (and access point)
//!    policies deny. AWS documents that only VPC endpoint policies and AWS Organizations policies can
//!    block the root user there, so endpoint denies still apply to it.
//!    SCP and RCP denies apply to the root user too.
//! 2. AWS Organizations ([`Limits::scps`], [`Limits::rcps`]): RCPs only deny; the caller's SCPs
//!    must allow at every node of the organization ([`Guard`]), else an implicit deny naming it.
//! 3. Through a VPC endpoint, the endpoint policy must also allow the request (the default policy
//!    allows everything; a policy with only `Deny` statements allows nothing).
//! 4. An identity policy's allow counts within the caller's permissions boundary and session
//!    policies ([`Limits`]), as does a resource policy's allow naming the caller's role ARN (one
//!    naming a user, a session's own ARN or everyone is not limited).
//!    Same account: an identity policy allow suffices, or a resource policy allow that names the
//!    caller itself (its ARN, its role for a session, or everyone). A resource policy that names
//!    only the caller's *account* (`"111122223333"`, `arn:aws:iam::111122223333:root`) delegates
//!    to the account: the caller's identity policy must allow too ([`PolicyVerdict::delegated`]).
//!    Across accounts both must allow, the resource policy naming the caller or its account.
//!    Anonymous requests and AWS service principals ([`Caller::service`]) can be allowed by
//!    resource policies only (a statement whose principal is `"*"` or `{"AWS": "*"}`, a
//!    `NotPrincipal`, or `{"Service": …}` naming the service). See IAM's "AWS account principals"
//!    (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>)
//!    and "Policy evaluation for requests within a single account"
//!    (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html>).
//! 5. Otherwise [`Decision::ImplicitDeny`].

mod condition;
mod pattern;

use std::borrow::Cow;
use std::sync::Arc;

use smallvec::SmallVec;

pub(crate) use condition::{base64, date_millis, network, number};
use pattern::Expand;
pub(crate) use pattern::Shape;

/// Whether `text` matches the pattern `pat` (`*` and `?` wildcards over characters, no policy
/// variables), as the evaluator matches actions and `…Like` values; `fold` ignores case. The
/// checks of [`crate::lint`] ask with it, so they and the evaluator cannot disagree.
pub(crate) fn wildcard_match(pat: &str, text: &str, fold: bool) -> bool {
    Expand {
        vars: None,
        wildcards: true,
    }
    .matches(pat, text, fold)
}

use crate::{Effect, Policy, Principal, PrincipalType, Statement};

/// Condition keys of a request: case-insensitive names, each with one or more values.
///
/// A request has a few dozen keys at most, so they are kept in a vector in the order set, with a
/// small hash index over their names' signatures (length, last and middle byte): a lookup
/// compares names (case-insensitively) only with the keys of its signature's bucket. The values are copied into one buffer as they are
/// set (a value of a few bytes costs a copy, not an allocation), so a context owns what it holds:
/// it can be kept after the request ([`Context::into_static`]) without copying it again, and no
/// lookup allocates. `'a` is the lifetime of the values a caller sets (any: they are copied).
/// [`Context::iter`] sorts for display.
#[derive(Clone, Debug)]
pub struct Context<'a> {
    /// The values, one after another.
    text: String,
    /// The keys in the order set, each with its [`signature`]: a lookup compares names only
    /// where signatures agree.
    keys: Vec<Entry>,
    /// The second and later values of multivalued keys.
    more: Vec<(u32, u32)>,
    /// Per bucket of signatures ([`bucket`]), the last key set in it, as its index + 1 (0: none),
    /// the keys of a bucket chained through [`Entry::next`]: a key whose bucket is empty is absent,
    /// found so without a scan (most lookups of policy conditions, and every new key set), and one
    /// present is found among the few of its bucket. Keys beyond [`INDEXED`] are not indexed:
    /// [`Context::spilled`] then makes lookups scan.
    heads: [u16; BUCKETS],
    values: std::marker::PhantomData<Cow<'a, str>>,
}

/// The number of buckets of a [`Context`]'s index.
const BUCKETS: usize = 64;

/// How many keys a [`Context`]'s index holds (its links are 16-bit, 0 meaning none).
const INDEXED: usize = u16::MAX as usize - 1;

impl Default for Context<'_> {
    fn default() -> Self {
        Context {
            text: String::new(),
            keys: Vec::new(),
            more: Vec::new(),
            heads: [0; BUCKETS],
            values: std::marker::PhantomData,
        }
    }
}

/// One key of a [`Context`]: its signature, name and values (the first in `first`, the others
/// from `more[more..]`), and the key set before it in its bucket (index + 1, 0: none).
#[derive(Clone, Debug)]
struct Entry {
    sig: u32,
    key: Cow<'static, str>,
    n: u32,
    first: (u32, u32),
    more: u32,
    next: u16,
}

/// The bucket of [`Context::heads`] a signature falls in.
#[inline]
fn bucket(sig: u32) -> usize {
    (sig.wrapping_mul(0x9e37_79b1) >> 26) as usize
}

/// Length, last and middle byte of a key name, lower-cased: equal for names equal up to ASCII case.
#[inline]
fn signature(key: &str) -> u32 {
    let b = key.as_bytes();
    let at = |i: usize| u32::from(b.get(i).map_or(0, u8::to_ascii_lowercase));
    (b.len() as u32 & 0xffff) | (at(b.len().wrapping_sub(1)) << 16) | (at(b.len() / 2) << 24)
}

/// Where a request's condition keys are looked up: a [`Context`] that holds them, or a source
/// that works each key out when a condition reads it (a request has a few dozen keys and a policy
/// reads one or two: the engine's request context is such a source).
pub trait Keys: std::fmt::Debug {
    /// The values of `key`, looked up case-insensitively; `None` when the request has no such key.
    fn get(&self, key: &str) -> Option<Values<'_>>;
}

impl Keys for Context<'_> {
    fn get(&self, key: &str) -> Option<Values<'_>> {
        Context::get(self, key)
    }
}

/// The values of one key of a [`Context`] (or of any [`Keys`]).
#[derive(Clone, Copy, Debug)]
pub struct Values<'c> {
    text: &'c str,
    n: u32,
    first: (u32, u32),
    more: &'c [(u32, u32)],
}

impl<'c> Values<'c> {
    /// One value.
    pub fn one(value: &'c str) -> Values<'c> {
        Values {
            text: value,
            n: 1,
            first: (0, value.len() as u32),
            more: &[],
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.n as usize
    }

    /// Whether there are none (a key set to an empty list: absent for every operator).
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The value at `i`.
    pub fn get(&self, i: usize) -> Option<&'c str> {
        let (a, b) = match i {
            _ if i >= self.n as usize => return None,
            0 => self.first,
            _ => self.more[i - 1],
        };
        Some(&self.text[a as usize..b as usize])
    }

    /// The first value.
    pub fn first(&self) -> Option<&'c str> {
        self.get(0)
    }

    /// The values in order.
    pub fn iter(&self) -> impl Iterator<Item = &'c str> + Clone + use<'c> {
        let v = *self;
        (0..v.len()).filter_map(move |i| v.get(i))
    }
}

impl PartialEq for Values<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.iter().eq(other.iter())
    }
}

/// Orders key names as their lower-cased forms would, without lower-casing them.
fn key_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    for (p, q) in x.iter().zip(y) {
        let (p, q) = (p.to_ascii_lowercase(), q.to_ascii_lowercase());
        if p != q {
            return p.cmp(&q);
        }
    }
    x.len().cmp(&y.len())
}

impl PartialEq for Context<'_> {
    /// The same keys (case-insensitively) with the same values, in any order.
    fn eq(&self, other: &Self) -> bool {
        self.keys.len() == other.keys.len()
            && self
                .keys
                .iter()
                .all(|e| other.get(&e.key) == Some(self.values(e)))
    }
}

impl<'a> Context<'a> {
    /// An empty context (with room for the keys a request usually has, in allocations the
    /// allocator serves from its per-thread cache).
    pub fn new() -> Self {
        Context {
            text: String::with_capacity(512),
            keys: Vec::with_capacity(16),
            more: Vec::new(),
            heads: [0; BUCKETS],
            values: std::marker::PhantomData,
        }
    }

    /// The same context, kept beyond the values it was set from (it owns them).
    pub fn into_static(self) -> Context<'static> {
        Context {
            text: self.text,
            keys: self.keys,
            more: self.more,
            heads: self.heads,
            values: std::marker::PhantomData,
        }
    }

    #[inline]
    fn position(&self, key: &str) -> Option<usize> {
        self.position_signed(key, signature(key))
    }

    /// [`Context::position`] with the key's signature worked out.
    #[inline]
    fn position_signed(&self, key: &str, sig: u32) -> Option<usize> {
        let same = |e: &Entry| e.sig == sig && (e.key == key || e.key.eq_ignore_ascii_case(key));
        let mut at = self.heads[bucket(sig)] as usize;
        while at != 0 {
            let e = &self.keys[at - 1];
            if same(e) {
                return Some(at - 1);
            }
            at = e.next as usize;
        }
        if self.spilled() {
            return self.keys[INDEXED..]
                .iter()
                .position(same)
                .map(|i| i + INDEXED);
        }
        None
    }

    /// Whether some keys are beyond the index (more than [`INDEXED`]).
    #[inline]
    fn spilled(&self) -> bool {
        self.keys.len() > INDEXED
    }

    /// Appends a value to the buffer; its range.
    #[inline]
    fn push(&mut self, value: &str) -> (u32, u32) {
        let a = self.text.len() as u32;
        self.text.push_str(value);
        (a, self.text.len() as u32)
    }

    #[inline]
    fn put(&mut self, key: Cow<'static, str>, n: u32, first: (u32, u32), more: u32) {
        let sig = signature(&key);
        self.put_signed(key, sig, n, first, more);
    }

    /// [`Context::put`] with the key's signature worked out.
    #[inline]
    fn put_signed(
        &mut self,
        key: Cow<'static, str>,
        sig: u32,
        n: u32,
        first: (u32, u32),
        more: u32,
    ) {
        let mut e = Entry {
            sig,
            key,
            n,
            first,
            more,
            next: 0,
        };
        match self.position_signed(&e.key, sig) {
            Some(i) => {
                e.next = self.keys[i].next;
                self.keys[i] = e;
            }
            None if self.keys.len() < INDEXED => {
                let head = &mut self.heads[bucket(sig)];
                e.next = *head;
                self.keys.push(e);
                *head = self.keys.len() as u16;
            }
            None => self.keys.push(e),
        }
    }

    /// Sets a single-valued key, replacing any earlier value (names compare case-insensitively).
    pub fn set(&mut self, key: impl Into<Cow<'static, str>>, value: impl Into<Cow<'a, str>>) {
        let first = self.push(&value.into());
        self.put(key.into(), 1, first, 0);
    }

    /// Sets a multivalued key. An empty list counts as an absent key for every operator.
    pub fn set_many<V: Into<Cow<'a, str>>>(
        &mut self,
        key: impl Into<Cow<'static, str>>,
        values: impl IntoIterator<Item = V>,
    ) {
        let (mut n, mut first) = (0, (0, 0));
        let more = self.more.len() as u32;
        for v in values {
            let r = self.push(&v.into());
            if n == 0 {
                first = r;
            } else {
                self.more.push(r);
            }
            n += 1;
        }
        self.put(key.into(), n, first, more);
    }

    /// Sets every key of `other`, in its order, as setting them one by one would (replacing
    /// earlier values of the same names): its values are copied at once, and its keys' signatures
    /// are not worked out again.
    pub fn extend_from(&mut self, other: &Context<'_>) {
        let base = self.text.len() as u32;
        self.text.push_str(&other.text);
        let shift = |(a, b): (u32, u32)| (a + base, b + base);
        for e in &other.keys {
            let more = self.more.len() as u32;
            if e.n > 1 {
                let from = e.more as usize;
                for &r in &other.more[from..from + e.n as usize - 1] {
                    self.more.push(shift(r));
                }
            }
            self.put_signed(e.key.clone(), e.sig, e.n, shift(e.first), more);
        }
    }

    #[inline]
    fn values(&self, e: &Entry) -> Values<'_> {
        Values {
            text: &self.text,
            n: e.n,
            first: e.first,
            more: self.more.get(e.more as usize..).unwrap_or_default(),
        }
    }

    /// The values of `key`, looked up case-insensitively.
    pub fn get(&self, key: &str) -> Option<Values<'_>> {
        self.position(key).map(|i| self.values(&self.keys[i]))
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Keys (as written) with their values, in the order they were first set.
    pub fn entries(&self) -> impl Iterator<Item = (&str, Values<'_>)> {
        self.keys.iter().map(|e| (e.key.as_ref(), self.values(e)))
    }

    /// Keys (as written) with their values, sorted by key (as their lower-cased forms would
    /// be), for display.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Values<'_>)> {
        // Sorted by the first eight bytes lower-cased (as one number), then by the whole name:
        // most keys differ within their first eight bytes.
        let head = |k: &str| {
            let mut b = [0u8; 8];
            for (d, s) in b.iter_mut().zip(k.bytes()) {
                *d = s.to_ascii_lowercase();
            }
            u64::from_be_bytes(b)
        };
        let mut v: Vec<(u64, &str, Values<'_>)> =
            self.entries().map(|(k, v)| (head(k), k, v)).collect();
        v.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key_order(a.1, b.1)));
        v.into_iter().map(|(_, k, v)| (k, v))
    }
}

/// Who signs the request.
#[derive(Clone, Debug, PartialEq)]
pub struct Caller {
    /// The principal's ARN: `arn:aws:iam::111122223333:role/app`, `…:user/alice`, `…:root`, or an
    /// assumed-role session `arn:aws:sts::111122223333:assumed-role/app/session`.
    pub arn: String,
    /// The principal's account: `111122223333`.
    pub account: String,
}

impl Caller {
    /// An AWS service principal (`cloudtrail.amazonaws.com`) calling on its own behalf: it has no
    /// account, no identity policies, and only resource policies that name it (`"Service"`) or
    /// everyone can allow it.
    pub fn service(name: &str) -> Caller {
        Caller {
            arn: name.to_string(),
            account: String::new(),
        }
    }

    /// Whether this is an AWS service principal (see [`Caller::service`]).
    pub fn is_service(&self) -> bool {
        self.account.is_empty() && !self.arn.starts_with("arn:")
    }

    /// Whether this is the root user of its account.
    pub fn is_root(&self) -> bool {
        is_root_of(&self.arn, &self.account)
    }

    /// Whether the ARN is an IAM role's (`arn:aws:iam::ACCOUNT:role/…`; not a session's).
    fn is_iam_role(&self) -> bool {
        self.arn
            .strip_prefix("arn:aws:iam::")
            .and_then(|r| r.strip_prefix(self.account.as_str()))
            .is_some_and(|r| r.starts_with(":role/"))
    }

    /// For an assumed-role session `arn:aws:sts::<account>:assumed-role/<role>/<session>`, the role
    /// name.
    fn session_role(&self) -> Option<&str> {
        self.arn
            .strip_prefix("arn:aws:sts::")?
            .strip_prefix(self.account.as_str())?
            .strip_prefix(":assumed-role/")?
            .split_once('/')
            .map(|(role, _)| role)
    }

    /// Whether a value of `"AWS"` in a Principal names the caller's account: its id or
    /// `arn:aws:iam::<account>:root`.
    fn account_named_by(&self, value: &str) -> bool {
        value == self.account || is_root_of(value, &self.account)
    }

    /// How a value of `"AWS"` in a Principal names the caller itself: its ARN exactly
    /// ([`Named::Caller`]: a user, a session by its session ARN), or its role's ARN
    /// ([`Named::Role`]: a role, or a session by its role's ARN, any path).
    fn caller_named_by(&self, value: &str) -> Option<Named> {
        if value == self.arn {
            // A session's own ARN names the session, not its role.
            let role = self.session_role().is_none() && self.is_iam_role();
            return Some(if role { Named::Role } else { Named::Caller });
        }
        // Only a session is named by another ARN than its own: its role's.
        let role = self.session_role()?;
        let path_and_name = value
            .strip_prefix("arn:aws:iam::")
            .and_then(|v| v.strip_prefix(self.account.as_str()))
            .and_then(|v| v.strip_prefix(":role/"))?;
        (path_and_name.rsplit('/').next() == Some(role)).then_some(Named::Role)
    }
}

/// Whether `arn` is `arn:aws:iam::<account>:root`.
fn is_root_of(arn: &str, account: &str) -> bool {
    arn.strip_prefix("arn:aws:iam::")
        .and_then(|r| r.strip_prefix(account))
        == Some(":root")
}

/// One request to authorize.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    /// The action: `s3:GetObject`.
    pub action: &'a str,
    /// The resource ARN: `arn:aws:s3:::bucket/key`, the bucket ARN for bucket-level actions, or an
    /// access point ARN.
    pub resource: &'a str,
    /// Who signs; `None` for an anonymous request.
    pub caller: Option<&'a Caller>,
    /// Condition keys of the request: a [`Context`] that holds them, or any [`Keys`] that works
    /// them out as conditions read them.
    pub context: &'a dyn Keys,
}

/// What one policy says about a request.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyVerdict {
    /// `Allow` statements that match and name the caller itself: its ARN (or, for a session, its
    /// role's), everyone (`"*"`, `{"AWS": "*"}`, a `NotPrincipal` that leaves it out), or no one
    /// in particular (identity policies have no `Principal`). For the root user, its account.
    pub allows: Vec<StatementRef>,
    /// Those of `allows` that name the caller through its *role's* ARN (the caller is a role, or a
    /// session named by its role's ARN): such a grant is limited by the caller's permissions
    /// boundary and session policies, as identity policies are, where one naming the user, the
    /// session's own ARN or everyone is not.
    pub via_role: Vec<StatementRef>,
    /// `Allow` statements that match only because their `Principal` names the caller's *account*
    /// (`"111122223333"` or `arn:aws:iam::111122223333:root`). Naming an account delegates to it:
    /// such a statement grants nothing alone, the caller's identity policy must allow too, in the
    /// same account as across accounts.
    pub delegated: Vec<StatementRef>,
    /// `Deny` statements that match (through the caller's account as well).
    pub denies: Vec<StatementRef>,
}

/// A statement that matched: the policy's label (`bucket DOC-EXAMPLE-BUCKET1`,
/// `endpoint s3-interface`, `identity s3-apps/read`) and the statement's `Sid` or `#n`. Both are
/// shared, not copied: the label is the one the [`Authorization`] gave, the name the statement
/// keeps once made, so naming a statement allocates nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRef {
    /// The policy's label.
    pub policy: Arc<str>,
    /// `Sid`, or `#n` (1-based) without one.
    pub statement: Arc<str>,
}

impl std::fmt::Display for StatementRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} statement {}", self.policy, self.statement)
    }
}

/// Evaluates one policy: which statements match the request — `Principal`/`NotPrincipal` (implied
/// for statements without one, as in identity policies), `Action`/`NotAction`,
/// `Resource`/`NotResource`, and every `Condition` — sorted by `Effect`.
///
/// Policy variables (`${aws:username}`, `${*}`…) are substituted in `Resource` and in string and ARN
/// condition values only when the policy says `Version: 2012-10-17`, as in IAM; otherwise `${…}` is
/// literal text. A variable without a value (and without a `${key, 'default'}`) makes that one value
/// match nothing. The context is used as given: [`authorize`] adds the keys AWS always supplies.
pub fn evaluate(policy: &Policy, label: &str, req: &Request) -> PolicyVerdict {
    let label: Arc<str> = label.into();
    let hits = hits_for(policy, &label, req, Who::of(req), false);
    let refs = |v: &[Hit]| v.iter().map(Hit::statement_ref).collect();
    let via_role: Vec<Hit> = hits.allows.iter().filter(|h| h.via_role).copied().collect();
    PolicyVerdict {
        allows: refs(&hits.allows),
        via_role: refs(&via_role),
        delegated: refs(&hits.delegated),
        denies: refs(&hits.denies),
    }
}

/// A statement that matched, by reference (what [`authorize`] combines; a [`StatementRef`] is
/// made only for the deciding statements of its [`Outcome`]). Hits are not compared: whether an
/// allow names the caller through its role is a flag of the hit itself (`via_role`).
#[derive(Clone, Copy, Debug)]
struct Hit<'a> {
    /// The policy's label.
    label: &'a Arc<str>,
    /// The policy.
    policy: &'a Policy,
    /// The statement's position in it.
    index: u32,
    /// An `Allow` that names the caller through its *role's* ARN ([`PolicyVerdict::via_role`]).
    via_role: bool,
}

impl<'a> Hit<'a> {
    /// The statement named, its label and name shared (no allocation).
    fn statement_ref(&self) -> StatementRef {
        let i = self.index as usize;
        StatementRef {
            policy: Arc::clone(self.label),
            statement: self.policy.statements[i].label(i),
        }
    }
}

impl std::fmt::Display for Hit<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.policy.statements[self.index as usize].sid {
            Some(sid) => write!(f, "{} statement {sid}", self.label),
            None => write!(f, "{} statement #{}", self.label, self.index + 1),
        }
    }
}

/// Matched statements (most lists are empty or hold one or two: those are kept in place, without
/// an allocation).
type HitList<'a> = SmallVec<[Hit<'a>; 2]>;

/// [`PolicyVerdict`], by reference (`via_role` is a flag of each of `allows`).
#[derive(Default)]
struct Hits<'a> {
    allows: HitList<'a>,
    delegated: HitList<'a>,
    denies: HitList<'a>,
}

/// [`evaluate`], knowing whether the caller has a permissions boundary: then a `Deny` with
/// `NotPrincipal` applies to it whatever the `NotPrincipal` lists, as IAM documents
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html>).
fn hits_for<'a>(
    policy: &'a Policy,
    label: &'a Arc<str>,
    req: &Request,
    who: Who,
    bounded: bool,
) -> Hits<'a> {
    let mut verdict = Hits::default();
    hits_into(policy, label, req, who, bounded, &mut verdict.borrow());
    verdict
}

impl<'a> Hits<'a> {
    /// Its lists, to add to.
    fn borrow(&mut self) -> Sink<'a, '_> {
        Sink {
            allows: &mut self.allows,
            delegated: &mut self.delegated,
            denies: &mut self.denies,
        }
    }
}

/// Where [`hits_into`] adds the statements that match, as [`Hits`] sorts them: lists that
/// gather several policies' (no verdict of each policy moved into them after).
struct Sink<'a, 'o> {
    allows: &'o mut HitList<'a>,
    delegated: &'o mut HitList<'a>,
    denies: &'o mut HitList<'a>,
}

/// [`hits_for`], adding to lists that may hold other policies' hits already.
fn hits_into<'a>(
    policy: &'a Policy,
    label: &'a Arc<str>,
    req: &Request,
    who: Who,
    bounded: bool,
    verdict: &mut Sink<'a, '_>,
) {
    let vars = (policy.version.as_deref() == Some("2012-10-17")).then_some(req.context);
    for (i, s) in policy.statements.iter().enumerate() {
        let Some(named) = statement_matches(s, req, who, vars, bounded) else {
            continue;
        };
        let r = Hit {
            label,
            policy,
            index: i as u32,
            via_role: false,
        };
        match (s.effect, named) {
            (Effect::Allow, Named::Caller) => verdict.allows.push(r),
            (Effect::Allow, Named::Role) => verdict.allows.push(Hit {
                via_role: true,
                ..r
            }),
            (Effect::Allow, Named::Account) => verdict.delegated.push(r),
            (Effect::Deny, _) => verdict.denies.push(r),
        }
    }
}

/// Who signs a request, as principals are matched against it, and whether its action and
/// resource are ASCII (as patterns are matched against them): worked out once per request.
#[derive(Clone, Copy, Debug)]
struct Who<'c> {
    /// Who signs; `None` for an anonymous request.
    caller: Option<&'c Caller>,
    /// The caller when it is an IAM principal (a role, user or root user), not a service
    /// principal.
    iam: Option<&'c Caller>,
    /// Whether `iam` is its account's root user.
    root: bool,
    /// Whether the request's action is ASCII.
    action_ascii: bool,
    /// Whether the request's resource is ASCII.
    resource_ascii: bool,
}

impl<'c> Who<'c> {
    fn of(req: &Request<'c>) -> Self {
        let iam = req.caller.filter(|c| !c.is_service());
        Who {
            caller: req.caller,
            iam,
            root: iam.is_some_and(Caller::is_root),
            action_ascii: req.action.is_ascii(),
            resource_ascii: req.resource.is_ascii(),
        }
    }
}

/// How a statement's `Principal` names the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Named {
    /// By its own ARN, as everyone, or implicitly (no `Principal`).
    Caller,
    /// By its role's ARN (a role, or a role's session).
    Role,
    /// Only through its account.
    Account,
}

/// Whether the statement applies to the request, and how it names the caller.
fn statement_matches(
    s: &Statement,
    req: &Request,
    who: Who,
    vars: Option<&dyn Keys>,
    bounded: bool,
) -> Option<Named> {
    let action = Expand {
        vars: None,
        wildcards: true,
    };
    // Shapes are position for position (patterns added after construction match as `General`).
    let shape = |shapes: &[Shape], i: usize| shapes.get(i).copied().unwrap_or(Shape::General);
    let hit = s.action.value.iter().enumerate().any(|(i, a)| {
        action.matches_shaped(
            a,
            shape(&s.shapes.action, i),
            req.action,
            who.action_ascii,
            true,
        )
    });
    if hit == s.action.negated {
        return None;
    }
    if let Some(r) = &s.resource {
        let resource = Expand {
            vars,
            wildcards: true,
        };
        let hit = r.value.iter().enumerate().any(|(i, pat)| {
            resource.matches_shaped(
                pat,
                shape(&s.shapes.resource, i),
                req.resource,
                who.resource_ascii,
                false,
            )
        });
        if hit == r.negated {
            return None;
        }
    }
    // The principal last of the elements: its ARNs cost more to compare than the action and
    // resource patterns, which most statements that do not apply fail on.
    let mut named = Named::Caller;
    if let Some(p) = &s.principal {
        if p.negated {
            // Everyone but those listed: a caller it applies to is named as everyone is. A Deny
            // with NotPrincipal applies to every principal with a permissions boundary.
            let exempt = !(bounded && s.effect == Effect::Deny);
            if exempt && principal_names(&p.value, who, true).is_some() {
                return None;
            }
        } else {
            named = principal_names(&p.value, who, false)?;
        }
    }
    s.conditions
        .iter()
        .all(|c| condition::holds(c, req.context, vars))
        .then_some(named)
}

/// Whether a `Principal` element names the caller, and how: `"*"` and `{"AWS": "*"}` name
/// everyone, the anonymous caller included; user and role ARNs name that principal (compared
/// exactly: case-sensitive, no wildcards, as IAM does in `Principal`; a role's ARN names its
/// sessions); an account id or `arn:aws:iam::<account>:root` names the account
/// ([`Named::Account`]: it delegates to the account, whose administrator grants access with
/// identity policies), which for the root user is the caller itself; `Service`, `Federated` and
/// `CanonicalUser` never name an IAM caller.
///
/// With `all` (for `NotPrincipal`) both the caller (or, for a session, its role) and its account
/// must be named: IAM checks the account first, so an exception in `NotPrincipal` that lists a user
/// or role without its account does not exempt it (IAM's documented advice is to list both).
fn principal_names(p: &Principal, who: Who, all: bool) -> Option<Named> {
    let entries = match p {
        Principal::Any => return Some(Named::Caller),
        Principal::Typed(entries) => entries,
    };
    let aws = entries
        .iter()
        .filter(|(t, _)| *t == PrincipalType::Aws)
        .flat_map(|(_, v)| v.iter().map(String::as_str));
    // An IAM caller (not a service principal); the root user is named by its account only.
    let Who {
        caller, iam, root, ..
    } = who;
    // One pass over the `"AWS"` values: `"*"` names everyone; else the caller's account, and the
    // caller itself (by its own ARN, which wins over its role's).
    let (mut account, mut itself) = (false, None);
    for v in aws {
        if v == "*" {
            return Some(Named::Caller);
        }
        if let Some(c) = iam {
            if !root && itself != Some(Named::Caller) {
                itself = c.caller_named_by(v).or(itself);
            }
            // Whether the account is named decides only for the root user, for `NotPrincipal`
            // (`all`), and while the caller itself is not named.
            if !account && (root || all || itself.is_none()) {
                account = c.account_named_by(v);
            }
        }
    }
    let caller = caller?;
    if iam.is_none() {
        // A service principal is named by `{"Service": NAME}` (case-insensitive: service names are
        // DNS names), and has no account.
        let named = entries
            .iter()
            .filter(|(t, _)| *t == PrincipalType::Service)
            .flat_map(|(_, v)| v.iter())
            .any(|v| v.eq_ignore_ascii_case(&caller.arn));
        return named.then_some(Named::Caller);
    }
    if root {
        return account.then_some(Named::Caller);
    }
    match (itself, account) {
        (Some(n), true) => Some(n),
        (Some(n), false) if !all => Some(n),
        (None, true) if !all => Some(Named::Account),
        _ => None,
    }
}

/// The final decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Some policy allows and none denies.
    Allowed,
    /// A matching `Deny` statement.
    ExplicitDeny,
    /// Nothing (or not enough) allows.
    ImplicitDeny,
}

/// A resource policy of an [`Authorization`]: its label (borrowed: the caller keeps it, and only
/// a deciding statement shares it), the policy, and the ARN it is matched against (`None` for the
/// request's resource).
pub type ResourcePolicy<'a> = (&'a Arc<str>, &'a Policy, Option<&'a str>);

/// Inputs to a full authorization as AWS combines them for S3.
pub struct Authorization<'a> {
    /// The request.
    pub request: Request<'a>,
    /// Identity policies of the caller (label, policy); borrowed when the caller keeps the list
    /// (an engine keeps each principal's).
    pub identity: Cow<'a, [(Arc<str>, &'a Policy)]>,
    /// Resource policies that apply: the bucket policy, and for requests through an access point the
    /// access point policy too (label, policy, the ARN it is matched against — `None` for
    /// `request.resource`). Through an access point, the access point policy is matched against the
    /// access point ARN and the bucket policy against the bucket or object ARN. With
    /// several, each must be satisfied on its own (the access point's permissions are effective only
    /// if the bucket also allows): same account, by an identity allow or its own allow; across
    /// accounts, by its own allow.
    pub resource: Cow<'a, [ResourcePolicy<'a>]>,
    /// The account that owns the resource (bucket owner).
    pub resource_account: &'a str,
    /// The VPC endpoint policy when the request goes through an endpoint: `None` = no endpoint;
    /// `Some((label, None))` = endpoint with the default full-access policy;
    /// `Some((label, Some(p)))` = that policy.
    pub endpoint: Option<(&'a Arc<str>, Option<&'a Policy>)>,
    /// The policies that limit what the others grant: permissions boundary, session policies,
    /// SCPs and RCPs (none by default).
    pub limits: Limits<'a>,
    /// Write [`Outcome::explanation`]; without it the explanation is empty and nothing is
    /// formatted (the decision and the deciding statements are the same).
    pub explain: bool,
}

/// The policies that grant nothing but limit what the others grant
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html>).
#[derive(Default)]
pub struct Limits<'a> {
    /// The caller's permissions boundary (label, policy): an identity policy's allow counts only
    /// where the boundary allows too; so does a resource policy's allow that names the caller
    /// through its role's ARN. One naming a user or a session directly is not limited.
    pub boundary: Option<(Arc<str>, &'a Policy)>,
    /// The session policies of the caller's session (label, policy): like the boundary, one of
    /// them must allow what identity policies (and grants to the role's ARN) allow.
    pub session: Vec<(Arc<str>, &'a Policy)>,
    /// The SCPs that apply to the caller's account, one [`Guard`] per node from the organization
    /// root down to the account: each node must have an SCP that allows. Empty when no SCP
    /// applies (no organization, the management account). Not applied to anonymous callers and
    /// AWS service principals.
    pub scps: Vec<Guard<'a>>,
    /// The RCPs that apply to the resource's account, one [`Guard`] per node: their denies apply
    /// to every caller (the AWS-managed `RCPFullAWSAccess`, attached to every node, lets the rest
    /// through). Empty when none apply.
    pub rcps: Vec<Guard<'a>>,
}

/// The Organizations policies attached to one node of an organization: its root, an OU or an
/// account.
pub struct Guard<'a> {
    /// The node, for explanations: `root r-a1b2`, `OU workloads`, `account 111122223333`.
    pub target: Cow<'a, str>,
    /// The policies attached to it (label, policy).
    pub policies: Vec<(Arc<str>, &'a Policy)>,
}

/// Which statement(s) decided and a one-sentence explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The decision.
    pub decision: Decision,
    /// The deny statements for an explicit deny; the allow statements relied on when allowed; empty
    /// for an implicit deny. One or two, most often: kept in place.
    pub deciding: SmallVec<[StatementRef; 2]>,
    /// One sentence saying why: written when [`Authorization::explain`] asks for it, else
    /// empty ([`Outcome::explain`] writes it from `why`).
    pub explanation: String,
    /// Why, as data: the parts of the sentence.
    pub why: Why,
}

/// Actions the bucket owner's root user may always perform despite bucket policy denies.
const ROOT_BUCKET_POLICY_ACTIONS: [&str; 3] = [
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
];

/// Authorizes a request the way S3 combines its policies (see the module documentation).
///
/// Keys AWS always supplies are added to the context when the caller left them out:
/// `aws:PrincipalArn`, `aws:PrincipalAccount` (and `aws:username` for IAM users) for signed
/// requests, `aws:PrincipalIsAWSService` (and `aws:PrincipalServiceName` for a service
/// principal), and `s3:ResourceAccount`/`aws:ResourceAccount` from `resource_account`. The root
/// user of an account needs no identity policy: it is allowed everything on its own account's
/// resources (resource, endpoint and Organizations denies still apply).
pub fn authorize<'g>(a: &'g Authorization) -> Outcome {
    let req = &a.request;
    let service = req.caller.filter(|c| c.is_service());
    // The keys AWS always supplies, worked out when a condition reads one the request lacks.
    let ctx = Supplied {
        keys: req.context,
        caller: req.caller,
        resource_account: a.resource_account,
        arn: std::cell::OnceCell::new(),
    };
    let req = Request {
        context: &ctx,
        ..req.clone()
    };
    let limits = &a.limits;
    // An IAM caller (a role, user or root user): identity policies, boundaries, session policies
    // and SCPs apply to it; not to the anonymous caller nor to a service principal.
    let who = Who::of(&req);
    let iam = who.iam;
    let bounded = iam.is_some() && limits.boundary.is_some();
    // What no rule looks at (an identity policy's statements naming an account, a resource
    // policy's denies under the root user's exception) goes here.
    let mut ignored = HitList::new();

    // Per node of the organization: what it is, its allows, its denies.
    let guards = |levels: &'g [Guard]| -> Vec<(&'g str, HitList<'g>, HitList<'g>)> {
        if levels.is_empty() {
            // Most callers are in no organization.
            return Vec::new();
        }
        levels
            .iter()
            .map(|g| {
                let (mut allows, mut denies) = (HitList::new(), HitList::new());
                for (l, p) in &g.policies {
                    let v = hits_for(p, l, &req, who, false);
                    allows.extend(v.allows);
                    allows.extend(v.delegated);
                    denies.extend(v.denies);
                }
                (g.target.as_ref(), allows, denies)
            })
            .collect()
    };
    let scps = match iam {
        Some(_) => guards(&limits.scps),
        None => Vec::new(),
    };
    let rcps = guards(&limits.rcps);

    // Whether the caller is its account's root user.
    let root_self = who.root;
    let owner_root = root_self && iam.is_some_and(|c| c.account == a.resource_account);
    let root_exception = owner_root
        && ROOT_BUCKET_POLICY_ACTIONS
            .iter()
            .any(|x| x.eq_ignore_ascii_case(req.action));

    // Denies in this order: the guards', the identity policies', the boundary's, the session
    // policies', the resource policies', the endpoint's.
    let mut denies = HitList::new();
    let mut guard_allows = HitList::new();
    for (_, allows, d) in scps.iter().chain(&rcps) {
        denies.extend(d.iter().cloned());
        guard_allows.extend(allows.iter().cloned());
    }
    let mut id_allows = HitList::new();
    if iam.is_some() {
        for (l, p) in a.identity.iter() {
            let mut sink = Sink {
                allows: &mut id_allows,
                delegated: &mut ignored,
                denies: &mut denies,
            };
            hits_into(p, l, &req, who, false, &mut sink);
        }
    }
    let mut limit_allows = HitList::new();
    let mut boundary_ok = true;
    if let (Some(_), Some((l, p))) = (iam, &limits.boundary) {
        let mut sink = Sink {
            allows: &mut limit_allows,
            delegated: &mut ignored,
            denies: &mut denies,
        };
        hits_into(p, l, &req, who, false, &mut sink);
        boundary_ok = !limit_allows.is_empty();
    }
    // One session policy that allows is enough.
    let mut session_ok = true;
    if iam.is_some() && !limits.session.is_empty() {
        session_ok = false;
        for (l, p) in &limits.session {
            let before = limit_allows.len();
            let mut sink = Sink {
                allows: &mut limit_allows,
                delegated: &mut ignored,
                denies: &mut denies,
            };
            hits_into(p, l, &req, who, false, &mut sink);
            session_ok |= limit_allows.len() > before;
        }
    }
    // Every resource policy must allow (bucket and access point alike): on its own when it names
    // the caller (`resource_ok`), or with the caller's identity policy when it names only the
    // caller's account (`resource_delegates`: naming an account delegates to it).
    let mut resource_ok = !a.resource.is_empty();
    // Every resource policy names the caller itself, not only through its role's ARN: such grants
    // are not limited by a boundary or session policies.
    let mut resource_direct = resource_ok;
    let mut resource_delegates = resource_ok;
    let mut res_allows = HitList::new();
    let mut res_delegated = HitList::new();
    for (l, p, arn) in a.resource.iter() {
        let (allows_before, delegated_before) = (res_allows.len(), res_delegated.len());
        let mut sink = Sink {
            allows: &mut res_allows,
            delegated: &mut res_delegated,
            denies: if root_exception {
                &mut ignored
            } else {
                &mut denies
            },
        };
        match arn {
            Some(arn) => hits_into(
                p,
                l,
                &Request {
                    resource: arn,
                    ..req.clone()
                },
                Who {
                    resource_ascii: arn.is_ascii(),
                    ..who
                },
                bounded,
                &mut sink,
            ),
            None => hits_into(p, l, &req, who, bounded, &mut sink),
        }
        let allows = &res_allows[allows_before..];
        resource_ok &= !allows.is_empty();
        resource_direct &= allows.iter().any(|r| !r.via_role);
        resource_delegates &= !allows.is_empty() || res_delegated.len() > delegated_before;
    }
    resource_direct &= resource_ok;
    // The endpoint's allows (those naming the caller's account after the others), its label, and
    // whether it has a policy (else the default one).
    let mut gate = HitList::new();
    let mut gate_delegated = HitList::new();
    let endpoint: Option<(&str, bool)> = a.endpoint.as_ref().map(|(l, p)| {
        if let Some(p) = p {
            let mut sink = Sink {
                allows: &mut gate,
                delegated: &mut gate_delegated,
                denies: &mut denies,
            };
            hits_into(p, l, &req, who, false, &mut sink);
        }
        (l.as_ref(), p.is_some())
    });
    let done = |decision, deciding, why| {
        let mut o = Outcome {
            decision,
            deciding,
            explanation: String::new(),
            why,
        };
        if a.explain {
            o.explanation = o.explain();
        }
        o
    };
    let implicit = |why| done(Decision::ImplicitDeny, SmallVec::new(), why);
    // The sentence's opening: `ACTION on RESOURCE` (by WHO).
    let opening = |by: bool| {
        let caller = req.caller.map_or(0, |c| c.arn.len() + c.account.len());
        let mut why = Why::new(req.action.len() + req.resource.len() + caller + 192);
        why.what(&req);
        if by {
            why.lit(" by ");
            why.who(req.caller);
        }
        why
    };

    // 1. Explicit denies, in any policy.
    if !denies.is_empty() {
        let mut why = opening(false);
        why.lit(" is explicitly denied by ");
        why.refs(0..denies.len());
        why.lit(".");
        return done(
            Decision::ExplicitDeny,
            denies.iter().map(Hit::statement_ref).collect(),
            why,
        );
    }

    // 2. Every node of the organization above the caller's account must have an SCP that allows
    // (RCPs only deny: the AWS-managed RCPFullAWSAccess lets the rest through).
    if let Some((target, _, _)) = scps.iter().find(|(_, allows, _)| allows.is_empty()) {
        let mut why = opening(true);
        why.lit(" is implicitly denied: no service control policy attached to ");
        why.text(target);
        why.lit(" allows it (an SCP must allow at every level from the organization root down to the account).");
        return implicit(why);
    }

    // 3. The endpoint gate.
    // The endpoint's label, and whether its policy is the default one.
    let mut gate_note: Option<(&str, bool)> = None;
    if let Some((label, policy)) = endpoint {
        match policy {
            false => gate_note = Some((label, true)),
            true if gate.is_empty() && gate_delegated.is_empty() => {
                let mut why = opening(false);
                why.lit(" is implicitly denied at ");
                why.text(label);
                why.lit(": no statement of its endpoint policy allows it.");
                return implicit(why);
            }
            true => {
                // An endpoint policy naming the caller's account lets it through: the gate grants
                // nothing, so there is nothing to delegate.
                gate.append(&mut gate_delegated);
                gate_note = Some((label, false));
            }
        }
    }
    // The deciding statements of an allow: the gate's, the guards', then `basis`; `reason` says
    // why, given where `basis` starts among them.
    let allowed = |basis: &[Hit], reason: &dyn Fn(&mut Why, usize)| {
        // Sized at once, each part copied on its own (a chain of three walks slowly, and so does
        // SmallVec's `extend`).
        let mut deciding = SmallVec::with_capacity(gate.len() + guard_allows.len() + basis.len());
        for part in [&gate[..], &guard_allows, basis] {
            for h in part {
                deciding.push(h.statement_ref());
            }
        }
        let mut why = opening(false);
        why.lit(" is allowed: ");
        reason(&mut why, gate.len() + guard_allows.len());
        match gate_note {
            Some((label, true)) => {
                why.lit("; ");
                why.text(label);
                why.lit(" has the default full-access policy");
            }
            Some((label, false)) => {
                why.lit("; ");
                why.text(label);
                why.lit(" lets it through with statement ");
                why.sids(0..gate.len());
            }
            None => {}
        }
        if !scps.is_empty() {
            why.lit("; the SCPs allow it at every level (");
            why.texts(scps.iter().map(|(t, _, _)| *t), true);
            why.lit(")");
        }
        why.lit(".");
        done(Decision::Allowed, deciding, why)
    };

    // 4. Identity and resource policies.
    if root_exception {
        return allowed(&[], &|why, _| {
            why.lit("the bucket owner's root user may always manage the bucket policy")
        });
    }
    let Some(caller) = iam else {
        if resource_ok {
            return allowed(&res_allows, &|why, at| {
                match service {
                    Some(_) => {
                        why.who(req.caller);
                        why.lit(" is granted it by ");
                    }
                    None => why.lit("anonymous access is granted by "),
                }
                why.refs(at..at + res_allows.len());
            });
        }
        if service.is_some() {
            let mut why = opening(true);
            why.lit(" is implicitly denied: no resource policy grants it to the service (Principal {\"Service\": …} or \"*\").");
            return implicit(why);
        }
        let mut why = Why::new(req.action.len() + req.resource.len() + 192);
        why.lit("anonymous ");
        why.what(&req);
        why.lit(
            " is implicitly denied: no resource policy grants it to everyone (Principal \"*\").",
        );
        return implicit(why);
    };
    // What limits identity policies (and grants to the role's ARN): the boundary and the session
    // policies must allow too.
    let limit_ok = boundary_ok && session_ok;
    let limit_miss = |why: &mut Why| {
        if !boundary_ok {
            let label = limits.boundary.as_ref().map_or("", |(l, _)| l.as_ref());
            why.lit("the permissions boundary (");
            why.text(label);
            why.lit(") does not allow it");
        } else if !session_ok {
            why.lit("no session policy (");
            why.texts(limits.session.iter().map(|(l, _)| l.as_ref()), false);
            why.lit(") allows it");
        }
    };
    let identity_ok = root_self || (!id_allows.is_empty() && limit_ok);
    // `{who} is the account's root user` or `IDENTITY allows {who}`, the identity allows starting
    // at `at` among the deciding statements.
    let id_reason = |why: &mut Why, at: usize| {
        if root_self {
            why.who(req.caller);
            why.lit(" is the account's root user");
        } else {
            why.refs(at..at + id_allows.len());
            why.lit(" allows ");
            why.who(req.caller);
        }
    };
    // The identity allows, and those of the policies that limit them (but for the root user).
    let mut joined = HitList::new();
    let id_basis: &[Hit] = if root_self || limit_allows.is_empty() {
        &id_allows
    } else {
        joined.extend_from_slice(&id_allows);
        joined.extend_from_slice(&limit_allows);
        &joined
    };
    if caller.account == a.resource_account {
        if identity_ok {
            return allowed(id_basis, &|why, at| {
                why.lit("same account, ");
                id_reason(why, at);
                if !limit_allows.is_empty() {
                    why.lit(" within ");
                    if root_self {
                        why.named(&limit_allows);
                    } else {
                        why.refs(at + id_allows.len()..at + id_basis.len());
                    }
                }
            });
        }
        if resource_direct || (resource_ok && limit_ok) {
            let mut basis = res_allows.clone();
            let within = !(resource_direct || limit_allows.is_empty());
            if within {
                basis.extend(limit_allows.iter().cloned());
            }
            return allowed(&basis, &|why, at| {
                why.lit("same account, ");
                why.refs(at..at + res_allows.len());
                why.lit(" grants it");
                if within {
                    why.lit(" within ");
                    why.refs(at + res_allows.len()..at + basis.len());
                }
            });
        }
        let mut why = opening(true);
        why.lit(" is implicitly denied: ");
        if resource_ok {
            why.named(&res_allows);
            why.lit(" grants it to the caller's role, but ");
            limit_miss(&mut why);
            why.lit(", which limits grants to the role's ARN as it limits identity policies.");
        } else if !id_allows.is_empty() {
            why.named(&id_allows);
            why.lit(" allows it, but ");
            limit_miss(&mut why);
            why.lit(".");
        } else if !res_delegated.is_empty() {
            why.named(&res_delegated);
            why.lit(" names account ");
            why.text(&caller.account);
            why.lit(" as its principal, which delegates to the account, and no identity policy of the caller allows it.");
        } else {
            why.lit(if res_allows.is_empty() {
                "no identity or resource policy allows it"
            } else {
                "not every resource policy allows it and no identity policy does"
            });
            why.lit(".");
        }
        return implicit(why);
    }
    let owner = a.resource_account;
    // Across accounts a resource policy naming the caller or its account counts alike.
    res_allows.append(&mut res_delegated);
    if identity_ok && resource_delegates {
        let mut basis = HitList::from_slice(id_basis);
        basis.extend_from_slice(&res_allows);
        return allowed(&basis, &|why, at| {
            why.lit("cross account, ");
            id_reason(why, at);
            why.lit(" and ");
            why.refs(at + id_basis.len()..at + basis.len());
            why.lit(" of account ");
            why.text(owner);
            why.lit(" grants it");
        });
    }
    let mut why = opening(true);
    why.lit(" is implicitly denied: ");
    match (identity_ok, resource_delegates) {
        (true, _) => {
            why.lit(
                "cross account, an identity policy allows it but no resource policy of account ",
            );
            why.text(owner);
            why.lit(" grants it.");
        }
        (false, true) if !id_allows.is_empty() => {
            why.lit("cross account, ");
            why.named(&res_allows);
            why.lit(" grants it and ");
            why.named(&id_allows);
            why.lit(" allows it, but ");
            limit_miss(&mut why);
            why.lit(".");
        }
        (false, true) => {
            why.lit("cross account, ");
            why.named(&res_allows);
            why.lit(" grants it but no identity policy of the caller allows it.");
        }
        (false, false) => why.lit("no identity or resource policy allows it."),
    }
    implicit(why)
}

/// Why the policies decided, as data: the sentence [`Outcome::explain`] writes, with the
/// statements it names left as holes (what a trace keeps, so that its words are written where it
/// is shown without evaluating the policies again, and without naming a statement twice).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Why {
    /// The sentence without the statements it names.
    text: String,
    /// Where statements are named, in order.
    holes: SmallVec<[Hole; 4]>,
    /// The statements it names that are not deciding (an implicit deny's), numbered from
    /// [`NAMED`] in [`Hole`]s.
    named: Vec<StatementRef>,
}

/// Statements named at `at` in a [`Why`]'s text: `a..b` (the deciding ones, then from [`NAMED`]
/// `named`), joined as `X`, `X and Y`, `X, Y and Z`; as `POLICY statement SID`, or with
/// `sids` as `SID` only.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Hole {
    at: u32,
    a: u32,
    b: u32,
    sids: bool,
}

/// Where [`Why::named`]'s statements start in the numbering of [`Hole`]s.
const NAMED: usize = 1 << 20;

impl Why {
    fn new(capacity: usize) -> Why {
        Why {
            text: String::with_capacity(capacity),
            ..Why::default()
        }
    }

    fn lit(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn text(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// `items` joined with `, ` (and ` and ` before the last with `and`).
    fn texts<'s>(&mut self, items: impl ExactSizeIterator<Item = &'s str>, and: bool) {
        let n = items.len();
        for (k, item) in items.enumerate() {
            if k > 0 {
                self.lit(if and && k + 1 == n { " and " } else { ", " });
            }
            self.text(item);
        }
    }

    /// `ACTION on RESOURCE`.
    fn what(&mut self, req: &Request) {
        self.text(req.action);
        self.lit(" on ");
        self.text(req.resource);
    }

    /// The caller, as the sentence names it.
    fn who(&mut self, caller: Option<&Caller>) {
        match caller {
            Some(c) if c.is_service() => {
                self.lit("service principal ");
                self.text(&c.arn);
            }
            Some(c) => {
                self.text(&c.arn);
                self.lit(" (account ");
                self.text(&c.account);
                self.lit(")");
            }
            None => self.lit("the anonymous caller"),
        }
    }

    fn hole(&mut self, a: usize, b: usize, sids: bool) {
        self.holes.push(Hole {
            at: self.text.len() as u32,
            a: a as u32,
            b: b as u32,
            sids,
        });
    }

    /// The deciding statements `r`.
    fn refs(&mut self, r: std::ops::Range<usize>) {
        self.hole(r.start, r.end, false);
    }

    /// The names of the deciding statements `r`.
    fn sids(&mut self, r: std::ops::Range<usize>) {
        self.hole(r.start, r.end, true);
    }

    /// Statements that are not deciding (an implicit deny's; `within` of the root user).
    fn named(&mut self, hits: &[Hit]) {
        let at = NAMED + self.named.len();
        self.named.extend(hits.iter().map(Hit::statement_ref));
        self.hole(at, at + hits.len(), false);
    }
}

impl Outcome {
    /// The sentence that says why ([`Outcome::explanation`] when it was asked for).
    pub fn explain(&self) -> String {
        let w = &self.why;
        let statement = |i: u32| {
            let i = i as usize;
            match i.checked_sub(NAMED) {
                Some(j) => &w.named[j],
                None => &self.deciding[i],
            }
        };
        let mut out = String::with_capacity(w.text.len() + 48 * w.holes.len());
        let mut from = 0;
        for h in &w.holes {
            out.push_str(&w.text[from..h.at as usize]);
            from = h.at as usize;
            for i in h.a..h.b {
                if i > h.a {
                    out.push_str(if i + 1 == h.b { " and " } else { ", " });
                }
                let r = statement(i);
                if !h.sids {
                    out.push_str(&r.policy);
                    out.push_str(" statement ");
                }
                out.push_str(&r.statement);
            }
        }
        out.push_str(&w.text[from..]);
        out
    }
}

/// A request's keys with the ones AWS always supplies that it left out ([`authorize`]): for an
/// IAM caller `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalIsAWSService` (false) and,
/// for a user, `aws:username`; for a service principal `aws:PrincipalIsAWSService` (true) and
/// `aws:PrincipalServiceName`; always `s3:ResourceAccount` and `aws:ResourceAccount`. Each is
/// worked out when a condition reads it and the request's own keys lack it.
#[derive(Debug)]
struct Supplied<'k> {
    /// The request's keys.
    keys: &'k dyn Keys,
    /// Who signs.
    caller: Option<&'k Caller>,
    /// The account that owns the resource.
    resource_account: &'k str,
    /// `aws:PrincipalArn`, once written.
    arn: std::cell::OnceCell<Cow<'k, str>>,
}

impl<'k> Supplied<'k> {
    /// The value AWS supplies for `key`, when it supplies one for this request.
    fn supplied(&self, key: &str) -> Option<&str> {
        let is = |name: &str| name.eq_ignore_ascii_case(key);
        if is("s3:ResourceAccount") || is("aws:ResourceAccount") {
            return Some(self.resource_account);
        }
        let c = self.caller?;
        if is("aws:PrincipalIsAWSService") {
            return Some(if c.is_service() { "true" } else { "false" });
        }
        if c.is_service() {
            return is("aws:PrincipalServiceName").then_some(c.arn.as_str());
        }
        if is("aws:PrincipalArn") {
            Some(self.arn.get_or_init(|| principal_arn(c)))
        } else if is("aws:PrincipalAccount") {
            Some(&c.account)
        } else if is("aws:username") {
            let user = c
                .arn
                .strip_prefix("arn:aws:iam::")?
                .strip_prefix(c.account.as_str())?
                .strip_prefix(":user/")?;
            user.rsplit('/').next()
        } else {
            None
        }
    }
}

impl Keys for Supplied<'_> {
    fn get(&self, key: &str) -> Option<Values<'_>> {
        self.keys
            .get(key)
            .or_else(|| self.supplied(key).map(Values::one))
    }
}

/// `aws:PrincipalArn`: the role ARN for an assumed-role session (without a path: the session ARN
/// does not carry it), else the caller's ARN.
fn principal_arn(c: &Caller) -> Cow<'_, str> {
    match c.session_role() {
        Some(role) => format!("arn:aws:iam::{}:role/{role}", c.account).into(),
        None => c.arn.as_str().into(),
    }
}

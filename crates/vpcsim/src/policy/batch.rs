//! `vpcsim policy eval --batch CASES.jsonl`: one JSON case per line in, one JSON verdict per line
//! out, for test suites that ask thousands of questions (the format is in docs/policy.md).
//!
//! A line that cannot be evaluated (not JSON, a missing field, an invalid policy) gets an error
//! verdict naming its line, and the next line is read. The file is read line by line. A case is
//! read without building a JSON tree of it: its policies are taken as the text they are written in,
//! parsed once per distinct text (or file) straight into the policy reader's tree — duplicate keys
//! refused as the YAML reader refuses them — and shared by the cases that repeat them.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use vpcsim_policy::{
    Authorization, Caller, Decision, Limits, Policy, PolicyKind, Request, authorize,
};
use vpcsim_syntax::{Diagnostics, Node, NodeKind, SourceFile, SourceId, SourceMap, Span};
use vpcsim_topology::{FileSystem, Limit, StdFs, not_a_policy};

use super::{account_of, context_from_json};

/// The longest line read: far more than a case with the largest policies AWS accepts.
const LINE_LIMIT: u64 = 16 << 20;

/// Parsed policies kept for reuse, per kind, at most this many (then that cache starts again):
/// enough for a suite's policies, few enough that a batch of new policies reuses freed memory
/// (4,096 per kind kept the process growing, a quarter of its time in fresh pages).
const CACHE_MAX: usize = 1024;

/// The AWS-managed SCP attached to every node of an organization by default: a case may write
/// `"FullAWSAccess"` for it in an `scp` level.
use vpcsim_policy::catalog::FULL_AWS_ACCESS;

/// Runs every case of `path` (`-`: standard input) and prints one verdict per case.
pub(crate) fn batch(path: &Path) -> ExitCode {
    let stdin = path == Path::new("-");
    let reader: Box<dyn BufRead> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        match open(path) {
            Ok(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
            Err(why) => {
                eprintln!("error: cannot read {}: {why}", path.display());
                return ExitCode::from(2);
            }
        }
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && !stdin)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut run = Batch {
        dir,
        cache: Default::default(),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let (mut cases, mut errors, mut expected, mut met) = (0usize, 0usize, 0usize, 0usize);
    let mut reader = reader;
    let mut buf = Vec::with_capacity(4096);
    let mut number = 0usize;
    loop {
        buf.clear();
        let read = reader
            .by_ref()
            .take(LINE_LIMIT + 1)
            .read_until(b'\n', &mut buf);
        match read {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                let _ = out.flush();
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
        number += 1;
        if buf.len() as u64 > LINE_LIMIT {
            let _ = out.flush();
            eprintln!(
                "error: {}: line {number} is longer than 16 MiB: not a batch of cases",
                path.display()
            );
            return ExitCode::from(2);
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(l) => Ok(l.trim_end_matches(['\n', '\r'])),
            Err(_) => Err("not UTF-8 text"),
        };
        if line.is_ok_and(|l| l.trim().is_empty()) {
            continue;
        }
        cases += 1;
        let result = line
            .map_err(|why| (None, why.to_string()))
            .and_then(|l| run.case(l));
        let verdict = match &result {
            Ok(v) => {
                if let Some(pass) = v.pass {
                    expected += 1;
                    met += usize::from(pass);
                }
                Out {
                    line: number,
                    id: v.id,
                    decision: decision_name(v.decision),
                    deciding: Some(&v.deciding),
                    notes: Some(
                        std::iter::once(v.explanation.as_str())
                            .chain(v.scope.as_deref())
                            .chain(v.checks.iter().map(String::as_str))
                            .collect(),
                    ),
                    pass: v.pass,
                    error: None,
                }
            }
            Err((id, why)) => {
                errors += 1;
                Out {
                    line: number,
                    id: *id,
                    decision: "error",
                    deciding: None,
                    notes: None,
                    pass: None,
                    error: Some(format!("line {number}: {why}")),
                }
            }
        };
        let written = serde_json::to_writer(&mut out, &verdict)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        if written.is_err() {
            // A closed pipe (`| head`): nothing more can be said.
            return ExitCode::SUCCESS;
        }
    }
    if out.flush().is_err() {
        return ExitCode::SUCCESS;
    }
    let missed = expected - met;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    eprintln!(
        "{}: {} evaluated, {}; {met} of {} met",
        plural(cases, "case", "cases"),
        cases - errors,
        plural(errors, "error", "errors"),
        plural(expected, "expectation", "expectations"),
    );
    if errors > 0 || missed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Opens a batch file: a regular file only (a FIFO or a device could block or never end).
fn open(path: &Path) -> Result<std::fs::File, String> {
    let kind = |meta: &std::fs::Metadata| -> Option<&'static str> {
        let t = meta.file_type();
        if t.is_file() {
            None
        } else if t.is_dir() {
            Some("a directory")
        } else {
            Some("a special file (a FIFO, socket or device)")
        }
    };
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if let Some(k) = kind(&meta) {
        return Err(format!("it is {k}, not a regular file"));
    }
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    match file.metadata().map(|m| kind(&m)) {
        Ok(None) => Ok(file),
        Ok(Some(k)) => Err(format!("it is {k}, not a regular file")),
        Err(e) => Err(e.to_string()),
    }
}

/// A verdict as written: one JSON object per line, in this order.
#[derive(Serialize)]
struct Out<'a> {
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a RawValue>,
    decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deciding: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<Vec<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pass: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One evaluated case.
struct Verdict<'a> {
    id: Option<&'a RawValue>,
    decision: Decision,
    deciding: Vec<String>,
    explanation: String,
    /// Whether the case's `expect` (and `expect_deciding`) held, when it has one.
    pass: Option<bool>,
    /// What the verdict does not cover (an action of another service than S3).
    scope: Option<String>,
    /// The policy checks' findings in the case's policies, `LABEL: CODE …` each.
    checks: Vec<String>,
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allowed => "allowed",
        Decision::ExplicitDeny => "explicitly denied",
        Decision::ImplicitDeny => "implicitly denied",
    }
}

/// A case as written: each field kept as its JSON text, read on its own below (so that each
/// mistake is told in its own words).
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a case: a JSON object with action, resource, policies…"
)]
struct Case<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    #[allow(dead_code)] // free text
    doc: Option<&'a RawValue>,
    #[serde(borrow, default)]
    #[allow(dead_code)] // free text
    comment: Option<&'a RawValue>,
    #[serde(borrow, default)]
    policies: Option<&'a RawValue>,
    #[serde(borrow, default)]
    caller: Option<&'a RawValue>,
    #[serde(borrow, default)]
    action: Option<&'a RawValue>,
    #[serde(borrow, default)]
    resource: Option<&'a RawValue>,
    #[serde(borrow, default)]
    resource_account: Option<&'a RawValue>,
    #[serde(borrow, default)]
    context: Option<&'a RawValue>,
    #[serde(borrow, default)]
    expect: Option<&'a RawValue>,
    #[serde(borrow, default)]
    expect_deciding: Option<&'a RawValue>,
}

/// An access point: the ARN its policy is matched against, and the policy.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccessPoint<'a> {
    #[serde(borrow)]
    arn: Cow<'a, str>,
    #[serde(borrow)]
    policy: &'a RawValue,
}

/// What a case failed on: its `id` when it was read, and why.
type Failure<'a> = (Option<&'a RawValue>, String);

/// Parsed policies by the text they are written in (inline) or by file name (`\0` + name), per
/// kind; an invalid one keeps its error.
type Cache = HashMap<String, Result<Checked, String>, foldhash::fast::FixedState>;

/// A parsed policy and what the policy checks (`vpcsim_policy::lint`, as `validate` runs them)
/// found in it, each in one line: found once per distinct policy, like the parse.
type Checked = (Rc<Policy>, Rc<[String]>);

struct Batch {
    /// The folder of the batch file: policy file names are relative to it.
    dir: PathBuf,
    /// Identity, resource and endpoint policies.
    cache: [Cache; 5],
}

/// A policy of a case, with its label and its checks' findings.
struct Named {
    label: String,
    policy: Rc<Policy>,
    checks: Rc<[String]>,
}

/// A JSON field as a string (`null` when absent), or why not.
fn string<'a>(raw: Option<&'a RawValue>, name: &str) -> Result<Option<Cow<'a, str>>, String> {
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        Some(r) => serde_json::from_str::<Cow<'a, str>>(r.get())
            .map(Some)
            .map_err(|_| format!("'{name}' must be a string")),
    }
}

/// A policy value, one or an array of them.
fn one_or_many(raw: &RawValue) -> Result<Vec<&RawValue>, String> {
    if raw.get().starts_with('[') {
        serde_json::from_str(raw.get()).map_err(|e| e.to_string())
    } else {
        Ok(vec![raw])
    }
}

impl Batch {
    fn case<'a>(&mut self, line: &'a str) -> Result<Verdict<'a>, Failure<'a>> {
        if !line.trim_start().starts_with('{') {
            // serde would read an array as the fields in order.
            return Err((
                None,
                match serde_json::from_str::<de::IgnoredAny>(line) {
                    Ok(_) => "a case is a JSON object".into(),
                    Err(e) => format!("not JSON: {e}"),
                },
            ));
        }
        let case: Case<'a> = serde_json::from_str(line).map_err(|e| {
            // The id, when the line says it, for the error verdict.
            #[derive(Deserialize)]
            struct Id<'a> {
                #[serde(borrow, default)]
                id: Option<&'a RawValue>,
            }
            let id = serde_json::from_str::<Id<'a>>(line).ok().and_then(|i| i.id);
            (
                id,
                match e.classify() {
                    serde_json::error::Category::Data => e.to_string(),
                    _ => format!("not JSON: {e}"),
                },
            )
        })?;
        let id = case.id;
        let fail = |why: String| (id, why);
        let action = string(case.action, "action")
            .map_err(&fail)?
            .ok_or_else(|| fail("'action' is missing".into()))?;
        let resource = string(case.resource, "resource")
            .map_err(&fail)?
            .ok_or_else(|| fail("'resource' is missing".into()))?;
        let caller = match string(case.caller, "caller").map_err(&fail)?.as_deref() {
            None | Some("anonymous") => None,
            Some(arn) => match account_of(arn) {
                Some(account) => Some(Caller {
                    arn: arn.to_string(),
                    account: account.to_string(),
                }),
                None if is_service_name(arn) => Some(Caller::service(arn)),
                None => {
                    return Err(fail(format!(
                        "'{arn}' is not an IAM principal ARN (arn:aws:iam::ACCOUNT:role/NAME, …:user/NAME, …:root, an assumed-role session, a federated user session), a service principal (cloudtrail.amazonaws.com) or \"anonymous\""
                    )));
                }
            },
        };
        let owner = match string(case.resource_account, "resource_account").map_err(&fail)? {
            Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.into_owned(),
            Some(a) => {
                return Err(fail(format!(
                    "'resource_account' is '{a}': an account id is 12 digits"
                )));
            }
            None => caller
                .as_ref()
                .map(|c| c.account.clone())
                .unwrap_or_default(),
        };
        let context = match case.context.filter(|r| r.get() != "null") {
            None => vpcsim_policy::Context::new(),
            Some(raw) => serde_json::from_str::<serde_json::Value>(raw.get())
                .map_err(|e| e.to_string())
                .and_then(|v| context_from_json(&v))
                .map_err(|why| fail(format!("context: {why}")))?,
        };
        let expect = string(case.expect, "expect").map_err(&fail)?;
        if let Some(e) = &expect
            && !matches!(
                e.as_ref(),
                "allowed" | "denied" | "explicitly denied" | "implicitly denied"
            )
        {
            return Err(fail(format!(
                "'expect' is '{e}': write allowed, denied, explicitly denied or implicitly denied"
            )));
        }
        let expect_deciding: Option<Vec<Cow<'a, str>>> =
            match case.expect_deciding.filter(|r| r.get() != "null") {
                None => None,
                Some(raw) => {
                    Some(serde_json::from_str(raw.get()).map_err(|_| {
                        fail("'expect_deciding' must be an array of strings".into())
                    })?)
                }
            };

        // The policies, by type.
        let mut identity: Vec<Named> = Vec::new();
        let mut resources: Vec<(Named, Option<Cow<'a, str>>)> = Vec::new();
        let mut endpoint: Option<Option<Named>> = None;
        let mut boundary: Option<Named> = None;
        let mut session: Vec<Named> = Vec::new();
        let mut scps: Vec<(String, Vec<Named>)> = Vec::new();
        let mut rcps: Vec<(String, Vec<Named>)> = Vec::new();
        if let Some(raw) = case.policies.filter(|r| r.get() != "null") {
            let policies: Vec<(Cow<'a, str>, &'a RawValue)> =
                serde_json::from_str::<PolicyMap<'a>>(raw.get())
                    .map_err(|_| {
                        fail("'policies' is an object: {\"identity\": […], \"resource\": […], \"endpoint\": …}".into())
                    })?
                    .0;
            for (kind, value) in policies {
                let many = || one_or_many(value).map_err(|e| fail(format!("{kind}: {e}")));
                match kind.as_ref() {
                    "identity" => {
                        for (i, p) in many()?.into_iter().enumerate() {
                            identity.push(
                                self.policy(p, PolicyKind::Identity, "identity", i)
                                    .map_err(&fail)?,
                            );
                        }
                    }
                    "resource" | "bucket" => {
                        for (i, p) in many()?.into_iter().enumerate() {
                            resources.push((
                                self.policy(p, PolicyKind::Resource, &kind, i)
                                    .map_err(&fail)?,
                                None,
                            ));
                        }
                    }
                    "access_point" => {
                        for (i, p) in many()?.into_iter().enumerate() {
                            let ap: AccessPoint<'a> = serde_json::from_str(p.get()).map_err(|_| {
                                fail("an access_point is {\"arn\": \"arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY\", \"policy\": …}".into())
                            })?;
                            resources.push((
                                self.policy(ap.policy, PolicyKind::Resource, "access point", i)
                                    .map_err(&fail)?,
                                Some(ap.arn),
                            ));
                        }
                    }
                    "endpoint" => {
                        endpoint = Some(if value.get() == "\"default\"" {
                            None
                        } else {
                            Some(
                                self.policy(value, PolicyKind::Endpoint, "endpoint", 0)
                                    .map_err(&fail)?,
                            )
                        });
                    }
                    "permissions_boundary" => {
                        boundary = Some(
                            self.policy(value, PolicyKind::Identity, "boundary", 0)
                                .map_err(&fail)?,
                        );
                    }
                    "session" => {
                        for (i, p) in many()?.into_iter().enumerate() {
                            session.push(
                                self.policy(p, PolicyKind::Identity, "session", i)
                                    .map_err(&fail)?,
                            );
                        }
                    }
                    "scp" | "rcp" => {
                        let (kind, what) = if kind == "scp" {
                            (PolicyKind::Scp, "scp")
                        } else {
                            (PolicyKind::Rcp, "rcp")
                        };
                        let levels = many()?;
                        let count = levels.len();
                        let mut out = Vec::new();
                        for (i, level) in levels.into_iter().enumerate() {
                            let target = super::level_name(i, count);
                            let mut attached = Vec::new();
                            let items =
                                one_or_many(level).map_err(|e| fail(format!("{what}: {e}")))?;
                            for (j, p) in items.into_iter().enumerate() {
                                let label = format!("{what} {target}.{}", j + 1);
                                attached.push(self.guard(p, kind, label).map_err(&fail)?);
                            }
                            out.push((target, attached));
                        }
                        if kind == PolicyKind::Scp {
                            scps = out;
                        } else {
                            rcps = out;
                        }
                    }
                    other => {
                        return Err(fail(format!(
                            "unknown policy type '{other}' (identity, resource or bucket, access_point, endpoint, permissions_boundary, session, scp, rcp)"
                        )));
                    }
                }
            }
        }

        // The labels the authorization borrows.
        let resource_labels: Vec<std::sync::Arc<str>> = resources
            .iter()
            .map(|(n, _)| n.label.as_str().into())
            .collect();
        let endpoint_label: std::sync::Arc<str> = "endpoint".into();
        let outcome = authorize(&Authorization {
            request: Request {
                action: &action,
                resource: &resource,
                caller: caller.as_ref(),
                context: &context,
            },
            identity: identity
                .iter()
                .map(|n| (n.label.as_str().into(), n.policy.as_ref()))
                .collect(),
            resource: resources
                .iter()
                .zip(&resource_labels)
                .map(|((n, arn), l)| (l, n.policy.as_ref(), arn.as_deref()))
                .collect(),
            resource_account: &owner,
            endpoint: endpoint
                .as_ref()
                .map(|e| (&endpoint_label, e.as_ref().map(|n| n.policy.as_ref()))),
            limits: Limits {
                boundary: boundary
                    .as_ref()
                    .map(|n| (n.label.as_str().into(), n.policy.as_ref())),
                session: session
                    .iter()
                    .map(|n| (n.label.as_str().into(), n.policy.as_ref()))
                    .collect(),
                scps: super::guards(&scps, |n| (&n.label, &n.policy)),
                rcps: super::guards(&rcps, |n| (&n.label, &n.policy)),
            },
            explain: true,
        });
        let deciding: Vec<String> = outcome.deciding.iter().map(|r| r.to_string()).collect();
        let pass = (expect.is_some() || expect_deciding.is_some()).then(|| {
            let decision_ok = match expect.as_deref() {
                None => true,
                Some("denied") => outcome.decision != Decision::Allowed,
                Some(e) => e == decision_name(outcome.decision),
            };
            let deciding_ok = expect_deciding
                .as_ref()
                .is_none_or(|want| *want == deciding);
            decision_ok && deciding_ok
        });
        // What the checks found in the policies used, in the order they are listed above.
        let named = identity
            .iter()
            .chain(resources.iter().map(|(n, _)| n))
            .chain(endpoint.iter().flatten())
            .chain(boundary.iter())
            .chain(session.iter())
            .chain(scps.iter().chain(rcps.iter()).flat_map(|(_, n)| n));
        let checks = named
            .flat_map(|n| n.checks.iter().map(move |c| format!("{}: {c}", n.label)))
            .collect();
        Ok(Verdict {
            id,
            decision: outcome.decision,
            deciding,
            explanation: outcome.explanation,
            pass,
            scope: super::scope_note(&action),
            checks,
        })
    }

    /// A policy of an `scp` or `rcp` level: inline, a file name, or `"FullAWSAccess"`.
    fn guard(&mut self, raw: &RawValue, kind: PolicyKind, label: String) -> Result<Named, String> {
        let full = raw.get() == "\"FullAWSAccess\"";
        let what = if kind == PolicyKind::Scp {
            "scp"
        } else {
            "rcp"
        };
        let named = if full {
            if kind == PolicyKind::Rcp {
                return Err(
                    "FullAWSAccess is an SCP: RCPFullAWSAccess is always attached, leave it out"
                        .into(),
                );
            }
            let text =
                RawValue::from_string(FULL_AWS_ACCESS.to_string()).map_err(|e| e.to_string())?;
            self.policy(&text, kind, what, 0)?
        } else {
            self.policy(raw, kind, what, 0)?
        };
        Ok(Named {
            label: if full {
                "scp FullAWSAccess".into()
            } else {
                label
            },
            policy: named.policy,
            checks: named.checks,
        })
    }

    /// The policy a case gives inline (a JSON object) or by file name (a string, relative to the
    /// batch file's folder), parsed for `kind`; `index` numbers inline policies in labels.
    fn policy(
        &mut self,
        raw: &RawValue,
        kind: PolicyKind,
        what: &str,
        index: usize,
    ) -> Result<Named, String> {
        let text = raw.get();
        let file: Option<String> = if text.starts_with('"') {
            Some(serde_json::from_str(text).map_err(|e| e.to_string())?)
        } else if text.starts_with('{') {
            None
        } else {
            return Err(format!(
                "{what} policy {} is neither a policy (a JSON object) nor a file name",
                index + 1
            ));
        };
        let label = match &file {
            Some(name) => {
                let stem = Path::new(name)
                    .file_stem()
                    .map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned());
                format!("{what} {stem}")
            }
            None if what == "endpoint" => "endpoint".to_string(),
            None => format!("{what} {}", index + 1),
        };
        let cache = &mut self.cache[match kind {
            PolicyKind::Identity => 0,
            PolicyKind::Resource => 1,
            PolicyKind::Endpoint => 2,
            PolicyKind::Scp => 3,
            PolicyKind::Rcp => 4,
        }];
        let key: Cow<str> = match &file {
            Some(name) => format!("\0{name}").into(),
            None => text.into(),
        };
        if let Some(hit) = cache.get(key.as_ref()) {
            return hit.clone().map(|(policy, checks)| Named {
                label,
                policy,
                checks,
            });
        }
        let parsed = match &file {
            Some(name) => read_file(&self.dir.join(name), kind),
            None => inline(text, kind).map_err(|why| format!("{what} policy {}: {why}", index + 1)),
        }
        .map(|p| {
            let checks = checks(&p, kind, file.is_some());
            (Rc::new(p), checks)
        });
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(key.into_owned(), parsed.clone());
        parsed.map(|(policy, checks)| Named {
            label,
            policy,
            checks,
        })
    }
}

/// The policy checks' findings in a policy, one line each: `CODE: SENTENCE (help: FIX)`, with
/// the line and column for a file (an inline policy's places would be places in the case's line).
fn checks(policy: &Policy, kind: PolicyKind, located: bool) -> Rc<[String]> {
    vpcsim_policy::lint(policy, kind)
        .into_iter()
        .map(|l| {
            let (message, help) = vpcsim_topology::policy_text::lint_text(&l.kind);
            let at = if located {
                format!(" (line {}, column {})", l.span.line, l.span.col)
            } else {
                String::new()
            };
            format!("{}{at}: {message} (help: {help})", l.kind.code())
        })
        .collect()
}

/// A policy file, read and checked as `policy eval` reads one; the first error on one line.
fn read_file(path: &Path, kind: PolicyKind) -> Result<Policy, String> {
    let text = StdFs
        .read(path, Limit::POLICY)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    if let Some(why) = not_a_policy(&text) {
        return Err(format!(
            "{} is not a policy document: {why}",
            path.display()
        ));
    }
    let source = SourceFile::new(path.display().to_string(), text.as_str());
    let diags = Diagnostics::new();
    if let Some(p) = vpcsim_policy::read(SourceId(0), &source, kind, &diags) {
        return Ok(p);
    }
    let mut sources = SourceMap::new();
    sources.add(source.name.clone(), text.as_str());
    Err(first_error(diags, |d| d.one_line(&sources)))
}

/// An inline policy: its JSON text read straight into the policy reader's tree (no YAML pass),
/// then checked as a file is. Places in it would be places in the case's line, so only the
/// message is given.
fn inline(text: &str, kind: PolicyKind) -> Result<Policy, String> {
    let node = serde_json::from_str::<JsonNode>(text)
        .map_err(|e| e.to_string())?
        .0;
    let diags = Diagnostics::new();
    match vpcsim_policy::parse(&node, kind, &diags) {
        Some(p) if !diags.has_errors() => Ok(p),
        _ => Err(first_error(diags, |d| match &d.help {
            Some(help) => format!("{} (help: {help})", d.message),
            None => d.message.clone(),
        })),
    }
}

fn first_error(diags: Diagnostics, show: impl Fn(&vpcsim_syntax::Diagnostic) -> String) -> String {
    diags
        .into_sorted()
        .iter()
        .find(|d| d.severity == vpcsim_syntax::Severity::Error)
        .map_or_else(|| "not a valid policy".into(), show)
}

/// The `policies` object: policy type → its JSON text, in the order written.
struct PolicyMap<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for PolicyMap<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = PolicyMap<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of policy type → policy")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<Cow<'a, str>, &'a RawValue>()? {
                    out.push((k, v));
                }
                Ok(PolicyMap(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// A JSON value as the policy reader's tree ([`Node`]): strings are quoted scalars, numbers,
/// booleans and null plain ones, as the YAML reader reads JSON. A key given twice in one object
/// is an error, as it is for the YAML reader (IAM refuses such a policy). No places: every span
/// is the start of the text.
struct JsonNode(Node);

const NOWHERE: Span = Span {
    file: SourceId(0),
    start: 0,
    end: 0,
    line: 1,
    col: 1,
};

fn scalar(text: String, plain: bool) -> JsonNode {
    JsonNode(Node {
        span: NOWHERE,
        kind: NodeKind::Scalar {
            text: text.into(),
            plain,
        },
    })
}

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = JsonNode;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<JsonNode, E> {
                Ok(scalar(v.to_string(), true))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<JsonNode, E> {
                Ok(scalar(v.to_string(), true))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<JsonNode, E> {
                Ok(scalar(v.to_string(), true))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonNode, E> {
                Ok(scalar(v.to_string(), true))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonNode, E> {
                Ok(scalar(v.to_string(), false))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<JsonNode, E> {
                Ok(scalar(v, false))
            }
            fn visit_unit<E: de::Error>(self) -> Result<JsonNode, E> {
                Ok(scalar("null".into(), true))
            }
            fn visit_none<E: de::Error>(self) -> Result<JsonNode, E> {
                Ok(scalar("null".into(), true))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsonNode, D::Error> {
                JsonNode::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonNode, A::Error> {
                let mut items = Vec::new();
                while let Some(JsonNode(n)) = seq.next_element()? {
                    items.push(n);
                }
                Ok(JsonNode(Node {
                    span: NOWHERE,
                    kind: NodeKind::Seq(items),
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonNode, A::Error> {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                // Keys seen, hashed once an object is large (a scan stays quadratic otherwise).
                let mut seen: std::collections::HashSet<String, foldhash::fast::FixedState> =
                    Default::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    let twice = if entries.len() < 16 {
                        entries.iter().any(|(k, _)| k.as_str() == Some(&key))
                    } else {
                        if seen.is_empty() {
                            seen.extend(
                                entries
                                    .iter()
                                    .filter_map(|(k, _)| k.as_str())
                                    .map(str::to_string),
                            );
                        }
                        !seen.insert(key.to_string())
                    };
                    if twice {
                        return Err(de::Error::custom(format_args!("duplicate key '{key}'")));
                    }
                    let JsonNode(value) = map.next_value()?;
                    entries.push((scalar(key.into_owned(), false).0, value));
                }
                Ok(JsonNode(Node {
                    span: NOWHERE,
                    kind: NodeKind::Map(entries),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// A service principal's name: `cloudtrail.amazonaws.com`, `logging.s3.amazonaws.com`.
pub(crate) fn is_service_name(name: &str) -> bool {
    name.strip_suffix(".amazonaws.com").is_some_and(|s| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    })
}

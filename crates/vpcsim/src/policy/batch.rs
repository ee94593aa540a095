//! `vpcsim policy eval --batch CASES.jsonl`: one JSON case per line in, one JSON verdict per line
//! out, for test suites that ask thousands of questions (the format is in docs/policy.md).
//!
//! A line that cannot be evaluated (not JSON, a missing field, an invalid policy) gets an error
//! verdict naming its line, and the next line is read. Policies are parsed once per distinct text
//! (or file) and shared by the cases that repeat them.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;

use serde::Serialize;
use serde_json::Value;
use vpcsim_policy::{Authorization, Caller, Decision, Policy, PolicyKind, Request, authorize};
use vpcsim_syntax::{Diagnostics, SourceFile, SourceId, SourceMap};
use vpcsim_topology::{FileSystem, Limit, StdFs, not_a_policy};

use super::{account_of, context_from_json};

/// The most a batch file may hold (the whole file is read before the first case).
const BATCH_LIMIT: Limit = Limit {
    bytes: 256 << 20,
    kind: "batch file",
};

/// Parsed policies kept for reuse, at most this many (then the cache starts again).
const CACHE_MAX: usize = 4096;

/// The fields a case may have.
const FIELDS: &[&str] = &[
    "id",
    "doc",
    "comment",
    "policies",
    "caller",
    "action",
    "resource",
    "resource_account",
    "context",
    "expect",
    "expect_deciding",
];

/// Policy types of IAM that vpcsim does not evaluate (yet), for a clear refusal.
const NOT_MODELLED: &[&str] = &[
    "permissions_boundary",
    "permission_boundary",
    "boundary",
    "session",
    "session_policy",
    "scp",
    "rcp",
    "organizations",
];

/// Runs every case of `path` (`-`: standard input) and prints one verdict per case.
pub(crate) fn batch(path: &Path) -> ExitCode {
    let text = if path == Path::new("-") {
        let mut bytes = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(BATCH_LIMIT.bytes + 1)
            .read_to_end(&mut bytes);
        match read {
            Err(e) => {
                eprintln!("error: cannot read standard input: {e}");
                return ExitCode::from(2);
            }
            Ok(_) if bytes.len() as u64 > BATCH_LIMIT.bytes => {
                eprintln!("error: standard input holds more than the 256 MiB limit of a batch");
                return ExitCode::from(2);
            }
            Ok(_) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(_) => {
                    eprintln!("error: standard input is not UTF-8 text");
                    return ExitCode::from(2);
                }
            },
        }
    } else {
        match StdFs.read(path, BATCH_LIMIT) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        }
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && path != Path::new("-"))
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut run = Batch {
        dir,
        cache: HashMap::new(),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut cases, mut errors, mut expected, mut met) = (0usize, 0usize, 0usize, 0usize);
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        cases += 1;
        let verdict = match run.case(line) {
            Ok(v) => {
                if let Some(pass) = v.pass {
                    expected += 1;
                    met += usize::from(pass);
                }
                Out {
                    line: number,
                    id: v.id,
                    decision: decision_name(v.decision),
                    deciding: Some(v.deciding),
                    notes: Some([v.explanation]),
                    pass: v.pass,
                    error: None,
                }
            }
            Err((id, why)) => {
                errors += 1;
                Out {
                    line: number,
                    id,
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

/// A verdict as written: one JSON object per line, in this order.
#[derive(Serialize)]
struct Out {
    line: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<Value>,
    decision: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    deciding: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<[String; 1]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pass: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// One evaluated case.
struct Verdict {
    id: Option<Value>,
    decision: Decision,
    deciding: Vec<String>,
    explanation: String,
    /// Whether the case's `expect` (and `expect_deciding`) held, when it has one.
    pass: Option<bool>,
}

fn decision_name(d: Decision) -> &'static str {
    match d {
        Decision::Allowed => "allowed",
        Decision::ExplicitDeny => "explicitly denied",
        Decision::ImplicitDeny => "implicitly denied",
    }
}

/// What a case failed on: its `id` when it was read, and why.
type Failure = (Option<Value>, String);

struct Batch {
    /// The folder of the batch file: policy file names are relative to it.
    dir: PathBuf,
    /// Parsed policies by kind and text (inline) or path (files); an invalid one keeps its error.
    cache: HashMap<(u8, String), Result<Rc<Policy>, String>>,
}

/// A policy of a case, with its label.
struct Named {
    label: String,
    policy: Rc<Policy>,
}

impl Batch {
    fn case(&mut self, line: &str) -> Result<Verdict, Failure> {
        let value: Value =
            serde_json::from_str(line).map_err(|e| (None, format!("not JSON: {e}")))?;
        let Value::Object(case) = value else {
            return Err((None, "a case is a JSON object".into()));
        };
        let id = case.get("id").cloned();
        let fail = |why: String| (id.clone(), why);
        if let Some(unknown) = case.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(fail(format!(
                "unknown field '{unknown}' (a case has {})",
                FIELDS.join(", ")
            )));
        }
        let text = |name: &str, required: bool| -> Result<Option<&str>, Failure> {
            match case.get(name) {
                None | Some(Value::Null) if !required => Ok(None),
                None | Some(Value::Null) => Err(fail(format!("'{name}' is missing"))),
                Some(Value::String(s)) => Ok(Some(s.as_str())),
                Some(_) => Err(fail(format!("'{name}' must be a string"))),
            }
        };
        let action = text("action", true)?.unwrap_or_default();
        let resource = text("resource", true)?.unwrap_or_default();
        let caller = match text("caller", false)? {
            None | Some("anonymous") => None,
            Some(arn) => match account_of(arn) {
                Some(account) => Some(Caller {
                    arn: arn.to_string(),
                    account: account.to_string(),
                }),
                None => {
                    return Err(fail(format!(
                        "'{arn}' is not an IAM principal ARN (arn:aws:iam::ACCOUNT:role/NAME, …:user/NAME, …:root, an assumed-role session, or \"anonymous\")"
                    )));
                }
            },
        };
        let owner = match text("resource_account", false)? {
            Some(a) if a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()) => a.to_string(),
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
        let context = match case.get("context") {
            None | Some(Value::Null) => vpcsim_policy::Context::new(),
            Some(v) => context_from_json(v).map_err(|why| fail(format!("context: {why}")))?,
        };
        let expect = match text("expect", false)? {
            None => None,
            Some(e @ ("allowed" | "denied" | "explicitly denied" | "implicitly denied")) => Some(e),
            Some(other) => {
                return Err(fail(format!(
                    "'expect' is '{other}': write allowed, denied, explicitly denied or implicitly denied"
                )));
            }
        };
        let expect_deciding: Option<Vec<&str>> = match case.get("expect_deciding") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .iter()
                    .map(|i| i.as_str())
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| fail("'expect_deciding' must be an array of strings".into()))?,
            ),
            Some(_) => {
                return Err(fail("'expect_deciding' must be an array of strings".into()));
            }
        };

        // The policies, by type.
        let mut identity: Vec<Named> = Vec::new();
        let mut resources: Vec<(Named, Option<String>)> = Vec::new();
        let mut endpoint: Option<Option<Named>> = None;
        match case.get("policies") {
            None | Some(Value::Null) => {}
            Some(Value::Object(policies)) => {
                for (kind, value) in policies {
                    match kind.as_str() {
                        "identity" => {
                            for (i, p) in one_or_many(value).enumerate() {
                                identity.push(
                                    self.policy(p, PolicyKind::Identity, "identity", i)
                                        .map_err(&fail)?,
                                );
                            }
                        }
                        "resource" | "bucket" => {
                            for (i, p) in one_or_many(value).enumerate() {
                                resources.push((
                                    self.policy(p, PolicyKind::Resource, kind, i)
                                        .map_err(&fail)?,
                                    None,
                                ));
                            }
                        }
                        "access_point" => {
                            for (i, p) in one_or_many(value).enumerate() {
                                let (Some(arn), Some(policy)) =
                                    (p.get("arn").and_then(Value::as_str), p.get("policy"))
                                else {
                                    return Err(fail(
                                        "an access_point is {\"arn\": \"arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME\", \"policy\": …}".into(),
                                    ));
                                };
                                resources.push((
                                    self.policy(policy, PolicyKind::Resource, "access point", i)
                                        .map_err(&fail)?,
                                    Some(arn.to_string()),
                                ));
                            }
                        }
                        "endpoint" => {
                            endpoint = Some(match value {
                                Value::String(s) if s == "default" => None,
                                p => Some(
                                    self.policy(p, PolicyKind::Endpoint, "endpoint", 0)
                                        .map_err(&fail)?,
                                ),
                            });
                        }
                        other if NOT_MODELLED.contains(&other) => {
                            return Err(fail(format!(
                                "policy type '{other}' is not modelled by vpcsim: it evaluates identity, resource (bucket), access_point and endpoint policies"
                            )));
                        }
                        other => {
                            return Err(fail(format!(
                                "unknown policy type '{other}' (identity, resource or bucket, access_point, endpoint)"
                            )));
                        }
                    }
                }
            }
            Some(_) => {
                return Err(fail(
                    "'policies' is an object: {\"identity\": […], \"resource\": […], \"endpoint\": …}"
                        .into(),
                ));
            }
        }

        let outcome = authorize(&Authorization {
            request: Request {
                action,
                resource,
                caller: caller.as_ref(),
                context: &context,
            },
            identity: identity
                .iter()
                .map(|n| (n.label.as_str().into(), n.policy.as_ref()))
                .collect(),
            resource: resources
                .iter()
                .map(|(n, arn)| (n.label.as_str().into(), n.policy.as_ref(), arn.as_deref()))
                .collect(),
            resource_account: &owner,
            endpoint: endpoint
                .as_ref()
                .map(|e| ("endpoint".into(), e.as_ref().map(|n| n.policy.as_ref()))),
            explain: true,
        });
        let deciding: Vec<String> = outcome.deciding.iter().map(|r| r.to_string()).collect();
        let pass = (expect.is_some() || expect_deciding.is_some()).then(|| {
            let decision_ok = match expect {
                None => true,
                Some("denied") => outcome.decision != Decision::Allowed,
                Some(e) => e == decision_name(outcome.decision),
            };
            let deciding_ok = expect_deciding.is_none_or(|want| want == deciding);
            decision_ok && deciding_ok
        });
        Ok(Verdict {
            id,
            decision: outcome.decision,
            deciding,
            explanation: outcome.explanation,
            pass,
        })
    }

    /// The policy a case gives inline (a JSON object) or by file name (a string, relative to the
    /// batch file's folder), parsed for `kind`; `index` numbers inline policies in labels.
    fn policy(
        &mut self,
        value: &Value,
        kind: PolicyKind,
        what: &str,
        index: usize,
    ) -> Result<Named, String> {
        let kind_key = match kind {
            PolicyKind::Identity => 0,
            PolicyKind::Resource => 1,
            PolicyKind::Endpoint => 2,
        };
        let (key, label) = match value {
            Value::Object(_) => (
                value.to_string(),
                if what == "endpoint" {
                    "endpoint".to_string()
                } else {
                    format!("{what} {}", index + 1)
                },
            ),
            Value::String(name) => {
                let stem = Path::new(name)
                    .file_stem()
                    .map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned());
                (format!("\0{name}"), format!("{what} {stem}"))
            }
            _ => {
                return Err(format!(
                    "{} policy {} is neither a policy (a JSON object) nor a file name",
                    what,
                    index + 1
                ));
            }
        };
        let cache_key = (kind_key, key);
        if let Some(hit) = self.cache.get(&cache_key) {
            return hit.clone().map(|policy| Named { label, policy });
        }
        let parsed = match value {
            Value::String(name) => self.file(name, kind),
            _ => parse_text(&cache_key.1, kind, None)
                .map_err(|why| format!("{what} policy {}: {why}", index + 1)),
        }
        .map(Rc::new);
        if self.cache.len() >= CACHE_MAX {
            self.cache.clear();
        }
        self.cache.insert(cache_key, parsed.clone());
        parsed.map(|policy| Named { label, policy })
    }

    fn file(&self, name: &str, kind: PolicyKind) -> Result<Policy, String> {
        let path = self.dir.join(name);
        let text = StdFs
            .read(&path, Limit::POLICY)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if let Some(why) = not_a_policy(&text) {
            return Err(format!(
                "{} is not a policy document: {why}",
                path.display()
            ));
        }
        parse_text(&text, kind, Some(&path.display().to_string()))
    }
}

/// A policy from its text; the first error on one line otherwise (with its place for a file: the
/// place in an inline policy would be in the case's text rewritten, so only the message is given).
fn parse_text(text: &str, kind: PolicyKind, file: Option<&str>) -> Result<Policy, String> {
    let source = SourceFile::new(file.unwrap_or("policy"), text);
    let diags = Diagnostics::new();
    let policy = vpcsim_policy::read(SourceId(0), &source, kind, &diags);
    match policy {
        Some(p) => Ok(p),
        None => {
            let findings = diags.into_sorted();
            let first = findings
                .iter()
                .find(|d| d.severity == vpcsim_syntax::Severity::Error);
            Err(match (first, file) {
                (Some(d), Some(_)) => {
                    let mut sources = SourceMap::new();
                    sources.add(source.name.clone(), text);
                    d.one_line(&sources)
                }
                (Some(d), None) => match &d.help {
                    Some(help) => format!("{} (help: {help})", d.message),
                    None => d.message.clone(),
                },
                (None, _) => "not a valid policy".into(),
            })
        }
    }
}

/// A value or each value of an array.
fn one_or_many(v: &Value) -> Box<dyn Iterator<Item = &Value> + '_> {
    match v {
        Value::Array(items) => Box::new(items.iter()),
        other => Box::new(std::iter::once(other)),
    }
}

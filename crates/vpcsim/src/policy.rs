//! `vpcsim policy eval`: "why was this denied?" without a topology; `--batch` asks many questions
//! at once (one JSON case per line, [`batch`]).

mod batch;

pub(crate) use batch::batch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vpcsim_policy::{
    Authorization, Caller, Context, Decision, Guard, Limits, Policy, PolicyKind, Request, evaluate,
};
use vpcsim_syntax::{Diagnostics, SourceMap};
use vpcsim_topology::{FileSystem, Limit, StdFs, not_a_policy};

use crate::{Format, color, usage};

/// The arguments of `policy eval`.
pub(crate) struct EvalArgs<'a> {
    pub identity: &'a [PathBuf],
    pub resource_policies: &'a [PathBuf],
    pub endpoint_policy: Option<&'a Path>,
    pub through_endpoint: bool,
    pub boundary: Option<&'a Path>,
    pub session_policies: &'a [PathBuf],
    pub scps: &'a [String],
    pub rcps: &'a [String],
    pub action: &'a str,
    pub resource: &'a str,
    pub caller: Option<&'a str>,
    pub resource_account: Option<&'a str>,
    pub context: &'a [String],
    pub context_file: Option<&'a Path>,
    pub format: Format,
}

/// The most keys a JSON request context may have: far more than any request carries (a request
/// through vpcsim has about fifteen), and few enough that setting them stays cheap.
const CONTEXT_KEYS_MAX: usize = 1000;

/// The most a context file may hold: far more than any request's keys.
const CONTEXT_LIMIT: Limit = Limit {
    bytes: 1 << 20,
    kind: "context file",
};

/// A request context from JSON: an object of condition key → a string (a single-valued key) or an
/// array of strings (a multivalued key; `[]` is a key present with an empty set, values may hold
/// commas). Numbers and booleans are taken as written (`true`, `443`). The error says what is
/// wrong and where, in English: this is the edge.
pub(crate) fn context_from_json(v: &serde_json::Value) -> Result<Context<'static>, String> {
    use serde_json::Value;
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    let scalar = |v: &Value| -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let Value::Object(map) = v else {
        return Err(format!(
            "the context is {}: write a JSON object of condition keys, such as {{\"aws:SourceVpce\": \"vpce-1a2b3c4d\", \"aws:TagKeys\": [\"a\", \"b\"]}}",
            kind(v)
        ));
    };
    if map.len() > CONTEXT_KEYS_MAX {
        return Err(format!(
            "the context has {} keys: a request has {CONTEXT_KEYS_MAX} at most",
            map.len()
        ));
    }
    let mut ctx = Context::new();
    let mut seen: std::collections::HashMap<String, &str> =
        std::collections::HashMap::with_capacity(map.len());
    for (key, value) in map {
        if key.trim().is_empty() {
            return Err("a condition key name is empty".into());
        }
        if let Some(first) = seen.insert(key.to_ascii_lowercase(), key) {
            return Err(format!(
                "the condition key '{key}' is given twice ('{first}' too): key names are case-insensitive"
            ));
        }
        match value {
            Value::Array(items) => {
                let mut values = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match scalar(item) {
                        Some(s) => values.push(s),
                        None => {
                            return Err(format!(
                                "the value {} of '{key}' is {}: a multivalued key takes an array of strings",
                                i + 1,
                                kind(item)
                            ));
                        }
                    }
                }
                ctx.set_many(key.clone(), values);
            }
            Value::Null => {
                return Err(format!(
                    "'{key}' is null: leave the key out for an absent key, or write [] for a key with an empty set of values"
                ));
            }
            Value::Object(_) => {
                return Err(format!(
                    "'{key}' is an object: a key takes a string or an array of strings"
                ));
            }
            other => {
                if let Some(s) = scalar(other) {
                    ctx.set(key.clone(), s);
                }
            }
        }
    }
    Ok(ctx)
}

/// Reads and checks a policy file; diagnostics are printed. `Err` is the exit code.
fn read(path: &Path, kind: PolicyKind, sources: &mut SourceMap) -> Result<Policy, ExitCode> {
    let text = match StdFs.read(path, Limit::POLICY) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return Err(ExitCode::from(2));
        }
    };
    // A file that is no policy at all is quoted by a short excerpt only (it may hold secrets).
    if let Some(why) = not_a_policy(&text) {
        eprintln!("error: {} is not a policy document: {why}", path.display());
        return Err(ExitCode::from(1));
    }
    let id = sources.add(path.display().to_string(), text);
    let file = sources.get(id).expect("just added").clone();
    let diags = Diagnostics::new();
    // `None` after any error, the YAML reader's included: an invalid policy yields no verdict.
    let policy = vpcsim_policy::read(id, &file, kind, &diags);
    // A valid policy gets the checks `validate` runs (Access Analyzer's kind), as warnings.
    for l in policy.iter().flat_map(|p| vpcsim_policy::lint(p, kind)) {
        let (message, help) = vpcsim_topology::policy_text::lint_text(&l.kind);
        diags.push(
            vpcsim_syntax::Diagnostic::warning(l.kind.code(), l.span, message).with_help(help),
        );
    }
    let findings = diags.into_sorted();
    for d in &findings {
        eprintln!("{}", d.render(sources, color()));
    }
    policy.ok_or(ExitCode::from(1))
}

/// The account in an IAM ARN (`arn:aws:iam::111122223333:role/x` → `111122223333`).
fn account_of(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn eval(a: EvalArgs) -> ExitCode {
    let mut sources = SourceMap::new();
    let mut load = |paths: &[PathBuf],
                    kind: PolicyKind,
                    label: &str|
     -> Result<Vec<(String, Policy)>, ExitCode> {
        paths
            .iter()
            .map(|p| {
                read(p, kind, &mut sources).map(|pol| {
                    (
                        format!(
                            "{label} {}",
                            p.file_stem()
                                .map_or("policy".into(), |s| s.to_string_lossy().into_owned())
                        ),
                        pol,
                    )
                })
            })
            .collect()
    };
    let identity = match load(a.identity, PolicyKind::Identity, "identity") {
        Ok(v) => v,
        Err(c) => return c,
    };
    let resource = match load(a.resource_policies, PolicyKind::Resource, "resource") {
        Ok(v) => v,
        Err(c) => return c,
    };
    let session = match load(a.session_policies, PolicyKind::Identity, "session") {
        Ok(v) => v,
        Err(c) => return c,
    };
    let boundary = match a.boundary {
        Some(p) => match read(p, PolicyKind::Identity, &mut sources) {
            Ok(pol) => Some((
                format!(
                    "boundary {}",
                    p.file_stem()
                        .map_or("policy".into(), |s| s.to_string_lossy().into_owned())
                ),
                pol,
            )),
            Err(c) => return c,
        },
        None => None,
    };
    // One node per flag, from the root down; each a comma-separated list of files.
    let mut nodes =
        |flags: &[String], kind: PolicyKind, what: &str| -> Result<Vec<Node>, ExitCode> {
            let count = flags.len();
            flags
                .iter()
                .enumerate()
                .map(|(i, flag)| {
                    let target = level_name(i, count);
                    let mut attached = Vec::new();
                    for name in flag.split(',').filter(|n| !n.is_empty()) {
                        if name == "FullAWSAccess" && kind == PolicyKind::Scp {
                            let id = sources.add(
                                "FullAWSAccess (AWS managed SCP)".to_string(),
                                vpcsim_policy::catalog::FULL_AWS_ACCESS,
                            );
                            let file = sources.get(id).expect("just added").clone();
                            let diags = Diagnostics::new();
                            let p = vpcsim_policy::read(id, &file, kind, &diags)
                                .ok_or(ExitCode::from(1))?;
                            attached.push(("scp FullAWSAccess".to_string(), p));
                            continue;
                        }
                        let path = Path::new(name);
                        let p = read(path, kind, &mut sources)?;
                        let stem = path
                            .file_stem()
                            .map_or_else(|| name.to_string(), |s| s.to_string_lossy().into_owned());
                        attached.push((format!("{what} {stem}"), p));
                    }
                    Ok((target, attached))
                })
                .collect()
        };
    let scps = match nodes(a.scps, PolicyKind::Scp, "scp") {
        Ok(v) => v,
        Err(c) => return c,
    };
    let rcps = match nodes(a.rcps, PolicyKind::Rcp, "rcp") {
        Ok(v) => v,
        Err(c) => return c,
    };
    let endpoint = match a.endpoint_policy {
        Some(p) => match read(p, PolicyKind::Endpoint, &mut sources) {
            Ok(pol) => Some(pol),
            Err(c) => return c,
        },
        None => None,
    };
    let caller = match a.caller {
        None | Some("anonymous") => None,
        Some(arn) => match account_of(arn) {
            Some(acct) => Some(Caller {
                arn: arn.to_string(),
                account: acct.to_string(),
            }),
            None if batch::is_service_name(arn) => Some(Caller::service(arn)),
            None => {
                return usage(
                    format!("'{arn}' is not an IAM principal ARN"),
                    "write arn:aws:iam::ACCOUNT:role/NAME, …:user/NAME, …:root, a service principal (cloudtrail.amazonaws.com), or `anonymous`"
                        .into(),
                );
            }
        },
    };
    let mut ctx = Context::new();
    if let Some(path) = a.context_file {
        let text = match StdFs.read(path, CONTEXT_LIMIT) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text)
            .map_err(|e| format!("it is not JSON ({e})"))
            .and_then(|v| context_from_json(&v));
        match parsed {
            Ok(c) => ctx = c,
            Err(why) => {
                eprintln!("error: {}: {why}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    // `--context` after the file: a key given both ways takes the command line's value.
    for kv in a.context {
        let Some((k, v)) = kv.split_once('=') else {
            return usage(
                format!("'{kv}' is not KEY=VALUE"),
                "for example --context aws:SourceVpce=vpce-1a2b3c4d (several values: KEY=V1,V2)"
                    .into(),
            );
        };
        let values: Vec<String> = v.split(',').map(str::to_string).collect();
        if values.len() == 1 {
            ctx.set(k.to_string(), v);
        } else {
            ctx.set_many(k.to_string(), values);
        }
    }
    let owner = a
        .resource_account
        .map(str::to_string)
        .or_else(|| caller.as_ref().map(|c| c.account.clone()))
        .unwrap_or_default();
    let request = Request {
        action: a.action,
        resource: a.resource,
        caller: caller.as_ref(),
        context: &ctx,
    };
    // The labels the authorization borrows.
    let endpoint_label: std::sync::Arc<str> = "endpoint".into();
    let resource_labels: Vec<std::sync::Arc<str>> =
        resource.iter().map(|(l, _)| l.as_str().into()).collect();
    let endpoint_gate = if a.through_endpoint || endpoint.is_some() {
        Some((&endpoint_label, endpoint.as_ref()))
    } else {
        None
    };
    let outcome = vpcsim_policy::authorize(&Authorization {
        request: request.clone(),
        identity: identity
            .iter()
            .map(|(l, p)| (l.as_str().into(), p))
            .collect(),
        resource: resource
            .iter()
            .zip(&resource_labels)
            .map(|((_, p), l)| (l, p, None))
            .collect(),
        resource_account: &owner,
        endpoint: endpoint_gate,
        limits: Limits {
            boundary: boundary.as_ref().map(|(l, p)| (l.as_str().into(), p)),
            session: session
                .iter()
                .map(|(l, p)| (l.as_str().into(), p))
                .collect(),
            scps: guards(&scps, |(l, p)| (l, p)),
            rcps: guards(&rcps, |(l, p)| (l, p)),
        },
        explain: true,
    });
    // Each policy's own view, for the "why".
    let mut per_policy = Vec::new();
    let boundary_labelled = boundary.iter().map(|(l, p)| (l.clone(), p));
    let guards_flat = scps
        .iter()
        .chain(&rcps)
        .flat_map(|(_, attached)| attached.iter().map(|(l, p)| (l.clone(), p)));
    for (l, p) in identity
        .iter()
        .map(|(l, p)| (l.clone(), p))
        .chain(boundary_labelled)
        .chain(session.iter().map(|(l, p)| (l.clone(), p)))
        .chain(guards_flat)
        .chain(resource.iter().map(|(l, p)| (l.clone(), p)))
    {
        per_policy.push((l.clone(), evaluate(p, &l, &request)));
    }
    if let Some(p) = &endpoint {
        per_policy.push(("endpoint".to_string(), evaluate(p, "endpoint", &request)));
    }
    let decision = match outcome.decision {
        Decision::Allowed => "allowed",
        Decision::ExplicitDeny => "explicitly denied",
        Decision::ImplicitDeny => "implicitly denied",
    };
    match a.format {
        Format::Text => {
            println!(
                "{} {} by {}",
                a.action,
                a.resource,
                caller.as_ref().map_or("anonymous", |c| c.arn.as_str())
            );
            for (l, v) in &per_policy {
                let names = |refs: &[vpcsim_policy::StatementRef]| {
                    refs.iter()
                        .map(|s| &*s.statement)
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                // Statements naming only the caller's account are shown apart: they grant
                // nothing without an identity policy allow.
                let delegated = if v.delegated.is_empty() {
                    String::new()
                } else {
                    format!(", delegates to the account [{}]", names(&v.delegated))
                };
                println!(
                    "  {l}: allows [{}]{delegated}, denies [{}]",
                    names(&v.allows),
                    names(&v.denies)
                );
            }
            println!("{}: {}", decision.to_uppercase(), outcome.explanation);
            if let Some(note) = scope_note(a.action) {
                println!("note: {note}");
            }
        }
        Format::Json => {
            let v = serde_json::json!({
                "decision": decision,
                "deciding": outcome.deciding.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                "explanation": outcome.explanation,
                "notes": scope_note(a.action).into_iter().collect::<Vec<_>>(),
                "policies": per_policy.iter().map(|(l, v)| serde_json::json!({
                    "policy": l,
                    "allows": v.allows.iter().map(|s| s.statement.to_string()).collect::<Vec<_>>(),
                    "delegated": v.delegated.iter().map(|s| s.statement.to_string()).collect::<Vec<_>>(),
                    "denies": v.denies.iter().map(|s| s.statement.to_string()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            });
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
    }
    ExitCode::SUCCESS
}

/// One organization node of `--scp`/`--rcp`: what it is (`root`, `OU 1`, `account`) and its
/// labelled policies.
type Node = (String, Vec<(String, Policy)>);

/// The name of level `i` of `count` in an organization given on the command line or in a batch
/// case: the root first, the account last, OUs between.
pub(crate) fn level_name(i: usize, count: usize) -> String {
    match i {
        0 => "root".to_string(),
        i if i + 1 == count => "account".to_string(),
        i => format!("OU {i}"),
    }
}

/// The organization nodes of `--scp`/`--rcp`, or of a batch case's `scp`/`rcp`, as the evaluation
/// takes them: each node's name and its attached policies, `labelled` giving each one's label and
/// policy.
pub(crate) fn guards<'a, A>(
    nodes: &'a [(String, Vec<A>)],
    labelled: impl Fn(&'a A) -> (&'a str, &'a vpcsim_policy::Policy),
) -> Vec<Guard<'a>> {
    nodes
        .iter()
        .map(|(target, attached)| Guard {
            target: target.as_str().into(),
            policies: attached
                .iter()
                .map(|a| {
                    let (label, policy) = labelled(a);
                    (label.into(), policy)
                })
                .collect(),
        })
        .collect()
}

/// What a verdict on an action of another service than S3 does not cover: vpcsim evaluates the
/// policies given as IAM combines them, but knows nothing of that service's own rules (its
/// resource-based policies, its condition keys, the keys it always sets).
pub(crate) fn scope_note(action: &str) -> Option<String> {
    let service = action.split_once(':').map_or(action, |(s, _)| s);
    vpcsim_policy::catalog::s3_action(action).is_none().then(|| {
        format!(
            "vpcsim carries S3 requests only: for {action} this is the policies given, combined as IAM combines them, without what {service} itself adds (its own resource policies, the condition keys it sets)"
        )
    })
}

//! What each fuzz target does with its input, shared by the fuzz targets (`fuzz/fuzz_targets/`)
//! and by the regression test of the normal suite (`tests/fuzz.rs`), which feeds every file of
//! `fuzz/corpus/TARGET/` and `fuzz/regressions/TARGET/` through the same function.
//!
//! Each function must return (no panic, no hang) for any input; what it returns is not checked
//! beyond that, except where noted.

#![allow(dead_code)] // each target uses one function

use std::net::SocketAddr;
use std::path::Path;
use std::sync::OnceLock;

use vpcsim_policy::{Authorization, Caller, Context, PolicyKind, Request};
use vpcsim_syntax::SourceMap;
use vpcsim_topology::MemFs;

/// Splits `data` into UTF-8 text (invalid bytes replaced, as no reader of ours sees them: files
/// are refused before) and the part after the first NUL, if any.
fn text_and_rest(data: &[u8]) -> (String, Option<String>) {
    match data.iter().position(|&b| b == 0) {
        Some(i) => (
            String::from_utf8_lossy(&data[..i]).into_owned(),
            Some(String::from_utf8_lossy(&data[i + 1..]).into_owned()),
        ),
        None => (String::from_utf8_lossy(data).into_owned(), None),
    }
}

/// Renders the diagnostics the three ways the edges do: every one on one line and in JSON, the
/// first eight with their snippets too (miette's drawing is most of a run's time, and the first
/// eight reach every kind of snippet an input makes).
fn render_all(diagnostics: &[vpcsim_syntax::Diagnostic], sources: &SourceMap) {
    for (i, d) in diagnostics.iter().enumerate() {
        if i < 8 {
            let _ = d.render(sources, false);
        }
        let _ = d.one_line(sources);
        let _ = d.to_json(sources);
    }
}

/// The topology loader: `t.yaml` is the input up to a NUL, and the policy files `p.json` and
/// `policies/p.json` are what follows it. Every diagnostic is rendered; a valid topology's
/// model is checked for dangling ids.
pub fn topology(data: &[u8]) {
    let (text, policy) = text_and_rest(data);
    let policy = policy.unwrap_or_default();
    let fs = MemFs::default()
        .with("t.yaml", text)
        .with("p.json", policy.clone())
        .with("policies/p.json", policy);
    let Ok(loaded) = vpcsim_topology::load(Path::new("t.yaml"), &fs) else {
        return;
    };
    render_all(&loaded.diagnostics, &loaded.sources);
    if let Some(t) = &loaded.topology {
        assert!(t.dangling_ids().is_empty(), "{:?}", t.dangling_ids());
    }
}

/// The policy parser and evaluator: the input up to a NUL is a policy document (its first byte
/// chooses identity, resource or endpoint policy); after it, one request per line group:
/// `ACTION`, `RESOURCE`, `CALLER ARN` (empty: anonymous), then `KEY=V1,V2` lines. The policy is
/// evaluated on its own and combined as each kind of policy, for fixed requests and the given one;
/// the decision must not depend on whether it is explained.
pub fn policy(data: &[u8]) {
    let (text, request) = text_and_rest(data);
    let kind = match data.first().map(|b| b % 3) {
        Some(0) => PolicyKind::Identity,
        Some(1) => PolicyKind::Resource,
        _ => PolicyKind::Endpoint,
    };
    let mut sources = SourceMap::new();
    let id = sources.add("p.json", text);
    let file = sources.get(id).expect("added").clone();
    let diags = vpcsim_syntax::Diagnostics::new();
    let parsed = vpcsim_policy::read(id, &file, kind, &diags);
    let diagnostics = diags.into_sorted();
    render_all(&diagnostics, &sources);
    let Some(policy) = parsed else {
        assert!(
            diagnostics
                .iter()
                .any(|d| d.severity == vpcsim_syntax::Severity::Error),
            "no policy without an error"
        );
        return;
    };
    let mut requests: Vec<Spec> = vec![
        (
            "s3:GetObject".into(),
            "arn:aws:s3:::DOC-EXAMPLE-BUCKET1/report.csv".into(),
            Some(caller("arn:aws:iam::111122223333:role/app")),
            vec![
                ("aws:SourceVpce".into(), vec!["vpce-1a2b3c4d".into()]),
                ("aws:SourceIp".into(), vec!["203.0.113.9".into()]),
                (
                    "aws:CurrentTime".into(),
                    vec!["2024-05-01T12:00:00Z".into()],
                ),
                ("s3:max-keys".into(), vec!["10".into()]),
                ("aws:SecureTransport".into(), vec!["true".into()]),
            ],
        ),
        (
            "s3:PutObject".into(),
            "arn:aws:s3:::other/key".into(),
            None,
            vec![("aws:TagKeys".into(), vec!["a".into(), "b".into()])],
        ),
    ];
    if let Some(rest) = request {
        let mut lines = rest.lines();
        let action = lines.next().unwrap_or_default().to_string();
        let resource = lines.next().unwrap_or_default().to_string();
        let who = lines.next().unwrap_or_default();
        let who = (!who.is_empty()).then(|| caller(who));
        let keys = lines
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.split(',').map(str::to_string).collect()))
            .collect();
        requests.push((action, resource, who, keys));
    }
    for (action, resource, who, keys) in &requests {
        let mut ctx = Context::new();
        for (k, v) in keys {
            ctx.set_many(k.clone(), v.iter().cloned());
        }
        let request = Request {
            action,
            resource,
            caller: who.as_ref(),
            context: &ctx,
        };
        let _ = vpcsim_policy::evaluate(&policy, "p", &request);
        // A quiet decision is the explained one without its sentence.
        let (bucket, endpoint): (std::sync::Arc<str>, std::sync::Arc<str>) =
            ("bucket".into(), "endpoint".into());
        let [quiet, explained] = [false, true].map(|explain| {
            vpcsim_policy::authorize(&Authorization {
                request: request.clone(),
                identity: vec![("identity".into(), &policy)].into(),
                resource: vec![(&bucket, &policy, None)].into(),
                resource_account: "111122223333",
                endpoint: Some((&endpoint, Some(&policy))),
                limits: Default::default(),
                explain,
            })
        });
        assert_eq!(quiet.decision, explained.decision);
        assert_eq!(quiet.deciding, explained.deciding);
    }
}

/// A request to evaluate: action, resource, caller, condition keys.
type Spec = (String, String, Option<Caller>, Vec<(String, Vec<String>)>);

fn caller(arn: &str) -> Caller {
    Caller {
        arn: arn.to_string(),
        account: arn.split(':').nth(4).unwrap_or_default().to_string(),
    }
}

/// The request parsers: `vpcsim_topology::request::Request::parse` on the input, and on what it
/// accepts the engine's `S3Host::parse` and `S3Call::new`; `S3Host::parse` on the input itself too.
pub fn request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(req) = vpcsim_engine::Request::parse(&text)
        && let Some(host) = vpcsim_engine::S3Host::parse(req.host())
    {
        let _ = vpcsim_engine::S3Call::new(&host, &req);
    }
    let _ = vpcsim_engine::S3Host::parse(&text);
}

/// The DNS servers' handlers for the views of `topologies/hybrid-s3.yaml`, built once.
fn handlers() -> &'static [vpcsim_server::ViewHandler] {
    static HANDLERS: OnceLock<Vec<vpcsim_server::ViewHandler>> = OnceLock::new();
    HANDLERS.get_or_init(|| {
        let fs = MemFs::default().with(
            "hybrid-s3.yaml",
            include_str!("../topologies/hybrid-s3.yaml"),
        );
        let path = Path::new("hybrid-s3.yaml");
        let loaded = vpcsim_topology::load(path, &fs).expect("readable");
        let topology = loaded.topology.expect("hybrid-s3.yaml is valid");
        let shared = vpcsim_server::Shared::new(path, topology, Default::default());
        [
            "public",
            "shared",
            "shared/inbound",
            "analytics",
            "datacenter",
            "nowhere",
        ]
        .into_iter()
        .map(|view| vpcsim_server::ViewHandler::new(shared.clone(), view))
        .collect()
    })
}

/// The DNS request handler the UDP loop calls with each datagram: the first byte of the input
/// picks the view (one is a view the topology does not have), the rest is the datagram. Each
/// datagram is answered twice with one answer cache (the second answer may come from it), and
/// the two answers must be equal but for rotating record sets.
pub fn dns(data: &[u8]) {
    let Some((&pick, datagram)) = data.split_first() else {
        return;
    };
    let handlers = handlers();
    let handler = &handlers[usize::from(pick) % handlers.len()];
    let src: SocketAddr = "127.0.0.1:5353".parse().expect("address");
    let mut cache = vpcsim_server::dns::AnswerCache::new();
    let mut first = Vec::new();
    let mut second = Vec::new();
    let answered = vpcsim_server::udp::respond(handler, datagram, src, &mut first, &mut cache);
    let again = vpcsim_server::udp::respond(handler, datagram, src, &mut second, &mut cache);
    assert_eq!(answered, again, "one datagram answered once only");
    if answered {
        assert!(
            first.len() >= 12 && second.len() >= 12,
            "an answer has a header"
        );
        assert_eq!(
            first[..2],
            datagram[..2],
            "the answer carries the query's id"
        );
    }
}

//! The HTTP API: JSON in, JSON out; and the web view's page, pictures and events ([`web`]).
//!
//! | route | body | answer |
//! |---|---|---|
//! | `GET /health` | | `{status, generation, topology, views, reload_error}` |
//! | `GET /topology` | | the scenario, VPCs, endpoints and views with their listeners; every element and connection a picture draws, by id; senders, sources, principals, scenarios |
//! | `GET`/`POST /diagram` | query or `{from, request, fail, principal, format}` | the picture (`vpcsim diagram`): SVG, DOT or Mermaid |
//! | `GET /events` | | server-sent events: `change` when the served topology changes or a reload fails |
//! | `GET /` | | the web view (and `/ui/app.js`, `/ui/app.css`) |
//! | `POST /resolve` | `{from, name, type, fail}` | a resolution, as `vpcsim resolve --format json` |
//! | `POST /trace` | `{from, request, fail, principal, tls}` | a trace, as `vpcsim trace --format json` |
//! | `POST /check` | nothing or `{}` | every expectation's result, as `vpcsim check --format json` |
//!
//! Errors are `{error, hint}` with 400 (bad JSON, a field missing or unknown, a name the topology
//! does not have), 403 (a `Host` the API does not answer, see [`Hosts`]), 404 (no such route), 405
//! (wrong method, with `Allow`), 408 (a body that did not come in time), 413 (body over
//! [`MAX_BODY`]), 415 (a body that is not `application/json`) or 503 (the connection limit is
//! reached).
//!
//! What a client can hold is bounded ([`Limits`]): a request head must come within the header
//! timeout (also between requests on a kept-alive connection), its body within the body timeout,
//! and a response must be taken within the send timeout; the listener keeps a limited number of
//! connections open at once and answers 503 to the ones beyond.

use std::convert::Infallible;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HOST, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value, json};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Sleep;
use tracing::{debug, warn};
use vpcsim_dns::{RecordType, Rotation};
use vpcsim_engine::Options;
use vpcsim_syntax::suggest;
use vpcsim_topology::Topology;
use vpcsim_topology::model::LinkId;

use crate::accept::{Accepted, Acceptor, Gate};
use crate::web::{self, Body};
use crate::{Limits, Listener, Shared};
use vpcsim_report::json as shapes;

/// The largest request body accepted (64 KiB).
pub const MAX_BODY: usize = 64 * 1024;

/// An error answer: status, message and what to do.
#[derive(Debug)]
pub struct ApiError {
    /// The status code.
    pub status: StatusCode,
    /// What is wrong.
    pub error: String,
    /// What to do about it.
    pub hint: String,
}

impl ApiError {
    fn new(status: StatusCode, error: impl Into<String>, hint: impl Into<String>) -> Self {
        ApiError {
            status,
            error: error.into(),
            hint: hint.into(),
        }
    }

    fn bad(error: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error, hint)
    }
}

/// The API's state: the served topology and the DNS listeners (for `/topology`). Nothing is
/// shared between requests beyond the snapshot: each resolution and trace starts from a fresh DNS
/// rotation, exactly as `vpcsim resolve` and `vpcsim trace` do, so concurrent requests take no
/// lock and the API answers what the command line answers.
#[derive(Debug)]
pub struct Api {
    shared: Shared,
    listeners: Vec<Listener>,
    body_timeout: Duration,
    hosts: Hosts,
}

type Answer = Result<Value, ApiError>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// What a route answers.
enum Reply {
    /// JSON (the API).
    Json(Value),
    /// A page, script, style sheet or picture with its content type.
    Raw(&'static str, Bytes),
    /// The web view's server-sent events.
    Events,
}

const ROUTES: &str = "GET / (the web view), GET /health, GET /topology, GET /requests, GET /events, \
     GET|POST /diagram, POST /resolve, POST /trace, POST /check";

/// The routes that only take GET.
const GET_ROUTES: [&str; 4] = ["/health", "/topology", "/requests", "/events"];

impl Api {
    /// An API over `shared`, listing `listeners` in `/topology`, within `limits`, answering
    /// requests addressed to `hosts`.
    pub fn new(shared: Shared, listeners: Vec<Listener>, limits: &Limits, hosts: Hosts) -> Self {
        Api {
            shared,
            listeners,
            body_timeout: limits.http_body_timeout,
            hosts,
        }
    }

    /// Answers one request. `stopped` ends the web view's event streams when the server stops.
    pub async fn handle(
        self: Arc<Self>,
        req: Request<Incoming>,
        stopped: watch::Receiver<bool>,
    ) -> Response<Body> {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let result = self.route(req).await;
        let (status, reply) = match result {
            Ok(r) => (StatusCode::OK, r),
            Err(e) => (
                e.status,
                Reply::Json(json!({"error": e.error, "hint": e.hint})),
            ),
        };
        debug!(%method, %path, status = status.as_u16(), "http request");
        let mut resp = match reply {
            Reply::Json(body) => {
                let text = serde_json::to_string_pretty(&body).unwrap_or_default() + "\n";
                let mut r = Response::new(full(text));
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                r
            }
            Reply::Raw(content_type, body) => {
                let mut r = Response::new(full(body));
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
                r
            }
            Reply::Events => web::events(self.shared.changes(), stopped),
        };
        *resp.status_mut() = status;
        if status == StatusCode::REQUEST_TIMEOUT {
            // The rest of the body may still come: the connection cannot serve another request.
            resp.headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            let allow = if GET_ROUTES.contains(&path.as_str()) || web::asset(&path).is_some() {
                "GET, HEAD"
            } else if path == "/diagram" {
                "GET, HEAD, POST"
            } else {
                "POST"
            };
            resp.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
        }
        resp
    }

    async fn route(self: &Arc<Self>, req: Request<Incoming>) -> Result<Reply, ApiError> {
        self.hosts.check(&req)?;
        let path = req.uri().path();
        let get = matches!(*req.method(), Method::GET | Method::HEAD);
        let post = *req.method() == Method::POST;
        let wrong = |allowed: &str| {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} {path} is not supported", req.method()),
                format!("use {allowed} {path}"),
            )
        };
        enum Route {
            Health,
            Topology,
            Requests,
            Resolve,
            Trace,
            Check,
            Diagram,
        }
        let route = match path {
            "/health" if get => Route::Health,
            "/topology" if get => Route::Topology,
            "/requests" if get => Route::Requests,
            "/resolve" if post => Route::Resolve,
            "/trace" if post => Route::Trace,
            "/check" if post => Route::Check,
            "/diagram" if post => Route::Diagram,
            "/diagram" if get => {
                let q = web::query(req.uri().query().unwrap_or_default());
                let (ctype, body) = self.diagram(&q.to_body())?;
                return Ok(Reply::Raw(ctype, body));
            }
            "/events" if get => return Ok(Reply::Events),
            "/resolve" | "/trace" | "/check" => return Err(wrong("POST")),
            _ if get => {
                if let Some((ctype, body)) = web::asset(path) {
                    return Ok(Reply::Raw(ctype, body.into()));
                }
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no route {path}"),
                    format!("routes: {ROUTES}"),
                ));
            }
            p if GET_ROUTES.contains(&p) || web::asset(p).is_some() => return Err(wrong("GET")),
            "/diagram" => return Err(wrong("GET or POST")),
            _ => {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    format!("no route {path}"),
                    format!("routes: {ROUTES}"),
                ));
            }
        };
        match route {
            Route::Health => Ok(Reply::Json(self.health())),
            Route::Topology => Ok(Reply::Json(self.topology())),
            Route::Requests => {
                // `?last=N` (default 100): the last N requests the emulation front served.
                let n = req
                    .uri()
                    .query()
                    .and_then(|q| vpcsim_topology::request::query_param(q, "last"))
                    .and_then(|n| n.parse::<usize>().ok())
                    .unwrap_or(100);
                Ok(Reply::Json(
                    json!({ "requests": self.shared.requests().last(n) }),
                ))
            }
            Route::Resolve | Route::Trace | Route::Check | Route::Diagram => {
                let body = read_json(req, self.body_timeout).await?;
                let api = self.clone();
                let work = tokio::task::spawn_blocking(move || match route {
                    Route::Resolve => api.resolve(&body).map(Reply::Json),
                    Route::Trace => api.trace(&body).map(Reply::Json),
                    Route::Diagram => api
                        .diagram(&body)
                        .map(|(ctype, body)| Reply::Raw(ctype, body)),
                    _ => api.check(&body).map(Reply::Json),
                });
                match work.await {
                    Ok(answer) => answer,
                    Err(error) => {
                        warn!(%error, "request handler failed");
                        Err(ApiError::new(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "internal error while answering this request",
                            "this is a vpcsim bug: please report it with the request",
                        ))
                    }
                }
            }
        }
    }

    fn health(&self) -> Value {
        let snap = self.shared.current();
        json!({
            "status": "ok",
            "topology": self.shared.path().display().to_string(),
            "name": snap.topology().name,
            "generation": snap.generation,
            "views": self.listeners.len(),
            "reload_error": self.shared.last_error().map(|e| json!({
                "error": e.message,
                "diagnostics": e.diagnostics,
            })),
        })
    }

    fn topology(&self) -> Value {
        let snap = self.shared.current();
        let views: Vec<shapes::ServedView<'_>> = self
            .listeners
            .iter()
            .map(|l| shapes::ServedView {
                name: &l.view,
                description: &l.description,
                dns: l.addr.to_string(),
            })
            .collect();
        let topo = snap.topology();
        let mut v = shapes::topology(topo, &views);
        v["file"] = json!(self.shared.path().display().to_string());
        v["generation"] = json!(snap.generation);
        // Everything a picture needs, under the ids trace hops name.
        let diagram = vpcsim_diagram::Diagram::new(topo, &snap.engine().network(&[]).links).json();
        v["elements"] = diagram["elements"].clone();
        v["connections"] = diagram["connections"].clone();
        v["senders"] = json!(topo.sender_names());
        v["sources"] = json!(topo.source_names());
        v["principals"] = json!(
            topo.principals
                .iter()
                .map(|p| p.name.clone())
                .collect::<Vec<_>>()
        );
        v["scenarios"] = json!(
            topo.scenarios
                .iter()
                .map(|sc| json!({
                    "name": sc.name,
                    "description": sc.description,
                    "fail": sc.fail.iter().map(|(l, t)| {
                        let link = &topo.links[l.index()];
                        match t {
                            Some(t) => format!("{}/{}", link.name, link.tunnels[*t]),
                            None => link.name.clone(),
                        }
                    }).collect::<Vec<_>>(),
                }))
                .collect::<Vec<_>>()
        );
        v
    }

    fn resolve(&self, body: &Value) -> Answer {
        let f = fields(body, &["from", "name", "type", "fail"], &["from", "name"])?;
        let from = string(f, "from")?.unwrap_or_default();
        let name = string(f, "name")?.unwrap_or_default();
        let rtype = string(f, "type")?.unwrap_or("A");
        let Some(qtype) = RecordType::parse(rtype) else {
            let all: Vec<&str> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
            return Err(ApiError::bad(
                format!("'{rtype}' is not a record type vpcsim answers"),
                format!("use one of: {}", all.join(", ")),
            ));
        };
        let snap = self.shared.current();
        let topo = snap.topology();
        let Some(source) = topo.find_source(from) else {
            let names = topo.source_names();
            return Err(ApiError::bad(
                format!("no source or view named '{from}'"),
                suggest::hint(from, "source", names.iter().map(String::as_str)),
            ));
        };
        let view = vpcsim_dns::view_of(topo, source);
        let down = failures(topo, &fail_list(f)?)?;
        // Forwarded queries travel the same paths as in `vpcsim resolve` and the DNS server.
        let engine = snap.engine();
        let net = engine.network(&down);
        let res = engine.resolve(&net, view, name, qtype, &mut Rotation::new());
        Ok(shapes::resolution(
            snap.dns(),
            view,
            from,
            name,
            qtype,
            &res,
        ))
    }

    fn trace(&self, body: &Value) -> Answer {
        let f = fields(
            body,
            &["from", "request", "fail", "principal", "tls", "headers"],
            &["from", "request"],
        )?;
        let headers = header_map(f)?;
        let from = string(f, "from")?.unwrap_or_default();
        let request = string(f, "request")?.unwrap_or_default();
        let fail = fail_list(f)?;
        let principal = string(f, "principal")?;
        let tls = match string(f, "tls")? {
            None => None,
            Some(v) => Some(vpcsim_engine::TlsVersion::parse(v).ok_or_else(|| {
                ApiError::bad(
                    format!("'{v}' is not a TLS version S3 negotiates"),
                    "give \"1.2\" or \"1.3\" (S3 refuses 1.0 and 1.1)",
                )
            })?),
        };
        let snap = self.shared.current();
        let topo = snap.topology();
        let source = topo
            .find_sender(from)
            .map_err(|e| ApiError::bad(e.message, e.hint))?;
        let down = failures(topo, &fail)?;
        let opts = Options {
            tls,
            headers,
            ..options(topo, principal)?
        };
        // The snapshot keeps the engine and its compiled forwarding graph; the failed links are
        // only this request's link state (nothing is compiled per request).
        let engine = snap.engine();
        let net = engine.network(&down);
        let result = engine.trace(&net, source, from, request, &opts, &mut Rotation::new());
        match result {
            Ok(mut t) => {
                engine.render(&mut t);
                Ok(shapes::trace(snap.topology(), &t))
            }
            Err(e) => Err(ApiError::bad(
                e.to_string(),
                "write `METHOD URL` (GET https://bucket.s3.us-east-1.amazonaws.com/key), a URL, or HOST:PORT",
            )),
        }
    }

    /// A picture of the topology, with a traced path when `from` and `request` are given:
    /// `{from, request, fail, principal, format}` (format `svg`, the default, `dot` or
    /// `mermaid`).
    fn diagram(&self, body: &Value) -> Result<(&'static str, Bytes), ApiError> {
        let f = fields(
            body,
            &["from", "request", "fail", "principal", "format"],
            &[],
        )?;
        let (format, ctype) = match string(f, "format")?.unwrap_or("svg") {
            "svg" => (vpcsim_diagram::Format::Svg, "image/svg+xml"),
            "dot" => (
                vpcsim_diagram::Format::Dot,
                "text/vnd.graphviz; charset=utf-8",
            ),
            "mermaid" => (vpcsim_diagram::Format::Mermaid, "text/plain; charset=utf-8"),
            other => {
                return Err(ApiError::bad(
                    format!("'{other}' is not a diagram format"),
                    "use svg, dot or mermaid",
                ));
            }
        };
        let from = string(f, "from")?;
        let request = string(f, "request")?;
        let snap = self.shared.current();
        let topo = snap.topology();
        let down = failures(topo, &fail_list(f)?)?;
        let engine = snap.engine();
        let net = engine.network(&down);
        let mut diagram = vpcsim_diagram::Diagram::new(topo, &net.links);
        match (from, request) {
            (Some(from), Some(request)) => {
                let source = topo
                    .find_sender(from)
                    .map_err(|e| ApiError::bad(e.message, e.hint))?;
                let opts = options(topo, string(f, "principal")?)?;
                let mut t = engine
                    .trace(&net, source, from, request, &opts, &mut Rotation::new())
                    .map_err(|e| {
                        ApiError::bad(
                            e.to_string(),
                            "write `METHOD URL` (GET https://bucket.s3.us-east-1.amazonaws.com/key), a URL, or HOST:PORT",
                        )
                    })?;
                engine.render(&mut t);
                diagram = diagram.with_trace(topo, &t);
            }
            (None, None) => {}
            _ => {
                return Err(ApiError::bad(
                    "from and request go together",
                    "give both to draw a path, or neither",
                ));
            }
        }
        Ok((ctype, Bytes::from(diagram.render(format))))
    }

    fn check(&self, body: &Value) -> Answer {
        if !body.is_null() {
            fields(body, &[], &[])?;
        }
        let snap = self.shared.current();
        let result = vpcsim_engine::check_with(snap.engine(), snap.base_network());
        let results = shapes::check_results(&result.results);
        Ok(json!({
            "file": self.shared.path().display().to_string(),
            "generation": snap.generation,
            "results": results,
            "passed": result.results.len() - result.failed(),
            "failed": result.failed(),
        }))
    }
}

/// The hosts the API answers for, by the request's `Host` (and the authority of an absolute
/// URI): loopback names and addresses (`localhost`, `127.0.0.1` and the rest of 127/8, `[::1]`),
/// the address it listens on, and the names given (`--allow-host`), with any port. A web page
/// that reaches the API by DNS rebinding (its own name now resolving to 127.0.0.1) sends its own
/// name, and gets 403. A request without `Host` (HTTP/1.0) cannot come from a browser, and is
/// answered.
#[derive(Clone, Debug, Default)]
pub struct Hosts {
    listen: Option<IpAddr>,
    names: Vec<String>,
}

/// The most of a refused `Host` an error quotes.
const HOST_QUOTE: usize = 64;

impl Hosts {
    /// Loopback, `listen` (unless it is unspecified: `0.0.0.0` is no name a client uses), and
    /// `names` (each a host name or an address, as [`allowed_host`] takes it).
    pub fn new(listen: IpAddr, names: &[String]) -> Self {
        Hosts {
            listen: (!listen.is_unspecified()).then_some(listen),
            names: names.iter().filter_map(|n| allowed_host(n).ok()).collect(),
        }
    }

    /// True when `value`, a `Host` header (`name`, `name:port`, `[v6]:port`), names this API.
    pub fn allows(&self, value: &str) -> bool {
        let Some(name) = host_of(value) else {
            return false;
        };
        let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
        if name == "localhost" {
            return true;
        }
        if let Ok(ip) = name.parse::<IpAddr>()
            && (ip.is_loopback() || Some(ip) == self.listen)
        {
            return true;
        }
        self.names.contains(&name)
    }

    /// 403 unless the request is addressed to an allowed host; 400 for several `Host` headers.
    fn check(&self, req: &Request<Incoming>) -> Result<(), ApiError> {
        let mut hosts = req.headers().get_all(HOST).iter();
        let header = hosts.next();
        if hosts.next().is_some() {
            return Err(ApiError::bad(
                "the request has several Host headers",
                "send one Host header",
            ));
        }
        let authority = req.uri().authority().map(|a| {
            let a = a.as_str();
            // Without user information (`user@host`).
            a.rsplit_once('@').map_or(a, |(_, host)| host)
        });
        let header = header.map(|h| h.to_str().unwrap_or("\u{fffd}"));
        for host in [authority, header].into_iter().flatten() {
            if !self.allows(host) {
                let quoted: String = host.chars().take(HOST_QUOTE).collect();
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    format!("the API does not answer requests for host '{quoted}'"),
                    format!(
                        "call it as localhost, 127.0.0.1 or [::1]; to use another name, start \
                         vpcsim serve with --allow-host {}. This keeps web pages from reaching \
                         the API through DNS rebinding",
                        host_of(host)
                            .filter(|h| allowed_host(h).is_ok())
                            .unwrap_or("NAME")
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The host of a `Host` value without its port: `name`, `1.2.3.4` or `::1` (brackets removed);
/// `None` when it is malformed (a port that is not a number, an unclosed bracket, an empty name).
fn host_of(value: &str) -> Option<&str> {
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
    let host = if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        match after.strip_prefix(':') {
            None if after.is_empty() => {}
            Some(port) if port_ok(port) => {}
            _ => return None,
        }
        inside.parse::<std::net::Ipv6Addr>().ok()?;
        inside
    } else {
        match value.split_once(':') {
            None => value,
            Some((host, port)) if port_ok(port) => host,
            Some(_) => return None,
        }
    };
    (!host.is_empty()).then_some(host)
}

/// A name `--allow-host` takes, as the API compares it (lowercase, without a final dot or IPv6
/// brackets): a DNS name (letters, digits, `-`, `_`, dots) or an IP address. No port: every port
/// is allowed.
pub fn allowed_host(name: &str) -> Result<String, String> {
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(name);
    if bare.parse::<IpAddr>().is_ok() {
        return Ok(bare.to_ascii_lowercase());
    }
    let trimmed = bare.strip_suffix('.').unwrap_or(bare);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    if trimmed.contains(':') {
        return Err(format!(
            "'{name}' has a port: give the name alone (every port is allowed)"
        ));
    }
    if trimmed.is_empty() || trimmed.len() > 253 || !trimmed.split('.').all(label_ok) {
        return Err(format!(
            "'{name}' is not a host name (letters, digits, '-', '_' and dots) or an IP address"
        ));
    }
    Ok(trimmed.to_ascii_lowercase())
}

/// The body's object, checking that it names only `allowed` fields and has every `required` one.
fn fields<'v>(
    body: &'v Value,
    allowed: &[&str],
    required: &[&str],
) -> Result<&'v Map<String, Value>, ApiError> {
    let example = if allowed.is_empty() {
        "{}".to_string()
    } else {
        format!(
            "{{{}}}",
            allowed
                .iter()
                .map(|a| format!("\"{a}\": …"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let Some(obj) = body.as_object() else {
        return Err(ApiError::bad(
            "the body must be a JSON object",
            format!("send {example}"),
        ));
    };
    for k in obj.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad(
                format!("unknown field '{k}'"),
                if allowed.is_empty() {
                    "this route takes no fields: send {} or no body".to_string()
                } else {
                    suggest::hint(k, "field", allowed.iter().copied())
                },
            ));
        }
    }
    for r in required {
        if !obj.contains_key(*r) {
            return Err(ApiError::bad(
                format!("missing field '{r}'"),
                format!("send {example}"),
            ));
        }
    }
    Ok(obj)
}

/// A string field (`None` when absent or null).
fn string<'v>(obj: &'v Map<String, Value>, key: &str) -> Result<Option<&'v str>, ApiError> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::bad(
            format!("'{key}' must be a string"),
            format!("write \"{key}\": \"…\""),
        )),
    }
}

/// `LINK` or `LINK/TUNNEL` names to failed links.
/// The optional `fail` field: a list of link (or `LINK/TUNNEL`) names.
fn fail_list(f: &Map<String, Value>) -> Result<Vec<&str>, ApiError> {
    let bad = || {
        ApiError::bad(
            "'fail' must be a list of link names",
            r#"write "fail": ["dx-primary"] or ["vpn-backup/tunnel1"]"#,
        )
    };
    match f.get("fail") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|i| i.as_str().ok_or_else(bad)).collect(),
        Some(_) => Err(bad()),
    }
}

/// The optional `headers` field: an object of header name → value, as `vpcsim trace --header`
/// takes them (names without case).
fn header_map(f: &Map<String, Value>) -> Result<Vec<(String, String)>, ApiError> {
    let bad = || {
        ApiError::bad(
            "'headers' must be an object of header names to string values",
            r#"write "headers": {"x-amz-server-side-encryption": "AES256"}"#,
        )
    };
    match f.get("headers") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(h)) => {
            if h.len() > vpcsim_topology::request::MAX_HEADERS {
                return Err(ApiError::bad(
                    format!(
                        "{} headers: a request carries at most {}",
                        h.len(),
                        vpcsim_topology::request::MAX_HEADERS
                    ),
                    "send fewer headers",
                ));
            }
            h.iter()
                .map(|(name, value)| {
                    let value = value.as_str().ok_or_else(bad)?;
                    vpcsim_topology::request::header(name, value)
                        .map_err(|why| ApiError::bad(why, r#"write "headers": {"NAME": "VALUE"}"#))
                })
                .collect()
        }
        Some(_) => Err(bad()),
    }
}

fn failures(topo: &Topology, fail: &[&str]) -> Result<Vec<(LinkId, Option<usize>)>, ApiError> {
    fail.iter()
        .map(|f| {
            topo.find_failure(f)
                .map_err(|e| ApiError::bad(e.message, e.hint))
        })
        .collect()
}

/// The principal option: a key of `principals`, `anonymous`, or the source's own.
fn options(topo: &Topology, principal: Option<&str>) -> Result<Options, ApiError> {
    match principal.map(|p| topo.find_principal(p)) {
        None => Ok(Options::default()),
        Some(Ok(p)) => Ok(Options {
            principal: Some(p),
            ..Options::default()
        }),
        Some(Err(e)) => Err(ApiError::bad(e.message, e.hint)),
    }
}

/// Reads a JSON body: `null` when empty; 415 for another content type, 413 over [`MAX_BODY`],
/// 408 when it does not come within `timeout`, 400 for bad JSON.
async fn read_json(req: Request<Incoming>, timeout: Duration) -> Result<Value, ApiError> {
    if let Some(ct) = req.headers().get(CONTENT_TYPE) {
        let mime = ct
            .to_str()
            .unwrap_or("")
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if mime != "application/json" {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "the body must be application/json, not '{}'",
                    ct.to_str().unwrap_or("?")
                ),
                "with curl, use --json '{…}' or -H 'content-type: application/json'",
            ));
        }
    }
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {} KiB", MAX_BODY / 1024),
            "send a smaller request",
        )
    };
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(too_large());
    }
    let body = Limited::new(req.into_body(), MAX_BODY).collect();
    let Ok(collected) = tokio::time::timeout(timeout, body).await else {
        return Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("the body did not come within {} s", timeout.as_secs_f64()),
            "send the whole body (as many bytes as Content-Length says) with the request",
        ));
    };
    let bytes = match collected {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return Err(too_large()),
        Err(e) => {
            return Err(ApiError::bad(
                format!("could not read the body: {e}"),
                "send the whole body",
            ));
        }
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Null);
    }
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad(
            format!("the body is not valid JSON: {e}"),
            r#"send an object, e.g. {"from": "datacenter/build-server", "request": "GET https://…"}"#,
        )
    })
}

/// The answer to a connection over the limit, written without waiting before it is closed.
static OVER_LIMIT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let body = serde_json::to_string_pretty(&json!({
        "error": "too many connections to the API are open",
        "hint": "close idle connections, or try again when others have ended",
    }))
    .unwrap_or_default()
        + "\n";
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         connection: close\r\nretry-after: 1\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
});

/// Accepts connections within `gate` until `stopped`, then lets each connection finish its
/// request; each has the header and send timeouts of `limits`.
pub async fn serve(
    listener: TcpListener,
    api: Arc<Api>,
    gate: Gate,
    limits: Limits,
    mut stopped: watch::Receiver<bool>,
) {
    let mut acceptor = Acceptor::new(listener, gate, "the HTTP API");
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = acceptor.next() => a,
            _ = stopped.wait_for(|s| *s) => break,
        };
        let (stream, peer, pass) = match accepted {
            Accepted::Open(stream, peer, pass) => (stream, peer, pass),
            Accepted::Over(stream, peer) => {
                // A fresh connection's send buffer takes these bytes at once; if not, the client
                // only sees the connection close.
                let _ = stream.try_write(OVER_LIMIT.as_bytes());
                debug!(%peer, "over the HTTP connection limit: 503");
                continue;
            }
        };
        let api = api.clone();
        let mut stopped = stopped.clone();
        let limits = limits.clone();
        conns.spawn(async move {
            let _pass = pass;
            let events_stop = stopped.clone();
            let service = service_fn(move |req| {
                let api = api.clone();
                let stop = events_stop.clone();
                async move { Ok::<_, Infallible>(api.handle(req, stop).await) }
            });
            let io = SendTimeout::new(stream, limits.http_send_timeout);
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.http_header_timeout)
                .serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            let finished = tokio::select! {
                r = conn.as_mut() => Some(r),
                _ = stopped.wait_for(|s| *s) => None,
            };
            let result = match finished {
                Some(r) => r,
                None => {
                    conn.as_mut().graceful_shutdown();
                    conn.await
                }
            };
            if let Err(error) = result {
                debug!(%peer, %error, "HTTP connection ended with an error");
            }
        });
        while conns.try_join_next().is_some() {}
    }
    while conns.join_next().await.is_some() {}
}

/// A connection whose writes fail (`TimedOut`) when the client takes nothing for `limit`: a client
/// that asks and never reads must not hold its place for ever.
struct SendTimeout {
    stream: TcpStream,
    limit: Duration,
    /// Running while a write waits for the client.
    stalled: Pin<Box<Sleep>>,
    waiting: bool,
}

impl SendTimeout {
    fn new(stream: TcpStream, limit: Duration) -> Self {
        SendTimeout {
            stream,
            limit,
            stalled: Box::pin(tokio::time::sleep(limit)),
            waiting: false,
        }
    }

    /// `poll` of a write: done, or waiting within the limit, or timed out.
    fn within<T>(
        &mut self,
        cx: &mut Context<'_>,
        poll: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        match poll {
            Poll::Ready(r) => {
                self.waiting = false;
                Poll::Ready(r)
            }
            Poll::Pending => {
                if !self.waiting {
                    self.waiting = true;
                    let deadline = tokio::time::Instant::now() + self.limit;
                    self.stalled.as_mut().reset(deadline);
                }
                match self.stalled.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the client took nothing of the response in time",
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl AsyncRead for SendTimeout {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for SendTimeout {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.within(cx, poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.within(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_flush(cx);
        self.within(cx, poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.within(cx, poll)
    }
}

//! The proxy: which simulated host is speaking, whether its connection gets through, and the
//! tunnel to the emulated service.
//!
//! A client names its source in the proxy user name (`Proxy-Authorization: Basic` of
//! `SOURCE:anything`; `datacenter%2Fbuild-server` in a proxy URL), else the front's default source
//! applies; an unknown source gets 407 with the sources it could name. For `CONNECT NAME:PORT`
//! (HTTPS) and for absolute-form requests (`GET http://NAME/…`, plain HTTP), the front traces a
//! connection from the source to the name — the name resolved in the source's view, the packet
//! walked there and back — and answers the way the network would:
//!
//! | the trace | the client sees |
//! |---|---|
//! | the name does not resolve | 502 at once (`could not resolve`) |
//! | a route, a security group, a network ACL or a link drops it | nothing for the drop delay, then 504 (a timeout) |
//! | it reaches an address nothing serves (a host, another service, the internet) | 502 at once (refused) |
//! | it reaches S3 (gateway endpoint, interface endpoint, public S3, Outposts) | the tunnel opens: TLS, then S3 |
//!
//! Every failure carries `x-vpcsim-explain` (the trace's verdict, code and reason) and
//! `x-amz-request-id`.

use std::convert::Infallible;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{debug, info};
use vpcsim_engine::{Disposition, Finding, Trace};
use vpcsim_server::accept::{Accepted, Acceptor, Gate};

use crate::Core;
use crate::decide::{Conn, Slot, explain_line, header_text};

type Body = s3s::Body;

/// Accepts proxy connections until `stopped` says so.
pub(crate) async fn run(
    core: Arc<Core>,
    listener: TcpListener,
    mut stopped: watch::Receiver<bool>,
) {
    let gate = Gate::new(core.config.max_connections, None);
    let mut acceptor = Acceptor::new(listener, gate, "the emulation front");
    loop {
        let accepted = tokio::select! {
            a = acceptor.next() => a,
            _ = stopped.changed() => return,
        };
        let (stream, pass) = match accepted {
            Accepted::Open(s, _, pass) => (s, pass),
            Accepted::Over(s, _) => {
                drop(s);
                continue;
            }
        };
        let core = core.clone();
        tokio::spawn(async move {
            let _pass = pass;
            let c = core.clone();
            let svc = service_fn(move |req| {
                let core = c.clone();
                async move { Ok::<_, Infallible>(handle(core, req).await) }
            });
            let r = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(std::time::Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
            if let Err(e) = r {
                debug!(error = %e, "front: proxy connection ended");
            }
        });
    }
}

fn text(status: StatusCode, body: String) -> Response<Body> {
    let mut r = Response::new(Body::from(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The proxy URL that names `source` as the speaking host: `http://datacenter%2Fbuild-server:x@ADDR`
/// (the user name percent-encoded, the password ignored). [`named_source`] reads it back.
pub fn url_for(source: &str, addr: impl std::fmt::Display) -> String {
    let user = percent_encoding::utf8_percent_encode(source, percent_encoding::NON_ALPHANUMERIC);
    format!("http://{user}:x@{addr}")
}

/// The source named in `Proxy-Authorization` (Basic; the user name, percent-decoded).
fn named_source(req: &Request<Incoming>) -> Option<String> {
    let v = req
        .headers()
        .get(hyper::header::PROXY_AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, b64) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let user = raw.split_once(':').map_or(raw.as_str(), |(u, _)| u);
    Some(
        percent_encoding::percent_decode_str(user)
            .decode_utf8_lossy()
            .into_owned(),
    )
}

/// The source of a request, or the 407 that lists the sources.
fn source(core: &Core, req: &Request<Incoming>) -> Result<String, Box<Response<Body>>> {
    let snap = core.shared.current();
    let topo = snap.topology();
    let named = named_source(req).or_else(|| core.config.default_source.clone());
    let problem = match &named {
        Some(n) => match topo.find_sender(n) {
            Ok(_) => return Ok(n.clone()),
            Err(e) => format!("{}. {}", e.message, e.hint),
        },
        None => "the proxy user name names no source, and the front has no --default-source".into(),
    };
    let sources: Vec<String> = topo
        .source_names()
        .into_iter()
        .filter(|n| n.contains('/') && !n.ends_with("/inbound"))
        .collect();
    let mut r = text(
        StatusCode::PROXY_AUTHENTICATION_REQUIRED,
        format!(
            "{problem}\nName the simulated host you speak for as the proxy user name, its '/' written %2F:\n  HTTPS_PROXY=http://datacenter%2Fbuild-server:x@HOST:PORT\nSources: {}\n",
            sources.join(", ")
        ),
    );
    r.headers_mut().insert(
        hyper::header::PROXY_AUTHENTICATE,
        hyper::header::HeaderValue::from_static(
            "Basic realm=\"vpcsim: name the source host as the user\"",
        ),
    );
    Err(Box::new(r))
}

/// What a connection to a name does.
enum Connect {
    /// It reaches S3: open the tunnel.
    Open,
    /// It fails at once, with this status.
    Refused(StatusCode, String),
    /// It is dropped: the client times out.
    Dropped(String),
}

/// Traces a connection from `from` to `host:port`: the network part of a request (the name, the
/// path there and back, what is at the address); policies are decided per request later.
fn connect(core: &Core, from: &str, host: &str, port: u16) -> (Connect, Option<Named>) {
    let snap = core.shared.current();
    let scheme = if port == 80 { "http" } else { "https" };
    let authority = if (scheme == "https" && port == 443) || port == 80 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    let request = format!("GET {scheme}://{authority}/");
    let t = match core.trace(&snap, from, &request, Some(None), None, Vec::new()) {
        Ok(t) => t,
        Err(e) => return (Connect::Refused(StatusCode::BAD_REQUEST, e), None),
    };
    let why = explain_line(&t);
    let c = match t.disposition {
        Disposition::DnsFailure => Connect::Refused(
            StatusCode::BAD_GATEWAY,
            format!("could not resolve {host} from {from}: {why}"),
        ),
        Disposition::NoRoute
        | Disposition::NoReturnRoute
        | Disposition::DeniedBySecurityGroup
        | Disposition::DeniedByNetworkAcl
        | Disposition::LinkDown => Connect::Dropped(why),
        Disposition::ExitsToInternet => Connect::Refused(
            StatusCode::BAD_GATEWAY,
            format!("{host} is outside the topology (vpcsim emulates S3 only): {why}"),
        ),
        Disposition::Unsupported => Connect::Refused(StatusCode::BAD_GATEWAY, why),
        Disposition::Delivered => match &t.finding {
            Some(
                Finding::Delivered { .. }
                | Finding::DeliveredOnPremises
                | Finding::OtherService { .. }
                | Finding::Internet { .. }
                | Finding::WrongService { .. }
                | Finding::NameOfOtherService { .. }
                | Finding::NotS3Endpoint { .. },
            ) => Connect::Refused(
                StatusCode::BAD_GATEWAY,
                format!("connection refused: nothing vpcsim emulates listens there ({why})"),
            ),
            _ => Connect::Open,
        },
    };
    let ids = vpcsim_report::json::element_ids(snap.topology(), &t);
    (c, Some((t, ids)))
}

/// A trace with its hops' element ids (named in the topology it was traced on).
type Named = (Trace, Vec<Option<String>>);

fn failure(status: StatusCode, why: &str, id: &str) -> Response<Body> {
    let mut r = text(status, format!("{why}\n"));
    let h = r.headers_mut();
    if let Ok(v) = header_text(why).parse() {
        h.insert("x-vpcsim-explain", v);
    }
    if let Ok(v) = id.parse() {
        h.insert("x-amz-request-id", v);
    }
    // The connection the client asked for is not there: close this one too.
    h.insert(
        hyper::header::CONNECTION,
        hyper::header::HeaderValue::from_static("close"),
    );
    r
}

/// Splits `host:port` (IPv6 in brackets).
fn host_port(authority: &str, default: u16) -> (String, u16) {
    if let Some(rest) = authority.strip_prefix('[')
        && let Some((h, p)) = rest.split_once(']')
    {
        return (
            h.to_string(),
            p.strip_prefix(':')
                .and_then(|p| p.parse().ok())
                .unwrap_or(default),
        );
    }
    match authority.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => {
            (h.to_string(), p.parse().unwrap_or(default))
        }
        _ => (authority.to_string(), default),
    }
}

async fn handle(core: Arc<Core>, req: Request<Incoming>) -> Response<Body> {
    let from = match source(&core, &req) {
        Ok(f) => f,
        Err(r) => return *r,
    };
    let id = core.request_id();
    let connect_form = req.method() == Method::CONNECT;
    let uri = req.uri().clone();
    // CONNECT HOST:PORT (HTTPS), or an absolute-form request (plain HTTP through the proxy).
    let (authority, default_port) = match (connect_form, uri.scheme_str(), uri.authority()) {
        (true, _, Some(a)) => (a.to_string(), 443),
        (false, Some("http"), Some(a)) => (a.to_string(), 80),
        (true, _, None) => {
            return text(StatusCode::BAD_REQUEST, "CONNECT needs HOST:PORT\n".into());
        }
        _ => {
            return text(
                StatusCode::BAD_REQUEST,
                "This is vpcsim's emulation front, an HTTP proxy: send requests through it \
                 (HTTPS_PROXY=http://SOURCE:x@this-address, SOURCE with '/' written %2F), not to it.\n"
                    .into(),
            );
        }
    };
    let (host, port) = host_port(&authority, default_port);
    let (decision, trace) = connect(&core, &from, &host, port);
    let target = if connect_form {
        authority
    } else {
        uri.to_string()
    };
    log_connect(
        &core,
        &id,
        &from,
        req.method().as_str(),
        &target,
        &decision,
        trace,
    );
    match decision {
        Connect::Open if connect_form => {
            let core = core.clone();
            tokio::spawn(async move {
                match hyper::upgrade::on(req).await {
                    Ok(up) => tunnel(core, up, from, host, port).await,
                    Err(e) => debug!(error = %e, "front: the CONNECT was not upgraded"),
                }
            });
            Response::new(Body::empty())
        }
        Connect::Open => {
            let conn = Conn {
                from,
                scheme: "http",
                tls: None,
                request_id: id,
            };
            serve(core, conn, req).await
        }
        Connect::Refused(status, why) => failure(status, &why, &id),
        Connect::Dropped(why) => {
            tokio::time::sleep(core.config.drop_delay).await;
            failure(
                StatusCode::GATEWAY_TIMEOUT,
                &format!("connection timed out: {why}"),
                &id,
            )
        }
    }
}

fn log_connect(
    core: &Core,
    id: &str,
    from: &str,
    method: &str,
    target: &str,
    decision: &Connect,
    trace: Option<Named>,
) {
    let (outcome, why) = match decision {
        Connect::Open => ("open", String::new()),
        Connect::Refused(s, w) => (
            if s.as_u16() == 502 {
                "refused"
            } else {
                "bad-request"
            },
            w.clone(),
        ),
        Connect::Dropped(w) => ("dropped", w.clone()),
    };
    if outcome == "open" {
        debug!(%from, %target, "front: {method} open");
    } else {
        info!(%from, %target, %why, "front: {method} {outcome}");
    }
    let (id, from, method, target, trace) = (
        id.to_string(),
        from.to_string(),
        method.to_string(),
        target.to_string(),
        trace,
    );
    core.shared.requests().push(Arc::new(move || {
        serde_json::json!({
            "id": id,
            "from": from,
            "method": method,
            "target": target,
            "connection": outcome,
            "explain": why,
            "trace": trace.as_ref().map(|(t, ids)| vpcsim_report::json::trace_named(t, ids)),
        })
    }));
}

/// The tunnel of a CONNECT: TLS (unless the port is 80), then HTTP/1.1 to the S3 service.
async fn tunnel(
    core: Arc<Core>,
    up: hyper::upgrade::Upgraded,
    from: String,
    host: String,
    port: u16,
) {
    let io = TokioIo::new(up);
    if port == 80 {
        serve_connection(core, TokioIo::new(io), from, "http", None).await;
        return;
    }
    let acceptor = tokio_rustls::LazyConfigAcceptor::new(rustls::server::Acceptor::default(), io);
    let start = match acceptor.await {
        Ok(s) => s,
        Err(e) => {
            debug!(error = %e, %host, "front: not a TLS client hello");
            return;
        }
    };
    let name = start
        .client_hello()
        .server_name()
        .map_or_else(|| host.clone(), str::to_string);
    let config = match core.tls.for_name(&name) {
        Ok(c) => c,
        Err(e) => {
            info!(error = %e, %name, "front: no certificate");
            return;
        }
    };
    let tls = match start.into_stream(config).await {
        Ok(t) => t,
        Err(e) => {
            info!(error = %e, %name, %from, "front: TLS handshake refused");
            return;
        }
    };
    let version = crate::tls::version_of(tls.get_ref().1.protocol_version());
    serve_connection(core, TokioIo::new(tls), from, "https", version).await;
}

async fn serve_connection<I>(
    core: Arc<Core>,
    io: I,
    from: String,
    scheme: &'static str,
    tls: Option<vpcsim_engine::TlsVersion>,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = service_fn(move |req| {
        let core = core.clone();
        let conn = Conn {
            from: from.clone(),
            scheme,
            tls,
            request_id: core.request_id(),
        };
        async move { Ok::<_, Infallible>(serve(core, conn, req).await) }
    });
    if let Err(e) = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(std::time::Duration::from_secs(60))
        .serve_connection(io, svc)
        .await
    {
        debug!(error = %e, "front: tunnel connection ended");
    }
}

/// One request to the emulated service.
async fn serve(core: Arc<Core>, conn: Conn, mut req: Request<Incoming>) -> Response<Body> {
    // s3s routes on the path: an absolute-form URI becomes origin form.
    if req.uri().scheme().is_some() {
        let pq = req
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        if let Ok(u) = pq.parse() {
            *req.uri_mut() = u;
        }
    }
    let (method, host, path) = (
        req.method().to_string(),
        req.headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string(),
        req.uri().to_string(),
    );
    // S3 on Outposts is signed as `s3-outposts`, which s3s does not verify: check it here and
    // sign it again as `s3` (the same canonical request), or answer as S3 does.
    if let Some(refused) = outposts_signature(&core, &conn, &mut req) {
        return refused;
    }
    let slot = Slot::default();
    req.extensions_mut().insert(conn.clone());
    req.extensions_mut().insert(slot.clone());
    let mut resp = match core.s3.call(req.map(Body::from)).await {
        Ok(r) => r,
        Err(e) => text(StatusCode::INTERNAL_SERVER_ERROR, format!("{e:?}\n")),
    };
    let decisions = std::mem::take(&mut *slot.0.lock().unwrap_or_else(|e| e.into_inner()));
    let h = resp.headers_mut();
    if let Ok(v) = conn.request_id.parse() {
        h.insert("x-amz-request-id", v);
    }
    // The request's own decision (a copy's source and a multi-object delete's keys follow it).
    if !h.contains_key("x-vpcsim-explain")
        && let Some(d) = decisions.first()
        && let Ok(v) = d.explain.parse()
    {
        h.insert("x-vpcsim-explain", v);
    }
    let status = resp.status().as_u16();
    let last = decisions.first();
    debug!(
        id = %conn.request_id, from = %conn.from, %method, %host, %path, status,
        verdict = last.map_or("", |d| d.verdict.as_str()),
        "front: request"
    );
    let (id, from, scheme, tls) = (conn.request_id, conn.from, conn.scheme, conn.tls);
    core.shared.requests().push(Arc::new(move || {
        serde_json::json!({
            "id": id,
            "from": from,
            "method": method,
            "host": host,
            "path": path,
            "scheme": scheme,
            "tls": tls.map(|v| v.as_str()),
            "status": status,
            "decisions": decisions.iter().map(|d| serde_json::json!({
                "request": d.request,
                "principal": d.principal,
                "headers": d.headers.iter().map(|(n, v)| format!("{n}: {v}")).collect::<Vec<_>>(),
                "verdict": d.verdict.as_str(),
                "code": d.code,
                "explain": d.explain,
                "trace": vpcsim_report::json::trace_named(&d.trace, &d.elements),
            })).collect::<Vec<_>>(),
        })
    }));
    resp
}

/// Verifies an `s3-outposts` SigV4 signature and puts the same request signed as `s3` in its
/// place; the error response when the key is unknown or the signature does not hold.
fn outposts_signature(
    core: &Core,
    conn: &Conn,
    req: &mut Request<Incoming>,
) -> Option<Response<Body>> {
    let value = req
        .headers()
        .get(hyper::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .to_string();
    let auth = crate::sigv4::parse(&value)?;
    if auth.service != "s3-outposts" {
        return None;
    }
    let keys = core.keys();
    let error = |code: s3s::S3ErrorCode, message: &'static str| {
        let mut e = s3s::S3Error::with_message(code, message);
        e.set_request_id(conn.request_id.clone());
        e.to_http_response().ok()
    };
    let Some((_, secret)) = keys.get(auth.access_key) else {
        return error(
            s3s::S3ErrorCode::InvalidAccessKeyId,
            "The AWS Access Key Id you provided does not exist in our records.",
        );
    };
    let resigned = crate::sigv4::resign_as_s3(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query(),
        req.headers(),
        &auth,
        secret,
    );
    match resigned.and_then(|v| hyper::header::HeaderValue::from_str(&v).ok()) {
        Some(v) => {
            req.headers_mut().insert(hyper::header::AUTHORIZATION, v);
            None
        }
        None => error(
            s3s::S3ErrorCode::SignatureDoesNotMatch,
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        ),
    }
}

//! Deciding each request inside a tunnel with the engine, as `vpcsim trace` would.
//!
//! s3s verifies the signature ([`Auth`]: the principals' test keys), then asks [`Access`], which
//! writes the request as `vpcsim trace` takes it (`METHOD SCHEME://HOST/PATH?QUERY`), traces it
//! from the connection's source with the signing principal and the negotiated TLS version, and
//! turns the verdict into S3's answer: on with the operation, or S3's error (`AccessDenied`,
//! `NoSuchBucket`, …) carrying the reason in `x-vpcsim-explain`. [`Hosts`] tells s3s which bucket a
//! virtual-hosted or access point name addresses.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use s3s::access::{S3Access, S3AccessContext};
use s3s::auth::{S3Auth, SecretKey};
use s3s::dto::{CopyObjectInput, CopySource, DeleteObjectsInput};
use s3s::host::{S3Host as S3sHost, VirtualHost};
use s3s::{S3Error, S3ErrorCode, S3Request, S3Result, s3_error};
use vpcsim_engine::{Finding, Options, S3Host, TlsVersion, Trace, Verdict};
use vpcsim_server::{Shared, Snapshot};
use vpcsim_topology::model::PrincipalId;

use crate::Core;

/// The connection a request came over; the proxy puts it in each request's extensions.
#[derive(Clone, Debug)]
pub struct Conn {
    /// The source as the client named it (`datacenter/build-server`).
    pub from: String,
    /// `https` or `http`.
    pub scheme: &'static str,
    /// The TLS version negotiated.
    pub tls: Option<TlsVersion>,
    /// This request's id (`x-amz-request-id`).
    pub request_id: String,
}

/// The decisions taken for one request (a copy also decides its source; a multi-object delete
/// decides each key), for the response's headers and the request log.
#[derive(Clone, Debug, Default)]
pub struct Slot(pub Arc<Mutex<Vec<Decision>>>);

/// One decision.
#[derive(Clone, Debug)]
pub struct Decision {
    /// The request as `vpcsim trace` takes it.
    pub request: String,
    /// The signing principal, by name (`None`: anonymous).
    pub principal: Option<String>,
    /// The request headers the engine read ([`engine_headers`]), as `vpcsim trace --header`
    /// takes them.
    pub headers: Vec<(String, String)>,
    /// The trace (written as JSON when the request log is read).
    pub trace: Trace,
    /// Its hops' element ids, named in the topology it was traced on.
    pub elements: Vec<Option<String>>,
    /// Allowed, denied or unreachable.
    pub verdict: Verdict,
    /// The deciding code.
    pub code: &'static str,
    /// One line: verdict, reason and deciding statements.
    pub explain: String,
}

/// What the operations need to know of the decision.
#[derive(Clone, Debug, Default)]
pub struct Decided {
    /// The caller's account id (ListBuckets lists its buckets).
    pub account: Option<String>,
    /// Keys of a multi-object delete the caller may not delete, with the reason.
    pub denied_keys: HashMap<String, String>,
}

/// A header value from text: printable ASCII only, at most 2,000 bytes.
pub fn header_text(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    if out.len() > 2000 {
        out.truncate(2000);
        out.push_str("...");
    }
    out
}

/// One line for `x-vpcsim-explain`: `denied (policy.denied): REASON; deciding: endpoint X / Sid`.
pub fn explain_line(t: &Trace) -> String {
    let deciding = t.deciding();
    let mut s = format!("{} ({}): {}", t.verdict.as_str(), t.code, t.reason);
    if !deciding.is_empty() {
        s.push_str("; deciding: ");
        s.push_str(&deciding.join(", "));
    }
    header_text(&s)
}

impl Core {
    /// Traces `request` from `from` as `vpcsim trace` does, on the link state the front was
    /// started with.
    pub(crate) fn trace(
        &self,
        snap: &Snapshot,
        from: &str,
        request: &str,
        principal: Option<Option<PrincipalId>>,
        tls: Option<TlsVersion>,
        headers: Vec<(String, String)>,
    ) -> Result<Trace, String> {
        let topo = snap.topology();
        let source = topo.find_sender(from).map_err(|e| e.message)?;
        let down: Vec<_> = self
            .config
            .fail
            .iter()
            .filter_map(|f| topo.find_failure(f).ok())
            .collect();
        let engine = snap.engine();
        let net = engine.network(&down);
        let opts = Options {
            principal,
            tls,
            headers,
        };
        // The front shows each decision (its header, its log): in words.
        let mut t = engine
            .trace(
                &net,
                source,
                from,
                request,
                &opts,
                &mut vpcsim_dns::Rotation::new(),
            )
            .map_err(|e| e.to_string())?;
        engine.render(&mut t);
        Ok(t)
    }

    /// Decides one request and records the decision (with its trace) in `slot`: `Ok(Ok(()))`
    /// when the engine allows it, `Ok(Err(refused))` with the error S3 answers otherwise.
    fn decide(
        &self,
        conn: &Conn,
        slot: Option<&Slot>,
        request: &str,
        headers: Vec<(String, String)>,
        principal: Option<PrincipalId>,
    ) -> S3Result<Result<(), Refused>> {
        let snap = self.shared.current();
        let t = self
            .trace(
                &snap,
                &conn.from,
                request,
                Some(principal),
                conn.tls,
                headers.clone(),
            )
            .map_err(|e| s3_error!(InvalidRequest, "{e}"))?;
        let outcome = match t.verdict {
            Verdict::Allowed => Ok(()),
            verdict => Err(Refused {
                verdict,
                error: refusal(&t, conn),
            }),
        };
        if let Some(slot) = slot {
            let topo = snap.topology();
            let decision = Decision {
                request: request.to_string(),
                principal: principal.map(|p| topo.principals[p.index()].name.clone()),
                headers,
                verdict: t.verdict,
                code: t.code,
                explain: explain_line(&t),
                elements: vpcsim_report::json::element_ids(topo, &t),
                trace: t,
            };
            slot.0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(decision);
        }
        Ok(outcome)
    }

    /// The account id of a signing principal (`None`: anonymous).
    fn account(&self, who: Option<PrincipalId>) -> Option<String> {
        let snap = self.shared.current();
        who.map(|p| snap.engine().caller(p).account.clone())
    }
}

/// A request the engine did not allow: its verdict and the error S3 answers.
struct Refused {
    verdict: Verdict,
    error: S3Error,
}

impl Core {
    /// Decides a request s3s routes outside its S3 operations (S3 Control).
    pub(crate) fn check_route(
        &self,
        req: &S3Request<s3s::Body>,
        who: Option<PrincipalId>,
    ) -> S3Result<()> {
        let (conn, slot) = conn_of(&req.extensions)?;
        let host = host_of(&req.headers, &req.uri);
        let pq = req.uri.path_and_query().map_or("/", |p| p.as_str());
        let request = request_line(req.method.as_str(), conn.scheme, &host, pq);
        self.decide(
            &conn,
            slot.as_ref(),
            &request,
            engine_headers(&req.headers),
            who,
        )?
        .map_err(|r| r.error)
    }
}

/// Of a request's headers, only how it was signed (`authorization`): what a call the request
/// stands for (the read of a copy's source, each key of a DeleteObjects) carries.
fn signing_headers(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    engine_headers(headers)
        .into_iter()
        .filter(|(n, _)| n == "authorization")
        .collect()
}

/// The client's headers the engine reads ([`vpcsim_engine::reads_header`]), as it takes them:
/// those S3 turns into condition keys (`x-amz-server-side-encryption`, `x-amz-acl`…), and of
/// `Authorization`, which s3s has verified, only its scheme (`AWS4-HMAC-SHA256`, or `AWS` for
/// Signature Version 2): how the request is signed, not the signature. A value that is not
/// text, or that HTTP would not carry, is left out.
pub fn engine_headers(headers: &hyper::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(name, _)| vpcsim_engine::reads_header(name.as_str()))
        .filter_map(|(name, value)| {
            let value = value.to_str().ok()?;
            let value = if name == hyper::header::AUTHORIZATION {
                value.split_whitespace().next().unwrap_or("")
            } else {
                value
            };
            vpcsim_topology::request::header(name.as_str(), value).ok()
        })
        .take(vpcsim_topology::request::MAX_HEADERS)
        .collect()
}

/// The S3 error a trace that did not allow the request answers, with its explanation.
fn refusal(t: &Trace, conn: &Conn) -> S3Error {
    let (code, message) = match &t.finding {
        Some(Finding::NoSuchBucket { .. }) => (
            S3ErrorCode::NoSuchBucket,
            "The specified bucket does not exist",
        ),
        Some(Finding::NoSuchAccessPoint { .. }) | Some(Finding::NoOutpostsAccessPoint { .. }) => (
            S3ErrorCode::NoSuchAccessPoint,
            "The specified accesspoint does not exist",
        ),
        Some(Finding::NotBucketOwner { .. }) => (
            S3ErrorCode::MethodNotAllowed,
            "The specified method is not allowed against this resource.",
        ),
        Some(Finding::WrongRegion { .. }) => (
            S3ErrorCode::PermanentRedirect,
            "The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.",
        ),
        _ if t.verdict == Verdict::Denied => (S3ErrorCode::AccessDenied, "Access Denied"),
        Some(Finding::Policy(_)) | Some(Finding::NetworkOrigin { .. }) => {
            (S3ErrorCode::AccessDenied, "Access Denied")
        }
        _ => (
            S3ErrorCode::InvalidRequest,
            "The request cannot be served at the address it reached",
        ),
    };
    let mut e = S3Error::with_message(code, message);
    e.set_request_id(conn.request_id.clone());
    let mut h = hyper::HeaderMap::new();
    if let Ok(v) = explain_line(t).parse() {
        h.insert("x-vpcsim-explain", v);
    }
    e.set_headers(h);
    e
}

fn conn_of(ext: &hyper::http::Extensions) -> S3Result<(Conn, Option<Slot>)> {
    let conn = ext
        .get::<Conn>()
        .cloned()
        .ok_or_else(|| s3_error!(InternalError, "request without a connection"))?;
    Ok((conn, ext.get::<Slot>().cloned()))
}

/// The request as `vpcsim trace` takes it.
fn request_line(method: &str, scheme: &str, host: &str, pq: &str) -> String {
    format!("{method} {scheme}://{host}{pq}")
}

fn host_of(headers: &hyper::HeaderMap, uri: &hyper::Uri) -> String {
    headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .unwrap_or_default()
}

/// Signature keys: the principals' test keys.
pub struct Auth(pub(crate) Weak<Core>);

#[async_trait::async_trait]
impl S3Auth for Auth {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        let core = self
            .0
            .upgrade()
            .ok_or_else(|| s3_error!(ServiceUnavailable))?;
        match core.keys().get(access_key) {
            Some((_, secret)) => Ok(SecretKey::from(secret)),
            None => Err(s3_error!(
                InvalidAccessKeyId,
                "The AWS Access Key Id you provided does not exist in our records."
            )),
        }
    }
}

/// Every request decided by the engine.
pub struct Access(pub(crate) Weak<Core>);

impl Access {
    fn core(&self) -> S3Result<Arc<Core>> {
        self.0
            .upgrade()
            .ok_or_else(|| s3_error!(ServiceUnavailable))
    }
}

fn principal(core: &Core, credentials: Option<&s3s::auth::Credentials>) -> Option<PrincipalId> {
    credentials.and_then(|c| core.keys().get(&c.access_key).map(|(p, _)| p))
}

#[async_trait::async_trait]
impl S3Access for Access {
    async fn check(&self, cx: &mut S3AccessContext<'_>) -> S3Result<()> {
        let core = self.core()?;
        let (conn, slot) = conn_of(cx.extensions_mut())?;
        let who = principal(&core, cx.credentials());
        // A multi-object delete is decided key by key (`delete_objects`, below), as S3 does.
        if cx.s3_op().name() == "DeleteObjects" {
            return Ok(());
        }
        let host = host_of(cx.headers(), cx.uri());
        let pq = cx.uri().path_and_query().map_or("/", |p| p.as_str());
        let request = request_line(cx.method().as_str(), conn.scheme, &host, pq);
        let headers = engine_headers(cx.headers());
        core.decide(&conn, slot.as_ref(), &request, headers, who)?
            .map_err(|r| r.error)?;
        cx.extensions_mut().insert(Decided {
            account: core.account(who),
            denied_keys: HashMap::new(),
        });
        Ok(())
    }

    async fn copy_object(&self, req: &mut S3Request<CopyObjectInput>) -> S3Result<()> {
        // The copy also reads its source: GetObject on it must be allowed too.
        let core = self.core()?;
        let (conn, slot) = conn_of(&req.extensions)?;
        let CopySource::Bucket { bucket, key, .. } = &req.input.copy_source else {
            return Ok(());
        };
        let host = host_of(&req.headers, &req.uri);
        let key = percent_encoding::utf8_percent_encode(key, PATH).to_string();
        // The source, path-style on the same endpoint: a virtual-hosted name loses its bucket.
        let lower = host.to_ascii_lowercase();
        let base = match S3Host::parse(&lower) {
            Some(
                S3Host::Regional {
                    bucket: Some(b), ..
                }
                | S3Host::Global { bucket: Some(b) }
                | S3Host::Fips {
                    bucket: Some(b), ..
                }
                | S3Host::EndpointBucket { bucket: Some(b) },
            ) => lower
                .strip_prefix(&format!("{b}."))
                .map_or(host.clone(), str::to_string),
            _ => host,
        };
        let (host, path) = (base, format!("/{bucket}/{key}"));
        let request = request_line("GET", conn.scheme, &host, &path);
        let who = principal(&core, req.credentials.as_ref());
        // The read of the source is signed as the copy is.
        core.decide(
            &conn,
            slot.as_ref(),
            &request,
            signing_headers(&req.headers),
            who,
        )?
        .map_err(|r| r.error)
    }

    async fn delete_objects(&self, req: &mut S3Request<DeleteObjectsInput>) -> S3Result<()> {
        let core = self.core()?;
        let (conn, slot) = conn_of(&req.extensions)?;
        let who = principal(&core, req.credentials.as_ref());
        let host = host_of(&req.headers, &req.uri);
        let base = req.uri.path().trim_end_matches('/').to_string();
        let mut denied = HashMap::new();
        // Each key is decided as a DELETE signed as the whole request is.
        let signing = signing_headers(&req.headers);
        for id in &req.input.delete.objects {
            let key = percent_encoding::utf8_percent_encode(&id.key, PATH).to_string();
            let request = request_line("DELETE", conn.scheme, &host, &format!("{base}/{key}"));
            match core.decide(&conn, slot.as_ref(), &request, signing.clone(), who)? {
                Ok(()) => {}
                // A key the caller may not delete is an error entry of the result, as S3 does.
                Err(r) if r.verdict == Verdict::Denied => {
                    denied.insert(id.key.clone(), "Access Denied".to_string());
                }
                Err(r) => return Err(r.error),
            }
        }
        req.extensions.insert(Decided {
            account: core.account(who),
            denied_keys: denied,
        });
        Ok(())
    }
}

/// Characters a path segment keeps as they are.
const PATH: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Which bucket a host name addresses, for s3s: a virtual-hosted bucket, or the bucket behind an
/// access point name; otherwise the request is path-style.
pub struct Hosts(pub(crate) Shared);

impl S3sHost for Hosts {
    fn parse_host_header<'a>(&'a self, host: &'a str) -> S3Result<VirtualHost<'a>> {
        let name = host
            .rsplit_once(':')
            .filter(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()))
            .map_or(host, |(h, _)| h)
            .to_ascii_lowercase();
        let vh = VirtualHost::new(host);
        let bucket = match S3Host::parse(&name) {
            Some(
                S3Host::EndpointBucket { bucket: Some(b) }
                | S3Host::Regional {
                    bucket: Some(b), ..
                }
                | S3Host::Global { bucket: Some(b) }
                | S3Host::Fips {
                    bucket: Some(b), ..
                }
                | S3Host::Website {
                    bucket: Some(b), ..
                },
            ) => Some(b),
            Some(
                S3Host::EndpointAccessPoint { label: Some(l) }
                | S3Host::AccessPoint { label: l, .. }
                | S3Host::Outposts { label: l, .. },
            ) => {
                let snap = self.0.current();
                let topo = snap.topology();
                snap.engine()
                    .access_point(&l)
                    .map(|a| {
                        topo.buckets[topo.access_points[a.index()].bucket.index()]
                            .name
                            .clone()
                    })
                    // Unknown: the engine answers NoSuchAccessPoint before the operation runs.
                    .or(Some(l))
            }
            _ => None,
        };
        Ok(match bucket {
            Some(b) => vh.with_bucket(b),
            None => vh,
        })
    }
}

/// Bucket names as S3 takes them in a path: the current rules (`AwsNameValidation`), and the
/// legacy us-east-1 names (capitals, underscores, up to 255 characters) S3 still serves — which
/// bucket exists is the topology's business, answered as `NoSuchBucket`.
pub struct Names;

impl s3s::validation::NameValidation for Names {
    fn validate_bucket_name(&self, name: &str) -> bool {
        (1..=255).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    }
}

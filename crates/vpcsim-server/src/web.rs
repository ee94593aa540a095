//! The web view of `vpcsim serve` (`GET /`): a page, its script and its style sheet, embedded in
//! the binary (nothing is fetched from the network), which draws the topology with
//! `/diagram`, traces and resolves with the API, toggles links and runs the checks; and
//! `GET /events`, the server-sent events that tell it when a new generation is served (`--watch`
//! reloads, bucket policy changes) or a reload failed.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::Frame;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};
use tokio::sync::watch;

/// A response body: the API's bodies are whole, the web view's event stream is not.
pub type Body = BoxBody<Bytes, Infallible>;

const INDEX: &str = include_str!("../assets/index.html");
const SCRIPT: &str = include_str!("../assets/app.js");
const STYLE: &str = include_str!("../assets/app.css");

/// An embedded file by path: its content type and text.
pub fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    match path {
        "/" | "/index.html" => Some(("text/html; charset=utf-8", INDEX)),
        "/ui/app.js" => Some(("text/javascript; charset=utf-8", SCRIPT)),
        "/ui/app.css" => Some(("text/css; charset=utf-8", STYLE)),
        _ => None,
    }
}

/// A query string's parameters, in order (`fail` may repeat).
pub struct Query(Vec<(String, String)>);

/// Reads a query string (`from=…&request=…&fail=dx-primary&fail=vpn-backup`).
pub fn query(q: &str) -> Query {
    Query(form_urlencoded::parse(q.as_bytes()).into_owned().collect())
}

impl Query {
    /// As the JSON body the POST form of the same route takes: `fail` a list, others strings.
    pub fn to_body(&self) -> Value {
        let mut body = serde_json::Map::new();
        let mut fail = Vec::new();
        for (k, v) in &self.0 {
            if k == "fail" {
                fail.push(json!(v));
            } else {
                body.insert(k.clone(), json!(v));
            }
        }
        if !fail.is_empty() {
            body.insert("fail".into(), Value::Array(fail));
        }
        Value::Object(body)
    }
}

/// How often an idle event stream sends a comment, so that a client gone away is noticed.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The event stream: `event: change` with `{"change": N}` at once and each time what is served
/// changes, a comment every [`KEEP_ALIVE`], and the end when the server stops.
pub fn events(changes: watch::Receiver<u64>, stopped: watch::Receiver<bool>) -> Response<Body> {
    let first = true;
    let s = stream::unfold(
        (changes, stopped, first),
        |(mut changes, mut stopped, first)| async move {
            if *stopped.borrow() {
                return None;
            }
            let text = if first {
                let n = *changes.borrow_and_update();
                // The browser reconnects after 2 s if the stream breaks.
                format!("retry: 2000\nevent: change\ndata: {{\"change\": {n}}}\n\n")
            } else {
                tokio::select! {
                    r = changes.changed() => {
                        r.ok()?;
                        let n = *changes.borrow_and_update();
                        format!("event: change\ndata: {{\"change\": {n}}}\n\n")
                    }
                    _ = stopped.wait_for(|s| *s) => return None,
                    _ = tokio::time::sleep(KEEP_ALIVE) => ": keep-alive\n\n".to_string(),
                }
            };
            Some((
                Ok::<_, Infallible>(Frame::data(Bytes::from(text))),
                (changes, stopped, false),
            ))
        },
    );
    let mut r = Response::new(StreamBody::new(s).boxed());
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

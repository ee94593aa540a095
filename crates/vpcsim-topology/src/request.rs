//! Requests as expectations and users write them: `GET https://host/path`, a URL, or `host:port`.
//! The one parser of request syntax: the loader checks `request:` expectations with it and the
//! engine traces what it returns.

use std::borrow::Cow;
use std::net::IpAddr;

/// Why a request could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{text}' is not a request: {why}")]
pub struct RequestError {
    /// The text.
    pub text: String,
    /// What is wrong.
    pub why: String,
}

/// A parsed request. Its text is kept once, as written; the host, path and query are ranges of
/// it (a part the parser or [`Request::set_host`]/[`Request::set_path`] rewrites is appended to
/// the same buffer), so a parse copies the text once.
#[derive(Clone, Debug)]
pub struct Request {
    /// The text as written (trimmed), then any part rewritten.
    buf: String,
    /// Where the text as written ends in `buf`.
    text_end: u32,
    /// `GET`, `PUT`… (`GET` when only a URL is given; empty for a bare `host:port`).
    pub method: &'static str,
    /// `https`, `http`, `s3`, or empty for `host:port`.
    pub scheme: &'static str,
    /// The host, lowercase, without a trailing dot.
    host: (u32, u32),
    /// Port (from the URL or the scheme).
    pub port: u16,
    /// The path without the query, starting with `/` (empty for `host:port`).
    path: (u32, u32),
    /// The path decoded, when it has percent-escapes (decoded once, by the parser that checks
    /// them).
    decoded: Option<String>,
    /// The query string without `?`.
    query: (u32, u32),
}

impl PartialEq for Request {
    fn eq(&self, other: &Self) -> bool {
        (
            self.text(),
            self.method,
            self.scheme,
            self.host(),
            self.port,
        ) == (
            other.text(),
            other.method,
            other.scheme,
            other.host(),
            other.port,
        ) && (self.path(), self.decoded_path(), self.query())
            == (other.path(), other.decoded_path(), other.query())
    }
}

impl Eq for Request {}

/// The longest request text (its parts are kept as 32-bit ranges of it).
const MAX_TEXT: usize = 1 << 30;

const METHODS: &[&str] = &["GET", "HEAD", "PUT", "POST", "DELETE"];

/// The schemes a URL may have, in lowercase.
const SCHEMES: &[&str] = &["https", "http", "s3"];

impl Request {
    /// Parses `[METHOD ]URL` or `HOST:PORT`.
    pub fn parse(text: &str) -> Result<Request, RequestError> {
        let err = |why: &str| RequestError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let t = trim(text);
        if t.len() > MAX_TEXT {
            // Quoted by its start only: the error is printed.
            return Err(RequestError {
                text: format!("{}…", t.chars().take(64).collect::<String>()),
                why: "it is longer than 1 GiB: write METHOD URL or HOST:PORT".to_string(),
            });
        }
        // The method ends at the first whitespace: a byte loop finds it when what precedes it is
        // ASCII (the general search decodes characters), the general search otherwise.
        let ascii_blank = |b: u8| matches!(b, b'\t'..=b'\r' | b' ');
        let split = match t.bytes().position(|b| ascii_blank(b) || !b.is_ascii()) {
            Some(i) if t.as_bytes()[i].is_ascii() => Some((&t[..i], &t[i + 1..])),
            Some(_) => t.split_once(char::is_whitespace),
            None => None,
        };
        let (method, target) = match split {
            Some((m, rest)) => {
                // Methods are matched without case and kept in capitals.
                let Some(&known) = METHODS.iter().find(|k| k.eq_ignore_ascii_case(m)) else {
                    return Err(err(&format!(
                        "'{}' is not an HTTP method (use {})",
                        m.to_ascii_uppercase(),
                        METHODS.join(", ")
                    )));
                };
                (Some(known), trim(rest))
            }
            None => (None, t),
        };
        // The scheme ends at the first `://`; the byte search for `:` finds it at once in a URL.
        let scheme_end = match target.bytes().position(|b| b == b':') {
            Some(i) if target[i..].starts_with("://") => Some(i),
            Some(_) => target.find("://"),
            None => None,
        };
        let (scheme, rest) = match scheme_end.map(|i| (&target[..i], &target[i + 3..])) {
            Some((s, r)) => {
                let Some(&known) = SCHEMES.iter().find(|k| k.eq_ignore_ascii_case(s)) else {
                    return Err(err(&format!(
                        "scheme '{}' is not http, https or s3",
                        s.to_ascii_lowercase()
                    )));
                };
                (known, r)
            }
            None if method.is_some() => {
                return Err(err("a request with a method needs a full URL"));
            }
            None => ("", target),
        };
        // The authority ends at the first `/` or `?`. The same search stops at a colon (a port, an
        // IPv6 address), so an authority without one (most URLs) is read in one pass.
        let first = memchr::memchr3(b'/', b'?', b':', rest.as_bytes());
        let has_colon = first.is_some_and(|i| rest.as_bytes()[i] == b':');
        let end = match first {
            Some(i) if has_colon => {
                memchr::memchr2(b'/', b'?', &rest.as_bytes()[i..]).map_or(rest.len(), |j| i + j)
            }
            Some(i) => i,
            None => rest.len(),
        };
        let (authority, path_query) = rest.split_at(end);
        // The scheme's port is worked out here, once; the error only where a port is missing.
        let scheme_port = match scheme {
            "https" | "s3" => Some(443),
            "http" => Some(80),
            _ => None,
        };
        let default_port = || scheme_port.ok_or_else(|| err("give a port: HOST:PORT"));
        // An IPv6 literal is bracketed (RFC 3986 3.2.2): `[2001:db8::1]` or `[2001:db8::1]:8443`.
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let Some((literal, after)) = inner.split_once(']') else {
                return Err(err("an IPv6 address in a URL ends with ']'"));
            };
            if literal.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(err(&format!("'{literal}' is not an IPv6 address")));
            }
            let port = match after.strip_prefix(':') {
                Some(p) => p
                    .parse::<u16>()
                    .map_err(|_| err(&format!("'{p}' is not a port")))?,
                None if after.is_empty() => default_port()?,
                None => return Err(err(&format!("unexpected '{after}' after ']'"))),
            };
            (literal, port)
        } else if !has_colon {
            (authority, default_port()?)
        } else if memchr::memchr_iter(b':', authority.as_bytes())
            .nth(1)
            .is_some()
        {
            return Err(err(
                "an IPv6 address needs brackets: https://[2001:db8::1]/ or [2001:db8::1]:443",
            ));
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    p.parse::<u16>()
                        .map_err(|_| err(&format!("'{p}' is not a port")))?,
                ),
                None => (authority, default_port()?),
            }
        };
        if host.is_empty() {
            return Err(err("there is no host"));
        }
        // The path ends at `?`; one search finds it or a `%` before it (a path to decode).
        let pq = path_query.as_bytes();
        let (path, query, escaped) = match memchr::memchr2(b'?', b'%', pq) {
            None => (path_query, "", false),
            Some(i) if pq[i] == b'?' => (&path_query[..i], &path_query[i + 1..], false),
            Some(i) => match memchr::memchr(b'?', &pq[i..]) {
                Some(j) => (&path_query[..i + j], &path_query[i + j + 1..], true),
                None => (path_query, "", true),
            },
        };
        if scheme == "s3" && (has_colon || authority.contains('[')) {
            return Err(err(
                "an s3:// URI names a bucket, not a host and port: write s3://BUCKET/KEY, or https://HOST:PORT/… for an endpoint",
            ));
        }
        let decoded = if !escaped {
            None
        } else {
            match percent_decode(path).map_err(|why| err(&why))? {
                Cow::Borrowed(_) => None,
                Cow::Owned(d) => Some(d),
            }
        };
        // One buffer: the text, then the host when it is not written lowercase without a
        // trailing dot, then `/` for a URL without a path.
        // Every part is a piece of `t` (an empty one may be a literal: it is kept as 0..0).
        let range = |part: &str| {
            if part.is_empty() {
                return (0, 0);
            }
            let a = part.as_ptr() as usize - t.as_ptr() as usize;
            (a as u32, (a + part.len()) as u32)
        };
        let mut buf = String::with_capacity(t.len());
        buf.push_str(t);
        let host_trimmed = host.trim_end_matches('.');
        // Tested with a fold the compiler vectorises (hosts are usually lowercase, so an early
        // exit would read every byte anyway, one at a time).
        let upper = host_trimmed
            .bytes()
            .fold(false, |up, b| up | b.is_ascii_uppercase());
        let host = if upper {
            let a = buf.len() as u32;
            buf.extend(host_trimmed.chars().map(|c| c.to_ascii_lowercase()));
            (a, buf.len() as u32)
        } else {
            range(host_trimmed)
        };
        let path = if path.is_empty() && !scheme.is_empty() {
            let a = buf.len() as u32;
            buf.push('/');
            (a, a + 1)
        } else {
            range(path)
        };
        Ok(Request {
            text_end: t.len() as u32,
            method: method.unwrap_or(if scheme.is_empty() { "" } else { "GET" }),
            scheme,
            host,
            port,
            path,
            decoded,
            query: range(query),
            buf,
        })
    }

    #[inline]
    fn part(&self, (a, b): (u32, u32)) -> &str {
        &self.buf[a as usize..b as usize]
    }

    /// The request as written (trimmed).
    #[inline]
    pub fn text(&self) -> &str {
        &self.buf[..self.text_end as usize]
    }

    /// The host, lowercase, without a trailing dot.
    #[inline]
    pub fn host(&self) -> &str {
        self.part(self.host)
    }

    /// The path without the query, starting with `/` (empty for `host:port`).
    #[inline]
    pub fn path(&self) -> &str {
        self.part(self.path)
    }

    /// The query string without `?`.
    #[inline]
    pub fn query(&self) -> &str {
        self.part(self.query)
    }

    /// Replaces the host (the `s3://` rewrite); `host` is taken as given.
    pub fn set_host(&mut self, host: &str) {
        let a = self.buf.len() as u32;
        self.buf.push_str(host);
        self.host = (a, self.buf.len() as u32);
    }

    /// The path with its percent-escapes decoded (`/my%20bucket/a%2Fb` → `/my bucket/a/b`); the
    /// parser has checked that it decodes.
    #[inline]
    pub fn decoded_path(&self) -> &str {
        self.decoded.as_deref().unwrap_or(self.path())
    }

    /// Replaces the path (the `s3://` rewrite), decoding it again; a path whose escapes do not
    /// decode is kept as its own decoded form.
    pub fn set_path(&mut self, path: &str) {
        self.decoded = match percent_decode(path) {
            Ok(Cow::Owned(d)) => Some(d),
            Ok(Cow::Borrowed(_)) | Err(_) => None,
        };
        let a = self.buf.len() as u32;
        self.buf.push_str(path);
        self.path = (a, self.buf.len() as u32);
    }

    /// The host as an address (IPv4, or IPv6 written in brackets), when it is one.
    pub fn host_ip(&self) -> Option<IpAddr> {
        // A name (most hosts) is told from an address by its first letters: an address has only
        // hexadecimal digits, colons and dots (IPv6 a colon, IPv4 only digits and dots).
        let host = self.host();
        let b = host.as_bytes();
        if !b
            .iter()
            .all(|c| c.is_ascii_hexdigit() || *c == b':' || *c == b'.')
        {
            None
        } else if b.contains(&b':') {
            host.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
        } else if b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
            host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
        } else {
            None
        }
    }
}

/// `text` without surrounding whitespace ([`str::trim`]); most requests are written without any,
/// which their first and last bytes say (a byte that is a visible ASCII character is a whole
/// character, and not whitespace).
fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// The most headers a request may carry (`--header`, `headers:`, the HTTP API's `headers`).
pub const MAX_HEADERS: usize = 100;

/// The longest header value accepted, in bytes (S3 refuses requests whose headers exceed 8 KB).
pub const MAX_HEADER_VALUE: usize = 8192;

/// Checks a request header as HTTP takes it (RFC 9110 5.1 and 5.5): a name of token characters
/// (`x-amz-server-side-encryption`) and a value without control characters; returns the name in
/// lowercase (header names compare without case) and the value without surrounding blanks.
pub fn header(name: &str, value: &str) -> Result<(String, String), String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a header needs a name".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c)))
    {
        return Err(format!(
            "'{}' is not a header name: {bad:?} is not allowed in one (letters, digits and !#$%&'*+-.^_`|~)",
            name.chars().take(64).collect::<String>()
        ));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.len() > MAX_HEADER_VALUE {
        return Err(format!(
            "the value of header '{name}' is longer than {MAX_HEADER_VALUE} bytes"
        ));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(format!(
            "the value of header '{name}' has a control character (a line break ends a header)"
        ));
    }
    Ok((name.to_ascii_lowercase(), value.to_string()))
}

/// Reads `NAME: VALUE` (as `curl -H` and `vpcsim trace --header` take a header) with [`header`].
pub fn parse_header(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((name, value)) => header(name, value),
        None => Err(format!(
            "'{}' is not a header: write NAME: VALUE (x-amz-server-side-encryption: AES256)",
            text.chars().take(64).collect::<String>()
        )),
    }
}

/// The parameters of a query string (`a=1&b&c=`) as `(name, value)`, in order, as written (not
/// decoded): a parameter without `=` has the value `""`; empty parts (`a=1&&b`) are skipped.
pub fn query_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// The value of the first parameter `name` of a query string, as written (`Some("")` for a
/// parameter without `=`); names compare with case, as S3 reads them.
pub fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query_pairs(query).find_map(|(k, v)| (k == name).then_some(v))
}

/// Decodes `%XX` escapes (RFC 3986 2.1); the result must be UTF-8.
pub fn percent_decode(s: &str) -> Result<Cow<'_, str>, String> {
    if !s.contains('%') {
        return Ok(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(b) = hex else {
                let bad: String = s[i..].chars().take(3).collect();
                return Err(format!(
                    "'{bad}' is not a percent-escape (write %25 for a literal %)"
                ));
            };
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| "the path's percent-escapes do not decode to UTF-8".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parser as it was before it was made to search the text fewer times (kept as the
    /// reference the generated requests below compare it with).
    fn reference_parse(text: &str) -> Result<Request, RequestError> {
        let err = |why: &str| RequestError {
            text: text.to_string(),
            why: why.to_string(),
        };
        let t = text.trim();
        if t.len() > MAX_TEXT {
            // Quoted by its start only: the error is printed.
            return Err(RequestError {
                text: format!("{}…", t.chars().take(64).collect::<String>()),
                why: "it is longer than 1 GiB: write METHOD URL or HOST:PORT".to_string(),
            });
        }
        let (method, target) = match t.split_once(char::is_whitespace) {
            Some((m, rest)) => {
                // Methods are matched without case and kept in capitals.
                let Some(&known) = METHODS.iter().find(|k| k.eq_ignore_ascii_case(m)) else {
                    return Err(err(&format!(
                        "'{}' is not an HTTP method (use {})",
                        m.to_ascii_uppercase(),
                        METHODS.join(", ")
                    )));
                };
                (Some(known), rest.trim())
            }
            None => (None, t),
        };
        // The scheme ends at the first `://`; the byte search for `:` finds it at once in a URL.
        let scheme_end = match target.bytes().position(|b| b == b':') {
            Some(i) if target[i..].starts_with("://") => Some(i),
            Some(_) => target.find("://"),
            None => None,
        };
        let (scheme, rest) = match scheme_end.map(|i| (&target[..i], &target[i + 3..])) {
            Some((s, r)) => {
                let Some(&known) = SCHEMES.iter().find(|k| k.eq_ignore_ascii_case(s)) else {
                    return Err(err(&format!(
                        "scheme '{}' is not http, https or s3",
                        s.to_ascii_lowercase()
                    )));
                };
                (known, r)
            }
            None if method.is_some() => {
                return Err(err("a request with a method needs a full URL"));
            }
            None => ("", target),
        };
        // The authority ends at the first `/` or `?`.
        let end = memchr::memchr2(b'/', b'?', rest.as_bytes()).unwrap_or(rest.len());
        let (authority, path_query) = rest.split_at(end);
        // Only whether there is more than one colon matters (an unbracketed IPv6 address).
        let colons = memchr::memchr_iter(b':', authority.as_bytes())
            .take(2)
            .count();
        let default_port = || match scheme {
            "https" | "s3" => Ok(443),
            "http" => Ok(80),
            _ => Err(err("give a port: HOST:PORT")),
        };
        // An IPv6 literal is bracketed (RFC 3986 3.2.2): `[2001:db8::1]` or `[2001:db8::1]:8443`.
        let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
            let Some((literal, after)) = inner.split_once(']') else {
                return Err(err("an IPv6 address in a URL ends with ']'"));
            };
            if literal.parse::<std::net::Ipv6Addr>().is_err() {
                return Err(err(&format!("'{literal}' is not an IPv6 address")));
            }
            let port = match after.strip_prefix(':') {
                Some(p) => p
                    .parse::<u16>()
                    .map_err(|_| err(&format!("'{p}' is not a port")))?,
                None if after.is_empty() => default_port()?,
                None => return Err(err(&format!("unexpected '{after}' after ']'"))),
            };
            (literal, port)
        } else if colons > 1 {
            return Err(err(
                "an IPv6 address needs brackets: https://[2001:db8::1]/ or [2001:db8::1]:443",
            ));
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (
                    h,
                    p.parse::<u16>()
                        .map_err(|_| err(&format!("'{p}' is not a port")))?,
                ),
                None => (authority, default_port()?),
            }
        };
        if host.is_empty() {
            return Err(err("there is no host"));
        }
        let (path, query) = match path_query.split_once('?') {
            Some((p, q)) => (p, q),
            None => (path_query, ""),
        };
        if scheme == "s3" && (authority.contains(':') || authority.contains('[')) {
            return Err(err(
                "an s3:// URI names a bucket, not a host and port: write s3://BUCKET/KEY, or https://HOST:PORT/… for an endpoint",
            ));
        }
        let decoded = match percent_decode(path).map_err(|why| err(&why))? {
            Cow::Borrowed(_) => None,
            Cow::Owned(d) => Some(d),
        };
        // One buffer: the text, then the host when it is not written lowercase without a
        // trailing dot, then `/` for a URL without a path.
        // Every part is a piece of `t` (an empty one may be a literal: it is kept as 0..0).
        let range = |part: &str| {
            if part.is_empty() {
                return (0, 0);
            }
            let a = part.as_ptr() as usize - t.as_ptr() as usize;
            (a as u32, (a + part.len()) as u32)
        };
        let mut buf = String::with_capacity(t.len());
        buf.push_str(t);
        let host_trimmed = host.trim_end_matches('.');
        // Tested with a fold the compiler vectorises (hosts are usually lowercase, so an early
        // exit would read every byte anyway, one at a time).
        let upper = host_trimmed
            .bytes()
            .fold(false, |up, b| up | b.is_ascii_uppercase());
        let host = if upper {
            let a = buf.len() as u32;
            buf.extend(host_trimmed.chars().map(|c| c.to_ascii_lowercase()));
            (a, buf.len() as u32)
        } else {
            range(host_trimmed)
        };
        let path = if path.is_empty() && !scheme.is_empty() {
            let a = buf.len() as u32;
            buf.push('/');
            (a, a + 1)
        } else {
            range(path)
        };
        Ok(Request {
            text_end: t.len() as u32,
            method: method.unwrap_or(if scheme.is_empty() { "" } else { "GET" }),
            scheme,
            host,
            port,
            path,
            decoded,
            query: range(query),
            buf,
        })
    }

    /// [`Request::host_ip`] as it was before it looked at the first letters first.
    fn reference_host_ip(r: &Request) -> Option<IpAddr> {
        let host = r.host();
        let b = host.as_bytes();
        if b.contains(&b':') {
            host.parse::<std::net::Ipv6Addr>().ok().map(IpAddr::V6)
        } else if b.iter().all(|c| c.is_ascii_digit() || *c == b'.') {
            host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
        } else {
            None
        }
    }

    /// The parser gives what the reference gives (the same request, or the same error) on
    /// requests made from real ones by dropping, adding and replacing characters, once at every
    /// place and a few times at places a seeded generator picks.
    #[test]
    fn parses_as_the_reference_on_generated_requests() {
        let seeds = [
            "GET https://bucket.vpce-bb575316000000000-nhyz809d.s3.us-east-1.vpce.amazonaws.com/gen-bucket-0/data/object.csv",
            "PUT https://my.bucket.s3.us-west-2.amazonaws.com/a%20b/c?acl&versionId=1",
            "http://10.0.1.5:8080/x?y=1",
            "  HEAD HTTPS://Host.Example./a?b  ",
            "https://[2001:db8::1]:8443/p%2Fq?x",
            "[2001:db8::1]:22",
            "db.internal:5432",
            "s3://reports/2024/a.csv",
            "delete\thttp://h:1/?%41",
        ];
        let pieces = [
            ":", "/", "?", "%", "%2", "%41", "%zz", "[", "]", " ", "\t", "\u{b}", "\u{85}", ".",
            "A", "é", "\u{3000}", "://", ":80", "::", "#", "1",
        ];
        let mut texts: Vec<String> = Vec::new();
        for seed in seeds {
            texts.push(seed.to_string());
            for (i, _) in seed.char_indices() {
                let (head, tail) = seed.split_at(i);
                let after = &tail[tail.chars().next().map_or(0, char::len_utf8)..];
                texts.push(format!("{head}{after}"));
                for p in pieces {
                    texts.push(format!("{head}{p}{tail}"));
                    texts.push(format!("{head}{p}{after}"));
                }
            }
        }
        // A few changes at once, at places a fixed-seed generator picks.
        let mut state: u64 = 0x05ee_d0f9_a75e;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize % n
        };
        for _ in 0..20_000 {
            let mut t = seeds[next(seeds.len())].to_string();
            for _ in 0..1 + next(4) {
                let at: Vec<usize> = t.char_indices().map(|(i, _)| i).chain([t.len()]).collect();
                let i = at[next(at.len())];
                t.insert_str(i, pieces[next(pieces.len())]);
            }
            texts.push(t);
        }
        let mut parsed = 0;
        for t in &texts {
            let (new, old) = (Request::parse(t), reference_parse(t));
            assert_eq!(new, old, "{t:?}");
            if let Ok(r) = new {
                assert_eq!(r.host_ip(), reference_host_ip(&r), "{t:?}");
                parsed += 1;
            }
        }
        assert!(parsed > 5_000, "{parsed} of {}", texts.len());
    }

    #[test]
    fn parses_requests() {
        let r = Request::parse("GET https://bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv").unwrap();
        assert_eq!(
            (r.method, r.port, r.path()),
            ("GET", 443, "/DOC-EXAMPLE-BUCKET1/report.csv")
        );
        let r = Request::parse("http://10.0.1.5:8080/x?y=1").unwrap();
        assert_eq!(
            (r.port, r.query(), r.host_ip()),
            (8080, "y=1", Some(IpAddr::from([10, 0, 1, 5])))
        );
        assert_eq!(Request::parse("db.internal:5432").unwrap().port, 5432);
        assert!(Request::parse("FETCH https://x/").is_err());
        assert!(Request::parse("GET x").is_err());
        // The scheme ends at the first `://`, even after another colon.
        let e = Request::parse("host:80/x://y").unwrap_err();
        assert!(e.why.contains("scheme 'host:80/x'"), "{e}");
        assert!(Request::parse("ftp://x/").is_err());
        let r = Request::parse("HTTPS://Host.Example./a?b").unwrap();
        assert_eq!(
            (r.scheme, r.host(), r.path(), r.query()),
            ("https", "host.example", "/a", "b")
        );
    }

    #[test]
    fn reads_query_parameters() {
        let q = "prefix=a%2Fb&versions&max-keys=&prefix=second&&delimiter=/";
        assert_eq!(
            query_pairs(q).collect::<Vec<_>>(),
            [
                ("prefix", "a%2Fb"),
                ("versions", ""),
                ("max-keys", ""),
                ("prefix", "second"),
                ("delimiter", "/")
            ]
        );
        assert_eq!(query_param(q, "prefix"), Some("a%2Fb"));
        assert_eq!(query_param(q, "versions"), Some(""));
        assert_eq!(query_param(q, "Prefix"), None);
        assert_eq!(query_param("", "a"), None);
    }

    #[test]
    fn parses_headers() {
        assert_eq!(
            parse_header("X-Amz-Server-Side-Encryption:  AES256 "),
            Ok(("x-amz-server-side-encryption".into(), "AES256".into()))
        );
        assert_eq!(
            parse_header("x-amz-grant-read: id=\"1\", id=\"2\""),
            Ok(("x-amz-grant-read".into(), "id=\"1\", id=\"2\"".into()))
        );
        assert_eq!(
            parse_header("x-amz-acl:"),
            Ok(("x-amz-acl".into(), String::new()))
        );
        assert!(parse_header("no colon").is_err());
        assert!(parse_header(": v").is_err());
        assert!(parse_header("bad name: v").is_err());
        assert!(parse_header("x: a\r\nevil: b").is_err());
        assert!(header("x", &"a".repeat(MAX_HEADER_VALUE + 1)).is_err());
    }

    #[test]
    fn parses_ipv6_literals() {
        let r = Request::parse("GET https://[2606:4700::1111]/a?b").unwrap();
        assert_eq!((r.host(), r.port), ("2606:4700::1111", 443));
        assert_eq!(r.host_ip(), Some("2606:4700::1111".parse().unwrap()));
        let r = Request::parse("http://[2001:db8::1]:8080/").unwrap();
        assert_eq!((r.host(), r.port), ("2001:db8::1", 8080));
        let r = Request::parse("[2001:db8::1]:22").unwrap();
        assert_eq!((r.port, r.scheme), (22, ""));
        for bad in [
            "https://2001:db8::1/",
            "https://[2001:db8::1/",
            "https://[nope]/",
            "[2001:db8::1]",
            "https://[2001:db8::1]x/",
        ] {
            assert!(Request::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decodes_paths_and_takes_s3_uris() {
        let r =
            Request::parse("GET https://b.s3.us-east-1.amazonaws.com/my%20file%2Fx.csv").unwrap();
        assert_eq!(r.path(), "/my%20file%2Fx.csv");
        assert_eq!(r.decoded_path(), "/my file/x.csv");
        assert!(Request::parse("GET https://h/a%zz").is_err());
        assert!(Request::parse("GET https://h/a%").is_err());
        assert!(Request::parse("GET https://h/a%ff").is_err(), "not UTF-8");
        let r = Request::parse("s3://reports/2024/a.csv").unwrap();
        assert_eq!(
            (r.scheme, r.host(), r.port, r.path(), r.method),
            ("s3", "reports", 443, "/2024/a.csv", "GET")
        );
        assert!(Request::parse("s3://reports:443/a").is_err());
    }

    #[test]
    fn keeps_its_parts_in_one_text() {
        // A URL without a path gets `/`; a bare `host:port` has none; the text stays as written.
        let r = Request::parse("  https://Bucket.S3.amazonaws.com.  ").unwrap();
        assert_eq!(
            (r.text(), r.host(), r.path(), r.query()),
            (
                "https://Bucket.S3.amazonaws.com.",
                "bucket.s3.amazonaws.com",
                "/",
                ""
            )
        );
        let r = Request::parse("db.internal:5432").unwrap();
        assert_eq!((r.host(), r.path(), r.query()), ("db.internal", "", ""));
        // Rewritten parts (the `s3://` rewrite) are read back; the text is unchanged.
        let mut r = Request::parse("s3://my.bucket/a%20b?x=1").unwrap();
        r.set_host("s3.us-east-1.amazonaws.com");
        let path = format!("/my.bucket{}", r.path());
        r.set_path(&path);
        assert_eq!(
            (r.text(), r.host(), r.path(), r.decoded_path(), r.query()),
            (
                "s3://my.bucket/a%20b?x=1",
                "s3.us-east-1.amazonaws.com",
                "/my.bucket/a%20b",
                "/my.bucket/a b",
                "x=1"
            )
        );
        // Equal requests compare equal whatever their buffers hold.
        let mut a = Request::parse("https://h/x").unwrap();
        a.set_host("h");
        assert_eq!(a, Request::parse("https://h/x").unwrap());
        assert_ne!(a, Request::parse("https://h/y").unwrap());
    }
}

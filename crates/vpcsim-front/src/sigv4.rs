//! SigV4 for the signing name s3s does not take: S3 on Outposts requests are signed as
//! `s3-outposts`, and s3s 0.14 verifies `s3` and `sts` only. The front verifies such a request's
//! header signature itself ([`verify`]) and, when it holds, signs the same canonical request again
//! as `s3` with the same secret, so that s3s verifies it (and reads its body) as any other. The
//! canonical request does not name the service, so nothing else of the request changes.

use hmac::{Hmac, KeyInit, Mac};
use hyper::HeaderMap;
use sha2::{Digest, Sha256};

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The access key id.
    pub access_key: &'a str,
    /// `YYYYMMDD`.
    pub date: &'a str,
    /// The Region of the scope.
    pub region: &'a str,
    /// The signing name (`s3-outposts`).
    pub service: &'a str,
    /// The signed headers, as written (`host;x-amz-date`).
    pub signed_headers: &'a str,
    /// The signature, hexadecimal.
    pub signature: &'a str,
}

/// Reads an `Authorization` header of SigV4.
pub fn parse(value: &str) -> Option<Authorization<'_>> {
    let rest = value.strip_prefix("AWS4-HMAC-SHA256")?.trim_start();
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let mut scope = credential?.split('/');
    let a = Authorization {
        access_key: scope.next()?,
        date: scope.next()?,
        region: scope.next()?,
        service: scope.next()?,
        signed_headers: signed?,
        signature: signature?,
    };
    (scope.next()? == "aws4_request" && scope.next().is_none()).then_some(a)
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Characters SigV4 leaves as they are in query names and values (RFC 3986 unreserved).
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The canonical request of SigV4 for S3 (the path as sent: S3 does not normalise or encode it
/// again), or `None` when a signed header is missing or the payload hash is not given.
pub fn canonical_request(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    signed_headers: &str,
) -> Option<String> {
    let mut q: Vec<(String, String)> = vpcsim_topology::request::query_pairs(query.unwrap_or(""))
        .map(|(k, v)| {
            let enc = |s: &str| {
                let d = percent_encoding::percent_decode_str(s).decode_utf8_lossy();
                percent_encoding::utf8_percent_encode(&d, UNRESERVED).to_string()
            };
            (enc(k), enc(v))
        })
        .collect();
    q.sort();
    let query = q
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let mut canonical_headers = String::new();
    for name in signed_headers.split(';') {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| {
                String::from_utf8_lossy(v.as_bytes())
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        if values.is_empty() {
            return None;
        }
        canonical_headers.push_str(name);
        canonical_headers.push(':');
        canonical_headers.push_str(&values.join(","));
        canonical_headers.push('\n');
    }
    let payload = headers.get("x-amz-content-sha256")?.to_str().ok()?;
    Some(format!(
        "{method}\n{path}\n{query}\n{canonical_headers}\n{signed_headers}\n{payload}"
    ))
}

/// The signature of `canonical` for this scope and secret.
pub fn signature(
    canonical: &str,
    amz_date: &str,
    auth: &Authorization<'_>,
    service: &str,
    secret: &str,
) -> String {
    let scope = format!("{}/{}/{service}/aws4_request", auth.date, auth.region);
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), auth.date.as_bytes());
    let k_region = hmac(&k_date, auth.region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    hex(&hmac(&k_signing, to_sign.as_bytes()))
}

/// Verifies a request signed for `auth.service` and returns the `Authorization` value of the
/// same request signed as `s3`; `None` when the signature does not hold.
pub fn resign_as_s3(
    method: &str,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    auth: &Authorization<'_>,
    secret: &str,
) -> Option<String> {
    let amz_date = headers.get("x-amz-date")?.to_str().ok()?;
    let canonical = canonical_request(method, path, query, headers, auth.signed_headers)?;
    let expected = signature(&canonical, amz_date, auth, auth.service, secret);
    // Constant-time enough for test keys; compare every byte anyway.
    let same = expected.len() == auth.signature.len()
        && expected
            .bytes()
            .zip(auth.signature.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        return None;
    }
    let s3 = signature(&canonical, amz_date, auth, "s3", secret);
    Some(format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/s3/aws4_request, SignedHeaders={}, Signature={s3}",
        auth.access_key, auth.date, auth.region, auth.signed_headers
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's SigV4 test suite, `get-vanilla`: its canonical request and signature.
    #[test]
    fn signs_as_the_aws_test_suite() {
        let mut h = HeaderMap::new();
        h.insert("host", "example.amazonaws.com".parse().unwrap());
        h.insert("x-amz-date", "20150830T123600Z".parse().unwrap());
        h.insert(
            "x-amz-content-sha256",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                .parse()
                .unwrap(),
        );
        let canonical = canonical_request("GET", "/", None, &h, "host;x-amz-date").unwrap();
        assert_eq!(
            canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        let auth = parse("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31").unwrap();
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        assert_eq!(
            signature(&canonical, "20150830T123600Z", &auth, "service", secret),
            auth.signature
        );
        let resigned = resign_as_s3("GET", "/", None, &h, &auth, secret).unwrap();
        assert!(
            resigned.contains("/us-east-1/s3/aws4_request"),
            "{resigned}"
        );
        assert!(resign_as_s3("GET", "/", None, &h, &auth, "another secret").is_none());
    }

    #[test]
    fn reads_authorization_headers() {
        assert!(parse("AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/s3-outposts/aws4_request, SignedHeaders=host, Signature=ab").is_some());
        assert!(parse("AWS4-HMAC-SHA256 Credential=A/20260101/us-east-1/s3-outposts, SignedHeaders=host, Signature=ab").is_none());
        assert!(parse("AWS AKID:sig").is_none());
    }
}

//! Recognising what a request asks S3 for: the endpoint family its host names, the bucket or
//! access point, the key and the action. The request syntax itself is parsed by
//! [`vpcsim_topology::request`].

use compact_str::CompactString;
use vpcsim_aws::{EndpointPrefix, Family, ServiceName};
pub use vpcsim_topology::request::{Request, RequestError};

/// The S3 endpoint family a host names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3Host {
    /// `bucket.vpce-…` (path-style) or `NAME.bucket.vpce-…` (virtual-hosted) of an interface endpoint.
    EndpointBucket {
        /// Virtual-hosted bucket name, if any.
        bucket: Option<String>,
    },
    /// `accesspoint.vpce-…` / `AP-ACCOUNT.accesspoint.vpce-…`.
    EndpointAccessPoint {
        /// `AP-ACCOUNT`, when given in the host.
        label: Option<String>,
    },
    /// `control.vpce-…`.
    EndpointControl,
    /// `s3.REGION.amazonaws.com` or `BUCKET.s3.REGION.amazonaws.com` (also dualstack).
    Regional {
        /// Region.
        region: String,
        /// Virtual-hosted bucket.
        bucket: Option<String>,
    },
    /// `s3.amazonaws.com` / `BUCKET.s3.amazonaws.com`: the legacy global endpoint.
    Global {
        /// Virtual-hosted bucket.
        bucket: Option<String>,
    },
    /// `s3-fips.REGION…`.
    Fips {
        /// Region.
        region: String,
        /// Virtual-hosted bucket.
        bucket: Option<String>,
    },
    /// `BUCKET.s3-website-REGION…` / `BUCKET.s3-website.REGION…`.
    Website {
        /// Region.
        region: String,
        /// Bucket.
        bucket: Option<String>,
    },
    /// `AP-ACCOUNT.s3-accesspoint.REGION.amazonaws.com`.
    AccessPoint {
        /// Region.
        region: String,
        /// `AP-ACCOUNT`.
        label: String,
    },
    /// `s3-control.REGION…` / `ACCOUNT.s3-control.REGION…`.
    Control {
        /// Region.
        region: String,
    },
    /// `AP-ACCOUNT.op-OUTPOST.s3-outposts.REGION.amazonaws.com`.
    Outposts {
        /// Region.
        region: String,
        /// `AP-ACCOUNT`.
        label: String,
        /// `op-…`.
        outpost: String,
    },
}

impl S3Host {
    /// Recognises an S3 host name (a [`ServiceName`] of S3 or S3 on Outposts, as the AWS
    /// vocabulary writes them); `None` for other services and for names AWS does not have.
    pub fn parse(host: &str) -> Option<S3Host> {
        // Every S3 family's name carries `s3` (`s3.`, `s3-…`, `s3-outposts`): other hosts (most
        // of a trace's non-S3 requests) are ruled out without trying every template.
        // Read where it lies (a name is a few hundred bytes, not worth moving).
        let parsed = ServiceName::parse_s3(host);
        let name = parsed.as_ref()?;
        // Only the parts a variant carries are copied out of the host.
        let region = || name.region.to_string();
        let bucket = || name.resource.as_deref().map(str::to_string);
        if name.family == Family::OutpostsAccessPoint {
            return Some(S3Host::Outposts {
                region: region(),
                label: bucket()?,
                outpost: name.outpost.as_deref()?.to_string(),
            });
        }
        if name.service != "s3" {
            return None;
        }
        Some(match name.family {
            Family::Endpoint | Family::EndpointZonal => match name.prefix() {
                Some(EndpointPrefix::Bucket) => S3Host::EndpointBucket { bucket: bucket() },
                Some(EndpointPrefix::AccessPoint) => {
                    S3Host::EndpointAccessPoint { label: bucket() }
                }
                Some(EndpointPrefix::Control) => S3Host::EndpointControl,
                // The bare Regional/zonal name serves bucket requests too.
                None => S3Host::EndpointBucket { bucket: None },
            },
            Family::Regional | Family::DualStack => S3Host::Regional {
                region: region(),
                bucket: bucket(),
            },
            Family::Global => S3Host::Global { bucket: bucket() },
            Family::Fips | Family::FipsDualStack => S3Host::Fips {
                region: region(),
                bucket: bucket(),
            },
            Family::Website => S3Host::Website {
                region: region(),
                bucket: bucket(),
            },
            Family::AccessPoint => S3Host::AccessPoint {
                region: region(),
                label: bucket()?,
            },
            Family::Control => S3Host::Control { region: region() },
            Family::OutpostsAccessPoint => return None,
        })
    }

    /// True for the names S3 interface endpoints do not serve (FIPS, website, legacy global).
    pub fn unsupported_through_interface_endpoint(&self) -> Option<&'static str> {
        match self {
            S3Host::Fips { .. } => Some("FIPS endpoints"),
            S3Host::Website { .. } => Some("website endpoints"),
            S3Host::Global { .. } => Some("the legacy global endpoint (s3.amazonaws.com)"),
            _ => None,
        }
    }

    /// The highest TLS version this name negotiates: S3 supports TLS 1.3 on all its endpoints
    /// except AWS PrivateLink for S3 (S3 User Guide, "Protecting data in transit with
    /// encryption"), so interface endpoint (`vpce`) names stop at TLS 1.2.
    pub fn max_tls(&self) -> TlsVersion {
        match self {
            S3Host::EndpointBucket { .. }
            | S3Host::EndpointAccessPoint { .. }
            | S3Host::EndpointControl => TlsVersion::Tls12,
            _ => TlsVersion::Tls13,
        }
    }

    /// The Region the host names, when it names one.
    pub fn region(&self) -> Option<&str> {
        match self {
            S3Host::Regional { region, .. }
            | S3Host::Fips { region, .. }
            | S3Host::Website { region, .. }
            | S3Host::AccessPoint { region, .. }
            | S3Host::Control { region }
            | S3Host::Outposts { region, .. } => Some(region),
            S3Host::Global { .. } => Some("us-east-1"),
            _ => None,
        }
    }
}

/// A TLS version S3 negotiates (it refuses TLS 1.0 and 1.1 on every endpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.2.
    Tls12,
    /// TLS 1.3.
    Tls13,
}

impl TlsVersion {
    /// `1.2` or `1.3` (also `TLSv1.2`, `tls1.3`); `None` for a version S3 does not negotiate.
    pub fn parse(text: &str) -> Option<TlsVersion> {
        let t = text.trim().to_ascii_lowercase();
        let t = t.trim_start_matches("tlsv").trim_start_matches("tls");
        match t {
            "1.2" => Some(TlsVersion::Tls12),
            "1.3" => Some(TlsVersion::Tls13),
            _ => None,
        }
    }

    /// As `s3:TlsVersion` carries it (`1.2`, `1.3`).
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "1.2",
            TlsVersion::Tls13 => "1.3",
        }
    }
}

/// How a signed request authenticates, as S3's condition keys `s3:authType` (`REST-HEADER`,
/// `REST-QUERY-STRING`) and `s3:signatureversion` (`AWS4-HMAC-SHA256` for Signature Version 4,
/// `AWS` for Signature Version 2) say it ("Amazon S3 Signature Version 4 Authentication Specific
/// Policy Keys", S3 API Reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// SigV4 in the `Authorization` header (what the aws CLI and the SDKs send).
    Header,
    /// SigV2 in the `Authorization` header (`AWS AKID:signature`).
    HeaderV2,
    /// A SigV4 presigned URL: `X-Amz-Algorithm=AWS4-HMAC-SHA256`, `X-Amz-Credential` and
    /// `X-Amz-Signature` in the query.
    Query,
    /// A SigV2 presigned URL: `AWSAccessKeyId`, `Signature` and `Expires` in the query.
    QueryV2,
}

impl Signing {
    /// How a signed request with this query string and these headers (names in lowercase) is
    /// signed: a presignature in the query when it has every parameter of one (SigV4's checked
    /// first), else the `Authorization` header's scheme, else SigV4 in the header. Query parameter
    /// names compare with case, as S3 reads them.
    pub fn of(query: &str, headers: &[(String, String)]) -> Signing {
        let param = |name: &str| vpcsim_topology::request::query_param(query, name);
        // Most requests have no query: no parameter to look for.
        if !query.is_empty() {
            if param("X-Amz-Algorithm") == Some("AWS4-HMAC-SHA256")
                && param("X-Amz-Credential").is_some()
                && param("X-Amz-Signature").is_some()
            {
                return Signing::Query;
            }
            if param("AWSAccessKeyId").is_some()
                && param("Signature").is_some()
                && param("Expires").is_some()
            {
                return Signing::QueryV2;
            }
        }
        let scheme = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, v)| v.split_whitespace().next());
        match scheme {
            Some("AWS") => Signing::HeaderV2,
            _ => Signing::Header,
        }
    }

    /// Its `s3:authType`.
    pub fn auth_type(self) -> &'static str {
        match self {
            Signing::Header | Signing::HeaderV2 => "REST-HEADER",
            Signing::Query | Signing::QueryV2 => "REST-QUERY-STRING",
        }
    }

    /// Its `s3:signatureversion`.
    pub fn version(self) -> &'static str {
        match self {
            Signing::Header | Signing::Query => "AWS4-HMAC-SHA256",
            Signing::HeaderV2 | Signing::QueryV2 => "AWS",
        }
    }
}

/// Whether the engine reads this request header (a name, compared without case): a header S3
/// turns into a condition key (`x-amz-server-side-encryption`, `x-amz-acl`…), or
/// `authorization`, whose scheme says how the request is signed ([`Signing`]). An edge that
/// passes a client's headers passes these.
pub fn reads_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("authorization")
        || vpcsim_policy::catalog::header_keys("s3:PutObject")
            .iter()
            .any(|k| k[3..].eq_ignore_ascii_case(name))
}

/// What an S3 request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Call {
    /// The bucket name (path-style or virtual-hosted), when a bucket is addressed.
    pub bucket: Option<CompactString>,
    /// `AP-ACCOUNT` of an access point host.
    pub access_point: Option<CompactString>,
    /// Object key (empty for bucket-level calls). Bucket names, access point labels and most keys
    /// are short: a `CompactString` keeps up to 24 bytes inline, so a call allocates nothing.
    pub key: CompactString,
    /// IAM action (`s3:GetObject`).
    pub action: &'static str,
}

/// Whether the query has the parameter `k` (with or without a value).
fn has_param(query: &str, k: &str) -> bool {
    vpcsim_topology::request::query_param(query, k).is_some()
}

/// The S3 action a method, key and query mean (AWS's "Actions, resources, and condition keys for S3";
/// the multipart calls as "Multipart upload API and permissions" in the S3 User Guide lists them:
/// CreateMultipartUpload, UploadPart and CompleteMultipartUpload are `s3:PutObject`). For S3
/// Control, `key` is the path after the host (`v20180820/jobs`).
pub fn s3_action(
    method: &str,
    has_bucket: bool,
    key: &str,
    query: &str,
    control: bool,
) -> &'static str {
    // Most requests have no query: then no parameter is looked for.
    let has = |k: &str| !query.is_empty() && has_param(query, k);
    if control {
        let rest = key.strip_prefix("v20180820/").unwrap_or(key);
        match rest.split('/').collect::<Vec<_>>().as_slice() {
            ["accesspoint"] => "s3:ListAccessPoints",
            ["accesspoint", _] => match method {
                "PUT" => "s3:CreateAccessPoint",
                "DELETE" => "s3:DeleteAccessPoint",
                _ => "s3:GetAccessPoint",
            },
            ["accesspoint", _, "policy"] => match method {
                "PUT" => "s3:PutAccessPointPolicy",
                "DELETE" => "s3:DeleteAccessPointPolicy",
                _ => "s3:GetAccessPointPolicy",
            },
            _ => "s3:ListJobs",
        }
    } else if !has_bucket {
        "s3:ListAllMyBuckets"
    } else if has("policy") {
        match method {
            "PUT" => "s3:PutBucketPolicy",
            "DELETE" => "s3:DeleteBucketPolicy",
            _ => "s3:GetBucketPolicy",
        }
    } else if key.is_empty() {
        let put = matches!(method, "PUT" | "DELETE");
        // A bucket subresource: (query key, action to read, action to write). A DELETE of a
        // configuration is authorized as its PUT, except the website's.
        const SUBRESOURCES: &[(&str, &str, &str)] = &[
            ("acl", "s3:GetBucketAcl", "s3:PutBucketAcl"),
            ("tagging", "s3:GetBucketTagging", "s3:PutBucketTagging"),
            (
                "versioning",
                "s3:GetBucketVersioning",
                "s3:PutBucketVersioning",
            ),
            ("cors", "s3:GetBucketCORS", "s3:PutBucketCORS"),
            (
                "lifecycle",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
            ),
            (
                "encryption",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
            ),
            (
                "publicAccessBlock",
                "s3:GetBucketPublicAccessBlock",
                "s3:PutBucketPublicAccessBlock",
            ),
            (
                "ownershipControls",
                "s3:GetBucketOwnershipControls",
                "s3:PutBucketOwnershipControls",
            ),
            ("logging", "s3:GetBucketLogging", "s3:PutBucketLogging"),
            (
                "notification",
                "s3:GetBucketNotification",
                "s3:PutBucketNotification",
            ),
            (
                "replication",
                "s3:GetReplicationConfiguration",
                "s3:PutReplicationConfiguration",
            ),
            (
                "object-lock",
                "s3:GetBucketObjectLockConfiguration",
                "s3:PutBucketObjectLockConfiguration",
            ),
            (
                "accelerate",
                "s3:GetAccelerateConfiguration",
                "s3:PutAccelerateConfiguration",
            ),
            (
                "requestPayment",
                "s3:GetBucketRequestPayment",
                "s3:PutBucketRequestPayment",
            ),
            (
                "policyStatus",
                "s3:GetBucketPolicyStatus",
                "s3:GetBucketPolicyStatus",
            ),
        ];
        if has("website") {
            return match method {
                "PUT" => "s3:PutBucketWebsite",
                "DELETE" => "s3:DeleteBucketWebsite",
                _ => "s3:GetBucketWebsite",
            };
        }
        if let Some((_, read, write)) = SUBRESOURCES.iter().find(|(q, _, _)| has(q)) {
            return if put { write } else { read };
        }
        match method {
            "PUT" => "s3:CreateBucket",
            "DELETE" => "s3:DeleteBucket",
            // DeleteObjects is authorized as s3:DeleteObject for each key.
            "POST" if has("delete") => "s3:DeleteObject",
            _ if has("location") => "s3:GetBucketLocation",
            _ if has("versions") => "s3:ListBucketVersions",
            _ if has("uploads") => "s3:ListBucketMultipartUploads",
            _ => "s3:ListBucket",
        }
    } else if has("uploadId") && method == "DELETE" {
        "s3:AbortMultipartUpload"
    } else if has("uploadId") && method == "GET" {
        "s3:ListMultipartUploadParts"
    } else if has("restore") && method == "POST" {
        "s3:RestoreObject"
    } else {
        // An object call; with `versionId` it acts on that version, which S3 authorizes as the
        // `…Version…` action.
        let version = has("versionId");
        let pick =
            |plain: &'static str, versioned: &'static str| if version { versioned } else { plain };
        if has("tagging") {
            match method {
                "PUT" => pick("s3:PutObjectTagging", "s3:PutObjectVersionTagging"),
                "DELETE" => pick("s3:DeleteObjectTagging", "s3:DeleteObjectVersionTagging"),
                _ => pick("s3:GetObjectTagging", "s3:GetObjectVersionTagging"),
            }
        } else if has("acl") {
            match method {
                "PUT" => pick("s3:PutObjectAcl", "s3:PutObjectVersionAcl"),
                _ => pick("s3:GetObjectAcl", "s3:GetObjectVersionAcl"),
            }
        } else if has("retention") {
            if method == "PUT" {
                "s3:PutObjectRetention"
            } else {
                "s3:GetObjectRetention"
            }
        } else if has("legal-hold") {
            if method == "PUT" {
                "s3:PutObjectLegalHold"
            } else {
                "s3:GetObjectLegalHold"
            }
        } else if has("attributes") {
            pick("s3:GetObjectAttributes", "s3:GetObjectVersionAttributes")
        } else {
            match method {
                "PUT" | "POST" => "s3:PutObject",
                "DELETE" => pick("s3:DeleteObject", "s3:DeleteObjectVersion"),
                _ => pick("s3:GetObject", "s3:GetObjectVersion"),
            }
        }
    }
}

impl S3Call {
    /// Works out bucket, key and action from a parsed host and the request.
    pub fn new(host: &S3Host, req: &Request) -> S3Call {
        let path = req.decoded_path().trim_start_matches('/');
        let (vh_bucket, access_point, control) = match host {
            S3Host::EndpointBucket { bucket }
            | S3Host::Regional { bucket, .. }
            | S3Host::Global { bucket }
            | S3Host::Fips { bucket, .. }
            | S3Host::Website { bucket, .. } => (bucket.as_deref(), None, false),
            S3Host::EndpointAccessPoint { label } => (None, label.as_deref(), false),
            S3Host::AccessPoint { label, .. } | S3Host::Outposts { label, .. } => {
                (None, Some(label.as_str()), false)
            }
            S3Host::EndpointControl | S3Host::Control { .. } => (None, None, true),
        };
        let access_point = access_point.map(CompactString::from);
        let (bucket, key) = if control || access_point.is_some() {
            (None, CompactString::from(path))
        } else if let Some(b) = vh_bucket {
            (Some(CompactString::from(b)), CompactString::from(path))
        } else {
            // A byte loop: a bucket name is a few bytes, shorter than a search call is worth.
            match path
                .bytes()
                .position(|b| b == b'/')
                .map(|i| (&path[..i], &path[i + 1..]))
            {
                Some((b, k)) => (
                    (!b.is_empty()).then(|| CompactString::from(b)),
                    CompactString::from(k),
                ),
                None => (
                    (!path.is_empty()).then(|| CompactString::from(path)),
                    CompactString::default(),
                ),
            }
        };
        let addressed = bucket.is_some() || access_point.is_some();
        let action = s3_action(req.method, addressed, &key, req.query(), control);
        S3Call {
            bucket,
            access_point,
            key,
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_s3_hosts_and_actions() {
        let cases = [
            (
                "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                "/b/k",
                "GET",
                Some("b"),
                "k",
                "s3:GetObject",
            ),
            (
                "b.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                "/k/x",
                "PUT",
                Some("b"),
                "k/x",
                "s3:PutObject",
            ),
            (
                "s3.us-east-1.amazonaws.com",
                "/b",
                "GET",
                Some("b"),
                "",
                "s3:ListBucket",
            ),
            (
                "my.bucket.s3.us-west-2.amazonaws.com",
                "/k",
                "DELETE",
                Some("my.bucket"),
                "k",
                "s3:DeleteObject",
            ),
            (
                "s3.amazonaws.com",
                "/",
                "GET",
                None,
                "",
                "s3:ListAllMyBuckets",
            ),
        ];
        for (host, path, method, bucket, key, action) in cases {
            let req = Request::parse(&format!("{method} https://{host}{path}")).unwrap();
            let h = S3Host::parse(host).unwrap();
            let call = S3Call::new(&h, &req);
            assert_eq!(
                (call.bucket.as_deref(), call.key.as_str(), call.action),
                (bucket, key, action),
                "{host}{path}"
            );
        }
        assert_eq!(
            S3Host::parse("s3.amazonaws.com"),
            Some(S3Host::Global { bucket: None })
        );
        assert!(
            S3Host::parse("x.s3-website-us-east-1.amazonaws.com")
                .unwrap()
                .unsupported_through_interface_endpoint()
                .is_some()
        );
        assert!(matches!(
            S3Host::parse(
                "reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com"
            ),
            Some(S3Host::Outposts { .. })
        ));
        assert_eq!(S3Host::parse("sts.us-east-1.amazonaws.com"), None);
        // Names come from the vocabulary: every partition, every family, exactly as AWS writes
        // them.
        let region = |host: &str| S3Host::parse(host).and_then(|h| h.region().map(str::to_string));
        assert_eq!(
            S3Host::parse("b.s3.cn-north-1.amazonaws.com.cn"),
            Some(S3Host::Regional {
                region: "cn-north-1".into(),
                bucket: Some("b".into())
            })
        );
        assert_eq!(
            S3Host::parse("b.s3-fips.dualstack.us-east-1.amazonaws.com"),
            Some(S3Host::Fips {
                region: "us-east-1".into(),
                bucket: Some("b".into())
            })
        );
        assert_eq!(
            region("b.s3.dualstack.eu-west-1.amazonaws.com").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(
            region("site.s3-website.eu-central-1.amazonaws.com").as_deref(),
            Some("eu-central-1")
        );
        assert_eq!(
            S3Host::parse(
                "123456789012.control.vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com"
            ),
            Some(S3Host::EndpointControl)
        );
        assert_eq!(
            S3Host::parse("ap-123456789012.s3-accesspoint.us-east-1.amazonaws.com"),
            Some(S3Host::AccessPoint {
                region: "us-east-1".into(),
                label: "ap-123456789012".into()
            })
        );
        // The fast rejection above holds for every family the vocabulary has.
        for family in vpcsim_aws::Family::ALL {
            let name = match family {
                Family::Endpoint | Family::EndpointZonal => ServiceName::endpoint(
                    "s3",
                    "eu-west-1",
                    "vpce-1",
                    "a",
                    (family == Family::EndpointZonal).then(|| "eu-west-1a".into()),
                ),
                Family::OutpostsAccessPoint => {
                    ServiceName::outposts_access_point("eu-west-1", "op-1", "ap-123456789012")
                }
                f => ServiceName::new(f, "s3", "us-east-1"),
            };
            assert!(name.render().contains("s3"), "{name}");
        }
        for not_s3 in [
            // Written otherwise than AWS writes them.
            "site.s3-website.us-east-1.amazonaws.com",
            "s3.cn-north-1.amazonaws.com",
            "objects.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            // Other services.
            "vpce-1a2b3c4d-5e6f.sts.us-east-1.vpce.amazonaws.com",
            "s3-outposts.us-west-2.amazonaws.com",
            "s3-accesspoint.us-east-1.amazonaws.com",
        ] {
            assert_eq!(S3Host::parse(not_s3), None, "{not_s3}");
        }
        assert_eq!(
            s3_action("POST", true, "k", "restore", false),
            "s3:RestoreObject"
        );
    }

    /// Subresources and versions, as the S3 API reference's "Permissions" section of each
    /// operation names the action.
    #[test]
    fn subresources_and_versions_name_their_actions() {
        for (method, key, query, action) in [
            ("GET", "", "acl", "s3:GetBucketAcl"),
            ("PUT", "", "acl", "s3:PutBucketAcl"),
            ("GET", "k", "acl", "s3:GetObjectAcl"),
            ("PUT", "k", "acl", "s3:PutObjectAcl"),
            ("PUT", "k", "acl&versionId=v1", "s3:PutObjectVersionAcl"),
            ("GET", "k", "versionId=v1", "s3:GetObjectVersion"),
            ("HEAD", "k", "versionId=v1", "s3:GetObjectVersion"),
            ("DELETE", "k", "versionId=v1", "s3:DeleteObjectVersion"),
            (
                "GET",
                "k",
                "tagging&versionId=v1",
                "s3:GetObjectVersionTagging",
            ),
            ("DELETE", "", "tagging", "s3:PutBucketTagging"),
            ("DELETE", "", "cors", "s3:PutBucketCORS"),
            ("DELETE", "", "lifecycle", "s3:PutLifecycleConfiguration"),
            ("DELETE", "", "website", "s3:DeleteBucketWebsite"),
            ("GET", "", "versioning", "s3:GetBucketVersioning"),
            ("PUT", "", "encryption", "s3:PutEncryptionConfiguration"),
            ("GET", "", "policyStatus", "s3:GetBucketPolicyStatus"),
            ("PUT", "k", "retention", "s3:PutObjectRetention"),
            ("GET", "k", "legal-hold", "s3:GetObjectLegalHold"),
            ("GET", "k", "attributes", "s3:GetObjectAttributes"),
            ("GET", "", "list-type=2&prefix=a", "s3:ListBucket"),
            ("POST", "k", "uploads", "s3:PutObject"),
        ] {
            assert_eq!(
                s3_action(method, true, key, query, false),
                action,
                "{method} {key}?{query}"
            );
        }
    }

    #[test]
    fn signing_follows_the_query_and_the_authorization_header() {
        let auth = |v: &str| vec![("authorization".to_string(), v.to_string())];
        let v4 = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abc";
        assert_eq!(Signing::of(v4, &[]), Signing::Query);
        assert_eq!(
            Signing::of(
                "AWSAccessKeyId=AKID&Expires=1700000000&Signature=abc%3D",
                &[]
            ),
            Signing::QueryV2
        );
        assert_eq!(Signing::of("", &auth("AWS AKID:abc=")), Signing::HeaderV2);
        assert_eq!(
            Signing::of("", &auth("AWS4-HMAC-SHA256 Credential=AKID/…")),
            Signing::Header
        );
        assert_eq!(Signing::of("", &[]), Signing::Header);
        // Incomplete or miscased presignatures are parameters, not signatures.
        assert_eq!(
            Signing::of("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc", &[]),
            Signing::Header
        );
        assert_eq!(
            Signing::of(
                "x-amz-algorithm=AWS4-HMAC-SHA256&x-amz-credential=a&x-amz-signature=b",
                &[]
            ),
            Signing::Header
        );
        assert_eq!(
            (Signing::QueryV2.auth_type(), Signing::QueryV2.version()),
            ("REST-QUERY-STRING", "AWS")
        );
        assert!(reads_header("X-Amz-Server-Side-Encryption"));
        assert!(reads_header("authorization"));
        assert!(!reads_header("user-agent"));
    }
}

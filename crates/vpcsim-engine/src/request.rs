//! Recognising what a request asks S3 for: the endpoint family its host names, the bucket or
//! access point, the key and the action. The request syntax itself is parsed by
//! [`vpcsim_topology::request`].

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
    /// Recognises an S3 host name; `None` for other services.
    pub fn parse(host: &str) -> Option<S3Host> {
        if let Some(i) = host.find("vpce-")
            && host.ends_with(".vpce.amazonaws.com")
        {
            let before = host[..i].trim_end_matches('.');
            let service = host[i..].split('.').nth(1).unwrap_or("");
            if service != "s3" {
                return None;
            }
            let (prefix_label, kind) = match before.rsplit_once('.') {
                Some((l, k)) => (Some(l.to_string()), k),
                None => (None, before),
            };
            return Some(match kind {
                "bucket" => S3Host::EndpointBucket {
                    bucket: prefix_label,
                },
                "accesspoint" => S3Host::EndpointAccessPoint {
                    label: prefix_label,
                },
                "control" => S3Host::EndpointControl,
                // The bare Regional/zonal name serves bucket requests too.
                _ => S3Host::EndpointBucket { bucket: None },
            });
        }
        let rest = host.strip_suffix(".amazonaws.com")?;
        let labels: Vec<&str> = rest.split('.').collect();
        // Outposts: AP-ACCOUNT.op-ID.s3-outposts.REGION
        if let Some(pos) = labels.iter().position(|l| *l == "s3-outposts") {
            let region = labels.get(pos + 1)?.to_string();
            if pos >= 2 && labels[pos - 1].starts_with("op-") {
                return Some(S3Host::Outposts {
                    region,
                    label: labels[pos - 2].to_string(),
                    outpost: labels[pos - 1].to_string(),
                });
            }
            return None;
        }
        let bucket_before = |pos: usize| (pos > 0).then(|| labels[..pos].join("."));
        if let Some(pos) = labels.iter().position(|l| *l == "s3-accesspoint") {
            let region = labels.get(pos + 1)?.to_string();
            return Some(S3Host::AccessPoint {
                region,
                label: bucket_before(pos)?,
            });
        }
        if let Some(pos) = labels.iter().position(|l| *l == "s3-control") {
            return Some(S3Host::Control {
                region: labels.get(pos + 1)?.to_string(),
            });
        }
        if let Some(pos) = labels.iter().position(|l| *l == "s3-fips") {
            return Some(S3Host::Fips {
                region: labels.get(pos + 1)?.to_string(),
                bucket: bucket_before(pos),
            });
        }
        if let Some(pos) = labels.iter().position(|l| l.starts_with("s3-website")) {
            let region = match labels[pos].strip_prefix("s3-website-") {
                Some(r) => r.to_string(),
                None => labels.get(pos + 1)?.to_string(),
            };
            return Some(S3Host::Website {
                region,
                bucket: bucket_before(pos),
            });
        }
        if let Some(pos) = labels.iter().rposition(|l| *l == "s3") {
            let after: Vec<&str> = labels[pos + 1..]
                .iter()
                .copied()
                .filter(|l| *l != "dualstack")
                .collect();
            return Some(match after.first() {
                None => S3Host::Global {
                    bucket: bucket_before(pos),
                },
                Some(region) => S3Host::Regional {
                    region: region.to_string(),
                    bucket: bucket_before(pos),
                },
            });
        }
        None
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

/// What an S3 request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Call {
    /// The bucket name (path-style or virtual-hosted), when a bucket is addressed.
    pub bucket: Option<String>,
    /// `AP-ACCOUNT` of an access point host.
    pub access_point: Option<String>,
    /// Object key (empty for bucket-level calls).
    pub key: String,
    /// IAM action (`s3:GetObject`).
    pub action: String,
}

/// The S3 action a method, key and query mean (AWS's "Actions, resources, and condition keys for S3").
pub fn s3_action(method: &str, has_bucket: bool, key: &str, query: &str, control: bool) -> String {
    let has = |k: &str| {
        query
            .split('&')
            .any(|p| p.split('=').next().unwrap_or("") == k)
    };
    let a = if control {
        "ListJobs"
    } else if !has_bucket {
        "ListAllMyBuckets"
    } else if has("policy") {
        match method {
            "PUT" => "PutBucketPolicy",
            "DELETE" => "DeleteBucketPolicy",
            _ => "GetBucketPolicy",
        }
    } else if key.is_empty() {
        match method {
            "PUT" => "CreateBucket",
            "DELETE" => "DeleteBucket",
            _ if has("versions") => "ListBucketVersions",
            _ if has("uploads") => "ListBucketMultipartUploads",
            _ => "ListBucket",
        }
    } else if has("restore") && method == "POST" {
        "RestoreObject"
    } else if has("tagging") {
        match method {
            "PUT" => "PutObjectTagging",
            "DELETE" => "DeleteObjectTagging",
            _ => "GetObjectTagging",
        }
    } else {
        match method {
            "PUT" | "POST" => "PutObject",
            "DELETE" => "DeleteObject",
            _ => "GetObject",
        }
    };
    ["s3:", a].concat()
}

impl S3Call {
    /// Works out bucket, key and action from a parsed host and the request.
    pub fn new(host: &S3Host, req: &Request) -> S3Call {
        let decoded = req.decoded_path();
        let path = decoded.trim_start_matches('/');
        let (vh_bucket, access_point, control) = match host {
            S3Host::EndpointBucket { bucket }
            | S3Host::Regional { bucket, .. }
            | S3Host::Global { bucket }
            | S3Host::Fips { bucket, .. }
            | S3Host::Website { bucket, .. } => (bucket.clone(), None, false),
            S3Host::EndpointAccessPoint { label } => (None, label.clone(), false),
            S3Host::AccessPoint { label, .. } | S3Host::Outposts { label, .. } => {
                (None, Some(label.clone()), false)
            }
            S3Host::EndpointControl | S3Host::Control { .. } => (None, None, true),
        };
        let (bucket, key) = if control || access_point.is_some() {
            (None, path.to_string())
        } else if let Some(b) = vh_bucket {
            (Some(b), path.to_string())
        } else {
            match path.split_once('/') {
                Some((b, k)) => (Some(b.to_string()).filter(|b| !b.is_empty()), k.to_string()),
                None => (
                    Some(path.to_string()).filter(|b| !b.is_empty()),
                    String::new(),
                ),
            }
        };
        let addressed = bucket.is_some() || access_point.is_some();
        let action = s3_action(&req.method, addressed, &key, &req.query, control);
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
            let req = Request {
                text: String::new(),
                method: method.into(),
                scheme: "https".into(),
                host: host.into(),
                port: 443,
                path: path.into(),
                query: String::new(),
            };
            let h = S3Host::parse(host).unwrap();
            let call = S3Call::new(&h, &req);
            assert_eq!(
                (
                    call.bucket.as_deref(),
                    call.key.as_str(),
                    call.action.as_str()
                ),
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
        assert_eq!(
            s3_action("POST", true, "k", "restore", false),
            "s3:RestoreObject"
        );
    }
}

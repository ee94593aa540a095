//! S3 Control requests (`ACCOUNT.control.vpce-…`, `ACCOUNT.s3-control.REGION.amazonaws.com`,
//! path `/v20180820/…`): decided by the engine like any request, then answered from the topology
//! (`ListJobs`: the topology has no Batch Operations jobs, so an empty list; `ListAccessPoints`,
//! `GetAccessPoint`, `GetAccessPointPolicy`: the account's access points of the topology).

use std::sync::Weak;

use hyper::http::Extensions;
use hyper::{HeaderMap, Method, Uri};
use s3s::route::S3Route;
use s3s::{Body, S3Request, S3Response, S3Result, s3_error};

use crate::Core;

/// The S3 Control route.
pub struct Control(pub(crate) Weak<Core>);

#[async_trait::async_trait]
impl S3Route for Control {
    fn is_match(&self, _m: &Method, uri: &Uri, _h: &HeaderMap, _e: &mut Extensions) -> bool {
        uri.path().starts_with("/v20180820/")
    }

    async fn check_access(&self, req: &mut S3Request<Body>) -> S3Result<()> {
        let core = self
            .0
            .upgrade()
            .ok_or_else(|| s3_error!(ServiceUnavailable))?;
        let who = req
            .credentials
            .as_ref()
            .and_then(|c| core.keys().get(&c.access_key).map(|(p, _)| p));
        core.check_route(req, who)
    }

    async fn call(&self, req: S3Request<Body>) -> S3Result<S3Response<Body>> {
        let core = self
            .0
            .upgrade()
            .ok_or_else(|| s3_error!(ServiceUnavailable))?;
        let path = req.uri.path().trim_end_matches('/');
        let rest = path.strip_prefix("/v20180820/").unwrap_or("");
        let parts: Vec<&str> = rest.split('/').collect();
        let account = req
            .headers
            .get("x-amz-account-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        if req.method == Method::GET {
            let body = match parts.as_slice() {
                ["jobs"] => Some("<ListJobsResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><Jobs/></ListJobsResult>".to_string()),
                ["accesspoint"] => {
                    let bucket = req
                        .uri
                        .query()
                        .and_then(|q| vpcsim_topology::request::query_param(q, "bucket"));
                    Some(list_access_points(&core, &account, bucket))
                }
                ["accesspoint", name] => Some(access_point(&core, &account, name, false)?),
                ["accesspoint", name, "policy"] => Some(access_point(&core, &account, name, true)?),
                _ => None,
            };
            if let Some(body) = body {
                let xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}");
                let mut r = S3Response::new(Body::from(xml));
                r.headers.insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/xml"),
                );
                return Ok(r);
            }
        }
        Err(s3_error!(
            NotImplemented,
            "vpcsim answers ListJobs, ListAccessPoints, GetAccessPoint and GetAccessPointPolicy of S3 Control; {} {} is not emulated",
            req.method,
            path
        ))
    }
}

/// Text for XML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn account_of(topo: &vpcsim_topology::Topology, a: vpcsim_topology::model::AccountId) -> &str {
    topo.accounts.get(a.index()).map_or("", |x| x.id.as_str())
}

/// An access point's elements shared by ListAccessPoints and GetAccessPoint.
fn elements(topo: &vpcsim_topology::Topology, a: &vpcsim_topology::model::AccessPoint) -> String {
    let bucket = &topo.buckets[a.bucket.index()];
    let account = account_of(topo, a.account);
    let region = topo
        .regions
        .get(bucket.region.index())
        .map_or("", |r| r.name.as_str());
    let vpc = match a.vpc {
        Some(v) => format!(
            "<VpcConfiguration><VpcId>{}</VpcId></VpcConfiguration>",
            esc(&topo.vpcs[v.index()].aws_id)
        ),
        None => String::new(),
    };
    let origin = match a.network_origin {
        vpcsim_topology::model::NetworkOrigin::Vpc => "VPC",
        vpcsim_topology::model::NetworkOrigin::Internet => "Internet",
    };
    format!(
        "<Name>{name}</Name><NetworkOrigin>{origin}</NetworkOrigin>{vpc}<Bucket>{bucket}</Bucket><AccessPointArn>arn:aws:s3:{region}:{account}:accesspoint/{name}</AccessPointArn><BucketAccountId>{owner}</BucketAccountId>",
        name = esc(&a.name),
        bucket = esc(&bucket.name),
        owner = esc(account_of(topo, bucket.account)),
    )
}

fn list_access_points(core: &Core, account: &str, bucket: Option<&str>) -> String {
    let snap = core.shared.current();
    let topo = snap.topology();
    let items: String = topo
        .access_points
        .iter()
        .filter(|a| topo.buckets[a.bucket.index()].outpost.is_none())
        .filter(|a| account_of(topo, a.account) == account)
        .filter(|a| bucket.is_none_or(|b| topo.buckets[a.bucket.index()].name == b))
        .map(|a| format!("<AccessPoint>{}</AccessPoint>", elements(topo, a)))
        .collect();
    format!(
        "<ListAccessPointsResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><AccessPointList>{items}</AccessPointList></ListAccessPointsResult>"
    )
}

fn access_point(core: &Core, account: &str, name: &str, policy: bool) -> S3Result<String> {
    let snap = core.shared.current();
    let topo = snap.topology();
    let a = topo
        .access_points
        .iter()
        .filter(|a| topo.buckets[a.bucket.index()].outpost.is_none())
        .find(|a| a.name == name && account_of(topo, a.account) == account)
        .ok_or_else(|| {
            s3_error!(
                NoSuchAccessPoint,
                "The specified accesspoint does not exist"
            )
        })?;
    if !policy {
        return Ok(format!(
            "<GetAccessPointResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\">{}</GetAccessPointResult>",
            elements(topo, a)
        ));
    }
    let p = a.policy.as_ref().ok_or_else(|| {
        let mut e = s3s::S3Error::with_message(
            s3s::S3ErrorCode::Custom("NoSuchAccessPointPolicy".into()),
            "The specified accesspoint policy does not exist",
        );
        e.set_status_code(hyper::StatusCode::NOT_FOUND);
        e
    })?;
    Ok(format!(
        "<GetAccessPointPolicyResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><Policy>{}</Policy></GetAccessPointPolicyResult>",
        esc(&vpcsim_report::json::policy(p).to_string())
    ))
}

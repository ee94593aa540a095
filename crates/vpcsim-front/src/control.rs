//! S3 Control requests (`ACCOUNT.control.vpce-…`, `ACCOUNT.s3-control.REGION.amazonaws.com`,
//! path `/v20180820/…`): decided by the engine like any request, then answered from the topology
//! (`ListJobs`: the topology has no Batch Operations jobs, so an empty list).

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
        let path = req.uri.path();
        if req.method == Method::GET && path == "/v20180820/jobs" {
            let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListJobsResult xmlns=\"http://awss3control.amazonaws.com/doc/2018-08-20/\"><Jobs/></ListJobsResult>";
            let mut r = S3Response::new(Body::from(xml.to_string()));
            r.headers.insert(
                hyper::header::CONTENT_TYPE,
                "application/xml"
                    .parse()
                    .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("application/xml")),
            );
            return Ok(r);
        }
        Err(s3_error!(
            NotImplemented,
            "vpcsim answers ListJobs of S3 Control; {} {} is not emulated",
            req.method,
            path
        ))
    }
}

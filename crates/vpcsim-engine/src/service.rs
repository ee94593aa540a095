//! The service step: what was reached, whether it serves this request, and what the policies say.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use vpcsim_policy::{Authorization, Caller, Context, Decision, Request as PolicyRequest};
use vpcsim_topology::model::{AccessPointId, BucketId, EniOwner, NetworkOrigin, PrincipalKind};

use crate::{Access, Disposition, Engine, S3Call, S3Host, Trace, Verdict};
use vpcsim_routing::{Arrival, Origin};

/// Ends the trace; the reason is written only when the trace is explained.
macro_rules! finish {
    ($quiet:expr, $t:expr, $disposition:expr, $code:expr, $reason:expr $(,)?) => {{
        let reason: String = if $quiet {
            String::new()
        } else {
            $reason.into()
        };
        let t: &mut Trace = $t;
        t.disposition = $disposition;
        t.code = $code;
        t.reason = reason;
    }};
}

/// Records a hop of the service step; its text is made only when the trace is explained.
macro_rules! hop {
    ($quiet:expr, $t:expr, $at:expr, $component:expr, $code:expr, $detail:expr $(,)?) => {
        push_hop!($quiet, $t.forward, $at, $component, $code, $detail, None)
    };
}

/// The labels policies are named by in verdicts (`endpoint s3-interface`, `bucket B`,
/// `access point A`, `identity apps/read`), made once per engine.
#[derive(Clone, Debug)]
pub(crate) struct Labels {
    endpoints: Vec<String>,
    buckets: Vec<String>,
    access_points: Vec<String>,
    /// Per principal, per identity policy.
    identity: Vec<Vec<String>>,
}

impl Labels {
    pub(crate) fn new(topo: &vpcsim_topology::Topology) -> Self {
        Labels {
            endpoints: topo
                .endpoints
                .iter()
                .map(|e| format!("endpoint {}", e.name))
                .collect(),
            buckets: topo
                .buckets
                .iter()
                .map(|b| format!("bucket {}", b.name))
                .collect(),
            access_points: topo
                .access_points
                .iter()
                .map(|a| format!("access point {}", a.name))
                .collect(),
            identity: topo
                .principals
                .iter()
                .map(|pr| {
                    pr.policies
                        .iter()
                        .map(|(n, _)| format!("identity {}/{n}", pr.name))
                        .collect()
                })
                .collect(),
        }
    }
}

/// The label an access point's hostname carries: `NAME-ACCOUNT`.
pub(crate) fn access_point_label(
    topo: &vpcsim_topology::Topology,
    ap: &vpcsim_topology::model::AccessPoint,
) -> String {
    vpcsim_aws::access_point_label(
        &ap.name,
        topo.accounts
            .get(ap.account.index())
            .map_or("", |x| x.id.as_str()),
    )
}

/// The Region and service a public address belongs to, from the AWS-managed prefix lists.
fn public_service(eng: &Engine, ip: IpAddr) -> Option<(String, String)> {
    // The prefix lists vpcsim knows are IPv4.
    let IpAddr::V4(ip) = ip else { return None };
    let topo = eng.topo;
    if let Some(pl) = topo
        .prefix_lists
        .iter()
        .find(|p| p.cidrs.iter().any(|c| c.contains(&ip)))
    {
        return Some((
            pl.service.clone(),
            topo.regions[pl.region.index()].name.clone(),
        ));
    }
    vpcsim_topology::services::PREFIX_LISTS
        .iter()
        .find(|p| {
            p.cidrs
                .iter()
                .any(|c| c.parse::<ipnet::Ipv4Net>().is_ok_and(|n| n.contains(&ip)))
        })
        .map(|p| (p.service.to_string(), p.region.to_string()))
        .or_else(|| {
            "198.18.0.0/15"
                .parse::<ipnet::Ipv4Net>()
                .ok()
                .filter(|n| n.contains(&ip))
                .map(|_| ("aws".to_string(), String::new()))
        })
}

/// `call` is the trace's S3 call (`t.s3`), passed apart so that `t` can be updated meanwhile.
pub(crate) fn reach<'e>(
    eng: &'e Engine<'_>,
    quiet: bool,
    t: &mut Trace,
    call: Option<&S3Call>,
    arrival: Arrival,
    origin: Origin,
    s3host: Option<&S3Host>,
) {
    let topo = eng.topo;
    // How the request reached the service, and the context that follows from it.
    let mut ctx = Context::new();
    ctx.set(
        "aws:SecureTransport",
        if t.request.scheme == "https" {
            "true"
        } else {
            "false"
        },
    );
    let mut endpoint = None;
    let region: Option<Cow<'e, str>>;
    match arrival {
        Arrival::Eni { eni, client_ip } => {
            let e = &topo.enis[eni.index()];
            match e.owner {
                EniOwner::Endpoint(ep) => {
                    let end = &topo.endpoints[ep.index()];
                    t.access = Some(Access::InterfaceEndpoint {
                        endpoint: ep,
                        eni_ip: IpAddr::V4(e.ip),
                        client_ip,
                    });
                    hop!(
                        quiet,
                        t,
                        format!("interface endpoint {}", end.name),
                        Some(end.name.clone()),
                        "endpoint.interface",
                        format!(
                            "the ENI {} of {} ({}) carries the request to {} over AWS PrivateLink",
                            e.ip, end.name, end.aws_id, end.service
                        ),
                    );
                    match s3host {
                        Some(_) if end.service != "s3" => {
                            return finish!(
                                quiet,
                                t,
                                Disposition::Unsupported,
                                "endpoint.wrong-service",
                                format!(
                                    "{} is an endpoint for {}, not for S3",
                                    end.name, end.service
                                ),
                            );
                        }
                        Some(h) => {
                            if let Some(what) = h.unsupported_through_interface_endpoint() {
                                return finish!(
                                    quiet,
                                    t,
                                    Disposition::Unsupported,
                                    "endpoint.unsupported-name",
                                    format!(
                                        "AWS PrivateLink for S3 does not support {what}; {} reached the interface endpoint {}",
                                        t.request.host, end.name
                                    ),
                                );
                            }
                        }
                        None => {
                            return finish_non_s3(quiet, t, &end.service);
                        }
                    }
                    region = Some(endpoint_context(topo, &mut ctx, end, client_ip));
                    endpoint = Some((
                        Cow::Borrowed(eng.labels.endpoints[ep.index()].as_str()),
                        end.policy.as_ref(),
                    ));
                }
                EniOwner::OutpostXeni(o, k) => {
                    let outpost = &topo.outposts[o.index()];
                    t.access = Some(Access::Outposts {
                        outpost: o,
                        xeni: k,
                        ip: IpAddr::V4(e.ip),
                        client_ip,
                    });
                    hop!(
                        quiet,
                        t,
                        format!("Outpost {}", outpost.name),
                        Some(outpost.name.clone()),
                        "outposts.xeni",
                        format!(
                            "X-ENI {} of the S3 on Outposts endpoint of {} ({})",
                            k + 1,
                            outpost.name,
                            outpost.aws_id
                        ),
                    );
                    let Some(S3Host::Outposts {
                        label, outpost: op, ..
                    }) = s3host
                    else {
                        return finish!(
                            quiet,
                            t,
                            Disposition::Unsupported,
                            "outposts.not-access-point",
                            format!(
                                "{} is an S3 on Outposts endpoint: Outposts buckets are reached only through a VPC-only access point name ({})",
                                e.ip,
                                vpcsim_aws::ServiceName::outposts_access_point(
                                    "REGION",
                                    outpost.aws_id.as_str(),
                                    "AP-ACCOUNT"
                                )
                            ),
                        );
                    };
                    if *op != outpost.aws_id {
                        return finish!(
                            quiet,
                            t,
                            Disposition::Unsupported,
                            "outposts.wrong-outpost",
                            format!(
                                "the request names Outpost {op} but reached the endpoint of {}",
                                outpost.aws_id
                            ),
                        );
                    }
                    match origin {
                        Origin::Host { .. }
                            if outpost.access_type
                                == vpcsim_topology::model::AccessType::Private =>
                        {
                            return finish!(
                                quiet,
                                t,
                                Disposition::Unsupported,
                                "outposts.private-access-type",
                                format!(
                                    "the S3 on Outposts endpoint of {} has access type Private: it accepts requests from VPC {} only; use CustomerOwnedIp for on-premises access",
                                    outpost.name,
                                    topo.vpcs[outpost.vpc.index()].name
                                ),
                            );
                        }
                        Origin::Instance { vpc, .. } if vpc != outpost.vpc => {
                            return finish!(
                                quiet,
                                t,
                                Disposition::Unsupported,
                                "outposts.wrong-vpc",
                                format!(
                                    "Outposts buckets are reached only from the VPC of the endpoint and its access points ({}), not from VPC {}",
                                    topo.vpcs[outpost.vpc.index()].name,
                                    topo.vpcs[vpc.index()].name
                                ),
                            );
                        }
                        _ => {}
                    }
                    let ap = outpost.access_points.iter().copied().find(|a| {
                        access_point_label(topo, &topo.access_points[a.index()]) == *label
                    });
                    let Some(ap) = ap else {
                        return finish!(
                            quiet,
                            t,
                            Disposition::Unsupported,
                            "outposts.no-access-point",
                            format!("Outpost {} has no access point {label}", outpost.name),
                        );
                    };
                    let apv = &topo.access_points[ap.index()];
                    if let (Some(apvpc), Origin::Instance { vpc, .. }) = (apv.vpc, origin)
                        && apvpc != vpc
                    {
                        return finish!(
                            quiet,
                            t,
                            Disposition::Unsupported,
                            "outposts.wrong-vpc",
                            format!(
                                "access point {} accepts requests from VPC {} only",
                                apv.name,
                                topo.vpcs[apvpc.index()].name
                            ),
                        );
                    }
                    hop!(
                        quiet,
                        t,
                        format!("access point {}", apv.name),
                        Some(apv.name.clone()),
                        "outposts.access-point",
                        format!(
                            "VPC-only access point {} of bucket {}",
                            apv.name,
                            topo.buckets[apv.bucket.index()].name
                        ),
                    );
                    region = topo
                        .regions
                        .get(topo.vpcs[outpost.vpc.index()].region.index())
                        .map(|r| r.name.as_str().into());
                    let call = call.expect("S3 request");
                    let bucket = Some(apv.bucket);
                    return authorize(
                        eng,
                        quiet,
                        t,
                        call,
                        ctx,
                        None,
                        region,
                        Some(ap),
                        bucket,
                        true,
                    );
                }
                _ => {
                    t.access = Some(Access::Host {
                        ip: IpAddr::V4(e.ip),
                    });
                    if s3host.is_some() {
                        return finish!(
                            quiet,
                            t,
                            Disposition::Unsupported,
                            "service.not-s3",
                            format!("{} is not an S3 endpoint", e.ip),
                        );
                    }
                    t.verdict = Verdict::Allowed;
                    return finish!(
                        quiet,
                        t,
                        Disposition::Delivered,
                        "delivered",
                        format!("delivered to {}", e.ip),
                    );
                }
            }
        }
        Arrival::Gateway {
            endpoint: ep,
            client_ip,
        } => {
            let end = &topo.endpoints[ep.index()];
            t.access = Some(Access::GatewayEndpoint {
                endpoint: ep,
                client_ip,
            });
            if s3host.is_none() && end.service == "s3" {
                return finish!(
                    quiet,
                    t,
                    Disposition::Unsupported,
                    "service.not-s3",
                    "the request reached S3's addresses but is not an S3 request",
                );
            }
            if end.service != "s3" {
                return finish_non_s3(quiet, t, &end.service);
            }
            region = Some(endpoint_context(topo, &mut ctx, end, client_ip));
            endpoint = Some((
                Cow::Borrowed(eng.labels.endpoints[ep.index()].as_str()),
                end.policy.as_ref(),
            ));
        }
        Arrival::Internet { public_ip, .. } => {
            let dst = t.destination.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            match public_service(eng, dst) {
                Some((service, r)) => {
                    t.access = Some(Access::Public {
                        source_ip: public_ip,
                    });
                    hop!(
                        quiet,
                        t,
                        "internet",
                        Some("internet".into()),
                        "service.public",
                        format!(
                            "reaches the public address {dst} of {} from {public_ip}",
                            if service == "aws" {
                                "an AWS service".to_string()
                            } else {
                                format!("{service} in {r}")
                            }
                        ),
                    );
                    if s3host.is_none() {
                        return finish_non_s3(quiet, t, &service);
                    }
                    ctx.set("aws:SourceIp", ip_text(public_ip));
                    region = Some(r)
                        .filter(|r| !r.is_empty())
                        .map(Cow::Owned)
                        .or_else(|| {
                            s3host
                                .and_then(|h| h.region())
                                .map(|r| r.to_string().into())
                        });
                }
                None => {
                    return finish!(
                        quiet,
                        t,
                        Disposition::ExitsToInternet,
                        "service.internet",
                        format!("{dst} is an internet address vpcsim does not model"),
                    );
                }
            }
        }
        Arrival::Site { .. } => {
            t.access = Some(Access::Host {
                ip: t.destination.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            });
            t.verdict = Verdict::Allowed;
            return finish!(
                quiet,
                t,
                Disposition::Delivered,
                "delivered",
                "delivered on premises",
            );
        }
    }
    // S3 through an endpoint or the internet: find the bucket or access point.
    let call = call.expect("S3 request");
    resource(eng, quiet, t, call, ctx, endpoint, region);
}

/// Finds the bucket or access point an S3 request names, then authorizes it.
fn resource<'e>(
    eng: &'e Engine<'_>,
    quiet: bool,
    t: &mut Trace,
    call: &S3Call,
    ctx: Context<'e>,
    endpoint: Option<(Cow<'e, str>, Option<&'e vpcsim_policy::Policy>)>,
    region: Option<Cow<'e, str>>,
) {
    let topo = eng.topo;
    let mut ap_id = None;
    let bucket = if let Some(label) = &call.access_point {
        ap_id = eng.access_points.get(label.as_str()).copied();
        match ap_id {
            Some(a) => {
                let apv = &topo.access_points[a.index()];
                hop!(
                    quiet,
                    t,
                    format!("access point {}", apv.name),
                    Some(apv.name.clone()),
                    "s3.access-point",
                    format!(
                        "access point {} of bucket {}",
                        apv.name,
                        topo.buckets[apv.bucket.index()].name
                    ),
                );
                Some(apv.bucket)
            }
            None => {
                t.verdict = Verdict::Denied;
                return finish!(
                    quiet,
                    t,
                    Disposition::Delivered,
                    "s3.no-such-access-point",
                    format!(
                        "there is no access point {label} in the topology; S3 answers NoSuchAccessPoint"
                    ),
                );
            }
        }
    } else {
        match &call.bucket {
            Some(name) => match eng.buckets.get(name.as_str()) {
                Some(&b) => Some(b),
                None => {
                    t.verdict = Verdict::Denied;
                    let hint = if topo
                        .buckets
                        .iter()
                        .any(|b| b.name.eq_ignore_ascii_case(name))
                    {
                        " (bucket names are case-sensitive; a name with capitals cannot be addressed virtual-hosted style, use path style)"
                    } else {
                        ""
                    };
                    return finish!(
                        quiet,
                        t,
                        Disposition::Delivered,
                        "s3.no-such-bucket",
                        format!(
                            "there is no bucket {name} in the topology; S3 answers NoSuchBucket{hint}"
                        ),
                    );
                }
            },
            None => None,
        }
    };
    if let Some(b) = bucket {
        let bk = &topo.buckets[b.index()];
        if bk.outpost.is_some() {
            return finish!(
                quiet,
                t,
                Disposition::Unsupported,
                "outposts.not-access-point",
                format!(
                    "{} is an Outposts bucket, reached only through a VPC-only access point of its Outpost",
                    bk.name
                ),
            );
        }
        let brg = topo.regions.get(bk.region.index()).map(|r| r.name.as_str());
        if let (Some(r), Some(br)) = (region.as_deref(), brg)
            && r != br
        {
            return finish!(
                quiet,
                t,
                Disposition::Unsupported,
                "s3.wrong-region",
                format!(
                    "bucket {} is in {br}, but the request reached S3 in {r}: S3 answers 301 PermanentRedirect (a gateway or interface endpoint reaches buckets of its own Region)",
                    bk.name
                ),
            );
        }
    }
    authorize(
        eng, quiet, t, call, ctx, endpoint, region, ap_id, bucket, false,
    )
}

/// The condition keys AWS sets for a request through a VPC endpoint; returns the endpoint's Region.
fn endpoint_context<'e>(
    topo: &'e vpcsim_topology::Topology,
    ctx: &mut Context<'e>,
    end: &'e vpcsim_topology::model::Endpoint,
    client_ip: IpAddr,
) -> Cow<'e, str> {
    let vpc = &topo.vpcs[end.vpc.index()];
    ctx.set("aws:SourceVpce", end.aws_id.as_str());
    ctx.set("aws:SourceVpc", vpc.aws_id.as_str());
    ctx.set("aws:VpcSourceIp", ip_text(client_ip));
    ctx.set(
        "aws:VpceAccount",
        topo.accounts
            .get(vpc.account.index())
            .map_or("", |a| a.id.as_str()),
    );
    topo.regions
        .get(vpc.region.index())
        .map_or("", |r| r.name.as_str())
        .into()
}

fn finish_non_s3(quiet: bool, t: &mut Trace, service: &str) {
    t.verdict = Verdict::Allowed;
    finish!(
        quiet,
        t,
        Disposition::Delivered,
        "delivered",
        format!("delivered to {service} (vpcsim evaluates policies for S3 requests only)"),
    );
}

#[allow(clippy::too_many_arguments)]
fn authorize<'e>(
    eng: &'e Engine<'_>,
    quiet: bool,
    t: &mut Trace,
    call: &S3Call,
    mut ctx: Context<'e>,
    endpoint: Option<(Cow<'e, str>, Option<&'e vpcsim_policy::Policy>)>,
    region: Option<Cow<'e, str>>,
    ap: Option<AccessPointId>,
    bucket: Option<BucketId>,
    outposts: bool,
) {
    let topo = eng.topo;
    let region = region.unwrap_or_default();
    // The caller.
    let caller: Option<&'e Caller> = t.principal.map(|p| &eng.callers[p.index()]);
    if let (Some(c), Some(p)) = (caller, t.principal) {
        ctx.set("aws:PrincipalArn", c.arn.as_str());
        ctx.set("aws:PrincipalAccount", c.account.as_str());
        let pr = &topo.principals[p.index()];
        if pr.kind == PrincipalKind::User {
            ctx.set("aws:username", pr.name.as_str());
        }
    }
    // The resource.
    let (bucket_name, owner): (Option<&str>, &str) = match bucket {
        Some(b) => {
            let bk = &topo.buckets[b.index()];
            (
                Some(bk.name.as_str()),
                topo.accounts
                    .get(bk.account.index())
                    .map_or("", |a| a.id.as_str()),
            )
        }
        None => (None, caller.map_or("", |c| c.account.as_str())),
    };
    ctx.set("s3:ResourceAccount", owner);
    ctx.set("aws:ResourceAccount", owner);
    let action: std::borrow::Cow<str> = if outposts {
        call.action.replacen("s3:", "s3-outposts:", 1).into()
    } else {
        call.action.as_str().into()
    };
    let resource = match (ap, &bucket_name) {
        (Some(a), _) => {
            let apv = &topo.access_points[a.index()];
            let acct = topo
                .accounts
                .get(apv.account.index())
                .map_or("", |x| x.id.as_str());
            let arn = if outposts {
                let o = topo.buckets[apv.bucket.index()]
                    .outpost
                    .map_or("", |o| topo.outposts[o.index()].aws_id.as_str());
                format!(
                    "arn:aws:s3-outposts:{region}:{acct}:outpost/{o}/accesspoint/{}",
                    apv.name
                )
            } else {
                format!("arn:aws:s3:{region}:{acct}:accesspoint/{}", apv.name)
            };
            ctx.set("s3:DataAccessPointArn", arn.clone());
            ctx.set("s3:DataAccessPointAccount", acct);
            ctx.set(
                "s3:AccessPointNetworkOrigin",
                match apv.network_origin {
                    NetworkOrigin::Vpc => "VPC",
                    NetworkOrigin::Internet => "Internet",
                },
            );
            if call.key.is_empty() {
                arn
            } else {
                format!("{arn}/object/{}", call.key)
            }
        }
        (None, Some(b)) => object_arn(b, &call.key),
        (None, None) => "*".to_string(),
    };
    // A VPC access point accepts requests from its VPC only.
    if let Some(a) = ap {
        let apv = &topo.access_points[a.index()];
        if apv.network_origin == NetworkOrigin::Vpc && !outposts {
            let want = apv.vpc.map_or("", |v| topo.vpcs[v.index()].aws_id.as_str());
            if ctx
                .get("aws:SourceVpc")
                .and_then(|v| v.first())
                .map(|v| v.as_ref())
                != Some(want)
            {
                if !quiet {
                    t.context = context_of(&ctx);
                }
                t.verdict = Verdict::Denied;
                return finish!(
                    quiet,
                    t,
                    Disposition::Delivered,
                    "s3.access-point-network-origin",
                    format!(
                        "access point {} has network origin VPC ({}): it rejects requests that do not come from that VPC through an endpoint",
                        apv.name, want
                    ),
                );
            }
        }
    }
    // Policies.
    let identity: Vec<(Cow<str>, &vpcsim_policy::Policy)> = t
        .principal
        .map(|p| {
            let pr = &topo.principals[p.index()];
            let labels = &eng.labels.identity[p.index()];
            pr.policies
                .iter()
                .zip(labels)
                .map(|((_, pol), label)| (Cow::Borrowed(label.as_str()), pol))
                .collect()
        })
        .unwrap_or_default();
    // Through an access point, the bucket policy is matched against the bucket or object ARN.
    let bucket_arn = bucket_name
        .as_ref()
        .filter(|_| ap.is_some() && !outposts)
        .map(|b| object_arn(b, &call.key));
    let mut resource_policies: Vec<(Cow<str>, &vpcsim_policy::Policy, Option<&str>)> = Vec::new();
    if let Some(a) = ap {
        let apv = &topo.access_points[a.index()];
        if let Some(p) = &apv.policy {
            let label = eng.labels.access_points[a.index()].as_str();
            resource_policies.push((label.into(), p, None));
        }
    }
    if let Some(b) = bucket {
        let bk = &topo.buckets[b.index()];
        if let Some(p) = &bk.policy {
            let label = eng.labels.buckets[b.index()].as_str();
            resource_policies.push((label.into(), p, bucket_arn.as_deref()));
        }
    }
    let request = PolicyRequest {
        action: &action,
        resource: &resource,
        caller,
        context: &ctx,
    };
    let outcome = vpcsim_policy::authorize(&Authorization {
        request,
        identity,
        resource: resource_policies,
        resource_account: owner,
        endpoint,
        explain: !quiet,
    });
    if !quiet {
        t.context = context_of(&ctx);
    }
    let (verdict, code) = match outcome.decision {
        Decision::Allowed => (Verdict::Allowed, "policy.allowed"),
        Decision::ExplicitDeny => (Verdict::Denied, "policy.explicit-deny"),
        Decision::ImplicitDeny => (Verdict::Denied, "policy.implicit-deny"),
    };
    t.verdict = verdict;
    let reason = outcome.explanation.clone();
    t.policy = Some(outcome);
    finish!(quiet, t, Disposition::Delivered, code, reason);
}

/// The request context as a trace shows it: keys as written, sorted.
fn context_of(ctx: &Context) -> Vec<(String, Vec<String>)> {
    ctx.iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|v| v.to_string()).collect()))
        .collect()
}

/// `arn:aws:s3:::BUCKET`, or `arn:aws:s3:::BUCKET/KEY` for a key (built without the formatting
/// machinery: it is on every trace's path).
fn object_arn(bucket: &str, key: &str) -> String {
    const PREFIX: &str = "arn:aws:s3:::";
    let mut arn = String::with_capacity(PREFIX.len() + bucket.len() + 1 + key.len());
    arn.push_str(PREFIX);
    arn.push_str(bucket);
    if !key.is_empty() {
        arn.push('/');
        arn.push_str(key);
    }
    arn
}

/// An address as `IpAddr`'s `Display` writes it; IPv4 (the common case) without the formatting
/// machinery.
fn ip_text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => ip4_text(v4),
        IpAddr::V6(v6) => v6.to_string(),
    }
}

fn ip4_text(ip: Ipv4Addr) -> String {
    let mut out = String::with_capacity(15);
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if octet >= 100 {
            out.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            out.push(char::from(b'0' + octet / 10 % 10));
        }
        out.push(char::from(b'0' + octet % 10));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_without_formatting_agree_with_display() {
        for ip in [
            Ipv4Addr::new(0, 0, 0, 0),
            Ipv4Addr::new(10, 0, 1, 9),
            Ipv4Addr::new(172, 16, 100, 255),
            Ipv4Addr::new(255, 255, 255, 255),
            Ipv4Addr::new(1, 20, 100, 109),
        ] {
            assert_eq!(ip_text(IpAddr::V4(ip)), ip.to_string());
        }
        assert_eq!(object_arn("b", ""), "arn:aws:s3:::b");
        assert_eq!(object_arn("b", "k/x.csv"), "arn:aws:s3:::b/k/x.csv");
    }
}

//! The service step: what was reached, whether it serves this request, and what the policies say.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use arrayvec::ArrayString;

use vpcsim_policy::{Authorization, Caller, Decision, Keys, Request as PolicyRequest};
use vpcsim_topology::model::{
    AccessPointId, AwsCaller, BucketId, EndpointId, EniId, EniOwner, NetworkOrigin, OutpostId,
    VpcId,
};

use crate::keys::{Facts, Region, RequestKeys};
use crate::{Access, Disposition, Engine, S3Call, S3Host, Trace, Verdict};
use vpcsim_routing::{Arrival, Origin};

/// What the service step passed, by reference into the topology (a hop of `there`; its words are
/// written by `render`).
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceEvent {
    /// An interface endpoint's ENI carries the request over PrivateLink.
    InterfaceEndpoint {
        /// The endpoint.
        endpoint: EndpointId,
        /// The ENI reached.
        eni: EniId,
    },
    /// One of an S3 on Outposts endpoint's X-ENIs.
    OutpostXeni {
        /// The Outpost.
        outpost: OutpostId,
        /// X-ENI index 0–3.
        xeni: u8,
    },
    /// An Outposts access point and its bucket.
    OutpostsAccessPoint {
        /// The access point.
        access_point: AccessPointId,
    },
    /// An S3 access point and its bucket.
    AccessPoint {
        /// The access point.
        access_point: AccessPointId,
    },
    /// A public address of an AWS service, reached over the internet.
    Public {
        /// The address.
        dst: IpAddr,
        /// From this public address.
        from: IpAddr,
        /// The service (`aws` for the stand-in range of other services).
        service: String,
        /// Its Region (empty when unknown).
        region: String,
    },
    /// An AWS service calls S3 with the principal's credentials, inside AWS.
    ViaService {
        /// The service.
        service: AwsCaller,
    },
}

impl ServiceEvent {
    /// The component the service step happened at.
    pub fn element(&self) -> Option<vpcsim_topology::Element> {
        use vpcsim_topology::Element;
        match self {
            ServiceEvent::InterfaceEndpoint { endpoint, .. } => Some(Element::Endpoint(*endpoint)),
            ServiceEvent::OutpostXeni { outpost, .. } => Some(Element::Outpost(*outpost)),
            ServiceEvent::OutpostsAccessPoint { .. } | ServiceEvent::AccessPoint { .. } => None,
            ServiceEvent::Public { .. } => Some(Element::Internet),
            ServiceEvent::ViaService { .. } => None,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ServiceEvent::InterfaceEndpoint { .. } => "endpoint.interface",
            ServiceEvent::OutpostXeni { .. } => "outposts.xeni",
            ServiceEvent::OutpostsAccessPoint { .. } => "outposts.access-point",
            ServiceEvent::AccessPoint { .. } => "s3.access-point",
            ServiceEvent::Public { .. } => "service.public",
            ServiceEvent::ViaService { .. } => "service.via-aws-service",
        }
    }
}

/// How the service step ended, by reference into the topology: with the trace's disposition and
/// verdict, this is the reason (its words are written by `render`).
#[derive(Clone, Debug, PartialEq)]
pub enum Finding {
    /// An interface endpoint of another service received an S3 request.
    WrongService {
        /// The endpoint.
        endpoint: EndpointId,
    },
    /// A name of another AWS service reached an interface endpoint (a DNS record pointed it
    /// there): what is at the address decides, and that endpoint does not serve the name — the
    /// TLS handshake fails on its certificate.
    NameOfOtherService {
        /// The endpoint reached.
        endpoint: EndpointId,
        /// The service the name belongs to.
        service: String,
    },
    /// A name PrivateLink for S3 does not serve reached an S3 interface endpoint.
    UnsupportedName {
        /// The endpoint.
        endpoint: EndpointId,
        /// What kind of name (`FIPS endpoints`).
        what: &'static str,
    },
    /// An Outposts endpoint reached without an access point name.
    NotAccessPoint {
        /// The Outpost.
        outpost: OutpostId,
        /// The X-ENI reached.
        eni: EniId,
    },
    /// An Outposts bucket named directly.
    OutpostsBucket {
        /// The bucket.
        bucket: BucketId,
    },
    /// The name is another Outpost's.
    WrongOutpost {
        /// The Outpost reached.
        outpost: OutpostId,
        /// The Outpost id the name carries.
        named: String,
    },
    /// An Outposts endpoint of access type Private, from on premises.
    PrivateAccessType {
        /// The Outpost.
        outpost: OutpostId,
    },
    /// An Outposts endpoint from another VPC.
    OutpostsWrongVpc {
        /// The Outpost.
        outpost: OutpostId,
        /// The VPC the request came from.
        from: VpcId,
    },
    /// The Outpost has no access point of that name.
    NoOutpostsAccessPoint {
        /// The Outpost.
        outpost: OutpostId,
        /// The label the name carries.
        label: String,
    },
    /// A VPC-only Outposts access point from another VPC.
    AccessPointWrongVpc {
        /// The access point.
        access_point: AccessPointId,
    },
    /// An S3 request reached an interface that is not an S3 endpoint.
    NotS3Endpoint {
        /// The address reached.
        ip: IpAddr,
    },
    /// Delivered to an interface (not an AWS service).
    Delivered {
        /// The address reached.
        ip: IpAddr,
    },
    /// Delivered to a host on premises.
    DeliveredOnPremises,
    /// Delivered to a service other than S3 (its policies are not evaluated).
    OtherService {
        /// The service.
        service: String,
    },
    /// Left for an internet address vpcsim does not model.
    Internet {
        /// The address.
        dst: IpAddr,
    },
    /// No access point of that name.
    NoSuchAccessPoint {
        /// The label the name carries.
        label: String,
    },
    /// No bucket of that name.
    NoSuchBucket {
        /// The name.
        name: String,
        /// A bucket differs only in case.
        case: bool,
    },
    /// The bucket is in another Region than the S3 reached.
    WrongRegion {
        /// The bucket.
        bucket: BucketId,
        /// The Region of the S3 reached.
        reached: String,
    },
    /// A VPC access point refused a request from elsewhere.
    NetworkOrigin {
        /// The access point.
        access_point: AccessPointId,
    },
    /// The bucket policy of a bucket the caller's account does not own (S3: 405 MethodNotAllowed).
    NotBucketOwner {
        /// The bucket.
        bucket: BucketId,
    },
    /// A request from an AWS service without a principal to act for.
    ServiceWithoutPrincipal {
        /// The service.
        service: AwsCaller,
    },
    /// A request from an AWS service that is not an S3 request.
    ServiceNotS3 {
        /// The service.
        service: AwsCaller,
    },
    /// The policies decided (the policy outcome has the deciding statements).
    Policy(Decision),
}

impl Finding {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Finding::WrongService { .. } | Finding::NameOfOtherService { .. } => {
                "endpoint.wrong-service"
            }
            Finding::UnsupportedName { .. } => "endpoint.unsupported-name",
            Finding::NotAccessPoint { .. } | Finding::OutpostsBucket { .. } => {
                "outposts.not-access-point"
            }
            Finding::WrongOutpost { .. } => "outposts.wrong-outpost",
            Finding::PrivateAccessType { .. } => "outposts.private-access-type",
            Finding::OutpostsWrongVpc { .. } | Finding::AccessPointWrongVpc { .. } => {
                "outposts.wrong-vpc"
            }
            Finding::NoOutpostsAccessPoint { .. } => "outposts.no-access-point",
            Finding::NotS3Endpoint { .. } => "service.not-s3",
            Finding::Delivered { .. }
            | Finding::DeliveredOnPremises
            | Finding::OtherService { .. } => "delivered",
            Finding::Internet { .. } => "service.internet",
            Finding::NoSuchAccessPoint { .. } => "s3.no-such-access-point",
            Finding::NoSuchBucket { .. } => "s3.no-such-bucket",
            Finding::WrongRegion { .. } => "s3.wrong-region",
            Finding::NetworkOrigin { .. } => "s3.access-point-network-origin",
            Finding::NotBucketOwner { .. } => "s3.bucket-policy-not-owner",
            Finding::ServiceWithoutPrincipal { .. } => "source.service-needs-principal",
            Finding::ServiceNotS3 { .. } => "source.service-s3-only",
            Finding::Policy(Decision::Allowed) => "policy.allowed",
            Finding::Policy(Decision::ExplicitDeny) => "policy.explicit-deny",
            Finding::Policy(Decision::ImplicitDeny) => "policy.implicit-deny",
        }
    }

    /// Where the request ended.
    pub fn disposition(&self) -> Disposition {
        match self {
            Finding::Internet { .. } => Disposition::ExitsToInternet,
            Finding::Delivered { .. }
            | Finding::DeliveredOnPremises
            | Finding::OtherService { .. }
            | Finding::NoSuchAccessPoint { .. }
            | Finding::NoSuchBucket { .. }
            | Finding::NetworkOrigin { .. }
            | Finding::NotBucketOwner { .. }
            | Finding::Policy(_) => Disposition::Delivered,
            _ => Disposition::Unsupported,
        }
    }

    /// The verdict it gives (a refusal by S3 itself is a denial; a request that cannot be served
    /// there is unreachable).
    pub fn verdict(&self) -> Verdict {
        match self {
            Finding::Delivered { .. }
            | Finding::DeliveredOnPremises
            | Finding::OtherService { .. }
            | Finding::Policy(Decision::Allowed) => Verdict::Allowed,
            Finding::NoSuchAccessPoint { .. }
            | Finding::NoSuchBucket { .. }
            | Finding::NetworkOrigin { .. }
            | Finding::NotBucketOwner { .. }
            | Finding::Policy(_) => Verdict::Denied,
            _ => Verdict::Unreachable,
        }
    }
}

/// The service step's recorder: hops are appended to the trace's `there`, and its end sets the
/// disposition, verdict, code and finding, as data.
struct Step;

impl Step {
    fn hop(&self, t: &mut Trace, event: ServiceEvent) {
        t.forward.push(crate::render::service_hop(event));
    }

    fn finish(&self, t: &mut Trace, finding: Finding) {
        t.disposition = finding.disposition();
        t.verdict = finding.verdict();
        t.code = finding.code();
        t.finding = Some(finding);
    }
}

/// The labels policies are named by in verdicts (`endpoint s3-interface`, `bucket B`,
/// `access point A`, `identity apps/read`), made once per engine.
#[derive(Clone, Debug)]
pub(crate) struct Labels<'t> {
    endpoints: Vec<Arc<str>>,
    buckets: Vec<Arc<str>>,
    access_points: Vec<Arc<str>>,
    /// Per principal, its identity policies with their labels, as the policies' evaluation takes
    /// them (lent to every request the principal signs).
    identity: Vec<Vec<(Arc<str>, &'t vpcsim_policy::Policy)>>,
}

impl<'t> Labels<'t> {
    pub(crate) fn new(topo: &'t vpcsim_topology::Topology) -> Self {
        Labels {
            endpoints: topo
                .endpoints
                .iter()
                .map(|e| format!("endpoint {}", e.name).into())
                .collect(),
            buckets: topo
                .buckets
                .iter()
                .map(|b| format!("bucket {}", b.name).into())
                .collect(),
            access_points: topo
                .access_points
                .iter()
                .map(|a| format!("access point {}", a.name).into())
                .collect(),
            identity: topo
                .principals
                .iter()
                .map(|pr| {
                    pr.policies
                        .iter()
                        .map(|(n, p)| (format!("identity {}/{n}", pr.name).into(), p))
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
pub(crate) fn reach(
    eng: &Engine<'_>,
    t: &mut Trace,
    call: Option<&S3Call>,
    arrival: Arrival,
    origin: Origin,
    s3host: Option<&S3Host>,
) {
    let topo = eng.topo;
    let step = Step;
    // How the request reached the service, what its condition keys follow from.
    let mut facts = Facts::default();
    let mut endpoint = None;
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
                    step.hop(t, ServiceEvent::InterfaceEndpoint { endpoint: ep, eni });
                    match s3host {
                        Some(_) if end.service != "s3" => {
                            return step.finish(t, Finding::WrongService { endpoint: ep });
                        }
                        Some(h) => {
                            if let Some(what) = h.unsupported_through_interface_endpoint() {
                                return step
                                    .finish(t, Finding::UnsupportedName { endpoint: ep, what });
                            }
                        }
                        None => {
                            // What is at the address decides: a name of another service that a
                            // record sends here is not served by this endpoint.
                            if let Some(name) = vpcsim_aws::ServiceName::parse(t.request.host())
                                && name.service != end.service.as_str()
                            {
                                return step.finish(
                                    t,
                                    Finding::NameOfOtherService {
                                        endpoint: ep,
                                        service: name.service.into_owned(),
                                    },
                                );
                            }
                            return step.finish(
                                t,
                                Finding::OtherService {
                                    service: end.service.clone(),
                                },
                            );
                        }
                    }
                    through_endpoint(eng, &mut facts, ep, client_ip);
                    endpoint = Some((&eng.labels.endpoints[ep.index()], end.policy.as_ref()));
                }
                EniOwner::OutpostXeni(o, k) => {
                    let outpost = &topo.outposts[o.index()];
                    t.access = Some(Access::Outposts {
                        outpost: o,
                        xeni: k,
                        ip: IpAddr::V4(e.ip),
                        client_ip,
                    });
                    step.hop(
                        t,
                        ServiceEvent::OutpostXeni {
                            outpost: o,
                            xeni: k,
                        },
                    );
                    let Some(S3Host::Outposts {
                        label, outpost: op, ..
                    }) = s3host
                    else {
                        return step.finish(t, Finding::NotAccessPoint { outpost: o, eni });
                    };
                    if *op != outpost.aws_id {
                        return step.finish(
                            t,
                            Finding::WrongOutpost {
                                outpost: o,
                                named: op.clone(),
                            },
                        );
                    }
                    match origin {
                        Origin::Host { .. }
                            if outpost.access_type
                                == vpcsim_topology::model::AccessType::Private =>
                        {
                            return step.finish(t, Finding::PrivateAccessType { outpost: o });
                        }
                        Origin::Instance { vpc, .. } if vpc != outpost.vpc => {
                            return step.finish(
                                t,
                                Finding::OutpostsWrongVpc {
                                    outpost: o,
                                    from: vpc,
                                },
                            );
                        }
                        _ => {}
                    }
                    let ap = outpost.access_points.iter().copied().find(|a| {
                        access_point_label(topo, &topo.access_points[a.index()]) == *label
                    });
                    let Some(ap) = ap else {
                        return step.finish(
                            t,
                            Finding::NoOutpostsAccessPoint {
                                outpost: o,
                                label: label.clone(),
                            },
                        );
                    };
                    let apv = &topo.access_points[ap.index()];
                    if let (Some(apvpc), Origin::Instance { vpc, .. }) = (apv.vpc, origin)
                        && apvpc != vpc
                    {
                        return step.finish(t, Finding::AccessPointWrongVpc { access_point: ap });
                    }
                    step.hop(t, ServiceEvent::OutpostsAccessPoint { access_point: ap });
                    facts.region = Region::Of(topo.vpcs[outpost.vpc.index()].region);
                    let call = call.expect("S3 request");
                    let bucket = Some(apv.bucket);
                    return authorize(eng, &step, t, call, facts, None, Some(ap), bucket, true);
                }
                _ => {
                    let ip = IpAddr::V4(e.ip);
                    t.access = Some(Access::Host { ip });
                    if s3host.is_some() {
                        return step.finish(t, Finding::NotS3Endpoint { ip });
                    }
                    return step.finish(t, Finding::Delivered { ip });
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
            // A connection that is not an S3 request (`HOST:PORT`) reaches the service as it
            // does over the internet: delivered, no policy evaluated.
            if s3host.is_none() || end.service != "s3" {
                return step.finish(
                    t,
                    Finding::OtherService {
                        service: end.service.clone(),
                    },
                );
            }
            through_endpoint(eng, &mut facts, ep, client_ip);
            endpoint = Some((&eng.labels.endpoints[ep.index()], end.policy.as_ref()));
        }
        Arrival::Internet { public_ip, .. } => {
            let dst = t.destination.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            match public_service(eng, dst) {
                Some((service, r)) => {
                    t.access = Some(Access::Public {
                        source_ip: public_ip,
                    });
                    step.hop(
                        t,
                        ServiceEvent::Public {
                            dst,
                            from: public_ip,
                            service: service.clone(),
                            region: r.clone(),
                        },
                    );
                    if s3host.is_none() {
                        return step.finish(t, Finding::OtherService { service });
                    }
                    facts.client_ip = Some(public_ip);
                    let named = Some(r)
                        .filter(|r| !r.is_empty())
                        .or_else(|| s3host.and_then(|h| h.region()).map(|r| r.to_string()));
                    if let Some(r) = named {
                        facts.region = Region::Named(r);
                    }
                }
                None => {
                    return step.finish(t, Finding::Internet { dst });
                }
            }
        }
        Arrival::Site { .. } => {
            t.access = Some(Access::Host {
                ip: t.destination.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            });
            return step.finish(t, Finding::DeliveredOnPremises);
        }
    }
    // S3 through an endpoint or the internet: find the bucket or access point.
    let call = call.expect("S3 request");
    resource(eng, &step, t, call, facts, endpoint);
}

/// A request an AWS service makes to S3 for a principal, with the principal's credentials (a
/// forward access session): it reaches S3's public endpoint inside AWS, not through a VPC, so the
/// context has no `aws:SourceVpce`, `aws:SourceVpc`, `aws:VpcSourceIp` or `aws:SourceIp` (the
/// address is the service's own), and has `aws:CalledVia` (with `…First`, `…Last`) and
/// `aws:ViaAWSService`. Athena's documentation: "you cannot restrict or allow access to Amazon S3
/// resources based on the aws:SourceVpc or aws:SourceVpce condition keys"
/// (<https://docs.aws.amazon.com/athena/latest/ug/s3-permissions.html>).
pub(crate) fn via_service(
    eng: &Engine<'_>,
    t: &mut Trace,
    call: Option<&S3Call>,
    s3host: Option<&S3Host>,
    service: AwsCaller,
) {
    let step = Step;
    t.access = Some(Access::AwsService { service });
    step.hop(t, ServiceEvent::ViaService { service });
    let (Some(call), Some(host)) = (call, s3host) else {
        return step.finish(t, Finding::ServiceNotS3 { service });
    };
    if t.principal.is_none() {
        return step.finish(t, Finding::ServiceWithoutPrincipal { service });
    }
    let facts = Facts {
        via: Some(service),
        region: host
            .region()
            .map_or(Region::Unknown, |r| Region::Named(r.to_string())),
        ..Facts::default()
    };
    resource(eng, &step, t, call, facts, None);
}

/// Finds the bucket or access point an S3 request names, then authorizes it.
fn resource<'e>(
    eng: &'e Engine<'_>,
    step: &Step,
    t: &mut Trace,
    call: &S3Call,
    facts: Facts,
    endpoint: Option<(&'e Arc<str>, Option<&'e vpcsim_policy::Policy>)>,
) {
    let topo = eng.topo;
    let mut ap_id = None;
    let bucket = if let Some(label) = &call.access_point {
        ap_id = eng.access_points.get(label.as_str()).copied();
        match ap_id {
            Some(a) => {
                step.hop(t, ServiceEvent::AccessPoint { access_point: a });
                Some(topo.access_points[a.index()].bucket)
            }
            None => {
                return step.finish(
                    t,
                    Finding::NoSuchAccessPoint {
                        label: label.to_string(),
                    },
                );
            }
        }
    } else {
        match &call.bucket {
            Some(name) => match eng.buckets.get(name.as_str()) {
                Some(&b) => Some(b),
                None => {
                    let case = topo
                        .buckets
                        .iter()
                        .any(|b| b.name.eq_ignore_ascii_case(name));
                    return step.finish(
                        t,
                        Finding::NoSuchBucket {
                            name: name.to_string(),
                            case,
                        },
                    );
                }
            },
            None => None,
        }
    };
    if let Some(b) = bucket {
        let bk = &topo.buckets[b.index()];
        if bk.outpost.is_some() {
            return step.finish(t, Finding::OutpostsBucket { bucket: b });
        }
        let brg = topo.regions.get(bk.region.index()).map(|r| r.name.as_str());
        if let (Some(r), Some(br)) = (facts.region(eng), brg)
            && r != br
        {
            return step.finish(
                t,
                Finding::WrongRegion {
                    bucket: b,
                    reached: r.to_string(),
                },
            );
        }
    }
    authorize(eng, step, t, call, facts, endpoint, ap_id, bucket, false)
}

/// A request through a VPC endpoint: its keys (`aws:SourceVpce`, `aws:SourceVpc`,
/// `aws:VpceAccount`, `aws:VpcSourceIp`) and Region are the endpoint's.
fn through_endpoint(eng: &Engine<'_>, facts: &mut Facts, ep: EndpointId, client_ip: IpAddr) {
    let topo = eng.topo;
    facts.endpoint = Some(ep);
    facts.client_ip = Some(client_ip);
    facts.region = Region::Of(topo.vpcs[topo.endpoints[ep.index()].vpc.index()].region);
}

#[allow(clippy::too_many_arguments)]
fn authorize<'e>(
    eng: &'e Engine<'_>,
    step: &Step,
    t: &mut Trace,
    call: &S3Call,
    mut facts: Facts,
    endpoint: Option<(&'e Arc<str>, Option<&'e vpcsim_policy::Policy>)>,
    ap: Option<AccessPointId>,
    bucket: Option<BucketId>,
    outposts: bool,
) {
    let topo = eng.topo;
    facts.bucket = bucket;
    facts.access_point = ap;
    facts.outposts = outposts;
    facts.action = call.action;
    // The caller.
    let caller: Option<&'e Caller> = t.principal.map(|p| &eng.callers[p.index()]);
    let bucket_name = bucket.map(|b| topo.buckets[b.index()].name.as_str());
    // AWS Organizations: the caller's and the owner's organizations, and the SCPs and RCPs that
    // apply (none for an organization's management account).
    let caller_account = t.principal.map(|p| topo.principals[p.index()].account);
    let owner_account = bucket.map(|b| topo.buckets[b.index()].account);
    // (Most topologies have no organization: nothing to look for.)
    let member = |a: Option<_>| {
        a.filter(|_| !topo.organizations.is_empty())
            .and_then(|a| topo.membership(a).map(|m| (a, m)))
    };
    let caller_org = member(caller_account);
    let owner_org = member(owner_account);
    let action: std::borrow::Cow<str> = if outposts {
        call.action.replacen("s3:", "s3-outposts:", 1).into()
    } else {
        call.action.into()
    };
    let owner = crate::keys::owner(eng, bucket, t.principal);
    let keys = RequestKeys::new(eng, &facts, t);
    // Through an access point, its ARN (the one `s3:DataAccessPointArn` gives).
    // The resource's ARN: written on the stack when it fits (most do), else in `spill`.
    let (mut buf, mut spill) = (ArrayString::new(), String::new());
    let resource: &str = match (keys.access_point_arn(), &bucket_name) {
        (Some(arn), _) if call.key.is_empty() => arn,
        (Some(arn), _) => {
            spill = format!("{arn}/object/{}", call.key);
            &spill
        }
        (None, Some(b)) => object_arn_in(b, &call.key, &mut buf, &mut spill),
        (None, None) => "*",
    };
    // A VPC access point accepts requests from its VPC only.
    if let Some(a) = ap {
        let apv = &topo.access_points[a.index()];
        if apv.network_origin == NetworkOrigin::Vpc && !outposts {
            let want = apv.vpc.map_or("", |v| topo.vpcs[v.index()].aws_id.as_str());
            if keys.get("aws:SourceVpc").and_then(|v| v.first()) != Some(want) {
                t.facts = Some(facts);
                return step.finish(t, Finding::NetworkOrigin { access_point: a });
            }
        }
    }
    // Policies.
    let identity: &[(Arc<str>, &vpcsim_policy::Policy)] =
        t.principal.map_or(&[], |p| &eng.labels.identity[p.index()]);
    // Through an access point, the bucket policy is matched against the bucket or object ARN.
    let bucket_arn = bucket_name
        .as_ref()
        .filter(|_| ap.is_some() && !outposts)
        .map(|b| object_arn(b, &call.key));
    // At most two (the access point's and the bucket's): kept in place.
    let mut resource_policies: smallvec::SmallVec<[vpcsim_policy::ResourcePolicy; 2]> =
        smallvec::SmallVec::new();
    if let Some(a) = ap {
        let apv = &topo.access_points[a.index()];
        if let Some(p) = &apv.policy {
            let label = &eng.labels.access_points[a.index()];
            resource_policies.push((label, p, None));
        }
    }
    if let Some(b) = bucket {
        let bk = &topo.buckets[b.index()];
        if let Some(p) = &bk.policy {
            let label = &eng.labels.buckets[b.index()];
            resource_policies.push((label, p, bucket_arn.as_deref()));
        }
    }
    let request = PolicyRequest {
        action: &action,
        resource,
        caller,
        context: &keys,
    };
    let outcome = vpcsim_policy::authorize(&Authorization {
        request,
        identity: Cow::Borrowed(identity),
        resource: Cow::Borrowed(&resource_policies),
        resource_account: owner,
        endpoint,
        limits: limits(topo, t.principal, caller_org.as_ref(), owner_org.as_ref()),
        explain: false,
    });
    t.facts = Some(facts);
    let decision = outcome.decision;
    t.policy = Some(outcome);
    // Only the bucket owner's account may read, write or delete the bucket policy, whatever the
    // policies allow: S3 answers 405 MethodNotAllowed to any other (after the 403 of a policy
    // that does not allow it). S3 API Reference, GetBucketPolicy / PutBucketPolicy.
    let policy_call = matches!(
        action.as_ref(),
        "s3:GetBucketPolicy" | "s3:PutBucketPolicy" | "s3:DeleteBucketPolicy"
    );
    if decision == Decision::Allowed
        && policy_call
        && let Some(b) = bucket
        && caller.is_none_or(|c| c.account != owner)
    {
        return step.finish(t, Finding::NotBucketOwner { bucket: b });
    }
    step.finish(t, Finding::Policy(decision));
}

/// An account's place in its organization: the account, its organization and the nodes from the
/// root down to it.
type Membership<'e> = (
    vpcsim_topology::model::AccountId,
    (&'e vpcsim_topology::model::Organization, Vec<usize>),
);

/// The policies that limit what the others grant: the principal's permissions boundary and
/// session policies, the SCPs of the caller's account and the RCPs of the owner's (neither for
/// an organization's management account).
fn limits<'e>(
    topo: &'e vpcsim_topology::Topology,
    principal: Option<vpcsim_topology::model::PrincipalId>,
    caller_org: Option<&Membership<'e>>,
    owner_org: Option<&Membership<'e>>,
) -> vpcsim_policy::Limits<'e> {
    use vpcsim_topology::model::OrgNodeKind;
    let mut out = vpcsim_policy::Limits::default();
    if let Some(p) = principal {
        let pr = &topo.principals[p.index()];
        out.boundary = pr
            .boundary
            .as_ref()
            .map(|b| (format!("boundary {}", pr.name).into(), b));
        if !pr.session_policies.is_empty() {
            out.session = pr
                .session_policies
                .iter()
                .map(|(n, p)| (format!("session {}/{n}", pr.name).into(), p))
                .collect();
        }
    }
    let guards = |m: Option<&Membership<'e>>, scp: bool| -> Vec<vpcsim_policy::Guard<'e>> {
        let Some((account, (org, path))) = m else {
            return Vec::new();
        };
        if *account == org.management {
            return Vec::new();
        }
        path.iter()
            .map(|&i| {
                let node = &org.nodes[i];
                let target = match &node.kind {
                    OrgNodeKind::Root => format!("the root of organization {}", org.name),
                    OrgNodeKind::Unit(name) => format!("OU {name}"),
                    OrgNodeKind::Account(a) => format!(
                        "account {}",
                        topo.accounts.get(a.index()).map_or("", |a| a.id.as_str())
                    ),
                };
                let (attached, defs, kind) = if scp {
                    (&node.scps, &org.scps, "scp")
                } else {
                    (&node.rcps, &org.rcps, "rcp")
                };
                vpcsim_policy::Guard {
                    target: target.into(),
                    policies: attached
                        .iter()
                        .filter_map(|&j| defs.get(j))
                        .map(|(n, p)| (format!("{kind} {n}").into(), p))
                        .collect(),
                }
            })
            .collect()
    };
    out.scps = guards(caller_org, true);
    out.rcps = guards(owner_org, false);
    out
}

/// Room for an object's ARN on the stack ([`object_arn_in`]).
const ARN_BUF: usize = 256;

/// [`object_arn`] written into `buf` when it fits (no allocation: most ARNs do), else into
/// `spill`.
fn object_arn_in<'b>(
    bucket: &str,
    key: &str,
    buf: &'b mut ArrayString<ARN_BUF>,
    spill: &'b mut String,
) -> &'b str {
    buf.clear();
    let slash = if key.is_empty() { "" } else { "/" };
    if ["arn:aws:s3:::", bucket, slash, key]
        .iter()
        .all(|p| buf.try_push_str(p).is_ok())
    {
        return buf.as_str();
    }
    *spill = object_arn(bucket, key);
    spill
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_without_formatting_agree_with_display() {
        assert_eq!(object_arn("b", ""), "arn:aws:s3:::b");
        assert_eq!(object_arn("b", "k/x.csv"), "arn:aws:s3:::b/k/x.csv");
        // A fresh buffer each, and one for all: shorter ARNs after longer ones, multibyte text,
        // one too long for the buffer.
        let mut shared = ArrayString::new();
        let long = "k".repeat(ARN_BUF);
        for (b, k) in [
            ("b", "k/x.csv"),
            ("b", ""),
            ("b", "k/ééééééééééé"),
            ("b", "k/"),
            ("b", "k/x"),
            ("b", "x"),
            ("b", long.as_str()),
        ] {
            let (mut buf, mut spill) = (ArrayString::new(), String::new());
            assert_eq!(object_arn_in(b, k, &mut buf, &mut spill), object_arn(b, k));
            let mut spill = String::new();
            let reused = object_arn_in(b, k, &mut shared, &mut spill).to_string();
            assert_eq!(reused, object_arn(b, k));
        }
    }
}

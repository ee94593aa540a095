//! One request, start to end: the name from the source's view, the packet there and back on the
//! forwarding graph (one walker, `vpcsim_routing::Walk`), then the service and its policies.

use std::net::{IpAddr, Ipv4Addr};

use compact_str::CompactString;

use vpcsim_dns::{RecordType, Rotation, View};
use vpcsim_routing::{Origin, Packet, Record, Step, Walk};
use vpcsim_topology::model::{AwsCaller, PrincipalId, Protocol, Source};

use crate::{
    Disposition, Engine, Hop, Network, Options, Request, S3Call, S3Host, Trace, Verdict, Way,
};

/// Runs a trace.
pub(crate) fn run(
    eng: &Engine,
    net: &Network,
    source: Source,
    from: &str,
    req: Request,
    opts: &Options,
    rot: &mut Rotation,
) -> Trace {
    let topo = eng.topo;
    if let Source::Service(service) = source {
        return via_service(eng, service, from, req, opts);
    }
    let (origin, src_ip, src_ipv6, default_principal) = match source {
        Source::Instance(i) => {
            let inst = &topo.instances[i.index()];
            let e = &topo.enis[inst.eni.index()];
            (
                Origin::Instance {
                    eni: inst.eni,
                    subnet: e.subnet,
                    vpc: inst.vpc,
                },
                e.ip,
                e.ipv6,
                inst.role,
            )
        }
        Source::Host(h) => {
            let host = &topo.hosts[h.index()];
            (
                Origin::Host { site: host.site },
                host.ip,
                host.ipv6,
                host.principal,
            )
        }
        _ => {
            let mut t = empty_trace(req, from, IpAddr::V4(Ipv4Addr::UNSPECIFIED), None);
            t.disposition = Disposition::Unsupported;
            t.code = "source.not-a-host";
            return t;
        }
    };
    let principal = opts.principal.unwrap_or(default_principal);
    let mut req = req;
    if req.scheme == "s3" {
        s3_uri(eng, source, &mut req);
    }
    let mut t = empty_trace(req, from, IpAddr::V4(src_ip), principal);
    t.headers.clone_from(&opts.headers);
    let s3host = s3_host(&t.request);
    t.s3 = s3host.as_ref().map(|h| S3Call::new(h, &t.request));

    // 1. The name.
    let dst: IpAddr = match t.request.host_ip() {
        Some(ip) => ip,
        None => {
            let view = vpcsim_dns::view_of(topo, source);
            let paths = PathNet { engine: eng, net };
            let res = eng
                .dns
                .resolve_data(view, t.request.host(), RecordType::A, rot, &paths);
            let first = res.first_address().map(IpAddr::V4);
            t.dns = Some(res);
            match first {
                Some(ip) => ip,
                None => {
                    t.disposition = Disposition::DnsFailure;
                    t.code = "dns.failure";
                    return t;
                }
            }
        }
    };
    t.destination = Some(dst);
    // The source address of the destination's family.
    let src_ip = match dst {
        IpAddr::V4(_) => IpAddr::V4(src_ip),
        IpAddr::V6(_) => match src_ipv6 {
            Some(v6) => IpAddr::V6(v6),
            None => {
                t.disposition = Disposition::NoRoute;
                t.code = "source.no-ipv6";
                return t;
            }
        },
    };
    t.source_ip = src_ip;

    // 2. There and back, on one walker, whose steps become the trace's hops as they are made.
    let pkt = Packet::request(src_ip, dst, Protocol::Tcp, t.request.port);
    let mut w = Walk::recording(&eng.graph, &net.links, Hops::new(eng));
    let there = w.there(origin, pkt);
    t.forward = w.steps.take();
    let arrival = match there {
        Ok(a) => a,
        Err(s) => {
            stopped(&mut t, s, Way::There);
            return t;
        }
    };
    let back = w.back(origin, arrival, pkt);
    t.back = w.steps.take();
    if let Err(s) = back {
        stopped(&mut t, s, Way::Back);
        return t;
    }

    // 3. The service and its policies.
    let call = t.s3.take();
    t.tls = match &s3host {
        Some(h) if t.request.scheme == "https" => Some(opts.tls.unwrap_or(h.max_tls())),
        _ => None,
    };
    crate::service::reach(eng, &mut t, call.as_ref(), arrival, origin, s3host.as_ref());
    t.s3 = call;
    t
}

/// A request an AWS service makes for a principal (`aws/athena`): no walk through the topology's
/// network (the service reaches S3 inside AWS), then the service step with the context such a
/// request has.
fn via_service(
    eng: &Engine,
    service: AwsCaller,
    from: &str,
    mut req: Request,
    opts: &Options,
) -> Trace {
    if req.scheme == "s3" {
        s3_uri(eng, Source::Service(service), &mut req);
    }
    let principal = opts.principal.flatten();
    let mut t = empty_trace(req, from, IpAddr::V4(Ipv4Addr::UNSPECIFIED), principal);
    t.headers.clone_from(&opts.headers);
    let s3host = s3_host(&t.request);
    let call = s3host.as_ref().map(|h| S3Call::new(h, &t.request));
    t.tls = match &s3host {
        Some(h) if t.request.scheme == "https" => Some(opts.tls.unwrap_or(h.max_tls())),
        _ => None,
    };
    crate::service::via_service(eng, &mut t, call.as_ref(), s3host.as_ref(), service);
    t.s3 = call;
    t
}

/// A walk that stopped: its disposition and code; the deciding step is the last hop of `way`.
fn stopped(t: &mut Trace, s: vpcsim_routing::Stop, way: Way) {
    t.disposition = s.disposition;
    t.code = s.code;
    t.stopped = Some(way);
}

/// The walk's steps as the trace's hops, each made as the walker records it: the step as data
/// and its component ([`crate::render::component`]); words are written by [`Engine::render`].
struct Hops<'t> {
    eng: &'t Engine<'t>,
    hops: Vec<Hop>,
}

impl<'t> Hops<'t> {
    fn new(eng: &'t Engine<'t>) -> Self {
        Hops {
            eng,
            hops: Vec::new(),
        }
    }

    /// The hops so far (the next way starts a vector of its own).
    fn take(&mut self) -> Vec<Hop> {
        std::mem::take(&mut self.hops)
    }
}

impl Record for Hops<'_> {
    #[inline]
    fn record(&mut self, step: Step) {
        if self.hops.capacity() == 0 {
            // Room for one way of a typical path (three to five hops, the service's included),
            // in one allocation small enough for the allocator's per-thread cache (a hop is 120
            // bytes; glibc's cache takes up to 1,032).
            self.hops.reserve_exact(5);
        }
        // The hop is made here, in one expression pushed (made by a helper and returned, it was
        // copied once more: ~20 instructions a hop).
        let component = crate::render::component(self.eng.topo, &step);
        self.hops
            .push(Hop::new(crate::HopEvent::Walk(step), component));
    }
}

/// `s3://BUCKET/KEY` as the aws CLI sends it: HTTPS to the bucket's Regional virtual-hosted name
/// (path style for a bucket name with dots, which a virtual-hosted name cannot carry over TLS),
/// in the bucket's Region, or the source's for a bucket the topology does not have.
fn s3_uri(eng: &Engine, source: Source, req: &mut Request) {
    let topo = eng.topo;
    let bucket = req.host().to_string();
    let region = eng
        .buckets
        .get(bucket.as_str())
        .map(|b| topo.buckets[b.index()].region)
        .or(match source {
            Source::Instance(i) => Some(topo.vpcs[topo.instances[i.index()].vpc.index()].region),
            _ => None,
        })
        .and_then(|r| topo.regions.get(r.index()))
        .map_or("us-east-1", |r| r.name.as_str());
    if bucket.contains('.') {
        req.set_host(&format!("s3.{region}.amazonaws.com"));
        let path = format!("/{bucket}{}", req.path());
        req.set_path(&path);
    } else {
        req.set_host(&format!("{bucket}.s3.{region}.amazonaws.com"));
    }
    req.scheme = "https";
}

/// The S3 host name a request is sent to, parsed; `None` for a request without a URL (a
/// packet) or to a host that is not S3's.
pub(crate) fn s3_host(req: &Request) -> Option<S3Host> {
    if req.scheme.is_empty() {
        None
    } else {
        S3Host::parse(req.host())
    }
}

pub(crate) fn empty_trace(
    request: Request,
    from: &str,
    source_ip: IpAddr,
    principal: Option<PrincipalId>,
) -> Trace {
    Trace {
        request,
        from: CompactString::from(from),
        source_ip,
        principal,
        dns: None,
        destination: None,
        tls: None,
        headers: Vec::new(),
        forward: Vec::new(),
        back: Vec::new(),
        access: None,
        s3: None,
        policy: None,
        finding: None,
        disposition: Disposition::Unsupported,
        verdict: Verdict::Unreachable,
        code: "",
        reason: String::new(),
        stopped: None,
        facts: None,
        kept: None,
    }
}

/// Decides whether forwarded DNS queries get through by walking them like any packet: UDP 53 from
/// the forwarding resolver (an on-premises resolver, or a VPC's outbound Resolver endpoint) to the
/// target, with security groups, network ACLs, routes, links and the reply path.
pub(crate) struct PathNet<'a> {
    /// The engine.
    pub engine: &'a Engine<'a>,
    /// The link state in force.
    pub net: &'a Network,
}

impl vpcsim_dns::Network for PathNet<'_> {
    fn dns_reachable(&self, from: View, to: IpAddr) -> Result<Option<String>, String> {
        let topo = self.engine.topo;
        let (origin, src_ip) = match from {
            View::Site(s) => match topo.sites[s.index()].dns.as_ref() {
                Some(d) => (Origin::Host { site: s }, d.resolver),
                None => return Ok(None),
            },
            View::Vpc(v) | View::Inbound(v) => {
                let Some(out) = topo.vpcs[v.index()].outbound_resolver else {
                    return Ok(None);
                };
                let Some(&eni) = topo.resolver_endpoints[out.index()].enis.first() else {
                    return Ok(None);
                };
                let e = &topo.enis[eni.index()];
                (
                    Origin::Instance {
                        eni,
                        subnet: e.subnet,
                        vpc: v,
                    },
                    e.ip,
                )
            }
            View::Public => return Ok(None),
        };
        let pkt = Packet::request(IpAddr::V4(src_ip), to, Protocol::Udp, 53);
        let mut w = Walk::new(&self.engine.graph, &self.net.links);
        let why = |w: &Walk| {
            w.steps
                .last()
                .map(|s| crate::render::reason(topo, &self.engine.graph.routes, s))
        };
        let arrival = match w.there(origin, pkt) {
            Ok(a) => a,
            Err(_) => return Err(why(&w).unwrap_or_default()),
        };
        if w.back(origin, arrival, pkt).is_err() {
            return Err(why(&w).unwrap_or_default());
        }
        let via: Vec<std::borrow::Cow<str>> = w
            .steps
            .iter()
            .filter_map(|s| crate::render::component(topo, s).map(|c| c.name(topo)))
            .collect();
        Ok((!via.is_empty()).then(|| format!("over {}", via.join(", "))))
    }
}

//! The path engine: given a source and a request, follow it the way AWS would — resolve the name,
//! route there hop by hop, reach the service, come back, evaluate the policies — and say where it
//! ends and why.
//!
//! [`Engine::new`] indexes the topology and makes the DNS model and the forwarding graph, which
//! derive each VPC's Resolver and compile each route table the first time a question needs it (a
//! trace touches a handful of VPCs, not every VPC of a large topology; [`Engine::compile_all`]
//! does everything at once); [`Engine::network`] is a set of failed links (nothing is compiled
//! again for it); [`Engine::trace`] returns a [`Trace`]: the DNS chain, the [`Hop`]s forward and
//! back, how the service was reached ([`Access`]), the request context the policies saw, the policy
//! [`Outcome`](vpcsim_policy::Outcome), a [`Disposition`] in the spirit of Batfish and a [`Verdict`]
//! with its reason. Every hop and verdict carries a stable code (`route.no-route`,
//! `sg.no-matching-rule`, `endpoint.gateway-not-extendable`…, documented in docs/trace.md) and names
//! the route, rule, record or statement that decided it.
//!
//! [`check()`] runs a topology's expectations and scenarios.
//!
//! Invariant: pure and deterministic; no I/O. The only state is the DNS [`Rotation`] a caller passes
//! to spread repeated requests over ENIs and X-ENIs (what is derived lazily is derived from the
//! topology alone, behind a `OnceLock` per VPC, hosted zone and route table, and per component
//! (the name a hop carries, shared) and endpoint (the condition keys it sets): the same answers
//! whatever was asked before, and no lock shared by concurrent traces once derived).

/// The hash maps of the trace path: keys are names and addresses from the topology, so a fast
/// hash with a fixed seed (lookups only; nothing iterates them into output).
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::FixedState>;

mod keys;
mod render;
pub mod request;
mod service;
pub mod spread;
mod trace;

use std::net::IpAddr;

/// The short-string type of [`Trace::from`] and [`S3Call`]'s names (inline up to 24 bytes).
pub use compact_str::CompactString;

use vpcsim_dns::{Dns, RecordType, Resolution, Rotation, View};
use vpcsim_routing::{Graph, LinkState};
use vpcsim_topology::Topology;
use vpcsim_topology::model::{EndpointId, LinkId, OutpostId, PrincipalId, Source, Span};

pub mod check;
pub mod design;
pub mod matrix;
pub use check::check;
pub use check::{CheckResult, ExpectationResult, check_expectation, check_with};
pub use request::{Request, RequestError, S3Call, S3Host, Signing, TlsVersion, reads_header};
pub use service::{Finding, ServiceEvent};
pub use spread::Spread;

/// Where the request ended (the forwarding model's dispositions, and the service's).
pub use vpcsim_routing::Disposition;

/// The verdict an expectation names.
pub use vpcsim_topology::model::Verdict;

/// One step of the path: what happened as data (`event`; its code, span and element are read from
/// it: [`Hop::code`], [`Hop::span`], [`Hop::element`]), the named component passed, and its words
/// ([`Hop::at`], [`Hop::detail`]), which [`Engine::render`] writes where the trace is shown (empty
/// before).
#[derive(Clone, Debug, PartialEq)]
pub struct Hop {
    /// What happened, by reference into the topology.
    pub event: HopEvent,
    /// The named component passed, for `via:` (`dx-primary`, `s3-interface`, `shared-analytics`),
    /// by id: [`Component::name`] names it, [`Hop::component_name`] once rendered.
    pub component: Option<Component>,
    /// The words, once [`Engine::render`] has written them: out of line, so that a hop the walk
    /// makes (and moves, and drops) carries a pointer for them, not two strings.
    pub(crate) words: Option<Box<Words>>,
}

/// A hop's words ([`Hop::at`], [`Hop::detail`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Words {
    pub(crate) at: String,
    pub(crate) detail: String,
    /// The component's name, shared with the engine's other hops of that component.
    pub(crate) component: Option<std::sync::Arc<str>>,
}

/// A named component a hop passes (what an expectation's `via:` names), by id: a hop records
/// it without naming it; [`Component::name`] gives the name the topology writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Component {
    /// An interface or gateway endpoint.
    Endpoint(EndpointId),
    /// An Outpost, reached through its X-ENIs.
    Outpost(OutpostId),
    /// An S3 access point (of a bucket or on an Outpost).
    AccessPoint(vpcsim_topology::model::AccessPointId),
    /// A VPC's internet gateway (`igw`).
    InternetGateway,
    /// The internet, from a site's egress or to a public endpoint (`internet`).
    Internet,
    /// A NAT gateway.
    NatGateway(vpcsim_topology::model::NatGatewayId),
    /// A Direct Connect or VPN link.
    Link(LinkId),
    /// One tunnel of a VPN link (`LINK/TUNNEL`).
    Tunnel {
        /// The link.
        link: LinkId,
        /// The tunnel (0-based).
        tunnel: usize,
    },
    /// A Direct Connect gateway.
    DxGateway(vpcsim_topology::model::DxGatewayId),
    /// A peering connection.
    Peering(vpcsim_topology::model::PeeringId),
    /// An AWS service that calls for a principal (its service principal).
    Service(vpcsim_topology::model::AwsCaller),
}

impl Component {
    /// The component's name, as the topology writes it (`via:` compares these).
    pub fn name(self, topo: &Topology) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow;
        match self {
            Component::Endpoint(e) => Cow::Borrowed(&topo.endpoints[e.index()].name),
            Component::Outpost(o) => Cow::Borrowed(&topo.outposts[o.index()].name),
            Component::AccessPoint(a) => Cow::Borrowed(&topo.access_points[a.index()].name),
            Component::InternetGateway => Cow::Borrowed("igw"),
            Component::Internet => Cow::Borrowed("internet"),
            Component::NatGateway(n) => Cow::Borrowed(&topo.nat_gateways[n.index()].name),
            Component::Link(l) => Cow::Borrowed(&topo.links[l.index()].name),
            Component::Tunnel { link, tunnel } => {
                let l = &topo.links[link.index()];
                Cow::Owned([l.name.as_str(), "/", &l.tunnels[tunnel]].concat())
            }
            Component::DxGateway(g) => Cow::Borrowed(&topo.dx_gateways[g.index()].name),
            Component::Peering(p) => Cow::Borrowed(&topo.peerings[p.index()].name),
            Component::Service(s) => Cow::Borrowed(s.service_principal()),
        }
    }
}

impl Hop {
    /// A hop of `event` passing `component`, without words yet.
    pub(crate) fn new(event: HopEvent, component: Option<Component>) -> Self {
        Hop {
            event,
            component,
            words: None,
        }
    }

    /// Where (`subnet app-a (VPC shared)`, `route table endpoints`, `Direct Connect dx-primary`);
    /// written by [`Engine::render`] (empty before).
    pub fn at(&self) -> &str {
        self.words.as_ref().map_or("", |w| w.at.as_str())
    }

    /// What happened, naming the route or rule; written by [`Engine::render`] (empty before).
    pub fn detail(&self) -> &str {
        self.words.as_ref().map_or("", |w| w.detail.as_str())
    }

    /// The name of the component passed; written by [`Engine::render`] (`None` before, and for a
    /// hop that passes none).
    pub fn component_name(&self) -> Option<&str> {
        self.words.as_ref().and_then(|w| w.component.as_deref())
    }

    /// A stable code.
    pub fn code(&self) -> &'static str {
        match &self.event {
            HopEvent::Walk(step) => step.code(),
            HopEvent::Service(event) => event.code(),
        }
    }

    /// Where the deciding route or rule is written.
    pub fn span(&self) -> Option<Span> {
        match &self.event {
            HopEvent::Walk(step) => step.span,
            HopEvent::Service(_) => None,
        }
    }

    /// The component the hop happened at (what a diagram highlights; `Topology::element_id`
    /// names it).
    pub fn element(&self) -> Option<vpcsim_topology::Element> {
        match &self.event {
            HopEvent::Walk(step) => step.element(),
            HopEvent::Service(event) => event.element(),
        }
    }
}

/// What a hop records: a step of the walk there or back, or of the service step.
#[derive(Clone, Debug, PartialEq)]
pub enum HopEvent {
    /// A step of the forwarding model's walker.
    Walk(vpcsim_routing::Step),
    /// A step of the service (the endpoint's ENI, an access point, the public service…).
    Service(ServiceEvent),
}

/// Which way of the walk stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// The request, there.
    There,
    /// The reply, back.
    Back,
}

/// How the service was reached.
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// Through a gateway endpoint's prefix-list route.
    GatewayEndpoint {
        /// The endpoint.
        endpoint: EndpointId,
        /// The client's private address.
        client_ip: IpAddr,
    },
    /// Through an interface endpoint's network interface.
    InterfaceEndpoint {
        /// The endpoint.
        endpoint: EndpointId,
        /// The ENI's address.
        eni_ip: IpAddr,
        /// The client's address as the endpoint sees it.
        client_ip: IpAddr,
    },
    /// Over the internet to the service's public address.
    Public {
        /// The public source address (site egress, NAT gateway, instance).
        source_ip: IpAddr,
    },
    /// Through one of an S3 on Outposts endpoint's X-ENIs.
    Outposts {
        /// The Outpost.
        outpost: OutpostId,
        /// X-ENI index 0–3.
        xeni: u8,
        /// Its address.
        ip: IpAddr,
        /// The client's address.
        client_ip: IpAddr,
    },
    /// From an AWS service (Athena) inside AWS, to S3's public endpoint, for a principal.
    AwsService {
        /// The service.
        service: vpcsim_topology::model::AwsCaller,
    },
    /// Directly to a host or interface (not an AWS service).
    Host {
        /// The address reached.
        ip: IpAddr,
    },
}

/// The outcome of one request.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The request.
    pub request: Request,
    /// Who sent it (as the user named it).
    pub from: CompactString,
    /// The source's address.
    pub source_ip: IpAddr,
    /// The principal that signed it (`None`: anonymous).
    pub principal: Option<PrincipalId>,
    /// Name resolution, unless the host was an address.
    pub dns: Option<Resolution>,
    /// The address connected to.
    pub destination: Option<IpAddr>,
    /// The TLS version of an `https` request to S3 (its `s3:TlsVersion`).
    pub tls: Option<TlsVersion>,
    /// The request's headers, names in lowercase ([`Options::headers`]).
    pub headers: Vec<(String, String)>,
    /// Hops there.
    pub forward: Vec<Hop>,
    /// Hops back.
    pub back: Vec<Hop>,
    /// How the service was reached.
    pub access: Option<Access>,
    /// The S3 call, for S3 requests.
    pub s3: Option<S3Call>,
    /// The policy decision, when policies were evaluated.
    pub policy: Option<vpcsim_policy::Outcome>,
    /// How the service step ended (when the walk arrived), as data; `reason` puts it in words.
    pub finding: Option<Finding>,
    /// Where it ended.
    pub disposition: Disposition,
    /// Allowed, denied or unreachable.
    pub verdict: Verdict,
    /// A stable code for the deciding reason.
    pub code: &'static str,
    /// The reason in one sentence; written by [`Engine::render`] (empty before).
    pub reason: String,
    /// The way whose walk stopped (its last hop decided), when one did.
    pub stopped: Option<Way>,
    /// What the request context the policies saw follows from (the keys are worked out as
    /// policies read them), when policies were evaluated.
    pub(crate) facts: Option<keys::Facts>,
    /// The request context, every key of it, written by [`Engine::render`] ([`Trace::context`]).
    pub(crate) kept: Option<Box<vpcsim_policy::Context<'static>>>,
}

impl Trace {
    /// The request context the policies saw ([`vpcsim_policy::Context::iter`] lists it sorted),
    /// once [`Engine::render`] has put the trace in words (empty before, and when no policy was
    /// evaluated).
    pub fn context(&self) -> &vpcsim_policy::Context<'static> {
        static EMPTY: std::sync::LazyLock<vpcsim_policy::Context<'static>> =
            std::sync::LazyLock::new(vpcsim_policy::Context::default);
        match &self.kept {
            Some(k) => k.as_ref(),
            _ => &EMPTY,
        }
    }

    /// The names of the components passed, in order (what `via:` is compared with), from the
    /// topology the trace was made in.
    pub fn components<'t>(&self, topo: &'t Topology) -> Vec<std::borrow::Cow<'t, str>> {
        let mut v: Vec<std::borrow::Cow<'t, str>> = self
            .forward
            .iter()
            .filter_map(|h| h.component.map(|c| c.name(topo)))
            .collect();
        v.dedup();
        v
    }

    /// [`Trace::components`] as [`Engine::render`] wrote them (empty before).
    pub fn via(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .forward
            .iter()
            .filter_map(Hop::component_name)
            .collect();
        v.dedup();
        v
    }

    /// `KIND NAME / SID` of the deciding statements.
    pub fn deciding(&self) -> Vec<String> {
        self.policy
            .iter()
            .flat_map(|o| {
                o.deciding
                    .iter()
                    .map(|s| format!("{} / {}", s.policy, s.statement))
            })
            .collect()
    }
}

/// Options of one trace.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Sign with this principal instead of the source's own; `Some(None)` forces anonymous.
    pub principal: Option<Option<PrincipalId>>,
    /// The TLS version an `https` request was made over (`s3:TlsVersion`); `None`: the highest
    /// the name negotiates ([`S3Host::max_tls`]), as a current client gets.
    pub tls: Option<TlsVersion>,
    /// The request's headers (names in lowercase, as
    /// [`vpcsim_topology::request::header`] makes them): S3 turns some into condition keys for
    /// the actions that have them (`x-amz-server-side-encryption` → `s3:x-amz-server-side-encryption`
    /// on `s3:PutObject`), and `Authorization`'s scheme says how the request is signed
    /// ([`Signing`]). Others are ignored.
    pub headers: Vec<(String, String)>,
}

/// The engine: a topology with its DNS model and forwarding graph (both derived as questions need
/// them; an engine is shared by threads as it is).
#[derive(Clone, Debug)]
pub struct Engine<'t> {
    /// The topology.
    pub topo: &'t Topology,
    /// Its DNS.
    pub dns: Dns<'t>,
    /// The topology compiled for forwarding.
    pub graph: Graph<'t>,
    /// Buckets outside Outposts by name.
    pub(crate) buckets: FastMap<&'t str, vpcsim_topology::model::BucketId>,
    /// Access points by the label of their names (`NAME-ACCOUNT`).
    pub(crate) access_points: FastMap<String, vpcsim_topology::model::AccessPointId>,
    /// Each principal as a policy caller (ARN and account), by principal index.
    pub(crate) callers: Vec<vpcsim_policy::Caller>,
    /// The labels policies are named by in verdicts.
    pub(crate) labels: service::Labels<'t>,
    /// The names hops carry as their component.
    pub(crate) names: render::Names,
}

/// The state of the network a walk sees: which links and tunnels are down. Cheap to make: the
/// forwarding graph is compiled at most once per engine, and link state is an input to each walk.
#[derive(Clone, Debug)]
pub struct Network {
    /// Links and tunnels up or down.
    pub links: LinkState,
}

impl<'t> Engine<'t> {
    /// Indexes the topology (buckets, access points, callers) and makes its DNS model and
    /// forwarding graph, deriving only what every question needs: each VPC's Resolver and each
    /// route table are derived the first time a question needs them.
    pub fn new(topo: &'t Topology) -> Self {
        let mut buckets = FastMap::default();
        for (i, b) in topo.buckets.iter().enumerate() {
            if b.outpost.is_none() {
                buckets
                    .entry(b.name.as_str())
                    .or_insert(vpcsim_topology::model::BucketId(i as u32));
            }
        }
        let mut access_points = FastMap::default();
        for (i, a) in topo.access_points.iter().enumerate() {
            access_points
                .entry(service::access_point_label(topo, a))
                .or_insert(vpcsim_topology::model::AccessPointId(i as u32));
        }
        let callers = topo
            .principals
            .iter()
            .map(|pr| {
                let account = topo
                    .accounts
                    .get(pr.account.index())
                    .map(|a| a.id.clone())
                    .unwrap_or_default();
                vpcsim_policy::Caller {
                    arn: pr.arn(&account),
                    account,
                }
            })
            .collect();
        Engine {
            topo,
            dns: Dns::build(topo),
            graph: Graph::compile(topo),
            buckets,
            access_points,
            callers,
            labels: service::Labels::new(topo),
            names: render::Names::new(topo),
        }
    }

    /// Derives every VPC's Resolver and private hosted zone and compiles every route table now,
    /// instead of when a question first needs them (the answers are the same): for callers that
    /// will ask about the whole network and prefer to pay up front.
    pub fn compile_all(&self) {
        self.dns.derive_all();
        self.graph.routes.compile_all();
    }

    /// The network with these links (or `link`, tunnel) down.
    pub fn network(&self, down: &[(LinkId, Option<usize>)]) -> Network {
        Network {
            links: LinkState::new(self.topo, down),
        }
    }

    /// Answers `name`/`qtype` asked in `view`. Forwarded queries (conditional forwarders, Resolver
    /// rules) travel like any packet over `net`: UDP 53 from the forwarding resolver through
    /// security groups, network ACLs, routes and links, and the reply back; a query that reaches
    /// no target is SERVFAIL. This is the one way vpcsim resolves: the CLI and the HTTP API call
    /// it, the DNS server [`Engine::resolve_quiet`], and a trace the same resolution over the same
    /// network with its steps kept as data (`Dns::resolve_data`).
    pub fn resolve(
        &self,
        net: &Network,
        view: View,
        name: &str,
        qtype: RecordType,
        rotation: &mut Rotation,
    ) -> Resolution {
        let paths = trace::PathNet { engine: self, net };
        self.dns.resolve_over(view, name, qtype, rotation, &paths)
    }

    /// [`Engine::resolve`] without the text of the steps (the same codes, answers and flags).
    pub fn resolve_quiet(
        &self,
        net: &Network,
        view: View,
        name: &str,
        qtype: RecordType,
        rotation: &mut Rotation,
    ) -> Resolution {
        let paths = trace::PathNet { engine: self, net };
        self.dns.resolve_quiet(view, name, qtype, rotation, &paths)
    }

    /// The access point an `AP-ACCOUNT` label names (as S3 host names carry it), from the
    /// engine's index.
    pub fn access_point(&self, label: &str) -> Option<vpcsim_topology::model::AccessPointId> {
        self.access_points.get(label).copied()
    }

    /// A principal as policies see it: its ARN and account id.
    pub fn caller(&self, principal: PrincipalId) -> &vpcsim_policy::Caller {
        &self.callers[principal.index()]
    }

    /// Puts a trace in words, where it is shown: each hop's `at` and `detail`, the DNS steps, the
    /// request context and the policy explanation, and the reason. A function of the topology and
    /// the trace's data: every edge gets the same words. Rendering again writes the same.
    pub fn render(&self, t: &mut Trace) {
        render::trace(self, t);
    }

    /// Traces one request from `source`. The trace is data (ids, codes, steps); its words are
    /// written by [`Engine::render`].
    pub fn trace(
        &self,
        net: &Network,
        source: Source,
        from: &str,
        request: &str,
        opts: &Options,
        rotation: &mut Rotation,
    ) -> Result<Trace, RequestError> {
        let req = Request::parse(request)?;
        Ok(trace::run(self, net, source, from, req, opts, rotation))
    }
}

#[cfg(test)]
mod tests {
    /// A hop is made and moved once per step of every walk, and a step once more: small enough
    /// that moving one is a few vector moves, not a call to `memcpy` (which x86-64 code makes for
    /// more than 128 bytes).
    #[test]
    fn hops_and_steps_stay_small() {
        use std::mem::size_of;
        assert!(
            size_of::<crate::Hop>() <= 128,
            "{}",
            size_of::<crate::Hop>()
        );
        assert!(
            size_of::<vpcsim_routing::Step>() <= 88,
            "{}",
            size_of::<vpcsim_routing::Step>()
        );
    }
}

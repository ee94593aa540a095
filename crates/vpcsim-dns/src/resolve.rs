//! Answering a query in a view, following rules, forwarders and CNAMEs, and recording every step.

use std::net::IpAddr;
use std::sync::Arc;

use vpcsim_topology::text;

use crate::build::{Dns, ZoneId, hash};
use crate::net::Network;
use crate::zone::{Zone, ZoneAnswer, ZoneKind, in_zone};
use crate::{Events, RData, Rcode, RecordType, Resolution, Rotation, RrSet, Step, View, normalize};

/// What one query carries through the resolvers: the rotation, the network forwarded queries
/// cross, and the steps recorded so far: as data (explained, or kept), or as the steps' codes
/// (quiet).
pub(crate) struct Cx<'a> {
    pub rotation: &'a mut Rotation,
    pub net: &'a dyn Network,
    quiet: bool,
    events: Vec<(View, Event)>,
    /// Quiet: the steps, codes only.
    codes: Vec<Step>,
}

impl Cx<'_> {
    /// Records what happened at the resolver of `at`.
    fn note(&mut self, at: View, event: Event) {
        if self.quiet {
            self.codes.push(Step {
                at: String::new(),
                code: event.code(),
                detail: String::new(),
            });
        } else {
            self.events.push((at, event));
        }
    }
}

/// A zone of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZoneRef {
    /// A public zone (index into `Dns::public`).
    Public(usize),
    /// A private zone.
    Private(ZoneId),
}

/// What happened at one step, by reference into the model.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Event {
    /// Too many forwarding hops or CNAME links.
    Loop,
    /// A site's conditional forwarder (its index) matched.
    Forwarded {
        site: vpcsim_topology::model::SiteId,
        forward: usize,
    },
    /// A zone the site's resolver holds is the most specific match.
    SiteZone { zone: ZoneId },
    /// Nothing matched: public DNS (`other`: a rule or zone was skipped, or for a site resolver
    /// (`site`), it holds zones of its own).
    Recursive { site: bool, other: bool },
    /// The VPC's Resolver does not answer (`enableDnsSupport` is false).
    SupportOff { vpc: vpcsim_topology::model::VpcId },
    /// The query entered a VPC through its inbound endpoint.
    Inbound { vpc: vpcsim_topology::model::VpcId },
    /// A target is a VPC's `.2` Resolver, which takes no forwarded queries.
    UnreachableResolver {
        target: IpAddr,
        vpc: vpcsim_topology::model::VpcId,
    },
    /// The forwarded query's path, in the network's words.
    Path { target: IpAddr, path: String },
    /// A target cannot be reached, in the network's words.
    TargetUnreachable { target: IpAddr, why: String },
    /// Nothing answers DNS at a target.
    NoServer { target: IpAddr },
    /// No target answered.
    ServFail,
    /// A forwarding rule (its index in the VPC's rules) matched.
    RuleForward {
        vpc: vpcsim_topology::model::VpcId,
        rule: usize,
    },
    /// A system rule matched.
    RuleSystem {
        vpc: vpcsim_topology::model::VpcId,
        rule: usize,
    },
    /// A private DNS zone answers inbound queries only.
    PrivateDnsInboundOnly { zone: ZoneId },
    /// A private zone matched.
    PrivateZone { zone: ZoneId },
    /// The name is outside every public zone.
    Refused { name: String },
    /// An answer (its index in the resolution's answers).
    Answer { answer: usize },
    /// Following the CNAME of an answer.
    Cname { answer: usize },
    /// The name exists without records of the type.
    NoData {
        name: String,
        qtype: RecordType,
        zone: ZoneRef,
    },
    /// The name does not exist (the code was worked out when it was recorded).
    NxDomain {
        name: String,
        zone: ZoneRef,
        code: &'static str,
    },
}

impl Event {
    pub(crate) fn code(&self) -> &'static str {
        match self {
            Event::Loop => "dns.loop",
            Event::Forwarded { .. } => "dns.forwarded",
            Event::SiteZone { .. } => "dns.site-zone",
            Event::Recursive { .. } => "dns.recursive",
            Event::Inbound { .. } => "dns.inbound",
            Event::SupportOff { .. } => "dns.support-off",
            Event::UnreachableResolver { .. } => "dns.unreachable-resolver",
            Event::Path { .. } => "dns.path",
            Event::TargetUnreachable { .. } => "dns.target-unreachable",
            Event::NoServer { .. } => "dns.no-server",
            Event::ServFail => "dns.servfail",
            Event::RuleForward { .. } => "dns.rule-forward",
            Event::RuleSystem { .. } => "dns.rule-system",
            Event::PrivateDnsInboundOnly { .. } => "dns.private-dns-inbound-only",
            Event::PrivateZone { .. } => "dns.private-zone",
            Event::Refused { .. } => "dns.refused",
            Event::Answer { .. } => "dns.answer",
            Event::Cname { .. } => "dns.cname",
            Event::NoData { .. } => "dns.nodata",
            Event::NxDomain { code, .. } => code,
        }
    }
}

/// Forwarding hops and CNAME links followed before giving up with SERVFAIL.
const MAX_DEPTH: usize = 12;

impl Dns<'_> {
    /// Advances the load-balancing counter of `name` in `view` for a record set of `records`
    /// records, as one more answer does, and returns the offset that answer takes (the seeded
    /// starting offset of the name, plus the answers so far, modulo `records`).
    pub fn advance(&self, rotation: &mut Rotation, view: View, name: &str, records: u64) -> u64 {
        rotation.next(view, name, self.seed, records, || {
            hash(self.seed, &["rotate", name]) % records
        })
    }

    /// A short description of a view, for steps and listings.
    pub fn view_name(&self, view: View) -> String {
        match view {
            View::Public => "public DNS".into(),
            // From the topology: naming a view derives nothing.
            View::Vpc(v) => {
                let vpc = &self.topo.vpcs[v.index()];
                let mut out = ["Route 53 Resolver of VPC ", &vpc.name, " ("].concat();
                text::push_ip(&mut out, crate::build::resolver_ip(vpc).into());
                out.push(')');
                out
            }
            View::Inbound(v) => {
                let vpc = &self.topo.vpcs[v.index()];
                let ips: Vec<String> = crate::build::endpoint_ips(self.topo, vpc.inbound_resolver)
                    .iter()
                    .map(|i| i.to_string())
                    .collect();
                format!(
                    "inbound Resolver endpoint of VPC {} ({})",
                    vpc.name,
                    ips.join(", ")
                )
            }
            View::Site(s) => {
                let d = &self.sites[s.index()];
                match d.resolver {
                    Some(ip) => {
                        let mut out = [d.name.as_str(), " resolver ("].concat();
                        text::push_ip(&mut out, ip.into());
                        out.push(')');
                        out
                    }
                    None => [d.name.as_str(), " (no resolver of its own)"].concat(),
                }
            }
        }
    }

    /// The readable report of a resolution: the query, each step of the chain, the status and the
    /// answer records in master-file form. `from` is how the user named the source.
    pub fn report(
        &self,
        view: View,
        from: &str,
        name: &str,
        qtype: RecordType,
        res: &Resolution,
    ) -> String {
        let mut out = format!(
            "{qtype} {} from {from} (asks {})\n",
            normalize(name),
            self.view_name(view)
        );
        for (i, s) in res.steps.iter().enumerate() {
            out.push_str(&format!("  {}. [{}] {}\n", i + 1, s.at, s.detail));
        }
        out.push_str(&format!(
            "{}{}\n",
            res.status(),
            if res.authoritative {
                " (authoritative)"
            } else {
                ""
            }
        ));
        let records = |out: &mut String, sets: &[crate::RrSet]| {
            for set in sets {
                for d in &set.data {
                    out.push_str(&format!(
                        "{}.\t{}\tIN\t{}\t{}\n",
                        set.name, set.ttl, set.rtype, d
                    ));
                }
            }
        };
        records(&mut out, &res.answers);
        // A negative answer's SOA, as dig shows it: it names the zone that said no.
        if !res.authority.is_empty() {
            out.push_str(";; AUTHORITY SECTION:\n");
            records(&mut out, &res.authority);
        }
        out
    }

    /// Every view of the topology.
    pub fn views(&self) -> Vec<View> {
        let mut v = vec![View::Public];
        let topo = self.topo;
        for (i, vpc) in topo.vpcs.iter().enumerate() {
            let id = vpcsim_topology::model::VpcId(i as u32);
            v.push(View::Vpc(id));
            // A VPC whose inbound Resolver endpoint has addresses.
            if vpc
                .inbound_resolver
                .is_some_and(|ep| !topo.resolver_endpoints[ep.index()].enis.is_empty())
            {
                v.push(View::Inbound(id));
            }
        }
        for (i, s) in self.sites.iter().enumerate() {
            if s.resolver.is_some() {
                v.push(View::Site(vpcsim_topology::model::SiteId(i as u32)));
            }
        }
        v
    }

    /// Answers `name`/`qtype` asked in `view`, with `net` deciding whether each forwarded query
    /// reaches its target (links down, missing routes, security groups): a query that cannot reach
    /// any target fails with SERVFAIL. `rotation` advances the DNS load balancing of rotated names
    /// (Regional endpoint names, S3 on Outposts); pass a fresh one for a single, repeatable answer.
    /// Callers outside tests go through `vpcsim_engine::Engine::resolve`, which supplies the
    /// network.
    pub fn resolve_over(
        &self,
        view: View,
        name: &str,
        qtype: RecordType,
        rotation: &mut Rotation,
        net: &dyn Network,
    ) -> Resolution {
        // The steps as data, then in words (what a trace does where it is shown).
        let mut r = self.resolve_with(view, name, qtype, rotation, net, false);
        r.steps = self.render_steps(&r);
        r.events = Events::default();
        r
    }

    /// Like [`Dns::resolve_over`], without the text: the same code, answers, flags and step codes,
    /// but every step's `at` and `detail` are empty and nothing is formatted. For callers that need
    /// only the answer (a quiet trace).
    pub fn resolve_quiet(
        &self,
        view: View,
        name: &str,
        qtype: RecordType,
        rotation: &mut Rotation,
        net: &dyn Network,
    ) -> Resolution {
        self.resolve_with(view, name, qtype, rotation, net, true)
    }

    /// Like [`Dns::resolve_over`], with the steps kept as data ([`Resolution::events`]) and
    /// nothing formatted: `steps` stays empty until [`Dns::render_steps`] writes them, the same
    /// words [`Dns::resolve_over`] writes. For traces, which are put in words only where shown.
    pub fn resolve_data(
        &self,
        view: View,
        name: &str,
        qtype: RecordType,
        rotation: &mut Rotation,
        net: &dyn Network,
    ) -> Resolution {
        self.resolve_with(view, name, qtype, rotation, net, false)
    }

    /// The steps of a resolution in words: those [`Dns::resolve_data`] kept as data, or the
    /// steps already written.
    pub fn render_steps(&self, r: &Resolution) -> Vec<Step> {
        if r.events.is_empty() {
            return r.steps.clone();
        }
        r.events
            .0
            .iter()
            .map(|(at, e)| Step {
                at: self.view_name(*at),
                code: e.code(),
                detail: self.words(e, r),
            })
            .collect()
    }

    fn resolve_with(
        &self,
        view: View,
        name: &str,
        qtype: RecordType,
        rotation: &mut Rotation,
        net: &dyn Network,
        quiet: bool,
    ) -> Resolution {
        let name = normalize(name);
        let mut r = Resolution {
            rcode: Rcode::NoError,
            answers: Vec::with_capacity(2),
            authority: Vec::new(),
            authoritative: false,
            // Made from the events below.
            steps: Vec::new(),
            rotations: Vec::new(),
            events: Events::default(),
        };
        // Room for a typical resolution (view, rules, zone, answer, a CNAME or two), on the side
        // that records.
        const ROOM: usize = 8;
        let mut cx = Cx {
            rotation,
            net,
            quiet,
            events: Vec::with_capacity(if quiet { 0 } else { ROOM }),
            codes: Vec::with_capacity(if quiet { ROOM } else { 0 }),
        };
        self.in_view(view, &name, qtype, &mut cx, &mut r, 0);
        // The steps: their codes (quiet), or the events as data (their words are written by
        // `render_steps`).
        if quiet {
            r.steps = cx.codes;
        } else {
            r.events = Events(cx.events);
        }
        // Only a negative answer carries a zone's SOA (a failure or a refusal after it does not).
        if r.rcode != Rcode::NxDomain && !r.is_nodata() {
            r.authority.clear();
        }
        // Only AWS's public DNS servers are authoritative; resolvers answer recursively.
        r.authoritative &= view == View::Public;
        r
    }

    fn in_view(
        &self,
        view: View,
        name: &str,
        qtype: RecordType,
        rot: &mut Cx<'_>,
        r: &mut Resolution,
        depth: usize,
    ) {
        let at = view;
        if depth > MAX_DEPTH {
            r.rcode = Rcode::ServFail;
            rot.note(at, Event::Loop);
            return;
        }
        match view {
            View::Public => self.public(name, qtype, rot, r, depth),
            View::Site(s) => {
                let site = &self.sites[s.index()];
                let best = site
                    .forwards
                    .iter()
                    .enumerate()
                    .filter(|(_, (d, _))| in_zone(name, d))
                    .max_by_key(|(_, (d, _))| d.len());
                // A zone the resolver holds answers when it is at least as specific as the best
                // forwarder (as BIND picks the closest enclosing zone, its own before a forward
                // zone of the same name).
                let zone = site
                    .zones
                    .iter()
                    .map(|i| (*i, &self.private(*i).zone))
                    .filter(|(_, z)| in_zone(name, &z.apex))
                    .max_by_key(|(_, z)| z.apex.len())
                    .filter(|(_, z)| best.is_none_or(|(_, (d, _))| z.apex.len() >= d.len()));
                if let Some((index, z)) = zone {
                    rot.note(at, Event::SiteZone { zone: index });
                    return self.answer_from(
                        z,
                        ZoneRef::Private(index),
                        view,
                        at,
                        name,
                        qtype,
                        rot,
                        r,
                        depth,
                        false,
                    );
                }
                match best {
                    Some((forward, (_, targets))) => {
                        rot.note(at, Event::Forwarded { site: s, forward });
                        self.forward(
                            targets.iter().map(|t| IpAddr::V4(*t)).collect(),
                            name,
                            qtype,
                            rot,
                            r,
                            depth,
                            at,
                            view,
                        );
                    }
                    None => {
                        rot.note(
                            at,
                            Event::Recursive {
                                site: true,
                                other: !site.zones.is_empty(),
                            },
                        );
                        self.in_view(View::Public, name, qtype, rot, r, depth + 1);
                    }
                }
            }
            View::Inbound(v) => {
                rot.note(at, Event::Inbound { vpc: v });
                self.vpc(v, true, name, qtype, rot, r, depth);
            }
            View::Vpc(v) => self.vpc(v, false, name, qtype, rot, r, depth),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        targets: Vec<IpAddr>,
        name: &str,
        qtype: RecordType,
        rot: &mut Cx<'_>,
        r: &mut Resolution,
        depth: usize,
        at: View,
        from: View,
    ) {
        // The first target that is a DNS server and can be reached answers (resolvers try
        // targets in turn).
        for t in &targets {
            match self.dns_servers.get(t) {
                Some(View::Vpc(v)) => {
                    rot.note(
                        at,
                        Event::UnreachableResolver {
                            target: *t,
                            vpc: *v,
                        },
                    );
                }
                Some(view) => match rot.net.dns_reachable(from, *t) {
                    Ok(path) => {
                        if let Some(path) = path {
                            rot.note(at, Event::Path { target: *t, path });
                        }
                        return self.in_view(*view, name, qtype, rot, r, depth + 1);
                    }
                    Err(why) => rot.note(at, Event::TargetUnreachable { target: *t, why }),
                },
                None => rot.note(at, Event::NoServer { target: *t }),
            }
        }
        r.rcode = Rcode::ServFail;
        rot.note(at, Event::ServFail);
    }

    #[allow(clippy::too_many_arguments)]
    fn vpc(
        &self,
        v: vpcsim_topology::model::VpcId,
        inbound: bool,
        name: &str,
        qtype: RecordType,
        rot: &mut Cx<'_>,
        r: &mut Resolution,
        depth: usize,
    ) {
        let d = self.vpc_dns(v);
        // The VPC's Resolver answers (also for a query that came through the inbound endpoint).
        let at = View::Vpc(v);
        if !d.support {
            r.rcode = Rcode::ServFail;
            rot.note(at, Event::SupportOff { vpc: v });
            return;
        }
        // 1. Resolver rules: the most specific domain wins.
        let rule = d
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| in_zone(name, &rule.domain))
            .max_by_key(|(_, rule)| rule.domain.len());
        if let Some((index, crate::build::Rule { targets, .. })) = rule {
            match targets {
                Some(targets) => {
                    rot.note(
                        at,
                        Event::RuleForward {
                            vpc: v,
                            rule: index,
                        },
                    );
                    let ips = targets.iter().map(|(ip, _)| *ip).collect();
                    return self.forward(ips, name, qtype, rot, r, depth, at, View::Vpc(v));
                }
                None => rot.note(
                    at,
                    Event::RuleSystem {
                        vpc: v,
                        rule: index,
                    },
                ),
            }
        }
        // 2. Private zones (hosted zones and endpoint private DNS): the most specific matching zone
        //    answers alone; a miss there is final.
        let mut skipped = false;
        let zone = d
            .zones
            .iter()
            .map(|i| (*i, self.private(*i)))
            .filter(|(_, z)| in_zone(name, &z.zone.apex))
            .filter(|(i, z)| {
                if z.inbound_only && !inbound {
                    if matches!(z.zone.kind, ZoneKind::PrivateDns(_)) {
                        rot.note(at, Event::PrivateDnsInboundOnly { zone: *i });
                        skipped = true;
                    }
                    return false;
                }
                true
            })
            .max_by_key(|(_, z)| z.zone.apex.len());
        if let Some((index, z)) = zone {
            // A name missing from a private hosted zone is explained in one step (the NXDOMAIN
            // says the zone matches).
            let missing = matches!(z.zone.kind, ZoneKind::PrivateHosted(_))
                && z.zone.lookup(name, qtype) == ZoneAnswer::NxDomain;
            if !missing {
                rot.note(at, Event::PrivateZone { zone: index });
            }
            return self.answer_from(
                &z.zone,
                ZoneRef::Private(index),
                if inbound {
                    View::Inbound(v)
                } else {
                    View::Vpc(v)
                },
                at,
                name,
                qtype,
                rot,
                r,
                depth,
                false,
            );
        }
        // 3. Everything else is resolved publicly.
        rot.note(
            at,
            Event::Recursive {
                site: false,
                other: skipped,
            },
        );
        self.in_view(View::Public, name, qtype, rot, r, depth + 1);
    }

    fn public(
        &self,
        name: &str,
        qtype: RecordType,
        rot: &mut Cx<'_>,
        r: &mut Resolution,
        depth: usize,
    ) {
        let at = View::Public;
        let Some(index) = self.public.iter().position(|z| in_zone(name, &z.apex)) else {
            r.rcode = Rcode::Refused;
            rot.note(
                at,
                Event::Refused {
                    name: name.to_string(),
                },
            );
            return;
        };
        let zone = &self.public[index];
        self.answer_from(
            zone,
            ZoneRef::Public(index),
            View::Public,
            at,
            name,
            qtype,
            rot,
            r,
            depth,
            true,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn answer_from(
        &self,
        zone: &Zone,
        zref: ZoneRef,
        view: View,
        at: View,
        name: &str,
        qtype: RecordType,
        rot: &mut Cx<'_>,
        r: &mut Resolution,
        depth: usize,
        authoritative: bool,
    ) {
        r.authoritative = authoritative && r.answers.is_empty();
        match zone.lookup(name, qtype) {
            ZoneAnswer::Found(sets, synthesized) => {
                for set in sets {
                    // A wildcard's records answer with the query's name; other answers share
                    // their zone's name (a reference count, not a copy).
                    let owner: Arc<str> = match synthesized {
                        Some(query) => query.into(),
                        None => Arc::clone(&set.name),
                    };
                    let mut set = RrSet {
                        name: owner,
                        rtype: set.rtype,
                        ttl: set.ttl,
                        data: set.data.clone(),
                        origin: set.origin.clone(),
                        rotate: set.rotate,
                    };
                    if set.rotate && set.data.len() > 1 {
                        let n = set.data.len() as u64;
                        let k = self.advance(rot.rotation, view, name, n);
                        set.data.rotate_left(k as usize);
                        // The name looked up is the answer's (found at it, or synthesized from
                        // it): shared.
                        r.rotations.push(crate::Rotated {
                            view,
                            name: Arc::clone(&set.name),
                            records: n,
                            offset: k,
                        });
                    }
                    let answer = r.answers.len();
                    rot.note(at, Event::Answer { answer });
                    let follow = match (&set.rtype, set.data.first()) {
                        (RecordType::Cname, Some(RData::Cname(target)))
                            if qtype != RecordType::Cname && qtype != RecordType::Any =>
                        {
                            Some(target.clone())
                        }
                        _ => None,
                    };
                    r.answers.push(set);
                    if let Some(target) = follow {
                        rot.note(at, Event::Cname { answer });
                        // The target is resolved by the same resolver, in the same context
                        // (a query that came through an inbound endpoint stays one).
                        match view {
                            View::Inbound(v) => {
                                self.vpc(v, true, &target, qtype, rot, r, depth + 1)
                            }
                            other => self.in_view(other, &target, qtype, rot, r, depth + 1),
                        }
                    }
                }
            }
            ZoneAnswer::NoData => {
                r.authority = zone.negative_soa().into_iter().collect();
                rot.note(
                    at,
                    Event::NoData {
                        name: name.to_string(),
                        qtype,
                        zone: zref,
                    },
                );
            }
            ZoneAnswer::NxDomain => {
                r.rcode = Rcode::NxDomain;
                r.authority = zone.negative_soa().into_iter().collect();
                let code = self.explain_nxdomain(name, zone).0;
                rot.note(
                    at,
                    Event::NxDomain {
                        name: name.to_string(),
                        zone: zref,
                        code,
                    },
                );
            }
        }
    }
}

impl Dns<'_> {
    fn zone(&self, z: ZoneRef) -> &Zone {
        match z {
            ZoneRef::Public(i) => &self.public[i],
            ZoneRef::Private(i) => &self.private(i).zone,
        }
    }

    fn vpce_of(&self, z: &Zone) -> &str {
        match z.kind {
            ZoneKind::PrivateDns(ep) => self
                .endpoints
                .iter()
                .find(|e| e.id == ep)
                .map_or("?", |e| e.vpce.as_str()),
            _ => "?",
        }
    }

    /// A step in words: the one place the resolver's sentences are written.
    fn words(&self, e: &Event, r: &Resolution) -> String {
        match e {
            Event::Loop => format!(
                "gave up after {MAX_DEPTH} forwarding hops or CNAME links: the configuration loops"
            ),
            Event::Forwarded { site, forward } => {
                let (domain, targets) = &self.sites[site.index()].forwards[*forward];
                let list: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
                format!(
                    "conditional forwarder for {domain} sends the query to {}",
                    list.join(", ")
                )
            }
            Event::SiteZone { zone } => {
                format!(
                    "the resolver holds zone {} and answers from it",
                    self.private(*zone).zone.apex
                )
            }
            Event::Recursive {
                site: true,
                other: false,
            } => "no conditional forwarder matches; the resolver asks public DNS".into(),
            Event::Recursive {
                site: true,
                other: true,
            } => {
                "no conditional forwarder or zone of its own matches; the resolver asks public DNS"
                    .into()
            }
            Event::Recursive { other, .. } => format!(
                "no {}rule or private zone matches; the Resolver resolves the name publicly",
                if *other { "other " } else { "" }
            ),
            Event::SupportOff { vpc } => format!(
                "VPC {} has enable_dns_support: false, so its Route 53 Resolver answers nothing: the query times out",
                self.topo.vpcs[vpc.index()].name
            ),
            Event::Inbound { vpc } => format!(
                "the query enters VPC {} through its inbound Resolver endpoint and is resolved by the VPC's Route 53 Resolver",
                self.topo.vpcs[vpc.index()].name
            ),
            Event::UnreachableResolver { target, vpc } => format!(
                "{target} is the Route 53 Resolver of VPC {}, which answers only queries from instances inside that VPC, not forwarded ones; forward to an inbound Resolver endpoint instead",
                self.topo.vpcs[vpc.index()].name
            ),
            Event::Path { target, path } => format!("the query to {target} travels {path}"),
            Event::TargetUnreachable { target, why } => {
                format!("{target} cannot be reached: {why}")
            }
            Event::NoServer { target } => {
                format!("nothing in the topology answers DNS at {target}")
            }
            Event::ServFail => "no forwarding target answered".into(),
            Event::RuleForward { vpc, rule } => {
                let d = self.vpc_dns(*vpc);
                let rule = &d.rules[*rule];
                let list: Vec<String> = rule
                    .targets
                    .iter()
                    .flatten()
                    .map(|(ip, port)| {
                        if *port == 53 {
                            ip.to_string()
                        } else {
                            format!("{ip}:{port}")
                        }
                    })
                    .collect();
                let via: Vec<String> = d.outbound.iter().map(|i| i.to_string()).collect();
                format!(
                    "forwarding rule {} ({}) sends the query through the outbound endpoint ({}) to {}",
                    rule.name,
                    rule.domain,
                    via.join(", "),
                    list.join(", ")
                )
            }
            Event::RuleSystem { vpc, rule } => {
                let rule = &self.vpc_dns(*vpc).rules[*rule];
                format!(
                    "system rule {} ({}) keeps the query with the Resolver",
                    rule.name, rule.domain
                )
            }
            Event::PrivateDnsInboundOnly { zone } => {
                let z = &self.private(*zone).zone;
                format!(
                    "{} answers private DNS for {} only to queries from an inbound Resolver endpoint (PrivateDnsOnlyForInboundResolverEndpoint): in-VPC clients use the public name and the gateway endpoint",
                    self.vpce_of(z),
                    z.apex
                )
            }
            Event::PrivateZone { zone } => {
                let z = &self.private(*zone).zone;
                let apex = &z.apex;
                match z.kind {
                    ZoneKind::PrivateHosted(_) => format!("private hosted zone {apex} matches"),
                    ZoneKind::PrivateDns(_) => format!(
                        "the private DNS zone {apex} of interface endpoint {} matches",
                        self.vpce_of(z)
                    ),
                    ZoneKind::Reverse(_) => format!(
                        "reverse lookup zone {apex} matches (the Resolver's autodefined rule for the addresses of the VPC and its peers)"
                    ),
                    _ => format!("EC2 host name zone {apex} matches"),
                }
            }
            Event::Refused { name } => format!(
                "{name} is outside {}; vpcsim models no other internet names and is not an open resolver",
                self.public
                    .iter()
                    .map(|z| z.apex.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            Event::Answer { answer } => {
                let set = &r.answers[*answer];
                let count = set.data.len();
                format!(
                    "{} {} ({}): {} record{}",
                    set.name,
                    set.rtype,
                    set.origin,
                    count,
                    if count == 1 { "" } else { "s" }
                )
            }
            Event::Cname { answer } => {
                let target = match r.answers[*answer].data.first() {
                    Some(RData::Cname(t)) => t.as_str(),
                    _ => "",
                };
                format!("following the CNAME to {target}")
            }
            Event::NoData { name, qtype, zone } => {
                let zone = self.zone(*zone);
                if *name == zone.apex {
                    format!(
                        "{name} has no {qtype} record (it is the apex of zone {})",
                        zone.apex
                    )
                } else {
                    format!("{name} exists in {} but has no {qtype} record", zone.apex)
                }
            }
            Event::NxDomain { name, zone, .. } => self.explain_nxdomain(name, self.zone(*zone)).1,
        }
    }
}

//! Answering a query in a view, following rules, forwarders and CNAMEs, and recording every step.

use std::net::IpAddr;

use crate::build::{Dns, hash};
use crate::net::Network;
use crate::zone::{Zone, ZoneAnswer, ZoneKind, in_zone};
use crate::{RData, Rcode, RecordType, Resolution, Rotation, Step, View, normalize};

/// What one query carries through the resolvers.
pub(crate) struct Cx<'a> {
    pub rotation: &'a mut Rotation,
    pub net: &'a dyn Network,
    /// Leave the steps' text out ([`Dns::resolve_quiet`]).
    pub quiet: bool,
}

/// Records a step; `at` and `detail` are evaluated only when the resolution is explained.
macro_rules! step {
    ($quiet:expr, $r:expr, $at:expr, $code:expr, $detail:expr $(,)?) => {{
        let (at, detail): (String, String) = if $quiet {
            (String::new(), String::new())
        } else {
            ($at.to_string(), $detail.into())
        };
        $r.steps.push(Step {
            at,
            code: $code,
            detail,
        });
    }};
}

/// Forwarding hops and CNAME links followed before giving up with SERVFAIL.
const MAX_DEPTH: usize = 12;

impl Dns {
    /// A short description of a view, for steps and listings.
    pub fn view_name(&self, view: View) -> String {
        match view {
            View::Public => "public DNS".into(),
            View::Vpc(v) => {
                let d = &self.vpcs[v.index()];
                format!("Route 53 Resolver of VPC {} ({})", d.name, d.resolver_ip)
            }
            View::Inbound(v) => {
                let d = &self.vpcs[v.index()];
                let ips: Vec<String> = d.inbound.iter().map(|i| i.to_string()).collect();
                format!(
                    "inbound Resolver endpoint of VPC {} ({})",
                    d.name,
                    ips.join(", ")
                )
            }
            View::Site(s) => {
                let d = &self.sites[s.index()];
                match d.resolver {
                    Some(ip) => format!("{} resolver ({ip})", d.name),
                    None => format!("{} (no resolver of its own)", d.name),
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
        for (i, vpc) in self.vpcs.iter().enumerate() {
            let id = vpcsim_topology::model::VpcId(i as u32);
            v.push(View::Vpc(id));
            if !vpc.inbound.is_empty() {
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
        self.resolve_with(view, name, qtype, rotation, net, false)
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
            // Room for a typical resolution (view, rules, zone, answer, a CNAME or two).
            steps: Vec::with_capacity(8),
        };
        let mut cx = Cx {
            rotation,
            net,
            quiet,
        };
        self.in_view(view, &name, qtype, &mut cx, &mut r, 0);
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
        let at = if rot.quiet {
            String::new()
        } else {
            self.view_name(view)
        };
        if depth > MAX_DEPTH {
            r.rcode = Rcode::ServFail;
            step!(
                rot.quiet,
                r,
                &at,
                "dns.loop",
                format!(
                    "gave up after {MAX_DEPTH} forwarding hops or CNAME links: the configuration loops"
                ),
            );
            return;
        }
        match view {
            View::Public => self.public(name, qtype, rot, r, depth),
            View::Site(s) => {
                let site = &self.sites[s.index()];
                let best = site
                    .forwards
                    .iter()
                    .filter(|(d, _)| in_zone(name, d))
                    .max_by_key(|(d, _)| d.len());
                match best {
                    Some((domain, targets)) => {
                        let list =
                            || -> Vec<String> { targets.iter().map(|t| t.to_string()).collect() };
                        step!(
                            rot.quiet,
                            r,
                            &at,
                            "dns.forwarded",
                            format!(
                                "conditional forwarder for {domain} sends the query to {}",
                                list().join(", ")
                            ),
                        );
                        self.forward(
                            targets.iter().map(|t| IpAddr::V4(*t)).collect(),
                            name,
                            qtype,
                            rot,
                            r,
                            depth,
                            &at,
                            view,
                        );
                    }
                    None => {
                        step!(
                            rot.quiet,
                            r,
                            &at,
                            "dns.recursive",
                            "no conditional forwarder matches; the resolver asks public DNS",
                        );
                        self.in_view(View::Public, name, qtype, rot, r, depth + 1);
                    }
                }
            }
            View::Inbound(v) => {
                step!(
                    rot.quiet,
                    r,
                    &at,
                    "dns.inbound",
                    format!(
                        "the query enters VPC {} through its inbound Resolver endpoint and is resolved by the VPC's Route 53 Resolver",
                        self.vpcs[v.index()].name
                    ),
                );
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
        at: &str,
        from: View,
    ) {
        // The first target that is a DNS server and can be reached answers (resolvers try
        // targets in turn).
        for t in &targets {
            match self.dns_servers.get(t) {
                Some(View::Vpc(v)) => {
                    step!(
                        rot.quiet,
                        r,
                        at,
                        "dns.unreachable-resolver",
                        format!(
                            "{t} is the Route 53 Resolver of VPC {}, which answers only queries from instances inside that VPC, not forwarded ones; forward to an inbound Resolver endpoint instead",
                            self.vpcs[v.index()].name
                        ),
                    );
                }
                Some(view) => match rot.net.dns_reachable(from, *t) {
                    Ok(path) => {
                        if let Some(path) = path {
                            step!(
                                rot.quiet,
                                r,
                                at,
                                "dns.path",
                                format!("the query to {t} travels {path}"),
                            );
                        }
                        return self.in_view(*view, name, qtype, rot, r, depth + 1);
                    }
                    Err(why) => step!(
                        rot.quiet,
                        r,
                        at,
                        "dns.target-unreachable",
                        format!("{t} cannot be reached: {why}"),
                    ),
                },
                None => step!(
                    rot.quiet,
                    r,
                    at,
                    "dns.no-server",
                    format!("nothing in the topology answers DNS at {t}"),
                ),
            }
        }
        r.rcode = Rcode::ServFail;
        step!(
            rot.quiet,
            r,
            at,
            "dns.servfail",
            "no forwarding target answered",
        );
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
        let d = &self.vpcs[v.index()];
        let at = if rot.quiet {
            String::new()
        } else {
            format!("Route 53 Resolver of VPC {} ({})", d.name, d.resolver_ip)
        };
        // 1. Resolver rules: the most specific domain wins.
        let rule = d
            .rules
            .iter()
            .filter(|rule| in_zone(name, &rule.domain))
            .max_by_key(|rule| rule.domain.len());
        if let Some(crate::build::Rule {
            name: rule_name,
            domain,
            targets,
        }) = rule
        {
            match targets {
                Some(targets) => {
                    let list = || -> Vec<String> {
                        targets
                            .iter()
                            .map(|(ip, port)| {
                                if *port == 53 {
                                    ip.to_string()
                                } else {
                                    format!("{ip}:{port}")
                                }
                            })
                            .collect()
                    };
                    let via =
                        || -> Vec<String> { d.outbound.iter().map(|i| i.to_string()).collect() };
                    step!(
                        rot.quiet,
                        r,
                        &at,
                        "dns.rule-forward",
                        format!(
                            "forwarding rule {rule_name} ({domain}) sends the query through the outbound endpoint ({}) to {}",
                            via().join(", "),
                            list().join(", ")
                        ),
                    );
                    let ips = targets.iter().map(|(ip, _)| *ip).collect();
                    return self.forward(ips, name, qtype, rot, r, depth, &at, View::Vpc(v));
                }
                None => step!(
                    rot.quiet,
                    r,
                    &at,
                    "dns.rule-system",
                    format!("system rule {rule_name} ({domain}) keeps the query with the Resolver"),
                ),
            }
        }
        // 2. Private zones (hosted zones and endpoint private DNS): the most specific matching zone
        //    answers alone; a miss there is final.
        let mut skipped = false;
        let zone = d
            .zones
            .iter()
            .map(|i| &self.private[*i])
            .filter(|z| in_zone(name, &z.zone.apex))
            .filter(|z| {
                if z.inbound_only && !inbound {
                    let ZoneKind::PrivateDns(ep) = z.zone.kind else { return false };
                    let vpce = &self.endpoints.iter().find(|e| e.id == ep).map(|e| e.vpce.clone()).unwrap_or_default();
                    step!(rot.quiet, r, &at, "dns.private-dns-inbound-only", format!(
                        "{} answers private DNS for {} only to queries from an inbound Resolver endpoint (PrivateDnsOnlyForInboundResolverEndpoint): in-VPC clients use the public name and the gateway endpoint",
                        vpce, z.zone.apex
                    ));
                    skipped = true;
                    return false;
                }
                true
            })
            .max_by_key(|z| z.zone.apex.len());
        if let Some(z) = zone {
            let apex = &z.zone.apex;
            let matches = match z.zone.kind {
                // A name missing from a private hosted zone is explained in one step (the
                // NXDOMAIN says the zone matches).
                ZoneKind::PrivateHosted(_)
                    if z.zone.lookup(name, qtype) == ZoneAnswer::NxDomain =>
                {
                    None
                }
                ZoneKind::PrivateHosted(_) => Some(format!("private hosted zone {apex} matches")),
                ZoneKind::PrivateDns(ep) => {
                    let vpce = self
                        .endpoints
                        .iter()
                        .find(|e| e.id == ep)
                        .map_or("?", |e| e.vpce.as_str());
                    Some(format!(
                        "the private DNS zone {apex} of interface endpoint {vpce} matches"
                    ))
                }
                _ => Some(format!("EC2 host name zone {apex} matches")),
            };
            if let Some(detail) = matches {
                step!(rot.quiet, r, &at, "dns.private-zone", detail);
            }
            return self.answer_from(
                &z.zone,
                if inbound {
                    View::Inbound(v)
                } else {
                    View::Vpc(v)
                },
                &at,
                name,
                qtype,
                rot,
                r,
                depth,
                false,
            );
        }
        // 3. Everything else is resolved publicly.
        step!(
            rot.quiet,
            r,
            &at,
            "dns.recursive",
            format!(
                "no {}rule or private zone matches; the Resolver resolves the name publicly",
                if skipped { "other " } else { "" }
            ),
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
        let at = "public DNS";
        let Some(zone) = self.public.iter().find(|z| in_zone(name, &z.apex)) else {
            r.rcode = Rcode::Refused;
            step!(
                rot.quiet,
                r,
                at,
                "dns.refused",
                format!(
                    "{name} is outside {}; vpcsim models no other internet names and is not an open resolver",
                    self.public
                        .iter()
                        .map(|z| z.apex.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            );
            return;
        };
        self.answer_from(zone, View::Public, at, name, qtype, rot, r, depth, true);
    }

    #[allow(clippy::too_many_arguments)]
    fn answer_from(
        &self,
        zone: &Zone,
        view: View,
        at: &str,
        name: &str,
        qtype: RecordType,
        rot: &mut Cx<'_>,
        r: &mut Resolution,
        depth: usize,
        authoritative: bool,
    ) {
        r.authoritative = authoritative && r.answers.is_empty();
        match zone.lookup(name, qtype) {
            ZoneAnswer::Found(sets) => {
                for mut set in sets {
                    if set.rotate && set.data.len() > 1 {
                        let n = set.data.len() as u64;
                        let k = rot.rotation.next(view, name, self.seed, n, || {
                            hash(self.seed, &["rotate", name]) % n
                        }) as usize;
                        set.data.rotate_left(k);
                    }
                    let count = set.data.len();
                    step!(
                        rot.quiet,
                        r,
                        at,
                        "dns.answer",
                        format!(
                            "{} {} ({}): {} record{}",
                            set.name,
                            set.rtype,
                            set.origin,
                            count,
                            if count == 1 { "" } else { "s" }
                        ),
                    );
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
                        step!(
                            rot.quiet,
                            r,
                            at,
                            "dns.cname",
                            format!("following the CNAME to {target}"),
                        );
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
                let detail = if name == zone.apex {
                    format!(
                        "{name} has no {qtype} record (it is the apex of zone {})",
                        zone.apex
                    )
                } else {
                    format!("{name} exists in {} but has no {qtype} record", zone.apex)
                };
                step!(rot.quiet, r, at, "dns.nodata", detail);
            }
            ZoneAnswer::NxDomain => {
                r.rcode = Rcode::NxDomain;
                r.authority = zone.negative_soa().into_iter().collect();
                let why = self.explain_nxdomain(name, zone);
                step!(rot.quiet, r, at, why.0, why.1);
            }
        }
    }
}

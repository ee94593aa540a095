//! Design checks that need the network walked, which validation (the model alone) cannot do:
//! a forwarder whose queries cannot reach the resolver they are sent to — a site's conditional
//! forwarder to an inbound Resolver endpoint over links that do not carry it, a Resolver rule to
//! an on-premises resolver its outbound endpoint cannot reach — fails with SERVFAIL only when a
//! name is asked. `vpcsim validate` and `check` report them as warnings, with every link up.

use std::net::IpAddr;

use vpcsim_dns::{Network as _, View};
use vpcsim_syntax::Diagnostic;
use vpcsim_topology::model::{Direction, RuleType, SiteId, Span};

use crate::Engine;
use crate::trace::PathNet;

/// Whether the topology has anything these checks look at (forwarders): when not, a caller need
/// not build an engine for them.
pub fn needed(topo: &vpcsim_topology::Topology) -> bool {
    topo.sites
        .iter()
        .any(|s| s.dns.as_ref().is_some_and(|d| !d.forwards.is_empty()))
        || topo
            .resolver_rules
            .iter()
            .any(|r| r.kind == RuleType::Forward)
}

/// The warnings, with every link up.
pub fn warnings(engine: &Engine<'_>) -> Vec<Diagnostic> {
    let topo = engine.topo;
    let net = engine.network(&[]);
    let paths = PathNet { engine, net: &net };
    // Only targets where a resolver of the topology listens: others have their own warning
    // (forward-no-resolver).
    let mut resolvers: Vec<IpAddr> = Vec::new();
    for r in &topo.resolver_endpoints {
        if r.direction == Direction::Inbound {
            resolvers.extend(r.enis.iter().map(|e| IpAddr::V4(topo.enis[e.index()].ip)));
        }
    }
    resolvers.extend(
        topo.sites
            .iter()
            .filter_map(|s| s.dns.as_ref())
            .map(|d| IpAddr::V4(d.resolver)),
    );
    let mut out = Vec::new();
    let mut warn = |span: Span, what: String, ip: IpAddr, why: String, help: &str| {
        out.push(
            Diagnostic::warning(
                "forward-no-path",
                span,
                format!("{what} to {ip}, but the queries cannot reach it: {why}"),
            )
            .with_help(help.to_string()),
        );
    };
    for (si, site) in topo.sites.iter().enumerate() {
        let Some(dns) = &site.dns else { continue };
        for fw in &dns.forwards {
            for ip in fw
                .to
                .iter()
                .map(|a| IpAddr::V4(*a))
                .filter(|a| resolvers.contains(a))
            {
                if let Err(why) = paths.dns_reachable(View::Site(SiteId(si as u32)), ip) {
                    warn(
                        fw.span,
                        format!("site '{}' forwards {}", site.name, fw.domain),
                        ip,
                        why,
                        "the site's resolver sends UDP 53 over its routes and links: route the target's VPC over a link, and let the inbound endpoint's security group admit DNS from the site",
                    );
                }
            }
        }
    }
    for rule in &topo.resolver_rules {
        if rule.kind != RuleType::Forward {
            continue;
        }
        for ip in rule
            .targets
            .iter()
            .map(|(a, _)| *a)
            .filter(|a| resolvers.contains(a))
        {
            if let Err(why) = paths.dns_reachable(View::Vpc(rule.vpc), ip) {
                warn(
                    rule.span,
                    format!("Resolver rule '{}' forwards {}", rule.name, rule.domain),
                    ip,
                    why,
                    "the outbound endpoint sends UDP 53 through its security groups, routes and links: give the VPC a route to the target over a link, and let the target admit DNS from the endpoint",
                );
            }
        }
    }
    out
}

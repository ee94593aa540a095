//! Route 53 Resolver: a VPC's inbound and outbound endpoints and its rules.

use super::*;

impl Builder<'_> {
    pub(super) fn resolver(&mut self, vpc: VpcId, r: &f::Resolver) {
        for (def, direction) in [
            (&*r.inbound_endpoint, Direction::Inbound),
            (&*r.outbound_endpoint, Direction::Outbound),
        ] {
            let Some(def) = def else { continue };
            let id = ResolverEndpointId(self.t.resolver_endpoints.len() as u32);
            if def.value.subnets.0.len() < 2 {
                self.err(
                    "resolver-endpoint-subnets",
                    def.span,
                    "a Route 53 Resolver endpoint needs at least two IP addresses",
                    "list two subnets, ideally in two Availability Zones; each gets one address",
                );
            }
            let sgs: Vec<SecurityGroupId> = def
                .value
                .security_groups
                .iter()
                .filter_map(|s| {
                    self.resolve_in_vpc(&self.names.security_groups, vpc, s, "security group")
                })
                .collect();
            let mut enis = Vec::new();
            let label = if direction == Direction::Inbound {
                "inbound"
            } else {
                "outbound"
            };
            for s in def.value.subnets.iter() {
                let ip = def
                    .value
                    .addresses
                    .as_ref()
                    .and_then(|a| a.iter().find(|x| x.key.value == s.value))
                    .and_then(|x| x.value.clone());
                if let Some(eni) = self.request_eni(
                    vpc,
                    s,
                    ip,
                    EniOwner::Resolver(id),
                    sgs.clone(),
                    s.span,
                    &["resolver/", label],
                ) {
                    enis.push(eni);
                }
            }
            self.t.resolver_endpoints.push(ResolverEndpoint {
                vpc,
                direction,
                enis,
                span: def.span,
            });
            let v = &mut self.t.vpcs[vpc.index()];
            match direction {
                Direction::Inbound => v.inbound_resolver = Some(id),
                Direction::Outbound => v.outbound_resolver = Some(id),
            }
        }
        let mut domains: HashMap<String, Span> = HashMap::default();
        for e in r.rules.iter() {
            let Some(rule) = &e.value else { continue };
            let domain = normalize_domain(rule.domain.as_str());
            if let Some(first) = domains.get(&domain) {
                self.d.push(
                    Diagnostic::error(
                        "duplicate-id",
                        rule.domain.span,
                        format!(
                            "two Resolver rules of VPC '{}' are for {domain}",
                            self.vpc_name(vpc)
                        ),
                    )
                    .with_related(*first, "the other rule")
                    .with_help("a VPC can be associated with one rule per domain"),
                );
                continue;
            }
            domains.insert(domain.clone(), rule.domain.span);
            let mut targets = Vec::new();
            match rule.kind.value {
                RuleType::Forward => {
                    if rule.targets.0.is_empty() {
                        self.err(
                            "missing-key",
                            rule.kind.span,
                            format!("forward rule '{}' has no targets", e.key.value),
                            "add `targets: [IP]`: the resolvers to forward to",
                        );
                    }
                    if r.outbound_endpoint.is_none() {
                        self.err(
                            "missing-outbound-endpoint",
                            rule.kind.span,
                            format!(
                                "forward rule '{}' needs an outbound Resolver endpoint in VPC '{}'",
                                e.key.value,
                                self.vpc_name(vpc)
                            ),
                            "add `outbound_endpoint: { subnets: [A, B] }` under `resolver:`",
                        );
                    }
                    for t in rule.targets.iter() {
                        let (host, port) = match t.as_str().rsplit_once(':') {
                            Some((h, p)) => (h, p.parse::<u16>().ok()),
                            None => (t.as_str(), Some(53)),
                        };
                        match (host.parse::<IpAddr>(), port) {
                            (Ok(ip), Some(port)) => targets.push((ip, port)),
                            _ => self.err(
                                "invalid-address",
                                t.span,
                                format!("'{}' is not a resolver address", t.value),
                                "write IP or IP:PORT, for example 172.16.0.2 or 172.16.0.2:53",
                            ),
                        }
                    }
                }
                RuleType::System => {
                    if let Some(t) = rule.targets.0.first() {
                        self.err("invalid-value", t.span, "a system rule has no targets", "remove `targets:`; a system rule makes the Resolver answer this domain itself");
                    }
                }
            }
            let id = ResolverRuleId(self.t.resolver_rules.len() as u32);
            self.t.resolver_rules.push(ResolverRule {
                name: e.key.value.clone(),
                vpc,
                domain,
                kind: rule.kind.value,
                targets,
                span: e.key.span,
            });
            self.t.vpcs[vpc.index()].resolver_rules.push(id);
        }
    }
}

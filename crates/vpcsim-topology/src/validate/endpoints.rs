//! VPC endpoints: gateway endpoints (route table associations) and interface endpoints (one
//! interface per subnet, security groups, private DNS), and the rules between endpoints.

use super::*;

impl Builder<'_> {
    pub(super) fn endpoint(
        &mut self,
        vpc: VpcId,
        id: EndpointId,
        key: &Spanned<String>,
        def: &f::Endpoint,
    ) {
        self.vpce_id(&def.id);
        let region_id = self.t.vpcs[vpc.index()].region;
        let region = self
            .t
            .regions
            .get(region_id.index())
            .map(|r| r.name.clone())
            .unwrap_or_default();
        let service = match services::short_name(def.service.as_str(), &region) {
            Ok(s) => s.to_string(),
            Err(other) => {
                self.err("invalid-value", def.service.span, format!("service '{}' is in {other}, but VPC '{}' is in {region}", def.service.value, self.vpc_name(vpc)), "a VPC endpoint connects to a service of its own Region; use the short name (`s3`)");
                String::new()
            }
        };
        if let Some(why) = vpcsim_aws::service::service(&service).and_then(|s| s.no_endpoint) {
            self.err(
                "no-endpoint-service",
                def.service.span,
                format!("'{service}' has no VPC endpoint"),
                why,
            );
        }
        let kind = def.kind.value;
        let only_for = |this: &Self, present: bool, span: Option<Span>, what: &str, k: &str| {
            if present {
                this.err(
                    "invalid-value",
                    span.unwrap_or(key.span),
                    format!("`{what}:` is only for {k} endpoints"),
                    format!("remove it, or set `type: {k}`"),
                );
            }
        };
        let mut route_tables = Vec::new();
        let mut enis = Vec::new();
        let mut security_groups = Vec::new();
        match kind {
            EndpointType::Gateway => {
                if !service.is_empty() && !vpcsim_aws::service::has_gateway(&service) {
                    self.err(
                        "gateway-endpoint-service",
                        def.service.span,
                        format!("'{service}' has no gateway endpoint; only s3 and dynamodb do"),
                        "use `type: interface` for this service",
                    );
                }
                only_for(
                    self,
                    def.subnets.is_some(),
                    def.subnets
                        .as_ref()
                        .and_then(|s| s.0.first())
                        .map(|s| s.span),
                    "subnets",
                    "interface",
                );
                only_for(
                    self,
                    def.addresses.is_some(),
                    def.addresses
                        .as_ref()
                        .and_then(|a| a.0.first())
                        .map(|a| a.key.span),
                    "addresses",
                    "interface",
                );
                only_for(
                    self,
                    def.security_groups.is_some(),
                    def.security_groups
                        .as_ref()
                        .and_then(|s| s.0.first())
                        .map(|s| s.span),
                    "security_groups",
                    "interface",
                );
                only_for(
                    self,
                    def.private_dns.is_some(),
                    def.private_dns.as_ref().map(|s| s.span),
                    "private_dns",
                    "interface",
                );
                only_for(
                    self,
                    def.dns_id.is_some(),
                    def.dns_id.as_ref().map(|s| s.span),
                    "dns_id",
                    "interface",
                );
                for rt in def.route_tables.iter().flat_map(|l| l.iter()) {
                    self.gateway_tables_written.insert(id);
                    let Some(rid) =
                        self.resolve_in_vpc(&self.names.route_tables, vpc, rt, "route table")
                    else {
                        continue;
                    };
                    if self.associate_gateway(rid, &service, &rt.value, rt.span) {
                        route_tables.push(rid);
                    }
                }
            }
            EndpointType::Interface => {
                only_for(
                    self,
                    def.route_tables.is_some(),
                    def.route_tables
                        .as_ref()
                        .and_then(|s| s.0.first())
                        .map(|s| s.span),
                    "route_tables",
                    "gateway",
                );
                security_groups = def
                    .security_groups
                    .iter()
                    .flat_map(|l| l.iter())
                    .filter_map(|s| {
                        self.resolve_in_vpc(&self.names.security_groups, vpc, s, "security group")
                    })
                    .collect::<Vec<_>>();
                let subnets = def.subnets.as_ref();
                if subnets.is_none_or(|l| l.0.is_empty()) {
                    self.err("missing-key", key.span, format!("interface endpoint '{}' has no subnets", key.value), "add `subnets: [NAME, ...]`, one subnet per Availability Zone; each gets a network interface");
                }
                let mut azs: HashMap<String, Span> = HashMap::new();
                let mut chosen: Vec<String> = Vec::new();
                for s in subnets.iter().flat_map(|l| l.iter()) {
                    let Some(sid) = self.resolve_in_vpc(&self.names.subnets, vpc, s, "subnet")
                    else {
                        continue;
                    };
                    let az = self.t.subnets[sid.index()].az.clone();
                    if let Some(first) = azs.get(&az) {
                        self.d.push(
                            Diagnostic::error("endpoint-az-twice", s.span, format!("interface endpoint '{}' already has a subnet in {az}", key.value))
                                .with_related(*first, "the other subnet in this zone")
                                .with_help("an interface endpoint takes at most one subnet per Availability Zone"),
                        );
                        continue;
                    }
                    azs.insert(az, s.span);
                    chosen.push(s.value.clone());
                    let ip = def
                        .addresses
                        .as_ref()
                        .and_then(|a| a.iter().find(|x| x.key.value == s.value))
                        .and_then(|x| x.value.clone());
                    let eni = self.queue_eni(
                        sid,
                        ip,
                        EniOwner::Endpoint(id),
                        security_groups.clone(),
                        s.span,
                        &format!("endpoint/{}", key.value),
                        None,
                    );
                    enis.push(eni);
                }
                for a in def.addresses.iter().flat_map(|a| a.iter()) {
                    if !chosen.contains(&a.key.value)
                        && subnets.is_some_and(|l| !l.iter().any(|s| s.value == a.key.value))
                    {
                        self.err(
                            "unknown-reference",
                            a.key.span,
                            format!("'{}' is not one of this endpoint's subnets", a.key.value),
                            suggest::hint(
                                a.key.as_str(),
                                "subnet",
                                subnets.iter().flat_map(|l| l.iter()).map(|s| s.as_str()),
                            ),
                        );
                    }
                }
            }
        }
        let dns_id = match &def.dns_id {
            Some(d) => {
                let ok = !d.value.is_empty()
                    && d.value.len() <= 16
                    && d.value
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
                if !ok {
                    self.err("invalid-id", d.span, format!("'{}' is not a valid DNS id", d.value), "the DNS id is the lowercase letters and digits after the endpoint id in its DNS name, such as '5e6f' in vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com");
                }
                d.value.clone()
            }
            None => {
                let h = stable_hash(self.t.seed, &["dns", &def.id.value]);
                (0..8)
                    .map(|i| {
                        char::from(
                            b"abcdefghijklmnopqrstuvwxyz0123456789"[((h >> (i * 5)) % 36) as usize],
                        )
                    })
                    .collect()
            }
        };
        let private_dns = match &*def.private_dns {
            Some(p) => p.value,
            // AWS's API default is true for AWS services; services that also have gateway
            // endpoints (S3, DynamoDB) default to off, see docs/decisions.md.
            None => kind == EndpointType::Interface && !vpcsim_aws::service::has_gateway(&service),
        };
        let only_inbound = def.private_dns_only_for_inbound_resolver_endpoint.as_ref();
        if let Some(o) = only_inbound {
            if !vpcsim_aws::service::has_gateway(&service) || kind != EndpointType::Interface {
                self.err("invalid-value", o.span, "`private_dns_only_for_inbound_resolver_endpoint` applies only to interface endpoints of services that also have gateway endpoints (s3, dynamodb)", "remove it");
            } else if !private_dns {
                self.warn("no-effect", o.span, "`private_dns_only_for_inbound_resolver_endpoint` has no effect while private DNS is off", "set `private_dns: true`, or remove this key");
            }
        }
        let policy = def
            .policy
            .as_ref()
            .and_then(|p| self.policy(p, PolicyKind::Endpoint));
        // The option exists only for services that also have gateway endpoints.
        let only_inbound_effective = private_dns
            && vpcsim_aws::service::has_gateway(&service)
            && only_inbound.is_none_or(|o| o.value);
        self.t.endpoints.push(Endpoint {
            name: key.value.clone(),
            vpc,
            aws_id: def.id.value.clone(),
            dns_id,
            kind,
            service,
            route_tables,
            enis,
            security_groups,
            policy,
            private_dns,
            private_dns_only_for_inbound_resolver: only_inbound_effective,
            span: key.span,
        });
        self.t.vpcs[vpc.index()].endpoints.push(id);
    }

    /// Records that a gateway endpoint for `service` is associated with route table `rid`;
    /// false (and an error) when the table already has a gateway endpoint for the service.
    pub(super) fn associate_gateway(
        &mut self,
        rid: RouteTableId,
        service: &str,
        table: &str,
        span: Span,
    ) -> bool {
        let key = (rid, service.to_string());
        if let Some(first) = self.gateway_assoc.get(&key) {
            self.d.push(
                Diagnostic::error("duplicate-gateway-endpoint", span, format!("route table '{table}' already has a gateway endpoint for {service}"))
                    .with_related(*first, "the other endpoint's association")
                    .with_help("a route table can hold only one gateway endpoint per service; associate this endpoint with another route table"),
            );
            return false;
        }
        self.gateway_assoc.insert(key, span);
        true
    }

    /// `PrivateDnsOnlyForInboundResolverEndpoint` needs a gateway endpoint of the same service in the
    /// VPC, and two interface endpoints of one service cannot both own its private DNS names.
    pub(super) fn private_dns_rules(&self) {
        let mut owners: HashMap<(VpcId, &str), Span> = HashMap::new();
        for ep in &self.t.endpoints {
            if ep.kind != EndpointType::Interface || !ep.private_dns || ep.service.is_empty() {
                continue;
            }
            if let Some(first) = owners.get(&(ep.vpc, ep.service.as_str())) {
                self.d.push(
                    Diagnostic::error("private-dns-conflict", ep.span, format!("another interface endpoint for {} in VPC '{}' already has private DNS", ep.service, self.vpc_name(ep.vpc)))
                        .with_related(*first, "the endpoint that owns the private DNS names")
                        .with_help("AWS rejects a second endpoint with private DNS for the same service in a VPC (the DNS domain conflicts); set `private_dns: false` on one of them"),
                );
            } else {
                owners.insert((ep.vpc, ep.service.as_str()), ep.span);
            }
        }
        for ep in &self.t.endpoints {
            if !(ep.kind == EndpointType::Interface
                && ep.private_dns_only_for_inbound_resolver
                && vpcsim_aws::service::has_gateway(&ep.service))
            {
                continue;
            }
            let has_gateway = self.t.vpcs[ep.vpc.index()].endpoints.iter().any(|g| {
                let g = &self.t.endpoints[g.index()];
                g.kind == EndpointType::Gateway && g.service == ep.service
            });
            if !has_gateway {
                self.err(
                    "private-dns-needs-gateway",
                    ep.span,
                    format!("interface endpoint '{}' answers private DNS only to inbound Resolver endpoints, which needs a gateway endpoint for {} in VPC '{}'", ep.name, ep.service, self.vpc_name(ep.vpc)),
                    format!("add a gateway endpoint for {} to the VPC, or set `private_dns_only_for_inbound_resolver_endpoint: false`", ep.service),
                );
            }
        }
    }
}

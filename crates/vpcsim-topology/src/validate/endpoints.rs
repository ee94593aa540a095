//! VPC endpoints: gateway endpoints (route table associations) and interface endpoints (one
//! interface per subnet, security groups, private DNS), and the rules between endpoints.

use super::*;

impl Builder<'_> {
    /// An endpoint: its id and service, then what its type has (see [`Self::gateway_endpoint`]
    /// and [`Self::interface_endpoint`]), then its policy.
    pub(super) fn endpoint(
        &mut self,
        vpc: VpcId,
        id: EndpointId,
        key: &Spanned<String>,
        def: &f::Endpoint,
    ) {
        self.vpce_id(&def.id);
        let service = self.endpoint_service(vpc, def);
        let kind = match def.kind.value {
            EndpointType::Gateway => {
                EndpointKind::Gateway(self.gateway_endpoint(vpc, id, key, def, &service))
            }
            EndpointType::Interface => {
                EndpointKind::Interface(self.interface_endpoint(vpc, id, key, def, &service))
            }
        };
        let policy = def
            .policy
            .as_ref()
            .and_then(|p| self.policy(p, PolicyKind::Endpoint));
        self.t.endpoints.push(Endpoint {
            name: key.value.clone(),
            vpc,
            aws_id: def.id.value.clone(),
            service,
            policy,
            kind,
            span: key.span,
        });
        self.t.vpcs[vpc.index()].endpoints.push(id);
    }

    /// The short name of the endpoint's service, which must be of the VPC's Region and have VPC
    /// endpoints; empty when it is of another Region (reported).
    fn endpoint_service(&self, vpc: VpcId, def: &f::Endpoint) -> String {
        // Without a Region (reported), no service is of the VPC's Region.
        let region = self.t.vpcs[vpc.index()]
            .region
            .map(|r| self.t.regions[r.index()].name.clone())
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
        service
    }

    /// Reports a key written for the other type of endpoint (`k`).
    fn only_for(
        &self,
        key: &Spanned<String>,
        present: bool,
        span: Option<Span>,
        what: &str,
        k: &str,
    ) {
        if present {
            self.err(
                "invalid-value",
                span.unwrap_or(key.span),
                format!("`{what}:` is only for {k} endpoints"),
                format!("remove it, or set `type: {k}`"),
            );
        }
    }

    /// A gateway endpoint: a service that has one, no interface endpoint keys, and its route
    /// tables (one gateway endpoint per service in each).
    fn gateway_endpoint(
        &mut self,
        vpc: VpcId,
        id: EndpointId,
        key: &Spanned<String>,
        def: &f::Endpoint,
        service: &str,
    ) -> GatewayEndpoint {
        if !service.is_empty() && !vpcsim_aws::service::has_gateway(service) {
            self.err(
                "gateway-endpoint-service",
                def.service.span,
                format!("'{service}' has no gateway endpoint; only s3 and dynamodb do"),
                "use `type: interface` for this service",
            );
        }
        let first = |l: &Option<vpcsim_syntax::List<Spanned<String>>>| {
            l.as_ref().and_then(|s| s.0.first()).map(|s| s.span)
        };
        self.only_for(
            key,
            def.subnets.is_some(),
            first(&def.subnets),
            "subnets",
            "interface",
        );
        self.only_for(
            key,
            def.addresses.is_some(),
            def.addresses
                .as_ref()
                .and_then(|a| a.0.first())
                .map(|a| a.key.span),
            "addresses",
            "interface",
        );
        self.only_for(
            key,
            def.security_groups.is_some(),
            first(&def.security_groups),
            "security_groups",
            "interface",
        );
        self.only_for(
            key,
            def.private_dns.is_some(),
            def.private_dns.as_ref().map(|s| s.span),
            "private_dns",
            "interface",
        );
        self.only_for(
            key,
            def.dns_id.is_some(),
            def.dns_id.as_ref().map(|s| s.span),
            "dns_id",
            "interface",
        );
        let mut route_tables = Vec::new();
        for rt in def.route_tables.iter().flat_map(|l| l.iter()) {
            self.gateway_tables_written.insert(id);
            let Some(rid) = self.resolve_in_vpc(&self.names.route_tables, vpc, rt, "route table")
            else {
                continue;
            };
            if self.associate_gateway(rid, service, &rt.value, rt.span) {
                route_tables.push(rid);
            }
        }
        // The interface endpoint keys refused above are still checked, as on an interface
        // endpoint.
        self.endpoint_dns_id(def);
        self.private_dns_only_for_inbound(def, service, None);
        GatewayEndpoint { route_tables }
    }

    /// An interface endpoint: a network interface in each of its subnets (at most one per
    /// Availability Zone, with the address given under `addresses:` or one allocated), its
    /// security groups, its DNS id and private DNS settings.
    fn interface_endpoint(
        &mut self,
        vpc: VpcId,
        id: EndpointId,
        key: &Spanned<String>,
        def: &f::Endpoint,
        service: &str,
    ) -> InterfaceEndpoint {
        self.only_for(
            key,
            def.route_tables.is_some(),
            def.route_tables
                .as_ref()
                .and_then(|s| s.0.first())
                .map(|s| s.span),
            "route_tables",
            "gateway",
        );
        let security_groups = def
            .security_groups
            .iter()
            .flat_map(|l| l.iter())
            .filter_map(|s| {
                self.resolve_in_vpc(&self.names.security_groups, vpc, s, "security group")
            })
            .collect::<Vec<_>>();
        let enis = self.interface_enis(vpc, id, key, def, &security_groups);
        let dns_id = self.endpoint_dns_id(def);
        let private_dns = match &*def.private_dns {
            Some(p) => p.value,
            // AWS's API default is true for AWS services; services that also have gateway
            // endpoints (S3, DynamoDB) default to off, see docs/decisions.md.
            None => !vpcsim_aws::service::has_gateway(service),
        };
        let private_dns_only_for_inbound_resolver =
            self.private_dns_only_for_inbound(def, service, Some(private_dns));
        InterfaceEndpoint {
            enis,
            security_groups,
            dns_id,
            private_dns,
            private_dns_only_for_inbound_resolver,
        }
    }

    /// An interface endpoint's network interfaces: one per subnet, at most one subnet per
    /// Availability Zone; `addresses:` name only its subnets.
    fn interface_enis(
        &mut self,
        vpc: VpcId,
        id: EndpointId,
        key: &Spanned<String>,
        def: &f::Endpoint,
        security_groups: &[SecurityGroupId],
    ) -> Vec<EniId> {
        let mut enis = Vec::new();
        let subnets = def.subnets.as_ref();
        if subnets.is_none_or(|l| l.0.is_empty()) {
            self.err("missing-key", key.span, format!("interface endpoint '{}' has no subnets", key.value), "add `subnets: [NAME, ...]`, one subnet per Availability Zone; each gets a network interface");
        }
        let mut azs: HashMap<String, Span> = HashMap::default();
        let mut chosen: Vec<String> = Vec::new();
        for s in subnets.iter().flat_map(|l| l.iter()) {
            let Some(sid) = self.resolve_in_vpc(&self.names.subnets, vpc, s, "subnet") else {
                continue;
            };
            let az = self.t.subnets[sid.index()].az.clone();
            if let Some(first) = azs.get(&az) {
                self.d.push(
                    Diagnostic::error(
                        "endpoint-az-twice",
                        s.span,
                        format!(
                            "interface endpoint '{}' already has a subnet in {az}",
                            key.value
                        ),
                    )
                    .with_related(*first, "the other subnet in this zone")
                    .with_help(
                        "an interface endpoint takes at most one subnet per Availability Zone",
                    ),
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
                security_groups.to_vec(),
                s.span,
                &["endpoint/", &key.value],
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
        enis
    }

    /// The DNS id: the one written (checked), else derived from the seed and the endpoint id.
    fn endpoint_dns_id(&self, def: &f::Endpoint) -> String {
        match &def.dns_id {
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
        }
    }

    /// Whether `PrivateDnsOnlyForInboundResolverEndpoint` is in effect. The option exists only
    /// for interface endpoints (`private_dns` is `Some` for them) of services that also have
    /// gateway endpoints, and does something only with private DNS on; it defaults to true.
    fn private_dns_only_for_inbound(
        &self,
        def: &f::Endpoint,
        service: &str,
        private_dns: Option<bool>,
    ) -> bool {
        let given = def.private_dns_only_for_inbound_resolver_endpoint.as_ref();
        let applies = vpcsim_aws::service::has_gateway(service);
        if let Some(o) = given {
            match private_dns {
                Some(on) if applies => {
                    if !on {
                        self.warn("no-effect", o.span, "`private_dns_only_for_inbound_resolver_endpoint` has no effect while private DNS is off", "set `private_dns: true`, or remove this key");
                    }
                }
                _ => self.err("invalid-value", o.span, "`private_dns_only_for_inbound_resolver_endpoint` applies only to interface endpoints of services that also have gateway endpoints (s3, dynamodb)", "remove it"),
            }
        }
        private_dns == Some(true) && applies && given.is_none_or(|o| o.value)
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
        let mut owners: HashMap<(VpcId, &str), Span> = HashMap::default();
        for ep in &self.t.endpoints {
            if !ep.interface().is_some_and(|i| i.private_dns) || ep.service.is_empty() {
                continue;
            }
            let vpc = &self.t.vpcs[ep.vpc.index()];
            if !(vpc.dns_support && vpc.dns_hostnames) {
                let off = if vpc.dns_support {
                    "enable_dns_hostnames"
                } else {
                    "enable_dns_support"
                };
                self.err(
                    "private-dns-needs-dns-attributes",
                    ep.span,
                    format!(
                        "interface endpoint '{}' has private DNS, but VPC '{}' has `{off}: false`",
                        ep.name, vpc.name
                    ),
                    "AWS creates an endpoint with private DNS only in a VPC with DNS support and DNS hostnames: set both to true (the defaults), or `private_dns: false` and use the endpoint's own names",
                );
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
            if !(ep
                .interface()
                .is_some_and(|i| i.private_dns_only_for_inbound_resolver)
                && vpcsim_aws::service::has_gateway(&ep.service))
            {
                continue;
            }
            let has_gateway = self.t.vpcs[ep.vpc.index()].endpoints.iter().any(|g| {
                let g = &self.t.endpoints[g.index()];
                g.gateway().is_some() && g.service == ep.service
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

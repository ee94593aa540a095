//! Routes: each route table's routes and their targets, and the routes AWS adds for gateway
//! endpoints.

use super::*;

impl Builder<'_> {
    /// Each route table's routes; what is written of them is read for the last time here, and
    /// freed VPC by VPC.
    pub(super) fn routes(&mut self, raw: &mut f::Topology) {
        let Some(vpcs) = &mut raw.vpcs.0 else { return };
        for (n, v) in vpcs
            .0
            .iter_mut()
            .filter_map(|e| e.value.as_mut())
            .enumerate()
        {
            let vpc = VpcId(n as u32);
            let tables = std::mem::take(&mut v.route_tables);
            for rt in tables.iter() {
                let Some(def) = &rt.value else { continue };
                let Found::Yes(rid) = lookup(self.names.route_tables.get(&vpc), &rt.key.value)
                else {
                    continue;
                };
                let mut seen: HashMap<Destination, Span> = HashMap::default();
                for r in def.routes.iter() {
                    let destination = if r.destination.as_str().starts_with("pl-") {
                        self.prefix_list(vpc, &r.destination)
                            .map(Destination::PrefixList)
                    } else {
                        self.cidr(&r.destination).map(Destination::Cidr)
                    };
                    let target = self.target(vpc, &r.target, destination);
                    let (Some(destination), Some(target)) = (destination, target) else {
                        continue;
                    };
                    if target == Some(Target::Local) {
                        continue; // the local route is implicit
                    }
                    if let Some(Target::GatewayEndpoint(ep)) = target {
                        // The same association as `route_tables:` on the endpoint.
                        let e = &self.t.endpoints[ep.index()];
                        let service = e.service.clone();
                        let own = self.t.prefix_lists.iter().position(|p| {
                            Some(p.region) == self.t.vpcs[vpc.index()].region
                                && p.service == service
                        });
                        let own_list = own.map(|i| Destination::PrefixList(PrefixListId(i as u32)));
                        if own_list != Some(destination) {
                            let pl = own.map_or("its prefix list".to_string(), |i| {
                                self.t.prefix_lists[i].aws_id.clone()
                            });
                            self.err("invalid-route", r.destination.span, format!("a route to gateway endpoint '{}' must have the {service} prefix list as its destination", e.name), format!("write `destination: {pl}`"));
                            continue;
                        }
                        self.gateway_tables_written.insert(ep);
                        let associated = self.t.endpoints[ep.index()].route_tables().contains(&rid);
                        if !associated
                            && self.associate_gateway(rid, &service, &rt.key.value, r.target.span)
                            && let EndpointKind::Gateway(g) = &mut self.t.endpoints[ep.index()].kind
                        {
                            g.route_tables.push(rid);
                        }
                        continue; // its route is added below with the endpoint's other associations
                    }
                    if let Some(first) = seen.get(&destination) {
                        self.d.push(
                            Diagnostic::error(
                                "duplicate-route",
                                r.destination.span,
                                format!(
                                    "route table '{}' has two routes to {}",
                                    rt.key.value, r.destination.value
                                ),
                            )
                            .with_related(*first, "the other route")
                            .with_help("a route table holds one route per destination"),
                        );
                        continue;
                    }
                    seen.insert(destination, r.destination.span);
                    // A route to an instance without a network interface (reported) is checked
                    // against the others, but not built.
                    let Some(target) = target else { continue };
                    self.t.route_tables[rid.index()].routes.push(Route {
                        destination,
                        target,
                        span: r.destination.span,
                    });
                }
            }
        }
        for (i, ep) in self.t.endpoints.iter().enumerate() {
            let written = self.gateway_tables_written.contains(&EndpointId(i as u32));
            if ep.gateway().is_some_and(|g| g.route_tables.is_empty()) && !written {
                self.warn("gateway-endpoint-unused", ep.span, format!("gateway endpoint '{}' is associated with no route table, so no traffic can use it", ep.name), "add `route_tables: [NAME]`");
            }
        }
        // The routes AWS adds for gateway endpoints: prefix list -> vpce.
        for i in 0..self.t.endpoints.len() {
            let ep = &self.t.endpoints[i];
            if ep.gateway().is_none() || !vpcsim_aws::service::has_gateway(&ep.service) {
                continue;
            }
            let region = self.t.vpcs[ep.vpc.index()].region;
            let Some(pl) = self
                .t
                .prefix_lists
                .iter()
                .position(|p| Some(p.region) == region && p.service == ep.service)
            else {
                if let Some(region) = region
                    && !ep.route_tables().is_empty()
                {
                    let r = &self.t.regions[region.index()].name;
                    self.err("missing-prefix-list", ep.span, format!("vpcsim has no prefix list for {} in {r}", ep.service), format!("add `regions: {{ {r}: {{ prefix_lists: {{ {}: {{ id: pl-…, cidrs: [...] }} }} }} }}` with AWS's published list", ep.service));
                }
                continue;
            };
            let (span, tables) = (ep.span, ep.route_tables().to_vec());
            for rid in tables {
                self.t.route_tables[rid.index()].routes.push(Route {
                    destination: Destination::PrefixList(PrefixListId(pl as u32)),
                    target: Target::GatewayEndpoint(EndpointId(i as u32)),
                    span,
                });
            }
        }
    }

    /// A route's target. `None` when it is not a valid target (reported); `Some(None)` for an
    /// instance whose network interface could not be built (reported there): the route is
    /// checked against the table's other routes but not built.
    fn target(
        &self,
        vpc: VpcId,
        t: &Spanned<String>,
        destination: Option<Destination>,
    ) -> Option<Option<Target>> {
        let v = &self.t.vpcs[vpc.index()];
        let (kind, name) = match t.as_str().split_once('/') {
            Some((k, n)) => (k, Some(Spanned::new(t.span, n.to_string()))),
            None => (t.as_str(), None),
        };
        let forms = "local, igw, vgw, nat/NAME, peering/NAME, endpoint/NAME or instance/NAME";
        let target = match (kind, name) {
            ("local", None) => {
                if let Some(Destination::Cidr(IpNet::V4(d))) = destination
                    && !v.cidrs.contains(&d)
                {
                    self.err(
                        "invalid-route",
                        t.span,
                        format!(
                            "a local route's destination must be a CIDR of VPC '{}'",
                            v.name
                        ),
                        "the local route is implicit: you can leave it out",
                    );
                    return None;
                }
                Some(Target::Local)
            }
            ("igw", None) => {
                if v.internet_gateway.is_none() {
                    self.err(
                        "unknown-reference",
                        t.span,
                        format!("VPC '{}' has no internet gateway", v.name),
                        "add `internet_gateway: {}` to the VPC",
                    );
                    return None;
                }
                Some(Target::InternetGateway)
            }
            ("vgw", None) => {
                if v.vpn_gateway.is_none() {
                    self.err(
                        "unknown-reference",
                        t.span,
                        format!("VPC '{}' has no VPN gateway", v.name),
                        "add `vpn_gateway: { asn: 64512 }` to the VPC",
                    );
                    return None;
                }
                Some(Target::VpnGateway)
            }
            ("nat", Some(n)) => self
                .resolve_in_vpc(&self.names.nat_gateways, vpc, &n, "NAT gateway")
                .map(Target::NatGateway),
            ("instance", Some(n)) => {
                let i = self.resolve_in_vpc(&self.names.instances, vpc, &n, "instance")?;
                return Some(self.t.instances[i.index()].eni.map(Target::Eni));
            }
            ("peering", Some(n)) => {
                let p = self.resolve(
                    Some(&self.names.peerings),
                    &n,
                    "peering connection",
                    " under `peerings:`",
                )?;
                let peering = self.t.peerings.get(p.index())?;
                // A peering whose ends did not resolve (reported) connects no VPC.
                if !peering.vpcs.is_some_and(|ends| ends.contains(&vpc)) {
                    self.err(
                        "invalid-route",
                        t.span,
                        format!(
                            "peering connection '{}' does not connect VPC '{}'",
                            n.value, v.name
                        ),
                        "a route can only use a peering connection of its own VPC",
                    );
                    return None;
                }
                Some(Target::Peering(p))
            }
            ("endpoint", Some(n)) => {
                let ep = self.resolve_in_vpc(&self.names.endpoints, vpc, &n, "endpoint")?;
                let e = &self.t.endpoints[ep.index()];
                if e.gateway().is_none() {
                    self.err("invalid-route", t.span, format!("'{}' is an interface endpoint; only gateway endpoints are route targets", n.value), "reach interface endpoints through their addresses; no route is needed inside the VPC");
                    return None;
                }
                Some(Target::GatewayEndpoint(ep))
            }
            _ => {
                let help = match suggest::closest(
                    kind,
                    [
                        "local", "igw", "vgw", "nat", "peering", "endpoint", "instance",
                    ],
                ) {
                    Some(b) if b != kind => format!("did you mean '{b}'? Targets are {forms}"),
                    _ => format!("targets are {forms}"),
                };
                self.err(
                    "invalid-route",
                    t.span,
                    format!("'{}' is not a route target", t.value),
                    help,
                );
                None
            }
        };
        target.map(Some)
    }
}

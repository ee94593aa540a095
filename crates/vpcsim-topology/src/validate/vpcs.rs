//! VPCs and their layout: CIDR blocks (IPv4 and IPv6), route tables by name and the main one,
//! subnets and their zones, and the members built in a second pass (endpoints, instances,
//! Resolver). Also the lookups inside a VPC: names in its tables, prefix lists of its Region.

use super::*;

impl Builder<'_> {
    pub(super) fn vpcs(&mut self, raw: &f::Topology) {
        let Some(vpcs) = &raw.vpcs.0 else { return };
        // The model's largest vectors, made at their size: grown by doubling, each would be
        // copied a dozen times at 10,000 VPCs and held twice while it is.
        let defs = || vpcs.iter().filter_map(|e| e.value.as_ref());
        self.t.vpcs.reserve_exact(defs().count());
        self.t
            .subnets
            .reserve_exact(defs().map(|v| v.subnets.len()).sum());
        self.t.route_tables.reserve_exact(
            defs()
                .map(|v| v.route_tables.len() + usize::from(!has_main(v)))
                .sum(),
        );
        self.t
            .endpoints
            .reserve_exact(defs().map(|v| v.endpoints.len()).sum());
        for e in vpcs.iter() {
            let Some(v) = &e.value else { continue };
            let id = VpcId(self.t.vpcs.len() as u32);
            let account = self.account(&v.account);
            let region = self.resolve(
                Some(&self.names.regions),
                &v.region,
                "region",
                " under `regions:`",
            );
            let mut cidrs: Vec<Ipv4Net> = Vec::new();
            if v.cidr.value.0.is_empty() {
                self.err(
                    "invalid-cidr",
                    v.cidr.span,
                    format!("VPC '{}' has no CIDR", e.key.value),
                    "give at least one CIDR, for example `cidr: 10.0.0.0/16`",
                );
            }
            for c in v.cidr.value.iter() {
                let Some(net) = self.cidr4(c) else { continue };
                if !(16..=28).contains(&net.prefix_len()) {
                    self.err(
                        "invalid-cidr",
                        c.span,
                        format!(
                            "a VPC CIDR block must be between /16 and /28; '{net}' is /{}",
                            net.prefix_len()
                        ),
                        "",
                    );
                    continue;
                }
                if let Some(other) = cidrs
                    .iter()
                    .find(|o| o.contains(&net.network()) || net.contains(&o.network()))
                {
                    self.err(
                        "invalid-cidr",
                        c.span,
                        format!("'{net}' overlaps '{other}' of the same VPC"),
                        "a VPC's CIDR blocks must not overlap",
                    );
                    continue;
                }
                cidrs.push(net);
            }
            let ipv6_cidrs = self.vpc_ipv6_cidrs(v);
            let aws_id = self.aws_id(v.id.as_ref(), "vpc", &["vpc", &e.key.value]);
            let internet_gateway = v
                .internet_gateway
                .as_ref()
                .map(|g| self.aws_id(g.value.id.as_ref(), "igw", &["igw", &e.key.value]));
            let vpn_gateway = v.vpn_gateway.as_ref().map(|g| VpnGateway {
                aws_id: self.aws_id(g.value.id.as_ref(), "vgw", &["vgw", &e.key.value]),
                asn: g.value.asn.as_ref().map_or(64512, |a| a.value),
                links: Vec::new(),
            });
            let (route_tables, main_route_table) =
                self.route_tables(id, &e.key, vpn_gateway.is_some(), v);
            // AWS's defaults as the console's VPC wizard sets them (docs/decisions.md); DNS
            // hostnames need DNS support ("You can only enable DNS hostnames if you've enabled DNS
            // support").
            let dns_support = v.enable_dns_support.as_ref().is_none_or(|b| b.value);
            let dns_hostnames = match &*v.enable_dns_hostnames {
                Some(h) if h.value && !dns_support => {
                    self.err(
                        "invalid-value",
                        h.span,
                        format!(
                            "VPC '{}' cannot have DNS hostnames without DNS support",
                            e.key.value
                        ),
                        "AWS enables DNS hostnames only in a VPC with DNS support: set `enable_dns_support: true`, or `enable_dns_hostnames: false`",
                    );
                    false
                }
                Some(h) => h.value,
                None => dns_support,
            };
            self.t.vpcs.push(Vpc {
                name: e.key.value.clone(),
                aws_id,
                account,
                region,
                cidrs,
                ipv6_cidrs,
                subnets: Vec::new(),
                route_tables,
                main_route_table,
                internet_gateway,
                vpn_gateway,
                endpoints: Vec::new(),
                instances: Vec::new(),
                security_groups: Vec::new(),
                inbound_resolver: None,
                outbound_resolver: None,
                resolver_rules: Vec::new(),
                hosted_zones: Vec::new(),
                dns_support,
                dns_hostnames,
                span: e.key.span,
            });
            self.subnets(id, v, region);
            self.security_groups(id, v);
            self.network_acls(id, v);
            self.nat_gateways(id, v);
        }
    }

    /// A VPC's `ipv6_cidr` blocks: IPv6, /44 to /60 in steps of /4 (Amazon-provided blocks are
    /// /56), not overlapping each other.
    fn vpc_ipv6_cidrs(&self, v: &f::Vpc) -> Vec<Ipv6Net> {
        let mut out: Vec<Ipv6Net> = Vec::new();
        let Some(list) = &v.ipv6_cidr else {
            return out;
        };
        for c in list.value.iter() {
            let Some(net) = self.cidr6(c) else { continue };
            let len = net.prefix_len();
            if !(44..=60).contains(&len) || len % 4 != 0 {
                self.err(
                    "invalid-cidr",
                    c.span,
                    format!(
                        "a VPC IPv6 CIDR block must be /44 to /60 in steps of /4; '{net}' is /{len}"
                    ),
                    "Amazon-provided IPv6 blocks are /56, for example 2600:1f18:1234:5600::/56",
                );
                continue;
            }
            if let Some(other) = out
                .iter()
                .find(|o| o.contains(&net.network()) || net.contains(&o.network()))
            {
                self.err(
                    "invalid-cidr",
                    c.span,
                    format!("'{net}' overlaps '{other}' of the same VPC"),
                    "a VPC's CIDR blocks must not overlap",
                );
                continue;
            }
            out.push(net);
        }
        out
    }

    /// A subnet's `ipv6_cidr`: inside one of its VPC's IPv6 blocks, /44 to /64 in steps of /4,
    /// not overlapping another subnet's.
    fn subnet_ipv6_cidr<'a>(
        &self,
        vpc: VpcId,
        name: &'a str,
        text: &Spanned<String>,
        placed: &mut Vec<(Ipv6Net, Span, &'a str)>,
    ) -> Option<Ipv6Net> {
        let net = self.cidr6(text)?;
        let len = net.prefix_len();
        let vpc_cidrs = &self.t.vpcs[vpc.index()].ipv6_cidrs;
        if !(44..=64).contains(&len) || len % 4 != 0 {
            self.err(
                "invalid-cidr",
                text.span,
                format!("a subnet IPv6 CIDR must be /44 to /64 in steps of /4; '{net}' is /{len}"),
                "subnet IPv6 blocks are usually /64",
            );
            return None;
        }
        if vpc_cidrs.is_empty() {
            self.err(
                "subnet-outside-vpc",
                text.span,
                format!(
                    "subnet '{name}' has an IPv6 CIDR but VPC '{}' has no `ipv6_cidr`",
                    self.vpc_name(vpc)
                ),
                "associate an IPv6 block with the VPC first: `ipv6_cidr: 2600:1f18:1234:5600::/56`",
            );
            return None;
        }
        if !vpc_cidrs.iter().any(|c| c.contains(&net)) {
            let list: Vec<String> = vpc_cidrs.iter().map(|c| c.to_string()).collect();
            self.err(
                "subnet-outside-vpc",
                text.span,
                format!(
                    "subnet '{name}' ({net}) is not inside VPC '{}'",
                    self.vpc_name(vpc)
                ),
                format!(
                    "the VPC's IPv6 CIDRs are {}; pick a subnet inside one of them",
                    list.join(", ")
                ),
            );
            return None;
        }
        if let Some((other, span, other_name)) = placed
            .iter()
            .find(|(o, _, _)| o.contains(&net.network()) || net.contains(&o.network()))
        {
            self.d.push(
                Diagnostic::error(
                    "subnet-overlap",
                    text.span,
                    format!("subnet '{name}' ({net}) overlaps subnet '{other_name}' ({other})"),
                )
                .with_related(*span, "the other subnet")
                .with_help("subnets of a VPC must not overlap"),
            );
            return None;
        }
        placed.push((net, text.span, name));
        Some(net)
    }

    pub(super) fn vpc_name(&self, vpc: VpcId) -> &str {
        &self.t.vpcs[vpc.index()].name
    }

    /// A VPC's route tables (registering their names) and its main one: the one marked `main`,
    /// else the one AWS creates. `key` is the VPC's name.
    fn route_tables(
        &mut self,
        vpc: VpcId,
        key: &Spanned<String>,
        has_vgw: bool,
        v: &f::Vpc,
    ) -> (Vec<RouteTableId>, RouteTableId) {
        let mut table = table_for(v.route_tables.len());
        let mut ids = Vec::new();
        let mut main: Option<(Span, RouteTableId)> = None;
        for e in v.route_tables.iter() {
            let Some(rt) = &e.value else {
                table.insert(e.key.value.clone(), None);
                continue;
            };
            let id = RouteTableId(self.t.route_tables.len() as u32);
            table.insert(e.key.value.clone(), Some(id));
            if rt.main {
                if let Some((first, _)) = main {
                    self.d.push(
                        Diagnostic::error("duplicate-main-route-table", e.key.span, format!("VPC '{}' has two main route tables", key.value))
                            .with_related(first, "the first one")
                            .with_help("a VPC has exactly one main route table; remove `main: true` from one of them"),
                    );
                } else {
                    main = Some((e.key.span, id));
                }
            }
            let mut propagate_vgw = false;
            for p in rt.propagate.iter() {
                if p.as_str() != "vgw" {
                    self.err("invalid-value", p.span, format!("cannot propagate routes from '{}'", p.value), "route propagation comes from the virtual private gateway: write `propagate: [vgw]`");
                } else if !has_vgw {
                    self.err(
                        "unknown-reference",
                        p.span,
                        format!(
                            "VPC '{}' has no VPN gateway to propagate routes from",
                            key.value
                        ),
                        "add `vpn_gateway: { asn: 64512 }` to the VPC",
                    );
                } else {
                    propagate_vgw = true;
                }
            }
            self.t.route_tables.push(RouteTable {
                name: e.key.value.clone(),
                vpc,
                main: rt.main,
                routes: Vec::new(),
                propagate_vgw,
                span: e.key.span,
            });
            ids.push(id);
        }
        let main = match main {
            Some((_, id)) => id,
            None => self.implicit_main_route_table(vpc, key.span, &mut table, &mut ids),
        };
        self.names.route_tables.insert(vpc, table);
        (ids, main)
    }

    /// The main route table AWS creates, with only the local route, when none is marked `main`.
    /// It answers to the name `main` unless a table of that name exists.
    fn implicit_main_route_table(
        &mut self,
        vpc: VpcId,
        span: Span,
        table: &mut Table<RouteTableId>,
        ids: &mut Vec<RouteTableId>,
    ) -> RouteTableId {
        let id = RouteTableId(self.t.route_tables.len() as u32);
        let name = if table.contains_key("main") {
            "(main)"
        } else {
            "main"
        };
        table.entry(name.to_string()).or_insert(Some(id));
        self.t.route_tables.push(RouteTable {
            name: name.into(),
            vpc,
            main: true,
            routes: Vec::new(),
            propagate_vgw: false,
            span,
        });
        ids.push(id);
        id
    }

    /// Resolves a name in a per-VPC table; when it exists in another VPC, says so.
    pub(super) fn resolve_in_vpc<I: Copy>(
        &self,
        tables: &PerVpc<I>,
        vpc: VpcId,
        name: &Spanned<String>,
        what: &str,
    ) -> Option<I> {
        // Found (the usual case): no words are made.
        match lookup(tables.get(&vpc), name.as_str()) {
            Found::Yes(id) => return Some(id),
            Found::Poisoned => return None,
            Found::No => {}
        }
        let elsewhere = tables
            .iter()
            .filter(|(v, t)| *v != vpc && t.contains_key(name.as_str()))
            .map(|(v, _)| self.vpc_name(v).to_string())
            .min();
        if let Some(other) = elsewhere {
            self.err(
                "cross-vpc-reference",
                name.span,
                format!(
                    "{what} '{}' belongs to VPC '{other}', not to VPC '{}'",
                    name.value,
                    self.vpc_name(vpc)
                ),
                format!("a {what} can only be used inside its own VPC"),
            );
            return None;
        }
        self.resolve(
            tables.get(&vpc),
            name,
            what,
            &format!(" in VPC '{}'", self.vpc_name(vpc)),
        )
    }

    fn subnets(&mut self, vpc: VpcId, v: &f::Vpc, region: Option<RegionId>) {
        let mut table = table_for(v.subnets.len());
        // The subnets placed so far, by the names written (borrowed: needed only for a message).
        let mut placed: Vec<(Ipv4Net, Span, &str)> = Vec::new();
        let mut placed6: Vec<(Ipv6Net, Span, &str)> = Vec::new();
        for e in v.subnets.iter() {
            let Some(s) = &e.value else {
                table.insert(e.key.value.clone(), None);
                continue;
            };
            if let Some(r) = region {
                let reg = &self.t.regions[r.index()];
                if !reg.azs.contains(&s.az.value) {
                    let (msg, help) = if s.az.as_str().starts_with(reg.name.as_str()) {
                        (
                            format!(
                                "Availability Zone '{}' is not listed for {}",
                                s.az.value, reg.name
                            ),
                            format!(
                                "add it to `regions: {{ {}: {{ azs: [...] }} }}`, or use one of: {}",
                                reg.name,
                                reg.azs.join(", ")
                            ),
                        )
                    } else {
                        (
                            format!(
                                "Availability Zone '{}' is not in {}, the Region of VPC '{}'",
                                s.az.value,
                                reg.name,
                                self.vpc_name(vpc)
                            ),
                            suggest::hint(
                                s.az.as_str(),
                                "zone",
                                reg.azs.iter().map(String::as_str),
                            ),
                        )
                    };
                    self.err("az-not-in-region", s.az.span, msg, help);
                }
            }
            let cidr = self.cidr4(&s.cidr);
            if let Some(net) = cidr {
                let vpc_cidrs = &self.t.vpcs[vpc.index()].cidrs;
                if !(16..=28).contains(&net.prefix_len()) {
                    self.err(
                        "invalid-cidr",
                        s.cidr.span,
                        format!(
                            "a subnet CIDR must be between /16 and /28; '{net}' is /{}",
                            net.prefix_len()
                        ),
                        "",
                    );
                } else if !vpc_cidrs.is_empty() && !vpc_cidrs.iter().any(|c| c.contains(&net)) {
                    let list: Vec<String> = vpc_cidrs.iter().map(|c| c.to_string()).collect();
                    self.err(
                        "subnet-outside-vpc",
                        s.cidr.span,
                        format!(
                            "subnet '{}' ({net}) is not inside VPC '{}'",
                            e.key.value,
                            self.vpc_name(vpc)
                        ),
                        format!(
                            "the VPC's CIDRs are {}; pick a subnet inside one of them",
                            list.join(", ")
                        ),
                    );
                } else if let Some((other, span, name)) = placed
                    .iter()
                    .find(|(o, _, _)| o.contains(&net.network()) || net.contains(&o.network()))
                {
                    self.d.push(
                        Diagnostic::error(
                            "subnet-overlap",
                            s.cidr.span,
                            format!(
                                "subnet '{}' ({net}) overlaps subnet '{name}' ({other})",
                                e.key.value
                            ),
                        )
                        .with_related(*span, "the other subnet")
                        .with_help("subnets of a VPC must not overlap"),
                    );
                } else {
                    placed.push((net, s.cidr.span, &e.key.value));
                }
            }
            let route_table = match &s.route_table {
                None => Some(self.t.vpcs[vpc.index()].main_route_table),
                Some(name) => {
                    self.resolve_in_vpc(&self.names.route_tables, vpc, name, "route table")
                }
            };
            let ipv6_cidr = s
                .ipv6_cidr
                .as_ref()
                .and_then(|t| self.subnet_ipv6_cidr(vpc, &e.key.value, t, &mut placed6));
            let id = SubnetId(self.t.subnets.len() as u32);
            table.insert(e.key.value.clone(), Some(id));
            self.t.subnets.push(Subnet {
                name: e.key.value.clone(),
                vpc,
                az: s.az.value.clone(),
                cidr,
                ipv6_cidr,
                route_table,
                network_acl: None,
                span: e.key.span,
            });
            self.t.vpcs[vpc.index()].subnets.push(id);
        }
        self.names.subnets.insert(vpc, table);
    }

    pub(super) fn prefix_list(&self, vpc: VpcId, id: &Spanned<String>) -> Option<PrefixListId> {
        let region = self.t.vpcs[vpc.index()].region;
        let found = self
            .t
            .prefix_lists
            .iter()
            .position(|p| p.aws_id == id.value && Some(p.region) == region);
        if found.is_none() {
            let known: Vec<&str> = self
                .t
                .prefix_lists
                .iter()
                .filter(|p| Some(p.region) == region)
                .map(|p| p.aws_id.as_str())
                .collect();
            self.err(
                "unknown-reference",
                id.span,
                format!(
                    "no prefix list '{}' in the Region of VPC '{}'",
                    id.value,
                    self.vpc_name(vpc)
                ),
                format!(
                    "{}; or define it under `regions: {{ REGION: {{ prefix_lists: ... }} }}`",
                    suggest::hint(id.as_str(), "prefix list", known)
                ),
            );
        }
        found.map(|i| PrefixListId(i as u32))
    }

    /// Each VPC's endpoints, instances and Resolver endpoints; what is written of them is read
    /// for the last time here, and freed VPC by VPC (the model built from it is about as large).
    pub(super) fn vpc_members(&mut self, raw: &mut f::Topology) {
        let Some(vpcs) = &mut raw.vpcs.0 else { return };
        for (n, v) in vpcs
            .0
            .iter_mut()
            .filter_map(|e| e.value.as_mut())
            .enumerate()
        {
            let vpc = VpcId(n as u32);
            let endpoints = std::mem::take(&mut v.endpoints);
            let instances = std::mem::take(&mut v.instances);
            let resolver = std::mem::take(&mut v.resolver);
            let mut ep_table = table_for(endpoints.len());
            for ep in endpoints.iter() {
                let Some(def) = &ep.value else {
                    ep_table.insert(ep.key.value.clone(), None);
                    continue;
                };
                let id = EndpointId(self.t.endpoints.len() as u32);
                ep_table.insert(ep.key.value.clone(), Some(id));
                self.endpoint(vpc, id, &ep.key, def);
            }
            self.names.endpoints.insert(vpc, ep_table);
            let mut inst_table = table_for(instances.len());
            for i in instances.iter() {
                let Some(def) = &i.value else {
                    inst_table.insert(i.key.value.clone(), None);
                    continue;
                };
                let id = InstanceId(self.t.instances.len() as u32);
                inst_table.insert(i.key.value.clone(), Some(id));
                self.instance(vpc, id, &i.key, def);
            }
            self.names.instances.insert(vpc, inst_table);
            if let Some(r) = &*resolver {
                self.resolver(vpc, r);
            }
        }
        self.private_dns_rules();
    }

    /// An instance: its network interface (dual-stack in a subnet with an IPv6 CIDR), its
    /// security groups and role.
    fn instance(&mut self, vpc: VpcId, id: InstanceId, key: &Spanned<String>, def: &f::Instance) {
        let sgs = def
            .security_groups
            .iter()
            .filter_map(|s| {
                self.resolve_in_vpc(&self.names.security_groups, vpc, s, "security group")
            })
            .collect();
        let eni = self.request_eni(
            vpc,
            &def.subnet,
            def.ip.clone(),
            EniOwner::Instance(id),
            sgs,
            key.span,
            &["instance/", &key.value],
        );
        if let Some(e) = eni {
            let r = &mut self.eni_requests[e.index()];
            r.dual_stack = true;
            r.ipv6 = def.ipv6.clone();
        }
        let role = def.role.as_ref().and_then(|r| {
            self.resolve(
                Some(&self.names.principals),
                r,
                "principal",
                " under `principals:`",
            )
        });
        self.t.instances.push(Instance {
            name: key.value.clone(),
            vpc,
            eni,
            public_ip: def.public_ip.as_ref().and_then(|p| self.ip4(p)),
            role,
            span: key.span,
        });
        self.t.vpcs[vpc.index()].instances.push(id);
    }
}

/// Whether a VPC as written marks one of its route tables `main` (if not, AWS's main table is
/// added: [`Builder::implicit_main_route_table`]).
fn has_main(v: &f::Vpc) -> bool {
    v.route_tables
        .iter()
        .any(|t| t.value.as_ref().is_some_and(|t| t.main))
}

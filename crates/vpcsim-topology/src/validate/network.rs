//! VPCs and what is inside them: subnets, route tables, security groups, ACLs, gateways,
//! endpoints, instances, Resolver endpoints; address assignment; routes; peering.

use super::*;

impl Builder<'_> {
    pub(super) fn vpcs(&mut self, raw: &f::Topology) {
        let Some(vpcs) = &raw.vpcs.0 else { return };
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
            self.t.vpcs.push(Vpc {
                name: e.key.value.clone(),
                aws_id,
                account: account.unwrap_or(AccountId(u32::MAX)),
                region: region.unwrap_or(RegionId(u32::MAX)),
                cidrs,
                ipv6_cidrs,
                subnets: Vec::new(),
                route_tables: Vec::new(),
                main_route_table: RouteTableId(u32::MAX),
                internet_gateway: v
                    .internet_gateway
                    .as_ref()
                    .map(|g| self.aws_id(g.value.id.as_ref(), "igw", &["igw", &e.key.value])),
                vpn_gateway: v.vpn_gateway.as_ref().map(|g| VpnGateway {
                    aws_id: self.aws_id(g.value.id.as_ref(), "vgw", &["vgw", &e.key.value]),
                    asn: g.value.asn.as_ref().map_or(64512, |a| a.value),
                    links: Vec::new(),
                }),
                endpoints: Vec::new(),
                instances: Vec::new(),
                security_groups: Vec::new(),
                inbound_resolver: None,
                outbound_resolver: None,
                resolver_rules: Vec::new(),
                hosted_zones: Vec::new(),
                span: e.key.span,
            });
            self.route_table_names(id, v);
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
    fn subnet_ipv6_cidr(
        &self,
        vpc: VpcId,
        name: &str,
        text: &Spanned<String>,
        placed: &mut Vec<(Ipv6Net, Span, String)>,
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
        placed.push((net, text.span, name.to_string()));
        Some(net)
    }

    fn vpc_name(&self, vpc: VpcId) -> &str {
        &self.t.vpcs[vpc.index()].name
    }

    fn route_table_names(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut table = Table::new();
        let mut main: Option<Span> = None;
        for e in v.route_tables.iter() {
            let Some(rt) = &e.value else {
                table.insert(e.key.value.clone(), None);
                continue;
            };
            let id = RouteTableId(self.t.route_tables.len() as u32);
            table.insert(e.key.value.clone(), Some(id));
            if rt.main {
                if let Some(first) = main {
                    self.d.push(
                        Diagnostic::error("duplicate-main-route-table", e.key.span, format!("VPC '{}' has two main route tables", self.vpc_name(vpc)))
                            .with_related(first, "the first one")
                            .with_help("a VPC has exactly one main route table; remove `main: true` from one of them"),
                    );
                } else {
                    main = Some(e.key.span);
                    self.t.vpcs[vpc.index()].main_route_table = id;
                }
            }
            let mut propagate_vgw = false;
            for p in rt.propagate.iter() {
                if p.as_str() != "vgw" {
                    self.err("invalid-value", p.span, format!("cannot propagate routes from '{}'", p.value), "route propagation comes from the virtual private gateway: write `propagate: [vgw]`");
                } else if self.t.vpcs[vpc.index()].vpn_gateway.is_none() {
                    self.err(
                        "unknown-reference",
                        p.span,
                        format!(
                            "VPC '{}' has no VPN gateway to propagate routes from",
                            self.vpc_name(vpc)
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
            self.t.vpcs[vpc.index()].route_tables.push(id);
        }
        if main.is_none() {
            // AWS creates a main route table with only the local route. It answers to the name
            // `main` unless a table of that name exists.
            let id = RouteTableId(self.t.route_tables.len() as u32);
            let span = self.t.vpcs[vpc.index()].span;
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
            self.t.vpcs[vpc.index()].route_tables.push(id);
            self.t.vpcs[vpc.index()].main_route_table = id;
        }
        self.names.route_tables.insert(vpc, table);
    }

    /// Resolves a name in a per-VPC table; when it exists in another VPC, says so.
    pub(super) fn resolve_in_vpc<I: Copy>(
        &self,
        tables: &HashMap<VpcId, Table<I>>,
        vpc: VpcId,
        name: &Spanned<String>,
        what: &str,
    ) -> Option<I> {
        if let Found::No = lookup(tables.get(&vpc), name.as_str()) {
            let elsewhere = tables
                .iter()
                .filter(|(v, t)| **v != vpc && t.contains_key(name.as_str()))
                .map(|(v, _)| self.vpc_name(*v).to_string())
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
        }
        self.resolve(
            tables.get(&vpc),
            name,
            what,
            &format!(" in VPC '{}'", self.vpc_name(vpc)),
        )
    }

    fn subnets(&mut self, vpc: VpcId, v: &f::Vpc, region: Option<RegionId>) {
        let mut table = Table::new();
        let mut placed: Vec<(Ipv4Net, Span, String)> = Vec::new();
        let mut placed6: Vec<(Ipv6Net, Span, String)> = Vec::new();
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
                    placed.push((net, s.cidr.span, e.key.value.clone()));
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
                cidr: cidr.unwrap_or_default(),
                ipv6_cidr,
                route_table: route_table.unwrap_or(RouteTableId(u32::MAX)),
                network_acl: None,
                span: e.key.span,
            });
            self.t.vpcs[vpc.index()].subnets.push(id);
        }
        self.names.subnets.insert(vpc, table);
    }

    fn security_groups(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut table = Table::new();
        let first = self.t.security_groups.len() as u32;
        for (n, e) in v
            .security_groups
            .iter()
            .filter(|e| e.value.is_some())
            .enumerate()
        {
            table.insert(e.key.value.clone(), Some(SecurityGroupId(first + n as u32)));
        }
        for e in v.security_groups.iter().filter(|e| e.value.is_none()) {
            table.insert(e.key.value.clone(), None);
        }
        self.names.security_groups.insert(vpc, table);
        for e in v.security_groups.iter() {
            let Some(sg) = &e.value else { continue };
            let ingress = sg
                .ingress
                .iter()
                .filter_map(|r| self.sg_rule(vpc, r, true))
                .collect();
            // A new group allows all outbound IPv4, and all IPv6 in a VPC with an IPv6 block.
            let mut all_out = vec![Peer::Cidr("0.0.0.0/0".parse().expect("valid"))];
            if !self.t.vpcs[vpc.index()].ipv6_cidrs.is_empty() {
                all_out.push(Peer::Cidr("::/0".parse().expect("valid")));
            }
            let egress = match &sg.egress {
                None => vec![SgRule {
                    protocol: Protocol::All,
                    ports: PortRange::ALL,
                    peers: all_out,
                    span: e.key.span,
                }],
                Some(rules) => rules
                    .iter()
                    .filter_map(|r| self.sg_rule(vpc, r, false))
                    .collect(),
            };
            let id = SecurityGroupId(self.t.security_groups.len() as u32);
            self.t.security_groups.push(SecurityGroup {
                name: e.key.value.clone(),
                vpc,
                ingress,
                egress,
                span: e.key.span,
            });
            self.t.vpcs[vpc.index()].security_groups.push(id);
        }
    }

    fn protocol(&self, text: &Spanned<String>) -> Option<Protocol> {
        Some(match text.as_str().to_ascii_lowercase().as_str() {
            "all" | "-1" => Protocol::All,
            "tcp" | "6" => Protocol::Tcp,
            "udp" | "17" => Protocol::Udp,
            "icmp" | "1" => Protocol::Icmp,
            other => match other.parse::<u8>() {
                Ok(n) => Protocol::Number(n),
                Err(_) => {
                    self.err(
                        "invalid-value",
                        text.span,
                        format!("'{}' is not a protocol", text.value),
                        "use tcp, udp, icmp, all, or an IP protocol number",
                    );
                    return None;
                }
            },
        })
    }

    fn ports(&self, text: Option<&Spanned<String>>, protocol: Protocol) -> Option<PortRange> {
        let Some(text) = text else {
            return Some(PortRange::ALL);
        };
        let s = text.as_str().trim();
        if s == "all" {
            return Some(PortRange::ALL);
        }
        if matches!(protocol, Protocol::All | Protocol::Icmp) {
            self.err(
                "invalid-value",
                text.span,
                "ports apply only to tcp and udp rules",
                "remove `ports:` or set `protocol: tcp`",
            );
            return None;
        }
        let parsed = match s.split_once('-') {
            Some((a, b)) => a.trim().parse().ok().zip(b.trim().parse().ok()),
            None => s.parse().ok().map(|p| (p, p)),
        };
        match parsed {
            Some((from, to)) if from <= to => Some(PortRange { from, to }),
            _ => {
                self.err(
                    "invalid-value",
                    text.span,
                    format!("'{s}' is not a port or port range"),
                    "write a port (443), a range (1024-65535) or `all`",
                );
                None
            }
        }
    }

    fn sg_rule(&self, vpc: VpcId, r: &f::SgRule, ingress: bool) -> Option<SgRule> {
        let protocol = self.protocol(&r.protocol)?;
        let ports = self.ports(r.ports.as_ref(), protocol)?;
        let (peers, wrong) = if ingress {
            (&r.from, &r.to)
        } else {
            (&r.to, &r.from)
        };
        if let Some(w) = wrong.as_ref().and_then(|w| w.0.first()) {
            let (key, right) = if ingress {
                ("to", "from")
            } else {
                ("from", "to")
            };
            self.err(
                "invalid-value",
                w.span,
                format!(
                    "`{key}:` is not used in {} rules",
                    if ingress { "ingress" } else { "egress" }
                ),
                format!("use `{right}:` for the other side of the traffic"),
            );
            return None;
        }
        let Some(peers) = peers else {
            self.err(
                "missing-key",
                r.protocol.span,
                format!(
                    "this {} rule names no {}",
                    if ingress { "ingress" } else { "egress" },
                    if ingress {
                        "source (`from:`)"
                    } else {
                        "destination (`to:`)"
                    }
                ),
                "add a CIDR, `sg/NAME` or a prefix list id",
            );
            return None;
        };
        let mut out = Vec::new();
        for p in peers.iter() {
            if let Some(name) = p.as_str().strip_prefix("sg/") {
                let n = Spanned::new(p.span, name.to_string());
                out.push(Peer::SecurityGroup(self.resolve_in_vpc(
                    &self.names.security_groups,
                    vpc,
                    &n,
                    "security group",
                )?));
            } else if p.as_str().starts_with("pl-") {
                out.push(Peer::PrefixList(self.prefix_list(vpc, p)?));
            } else {
                out.push(Peer::Cidr(self.cidr(p)?));
            }
        }
        Some(SgRule {
            protocol,
            ports,
            peers: out,
            span: r.protocol.span,
        })
    }

    fn prefix_list(&self, vpc: VpcId, id: &Spanned<String>) -> Option<PrefixListId> {
        let region = self.t.vpcs[vpc.index()].region;
        let found = self
            .t
            .prefix_lists
            .iter()
            .position(|p| p.aws_id == id.value && p.region == region);
        if found.is_none() {
            let known: Vec<&str> = self
                .t
                .prefix_lists
                .iter()
                .filter(|p| p.region == region)
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

    fn network_acls(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut assoc: HashMap<SubnetId, Span> = HashMap::new();
        for e in v.network_acls.iter() {
            let Some(acl) = &e.value else { continue };
            let id = NetworkAclId(self.t.network_acls.len() as u32);
            for s in acl.subnets.iter() {
                let Some(sid) = self.resolve_in_vpc(&self.names.subnets, vpc, s, "subnet") else {
                    continue;
                };
                if let Some(first) = assoc.get(&sid) {
                    self.d.push(
                        Diagnostic::error(
                            "duplicate-association",
                            s.span,
                            format!("subnet '{}' is associated with two network ACLs", s.value),
                        )
                        .with_related(*first, "first associated here")
                        .with_help("a subnet has exactly one network ACL"),
                    );
                    continue;
                }
                assoc.insert(sid, s.span);
                self.t.subnets[sid.index()].network_acl = Some(id);
            }
            let rules = |list: &vpcsim_syntax::List<f::AclRule>| {
                let mut seen: HashMap<u32, Span> = HashMap::new();
                let mut out: Vec<AclRule> = Vec::new();
                for r in list.iter() {
                    if !(1..=32766).contains(&r.rule.value) {
                        self.err(
                            "invalid-value",
                            r.rule.span,
                            format!("rule number {} is out of range", r.rule.value),
                            "network ACL rule numbers go from 1 to 32766",
                        );
                        continue;
                    }
                    if let Some(first) = seen.get(&r.rule.value) {
                        self.d.push(
                            Diagnostic::error(
                                "duplicate-id",
                                r.rule.span,
                                format!("rule number {} is used twice", r.rule.value),
                            )
                            .with_related(*first, "first used here"),
                        );
                        continue;
                    }
                    seen.insert(r.rule.value, r.rule.span);
                    let Some(protocol) = self.protocol(&r.protocol) else {
                        continue;
                    };
                    let Some(ports) = self.ports(r.ports.as_ref(), protocol) else {
                        continue;
                    };
                    let Some(cidr) = self.cidr(&r.cidr) else {
                        continue;
                    };
                    out.push(AclRule {
                        number: r.rule.value,
                        protocol,
                        ports,
                        cidr,
                        action: r.action.value,
                        span: r.rule.span,
                    });
                }
                out.sort_by_key(|r| r.number);
                out
            };
            let ingress = rules(&acl.ingress);
            let egress = rules(&acl.egress);
            self.t.network_acls.push(NetworkAcl {
                name: e.key.value.clone(),
                vpc,
                ingress,
                egress,
                span: e.key.span,
            });
        }
    }

    fn nat_gateways(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut table = Table::new();
        for e in v.nat_gateways.iter() {
            let Some(n) = &e.value else {
                table.insert(e.key.value.clone(), None);
                continue;
            };
            let id = NatGatewayId(self.t.nat_gateways.len() as u32);
            table.insert(e.key.value.clone(), Some(id));
            let public_ip = n.public_ip.as_ref().and_then(|p| self.ip4(p));
            let eni = self.request_eni(
                vpc,
                &n.subnet,
                n.ip.clone(),
                EniOwner::NatGateway(id),
                Vec::new(),
                e.key.span,
                &format!("nat/{}", e.key.value),
            );
            self.t.nat_gateways.push(NatGateway {
                name: e.key.value.clone(),
                vpc,
                eni: eni.unwrap_or(EniId(u32::MAX)),
                public_ip,
                span: e.key.span,
            });
        }
        self.names.nat_gateways.insert(vpc, table);
    }

    /// Queues a network interface; its address is checked or allocated in [`Self::assign_addresses`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn request_eni(
        &mut self,
        vpc: VpcId,
        subnet: &Spanned<String>,
        ip: Option<Spanned<String>>,
        owner: EniOwner,
        security_groups: Vec<SecurityGroupId>,
        span: Span,
        key: &str,
    ) -> Option<EniId> {
        let subnet = self.resolve_in_vpc(&self.names.subnets, vpc, subnet, "subnet")?;
        Some(self.queue_eni(subnet, ip, owner, security_groups, span, key, None))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn queue_eni(
        &mut self,
        subnet: SubnetId,
        ip: Option<Spanned<String>>,
        owner: EniOwner,
        security_groups: Vec<SecurityGroupId>,
        span: Span,
        key: &str,
        pool: Option<Ipv4Net>,
    ) -> EniId {
        let id = EniId(self.eni_requests.len() as u32);
        self.eni_requests.push(EniRequest {
            subnet,
            ip,
            owner,
            security_groups,
            span,
            key: format!("{}/{key}", self.t.subnets[subnet.index()].name),
            pool,
            dual_stack: false,
            ipv6: None,
        });
        id
    }

    /// Checks every given address, then allocates the others deterministically from the seed.
    pub(super) fn assign_addresses(&mut self) {
        let requests = std::mem::take(&mut self.eni_requests);
        // (VPC or pool marker, address) -> where first used.
        let mut used: HashMap<(u32, Ipv4Addr), Span> = HashMap::new();
        let mut ips: Vec<Option<Ipv4Addr>> = vec![None; requests.len()];
        for (i, r) in requests.iter().enumerate() {
            let Some(text) = &r.ip else { continue };
            let Some(ip) = self.ip4(text) else { continue };
            let subnet = &self.t.subnets[r.subnet.index()];
            let scope = if r.pool.is_some() {
                u32::MAX
            } else {
                subnet.vpc.0
            };
            match r.pool {
                Some(pool) if !pool.contains(&ip) => {
                    self.err(
                        "address-outside-subnet",
                        text.span,
                        format!("{ip} is not in the customer-owned IP pool {pool}"),
                        "X-ENI addresses of a CustomerOwnedIp endpoint come from its `coip_pool`",
                    );
                    continue;
                }
                Some(_) => {}
                None if !subnet.cidr.contains(&ip) => {
                    self.err(
                        "address-outside-subnet",
                        text.span,
                        format!("{ip} is not in subnet '{}' ({})", subnet.name, subnet.cidr),
                        format!("pick an address from {} (its first four and last address are reserved), or leave it out to have one allocated", subnet.cidr),
                    );
                    continue;
                }
                None if subnet.is_reserved(ip) => {
                    let off = u32::from(ip) - u32::from(subnet.cidr.network());
                    let why = match off {
                        0 => "the network address",
                        1 => "reserved by AWS for the VPC router",
                        2 => "reserved by AWS for the DNS server (Route 53 Resolver)",
                        3 => "reserved by AWS for future use",
                        _ => "the broadcast address, which AWS reserves",
                    };
                    self.err(
                        "address-reserved",
                        text.span,
                        format!("{ip} is {why} in subnet '{}' ({})", subnet.name, subnet.cidr),
                        "AWS reserves the first four addresses and the last address of every subnet",
                    );
                    continue;
                }
                None => {}
            }
            if let Some(first) = used.get(&(scope, ip)) {
                self.d.push(
                    Diagnostic::error(
                        "address-in-use",
                        text.span,
                        format!("{ip} is already used by another network interface"),
                    )
                    .with_related(*first, "first used here")
                    .with_help("every network interface needs its own address"),
                );
                continue;
            }
            used.insert((scope, ip), text.span);
            ips[i] = Some(ip);
        }
        for (i, r) in requests.iter().enumerate() {
            if r.ip.is_some() {
                continue;
            }
            let subnet = &self.t.subnets[r.subnet.index()];
            let (net, first, scope) = match r.pool {
                Some(pool) => (pool, 0u32, u32::MAX),
                None => (subnet.cidr, 4u32, subnet.vpc.0),
            };
            // A subnet whose CIDR was rejected has no addresses to give (already reported).
            if r.pool.is_none() && (net.prefix_len() < 16 || net.prefix_len() > 28) {
                continue;
            }
            let size = 1u64 << (32 - u32::from(net.prefix_len()));
            let first = u64::from(first);
            let last = if r.pool.is_some() {
                size - 1
            } else {
                size.saturating_sub(2)
            };
            if last < first {
                self.err(
                    "subnet-full",
                    r.span,
                    format!("no free address left in {net} for this network interface"),
                    "use a larger range",
                );
                continue;
            }
            let count = last - first + 1;
            let start = stable_hash(self.t.seed, &[&r.key]) % count;
            let base = u64::from(u32::from(net.network()));
            let found = (0..count.min(1 << 20))
                .map(|k| Ipv4Addr::from((base + first + (start + k) % count) as u32))
                .find(|ip| !used.contains_key(&(scope, *ip)));
            match found {
                Some(ip) => {
                    used.insert((scope, ip), r.span);
                    ips[i] = Some(ip);
                }
                None => self.err(
                    "subnet-full",
                    r.span,
                    format!("no free address left in {net} for this network interface"),
                    "use a larger subnet",
                ),
            }
        }
        let ipv6s = self.assign_ipv6(&requests);
        for ((r, ip), ipv6) in requests.into_iter().zip(ips).zip(ipv6s) {
            self.t.enis.push(Eni {
                subnet: r.subnet,
                ip: ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
                ipv6,
                allocated: r.ip.is_none(),
                security_groups: r.security_groups,
                owner: r.owner,
                span: r.ip.as_ref().map_or(r.span, |t| t.span),
            });
        }
    }

    /// IPv6 addresses of instances: checked when written (inside the subnet's IPv6 CIDR, not one
    /// of the five AWS reserves, not used twice), else allocated from the seed in a dual-stack
    /// subnet. Interfaces in IPv4-only subnets have none.
    fn assign_ipv6(&self, requests: &[EniRequest]) -> Vec<Option<Ipv6Addr>> {
        let mut out = vec![None; requests.len()];
        let mut used: HashMap<Ipv6Addr, Span> = HashMap::new();
        let reserved = |net: Ipv6Net, ip: Ipv6Addr| {
            let off = u128::from(ip) - u128::from(net.network());
            off <= 3 || ip == net.broadcast()
        };
        for (i, r) in requests.iter().enumerate() {
            let Some(text) = &r.ipv6 else { continue };
            let Some(ip) = self.ip6(text) else { continue };
            let subnet = &self.t.subnets[r.subnet.index()];
            let Some(net) = subnet.ipv6_cidr else {
                self.err(
                    "address-outside-subnet",
                    text.span,
                    format!(
                        "subnet '{}' has no IPv6 CIDR, so {ip} cannot be used",
                        subnet.name
                    ),
                    "give the subnet an `ipv6_cidr` (a dual-stack subnet), or remove `ipv6`",
                );
                continue;
            };
            if !net.contains(&ip) {
                self.err(
                    "address-outside-subnet",
                    text.span,
                    format!("{ip} is not in subnet '{}' ({net})", subnet.name),
                    format!(
                        "pick an address from {net}, or leave `ipv6` out to have one allocated"
                    ),
                );
                continue;
            }
            if reserved(net, ip) {
                self.err(
                    "address-reserved",
                    text.span,
                    format!("{ip} is reserved by AWS in subnet '{}' ({net})", subnet.name),
                    "AWS reserves the first four IPv6 addresses and the last one of every subnet CIDR",
                );
                continue;
            }
            if let Some(first) = used.get(&ip) {
                self.d.push(
                    Diagnostic::error(
                        "address-in-use",
                        text.span,
                        format!("{ip} is already used by another network interface"),
                    )
                    .with_related(*first, "first used here")
                    .with_help("every network interface needs its own address"),
                );
                continue;
            }
            used.insert(ip, text.span);
            out[i] = Some(ip);
        }
        for (i, r) in requests.iter().enumerate() {
            if !r.dual_stack || r.ipv6.is_some() {
                continue;
            }
            let Some(net) = self.t.subnets[r.subnet.index()].ipv6_cidr else {
                continue;
            };
            // Host addresses 4 .. size-2 (a /64 has 2^64 of them; the probe below is bounded).
            let size: u128 = 1u128 << (128 - u32::from(net.prefix_len()));
            let count = (size - 5).min(u128::from(u64::MAX)) as u64;
            let start = stable_hash(self.t.seed, &[&r.key, "ipv6"]) % count;
            let base = u128::from(net.network());
            let found = (0..count.min(1 << 20))
                .map(|k| Ipv6Addr::from(base + 4 + u128::from((start + k) % count)))
                .find(|ip| !used.contains_key(ip));
            if let Some(ip) = found {
                used.insert(ip, r.span);
                out[i] = Some(ip);
            }
        }
        out
    }

    pub(super) fn vpc_members(&mut self, raw: &f::Topology) {
        let Some(vpcs) = &raw.vpcs.0 else { return };
        for (n, e) in vpcs.iter().filter(|e| e.value.is_some()).enumerate() {
            let v = e.value.as_ref().expect("filtered");
            let vpc = VpcId(n as u32);
            let mut ep_table = Table::new();
            for ep in v.endpoints.iter() {
                let Some(def) = &ep.value else {
                    ep_table.insert(ep.key.value.clone(), None);
                    continue;
                };
                let id = EndpointId(self.t.endpoints.len() as u32);
                ep_table.insert(ep.key.value.clone(), Some(id));
                self.endpoint(vpc, id, &ep.key, def);
            }
            self.names.endpoints.insert(vpc, ep_table);
            let mut inst_table = Table::new();
            for i in v.instances.iter() {
                let Some(def) = &i.value else {
                    inst_table.insert(i.key.value.clone(), None);
                    continue;
                };
                let id = InstanceId(self.t.instances.len() as u32);
                inst_table.insert(i.key.value.clone(), Some(id));
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
                    i.key.span,
                    &format!("instance/{}", i.key.value),
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
                    name: i.key.value.clone(),
                    vpc,
                    eni: eni.unwrap_or(EniId(u32::MAX)),
                    public_ip: def.public_ip.as_ref().and_then(|p| self.ip4(p)),
                    role,
                    span: i.key.span,
                });
                self.t.vpcs[vpc.index()].instances.push(id);
            }
            self.names.instances.insert(vpc, inst_table);
            if let Some(r) = &*v.resolver {
                self.resolver(vpc, r);
            }
        }
        self.private_dns_rules();
    }

    fn endpoint(&mut self, vpc: VpcId, id: EndpointId, key: &Spanned<String>, def: &f::Endpoint) {
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
    fn associate_gateway(
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
    fn private_dns_rules(&self) {
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

    fn resolver(&mut self, vpc: VpcId, r: &f::Resolver) {
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
                    &format!("resolver/{label}"),
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
        let mut domains: HashMap<String, Span> = HashMap::new();
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

    pub(super) fn routes(&mut self, raw: &f::Topology) {
        let Some(vpcs) = &raw.vpcs.0 else { return };
        for (n, e) in vpcs.iter().filter(|e| e.value.is_some()).enumerate() {
            let v = e.value.as_ref().expect("filtered");
            let vpc = VpcId(n as u32);
            for rt in v.route_tables.iter() {
                let Some(def) = &rt.value else { continue };
                let Found::Yes(rid) = lookup(self.names.route_tables.get(&vpc), &rt.key.value)
                else {
                    continue;
                };
                let mut seen: HashMap<Destination, Span> = HashMap::new();
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
                    if target == Target::Local {
                        continue; // the local route is implicit
                    }
                    if let Target::GatewayEndpoint(ep) = target {
                        // The same association as `route_tables:` on the endpoint.
                        let e = &self.t.endpoints[ep.index()];
                        let service = e.service.clone();
                        let own = self.t.prefix_lists.iter().position(|p| {
                            p.region == self.t.vpcs[vpc.index()].region && p.service == service
                        });
                        if destination
                            != Destination::PrefixList(PrefixListId(
                                own.map_or(u32::MAX, |i| i as u32),
                            ))
                        {
                            let pl = own.map_or("its prefix list".to_string(), |i| {
                                self.t.prefix_lists[i].aws_id.clone()
                            });
                            self.err("invalid-route", r.destination.span, format!("a route to gateway endpoint '{}' must have the {service} prefix list as its destination", e.name), format!("write `destination: {pl}`"));
                            continue;
                        }
                        self.gateway_tables_written.insert(ep);
                        if !self.t.endpoints[ep.index()].route_tables.contains(&rid)
                            && self.associate_gateway(rid, &service, &rt.key.value, r.target.span)
                        {
                            self.t.endpoints[ep.index()].route_tables.push(rid);
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
            if ep.kind == EndpointType::Gateway && ep.route_tables.is_empty() && !written {
                self.warn("gateway-endpoint-unused", ep.span, format!("gateway endpoint '{}' is associated with no route table, so no traffic can use it", ep.name), "add `route_tables: [NAME]`");
            }
        }
        // The routes AWS adds for gateway endpoints: prefix list -> vpce.
        for i in 0..self.t.endpoints.len() {
            let ep = &self.t.endpoints[i];
            if ep.kind != EndpointType::Gateway || !vpcsim_aws::service::has_gateway(&ep.service) {
                continue;
            }
            let region = self.t.vpcs[ep.vpc.index()].region;
            let Some(pl) = self
                .t
                .prefix_lists
                .iter()
                .position(|p| p.region == region && p.service == ep.service)
            else {
                if region.index() < self.t.regions.len() && !ep.route_tables.is_empty() {
                    let r = &self.t.regions[region.index()].name;
                    self.err("missing-prefix-list", ep.span, format!("vpcsim has no prefix list for {} in {r}", ep.service), format!("add `regions: {{ {r}: {{ prefix_lists: {{ {}: {{ id: pl-…, cidrs: [...] }} }} }} }}` with AWS's published list", ep.service));
                }
                continue;
            };
            let (span, tables) = (ep.span, ep.route_tables.clone());
            for rid in tables {
                self.t.route_tables[rid.index()].routes.push(Route {
                    destination: Destination::PrefixList(PrefixListId(pl as u32)),
                    target: Target::GatewayEndpoint(EndpointId(i as u32)),
                    span,
                });
            }
        }
    }

    fn target(
        &self,
        vpc: VpcId,
        t: &Spanned<String>,
        destination: Option<Destination>,
    ) -> Option<Target> {
        let v = &self.t.vpcs[vpc.index()];
        let (kind, name) = match t.as_str().split_once('/') {
            Some((k, n)) => (k, Some(Spanned::new(t.span, n.to_string()))),
            None => (t.as_str(), None),
        };
        let forms = "local, igw, vgw, nat/NAME, peering/NAME, endpoint/NAME or instance/NAME";
        match (kind, name) {
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
                Some(Target::Eni(
                    self.t
                        .instances
                        .get(i.index())
                        .map_or(EniId(u32::MAX), |i| i.eni),
                ))
            }
            ("peering", Some(n)) => {
                let p = self.resolve(
                    Some(&self.names.peerings),
                    &n,
                    "peering connection",
                    " under `peerings:`",
                )?;
                let peering = self.t.peerings.get(p.index())?;
                if peering.other(vpc).is_none() {
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
                if e.kind != EndpointType::Gateway {
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
        }
    }

    pub(super) fn peerings(&mut self, raw: &f::Topology) {
        let Some(peerings) = &raw.peerings.0 else {
            return;
        };
        let mut pairs: HashMap<(VpcId, VpcId), Span> = HashMap::new();
        for e in peerings.iter() {
            let Some(p) = &e.value else { continue };
            let ends: Vec<Option<VpcId>> = p
                .between
                .value
                .iter()
                .map(|v| self.resolve(Some(&self.names.vpcs), v, "VPC", ""))
                .collect();
            let id = self.aws_id(p.id.as_ref(), "pcx", &["pcx", &e.key.value]);
            let mut vpcs = [VpcId(u32::MAX); 2];
            if ends.len() != 2 {
                self.err(
                    "invalid-value",
                    p.between.span,
                    format!("peering '{}' must connect exactly two VPCs", e.key.value),
                    "write `between: [VPC_A, VPC_B]`",
                );
            } else if let [Some(a), Some(b)] = ends[..] {
                vpcs = [a, b];
                if a == b {
                    self.err(
                        "invalid-value",
                        p.between.span,
                        "a VPC cannot peer with itself",
                        "name two different VPCs",
                    );
                } else {
                    let key = (a.min(b), a.max(b));
                    if let Some(first) = pairs.get(&key) {
                        self.d.push(
                            Diagnostic::error(
                                "duplicate-peering",
                                p.between.span,
                                "these two VPCs are already peered",
                            )
                            .with_related(*first, "the other peering")
                            .with_help("AWS allows one peering connection between two VPCs"),
                        );
                    }
                    pairs.insert(key, p.between.span);
                    let (va, vb) = (&self.t.vpcs[a.index()], &self.t.vpcs[b.index()]);
                    let overlap = va.cidrs.iter().find_map(|x| {
                        vb.cidrs
                            .iter()
                            .find(|y| x.contains(&y.network()) || y.contains(&x.network()))
                            .map(|y| (*x, *y))
                    });
                    if let Some((x, y)) = overlap {
                        self.err(
                            "peering-overlap",
                            p.between.span,
                            format!("VPC '{}' ({x}) and VPC '{}' ({y}) have overlapping CIDRs and cannot be peered", va.name, vb.name),
                            "AWS rejects a peering between VPCs whose CIDR blocks overlap; renumber one of them",
                        );
                    }
                }
            }
            self.t.peerings.push(Peering {
                name: e.key.value.clone(),
                aws_id: id,
                vpcs,
                span: e.key.span,
            });
        }
    }

    pub(super) fn dx_gateways(&mut self, raw: &f::Topology) {
        let Some(gws) = &raw.dx_gateways.0 else {
            return;
        };
        for e in gws.iter() {
            let Some(g) = &e.value else { continue };
            let mut vpcs = Vec::new();
            for a in g.associations.iter() {
                if let Some(vpc) = self.vgw_ref(a) {
                    vpcs.push(vpc);
                }
            }
            self.t.dx_gateways.push(DxGateway {
                name: e.key.value.clone(),
                asn: g.asn.as_ref().map_or(64512, |a| a.value),
                vpcs,
                span: e.key.span,
            });
        }
    }

    /// `VPC/vgw`: a VPC's virtual private gateway.
    pub(super) fn vgw_ref(&self, text: &Spanned<String>) -> Option<VpcId> {
        let Some((vpc, "vgw")) = text.as_str().split_once('/') else {
            self.err(
                "invalid-value",
                text.span,
                format!("'{}' does not name a VPN gateway", text.value),
                "write `VPC/vgw`, for example `shared/vgw`",
            );
            return None;
        };
        let vpc_name = Spanned::new(text.span, vpc.to_string());
        let id = self.resolve(Some(&self.names.vpcs), &vpc_name, "VPC", "")?;
        if self.t.vpcs[id.index()].vpn_gateway.is_none() {
            self.err(
                "unknown-reference",
                text.span,
                format!("VPC '{vpc}' has no VPN gateway"),
                "add `vpn_gateway: { asn: 64512 }` to the VPC",
            );
            return None;
        }
        Some(id)
    }
}

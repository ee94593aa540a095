//! Traffic filters: security groups (stateful, rules by peer) and network ACLs (stateless,
//! numbered rules), with the protocol and port syntax they share.

use super::*;

impl Builder<'_> {
    pub(super) fn security_groups(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut table = table_for(v.security_groups.len());
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
            let id = SecurityGroupId(self.t.security_groups.len() as u32);
            let mut later = Vec::new();
            let ingress = sg
                .ingress
                .iter()
                .filter_map(|r| self.sg_rule(vpc, r, true))
                .enumerate()
                .map(|(i, (rule, peer_refs))| {
                    later.extend(peer_refs.into_iter().map(|(v, n)| (false, i, v, n)));
                    rule
                })
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
                    .enumerate()
                    .map(|(i, (rule, peer_refs))| {
                        later.extend(peer_refs.into_iter().map(|(v, n)| (true, i, v, n)));
                        rule
                    })
                    .collect(),
            };
            self.peer_sg_refs
                .extend(
                    later
                        .into_iter()
                        .map(|(egress, rule, vpc, name)| PeerSgRef {
                            sg: id,
                            egress,
                            rule,
                            vpc,
                            name,
                        }),
                );
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
                        match suggest::closest(other, ["tcp", "udp", "icmp", "all"]) {
                            Some(best) => format!("did you mean '{best}'?"),
                            None => "use tcp, udp, icmp, all, or an IP protocol number".into(),
                        },
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

    /// A rule, and its references to groups of other VPCs (`sg/VPC/NAME`), resolved later by
    /// [`Builder::peer_security_groups`].
    #[allow(clippy::type_complexity)]
    fn sg_rule(
        &self,
        vpc: VpcId,
        r: &f::SgRule,
        ingress: bool,
    ) -> Option<(SgRule, Vec<(Spanned<String>, Spanned<String>)>)> {
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
        let mut elsewhere = Vec::new();
        for p in peers.iter() {
            if let Some((other, name)) = p
                .as_str()
                .strip_prefix("sg/")
                .and_then(|x| x.split_once('/'))
            {
                // `sg/VPC/NAME`: after the peerings (the col of NAME is after `sg/VPC/`).
                let name_span = Span {
                    start: p.span.start + vpcsim_syntax::offset32(4 + other.len()),
                    col: p.span.col + 4 + other.chars().count() as u32,
                    ..p.span
                };
                elsewhere.push((
                    Spanned::new(p.span, other.to_string()),
                    Spanned::new(name_span, name.to_string()),
                ));
            } else if let Some(name) = p.as_str().strip_prefix("sg/") {
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
        Some((
            SgRule {
                protocol,
                ports,
                peers: out,
                span: r.protocol.span,
            },
            elsewhere,
        ))
    }

    /// Resolves the rules' references to groups of peered VPCs: AWS lets a rule name a group of
    /// a VPC peered with its own, in the same Region (not across Regions).
    pub(super) fn peer_security_groups(&mut self) {
        let refs = std::mem::take(&mut self.peer_sg_refs);
        for r in refs {
            let own = self.t.security_groups[r.sg.index()].vpc;
            let Some(other) = self.resolve(Some(&self.names.vpcs), &r.vpc, "VPC", "") else {
                continue;
            };
            let (a, b) = (&self.t.vpcs[own.index()], &self.t.vpcs[other.index()]);
            if other == own {
                self.err(
                    "invalid-value",
                    r.vpc.span,
                    format!("'{}' is this group's own VPC", r.vpc.value),
                    format!("write sg/{} for a group of the same VPC", r.name.value),
                );
                continue;
            }
            let peered = self.t.peerings.iter().any(|p| {
                p.vpcs
                    .is_some_and(|[x, y]| (x == own && y == other) || (x == other && y == own))
            });
            if !peered {
                self.err(
                    "invalid-reference",
                    r.vpc.span,
                    format!("VPC '{}' is not peered with VPC '{}'", b.name, a.name),
                    "a rule can name a security group of another VPC only over a peering between the two (peerings: NAME: { between: [A, B] })",
                );
                continue;
            }
            if a.region != b.region {
                self.err(
                    "invalid-reference",
                    r.vpc.span,
                    format!("VPC '{}' is peered with VPC '{}' across Regions", b.name, a.name),
                    "AWS lets a rule name a peered VPC's security group only in the same Region; use the peer's CIDR instead",
                );
                continue;
            }
            let Some(g) = self.resolve_in_vpc(
                &self.names.security_groups,
                other,
                &r.name,
                "security group",
            ) else {
                continue;
            };
            let sg = &mut self.t.security_groups[r.sg.index()];
            let rules = if r.egress {
                &mut sg.egress
            } else {
                &mut sg.ingress
            };
            if let Some(rule) = rules.get_mut(r.rule) {
                rule.peers.push(Peer::SecurityGroup(g));
            }
        }
    }

    pub(super) fn network_acls(&mut self, vpc: VpcId, v: &f::Vpc) {
        let mut assoc: HashMap<SubnetId, Span> = HashMap::default();
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
                let mut seen: HashMap<u32, Span> = HashMap::default();
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
}

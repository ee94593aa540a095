//! Policy lints: valid policies that probably do not do what their author meant, reported as
//! warnings with the place of the condition or statement (issue: the seed's lock-out warning and the
//! condition keys that never match through VPC endpoints).

use vpcsim_policy::{BaseOperator, Effect, Policy, Principal, SetQualifier};

use super::*;

/// Condition keys that hold one value; a set operator on them is a mistake.
const SINGLE_VALUED: &[&str] = &[
    "aws:sourcevpce",
    "aws:sourcevpc",
    "aws:sourceip",
    "aws:vpcsourceip",
    "aws:vpceaccount",
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:securetransport",
    "aws:username",
    "aws:userid",
    "aws:currenttime",
    "aws:epochtime",
    "aws:referer",
    "aws:useragent",
    "s3:resourceaccount",
    "aws:resourceaccount",
    "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount",
    "s3:accesspointnetworkorigin",
    "s3:signatureversion",
    "s3:authtype",
    "s3:x-amz-acl",
];

/// Condition keys that hold several values; they need `ForAllValues:` or `ForAnyValue:`.
const MULTI_VALUED: &[&str] = &[
    "aws:tagkeys",
    "aws:calledvia",
    "aws:principalorgpaths",
    "aws:principalservicenameslist",
    "aws:sourceorgpaths",
];

impl Builder<'_> {
    pub(super) fn lints(&self) {
        let vpces: HashSet<&str> = self.t.endpoints.iter().map(|e| e.aws_id.as_str()).collect();
        let vpcs: HashSet<&str> = self.t.vpcs.iter().map(|v| v.aws_id.as_str()).collect();
        for ep in &self.t.endpoints {
            if let Some(p) = &ep.policy {
                self.lint_policy(p, &vpces, &vpcs, false);
                if !p.statements.iter().any(|s| s.effect == Effect::Allow) {
                    self.warn("endpoint-policy-allows-nothing", p.span, format!("the policy of endpoint '{}' has no Allow statement, so it allows nothing through the endpoint", ep.name), "an endpoint policy replaces the default full-access policy: add an Allow statement for what may pass");
                }
                if ep.gateway().is_some() {
                    for s in &p.statements {
                        if let Some(pr) = &s.principal
                            && (pr.negated || pr.value != Principal::Any)
                            && !matches!(&pr.value, Principal::Typed(t) if t.iter().all(|(_, v)| v.iter().all(|x| x == "*")))
                        {
                            self.warn("gateway-endpoint-principal", s.span, format!("a statement of gateway endpoint '{}' names a principal other than \"*\"", ep.name), "gateway endpoint policies cannot restrict principals by identity: use Principal \"*\" and conditions such as aws:PrincipalArn");
                        }
                    }
                }
            }
        }
        for (i, b) in self.t.buckets.iter().enumerate() {
            let Some(p) = &b.policy else { continue };
            self.lint_policy(p, &vpces, &vpcs, true);
            self.lint_bucket(BucketId(i as u32), p);
        }
        for ap in &self.t.access_points {
            if let Some(p) = &ap.policy {
                self.lint_policy(p, &vpces, &vpcs, true);
            }
        }
        for pr in &self.t.principals {
            for (_, p) in &pr.policies {
                self.lint_policy(p, &vpces, &vpcs, false);
            }
        }
        self.lint_access_analyzer();
        self.lint_site_overlaps();
        self.lint_forward_targets();
        // On a design that does not load, what is missing would make these guesses.
        if !self.d.has_errors() {
            self.lint_design();
        }
    }

    /// Every policy of the topology through [`vpcsim_policy::lint`] (IAM Access Analyzer's kind of
    /// checks), and the size limits AWS sets on each kind.
    fn lint_access_analyzer(&self) {
        let t = &self.t;
        let mut all: Vec<(&Policy, PolicyKind, String)> = Vec::new();
        for ep in &t.endpoints {
            if let Some(p) = &ep.policy {
                all.push((
                    p,
                    PolicyKind::Endpoint,
                    format!("the policy of endpoint '{}'", ep.name),
                ));
            }
        }
        for b in &t.buckets {
            if let Some(p) = &b.policy {
                all.push((
                    p,
                    PolicyKind::Resource,
                    format!("the policy of bucket '{}'", b.name),
                ));
            }
        }
        for a in &t.access_points {
            if let Some(p) = &a.policy {
                all.push((
                    p,
                    PolicyKind::Resource,
                    format!("the policy of access point '{}'", a.name),
                ));
            }
        }
        for pr in &t.principals {
            for (n, p) in &pr.policies {
                all.push((
                    p,
                    PolicyKind::Identity,
                    format!("policy '{n}' of '{}'", pr.name),
                ));
            }
            if let Some(p) = &pr.boundary {
                all.push((
                    p,
                    PolicyKind::Identity,
                    format!("the permissions boundary of '{}'", pr.name),
                ));
            }
            for (n, p) in &pr.session_policies {
                all.push((
                    p,
                    PolicyKind::Identity,
                    format!("session policy '{n}' of '{}'", pr.name),
                ));
            }
        }
        for o in &t.organizations {
            for (n, p) in &o.scps {
                all.push((p, PolicyKind::Scp, format!("SCP '{n}'")));
            }
            for (n, p) in &o.rcps {
                all.push((p, PolicyKind::Rcp, format!("RCP '{n}'")));
            }
        }
        for (p, kind, what) in all {
            for l in vpcsim_policy::lint(p, kind) {
                let (message, help) = crate::policy_text::lint_text(&l.kind);
                self.warn(l.kind.code(), l.span, message, help);
            }
            self.lint_size(p, kind, &what);
        }
    }

    /// AWS's size limits, on a policy written as JSON (a YAML policy is not the text AWS would
    /// be given): a bucket policy 20 KB, an endpoint policy 20,480 characters with white space,
    /// an SCP or RCP 5,120 characters.
    fn lint_size(&self, p: &Policy, kind: PolicyKind, what: &str) {
        let (limit, unit, source) = match kind {
            PolicyKind::Resource => (
                20 * 1024,
                "bytes",
                "the S3 user guide, \"Bucket policy examples\": bucket policies are limited to 20 KB",
            ),
            PolicyKind::Endpoint => (
                20_480,
                "characters",
                "the PrivateLink guide, \"Control access to VPC endpoints using endpoint policies\"",
            ),
            PolicyKind::Scp | PolicyKind::Rcp => {
                (5_120, "characters", "the AWS Organizations quotas")
            }
            PolicyKind::Identity => return,
        };
        let Some(file) = self.sources.get(p.span.file) else {
            return;
        };
        let Some(text) = file.text.get(p.span.range()) else {
            return;
        };
        if !text.trim_start().starts_with('{') {
            return;
        }
        let size = if unit == "bytes" {
            text.len()
        } else {
            text.chars().count()
        };
        if size > limit {
            self.warn(
                "policy-size",
                p.span,
                format!("{what} is {size} {unit} long; AWS accepts at most {limit} ({source})"),
                "split it (several statements can often become one with a list of actions or resources), or remove white space outside strings",
            );
        }
    }

    /// Designs that load but cannot work as drawn: advertisements that overlap the VPC they are
    /// sent to, gateway endpoints on route tables no subnet uses, interface endpoints whose
    /// security groups refuse the clients their names send there, sites with links but no route,
    /// routes to a VPN gateway nothing connects.
    fn lint_design(&self) {
        let t = &self.t;
        // The VPCs a link reaches: its VPN gateway's, or its Direct Connect gateway's.
        let reached = |l: &Link<Draft>| -> Vec<VpcId> {
            match l.attach {
                Some(Attachment::VpnGateway(v)) => vec![v],
                Some(Attachment::DxGateway(g)) => t
                    .dx_gateways
                    .get(g.index())
                    .map(|g| g.vpcs.clone())
                    .unwrap_or_default(),
                None => Vec::new(),
            }
        };
        for l in &t.links {
            for adv in &l.advertise {
                let IpNet::V4(adv) = adv else { continue };
                for v in reached(l) {
                    let vpc = &t.vpcs[v.index()];
                    if let Some(block) = vpc
                        .cidrs
                        .iter()
                        .find(|b| b.contains(&adv.network()) || adv.contains(&b.network()))
                    {
                        self.warn(
                            "advertise-overlaps-vpc",
                            l.span,
                            format!("link '{}' advertises {adv}, which overlaps VPC '{}' ({block})", l.name, vpc.name),
                            "the VPC's local route wins over a propagated one, so traffic to those addresses never takes the link: advertise the site's own ranges only",
                        );
                    }
                }
            }
        }
        // Route tables a subnet uses: its own, or the main table of its VPC.
        let mut used: HashSet<RouteTableId> = HashSet::default();
        for s in &t.subnets {
            match s.route_table {
                Some(rt) => {
                    used.insert(rt);
                }
                None => {
                    used.insert(t.vpcs[s.vpc.index()].main_route_table);
                }
            }
        }
        for ep in &t.endpoints {
            let Some(g) = ep.gateway() else { continue };
            let unused: Vec<&str> = g
                .route_tables
                .iter()
                .filter(|rt| !used.contains(rt))
                .map(|rt| t.route_tables[rt.index()].name.as_str())
                .collect();
            if unused.is_empty() {
                continue;
            }
            let all = unused.len() == g.route_tables.len();
            self.warn(
                "endpoint-unused-route-table",
                ep.span,
                if all {
                    format!("gateway endpoint '{}' is on route tables no subnet uses ({}): it serves no one", ep.name, unused.join(", "))
                } else {
                    format!("gateway endpoint '{}' is on route tables no subnet uses: {}", ep.name, unused.join(", "))
                },
                "associate the route table with the subnets that should reach the service (subnets: … route_table:), or the endpoint with their tables",
            );
        }
        // Interface endpoints: HTTPS (tcp 443) from their own VPC and from the sites that route
        // to them.
        let admits = |groups: &[SecurityGroupId], net: IpNet| -> bool {
            groups.iter().any(|g| {
                t.security_groups[g.index()].ingress.iter().any(|r| {
                    matches!(r.protocol, Protocol::All | Protocol::Tcp)
                        && (r.protocol == Protocol::All
                            || (r.ports.from <= 443 && 443 <= r.ports.to))
                        && r.peers.iter().any(|p| match p {
                            Peer::Cidr(c) => {
                                c.contains(&net.network()) || net.contains(&c.network())
                            }
                            // Members of a group: some client may be one.
                            Peer::SecurityGroup(_) => true,
                            Peer::PrefixList(_) => false,
                        })
                })
            })
        };
        for ep in &t.endpoints {
            let Some(i) = ep.interface() else { continue };
            let Some(eni) = i.enis.first().and_then(|e| t.enis.get(e.index())) else {
                continue;
            };
            let Some(addr) = eni.ip else { continue };
            let vpc = &t.vpcs[ep.vpc.index()];
            let default = i.security_groups.is_empty();
            if !default
                && !vpc
                    .cidrs
                    .iter()
                    .any(|b| admits(&i.security_groups, IpNet::V4(*b)))
            {
                self.warn(
                    "endpoint-sg-refuses",
                    ep.span,
                    format!("the security groups of interface endpoint '{}' admit no HTTPS (tcp 443) from its own VPC '{}'", ep.name, vpc.name),
                    "add an ingress rule for tcp 443 from the VPC's CIDR (or the clients' security group)",
                );
            }
            for site in &t.sites {
                let routes_here = site
                    .routes
                    .iter()
                    .any(|r| r.destination.contains(&IpAddr::V4(addr)));
                if !routes_here {
                    continue;
                }
                let refused = default || !site.cidrs.iter().any(|c| admits(&i.security_groups, *c));
                if refused {
                    self.warn(
                        "endpoint-sg-refuses",
                        ep.span,
                        format!(
                            "site '{}' routes to interface endpoint '{}', but {} admit no HTTPS (tcp 443) from the site ({})",
                            site.name,
                            ep.name,
                            if default { "the VPC's default security group (no `security_groups:`) would" } else { "its security groups" },
                            site.cidrs.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(", ")
                        ),
                        "add an ingress rule for tcp 443 from the site's CIDRs to a security group of the endpoint",
                    );
                }
            }
        }
        // Sites with links but no route over them.
        for (si, site) in t.sites.iter().enumerate() {
            let has_link = t.links.iter().any(|l| l.site == Some(SiteId(si as u32)));
            if has_link && site.routes.is_empty() {
                self.warn(
                    "site-no-route",
                    site.span,
                    format!("site '{}' has links to AWS but no route over them: its hosts reach nothing in AWS", site.name),
                    "add `routes:` with the VPC CIDRs and the links to use (routes: [{ destination: 10.0.0.0/16, via: [LINK] }])",
                );
            }
        }
        // Routes to a VPN gateway that no link or Direct Connect gateway connects: a blackhole.
        for (vi, vpc) in t.vpcs.iter().enumerate() {
            let v = VpcId(vi as u32);
            if vpc.vpn_gateway.is_none() {
                continue;
            }
            let connected = t.links.iter().any(|l| reached(l).contains(&v));
            if connected {
                continue;
            }
            for &rt in &vpc.route_tables {
                let table = &t.route_tables[rt.index()];
                for r in table
                    .routes
                    .iter()
                    .filter(|r| r.target == Target::VpnGateway)
                {
                    self.warn(
                        "route-vgw-no-link",
                        r.span,
                        format!("route table '{}' sends traffic to the VPN gateway of VPC '{}', which no VPN or Direct Connect link connects: it is dropped there", table.name, vpc.name),
                        "attach a link to the VPN gateway (links: … attach: VPC/vgw), or remove the route",
                    );
                }
            }
        }
    }

    /// A forwarder (a site's conditional forwarder, a Resolver rule) to an address where no
    /// resolver of the topology listens: the query cannot be answered there (SERVFAIL later).
    /// The resolvers are the inbound Resolver endpoints' addresses and the sites' resolvers; an
    /// address outside every VPC and site is outside the model and not reported.
    fn lint_forward_targets(&self) {
        let t = &self.t;
        let mut resolvers: HashSet<IpAddr> = HashSet::default();
        for r in &t.resolver_endpoints {
            if r.direction == Direction::Inbound {
                resolvers.extend(
                    r.enis
                        .iter()
                        .filter_map(|e| t.enis.get(e.index()).and_then(|e| e.ip))
                        .map(IpAddr::V4),
                );
            }
        }
        resolvers.extend(
            t.sites
                .iter()
                .filter_map(|s| s.dns.as_ref())
                .map(|d| IpAddr::V4(d.resolver)),
        );
        let modelled = |ip: IpAddr| {
            t.vpcs.iter().any(|v| match ip {
                IpAddr::V4(a) => v.cidrs.iter().any(|c| c.contains(&a)),
                IpAddr::V6(_) => false,
            }) || t
                .sites
                .iter()
                .any(|s| s.cidrs.iter().any(|c| c.contains(&ip)))
        };
        let missing = |ip: IpAddr| modelled(ip) && !resolvers.contains(&ip);
        for site in &t.sites {
            let Some(dns) = &site.dns else { continue };
            for fw in &dns.forwards {
                for ip in fw.to.iter().map(|a| IpAddr::V4(*a)).filter(|a| missing(*a)) {
                    // The VPC's own Resolver has its own warning (forward-to-vpc-resolver).
                    if t.vpcs
                        .iter()
                        .any(|v| !v.cidrs.is_empty() && IpAddr::V4(v.dns_resolver_ip()) == ip)
                    {
                        continue;
                    }
                    self.warn(
                        "forward-no-resolver",
                        fw.span,
                        format!("site '{}' forwards {} to {ip}, where no resolver of the topology listens", site.name, fw.domain),
                        "forward to an inbound Resolver endpoint's addresses (or the resolver that serves the domain); otherwise the queries fail (SERVFAIL)",
                    );
                }
            }
        }
        for rule in &t.resolver_rules {
            for ip in rule.targets.iter().map(|(a, _)| *a).filter(|a| missing(*a)) {
                let own = t
                    .vpcs
                    .iter()
                    .find(|v| !v.cidrs.is_empty() && IpAddr::V4(v.dns_resolver_ip()) == ip);
                let what = match own {
                    Some(v) => format!(
                        "the Route 53 Resolver of VPC '{}', which answers only queries from inside its VPC and is no forwarding target",
                        v.name
                    ),
                    None => "where no resolver of the topology listens".into(),
                };
                self.warn(
                    "forward-no-resolver",
                    rule.span,
                    format!("Resolver rule '{}' forwards {} to {ip}, {what}", rule.name, rule.domain),
                    "target a site's resolver (onprem: SITE: dns: resolver) or an inbound Resolver endpoint; otherwise the queries fail (SERVFAIL)",
                );
            }
        }
    }

    /// An on-premises network whose addresses are also a VPC's: a packet to them cannot be told
    /// apart (inside the VPC the local route wins, on premises the site's own network), so the
    /// design cannot reach one of the two, whatever the routes say.
    fn lint_site_overlaps(&self) {
        for site in &self.t.sites {
            for net in &site.cidrs {
                let IpNet::V4(net) = net else { continue };
                for vpc in &self.t.vpcs {
                    let Some(block) = vpc
                        .cidrs
                        .iter()
                        .find(|b| b.contains(&net.network()) || net.contains(&b.network()))
                    else {
                        continue;
                    };
                    self.warn(
                        "site-overlap",
                        site.span,
                        format!(
                            "site '{}' ({net}) overlaps VPC '{}' ({block}): addresses in both cannot be told apart",
                            site.name, vpc.name
                        ),
                        "inside the VPC its local route wins and on premises the site's own network does, so one side is unreachable from the other: renumber one of them (AWS's route tables and VPN/Direct Connect assume distinct ranges)",
                    );
                }
            }
        }
    }

    fn lint_policy(
        &self,
        p: &Policy,
        vpces: &HashSet<&str>,
        vpcs: &HashSet<&str>,
        resource_policy: bool,
    ) {
        for s in &p.statements {
            let keys: Vec<String> = s
                .conditions
                .iter()
                .map(|c| c.key.to_ascii_lowercase())
                .collect();
            for c in &s.conditions {
                let key = c.key.to_ascii_lowercase();
                // Endpoint and VPC ids that do not exist.
                let (known, what) = match key.as_str() {
                    "aws:sourcevpce" => (vpces, "endpoint"),
                    "aws:sourcevpc" => (vpcs, "VPC"),
                    _ => (&HashSet::default(), ""),
                };
                if !what.is_empty()
                    && matches!(
                        c.operator.base,
                        BaseOperator::StringEquals | BaseOperator::StringNotEquals
                    )
                {
                    let unknown: Vec<&String> = c
                        .values
                        .iter()
                        .filter(|v| !v.contains(['*', '?', '$']) && !known.contains(v.as_str()))
                        .collect();
                    if !unknown.is_empty() {
                        let all = unknown.len() == c.values.len();
                        let lock = all
                            && s.effect == Effect::Deny
                            && c.operator.base == BaseOperator::StringNotEquals;
                        let list: Vec<&str> = unknown.iter().map(|v| v.as_str()).collect();
                        let msg = if lock {
                            format!(
                                "no {what} of this topology has the id {}: this Deny locks out every request",
                                list.join(", ")
                            )
                        } else {
                            format!("no {what} of this topology has the id {}", list.join(", "))
                        };
                        let mut ids: Vec<&&str> = known.iter().collect();
                        ids.sort();
                        let help = format!(
                            "{what} ids here: {}",
                            ids.iter().map(|x| **x).collect::<Vec<_>>().join(", ")
                        );
                        self.warn(
                            if what == "VPC" {
                                "policy-unknown-vpc"
                            } else {
                                "policy-unknown-vpce"
                            },
                            c.span,
                            msg,
                            help,
                        );
                    }
                }
                if key == "aws:vpcsourceip"
                    && !keys
                        .iter()
                        .any(|k| k == "aws:sourcevpc" || k == "aws:sourcevpce")
                {
                    self.warn("policy-vpcsourceip-alone", c.span, "aws:VpcSourceIp without an aws:SourceVpc or aws:SourceVpce condition in the same statement", "private addresses repeat across VPCs: pin the VPC or endpoint too, as AWS recommends");
                }
                match (c.operator.set, SINGLE_VALUED.contains(&key.as_str()), MULTI_VALUED.contains(&key.as_str())) {
                    (Some(q), true, _) => self.warn("policy-set-operator", c.span, format!("{}{} is applied to {}, which has a single value", if q == SetQualifier::ForAllValues { "ForAllValues:" } else { "ForAnyValue:" }, c.operator.base.as_str(), c.key), "drop the set operator (ForAllValues on a missing single-valued key is always true)"),
                    (None, _, true) => self.warn("policy-set-operator", c.span, format!("{} has several values; use ForAllValues: or ForAnyValue: with {}", c.key, c.operator.base.as_str()), "without a set operator the condition's meaning on several values is ambiguous"),
                    _ => {}
                }
            }
            let _ = resource_policy;
        }
    }

    fn lint_bucket(&self, bucket: BucketId, p: &Policy) {
        let b = &self.t.buckets[bucket.index()];
        let through_endpoints = self
            .t
            .endpoints
            .iter()
            .any(|e| e.service == "s3" && self.t.vpcs[e.vpc.index()].region == b.region);
        for s in &p.statements {
            for c in &s.conditions {
                let key = c.key.to_ascii_lowercase();
                if key == "aws:sourceip" && through_endpoints {
                    self.warn("policy-sourceip-through-endpoint", c.span, format!("requests reaching bucket '{}' through a VPC endpoint carry no aws:SourceIp, so this condition never matches them", b.name), "use aws:VpcSourceIp (with aws:SourceVpc or aws:SourceVpce) for addresses inside VPCs");
                }
                let endpoint_gate = matches!(key.as_str(), "aws:sourcevpce" | "aws:sourcevpc")
                    && s.effect == Effect::Deny
                    && matches!(
                        c.operator.base,
                        BaseOperator::StringNotEquals | BaseOperator::StringNotLike
                    )
                    && matches!(&s.principal, Some(pr) if pr.value == Principal::Any && !pr.negated);
                if endpoint_gate {
                    let through = if key == "aws:sourcevpce" {
                        "endpoints"
                    } else {
                        "VPCs"
                    };
                    // Requests AWS services make with your credentials (Athena) never come through
                    // your endpoints: a statement that conditions on these keys exempts them.
                    let exempts_services = s.conditions.iter().any(|x| {
                        matches!(
                            x.key.to_ascii_lowercase().as_str(),
                            "aws:viaawsservice"
                                | "aws:calledvia"
                                | "aws:calledviafirst"
                                | "aws:calledvialast"
                                | "aws:principalisawsservice"
                        )
                    });
                    let services: Vec<String> = AwsCaller::ALL
                        .iter()
                        .map(|c| format!("{} ({})", c.title(), c.service_principal()))
                        .collect();
                    let (message, help) = if exempts_services {
                        (
                            format!("this Deny refuses every request to bucket '{}' that does not come through the listed {through}, including the S3 console (requests AWS services make for you are exempted by the statement's aws:ViaAWSService or aws:CalledVia condition)", b.name),
                            "AWS warns this can lock everyone out; only the bucket owner's root user can still delete or change the bucket policy".to_string(),
                        )
                    } else {
                        (
                            format!("this Deny refuses every request to bucket '{}' that does not come through the listed {through}: the S3 console, and AWS services that call S3 with your credentials from inside AWS, never through your {through}: {}", b.name, services.join(", ")),
                            "to let AWS services acting for you through, add `Bool: { \"aws:ViaAWSService\": \"false\" }` to this statement's Condition (it then denies only requests made directly); AWS warns this can lock everyone out: only the bucket owner's root user can still delete or change the bucket policy".to_string(),
                        )
                    };
                    self.warn("policy-console-lockout", c.span, message, help);
                }
            }
        }
    }
}

//! Everything outside VPCs: links and sites, principals, hosted zones, buckets, Outposts,
//! expectations and scenarios.

use super::*;

impl Builder<'_> {
    pub(super) fn sites_and_links(&mut self, raw: &f::Topology) {
        if let Some(links) = &raw.links.0 {
            for e in links.iter() {
                let Some(l) = &e.value else { continue };
                self.link(&e.key, l);
            }
        }
        let Some(sites) = &raw.onprem.0 else { return };
        for e in sites.iter() {
            let Some(s) = &e.value else { continue };
            self.site(&e.key, s);
        }
    }

    fn link(&mut self, key: &Spanned<String>, l: &f::Link) {
        let id = LinkId(self.t.links.len() as u32);
        let site = self.resolve(
            Some(&self.names.sites),
            &l.onprem,
            "on-premises site",
            " under `onprem:`",
        );
        let kind = l.kind.value;
        let attach = match l.attach.as_str().split_once('/') {
            Some(("dxgw", name)) => {
                if kind == LinkType::Vpn {
                    self.err("invalid-attachment", l.attach.span, "a Site-to-Site VPN attaches to a VPN gateway, not to a Direct Connect gateway", "write `attach: VPC/vgw`");
                    None
                } else {
                    let n = Spanned::new(l.attach.span, name.to_string());
                    self.resolve(
                        Some(&self.names.dx_gateways),
                        &n,
                        "Direct Connect gateway",
                        " under `dx_gateways:`",
                    )
                    .map(Attachment::DxGateway)
                }
            }
            _ => self.vgw_ref(&l.attach).map(Attachment::VpnGateway),
        };
        let routing = match (kind, &*l.routing) {
            (LinkType::DirectConnect, Some(r)) if r.value == Routing::Static => {
                self.err(
                    "invalid-value",
                    r.span,
                    "Direct Connect virtual interfaces always use BGP",
                    "remove `routing:`",
                );
                Routing::Bgp
            }
            (_, Some(r)) => r.value,
            (_, None) => Routing::Bgp,
        };
        let tunnels = match (kind, &*l.tunnels) {
            (LinkType::Vpn, Some(t)) if t.value != 2 => {
                self.err(
                    "invalid-value",
                    t.span,
                    format!(
                        "a Site-to-Site VPN connection has exactly two tunnels, not {}",
                        t.value
                    ),
                    "remove `tunnels:` (it is always 2)",
                );
                vec![]
            }
            (LinkType::Vpn, _) => vec!["tunnel1".to_string(), "tunnel2".to_string()],
            (LinkType::DirectConnect, Some(t)) => {
                self.err(
                    "invalid-value",
                    t.span,
                    "a Direct Connect virtual interface has no tunnels",
                    "remove `tunnels:`",
                );
                vec![]
            }
            (LinkType::DirectConnect, None) => vec![],
        };
        let advertise: Vec<IpNet> = l.advertise.iter().filter_map(|c| self.cidr(c)).collect();
        if l.advertise.0.is_empty() {
            self.warn(
                "nothing-advertised",
                key.span,
                format!(
                    "link '{}' advertises no prefix, so AWS has no route back to the site over it",
                    key.value
                ),
                "add `advertise: [SITE_CIDR]`",
            );
        }
        if let (Some(asn), Some(Attachment::VpnGateway(vpc))) = (&*l.asn, attach) {
            let amazon = self.t.vpcs[vpc.index()]
                .vpn_gateway
                .as_ref()
                .map_or(0, |g| g.asn);
            if asn.value == amazon {
                self.err(
                    "invalid-value",
                    asn.span,
                    format!(
                        "the customer ASN {} equals the VPN gateway's ASN",
                        asn.value
                    ),
                    "BGP peers need different ASNs; use a private ASN such as 65000",
                );
            }
        }
        match attach {
            Some(Attachment::VpnGateway(vpc)) => {
                if let Some(g) = self.t.vpcs[vpc.index()].vpn_gateway.as_mut() {
                    g.links.push(id);
                }
            }
            Some(Attachment::DxGateway(gw)) => {
                for vpc in self
                    .t
                    .dx_gateways
                    .get(gw.index())
                    .map(|g| g.vpcs.clone())
                    .unwrap_or_default()
                {
                    if let Some(g) = self.t.vpcs[vpc.index()].vpn_gateway.as_mut() {
                        g.links.push(id);
                    }
                }
            }
            None => {}
        }
        self.t.links.push(Link {
            name: key.value.clone(),
            kind,
            site,
            attach,
            routing,
            tunnels,
            advertise,
            asn: l.asn.as_ref().map(|a| a.value),
            as_path_prepend: l.as_path_prepend.unwrap_or(0),
            span: key.span,
        });
    }

    fn site(&mut self, key: &Spanned<String>, s: &f::Site) {
        let id = SiteId(self.t.sites.len() as u32);
        let cidrs: Vec<IpNet> = s.cidrs.iter().filter_map(|c| self.cidr(c)).collect();
        let inside = |ip: Ipv4Addr| cidrs.iter().any(|c| c.contains(&IpAddr::V4(ip)));
        let public_ip = s.internet.as_ref().and_then(|i| self.ip4(&i.public_ip));
        let dns = s.dns.as_ref().and_then(|d| {
            let resolver = self.ip4(&d.resolver)?;
            if !cidrs.is_empty() && !inside(resolver) {
                self.err("address-outside-site", d.resolver.span, format!("resolver {resolver} is not inside site '{}'", key.value), "the on-premises resolver is a host of the site: use an address from its `cidrs`");
            }
            let mut forwards = Vec::new();
            for fw in d.forward.iter() {
                let to: Vec<Ipv4Addr> = fw.to.iter().filter_map(|t| self.ip4(t)).collect();
                for (ip, text) in to.iter().zip(fw.to.iter()) {
                    if let Some(vpc) = self.t.vpcs.iter().find(|v| !v.cidrs.is_empty() && v.dns_resolver_ip() == *ip) {
                        self.warn(
                            "forward-to-vpc-resolver",
                            text.span,
                            format!("{ip} is the Route 53 Resolver of VPC '{}', which answers only queries from inside the VPC", vpc.name),
                            "forward on-premises queries to the addresses of an inbound Resolver endpoint instead",
                        );
                    }
                }
                forwards.push(SiteForward { domain: normalize_domain(fw.domain.as_str()), to, span: fw.domain.span });
            }
            let mut zones = Vec::new();
            for z in d.zones.iter() {
                let Some(def) = &z.value else { continue };
                let domain = normalize_domain(z.key.as_str());
                let mut records = Vec::new();
                for r in def.records.iter() {
                    if let Some(a) = &r.alias {
                        self.err(
                            "invalid-value",
                            a.span,
                            "alias records exist only in Route 53 hosted zones",
                            "write the addresses under `values:`",
                        );
                        continue;
                    }
                    records.extend(self.record(&domain, r));
                }
                zones.push(SiteZone { domain, records, span: z.key.span });
            }
            Some(SiteDns { resolver, forwards, zones })
        });
        let mut hosts = Vec::new();
        let mut used: HashMap<Ipv4Addr, Span> = HashMap::default();
        let mut used6: HashMap<std::net::Ipv6Addr, Span> = HashMap::default();
        for h in s.hosts.iter() {
            let Some(def) = &h.value else { continue };
            let Some(ip) = self.ip4(&def.ip) else {
                continue;
            };
            if !cidrs.is_empty() && !inside(ip) {
                let list: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
                self.err(
                    "address-outside-site",
                    def.ip.span,
                    format!(
                        "host '{}' ({ip}) is not inside site '{}'",
                        h.key.value, key.value
                    ),
                    format!("the site's CIDRs are {}", list.join(", ")),
                );
            }
            if let Some(first) = used.get(&ip) {
                self.d.push(
                    Diagnostic::error(
                        "address-in-use",
                        def.ip.span,
                        format!("{ip} is already used by another host"),
                    )
                    .with_related(*first, "first used here"),
                );
            }
            used.insert(ip, def.ip.span);
            let principal = def.principal.as_ref().and_then(|p| {
                self.resolve(
                    Some(&self.names.principals),
                    p,
                    "principal",
                    " under `principals:`",
                )
            });
            let ipv6 = def.ipv6.as_ref().and_then(|t| {
                let v6 = self.ip6(t)?;
                if !cidrs.iter().any(|c| c.contains(&IpAddr::V6(v6))) {
                    let list: Vec<String> = cidrs.iter().map(|c| c.to_string()).collect();
                    self.err(
                        "address-outside-site",
                        t.span,
                        format!(
                            "host '{}' ({v6}) is not inside site '{}'",
                            h.key.value, key.value
                        ),
                        format!(
                            "the site's CIDRs are {}; add its IPv6 block to `cidrs`",
                            list.join(", ")
                        ),
                    );
                    return None;
                }
                if let Some(first) = used6.get(&v6) {
                    self.d.push(
                        Diagnostic::error(
                            "address-in-use",
                            t.span,
                            format!("{v6} is already used by another host"),
                        )
                        .with_related(*first, "first used here"),
                    );
                    return None;
                }
                used6.insert(v6, t.span);
                Some(v6)
            });
            let hid = HostId(self.t.hosts.len() as u32);
            self.t.hosts.push(Host {
                name: h.key.value.clone(),
                site: id,
                ip,
                ipv6,
                principal,
                span: h.key.span,
            });
            hosts.push(hid);
        }
        let mut routes = Vec::new();
        for r in s.routes.iter() {
            let destination = self.cidr(&r.destination);
            let mut via = Vec::new();
            for l in r.via.iter() {
                let Some(link) =
                    self.resolve(Some(&self.names.links), l, "link", " under `links:`")
                else {
                    continue;
                };
                if self
                    .t
                    .links
                    .get(link.index())
                    .is_some_and(|x| x.site != Some(id))
                {
                    self.err(
                        "invalid-route",
                        l.span,
                        format!("link '{}' does not start at site '{}'", l.value, key.value),
                        "a site routes only over its own links",
                    );
                    continue;
                }
                via.push(link);
            }
            if r.via.0.is_empty() {
                self.err(
                    "missing-key",
                    r.destination.span,
                    "this route names no link",
                    "add `via: [LINK, ...]` in order of preference",
                );
            }
            if let Some(destination) = destination {
                routes.push(SiteRoute {
                    destination,
                    via,
                    span: r.destination.span,
                });
            }
        }
        self.t.sites.push(Site {
            name: key.value.clone(),
            cidrs,
            public_ip,
            dns,
            hosts,
            routes,
            span: key.span,
        });
    }

    pub(super) fn principals(&mut self, raw: &f::Topology) {
        let Some(ps) = &raw.principals.0 else { return };
        let mut key_ids: HashMap<String, vpcsim_syntax::Span> = HashMap::default();
        for e in ps.iter() {
            let Some(p) = &e.value else { continue };
            let account = self.account(&p.account);
            let mut policies = Vec::new();
            for pol in p.policies.iter() {
                if let Some(src) = &pol.value
                    && let Some(doc) = self.policy(src, PolicyKind::Identity)
                {
                    policies.push((pol.key.value.clone(), doc));
                }
            }
            let access_key = p.access_key.as_ref().and_then(|k| {
                let (id, secret) = (&k.value.id, &k.value.secret);
                let id_ok = (16..=128).contains(&id.value.len())
                    && id.value.bytes().all(|b| b.is_ascii_alphanumeric());
                if !id_ok {
                    self.err(
                        "invalid-value",
                        id.span,
                        "an access key id has 16 to 128 letters and digits",
                        "write an id shaped like AWS's (AKIA and 16 more), or remove `access_key:` for derived test keys",
                    );
                }
                let secret_ok = (1..=128).contains(&secret.value.len())
                    && secret.value.bytes().all(|b| b.is_ascii_graphic());
                if !secret_ok {
                    self.err(
                        "invalid-value",
                        secret.span,
                        "a secret access key has 1 to 128 printable characters, no spaces",
                        "write a test secret (never a real one: topologies are shared)",
                    );
                }
                if let Some(first) = key_ids.get(&id.value) {
                    self.d.push(
                        Diagnostic::error(
                            "duplicate-id",
                            id.span,
                            format!("access key id '{}' is already another principal's", id.value),
                        )
                        .with_related(*first, "first used here"),
                    );
                    return None;
                }
                key_ids.insert(id.value.clone(), id.span);
                (id_ok && secret_ok).then(|| (id.value.clone(), secret.value.clone()))
            });
            self.t.principals.push(Principal {
                name: e.key.value.clone(),
                account,
                kind: p.kind,
                policies,
                access_key,
                boundary: None,
                session_policies: Vec::new(),
                tags: Vec::new(),
                span: e.key.span,
            });
        }
    }

    pub(super) fn hosted_zones(&mut self, raw: &f::Topology) {
        let Some(zones) = &raw.hosted_zones.0 else {
            return;
        };
        let mut per_vpc: HashMap<(VpcId, String), Span> = HashMap::default();
        for e in zones.iter() {
            let Some(z) = &e.value else { continue };
            let id = HostedZoneId(self.t.hosted_zones.len() as u32);
            let domain = normalize_domain(e.key.as_str());
            let mut vpcs = Vec::new();
            for v in z.vpcs.iter() {
                let Some(vpc) = self.resolve(Some(&self.names.vpcs), v, "VPC", "") else {
                    continue;
                };
                if let Some(first) = per_vpc.get(&(vpc, domain.clone())) {
                    self.d.push(Diagnostic::error("duplicate-association", v.span, format!("VPC '{}' is already associated with a private hosted zone for {domain}", v.value)).with_related(*first, "the other association"));
                    continue;
                }
                per_vpc.insert((vpc, domain.clone()), v.span);
                let attrs = &self.t.vpcs[vpc.index()];
                if !(attrs.dns_support && attrs.dns_hostnames) {
                    let off = if attrs.dns_support {
                        "enable_dns_hostnames"
                    } else {
                        "enable_dns_support"
                    };
                    self.warn(
                        "hosted-zone-dns-attributes",
                        v.span,
                        format!("private hosted zone {domain} is not answered in VPC '{}', which has `{off}: false`", v.value),
                        "AWS answers private hosted zones only in VPCs with DNS support and DNS hostnames: set both to true (the defaults)",
                    );
                }
                vpcs.push(vpc);
                self.t.vpcs[vpc.index()].hosted_zones.push(id);
            }
            if z.vpcs.0.is_empty() {
                self.err(
                    "missing-key",
                    e.key.span,
                    format!("private hosted zone '{domain}' is associated with no VPC"),
                    "add `vpcs: [NAME]`",
                );
            }
            let records = z
                .records
                .iter()
                .filter_map(|r| self.record(&domain, r))
                .collect();
            self.t.hosted_zones.push(HostedZone {
                domain,
                vpcs,
                records,
                span: e.key.span,
            });
        }
    }

    fn record(&self, zone: &str, r: &f::Record) -> Option<Record> {
        let name = match r.name.as_str() {
            "@" => zone.to_string(),
            n if n.ends_with('.') => {
                let abs = normalize_domain(n);
                if abs != zone && !abs.ends_with(&format!(".{zone}")) {
                    self.err("invalid-value", r.name.span, format!("'{n}' is outside the zone {zone}"), format!("write a name relative to {zone}, or an absolute name ending in .{zone}."));
                    return None;
                }
                abs
            }
            n => format!("{}.{zone}", n.to_ascii_lowercase()),
        };
        // A zone whose own name is invalid was reported already; its records' full names would
        // only repeat that.
        if super::names::dns_problem(zone, false).is_none()
            && let Err(e) = vpcsim_aws::check_name(&name)
        {
            self.err(
                "invalid-record-name",
                r.name.span,
                format!(
                    "'{}' is not a valid record name: {e}",
                    clip(r.name.as_str())
                ),
                e.help(),
            );
            return None;
        }
        let kind = match RecordType::parse(r.kind.as_str()) {
            Some(k) if RecordType::RECORDS.contains(&k) => k,
            _ => {
                let names: Vec<&str> = RecordType::RECORDS.iter().map(|t| t.as_str()).collect();
                self.err(
                    "invalid-value",
                    r.kind.span,
                    format!("'{}' is not a supported record type", r.kind.value),
                    match suggest::closest(r.kind.as_str(), names.iter().copied()) {
                        Some(best) => format!("did you mean '{best}'?"),
                        None => format!("use one of: {}", names.join(", ")),
                    },
                );
                return None;
            }
        };
        let alias = match &r.alias {
            None => None,
            Some(a) => {
                if !r.values.0.is_empty() {
                    self.err(
                        "invalid-value",
                        a.span,
                        "a record has either `alias:` or `values:`, not both",
                        "remove one",
                    );
                    return None;
                }
                if !matches!(kind, RecordType::A | RecordType::Aaaa) {
                    self.err(
                        "invalid-value",
                        a.span,
                        "alias records are of type A or AAAA",
                        "set `type: A`",
                    );
                    return None;
                }
                let Some((vpc, ep)) = a.as_str().split_once('/') else {
                    self.err(
                        "invalid-value",
                        a.span,
                        format!("'{}' does not name an endpoint", a.value),
                        "write `alias: VPC/ENDPOINT` (an interface endpoint)",
                    );
                    return None;
                };
                let vpc = self.resolve(
                    Some(&self.names.vpcs),
                    &Spanned::new(a.span, vpc.to_string()),
                    "VPC",
                    "",
                )?;
                let ep = self.resolve_in_vpc(
                    &self.names.endpoints,
                    vpc,
                    &Spanned::new(a.span, ep.to_string()),
                    "endpoint",
                )?;
                if self.t.endpoints[ep.index()].interface().is_none() {
                    self.err(
                        "invalid-value",
                        a.span,
                        "an alias record can point to an interface endpoint only",
                        "gateway endpoints have no DNS names",
                    );
                    return None;
                }
                Some(ep)
            }
        };
        if alias.is_none() && r.values.0.is_empty() {
            self.err(
                "missing-key",
                r.name.span,
                format!("record '{name}' has no values"),
                "add `values: [...]` or `alias: VPC/ENDPOINT`",
            );
            return None;
        }
        for v in r.values.iter() {
            let Err(e) = kind.check_value(v.as_str()) else {
                continue;
            };
            if matches!(kind, RecordType::A | RecordType::Aaaa) {
                self.err(
                    "invalid-address",
                    v.span,
                    format!("'{}' is not a valid {kind} record value", clip(v.as_str())),
                    format!(
                        "{} record holds an {} address",
                        kind.with_article(),
                        if kind == RecordType::A {
                            "IPv4"
                        } else {
                            "IPv6"
                        }
                    ),
                );
            } else {
                self.err(
                    "invalid-record-value",
                    v.span,
                    format!(
                        "'{}' is not a valid {kind} record value: {e}",
                        clip(v.as_str())
                    ),
                    e.help(kind),
                );
            }
            return None;
        }
        if let Err(e) = vpcsim_aws::record::check_count(kind, r.values.0.len()) {
            let span = r.values.0.get(1).map_or(r.name.span, |v| v.span);
            self.err(
                "invalid-record-value",
                span,
                format!("record '{name}': {e}"),
                e.help(kind),
            );
            return None;
        }
        if let Some(ttl) = &r.ttl
            && let Err(e) = vpcsim_aws::record::check_ttl(u64::from(ttl.value))
        {
            self.err("invalid-value", ttl.span, e.to_string(), e.help(kind));
            return None;
        }
        Some(Record {
            name,
            kind,
            values: r.values.iter().map(|v| v.value.clone()).collect(),
            alias,
            ttl: r.ttl.as_ref().map_or(300, |t| t.value),
            span: r.name.span,
        })
    }

    fn bucket_name(&self, name: &Spanned<String>, region: Option<&str>) {
        let s = name.as_str();
        let strict = s.len() >= 3
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric()
            && s.parse::<Ipv4Addr>().is_err();
        // us-east-1 buckets created before March 2018 may use uppercase letters and underscores
        // (the documentation's DOC-EXAMPLE-BUCKET1 is one); see docs/decisions.md.
        let legacy = region == Some("us-east-1")
            && s.len() >= 3
            && s.len() <= 255
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !strict && !legacy {
            self.err("invalid-bucket-name", name.span, format!("'{s}' is not a valid S3 bucket name"), "bucket names have 3 to 63 lowercase letters, digits, dots and hyphens, and start and end with a letter or digit");
        }
    }

    pub(super) fn buckets(&mut self, raw: &f::Topology) {
        let Some(buckets) = &raw.buckets.0 else {
            return;
        };
        let mut ap_names: HashMap<(AccountId, RegionId, String), Span> = HashMap::default();
        for e in buckets.iter() {
            let Some(b) = &e.value else {
                self.names.buckets.insert(e.key.value.clone(), None);
                continue;
            };
            let id = BucketId(self.t.buckets.len() as u32);
            self.names.buckets.insert(e.key.value.clone(), Some(id));
            let account = self.account(&b.account);
            let region = self.resolve(
                Some(&self.names.regions),
                &b.region,
                "region",
                " under `regions:`",
            );
            self.bucket_name(
                &e.key,
                region.map(|r| self.t.regions[r.index()].name.as_str()),
            );
            let policy = b
                .policy
                .as_ref()
                .and_then(|p| self.policy(p, PolicyKind::Resource));
            let mut access_points = Vec::new();
            for ap in b.access_points.iter() {
                let Some(def) = &ap.value else { continue };
                let n = ap.key.as_str();
                let ok = (3..=50).contains(&n.len())
                    && n.bytes()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                    && !n.starts_with('-')
                    && !n.ends_with('-');
                if !ok {
                    self.err(
                        "invalid-name",
                        ap.key.span,
                        format!("'{n}' is not a valid access point name"),
                        "access point names have 3 to 50 lowercase letters, digits and hyphens",
                    );
                }
                let vpc = def
                    .vpc
                    .as_ref()
                    .and_then(|v| self.resolve(Some(&self.names.vpcs), v, "VPC", ""));
                let origin = match (&*def.network_origin, &def.vpc) {
                    (Some(o), None) if o.value == NetworkOrigin::Vpc => {
                        self.err(
                            "missing-key",
                            o.span,
                            "a VPC access point needs `vpc:`",
                            "name the VPC it accepts requests from",
                        );
                        NetworkOrigin::Vpc
                    }
                    (Some(o), Some(v)) if o.value == NetworkOrigin::Internet => {
                        self.err(
                            "invalid-value",
                            v.span,
                            "an Internet access point has no VPC",
                            "remove `vpc:` or set `network_origin: vpc`",
                        );
                        NetworkOrigin::Internet
                    }
                    (Some(o), _) => o.value,
                    (None, Some(_)) => NetworkOrigin::Vpc,
                    (None, None) => NetworkOrigin::Internet,
                };
                if let (Some(v), Some(r), Some(text)) = (vpc, region, &def.vpc)
                    && self.t.vpcs[v.index()].region != Some(r)
                {
                    self.err(
                        "invalid-value",
                        text.span,
                        format!("VPC '{}' is not in the bucket's Region", text.value),
                        "an access point and its VPC are in the bucket's Region",
                    );
                }
                if let (Some(a), Some(r)) = (account, region) {
                    if let Some(first) = ap_names.get(&(a, r, n.to_string())) {
                        self.d.push(Diagnostic::error("duplicate-id", ap.key.span, format!("access point name '{n}' is already used in this account and Region")).with_related(*first, "first used here"));
                    }
                    ap_names.insert((a, r, n.to_string()), ap.key.span);
                }
                let policy = def
                    .policy
                    .as_ref()
                    .and_then(|p| self.policy(p, PolicyKind::Resource));
                let apid = AccessPointId(self.t.access_points.len() as u32);
                self.t.access_points.push(AccessPoint {
                    name: n.to_string(),
                    bucket: id,
                    account,
                    network_origin: origin,
                    vpc,
                    policy,
                    span: ap.key.span,
                });
                access_points.push(apid);
            }
            let mut objects = Vec::new();
            for o in b.objects.iter() {
                let key = &o.key.value;
                // S3's limit for a key: 1,024 bytes of UTF-8.
                if key.is_empty() || key.len() > 1024 {
                    self.err(
                        "invalid-value",
                        o.key.span,
                        "an object key has 1 to 1,024 bytes",
                        "shorten the key",
                    );
                    continue;
                }
                if let Some(text) = &o.value {
                    objects.push((key.clone(), text.value.clone()));
                }
            }
            self.t.buckets.push(Bucket {
                name: e.key.value.clone(),
                account,
                region,
                policy,
                storage_classes: b.storage_classes.iter().map(|s| s.value).collect(),
                outpost: None,
                access_points,
                objects,
                span: e.key.span,
            });
        }
    }

    pub(super) fn outposts(&mut self, raw: &f::Topology) {
        let Some(outposts) = &raw.outposts.0 else {
            return;
        };
        for e in outposts.iter() {
            let Some(o) = &e.value else { continue };
            let id = OutpostId(self.t.outposts.len() as u32);
            let ok =
                o.id.as_str()
                    .strip_prefix("op-")
                    .is_some_and(|h| h.len() == 17 && is_hex(h));
            if !ok {
                self.err("invalid-id", o.id.span, format!("'{}' is not an Outpost id", o.id.value), "an Outpost id is 'op-' followed by 17 hex digits, such as op-01234567890123456");
            }
            let Some(vpc) = self.resolve(Some(&self.names.vpcs), &o.vpc, "VPC", "") else {
                continue;
            };
            let account = match &o.account {
                Some(a) => self.account(a),
                None => self.t.vpcs[vpc.index()].account,
            };
            let subnet = self.resolve_in_vpc(&self.names.subnets, vpc, &o.subnet, "subnet");
            let ep = &o.s3_endpoint.value;
            let access_type = ep
                .access_type
                .as_ref()
                .map_or(AccessType::Private, |a| a.value);
            let coip_pool = match (&ep.coip_pool, access_type) {
                (Some(p), AccessType::CustomerOwnedIp) => self.cidr4(p),
                (Some(p), AccessType::Private) => {
                    self.err(
                        "invalid-value",
                        p.span,
                        "`coip_pool` is only for the CustomerOwnedIp access type",
                        "set `access_type: customer_owned_ip` or remove `coip_pool`",
                    );
                    None
                }
                (None, AccessType::CustomerOwnedIp) => {
                    self.err(
                        "missing-key",
                        o.s3_endpoint.span,
                        "a CustomerOwnedIp endpoint needs a `coip_pool`",
                        "add `coip_pool: CIDR`: the customer-owned IP pool of the Outpost",
                    );
                    None
                }
                (None, AccessType::Private) => None,
            };
            let sgs: Vec<SecurityGroupId> = ep
                .security_groups
                .iter()
                .filter_map(|s| {
                    self.resolve_in_vpc(&self.names.security_groups, vpc, s, "security group")
                })
                .collect();
            let given: Vec<Spanned<String>> = ep
                .addresses
                .as_ref()
                .map(|a| a.0.clone())
                .unwrap_or_default();
            if ep.addresses.is_some() && given.len() != 4 {
                self.err(
                    "invalid-value",
                    o.s3_endpoint.span,
                    format!(
                        "an S3 on Outposts endpoint has four X-ENIs; {} addresses are given",
                        given.len()
                    ),
                    "give four addresses, or none to have them allocated",
                );
            }
            let mut xenis = Vec::new();
            if let Some(sid) = subnet
                && (access_type == AccessType::Private || coip_pool.is_some())
            {
                for k in 0..4u8 {
                    let ip = given.get(k as usize).cloned();
                    xenis.push(self.queue_eni(
                        sid,
                        ip,
                        EniOwner::OutpostXeni(id, k),
                        sgs.clone(),
                        o.s3_endpoint.span,
                        &[&format!("outpost/{}/xeni{k}", e.key.value)],
                        coip_pool,
                    ));
                }
            }
            let endpoint_id = match &ep.id {
                Some(i) => i.value.clone(),
                None => format!(
                    "ec2{}",
                    &hex_id(
                        "x",
                        stable_hash(self.t.seed, &["outposts-endpoint", &e.key.value]),
                        17
                    )[2..]
                ),
            };
            let mut buckets: HashMap<String, BucketId> = HashMap::default();
            let mut bucket_ids = Vec::new();
            let region = self.t.vpcs[vpc.index()].region;
            for b in o.buckets.iter() {
                let Some(def) = &b.value else { continue };
                let bid = BucketId(self.t.buckets.len() as u32);
                self.bucket_name(&b.key, None);
                let owner = match &def.account {
                    Some(a) => self.account(a),
                    None => account,
                };
                let policy = def
                    .policy
                    .as_ref()
                    .and_then(|p| self.policy(p, PolicyKind::Resource));
                self.t.buckets.push(Bucket {
                    name: b.key.value.clone(),
                    account: owner,
                    region,
                    policy,
                    storage_classes: vec![],
                    outpost: Some(id),
                    access_points: vec![],
                    objects: vec![],
                    span: b.key.span,
                });
                buckets.insert(b.key.value.clone(), bid);
                bucket_ids.push(bid);
            }
            let mut aps = Vec::new();
            for ap in o.access_points.iter() {
                let Some(def) = &ap.value else { continue };
                let Some(&bid) = buckets.get(def.bucket.as_str()) else {
                    let names: Vec<&str> = o.buckets.iter().map(|b| b.key.as_str()).collect();
                    self.err(
                        "unknown-reference",
                        def.bucket.span,
                        format!(
                            "Outpost '{}' has no bucket named '{}'",
                            e.key.value, def.bucket.value
                        ),
                        suggest::hint(def.bucket.as_str(), "bucket", names),
                    );
                    continue;
                };
                let ap_vpc = self.resolve(Some(&self.names.vpcs), &def.vpc, "VPC", "");
                if ap_vpc.is_some_and(|v| v != vpc) {
                    self.err("invalid-value", def.vpc.span, format!("the access point's VPC '{}' has no S3 on Outposts endpoint of Outpost '{}'", def.vpc.value, e.key.value), format!("Outposts buckets are reached through a VPC-only access point of the VPC that has the endpoint ('{}')", o.vpc.value));
                }
                let policy = def
                    .policy
                    .as_ref()
                    .and_then(|p| self.policy(p, PolicyKind::Resource));
                let apid = AccessPointId(self.t.access_points.len() as u32);
                self.t.access_points.push(AccessPoint {
                    name: ap.key.value.clone(),
                    bucket: bid,
                    account,
                    network_origin: NetworkOrigin::Vpc,
                    vpc: ap_vpc,
                    policy,
                    span: ap.key.span,
                });
                self.t.buckets[bid.index()].access_points.push(apid);
                aps.push(apid);
            }
            self.t.outposts.push(Outpost {
                name: e.key.value.clone(),
                aws_id: o.id.value.clone(),
                account,
                vpc,
                subnet,
                endpoint_id,
                access_type,
                coip_pool,
                xenis,
                buckets: bucket_ids,
                access_points: aps,
                span: e.key.span,
            });
        }
    }

    /// Names an expectation's `via:` may use.
    fn components(&self) -> Vec<String> {
        let mut v: Vec<String> = Vec::new();
        v.extend(self.t.links.iter().map(|l| l.name.clone()));
        for l in &self.t.links {
            v.extend(l.tunnels.iter().map(|t| format!("{}/{t}", l.name)));
        }
        v.extend(self.t.peerings.iter().map(|p| p.name.clone()));
        v.extend(self.t.endpoints.iter().map(|e| e.name.clone()));
        v.extend(self.t.endpoints.iter().map(|e| e.aws_id.clone()));
        v.extend(self.t.nat_gateways.iter().map(|n| n.name.clone()));
        v.extend(self.t.dx_gateways.iter().map(|n| n.name.clone()));
        v.extend(self.t.outposts.iter().map(|o| o.name.clone()));
        v.extend(self.t.access_points.iter().map(|a| a.name.clone()));
        v.extend(["igw", "internet"].map(String::from));
        v
    }

    pub(super) fn expectations(&mut self, raw: &f::Topology) {
        for code in raw.diagnostics.iter().flat_map(|l| l.iter()) {
            let c = code.as_str();
            let kebab = !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !c.starts_with('-')
                && !c.ends_with('-');
            if !kebab {
                self.err(
                    "invalid-value",
                    code.span,
                    format!("'{}' is not a diagnostic code", clip(c)),
                    "codes are lowercase words joined by hyphens, as `vpcsim validate` prints them: `site-overlap`",
                );
            } else if self.t.expected_diagnostics.iter().any(|(x, _)| x == c) {
                self.err(
                    "duplicate-id",
                    code.span,
                    format!("'{c}' is listed twice"),
                    "list each code once",
                );
            } else {
                self.t.expected_diagnostics.push((c.to_string(), code.span));
            }
        }
        let components = self.components();
        if let Some(list) = &raw.expect.0 {
            let exps: Vec<Expectation> = list
                .iter()
                .filter_map(|x| self.expectation(x, &components))
                .collect();
            self.t.expectations = exps;
        }
        let Some(scenarios) = &raw.scenarios.0 else {
            return;
        };
        for e in scenarios.iter() {
            let Some(s) = &e.value else { continue };
            let mut fail = Vec::new();
            for f in s.fail.iter() {
                let (link, tunnel) = match f.as_str().split_once('/') {
                    Some((l, t)) => (l, Some(t)),
                    None => (f.as_str(), None),
                };
                let Some(lid) = self.resolve(
                    Some(&self.names.links),
                    &Spanned::new(f.span, link.to_string()),
                    "link",
                    " under `links:`",
                ) else {
                    continue;
                };
                let tunnel_index = match tunnel {
                    None => None,
                    Some(t) => {
                        let tunnels = self
                            .t
                            .links
                            .get(lid.index())
                            .map(|l| l.tunnels.clone())
                            .unwrap_or_default();
                        match tunnels.iter().position(|x| x == t) {
                            Some(i) => Some(i),
                            None => {
                                let help = if tunnels.is_empty() {
                                    "only VPN links have tunnels; fail the whole link instead"
                                        .to_string()
                                } else {
                                    format!("tunnels are {}", tunnels.join(", "))
                                };
                                self.err(
                                    "unknown-reference",
                                    f.span,
                                    format!("link '{link}' has no tunnel '{t}'"),
                                    help,
                                );
                                continue;
                            }
                        }
                    }
                };
                fail.push((lid, tunnel_index));
            }
            let expectations = s
                .expect
                .iter()
                .filter_map(|x| self.expectation(x, &components))
                .collect();
            self.t.scenarios.push(Scenario {
                name: e.key.value.clone(),
                description: s.description.clone(),
                fail,
                expectations,
                span: e.key.span,
            });
        }
    }

    /// Reports keys present in an expectation that belong to the other kind (`owner`).
    /// A `spread:`: `repeat` 2 to [`MAX_SPREAD_REPEAT`], `tolerance` 0 to 1, `over` addresses
    /// each once.
    fn spread(&self, sp: &Spanned<f::SpreadDef>) -> Option<SpreadCheck> {
        let repeat = sp.value.repeat.value;
        let mut ok = true;
        if !(2..=MAX_SPREAD_REPEAT).contains(&repeat) {
            self.err(
                "invalid-value",
                sp.value.repeat.span,
                format!("a spread needs 2 to {MAX_SPREAD_REPEAT} requests, not {repeat}"),
                "a few hundred show the rotation in full: `repeat: 100`",
            );
            ok = false;
        }
        let tolerance = match &sp.value.tolerance {
            None => 0.1,
            Some(t) if (0.0..=1.0).contains(&t.value) => t.value,
            Some(t) => {
                self.err(
                    "invalid-value",
                    t.span,
                    format!("a tolerance is a fraction from 0 to 1, not {}", t.value),
                    "`tolerance: 0.2` lets each address get 20% more or less than an even share",
                );
                ok = false;
                0.0
            }
        };
        let mut over: Vec<IpAddr> = Vec::new();
        for a in sp.value.over.iter().flat_map(|l| l.iter()) {
            let ip = match a.as_str().trim().parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => {
                    self.err(
                        "invalid-address",
                        a.span,
                        format!("'{}' is not an IP address", clip(a.as_str())),
                        "list the addresses the requests should reach: `over: [10.0.10.5, 10.0.11.5]`",
                    );
                    ok = false;
                    continue;
                }
            };
            if over.contains(&ip) {
                self.err(
                    "duplicate-id",
                    a.span,
                    format!("{ip} is listed twice"),
                    "list each address once",
                );
                ok = false;
            }
            over.push(ip);
        }
        if sp.value.over.as_ref().is_some_and(|l| l.0.is_empty()) {
            self.err(
                "invalid-value",
                sp.span,
                "`over:` lists no address",
                "list the addresses, or remove `over:` to expect every address the name resolves to",
            );
            ok = false;
        }
        ok.then_some(SpreadCheck {
            repeat,
            tolerance,
            over,
        })
    }

    fn misplaced(&self, span: Span, owner: &str, keys: &[(&str, bool)]) {
        for (key, _) in keys.iter().filter(|(_, present)| *present) {
            self.err(
                "invalid-value",
                span,
                format!("`{key}:` belongs to `{owner}` expectations"),
                format!("remove `{key}:`"),
            );
        }
    }

    fn expectation(&self, x: &f::Expect, components: &[String]) -> Option<Expectation> {
        let Some(from) = self.t.find_source(x.from.as_str()) else {
            let names = self.t.source_names();
            self.err("unknown-reference", x.from.span, format!("no source named '{}'", x.from.value), format!("{} (sources are VPC/INSTANCE, SITE/HOST, aws/athena, or for `resolve:` a view: public, VPC, VPC/inbound, SITE)", suggest::hint(x.from.as_str(), "source", names.iter().map(String::as_str))));
            return None;
        };
        let check = match (&x.request, &x.resolve) {
            (Some(_), Some(r)) => {
                self.err(
                    "invalid-value",
                    r.span,
                    "an expectation has either `request:` or `resolve:`, not both",
                    "split it in two",
                );
                return None;
            }
            (None, None) => {
                self.err("missing-key", x.from.span, "this expectation has neither `request:` nor `resolve:`", "add `request: GET https://…` with a `verdict:`, or `resolve: NAME` with an `answer:` or `rcode:`");
                return None;
            }
            (Some(req), None) => {
                if !matches!(
                    from,
                    Source::Instance(_) | Source::Host(_) | Source::Service(_)
                ) {
                    self.err(
                        "invalid-value",
                        x.from.span,
                        format!(
                            "'{}' is a DNS view; requests start at an instance, a host or an AWS service",
                            x.from.value
                        ),
                        "use VPC/INSTANCE, SITE/HOST or aws/athena",
                    );
                    return None;
                }
                // A service calls with the credentials of the principal it acts for.
                if let Source::Service(svc) = from
                    && x.principal
                        .as_ref()
                        .is_none_or(|p| p.as_str() == "anonymous")
                {
                    self.err(
                        "missing-key",
                        x.from.span,
                        format!(
                            "a request from '{}' needs `principal:`: {} calls S3 with the credentials of the role or user that runs the query",
                            x.from.value,
                            svc.service_principal()
                        ),
                        "add `principal: NAME` (a key of `principals`)",
                    );
                    return None;
                }
                if let Err(e) = crate::request::Request::parse(req.as_str()) {
                    let why = e.why;
                    self.err("invalid-request", req.span, format!("'{}' is not a request: {why}", req.value), "write `METHOD URL` (GET https://bucket.s3.us-east-1.amazonaws.com/key), a URL, or HOST:PORT");
                    return None;
                }
                self.misplaced(
                    req.span,
                    "resolve:",
                    &[
                        ("answer", x.answer.is_some()),
                        ("rcode", x.rcode.is_some()),
                        ("type", x.record_type.is_some()),
                    ],
                );
                let verdict = match &x.verdict {
                    Some(vpcsim_syntax::Lenient(Some(v))) => v,
                    // Present but not a verdict: reported where it is written, with a hint.
                    Some(vpcsim_syntax::Lenient(None)) => return None,
                    None => {
                        self.err(
                            "missing-key",
                            req.span,
                            "this request expectation has no `verdict:`",
                            "add `verdict: allowed`, `denied` or `unreachable`",
                        );
                        return None;
                    }
                };
                let principal = match &x.principal {
                    Some(p) if p.as_str() == "anonymous" => Some(None),
                    Some(p) => Some(Some(self.resolve(
                        Some(&self.names.principals),
                        p,
                        "principal",
                        " under `principals:` (or `anonymous`)",
                    )?)),
                    None => None,
                };
                let mut headers: Vec<(String, String)> = Vec::new();
                if let Some(h) = &x.headers {
                    if h.value.len() > crate::request::MAX_HEADERS {
                        self.err(
                            "invalid-value",
                            h.span,
                            format!(
                                "{} headers: a request carries at most {}",
                                h.value.len(),
                                crate::request::MAX_HEADERS
                            ),
                            "give fewer headers",
                        );
                    }
                    for e in h.value.iter().take(crate::request::MAX_HEADERS) {
                        let Some(v) = &e.value else { continue };
                        match crate::request::header(&e.key.value, &v.value) {
                            Ok(pair) => headers.push(pair),
                            Err(why) => self.err(
                                "invalid-value",
                                e.key.span,
                                why,
                                "write a header as `NAME: VALUE` (x-amz-server-side-encryption: AES256)",
                            ),
                        }
                    }
                }
                let mut via = Vec::new();
                for v in x.via.iter().flat_map(|l| l.iter()) {
                    if !components.iter().any(|c| c == v.as_str()) {
                        self.err(
                            "unknown-reference",
                            v.span,
                            format!("no component named '{}' for `via:`", v.value),
                            suggest::hint(
                                v.as_str(),
                                "component",
                                components.iter().map(String::as_str),
                            ),
                        );
                        continue;
                    }
                    via.push(v.value.clone());
                }
                if verdict.value == Verdict::Unreachable && x.denied_by.is_some() {
                    self.err(
                        "invalid-value",
                        verdict.span,
                        "an unreachable request is not decided by a policy",
                        "remove `denied_by:` or change the verdict to `denied`",
                    );
                }
                let spread = match &x.spread {
                    None => None,
                    Some(sp) => Some(self.spread(sp)?),
                };
                Check::Request {
                    request: req.value.clone(),
                    principal,
                    headers,
                    verdict: verdict.value,
                    via,
                    denied_by: x.denied_by.as_ref().map(|d| d.value.clone()),
                    reason: x.reason.as_ref().map(|r| r.value.clone()),
                    spread,
                }
            }
            (None, Some(name)) => {
                self.misplaced(
                    name.span,
                    "request:",
                    &[
                        ("verdict", x.verdict.is_some()),
                        ("via", x.via.is_some()),
                        ("principal", x.principal.is_some()),
                        ("headers", x.headers.is_some()),
                        ("denied_by", x.denied_by.is_some()),
                        ("spread", x.spread.is_some()),
                    ],
                );
                if x.answer.is_none() && x.rcode.is_none() {
                    self.err("missing-key", name.span, "this DNS expectation says nothing about the answer", "add `answer: [ADDRESSES]` or `rcode: NXDOMAIN` (or NOERROR, NODATA, REFUSED)");
                    return None;
                }
                let record_type = match &x.record_type {
                    None => RecordType::A,
                    Some(t) => match RecordType::parse(t.as_str()) {
                        Some(k) => k,
                        None => {
                            let names: Vec<&str> =
                                RecordType::ALL.iter().map(|t| t.as_str()).collect();
                            self.err(
                                "invalid-value",
                                t.span,
                                format!("'{}' is not a DNS query type", clip(t.as_str())),
                                match suggest::closest(t.as_str(), names.iter().copied()) {
                                    Some(best) => format!("did you mean '{best}'?"),
                                    None => format!("use one of: {}", names.join(", ")),
                                },
                            );
                            return None;
                        }
                    },
                };
                let answer = x.answer.as_ref().map(|a| {
                    let mut v: Vec<String> = a.iter().map(|s| s.value.clone()).collect();
                    v.sort();
                    v
                });
                Check::Resolve {
                    name: normalize_domain(name.as_str()),
                    record_type,
                    answer,
                    rcode: match &x.rcode {
                        Some(vpcsim_syntax::Lenient(Some(r))) => Some(r.value),
                        // Present but not an rcode: reported with a hint; nothing to check.
                        Some(vpcsim_syntax::Lenient(None)) => return None,
                        None => None,
                    },
                }
            }
        };
        let span = x
            .request
            .as_ref()
            .or(x.resolve.as_ref())
            .map_or(x.from.span, |s| s.span);
        let name = x.name.clone().unwrap_or_else(|| {
            x.request
                .as_ref()
                .or(x.resolve.as_ref())
                .map(|s| format!("{} from {}", s.value, x.from.value))
                .unwrap_or_default()
        });
        Some(Expectation {
            name,
            from,
            check,
            span,
        })
    }
}

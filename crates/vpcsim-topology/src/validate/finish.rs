//! From a draft to the model: every reference that a draft holds as an `Option` becomes the id
//! it resolved to. [`build`] calls it only when no error was recorded, so every
//! reference is `Some`; a `None` left over makes the whole topology `None` (never a placeholder).

use super::*;

/// Every item finished, or `None`.
fn all<T, U>(items: Vec<T>, finish: impl Fn(T) -> Option<U>) -> Option<Vec<U>> {
    items.into_iter().map(finish).collect()
}

impl Topology<Draft> {
    /// The model, or `None` when a reference is unresolved.
    pub(super) fn finish(self) -> Option<Topology> {
        Some(Topology {
            name: self.name,
            description: self.description,
            seed: self.seed,
            regions: self.regions,
            accounts: self.accounts,
            vpcs: all(self.vpcs, Vpc::finish)?,
            subnets: all(self.subnets, Subnet::finish)?,
            route_tables: self.route_tables,
            security_groups: self.security_groups,
            network_acls: self.network_acls,
            endpoints: self.endpoints,
            enis: all(self.enis, Eni::finish)?,
            instances: all(self.instances, Instance::finish)?,
            nat_gateways: all(self.nat_gateways, NatGateway::finish)?,
            resolver_endpoints: self.resolver_endpoints,
            resolver_rules: self.resolver_rules,
            hosted_zones: self.hosted_zones,
            peerings: all(self.peerings, Peering::finish)?,
            dx_gateways: self.dx_gateways,
            sites: self.sites,
            hosts: self.hosts,
            links: all(self.links, Link::finish)?,
            buckets: all(self.buckets, Bucket::finish)?,
            access_points: all(self.access_points, AccessPoint::finish)?,
            principals: all(self.principals, Principal::finish)?,
            outposts: all(self.outposts, Outpost::finish)?,
            organizations: self.organizations,
            prefix_lists: self.prefix_lists,
            expectations: self.expectations,
            scenarios: self.scenarios,
            expected_diagnostics: self.expected_diagnostics,
            warnings: self.warnings,
        })
    }
}

impl Vpc<Draft> {
    fn finish(self) -> Option<Vpc> {
        Some(Vpc {
            name: self.name,
            aws_id: self.aws_id,
            account: self.account?,
            region: self.region?,
            cidrs: self.cidrs,
            ipv6_cidrs: self.ipv6_cidrs,
            subnets: self.subnets,
            route_tables: self.route_tables,
            main_route_table: self.main_route_table,
            internet_gateway: self.internet_gateway,
            vpn_gateway: self.vpn_gateway,
            endpoints: self.endpoints,
            instances: self.instances,
            security_groups: self.security_groups,
            inbound_resolver: self.inbound_resolver,
            outbound_resolver: self.outbound_resolver,
            resolver_rules: self.resolver_rules,
            hosted_zones: self.hosted_zones,
            dns_support: self.dns_support,
            dns_hostnames: self.dns_hostnames,
            span: self.span,
        })
    }
}

impl Subnet<Draft> {
    fn finish(self) -> Option<Subnet> {
        Some(Subnet {
            name: self.name,
            vpc: self.vpc,
            az: self.az,
            cidr: self.cidr?,
            ipv6_cidr: self.ipv6_cidr,
            route_table: self.route_table?,
            network_acl: self.network_acl,
            span: self.span,
        })
    }
}

impl Eni<Draft> {
    fn finish(self) -> Option<Eni> {
        Some(Eni {
            subnet: self.subnet,
            ip: self.ip?,
            ipv6: self.ipv6,
            allocated: self.allocated,
            security_groups: self.security_groups,
            owner: self.owner,
            span: self.span,
        })
    }
}

impl Instance<Draft> {
    fn finish(self) -> Option<Instance> {
        Some(Instance {
            name: self.name,
            vpc: self.vpc,
            eni: self.eni?,
            public_ip: self.public_ip,
            role: self.role,
            span: self.span,
        })
    }
}

impl NatGateway<Draft> {
    fn finish(self) -> Option<NatGateway> {
        Some(NatGateway {
            name: self.name,
            vpc: self.vpc,
            eni: self.eni?,
            public_ip: self.public_ip,
            span: self.span,
        })
    }
}

impl Peering<Draft> {
    fn finish(self) -> Option<Peering> {
        Some(Peering {
            name: self.name,
            aws_id: self.aws_id,
            vpcs: self.vpcs?,
            span: self.span,
        })
    }
}

impl Link<Draft> {
    fn finish(self) -> Option<Link> {
        Some(Link {
            name: self.name,
            kind: self.kind,
            site: self.site?,
            attach: self.attach?,
            routing: self.routing,
            tunnels: self.tunnels,
            advertise: self.advertise,
            asn: self.asn,
            as_path_prepend: self.as_path_prepend,
            span: self.span,
        })
    }
}

impl Bucket<Draft> {
    fn finish(self) -> Option<Bucket> {
        Some(Bucket {
            name: self.name,
            account: self.account?,
            region: self.region?,
            policy: self.policy,
            storage_classes: self.storage_classes,
            outpost: self.outpost,
            access_points: self.access_points,
            objects: self.objects,
            span: self.span,
        })
    }
}

impl AccessPoint<Draft> {
    fn finish(self) -> Option<AccessPoint> {
        Some(AccessPoint {
            name: self.name,
            bucket: self.bucket,
            account: self.account?,
            network_origin: self.network_origin,
            vpc: self.vpc,
            policy: self.policy,
            span: self.span,
        })
    }
}

impl Principal<Draft> {
    fn finish(self) -> Option<Principal> {
        Some(Principal {
            name: self.name,
            account: self.account?,
            kind: self.kind,
            policies: self.policies,
            access_key: self.access_key,
            boundary: self.boundary,
            session_policies: self.session_policies,
            tags: self.tags,
            span: self.span,
        })
    }
}

impl Outpost<Draft> {
    fn finish(self) -> Option<Outpost> {
        Some(Outpost {
            name: self.name,
            aws_id: self.aws_id,
            account: self.account?,
            vpc: self.vpc,
            subnet: self.subnet?,
            endpoint_id: self.endpoint_id,
            access_type: self.access_type,
            coip_pool: self.coip_pool,
            xenis: self.xenis,
            buckets: self.buckets,
            access_points: self.access_points,
            span: self.span,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(account: Option<AccountId>) -> Principal<Draft> {
        Principal {
            name: "app".into(),
            account,
            kind: PrincipalKind::Role,
            policies: Vec::new(),
            access_key: None,
            boundary: None,
            session_policies: Vec::new(),
            tags: Vec::new(),
            span: Span::default(),
        }
    }

    #[test]
    fn a_draft_finishes_only_when_every_reference_resolved() {
        let mut t = Topology::<Draft>::default();
        t.principals.push(principal(Some(AccountId(0))));
        let done = t.clone().finish().expect("resolved");
        assert_eq!(done.principals[0].account, AccountId(0));
        t.principals.push(principal(None));
        assert!(t.finish().is_none());
    }
}

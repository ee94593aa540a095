//! Why a name does not exist: the teaching part of NXDOMAIN.

use vpcsim_aws::{EndpointPrefix, Family, ServiceName, looks_like_region, zone_in_region};

use crate::build::Dns;
use crate::zone::{Zone, ZoneKind};

/// `name` without `.SUFFIX` (a public zone's apex: a partition's DNS suffix).
fn before_suffix<'n>(name: &'n str, suffix: &str) -> Option<&'n str> {
    name.strip_suffix(suffix)?.strip_suffix('.')
}

impl Dns<'_> {
    /// A code and a sentence for an NXDOMAIN in `zone`.
    pub(crate) fn explain_nxdomain(&self, name: &str, zone: &Zone) -> (&'static str, String) {
        match zone.kind {
            ZoneKind::PrivateHosted(_) => {
                return (
                    "dns.nxdomain.private-zone",
                    format!(
                        "the private hosted zone {} matches {name} but has no such record; Route 53 Resolver does not fall back to public DNS",
                        zone.apex
                    ),
                );
            }
            ZoneKind::PrivateDns(_) => {
                return (
                    "dns.nxdomain.private-zone",
                    format!("the private DNS zone {} has no name {name}", zone.apex),
                );
            }
            ZoneKind::Ec2Internal(_) => {
                return (
                    "dns.nxdomain.ec2",
                    format!("no network interface of this VPC has the host name {name}"),
                );
            }
            ZoneKind::Reverse(vpc) => {
                let vpc = &self.topo.vpcs[vpc.index()].name;
                let why = match crate::build::reverse_address(name) {
                    Some(ip) => format!(
                        "no network interface of VPC {vpc} or of a VPC peered with it has the address {ip}"
                    ),
                    None => format!(
                        "{name} is not the reverse name of an address (D.C.B.A.in-addr.arpa)"
                    ),
                };
                return ("dns.nxdomain.reverse", why);
            }
            ZoneKind::Site(site) => {
                return (
                    "dns.nxdomain.site-zone",
                    format!(
                        "the zone {} of the {} resolver has no name {name}; a resolver does not look further for a zone it holds",
                        zone.apex,
                        self.sites[site.index()].name
                    ),
                );
            }
            ZoneKind::Public => {}
        }
        let suffix = zone.apex.as_str();
        if let Some(rest) = before_suffix(name, suffix).and_then(|n| n.strip_suffix(".vpce")) {
            return (
                "dns.nxdomain.endpoint",
                self.explain_vpce(name, rest, suffix),
            );
        }
        if name.contains(".s3-outposts.") {
            return ("dns.nxdomain.outposts", self.explain_outposts(name, suffix));
        }
        if let Some(why) = self.explain_website(name, suffix) {
            return ("dns.nxdomain", why);
        }
        let body = before_suffix(name, suffix);
        let region = body.and_then(|n| n.split('.').find(|l| looks_like_region(l)));
        if let (Some(body), Some(region)) = (body, region) {
            let partition = vpcsim_aws::Partition::of_region(region);
            if partition.dns_suffix() != suffix {
                return (
                    "dns.nxdomain",
                    format!(
                        "{region} is a Region of partition {partition}, whose names end in {}: {body}.{}",
                        partition.dns_suffix(),
                        partition.dns_suffix()
                    ),
                );
            }
        }
        if let Some(region) = region
            && !self.public_regions.iter().any(|r| r == region)
        {
            return (
                "dns.nxdomain",
                format!(
                    "{name} is in {region}, which is not an AWS Region (vpcsim answers the public names of every Region of the aws, aws-cn and aws-us-gov partitions)"
                ),
            );
        }
        for (family, why) in [
            ("s3-website", "the website endpoint of an unknown Region"),
            (
                "s3-fips",
                "a FIPS endpoint, which this Region does not have",
            ),
        ] {
            if name.contains(family) {
                return ("dns.nxdomain", format!("{name} is {why}"));
            }
        }
        (
            "dns.nxdomain",
            format!("{name} is not a name AWS serves for this topology's Regions and services"),
        )
    }

    /// S3 website endpoints: some Regions use a dash (`s3-website-us-east-1`), the others a dot
    /// (`s3-website.eu-central-1`).
    fn explain_website(&self, name: &str, suffix: &str) -> Option<String> {
        let labels: Vec<&str> = before_suffix(name, suffix)?.split('.').collect();
        let (i, region, dash) = labels.iter().enumerate().find_map(|(i, l)| {
            if *l == "s3-website" {
                Some((i, *labels.get(i + 1)?, false))
            } else {
                l.strip_prefix("s3-website-").map(|r| (i, r, true))
            }
        })?;
        // The Region must be the last label before the suffix.
        if i + if dash { 1 } else { 2 } != labels.len() {
            return None;
        }
        let uses_dash = vpcsim_aws::name::WEBSITE_DASH.contains(&region);
        let known = uses_dash || self.public_regions.iter().any(|r| r == region);
        if !known {
            return Some(format!(
                "{name} is the website endpoint of an unknown Region ({region})"
            ));
        }
        let right = ServiceName::new(Family::Website, "s3", region).render();
        if dash != uses_dash {
            let (form, wrong) = if uses_dash {
                ("dash", format!("s3-website.{region}"))
            } else {
                ("dot", format!("s3-website-{region}"))
            };
            return Some(format!(
                "{region}'s S3 website endpoint uses the {form} form: {right} (bucket names go in front of it), not {wrong}"
            ));
        }
        if !self.public_regions.iter().any(|r| r == region) {
            return Some(format!(
                "{right} is the website endpoint of {region}, a Region vpcsim has no names for (it serves the topology's Regions and the Regions with built-in prefix lists)"
            ));
        }
        None
    }

    fn explain_vpce(&self, name: &str, rest: &str, suffix: &str) -> String {
        // rest: [prefix.]vpce-ID-DNSID[-AZ].SERVICE.REGION
        let Some(pos) = rest.find("vpce-") else {
            return format!(
                "{name} has no vpce- label: endpoint-specific names look like {}",
                ServiceName::endpoint("s3", "us-east-1", "vpce-1a2b3c4d", "5e6f", None)
            );
        };
        let prefix = rest[..pos].trim_end_matches('.');
        let tail = &rest[pos..];
        let Some((label, svc_region)) = tail.split_once('.') else {
            return format!("{name} is incomplete");
        };
        let mut parts = label.splitn(3, '-');
        let (_, id, dns_and_az) = (
            parts.next(),
            parts.next().unwrap_or(""),
            parts.next().unwrap_or(""),
        );
        let vpce = format!("vpce-{id}");
        let found = self.vpce_index.get(vpce.as_str()).copied();
        if let Some(Err(g)) = found {
            let gw = &self.topo.endpoints[self.gateways[g].index()];
            return format!(
                "{vpce} is a gateway endpoint; gateway endpoints have no DNS names (they work through route tables): clients keep using the public {} names of {}",
                gw.service,
                self.region_name(gw.vpc)
            );
        }
        let Some(ep) = found.and_then(|f| f.ok()).map(|e| &self.endpoints[e]) else {
            let known: Vec<&str> = self.endpoints.iter().map(|e| e.vpce.as_str()).collect();
            return format!(
                "there is no interface endpoint {vpce} in this topology (interface endpoints: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            );
        };
        let (dns_id, az) = match dns_and_az.split_once('-') {
            Some((d, az)) => (d, Some(az)),
            None => (dns_and_az, None),
        };
        let regional = ServiceName::endpoint(
            ep.service.as_str(),
            ep.region.as_str(),
            ep.vpce.as_str(),
            ep.dns_id.as_str(),
            None,
        );
        if dns_id != ep.dns_id {
            return format!(
                "{vpce}'s DNS names carry the id {}, not '{dns_id}': the Regional name is {regional}",
                ep.dns_id,
            );
        }
        let expected_tail = format!(
            "{}.{}",
            vpcsim_aws::service::host_labels(&ep.service),
            ep.region
        );
        if svc_region != expected_tail {
            let ends = regional.partition().dns_suffix();
            return format!(
                "{vpce} is an endpoint for {} in {}, so its names end in .{expected_tail}.vpce.{ends}, not .{svc_region}.vpce.{suffix}",
                ep.service, ep.region
            );
        }
        if let Some(az) = az
            && !ep.enis.iter().any(|(a, _)| a == az)
        {
            let azs: Vec<&str> = ep.enis.iter().map(|(a, _)| a.as_str()).collect();
            let has = if azs.is_empty() {
                "no ENIs".to_string()
            } else {
                azs.join(", ")
            };
            if !zone_in_region(az, &ep.region) {
                return format!(
                    "{az} is not in the endpoint's Region: endpoint {vpce} is in {} and has ENIs in {has}",
                    ep.region
                );
            }
            return format!("endpoint {vpce} has no ENI in {az}; it has {has}");
        }
        if !prefix.is_empty() {
            if !regional
                .clone()
                .with_prefix(EndpointPrefix::Bucket)
                .in_scope()
            {
                return format!(
                    "bucket., accesspoint. and control. names exist only for S3 interface endpoints; {vpce} is for {}",
                    ep.service
                );
            }
            let first = prefix.rsplit('.').next().unwrap_or(prefix);
            if EndpointPrefix::parse(first).is_none() {
                return format!(
                    "'{first}.' is not an endpoint-specific prefix: S3 interface endpoints answer bucket., accesspoint. and control. names"
                );
            }
        }
        format!("{name} is not one of {vpce}'s names")
    }

    fn explain_outposts(&self, name: &str, suffix: &str) -> String {
        // AP-ACCOUNT.op-ID.s3-outposts.REGION.SUFFIX
        let (front, back) = name.split_once(".s3-outposts.").unwrap_or((name, ""));
        let region = before_suffix(back, suffix).unwrap_or(back);
        let labels: Vec<&str> = front.split('.').collect();
        let ap_name = |region: &str, outpost: &str, label: &str| {
            ServiceName::outposts_access_point(
                region.to_string(),
                outpost.to_string(),
                label.to_string(),
            )
            .render()
        };
        let examples = || {
            let names: Vec<String> = self
                .outposts_aps
                .iter()
                .map(|a| {
                    ap_name(
                        &a.region,
                        &a.outpost,
                        &vpcsim_aws::access_point_label(&a.name, &a.account),
                    )
                })
                .collect();
            if names.is_empty() {
                String::new()
            } else {
                format!(" (in this topology: {})", names.join(", "))
            }
        };
        let Some(pos) = labels.iter().position(|l| l.starts_with("op-")) else {
            return format!(
                "Outposts buckets have no DNS name of their own; reach them through an access point: {}{}",
                ap_name("REGION", "op-ID", "AP-ACCOUNT"),
                examples()
            );
        };
        let outpost = labels[pos];
        let matching: Vec<&crate::build::OutpostsAp> = self
            .outposts_aps
            .iter()
            .filter(|a| a.outpost == outpost)
            .collect();
        if matching.is_empty() {
            return format!("there is no Outpost {outpost} with access points in this topology");
        }
        let known: Vec<String> = matching
            .iter()
            .map(|a| vpcsim_aws::access_point_label(&a.name, &a.account))
            .collect();
        let home = &matching[0].region;
        let label = if pos == 0 {
            None
        } else {
            Some(labels[pos - 1])
        };
        let ap_known = label.is_some_and(|l| known.iter().any(|k| k == l));
        if region != home {
            let also = match label {
                Some(l) if !ap_known => format!(
                    "; it also has no access point '{l}' (its access points: {})",
                    known.join(", ")
                ),
                _ => String::new(),
            };
            let right = ap_name(home, outpost, "x");
            return format!(
                "the Region is wrong: Outpost {outpost} is in {home}, so its access point names end in {}, not .s3-outposts.{region}.{suffix}{also}",
                &right[1..]
            );
        }
        match label {
            None => format!(
                "{outpost} is an Outpost id; its names start with an access point: {} (its access points: {})",
                ap_name(home, outpost, "AP-ACCOUNT"),
                known.join(", ")
            ),
            Some(l) if !ap_known => format!(
                "Outpost {outpost} has no access point '{l}'; Outposts buckets are reached only through its VPC-only access points: {}",
                known.join(", ")
            ),
            Some(l) => format!(
                "{name} is not an access point name: Outposts access point names are exactly {}",
                ap_name(home, outpost, l)
            ),
        }
    }
}

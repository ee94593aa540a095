//! Why a name does not exist: the teaching part of NXDOMAIN.

use crate::build::Dns;
use crate::zone::{Zone, ZoneKind};

impl Dns {
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
                    format!("no instance of this VPC has the host name {name}"),
                );
            }
            ZoneKind::Public => {}
        }
        if let Some(rest) = name.strip_suffix(".vpce.amazonaws.com") {
            return ("dns.nxdomain.endpoint", self.explain_vpce(name, rest));
        }
        if name.contains(".s3-outposts.") {
            return ("dns.nxdomain.outposts", self.explain_outposts(name));
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

    fn explain_vpce(&self, name: &str, rest: &str) -> String {
        // rest: [prefix.]vpce-ID-DNSID[-AZ].SERVICE.REGION
        let Some(pos) = rest.find("vpce-") else {
            return format!(
                "{name} has no vpce- label: endpoint-specific names look like vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com"
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
        let Some(ep) = self.endpoints.iter().find(|e| e.vpce == vpce) else {
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
        if dns_id != ep.dns_id {
            return format!(
                "{vpce}'s DNS names carry the id {}, not '{dns_id}': the Regional name is {vpce}-{}.{}.{}.vpce.amazonaws.com",
                ep.dns_id, ep.dns_id, ep.service, ep.region
            );
        }
        let expected_tail = format!("{}.{}", ep.service, ep.region);
        if svc_region != expected_tail {
            return format!(
                "{vpce} is an endpoint for {} in {}, so its names end in .{expected_tail}.vpce.amazonaws.com, not .{svc_region}.vpce.amazonaws.com",
                ep.service, ep.region
            );
        }
        if let Some(az) = az
            && !ep.enis.iter().any(|(a, _)| a == az)
        {
            let azs: Vec<&str> = ep.enis.iter().map(|(a, _)| a.as_str()).collect();
            return format!("the endpoint has no ENI in {az}; it has {}", azs.join(", "));
        }
        if !prefix.is_empty() {
            if ep.service != "s3" {
                return format!(
                    "bucket., accesspoint. and control. names exist only for S3 interface endpoints; {vpce} is for {}",
                    ep.service
                );
            }
            let first = prefix.rsplit('.').next().unwrap_or(prefix);
            if !matches!(first, "bucket" | "accesspoint" | "control") {
                return format!(
                    "'{first}.' is not an endpoint-specific prefix: S3 interface endpoints answer bucket., accesspoint. and control. names"
                );
            }
        }
        format!("{name} is not one of {vpce}'s names")
    }

    fn explain_outposts(&self, name: &str) -> String {
        let label = name.split('.').next().unwrap_or("");
        let outpost = name.split('.').nth(1).unwrap_or("");
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
            .map(|a| format!("{}-{}", a.name, a.account))
            .collect();
        format!(
            "Outpost {outpost} has no access point '{label}'; Outposts buckets are reached only through its VPC-only access points: {}",
            known.join(", ")
        )
    }
}

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
        if let Some(why) = self.explain_website(name) {
            return ("dns.nxdomain", why);
        }
        if let Some(region) = name
            .strip_suffix(".amazonaws.com")
            .and_then(|n| n.split('.').find(|l| looks_like_region(l)))
            && !self.public_regions.iter().any(|r| r == region)
        {
            return (
                "dns.nxdomain",
                format!(
                    "{name} is in {region}, a Region vpcsim has no names for: public names exist for the topology's Regions and the Regions with built-in prefix lists ({})",
                    self.public_regions.join(", ")
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
    fn explain_website(&self, name: &str) -> Option<String> {
        let labels: Vec<&str> = name.strip_suffix(".amazonaws.com")?.split('.').collect();
        let (i, region, dash) = labels.iter().enumerate().find_map(|(i, l)| {
            if *l == "s3-website" {
                Some((i, *labels.get(i + 1)?, false))
            } else {
                l.strip_prefix("s3-website-").map(|r| (i, r, true))
            }
        })?;
        // The Region must be the last label before amazonaws.com.
        if i + if dash { 1 } else { 2 } != labels.len() {
            return None;
        }
        let uses_dash = crate::build::WEBSITE_DASH.contains(&region);
        let known = uses_dash || self.public_regions.iter().any(|r| r == region);
        if !known {
            return Some(format!(
                "{name} is the website endpoint of an unknown Region ({region})"
            ));
        }
        let right = if uses_dash {
            format!("s3-website-{region}.amazonaws.com")
        } else {
            format!("s3-website.{region}.amazonaws.com")
        };
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
        let found = self.vpce_index.get(&vpce).copied();
        if let Some(Err(g)) = found {
            let gw = &self.gateways[g];
            return format!(
                "{vpce} is a gateway endpoint; gateway endpoints have no DNS names (they work through route tables): clients keep using the public {} names of {}",
                gw.service, gw.region
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
        if dns_id != ep.dns_id {
            return format!(
                "{vpce}'s DNS names carry the id {}, not '{dns_id}': the Regional name is {vpce}-{}.{}.{}.vpce.amazonaws.com",
                ep.dns_id,
                ep.dns_id,
                vpcsim_aws::service::host_labels(&ep.service),
                ep.region
            );
        }
        let expected_tail = format!(
            "{}.{}",
            vpcsim_aws::service::host_labels(&ep.service),
            ep.region
        );
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
            let has = if azs.is_empty() {
                "no ENIs".to_string()
            } else {
                azs.join(", ")
            };
            if !az_in_region(az, &ep.region) {
                return format!(
                    "{az} is not in the endpoint's Region: endpoint {vpce} is in {} and has ENIs in {has}",
                    ep.region
                );
            }
            return format!("endpoint {vpce} has no ENI in {az}; it has {has}");
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
        // AP-ACCOUNT.op-ID.s3-outposts.REGION.amazonaws.com
        let (front, back) = name.split_once(".s3-outposts.").unwrap_or((name, ""));
        let region = back.strip_suffix(".amazonaws.com").unwrap_or(back);
        let labels: Vec<&str> = front.split('.').collect();
        let examples = || {
            let names: Vec<String> = self
                .outposts_aps
                .iter()
                .map(|a| {
                    format!(
                        "{}-{}.{}.s3-outposts.{}.amazonaws.com",
                        a.name, a.account, a.outpost, a.region
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
                "Outposts buckets have no DNS name of their own; reach them through an access point: AP-ACCOUNT.op-ID.s3-outposts.REGION.amazonaws.com{}",
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
            .map(|a| format!("{}-{}", a.name, a.account))
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
            return format!(
                "the Region is wrong: Outpost {outpost} is in {home}, so its access point names end in .{outpost}.s3-outposts.{home}.amazonaws.com, not .s3-outposts.{region}.amazonaws.com{also}"
            );
        }
        match label {
            None => format!(
                "{outpost} is an Outpost id; its names start with an access point: AP-ACCOUNT.{outpost}.s3-outposts.{home}.amazonaws.com (its access points: {})",
                known.join(", ")
            ),
            Some(l) if !ap_known => format!(
                "Outpost {outpost} has no access point '{l}'; Outposts buckets are reached only through its VPC-only access points: {}",
                known.join(", ")
            ),
            Some(l) => format!(
                "{name} is not an access point name: Outposts access point names are exactly {l}.{outpost}.s3-outposts.{home}.amazonaws.com"
            ),
        }
    }
}

/// True when `label` looks like a Region name (`us-east-1`, `us-gov-west-1`, `eu-central-2`).
fn looks_like_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// True when Availability Zone (or Local Zone) `az` belongs to `region`: `us-east-1a`,
/// `us-east-1-bos-1a` are in us-east-1; `us-west-2a` is not.
fn az_in_region(az: &str, region: &str) -> bool {
    az.strip_prefix(region).is_some_and(|rest| {
        rest.starts_with('-') || (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_and_zones() {
        assert!(looks_like_region("us-east-1"));
        assert!(looks_like_region("us-gov-west-1"));
        assert!(!looks_like_region("s3-website"));
        assert!(!looks_like_region("kinesis-streams"));
        assert!(az_in_region("us-east-1c", "us-east-1"));
        assert!(az_in_region("us-east-1-bos-1a", "us-east-1"));
        assert!(!az_in_region("us-west-2a", "us-east-1"));
        assert!(!az_in_region("us-east-12a", "us-east-1"));
    }
}

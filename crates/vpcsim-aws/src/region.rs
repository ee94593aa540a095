//! Partitions, Regions and zones.

use std::fmt;

/// An AWS partition: a group of Regions with its own DNS suffix, ARNs and accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Partition {
    /// The commercial Regions (`aws`).
    Aws,
    /// The China Regions (`aws-cn`).
    AwsCn,
    /// AWS GovCloud (US) (`aws-us-gov`).
    AwsUsGov,
}

impl Partition {
    /// Every partition vpcsim knows.
    pub const ALL: [Partition; 3] = [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov];

    /// The partition id, as in ARNs: `aws`, `aws-cn`, `aws-us-gov`.
    pub fn id(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    /// The domain its service names end in: `amazonaws.com`, `amazonaws.com.cn` (GovCloud shares
    /// the commercial suffix).
    pub const fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::AwsUsGov => "amazonaws.com",
            Partition::AwsCn => "amazonaws.com.cn",
        }
    }

    /// The partition of a Region, by the SDKs' rule on the name (`cn-…` is aws-cn, `us-gov-…`
    /// aws-us-gov), and `aws` for any other name, as the SDKs default to. Every Region of
    /// [`REGIONS`] is in the partition the rule gives (a test holds the list to it).
    pub fn of_region(name: &str) -> Partition {
        if name.starts_with("cn-") {
            Partition::AwsCn
        } else if name.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }

    /// The partition's Regions, in [`REGIONS`] order.
    pub fn regions(self) -> impl Iterator<Item = &'static Region> {
        REGIONS.iter().filter(move |r| r.partition == self)
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// A public AWS Region.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    /// `us-east-1`.
    pub name: &'static str,
    /// Its partition.
    pub partition: Partition,
    /// AWS's description: `US East (N. Virginia)`.
    pub description: &'static str,
}

impl Region {
    /// The public Region named `name`.
    pub fn named(name: &str) -> Option<&'static Region> {
        REGIONS.iter().find(|r| r.name == name)
    }

    /// The domain its service names end in (its partition's).
    pub fn dns_suffix(&self) -> &'static str {
        self.partition.dns_suffix()
    }
}

macro_rules! regions {
    ($($partition:ident $name:literal $description:literal,)*) => {
        &[$(Region { name: $name, partition: Partition::$partition, description: $description },)*]
    };
}

/// Every public Region of the three partitions, as of 2026 (the AWS SDKs' partition data and
/// AWS's Region list; Regions announced but not open are left out). Sorted by name within each
/// partition.
pub const REGIONS: &[Region] = regions![
    Aws "af-south-1" "Africa (Cape Town)",
    Aws "ap-east-1" "Asia Pacific (Hong Kong)",
    Aws "ap-east-2" "Asia Pacific (Taipei)",
    Aws "ap-northeast-1" "Asia Pacific (Tokyo)",
    Aws "ap-northeast-2" "Asia Pacific (Seoul)",
    Aws "ap-northeast-3" "Asia Pacific (Osaka)",
    Aws "ap-south-1" "Asia Pacific (Mumbai)",
    Aws "ap-south-2" "Asia Pacific (Hyderabad)",
    Aws "ap-southeast-1" "Asia Pacific (Singapore)",
    Aws "ap-southeast-2" "Asia Pacific (Sydney)",
    Aws "ap-southeast-3" "Asia Pacific (Jakarta)",
    Aws "ap-southeast-4" "Asia Pacific (Melbourne)",
    Aws "ap-southeast-5" "Asia Pacific (Malaysia)",
    Aws "ap-southeast-6" "Asia Pacific (New Zealand)",
    Aws "ap-southeast-7" "Asia Pacific (Thailand)",
    Aws "ca-central-1" "Canada (Central)",
    Aws "ca-west-1" "Canada West (Calgary)",
    Aws "eu-central-1" "Europe (Frankfurt)",
    Aws "eu-central-2" "Europe (Zurich)",
    Aws "eu-north-1" "Europe (Stockholm)",
    Aws "eu-south-1" "Europe (Milan)",
    Aws "eu-south-2" "Europe (Spain)",
    Aws "eu-west-1" "Europe (Ireland)",
    Aws "eu-west-2" "Europe (London)",
    Aws "eu-west-3" "Europe (Paris)",
    Aws "il-central-1" "Israel (Tel Aviv)",
    Aws "me-central-1" "Middle East (UAE)",
    Aws "me-south-1" "Middle East (Bahrain)",
    Aws "mx-central-1" "Mexico (Central)",
    Aws "sa-east-1" "South America (Sao Paulo)",
    Aws "us-east-1" "US East (N. Virginia)",
    Aws "us-east-2" "US East (Ohio)",
    Aws "us-west-1" "US West (N. California)",
    Aws "us-west-2" "US West (Oregon)",
    AwsCn "cn-north-1" "China (Beijing)",
    AwsCn "cn-northwest-1" "China (Ningxia)",
    AwsUsGov "us-gov-east-1" "AWS GovCloud (US-East)",
    AwsUsGov "us-gov-west-1" "AWS GovCloud (US-West)",
];

/// True when `label` has the shape of a Region name: two lowercase letters, one or more words of
/// lowercase letters, and a number, joined by hyphens (`us-east-1`, `us-gov-west-1`,
/// `ap-southeast-7`). Says nothing of whether the Region exists (see [`Region::named`]).
pub fn looks_like_region(label: &str) -> bool {
    // One pass over the bytes (names are checked on every parse).
    let b = label.as_bytes();
    if b.len() < 6 || !b[0].is_ascii_lowercase() || !b[1].is_ascii_lowercase() || b[2] != b'-' {
        return false;
    }
    // Words of letters, each followed by a hyphen, then the number.
    let mut i = 3;
    loop {
        let start = i;
        while i < b.len() && b[i].is_ascii_lowercase() {
            i += 1;
        }
        if i == start || i == b.len() || b[i] != b'-' {
            return false;
        }
        i += 1;
        if i < b.len() && b[i..].iter().all(u8::is_ascii_digit) {
            return true;
        }
    }
}

/// True when zone `zone` belongs to Region `region`: an Availability Zone is the Region's name and
/// one letter (`us-east-1a`); a Local Zone or Wavelength Zone continues it after a hyphen with
/// lowercase letters, digits and hyphens (`us-east-1-bos-1a`, `us-east-1-wl1-bos-wlz-1`).
pub fn zone_in_region(zone: &str, region: &str) -> bool {
    let Some(rest) = zone.strip_prefix(region) else {
        return false;
    };
    match rest.strip_prefix('-') {
        Some(local) => {
            !local.is_empty()
                && !local.starts_with('-')
                && !local.ends_with('-')
                && !local.contains("--")
                && local
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
        None => rest.len() == 1 && rest.as_bytes()[0].is_ascii_lowercase(),
    }
}

/// The Region a zone name belongs to, when it is one of [`REGIONS`] (the longest that matches:
/// `us-east-1-bos-1a` is in us-east-1).
pub fn region_of_zone(zone: &str) -> Option<&'static Region> {
    REGIONS
        .iter()
        .filter(|r| zone_in_region(zone, r.name))
        .max_by_key(|r| r.name.len())
}

/// The domain of EC2's private host names in a Region: `ec2.internal` in us-east-1,
/// `REGION.compute.internal` elsewhere (`ip-10-0-1-10.ec2.internal`).
pub fn ec2_internal_domain(region: &str) -> String {
    if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_well_formed_sorted_and_in_their_partition() {
        for p in Partition::ALL {
            let names: Vec<&str> = p.regions().map(|r| r.name).collect();
            assert!(!names.is_empty(), "{p}");
            let mut sorted = names.clone();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(names, sorted, "{p}: sorted, no duplicates");
        }
        for r in REGIONS {
            assert!(looks_like_region(r.name), "{}", r.name);
            // The SDKs' rule on the name agrees with the list.
            let by_name = if r.name.starts_with("cn-") {
                Partition::AwsCn
            } else if r.name.starts_with("us-gov-") {
                Partition::AwsUsGov
            } else {
                Partition::Aws
            };
            assert_eq!(by_name, r.partition, "{}", r.name);
            assert_eq!(Partition::of_region(r.name), r.partition);
            assert_eq!(Region::named(r.name), Some(r));
            let az = format!("{}a", r.name);
            assert!(zone_in_region(&az, r.name));
            assert_eq!(region_of_zone(&az), Some(r));
        }
        assert_eq!(REGIONS.len(), 38);
        assert_eq!(
            Region::named("cn-north-1").unwrap().dns_suffix(),
            "amazonaws.com.cn"
        );
        assert_eq!(
            Region::named("us-gov-west-1").unwrap().dns_suffix(),
            "amazonaws.com"
        );
        assert_eq!(Partition::of_region("xx-east-1"), Partition::Aws);
        assert_eq!(Partition::of_region("cn-south-9"), Partition::AwsCn);
    }

    #[test]
    fn region_shapes() {
        for good in ["us-east-1", "us-gov-west-1", "eu-central-2", "xx-east-1"] {
            assert!(looks_like_region(good), "{good}");
        }
        for bad in [
            "s3-website",
            "kinesis-streams",
            "us-east1",
            "useast-1",
            "us--1",
            "us-east-",
            "US-east-1",
            "s3",
            "vpce",
            "a-b-1",
        ] {
            assert!(!looks_like_region(bad), "{bad}");
        }
    }

    #[test]
    fn zones() {
        assert!(zone_in_region("us-east-1c", "us-east-1"));
        assert!(zone_in_region("us-east-1-bos-1a", "us-east-1"));
        assert!(zone_in_region("us-east-1-wl1-bos-wlz-1", "us-east-1"));
        for bad in [
            "us-west-2a",
            "us-east-12a",
            "us-east-1",
            "us-east-1ab",
            "us-east-1-",
            "us-east-1--a",
            "us-east-1A",
        ] {
            assert!(!zone_in_region(bad, "us-east-1"), "{bad}");
        }
        assert_eq!(
            region_of_zone("us-east-1-bos-1a").map(|r| r.name),
            Some("us-east-1")
        );
        assert_eq!(region_of_zone("xx-east-1a"), None);
        assert_eq!(ec2_internal_domain("us-east-1"), "ec2.internal");
        assert_eq!(
            ec2_internal_domain("eu-west-1"),
            "eu-west-1.compute.internal"
        );
    }
}

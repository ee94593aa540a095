//! The AWS-managed prefix lists that gateway endpoints route to, and how an endpoint names its
//! service. What vpcsim knows of the services themselves (ids, DNS labels, which have gateway
//! endpoints) is AWS vocabulary: [`vpcsim_aws::service`].

/// One AWS-managed prefix list.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinPrefixList {
    /// Region.
    pub region: &'static str,
    /// Service (`s3`, `dynamodb`).
    pub service: &'static str,
    /// `pl-…` id.
    pub id: &'static str,
    /// CIDRs.
    pub cidrs: &'static [&'static str],
}

/// The built-in prefix lists: AWS's ids (unique only within a Region) with a snapshot of their
/// CIDRs, gathered from published `describe-prefix-lists` output (2018–2024; see docs/decisions.md).
/// The lists change over time: override per Region with `regions.R.prefix_lists`.
pub const PREFIX_LISTS: &[BuiltinPrefixList] = &[
    BuiltinPrefixList {
        region: "us-east-1",
        service: "s3",
        id: "pl-63a5400a",
        cidrs: &[
            "3.5.0.0/19",
            "16.182.0.0/16",
            "18.34.0.0/19",
            "18.34.232.0/21",
            "52.216.0.0/15",
            "54.231.0.0/16",
        ],
    },
    BuiltinPrefixList {
        region: "us-east-1",
        service: "dynamodb",
        id: "pl-02cd2c6b",
        cidrs: &["52.94.0.0/22", "52.119.224.0/20"],
    },
    BuiltinPrefixList {
        region: "us-east-2",
        service: "s3",
        id: "pl-7ba54012",
        cidrs: &[
            "3.5.128.0/22",
            "3.5.132.0/23",
            "52.219.80.0/20",
            "52.219.96.0/20",
            "52.92.76.0/22",
        ],
    },
    BuiltinPrefixList {
        region: "us-east-2",
        service: "dynamodb",
        id: "pl-4ca54025",
        cidrs: &["52.94.4.0/24"],
    },
    BuiltinPrefixList {
        region: "us-west-1",
        service: "s3",
        id: "pl-6ba54002",
        cidrs: &[
            "52.219.20.0/22",
            "52.219.24.0/21",
            "54.231.232.0/21",
            "52.92.48.0/22",
        ],
    },
    BuiltinPrefixList {
        region: "us-west-1",
        service: "dynamodb",
        id: "pl-6ea54007",
        cidrs: &["52.94.12.0/24"],
    },
    BuiltinPrefixList {
        region: "us-west-2",
        service: "s3",
        id: "pl-68a54001",
        cidrs: &[
            "3.5.76.0/22",
            "3.5.80.0/21",
            "18.34.48.0/20",
            "52.92.128.0/17",
            "52.218.128.0/17",
        ],
    },
    BuiltinPrefixList {
        region: "us-west-2",
        service: "dynamodb",
        id: "pl-00a54069",
        cidrs: &["52.94.28.0/23"],
    },
    BuiltinPrefixList {
        region: "eu-west-1",
        service: "s3",
        id: "pl-6da54004",
        cidrs: &[
            "3.5.64.0/21",
            "3.5.72.0/23",
            "52.92.0.0/17",
            "52.218.0.0/17",
        ],
    },
    BuiltinPrefixList {
        region: "eu-west-1",
        service: "dynamodb",
        id: "pl-6fa54006",
        cidrs: &["52.94.5.0/24", "52.94.24.0/23", "52.119.240.0/21"],
    },
    BuiltinPrefixList {
        region: "eu-central-1",
        service: "s3",
        id: "pl-6ea54007",
        cidrs: &["52.219.44.0/22", "52.219.72.0/22", "54.231.192.0/20"],
    },
    BuiltinPrefixList {
        region: "eu-central-1",
        service: "dynamodb",
        id: "pl-66a5400f",
        cidrs: &["52.94.17.0/24"],
    },
    BuiltinPrefixList {
        region: "ap-southeast-1",
        service: "s3",
        id: "pl-6fa54006",
        cidrs: &[
            "52.219.32.0/21",
            "52.219.40.0/22",
            "52.219.76.0/22",
            "54.231.240.0/22",
        ],
    },
    BuiltinPrefixList {
        region: "ap-southeast-1",
        service: "dynamodb",
        id: "pl-67a5400e",
        cidrs: &["52.94.11.0/24"],
    },
];

/// The built-in prefix lists of a Region.
pub fn builtin_prefix_lists(region: &str) -> impl Iterator<Item = &'static BuiltinPrefixList> {
    PREFIX_LISTS.iter().filter(move |p| p.region == region)
}

/// The short service name from `s3` or `com.amazonaws.us-east-1.s3`; `Err` with the Region
/// written in a full name when it is not `region`.
pub fn short_name<'a>(service: &'a str, region: &str) -> Result<&'a str, String> {
    match vpcsim_aws::service::parse_endpoint_service_name(service) {
        Some((r, svc)) if r == region => Ok(svc),
        Some((r, _)) => Err(r.to_string()),
        // `com.amazonaws.s3`: the Region left out.
        None => Ok(service.strip_prefix("com.amazonaws.").unwrap_or(service)),
    }
}

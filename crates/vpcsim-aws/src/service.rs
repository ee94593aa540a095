//! AWS services as vpcsim knows them: their ids, the labels their DNS names carry, and which VPC
//! endpoints they have.

use std::borrow::Cow;

use crate::name::Family;

/// One AWS service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service {
    /// The id in its endpoint service name `com.amazonaws.REGION.ID`: `s3`, `ecr.dkr`,
    /// `kinesis-streams`.
    pub id: &'static str,
    /// The labels its DNS names carry where the id stands (`s3`, `dkr.ecr`, `kinesis`): a dotted
    /// id's labels reversed, and a few names of their own.
    pub host: &'static str,
    /// It has gateway endpoints (AWS PrivateLink guide, "Gateway endpoints").
    pub gateway: bool,
    /// The families of its private DNS names (an interface endpoint's private DNS answers these
    /// names of its Region); empty for a service without interface endpoints.
    pub private_dns: &'static [Family],
    /// Its private DNS names have a wildcard below them (`*.dkr.ecr.REGION.amazonaws.com` for
    /// registries, `*.execute-api…` for APIs, S3's for virtual-hosted buckets).
    pub wildcard: bool,
    /// Why it has no VPC endpoint of its own, and how to reach it instead.
    pub no_endpoint: Option<&'static str>,
}

const REGIONAL: &[Family] = &[Family::Regional];

macro_rules! interface {
    ($id:literal) => {
        interface!($id, $id)
    };
    ($id:literal, $host:literal) => {
        Service {
            id: $id,
            host: $host,
            gateway: false,
            private_dns: REGIONAL,
            wildcard: false,
            no_endpoint: None,
        }
    };
}

/// The services vpcsim knows by name, in the order of hints. Any other `com.amazonaws.REGION.X`
/// is accepted too: its names carry X's labels reversed ([`host_labels`]).
pub const SERVICES: &[Service] = &[
    Service {
        id: "s3",
        host: "s3",
        gateway: true,
        private_dns: &[Family::Regional, Family::Control, Family::AccessPoint],
        wildcard: true,
        no_endpoint: None,
    },
    Service {
        gateway: true,
        ..interface!("dynamodb")
    },
    interface!("sts"),
    interface!("ec2"),
    interface!("ec2messages"),
    interface!("ssm"),
    interface!("ssmmessages"),
    interface!("kms"),
    interface!("logs"),
    interface!("monitoring"),
    interface!("secretsmanager"),
    interface!("sqs"),
    interface!("sns"),
    interface!("ecr.api", "api.ecr"),
    // Registry host names are ACCOUNT.dkr.ecr.REGION.amazonaws.com.
    Service {
        wildcard: true,
        ..interface!("ecr.dkr", "dkr.ecr")
    },
    interface!("ecs"),
    interface!("lambda"),
    interface!("elasticloadbalancing"),
    // API host names are API-ID.execute-api.REGION.amazonaws.com.
    Service {
        wildcard: true,
        ..interface!("execute-api")
    },
    interface!("athena"),
    interface!("glue"),
    interface!("s3-outposts"),
    // The endpoint service is kinesis-streams; every DNS name says kinesis (private DNS
    // kinesis.REGION.amazonaws.com, endpoint names vpce-….kinesis.REGION.vpce.amazonaws.com).
    interface!("kinesis-streams", "kinesis"),
    interface!("events"),
    interface!("states"),
    interface!("ssm-contacts"),
    interface!("rds"),
    interface!("elasticfilesystem"),
    interface!("sagemaker.api", "api.sagemaker"),
    Service {
        id: "glacier",
        host: "glacier",
        gateway: false,
        private_dns: &[],
        wildcard: false,
        no_endpoint: Some(
            "S3 Glacier has no VPC endpoint of its own: store objects in the GLACIER storage class of an S3 bucket and reach them through an S3 endpoint",
        ),
    },
];

/// The length of the longest [`Service::host`]: longer labels name no service vpcsim knows.
pub const LONGEST_HOST: usize = {
    let mut i = 0;
    let mut longest = 0;
    while i < SERVICES.len() {
        if SERVICES[i].host.len() > longest {
            longest = SERVICES[i].host.len();
        }
        i += 1;
    }
    longest
};

/// The service with id `id`.
pub fn service(id: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.id == id)
}

/// The service whose DNS labels are `host` (`dkr.ecr` → ecr.dkr).
pub fn service_by_host(host: &str) -> Option<&'static Service> {
    SERVICES
        .iter()
        .find(|s| crate::name::same(s.host.as_bytes(), host.as_bytes()))
}

/// True when `id` has gateway endpoints (`s3`, `dynamodb`).
pub fn has_gateway(id: &str) -> bool {
    service(id).is_some_and(|s| s.gateway)
}

/// The labels a service's DNS names carry: the table's for a known service, the dotted id's labels
/// reversed otherwise (`foo.api` → `api.foo`, as AWS writes them).
pub fn host_labels(id: &str) -> Cow<'_, str> {
    match service(id) {
        Some(s) => Cow::Borrowed(s.host),
        None if id.contains('.') => Cow::Owned(reverse_labels(id)),
        None => Cow::Borrowed(id),
    }
}

/// The service id of a name's service labels: the inverse of [`host_labels`].
pub fn id_of_host(host: &str) -> Cow<'_, str> {
    match service_by_host(host) {
        Some(s) => Cow::Borrowed(s.id),
        None if host.contains('.') => Cow::Owned(reverse_labels(host)),
        None => Cow::Borrowed(host),
    }
}

fn reverse_labels(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, label) in text.rsplit('.').enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(label);
    }
    out
}

/// The endpoint service name of a service in a Region: `com.amazonaws.us-east-1.s3`.
pub fn endpoint_service_name(region: &str, id: &str) -> String {
    format!("com.amazonaws.{region}.{id}")
}

/// The Region and service id of an endpoint service name (`com.amazonaws.us-east-1.s3` →
/// `(us-east-1, s3)`); `None` when `text` is not one. Service names in the China Regions may also
/// start with `cn.com.amazonaws.`.
pub fn parse_endpoint_service_name(text: &str) -> Option<(&str, &str)> {
    let rest = text
        .strip_prefix("com.amazonaws.")
        .or_else(|| text.strip_prefix("cn.com.amazonaws."))?;
    let (region, id) = rest.split_once('.')?;
    (crate::looks_like_region(region) && !id.is_empty()).then_some((region, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_host_labels_map_both_ways() {
        for s in SERVICES {
            assert_eq!(host_labels(s.id), s.host);
            assert_eq!(id_of_host(s.host), s.id);
            // The table's hosts are the generic rule, except where AWS names a service otherwise.
            if s.id != "kinesis-streams" {
                assert_eq!(s.host, reverse_labels(s.id), "{}", s.id);
            }
            assert_eq!(
                s.no_endpoint.is_some(),
                s.private_dns.is_empty(),
                "{}",
                s.id
            );
        }
        assert_eq!(host_labels("kinesis-streams"), "kinesis");
        assert_eq!(host_labels("foo.api"), "api.foo");
        assert_eq!(id_of_host("api.foo"), "foo.api");
        assert_eq!(host_labels("widgets"), "widgets");
        assert!(has_gateway("s3") && has_gateway("dynamodb") && !has_gateway("sts"));
    }

    #[test]
    fn endpoint_service_names() {
        assert_eq!(
            endpoint_service_name("us-east-1", "s3"),
            "com.amazonaws.us-east-1.s3"
        );
        assert_eq!(
            parse_endpoint_service_name("com.amazonaws.us-east-1.ecr.dkr"),
            Some(("us-east-1", "ecr.dkr"))
        );
        assert_eq!(
            parse_endpoint_service_name("cn.com.amazonaws.cn-north-1.s3"),
            Some(("cn-north-1", "s3"))
        );
        assert_eq!(parse_endpoint_service_name("com.amazonaws.s3"), None);
        assert_eq!(parse_endpoint_service_name("s3"), None);
    }
}

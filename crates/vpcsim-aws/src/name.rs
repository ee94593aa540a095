//! Service DNS names: each family written once, as a template in [`FAMILIES`], from which names
//! are both rendered ([`ServiceName::render`]) and parsed ([`ServiceName::parse`]).
//!
//! A name is `[RESOURCE.][PREFIX.]TEMPLATE`: the family's template (`{service}.{region}.{suffix}`,
//! `{vpce}-{dns_id}-{zone}.{service}.{region}.vpce.{suffix}`…), optionally preceded by the endpoint
//! prefix of an S3 interface endpoint name (`bucket.`, `accesspoint.`, `control.`) and by the
//! labels of a resource (a bucket in virtual-hosted style, `AP-ACCOUNT` of an access point, an
//! account id, a registry).
//!
//! Parsing is exact: `parse(name)` is `Some(v)` only when `v.render()` gives `name` back, so a name
//! AWS writes differently (a website name with the other separator, a FIPS name in a Region
//! without FIPS, the wrong partition suffix) is not a service name. The two S3 shapes nearly every
//! request carries (Regional and an interface endpoint's Regional name) are read from their last
//! labels before the templates are tried; that shortcut answers only what the templates answer.

use std::borrow::Cow;
use std::fmt;

use crate::region::{Partition, Region, looks_like_region, zone_in_region};
use crate::service;

/// A family of DNS names AWS gives services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// A service's Regional name, which is also its private DNS name: `s3.us-east-1.amazonaws.com`,
    /// `api.ecr.us-east-1.amazonaws.com`, `BUCKET.s3.us-east-1.amazonaws.com`.
    Regional,
    /// S3's dual-stack (IPv4 and IPv6) name: `s3.dualstack.us-east-1.amazonaws.com`.
    DualStack,
    /// S3's FIPS name, in the Regions that have one: `s3-fips.us-east-1.amazonaws.com`.
    Fips,
    /// S3's FIPS dual-stack name: `s3-fips.dualstack.us-east-1.amazonaws.com`.
    FipsDualStack,
    /// S3 Control: `s3-control.us-east-1.amazonaws.com`, `ACCOUNT.s3-control.…`.
    Control,
    /// S3 access points: `s3-accesspoint.us-east-1.amazonaws.com`, `AP-ACCOUNT.s3-accesspoint.…`.
    AccessPoint,
    /// S3 website endpoints, with a dash in some Regions (`s3-website-us-east-1.amazonaws.com`) and
    /// a dot in the others (`s3-website.eu-central-1.amazonaws.com`).
    Website,
    /// S3's legacy global endpoint, served from us-east-1: `s3.amazonaws.com`.
    Global,
    /// An interface endpoint's Regional name: `vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com`.
    Endpoint,
    /// An interface endpoint's zonal name:
    /// `vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com`.
    EndpointZonal,
    /// An S3 on Outposts access point name:
    /// `AP-ACCOUNT.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com`.
    OutpostsAccessPoint,
}

impl Family {
    /// Every family.
    pub const ALL: [Family; 11] = [
        Family::Regional,
        Family::DualStack,
        Family::Fips,
        Family::FipsDualStack,
        Family::Control,
        Family::AccessPoint,
        Family::Website,
        Family::Global,
        Family::Endpoint,
        Family::EndpointZonal,
        Family::OutpostsAccessPoint,
    ];

    /// A short stable name: `regional`, `dual-stack`, `fips`, `website`, `endpoint-zonal`…
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Regional => "regional",
            Family::DualStack => "dual-stack",
            Family::Fips => "fips",
            Family::FipsDualStack => "fips-dual-stack",
            Family::Control => "control",
            Family::AccessPoint => "access-point",
            Family::Website => "website",
            Family::Global => "global",
            Family::Endpoint => "endpoint",
            Family::EndpointZonal => "endpoint-zonal",
            Family::OutpostsAccessPoint => "outposts-access-point",
        }
    }

    /// True for an interface endpoint's endpoint-specific names.
    pub fn is_endpoint(self) -> bool {
        matches!(self, Family::Endpoint | Family::EndpointZonal)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The prefix of an S3 interface endpoint's endpoint-specific names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EndpointPrefix {
    /// `bucket.`: bucket requests (path style, or virtual-hosted as `BUCKET.bucket.…`).
    Bucket,
    /// `accesspoint.`: access point requests (`AP-ACCOUNT.accesspoint.…`).
    AccessPoint,
    /// `control.`: S3 Control requests (`ACCOUNT.control.…`).
    Control,
}

impl EndpointPrefix {
    /// Every prefix.
    pub const ALL: [EndpointPrefix; 3] = [
        EndpointPrefix::Bucket,
        EndpointPrefix::AccessPoint,
        EndpointPrefix::Control,
    ];

    /// The label: `bucket`, `accesspoint`, `control`.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointPrefix::Bucket => "bucket",
            EndpointPrefix::AccessPoint => "accesspoint",
            EndpointPrefix::Control => "control",
        }
    }

    /// The prefix a label names.
    pub fn parse(label: &str) -> Option<EndpointPrefix> {
        Self::ALL.into_iter().find(|p| p.as_str() == label)
    }
}

/// One part of a family's template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(&'static str),
    /// The service's labels ([`service::host_labels`]).
    Service,
    /// The Region.
    Region,
    /// The zone of a zonal name.
    Zone,
    /// The endpoint id, `vpce-` and hexadecimal digits.
    Vpce,
    /// The endpoint's DNS id: lowercase letters and digits.
    DnsId,
    /// The Outpost id, `op-` and hexadecimal digits.
    Outpost,
    /// The partition's DNS suffix.
    Suffix,
}

/// Which services a family exists for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Services {
    /// Every service.
    Any,
    /// Only these service ids.
    Only(&'static [&'static str]),
}

impl Services {
    fn admit(self, id: &str) -> bool {
        match self {
            Services::Any => true,
            Services::Only(ids) => ids.contains(&id),
        }
    }
}

/// Which Regions a template is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regions {
    /// Every Region.
    Any,
    /// Only these.
    Only(&'static [&'static str]),
    /// Every Region but these.
    Except(&'static [&'static str]),
    /// The name carries no Region; it is served from this one.
    Global(&'static str),
}

impl Regions {
    fn admit(self, name: &str) -> bool {
        match self {
            Regions::Any => true,
            Regions::Only(list) => list.iter().any(|r| same(r.as_bytes(), name.as_bytes())),
            Regions::Except(list) => !list.iter().any(|r| same(r.as_bytes(), name.as_bytes())),
            Regions::Global(r) => r == name,
        }
    }
}

/// What may stand before a family's template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lead {
    /// Nothing.
    None,
    /// Optionally a resource's labels (a bucket, an account…).
    Optional,
    /// A resource's labels for a service whose names have a wildcard ([`service::Service::wildcard`]:
    /// S3's buckets, ECR's registries, API Gateway's APIs), nothing for the others.
    Wildcard,
    /// A resource's labels, always (`AP-ACCOUNT` of an Outposts access point name).
    Required,
    /// Optionally an [`EndpointPrefix`] (S3 only), itself optionally preceded by a resource.
    EndpointPrefix,
}

/// One family as data: its template, and the services and Regions it is written for.
#[derive(Clone, Copy, Debug)]
pub struct FamilyDef {
    /// The family.
    pub family: Family,
    /// The name, after any resource and prefix.
    pub template: &'static [Piece],
    /// The services that have such names.
    pub services: Services,
    /// The Regions whose names are written this way.
    pub regions: Regions,
    /// What may precede the template.
    pub lead: Lead,
}

impl FamilyDef {
    /// The template as text: `{service}-website-{region}.{suffix}`.
    pub fn template_text(&self) -> String {
        self.template
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t,
                Piece::Service => "{service}",
                Piece::Region => "{region}",
                Piece::Zone => "{zone}",
                Piece::Vpce => "{vpce}",
                Piece::DnsId => "{dns_id}",
                Piece::Outpost => "{outpost}",
                Piece::Suffix => "{suffix}",
            })
            .collect()
    }
}

/// Regions whose S3 website endpoints use a dash (`s3-website-us-east-1`); the others use a dot
/// (S3 User Guide, "Website endpoints").
pub const WEBSITE_DASH: &[&str] = &[
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "eu-west-1",
    "sa-east-1",
    "us-gov-west-1",
];

/// Regions with S3 FIPS endpoints (AWS General Reference, "Amazon S3 endpoints").
pub const S3_FIPS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "ca-west-1",
    "us-gov-east-1",
    "us-gov-west-1",
];

const S3: Services = Services::Only(&["s3"]);

use Piece::{DnsId, Outpost, Region as R, Service as Svc, Suffix, Text, Vpce, Zone};

/// Every family, in the order names are parsed (the first template that matches wins: the
/// specific ones before the Regional catch-all).
pub const FAMILIES: &[FamilyDef] = &[
    FamilyDef {
        family: Family::EndpointZonal,
        template: &[
            Vpce,
            Text("-"),
            DnsId,
            Text("-"),
            Zone,
            Text("."),
            Svc,
            Text("."),
            R,
            Text(".vpce."),
            Suffix,
        ],
        services: Services::Any,
        regions: Regions::Any,
        lead: Lead::EndpointPrefix,
    },
    FamilyDef {
        family: Family::Endpoint,
        template: &[
            Vpce,
            Text("-"),
            DnsId,
            Text("."),
            Svc,
            Text("."),
            R,
            Text(".vpce."),
            Suffix,
        ],
        services: Services::Any,
        regions: Regions::Any,
        lead: Lead::EndpointPrefix,
    },
    FamilyDef {
        family: Family::OutpostsAccessPoint,
        template: &[Outpost, Text("."), Svc, Text("."), R, Text("."), Suffix],
        services: Services::Only(&["s3-outposts"]),
        regions: Regions::Any,
        lead: Lead::Required,
    },
    FamilyDef {
        family: Family::FipsDualStack,
        template: &[Svc, Text("-fips.dualstack."), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Only(S3_FIPS),
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::DualStack,
        template: &[Svc, Text(".dualstack."), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Any,
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::Fips,
        template: &[Svc, Text("-fips."), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Only(S3_FIPS),
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::Control,
        template: &[Svc, Text("-control."), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Any,
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::AccessPoint,
        template: &[Svc, Text("-accesspoint."), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Any,
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::Website,
        template: &[Svc, Text("-website-"), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Only(WEBSITE_DASH),
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::Website,
        template: &[Svc, Text("-website."), R, Text("."), Suffix],
        services: S3,
        regions: Regions::Except(WEBSITE_DASH),
        lead: Lead::Optional,
    },
    FamilyDef {
        family: Family::Regional,
        template: &[Svc, Text("."), R, Text("."), Suffix],
        services: Services::Any,
        regions: Regions::Any,
        lead: Lead::Wildcard,
    },
    FamilyDef {
        family: Family::Global,
        template: &[Svc, Text("."), Suffix],
        services: S3,
        regions: Regions::Global("us-east-1"),
        lead: Lead::Optional,
    },
];

/// The parts of an interface endpoint's endpoint-specific name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EndpointLabel<'a> {
    /// `vpce-1a2b3c4d`.
    pub id: Cow<'a, str>,
    /// `5e6f`.
    pub dns_id: Cow<'a, str>,
    /// The zone of a zonal name.
    pub zone: Option<Cow<'a, str>>,
    /// `bucket.`, `accesspoint.` or `control.` (S3).
    pub prefix: Option<EndpointPrefix>,
}

/// A service DNS name as a typed value. Strings borrow from the parsed name where they can.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServiceName<'a> {
    /// Which family.
    pub family: Family,
    /// The service id (`s3`, `kinesis-streams`, `ecr.dkr`), not its DNS labels.
    pub service: Cow<'a, str>,
    /// The Region (for [`Family::Global`], the Region that serves it).
    pub region: Cow<'a, str>,
    /// The labels before the family's name: a bucket (virtual-hosted style), `AP-ACCOUNT`, an
    /// account id, a registry.
    pub resource: Option<Cow<'a, str>>,
    /// For [`Family::Endpoint`] and [`Family::EndpointZonal`]: the endpoint's parts.
    pub endpoint: Option<EndpointLabel<'a>>,
    /// For [`Family::OutpostsAccessPoint`]: the Outpost id (`op-…`).
    pub outpost: Option<Cow<'a, str>>,
}

impl<'a> ServiceName<'a> {
    /// A name of a family without endpoint or Outpost parts (Regional, dual-stack, FIPS, control,
    /// access point, website, global).
    pub fn new(
        family: Family,
        service: impl Into<Cow<'a, str>>,
        region: impl Into<Cow<'a, str>>,
    ) -> Self {
        ServiceName {
            family,
            service: service.into(),
            region: region.into(),
            resource: None,
            endpoint: None,
            outpost: None,
        }
    }

    /// An interface endpoint's Regional name, or its zonal name in `zone`.
    pub fn endpoint(
        service: impl Into<Cow<'a, str>>,
        region: impl Into<Cow<'a, str>>,
        id: impl Into<Cow<'a, str>>,
        dns_id: impl Into<Cow<'a, str>>,
        zone: Option<Cow<'a, str>>,
    ) -> Self {
        let family = if zone.is_some() {
            Family::EndpointZonal
        } else {
            Family::Endpoint
        };
        ServiceName {
            endpoint: Some(EndpointLabel {
                id: id.into(),
                dns_id: dns_id.into(),
                zone,
                prefix: None,
            }),
            ..Self::new(family, service, region)
        }
    }

    /// An S3 on Outposts access point name; `label` is `AP-ACCOUNT` ([`access_point_label`]).
    pub fn outposts_access_point(
        region: impl Into<Cow<'a, str>>,
        outpost: impl Into<Cow<'a, str>>,
        label: impl Into<Cow<'a, str>>,
    ) -> Self {
        ServiceName {
            outpost: Some(outpost.into()),
            resource: Some(label.into()),
            ..Self::new(Family::OutpostsAccessPoint, "s3-outposts", region)
        }
    }

    /// The same name under a resource's labels (`BUCKET.s3.…`).
    pub fn with_resource(mut self, resource: impl Into<Cow<'a, str>>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// The same endpoint name with an endpoint prefix (`bucket.vpce-…`). No effect on other
    /// families.
    pub fn with_prefix(mut self, prefix: EndpointPrefix) -> Self {
        if let Some(e) = &mut self.endpoint {
            e.prefix = Some(prefix);
        }
        self
    }

    /// The endpoint prefix, if any.
    pub fn prefix(&self) -> Option<EndpointPrefix> {
        self.endpoint.as_ref().and_then(|e| e.prefix)
    }

    /// The Region's partition.
    pub fn partition(&self) -> Partition {
        Partition::of_region(&self.region)
    }

    /// The template this name is written with: the family's for its Region (the first of the
    /// family when none is written for the Region).
    pub fn def(&self) -> &'static FamilyDef {
        let mut first = None;
        for d in FAMILIES.iter().filter(|d| d.family == self.family) {
            if d.regions.admit(&self.region) {
                return d;
            }
            first.get_or_insert(d);
        }
        first.expect("every family has a template")
    }

    /// True when AWS has this name: a public Region ([`Region::named`]) and
    /// [`in_scope`](Self::in_scope).
    pub fn exists(&self) -> bool {
        Region::named(&self.region).is_some() && self.in_scope()
    }

    /// True when the family is written for this service in this Region (S3 FIPS names only in
    /// the FIPS Regions, prefixes only for S3, resources only where names have them), whether
    /// or not vpcsim lists the Region.
    pub fn in_scope(&self) -> bool {
        let d = self.def();
        d.regions.admit(&self.region)
            && d.services.admit(&self.service)
            && (self.prefix().is_none() || self.service == "s3")
            && (self.resource.is_none()
                || d.lead != Lead::Wildcard
                || service::service(&self.service).is_some_and(|s| s.wildcard))
    }

    /// The name: lowercase, without the final dot.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(80);
        self.write(&mut out);
        out
    }

    /// Appends the name to `out`.
    pub fn write(&self, out: &mut String) {
        if let Some(r) = &self.resource {
            out.push_str(r);
            out.push('.');
        }
        if let Some(p) = self.prefix() {
            out.push_str(p.as_str());
            out.push('.');
        }
        let e = self.endpoint.as_ref();
        for piece in self.def().template {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Service => out.push_str(&service::host_labels(&self.service)),
                Piece::Region => out.push_str(&self.region),
                Piece::Zone => out.push_str(e.and_then(|e| e.zone.as_deref()).unwrap_or("")),
                Piece::Vpce => out.push_str(e.map_or("", |e| &e.id)),
                Piece::DnsId => out.push_str(e.map_or("", |e| &e.dns_id)),
                Piece::Outpost => out.push_str(self.outpost.as_deref().unwrap_or("")),
                Piece::Suffix => out.push_str(self.partition().dns_suffix()),
            }
        }
    }

    /// Parses a service name (lowercase; a final dot is ignored). `None` when `name` is not
    /// exactly how AWS writes a name of one of [`FAMILIES`].
    ///
    /// The two commonest shapes of S3 names (Regional `[BUCKET.]s3.REGION.SUFFIX` and an interface
    /// endpoint's `[[RESOURCE.]PREFIX.]vpce-ID-DNSID.s3.REGION.vpce.SUFFIX`) are recognised from
    /// their last labels first ([`parse_common_s3`]); every other name, and any of those shapes
    /// the shortcut is not sure of, goes through the families' templates in order.
    pub fn parse(name: &'a str) -> Option<ServiceName<'a>> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let (body, suffix) = split_suffix(name)?;
        parse_common_s3(body, suffix).or_else(|| parse_templates(body, suffix))
    }

    /// What [`parse`](Self::parse) gives for a name that carries `s3` (as every name of S3 and of
    /// S3 on Outposts does), and `None` for the others without trying the families' templates:
    /// for callers that look for S3's names only.
    pub fn parse_s3(name: &'a str) -> Option<ServiceName<'a>> {
        let name = name.strip_suffix('.').unwrap_or(name);
        let (body, suffix) = split_suffix(name)?;
        let common = parse_common_s3(body, suffix);
        if common.is_some() || !name.contains("s3") {
            return common;
        }
        parse_templates(body, suffix)
    }

    /// The same name owning its strings.
    pub fn into_owned(self) -> ServiceName<'static> {
        let own = |c: Cow<'a, str>| Cow::Owned(c.into_owned());
        ServiceName {
            family: self.family,
            service: own(self.service),
            region: own(self.region),
            resource: self.resource.map(own),
            endpoint: self.endpoint.map(|e| EndpointLabel {
                id: own(e.id),
                dns_id: own(e.dns_id),
                zone: e.zone.map(own),
                prefix: e.prefix,
            }),
            outpost: self.outpost.map(own),
        }
    }
}

impl fmt::Display for ServiceName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// The partitions' DNS suffixes, each once (GovCloud shares the commercial one), longest first: the
/// first that ends a name is the longest that does (a test holds the list to [`Partition::ALL`]).
const SUFFIXES: [&str; 2] = [Partition::AwsCn.dns_suffix(), Partition::Aws.dns_suffix()];

/// `(body, suffix)` of a name: every family's name ends in a partition's suffix (the longest that
/// fits) after a dot.
fn split_suffix(name: &str) -> Option<(&str, &'static str)> {
    let b = name.as_bytes();
    let suffix = SUFFIXES.into_iter().find(|s| {
        b.len() > s.len() && b[b.len() - s.len() - 1] == b'.' && b.ends_with(s.as_bytes())
    })?;
    Some((&name[..name.len() - suffix.len()], suffix))
}

/// Matches the body (the name without its suffix; it ends with the dot before the suffix) against
/// every family's template, in [`FAMILIES`] order: the first that matches wins.
fn parse_templates<'a>(body: &'a str, suffix: &'static str) -> Option<ServiceName<'a>> {
    // Whether a value has a Region's shape is remembered from one family to the next.
    let mut seen_region = None;
    let shape = Shape::new(body.as_bytes());
    FAMILIES.iter().zip(&PRECHECKS).find_map(|(def, pre)| {
        let (Piece::Suffix, template) = def.template.split_last()? else {
            return None;
        };
        if !may_match(pre, &shape) {
            return None;
        }
        let mut caps = Captures {
            seen_region,
            ..Captures::default()
        };
        let found = matches(def, template, body, &mut caps);
        seen_region = caps.seen_region;
        if !found {
            return None;
        }
        assemble(def, caps, suffix)
    })
}

/// The name a family's match captured; `None` when the Region is not of the suffix's partition.
fn assemble<'a>(
    def: &FamilyDef,
    caps: Captures<'a>,
    suffix: &'static str,
) -> Option<ServiceName<'a>> {
    let host = caps.service?;
    let service = match caps.known {
        Some(s) => Cow::Borrowed(s.id),
        None => service::id_of_host(host),
    };
    let region: Cow<'a, str> = match def.regions {
        Regions::Global(r) => Cow::Borrowed(r),
        _ => Cow::Borrowed(caps.region?),
    };
    // The suffix is the Region's partition's.
    if Partition::of_region(&region).dns_suffix() != suffix {
        return None;
    }
    let endpoint = caps.vpce.map(|id| EndpointLabel {
        id: Cow::Borrowed(id),
        dns_id: Cow::Borrowed(caps.dns_id.unwrap_or("")),
        zone: caps.zone.map(Cow::Borrowed),
        prefix: caps.prefix,
    });
    Some(ServiceName {
        family: def.family,
        service,
        region,
        resource: caps.resource.map(Cow::Borrowed),
        endpoint,
        outpost: caps.outpost.map(Cow::Borrowed),
    })
}

/// The template of `family` written for every Region (the Regional and endpoint families).
const fn family_def(family: Family) -> &'static FamilyDef {
    let mut i = 0;
    while i < FAMILIES.len() {
        if FAMILIES[i].family as u8 == family as u8 {
            return &FAMILIES[i];
        }
        i += 1;
    }
    panic!("every family has a template")
}

const REGIONAL: &FamilyDef = family_def(Family::Regional);
const ENDPOINT: &FamilyDef = family_def(Family::Endpoint);

/// A shortcut for the S3 names nearly every request carries, taken from their last labels: the
/// body (the name before its suffix, ending with the dot) is `LEAD s3.REGION.` (Regional) or
/// `LEAD vpce-ID-DNSID.s3.REGION.vpce.` (an interface endpoint's Regional name), `LEAD` being
/// what [`lead`] admits. Only the Regional family can match a name whose label before the Region
/// is `s3`: the other S3 families put `dualstack`, `s3-fips`, `s3-website`… there, and the
/// endpoint families end in `vpce`, which is no Region. An endpoint label of exactly two hyphens
/// (`vpce-HEX-DNSID`) is not zonal: a zone adds a hyphen and its Region's two or more.
///
/// `None` means "not sure" (not "not a name"): [`parse_templates`] then decides. Whatever this
/// returns, the templates return too (a test holds it to them on every family's names and on
/// thousands of mutations of them).
fn parse_common_s3<'a>(body: &'a str, suffix: &'static str) -> Option<ServiceName<'a>> {
    let rest = body.strip_suffix('.')?;
    let (rest, endpoint) = match rest.strip_suffix(".vpce") {
        Some(r) => (r, true),
        None => (rest, false),
    };
    let (rest, region) = rsplit_byte(rest, b'.')?;
    let lead_text = rest.strip_suffix("s3")?;
    if !(lead_text.is_empty() || lead_text.ends_with('.')) || !looks_like_region(region) {
        return None;
    }
    // The name is made here, as [`assemble`] makes a template's: the service S3, the Region
    // written, which must be of the suffix's partition.
    let s3 = service::service_by_host("s3")?;
    if Partition::of_region(region).dns_suffix() != suffix {
        return None;
    }
    let service = Some(&rest[lead_text.len()..]);
    let (family, resource, endpoint) = if endpoint {
        // `vpce-ID-DNSID.` ends the lead text; what precedes it is the endpoint's lead.
        let (label_start, id, dns_id) = endpoint_label(lead_text.strip_suffix('.')?)?;
        let lead = &lead_text[..label_start];
        let (resource, prefix) = lead_parts(ENDPOINT.lead, service, Some(s3), lead)?;
        let label = EndpointLabel {
            id: Cow::Borrowed(id),
            dns_id: Cow::Borrowed(dns_id),
            zone: None,
            prefix,
        };
        (ENDPOINT.family, resource, Some(label))
    } else {
        let (resource, _) = lead_parts(REGIONAL.lead, service, Some(s3), lead_text)?;
        (REGIONAL.family, resource, None)
    };
    Some(ServiceName {
        family,
        service: Cow::Borrowed(s3.id),
        region: Cow::Borrowed(region),
        resource: resource.map(Cow::Borrowed),
        endpoint,
        outpost: None,
    })
}

/// The endpoint label `vpce-HEX-DNSID` that ends `text` as a whole label (`text` starts with it or
/// has a dot before it): where it starts, its id (`vpce-HEX`) and its DNS id (lowercase letters
/// and digits). Read once, right to left: the DNS id, a hyphen, the id's hexadecimal digits, then
/// `vpce-`.
fn endpoint_label(text: &str) -> Option<(usize, &str, &str)> {
    // Where the run of bytes of `class` that ends `b` starts.
    fn run(b: &[u8], class: u8) -> usize {
        let mut i = b.len();
        while i > 0 && LABEL_CLASS[b[i - 1] as usize] & class != 0 {
            i -= 1;
        }
        i
    }
    let b = text.as_bytes();
    let dns_start = run(b, LOWER_ALNUM);
    let hyphen = dns_start.checked_sub(1)?;
    if dns_start == b.len() || b[hyphen] != b'-' {
        return None;
    }
    let hex_start = run(&b[..hyphen], LOWER_HEX);
    let start = hex_start.checked_sub(5)?;
    if hex_start == hyphen
        || &b[start..hex_start] != b"vpce-"
        || (start > 0 && b[start - 1] != b'.')
    {
        return None;
    }
    Some((start, &text[start..hyphen], &text[dns_start..]))
}

/// [`LABEL_CLASS`]: a digit or `a`…`f`.
const LOWER_HEX: u8 = 1;
/// [`LABEL_CLASS`]: a digit or a lowercase letter.
const LOWER_ALNUM: u8 = 2;

/// The classes of each byte, for the loops that read an endpoint label a byte at a time (a table
/// lookup per byte, where the classes' ranges would take two comparisons each).
static LABEL_CLASS: [u8; 256] = {
    let mut table = [0; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if matches!(b, b'0'..=b'9' | b'a'..=b'f') {
            table[i] |= LOWER_HEX;
        }
        if matches!(b, b'0'..=b'9' | b'a'..=b'z') {
            table[i] |= LOWER_ALNUM;
        }
        i += 1;
    }
    table
};

/// The label an S3 access point's names carry: `NAME-ACCOUNT` (`reports-111122223333`).
pub fn access_point_label(name: &str, account: &str) -> String {
    let mut out = String::with_capacity(name.len() + 1 + account.len());
    out.push_str(name);
    out.push('-');
    out.push_str(account);
    out
}

/// The access point name and account of a `NAME-ACCOUNT` label (the account is the 12 digits
/// after the last hyphen).
pub fn split_access_point_label(label: &str) -> Option<(&str, &str)> {
    let (name, account) = label.rsplit_once('-')?;
    (!name.is_empty() && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()))
        .then_some((name, account))
}

/// The private DNS names of a service's interface endpoint in a Region, each with whether a
/// wildcard below it answers too: `s3.REGION…`, `s3-control.REGION…` and `s3-accesspoint.REGION…`
/// (with wildcards) for S3, `dkr.ecr.REGION…` (with a wildcard) for registries, the Regional name
/// for the others.
pub fn private_dns_names<'a>(id: &'a str, region: &'a str) -> Vec<(ServiceName<'a>, bool)> {
    match service::service(id) {
        Some(s) => s
            .private_dns
            .iter()
            .map(|f| (ServiceName::new(*f, id, region), s.wildcard))
            .collect(),
        None => vec![(ServiceName::new(Family::Regional, id, region), false)],
    }
}

/// What a family's template matched.
#[derive(Default)]
struct Captures<'a> {
    service: Option<&'a str>,
    /// The service `service` names, when vpcsim knows it.
    known: Option<&'static service::Service>,
    region: Option<&'a str>,
    zone: Option<&'a str>,
    vpce: Option<&'a str>,
    dns_id: Option<&'a str>,
    outpost: Option<&'a str>,
    resource: Option<&'a str>,
    prefix: Option<EndpointPrefix>,
    /// The last value checked for a Region's shape (its address and length) and the answer.
    seen_region: Option<(usize, usize, bool)>,
}

/// What every family's precheck needs to know of a body, found once per parse.
struct Shape<'b> {
    body: &'b [u8],
    /// For each text a template may end with: the start of the label before it.
    last_label: [(&'static [u8], Option<usize>); 2],
    /// A label starts with `vpce-` (an endpoint id).
    vpce_label: bool,
    /// A label starts with `op-` (an Outpost id).
    op_label: bool,
}

impl<'b> Shape<'b> {
    fn new(body: &'b [u8]) -> Self {
        let start = |t: &'static [u8]| {
            let rest = body.strip_suffix(t)?;
            Some(rest.iter().rposition(|&b| b == b'.').map_or(0, |i| i + 1))
        };
        let (mut vpce_label, mut op_label) = (false, false);
        for label in body.split(|&b| b == b'.') {
            vpce_label |= label.starts_with(b"vpce-");
            op_label |= label.starts_with(b"op-");
        }
        Shape {
            body,
            last_label: [(b".", start(b".")), (b".vpce.", start(b".vpce."))],
            vpce_label,
            op_label,
        }
    }
}

/// What a family's precheck looks at, worked out from its template at compile time.
#[derive(Clone, Copy)]
struct Precheck {
    /// The template has an endpoint id, an Outpost id, a zone.
    vpce: bool,
    outpost: bool,
    zone: bool,
    /// `(L, T)` of a template ending `…{L}{X}{T}{suffix}` with `X` a one-label piece.
    tail: Option<(&'static str, &'static str)>,
}

impl Precheck {
    const fn of(template: &'static [Piece]) -> Precheck {
        let mut p = Precheck {
            vpce: false,
            outpost: false,
            zone: false,
            tail: None,
        };
        let mut i = 0;
        while i < template.len() {
            match template[i] {
                Piece::Vpce => p.vpce = true,
                Piece::Outpost => p.outpost = true,
                Piece::Zone => p.zone = true,
                _ => {}
            }
            i += 1;
        }
        let n = template.len();
        if n >= 4
            && let (Piece::Text(l), Piece::Text(t), Piece::Suffix) =
                (template[n - 4], template[n - 2], template[n - 1])
            && !matches!(template[n - 3], Piece::Service | Piece::Text(_))
        {
            p.tail = Some((l, t));
        }
        p
    }
}

/// [`FAMILIES`]' prechecks, in the same order.
const PRECHECKS: [Precheck; FAMILIES.len()] = {
    let mut out = [Precheck {
        vpce: false,
        outpost: false,
        zone: false,
        tail: None,
    }; FAMILIES.len()];
    let mut i = 0;
    while i < FAMILIES.len() {
        out[i] = Precheck::of(FAMILIES[i].template);
        i += 1;
    }
    out
};

/// False when the body cannot be a name of the family, found with a few byte comparisons before
/// any matching (most families are ruled out so): its ids need their labels (`vpce-…`, `op-…`);
/// its end `…{L}{X}{T}` needs `T` to end the body and `L` to precede the last label (or stand in
/// it), and a zone needs the Region in the endpoint's label.
fn may_match(pre: &Precheck, shape: &Shape) -> bool {
    if (pre.vpce && !shape.vpce_label) || (pre.outpost && !shape.op_label) {
        return false;
    }
    let Some((l, t)) = pre.tail else {
        return true;
    };
    let (l, t) = (l.as_bytes(), t.as_bytes());
    let body = shape.body;
    let Some(&(_, label)) = shape.last_label.iter().find(|(k, _)| same(k, t)) else {
        // A template ending otherwise: only the end is checked.
        return body.ends_with(t);
    };
    let Some(label) = label else {
        return false;
    };
    let last = &body[label..body.len() - t.len()];
    let fits = if l.last() == Some(&b'.') {
        label >= l.len() && same(&body[label - l.len()..label], l)
    } else {
        last.windows(l.len()).any(|w| same(w, l))
    };
    // A zone is its Region's name and more: `-REGION` stands before the Region's label.
    fits && (!pre.zone
        || body[..label]
            .windows(last.len() + 1)
            .any(|w| w[0] == b'-' && same(&w[1..], last)))
}

/// Matches `pieces` against the end of `text`, right to left, backtracking over where each
/// variable piece starts; what precedes the template must suit the family's [`Lead`].
fn matches<'a>(
    def: &FamilyDef,
    mut pieces: &[Piece],
    mut text: &'a str,
    caps: &mut Captures<'a>,
) -> bool {
    // Literal text needs no backtracking.
    while let [before @ .., Piece::Text(t)] = pieces {
        let t = t.as_bytes();
        if text.len() < t.len() || !same(&text.as_bytes()[text.len() - t.len()..], t) {
            return false;
        }
        text = &text[..text.len() - t.len()];
        pieces = before;
    }
    let Some((last, before)) = pieces.split_last() else {
        return lead(def, text, caps);
    };
    // Where the piece may start: after an occurrence of the literal before it, or (for the first
    // piece) at a label boundary, leaving the lead before it.
    let starts = || candidate_starts(*last, before.last(), text);
    if *last == Piece::Service {
        // Where the service may start, with the service its labels name if vpcsim knows it.
        let mut found = [(0, None); 8];
        let mut n = 0;
        for start in starts() {
            if n == found.len() {
                break;
            }
            let value = &text[start..];
            let known = if value.len() <= service::LONGEST_HOST {
                service::service_by_host(value)
            } else {
                None
            };
            found[n] = (start, known);
            n += 1;
        }
        // A known service's labels first (`api.ecr` is ecr.api, not a resource `api` of an
        // unknown `ecr`), then unknown labels, shortest first; an unknown service at the start
        // of the name is its last label (what precedes it is a resource).
        let unknown = found[..if before.is_empty() { n.min(1) } else { n }]
            .iter()
            .filter(|(_, s)| s.is_none());
        let candidates = found[..n]
            .iter()
            .filter(|(_, s)| s.is_some())
            .chain(unknown);
        for &(start, known) in candidates {
            let value = &text[start..];
            let ok = match known {
                Some(s) => def.services.admit(s.id),
                None => {
                    labels_ok(value)
                        && !has_id_label(value)
                        && match def.services {
                            Services::Any => !reserved(value),
                            Services::Only(ids) => ids.contains(&&*service::id_of_host(value)),
                        }
                }
            };
            if !ok {
                continue;
            }
            let saved = (caps.service.replace(value), caps.known);
            caps.known = known;
            if matches(def, before, &text[..start], caps) {
                return true;
            }
            (caps.service, caps.known) = saved;
        }
        return false;
    }
    for start in starts() {
        let value = &text[start..];
        if !valid(def, *last, value, caps) {
            continue;
        }
        let slot = match last {
            Piece::Region => &mut caps.region,
            Piece::Zone => &mut caps.zone,
            Piece::Vpce => &mut caps.vpce,
            Piece::DnsId => &mut caps.dns_id,
            Piece::Outpost => &mut caps.outpost,
            Piece::Text(_) | Piece::Service | Piece::Suffix => {
                unreachable!("text and service are handled above; the suffix is stripped first")
            }
        };
        let saved = slot.replace(value);
        if matches(def, before, &text[..start], caps) {
            return true;
        }
        match last {
            Piece::Region => caps.region = saved,
            Piece::Zone => caps.zone = saved,
            Piece::Vpce => caps.vpce = saved,
            Piece::DnsId => caps.dns_id = saved,
            _ => caps.outpost = saved,
        }
    }
    false
}

/// Byte equality written out: the texts compared here are a few bytes long, shorter than a call to
/// `memcmp` is worth (this is on every trace's path).
#[inline]
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// Start positions of a variable piece at the end of `text`, rightmost first (shortest value
/// first): after an occurrence of the text before it, or (for the first piece) at a label
/// boundary. Every piece but the service is one label or part of one, which bounds the search.
fn candidate_starts<'t>(
    piece: Piece,
    before: Option<&Piece>,
    text: &'t str,
) -> impl Iterator<Item = usize> + 't {
    let bytes = text.as_bytes();
    let separator: &'static [u8] = match before {
        Some(Piece::Text(t)) => t.as_bytes(),
        Some(_) => unreachable!("templates separate variable pieces with text"),
        None => b"",
    };
    // Every piece but the service is one label or part of one: it starts in the last label.
    let one_label = piece != Piece::Service;
    // A start follows the separator's last byte (a dot for the first piece, which starts a label).
    let mark = separator.last().copied().unwrap_or(b'.');
    let mut next = bytes.len();
    let mut at_zero = separator.is_empty() && !bytes.is_empty();
    std::iter::from_fn(move || {
        while next > 0 {
            // The next byte to the left that may end a separator (or a dot, which a one-label
            // piece cannot reach past).
            let Some(at) = bytes[..next]
                .iter()
                .rposition(|&b| b == mark || (one_label && b == b'.'))
            else {
                break;
            };
            next = at;
            if one_label && bytes[at] == b'.' {
                // The last start this piece can have.
                next = 0;
                at_zero = false;
            }
            let start = at + 1;
            if bytes[at] == mark
                && start < bytes.len()
                && start >= separator.len()
                && same(&bytes[start - separator.len()..start], separator)
            {
                if !one_label && is_id_label(&bytes[start..]) {
                    // Services are named before ids: nothing further left is a service.
                    next = 0;
                    at_zero = false;
                    return None;
                }
                return Some(start);
            }
        }
        next = 0;
        // The first piece may also start the whole name.
        if std::mem::take(&mut at_zero) && (one_label || !is_id_label(bytes)) {
            return Some(0);
        }
        None
    })
}

/// True when `text` starts with an id label (`vpce-…`, `op-…`), which never names a service.
fn is_id_label(text: &[u8]) -> bool {
    text.starts_with(b"vpce-") || text.starts_with(b"op-")
}

/// True when `value` may stand for `piece` (the Region, when captured, bounds zones).
fn valid(def: &FamilyDef, piece: Piece, value: &str, caps: &mut Captures) -> bool {
    let lower_digits = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let hex = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match piece {
        Piece::Region => {
            let key = (value.as_ptr() as usize, value.len());
            let shaped = match caps.seen_region {
                Some((p, l, shaped)) if (p, l) == key => shaped,
                _ => {
                    let shaped = looks_like_region(value);
                    caps.seen_region = Some((key.0, key.1, shaped));
                    shaped
                }
            };
            shaped && def.regions.admit(value)
        }
        Piece::Zone => caps.region.is_some_and(|r| zone_in_region(value, r)),
        Piece::Vpce => value.strip_prefix("vpce-").is_some_and(hex),
        Piece::DnsId => lower_digits(value),
        Piece::Outpost => value.strip_prefix("op-").is_some_and(hex),
        Piece::Text(_) | Piece::Suffix | Piece::Service => false,
    }
}

/// True when `host` is how a family of a particular service continues the service's labels
/// (`s3-website`, `s3-fips`, `s3-control`…): never the labels of some other service.
fn reserved(host: &str) -> bool {
    // Such a name is one label with a hyphen (`s3-website`).
    if host.contains('.') || !host.contains('-') {
        return false;
    }
    FAMILIES.iter().any(|d| {
        let (Services::Only(ids), [Piece::Service, Piece::Text(t), ..]) = (d.services, d.template)
        else {
            return false;
        };
        let Some(word) = t.strip_prefix('-') else {
            return false;
        };
        let word = word.split(['.', '-']).next().unwrap_or("");
        ids.iter().any(|id| {
            host.strip_prefix(service::host_labels(id).as_ref())
                .and_then(|rest| rest.strip_prefix('-'))
                == Some(word)
        })
    })
}

/// True when a label of `text` is an id (`vpce-…`, `op-…`): never part of a service's labels.
fn has_id_label(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| {
        (i == 0 || b[i - 1] == b'.') && (b[i..].starts_with(b"vpce-") || b[i..].starts_with(b"op-"))
    })
}

/// Non-empty labels of lowercase letters, digits and hyphens.
fn labels_ok(text: &str) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b[0] != b'.'
        && b[b.len() - 1] != b'.'
        && b.windows(2).all(|w| !(w[0] == b'.' && w[1] == b'.'))
        && b.iter()
            .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
}

/// `text` split at its last `sep` (an ASCII byte), like [`str::rsplit_once`] with a `char`: a
/// byte loop from the end, which over the few bytes of a label is done before a call to
/// `memrchr` (or the general searcher) has set up.
fn rsplit_byte(text: &str, sep: u8) -> Option<(&str, &str)> {
    let i = text.bytes().rposition(|b| b == sep)?;
    Some((&text[..i], &text[i + 1..]))
}

/// Checks what precedes a matched template (`text` is empty or ends with the dot before it), and
/// captures its resource and endpoint prefix ([`lead_parts`]).
fn lead<'a>(def: &FamilyDef, text: &'a str, caps: &mut Captures<'a>) -> bool {
    match lead_parts(def.lead, caps.service, caps.known, text) {
        Some((resource, prefix)) => {
            caps.resource = resource;
            caps.prefix = prefix;
            true
        }
        None => false,
    }
}

/// What precedes a template (`text` is empty or ends with the dot before it) as a family's
/// [`Lead`] admits it, for a name of the service whose labels are `service` (`known`, when vpcsim
/// knows it): its resource and endpoint prefix, or `None` when the lead is not admitted.
fn lead_parts<'a>(
    lead: Lead,
    service: Option<&str>,
    known: Option<&service::Service>,
    text: &'a str,
) -> Option<(Option<&'a str>, Option<EndpointPrefix>)> {
    if text.is_empty() {
        return (lead != Lead::Required).then_some((None, None));
    }
    let text = text.strip_suffix('.')?;
    if text.is_empty()
        || text.starts_with('.')
        || text.ends_with('.')
        || text.as_bytes().windows(2).any(|w| w == b"..")
    {
        return None;
    }
    match lead {
        Lead::None => None,
        Lead::Wildcard if !known.is_some_and(|s| s.wildcard) => None,
        Lead::Optional | Lead::Required | Lead::Wildcard => Some((Some(text), None)),
        Lead::EndpointPrefix => {
            if service != Some("s3") {
                return None;
            }
            let (resource, label) = match rsplit_byte(text, b'.') {
                Some((r, l)) => (Some(r), l),
                None => (None, text),
            };
            Some((resource, Some(EndpointPrefix::parse(label)?)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::REGIONS;

    fn parse(name: &str) -> ServiceName<'_> {
        ServiceName::parse(name).unwrap_or_else(|| panic!("{name} does not parse"))
    }

    #[test]
    fn templates_separate_variables_with_text_and_end_in_the_suffix() {
        for d in FAMILIES {
            assert_eq!(d.template.last(), Some(&Piece::Suffix), "{:?}", d.family);
            for pair in d.template.windows(2) {
                assert!(
                    matches!(pair[0], Piece::Text(_)) || matches!(pair[1], Piece::Text(_)),
                    "{}",
                    d.template_text()
                );
            }
        }
        for f in Family::ALL {
            assert!(FAMILIES.iter().any(|d| d.family == f), "{f}");
        }
        assert_eq!(
            FAMILIES[0].template_text(),
            "{vpce}-{dns_id}-{zone}.{service}.{region}.vpce.{suffix}"
        );
    }

    /// Every value a family can take in a Region: services in scope, with and without a
    /// resource, endpoint names with each prefix.
    fn samples(def: &FamilyDef, region: &'static str) -> Vec<ServiceName<'static>> {
        let services: Vec<&'static str> = match def.services {
            Services::Any => vec!["s3", "sts", "ecr.dkr", "kinesis-streams", "widgets"],
            Services::Only(ids) => ids.to_vec(),
        };
        let zone: Cow<'static, str> = Cow::Owned(format!("{region}a"));
        let local: Cow<'static, str> = Cow::Owned(format!("{region}-bos-1a"));
        let mut out = Vec::new();
        for svc in services {
            match def.family {
                Family::Endpoint | Family::EndpointZonal => {
                    let zones = if def.family == Family::EndpointZonal {
                        vec![Some(zone.clone()), Some(local.clone())]
                    } else {
                        vec![None]
                    };
                    for z in zones {
                        let base =
                            ServiceName::endpoint(svc, region, "vpce-1a2b3c4d", "5e6f", z.clone());
                        out.push(base.clone());
                        if svc == "s3" {
                            for p in EndpointPrefix::ALL {
                                out.push(base.clone().with_prefix(p));
                                out.push(base.clone().with_prefix(p).with_resource("my.bucket"));
                            }
                        }
                    }
                }
                Family::OutpostsAccessPoint => out.push(ServiceName::outposts_access_point(
                    region,
                    "op-01234567890123456",
                    "reports-123456789012",
                )),
                f => {
                    out.push(ServiceName::new(f, svc, region));
                    if def.lead != Lead::Wildcard
                        || service::service(svc).is_some_and(|s| s.wildcard)
                    {
                        out.push(ServiceName::new(f, svc, region).with_resource("my.bucket-1"));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_family_in_every_region_round_trips() {
        let mut checked = 0;
        for def in FAMILIES {
            for r in REGIONS {
                if !def.regions.admit(r.name) {
                    continue;
                }
                for value in samples(def, r.name) {
                    let name = value.render();
                    assert!(value.exists() || value.service == "widgets", "{name}");
                    assert!(name.ends_with(r.dns_suffix()), "{name}");
                    let back = ServiceName::parse(&name)
                        .unwrap_or_else(|| panic!("{name} ({}) does not parse", def.family));
                    assert_eq!(back, value, "{name}");
                    assert_eq!(back.render(), name);
                    assert_eq!(back.into_owned(), value);
                    checked += 1;
                }
            }
        }
        assert!(checked > 1000, "{checked}");
    }

    #[test]
    fn parses_the_examples_of_the_guide_and_the_seeds() {
        let n = parse("vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com");
        assert_eq!(
            (n.family, n.service.as_ref(), n.region.as_ref()),
            (Family::Endpoint, "s3", "us-east-1")
        );
        let e = n.endpoint.as_ref().unwrap();
        assert_eq!(
            (e.id.as_ref(), e.dns_id.as_ref()),
            ("vpce-1a2b3c4d", "5e6f")
        );
        let n = parse("vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com");
        assert_eq!(n.family, Family::EndpointZonal);
        assert_eq!(n.endpoint.unwrap().zone.as_deref(), Some("us-east-1a"));
        let n = parse("vpce-0e25b8cdd720f900e-argc85vg.s3.us-east-1.vpce.amazonaws.com");
        assert_eq!(n.endpoint.unwrap().dns_id, "argc85vg");
        for (name, prefix) in [
            (
                "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                EndpointPrefix::Bucket,
            ),
            (
                "accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                EndpointPrefix::AccessPoint,
            ),
            (
                "control.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
                EndpointPrefix::Control,
            ),
        ] {
            let n = parse(name);
            assert_eq!(
                (n.family, n.prefix(), n.resource),
                (Family::Endpoint, Some(prefix), None)
            );
        }
        let n = parse(
            "test-123456789012.accesspoint.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
        );
        assert_eq!(n.resource.as_deref(), Some("test-123456789012"));
        let n = parse("123456789012.control.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com");
        assert_eq!(n.resource.as_deref(), Some("123456789012"));
        // Private DNS for S3 (GUIDE §2).
        for (name, family) in [
            ("s3.us-east-1.amazonaws.com", Family::Regional),
            ("s3-control.us-east-1.amazonaws.com", Family::Control),
            (
                "s3-accesspoint.us-east-1.amazonaws.com",
                Family::AccessPoint,
            ),
            ("s3.amazonaws.com", Family::Global),
            ("s3-fips.us-east-1.amazonaws.com", Family::Fips),
            (
                "s3-fips.dualstack.us-east-1.amazonaws.com",
                Family::FipsDualStack,
            ),
            ("s3.dualstack.eu-west-1.amazonaws.com", Family::DualStack),
            (
                "my-site.s3-website-us-east-1.amazonaws.com",
                Family::Website,
            ),
            (
                "my-site.s3-website.eu-central-1.amazonaws.com",
                Family::Website,
            ),
            ("s3-outposts.us-west-2.amazonaws.com", Family::Regional),
        ] {
            assert_eq!(parse(name).family, family, "{name}");
        }
        let n =
            parse("reports-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com");
        assert_eq!(
            (
                n.family,
                n.service.as_ref(),
                n.region.as_ref(),
                n.resource.as_deref(),
                n.outpost.as_deref()
            ),
            (
                Family::OutpostsAccessPoint,
                "s3-outposts",
                "us-west-2",
                Some("reports-123456789012"),
                Some("op-01234567890123456")
            )
        );
        assert_eq!(parse("s3.amazonaws.com").region, "us-east-1");
    }

    #[test]
    fn service_labels_and_resources() {
        let n = parse("api.ecr.us-east-1.amazonaws.com");
        assert_eq!((n.service.as_ref(), n.resource), ("ecr.api", None));
        let n = parse("111122223333.dkr.ecr.us-east-1.amazonaws.com");
        assert_eq!(
            (n.service.as_ref(), n.resource.as_deref()),
            ("ecr.dkr", Some("111122223333"))
        );
        assert_eq!(
            parse("kinesis.us-east-1.amazonaws.com").service,
            "kinesis-streams"
        );
        let n = parse("vpce-0721f1bf88e127857-ir18s80p.kinesis.us-east-1.vpce.amazonaws.com");
        assert_eq!(n.service, "kinesis-streams");
        assert_eq!(
            ServiceName::endpoint("kinesis-streams", "us-east-1", "vpce-1", "ab", None).render(),
            "vpce-1-ab.kinesis.us-east-1.vpce.amazonaws.com"
        );
        let n = parse("vpce-1a2b3c4d-5e6f.api.ecr.us-east-1.vpce.amazonaws.com");
        assert_eq!(n.service, "ecr.api");
        let n = parse("my.bucket.s3.us-west-2.amazonaws.com");
        assert_eq!(
            (n.family, n.service.as_ref(), n.resource.as_deref()),
            (Family::Regional, "s3", Some("my.bucket"))
        );
        assert_eq!(
            parse("s3.cn-north-1.amazonaws.com.cn").partition(),
            Partition::AwsCn
        );
        assert_eq!(
            ServiceName::new(Family::Website, "s3", "cn-northwest-1").render(),
            "s3-website.cn-northwest-1.amazonaws.com.cn"
        );
    }

    #[test]
    fn names_written_otherwise_are_not_service_names() {
        for name in [
            // The other website separator.
            "my-site.s3-website.us-east-1.amazonaws.com",
            "my-site.s3-website-eu-central-1.amazonaws.com",
            // No FIPS in this Region.
            "s3-fips.eu-west-1.amazonaws.com",
            // The wrong partition suffix.
            "s3.cn-north-1.amazonaws.com",
            "s3.us-east-1.amazonaws.com.cn",
            // Prefixes are S3's; a resource needs a prefix; unknown prefixes.
            "bucket.vpce-1a2b3c4d-5e6f.sts.us-east-1.vpce.amazonaws.com",
            "x.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            "objects.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            // A zone of another Region; a malformed id.
            "vpce-1a2b3c4d-5e6f-us-west-2a.s3.us-east-1.vpce.amazonaws.com",
            "vpce-xyz-5e6f.s3.us-east-1.vpce.amazonaws.com",
            // An Outposts access point name needs its access point.
            "op-01234567890123456.s3-outposts.us-west-2.amazonaws.com",
            // Only S3, registries and APIs have names below their Regional name.
            "x.sts.us-east-1.amazonaws.com",
            // Not AWS's.
            "example.com",
            "amazonaws.com",
            "vpce.amazonaws.com",
            "sts.amazonaws.com",
            "s3..us-east-1.amazonaws.com",
            ".s3.us-east-1.amazonaws.com",
        ] {
            assert_eq!(ServiceName::parse(name), None, "{name}");
        }
        // Shapes parse in Regions vpcsim does not list, but do not exist.
        let n = parse("s3.xx-east-1.amazonaws.com");
        assert!(!n.exists());
        assert!(!ServiceName::new(Family::Fips, "s3", "eu-west-1").exists());
        assert!(parse("sts.us-east-1.amazonaws.com").exists());
    }

    /// Parsing is exact on any input: whatever parses renders back to the same text, and nothing
    /// panics (mutations of real names: characters dropped, doubled, replaced).
    #[test]
    fn whatever_parses_renders_back_and_nothing_panics() {
        let seeds = [
            "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            "vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com",
            "my.bucket.s3.dualstack.cn-north-1.amazonaws.com.cn",
            "reports-123456789012.op-01234567890123456.s3-outposts.us-west-2.amazonaws.com",
            "site.s3-website-us-east-1.amazonaws.com",
            "b.s3-fips.dualstack.us-gov-west-1.amazonaws.com",
            "111122223333.dkr.ecr.eu-west-1.amazonaws.com",
            "s3.amazonaws.com",
        ];
        let mut parsed = 0;
        for seed in seeds {
            let b = seed.as_bytes();
            let mut variants = vec![seed.to_string()];
            for i in 0..b.len() {
                let (head, tail) = (&seed[..i], &seed[i..]);
                variants.push(format!("{head}{}", &tail[1..]));
                for c in [".", "-", "a", "1", "..", "vpce-", "op-"] {
                    variants.push(format!("{head}{c}{tail}"));
                    variants.push(format!("{head}{c}{}", &tail[1..]));
                }
            }
            for v in variants {
                if let Some(n) = ServiceName::parse(&v) {
                    assert_eq!(n.render(), v.trim_end_matches('.'), "{v}: {n:?}");
                    parsed += 1;
                }
            }
        }
        assert!(parsed > 100, "{parsed}");
    }

    /// The S3 shortcut answers only what the templates answer: on every family's names in every
    /// Region, on the seeds' mutations, and on shapes near its own.
    #[test]
    fn the_s3_shortcut_agrees_with_the_templates() {
        let mut names: Vec<String> = Vec::new();
        for def in FAMILIES {
            for r in REGIONS {
                if def.regions.admit(r.name) {
                    names.extend(samples(def, r.name).iter().map(ServiceName::render));
                }
            }
        }
        let seeds = [
            "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
            "my.bucket.accesspoint.vpce-0e25b8cdd720f900e-argc85vg.s3.eu-west-1.vpce.amazonaws.com",
            "vpce-1a2b3c4d-us-east-1.s3.us-east-1.vpce.amazonaws.com",
            "control.vpce-1a2b3c4g-5e6f.s3.us-east-1.vpce.amazonaws.com",
            "vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com",
            "my.bucket.s3.cn-north-1.amazonaws.com.cn",
            "s3.us-gov-west-1.amazonaws.com",
            "x.s3-fips.s3.us-east-1.amazonaws.com",
            "s3.dualstack.s3.us-east-1.amazonaws.com",
        ];
        for seed in seeds {
            names.push(seed.to_string());
            for i in 0..seed.len() {
                let (head, tail) = (&seed[..i], &seed[i..]);
                names.push(format!("{head}{}", &tail[1..]));
                for c in [".", "-", "a", "g", "1", "..", "vpce-", "s3.", "us-east-1-"] {
                    names.push(format!("{head}{c}{tail}"));
                    names.push(format!("{head}{c}{}", &tail[1..]));
                }
            }
        }
        let mut taken = 0;
        for name in &names {
            // `parse_s3` is `parse` for the names that carry `s3`.
            assert_eq!(
                ServiceName::parse_s3(name),
                ServiceName::parse(name).filter(|_| name.contains("s3")),
                "{name}"
            );
            let name = name.strip_suffix('.').unwrap_or(name);
            let Some((body, suffix)) = split_suffix(name) else {
                continue;
            };
            if let Some(fast) = parse_common_s3(body, suffix) {
                assert_eq!(
                    Some(&fast),
                    parse_templates(body, suffix).as_ref(),
                    "{name}"
                );
                taken += 1;
            }
        }
        assert!(taken > 500, "{taken}");
    }

    /// [`endpoint_label`] reads what splitting the last label at its last hyphen and checking
    /// both parts read before it (the reference below), on labels and their mutations.
    #[test]
    fn endpoint_labels_read_as_the_split_read() {
        fn reference(text: &str) -> Option<(usize, &str, &str)> {
            let label_start = text.rfind('.').map_or(0, |i| i + 1);
            let label = &text[label_start..];
            let (id, dns_id) = label.rsplit_once('-')?;
            let hex = id.strip_prefix("vpce-")?;
            let ok = !hex.is_empty()
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                && !dns_id.is_empty()
                && dns_id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
            ok.then_some((label_start, id, dns_id))
        }
        let seeds = [
            "vpce-1a2b3c4d-5e6f",
            "bucket.vpce-bb575316000000000-nhyz809d",
            "my.bucket.accesspoint.vpce-0e25b8cdd720f900e-argc85vg",
            "vpce-1a2b3c4d-us-east-1a",
            "x.vpce-",
        ];
        let mut read = 0;
        for seed in seeds {
            let mut texts = vec![seed.to_string()];
            for i in 0..seed.len() {
                let (head, tail) = (&seed[..i], &seed[i..]);
                texts.push(format!("{head}{}", &tail[1..]));
                for c in [".", "-", "a", "g", "1", "A", "vpce-", "é"] {
                    texts.push(format!("{head}{c}{tail}"));
                    texts.push(format!("{head}{c}{}", &tail[1..]));
                }
            }
            for t in &texts {
                assert_eq!(endpoint_label(t), reference(t), "{t}");
                read += usize::from(reference(t).is_some());
            }
        }
        assert!(read > 100, "{read}");
    }

    #[test]
    fn suffixes_are_the_partitions_longest_first() {
        for p in Partition::ALL {
            assert!(SUFFIXES.contains(&p.dns_suffix()), "{p}");
        }
        for s in SUFFIXES {
            assert!(Partition::ALL.iter().any(|p| p.dns_suffix() == s), "{s}");
        }
        assert!(SUFFIXES.windows(2).all(|w| w[0].len() > w[1].len()));
    }

    #[test]
    fn access_point_labels_and_private_dns() {
        assert_eq!(
            access_point_label("reports", "123456789012"),
            "reports-123456789012"
        );
        assert_eq!(
            split_access_point_label("my-ap-123456789012"),
            Some(("my-ap", "123456789012"))
        );
        assert_eq!(split_access_point_label("my-ap"), None);
        let names = |id| -> Vec<(String, bool)> {
            private_dns_names(id, "us-east-1")
                .into_iter()
                .map(|(n, w)| (n.render(), w))
                .collect()
        };
        assert_eq!(
            names("s3"),
            [
                ("s3.us-east-1.amazonaws.com".to_string(), true),
                ("s3-control.us-east-1.amazonaws.com".to_string(), true),
                ("s3-accesspoint.us-east-1.amazonaws.com".to_string(), true),
            ]
        );
        assert_eq!(
            names("ecr.dkr"),
            [("dkr.ecr.us-east-1.amazonaws.com".to_string(), true)]
        );
        assert_eq!(
            names("sagemaker.api"),
            [("api.sagemaker.us-east-1.amazonaws.com".to_string(), false)]
        );
        assert_eq!(
            names("kinesis-streams"),
            [("kinesis.us-east-1.amazonaws.com".to_string(), false)]
        );
        assert_eq!(
            names("widgets"),
            [("widgets.us-east-1.amazonaws.com".to_string(), false)]
        );
        assert!(names("glacier").is_empty());
    }
}

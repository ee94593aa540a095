//! The AWS vocabulary: the names and rules of AWS that every other crate speaks, written once as
//! data.
//!
//! vpcsim builds DNS names (the topology's endpoint names, every zone of the DNS model, the
//! generator's expectations) and reads them back (the request parser recognising an S3 host, the
//! DNS model explaining an NXDOMAIN). Both directions come from the same tables here, so they
//! cannot disagree:
//!
//! - [`region`]: the [`Partition`]s (`aws`, `aws-cn`, `aws-us-gov`) with their DNS suffixes,
//!   every public [`Region`] ([`REGIONS`]), and the rules of zone names (`us-east-1a`,
//!   `us-east-1-bos-1a`).
//! - [`service`]: the services vpcsim knows ([`SERVICES`]): their endpoint service ids, the labels
//!   their names carry (`kinesis-streams` → `kinesis`, `ecr.dkr` → `dkr.ecr`), gateway endpoints,
//!   private DNS names.
//! - [`name`]: each family of service DNS names ([`Family`]: Regional, dual-stack, FIPS, control,
//!   access point, website, legacy global, interface endpoint Regional and zonal names with their
//!   `bucket.`/`accesspoint.`/`control.` prefixes, S3 on Outposts access points) as a template in
//!   [`FAMILIES`]; [`ServiceName`] is a name as a typed value, rendered by
//!   [`ServiceName::render`] and parsed by [`ServiceName::parse`], which round-trip.
//! - [`record`]: DNS [`RecordType`]s and the rules their values follow (MX preference and SRV
//!   port are 16-bit, TXT strings at most 255 bytes, labels at most 63 octets, names at most 255),
//!   as functions that return the rule broken ([`ValueError`], [`NameError`]).
//!
//! Invariant: pure data and functions. This crate depends on nothing of vpcsim's and on no other
//! crate (no DNS library either: `vpcsim-server` maps [`RecordType`] to wire types); it does no
//! I/O and keeps no state.

pub mod name;
pub mod record;
pub mod region;
pub mod service;

pub use name::{
    EndpointLabel, EndpointPrefix, FAMILIES, Family, FamilyDef, ServiceName, access_point_label,
    private_dns_names, split_access_point_label,
};
pub use record::{NameError, RecordType, ValueError, check_name};
pub use region::{
    Partition, REGIONS, Region, ec2_internal_domain, looks_like_region, region_of_zone,
    zone_in_region,
};
pub use service::{SERVICES, Service};

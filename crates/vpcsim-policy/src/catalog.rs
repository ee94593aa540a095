//! What vpcsim knows of S3's authorization vocabulary: the S3 (and S3 on Outposts) actions with
//! the resource types each applies to, and the condition keys of S3 and the global ones, from the
//! Service Authorization Reference, "Actions, resources, and condition keys for Amazon S3"
//! (<https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html>) and
//! the S3 user guide's "Amazon S3 policy actions" by resource type
//! (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-actions.html>). The lists
//! cover the general purpose bucket actions, access points and Batch Operations jobs; actions of
//! other S3 features (Storage Lens, Multi-Region Access Points, Access Grants, Object Lambda,
//! directory buckets) are listed without their resource types ([`Resource::Unchecked`]): known,
//! not checked against resources.

/// A resource type of S3, as an ARN names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// A bucket: `arn:aws:s3:::BUCKET`.
    Bucket,
    /// An object: `arn:aws:s3:::BUCKET/KEY`, or through an access point
    /// `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME/object/KEY`.
    Object,
    /// An access point: `arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME`.
    AccessPoint,
    /// A Batch Operations job: `arn:aws:s3:REGION:ACCOUNT:job/ID`.
    Job,
    /// No resource: the action needs `"Resource": "*"` (account-level actions).
    Account,
    /// A resource type vpcsim does not check.
    Unchecked,
}

impl Resource {
    /// How an ARN of this type is written, for messages.
    pub fn example(self) -> &'static str {
        match self {
            Resource::Bucket => "arn:aws:s3:::BUCKET",
            Resource::Object => "arn:aws:s3:::BUCKET/KEY (or …:accesspoint/NAME/object/KEY)",
            Resource::AccessPoint => "arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME",
            Resource::Job => "arn:aws:s3:REGION:ACCOUNT:job/ID",
            Resource::Account => "\"*\"",
            Resource::Unchecked => "",
        }
    }

    /// Its name in sentences: `a bucket`.
    pub fn describe(self) -> &'static str {
        match self {
            Resource::Bucket => "buckets",
            Resource::Object => "objects",
            Resource::AccessPoint => "access points",
            Resource::Job => "Batch Operations jobs",
            Resource::Account => "no resource (the account)",
            Resource::Unchecked => "resources vpcsim does not check",
        }
    }
}

const OBJECT: &[&str] = &[
    "AbortMultipartUpload",
    "BypassGovernanceRetention",
    "DeleteObject",
    "DeleteObjectTagging",
    "DeleteObjectVersion",
    "DeleteObjectVersionTagging",
    "GetObject",
    "GetObjectAcl",
    "GetObjectAttributes",
    "GetObjectLegalHold",
    "GetObjectRetention",
    "GetObjectTagging",
    "GetObjectTorrent",
    "GetObjectVersion",
    "GetObjectVersionAcl",
    "GetObjectVersionAttributes",
    "GetObjectVersionForReplication",
    "GetObjectVersionTagging",
    "GetObjectVersionTorrent",
    "InitiateReplication",
    "ListMultipartUploadParts",
    "ObjectOwnerOverrideToBucketOwner",
    "PutObject",
    "PutObjectAcl",
    "PutObjectLegalHold",
    "PutObjectRetention",
    "PutObjectTagging",
    "PutObjectVersionAcl",
    "PutObjectVersionTagging",
    "ReplicateDelete",
    "ReplicateObject",
    "ReplicateTags",
    "RestoreObject",
];

const BUCKET: &[&str] = &[
    "CreateBucket",
    "DeleteBucket",
    "DeleteBucketOwnershipControls",
    "DeleteBucketPolicy",
    "DeleteBucketWebsite",
    "GetAccelerateConfiguration",
    "GetAnalyticsConfiguration",
    "GetBucketAcl",
    "GetBucketCORS",
    "GetBucketLocation",
    "GetBucketLogging",
    "GetBucketNotification",
    "GetBucketObjectLockConfiguration",
    "GetBucketOwnershipControls",
    "GetBucketPolicy",
    "GetBucketPolicyStatus",
    "GetBucketPublicAccessBlock",
    "GetBucketRequestPayment",
    "GetBucketTagging",
    "GetBucketVersioning",
    "GetBucketWebsite",
    "GetEncryptionConfiguration",
    "GetIntelligentTieringConfiguration",
    "GetInventoryConfiguration",
    "GetLifecycleConfiguration",
    "GetMetricsConfiguration",
    "GetReplicationConfiguration",
    "ListBucket",
    "ListBucketMultipartUploads",
    "ListBucketVersions",
    "PutAccelerateConfiguration",
    "PutAnalyticsConfiguration",
    "PutBucketAcl",
    "PutBucketCORS",
    "PutBucketLogging",
    "PutBucketNotification",
    "PutBucketObjectLockConfiguration",
    "PutBucketOwnershipControls",
    "PutBucketPolicy",
    "PutBucketPublicAccessBlock",
    "PutBucketRequestPayment",
    "PutBucketTagging",
    "PutBucketVersioning",
    "PutBucketWebsite",
    "PutEncryptionConfiguration",
    "PutIntelligentTieringConfiguration",
    "PutInventoryConfiguration",
    "PutLifecycleConfiguration",
    "PutMetricsConfiguration",
    "PutReplicationConfiguration",
];

const ACCESS_POINT: &[&str] = &[
    "CreateAccessPoint",
    "DeleteAccessPoint",
    "DeleteAccessPointPolicy",
    "GetAccessPointPolicy",
    "GetAccessPointPolicyStatus",
    "PutAccessPointPolicy",
];

const JOB: &[&str] = &[
    "DeleteJobTagging",
    "DescribeJob",
    "GetJobTagging",
    "PutJobTagging",
    "UpdateJobPriority",
    "UpdateJobStatus",
];

const ACCOUNT: &[&str] = &[
    "CreateJob",
    "GetAccountPublicAccessBlock",
    "ListAccessPoints",
    "ListAllMyBuckets",
    "ListJobs",
    "PutAccountPublicAccessBlock",
];

/// Actions known by name whose resource types vpcsim does not check.
const UNCHECKED: &[&str] = &[
    "CreateAccessPointForObjectLambda",
    "CreateMultiRegionAccessPoint",
    "DeleteAccessPointForObjectLambda",
    "DeleteMultiRegionAccessPoint",
    "DeleteStorageLensConfiguration",
    "DescribeMultiRegionAccessPointOperation",
    "GetAccessPoint",
    "GetAccessPointForObjectLambda",
    "GetMultiRegionAccessPoint",
    "GetMultiRegionAccessPointPolicy",
    "GetStorageLensConfiguration",
    "GetStorageLensDashboard",
    "ListAccessPointsForObjectLambda",
    "ListMultiRegionAccessPoints",
    "ListStorageLensConfigurations",
    "PutMultiRegionAccessPointPolicy",
    "PutStorageLensConfiguration",
    "CreateSession",
];

/// The resource type an S3 action applies to, by its name without the prefix (`GetObject`),
/// compared without case as IAM does; `None` for an action vpcsim does not know.
pub fn action_resource(name: &str) -> Option<Resource> {
    let find = |list: &[&str]| list.iter().any(|a| a.eq_ignore_ascii_case(name));
    [
        (OBJECT, Resource::Object),
        (BUCKET, Resource::Bucket),
        (ACCESS_POINT, Resource::AccessPoint),
        (JOB, Resource::Job),
        (ACCOUNT, Resource::Account),
        (UNCHECKED, Resource::Unchecked),
    ]
    .into_iter()
    .find(|(list, _)| find(list))
    .map(|(_, r)| r)
}

/// Every S3 action name vpcsim knows.
pub fn actions() -> impl Iterator<Item = &'static str> {
    [OBJECT, BUCKET, ACCESS_POINT, JOB, ACCOUNT, UNCHECKED]
        .into_iter()
        .flatten()
        .copied()
}

/// The resource type an S3 or S3 on Outposts ARN (or ARN pattern) names, when the pattern can
/// only name one: `Some(None)` for an ARN of another service, `None` when a wildcard leaves it
/// open (`*`, `arn:aws:s3:::my-*`).
pub fn arn_resource(pattern: &str) -> Option<Option<Resource>> {
    let wild = |s: &str| s.contains(['*', '?']) || s.contains("${");
    if pattern == "*" {
        return None;
    }
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return None;
    }
    let (service, rest) = (parts[2], parts[5]);
    if wild(service) {
        return None;
    }
    match service {
        "s3" if parts[3].is_empty() && parts[4].is_empty() => {
            // arn:aws:s3:::BUCKET or BUCKET/KEY: a key makes it an object; without one, a
            // wildcard could still reach past the bucket name.
            if rest.contains('/') {
                Some(Some(Resource::Object))
            } else if wild(rest) {
                None
            } else {
                Some(Some(Resource::Bucket))
            }
        }
        "s3" | "s3-outposts" => {
            let kind = rest.split('/').next().unwrap_or("");
            if wild(kind) {
                return None;
            }
            if rest.contains("/object/") {
                return Some(Some(Resource::Object));
            }
            // The last kind word of `kind/NAME/kind/NAME…`.
            let words: Vec<&str> = rest.split('/').collect();
            let last_kind = words
                .chunks(2)
                .filter_map(|c| c.first().copied())
                .next_back()
                .unwrap_or(kind);
            match last_kind {
                "accesspoint" => Some(Some(Resource::AccessPoint)),
                "bucket" => Some(Some(Resource::Bucket)),
                "job" => Some(Some(Resource::Job)),
                _ if wild(rest) => None,
                _ => Some(Some(Resource::Unchecked)),
            }
        }
        _ => Some(None),
    }
}

/// Global condition keys (compared without case); those ending in `/` take a tag key after them.
const GLOBAL_KEYS: &[&str] = &[
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:FederatedProvider",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalTag/",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:RequestedRegion",
    "aws:RequestTag/",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:TagKeys",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:userid",
    "aws:username",
    "aws:ViaAWSService",
    "aws:VpcSourceIp",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:AssumedRoot",
];

/// S3's condition keys (compared without case); those ending in `/` take a tag key after them.
const S3_KEYS: &[&str] = &[
    "s3:AccessGrantsInstanceArn",
    "s3:AccessPointNetworkOrigin",
    "s3:authType",
    "s3:BucketTag/",
    "s3:DataAccessPointAccount",
    "s3:DataAccessPointArn",
    "s3:delimiter",
    "s3:ExistingJobOperation",
    "s3:ExistingJobPriority",
    "s3:ExistingObjectTag/",
    "s3:if-match",
    "s3:if-none-match",
    "s3:JobSuspendedCause",
    "s3:LocationConstraint",
    "s3:max-keys",
    "s3:object-lock-legal-hold",
    "s3:object-lock-mode",
    "s3:object-lock-remaining-retention-days",
    "s3:object-lock-retain-until-date",
    "s3:ObjectCreationOperation",
    "s3:prefix",
    "s3:RequestJobOperation",
    "s3:RequestJobPriority",
    "s3:RequestObjectTag/",
    "s3:RequestObjectTagKeys",
    "s3:ResourceAccount",
    "s3:signatureAge",
    "s3:signatureversion",
    "s3:TlsVersion",
    "s3:versionid",
    "s3:x-amz-acl",
    "s3:x-amz-content-sha256",
    "s3:x-amz-copy-source",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-server-side-encryption-customer-algorithm",
    "s3:x-amz-storage-class",
    "s3:x-amz-website-redirect-location",
];

/// The type of a condition key's values, as the Service Authorization Reference and "AWS global
/// condition context keys" give it: what operators fit the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// Text.
    String,
    /// Several texts (a multivalued key).
    ArrayOfString,
    /// A number.
    Numeric,
    /// A date and time.
    Date,
    /// `true` or `false`.
    Bool,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// An ARN.
    Arn,
}

impl KeyType {
    /// As the reference writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyType::String => "String",
            KeyType::ArrayOfString => "ArrayOfString",
            KeyType::Numeric => "Numeric",
            KeyType::Date => "Date",
            KeyType::Bool => "Bool",
            KeyType::IpAddress => "IPAddress",
            KeyType::Arn => "ARN",
        }
    }
}

/// The known keys whose values are not plain text, with their type; every other known key is a
/// `String` (tag keys too), except those of [`UNTYPED_KEYS`].
const KEY_TYPES: &[(&str, KeyType)] = &[
    ("aws:CalledVia", KeyType::ArrayOfString),
    ("aws:CurrentTime", KeyType::Date),
    ("aws:EpochTime", KeyType::Date),
    ("aws:MultiFactorAuthAge", KeyType::Numeric),
    ("aws:MultiFactorAuthPresent", KeyType::Bool),
    ("aws:PrincipalArn", KeyType::Arn),
    ("aws:PrincipalIsAWSService", KeyType::Bool),
    ("aws:PrincipalOrgPaths", KeyType::ArrayOfString),
    ("aws:PrincipalServiceNamesList", KeyType::ArrayOfString),
    ("aws:ResourceOrgPaths", KeyType::ArrayOfString),
    ("aws:SecureTransport", KeyType::Bool),
    ("aws:SourceArn", KeyType::Arn),
    ("aws:SourceIp", KeyType::IpAddress),
    ("aws:SourceOrgPaths", KeyType::ArrayOfString),
    ("aws:SourceVpcArn", KeyType::Arn),
    ("aws:TagKeys", KeyType::ArrayOfString),
    ("aws:TokenIssueTime", KeyType::Date),
    ("aws:ViaAWSService", KeyType::Bool),
    ("aws:VpcSourceIp", KeyType::IpAddress),
    ("aws:VpceOrgPaths", KeyType::ArrayOfString),
    ("aws:Ec2InstanceSourcePrivateIPv4", KeyType::IpAddress),
    ("aws:AssumedRoot", KeyType::Bool),
    ("s3:AccessGrantsInstanceArn", KeyType::Arn),
    ("s3:ExistingJobPriority", KeyType::Numeric),
    ("s3:max-keys", KeyType::Numeric),
    ("s3:object-lock-remaining-retention-days", KeyType::Numeric),
    ("s3:object-lock-retain-until-date", KeyType::Date),
    ("s3:RequestJobPriority", KeyType::Numeric),
    ("s3:RequestObjectTagKeys", KeyType::ArrayOfString),
    ("s3:signatureAge", KeyType::Numeric),
    ("s3:TlsVersion", KeyType::Numeric),
];

/// Known keys whose type vpcsim does not hold (not checked against operators).
const UNTYPED_KEYS: &[&str] = &["s3:ObjectCreationOperation"];

/// The type of a known global or S3 condition key (compared without case); `None` for a key
/// vpcsim does not know or whose type it does not hold.
pub fn key_type(key: &str) -> Option<KeyType> {
    if known_key(key) != Some(true) || UNTYPED_KEYS.iter().any(|k| k.eq_ignore_ascii_case(key)) {
        return None;
    }
    Some(
        KEY_TYPES
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map_or(KeyType::String, |(_, t)| *t),
    )
}

/// The `x-amz-grant-*` keys and `s3:x-amz-acl`: the ACL a request sets.
const ACL_HEADER_KEYS: &[&str] = &[
    "s3:x-amz-acl",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
];

/// What `s3:PutObject` (PutObject, CopyObject, CreateMultipartUpload, UploadPart…) can carry.
const PUT_OBJECT_HEADER_KEYS: &[&str] = &[
    "s3:x-amz-acl",
    "s3:x-amz-copy-source",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-metadata-directive",
    "s3:x-amz-server-side-encryption",
    "s3:x-amz-server-side-encryption-aws-kms-key-id",
    "s3:x-amz-storage-class",
    "s3:x-amz-website-redirect-location",
];

/// What `s3:PutObjectAcl` and `s3:PutObjectVersionAcl` can carry.
const PUT_OBJECT_ACL_HEADER_KEYS: &[&str] = &[
    "s3:x-amz-acl",
    "s3:x-amz-grant-full-control",
    "s3:x-amz-grant-read",
    "s3:x-amz-grant-read-acp",
    "s3:x-amz-grant-write",
    "s3:x-amz-grant-write-acp",
    "s3:x-amz-storage-class",
];

/// The condition keys S3 takes from a request header (the key is `s3:` and the header's name)
/// for `action` (`s3:PutObject`, compared without case), as the Service Authorization Reference
/// lists them per action: `s3:x-amz-server-side-encryption` for `s3:PutObject`, the ACL keys
/// for `s3:CreateBucket`, `s3:PutBucketAcl`, `s3:PutObjectAcl`… Empty for an action that takes
/// none, and for S3 on Outposts' actions (whose keys are `s3-outposts:`). Of the header keys the
/// reference has, `s3:x-amz-content-sha256` (every action), the Object Lock keys and
/// `s3:x-amz-server-side-encryption-customer-algorithm` are not listed: a request through
/// vpcsim does not carry them.
pub fn header_keys(action: &str) -> &'static [&'static str] {
    let Some(name) = s3_action(action)
        .filter(|(svc, _)| svc.eq_ignore_ascii_case("s3"))
        .map(|(_, n)| n)
    else {
        return &[];
    };
    let is = |n: &str| name.eq_ignore_ascii_case(n);
    if is("PutObject") {
        PUT_OBJECT_HEADER_KEYS
    } else if is("PutObjectAcl") || is("PutObjectVersionAcl") {
        PUT_OBJECT_ACL_HEADER_KEYS
    } else if is("CreateBucket") || is("PutBucketAcl") {
        ACL_HEADER_KEYS
    } else if is("CreateAccessPoint") {
        &ACL_HEADER_KEYS[..1]
    } else {
        &[]
    }
}

/// The AWS-managed SCP `FullAWSAccess`, attached to every node of an organization by default.
pub const FULL_AWS_ACCESS: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

/// Splits `s3:GetObject` (or `s3-outposts:GetObject`) into its prefix and name; `None` for
/// another service's action.
pub fn s3_action(action: &str) -> Option<(&str, &str)> {
    let (svc, name) = action.split_once(':')?;
    (svc.eq_ignore_ascii_case("s3") || svc.eq_ignore_ascii_case("s3-outposts"))
        .then_some((svc, name))
}

/// Whether a condition key is one vpcsim knows: a global key or an S3 key. `None` for a key of
/// another service (`ec2:…`), which is not checked.
pub fn known_key(key: &str) -> Option<bool> {
    let starts = |prefix: &str| {
        key.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let list = if starts("aws:") {
        GLOBAL_KEYS
    } else if starts("s3:") {
        S3_KEYS
    } else {
        return None;
    };
    Some(list.iter().any(|k| match k.strip_suffix('/') {
        // A tag key after the prefix: `aws:PrincipalTag/team`.
        Some(prefix) => {
            starts(prefix) && key.len() > k.len() && key.as_bytes()[prefix.len()] == b'/'
        }
        None => k.eq_ignore_ascii_case(key),
    }))
}

/// The known keys of `key`'s namespace, for "did you mean".
pub fn keys_like(key: &str) -> &'static [&'static str] {
    if key.to_ascii_lowercase().starts_with("s3:") {
        S3_KEYS
    } else {
        GLOBAL_KEYS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_resource_types() {
        let r = |p: &str| arn_resource(p);
        assert_eq!(r("arn:aws:s3:::b"), Some(Some(Resource::Bucket)));
        assert_eq!(r("arn:aws:s3:::b/*"), Some(Some(Resource::Object)));
        assert_eq!(r("arn:aws:s3:::b*"), None);
        assert_eq!(r("*"), None);
        assert_eq!(
            r("arn:aws:s3:us-east-1:111122223333:accesspoint/ap"),
            Some(Some(Resource::AccessPoint))
        );
        assert_eq!(
            r("arn:aws:s3:us-east-1:111122223333:accesspoint/ap/object/k"),
            Some(Some(Resource::Object))
        );
        assert_eq!(
            r("arn:aws:s3:us-east-1:111122223333:job/123"),
            Some(Some(Resource::Job))
        );
        assert_eq!(
            r("arn:aws:s3-outposts:us-west-2:111122223333:outpost/op-01234567890123456/bucket/b"),
            Some(Some(Resource::Bucket))
        );
        assert_eq!(
            r(
                "arn:aws:s3-outposts:us-west-2:111122223333:outpost/op-01234567890123456/accesspoint/a"
            ),
            Some(Some(Resource::AccessPoint))
        );
        assert_eq!(
            r("arn:aws:ec2:us-east-1:111122223333:instance/i-1"),
            Some(None)
        );
        assert_eq!(action_resource("getobject"), Some(Resource::Object));
        assert_eq!(action_resource("ListBucket"), Some(Resource::Bucket));
        assert_eq!(action_resource("GetObjekt"), None);
        assert_eq!(known_key("aws:sourcevpce"), Some(true));
        assert_eq!(known_key("aws:PrincipalTag/team"), Some(true));
        assert_eq!(known_key("aws:PrincipalTag/"), Some(false));
        assert_eq!(known_key("aws:SourceVpcee"), Some(false));
        assert_eq!(known_key("ec2:Region"), None);
        // Types: every typed key is a known one.
        for (k, _) in KEY_TYPES {
            assert_eq!(known_key(k), Some(true), "{k}");
        }
        assert_eq!(key_type("AWS:SOURCEIP"), Some(KeyType::IpAddress));
        assert_eq!(key_type("aws:PrincipalTag/team"), Some(KeyType::String));
        assert_eq!(key_type("s3:TlsVersion"), Some(KeyType::Numeric));
        assert_eq!(key_type("s3:ObjectCreationOperation"), None);
        assert_eq!(key_type("ec2:Region"), None);
        // Header keys: per action, each a known S3 key.
        assert!(header_keys("s3:putobject").contains(&"s3:x-amz-server-side-encryption"));
        assert_eq!(header_keys("s3:CreateAccessPoint"), &["s3:x-amz-acl"]);
        assert!(header_keys("s3:GetObject").is_empty());
        assert!(header_keys("s3-outposts:PutObject").is_empty());
        for action in ["s3:PutObject", "s3:PutObjectAcl", "s3:CreateBucket"] {
            for k in header_keys(action) {
                assert_eq!(known_key(k), Some(true), "{k}");
            }
        }
    }
}

//! The sentences of the policy checks (`vpcsim_policy::lint` returns codes and data): the edge
//! where `validate` and `vpcsim policy eval` say what a check found and how to fix it.

/// The sentence and the fix of a policy check (see `vpcsim_policy::LintKind`).
pub fn lint_text(kind: &vpcsim_policy::LintKind) -> (String, String) {
    use vpcsim_policy::LintKind as K;
    match kind {
        K::UnknownAction { action, suggestion } => (
            format!("'{action}' is not an S3 action vpcsim knows, so it matches no request"),
            match suggestion {
                Some(s) => format!("did you mean '{s}'? (actions are listed in the Service Authorization Reference, \"Actions, resources, and condition keys for Amazon S3\")"),
                None => "see the Service Authorization Reference, \"Actions, resources, and condition keys for Amazon S3\"".into(),
            },
        ),
        K::ActionResourceMismatch { action, applies_to, resources } => (
            format!(
                "'{action}' applies to {}, and no Resource of this statement is one ({}): it matches no request",
                applies_to.describe(),
                resources.join(", ")
            ),
            format!("add a Resource of the form {}", applies_to.example()),
        ),
        K::UnknownConditionKey { key, suggestion } => (
            format!("'{key}' is not a global or S3 condition key, so no request carries it"),
            match suggestion {
                Some(s) => format!("did you mean '{s}'? (keys compare without case)"),
                None => "see \"AWS global condition context keys\" and the S3 condition keys in the Service Authorization Reference".into(),
            },
        ),
        K::DuplicateSid { sid } => (
            format!("Sid '{sid}' is already used by an earlier statement of this policy"),
            "give each statement its own Sid: IAM requires them unique within a policy, and verdicts name statements by Sid".into(),
        ),
        K::AllowWithNotAction => (
            "Allow with NotAction allows every action not listed, of every service".into(),
            "list the actions to allow under Action instead (Access Analyzer flags this pattern)".into(),
        ),
        K::AllowWithNotResource => (
            "Allow with NotResource allows on every resource not listed".into(),
            "list the resources to allow under Resource instead (Access Analyzer flags this pattern)".into(),
        ),
        K::InvalidArn { arn } => (
            format!("'{arn}' starts like an ARN but is not one: an ARN has six parts, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"),
            "write it as arn:aws:s3:::BUCKET or arn:aws:s3:::BUCKET/KEY (empty Region and account for buckets)".into(),
        ),
        K::RedundantAction { action, covered_by } => (
            format!("'{action}' is already allowed or denied by '{covered_by}' in this statement"),
            format!("remove '{action}' (Access Analyzer's redundant action)"),
        ),
        K::RedundantStatement { covered_by, sid } => (
            format!(
                "this statement is already covered by statement {}{}: the same effect, principal and conditions, on the same or more actions and resources",
                covered_by + 1,
                sid.as_ref().map(|s| format!(" ('{s}')")).unwrap_or_default()
            ),
            "remove it, or merge the two (Access Analyzer's redundant statement)".to_string(),
        ),
        K::RedundantResource { resource, covered_by } => (
            format!("'{resource}' is already covered by '{covered_by}' in this statement"),
            format!("remove '{resource}' (Access Analyzer's redundant resource)"),
        ),
        K::OperatorMismatch {
            operator,
            key,
            key_type,
            use_instead,
        } => (
            format!(
                "{operator} compares {}, and '{key}' is of type {} (Access Analyzer's type mismatch): it does not compare what it seems to",
                operator_type(operator),
                key_type.as_str()
            ),
            format!("use {use_instead} for '{key}'"),
        ),
        K::InvalidPrincipal { principal } => (
            format!("'{principal}' is not an AWS principal: IAM refuses such a policy"),
            "write \"*\", a 12-digit account id, or an ARN such as arn:aws:iam::111122223333:role/NAME".into(),
        ),
    }
}

/// What an operator (as written, qualifiers included) compares, in words.
fn operator_type(operator: &str) -> &'static str {
    let base = operator.rsplit(':').next().unwrap_or(operator);
    if base.starts_with("Numeric") {
        "numbers"
    } else if base.starts_with("Date") {
        "dates"
    } else if base.starts_with("Bool") {
        "booleans"
    } else if base.contains("IpAddress") {
        "IP addresses"
    } else if base.starts_with("Arn") {
        "ARNs"
    } else if base.starts_with("Binary") {
        "base64 binary values"
    } else {
        "values"
    }
}

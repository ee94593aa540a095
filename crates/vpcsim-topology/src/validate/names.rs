//! Names: the ones users choose (VPCs, subnets, sites, links…) follow vpcsim's character set, and
//! DNS names (hosted zones, records, Resolver rule and forwarder domains, endpoint services, Regions
//! and Availability Zones, which become parts of DNS names) follow DNS's rules. Names become
//! directories and file names (`vpcsim dns export --view all`), DNS names and ARNs, so a name
//! with `/`, `..`, spaces or control characters is refused where it is written
//! (docs/decisions.md, "Names").

use super::*;

/// The longest name a user chooses.
pub(crate) const NAME_MAX: usize = 64;

/// How much of an invalid name a message repeats.
const SHOWN_MAX: usize = 80;

/// Why `s` is not a valid name of our own: 1 to [`NAME_MAX`] ASCII letters, digits, `-`, `_`
/// and `.`, starting with a letter or digit (so never `.`, `..` or a hidden file's name).
pub(crate) fn name_problem(s: &str) -> Option<String> {
    let Some(first) = s.chars().next() else {
        return Some("a name cannot be empty".into());
    };
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Some(if c == '/' {
            "'/' is not allowed: it separates names in references (VPC/INSTANCE)".into()
        } else {
            format!("'{}' is not allowed", c.escape_debug())
        });
    }
    if !first.is_ascii_alphanumeric() {
        return Some("a name starts with a letter or a digit".into());
    }
    if s.len() > NAME_MAX {
        return Some(format!(
            "a name has at most {NAME_MAX} characters, this one {}",
            s.len()
        ));
    }
    None
}

/// Why `s` is not a valid DNS name. `wildcard`: `*` may be the whole first label (record names).
/// Letters, digits, `-` and `_` (service labels such as `_sip._tcp`) in labels of 1 to 63 octets,
/// at most 253 octets in all without the final dot. International names are written in their
/// ASCII form (`xn--…`), as Route 53 requires.
pub(crate) fn dns_problem(s: &str, wildcard: bool) -> Option<String> {
    let name = s.strip_suffix('.').unwrap_or(s);
    if name.is_empty() {
        return Some("a domain name cannot be empty".into());
    }
    if name.len() > 253 {
        return Some(format!(
            "a domain name has at most 253 characters, this one {}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '*')))
    {
        return Some(if c.is_ascii() {
            format!("'{}' is not allowed", c.escape_debug())
        } else {
            format!(
                "'{}' is not allowed: write an international name in its ASCII form (xn--…)",
                c.escape_debug()
            )
        });
    }
    for (i, label) in name.split('.').enumerate() {
        if label.is_empty() {
            return Some("it has an empty label (a leading dot or two dots in a row)".into());
        }
        if label.len() > 63 {
            return Some(format!(
                "a label has at most 63 characters, '{}…' has {}",
                label.get(..16).unwrap_or_default(),
                label.len()
            ));
        }
        if wildcard && i == 0 && label == "*" {
            continue;
        }
        if label.contains('*') {
            return Some("'*' is only allowed as the whole first label of a record name".into());
        }
    }
    None
}

/// `s` for a message: control characters escaped, cut after [`SHOWN_MAX`] characters.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(SHOWN_MAX)
        .flat_map(char::escape_debug)
        .collect();
    if s.chars().nth(SHOWN_MAX).is_some() {
        out.push('…');
    }
    out
}

impl Builder<'_> {
    /// Reports `name` (a key the user chose, for a `what`) when it breaks the character set.
    fn own_name(&self, name: &Spanned<String>, what: &str) {
        if let Some(why) = name_problem(name.as_str()) {
            self.err(
                "invalid-name",
                name.span,
                format!("'{}' is not a valid {what} name: {why}", shown(name.as_str())),
                format!(
                    "names have 1 to {NAME_MAX} letters, digits, '-', '_' and '.', and start with a letter or a digit"
                ),
            );
        }
    }

    fn own_names<T>(&self, entries: &Entries<T>, what: &str) {
        for e in entries.iter() {
            self.own_name(&e.key, what);
        }
    }

    /// Reports `name` (a domain, for a `what`) when it breaks DNS's rules.
    fn dns_name(&self, name: &Spanned<String>, what: &str, wildcard: bool) {
        if let Some(why) = dns_problem(name.as_str(), wildcard) {
            self.err(
                "invalid-dns-name",
                name.span,
                format!("'{}' is not a valid {what}: {why}", shown(name.as_str())),
                "a domain name has labels of letters, digits, '-' and '_' separated by dots, such as corp.example.com",
            );
        }
    }

    /// Checks every name and domain written in the file (a pass of its own, before anything is
    /// built; a bad name is reported once, here, and otherwise used as written).
    pub(super) fn names(&self, raw: &f::Topology) {
        // Region and Availability Zone names are checked against the AWS vocabulary where the
        // Regions are registered (`region_name`, `regions_and_accounts`).
        for e in raw.vpcs.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "VPC");
            let Some(v) = &e.value else { continue };
            self.own_names(&v.subnets, "subnet");
            self.own_names(&v.route_tables, "route table");
            self.own_names(&v.nat_gateways, "NAT gateway");
            self.own_names(&v.security_groups, "security group");
            self.own_names(&v.network_acls, "network ACL");
            self.own_names(&v.endpoints, "endpoint");
            self.own_names(&v.instances, "instance");
            for ep in v.endpoints.iter().filter_map(|e| e.value.as_ref()) {
                self.dns_name(&ep.service, "service name", false);
            }
            if let Some(r) = &v.resolver.0 {
                self.own_names(&r.rules, "Resolver rule");
                for rule in r.rules.iter().filter_map(|e| e.value.as_ref()) {
                    if rule.domain.as_str() != "." {
                        self.dns_name(&rule.domain, "Resolver rule domain", false);
                    }
                }
            }
        }
        for e in raw.peerings.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "peering");
        }
        for e in raw.dx_gateways.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "Direct Connect gateway");
        }
        for e in raw.links.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "link");
        }
        for e in raw.scenarios.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "scenario");
        }
        for e in raw.outposts.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "Outpost");
        }
        for e in raw.onprem.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "site");
            let Some(s) = &e.value else { continue };
            self.own_names(&s.hosts, "host");
            for fw in s.dns.0.iter().flat_map(|d| d.forward.iter()) {
                if fw.domain.as_str() != "." {
                    self.dns_name(&fw.domain, "forwarded domain", false);
                }
            }
        }
        for e in raw.principals.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "principal");
            if let Some(p) = &e.value {
                self.own_names(&p.policies, "policy");
            }
        }
        for e in raw.hosted_zones.0.iter().flat_map(Entries::iter) {
            self.dns_name(&e.key, "hosted zone name", false);
            // Record names are checked with the AWS vocabulary's rules where records are built
            // (`record`), once the zone's own name is known to be valid.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_our_own() {
        for ok in [
            "a",
            "shared",
            "app-1",
            "DOC_x",
            "v1.2",
            "9lives",
            &"a".repeat(NAME_MAX),
        ] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/abs",
            ".hidden",
            "-rf",
            "_x",
            "a b",
            "tab\t",
            "new\nline",
            "ünï",
            "a\\b",
            &"a".repeat(NAME_MAX + 1),
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn dns_names() {
        for ok in [
            "corp.internal",
            "corp.internal.",
            "s3.us-east-1.amazonaws.com",
            "_sip._tcp.example.com",
            "xn--bcher-kva.example",
            "com",
            &format!("{}.com", "a".repeat(63)),
        ] {
            assert_eq!(dns_problem(ok, false), None, "{ok}");
        }
        assert_eq!(dns_problem("*", true), None);
        assert_eq!(dns_problem("*.app", true), None);
        for bad in [
            "",
            ".",
            "..",
            "a..b",
            ".a",
            "../../etc",
            "a/b.com",
            "a b.com",
            "bücher.example",
            "a*.com",
            "*.app",
            &format!("{}.com", "a".repeat(64)),
            &vec!["abcdefgh"; 30].join("."),
        ] {
            assert!(dns_problem(bad, false).is_some(), "{bad:?}");
        }
        assert!(dns_problem("a.*", true).is_some());
    }
}

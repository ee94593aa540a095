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
    // The usual case, byte by byte (every name of a large file is checked on the thread that
    // builds the model); the checks below find what is wrong.
    let valid = s.len() <= NAME_MAX
        && s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        return None;
    }
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

/// Names vpcsim gives things of its own, and why a name of the user's cannot be one of them.
/// `public` and `all` name views (and `dns export --view all`); `inbound` follows a VPC's name
/// for its Resolver inbound endpoint (`VPC/inbound`); `anonymous` is the unsigned caller; `igw`,
/// `vgw` and `internet` are components of a path (`via:`).
const VIEWS: &[(&str, &str)] = &[
    (
        "public",
        "the public DNS view (`--from public`, `--view public`, and its listener under `vpcsim serve`)",
    ),
    ("all", "every view at once (`vpcsim dns export --view all`)"),
];
const INBOUND: &[(&str, &str)] = &[(
    "inbound",
    "the VPC's Resolver inbound endpoint (`--from VPC/inbound`)",
)];
const ANONYMOUS: &[(&str, &str)] = &[(
    "anonymous",
    "the caller who signs nothing (`--principal anonymous`, `principal: anonymous`)",
)];
const COMPONENTS: &[(&str, &str)] = &[
    ("igw", "the VPC's internet gateway in `via:`"),
    ("vgw", "the VPC's virtual private gateway in `via:`"),
    ("internet", "the internet in `via:`"),
];

/// Why the DNS name `s` may be mistaken for another, if it may: a label written `xn--…` (an
/// international name in its ASCII form) whose Unicode letters mix scripts, such as Cyrillic
/// `а` among Latin letters, or are all Cyrillic or Greek letters that look Latin (`аррӏе`).
/// Latin with Han, Hiragana and Katakana (Japanese), with Han and Bopomofo (Chinese) or with Han
/// and Hangul (Korean) are not mixes: the Unicode "highly restrictive" profile (UTS #39) allows
/// them, as browsers do when they decide to show an international name.
pub(crate) fn confusable(s: &str) -> Option<String> {
    use icu_properties::props::Script;
    use icu_properties::{CodePointMapData, PropertyNamesLong};
    let scripts_of = CodePointMapData::<Script>::new();
    let script_name = PropertyNamesLong::<Script>::new();
    // Only a label written in its ASCII form (`xn--…`) is looked at.
    if !s
        .as_bytes()
        .windows(4)
        .any(|w| w.eq_ignore_ascii_case(b"xn--"))
    {
        return None;
    }
    for label in s.trim_end_matches('.').split('.') {
        let Some(encoded) = label
            .get(..4)
            .filter(|p| p.eq_ignore_ascii_case("xn--"))
            .and_then(|_| label.get(4..))
        else {
            continue;
        };
        // A label that does not decode is left to DNS: it is plain letters, digits and '-'.
        let Some(decoded) = idna::punycode::decode_to_string(encoded) else {
            continue;
        };
        let mut scripts: Vec<Script> = Vec::new();
        for c in decoded.chars() {
            let script = scripts_of.get(c);
            if script != Script::Common && script != Script::Inherited && !scripts.contains(&script)
            {
                scripts.push(script);
            }
        }
        let allowed = |set: &[Script]| scripts.iter().all(|s| set.contains(s));
        let east_asian = allowed(&[
            Script::Latin,
            Script::Han,
            Script::Hiragana,
            Script::Katakana,
        ]) || allowed(&[Script::Latin, Script::Han, Script::Bopomofo])
            || allowed(&[Script::Latin, Script::Han, Script::Hangul]);
        let shown_label = crate_text(&decoded);
        if scripts.len() > 1 && !east_asian {
            let mut names: Vec<&str> = scripts
                .iter()
                .map(|s| script_name.get(*s).unwrap_or("another script"))
                .collect();
            names.sort_unstable();
            let last = names.pop().unwrap_or_default();
            return Some(format!(
                "'{label}' is '{shown_label}', which mixes {} and {last} letters",
                names.join(", ")
            ));
        }
        const CYRILLIC_LOOKALIKES: &str = "асеорхуіјѕԁһӏԛԝѵ";
        const GREEK_LOOKALIKES: &str = "αικνορυχ";
        let lookalikes = match scripts.as_slice() {
            [Script::Cyrillic] => CYRILLIC_LOOKALIKES,
            [Script::Greek] => GREEK_LOOKALIKES,
            _ => continue,
        };
        let letters = decoded.chars().filter(|c| c.is_alphabetic());
        if letters.clone().count() > 0 && letters.clone().all(|c| lookalikes.contains(c)) {
            return Some(format!(
                "'{label}' is '{shown_label}', whose {} letters all look like Latin ones",
                script_name.get(scripts[0]).unwrap_or("letters")
            ));
        }
    }
    None
}

/// `s` with control characters escaped, for a message.
fn crate_text(s: &str) -> String {
    vpcsim_syntax::text::escape(s).into_owned()
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

    /// Reports `name` (a domain, for a `what`) when it breaks DNS's rules, and warns when it
    /// may be mistaken for another ([`confusable`]).
    fn dns_name(&self, name: &Spanned<String>, what: &str, wildcard: bool) {
        if let Some(why) = dns_problem(name.as_str(), wildcard) {
            self.err(
                "invalid-dns-name",
                name.span,
                format!("'{}' is not a valid {what}: {why}", shown(name.as_str())),
                "a domain name has labels of letters, digits, '-' and '_' separated by dots, such as corp.example.com",
            );
        } else {
            self.confusable_name(name, what);
        }
    }

    fn confusable_name(&self, name: &Spanned<String>, what: &str) {
        if let Some(why) = confusable(name.as_str()) {
            self.warn(
                "confusable-name",
                name.span,
                format!("{what} '{}' may be mistaken for another name: {why}", shown(name.as_str())),
                "if this is not meant to look like a Latin name, ignore this warning; if it is, write it in Latin letters",
            );
        }
    }

    /// Reports `name` (a `what`) when it is one of `words`, a name vpcsim uses itself.
    fn not_reserved(&self, name: &Spanned<String>, what: &str, words: &[(&str, &str)]) {
        if let Some((word, meaning)) = words.iter().find(|(w, _)| *w == name.as_str()) {
            let article = if what.starts_with(['a', 'e', 'i', 'o', 'u', 'A', 'E', 'I', 'O', 'U']) {
                "an"
            } else {
                "a"
            };
            self.err(
                "reserved-name",
                name.span,
                format!("'{word}' cannot name {article} {what}: it is {meaning}"),
                format!("choose another name for the {what}"),
            );
        }
    }

    fn not_reserved_all<T>(&self, entries: &Entries<T>, what: &str, words: &[(&str, &str)]) {
        for e in entries.iter() {
            self.not_reserved(&e.key, what, words);
        }
    }

    /// Views, sources and `dns export --view all`'s folders are named by VPCs and sites alike
    /// (`NAME`, `NAME/HOST`, `VPC-inbound`): a site named like a VPC, or a VPC named like another
    /// VPC's inbound endpoint folder, would be two things under one name.
    fn view_names(&self, raw: &f::Topology) {
        let vpcs: Vec<&vpcsim_syntax::Entry<f::Vpc>> =
            raw.vpcs.0.iter().flat_map(Entries::iter).collect();
        for e in raw.onprem.0.iter().flat_map(Entries::iter) {
            let reserved = VIEWS.iter().any(|(w, _)| *w == e.key.value);
            if let Some(vpc) = vpcs.iter().find(|v| v.key.value == e.key.value)
                && !reserved
            {
                self.d.push(
                    Diagnostic::error(
                        "name-conflict",
                        e.key.span,
                        format!(
                            "site '{}' has the name of a VPC: its DNS view, `--from {0}/HOST` and `--view {0}` would name both",
                            e.key.value
                        ),
                    )
                    .with_help("sites and VPCs share one set of names; rename one of them")
                    .with_related(vpc.key.span, "the VPC"),
                );
            }
        }
        for v in &vpcs {
            let has_inbound = v.value.as_ref().is_some_and(|v| {
                v.resolver
                    .0
                    .as_ref()
                    .is_some_and(|r| r.inbound_endpoint.0.is_some())
            });
            if !has_inbound {
                continue;
            }
            let folder = format!("{}-inbound", v.key.value);
            if let Some(other) = vpcs.iter().find(|o| o.key.value == folder) {
                self.d.push(
                    Diagnostic::error(
                        "name-conflict",
                        other.key.span,
                        format!(
                            "VPC '{folder}' has the name `dns export --view all` gives the inbound endpoint view of VPC '{}'",
                            v.key.value
                        ),
                    )
                    .with_help("rename one of the VPCs")
                    .with_related(v.key.span, "the VPC with an inbound endpoint"),
                );
            }
        }
    }

    /// Checks every name and domain written in the file (a pass of its own, before anything is
    /// built; a bad name is reported once, here, and otherwise used as written).
    pub(super) fn names(&self, raw: &f::Topology) {
        // Region and Availability Zone names are checked against the AWS vocabulary where the
        // Regions are registered (`region_name`, `regions_and_accounts`).
        self.view_names(raw);
        for e in raw.vpcs.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "VPC");
            self.not_reserved(&e.key, "VPC", VIEWS);
            self.not_reserved(&e.key, "VPC", COMPONENTS);
            let Some(v) = &e.value else { continue };
            self.own_names(&v.subnets, "subnet");
            self.own_names(&v.route_tables, "route table");
            self.own_names(&v.nat_gateways, "NAT gateway");
            self.not_reserved_all(&v.nat_gateways, "NAT gateway", COMPONENTS);
            self.own_names(&v.security_groups, "security group");
            self.own_names(&v.network_acls, "network ACL");
            self.own_names(&v.endpoints, "endpoint");
            self.not_reserved_all(&v.endpoints, "endpoint", COMPONENTS);
            self.own_names(&v.instances, "instance");
            self.not_reserved_all(&v.instances, "instance", INBOUND);
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
            self.not_reserved(&e.key, "peering", COMPONENTS);
        }
        for e in raw.dx_gateways.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "Direct Connect gateway");
            self.not_reserved(&e.key, "Direct Connect gateway", COMPONENTS);
        }
        for e in raw.links.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "link");
            self.not_reserved(&e.key, "link", COMPONENTS);
        }
        for e in raw.scenarios.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "scenario");
        }
        for e in raw.outposts.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "Outpost");
            self.not_reserved(&e.key, "Outpost", COMPONENTS);
            let Some(o) = &e.value else { continue };
            self.not_reserved_all(&o.access_points, "access point", COMPONENTS);
        }
        for e in raw.buckets.0.iter().flat_map(Entries::iter) {
            let Some(b) = &e.value else { continue };
            self.not_reserved_all(&b.access_points, "access point", COMPONENTS);
        }
        for e in raw.onprem.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "site");
            self.not_reserved(&e.key, "site", VIEWS);
            let Some(s) = &e.value else { continue };
            self.own_names(&s.hosts, "host");
            for z in s.dns.0.iter().flat_map(|d| d.zones.iter()) {
                self.dns_name(&z.key, "zone name", false);
            }
            for fw in s.dns.0.iter().flat_map(|d| d.forward.iter()) {
                if fw.domain.as_str() != "." {
                    self.dns_name(&fw.domain, "forwarded domain", false);
                }
            }
        }
        for e in raw.principals.0.iter().flat_map(Entries::iter) {
            self.own_name(&e.key, "principal");
            self.not_reserved(&e.key, "principal", ANONYMOUS);
            if let Some(p) = &e.value {
                self.own_names(&p.policies, "policy");
            }
        }
        for e in raw.hosted_zones.0.iter().flat_map(Entries::iter) {
            self.dns_name(&e.key, "hosted zone name", false);
            // Record names are checked with the AWS vocabulary's rules where records are built
            // (`record`), once the zone's own name is known to be valid; here, only whether a
            // valid one may be mistaken for another.
            for r in e.value.iter().flat_map(|z| z.records.iter()) {
                let n = r.name.as_str();
                if n == "@" || dns_problem(n, true).is_some() {
                    continue;
                }
                if let Some(why) = confusable(n) {
                    self.warn(
                        "confusable-name",
                        r.name.span,
                        format!("record name '{}' may be mistaken for another name: {why}", shown(n)),
                        "if this is not meant to look like a Latin name, ignore this warning; if it is, write it in Latin letters",
                    );
                }
            }
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

    /// International labels that mix scripts or are all Latin look-alikes are flagged; those of
    /// one script, and Japanese, Chinese and Korean mixes with Latin, are not.
    #[test]
    fn confusable_dns_names() {
        for (name, why) in [
            (
                "xn--pypal-4ve.example",
                "'xn--pypal-4ve' is 'pаypal', which mixes Cyrillic and Latin letters",
            ),
            (
                "s3.xn--amaznaws-qbh.com",
                "'xn--amaznaws-qbh' is 'amazоnaws', which mixes Cyrillic and Latin letters",
            ),
            (
                "XN--80AK6AA92E.com.",
                "'XN--80AK6AA92E' is 'аррӏе', whose Cyrillic letters all look like Latin ones",
            ),
            (
                "xn--mxaqdu.example",
                "'xn--mxaqdu' is 'αικο', whose Greek letters all look like Latin ones",
            ),
        ] {
            assert_eq!(confusable(name).as_deref(), Some(why), "{name}");
        }
        for name in [
            "corp.internal",
            "xn--bcher-kva.example",
            "xn--mnchen-3ya.de",
            "xn--nckya0bk5909dcvb2w6i.jp",
            "xn---example-n43gs37y.jp",
            "xn--hxajbheg2az3al.gr",
            "xn--e1afmkfd.xn--p1ai",
            "xn--invalid-punycode-!",
            "xn--",
        ] {
            assert_eq!(confusable(name), None, "{name}");
        }
    }
}

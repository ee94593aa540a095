//! DNS record types and the rules their values follow (RFC 1035, 2181, 2782, 8659; Route 53's
//! record formats).

use std::fmt;

/// A DNS record type vpcsim knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Alias name.
    Cname,
    /// Text.
    Txt,
    /// Mail exchanger.
    Mx,
    /// Service locator.
    Srv,
    /// Name server.
    Ns,
    /// Pointer.
    Ptr,
    /// Certification authority authorization.
    Caa,
    /// Start of authority.
    Soa,
    /// Every type at the name (query only).
    Any,
}

impl RecordType {
    /// Every type, for parsing and hints.
    pub const ALL: [RecordType; 11] = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Txt,
        RecordType::Mx,
        RecordType::Srv,
        RecordType::Ns,
        RecordType::Ptr,
        RecordType::Caa,
        RecordType::Soa,
        RecordType::Any,
    ];

    /// The types a record of a private hosted zone may have: all but SOA (each zone has its own)
    /// and ANY (a query type).
    pub const RECORDS: [RecordType; 9] = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Txt,
        RecordType::Mx,
        RecordType::Srv,
        RecordType::Ns,
        RecordType::Ptr,
        RecordType::Caa,
    ];

    /// The mnemonic.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Txt => "TXT",
            RecordType::Mx => "MX",
            RecordType::Srv => "SRV",
            RecordType::Ns => "NS",
            RecordType::Ptr => "PTR",
            RecordType::Caa => "CAA",
            RecordType::Soa => "SOA",
            RecordType::Any => "ANY",
        }
    }

    /// Parses a mnemonic, case-insensitively.
    pub fn parse(text: &str) -> Option<RecordType> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }

    /// The mnemonic with its article, as said aloud: `an MX`, `a TXT`.
    pub fn with_article(self) -> String {
        let vowel_sound = matches!(
            self,
            RecordType::A
                | RecordType::Aaaa
                | RecordType::Mx
                | RecordType::Ns
                | RecordType::Srv
                | RecordType::Soa
                | RecordType::Any
        );
        format!("{} {}", if vowel_sound { "an" } else { "a" }, self.as_str())
    }

    /// How a value is written, and an example: (`PREFERENCE HOST`, `10 mail.example.com`).
    pub fn syntax(self) -> (&'static str, &'static str) {
        match self {
            RecordType::A => ("an IPv4 address", "10.0.1.20"),
            RecordType::Aaaa => ("an IPv6 address", "2001:db8::1"),
            RecordType::Cname | RecordType::Ns | RecordType::Ptr => {
                ("a domain name", "host.example.com")
            }
            RecordType::Txt => (
                "text, or quoted strings of at most 255 bytes each",
                "\"v=spf1 -all\" \"more\"",
            ),
            RecordType::Mx => ("PREFERENCE HOST", "10 mail.example.com"),
            RecordType::Srv => ("PRIORITY WEIGHT PORT TARGET", "10 5 443 web.example.com"),
            RecordType::Caa => ("FLAGS TAG \"VALUE\"", "0 issue \"amazon.com\""),
            RecordType::Soa => (
                "MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM",
                "ns.example.com. hostmaster.example.com. 1 7200 900 1209600 60",
            ),
            RecordType::Any => ("nothing: ANY is a query type", "A"),
        }
    }

    /// The most values a record set of this type may hold (a CNAME names one canonical name,
    /// RFC 2181 §10.1); `None` for no limit.
    pub fn max_values(self) -> Option<usize> {
        matches!(self, RecordType::Cname | RecordType::Soa).then_some(1)
    }

    /// Checks one value of a record of this type, in the presentation format of master files and
    /// Route 53: the rule it breaks, if any.
    pub fn check_value(self, value: &str) -> Result<(), ValueError> {
        let fields: Vec<&str> = value.split_whitespace().collect();
        let count = |n: usize| {
            if fields.len() == n {
                Ok(())
            } else {
                Err(ValueError::Fields {
                    rtype: self,
                    expected: n,
                    found: fields.len(),
                })
            }
        };
        match self {
            RecordType::A => value
                .parse::<std::net::Ipv4Addr>()
                .map(|_| ())
                .map_err(|_| ValueError::NotIpv4),
            RecordType::Aaaa => value
                .parse::<std::net::Ipv6Addr>()
                .map(|_| ())
                .map_err(|_| ValueError::NotIpv6),
            RecordType::Cname | RecordType::Ns | RecordType::Ptr => {
                count(1)?;
                check_name(fields[0]).map_err(ValueError::Name)
            }
            RecordType::Mx => {
                count(2)?;
                u16_field("preference", fields[0])?;
                check_name(fields[1]).map_err(ValueError::Name)
            }
            RecordType::Srv => {
                count(4)?;
                u16_field("priority", fields[0])?;
                u16_field("weight", fields[1])?;
                u16_field("port", fields[2])?;
                check_name(fields[3]).map_err(ValueError::Name)
            }
            RecordType::Txt => check_txt(value),
            RecordType::Caa => check_caa(value),
            RecordType::Soa => {
                count(7)?;
                check_name(fields[0]).map_err(ValueError::Name)?;
                check_name(fields[1]).map_err(ValueError::Name)?;
                for (field, text) in ["serial", "refresh", "retry", "expire", "minimum"]
                    .into_iter()
                    .zip(&fields[2..])
                {
                    text.parse::<u32>().map_err(|_| ValueError::Number {
                        field,
                        text: clip(text),
                        max: u64::from(u32::MAX),
                    })?;
                }
                Ok(())
            }
            RecordType::Any => Err(ValueError::QueryOnly),
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The largest TTL: 2^31 − 1 seconds (RFC 2181 §8).
pub const MAX_TTL: u32 = i32::MAX as u32;
/// The longest label, in octets (RFC 1035 §2.3.4).
pub const MAX_LABEL: usize = 63;
/// The longest name in wire form, in octets (RFC 1035 §2.3.4): 253 characters of text.
pub const MAX_NAME: usize = 255;
/// The longest TXT (and CAA value) character-string, in octets (RFC 1035 §3.3).
pub const MAX_STRING: usize = 255;

/// The rule a record value breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueError {
    /// Not an IPv4 address.
    NotIpv4,
    /// Not an IPv6 address.
    NotIpv6,
    /// The wrong number of fields.
    Fields {
        /// The type.
        rtype: RecordType,
        /// Fields it has.
        expected: usize,
        /// Fields given.
        found: usize,
    },
    /// A number field out of range or not a number.
    Number {
        /// `preference`, `port`…
        field: &'static str,
        /// As written (clipped).
        text: String,
        /// The largest value.
        max: u64,
    },
    /// A domain name field breaks a name rule.
    Name(NameError),
    /// A character-string longer than 255 octets.
    StringTooLong {
        /// Which string of the value (1-based).
        index: usize,
        /// Its length in octets.
        len: usize,
    },
    /// A quoted string that does not end, or text between strings.
    Quoting,
    /// A CAA tag that is not 1 to 15 ASCII letters and digits (RFC 8659 §4.1.1).
    CaaTag(String),
    /// More values than the type allows (a CNAME has one).
    TooManyValues {
        /// The type.
        rtype: RecordType,
        /// The limit.
        max: usize,
    },
    /// A TTL above 2^31 − 1.
    Ttl(u64),
    /// ANY names no record.
    QueryOnly,
}

impl ValueError {
    /// What to do about it, for a record of type `rtype`.
    pub fn help(&self, rtype: RecordType) -> String {
        match self {
            ValueError::Name(n) => n.help().to_string(),
            ValueError::StringTooLong { .. } => format!(
                "split the text into quoted strings of at most {MAX_STRING} bytes each, separated by spaces: \"first part\" \"second part\""
            ),
            ValueError::TooManyValues { .. } => {
                "a CNAME record points to one name; use A records for several addresses".into()
            }
            ValueError::Ttl(_) => format!("a TTL is 0 to {MAX_TTL} seconds"),
            ValueError::QueryOnly => "use a record type such as A or TXT".into(),
            _ => {
                let (form, example) = rtype.syntax();
                format!(
                    "{} value is {form}, such as {example}",
                    rtype.with_article()
                )
            }
        }
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueError::NotIpv4 => f.write_str("it is not an IPv4 address"),
            ValueError::NotIpv6 => f.write_str("it is not an IPv6 address"),
            ValueError::Fields {
                rtype,
                expected,
                found,
            } => write!(
                f,
                "{} value has {expected} field{}, this one has {found}",
                rtype.with_article(),
                if *expected == 1 { "" } else { "s" }
            ),
            ValueError::Number { field, text, max } => {
                write!(f, "the {field} '{text}' is not a number from 0 to {max}")
            }
            ValueError::Name(n) => n.fmt(f),
            ValueError::StringTooLong { index, len } => write!(
                f,
                "string {index} has {len} bytes; a DNS character-string holds at most {MAX_STRING}"
            ),
            ValueError::Quoting => f.write_str(
                "its quoting is broken: a string is not closed, or text stands between strings",
            ),
            ValueError::CaaTag(tag) => write!(
                f,
                "the tag '{tag}' is not 1 to 15 ASCII letters and digits (issue, issuewild, iodef…)"
            ),
            ValueError::TooManyValues { rtype, max } => {
                write!(
                    f,
                    "{} record holds at most {max} value",
                    rtype.with_article()
                )
            }
            ValueError::Ttl(ttl) => write!(f, "the TTL {ttl} is larger than {MAX_TTL}"),
            ValueError::QueryOnly => f.write_str("ANY is a query type, not a record type"),
        }
    }
}

impl std::error::Error for ValueError {}

/// The rule a domain name breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// No name at all.
    Empty,
    /// Two dots in a row, or a leading dot.
    EmptyLabel,
    /// A label longer than 63 octets.
    LabelTooLong {
        /// Its first characters.
        label: String,
        /// Its length in octets.
        len: usize,
    },
    /// More than 255 octets in wire form.
    TooLong {
        /// The length in wire form.
        len: usize,
    },
    /// A character outside letters, digits, `-` and `_` (and `*` as a whole first label).
    Character(char),
}

impl NameError {
    /// What to do about it.
    pub fn help(&self) -> &'static str {
        match self {
            NameError::Empty | NameError::EmptyLabel => {
                "write labels separated by single dots: host.example.com"
            }
            NameError::LabelTooLong { .. } => {
                "each label (the text between dots) has at most 63 octets"
            }
            NameError::TooLong { .. } => {
                "a domain name has at most 255 octets in wire form (253 characters)"
            }
            NameError::Character(_) => {
                "labels hold letters, digits, hyphens and underscores; `*` only as a whole first label"
            }
        }
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("the domain name is empty"),
            NameError::EmptyLabel => f.write_str("the domain name has an empty label"),
            NameError::LabelTooLong { label, len } => write!(
                f,
                "the label '{label}' has {len} octets; a label has at most {MAX_LABEL}"
            ),
            NameError::TooLong { len } => write!(
                f,
                "the domain name has {len} octets in wire form; a name has at most {MAX_NAME}"
            ),
            NameError::Character(c) => {
                write!(f, "the domain name has the character {c:?}")
            }
        }
    }
}

impl std::error::Error for NameError {}

/// Checks a domain name (relative or absolute; `.` is the root): labels of 1 to 63 octets of
/// letters, digits, `-` and `_` (`*` as a whole first label), at most 255 octets in wire form.
pub fn check_name(name: &str) -> Result<(), NameError> {
    if name == "." {
        return Ok(());
    }
    let text = name.strip_suffix('.').unwrap_or(name);
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    // Wire form: a length octet per label, the label, and the root's zero octet.
    let wire = text.len() + 2;
    for (i, label) in text.split('.').enumerate() {
        if label.is_empty() {
            return Err(NameError::EmptyLabel);
        }
        if label.len() > MAX_LABEL {
            return Err(NameError::LabelTooLong {
                label: clip(label),
                len: label.len(),
            });
        }
        if i == 0 && label == "*" {
            continue;
        }
        if let Some(c) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(NameError::Character(c));
        }
    }
    if wire > MAX_NAME {
        return Err(NameError::TooLong { len: wire });
    }
    Ok(())
}

/// Checks a TTL (RFC 2181 §8: 0 to 2^31 − 1).
pub fn check_ttl(ttl: u64) -> Result<(), ValueError> {
    if ttl > u64::from(MAX_TTL) {
        Err(ValueError::Ttl(ttl))
    } else {
        Ok(())
    }
}

/// Checks the number of values of a record set.
pub fn check_count(rtype: RecordType, count: usize) -> Result<(), ValueError> {
    match rtype.max_values() {
        Some(max) if count > max => Err(ValueError::TooManyValues { rtype, max }),
        _ => Ok(()),
    }
}

fn u16_field(field: &'static str, text: &str) -> Result<u16, ValueError> {
    text.parse::<u16>().map_err(|_| ValueError::Number {
        field,
        text: clip(text),
        max: u64::from(u16::MAX),
    })
}

/// The first 40 characters of `text` (an ellipsis marks the cut), for messages.
fn clip(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

/// The character-strings of a value in presentation format: a bare value is one string (as
/// written); a value starting with `"` is a sequence of quoted strings (with `\"`, `\\` and
/// `\DDD` escapes) separated by whitespace. Returns each string's length in octets.
pub fn character_strings(value: &str) -> Result<Vec<usize>, ValueError> {
    if !value.trim_start().starts_with('"') {
        return Ok(vec![value.len()]);
    }
    let bytes = value.as_bytes();
    let mut lens = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == bytes.len() {
            return Ok(lens);
        }
        if bytes[i] != b'"' {
            return Err(ValueError::Quoting);
        }
        i += 1;
        let mut len = 0;
        loop {
            match bytes.get(i) {
                None => return Err(ValueError::Quoting),
                Some(b'"') => {
                    i += 1;
                    break;
                }
                Some(b'\\') => {
                    let digits = bytes
                        .get(i + 1..i + 4)
                        .filter(|d| d.iter().all(u8::is_ascii_digit));
                    i += if digits.is_some() { 4 } else { 2 };
                    if i > bytes.len() {
                        return Err(ValueError::Quoting);
                    }
                }
                Some(_) => i += 1,
            }
            len += 1;
        }
        lens.push(len);
        if i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            return Err(ValueError::Quoting);
        }
    }
}

fn check_txt(value: &str) -> Result<(), ValueError> {
    for (k, len) in character_strings(value)?.into_iter().enumerate() {
        if len > MAX_STRING {
            return Err(ValueError::StringTooLong { index: k + 1, len });
        }
    }
    Ok(())
}

fn check_caa(value: &str) -> Result<(), ValueError> {
    let mut parts = value.split_whitespace();
    let (Some(flags), Some(tag)) = (parts.next(), parts.next()) else {
        return Err(ValueError::Fields {
            rtype: RecordType::Caa,
            expected: 3,
            found: value.split_whitespace().count(),
        });
    };
    flags.parse::<u8>().map_err(|_| ValueError::Number {
        field: "flags",
        text: clip(flags),
        max: u64::from(u8::MAX),
    })?;
    if tag.is_empty() || tag.len() > 15 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ValueError::CaaTag(clip(tag)));
    }
    // The value: everything after the tag, one string (quoted or not).
    let rest = value.trim_start();
    let rest = rest[flags.len()..].trim_start();
    let rest = rest[tag.len()..].trim();
    if rest.is_empty() {
        return Err(ValueError::Fields {
            rtype: RecordType::Caa,
            expected: 3,
            found: 2,
        });
    }
    if rest.starts_with('"') {
        match character_strings(rest)?.as_slice() {
            [len] if *len > MAX_STRING => {
                return Err(ValueError::StringTooLong {
                    index: 1,
                    len: *len,
                });
            }
            [_] => {}
            _ => return Err(ValueError::Quoting),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_parse_case_insensitively() {
        for t in RecordType::ALL {
            assert_eq!(RecordType::parse(&t.as_str().to_lowercase()), Some(t));
        }
        assert_eq!(RecordType::parse("mx"), Some(RecordType::Mx));
        assert_eq!(RecordType::parse("SPF"), None);
        assert!(!RecordType::RECORDS.contains(&RecordType::Any));
    }

    #[test]
    fn values_follow_their_rules() {
        use RecordType::*;
        let ok = [
            (A, "10.0.1.20"),
            (Aaaa, "2001:db8::1"),
            (Cname, "db.internal.example.com"),
            (Cname, "db.internal.example.com."),
            (Ns, "ns-1.awsdns-01.org."),
            (Ptr, "ip-10-0-1-10.ec2.internal"),
            (Mx, "10 mail.example.com"),
            (Mx, "0 ."),
            (Mx, "65535 mail.example.com"),
            (Srv, "10 5 443 web.example.com"),
            (Srv, "0 0 65535 _sip._tcp.example.com"),
            (Txt, "owner=platform"),
            (Txt, "\"v=spf1 -all\" \"second\""),
            (Txt, "\"a \\\"quoted\\\" word\""),
            (Caa, "0 issue \"amazon.com\""),
            (Caa, "128 iodef \"mailto:security@example.com\""),
            (Caa, "0 issue amazon.com"),
            (
                Soa,
                "ns.example.com. hostmaster.example.com. 1 7200 900 1209600 86400",
            ),
        ];
        for (t, v) in ok {
            assert_eq!(t.check_value(v), Ok(()), "{t} {v}");
        }
        let long_label = "a".repeat(64);
        let long_txt = "x".repeat(70_000);
        let long_name = vec!["a".repeat(60); 5].join(".");
        let bad = [
            (A, "10.0.1", "it is not an IPv4 address"),
            (Aaaa, "10.0.1.1", "it is not an IPv6 address"),
            (
                Mx,
                "99999 mail.example.com",
                "the preference '99999' is not a number from 0 to 65535",
            ),
            (
                Mx,
                "mail.example.com",
                "an MX value has 2 fields, this one has 1",
            ),
            (
                Srv,
                "0 5 70000 web.example.com",
                "the port '70000' is not a number from 0 to 65535",
            ),
            (
                Srv,
                "-1 5 443 web",
                "the priority '-1' is not a number from 0 to 65535",
            ),
            (Srv, "1 2 3", "an SRV value has 4 fields, this one has 3"),
            (
                Cname,
                &format!("{long_label}.example.com"),
                "the label 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' has 64 octets; a label has at most 63",
            ),
            (
                Cname,
                &long_name,
                "the domain name has 306 octets in wire form; a name has at most 255",
            ),
            (Cname, "a..b", "the domain name has an empty label"),
            (Cname, "a b", "a CNAME value has 1 field, this one has 2"),
            (
                Ptr,
                "host/1.example",
                "the domain name has the character '/'",
            ),
            (
                Txt,
                &long_txt,
                "string 1 has 70000 bytes; a DNS character-string holds at most 255",
            ),
            (
                Txt,
                &format!("\"ok\" \"{long_txt}\""),
                "string 2 has 70000 bytes; a DNS character-string holds at most 255",
            ),
            (
                Txt,
                "\"open",
                "its quoting is broken: a string is not closed, or text stands between strings",
            ),
            (
                Txt,
                "\"a\"b",
                "its quoting is broken: a string is not closed, or text stands between strings",
            ),
            (
                Caa,
                "256 issue \"x\"",
                "the flags '256' is not a number from 0 to 255",
            ),
            (
                Caa,
                "0 is-sue \"x\"",
                "the tag 'is-sue' is not 1 to 15 ASCII letters and digits (issue, issuewild, iodef…)",
            ),
            (Caa, "0 issue", "a CAA value has 3 fields, this one has 2"),
            (Any, "x", "ANY is a query type, not a record type"),
        ];
        for (t, v, why) in bad {
            let err = t.check_value(v).expect_err(v);
            assert_eq!(err.to_string(), why, "{t} {v}");
            assert!(!err.help(t).is_empty());
        }
        assert_eq!(
            RecordType::Mx
                .check_value("99999 m")
                .unwrap_err()
                .help(RecordType::Mx),
            "an MX value is PREFERENCE HOST, such as 10 mail.example.com"
        );
    }

    #[test]
    fn names_counts_and_ttls() {
        assert_eq!(check_name("*.example.com"), Ok(()));
        assert_eq!(check_name("_sip._tcp.example.com"), Ok(()));
        assert_eq!(
            check_name("a.*.example.com"),
            Err(NameError::Character('*'))
        );
        assert_eq!(check_name(""), Err(NameError::Empty));
        assert_eq!(check_name(".example.com"), Err(NameError::EmptyLabel));
        // 253 characters is the longest name.
        let name = format!("{}.{}", vec!["a".repeat(63); 3].join("."), "b".repeat(61));
        assert_eq!(name.len(), 253);
        assert_eq!(check_name(&name), Ok(()));
        assert_eq!(
            check_name(&format!("{name}b")),
            Err(NameError::TooLong { len: 256 })
        );
        assert_eq!(check_count(RecordType::Cname, 1), Ok(()));
        assert!(check_count(RecordType::Cname, 2).is_err());
        assert_eq!(check_count(RecordType::A, 200), Ok(()));
        assert_eq!(check_ttl(u64::from(MAX_TTL)), Ok(()));
        assert_eq!(
            check_ttl(1 << 31).unwrap_err().to_string(),
            "the TTL 2147483648 is larger than 2147483647"
        );
        assert_eq!(character_strings("\"a\\065b\" \"\"").unwrap(), [3, 0]);
    }
}

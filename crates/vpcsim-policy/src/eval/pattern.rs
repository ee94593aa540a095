//! Wildcard patterns (`*`, `?`) and policy variables (`${aws:username}`, `${*}`, defaults).

use super::Keys;

/// One element of a pattern after variables are substituted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A character that must appear as is.
    Lit(char),
    /// `*`: any run of characters, the empty run included.
    Star,
    /// `?`: exactly one character.
    One,
}

/// How an `Action` or `Resource` pattern is matched, decided once when the policy is parsed: most
/// are written as a literal or with one trailing `*`, which need no scan of the pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// ASCII, without `*`, `?` or `${`: equal to the text (ASCII case folding when asked).
    Literal,
    /// ASCII, one `*` at the end and no other `*`, `?` or `${`: a prefix of the text.
    Prefix,
    /// Anything else: [`Expand::matches`].
    General,
}

impl Shape {
    /// The shape of a pattern whose `*` and `?` are wildcards.
    pub fn of(pat: &str) -> Shape {
        if !pat.is_ascii() || pat.contains("${") {
            return Shape::General;
        }
        match pat.find(['*', '?']) {
            None => Shape::Literal,
            Some(i) if i + 1 == pat.len() && pat.ends_with('*') => Shape::Prefix,
            Some(_) => Shape::General,
        }
    }
}

/// How policy text is turned into a [`Tok`] pattern.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expand<'c> {
    /// Variables are resolved from this context; `None` when the policy's `Version` is not
    /// `2012-10-17` (then `${…}` is literal text, as in IAM).
    pub vars: Option<&'c dyn Keys>,
    /// `*` and `?` in the policy text are wildcards (Resource, Action, `…Like`, `Arn…`).
    pub wildcards: bool,
}

impl Expand<'_> {
    /// The pattern for `text`, or `None` when a variable has no value (and no default): such a value
    /// matches nothing.
    pub fn pattern(&self, text: &str) -> Option<Vec<Tok>> {
        let mut out = Vec::with_capacity(text.len());
        let mut rest = text;
        while !rest.is_empty() {
            if let Some(vars) = self.vars
                && let Some(after) = rest.strip_prefix("${")
                && let Some(end) = after.find('}')
            {
                let inner = &after[..end];
                rest = &after[end + 1..];
                match inner {
                    "*" => out.push(Tok::Lit('*')),
                    "?" => out.push(Tok::Lit('?')),
                    "$" => out.push(Tok::Lit('$')),
                    _ => out.extend(resolve(vars, inner)?.chars().map(Tok::Lit)),
                }
                continue;
            }
            let c = rest.chars().next().expect("non-empty");
            rest = &rest[c.len_utf8()..];
            out.push(match c {
                '*' if self.wildcards => Tok::Star,
                '?' if self.wildcards => Tok::One,
                c => Tok::Lit(c),
            });
        }
        Some(out)
    }
}

impl Expand<'_> {
    /// Whether `text` matches the pattern written as `pat_text`: the same answer as
    /// `self.pattern(pat_text).is_some_and(|p| matches(&p, text, fold))`, without allocating when
    /// no variable needs substituting and both sides are ASCII (the common case on the trace path).
    pub fn matches(&self, pat_text: &str, text: &str, fold: bool) -> bool {
        let substitutes = self.vars.is_some() && pat_text.contains("${");
        if !substitutes && pat_text.is_ascii() && text.is_ascii() {
            let pat = pat_text.as_bytes();
            let same = |p: &[u8], t: &[u8]| same_ascii(p, t, fold);
            let wild = |p: &[u8]| self.wildcards && p.iter().any(|&c| c == b'*' || c == b'?');
            // The shapes policies are mostly written in: no wildcard, or one trailing `*`.
            if !wild(pat) {
                return same(pat, text.as_bytes());
            }
            if let Some(prefix) = pat.strip_suffix(b"*")
                && !wild(prefix)
            {
                let text = text.as_bytes();
                return text.len() >= prefix.len() && same(prefix, &text[..prefix.len()]);
            }
            let tok = |i: usize| match pat[i] {
                b'*' if self.wildcards => Tok::Star,
                b'?' if self.wildcards => Tok::One,
                c => Tok::Lit(c as char),
            };
            let text = text.as_bytes();
            return match_with(pat.len(), tok, text.len(), |i| text[i] as char, fold);
        }
        self.pattern(pat_text)
            .is_some_and(|p| matches(&p, text, fold))
    }

    /// [`Expand::matches`] for a pattern of a known [`Shape`] (wildcards on): `ascii` says
    /// whether `text` is ASCII, so that a shape needs no look at the pattern's characters.
    pub fn matches_shaped(
        &self,
        pat: &str,
        shape: Shape,
        text: &str,
        ascii: bool,
        fold: bool,
    ) -> bool {
        let same = |p: &[u8], t: &[u8]| same_ascii(p, t, fold);
        match shape {
            Shape::Literal if ascii && self.wildcards => same(pat.as_bytes(), text.as_bytes()),
            Shape::Prefix if ascii && self.wildcards && pat.ends_with('*') => {
                let prefix = &pat.as_bytes()[..pat.len() - 1];
                text.len() >= prefix.len() && same(prefix, &text.as_bytes()[..prefix.len()])
            }
            _ => self.matches(pat, text, fold),
        }
    }

    /// The pattern's text after substitution, as `literal(&self.pattern(pat_text)?)` gives it,
    /// compared with `text`, without allocating when no variable needs substituting.
    pub fn literal_eq(&self, pat_text: &str, text: &str) -> bool {
        let substitutes = self.vars.is_some() && pat_text.contains("${");
        if !substitutes {
            return pat_text == text;
        }
        self.pattern(pat_text).is_some_and(|p| literal(&p) == text)
    }
}

/// Equal bytes, or equal up to ASCII case with `fold`.
#[inline(always)]
fn same_ascii(p: &[u8], t: &[u8], fold: bool) -> bool {
    // Most texts are written as policies write them: equal bytes answer without folding.
    p.len() == t.len() && (p == t || (fold && p.eq_ignore_ascii_case(t)))
}

/// The value of `${name}` or `${name, 'default'}`: a single-valued key of the context (IAM does not
/// allow multivalued keys as variables, so those count as unresolved), else the default.
fn resolve(vars: &dyn Keys, inner: &str) -> Option<String> {
    let (name, default) = match inner.split_once(',') {
        Some((name, d)) => {
            let d = d.trim();
            let d = d
                .strip_prefix('\'')
                .and_then(|d| d.strip_suffix('\''))
                .unwrap_or(d);
            (name.trim(), Some(d.to_string()))
        }
        None => (inner.trim(), None),
    };
    match vars.get(name) {
        Some(v) if v.len() == 1 => v.first().map(str::to_string),
        _ => default,
    }
}

/// Whether `text` matches `pat`; `fold` compares case-insensitively.
pub(crate) fn matches(pat: &[Tok], text: &str, fold: bool) -> bool {
    if text.is_ascii() {
        let text = text.as_bytes();
        match_with(pat.len(), |i| pat[i], text.len(), |i| text[i] as char, fold)
    } else {
        let text: Vec<char> = text.chars().collect();
        match_with(pat.len(), |i| pat[i], text.len(), |i| text[i], fold)
    }
}

/// Wildcard matching over a pattern of `pat_len` tokens and a text of `text_len` characters, both
/// given by index.
fn match_with(
    pat_len: usize,
    pat: impl Fn(usize) -> Tok,
    text_len: usize,
    text: impl Fn(usize) -> char,
    fold: bool,
) -> bool {
    let eq = |a: char, b: char| {
        a == b
            || (fold
                && if a.is_ascii() && b.is_ascii() {
                    a.eq_ignore_ascii_case(&b)
                } else {
                    // Not only for non-ASCII pairs: the Kelvin sign lower-cases to `k`.
                    a.to_lowercase().eq(b.to_lowercase())
                })
    };
    // Iterative matching with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text_len {
        match (p < pat_len).then(|| pat(p)) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if eq(c, text(t)) => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    (p..pat_len).all(|i| pat(i) == Tok::Star)
}

/// Literal text of a pattern without wildcards (for equality operators).
pub(crate) fn literal(pat: &[Tok]) -> String {
    pat.iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Star => '*',
            Tok::One => '?',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::Context;
    use super::*;

    fn m(pat: &str, text: &str) -> bool {
        let e = Expand {
            vars: None,
            wildcards: true,
        };
        matches(&e.pattern(pat).unwrap(), text, false)
    }

    #[test]
    fn fast_path_agrees_with_patterns() {
        let mut ctx = Context::new();
        ctx.set("aws:username", "alice");
        let pats = [
            "*",
            "",
            "a",
            "s3:Get*",
            "S3:GETOBJECT",
            "arn:aws:s3:::b/*",
            "a?c",
            "*a*b",
            "${*}",
            "home/${aws:username}/*",
            "${aws:missing}",
            "${aws:missing, 'x'}",
            "é*",
            "vpce-1",
            "s3:get*",
            "a*c",
            "ab?",
            "abc*",
            "abcd*",
            "**",
            "s3:*",
            "K*",
        ];
        let texts = [
            "",
            "a",
            "abc",
            "s3:GetObject",
            "s3:getobject",
            "arn:aws:s3:::b/k",
            "xaxb",
            "*",
            "home/alice/x",
            "x",
            "éa",
            "vpce-1",
            "VPCE-1",
            "s3:",
            "\u{212A}elvin",
        ];
        for vars in [None, Some(&ctx as &dyn Keys)] {
            for wildcards in [false, true] {
                let e = Expand { vars, wildcards };
                for p in pats {
                    for t in texts {
                        for fold in [false, true] {
                            let slow = e.pattern(p).is_some_and(|x| matches(&x, t, fold));
                            assert_eq!(
                                e.matches(p, t, fold),
                                slow,
                                "{p:?} {t:?} {fold} {wildcards}"
                            );
                            if wildcards {
                                let shaped =
                                    e.matches_shaped(p, Shape::of(p), t, t.is_ascii(), fold);
                                assert_eq!(shaped, slow, "shaped {p:?} {t:?} {fold}");
                            }
                        }
                        let slow = e.pattern(p).is_some_and(|x| literal(&x) == t);
                        assert_eq!(e.literal_eq(p, t), slow, "{p:?} {t:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn wildcards() {
        assert!(m("*", ""));
        assert!(m("arn:aws:s3:::b/*", "arn:aws:s3:::b/k/x"));
        assert!(!m("arn:aws:s3:::b/*", "arn:aws:s3:::b"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxaxxbxx"));
        assert!(!m("ABC", "abc"));
    }

    #[test]
    fn variables() {
        let mut ctx = Context::new();
        ctx.set("aws:username", "alice");
        ctx.set_many("aws:TagKeys", ["a", "b"]);
        let e = Expand {
            vars: Some(&ctx),
            wildcards: true,
        };
        let p = |s: &str| e.pattern(s).map(|p| literal(&p));
        assert_eq!(p("home/${AWS:UserName}/*").as_deref(), Some("home/alice/*"));
        assert_eq!(p("a${*}b${?}${$}").as_deref(), Some("a*b?$"));
        assert_eq!(p("${aws:nothing}"), None);
        assert_eq!(
            p("${aws:TagKeys}"),
            None,
            "multivalued keys are not variables"
        );
        assert_eq!(p("${aws:nothing, 'none'}/x").as_deref(), Some("none/x"));
        // `${*}` is a literal star, not a wildcard.
        assert!(!matches(&e.pattern("a${*}").unwrap(), "ab", false));
        assert!(matches(&e.pattern("a${*}").unwrap(), "a*", false));
        // Without variables (old policy version) the text is literal.
        let old = Expand {
            vars: None,
            wildcards: false,
        };
        assert_eq!(
            literal(&old.pattern("${aws:username}").unwrap()),
            "${aws:username}"
        );
    }
}

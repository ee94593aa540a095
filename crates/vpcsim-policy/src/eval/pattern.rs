//! Wildcard patterns (`*`, `?`) and policy variables (`${aws:username}`, `${*}`, defaults).

use super::Context;

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

/// How policy text is turned into a [`Tok`] pattern.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Expand<'c> {
    /// Variables are resolved from this context; `None` when the policy's `Version` is not
    /// `2012-10-17` (then `${…}` is literal text, as in IAM).
    pub vars: Option<&'c Context>,
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

/// The value of `${name}` or `${name, 'default'}`: a single-valued key of the context (IAM does not
/// allow multivalued keys as variables, so those count as unresolved), else the default.
fn resolve(vars: &Context, inner: &str) -> Option<String> {
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
        Some([one]) => Some(one.clone()),
        _ => default,
    }
}

/// Whether `text` matches `pat`; `fold` compares case-insensitively.
pub(crate) fn matches(pat: &[Tok], text: &str, fold: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let eq = |a: char, b: char| a == b || (fold && a.to_lowercase().eq(b.to_lowercase()));
    // Iterative matching with backtracking to the last `*`.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pat.get(p) {
            Some(Tok::Star) => {
                star = Some((p, t));
                p += 1;
            }
            Some(Tok::One) => {
                p += 1;
                t += 1;
            }
            Some(Tok::Lit(c)) if eq(*c, text[t]) => {
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
    pat[p..].iter().all(|t| *t == Tok::Star)
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
    use super::*;

    fn m(pat: &str, text: &str) -> bool {
        let e = Expand {
            vars: None,
            wildcards: true,
        };
        matches(&e.pattern(pat).unwrap(), text, false)
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
        ctx.set_many("aws:TagKeys", vec!["a".into(), "b".into()]);
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

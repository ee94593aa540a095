//! Text from a file, made safe to print: control characters made visible, long values shortened.
//!
//! A topology or a policy comes from anyone. What vpcsim prints from it (a quoted line, a name in a
//! message) must not move the terminal's cursor, rewrite a line already printed (a carriage
//! return, an escape sequence), start a line of its own that looks like vpcsim's (a newline), or
//! reorder what is shown (Unicode's bidirectional controls); nor may one value make an error
//! megabytes long.

use std::borrow::Cow;
use std::fmt::Write as _;

/// A value longer than this many bytes is shortened where it is printed: its beginning, a count of
/// what was left out and its end.
pub const MAX_SHOWN: usize = 400;

/// True for a character that must not reach a terminal as it is: C0 and C1 controls (tab
/// excepted), DEL, and the bidirectional formatting characters (embeddings, overrides,
/// isolates and marks), which can make text display in another order than it is read.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [unsafe](is_unsafe) character written as a visible escape (`\n`, `\r`,
/// `\u{1b}`, `\u{202e}`). Text without one is returned as it is.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if is_unsafe(c) => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        c => out.push(c),
    }
}

/// `s` [escaped](escape) and, when longer than `max` bytes, shortened to about `max`: its
/// beginning, `[… N bytes …]` and its last eighth.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return escape(s);
    }
    let tail = max / 8;
    let head = floor_boundary(s, max - tail);
    let tail_start = ceil_boundary(s, s.len() - tail).max(head);
    let mut out = String::with_capacity(max + 32);
    for c in s[..head].chars() {
        push_escaped(&mut out, c);
    }
    let _ = write!(out, "[… {} bytes …]", tail_start - head);
    for c in s[tail_start..].chars() {
        push_escaped(&mut out, c);
    }
    Cow::Owned(out)
}

/// [`clip`] at [`MAX_SHOWN`], keeping newlines: for texts made of several lines (a help).
pub(crate) fn clip_lines(s: &str) -> String {
    let mut out = String::new();
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&clip(line, MAX_SHOWN));
    }
    out
}

/// The character a quoted source line shows in place of `c`: itself, or one character that
/// takes its column (a control picture such as `␛` for C0 controls and DEL, `�` for the others).
pub(crate) fn shown(c: char) -> char {
    if !is_unsafe(c) {
        return c;
    }
    match c as u32 {
        n @ 0..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{FFFD}'),
        0x7f => '\u{2421}',
        _ => '\u{FFFD}',
    }
}

/// The largest char boundary of `s` at or before `i`.
pub(crate) fn floor_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary of `s` at or after `i`.
pub(crate) fn ceil_boundary(s: &str, i: usize) -> usize {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_visibly() {
        assert_eq!(escape("plain"), Cow::Borrowed("plain"));
        assert_eq!(escape("a\nb"), "a\\nb");
        assert_eq!(escape("x\r\x1b[2Jy"), "x\\r\\u{1b}[2Jy");
        assert_eq!(escape("tab\tok"), "tab\tok");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("\u{85}"), "\\u{85}");
        assert_eq!(shown('\x1b'), '␛');
        assert_eq!(shown('\x7f'), '␡');
        assert_eq!(shown('\u{202e}'), '\u{FFFD}');
        assert_eq!(shown('é'), 'é');
    }

    #[test]
    fn long_values_are_clipped_at_char_boundaries() {
        let long = "é".repeat(1000) + "END";
        let c = clip(&long, 100);
        assert!(c.len() < 140, "{c}");
        assert!(c.ends_with("END"));
        assert!(c.contains("bytes …]"));
        assert_eq!(clip("short", 100), "short");
        assert_eq!(clip_lines("a\nb"), "a\nb");
    }
}

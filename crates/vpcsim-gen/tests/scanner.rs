//! The YAML scanner vpcsim builds with is saphyr-parser with one change (`vendor/README.md`): a
//! plain scalar's run of characters is read from a `&str` input at once
//! (`StrInput::fetch_plain_scalar_run`) instead of by the scanner's loop, one character at a time.
//! The loop is still there, as the default of `Input::fetch_plain_scalar_run`, so the two are
//! compared here: [`Original`] is `StrInput` with every method but that one, i.e. saphyr as
//! published. Every YAML file of the repository, generated topologies, and many generated
//! snippets full of the characters that end, continue or fold a plain scalar give the same
//! events, spans and errors both ways.

mod common;

use saphyr_parser::input::SkipTabs;
use saphyr_parser::{Event, Input, Parser, ScanError, Span, StrInput};
use vpcsim_gen::{Params, generate};

/// `StrInput` as published: everything but `fetch_plain_scalar_run` is `StrInput`'s, and that
/// one is the trait's default, the scanner's original loop.
struct Original<'a>(StrInput<'a>);

/// A method of `Original` that calls `StrInput`'s (`mut` for those that take `&mut self`).
macro_rules! delegate {
    (mut fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        fn $name(&mut self, $($arg: $ty),*) -> $ret {
            self.0.$name($($arg),*)
        }
    };
    (fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        fn $name(&self, $($arg: $ty),*) -> $ret {
            self.0.$name($($arg),*)
        }
    };
}

impl Input for Original<'_> {
    delegate!(mut fn lookahead(count: usize) -> ());
    delegate!(fn buflen() -> usize);
    delegate!(fn bufmaxlen() -> usize);
    delegate!(fn buf_is_empty() -> bool);
    delegate!(mut fn raw_read_ch() -> char);
    delegate!(mut fn raw_read_non_breakz_ch() -> Option<char>);
    delegate!(mut fn skip() -> ());
    delegate!(mut fn skip_n(count: usize) -> ());
    delegate!(fn peek() -> char);
    delegate!(fn peek_nth(n: usize) -> char);
    delegate!(fn peek_opt() -> Option<char>);
    delegate!(mut fn look_ch() -> char);
    delegate!(fn next_char_is(c: char) -> bool);
    delegate!(fn nth_char_is(n: usize, c: char) -> bool);
    delegate!(fn next_2_are(c1: char, c2: char) -> bool);
    delegate!(fn next_3_are(c1: char, c2: char, c3: char) -> bool);
    delegate!(fn next_is_document_indicator() -> bool);
    delegate!(fn next_is_document_start() -> bool);
    delegate!(fn next_is_document_end() -> bool);
    delegate!(mut fn skip_ws_to_eol(skip_tabs: SkipTabs) -> (usize, Result<SkipTabs, &'static str>));
    delegate!(fn next_can_be_plain_scalar(in_flow: bool) -> bool);
    delegate!(fn next_is_blank_or_break() -> bool);
    delegate!(fn next_is_blank_or_breakz() -> bool);
    delegate!(fn next_is_blank() -> bool);
    delegate!(fn next_is_break() -> bool);
    delegate!(fn next_is_breakz() -> bool);
    delegate!(fn next_is_z() -> bool);
    delegate!(fn next_is_flow() -> bool);
    delegate!(fn next_is_digit() -> bool);
    delegate!(fn next_is_alpha() -> bool);
    delegate!(mut fn skip_while_non_breakz() -> usize);
    delegate!(mut fn skip_while_blank() -> usize);
    delegate!(mut fn fetch_while_is_alpha(out: &mut String) -> usize);
    delegate!(mut fn fetch_while_is_yaml_non_space(out: &mut String) -> usize);
}

/// At most this many events of a text are compared (the snippets are short; a file is whole).
const MAX_EVENTS: usize = 2_000_000;

type Events<'a> = Vec<Result<(Event<'a>, Span), ScanError>>;

fn events<'a>(
    mut parser: impl Iterator<Item = Result<(Event<'a>, Span), ScanError>>,
) -> Events<'a> {
    let mut out = Vec::new();
    while out.len() < MAX_EVENTS {
        match parser.next() {
            None => break,
            Some(e) => {
                let stop = e.is_err();
                out.push(e);
                if stop {
                    break;
                }
            }
        }
    }
    out
}

/// The changed path reads `text` as the original one does.
fn same(what: &str, text: &str) {
    let changed = events(Parser::new_from_str(text));
    let original = events(Parser::new(Original(StrInput::new(text))));
    // Plain scalars borrowed or owned compare by their text.
    assert!(
        changed == original,
        "{what}: the scanner's fast path reads differently\n{text:?}\nfrom str:  {changed:?}\npublished: {original:?}"
    );
}

#[test]
fn every_yaml_file_of_the_repository() {
    let files = common::repository_yaml();
    assert!(files.len() > 50, "found {} files", files.len());
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        same(&path.display().to_string(), &text);
    }
}

#[test]
fn generated_topologies() {
    for compact in [false, true] {
        let p = Params {
            seed: 5,
            vpcs: 40,
            gateway_endpoints: true,
            sites: 3,
            outposts: 2,
            compact,
            ..Params::default()
        };
        same("generated", &generate(&p));
    }
}

/// Pieces that end, continue or fold a plain scalar, or are not plain at all.
const PIECES: &[&str] = &[
    "a",
    "b1",
    "x.y",
    ":",
    ": ",
    ":\t",
    "::",
    "a:b",
    "http://h:80/p",
    " ",
    "  ",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "#",
    " #c",
    "#x",
    ",",
    "[",
    "]",
    "{",
    "}",
    "- ",
    "-",
    "? ",
    "'q'",
    "\"d\"",
    "|",
    ">",
    "&a ",
    "*a",
    "!t ",
    "%",
    "\0",
    "---",
    "...",
    "é",
    "日本",
    "\u{FEFF}",
    "\u{2028}",
    "\u{85}",
    ":é",
    ":\u{FEFF}",
    "k: v",
    "k: [a, b:c, {d: e}]",
    "{a: b:, c}",
    "\n  ",
    "\n- ",
];

#[test]
fn generated_snippets() {
    // A fixed seed: the same snippets on every run.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..40_000 {
        let len = 1 + (next() % 12) as usize;
        let mut text = String::new();
        for _ in 0..len {
            text.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
        }
        same("snippet", &text);
        // The same inside a flow collection and a block mapping.
        same("snippet in flow", &format!("[{text}]"));
        same("snippet in a mapping", &format!("k: {text}\nk2: v"));
    }
}

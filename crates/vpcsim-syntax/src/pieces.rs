//! Reading a large YAML file on several threads: the file is cut into pieces at the starts of
//! top-level keys and of the entries of top-level collections, each piece is read on its own
//! (parsed and deserialized by [`stream`](crate::stream)), and the values are joined in file
//! order ([`Join`]).
//!
//! The cuts are found by looking at lines, not by parsing, so a cut is a guess that the read
//! must confirm. A piece is trusted only if it read without any diagnostic, alias or anchor;
//! a piece that starts inside a collection must follow one whose last top-level key is that
//! collection's; no top-level key may be read twice and no mapping may get a name twice across
//! a cut. A cut that was not where the file's structure has a boundary (inside a quoted or
//! flow value that runs over lines) leaves one of its pieces unfinished, which is a syntax
//! error. When anything is not confirmed the whole file is read again in one piece, so every
//! diagnostic, its order and its wording are those of [`stream::from_str`](crate::stream::from_str).
//!
//! Why the guesses hold when confirmed: a line that starts at the column of a block collection's
//! entries, outside quotes and brackets, ends every scalar and collection nested in the entry
//! before it (YAML's indentation rules), so the entry before the cut reads the same to the end of
//! its piece as to the next entry; and the entries after the cut, read as a collection of their
//! own at the same column, are the same entries. `docs/decisions.md` ("Large files read in
//! pieces") has the measurements.

use std::collections::HashSet;

use serde::de;

use crate::diag::Diagnostics;
use crate::source::{SourceFile, SourceId};
use crate::stream::{self, PieceRead};
use crate::types::{Entries, Lenient, List, Spanned};

/// One piece of a file: bytes `start..end`, starting at the start of line `first_line`
/// (1-based). A piece that starts inside the collection of a top-level key has `wrap`, the
/// byte range of that key in the file: it is read as a mapping of that key alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// The line the piece starts on.
    pub first_line: usize,
    /// The top-level key whose collection the piece continues.
    pub wrap: Option<Key>,
}

/// A top-level key, written plain at the start of its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    /// Its first byte.
    pub start: usize,
    /// One past its last byte.
    pub end: usize,
    /// Its line (1-based).
    pub line: usize,
}

/// How a file is read in pieces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parallel {
    /// Threads reading pieces at once (the calling thread is one of them); 1 reads the file
    /// whole.
    pub threads: usize,
    /// The size a piece is cut at, in bytes (a piece ends at the first cut after this many).
    pub piece_bytes: usize,
}

impl Parallel {
    /// One thread per core (at most 8), pieces of 1 MiB: a file under 2 MiB is read whole.
    pub fn for_this_machine() -> Self {
        // Asked once per process: it reads the CPU affinity and cgroup limits, and every load
        // asks (a server reloading a small file included).
        static THREADS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let threads = *THREADS
            .get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)));
        Parallel {
            threads,
            piece_bytes: 1 << 20,
        }
    }
}

/// A value that can be read in pieces: `join` appends the later pieces' values to the first
/// one's, in file order, all at once (a collection cut into many pieces is grown to its size
/// once, not once per piece). False when they cannot be one value (two hold the same key or
/// name): the file is then read whole, which reports why.
pub trait Join: Sized {
    /// Appends `later`, in order; false when they clash.
    fn join(&mut self, later: Vec<Self>) -> bool;
}

/// The part `part` of every value of `values`, taken out of it: what a structure's [`Join`]
/// hands to its field's.
pub fn take_all<T, F: Default>(values: &mut [T], part: impl Fn(&mut T) -> &mut F) -> Vec<F> {
    values.iter_mut().map(|v| std::mem::take(part(v))).collect()
}

impl<T: Join> Join for Lenient<T> {
    fn join(&mut self, later: Vec<Self>) -> bool {
        let mut later = later.into_iter().filter_map(|l| l.0);
        if self.0.is_none() {
            self.0 = later.next();
        }
        let rest: Vec<T> = later.collect();
        match &mut self.0 {
            Some(v) => rest.is_empty() || v.join(rest),
            None => true,
        }
    }
}

impl<T> Join for Entries<T> {
    fn join(&mut self, later: Vec<Self>) -> bool {
        let added: usize = later.iter().map(|l| l.0.len()).sum();
        if added == 0 {
            return true;
        }
        let mut names: HashSet<&str, foldhash::fast::RandomState> =
            HashSet::with_capacity_and_hasher(self.0.len() + added, Default::default());
        for e in self.0.iter().chain(later.iter().flat_map(|l| &l.0)) {
            if !names.insert(e.key.value.as_str()) {
                return false;
            }
        }
        drop(names);
        self.0.reserve_exact(added);
        for mut l in later {
            self.0.append(&mut l.0);
        }
        true
    }
}

impl<T> Join for List<T> {
    fn join(&mut self, later: Vec<Self>) -> bool {
        self.0.reserve_exact(later.iter().map(|l| l.0.len()).sum());
        for mut l in later {
            self.0.append(&mut l.0);
        }
        true
    }
}

/// Values that one key holds whole: two pieces never both hold one.
macro_rules! whole {
    ($($t:ty),*) => {$(
        impl Join for $t {
            fn join(&mut self, later: Vec<Self>) -> bool {
                later.is_empty()
            }
        }
    )*};
}
whole!(String, u64);

impl<T> Join for Spanned<T> {
    fn join(&mut self, later: Vec<Self>) -> bool {
        later.is_empty()
    }
}

/// Deserializes `T` from `file` as [`stream::from_str`](crate::stream::from_str) does, reading
/// pieces of it on `how.threads` threads when it is large enough to cut (see the module's
/// documentation); the value and the diagnostics are the same either way.
pub fn from_str<'de, T>(
    id: SourceId,
    file: &'de SourceFile,
    diags: &Diagnostics,
    how: Parallel,
) -> Option<T>
where
    T: de::Deserialize<'de> + Join + Send,
{
    if let Some(value) = in_pieces(id, file, how) {
        return Some(value);
    }
    stream::from_str(id, file, diags)
}

/// `T` read from pieces of `file` on `how.threads` threads; `None` when the file is not cut (too
/// small, one thread, a shape the cuts leave alone) or a piece did not read cleanly: it is then
/// to be read whole, which reports why.
pub fn in_pieces<'de, T>(id: SourceId, file: &'de SourceFile, how: Parallel) -> Option<T>
where
    T: de::Deserialize<'de> + Join + Send,
{
    if how.threads < 2 {
        return None;
    }
    let planner = Planner::new(&file.text, how.piece_bytes, true)?;
    read_pieces(id, file, planner, how.threads)
}

/// The pieces handed out so far, as the threads ask for them.
struct Handout<'t> {
    planner: Planner<'t>,
    /// Pieces handed out.
    given: usize,
    /// A piece did not read cleanly, or the plan found a shape the cuts leave alone.
    stop: bool,
}

/// Reads the pieces `planner` cuts, on up to `threads` threads, and joins them; `None` unless
/// the file was cut, every piece read cleanly and they join.
///
/// The plan is made as the pieces are asked for, by whichever thread asks (under a lock; planning
/// a piece takes about 1 % of reading it): the threads start reading at once, and the plan's
/// walk over the lines is shared by them instead of coming before them on one.
fn read_pieces<'de, T>(
    id: SourceId,
    file: &'de SourceFile,
    planner: Planner<'_>,
    threads: usize,
) -> Option<T>
where
    T: de::Deserialize<'de> + Join + Send,
{
    // At most one thread per piece the file can have.
    let threads = threads.min(file.text.len() / planner.piece_bytes.max(1) + 1);
    let handout = std::sync::Mutex::new(Handout {
        planner,
        given: 0,
        stop: false,
    });
    // A panic while planning is re-raised by the scope below: the state is still usable.
    let lock = || {
        handout
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let take = || {
        let mut h = lock();
        if h.stop {
            return None;
        }
        match h.planner.next_piece() {
            Next::Piece(piece) => {
                h.given += 1;
                Some((h.given - 1, piece))
            }
            Next::End => None,
            Next::Refused => {
                h.stop = true;
                None
            }
        }
    };
    let work = || {
        let mut done = Vec::new();
        while let Some((i, piece)) = take() {
            let read = stream::read_piece::<T>(id, file, &piece);
            let clean = read.value.is_some();
            done.push((i, piece, read));
            if !clean {
                // The file will be read whole: stop taking pieces.
                lock().stop = true;
                break;
            }
        }
        done
    };
    let mut reads: Vec<(usize, Piece, PieceRead<T>)> = std::thread::scope(|scope| {
        // A thread the system will not start leaves its pieces to the others.
        let helpers: Vec<_> = (1..threads)
            .filter_map(|_| std::thread::Builder::new().spawn_scoped(scope, work).ok())
            .collect();
        let mut all = work();
        for h in helpers {
            // A panic while reading a piece is the same panic as reading the file whole.
            all.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        all
    });
    let h = handout
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if h.stop || reads.len() != h.given {
        return None;
    }
    reads.sort_unstable_by_key(|(i, _, _)| *i);
    let mut seen = HashSet::new();
    let mut last_key = None;
    let mut values = Vec::with_capacity(reads.len());
    for (_, piece, read) in reads {
        let keys = read.top_keys;
        match piece.wrap {
            // The piece continues the collection of the key the piece before ended in.
            Some(Key { start, end, .. }) => {
                let key = &file.text[start..end];
                if keys.len() != 1 || keys[0] != key || last_key.as_deref() != Some(key) {
                    return None;
                }
            }
            None => {
                for k in &keys {
                    if !seen.insert(k.clone()) {
                        return None;
                    }
                }
                last_key = keys.last().cloned();
            }
        }
        values.push(read.value?);
    }
    let mut later = values.into_iter();
    let mut value = later.next()?;
    value.join(later.collect()).then_some(value)
}

/// Where to cut `text` into pieces of about `piece_bytes`; `None` when it is not worth cutting
/// or the text has something the cuts do not handle (a byte order mark, tabs in indentation,
/// documents and directives, a top level that is not a block mapping at column 0).
///
/// A cut is made at a top-level key, or at an entry of a top-level key's block collection (a
/// mapping's key or a list's `- `, at the column of the collection's first entry), when the
/// piece has reached `piece_bytes`. A piece that starts at an entry ends at the next top-level
/// key at the latest (its text is read as that one collection).
pub fn plan(text: &str, piece_bytes: usize) -> Option<Vec<Piece>> {
    plan_with(text, piece_bytes, true)
}

/// [`plan`] made looking at every line's indentation and first character, not passing over the
/// lines inside an entry after their first columns: the same pieces, more slowly. For tests
/// that hold the quick pass to it.
#[doc(hidden)]
pub fn plan_looking_at_every_line(text: &str, piece_bytes: usize) -> Option<Vec<Piece>> {
    plan_with(text, piece_bytes, false)
}

/// [`plan`], with the lines inside an entry passed over after a look at their first columns
/// when `quick` (and the text has no tab), else after their indentation is counted.
fn plan_with(text: &str, piece_bytes: usize, quick: bool) -> Option<Vec<Piece>> {
    let mut planner = Planner::new(text, piece_bytes, quick)?;
    let mut pieces = Vec::new();
    loop {
        match planner.next_piece() {
            Next::Piece(piece) => pieces.push(piece),
            Next::End => return Some(pieces),
            Next::Refused => return None,
        }
    }
}

/// What the plan gives next.
enum Next {
    /// The next piece.
    Piece(Piece),
    /// Every piece was given.
    End,
    /// The text is not to be cut (see [`plan`]): the pieces given so far are to be dropped.
    Refused,
}

/// The plan of [`plan`], made piece by piece: the walk over the lines stops at each cut.
struct Planner<'t> {
    text: &'t str,
    piece_bytes: usize,
    /// Lines inside an entry are passed over after their first columns.
    quick: bool,
    /// The piece being planned.
    piece: Piece,
    /// The top-level key being read, when it is a plain key alone on its line (its collection
    /// can then be cut): its byte range, and the column of its collection's entries and whether
    /// they are a list's, once the first entry is seen.
    key: Option<Key>,
    entries: Option<(usize, bool)>,
    /// The start of the next line, and its index (0-based).
    at: usize,
    line: usize,
    /// No line but blank ones and comments seen yet.
    first: bool,
    /// Pieces given, and whether the last one was.
    given: usize,
    ended: bool,
}

impl<'t> Planner<'t> {
    /// `None` when the text is too small to cut or starts with a byte order mark.
    fn new(text: &'t str, piece_bytes: usize, quick: bool) -> Option<Self> {
        if text.len() < 2 * piece_bytes.max(1) || text.starts_with('\u{feff}') {
            return None;
        }
        Some(Planner {
            text,
            piece_bytes,
            // Without a tab, a line that starts with a space is passed over once its first
            // columns show it is inside an entry (or in a collection not cut): what the full look
            // would decide, without counting its indentation or looking at what follows.
            quick: quick && memchr::memchr(b'\t', text.as_bytes()).is_none(),
            piece: Piece {
                start: 0,
                end: 0,
                first_line: 1,
                wrap: None,
            },
            key: None,
            entries: None,
            at: 0,
            line: 0,
            first: true,
            given: 0,
            ended: false,
        })
    }

    /// The next piece: lines are walked up to the next cut (or the end of the text).
    fn next_piece(&mut self) -> Next {
        if self.ended {
            return Next::End;
        }
        let (text, piece_bytes) = (self.text, self.piece_bytes);
        let bytes = text.as_bytes();
        // Lines are found with `memchr`, and most of them (inside an entry) are passed over after
        // their first columns: planning is work that reading waits for.
        while self.at < bytes.len() {
            let (start, n) = (self.at, self.line);
            self.line += 1;
            self.at = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i + 1);
            let at = self.at;
            if self.quick && !self.first && bytes[start] == b' ' {
                let inside = match (self.key, self.entries) {
                    (None, _) => true,
                    (Some(_), None) => false,
                    // Spaces up to and including the entries' column: further in than they are.
                    (Some(_), Some((column, _))) => bytes[start..at]
                        .get(..=column)
                        .is_some_and(|s| s.iter().all(|&c| c == b' ')),
                };
                if inside {
                    continue;
                }
            }
            let indent = bytes[start..at].iter().take_while(|&&c| c == b' ').count();
            let b = bytes.get(start + indent).copied().unwrap_or(b'\n');
            let rest = || text[start + indent..at].trim_end_matches(['\n', '\r']);
            // A blank line (spaces, tabs, any Unicode space) or a comment.
            if b == b'#' || (!b.is_ascii_graphic() && rest().trim().is_empty()) {
                continue;
            }
            if b == b'\t' || (self.first && (indent > 0 || b"-{[\"'?&!*|>%".contains(&b))) {
                return Next::Refused;
            }
            let top = indent == 0;
            // Inside an entry of a collection being cut, or of one that is not: nothing to see.
            if !top
                && (self.key.is_none() || self.entries.is_some_and(|(column, _)| indent > column))
            {
                continue;
            }
            let rest = rest();
            if top {
                if rest.starts_with("---") || rest.starts_with("...") || b == b'%' {
                    return Next::Refused;
                }
                if b == b'-' {
                    // An entry of a list written at column 0, or a key starting with `-`: not
                    // cut, nor what follows it.
                    self.key = None;
                    self.entries = None;
                    continue;
                }
                self.key = plain_key(rest).map(|(s, e)| Key {
                    start: start + s,
                    end: start + e,
                    line: n + 1,
                });
                self.entries = None;
            } else if self.key.is_some() {
                match self.entries {
                    None => {
                        self.entries = Some((indent, rest.starts_with("- ") || rest == "-"));
                        continue;
                    }
                    // A line left of the entries: not a collection this knows how to cut.
                    Some((column, _)) if indent < column => self.key = None,
                    Some((column, list)) => {
                        let entry = indent == column
                            && if list {
                                rest.starts_with("- ")
                            } else {
                                b.is_ascii_alphanumeric() || b == b'_'
                            };
                        if !entry {
                            continue;
                        }
                    }
                }
            }
            if self.first {
                self.first = false;
                continue;
            }
            if !top && self.key.is_none() {
                continue;
            }
            // A piece that continues a collection ends where the collection does.
            if (top && self.piece.wrap.is_some()) || start - self.piece.start >= piece_bytes {
                let done = Piece {
                    end: start,
                    ..self.piece
                };
                self.piece = Piece {
                    start,
                    end: 0,
                    first_line: n + 1,
                    wrap: if top { None } else { self.key },
                };
                self.given += 1;
                return Next::Piece(done);
            }
        }
        self.ended = true;
        if self.given == 0 {
            // One piece: not cut.
            return Next::Refused;
        }
        self.given += 1;
        Next::Piece(Piece {
            end: text.len(),
            ..self.piece
        })
    }
}

/// The byte range of `key` in a line `key:` (optionally followed by spaces and a comment),
/// where `key` is plain: letters, digits, `_` and `-`, starting with a letter or `_`.
fn plain_key(line: &str) -> Option<(usize, usize)> {
    let end = line.find(':')?;
    let key = &line[..end];
    let first = *key.as_bytes().first()?;
    let after = line[end + 1..].trim_start_matches(' ');
    let plain = (first.is_ascii_alphabetic() || first == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    (plain && (after.is_empty() || after.starts_with('#'))).then_some((0, end))
}

#[cfg(test)]
mod tests {
    //! Reading in pieces must give what reading whole gives: every case is read whole and in
    //! pieces of several sizes, and the values (with their spans) and diagnostics compared.
    use serde::Deserialize;

    use super::*;
    use crate::stream::RawNode;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Item {
        name: Spanned<String>,
        #[serde(default)]
        tags: List<Spanned<String>>,
        note: Option<Spanned<String>>,
        policy: Option<Spanned<RawNode>>,
    }

    #[derive(Deserialize, Debug, PartialEq, Default)]
    #[serde(deny_unknown_fields)]
    struct Top {
        #[serde(default)]
        items: Lenient<Entries<Item>>,
        #[serde(default)]
        more: Lenient<Entries<Item>>,
        #[serde(default)]
        list: Lenient<List<Item>>,
        #[serde(default)]
        seed: Lenient<u64>,
        #[serde(default)]
        name: Lenient<Spanned<String>>,
    }

    impl Join for Top {
        fn join(&mut self, mut later: Vec<Self>) -> bool {
            let Top {
                items,
                more,
                list,
                seed,
                name,
            } = self;
            items.join(take_all(&mut later, |t| &mut t.items))
                && more.join(take_all(&mut later, |t| &mut t.more))
                && list.join(take_all(&mut later, |t| &mut t.list))
                && seed.join(take_all(&mut later, |t| &mut t.seed))
                && name.join(take_all(&mut later, |t| &mut t.name))
        }
    }

    fn lines(diags: Diagnostics) -> Vec<String> {
        diags
            .into_sorted()
            .iter()
            .map(|d| format!("{:?} {} {}", d.span, d.code, d.message))
            .collect()
    }

    type Read = (Option<Top>, Vec<String>);

    fn whole(text: &str) -> Read {
        let file = SourceFile::new("t.yaml", text);
        let diags = Diagnostics::new();
        let v = stream::from_str::<Top>(SourceId(0), &file, &diags);
        (v, lines(diags))
    }

    /// Reads `text` whole and in pieces of several sizes on 1–3 threads; true when some piece
    /// size read it in pieces (rather than falling back to reading it whole).
    fn same(text: &str) -> bool {
        let expected = whole(text);
        let file = SourceFile::new("t.yaml", text);
        let mut cut = false;
        for piece_bytes in [1, 7, 16, 40, 100] {
            assert_eq!(
                plan(text, piece_bytes),
                plan_looking_at_every_line(text, piece_bytes),
                "the quick plan in pieces of {piece_bytes} bytes (left) differs from the slow one (right) for:\n{text}"
            );
            for threads in 1..=3 {
                let diags = Diagnostics::new();
                let how = Parallel {
                    threads,
                    piece_bytes,
                };
                let v = from_str::<Top>(SourceId(0), &file, &diags, how);
                assert_eq!(
                    (v, lines(diags)),
                    expected,
                    "pieces of {piece_bytes} bytes on {threads} threads (left) differ from the whole (right) for:\n{text}"
                );
                if threads > 1 {
                    cut |= in_pieces::<Top>(SourceId(0), &file, how).is_some();
                }
            }
        }
        cut
    }

    const BASE: &str = "\
# A comment first.
name: net
items:
  a:
    name: x
    tags: [t1, t2]
  b: { name: y }

  # A comment between entries.
  c:
    name: z
    note: |
      a block scalar
       with a line further in

    policy:
      Statement:
        - Effect: Allow
          Action: s3:*
  d:
    name: \"w\"
list:
  - name: l1
  - name: l2
    tags:
      - a
      - b
  - { name: l3 }
seed: 4
more:
  m1: { name: m }
  m2:
    name: n
";

    #[test]
    fn cuts_where_the_structure_has_boundaries() {
        let pieces = plan(BASE, 1).expect("cut");
        let starts: Vec<&str> = pieces
            .iter()
            .map(|p| BASE[p.start..p.end].lines().next().unwrap())
            .collect();
        assert_eq!(
            starts,
            [
                "# A comment first.",
                "items:",
                "  b: { name: y }",
                "  c:",
                "  d:",
                "list:",
                "  - name: l2",
                "  - { name: l3 }",
                "seed: 4",
                "more:",
                "  m2:"
            ]
        );
        let key = |p: &Piece| p.wrap.map(|k| &BASE[k.start..k.end]);
        assert_eq!(key(&pieces[2]), Some("items"));
        assert_eq!(key(&pieces[6]), Some("list"));
        assert_eq!(key(&pieces[5]), None);
        assert_eq!(pieces[2].first_line, 7);
        assert!(same(BASE));
    }

    #[test]
    fn reads_what_reading_whole_reads() {
        let cases = [
            BASE.to_string(),
            BASE.replace('\n', "\r\n"),
            // Quoted and flow values running over a would-be cut: read whole.
            BASE.replace("name: \"w\"", "name: \"w\nx: 1\n\""),
            BASE.replace("tags: [t1, t2]", "tags: [t1,\n  b: t2]"),
            BASE.replace("note: |", "note: \"x\n  y: 1\n  \""),
            // Anchors and aliases, across pieces and within one.
            BASE.replace("b: { name: y }", "b: &b { name: y }")
                .replace("d:\n    name: \"w\"", "d: *b"),
            BASE.replace("  - name: l1", "  - &l { name: l1 }\n  - *l"),
            // An alias explosion: a piece stops at its first anchor, the whole read reports it.
            format!(
                "{BASE}bomb:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n{}",
                (1..9)
                    .map(|i| format!(
                        "  a{i}: &a{i} [{}]\n",
                        vec![format!("*a{}", i - 1); 10].join(", ")
                    ))
                    .collect::<String>()
            ),
            // Duplicates: a top-level key in two pieces, an entry on both sides of a cut.
            format!("{BASE}items:\n  e: {{ name: e }}\n"),
            BASE.replace("  d:\n", "  a:\n"),
            format!("{BASE}seed: 5\n"),
            // Errors in one piece.
            BASE.replace("name: z", "nmae: z"),
            BASE.replace("seed: 4", "seed: four"),
            BASE.replace("  m2:\n", "  m2:\n   bad: [\n"),
            // Shapes the cuts leave alone.
            format!("---\n{BASE}"),
            format!("{BASE}---\nseed: 1\n"),
            format!("%YAML 1.2\n---\n{BASE}"),
            BASE.replace("list:\n  - name: l1", "list:\n- name: l1")
                .replace("  - name: l2", "- name: l2"),
            BASE.replace("\n  c:\n", "\n\tc:\n"),
            "- a\n- b\n".repeat(20),
            format!("{{ seed: 1 }}\n{BASE}"),
            format!("  {BASE}"),
            String::new(),
            "items:\n".into(),
            // A dedented line inside a collection.
            BASE.replace("  d:\n    name: \"w\"", "  d:\n    name: w\n x: 1"),
            // A key with a value, a key with `-`, an indented comment at column 0.
            BASE.replace("seed: 4\n", "seed: 4\n-x: 1\n#c\n"),
        ];
        let mut cut = 0;
        for text in &cases {
            cut += usize::from(same(text));
        }
        assert!(cut >= 3, "some cases are read in pieces ({cut})");
    }

    #[test]
    fn edits_read_the_same_in_pieces() {
        // Seeded edits of the base text: each inserts, deletes or replaces a few bytes with
        // YAML's punctuation, which moves cuts into values, quotes and brackets.
        let mut seed: u64 = 0x5eed;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let alphabet = [
            "\n", " ", "  ", "-", "- ", ":", ": ", "\"", "'", "[", "]", "{", "}", ",", "#", "|",
            "&a ", "*a", "x", "\n  ", "\n    ",
        ];
        let mut cut = 0;
        for _ in 0..300 {
            let mut text = BASE.to_string();
            for _ in 0..1 + next(3) {
                let at = next(text.len());
                let at = (0..=at).rev().find(|&i| text.is_char_boundary(i)).unwrap();
                let end = (at + next(4)).min(text.len());
                let end = (end..=text.len())
                    .find(|&i| text.is_char_boundary(i))
                    .unwrap();
                let with = if next(3) == 0 {
                    ""
                } else {
                    alphabet[next(alphabet.len())]
                };
                text.replace_range(at..end, with);
            }
            cut += usize::from(same(&text));
        }
        assert!(cut > 50, "most edits are still read in pieces ({cut})");
    }
}

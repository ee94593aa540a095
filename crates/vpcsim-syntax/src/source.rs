//! Source files and spans.

use std::sync::{Arc, OnceLock};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct SourceId(pub u32);

/// A location in a source file: a byte range plus the 1-based line and column of its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file.
    pub file: SourceId,
    /// Byte offset of the first byte (files are limited to 256 MiB, far below `u32::MAX`).
    pub start: u32,
    /// Byte offset one past the last byte.
    pub end: u32,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column (in characters) of `start`.
    pub col: u32,
}

/// A byte offset as a span holds it (saturating: a text is never near 4 GiB).
pub fn offset32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

impl Span {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }

    /// The byte range it covers.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Byte offset of the first byte.
    pub fn start_offset(&self) -> usize {
        self.start as usize
    }

    /// Byte offset one past the last byte.
    pub fn end_offset(&self) -> usize {
        self.end as usize
    }

    /// True when the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One file that was read: its display name and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown in diagnostics (the path as the user gave it).
    pub name: String,
    /// The whole text (shared, and kept as it was read: a file is not copied to be shared).
    pub text: Arc<String>,
    /// Byte offsets of line starts, as `u32` (a file has at most `u32::MAX` bytes that spans
    /// can name; see [`offset32`]), found the first time they are needed: a file that reads
    /// cleanly needs none when [`SourceFile::plain`]. Shared, as a source file is cloned to be
    /// read while the map it is in grows.
    line_starts: Arc<OnceLock<Box<[u32]>>>,
    /// Every character is one byte: columns are byte differences.
    ascii: bool,
    /// Every character is one byte and every carriage return is followed by a line feed.
    plain: bool,
}

impl SourceFile {
    /// Makes a source file.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = Arc::new(text.into());
        let ascii = text.is_ascii();
        let bytes = text.as_bytes();
        let plain =
            ascii && memchr::memchr_iter(b'\r', bytes).all(|i| bytes.get(i + 1) == Some(&b'\n'));
        SourceFile {
            name: name.into(),
            ascii,
            plain,
            text,
            line_starts: Arc::default(),
        }
    }

    /// True when a parser's position — a character index, a line counted at `\n` and `\r\n`
    /// breaks and a character column — gives a span without the line index: the index is the
    /// byte offset and the column the byte column ([`SourceFile::plain_span`]).
    pub fn plain(&self) -> bool {
        self.plain
    }

    /// The span of characters `start..end` (indexes into the text, which is [`plain`]) that
    /// starts on 1-based `line` at 0-based column `col`.
    ///
    /// [`plain`]: SourceFile::plain
    pub fn plain_span(
        &self,
        id: SourceId,
        (start, end): (usize, usize),
        line: usize,
        col: usize,
    ) -> Span {
        Span {
            file: id,
            start: offset32(start),
            end: offset32(end.max(start)),
            line: line as u32,
            col: col as u32 + 1,
        }
    }

    /// The span of a parser's position over text that starts at byte `base`, after `lines`
    /// lines, of this file (a piece; 0 and 0 for the whole file): from the parser's character
    /// index when the file is [`plain`](SourceFile::plain), else through the line index. Both
    /// readers make every span here.
    pub(crate) fn parsed_span(
        &self,
        id: SourceId,
        s: saphyr_parser::Span,
        base: usize,
        lines: usize,
    ) -> Span {
        if self.plain {
            let (start, end) = (base + s.start.index(), base + s.end.index());
            return self.plain_span(id, (start, end), s.start.line() + lines, s.start.col());
        }
        self.span_at(
            id,
            (s.start.line() + lines, s.start.col()),
            (s.end.line() + lines, s.end.col()),
        )
    }

    /// Byte offsets of line starts.
    fn line_starts(&self) -> &[u32] {
        self.line_starts.get_or_init(|| {
            let bytes = self.text.as_bytes();
            let mut starts = Vec::with_capacity(bytes.len() / 32 + 1);
            starts.push(0);
            starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| offset32(i + 1)));
            starts.into_boxed_slice()
        })
    }

    /// Byte offset of a 1-based line and a 0-based character column (clamped to the text).
    pub fn offset(&self, line: usize, col_chars: usize) -> usize {
        let index = line.saturating_sub(1);
        let Some(start) = self.line_start(index) else {
            return self.text.len();
        };
        let end = self
            .line_start(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        let line_text = &self.text[start..end];
        if self.ascii {
            return start + col_chars.min(line_text.len());
        }
        let in_line = line_text
            .char_indices()
            .nth(col_chars)
            .map(|(i, _)| i)
            .unwrap_or(line_text.len());
        start + in_line
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        if offset == 0 {
            return (1, 1);
        }
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts()[line] as usize;
        if self.ascii {
            return (line as u32 + 1, (offset - start) as u32 + 1);
        }
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |s| s.chars().count());
        (line as u32 + 1, col as u32 + 1)
    }

    /// A span from a 1-based line and 0-based character columns, as a YAML parser reports them.
    pub fn span_at(
        &self,
        id: SourceId,
        (line, col_chars): (usize, usize),
        (end_line, end_col): (usize, usize),
    ) -> Span {
        let start = self.offset(line, col_chars);
        let end = self.offset(end_line, end_col);
        if line == 0 || line > self.line_starts().len() {
            return self.span(id, start, end);
        }
        let line_start = self.line_starts()[line - 1] as usize;
        let col = if self.ascii {
            start - line_start
        } else {
            self.text[line_start..start].chars().count()
        };
        self.plain_span(id, (start, end), line, col)
    }

    /// A span from byte offsets.
    pub fn span(&self, id: SourceId, start: usize, end: usize) -> Span {
        let (line, col) = self.line_col(start);
        Span {
            file: id,
            start: offset32(start),
            end: offset32(end.max(start)),
            line,
            col,
        }
    }

    /// The text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    /// Number of lines (a text ending with a newline has an empty last line after it).
    pub(crate) fn line_count(&self) -> usize {
        self.line_starts().len()
    }

    /// 0-based line holding a byte offset (clamped to the text).
    pub(crate) fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts().binary_search(&offset32(offset)) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// Byte offset where a 0-based line starts.
    fn line_start(&self, index: usize) -> Option<usize> {
        self.line_starts().get(index).map(|&s| s as usize)
    }

    /// Byte range of a 0-based line, without its line break (`\n` or `\r\n`).
    pub(crate) fn line_bounds(&self, index: usize) -> (usize, usize) {
        let start = self.line_starts()[index] as usize;
        let mut end = self
            .line_start(index + 1)
            .map_or(self.text.len(), |next| next - 1);
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        (start, end)
    }
}

/// The files read during one load, indexed by [`SourceId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        let id = SourceId(self.files.len() as u32);
        self.files.push(SourceFile::new(name, text));
        id
    }

    /// The file with this id.
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// All files with their ids.
    pub fn iter(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (SourceId(i as u32), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `span_at` (the parser's line/column) and `span` (byte offsets) agree, in ASCII and
    /// multi-byte text, including columns past the end of a line.
    #[test]
    fn line_columns_and_offsets_agree() {
        for text in ["ab: 1\ncd: 22\n\nx", "é: ü\nkey: «v»\r\nz"] {
            let f = SourceFile::new("t.yaml", text);
            for line in 1..=4 {
                for col in 0..8 {
                    let at = f.span_at(SourceId(0), (line, col), (line, col));
                    let by_offset = f.span(SourceId(0), at.start_offset(), at.end_offset());
                    assert_eq!(at, by_offset, "{text:?} line {line} col {col}");
                    assert!(text.is_char_boundary(at.start_offset()));
                }
            }
            assert_eq!(f.offset(2, 1), text.find('\n').unwrap() + 1 + 1);
        }
        let f = SourceFile::new("t.yaml", "é: ü\n");
        assert_eq!(f.offset(1, 3), "é: ".len());
        assert_eq!(f.line_col("é: ".len()), (1, 4));
    }
}

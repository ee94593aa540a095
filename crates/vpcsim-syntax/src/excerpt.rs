//! The part of a file a diagnostic quotes, built once per diagnostic: the lines around each
//! label, each long line through a window around the label's column.
//!
//! miette reads snippets through [`miette::SourceCode::read_span`]; its implementation for a
//! whole text scans from the beginning of the file on every read, which made reporting N
//! problems in a file of N lines quadratic, and it prints whole lines, so a problem on a line of
//! 100 MB printed 100 MB (and one past column 65,535 panicked in its formatting). An
//! [`Excerpt`] holds only the quoted lines, found through the file's line index, each at most
//! [`QUOTE_WIDTH`] bytes wide: reading it costs what is quoted, not what comes before.

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

use crate::source::{SourceFile, Span};
use crate::text::{ceil_boundary, floor_boundary, shown};

/// A source line longer than this many bytes is quoted through a window of this width.
pub const QUOTE_WIDTH: usize = 120;
/// Bytes of a long line quoted before the problem's column.
pub const QUOTE_BEFORE: usize = 40;
/// A label spanning more lines than this is drawn on its first line only.
pub const LABEL_LINES: usize = 8;
/// Lines quoted above and below a label: what miette's graphical handler asks for.
const CONTEXT: usize = 1;

/// One label to draw: its span in the file, its text, whether it is the primary one.
pub(crate) struct Label {
    pub span: Span,
    pub text: Option<String>,
    pub primary: bool,
}

/// The quoted lines of one file for one diagnostic, and where its labels fall in them.
pub(crate) struct Excerpt {
    name: String,
    text: String,
    blocks: Vec<Block>,
    /// Each label's start in `text` and the 0-based column of its start in the file.
    columns: Vec<(usize, usize)>,
}

/// Consecutive lines of the file, quoted through one window.
struct Block {
    /// 0-based number, in the file, of the block's first line.
    first_line: usize,
    /// Start of each line in the excerpt's text, then the block's end (past its last newline).
    starts: Vec<usize>,
}

/// A label placed in the file: clipped byte range, lines, window, lines to quote.
struct Placed {
    start: usize,
    end: usize,
    line: usize,
    end_line: usize,
    /// Start of the window, in bytes from the start of each quoted line.
    window: usize,
    /// Lines to quote, first and last (inclusive).
    quote: (usize, usize),
}

impl Excerpt {
    /// The excerpt of `file` for `labels`, and the labels placed in it.
    pub(crate) fn new(file: &SourceFile, labels: &[Label]) -> (Excerpt, Vec<LabeledSpan>) {
        let last_line = last_line(file);
        let placed: Vec<Placed> = labels
            .iter()
            .map(|l| place(file, l.span, last_line))
            .collect();

        // Group labels whose quoted lines touch and share a window into blocks.
        let mut order: Vec<usize> = (0..placed.len()).collect();
        order.sort_by_key(|&i| (placed[i].window, placed[i].quote.0));
        let mut groups: Vec<(usize, (usize, usize), Vec<usize>)> = Vec::new();
        for i in order {
            let p = &placed[i];
            match groups.last_mut() {
                Some((window, lines, members))
                    if *window == p.window && p.quote.0 <= lines.1 + 1 =>
                {
                    lines.1 = lines.1.max(p.quote.1);
                    members.push(i);
                }
                _ => groups.push((p.window, p.quote, vec![i])),
            }
        }
        groups.sort_by_key(|(window, lines, _)| (lines.0, *window));

        let mut out = String::new();
        let mut blocks = Vec::with_capacity(groups.len());
        let mut spans = vec![(0, 0); placed.len()];
        for (window, (first, last), members) in &groups {
            let mut starts = Vec::with_capacity(last - first + 2);
            for line in *first..=*last {
                starts.push(out.len());
                let map = quote_line(file, line, *window, &mut out);
                out.push('\n');
                for &m in members {
                    let p = &placed[m];
                    if p.line == line {
                        spans[m].0 = map.at(p.start);
                    }
                    if p.end_line == line {
                        spans[m].1 = map.at(p.end);
                    }
                }
            }
            starts.push(out.len());
            blocks.push(Block {
                first_line: *first,
                starts,
            });
        }
        let mut columns = Vec::with_capacity(labels.len());
        let mut miette_labels = Vec::with_capacity(labels.len());
        for (label, &(start, end)) in labels.iter().zip(&spans) {
            let end = end.max(start);
            columns.push((start, label.span.col.saturating_sub(1) as usize));
            let span = SourceSpan::from((start, end - start));
            miette_labels.push(if label.primary {
                LabeledSpan::new_primary_with_span(label.text.clone(), span)
            } else {
                LabeledSpan::new_with_span(label.text.clone(), span)
            });
        }
        (
            Excerpt {
                name: file.name.clone(),
                text: out,
                blocks,
                columns,
            },
            miette_labels,
        )
    }
}

/// The last line a snippet may show: a text ending with a newline has no line after it.
fn last_line(file: &SourceFile) -> usize {
    let n = file.line_count();
    if n > 1 && file.text.ends_with('\n') {
        n - 2
    } else {
        n - 1
    }
}

fn place(file: &SourceFile, span: Span, last_line: usize) -> Placed {
    let text = &*file.text;
    let start = floor_boundary(text, span.start_offset());
    let line = file.line_index(start);
    let (line_start, line_end) = file.line_bounds(line);
    let start = start.min(line_end);
    let end = floor_boundary(text, span.end_offset().max(start)).max(start);
    let mut end_line = if end > start {
        file.line_index(end - 1)
    } else {
        line
    };
    let end = if end_line == line || end_line - line >= LABEL_LINES {
        end_line = line;
        end.min(line_end)
    } else {
        end.min(file.line_bounds(end_line).1)
    };
    let width = line_end - line_start;
    let column = start - line_start;
    let window = if width <= QUOTE_WIDTH {
        0
    } else {
        let w = column.saturating_sub(QUOTE_BEFORE).min(width - QUOTE_WIDTH);
        floor_boundary(&text[line_start..line_end], w)
    };
    let quote = (
        line.saturating_sub(CONTEXT),
        (end_line + CONTEXT).min(last_line.max(end_line)),
    );
    Placed {
        start,
        end,
        line,
        end_line,
        window,
        quote,
    }
}

/// Where bytes of one line of the file went in the excerpt.
struct LineMap {
    /// (byte in the file, byte in the excerpt) of each character quoted, then of the window's end.
    points: Vec<(usize, usize)>,
}

impl LineMap {
    /// The excerpt's offset for a byte of the file on this line: before the window is at its
    /// start, after it at its end.
    fn at(&self, offset: usize) -> usize {
        match self.points.binary_search_by_key(&offset, |&(from, _)| from) {
            Ok(i) => self.points[i].1,
            Err(0) => self.points[0].1,
            Err(i) => self.points[i - 1].1,
        }
    }
}

/// Appends line `line` of `file`, through the window starting `window` bytes into it, to `out`.
fn quote_line(file: &SourceFile, line: usize, window: usize, out: &mut String) -> LineMap {
    let (line_start, line_end) = file.line_bounds(line);
    let text = &file.text[line_start..line_end];
    let (from, to) = if window == 0 && text.len() <= QUOTE_WIDTH {
        (0, text.len())
    } else {
        let from = ceil_boundary(text, window);
        (from, floor_boundary(text, window + QUOTE_WIDTH).max(from))
    };
    if from > 0 {
        out.push('…');
    }
    let mut points = Vec::with_capacity(to - from + 1);
    for (i, c) in text[from..to].char_indices() {
        points.push((line_start + from + i, out.len()));
        out.push(shown(c));
    }
    points.push((line_start + to, out.len()));
    if to < text.len() {
        out.push('…');
    }
    LineMap { points }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start + span.len();
        let block = self
            .blocks
            .iter()
            .find(|b| b.starts[0] <= start && start < b.starts[b.starts.len() - 1])
            .ok_or(MietteError::OutOfBounds)?;
        let lines = block.starts.len() - 1;
        if end >= block.starts[lines] {
            return Err(MietteError::OutOfBounds);
        }
        let line_of = |offset: usize| match block.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let first = line_of(start);
        let last = line_of(end.saturating_sub(1).max(start));
        let from = first.saturating_sub(context_lines_before);
        let to = (last + context_lines_after).min(lines - 1);
        let data_start = block.starts[from];
        let data_end = block.starts[to + 1];
        let column = if from == first {
            self.columns
                .iter()
                .find(|&&(at, _)| at == start)
                .map_or(0, |&(_, col)| col)
        } else {
            0
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            &self.text.as_bytes()[data_start..data_end],
            SourceSpan::from((data_start, data_end - data_start)),
            block.first_line + from,
            column,
            to - from + 1,
        )))
    }
}

#[cfg(test)]
impl Excerpt {
    /// Bytes quoted.
    pub(crate) fn len(&self) -> usize {
        self.text.len()
    }
}

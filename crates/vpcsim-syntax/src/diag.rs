//! Diagnostics: what is wrong, where, and how to fix it.

use std::cell::RefCell;
use std::fmt;

use crate::excerpt::{Excerpt, Label};
use crate::source::{SourceMap, Span};
use crate::text::{MAX_SHOWN, clip, clip_lines};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The topology is invalid; nothing is built from it.
    Error,
    /// The topology is valid but probably not what was meant.
    Warning,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One finding, located in a source file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable, kebab-case code such as `unknown-key` (documented in docs/topology.md).
    pub code: &'static str,
    /// What is wrong, in one sentence.
    pub message: String,
    /// Where. `None` only for problems with no place in a file (an unreadable file).
    pub span: Option<Span>,
    /// A short label printed under the snippet.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
    /// Other places that explain the finding ("first defined here").
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: Some(span),
            label: None,
            help: None,
            related: Vec::new(),
        }
    }

    /// A warning at `span`.
    pub fn warning(code: &'static str, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, span, message)
        }
    }

    /// An error with no location.
    pub fn unlocated(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            span: None,
            ..Diagnostic::error(code, Span::default(), message)
        }
    }

    /// Adds a label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Adds a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related location.
    pub fn with_related(mut self, span: Span, message: impl Into<String>) -> Self {
        self.related.push((span, message.into()));
        self
    }

    /// `file:line:col: severity[code]: message` plus the help, on one line: for logs and golden
    /// tests. Long texts are clipped and control characters escaped ([`crate::text`]).
    pub fn one_line(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        if let Some(span) = self.span {
            let name = sources.get(span.file).map_or("?", |f| f.name.as_str());
            out.push_str(&format!("{name}:{}:{}: ", span.line, span.col));
        }
        out.push_str(&format!(
            "{}[{}]: {}",
            self.severity.as_str(),
            self.code,
            clip(&self.message, MAX_SHOWN)
        ));
        if let Some(help) = &self.help {
            out.push_str(&format!(" (help: {})", clip_lines(help)));
        }
        out
    }

    /// The diagnostic as a JSON object for editors and CI.
    pub fn to_json(&self, sources: &SourceMap) -> serde_json::Value {
        let place = |span: &Span| {
            let file = sources.get(span.file).map(|f| f.name.clone());
            serde_json::json!({
                "file": file,
                "line": span.line,
                "column": span.col,
                "offset": span.start,
                "length": span.len(),
            })
        };
        let mut v = serde_json::json!({
            "severity": self.severity.as_str(),
            "code": self.code,
            "message": clip(&self.message, MAX_SHOWN),
            "label": self.label.as_deref().map(|l| clip(l, MAX_SHOWN)),
            "help": self.help.as_deref().map(clip_lines),
            "related": self.related.iter().map(|(s, m)| {
                let mut p = place(s);
                p["message"] = serde_json::Value::from(clip(m, MAX_SHOWN));
                p
            }).collect::<Vec<_>>(),
        });
        if let Some(span) = &self.span {
            let p = place(span);
            for key in ["file", "line", "column", "offset", "length"] {
                v[key] = p[key].clone();
            }
        }
        v
    }

    /// A value that miette can render with a snippet of the file: the lines around each label
    /// in the file (a window of each long line), control characters shown as symbols, long
    /// texts clipped ([`crate::text`]).
    pub fn report<'a>(&'a self, sources: &'a SourceMap) -> Report<'a> {
        let quoted = self.span.and_then(|span| {
            let file = sources.get(span.file)?;
            let mut labels = vec![Label {
                span,
                text: Some(clip(self.label.as_deref().unwrap_or("here"), MAX_SHOWN).into_owned()),
                primary: true,
            }];
            for (s, msg) in &self.related {
                if s.file == span.file {
                    labels.push(Label {
                        span: *s,
                        text: Some(clip(msg, MAX_SHOWN).into_owned()),
                        primary: false,
                    });
                }
            }
            Some(Excerpt::new(file, &labels))
        });
        let (source, labels) = match quoted {
            Some((excerpt, labels)) => (Some(excerpt), labels),
            None => (None, Vec::new()),
        };
        Report {
            diag: self,
            sources,
            message: clip(&self.message, MAX_SHOWN).into_owned(),
            source,
            labels,
        }
    }

    /// Renders with miette's graphical handler (snippet, underline, help) into a string.
    pub fn render(&self, sources: &SourceMap, color: bool) -> String {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        match handler.render_report(&mut out, &self.report(sources)) {
            Ok(()) => out,
            Err(_) => self.one_line(sources),
        }
    }
}

/// A collector of diagnostics, shared by reference while a file is read and checked.
#[derive(Debug, Default)]
pub struct Diagnostics {
    items: RefCell<Vec<Diagnostic>>,
}

impl Diagnostics {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a finding.
    pub fn push(&self, d: Diagnostic) {
        self.items.borrow_mut().push(d);
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.borrow().is_empty()
    }

    /// True when an error (not only warnings) was recorded.
    pub fn has_errors(&self) -> bool {
        self.items
            .borrow()
            .iter()
            .any(|d| d.severity == Severity::Error)
    }

    /// Number of errors recorded so far.
    pub fn error_count(&self) -> usize {
        self.items
            .borrow()
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// All findings, sorted by file and position (stable for equal positions).
    pub fn into_sorted(self) -> Vec<Diagnostic> {
        let mut v = self.items.into_inner();
        v.sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
        v.dedup();
        v
    }
}

/// A [`Diagnostic`] bound to its sources, implementing [`miette::Diagnostic`].
pub struct Report<'a> {
    diag: &'a Diagnostic,
    sources: &'a SourceMap,
    message: String,
    source: Option<Excerpt>,
    labels: Vec<miette::LabeledSpan>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        let mut help = self
            .diag
            .help
            .as_deref()
            .map(clip_lines)
            .unwrap_or_default();
        // Related places in other files cannot be drawn in this snippet: name them in the help.
        for (span, msg) in &self.diag.related {
            if Some(span.file) != self.diag.span.map(|s| s.file) {
                let name = self.sources.get(span.file).map_or("?", |f| f.name.as_str());
                if !help.is_empty() {
                    help.push('\n');
                }
                help.push_str(&format!(
                    "{} at {}:{}:{}",
                    clip(msg, MAX_SHOWN),
                    clip(name, MAX_SHOWN),
                    span.line,
                    span.col
                ));
            }
        }
        (!help.is_empty()).then(|| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source.as_ref()?;
        Some(Box::new(self.labels.iter().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceId;

    /// The rendering before excerpts: miette reading the whole text (kept to check that
    /// ordinary snippets did not change).
    struct Whole<'a> {
        diag: &'a Diagnostic,
        named: miette::NamedSource<String>,
    }

    impl fmt::Debug for Whole<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            fmt::Debug::fmt(self.diag, f)
        }
    }
    impl fmt::Display for Whole<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(&self.diag.message)
        }
    }
    impl std::error::Error for Whole<'_> {}
    impl miette::Diagnostic for Whole<'_> {
        fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            Some(Box::new(self.diag.code))
        }
        fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
            self.diag
                .help
                .as_ref()
                .map(|h| Box::new(h.clone()) as Box<dyn fmt::Display>)
        }
        fn source_code(&self) -> Option<&dyn miette::SourceCode> {
            Some(&self.named)
        }
        fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
            let span = self.diag.span?;
            let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
                Some(self.diag.label.clone().unwrap_or_else(|| "here".into())),
                (span.start_offset(), span.len()),
            )];
            for (s, msg) in &self.diag.related {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(msg.clone()),
                    (s.start_offset(), s.len()),
                ));
            }
            Some(Box::new(labels.into_iter()))
        }
    }

    fn whole(d: &Diagnostic, sources: &SourceMap) -> String {
        let file = sources.get(SourceId(0)).unwrap();
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(100);
        let w = Whole {
            diag: d,
            named: miette::NamedSource::new(file.name.clone(), file.text.to_string()),
        };
        let mut out = String::new();
        handler.render_report(&mut out, &w).unwrap();
        out
    }

    fn sources(text: &str) -> SourceMap {
        let mut map = SourceMap::new();
        map.add("t.yaml", text);
        map
    }

    /// Snippets of ordinary files (short lines) are what miette drew from the whole text: one
    /// label, or labels on the same or nearby lines, spans of one or a few lines, at the start,
    /// the end, on empty lines, with CRLF line ends.
    #[test]
    fn ordinary_snippets_are_unchanged() {
        let texts = [
            "a: 1\nb: [x, y]\n\nvpcs:\n  hub: { cidr: nope }\nlast: z\n",
            "one line without newline",
            "k: v\r\nl: w\r\nm: x\r\n",
            "x\n\n\ny: 1\n  z: 2\n",
            "",
        ];
        let mut compared = 0;
        for text in texts {
            let map = sources(text);
            let file = map.get(SourceId(0)).unwrap();
            let offsets: Vec<usize> = (0..=text.len()).collect();
            for &start in &offsets {
                for len in [0, 1, 3, 9] {
                    let end = (start + len).min(text.len());
                    let span = file.span(SourceId(0), start, end);
                    let lines = text[span.range()].matches('\n').count();
                    let mut cases = vec![Diagnostic::error("c", span, "m").with_help("h")];
                    for &other in &offsets {
                        let o = file.span(SourceId(0), other, (other + 2).min(text.len()));
                        // Related labels on the same line or the next one.
                        if o.line.abs_diff(span.line) <= 1
                            && o.start > span.end
                            && !text[o.range()].contains(['\n', '\r'])
                            // miette left out a label at the end of the text; it is drawn now.
                            && o.start_offset() < text.len()
                        {
                            cases.push(
                                Diagnostic::error("c", span, "m").with_related(o, "first here"),
                            );
                        }
                    }
                    // Spans ending in a line break were drawn past it: not kept.
                    // miette left out a label at the end of the text; it is drawn now.
                    // ... and was off by one at a line break's '\n' after a '\r'.
                    let after_last_line = start == text.len() || text[..=start].ends_with("\r\n");
                    if lines > LABEL_LINES_FOR_TEST
                        || text[start..end].ends_with(['\n', '\r'])
                        || after_last_line
                    {
                        continue;
                    }
                    for d in cases {
                        assert_eq!(
                            d.render(&map, false),
                            whole(&d, &map),
                            "{text:?} {span:?} {:?}",
                            d.related
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 500, "{compared}");
    }

    const LABEL_LINES_FOR_TEST: usize = crate::excerpt::LABEL_LINES - 1;

    fn long_line(len: usize, bad_at: usize) -> (SourceMap, Diagnostic) {
        let mut text = "x".repeat(len);
        text.replace_range(bad_at..bad_at + 4, "nope");
        let map = sources(&format!("{text}\nnext: line\n"));
        let span = map
            .get(SourceId(0))
            .unwrap()
            .span(SourceId(0), bad_at, bad_at + 4);
        (
            map,
            Diagnostic::error("invalid-cidr", span, "'nope' is not a CIDR"),
        )
    }

    /// A problem on a long line quotes a window around its column: near the start, in the
    /// middle, at the end of an 8 MB line (which made miette panic: a column past 65,535).
    #[test]
    fn long_lines_are_quoted_through_a_window() {
        let len = 8 << 20;
        for bad_at in [10, len / 2, len - 4] {
            let (map, d) = long_line(len, bad_at);
            let out = d.render(&map, false);
            assert!(out.len() < 2_000, "{} bytes quoted", out.len());
            assert!(out.contains("nope"), "{out}");
            assert!(out.contains(&format!("[t.yaml:1:{}]", bad_at + 1)), "{out}");
            // The label is under the bad value.
            let quoted = out
                .lines()
                .find(|l| l.contains("│ ") && l.contains("nope"))
                .unwrap();
            let marks = out.lines().find(|l| l.contains('┬')).unwrap();
            let col = |l: &str, p: usize| l[..p].chars().count();
            assert_eq!(
                col(quoted, quoted.find("nope").unwrap()),
                col(marks, marks.find('─').unwrap()),
                "{out}"
            );
        }
    }

    /// Long values in messages and labels are clipped; control characters from the file never
    /// reach the terminal.
    #[test]
    fn messages_and_lines_are_made_safe() {
        let map = sources("name: \"\x1b[2J\"\nx: \u{202e}gnirts\n");
        let file = map.get(SourceId(0)).unwrap();
        let d = Diagnostic::error("c", file.span(SourceId(0), 6, 12), "a\nb \x1b[31m")
            .with_help("x".repeat(10_000))
            .with_related(file.span(SourceId(0), 16, 20), "other");
        for out in [d.render(&map, false), d.one_line(&map)] {
            assert!(
                !out.contains('\x1b') && !out.contains('\u{202e}'),
                "{out:?}"
            );
            assert!(out.len() < 2_000, "{}", out.len());
        }
        let json = d.to_json(&map).to_string();
        assert!(json.len() < 2_000);
    }

    /// Rendering N problems of one file costs N times one problem: the snippet is read from the
    /// file's line index, not by scanning the file from its start (which made 10,000 duplicate
    /// routes take 16 s to report). Checked by the size of what is read, not by timing.
    #[test]
    fn a_report_holds_only_what_it_quotes() {
        let text: String = (0..50_000).map(|i| format!("  - route {i}\n")).collect();
        let map = sources(&text);
        let file = map.get(SourceId(0)).unwrap();
        let first = file.span(SourceId(0), 4, 9);
        let late = text.len() - 10;
        let d = Diagnostic::error(
            "duplicate-route",
            file.span(SourceId(0), late, late + 5),
            "dup",
        )
        .with_related(first, "the other route");
        let report = d.report(&map);
        let quoted = report.source.as_ref().map_or(0, Excerpt::len);
        assert!(
            quoted < 200,
            "the report holds {quoted} bytes of a {} byte file",
            text.len()
        );
        let out = d.render(&map, false);
        assert!(out.contains("t.yaml:50000:7]"), "{out}");
        assert_eq!(out.lines().count(), 15, "{out}");
    }
}

//! Diagnostics: what is wrong, where, and how to fix it.

use std::cell::RefCell;
use std::fmt;

use crate::source::{SourceMap, Span};

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

    /// `file:line:col: severity[code]: message` plus the help, on one line: for logs and golden tests.
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
            self.message
        ));
        if let Some(help) = &self.help {
            out.push_str(&format!(" (help: {help})"));
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
            "message": self.message,
            "label": self.label,
            "help": self.help,
            "related": self.related.iter().map(|(s, m)| {
                let mut p = place(s);
                p["message"] = serde_json::Value::from(m.clone());
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

    /// A value that miette can render with a snippet of the file.
    pub fn report<'a>(&'a self, sources: &'a SourceMap) -> Report<'a> {
        let source = self.span.and_then(|s| sources.get(s.file)).map(|f| Named {
            name: f.name.clone(),
            text: f.text.clone(),
        });
        Report {
            diag: self,
            sources,
            source,
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
    source: Option<Named>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

struct Named {
    name: String,
    text: std::sync::Arc<str>,
}

impl miette::SourceCode for Named {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

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
        let mut help = self.diag.help.clone().unwrap_or_default();
        // Related places in other files cannot be drawn in this snippet: name them in the help.
        for (span, msg) in &self.diag.related {
            if Some(span.file) != self.diag.span.map(|s| s.file) {
                let name = self.sources.get(span.file).map_or("?", |f| f.name.as_str());
                if !help.is_empty() {
                    help.push('\n');
                }
                help.push_str(&format!("{msg} at {name}:{}:{}", span.line, span.col));
            }
        }
        (!help.is_empty()).then(|| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let span = self.diag.span?;
        let mut labels = vec![miette::LabeledSpan::new_primary_with_span(
            Some(self.diag.label.clone().unwrap_or_else(|| "here".into())),
            (span.start, span.len()),
        )];
        for (s, msg) in &self.diag.related {
            if s.file == span.file {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(msg.clone()),
                    (s.start, s.len()),
                ));
            }
        }
        Some(Box::new(labels.into_iter()))
    }
}

//! `vpcsim diagram`: a picture of the topology, with a traced path on it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vpcsim_diagram::{Diagram, Format};
use vpcsim_dns::Rotation;
use vpcsim_engine::{Engine, Options};

use crate::trace::failures;
use crate::{load_valid, usage};

/// The output format of `vpcsim diagram`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub(crate) enum DiagramFormat {
    /// SVG, self-contained.
    Svg,
    /// Graphviz DOT.
    Dot,
    /// A Mermaid flowchart.
    Mermaid,
}

/// What `vpcsim diagram` was asked.
pub(crate) struct Args<'a> {
    pub topology: &'a Path,
    pub format: Option<DiagramFormat>,
    pub from: Option<&'a str>,
    pub request: Option<&'a str>,
    pub fail: &'a [String],
    pub principal: Option<&'a str>,
    pub output: Option<&'a PathBuf>,
}

pub(crate) fn run(a: Args<'_>) -> ExitCode {
    // The format: as asked, else from the output file's extension, else SVG.
    let format = match (
        a.format,
        a.output
            .and_then(|o| o.extension())
            .and_then(|e| e.to_str()),
    ) {
        (Some(DiagramFormat::Svg), _) | (None, Some("svg") | None) => Format::Svg,
        (Some(DiagramFormat::Dot), _) | (None, Some("dot" | "gv")) => Format::Dot,
        (Some(DiagramFormat::Mermaid), _) | (None, Some("mmd" | "mermaid" | "md")) => {
            Format::Mermaid
        }
        (None, Some(other)) => {
            return usage(
                format!("cannot tell the format from the extension '.{other}'"),
                "name the file .svg, .dot or .mmd, or give --format svg|dot|mermaid".into(),
            );
        }
    };
    if a.from.is_some() != a.request.is_some() {
        return usage(
            "--from and --request go together".into(),
            "give both to draw a path (--from datacenter/build-server --request \"GET https://…\"), or neither".into(),
        );
    }
    let topo = match load_valid(a.topology) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let down = match failures(&topo, a.fail) {
        Ok(d) => d,
        Err(code) => return code,
    };
    let engine = Engine::new(&topo);
    let net = engine.network(&down);
    let mut diagram = Diagram::new(&topo, &net.links);
    if let (Some(from), Some(request)) = (a.from, a.request) {
        let source = match topo.find_sender(from) {
            Ok(s) => s,
            Err(e) => return usage(e.message, e.hint),
        };
        let opts = match a.principal.map(|p| topo.find_principal(p)) {
            None => Options::default(),
            Some(Ok(p)) => Options {
                principal: Some(p),
                ..Options::default()
            },
            Some(Err(e)) => return usage(e.message, e.hint),
        };
        match engine.trace(&net, source, from, request, &opts, &mut Rotation::new()) {
            Ok(mut t) => {
                engine.render(&mut t);
                diagram = diagram.with_trace(&topo, &t);
            }
            Err(e) => {
                return usage(
                    e.to_string(),
                    "write `METHOD URL` (GET https://bucket.s3.us-east-1.amazonaws.com/key), a URL, or HOST:PORT".into(),
                );
            }
        }
    }
    let text = diagram.render(format);
    match a.output {
        None => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", path.display());
                ExitCode::from(2)
            }
        },
    }
}

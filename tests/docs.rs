//! The outputs pasted in the documentation are the program's own.
//!
//! Every `$ vpcsim …` line inside a ```` ```text ```` block of `README.md`, `docs/*.md` and
//! `docs/tutorials/*.md` is run from the repository root, and what it prints is compared with the
//! lines below it (up to the next `$ ` line or the end of the block). Rules of the pasted text:
//!
//! - A line that is only `…` stands for any run of lines, none included: an elision.
//! - `; echo "exit $?"` at the end of a command adds the line `exit N` after the output.
//! - The output is standard output alone, or standard error followed by standard output (errors,
//!   `validate`'s warnings, then the summary), with or without the one-line warnings other commands
//!   print on standard error, or standard output followed by standard error without them (what
//!   `vpcsim exec --explain` prints after its command).
//! - `# …` after the command is a comment.
//! - Commands on files that are not shipped (a copy under `/tmp` that the tutorial asks the
//!   reader to edit, a `scratch.yaml`) are not run; every other one is.
//! - `vpcsim exec` examples run in a scratch folder (with a `report.csv`, the shipped
//!   `topologies/` and `tests/`, and its own data folder), in document order; those whose program
//!   (the aws CLI, curl) is not installed are skipped, unless `VPCSIM_DOCS_TOOLS=1` — which
//!   `.ci/run` sets once it has installed them — makes a missing one an error.
//!
//! - Exercises run too: a tutorial declares, in HTML comments the reader does not see, the copy an
//!   exercise works on and the edits the prose asks for —
//!   `<!-- try /tmp/try/NAME.yaml from topologies/FILE.yaml -->` and
//!   `<!-- try /tmp/try/NAME.yaml replace "OLD" with "NEW" -->` (JSON strings; OLD must occur
//!   exactly once) — and the `$ vpcsim …` lines on that copy that follow run on a scratch copy
//!   made so, their outputs compared like the others'. A command on a `/tmp/try/` copy that no
//!   comment declares fails the test: every exercise runs. The copies keep the page's paths under the
//!   scratch folder: a topology that names its policy files by relative paths is copied with them
//!   (`<!-- try /tmp/try/DIR/policies/P.json from topologies/policies/P.json -->`), and an edit
//!   may apply to any copy.
//! - A `vpcsim diagram … -o docs/pictures/NAME.svg` example draws the picture the page shows: it
//!   is drawn into the scratch folder and compared with the committed file, so that a picture
//!   goes stale only by failing this test.
//!
//! `BLESS=1 cargo test -p vpcsim --test docs` rewrites the blocks that differ with the
//! program's output, keeping their elisions, and the stale pictures; review the diff before
//! committing it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn doc_files() -> Vec<PathBuf> {
    let root = root();
    let mut files = vec![root.join("README.md")];
    for dir in ["docs", "docs/tutorials"] {
        let mut md: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .expect("docs directory")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        md.sort();
        files.extend(md);
    }
    files
}

/// One `$ vpcsim …` line and the output pasted below it.
struct Example {
    /// 1-based line of the command in the file.
    line: usize,
    command: String,
    /// Lines of the file (0-based, end exclusive) holding the expected output.
    lines: std::ops::Range<usize>,
    /// The block's indentation, taken off every line.
    indent: usize,
    expected: Vec<String>,
}

fn examples(text: &str) -> Vec<Example> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        if trimmed != "```text" {
            i += 1;
            continue;
        }
        let indent = lines[i].len() - trimmed.len();
        let start = i + 1;
        let mut end = start;
        while end < lines.len() && lines[end].trim() != "```" {
            end += 1;
        }
        // A line takes off the block's indentation, or as much of it as it has.
        let body = |k: usize| {
            let line = lines[k];
            let spaces = line.len() - line.trim_start_matches(' ').len();
            line[spaces.min(indent)..].trim_end()
        };
        let mut k = start;
        while k < end {
            let Some(command) = body(k).strip_prefix("$ vpcsim ") else {
                k += 1;
                continue;
            };
            let mut stop = k + 1;
            while stop < end && !body(stop).starts_with("$ ") {
                stop += 1;
            }
            let mut last = stop;
            while last > k + 1 && body(last - 1).is_empty() {
                last -= 1;
            }
            out.push(Example {
                line: k + 1,
                command: command.to_string(),
                lines: k + 1..last,
                indent,
                expected: (k + 1..last).map(|x| body(x).to_string()).collect(),
            });
            k = stop;
        }
        i = end + 1;
    }
    out
}

/// The words of a command line as a POSIX shell splits them (quotes, no expansions), up to a
/// `#` comment; `None` for shell syntax this test does not run.
fn words(command: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => {
                if let Some(w) = word.take() {
                    out.push(w);
                }
            }
            '#' if word.is_none() => break,
            '"' | '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(q) if q == c => break,
                        Some(x) => w.push(x),
                        None => return None,
                    }
                }
            }
            '|' | '>' | '<' | ';' | '&' | '$' | '`' => return None,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    Some(out)
}

/// Whether `want` (with `…` elisions) is `got`.
fn matches(want: &[String], got: &[String]) -> bool {
    align(want, got).0 == 0
}

fn is_elision(line: &str) -> bool {
    line.trim() == "…"
}

/// The cheapest alignment of `want` (with elisions) to `got`, counting a changed, missing or extra
/// line as 1, and `want` rewritten to agree with `got` where it differs, elisions kept.
fn align(want: &[String], got: &[String]) -> (usize, Vec<String>) {
    let (n, m) = (want.len(), got.len());
    // cost[i][j]: aligning want[i..] with got[j..].
    let mut cost = vec![vec![0usize; m + 1]; n + 1];
    for j in (0..m).rev() {
        cost[n][j] = m - j;
    }
    for i in (0..n).rev() {
        for j in (0..=m).rev() {
            cost[i][j] = if is_elision(&want[i]) {
                let skip = cost[i + 1][j];
                if j < m {
                    skip.min(cost[i][j + 1])
                } else {
                    skip
                }
            } else {
                let mut c = 1 + cost[i + 1][j];
                if j < m {
                    let same = usize::from(want[i] != got[j]);
                    c = c.min(same + cost[i + 1][j + 1]).min(1 + cost[i][j + 1]);
                }
                c
            };
        }
    }
    let mut out = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i == n {
            out.push(got[j].clone());
            j += 1;
        } else if is_elision(&want[i]) {
            if j < m && cost[i][j] == cost[i][j + 1] && cost[i][j] != cost[i + 1][j] {
                j += 1;
            } else {
                out.push(want[i].clone());
                i += 1;
            }
        } else if j < m && cost[i][j] == usize::from(want[i] != got[j]) + cost[i + 1][j + 1] {
            out.push(got[j].clone());
            i += 1;
            j += 1;
        } else if j < m && cost[i][j] == 1 + cost[i][j + 1] {
            out.push(got[j].clone());
            j += 1;
        } else {
            i += 1;
        }
    }
    (cost[0][0], out)
}

/// Where `vpcsim exec` examples run: a folder holding the `report.csv` the docs upload, links to
/// the shipped `topologies/` and `tests/`, and the data folder (CA, objects), made fresh for each
/// run of this test so that the examples see the objects the ones before them stored.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new() -> Scratch {
        let dir = std::env::temp_dir().join(format!("vpcsim-docs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("scratch folder");
        std::fs::write(dir.join("report.csv"), "id,total\n1,42\n").expect("report.csv");
        #[cfg(unix)]
        for d in ["topologies", "tests"] {
            std::os::unix::fs::symlink(root().join(d), dir.join(d)).expect("link");
        }
        Scratch { dir }
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An exercise's copy or edit, declared in a comment of the page.
enum Try {
    /// `<!-- try FILE from SHIPPED -->`.
    Copy { file: String, from: String },
    /// `<!-- try FILE replace "OLD" with "NEW" -->`.
    Edit {
        file: String,
        old: String,
        new: String,
    },
}

/// The `<!-- try … -->` comments of a page, with their 1-based lines; a malformed one is an error.
fn tries(text: &str) -> Vec<(usize, Result<Try, String>)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(body) = line
            .trim()
            .strip_prefix("<!-- try ")
            .and_then(|l| l.strip_suffix("-->"))
        else {
            continue;
        };
        let body = body.trim();
        let (file, rest) = body.split_once(' ').unwrap_or((body, ""));
        let parsed = if let Some(from) = rest.strip_prefix("from ") {
            Ok(Try::Copy {
                file: file.to_string(),
                from: from.trim().to_string(),
            })
        } else if let Some(edit) = rest.strip_prefix("replace ") {
            // Two JSON strings around ` with `.
            let mut de = serde_json::Deserializer::from_str(edit).into_iter::<String>();
            match de.next() {
                Some(Ok(old)) => {
                    let after = edit[de.byte_offset()..].trim_start();
                    match after
                        .strip_prefix("with ")
                        .map(serde_json::from_str::<String>)
                    {
                        Some(Ok(new)) => Ok(Try::Edit {
                            file: file.to_string(),
                            old,
                            new,
                        }),
                        _ => Err(format!(
                            "`{line}`: write replace \"OLD\" with \"NEW\" (JSON strings)"
                        )),
                    }
                }
                _ => Err(format!(
                    "`{line}`: write replace \"OLD\" with \"NEW\" (JSON strings)"
                )),
            }
        } else {
            Err(format!(
                "`{line}`: a try comment says `from SHIPPED` or `replace \"OLD\" with \"NEW\"`"
            ))
        };
        out.push((i + 1, parsed));
    }
    out
}

/// For a `vpcsim diagram … -o docs/…` example: points `-o` into the scratch folder and returns
/// the committed picture's path (from the repository root) and the scratch one.
fn picture_output(args: &mut [String], scratch: &Scratch) -> Option<(String, PathBuf)> {
    if args.first().map(String::as_str) != Some("diagram") {
        return None;
    }
    let at = args.iter().position(|a| a == "-o" || a == "--output")? + 1;
    let committed = args.get(at)?.clone();
    if !committed.starts_with("docs/") {
        return None;
    }
    let drawn = scratch.dir.join(committed.replace('/', "_"));
    args[at] = drawn.display().to_string();
    Some((committed, drawn))
}

/// The program a `vpcsim exec … -- PROGRAM …` example runs, when it is not on this machine.
fn missing_tool(args: &[String]) -> Option<String> {
    if args.first().map(String::as_str) != Some("exec") {
        return None;
    }
    let program = args.iter().skip_while(|a| *a != "--").nth(1)?;
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path).any(|d| d.join(program).is_file());
    (!found).then(|| program.clone())
}

/// What the command prints, in the forms the pasted text may show (see the module documentation).
fn outputs(args: &[String], with_exit: bool, scratch: &Scratch) -> Vec<Vec<String>> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpcsim"));
    cmd.args(args).env("NO_COLOR", "1");
    if args.first().map(String::as_str) == Some("exec") {
        cmd.current_dir(&scratch.dir)
            .env("XDG_DATA_HOME", scratch.dir.join("data"));
    } else {
        cmd.current_dir(root());
    }
    let out = cmd.output().expect("vpcsim runs");
    let lines = |bytes: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    };
    let stdout = lines(&out.stdout);
    let stderr = lines(&out.stderr);
    let mut both = stderr.clone();
    both.extend(stdout.iter().cloned());
    // Commands other than `validate` print each warning on one line; the pasted text leaves them
    // out.
    let mut quiet: Vec<String> = stderr
        .into_iter()
        .filter(|l| !l.contains(": warning["))
        .collect();
    quiet.extend(stdout.iter().cloned());
    // `vpcsim exec --explain` prints its lines after the command's output: standard output first.
    let mut after: Vec<String> = stdout.clone();
    after.extend(quiet[quiet.len() - stdout.len()..].iter().take(0).cloned());
    after.extend(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .map(|l| l.trim_end().to_string())
            .filter(|l| !l.contains(": warning[")),
    );
    let exit = format!("exit {}", out.status.code().unwrap_or(-1));
    let mut forms = vec![stdout, both, quiet, after];
    for f in &mut forms {
        while f.last().is_some_and(|l| l.is_empty()) {
            f.pop();
        }
        if with_exit {
            f.push(exit.clone());
        }
    }
    forms
}

#[test]
#[allow(clippy::print_stderr)] // the note on examples skipped for want of a tool
fn pasted_outputs_are_what_vpcsim_prints() {
    let bless = std::env::var_os("BLESS").is_some();
    let root = root();
    let (mut run, mut skipped) = (0, 0);
    let mut failures = Vec::new();
    let scratch = Scratch::new();
    // `vpcsim exec` examples run a real client (the aws CLI, curl): without it they are skipped,
    // unless VPCSIM_DOCS_TOOLS=1 (as .ci/run sets once it has installed them) makes that an error.
    let tools_required = std::env::var_os("VPCSIM_DOCS_TOOLS").is_some_and(|v| v == "1");
    let mut without_tools = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("readable doc");
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let mut rewrites: Vec<(std::ops::Range<usize>, usize, Vec<String>)> = Vec::new();
        // The exercises' copies on this page: the path the page writes → the scratch copy.
        let mut copies: std::collections::HashMap<String, PathBuf> =
            std::collections::HashMap::new();
        let mut pending = tries(&text).into_iter().peekable();
        for ex in examples(&text) {
            while let Some((line, t)) = pending.next_if(|(l, _)| *l < ex.line) {
                match t {
                    Err(e) => failures.push(format!("{shown}:{line}: {e}")),
                    Ok(Try::Copy { file, from }) => {
                        // The page's path kept under the scratch folder, so that the copies of
                        // a topology and of the files it names by relative paths (policies/…)
                        // sit as they do on the page.
                        let dest = scratch.dir.join("try").join(file.trim_start_matches('/'));
                        if let Some(dir) = dest.parent() {
                            std::fs::create_dir_all(dir).expect("scratch");
                        }
                        match std::fs::copy(root.join(&from), &dest) {
                            Ok(_) => {
                                copies.insert(file, dest);
                            }
                            Err(e) => {
                                failures.push(format!("{shown}:{line}: cannot copy {from}: {e}"))
                            }
                        }
                    }
                    Ok(Try::Edit { file, old, new }) => {
                        let Some(dest) = copies.get(&file) else {
                            failures.push(format!(
                                "{shown}:{line}: {file} was not copied first (try {file} from …)"
                            ));
                            continue;
                        };
                        let text = std::fs::read_to_string(dest).unwrap_or_default();
                        match text.matches(&old).count() {
                            1 => std::fs::write(dest, text.replacen(&old, &new, 1)).expect("scratch"),
                            n => failures.push(format!("{shown}:{line}: the exercise's edit of {file} does not apply: {old:?} occurs {n} times")),
                        }
                    }
                }
            }
            let (command, with_exit) = match ex.command.strip_suffix("; echo \"exit $?\"") {
                Some(c) => (c, true),
                None => (ex.command.as_str(), false),
            };
            let Some(args) = words(command) else {
                failures.push(format!(
                    "{shown}:{}: `vpcsim {}`: shell syntax this test cannot run",
                    ex.line, ex.command
                ));
                continue;
            };
            let files: Vec<&String> = args
                .iter()
                .filter(|a| a.ends_with(".yaml") || a.ends_with(".yml"))
                .collect();
            let shipped = |f: &&String| {
                (f.starts_with("topologies/") || f.starts_with("tests/")) && root.join(f).exists()
                    || copies.contains_key(f.as_str())
            };
            if !files.iter().all(shipped) {
                // Every exercise runs: a command on a `/tmp/try/` copy that no `try` comment
                // declared is a failure, not a skip.
                if let Some(f) = files
                    .iter()
                    .find(|f| f.starts_with("/tmp/try/") && !copies.contains_key(f.as_str()))
                {
                    failures.push(format!(
                        "{shown}:{}: `vpcsim {}`: the exercise's copy {f} is not declared (<!-- try {f} from topologies/… --> before it)",
                        ex.line, ex.command
                    ));
                    continue;
                }
                skipped += 1;
                continue;
            }
            // An exercise's copy: run on the scratch copy, printed as the page's path.
            let swaps: Vec<(String, String)> = args
                .iter()
                .filter_map(|a| copies.get(a).map(|d| (a.clone(), d.display().to_string())))
                .collect();
            let args: Vec<String> = args
                .into_iter()
                .map(|a| copies.get(&a).map_or(a, |d| d.display().to_string()))
                .collect();
            if let Some(tool) = missing_tool(&args) {
                if tools_required {
                    failures.push(format!(
                        "{shown}:{}: `vpcsim {}`: {tool} is not installed",
                        ex.line, ex.command
                    ));
                } else {
                    without_tools.push(tool);
                }
                skipped += 1;
                continue;
            }
            run += 1;
            // A picture: drawn into the scratch folder, compared with the committed one.
            let mut args = args;
            let picture = picture_output(&mut args, &scratch);
            let mut forms = outputs(&args, with_exit, &scratch);
            for f in &mut forms {
                for l in f.iter_mut() {
                    for (page, copy) in &swaps {
                        *l = l.replace(copy.as_str(), page);
                    }
                }
            }
            if let Some((committed, drawn)) = picture {
                let new = std::fs::read(&drawn).unwrap_or_default();
                let old = std::fs::read(root.join(&committed)).unwrap_or_default();
                if new.is_empty() {
                    failures.push(format!(
                        "{shown}:{}: `vpcsim {}` drew nothing",
                        ex.line, ex.command
                    ));
                } else if new != old {
                    if bless {
                        std::fs::write(root.join(&committed), &new).expect("writable picture");
                    } else {
                        failures.push(format!(
                            "{shown}:{}: {committed} is stale: `vpcsim {}` draws another picture",
                            ex.line, ex.command
                        ));
                    }
                }
            }
            if forms.iter().any(|got| matches(&ex.expected, got)) {
                continue;
            }
            let (cost, fixed) = forms
                .iter()
                .map(|got| align(&ex.expected, got))
                .min_by_key(|(cost, _)| *cost)
                .expect("one form at least");
            if bless {
                rewrites.push((ex.lines.clone(), ex.indent, fixed));
            } else {
                failures.push(format!(
                    "{shown}:{}: `vpcsim {}` prints something else ({cost} lines differ)\n--- pasted\n{}\n--- printed (elisions kept)\n{}",
                    ex.line,
                    ex.command,
                    ex.expected.join("\n"),
                    fixed.join("\n")
                ));
            }
        }
        if !rewrites.is_empty() {
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            for (range, indent, fixed) in rewrites.into_iter().rev() {
                let pad = " ".repeat(indent);
                let new: Vec<String> = fixed
                    .into_iter()
                    .map(|l| if l.is_empty() { l } else { format!("{pad}{l}") })
                    .collect();
                lines.splice(range, new);
            }
            let mut out = lines.join("\n");
            out.push('\n');
            std::fs::write(&file, out).expect("writable doc");
        }
    }
    if !without_tools.is_empty() {
        without_tools.sort();
        without_tools.dedup();
        eprintln!(
            "note: the `vpcsim exec` examples that run {} were skipped: not installed here",
            without_tools.join(", ")
        );
    }
    assert!(
        run >= 100,
        "only {run} pasted commands were run ({skipped} skipped): did the docs lose their examples?"
    );
    assert!(
        failures.is_empty(),
        "{} of {run} pasted outputs differ from the program's ({skipped} commands on files that are not shipped were not run); \
         BLESS=1 rewrites them:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn elisions_match_any_run_of_lines() {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert!(matches(&s(&["a", "…", "d"]), &s(&["a", "b", "c", "d"])));
    assert!(matches(&s(&["a", "…", "d"]), &s(&["a", "d"])));
    assert!(!matches(&s(&["a", "…", "d"]), &s(&["a", "b", "c"])));
    assert!(!matches(&s(&["a", "b"]), &s(&["a", "b", "c"])));
    // Rewriting keeps the elision and fixes the lines around it.
    let (cost, fixed) = align(
        &s(&["a", "…", "x", "e"]),
        &s(&["a", "b", "c", "d", "e", "f"]),
    );
    assert_eq!(cost, 2);
    assert_eq!(fixed, s(&["a", "…", "d", "e", "f"]));
    assert_eq!(
        words(r#"trace t.yaml --from "a b" 'c' x # note"#),
        Some(s(&["trace", "t.yaml", "--from", "a b", "c", "x"]))
    );
    assert_eq!(words("check t.yaml | head"), None);
}

/// Every ```` ```yaml ```` block of the README and `docs/` is YAML the loader reads (no syntax
/// error), and a block that is a whole topology (it has `name:` and `vpcs:` or `onprem:` at the
/// top) loads without an error, and its expectations, if any, hold. An excerpt from inside a
/// larger file (its first line indented deeper than a later one) is not a document of its own and
/// is only counted. A block that says it is `tests/docs/NAME.yaml` in its first line must be
/// that file, whose outputs the pasted commands show.
#[test]
fn yaml_snippets_in_the_docs_load() {
    let root = root();
    let mut checked = 0;
    let mut whole = 0;
    let mut failures = Vec::new();
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("readable doc");
        let shown = file
            .strip_prefix(&root)
            .unwrap_or(&file)
            .display()
            .to_string();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let trimmed = lines[i].trim_start();
            if trimmed != "```yaml" {
                i += 1;
                continue;
            }
            let indent = lines[i].len() - trimmed.len();
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && lines[end].trim() != "```" {
                end += 1;
            }
            let body: String = lines[start..end]
                .iter()
                .map(|l| {
                    let spaces = l.len() - l.trim_start_matches(' ').len();
                    format!("{}\n", &l[spaces.min(indent)..])
                })
                .collect();
            i = end + 1;
            checked += 1;
            let place = format!("{shown}:{}", start + 1);
            let indents: Vec<usize> = body
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map(|l| l.len() - l.trim_start().len())
                .collect();
            if indents
                .first()
                .is_some_and(|f| indents.iter().any(|i| i < f))
            {
                continue; // an excerpt
            }
            let demo = body
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("# "))
                .and_then(|l| l.split_whitespace().next())
                .map(|f| f.trim_end_matches(','))
                .filter(|f| f.starts_with("tests/docs/"))
                .map(str::to_string);
            if let Some(file) = &demo {
                let on_disk = std::fs::read_to_string(root.join(file)).unwrap_or_default();
                if on_disk != body {
                    failures.push(format!("{place}: the block differs from {file}"));
                }
            }
            let loaded = vpcsim_topology::load_str(
                &root.join(&shown),
                body.clone(),
                &vpcsim_topology::StdFs,
            );
            if let Some(d) = loaded.diagnostics.iter().find(|d| d.code == "yaml-syntax") {
                failures.push(format!("{place}: not YAML: {}", d.message));
                continue;
            }
            let top = |k: &str| body.lines().any(|l| l.starts_with(&format!("{k}:")));
            if top("name") && (top("vpcs") || top("onprem")) {
                whole += 1;
                match &loaded.topology {
                    None => failures.push(format!(
                        "{place}: a whole topology that does not load:\n{}",
                        loaded
                            .diagnostics
                            .iter()
                            .filter(|d| d.severity == vpcsim_syntax::Severity::Error)
                            .map(|d| d.render(&loaded.sources, false))
                            .collect::<Vec<_>>()
                            .join("\n")
                    )),
                    // A tests/docs file fails on purpose: the commands pasted with it show how.
                    Some(_) if demo.is_some() => {}
                    Some(topo) => {
                        let result = vpcsim_engine::check(topo);
                        for r in result.results.iter().filter(|r| !r.passed) {
                            failures.push(format!(
                                "{place}: expectation '{}' fails: {:?}",
                                r.name, r.mismatches
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(
        checked >= 50,
        "only {checked} YAML snippets found: did the docs lose them?"
    );
    assert!(
        failures.is_empty(),
        "{} of {checked} YAML snippets ({whole} whole topologies) are wrong:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

//! `vpcsim import`: a topology from what exists (`vpcsim-import` does the work; this reads the
//! files, checks the result loads, and writes it).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use vpcsim_import::aws::{self, Dump};
use vpcsim_import::{Level, Net};

use crate::usage;

/// The largest file an import reads (a describe call of a large account is a few megabytes).
const MAX_FILE: u64 = 256 * 1024 * 1024;

/// The sources `vpcsim import` reads.
#[derive(clap::Subcommand)]
pub(crate) enum ImportCommand {
    /// From the JSON the aws CLI prints for describe and list calls: DIR holds one file per call
    /// (`REGION/ec2-describe-vpcs.json`…, Route 53 at the top); `--print-commands` prints the script
    /// that makes such a folder from an account.
    Aws {
        /// The folder of JSON files.
        #[arg(required_unless_present = "print_commands")]
        dir: Option<PathBuf>,
        /// Write the topology here instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// The topology's name (default: the folder's name).
        #[arg(long)]
        name: Option<String>,
        /// Print the aws CLI commands (read-only) that make the folder, and exit.
        #[arg(long)]
        print_commands: bool,
        /// With --print-commands: the Regions to describe; repeatable (default: us-east-1).
        #[arg(long = "region", value_name = "REGION")]
        regions: Vec<String>,
    },
}

pub(crate) fn run(command: ImportCommand) -> ExitCode {
    match command {
        ImportCommand::Aws {
            dir,
            output,
            name,
            print_commands,
            regions,
        } => {
            if print_commands {
                let regions = if regions.is_empty() {
                    vec!["us-east-1".to_string()]
                } else {
                    regions
                };
                if let Some(bad) = regions.iter().find(|r| {
                    !r.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                }) {
                    return usage(
                        format!("'{bad}' is not a Region name"),
                        "give Regions as AWS writes them: --region us-east-1 --region eu-west-1"
                            .into(),
                    );
                }
                print!("{}", aws::print_commands(&regions));
                return ExitCode::SUCCESS;
            }
            let Some(dir) = dir else {
                return usage(
                    "give the folder to import".into(),
                    "vpcsim import aws DIR".into(),
                );
            };
            let dump = match read_dump(&dir) {
                Ok(d) => d,
                Err(code) => return code,
            };
            let name = name.unwrap_or_else(|| {
                dir.canonicalize()
                    .ok()
                    .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                    .unwrap_or_else(|| "imported".into())
            });
            let name = vpcsim_import::net::Names::new().name(Some(&name), "imported");
            let mut net = aws::import(&dump, &name);
            finish(
                &mut net,
                &format!("vpcsim import aws {}", dir.display()),
                output.as_deref(),
            )
        }
    }
}

/// Reads `dir/*.json` and `dir/REGION/*.json`.
fn read_dump(dir: &Path) -> Result<Dump, ExitCode> {
    let io = |p: &Path, e: std::io::Error| {
        eprintln!("error: cannot read {}: {e}", p.display());
        ExitCode::from(2)
    };
    let mut dump = Dump::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    let mut files = 0;
    for p in paths {
        let Some(fname) = p.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if p.is_dir() {
            let mut inner: Vec<PathBuf> = std::fs::read_dir(&p)
                .map_err(|e| io(&p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            inner.sort();
            for q in inner {
                if let Some(stem) = json_stem(&q) {
                    dump.insert(Some(&fname), &stem, read_json(&q)?);
                    files += 1;
                }
            }
        } else if let Some(stem) = json_stem(&p) {
            dump.insert(None, &stem, read_json(&p)?);
            files += 1;
        }
    }
    if files == 0 {
        eprintln!(
            "error: {} holds no .json files\n  help: make them with the script `vpcsim import aws --print-commands --region REGION` prints",
            dir.display()
        );
        return Err(ExitCode::from(2));
    }
    Ok(dump)
}

fn json_stem(p: &Path) -> Option<String> {
    (p.is_file() && p.extension().is_some_and(|e| e == "json"))
        .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .flatten()
}

fn read_json(p: &Path) -> Result<serde_json::Value, ExitCode> {
    let meta = std::fs::metadata(p).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", p.display());
        ExitCode::from(2)
    })?;
    if meta.len() > MAX_FILE {
        eprintln!(
            "error: {} is {} bytes, over the {} MiB an import reads",
            p.display(),
            meta.len(),
            MAX_FILE / (1024 * 1024)
        );
        return Err(ExitCode::from(2));
    }
    let text = std::fs::read(p).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", p.display());
        ExitCode::from(2)
    })?;
    serde_json::from_slice(&text).map_err(|e| {
        eprintln!(
            "error: {}:{}:{}: not the JSON the aws CLI prints: {e}\n  help: run the call again with --output json",
            p.display(),
            e.line(),
            e.column()
        );
        ExitCode::from(2)
    })
}

/// Prints the notes, checks the topology loads, and writes it.
fn finish(net: &mut Net, how: &str, output: Option<&Path>) -> ExitCode {
    let yaml = vpcsim_import::finish(net, how);
    let mut notes = net.notes.clone();
    notes.sort();
    notes.dedup();
    for n in &notes {
        let level = match n.level {
            Level::Warning => "warning",
            Level::Info => "note",
        };
        eprintln!("{level}: {}: {}", n.id, n.message);
    }
    // The import must load: a topology that does not validate is a bug of the importer.
    let shown = output.map_or_else(|| PathBuf::from("imported.yaml"), Path::to_path_buf);
    let loaded = vpcsim_topology::load_str(&shown, yaml.clone(), &vpcsim_topology::StdFs);
    if loaded.topology.is_none() {
        for d in loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity == vpcsim_syntax::Severity::Error)
        {
            eprintln!("{}", d.render(&loaded.sources, false));
        }
        eprintln!(
            "error: the imported topology does not validate (this is a vpcsim bug: please report it with the input)"
        );
        return ExitCode::from(1);
    }
    match output {
        None => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Some(p) => match std::fs::write(p, yaml) {
            Ok(()) => {
                eprintln!(
                    "wrote {} ({} VPCs, {} warnings)",
                    p.display(),
                    net.vpcs.len(),
                    notes.iter().filter(|n| n.level == Level::Warning).count()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", p.display());
                ExitCode::from(2)
            }
        },
    }
}

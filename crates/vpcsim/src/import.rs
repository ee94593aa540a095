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
    /// From a CloudFormation template (JSON or YAML): the VPC, Route 53, Resolver and bucket
    /// policy resources, intrinsic functions evaluated where their values are static.
    Cloudformation {
        /// The template.
        template: PathBuf,
        /// Write the topology here instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// The topology's name (default: the template's file name).
        #[arg(long)]
        name: Option<String>,
        /// The Region the stack deploys to (`AWS::Region`).
        #[arg(long, default_value = "us-east-1")]
        region: String,
        /// The account it deploys to (`AWS::AccountId`; 12 digits).
        #[arg(long, default_value = "111122223333")]
        account: String,
        /// A parameter's value, over its Default: NAME=VALUE; repeatable.
        #[arg(long = "parameter", value_name = "NAME=VALUE")]
        parameters: Vec<String>,
    },
    /// From a Terraform plan, as `terraform show -json PLAN` prints it: the `aws_*` network
    /// resources; values known only after apply are reported.
    Terraform {
        /// The plan's JSON.
        plan: PathBuf,
        /// Write the topology here instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
        /// The topology's name (default: the plan's file name).
        #[arg(long)]
        name: Option<String>,
        /// The Region (default: the aws provider's `region`, else us-east-1).
        #[arg(long)]
        region: Option<String>,
        /// The account it applies to (12 digits).
        #[arg(long, default_value = "111122223333")]
        account: String,
    },
}

/// The file's name without its extension, as a topology name.
fn name_from(path: &Path, given: Option<String>) -> String {
    let name = given.unwrap_or_else(|| {
        path.file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported".into())
    });
    vpcsim_import::net::Names::new().name(Some(&name), "imported")
}

fn read_text(p: &Path) -> Result<String, ExitCode> {
    let fail = |e: String| {
        eprintln!("error: cannot read {}: {e}", p.display());
        ExitCode::from(2)
    };
    let meta = std::fs::metadata(p).map_err(|e| fail(e.to_string()))?;
    if meta.len() > MAX_FILE {
        return Err(fail(format!(
            "{} bytes, over the {} MiB an import reads",
            meta.len(),
            MAX_FILE / (1024 * 1024)
        )));
    }
    std::fs::read_to_string(p).map_err(|e| fail(e.to_string()))
}

fn check_region_account(region: &str, account: &str) -> Result<(), ExitCode> {
    if !region
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        || region.is_empty()
    {
        return Err(usage(
            format!("'{region}' is not a Region name"),
            "give it as AWS writes it: --region us-east-1".into(),
        ));
    }
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(usage(
            format!("'{account}' is not an account id"),
            "an account id is 12 digits: --account 111122223333".into(),
        ));
    }
    Ok(())
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
        ImportCommand::Cloudformation {
            template,
            output,
            name,
            region,
            account,
            parameters,
        } => {
            if let Err(code) = check_region_account(&region, &account) {
                return code;
            }
            let mut params = std::collections::BTreeMap::new();
            for p in &parameters {
                let Some((k, v)) = p.split_once('=') else {
                    return usage(
                        format!("'{p}' is not NAME=VALUE"),
                        "--parameter VpcCidr=10.0.0.0/16".into(),
                    );
                };
                params.insert(k.to_string(), v.to_string());
            }
            let text = match read_text(&template) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let parsed = match vpcsim_import::cfn::parse(&text) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!(
                        "error: {}: not a CloudFormation template: {e}",
                        template.display()
                    );
                    return ExitCode::from(2);
                }
            };
            if parsed
                .get("Resources")
                .and_then(|r| r.as_object())
                .is_none()
            {
                eprintln!(
                    "error: {}: a CloudFormation template has a `Resources` mapping; this has none",
                    template.display()
                );
                return ExitCode::from(2);
            }
            let opts = vpcsim_import::cfn::Options {
                region,
                account,
                parameters: params,
            };
            let mut net = vpcsim_import::cfn::import(&parsed, &opts, &name_from(&template, name));
            finish(
                &mut net,
                &format!("vpcsim import cloudformation {}", template.display()),
                output.as_deref(),
            )
        }
        ImportCommand::Terraform {
            plan,
            output,
            name,
            region,
            account,
        } => {
            if let Err(code) =
                check_region_account(region.as_deref().unwrap_or("us-east-1"), &account)
            {
                return code;
            }
            let text = match read_text(&plan) {
                Ok(t) => t,
                Err(code) => return code,
            };
            let parsed: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!(
                        "error: {}:{}:{}: not the JSON `terraform show -json` prints: {e}",
                        plan.display(),
                        e.line(),
                        e.column()
                    );
                    return ExitCode::from(2);
                }
            };
            if parsed.get("planned_values").is_none() {
                eprintln!(
                    "error: {}: a plan's JSON has `planned_values`; this has none\n  help: make it with `terraform plan -out tf.plan && terraform show -json tf.plan > plan.json`",
                    plan.display()
                );
                return ExitCode::from(2);
            }
            let opts = vpcsim_import::tf::Options { region, account };
            let mut net = vpcsim_import::tf::import(&parsed, &opts, &name_from(&plan, name));
            finish(
                &mut net,
                &format!("vpcsim import terraform {}", plan.display()),
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

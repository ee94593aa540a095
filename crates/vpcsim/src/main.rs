//! The `vpcsim` command line: a thin edge over the core crates.
//!
//! Exit codes: 0 success, 1 the topology is invalid (or an expectation failed), 2 usage or I/O error.
#![allow(clippy::print_stdout, clippy::print_stderr)] // printing is this binary's job

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

mod diagram;
mod dns;
mod front;
mod generate;
mod import;
mod matrix;
mod policy;
mod serve;
mod trace;
use vpcsim_syntax::Severity;
use vpcsim_topology::{Loaded, StdFs};

/// mimalloc: traces, loading and the DNS server allocate many small, short-lived values, which
/// it serves markedly faster than the system allocator (docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "vpcsim", version, about = "Emulate AWS VPC endpoint networking offline", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check topology files and report every problem with its place in the file.
    Validate {
        /// Topology files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[command(flatten)]
        warnings: Warnings,
    },
    /// Print the JSON Schema of the topology format (for editor completion).
    Schema,
    /// Resolve a name as seen from a host or a DNS view, with the chain that produced the answer.
    Resolve {
        /// Topology file.
        topology: PathBuf,
        /// Who asks: VPC/INSTANCE, SITE/HOST, or a view: public, VPC, VPC/inbound, SITE; `all`
        /// asks every view and prints one line each (view, status, answers).
        #[arg(long)]
        from: String,
        /// The name to resolve.
        name: String,
        /// Record type.
        #[arg(long = "type", short = 't', default_value = "A")]
        record_type: String,
        /// Take a link or tunnel down (forwarded queries then may not get through); repeatable.
        #[arg(long = "fail", value_name = "LINK")]
        fail: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Follow a request from a source: DNS, the path there and back, the service, the policies.
    Trace {
        /// Topology file.
        topology: PathBuf,
        /// The sender: VPC/INSTANCE, SITE/HOST, or aws/athena (an AWS service calling S3 for
        /// --principal).
        #[arg(long)]
        from: String,
        /// `METHOD URL`, a URL, or HOST:PORT (quote it).
        request: String,
        /// Take a link (`dx-primary`) or a tunnel (`vpn-backup/tunnel1`) down; repeatable.
        #[arg(long = "fail", value_name = "LINK")]
        fail: Vec<String>,
        /// Sign with this principal (a key of `principals`, or `anonymous`).
        #[arg(long)]
        principal: Option<String>,
        /// The TLS version of an https request (`1.2` or `1.3`; its `s3:TlsVersion`). Default:
        /// the highest the name negotiates (1.2 on `vpce` names, 1.3 elsewhere).
        #[arg(long, value_name = "VERSION", value_parser = trace::tls_version)]
        tls: Option<vpcsim_engine::TlsVersion>,
        /// A request header, `NAME: VALUE` (repeatable; names without case): S3 turns some into
        /// condition keys (`x-amz-server-side-encryption: AES256` on a PUT is
        /// `s3:x-amz-server-side-encryption`).
        #[arg(long = "header", short = 'H', value_name = "NAME: VALUE", value_parser = trace::header)]
        header: Vec<(String, String)>,
        /// Send the request N times (at most 100000) and show how they spread over ENIs and X-ENIs.
        #[arg(long, default_value_t = 1, value_parser = trace::repeat_count)]
        repeat: u32,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write a topology from what exists: aws CLI describe output, a CloudFormation template, a
    /// Terraform plan.
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
    /// Every sender (instance or host) against every endpoint or bucket, one trace each, on all
    /// cores: the verdicts, and a summary by reason.
    Matrix {
        /// Topology file.
        topology: PathBuf,
        /// Destinations: endpoints (NAME, VPC/NAME or vpce id) or buckets; repeatable (default:
        /// every endpoint and bucket).
        #[arg(long = "to", value_name = "ENDPOINT|BUCKET")]
        to: Vec<String>,
        /// Take a link (`dx-primary`) or a tunnel (`vpn-backup/tunnel1`) down; repeatable.
        #[arg(long = "fail", value_name = "LINK")]
        fail: Vec<String>,
        /// The object key a bucket is asked for (GetObject).
        #[arg(long, default_value = "matrix-probe")]
        key: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = matrix::MatrixFormat::Text)]
        format: matrix::MatrixFormat,
    },
    /// Draw the topology (SVG, Graphviz DOT or Mermaid), with a traced path on it.
    Diagram {
        /// Topology file.
        topology: PathBuf,
        /// Output format (default: from the output file's extension, else svg).
        #[arg(long, value_enum)]
        format: Option<diagram::DiagramFormat>,
        /// Draw the path of a request from this sender (VPC/INSTANCE or SITE/HOST); with --request.
        #[arg(long)]
        from: Option<String>,
        /// The request to trace: `METHOD URL`, a URL, or HOST:PORT (quote it); with --from.
        #[arg(long)]
        request: Option<String>,
        /// Take a link (`dx-primary`) or a tunnel (`vpn-backup/tunnel1`) down; repeatable.
        #[arg(long = "fail", value_name = "LINK")]
        fail: Vec<String>,
        /// Sign the traced request with this principal (a key of `principals`, or `anonymous`).
        #[arg(long)]
        principal: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Run every expectation of each topology and of its scenarios; exit 1 if any fails.
    Check {
        /// Topology files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
        /// Show the passing expectations too.
        #[arg(long, short)]
        verbose: bool,
        #[command(flatten)]
        warnings: Warnings,
    },
    /// Policy evaluation without a topology.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// DNS data of a view.
    Dns {
        #[command(subcommand)]
        command: DnsCommand,
    },
    /// Write a synthetic topology of a given size (valid, with expectations that hold).
    Gen(generate::GenArgs),
    /// Serve the topology live: a DNS server per view (dig can query it) and an HTTP API.
    Serve {
        /// Topology file.
        topology: PathBuf,
        /// Port of the first view's DNS listener; the other views take the next ports.
        #[arg(long, default_value_t = 5300)]
        dns_base_port: u16,
        /// Address of the HTTP API.
        #[arg(long, default_value = "127.0.0.1:8053")]
        http: std::net::SocketAddr,
        /// Address of the DNS listeners.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Allow --bind and --http beyond loopback (there is no authentication).
        #[arg(long)]
        allow_remote: bool,
        /// A host name (or address) the HTTP API answers requests for, besides localhost,
        /// 127.0.0.1, [::1] and the --http address; repeatable. Other Host headers get 403
        /// (protection from DNS rebinding).
        #[arg(long = "allow-host", value_name = "NAME", value_parser = vpcsim_server::http::allowed_host)]
        allow_hosts: Vec<String>,
        /// Reload the topology when its files change (an invalid edit keeps the last valid one).
        #[arg(long)]
        watch: bool,
        /// Serve only this view (public, VPC, VPC/inbound, SITE); repeatable. The views take
        /// consecutive ports in the order given. Default: every view.
        #[arg(long = "view", value_name = "NAME")]
        views: Vec<String>,
        /// UDP sockets per DNS listener, sharing its port (SO_REUSEPORT), 1–64; default one per
        /// core, up to 4.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        udp_sockets: Option<u16>,
        /// Also run the emulation front, an HTTP proxy real clients run through
        /// (docs/emulation.md), on this address (`127.0.0.1:8443`).
        #[arg(long, value_name = "ADDR")]
        front: Option<std::net::SocketAddr>,
        /// The source of front clients that name none in their proxy user name (VPC/INSTANCE or
        /// SITE/HOST).
        #[arg(long, value_name = "SOURCE", requires = "front")]
        default_source: Option<String>,
        /// Seconds a dropped connection takes to fail at the front (a client's timeout).
        #[arg(
            long,
            value_name = "SECONDS",
            default_value_t = 3.0,
            requires = "front"
        )]
        drop_delay: f64,
        /// The data folder: the front's CA and the objects clients store (default
        /// `$XDG_DATA_HOME/vpcsim`, else `~/.local/share/vpcsim`).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
    /// Run a command (the aws CLI, curl, a boto3 script) as if on a simulated host: its HTTP(S)
    /// goes through the emulation front, which resolves, routes and decides as AWS would.
    Exec {
        /// Topology file.
        topology: PathBuf,
        /// The host the command runs on: VPC/INSTANCE or SITE/HOST.
        #[arg(long)]
        from: String,
        /// Take a link (`dx-primary`) or a tunnel (`vpn-backup/tunnel1`) down; repeatable.
        #[arg(long = "fail", value_name = "LINK")]
        fail: Vec<String>,
        /// Give the command this principal's test keys (default: the source's own principal).
        #[arg(long)]
        principal: Option<String>,
        /// After the command, print one line per request: verdict, path, deciding rule.
        #[arg(long)]
        explain: bool,
        /// Seconds a dropped connection takes to fail (what the client waits).
        #[arg(long, value_name = "SECONDS", default_value_t = 3.0)]
        drop_delay: f64,
        /// The data folder: the front's CA and the objects clients store (default
        /// `$XDG_DATA_HOME/vpcsim`, else `~/.local/share/vpcsim`).
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Use the front of a running `vpcsim serve --front ADDR` (`http://ADDR`) instead of
        /// starting one (give the same --data; its links are as it was started).
        #[arg(long, value_name = "URL", conflicts_with_all = ["fail", "explain"])]
        connect: Option<String>,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// The emulation front's local certificate authority.
    Ca {
        #[command(subcommand)]
        command: CaCommand,
    },
}

/// What to do with a topology's warnings (`validate`, `check`).
#[derive(clap::Args, Clone, Copy, Default)]
pub(crate) struct Warnings {
    /// Fail (exit 1) when a file has warnings, as if they were errors.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Do not print warnings (errors are still printed; `--deny-warnings` still counts them).
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand)]
enum CaCommand {
    /// Write the CA certificate (PEM) clients must trust; `-` for standard output.
    Export {
        /// Where to write it.
        path: PathBuf,
        /// The data folder.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Evaluate policies against one request, as IAM does, and say which statement decided;
    /// `--batch` evaluates one JSON case per line and writes one JSON verdict per line.
    Eval {
        /// An identity policy file (JSON or YAML) of the caller; repeatable.
        #[arg(long = "identity", value_name = "FILE")]
        identity: Vec<PathBuf>,
        /// A resource policy file (bucket or access point policy); repeatable.
        #[arg(long = "resource-policy", value_name = "FILE")]
        resource_policies: Vec<PathBuf>,
        /// The VPC endpoint policy the request goes through.
        #[arg(long = "endpoint-policy", value_name = "FILE")]
        endpoint_policy: Option<PathBuf>,
        /// The request goes through a VPC endpoint with the default (full access) policy.
        #[arg(long)]
        through_endpoint: bool,
        /// The caller's permissions boundary (a policy file).
        #[arg(long, value_name = "FILE")]
        boundary: Option<PathBuf>,
        /// A session policy of the caller's session; repeatable.
        #[arg(long = "session-policy", value_name = "FILE")]
        session_policies: Vec<PathBuf>,
        /// The SCPs attached to one node of the caller's organization (FILE,FILE… for several);
        /// repeat from the root down to the caller's account. `FullAWSAccess` names AWS's.
        #[arg(long = "scp", value_name = "FILE[,FILE…]")]
        scps: Vec<String>,
        /// The RCPs attached to one node of the resource owner's organization; repeatable, as
        /// `--scp`.
        #[arg(long = "rcp", value_name = "FILE[,FILE…]")]
        rcps: Vec<String>,
        /// The action (`s3:GetObject`).
        #[arg(long, required_unless_present = "batch")]
        action: Option<String>,
        /// The resource ARN (`arn:aws:s3:::bucket/key`).
        #[arg(long, required_unless_present = "batch")]
        resource: Option<String>,
        /// The caller's ARN (`arn:aws:iam::111122223333:role/app`); anonymous when absent.
        #[arg(long)]
        caller: Option<String>,
        /// The account that owns the resource (default: the caller's).
        #[arg(long)]
        resource_account: Option<String>,
        /// A condition key, KEY=VALUE (KEY=V1,V2 for several values); repeatable.
        #[arg(long = "context", value_name = "KEY=VALUE")]
        context: Vec<String>,
        /// The request context as a JSON object: key → "value" or ["value", …] (`[]` for an
        /// empty set); `--context` keys are added after it.
        #[arg(long = "context-file", value_name = "FILE")]
        context_file: Option<PathBuf>,
        /// Evaluate the cases of a JSON Lines file (`-` for standard input), one per line, and
        /// write one JSON verdict per line (docs/policy.md).
        #[arg(long, value_name = "CASES.jsonl", conflicts_with_all = [
            "identity", "resource_policies", "endpoint_policy", "through_endpoint", "boundary",
            "session_policies", "scps", "rcps", "action",
            "resource", "caller", "resource_account", "context", "context_file", "format",
        ])]
        batch: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
}

#[derive(Subcommand)]
enum DnsCommand {
    /// Write the zones a view answers from as RFC 1035 master files (for BIND, NSD, named-checkzone).
    Export {
        /// Topology file.
        topology: PathBuf,
        /// The view: public, VPC, VPC/inbound, or `all` (one directory per view; needs `--out`).
        #[arg(long)]
        view: String,
        /// Directory to write one `ZONE.zone` file per zone into; standard output when absent.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum CheckFormat {
    Text,
    Json,
    Junit,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// Leaves `value` to the operating system, which takes a process's memory back when it exits:
/// a one-shot command that is about to end does not spend time freeing its model (at 10,000 VPCs,
/// freeing the engine and the topology cost `trace` about 0.2 s of CPU time). Only for values of
/// a command that runs once per process (each file's model of `validate` and `check` of several
/// files stays until the end: the memory is bounded by the files given).
pub(crate) fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // A one-shot command whose output is piped into `head` stops quietly when the pipe closes, as
    // `cat` does, instead of panicking on the failed write (Rust ignores SIGPIPE by default). The
    // servers keep ignoring it: a client that goes away must not stop them.
    if !matches!(cli.command, Command::Serve { .. } | Command::Exec { .. }) {
        sigpipe::reset();
    }
    match cli.command {
        Command::Validate {
            files,
            format,
            warnings,
        } => validate(&files, format, warnings),
        Command::Schema => {
            print!("{}", vpcsim_topology::json_schema());
            ExitCode::SUCCESS
        }
        Command::Resolve {
            topology,
            from,
            name,
            record_type,
            fail,
            format,
        } => dns::resolve(&topology, &from, &name, &record_type, &fail, format),
        Command::Dns {
            command:
                DnsCommand::Export {
                    topology,
                    view,
                    out,
                },
        } => dns::export(&topology, &view, out.as_deref()),
        Command::Trace {
            topology,
            from,
            request,
            fail,
            principal,
            tls,
            header,
            repeat,
            format,
        } => trace::trace(
            &topology,
            &from,
            &request,
            &fail,
            trace::How {
                principal: principal.as_deref(),
                tls,
                headers: header,
            },
            repeat,
            format,
        ),
        Command::Import { command } => import::run(command),
        Command::Matrix {
            topology,
            to,
            fail,
            key,
            format,
        } => matrix::run(&topology, &to, &fail, &key, format),
        Command::Diagram {
            topology,
            format,
            from,
            request,
            fail,
            principal,
            output,
        } => diagram::run(diagram::Args {
            topology: &topology,
            format,
            from: from.as_deref(),
            request: request.as_deref(),
            fail: &fail,
            principal: principal.as_deref(),
            output: output.as_ref(),
        }),
        Command::Check {
            files,
            format,
            verbose,
            warnings,
        } => trace::check(&files, format, verbose, warnings),
        Command::Gen(args) => generate::run(&args),
        Command::Serve {
            topology,
            dns_base_port,
            http,
            bind,
            allow_remote,
            allow_hosts,
            watch,
            views,
            udp_sockets,
            front,
            default_source,
            drop_delay,
            data,
        } => serve::serve(
            &topology,
            serve::Args {
                dns_base_port,
                http,
                bind,
                allow_remote,
                allow_hosts,
                watch,
                views,
                udp_sockets,
                front,
                default_source,
                drop_delay,
                data,
            },
        ),
        Command::Exec {
            topology,
            from,
            fail,
            principal,
            explain,
            drop_delay,
            data,
            connect,
            command,
        } => front::exec(
            &topology,
            front::ExecArgs {
                from,
                fail,
                principal,
                explain,
                data,
                drop_delay,
                connect,
                command,
            },
        ),
        Command::Ca {
            command: CaCommand::Export { path, data },
        } => front::ca_export(&path, data),
        Command::Policy {
            command:
                PolicyCommand::Eval {
                    identity,
                    resource_policies,
                    endpoint_policy,
                    through_endpoint,
                    boundary,
                    session_policies,
                    scps,
                    rcps,
                    action,
                    resource,
                    caller,
                    resource_account,
                    context,
                    context_file,
                    batch,
                    format,
                },
        } => match batch {
            Some(cases) => policy::batch(&cases),
            None => policy::eval(policy::EvalArgs {
                identity: &identity,
                resource_policies: &resource_policies,
                endpoint_policy: endpoint_policy.as_deref(),
                through_endpoint,
                boundary: boundary.as_deref(),
                session_policies: &session_policies,
                scps: &scps,
                rcps: &rcps,
                action: action.as_deref().unwrap_or_default(),
                resource: resource.as_deref().unwrap_or_default(),
                caller: caller.as_deref(),
                resource_account: resource_account.as_deref(),
                context: &context,
                context_file: context_file.as_deref(),
                format,
            }),
        },
    }
}

/// Loads a topology for a command that needs a valid one; on failure prints why and returns the
/// exit code (1 invalid, 2 unreadable).
fn load_valid(path: &std::path::Path) -> Result<vpcsim_topology::Topology, ExitCode> {
    load_valid_with(path, Warnings::default())
}

/// [`load_valid`] with a warning policy (`check`).
fn load_valid_with(
    path: &std::path::Path,
    warnings: Warnings,
) -> Result<vpcsim_topology::Topology, ExitCode> {
    match vpcsim_topology::load(path, &StdFs) {
        Err(e) => {
            eprintln!("error: {e}");
            Err(ExitCode::from(2))
        }
        Ok(mut loaded) => {
            // `check` (this path's caller) reports the design checks `validate` does.
            walk_checks(&mut loaded);
            valid_with(path, loaded, warnings)
        }
    }
}

/// Adds the design checks that need the network walked (`vpcsim_engine::design`) to a valid
/// topology's warnings, in file order.
fn walk_checks(loaded: &mut Loaded) {
    let Some(topo) = &loaded.topology else { return };
    if !vpcsim_engine::design::needed(topo) {
        return; // nothing to walk: no engine to build
    }
    let engine = vpcsim_engine::Engine::new(topo);
    let more = vpcsim_engine::design::warnings(&engine);
    if more.is_empty() {
        return;
    }
    loaded.diagnostics.extend(more);
    loaded
        .diagnostics
        .sort_by_key(|d| d.span.map(|s| (s.file, s.start)));
}

/// The topology of `loaded` (read from `path`), after printing its errors in full and its
/// warnings in one line each; exit code 1 when it is invalid.
fn valid(
    path: &std::path::Path,
    loaded: vpcsim_topology::load::Loaded,
) -> Result<vpcsim_topology::Topology, ExitCode> {
    valid_with(path, loaded, Warnings::default())
}

/// [`valid`], with `warnings`: quiet leaves them out, deny makes a file with any invalid.
fn valid_with(
    path: &std::path::Path,
    loaded: vpcsim_topology::load::Loaded,
    warnings: Warnings,
) -> Result<vpcsim_topology::Topology, ExitCode> {
    // Errors in full; warnings (which `validate` shows in full) in one line each.
    let color = color();
    let mut warned = 0;
    for d in &loaded.diagnostics {
        if d.severity == Severity::Error {
            eprintln!("{}", d.render(&loaded.sources, color));
        } else {
            if !expected(&loaded, d.code) {
                warned += 1;
            }
            if !warnings.quiet {
                eprintln!("{}", d.one_line(&loaded.sources));
            }
        }
    }
    if warnings.deny_warnings && warned > 0 && loaded.topology.is_some() {
        eprintln!(
            "{}: {} and --deny-warnings",
            path.display(),
            plural(warned, "warning")
        );
        return Err(ExitCode::from(1));
    }
    match loaded.topology {
        Some(t) => Ok(t),
        None => {
            eprintln!(
                "{}: invalid; fix it first (`vpcsim validate` lists every problem)",
                path.display()
            );
            Err(ExitCode::from(1))
        }
    }
}

/// The async runtime of the commands that serve (`serve`, `exec`); `workers`: its threads
/// (default one per core).
fn runtime(workers: Option<usize>) -> Result<tokio::runtime::Runtime, ExitCode> {
    let mut b = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = workers {
        b.worker_threads(n);
    }
    b.enable_all().build().map_err(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        ExitCode::from(2)
    })
}

/// A usage error about a value: message plus a hint, exit code 2.
fn usage(message: String, hint: String) -> ExitCode {
    eprintln!("error: {message}");
    if !hint.is_empty() {
        eprintln!("  help: {hint}");
    }
    ExitCode::from(2)
}

pub(crate) fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal()
}

fn validate(files: &[PathBuf], format: Format, warnings: Warnings) -> ExitCode {
    let mut invalid = false;
    let mut io_error = false;
    let mut json_files = Vec::new();
    for path in files {
        let mut loaded = match vpcsim_topology::load(path, &StdFs) {
            Ok(l) => l,
            Err(e) => {
                io_error = true;
                match format {
                    Format::Text => eprintln!("error: {e}"),
                    Format::Json => json_files.push(serde_json::json!({
                        "file": path.display().to_string(),
                        "valid": false,
                        "error": e.to_string(),
                    })),
                }
                continue;
            }
        };
        loaded.refuse_nothing_to_simulate();
        walk_checks(&mut loaded);
        invalid |= !loaded.is_valid();
        // Warnings the file lists under `diagnostics:` are its point, not a failure.
        let warned = loaded
            .diagnostics
            .iter()
            .filter(|d| d.severity != Severity::Error && !expected(&loaded, d.code))
            .count();
        if warnings.deny_warnings && warned > 0 {
            invalid = true;
        }
        match format {
            Format::Text => {
                print_text(path, &loaded, warnings.quiet);
                if warnings.deny_warnings && warned > 0 && loaded.is_valid() {
                    eprintln!(
                        "{}: {} and --deny-warnings",
                        path.display(),
                        plural(warned, "warning")
                    );
                }
            }
            Format::Json => json_files.push(file_json(path, &loaded)),
        }
        exit_without_freeing(loaded);
    }
    if format == Format::Json {
        let out = serde_json::json!({ "files": json_files });
        println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
    }
    if io_error {
        ExitCode::from(2)
    } else if invalid {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// True when the valid topology of `loaded` lists warning `code` under `diagnostics:`.
fn expected(loaded: &Loaded, code: &str) -> bool {
    loaded
        .topology
        .as_ref()
        .is_some_and(|t| t.expects_diagnostic(code))
}

fn counts(loaded: &Loaded) -> (usize, usize) {
    let errors = loaded
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    (errors, loaded.diagnostics.len() - errors)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn print_text(path: &std::path::Path, loaded: &Loaded, quiet: bool) {
    let color = color();
    for d in &loaded.diagnostics {
        if quiet && d.severity != Severity::Error {
            continue;
        }
        eprintln!("{}", d.render(&loaded.sources, color));
    }
    let (errors, warnings) = counts(loaded);
    match &loaded.topology {
        Some(t) => {
            let mut parts = vec![
                plural(t.vpcs.len(), "VPC"),
                plural(t.subnets.len(), "subnet"),
                plural(t.endpoints.len(), "endpoint"),
            ];
            for (n, w) in [
                (t.links.len(), "link"),
                (t.sites.len(), "site"),
                (t.buckets.len(), "bucket"),
                (t.outposts.len(), "Outpost"),
            ] {
                if n > 0 {
                    parts.push(plural(n, w));
                }
            }
            let scenario_expectations: usize =
                t.scenarios.iter().map(|s| s.expectations.len()).sum();
            // `diagnostics:` entries are expectations too (`check` reports each).
            parts.push(plural(
                t.expectations.len() + scenario_expectations + t.expected_diagnostics.len(),
                "expectation",
            ));
            let warn = if warnings > 0 {
                format!(" with {}", plural(warnings, "warning"))
            } else {
                String::new()
            };
            println!("{}: valid{warn} ({})", path.display(), parts.join(", "));
        }
        None => println!(
            "{}: invalid: {}{}",
            path.display(),
            plural(errors, "error"),
            if warnings > 0 {
                format!(", {}", plural(warnings, "warning"))
            } else {
                String::new()
            }
        ),
    }
}

fn file_json(path: &std::path::Path, loaded: &Loaded) -> serde_json::Value {
    let (errors, warnings) = counts(loaded);
    serde_json::json!({
        "file": path.display().to_string(),
        "valid": loaded.is_valid(),
        "errors": errors,
        "warnings": warnings,
        "diagnostics": loaded.diagnostics.iter().map(|d| d.to_json(&loaded.sources)).collect::<Vec<_>>(),
    })
}

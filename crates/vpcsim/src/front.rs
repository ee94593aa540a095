//! `vpcsim exec` and `vpcsim ca export`: real clients run from a simulated host through the
//! emulation front (`vpcsim-front`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use vpcsim_topology::Topology;
use vpcsim_topology::model::Source;

use crate::usage;

/// The options of `vpcsim exec`.
pub(crate) struct ExecArgs {
    pub from: String,
    pub fail: Vec<String>,
    pub principal: Option<String>,
    pub explain: bool,
    pub data: Option<PathBuf>,
    pub drop_delay: f64,
    pub connect: Option<String>,
    pub command: Vec<String>,
}

/// The Region a source's clients default to: its VPC's, else the topology's first.
fn region_of(topo: &Topology, source: Source) -> String {
    let region = match source {
        Source::Instance(i) => Some(topo.vpcs[topo.instances[i.index()].vpc.index()].region),
        _ => None,
    };
    region
        .and_then(|r| topo.regions.get(r.index()))
        .or(topo.regions.first())
        .map_or_else(|| "us-east-1".to_string(), |r| r.name.clone())
}

/// The principal a source signs with by default (an instance's role, a host's principal).
fn default_principal(
    topo: &Topology,
    source: Source,
) -> Option<vpcsim_topology::model::PrincipalId> {
    match source {
        Source::Instance(i) => topo.instances[i.index()].role,
        Source::Host(h) => topo.hosts[h.index()].principal,
        _ => None,
    }
}

pub(crate) fn data_dir(data: Option<PathBuf>) -> PathBuf {
    data.unwrap_or_else(vpcsim_front::ca::default_data_dir)
}

pub(crate) fn exec(path: &Path, args: ExecArgs) -> ExitCode {
    let Some((program, program_args)) = args.command.split_first() else {
        return usage(
            "no command to run".into(),
            "write it after `--`: vpcsim exec TOPOLOGY --from SITE/HOST -- aws s3 ls".into(),
        );
    };
    if !(0.0..=600.0).contains(&args.drop_delay) {
        return usage(
            format!("--drop-delay {} is out of range", args.drop_delay),
            "give seconds between 0 and 600".into(),
        );
    }
    let (topology, files) = match vpcsim_server::read(path) {
        Err((e, _)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        Ok((loaded, files)) => match crate::valid(path, loaded) {
            Ok(t) => (t, files),
            Err(code) => return code,
        },
    };
    let source = match topology.find_sender(&args.from) {
        Ok(Source::Service(_)) => {
            return usage(
                format!("'{}' is an AWS service: no command of yours runs there", args.from),
                "run commands from an instance (VPC/INSTANCE) or a host (SITE/HOST); ask what the service gets with `vpcsim trace --from aws/athena --principal NAME`".into(),
            );
        }
        Ok(s) => s,
        Err(e) => return usage(e.message, e.hint),
    };
    let principal = match &args.principal {
        Some(p) => match topology.find_principal(p) {
            Ok(p) => p,
            Err(e) => return usage(e.message, e.hint),
        },
        None => default_principal(&topology, source),
    };
    let keys = principal.map(|p| vpcsim_front::keys::of(&topology, p));
    let region = region_of(&topology, source);
    let data = data_dir(args.data);
    if let Some(url) = &args.connect {
        let Some(addr) = url
            .strip_prefix("http://")
            .map(|a| a.trim_end_matches('/'))
            .filter(|a| !a.is_empty() && !a.contains('/') && !a.contains('@'))
        else {
            return usage(
                format!("--connect {url} is not a front's address"),
                "give http://HOST:PORT, the address `vpcsim serve --front` printed".into(),
            );
        };
        let proxy = vpcsim_front::proxy::url_for(&args.from, addr);
        let mut cmd = client(program, program_args, &proxy, &data, &region, keys.as_ref());
        return run(&mut cmd, program).map_or_else(|code| code, exit_code);
    }
    let runtime = match crate::runtime(Some(2)) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let shared = vpcsim_server::Shared::new(path, topology, files);
    let config = vpcsim_front::Config {
        default_source: Some(args.from.clone()),
        fail: args.fail.clone(),
        drop_delay: Duration::from_secs_f64(args.drop_delay),
        data_dir: data.clone(),
        persist: true,
        ..vpcsim_front::Config::default()
    };
    let front = match runtime.block_on(vpcsim_front::start(shared.clone(), config)) {
        Ok(f) => f,
        Err(e) => return usage(e.to_string(), e.hint()),
    };
    let proxy = vpcsim_front::proxy::url_for(&args.from, front.addr);
    let mut cmd = client(program, program_args, &proxy, &data, &region, keys.as_ref());
    let status = match run(&mut cmd, program) {
        Ok(s) => s,
        Err(code) => {
            runtime.block_on(front.shutdown());
            return code;
        }
    };
    if args.explain {
        // A tunnel that opened says nothing the requests inside it do not say.
        let opened =
            |r: &serde_json::Value| r.get("connection").and_then(|c| c.as_str()) == Some("open");
        for r in shared.requests().last(usize::MAX) {
            if !opened(&r) {
                eprintln!("{}", explain_entry(&r));
            }
        }
    }
    runtime.block_on(front.shutdown());
    runtime.shutdown_timeout(Duration::from_millis(200));
    exit_code(status)
}

/// Runs the command to its end; 127, as a shell says it, when it cannot be started.
fn run(
    cmd: &mut std::process::Command,
    program: &str,
) -> Result<std::process::ExitStatus, ExitCode> {
    cmd.status().map_err(|e| {
        eprintln!("error: cannot run {program}: {e}");
        eprintln!("  help: install it, or give its full path after `--`");
        ExitCode::from(127)
    })
}

/// The command, with the environment that places it behind the front at `proxy`.
fn client(
    program: &str,
    program_args: &[String],
    proxy: &str,
    data: &Path,
    region: &str,
    keys: Option<&vpcsim_front::keys::KeyPair>,
) -> std::process::Command {
    let bundle = data.join("ca.pem");
    let mut cmd = std::process::Command::new(program);
    cmd.args(program_args);
    for k in ["HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"] {
        cmd.env(k, proxy);
    }
    for k in ["NO_PROXY", "no_proxy"] {
        cmd.env(k, "localhost,127.0.0.1,::1");
    }
    for k in [
        "AWS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "CURL_CA_BUNDLE",
        "REQUESTS_CA_BUNDLE",
    ] {
        cmd.env(k, &bundle);
    }
    // Only the source's test keys: nothing of the user's own AWS setup leaks in.
    for k in [
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_USE_FIPS_ENDPOINT",
    ] {
        cmd.env_remove(k);
    }
    cmd.env("AWS_CONFIG_FILE", "/dev/null");
    cmd.env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
    cmd.env("AWS_EC2_METADATA_DISABLED", "true");
    cmd.env("AWS_DEFAULT_REGION", region);
    cmd.env("AWS_REGION", region);
    match keys {
        Some(k) => {
            cmd.env("AWS_ACCESS_KEY_ID", &k.access_key_id);
            cmd.env("AWS_SECRET_ACCESS_KEY", &k.secret_access_key);
        }
        None => {
            cmd.env_remove("AWS_ACCESS_KEY_ID");
            cmd.env_remove("AWS_SECRET_ACCESS_KEY");
        }
    }
    cmd
}

/// One line per request of the log: `METHOD HOST PATH -> STATUS VERDICT (CODE): REASON`.
fn explain_entry(r: &serde_json::Value) -> String {
    let s = |k: &str| r.get(k).and_then(|v| v.as_str()).unwrap_or("");
    if let Some(outcome) = r.get("connection").and_then(|v| v.as_str()) {
        return format!(
            "vpcsim: {} {} -> connection {outcome}{}{}",
            s("method"),
            s("target"),
            if s("explain").is_empty() { "" } else { ": " },
            s("explain")
        );
    }
    let decision = r
        .get("decisions")
        .and_then(|d| d.as_array())
        .and_then(|d| d.first());
    let explain = decision
        .and_then(|d| d.get("explain"))
        .and_then(|v| v.as_str())
        .unwrap_or("no decision (the request was refused before it was decided)");
    let via = decision
        .and_then(|d| d.get("trace"))
        .and_then(|t| t.get("via"))
        .and_then(|v| v.as_array())
        .map(|v| {
            v.iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(" -> ")
        })
        .unwrap_or_default();
    format!(
        "vpcsim: {} {} {} -> {} {explain}{}",
        s("method"),
        s("host"),
        s("path"),
        r.get("status").and_then(|v| v.as_u64()).unwrap_or(0),
        if via.is_empty() {
            String::new()
        } else {
            format!(" [via {via}]")
        }
    )
}

fn exit_code(status: std::process::ExitStatus) -> ExitCode {
    if let Some(c) = status.code() {
        return ExitCode::from(c.clamp(0, 255) as u8);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return ExitCode::from((128 + sig).clamp(0, 255) as u8);
        }
    }
    ExitCode::FAILURE
}

/// `vpcsim ca export PATH`: the CA certificate clients must trust (`-`: standard output).
pub(crate) fn ca_export(out: &Path, data: Option<PathBuf>) -> ExitCode {
    let dir = data_dir(data);
    let ca = match vpcsim_front::ca::Ca::open(&dir) {
        Ok(c) => c,
        Err(e) => {
            let e = vpcsim_front::StartError::Ca(e);
            return usage(e.to_string(), e.hint());
        }
    };
    if out == Path::new("-") {
        print!("{}", ca.cert_pem());
        return ExitCode::SUCCESS;
    }
    match std::fs::write(out, ca.cert_pem()) {
        Ok(()) => {
            eprintln!(
                "wrote the CA certificate of {} to {}",
                dir.display(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {}: {e}", out.display());
            ExitCode::from(2)
        }
    }
}

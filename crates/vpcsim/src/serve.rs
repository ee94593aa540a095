//! `vpcsim serve`: the DNS listeners and the HTTP API of `vpcsim-server`, until Ctrl-C or SIGTERM.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use vpcsim_aws::{EndpointPrefix, Family, ServiceName};
use vpcsim_server::Config;

use crate::{usage, valid};

/// The options of `vpcsim serve`.
pub(crate) struct Args {
    pub dns_base_port: u16,
    pub http: SocketAddr,
    pub bind: IpAddr,
    pub allow_remote: bool,
    pub allow_hosts: Vec<String>,
    pub watch: bool,
    pub views: Vec<String>,
    pub udp_sockets: Option<u16>,
    pub front: Option<SocketAddr>,
    pub default_source: Option<String>,
    pub drop_delay: f64,
    pub data: Option<std::path::PathBuf>,
}

/// A name the view's DNS answers, for the `dig` line: the first interface endpoint's Regional
/// name for public DNS and the resolvers, a host name of the VPC otherwise.
fn example_name(topo: &vpcsim_topology::Topology) -> String {
    topo.endpoints
        .iter()
        .find_map(|e| {
            let vpc = &topo.vpcs[e.vpc.index()];
            e.regional_dns_name(&topo.regions[vpc.region.index()].name)
        })
        .unwrap_or_else(|| {
            let region = topo
                .regions
                .first()
                .map_or("us-east-1", |r| r.name.as_str());
            ServiceName::new(Family::Regional, "s3", region).render()
        })
}

/// A source and request for the `curl` trace line: an on-premises host (else an instance) asking
/// for an object of the first Regional bucket through `host`.
fn example_trace(topo: &vpcsim_topology::Topology, host: &str) -> (String, String) {
    let from = topo
        .hosts
        .first()
        .map(|h| format!("{}/{}", topo.sites[h.site.index()].name, h.name))
        .or_else(|| {
            topo.instances
                .first()
                .map(|i| format!("{}/{}", topo.vpcs[i.vpc.index()].name, i.name))
        })
        .unwrap_or_else(|| "VPC/INSTANCE".into());
    let path = topo
        .buckets
        .iter()
        .find(|b| b.outpost.is_none())
        .map(|b| format!("/{}/report.csv", b.name))
        .unwrap_or_else(|| "/".into());
    // An S3 interface endpoint's Regional name takes bucket requests under its `bucket.` name.
    let host = match ServiceName::parse(host).map(|n| n.with_prefix(EndpointPrefix::Bucket)) {
        Some(name) if name.family.is_endpoint() && name.in_scope() => name.render(),
        _ => host.to_string(),
    };
    (from, format!("GET https://{host}{path}"))
}

/// `dig` lines in the startup listing at most (a large topology has thousands of views).
const TRY_LINES: usize = 10;

pub(crate) fn serve(path: &Path, args: Args) -> ExitCode {
    if !(0.0..=600.0).contains(&args.drop_delay) {
        return usage(
            format!("--drop-delay {} is out of range", args.drop_delay),
            "give seconds between 0 and 600".into(),
        );
    }
    let mut listening = vec![("--bind", args.bind), ("--http", args.http.ip())];
    if let Some(f) = args.front {
        listening.push(("--front", f.ip()));
    }
    for (what, ip) in listening {
        if !ip.is_loopback() && !args.allow_remote {
            return usage(
                format!("{what} {ip} would listen beyond this machine"),
                "vpcsim serves on loopback unless you add --allow-remote (it has no authentication)"
                    .into(),
            );
        }
    }
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,hickory_server=warn,hickory_net=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(crate::color())
        .try_init();
    // Read once: the topology served and the files `--watch` compares (as they were just
    // before they were read, so that an edit made from now on is reloaded).
    let (topology, files) = match vpcsim_server::read(path) {
        Err((e, _)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
        Ok((loaded, files)) => match valid(path, loaded) {
            Ok(t) => (t, files),
            Err(code) => return code,
        },
    };
    let runtime = match crate::runtime(None) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let config = Config {
        bind: args.bind,
        dns_base_port: args.dns_base_port,
        http: args.http,
        watch: args.watch,
        views: args.views,
        allowed_hosts: args.allow_hosts.clone(),
        udp_sockets: args.udp_sockets.map_or(0, usize::from),
        // Poll interval, settle period, limits: the defaults (docs/serve.md,
        // docs/reliability.md).
        ..Config::default()
    };
    let code = runtime.block_on(async move {
        let example = example_name(&topology);
        let (trace_from, trace_request) = example_trace(&topology, &example);
        let running = match vpcsim_server::start(path, topology, files, &config).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                if let Some(hint) = &e.hint {
                    eprintln!("  help: {hint}");
                }
                return ExitCode::from(2);
            }
        };
        let front = match args.front {
            None => None,
            Some(listen) => {
                let config = vpcsim_front::Config {
                    listen,
                    default_source: args.default_source.clone(),
                    drop_delay: Duration::from_secs_f64(args.drop_delay),
                    data_dir: crate::front::data_dir(args.data.clone()),
                    persist: true,
                    ..vpcsim_front::Config::default()
                };
                match vpcsim_front::start(running.shared.clone(), config).await {
                    Ok(f) => Some(f),
                    Err(e) => {
                        eprintln!("error: {e}");
                        eprintln!("  help: {}", e.hint());
                        running.shutdown().await;
                        return ExitCode::from(2);
                    }
                }
            }
        };
        println!("vpcsim serving {}", path.display());
        println!();
        println!("DNS, one listener per view (UDP and TCP):");
        let udp_only = running.listeners.iter().filter(|l| !l.tcp).count();
        let width = running
            .listeners
            .iter()
            .map(|l| l.view.len())
            .max()
            .unwrap_or(0);
        for l in &running.listeners {
            println!(
                "  {:<21} {:<width$}  {}{}",
                l.addr.to_string(),
                l.view,
                l.description,
                if l.tcp { "" } else { "  (UDP only)" }
            );
        }
        if udp_only > 0 {
            println!();
            println!(
                "{udp_only} of {} views answer over UDP only: the open-files limit has no room for their TCP listeners (a truncated answer cannot be retried over TCP there). Serve fewer views with --view NAME, or raise the hard limit (ulimit -Hn).",
                running.listeners.len()
            );
        }
        println!();
        println!("try:");
        for l in running.listeners.iter().take(TRY_LINES) {
            println!(
                "  dig @{} -p {} {example}    # {}",
                l.addr.ip(),
                l.addr.port(),
                l.view
            );
        }
        if running.listeners.len() > TRY_LINES {
            println!(
                "  … and {} more views: the same with their ports above",
                running.listeners.len() - TRY_LINES
            );
        }
        println!();
        println!("web view on http://{}/ (the topology drawn; trace, resolve, toggle links, check)", running.http);
        println!("HTTP API on http://{}", running.http);
        if !running.http.ip().is_loopback() {
            let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "[::1]".into()];
            match running.http.ip() {
                ip if ip.is_unspecified() => {}
                IpAddr::V4(ip) => names.push(ip.to_string()),
                IpAddr::V6(ip) => names.push(format!("[{ip}]")),
            }
            names.extend(args.allow_hosts.iter().cloned());
            println!(
                "  it answers requests addressed to {} (add names clients use with --allow-host NAME)",
                names.join(", ")
            );
        }
        println!("  curl http://{}/health", running.http);
        println!(
            "  curl http://{}/trace --json '{{\"from\": \"{trace_from}\", \"request\": \"{trace_request}\"}}'",
            running.http
        );
        if let Some(f) = &front {
            let data = crate::front::data_dir(args.data.clone());
            println!();
            println!("emulation front (an HTTP proxy) on http://{}", f.addr);
            println!(
                "  HTTPS_PROXY={} AWS_CA_BUNDLE={} aws s3 ls …",
                vpcsim_front::proxy::url_for(&trace_from, f.addr),
                data.join("ca.pem").display()
            );
            println!("  or: vpcsim exec {} --from {trace_from} -- COMMAND", path.display());
        }
        if config.watch {
            println!();
            println!("watching {} for changes", path.display());
        }
        // The handlers are installed before the server says it can be stopped: a SIGTERM sent as
        // soon as "Ctrl-C to stop" is read must stop it cleanly, not kill it.
        let stop = stop_signal();
        println!("Ctrl-C to stop");
        stop.await;
        eprintln!("stopping");
        if let Some(f) = front {
            f.shutdown().await;
        }
        running.shutdown().await;
        ExitCode::SUCCESS
    });
    // Do not wait for blocking work still running (a reload reading a slow file): the signal
    // asked to stop.
    runtime.shutdown_timeout(Duration::from_secs(1));
    code
}

/// Installs the Ctrl-C and SIGTERM handlers now; the future completes on either.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let int = signal(SignalKind::interrupt());
        let term = signal(SignalKind::terminate());
        async move {
            match (int, term) {
                (Ok(mut int), Ok(mut term)) => {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

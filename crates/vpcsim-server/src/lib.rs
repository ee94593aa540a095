//! Live emulation: real DNS servers, one per view, and an HTTP API, over the pure core crates.
//!
//! `vpcsim serve` puts the model on the network so real tools can be pointed at it. Each DNS
//! *view* of the topology — public DNS, each VPC's Route 53 Resolver, each inbound Resolver
//! endpoint, each on-premises resolver — gets its own listener (UDP and TCP on one port; the
//! [`sockets`] plan fits them in the open-files limit), answered by a [`ViewHandler`] from
//! [`vpcsim_dns::Dns::resolve`] — over UDP through the [`udp`] loop, over TCP through the [`tcp`]
//! loop, both with hickory-server's decoding and encoding. Answers
//! are the model's records and codes, AA when the model is authoritative, RA on resolver views,
//! EDNS echoed with the client's payload size honoured, TC over UDP when the answer does not fit
//! (the client retries over TCP), REFUSED outside the served zones, FORMERR/NOTIMP for what is
//! malformed or unsupported. DNS load balancing (an endpoint's ENIs, the four S3 on Outposts
//! X-ENIs) advances per query through one [`Rotation`](vpcsim_dns::Rotation) per listener.
//!
//! The [`http`] API answers JSON: `GET /health`, `GET /topology`, `POST /resolve`, `POST /trace`,
//! `POST /check`.
//!
//! Everything reads the served topology from one [`Shared`] cell: a request takes an
//! `Arc<Snapshot>` and keeps it while it is answered. With `watch`, a task polls the topology's
//! files, waits until they have stopped changing, and swaps in the new topology only when it is
//! valid and not empty; otherwise the edit is logged with its diagnostics, reported by
//! `GET /health`, and the last valid topology keeps serving.
//!
//! Invariant: this crate (and the binary) is the only place with async code and sockets; it
//! computes nothing itself — every answer comes from the core crates.

pub mod accept;
pub mod dns;
pub mod http;
mod logs;
mod reload;
pub mod sockets;
mod state;
pub mod tcp;
pub mod udp;
pub mod web;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tracing::{info, warn};
use vpcsim_topology::Topology;

pub use dns::ViewHandler;
pub use state::{
    Files, LogEntry, Reload, ReloadError, RequestLog, Shared, Snapshot, Stamp, load, read,
};

/// Where to listen.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address of the DNS listeners.
    pub bind: IpAddr,
    /// Port of the first view; the others follow consecutively. 0 gives each view a free port.
    pub dns_base_port: u16,
    /// Address of the HTTP API.
    pub http: SocketAddr,
    /// Poll the topology's files and reload on change.
    pub watch: bool,
    /// How often `watch` polls.
    pub watch_interval: Duration,
    /// How long the files must stay unchanged (length, times, inode) before `watch` reloads them.
    pub watch_settle: Duration,
    /// The views to serve, by name; empty: every view.
    pub views: Vec<String>,
    /// UDP sockets per listener, sharing its port (`SO_REUSEPORT`); 0: one per core, up to 4.
    pub udp_sockets: usize,
    /// What one client may hold: connections, time.
    pub limits: Limits,
    /// Host names (or addresses) the HTTP API answers besides loopback ones and its own address
    /// (see [`http::Hosts`]).
    pub allowed_hosts: Vec<String>,
}

/// What clients may hold of the server. The defaults are the limits `vpcsim serve` keeps; each is
/// explained in docs/reliability.md ("Limits").
#[derive(Clone, Debug)]
pub struct Limits {
    /// DNS-over-TCP connections open at once on one view's listener.
    pub dns_tcp_connections: usize,
    /// DNS-over-TCP connections open at once on all listeners together (also kept within the
    /// open-files limit, see [`sockets::connection_budget`]).
    pub dns_tcp_total: usize,
    /// How long a DNS-over-TCP connection may take to send a complete query (from its opening or
    /// the previous answer), and to take an answer.
    pub dns_tcp_idle: Duration,
    /// HTTP connections open at once (also kept within the open-files limit).
    pub http_connections: usize,
    /// How long an HTTP client may take to send a request head (from the connection's opening or
    /// the previous response).
    pub http_header_timeout: Duration,
    /// How long an HTTP client may take to send a request body once its head has come.
    pub http_body_timeout: Duration,
    /// How long an HTTP client may leave a response unread before its connection is closed.
    pub http_send_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            dns_tcp_connections: 64,
            dns_tcp_total: 1024,
            dns_tcp_idle: Duration::from_secs(10),
            http_connections: 128,
            http_header_timeout: Duration::from_secs(10),
            http_body_timeout: Duration::from_secs(10),
            http_send_timeout: Duration::from_secs(10),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            bind: IpAddr::from([127, 0, 0, 1]),
            dns_base_port: 5300,
            http: SocketAddr::from(([127, 0, 0, 1], 8053)),
            watch: false,
            watch_interval: Duration::from_millis(500),
            watch_settle: Duration::from_secs(1),
            views: Vec::new(),
            udp_sockets: 0,
            limits: Limits::default(),
            allowed_hosts: Vec::new(),
        }
    }
}

/// One DNS listener.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    /// The view as `--from` names it: `public`, `VPC`, `VPC/inbound`, `SITE`.
    pub view: String,
    /// What the view is (`Route 53 Resolver of VPC shared (10.0.0.2)`).
    pub description: String,
    /// Where it listens (UDP, and TCP unless `tcp` is false).
    pub addr: SocketAddr,
    /// False when the open-files limit left no TCP listener for this view.
    pub tcp: bool,
}

/// A started server: its listeners, and the handle to stop it.
pub struct Running {
    /// The DNS listeners, one per view, in the model's view order.
    pub listeners: Vec<Listener>,
    /// The HTTP API's address.
    pub http: SocketAddr,
    /// The served topology.
    pub shared: Shared,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Running {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Running")
            .field("listeners", &self.listeners)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

/// Why the server could not start.
#[derive(Debug)]
pub struct StartError {
    /// What could not be done (`cannot listen on 127.0.0.1:5300 (view shared)`).
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
    /// The I/O error, if one caused it.
    pub source: Option<std::io::Error>,
}

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.source {
            Some(source) => write!(f, "{}: {source}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for StartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

/// The name `--from` takes for each view of a topology, with the model's description, in the
/// model's order (public, then each VPC and its inbound endpoint, then each site resolver).
pub fn view_names(topology: &Topology, dns: &vpcsim_dns::Dns) -> Vec<NamedView> {
    use vpcsim_dns::View;
    dns.views()
        .into_iter()
        .map(|view| {
            let name = match view {
                View::Public => "public".to_string(),
                View::Vpc(id) => topology.vpcs[id.index()].name.clone(),
                View::Inbound(id) => format!("{}/inbound", topology.vpcs[id.index()].name),
                View::Site(id) => topology.sites[id.index()].name.clone(),
            };
            NamedView {
                name,
                description: dns.view_name(view),
                view,
            }
        })
        .collect()
}

/// A view of the model with the name `--view` and `from` take and its description.
#[derive(Clone, Debug, PartialEq)]
pub struct NamedView {
    /// `public`, `VPC`, `VPC/inbound` or `SITE`.
    pub name: String,
    /// What the view is (`Route 53 Resolver of VPC shared (10.0.0.2)`).
    pub description: String,
    /// The view itself.
    pub view: vpcsim_dns::View,
}

/// The views to serve: every view of the topology, in the model's order, or those named in
/// `wanted` (in that order, each once). An unknown name is an error with the closest name as hint.
pub fn select_views(all: Vec<NamedView>, wanted: &[String]) -> Result<Vec<NamedView>, StartError> {
    if wanted.is_empty() {
        return Ok(all);
    }
    let mut out: Vec<NamedView> = Vec::new();
    for name in wanted {
        if out.iter().any(|v| &v.name == name) {
            continue;
        }
        match all.iter().find(|v| &v.name == name) {
            Some(v) => out.push(v.clone()),
            None => {
                let closest =
                    vpcsim_syntax::suggest::closest(name, all.iter().map(|v| v.name.as_str()));
                return Err(StartError {
                    message: format!("the topology has no view '{name}'"),
                    hint: Some(match closest {
                        Some(c) => format!("did you mean '{c}'? Views are public, each VPC, VPC/inbound for an inbound Resolver endpoint, and each site with a resolver"),
                        None => "views are public, each VPC, VPC/inbound for an inbound Resolver endpoint, and each site with a resolver".into(),
                    }),
                    source: None,
                });
            }
        }
    }
    Ok(out)
}

/// The error of a server whose listeners do not fit in the open-files limit.
fn too_many_views(e: &sockets::TooManyViews, hard: Option<u64>) -> StartError {
    let hard = hard.map_or("unlimited".to_string(), |h| h.to_string());
    StartError {
        message: format!(
            "serving {} DNS views needs at least {} open files (one UDP socket per view, {} with \
             TCP, {} kept for the rest), but the open-files limit is {} (hard limit {hard})",
            e.views,
            e.needed,
            e.needed_with_tcp,
            sockets::RESERVED_DESCRIPTORS,
            e.limit
        ),
        hint: Some(
            "serve only the views you query with --view NAME (repeatable), or raise the hard \
             limit (ulimit -Hn as root, LimitNOFILE= in a systemd unit, nofile in \
             /etc/security/limits.conf)"
                .into(),
        ),
        source: None,
    }
}

/// `EMFILE`: too many open files.
fn is_emfile(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::MFILE.raw_os_error())
}

/// What to do when binding `flags`' address failed with `kind`.
fn bind_hint(kind: std::io::ErrorKind, flags: &str) -> Option<String> {
    use std::io::ErrorKind::{AddrInUse, AddrNotAvailable, PermissionDenied};
    match kind {
        AddrInUse => Some(format!(
            "another program uses the port: choose another with {flags}"
        )),
        PermissionDenied => Some(format!(
            "ports below 1024 need privileges: choose a port from 1024 up with {flags}"
        )),
        AddrNotAvailable => {
            Some("this host has no such address: use one of its own with --bind or --http".into())
        }
        _ => None,
    }
}

/// Starts a DNS listener per view (or per view of `config.views`) and the HTTP API for `topology`
/// (read from `path`, whose files are `files`, as [`read`] or [`load`] give them: an edit made
/// since they were read is reloaded), and the reload watcher when asked. Raises the soft
/// open-files limit to the hard one first. Must run inside a Tokio runtime.
pub async fn start(
    path: &Path,
    topology: Topology,
    files: Files,
    config: &Config,
) -> Result<Running, StartError> {
    let shared = Shared::new(path, topology, files);
    let snap = shared.current();
    let views = select_views(view_names(snap.topology(), snap.dns()), &config.views)?;
    // Public DNS and the site resolvers get their sockets first, then the others in order.
    let first_tier = |i: &usize| {
        matches!(
            views[*i].view,
            vpcsim_dns::View::Public | vpcsim_dns::View::Site(_)
        )
    };
    let (mut order, rest): (Vec<usize>, Vec<usize>) = (0..views.len()).partition(first_tier);
    let first = order.len();
    order.extend(rest);
    let udp_per_view = if config.udp_sockets == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
    } else {
        config.udp_sockets
    };
    let (limit, hard) = sockets::raise_open_files_limit();
    let plan = sockets::plan(views.len(), &order, first, udp_per_view, limit)
        .map_err(|e| too_many_views(&e, hard))?;
    if plan.udp_only() > 0 {
        warn!(
            views = views.len(),
            udp_only = plan.udp_only(),
            limit,
            needed = sockets::needed_with_tcp(views.len()),
            "the open-files limit leaves no TCP listener for some views (marked 'UDP only'); \
             choose views with --view or raise the hard limit"
        );
    }
    // Connections take descriptors too: the HTTP API gets up to half of what the listeners
    // leave, DNS over TCP the rest.
    let budget = usize::try_from(sockets::connection_budget(limit, plan.descriptors()))
        .unwrap_or(usize::MAX);
    let http_connections = config.limits.http_connections.min(budget / 2).max(1);
    let dns_tcp_budget = Arc::new(Semaphore::new(
        budget
            .saturating_sub(http_connections)
            .min(config.limits.dns_tcp_total)
            .max(1),
    ));
    let (stop, stopped) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut listeners = Vec::new();
    for (
        i,
        NamedView {
            name: view,
            description,
            ..
        },
    ) in views.into_iter().enumerate()
    {
        let port = if config.dns_base_port == 0 {
            0
        } else {
            u16::try_from(usize::from(config.dns_base_port) + i).map_err(|_| StartError {
                message: format!(
                    "no port left for view {view} after {}",
                    config.dns_base_port
                ),
                hint: Some("choose a lower --dns-base-port, or fewer views with --view".into()),
                source: None,
            })?
        };
        let bound = sockets::bind(config.bind, port, plan.udp[i], plan.tcp[i])
            .await
            .map_err(|source| {
                if is_emfile(&source) {
                    let mut e = too_many_views(
                        &sockets::TooManyViews {
                            views: plan.udp.len(),
                            needed: plan.descriptors() + sockets::RESERVED_DESCRIPTORS,
                            needed_with_tcp: sockets::needed_with_tcp(plan.udp.len()),
                            limit,
                        },
                        hard,
                    );
                    e.message = format!(
                        "cannot listen on {}:{port} (view {view}): {}",
                        config.bind, e.message
                    );
                    return e;
                }
                StartError {
                    message: format!("cannot listen on {}:{port} (view {view})", config.bind),
                    hint: bind_hint(source.kind(), "--dns-base-port"),
                    source: Some(source),
                }
            })?;
        let handler = ViewHandler::new(shared.clone(), view.clone());
        for socket in bound.udp {
            tasks.push(tokio::spawn(udp::serve(
                socket,
                handler.clone(),
                stopped.clone(),
            )));
        }
        let tcp = bound.tcp.is_some();
        if let Some(listener) = bound.tcp {
            tasks.push(tokio::spawn(tcp::serve(
                listener,
                handler.clone(),
                accept::Gate::new(
                    config.limits.dns_tcp_connections,
                    Some(dns_tcp_budget.clone()),
                ),
                config.limits.dns_tcp_idle,
                stopped.clone(),
            )));
        }
        listeners.push(Listener {
            view,
            description,
            addr: bound.addr,
            tcp,
        });
    }
    let http_listener = TcpListener::bind(config.http)
        .await
        .map_err(|source| StartError {
            message: format!("cannot listen on {} (HTTP API)", config.http),
            hint: bind_hint(source.kind(), "--http"),
            source: Some(source),
        })?;
    let http_addr = http_listener.local_addr().map_err(|source| StartError {
        message: "cannot read the bound address".into(),
        hint: None,
        source: Some(source),
    })?;
    let api = Arc::new(http::Api::new(
        shared.clone(),
        listeners.clone(),
        &config.limits,
        http::Hosts::new(http_addr.ip(), &config.allowed_hosts),
    ));
    tasks.push(tokio::spawn(http::serve(
        http_listener,
        api,
        accept::Gate::new(http_connections, None),
        config.limits.clone(),
        stopped.clone(),
    )));
    if config.watch {
        tasks.push(tokio::spawn(reload::watch(
            shared.clone(),
            config.watch_interval,
            config.watch_settle,
            stopped,
        )));
    }
    info!(
        views = listeners.len(),
        http = %http_addr,
        topology = %path.display(),
        "serving"
    );
    Ok(Running {
        listeners,
        http: http_addr,
        shared,
        stop,
        tasks,
    })
}

impl Running {
    /// Stops accepting, lets requests in flight finish (HTTP connections get 5 s), and returns.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in self.tasks.drain(..) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        info!("stopped");
    }
}

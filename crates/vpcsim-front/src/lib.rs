//! The emulation front: real clients — curl, the aws CLI, boto3 — run *from* a simulated host
//! and get what AWS would give them.
//!
//! The seam is an HTTP proxy ([`proxy`]). A client configured with `HTTPS_PROXY` sends
//! `CONNECT NAME:443`, naming the simulated host it speaks for in the proxy user name
//! (`http://datacenter%2Fbuild-server:x@127.0.0.1:PORT`). The front then asks the engine, as
//! `vpcsim trace` does, what happens to a connection from that host to that name — resolved in
//! the host's DNS view, walked there and back — and either fails the way the network would
//! (NXDOMAIN: 502; a drop: a timeout, then 504; see docs/emulation.md) or opens the tunnel,
//! terminates TLS with a certificate of its local CA ([`ca`], [`tls`]) and serves S3's REST API
//! ([`s3`], over s3s). Each request inside is signed (SigV4, the principals' test keys of
//! [`keys`]) and decided by the engine with the full request context ([`decide`]): the decision
//! is the one `vpcsim trace` gives for the same request, and a denial is S3's `AccessDenied` with
//! the deciding statement in `x-vpcsim-explain`.
//!
//! Invariant: an edge. It decides nothing itself: every verdict comes from `vpcsim-engine`; this
//! crate turns verdicts into what a client sees, and keeps the objects clients store.

pub mod ca;
mod control;
pub mod decide;
pub mod keys;
pub mod proxy;
pub mod s3;
pub mod sigv4;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use vpcsim_server::Shared;

/// How the front runs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the proxy listens (loopback unless the caller allows more).
    pub listen: SocketAddr,
    /// The source of a client that does not name one in its proxy user name.
    pub default_source: Option<String>,
    /// Links (or `LINK/TUNNEL`) to treat as down, as `--fail` names them.
    pub fail: Vec<String>,
    /// How long a dropped connection takes to fail (what a client waits before its error).
    pub drop_delay: Duration,
    /// The data folder (the CA).
    pub data_dir: PathBuf,
    /// The most bytes of objects kept in memory.
    pub max_stored_bytes: u64,
    /// Keep objects in `data_dir/objects/TOPOLOGY-NAME` across runs (else in memory only).
    pub persist: bool,
    /// Connections open at once.
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            default_source: None,
            fail: Vec::new(),
            drop_delay: Duration::from_secs(3),
            data_dir: ca::default_data_dir(),
            max_stored_bytes: 1 << 30,
            persist: false,
            max_connections: 256,
        }
    }
}

/// Why the front did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The CA could not be opened or made.
    #[error("the front's CA: {0}")]
    Ca(#[from] ca::CaError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The objects folder could not be read.
    #[error("{path}: {source}")]
    Data {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `--fail` or `--default-source` name is not in the topology.
    #[error("{message}")]
    Name {
        /// What is wrong.
        message: String,
        /// How to fix it.
        hint: String,
    },
}

impl StartError {
    /// What to do about it.
    pub fn hint(&self) -> String {
        match self {
            StartError::Ca(_) | StartError::Data { .. } => "vpcsim keeps its CA and objects in a data folder: give a writable one with --data DIR (default $XDG_DATA_HOME/vpcsim, else ~/.local/share/vpcsim)".into(),
            StartError::Bind { .. } => "choose another address or port (port 0 takes a free one)".into(),
            StartError::Name { hint, .. } => hint.clone(),
        }
    }
}

/// What the front's tasks share.
pub(crate) struct Core {
    pub(crate) shared: Shared,
    pub(crate) config: Config,
    pub(crate) ca: Arc<ca::Ca>,
    pub(crate) tls: tls::Configs,
    pub(crate) s3: s3s::service::S3Service,
    keys: Mutex<(u64, Arc<keys::Keys>)>,
    next_request: AtomicU64,
}

impl Core {
    /// The principals' keys of the topology being served.
    pub(crate) fn keys(&self) -> Arc<keys::Keys> {
        let snap = self.shared.current();
        let mut k = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        if k.0 != snap.generation {
            *k = (snap.generation, Arc::new(keys::Keys::new(snap.topology())));
        }
        k.1.clone()
    }

    /// A request id as S3 writes them (16 hexadecimal digits): the n-th request of this front.
    pub(crate) fn request_id(&self) -> String {
        format!(
            "{:016X}",
            self.next_request.fetch_add(1, Ordering::Relaxed) + 1
        )
    }
}

/// A running front.
pub struct Front {
    /// The proxy's address.
    pub addr: SocketAddr,
    core: Arc<Core>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for Front {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Front").field("addr", &self.addr).finish()
    }
}

impl Front {
    /// The CA certificate clients must trust, PEM.
    pub fn ca_pem(&self) -> &str {
        self.core.ca.cert_pem()
    }

    /// Stops accepting connections (those open end with the runtime).
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Checks the names in `config` against the topology being served.
fn check_names(shared: &Shared, config: &Config) -> Result<(), StartError> {
    let snap = shared.current();
    let topo = snap.topology();
    for f in &config.fail {
        topo.find_failure(f).map_err(|e| StartError::Name {
            message: e.message,
            hint: e.hint,
        })?;
    }
    if let Some(s) = &config.default_source {
        topo.find_sender(s).map_err(|e| StartError::Name {
            message: e.message,
            hint: e.hint,
        })?;
    }
    Ok(())
}

/// Starts the front over the topology `shared` serves (it follows reloads).
pub async fn start(shared: Shared, config: Config) -> Result<Front, StartError> {
    check_names(&shared, &config)?;
    let ca = Arc::new(ca::Ca::open(&config.data_dir)?);
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: config.listen,
        source,
    })?;
    let objects = Arc::new(if config.persist {
        // One folder per topology (by its name), so that two topologies' buckets do not mix.
        let name: String = shared
            .current()
            .topology()
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = if name.is_empty() || name.starts_with('.') {
            format!("_{name}")
        } else {
            name
        };
        let dir = config.data_dir.join("objects").join(name);
        s3::Objects::persistent(config.max_stored_bytes, dir.clone())
            .map_err(|source| StartError::Data { path: dir, source })?
    } else {
        s3::Objects::new(config.max_stored_bytes)
    });
    objects.seed(shared.current().topology(), SystemTime::now());
    let core = Arc::new_cyclic(|weak: &std::sync::Weak<Core>| {
        let service = s3::Service {
            shared: shared.clone(),
            objects,
            started: SystemTime::now(),
        };
        let mut b = s3s::service::S3ServiceBuilder::new(service);
        b.set_auth(decide::Auth(weak.clone()));
        b.set_access(decide::Access(weak.clone()));
        b.set_host(decide::Hosts(shared.clone()));
        b.set_route(control::Control(weak.clone()));
        b.set_validation(decide::Names);
        Core {
            shared: shared.clone(),
            tls: tls::Configs::new(ca.clone()),
            ca: ca.clone(),
            s3: b.build(),
            keys: Mutex::new((0, Arc::new(keys::Keys::default()))),
            next_request: AtomicU64::new(0),
            config: config.clone(),
        }
    });
    let (stop, stopped) = watch::channel(false);
    let task = tokio::spawn(proxy::run(core.clone(), listener, stopped));
    Ok(Front {
        addr,
        core,
        stop,
        task,
    })
}

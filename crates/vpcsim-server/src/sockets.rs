//! The DNS listeners' sockets: how many each view gets within the open-files limit, and binding
//! them.
//!
//! Every view needs one UDP socket; it gets a TCP listener on the same port when the limit allows,
//! and then extra UDP sockets sharing the port (`SO_REUSEPORT`, one per core) so that queries are
//! read and answered on every core. Public DNS and the site resolvers come first (TCP and extra
//! UDP sockets), then the VPC views in order (TCP, then extra UDP sockets). When not even one UDP socket per view fits, the server does not start and says
//! how many descriptors it needs.

use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpListener, UdpSocket};

/// Descriptors kept aside for everything but the DNS listeners: standard streams, the runtime's
/// poller and wakers, the HTTP API's listener and connections, TCP DNS connections, reloads.
pub const RESERVED_DESCRIPTORS: u64 = 32;

/// Descriptors of the reserve that connections never take: standard streams, the runtime's poller
/// and wakers, signal handling, the HTTP API's listener, the files a reload reads.
pub const PROCESS_DESCRIPTORS: u64 = 16;

/// Descriptors left for connections (HTTP and DNS over TCP) under the open-files limit `limit` once
/// the listeners have taken `listeners`: at least `RESERVED_DESCRIPTORS - PROCESS_DESCRIPTORS`
/// when the [`plan`] fits.
pub fn connection_budget(limit: u64, listeners: u64) -> u64 {
    limit.saturating_sub(listeners + PROCESS_DESCRIPTORS)
}

/// Receive and send buffer asked for each UDP socket (the kernel caps it at `net.core.rmem_max` /
/// `wmem_max`): a burst of queries waits in it instead of being dropped.
pub const UDP_BUFFER: usize = 4 << 20;

/// The sockets of each view, in the order the views were given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// UDP sockets per view (at least 1).
    pub udp: Vec<usize>,
    /// Whether each view gets a TCP listener.
    pub tcp: Vec<bool>,
}

impl Plan {
    /// Descriptors the listeners take.
    pub fn descriptors(&self) -> u64 {
        (self.udp.iter().sum::<usize>() + self.tcp.iter().filter(|t| **t).count()) as u64
    }

    /// Views without a TCP listener.
    pub fn udp_only(&self) -> usize {
        self.tcp.iter().filter(|t| !**t).count()
    }
}

/// Why the listeners do not fit in the open-files limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TooManyViews {
    /// Views asked for.
    pub views: usize,
    /// Descriptors needed at the least (one UDP socket per view, plus the reserve).
    pub needed: u64,
    /// Descriptors needed for UDP and TCP on every view.
    pub needed_with_tcp: u64,
    /// The open-files limit in force (soft, after raising it to the hard one).
    pub limit: u64,
}

/// Descriptors for one UDP socket and one TCP listener per view, with the reserve.
pub fn needed_with_tcp(views: usize) -> u64 {
    2 * views as u64 + RESERVED_DESCRIPTORS
}

/// Shares `limit` descriptors between the listeners of `views` views: one UDP socket each; then,
/// for the first `first` views of `order` (indices into the views: public DNS and the site
/// resolvers), a TCP listener and up to `udp_per_view` UDP sockets; then a TCP listener for each
/// other view in `order`; then their extra UDP sockets.
pub fn plan(
    views: usize,
    order: &[usize],
    first: usize,
    udp_per_view: usize,
    limit: u64,
) -> Result<Plan, TooManyViews> {
    let needed = views as u64 + RESERVED_DESCRIPTORS;
    if needed > limit {
        return Err(TooManyViews {
            views,
            needed,
            needed_with_tcp: needed_with_tcp(views),
            limit,
        });
    }
    let mut left = limit - needed;
    let mut plan = Plan {
        udp: vec![1; views],
        tcp: vec![false; views],
    };
    let (head, tail) = order.split_at(first.min(order.len()));
    for part in [head, tail] {
        for &i in part {
            if left > 0 {
                plan.tcp[i] = true;
                left -= 1;
            }
        }
        // Extra UDP sockets only where there is a TCP listener: those are the views answered
        // first, so spare descriptors go to them. (Another program cannot join the UDP sockets:
        // Linux lets a socket share a port only if every socket on it set SO_REUSEPORT, as the
        // same user.)
        for &i in part.iter().filter(|&&i| plan.tcp[i]) {
            let extra = (udp_per_view.saturating_sub(1) as u64).min(left);
            plan.udp[i] += extra as usize;
            left -= extra;
        }
    }
    Ok(plan)
}

/// Raises the soft open-files limit to the hard one (as many servers do at startup) and returns
/// the soft limit in force and the hard limit (`None`: unlimited or unknown).
pub fn raise_open_files_limit() -> (u64, Option<u64>) {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let now = getrlimit(Resource::Nofile);
        // An unlimited hard limit still has the kernel's ceiling (fs.nr_open); 2^20 is its default.
        let target = now.maximum.unwrap_or(1 << 20);
        if now.current.is_some_and(|c| c < target) {
            let _ = setrlimit(
                Resource::Nofile,
                Rlimit {
                    current: Some(target),
                    maximum: now.maximum,
                },
            );
        }
        let after = getrlimit(Resource::Nofile);
        (after.current.unwrap_or(u64::MAX), after.maximum)
    }
    #[cfg(not(unix))]
    {
        (u64::MAX, None)
    }
}

/// A non-blocking UDP socket bound to `addr`, with large buffers; `reuse_port` lets several sockets
/// of this server share the port (the kernel spreads the clients over them).
fn udp_socket(addr: SocketAddr, reuse_port: bool) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    #[cfg(unix)]
    if reuse_port {
        socket.set_reuse_port(true)?;
    }
    #[cfg(not(unix))]
    let _ = reuse_port;
    // Best effort: a smaller buffer only means more drops under bursts.
    let _ = socket.set_recv_buffer_size(UDP_BUFFER);
    let _ = socket.set_send_buffer_size(UDP_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// One view's bound sockets.
pub struct Bound {
    /// The UDP sockets, all on the same port.
    pub udp: Vec<UdpSocket>,
    /// The TCP listener on that port, if planned.
    pub tcp: Option<TcpListener>,
    /// The address they listen on.
    pub addr: SocketAddr,
}

/// Binds `udp` UDP sockets, and a TCP listener when `tcp`, on `ip:port` (a free port when `port`
/// is 0). With port 0 the TCP listener is bound first and the UDP sockets take its port. The
/// UDP sockets of one port set `SO_REUSEPORT`; Linux shares a port only among sockets that all
/// set it, as the same user, so they never join another program's.
pub async fn bind(ip: IpAddr, port: u16, udp: usize, tcp: bool) -> std::io::Result<Bound> {
    if !tcp {
        let socket = udp_socket(SocketAddr::new(ip, port), false)?;
        let addr = socket.local_addr()?;
        return Ok(Bound {
            udp: vec![socket],
            tcp: None,
            addr,
        });
    }
    let reuse = udp > 1;
    let mut last = None;
    for _ in 0..16 {
        let listener = TcpListener::bind((ip, port)).await?;
        let addr = listener.local_addr()?;
        let mut sockets = Vec::with_capacity(udp);
        let mut failed = None;
        for _ in 0..udp.max(1) {
            match udp_socket(addr, reuse) {
                Ok(s) => sockets.push(s),
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        match failed {
            None => {
                return Ok(Bound {
                    udp: sockets,
                    tcp: Some(listener),
                    addr,
                });
            }
            // A free TCP port whose UDP twin is taken: try another.
            Some(e) if port == 0 && e.kind() == std::io::ErrorKind::AddrInUse => last = Some(e),
            Some(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_view_gets_udp_tcp_and_extra_udp_when_they_fit() {
        let p = plan(3, &[0, 1, 2], 1, 2, 1000).unwrap();
        assert_eq!(p.udp, vec![2, 2, 2]);
        assert_eq!(p.tcp, vec![true, true, true]);
        assert_eq!(p.descriptors(), 9);
        assert_eq!(p.udp_only(), 0);
    }

    #[test]
    fn tcp_goes_first_then_extra_udp_in_priority_order() {
        // 3 views + 32 reserved = 35; 3 more for TCP; 1 left for one extra UDP socket.
        let p = plan(3, &[2, 0, 1], 0, 4, 39).unwrap();
        assert_eq!(p.tcp, vec![true, true, true]);
        assert_eq!(p.udp, vec![1, 1, 2]);
        assert_eq!(p.descriptors(), 7);
        // The first views of the order get their extra UDP sockets before the others' TCP.
        let p = plan(3, &[2, 0, 1], 1, 4, 39).unwrap();
        assert_eq!(p.tcp, vec![false, false, true]);
        assert_eq!(p.udp, vec![1, 1, 4]);
    }

    #[test]
    fn short_of_descriptors_the_last_views_answer_udp_only() {
        let p = plan(4, &[3, 0, 1, 2], 0, 2, 4 + RESERVED_DESCRIPTORS + 2).unwrap();
        assert_eq!(p.tcp, vec![true, false, false, true]);
        assert_eq!(p.udp, vec![1, 1, 1, 1]);
        assert_eq!(p.udp_only(), 2);
        // A first view takes its extra UDP socket before the others get TCP.
        let p = plan(4, &[3, 0, 1, 2], 1, 2, 4 + RESERVED_DESCRIPTORS + 2).unwrap();
        assert_eq!(p.tcp, vec![false, false, false, true]);
        assert_eq!(p.udp, vec![1, 1, 1, 2]);
        assert_eq!(p.udp_only(), 3);
    }

    #[test]
    fn connections_get_what_the_listeners_and_the_process_leave() {
        let p = plan(4, &[3, 0, 1, 2], 0, 2, 4 + RESERVED_DESCRIPTORS + 2).unwrap();
        assert_eq!(
            connection_budget(4 + RESERVED_DESCRIPTORS + 2, p.descriptors()),
            RESERVED_DESCRIPTORS - PROCESS_DESCRIPTORS
        );
        assert_eq!(
            connection_budget(20_000, 100),
            20_000 - 100 - PROCESS_DESCRIPTORS
        );
        assert_eq!(connection_budget(10, 100), 0);
    }

    #[test]
    fn not_even_udp_fits() {
        let e = plan(10, &[], 0, 1, 41).unwrap_err();
        assert_eq!(
            e,
            TooManyViews {
                views: 10,
                needed: 42,
                needed_with_tcp: 52,
                limit: 41
            }
        );
    }
}

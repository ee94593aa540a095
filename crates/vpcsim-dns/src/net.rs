//! Whether a forwarded DNS query reaches its target over the network.
//!
//! Forwarding is where DNS meets routing: an on-premises resolver forwards to an inbound Resolver
//! endpoint over Direct Connect or VPN, and a Resolver rule forwards to an on-premises resolver
//! through the outbound endpoint. The DNS model does not know the network: it asks a [`Network`].
//! There is one implementation that every edge uses — the engine's packet walker
//! (`vpcsim_engine::Engine::resolve`), which sends UDP 53 from the forwarding resolver through
//! security groups, ACLs, routes and links, and back. [`Unconstrained`] exists only so that the DNS
//! model can be tested alone.

use std::net::IpAddr;

use crate::View;

/// Decides whether a DNS query from a resolver reaches the DNS server at an address.
pub trait Network {
    /// `Ok(Some(path))` reachable over `path` (`over dx-primary`), `Ok(None)` reachable with
    /// nothing to say, `Err(why)` unreachable.
    fn dns_reachable(&self, from: View, to: IpAddr) -> Result<Option<String>, String>;
}

/// Every target is reachable: for tests of the DNS model alone. Nothing that answers a user uses
/// it (the CLI, the DNS server and the HTTP API all resolve through the engine's walker).
#[derive(Clone, Copy, Debug, Default)]
pub struct Unconstrained;

impl Network for Unconstrained {
    fn dns_reachable(&self, _: View, _: IpAddr) -> Result<Option<String>, String> {
        Ok(None)
    }
}

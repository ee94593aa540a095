//! Network interfaces and their addresses: every interface is queued while its owner is built,
//! then given addresses are checked and the others allocated deterministically from the seed.

use super::*;

/// Where an address must be unique: a VPC's own addresses, or the customer-owned IP pools of
/// Outposts (one on-premises address space for all of them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Space {
    Vpc(VpcId),
    CustomerOwned,
}

impl Builder<'_> {
    /// Queues a network interface; its address is checked or allocated in [`Self::assign_addresses`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn request_eni(
        &mut self,
        vpc: VpcId,
        subnet: &Spanned<String>,
        ip: Option<Spanned<String>>,
        owner: EniOwner,
        security_groups: Vec<SecurityGroupId>,
        span: Span,
        key: &[&str],
    ) -> Option<EniId> {
        let subnet = self.resolve_in_vpc(&self.names.subnets, vpc, subnet, "subnet")?;
        Some(self.queue_eni(subnet, ip, owner, security_groups, span, key, None))
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn queue_eni(
        &mut self,
        subnet: SubnetId,
        ip: Option<Spanned<String>>,
        owner: EniOwner,
        security_groups: Vec<SecurityGroupId>,
        span: Span,
        key: &[&str],
        pool: Option<Ipv4Net>,
    ) -> EniId {
        let id = EniId(self.eni_requests.len() as u32);
        // `SUBNET/` and the parts of `key` (`instance/NAME`, …): what the address is derived
        // from, made without `format!` (one per interface, on the thread that builds the model).
        let subnet_name = &self.t.subnets[subnet.index()].name;
        let mut full = String::with_capacity(
            subnet_name.len() + 1 + key.iter().map(|p| p.len()).sum::<usize>(),
        );
        full.push_str(subnet_name);
        full.push('/');
        key.iter().for_each(|p| full.push_str(p));
        self.eni_requests.push(EniRequest {
            subnet,
            ip,
            owner,
            security_groups,
            span,
            key: full,
            pool,
            dual_stack: false,
            ipv6: None,
        });
        id
    }

    /// Checks every given address, then allocates the others deterministically from the seed.
    pub(super) fn assign_addresses(&mut self) {
        let requests = std::mem::take(&mut self.eni_requests);
        // (address space, address) -> where first used.
        let mut used: HashMap<(Space, Ipv4Addr), Span> = HashMap::default();
        let mut ips: Vec<Option<Ipv4Addr>> = vec![None; requests.len()];
        for (i, r) in requests.iter().enumerate() {
            let Some(text) = &r.ip else { continue };
            let Some(ip) = self.ip4(text) else { continue };
            let subnet = &self.t.subnets[r.subnet.index()];
            let scope = if r.pool.is_some() {
                Space::CustomerOwned
            } else {
                Space::Vpc(subnet.vpc)
            };
            match (r.pool, subnet.cidr) {
                (Some(pool), _) if !pool.contains(&ip) => {
                    self.err(
                        "address-outside-subnet",
                        text.span,
                        format!("{ip} is not in the customer-owned IP pool {pool}"),
                        "X-ENI addresses of a CustomerOwnedIp endpoint come from its `coip_pool`",
                    );
                    continue;
                }
                (Some(_), _) => {}
                (None, Some(net)) if !net.contains(&ip) => {
                    self.err(
                        "address-outside-subnet",
                        text.span,
                        format!("{ip} is not in subnet '{}' ({net})", subnet.name),
                        format!("pick an address from {net} (its first four and last address are reserved), or leave it out to have one allocated"),
                    );
                    continue;
                }
                (None, Some(net)) if is_reserved(net, ip) => {
                    let off = u32::from(ip) - u32::from(net.network());
                    let why = match off {
                        0 => "the network address",
                        1 => "reserved by AWS for the VPC router",
                        2 => "reserved by AWS for the DNS server (Route 53 Resolver)",
                        3 => "reserved by AWS for future use",
                        _ => "the broadcast address, which AWS reserves",
                    };
                    self.err(
                        "address-reserved",
                        text.span,
                        format!("{ip} is {why} in subnet '{}' ({net})", subnet.name),
                        "AWS reserves the first four addresses and the last address of every subnet",
                    );
                    continue;
                }
                // In a subnet whose CIDR is invalid (reported), only uniqueness is checked.
                (None, _) => {}
            }
            if let Some(first) = used.get(&(scope, ip)) {
                self.d.push(
                    Diagnostic::error(
                        "address-in-use",
                        text.span,
                        format!("{ip} is already used by another network interface"),
                    )
                    .with_related(*first, "first used here")
                    .with_help("every network interface needs its own address"),
                );
                continue;
            }
            used.insert((scope, ip), text.span);
            ips[i] = Some(ip);
        }
        for (i, r) in requests.iter().enumerate() {
            if r.ip.is_some() {
                continue;
            }
            let subnet = &self.t.subnets[r.subnet.index()];
            let (net, first, scope) = match (r.pool, subnet.cidr) {
                (Some(pool), _) => (pool, 0u32, Space::CustomerOwned),
                (None, Some(net)) => (net, 4u32, Space::Vpc(subnet.vpc)),
                // A subnet whose CIDR is invalid has no addresses to give (already reported).
                (None, None) => continue,
            };
            // Nor has one whose CIDR is of a size AWS rejects (already reported).
            if r.pool.is_none() && (net.prefix_len() < 16 || net.prefix_len() > 28) {
                continue;
            }
            let size = 1u64 << (32 - u32::from(net.prefix_len()));
            let first = u64::from(first);
            let last = if r.pool.is_some() {
                size - 1
            } else {
                size.saturating_sub(2)
            };
            if last < first {
                self.err(
                    "subnet-full",
                    r.span,
                    format!("no free address left in {net} for this network interface"),
                    "use a larger range",
                );
                continue;
            }
            let count = last - first + 1;
            let start = stable_hash(self.t.seed, &[&r.key]) % count;
            let base = u64::from(u32::from(net.network()));
            let found = (0..count.min(1 << 20))
                .map(|k| Ipv4Addr::from((base + first + (start + k) % count) as u32))
                .find(|ip| !used.contains_key(&(scope, *ip)));
            match found {
                Some(ip) => {
                    used.insert((scope, ip), r.span);
                    ips[i] = Some(ip);
                }
                None => self.err(
                    "subnet-full",
                    r.span,
                    format!("no free address left in {net} for this network interface"),
                    "use a larger subnet",
                ),
            }
        }
        let ipv6s = self.assign_ipv6(&requests);
        for ((r, ip), ipv6) in requests.into_iter().zip(ips).zip(ipv6s) {
            self.t.enis.push(Eni {
                subnet: r.subnet,
                ip,
                ipv6,
                allocated: r.ip.is_none(),
                security_groups: r.security_groups,
                owner: r.owner,
                span: r.ip.as_ref().map_or(r.span, |t| t.span),
            });
        }
    }

    /// IPv6 addresses of instances: checked when written (inside the subnet's IPv6 CIDR, not one
    /// of the five AWS reserves, not used twice), else allocated from the seed in a dual-stack
    /// subnet. Interfaces in IPv4-only subnets have none.
    fn assign_ipv6(&self, requests: &[EniRequest]) -> Vec<Option<Ipv6Addr>> {
        let mut out = vec![None; requests.len()];
        let mut used: HashMap<Ipv6Addr, Span> = HashMap::default();
        let reserved = |net: Ipv6Net, ip: Ipv6Addr| {
            let off = u128::from(ip) - u128::from(net.network());
            off <= 3 || ip == net.broadcast()
        };
        for (i, r) in requests.iter().enumerate() {
            let Some(text) = &r.ipv6 else { continue };
            let Some(ip) = self.ip6(text) else { continue };
            let subnet = &self.t.subnets[r.subnet.index()];
            let Some(net) = subnet.ipv6_cidr else {
                self.err(
                    "address-outside-subnet",
                    text.span,
                    format!(
                        "subnet '{}' has no IPv6 CIDR, so {ip} cannot be used",
                        subnet.name
                    ),
                    "give the subnet an `ipv6_cidr` (a dual-stack subnet), or remove `ipv6`",
                );
                continue;
            };
            if !net.contains(&ip) {
                self.err(
                    "address-outside-subnet",
                    text.span,
                    format!("{ip} is not in subnet '{}' ({net})", subnet.name),
                    format!(
                        "pick an address from {net}, or leave `ipv6` out to have one allocated"
                    ),
                );
                continue;
            }
            if reserved(net, ip) {
                self.err(
                    "address-reserved",
                    text.span,
                    format!("{ip} is reserved by AWS in subnet '{}' ({net})", subnet.name),
                    "AWS reserves the first four IPv6 addresses and the last one of every subnet CIDR",
                );
                continue;
            }
            if let Some(first) = used.get(&ip) {
                self.d.push(
                    Diagnostic::error(
                        "address-in-use",
                        text.span,
                        format!("{ip} is already used by another network interface"),
                    )
                    .with_related(*first, "first used here")
                    .with_help("every network interface needs its own address"),
                );
                continue;
            }
            used.insert(ip, text.span);
            out[i] = Some(ip);
        }
        for (i, r) in requests.iter().enumerate() {
            if !r.dual_stack || r.ipv6.is_some() {
                continue;
            }
            let Some(net) = self.t.subnets[r.subnet.index()].ipv6_cidr else {
                continue;
            };
            // Host addresses 4 .. size-2 (a /64 has 2^64 of them; the probe below is bounded).
            let size: u128 = 1u128 << (128 - u32::from(net.prefix_len()));
            let count = (size - 5).min(u128::from(u64::MAX)) as u64;
            let start = stable_hash(self.t.seed, &[&r.key, "ipv6"]) % count;
            let base = u128::from(net.network());
            let found = (0..count.min(1 << 20))
                .map(|k| Ipv6Addr::from(base + 4 + u128::from((start + k) % count)))
                .find(|ip| !used.contains_key(ip));
            if let Some(ip) = found {
                used.insert(ip, r.span);
                out[i] = Some(ip);
            }
        }
        out
    }
}

//! Security groups and network ACLs.

use std::net::{IpAddr, Ipv4Addr};

use vpcsim_topology::Topology;
use vpcsim_topology::model::{
    AclAction, EniId, Peer, PortRange, Protocol, SecurityGroupId, Span, SubnetId,
};

/// Traffic direction relative to the interface or subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Arriving.
    Inbound,
    /// Leaving.
    Outbound,
}

/// A packet as filters see it.
#[derive(Clone, Copy, Debug)]
pub struct Packet {
    /// The far side's address (source for inbound, destination for outbound).
    pub remote: Ipv4Addr,
    /// The far side's interface when it is one of the topology's (for security group references).
    pub remote_eni: Option<EniId>,
    /// Protocol.
    pub protocol: Protocol,
    /// Port on the filtered side's peer for outbound, local port for inbound (the service port).
    pub port: u16,
}

/// What a filter decided and which rule decided it.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Let through.
    pub allowed: bool,
    /// The rule (`security group endpoint-sg, rule 2: tcp 443 from 172.16.0.0/16`) or the default.
    pub rule: String,
    /// Where the rule is written.
    pub span: Option<Span>,
}

fn protocol_matches(rule: Protocol, p: Protocol) -> bool {
    rule == Protocol::All || rule == p
}

fn ports_match(rule: PortRange, p: Protocol, port: u16) -> bool {
    !matches!(p, Protocol::Tcp | Protocol::Udp) || rule.contains(port)
}

fn describe_ports(p: Protocol, r: PortRange) -> String {
    let proto = match p {
        Protocol::All => return "all traffic".into(),
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => "icmp",
        Protocol::Number(n) => return format!("protocol {n}"),
    };
    if r == PortRange::ALL || p == Protocol::Icmp {
        proto.to_string()
    } else if r.from == r.to {
        format!("{proto} {}", r.from)
    } else {
        format!("{proto} {}-{}", r.from, r.to)
    }
}

/// Security groups of `eni` for traffic in `dir`. Stateful: the caller checks only the direction
/// that opens the flow; replies are allowed. An interface with no security group is in the VPC's
/// default group, which admits inbound traffic only from other members and allows all outbound.
pub fn security_groups(topo: &Topology, eni: EniId, dir: Direction, pkt: &Packet) -> Verdict {
    let e = &topo.enis[eni.index()];
    if e.security_groups.is_empty() {
        if dir == Direction::Outbound {
            return Verdict {
                allowed: true,
                rule: "the default security group allows all outbound traffic".into(),
                span: None,
            };
        }
        let same_default = pkt.remote_eni.is_some_and(|r| {
            let re = &topo.enis[r.index()];
            re.security_groups.is_empty() && topo.eni_vpc(r) == topo.eni_vpc(eni)
        });
        return Verdict {
            allowed: same_default,
            rule: if same_default {
                "the default security group admits its own members".into()
            } else {
                "the interface has only the VPC's default security group, which admits inbound traffic only from its own members".into()
            },
            span: Some(e.span),
        };
    }
    for sg in &e.security_groups {
        let group = &topo.security_groups[sg.index()];
        let rules = if dir == Direction::Inbound {
            &group.ingress
        } else {
            &group.egress
        };
        for (i, r) in rules.iter().enumerate() {
            if !protocol_matches(r.protocol, pkt.protocol)
                || !ports_match(r.ports, pkt.protocol, pkt.port)
            {
                continue;
            }
            if let Some(peer) = r.peers.iter().find(|p| peer_matches(topo, p, pkt)) {
                let side = if dir == Direction::Inbound {
                    "from"
                } else {
                    "to"
                };
                return Verdict {
                    allowed: true,
                    rule: format!(
                        "security group {}, {} rule {}: {} {side} {}",
                        group.name,
                        if dir == Direction::Inbound {
                            "inbound"
                        } else {
                            "outbound"
                        },
                        i + 1,
                        describe_ports(r.protocol, r.ports),
                        describe_peer(topo, peer)
                    ),
                    span: Some(r.span),
                };
            }
        }
    }
    let names: Vec<&str> = e
        .security_groups
        .iter()
        .map(|s| topo.security_groups[s.index()].name.as_str())
        .collect();
    let what = if dir == Direction::Inbound {
        "from"
    } else {
        "to"
    };
    Verdict {
        allowed: false,
        rule: format!(
            "no {} rule of security group {} allows {} {what} {}",
            if dir == Direction::Inbound {
                "inbound"
            } else {
                "outbound"
            },
            names.join(", "),
            describe_ports(
                pkt.protocol,
                PortRange {
                    from: pkt.port,
                    to: pkt.port
                }
            ),
            pkt.remote
        ),
        span: e
            .security_groups
            .first()
            .map(|s| topo.security_groups[s.index()].span),
    }
}

fn peer_matches(topo: &Topology, peer: &Peer, pkt: &Packet) -> bool {
    match peer {
        Peer::Cidr(net) => net.contains(&IpAddr::V4(pkt.remote)),
        Peer::PrefixList(pl) => topo.prefix_lists[pl.index()]
            .cidrs
            .iter()
            .any(|c| c.contains(&pkt.remote)),
        Peer::SecurityGroup(sg) => pkt
            .remote_eni
            .is_some_and(|r| topo.enis[r.index()].security_groups.contains(sg)),
    }
}

fn describe_peer(topo: &Topology, peer: &Peer) -> String {
    match peer {
        Peer::Cidr(net) => net.to_string(),
        Peer::PrefixList(pl) => topo.prefix_lists[pl.index()].aws_id.clone(),
        Peer::SecurityGroup(sg) => format!("members of {}", group_name(topo, *sg)),
    }
}

fn group_name(topo: &Topology, sg: SecurityGroupId) -> &str {
    &topo.security_groups[sg.index()].name
}

/// The network ACL of `subnet` for a packet crossing its boundary in `dir`. Stateless: the caller
/// checks both directions of both ways. A subnet without an ACL of its own uses the default ACL,
/// which allows everything.
pub fn network_acl(topo: &Topology, subnet: SubnetId, dir: Direction, pkt: &Packet) -> Verdict {
    let s = &topo.subnets[subnet.index()];
    let Some(acl) = s.network_acl else {
        return Verdict {
            allowed: true,
            rule: format!(
                "subnet {} uses the default network ACL, which allows all traffic",
                s.name
            ),
            span: None,
        };
    };
    let acl = &topo.network_acls[acl.index()];
    let rules = if dir == Direction::Inbound {
        &acl.ingress
    } else {
        &acl.egress
    };
    for r in rules {
        if r.cidr.contains(&IpAddr::V4(pkt.remote))
            && protocol_matches(r.protocol, pkt.protocol)
            && ports_match(r.ports, pkt.protocol, pkt.port)
        {
            return Verdict {
                allowed: r.action == AclAction::Allow,
                rule: format!(
                    "network ACL {}, {} rule {}: {} {} {} {}",
                    acl.name,
                    if dir == Direction::Inbound {
                        "inbound"
                    } else {
                        "outbound"
                    },
                    r.number,
                    if r.action == AclAction::Allow {
                        "allow"
                    } else {
                        "deny"
                    },
                    describe_ports(r.protocol, r.ports),
                    if dir == Direction::Inbound {
                        "from"
                    } else {
                        "to"
                    },
                    r.cidr
                ),
                span: Some(r.span),
            };
        }
    }
    Verdict {
        allowed: false,
        rule: format!(
            "network ACL {}: no {} rule matches, so the final `*` rule denies it",
            acl.name,
            if dir == Direction::Inbound {
                "inbound"
            } else {
                "outbound"
            }
        ),
        span: Some(acl.span),
    }
}

//! Security groups and network ACLs.

use std::net::IpAddr;

use vpcsim_topology::model::{
    AclAction, EniId, NetworkAclId, Peer, PortRange, Protocol, SecurityGroupId, Span, SubnetId,
};
use vpcsim_topology::{Topology, text};

/// Traffic direction relative to the interface or subnet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Arriving.
    Inbound,
    /// Leaving.
    Outbound,
}

/// A packet as filters see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Packet {
    /// The far side's address (source for inbound, destination for outbound).
    pub remote: IpAddr,
    /// The far side's interface when it is one of the topology's (for security group references).
    pub remote_eni: Option<EniId>,
    /// Protocol.
    pub protocol: Protocol,
    /// Port on the filtered side's peer for outbound, local port for inbound (the service port).
    pub port: u16,
}

/// What a filter decided and which rule decided it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    /// Let through.
    pub allowed: bool,
    /// The rule that decided; [`Verdict::describe`] puts it in words.
    pub rule: Rule,
    /// Where the rule is written.
    pub span: Option<Span>,
}

/// The rule that decided a [`Verdict`], by reference into the topology, so that deciding costs no
/// text: the words are made only when a trace is explained.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// An interface with only the VPC's default group, going out.
    DefaultGroupOutbound,
    /// An interface with only the VPC's default group, from another member.
    DefaultGroupMember,
    /// An interface with only the VPC's default group, from anything else.
    DefaultGroupRefuses,
    /// Rule `index` (0-based) of a security group, through `peer` (0-based) of that rule.
    GroupRule {
        /// The group.
        group: SecurityGroupId,
        /// Which side.
        dir: Direction,
        /// The rule's position.
        index: usize,
        /// The peer that matched.
        peer: usize,
    },
    /// No rule of the interface's groups matches the packet.
    NoGroupRule {
        /// The interface.
        eni: EniId,
        /// Which side.
        dir: Direction,
        /// The packet's protocol.
        protocol: Protocol,
        /// The packet's port ([`Packet::port`]).
        port: u16,
        /// The far side's address ([`Packet::remote`]).
        remote: IpAddr,
    },
    /// The subnet uses the default network ACL.
    DefaultAcl(SubnetId),
    /// Rule `index` (0-based, in evaluation order) of a network ACL.
    AclRule {
        /// The ACL.
        acl: NetworkAclId,
        /// Which side.
        dir: Direction,
        /// The rule's position.
        index: usize,
    },
    /// No numbered rule matched: the final `*` rule denies.
    AclFinal {
        /// The ACL.
        acl: NetworkAclId,
        /// Which side.
        dir: Direction,
    },
}

impl Verdict {
    /// The deciding rule in words (`security group endpoint-sg, inbound rule 2: tcp 443 from
    /// 172.16.0.0/16`): [`Rule::describe`].
    pub fn describe(&self, topo: &Topology) -> String {
        self.rule.describe(topo)
    }
}

impl Rule {
    /// The rule in words (`security group endpoint-sg, inbound rule 2: tcp 443 from
    /// 172.16.0.0/16`).
    pub fn describe(&self, topo: &Topology) -> String {
        let dir_word = |d: Direction| match d {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        };
        let side = |d: Direction| match d {
            Direction::Inbound => "from",
            Direction::Outbound => "to",
        };
        match *self {
            Rule::DefaultGroupOutbound => {
                "the default security group allows all outbound traffic".into()
            }
            Rule::DefaultGroupMember => "the default security group admits its own members".into(),
            Rule::DefaultGroupRefuses => "the interface has only the VPC's default security group, which admits inbound traffic only from its own members".into(),
            Rule::GroupRule { group, dir, index, peer } => {
                let g = &topo.security_groups[group.index()];
                let rules = if dir == Direction::Inbound { &g.ingress } else { &g.egress };
                let r = &rules[index];
                let mut out = String::with_capacity(64);
                for part in ["security group ", &g.name, ", ", dir_word(dir), " rule "] {
                    out.push_str(part);
                }
                text::push_u32(&mut out, u32::try_from(index + 1).unwrap_or(u32::MAX));
                out.push_str(": ");
                push_ports(&mut out, r.protocol, r.ports);
                out.push(' ');
                out.push_str(side(dir));
                out.push(' ');
                match &r.peers[peer] {
                    Peer::Cidr(net) => text::push_net(&mut out, net),
                    other => out.push_str(&describe_peer(topo, other)),
                }
                out
            }
            Rule::NoGroupRule {
                eni,
                dir,
                protocol,
                port,
                remote,
            } => {
                let names: Vec<&str> = topo.enis[eni.index()]
                    .security_groups
                    .iter()
                    .map(|s| topo.security_groups[s.index()].name.as_str())
                    .collect();
                format!(
                    "no {} rule of security group {} allows {} {} {}",
                    dir_word(dir),
                    names.join(", "),
                    describe_ports(protocol, PortRange { from: port, to: port }),
                    side(dir),
                    remote
                )
            }
            Rule::DefaultAcl(subnet) => format!(
                "subnet {} uses the default network ACL, which allows all traffic",
                topo.subnets[subnet.index()].name
            ),
            Rule::AclRule { acl, dir, index } => {
                let a = &topo.network_acls[acl.index()];
                let rules = if dir == Direction::Inbound { &a.ingress } else { &a.egress };
                let r = &rules[index];
                format!(
                    "network ACL {}, {} rule {}: {} {} {} {}",
                    a.name,
                    dir_word(dir),
                    r.number,
                    if r.action == AclAction::Allow { "allow" } else { "deny" },
                    describe_ports(r.protocol, r.ports),
                    side(dir),
                    r.cidr
                )
            }
            Rule::AclFinal { acl, dir } => format!(
                "network ACL {}: no {} rule matches, so the final `*` rule denies it",
                topo.network_acls[acl.index()].name,
                dir_word(dir)
            ),
        }
    }
}

fn protocol_matches(rule: Protocol, p: Protocol) -> bool {
    rule == Protocol::All || rule == p
}

fn ports_match(rule: PortRange, p: Protocol, port: u16) -> bool {
    !matches!(p, Protocol::Tcp | Protocol::Udp) || rule.contains(port)
}

fn describe_ports(p: Protocol, r: PortRange) -> String {
    let mut out = String::new();
    push_ports(&mut out, p, r);
    out
}

/// Appends a protocol and its ports: `all traffic`, `tcp 443`, `udp 1024-65535`, `icmp`,
/// `protocol 47`.
fn push_ports(out: &mut String, p: Protocol, r: PortRange) {
    let proto = match p {
        Protocol::All => return out.push_str("all traffic"),
        Protocol::Tcp => "tcp",
        Protocol::Udp => "udp",
        Protocol::Icmp => "icmp",
        Protocol::Number(n) => {
            out.push_str("protocol ");
            return text::push_u32(out, u32::from(n));
        }
    };
    out.push_str(proto);
    if r == PortRange::ALL || p == Protocol::Icmp {
        return;
    }
    out.push(' ');
    text::push_u32(out, u32::from(r.from));
    if r.from != r.to {
        out.push('-');
        text::push_u32(out, u32::from(r.to));
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
                rule: Rule::DefaultGroupOutbound,
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
                Rule::DefaultGroupMember
            } else {
                Rule::DefaultGroupRefuses
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
            if let Some(peer) = r.peers.iter().position(|p| peer_matches(topo, p, pkt)) {
                return Verdict {
                    allowed: true,
                    rule: Rule::GroupRule {
                        group: *sg,
                        dir,
                        index: i,
                        peer,
                    },
                    span: Some(r.span),
                };
            }
        }
    }
    Verdict {
        allowed: false,
        rule: Rule::NoGroupRule {
            eni,
            dir,
            protocol: pkt.protocol,
            port: pkt.port,
            remote: pkt.remote,
        },
        span: e
            .security_groups
            .first()
            .map(|s| topo.security_groups[s.index()].span),
    }
}

fn peer_matches(topo: &Topology, peer: &Peer, pkt: &Packet) -> bool {
    match peer {
        Peer::Cidr(net) => net.contains(&pkt.remote),
        Peer::PrefixList(pl) => topo.prefix_lists[pl.index()]
            .cidrs
            .iter()
            .any(|c| matches!(pkt.remote, IpAddr::V4(v4) if c.contains(&v4))),
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
    let Some(acl_id) = s.network_acl else {
        return Verdict {
            allowed: true,
            rule: Rule::DefaultAcl(subnet),
            span: None,
        };
    };
    let acl = &topo.network_acls[acl_id.index()];
    let rules = if dir == Direction::Inbound {
        &acl.ingress
    } else {
        &acl.egress
    };
    for (index, r) in rules.iter().enumerate() {
        if r.cidr.contains(&pkt.remote)
            && protocol_matches(r.protocol, pkt.protocol)
            && ports_match(r.ports, pkt.protocol, pkt.port)
        {
            return Verdict {
                allowed: r.action == AclAction::Allow,
                rule: Rule::AclRule {
                    acl: acl_id,
                    dir,
                    index,
                },
                span: Some(r.span),
            };
        }
    }
    Verdict {
        allowed: false,
        rule: Rule::AclFinal { acl: acl_id, dir },
        span: Some(acl.span),
    }
}

//! The forwarding graph and its walker on small topologies: there and back, stateful security
//! groups, stateless network ACLs, link failover, withdrawn propagated routes, IPv6.

use std::net::IpAddr;

use vpcsim_routing::filters::Direction;
use vpcsim_routing::{Arrival, Disposition, Event, Graph, LinkState, Origin, Packet, Step, Walk};
use vpcsim_topology::model::{LinkId, Protocol, Source};
use vpcsim_topology::{MemFs, Topology};

const TOPOLOGY: &str = r#"
name: walker
regions:
  us-east-1: { azs: [us-east-1a] }
accounts:
  "111122223333": {}
vpcs:
  app:
    account: "111122223333"
    region: us-east-1
    cidr: 10.0.0.0/16
    ipv6_cidr: 2600:1f18:1234:5600::/56
    subnets:
      a: { az: us-east-1a, cidr: 10.0.1.0/24, ipv6_cidr: 2600:1f18:1234:5601::/64, route_table: rt }
      b: { az: us-east-1a, cidr: 10.0.2.0/24, route_table: rt }
      strict: { az: us-east-1a, cidr: 10.0.3.0/24, route_table: rt }
    route_tables:
      rt:
        propagate: [vgw]
        routes:
          - { destination: "::/0", target: igw }
          - { destination: 172.16.0.0/12, target: vgw }
    internet_gateway: {}
    vpn_gateway: { asn: 64512 }
    security_groups:
      client-sg:                      # nothing in at all: replies still come back (stateful)
        ingress: []
      to-servers:                     # out only to members of server-sg
        ingress: []
        egress:
          - { protocol: tcp, ports: 443, to: sg/server-sg }
      server-sg:                      # 443 in, nothing out: replies still leave (stateful)
        ingress:
          - { protocol: tcp, ports: 443, from: [10.0.0.0/16, 172.16.0.0/16] }
        egress: []
    network_acls:
      no-ephemeral:                   # lets requests out but no replies in (stateless)
        subnets: [strict]
        ingress:
          - { rule: 100, protocol: tcp, ports: 443, action: allow, cidr: 0.0.0.0/0 }
        egress:
          - { rule: 100, protocol: all, action: allow, cidr: 0.0.0.0/0 }
    instances:
      client: { subnet: a, ip: 10.0.1.10, security_groups: [client-sg] }
      server: { subnet: b, ip: 10.0.2.20, security_groups: [server-sg] }
      locked: { subnet: strict, ip: 10.0.3.30, security_groups: [client-sg] }
      picky: { subnet: a, ip: 10.0.1.40, security_groups: [to-servers] }
onprem:
  dc:
    cidrs: [172.16.0.0/16]
    hosts:
      pc: { ip: 172.16.0.10 }
    routes:
      - { destination: 10.0.0.0/16, via: [dx, vpn] }
links:
  dx:  { type: direct_connect, onprem: dc, attach: app/vgw, advertise: [172.16.0.0/16] }
  vpn: { type: vpn, onprem: dc, attach: app/vgw, routing: static, advertise: [172.16.0.0/16] }
"#;

fn topology() -> Topology {
    let fs = MemFs::default().with("walker.yaml", TOPOLOGY);
    let loaded = vpcsim_topology::load("walker.yaml".as_ref(), &fs).expect("readable");
    loaded
        .topology
        .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics))
}

fn origin(topo: &Topology, name: &str) -> (Origin, IpAddr) {
    match topo.find_source(name).expect("source") {
        Source::Instance(i) => {
            let inst = &topo.instances[i.index()];
            let e = &topo.enis[inst.eni.index()];
            (
                Origin::Instance {
                    eni: inst.eni,
                    subnet: e.subnet,
                    vpc: inst.vpc,
                },
                IpAddr::V4(e.ip),
            )
        }
        Source::Host(h) => {
            let host = &topo.hosts[h.index()];
            (Origin::Host { site: host.site }, IpAddr::V4(host.ip))
        }
        _ => panic!("not a sender"),
    }
}

fn link(topo: &Topology, name: &str) -> LinkId {
    LinkId(topo.links.iter().position(|l| l.name == name).unwrap() as u32)
}

fn codes(steps: &[Step]) -> Vec<&'static str> {
    steps.iter().map(Step::code).collect()
}

/// Walks there and back; the steps of each and the result.
fn walk(
    topo: &Topology,
    links: &LinkState,
    from: &str,
    dst: &str,
    port: u16,
) -> (Vec<Step>, Vec<Step>, Result<Arrival, Disposition>) {
    let g = Graph::compile(topo);
    let (o, src) = origin(topo, from);
    let dst: IpAddr = dst.parse().unwrap();
    let src = match (dst, topo.find_source(from).unwrap()) {
        (IpAddr::V6(_), Source::Instance(i)) => IpAddr::V6(
            topo.enis[topo.instances[i.index()].eni.index()]
                .ipv6
                .unwrap(),
        ),
        _ => src,
    };
    let pkt = Packet::request(src, dst, Protocol::Tcp, port);
    let mut w = Walk::new(&g, links);
    let there = w.there(o, pkt);
    let forward = w.take_steps();
    let a = match there {
        Ok(a) => a,
        Err(s) => return (forward, Vec::new(), Err(s.disposition)),
    };
    let back = w.back(o, a, pkt);
    let reply = w.take_steps();
    (forward, reply, back.map(|()| a).map_err(|s| s.disposition))
}

#[test]
fn there_and_back_with_stateful_security_groups() {
    let topo = topology();
    let links = LinkState::all_up(&topo);
    let (there, back, result) = walk(&topo, &links, "app/client", "10.0.2.20", 443);
    assert!(matches!(result, Ok(Arrival::Eni { .. })), "{result:?}");
    assert_eq!(
        codes(&there),
        ["sg.allowed", "route.selected", "sg.allowed"],
        "client out, the local route, server in"
    );
    // The reply leaves a group with no egress rule and enters one with no ingress rule: both
    // tracked the connection.
    assert_eq!(codes(&back), ["sg.tracked", "route.selected", "sg.tracked"]);
    assert!(matches!(
        back[0].event,
        Event::Tracked {
            dir: Direction::Outbound,
            ..
        }
    ));
    assert!(back.iter().all(|s| s.reply));
}

#[test]
fn a_request_the_security_group_does_not_allow_is_refused_and_not_tracked() {
    let topo = topology();
    let links = LinkState::all_up(&topo);
    // server-sg admits 443 only; client-sg admits nothing: the server cannot open a connection to
    // the client, although the client's replies would pass.
    let (_, _, result) = walk(&topo, &links, "app/server", "10.0.1.10", 443);
    assert_eq!(result, Err(Disposition::DeniedBySecurityGroup));
}

#[test]
fn an_egress_rule_to_a_security_group_matches_its_members() {
    let topo = topology();
    let links = LinkState::all_up(&topo);
    let (there, _, result) = walk(&topo, &links, "app/picky", "10.0.2.20", 443);
    assert!(result.is_ok(), "{result:?} {there:?}");
    // The client is not a member of server-sg: the rule does not let it reach the client.
    let (_, _, result) = walk(&topo, &links, "app/picky", "10.0.1.10", 443);
    assert_eq!(result, Err(Disposition::DeniedBySecurityGroup));
}

#[test]
fn network_acls_are_stateless_so_the_reply_is_judged_on_its_own() {
    let topo = topology();
    let links = LinkState::all_up(&topo);
    let (there, back, result) = walk(&topo, &links, "app/locked", "10.0.2.20", 443);
    assert!(codes(&there).contains(&"acl.allowed"), "{there:?}");
    assert_eq!(result, Err(Disposition::DeniedByNetworkAcl));
    assert_eq!(back.last().map(Step::code), Some("acl.denied"));
}

#[test]
fn the_site_fails_over_from_direct_connect_to_the_vpn_and_the_reply_follows() {
    let topo = topology();
    let up = LinkState::all_up(&topo);
    let (there, back, result) = walk(&topo, &up, "dc/pc", "10.0.2.20", 443);
    assert!(result.is_ok(), "{result:?}");
    assert!(
        there
            .iter()
            .any(|s| matches!(s.event, Event::LinkInto { link: l, .. } if l == link(&topo, "dx")))
    );
    assert!(
        back.iter().any(
            |s| matches!(s.event, Event::VpnGatewayLink { link: l } if l == link(&topo, "dx"))
        )
    );

    let dx_down = LinkState::new(&topo, &[(link(&topo, "dx"), None)]);
    let (there, back, result) = walk(&topo, &dx_down, "dc/pc", "10.0.2.20", 443);
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(
        codes(&there)[..4],
        ["link.down", "site.route", "link.selected", "link.tunnel"]
    );
    // The propagated route over dx is withdrawn; the VPN's carries the reply, on its first tunnel.
    assert!(
        back.iter().any(
            |s| matches!(s.event, Event::VpnGatewayLink { link: l } if l == link(&topo, "vpn"))
        )
    );
    assert!(codes(&back).contains(&"link.tunnel"));

    let both = LinkState::new(
        &topo,
        &[(link(&topo, "dx"), None), (link(&topo, "vpn"), None)],
    );
    let (there, _, result) = walk(&topo, &both, "dc/pc", "10.0.2.20", 443);
    assert_eq!(result, Err(Disposition::LinkDown));
    assert_eq!(codes(&there).last(), Some(&"link.down"));
}

#[test]
fn a_withdrawn_propagated_route_falls_back_to_a_shorter_prefix() {
    let topo = topology();
    let rt = topo.subnets[0].route_table;
    let g = Graph::compile(&topo);
    let dst: IpAddr = "172.16.0.10".parse().unwrap();
    let up = LinkState::all_up(&topo);
    let sel = g.routes.lookup(rt, dst, &up).unwrap();
    assert_eq!(sel.route.prefix.to_string(), "172.16.0.0/16");
    let down = LinkState::new(
        &topo,
        &[(link(&topo, "dx"), None), (link(&topo, "vpn"), None)],
    );
    let sel = g.routes.lookup(rt, dst, &down).unwrap();
    assert_eq!(
        sel.route.prefix.to_string(),
        "172.16.0.0/12",
        "the static vgw route"
    );
    // One tunnel of the VPN down leaves the link up.
    let one = LinkState::new(&topo, &[(link(&topo, "vpn"), Some(0))]);
    assert!(one.link_up(link(&topo, "vpn")));
    assert_eq!(one.tunnel(&topo, link(&topo, "vpn")), Some(1));
}

#[test]
fn ipv6_follows_its_own_routes() {
    let topo = topology();
    let links = LinkState::all_up(&topo);
    let (there, _, result) = walk(&topo, &links, "app/client", "2606:4700::1111", 443);
    assert!(
        matches!(
            result,
            Ok(Arrival::Internet {
                public_ip: IpAddr::V6(_),
                ..
            })
        ),
        "{result:?}"
    );
    assert_eq!(
        codes(&there),
        ["sg.allowed", "route.selected", "route.internet"]
    );
}

#[test]
fn every_node_of_every_shipped_topology_is_walked_without_panicking() {
    // Every sender to every interface address and back, with every link up and each link down.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../topologies");
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let topo = vpcsim_topology::load(&path, &vpcsim_topology::StdFs)
            .unwrap()
            .topology
            .expect("valid");
        let g = Graph::compile(&topo);
        let mut states = vec![LinkState::all_up(&topo)];
        states.extend(
            (0..topo.links.len()).map(|l| LinkState::new(&topo, &[(LinkId(l as u32), None)])),
        );
        for links in &states {
            for name in topo.source_names() {
                let Some(s) = topo.find_source(&name) else {
                    continue;
                };
                if !matches!(s, Source::Instance(_) | Source::Host(_)) {
                    continue;
                }
                let (o, src) = origin(&topo, &name);
                for e in &topo.enis {
                    let pkt = Packet::request(src, IpAddr::V4(e.ip), Protocol::Tcp, 443);
                    let mut w = Walk::new(&g, links);
                    if let Ok(a) = w.there(o, pkt) {
                        let _ = w.back(o, a, pkt);
                    }
                    assert!(!w.steps.is_empty() || matches!(o, Origin::Host { .. }));
                }
            }
        }
    }
}

/// The compiled graph: interfaces by VPC and address (IPv4 and IPv6), every route table with its
/// local routes for both families and a propagated candidate per link (kept when the link is down,
/// left out by the lookup), and who owns each public address.
#[test]
fn the_graph_compiles_every_table_and_index() {
    let topo = topology();
    let g = Graph::compile(&topo);
    assert_eq!(topo.vpcs[0].name, "app");
    let app = vpcsim_topology::model::VpcId(0);
    for inst in &topo.instances {
        let e = &topo.enis[inst.eni.index()];
        assert_eq!(g.interface(app, IpAddr::V4(e.ip)), Some(inst.eni));
        if let Some(v6) = e.ipv6 {
            assert_eq!(g.interface(app, IpAddr::V6(v6)), Some(inst.eni));
        }
    }
    // Instances in the dual-stack subnet got IPv6 addresses; the others none.
    let client = &topo.enis[topo.instances[0].eni.index()];
    assert!(client.ipv6.is_some());
    let server = &topo.enis[topo.instances[1].eni.index()];
    assert!(server.ipv6.is_none());
    assert_eq!(g.interface(app, "10.9.9.9".parse().unwrap()), None);
    let rt = topo.subnets[0].route_table;
    let links = LinkState::all_up(&topo);
    let local4 = g
        .routes
        .lookup(rt, "10.0.2.20".parse().unwrap(), &links)
        .unwrap();
    assert_eq!(local4.route.kind, vpcsim_routing::RouteKind::Local);
    let local6 = g
        .routes
        .lookup(rt, "2600:1f18:1234:5601::1".parse().unwrap(), &links)
        .unwrap();
    assert_eq!(local6.route.kind, vpcsim_routing::RouteKind::Local);
    // Both links propagate 172.16.0.0/16: Direct Connect first, the VPN beaten.
    let site = g
        .routes
        .lookup(rt, "172.16.0.10".parse().unwrap(), &links)
        .unwrap();
    assert!(matches!(
        site.route.kind,
        vpcsim_routing::RouteKind::Propagated { link: l, .. } if l == link(&topo, "dx")
    ));
    assert_eq!(site.beaten.len(), 1);
}

//! References that do not resolve: a topology with one never yields a model, each is reported
//! where it is written, and nothing that stood for "not resolved" shows in a message (the draft
//! holds `None`, not a placeholder id or address).

use std::path::Path;

use vpcsim_topology::{MemFs, load_str};

/// Every kind of reference that can fail, in one file: a VPC's account and Region, a subnet's
/// route table and CIDR, an instance's and a NAT gateway's subnet, a peering's VPC, a link's
/// site and attachment, a bucket's account and Region, a principal's account, an Outpost's
/// subnet.
const BROKEN: &str = r#"regions:
  us-east-1: { azs: [us-east-1a, us-east-1b] }
accounts:
  "111122223333": { name: workload }
vpcs:
  main:
    account: "999999999999"
    region: us-east-9
    cidr: 10.0.0.0/16
    subnets:
      a: { az: us-east-1a, cidr: 10.0.1.0/24, route_table: nope }
      bad: { az: us-east-1b, cidr: 10.0.2.0/33 }
    route_tables:
      private:
        routes:
          - { destination: 10.8.0.0/16, target: instance/app }
          - { destination: 10.8.0.0/16, target: instance/app2 }
          - { destination: 10.1.0.0/16, target: peering/p1 }
    instances:
      app: { subnet: missing }
      app2: { subnet: bad, ip: 0.0.0.2 }
    nat_gateways:
      ngw: { subnet: missing }
peerings:
  p1: { between: [main, ghost] }
links:
  l1: { type: vpn, onprem: nosite, attach: main/vgw, advertise: [192.168.0.0/16] }
onprem:
  dc:
    cidrs: [192.168.0.0/16]
    routes:
      - { destination: 10.0.0.0/8, via: [l1] }
buckets:
  my-bucket-2:
    account: "999999999999"
    region: nowhere
principals:
  role1: { account: "888888888888", type: role }
outposts:
  op1:
    id: op-01234567890123456
    vpc: main
    subnet: nosub
    s3_endpoint: {}
"#;

#[test]
fn unresolved_references_are_reported_and_never_placeheld() {
    let loaded = load_str(Path::new("broken.yaml"), BROKEN, &MemFs::default());
    assert!(loaded.topology.is_none());
    let text: Vec<String> = loaded
        .diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}: {} ({})",
                d.code,
                d.message,
                d.help.as_deref().unwrap_or("")
            )
        })
        .collect();
    let unknown = text
        .iter()
        .filter(|t| t.starts_with("unknown-reference"))
        .count();
    // account, Region, route table, 2× subnet `missing`, VPC `ghost`, site, VPN gateway,
    // bucket account and Region, principal account, Outpost subnet.
    assert_eq!(unknown, 12, "{text:#?}");
    // A route to an instance whose interface could not be built still counts against the
    // table's other routes; a peering whose VPC is unknown connects no VPC.
    assert!(
        text.iter().any(|t| t.starts_with("duplicate-route")),
        "{text:#?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("peering connection 'p1' does not connect VPC 'main'")),
        "{text:#?}"
    );
    // No placeholder: neither the id 4294967295 nor the address space 0.0.0.0/0 of a subnet
    // whose CIDR is invalid (its explicit addresses are only checked for uniqueness).
    for t in &text {
        assert!(!t.contains("4294967295") && !t.contains("0.0.0.0/0"), "{t}");
    }
}

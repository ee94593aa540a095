//! Names come from the AWS vocabulary: a China Region's names end in `amazonaws.com.cn` and are
//! served from a public zone of their own; Kinesis Data Streams endpoints are named `kinesis`.

use std::path::Path;

use vpcsim_dns::{Dns, RecordType, Resolution, Rotation, Unconstrained, View};
use vpcsim_topology::model::VpcId;
use vpcsim_topology::{MemFs, Topology};

const TOPOLOGY: &str = r#"
regions:
  cn-north-1: { azs: [cn-north-1a, cn-north-1b] }
  us-east-1: { azs: [us-east-1a] }
accounts:
  "111122223333": { name: workload }
vpcs:
  beijing:
    account: "111122223333"
    region: cn-north-1
    cidr: 10.0.0.0/16
    subnets:
      a: { az: cn-north-1a, cidr: 10.0.1.0/24 }
      b: { az: cn-north-1b, cidr: 10.0.2.0/24 }
    security_groups:
      endpoint-sg:
        ingress:
          - { protocol: tcp, ports: 443, from: 10.0.0.0/16 }
    endpoints:
      streams:
        id: vpce-0123456789abcdef0
        dns_id: k1n3
        type: interface
        service: kinesis-streams
        subnets: [a, b]
        addresses: { a: 10.0.1.50, b: 10.0.2.50 }
        security_groups: [endpoint-sg]
      s3-interface:
        id: vpce-1a2b3c4d
        dns_id: 5e6f
        type: interface
        service: com.amazonaws.cn-north-1.s3
        subnets: [a]
        addresses: { a: 10.0.1.60 }
        security_groups: [endpoint-sg]
  virginia:
    account: "111122223333"
    region: us-east-1
    cidr: 10.1.0.0/16
    subnets:
      a: { az: us-east-1a, cidr: 10.1.1.0/24 }
    security_groups:
      endpoint-sg:
        ingress:
          - { protocol: tcp, ports: 443, from: 10.1.0.0/16 }
    endpoints:
      streams:
        id: vpce-0fedcba9876543210
        dns_id: abcd
        type: interface
        service: kinesis-streams
        subnets: [a]
        addresses: { a: 10.1.1.50 }
        security_groups: [endpoint-sg]
"#;

fn topology() -> Topology {
    let loaded = vpcsim_topology::load_str(Path::new("cn.yaml"), TOPOLOGY, &MemFs::default());
    assert!(
        loaded.diagnostics.is_empty(),
        "{:?}",
        loaded
            .diagnostics
            .iter()
            .map(|d| d.one_line(&loaded.sources))
            .collect::<Vec<_>>()
    );
    loaded.topology.expect("valid")
}

fn ask(dns: &Dns, view: View, name: &str) -> Resolution {
    dns.resolve_over(
        view,
        name,
        RecordType::A,
        &mut Rotation::new(),
        &Unconstrained,
    )
}

fn addresses(r: &Resolution) -> Vec<String> {
    let mut a: Vec<String> = r.addresses().iter().map(|ip| ip.to_string()).collect();
    a.sort();
    a
}

#[test]
fn china_names_end_in_their_partition_suffix_and_have_their_own_zone() {
    let topo = topology();
    let dns = Dns::build(&topo);
    let apexes: Vec<&str> = dns
        .zones(View::Public)
        .iter()
        .map(|z| z.apex.as_str())
        .collect();
    assert_eq!(apexes, ["amazonaws.com", "amazonaws.com.cn"]);
    for name in [
        "s3.cn-north-1.amazonaws.com.cn",
        "my-bucket.s3.cn-north-1.amazonaws.com.cn",
        "s3-website.cn-north-1.amazonaws.com.cn",
        "s3.dualstack.cn-north-1.amazonaws.com.cn",
        "kinesis.cn-north-1.amazonaws.com.cn",
        "sts.cn-north-1.amazonaws.com.cn",
        // The commercial partition is still served.
        "s3.us-east-1.amazonaws.com",
    ] {
        assert_eq!(ask(&dns, View::Public, name).status(), "NOERROR", "{name}");
    }
    let r = ask(&dns, View::Public, "s3.cn-north-1.amazonaws.com");
    assert_eq!(r.status(), "NXDOMAIN");
    assert_eq!(
        r.steps.last().unwrap().detail,
        "cn-north-1 is a Region of partition aws-cn, whose names end in amazonaws.com.cn: s3.cn-north-1.amazonaws.com.cn"
    );
    let r = ask(&dns, View::Public, "s3.us-east-1.amazonaws.com.cn");
    assert_eq!(
        r.steps.last().unwrap().detail,
        "us-east-1 is a Region of partition aws, whose names end in amazonaws.com: s3.us-east-1.amazonaws.com"
    );
    let r = ask(
        &dns,
        View::Public,
        "bucket.vpce-1a2b3c4d-5e6f.s3.cn-north-1.vpce.amazonaws.com.cn",
    );
    assert_eq!(addresses(&r), ["10.0.1.60"]);
    let r = ask(
        &dns,
        View::Public,
        "vpce-1a2b3c4d-5e6f.s3.cn-north-1.vpce.amazonaws.com.cn",
    );
    assert_eq!(addresses(&r), ["10.0.1.60"]);
    // Explanations name the partition's suffix.
    let r = ask(
        &dns,
        View::Public,
        "vpce-1a2b3c4d-5e6f.sts.cn-north-1.vpce.amazonaws.com.cn",
    );
    assert_eq!(r.status(), "NXDOMAIN");
    assert_eq!(
        r.steps.last().unwrap().detail,
        "vpce-1a2b3c4d is an endpoint for s3 in cn-north-1, so its names end in .s3.cn-north-1.vpce.amazonaws.com.cn, not .sts.cn-north-1.vpce.amazonaws.com.cn"
    );
    let r = ask(&dns, View::Public, "example.org");
    assert_eq!(r.status(), "REFUSED");
    assert!(
        r.steps
            .last()
            .unwrap()
            .detail
            .contains("outside amazonaws.com and amazonaws.com.cn"),
        "{r:?}"
    );
}

#[test]
fn kinesis_streams_endpoints_are_named_kinesis() {
    let topo = topology();
    let dns = Dns::build(&topo);
    let name = topo.endpoints[0]
        .regional_dns_name("cn-north-1")
        .expect("an interface endpoint");
    assert_eq!(
        name,
        "vpce-0123456789abcdef0-k1n3.kinesis.cn-north-1.vpce.amazonaws.com.cn"
    );
    let r = ask(&dns, View::Public, &name);
    assert_eq!(addresses(&r), ["10.0.1.50", "10.0.2.50"]);
    let r = ask(
        &dns,
        View::Public,
        "vpce-0123456789abcdef0-k1n3-cn-north-1b.kinesis.cn-north-1.vpce.amazonaws.com.cn",
    );
    assert_eq!(addresses(&r), ["10.0.2.50"]);
    // The old, wrong name does not exist.
    let r = ask(
        &dns,
        View::Public,
        "vpce-0fedcba9876543210-abcd.kinesis-streams.us-east-1.vpce.amazonaws.com",
    );
    assert_eq!(r.status(), "NXDOMAIN");
    assert!(
        r.steps
            .last()
            .unwrap()
            .detail
            .contains("its names end in .kinesis.us-east-1.vpce.amazonaws.com"),
        "{r:?}"
    );
    // Private DNS (on by default) answers the Regional name inside each VPC.
    let r = ask(
        &dns,
        View::Vpc(VpcId(0)),
        "kinesis.cn-north-1.amazonaws.com.cn",
    );
    assert_eq!(addresses(&r), ["10.0.1.50", "10.0.2.50"]);
    let r = ask(&dns, View::Vpc(VpcId(1)), "kinesis.us-east-1.amazonaws.com");
    assert_eq!(addresses(&r), ["10.1.1.50"]);
    // EC2 host names: ec2.internal in us-east-1 only.
    let zones: Vec<&str> = dns
        .zones(View::Vpc(VpcId(0)))
        .iter()
        .map(|z| z.apex.as_str())
        .collect();
    assert!(zones.contains(&"cn-north-1.compute.internal"), "{zones:?}");
}

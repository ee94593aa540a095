//! Service host names, public-only services, apex SOA/NS, built-in Regions, rotation of Regional
//! endpoint names, explanations and dual-stack AAAA, on the shipped topologies.

use std::path::{Path, PathBuf};

use vpcsim_dns::{Dns, Origin, RData, RecordType, Resolution, Rotation, Unconstrained, View};
use vpcsim_topology::{StdFs, Topology};

fn topology(name: &str) -> Topology {
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../topologies");
    vpcsim_topology::load(&root.join(name), &StdFs)
        .expect("readable")
        .topology
        .expect("valid topology")
}

fn ask(dns: &Dns, name: &str, qtype: RecordType) -> Resolution {
    dns.resolve_over(
        View::Public,
        name,
        qtype,
        &mut Rotation::new(),
        &Unconstrained,
    )
}

fn last(r: &Resolution) -> &str {
    &r.steps.last().expect("a step").detail
}

#[test]
fn service_host_names_and_public_only_services() {
    let topo = topology("hybrid-s3.yaml");
    let dns = Dns::build(&topo);
    for name in [
        "api.ecr.us-east-1.amazonaws.com",
        "111122223333.dkr.ecr.us-east-1.amazonaws.com",
        "api.sagemaker.us-east-1.amazonaws.com",
        "kinesis.us-east-1.amazonaws.com",
        "glacier.us-east-1.amazonaws.com",
    ] {
        assert_eq!(ask(&dns, name, RecordType::A).status(), "NOERROR", "{name}");
    }
    for name in [
        "ecr.api.us-east-1.amazonaws.com",
        "sagemaker.api.us-east-1.amazonaws.com",
        "kinesis-streams.us-east-1.amazonaws.com",
    ] {
        assert_eq!(
            ask(&dns, name, RecordType::A).status(),
            "NXDOMAIN",
            "{name}"
        );
    }
}

#[test]
fn zones_answer_soa_and_ns_at_the_apex_and_export_them_once() {
    let topo = topology("onprem-dx-vpn.yaml");
    let dns = Dns::build(&topo);
    for qtype in [RecordType::Soa, RecordType::Ns] {
        let r = ask(&dns, "amazonaws.com", qtype);
        assert_eq!(r.status(), "NOERROR");
        assert_eq!(r.answers[0].origin, Origin::Infrastructure);
    }
    let r = ask(&dns, "amazonaws.com", RecordType::A);
    assert_eq!(r.status(), "NODATA");
    assert_eq!(
        last(&r),
        "amazonaws.com has no A record (it is the apex of zone amazonaws.com)"
    );
    for view in dns.views() {
        for zone in dns.zones(view) {
            let text = zone.to_master_file(42);
            let records: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with(';') && !l.starts_with('$'))
                .collect();
            assert!(records[0].contains("\tSOA\t"), "{text}");
            assert!(records[0].contains(" 42 "), "serial: {text}");
            assert_eq!(records.iter().filter(|l| l.contains("\tSOA\t")).count(), 1);
            assert_eq!(records.iter().filter(|l| l.contains("\tNS\t")).count(), 1);
        }
    }
}

#[test]
fn built_in_regions_have_public_names() {
    // glacier.yaml lists only eu-west-1.
    let topo = topology("glacier.yaml");
    let dns = Dns::build(&topo);
    for (name, pl) in [
        ("s3.us-east-1.amazonaws.com", Some("pl-63a5400a")),
        ("s3.amazonaws.com", Some("pl-63a5400a")),
        (
            "my-bucket.s3.ap-southeast-1.amazonaws.com",
            Some("pl-6fa54006"),
        ),
        ("dynamodb.eu-central-1.amazonaws.com", Some("pl-66a5400f")),
        ("sts.us-west-1.amazonaws.com", None),
    ] {
        let r = ask(&dns, name, RecordType::A);
        assert_eq!(r.status(), "NOERROR", "{name}");
        match &r.answers[0].origin {
            Origin::ServicePublic { prefix_list, .. } => {
                assert_eq!(prefix_list.as_deref(), pl, "{name}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    // Every public Region answers (issue 17): one without a built-in prefix list gets a stand-in.
    for name in [
        "s3.sa-east-1.amazonaws.com",
        "s3.ca-central-1.amazonaws.com",
        "s3.cn-north-1.amazonaws.com.cn",
        "s3-fips.dualstack.us-east-1.amazonaws.com",
        "s3-control.dualstack.us-east-1.amazonaws.com",
        "111122223333.s3-control.dualstack.eu-west-1.amazonaws.com",
        "sts.amazonaws.com",
        "iam.amazonaws.com",
        "ec2.us-east-1.amazonaws.com",
        "route53.amazonaws.com",
        "cloudfront.amazonaws.com",
        "globalaccelerator.amazonaws.com",
        "organizations.us-east-1.amazonaws.com",
        "route53domains.us-east-1.amazonaws.com",
        "support.us-east-1.amazonaws.com",
        "lambda.ap-south-1.amazonaws.com",
        "sqs.us-gov-west-1.amazonaws.com",
        "ec2.cn-north-1.amazonaws.com.cn",
        "bucket.s3-website.eu-west-3.amazonaws.com",
    ] {
        assert_eq!(ask(&dns, name, RecordType::A).status(), "NOERROR", "{name}");
    }
    // Organizations answers in us-east-1 only.
    assert_eq!(
        ask(&dns, "organizations.eu-west-1.amazonaws.com", RecordType::A).status(),
        "NXDOMAIN"
    );
    // A Region AWS does not have does not.
    let r = ask(&dns, "s3.xx-moon-1.amazonaws.com", RecordType::A);
    assert_eq!(r.status(), "NXDOMAIN");
    assert!(
        last(&r).contains("xx-moon-1, which is not an AWS Region"),
        "{}",
        last(&r)
    );
}

#[test]
fn regional_endpoint_names_rotate_and_zonal_names_do_not() {
    let topo = topology("hybrid-s3.yaml");
    let dns = Dns::build(&topo);
    for name in [
        "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
        "bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
        "my-bucket.bucket.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
        "control.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
    ] {
        let mut rot = Rotation::new();
        let first = dns
            .resolve_over(View::Public, name, RecordType::A, &mut rot, &Unconstrained)
            .addresses();
        let second = dns
            .resolve_over(View::Public, name, RecordType::A, &mut rot, &Unconstrained)
            .addresses();
        assert_eq!(first.len(), 2);
        assert_ne!(first, second, "{name} rotates");
        assert_eq!(
            first,
            ask(&dns, name, RecordType::A).addresses(),
            "repeatable"
        );
    }
    let zonal = "vpce-1a2b3c4d-5e6f-us-east-1a.s3.us-east-1.vpce.amazonaws.com";
    assert!(!ask(&dns, zonal, RecordType::A).answers[0].rotate);
}

#[test]
fn explanations() {
    let topo = topology("cross-region-peering.yaml");
    let dns = Dns::build(&topo);
    let r = ask(
        &dns,
        "vpce-0c4d5e6f7a8b9c0d1-r4t8w2zn-us-east-1c.s3.us-east-1.vpce.amazonaws.com",
        RecordType::A,
    );
    assert_eq!(
        last(&r),
        "endpoint vpce-0c4d5e6f7a8b9c0d1 has no ENI in us-east-1c; it has us-east-1a, us-east-1b"
    );
    let r = ask(
        &dns,
        "vpce-0c4d5e6f7a8b9c0d1-r4t8w2zn-us-west-2a.s3.us-east-1.vpce.amazonaws.com",
        RecordType::A,
    );
    assert!(last(&r).starts_with("us-west-2a is not in the endpoint's Region"));
    let r = ask(
        &dns,
        "vpce-0a1b2c3d4e5f60718-r4t8w2zn.s3.us-east-1.vpce.amazonaws.com",
        RecordType::A,
    );
    assert!(last(&r).starts_with(
        "vpce-0a1b2c3d4e5f60718 is a gateway endpoint; gateway endpoints have no DNS names (they work through route tables)"
    ));
    let r = ask(&dns, "b.s3-website.us-west-2.amazonaws.com", RecordType::A);
    assert!(last(&r).contains("uses the dash form: s3-website-us-west-2.amazonaws.com"));
    let r = ask(&dns, "b.s3-website-us-east-2.amazonaws.com", RecordType::A);
    assert!(last(&r).contains("uses the dot form: s3-website.us-east-2.amazonaws.com"));
    assert_eq!(
        ask(&dns, "b.s3-website.us-east-2.amazonaws.com", RecordType::A).status(),
        "NOERROR"
    );

    let topo = topology("s3-outposts.yaml");
    let dns = Dns::build(&topo);
    let r = ask(
        &dns,
        "my-bucket.s3-outposts.us-west-2.amazonaws.com",
        RecordType::A,
    );
    assert!(last(&r).starts_with(
        "Outposts buckets have no DNS name of their own; reach them through an access point: AP-ACCOUNT.op-ID.s3-outposts.REGION.amazonaws.com"
    ));
    let r = ask(
        &dns,
        "reports-123456789012.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com",
        RecordType::A,
    );
    assert!(
        last(&r).starts_with("the Region is wrong: Outpost op-01234567890123456 is in us-west-2")
    );
}

#[test]
fn private_zone_steps() {
    let topo = topology("gateway-and-interface.yaml");
    let dns = Dns::build(&topo);
    let app = vpcsim_dns::view_of(&topo, topo.find_source("shared/app-1").expect("source"));
    let inbound = vpcsim_dns::view_of(&topo, topo.find_source("shared/inbound").expect("source"));
    let r = dns.resolve_over(
        app,
        "s3.us-east-1.amazonaws.com",
        RecordType::A,
        &mut Rotation::new(),
        &Unconstrained,
    );
    assert!(
        r.steps[1]
            .detail
            .starts_with("no other rule or private zone matches")
    );
    let r = dns.resolve_over(
        inbound,
        "s3.us-east-1.amazonaws.com",
        RecordType::A,
        &mut Rotation::new(),
        &Unconstrained,
    );
    assert_eq!(
        r.steps[1].detail,
        "the private DNS zone s3.us-east-1.amazonaws.com of interface endpoint vpce-1a2b3c4d matches"
    );

    let topo = topology("onprem-dx-vpn.yaml");
    let dns = Dns::build(&topo);
    let vpc = vpcsim_dns::view_of(&topo, topo.find_source("shared").expect("source"));
    let r = dns.resolve_over(
        vpc,
        "nope.aws.corp.internal",
        RecordType::A,
        &mut Rotation::new(),
        &Unconstrained,
    );
    assert_eq!(r.status(), "NXDOMAIN");
    assert_eq!(r.steps.len(), 1, "{:#?}", r.steps);
    let r = dns.resolve_over(
        vpc,
        "build-cache.aws.corp.internal",
        RecordType::A,
        &mut Rotation::new(),
        &Unconstrained,
    );
    assert_eq!(
        r.steps[0].detail,
        "private hosted zone aws.corp.internal matches"
    );
}

#[test]
fn dual_stack_names_answer_a_stand_in_aaaa() {
    let topo = topology("hybrid-s3.yaml");
    let dns = Dns::build(&topo);
    for name in [
        "s3.dualstack.us-east-1.amazonaws.com",
        "my-bucket.s3.dualstack.us-east-1.amazonaws.com",
        "s3.dualstack.eu-west-1.amazonaws.com",
    ] {
        let r = ask(&dns, name, RecordType::Aaaa);
        assert_eq!(r.status(), "NOERROR", "{name}");
        let RData::Aaaa(ip) = r.answers[0].data[0] else {
            panic!("{name}: {:?}", r.answers)
        };
        assert_eq!(ip.segments()[..2], [0x2001, 0xdb8], "{name}");
        assert!(r.answers[0].origin.to_string().contains("stand-in"));
        assert_eq!(ask(&dns, name, RecordType::A).status(), "NOERROR");
    }
    // Both names of a Region share the address; every other name stays IPv4-only.
    assert_eq!(
        ask(
            &dns,
            "s3.dualstack.us-east-1.amazonaws.com",
            RecordType::Aaaa
        )
        .answers[0]
            .data,
        ask(
            &dns,
            "b.s3.dualstack.us-east-1.amazonaws.com",
            RecordType::Aaaa
        )
        .answers[0]
            .data,
    );
    for name in [
        "s3.us-east-1.amazonaws.com",
        "vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com",
    ] {
        assert_eq!(
            ask(&dns, name, RecordType::Aaaa).status(),
            "NODATA",
            "{name}"
        );
    }
}

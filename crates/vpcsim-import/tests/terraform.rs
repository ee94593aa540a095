//! `vpcsim import terraform` on the shipped plan (`terraform show -json`, format 1.2: a root
//! module and a child module, `count` instances, splat and module-output references, values
//! unknown until apply): the import is the expected topology, and with a host added to the
//! imported site and tests/import/terraform/expect.yaml appended every expectation holds.
//! Broken plans never give a topology that does not load.

mod common;
use common::{Rng, at_mut, errors, load, paths, root};
use serde_json::{Value, json};
use vpcsim_import::tf;

fn plan() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/import/terraform/plan.json")).unwrap(),
    )
    .unwrap()
}

fn opts() -> tf::Options {
    tf::Options {
        region: None,
        account: "111122223333".into(),
    }
}

#[test]
fn the_plan_imports_as_expected_and_its_expectations_hold() {
    let mut net = tf::import(&plan(), &opts(), "plan");
    let yaml = vpcsim_import::finish(
        &mut net,
        "vpcsim import terraform examples/import/terraform/plan.json",
    );
    expect_test::expect_file!["../../../tests/import/terraform/expected.yaml"].assert_eq(&yaml);
    // What only an apply knows is reported, not invented.
    assert!(yaml.contains("aws_s3_bucket_policy.reports: its policy is known only after apply"));
    assert!(yaml.contains("aws_route.to_transit: route 10.128.0.0/9"));
    let completed = yaml.replace(
        "    cidrs: [172.16.0.0/16]\n",
        "    cidrs: [172.16.0.0/16]\n    hosts:\n      build-server: { ip: 172.16.5.10 }\n",
    );
    let loaded = load(&completed);
    let topo = loaded
        .topology
        .as_ref()
        .unwrap_or_else(|| panic!("{}", errors(&loaded)));
    let dns_id = {
        let e = topo
            .endpoints
            .iter()
            .find(|e| e.name == "s3-interface")
            .unwrap();
        e.interface().unwrap().dns_id.clone()
    };
    let with = format!(
        "{completed}\n{}",
        std::fs::read_to_string(root().join("tests/import/terraform/expect.yaml"))
            .unwrap()
            .replace("DNSID", &dns_id)
    );
    let loaded = load(&with);
    let topo = loaded
        .topology
        .as_ref()
        .unwrap_or_else(|| panic!("{}", errors(&loaded)));
    let result = vpcsim_engine::check(topo);
    assert_eq!(result.results.len(), 4);
    for r in &result.results {
        assert!(r.passed, "{}: {:?} ({:?})", r.name, r.mismatches, r.actual);
    }
}

#[test]
fn the_region_comes_from_the_provider_or_the_command_line() {
    let net = tf::import(&plan(), &opts(), "plan");
    assert_eq!(net.vpcs[0].region, "us-east-1");
    let mut p = plan();
    p["configuration"]["provider_config"]["aws"]["expressions"]["region"] =
        json!({ "references": ["var.region"] });
    let net = tf::import(&p, &opts(), "plan");
    assert!(
        net.notes
            .iter()
            .any(|n| n.message.contains("us-east-1 is assumed"))
    );
    let net = tf::import(
        &p,
        &tf::Options {
            region: Some("eu-west-1".into()),
            account: "111122223333".into(),
        },
        "plan",
    );
    // The plan's zones are us-east-1's: its subnets are not of eu-west-1.
    assert!(net.vpcs[0].subnets.is_empty());
    assert!(
        net.notes
            .iter()
            .any(|n| n.message.contains("is not of eu-west-1"))
    );
}

#[test]
fn broken_plans_never_give_a_topology_that_does_not_load() {
    let base = plan();
    let mut all = Vec::new();
    paths(&base, &mut Vec::new(), &mut all);
    let replacements = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(""),
        json!("10.0.0.0/8"),
        json!("us-east-1z"),
        json!("module.network.aws_vpc.this"),
        json!(["aws_subnet.endpoints[7]"]),
        json!({ "references": ["module.network.vpc_id"] }),
        json!({ "references": ["module.nothing.x.y"] }),
        json!([]),
        json!({}),
    ];
    let mut rng = Rng(11);
    for round in 0..300 {
        let mut p = base.clone();
        for _ in 0..1 + rng.below(3) {
            let path = &all[rng.below(all.len())];
            if let Some(slot) = at_mut(&mut p, path) {
                *slot = replacements[rng.below(replacements.len())].clone();
            }
        }
        let mut net = tf::import(&p, &opts(), "broken");
        let yaml = vpcsim_import::finish(&mut net, "broken");
        let loaded = load(&yaml);
        assert!(
            loaded.topology.is_some(),
            "round {round}:\n{}\n\n{yaml}",
            errors(&loaded)
        );
    }
}

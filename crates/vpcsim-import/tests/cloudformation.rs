//! `vpcsim import cloudformation` on the shipped template (checked by cfn-lint in `.ci/run`): the
//! import is the expected topology, and with a host added to the imported site (what a user
//! does) and tests/import/cloudformation/expect.yaml appended every expectation holds. The
//! intrinsic functions evaluate as CloudFormation does where their values are static, report
//! what only a deployment knows, and broken templates never give a topology that does not load.

use std::collections::BTreeMap;

mod common;
use common::{Rng, at_mut, errors, load, paths, root};

use serde_json::{Value, json};
use vpcsim_import::cfn;

fn opts() -> cfn::Options {
    cfn::Options {
        region: "us-east-1".into(),
        account: "111122223333".into(),
        parameters: BTreeMap::new(),
    }
}

#[test]
fn the_template_imports_as_expected_and_its_expectations_hold() {
    let path = "examples/import/cloudformation/hybrid-s3.yaml";
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    let template = cfn::parse(&text).expect("the template parses");
    let mut net = cfn::import(&template, &opts(), "hybrid-s3");
    let yaml = vpcsim_import::finish(&mut net, &format!("vpcsim import cloudformation {path}"));
    expect_test::expect_file!["../../../tests/import/cloudformation/expected.yaml"]
        .assert_eq(&yaml);
    let completed = yaml.replace(
        "    cidrs: [172.16.0.0/16]\n",
        "    cidrs: [172.16.0.0/16]\n    hosts:\n      build-server: { ip: 172.16.5.10 }\n    internet: { public_ip: 198.51.100.7 }\n",
    );
    let with = format!(
        "{completed}\n{}",
        std::fs::read_to_string(root().join("tests/import/cloudformation/expect.yaml")).unwrap()
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

/// Evaluates `value` as a property of a VPC in a template with these parameters, conditions and
/// mappings, and returns the CIDR the import saw (or its note).
fn cidr_of(value: Value, extra: Value) -> (Option<String>, String) {
    let mut t = json!({
        "Parameters": { "Block": { "Type": "String", "Default": "10.8.0.0/16" }, "NoDefault": { "Type": "String" } },
        "Mappings": { "Env": { "us-east-1": { "Cidr": "10.9.0.0/16" } } },
        "Conditions": {
            "East": { "Fn::Equals": [{ "Ref": "AWS::Region" }, "us-east-1"] },
            "NotEast": { "Fn::Not": [{ "Condition": "East" }] },
            "Unknowable": { "Fn::Equals": [{ "Ref": "AWS::StackName" }, "x"] }
        },
        "Resources": { "V": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": value } } }
    });
    if let (Some(t), Some(e)) = (t.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            t.insert(k.clone(), v.clone());
        }
    }
    let net = cfn::import(&t, &opts(), "t");
    let notes: Vec<String> = net.notes.iter().map(|n| n.message.clone()).collect();
    (
        net.vpcs.first().map(|v| v.cidrs[0].clone()),
        notes.join(" | "),
    )
}

#[test]
fn intrinsic_functions_evaluate_as_cloudformation_does() {
    let cases: Vec<(Value, Option<&str>)> = vec![
        (json!({ "Ref": "Block" }), Some("10.8.0.0/16")),
        (json!({ "Fn::Sub": "10.${Oct}.0.0/16" }), None), // ${Oct} is nothing
        (
            json!({ "Fn::Sub": ["10.${Oct}.0.0/16", { "Oct": "7" }] }),
            Some("10.7.0.0/16"),
        ),
        (
            json!({ "Fn::Join": ["/", ["10.6.0.0", "16"]] }),
            Some("10.6.0.0/16"),
        ),
        (
            json!({ "Fn::Select": [1, { "Fn::Split": [",", "a,10.5.0.0/16,b"] }] }),
            Some("10.5.0.0/16"),
        ),
        (
            json!({ "Fn::Select": [2, { "Fn::Cidr": ["10.0.0.0/16", 4, 8] }] }),
            Some("10.0.2.0/24"),
        ),
        (
            json!({ "Fn::Select": [1, { "Fn::Cidr": ["2600:1f18::/56", 2, 64] }] }),
            None,
        ), // an IPv6 CIDR is no VPC block
        (
            json!({ "Fn::FindInMap": ["Env", { "Ref": "AWS::Region" }, "Cidr"] }),
            Some("10.9.0.0/16"),
        ),
        (
            json!({ "Fn::If": ["East", "10.1.0.0/16", "10.2.0.0/16"] }),
            Some("10.1.0.0/16"),
        ),
        (
            json!({ "Fn::If": ["NotEast", "10.1.0.0/16", "10.2.0.0/16"] }),
            Some("10.2.0.0/16"),
        ),
        (
            json!({ "Fn::If": ["Unknowable", "10.3.0.0/16", "10.4.0.0/16"] }),
            Some("10.3.0.0/16"),
        ),
        (json!({ "Ref": "NoDefault" }), None),
        (json!({ "Fn::ImportValue": "shared-cidr" }), None),
        (json!({ "Fn::GetAtt": ["V", "CidrBlock"] }), None), // itself: no loop, nothing known
    ];
    for (value, want) in cases {
        let (got, notes) = cidr_of(value.clone(), json!({}));
        if let Some(w) = want {
            assert_eq!(got.as_deref(), Some(w), "{value}: {notes}");
        } else if let Some(g) = &got {
            // An IPv6 block as a VPC CIDR does not load: finish leaves it out.
            let mut net = cfn::import(
                &json!({ "Resources": { "V": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": value } } } }),
                &opts(),
                "t",
            );
            let yaml = vpcsim_import::finish(&mut net, "t");
            assert!(load(&yaml).topology.is_some(), "{g}");
        }
    }
    // What is unknown is said.
    let (_, notes) = cidr_of(json!({ "Ref": "NoDefault" }), json!({}));
    assert!(
        notes.contains("parameter NoDefault has no Default"),
        "{notes}"
    );
    let (_, notes) = cidr_of(json!({ "Fn::If": ["Unknowable", "a", "b"] }), json!({}));
    assert!(
        notes.contains("condition Unknowable is not known before deployment"),
        "{notes}"
    );
    // Parameters given on the command line win over defaults.
    let mut o = opts();
    o.parameters.insert("Block".into(), "10.44.0.0/16".into());
    let net = cfn::import(
        &json!({ "Parameters": { "Block": { "Type": "String", "Default": "10.8.0.0/16" } },
                 "Resources": { "V": { "Type": "AWS::EC2::VPC", "Properties": { "CidrBlock": { "Ref": "Block" } } } } }),
        &o,
        "t",
    );
    assert_eq!(net.vpcs[0].cidrs[0], "10.44.0.0/16");
}

#[test]
fn yaml_short_forms_read_as_their_long_forms() {
    let yaml = "Resources:\n  V:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !Select [0, !Cidr [10.0.0.0/8, 2, 16]]\n      Tags:\n        - Key: Name\n          Value: !Sub \"${AWS::Region}-vpc\"\n  S:\n    Type: AWS::EC2::Subnet\n    Properties:\n      VpcId: !Ref V\n      CidrBlock: !Select [0, !Cidr [!GetAtt V.CidrBlock, 2, 8]]\n      AvailabilityZone: !Select [1, !GetAZs '']\n";
    let t = cfn::parse(yaml).expect("parses");
    assert_eq!(
        t["Resources"]["S"]["Properties"]["VpcId"],
        json!({ "Ref": "V" })
    );
    let net = cfn::import(&t, &opts(), "t");
    assert_eq!(net.vpcs[0].name, "us-east-1-vpc");
    assert_eq!(net.vpcs[0].cidrs, vec!["10.0.0.0/16".to_string()]);
    assert_eq!(net.vpcs[0].subnets[0].cidr, "10.0.0.0/24");
    assert_eq!(net.vpcs[0].subnets[0].az, "us-east-1b");
    // Bad input: an error, never a panic.
    for bad in [
        "Resources: [",
        "{\"Resources\": ",
        "a: !Ref\n  - [",
        "*x",
        "- &a [*a]",
    ] {
        let _ = cfn::parse(bad);
    }
    // A billion laughs stops at the node limit.
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 0..8 {
        let prev = if i == 0 {
            "a".to_string()
        } else {
            format!("b{}", i - 1)
        };
        bomb.push_str(&format!("b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
    }
    assert!(cfn::parse(&bomb).is_err());
}

#[test]
fn broken_templates_never_give_a_topology_that_does_not_load() {
    let text =
        std::fs::read_to_string(root().join("examples/import/cloudformation/hybrid-s3.yaml"))
            .unwrap();
    let base = cfn::parse(&text).unwrap();
    let mut all = Vec::new();
    paths(&base, &mut Vec::new(), &mut all);
    let replacements = [
        Value::Null,
        json!(true),
        json!(-1),
        json!(""),
        json!("10.0.0.0/8"),
        json!("us-east-1z"),
        json!({ "Ref": "SharedVpc" }),
        json!({ "Ref": "EndpointSubnetA" }),
        json!({ "Ref": "Nothing" }),
        json!({ "Fn::GetAtt": ["SharedVpc", "CidrBlock"] }),
        json!({ "Fn::Sub": "${" }),
        json!({ "Fn::Cidr": ["10.0.0.0/16", 300, 1] }),
        json!([]),
        json!({}),
    ];
    let mut rng = Rng(7);
    for round in 0..300 {
        let mut t = base.clone();
        for _ in 0..1 + rng.below(3) {
            let path = &all[rng.below(all.len())];
            if let Some(slot) = at_mut(&mut t, path) {
                *slot = replacements[rng.below(replacements.len())].clone();
            }
        }
        let mut net = cfn::import(&t, &opts(), "broken");
        let yaml = vpcsim_import::finish(&mut net, "broken");
        let loaded = load(&yaml);
        assert!(
            loaded.topology.is_some(),
            "round {round}:\n{}\n\n{yaml}",
            errors(&loaded)
        );
    }
}

//! `vpcsim import terraform PLAN.json`: the `aws_*` network resources of a Terraform plan, from
//! `terraform show -json` (the documented JSON output format: `planned_values` for the values,
//! `resource_changes[].change.after_unknown` for what is known only after apply, and
//! `configuration` for the references between resources, which a plan for new resources leaves
//! unknown in its values). Values unknown until apply are reported, not invented.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value, json};

use crate::net::Net;
use crate::res::{self, Kind, Res, Source, reference, unknown};

/// One resource instance of the plan.
struct Inst<'a> {
    /// Full address (`module.net.aws_subnet.app[0]`).
    address: String,
    /// Module path (`module.net.`, empty at the root).
    module: String,
    /// Its index (`[0]`, `["a"]`), if any.
    index: Option<String>,
    /// Type.
    ty: &'a str,
    /// Planned values.
    values: &'a Value,
    /// Which values are unknown after apply.
    unknown: Option<&'a Value>,
    /// The configuration's expressions for it.
    expressions: Option<&'a Value>,
}

fn collect<'a>(module: &'a Value, out: &mut Vec<(&'a Value, String)>) {
    let prefix = module
        .get("address")
        .and_then(Value::as_str)
        .map(|a| format!("{a}."))
        .unwrap_or_default();
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push((r, prefix.clone()));
    }
    for m in module
        .get("child_modules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        collect(m, out);
    }
}

/// The configuration's resources by address without index (`module.net.aws_subnet.app`), and
/// its modules' outputs (`module.net.vpc_id` → the module's prefix and the output's references).
fn config<'a>(
    module: &'a Value,
    prefix: &str,
    out: &mut HashMap<String, &'a Value>,
    outputs: &mut HashMap<String, (String, Vec<String>)>,
) {
    for r in module
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(a) = r.get("address").and_then(Value::as_str) {
            out.insert(format!("{prefix}{a}"), r);
        }
    }
    for (name, call) in module
        .get("module_calls")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let Some(m) = call.get("module") else {
            continue;
        };
        let inner = format!("{prefix}module.{name}.");
        for (o, def) in m
            .get("outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let refs = def
                .pointer("/expression/references")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            outputs.insert(format!("{inner}{o}"), (inner.clone(), refs));
        }
        config(m, &inner, out, outputs);
    }
}

/// Splits `aws_subnet.app[0]` into `aws_subnet.app` and `[0]`.
fn split_index(address: &str) -> (&str, Option<&str>) {
    match address.find('[') {
        Some(i) if address.ends_with(']') => (&address[..i], Some(&address[i..])),
        _ => (address, None),
    }
}

/// Where the stack applies.
pub struct Options {
    /// The Region (default: the aws provider's `region`, else us-east-1).
    pub region: Option<String>,
    /// The account.
    pub account: String,
}

/// Imports a plan.
pub fn import(plan: &Value, opts: &Options, name: &str) -> Net {
    let mut notes: Vec<(String, String, bool)> = Vec::new();
    let mut found = Vec::new();
    if let Some(root) = plan
        .get("planned_values")
        .and_then(|p| p.get("root_module"))
    {
        collect(root, &mut found);
    }
    let mut changes: HashMap<&str, &Value> = HashMap::new();
    for c in plan
        .get("resource_changes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(a) = c.get("address").and_then(Value::as_str) {
            changes.insert(a, c);
        }
    }
    let mut cfg: HashMap<String, &Value> = HashMap::new();
    let mut outputs: HashMap<String, (String, Vec<String>)> = HashMap::new();
    if let Some(root) = plan.get("configuration").and_then(|c| c.get("root_module")) {
        config(root, "", &mut cfg, &mut outputs);
    }
    let region = opts.region.clone().or_else(|| {
        plan.pointer("/configuration/provider_config/aws/expressions/region/constant_value")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let region = match region {
        Some(r) => r,
        None => {
            notes.push((
                "provider".into(),
                "the aws provider's region is not a constant: us-east-1 is assumed (give --region)"
                    .into(),
                false,
            ));
            "us-east-1".into()
        }
    };
    let insts: Vec<Inst<'_>> = found
        .iter()
        .filter(|(r, _)| r.get("mode").and_then(Value::as_str) == Some("managed"))
        .filter_map(|(r, module)| {
            let address = r.get("address").and_then(Value::as_str)?.to_string();
            let ty = r.get("type").and_then(Value::as_str)?;
            let (base, index) = split_index(&address);
            Some(Inst {
                module: module.clone(),
                index: index.map(str::to_string),
                ty,
                values: r.get("values").unwrap_or(&Value::Null),
                unknown: changes
                    .get(address.as_str())
                    .and_then(|c| c.get("change"))
                    .and_then(|c| c.get("after_unknown")),
                expressions: cfg.get(base).and_then(|c| c.get("expressions")),
                address,
            })
        })
        .collect();
    // Addresses of instances, by address with and without index.
    let mut by_base: HashMap<String, Vec<&Inst<'_>>> = HashMap::new();
    for i in &insts {
        by_base
            .entry(split_index(&i.address).0.to_string())
            .or_default()
            .push(i);
    }
    let deleted = |i: &Inst<'_>| {
        changes
            .get(i.address.as_str())
            .and_then(|c| c.pointer("/change/actions"))
            .and_then(Value::as_array)
            .is_some_and(|a| a.len() == 1 && a[0] == "delete")
    };
    // A reference `aws_vpc.shared.id` (relative to the module `prefix`) → the instances it names:
    // one with an index, the one of the same index (`count.index`), or all of them (a splat).
    fn targets_in(
        prefix: &str,
        from_index: Option<&str>,
        r: &str,
        by_base: &HashMap<String, Vec<String>>,
        outputs: &HashMap<String, (String, Vec<String>)>,
        depth: usize,
    ) -> Vec<String> {
        if depth > 16 {
            return Vec::new();
        }
        let parts: Vec<&str> = r.split('.').collect();
        if parts.first() == Some(&"module") && parts.len() == 3 {
            // A module's output: what its expression references, inside the module.
            let key = format!("{prefix}{r}");
            let Some((inner, refs)) = outputs.get(&key) else {
                return Vec::new();
            };
            let mut out: Vec<String> = Vec::new();
            for x in refs {
                for t in targets_in(inner, None, x, by_base, outputs, depth + 1) {
                    if !out.contains(&t) {
                        out.push(t);
                    }
                }
                if !out.is_empty() {
                    break; // the first reference names the value; the rest are its parents
                }
            }
            return out;
        }
        let res = if parts.first() == Some(&"module") && parts.len() >= 4 {
            format!("{}.{}.{}.{}", parts[0], parts[1], parts[2], parts[3])
        } else if parts.len() >= 2 && parts[0].starts_with("aws_") {
            format!("{}.{}", parts[0], parts[1])
        } else {
            return Vec::new();
        };
        let full = format!("{prefix}{res}");
        let (base, index) = split_index(&full);
        let Some(list) = by_base.get(base) else {
            return Vec::new();
        };
        let index_of = |a: &String| split_index(a).1.map(str::to_string);
        match index {
            Some(ix) => list
                .iter()
                .filter(|a| index_of(a).as_deref() == Some(ix))
                .cloned()
                .collect(),
            None => match list
                .iter()
                .find(|a| from_index.is_some() && index_of(a).as_deref() == from_index)
            {
                Some(a) => vec![a.clone()],
                None => list.clone(),
            },
        }
    }
    let by_base_names: HashMap<String, Vec<String>> = by_base
        .iter()
        .map(|(k, v)| (k.clone(), v.iter().map(|i| i.address.clone()).collect()))
        .collect();
    let targets = |from: &Inst<'_>, r: &str| -> Vec<String> {
        targets_in(
            &from.module,
            from.index.as_deref(),
            r,
            &by_base_names,
            &outputs,
            0,
        )
    };
    let target =
        |from: &Inst<'_>, r: &str| -> Option<String> { targets(from, r).into_iter().next() };
    // The instances an attribute's expression references, in order.
    let referenced = |i: &Inst<'_>, key: &str| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in i
            .expressions
            .and_then(|e| e.get(key))
            .and_then(|e| e.get("references"))
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            for t in targets(i, r) {
                if !out.contains(&t) {
                    out.push(t);
                }
            }
            // `aws_subnet.app.id` comes before `aws_subnet.app`: the same target.
        }
        out
    };

    // A value by key: known in the plan, else the resource its expression references, else
    // unknown.
    let get = |i: &Inst<'_>, key: &str| -> Option<Value> {
        let v = i.values.get(key);
        let is_unknown = i
            .unknown
            .and_then(|u| u.get(key))
            .is_some_and(|u| u == &Value::Bool(true));
        if let Some(v) = v.filter(|v| !v.is_null()) {
            return Some(v.clone());
        }
        match referenced(i, key).as_slice() {
            [] if is_unknown => Some(unknown(format!("{key} of {}", i.address))),
            [] => None,
            [first, ..] => Some(reference(first)),
        }
    };
    // A list attribute: its known items, else every instance its expression references.
    let get_list = |i: &Inst<'_>, key: &str| -> Value {
        match i.values.get(key) {
            Some(Value::Array(a)) if a.iter().all(|x| !x.is_null()) => Value::Array(a.clone()),
            _ => Value::Array(referenced(i, key).iter().map(|t| reference(t)).collect()),
        }
    };
    let name_tag = |i: &Inst<'_>| i.values.get("tags").and_then(|t| t.get("Name")).cloned();
    let policy = |i: &Inst<'_>,
                  key: &str,
                  notes: &mut Vec<(String, String, bool)>|
     -> Option<Value> {
        match i.values.get(key) {
            Some(Value::String(s)) if !s.is_empty() => match serde_json::from_str::<Value>(s) {
                Ok(v) => Some(v),
                Err(_) => {
                    notes.push((
                        i.address.clone(),
                        "its policy is not JSON: left out".into(),
                        true,
                    ));
                    None
                }
            },
            _ if i.unknown.and_then(|u| u.get(key)) == Some(&Value::Bool(true))
                && i.expressions.is_some_and(|e| e.get(key).is_some()) =>
            {
                notes.push((i.address.clone(), "its policy is known only after apply (it interpolates ids AWS assigns): left out; write it in the topology".into(), true));
                None
            }
            _ => None,
        }
    };
    let mut out: Vec<Res> = Vec::new();
    for i in &insts {
        if deleted(i) {
            continue;
        }
        let mut a: BTreeMap<String, Value> = BTreeMap::new();
        let mut set = |k: &str, v: Option<Value>| {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                a.insert(k.to_string(), v);
            }
        };
        set("name", name_tag(i));
        let v = |k: &str| get(i, k);
        let sg_rule = |x: &Value| -> Value {
            let mut m = Map::new();
            m.insert(
                "protocol".into(),
                x.get("protocol").cloned().unwrap_or(json!("-1")),
            );
            m.insert(
                "from_port".into(),
                x.get("from_port").cloned().unwrap_or(Value::Null),
            );
            m.insert(
                "to_port".into(),
                x.get("to_port").cloned().unwrap_or(Value::Null),
            );
            let mut cidrs: Vec<Value> = Vec::new();
            for k in ["cidr_blocks", "ipv6_cidr_blocks"] {
                cidrs.extend(
                    x.get(k)
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            m.insert("cidrs".into(), Value::Array(cidrs));
            let mut sgs: Vec<Value> = x
                .get("security_groups")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if x.get("self") == Some(&Value::Bool(true)) {
                sgs.push(reference(&i.address));
            }
            m.insert("sgs".into(), Value::Array(sgs));
            m.insert(
                "prefix_lists".into(),
                x.get("prefix_list_ids").cloned().unwrap_or(json!([])),
            );
            Value::Object(m)
        };
        let kind = match i.ty {
            "aws_vpc" => {
                set("cidr", v("cidr_block"));
                set(
                    "ipv6_cidr",
                    i.values
                        .get("ipv6_cidr_block")
                        .cloned()
                        .filter(|c| c.as_str().is_some_and(|s| !s.is_empty())),
                );
                Kind::Vpc
            }
            "aws_subnet" => {
                set("vpc", v("vpc_id"));
                set("cidr", v("cidr_block"));
                set("az", v("availability_zone"));
                set(
                    "ipv6_cidr",
                    i.values
                        .get("ipv6_cidr_block")
                        .cloned()
                        .filter(|c| c.as_str().is_some_and(|s| !s.is_empty())),
                );
                Kind::Subnet
            }
            "aws_route_table" => {
                set("vpc", v("vpc_id"));
                // Inline routes become routes of their own; `propagating_vgws` propagations.
                for (n, r) in i
                    .values
                    .get("route")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let mut ra: BTreeMap<String, Value> = BTreeMap::new();
                    ra.insert("table".into(), reference(&i.address));
                    if let Some(d) = r
                        .get("cidr_block")
                        .or(r.get("ipv6_cidr_block"))
                        .or(r.get("destination_prefix_list_id"))
                        .filter(|d| d.as_str().is_some_and(|s| !s.is_empty()))
                    {
                        ra.insert("destination".into(), d.clone());
                    }
                    route_target(r, &mut ra);
                    out.push(Res {
                        kind: Kind::Route,
                        key: format!("{}.route[{n}]", i.address),
                        attrs: ra,
                    });
                }
                for g in get_list(i, "propagating_vgws")
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    out.push(Res {
                        kind: Kind::Propagation,
                        key: format!("{}.propagating_vgws", i.address),
                        attrs: [
                            ("table".to_string(), reference(&i.address)),
                            ("gateway".to_string(), g.clone()),
                        ]
                        .into_iter()
                        .collect(),
                    });
                }
                Kind::RouteTable
            }
            "aws_route" => {
                set("table", v("route_table_id"));
                set(
                    "destination",
                    v("destination_cidr_block")
                        .or(v("destination_ipv6_cidr_block"))
                        .or(v("destination_prefix_list_id")),
                );
                for (k, ours) in [
                    ("gateway_id", "gateway"),
                    ("nat_gateway_id", "nat"),
                    ("vpc_peering_connection_id", "peering"),
                    ("instance_id", "instance"),
                ] {
                    if let Some(x) = v(k).filter(|x| x.as_str() != Some("")) {
                        set(ours, Some(x));
                    }
                }
                for other in [
                    "transit_gateway_id",
                    "egress_only_gateway_id",
                    "network_interface_id",
                    "carrier_gateway_id",
                    "local_gateway_id",
                    "vpc_endpoint_id",
                    "core_network_arn",
                ] {
                    if v(other).is_some_and(|x| x.as_str() != Some("")) {
                        set("other", Some(json!(other)));
                    }
                }
                Kind::Route
            }
            "aws_route_table_association" => {
                set("table", v("route_table_id"));
                set("subnet", v("subnet_id"));
                if !a.contains_key("subnet") {
                    continue; // an edge association (gateway_id)
                }
                Kind::TableAssociation
            }
            "aws_main_route_table_association" => {
                set("table", v("route_table_id"));
                set("vpc", v("vpc_id"));
                Kind::MainTable
            }
            "aws_internet_gateway" => {
                set("vpc", v("vpc_id"));
                Kind::InternetGateway
            }
            "aws_internet_gateway_attachment" | "aws_vpn_gateway_attachment" => {
                set("vpc", v("vpc_id"));
                set("gateway", v("internet_gateway_id").or(v("vpn_gateway_id")));
                Kind::GatewayAttachment
            }
            "aws_vpn_gateway" => {
                set("vpc", v("vpc_id"));
                set("asn", v("amazon_side_asn"));
                Kind::VpnGateway
            }
            "aws_vpn_gateway_route_propagation" => {
                set("table", v("route_table_id"));
                set("gateway", v("vpn_gateway_id"));
                Kind::Propagation
            }
            "aws_nat_gateway" => {
                set("subnet", v("subnet_id"));
                set("public_ip", v("allocation_id"));
                set(
                    "private",
                    v("connectivity_type").map(|c| json!(c == "private")),
                );
                Kind::NatGateway
            }
            "aws_eip" => {
                set("public_ip", i.values.get("public_ip").cloned());
                Kind::ElasticIp
            }
            "aws_customer_gateway" => {
                set("ip", v("ip_address"));
                set("asn", v("bgp_asn"));
                Kind::CustomerGateway
            }
            "aws_vpn_connection" => {
                if v("transit_gateway_id").is_some_and(|x| x.as_str() != Some("")) {
                    notes.push((
                        i.address.clone(),
                        "a VPN to a transit gateway: not modelled yet; skipped".into(),
                        true,
                    ));
                    continue;
                }
                set("vpn_gateway", v("vpn_gateway_id"));
                set("customer_gateway", v("customer_gateway_id"));
                set("static", v("static_routes_only"));
                Kind::VpnConnection
            }
            "aws_vpn_connection_route" => {
                set("vpn", v("vpn_connection_id"));
                set("cidr", v("destination_cidr_block"));
                Kind::VpnRoute
            }
            "aws_vpc_peering_connection" => {
                set("vpc", v("vpc_id"));
                set("peer_vpc", v("peer_vpc_id"));
                Kind::Peering
            }
            "aws_security_group" => {
                set("vpc", v("vpc_id"));
                set("name", v("name").or(name_tag(i)));
                set("description", v("description"));
                let rules = |k: &str| {
                    Value::Array(
                        i.values
                            .get(k)
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .map(sg_rule)
                            .collect(),
                    )
                };
                set("ingress", Some(rules("ingress")));
                if i.values
                    .get("egress")
                    .is_some_and(|e| e.as_array().is_some_and(|a| !a.is_empty()))
                {
                    set("egress", Some(rules("egress")));
                } else {
                    // Terraform removes AWS's default egress rule unless it is declared.
                    set("egress", Some(json!([])));
                }
                Kind::SecurityGroup
            }
            "aws_security_group_rule" => {
                set("sg", v("security_group_id"));
                set(
                    "egress",
                    Some(json!(
                        i.values.get("type").and_then(Value::as_str) == Some("egress")
                    )),
                );
                let mut x = i.values.clone();
                if let (Some(m), Some(src)) = (x.as_object_mut(), v("source_security_group_id")) {
                    m.insert("security_groups".into(), json!([src]));
                }
                if let Value::Object(m) = sg_rule(&x) {
                    for (k, val) in m {
                        set(&k, Some(val));
                    }
                }
                if i.values.get("self") == Some(&Value::Bool(true)) {
                    set("sgs", v("security_group_id").map(|s| json!([s])));
                }
                Kind::SecurityGroupRule
            }
            "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                set("sg", v("security_group_id"));
                set("egress", Some(json!(i.ty.ends_with("egress_rule"))));
                set("protocol", v("ip_protocol"));
                set("from_port", v("from_port"));
                set("to_port", v("to_port"));
                let cidrs: Vec<Value> = ["cidr_ipv4", "cidr_ipv6"]
                    .iter()
                    .filter_map(|k| i.values.get(*k).cloned().filter(|c| !c.is_null()))
                    .collect();
                set("cidrs", Some(Value::Array(cidrs)));
                set("sgs", v("referenced_security_group_id").map(|s| json!([s])));
                set("prefix_lists", v("prefix_list_id").map(|s| json!([s])));
                Kind::SecurityGroupRule
            }
            "aws_network_acl" | "aws_default_network_acl" => {
                set("vpc", v("vpc_id"));
                set("subnets", Some(get_list(i, "subnet_ids")));
                let entries = |k: &str, egress: bool| -> Vec<Value> {
                    i.values.get(k).and_then(Value::as_array).into_iter().flatten().map(|e| json!({
                        "number": e.get("rule_no"), "protocol": e.get("protocol"), "action": e.get("action"),
                        "cidr": e.get("cidr_block").filter(|c| c.as_str().is_some_and(|s| !s.is_empty())).or(e.get("ipv6_cidr_block")),
                        "from_port": e.get("from_port"), "to_port": e.get("to_port"), "egress": egress,
                    })).collect()
                };
                let mut all = entries("ingress", false);
                all.extend(entries("egress", true));
                set("entries", Some(Value::Array(all)));
                Kind::NetworkAcl
            }
            "aws_network_acl_rule" => {
                set("acl", v("network_acl_id"));
                set("number", v("rule_number"));
                set("protocol", v("protocol"));
                set("action", v("rule_action"));
                set("egress", v("egress"));
                set("cidr", v("cidr_block").or(v("ipv6_cidr_block")));
                set("from_port", v("from_port"));
                set("to_port", v("to_port"));
                Kind::AclEntry
            }
            "aws_network_acl_association" => {
                set("acl", v("network_acl_id"));
                set("subnet", v("subnet_id"));
                Kind::AclAssociation
            }
            "aws_vpc_endpoint" => {
                set("vpc", v("vpc_id"));
                set("service", v("service_name"));
                set("type", v("vpc_endpoint_type"));
                set("route_tables", Some(get_list(i, "route_table_ids")));
                set("subnets", Some(get_list(i, "subnet_ids")));
                set("sgs", Some(get_list(i, "security_group_ids")));
                set("private_dns", v("private_dns_enabled"));
                set("policy", policy(i, "policy", &mut notes));
                Kind::Endpoint
            }
            "aws_vpc_endpoint_route_table_association" => {
                set("endpoint", v("vpc_endpoint_id"));
                set("route_table", v("route_table_id"));
                Kind::EndpointRouteTable
            }
            "aws_vpc_endpoint_subnet_association" => {
                set("endpoint", v("vpc_endpoint_id"));
                set("subnet", v("subnet_id"));
                Kind::EndpointSubnet
            }
            "aws_instance" => {
                set("subnet", v("subnet_id"));
                set("ip", v("private_ip"));
                set("sgs", Some(get_list(i, "vpc_security_group_ids")));
                Kind::Instance
            }
            "aws_route53_zone" => {
                set("domain", v("name"));
                let vpcs: Vec<Value> = i
                    .values
                    .get("vpc")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|x| x.get("vpc_id").cloned().filter(|v| !v.is_null()))
                    .collect();
                let vpcs = if vpcs.is_empty()
                    && i.values
                        .get("vpc")
                        .is_some_and(|x| x.as_array().is_some_and(|a| !a.is_empty()))
                {
                    // `vpc { vpc_id = aws_vpc.x.id }`: the id is unknown in the plan.
                    i.expressions
                        .and_then(|e| e.get("vpc"))
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|b| {
                            b.get("vpc_id")?
                                .get("references")?
                                .as_array()?
                                .iter()
                                .filter_map(Value::as_str)
                                .find_map(|r| target(i, r))
                        })
                        .map(|t| reference(&t))
                        .collect()
                } else {
                    vpcs
                };
                set("vpcs", Some(Value::Array(vpcs)));
                Kind::HostedZone
            }
            "aws_route53_zone_association" => {
                set("zone", v("zone_id"));
                set("vpc", v("vpc_id"));
                Kind::ZoneAssociation
            }
            "aws_route53_record" => {
                set("zone", v("zone_id"));
                set("name", v("name"));
                set("type", v("type"));
                set("ttl", v("ttl"));
                set("values", v("records"));
                if i.values
                    .get("alias")
                    .is_some_and(|x| x.as_array().is_some_and(|a| !a.is_empty()))
                {
                    // The alias target is an endpoint's DNS name, known after apply: its reference.
                    let r = i
                        .expressions
                        .and_then(|e| e.get("alias"))
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                        .and_then(|b| {
                            b.get("name")?
                                .get("references")?
                                .as_array()?
                                .iter()
                                .filter_map(Value::as_str)
                                .find_map(|r| target(i, r))
                        });
                    set(
                        "alias",
                        Some(
                            r.map(|t| reference(&t))
                                .unwrap_or_else(|| unknown("the alias target")),
                        ),
                    );
                }
                Kind::Record
            }
            "aws_route53_resolver_endpoint" => {
                set("direction", v("direction"));
                let ips: Vec<Value> = i
                    .values
                    .get("ip_address")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                    .map(|(n, x)| {
                        let subnet = x
                            .get("subnet_id")
                            .cloned()
                            .filter(|s| !s.is_null())
                            .or_else(|| {
                                let refs = i
                                    .expressions?
                                    .get("ip_address")?
                                    .as_array()?
                                    .get(n)?
                                    .get("subnet_id")?
                                    .get("references")?
                                    .as_array()?
                                    .clone();
                                refs.iter()
                                    .filter_map(Value::as_str)
                                    .find_map(|r| target(i, r))
                                    .map(|t| reference(&t))
                            });
                        json!({ "subnet": subnet, "ip": x.get("ip") })
                    })
                    .collect();
                set("ips", Some(Value::Array(ips)));
                set("sgs", Some(get_list(i, "security_group_ids")));
                Kind::ResolverEndpoint
            }
            "aws_route53_resolver_rule" => {
                set("domain", v("domain_name"));
                set("type", v("rule_type"));
                let t: Vec<Value> = i
                    .values
                    .get("target_ip")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|x| json!({ "ip": x.get("ip"), "port": x.get("port") }))
                    .collect();
                set("targets", Some(Value::Array(t)));
                set("endpoint", v("resolver_endpoint_id"));
                set("name", v("name"));
                Kind::ResolverRule
            }
            "aws_route53_resolver_rule_association" => {
                set("rule", v("resolver_rule_id"));
                set("vpc", v("vpc_id"));
                Kind::ResolverRuleAssociation
            }
            "aws_s3_bucket" => {
                set("name", i.values.get("bucket").cloned());
                Kind::Bucket
            }
            "aws_s3_bucket_policy" => {
                set("bucket", v("bucket"));
                set("policy", policy(i, "policy", &mut notes));
                Kind::BucketPolicy
            }
            "aws_dx_private_virtual_interface" => {
                set("vpn_gateway", v("vpn_gateway_id"));
                set("dx_gateway", v("dx_gateway_id"));
                set("connection", v("connection_id"));
                set("asn", v("bgp_asn"));
                set("name", v("name"));
                Kind::DxInterface
            }
            t if t.starts_with("aws_dx_")
                || t.starts_with("aws_ec2_transit_gateway")
                || t.starts_with("aws_egress_only") =>
            {
                notes.push((
                    i.address.clone(),
                    format!("{t}: not imported yet; add it to the topology by hand"),
                    true,
                ));
                continue;
            }
            t if t.starts_with("aws_vpc")
                || t.starts_with("aws_route")
                || t.starts_with("aws_default_")
                || t.starts_with("aws_network_")
                || t.starts_with("aws_s3_")
                || t.starts_with("aws_security_group") =>
            {
                notes.push((
                    i.address.clone(),
                    format!("{t}: not a resource vpcsim imports"),
                    false,
                ));
                continue;
            }
            _ => continue,
        };
        out.push(Res {
            kind,
            key: i.address.clone(),
            attrs: a,
        });
    }
    let src = Source {
        after: "the plan is applied",
        account: opts.account.clone(),
        region,
    };
    let mut net = res::build(
        &out,
        &src,
        name,
        "Imported from a Terraform plan (vpcsim import terraform).",
    );
    for (at, msg, warn) in notes {
        if warn {
            net.warn(at, msg);
        } else {
            net.info(at, msg);
        }
    }
    net
}

/// The target of an inline route of `aws_route_table`.
fn route_target(r: &Value, out: &mut BTreeMap<String, Value>) {
    let s = |k: &str| r.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
    if let Some(g) = s("gateway_id") {
        out.insert("gateway".into(), json!(g));
    } else if let Some(n) = s("nat_gateway_id") {
        out.insert("nat".into(), json!(n));
    } else if let Some(p) = s("vpc_peering_connection_id") {
        out.insert("peering".into(), json!(p));
    } else {
        out.insert("other".into(), json!("an inline route target"));
    }
}

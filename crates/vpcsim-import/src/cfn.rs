//! `vpcsim import cloudformation TEMPLATE`: the VPC, Route 53, Route 53 Resolver and S3 bucket
//! policy resources of a CloudFormation template (JSON, or YAML with the short-form tags `!Ref`,
//! `!GetAtt`, `!Sub`…), with the intrinsic functions evaluated where their values are static:
//! `Ref` (parameters with defaults, pseudo parameters, resources), `Fn::GetAtt`, `Fn::Sub`,
//! `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::GetAZs`, `Fn::Cidr`, `Fn::FindInMap`, `Fn::If`
//! with `Conditions`. What cannot be known before the stack is deployed is reported, not invented.

use std::collections::BTreeMap;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use saphyr_parser::{Event, Parser, ScalarStyle};
use serde_json::{Map, Value, json};

use crate::net::Net;
use crate::res::{self, Kind, Res, Source, reference, unknown, unknown_of};

/// The most nodes a template may have (aliases expanded): a bound on memory.
const MAX_NODES: usize = 1_000_000;

/// Reads a template: JSON, or YAML with CloudFormation's short-form tags.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text)
            .map_err(|e| format!("line {}, column {}: {e}", e.line(), e.column()));
    }
    let mut parser = Parser::new_from_str(text);
    enum Frame {
        Seq(Vec<Value>, Option<String>, usize),
        Map(Map<String, Value>, Option<String>, Option<String>, usize),
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: BTreeMap<usize, Value> = BTreeMap::new();
    let mut root: Option<Value> = None;
    let mut nodes = 0usize;
    let tagged = |tag: Option<String>, v: Value| -> Value {
        match tag.as_deref() {
            None => v,
            Some("Ref") => json!({ "Ref": v }),
            Some("Condition") => json!({ "Condition": v }),
            Some("GetAtt") => match v {
                Value::String(s) => {
                    let (a, b) = s.split_once('.').unwrap_or((&s, ""));
                    json!({ "Fn::GetAtt": [a, b] })
                }
                other => json!({ "Fn::GetAtt": other }),
            },
            Some(t) => json!({ format!("Fn::{t}"): v }),
        }
    };
    let tag_of = |t: Option<std::borrow::Cow<'_, saphyr_parser::Tag>>| -> Option<String> {
        t.filter(|t| t.handle == "!" && !t.suffix.is_empty())
            .map(|t| t.suffix.clone())
    };
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Err(e)) => {
                return Err(format!(
                    "line {}, column {}: {}",
                    e.marker().line(),
                    e.marker().col() + 1,
                    e.info()
                ));
            }
            Some(Ok(x)) => x,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(format!(
                "more than {MAX_NODES} YAML nodes: not a template vpcsim reads"
            ));
        }
        let _ = span;
        let done: Option<(Value, usize)> = match event {
            Event::Scalar(text, style, anchor, tag) => {
                let t = tag_of(tag);
                let v = if style == ScalarStyle::Plain && t.is_none() {
                    match text.as_ref() {
                        "true" | "True" => Value::Bool(true),
                        "false" | "False" => Value::Bool(false),
                        "null" | "~" | "" => Value::Null,
                        s => s
                            .parse::<i64>()
                            .map(Value::from)
                            .unwrap_or_else(|_| Value::String(s.to_string())),
                    }
                } else {
                    Value::String(text.into_owned())
                };
                Some((tagged(t, v), anchor))
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some(v) => {
                    nodes += count(v);
                    if nodes > MAX_NODES {
                        return Err(format!(
                            "more than {MAX_NODES} YAML nodes once aliases are expanded"
                        ));
                    }
                    Some((v.clone(), 0))
                }
                None => return Err("an alias names no anchor defined before it".into()),
            },
            Event::SequenceStart(anchor, tag) => {
                stack.push(Frame::Seq(Vec::new(), tag_of(tag), anchor));
                None
            }
            Event::MappingStart(anchor, tag) => {
                stack.push(Frame::Map(Map::new(), None, tag_of(tag), anchor));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(items, tag, anchor)) => {
                    Some((tagged(tag, Value::Array(items)), anchor))
                }
                _ => return Err("unbalanced YAML".into()),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(m, _, tag, anchor)) => {
                    Some((tagged(tag, Value::Object(m)), anchor))
                }
                _ => return Err("unbalanced YAML".into()),
            },
            Event::DocumentStart(_) if root.is_some() => {
                return Err("a template is one YAML document".into());
            }
            _ => None,
        };
        if let Some((v, anchor)) = done {
            if anchor > 0 {
                anchors.insert(anchor, v.clone());
            }
            match stack.last_mut() {
                None => root = Some(v),
                Some(Frame::Seq(items, _, _)) => items.push(v),
                Some(Frame::Map(m, key, _, _)) => match key.take() {
                    None => {
                        let k = match v {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        *key = Some(k);
                    }
                    Some(k) => {
                        m.insert(k, v);
                    }
                },
            }
        }
    }
    root.ok_or_else(|| "an empty template".into())
}

fn count(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
        Value::Object(m) => 1 + m.values().map(count).sum::<usize>(),
        _ => 1,
    }
}

/// The template's context: parameters, mappings, conditions, resources, and where it deploys.
struct Ctx<'a> {
    params: &'a Map<String, Value>,
    overrides: &'a BTreeMap<String, String>,
    mappings: &'a Map<String, Value>,
    conditions: &'a Map<String, Value>,
    resources: &'a Map<String, Value>,
    region: String,
    account: String,
    notes: Vec<(String, String)>,
    at: String,
}

impl Ctx<'_> {
    fn note(&mut self, msg: String) {
        let at = self.at.clone();
        if !self.notes.iter().any(|(a, m)| *a == at && *m == msg) {
            self.notes.push((at, msg));
        }
    }

    /// Evaluates intrinsic functions in `v`.
    fn eval(&mut self, v: &Value, depth: usize) -> Value {
        if depth > 64 {
            return unknown("intrinsic functions nested too deep");
        }
        match v {
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.eval(x, depth + 1))
                    .filter(|x| !is_no_value(x))
                    .collect(),
            ),
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m.iter().next().expect("one entry");
                match k.as_str() {
                    "Ref" => self.reference(arg),
                    "Fn::GetAtt" => self.get_att(arg, depth),
                    "Fn::Sub" => self.sub(arg, depth),
                    "Fn::Join" => {
                        let a = self.eval(arg, depth + 1);
                        match (
                            a.get(0).and_then(Value::as_str),
                            a.get(1).and_then(Value::as_array),
                        ) {
                            (Some(d), Some(items)) if items.iter().all(Value::is_string) => {
                                Value::String(
                                    items
                                        .iter()
                                        .filter_map(Value::as_str)
                                        .collect::<Vec<_>>()
                                        .join(d),
                                )
                            }
                            _ => unknown("Fn::Join of values known only once deployed"),
                        }
                    }
                    "Fn::Select" => {
                        let a = self.eval(arg, depth + 1);
                        let i = a
                            .get(0)
                            .and_then(|i| i.as_u64().or_else(|| i.as_str()?.parse().ok()));
                        match (i, a.get(1).and_then(Value::as_array)) {
                            (Some(i), Some(items)) => items
                                .get(i as usize)
                                .cloned()
                                .unwrap_or_else(|| unknown("Fn::Select out of range")),
                            _ => unknown("Fn::Select of values known only once deployed"),
                        }
                    }
                    "Fn::Split" => {
                        let a = self.eval(arg, depth + 1);
                        match (
                            a.get(0).and_then(Value::as_str),
                            a.get(1).and_then(Value::as_str),
                        ) {
                            (Some(d), Some(s)) if !d.is_empty() => {
                                Value::Array(s.split(d).map(|x| json!(x)).collect())
                            }
                            _ => unknown("Fn::Split of a value known only once deployed"),
                        }
                    }
                    "Fn::GetAZs" => {
                        let r = self.eval(arg, depth + 1);
                        let region = r
                            .as_str()
                            .filter(|s| !s.is_empty())
                            .map_or(self.region.clone(), str::to_string);
                        self.note(format!("Fn::GetAZs: the zones of {region} are taken to be {region}a, {region}b, {region}c (the account's own list may differ)"));
                        json!([
                            format!("{region}a"),
                            format!("{region}b"),
                            format!("{region}c")
                        ])
                    }
                    "Fn::Cidr" => {
                        let a = self.eval(arg, depth + 1);
                        cidr(&a).unwrap_or_else(|| {
                            unknown("Fn::Cidr of values known only once deployed")
                        })
                    }
                    "Fn::FindInMap" => {
                        let a = self.eval(arg, depth + 1);
                        let keys: Vec<&str> = a
                            .as_array()
                            .map(|x| x.iter().filter_map(Value::as_str).collect())
                            .unwrap_or_default();
                        match keys.as_slice() {
                            [m, k1, k2] => self
                                .mappings
                                .get(*m)
                                .and_then(|x| x.get(*k1))
                                .and_then(|x| x.get(*k2))
                                .cloned()
                                .map(|x| self.eval(&x, depth + 1))
                                .unwrap_or_else(|| {
                                    unknown(format!("no {m}/{k1}/{k2} in Mappings"))
                                }),
                            _ => unknown("Fn::FindInMap of values known only once deployed"),
                        }
                    }
                    "Fn::If" => {
                        let a = arg.as_array().cloned().unwrap_or_default();
                        let cond = a
                            .first()
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string();
                        match self.condition(&cond, depth) {
                            Some(true) => a
                                .get(1)
                                .map(|x| self.eval(x, depth + 1))
                                .unwrap_or(Value::Null),
                            Some(false) => a
                                .get(2)
                                .map(|x| self.eval(x, depth + 1))
                                .unwrap_or(Value::Null),
                            None => {
                                self.note(format!("condition {cond} is not known before deployment: its true branch is taken"));
                                a.get(1)
                                    .map(|x| self.eval(x, depth + 1))
                                    .unwrap_or(Value::Null)
                            }
                        }
                    }
                    "Fn::ImportValue" => unknown("Fn::ImportValue: an export of another stack"),
                    "Fn::Base64" | "Fn::Length" | "Fn::ToJsonString" | "Fn::Transform"
                    | "Fn::GetParam" => unknown(format!("{k} is not evaluated by vpcsim")),
                    _ => Value::Object(
                        m.iter()
                            .map(|(k, x)| (k.clone(), self.eval(x, depth + 1)))
                            .collect(),
                    ),
                }
            }
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, x)| (k.clone(), self.eval(x, depth + 1)))
                    .filter(|(_, x)| !is_no_value(x))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn reference(&mut self, arg: &Value) -> Value {
        let Some(name) = arg.as_str() else {
            return unknown("Ref of something other than a name");
        };
        match name {
            "AWS::Region" => Value::String(self.region.clone()),
            "AWS::AccountId" => Value::String(self.account.clone()),
            "AWS::Partition" => json!("aws"),
            "AWS::URLSuffix" => json!("amazonaws.com"),
            "AWS::NoValue" => json!({ "$novalue": true }),
            "AWS::StackName" | "AWS::StackId" => unknown(format!("{name} is known once deployed")),
            _ if self.resources.contains_key(name) => reference(name),
            _ => {
                if let Some(v) = self.overrides.get(name) {
                    return Value::String(v.clone());
                }
                match self.params.get(name) {
                    Some(p) => match p.get("Default") {
                        Some(d) => match d {
                            Value::Number(n) => Value::String(n.to_string()),
                            other => other.clone(),
                        },
                        None => {
                            self.note(format!("parameter {name} has no Default: give it with --parameter {name}=VALUE"));
                            unknown(format!("parameter {name} has no Default"))
                        }
                    },
                    None => unknown(format!(
                        "Ref to {name}, which is neither a parameter nor a resource"
                    )),
                }
            }
        }
    }

    fn get_att(&mut self, arg: &Value, depth: usize) -> Value {
        let a = self.eval(arg, depth + 1);
        let (Some(res), Some(att)) = (
            a.get(0).and_then(Value::as_str),
            a.get(1).and_then(Value::as_str),
        ) else {
            return unknown("Fn::GetAtt with names known only once deployed");
        };
        let Some(r) = self.resources.get(res) else {
            return unknown(format!("Fn::GetAtt of {res}, which is not a resource"));
        };
        let props = r.get("Properties").cloned().unwrap_or(Value::Null);
        let prop = |k: &str| props.get(k).cloned();
        let from = match (r.get("Type").and_then(Value::as_str), att) {
            (Some("AWS::EC2::VPC"), "CidrBlock") => prop("CidrBlock"),
            (Some("AWS::EC2::Subnet"), "AvailabilityZone") => prop("AvailabilityZone"),
            (Some("AWS::EC2::Subnet"), "CidrBlock") => prop("CidrBlock"),
            (Some("AWS::EC2::Subnet"), "VpcId") => prop("VpcId"),
            (Some("AWS::EC2::EIP"), "PublicIp") => {
                return unknown("an Elastic IP's address is known once deployed");
            }
            (
                _,
                "Id" | "GroupId" | "AllocationId" | "VpcId" | "RouteTableId" | "ResolverEndpointId"
                | "ResolverRuleId" | "Arn",
            ) => {
                return reference(res);
            }
            _ => return unknown(format!("{res}.{att} is known once deployed")),
        };
        match from {
            Some(v) => self.eval(&v, depth + 1),
            None => unknown(format!("{res}.{att} is not set in the template")),
        }
    }

    fn sub(&mut self, arg: &Value, depth: usize) -> Value {
        let (template, vars) = match arg {
            Value::String(s) => (s.clone(), Map::new()),
            Value::Array(a) => (
                a.first()
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                a.get(1)
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default(),
            ),
            _ => return unknown("Fn::Sub of something other than text"),
        };
        let mut out = String::new();
        let mut rest = template.as_str();
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(literal) = after.strip_prefix('!') {
                // `${!Literal}` is written as `${Literal}`.
                out.push_str("${");
                rest = literal;
                continue;
            }
            let Some(end) = after.find('}') else {
                return unknown("Fn::Sub with an unclosed ${");
            };
            let name = &after[..end];
            let value = match vars.get(name) {
                Some(v) => self.eval(v, depth + 1),
                None => match name.split_once('.') {
                    Some((r, att)) if self.resources.contains_key(r) => {
                        self.get_att(&json!([r, att]), depth)
                    }
                    _ => self.reference(&json!(name)),
                },
            };
            match value {
                Value::String(s) => out.push_str(&s),
                Value::Number(n) => out.push_str(&n.to_string()),
                _ => return unknown(format!("Fn::Sub: ${{{name}}} is known once deployed")),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Value::String(out)
    }

    /// A condition's value, when the template settles it.
    fn condition(&mut self, name: &str, depth: usize) -> Option<bool> {
        let c = self.conditions.get(name)?.clone();
        self.truth(&c, depth + 1)
    }

    fn truth(&mut self, c: &Value, depth: usize) -> Option<bool> {
        if depth > 64 {
            return None;
        }
        let (k, arg) = c.as_object()?.iter().next()?;
        match k.as_str() {
            "Fn::Equals" => {
                let a = self.eval(arg, depth + 1);
                let (x, y) = (a.get(0)?, a.get(1)?);
                if unknown_of(x).is_some() || unknown_of(y).is_some() {
                    return None;
                }
                Some(x == y || x.to_string().trim_matches('"') == y.to_string().trim_matches('"'))
            }
            "Fn::Not" => Some(!self.truth(arg.get(0)?, depth + 1)?),
            "Fn::And" => arg
                .as_array()?
                .iter()
                .map(|x| self.truth(x, depth + 1))
                .try_fold(true, |acc, v| Some(acc && v?)),
            "Fn::Or" => arg
                .as_array()?
                .iter()
                .map(|x| self.truth(x, depth + 1))
                .try_fold(false, |acc, v| Some(acc || v?)),
            "Condition" => self.condition(arg.as_str()?, depth + 1),
            _ => None,
        }
    }
}

fn is_no_value(v: &Value) -> bool {
    v.get("$novalue").is_some()
}

/// `Fn::Cidr [block, count, bits]`: the first `count` subnets of `block` with `bits` host bits.
fn cidr(a: &Value) -> Option<Value> {
    let block: IpNet = a.get(0)?.as_str()?.parse().ok()?;
    let num = |v: &Value| v.as_u64().or_else(|| v.as_str()?.parse().ok());
    let count = num(a.get(1)?)? as usize;
    let bits = num(a.get(2)?)? as u8;
    let out: Vec<Value> = match block {
        IpNet::V4(n) => {
            let prefix = 32u8.checked_sub(bits)?;
            let n: Ipv4Net = Ipv4Net::new(n.network(), n.prefix_len()).ok()?;
            n.subnets(prefix)
                .ok()?
                .take(count.min(256))
                .map(|s| json!(s.to_string()))
                .collect()
        }
        IpNet::V6(n) => {
            let prefix = 128u8.checked_sub(bits)?;
            let n: Ipv6Net = Ipv6Net::new(n.network(), n.prefix_len()).ok()?;
            n.subnets(prefix)
                .ok()?
                .take(count.min(256))
                .map(|s| json!(s.to_string()))
                .collect()
        }
    };
    Some(Value::Array(out))
}

fn tag_name(props: &Value) -> Option<Value> {
    props
        .get("Tags")?
        .as_array()?
        .iter()
        .find(|t| t.get("Key").and_then(Value::as_str) == Some("Name"))
        .and_then(|t| t.get("Value").cloned())
}

/// Where the stack deploys and what its parameters are.
pub struct Options {
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account: String,
    /// Parameter values (over the template's defaults).
    pub parameters: BTreeMap<String, String>,
}

/// Imports a parsed template.
pub fn import(template: &Value, opts: &Options, name: &str) -> Net {
    let empty = Map::new();
    let obj = |k: &str| template.get(k).and_then(Value::as_object).unwrap_or(&empty);
    let mut ctx = Ctx {
        params: obj("Parameters"),
        overrides: &opts.parameters,
        mappings: obj("Mappings"),
        conditions: obj("Conditions"),
        resources: obj("Resources"),
        region: opts.region.clone(),
        account: opts.account.clone(),
        notes: Vec::new(),
        at: String::new(),
    };
    let mut out: Vec<Res> = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    let resources = obj("Resources");
    for (key, r) in resources {
        ctx.at = key.clone();
        let Some(ty) = r.get("Type").and_then(Value::as_str) else {
            skipped.push((key.clone(), "a resource without a Type".into()));
            continue;
        };
        if let Some(c) = r.get("Condition").and_then(Value::as_str)
            && ctx.condition(c, 0) == Some(false)
        {
            continue; // not created
        }
        let props = ctx.eval(r.get("Properties").unwrap_or(&Value::Null), 0);
        let p = |k: &str| props.get(k).cloned();
        let mut a: BTreeMap<String, Value> = BTreeMap::new();
        let mut set = |k: &str, v: Option<Value>| {
            if let Some(v) = v.filter(|v| !v.is_null()) {
                a.insert(k.to_string(), v);
            }
        };
        set("name", tag_name(&props));
        let rule = |x: &Value, egress: bool| -> Value {
            let mut m = Map::new();
            m.insert(
                "protocol".into(),
                x.get("IpProtocol").cloned().unwrap_or(json!("-1")),
            );
            if let Some(f) = x.get("FromPort") {
                m.insert("from_port".into(), f.clone());
            }
            if let Some(t) = x.get("ToPort") {
                m.insert("to_port".into(), t.clone());
            }
            let cidrs: Vec<Value> = ["CidrIp", "CidrIpv6"]
                .iter()
                .filter_map(|k| x.get(*k).cloned())
                .collect();
            m.insert("cidrs".into(), Value::Array(cidrs));
            let sg = if egress {
                "DestinationSecurityGroupId"
            } else {
                "SourceSecurityGroupId"
            };
            m.insert(
                "sgs".into(),
                Value::Array(x.get(sg).cloned().into_iter().collect()),
            );
            let pl = if egress {
                "DestinationPrefixListId"
            } else {
                "SourcePrefixListId"
            };
            m.insert(
                "prefix_lists".into(),
                Value::Array(x.get(pl).cloned().into_iter().collect()),
            );
            Value::Object(m)
        };
        let kind = match ty {
            "AWS::EC2::VPC" => {
                set("cidr", p("CidrBlock"));
                if p("Ipv4IpamPoolId").is_some() && p("CidrBlock").is_none() {
                    set(
                        "cidr",
                        Some(unknown("the VPC's CIDR comes from an IPAM pool")),
                    );
                }
                Kind::Vpc
            }
            "AWS::EC2::VPCCidrBlock" => {
                skipped.push((
                    key.clone(),
                    "a secondary VPC CIDR block: add it to the VPC's `cidr:` by hand".into(),
                ));
                continue;
            }
            "AWS::EC2::Subnet" => {
                set("vpc", p("VpcId"));
                set("cidr", p("CidrBlock"));
                set("ipv6_cidr", p("Ipv6CidrBlock"));
                set("az", p("AvailabilityZone"));
                Kind::Subnet
            }
            "AWS::EC2::RouteTable" => {
                set("vpc", p("VpcId"));
                Kind::RouteTable
            }
            "AWS::EC2::Route" => {
                set("table", p("RouteTableId"));
                set(
                    "destination",
                    p("DestinationCidrBlock")
                        .or(p("DestinationIpv6CidrBlock"))
                        .or(p("DestinationPrefixListId")),
                );
                set("gateway", p("GatewayId"));
                set("nat", p("NatGatewayId"));
                set("peering", p("VpcPeeringConnectionId"));
                set("instance", p("InstanceId"));
                for other in [
                    "TransitGatewayId",
                    "EgressOnlyInternetGatewayId",
                    "NetworkInterfaceId",
                    "CarrierGatewayId",
                    "LocalGatewayId",
                    "VpcEndpointId",
                    "CoreNetworkArn",
                ] {
                    if p(other).is_some() {
                        set("other", Some(json!(other)));
                    }
                }
                Kind::Route
            }
            "AWS::EC2::SubnetRouteTableAssociation" => {
                set("table", p("RouteTableId"));
                set("subnet", p("SubnetId"));
                Kind::TableAssociation
            }
            "AWS::EC2::InternetGateway" => Kind::InternetGateway,
            "AWS::EC2::VPNGateway" => {
                set("asn", p("AmazonSideAsn"));
                Kind::VpnGateway
            }
            "AWS::EC2::VPCGatewayAttachment" => {
                set("vpc", p("VpcId"));
                set("gateway", p("InternetGatewayId").or(p("VpnGatewayId")));
                Kind::GatewayAttachment
            }
            "AWS::EC2::VPNGatewayRoutePropagation" => {
                let gw = p("VpnGatewayId");
                for t in p("RouteTableIds")
                    .and_then(|t| t.as_array().cloned())
                    .unwrap_or_default()
                {
                    out.push(Res {
                        kind: Kind::Propagation,
                        key: key.clone(),
                        attrs: [
                            ("table".to_string(), t),
                            ("gateway".to_string(), gw.clone().unwrap_or(Value::Null)),
                        ]
                        .into_iter()
                        .collect(),
                    });
                }
                continue;
            }
            "AWS::EC2::NatGateway" => {
                set("subnet", p("SubnetId"));
                set("public_ip", p("AllocationId"));
                set(
                    "private",
                    p("ConnectivityType").map(|c| json!(c == "private")),
                );
                Kind::NatGateway
            }
            "AWS::EC2::EIP" => Kind::ElasticIp,
            "AWS::EC2::CustomerGateway" => {
                set("ip", p("IpAddress"));
                set("asn", p("BgpAsn"));
                Kind::CustomerGateway
            }
            "AWS::EC2::VPNConnection" => {
                set("vpn_gateway", p("VpnGatewayId"));
                set("customer_gateway", p("CustomerGatewayId"));
                set("static", p("StaticRoutesOnly"));
                if p("TransitGatewayId").is_some() {
                    skipped.push((
                        key.clone(),
                        "a VPN to a transit gateway: not modelled yet".into(),
                    ));
                    continue;
                }
                Kind::VpnConnection
            }
            "AWS::EC2::VPNConnectionRoute" => {
                set("vpn", p("VpnConnectionId"));
                set("cidr", p("DestinationCidrBlock"));
                Kind::VpnRoute
            }
            "AWS::EC2::VPCPeeringConnection" => {
                set("vpc", p("VpcId"));
                set("peer_vpc", p("PeerVpcId"));
                Kind::Peering
            }
            "AWS::EC2::SecurityGroup" => {
                set("vpc", p("VpcId"));
                set(
                    "name",
                    p("GroupName")
                        .or_else(|| tag_name(&props))
                        .or(Some(json!(key))),
                );
                set("description", p("GroupDescription"));
                let ing: Vec<Value> = p("SecurityGroupIngress")
                    .and_then(|x| x.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .map(|x| rule(x, false))
                    .collect();
                set("ingress", Some(Value::Array(ing)));
                if let Some(e) = p("SecurityGroupEgress").and_then(|x| x.as_array().cloned()) {
                    set(
                        "egress",
                        Some(Value::Array(e.iter().map(|x| rule(x, true)).collect())),
                    );
                }
                Kind::SecurityGroup
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                let egress = ty.ends_with("Egress");
                set("sg", p("GroupId"));
                set("egress", Some(json!(egress)));
                if let Value::Object(m) = rule(&props, egress) {
                    for (k, v) in m {
                        set(&k, Some(v));
                    }
                }
                Kind::SecurityGroupRule
            }
            "AWS::EC2::NetworkAcl" => {
                set("vpc", p("VpcId"));
                Kind::NetworkAcl
            }
            "AWS::EC2::NetworkAclEntry" => {
                set("acl", p("NetworkAclId"));
                set("number", p("RuleNumber"));
                set("protocol", p("Protocol"));
                set("action", p("RuleAction"));
                set("egress", p("Egress"));
                set("cidr", p("CidrBlock").or(p("Ipv6CidrBlock")));
                set(
                    "from_port",
                    p("PortRange").and_then(|r| r.get("From").cloned()),
                );
                set("to_port", p("PortRange").and_then(|r| r.get("To").cloned()));
                Kind::AclEntry
            }
            "AWS::EC2::SubnetNetworkAclAssociation" => {
                set("acl", p("NetworkAclId"));
                set("subnet", p("SubnetId"));
                Kind::AclAssociation
            }
            "AWS::EC2::VPCEndpoint" => {
                set("vpc", p("VpcId"));
                set("service", p("ServiceName"));
                set("type", p("VpcEndpointType"));
                set("route_tables", p("RouteTableIds"));
                set("subnets", p("SubnetIds"));
                set("sgs", p("SecurityGroupIds"));
                set("private_dns", p("PrivateDnsEnabled"));
                set(
                    "policy",
                    p("PolicyDocument").map(|d| match d {
                        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
                        other => other,
                    }),
                );
                Kind::Endpoint
            }
            "AWS::EC2::Instance" => {
                // The first interface of `NetworkInterfaces`, or the instance's own subnet.
                let ni = p("NetworkInterfaces").and_then(|n| n.get(0).cloned());
                set(
                    "subnet",
                    p("SubnetId").or_else(|| ni.as_ref().and_then(|n| n.get("SubnetId").cloned())),
                );
                set(
                    "ip",
                    p("PrivateIpAddress")
                        .or_else(|| ni.as_ref().and_then(|n| n.get("PrivateIpAddress").cloned())),
                );
                set(
                    "sgs",
                    p("SecurityGroupIds")
                        .or_else(|| ni.as_ref().and_then(|n| n.get("GroupSet").cloned())),
                );
                Kind::Instance
            }
            "AWS::Route53::HostedZone" => {
                set("domain", p("Name"));
                let vpcs: Vec<Value> = p("VPCs")
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|v| v.get("VPCId").cloned())
                    .collect();
                set("vpcs", Some(Value::Array(vpcs)));
                Kind::HostedZone
            }
            "AWS::Route53::RecordSet" => {
                set("zone", p("HostedZoneId"));
                if p("HostedZoneId").is_none() && p("HostedZoneName").is_some() {
                    skipped.push((key.clone(), "a record set named by HostedZoneName: give HostedZoneId (a Ref to the zone)".into()));
                    continue;
                }
                set("name", p("Name"));
                set("type", p("Type"));
                set("ttl", p("TTL"));
                set("values", p("ResourceRecords"));
                set(
                    "alias",
                    p("AliasTarget")
                        .and_then(|t| t.get("DNSName").cloned())
                        .map(|d| match d {
                            // `!Select [1, !Split [":", !Select [0, !GetAtt Endpoint.DnsEntries]]]` and
                            // the like: known once deployed; the endpoint it names is what matters.
                            v if unknown_of(&v).is_some() => {
                                alias_endpoint(r.get("Properties")).unwrap_or(v)
                            }
                            v => v,
                        }),
                );
                Kind::Record
            }
            "AWS::Route53Resolver::ResolverEndpoint" => {
                set("direction", p("Direction"));
                let ips: Vec<Value> = p("IpAddresses")
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .map(|x| json!({"subnet": x.get("SubnetId"), "ip": x.get("Ip")}))
                    .collect();
                set("ips", Some(Value::Array(ips)));
                set("sgs", p("SecurityGroupIds"));
                Kind::ResolverEndpoint
            }
            "AWS::Route53Resolver::ResolverRule" => {
                set("domain", p("DomainName"));
                set("type", p("RuleType"));
                let t: Vec<Value> = p("TargetIps")
                    .and_then(|v| v.as_array().cloned())
                    .unwrap_or_default()
                    .iter()
                    .map(|x| json!({"ip": x.get("Ip"), "port": x.get("Port")}))
                    .collect();
                set("targets", Some(Value::Array(t)));
                set("endpoint", p("ResolverEndpointId"));
                set("name", p("Name"));
                Kind::ResolverRule
            }
            "AWS::Route53Resolver::ResolverRuleAssociation" => {
                set("rule", p("ResolverRuleId"));
                set("vpc", p("VPCId"));
                Kind::ResolverRuleAssociation
            }
            "AWS::S3::Bucket" => {
                match p("BucketName") {
                    Some(n) if n.is_string() => set("name", Some(n)),
                    _ => skipped.push((key.clone(), "a bucket without BucketName: AWS names it when deployed, so policies on it are left out".into())),
                }
                Kind::Bucket
            }
            "AWS::S3::BucketPolicy" => {
                set("bucket", p("Bucket"));
                set(
                    "policy",
                    p("PolicyDocument").map(|d| match d {
                        Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::Null),
                        other => other,
                    }),
                );
                Kind::BucketPolicy
            }
            other
                if other.starts_with("AWS::EC2::")
                    || other.starts_with("AWS::Route53")
                    || other.starts_with("AWS::S3::")
                    || other.starts_with("AWS::DirectConnect::") =>
            {
                skipped.push((
                    key.clone(),
                    format!("{other}: not a resource vpcsim imports"),
                ));
                continue;
            }
            _ => continue, // other services: outside the network
        };
        out.push(Res {
            kind,
            key: key.clone(),
            attrs: a,
        });
    }
    let src = Source {
        after: "the stack is deployed",
        account: opts.account.clone(),
        region: opts.region.clone(),
    };
    let mut net = res::build(
        &out,
        &src,
        name,
        "Imported from a CloudFormation template (vpcsim import cloudformation).",
    );
    for (at, msg) in ctx.notes {
        net.info(at, msg);
    }
    for (at, msg) in skipped {
        net.warn(at, msg);
    }
    net
}

/// The endpoint an alias's `DNSName` is built from (`!GetAtt Endpoint.DnsEntries` inside it).
fn alias_endpoint(props: Option<&Value>) -> Option<Value> {
    fn find(v: &Value) -> Option<String> {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(a)) = m.get("Fn::GetAtt")
                    && a.get(1).and_then(Value::as_str) == Some("DnsEntries")
                {
                    return a.first().and_then(Value::as_str).map(str::to_string);
                }
                m.values().find_map(find)
            }
            Value::Array(a) => a.iter().find_map(find),
            _ => None,
        }
    }
    find(props?.get("AliasTarget")?).map(|k| reference(&k))
}

//! The JSON shapes of results, shared by the HTTP API and the command line's `--format json`, so
//! that both answer in one shape.

use serde_json::{Value, json};
use vpcsim_dns::{Dns, RecordType, Resolution, View};
use vpcsim_engine::check::ExpectationResult;
use vpcsim_engine::{Hop, Trace};
use vpcsim_topology::Topology;
use vpcsim_topology::model::EndpointType;

/// A DNS listener as `/topology` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServedView<'a> {
    /// The view as `--from` names it.
    pub name: &'a str,
    /// What the view is.
    pub description: &'a str,
    /// Where its DNS listener is (`127.0.0.1:15353`).
    pub dns: String,
}

/// A resolution: the query, status, code, answers (one object per value) and steps.
pub fn resolution(
    dns: &Dns,
    view: View,
    from: &str,
    name: &str,
    qtype: RecordType,
    res: &Resolution,
) -> Value {
    json!({
        "query": { "name": vpcsim_dns::normalize(name), "type": qtype.as_str(), "from": from, "view": dns.view_name(view) },
        "status": res.status(),
        "rcode": res.rcode.as_str(),
        "authoritative": res.authoritative,
        "answers": res.answers.iter().flat_map(|s| s.data.iter().map(move |d| json!({
            "name": &*s.name, "ttl": s.ttl, "type": s.rtype.as_str(), "data": d.to_string(), "origin": s.origin.to_string(),
        }))).collect::<Vec<_>>(),
        "authority": res.authority.iter().flat_map(|s| s.data.iter().map(move |d| json!({
            "name": &*s.name, "ttl": s.ttl, "type": s.rtype.as_str(), "data": d.to_string(), "origin": s.origin.to_string(),
        }))).collect::<Vec<_>>(),
        "steps": res.steps.iter().map(|s| json!({ "at": s.at, "code": s.code, "detail": s.detail })).collect::<Vec<_>>(),
    })
}

/// A trace: DNS, hops there and back (each with the id of the element it happened at, as
/// `GET /topology` and `vpcsim diagram` name it), the request context, the decision.
pub fn trace(topo: &Topology, t: &Trace) -> Value {
    trace_named(t, &element_ids(topo, t))
}

/// The element ids of a trace's hops, forward then back (`None` where a hop names none): what
/// [`trace_named`] needs of the topology, for a caller that renders the trace later.
pub fn element_ids(topo: &Topology, t: &Trace) -> Vec<Option<String>> {
    t.forward
        .iter()
        .chain(&t.back)
        .map(|h| h.element().map(|e| topo.element_id(e)))
        .collect()
}

/// [`trace`] with the hops' element ids given ([`element_ids`]).
pub fn trace_named(t: &Trace, ids: &[Option<String>]) -> Value {
    let mut ids = ids.iter();
    let mut hops = |hs: &[Hop]| {
        hs.iter().map(|h| json!({"at": h.at(), "component": h.component_name(), "element": ids.next().cloned().flatten(), "code": h.code(), "detail": h.detail(), "line": h.span().map(|s| s.line)})).collect::<Vec<_>>()
    };
    let (forward, back) = (hops(&t.forward), hops(&t.back));
    json!({
        "request": t.request.text(),
        "from": t.from.as_str(),
        "source_ip": t.source_ip.to_string(),
        "dns": t.dns.as_ref().map(|d| json!({
            "status": d.status(),
            "addresses": d.addresses().iter().map(|a| a.to_string()).collect::<Vec<_>>(),
            "steps": d.steps.iter().map(|s| json!({"at": s.at, "code": s.code, "detail": s.detail})).collect::<Vec<_>>(),
        })),
        "destination": t.destination.map(|d| d.to_string()),
        "forward": forward,
        "back": back,
        "via": t.via(),
        "s3": t.s3.as_ref().map(|c| json!({"bucket": c.bucket.as_deref(), "access_point": c.access_point.as_deref(), "key": c.key.as_str(), "action": c.action})),
        "context": t.context().iter().map(|(k, v)| (k.to_string(), json!(v.iter().collect::<Vec<_>>()))).collect::<serde_json::Map<_, _>>(),
        "decided_by": t.deciding(),
        "disposition": t.disposition.as_str(),
        "verdict": t.verdict.as_str(),
        "code": t.code,
        "reason": t.reason,
    })
}

/// The results of `check` for one topology.
pub fn check_results(results: &[ExpectationResult]) -> Vec<Value> {
    results
        .iter()
        .map(|r| {
            json!({
                "name": r.name, "scenario": r.scenario, "line": r.span.line, "passed": r.passed,
                "mismatches": r.mismatches, "actual": r.actual,
            })
        })
        .collect()
}

/// What is served: the scenario, its VPCs and endpoints, and each view with its listener.
pub fn topology(topo: &Topology, listeners: &[ServedView<'_>]) -> Value {
    let region = |v: &vpcsim_topology::model::Vpc| topo.regions[v.region.index()].name.clone();
    json!({
        "name": topo.name,
        "description": topo.description,
        "vpcs": topo.vpcs.iter().map(|v| json!({
            "name": v.name,
            "id": v.aws_id,
            "region": region(v),
            "cidrs": v.cidrs.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            "resolver": v.dns_resolver_ip().to_string(),
        })).collect::<Vec<_>>(),
        "endpoints": topo.endpoints.iter().map(|e| {
            let vpc = &topo.vpcs[e.vpc.index()];
            let interface = e.endpoint_type() == EndpointType::Interface;
            let mut dns_names = Vec::new();
            if interface {
                let r = region(vpc);
                dns_names.extend(e.regional_dns_name(&r));
                for eni in e.enis() {
                    let az = &topo.subnets[topo.enis[eni.index()].subnet.index()].az;
                    dns_names.extend(e.zonal_dns_name(&r, az));
                }
            }
            json!({
                "name": e.name,
                "vpc": vpc.name,
                "id": e.aws_id,
                "type": if interface { "interface" } else { "gateway" },
                "service": e.service,
                "addresses": e.enis().iter().map(|i| topo.enis[i.index()].ip.to_string()).collect::<Vec<_>>(),
                "dns_names": dns_names,
            })
        }).collect::<Vec<_>>(),
        "views": listeners.iter().map(|l| json!({
            "name": l.name,
            "description": l.description,
            "dns": l.dns,
        })).collect::<Vec<_>>(),
    })
}

/// A policy document as IAM writes it (what GetBucketPolicy and GetAccessPointPolicy return):
/// `Version`, `Id`, and each statement's `Sid`, `Effect`, `Principal`/`NotPrincipal`,
/// `Action`/`NotAction`, `Resource`/`NotResource` and `Condition` (keys in alphabetical order, as
/// every JSON answer of vpcsim). A list of one value is written as the value, as IAM does.
pub fn policy(p: &vpcsim_policy::Policy) -> Value {
    use vpcsim_policy::{Effect, Principal, PrincipalType};
    let one_or_many = |v: &[String]| match v {
        [one] => json!(one),
        many => json!(many),
    };
    let mut doc = serde_json::Map::new();
    if let Some(v) = &p.version {
        doc.insert("Version".into(), json!(v));
    }
    if let Some(id) = &p.id {
        doc.insert("Id".into(), json!(id));
    }
    let statements: Vec<Value> = p
        .statements
        .iter()
        .map(|s| {
            let mut st = serde_json::Map::new();
            if let Some(sid) = &s.sid {
                st.insert("Sid".into(), json!(sid));
            }
            st.insert(
                "Effect".into(),
                json!(match s.effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                }),
            );
            if let Some(pr) = &s.principal {
                let value = match &pr.value {
                    Principal::Any => json!("*"),
                    Principal::Typed(types) => {
                        let mut m = serde_json::Map::new();
                        for (t, values) in types {
                            let key = match t {
                                PrincipalType::Aws => "AWS",
                                PrincipalType::Service => "Service",
                                PrincipalType::Federated => "Federated",
                                PrincipalType::CanonicalUser => "CanonicalUser",
                            };
                            m.insert(key.into(), one_or_many(values));
                        }
                        Value::Object(m)
                    }
                };
                let key = if pr.negated {
                    "NotPrincipal"
                } else {
                    "Principal"
                };
                st.insert(key.into(), value);
            }
            let key = if s.action.negated {
                "NotAction"
            } else {
                "Action"
            };
            st.insert(key.into(), one_or_many(&s.action.value));
            if let Some(r) = &s.resource {
                let key = if r.negated { "NotResource" } else { "Resource" };
                st.insert(key.into(), one_or_many(&r.value));
            }
            if !s.conditions.is_empty() {
                let mut ops = serde_json::Map::new();
                for c in &s.conditions {
                    let entry = ops
                        .entry(c.operator.name())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()));
                    if let Value::Object(keys) = entry {
                        keys.insert(c.key.clone(), one_or_many(&c.values));
                    }
                }
                st.insert("Condition".into(), Value::Object(ops));
            }
            Value::Object(st)
        })
        .collect();
    doc.insert("Statement".into(), json!(statements));
    Value::Object(doc)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_policy_written_back_reads_the_same() {
        let text = r#"{"Version": "2012-10-17", "Statement": [
            {"Sid": "Access-to-specific-VPCE-only", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
             "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1a2b3c4d"},
                           "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-1/*", "o-2/*"]}}},
            {"Effect": "Allow", "NotPrincipal": {"AWS": ["arn:aws:iam::111122223333:root"]},
             "NotAction": ["s3:GetObject"], "NotResource": "arn:aws:s3:::b/x"}]}"#;
        let parse = |t: &str| {
            let mut sources = vpcsim_syntax::SourceMap::default();
            let id = sources.add("p.json".to_string(), t.to_string());
            let file = sources.get(id).expect("added").clone();
            let diags = vpcsim_syntax::Diagnostics::new();
            vpcsim_policy::read(id, &file, vpcsim_policy::PolicyKind::Resource, &diags)
        };
        let p = parse(text).expect("parses");
        let written = super::policy(&p).to_string();
        let again = parse(&written).expect("parses again");
        assert_eq!(super::policy(&again), super::policy(&p));
        assert_eq!(again.statements.len(), 2);
        assert!(written.contains(r#""Principal":"*""#), "{written}");
    }
}

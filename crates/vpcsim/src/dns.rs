//! `vpcsim resolve` and `vpcsim dns export`.

use std::path::Path;
use std::process::ExitCode;

use vpcsim_dns::{Dns, RecordType, Resolution, Rotation, View};
use vpcsim_syntax::suggest;
use vpcsim_topology::Topology;
use vpcsim_topology::model::Source;

use crate::{Format, load_valid, usage};

/// The DNS view a source asks through: an instance asks its VPC's Resolver, an on-premises host its
/// site's resolver (or public DNS when the site has none).
pub(crate) fn view_of(topo: &Topology, source: Source) -> View {
    match source {
        Source::Instance(i) => View::Vpc(topo.instances[i.index()].vpc),
        Source::Host(h) => {
            let site = topo.hosts[h.index()].site;
            if topo.sites[site.index()].dns.is_some() {
                View::Site(site)
            } else {
                View::Public
            }
        }
        Source::Public => View::Public,
        Source::VpcResolver(v) => View::Vpc(v),
        Source::InboundEndpoint(v) => View::Inbound(v),
        Source::SiteResolver(s) => View::Site(s),
    }
}

fn find_view(topo: &Topology, text: &str) -> Result<View, ExitCode> {
    match topo.find_source(text) {
        Some(s) => Ok(view_of(topo, s)),
        None => {
            let names = topo.source_names();
            Err(usage(
                format!("no source or view named '{text}'"),
                suggest::hint(text, "source", names.iter().map(String::as_str)),
            ))
        }
    }
}

pub(crate) fn resolve(
    path: &Path,
    from: &str,
    name: &str,
    rtype: &str,
    format: Format,
) -> ExitCode {
    let topo = match load_valid(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let Some(qtype) = RecordType::parse(rtype) else {
        let all: Vec<&str> = RecordType::ALL.iter().map(|t| t.as_str()).collect();
        return usage(
            format!("'{rtype}' is not a record type vpcsim answers"),
            format!("use one of: {}", all.join(", ")),
        );
    };
    let view = match find_view(&topo, from) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let dns = Dns::build(&topo);
    let res = dns.resolve(view, name, qtype, &mut Rotation::new());
    match format {
        Format::Text => print!("{}", render_text(&dns, view, from, name, qtype, &res)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&dns, view, from, name, qtype, &res))
                .unwrap_or_default()
        ),
    }
    ExitCode::SUCCESS
}

/// The readable report: the query, each step of the chain, the status and the answer records.
pub(crate) fn render_text(
    dns: &Dns,
    view: View,
    from: &str,
    name: &str,
    qtype: RecordType,
    res: &Resolution,
) -> String {
    let mut out = format!(
        "{qtype} {} from {from} (asks {})\n",
        vpcsim_dns::normalize(name),
        dns.view_name(view)
    );
    for (i, s) in res.steps.iter().enumerate() {
        out.push_str(&format!("  {}. [{}] {}\n", i + 1, s.at, s.detail));
    }
    out.push_str(&format!(
        "{}{}\n",
        res.status(),
        if res.authoritative {
            " (authoritative)"
        } else {
            ""
        }
    ));
    for set in &res.answers {
        for d in &set.data {
            out.push_str(&format!(
                "{}.\t{}\tIN\t{}\t{}\n",
                set.name, set.ttl, set.rtype, d
            ));
        }
    }
    out
}

pub(crate) fn to_json(
    dns: &Dns,
    view: View,
    from: &str,
    name: &str,
    qtype: RecordType,
    res: &Resolution,
) -> serde_json::Value {
    serde_json::json!({
        "query": { "name": vpcsim_dns::normalize(name), "type": qtype.as_str(), "from": from, "view": dns.view_name(view) },
        "status": res.status(),
        "rcode": res.rcode.as_str(),
        "authoritative": res.authoritative,
        "answers": res.answers.iter().flat_map(|s| s.data.iter().map(move |d| serde_json::json!({
            "name": s.name, "ttl": s.ttl, "type": s.rtype.as_str(), "data": d.to_string(), "origin": s.origin.to_string(),
        }))).collect::<Vec<_>>(),
        "steps": res.steps.iter().map(|s| serde_json::json!({ "at": s.at, "code": s.code, "detail": s.detail })).collect::<Vec<_>>(),
    })
}

pub(crate) fn export(path: &Path, view: &str, out: Option<&Path>) -> ExitCode {
    let topo = match load_valid(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let view = match find_view(&topo, view) {
        Ok(View::Site(_)) => {
            return usage(
                "an on-premises resolver holds no zones of its own: it forwards".into(),
                "export the view it forwards to: public, or VPC/inbound".into(),
            );
        }
        Ok(v) => v,
        Err(code) => return code,
    };
    let dns = Dns::build(&topo);
    let zones = dns.zones(view);
    let serial = 1;
    match out {
        None => {
            for z in zones {
                print!("{}", z.to_master_file(serial));
            }
        }
        Some(dir) => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                eprintln!("error: cannot create {}: {e}", dir.display());
                return ExitCode::from(2);
            }
            let mut used = std::collections::HashSet::new();
            for z in zones {
                let mut file = format!("{}.zone", z.apex);
                let mut n = 2;
                while !used.insert(file.clone()) {
                    file = format!("{}.{n}.zone", z.apex);
                    n += 1;
                }
                let target = dir.join(&file);
                if let Err(e) = std::fs::write(&target, z.to_master_file(serial)) {
                    eprintln!("error: cannot write {}: {e}", target.display());
                    return ExitCode::from(2);
                }
                println!("{}\t{}", z.apex, target.display());
            }
        }
    }
    ExitCode::SUCCESS
}

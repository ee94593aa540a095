//! `vpcsim resolve` and `vpcsim dns export`.

use std::path::Path;
use std::process::ExitCode;

use vpcsim_dns::{Dns, RecordType, Rotation, View};
use vpcsim_syntax::suggest;
use vpcsim_topology::Topology;

use crate::{Format, load_valid, usage};

fn find_view(topo: &Topology, text: &str) -> Result<View, ExitCode> {
    match topo.find_source(text) {
        Some(s) => Ok(vpcsim_dns::view_of(topo, s)),
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
    fail: &[String],
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
    let down = match crate::trace::failures(&topo, fail) {
        Ok(d) => d,
        Err(code) => return code,
    };
    // Forwarded queries travel like any packet: links, routes, security groups (UDP 53).
    let engine = vpcsim_engine::Engine::new(&topo);
    let net = engine.network(&down);
    let res = engine.resolve(&net, view, name, qtype, &mut Rotation::new());
    match format {
        Format::Text => print!("{}", engine.dns.report(view, from, name, qtype, &res)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&vpcsim_server::json::resolution(
                &engine.dns,
                view,
                from,
                name,
                qtype,
                &res
            ))
            .unwrap_or_default()
        ),
    }
    ExitCode::SUCCESS
}

pub(crate) fn export(path: &Path, view: &str, out: Option<&Path>) -> ExitCode {
    let topo = match load_valid(path) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let dns = Dns::build(&topo);
    if view == "all" {
        let Some(dir) = out else {
            return usage(
                "`--view all` writes one directory per view".into(),
                "add `--out DIR`".into(),
            );
        };
        for v in dns.views() {
            let slug = match v {
                View::Public => "public".to_string(),
                View::Vpc(id) => topo.vpcs[id.index()].name.clone(),
                View::Inbound(id) => format!("{}-inbound", topo.vpcs[id.index()].name),
                View::Site(_) => continue,
            };
            if let Err(code) = write_zones(&dns, v, Some(&dir.join(slug))) {
                return code;
            }
        }
        return ExitCode::SUCCESS;
    }
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
    match write_zones(&dns, view, out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// Writes a view's zones to standard output, or one `ZONE.zone` file each into `out`, printing
/// `ZONE<TAB>FILE` lines (what `named-checkzone ZONE FILE` needs).
fn write_zones(dns: &Dns, view: View, out: Option<&Path>) -> Result<(), ExitCode> {
    let serial = 1;
    let zones = dns.zones(view);
    let Some(dir) = out else {
        for z in zones {
            print!("{}", z.to_master_file(serial));
        }
        return Ok(());
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {e}", dir.display());
        return Err(ExitCode::from(2));
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
            return Err(ExitCode::from(2));
        }
        println!("{}\t{}", z.apex, target.display());
    }
    Ok(())
}

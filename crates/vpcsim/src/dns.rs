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
    let down = match crate::trace::failures(&topo, fail) {
        Ok(d) => d,
        Err(code) => return code,
    };
    // Forwarded queries travel like any packet: links, routes, security groups (UDP 53).
    let engine = vpcsim_engine::Engine::new(&topo);
    let net = engine.network(&down);
    if from == "all" {
        return resolve_everywhere(&topo, &engine, &net, name, qtype, format);
    }
    let view = match find_view(&topo, from) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let res = engine.resolve(&net, view, name, qtype, &mut Rotation::new());
    match format {
        Format::Text => print!("{}", engine.dns.report(view, from, name, qtype, &res)),
        Format::Json => println!(
            "{}",
            serde_json::to_string_pretty(&vpcsim_report::json::resolution(
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

/// `--from all`: the name asked in every view (public, each VPC and its inbound endpoint, each
/// site resolver), each with a fresh rotation as `--from VIEW` would; one line per view (`VIEW
/// STATUS ANSWERS`), or with `--format json` an array of what `--from VIEW --format json` prints.
fn resolve_everywhere(
    topo: &Topology,
    engine: &vpcsim_engine::Engine,
    net: &vpcsim_engine::Network,
    name: &str,
    qtype: RecordType,
    format: Format,
) -> ExitCode {
    let views = vpcsim_server::view_names(topo, &engine.dns);
    let answers: Vec<_> = views
        .iter()
        .map(|v| engine.resolve(net, v.view, name, qtype, &mut Rotation::new()))
        .collect();
    match format {
        Format::Text => {
            let width = views.iter().map(|v| v.name.len()).max().unwrap_or(0);
            let status = answers.iter().map(|r| r.status().len()).max().unwrap_or(0);
            for (v, res) in views.iter().zip(&answers) {
                let data: Vec<String> = res
                    .answers
                    .iter()
                    .flat_map(|set| set.data.iter().map(|d| d.to_string()))
                    .collect();
                let line = format!(
                    "{:<width$}  {:<status$}  {}",
                    v.name,
                    res.status(),
                    data.join(" ")
                );
                println!("{}", line.trim_end());
            }
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = views
                .iter()
                .zip(&answers)
                .map(|(v, res)| {
                    vpcsim_report::json::resolution(&engine.dns, v.view, &v.name, name, qtype, res)
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&all).unwrap_or_default());
        }
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
        // A folder per view; two views may not share one (a site named `shared-inbound` beside
        // the inbound view of VPC `shared`).
        let mut taken: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        for v in dns.views() {
            let slug = match v {
                View::Public => "public".to_string(),
                View::Vpc(id) => topo.vpcs[id.index()].name.clone(),
                View::Inbound(id) => format!("{}-inbound", topo.vpcs[id.index()].name),
                // A site resolver's own zones, when it holds some; forwarding is not data.
                View::Site(id) if !dns.zones(v).is_empty() => topo.sites[id.index()].name.clone(),
                View::Site(_) => continue,
            };
            if let Some(other) = taken.insert(slug.clone(), dns.view_name(v)) {
                return usage(
                    format!(
                        "views {other} and {} would both be written to {}/{slug}",
                        dns.view_name(v),
                        dir.display()
                    ),
                    "rename the site (its folder is its name; an inbound view's is VPC-inbound), or export one view at a time with --view".into(),
                );
            }
            let sub = match inside(dir, &slug) {
                Ok(p) => p,
                Err(code) => return code,
            };
            if let Err(code) = write_zones(&dns, v, Some(&sub)) {
                return code;
            }
        }
        return ExitCode::SUCCESS;
    }
    let view = match find_view(&topo, view) {
        Ok(v @ View::Site(_)) if dns.zones(v).is_empty() => {
            return usage(
                "this on-premises resolver holds no zones of its own: it forwards".into(),
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

/// `dir/name`, when `name` is one plain file name, so that the path stays inside `dir`. Names are
/// validated at load (docs/topology.md, "References and names"); this is the second line of
/// defence: no separator, no `..`, nothing absolute, whatever a zone or view is called.
fn inside(dir: &Path, name: &str) -> Result<std::path::PathBuf, ExitCode> {
    let plain = !name.is_empty()
        && !name.contains(['/', '\\', '\0'])
        && matches!(
            Path::new(name).components().collect::<Vec<_>>().as_slice(),
            [std::path::Component::Normal(n)] if *n == std::ffi::OsStr::new(name)
        );
    if plain {
        Ok(dir.join(name))
    } else {
        eprintln!(
            "error: refusing to write '{}': not a plain file name, it would land outside {}",
            name.escape_debug(),
            dir.display()
        );
        Err(ExitCode::from(2))
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
        let target = inside(dir, &file)?;
        if let Err(e) = std::fs::write(&target, z.to_master_file(serial)) {
            eprintln!("error: cannot write {}: {e}", target.display());
            return Err(ExitCode::from(2));
        }
        println!("{}\t{}", z.apex, target.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_and_view_files_stay_in_the_output_folder() {
        let dir = Path::new("out");
        for ok in [
            "public",
            "shared-inbound",
            "corp.internal.zone",
            "a..b.zone",
            "...zone",
        ] {
            assert_eq!(inside(dir, ok).ok(), Some(dir.join(ok)), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "../x.zone",
            "a/b.zone",
            "/etc/x.zone",
            "a\\b",
            "x/..",
            "./x",
            "nul\0",
        ] {
            assert!(inside(dir, bad).is_err(), "{bad:?}");
        }
    }
}

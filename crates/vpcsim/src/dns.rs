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

//! The readable trace report `vpcsim trace` prints: the request, the DNS chain, the hops there and
//! back as tables, the request context and the verdict with its code.

use vpcsim_engine::{Hop, Trace};

fn hop_table(hops: &[Hop]) -> String {
    let width = hops
        .iter()
        .map(|h| h.at().chars().count())
        .max()
        .unwrap_or(0)
        .min(44);
    let mut out = String::new();
    for (i, h) in hops.iter().enumerate() {
        out.push_str(&format!(
            "  {:>2}. {:<width$}  {}\n",
            i + 1,
            h.at(),
            h.detail()
        ));
    }
    out
}

/// The readable report of `t`; `fail` lists the links taken down, as the user named them.
pub fn trace(t: &Trace, fail: &[String]) -> String {
    // A request from an AWS service has no address in the topology.
    let mut out = if t.source_ip.is_unspecified() {
        format!("{} from {}\n", t.request.text(), t.from)
    } else {
        format!("{} from {} ({})\n", t.request.text(), t.from, t.source_ip)
    };
    if !fail.is_empty() {
        out.push_str(&format!("with down: {}\n", fail.join(", ")));
    }
    if let Some(dns) = &t.dns {
        out.push_str(&format!(
            "\nDNS  {} → {}\n",
            t.request.host(),
            if dns.addresses().is_empty() {
                dns.status().to_string()
            } else {
                dns.addresses()
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
        for (i, s) in dns.steps.iter().enumerate() {
            out.push_str(&format!("  {:>2}. [{}] {}\n", i + 1, s.at, s.detail));
        }
    }
    if !t.forward.is_empty() && t.source_ip.is_unspecified() {
        out.push_str("\nthere\n");
        out.push_str(&hop_table(&t.forward));
    } else if !t.forward.is_empty() {
        out.push_str(&format!(
            "\nthere ({} → {})\n",
            t.source_ip,
            t.destination.map_or("?".into(), |d| d.to_string())
        ));
        out.push_str(&hop_table(&t.forward));
    }
    if !t.back.is_empty() {
        out.push_str("\nback\n");
        out.push_str(&hop_table(&t.back));
    }
    if !t.context().is_empty() {
        out.push_str("\nrequest context\n");
        for (k, v) in t.context().iter() {
            let v: Vec<&str> = v.iter().collect();
            out.push_str(&format!("  {k} = {}\n", v.join(", ")));
        }
    }
    out.push_str(&format!(
        "\n{}: {} [{}]\n",
        t.verdict.as_str().to_uppercase(),
        t.reason,
        t.code
    ));
    out
}

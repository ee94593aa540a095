//! Path engine tests: every shipped topology and test scenario passes `check`; golden traces of
//! the classic cases (`tests/traces/cases.txt`, `UPDATE_EXPECT=1` rewrites `cases.golden`); load balancing
//! with `--repeat`; the `trace` and `check` commands end to end.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use vpcsim_topology::StdFs;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn vpcsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vpcsim"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run vpcsim")
}

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .expect("dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

/// Every shipped topology and scenario, loaded (each is valid).
fn shipped() -> impl Iterator<Item = (PathBuf, vpcsim_topology::Topology)> {
    yaml_files("topologies")
        .into_iter()
        .chain(yaml_files("tests/scenarios"))
        .map(|path| {
            let topo = vpcsim_topology::load(&path, &StdFs)
                .expect("readable")
                .topology
                .unwrap_or_else(|| panic!("{} is invalid", path.display()));
            (path, topo)
        })
}

#[test]
fn every_topology_and_scenario_passes_check() {
    let mut failures = Vec::new();
    let mut total = 0;
    for (path, topo) in shipped() {
        let result = vpcsim_engine::check(&topo);
        total += result.results.len();
        for r in result.results.iter().filter(|r| !r.passed) {
            failures.push(format!(
                "{}:{}: {}\n  {}\n  actual: {}",
                path.display(),
                r.span.line,
                r.name,
                r.mismatches.join("\n  "),
                r.actual
            ));
        }
    }
    assert!(
        total > 80,
        "expected the examples' expectations, found {total}"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn golden_traces() {
    let cases = std::fs::read_to_string(root().join("tests/traces/cases.txt")).expect("cases");
    let mut out = String::new();
    for line in cases
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let parts: Vec<&str> = line.split('|').map(str::trim).collect();
        let (topo, from, request, extra) = (
            parts[0],
            parts[1],
            parts[2],
            parts.get(3).copied().unwrap_or(""),
        );
        let mut args = vec!["trace", topo, "--from", from, request];
        args.extend(extra.split_whitespace());
        let o = vpcsim(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{line}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        out.push_str(&format!(
            "$ vpcsim {}\n",
            args.iter()
                .map(|a| if a.contains(' ') {
                    format!("\"{a}\"")
                } else {
                    a.to_string()
                })
                .collect::<Vec<_>>()
                .join(" ")
        ));
        out.push_str(&String::from_utf8_lossy(&o.stdout));
        out.push('\n');
    }
    expect_test::expect_file![root().join("tests/traces/cases.golden")].assert_eq(&out);
}

#[test]
fn repeat_spreads_requests_over_the_four_xenis() {
    let o = vpcsim(&[
        "trace",
        "topologies/hybrid-s3.yaml",
        "--from",
        "shared/app-1",
        "GET https://reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com/x",
        "--repeat",
        "400",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let spread = v["spread"].as_array().expect("spread");
    assert_eq!(spread.len(), 4, "{spread:?}");
    for s in spread {
        assert_eq!(s["requests"], 100, "{spread:?}");
    }
    // The same seed gives the same spread and the same first destination.
    let again: serde_json::Value = serde_json::from_slice(&vpcsim(&["trace", "topologies/hybrid-s3.yaml", "--from", "shared/app-1", "GET https://reports-111122223333.op-01234567890123456.s3-outposts.us-east-1.amazonaws.com/x", "--repeat", "400", "--format", "json"]).stdout).expect("json");
    assert_eq!(v["destination"], again["destination"]);
}

#[test]
fn trace_json_names_the_path_and_the_deciding_statement() {
    let o = vpcsim(&[
        "trace",
        "topologies/hybrid-s3.yaml",
        "--from",
        "datacenter/build-server",
        "GET https://s3.us-east-1.amazonaws.com/DOC-EXAMPLE-BUCKET1/report.csv",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["verdict"], "denied");
    assert_eq!(v["code"], "policy.explicit-deny");
    assert_eq!(
        v["decided_by"][0],
        "bucket DOC-EXAMPLE-BUCKET1 / Access-to-specific-VPCE-only"
    );
    assert_eq!(v["context"]["aws:SourceIp"][0], "198.51.100.7");
    assert!(
        v["context"].get("aws:SourceVpce").is_none(),
        "no endpoint on the internet path"
    );
    assert_eq!(v["via"][0], "internet");
}

/// Requests as users write them: percent-escapes in the key are decoded (the object ARN the policies
/// see names the real key), `s3://BUCKET/KEY` is what `aws s3` sends (HTTPS to the bucket's
/// Regional name), and an IPv6 literal needs its brackets.
#[test]
fn requests_decode_keys_and_take_s3_uris() {
    let json = |request: &str| -> serde_json::Value {
        let o = vpcsim(&[
            "trace",
            "topologies/gateway-endpoint.yaml",
            "--from",
            "app/web-a",
            request,
            "--format",
            "json",
        ]);
        serde_json::from_slice(&o.stdout).expect("json")
    };
    let v = json(
        "GET https://example-app-data.s3.us-east-1.amazonaws.com/reports/2024%2006%20final.csv",
    );
    assert_eq!(v["s3"]["key"], "reports/2024 06 final.csv");
    assert_eq!(v["verdict"], "allowed", "{v}");
    let v = json("s3://example-app-data/reports/2024-06.csv");
    assert_eq!(v["verdict"], "allowed", "{v}");
    assert_eq!(v["s3"]["bucket"], "example-app-data");
    assert_eq!(v["via"][0], "s3-gateway");
    assert!(
        v["dns"]["steps"][1]["detail"]
            .as_str()
            .unwrap()
            .starts_with("example-app-data.s3.us-east-1.amazonaws.com A"),
        "{v}"
    );
    let o = vpcsim(&[
        "trace",
        "topologies/gateway-endpoint.yaml",
        "--from",
        "app/web-a",
        "GET https://h/a%zz",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("'%zz' is not a percent-escape"));
    let o = vpcsim(&[
        "trace",
        "topologies/gateway-endpoint.yaml",
        "--from",
        "app/web-a",
        "GET https://2001:db8::1/",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs brackets"));
}

/// An interface endpoint whose security group refuses the request was not passed: `via` stops
/// before it.
#[test]
fn a_refused_endpoint_is_not_in_via() {
    let o = vpcsim(&[
        "trace",
        "tests/scenarios/path-failures.yaml",
        "--from",
        "east/builder",
        "GET https://bucket.vpce-0c0d0e0f-cd90ef12.s3.us-east-1.vpce.amazonaws.com/reports/a.csv",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["code"], "sg.no-matching-rule");
    assert_eq!(v["via"], serde_json::json!(["dx-east"]), "{v}");
}

#[test]
fn trace_rejects_bad_input_with_exit_2() {
    for args in [
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "shared/app-9",
            "GET https://s3.us-east-1.amazonaws.com/b/k",
        ],
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "public",
            "GET https://s3.us-east-1.amazonaws.com/b/k",
        ],
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "shared/app-1",
            "FETCH https://x/",
        ],
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "shared/app-1",
            "PUT https://x/",
            "--header",
            "x-amz-acl private",
        ],
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "shared/app-1",
            "PUT https://x/",
            "--header",
            "x-amz-acl: a\u{7f}b",
        ],
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "shared/app-1",
            "GET https://x/",
            "--fail",
            "dx-primray",
        ],
        vec![
            "trace",
            "topologies/hybrid-s3.yaml",
            "--from",
            "shared/app-1",
            "GET https://x/",
            "--principal",
            "nobody",
        ],
    ] {
        let o = vpcsim(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("error:"),
            "{args:?}"
        );
    }
    let o = vpcsim(&[
        "trace",
        "topologies/hybrid-s3.yaml",
        "--from",
        "shared/app-1",
        "GET https://x/",
        "--fail",
        "dx-primray",
    ]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean 'dx-primary'?"));
}

#[test]
fn check_reports_failures_with_exit_1_and_junit() {
    let dir = std::env::temp_dir().join(format!("vpcsim-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(root().join("topologies/hybrid-s3.yaml")).unwrap();
    // Claim the gateway endpoint works over peering: it must fail.
    let wrong = text.replacen(
        "report.csv\n    verdict: unreachable\n",
        "report.csv\n    verdict: allowed\n",
        1,
    );
    assert!(
        wrong != text,
        "the reference topology changed: update this test"
    );
    let file = dir.join("wrong.yaml");
    std::fs::write(&file, wrong).unwrap();
    let o = vpcsim(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("FAIL"), "{stdout}");
    assert!(
        stdout.contains("verdict: expected allowed, got unreachable"),
        "{stdout}"
    );
    let junit = vpcsim(&["check", "--format", "junit", file.to_str().unwrap()]);
    let xml = String::from_utf8_lossy(&junit.stdout);
    assert!(
        xml.contains("<testsuite ") && xml.contains("<failure message="),
        "{xml}"
    );
    let ok = vpcsim(&["check", "topologies/hybrid-s3.yaml"]);
    assert_eq!(ok.status.code(), Some(0));
    std::fs::remove_dir_all(&dir).ok();
}

/// Every source of every topology, every request any expectation makes plus odd ones, with each
/// link down in turn: the engine never panics and always gives a reason.
#[test]
fn no_trace_panics() {
    use vpcsim_dns::Rotation;
    use vpcsim_topology::model::{Check, HostId, InstanceId, LinkId, Source};
    let odd = [
        "http://10.0.0.1:22",
        "GET https://nonexistent.amazonaws.com/",
        "db.internal:5432",
        "GET https://s3.us-east-1.amazonaws.com/",
        "DELETE https://s3.amazonaws.com/x/y?policy",
        "GET https://x.s3-accesspoint.us-east-1.amazonaws.com/k",
        "GET https://control.vpce-1a2b3c4d-5e6f.s3.us-east-1.vpce.amazonaws.com/",
        "GET https://sts.us-east-1.amazonaws.com/",
        "GET https://172.16.5.10/",
        "GET https://glacier.us-east-1.amazonaws.com/-/vaults",
        "GET https://[2606:4700::1111]/",
        "[2600:1f18:1234:5600::20]:443",
        "[::1]:22",
        "s3://doc-example-bucket1/report%20final.csv",
        "s3://my.dotted.bucket/k",
    ];
    for (path, topo) in shipped() {
        let engine = vpcsim_engine::Engine::new(&topo);
        let mut requests: Vec<String> = odd.iter().map(|s| s.to_string()).collect();
        for e in topo
            .expectations
            .iter()
            .chain(topo.scenarios.iter().flat_map(|s| &s.expectations))
        {
            if let Check::Request { request, .. } = &e.check {
                requests.push(request.clone());
            }
        }
        let sources: Vec<Source> = (0..topo.instances.len())
            .map(|i| Source::Instance(InstanceId(i as u32)))
            .chain((0..topo.hosts.len()).map(|h| Source::Host(HostId(h as u32))))
            .collect();
        let mut failures: Vec<Vec<(LinkId, Option<usize>)>> = vec![vec![]];
        failures.extend((0..topo.links.len()).map(|l| vec![(LinkId(l as u32), None)]));
        for down in &failures {
            let net = engine.network(down);
            for source in &sources {
                for r in &requests {
                    if let Ok(q) = engine.trace(
                        &net,
                        *source,
                        "src",
                        r,
                        &vpcsim_engine::Options::default(),
                        &mut Rotation::new(),
                    ) {
                        let what = format!("{}: {r} from {source:?}", path.display());
                        // The trace is data: no words until it is rendered.
                        assert!(q.reason.is_empty(), "{what}: {}", q.reason);
                        assert!(q.context().is_empty(), "{what}: context before rendering");
                        assert!(
                            q.forward
                                .iter()
                                .chain(&q.back)
                                .all(|h| h.at().is_empty() && h.detail().is_empty()),
                            "{what}: text in a trace before rendering"
                        );
                        assert!(
                            q.policy.as_ref().is_none_or(|p| p.explanation.is_empty()),
                            "{what}: policy explanation before rendering"
                        );
                        // Rendered, it has a reason, and only words change.
                        let mut t = q.clone();
                        engine.render(&mut t);
                        assert!(
                            !t.reason.is_empty() && !t.code.is_empty(),
                            "{what}: no reason"
                        );
                        assert!(
                            t.forward
                                .iter()
                                .chain(&t.back)
                                .all(|h| !h.detail().is_empty()),
                            "{what}: a hop without words"
                        );
                        assert_eq!(
                            (q.verdict, q.disposition, q.code),
                            (t.verdict, t.disposition, t.code),
                            "{what}"
                        );
                        assert_eq!(q.components(&topo), t.components(&topo), "{what}");
                        // The names render writes are the ones `via:` is compared with.
                        assert_eq!(t.via(), t.components(&topo), "{what}");
                        assert_eq!(q.deciding(), t.deciding(), "{what}");
                        let codes = |h: &[vpcsim_engine::Hop]| -> Vec<&str> {
                            h.iter().map(|h| h.code()).collect()
                        };
                        assert_eq!(codes(&q.forward), codes(&t.forward), "{what}");
                        assert_eq!(codes(&q.back), codes(&t.back), "{what}");
                        // Rendering again writes the same words.
                        let mut again = t.clone();
                        engine.render(&mut again);
                        assert_eq!(again.reason, t.reason, "{what}");
                        assert_eq!(again.context(), t.context(), "{what}");
                        assert_eq!(again.forward, t.forward, "{what}");
                    }
                }
            }
        }
    }
}

/// The engine derives each VPC's Resolver and compiles each route table the first time a question
/// needs them: the answers are the same whatever was asked before, from several threads at once,
/// as when everything is compiled up front.
#[test]
fn the_lazy_engine_answers_the_same_in_any_order() {
    use vpcsim_dns::{RecordType, Rotation};
    use vpcsim_topology::model::{Check, HostId, InstanceId, Source};
    for (path, topo) in shipped() {
        let mut requests: Vec<String> = vec!["GET https://s3.us-east-1.amazonaws.com/x/y".into()];
        let mut names: Vec<(String, RecordType)> = vec![
            ("s3.us-east-1.amazonaws.com".into(), RecordType::A),
            ("nonexistent.example.com".into(), RecordType::A),
        ];
        for e in topo
            .expectations
            .iter()
            .chain(topo.scenarios.iter().flat_map(|s| &s.expectations))
        {
            match &e.check {
                Check::Request { request, .. } => requests.push(request.clone()),
                Check::Resolve {
                    name, record_type, ..
                } => names.push((name.clone(), *record_type)),
            }
        }
        let sources: Vec<Source> = (0..topo.instances.len())
            .map(|i| Source::Instance(InstanceId(i as u32)))
            .chain((0..topo.hosts.len()).map(|h| Source::Host(HostId(h as u32))))
            .collect();
        let mut questions: Vec<(Source, &str)> = Vec::new();
        for s in &sources {
            for r in &requests {
                questions.push((*s, r.as_str()));
            }
        }
        let answers = |engine: &vpcsim_engine::Engine<'_>, order: &[usize]| -> Vec<String> {
            let net = engine.network(&[]);
            let mut out = vec![String::new(); questions.len()];
            for &i in order {
                let (source, request) = questions[i];
                out[i] = match engine.trace(
                    &net,
                    source,
                    "src",
                    request,
                    &vpcsim_engine::Options::default(),
                    &mut Rotation::new(),
                ) {
                    Ok(mut t) => {
                        engine.render(&mut t);
                        format!("{t:?}")
                    }
                    Err(e) => e.to_string(),
                };
            }
            out
        };
        let resolutions = |engine: &vpcsim_engine::Engine<'_>, reverse: bool| -> Vec<String> {
            let net = engine.network(&[]);
            let mut views = engine.dns.views();
            if reverse {
                views.reverse();
            }
            let mut out: Vec<String> = Vec::new();
            for v in &views {
                for (n, t) in &names {
                    let r = engine.resolve(&net, *v, n, *t, &mut Rotation::new());
                    out.push(format!("{v:?} {r:?}"));
                }
            }
            out.sort();
            out
        };
        let all = vpcsim_engine::Engine::new(&topo);
        all.compile_all();
        let forward: Vec<usize> = (0..questions.len()).collect();
        let want = answers(&all, &forward);
        let want_dns = resolutions(&all, false);
        // Lazily, backwards, and from four threads at once on one engine.
        let lazy = vpcsim_engine::Engine::new(&topo);
        let backward: Vec<usize> = (0..questions.len()).rev().collect();
        assert_eq!(answers(&lazy, &backward), want, "{}", path.display());
        let shared = vpcsim_engine::Engine::new(&topo);
        std::thread::scope(|s| {
            let runs: Vec<_> = (0..4)
                .map(|k| {
                    let shared = &shared;
                    // Every question, each thread starting a quarter further on.
                    let mut order: Vec<usize> = (0..questions.len()).collect();
                    order.rotate_left(k * questions.len() / 4);
                    s.spawn(move || answers(shared, &order))
                })
                .collect();
            for r in runs {
                let got = r.join().expect("no panic");
                for (g, w) in got.iter().zip(&want) {
                    if !g.is_empty() {
                        assert_eq!(g, w, "{}", path.display());
                    }
                }
            }
        });
        let lazy_dns = vpcsim_engine::Engine::new(&topo);
        assert_eq!(resolutions(&lazy_dns, true), want_dns, "{}", path.display());
    }
}

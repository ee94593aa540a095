//! Runs N traces of one request (for instruction counts under callgrind); with `render`, each is
//! put in words too (as `vpcsim trace` shows one). glibc's allocator, as the instruction counts
//! of docs/performance.md have always been taken.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (path, from, req, n, render) = (
        &args[1],
        &args[2],
        &args[3],
        args[4].parse::<usize>().unwrap(),
        args.get(5).is_some_and(|a| a == "render"),
    );
    let loaded = vpcsim_topology::load(path.as_ref(), &vpcsim_topology::StdFs).unwrap();
    let topo = loaded.topology.unwrap();
    let engine = vpcsim_engine::Engine::new(&topo);
    let net = engine.network(&[]);
    let source = topo.find_source(from).unwrap();
    let opts = vpcsim_engine::Options::default();
    let mut rot = vpcsim_dns::Rotation::new();
    let mut allowed = 0;
    for _ in 0..n {
        let mut t = engine
            .trace(&net, source, from, req, &opts, &mut rot)
            .unwrap();
        if render {
            engine.render(&mut t);
        }
        allowed += usize::from(t.verdict == vpcsim_topology::model::Verdict::Allowed);
    }
    std::hint::black_box(allowed);
}

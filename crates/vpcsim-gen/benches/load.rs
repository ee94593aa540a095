//! Load + validate (YAML parse, deserialize, validate, lints) of generated topologies.

use std::path::Path;
use std::time::Duration;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vpcsim_topology::MemFs;

mod common;

fn load_validate(c: &mut Criterion) {
    let mut g = c.benchmark_group("load_validate");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    for n in [100usize, 1_000, 10_000] {
        let text = vpcsim_gen::generate(&common::params(n));
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("vpcs", n), &text, |b, text| {
            b.iter_batched(
                || text.clone(),
                |t| {
                    let loaded =
                        vpcsim_topology::load_str(Path::new("gen.yaml"), t, &MemFs::default());
                    assert!(loaded.is_valid());
                    loaded
                },
                BatchSize::LargeInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, load_validate);
criterion_main!(benches);

//! Point scaling, GPU backend vs CPU backend, G1 and G2, 2^12..2^18 points: `scale_fixed` (one
//! scalar for all points, as `zkey contribute`) and `scale_powers` (point i × first·step^i, as
//! `ptau contribute`). The GPU is timed alone (no cross-check), after a warm-up that compiles its
//! pipelines.
//!
//! Run: `cargo bench --bench scaling`; `TAUFORGE_BENCH_MAX_LOG=14` stops at 2^14 points (on
//! lavapipe 2^18 G2 points take most of a minute per iteration); `-- cpu` or `-- gpu` picks one
//! backend. Without a GPU adapter only the CPU is measured (and a line says so).

use std::time::Duration;

use ark_bn254::Fr;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput};

use tauforge::backend::{Backend, CpuBackend, Group, PointChunk};
use tauforge::bench::random_points;

fn backends() -> Vec<(&'static str, Box<dyn Backend>)> {
    let mut v: Vec<(&'static str, Box<dyn Backend>)> = vec![("cpu", Box::new(CpuBackend))];
    match tauforge::backend::GpuBackend::new() {
        Ok(g) => {
            eprintln!("gpu: {}", g.adapter());
            v.push(("gpu", Box::new(g)));
        }
        Err(e) => eprintln!("no GPU backend ({e}); measuring the CPU only"),
    }
    v
}

fn scaling(c: &mut Criterion) {
    let max_log: u32 = std::env::var("TAUFORGE_BENCH_MAX_LOG").ok().and_then(|v| v.parse().ok()).unwrap_or(18);
    let backends = backends();
    let (k, step) = (-Fr::from(0x1234_5678_9abc_def0u64), Fr::from(7u64));
    for group in [Group::G1, Group::G2] {
        let mut g = c.benchmark_group(format!("scale_{group:?}"));
        g.sample_size(10).warm_up_time(Duration::from_millis(200)).sampling_mode(SamplingMode::Flat);
        for log in (12..=max_log).step_by(2) {
            let n = 1usize << log;
            let points = random_points(group, n, log as u64);
            g.throughput(Throughput::Elements(n as u64));
            for (name, b) in &backends {
                let mut bytes = points.clone();
                g.bench_with_input(BenchmarkId::new(format!("fixed/{name}"), format!("2^{log}")), &n, |bch, _| {
                    bch.iter(|| b.scale_fixed(PointChunk { group, bytes: &mut bytes }, &k).expect("scale_fixed"))
                });
                g.bench_with_input(BenchmarkId::new(format!("powers/{name}"), format!("2^{log}")), &n, |bch, _| {
                    bch.iter(|| {
                        b.scale_powers(PointChunk { group, bytes: &mut bytes }, &k, &step).expect("scale_powers")
                    })
                });
            }
        }
        g.finish();
    }
}

criterion_group!(benches, scaling);
criterion_main!(benches);

//! Phase-2 benchmarks on the CPU backend, through the library API (no process start, no CLI):
//! `zkey contribute` (scale C and H by 1/δ, rewrite the file) and `zkey verify` (recompute the
//! initial zkey from r1cs + ptau, check the chain, random-linear-combination MSMs on C and H).
//!
//! Two domain sizes from the committed fixtures (`tests/fixtures/README.md`):
//! * `merkle_2^12`     — merkle.r1cs (3,647 constraints) + pot12_final.ptau
//! * `chain20000_2^15` — chain20000.r1cs (20,000 constraints) + pot15_final.ptau (d = 2^P)
//!
//! Run: `cargo bench --bench phase2` (all), `cargo bench --bench phase2 -- merkle` (one size).
//! Criterion's minimum of 10 samples applies; at 2^15 one iteration takes seconds, so criterion
//! will report that it extended the measurement time — that is expected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};

use tauforge::backend::CpuBackend;
use tauforge::crypto::entropy::random_rng;
use tauforge::phase2::contribute::{contribute, Source};
use tauforge::phase2::new::zkey_new;
use tauforge::phase2::verify::verify_from_r1cs;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

struct Case {
    name: &'static str,
    r1cs: PathBuf,
    ptau: PathBuf,
}

fn cases() -> Vec<Case> {
    vec![
        Case { name: "merkle_2^12", r1cs: fixture("circuits/merkle.r1cs"), ptau: fixture("pot12_final.ptau") },
        Case { name: "chain20000_2^15", r1cs: fixture("circuits/chain20000.r1cs"), ptau: fixture("pot15_final.ptau") },
    ]
}

fn phase2(c: &mut Criterion) {
    tauforge::progress::set_quiet(true);
    let backend = CpuBackend;
    let dir = tempfile::Builder::new().prefix("tauforge-bench-").tempdir().expect("temporary directory");

    let mut g = c.benchmark_group("phase2");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(10))
        .sampling_mode(SamplingMode::Flat);

    for case in cases() {
        // Setup (not timed): the initial zkey and one contribution on top of it.
        let z0 = dir.path().join(format!("{}_0000.zkey", case.name));
        let z1 = dir.path().join(format!("{}_0001.zkey", case.name));
        let out = dir.path().join(format!("{}_out.zkey", case.name));
        zkey_new(&case.r1cs, &case.ptau, &z0).expect("zkey new");
        let mut rng = random_rng(b"bench setup").expect("OS randomness");
        contribute(&z0, &z1, Source::Random(&mut rng), Some("setup"), &backend).expect("setup contribution");

        g.bench_function(BenchmarkId::new("contribute", case.name), |b| {
            b.iter(|| {
                let mut rng = random_rng(b"bench entropy").expect("OS randomness");
                contribute(&z1, &out, Source::Random(&mut rng), Some("bench"), &backend).expect("contribute")
            })
        });

        g.bench_function(BenchmarkId::new("verify", case.name), |b| {
            b.iter(|| verify_from_r1cs(&case.r1cs, &case.ptau, &z1, &backend).expect("verify"))
        });
    }
    g.finish();
}

criterion_group!(benches, phase2);
criterion_main!(benches);

//! GPU point scaling against arkworks, on both arithmetic paths (native 64-bit products and the
//! 32-bit-only path), G1 and G2, random inputs and edge cases.
//!
//! Needs a GPU adapter; on a machine without a GPU, Mesa's lavapipe (`apt-get install
//! mesa-vulkan-drivers`, `WGPU_BACKEND=vulkan`) stands in. Without an adapter these tests fail,
//! they never skip. Run with `WGPU_BACKEND=vulkan cargo test --release --test gpu_scale`.
#![cfg(feature = "gpu")]

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, UniformRand, Zero};
use rand::rngs::StdRng;
use rand::SeedableRng;

use tauforge::backend::gpu::{Arith, GpuBackend, GpuOptions};
use tauforge::backend::{Backend, CrossChecked, Group, PointChunk};
use tauforge::format::points::{g1_to_lem, g2_to_lem};

const PATHS: [Arith; 2] = [Arith::U64, Arith::U32];

/// The GPU backend on `arith`; panics (fails the test) when there is no adapter.
fn gpu(arith: Arith, max_chunk_points: Option<usize>) -> GpuBackend {
    match GpuBackend::with_options(GpuOptions { arith: Some(arith), max_chunk_points }) {
        Ok(b) => b,
        Err(e) => panic!(
            "no usable GPU adapter ({e}). On a machine without a GPU install Mesa's lavapipe \
             (apt-get install mesa-vulkan-drivers) and set WGPU_BACKEND=vulkan{}",
            if std::env::var_os("CI").is_some() { " (CI is set: GPU tests never skip)" } else { "" }
        ),
    }
}

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// `n` random G1 points with edge cases mixed in: identities, repeated points, P and −P.
fn g1_points(n: usize, seed: u64) -> Vec<G1Affine> {
    let mut r = rng(seed);
    let mut v: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut r)).collect();
    for i in 0..n {
        match i % 11 {
            3 => v[i] = G1Affine::identity(),
            5 if i > 0 => v[i] = v[i - 1],
            7 if i > 0 => v[i] = -v[i - 1],
            9 => v[i] = G1Affine::generator(),
            _ => {}
        }
    }
    v
}

/// `n` random G2 points with the same edge cases.
fn g2_points(n: usize, seed: u64) -> Vec<G2Affine> {
    let mut r = rng(seed);
    let mut v: Vec<G2Affine> = (0..n).map(|_| G2Affine::rand(&mut r)).collect();
    for i in 0..n {
        match i % 11 {
            3 => v[i] = G2Affine::identity(),
            5 if i > 0 => v[i] = v[i - 1],
            7 if i > 0 => v[i] = -v[i - 1],
            9 => v[i] = G2Affine::generator(),
            _ => {}
        }
    }
    v
}

fn g1_bytes(v: &[G1Affine]) -> Vec<u8> {
    v.iter().flat_map(g1_to_lem).collect()
}

fn g2_bytes(v: &[G2Affine]) -> Vec<u8> {
    v.iter().flat_map(g2_to_lem).collect()
}

/// Scalars worth testing: 0, 1, 2, r−1, (r−1)/2, and random ones.
fn edge_scalars(seed: u64) -> Vec<Fr> {
    let mut r = rng(seed);
    let half = -Fr::ONE * Fr::from(2u64).inverse().unwrap();
    vec![Fr::zero(), Fr::ONE, Fr::from(2u64), -Fr::ONE, half, Fr::rand(&mut r), Fr::rand(&mut r)]
}

/// The expected LEM bytes of points[i] · scalars(i).
fn want_g1(points: &[G1Affine], s: impl Fn(usize) -> Fr) -> Vec<u8> {
    let proj: Vec<G1Projective> = points.iter().enumerate().map(|(i, p)| *p * s(i)).collect();
    g1_bytes(&G1Projective::normalize_batch(&proj))
}

fn want_g2(points: &[G2Affine], s: impl Fn(usize) -> Fr) -> Vec<u8> {
    let proj: Vec<G2Projective> = points.iter().enumerate().map(|(i, p)| *p * s(i)).collect();
    g2_bytes(&G2Projective::normalize_batch(&proj))
}

/// Index of the first differing point, for readable failures.
fn first_diff(got: &[u8], want: &[u8], size: usize) -> Option<usize> {
    got.chunks(size).zip(want.chunks(size)).position(|(a, b)| a != b)
}

fn assert_same(got: &[u8], want: &[u8], size: usize, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = first_diff(got, want, size) {
        panic!("{what}: point {i} differs from arkworks");
    }
}

fn scale_fixed_case(b: &GpuBackend, group: Group, n: usize, s: Fr, seed: u64) {
    let what = format!("scale_fixed {group:?} {:?} n={n} s={s}", b.arith());
    let (mut bytes, want, size) = match group {
        Group::G1 => {
            let p = g1_points(n, seed);
            (g1_bytes(&p), want_g1(&p, |_| s), 64)
        }
        Group::G2 => {
            let p = g2_points(n, seed);
            (g2_bytes(&p), want_g2(&p, |_| s), 128)
        }
    };
    b.scale_fixed(PointChunk { group, bytes: &mut bytes }, &s).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_same(&bytes, &want, size, &what);
}

fn scale_each_case(b: &GpuBackend, group: Group, n: usize, seed: u64) {
    let what = format!("scale_each {group:?} {:?} n={n}", b.arith());
    let edge = edge_scalars(seed);
    let mut r = rng(seed + 1);
    let scalars: Vec<Fr> =
        (0..n).map(|i| if i % 3 == 0 { edge[(i / 3) % edge.len()] } else { Fr::rand(&mut r) }).collect();
    let (mut bytes, want, size) = match group {
        Group::G1 => {
            let p = g1_points(n, seed);
            (g1_bytes(&p), want_g1(&p, |i| scalars[i]), 64)
        }
        Group::G2 => {
            let p = g2_points(n, seed);
            (g2_bytes(&p), want_g2(&p, |i| scalars[i]), 128)
        }
    };
    b.scale_each(PointChunk { group, bytes: &mut bytes }, &scalars).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_same(&bytes, &want, size, &what);
}

#[test]
fn name_describes_adapter_and_path() {
    for a in PATHS {
        let b = gpu(a, None);
        let name = b.name();
        assert!(name.starts_with("gpu: "), "{name}");
        assert!(name.contains(if a == Arith::U64 { "int64" } else { "u32-only" }), "{name}");
    }
}

#[test]
fn g1_scale_fixed_edge_scalars_both_paths() {
    for a in PATHS {
        let b = gpu(a, None);
        for (j, s) in edge_scalars(1).into_iter().enumerate() {
            scale_fixed_case(&b, Group::G1, 67, s, 10 + j as u64);
        }
    }
}

#[test]
fn g2_scale_fixed_edge_scalars_both_paths() {
    for a in PATHS {
        let b = gpu(a, None);
        for (j, s) in edge_scalars(2).into_iter().enumerate() {
            scale_fixed_case(&b, Group::G2, 67, s, 20 + j as u64);
        }
    }
}

#[test]
fn scale_fixed_batch_sizes() {
    // Sizes around the workgroup size (64), a single point, and a larger batch.
    let mut r = rng(3);
    for a in PATHS {
        let b = gpu(a, None);
        for n in [1usize, 63, 64, 65, 129] {
            scale_fixed_case(&b, Group::G1, n, Fr::rand(&mut r), n as u64);
        }
        scale_fixed_case(&b, Group::G2, 1, Fr::rand(&mut r), 4);
        scale_fixed_case(&b, Group::G2, 65, Fr::rand(&mut r), 5);
    }
    scale_fixed_case(&gpu(Arith::U64, None), Group::G1, 1000, Fr::rand(&mut r), 6);
}

#[test]
fn all_equal_points() {
    let mut r = rng(4);
    let s = Fr::rand(&mut r);
    for a in PATHS {
        let b = gpu(a, None);
        let p = vec![G1Affine::rand(&mut r); 70];
        let mut bytes = g1_bytes(&p);
        b.scale_fixed(PointChunk { group: Group::G1, bytes: &mut bytes }, &s).unwrap();
        assert_same(&bytes, &want_g1(&p, |_| s), 64, "equal G1 points");
        let p = vec![G2Affine::rand(&mut r); 70];
        let mut bytes = g2_bytes(&p);
        b.scale_fixed(PointChunk { group: Group::G2, bytes: &mut bytes }, &s).unwrap();
        assert_same(&bytes, &want_g2(&p, |_| s), 128, "equal G2 points");
        // Only identities.
        let mut zeros = vec![0u8; 64 * 5];
        b.scale_fixed(PointChunk { group: Group::G1, bytes: &mut zeros }, &s).unwrap();
        assert!(zeros.iter().all(|&v| v == 0));
    }
}

#[test]
fn scale_each_both_groups_both_paths() {
    for a in PATHS {
        let b = gpu(a, None);
        scale_each_case(&b, Group::G1, 150, 7);
        scale_each_case(&b, Group::G2, 70, 8);
    }
}

/// Point i times first·step^i, the scalars computed on the GPU; `chunk` forces several chunks (so
/// the exponent offsets of later chunks are exercised).
fn scale_powers_case(b: &GpuBackend, group: Group, n: usize, first: Fr, step: Fr, seed: u64) {
    let s = |i: usize| first * step.pow([i as u64]);
    let (mut bytes, want) = match group {
        Group::G1 => {
            let p = g1_points(n, seed);
            (g1_bytes(&p), want_g1(&p, s))
        }
        Group::G2 => {
            let p = g2_points(n, seed);
            (g2_bytes(&p), want_g2(&p, s))
        }
    };
    b.scale_powers(PointChunk { group, bytes: &mut bytes }, &first, &step).unwrap();
    assert_same(&bytes, &want, group.point_size(), &format!("scale_powers {group:?} {:?}", b.arith()));
}

#[test]
fn scale_powers_computes_the_powers_on_the_gpu() {
    let mut r = rng(9);
    for a in PATHS {
        let b = gpu(a, None);
        let (first, step) = (Fr::rand(&mut r), Fr::rand(&mut r));
        scale_powers_case(&b, Group::G1, 100, first, step, 9);
        scale_powers_case(&b, Group::G2, 40, first, step, 10);
        // Edge scalars: step 0 (only point 0 survives), 1, −1; first 0 and r − 1.
        for (f, st) in [(first, Fr::zero()), (first, Fr::ONE), (-Fr::ONE, -Fr::ONE), (Fr::zero(), step)] {
            scale_powers_case(&b, Group::G1, 20, f, st, 11);
        }
    }
    // Across chunks of 30: later chunks start at exponent 30, 60, ….
    let b = gpu(Arith::U64, Some(30));
    scale_powers_case(&b, Group::G1, 100, Fr::rand(&mut r), Fr::rand(&mut r), 12);
    scale_powers_case(&b, Group::G2, 70, Fr::rand(&mut r), Fr::rand(&mut r), 13);
}

#[test]
fn batches_larger_than_one_chunk() {
    // Chunks of 50 points: several chunks, both buffer slots reused, a ragged last chunk.
    let mut r = rng(11);
    for a in PATHS {
        let b = gpu(a, Some(50));
        scale_fixed_case(&b, Group::G1, 217, Fr::rand(&mut r), 12);
        scale_fixed_case(&b, Group::G2, 120, Fr::rand(&mut r), 13);
        scale_each_case(&b, Group::G1, 160, 14);
        scale_each_case(&b, Group::G2, 101, 15);
    }
}

#[test]
fn empty_and_malformed_chunks() {
    let b = gpu(Arith::U64, None);
    let mut empty: Vec<u8> = Vec::new();
    b.scale_fixed(PointChunk { group: Group::G1, bytes: &mut empty }, &Fr::ONE).unwrap();
    b.scale_each(PointChunk { group: Group::G2, bytes: &mut empty }, &[]).unwrap();
    let mut ragged = vec![0u8; 100];
    let e = b.scale_fixed(PointChunk { group: Group::G1, bytes: &mut ragged }, &Fr::ONE).unwrap_err();
    assert!(e.to_string().contains("whole number of points"), "{e}");
    let mut two = vec![0u8; 128];
    let e = b.scale_each(PointChunk { group: Group::G1, bytes: &mut two }, &[Fr::ONE]).unwrap_err();
    assert!(e.to_string().contains("1 scalars for 2 points"), "{e}");
}

#[test]
fn cross_checked_gpu_passes() {
    let mut r = rng(17);
    let b = CrossChecked::new(gpu(Arith::U64, Some(64)));
    let p = g1_points(130, 17);
    let mut bytes = g1_bytes(&p);
    let s = Fr::rand(&mut r);
    b.scale_fixed(PointChunk { group: Group::G1, bytes: &mut bytes }, &s).unwrap();
    assert_same(&bytes, &want_g1(&p, |_| s), 64, "cross-checked");
    let p = g2_points(40, 18);
    let mut bytes = g2_bytes(&p);
    b.scale_powers(PointChunk { group: Group::G2, bytes: &mut bytes }, &s, &Fr::from(3u64)).unwrap();
    // Sub-batches of 50 points (the last one short), checked while the GPU scales the next.
    let b = CrossChecked::new(gpu(Arith::U64, Some(64))).with_pipeline(50);
    let p = g1_points(130, 19);
    let mut bytes = g1_bytes(&p);
    b.scale_powers(PointChunk { group: Group::G1, bytes: &mut bytes }, &s, &Fr::from(5u64)).unwrap();
    let five = Fr::from(5u64);
    assert_same(&bytes, &want_g1(&p, |i| s * five.pow([i as u64])), 64, "pipelined scale_powers");
}

/// The complete formulas on their edge cases, through raw programs of the scale_fixed kernel
/// (acc and T[0] start as P; no scalar reaches P + (−P) inside a chain).
#[test]
fn complete_formulas_edge_cases() {
    use tauforge::backend::gpu::ops::{idx, ADD, DBL, ENDO, NEG, SETP2, SRC};
    let mut r = rng(20);
    let g1: Vec<G1Affine> = vec![G1Affine::rand(&mut r), G1Affine::identity(), G1Affine::generator()];
    let g2: Vec<G2Affine> = vec![G2Affine::rand(&mut r), G2Affine::identity(), G2Affine::generator()];
    let lambda1 = <ark_bn254::g1::Config as ark_ec::scalar_mul::glv::GLVConfig>::LAMBDA;
    let lambda2 = <ark_bn254::g2::Config as ark_ec::scalar_mul::glv::GLVConfig>::LAMBDA;
    // (program, the multiple of P it computes, with λ as given per group).
    let cases = |lambda: Fr| -> Vec<(Vec<u32>, Fr)> {
        vec![
            (vec![ADD | NEG | idx(0)], Fr::zero()),                    // P + (−P)
            (vec![ADD | idx(0)], Fr::from(2u64)),                      // P + P
            (vec![DBL | SETP2, ADD | SRC | NEG], Fr::zero()),          // 2P + (−2P)
            (vec![DBL | SETP2, ADD | SRC, ADD | SRC], Fr::from(6u64)), // 2P + 2P + 2P
            (vec![ADD | ENDO | idx(0)], Fr::ONE + lambda),             // P + φ(P)
            (vec![ADD | NEG | idx(0), DBL, ADD | idx(0)], Fr::ONE),    // 2·O + P
            (vec![], Fr::ONE),                                         // P itself
        ]
    };
    for a in PATHS {
        let b = gpu(a, None);
        for (ops, m) in cases(lambda1) {
            let mut bytes = g1_bytes(&g1);
            b.run_fixed_program(PointChunk { group: Group::G1, bytes: &mut bytes }, &ops).unwrap();
            assert_same(&bytes, &want_g1(&g1, |_| m), 64, &format!("G1 {a:?} program {ops:?}"));
        }
        for (ops, m) in cases(lambda2) {
            let mut bytes = g2_bytes(&g2);
            b.run_fixed_program(PointChunk { group: Group::G2, bytes: &mut bytes }, &ops).unwrap();
            assert_same(&bytes, &want_g2(&g2, |_| m), 128, &format!("G2 {a:?} program {ops:?}"));
        }
    }
}

//! The GPU MSM (Pippenger on wgpu; lavapipe in CI) against arkworks, G1 and G2, at sizes 1, 2, 3,
//! 100, 2^10 + 1 and 2^14, with zero scalars, scalars ≥ 2^253, short (64-bit) scalars, repeated
//! points and the identity; and the cross-checked wrapper around it.
#![cfg(feature = "gpu")]

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField, UniformRand, Zero};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use tauforge::backend::gpu::{Arith, GpuBackend, GpuOptions};
use tauforge::backend::{Backend, CrossChecked, Group, Projective};
use tauforge::format::points::{g1_to_lem, g2_to_lem};

fn gpu(arith: Arith) -> GpuBackend {
    GpuBackend::with_options(GpuOptions { arith: Some(arith), max_chunk_points: None }).unwrap_or_else(|e| {
        panic!("no usable GPU adapter ({e}); install Mesa's lavapipe (mesa-vulkan-drivers), WGPU_BACKEND=vulkan")
    })
}

/// Scalars exercising every case: zeros, ones, r − 1, ≥ 2^253, 64-bit, random.
fn scalars(n: usize, seed: u64) -> Vec<Fr> {
    let mut r = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|i| match i % 7 {
            0 => Fr::zero(),
            1 => -Fr::from(1u64),
            2 => {
                // ≥ 2^253: r − (a small random number).
                -Fr::from(r.gen::<u32>() as u64 + 2)
            }
            3 => Fr::from(r.gen::<u64>()),
            4 => Fr::from(1u64),
            _ => Fr::rand(&mut r),
        })
        .collect()
}

/// Points with repeats and identities: every 5th is the identity, every 3rd repeats its
/// predecessor.
fn g1_points(n: usize, seed: u64) -> Vec<G1Affine> {
    let mut r = StdRng::seed_from_u64(seed);
    let base = G1Projective::rand(&mut r);
    let mut acc = base;
    let mut v: Vec<G1Projective> = Vec::with_capacity(n);
    for i in 0..n {
        v.push(if i % 5 == 4 {
            G1Projective::zero()
        } else if i % 3 == 2 && i > 0 {
            v[i - 1]
        } else {
            acc += base;
            acc
        });
    }
    G1Projective::normalize_batch(&v)
}

fn g2_points(n: usize, seed: u64) -> Vec<G2Affine> {
    let mut r = StdRng::seed_from_u64(seed);
    let base = G2Projective::rand(&mut r);
    let mut acc = base;
    let mut v: Vec<G2Projective> = Vec::with_capacity(n);
    for i in 0..n {
        v.push(if i % 5 == 4 {
            G2Projective::zero()
        } else if i % 3 == 2 && i > 0 {
            v[i - 1]
        } else {
            acc += base;
            acc
        });
    }
    G2Projective::normalize_batch(&v)
}

fn check(b: &dyn Backend, group: Group, n: usize, seed: u64) {
    let s = scalars(n, seed);
    assert!(n < 3 || s.iter().any(|x| x.into_bigint().num_bits() >= 254), "a scalar ≥ 2^253");
    let (bytes, want) = match group {
        Group::G1 => {
            let p = g1_points(n, seed);
            (p.iter().flat_map(g1_to_lem).collect::<Vec<u8>>(), Projective::G1(G1Projective::msm_unchecked(&p, &s)))
        }
        Group::G2 => {
            let p = g2_points(n, seed);
            (p.iter().flat_map(g2_to_lem).collect::<Vec<u8>>(), Projective::G2(G2Projective::msm_unchecked(&p, &s)))
        }
    };
    let got = b.msm(&bytes, group, &s).unwrap_or_else(|e| panic!("{group:?} n={n}: {e}"));
    assert_eq!(got, want, "{group:?} MSM of {n} points on {}", b.name());
}

#[test]
fn g1_msm_equals_arkworks() {
    let b = gpu(Arith::U64);
    for n in [1, 2, 3, 100, (1 << 10) + 1, 1 << 14] {
        check(&b, Group::G1, n, n as u64);
    }
}

#[test]
fn g2_msm_equals_arkworks() {
    let b = gpu(Arith::U64);
    for n in [1, 2, 3, 100, (1 << 10) + 1, 1 << 14] {
        check(&b, Group::G2, n, 100 + n as u64);
    }
}

#[test]
fn u32_path_msm_equals_arkworks() {
    let b = gpu(Arith::U32);
    for n in [3, 100] {
        check(&b, Group::G1, n, 7 + n as u64);
        check(&b, Group::G2, n, 9 + n as u64);
    }
}

#[test]
fn degenerate_inputs() {
    let b = gpu(Arith::U64);
    // No points; all-zero scalars; all-identity points; one scalar on many equal points.
    assert_eq!(b.msm(&[], Group::G1, &[]).unwrap(), Projective::G1(G1Projective::zero()));
    let p = g1_points(50, 3);
    let bytes: Vec<u8> = p.iter().flat_map(g1_to_lem).collect();
    assert_eq!(b.msm(&bytes, Group::G1, &[Fr::zero(); 50]).unwrap(), Projective::G1(G1Projective::zero()));
    assert_eq!(
        b.msm(&vec![0u8; 64 * 9], Group::G1, &[Fr::from(5u64); 9]).unwrap(),
        Projective::G1(G1Projective::zero())
    );
    let g = G1Affine::generator();
    let same: Vec<u8> = (0..300).flat_map(|_| g1_to_lem(&g)).collect();
    let s = vec![Fr::from(3u64); 300];
    assert_eq!(b.msm(&same, Group::G1, &s).unwrap(), Projective::G1(G1Projective::from(g) * Fr::from(900u64)));
    let e = b.msm(&bytes[..64 * 3], Group::G1, &[Fr::from(1u64); 4]).unwrap_err();
    assert!(e.to_string().contains("4 scalars"), "{e}");
}

#[test]
fn cross_checked_gpu_msm() {
    // Small MSMs are recomputed on the CPU; large ones are checked on a random split.
    let b = CrossChecked::new(gpu(Arith::U64));
    check(&b, Group::G1, 100, 1);
    check(&b, Group::G1, 10_000, 2);
    check(&b, Group::G2, 5_000, 3);
}

#[test]
fn skewed_buckets_equal_scalars() {
    // Scalars sharing their high windows put every point in the same bucket of those windows:
    // thousands of entries in one bucket, split into bounded tasks on the GPU.
    let b = gpu(Arith::U64);
    let n = 6000;
    let p = g1_points(n, 5);
    let bytes: Vec<u8> = p.iter().flat_map(g1_to_lem).collect();
    let mut r = StdRng::seed_from_u64(1);
    let s: Vec<Fr> = (0..n).map(|_| -Fr::from(r.gen::<u32>() as u64)).collect();
    assert_eq!(b.msm(&bytes, Group::G1, &s).unwrap(), Projective::G1(G1Projective::msm_unchecked(&p, &s)));
    let same = vec![Fr::from(12345u64); n];
    assert_eq!(b.msm(&bytes, Group::G1, &same).unwrap(), Projective::G1(G1Projective::msm_unchecked(&p, &same)));
    let q = g2_points(3000, 6);
    let bytes: Vec<u8> = q.iter().flat_map(g2_to_lem).collect();
    let s2 = vec![-Fr::from(7u64); 3000];
    assert_eq!(b.msm(&bytes, Group::G2, &s2).unwrap(), Projective::G2(G2Projective::msm_unchecked(&q, &s2)));
}

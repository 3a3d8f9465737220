//! Throughput of the backend operations, for `tauforge bench` and the criterion benches: random
//! points made cheaply (running sums, normalised in batches), each operation timed on them; and a
//! whole `zkey contribute` on a synthetic zkey ([`zkey`]).

pub mod zkey;

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{Field, UniformRand};
use ark_std::rand::rngs::StdRng;
use ark_std::rand::SeedableRng;
use rayon::prelude::*;
use serde::Serialize;

use crate::backend::{Backend, Group, PointChunk};
use crate::error::Result;
use crate::format::points::{g1_to_lem, g2_to_lem};

/// A backend operation that `tauforge bench` times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    /// Every point times one scalar (`zkey contribute`/`beacon`).
    ScaleFixed,
    /// Point i times its own given scalar.
    ScaleEach,
    /// Point i times first·step^i (`ptau contribute`/`beacon`).
    ScalePowers,
    /// One multi-scalar multiplication with full-width scalars (verification).
    Msm,
    /// A whole `zkey contribute` (read, check, scale C and H, write) on a synthetic zkey whose
    /// domain is the point count; G1 only, the rate is domain points per second.
    ZkeyContribute,
}

impl Op {
    /// True for operations that time a whole verb on files rather than one backend call.
    pub fn is_verb(self) -> bool {
        self == Op::ZkeyContribute
    }
}

/// `n` distinct LEM points of `group`: P, 2P, 3P, … from a random P.
pub fn random_points(group: Group, n: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let s = Fr::rand(&mut rng);
    match group {
        Group::G1 => multiples(G1Projective::generator() * s, n).iter().flat_map(g1_to_lem).collect(),
        Group::G2 => multiples(G2Projective::generator() * s, n).iter().flat_map(g2_to_lem).collect(),
    }
}

/// P, 2P, …, nP in affine form, in parallel blocks (each from its own first multiple).
fn multiples<C: CurveGroup>(p: C, n: usize) -> Vec<C::Affine> {
    const BLOCK: usize = 1 << 12;
    let mut out = vec![C::Affine::zero(); n];
    out.par_chunks_mut(BLOCK).enumerate().for_each(|(b, chunk)| {
        let mut acc = p * C::ScalarField::from((b * BLOCK + 1) as u64);
        let v: Vec<C> = (0..chunk.len())
            .map(|_| {
                let r = acc;
                acc += p;
                r
            })
            .collect();
        chunk.copy_from_slice(&C::normalize_batch(&v));
    });
    out
}

/// One timed run of `op` on `points` (a copy is scaled; `points` is left as it was).
pub fn run_once(backend: &dyn Backend, op: Op, group: Group, points: &[u8], seed: u64) -> Result<f64> {
    let n = points.len() / group.point_size();
    let mut rng = StdRng::seed_from_u64(seed);
    let k = Fr::rand(&mut rng);
    let scalars: Vec<Fr> = match op {
        Op::ScaleEach | Op::Msm => (0..n).map(|_| Fr::rand(&mut rng)).collect(),
        _ => Vec::new(),
    };
    let mut bytes = points.to_vec();
    let t = Instant::now();
    match op {
        Op::ScaleFixed => backend.scale_fixed(PointChunk { group, bytes: &mut bytes }, &k)?,
        Op::ScaleEach => backend.scale_each(PointChunk { group, bytes: &mut bytes }, &scalars)?,
        Op::ScalePowers => backend.scale_powers(PointChunk { group, bytes: &mut bytes }, &k, &k.square())?,
        Op::Msm => {
            backend.msm(&bytes, group, &scalars)?;
        }
        Op::ZkeyContribute => {
            return Err(crate::error::Error::Invalid("zkey-contribute is timed by measure_in".into()));
        }
    }
    Ok(t.elapsed().as_secs_f64())
}

/// One line of the bench table.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// The backend's name (adapter included).
    pub backend: String,
    /// The operation.
    pub op: Op,
    /// "G1" or "G2".
    pub group: String,
    /// Points per run.
    pub points: usize,
    /// The fastest of the timed runs, in seconds.
    pub seconds: f64,
    /// points / seconds.
    pub points_per_second: f64,
}

/// Times `op` on `n` points: one untimed warm-up (pipeline compilation, caches), then the best of
/// `repeat` runs; `zkey-contribute` writes its files to a temporary folder.
pub fn measure(backend: &dyn Backend, op: Op, group: Group, n: usize, repeat: usize) -> Result<Measurement> {
    if !op.is_verb() {
        return measure_op(backend, op, group, n, repeat);
    }
    let dir = tempfile::tempdir().map_err(|e| crate::error::Error::io(std::env::temp_dir(), e))?;
    measure_in(backend, op, group, n, repeat, dir.path())
}

/// [`measure`], with `zkey-contribute`'s synthetic zkey and its contribution kept in `dir`.
pub fn measure_in(
    backend: &dyn Backend,
    op: Op,
    group: Group,
    n: usize,
    repeat: usize,
    dir: &Path,
) -> Result<Measurement> {
    if !op.is_verb() {
        return measure_op(backend, op, group, n, repeat);
    }
    let (seconds, _) = zkey::time_contribute(backend, n, repeat, dir)?;
    Ok(measurement(backend, op, Group::G1, n, seconds))
}

/// A backend operation timed on `n` random points.
fn measure_op(backend: &dyn Backend, op: Op, group: Group, n: usize, repeat: usize) -> Result<Measurement> {
    let points = random_points(group, n, 1);
    run_once(backend, op, group, &points[..points.len().min(group.point_size() * 64)], 2)?;
    let mut best = f64::INFINITY;
    for r in 0..repeat.max(1) {
        best = best.min(run_once(backend, op, group, &points, 3 + r as u64)?);
    }
    Ok(measurement(backend, op, group, n, best))
}

fn measurement(backend: &dyn Backend, op: Op, group: Group, n: usize, seconds: f64) -> Measurement {
    Measurement {
        backend: backend.name(),
        op,
        group: format!("{group:?}"),
        points: n,
        seconds,
        points_per_second: n as f64 / seconds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use crate::format::points::{g1_from_lem, g2_from_lem_on_curve};

    #[test]
    fn random_points_are_valid_and_distinct() {
        // Past one parallel block: still P, 2P, 3P, … across the block boundary.
        let g1 = random_points(Group::G1, 5000, 7);
        assert_eq!(g1.len(), 5000 * 64);
        let pts: Vec<_> = g1.chunks(64).map(|b| g1_from_lem(b).unwrap()).collect();
        assert!(pts.windows(2).all(|w| w[0] != w[1]));
        for i in [0, 4095, 4998] {
            assert_eq!((pts[i + 1] - pts[i]).into_affine(), pts[0], "step {i}");
        }
        let g2 = random_points(Group::G2, 5, 7);
        assert!(g2.chunks(128).all(|b| g2_from_lem_on_curve(b).is_ok()));
    }

    #[test]
    fn measure_reports_every_op() {
        for op in [Op::ScaleFixed, Op::ScaleEach, Op::ScalePowers, Op::Msm, Op::ZkeyContribute] {
            let n = if op.is_verb() { 64 } else { 100 };
            let m = measure(&CpuBackend, op, Group::G1, n, 1).unwrap();
            assert_eq!(m.points, n);
            assert!(m.seconds > 0.0 && m.points_per_second > 0.0, "{m:?}");
        }
    }
}

//! Throughput of the backend operations, for `tauforge bench` and the criterion benches: random
//! points made cheaply (a running sum, normalised in one batch), each operation timed on them.

use std::time::Instant;

use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup};
use ark_ff::{Field, UniformRand};
use ark_std::rand::rngs::StdRng;
use ark_std::rand::SeedableRng;
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
}

/// `n` distinct LEM points of `group`: P, 2P, 3P, … from a random P.
pub fn random_points(group: Group, n: usize, seed: u64) -> Vec<u8> {
    let mut rng = StdRng::seed_from_u64(seed);
    let s = Fr::rand(&mut rng);
    match group {
        Group::G1 => {
            let p = G1Projective::generator() * s;
            let mut acc = p;
            let v: Vec<G1Projective> = (0..n)
                .map(|_| {
                    let r = acc;
                    acc += p;
                    r
                })
                .collect();
            G1Projective::normalize_batch(&v).iter().flat_map(g1_to_lem).collect()
        }
        Group::G2 => {
            let p = G2Projective::generator() * s;
            let mut acc = p;
            let v: Vec<G2Projective> = (0..n)
                .map(|_| {
                    let r = acc;
                    acc += p;
                    r
                })
                .collect();
            G2Projective::normalize_batch(&v).iter().flat_map(g2_to_lem).collect()
        }
    }
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
/// `repeat` runs.
pub fn measure(backend: &dyn Backend, op: Op, group: Group, n: usize, repeat: usize) -> Result<Measurement> {
    let points = random_points(group, n, 1);
    run_once(backend, op, group, &points[..points.len().min(group.point_size() * 64)], 2)?;
    let mut best = f64::INFINITY;
    for r in 0..repeat.max(1) {
        best = best.min(run_once(backend, op, group, &points, 3 + r as u64)?);
    }
    Ok(Measurement {
        backend: backend.name(),
        op,
        group: format!("{group:?}"),
        points: n,
        seconds: best,
        points_per_second: n as f64 / best,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use crate::format::points::{g1_from_lem, g2_from_lem_on_curve};

    #[test]
    fn random_points_are_valid_and_distinct() {
        let g1 = random_points(Group::G1, 50, 7);
        assert_eq!(g1.len(), 50 * 64);
        let pts: Vec<_> = g1.chunks(64).map(|b| g1_from_lem(b).unwrap()).collect();
        assert!(pts.windows(2).all(|w| w[0] != w[1]));
        let g2 = random_points(Group::G2, 5, 7);
        assert!(g2.chunks(128).all(|b| g2_from_lem_on_curve(b).is_ok()));
    }

    #[test]
    fn measure_reports_every_op() {
        for op in [Op::ScaleFixed, Op::ScaleEach, Op::ScalePowers, Op::Msm] {
            let m = measure(&CpuBackend, op, Group::G1, 100, 1).unwrap();
            assert_eq!(m.points, 100);
            assert!(m.seconds > 0.0 && m.points_per_second > 0.0, "{m:?}");
        }
    }
}

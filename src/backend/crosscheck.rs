//! `CrossChecked<B>`: runs any backend and checks every batch against the CPU before returning.
//!
//! For the scaling operations, on every batch: every output must decode as a point on the curve;
//! a random sample of points is recomputed exactly with arkworks; and one same-ratio check covers
//! the whole batch: with random 128-bit r_i, Σ r_i·out_i must equal s·Σ r_i·in_i (`scale_fixed`,
//! two CPU MSMs and one scalar multiplication) or Σ (r_i·s_i)·in_i (`scale_each`, `scale_powers`).
//! A wrong point passes the same-ratio check with probability about 2^-128 (G2 outputs are not
//! subgroup-checked: an error confined to a small-order torsion component could pass with
//! probability 1/ℓ for that order ℓ). `msm` results are recomputed on the CPU (small MSMs) or
//! checked by a random split between the CPU and a second run of the backend (large ones).
//! A mismatch is an [`Error::Backend`] naming the backend, the operation and the batch ("chunk",
//! counted per wrapper from 0); the caller's bytes then hold the unchecked output and must not be
//! written anywhere.

use std::sync::atomic::{AtomicU64, Ordering};

use ark_bn254::{Fq2, Fr, G2Affine};
use ark_ec::short_weierstrass::{Affine, Projective as SwProjective, SWCurveConfig};
use ark_ec::{CurveGroup, VariableBaseMSM};
use rayon::prelude::*;

use super::cpu::{powers, CpuBackend};
use super::{Backend, Group, PointChunk, Projective};
use crate::crypto::chacha::ChaChaRng;
use crate::error::{Error, PointFault, Result};
use crate::format::points::{fq_from_lem, g1_from_lem, g1_from_lem_unchecked, g2_from_lem_on_curve};

/// Points of every batch recomputed exactly, by default.
pub const DEFAULT_SAMPLES: usize = 16;
/// MSMs of at most this many points are recomputed on the CPU in full.
pub const FULL_MSM_CHECK: usize = 4096;
/// Expected size of the CPU's random sample in the split check of larger MSMs.
pub const MSM_SAMPLE: usize = 1024;

/// A backend whose every result is checked on the CPU before it is returned.
pub struct CrossChecked<B: Backend> {
    inner: B,
    samples: usize,
    batches: AtomicU64,
}

/// The scalar(s) a batch was multiplied by.
enum Scalars<'a> {
    Fixed(Fr),
    Each(&'a [Fr]),
}

impl Scalars<'_> {
    fn at(&self, i: usize) -> Fr {
        match self {
            Scalars::Fixed(s) => *s,
            Scalars::Each(v) => v[i],
        }
    }
}

impl<B: Backend> CrossChecked<B> {
    /// Wraps `inner`, recomputing [`DEFAULT_SAMPLES`] random points of every batch.
    pub fn new(inner: B) -> Self {
        CrossChecked { inner, samples: DEFAULT_SAMPLES, batches: AtomicU64::new(0) }
    }

    /// The same wrapper recomputing `samples` random points per batch (0: same-ratio check only).
    pub fn with_samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// The wrapped backend.
    pub fn inner(&self) -> &B {
        &self.inner
    }

    fn error(&self, op: &str, chunk: u64, n: usize, group: Group, msg: impl std::fmt::Display) -> Error {
        Error::Backend {
            backend: self.inner.name(),
            msg: format!("{op}, chunk {chunk} ({n} {group:?} points): cross-check failed: {msg}"),
        }
    }

    fn check(&self, op: &str, group: Group, input: &[u8], output: &[u8], scalars: Scalars) -> Result<()> {
        let chunk = self.batches.fetch_add(1, Ordering::Relaxed);
        let size = group.point_size();
        let n = input.len() / size;
        let fail = |msg: String| self.error(op, chunk, n, group, msg);
        if output.len() != input.len() {
            return Err(fail(format!("{} bytes out for {} in", output.len(), input.len())));
        }
        if let Scalars::Each(v) = &scalars {
            if v.len() != n {
                return Err(fail(format!("{} scalars for {n} points", v.len())));
            }
        }
        if n == 0 {
            return Ok(());
        }
        let mut rng = fresh_rng().map_err(|m| fail(m.to_string()))?;
        let r = match group {
            Group::G1 => verify::<ark_bn254::g1::Config>(
                input,
                output,
                size,
                g1_from_lem_unchecked,
                g1_from_lem,
                &scalars,
                self.samples,
                &mut rng,
            ),
            Group::G2 => verify::<ark_bn254::g2::Config>(
                input,
                output,
                size,
                g2_unchecked,
                g2_from_lem_on_curve,
                &scalars,
                self.samples,
                &mut rng,
            ),
        };
        r.map_err(fail)
    }
}

/// A ChaCha RNG seeded from the OS.
fn fresh_rng() -> Result<ChaChaRng> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| Error::Io { path: "<OS random source>".into(), source: std::io::Error::other(e.to_string()) })?;
    let mut words = [0u32; 8];
    for (w, c) in words.iter_mut().zip(seed.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    Ok(ChaChaRng::new(words))
}

/// A G2 point from LEM bytes with reduced coordinates, not checked on the curve (inputs were
/// validated by the format layer).
fn g2_unchecked(b: &[u8]) -> std::result::Result<G2Affine, PointFault> {
    if b.iter().all(|&v| v == 0) {
        return Ok(G2Affine::identity());
    }
    let c = |o: usize| fq_from_lem(&b[o..o + 32]).ok_or(PointFault::CoordinateNotReduced);
    Ok(G2Affine::new_unchecked(Fq2::new(c(0)?, c(32)?), Fq2::new(c(64)?, c(96)?)))
}

type Decode<C> = fn(&[u8]) -> std::result::Result<Affine<C>, PointFault>;

fn decode_all<C: SWCurveConfig>(
    bytes: &[u8],
    size: usize,
    f: Decode<C>,
    what: &str,
) -> std::result::Result<Vec<Affine<C>>, String> {
    bytes.par_chunks(size).enumerate().map(|(i, b)| f(b).map_err(|e| format!("{what} point {i}: {e}"))).collect()
}

/// The checks of one batch; `Err` says what failed.
#[allow(clippy::too_many_arguments)]
fn verify<C: SWCurveConfig<ScalarField = Fr>>(
    input: &[u8],
    output: &[u8],
    size: usize,
    decode_in: Decode<C>,
    decode_out: Decode<C>,
    scalars: &Scalars,
    samples: usize,
    rng: &mut ChaChaRng,
) -> std::result::Result<(), String> {
    let ins = decode_all(input, size, decode_in, "input")?;
    let outs = decode_all(output, size, decode_out, "output")?;
    let n = ins.len();
    // Exact recomputation of a sample (all points when the sample is at least the batch).
    let picks: Vec<usize> = if samples >= n {
        (0..n).collect()
    } else {
        (0..samples).map(|_| (rng.next_u64() % n as u64) as usize).collect()
    };
    for i in picks {
        let want = (SwProjective::<C>::from(ins[i]) * scalars.at(i)).into_affine();
        if outs[i] != want {
            return Err(format!("point {i} differs from the CPU's"));
        }
    }
    // Same-ratio check of the whole batch.
    let r: Vec<Fr> = (0..n).map(|_| Fr::from(((rng.next_u64() as u128) << 64) | rng.next_u64() as u128)).collect();
    let lhs = SwProjective::<C>::msm_unchecked(&outs, &r);
    let rhs = match scalars {
        Scalars::Fixed(s) => SwProjective::<C>::msm_unchecked(&ins, &r) * s,
        Scalars::Each(v) => {
            let rs: Vec<Fr> = r.par_iter().zip(v.par_iter()).map(|(a, b)| *a * b).collect();
            SwProjective::<C>::msm_unchecked(&ins, &rs)
        }
    };
    if lhs != rhs {
        return Err("random linear combination of the outputs does not match the inputs' (same-ratio check)".into());
    }
    Ok(())
}

impl<B: Backend> Backend for CrossChecked<B> {
    fn name(&self) -> String {
        format!("{} (cross-checked on the cpu)", self.inner.name())
    }

    fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
        let group = points.group;
        let input = points.bytes.to_vec();
        self.inner.scale_fixed(PointChunk { group, bytes: &mut *points.bytes }, scalar)?;
        self.check("scale_fixed", group, &input, points.bytes, Scalars::Fixed(*scalar))
    }

    fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()> {
        let group = points.group;
        let input = points.bytes.to_vec();
        self.inner.scale_powers(PointChunk { group, bytes: &mut *points.bytes }, first, step)?;
        let scalars = powers(*first, *step, input.len() / group.point_size());
        self.check("scale_powers", group, &input, points.bytes, Scalars::Each(&scalars))
    }

    fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()> {
        let group = points.group;
        let input = points.bytes.to_vec();
        self.inner.scale_each(PointChunk { group, bytes: &mut *points.bytes }, scalars)?;
        self.check("scale_each", group, &input, points.bytes, Scalars::Each(scalars))
    }

    /// Up to [`FULL_MSM_CHECK`] points the result is recomputed on the CPU. Above, the MSM is
    /// split at random: the CPU computes the part over a random sample S of about
    /// [`MSM_SAMPLE`] points, the inner backend the part over the rest (a second run with the
    /// scalars of S zeroed), and the two must add up to the first result. A wrong contribution of
    /// a point in S is caught outright; elsewhere the two runs would have to err identically.
    fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective> {
        let got = self.inner.msm(points, group, scalars)?;
        let chunk = self.batches.fetch_add(1, Ordering::Relaxed);
        let n = scalars.len();
        let fail = |msg: &str| self.error("msm", chunk, n, group, msg);
        if n <= FULL_MSM_CHECK {
            if got != CpuBackend.msm(points, group, scalars)? {
                return Err(fail("result differs from the CPU's"));
            }
            return Ok(got);
        }
        let mut rng = fresh_rng()?;
        let size = group.point_size();
        let mut rest = scalars.to_vec();
        let (mut s_points, mut s_scalars) = (Vec::new(), Vec::new());
        for (i, r) in rest.iter_mut().enumerate() {
            if rng.next_u64() % (n as u64) < (MSM_SAMPLE as u64) {
                s_points.extend_from_slice(&points[i * size..(i + 1) * size]);
                s_scalars.push(std::mem::take(r));
            }
        }
        let part_cpu = CpuBackend.msm(&s_points, group, &s_scalars)?;
        let part_inner = self.inner.msm(points, group, &rest)?;
        let sum = match (part_cpu, part_inner) {
            (Projective::G1(a), Projective::G1(b)) => Projective::G1(a + b),
            (Projective::G2(a), Projective::G2(b)) => Projective::G2(a + b),
            _ => return Err(fail("the two parts are in different groups")),
        };
        if sum != got {
            return Err(fail("result does not split into the CPU's sample part and the rest (random split check)"));
        }
        Ok(got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::points::{g1_to_lem, g2_to_lem};
    use ark_bn254::G1Affine;
    use ark_ff::UniformRand;

    /// How [`Faulty`] corrupts one point of each result.
    #[derive(Clone, Copy)]
    enum Fault {
        /// Replace it by its double: a valid point, wrong.
        Double,
        /// Flip one bit of its y coordinate: almost surely off the curve.
        Flip,
    }

    /// The CPU backend, with one point of every scaling result (and every MSM) corrupted.
    struct Faulty {
        fault: Fault,
        index: usize,
    }

    impl Faulty {
        fn corrupt(&self, group: Group, bytes: &mut [u8]) {
            let size = group.point_size();
            let b = &mut bytes[self.index * size..(self.index + 1) * size];
            match self.fault {
                Fault::Flip => b[size / 2] ^= 1,
                Fault::Double => match group {
                    Group::G1 => {
                        let p = g1_from_lem(b).unwrap();
                        b.copy_from_slice(&g1_to_lem(&(p + p).into_affine()));
                    }
                    Group::G2 => {
                        let p = g2_from_lem_on_curve(b).unwrap();
                        b.copy_from_slice(&g2_to_lem(&(p + p).into_affine()));
                    }
                },
            }
        }
    }

    impl Backend for Faulty {
        fn name(&self) -> String {
            "faulty cpu".into()
        }
        fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
            let g = points.group;
            CpuBackend.scale_fixed(PointChunk { group: g, bytes: &mut *points.bytes }, scalar)?;
            self.corrupt(g, points.bytes);
            Ok(())
        }
        fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()> {
            let g = points.group;
            CpuBackend.scale_powers(PointChunk { group: g, bytes: &mut *points.bytes }, first, step)?;
            self.corrupt(g, points.bytes);
            Ok(())
        }
        fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()> {
            let g = points.group;
            CpuBackend.scale_each(PointChunk { group: g, bytes: &mut *points.bytes }, scalars)?;
            self.corrupt(g, points.bytes);
            Ok(())
        }
        fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective> {
            Ok(match CpuBackend.msm(points, group, scalars)? {
                Projective::G1(p) => Projective::G1(p + p),
                Projective::G2(p) => Projective::G2(p + p),
            })
        }
    }

    const N: usize = 100;

    fn points(group: Group) -> Vec<u8> {
        let mut rng = ark_std::test_rng();
        let mut out = Vec::new();
        for i in 0..N {
            match group {
                Group::G1 => {
                    let p = if i == 5 { G1Affine::identity() } else { G1Affine::rand(&mut rng) };
                    out.extend_from_slice(&g1_to_lem(&p));
                }
                Group::G2 => {
                    let p = if i == 5 { G2Affine::identity() } else { G2Affine::rand(&mut rng) };
                    out.extend_from_slice(&g2_to_lem(&p));
                }
            }
        }
        out
    }

    /// Runs all three scaling operations through `b`.
    fn run_all(b: &dyn Backend, group: Group) -> Vec<Result<()>> {
        let mut rng = ark_std::test_rng();
        let s = Fr::rand(&mut rng);
        let each: Vec<Fr> = (0..N).map(|_| Fr::rand(&mut rng)).collect();
        let mut p = points(group);
        let r1 = b.scale_fixed(PointChunk { group, bytes: &mut p }, &s);
        let mut p = points(group);
        let r2 = b.scale_each(PointChunk { group, bytes: &mut p }, &each);
        let mut p = points(group);
        let r3 = b.scale_powers(PointChunk { group, bytes: &mut p }, &s, &each[0]);
        vec![r1, r2, r3]
    }

    #[test]
    fn correct_batches_pass() {
        let b = CrossChecked::new(CpuBackend);
        for g in [Group::G1, Group::G2] {
            for r in run_all(&b, g) {
                r.unwrap();
            }
        }
        let mut rng = ark_std::test_rng();
        let s: Vec<Fr> = (0..N).map(|_| Fr::rand(&mut rng)).collect();
        b.msm(&points(Group::G1), Group::G1, &s).unwrap();
    }

    /// Every operation, both groups, with no sampling: the same-ratio check alone catches a
    /// single valid-but-wrong point; the error names the backend, operation and chunk.
    #[test]
    fn same_ratio_check_catches_one_wrong_point() {
        let b = CrossChecked::new(Faulty { fault: Fault::Double, index: 37 }).with_samples(0);
        let mut chunk = 0;
        for g in [Group::G1, Group::G2] {
            for (r, op) in run_all(&b, g).into_iter().zip(["scale_fixed", "scale_each", "scale_powers"]) {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("backend faulty cpu"), "{e}");
                assert!(e.contains(op) && e.contains(&format!("chunk {chunk} ")), "{e}");
                assert!(e.contains("same-ratio"), "{e}");
                chunk += 1;
            }
        }
    }

    #[test]
    fn exhaustive_sample_names_the_point() {
        let b = CrossChecked::new(Faulty { fault: Fault::Double, index: 37 }).with_samples(N);
        for r in run_all(&b, Group::G1) {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("point 37 differs"), "{e}");
        }
    }

    #[test]
    fn off_curve_output_is_caught() {
        let b = CrossChecked::new(Faulty { fault: Fault::Flip, index: 99 }).with_samples(0);
        for g in [Group::G1, Group::G2] {
            for r in run_all(&b, g) {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("output point 99"), "{e}");
            }
        }
    }

    #[test]
    fn wrong_msm_is_caught() {
        let b = CrossChecked::new(Faulty { fault: Fault::Double, index: 0 });
        let mut rng = ark_std::test_rng();
        let s: Vec<Fr> = (0..N).map(|_| Fr::rand(&mut rng)).collect();
        let e = b.msm(&points(Group::G2), Group::G2, &s).unwrap_err().to_string();
        assert!(e.contains("msm, chunk 0"), "{e}");
    }
}

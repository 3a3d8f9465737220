//! `CrossChecked<B>`: runs any backend and checks every batch against the CPU before returning.
//!
//! For the scaling operations, on every batch: every output must decode as a point on the curve;
//! a random sample of points is recomputed exactly with arkworks; and one same-ratio check covers
//! the whole batch: with random 64-bit r_i, Σ r_i·out_i must equal s·Σ r_i·in_i (`scale_fixed`,
//! two CPU MSMs and one scalar multiplication) or Σ (r_i·s_i)·in_i (`scale_each`, `scale_powers`).
//! A batch with a wrong point passes the same-ratio check with probability at most 2^-64: with
//! D_i = out_i − s_i·in_i ≠ 0 for some i, all other r_j fixed, at most one of the 2^64 values of
//! r_i makes Σ r_i·D_i vanish in a group of prime order r > 2^64. The check guards against
//! faulty hardware and shaders, not an adversary, so 64 bits suffice and halve the MSMs' cost
//! against 128 (G2 outputs are not subgroup-checked: an error confined to a small-order torsion
//! component could pass with probability 1/ℓ for that order ℓ). `msm` results are recomputed on
//! the CPU (small MSMs) or checked by a random split between the CPU and a second run of the
//! backend (large ones).
//! A scaling call is cut into sub-batches of [`PIPELINE_POINTS`], each checked as above, so that
//! the inner backend (a GPU) scales sub-batch k+1 while the CPU checks sub-batch k.
//! A mismatch is an [`Error::Backend`] naming the backend, the operation and the batch ("chunk",
//! counted per wrapper from 0); the caller's bytes then hold the unchecked output and must not be
//! written anywhere.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;

use ark_bn254::{Fq2, Fr, G2Affine};
use ark_ec::short_weierstrass::{Affine, Projective as SwProjective, SWCurveConfig};
use ark_ec::CurveGroup;
use rayon::prelude::*;

use super::cpu::{msm_affine, powers, CpuBackend};
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
/// Points per checked sub-batch of a scaling call, by default.
pub const PIPELINE_POINTS: usize = 1 << 18;

/// A backend whose every result is checked on the CPU before it is returned.
pub struct CrossChecked<B: Backend> {
    inner: B,
    samples: usize,
    pipeline: usize,
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
        CrossChecked { inner, samples: DEFAULT_SAMPLES, pipeline: PIPELINE_POINTS, batches: AtomicU64::new(0) }
    }

    /// The same wrapper recomputing `samples` random points per batch (0: same-ratio check only).
    pub fn with_samples(mut self, samples: usize) -> Self {
        self.samples = samples;
        self
    }

    /// The same wrapper cutting scaling calls into sub-batches of `points` (at least 1).
    pub fn with_pipeline(mut self, points: usize) -> Self {
        self.pipeline = points.max(1);
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

    /// Runs `scale` (the inner backend on one sub-batch, given its first point's index) over
    /// `points` sub-batch by sub-batch on a second thread, checking each finished sub-batch here
    /// while the next one is scaled; stops at the first error.
    fn pipelined(
        &self,
        op: &str,
        points: PointChunk,
        scalars: Scalars,
        scale: &(dyn Fn(&B, PointChunk, usize) -> Result<()> + Sync),
    ) -> Result<()> {
        let group = points.group;
        let size = group.point_size();
        let input = points.bytes.to_vec();
        let sub = self.pipeline * size;
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let (tx, rx) = mpsc::channel::<(usize, &mut [u8], Result<()>)>();
            let (inner, stop) = (&self.inner, &stop);
            let parts = points.bytes.chunks_mut(sub);
            s.spawn(move || {
                for (k, part) in parts.enumerate() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let r = scale(inner, PointChunk { group, bytes: &mut *part }, k * self.pipeline);
                    let failed = r.is_err();
                    if tx.send((k, part, r)).is_err() || failed {
                        break;
                    }
                }
            });
            let result = rx.into_iter().try_for_each(|(k, part, r)| {
                r?;
                let start = k * self.pipeline;
                let these = match &scalars {
                    Scalars::Fixed(x) => Scalars::Fixed(*x),
                    Scalars::Each(v) => Scalars::Each(&v[start..start + part.len() / size]),
                };
                self.check(op, group, &input[k * sub..k * sub + part.len()], part, these)
            });
            stop.store(true, Ordering::Relaxed);
            result
        })
    }
}

/// A ChaCha RNG seeded from the OS.
fn fresh_rng() -> Result<ChaChaRng> {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| Error::io("<OS random source>", std::io::Error::other(e.to_string())))?;
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
    let r: Vec<Fr> = (0..n).map(|_| Fr::from(rng.next_u64())).collect();
    let lhs = msm_affine(&outs, &r);
    let rhs = match scalars {
        Scalars::Fixed(s) => msm_affine(&ins, &r) * s,
        Scalars::Each(v) => {
            let rs: Vec<Fr> = r.par_iter().zip(v.par_iter()).map(|(a, b)| *a * b).collect();
            msm_affine(&ins, &rs)
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

    fn chunk_points(&self) -> usize {
        self.inner.chunk_points()
    }

    fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
        self.pipelined("scale_fixed", points, Scalars::Fixed(*scalar), &|b, p, _| b.scale_fixed(p, scalar))
    }

    fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()> {
        let scalars = powers(*first, *step, points.bytes.len() / points.group.point_size());
        self.pipelined("scale_powers", points, Scalars::Each(&scalars), &|b, p, start| {
            b.scale_powers(p, &scalars[start], step)
        })
    }

    fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()> {
        let n = points.bytes.len() / points.group.point_size();
        if scalars.len() != n {
            return Err(self.error(
                "scale_each",
                0,
                n,
                points.group,
                format!("{} scalars for {n} points", scalars.len()),
            ));
        }
        self.pipelined("scale_each", points, Scalars::Each(scalars), &|b, p, start| {
            let m = p.bytes.len() / p.group.point_size();
            b.scale_each(p, &scalars[start..start + m])
        })
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

    /// The CPU backend, with one point of every scaling result (and every MSM) corrupted, from
    /// its call number `from` on (counted from 0).
    struct Faulty {
        fault: Fault,
        index: usize,
        from: usize,
        calls: std::sync::atomic::AtomicUsize,
    }

    fn faulty(fault: Fault, index: usize) -> Faulty {
        Faulty { fault, index, from: 0, calls: Default::default() }
    }

    impl Faulty {
        fn corrupt(&self, group: Group, bytes: &mut [u8]) {
            let size = group.point_size();
            if self.calls.fetch_add(1, Ordering::Relaxed) < self.from {
                return;
            }
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
        let b = CrossChecked::new(faulty(Fault::Double, 37)).with_samples(0);
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
        let b = CrossChecked::new(faulty(Fault::Double, 37)).with_samples(N);
        for r in run_all(&b, Group::G1) {
            let e = r.unwrap_err().to_string();
            assert!(e.contains("point 37 differs"), "{e}");
        }
    }

    #[test]
    fn off_curve_output_is_caught() {
        let b = CrossChecked::new(faulty(Fault::Flip, 99)).with_samples(0);
        for g in [Group::G1, Group::G2] {
            for r in run_all(&b, g) {
                let e = r.unwrap_err().to_string();
                assert!(e.contains("output point 99"), "{e}");
            }
        }
    }

    #[test]
    fn wrong_msm_is_caught() {
        let b = CrossChecked::new(faulty(Fault::Double, 0));
        let mut rng = ark_std::test_rng();
        let s: Vec<Fr> = (0..N).map(|_| Fr::rand(&mut rng)).collect();
        let e = b.msm(&points(Group::G2), Group::G2, &s).unwrap_err().to_string();
        assert!(e.contains("msm, chunk 0"), "{e}");
    }

    /// A call cut into sub-batches (the last one short) gives the inner backend's results
    /// unchanged, for every operation in both groups.
    #[test]
    fn pipelined_sub_batches_give_the_inner_results() {
        let b = CrossChecked::new(CpuBackend).with_pipeline(16);
        let mut rng = ark_std::test_rng();
        let s = Fr::rand(&mut rng);
        let each: Vec<Fr> = (0..N).map(|_| Fr::rand(&mut rng)).collect();
        for group in [Group::G1, Group::G2] {
            let (mut got, mut want) = (points(group), points(group));
            b.scale_fixed(PointChunk { group, bytes: &mut got }, &s).unwrap();
            CpuBackend.scale_fixed(PointChunk { group, bytes: &mut want }, &s).unwrap();
            assert!(got == want, "scale_fixed {group:?}");
            let (mut got, mut want) = (points(group), points(group));
            b.scale_each(PointChunk { group, bytes: &mut got }, &each).unwrap();
            CpuBackend.scale_each(PointChunk { group, bytes: &mut want }, &each).unwrap();
            assert!(got == want, "scale_each {group:?}");
            let (mut got, mut want) = (points(group), points(group));
            b.scale_powers(PointChunk { group, bytes: &mut got }, &s, &each[1]).unwrap();
            CpuBackend.scale_powers(PointChunk { group, bytes: &mut want }, &s, &each[1]).unwrap();
            assert!(got == want, "scale_powers {group:?}");
        }
        let mut p = points(Group::G1);
        let e = b.scale_each(PointChunk { group: Group::G1, bytes: &mut p }, &each[1..]).unwrap_err();
        assert!(e.to_string().contains("99 scalars for 100 points"), "{e}");
    }

    /// A fault in a later sub-batch is caught, and the error names that sub-batch.
    #[test]
    fn fault_in_a_later_sub_batch_is_caught() {
        for group in [Group::G1, Group::G2] {
            let inner = Faulty { from: 4, ..faulty(Fault::Double, 3) };
            let b = CrossChecked::new(inner).with_samples(0).with_pipeline(16);
            let mut rng = ark_std::test_rng();
            let mut p = points(group);
            let e = b.scale_fixed(PointChunk { group, bytes: &mut p }, &Fr::rand(&mut rng)).unwrap_err().to_string();
            assert!(e.contains(&format!("scale_fixed, chunk 4 (16 {group:?} points)")), "{e}");
            assert!(e.contains("same-ratio"), "{e}");
        }
    }
}

//! Group inverse FFTs: the Lagrange-basis points of `prepare phase2` (reference §2.5, §7).
//! Twiddle multiplications go through the backend (`scale_each`) a whole stage at a time;
//! the butterflies run in affine coordinates, one shared inversion per stage.

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, Projective as SwProjective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{Field, One};
use rayon::prelude::*;

use crate::backend::{Backend, Group, PointChunk};
use crate::batch_affine::batch_invert;
use crate::crypto::fft::root_of_unity;
use crate::error::Result;
use crate::format::points::{g1_from_lem_unchecked, g1_to_lem, g2_from_lem_on_curve, g2_to_lem};

/// How a curve's affine points travel through the backend.
pub trait Codec: SWCurveConfig {
    /// The backend's group.
    const GROUP: Group;
    /// LEM bytes of a point.
    fn encode(p: &Affine<Self>, out: &mut [u8]);
    /// A point from LEM bytes the backend produced.
    fn decode(b: &[u8]) -> Affine<Self>;
}

impl Codec for ark_bn254::g1::Config {
    const GROUP: Group = Group::G1;
    fn encode(p: &G1Affine, out: &mut [u8]) {
        out.copy_from_slice(&g1_to_lem(p));
    }
    fn decode(b: &[u8]) -> G1Affine {
        g1_from_lem_unchecked(b).unwrap_or_default()
    }
}

impl Codec for ark_bn254::g2::Config {
    const GROUP: Group = Group::G2;
    fn encode(p: &G2Affine, out: &mut [u8]) {
        out.copy_from_slice(&g2_to_lem(p));
    }
    fn decode(b: &[u8]) -> G2Affine {
        g2_from_lem_on_curve(b).unwrap_or_default()
    }
}

/// Runs one backend operation on affine points: encode, operate in place, decode.
pub fn via_backend<C: Codec>(pts: &mut [Affine<C>], op: impl FnOnce(PointChunk) -> Result<()>) -> Result<()> {
    let size = C::GROUP.point_size();
    let mut bytes = vec![0u8; pts.len() * size];
    bytes.par_chunks_mut(size).zip(pts.par_iter()).for_each(|(b, p)| C::encode(p, b));
    op(PointChunk { group: C::GROUP, bytes: &mut bytes })?;
    pts.par_iter_mut().zip(bytes.par_chunks(size)).for_each(|(p, b)| *p = C::decode(b));
    Ok(())
}

/// (u, t) ← (u + t, u − t) for every pair, sharing one inversion; pairs the affine formulas
/// cannot take (an identity, or equal x) go through projective arithmetic.
fn butterflies<C: SWCurveConfig>(u: &mut [Affine<C>], t: &mut [Affine<C>]) {
    u.par_chunks_mut(1024).zip(t.par_chunks_mut(1024)).for_each(|(u, t)| {
        let special: Vec<bool> =
            u.iter().zip(t.iter()).map(|(a, b)| a.is_zero() || b.is_zero() || a.x == b.x).collect();
        let mut den: Vec<C::BaseField> = u
            .iter()
            .zip(t.iter())
            .zip(&special)
            .map(|((a, b), s)| if *s { C::BaseField::one() } else { b.x - a.x })
            .collect();
        let mut scratch = Vec::with_capacity(den.len());
        let inverted = batch_invert(&mut den, &mut scratch);
        for i in 0..u.len() {
            let (a, b) = (u[i], t[i]);
            if special[i] || !inverted {
                let pa = SwProjective::<C>::from(a);
                u[i] = (pa + b).into_affine();
                t[i] = (pa - b).into_affine();
                continue;
            }
            let l1 = (b.y - a.y) * den[i];
            let x1 = l1.square() - a.x - b.x;
            let y1 = l1 * (a.x - x1) - a.y;
            let l2 = (-b.y - a.y) * den[i];
            let x2 = l2.square() - a.x - b.x;
            let y2 = l2 * (a.x - x2) - a.y;
            u[i] = Affine::new_unchecked(x1, y1);
            t[i] = Affine::new_unchecked(x2, y2);
        }
    });
}

/// n times the inverse FFT of each input (of length n = 2^k, natural order in and out):
/// out_i = Σ_j ω_n^(−i·j)·base_j. Every stage scales the odd halves of all inputs in one backend
/// call, so small inputs share batches.
pub fn inverse_ffts_unscaled<C: Codec>(
    backend: &dyn Backend,
    inputs: Vec<Vec<Affine<C>>>,
) -> Result<Vec<Vec<Affine<C>>>> {
    let ks: Vec<u32> = inputs.iter().map(|b| b.len().max(1).ilog2()).collect();
    let mut arrays: Vec<Vec<Affine<C>>> = Vec::with_capacity(inputs.len());
    for (base, &k) in inputs.iter().zip(&ks) {
        let mut a: Vec<Affine<C>> = vec![Affine::<C>::identity(); 1 << k];
        for (i, p) in base.iter().take(1 << k).enumerate() {
            let j = if k == 0 { 0 } else { i.reverse_bits() >> (usize::BITS - k) };
            a[j] = *p;
        }
        arrays.push(a);
    }
    drop(inputs);
    let top = ks.iter().copied().max().unwrap_or(0);
    for s in 1..=top {
        let m = 1usize << s;
        let half = m / 2;
        let w = root_of_unity(s).inverse().unwrap_or_default();
        let tw: Vec<Fr> = std::iter::successors(Some(Fr::one()), |x| Some(*x * w)).take(half).collect();
        // Gather the odd halves of every block of every input; scale them by their twiddles in
        // one call, leaving out the first of each block, whose twiddle is 1.
        let size: usize = arrays.iter().zip(&ks).filter(|(_, &k)| k >= s).map(|(a, _)| a.len() / 2).sum();
        let mut t: Vec<Affine<C>> = Vec::with_capacity(size);
        let mut u: Vec<Affine<C>> = Vec::with_capacity(size);
        let mut scaled: Vec<Affine<C>> = Vec::with_capacity(size);
        let mut scalars: Vec<Fr> = Vec::with_capacity(size);
        for (a, _) in arrays.iter().zip(&ks).filter(|(_, &k)| k >= s) {
            for block in a.chunks(m) {
                u.extend_from_slice(&block[..half]);
                t.extend_from_slice(&block[half..]);
                scaled.extend_from_slice(&block[half + 1..]);
                scalars.extend_from_slice(&tw[1..]);
            }
        }
        if !scaled.is_empty() {
            via_backend(&mut scaled, |c| backend.scale_each(c, &scalars))?;
        }
        if half > 1 {
            for (block, done) in t.chunks_mut(half).zip(scaled.chunks(half - 1)) {
                block[1..].copy_from_slice(done);
            }
        }
        butterflies(&mut u, &mut t);
        let mut at = 0;
        for (a, _) in arrays.iter_mut().zip(&ks).filter(|(_, &k)| k >= s) {
            for block in a.chunks_mut(m) {
                block[..half].copy_from_slice(&u[at..at + half]);
                block[half..].copy_from_slice(&t[at..at + half]);
                at += half;
            }
        }
    }
    Ok(arrays)
}

/// 2·P for every point (identities stay identities).
pub fn doubled<C: SWCurveConfig>(pts: &[Affine<C>]) -> Vec<Affine<C>> {
    let proj: Vec<SwProjective<C>> = pts.par_iter().map(|p| SwProjective::<C>::from(*p).double()).collect();
    SwProjective::<C>::normalize_batch(&proj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use ark_ff::UniformRand;

    /// out_i = (1/n)·Σ_j ω_n^(−i·j)·base_j for n = 2^k = base.len(), natural order in and out.
    fn inverse_fft<C: Codec>(backend: &dyn Backend, base: &[Affine<C>], k: u32) -> Result<Vec<Affine<C>>> {
        debug_assert_eq!(base.len(), 1 << k);
        Ok(inverse_ffts(backend, &[base])?.pop().unwrap_or_default())
    }

    /// [`inverse_fft`] of several inputs at once, through the unscaled FFTs.
    fn inverse_ffts<C: Codec>(backend: &dyn Backend, bases: &[&[Affine<C>]]) -> Result<Vec<Vec<Affine<C>>>> {
        let mut scaled = Vec::with_capacity(bases.len());
        for base in bases {
            let mut a = base.to_vec();
            let n_inv = Fr::from(a.len() as u64).inverse().unwrap_or_default();
            via_backend(&mut a, |c| backend.scale_fixed(c, &n_inv))?;
            scaled.push(a);
        }
        inverse_ffts_unscaled(backend, scaled)
    }

    #[test]
    fn matches_the_definition() {
        let mut rng = ark_std::test_rng();
        for k in [0u32, 1, 3, 5] {
            let n = 1usize << k;
            let mut base: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            if n > 1 {
                base[n - 1] = G1Affine::identity();
            }
            let got = inverse_fft(&CpuBackend, &base, k).unwrap();
            let w = root_of_unity(k).inverse().unwrap();
            let n_inv = Fr::from(n as u64).inverse().unwrap();
            for (i, g) in got.iter().enumerate() {
                let want: ark_bn254::G1Projective =
                    base.iter().enumerate().map(|(j, p)| *p * (w.pow([(i * j) as u64]) * n_inv)).sum();
                assert_eq!(*g, want.into_affine(), "k={k} i={i}");
            }
        }
        let base: Vec<G2Affine> = (0..8).map(|_| G2Affine::rand(&mut rng)).collect();
        let got = inverse_fft(&CpuBackend, &base, 3).unwrap();
        let w = root_of_unity(3).inverse().unwrap();
        let want: ark_bn254::G2Projective = base
            .iter()
            .enumerate()
            .map(|(j, p)| *p * (w.pow([(5 * j) as u64]) * Fr::from(8u64).inverse().unwrap()))
            .sum();
        assert_eq!(got[5], want.into_affine());
    }

    #[test]
    fn several_at_once_match_one_at_a_time() {
        let mut rng = ark_std::test_rng();
        let base: Vec<G1Affine> = (0..32).map(|_| G1Affine::rand(&mut rng)).collect();
        let inputs: Vec<&[G1Affine]> = [1usize, 2, 8, 32, 4].iter().map(|&n| &base[..n]).collect();
        let together = inverse_ffts(&CpuBackend, &inputs).unwrap();
        for (input, got) in inputs.iter().zip(&together) {
            let k = input.len().ilog2();
            assert_eq!(*got, inverse_fft(&CpuBackend, input, k).unwrap(), "length {}", input.len());
        }
    }
}

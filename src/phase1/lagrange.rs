//! Group FFTs: the Lagrange-basis points of `prepare phase2` (reference §2.5, §7), both ways for
//! the bellman H (phase2/bellman.rs).
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
use crate::error::{PointFault, Result};
use crate::format::points::{g1_from_lem, g1_from_lem_unchecked, g1_to_lem, g2_from_lem_on_curve, g2_to_lem};
use crate::format::subgroup::g2_first_outside;

/// How a curve's affine points travel through the backend.
pub trait Codec: SWCurveConfig {
    /// The backend's group.
    const GROUP: Group;
    /// LEM bytes of a point.
    fn encode(p: &Affine<Self>, out: &mut [u8]);
    /// A point from LEM bytes the backend produced.
    fn decode(b: &[u8]) -> Affine<Self>;
    /// A point from LEM bytes of an input file, checked to be on the curve.
    fn decode_checked(b: &[u8]) -> std::result::Result<Affine<Self>, PointFault>;
    /// The index of the first point outside the prime-order subgroup, if any.
    fn first_outside_subgroup(pts: &[Affine<Self>]) -> Option<usize>;
}

impl Codec for ark_bn254::g1::Config {
    const GROUP: Group = Group::G1;
    fn encode(p: &G1Affine, out: &mut [u8]) {
        out.copy_from_slice(&g1_to_lem(p));
    }
    fn decode(b: &[u8]) -> G1Affine {
        g1_from_lem_unchecked(b).unwrap_or_default()
    }
    fn decode_checked(b: &[u8]) -> std::result::Result<G1Affine, PointFault> {
        g1_from_lem(b)
    }
    fn first_outside_subgroup(_: &[G1Affine]) -> Option<usize> {
        None // G1 of BN254 has cofactor 1
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
    fn decode_checked(b: &[u8]) -> std::result::Result<G2Affine, PointFault> {
        g2_from_lem_on_curve(b)
    }
    fn first_outside_subgroup(pts: &[G2Affine]) -> Option<usize> {
        g2_first_outside(pts)
    }
}

/// (u, t) ← (u + t, u − t) for every pair, sharing one inversion; pairs the affine formulas
/// cannot take (an identity, or equal x) go through projective arithmetic.
fn butterflies<C: SWCurveConfig>(u: &mut [Affine<C>], t: &mut [Affine<C>]) {
    let special: Vec<bool> = u.iter().zip(t.iter()).map(|(a, b)| a.is_zero() || b.is_zero() || a.x == b.x).collect();
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
}

/// Pairs per shared inversion in [`butterflies`].
const BUTTERFLY_RUN: usize = 1024;

/// One FFT stage in place: in every block of `2·half` points, (first half, second half) ←
/// (u + t, u − t), pairs taken [`BUTTERFLY_RUN`] at a time across blocks and threads.
fn stage_butterflies<C: SWCurveConfig>(a: &mut [Affine<C>], half: usize) {
    if half >= BUTTERFLY_RUN {
        a.par_chunks_mut(2 * half).for_each(|block| {
            let (u, t) = block.split_at_mut(half);
            u.par_chunks_mut(BUTTERFLY_RUN).zip(t.par_chunks_mut(BUTTERFLY_RUN)).for_each(|(u, t)| butterflies(u, t));
        });
        return;
    }
    // Small blocks: gather the halves of the blocks of one run side by side, so they share
    // one inversion, and put the results back.
    a.par_chunks_mut(2 * BUTTERFLY_RUN).for_each(|run| {
        let mut u: Vec<Affine<C>> = Vec::with_capacity(run.len() / 2);
        let mut t: Vec<Affine<C>> = Vec::with_capacity(run.len() / 2);
        for block in run.chunks(2 * half) {
            u.extend_from_slice(&block[..half]);
            t.extend_from_slice(&block[half..]);
        }
        butterflies(&mut u, &mut t);
        for ((block, u), t) in run.chunks_mut(2 * half).zip(u.chunks(half)).zip(t.chunks(half)) {
            block[..half].copy_from_slice(u);
            block[half..].copy_from_slice(t);
        }
    });
}

/// Permutes `a` (of length 2^k) into bit-reversed order, in place.
fn bit_reverse<T>(a: &mut [T]) {
    let k = a.len().max(1).ilog2();
    if k == 0 {
        return;
    }
    for i in 0..a.len() {
        let j = i.reverse_bits() >> (usize::BITS - k);
        if i < j {
            a.swap(i, j);
        }
    }
}

/// Scales the second half of every block of `2·half` points (but its first point, whose
/// twiddle is 1) by its twiddle, for all arrays in one backend call.
fn scale_twiddles<C: Codec>(backend: &dyn Backend, arrays: &mut [&mut [Affine<C>]], tw: &[Fr]) -> Result<()> {
    let half = tw.len();
    if half <= 1 {
        return Ok(());
    }
    let size = C::GROUP.point_size();
    let per_block = (half - 1) * size;
    let blocks: usize = arrays.iter().map(|a| a.len() / (2 * half)).sum();
    let mut bytes = vec![0u8; blocks * per_block];
    let mut rest = bytes.as_mut_slice();
    for a in arrays.iter() {
        let (mine, tail) = rest.split_at_mut(a.len() / (2 * half) * per_block);
        mine.par_chunks_mut(per_block).zip(a.par_chunks(2 * half)).for_each(|(b, block)| {
            for (out, p) in b.chunks_mut(size).zip(&block[half + 1..]) {
                C::encode(p, out);
            }
        });
        rest = tail;
    }
    let scalars: Vec<Fr> = (0..blocks).flat_map(|_| tw[1..].iter().copied()).collect();
    backend.scale_each(PointChunk { group: C::GROUP, bytes: &mut bytes }, &scalars)?;
    drop(scalars);
    let mut rest = bytes.as_slice();
    for a in arrays.iter_mut() {
        let (mine, tail) = rest.split_at(a.len() / (2 * half) * per_block);
        a.par_chunks_mut(2 * half).zip(mine.par_chunks(per_block)).for_each(|(block, b)| {
            for (p, inp) in block[half + 1..].iter_mut().zip(b.chunks(size)) {
                *p = C::decode(inp);
            }
        });
        rest = tail;
    }
    Ok(())
}

/// n times the inverse FFT of each input (of length n = 2^k, natural order in and out), in
/// place: out_i = Σ_j ω_n^(−i·j)·base_j. An input longer than a power of two is cut to the
/// largest one it holds; an empty one becomes the identity. Every stage scales the odd halves
/// of all inputs in one backend call, so small inputs share batches.
pub fn inverse_ffts_unscaled<C: Codec>(
    backend: &dyn Backend,
    arrays: Vec<Vec<Affine<C>>>,
) -> Result<Vec<Vec<Affine<C>>>> {
    ffts(backend, arrays, true)
}

/// The FFT of each input (length n = 2^k, natural order in and out), in place:
/// out_i = Σ_j ω_n^(i·j)·base_j, as ffjavascript's `G1.fft`; inputs as for
/// [`inverse_ffts_unscaled`].
pub fn forward_ffts<C: Codec>(backend: &dyn Backend, arrays: Vec<Vec<Affine<C>>>) -> Result<Vec<Vec<Affine<C>>>> {
    ffts(backend, arrays, false)
}

/// Radix-2 decimation in time with ω_n or, for `inverse`, ω_n⁻¹; no 1/n.
fn ffts<C: Codec>(
    backend: &dyn Backend,
    mut arrays: Vec<Vec<Affine<C>>>,
    inverse: bool,
) -> Result<Vec<Vec<Affine<C>>>> {
    for a in arrays.iter_mut() {
        if a.is_empty() {
            a.push(Affine::<C>::identity());
        }
        a.truncate(1 << a.len().ilog2());
        bit_reverse(a);
    }
    let top = arrays.iter().map(|a| a.len().ilog2()).max().unwrap_or(0);
    for s in 1..=top {
        let half = 1usize << (s - 1);
        let w = if inverse { root_of_unity(s).inverse().unwrap_or_default() } else { root_of_unity(s) };
        let tw: Vec<Fr> = std::iter::successors(Some(Fr::one()), |x| Some(*x * w)).take(half).collect();
        let mut live: Vec<&mut [Affine<C>]> =
            arrays.iter_mut().filter(|a| a.len() >= 2 * half).map(|a| a.as_mut_slice()).collect();
        scale_twiddles(backend, &mut live, &tw)?;
        for a in live {
            stage_butterflies(a, half);
        }
    }
    Ok(arrays)
}

/// 2^times·P for every point (identities stay identities).
pub fn doubled<C: SWCurveConfig>(pts: &[Affine<C>], times: u32) -> Vec<Affine<C>> {
    if times == 0 {
        return pts.to_vec();
    }
    let proj: Vec<SwProjective<C>> = pts
        .par_iter()
        .map(|p| {
            let mut q = SwProjective::<C>::from(*p);
            for _ in 0..times {
                q.double_in_place();
            }
            q
        })
        .collect();
    SwProjective::<C>::normalize_batch(&proj)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use ark_ff::UniformRand;

    /// Runs one backend operation on affine points: encode, operate in place, decode.
    fn via_backend<C: Codec>(pts: &mut [Affine<C>], op: impl FnOnce(PointChunk) -> Result<()>) -> Result<()> {
        let size = C::GROUP.point_size();
        let mut bytes = vec![0u8; pts.len() * size];
        bytes.par_chunks_mut(size).zip(pts.par_iter()).for_each(|(b, p)| C::encode(p, b));
        op(PointChunk { group: C::GROUP, bytes: &mut bytes })?;
        pts.par_iter_mut().zip(bytes.par_chunks(size)).for_each(|(p, b)| *p = C::decode(b));
        Ok(())
    }

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
    fn wide_stages_match_the_definition() {
        // 2^11 points: the last stage's blocks reach BUTTERFLY_RUN pairs, the in-block path.
        let mut rng = ark_std::test_rng();
        let k = 11;
        let n = 1usize << k;
        let mut base: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
        base[7] = base[3]; // equal points meet in some butterflies
        base[n - 1] = G1Affine::identity();
        let got = inverse_fft(&CpuBackend, &base, k).unwrap();
        let w_inv = root_of_unity(k).inverse().unwrap();
        let n_inv = Fr::from(n as u64).inverse().unwrap();
        for i in [0usize, 1, 777, 1024, n - 1] {
            let step = w_inv.pow([i as u64]);
            let coeffs: Vec<Fr> = std::iter::successors(Some(n_inv), |c| Some(*c * step)).take(n).collect();
            let want = crate::backend::cpu::msm_affine(&base, &coeffs).into_affine();
            assert_eq!(got[i], want, "output {i}");
        }
    }

    #[test]
    fn the_forward_fft_matches_the_definition_and_undoes_the_inverse() {
        let mut rng = ark_std::test_rng();
        let k = 4;
        let n = 1usize << k;
        let mut base: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
        base[2] = G1Affine::identity();
        let got = forward_ffts(&CpuBackend, vec![base.clone()]).unwrap().pop().unwrap();
        let w = root_of_unity(k);
        for (i, g) in got.iter().enumerate() {
            let want: ark_bn254::G1Projective =
                base.iter().enumerate().map(|(j, p)| *p * w.pow([(i * j) as u64])).sum();
            assert_eq!(*g, want.into_affine(), "output {i}");
        }
        assert_eq!(inverse_fft(&CpuBackend, &got, k).unwrap(), base);
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

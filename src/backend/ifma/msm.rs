//! Multi-scalar multiplication on the vector lanes: Pippenger with signed window digits. Each
//! thread takes a group of windows and runs their bucket accumulation as batched affine
//! additions, eight per vector and one shared inversion per round of up to [`ROUND`] additions
//! into distinct buckets. Additions the affine formula cannot take (equal or opposite points)
//! and a window's last few go to arkworks, so any input points give the exact sum. Bucket sums
//! and windows are combined by arkworks.

// Limb and lane loops index several arrays in step.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AdditiveGroup, AffineRepr};
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

use super::engine::VecCurve;
use super::fq::Ctx;
use super::lanes::{Lanes, LANES};
use crate::backend::scalar_each::signed_digits;

/// Additions per round (one shared inversion).
const ROUND: usize = 2048;

/// Coordinates in limb rows (row j holds limb j of every element), for gathers and scatters.
struct Rows {
    rows: Vec<Vec<u64>>,
}

impl Rows {
    fn new(rows: usize, len: usize) -> Rows {
        Rows { rows: vec![vec![0u64; len.div_ceil(LANES) * LANES]; rows] }
    }
}

/// The window width for `n` points.
fn window(n: usize) -> usize {
    (n.max(2).ilog2() as usize).saturating_sub(3).clamp(4, 16)
}

/// A point index and its signed bucket (bucket |d| − 1, negated point when d < 0).
type Pair = (u32, i32);

/// A group of windows' buckets (affine, in limb rows); `full[b]` is false while bucket b is
/// still the identity.
struct Buckets {
    x: Rows,
    y: Rows,
    full: Vec<bool>,
}

/// The index vector of lanes `idx`.
#[inline]
#[target_feature(enable = "avx512f")]
fn index(idx: &[i64; LANES]) -> __m512i {
    // SAFETY: eight i64, the 64 bytes one unaligned load reads.
    unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }
}

/// Adds each listed (point, signed bucket) pair into its bucket, in rounds of distinct
/// buckets. When the pairs left can no longer fill a useful round, they go to `spill`, one
/// arkworks addition each.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn accumulate<C: VecCurve>(
    c: &Ctx,
    bases: &[Affine<C>],
    px: &Rows,
    py: &Rows,
    buckets: &mut Buckets,
    spill: &mut [Projective<C>],
    pairs: &[Pair],
) {
    let nb = buckets.full.len();
    let cap = ROUND.min(nb / 2).max(LANES);
    let mut in_round = vec![false; nb];
    let mut round: Vec<Pair> = Vec::with_capacity(cap);
    let (mut retry, mut next_retry): (Vec<Pair>, Vec<Pair>) = (Vec::new(), Vec::new());
    let mut pos = 0;
    let one = C::L::one(c);
    let (mut dens, mut scratch, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        round.clear();
        next_retry.clear();
        // Pairs that met a busy bucket go first, then fresh ones until the round is full.
        let mut take = |(i, d): Pair, round: &mut Vec<Pair>, next_retry: &mut Vec<Pair>| {
            let b = d.unsigned_abs() as usize - 1;
            if !buckets.full[b] {
                // An empty bucket takes the point as it is.
                let from = index(&[i as i64; LANES]);
                let mut y = C::L::gather(&py.rows, from);
                if d < 0 {
                    y = C::L::neg(c, &y);
                }
                let at = index(&[b as i64; LANES]);
                C::L::scatter(&mut buckets.x.rows, 1, at, &C::L::gather(&px.rows, from));
                C::L::scatter(&mut buckets.y.rows, 1, at, &y);
                buckets.full[b] = true;
            } else if in_round[b] || round.len() == cap {
                next_retry.push((i, d));
            } else {
                in_round[b] = true;
                round.push((i, d));
            }
        };
        for &p in &retry {
            take(p, &mut round, &mut next_retry);
        }
        while round.len() < cap && pos < pairs.len() {
            take(pairs[pos], &mut round, &mut next_retry);
            pos += 1;
        }
        std::mem::swap(&mut retry, &mut next_retry);
        if pos == pairs.len() && round.len() < cap / 8 {
            for &(i, d) in round.iter().chain(&retry) {
                let p = &bases[i as usize];
                spill[d.unsigned_abs() as usize - 1] += if d < 0 { -*p } else { *p };
            }
            return;
        }
        // Gather, form the denominators, invert them together.
        dens.clear();
        vals.clear();
        let mut special: Vec<Pair> = Vec::new();
        for chunk in round.chunks(LANES) {
            let valid: __mmask8 = ((1u16 << chunk.len()) - 1) as __mmask8;
            let lane = |l: usize| chunk.get(l).unwrap_or(&chunk[0]);
            let bi = index(&std::array::from_fn(|l| (lane(l).1.unsigned_abs() - 1) as i64));
            let pi = index(&std::array::from_fn(|l| lane(l).0 as i64));
            let neg: __mmask8 = (0..chunk.len()).filter(|&l| chunk[l].1 < 0).fold(0, |m, l| m | 1 << l);
            let bx = C::L::gather(&buckets.x.rows, bi);
            let by = C::L::gather(&buckets.y.rows, bi);
            let qx = C::L::gather(&px.rows, pi);
            let mut qy = C::L::gather(&py.rows, pi);
            qy = C::L::select(neg, &qy, &C::L::neg(c, &qy));
            let den = C::L::sub(c, &qx, &bx);
            let zero = C::L::is_zero(c, &den) & valid;
            for l in 0..chunk.len() {
                if zero >> l & 1 == 1 {
                    special.push(chunk[l]);
                }
            }
            let ok = valid & !zero;
            dens.push(C::L::select(ok, &one, &den));
            vals.push((bx, by, qx, qy, bi, ok));
        }
        if !super::engine::batch_invert(c, &mut dens, &mut scratch) {
            // Cannot happen (every denominator is non-zero by construction); stay exact anyway.
            special = round.clone();
            vals.clear();
        }
        for ((bx, by, qx, qy, bi, ok), inv) in vals.iter().zip(&dens) {
            let (x3, y3) = super::engine::add_point(c, bx, by, qx, qy, inv);
            C::L::scatter(&mut buckets.x.rows, *ok, *bi, &x3);
            C::L::scatter(&mut buckets.y.rows, *ok, *bi, &y3);
        }
        // Equal or opposite points: arkworks' complete formulas.
        for (i, d) in special {
            let b = d.unsigned_abs() as usize - 1;
            let p = &bases[i as usize];
            spill[b] += if d < 0 { -*p } else { *p };
        }
        for &(_, d) in &round {
            in_round[d.unsigned_abs() as usize - 1] = false;
        }
        if pos == pairs.len() && retry.is_empty() {
            return;
        }
    }
}

/// Σ (b + 1)·(bucket_b + spill_b) over buckets `range`.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn reduce<C: VecCurve>(
    c: &Ctx,
    buckets: &Buckets,
    spill: &[Projective<C>],
    range: std::ops::Range<usize>,
) -> Projective<C> {
    let mut pts: Vec<Affine<C>> = Vec::with_capacity(range.len());
    let last = range.end - 1;
    for start in range.clone().step_by(LANES) {
        let at = index(&std::array::from_fn(|l| (start + l).min(last) as i64));
        let xs = C::L::store(c, &C::L::gather(&buckets.x.rows, at));
        let ys = C::L::store(c, &C::L::gather(&buckets.y.rows, at));
        for l in 0..LANES.min(range.end - start) {
            pts.push(if buckets.full[start + l] { Affine::new_unchecked(xs[l], ys[l]) } else { Affine::identity() });
        }
    }
    let mut running = Projective::<C>::zero();
    let mut sum = Projective::<C>::zero();
    for (p, s) in pts.iter().zip(&spill[range]).rev() {
        running += p;
        running += s;
        sum += running;
    }
    sum
}

/// Σ scalars_i·bases_i.
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn msm<C: VecCurve>(bases: &[Affine<C>], scalars: &[Fr]) -> Projective<C> {
    let n = bases.len().min(scalars.len());
    let c = window(n);
    let bits = scalars[..n].iter().map(|s| s.into_bigint().num_bits() as usize).max().unwrap_or(0);
    if bits == 0 {
        return Projective::<C>::zero();
    }
    let windows = bits.div_ceil(c) + 1;
    let ctx = Ctx::new();
    // The points in limb rows, converted once.
    let rows = <C::L as Lanes>::ROWS;
    let (mut px, mut py) = (Rows::new(rows, n), Rows::new(rows, n));
    for start in (0..n).step_by(LANES) {
        let p: [&Affine<C>; LANES] = std::array::from_fn(|l| &bases[(start + l).min(n - 1)]);
        let at = index(&std::array::from_fn(|l| (start + l) as i64));
        C::L::scatter(&mut px.rows, 0xff, at, &C::L::load(&ctx, &p.map(|p| p.x)));
        C::L::scatter(&mut py.rows, 0xff, at, &C::L::load(&ctx, &p.map(|p| p.y)));
    }
    // Digit w of scalar i at i·windows + w.
    let digits: Vec<i32> =
        scalars[..n].par_iter().flat_map_iter(|k| signed_digits(k.into_bigint().as_ref(), c, windows)).collect();
    let nb = 1usize << (c - 1);
    // Each thread takes a group of windows: buckets of different windows never collide, so
    // rounds stay full.
    let groups = rayon::current_num_threads().clamp(1, windows);
    let per = windows.div_ceil(groups);
    let sums: Vec<Projective<C>> = (0..windows.div_ceil(per))
        .into_par_iter()
        .flat_map_iter(|g| {
            let ws: Vec<usize> = (g * per..((g + 1) * per).min(windows)).collect();
            let mut pairs: Vec<Pair> = Vec::with_capacity(n * ws.len());
            for i in 0..n {
                if bases[i].is_zero() {
                    continue;
                }
                let row = &digits[i * windows..(i + 1) * windows];
                for (slot, &w) in ws.iter().enumerate() {
                    let d = row[w];
                    if d != 0 {
                        // Bucket slot·nb + |d| − 1, sign kept.
                        let b = (slot * nb) as i32 + d.abs();
                        pairs.push((i as u32, if d < 0 { -b } else { b }));
                    }
                }
            }
            let ctx = Ctx::new();
            let total = nb * ws.len();
            let mut buckets =
                Buckets { x: Rows::new(rows, total), y: Rows::new(rows, total), full: vec![false; total] };
            let mut spill = vec![Projective::<C>::zero(); total];
            accumulate::<C>(&ctx, bases, &px, &py, &mut buckets, &mut spill, &pairs);
            (0..ws.len())
                .map(|slot| reduce::<C>(&ctx, &buckets, &spill, slot * nb..(slot + 1) * nb))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut total = Projective::<C>::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += s;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::VariableBaseMSM;
    use ark_ff::UniformRand;
    use ark_std::rand::RngCore;

    #[test]
    fn digits_recompose() {
        let mut rng = ark_std::test_rng();
        for c in [4usize, 9, 13] {
            for k in [Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64), Fr::rand(&mut rng), Fr::from(u64::MAX)] {
                let w = 254usize.div_ceil(c) + 1;
                let d = signed_digits(k.into_bigint().as_ref(), c, w);
                let mut back = Fr::from(0u64);
                for x in d.iter().rev() {
                    back *= Fr::from(1u64 << c);
                    back += if *x < 0 { -Fr::from(x.unsigned_abs() as u64) } else { Fr::from(*x as u64) };
                }
                assert_eq!(back, k, "c={c}");
                assert!(d.iter().all(|x| x.unsigned_abs() <= 1 << (c - 1)));
            }
        }
    }

    #[test]
    fn matches_arkworks_with_repeated_and_opposite_points() {
        if !super::super::available() {
            eprintln!("no avx512ifma on this CPU: the IFMA MSM test has nothing to check");
            return;
        }
        let mut rng = ark_std::test_rng();
        for n in [1usize, 9, 300, 2000] {
            let mut pts: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            let mut ks: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            if n > 10 {
                // Equal points with equal scalars meet in every bucket; opposite ones cancel.
                pts[5] = pts[4];
                ks[5] = ks[4];
                pts[7] = -pts[6];
                ks[7] = ks[6];
                pts[8] = G1Affine::identity();
                ks[9] = Fr::from(0u64);
                for k in ks.iter_mut().skip(10).step_by(3) {
                    *k = Fr::from(rng.next_u64());
                }
            }
            let want = G1Projective::msm_unchecked(&pts, &ks);
            assert_eq!(unsafe { msm(&pts, &ks) }, want, "G1, {n} points");
        }
        let pts: Vec<G2Affine> = (0..500).map(|_| G2Affine::rand(&mut rng)).collect();
        let ks: Vec<Fr> = (0..500).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(unsafe { msm(&pts, &ks) }, G2Projective::msm_unchecked(&pts, &ks), "G2");
        let small: Vec<Fr> = (0..500).map(|i| Fr::from(i as u64 * 0x1234_5678_9abc)).collect();
        assert_eq!(unsafe { msm(&pts, &small) }, G2Projective::msm_unchecked(&pts, &small), "G2, 64-bit scalars");
    }
}

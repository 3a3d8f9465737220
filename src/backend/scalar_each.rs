//! Every point times its own scalar on the CPU: each scalar is split (GLV) into two half-length
//! signed fixed-window digit strings; all points double in lockstep and add their own table
//! entries, in affine coordinates a batch at a time with one shared inversion per step.
//! A point whose own digit schedule would meet an exceptional addition (decided from its
//! scalar alone) is computed by plain multiplication instead.

use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::Affine;
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{Field, PrimeField, Zero};
use rayon::prelude::*;

use crate::batch_affine::{batch_invert, double_all, Batch};

/// Points processed together: large batches amortise the shared inversion (one per step, of
/// which there are ~200), so each thread gets one batch of up to 2048 points.
fn batch_size(n: usize) -> usize {
    (n / rayon::current_num_threads().max(1)).clamp(64, 2048)
}
/// Window width: signed digits in [−8, 8].
pub(crate) const W: usize = 4;
/// Table entries 1·P … 8·P.
pub(crate) const TABLE: usize = 1 << (W - 1);

/// Signed base-2^c digits of the integer with these 64-bit limbs (least significant first),
/// each in [−2^(c−1), 2^(c−1)], `windows` of them (enough to absorb the last carry); c ≤ 16.
pub(crate) fn signed_digits(limbs: &[u64], c: usize, windows: usize) -> Vec<i32> {
    let bits = |at: usize| -> i64 {
        // c bits starting at bit `at`, across at most two limbs.
        let (w, o) = (at / 64, at % 64);
        let lo = limbs.get(w).map_or(0, |x| x >> o);
        let hi = if o + c > 64 { limbs.get(w + 1).map_or(0, |x| x << (64 - o)) } else { 0 };
        ((lo | hi) & ((1 << c) - 1)) as i64
    };
    let mut out = Vec::with_capacity(windows);
    let mut carry = 0i64;
    for w in 0..windows {
        let mut raw = bits(w * c) + carry;
        if raw > 1 << (c - 1) {
            raw -= 1 << c;
            carry = 1;
        } else {
            carry = 0;
        }
        out.push(raw as i32);
    }
    out
}

/// One point's plan: its two digit strings (with the GLV signs folded in).
pub(crate) struct Plan {
    pub(crate) d: [Vec<i8>; 2],
}

/// Digits per half-scalar: 128 bits plus carry room.
pub(crate) const LEN: usize = 33;

/// The scalars a table entry adds: ±j and ±j·λ for j in 1..=TABLE (index [base][j − 1]).
struct Addends<F> {
    pos: [[F; TABLE]; 2],
}

impl<F: PrimeField> Addends<F> {
    fn new<C: GLVConfig<ScalarField = F>>() -> Self {
        let pos = std::array::from_fn(|b| {
            std::array::from_fn(|j| {
                let a = F::from(j as u64 + 1);
                if b == 1 {
                    a * C::LAMBDA
                } else {
                    a
                }
            })
        });
        Addends { pos }
    }
}

fn plan<C: GLVConfig>(k: C::ScalarField, addends: &Addends<C::ScalarField>) -> Option<Plan> {
    if k.is_zero() {
        return None;
    }
    let ((s1, k1), (s2, k2)) = C::scalar_decomposition(k);
    let digits =
        |k: C::ScalarField| signed_digits(k.into_bigint().as_ref(), W, LEN).into_iter().map(|d| d as i8).collect();
    let mut d: [Vec<i8>; 2] = [digits(k1), digits(k2)];
    for (digits, positive) in d.iter_mut().zip([s1, s2]) {
        if !positive {
            digits.iter_mut().for_each(|x| *x = -*x);
        }
    }
    // Follow the partial scalar: refuse schedules with an exceptional addition or doubling.
    let mut m = C::ScalarField::zero();
    let mut started = false;
    for i in (0..LEN).rev() {
        if started {
            if m.is_zero() {
                return None;
            }
            for _ in 0..W {
                m.double_in_place();
            }
        }
        for (base, digits) in d.iter().enumerate() {
            let v = digits[i];
            if v == 0 {
                continue;
            }
            let mut a = addends.pos[base][v.unsigned_abs() as usize - 1];
            if v < 0 {
                a = -a;
            }
            if started {
                if m == a || m == -a || m.is_zero() {
                    return None;
                }
                m += a;
            } else {
                m = a;
                started = true;
            }
        }
    }
    (m == k).then_some(Plan { d })
}

/// acc[i] ← acc[i] + t[i] for the points where `take[i]`; the others are left alone.
/// `fresh[i]` marks points whose accumulator is still empty (they copy instead).
fn add_masked<F: Field>(
    acc: &mut Batch<F>,
    fresh: &mut [bool],
    tx: &[F],
    ty: &[F],
    take: &[bool],
    den: &mut Vec<F>,
    scratch: &mut Vec<F>,
) -> bool {
    den.clear();
    for i in 0..acc.x.len() {
        den.push(if take[i] && !fresh[i] { tx[i] - acc.x[i] } else { F::one() });
    }
    if !batch_invert(den, scratch) {
        return false;
    }
    for i in 0..acc.x.len() {
        if !take[i] {
            continue;
        }
        if fresh[i] {
            acc.x[i] = tx[i];
            acc.y[i] = ty[i];
            fresh[i] = false;
            continue;
        }
        let l = (ty[i] - acc.y[i]) * den[i];
        let x3 = l.square() - acc.x[i] - tx[i];
        acc.y[i] = l * (acc.x[i] - x3) - acc.y[i];
        acc.x[i] = x3;
    }
    true
}

/// Runs the lockstep schedule on a batch of non-identity points with valid plans.
fn run_batch<C: GLVConfig>(pts: &mut [Affine<C>], plans: &[&Plan]) -> bool {
    let n = pts.len();
    let mut den = Vec::with_capacity(n);
    let mut scratch = Vec::with_capacity(n);
    // tables[j] = (j+1)·P for j < TABLE, built by repeated batched additions of P.
    let base = Batch { x: pts.iter().map(|p| p.x).collect::<Vec<_>>(), y: pts.iter().map(|p| p.y).collect::<Vec<_>>() };
    let mut tables: Vec<Batch<C::BaseField>> = Vec::with_capacity(TABLE);
    let mut two = Batch { x: base.x.clone(), y: base.y.clone() };
    if !double_all(&mut two, &mut den, &mut scratch) {
        return false;
    }
    tables.push(Batch { x: base.x.clone(), y: base.y.clone() });
    tables.push(two);
    let all = vec![true; n];
    for j in 2..TABLE {
        let mut next = Batch { x: tables[j - 1].x.clone(), y: tables[j - 1].y.clone() };
        let mut fresh = vec![false; n];
        if !add_masked(&mut next, &mut fresh, &base.x, &base.y, &all, &mut den, &mut scratch) {
            return false;
        }
        tables.push(next);
    }
    let beta = C::ENDO_COEFFS[0];
    let mut acc = Batch { x: vec![C::BaseField::zero(); n], y: vec![C::BaseField::zero(); n] };
    let mut fresh = vec![true; n];
    let mut tx = vec![C::BaseField::zero(); n];
    let mut ty = vec![C::BaseField::zero(); n];
    let mut take = vec![false; n];
    for i in (0..LEN).rev() {
        if fresh.iter().any(|f| !f) {
            // Points that have not started hold no value yet: they double a stand-in (their
            // own base point), which add_masked overwrites when they start.
            for (j, _) in fresh.iter().enumerate().filter(|(_, f)| **f) {
                acc.x[j] = base.x[j];
                acc.y[j] = base.y[j];
            }
            for _ in 0..W {
                if !double_all(&mut acc, &mut den, &mut scratch) {
                    return false;
                }
            }
        }
        for b in 0..2 {
            for j in 0..n {
                let v = plans[j].d[b][i];
                take[j] = v != 0;
                if v != 0 {
                    let t = &tables[v.unsigned_abs() as usize - 1];
                    tx[j] = if b == 1 { t.x[j] * beta } else { t.x[j] };
                    ty[j] = if v < 0 { -t.y[j] } else { t.y[j] };
                }
            }
            if !add_masked(&mut acc, &mut fresh, &tx, &ty, &take, &mut den, &mut scratch) {
                return false;
            }
        }
    }
    for (p, (x, y)) in pts.iter_mut().zip(acc.x.into_iter().zip(acc.y)) {
        *p = Affine::new_unchecked(x, y);
    }
    true
}

/// [`run_batch`], on the vector path where the curve and the CPU allow it.
fn run_batch_fastest<C: GLVConfig + 'static>(pts: &mut [Affine<C>], plans: &[&Plan]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(ok) = super::ifma::run_each(pts, plans) {
        return ok;
    }
    run_batch(pts, plans)
}

/// Replaces every point i by scalars[i]·point_i, in parallel.
pub fn scale_each<C: GLVConfig + 'static>(pts: &mut [Affine<C>], scalars: &[C::ScalarField]) {
    let batch = batch_size(pts.len());
    let addends = Addends::new::<C>();
    pts.par_chunks_mut(batch).zip(scalars.par_chunks(batch)).for_each(|(chunk, ks)| {
        let plans: Vec<Option<Plan>> =
            chunk.iter().zip(ks).map(|(p, k)| if p.is_zero() { None } else { plan::<C>(*k, &addends) }).collect();
        let live: Vec<usize> = (0..chunk.len()).filter(|&i| plans[i].is_some()).collect();
        let mut sub: Vec<Affine<C>> = live.iter().map(|&i| chunk[i]).collect();
        let sub_plans: Vec<&Plan> = live.iter().filter_map(|&i| plans[i].as_ref()).collect();
        let ok = sub.is_empty() || run_batch_fastest(&mut sub, &sub_plans);
        for (j, &i) in live.iter().enumerate() {
            chunk[i] = if ok { sub[j] } else { (chunk[i] * ks[i]).into_affine() };
        }
        for i in 0..chunk.len() {
            if plans[i].is_none() {
                chunk[i] = (chunk[i] * ks[i]).into_affine();
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G2Affine};
    use ark_ff::UniformRand;

    #[test]
    fn matches_arkworks_with_edge_cases() {
        let mut rng = ark_std::test_rng();
        let n = 600;
        let mut pts: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
        let mut ks: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        pts[0] = G1Affine::identity();
        ks[1] = Fr::from(0u64);
        ks[2] = Fr::from(1u64);
        ks[3] = -Fr::from(1u64);
        ks[4] = Fr::from(2u64);
        ks[5] = <ark_bn254::g1::Config as GLVConfig>::LAMBDA;
        ks[6] = Fr::from(8u64);
        ks[7] = Fr::from(9u64);
        pts[9] = pts[8];
        let want: Vec<G1Affine> = pts.iter().zip(&ks).map(|(p, k)| (*p * k).into_affine()).collect();
        let mut got = pts.clone();
        scale_each(&mut got, &ks);
        assert_eq!(got, want);
        let g2: Vec<G2Affine> = (0..40).map(|_| G2Affine::rand(&mut rng)).collect();
        let k2: Vec<Fr> = (0..40).map(|_| Fr::rand(&mut rng)).collect();
        let want: Vec<G2Affine> = g2.iter().zip(&k2).map(|(p, k)| (*p * k).into_affine()).collect();
        let mut got = g2;
        scale_each(&mut got, &k2);
        assert_eq!(got, want);
    }

    /// The portable and the vector engine on the same points and plans (scalars with every
    /// digit pattern of a random scalar, and small ones whose accumulators start late).
    fn both_paths<C: GLVConfig + 'static>(n: usize) {
        let mut rng = ark_std::test_rng();
        let pts: Vec<Affine<C>> = (0..n).map(|_| Affine::<C>::rand(&mut rng)).collect();
        let mut ks: Vec<C::ScalarField> = (0..n).map(|_| C::ScalarField::rand(&mut rng)).collect();
        for (i, k) in ks.iter_mut().enumerate().take(6) {
            *k = C::ScalarField::from(17u64 + 1000 * i as u64);
        }
        let addends = Addends::new::<C>();
        let plans: Vec<Plan> = ks.iter().map(|k| plan::<C>(*k, &addends).expect("these scalars have plans")).collect();
        let plans: Vec<&Plan> = plans.iter().collect();
        let want: Vec<Affine<C>> = pts.iter().zip(&ks).map(|(p, k)| (*p * k).into_affine()).collect();
        let mut portable = pts.clone();
        assert!(run_batch(&mut portable, &plans));
        assert_eq!(portable, want, "portable path");
        #[cfg(target_arch = "x86_64")]
        if crate::backend::ifma::available() {
            let mut vector = pts.clone();
            assert_eq!(crate::backend::ifma::run_each(&mut vector, &plans), Some(true));
            assert_eq!(vector, want, "IFMA path");
        }
    }

    #[test]
    fn portable_and_vector_paths_match_arkworks() {
        both_paths::<ark_bn254::g1::Config>(29);
        both_paths::<ark_bn254::g2::Config>(11);
    }
}

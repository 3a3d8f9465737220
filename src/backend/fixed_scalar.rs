//! Many points times one scalar on the CPU: the scalar is split once (GLV) into two half-length
//! wNAF digit strings, and every point runs the same schedule of doublings and additions in
//! affine coordinates, a batch at a time, sharing one field inversion per step (Montgomery's
//! trick). Exceptional additions depend only on the scalar, so the schedule is checked once
//! symbolically; a scalar whose schedule would hit one falls back to plain multiplication.

use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

use crate::batch_affine::{add_all, copy_from, double_all, Batch};

/// Points processed together: large batches amortise the shared inversion, but every thread
/// should still get a few batches.
fn batch_size(n: usize) -> usize {
    (n / (4 * rayon::current_num_threads().max(1))).clamp(64, 2048)
}
/// wNAF window width.
const WINDOW: u32 = 5;
/// Odd multiples 1, 3, …, 2^(WINDOW−1) − 1 of each base.
pub(crate) const TABLE: usize = 1 << (WINDOW - 2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// acc = ±table[base][idx].
    Init { base: u8, idx: u8, neg: bool },
    /// acc = 2·acc.
    Double,
    /// acc = acc ± table[base][idx].
    Add { base: u8, idx: u8, neg: bool },
}

/// The shared schedule of one scalar.
#[derive(Debug, Clone)]
pub struct Schedule {
    ops: Vec<Op>,
}

fn wnaf<B: BigInteger>(k: B) -> Vec<i8> {
    k.find_wnaf(WINDOW as usize).map(|v| v.into_iter().map(|d| d as i8).collect()).unwrap_or_default()
}

impl Schedule {
    /// The schedule for `k`, or `None` when `k` is 0 or the schedule meets an exceptional case.
    pub fn new<C: GLVConfig>(k: C::ScalarField) -> Option<Schedule> {
        if k.is_zero() {
            return None;
        }
        let ((s1, k1), (s2, k2)) = C::scalar_decomposition(k);
        let digits = [wnaf(k1.into_bigint()), wnaf(k2.into_bigint())];
        let signs = [s1, s2];
        let len = digits[0].len().max(digits[1].len());
        let mut ops = Vec::with_capacity(len * 2);
        let mut started = false;
        for i in (0..len).rev() {
            if started {
                ops.push(Op::Double);
            }
            for base in 0..2 {
                let d = digits[base].get(i).copied().unwrap_or(0);
                if d == 0 {
                    continue;
                }
                let idx = d.unsigned_abs() / 2;
                let neg = (d < 0) == signs[base];
                if started {
                    ops.push(Op::Add { base: base as u8, idx, neg });
                } else {
                    ops.push(Op::Init { base: base as u8, idx, neg });
                    started = true;
                }
            }
        }
        // Follow the partial scalar: an addition of equal or opposite points, or a doubling of
        // the identity, cannot be computed by the affine formulas below.
        let lambda = C::LAMBDA;
        let addend = |base: u8, idx: u8, neg: bool| {
            let mut a = C::ScalarField::from(2 * idx as u64 + 1);
            if base == 1 {
                a *= lambda;
            }
            if neg {
                -a
            } else {
                a
            }
        };
        let mut m = C::ScalarField::zero();
        for op in &ops {
            match *op {
                Op::Init { base, idx, neg } => m = addend(base, idx, neg),
                Op::Double => {
                    if m.is_zero() {
                        return None;
                    }
                    m.double_in_place();
                }
                Op::Add { base, idx, neg } => {
                    let a = addend(base, idx, neg);
                    if m == a || m == -a {
                        return None;
                    }
                    m += a;
                }
            }
        }
        if m != k {
            return None;
        }
        Some(Schedule { ops })
    }

    /// The schedule of the plain integer `k` (> 0), no endomorphism: for points outside the
    /// prime-order subgroup too. Nothing is checked ahead: an exceptional step makes the run
    /// return false.
    pub(crate) fn plain(k: u64) -> Schedule {
        let digits = wnaf(ark_ff::BigInt::<1>::new([k]));
        let mut ops = Vec::with_capacity(digits.len() * 2);
        for d in digits.into_iter().rev() {
            if !ops.is_empty() {
                ops.push(Op::Double);
            }
            if d != 0 {
                let (idx, neg) = (d.unsigned_abs() / 2, d < 0);
                ops.push(if ops.is_empty() { Op::Init { base: 0, idx, neg } } else { Op::Add { base: 0, idx, neg } });
            }
        }
        Schedule { ops }
    }

    /// The operations, in order.
    pub(crate) fn ops(&self) -> &[Op] {
        &self.ops
    }
}

/// Runs the schedule on one batch of non-identity points, in place; false if a step met an
/// exceptional case (impossible for points of the prime-order subgroup), leaving `pts` as they were.
fn run_batch<C: GLVConfig>(s: &Schedule, pts: &mut [Affine<C>]) -> bool {
    let n = pts.len();
    let mut den = Vec::with_capacity(n);
    let mut scratch = Vec::with_capacity(n);
    // Tables: odd multiples of P, then their images under the endomorphism.
    let base = Batch { x: pts.iter().map(|p| p.x).collect(), y: pts.iter().map(|p| p.y).collect() };
    let mut two = Batch { x: base.x.clone(), y: base.y.clone() };
    let mut ok = double_all(&mut two, &mut den, &mut scratch);
    let mut t0: Vec<Batch<C::BaseField>> = Vec::with_capacity(TABLE);
    t0.push(base);
    for j in 1..TABLE {
        let mut next = Batch { x: t0[j - 1].x.clone(), y: t0[j - 1].y.clone() };
        ok &= add_all(&mut next, &two, false, &mut den, &mut scratch);
        t0.push(next);
    }
    let beta = C::ENDO_COEFFS[0];
    let t1: Vec<Batch<C::BaseField>> =
        t0.iter().map(|t| Batch { x: t.x.iter().map(|x| *x * beta).collect(), y: t.y.clone() }).collect();
    let tables = [t0, t1];
    let mut acc = Batch { x: vec![C::BaseField::zero(); n], y: vec![C::BaseField::zero(); n] };
    for op in &s.ops {
        match *op {
            Op::Init { base, idx, neg } => copy_from(&mut acc, &tables[base as usize][idx as usize], neg),
            Op::Double => ok &= double_all(&mut acc, &mut den, &mut scratch),
            Op::Add { base, idx, neg } => {
                ok &= add_all(&mut acc, &tables[base as usize][idx as usize], neg, &mut den, &mut scratch)
            }
        }
        if !ok {
            return false;
        }
    }
    for (p, (x, y)) in pts.iter_mut().zip(acc.x.into_iter().zip(acc.y)) {
        *p = Affine::new_unchecked(x, y);
    }
    true
}

/// [`run_batch`], on the vector path where the curve and the CPU allow it.
pub(crate) fn run_schedule<C: GLVConfig + 'static>(s: &Schedule, pts: &mut [Affine<C>]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if let Some(ok) = super::ifma::run_fixed(s, pts) {
        return ok;
    }
    run_batch(s, pts)
}

/// Replaces every point by k·point, in parallel.
pub fn scale_fixed<C: GLVConfig + 'static>(pts: &mut [Affine<C>], k: C::ScalarField) {
    let Some(s) = Schedule::new::<C>(k) else {
        pts.par_iter_mut().for_each(|p| *p = (*p * k).into_affine());
        return;
    };
    let batch = batch_size(pts.len());
    pts.par_chunks_mut(batch).for_each(|chunk| {
        // Identity points stay the identity; the others run the shared schedule.
        let live: Vec<usize> = (0..chunk.len()).filter(|&i| !chunk[i].is_zero()).collect();
        let mut sub: Vec<Affine<C>> = live.iter().map(|&i| chunk[i]).collect();
        if !sub.is_empty() && !run_schedule(&s, &mut sub) {
            sub.iter_mut().for_each(|p| *p = (*p * k).into_affine());
        }
        for (&i, p) in live.iter().zip(sub) {
            chunk[i] = p;
        }
    });
}

/// k·p by plain double-and-add, for tests.
pub fn reference<C: GLVConfig>(p: &Affine<C>, k: C::ScalarField) -> Affine<C> {
    (Projective::<C>::from(*p) * k).into_affine()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G2Affine};
    use ark_ff::UniformRand;

    fn check<C: GLVConfig>(pts: Vec<Affine<C>>, k: C::ScalarField) {
        let want: Vec<_> = pts.iter().map(|p| reference(p, k)).collect();
        let mut got = pts;
        scale_fixed(&mut got, k);
        assert_eq!(got, want);
    }

    #[test]
    fn g1_and_g2_match_arkworks() {
        let mut rng = ark_std::test_rng();
        for n in [1usize, 3, 513, 1100] {
            let mut g1: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            g1[0] = G1Affine::identity();
            if n > 2 {
                g1[2] = g1[1];
            }
            check(g1, Fr::rand(&mut rng));
        }
        let g2: Vec<G2Affine> = (0..70).map(|_| G2Affine::rand(&mut rng)).collect();
        check(g2, Fr::rand(&mut rng));
    }

    /// Runs the portable engine and (where the CPU has it) the vector engine on the same
    /// points, including a point and its negation, against plain multiplication.
    fn both_paths<C: GLVConfig + 'static>(counts: &[usize]) {
        let mut rng = ark_std::test_rng();
        let k = C::ScalarField::rand(&mut rng);
        let s = Schedule::new::<C>(k).expect("a random scalar has a schedule");
        for &n in counts {
            let mut pts: Vec<Affine<C>> = (0..n).map(|_| Affine::<C>::rand(&mut rng)).collect();
            if n > 2 {
                pts[2] = -pts[1];
            }
            let want: Vec<_> = pts.iter().map(|p| reference(p, k)).collect();
            let mut portable = pts.clone();
            assert!(run_batch(&s, &mut portable));
            assert_eq!(portable, want, "portable path, {n} points");
            #[cfg(target_arch = "x86_64")]
            if crate::backend::ifma::available() {
                let mut vector = pts.clone();
                assert_eq!(crate::backend::ifma::run_fixed(&s, &mut vector), Some(true));
                assert_eq!(vector, want, "IFMA path, {n} points");
            }
        }
    }

    #[test]
    fn portable_and_vector_paths_match_arkworks() {
        both_paths::<ark_bn254::g1::Config>(&[1, 7, 8, 9, 100]);
        both_paths::<ark_bn254::g2::Config>(&[1, 9, 40]);
    }

    #[test]
    fn edge_scalars() {
        let mut rng = ark_std::test_rng();
        let pts: Vec<G1Affine> = (0..40).map(|_| G1Affine::rand(&mut rng)).collect();
        for k in [Fr::from(0u64), Fr::from(1u64), Fr::from(2u64), Fr::from(3u64), -Fr::from(1u64), -Fr::from(2u64)] {
            check(pts.clone(), k);
        }
        let lambda = <ark_bn254::g1::Config as GLVConfig>::LAMBDA;
        check(pts.clone(), lambda);
        check(pts, lambda + Fr::from(1u64));
    }
}

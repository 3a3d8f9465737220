//! The batched-affine engines of `fixed_scalar` and `scalar_each`, eight points per vector:
//! the same schedules and formulas, one shared inversion per step.

// Limb and lane loops index several arrays in step.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::__mmask8;

use ark_bn254::{g1, g2};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::Affine;

use super::fq::{Ctx, Fq8};
use super::fq2::Fq2x8;
use super::lanes::{Lanes, LANES};
use crate::backend::fixed_scalar::{Op, Schedule, TABLE};
use crate::backend::scalar_each::LEN;
use crate::backend::scalar_each::{self, Plan};

/// A curve with a vector field type for its coordinates.
pub trait VecCurve: GLVConfig + 'static {
    /// Eight coordinates.
    type L: Lanes<Elem = Self::BaseField>;
}

impl VecCurve for g1::Config {
    type L = Fq8;
}

impl VecCurve for g2::Config {
    type L = Fq2x8;
}

/// Affine points of a batch, eight per vector.
#[derive(Clone)]
struct Batch8<L> {
    x: Vec<L>,
    y: Vec<L>,
}

/// The points as vectors, the last one padded with copies of the first point.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn load<C: VecCurve>(c: &Ctx, pts: &[Affine<C>]) -> Batch8<C::L> {
    let vectors = pts.len().div_ceil(LANES);
    let lane = |i: usize| pts.get(i).unwrap_or(&pts[0]);
    let mut b = Batch8 { x: Vec::with_capacity(vectors), y: Vec::with_capacity(vectors) };
    for v in 0..vectors {
        let p: [&Affine<C>; LANES] = std::array::from_fn(|l| lane(v * LANES + l));
        b.x.push(C::L::load(c, &p.map(|p| p.x)));
        b.y.push(C::L::load(c, &p.map(|p| p.y)));
    }
    b
}

/// Writes the batch back over `pts` (padding lanes dropped).
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn store<C: VecCurve>(c: &Ctx, b: &Batch8<C::L>, pts: &mut [Affine<C>]) {
    for (v, (x, y)) in b.x.iter().zip(&b.y).enumerate() {
        let (xs, ys) = (C::L::store(c, x), C::L::store(c, y));
        for l in 0..LANES {
            if let Some(p) = pts.get_mut(v * LANES + l) {
                *p = Affine::new_unchecked(xs[l], ys[l]);
            }
        }
    }
}

/// v[i] ← 1 / v[i] lane-wise with one (eight-lane) inversion; false if some lane is zero.
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) unsafe fn batch_invert<L: Lanes>(c: &Ctx, v: &mut [L], scratch: &mut Vec<L>) -> bool {
    scratch.clear();
    let mut acc = L::one(c);
    for x in v.iter() {
        scratch.push(acc);
        acc = L::mul(c, &acc, x);
    }
    let Some(mut inv) = L::invert(c, &acc) else {
        return false;
    };
    for (x, pre) in v.iter_mut().zip(scratch.iter()).rev() {
        let t = L::mul(c, &inv, x);
        *x = L::mul(c, &inv, pre);
        inv = t;
    }
    true
}

/// acc ← 2·acc; false when some y is zero.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn double_all<L: Lanes>(c: &Ctx, acc: &mut Batch8<L>, den: &mut Vec<L>, scratch: &mut Vec<L>) -> bool {
    den.clear();
    den.extend(acc.y.iter().map(|y| L::add(c, y, y)));
    if !batch_invert(c, den, scratch) {
        return false;
    }
    for ((x, y), inv) in acc.x.iter_mut().zip(acc.y.iter_mut()).zip(den.iter()) {
        let xx = L::square(c, x);
        let l = L::mul(c, &L::add(c, &L::add(c, &xx, &xx), &xx), inv);
        let x3 = L::sub(c, &L::square(c, &l), &L::add(c, x, x));
        *y = L::sub(c, &L::mul(c, &l, &L::sub(c, x, &x3)), y);
        *x = x3;
    }
    true
}

/// (x1, y1) + (x2, y2) given 1 / (x2 − x1).
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
pub(super) unsafe fn add_point<L: Lanes>(c: &Ctx, x1: &L, y1: &L, x2: &L, y2: &L, inv: &L) -> (L, L) {
    let l = L::mul(c, &L::sub(c, y2, y1), inv);
    let x3 = L::sub(c, &L::sub(c, &L::square(c, &l), x1), x2);
    let y3 = L::sub(c, &L::mul(c, &l, &L::sub(c, x1, &x3)), y1);
    (x3, y3)
}

/// acc ← acc ± t; false when some pair shares its x.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn add_all<L: Lanes>(
    c: &Ctx,
    acc: &mut Batch8<L>,
    t: &Batch8<L>,
    neg: bool,
    den: &mut Vec<L>,
    scratch: &mut Vec<L>,
) -> bool {
    den.clear();
    den.extend(acc.x.iter().zip(&t.x).map(|(x1, x2)| L::sub(c, x2, x1)));
    if !batch_invert(c, den, scratch) {
        return false;
    }
    for (i, inv) in den.iter().enumerate() {
        let y2 = if neg { L::neg(c, &t.y[i]) } else { t.y[i] };
        (acc.x[i], acc.y[i]) = add_point(c, &acc.x[i], &acc.y[i], &t.x[i], &y2, inv);
    }
    true
}

/// The odd-multiples tables of `fixed_scalar`: P, 3P, …, then their endomorphism images.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn fixed_tables<C: VecCurve>(
    c: &Ctx,
    base: Batch8<C::L>,
    den: &mut Vec<C::L>,
    scratch: &mut Vec<C::L>,
) -> Option<[Vec<Batch8<C::L>>; 2]> {
    let mut two = base.clone();
    let mut ok = double_all(c, &mut two, den, scratch);
    let mut t0 = Vec::with_capacity(TABLE);
    t0.push(base);
    for j in 1..TABLE {
        let mut next = t0[j - 1].clone();
        ok &= add_all(c, &mut next, &two, false, den, scratch);
        t0.push(next);
    }
    let beta = C::L::load(c, &[C::ENDO_COEFFS[0]; LANES]);
    let t1 = t0.iter().map(|t| Batch8 { x: t.x.iter().map(|x| C::L::mul(c, x, &beta)).collect(), y: t.y.clone() });
    let t1 = t1.collect();
    ok.then_some([t0, t1])
}

/// `fixed_scalar`'s schedule on non-identity points, in place; false (points unchanged) if
/// a step met an exceptional case.
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn run_fixed<C: VecCurve>(s: &Schedule, pts: &mut [Affine<C>]) -> bool {
    if pts.is_empty() {
        return true;
    }
    let c = Ctx::new();
    let base = load(&c, pts);
    let (mut den, mut scratch) = (Vec::with_capacity(base.x.len()), Vec::with_capacity(base.x.len()));
    let Some(tables) = fixed_tables::<C>(&c, base, &mut den, &mut scratch) else {
        return false;
    };
    let mut acc = tables[0][0].clone();
    for op in s.ops() {
        let ok = match *op {
            Op::Init { base, idx, neg } => {
                let t = &tables[base as usize][idx as usize];
                acc.x.copy_from_slice(&t.x);
                acc.y = if neg { t.y.iter().map(|y| C::L::neg(&c, y)).collect() } else { t.y.clone() };
                true
            }
            Op::Double => double_all(&c, &mut acc, &mut den, &mut scratch),
            Op::Add { base, idx, neg } => {
                add_all(&c, &mut acc, &tables[base as usize][idx as usize], neg, &mut den, &mut scratch)
            }
        };
        if !ok {
            return false;
        }
    }
    store(&c, &acc, pts);
    true
}

/// Lane masks of one vector's digits at one position: which lanes add, which subtract, and
/// for each table entry the lanes that use it.
struct DigitMasks {
    take: __mmask8,
    neg: __mmask8,
    entry: [__mmask8; scalar_each::TABLE],
}

fn digit_masks(plans: &[&Plan], v: usize, base: usize, i: usize) -> DigitMasks {
    let mut m = DigitMasks { take: 0, neg: 0, entry: [0; scalar_each::TABLE] };
    for l in 0..LANES {
        let d = plans.get(v * LANES + l).unwrap_or(&plans[0]).d[base][i];
        if d != 0 {
            m.take |= 1 << l;
            m.entry[d.unsigned_abs() as usize - 1] |= 1 << l;
        }
        if d < 0 {
            m.neg |= 1 << l;
        }
    }
    m
}

/// `scalar_each`'s lockstep schedule on non-identity points with valid plans, in place;
/// false (points unchanged) if a step met an exceptional case.
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn run_each<C: VecCurve>(pts: &mut [Affine<C>], plans: &[&Plan]) -> bool {
    if pts.is_empty() {
        return true;
    }
    let c = Ctx::new();
    let base = load(&c, pts);
    let n = base.x.len();
    let (mut den, mut scratch) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // tables[j] = (j+1)·P, and their endomorphism images.
    let mut two = base.clone();
    if !double_all(&c, &mut two, &mut den, &mut scratch) {
        return false;
    }
    let mut t0 = vec![base.clone(), two];
    for j in 2..scalar_each::TABLE {
        let mut next = t0[j - 1].clone();
        if !add_all(&c, &mut next, &base, false, &mut den, &mut scratch) {
            return false;
        }
        t0.push(next);
    }
    let beta = C::L::load(&c, &[C::ENDO_COEFFS[0]; LANES]);
    let t1: Vec<Vec<C::L>> = t0.iter().map(|t| t.x.iter().map(|x| C::L::mul(&c, x, &beta)).collect()).collect();
    let one = C::L::one(&c);
    let mut acc = base.clone();
    // Lanes whose accumulator is still empty: they double a stand-in (their own base point)
    // and copy their first table entry instead of adding it.
    let mut fresh: Vec<__mmask8> = vec![0xff; n];
    let (mut tx, mut ty) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for i in (0..LEN).rev() {
        if fresh.iter().any(|f| *f != 0xff) {
            for v in 0..n {
                acc.x[v] = C::L::select(fresh[v], &acc.x[v], &base.x[v]);
                acc.y[v] = C::L::select(fresh[v], &acc.y[v], &base.y[v]);
            }
            for _ in 0..scalar_each::W {
                if !double_all(&c, &mut acc, &mut den, &mut scratch) {
                    return false;
                }
            }
        }
        for b in 0..2 {
            let masks: Vec<DigitMasks> = (0..n).map(|v| digit_masks(plans, v, b, i)).collect();
            tx.clear();
            ty.clear();
            den.clear();
            for (v, m) in masks.iter().enumerate() {
                let (mut x, mut y) = (if b == 0 { t0[0].x[v] } else { t1[0][v] }, t0[0].y[v]);
                for j in 1..scalar_each::TABLE {
                    if m.entry[j] != 0 {
                        x = C::L::select(m.entry[j], &x, if b == 0 { &t0[j].x[v] } else { &t1[j][v] });
                        y = C::L::select(m.entry[j], &y, &t0[j].y[v]);
                    }
                }
                if m.neg != 0 {
                    y = C::L::select(m.neg, &y, &C::L::neg(&c, &y));
                }
                let adding = m.take & !fresh[v];
                den.push(C::L::select(adding, &one, &C::L::sub(&c, &x, &acc.x[v])));
                tx.push(x);
                ty.push(y);
            }
            if !batch_invert(&c, &mut den, &mut scratch) {
                return false;
            }
            for (v, m) in masks.iter().enumerate() {
                let adding = m.take & !fresh[v];
                let copying = m.take & fresh[v];
                if adding != 0 {
                    let (x3, y3) = add_point(&c, &acc.x[v], &acc.y[v], &tx[v], &ty[v], &den[v]);
                    acc.x[v] = C::L::select(adding, &acc.x[v], &x3);
                    acc.y[v] = C::L::select(adding, &acc.y[v], &y3);
                }
                acc.x[v] = C::L::select(copying, &acc.x[v], &tx[v]);
                acc.y[v] = C::L::select(copying, &acc.y[v], &ty[v]);
                fresh[v] &= !m.take;
            }
        }
    }
    store(&c, &acc, pts);
    true
}

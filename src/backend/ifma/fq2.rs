//! Eight BN254 Fq2 = Fq[u]/(u² + 1) elements per vector, as two [`Fq8`] coordinates.

use std::arch::x86_64::*;

use ark_bn254::{Fq, Fq2};
use ark_ff::Zero;

use super::fq::{gather, reduce, scatter, Ctx, Fq8};
use super::lanes::{Lanes, LANES};

/// Eight Fq2 elements: c0 + c1·u lane-wise.
#[derive(Clone, Copy)]
pub struct Fq2x8 {
    c0: Fq8,
    c1: Fq8,
}

impl Lanes for Fq2x8 {
    type Elem = Fq2;
    const WORDS: usize = 10;

    /// Karatsuba: three base-field products.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn mul(c: &Ctx, a: &Self, b: &Self) -> Self {
        let v0 = Fq8::mul(c, &a.c0, &b.c0);
        let v1 = Fq8::mul(c, &a.c1, &b.c1);
        let s = Fq8::mul(c, &Fq8::add(c, &a.c0, &a.c1), &Fq8::add(c, &b.c0, &b.c1));
        Fq2x8 { c0: Fq8::sub(c, &v0, &v1), c1: Fq8::sub(c, &Fq8::sub(c, &s, &v0), &v1) }
    }

    /// (c0 + c1)(c0 − c1) + 2·c0·c1·u: two base-field products.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn square(c: &Ctx, a: &Self) -> Self {
        let p = Fq8::mul(c, &Fq8::add(c, &a.c0, &a.c1), &Fq8::sub(c, &a.c0, &a.c1));
        let q = Fq8::mul(c, &a.c0, &a.c1);
        Fq2x8 { c0: p, c1: Fq8::add(c, &q, &q) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add(c: &Ctx, a: &Self, b: &Self) -> Self {
        Fq2x8 { c0: Fq8::add(c, &a.c0, &b.c0), c1: Fq8::add(c, &a.c1, &b.c1) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn sub(c: &Ctx, a: &Self, b: &Self) -> Self {
        Fq2x8 { c0: Fq8::sub(c, &a.c0, &b.c0), c1: Fq8::sub(c, &a.c1, &b.c1) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn neg(c: &Ctx, a: &Self) -> Self {
        Fq2x8 { c0: Fq8::neg(c, &a.c0), c1: Fq8::neg(c, &a.c1) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn select(m: __mmask8, a: &Self, b: &Self) -> Self {
        Fq2x8 { c0: Fq8::select(m, &a.c0, &b.c0), c1: Fq8::select(m, &a.c1, &b.c1) }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn one(c: &Ctx) -> Self {
        Fq2x8 { c0: Fq8::one(c), c1: Fq8([_mm512_setzero_si512(); 5]) }
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn load(c: &Ctx, v: &[Fq2; LANES]) -> Self {
        Fq2x8 { c0: Fq8::load(c, &v.map(|x| x.c0)), c1: Fq8::load(c, &v.map(|x| x.c1)) }
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn store(c: &Ctx, a: &Self) -> [Fq2; LANES] {
        let (c0, c1) = (Fq8::store(c, &a.c0), Fq8::store(c, &a.c1));
        std::array::from_fn(|l| Fq2::new(c0[l], c1[l]))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn gather(data: &[u64], at: __m512i) -> Self {
        let p = data.as_ptr();
        Fq2x8 { c0: Fq8::gather_from(p, at), c1: Fq8::gather_from(p.add(5), at) }
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn scatter(data: &mut [u64], m: __mmask8, at: __m512i, v: &Self) {
        let p = data.as_mut_ptr();
        Fq8::scatter_to(p, m, at, &v.c0);
        Fq8::scatter_to(p.add(5), m, at, &v.c1);
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn is_zero(c: &Ctx, a: &Self) -> __mmask8 {
        Fq8::is_zero(c, &a.c0) & Fq8::is_zero(c, &a.c1)
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn invert(c: &Ctx, a: &Self) -> Option<Self> {
        // As for Fq8, with no conversions: read as ark's representations, our pair for x is
        // 2^4·x, and its inverse times 2^8 is our pair for x⁻¹.
        let int = |v: &Fq8| scatter(v).map(|x| Fq::new_unchecked(reduce(x)));
        let (c0, c1) = (int(&a.c0), int(&a.c1));
        let mut v: [Fq2; LANES] = std::array::from_fn(|l| Fq2::new(c0[l], c1[l]));
        if v.iter().any(|x| x.is_zero()) {
            return None;
        }
        ark_ff::batch_inversion_and_mul(&mut v, &Fq2::new(c.inv_fix, Fq::zero()));
        Some(Fq2x8 { c0: gather(&v.map(|x| x.c0.0)), c1: gather(&v.map(|x| x.c1.0)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn fq2_ops_match_arkworks() {
        let mut rng = ark_std::test_rng();
        let mut vals: Vec<Fq2> = (0..64).map(|_| Fq2::rand(&mut rng)).collect();
        vals.extend([Fq2::zero(), Fq2::from(1u64), -Fq2::from(1u64), Fq2::new(Fq::zero(), Fq::from(1u64))]);
        vals.extend([Fq2::new(-Fq::from(1u64), Fq::zero()), Fq2::new(Fq::zero(), -Fq::from(1u64))]);
        vals.extend([Fq2::zero(); 2]);
        super::super::lanes::tests::check_blocks::<Fq2x8>(&vals);
    }
}

//! Eight BN254 base-field elements per vector: five 52-bit limbs each, Montgomery form with
//! R = 2^260, products by AVX-512 IFMA.
//!
//! Values are kept in [0, 2p] with every limb below 2^52 between operations: the Montgomery
//! product of two such values is below 2p again (4p < 2^260), and sums and differences are
//! brought back with one conditional subtraction of 2p.

// Limb and lane loops index several arrays in step.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use ark_bn254::Fq;
use ark_ff::{BigInt, Field, PrimeField, Zero};

use super::lanes::{Lanes, LANES};

const LIMBS: usize = 5;
const MASK: u64 = (1 << 52) - 1;

/// Eight field elements, limb j of lane l in lane l of vector j.
#[derive(Clone, Copy)]
pub struct Fq8(pub(super) [__m512i; LIMBS]);

/// Radix-2^64 limbs to radix-2^52 limbs (the value must be below 2^260).
fn to52(x: &[u64; 4]) -> [u64; LIMBS] {
    let mut o = [0u64; LIMBS];
    let (mut acc, mut bits, mut k) = (0u128, 0u32, 0usize);
    for &w in x {
        acc |= (w as u128) << bits;
        bits += 64;
        while bits >= 52 {
            o[k] = acc as u64 & MASK;
            acc >>= 52;
            bits -= 52;
            k += 1;
        }
    }
    o[k] = acc as u64;
    o
}

/// Radix-2^52 limbs (each below 2^52, value below 2^256) to radix-2^64 limbs.
fn from52(x: &[u64; LIMBS]) -> [u64; 4] {
    let mut o = [0u64; 4];
    let (mut acc, mut bits, mut k) = (0u128, 0u32, 0usize);
    for &w in x {
        acc |= (w as u128) << bits;
        bits += 52;
        if bits >= 64 {
            o[k] = acc as u64;
            acc >>= 64;
            bits -= 64;
            k += 1;
        }
    }
    if k < 4 {
        o[k] = acc as u64;
    }
    o
}

/// x mod p for an x below 2^256, as a canonical integer.
pub(super) fn reduce(mut x: BigInt<4>) -> BigInt<4> {
    let p = Fq::MODULUS;
    while x >= p {
        ark_ff::BigInteger::sub_with_borrow(&mut x, &p);
    }
    x
}

/// The integer 2^e mod p.
fn pow2(e: u64) -> BigInt<4> {
    Fq::from(2u64).pow([e]).into_bigint()
}

/// The same 64-bit value in every lane.
#[inline]
#[target_feature(enable = "avx512f")]
fn splat(x: u64) -> __m512i {
    _mm512_set1_epi64(x as i64)
}

/// The same integer (below 2^260) in every lane.
#[target_feature(enable = "avx512f")]
fn splat_int(x: &BigInt<4>) -> Fq8 {
    Fq8(to52(&x.0).map(|w| splat(w)))
}

/// Eight integers (each below 2^260) as lanes.
#[target_feature(enable = "avx512f")]
pub(super) fn gather(v: &[BigInt<4>; LANES]) -> Fq8 {
    let mut limbs = [[0u64; LANES]; LIMBS];
    for (l, x) in v.iter().enumerate() {
        for (j, w) in to52(&x.0).into_iter().enumerate() {
            limbs[j][l] = w;
        }
    }
    // SAFETY: each row is eight u64, the 64 bytes one unaligned load reads.
    Fq8(limbs.map(|row| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) }))
}

/// The eight lanes as integers (each below 2^256).
#[target_feature(enable = "avx512f")]
pub(super) fn scatter(a: &Fq8) -> [BigInt<4>; LANES] {
    let mut limbs = [[0u64; LANES]; LIMBS];
    for (row, v) in limbs.iter_mut().zip(&a.0) {
        // SAFETY: each row is eight u64, the 64 bytes one unaligned store writes.
        unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), *v) };
    }
    std::array::from_fn(|l| BigInt(from52(&std::array::from_fn(|j| limbs[j][l]))))
}

/// Constants of the arithmetic, built once per batch.
pub struct Ctx {
    p: [__m512i; LIMBS],
    p2: [__m512i; LIMBS],
    pinv: __m512i,
    mask: __m512i,
    /// 2^264 mod p: ark's Montgomery form (R = 2^256) times this is ours (R = 2^260).
    to_ours: Fq8,
    /// 2^256 mod p: ours times this is ark's.
    to_ark: Fq8,
    /// The element 2^8 (ark's representation 2^264): read as ark's representation, our
    /// integer for x is the element 2^4·x; its inverse times this is our x⁻¹, as ark's
    /// representation.
    pub(super) inv_fix: Fq,
    /// 1 in our form.
    one: Fq8,
}

impl Ctx {
    /// The constants.
    #[target_feature(enable = "avx512f")]
    pub fn new() -> Ctx {
        let p = Fq::MODULUS;
        let p52 = to52(&p.0);
        // −p⁻¹ mod 2^52 by Newton's iteration.
        let mut inv: u64 = 1;
        for _ in 0..7 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p52[0].wrapping_mul(inv)));
        }
        let mut two_p = p;
        ark_ff::BigInteger::mul2(&mut two_p);
        Ctx {
            p: p52.map(|w| splat(w)),
            p2: splat_int(&two_p).0,
            pinv: splat(inv.wrapping_neg() & MASK),
            mask: splat(MASK),
            to_ours: splat_int(&pow2(264)),
            to_ark: splat_int(&pow2(256)),
            inv_fix: Fq::new_unchecked(pow2(264)),
            one: splat_int(&pow2(260)),
        }
    }

    /// Propagates carries (and borrows) so every limb is in [0, 2^52); the value must be ≥ 0.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn carry(&self, mut a: [__m512i; LIMBS]) -> [__m512i; LIMBS] {
        for j in 0..LIMBS - 1 {
            let c = _mm512_srai_epi64(a[j], 52);
            a[j] = _mm512_and_si512(a[j], self.mask);
            a[j + 1] = _mm512_add_epi64(a[j + 1], c);
        }
        a
    }

    /// a − 2p where that is ≥ 0, else a.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sub_2p(&self, a: [__m512i; LIMBS]) -> Fq8 {
        let mut d = a;
        for j in 0..LIMBS {
            d[j] = _mm512_sub_epi64(a[j], self.p2[j]);
        }
        let d = self.carry(d);
        let neg = _mm512_cmplt_epi64_mask(d[LIMBS - 1], _mm512_setzero_si512());
        let mut r = a;
        for j in 0..LIMBS {
            r[j] = _mm512_mask_blend_epi64(neg, d[j], a[j]);
        }
        Fq8(r)
    }
}

impl Lanes for Fq8 {
    type Elem = Fq;
    const WORDS: usize = LIMBS;

    /// a·b·2^−260 mod p, for a, b ≤ 2p; the result is ≤ 2p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn mul(c: &Ctx, a: &Fq8, b: &Fq8) -> Fq8 {
        let (a, b) = (&a.0, &b.0);
        let z = _mm512_setzero_si512();
        let mut t = [z; LIMBS + 1];
        for bi in b {
            for j in 0..LIMBS {
                t[j] = _mm512_madd52lo_epu64(t[j], a[j], *bi);
                t[j + 1] = _mm512_madd52hi_epu64(t[j + 1], a[j], *bi);
            }
            let m = _mm512_madd52lo_epu64(z, t[0], c.pinv);
            for j in 0..LIMBS {
                t[j] = _mm512_madd52lo_epu64(t[j], m, c.p[j]);
                t[j + 1] = _mm512_madd52hi_epu64(t[j + 1], m, c.p[j]);
            }
            // The low 52 bits of t[0] are now zero; shift the accumulator down one limb.
            t[1] = _mm512_add_epi64(t[1], _mm512_srli_epi64(t[0], 52));
            for j in 0..LIMBS {
                t[j] = t[j + 1];
            }
            t[LIMBS] = z;
        }
        let mut r = [z; LIMBS];
        r.copy_from_slice(&t[..LIMBS]);
        Fq8(c.carry(r))
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn square(c: &Ctx, a: &Fq8) -> Fq8 {
        Self::mul(c, a, a)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn add(c: &Ctx, a: &Fq8, b: &Fq8) -> Fq8 {
        let mut s = a.0;
        for j in 0..LIMBS {
            s[j] = _mm512_add_epi64(a.0[j], b.0[j]);
        }
        c.sub_2p(c.carry(s))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn sub(c: &Ctx, a: &Fq8, b: &Fq8) -> Fq8 {
        let mut s = a.0;
        for j in 0..LIMBS {
            s[j] = _mm512_add_epi64(_mm512_sub_epi64(a.0[j], b.0[j]), c.p2[j]);
        }
        c.sub_2p(c.carry(s))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn neg(c: &Ctx, a: &Fq8) -> Fq8 {
        let mut s = a.0;
        for j in 0..LIMBS {
            s[j] = _mm512_sub_epi64(c.p2[j], a.0[j]);
        }
        Fq8(c.carry(s))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn select(m: __mmask8, a: &Fq8, b: &Fq8) -> Fq8 {
        let mut r = a.0;
        for j in 0..LIMBS {
            r[j] = _mm512_mask_blend_epi64(m, a.0[j], b.0[j]);
        }
        Fq8(r)
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn one(c: &Ctx) -> Fq8 {
        c.one
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn load(c: &Ctx, v: &[Fq; LANES]) -> Fq8 {
        Self::mul(c, &gather(&v.map(|x| x.0)), &c.to_ours)
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn store(c: &Ctx, a: &Fq8) -> [Fq; LANES] {
        scatter(&Self::mul(c, a, &c.to_ark)).map(|x| Fq::new_unchecked(reduce(x)))
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn gather(data: &[u64], at: __m512i) -> Fq8 {
        Fq8::gather_from(data.as_ptr(), at)
    }

    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn scatter(data: &mut [u64], m: __mmask8, at: __m512i, v: &Fq8) {
        Fq8::scatter_to(data.as_mut_ptr(), m, at, v)
    }

    /// Zero is 0, p or 2p in [0, 2p], each with one limb pattern.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn is_zero(c: &Ctx, a: &Fq8) -> __mmask8 {
        let z = _mm512_setzero_si512();
        let (mut is0, mut isp, mut is2p) = (0xffu8, 0xffu8, 0xffu8);
        for j in 0..LIMBS {
            is0 &= _mm512_cmpeq_epi64_mask(a.0[j], z);
            isp &= _mm512_cmpeq_epi64_mask(a.0[j], c.p[j]);
            is2p &= _mm512_cmpeq_epi64_mask(a.0[j], c.p2[j]);
        }
        is0 | isp | is2p
    }

    #[target_feature(enable = "avx512f,avx512ifma")]
    unsafe fn invert(c: &Ctx, a: &Fq8) -> Option<Fq8> {
        // No conversions: see `Ctx::inv_fix`.
        let mut v = scatter(a).map(|x| Fq::new_unchecked(reduce(x)));
        if v.iter().any(|x| x.is_zero()) {
            return None;
        }
        ark_ff::batch_inversion_and_mul(&mut v, &c.inv_fix);
        Some(gather(&v.map(|x| x.0)))
    }
}

impl Fq8 {
    /// [`Lanes::gather`] relative to `base`: lane l's limbs at `base + at[l]` onwards.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn gather_from(base: *const u64, at: __m512i) -> Fq8 {
        Fq8(std::array::from_fn(|j| _mm512_i64gather_epi64::<8>(at, base.add(j).cast())))
    }

    /// [`Lanes::scatter`] relative to `base`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn scatter_to(base: *mut u64, m: __mmask8, at: __m512i, v: &Fq8) {
        for j in 0..LIMBS {
            _mm512_mask_i64scatter_epi64::<8>(base.add(j).cast(), m, at, v.0[j]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn field_ops_match_arkworks() {
        let mut rng = ark_std::test_rng();
        let mut vals: Vec<Fq> = (0..64).map(|_| Fq::rand(&mut rng)).collect();
        vals.extend([Fq::zero(), Fq::from(1u64), -Fq::from(1u64), -Fq::from(2u64), Fq::from(2u64)]);
        vals.extend([Fq::zero(); 3]);
        super::super::lanes::tests::check_blocks::<Fq8>(&vals);
    }
}

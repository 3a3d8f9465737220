//! BN254 G1 many-points-times-one-scalar on AVX-512 IFMA: eight points per vector, each field
//! element as five 52-bit limbs in Montgomery form with R = 2^260. It runs the same shared
//! schedule as [`super::fixed_scalar`], which picks it at run time on CPUs that have the
//! instructions; everything else takes the portable arkworks path.
//!
//! Values are kept in [0, 2p] with every limb below 2^52 between operations: the Montgomery
//! product of two such values is below 2p again (4p < 2^260), and sums and differences are
//! brought back with one conditional subtraction of 2p.

use std::arch::x86_64::*;

use ark_bn254::{g1, Fq, G1Affine};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ff::{BigInt, Field, PrimeField, Zero};

use super::fixed_scalar::{Op, Schedule, TABLE};

const LIMBS: usize = 5;
const LANES: usize = 8;
const MASK: u64 = (1 << 52) - 1;

/// Eight field elements, limb j of lane l in lane l of vector j.
type F8 = [__m512i; LIMBS];

/// Whether this CPU can run the IFMA path (and the user has not turned it off).
pub fn available() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("TAUFORGE_NO_IFMA").is_none()
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512ifma")
    })
}

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

/// x mod p for x < 2^256 given as limbs, as a field element's canonical integer.
fn reduce(mut x: BigInt<4>) -> BigInt<4> {
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
fn splat_int(x: &[u64; 4]) -> F8 {
    to52(x).map(|w| splat(w))
}

/// Constants of the arithmetic, built once per batch.
struct Ctx {
    p: F8,
    p2: F8,
    pinv: __m512i,
    mask: __m512i,
    /// 2^264 mod p: ark's Montgomery form (R = 2^256) times this is ours (R = 2^260).
    to_ours: F8,
    /// 2^256 mod p: ours times this is ark's.
    to_ark: F8,
    /// 2^520 mod p: an inverse computed by ark on our integer, times this, is ours.
    inv_fix: Fq,
    /// The endomorphism's β, in our form.
    beta: F8,
    /// 1 in our form.
    one: F8,
}

impl Ctx {
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn new() -> Ctx {
        let p = Fq::MODULUS;
        let p52 = to52(&p.0);
        // −p⁻¹ mod 2^52 by Newton's iteration.
        let mut inv: u64 = 1;
        for _ in 0..7 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(p52[0].wrapping_mul(inv)));
        }
        let mut two_p = p;
        ark_ff::BigInteger::mul2(&mut two_p);
        let mut c = Ctx {
            p: p52.map(|w| splat(w)),
            p2: splat_int(&two_p.0),
            pinv: splat(inv.wrapping_neg() & MASK),
            mask: splat(MASK),
            to_ours: splat_int(&pow2(264).0),
            to_ark: splat_int(&pow2(256).0),
            inv_fix: Fq::from_bigint(pow2(520)).expect("reduced"),
            beta: [splat(0); LIMBS],
            one: splat_int(&pow2(260).0),
        };
        c.beta = c.load_ark(&[<g1::Config as GLVConfig>::ENDO_COEFFS[0]; LANES]);
        c
    }

    /// a·b·2^−260 mod p, for a, b ≤ 2p; the result is ≤ 2p.
    #[inline]
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn mul(&self, a: &F8, b: &F8) -> F8 {
        let z = _mm512_setzero_si512();
        let mut t = [z; LIMBS + 1];
        for bi in b {
            for j in 0..LIMBS {
                t[j] = _mm512_madd52lo_epu64(t[j], a[j], *bi);
                t[j + 1] = _mm512_madd52hi_epu64(t[j + 1], a[j], *bi);
            }
            let m = _mm512_madd52lo_epu64(z, t[0], self.pinv);
            for j in 0..LIMBS {
                t[j] = _mm512_madd52lo_epu64(t[j], m, self.p[j]);
                t[j + 1] = _mm512_madd52hi_epu64(t[j + 1], m, self.p[j]);
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
        self.carry(r)
    }

    /// Propagates carries (and borrows) so every limb is in [0, 2^52); the value must be ≥ 0.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn carry(&self, mut a: F8) -> F8 {
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
    fn sub_2p(&self, a: F8) -> F8 {
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
        r
    }

    /// a + b.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn add(&self, a: &F8, b: &F8) -> F8 {
        let mut s = *a;
        for j in 0..LIMBS {
            s[j] = _mm512_add_epi64(a[j], b[j]);
        }
        self.sub_2p(self.carry(s))
    }

    /// a − b.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn sub(&self, a: &F8, b: &F8) -> F8 {
        let mut s = *a;
        for j in 0..LIMBS {
            s[j] = _mm512_add_epi64(_mm512_sub_epi64(a[j], b[j]), self.p2[j]);
        }
        self.sub_2p(self.carry(s))
    }

    /// −a.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn neg(&self, a: &F8) -> F8 {
        let mut s = *a;
        for j in 0..LIMBS {
            s[j] = _mm512_sub_epi64(self.p2[j], a[j]);
        }
        self.carry(s)
    }

    /// Eight arkworks elements in our form.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn load_ark(&self, v: &[Fq; LANES]) -> F8 {
        let mut limbs = [[0u64; LANES]; LIMBS];
        for (l, x) in v.iter().enumerate() {
            for (j, w) in to52(&x.0 .0).into_iter().enumerate() {
                limbs[j][l] = w;
            }
        }
        let a = limbs.map(|row| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) });
        self.mul(&a, &self.to_ours)
    }

    /// The eight lanes as integers below 2p.
    #[target_feature(enable = "avx512f")]
    fn lanes(&self, a: &F8) -> [BigInt<4>; LANES] {
        let mut limbs = [[0u64; LANES]; LIMBS];
        for (row, v) in limbs.iter_mut().zip(a) {
            unsafe { _mm512_storeu_si512(row.as_mut_ptr().cast(), *v) };
        }
        std::array::from_fn(|l| BigInt(from52(&std::array::from_fn(|j| limbs[j][l]))))
    }

    /// Our eight elements as arkworks elements.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn store_ark(&self, a: &F8) -> [Fq; LANES] {
        self.lanes(&self.mul(a, &self.to_ark)).map(|x| Fq::new_unchecked(reduce(x)))
    }

    /// Lane-wise inverses, or `None` if some lane is zero.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn invert(&self, a: &F8) -> Option<F8> {
        // Our integer for x is X = x·2^260; ark inverts X as a field element, giving
        // x⁻¹·2^−260, and 2^520 turns that into x⁻¹·2^260, our integer for x⁻¹.
        let mut v = self.lanes(a).map(|x| Fq::from_bigint(reduce(x)).expect("reduced"));
        if v.iter().any(|x| x.is_zero()) {
            return None;
        }
        ark_ff::batch_inversion_and_mul(&mut v, &self.inv_fix);
        let mut limbs = [[0u64; LANES]; LIMBS];
        for (l, x) in v.iter().enumerate() {
            for (j, w) in to52(&x.into_bigint().0).into_iter().enumerate() {
                limbs[j][l] = w;
            }
        }
        Some(limbs.map(|row| unsafe { _mm512_loadu_si512(row.as_ptr().cast()) }))
    }
}

/// Affine points of a batch, eight per vector.
#[derive(Clone)]
struct Batch8 {
    x: Vec<F8>,
    y: Vec<F8>,
}

/// v[i] ← 1 / v[i] lane-wise with one (eight-lane) inversion; false if some lane is zero.
#[target_feature(enable = "avx512f,avx512ifma")]
fn batch_invert(c: &Ctx, v: &mut [F8], scratch: &mut Vec<F8>) -> bool {
    scratch.clear();
    let mut acc = c.one;
    for x in v.iter() {
        scratch.push(acc);
        acc = c.mul(&acc, x);
    }
    let Some(mut inv) = c.invert(&acc) else {
        return false;
    };
    for (x, pre) in v.iter_mut().zip(scratch.iter()).rev() {
        let t = c.mul(&inv, x);
        *x = c.mul(&inv, pre);
        inv = t;
    }
    true
}

/// acc ← 2·acc; false when some y is zero.
#[target_feature(enable = "avx512f,avx512ifma")]
fn double_all(c: &Ctx, acc: &mut Batch8, den: &mut Vec<F8>, scratch: &mut Vec<F8>) -> bool {
    den.clear();
    den.extend(acc.y.iter().map(|y| c.add(y, y)));
    if !batch_invert(c, den, scratch) {
        return false;
    }
    for ((x, y), inv) in acc.x.iter_mut().zip(acc.y.iter_mut()).zip(den.iter()) {
        let xx = c.mul(x, x);
        let l = c.mul(&c.add(&c.add(&xx, &xx), &xx), inv);
        let x3 = c.sub(&c.mul(&l, &l), &c.add(x, x));
        *y = c.sub(&c.mul(&l, &c.sub(x, &x3)), y);
        *x = x3;
    }
    true
}

/// acc ← acc ± t; false when some pair shares its x.
#[target_feature(enable = "avx512f,avx512ifma")]
fn add_all(c: &Ctx, acc: &mut Batch8, t: &Batch8, neg: bool, den: &mut Vec<F8>, scratch: &mut Vec<F8>) -> bool {
    den.clear();
    den.extend(acc.x.iter().zip(&t.x).map(|(x1, x2)| c.sub(x2, x1)));
    if !batch_invert(c, den, scratch) {
        return false;
    }
    for (i, inv) in den.iter().enumerate() {
        let (x1, y1) = (acc.x[i], acc.y[i]);
        let y2 = if neg { c.neg(&t.y[i]) } else { t.y[i] };
        let l = c.mul(&c.sub(&y2, &y1), inv);
        let x3 = c.sub(&c.sub(&c.mul(&l, &l), &x1), &t.x[i]);
        acc.y[i] = c.sub(&c.mul(&l, &c.sub(&x1, &x3)), &y1);
        acc.x[i] = x3;
    }
    true
}

/// acc ← ±t.
#[target_feature(enable = "avx512f,avx512ifma")]
fn copy_from(c: &Ctx, acc: &mut Batch8, t: &Batch8, neg: bool) {
    acc.x.copy_from_slice(&t.x);
    if neg {
        for (a, b) in acc.y.iter_mut().zip(&t.y) {
            *a = c.neg(b);
        }
    } else {
        acc.y.copy_from_slice(&t.y);
    }
}

/// Runs the schedule on non-identity points in place; false (points unchanged) if a step met
/// an exceptional case, impossible for points of the prime-order subgroup.
#[target_feature(enable = "avx512f,avx512ifma")]
fn run(s: &Schedule, pts: &mut [G1Affine]) -> bool {
    if pts.is_empty() {
        return true;
    }
    let c = Ctx::new();
    // Pad to whole vectors with copies of the first point; lanes never interact.
    let vectors = pts.len().div_ceil(LANES);
    let lane = |i: usize| pts.get(i).unwrap_or(&pts[0]);
    let mut base = Batch8 { x: Vec::with_capacity(vectors), y: Vec::with_capacity(vectors) };
    for v in 0..vectors {
        let p: [&G1Affine; LANES] = std::array::from_fn(|l| lane(v * LANES + l));
        base.x.push(c.load_ark(&p.map(|p| p.x)));
        base.y.push(c.load_ark(&p.map(|p| p.y)));
    }
    let (mut den, mut scratch) = (Vec::with_capacity(vectors), Vec::with_capacity(vectors));
    let mut two = base.clone();
    let mut ok = double_all(&c, &mut two, &mut den, &mut scratch);
    let mut t0 = Vec::with_capacity(TABLE);
    t0.push(base);
    for j in 1..TABLE {
        let mut next = t0[j - 1].clone();
        ok &= add_all(&c, &mut next, &two, false, &mut den, &mut scratch);
        t0.push(next);
    }
    let t1: Vec<Batch8> =
        t0.iter().map(|t| Batch8 { x: t.x.iter().map(|x| c.mul(x, &c.beta)).collect(), y: t.y.clone() }).collect();
    let tables = [t0, t1];
    let mut acc = tables[0][0].clone();
    for op in s.ops() {
        match *op {
            Op::Init { base, idx, neg } => copy_from(&c, &mut acc, &tables[base as usize][idx as usize], neg),
            Op::Double => ok &= double_all(&c, &mut acc, &mut den, &mut scratch),
            Op::Add { base, idx, neg } => {
                ok &= add_all(&c, &mut acc, &tables[base as usize][idx as usize], neg, &mut den, &mut scratch)
            }
        }
        if !ok {
            return false;
        }
    }
    for (v, (x, y)) in acc.x.iter().zip(&acc.y).enumerate() {
        let (xs, ys) = (c.store_ark(x), c.store_ark(y));
        for l in 0..LANES {
            if let Some(p) = pts.get_mut(v * LANES + l) {
                *p = G1Affine::new_unchecked(xs[l], ys[l]);
            }
        }
    }
    true
}

/// Runs the schedule on a batch of non-identity G1 points in place, as `run_batch` does;
/// false (points unchanged) on an exceptional case. Callers check [`available`] first.
pub fn run_batch(s: &Schedule, pts: &mut [G1Affine]) -> bool {
    assert!(available(), "the IFMA path needs avx512f and avx512ifma");
    // SAFETY: `available` checked that the CPU has the target features `run` is compiled for.
    unsafe { run(s, pts) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn field_ops_match_arkworks() {
        if !available() {
            eprintln!("no avx512ifma on this CPU: the IFMA field test has nothing to check");
            return;
        }
        let mut rng = ark_std::test_rng();
        let mut vals: Vec<Fq> = (0..64).map(|_| Fq::rand(&mut rng)).collect();
        vals.extend([Fq::zero(), Fq::from(1u64), -Fq::from(1u64), -Fq::from(2u64), Fq::from(2u64)]);
        vals.extend([Fq::zero(); 3]);
        unsafe {
            let c = Ctx::new();
            for w in vals.chunks_exact(LANES).collect::<Vec<_>>().windows(2) {
                let a: [Fq; LANES] = w[0].try_into().unwrap();
                let b: [Fq; LANES] = w[1].try_into().unwrap();
                let (x, y) = (c.load_ark(&a), c.load_ark(&b));
                let want = |f: &dyn Fn(Fq, Fq) -> Fq| -> [Fq; LANES] { std::array::from_fn(|l| f(a[l], b[l])) };
                assert_eq!(c.store_ark(&x), a);
                assert_eq!(c.store_ark(&c.mul(&x, &y)), want(&|a, b| a * b));
                assert_eq!(c.store_ark(&c.add(&x, &y)), want(&|a, b| a + b));
                assert_eq!(c.store_ark(&c.sub(&x, &y)), want(&|a, b| a - b));
                assert_eq!(c.store_ark(&c.neg(&x)), want(&|a, _| -a));
                // Values at the top of the range: 2p is allowed and must still multiply right.
                let top = c.neg(&c.sub(&x, &x));
                assert_eq!(c.store_ark(&c.mul(&top, &y)), [Fq::zero(); LANES]);
                assert_eq!(c.store_ark(&c.sub(&top, &y)), want(&|_, b| -b));
                match c.invert(&x) {
                    Some(inv) => assert_eq!(c.store_ark(&inv), a.map(|a| a.inverse().unwrap())),
                    None => assert!(a.iter().any(|a| a.is_zero())),
                }
            }
        }
    }
}

//! The circuit hash (csHash) of `zkey new`, with snarkjs 0.7.6's quirks (reference §4.4): H is
//! hashed from ptau section 2 as τ^i(τ^d − 1)·g1, d points instead of d − 1 once d ≥ 2^15, and a
//! point read past the end of section 2 (with wasm's unreduced arithmetic) when d = 2^P.

use ark_bn254::{Fq, G1Affine, G1Projective, G2Affine};
use ark_ec::CurveGroup;
use ark_ff::{BigInteger, Field, PrimeField};
use blake2::{Blake2b512, Digest};
use num_bigint::BigUint;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::format::points::{g1_from_lem, g1_to_u, g2_to_u};
use crate::format::ptau::{section, Ptau};

/// snarkjs hashes H points in chunks of this many.
const CHUNK: u64 = 1 << 14;

/// The number of H points snarkjs hashes for domain `d` (the prefix still says d − 1).
pub fn hashed_h_points(d: u64) -> u64 {
    let n = (d - 1).min(CHUNK);
    let mut total = 0;
    let mut off = 0;
    while off < d - 1 {
        total += n;
        off += CHUNK;
    }
    total
}

/// The U encodings of the H points hashed into csHash, read from ptau section 2.
pub fn h_hash_points(ptau: &Ptau, d: u64) -> Result<Vec<[u8; 64]>> {
    let count = hashed_h_points(d);
    let sec2 = ptau.file.section(section::TAU_G1)?;
    let avail = sec2.size / 64;
    // Genuine points of section 2 needed: indices 0..count+d, capped at the section's end.
    let want = (count + d).min(avail);
    let raw = ptau.points_raw(section::TAU_G1, 0, want)?;
    let at = ptau.file.location().section(section::TAU_G1);
    let pts = raw
        .par_chunks(64)
        .enumerate()
        .map(|(i, b)| g1_from_lem(b).map_err(|fault| Error::BadPoint { at: at.index(i as u64), fault }))
        .collect::<Result<Vec<G1Affine>>>()?;
    let genuine = count.min(want.saturating_sub(d));
    let diffs: Vec<G1Projective> =
        (0..genuine as usize).into_par_iter().map(|i| G1Projective::from(pts[i + d as usize]) - pts[i]).collect();
    let mut out: Vec<[u8; 64]> = G1Projective::normalize_batch(&diffs).par_iter().map(g1_to_u).collect();
    for i in genuine..count {
        // Past the end of section 2: snarkjs reads whatever bytes follow it in the file.
        let off = sec2.offset + (i + d) * 64;
        if off + 64 > ptau.file.len {
            return Err(Error::malformed(at.clone(), "the circuit hash reads past the end of the file"));
        }
        let mut garbage = [0u8; 64];
        ptau.file.read_raw(off, &mut garbage)?;
        out.push(wasm_sub_affine_u(&garbage, &pts[i as usize]));
    }
    Ok(out)
}

/// Everything csHash covers, in hashing order.
pub struct CsHashInput<'a> {
    /// alpha·g1 from the ptau.
    pub alpha1: &'a G1Affine,
    /// beta·g1 from the ptau.
    pub beta1: &'a G1Affine,
    /// beta·g2 from the ptau.
    pub beta2: &'a G2Affine,
    /// IC points.
    pub ic: &'a [G1Affine],
    /// Domain size.
    pub domain: u64,
    /// The H points as hashed (see [`h_hash_points`]).
    pub h_u: &'a [[u8; 64]],
    /// C points.
    pub c: &'a [G1Affine],
    /// A points.
    pub a: &'a [G1Affine],
    /// B1 points.
    pub b1: &'a [G1Affine],
    /// B2 points.
    pub b2: &'a [G2Affine],
}

/// Computes csHash.
pub fn cs_hash(x: &CsHashInput) -> [u8; 64] {
    let g1 = G1Affine::new_unchecked(Fq::from(1u64), Fq::from(2u64));
    let g2 = ark_bn254::G2Affine::new_unchecked(ark_bn254::g2::G2_GENERATOR_X, ark_bn254::g2::G2_GENERATOR_Y);
    let mut h = Blake2b512::new();
    h.update(g1_to_u(x.alpha1));
    h.update(g1_to_u(x.beta1));
    h.update(g2_to_u(x.beta2));
    h.update(g2_to_u(&g2));
    h.update(g1_to_u(&g1));
    h.update(g2_to_u(&g2));
    let g1_list = |h: &mut Blake2b512, pts: &[G1Affine]| {
        h.update((pts.len() as u32).to_be_bytes());
        for u in pts.par_iter().map(g1_to_u).collect::<Vec<_>>() {
            h.update(u);
        }
    };
    g1_list(&mut h, x.ic);
    h.update(((x.domain - 1) as u32).to_be_bytes());
    for u in x.h_u {
        h.update(u);
    }
    g1_list(&mut h, x.c);
    g1_list(&mut h, x.a);
    g1_list(&mut h, x.b1);
    h.update((x.b2.len() as u32).to_be_bytes());
    for u in x.b2.par_iter().map(g2_to_u).collect::<Vec<_>>() {
        h.update(u);
    }
    h.finalize().into()
}

/// wasmcurves' raw 256-bit Montgomery arithmetic, correct only for reduced inputs.
struct Wasm {
    q: BigUint,
    two256: BigUint,
    qinv_neg: BigUint,
}

impl Wasm {
    fn new() -> Wasm {
        let q = BigUint::from_bytes_le(&Fq::MODULUS.to_bytes_le());
        let two256 = BigUint::from(1u8) << 256;
        // −q^{-1} mod 2^256 by Newton iteration on odd q.
        let mut inv = BigUint::from(1u8);
        for _ in 0..9 {
            let t = (&q * &inv) % &two256;
            inv = (&inv * ((BigUint::from(2u8) + &two256 - t) % &two256)) % &two256;
        }
        let qinv_neg = (&two256 - inv) % &two256;
        Wasm { q, two256, qinv_neg }
    }
    fn add(&self, x: &BigUint, y: &BigUint) -> BigUint {
        let s = x + y;
        if s >= self.two256 {
            (s - &self.two256 + &self.two256 - &self.q) % &self.two256
        } else if s >= self.q {
            s - &self.q
        } else {
            s
        }
    }
    fn sub(&self, x: &BigUint, y: &BigUint) -> BigUint {
        if x >= y {
            x - y
        } else {
            (x + &self.two256 + &self.q - y) % &self.two256
        }
    }
    fn mul(&self, x: &BigUint, y: &BigUint) -> BigUint {
        let xy = x * y;
        let m = ((&xy % &self.two256) * &self.qinv_neg) % &self.two256;
        let t = (xy + m * &self.q) >> 256;
        let r = &t % &self.two256;
        let carry = &t >> 256;
        if carry > BigUint::from(0u8) {
            (r + &self.two256 - &self.q) % &self.two256
        } else if r >= self.q {
            r - &self.q
        } else {
            r
        }
    }
}

/// U(garbage − p) as wasmcurves computes it for a garbage LEM "point" (reference §4.4).
fn wasm_sub_affine_u(garbage: &[u8; 64], p: &G1Affine) -> [u8; 64] {
    let w = Wasm::new();
    let le = |b: &[u8]| BigUint::from_bytes_le(b);
    let x1 = le(&garbage[0..32]);
    let y1 = le(&garbage[32..64]);
    let x2 = BigUint::from_bytes_le(&p.x.0.to_bytes_le());
    let y2raw = BigUint::from_bytes_le(&p.y.0.to_bytes_le());
    let zero = BigUint::from(0u8);
    let y2 = w.sub(&zero, &y2raw);
    let h = w.sub(&x2, &x1);
    let s = w.sub(&y2, &y1);
    let hh = w.mul(&h, &h);
    let i = w.add(&hh, &hh);
    let i = w.add(&i, &i);
    let j = w.mul(&h, &i);
    let rr = w.add(&s, &s);
    let v = w.mul(&x1, &i);
    let r2 = w.mul(&rr, &rr);
    let v2 = w.add(&v, &v);
    let x3 = w.sub(&w.sub(&r2, &j), &v2);
    let yj = w.mul(&y1, &j);
    let yj = w.add(&yj, &yj);
    let y3 = w.sub(&w.mul(&w.sub(&v, &x3), &rr), &yj);
    let z3 = w.add(&h, &h);
    // Values are Montgomery representations: value = X · 2^-256 mod q.
    let rinv = Fq::from(2u64).pow([256u64]).inverse().unwrap_or_default();
    let val = |x: &BigUint| Fq::from_le_bytes_mod_order(&x.to_bytes_le()) * rinv;
    let (x3, y3, z3) = (val(&x3), val(&y3), val(&z3));
    let zinv = z3.inverse().unwrap_or_default();
    let zinv2 = zinv.square();
    let x = x3 * zinv2;
    let y = y3 * zinv2 * zinv;
    g1_to_u(&G1Affine::new_unchecked(x, y))
}

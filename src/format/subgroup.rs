//! G2 subgroup membership for many points at once: P is in the prime-order subgroup iff
//! [x+1]P + ψ([x]P) + ψ²([x]P) = ψ³([2x]P) with x the 63-bit BN parameter (eprint 2022/348,
//! the test gnark-crypto uses), half the doublings of arkworks' ψ(P) = [6x²]P. The
//! multiplication by the fixed x runs on whole batches in affine coordinates.

use std::sync::OnceLock;

use ark_bn254::{Fq, Fq2, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, Field, PrimeField};
use rayon::prelude::*;

use crate::batch_affine::{add_all, copy_from, double_all, Batch};

/// BN254's curve parameter x.
const X: u64 = 4965661367192848881;
/// Points checked together.
const BATCH: usize = 256;

/// ψ's coefficients (u+9)^((q−1)/3) and (u+9)^((q−1)/2).
fn psi_coeffs() -> &'static (Fq2, Fq2) {
    static C: OnceLock<(Fq2, Fq2)> = OnceLock::new();
    C.get_or_init(|| {
        let xi = Fq2::new(Fq::from(9u64), Fq::from(1u64));
        let mut qm1 = Fq::MODULUS;
        qm1.sub_with_borrow(&ark_ff::BigInt::from(1u64));
        let third = {
            let mut t = qm1;
            // (q − 1)/3 by long division on the limbs (q ≡ 1 mod 3).
            let mut rem = 0u128;
            for limb in t.0.iter_mut().rev() {
                let cur = (rem << 64) | *limb as u128;
                *limb = (cur / 3) as u64;
                rem = cur % 3;
            }
            t
        };
        let half = qm1 >> 1;
        (xi.pow(third), xi.pow(half))
    })
}

/// ψ(P): the untwist-Frobenius-twist endomorphism.
fn psi(p: &G2Affine) -> G2Affine {
    let (cx, cy) = psi_coeffs();
    let mut x = p.x;
    let mut y = p.y;
    x.frobenius_map_in_place(1);
    y.frobenius_map_in_place(1);
    G2Affine::new_unchecked(x * cx, y * cy)
}

/// The wNAF digits (width 3: ±1, ±3) of x.
fn digits() -> &'static Vec<i64> {
    static D: OnceLock<Vec<i64>> = OnceLock::new();
    D.get_or_init(|| ark_ff::BigInt::<1>::new([X]).find_wnaf(3).unwrap_or_default())
}

/// [x]P for a batch of non-identity points; `None` when a step meets an exceptional case.
fn mul_batch(pts: &[G2Affine]) -> Option<Batch<Fq2>> {
    let n = pts.len();
    let mut den = Vec::with_capacity(n);
    let mut scratch = Vec::with_capacity(n);
    let base = Batch { x: pts.iter().map(|p| p.x).collect(), y: pts.iter().map(|p| p.y).collect() };
    let mut two = Batch { x: base.x.clone(), y: base.y.clone() };
    if !double_all(&mut two, &mut den, &mut scratch) {
        return None;
    }
    let mut three = Batch { x: base.x.clone(), y: base.y.clone() };
    if !add_all(&mut three, &two, false, &mut den, &mut scratch) {
        return None;
    }
    let table = [base, three];
    let d = digits();
    let mut acc = Batch { x: vec![Fq2::default(); n], y: vec![Fq2::default(); n] };
    let mut started = false;
    for &digit in d.iter().rev() {
        if started && !double_all(&mut acc, &mut den, &mut scratch) {
            return None;
        }
        if digit != 0 {
            let t = &table[(digit.unsigned_abs() / 2) as usize];
            if started {
                if !add_all(&mut acc, t, digit < 0, &mut den, &mut scratch) {
                    return None;
                }
            } else {
                copy_from(&mut acc, t, digit < 0);
                started = true;
            }
        }
    }
    Some(acc)
}

/// For each point (already on the curve): is it in the prime-order subgroup?
pub fn g2_in_subgroup_many(pts: &[G2Affine]) -> Vec<bool> {
    pts.par_chunks(BATCH)
        .flat_map_iter(|chunk| {
            let live: Vec<G2Affine> = chunk.iter().copied().filter(|p| !p.is_zero()).collect();
            let muls = if live.is_empty() { None } else { mul_batch(&live) };
            let mut li = 0;
            let mut out = Vec::with_capacity(chunk.len());
            for p in chunk {
                if p.is_zero() {
                    out.push(true);
                    continue;
                }
                let ok = match &muls {
                    Some(m) => {
                        let xp = G2Affine::new_unchecked(m.x[li], m.y[li]);
                        let psi1 = psi(&xp);
                        let psi2 = psi(&psi1);
                        let lhs = G2Projective::from(xp) + p + psi1 + psi2;
                        let two_xp = (G2Projective::from(xp) + xp).into_affine();
                        lhs == G2Projective::from(psi(&psi(&psi(&two_xp))))
                    }
                    None => p.is_in_correct_subgroup_assuming_on_curve(),
                };
                li += 1;
                out.push(ok);
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::g2::Config;
    use ark_ec::short_weierstrass::SWCurveConfig;
    use ark_ff::UniformRand;

    /// A point on the twist that is not in the prime-order subgroup.
    fn outside(seed: u64) -> G2Affine {
        let mut x = Fq2::new(Fq::from(seed), Fq::from(7u64));
        loop {
            let rhs = x * x * x + Config::COEFF_B;
            if let Some(y) = rhs.sqrt() {
                let p = G2Affine::new_unchecked(x, y);
                if p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve() {
                    return p;
                }
            }
            x += Fq2::from(1u64);
        }
    }

    #[test]
    fn agrees_with_arkworks() {
        let mut rng = ark_std::test_rng();
        let mut pts: Vec<G2Affine> = (0..600).map(|_| G2Affine::rand(&mut rng)).collect();
        pts[3] = G2Affine::identity();
        pts[10] = outside(1);
        pts[400] = outside(2);
        pts[401] = pts[400];
        let got = g2_in_subgroup_many(&pts);
        for (i, p) in pts.iter().enumerate() {
            assert_eq!(got[i], p.is_in_correct_subgroup_assuming_on_curve(), "point {i}");
        }
        assert!(!got[10] && !got[400] && got[3] && got[0]);
    }
}

//! G2 subgroup membership for many points at once: P is in the prime-order subgroup iff
//! [x+1]P + ψ([x]P) + ψ²([x]P) = ψ³([2x]P) with x the 63-bit BN parameter (eprint 2022/348,
//! the test gnark-crypto uses), half the doublings of arkworks' ψ(P) = [6x²]P. The
//! multiplication by the fixed x runs on whole batches through the fixed-scalar engine.

use std::sync::OnceLock;

use ark_bn254::{Fq, Fq2, G2Affine, G2Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInteger, Field, PrimeField};
use rayon::prelude::*;

use crate::backend::fixed_scalar::{run_schedule, Schedule};

/// BN254's curve parameter x.
const X: u64 = 4965661367192848881;
/// Points checked together, at most: large batches amortise the shared inversion of each step,
/// but every thread should get one.
const BATCH: usize = 2048;

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

/// [x]P for a batch of non-identity points (any points of the curve, through the shared
/// fixed-scalar engine); `None` when a step meets an exceptional case.
fn mul_batch(pts: &[G2Affine]) -> Option<Vec<G2Affine>> {
    static S: OnceLock<Schedule> = OnceLock::new();
    let s = S.get_or_init(|| Schedule::plain(X));
    let mut out = pts.to_vec();
    run_schedule(s, &mut out).then_some(out)
}

/// Random combinations in [`g2_first_outside`].
const COMBINATIONS: usize = 5;
/// Below this many points, the points are checked one by one.
const COMBINE_FROM: usize = 64;

/// The index of the first point (all already on the curve) outside the prime-order subgroup.
///
/// Many points are first tested together: E'(Fq2) is G2 ⊕ E'[h] (r does not divide the
/// cofactor h), and a combination Σ s_j·P_j with s_j uniform in [0, 2^16) lands in G2 while
/// some P_j has a torsion part only with probability ≤ 7/2^16 (at most ⌈2^16/q⌉ of the 2^16
/// values of one s_j make it vanish for a prime q dividing that part's order; q ≥ 10069, the
/// smallest prime factor of h). Five independent combinations, each checked for membership,
/// all pass with probability < 2^−65. Only if one fails are the points checked one by one,
/// to name the first bad one.
pub fn g2_first_outside(pts: &[G2Affine]) -> Option<usize> {
    if pts.len() >= COMBINE_FROM {
        if let Ok(mut rng) = crate::crypto::entropy::random_rng(b"g2 subgroup combinations") {
            let all_in = (0..COMBINATIONS).all(|_| {
                let s: Vec<ark_bn254::Fr> =
                    (0..pts.len()).map(|_| ark_bn254::Fr::from(rng.next_u32() & 0xffff)).collect();
                crate::backend::cpu::msm_affine(pts, &s).into_affine().is_in_correct_subgroup_assuming_on_curve()
            });
            if all_in {
                return None;
            }
        }
    }
    g2_in_subgroup_many(pts).iter().position(|ok| !ok)
}

/// For each point (already on the curve): is it in the prime-order subgroup?
pub fn g2_in_subgroup_many(pts: &[G2Affine]) -> Vec<bool> {
    pts.par_chunks((pts.len() / rayon::current_num_threads().max(1)).clamp(64, BATCH))
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
                        // ψ is a homomorphism: ψ³([2x]P) = 2·ψ³([x]P); no inversions.
                        let xp = m[li];
                        let psi1 = psi(&xp);
                        let psi2 = psi(&psi1);
                        let lhs = G2Projective::from(xp) + p + psi1 + psi2;
                        lhs == G2Projective::from(psi(&psi2)).double()
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
    use ark_ec::PrimeGroup;
    use ark_ff::UniformRand;
    use ark_ff::Zero;

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

    /// A point of order 10069 (the smallest prime factor of the cofactor): (r·h/10069)·Q.
    fn small_order_point(q: G2Affine) -> G2Projective {
        let mut quot = <Config as ark_ec::CurveConfig>::COFACTOR.to_vec();
        let mut rem = 0u128;
        for limb in quot.iter_mut().rev() {
            let cur = (rem << 64) | *limb as u128;
            *limb = (cur / 10069) as u64;
            rem = cur % 10069;
        }
        assert_eq!(rem, 0, "10069 divides the cofactor");
        let t = G2Projective::from(q).mul_bigint(ark_bn254::Fr::MODULUS).mul_bigint(&quot);
        assert!(!t.is_zero() && t.mul_bigint([10069u64]).is_zero());
        t
    }

    #[test]
    fn combined_test_finds_one_bad_point_among_many() {
        let mut rng = ark_std::test_rng();
        let mut pts: Vec<G2Affine> = (0..300).map(|_| G2Affine::rand(&mut rng)).collect();
        pts[17] = G2Affine::identity();
        assert_eq!(g2_first_outside(&pts), None);
        for (seed, at) in [(1u64, 250usize), (2, 0), (3, 299)] {
            let mut bad = pts.clone();
            bad[at] = outside(seed);
            assert_eq!(g2_first_outside(&bad), Some(at), "point {at}");
        }
        // A torsion part of the smallest order, 10069, which one combination misses once in
        // about 10069 tries.
        let small = small_order_point(outside(4));
        let mut bad = pts.clone();
        bad[123] = (G2Projective::from(bad[123]) + small).into_affine();
        assert_eq!(g2_first_outside(&bad), Some(123));
    }
}

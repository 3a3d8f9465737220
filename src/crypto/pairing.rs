//! The pairing check behind every proof of knowledge (snarkjs `sameRatio`).

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::One;

/// snarkjs `sameRatio(a1, b1, a2, b2)`: false if any point is the identity, else whether
/// e(a1, b2) = e(b1, a2), checked as one multi-pairing e(a1, b2)·e(−b1, a2) = 1.
///
/// The points must already be on the curve and in the subgroup (the file readers check this).
pub fn same_ratio(a1: &G1Affine, b1: &G1Affine, a2: &G2Affine, b2: &G2Affine) -> bool {
    if a1.is_zero() || b1.is_zero() || a2.is_zero() || b2.is_zero() {
        return false;
    }
    let neg_b1 = -*b1;
    Bn254::multi_pairing([*a1, neg_b1], [*b2, *a2]).0.is_one()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_ec::CurveGroup;

    #[test]
    fn accepts_equal_ratios_and_rejects_others() {
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let s = Fr::from(123456789u64);
        let g1s = (g1 * s).into_affine();
        let g2s = (g2 * s).into_affine();
        assert!(same_ratio(&g1, &g1s, &g2, &g2s));
        assert!(!same_ratio(&g1s, &g1, &g2, &g2s));
        let g2t = (g2 * (s + Fr::from(1u64))).into_affine();
        assert!(!same_ratio(&g1, &g1s, &g2, &g2t));
        let o1 = G1Affine::identity();
        let o2 = G2Affine::identity();
        assert!(!same_ratio(&o1, &o1, &g2, &g2s));
        assert!(!same_ratio(&g1, &g1s, &o2, &o2));
    }
}

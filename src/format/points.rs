//! G1/G2 point codecs: the files' LEM encoding (affine, little-endian Montgomery) with curve and
//! subgroup checks, and the U encoding (uncompressed big-endian, normal form) used in every hash.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};

use crate::error::PointFault;

/// Bytes of a G1 point in a file (LEM).
pub const G1_LEM: usize = 64;
/// Bytes of a G2 point in a file (LEM).
pub const G2_LEM: usize = 128;

/// The four little-endian u64 limbs of 32 bytes.
#[inline]
fn limbs(b: &[u8]) -> [u64; 4] {
    let mut l = [0u64; 4];
    for (i, limb) in l.iter_mut().enumerate() {
        *limb = u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    }
    l
}

/// An Fq element from its 32-byte LE Montgomery representation; `None` when not reduced.
#[inline]
pub fn fq_from_lem(b: &[u8]) -> Option<Fq> {
    let l = BigInt::new(limbs(b));
    if l >= Fq::MODULUS {
        return None;
    }
    Some(Fq::new_unchecked(l))
}

/// The 32-byte LE Montgomery representation of an Fq element.
#[inline]
pub fn fq_to_lem(x: &Fq, out: &mut [u8]) {
    for (i, limb) in x.0 .0.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
    }
}

/// An Fr element from its 32-byte LE Montgomery representation; `None` when not reduced.
#[inline]
pub fn fr_from_lem(b: &[u8]) -> Option<Fr> {
    let l = BigInt::new(limbs(b));
    if l >= Fr::MODULUS {
        return None;
    }
    Some(Fr::new_unchecked(l))
}

/// The 32-byte LE Montgomery representation of an Fr element.
#[inline]
pub fn fr_to_lem(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, limb) in x.0 .0.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&limb.to_le_bytes());
    }
    out
}

/// An Fr element from 32 LE bytes in normal form; `None` when not reduced.
pub fn fr_from_le_normal(b: &[u8]) -> Option<Fr> {
    Fr::from_bigint(BigInt::new(limbs(b)))
}

/// A G1 point from 64 LEM bytes, checked on the curve (G1 has cofactor 1). All-zero = identity.
pub fn g1_from_lem(b: &[u8]) -> Result<G1Affine, PointFault> {
    let p = g1_from_lem_unchecked(b)?;
    if !p.is_on_curve() {
        return Err(PointFault::NotOnCurve);
    }
    Ok(p)
}

/// A G1 point from 64 LEM bytes with reduced coordinates, not checked on the curve.
pub fn g1_from_lem_unchecked(b: &[u8]) -> Result<G1Affine, PointFault> {
    if b[..G1_LEM].iter().all(|&v| v == 0) {
        return Ok(G1Affine::identity());
    }
    let x = fq_from_lem(&b[0..32]).ok_or(PointFault::CoordinateNotReduced)?;
    let y = fq_from_lem(&b[32..64]).ok_or(PointFault::CoordinateNotReduced)?;
    Ok(G1Affine::new_unchecked(x, y))
}

/// A G2 point from 128 LEM bytes, checked on the curve and in the prime-order subgroup.
pub fn g2_from_lem(b: &[u8]) -> Result<G2Affine, PointFault> {
    let p = g2_from_lem_on_curve(b)?;
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(PointFault::NotInSubgroup);
    }
    Ok(p)
}

/// A G2 point from 128 LEM bytes, checked on the curve only (the caller checks the subgroup,
/// e.g. in bulk with [`crate::format::subgroup::g2_in_subgroup_many`]).
pub fn g2_from_lem_on_curve(b: &[u8]) -> Result<G2Affine, PointFault> {
    if b[..G2_LEM].iter().all(|&v| v == 0) {
        return Ok(G2Affine::identity());
    }
    let c = |o: usize| fq_from_lem(&b[o..o + 32]).ok_or(PointFault::CoordinateNotReduced);
    let x = Fq2::new(c(0)?, c(32)?);
    let y = Fq2::new(c(64)?, c(96)?);
    let p = G2Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointFault::NotOnCurve);
    }
    Ok(p)
}

/// The 64 LEM bytes of a G1 point (identity = zeros).
pub fn g1_to_lem(p: &G1Affine) -> [u8; G1_LEM] {
    let mut out = [0u8; G1_LEM];
    if !p.infinity {
        fq_to_lem(&p.x, &mut out[0..32]);
        fq_to_lem(&p.y, &mut out[32..64]);
    }
    out
}

/// The 128 LEM bytes of a G2 point (identity = zeros).
pub fn g2_to_lem(p: &G2Affine) -> [u8; G2_LEM] {
    let mut out = [0u8; G2_LEM];
    if !p.infinity {
        fq_to_lem(&p.x.c0, &mut out[0..32]);
        fq_to_lem(&p.x.c1, &mut out[32..64]);
        fq_to_lem(&p.y.c0, &mut out[64..96]);
        fq_to_lem(&p.y.c1, &mut out[96..128]);
    }
    out
}

/// The LEM bytes of many G1 points, in order.
pub fn g1s_to_lem(pts: &[G1Affine]) -> Vec<u8> {
    use rayon::prelude::*;
    pts.par_iter().flat_map_iter(g1_to_lem).collect()
}

/// The LEM bytes of many G2 points, in order.
pub fn g2s_to_lem(pts: &[G2Affine]) -> Vec<u8> {
    use rayon::prelude::*;
    pts.par_iter().flat_map_iter(g2_to_lem).collect()
}

/// 32 big-endian bytes of an Fq element in normal form.
#[inline]
pub fn fq_to_be(x: &Fq, out: &mut [u8]) {
    out[..32].copy_from_slice(&x.into_bigint().to_bytes_be());
}

/// The U encoding of a G1 point: x ‖ y big-endian normal form; identity = 64 zero bytes.
pub fn g1_to_u(p: &G1Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if !p.infinity {
        fq_to_be(&p.x, &mut out[0..32]);
        fq_to_be(&p.y, &mut out[32..64]);
    }
    out
}

/// The U encoding of a G2 point: x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0 big-endian; identity = 128 zero bytes.
pub fn g2_to_u(p: &G2Affine) -> [u8; 128] {
    let mut out = [0u8; 128];
    if !p.infinity {
        fq_to_be(&p.x.c1, &mut out[0..32]);
        fq_to_be(&p.x.c0, &mut out[32..64]);
        fq_to_be(&p.y.c1, &mut out[64..96]);
        fq_to_be(&p.y.c0, &mut out[96..128]);
    }
    out
}

/// The U encoding as ffjavascript's `toRprUncompressed` writes it: the identity is flagged 0x40.
pub fn g1_to_u_flagged(p: &G1Affine) -> [u8; 64] {
    let mut out = g1_to_u(p);
    if p.infinity {
        out[0] = 0x40;
    }
    out
}

/// The G2 U encoding with the identity flagged 0x40, as for [`g1_to_u_flagged`].
pub fn g2_to_u_flagged(p: &G2Affine) -> [u8; 128] {
    let mut out = g2_to_u(p);
    if p.infinity {
        out[0] = 0x40;
    }
    out
}

/// The C (compressed) encoding of a G1 point: x big-endian, 0x80 when y is negative, 0x40 for
/// the identity.
pub fn g1_to_c(p: &G1Affine) -> [u8; 32] {
    let mut out = [0u8; 32];
    if p.infinity {
        out[0] = 0x40;
        return out;
    }
    fq_to_be(&p.x, &mut out);
    if fq_is_negative(&p.y) {
        out[0] |= 0x80;
    }
    out
}

/// The C (compressed) encoding of a G2 point: x.c1 ‖ x.c0 big-endian, flags as for G1.
pub fn g2_to_c(p: &G2Affine) -> [u8; 64] {
    let mut out = [0u8; 64];
    if p.infinity {
        out[0] = 0x40;
        return out;
    }
    fq_to_be(&p.x.c1, &mut out[0..32]);
    fq_to_be(&p.x.c0, &mut out[32..64]);
    if fq2_is_negative(&p.y) {
        out[0] |= 0x80;
    }
    out
}

/// An Fq element from 32 big-endian bytes in normal form; `None` when not reduced.
pub fn fq_from_be(b: &[u8]) -> Option<Fq> {
    let mut le = [0u8; 32];
    for (i, v) in b[..32].iter().enumerate() {
        le[31 - i] = *v;
    }
    Fq::from_bigint(BigInt::new(limbs(&le)))
}

/// A G1 point from its U encoding (uncompressed big-endian; all zeros or flag 0x40 = identity).
pub fn g1_from_u(b: &[u8]) -> Result<G1Affine, PointFault> {
    if b[0] & 0x40 != 0 || b[..64].iter().all(|&v| v == 0) {
        return Ok(G1Affine::identity());
    }
    let x = fq_from_be(&b[0..32]).ok_or(PointFault::CoordinateNotReduced)?;
    let y = fq_from_be(&b[32..64]).ok_or(PointFault::CoordinateNotReduced)?;
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(PointFault::NotOnCurve);
    }
    Ok(p)
}

/// A G2 point from its U encoding (x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0), checked on the curve only.
pub fn g2_from_u_on_curve(b: &[u8]) -> Result<G2Affine, PointFault> {
    if b[0] & 0x40 != 0 || b[..128].iter().all(|&v| v == 0) {
        return Ok(G2Affine::identity());
    }
    let c = |o: usize| fq_from_be(&b[o..o + 32]).ok_or(PointFault::CoordinateNotReduced);
    let p = G2Affine::new_unchecked(Fq2::new(c(32)?, c(0)?), Fq2::new(c(96)?, c(64)?));
    if !p.is_on_curve() {
        return Err(PointFault::NotOnCurve);
    }
    Ok(p)
}

/// A G1 point from its C encoding (compressed), on the curve by construction.
pub fn g1_from_c(b: &[u8]) -> Result<G1Affine, PointFault> {
    if b[0] & 0x40 != 0 {
        return Ok(G1Affine::identity());
    }
    let mut xb = [0u8; 32];
    xb.copy_from_slice(&b[..32]);
    xb[0] &= 0x3f;
    let x = fq_from_be(&xb).ok_or(PointFault::CoordinateNotReduced)?;
    let y = (x * x * x + Fq::from(3u64)).sqrt().ok_or(PointFault::NotOnCurve)?;
    let y = if fq_is_negative(&y) == (b[0] & 0x80 != 0) { y } else { -y };
    Ok(G1Affine::new_unchecked(x, y))
}

/// A G2 point from its C encoding (x.c1 ‖ x.c0 compressed), on the curve by construction.
pub fn g2_from_c_on_curve(b: &[u8]) -> Result<G2Affine, PointFault> {
    use ark_ec::short_weierstrass::SWCurveConfig;
    if b[0] & 0x40 != 0 {
        return Ok(G2Affine::identity());
    }
    let mut xb = [0u8; 64];
    xb.copy_from_slice(&b[..64]);
    xb[0] &= 0x3f;
    let c1 = fq_from_be(&xb[0..32]).ok_or(PointFault::CoordinateNotReduced)?;
    let c0 = fq_from_be(&xb[32..64]).ok_or(PointFault::CoordinateNotReduced)?;
    let x = Fq2::new(c0, c1);
    let y = (x * x * x + ark_bn254::g2::Config::COEFF_B).sqrt().ok_or(PointFault::NotOnCurve)?;
    let y = if fq2_is_negative(&y) == (b[0] & 0x80 != 0) { y } else { -y };
    Ok(G2Affine::new_unchecked(x, y))
}

/// Whether an Fq element is "negative" in snarkjs's sense: its normal form exceeds (q-1)/2.
pub fn fq_is_negative(x: &Fq) -> bool {
    let half = Fq::MODULUS_MINUS_ONE_DIV_TWO;
    x.into_bigint() > half
}

/// Whether an Fq2 element is "negative": the sign of c1, or of c0 when c1 is zero.
pub fn fq2_is_negative(x: &Fq2) -> bool {
    if x.c1.is_zero() {
        fq_is_negative(&x.c0)
    } else {
        fq_is_negative(&x.c1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn generators_round_trip_the_reference_encodings() {
        let g1 = G1Affine::generator();
        let lem = g1_to_lem(&g1);
        assert_eq!(
            hex::encode(lem),
            "9d0d8fc58d435dd33d0bc7f528eb780a2c4679786fa36e662fdf079ac1770a0e\
             3a1b1e8b1b87baa67b168eeb51d6f114588cf2f0de46ddcc5ebe0f3483ef141c"
        );
        assert_eq!(g1_from_lem(&lem).unwrap(), g1);
        let g2 = G2Affine::generator();
        let lem2 = g2_to_lem(&g2);
        assert_eq!(
            hex::encode(lem2),
            "2620bc02d1b5838e72017b493519ebdcdf1a81974726b8fb3b5096af41385719\
             40614ca87d73b4afc4d802585add4360862fa052fc50e9096b7bea3a83f0fe14\
             f6e96b889dfa9d61789b9ef597d27ffefe7d1b23621a9eff06429eaeeb7efd28\
             ee5618c7565b0964bb3c7d3222f957dc76103533be35f9558264fd93e6a0a40d"
        );
        assert_eq!(g2_from_lem(&lem2).unwrap(), g2);
        assert_eq!(
            hex::encode(g2_to_u(&g2)),
            "198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2\
             1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed\
             090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b\
             12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"
        );
        let u1 = g1_to_u(&g1);
        assert_eq!(u1[31], 1);
        assert_eq!(u1[63], 2);
    }

    #[test]
    fn rejects_off_curve_and_unreduced() {
        let mut lem = g1_to_lem(&G1Affine::generator());
        lem[40] ^= 1;
        assert_eq!(g1_from_lem(&lem), Err(PointFault::NotOnCurve));
        let lem = [0xffu8; 64];
        assert_eq!(g1_from_lem(&lem), Err(PointFault::CoordinateNotReduced));
        assert!(g1_from_lem(&[0u8; 64]).unwrap().infinity);
    }
}

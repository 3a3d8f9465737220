//! snarkjs `hashToG2` (`src/keypair.js`): a 64-byte Blake2b digest seeds a ChaCha RNG whose first
//! G2 draw is the point. Used for every proof-of-knowledge base point `g2_sp`.

use ark_bn254::G2Affine;

use super::chacha::ChaChaRng;
use super::sample::g2_from_rng;

/// The G2 point snarkjs derives from a 64-byte hash: `G2.fromRng(ChaCha(h[..32] as BE words))`.
pub fn hash_to_g2(h: &[u8; 64]) -> G2Affine {
    let mut rng = ChaChaRng::from_hash(h);
    g2_from_rng(&mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::points::g2_to_lem;

    #[test]
    fn matches_snarkjs_hash_to_g2() {
        // h[i] = 7i + 3 (mod 256); expected LEM printed by snarkjs 0.7.6 keypair.js hashToG2.
        let mut h = [0u8; 64];
        for (i, b) in h.iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        let p = hash_to_g2(&h);
        assert_eq!(
            hex::encode(g2_to_lem(&p)),
            "400a4a3949c432531a3f2a524d190416424778ca2de4cc4888deda61f89cab11\
             bfdfe0f5d7461ca5805d430ae06fdbb61f205d74bbd5dcd412cbaa0c960b3301\
             b101373b3947e43b612c4b42bdd4ad2e70a7eb414138e14fcf0386c97ee9ce11\
             d9bb62f35a7f57dae9693fd00a6bc3addbf3fe1760dbe5b53ab5ebe84118082d"
        );
        // Only the first 32 bytes seed the RNG.
        h[40] ^= 0xff;
        assert_eq!(hash_to_g2(&h), p);
    }
}

//! The phase-1 challenge and response hashes (reference §3.1, §3.3).

use ark_bn254::{G1Affine, G2Affine};
use ark_ec::AffineRepr;
use rayon::prelude::*;

use crate::backend::Group;
use crate::crypto::blake::blake2b;
use crate::crypto::blake2b_state::NobleBlake2b;
use crate::format::points::{g1_from_lem_unchecked, g1_to_c, g1_to_u, g2_from_lem_on_curve, g2_to_c, g2_to_u};

/// Trusted LEM points (already checked, or computed) re-encoded big-endian, compressed or not, as
/// snarkjs hashes them and as challenge and response files hold them.
pub fn encode_points(lem: &[u8], group: Group, compressed: bool) -> Vec<u8> {
    match (group, compressed) {
        (Group::G1, true) => {
            lem.par_chunks(64).flat_map_iter(|b| g1_to_c(&g1_from_lem_unchecked(b).unwrap_or_default())).collect()
        }
        (Group::G1, false) => {
            lem.par_chunks(64).flat_map_iter(|b| g1_to_u(&g1_from_lem_unchecked(b).unwrap_or_default())).collect()
        }
        (Group::G2, true) => {
            lem.par_chunks(128).flat_map_iter(|b| g2_to_c(&g2_from_lem_on_curve(b).unwrap_or_default())).collect()
        }
        (Group::G2, false) => {
            lem.par_chunks(128).flat_map_iter(|b| g2_to_u(&g2_from_lem_on_curve(b).unwrap_or_default())).collect()
        }
    }
}

/// The challenge hash of a fresh ceremony of this power ("First Contribution Hash").
pub fn first_challenge_hash(power: u32) -> [u8; 64] {
    let n = 1usize << power;
    let g1 = g1_to_u(&G1Affine::generator());
    let g2 = g2_to_u(&G2Affine::generator());
    let mut h = NobleBlake2b::new();
    h.update(&blake2b(&[]));
    // Streaming in blocks keeps memory flat; the digest does not depend on the chunking.
    let feed = |h: &mut NobleBlake2b, unit: &[u8], count: usize| {
        let per = (1 << 16) / unit.len();
        let block: Vec<u8> = unit.iter().copied().cycle().take(per * unit.len()).collect();
        let mut left = count;
        while left > 0 {
            let k = left.min(per);
            h.update(&block[..k * unit.len()]);
            left -= k;
        }
    };
    feed(&mut h, &g1, 2 * n - 1);
    feed(&mut h, &g2, n);
    feed(&mut h, &g1, n);
    feed(&mut h, &g1, n);
    feed(&mut h, &g2, 1);
    h.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_challenge_matches_snarkjs() {
        // Reference §3.1 (power 12) and §9.5b (power 10), printed by snarkjs 0.7.6.
        assert!(hex::encode(first_challenge_hash(12)).starts_with("9e63a5f62b96538daaed2372481920d1"));
        assert!(hex::encode(first_challenge_hash(10)).starts_with("95f0b4499e50f8da383b0d74c174c169"));
    }
}

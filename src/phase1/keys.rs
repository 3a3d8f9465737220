//! The phase-1 contribution key: τ, α, β and their proofs of knowledge (snarkjs createPTauKey).

use ark_bn254::{Fr, G2Affine};
use ark_ec::CurveGroup;
use zeroize::Zeroizing;

use crate::crypto::blake2b_state::NobleBlake2b;
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::hash_to_g2::hash_to_g2;
use crate::crypto::sample::{fr_from_rng, g1_from_rng};
use crate::format::points::g1_to_u;
use crate::format::ptau::{KeyPart, PtauKey};

/// The secrets of one contribution (zeroized on drop) and its public key.
pub struct Secrets {
    /// τ.
    pub tau: Zeroizing<Fr>,
    /// α.
    pub alpha: Zeroizing<Fr>,
    /// β.
    pub beta: Zeroizing<Fr>,
    /// The public key.
    pub key: PtauKey,
}

/// g2_sp of a key part: hashToG2(Blake2b(personalisation ‖ challenge ‖ U(g1_s) ‖ U(g1_sx))).
pub fn g2_sp(personalization: u8, challenge: &[u8; 64], part: &KeyPart) -> G2Affine {
    let mut h = NobleBlake2b::new();
    h.update(&[personalization]);
    h.update(challenge);
    h.update(&g1_to_u(&part.g1_s));
    h.update(&g1_to_u(&part.g1_sx));
    hash_to_g2(&h.finalize())
}

fn part(x: &Fr, personalization: u8, challenge: &[u8; 64], rng: &mut ChaChaRng) -> KeyPart {
    let g1_s = g1_from_rng(rng);
    let g1_sx = (g1_s * x).into_affine();
    let mut p = KeyPart { g1_s, g1_sx, g2_spx: G2Affine::identity() };
    p.g2_spx = (g2_sp(personalization, challenge, &p) * x).into_affine();
    p
}

/// Draws a key from `rng` against `challenge`, in snarkjs's order.
pub fn create_key(challenge: &[u8; 64], rng: &mut ChaChaRng) -> Secrets {
    let tau = Zeroizing::new(fr_from_rng(rng));
    let alpha = Zeroizing::new(fr_from_rng(rng));
    let beta = Zeroizing::new(fr_from_rng(rng));
    let key = PtauKey {
        tau: part(&tau, 0, challenge, rng),
        alpha: part(&alpha, 1, challenge, rng),
        beta: part(&beta, 2, challenge, rng),
    };
    Secrets { tau, alpha, beta, key }
}

//! RNG of a normal (non-beacon) contribution, as snarkjs `src/misc.js` getRandomRng builds it:
//! Blake2b(64 bytes of OS randomness ‖ user entropy) seeds ChaCha. Not reproducible by design.

use blake2::digest::generic_array::GenericArray;
use blake2::Digest;
use zeroize::Zeroizing;

use super::blake::Blake2b512;
use super::chacha::ChaChaRng;
use crate::{Error, Result};

/// A fresh contribution RNG: `ChaCha(Blake2b(64 OS random bytes ‖ entropy))`.
///
/// `entropy` is the user's entropy string as UTF-8 bytes. The OS bytes and the digest are wiped
/// after use. Fails only if the OS random source fails.
pub fn random_rng(entropy: &[u8]) -> Result<ChaChaRng> {
    let mut os = Zeroizing::new([0u8; 64]);
    getrandom::getrandom(&mut os[..])
        .map_err(|e| Error::io("<OS random source>", std::io::Error::other(e.to_string())))?;
    Ok(rng_from_parts(&os, entropy))
}

/// `ChaCha(Blake2b(os ‖ entropy))`, wiping the digest and (best effort) the hasher.
fn rng_from_parts(os: &[u8; 64], entropy: &[u8]) -> ChaChaRng {
    let mut hasher = Blake2b512::new();
    hasher.update(os);
    hasher.update(entropy);
    let mut digest = Zeroizing::new([0u8; 64]);
    Digest::finalize_into_reset(&mut hasher, GenericArray::from_mut_slice(&mut digest[..]));
    // blake2 0.10 has no zeroize support: after the reset, fill the block buffer with zeros so
    // the hasher we drop holds neither the secret input nor its chaining value.
    hasher.update([0u8; 128]);
    // Keep those stores from being optimised away as dead.
    std::hint::black_box(&hasher);
    ChaChaRng::from_hash(&digest[..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::blake::blake2b;

    #[test]
    fn seed_is_blake2b_of_os_bytes_then_entropy() {
        let os = [7u8; 64];
        let mut data = os.to_vec();
        data.extend_from_slice("some entropy".as_bytes());
        let mut expected = ChaChaRng::from_hash(&blake2b(&data));
        let mut got = rng_from_parts(&os, "some entropy".as_bytes());
        for _ in 0..20 {
            assert_eq!(got.next_u32(), expected.next_u32());
        }
    }

    #[test]
    fn os_randomness_makes_every_rng_different() {
        let mut a = random_rng(b"same").expect("OS rng");
        let mut b = random_rng(b"same").expect("OS rng");
        assert_ne!([a.next_u64(), a.next_u64()], [b.next_u64(), b.next_u64()]);
    }
}

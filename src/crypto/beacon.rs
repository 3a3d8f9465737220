//! Beacon randomness (snarkjs `src/misc.js` rngFromBeaconParams): 2^exp chained SHA-256 hashes of
//! a public beacon value seed the ChaCha RNG, making beacon contributions reproducible.

use sha2::{Digest, Sha256};

use super::chacha::ChaChaRng;
use crate::{Error, Result};

/// Smallest iteration exponent snarkjs accepts.
pub const MIN_BEACON_EXP: u32 = 10;
/// Largest iteration exponent snarkjs accepts.
pub const MAX_BEACON_EXP: u32 = 63;
/// Longest beacon value snarkjs accepts, in bytes.
pub const MAX_BEACON_BYTES: usize = 255;

/// The RNG of a beacon: `h = beacon_hash`, then `h = SHA-256(h)` 2^`num_iterations_exp` times,
/// seeded with the final digest as eight big-endian words.
///
/// Panics if `num_iterations_exp > 63`; validate user input with [`check_beacon_exp`] first.
pub fn beacon_rng(beacon_hash: &[u8], num_iterations_exp: u32) -> ChaChaRng {
    assert!(num_iterations_exp <= MAX_BEACON_EXP, "beacon exponent {num_iterations_exp} > 63");
    let iterations = 1u64 << num_iterations_exp;
    let mut h: [u8; 32] = Sha256::digest(beacon_hash).into();
    for _ in 1..iterations {
        h = Sha256::digest(h).into();
    }
    ChaChaRng::from_hash(&h)
}

/// The beacon value from its hex form, with snarkjs's rules: even length, hex digits only (either
/// case, no `0x`), 1..=255 bytes; otherwise [`Error::Usage`].
pub fn parse_beacon_hash(hex: &str) -> Result<Vec<u8>> {
    let bytes = hex::decode(hex).map_err(|_| {
        Error::Usage(format!("invalid beacon hash {hex:?}: it must be a valid hexadecimal sequence of even length"))
    })?;
    if bytes.is_empty() {
        return Err(Error::Usage("invalid beacon hash: it must not be empty".into()));
    }
    if bytes.len() > MAX_BEACON_BYTES {
        return Err(Error::Usage(format!("beacon hash is {} bytes; the maximum is {MAX_BEACON_BYTES}", bytes.len())));
    }
    Ok(bytes)
}

/// Checks the beacon iteration exponent is in snarkjs's range 10..=63, else [`Error::Usage`].
pub fn check_beacon_exp(exp: u32) -> Result<()> {
    if (MIN_BEACON_EXP..=MAX_BEACON_EXP).contains(&exp) {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "invalid number of iterations exponent {exp}: it must be between \
             {MIN_BEACON_EXP} and {MAX_BEACON_EXP}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::sample::fr_from_rng;
    use crate::format::points::fr_to_lem;

    // Expected values printed by snarkjs 0.7.6 misc.rngFromBeaconParams + ffjavascript 0.3.1.

    #[test]
    fn matches_snarkjs_beacon_rng() {
        let beacon =
            parse_beacon_hash("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f").expect("valid hex");
        let mut rng = beacon_rng(&beacon, 10);
        let words: Vec<u32> = (0..4).map(|_| rng.next_u32()).collect();
        assert_eq!(words, [0xc14b5d29, 0x0d847e0c, 0xf58acb48, 0x2051de4f]);

        let mut rng = beacon_rng(&beacon, 10);
        assert_eq!(
            hex::encode(fr_to_lem(&fr_from_rng(&mut rng))),
            "0c7e840d295d4bc14fde512048cb8af5b8873c9790d256b9637f368bd6756917"
        );

        let mut rng = beacon_rng(&[0xab], 11);
        assert_eq!([rng.next_u32(), rng.next_u32()], [0x65c59b11, 0xc45ef692]);
    }

    #[test]
    fn beacon_hash_parsing_follows_snarkjs() {
        assert_eq!(parse_beacon_hash("0aFf").expect("valid"), vec![0x0a, 0xff]);
        for bad in ["", "a", "abc", "0x01", "zz", "01 2", "0g"] {
            assert!(matches!(parse_beacon_hash(bad), Err(Error::Usage(_))), "{bad:?}");
        }
        assert_eq!(parse_beacon_hash(&"ab".repeat(255)).expect("255 bytes").len(), 255);
        assert!(matches!(parse_beacon_hash(&"ab".repeat(256)), Err(Error::Usage(_))));
    }

    #[test]
    fn exponent_range() {
        assert!(check_beacon_exp(10).is_ok());
        assert!(check_beacon_exp(63).is_ok());
        assert!(matches!(check_beacon_exp(9), Err(Error::Usage(_))));
        assert!(matches!(check_beacon_exp(64), Err(Error::Usage(_))));
    }
}

//! Blake2b-512, the hash of every challenge, response, circuit and transcript, and snarkjs's way
//! of printing such a hash (`src/misc.js` formatHash).

use std::fmt::Write;

use blake2::Digest;

/// Blake2b with a 64-byte digest, no key, no personalisation (@noble/hashes `blake2b`, dkLen 64).
pub type Blake2b512 = blake2::Blake2b512;

/// The Blake2b-512 digest of `data`.
pub fn blake2b(data: &[u8]) -> [u8; 64] {
    Blake2b512::digest(data).into()
}

/// A 64-byte hash as snarkjs prints it: 4 lines of 4 space-separated 8-hex-digit big-endian words,
/// each line prefixed by `indent` (snarkjs uses two tabs), lines joined by `\n`, no final newline.
pub fn format_hash(h: &[u8; 64], indent: &str) -> String {
    let mut s = String::with_capacity(4 * (indent.len() + 36));
    for (i, line) in h.chunks_exact(16).enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(indent);
        for (j, word) in line.chunks_exact(4).enumerate() {
            if j > 0 {
                s.push(' ');
            }
            for b in word {
                // Writing to a String cannot fail.
                let _ = write!(s, "{b:02x}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_digest_is_the_blank_contribution_hash() {
        let h = blake2b(b"");
        assert_eq!(&hex::encode(h)[..16], "786a02f742015903");
        let mut hasher = Blake2b512::new();
        hasher.update(b"ab");
        hasher.update(b"c");
        assert_eq!(<[u8; 64]>::from(hasher.finalize()), blake2b(b"abc"));
    }

    #[test]
    fn format_matches_snarkjs() {
        // h[i] = 7i + 3 (mod 256); expected string printed by snarkjs 0.7.6 misc.formatHash(h).
        let mut h = [0u8; 64];
        for (i, b) in h.iter_mut().enumerate() {
            *b = (i * 7 + 3) as u8;
        }
        assert_eq!(
            format_hash(&h, "\t\t"),
            "\t\t030a1118 1f262d34 3b424950 575e656c\n\
             \t\t737a8188 8f969da4 abb2b9c0 c7ced5dc\n\
             \t\te3eaf1f8 ff060d14 1b222930 373e454c\n\
             \t\t535a6168 6f767d84 8b9299a0 a7aeb5bc"
        );
        assert!(format_hash(&h, "").starts_with("030a1118 1f262d34"));
    }
}

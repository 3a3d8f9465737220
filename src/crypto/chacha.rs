//! The ChaCha20-based RNG of ffjavascript (`src/chacha.js`): every key, beacon and hash-to-curve
//! draw in snarkjs goes through it, so its output must match word for word.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// "expand 32-byte k", the ChaCha constants.
const SIGMA: [u32; 4] = [0x6170_7865, 0x3320_646E, 0x7962_2D32, 0x6B20_6574];

/// One ChaCha quarter round on words `a`, `b`, `c`, `d` of `st`.
#[inline(always)]
fn quarter_round(st: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    st[a] = st[a].wrapping_add(st[b]);
    st[d] = (st[d] ^ st[a]).rotate_left(16);
    st[c] = st[c].wrapping_add(st[d]);
    st[b] = (st[b] ^ st[c]).rotate_left(12);
    st[a] = st[a].wrapping_add(st[b]);
    st[d] = (st[d] ^ st[a]).rotate_left(8);
    st[c] = st[c].wrapping_add(st[d]);
    st[b] = (st[b] ^ st[c]).rotate_left(7);
}

/// ffjavascript's ChaCha RNG: 20 rounds, 32-byte seed, 128-bit block counter starting at 0.
///
/// The seed is secret (it determines toxic waste), so the state and the output buffer are wiped
/// when the RNG is dropped.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct ChaChaRng {
    state: [u32; 16],
    buf: [u32; 16],
    idx: usize,
}

impl ChaChaRng {
    /// An RNG seeded with eight 32-bit words (ffjavascript `new ChaCha(seed)`).
    pub fn new(seed: [u32; 8]) -> Self {
        let mut state = [0u32; 16];
        state[..4].copy_from_slice(&SIGMA);
        state[4..12].copy_from_slice(&seed);
        ChaChaRng { state, buf: [0; 16], idx: 16 }
    }

    /// An RNG seeded with the first 32 bytes of a hash, read as eight big-endian words.
    ///
    /// Panics if `h` is shorter than 32 bytes (hashes used as seeds are 32 or 64 bytes).
    pub fn from_hash(h: &[u8]) -> Self {
        assert!(h.len() >= 32, "a ChaCha seed needs 32 bytes, got {}", h.len());
        let mut seed = [0u32; 8];
        for (word, chunk) in seed.iter_mut().zip(h.chunks_exact(4)) {
            *word = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        }
        let rng = Self::new(seed);
        seed.zeroize();
        rng
    }

    /// Computes the next 16-word block and advances the block counter (words 12..15).
    fn refill(&mut self) {
        self.buf = self.state;
        for _ in 0..10 {
            quarter_round(&mut self.buf, 0, 4, 8, 12);
            quarter_round(&mut self.buf, 1, 5, 9, 13);
            quarter_round(&mut self.buf, 2, 6, 10, 14);
            quarter_round(&mut self.buf, 3, 7, 11, 15);
            quarter_round(&mut self.buf, 0, 5, 10, 15);
            quarter_round(&mut self.buf, 1, 6, 11, 12);
            quarter_round(&mut self.buf, 2, 7, 8, 13);
            quarter_round(&mut self.buf, 3, 4, 9, 14);
        }
        for (out, s) in self.buf.iter_mut().zip(self.state.iter()) {
            *out = out.wrapping_add(*s);
        }
        self.idx = 0;
        for word in &mut self.state[12..16] {
            *word = word.wrapping_add(1);
            if *word != 0 {
                break;
            }
        }
    }

    /// The next 32-bit output word (ffjavascript `nextU32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.idx == 16 {
            self.refill();
        }
        let w = self.buf[self.idx];
        self.idx += 1;
        w
    }

    /// The next 64-bit value: the first word drawn is the high half (ffjavascript `nextU64`).
    pub fn next_u64(&mut self) -> u64 {
        let hi = self.next_u32() as u64;
        let lo = self.next_u32() as u64;
        (hi << 32) | lo
    }

    /// The low bit of the next word (ffjavascript `nextBool`).
    pub fn next_bool(&mut self) -> bool {
        self.next_u32() & 1 == 1
    }
}

impl fmt::Debug for ChaChaRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChaChaRng { .. }")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Printed by ffjavascript 0.3.1: `new ChaCha([1,2,3,4,5,6,7,8])`, 20 × `nextU32()`.
    const SEED_1_8_U32: [u32; 20] = [
        0x8891120d, 0xa1d7fd60, 0x546a15d9, 0xf896cad8, 0x12976914, 0x7cf5a49d, 0x9ec2376e, 0xafb55bc1, 0x45ce27df,
        0xf262b106, 0x5f4bfe50, 0x4f55bc97, 0xfed515ad, 0x8f1f349c, 0xed0e540e, 0x6c57863b, 0xee8cb87d, 0x987b993a,
        0x888d6c84, 0xd273c55a,
    ];

    #[test]
    fn matches_ffjavascript_words_across_a_refill() {
        let mut rng = ChaChaRng::new([1, 2, 3, 4, 5, 6, 7, 8]);
        let got: Vec<u32> = (0..20).map(|_| rng.next_u32()).collect();
        assert_eq!(got, SEED_1_8_U32);
    }

    #[test]
    fn zero_seed_matches_ffjavascript() {
        let mut rng = ChaChaRng::new([0; 8]);
        let got: Vec<u32> = (0..4).map(|_| rng.next_u32()).collect();
        assert_eq!(got, [0xade0b876, 0x903df1a0, 0xe56a5d40, 0x28bd8653]);
    }

    #[test]
    fn u64_is_high_word_first_and_bool_is_low_bit() {
        let mut rng = ChaChaRng::new([1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(rng.next_u64(), 0x8891120d_a1d7fd60);
        assert_eq!(rng.next_u64(), 0x546a15d9_f896cad8);
        let mut rng = ChaChaRng::new([1, 2, 3, 4, 5, 6, 7, 8]);
        let bools: Vec<bool> = (0..4).map(|_| rng.next_bool()).collect();
        assert_eq!(bools, [true, false, true, false]);
    }

    #[test]
    fn from_hash_reads_big_endian_words() {
        let mut h = [0u8; 64];
        for (i, w) in [1u32, 2, 3, 4, 5, 6, 7, 8].iter().enumerate() {
            h[i * 4..i * 4 + 4].copy_from_slice(&w.to_be_bytes());
        }
        h[40] = 0xff; // bytes past 32 are ignored
        let mut rng = ChaChaRng::from_hash(&h);
        assert_eq!(rng.next_u32(), SEED_1_8_U32[0]);
    }

    #[test]
    fn block_counter_carries() {
        let mut rng = ChaChaRng::new([0; 8]);
        rng.state[12] = u32::MAX;
        rng.refill();
        assert_eq!(&rng.state[12..16], &[0, 1, 0, 0]);
    }
}

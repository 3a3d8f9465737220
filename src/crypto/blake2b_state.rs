//! Blake2b-512 with its internal state exposed the way @noble/hashes 1.8 holds it, so the
//! 216-byte "partial hash" snarkjs stores in ptau contribution records can be written and
//! resumed byte for byte (reference §3.3), including noble's buffering of stale bytes.

use zeroize::Zeroize;

const IV: [u64; 8] = [
    0x6a09e667f3bcc908,
    0xbb67ae8584caa73b,
    0x3c6ef372fe94f82b,
    0xa54ff53a5f1d36f1,
    0x510e527fade682d1,
    0x9b05688c2b3e6c1f,
    0x1f83d9abfb41bd6b,
    0x5be0cd19137e2179,
];

const SIGMA: [[usize; 16]; 12] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
];

const BLOCK: usize = 128;

/// A Blake2b-512 hasher (no key) whose state can be saved as snarkjs's 216-byte partial hash.
#[derive(Clone, Zeroize)]
pub struct NobleBlake2b {
    h: [u64; 8],
    buf: [u8; BLOCK],
    pos: usize,
    length: u64,
}

impl Default for NobleBlake2b {
    fn default() -> Self {
        Self::new()
    }
}

impl NobleBlake2b {
    /// A fresh hasher with a 64-byte digest.
    pub fn new() -> Self {
        let mut h = IV;
        h[0] ^= 0x0101_0000 ^ 64;
        NobleBlake2b { h, buf: [0; BLOCK], pos: 0, length: 0 }
    }

    fn compress(&mut self, block: &[u8], last: bool) {
        let mut m = [0u64; 16];
        for (i, w) in m.iter_mut().enumerate() {
            *w = u64::from_le_bytes(block[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        }
        let mut v = [0u64; 16];
        v[..8].copy_from_slice(&self.h);
        v[8..].copy_from_slice(&IV);
        v[12] ^= self.length;
        // The high half of the 128-bit counter: noble keeps lengths below 2^53, so it is 0.
        if last {
            v[14] = !v[14];
        }
        fn g(v: &mut [u64; 16], a: usize, b: usize, c: usize, d: usize, x: u64, y: u64) {
            v[a] = v[a].wrapping_add(v[b]).wrapping_add(x);
            v[d] = (v[d] ^ v[a]).rotate_right(32);
            v[c] = v[c].wrapping_add(v[d]);
            v[b] = (v[b] ^ v[c]).rotate_right(24);
            v[a] = v[a].wrapping_add(v[b]).wrapping_add(y);
            v[d] = (v[d] ^ v[a]).rotate_right(16);
            v[c] = v[c].wrapping_add(v[d]);
            v[b] = (v[b] ^ v[c]).rotate_right(63);
        }
        for s in &SIGMA {
            g(&mut v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            g(&mut v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            g(&mut v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            g(&mut v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            g(&mut v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            g(&mut v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            g(&mut v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            g(&mut v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for i in 0..8 {
            self.h[i] ^= v[i] ^ v[i + 8];
        }
    }

    /// Absorbs `data` exactly as noble's `update` does for a freshly allocated (aligned) buffer.
    pub fn update(&mut self, data: &[u8]) {
        let len = data.len();
        let mut pos = 0;
        while pos < len {
            if self.pos == BLOCK {
                let block = self.buf;
                self.compress(&block, false);
                self.pos = 0;
            }
            let take = (BLOCK - self.pos).min(len - pos);
            if take == BLOCK && pos + take < len {
                // Whole blocks straight from the input while more input follows them.
                while pos + BLOCK < len {
                    self.length += BLOCK as u64;
                    self.compress(&data[pos..pos + BLOCK], false);
                    pos += BLOCK;
                }
                continue;
            }
            self.buf[self.pos..self.pos + take].copy_from_slice(&data[pos..pos + take]);
            self.pos += take;
            self.length += take as u64;
            pos += take;
        }
    }

    /// The 64-byte digest.
    pub fn finalize(mut self) -> [u8; 64] {
        for b in &mut self.buf[self.pos..] {
            *b = 0;
        }
        let block = self.buf;
        self.compress(&block, true);
        let mut out = [0u8; 64];
        for (i, w) in self.h.iter().enumerate() {
            out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// The 216-byte snapshot snarkjs's `toPartialHash` writes.
    pub fn to_partial(&self) -> [u8; 216] {
        let mut out = [0u8; 216];
        out[..128].copy_from_slice(&self.buf);
        for (i, w) in self.h.iter().enumerate() {
            out[128 + i * 8..136 + i * 8].copy_from_slice(&w.to_le_bytes());
        }
        // snarkjs stores (length − pos) in one u32 word and pos in another.
        let done = (self.length - self.pos as u64) as u32;
        out[192..196].copy_from_slice(&done.to_le_bytes());
        out[200..204].copy_from_slice(&(self.pos as u32).to_le_bytes());
        out
    }

    /// Resumes from a 216-byte snapshot as snarkjs's `fromPartialHash` does; `None` if its
    /// buffer position is impossible.
    pub fn from_partial(p: &[u8; 216]) -> Option<Self> {
        let word = |i: usize| u32::from_le_bytes(p[128 + i * 4..132 + i * 4].try_into().expect("4 bytes")) as u64;
        let mut h = [0u64; 8];
        for (i, w) in h.iter_mut().enumerate() {
            *w = word(2 * i) | (word(2 * i + 1) << 32);
        }
        let len = word(16) + (word(17) << 32);
        let pos = word(18) + (word(19) << 32);
        if pos > BLOCK as u64 {
            return None;
        }
        let mut buf = [0u8; BLOCK];
        buf.copy_from_slice(&p[..128]);
        Some(NobleBlake2b { h, buf, pos: pos as usize, length: len + pos })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blake2::Digest;

    #[test]
    fn digest_matches_blake2b_for_any_chunking() {
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + 3) as u8).collect();
        let want: [u8; 64] = blake2::Blake2b512::digest(&data).into();
        for chunk in [1usize, 63, 64, 127, 128, 129, 256, 1000, 5000] {
            let mut h = NobleBlake2b::new();
            for c in data.chunks(chunk) {
                h.update(c);
            }
            assert_eq!(h.clone().finalize(), want, "chunk {chunk}");
            let resumed = NobleBlake2b::from_partial(&h.to_partial()).unwrap();
            assert_eq!(resumed.finalize(), want, "resumed, chunk {chunk}");
        }
        assert_eq!(NobleBlake2b::new().finalize(), <[u8; 64]>::from(blake2::Blake2b512::digest(b"")));
    }
}

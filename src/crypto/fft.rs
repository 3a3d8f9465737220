//! Fr roots of unity as ffjavascript picks them (w[28] = 5^((r−1)/2^28), w[k−1] = w[k]²) and a
//! radix-2 FFT over them; any other choice of root reorders the Lagrange basis.

use ark_bn254::Fr;
use ark_ff::{Field, PrimeField};

/// The primitive 2^k-th root of unity ffjavascript calls `Fr.w[k]`.
pub fn root_of_unity(k: u32) -> Fr {
    assert!(k <= 28, "BN254's Fr has 2-adicity 28");
    // (r − 1) / 2^28: r − 1 is divisible by 2^28, so shifting r right by 28 gives it.
    let e = Fr::MODULUS >> 28;
    let mut w = Fr::from(5u64).pow(e);
    for _ in k..28 {
        w.square_in_place();
    }
    w
}

/// Sets a[0] so that Σ_j a_j·w[k]^j = 0 (a of length 2^k): random check coefficients that ignore
/// one direction of a size-2^k transform, the last input of an inverse FFT.
pub fn cancel_last_input(a: &mut [Fr], k: u32) {
    if a.len() < 2 {
        return;
    }
    let w = root_of_unity(k);
    let (mut sum, mut x) = (Fr::from(0u64), w);
    for c in &a[1..] {
        sum += *c * x;
        x *= w;
    }
    a[0] = -sum;
}

/// In-place forward FFT of size 2^k: out_i = Σ_j a_j · w[k]^(i·j), natural order in and out.
pub fn fft(a: &mut [Fr], k: u32) {
    let n = a.len();
    assert_eq!(n, 1usize << k, "fft length must be 2^k");
    if n <= 1 {
        return;
    }
    // Bit-reversal permutation, then iterative Cooley–Tukey butterflies.
    let bits = k;
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            a.swap(i, j);
        }
    }
    let mut len = 2;
    let mut level = 1;
    while len <= n {
        let w_len = root_of_unity(level);
        let half = len / 2;
        let mut tw = Vec::with_capacity(half);
        let mut w = Fr::from(1u64);
        for _ in 0..half {
            tw.push(w);
            w *= w_len;
        }
        for chunk in a.chunks_mut(len) {
            let (lo, hi) = chunk.split_at_mut(half);
            for ((x, y), t) in lo.iter_mut().zip(hi.iter_mut()).zip(&tw) {
                let v = *y * t;
                *y = *x - v;
                *x += v;
            }
        }
        len <<= 1;
        level += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, UniformRand};

    #[test]
    fn roots_match_ffjavascript() {
        let dec = |x: Fr| num_bigint::BigUint::from_bytes_le(&x.into_bigint().to_bytes_le()).to_string();
        assert_eq!(
            dec(root_of_unity(28)),
            "19103219067921713944291392827692070036145651957329286315305642004821462161904"
        );
        assert_eq!(dec(root_of_unity(1)), dec(-Fr::from(1u64)));
        assert_eq!(
            dec(root_of_unity(10)),
            "3161067157621608152362653341354432744960400845131437947728257924963983317266"
        );
    }

    #[test]
    fn fft_matches_naive_dft() {
        let mut rng = ark_std::test_rng();
        let k = 4;
        let a: Vec<Fr> = (0..16).map(|_| Fr::rand(&mut rng)).collect();
        let w = root_of_unity(k);
        let naive: Vec<Fr> =
            (0..16u64).map(|i| a.iter().enumerate().map(|(j, x)| *x * w.pow([i * j as u64])).sum()).collect();
        let mut b = a.clone();
        fft(&mut b, k);
        assert_eq!(b, naive);
    }
}

//! Hashes, RNGs and keys shared by both phases, each reproducing snarkjs/ffjavascript exactly.

pub mod beacon;
pub mod blake;
pub mod blake2b_state;
pub mod chacha;
pub mod entropy;
pub mod fft;
pub mod hash_to_g2;
pub mod pairing;
pub mod sample;
pub mod source;

//! Bytes <-> typed data for snarkjs's files, nothing else.

pub mod atomic;
pub mod binfile;
pub mod mpcparams;
pub mod params;
pub mod points;
pub mod ptau;
pub mod r1cs;
pub mod subgroup;
pub mod vkey;
pub mod zkey;

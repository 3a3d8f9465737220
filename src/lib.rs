//! tauforge: Groth16 trusted-setup ceremonies on BN254, byte-compatible with snarkjs 0.7.6.
//!
//! Data flows one way: [`format`] reads bytes into typed sections, [`phase2`] computes through
//! [`crypto`] and a [`backend::Backend`], and [`format`] writes the result atomically.

pub mod backend;
pub mod batch_affine;
pub mod bench;
pub mod chain;
pub mod cli;
pub mod coordinator;
pub mod crypto;
pub mod error;
pub mod format;
pub mod phase1;
pub mod phase2;
pub mod progress;
pub mod transcript;

pub use error::{Error, Result};

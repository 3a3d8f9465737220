//! Phase 1 (powers of tau): new, contribute, beacon, prepare-phase2, verify, verify-step and the
//! challenge/response files.

pub mod challenge;
pub mod contribute;
pub mod hashes;
pub mod keys;
pub mod lagrange;
pub mod new;
pub mod prepare;
pub mod verify;
pub mod verify_step;

//! Phase 1 (powers of tau): new, contribute, beacon, prepare-phase2, truncate, verify, verify-step
//! and the challenge/response files.

pub mod challenge;
pub mod contribute;
pub mod hashes;
pub mod keys;
pub mod lagrange;
pub mod new;
pub mod prepare;
pub mod truncate;
pub mod verify;
pub mod verify_step;

use crate::backend::Group;
use crate::format::ptau::section;

/// The point sections of a ptau in file (and challenge) order: id, group, number of points for
/// 2^power.
pub fn point_sections(power: u32) -> [(u32, Group, usize); 5] {
    let n = 1usize << power;
    [
        (section::TAU_G1, Group::G1, 2 * n - 1),
        (section::TAU_G2, Group::G2, n),
        (section::ALPHA_TAU_G1, Group::G1, n),
        (section::BETA_TAU_G1, Group::G1, n),
        (section::BETA_G2, Group::G2, 1),
    ]
}

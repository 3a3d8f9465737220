//! Phase 2 (circuit-specific): new, contribute, beacon, verify, export, the bellman round trip.

pub mod bellman;
pub mod contribute;
pub mod cshash;
pub mod export;
pub mod new;
pub mod verify;
pub mod verify_step;

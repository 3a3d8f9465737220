//! Where a contribution's secrets come from, in either phase.

use crate::crypto::chacha::ChaChaRng;

/// The randomness of one contribution.
pub enum Source<'a> {
    /// Secret randomness (OS RNG mixed with entropy), already seeded.
    Random(&'a mut ChaChaRng),
    /// A public beacon: its value and log2 of its SHA-256 iterations.
    Beacon {
        /// The beacon value.
        hash: Vec<u8>,
        /// log2 of the iterations.
        exp: u32,
    },
}

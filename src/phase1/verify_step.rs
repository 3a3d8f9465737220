//! `ptau verify-step <previous> <next>`: is `next` exactly `previous` plus one contribution?
//!
//! The headers must agree, the old contribution records must be a prefix of the new ones with
//! exactly one record added, and `next` must pass every check of `ptau verify` (the new record's
//! proofs of knowledge and its link to the record before it — `previous`'s last — and the powers
//! by random linear combinations). `previous` is only opened and its records compared: it was
//! checked when it was accepted.

use std::path::Path;
use std::time::Instant;

use super::verify::{verify_opened, PtauContributionInfo};
use crate::backend::Backend;
use crate::chain::step_shape;
use crate::error::{Error, Result};
use crate::format::ptau::{Ptau, PtauContribution};

/// What an accepted step adds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PtauStepReport {
    /// The power of the files.
    pub power: u32,
    /// The contributions in `previous`.
    pub previous_contributions: usize,
    /// The new contribution.
    pub contribution: PtauContributionInfo,
    /// The challenge hash the next contributor answers, hex.
    pub next_challenge: String,
    /// Seconds in all.
    pub seconds: f64,
    /// The backend used.
    pub backend: String,
}

fn record_bytes(c: &PtauContribution) -> Vec<u8> {
    let mut b = Vec::new();
    c.write(&mut b);
    b
}

/// `ptau verify-step <previous.ptau> <next.ptau>`.
pub fn verify_ptau_step(prev_path: &Path, next_path: &Path, backend: &dyn Backend) -> Result<PtauStepReport> {
    let t0 = Instant::now();
    let prev = Ptau::open(prev_path)?;
    let next = Ptau::open(next_path)?;
    if (prev.power, prev.ceremony_power) != (next.power, next.ceremony_power) {
        return Err(Error::Invalid(format!(
            "different ceremony: the previous ptau has power {} (ceremony power {}), the next {} ({})",
            prev.power, prev.ceremony_power, next.power, next.ceremony_power
        )));
    }
    let (pc, nc) = (prev.contributions()?, next.contributions()?);
    if let Some(why) = step_shape(&pc, &nc, record_bytes, "ptau") {
        return Err(Error::Invalid(why));
    }
    let mut rep = verify_opened(&next, backend, t0)?;
    let contribution = rep.contributions.pop().ok_or_else(|| Error::Invalid("no new contribution".into()))?;
    Ok(PtauStepReport {
        power: next.power,
        previous_contributions: pc.len(),
        contribution,
        next_challenge: hex::encode(rep.next_challenge),
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

//! `zkey verify-step <previous> <next>`: is `next` exactly `previous` plus one contribution?
//!
//! What a coordinator checks on every upload, without the r1cs or the ptau: the fixed sections are
//! unchanged, the old contribution records are a prefix of the new ones and exactly one record was
//! added (a normal contribution or a beacon), the new record chains from the previous transcript
//! and proves knowledge of its δ, and the L and H sections are the previous ones scaled by one
//! common factor — the one the new δ implies (random linear combinations, one pairing check).

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};

use super::contribute::check_g1_points;
use super::verify::{verify_chain, ContributionInfo};
use crate::backend::{Backend, Group, Projective};
use crate::chain::step_shape;
use crate::crypto::fft::cancel_last_input;
use crate::crypto::pairing::same_ratio;
use crate::error::{Error, Result};
use crate::format::zkey::{section as zs, Contribution, Zkey};
use crate::progress;

/// What an accepted step adds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepReport {
    /// The circuit hash, hex.
    pub circuit_hash: String,
    /// The contributions in `previous`.
    pub previous_contributions: usize,
    /// The new contribution.
    pub contribution: ContributionInfo,
    /// Seconds in all.
    pub seconds: f64,
    /// The backend used.
    pub backend: String,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

fn record_bytes(c: &Contribution) -> Vec<u8> {
    let mut b = Vec::new();
    c.write(&mut b);
    b
}

fn g1_of(p: Projective) -> Result<G1Affine> {
    match p {
        Projective::G1(p) => Ok(p.into_affine()),
        Projective::G2(_) => Err(invalid("internal: backend returned a G2 point for a G1 MSM")),
    }
}

/// The checks of a step that need neither the record chain's pairings nor the L and H sections:
/// headers, fixed sections, the shape of the chain of records, delta against the last records.
pub fn check_step_shape(prev: &Zkey, next: &Zkey) -> Result<()> {
    let (ph, nh) = (&prev.header, &next.header);
    if (ph.n_vars, ph.n_public, ph.domain_size) != (nh.n_vars, nh.n_public, nh.domain_size) {
        return Err(invalid(format!(
            "different circuit: the previous zkey has {} wires, {} public, domain {}; the next has {}, {}, {}",
            ph.n_vars, ph.n_public, ph.domain_size, nh.n_vars, nh.n_public, nh.domain_size
        )));
    }
    if prev.mpc.cs_hash != next.mpc.cs_hash {
        return Err(invalid("different circuit: the circuit hashes differ"));
    }
    for (what, a, b) in [("alpha1", ph.alpha1, nh.alpha1), ("beta1", ph.beta1, nh.beta1)] {
        if a != b {
            return Err(invalid(format!("{what} (section 2) changed")));
        }
    }
    if ph.beta2 != nh.beta2 {
        return Err(invalid("beta2 (section 2) changed"));
    }
    if ph.gamma2 != nh.gamma2 {
        return Err(invalid("gamma2 (section 2) changed"));
    }
    for (id, name) in [(zs::IC, "IC"), (zs::COEFFS, "coefficients"), (zs::A, "A"), (zs::B1, "B1"), (zs::B2, "B2")] {
        if !prev.file.same_section(&next.file, id)? {
            return Err(invalid(format!("{name} section (section {id}) differs from the previous zkey's")));
        }
    }
    if let Some(why) = step_shape(&prev.mpc.contributions, &next.mpc.contributions, record_bytes, "zkey") {
        return Err(invalid(why));
    }
    let last_delta = |z: &Zkey| z.mpc.contributions.last().map_or(G1Affine::generator(), |c| c.delta_after);
    if ph.delta1 != last_delta(prev) {
        return Err(invalid("the previous zkey's delta1 does not match its last contribution"));
    }
    if nh.delta1 != last_delta(next) {
        return Err(invalid("delta1 does not match the new contribution's deltaAfter"));
    }
    if !same_ratio(&G1Affine::generator(), &nh.delta1, &ark_bn254::G2Affine::generator(), &nh.delta2) {
        return Err(invalid("delta2 is not consistent with delta1"));
    }
    Ok(())
}

/// Every check of a step but the L and H sections: [`check_step_shape`], then the whole chain of
/// `next`'s records (transcripts, proofs of knowledge, beacons), which contains `prev`'s.
pub fn check_step_records(prev: &Zkey, next: &Zkey) -> Result<ContributionInfo> {
    check_step_shape(prev, next)?;
    let (_, mut infos) = verify_chain(&next.mpc)?;
    infos.pop().ok_or_else(|| invalid("no new contribution"))
}

/// Σ r_i·P_i over the points of L (section 8) then H (section 9) of `z`, every point checked on
/// the curve first; `r` has one coefficient per point of both sections.
pub fn lh_combination(z: &Zkey, r: &[Fr], backend: &dyn Backend) -> Result<G1Affine> {
    let (l, h) = (z.file.read_section(zs::C)?, z.file.read_section(zs::H)?);
    check_g1_points(&l, &z.file, zs::C)?;
    check_g1_points(&h, &z.file, zs::H)?;
    let nl = l.len() / 64;
    if nl + h.len() / 64 != r.len() {
        return Err(invalid(format!(
            "the L and H sections (8, 9) hold {} points, expected {}",
            nl + h.len() / 64,
            r.len()
        )));
    }
    let a = g1_of(backend.msm(&l, Group::G1, &r[..nl])?)?;
    // H's first coefficient is full-width (see `lh_coefficients`): an MSM of its own keeps the
    // others' 64-bit fast path.
    let (h0, h_rest) = h.split_at(h.len().min(64));
    let (r0, r_rest) = r[nl..].split_at(h0.len() / 64);
    let mut sum = G1Projective::from(a);
    for (points, coeffs) in [(h0, r0), (h_rest, r_rest)] {
        if !coeffs.is_empty() {
            sum += g1_of(backend.msm(points, Group::G1, coeffs)?)?;
        }
    }
    Ok(sum.into_affine())
}

/// Random coefficients for [`lh_combination`] of zkeys shaped like `z`, 64-bit but for H's
/// first: a section not scaled by the common factor passes with probability at most 2^-64
/// (Schwartz–Zippel over the coefficients), enough for a per-upload check and cheaper than
/// full-width scalars.
///
/// H is checked up to one direction: the H points are IFFT_n(−½·ω_2n^(−i)·τ^i·Z(τ)/δ) over the
/// monomials i < n, and the prover's h has degree ≤ n−2, so monomial n−1 never counts. `zkey
/// new` fills it in, `zkey import bellman` (whose files hold n−1 H points) sets it to zero, and
/// snarkjs's verify leaves it out; here H's first coefficient is set so that Σ_j r_j·ω_n^j = 0
/// (ω_n^j: that monomial's share of point j), so either value passes and nothing else changes.
pub fn lh_coefficients(z: &Zkey) -> Result<Vec<Fr>> {
    let nl = (z.file.section(zs::C)?.size / 64) as usize;
    let nh = (z.file.section(zs::H)?.size / 64) as usize;
    let mut rng = crate::crypto::entropy::random_rng(&[])?;
    let mut r: Vec<Fr> = (0..nl + nh).map(|_| Fr::from(rng.next_u64())).collect();
    if nh.is_power_of_two() {
        cancel_last_input(&mut r[nl..], nh.ilog2());
    }
    Ok(r)
}

/// Whether L and H of `next` are those of `prev` scaled by δ_prev/δ_next, given their
/// combinations with the same coefficients: e(a_prev, δ2_prev) = e(a_next, δ2_next).
pub fn lh_step_holds(a_prev: &G1Affine, prev: &Zkey, a_next: &G1Affine, next: &Zkey) -> bool {
    if a_prev.is_zero() || a_next.is_zero() {
        return a_prev.is_zero() && a_next.is_zero();
    }
    same_ratio(a_prev, a_next, &next.header.delta2, &prev.header.delta2)
}

/// The message of a failed [`lh_step_holds`].
pub const LH_MISMATCH: &str =
    "L or H section (sections 8, 9) is not the previous one scaled by the new contribution's delta";

/// Checks that `next` is `prev` plus exactly one valid contribution.
pub fn verify_step_keys(prev: &Zkey, next: &Zkey, backend: &dyn Backend) -> Result<ContributionInfo> {
    let info = check_step_records(prev, next)?;
    let r = lh_coefficients(next)?;
    let a = lh_combination(prev, &r, backend)?;
    let b = lh_combination(next, &r, backend)?;
    if !lh_step_holds(&a, prev, &b, next) {
        return Err(invalid(LH_MISMATCH));
    }
    Ok(info)
}

/// `zkey verify-step <previous.zkey> <next.zkey>`.
pub fn verify_step(prev_path: &Path, next_path: &Path, backend: &dyn Backend) -> Result<StepReport> {
    let t0 = Instant::now();
    let pb = progress::bar(2, "verifying the step");
    let prev = Zkey::open(prev_path)?;
    let next = Zkey::open(next_path)?;
    pb.inc(1);
    let contribution = verify_step_keys(&prev, &next, backend)?;
    pb.finish_and_clear();
    Ok(StepReport {
        circuit_hash: hex::encode(next.mpc.cs_hash),
        previous_contributions: prev.mpc.contributions.len(),
        contribution,
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

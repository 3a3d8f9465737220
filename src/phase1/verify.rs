//! `powersoftau verify` (reference §3.7): every contribution's proofs of knowledge and its
//! link to the one before, the powers by random linear combinations, the challenge chain,
//! and the Lagrange sections of a prepared file.

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Field;
use rayon::prelude::*;

use super::hashes::{encode_points, first_challenge_hash};
use super::keys::{create_key, g2_sp};
use crate::backend::{Backend, Group, Projective};
use crate::crypto::beacon::beacon_rng;
use crate::crypto::blake2b_state::NobleBlake2b;
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::fft::fft;
use crate::crypto::pairing::same_ratio;
use crate::error::{Error, Result};
use crate::format::params::KIND_BEACON;
use crate::format::points::{g1_from_lem_unchecked, g2_from_lem_on_curve};
use crate::format::ptau::{section, Ptau, PtauContribution};
use crate::progress;

/// One contribution as verification reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PtauContributionInfo {
    /// 1-based position.
    pub index: usize,
    /// The contributor's name.
    pub name: Option<String>,
    /// The response hash (what the contributor published), hex.
    pub response_hash: String,
    /// The challenge this contribution answered, hex.
    pub challenge: String,
    /// The beacon value, hex (beacons only).
    pub beacon_hash: Option<String>,
    /// log2 of the beacon iterations (beacons only).
    pub beacon_exp: Option<u8>,
    /// Raw response hash for printing.
    #[serde(skip)]
    pub response_bytes: [u8; 64],
}

/// The result of a successful verification.
#[derive(Debug, Clone)]
pub struct PtauReport {
    /// The power.
    pub power: u32,
    /// Every contribution, oldest first.
    pub contributions: Vec<PtauContributionInfo>,
    /// The hash of the current points (the next challenge).
    pub next_challenge: [u8; 64],
    /// Whether the Lagrange sections were present and checked.
    pub prepared: bool,
    /// Seconds in all.
    pub seconds: f64,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// The points a contribution left behind, as the next one builds on them.
struct Tip {
    tau_g1: G1Affine,
    tau_g2: G2Affine,
    alpha_g1: G1Affine,
    beta_g1: G1Affine,
    beta_g2: G2Affine,
    next_challenge: [u8; 64],
}

fn tip(c: &PtauContribution) -> Tip {
    Tip {
        tau_g1: c.tau_g1,
        tau_g2: c.tau_g2,
        alpha_g1: c.alpha_g1,
        beta_g1: c.beta_g1,
        beta_g2: c.beta_g2,
        next_challenge: c.next_challenge,
    }
}

/// The response hash of a record: its partial hash finished with its public key.
pub fn response_hash(c: &PtauContribution) -> Result<[u8; 64]> {
    let mut h = NobleBlake2b::from_partial(&c.partial_hash)
        .ok_or_else(|| invalid("a contribution's partial hash has an impossible buffer position"))?;
    h.update(&c.key.to_u());
    Ok(h.finalize())
}

/// Checks contribution #`n` (`cur`) against what came before it (`prev`).
fn verify_contribution(n: usize, cur: &PtauContribution, prev: &Tip) -> Result<()> {
    let ch = &prev.next_challenge;
    if cur.kind == KIND_BEACON {
        let (Some(hash), Some(exp)) = (&cur.params.beacon_hash, cur.params.beacon_exp) else {
            return Err(invalid(format!("contribution #{n}: beacon without its parameters")));
        };
        if exp > 63 {
            return Err(invalid(format!("contribution #{n}: beacon iterations exponent {exp} is out of range")));
        }
        let mut rng = beacon_rng(hash, exp as u32);
        if create_key(ch, &mut rng).key != cur.key {
            return Err(invalid(format!(
                "contribution #{n}: the beacon key is not generated correctly from its beacon"
            )));
        }
    }
    let k = &cur.key;
    let sp = [g2_sp(0, ch, &k.tau), g2_sp(1, ch, &k.alpha), g2_sp(2, ch, &k.beta)];
    for (part, (name, s)) in [&k.tau, &k.alpha, &k.beta].iter().zip(["tau", "alpha", "beta"].iter().zip(&sp)) {
        if !same_ratio(&part.g1_s, &part.g1_sx, s, &part.g2_spx) {
            return Err(invalid(format!(
                "contribution #{n}: invalid key ({name}): the proof of knowledge does not hold"
            )));
        }
    }
    if !same_ratio(&prev.tau_g1, &cur.tau_g1, &sp[0], &k.tau.g2_spx) {
        return Err(invalid(format!("contribution #{n}: tau*G1 does not follow the previous contribution")));
    }
    if !same_ratio(&k.tau.g1_s, &k.tau.g1_sx, &prev.tau_g2, &cur.tau_g2) {
        return Err(invalid(format!("contribution #{n}: tau*G2 does not follow the previous contribution")));
    }
    if !same_ratio(&prev.alpha_g1, &cur.alpha_g1, &sp[1], &k.alpha.g2_spx) {
        return Err(invalid(format!("contribution #{n}: alpha*G1 does not follow the previous contribution")));
    }
    if !same_ratio(&prev.beta_g1, &cur.beta_g1, &sp[2], &k.beta.g2_spx) {
        return Err(invalid(format!("contribution #{n}: beta*G1 does not follow the previous contribution")));
    }
    if !same_ratio(&k.beta.g1_s, &k.beta.g1_sx, &prev.beta_g2, &cur.beta_g2) {
        return Err(invalid(format!("contribution #{n}: beta*G2 does not follow the previous contribution")));
    }
    Ok(())
}

fn random_u64s(rng: &mut ChaChaRng, n: usize) -> Vec<Fr> {
    (0..n).map(|_| Fr::from(rng.next_u64())).collect()
}

/// Checks every point of a section (G2 also in the subgroup).
fn check_section(ptau: &Ptau, sec: u32, bytes: &[u8], group: Group) -> Result<()> {
    crate::phase1::contribute::check_points(bytes, group, ptau, sec, 0)
}

/// The other group's τ point a power section is checked against.
#[derive(Clone, Copy)]
enum Tau {
    /// A G1 section: consecutive points in ratio τ·G2 : G2.
    G2(G2Affine),
    /// A G2 section: consecutive points in ratio τ·G1 : G1.
    G1(G1Affine),
}

/// Whether e(λ·a, τ) · e(f, 1) = 1, the pairings taken with the other group's points.
fn pairing_product(tau: Tau, lambda_a: Projective, f: Projective) -> Result<bool> {
    use ark_ec::pairing::Pairing;
    use ark_ff::One;
    Ok(match (tau, lambda_a, f) {
        (Tau::G2(t), Projective::G1(a), Projective::G1(f)) => {
            ark_bn254::Bn254::multi_pairing([a.into_affine(), f.into_affine()], [t, G2Affine::generator()]).0.is_one()
        }
        (Tau::G1(t), Projective::G2(a), Projective::G2(f)) => {
            ark_bn254::Bn254::multi_pairing([t, G1Affine::generator()], [a.into_affine(), f.into_affine()]).0.is_one()
        }
        _ => return Err(invalid("internal: mixed groups in a pairing check")),
    })
}

/// Whether the shifted combinations A = Σ r_j P_j and B = Σ r_j P_{j+1} are in ratio τ.
fn ratio_holds(tau: Tau, a: Projective, b: Projective) -> Result<bool> {
    Ok(match (tau, a, b) {
        (Tau::G2(t), Projective::G1(a), Projective::G1(b)) => {
            same_ratio(&a.into_affine(), &b.into_affine(), &G2Affine::generator(), &t)
        }
        (Tau::G1(t), Projective::G2(a), Projective::G2(b)) => {
            same_ratio(&G1Affine::generator(), &t, &a.into_affine(), &b.into_affine())
        }
        _ => return Err(invalid("internal: mixed groups in a pairing check")),
    })
}

/// What a power section's check found wrong.
#[derive(Debug, PartialEq)]
enum Fault {
    /// Consecutive points are not in ratio τ.
    Powers,
    /// Some Lagrange level is not the inverse FFT of the powers.
    Lagrange,
}

/// The random coefficients of a Lagrange check over levels 0..=top: s over every Lagrange
/// point (64-bit), and c over the first `have` base points with Σ_j s_j·L_j = Σ_i c_i·base_i
/// when every level is right: c = Σ_k iDFT_k(s^(k)) (level k is the inverse DFT of the first
/// 2^k base points; the base points past `have` are the identity).
fn level_coefficients(have: usize, top: u32, rng: &mut ChaChaRng) -> Result<(Vec<Fr>, Vec<Fr>)> {
    let total = (1usize << (top + 1)) - 1;
    let s = random_u64s(rng, total);
    let inverses: Vec<Fr> = (0..=top)
        .map(|k| Fr::from(1u64 << k).inverse().ok_or_else(|| invalid("internal: 1/2^k")))
        .collect::<Result<_>>()?;
    // The levels' transforms are independent; the top one is half the work.
    let levels: Vec<Vec<Fr>> = (0..=top)
        .into_par_iter()
        .map(|k| {
            let m = 1usize << k;
            let mut v = s[m - 1..2 * m - 1].to_vec();
            fft(&mut v, k);
            v
        })
        .collect();
    let mut c = vec![Fr::from(0u64); have];
    c.par_iter_mut().enumerate().for_each(|(i, ci)| {
        for (k, v) in levels.iter().enumerate() {
            let m = v.len();
            if i < m {
                // iDFT(s)_i = (1/m)·DFT(s)_{(m − i) mod m}.
                *ci += v[(m - i) % m] * inverses[k];
            }
        }
    });
    Ok((c, s))
}

/// Checks that consecutive points of a power section are in ratio τ (one pairing of the
/// shifted random combinations A = Σ r_j P_j and B = Σ r_j P_{j+1}) and, given its Lagrange
/// section and top level, that every level is the inverse FFT of the powers. Both go into one
/// pairing product with a random 64-bit λ: e(λ·A, τ) · e(−λ·B − Σ c_i·P_i + Σ s_j·L_j, 1) = 1,
/// where the middle terms share one MSM over the powers. A wrong section passes with
/// probability at most 3·2^-64 (the r, the s and the λ each fail to expose it with probability
/// at most 2^-64). Only on failure is B computed alone, to say which check failed.
fn check_powers(
    backend: &dyn Backend,
    powers: &[u8],
    group: Group,
    tau: Tau,
    lagrange: Option<(&[u8], u32)>,
    rng: &mut ChaChaRng,
) -> Result<Option<Fault>> {
    let size = group.point_size();
    let m = powers.len() / size;
    let total = lagrange.map_or(0, |(_, top)| (1usize << (top + 1)) - 1);
    if lagrange.is_some_and(|(l, _)| l.len() < total * size) {
        return Ok(Some(Fault::Lagrange));
    }
    if m < 2 {
        // One point: no ratio to check, only the Lagrange levels.
        let Some((lagrange, top)) = lagrange else { return Ok(None) };
        let (c, s) = level_coefficients(m.min(1 << top), top, rng)?;
        let lhs = backend.msm(&powers[..c.len() * size], group, &c)?;
        let rhs = backend.msm(&lagrange[..total * size], group, &s)?;
        return Ok((lhs != rhs).then_some(Fault::Lagrange));
    }
    let r = random_u64s(rng, m - 1);
    let a = backend.msm(&powers[..(m - 1) * size], group, &r)?;
    if a.is_zero() {
        return Ok(Some(Fault::Powers));
    }
    let Some((lagrange, top)) = lagrange else {
        let b = backend.msm(&powers[size..], group, &r)?;
        return Ok((!ratio_holds(tau, a, b)?).then_some(Fault::Powers));
    };
    let have = m.min(1 << top);
    let (c, s) = level_coefficients(have, top, rng)?;
    let lambda = Fr::from(rng.next_u64().max(1));
    let mut f = vec![Fr::from(0u64); m];
    f.par_iter_mut().enumerate().for_each(|(j, fj)| {
        if j > 0 {
            *fj = -(lambda * r[j - 1]);
        }
        if j < have {
            *fj -= c[j];
        }
    });
    let sum = backend.msm(powers, group, &f)?.plus(&backend.msm(&lagrange[..total * size], group, &s)?)?;
    if pairing_product(tau, a.scale(&lambda), sum)? {
        return Ok(None);
    }
    let b = backend.msm(&powers[size..], group, &r)?;
    Ok(Some(if ratio_holds(tau, a, b)? { Fault::Lagrange } else { Fault::Powers }))
}

/// Checks one Lagrange level: Σ r_i·base_i = Σ FFT(r)_i·L_i.
fn check_level(
    backend: &dyn Backend,
    base: &[u8],
    lagrange: &[u8],
    group: Group,
    k: u32,
    rng: &mut ChaChaRng,
) -> Result<bool> {
    let n = 1usize << k;
    let size = group.point_size();
    let have = base.len() / size;
    let mut r = random_u64s(rng, n);
    // The top level of section 12 is padded with the identity, which r may ignore.
    for x in r.iter_mut().skip(have) {
        *x = Fr::from(0u64);
    }
    let lhs = backend.msm(base, group, &r[..have])?;
    fft(&mut r, k);
    let rhs = backend.msm(lagrange, group, &r)?;
    Ok(lhs == rhs)
}

/// The error for a Lagrange section some level of which is wrong, naming the first such level.
#[allow(clippy::too_many_arguments)]
fn lagrange_fault(
    ptau: &Ptau,
    backend: &dyn Backend,
    src: u32,
    dst: u32,
    all: &[u8],
    group: Group,
    top: u32,
    rng: &mut ChaChaRng,
) -> Result<Error> {
    let size = group.point_size();
    let src_len = ptau.file.section(src)?.size as usize / size;
    for k in 0..=top {
        let m = 1usize << k;
        let base = ptau.points_raw(src, 0, m.min(src_len) as u64)?;
        let Some(l) = all.get((m - 1) * size..(2 * m - 1) * size) else { break };
        if !check_level(backend, &base, l, group, k, rng)? {
            return Ok(invalid(format!(
                "Lagrange section {dst}, level {k}: the points are not the inverse FFT of section {src}"
            )));
        }
    }
    Ok(invalid(format!("Lagrange section {dst}: the points are not the inverse FFTs of section {src}")))
}

/// `ptau verify <file>`.
pub fn verify_ptau(path: &Path, backend: &dyn Backend) -> Result<PtauReport> {
    let t0 = Instant::now();
    let ptau = Ptau::open(path)?;
    verify_opened(&ptau, backend, t0)
}

/// Every check of `ptau verify` on an opened file.
pub fn verify_opened(ptau: &Ptau, backend: &dyn Backend, t0: Instant) -> Result<PtauReport> {
    let cs = ptau.contributions()?;
    if cs.is_empty() {
        return Err(invalid("this file has no contribution: it cannot be used in production"));
    }
    let initial = Tip {
        tau_g1: G1Affine::generator(),
        tau_g2: G2Affine::generator(),
        alpha_g1: G1Affine::generator(),
        beta_g1: G1Affine::generator(),
        beta_g2: G2Affine::generator(),
        next_challenge: first_challenge_hash(ptau.ceremony_power),
    };
    let pb = progress::bar(cs.len() as u64 + 8, "verifying");
    let mut infos = Vec::new();
    for (i, c) in cs.iter().enumerate() {
        let prev = if i == 0 { &initial } else { &tip(&cs[i - 1]) };
        verify_contribution(i + 1, c, prev)?;
        let rh = response_hash(c)?;
        infos.push(PtauContributionInfo {
            index: i + 1,
            name: c.params.name.clone(),
            response_hash: hex::encode(rh),
            challenge: hex::encode(prev.next_challenge),
            beacon_hash: c.params.beacon_hash.as_ref().map(hex::encode),
            beacon_exp: c.params.beacon_exp,
            response_bytes: rh,
        });
        pb.inc(1);
    }
    let last = cs.last().expect("non-empty");
    let n = 1usize << ptau.power;
    // Fresh OS randomness for the random linear combinations.
    let mut rng = crate::crypto::entropy::random_rng(&[])?;
    let mut hasher = NobleBlake2b::new();
    hasher.update(&response_hash(last)?);

    let s2 = ptau.points_raw(section::TAU_G1, 0, 2 * n as u64 - 1)?;
    check_section(ptau, section::TAU_G1, &s2, Group::G1)?;
    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    if g1_from_lem_unchecked(&s2[..64]).ok() != Some(g1) {
        return Err(invalid("the first point of the tauG1 section (section 2) must be the generator"));
    }
    if g1_from_lem_unchecked(&s2[64..128]).ok() != Some(last.tau_g1) {
        return Err(invalid("the second point of the tauG1 section (section 2) does not match the last contribution"));
    }
    hasher.update(&encode_points(&s2, Group::G1, false));
    pb.inc(1);

    let s3 = ptau.points_raw(section::TAU_G2, 0, n as u64)?;
    check_section(ptau, section::TAU_G2, &s3, Group::G2)?;
    if g2_from_lem_on_curve(&s3[..128]).ok() != Some(g2) {
        return Err(invalid("the first point of the tauG2 section (section 3) must be the generator"));
    }
    if n > 1 && g2_from_lem_on_curve(&s3[128..256]).ok() != Some(last.tau_g2) {
        return Err(invalid("the second point of the tauG2 section (section 3) does not match the last contribution"));
    }
    hasher.update(&encode_points(&s3, Group::G2, false));
    pb.inc(1);

    let mut scaled = Vec::new();
    for (sec, first, name) in
        [(section::ALPHA_TAU_G1, last.alpha_g1, "alphaTauG1"), (section::BETA_TAU_G1, last.beta_g1, "betaTauG1")]
    {
        let s = ptau.points_raw(sec, 0, n as u64)?;
        check_section(ptau, sec, &s, Group::G1)?;
        if g1_from_lem_unchecked(&s[..64]).ok() != Some(first) {
            return Err(invalid(format!(
                "the first point of the {name} section (section {sec}) does not match the last contribution"
            )));
        }
        hasher.update(&encode_points(&s, Group::G1, false));
        scaled.push(s);
        pb.inc(1);
    }
    let s6 = ptau.points_raw(section::BETA_G2, 0, 1)?;
    check_section(ptau, section::BETA_G2, &s6, Group::G2)?;
    if g2_from_lem_on_curve(&s6).ok() != Some(last.beta_g2) {
        return Err(invalid("betaG2 (section 6) does not match the last contribution"));
    }
    hasher.update(&encode_points(&s6, Group::G2, false));
    let next_challenge = hasher.finalize();

    // The powers of each section, with its Lagrange levels when the file is prepared.
    let prepared = ptau.is_prepared();
    let (tau1, tau2) = (Tau::G2(last.tau_g2), Tau::G1(last.tau_g1));
    let checks = [
        (section::TAU_G1, &s2, Group::G1, tau1, "tauG1", section::LAGRANGE_G1, ptau.power + 1),
        (section::TAU_G2, &s3, Group::G2, tau2, "tauG2", section::LAGRANGE_G2, ptau.power),
        (section::ALPHA_TAU_G1, &scaled[0], Group::G1, tau1, "alphaTauG1", section::LAGRANGE_ALPHA_G1, ptau.power),
        (section::BETA_TAU_G1, &scaled[1], Group::G1, tau1, "betaTauG1", section::LAGRANGE_BETA_G1, ptau.power),
    ];
    for (src, powers, group, tau, name, dst, top) in checks {
        let lagrange = if prepared {
            let all = ptau.file.read_section(dst)?;
            check_section(ptau, dst, &all, group)?;
            Some(all)
        } else {
            None
        };
        match check_powers(backend, powers, group, tau, lagrange.as_deref().map(|l| (l, top)), &mut rng)? {
            None => {}
            Some(Fault::Powers) => {
                return Err(invalid(format!("{name} section (section {src}): the powers do not match")));
            }
            Some(Fault::Lagrange) => {
                let all = lagrange.as_deref().unwrap_or_default();
                return Err(lagrange_fault(ptau, backend, src, dst, all, group, top, &mut rng)?);
            }
        }
        pb.inc(1);
    }
    if ptau.power == ptau.ceremony_power && next_challenge != last.next_challenge {
        return Err(invalid("the hash of the points does not match the next challenge of the last contribution"));
    }
    pb.finish_and_clear();
    Ok(PtauReport {
        power: ptau.power,
        contributions: infos,
        next_challenge,
        prepared,
        seconds: t0.elapsed().as_secs_f64(),
    })
}

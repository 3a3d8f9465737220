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
use super::point_sections;
use crate::backend::{Backend, Group, Projective};
use crate::crypto::beacon::beacon_rng;
use crate::crypto::blake2b_state::NobleBlake2b;
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::fft::{cancel_last_input, fft};
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

/// Points read at a time while a section streams through the checks (64 MiB of G1 points).
const RUN_POINTS: u64 = 1 << 20;

/// A file's sections read in runs of points and fed to a backend.
struct Stream<'a> {
    ptau: &'a Ptau,
    backend: &'a dyn Backend,
    /// Points per read.
    run: u64,
}

impl Stream<'_> {
    /// Calls `f(first, bytes)` on consecutive runs of points `start..start + count` of section `sec`.
    fn for_each_run(
        &self,
        sec: u32,
        start: u64,
        count: u64,
        mut f: impl FnMut(u64, &[u8]) -> Result<()>,
    ) -> Result<()> {
        let end = start + count;
        let mut lo = start;
        while lo < end {
            let hi = (lo + self.run).min(end);
            f(lo, &self.ptau.points_raw(sec, lo, hi - lo)?)?;
            lo = hi;
        }
        Ok(())
    }

    /// Σ coeffs_i · P_(start + i) over section `sec`.
    fn msm(&self, sec: u32, group: Group, start: u64, coeffs: &[Fr]) -> Result<Projective> {
        let mut acc = Projective::zero(group);
        self.for_each_run(sec, start, coeffs.len() as u64, |lo, bytes| {
            let i = (lo - start) as usize;
            let part = self.backend.msm(bytes, group, &coeffs[i..i + bytes.len() / group.point_size()])?;
            acc = acc.plus(&part)?;
            Ok(())
        })?;
        Ok(acc)
    }

    /// Checks every point of a run of section `sec` starting at point `first`.
    fn check(&self, bytes: &[u8], group: Group, sec: u32, first: u64) -> Result<()> {
        crate::phase1::contribute::check_points(bytes, group, self.ptau, sec, first)
    }
}

/// A stream of random 64-bit coefficients that a seed can draw again, so a section's
/// coefficients never need to be held all at once.
struct Draws(ChaChaRng);

impl Draws {
    fn new(seed: [u32; 8]) -> Self {
        Draws(ChaChaRng::new(seed))
    }

    fn next(&mut self) -> Fr {
        Fr::from(self.0.next_u64())
    }

    fn take(&mut self, n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn draw_seed(rng: &mut ChaChaRng) -> [u32; 8] {
    std::array::from_fn(|_| rng.next_u32())
}

fn random_u64s(rng: &mut ChaChaRng, n: usize) -> Vec<Fr> {
    Draws::new(draw_seed(rng)).take(n)
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

/// The random coefficients of a Lagrange check over levels 0..=top: s over every Lagrange point
/// (64-bit, drawn from `seed` in the section's order, level 0 first), and c over the base points
/// with Σ_j s_j·L_j = Σ_i c_i·base_i when every level is right.
///
/// With `free_last` the top level's last base point is not in the file (section 12's top level
/// has 2^top inputs, section 2 one fewer): `prepare-phase2` takes it as the identity, but
/// `powersoftau truncate` cuts files whose top level was computed with τ^(2^top − 1) there. The
/// top level's first s is then set so that that point's c, (1/m)·Σ_j s_j·ω^j, is zero, and either
/// file passes: the check then tests the level modulo that one point's contribution, with the
/// other s still 64-bit random (snarkjs's `verify` leaves that point out the same way).
struct Levels {
    seed: [u32; 8],
    top: u32,
    free_last: bool,
}

impl Levels {
    /// The s of level k (the 2^k draws after those of the levels below it).
    fn level(&self, k: u32) -> Vec<Fr> {
        let mut d = Draws::new(self.seed);
        for _ in 0..(1u64 << k) - 1 {
            d.next();
        }
        let mut v = d.take(1 << k);
        if k == self.top && self.free_last {
            cancel_last_input(&mut v, k);
        }
        v
    }

    /// iDFT_k(s^(k)), added into `acc` (of length ≥ 2^k).
    fn add_inverse_dft(&self, k: u32, acc: &mut [Fr]) -> Result<()> {
        let m = 1usize << k;
        let mut v = self.level(k);
        fft(&mut v, k);
        let inv = Fr::from(m as u64).inverse().ok_or_else(|| invalid("internal: 1/2^k"))?;
        // iDFT(s)_i = (1/m)·DFT(s)_{(m − i) mod m}.
        acc[..m].par_iter_mut().enumerate().for_each(|(i, a)| *a += v[(m - i) % m] * inv);
        Ok(())
    }

    /// c = Σ_k iDFT_k(s^(k)) over the first `have` base points (level k is the inverse DFT of
    /// the first 2^k base points; the base points past `have` are the identity). The top level,
    /// half the work, is transformed in place beside the others, so this holds about 1.5 × 2^top
    /// coefficients.
    fn base_coefficients(&self, have: usize) -> Result<Vec<Fr>> {
        let top = self.top;
        let (c, low) = rayon::join(
            || -> Result<Vec<Fr>> {
                let m = 1usize << top;
                let mut v = self.level(top);
                fft(&mut v, top);
                v[1..].reverse();
                let inv = Fr::from(m as u64).inverse().ok_or_else(|| invalid("internal: 1/2^k"))?;
                v.par_iter_mut().for_each(|x| *x *= inv);
                Ok(v)
            },
            || -> Result<Vec<Fr>> {
                let mut acc = vec![Fr::from(0u64); (1usize << top) / 2];
                for k in 0..top {
                    self.add_inverse_dft(k, &mut acc)?;
                }
                Ok(acc)
            },
        );
        let (mut c, low) = (c?, low?);
        c.par_iter_mut().zip(low.par_iter()).for_each(|(x, y)| *x += y);
        c.truncate(have);
        Ok(c)
    }
}

/// A power section and what its check needs.
struct PowerSection {
    src: u32,
    group: Group,
    count: u64,
    tau: Tau,
    name: &'static str,
    /// The Lagrange section and its top level, in a prepared file.
    lagrange: Option<(u32, u32)>,
}

/// Streams a power section once: checks every point and the first ones (`heads`), feeds the
/// hash, and checks that consecutive points are in ratio τ (one pairing of the shifted random
/// combinations A = Σ r_j P_j and B = Σ r_j P_{j+1}) and, with its Lagrange section, that every
/// level is the inverse FFT of the powers. Both go into one pairing product with a random 64-bit
/// λ: e(λ·A, τ) · e(−λ·B − Σ c_i·P_i + Σ s_j·L_j, 1) = 1, where the middle terms share one MSM
/// over the powers. A wrong section passes with probability at most 3·2^-64 (the r, the s and
/// the λ each fail to expose it with probability at most 2^-64). Only on failure is B computed
/// alone, to say which check failed.
fn check_power_section(
    st: &Stream,
    sec: &PowerSection,
    heads: impl FnOnce(&[u8]) -> Result<()>,
    hasher: &mut NobleBlake2b,
    rng: &mut ChaChaRng,
) -> Result<Option<Fault>> {
    let (group, m) = (sec.group, sec.count);
    let r_seed = draw_seed(rng);
    let lambda = Fr::from(rng.next_u64().max(1));
    let levels = sec.lagrange.map(|(_, top)| Levels { seed: draw_seed(rng), top, free_last: m < 1 << top });
    let c = match &levels {
        Some(l) => l.base_coefficients(m.min(1 << l.top) as usize)?,
        None => Vec::new(),
    };
    let zero = Fr::from(0u64);
    let mut r = Draws::new(r_seed);
    let mut r_before = zero;
    let mut heads = Some(heads);
    // A, and F = −λ·B − Σ c_i·P_i (+ Σ s_j·L_j below), or B alone without Lagrange levels.
    let (mut a, mut f) = (Projective::zero(group), Projective::zero(group));
    st.for_each_run(sec.src, 0, m, |lo, bytes| {
        st.check(bytes, group, sec.src, lo)?;
        if let Some(h) = heads.take() {
            h(bytes)?;
        }
        hasher.update(&encode_points(bytes, group, false));
        let n = bytes.len() / group.point_size();
        // r_j for the points of this run; A stops one point short of the end.
        let rs: Vec<Fr> = (lo..lo + n as u64).map(|j| if j + 1 < m { r.next() } else { zero }).collect();
        let shifted = |i: usize| if i == 0 { r_before } else { rs[i - 1] };
        let fs: Vec<Fr> = if levels.is_none() {
            (0..n).map(shifted).collect()
        } else {
            let c = |i: usize| c.get(lo as usize + i).copied().unwrap_or(zero);
            (0..n).into_par_iter().map(|i| -(lambda * shifted(i)) - c(i)).collect()
        };
        r_before = rs[n - 1];
        a = a.plus(&st.backend.msm(bytes, group, &rs)?)?;
        f = f.plus(&st.backend.msm(bytes, group, &fs)?)?;
        Ok(())
    })?;
    drop(c);
    let (Some((dst, top)), Some(levels)) = (sec.lagrange, levels) else {
        return Ok((m >= 2 && (a.is_zero() || !ratio_holds(sec.tau, a, f)?)).then_some(Fault::Powers));
    };
    let mut s = Draws::new(levels.seed);
    // The top level's first s, where `free_last` sets it (the point before it ends level top − 1).
    let top_first = levels.free_last.then(|| ((1u64 << top) - 1, levels.level(top)[0]));
    st.for_each_run(dst, 0, (1u64 << (top + 1)) - 1, |lo, bytes| {
        st.check(bytes, group, dst, lo)?;
        let size = group.point_size();
        let mut sv = s.take(bytes.len() / size);
        // That one full-width s goes into an MSM of its own, so the run's stays 64-bit.
        if let Some((at, v)) = top_first.filter(|(at, _)| (lo..lo + sv.len() as u64).contains(at)) {
            let i = (at - lo) as usize;
            sv[i] = Fr::from(0u64);
            f = f.plus(&st.backend.msm(&bytes[i * size..(i + 1) * size], group, &[v])?)?;
        }
        f = f.plus(&st.backend.msm(bytes, group, &sv)?)?;
        Ok(())
    })?;
    if m < 2 {
        // One point: no ratio to check, only the Lagrange levels.
        return Ok((!f.is_zero()).then_some(Fault::Lagrange));
    }
    if a.is_zero() {
        return Ok(Some(Fault::Powers));
    }
    if pairing_product(sec.tau, a.scale(&lambda), f)? {
        return Ok(None);
    }
    let mut r = Draws::new(r_seed);
    let mut b = Projective::zero(group);
    st.for_each_run(sec.src, 1, m - 1, |_, bytes| {
        b = b.plus(&st.backend.msm(bytes, group, &r.take(bytes.len() / group.point_size()))?)?;
        Ok(())
    })?;
    Ok(Some(if ratio_holds(sec.tau, a, b)? { Fault::Lagrange } else { Fault::Powers }))
}

/// Checks one Lagrange level: Σ r_i·base_i = Σ FFT(r)_i·L_i.
fn check_level(st: &Stream, sec: &PowerSection, dst: u32, k: u32, rng: &mut ChaChaRng) -> Result<bool> {
    let n = 1usize << k;
    let have = n.min(sec.count as usize);
    let mut r = random_u64s(rng, n);
    // The top level of section 12 is padded with the identity, which r may ignore.
    for x in r.iter_mut().skip(have) {
        *x = Fr::from(0u64);
    }
    let lhs = st.msm(sec.src, sec.group, 0, &r[..have])?;
    fft(&mut r, k);
    let rhs = st.msm(dst, sec.group, n as u64 - 1, &r)?;
    Ok(lhs == rhs)
}

/// The error for a Lagrange section some level of which is wrong, naming the first such level.
fn lagrange_fault(st: &Stream, sec: &PowerSection, rng: &mut ChaChaRng) -> Result<Error> {
    let (src, Some((dst, top))) = (sec.src, sec.lagrange) else {
        return Err(invalid("internal: a Lagrange fault without a Lagrange section"));
    };
    for k in 0..=top {
        if !check_level(st, sec, dst, k, rng)? {
            return Ok(invalid(format!(
                "Lagrange section {dst}, level {k}: the points are not the inverse FFT of section {src}"
            )));
        }
    }
    Ok(invalid(format!("Lagrange section {dst}: the points are not the inverse FFTs of section {src}")))
}

/// Checks the first points of a power section, which the last contribution's record fixes.
fn check_heads(src: u32, bytes: &[u8], last: &PtauContribution) -> Result<()> {
    let g1 = |i: usize| bytes.get(64 * i..64 * (i + 1)).map(|b| g1_from_lem_unchecked(b).ok());
    let g2 = |i: usize| bytes.get(128 * i..128 * (i + 1)).map(|b| g2_from_lem_on_curve(b).ok());
    let first_g1 = |want: G1Affine, name: &str, whose: &str| match g1(0) {
        Some(got) if got != Some(want) => {
            Err(invalid(format!("the first point of the {name} section (section {src}) {whose}")))
        }
        _ => Ok(()),
    };
    match src {
        section::TAU_G1 => {
            first_g1(G1Affine::generator(), "tauG1", "must be the generator")?;
            if matches!(g1(1), Some(got) if got != Some(last.tau_g1)) {
                return Err(invalid(
                    "the second point of the tauG1 section (section 2) does not match the last contribution",
                ));
            }
        }
        section::TAU_G2 => {
            if matches!(g2(0), Some(got) if got != Some(G2Affine::generator())) {
                return Err(invalid("the first point of the tauG2 section (section 3) must be the generator"));
            }
            if matches!(g2(1), Some(got) if got != Some(last.tau_g2)) {
                return Err(invalid(
                    "the second point of the tauG2 section (section 3) does not match the last contribution",
                ));
            }
        }
        section::ALPHA_TAU_G1 => first_g1(last.alpha_g1, "alphaTauG1", "does not match the last contribution")?,
        section::BETA_TAU_G1 => first_g1(last.beta_g1, "betaTauG1", "does not match the last contribution")?,
        _ => {}
    }
    Ok(())
}

/// `ptau verify <file>`.
pub fn verify_ptau(path: &Path, backend: &dyn Backend) -> Result<PtauReport> {
    let t0 = Instant::now();
    let ptau = Ptau::open(path)?;
    verify_opened(&ptau, backend, t0)
}

/// Every check of `ptau verify` on an opened file.
pub fn verify_opened(ptau: &Ptau, backend: &dyn Backend, t0: Instant) -> Result<PtauReport> {
    verify_in_runs(&Stream { ptau, backend, run: RUN_POINTS }, t0)
}

/// `verify_opened` reading `st.run` points at a time, so that what is held is a run of points
/// and one section's coefficients (32 bytes a point, against the 64 or 128 of the point itself
/// and its Lagrange levels).
fn verify_in_runs(st: &Stream, t0: Instant) -> Result<PtauReport> {
    let ptau = st.ptau;
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
    let pb = progress::bar(cs.len() as u64 + 5, "verifying");
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
    // Fresh OS randomness for the random linear combinations.
    let mut rng = crate::crypto::entropy::random_rng(&[])?;
    let mut hasher = NobleBlake2b::new();
    hasher.update(&response_hash(last)?);

    // The powers of each section, with its Lagrange levels when the file is prepared, in file
    // order so that the hash sees them as snarkjs's does.
    let prepared = ptau.is_prepared();
    let (tau1, tau2) = (Tau::G2(last.tau_g2), Tau::G1(last.tau_g1));
    let p = ptau.power;
    let checks = [
        (tau1, "tauG1", section::LAGRANGE_G1, p + 1),
        (tau2, "tauG2", section::LAGRANGE_G2, p),
        (tau1, "alphaTauG1", section::LAGRANGE_ALPHA_G1, p),
        (tau1, "betaTauG1", section::LAGRANGE_BETA_G1, p),
    ];
    for ((src, group, count), (tau, name, dst, top)) in point_sections(p).into_iter().zip(checks) {
        let sec = PowerSection { src, group, count: count as u64, tau, name, lagrange: prepared.then_some((dst, top)) };
        let heads = |bytes: &[u8]| check_heads(src, bytes, last);
        match check_power_section(st, &sec, heads, &mut hasher, &mut rng)? {
            None => {}
            Some(Fault::Powers) => {
                return Err(invalid(format!("{} section (section {src}): the powers do not match", sec.name)));
            }
            Some(Fault::Lagrange) => return Err(lagrange_fault(st, &sec, &mut rng)?),
        }
        pb.inc(1);
    }
    let s6 = ptau.points_raw(section::BETA_G2, 0, 1)?;
    st.check(&s6, Group::G2, section::BETA_G2, 0)?;
    if g2_from_lem_on_curve(&s6).ok() != Some(last.beta_g2) {
        return Err(invalid("betaG2 (section 6) does not match the last contribution"));
    }
    hasher.update(&encode_points(&s6, Group::G2, false));
    let next_challenge = hasher.finalize();
    pb.inc(1);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::CpuBackend;
    use crate::crypto::fft::root_of_unity;

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pot10_final.ptau")
    }

    fn verify_runs(path: &Path, run: u64) -> Result<PtauReport> {
        let ptau = Ptau::open(path)?;
        verify_in_runs(&Stream { ptau: &ptau, backend: &CpuBackend, run }, Instant::now())
    }

    /// A copy of the fixture with points `i` and `j` of section `sec` swapped.
    fn swapped(dir: &Path, sec: u32, size: usize, i: usize, j: usize) -> std::path::PathBuf {
        let src = fixture();
        let at = Ptau::open(&src).unwrap().file.section(sec).unwrap().offset as usize;
        let mut b = std::fs::read(&src).unwrap();
        let (pi, pj) = (at + i * size, at + j * size);
        let pj_bytes = b[pj..pj + size].to_vec();
        b.copy_within(pi..pi + size, pj);
        b[pi..pi + size].copy_from_slice(&pj_bytes);
        let out = dir.join(format!("s{sec}_{i}_{j}.ptau"));
        std::fs::write(&out, b).unwrap();
        out
    }

    /// A copy of the fixture with section 12's top level (level 11, 2048 points) replaced by
    /// `level(i, point)`.
    fn with_top_level(dir: &Path, name: &str, level: impl Fn(usize, G1Affine) -> G1Affine) -> std::path::PathBuf {
        use crate::format::points::{g1_from_lem, g1_to_lem};
        let src = fixture();
        let at = Ptau::open(&src).unwrap().file.section(section::LAGRANGE_G1).unwrap().offset as usize + 2047 * 64;
        let mut b = std::fs::read(&src).unwrap();
        for (i, p) in b[at..at + 2048 * 64].chunks_mut(64).enumerate() {
            let q = level(i, g1_from_lem(p).unwrap());
            p.copy_from_slice(&g1_to_lem(&q));
        }
        let out = dir.join(name);
        std::fs::write(&out, b).unwrap();
        out
    }

    #[test]
    fn the_missing_input_of_section_12s_top_level_may_be_any_point() {
        // Section 2 has 2047 points, the top level 2048 inputs: with some X in place of the
        // identity as the last input (as in files `powersoftau truncate` cut from a bigger power,
        // where it is τ^2047), every point changes by X·ω^i/2048, and the file still verifies.
        let dir = tempfile::tempdir().unwrap();
        let x = (G1Affine::generator() * Fr::from(987654321u64)).into_affine();
        let w = root_of_unity(11);
        let m_inv = Fr::from(2048u64).inverse().unwrap();
        let shifted =
            with_top_level(dir.path(), "shifted.ptau", |i, p| (p + x * (w.pow([i as u64]) * m_inv)).into_affine());
        for run in [100, RUN_POINTS] {
            verify_runs(&shifted, run).unwrap();
        }
        // Any other change of the top level is still caught: its first point (whose s the
        // check sets), its last one, or the same shift with one point left out.
        let g = G1Affine::generator();
        let cases = [("first.ptau", 0usize, false), ("last.ptau", 2047, false), ("all_but_one.ptau", 5, true)];
        for (name, at, shift_others) in cases {
            let f = with_top_level(dir.path(), name, |i, p| match (i == at, shift_others) {
                (true, false) => (p + g).into_affine(),
                (false, true) => (p + x * (w.pow([i as u64]) * m_inv)).into_affine(),
                _ => p,
            });
            for run in [100, RUN_POINTS] {
                let err = verify_runs(&f, run).unwrap_err().to_string();
                assert!(err.contains("Lagrange section 12, level 11"), "{name}, run {run}: {err}");
            }
        }
    }

    #[test]
    fn runs_of_any_length_give_the_same_verdict_and_hash() {
        let whole = verify_runs(&fixture(), RUN_POINTS).unwrap();
        for run in [1, 100, 1024] {
            let r = verify_runs(&fixture(), run).unwrap();
            assert_eq!(r.next_challenge, whole.next_challenge, "run of {run} points");
            assert!(r.prepared);
        }
    }

    #[test]
    fn faults_across_run_boundaries_are_found() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (section::TAU_G1, 64, 99, 100, "tauG1 section (section 2): the powers do not match"),
            (section::TAU_G2, 128, 199, 200, "tauG2 section (section 3): the powers do not match"),
            (section::BETA_TAU_G1, 64, 1022, 1023, "betaTauG1 section (section 5): the powers do not match"),
            (section::LAGRANGE_G1, 64, 599, 600, "Lagrange section 12, level 9"),
            (section::LAGRANGE_G1, 64, 3000, 3001, "Lagrange section 12, level 11"),
            (section::LAGRANGE_ALPHA_G1, 64, 1099, 1100, "Lagrange section 14, level 10"),
        ];
        for (sec, size, i, j, want) in cases {
            let f = swapped(dir.path(), sec, size, i, j);
            let err = verify_runs(&f, 100).unwrap_err().to_string();
            assert!(err.contains(want), "swap {i}/{j} of section {sec}: expected {want:?}, got {err:?}");
        }
    }
}

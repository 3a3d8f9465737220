//! `powersoftau prepare phase2`: appends the Lagrange sections 12–15 (reference §2.5, §7),
//! byte-identical to snarkjs.

use std::path::Path;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::Affine;
use ark_ff::Field;
use rayon::prelude::*;

use super::lagrange::{doubled, inverse_ffts_unscaled, via_backend, Codec};
use super::new::header_bytes;
use crate::backend::Backend;
use crate::error::{Error, PointFault, Result};
use crate::format::binfile::BinWriter;
use crate::format::points::{g1_from_lem, g2_from_lem_on_curve};
use crate::format::ptau::{section, Ptau};
use crate::format::subgroup::g2_first_outside;
use crate::progress;

/// Decodes and checks the first `n` points of a G1 section.
fn g1_points(ptau: &Ptau, sec: u32, n: u64) -> Result<Vec<ark_bn254::G1Affine>> {
    let at = ptau.file.location().section(sec);
    ptau.points_raw(sec, 0, n)?
        .par_chunks(64)
        .enumerate()
        .map(|(i, b)| g1_from_lem(b).map_err(|fault| Error::BadPoint { at: at.index(i as u64), fault }))
        .collect()
}

/// Decodes and checks the first `n` points of a G2 section.
fn g2_points(ptau: &Ptau, sec: u32, n: u64) -> Result<Vec<ark_bn254::G2Affine>> {
    let at = ptau.file.location().section(sec);
    let pts = ptau
        .points_raw(sec, 0, n)?
        .par_chunks(128)
        .enumerate()
        .map(|(i, b)| g2_from_lem_on_curve(b).map_err(|fault| Error::BadPoint { at: at.index(i as u64), fault }))
        .collect::<Result<Vec<_>>>()?;
    if let Some(i) = g2_first_outside(&pts) {
        return Err(Error::BadPoint { at: at.index(i as u64), fault: PointFault::NotInSubgroup });
    }
    Ok(pts)
}

/// Levels computed together: at most this many input points per group, so small levels share
/// backend batches while memory stays about one large level.
const GROUP_POINTS: usize = 1 << 16;

/// The Lagrange levels 0..=top of one section, concatenated as LEM bytes.
///
/// Level k is the inverse FFT of the first 2^k points, with its factor 1/2^k. The points are
/// scaled by 1/2^top once; level k's input is then 2^(top−k) times a prefix of that, by cheap
/// doublings, leaving the FFTs themselves unscaled.
fn levels<C: Codec>(
    backend: &dyn Backend,
    src: &[Affine<C>],
    top: u32,
    pb: &indicatif::ProgressBar,
) -> Result<Vec<u8>> {
    let size = C::GROUP.point_size();
    let n = 1usize << top;
    // The top level of section 12 has one point fewer than it needs: pad with the identity.
    let mut cur: Vec<Affine<C>> = src[..n.min(src.len())].to_vec();
    cur.resize(n, Affine::<C>::identity());
    let n_inv = Fr::from(n as u64).inverse().unwrap_or_default();
    via_backend(&mut cur, |c| backend.scale_fixed(c, &n_inv))?;
    let mut outs: Vec<Vec<u8>> = vec![Vec::new(); top as usize + 1];
    let mut group: Vec<(u32, Vec<Affine<C>>)> = Vec::new();
    let mut total = 0usize;
    let mut flush = |group: &mut Vec<(u32, Vec<Affine<C>>)>| -> Result<()> {
        let (ks, inputs): (Vec<u32>, Vec<Vec<Affine<C>>>) = std::mem::take(group).into_iter().unzip();
        for (k, l) in ks.into_iter().zip(inverse_ffts_unscaled(backend, inputs)?) {
            let mut bytes = vec![0u8; l.len() * size];
            bytes.par_chunks_mut(size).zip(l.par_iter()).for_each(|(b, p)| C::encode(p, b));
            pb.inc(l.len() as u64);
            outs[k as usize] = bytes;
        }
        Ok(())
    };
    for k in (0..=top).rev() {
        if k < top {
            cur = doubled(&cur[..1 << k]);
        }
        if total + (1 << k) > GROUP_POINTS && !group.is_empty() {
            flush(&mut group)?;
            total = 0;
        }
        group.push((k, cur.clone()));
        total += 1 << k;
    }
    flush(&mut group)?;
    Ok(outs.concat())
}

/// What preparation did.
#[derive(Debug, Clone)]
pub struct PrepareSummary {
    /// The ptau's power.
    pub power: u32,
    /// Lagrange points written.
    pub points: u64,
    /// Seconds in all.
    pub seconds: f64,
    /// The backend used.
    pub backend: String,
}

/// Reads `input`, writes `output` with the Lagrange sections (11 sections in all).
pub fn prepare_phase2(input: &Path, output: &Path, backend: &dyn Backend) -> Result<PrepareSummary> {
    let t0 = Instant::now();
    let ptau = Ptau::open(input)?;
    let _ = ptau.contributions()?;
    // Section 6 (betaG2) is copied as it is: check it like the sections transformed below.
    g2_points(&ptau, section::BETA_G2, 1)?;
    let p = ptau.power;
    if p >= 28 {
        return Err(Error::Usage("power 28 files need the coset split of snarkjs's lagrangeEvaluations, which tauforge does not implement yet".into()));
    }
    let n = 1u64 << p;
    let total = (4 * n - 1) + 3 * (2 * n - 1);
    let pb = progress::bar(total, "Lagrange points");
    let tau_g1 = g1_points(&ptau, section::TAU_G1, 2 * n - 1)?;
    let s12 = levels(backend, &tau_g1, p + 1, &pb)?;
    drop(tau_g1);
    let tau_g2 = g2_points(&ptau, section::TAU_G2, n)?;
    let s13 = levels(backend, &tau_g2, p, &pb)?;
    drop(tau_g2);
    let alpha = g1_points(&ptau, section::ALPHA_TAU_G1, n)?;
    let s14 = levels(backend, &alpha, p, &pb)?;
    drop(alpha);
    let beta = g1_points(&ptau, section::BETA_TAU_G1, n)?;
    let s15 = levels(backend, &beta, p, &pb)?;
    pb.finish_and_clear();

    let mut w = BinWriter::create(output, b"ptau", 11)?;
    w.section(section::HEADER, &header_bytes(p, p))?;
    for id in [
        section::TAU_G1,
        section::TAU_G2,
        section::ALPHA_TAU_G1,
        section::BETA_TAU_G1,
        section::BETA_G2,
        section::CONTRIBUTIONS,
    ] {
        w.copy_section(&ptau.file, id)?;
    }
    w.section(section::LAGRANGE_G1, &s12)?;
    w.section(section::LAGRANGE_G2, &s13)?;
    w.section(section::LAGRANGE_ALPHA_G1, &s14)?;
    w.section(section::LAGRANGE_BETA_G1, &s15)?;
    w.finish()?;
    Ok(PrepareSummary { power: p, points: total, seconds: t0.elapsed().as_secs_f64(), backend: backend.name() })
}

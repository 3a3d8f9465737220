//! `powersoftau prepare phase2`: appends the Lagrange sections 12–15 (reference §2.5, §7),
//! byte-identical to snarkjs.

use std::path::Path;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::Affine;
use ark_ff::Field;
use rayon::prelude::*;

use super::lagrange::{doubled, inverse_ffts_unscaled, Codec};
use super::new::header_bytes;
use crate::backend::{Backend, PointChunk};
use crate::error::{Error, PointFault, Result};
use crate::format::binfile::BinWriter;
use crate::format::ptau::{section, Ptau};
use crate::progress;

/// Points read, checked and scaled per backend call while a section is loaded.
const RUN_POINTS: u64 = 1 << 18;

/// The first `count` points of section `sec`, checked (on the curve and, for G2, in the
/// subgroup), times `s`, padded with the identity to `n` points; read in runs of `run` points so
/// that only the result is held whole.
fn scaled_points<C: Codec>(
    (ptau, backend): (&Ptau, &dyn Backend),
    sec: u32,
    (count, n): (u64, usize),
    s: &Fr,
    run: u64,
) -> Result<Vec<Affine<C>>> {
    let at = ptau.file.location().section(sec);
    let size = C::GROUP.point_size();
    let mut out: Vec<Affine<C>> = Vec::with_capacity(n);
    let mut start = 0u64;
    while start < count {
        let len = run.max(1).min(count - start);
        let mut raw = ptau.points_raw(sec, start, len)?;
        let pts = raw
            .par_chunks(size)
            .enumerate()
            .map(|(i, b)| {
                C::decode_checked(b).map_err(|fault| Error::BadPoint { at: at.index(start + i as u64), fault })
            })
            .collect::<Result<Vec<_>>>()?;
        if let Some(i) = C::first_outside_subgroup(&pts) {
            return Err(Error::BadPoint { at: at.index(start + i as u64), fault: PointFault::NotInSubgroup });
        }
        drop(pts);
        backend.scale_fixed(PointChunk { group: C::GROUP, bytes: &mut raw }, s)?;
        out.par_extend(raw.par_chunks(size).map(C::decode));
        start += len;
    }
    // The top level of section 12 has one point fewer than it needs.
    out.resize(n, Affine::<C>::identity());
    Ok(out)
}

/// Levels computed together: at most this many input points per group, so small levels share
/// backend batches while memory stays about one large level.
const GROUP_POINTS: usize = 1 << 16;

/// Writes Lagrange section `dst`, levels 0..=top, from the first points of section `src`.
///
/// Level k is the inverse FFT of the first 2^k points, with its factor 1/2^k. The points are
/// scaled by 1/2^top once as they are read; level k's input is then 2^(top−k) times a prefix
/// of that, by cheap doublings, leaving the FFTs themselves unscaled. Levels are written as
/// they are done, smallest first as in the file, so only the top level's input is held whole.
fn lagrange_section<C: Codec>(
    ptau: &Ptau,
    w: &mut BinWriter,
    backend: &dyn Backend,
    (src, dst): (u32, u32),
    count: u64,
    top: u32,
    pb: &indicatif::ProgressBar,
) -> Result<()> {
    let size = C::GROUP.point_size();
    let n = 1usize << top;
    let n_inv = Fr::from(n as u64).inverse().unwrap_or_default();
    let mut scaled = scaled_points::<C>((ptau, backend), src, (count, n), &n_inv, RUN_POINTS)?;
    w.begin_section(dst, ((2u64 << top) - 1) * size as u64)?;
    let mut buf = vec![0u8; GROUP_POINTS * size];
    let mut flush = |w: &mut BinWriter, group: &mut Vec<Vec<Affine<C>>>| -> Result<()> {
        for level in inverse_ffts_unscaled(backend, std::mem::take(group))? {
            for run in level.chunks(GROUP_POINTS) {
                let bytes = &mut buf[..run.len() * size];
                bytes.par_chunks_mut(size).zip(run.par_iter()).for_each(|(b, p)| C::encode(p, b));
                w.write(bytes)?;
            }
            pb.inc(level.len() as u64);
        }
        Ok(())
    };
    let mut group: Vec<Vec<Affine<C>>> = Vec::new();
    let mut total = 0usize;
    for k in 0..=top {
        if total + (1 << k) > GROUP_POINTS && !group.is_empty() {
            flush(w, &mut group)?;
            total = 0;
        }
        // The top level's input is the scaled points themselves, needed until then.
        let input = if k < top { doubled(&scaled[..1 << k], top - k) } else { std::mem::take(&mut scaled) };
        group.push(input);
        total += 1 << k;
    }
    flush(w, &mut group)
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
    /// The input's ceremony power when it was a reduced (truncated) file: the output's header
    /// says `power` instead, as snarkjs's does, so its contributions no longer verify.
    pub reduced_from: Option<u32>,
}

/// Reads `input`, writes `output` with the Lagrange sections (11 sections in all).
pub fn prepare_phase2(input: &Path, output: &Path, backend: &dyn Backend) -> Result<PrepareSummary> {
    let t0 = Instant::now();
    let ptau = Ptau::open(input)?;
    let _ = ptau.contributions()?;
    // Section 6 (betaG2) is copied as it is: check it like the sections transformed below.
    let _ = ptau.g2_point(section::BETA_G2, 0)?;
    let p = ptau.power;
    if p >= 28 {
        return Err(Error::Usage("power 28 files need the coset split of snarkjs's lagrangeEvaluations, which tauforge does not implement yet".into()));
    }
    let n = 1u64 << p;
    let total = (4 * n - 1) + 3 * (2 * n - 1);
    let pb = progress::bar(total, "Lagrange points");
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
    type G1 = ark_bn254::g1::Config;
    type G2 = ark_bn254::g2::Config;
    lagrange_section::<G1>(&ptau, &mut w, backend, (section::TAU_G1, section::LAGRANGE_G1), 2 * n - 1, p + 1, &pb)?;
    lagrange_section::<G2>(&ptau, &mut w, backend, (section::TAU_G2, section::LAGRANGE_G2), n, p, &pb)?;
    lagrange_section::<G1>(&ptau, &mut w, backend, (section::ALPHA_TAU_G1, section::LAGRANGE_ALPHA_G1), n, p, &pb)?;
    lagrange_section::<G1>(&ptau, &mut w, backend, (section::BETA_TAU_G1, section::LAGRANGE_BETA_G1), n, p, &pb)?;
    pb.finish_and_clear();
    w.finish()?;
    Ok(PrepareSummary {
        power: p,
        points: total,
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
        reduced_from: (ptau.ceremony_power != p).then_some(ptau.ceremony_power),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::cpu::CpuBackend;
    use crate::format::points::g2_to_lem;
    use ark_bn254::{Fq, Fq2, G2Affine};
    use ark_ec::short_weierstrass::SWCurveConfig;
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_ff::One;

    type G1 = ark_bn254::g1::Config;
    type G2 = ark_bn254::g2::Config;

    fn fixture() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pot10_final.ptau")
    }

    /// A copy of the fixture with point `i` of section 3 (tau G2) replaced by `p`.
    fn with_tau_g2(dir: &Path, i: usize, p: &G2Affine) -> std::path::PathBuf {
        let src = fixture();
        let at = Ptau::open(&src).unwrap().file.section(section::TAU_G2).unwrap().offset as usize + i * 128;
        let mut b = std::fs::read(&src).unwrap();
        b[at..at + 128].copy_from_slice(&g2_to_lem(p));
        let out = dir.join(format!("g2_{i}.ptau"));
        std::fs::write(&out, b).unwrap();
        out
    }

    /// A point on the G2 twist outside the prime-order subgroup.
    fn outside_subgroup() -> G2Affine {
        let (b, mut x) = (G2::COEFF_B, Fq2::new(Fq::one(), Fq::from(7u64)));
        loop {
            if let Some(y) = (x * x * x + b).sqrt() {
                let p = G2Affine::new_unchecked(x, y);
                if !p.is_in_correct_subgroup_assuming_on_curve() {
                    return p;
                }
            }
            x += Fq2::one();
        }
    }

    #[test]
    fn runs_of_any_length_read_the_same_points() {
        let ptau = Ptau::open(&fixture()).unwrap();
        let s = Fr::from(12345u64);
        let whole = scaled_points::<G2>((&ptau, &CpuBackend), section::TAU_G2, (1024, 1024), &s, 1 << 18).unwrap();
        assert_eq!(whole[700], (ptau.g2_point(section::TAU_G2, 700).unwrap() * s).into_affine());
        for run in [1, 100, 1000] {
            let got = scaled_points::<G2>((&ptau, &CpuBackend), section::TAU_G2, (1024, 1024), &s, run).unwrap();
            assert!(got == whole, "run {run}");
        }
        // Section 12's top level: 2047 points, padded with the identity.
        let g1 = scaled_points::<G1>((&ptau, &CpuBackend), section::TAU_G1, (2047, 2048), &s, 100).unwrap();
        assert_eq!(g1.len(), 2048);
        assert!(g1[2047].is_zero() && !g1[2046].is_zero());
        assert_eq!(g1[1999], (ptau.g1_point(section::TAU_G1, 1999).unwrap() * s).into_affine());
    }

    #[test]
    fn faults_in_later_runs_are_named_by_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let good = Ptau::open(&fixture()).unwrap().g2_point(section::TAU_G2, 701).unwrap();
        let off_curve = G2Affine::new_unchecked(good.x, good.y + Fq2::one());
        for (i, p, want) in
            [(701, off_curve, PointFault::NotOnCurve), (702, outside_subgroup(), PointFault::NotInSubgroup)]
        {
            let ptau = Ptau::open(&with_tau_g2(dir.path(), i, &p)).unwrap();
            for run in [100, 1 << 18] {
                let e = scaled_points::<G2>((&ptau, &CpuBackend), section::TAU_G2, (1024, 1024), &Fr::one(), run);
                match e {
                    Err(Error::BadPoint { at, fault }) => {
                        assert_eq!((at.section, at.index, fault), (Some(section::TAU_G2), Some(i as u64), want))
                    }
                    other => panic!("point {i}, run {run}: {other:?}"),
                }
            }
        }
    }
}

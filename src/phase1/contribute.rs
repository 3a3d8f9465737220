//! `powersoftau contribute` and `powersoftau beacon` (reference §3.2–§3.6): draw τ, α, β,
//! scale every power, hash the response exactly as snarkjs does, append the record.

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::{Field, One};
use rayon::prelude::*;
use zeroize::Zeroizing;

use super::hashes::{encode_points, first_challenge_hash};
use super::keys::create_key;
use super::new::header_bytes;
use super::point_sections;
use crate::backend::{Backend, Group, PointChunk};
use crate::crypto::beacon::{beacon_rng, check_beacon_exp};
use crate::crypto::blake2b_state::NobleBlake2b;
use crate::error::{Error, PointFault, Result};
use crate::format::binfile::BinWriter;
use crate::format::params::{Params, KIND_BEACON};
use crate::format::points::{g1_from_lem, g2_from_lem_on_curve, G1_LEM, G2_LEM};
use crate::format::ptau::{contributions_to_bytes, section, Ptau, PtauContribution};
use crate::format::subgroup::g2_first_outside;
use crate::progress;

pub use crate::crypto::source::Source;

/// What a phase-1 contribution did.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The hash contributors publish (Blake2b of the response).
    pub response_hash: [u8; 64],
    /// The challenge of the next contribution.
    pub next_challenge: [u8; 64],
    /// Contributions in the output.
    pub n_contributions: usize,
    /// Points scaled.
    pub points: u64,
    /// Seconds in all.
    pub seconds: f64,
    /// The backend used.
    pub backend: String,
}

/// Decodes and checks the LEM points of one chunk (G2 also in the subgroup).
pub fn check_points(bytes: &[u8], group: Group, ptau: &Ptau, sec: u32, first: u64) -> Result<()> {
    let at = ptau.file.location().section(sec);
    match group {
        Group::G1 => {
            let bad =
                bytes.par_chunks(G1_LEM).enumerate().find_map_first(|(i, b)| g1_from_lem(b).err().map(|f| (i, f)));
            if let Some((i, fault)) = bad {
                return Err(Error::BadPoint { at: at.index(first + i as u64), fault });
            }
        }
        Group::G2 => {
            let pts = bytes
                .par_chunks(G2_LEM)
                .enumerate()
                .map(|(i, b)| {
                    g2_from_lem_on_curve(b).map_err(|fault| Error::BadPoint { at: at.index(first + i as u64), fault })
                })
                .collect::<Result<Vec<_>>>()?;
            if let Some(i) = g2_first_outside(&pts) {
                return Err(Error::BadPoint { at: at.index(first + i as u64), fault: PointFault::NotInSubgroup });
            }
        }
    }
    Ok(())
}

/// Scales section `sec` of `ptau` (n points, point i times first·inc^i) call by call into
/// section `sec` of `w`, feeding the response hasher as snarkjs does; returns the section's first
/// two scaled points (LEM), for the contribution record.
#[allow(clippy::too_many_arguments)]
fn scale_section(
    ptau: &Ptau,
    sec: u32,
    group: Group,
    n: u64,
    first: &Fr,
    inc: &Fr,
    backend: &dyn Backend,
    hasher: &mut NobleBlake2b,
    w: &mut BinWriter,
    pb: &indicatif::ProgressBar,
) -> Result<Vec<u8>> {
    let size = group.point_size() as u64;
    // snarkjs feeds the response hasher one chunk of 2^20 bytes of input points at a time; the
    // chunking shows in the stored partial hash, so it is reproduced here.
    let chunk = (1u64 << 20) / size;
    // The backend scales several hash chunks per call when it prefers bigger calls (a GPU).
    let per_call = chunk * (backend.chunk_points() as u64 / chunk).max(1);
    w.begin_section(sec, n * size)?;
    let mut head = Vec::new();
    // The running power first·inc^start: as secret as τ.
    let mut t = Zeroizing::new(*first);
    let mut start = 0;
    while start < n {
        let m = per_call.min(n - start);
        let mut c = ptau.points_raw(sec, start, m)?;
        check_points(&c, group, ptau, sec, start)?;
        backend.scale_powers(PointChunk { group, bytes: &mut c }, &t, inc)?;
        for h in c.chunks((chunk * size) as usize) {
            hasher.update(&encode_points(h, group, true));
        }
        if start == 0 {
            head = c[..(2.min(m) * size) as usize].to_vec();
        }
        w.write(&c)?;
        *t *= inc.pow([m]);
        pb.inc(m);
        start += m;
    }
    Ok(head)
}

/// Feeds `hasher` the uncompressed encoding of section `sec` of the output, read back from `w`.
fn hash_written(w: &mut BinWriter, sec: u32, group: Group, n: u64, hasher: &mut NobleBlake2b) -> Result<()> {
    let size = group.point_size() as u64;
    let per_read = (READ_BACK_BYTES / size).max(1);
    let mut buf = Vec::new();
    let mut start = 0;
    while start < n {
        let m = per_read.min(n - start);
        buf.resize((m * size) as usize, 0);
        w.read_back(sec, start * size, &mut buf)?;
        hasher.update(&encode_points(&buf, group, false));
        start += m;
    }
    Ok(())
}

/// Bytes of the output read back at a time for the next challenge's hash.
const READ_BACK_BYTES: u64 = 16 << 20;

fn g1_from_lem_trusted(b: &[u8]) -> G1Affine {
    crate::format::points::g1_from_lem_unchecked(b).unwrap_or_default()
}

fn g2_from_lem_trusted(b: &[u8]) -> G2Affine {
    g2_from_lem_on_curve(b).unwrap_or_default()
}

/// Reads `input`, adds one contribution from `source`, writes `output` (7 sections).
pub fn contribute(
    input: &Path,
    output: &Path,
    source: Source,
    name: Option<&str>,
    backend: &dyn Backend,
) -> Result<Summary> {
    let t0 = Instant::now();
    let ptau = Ptau::open(input)?;
    if ptau.power != ptau.ceremony_power {
        return Err(Error::Usage(format!(
            "{}: this file has been reduced (power {} of {}); you cannot contribute into a reduced file",
            input.display(),
            ptau.power,
            ptau.ceremony_power
        )));
    }
    let mut contributions = ptau.contributions()?;
    let challenge = match contributions.last() {
        Some(c) => c.next_challenge,
        None => first_challenge_hash(ptau.power),
    };
    let (secrets, kind, params) = match source {
        Source::Random(rng) => {
            (create_key(&challenge, rng), 0, Params { name: name.map(str::to_string), ..Params::default() })
        }
        Source::Beacon { hash, exp } => {
            check_beacon_exp(exp)?;
            let mut rng = beacon_rng(&hash, exp);
            let p = Params { name: name.map(str::to_string), beacon_exp: Some(exp as u8), beacon_hash: Some(hash) };
            (create_key(&challenge, &mut rng), KIND_BEACON, p)
        }
    };
    let n = 1u64 << ptau.power;
    // Sections stream through: each call's points are read, scaled, hashed and written before the
    // next are read, so memory stays at a few calls' worth at any power.
    let mut w = BinWriter::create(output, b"ptau", 7)?;
    w.section(section::HEADER, &header_bytes(ptau.power, ptau.power))?;
    let pb = progress::bar(5 * n, "scaling powers");
    let mut response = NobleBlake2b::new();
    response.update(&challenge);
    let one = Fr::one();
    let firsts = [&one, &one, &*secrets.alpha, &*secrets.beta, &*secrets.beta];
    let mut heads = Vec::with_capacity(firsts.len());
    for ((sec, group, count), first) in point_sections(ptau.power).into_iter().zip(firsts) {
        let t = &secrets.tau;
        heads.push(scale_section(&ptau, sec, group, count as u64, first, t, backend, &mut response, &mut w, &pb)?);
    }
    pb.finish_and_clear();
    drop(secrets.tau);
    drop(secrets.alpha);
    drop(secrets.beta);
    let key = secrets.key;

    let partial_hash = response.to_partial();
    response.update(&key.to_u());
    let response_hash = response.finalize();

    // The next challenge hashes the response hash, then the new points: a second pass over the
    // output just written.
    let mut next = NobleBlake2b::new();
    next.update(&response_hash);
    for (sec, group, count) in point_sections(ptau.power) {
        hash_written(&mut w, sec, group, count as u64, &mut next)?;
    }
    let next_challenge = next.finalize();

    contributions.push(PtauContribution {
        tau_g1: g1_from_lem_trusted(&heads[0][64..128]),
        tau_g2: g2_from_lem_trusted(&heads[1][128..256]),
        alpha_g1: g1_from_lem_trusted(&heads[2][0..64]),
        beta_g1: g1_from_lem_trusted(&heads[3][0..64]),
        beta_g2: g2_from_lem_trusted(&heads[4][0..128]),
        key,
        partial_hash,
        next_challenge,
        kind,
        params,
    });
    w.section(section::CONTRIBUTIONS, &contributions_to_bytes(&contributions))?;
    w.finish()?;
    Ok(Summary {
        response_hash,
        next_challenge,
        n_contributions: contributions.len(),
        points: 5 * n,
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

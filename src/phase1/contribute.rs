//! `powersoftau contribute` and `powersoftau beacon` (reference §3.2–§3.6): draw τ, α, β,
//! scale every power, hash the response exactly as snarkjs does, append the record.

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::{Field, One};
use rayon::prelude::*;

use super::hashes::first_challenge_hash;
use super::keys::create_key;
use super::new::header_bytes;
use crate::backend::{Backend, Group, PointChunk};
use crate::crypto::beacon::{beacon_rng, check_beacon_exp};
use crate::crypto::blake2b_state::NobleBlake2b;
use crate::error::{Error, PointFault, Result};
use crate::format::binfile::BinWriter;
use crate::format::params::{Params, KIND_BEACON};
use crate::format::points::{g1_from_lem, g1_to_c, g1_to_u, g2_from_lem_on_curve, g2_to_c, g2_to_u, G1_LEM, G2_LEM};
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

/// One point section scaled: point i times first·inc^i.
struct Scaled {
    bytes: Vec<u8>,
}

#[allow(clippy::too_many_arguments)]
fn scale_section(
    ptau: &Ptau,
    sec: u32,
    group: Group,
    n: u64,
    first: Fr,
    inc: Fr,
    backend: &dyn Backend,
    hasher: &mut NobleBlake2b,
    pb: &indicatif::ProgressBar,
) -> Result<Scaled> {
    let size = group.point_size() as u64;
    // snarkjs feeds the response hasher one chunk of 2^20 bytes of input points at a time; the
    // chunking shows in the stored partial hash, so it is reproduced here.
    let chunk = (1u64 << 20) / size;
    // The backend scales several hash chunks per call when it prefers bigger calls (a GPU).
    let per_call = chunk * (backend.chunk_points() as u64 / chunk).max(1);
    let mut bytes = ptau.points_raw(sec, 0, n)?;
    let mut t = first;
    for (ci, c) in bytes.chunks_mut((per_call * size) as usize).enumerate() {
        let m = c.len() as u64 / size;
        check_points(c, group, ptau, sec, ci as u64 * per_call)?;
        backend.scale_powers(PointChunk { group, bytes: c }, &t, &inc)?;
        for h in c.chunks((chunk * size) as usize) {
            let compressed: Vec<u8> = match group {
                Group::G1 => h.par_chunks(64).flat_map_iter(|b| g1_to_c(&g1_from_lem_trusted(b))).collect(),
                Group::G2 => h.par_chunks(128).flat_map_iter(|b| g2_to_c(&g2_from_lem_trusted(b))).collect(),
            };
            hasher.update(&compressed);
        }
        t *= inc.pow([m]);
        pb.inc(m);
    }
    Ok(Scaled { bytes })
}

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
    let pb = progress::bar(5 * n, "scaling powers");
    let mut response = NobleBlake2b::new();
    response.update(&challenge);
    let tau = *secrets.tau;
    let one = Fr::one();
    let s2 = scale_section(&ptau, section::TAU_G1, Group::G1, 2 * n - 1, one, tau, backend, &mut response, &pb)?;
    let s3 = scale_section(&ptau, section::TAU_G2, Group::G2, n, one, tau, backend, &mut response, &pb)?;
    let s4 =
        scale_section(&ptau, section::ALPHA_TAU_G1, Group::G1, n, *secrets.alpha, tau, backend, &mut response, &pb)?;
    let s5 = scale_section(&ptau, section::BETA_TAU_G1, Group::G1, n, *secrets.beta, tau, backend, &mut response, &pb)?;
    let s6 = scale_section(&ptau, section::BETA_G2, Group::G2, 1, *secrets.beta, tau, backend, &mut response, &pb)?;
    pb.finish_and_clear();
    drop(secrets.tau);
    drop(secrets.alpha);
    drop(secrets.beta);
    let key = secrets.key;

    let partial_hash = response.to_partial();
    response.update(&key.to_u());
    let response_hash = response.finalize();

    let mut next = NobleBlake2b::new();
    next.update(&response_hash);
    for (s, group) in [(&s2, Group::G1), (&s3, Group::G2), (&s4, Group::G1), (&s5, Group::G1), (&s6, Group::G2)] {
        let u: Vec<u8> = match group {
            Group::G1 => s.bytes.par_chunks(64).flat_map_iter(|b| g1_to_u(&g1_from_lem_trusted(b))).collect(),
            Group::G2 => s.bytes.par_chunks(128).flat_map_iter(|b| g2_to_u(&g2_from_lem_trusted(b))).collect(),
        };
        next.update(&u);
    }
    let next_challenge = next.finalize();

    contributions.push(PtauContribution {
        tau_g1: g1_from_lem_trusted(&s2.bytes[64..128]),
        tau_g2: g2_from_lem_trusted(&s3.bytes[128..256]),
        alpha_g1: g1_from_lem_trusted(&s4.bytes[0..64]),
        beta_g1: g1_from_lem_trusted(&s5.bytes[0..64]),
        beta_g2: g2_from_lem_trusted(&s6.bytes[0..128]),
        key,
        partial_hash,
        next_challenge,
        kind,
        params,
    });

    let mut w = BinWriter::create(output, b"ptau", 7)?;
    w.section(section::HEADER, &header_bytes(ptau.power, ptau.power))?;
    w.section(section::TAU_G1, &s2.bytes)?;
    w.section(section::TAU_G2, &s3.bytes)?;
    w.section(section::ALPHA_TAU_G1, &s4.bytes)?;
    w.section(section::BETA_TAU_G1, &s5.bytes)?;
    w.section(section::BETA_G2, &s6.bytes)?;
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

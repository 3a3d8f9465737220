//! `zkey contribute` and `zkey beacon` (reference §5): draw δ, prove knowledge of it, scale
//! delta1/delta2 by δ and the C and H sections by δ⁻¹, append the contribution record.

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine};
use ark_ec::CurveGroup;
use ark_ff::Field;
use blake2::Digest;
use rayon::prelude::*;
use zeroize::Zeroizing;

use crate::backend::{Backend, Group, PointChunk};
use crate::crypto::blake::Blake2b512;
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::hash_to_g2::hash_to_g2;
use crate::crypto::sample::{fr_from_rng, g1_from_rng};
use crate::error::{Error, Result};
use crate::format::binfile::{BinFile, BinWriter};
use crate::format::points::{g1_from_lem, g1_to_u, g2_to_u};
use crate::format::zkey::{section as zs, Contribution, MpcParams, Zkey, KIND_BEACON, PROTOCOL_GROTH16};
use crate::progress;

/// The 384-byte public key of a contribution as it is hashed (PK in reference §5.1).
pub fn pk_bytes(c: &Contribution) -> Vec<u8> {
    let mut b = Vec::with_capacity(384);
    b.extend_from_slice(&g1_to_u(&c.delta_after));
    b.extend_from_slice(&g1_to_u(&c.g1_s));
    b.extend_from_slice(&g1_to_u(&c.g1_sx));
    b.extend_from_slice(&g2_to_u(&c.g2_spx));
    b.extend_from_slice(&c.transcript);
    b
}

/// The contribution hash snarkjs prints: Blake2b of the contribution's public key.
pub fn contribution_hash(c: &Contribution) -> [u8; 64] {
    Blake2b512::digest(pk_bytes(c)).into()
}

/// The transcript hasher after csHash and every earlier contribution's public key.
pub fn transcript_prefix(mpc: &MpcParams, upto: usize) -> Blake2b512 {
    let mut h = Blake2b512::new();
    h.update(mpc.cs_hash);
    for c in &mpc.contributions[..upto] {
        h.update(pk_bytes(c));
    }
    h
}

pub use crate::crypto::source::Source;

/// What a contribution did.
#[derive(Debug, Clone)]
pub struct ContributeSummary {
    /// The circuit hash.
    pub cs_hash: [u8; 64],
    /// The new contribution's hash.
    pub contribution_hash: [u8; 64],
    /// Number of contributions in the output.
    pub n_contributions: usize,
    /// G1 points scaled.
    pub points_scaled: usize,
    /// Seconds spent scaling.
    pub scale_seconds: f64,
    /// Seconds in all.
    pub total_seconds: f64,
    /// The backend used.
    pub backend: String,
}

/// The δ key of one contribution, drawn from `rng` exactly as snarkjs draws it.
pub struct DeltaKey {
    /// δ (zeroized on drop).
    pub delta: Zeroizing<Fr>,
    /// The public record (deltaAfter left to the caller).
    pub record: Contribution,
}

/// Draws δ, g1_s from `rng` and completes the proof of knowledge against the transcript so far.
pub fn draw_key(mpc: &MpcParams, rng: &mut ChaChaRng) -> DeltaKey {
    let delta = Zeroizing::new(fr_from_rng(rng));
    let g1_s = g1_from_rng(rng);
    let g1_sx = (g1_s * *delta).into_affine();
    let mut t = transcript_prefix(mpc, mpc.contributions.len());
    t.update(g1_to_u(&g1_s));
    t.update(g1_to_u(&g1_sx));
    let transcript: [u8; 64] = t.finalize().into();
    let g2_sp = hash_to_g2(&transcript);
    let g2_spx = (g2_sp * *delta).into_affine();
    DeltaKey {
        delta,
        record: Contribution {
            delta_after: G1Affine::identity(),
            g1_s,
            g1_sx,
            g2_spx,
            transcript,
            kind: 0,
            name: None,
            beacon_exp: None,
            beacon_hash: None,
        },
    }
}

/// Checks every point of a G1 section on the curve, naming the first bad one.
pub fn check_g1_points(bytes: &[u8], file: &BinFile, sec: u32) -> Result<()> {
    let bad = bytes.par_chunks(64).enumerate().find_map_first(|(i, b)| g1_from_lem(b).err().map(|f| (i, f)));
    match bad {
        Some((i, fault)) => Err(Error::BadPoint { at: file.location().section(sec).index(i as u64), fault }),
        None => Ok(()),
    }
}

/// Scales a G1 section by `scalar` through the backend, chunk by chunk, with a progress bar.
pub fn scale_section(backend: &dyn Backend, bytes: &mut [u8], scalar: &Fr, label: &str) -> Result<()> {
    let pb = progress::bar((bytes.len() / 64) as u64, label);
    for chunk in bytes.chunks_mut(backend.chunk_points().max(1) * 64) {
        let n = chunk.len() / 64;
        backend.scale_fixed(PointChunk { group: Group::G1, bytes: chunk }, scalar)?;
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    Ok(())
}

/// Reads `input`, adds one contribution from `source`, writes `output` (sections 1..10 in order).
pub fn contribute(
    input: &Path,
    output: &Path,
    source: Source,
    name: Option<&str>,
    backend: &dyn Backend,
) -> Result<ContributeSummary> {
    let t0 = Instant::now();
    let zkey = Zkey::open(input)?;
    let mut mpc = zkey.mpc.clone();
    let (key, beacon) = match source {
        Source::Random(rng) => (draw_key(&mpc, rng), None),
        Source::Beacon { hash, exp } => {
            crate::crypto::beacon::check_beacon_exp(exp)?;
            let mut rng = crate::crypto::beacon::beacon_rng(&hash, exp);
            (draw_key(&mpc, &mut rng), Some((hash, exp)))
        }
    };
    let delta = &key.delta;
    let inv = Zeroizing::new(delta.inverse().ok_or_else(|| Error::Invalid("drew δ = 0".into()))?);
    let mut header = zkey.header.clone();
    header.delta1 = (header.delta1 * **delta).into_affine();
    header.delta2 = (header.delta2 * **delta).into_affine();
    let mut record = key.record.clone();
    record.delta_after = header.delta1;
    record.name = name.map(str::to_string);
    if let Some((hash, exp)) = beacon {
        record.kind = KIND_BEACON;
        record.beacon_exp = Some(exp as u8);
        record.beacon_hash = Some(hash);
    }
    let contribution_hash = contribution_hash(&record);
    mpc.contributions.push(record);

    let mut c = zkey.file.read_section(zs::C)?;
    let mut h = zkey.file.read_section(zs::H)?;
    check_g1_points(&c, &zkey.file, zs::C)?;
    check_g1_points(&h, &zkey.file, zs::H)?;
    let ts = Instant::now();
    scale_section(backend, &mut c, &inv, "scaling C by 1/δ")?;
    scale_section(backend, &mut h, &inv, "scaling H by 1/δ")?;
    let scale_seconds = ts.elapsed().as_secs_f64();

    let mut w = BinWriter::create(output, b"zkey", 10)?;
    w.section(zs::HEADER, &PROTOCOL_GROTH16.to_le_bytes())?;
    w.section(zs::GROTH16, &header.to_bytes())?;
    for id in [zs::IC, zs::COEFFS, zs::A, zs::B1, zs::B2] {
        w.section(id, &zkey.file.read_section(id)?)?;
    }
    w.section(zs::C, &c)?;
    w.section(zs::H, &h)?;
    w.section(zs::MPC, &mpc.to_bytes())?;
    w.finish()?;
    Ok(ContributeSummary {
        cs_hash: mpc.cs_hash,
        contribution_hash,
        n_contributions: mpc.contributions.len(),
        points_scaled: (c.len() + h.len()) / 64,
        scale_seconds,
        total_seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

//! `zkey contribute` and `zkey beacon` (reference §5): draw δ, prove knowledge of it, scale
//! delta1/delta2 by δ and the C and H sections by δ⁻¹, append the contribution record.

use std::path::Path;
use std::sync::mpsc::{sync_channel, SyncSender};
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
    DeltaKey { delta, record: Contribution::plain(G1Affine::identity(), g1_s, g1_sx, g2_spx, transcript) }
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

/// Checks every point of sections C and H, scales them by `inv` and hands each to `out` when
/// done; returns the points scaled and the seconds scaling took. Stops early if `out` closes.
fn scale_c_and_h(zkey: &Zkey, backend: &dyn Backend, inv: &Fr, out: &SyncSender<Vec<u8>>) -> Result<(usize, f64)> {
    let mut c = zkey.file.read_section(zs::C)?;
    let mut h = zkey.file.read_section(zs::H)?;
    check_g1_points(&c, &zkey.file, zs::C)?;
    check_g1_points(&h, &zkey.file, zs::H)?;
    let points = (c.len() + h.len()) / 64;
    let ts = Instant::now();
    scale_section(backend, &mut c, inv, "scaling C by 1/δ")?;
    let mut seconds = ts.elapsed().as_secs_f64();
    if out.send(c).is_ok() {
        let ts = Instant::now();
        scale_section(backend, &mut h, inv, "scaling H by 1/δ")?;
        seconds += ts.elapsed().as_secs_f64();
        let _ = out.send(h);
    }
    Ok((points, seconds))
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

    // Sections 1–7 do not depend on δ, so a second thread writes them while the backend scales
    // C and H (at domain 2^20 they are ~350 MB: a second of I/O that used to follow the scaling),
    // then writes C while H is scaled.
    let mut w = BinWriter::create(output, b"zkey", 10)?;
    let (scaled, head) = std::thread::scope(|s| {
        let (file, header) = (&zkey.file, &header);
        let (tx, rx) = sync_channel::<Vec<u8>>(1);
        let head = s.spawn(move || -> Result<BinWriter> {
            w.section(zs::HEADER, &PROTOCOL_GROTH16.to_le_bytes())?;
            w.section(zs::GROTH16, &header.to_bytes())?;
            for id in [zs::IC, zs::COEFFS, zs::A, zs::B1, zs::B2] {
                w.copy_section(file, id)?;
            }
            for id in [zs::C, zs::H] {
                // A closed channel means the scaling failed; its error is the one reported.
                let bytes = rx.recv().map_err(|_| Error::Invalid("scaling stopped".into()))?;
                w.section(id, &bytes)?;
            }
            Ok(w)
        });
        let scaled = scale_c_and_h(&zkey, backend, &inv, &tx);
        drop(tx);
        (scaled, head.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    // A bad point or a backend fault is the error worth reporting, even if the writer failed too.
    let (points_scaled, scale_seconds) = scaled?;
    let mut w = head?;
    w.section(zs::MPC, &mpc.to_bytes())?;
    w.finish()?;
    Ok(ContributeSummary {
        cs_hash: mpc.cs_hash,
        contribution_hash,
        n_contributions: mpc.contributions.len(),
        points_scaled,
        scale_seconds,
        total_seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::backend::{CpuBackend, Projective};
    use crate::bench::zkey::write_synthetic_zkey;

    /// The CPU backend, except that scaling call number `fail_at` (from 0) fails.
    struct FailsAt {
        fail_at: usize,
        calls: AtomicUsize,
    }

    impl Backend for FailsAt {
        fn name(&self) -> String {
            "fails".into()
        }
        fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
            if self.calls.fetch_add(1, Ordering::SeqCst) == self.fail_at {
                return Err(Error::Invalid("injected backend fault".into()));
            }
            CpuBackend.scale_fixed(points, scalar)
        }
        fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()> {
            CpuBackend.scale_powers(points, first, step)
        }
        fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()> {
            CpuBackend.scale_each(points, scalars)
        }
        fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective> {
            CpuBackend.msm(points, group, scalars)
        }
    }

    /// A backend failing while C is scaled (the writer thread still copying or waiting) or while
    /// H is (C already handed to the writer) fails the verb with the backend's error and leaves
    /// no output and no temp file; the same call with no fault writes the output.
    #[test]
    fn a_failed_scaling_leaves_no_output() {
        let dir = tempfile::tempdir().unwrap();
        let (input, output) = (dir.path().join("in.zkey"), dir.path().join("out.zkey"));
        write_synthetic_zkey(&input, 64, 7).unwrap();
        for fail_at in [0, 1, usize::MAX] {
            let backend = FailsAt { fail_at, calls: AtomicUsize::new(0) };
            let mut rng = ChaChaRng::new([fail_at as u32; 8]);
            let result = contribute(&input, &output, Source::Random(&mut rng), None, &backend);
            let files = std::fs::read_dir(dir.path()).unwrap().count();
            if fail_at == usize::MAX {
                assert_eq!(result.unwrap().points_scaled, 62 + 64);
                assert!(output.exists() && files == 2);
            } else {
                let e = result.unwrap_err().to_string();
                assert!(e.contains("injected backend fault"), "call {fail_at}: {e}");
                assert_eq!(backend.calls.load(Ordering::SeqCst), fail_at + 1);
                assert!(!output.exists() && files == 1, "call {fail_at}: {files} files");
            }
        }
    }
}

//! The bellman (kobi/phase2-bn254) round trip of phase 2, as snarkjs's `zkey export bellman`,
//! `zkey bellman contribute` and `zkey import bellman`: a contributor who cannot or will not
//! handle a zkey works on an MPC-params file ([`crate::format::mpcparams`]) and the coordinator
//! imports the response. Export and import are byte-identical to snarkjs.
//!
//! The file's H is the monomial form τ^i·t(τ)/δ (i < n−1) where the zkey keeps the odd-coset
//! Lagrange form: export takes the group FFT of section 9 and scales point i by −2·ω_2n^i,
//! import undoes both with the missing last point taken as the identity (the one component of
//! H no proof uses).

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::Field;
use rayon::prelude::*;
use zeroize::Zeroizing;

use super::contribute::{check_g1_points, contribution_hash, draw_key};
use crate::backend::{Backend, Group, PointChunk};
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::fft::root_of_unity;
use crate::error::{Error, Result};
use crate::format::atomic::AtomicFile;
use crate::format::binfile::BinWriter;
use crate::format::mpcparams::{normalized, tail_bytes, vk_bytes, Counts, MpcReader, Part, PARTS, VK_LEN};
use crate::format::points::{
    g1_from_lem_unchecked, g1_to_u_flagged, g1s_to_lem, g2_from_lem_on_curve, g2_to_u_flagged,
};
use crate::format::zkey::{section as zs, Zkey, PROTOCOL_GROTH16};
use crate::phase1::hashes::encode_points;
use crate::phase1::lagrange::{forward_ffts, inverse_ffts_unscaled};
use crate::progress;

/// Points per read while streaming an array through.
const STREAM_POINTS: usize = 1 << 16;

/// What a bellman verb did.
#[derive(Debug, Clone)]
pub struct BellmanSummary {
    /// The circuit hash.
    pub cs_hash: [u8; 64],
    /// Contributions in the output.
    pub n_contributions: usize,
    /// The hashes of the contributions the verb added (none for export).
    pub added: Vec<[u8; 64]>,
    /// Seconds in all.
    pub seconds: f64,
    /// The backend used.
    pub backend: String,
}

/// The domain's log2, refused above 2^27: the H transform needs ω of twice the domain.
fn h_power(domain: u32, what: &str) -> Result<u32> {
    let k = domain.trailing_zeros();
    if k > 27 {
        return Err(Error::Usage(format!("{what}: domain 2^{k} is too large for the bellman format (at most 2^27)")));
    }
    Ok(k)
}

/// Point i × first·step^i for the whole array, through the backend in calls of its chunk size.
fn scale_geometric(backend: &dyn Backend, pts: &[G1Affine], first: Fr, step: Fr) -> Result<Vec<u8>> {
    let mut bytes = g1s_to_lem(pts);
    let per = backend.chunk_points().max(1);
    let mut c = first;
    for chunk in bytes.chunks_mut(per * 64) {
        let m = chunk.len() / 64;
        backend.scale_powers(PointChunk { group: Group::G1, bytes: chunk }, &c, &step)?;
        c *= step.pow([m as u64]);
    }
    Ok(bytes)
}

/// LEM bytes to affine points (already checked on the curve).
fn g1_points(lem: &[u8]) -> Vec<G1Affine> {
    lem.par_chunks(64).map(|b| g1_from_lem_unchecked(b).unwrap_or_default()).collect()
}

/// Checks the points of zkey section `id` on the curve (G2: the subgroup is the verifier's job).
fn check_section(z: &Zkey, id: u32, raw: &[u8], group: Group) -> Result<()> {
    match group {
        Group::G1 => check_g1_points(raw, &z.file, id),
        Group::G2 => {
            let at = z.file.location().section(id);
            let bad =
                raw.par_chunks(128).enumerate().find_map_first(|(i, b)| g2_from_lem_on_curve(b).err().map(|f| (i, f)));
            match bad {
                Some((i, fault)) => Err(Error::BadPoint { at: at.index(i as u64), fault }),
                None => Ok(()),
            }
        }
    }
}

/// `zkey export bellman`: writes the MPC-params file of `zkey` to `out`.
pub fn export_bellman(zkey: &Path, out: &Path, backend: &dyn Backend) -> Result<BellmanSummary> {
    let t0 = Instant::now();
    let z = Zkey::open(zkey)?;
    let n = z.header.domain_size;
    let k = h_power(n, &zkey.display().to_string())?;
    let counts = Counts::of(&z.header);
    let mut f = AtomicFile::create(out)?;
    f.write_all(&vk_bytes(&z.header))?;
    let pb = progress::bar(counts.total_points(), "exporting MPC params");
    for part in PARTS {
        let id = part.zkey_section();
        let raw = z.file.read_section(id)?;
        check_section(&z, id, &raw, part.group())?;
        f.write_all(&counts.get(part).to_be_bytes())?;
        if part == Part::H {
            let h = forward_ffts(backend, vec![g1_points(&raw)])?.pop().unwrap_or_default();
            let lem = scale_geometric(backend, &h[..n as usize - 1], -Fr::from(2u64), root_of_unity(k + 1))?;
            f.write_all(&encode_points(&lem, Group::G1, false))?;
        } else {
            f.write_all(&encode_points(&raw, part.group(), false))?;
        }
        pb.inc(counts.get(part) as u64);
    }
    pb.finish_and_clear();
    f.write_all(&tail_bytes(&z.mpc))?;
    f.commit()?;
    Ok(BellmanSummary {
        cs_hash: z.mpc.cs_hash,
        n_contributions: z.mpc.contributions.len(),
        added: Vec::new(),
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

/// `zkey bellman contribute`: reads an MPC-params challenge, writes the response with one more
/// contribution (δ and its proof drawn from `rng` as snarkjs draws them).
pub fn bellman_contribute(
    challenge: &Path,
    response: &Path,
    rng: &mut ChaChaRng,
    backend: &dyn Backend,
) -> Result<BellmanSummary> {
    let t0 = Instant::now();
    let mut r = MpcReader::open(challenge)?;
    let counts = r.scan_counts()?;
    let mut mpc = r.tail()?;
    let key = draw_key(&mpc, rng);
    let inv = Zeroizing::new(key.delta.inverse().ok_or_else(|| Error::Invalid("drew δ = 0".into()))?);
    r.seek(0)?;
    let mut out = AtomicFile::create(response)?;
    out.write_all(&r.bytes(VK_LEN - 64 - 128, "the verification key")?)?;
    let delta1 = (r.g1("delta1")? * *key.delta).into_affine();
    let delta2 = (r.g2("delta2")? * *key.delta).into_affine();
    out.write_all(&g1_to_u_flagged(&delta1))?;
    out.write_all(&g2_to_u_flagged(&delta2))?;
    let per = backend.chunk_points().max(1);
    let pb = progress::bar(counts.total_points(), "contributing");
    for part in PARTS {
        let n = r.count(part, Some(counts.get(part)))? as usize;
        out.write_all(&(n as u32).to_be_bytes())?;
        let size = part.group().point_size();
        let scaled = matches!(part, Part::H | Part::L);
        let step = if scaled { per } else { STREAM_POINTS };
        for start in (0..n).step_by(step) {
            let m = step.min(n - start);
            let raw = r.bytes((m * size) as u64, part.name())?;
            if scaled {
                let pts = r.g1_points(&raw, part, start as u64)?;
                let mut lem = g1s_to_lem(&pts);
                backend.scale_fixed(PointChunk { group: Group::G1, bytes: &mut lem }, &inv)?;
                out.write_all(&encode_points(&lem, Group::G1, false))?;
            } else {
                out.write_all(&raw)?;
            }
            pb.inc(m as u64);
        }
    }
    pb.finish_and_clear();
    let mut record = key.record.clone();
    record.delta_after = delta1;
    let hash = contribution_hash(&record);
    mpc.contributions.push(record);
    out.write_all(&tail_bytes(&mpc))?;
    out.commit()?;
    Ok(BellmanSummary {
        cs_hash: mpc.cs_hash,
        n_contributions: mpc.contributions.len(),
        added: vec![hash],
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

/// Refuses `raw`, points `first..` of array `part`, unless they are the zkey's own (the import
/// keeps the zkey's; a file that changed them was not exported from it).
fn same_as_zkey(z: &Zkey, r: &MpcReader, part: Part, raw: &[u8], first: usize) -> Result<()> {
    let (id, group) = (part.zkey_section(), part.group());
    let size = group.point_size();
    let ours = encode_points(&z.file.read_range(id, (first * size) as u64, raw.len() as u64)?, group, false);
    let theirs = normalized(raw, group);
    match ours.chunks(size).zip(theirs.chunks(size)).position(|(a, b)| a != b) {
        None => Ok(()),
        Some(i) => Err(Error::Invalid(format!(
            "{}: {} point {} differs from section {id} of {}: this file was not exported from that zkey",
            r.at().index((first + i) as u64),
            part.name(),
            first + i,
            z.file.path().display()
        ))),
    }
}

/// `zkey import bellman`: applies the MPC-params response `mpc` to `old`, writing `new` with the
/// response's new contributions (each named `name`).
pub fn import_bellman(
    old: &Path,
    mpc: &Path,
    new: &Path,
    name: Option<&str>,
    backend: &dyn Backend,
) -> Result<BellmanSummary> {
    let t0 = Instant::now();
    let z = Zkey::open(old)?;
    let n = z.header.domain_size;
    let k = h_power(n, &old.display().to_string())?;
    let counts = Counts::of(&z.header);
    let mut r = MpcReader::open(mpc)?;
    let least = counts.points_len() + 68;
    if r.len() < least {
        return Err(Error::malformed(
            r.at().clone(),
            format!("{} bytes is too short for the MPC params of {} (at least {least})", r.len(), old.display()),
        ));
    }
    let vk = r.bytes(VK_LEN - 64 - 128, "the verification key")?;
    let ours = vk_bytes(&z.header);
    for (what, range) in [("alpha1", 0..64), ("beta1", 64..128), ("beta2", 128..256), ("gamma2", 256..384)] {
        let group = if range.len() == 64 { Group::G1 } else { Group::G2 };
        if normalized(&vk[range.clone()], group) != normalized(&ours[range], group) {
            return Err(Error::Invalid(format!(
                "{}: {what} differs from {}'s: this file was not exported from that zkey",
                mpc.display(),
                old.display()
            )));
        }
    }
    let mut header = z.header.clone();
    header.delta1 = r.g1("delta1")?;
    header.delta2 = r.g2("delta2")?;
    let (mut h_lem, mut l_lem) = (Vec::new(), Vec::new());
    let pb = progress::bar(counts.total_points(), "importing MPC params");
    for part in PARTS {
        let m = r.count(part, Some(counts.get(part)))? as usize;
        pb.inc(m as u64);
        let size = part.group().point_size();
        match part {
            Part::H | Part::L => {
                let raw = r.bytes((m * size) as u64, part.name())?;
                let mut pts = r.g1_points(&raw, part, 0)?;
                drop(raw);
                if part == Part::L {
                    l_lem = g1s_to_lem(&pts);
                    continue;
                }
                pts.push(G1Affine::zero());
                // ifft(x_i · (−1/2)·ω_2n^(−i)), the 1/n of the inverse FFT folded into the scalars.
                let first = -(Fr::from(2u64) * Fr::from(n as u64)).inverse().unwrap_or_default();
                let step = root_of_unity(k + 1).inverse().unwrap_or_default();
                let scaled = g1_points(&scale_geometric(backend, &pts, first, step)?);
                drop(pts);
                let h = inverse_ffts_unscaled(backend, vec![scaled])?.pop().unwrap_or_default();
                h_lem = g1s_to_lem(&h);
            }
            _ => {
                for start in (0..m).step_by(STREAM_POINTS) {
                    let raw = r.bytes((STREAM_POINTS.min(m - start) * size) as u64, part.name())?;
                    same_as_zkey(&z, &r, part, &raw, start)?;
                }
            }
        }
    }
    pb.finish_and_clear();
    let theirs = r.tail()?;
    if theirs.cs_hash != z.mpc.cs_hash {
        return Err(Error::Invalid(format!(
            "{}: the circuit hash differs from {}'s: this file belongs to another circuit",
            mpc.display(),
            old.display()
        )));
    }
    let had = z.mpc.contributions.len();
    if theirs.contributions.len() < had {
        return Err(Error::Invalid(format!(
            "{}: {} contributions, fewer than the {had} of {}: the file does not include the zkey's contributions",
            mpc.display(),
            theirs.contributions.len(),
            old.display()
        )));
    }
    for (i, (a, b)) in z.mpc.contributions.iter().zip(&theirs.contributions).enumerate() {
        let same = a.delta_after == b.delta_after
            && a.g1_s == b.g1_s
            && a.g1_sx == b.g1_sx
            && a.g2_spx == b.g2_spx
            && a.transcript == b.transcript;
        if !same {
            return Err(Error::Invalid(format!(
                "{}: contribution {} differs from {}'s (a response to another chain)",
                mpc.display(),
                i + 1,
                old.display()
            )));
        }
    }
    let mut records = z.mpc.clone();
    let mut added = Vec::new();
    for mut c in theirs.contributions.into_iter().skip(had) {
        c.name = name.map(str::to_string);
        added.push(contribution_hash(&c));
        records.contributions.push(c);
    }

    // Sections in snarkjs's order: its import writes H and L before A, B1 and B2.
    let mut w = BinWriter::create(new, b"zkey", 10)?;
    w.section(zs::HEADER, &PROTOCOL_GROTH16.to_le_bytes())?;
    w.section(zs::GROTH16, &header.to_bytes())?;
    w.copy_section(&z.file, zs::IC)?;
    w.copy_section(&z.file, zs::COEFFS)?;
    w.section(zs::H, &h_lem)?;
    w.section(zs::C, &l_lem)?;
    for id in [zs::A, zs::B1, zs::B2] {
        w.copy_section(&z.file, id)?;
    }
    w.section(zs::MPC, &records.to_bytes())?;
    w.finish()?;
    Ok(BellmanSummary {
        cs_hash: records.cs_hash,
        n_contributions: records.contributions.len(),
        added,
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use crate::bench::zkey::write_synthetic_zkey;
    use crate::format::binfile::BinFile;

    /// Export then import with no new contribution gives the zkey back, except H, which loses
    /// exactly its component along the missing last monomial: the same kernel the step check
    /// ignores.
    #[test]
    fn export_then_import_keeps_every_section_but_h_and_h_up_to_one_direction() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        write_synthetic_zkey(&p("a.zkey"), 16, 5).unwrap();
        export_bellman(&p("a.zkey"), &p("a.mpc"), &CpuBackend).unwrap();
        let s = import_bellman(&p("a.zkey"), &p("a.mpc"), &p("b.zkey"), None, &CpuBackend).unwrap();
        assert!(s.added.is_empty());
        let (a, b) = (BinFile::open(&p("a.zkey"), b"zkey").unwrap(), BinFile::open(&p("b.zkey"), b"zkey").unwrap());
        for id in [1, 2, 3, 4, 5, 6, 7, 8, 10] {
            assert!(a.same_section(&b, id).unwrap(), "section {id}");
        }
        // H_b = H_a − c·(ω^(−i(n−1)))_i for one point c: the differences are c·ω^i (ω^(−(n−1)) = ω).
        let ha = g1_points(&a.read_section(9).unwrap());
        let hb = g1_points(&b.read_section(9).unwrap());
        let d: Vec<G1Affine> = ha.iter().zip(&hb).map(|(x, y)| (*x - *y).into_affine()).collect();
        let w = root_of_unity(4);
        for i in 1..16 {
            assert_eq!(d[i], (d[0] * w.pow([i as u64])).into_affine(), "point {i}");
        }
        // Exporting b gives the same file as exporting a: the lost direction is the dropped point.
        export_bellman(&p("b.zkey"), &p("b.mpc"), &CpuBackend).unwrap();
        assert_eq!(std::fs::read(p("a.mpc")).unwrap(), std::fs::read(p("b.mpc")).unwrap());
    }
}

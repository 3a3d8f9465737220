//! A whole `zkey contribute` timed on a synthetic zkey: the sections of a circuit whose domain is
//! n (n wires, one public input, 2n coefficients) filled with random valid points, so that the
//! end-to-end time at 2^20 can be measured without a 2^20 circuit and ptau.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_std::rand::rngs::StdRng;
use ark_std::rand::{RngCore, SeedableRng};

use super::random_points;
use crate::backend::{Backend, Group};
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::source::Source;
use crate::error::{Error, Result};
use crate::format::binfile::BinWriter;
use crate::format::zkey::{section as zs, Groth16Header, MpcParams, PROTOCOL_GROTH16};
use crate::phase2::contribute::{contribute, ContributeSummary};

/// Coefficient records of section 4 per domain point (real circuits have about 2–4).
const COEFFS_PER_ROW: usize = 2;

/// Writes a Groth16 zkey with no contributions and domain `n` (a power of two ≥ 4) to `path`:
/// n wires, one public input, random points in every section, δ = 1 as after `zkey new`.
pub fn write_synthetic_zkey(path: &Path, n: usize, seed: u64) -> Result<()> {
    if !n.is_power_of_two() || !(4..=1 << 28).contains(&n) {
        return Err(Error::Invalid(format!("synthetic zkey: domain {n} must be a power of two from 4 to 2^28")));
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let (a, b) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
    let n_public = 1u32;
    let header = Groth16Header {
        n_vars: n as u32,
        n_public,
        domain_size: n as u32,
        alpha1: (g1 * a).into_affine(),
        beta1: (g1 * b).into_affine(),
        beta2: (g2 * b).into_affine(),
        gamma2: g2,
        delta1: g1,
        delta2: g2,
    };
    let mut cs_hash = [0u8; 64];
    rng.fill_bytes(&mut cs_hash);
    let g1s = random_points(Group::G1, n, seed ^ 1);
    let g2s = random_points(Group::G2, n, seed ^ 2);
    let n_coeffs = COEFFS_PER_ROW * n;
    let mut coeffs = Vec::with_capacity(4 + 44 * n_coeffs);
    coeffs.extend_from_slice(&(n_coeffs as u32).to_le_bytes());
    let one = Fr::from(1u64).into_bigint().to_bytes_le();
    for i in 0..n_coeffs {
        let (matrix, row) = ((i % 2) as u32, (i / 2) as u32);
        coeffs.extend_from_slice(&matrix.to_le_bytes());
        coeffs.extend_from_slice(&row.to_le_bytes());
        coeffs.extend_from_slice(&(((i * 7) % n) as u32).to_le_bytes());
        coeffs.extend_from_slice(&one);
    }
    let ic = (n_public as usize + 1) * 64;
    let c = (n - n_public as usize - 1) * 64;
    let mut w = BinWriter::create(path, b"zkey", 10)?;
    w.section(zs::HEADER, &PROTOCOL_GROTH16.to_le_bytes())?;
    w.section(zs::GROTH16, &header.to_bytes())?;
    w.section(zs::IC, &g1s[..ic])?;
    w.section(zs::COEFFS, &coeffs)?;
    w.section(zs::A, &g1s)?;
    w.section(zs::B1, &g1s)?;
    w.section(zs::B2, &g2s)?;
    w.section(zs::C, &g1s[64..64 + c])?;
    w.section(zs::H, &g1s)?;
    w.section(zs::MPC, &MpcParams { cs_hash, contributions: Vec::new() }.to_bytes())?;
    w.finish()
}

/// The files of a timed contribution: the synthetic zkey and the contributed one.
pub struct ContributeFiles {
    /// The synthetic zkey (input).
    pub input: PathBuf,
    /// Its contribution (output).
    pub output: PathBuf,
}

impl ContributeFiles {
    /// The files for domain `n` in `dir`.
    pub fn in_dir(dir: &Path, n: usize) -> ContributeFiles {
        ContributeFiles {
            input: dir.join(format!("synthetic-{n}.zkey")),
            output: dir.join(format!("synthetic-{n}-contributed.zkey")),
        }
    }
}

/// Writes the synthetic zkey of domain `n` into `dir`, contributes once untimed at domain 4
/// (pipelines, caches), then returns the fastest of `repeat` whole contributions at `n`.
pub fn time_contribute(backend: &dyn Backend, n: usize, repeat: usize, dir: &Path) -> Result<(f64, ContributeSummary)> {
    let warm = ContributeFiles::in_dir(dir, 4);
    write_synthetic_zkey(&warm.input, 4, 4)?;
    contribute(&warm.input, &warm.output, Source::Random(&mut bench_rng(0)), None, backend)?;
    for p in [&warm.input, &warm.output] {
        std::fs::remove_file(p).map_err(|e| Error::io(p.clone(), e))?;
    }
    let files = ContributeFiles::in_dir(dir, n);
    write_synthetic_zkey(&files.input, n, n as u64)?;
    let mut best: Option<(f64, ContributeSummary)> = None;
    for r in 0..repeat.max(1) {
        let t = Instant::now();
        let s = contribute(&files.input, &files.output, Source::Random(&mut bench_rng(r as u32 + 1)), None, backend)?;
        let secs = t.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|(b, _)| secs < *b) {
            best = Some((secs, s));
        }
    }
    Ok(best.expect("at least one run"))
}

/// A fixed RNG: benchmark contributions are not secret.
fn bench_rng(k: u32) -> ChaChaRng {
    ChaChaRng::new([k, 0x7461_7566, 0x6f72_6765, 0x6265_6e63, 0, 0, 0, 0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::CpuBackend;
    use crate::format::zkey::Zkey;
    use crate::phase2::verify_step::verify_step;

    /// The synthetic zkey opens as a well-formed zkey, and its timed contribution is one honest
    /// step that `verify-step` accepts.
    #[test]
    fn synthetic_zkey_contribution_is_a_valid_step() {
        let dir = tempfile::tempdir().unwrap();
        let (secs, summary) = time_contribute(&CpuBackend, 64, 2, dir.path()).unwrap();
        assert!(secs > 0.0);
        assert_eq!(summary.points_scaled, 64 + 62);
        let files = ContributeFiles::in_dir(dir.path(), 64);
        let z = Zkey::open(&files.input).unwrap();
        assert_eq!((z.header.domain_size, z.header.n_vars, z.n_coeffs), (64, 64, 128));
        let report = verify_step(&files.input, &files.output, &CpuBackend).unwrap();
        assert_eq!(report.previous_contributions, 0);
        assert!(!dir.path().join("synthetic-4.zkey").exists());
    }

    #[test]
    fn synthetic_zkey_rejects_bad_domains() {
        let dir = tempfile::tempdir().unwrap();
        for n in [0, 2, 3, 100, 1 << 29] {
            let p = dir.path().join("x.zkey");
            let e = write_synthetic_zkey(&p, n, 1).unwrap_err().to_string();
            assert!(e.contains("must be a power of two from 4 to 2^28"), "{e}");
            assert!(!p.exists());
        }
    }
}

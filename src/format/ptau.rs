//! `.ptau` (powers of tau): the header, the point sections 2–6 and the prepared Lagrange
//! sections 12–15, read on demand.

use std::path::Path;

use ark_bn254::{G1Affine, G2Affine};

use crate::error::{Error, Result};
use crate::format::binfile::BinFile;
use crate::format::points::{g1_from_lem, g2_from_lem, G1_LEM, G2_LEM};

/// The BN254 base field prime q, little-endian.
pub fn fq_modulus_le() -> [u8; 32] {
    use ark_ff::PrimeField;
    let mut out = [0u8; 32];
    for (i, l) in ark_bn254::Fq::MODULUS.0.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&l.to_le_bytes());
    }
    out
}

/// An open `.ptau` file.
#[derive(Debug)]
pub struct Ptau {
    /// The container.
    pub file: BinFile,
    /// log2 of the number of tauG2 powers in this file.
    pub power: u32,
    /// The ceremony's power (≥ power for truncated files).
    pub ceremony_power: u32,
}

/// Section ids of a ptau file.
pub mod section {
    /// Header.
    pub const HEADER: u32 = 1;
    /// tau^i · g1.
    pub const TAU_G1: u32 = 2;
    /// tau^i · g2.
    pub const TAU_G2: u32 = 3;
    /// alpha · tau^i · g1.
    pub const ALPHA_TAU_G1: u32 = 4;
    /// beta · tau^i · g1.
    pub const BETA_TAU_G1: u32 = 5;
    /// beta · g2.
    pub const BETA_G2: u32 = 6;
    /// Contribution records.
    pub const CONTRIBUTIONS: u32 = 7;
    /// Lagrange tauG1 levels 0..=P+1.
    pub const LAGRANGE_G1: u32 = 12;
    /// Lagrange tauG2 levels 0..=P.
    pub const LAGRANGE_G2: u32 = 13;
    /// Lagrange alphaTauG1 levels 0..=P.
    pub const LAGRANGE_ALPHA_G1: u32 = 14;
    /// Lagrange betaTauG1 levels 0..=P.
    pub const LAGRANGE_BETA_G1: u32 = 15;
}

impl Ptau {
    /// Opens a ptau file and checks its header and section sizes.
    pub fn open(path: &Path) -> Result<Ptau> {
        let file = BinFile::open(path, b"ptau")?;
        let at = file.location().section(section::HEADER);
        let h = file.read_section(section::HEADER)?;
        if h.len() != 44 {
            return Err(Error::malformed(at, format!("header is {} bytes, expected 44", h.len())));
        }
        let n8 = u32::from_le_bytes(h[0..4].try_into().expect("4 bytes"));
        if n8 != 32 || h[4..36] != fq_modulus_le() {
            return Err(Error::malformed(at, "the prime is not BN254's base field (only bn128/BN254 is supported)"));
        }
        let power = u32::from_le_bytes(h[36..40].try_into().expect("4 bytes"));
        let ceremony_power = u32::from_le_bytes(h[40..44].try_into().expect("4 bytes"));
        if !(1..=28).contains(&power) || ceremony_power < power || ceremony_power > 28 {
            return Err(Error::malformed(at, format!("power {power} / ceremony power {ceremony_power} out of range")));
        }
        let ptau = Ptau { file, power, ceremony_power };
        let n = 1u64 << power;
        ptau.file.section_sized(section::TAU_G1, (2 * n - 1) * G1_LEM as u64)?;
        ptau.file.section_sized(section::TAU_G2, n * G2_LEM as u64)?;
        ptau.file.section_sized(section::ALPHA_TAU_G1, n * G1_LEM as u64)?;
        ptau.file.section_sized(section::BETA_TAU_G1, n * G1_LEM as u64)?;
        ptau.file.section_sized(section::BETA_G2, G2_LEM as u64)?;
        if ptau.is_prepared() {
            ptau.file.section_sized(section::LAGRANGE_G1, (4 * n - 1) * G1_LEM as u64)?;
            ptau.file.section_sized(section::LAGRANGE_G2, (2 * n - 1) * G2_LEM as u64)?;
            ptau.file.section_sized(section::LAGRANGE_ALPHA_G1, (2 * n - 1) * G1_LEM as u64)?;
            ptau.file.section_sized(section::LAGRANGE_BETA_G1, (2 * n - 1) * G1_LEM as u64)?;
        }
        Ok(ptau)
    }

    /// Whether the file has the Lagrange sections of `prepare phase2`.
    pub fn is_prepared(&self) -> bool {
        self.file.has_section(section::LAGRANGE_G1)
    }

    /// Raw LEM bytes of `count` points starting at point `start` of a point section.
    pub fn points_raw(&self, sec: u32, start: u64, count: u64) -> Result<Vec<u8>> {
        let size = point_size(sec);
        self.file.read_range(sec, start * size, count * size)
    }

    /// Raw LEM bytes of level `k` (2^k points) of a Lagrange section.
    pub fn lagrange_level_raw(&self, sec: u32, k: u32) -> Result<Vec<u8>> {
        let n = 1u64 << k;
        self.points_raw(sec, n - 1, n)
    }

    /// One G1 point of a section, checked.
    pub fn g1_point(&self, sec: u32, i: u64) -> Result<G1Affine> {
        let b = self.points_raw(sec, i, 1)?;
        g1_from_lem(&b).map_err(|fault| Error::BadPoint { at: self.file.location().section(sec).index(i), fault })
    }

    /// One G2 point of a section, checked.
    pub fn g2_point(&self, sec: u32, i: u64) -> Result<G2Affine> {
        let b = self.points_raw(sec, i, 1)?;
        g2_from_lem(&b).map_err(|fault| Error::BadPoint { at: self.file.location().section(sec).index(i), fault })
    }
}

/// Bytes per point of a ptau point section.
pub fn point_size(sec: u32) -> u64 {
    match sec {
        section::TAU_G2 | section::BETA_G2 | section::LAGRANGE_G2 => G2_LEM as u64,
        _ => G1_LEM as u64,
    }
}

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

/// One part of a contribution's public key: s·g1, x·s·g1 and x·s'·g2 for the secret x.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPart {
    /// Random s·g1.
    pub g1_s: G1Affine,
    /// x·s·g1.
    pub g1_sx: G1Affine,
    /// x·hashToG2(…), the proof of knowledge in G2.
    pub g2_spx: G2Affine,
}

/// The public key of a phase-1 contribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PtauKey {
    /// For τ (personalisation 0).
    pub tau: KeyPart,
    /// For α (personalisation 1).
    pub alpha: KeyPart,
    /// For β (personalisation 2).
    pub beta: KeyPart,
}

impl PtauKey {
    /// The 768-byte U encoding hashed into the response (and written in response files).
    pub fn to_u(&self) -> Vec<u8> {
        use crate::format::points::{g1_to_u, g2_to_u};
        let mut b = Vec::with_capacity(768);
        for k in [&self.tau, &self.alpha, &self.beta] {
            b.extend_from_slice(&g1_to_u(&k.g1_s));
            b.extend_from_slice(&g1_to_u(&k.g1_sx));
        }
        for k in [&self.tau, &self.alpha, &self.beta] {
            b.extend_from_slice(&g2_to_u(&k.g2_spx));
        }
        b
    }
}

/// One phase-1 contribution record of section 7.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtauContribution {
    /// New τ·g1.
    pub tau_g1: G1Affine,
    /// New τ·g2.
    pub tau_g2: G2Affine,
    /// New α·g1.
    pub alpha_g1: G1Affine,
    /// New β·g1.
    pub beta_g1: G1Affine,
    /// New β·g2.
    pub beta_g2: G2Affine,
    /// The public key.
    pub key: PtauKey,
    /// The response hasher's state before the public key (216 bytes).
    pub partial_hash: [u8; 216],
    /// The challenge hash of the next contribution.
    pub next_challenge: [u8; 64],
    /// 0 normal, 1 beacon.
    pub kind: u32,
    /// Name, beacon exponent and value.
    pub params: crate::format::params::Params,
}

/// Bytes of a record before its parameter list.
const RECORD_FIXED: usize = 64 + 128 + 64 + 64 + 128 + 6 * 64 + 3 * 128 + 216 + 64 + 4;

impl PtauContribution {
    /// Appends the record's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        use crate::format::points::{g1_to_lem, g2_to_lem};
        out.extend_from_slice(&g1_to_lem(&self.tau_g1));
        out.extend_from_slice(&g2_to_lem(&self.tau_g2));
        out.extend_from_slice(&g1_to_lem(&self.alpha_g1));
        out.extend_from_slice(&g1_to_lem(&self.beta_g1));
        out.extend_from_slice(&g2_to_lem(&self.beta_g2));
        for k in [&self.key.tau, &self.key.alpha, &self.key.beta] {
            out.extend_from_slice(&g1_to_lem(&k.g1_s));
            out.extend_from_slice(&g1_to_lem(&k.g1_sx));
        }
        for k in [&self.key.tau, &self.key.alpha, &self.key.beta] {
            out.extend_from_slice(&g2_to_lem(&k.g2_spx));
        }
        out.extend_from_slice(&self.partial_hash);
        out.extend_from_slice(&self.next_challenge);
        out.extend_from_slice(&self.kind.to_le_bytes());
        let p = crate::format::params::encode(
            self.kind,
            self.params.name.as_deref(),
            self.params.beacon_exp,
            self.params.beacon_hash.as_deref(),
        );
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&p);
    }
}

/// The bytes of section 7 for these records.
pub fn contributions_to_bytes(cs: &[PtauContribution]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&(cs.len() as u32).to_le_bytes());
    for c in cs {
        c.write(&mut b);
    }
    b
}

/// Parses section 7, checking every point (G2 in the subgroup).
pub fn parse_contributions(b: &[u8], at: &crate::error::Location) -> Result<Vec<PtauContribution>> {
    if b.len() < 4 {
        return Err(Error::malformed(at.clone(), "section is too short for the contribution count"));
    }
    let n = u32::from_le_bytes(b[0..4].try_into().expect("4 bytes"));
    let mut pos = 4usize;
    let mut out = Vec::new();
    for i in 0..n as u64 {
        let at_i = at.index(i);
        let short = || Error::malformed(at_i.clone(), format!("contribution {} is truncated", i + 1));
        let rec = b.get(pos..pos + RECORD_FIXED + 4).ok_or_else(short)?;
        let g1_at = |o: usize, what: &str| {
            g1_from_lem(&rec[o..o + 64])
                .map_err(|f| Error::malformed(at_i.clone(), format!("contribution {}: {what}: {f}", i + 1)))
        };
        let g2_at = |o: usize, what: &str| {
            g2_from_lem(&rec[o..o + 128])
                .map_err(|f| Error::malformed(at_i.clone(), format!("contribution {}: {what}: {f}", i + 1)))
        };
        let tau_g1 = g1_at(0, "tauG1")?;
        let tau_g2 = g2_at(64, "tauG2")?;
        let alpha_g1 = g1_at(192, "alphaG1")?;
        let beta_g1 = g1_at(256, "betaG1")?;
        let beta_g2 = g2_at(320, "betaG2")?;
        let mut parts =
            [KeyPart { g1_s: G1Affine::identity(), g1_sx: G1Affine::identity(), g2_spx: G2Affine::identity() }; 3];
        for (k, name) in ["tau", "alpha", "beta"].iter().enumerate() {
            parts[k] = KeyPart {
                g1_s: g1_at(448 + k * 128, &format!("{name}.g1_s"))?,
                g1_sx: g1_at(512 + k * 128, &format!("{name}.g1_sx"))?,
                g2_spx: g2_at(832 + k * 128, &format!("{name}.g2_spx"))?,
            };
        }
        let partial_hash: [u8; 216] = rec[1216..1432].try_into().expect("216 bytes");
        let next_challenge: [u8; 64] = rec[1432..1496].try_into().expect("64 bytes");
        let kind = u32::from_le_bytes(rec[1496..1500].try_into().expect("4 bytes"));
        let plen = u32::from_le_bytes(rec[1500..1504].try_into().expect("4 bytes")) as usize;
        pos += RECORD_FIXED + 4;
        let pbytes = b.get(pos..pos.saturating_add(plen)).ok_or_else(short)?;
        pos += plen;
        let params = crate::format::params::decode(pbytes, kind)
            .map_err(|m| Error::malformed(at_i.clone(), format!("contribution {}: {m}", i + 1)))?;
        out.push(PtauContribution {
            tau_g1,
            tau_g2,
            alpha_g1,
            beta_g1,
            beta_g2,
            key: PtauKey { tau: parts[0], alpha: parts[1], beta: parts[2] },
            partial_hash,
            next_challenge,
            kind,
            params,
        });
    }
    if pos != b.len() {
        return Err(Error::malformed(at.clone(), format!("{} trailing bytes after the contributions", b.len() - pos)));
    }
    Ok(out)
}

impl Ptau {
    /// The contribution records of section 7.
    pub fn contributions(&self) -> Result<Vec<PtauContribution>> {
        let b = self.file.read_section(section::CONTRIBUTIONS)?;
        parse_contributions(&b, &self.file.location().section(section::CONTRIBUTIONS))
    }
}

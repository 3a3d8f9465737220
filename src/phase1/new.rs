//! `powersoftau new`: a fresh ceremony, every power equal to the generator.

use std::path::Path;

use ark_bn254::{G1Affine, G2Affine};
use ark_ec::AffineRepr;

use super::hashes::first_challenge_hash;
use crate::error::{Error, Result};
use crate::format::binfile::BinWriter;
use crate::format::points::{g1_to_lem, g2_to_lem};
use crate::format::ptau::{fq_modulus_le, section};

/// The 44-byte header section of a ptau of this power.
pub fn header_bytes(power: u32, ceremony_power: u32) -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(&32u32.to_le_bytes());
    h.extend_from_slice(&fq_modulus_le());
    h.extend_from_slice(&power.to_le_bytes());
    h.extend_from_slice(&ceremony_power.to_le_bytes());
    h
}

/// Writes `count` copies of `unit` as one section.
fn repeated(w: &mut BinWriter, id: u32, unit: &[u8], count: u64) -> Result<()> {
    w.begin_section(id, unit.len() as u64 * count)?;
    let per = ((1 << 20) / unit.len()) as u64;
    let block: Vec<u8> = unit.iter().copied().cycle().take(per as usize * unit.len()).collect();
    let mut left = count;
    while left > 0 {
        let k = left.min(per);
        w.write(&block[..k as usize * unit.len()])?;
        left -= k;
    }
    Ok(())
}

/// Writes a new ptau of `power` (1..=28); returns the first challenge hash.
pub fn ptau_new(power: u32, out: &Path) -> Result<[u8; 64]> {
    if !(1..=28).contains(&power) {
        return Err(Error::Usage(format!("power {power} out of range: it must be between 1 and 28")));
    }
    let n = 1u64 << power;
    let g1 = g1_to_lem(&G1Affine::generator());
    let g2 = g2_to_lem(&G2Affine::generator());
    let mut w = BinWriter::create(out, b"ptau", 7)?;
    w.section(section::HEADER, &header_bytes(power, power))?;
    repeated(&mut w, section::TAU_G1, &g1, 2 * n - 1)?;
    repeated(&mut w, section::TAU_G2, &g2, n)?;
    repeated(&mut w, section::ALPHA_TAU_G1, &g1, n)?;
    repeated(&mut w, section::BETA_TAU_G1, &g1, n)?;
    repeated(&mut w, section::BETA_G2, &g2, 1)?;
    w.section(section::CONTRIBUTIONS, &0u32.to_le_bytes())?;
    w.finish()?;
    Ok(first_challenge_hash(power))
}

//! `powersoftau truncate`: smaller prepared ptau files cut from a bigger one, byte-identical to
//! snarkjs. Every section of power p is a prefix of the same section of a bigger power (the
//! Lagrange levels 0..=p are stored first), so each file is a copy of prefixes under a new header.

use std::path::{Path, PathBuf};

use super::new::header_bytes;
use super::point_sections;
use crate::error::{Error, Result};
use crate::format::binfile::BinWriter;
use crate::format::ptau::{point_size, section, Ptau};

/// Points of each Lagrange section for 2^power: levels 0..=power+1 of tauG1, 0..=power of the rest.
fn lagrange_sections(power: u32) -> [(u32, u64); 4] {
    let n = 1u64 << power;
    [
        (section::LAGRANGE_G1, 4 * n - 1),
        (section::LAGRANGE_G2, 2 * n - 1),
        (section::LAGRANGE_ALPHA_G1, 2 * n - 1),
        (section::LAGRANGE_BETA_G1, 2 * n - 1),
    ]
}

/// The name snarkjs gives the power-`p` file cut from `input`: its path without the extension,
/// then `_`, two digits and `.ptau` (`pot12_final.ptau` → `pot12_final_08.ptau`).
///
/// snarkjs cuts the path at its last '.', even one in a folder name when the file has no
/// extension; this cuts only the file's own extension.
pub fn default_template(input: &Path) -> String {
    format!("{}_", input.with_extension("").display())
}

/// The file of power `p` for a template: `template`, two digits, `.ptau`.
pub fn truncated_path(template: &str, p: u32) -> PathBuf {
    PathBuf::from(format!("{template}{p:02}.ptau"))
}

/// One file written.
#[derive(Debug, Clone)]
pub struct Truncated {
    /// Its power.
    pub power: u32,
    /// Where it was written.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
}

/// Writes the power-`p` prefix of a prepared `ptau` to `out`.
fn write_truncated(ptau: &Ptau, p: u32, out: &Path) -> Result<Truncated> {
    let mut w = BinWriter::create(out, b"ptau", 11)?;
    let header = header_bytes(p, ptau.ceremony_power);
    w.section(section::HEADER, &header)?;
    let mut bytes = 12 + 12 + header.len() as u64;
    let points = point_sections(p).map(|(id, _, count)| (id, count as u64));
    for (id, count) in points.into_iter().chain(lagrange_sections(p)) {
        let size = count * point_size(id);
        w.copy_section_prefix(&ptau.file, id, size)?;
        bytes += 12 + size;
        if id == section::BETA_G2 {
            w.copy_section(&ptau.file, section::CONTRIBUTIONS)?;
            bytes += 12 + ptau.file.section(section::CONTRIBUTIONS)?.size;
        }
    }
    w.finish()?;
    Ok(Truncated { power: p, path: out.to_path_buf(), bytes })
}

/// Cuts the prepared ptau at `input` to each of `powers` (every power below its own when
/// empty, as snarkjs), writing the files named by `template` (see [`default_template`]).
pub fn truncate(input: &Path, template: Option<&str>, powers: &[u32]) -> Result<Vec<Truncated>> {
    let ptau = Ptau::open(input)?;
    let _ = ptau.contributions()?;
    if !ptau.is_prepared() {
        return Err(Error::malformed(
            ptau.file.location().section(section::LAGRANGE_G1),
            "missing section: truncate needs a prepared ptau (run `tauforge ptau prepare-phase2` first)",
        ));
    }
    let mut powers: Vec<u32> = if powers.is_empty() { (1..ptau.power).collect() } else { powers.to_vec() };
    powers.sort_unstable();
    powers.dedup();
    if let Some(p) = powers.iter().find(|&&p| p == 0 || p >= ptau.power) {
        return Err(Error::Usage(format!(
            "cannot truncate {} (power {}) to power {p}: the power must be 1..={}",
            input.display(),
            ptau.power,
            ptau.power - 1
        )));
    }
    let template = template.map_or_else(|| default_template(input), str::to_string);
    powers.iter().map(|&p| write_truncated(&ptau, p, &truncated_path(&template, p))).collect()
}

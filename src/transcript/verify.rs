//! `transcript verify <dir>`: every circuit of a ceremony transcript, from the initial zkey (against
//! its r1cs and ptau) through every step to the final one; zkeys beside the chain that are not on
//! it (forks, "uncles") are found and named.
//!
//! Batched: per circuit one set of random coefficients, so one MSM per zkey serves both steps it
//! belongs to (n + 1 MSMs for n steps instead of 2n); circuits, the record checks of the steps and
//! the MSMs run in parallel.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use super::manifest::{relative, CircuitEntry, Manifest};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::format::ptau::Ptau;
use crate::format::r1cs::R1cs;
use crate::format::zkey::{section as zs, Zkey, KIND_BEACON};
use crate::phase2::contribute::contribution_hash;
use crate::phase2::new::{compute, InitialZkey};
use crate::phase2::verify::{verify_chain, ContributionInfo};
use crate::phase2::verify_step::{
    check_step_shape, lh_coefficients, lh_combination, lh_step_holds, verify_step_keys, LH_MISMATCH,
};
use crate::progress;

/// A zkey beside a circuit's chain that is not on it.
#[derive(Debug, Clone, Serialize)]
pub struct Uncle {
    /// Its path, relative to the transcript directory.
    pub file: String,
    /// The chain zkey it builds on, when one matches its records.
    pub parent: Option<String>,
    /// Whether it is a valid contribution on that parent (a valid contribution that fell out).
    pub valid: bool,
    /// Why it is not valid, or what it is.
    pub note: String,
}

/// One circuit's result.
#[derive(Debug, Clone, Serialize)]
pub struct CircuitReport {
    /// The manifest's name.
    pub name: String,
    /// Whether the whole chain verified.
    pub valid: bool,
    /// The first failure, naming the file or step.
    pub reason: Option<String>,
    /// The circuit hash, hex (when the r1cs and ptau could be read).
    pub circuit_hash: Option<String>,
    /// zkeys on the chain.
    pub zkeys: usize,
    /// The final zkey's contributions, oldest first (when valid).
    pub contributions: Vec<ContributionInfo>,
    /// Whether the final contribution is a beacon.
    pub final_beacon: bool,
    /// zkeys beside the chain that are not on it.
    pub uncles: Vec<Uncle>,
    /// Seconds for this circuit.
    pub seconds: f64,
}

/// The whole transcript's result.
#[derive(Debug, Clone, Serialize)]
pub struct TranscriptReport {
    /// The ceremony's name.
    pub ceremony: String,
    /// Whether every circuit verified.
    pub valid: bool,
    /// Per circuit, in manifest order.
    pub circuits: Vec<CircuitReport>,
    /// The backend used.
    pub backend: String,
    /// Seconds in all.
    pub seconds: f64,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// The message of an error, without the `Invalid` wrapper's prefix.
fn reason(e: &Error) -> String {
    match e {
        Error::Invalid(m) => m.clone(),
        e => e.to_string(),
    }
}

/// Checks that `z` is the initial zkey `init` (everything `zkey new` would write).
fn check_initial(init: &InitialZkey, z: &Zkey) -> Result<()> {
    if !z.mpc.contributions.is_empty() {
        return Err(invalid(format!(
            "it has {} contribution(s); the chain must start with the initial zkey",
            z.mpc.contributions.len()
        )));
    }
    if z.header != init.header {
        return Err(invalid("its header (section 2) is not the one the r1cs and ptau give"));
    }
    if z.mpc.cs_hash != init.cs_hash {
        return Err(invalid("its circuit hash is not the one the r1cs and ptau give"));
    }
    let f = &z.file;
    for (id, want, name) in [
        (zs::IC, init.ic_bytes(), "IC"),
        (zs::COEFFS, init.coeffs.clone(), "coefficients"),
        (zs::A, init.a_bytes(), "A"),
        (zs::B1, init.b1_bytes(), "B1"),
        (zs::B2, init.b2_bytes(), "B2"),
        (zs::C, init.c_bytes(), "L"),
        (zs::H, init.h.clone(), "H"),
    ] {
        if f.read_section(id)? != want {
            return Err(invalid(format!("its {name} section (section {id}) is not the one the r1cs and ptau give")));
        }
    }
    Ok(())
}

struct Chain {
    names: Vec<String>,
    zkeys: Vec<Zkey>,
}

/// The chain's checks; `Err` is the first failure.
fn verify_chain_files(
    dir: &Path,
    c: &CircuitEntry,
    chain: &Chain,
    backend: &dyn Backend,
) -> Result<Vec<ContributionInfo>> {
    let in_dir = |p: &str| -> Result<PathBuf> { Ok(dir.join(relative(p).map_err(invalid)?)) };
    let r1cs = R1cs::read(&in_dir(&c.r1cs)?)?;
    let ptau = Ptau::open(&in_dir(&c.ptau)?)?;
    let init = compute(&r1cs, &ptau).map_err(|e| invalid(format!("{} with {}: {}", c.r1cs, c.ptau, reason(&e))))?;
    let (names, z) = (&chain.names, &chain.zkeys);
    check_initial(&init, &z[0]).map_err(|e| invalid(format!("{}: {}", names[0], reason(&e))))?;
    let step_err = |i: usize, e: &Error| invalid(format!("step {} → {}: {}", names[i - 1], names[i], reason(e)));
    // The shape of every step, in parallel; the first failure in chain order wins. The records
    // themselves are verified once, on the last zkey, whose chain contains every other's.
    let shapes: Vec<Result<()>> = (1..z.len()).into_par_iter().map(|i| check_step_shape(&z[i - 1], &z[i])).collect();
    for (k, r) in shapes.into_iter().enumerate() {
        r.map_err(|e| step_err(k + 1, &e))?;
    }
    // One MSM per zkey with the same coefficients serves both of its steps.
    let r = lh_coefficients(&z[0])?;
    let combos: Vec<Result<_>> = z.par_iter().map(|zk| lh_combination(zk, &r, backend)).collect();
    let mut combos_ok = Vec::with_capacity(combos.len());
    for (i, a) in combos.into_iter().enumerate() {
        combos_ok.push(a.map_err(|e| invalid(format!("{}: {}", names[i], reason(&e))))?);
    }
    for i in 1..z.len() {
        if !lh_step_holds(&combos_ok[i - 1], &z[i - 1], &combos_ok[i], &z[i]) {
            return Err(step_err(i, &invalid(LH_MISMATCH)));
        }
    }
    let last = z.last().expect("non-empty chain");
    let (_, infos) =
        verify_chain(&last.mpc).map_err(|e| invalid(format!("{}: {}", names[names.len() - 1], reason(&e))))?;
    if let Some(want) = &c.contribution_hashes {
        for (i, (w, rec)) in want.iter().zip(&last.mpc.contributions).enumerate() {
            if !w.eq_ignore_ascii_case(&hex::encode(contribution_hash(rec))) {
                return Err(invalid(format!(
                    "receipt #{} (contribution hash {}…) does not match contribution #{} of the chain",
                    i + 1,
                    &w[..w.len().min(16)],
                    i + 1
                )));
            }
        }
    }
    Ok(infos)
}

/// zkeys in the folders of the chain's files that are not on the chain.
fn find_uncles(dir: &Path, chain: &Chain, backend: &dyn Backend, claimed: &BTreeSet<PathBuf>) -> Vec<Uncle> {
    let folders: BTreeSet<PathBuf> =
        chain.names.iter().map(|n| Path::new(n).parent().unwrap_or(Path::new("")).to_path_buf()).collect();
    let mut found = Vec::new();
    for f in folders {
        let Ok(entries) = std::fs::read_dir(dir.join(&f)) else { continue };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "zkey") && p.is_file())
            .filter_map(|p| p.file_name().map(|n| f.join(n)))
            .filter(|rel| !claimed.contains(rel))
            .collect();
        names.sort();
        found.extend(names);
    }
    found
        .par_iter()
        .map(|rel| {
            let file = rel.to_string_lossy().into_owned();
            let z = match Zkey::open(&dir.join(rel)) {
                Ok(z) => z,
                Err(e) => return Uncle { file, parent: None, valid: false, note: format!("unreadable: {e}") },
            };
            let n = z.mpc.contributions.len();
            let parent = chain.zkeys.iter().position(|p| {
                n >= 1 && p.mpc.cs_hash == z.mpc.cs_hash && p.mpc.contributions[..] == z.mpc.contributions[..n - 1]
            });
            let Some(k) = parent else {
                return Uncle { file, parent: None, valid: false, note: "not built on any zkey of the chain".into() };
            };
            let parent = Some(chain.names[k].clone());
            // What it is: a fork of the chain at zkey k, or one chained from the initial zkey.
            let what = if k == 0 && chain.zkeys.len() > 1 {
                "chained from the initial zkey (contribution 0)".to_string()
            } else if k + 1 < chain.zkeys.len() {
                format!("a fork of the chain after zkey #{k}")
            } else {
                "built on the last zkey of the chain".to_string()
            };
            match verify_step_keys(&chain.zkeys[k], &z, backend) {
                Ok(c) => Uncle {
                    file,
                    parent,
                    valid: true,
                    note: format!(
                        "a valid contribution ({}, hash {}…) that is not on the chain: {what}",
                        c.name.as_deref().unwrap_or("unnamed"),
                        &c.hash[..16]
                    ),
                },
                Err(e) => Uncle { file, parent, valid: false, note: format!("{what}, and invalid: {}", reason(&e)) },
            }
        })
        .collect()
}

fn verify_circuit(dir: &Path, c: &CircuitEntry, backend: &dyn Backend, claimed: &BTreeSet<PathBuf>) -> CircuitReport {
    let t0 = Instant::now();
    let mut rep = CircuitReport {
        name: c.name.clone(),
        valid: false,
        reason: None,
        circuit_hash: None,
        zkeys: c.zkeys.len(),
        contributions: Vec::new(),
        final_beacon: false,
        uncles: Vec::new(),
        seconds: 0.0,
    };
    let opened: Result<Vec<Zkey>> =
        c.zkeys.par_iter().map(|p| relative(p).map_err(invalid).and_then(|rel| Zkey::open(&dir.join(rel)))).collect();
    match opened {
        Ok(zkeys) => {
            let chain = Chain { names: c.zkeys.clone(), zkeys };
            rep.circuit_hash = Some(hex::encode(chain.zkeys[0].mpc.cs_hash));
            match verify_chain_files(dir, c, &chain, backend) {
                Ok(infos) => {
                    rep.valid = true;
                    rep.final_beacon = chain
                        .zkeys
                        .last()
                        .and_then(|z| z.mpc.contributions.last())
                        .is_some_and(|r| r.kind == KIND_BEACON);
                    rep.contributions = infos;
                }
                Err(e) => rep.reason = Some(reason(&e)),
            }
            rep.uncles = find_uncles(dir, &chain, backend, claimed);
        }
        Err(e) => rep.reason = Some(reason(&e)),
    }
    rep.seconds = t0.elapsed().as_secs_f64();
    rep
}

/// Verifies the transcript in `dir` (its `transcript.json` and the files it names).
pub fn verify_transcript(dir: &Path, backend: &dyn Backend) -> Result<TranscriptReport> {
    let t0 = Instant::now();
    let m = Manifest::read(dir)?;
    // Every zkey any circuit lists is on a chain; the others beside them are uncles.
    let claimed: BTreeSet<PathBuf> =
        m.circuits.iter().flat_map(|c| c.zkeys.iter()).filter_map(|p| relative(p).ok()).map(normal).collect();
    let pb = progress::bar(m.circuits.len() as u64, "verifying the transcript");
    let circuits: Vec<CircuitReport> = m
        .circuits
        .par_iter()
        .map(|c| {
            let r = verify_circuit(dir, c, backend, &claimed);
            pb.inc(1);
            r
        })
        .collect();
    pb.finish_and_clear();
    Ok(TranscriptReport {
        ceremony: m.ceremony,
        valid: circuits.iter().all(|c| c.valid),
        circuits,
        backend: backend.name(),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// A relative path without `.` components (how the uncle scan names files).
fn normal(p: PathBuf) -> PathBuf {
    p.components().filter(|c| !matches!(c, std::path::Component::CurDir)).collect()
}

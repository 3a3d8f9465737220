//! `tauforge demo`: a complete local ceremony — phase 1 (powers of tau) and phase 2 on a bundled
//! circuit (a Poseidon Merkle inclusion proof) — with a timing table.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use serde_json::json;

use super::backend::BackendArgs;
use super::output::{Output, EXIT_INVALID, EXIT_OK};
use crate::crypto::blake::format_hash;
use crate::crypto::entropy::random_rng;
use crate::format::atomic::write_file;
use crate::phase1::contribute::{contribute as ptau_contribute, Source as PtauSource};
use crate::phase1::new::ptau_new;
use crate::phase1::prepare::prepare_phase2;
use crate::phase1::verify::verify_ptau;
use crate::phase2::contribute::{contribute, Source};
use crate::phase2::export::export_vkey;
use crate::phase2::new::zkey_new;
use crate::phase2::verify::verify_from_r1cs;

/// The bundled circuit: a depth-7 Poseidon Merkle inclusion proof (tests/fixtures/circuits/merkle.circom).
const MERKLE_R1CS: &[u8] = include_bytes!("../../tests/fixtures/circuits/merkle.r1cs");
/// The demo's public beacon value.
const BEACON: &str = "7461756667726f67652064656d6f20626561636f6e2c206e6f7420736563726574";

/// Options of the demo.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder for the ceremony's files (default: a new temporary folder, kept afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    backend: BackendArgs,
}

struct Step {
    name: String,
    file: PathBuf,
    seconds: f64,
    hash: Option<[u8; 64]>,
}

/// Runs the demo.
pub fn run(a: DemoArgs, out: &Output) -> anyhow::Result<i32> {
    let dir = match a.dir {
        Some(d) => {
            std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
            d
        }
        None => tempfile::Builder::new().prefix("tauforge-demo-").tempdir()?.keep(),
    };
    let backend = a.backend.build(out)?;
    out.line(format!("tauforge demo: a Groth16 phase-2 ceremony in {}", dir.display()));
    out.line(format!("backend: {}", backend.name()));
    let r1cs = dir.join("merkle.r1cs");
    write_file(&r1cs, MERKLE_R1CS)?;
    out.line("circuit: Poseidon Merkle inclusion proof, depth 7 (3647 constraints, domain 2^12)");

    let mut steps: Vec<Step> = Vec::new();
    let p = |n: &str| dir.join(n);

    // Phase 1: powers of tau of power 12, two contributions, a beacon, the Lagrange sections.
    let t = Instant::now();
    let first = ptau_new(12, &p("pot12_0000.ptau"))?;
    steps.push(Step {
        name: "ptau new (power 12)".into(),
        file: p("pot12_0000.ptau"),
        seconds: t.elapsed().as_secs_f64(),
        hash: Some(first),
    });
    let mut prev = p("pot12_0000.ptau");
    for (i, who) in ["Dave", "Erin"].iter().enumerate() {
        let next = p(&format!("pot12_{:04}.ptau", i + 1));
        let mut rng = random_rng(format!("tauforge demo powers of tau by {who}").as_bytes())?;
        let s = ptau_contribute(&prev, &next, PtauSource::Random(&mut rng), Some(who), backend.as_ref())?;
        steps.push(Step {
            name: format!("ptau contribute ({who})"),
            file: next.clone(),
            seconds: s.seconds,
            hash: Some(s.response_hash),
        });
        prev = next;
    }
    let beacon = hex::decode(BEACON)?;
    let s = ptau_contribute(
        &prev,
        &p("pot12_beacon.ptau"),
        PtauSource::Beacon { hash: beacon.clone(), exp: 10 },
        Some("demo beacon"),
        backend.as_ref(),
    )?;
    steps.push(Step {
        name: "ptau beacon".into(),
        file: p("pot12_beacon.ptau"),
        seconds: s.seconds,
        hash: Some(s.response_hash),
    });
    let ptau = p("pot12_final.ptau");
    let s = prepare_phase2(&p("pot12_beacon.ptau"), &ptau, backend.as_ref())?;
    steps.push(Step { name: "ptau prepare-phase2".into(), file: ptau.clone(), seconds: s.seconds, hash: None });
    let t = Instant::now();
    match verify_ptau(&ptau, backend.as_ref()) {
        Ok(_) => {}
        Err(crate::Error::Invalid(m)) => {
            eprintln!("tauforge: INVALID: {m}");
            return Ok(EXIT_INVALID);
        }
        Err(e) => return Err(e.into()),
    }
    steps.push(Step { name: "ptau verify".into(), file: ptau.clone(), seconds: t.elapsed().as_secs_f64(), hash: None });

    // Phase 2 on the circuit.
    let t = Instant::now();
    let cs = zkey_new(&r1cs, &ptau, &p("merkle_0000.zkey"))?;
    steps.push(Step {
        name: "zkey new".into(),
        file: p("merkle_0000.zkey"),
        seconds: t.elapsed().as_secs_f64(),
        hash: Some(cs),
    });

    let mut prev = p("merkle_0000.zkey");

    for (i, who) in ["Alice", "Bob", "Carol"].iter().enumerate() {
        let next = p(&format!("merkle_{:04}.zkey", i + 1));
        let mut rng = random_rng(format!("tauforge demo contribution by {who}").as_bytes())?;
        let s = contribute(&prev, &next, Source::Random(&mut rng), Some(who), backend.as_ref())?;
        steps.push(Step {
            name: format!("zkey contribute ({who})"),
            file: next.clone(),
            seconds: s.total_seconds,
            hash: Some(s.contribution_hash),
        });
        prev = next;
    }
    let final_zkey = p("merkle_final.zkey");
    let s = contribute(
        &prev,
        &final_zkey,
        Source::Beacon { hash: beacon, exp: 10 },
        Some("demo beacon"),
        backend.as_ref(),
    )?;
    steps.push(Step {
        name: "zkey beacon".into(),
        file: final_zkey.clone(),
        seconds: s.total_seconds,
        hash: Some(s.contribution_hash),
    });

    let t = Instant::now();
    let rep = match verify_from_r1cs(&r1cs, &ptau, &final_zkey, backend.as_ref()) {
        Ok(r) => r,
        Err(crate::Error::Invalid(m)) => {
            eprintln!("tauforge: INVALID: {m}");
            return Ok(EXIT_INVALID);
        }
        Err(e) => return Err(e.into()),
    };
    steps.push(Step {
        name: "zkey verify".into(),
        file: final_zkey.clone(),
        seconds: t.elapsed().as_secs_f64(),
        hash: None,
    });

    let vk = p("verification_key.json");
    let t = Instant::now();
    export_vkey(&final_zkey, &vk)?;
    steps.push(Step { name: "export-vkey".into(), file: vk.clone(), seconds: t.elapsed().as_secs_f64(), hash: None });

    out.line("");
    out.line(format!("{:<24} {:>9}  {:<22} {}", "step", "seconds", "file", "hash"));
    for s in &steps {
        out.line(format!(
            "{:<24} {:>9.3}  {:<22} {}",
            s.name,
            s.seconds,
            file_name(&s.file),
            s.hash.map(|h| hex::encode(&h[..8]) + "…").unwrap_or_default()
        ));
    }
    let total: f64 = steps.iter().map(|s| s.seconds).sum();
    out.line(format!("{:<24} {:>9.3}", "total", total));
    out.line("");
    out.line(format!("Circuit Hash:\n{}", format_hash(&rep.cs_hash, "\t\t")));
    out.line(format!("ZKey Ok! {} contributions verified; files are in {}", rep.contributions.len(), dir.display()));
    out.summary(json!({
        "dir": dir,
        "valid": true,
        "circuit_hash": hex::encode(rep.cs_hash),
        "backend": backend.name(),
        "steps": steps.iter().map(|s| json!({
            "step": s.name, "seconds": s.seconds, "file": s.file, "hash": s.hash.map(hex::encode),
        })).collect::<Vec<_>>(),
        "contributions": rep.contributions,
    }));
    Ok(EXIT_OK)
}

fn file_name(p: &Path) -> String {
    p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

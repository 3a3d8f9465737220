//! `tauforge ptau …`: the phase-1 verbs, named and ordered as snarkjs's `powersoftau`.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::backend::BackendArgs;
use super::output::{Output, EXIT_OK};
use super::zkey::{contributor_rng, hash_block};
use crate::crypto::beacon::parse_beacon_hash;
use crate::format::params::KIND_BEACON;
use crate::format::ptau::Ptau;
use crate::phase1::challenge::{challenge_contribute, export_challenge, import_response};
use crate::phase1::contribute::{contribute, Source, Summary};
use crate::phase1::hashes::first_challenge_hash;
use crate::phase1::new::ptau_new;
use crate::phase1::prepare::prepare_phase2;
use crate::phase1::truncate::truncate;
use crate::phase1::verify::verify_ptau;
use crate::phase1::verify_step::verify_ptau_step;

/// Phase-1 verbs.
#[derive(Debug, Subcommand)]
pub enum PtauCommand {
    /// Start a ceremony: every power equal to the generator (byte-identical to `snarkjs powersoftau new`).
    New {
        /// The curve, named first as in snarkjs: bn128 (or its other name, bn254).
        #[arg(value_parser = ["bn128", "bn254"])]
        curve: String,
        /// log2 of the number of powers (1..=28).
        power: u32,
        /// The ptau to write.
        out: PathBuf,
    },
    /// Add a secret contribution.
    Contribute {
        /// The current ptau.
        input: PathBuf,
        /// The ptau to write.
        out: PathBuf,
        /// Your name, recorded in the file.
        #[arg(long, short)]
        name: Option<String>,
        /// Extra entropy text, mixed with the OS random generator (asked for on a terminal when absent).
        #[arg(long, short)]
        entropy: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Apply a public random beacon (byte-identical to `snarkjs powersoftau beacon`).
    Beacon {
        /// The current ptau.
        input: PathBuf,
        /// The ptau to write.
        out: PathBuf,
        /// The beacon value, hex.
        beacon_hash: String,
        /// log2 of the number of SHA-256 iterations (10..=63).
        iterations_exp: u32,
        /// A name, recorded in the file.
        #[arg(long, short)]
        name: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Compute the Lagrange sections phase 2 needs (byte-identical to `snarkjs powersoftau prepare phase2`).
    #[command(name = "prepare-phase2", visible_alias = "pp2")]
    PreparePhase2 {
        /// The ptau (after its final beacon).
        input: PathBuf,
        /// The prepared ptau to write.
        out: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Cut a prepared ptau to smaller powers, one file each (byte-identical to `snarkjs powersoftau truncate`).
    #[command(visible_alias = "ptt")]
    Truncate {
        /// The prepared ptau.
        input: PathBuf,
        /// Write only this power (repeatable); by default every power below the input's, as snarkjs.
        #[arg(long, short)]
        power: Vec<u32>,
        /// Output names are this, two digits and `.ptau` [default: the input's path without its
        /// extension, then `_`, as snarkjs: pot12_final.ptau → pot12_final_08.ptau].
        #[arg(long)]
        template: Option<String>,
    },
    /// Verify a ptau: every contribution, the powers, the challenge chain and the Lagrange sections.
    Verify {
        /// The ptau.
        ptau: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Check that a ptau is the previous one plus exactly one valid contribution: what a
    /// coordinator runs on every upload.
    #[command(name = "verify-step")]
    VerifyStep {
        /// The ptau the contribution must build on.
        previous: PathBuf,
        /// The uploaded ptau.
        next: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Write the challenge file of the next contribution (Perpetual Powers of Tau format).
    #[command(name = "export-challenge")]
    ExportChallenge {
        /// The current ptau.
        ptau: PathBuf,
        /// The challenge file to write.
        challenge: PathBuf,
    },
    /// Contribute to a challenge file, writing a response file.
    #[command(name = "challenge-contribute")]
    ChallengeContribute {
        /// The challenge file.
        challenge: PathBuf,
        /// The response file to write.
        response: PathBuf,
        /// Extra entropy text, mixed with the OS random generator (asked for on a terminal when absent).
        #[arg(long, short)]
        entropy: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Import a response file into a ptau, adding its contribution.
    #[command(name = "import-response")]
    ImportResponse {
        /// The ptau the challenge was exported from.
        old: PathBuf,
        /// The response file.
        response: PathBuf,
        /// The ptau to write.
        new: PathBuf,
        /// The contributor's name, recorded in the file.
        #[arg(long, short)]
        name: Option<String>,
    },
    /// Show a ptau's header and contributions.
    Info {
        /// The ptau.
        ptau: PathBuf,
    },
}

fn report(out: &Output, s: &Summary, dst: &std::path::Path) {
    out.line(hash_block("Contribution Response Hash: ", &s.response_hash));
    out.line(hash_block("Next Challenge Hash: ", &s.next_challenge));
    out.summary(json!({
        "output": dst,
        "response_hash": hex::encode(s.response_hash),
        "next_challenge": hex::encode(s.next_challenge),
        "contributions": s.n_contributions,
        "points_scaled": s.points,
        "backend": s.backend,
        "seconds": s.seconds,
    }));
}

/// Runs a ptau verb.
pub fn run(cmd: PtauCommand, out: &Output) -> anyhow::Result<i32> {
    match cmd {
        PtauCommand::New { curve: _, power, out: dst } => {
            let h = ptau_new(power, &dst)?;
            out.line(hash_block("First Contribution Hash: ", &h));
            out.summary(json!({"output": dst, "power": power, "first_challenge": hex::encode(h)}));
            Ok(EXIT_OK)
        }
        PtauCommand::Contribute { input, out: dst, name, entropy, backend } => {
            let mut rng = contributor_rng(entropy)?;
            let be = backend.build(out)?;
            let s = contribute(&input, &dst, Source::Random(&mut rng), name.as_deref(), be.as_ref())?;
            report(out, &s, &dst);
            Ok(EXIT_OK)
        }
        PtauCommand::Beacon { input, out: dst, beacon_hash, iterations_exp, name, backend } => {
            let hash = parse_beacon_hash(&beacon_hash)?;
            let be = backend.build(out)?;
            let s =
                contribute(&input, &dst, Source::Beacon { hash, exp: iterations_exp }, name.as_deref(), be.as_ref())?;
            report(out, &s, &dst);
            Ok(EXIT_OK)
        }
        PtauCommand::PreparePhase2 { input, out: dst, backend } => {
            let be = backend.build(out)?;
            let s = prepare_phase2(&input, &dst, be.as_ref())?;
            out.line(format!(
                "Prepared {}: power {}, {} Lagrange points in {:.2} s ({})",
                dst.display(),
                s.power,
                s.points,
                s.seconds,
                s.backend
            ));
            if let Some(cp) = s.reduced_from {
                eprintln!(
                    "tauforge: warning: {} is a reduced file (power {} of ceremony power {cp}); as with snarkjs, \
                     {} says ceremony power {}, so `ptau verify` rejects its contributions (made at power {cp}). \
                     For a verifiable file, prepare the power-{cp} ptau and `ptau truncate` it.",
                    input.display(),
                    s.power,
                    dst.display(),
                    s.power
                );
            }
            out.summary(json!({
                "output": dst, "power": s.power, "points": s.points, "seconds": s.seconds, "backend": s.backend,
                "reduced_from": s.reduced_from,
            }));
            Ok(EXIT_OK)
        }
        PtauCommand::Truncate { input, power, template } => {
            let files = truncate(&input, template.as_deref(), &power)?;
            for f in &files {
                out.line(format!("Wrote {} (power {}, {} bytes)", f.path.display(), f.power, f.bytes));
            }
            let files: Vec<_> =
                files.iter().map(|f| json!({"power": f.power, "path": f.path, "bytes": f.bytes})).collect();
            out.summary(json!({"input": input, "files": files}));
            Ok(EXIT_OK)
        }
        PtauCommand::Verify { ptau, backend } => {
            let be = backend.build(out)?;
            match verify_ptau(&ptau, be.as_ref()) {
                Ok(rep) => {
                    for c in rep.contributions.iter().rev() {
                        out.line("-----------------------------------------------------");
                        out.line(format!("contribution #{} {}:", c.index, c.name.as_deref().unwrap_or("")));
                        out.line(hash_block("Response Hash:", &c.response_bytes));
                        if let (Some(h), Some(e)) = (&c.beacon_hash, c.beacon_exp) {
                            out.line(format!("Beacon generator: {h}"));
                            out.line(format!("Beacon iterations Exp: {e}"));
                        }
                    }
                    out.line("-----------------------------------------------------");
                    out.line(hash_block("Next challenge hash:", &rep.next_challenge));
                    if !rep.prepared {
                        out.line("note: no Lagrange sections (run `tauforge ptau prepare-phase2` before phase 2)");
                    }
                    out.line("Powers of Tau Ok!");
                    out.summary(json!({
                        "valid": true, "power": rep.power, "prepared": rep.prepared,
                        "next_challenge": hex::encode(rep.next_challenge),
                        "contributions": rep.contributions, "seconds": rep.seconds,
                    }));
                    Ok(EXIT_OK)
                }
                Err(crate::Error::Invalid(msg)) => Ok(out.invalid(&msg)),
                Err(e) => Err(e.into()),
            }
        }
        PtauCommand::VerifyStep { previous, next, backend } => {
            let be = backend.build(out)?;
            match verify_ptau_step(&previous, &next, be.as_ref()) {
                Ok(rep) => {
                    let c = &rep.contribution;
                    out.line(format!("contribution #{} {}:", c.index, c.name.as_deref().unwrap_or("")));
                    out.line(hash_block("Response Hash:", &c.response_bytes));
                    out.line(format!("Step Ok! (contribution #{} on top of #{})", c.index, rep.previous_contributions));
                    out.summary(json!({"valid": true, "step": rep}));
                    Ok(EXIT_OK)
                }
                Err(crate::Error::Invalid(msg)) => Ok(out.invalid(&msg)),
                Err(e) => Err(e.into()),
            }
        }
        PtauCommand::ExportChallenge { ptau, challenge } => {
            let h = export_challenge(&ptau, &challenge)?;
            out.line(hash_block("Current Challenge Hash: ", &h));
            out.summary(json!({"output": challenge, "challenge_hash": hex::encode(h)}));
            Ok(EXIT_OK)
        }
        PtauCommand::ChallengeContribute { challenge, response, entropy, backend } => {
            let mut rng = contributor_rng(entropy)?;
            let be = backend.build(out)?;
            let h = challenge_contribute(&challenge, &response, &mut rng, be.as_ref())?;
            out.line(hash_block("Contribution Response Hash: ", &h));
            out.summary(json!({"output": response, "response_hash": hex::encode(h)}));
            Ok(EXIT_OK)
        }
        PtauCommand::ImportResponse { old, response, new, name } => {
            let r = import_response(&old, &response, &new, name.as_deref())?;
            out.line(hash_block("Contribution Response Hash imported: ", &r.response_hash));
            out.line(hash_block("Next Challenge Hash: ", &r.next_challenge));
            out.summary(json!({"output": new, "response_hash": hex::encode(r.response_hash), "next_challenge": hex::encode(r.next_challenge)}));
            Ok(EXIT_OK)
        }
        PtauCommand::Info { ptau } => {
            let p = Ptau::open(&ptau)?;
            let cs = p.contributions()?;
            out.line(format!("ptau:          {}", ptau.display()));
            out.line(format!("power:         {} (ceremony power {})", p.power, p.ceremony_power));
            out.line(format!(
                "prepared:      {}",
                if p.is_prepared() { "yes (Lagrange sections 12-15)" } else { "no" }
            ));
            out.line(format!("sections:      {:?}", p.file.order));
            out.line(hash_block("First challenge: ", &first_challenge_hash(p.ceremony_power)));
            out.line(format!("contributions: {}", cs.len()));
            for (i, c) in cs.iter().enumerate() {
                let kind = if c.kind == KIND_BEACON { "beacon" } else { "contribution" };
                out.line(hash_block(
                    &format!("#{} {kind} {} next challenge:", i + 1, c.params.name.as_deref().unwrap_or("")),
                    &c.next_challenge,
                ));
            }
            out.summary(json!({
                "power": p.power, "ceremony_power": p.ceremony_power, "prepared": p.is_prepared(),
                "contributions": cs.iter().enumerate().map(|(i, c)| json!({
                    "index": i + 1, "name": c.params.name, "type": if c.kind == KIND_BEACON { "beacon" } else { "contribution" },
                    "next_challenge": hex::encode(c.next_challenge),
                })).collect::<Vec<_>>(),
            }));
            Ok(EXIT_OK)
        }
    }
}

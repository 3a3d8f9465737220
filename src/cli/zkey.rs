//! `tauforge zkey …`: the phase-2 verbs, named and ordered as snarkjs's.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use serde_json::json;
use zeroize::Zeroizing;

use super::backend::BackendArgs;
use super::output::{Output, EXIT_OK};
use crate::crypto::beacon::parse_beacon_hash;
use crate::crypto::blake::format_hash;
use crate::crypto::chacha::ChaChaRng;
use crate::crypto::entropy::random_rng;
use crate::format::zkey::{Zkey, KIND_BEACON};
use crate::phase2::bellman::{bellman_contribute, export_bellman, import_bellman, BellmanSummary};
use crate::phase2::contribute::{contribute, contribution_hash, Source};
use crate::phase2::export::export_vkey;
use crate::phase2::new::zkey_new;
use crate::phase2::verify::{verify_from_init, verify_from_r1cs, VerifyReport};
use crate::phase2::verify_step::verify_step;
use crate::Error;

/// Phase-2 verbs.
#[derive(Debug, Subcommand)]
pub enum ZkeyCommand {
    /// Create the initial zkey of a circuit (byte-identical to `snarkjs zkey new`).
    #[command(visible_alias = "setup")]
    New {
        /// The circuit (.r1cs from circom 2).
        r1cs: PathBuf,
        /// A prepared powers-of-tau file.
        ptau: PathBuf,
        /// The zkey to write.
        out: PathBuf,
    },
    /// Add a secret contribution.
    Contribute {
        /// The current zkey.
        input: PathBuf,
        /// The zkey to write.
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
    /// Apply a public random beacon (byte-identical to `snarkjs zkey beacon`).
    Beacon {
        /// The current zkey.
        input: PathBuf,
        /// The zkey to write.
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
    /// Verify a zkey against its circuit and powers of tau.
    Verify {
        /// The circuit (.r1cs).
        r1cs: PathBuf,
        /// The prepared ptau the ceremony started from.
        ptau: PathBuf,
        /// The zkey to verify.
        zkey: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Verify a zkey against the ceremony's initial zkey and the powers of tau, with no r1cs (as
    /// `snarkjs zkey verify init`)
    #[command(name = "verify-init")]
    VerifyInit {
        /// The initial zkey (`zkey new`'s output, no contributions).
        init: PathBuf,
        /// The prepared ptau the ceremony started from.
        ptau: PathBuf,
        /// The zkey to verify.
        zkey: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Check that a zkey is the previous one plus exactly one valid contribution (no r1cs or ptau
    /// needed): what a coordinator runs on every upload.
    #[command(name = "verify-step")]
    VerifyStep {
        /// The zkey the contribution must build on.
        previous: PathBuf,
        /// The uploaded zkey.
        next: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Write the verification key JSON (as `snarkjs zkey export verificationkey`).
    #[command(name = "export-vkey", visible_alias = "export-verificationkey")]
    ExportVkey {
        /// The zkey.
        zkey: PathBuf,
        /// The JSON file to write.
        out: PathBuf,
    },
    /// Write the MPC-params file of a zkey for kobi/phase2-bn254 (byte-identical to `snarkjs zkey
    /// export bellman`)
    #[command(name = "export-bellman")]
    ExportBellman {
        /// The zkey.
        zkey: PathBuf,
        /// The MPC-params (challenge) file to write.
        out: PathBuf,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Contribute to an MPC-params challenge, writing the response (as `snarkjs zkey bellman
    /// contribute`)
    #[command(name = "bellman-contribute")]
    BellmanContribute {
        /// The MPC-params challenge.
        challenge: PathBuf,
        /// The response to write.
        response: PathBuf,
        /// Extra entropy text, mixed with the OS random generator (asked for on a terminal when absent).
        #[arg(long, short)]
        entropy: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Import an MPC-params response into the zkey it was exported from (byte-identical to
    /// `snarkjs zkey import bellman`); check the result with verify-step
    #[command(name = "import-bellman")]
    ImportBellman {
        /// The zkey the challenge was exported from.
        old: PathBuf,
        /// The MPC-params response.
        response: PathBuf,
        /// The zkey to write.
        new: PathBuf,
        /// The contributor's name, recorded for every new contribution.
        #[arg(long, short)]
        name: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Show a zkey's header, sections and contributions.
    Info {
        /// The zkey.
        zkey: PathBuf,
    },
}

/// A hash printed as snarkjs prints it, under a title.
pub fn hash_block(title: &str, h: &[u8; 64]) -> String {
    format!("{title}\n{}", format_hash(h, "\t\t"))
}

/// Reads entropy from the terminal the way snarkjs asks for it.
pub fn ask_entropy() -> anyhow::Result<Zeroizing<String>> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(Zeroizing::new(String::new()));
    }
    eprint!("Enter a random text. (Entropy): ");
    std::io::stderr().flush().ok();
    let mut line = Zeroizing::new(String::new());
    stdin.lock().read_line(&mut line).context("reading entropy from the terminal")?;
    let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
    Ok(trimmed)
}

/// The random generator of a contribution: the OS's randomness mixed with `entropy`, or with
/// text asked for on the terminal when none was given.
pub fn contributor_rng(entropy: Option<String>) -> anyhow::Result<ChaChaRng> {
    let entropy = match entropy {
        Some(e) => Zeroizing::new(e),
        None => ask_entropy()?,
    };
    Ok(random_rng(entropy.as_bytes())?)
}

/// Runs a zkey verb.
pub fn run(cmd: ZkeyCommand, out: &Output) -> anyhow::Result<i32> {
    match cmd {
        ZkeyCommand::New { r1cs, ptau, out: dst } => {
            let t = std::time::Instant::now();
            let cs = zkey_new(&r1cs, &ptau, &dst)?;
            out.line(hash_block("Circuit hash: ", &cs));
            out.summary(json!({"circuit_hash": hex::encode(cs), "output": dst, "seconds": t.elapsed().as_secs_f64()}));
            Ok(EXIT_OK)
        }
        ZkeyCommand::Contribute { input, out: dst, name, entropy, backend } => {
            let mut rng = contributor_rng(entropy)?;
            let be = backend.build(out)?;
            let s = contribute(&input, &dst, Source::Random(&mut rng), name.as_deref(), be.as_ref())?;
            out.line(hash_block("Circuit Hash: ", &s.cs_hash));
            out.line(hash_block("Contribution Hash: ", &s.contribution_hash));
            out.summary(summary_json(&s, &dst));
            Ok(EXIT_OK)
        }
        ZkeyCommand::Beacon { input, out: dst, beacon_hash, iterations_exp, name, backend } => {
            let hash = parse_beacon_hash(&beacon_hash)?;
            let be = backend.build(out)?;
            let s =
                contribute(&input, &dst, Source::Beacon { hash, exp: iterations_exp }, name.as_deref(), be.as_ref())?;
            out.line(hash_block("Contribution Hash: ", &s.contribution_hash));
            out.summary(summary_json(&s, &dst));
            Ok(EXIT_OK)
        }
        ZkeyCommand::Verify { r1cs, ptau, zkey, backend } => {
            let be = backend.build(out)?;
            report_verify(out, verify_from_r1cs(&r1cs, &ptau, &zkey, be.as_ref()))
        }
        ZkeyCommand::VerifyInit { init, ptau, zkey, backend } => {
            let be = backend.build(out)?;
            report_verify(out, verify_from_init(&init, &ptau, &zkey, be.as_ref()))
        }
        ZkeyCommand::VerifyStep { previous, next, backend } => {
            let be = backend.build(out)?;
            match verify_step(&previous, &next, be.as_ref()) {
                Ok(rep) => {
                    let c = &rep.contribution;
                    out.line(hash_block(
                        &format!("contribution #{} {}:", c.index, c.name.as_deref().unwrap_or("")),
                        &c.hash_bytes,
                    ));
                    out.line(format!("Step Ok! (contribution #{} on top of #{})", c.index, rep.previous_contributions));
                    out.summary(json!({"valid": true, "step": rep}));
                    Ok(EXIT_OK)
                }
                Err(Error::Invalid(msg)) => Ok(out.invalid(&msg)),
                Err(e) => Err(e.into()),
            }
        }
        ZkeyCommand::ExportVkey { zkey, out: dst } => {
            export_vkey(&zkey, &dst)?;
            out.line(format!("Verification key written to {}", dst.display()));
            out.summary(json!({"output": dst}));
            Ok(EXIT_OK)
        }
        ZkeyCommand::ExportBellman { zkey, out: dst, backend } => {
            let be = backend.build(out)?;
            let s = export_bellman(&zkey, &dst, be.as_ref())?;
            out.line(format!("MPC params written to {} ({} contributions)", dst.display(), s.n_contributions));
            out.summary(bellman_json(&s, &dst));
            Ok(EXIT_OK)
        }
        ZkeyCommand::BellmanContribute { challenge, response, entropy, backend } => {
            let mut rng = contributor_rng(entropy)?;
            let be = backend.build(out)?;
            let s = bellman_contribute(&challenge, &response, &mut rng, be.as_ref())?;
            for h in &s.added {
                out.line(hash_block("Contribution Hash: ", h));
            }
            out.summary(bellman_json(&s, &response));
            Ok(EXIT_OK)
        }
        ZkeyCommand::ImportBellman { old, response, new, name, backend } => {
            let be = backend.build(out)?;
            let s = import_bellman(&old, &response, &new, name.as_deref(), be.as_ref())?;
            for (i, h) in s.added.iter().enumerate() {
                let index = s.n_contributions - s.added.len() + i + 1;
                out.line(hash_block(&format!("contribution #{index} imported:"), h));
            }
            out.summary(bellman_json(&s, &new));
            Ok(EXIT_OK)
        }
        ZkeyCommand::Info { zkey } => {
            let z = Zkey::open(&zkey)?;
            let h = &z.header;
            let contributions: Vec<_> = z
                .mpc
                .contributions
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    json!({
                        "index": i + 1,
                        "name": c.name,
                        "type": if c.kind == KIND_BEACON { "beacon" } else { "contribution" },
                        "hash": hex::encode(contribution_hash(c)),
                        "beacon_hash": c.beacon_hash.as_ref().map(hex::encode),
                        "beacon_exp": c.beacon_exp,
                    })
                })
                .collect();
            out.line(format!("zkey:          {}", zkey.display()));
            out.line("protocol:      groth16 (bn128)");
            out.line(format!("wires:         {}", h.n_vars));
            out.line(format!("public:        {}", h.n_public));
            out.line(format!("domain:        {} (2^{})", h.domain_size, h.domain_size.trailing_zeros()));
            out.line(format!("coefficients:  {}", z.n_coeffs));
            out.line(format!("sections:      {:?}", z.file.order));
            out.line(hash_block("Circuit Hash: ", &z.mpc.cs_hash));
            out.line(format!("contributions: {}", z.mpc.contributions.len()));
            for (i, c) in z.mpc.contributions.iter().enumerate() {
                let kind = if c.kind == KIND_BEACON { "beacon" } else { "contribution" };
                out.line(hash_block(
                    &format!("#{} {kind} {}:", i + 1, c.name.as_deref().unwrap_or("")),
                    &contribution_hash(c),
                ));
            }
            out.summary(json!({
                "wires": h.n_vars, "public": h.n_public, "domain": h.domain_size, "coefficients": z.n_coeffs,
                "circuit_hash": hex::encode(z.mpc.cs_hash), "contributions": contributions,
            }));
            Ok(EXIT_OK)
        }
    }
}

/// Prints a zkey verification's result as snarkjs does: exit 0 `ZKey Ok!`, exit 1 `INVALID`.
fn report_verify(out: &Output, result: crate::Result<VerifyReport>) -> anyhow::Result<i32> {
    match result {
        Ok(rep) => {
            out.line(hash_block("Circuit Hash: ", &rep.cs_hash));
            for c in rep.contributions.iter().rev() {
                out.line("-------------------------");
                out.line(hash_block(
                    &format!("contribution #{} {}:", c.index, c.name.as_deref().unwrap_or("")),
                    &c.hash_bytes,
                ));
                if let (Some(h), Some(e)) = (&c.beacon_hash, c.beacon_exp) {
                    out.line(format!("Beacon generator: {h}"));
                    out.line(format!("Beacon iterations Exp: {e}"));
                }
            }
            out.line("-------------------------");
            out.line("ZKey Ok!");
            out.summary(json!({
                "valid": true,
                "circuit_hash": hex::encode(rep.cs_hash),
                "contributions": rep.contributions,
                "backend": rep.backend,
                "seconds": rep.seconds,
            }));
            Ok(EXIT_OK)
        }
        Err(Error::Invalid(msg)) => Ok(out.invalid(&msg)),
        Err(e) => Err(e.into()),
    }
}

fn bellman_json(s: &BellmanSummary, dst: &std::path::Path) -> serde_json::Value {
    json!({
        "output": dst,
        "circuit_hash": hex::encode(s.cs_hash),
        "contributions": s.n_contributions,
        "added": s.added.iter().map(hex::encode).collect::<Vec<_>>(),
        "backend": s.backend,
        "seconds": s.seconds,
    })
}

fn summary_json(s: &crate::phase2::contribute::ContributeSummary, dst: &std::path::Path) -> serde_json::Value {
    json!({
        "output": dst,
        "circuit_hash": hex::encode(s.cs_hash),
        "contribution_hash": hex::encode(s.contribution_hash),
        "contributions": s.n_contributions,
        "points_scaled": s.points_scaled,
        "backend": s.backend,
        "seconds": {"scale": s.scale_seconds, "total": s.total_seconds},
    })
}

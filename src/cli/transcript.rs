//! `tauforge transcript …`: whole-ceremony verification.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::backend::BackendArgs;
use super::output::{Output, EXIT_INVALID, EXIT_OK};
use crate::transcript::verify::verify_transcript;

/// Transcript verbs.
#[derive(Debug, Subcommand)]
pub enum TranscriptCommand {
    /// Verify a ceremony transcript directory (its transcript.json and the files it names): every
    /// circuit's initial zkey, every step, the final zkey, and zkeys not on the chain.
    Verify {
        /// The transcript directory.
        dir: PathBuf,
        /// Where to write the JSON report (default: DIR/transcript-report.json).
        #[arg(long)]
        report: Option<PathBuf>,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

/// Runs a transcript verb.
pub fn run(cmd: TranscriptCommand, out: &Output) -> anyhow::Result<i32> {
    match cmd {
        TranscriptCommand::Verify { dir, report, backend } => {
            let be = backend.build(out)?;
            let rep = verify_transcript(&dir, be.as_ref())?;
            let path = report.unwrap_or_else(|| dir.join("transcript-report.json"));
            let mut text = serde_json::to_string_pretty(&rep)?;
            text.push('\n');
            crate::format::atomic::write_file(&path, text.as_bytes())?;
            out.line(format!("ceremony: {}", rep.ceremony));
            out.line(format!(
                "{:<20} {:>6} {:>14} {:>7} {:>7}  result",
                "circuit", "zkeys", "contributions", "beacon", "uncles"
            ));
            for c in &rep.circuits {
                out.line(format!(
                    "{:<20} {:>6} {:>14} {:>7} {:>7}  {}",
                    c.name,
                    c.zkeys,
                    c.contributions.len(),
                    if c.final_beacon { "yes" } else { "no" },
                    c.uncles.len(),
                    if c.valid { "ok".to_string() } else { format!("INVALID: {}", c.reason.as_deref().unwrap_or("")) }
                ));
            }
            for c in &rep.circuits {
                for u in &c.uncles {
                    let on = u.parent.as_deref().map(|p| format!(" (built on {p})")).unwrap_or_default();
                    out.line(format!("{}: not on the chain: {}{on}: {}", c.name, u.file, u.note));
                }
            }
            out.line(format!("report written to {}", path.display()));
            out.summary(json!({"report": path, "transcript": rep}));
            if rep.valid {
                out.line("Transcript Ok!");
                Ok(EXIT_OK)
            } else {
                eprintln!(
                    "tauforge: INVALID: {} of {} circuit(s) failed",
                    rep.circuits.iter().filter(|c| !c.valid).count(),
                    rep.circuits.len()
                );
                Ok(EXIT_INVALID)
            }
        }
    }
}

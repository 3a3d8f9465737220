//! The command line: argument parsing (clap derive) and the verbs, which only call the library.

pub mod backend;
pub mod bench;
pub mod coordinator;
pub mod demo;
pub mod output;
pub mod ptau;
pub mod transcript;
pub mod zkey;

use clap::{Parser, Subcommand};

/// Groth16 trusted-setup ceremonies (BN254), byte-compatible with snarkjs 0.7.6.
#[derive(Debug, Parser)]
#[command(name = "tauforge", version, about)]
pub struct Cli {
    /// Print no progress bars.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print one machine-readable JSON summary on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// The verb.
    #[command(subcommand)]
    pub command: Command,
}

/// Verb groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Phase 1: powers of tau (.ptau).
    #[command(subcommand, visible_alias = "powersoftau")]
    Ptau(ptau::PtauCommand),
    /// Phase 2: circuit-specific keys (.zkey).
    #[command(subcommand)]
    Zkey(zkey::ZkeyCommand),
    /// Whole-ceremony transcripts.
    #[command(subcommand)]
    Transcript(transcript::TranscriptCommand),
    /// Run a ceremony service: init, serve, finalize.
    #[command(subcommand)]
    Coordinator(coordinator::CoordinatorCommand),
    /// Take part in a coordinated ceremony: every circuit in one turn.
    Contribute(coordinator::ContributeArgs),
    /// Run a complete local ceremony on a bundled circuit, with a timing table.
    Demo(demo::DemoArgs),
    /// Measure the throughput of every backend operation on every backend present.
    Bench(bench::BenchArgs),
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    crate::progress::set_quiet(cli.quiet || cli.json);
    let out = output::Output { json: cli.json, quiet: cli.quiet };
    let result = match cli.command {
        Command::Ptau(c) => ptau::run(c, &out),
        Command::Zkey(c) => zkey::run(c, &out),
        Command::Demo(a) => demo::run(a, &out),
        Command::Bench(a) => bench::run(a, &out),
        Command::Transcript(c) => transcript::run(c, &out),
        Command::Coordinator(c) => coordinator::run(c, &out),
        Command::Contribute(a) => coordinator::run_contribute(a, &out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tauforge: error: {e:#}");
            2
        }
    }
}

//! `tauforge coordinator …` (init, serve, finalize) and `tauforge contribute --coordinator`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::json;
use zeroize::Zeroizing;

use super::backend::BackendArgs;
use super::output::{Output, EXIT_OK};
use crate::coordinator::client::{self, ContributeOptions, Event};
use crate::coordinator::config::Config;
use crate::coordinator::{ceremony, server};

/// Coordinator verbs.
#[derive(Debug, Subcommand)]
pub enum CoordinatorCommand {
    /// Create a ceremony from its config: copy the inputs, build the initial zkeys, create the state.
    Init {
        /// The ceremony config (ceremony.toml).
        config: PathBuf,
    },
    /// Serve the ceremony over HTTP until stopped.
    Serve {
        /// The ceremony config.
        config: PathBuf,
        /// Listen here instead of the config's address (port 0 picks a free port).
        #[arg(long)]
        listen: Option<String>,
        #[command(flatten)]
        backend: BackendArgs,
    },
    /// Apply the committed beacon to every circuit and write the transcript directory.
    Finalize {
        /// The ceremony config.
        config: PathBuf,
        /// The beacon value, hex (its source was committed in the config).
        #[arg(long)]
        beacon: String,
        #[command(flatten)]
        backend: BackendArgs,
    },
}

/// `tauforge contribute`: take part in a coordinated ceremony.
#[derive(Debug, Args)]
pub struct ContributeArgs {
    /// The coordinator's URL, e.g. http://ceremony.example:8547.
    #[arg(long)]
    pub coordinator: String,
    /// Your name, recorded in every zkey.
    #[arg(long, short)]
    pub name: Option<String>,
    /// Extra entropy text, mixed with the OS random generator (asked for on a terminal when absent).
    #[arg(long, short)]
    pub entropy: Option<String>,
    /// Seconds to keep retrying when the coordinator cannot be reached.
    #[arg(long, default_value_t = 300)]
    pub patience: u64,
    /// Compute each contribution with this shell command instead (e.g. snarkjs): it reads
    /// $TAUFORGE_INPUT and writes $TAUFORGE_OUTPUT ($TAUFORGE_CIRCUIT, $TAUFORGE_NAME are set)
    #[arg(long, value_name = "SHELL COMMAND")]
    pub external: Option<String>,
    #[command(flatten)]
    pub backend: BackendArgs,
}

/// Runs a coordinator verb.
pub fn run(cmd: CoordinatorCommand, out: &Output) -> anyhow::Result<i32> {
    match cmd {
        CoordinatorCommand::Init { config } => {
            let cfg = Config::read(&config)?;
            let circuits = ceremony::init(&cfg)?;
            for c in &circuits {
                out.line(format!("circuit {}: initial zkey {} (sha256 {})", c.name, c.initial_file, c.initial_hash));
            }
            out.line(format!("ceremony {:?} created in {}", cfg.name, cfg.data_dir.display()));
            out.summary(json!({
                "ceremony": cfg.name, "data_dir": cfg.data_dir,
                "circuits": circuits.iter().map(|c| json!({"name": c.name, "initial": c.initial_file, "sha256": c.initial_hash})).collect::<Vec<_>>(),
            }));
            Ok(EXIT_OK)
        }
        CoordinatorCommand::Serve { config, listen, backend } => {
            let cfg = Config::read(&config)?;
            let be = backend.build(out)?;
            let name = cfg.name.clone();
            server::serve(cfg, listen, be, |addr| {
                // Tests and scripts read this line to find the port.
                super::output::print_line(&format!("listening on http://{addr}"));
                let _ = std::io::stdout().flush();
                eprintln!("ceremony {name:?}: status page at http://{addr}/");
            })?;
            Ok(EXIT_OK)
        }
        CoordinatorCommand::Finalize { config, beacon, backend } => {
            let cfg = Config::read(&config)?;
            let be = backend.build(out)?;
            let f = ceremony::finalize(&cfg, &beacon, be.as_ref())?;
            for (name, n, path, hash) in &f.circuits {
                out.line(format!(
                    "circuit {name}: {n} contributions + beacon -> {} (beacon hash {hash})",
                    path.display()
                ));
            }
            out.line(format!(
                "transcript written to {} (check it with `tauforge transcript verify {}`)",
                f.transcript.join("transcript.json").display(),
                f.transcript.display()
            ));
            out.summary(serde_json::to_value(&f)?);
            Ok(EXIT_OK)
        }
    }
}

/// Runs `tauforge contribute --coordinator`.
pub fn run_contribute(a: ContributeArgs, out: &Output) -> anyhow::Result<i32> {
    let name = a.name.unwrap_or_else(|| "anonymous".into());
    // An external command draws its own randomness and does its own arithmetic.
    let (entropy, be): (_, Box<dyn crate::backend::Backend>) = match (&a.external, a.entropy) {
        (Some(_), _) => (Zeroizing::new(String::new()), Box::new(crate::backend::CpuBackend)),
        (None, Some(e)) => (Zeroizing::new(e), a.backend.build(out)?),
        (None, None) => (super::zkey::ask_entropy()?, a.backend.build(out)?),
    };
    let opts = ContributeOptions {
        url: a.coordinator,
        name,
        entropy,
        patience: Duration::from_secs(a.patience),
        external: a.external,
    };
    let quiet = out.quiet || out.json;
    // A live spinner on a terminal; a line every few seconds in a log.
    let live = !quiet && std::io::stderr().is_terminal();
    let spin = if live { Some(crate::progress::spinner("joining")) } else { None };
    let say = |s: String| match &spin {
        Some(pb) => pb.println(s),
        None if !quiet => eprintln!("{s}"),
        None => {}
    };
    let mut last_wait = std::time::Instant::now() - Duration::from_secs(60);
    let receipts = client::contribute(&opts, be.as_ref(), |e| match e {
        Event::Joined { participant, position } => {
            say(format!("joined as participant {participant}, position {position}"))
        }
        Event::Waiting { position, eta_s } => {
            let msg = format!("waiting: position {position}, about {eta_s:.0} s to your turn");
            match &spin {
                Some(pb) => pb.set_message(msg),
                None if last_wait.elapsed() > Duration::from_secs(5) => {
                    say(msg);
                    last_wait = std::time::Instant::now();
                }
                None => {}
            }
        }
        Event::TurnStarted { circuits } => {
            if let Some(pb) = &spin {
                pb.set_message(format!("contributing to {}", circuits.join(", ")));
            }
            say(format!("your turn: {}", circuits.join(", ")))
        }
        Event::Accepted(r) => say(format!("{}: accepted as contribution #{}", r.circuit, r.index)),
        Event::Refused { circuit, reason } => say(format!("{circuit}: refused: {reason}")),
        Event::Retrying(c) => say(format!("turn ended early; back in the queue for {}", c.join(", "))),
    });
    if let Some(pb) = &spin {
        pb.finish_and_clear();
    }
    let receipts = receipts?;
    for r in &receipts {
        out.line(format!("receipt {} #{}: contribution hash {}", r.circuit, r.index, r.contribution_hash));
    }
    out.summary(json!({"receipts": receipts}));
    Ok(EXIT_OK)
}

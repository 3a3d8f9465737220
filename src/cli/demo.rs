//! `tauforge demo`: a complete local phase-2 ceremony on a bundled circuit.

use clap::Args;

use super::output::Output;

/// Options of the demo.
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// Runs the demo.
pub fn run(_a: DemoArgs, _out: &Output) -> anyhow::Result<i32> {
    anyhow::bail!("demo is being built")
}

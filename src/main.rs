//! The `tauforge` command line.

use clap::Parser;

fn main() {
    let cli = tauforge::cli::Cli::parse();
    std::process::exit(tauforge::cli::run(cli));
}

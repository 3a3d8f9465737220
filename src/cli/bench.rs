//! `tauforge bench`: throughput of every backend operation on every backend present, for people
//! choosing hardware.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};
use serde_json::json;

use super::output::{Output, EXIT_OK};
use crate::backend::{Backend, CpuBackend, CrossChecked, Group};
use crate::bench::{measure_in, Op};

/// A backend `tauforge bench` can time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchBackend {
    /// arkworks on every core.
    Cpu,
    /// The GPU kernels alone (what the hardware does).
    Gpu,
    /// The GPU with the CPU cross-check that every verb runs.
    GpuChecked,
    /// The CPU under the same cross-check (what the check itself costs).
    CpuChecked,
}

/// A group, on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupArg {
    /// G1 (64-byte points).
    G1,
    /// G2 (128-byte points).
    G2,
}

/// Arguments of `tauforge bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Points per run: counts or powers of two (`4096`, `2^16`), comma-separated.
    #[arg(long, value_delimiter = ',', default_values = ["2^12", "2^16"], value_parser = parse_size)]
    pub points: Vec<usize>,
    /// Operations to time.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["scale-fixed", "scale-each", "scale-powers", "msm"])]
    pub ops: Vec<Op>,
    /// Groups to time.
    #[arg(long, value_enum, value_delimiter = ',', default_values = ["g1", "g2"])]
    pub groups: Vec<GroupArg>,
    /// Backends to time (default: the CPU and, when an adapter opens, the GPU).
    #[arg(long, value_enum, value_delimiter = ',')]
    pub backends: Vec<BenchBackend>,
    /// Timed runs per measurement (the fastest is reported), after one warm-up run.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Folder that keeps zkey-contribute's synthetic zkeys and their contributions (default: a
    /// temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// "4096" or "2^12" → 4096.
fn parse_size(s: &str) -> Result<usize, String> {
    let s = s.trim();
    let n = match s.split_once('^') {
        Some(("2", e)) => {
            let e: u32 = e.parse().map_err(|_| format!("bad exponent in {s:?}"))?;
            if e > 30 {
                return Err(format!("{s}: at most 2^30 points"));
            }
            1usize << e
        }
        Some(_) => return Err(format!("{s:?}: only powers of 2 are written with ^")),
        None => s.parse().map_err(|_| format!("{s:?} is not a number of points"))?,
    };
    if n == 0 {
        return Err("at least one point".into());
    }
    Ok(n)
}

fn backends(chosen: &[BenchBackend]) -> anyhow::Result<Vec<Box<dyn Backend>>> {
    let mut want = chosen.to_vec();
    if want.is_empty() {
        want.push(BenchBackend::Cpu);
        if gpu(false).is_ok() {
            want.push(BenchBackend::Gpu);
        }
    }
    want.into_iter()
        .map(|b| match b {
            BenchBackend::Cpu => Ok(Box::new(CpuBackend) as Box<dyn Backend>),
            BenchBackend::Gpu => gpu(false),
            BenchBackend::GpuChecked => gpu(true),
            BenchBackend::CpuChecked => Ok(Box::new(CrossChecked::new(CpuBackend)) as Box<dyn Backend>),
        })
        .collect()
}

#[cfg(feature = "gpu")]
fn gpu(checked: bool) -> anyhow::Result<Box<dyn Backend>> {
    use crate::backend::GpuBackend;
    let g = GpuBackend::new()?;
    Ok(if checked { Box::new(CrossChecked::new(g)) } else { Box::new(g) })
}

#[cfg(not(feature = "gpu"))]
fn gpu(_checked: bool) -> anyhow::Result<Box<dyn Backend>> {
    anyhow::bail!("this tauforge was built without the `gpu` feature")
}

/// Where zkey-contribute keeps its files: `--dir`, else (when it runs) a temporary folder removed
/// when the returned guard drops.
fn files_dir(a: &BenchArgs) -> anyhow::Result<(PathBuf, Option<tempfile::TempDir>)> {
    if let Some(d) = &a.dir {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
        return Ok((d.clone(), None));
    }
    if !a.ops.iter().any(|o| o.is_verb()) {
        return Ok((PathBuf::new(), None));
    }
    let t = tempfile::Builder::new().prefix("tauforge-bench-").tempdir().context("creating a temporary folder")?;
    Ok((t.path().to_path_buf(), Some(t)))
}

/// Runs `tauforge bench`.
pub fn run(a: BenchArgs, out: &Output) -> anyhow::Result<i32> {
    let (files, _temp) = files_dir(&a)?;
    let backends = backends(&a.backends)?;
    let threads = rayon::current_num_threads();
    out.line(format!("tauforge bench: {threads} CPU threads; best of {} runs after a warm-up", a.repeat.max(1)));
    for b in &backends {
        out.line(format!("backend: {}", b.name()));
    }
    out.line(format!(
        "{:<14} {:<15} {:<5} {:>10} {:>11} {:>14}",
        "backend", "op", "group", "points", "seconds", "points/s"
    ));
    let groups: Vec<Group> = a
        .groups
        .iter()
        .map(|g| match g {
            GroupArg::G1 => Group::G1,
            GroupArg::G2 => Group::G2,
        })
        .collect();
    let mut rows = Vec::new();
    for b in &backends {
        let short = b.name().split(':').next().unwrap_or("").split(' ').next().unwrap_or("").to_string();
        let short = if b.name().contains("cross-checked") { format!("{short}+check") } else { short };
        for &op in &a.ops {
            // A whole verb is timed once per size: its groups are its own.
            let op_groups = if op.is_verb() { vec![Group::G1] } else { groups.clone() };
            for &group in &op_groups {
                for &n in &a.points {
                    let m = measure_in(b.as_ref(), op, group, n, a.repeat, &files)?;
                    let op_name = op.to_possible_value().map(|v| v.get_name().to_string()).unwrap_or_default();
                    out.line(format!(
                        "{short:<14} {op_name:<15} {:<5} {n:>10} {:>11.4} {:>14.0}",
                        m.group, m.seconds, m.points_per_second
                    ));
                    rows.push(m);
                }
            }
        }
    }
    out.summary(json!({
        "cpu_threads": threads,
        "backends": backends.iter().map(|b| b.name()).collect::<Vec<_>>(),
        "repeat": a.repeat.max(1),
        "results": rows,
    }));
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("2^16"), Ok(65536));
        assert!(parse_size("3^2").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("2^40").is_err());
        assert!(parse_size("x").is_err());
    }
}

//! `--backend auto|gpu|cpu` (and `TAUFORGE_BACKEND`): which engine runs the heavy arithmetic.

use clap::{Args, ValueEnum};

use super::output::Output;
use crate::backend::{Backend, CpuBackend};
use crate::error::Result;

/// Which arithmetic backend runs the heavy operations.
#[derive(Debug, Clone, Copy, ValueEnum, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// The GPU when a hardware adapter is present (cross-checked on the CPU), else the CPU.
    #[default]
    Auto,
    /// The GPU through wgpu, every result cross-checked on the CPU; software adapters such as
    /// lavapipe are accepted.
    Gpu,
    /// arkworks on every core.
    Cpu,
}

/// Backend selection shared by the verbs that scale or verify.
#[derive(Debug, Args)]
pub struct BackendArgs {
    /// Arithmetic backend.
    #[arg(long, value_enum, env = "TAUFORGE_BACKEND", default_value = "auto")]
    pub backend: BackendChoice,
}

impl BackendArgs {
    /// The chosen backend, named on stderr (unless quiet); `gpu` fails when no adapter can be opened.
    pub fn build(&self, out: &Output) -> Result<Box<dyn Backend>> {
        let b = build(self.backend)?;
        if !out.quiet && !out.json {
            eprintln!("backend: {}", b.name());
        }
        Ok(b)
    }
}

/// The backend for `choice`.
pub fn build(choice: BackendChoice) -> Result<Box<dyn Backend>> {
    match choice {
        BackendChoice::Cpu => Ok(Box::new(CpuBackend)),
        BackendChoice::Gpu => gpu(),
        BackendChoice::Auto if gpu_present() => gpu(),
        BackendChoice::Auto => Ok(Box::new(CpuBackend)),
    }
}

#[cfg(feature = "gpu")]
fn gpu() -> Result<Box<dyn Backend>> {
    use crate::backend::{CrossChecked, GpuBackend};
    Ok(Box::new(CrossChecked::new(GpuBackend::new()?)))
}

#[cfg(not(feature = "gpu"))]
fn gpu() -> Result<Box<dyn Backend>> {
    Err(crate::error::Error::Usage("this tauforge was built without the `gpu` feature; use --backend cpu".into()))
}

#[cfg(feature = "gpu")]
fn gpu_present() -> bool {
    crate::backend::gpu::available()
}

#[cfg(not(feature = "gpu"))]
fn gpu_present() -> bool {
    false
}

//! The GPU backend: WGSL compute shaders through wgpu (Vulkan), on points in the files' own LEM
//! encoding, uploaded and downloaded as raw bytes (the shaders keep Montgomery form with
//! R = 2^256 in 8 × 32-bit limbs). Point scaling and the MSM run on the GPU. Use it through [`crate::backend::crosscheck::CrossChecked`].

mod buffers;
mod context;
mod msm;
mod scale;

use ark_bn254::Fr;

use super::{Backend, Group, PointChunk, Projective};
use crate::error::{Error, Result};

/// Op bits of the kernels' programs (shaders/ops.wgsl), for [`GpuBackend::run_fixed_program`].
#[doc(hidden)]
pub mod ops {
    pub use super::scale::op::*;
}

/// Environment variable that picks the field-arithmetic path: `u64`, `u32` or `auto` (default).
pub const ARITH_ENV: &str = "TAUFORGE_GPU_ARITH";

/// How the shaders multiply 32-bit limbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arith {
    /// Native 64-bit products (needs the adapter's `SHADER_INT64`).
    U64,
    /// 32-bit integers only: 64-bit products assembled from 16-bit halves (portable).
    U32,
}

/// Options of [`GpuBackend::with_options`]; the defaults are what [`GpuBackend::new`] uses.
#[derive(Debug, Clone, Copy, Default)]
pub struct GpuOptions {
    /// The arithmetic path; `None` = 64-bit when the adapter offers it, else 32-bit.
    pub arith: Option<Arith>,
    /// At most this many points per chunk (test hook to exercise chunking on small inputs).
    pub max_chunk_points: Option<usize>,
}

/// Point scaling and MSM on the process's wgpu device.
pub struct GpuBackend {
    ctx: &'static context::GpuContext,
    arith: Arith,
    max_chunk_points: Option<usize>,
}

/// True when a GPU adapter that is not a software (CPU) implementation is present: what
/// `--backend auto` asks. [`GpuBackend::new`] also accepts software adapters such as lavapipe.
pub fn available() -> bool {
    context::hardware_present()
}

fn err(msg: impl Into<String>) -> Error {
    Error::Backend { backend: "gpu".into(), msg: msg.into() }
}

impl GpuBackend {
    /// The GPU backend on the best adapter (discrete > integrated > software); the arithmetic path
    /// comes from `TAUFORGE_GPU_ARITH` (`u64`, `u32`, `auto`). Fails when no adapter is found.
    pub fn new() -> Result<GpuBackend> {
        let arith = match std::env::var(ARITH_ENV).ok().as_deref().map(str::trim) {
            None | Some("") | Some("auto") => None,
            Some("u64") => Some(Arith::U64),
            Some("u32") => Some(Arith::U32),
            Some(v) => return Err(err(format!("{ARITH_ENV}={v}: expected u64, u32 or auto"))),
        };
        GpuBackend::with_options(GpuOptions { arith, ..GpuOptions::default() })
    }

    /// The GPU backend with explicit options; fails when no adapter is found or when the 64-bit
    /// path is asked for on an adapter without `SHADER_INT64`.
    pub fn with_options(opts: GpuOptions) -> Result<GpuBackend> {
        let ctx = context::context().map_err(err)?;
        let arith = match opts.arith {
            None if ctx.int64 => Arith::U64,
            None => Arith::U32,
            Some(Arith::U64) if !ctx.int64 => {
                return Err(err(format!("{}: no SHADER_INT64, the u64 arithmetic path is unavailable", ctx.info.name)))
            }
            Some(a) => a,
        };
        Ok(GpuBackend { ctx, arith, max_chunk_points: opts.max_chunk_points })
    }

    /// The arithmetic path in use.
    pub fn arith(&self) -> Arith {
        self.arith
    }

    /// The adapter, e.g. "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, int64)".
    pub fn adapter(&self) -> String {
        self.ctx.describe(self.arith)
    }

    /// True when the adapter is a software (CPU) implementation such as lavapipe.
    pub fn is_software(&self) -> bool {
        self.ctx.info.device_type == wgpu::DeviceType::Cpu
    }

    /// Test hook: runs the `scale_fixed` kernel with a raw op program (see shaders/ops.wgsl and
    /// [`ops`]) on `points`, to reach edge cases of the curve formulas that no scalar reaches.
    #[doc(hidden)]
    pub fn run_fixed_program(&self, points: PointChunk, ops: &[u32]) -> Result<()> {
        const OP: &str = "run_fixed_program";
        self.count(OP, &points)?;
        let prog = scale::Program::from_ops(ops.to_vec());
        scale::run(self.ctx, self.arith, points.group, points.bytes, scale::Job::Fixed(&prog), self.max_chunk_points)
            .map_err(|m| self.fail(OP, m))
    }

    fn fail(&self, op: &str, msg: impl std::fmt::Display) -> Error {
        Error::Backend { backend: self.name(), msg: format!("{op}: {msg}") }
    }

    /// The number of points in `points`, or an error if it is not a whole number of them.
    fn count(&self, op: &str, points: &PointChunk) -> Result<usize> {
        let size = points.group.point_size();
        if !points.bytes.len().is_multiple_of(size) {
            return Err(self.fail(op, "chunk is not a whole number of points"));
        }
        Ok(points.bytes.len() / size)
    }
}

impl Backend for GpuBackend {
    fn name(&self) -> String {
        format!("gpu: {}", self.adapter())
    }

    fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
        const OP: &str = "scale_fixed";
        self.count(OP, &points)?;
        let prog = scale::fixed_program(points.group, *scalar).map_err(|m| self.fail(OP, m))?;
        scale::run(self.ctx, self.arith, points.group, points.bytes, scale::Job::Fixed(&prog), self.max_chunk_points)
            .map_err(|m| self.fail(OP, m))
    }

    /// The scalars first·step^i are computed on the GPU, each thread its own (shaders/powers.wgsl).
    fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()> {
        const OP: &str = "scale_powers";
        self.count(OP, &points)?;
        let job = scale::Job::Powers { first: *first, step: *step };
        scale::run(self.ctx, self.arith, points.group, points.bytes, job, self.max_chunk_points)
            .map_err(|m| self.fail(OP, m))
    }

    fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()> {
        const OP: &str = "scale_each";
        let n = self.count(OP, &points)?;
        if scalars.len() != n {
            return Err(self.fail(OP, format!("{} scalars for {n} points", scalars.len())));
        }
        let words = scale::each_scalars(points.group, scalars).map_err(|m| self.fail(OP, m))?;
        scale::run(self.ctx, self.arith, points.group, points.bytes, scale::Job::Each(&words), self.max_chunk_points)
            .map_err(|m| self.fail(OP, m))
    }

    /// Pippenger on the GPU (msm.rs).
    fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective> {
        msm::msm(self.ctx, self.arith, group, points, scalars).map_err(|m| self.fail("msm", m))
    }

    /// Several of its own chunks per call, so that uploads, dispatches and readbacks overlap.
    fn chunk_points(&self) -> usize {
        4 * buffers::DEFAULT_CHUNK_POINTS
    }
}

//! One wgpu context per process: the adapter, a device with `SHADER_INT64` when the adapter offers
//! it, the queue, and the compute pipelines built so far (each built once, on first use).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use ark_bn254::{Fq, Fq2, Fr};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ff::{BigInteger, PrimeField};

use super::Arith;
use crate::backend::Group;

/// Invocations per workgroup of every kernel (also the size of the batch-inversion scans).
pub(crate) const WG_SIZE: u32 = 64;

/// The compute kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kernel {
    /// Every point times one scalar (shared GLV schedule).
    ScaleFixed,
    /// Point i times scalar i (per-point GLV halves, fixed windows).
    ScaleEach,
    /// The scalars first·step^i in Fr, written in `ScaleEach`'s plain layout.
    Powers,
    /// MSM: bucket sizes per window (msm_sort.wgsl).
    MsmCount,
    /// MSM: bucket offsets per window.
    MsmScan,
    /// MSM: entries sorted by bucket.
    MsmScatter,
    /// MSM: partial bucket sums, one per task (msm_bucket.wgsl).
    MsmPartial,
    /// MSM: bucket sums from their tasks' parts.
    MsmMerge,
    /// MSM: per-segment bucket reduction.
    MsmReduce,
}

impl Kernel {
    /// The WGSL entry point.
    fn entry(self) -> &'static str {
        match self {
            Kernel::MsmCount => "count",
            Kernel::MsmScan => "scan",
            Kernel::MsmScatter => "scatter",
            Kernel::MsmPartial => "partial",
            Kernel::MsmMerge => "merge",
            Kernel::MsmReduce => "reduce",
            _ => "main",
        }
    }
}

/// The process-wide GPU context.
pub(crate) struct GpuContext {
    /// What the adapter says about itself.
    pub info: wgpu::AdapterInfo,
    /// The device's limits (all the adapter offers).
    pub limits: wgpu::Limits,
    /// Whether the device was created with `SHADER_INT64`.
    pub int64: bool,
    /// The logical device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    pipelines: Mutex<HashMap<(Kernel, bool, Arith), wgpu::ComputePipeline>>,
    /// Errors no error scope caught (wgpu's default handler would panic) and device loss.
    pub(crate) fault: Arc<Mutex<Option<String>>>,
}

static CONTEXT: OnceLock<Result<GpuContext, String>> = OnceLock::new();

/// The process's GPU context, created on first call; `Err` says why there is none.
pub(crate) fn context() -> Result<&'static GpuContext, String> {
    CONTEXT.get_or_init(create).as_ref().map_err(Clone::clone)
}

/// True when an adapter that is not a software (CPU) implementation exists. Only enumerates
/// adapters (no device is opened), so `--backend auto` costs little on machines without a GPU.
pub(crate) fn hardware_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    *PRESENT.get_or_init(|| {
        if let Some(Ok(c)) = CONTEXT.get() {
            return c.info.device_type != wgpu::DeviceType::Cpu;
        }
        if wgpu::Instance::enabled_backend_features().is_empty() {
            return false;
        }
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all().with_env()));
        adapters.iter().any(|a| a.get_info().device_type != wgpu::DeviceType::Cpu)
    })
}

/// Ranks adapters: discrete GPUs first, CPU (software) adapters last.
fn rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

fn create() -> Result<GpuContext, String> {
    if wgpu::Instance::enabled_backend_features().is_empty() {
        return Err("this build has no wgpu backend for this platform".into());
    }
    let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle().with_env());
    let backends = wgpu::Backends::all().with_env();
    let adapters = pollster::block_on(instance.enumerate_adapters(backends));
    let adapter = adapters.into_iter().min_by_key(|a| rank(a.get_info().device_type)).ok_or_else(|| {
        "no GPU adapter found (no Vulkan driver? on a machine without a GPU install Mesa's lavapipe: \
         apt-get install mesa-vulkan-drivers)"
            .to_string()
    })?;
    let info = adapter.get_info();
    let limits = adapter.limits();
    let int64 = adapter.features().contains(wgpu::Features::SHADER_INT64);
    let features = if int64 { wgpu::Features::SHADER_INT64 } else { wgpu::Features::empty() };
    let desc = wgpu::DeviceDescriptor {
        label: Some("tauforge"),
        required_features: features,
        required_limits: limits.clone(),
        ..Default::default()
    };
    let (device, queue) = pollster::block_on(adapter.request_device(&desc))
        .map_err(|e| format!("cannot open a device on {} ({:?}): {e}", info.name, info.backend))?;
    let fault = Arc::new(Mutex::new(None));
    let f = Arc::clone(&fault);
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| record(&f, format!("uncaptured wgpu error: {e}"))));
    let f = Arc::clone(&fault);
    device.set_device_lost_callback(move |reason, msg| record(&f, format!("device lost ({reason:?}): {msg}")));
    Ok(GpuContext { info, limits, int64, device, queue, pipelines: Mutex::new(HashMap::new()), fault })
}

fn record(slot: &Mutex<Option<String>>, msg: String) {
    if let Ok(mut g) = slot.lock() {
        g.get_or_insert(msg);
    }
}

impl GpuContext {
    /// "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, int64)"-style description of the adapter.
    pub fn describe(&self, arith: Arith) -> String {
        let a = match arith {
            Arith::U64 => "int64",
            Arith::U32 => "u32-only",
        };
        format!("{} ({:?}, {a})", self.info.name, self.info.backend)
    }

    /// Fails if wgpu reported an error outside any scope or the device was lost.
    pub fn check_fault(&self) -> Result<(), String> {
        match self.fault.lock() {
            Ok(g) => g.clone().map_or(Ok(()), Err),
            Err(_) => Err("GPU fault state poisoned".into()),
        }
    }

    /// Runs `f` inside validation, out-of-memory and internal error scopes; their first error wins.
    pub fn scoped<T>(&self, f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let oom = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let r = f();
        let errs = [validation.pop(), oom.pop(), internal.pop()].map(pollster::block_on);
        if let Some(e) = errs.into_iter().flatten().next() {
            return Err(format!("wgpu: {e}"));
        }
        self.check_fault()?;
        r
    }

    /// The pipeline of `kernel` for `group` and `arith`, compiled on first use.
    pub fn pipeline(&self, kernel: Kernel, group: Group, arith: Arith) -> Result<wgpu::ComputePipeline, String> {
        if arith == Arith::U64 && !self.int64 {
            return Err("the 64-bit integer path needs SHADER_INT64, which this adapter lacks".into());
        }
        let mut cache = self.pipelines.lock().map_err(|_| "GPU pipeline cache poisoned".to_string())?;
        let key = (kernel, group == Group::G2, arith);
        if let Some(p) = cache.get(&key) {
            return Ok(p.clone());
        }
        let src = shader_source(kernel, group, arith);
        let label = format!("{kernel:?}/{group:?}/{arith:?}");
        let pipeline = self.scoped(|| {
            let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&label),
                source: wgpu::ShaderSource::Wgsl(src.into()),
            });
            Ok(self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&label),
                layout: None,
                module: &module,
                entry_point: Some(kernel.entry()),
                compilation_options: Default::default(),
                cache: None,
            }))
        })?;
        cache.insert(key, pipeline.clone());
        Ok(pipeline)
    }
}

/// The WGSL of one kernel: a generated prelude of constants, then the shader files in order.
pub(crate) fn shader_source(kernel: Kernel, group: Group, arith: Arith) -> String {
    let mac = match arith {
        Arith::U64 => include_str!("../../../shaders/fp_mac_u64.wgsl"),
        Arith::U32 => include_str!("../../../shaders/fp_mac_u32.wgsl"),
    };
    let fp = include_str!("../../../shaders/fp.wgsl");
    let curve_field = match group {
        Group::G1 => include_str!("../../../shaders/g1.wgsl").to_string(),
        Group::G2 => [include_str!("../../../shaders/fp2.wgsl"), include_str!("../../../shaders/g2.wgsl")].join("\n"),
    };
    let curve = include_str!("../../../shaders/curve.wgsl");
    let ops = include_str!("../../../shaders/ops.wgsl");
    match kernel {
        Kernel::MsmCount | Kernel::MsmScan | Kernel::MsmScatter => {
            return format!("const WG_SIZE: u32 = {WG_SIZE}u;\n{}", include_str!("../../../shaders/msm_sort.wgsl"));
        }
        Kernel::MsmPartial | Kernel::MsmMerge | Kernel::MsmReduce => {
            let bucket = include_str!("../../../shaders/msm_bucket.wgsl");
            let io = [buffer_io("parts", group), buffer_io("bk", group), buffer_io("res", group)].join("\n");
            return [prelude().as_str(), mac, fp, &curve_field, curve, &io, bucket].join("\n");
        }
        _ => {}
    }
    let main = match kernel {
        Kernel::ScaleFixed => include_str!("../../../shaders/scale_fixed.wgsl"),
        Kernel::ScaleEach => include_str!("../../../shaders/scale_each.wgsl"),
        Kernel::Powers => {
            // Fr arithmetic: fp.wgsl with the scalar field's constants.
            let pow = include_str!("../../../shaders/powers.wgsl");
            return [field_prelude::<Fr>("scalar field Fr").as_str(), mac, fp, pow].join("\n");
        }
        _ => unreachable!("handled above"),
    };
    [prelude().as_str(), mac, fp, &curve_field, curve, ops, main].join("\n")
}

/// `{buf}_f_load`/`{buf}_f_store`: the coordinate field F of `group` at word `base` of the storage
/// buffer `buf` (curve.wgsl's own helpers work on `points` only).
fn buffer_io(buf: &str, group: Group) -> String {
    let mut s = format!(
        "fn {buf}_fp_load(base: u32) -> Fp {{\n    return Fp(vec4<u32>({buf}[base], {buf}[base + 1u], {buf}[base + 2u], {buf}[base + 3u]), vec4<u32>({buf}[base + 4u], {buf}[base + 5u], {buf}[base + 6u], {buf}[base + 7u]));\n}}\n\
         fn {buf}_fp_store(base: u32, v: Fp) {{\n    {buf}[base] = v.lo.x;\n    {buf}[base + 1u] = v.lo.y;\n    {buf}[base + 2u] = v.lo.z;\n    {buf}[base + 3u] = v.lo.w;\n    {buf}[base + 4u] = v.hi.x;\n    {buf}[base + 5u] = v.hi.y;\n    {buf}[base + 6u] = v.hi.z;\n    {buf}[base + 7u] = v.hi.w;\n}}\n"
    );
    s += &match group {
        Group::G1 => format!(
            "fn {buf}_f_load(base: u32) -> F {{\n    return {buf}_fp_load(base);\n}}\nfn {buf}_f_store(base: u32, v: F) {{\n    {buf}_fp_store(base, v);\n}}\n"
        ),
        Group::G2 => format!(
            "fn {buf}_f_load(base: u32) -> F {{\n    return Fp2({buf}_fp_load(base), {buf}_fp_load(base + 8u));\n}}\nfn {buf}_f_store(base: u32, v: F) {{\n    {buf}_fp_store(base, v.c0);\n    {buf}_fp_store(base + 8u, v.c1);\n}}\n"
        ),
    };
    s
}

/// The 8 little-endian u32 words of 4 little-endian u64 limbs.
fn words(limbs: &[u64; 4]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (i, l) in limbs.iter().enumerate() {
        w[2 * i] = *l as u32;
        w[2 * i + 1] = (*l >> 32) as u32;
    }
    w
}

fn wgsl_const(name: &str, limbs: &[u64; 4]) -> String {
    let w: Vec<String> = words(limbs).iter().map(|w| format!("0x{w:08x}u")).collect();
    format!("const {name}: Fp = Fp(vec4<u32>({}), vec4<u32>({}));\n", w[..4].join(", "), w[4..].join(", "))
}

/// fp.wgsl's constants (FP_P, FP_NP0, FP_PM2, FP_ONE) for the prime field `F`, and WG_SIZE.
fn field_prelude<F: PrimeField<BigInt = ark_ff::BigInt<4>>>(what: &str) -> String {
    let p = F::MODULUS.0;
    // -p^-1 mod 2^32 by Newton's iteration.
    let p0 = p[0] as u32;
    let mut inv = 1u32;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u32.wrapping_sub(p0.wrapping_mul(inv)));
    }
    let np0 = inv.wrapping_neg();
    let mut pm2 = F::MODULUS;
    pm2.sub_with_borrow(&2u64.into());
    let one = mont_one::<F>();
    let mut s = format!("// Generated prelude (src/backend/gpu/context.rs): {what}.\n");
    s += &format!("const WG_SIZE: u32 = {WG_SIZE}u;\n");
    s += &format!("const FP_NP0: u32 = 0x{np0:08x}u;\n");
    s += &wgsl_const("FP_P", &p);
    s += &wgsl_const("FP_PM2", &pm2.0);
    s += &wgsl_const("FP_ONE", &one);
    s
}

/// R mod p (the Montgomery form of 1) as limbs: 2^256 mod p.
fn mont_one<F: PrimeField<BigInt = ark_ff::BigInt<4>>>() -> [u64; 4] {
    // 2^256 mod p = (2^128 mod p)^2, computed in the field from canonical values.
    let two128 = F::from(2u64).pow([128u64]);
    (two128 * two128).into_bigint().0
}

/// Constants computed from arkworks so the shaders cannot disagree with the CPU.
fn prelude() -> String {
    let beta = <ark_bn254::g1::Config as GLVConfig>::ENDO_COEFFS[0].0 .0;
    let b3: Fq2 = ark_bn254::g2::Config::COEFF_B * Fq2::from(3u64);
    let mut s = field_prelude::<Fq>("base field Fp");
    s += &wgsl_const("FP_BETA", &beta);
    s += &wgsl_const("G2_B3_C0", &b3.c0.0 .0);
    s += &wgsl_const("G2_B3_C1", &b3.c1.0 .0);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Field;

    #[test]
    fn prelude_constants() {
        let s = prelude();
        // -p^-1 mod 2^32 from the reference tables.
        assert!(s.contains("const FP_NP0: u32 = 0xe4866389u;"), "{s}");
        assert!(s.contains("const FP_P: Fp = Fp(vec4<u32>(0xd87cfd47u, 0x3c208c16u"), "{s}");
        assert_eq!(mont_one::<Fq>(), Fq::ONE.0 .0);
        assert_eq!(mont_one::<Fr>(), Fr::ONE.0 .0);
        let r = field_prelude::<Fr>("Fr");
        assert!(r.contains("const FP_P: Fp = Fp(vec4<u32>(0xf0000001u, 0x43e1f593u"), "{r}");
    }

    /// Parses and validates every kernel with naga, without a device: the 64-bit path with the
    /// SHADER_INT64 capability, the 32-bit path without it (so it cannot use 64-bit integers).
    #[test]
    fn every_kernel_validates() {
        use wgpu::naga::valid::{Capabilities, ValidationFlags, Validator};
        for k in [
            Kernel::ScaleFixed,
            Kernel::ScaleEach,
            Kernel::Powers,
            Kernel::MsmCount,
            Kernel::MsmScan,
            Kernel::MsmScatter,
            Kernel::MsmPartial,
            Kernel::MsmMerge,
            Kernel::MsmReduce,
        ] {
            for g in [Group::G1, Group::G2] {
                for a in [Arith::U64, Arith::U32] {
                    let src = shader_source(k, g, a);
                    let module = wgpu::naga::front::wgsl::parse_str(&src)
                        .unwrap_or_else(|e| panic!("{k:?}/{g:?}/{a:?}: {}", e.emit_to_string(&src)));
                    let caps = match a {
                        Arith::U64 => Capabilities::SHADER_INT64,
                        Arith::U32 => Capabilities::empty(),
                    };
                    Validator::new(ValidationFlags::all(), caps)
                        .validate(&module)
                        .unwrap_or_else(|e| panic!("{k:?}/{g:?}/{a:?}: {}", e.emit_to_string(&src)));
                }
            }
        }
    }
}

//! The CPU engines on AVX-512 IFMA (x86-64): eight points per vector, field elements in
//! 52-bit limbs. [`super::fixed_scalar`], [`super::scalar_each`] and the CPU backend's MSM
//! hand their work here at run time for BN254 G1 and G2 when the CPU has the instructions;
//! everything else takes the portable arkworks path, which computes the same points.

mod engine;
mod fq;
mod fq2;
mod lanes;
mod msm;

use std::any::TypeId;

use ark_bn254::{g1, g2};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};

use super::fixed_scalar::Schedule;
use super::scalar_each::Plan;
use engine::VecCurve;

/// Whether this CPU can run the IFMA path (and `TAUFORGE_NO_IFMA` does not turn it off).
pub fn available() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("TAUFORGE_NO_IFMA").is_none()
            && is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512ifma")
    })
}

/// `pts` as points of `D` when `C` is `D`.
fn cast<C: SWCurveConfig + 'static, D: VecCurve>(pts: &mut [Affine<C>]) -> Option<&mut [Affine<D>]> {
    // SAFETY: C and D are the same type (same TypeId), so are the slices.
    (TypeId::of::<C>() == TypeId::of::<D>()).then(|| unsafe { &mut *(pts as *mut [Affine<C>] as *mut [Affine<D>]) })
}

/// Runs `fixed_scalar`'s schedule on a batch of non-identity points in place: `None` when this
/// path does not take curve `C` or this CPU, else whether it succeeded (false: points unchanged,
/// an exceptional case).
pub(crate) fn run_fixed<C: SWCurveConfig + 'static>(s: &Schedule, pts: &mut [Affine<C>]) -> Option<bool> {
    if !available() {
        return None;
    }
    // SAFETY: `available` checked the CPU features the engine is compiled for.
    if let Some(p) = cast::<C, g1::Config>(pts) {
        return Some(unsafe { engine::run_fixed(s, p) });
    }
    cast::<C, g2::Config>(pts).map(|p| unsafe { engine::run_fixed(s, p) })
}

/// Runs `scalar_each`'s schedule on non-identity points with their plans, like [`run_fixed`].
pub(crate) fn run_each<C: SWCurveConfig + 'static>(pts: &mut [Affine<C>], plans: &[&Plan]) -> Option<bool> {
    if !available() {
        return None;
    }
    // SAFETY: `available` checked the CPU features the engine is compiled for.
    if let Some(p) = cast::<C, g1::Config>(pts) {
        return Some(unsafe { engine::run_each(p, plans) });
    }
    cast::<C, g2::Config>(pts).map(|p| unsafe { engine::run_each(p, plans) })
}

/// Σ scalars_i·bases_i on the vector lanes: `None` when this path does not take curve `C` or
/// this CPU.
pub(crate) fn msm<C: SWCurveConfig + 'static>(bases: &[Affine<C>], scalars: &[ark_bn254::Fr]) -> Option<Projective<C>> {
    if !available() {
        return None;
    }
    // SAFETY: `available` checked the CPU features; the casts only rename C.
    if let Some(p) = cast_ref::<C, g1::Config>(bases) {
        let r = unsafe { msm::msm(p, scalars) };
        return Some(unsafe { std::mem::transmute_copy::<Projective<g1::Config>, Projective<C>>(&r) });
    }
    let p = cast_ref::<C, g2::Config>(bases)?;
    let r = unsafe { msm::msm(p, scalars) };
    Some(unsafe { std::mem::transmute_copy::<Projective<g2::Config>, Projective<C>>(&r) })
}

/// `pts` as points of `D` when `C` is `D`.
fn cast_ref<C: SWCurveConfig + 'static, D: VecCurve>(pts: &[Affine<C>]) -> Option<&[Affine<D>]> {
    // SAFETY: C and D are the same type (same TypeId), so are the slices.
    (TypeId::of::<C>() == TypeId::of::<D>()).then(|| unsafe { &*(pts as *const [Affine<C>] as *const [Affine<D>]) })
}

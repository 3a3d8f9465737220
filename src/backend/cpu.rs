//! The CPU backend: arkworks arithmetic spread over rayon's threads, with the batched-affine
//! engines of [`fixed_scalar`] and [`scalar_each`] for the scaling operations.

use ark_bn254::{Fq2, Fr, G1Affine, G2Affine};
use ark_ec::VariableBaseMSM;
use ark_ff::Field;
use rayon::prelude::*;

use super::{fixed_scalar, scalar_each, Backend, Group, PointChunk, Projective};
use crate::error::{Error, Result};
use crate::format::points::{fq_from_lem, g1_from_lem_unchecked, g1_to_lem, g2_to_lem};

/// Scalars per parallel task when computing powers.
const TASK: usize = 1024;

/// arkworks + rayon.
#[derive(Debug, Default, Clone, Copy)]
pub struct CpuBackend;

/// Decodes a G1 LEM point already validated by the format layer.
fn g1(b: &[u8]) -> Result<G1Affine> {
    g1_from_lem_unchecked(b).map_err(|f| backend_err(format!("input point: {f}")))
}

/// Decodes a G2 LEM point already validated by the format layer (no subgroup check here).
fn g2(b: &[u8]) -> Result<G2Affine> {
    if b.iter().all(|&v| v == 0) {
        return Ok(G2Affine::default());
    }
    let c = |o: usize| fq_from_lem(&b[o..o + 32]).ok_or_else(|| backend_err("input point: coordinate not reduced"));
    Ok(G2Affine::new_unchecked(Fq2::new(c(0)?, c(32)?), Fq2::new(c(64)?, c(96)?)))
}

fn backend_err(msg: impl Into<String>) -> Error {
    Error::Backend { backend: "cpu".into(), msg: msg.into() }
}

/// Decodes a chunk, transforms its points in place with `f1`/`f2`, and encodes them back.
fn transform(points: PointChunk, f1: impl FnOnce(&mut [G1Affine]), f2: impl FnOnce(&mut [G2Affine])) -> Result<()> {
    let size = points.group.point_size();
    if !points.bytes.len().is_multiple_of(size) {
        return Err(backend_err("chunk is not a whole number of points"));
    }
    match points.group {
        Group::G1 => {
            let mut pts = points.bytes.par_chunks(size).map(g1).collect::<Result<Vec<_>>>()?;
            f1(&mut pts);
            points.bytes.par_chunks_mut(size).zip(pts.par_iter()).for_each(|(b, p)| b.copy_from_slice(&g1_to_lem(p)));
        }
        Group::G2 => {
            let mut pts = points.bytes.par_chunks(size).map(g2).collect::<Result<Vec<_>>>()?;
            f2(&mut pts);
            points.bytes.par_chunks_mut(size).zip(pts.par_iter()).for_each(|(b, p)| b.copy_from_slice(&g2_to_lem(p)));
        }
    }
    Ok(())
}

impl Backend for CpuBackend {
    fn name(&self) -> String {
        format!("cpu (rayon, {} threads)", rayon::current_num_threads())
    }

    fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
        let k = *scalar;
        transform(points, |p| fixed_scalar::scale_fixed(p, k), |p| fixed_scalar::scale_fixed(p, k))
    }

    fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()> {
        let n = points.bytes.len() / points.group.point_size();
        let scalars = powers(*first, *step, n);
        self.scale_each(points, &scalars)
    }

    fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()> {
        let n = points.bytes.len() / points.group.point_size();
        if scalars.len() != n {
            return Err(backend_err(format!("{} scalars for {n} points", scalars.len())));
        }
        transform(points, |p| scalar_each::scale_each(p, scalars), |p| scalar_each::scale_each(p, scalars))
    }

    fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective> {
        let size = group.point_size();
        if points.len() != scalars.len() * size {
            return Err(backend_err(format!("{} scalars for {} bytes of points", scalars.len(), points.len())));
        }
        match group {
            Group::G1 => {
                let bases = points.par_chunks(size).map(g1).collect::<Result<Vec<_>>>()?;
                Ok(Projective::G1(msm_affine(&bases, scalars)))
            }
            Group::G2 => {
                let bases = points.par_chunks(size).map(g2).collect::<Result<Vec<_>>>()?;
                Ok(Projective::G2(msm_affine(&bases, scalars)))
            }
        }
    }
}

/// Σ scalars_i·bases_i on the CPU from affine points: the vector lanes where present, else arkworks.
pub fn msm_affine<C: ark_ec::short_weierstrass::SWCurveConfig<ScalarField = Fr> + 'static>(
    bases: &[ark_ec::short_weierstrass::Affine<C>],
    scalars: &[Fr],
) -> ark_ec::short_weierstrass::Projective<C> {
    #[cfg(target_arch = "x86_64")]
    if let Some(p) = super::ifma::msm(bases, scalars) {
        return p;
    }
    ark_ec::short_weierstrass::Projective::<C>::msm_unchecked(bases, scalars)
}

/// first · step^i for i in 0..n, computed in parallel blocks.
pub fn powers(first: Fr, step: Fr, n: usize) -> Vec<Fr> {
    let mut out = vec![Fr::from(0u64); n];
    out.par_chunks_mut(TASK).enumerate().for_each(|(t, c)| {
        let mut x = first * step.pow([(t * TASK) as u64]);
        for v in c.iter_mut() {
            *v = x;
            x *= step;
        }
    });
    out
}

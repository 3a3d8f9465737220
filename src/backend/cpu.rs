//! The CPU backend: arkworks arithmetic spread over rayon's threads.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::Field;
use rayon::prelude::*;

use super::{fixed_scalar, Backend, Group, PointChunk, Projective};
use crate::error::{Error, Result};
use crate::format::points::{fq_from_lem, g1_from_lem_unchecked, g1_to_lem, g2_to_lem};

/// Points per parallel task: large enough to amortise the batch inversion of `normalize_batch`.
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
    let x = ark_bn254::Fq2::new(c(0)?, c(32)?);
    let y = ark_bn254::Fq2::new(c(64)?, c(96)?);
    Ok(G2Affine::new_unchecked(x, y))
}

fn backend_err(msg: impl Into<String>) -> Error {
    Error::Backend { backend: "cpu".into(), msg: msg.into() }
}

/// Applies `f(index, point)` to every point of the chunk, in parallel, writing affine results back.
fn map_points<F1, F2>(points: PointChunk, f1: F1, f2: F2) -> Result<()>
where
    F1: Fn(usize, &G1Affine) -> G1Projective + Sync,
    F2: Fn(usize, &G2Affine) -> G2Projective + Sync,
{
    let size = points.group.point_size();
    if !points.bytes.len().is_multiple_of(size) {
        return Err(backend_err("chunk is not a whole number of points"));
    }
    match points.group {
        Group::G1 => points.bytes.par_chunks_mut(TASK * size).enumerate().try_for_each(|(t, chunk)| {
            let proj = chunk
                .chunks(size)
                .enumerate()
                .map(|(i, b)| Ok(f1(t * TASK + i, &g1(b)?)))
                .collect::<Result<Vec<_>>>()?;
            for (b, p) in chunk.chunks_mut(size).zip(G1Projective::normalize_batch(&proj)) {
                b.copy_from_slice(&g1_to_lem(&p));
            }
            Ok(())
        }),
        Group::G2 => points.bytes.par_chunks_mut(TASK * size).enumerate().try_for_each(|(t, chunk)| {
            let proj = chunk
                .chunks(size)
                .enumerate()
                .map(|(i, b)| Ok(f2(t * TASK + i, &g2(b)?)))
                .collect::<Result<Vec<_>>>()?;
            for (b, p) in chunk.chunks_mut(size).zip(G2Projective::normalize_batch(&proj)) {
                b.copy_from_slice(&g2_to_lem(&p));
            }
            Ok(())
        }),
    }
}

impl Backend for CpuBackend {
    fn name(&self) -> String {
        format!("cpu (rayon, {} threads)", rayon::current_num_threads())
    }

    fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()> {
        let size = points.group.point_size();
        if !points.bytes.len().is_multiple_of(size) {
            return Err(backend_err("chunk is not a whole number of points"));
        }
        match points.group {
            Group::G1 => {
                let mut pts = points.bytes.par_chunks(size).map(g1).collect::<Result<Vec<_>>>()?;
                fixed_scalar::scale_fixed(&mut pts, *scalar);
                points
                    .bytes
                    .par_chunks_mut(size)
                    .zip(pts.par_iter())
                    .for_each(|(b, p)| b.copy_from_slice(&g1_to_lem(p)));
            }
            Group::G2 => {
                let mut pts = points.bytes.par_chunks(size).map(g2).collect::<Result<Vec<_>>>()?;
                fixed_scalar::scale_fixed(&mut pts, *scalar);
                points
                    .bytes
                    .par_chunks_mut(size)
                    .zip(pts.par_iter())
                    .for_each(|(b, p)| b.copy_from_slice(&g2_to_lem(p)));
            }
        }
        Ok(())
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
        map_points(points, |i, p| *p * scalars[i], |i, p| *p * scalars[i])
    }

    fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective> {
        let size = group.point_size();
        if points.len() != scalars.len() * size {
            return Err(backend_err(format!("{} scalars for {} bytes of points", scalars.len(), points.len())));
        }
        match group {
            Group::G1 => {
                let bases = points.par_chunks(size).map(g1).collect::<Result<Vec<_>>>()?;
                Ok(Projective::G1(G1Projective::msm_unchecked(&bases, scalars)))
            }
            Group::G2 => {
                let bases = points.par_chunks(size).map(g2).collect::<Result<Vec<_>>>()?;
                Ok(Projective::G2(G2Projective::msm_unchecked(&bases, scalars)))
            }
        }
    }
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

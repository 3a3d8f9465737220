//! The GPU MSM: Pippenger with signed window digits. The CPU recodes the scalars into one key per
//! (window, point); the GPU sorts the keys into buckets with one counting sort per window
//! (count, scan, scatter: msm_sort.wgsl), sums every bucket and reduces each window's buckets in
//! parallel segments (msm_bucket.wgsl); the CPU combines the segments and the windows.
//!
//! The window count follows the widest scalar, so short scalars take fewer windows: the 64-bit
//! coefficients of the verifiers' random linear combinations (soundness 2^-64 per check, see
//! phase2::verify_step) need 5 windows of 14 bits where full-width scalars need 19.

use ark_bn254::{Fq, Fq2, Fr, G1Projective, G2Projective};
use ark_ec::short_weierstrass::{Projective as SwProjective, SWCurveConfig};
use ark_ec::{AdditiveGroup, PrimeGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

use super::buffers::grid;
use super::context::{GpuContext, Kernel, WG_SIZE};
use super::Arith;
use crate::backend::{Group, Projective};

/// Buckets per reduction segment (at most; fewer when a window has fewer buckets).
const SEGMENT: u32 = 64;
/// The most sorted entries one invocation adds up: a bucket with more (many equal scalars) is
/// split into several tasks, so no invocation runs a long serial loop.
const TASK_LEN: u32 = 256;

/// Splits every bucket (cell w·B + b, `sizes[cell]` entries starting at w·n + its offset in the
/// window) into tasks of at most [`TASK_LEN`] entries: (tasks as (start, len) pairs, first task of
/// every cell with a final end marker).
pub(crate) fn plan_tasks(sizes: &[u32], buckets: usize, n: usize) -> (Vec<u32>, Vec<u32>) {
    let mut tasks = Vec::with_capacity(2 * sizes.len());
    let mut first = Vec::with_capacity(sizes.len() + 1);
    let mut offset = 0u32;
    for (cell, &size) in sizes.iter().enumerate() {
        if cell % buckets == 0 {
            offset = 0;
        }
        first.push((tasks.len() / 2) as u32);
        let base = (cell / buckets * n) as u32 + offset;
        let mut done = 0;
        while done < size {
            let len = TASK_LEN.min(size - done);
            tasks.extend([base + done, len]);
            done += len;
        }
        offset += size;
    }
    first.push((tasks.len() / 2) as u32);
    (tasks, first)
}

fn uniform(ctx: &GpuContext, label: &str, size: u64) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}

fn dispatch(enc: &mut wgpu::CommandEncoder, p: &wgpu::ComputePipeline, g: &wgpu::BindGroup, (x, y): (u32, u32)) {
    let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
    pass.set_pipeline(p);
    pass.set_bind_group(0, g, &[]);
    pass.dispatch_workgroups(x, y, 1);
}

/// Submits `enc` with a copy of `src[..bytes]` appended and returns those bytes as words.
fn readback(
    ctx: &GpuContext,
    mut enc: wgpu::CommandEncoder,
    src: &wgpu::Buffer,
    bytes: u64,
) -> Result<Vec<u32>, String> {
    let staging = ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("msm staging"),
        size: bytes,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    enc.copy_buffer_to_buffer(src, 0, &staging, 0, bytes);
    let index = ctx.queue.submit([enc.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    ctx.device
        .poll(wgpu::PollType::Wait { submission_index: Some(index), timeout: None })
        .map_err(|e| format!("waiting for the GPU: {e}"))?;
    match rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("mapping the MSM results: {e}")),
        Err(_) => return Err("mapping the MSM results: the device dropped the request".into()),
    }
    let words = bytemuck::cast_slice(&staging.slice(..).get_mapped_range().map_err(|e| e.to_string())?).to_vec();
    staging.unmap();
    Ok(words)
}

/// Window width in bits for `n` points: about log2(n) − 3, between 4 and 16.
pub(crate) fn window_bits(n: usize) -> u32 {
    let log = usize::BITS - n.max(1).leading_zeros();
    log.saturating_sub(3).clamp(4, 16)
}

/// The keys of msm_sort.wgsl: per window w and point i, at w·n + i, the signed digit's magnitude
/// (bucket 1..=2^(c−1)) and its sign in bit 31; 0 for a zero digit. Returns (keys, windows).
pub(crate) fn keys(scalars: &[Fr], c: u32) -> (Vec<u32>, usize) {
    let n = scalars.len();
    let canon: Vec<BigInt<4>> = scalars.par_iter().map(|s| s.into_bigint()).collect();
    let bits = canon.iter().map(|b| b.num_bits()).max().unwrap_or(0) as usize;
    if bits == 0 {
        return (Vec::new(), 0);
    }
    let windows = (bits + 1).div_ceil(c as usize);
    let mut keys = vec![0u32; windows * n];
    let half = 1i64 << (c - 1);
    // Column-wise writes: each task recodes a run of scalars into every window.
    let cols: Vec<Vec<u32>> = canon
        .par_chunks(4096)
        .map(|chunk| {
            let mut out = vec![0u32; windows * chunk.len()];
            for (i, b) in chunk.iter().enumerate() {
                let mut carry = 0i64;
                for w in 0..windows {
                    let bit = w * c as usize;
                    let mut v = 0u64;
                    for k in 0..c as usize {
                        let p = bit + k;
                        if p < 256 && (b.0[p / 64] >> (p % 64)) & 1 == 1 {
                            v |= 1 << k;
                        }
                    }
                    let mut d = v as i64 + carry;
                    carry = 0;
                    if d >= half {
                        d -= 2 * half;
                        carry = 1;
                    }
                    if d != 0 {
                        out[w * chunk.len() + i] = d.unsigned_abs() as u32 | if d < 0 { 1 << 31 } else { 0 };
                    }
                }
            }
            out
        })
        .collect();
    for (ci, col) in cols.iter().enumerate() {
        let len = col.len() / windows;
        for w in 0..windows {
            keys[w * n + ci * 4096..w * n + ci * 4096 + len].copy_from_slice(&col[w * len..(w + 1) * len]);
        }
    }
    (keys, windows)
}

fn storage(ctx: &GpuContext, label: &str, size: u64, extra: wgpu::BufferUsages) -> wgpu::Buffer {
    ctx.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size.max(4),
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | extra,
        mapped_at_creation: false,
    })
}

fn bind(ctx: &GpuContext, p: &wgpu::ComputePipeline, entries: &[(u32, &wgpu::Buffer)]) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = entries
        .iter()
        .map(|(b, buf)| wgpu::BindGroupEntry { binding: *b, resource: buf.as_entire_binding() })
        .collect();
    ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("msm"),
        layout: &p.get_bind_group_layout(0),
        entries: &entries,
    })
}

/// Σ scalars[i]·P_i for the LEM points in `points` (validated by the caller).
pub(crate) fn msm(
    ctx: &GpuContext,
    arith: Arith,
    group: Group,
    points: &[u8],
    scalars: &[Fr],
) -> Result<Projective, String> {
    let size = group.point_size();
    let n = scalars.len();
    if points.len() != n * size {
        return Err(format!("{} bytes of points for {n} scalars", points.len()));
    }
    let zero = match group {
        Group::G1 => Projective::G1(G1Projective::zero()),
        Group::G2 => Projective::G2(G2Projective::zero()),
    };
    let c = window_bits(n);
    let (keys, windows) = keys(scalars, c);
    if windows == 0 {
        return Ok(zero);
    }
    let buckets = 1u32 << (c - 1);
    let seg = SEGMENT.min(buckets);
    let segments = windows as u32 * (buckets / seg);
    let coord_words = size / 8; // words per coordinate: 8 (Fp) or 16 (Fp2)
    let pt_bytes = (3 * coord_words * 4) as u64;
    let cells = windows as u64 * buckets as u64;
    let max = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
    let worst_tasks = cells + (keys.len() as u64).div_ceil(TASK_LEN as u64);
    if (keys.len() as u64) * 4 > max || worst_tasks * pt_bytes > max || (points.len() as u64) > max {
        return Err(format!("{n} points exceed this adapter's buffer limits ({max} bytes)"));
    }
    let pipes = [
        Kernel::MsmCount,
        Kernel::MsmScan,
        Kernel::MsmScatter,
        Kernel::MsmPartial,
        Kernel::MsmMerge,
        Kernel::MsmReduce,
    ]
    .map(|k| ctx.pipeline(k, group, arith));
    let [count, scan, scatter, partial, merge, reduce] = match pipes {
        [Ok(a), Ok(b), Ok(c), Ok(d), Ok(e), Ok(f)] => [a, b, c, d, e, f],
        other => return Err(other.into_iter().find_map(Result::err).unwrap_or_default()),
    };
    let max_dim = ctx.limits.max_compute_workgroups_per_dimension;
    let threads = |t: u64| grid((t as u32).div_ceil(WG_SIZE), max_dim);
    let res_bytes = 2 * segments as u64 * pt_bytes;
    let out = ctx.scoped(|| {
        use wgpu::BufferUsages as U;
        // Submission 1: sort the keys into buckets; read back the bucket sizes.
        let pts = storage(ctx, "msm points", points.len() as u64, U::empty());
        let keys_b = storage(ctx, "msm keys", keys.len() as u64 * 4, U::empty());
        let counts = storage(ctx, "msm counts", cells * 4, U::COPY_SRC);
        let offsets = storage(ctx, "msm offsets", cells * 4, U::empty());
        let cursor = storage(ctx, "msm cursor", cells * 4, U::empty());
        let sorted = storage(ctx, "msm sorted", keys.len() as u64 * 4, U::empty());
        let sp = uniform(ctx, "msm sort params", 16);
        ctx.queue.write_buffer(&pts, 0, points);
        ctx.queue.write_buffer(&keys_b, 0, bytemuck::cast_slice(&keys));
        let (nw, w) = (n as u32, windows as u32);
        ctx.queue.write_buffer(&sp, 0, bytemuck::cast_slice(&[nw, w, buckets, 0u32]));
        let g_count = bind(ctx, &count, &[(0, &keys_b), (1, &counts), (5, &sp)]);
        let g_scan = bind(ctx, &scan, &[(1, &counts), (2, &offsets), (3, &cursor), (5, &sp)]);
        let g_scatter = bind(ctx, &scatter, &[(0, &keys_b), (3, &cursor), (4, &sorted), (5, &sp)]);
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("msm sort") });
        dispatch(&mut enc, &count, &g_count, threads(keys.len() as u64));
        dispatch(&mut enc, &scan, &g_scan, (w, 1));
        dispatch(&mut enc, &scatter, &g_scatter, threads(keys.len() as u64));
        let sizes: Vec<u32> = readback(ctx, enc, &counts, cells * 4)?;

        // Tasks of at most TASK_LEN entries, each bucket's contiguous.
        let (tasks, first) = plan_tasks(&sizes, buckets as usize, n);
        let ntasks = (tasks.len() / 2) as u64;
        let tasks_b = storage(ctx, "msm tasks", tasks.len() as u64 * 4, U::empty());
        let first_b = storage(ctx, "msm first", first.len() as u64 * 4, U::empty());
        let parts = storage(ctx, "msm parts", ntasks * pt_bytes, U::empty());
        let bk = storage(ctx, "msm buckets", cells * pt_bytes, U::empty());
        let res = storage(ctx, "msm segments", res_bytes, U::COPY_SRC);
        let bp = uniform(ctx, "msm bucket params", 32);
        ctx.queue.write_buffer(&tasks_b, 0, bytemuck::cast_slice(&tasks));
        ctx.queue.write_buffer(&first_b, 0, bytemuck::cast_slice(&first));
        ctx.queue.write_buffer(&bp, 0, bytemuck::cast_slice(&[ntasks as u32, cells as u32, seg, segments, 0, 0, 0, 0]));
        let g_partial = bind(ctx, &partial, &[(0, &pts), (1, &sorted), (2, &tasks_b), (4, &parts), (7, &bp)]);
        let g_merge = bind(ctx, &merge, &[(3, &first_b), (4, &parts), (5, &bk), (7, &bp)]);
        let g_reduce = bind(ctx, &reduce, &[(5, &bk), (6, &res), (7, &bp)]);
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("msm sums") });
        dispatch(&mut enc, &partial, &g_partial, threads(ntasks));
        dispatch(&mut enc, &merge, &g_merge, threads(cells));
        dispatch(&mut enc, &reduce, &g_reduce, threads(segments as u64));
        readback(ctx, enc, &res, res_bytes)
    })?;
    let per_window = (buckets / seg) as usize;
    Ok(match group {
        Group::G1 => {
            Projective::G1(combine::<ark_bn254::g1::Config>(&out, windows, per_window, seg, c, coord_words, fq_at)?)
        }
        Group::G2 => {
            Projective::G2(combine::<ark_bn254::g2::Config>(&out, windows, per_window, seg, c, coord_words, fq2_at)?)
        }
    })
}

/// The Fq in Montgomery form at words[at..at + 8].
fn fq_at(w: &[u32], at: usize) -> Result<Fq, String> {
    let mut l = [0u64; 4];
    for (k, v) in l.iter_mut().enumerate() {
        *v = w[at + 2 * k] as u64 | (w[at + 2 * k + 1] as u64) << 32;
    }
    let b = BigInt::new(l);
    if b >= Fq::MODULUS {
        return Err("the GPU returned an unreduced coordinate".into());
    }
    Ok(Fq::new_unchecked(b))
}

fn fq2_at(w: &[u32], at: usize) -> Result<Fq2, String> {
    Ok(Fq2::new(fq_at(w, at)?, fq_at(w, at + 8)?))
}

/// Σ over windows of 2^(c·w)·(Σ_s acc_s + lo_s·run_s) from the GPU's homogeneous projective
/// segment results.
fn combine<C: SWCurveConfig>(
    words: &[u32],
    windows: usize,
    per_window: usize,
    seg: u32,
    c: u32,
    cw: usize,
    coord: fn(&[u32], usize) -> Result<C::BaseField, String>,
) -> Result<SwProjective<C>, String> {
    // Homogeneous (X : Y : Z) is Jacobian (X·Z, Y·Z², Z): no inversion. The curve equation
    // Y²Z = X³ + b·Z³ (a = 0 on BN254) is checked on the way.
    let point = |j: usize| -> Result<SwProjective<C>, String> {
        let base = j * 3 * cw;
        let (x, y, z) = (coord(words, base)?, coord(words, base + cw)?, coord(words, base + 2 * cw)?);
        if z.is_zero() {
            return Ok(SwProjective::<C>::zero());
        }
        let z2 = z.square();
        if y.square() * z != x.square() * x + C::COEFF_B * z2 * z {
            return Err(format!("segment result {j} from the GPU is not on the curve"));
        }
        Ok(SwProjective::<C>::new_unchecked(x * z, y * z2, z))
    };
    let sums: Vec<SwProjective<C>> = (0..windows)
        .into_par_iter()
        .map(|w| {
            let mut s = SwProjective::<C>::zero();
            for k in 0..per_window {
                let t = w * per_window + k;
                let lo = (k as u64) * seg as u64;
                s += point(2 * t)?;
                s += point(2 * t + 1)?.mul_bigint([lo]);
            }
            Ok(s)
        })
        .collect::<Result<_, String>>()?;
    let mut total = SwProjective::<C>::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += s;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_recompose_the_scalars() {
        let mut rng = ark_std::test_rng();
        let mut ss: Vec<Fr> = (0..37).map(|_| <Fr as ark_std::UniformRand>::rand(&mut rng)).collect();
        ss.extend([Fr::zero(), Fr::from(1u64), -Fr::from(1u64), Fr::from(u64::MAX)]);
        for c in [4, 7, 11, 16] {
            let (k, windows) = keys(&ss, c);
            for (i, s) in ss.iter().enumerate() {
                let mut v = Fr::zero();
                for w in (0..windows).rev() {
                    v *= Fr::from(1u64 << c);
                    let key = k[w * ss.len() + i];
                    let d = Fr::from((key & 0x7fff_ffff) as u64);
                    assert!((key & 0x7fff_ffff) <= 1 << (c - 1));
                    v += if key >> 31 == 1 { -d } else { d };
                }
                assert_eq!(v, *s, "c = {c}, scalar {i}");
            }
        }
        assert_eq!(keys(&[Fr::zero(); 3], 8).1, 0);
        assert_eq!(keys(&[Fr::from(u64::MAX)], 14).1, 5);
        assert_eq!(window_bits(1), 4);
        assert_eq!(window_bits(1 << 20), 16);
    }

    #[test]
    fn tasks_cover_every_bucket_in_bounded_pieces() {
        // 2 windows of 3 buckets over n = 1000 points.
        let sizes = [0, 600, 5, 1000, 0, 0];
        let (tasks, first) = plan_tasks(&sizes, 3, 1000);
        assert_eq!(first, vec![0, 0, 3, 4, 8, 8, 8]);
        let t: Vec<(u32, u32)> = tasks.chunks(2).map(|c| (c[0], c[1])).collect();
        assert_eq!(t[..4], [(0, 256), (256, 256), (512, 88), (600, 5)]);
        assert_eq!(t[4..], [(1000, 256), (1256, 256), (1512, 256), (1768, 232)]);
    }
}

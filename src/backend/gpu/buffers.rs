//! Buffer sizing and the buffers of one chunk in flight: a chunk never exceeds the adapter's
//! `max_storage_buffer_binding_size` or `max_buffer_size`, nor [`DEFAULT_CHUNK_POINTS`]; tests can
//! force a smaller chunk to exercise the chunking on small inputs.

use std::ops::Range;
use std::sync::mpsc;

use super::context::{GpuContext, WG_SIZE};

/// Points per chunk unless the limits or the caller ask for fewer: a dispatch of this many G1
/// points stays well under OS GPU watchdogs on real GPUs, and its buffers under 128 MiB.
pub(crate) const DEFAULT_CHUNK_POINTS: usize = 1 << 18;

/// The most points one dispatch may index: word offsets (32 words per G2 point) stay below 2^32.
const MAX_INDEXED_POINTS: usize = 1 << 26;

/// The most points one chunk may hold, given the bytes every point needs in each bound buffer
/// (`per_point`), the adapter's limits and an optional forced maximum (test hook); at least 1.
pub(crate) fn chunk_points(limits: &wgpu::Limits, per_point: &[u64], forced: Option<usize>) -> usize {
    let cap = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
    let by_limits = per_point.iter().filter(|&&b| b > 0).map(|&b| cap / b).min().unwrap_or(u64::MAX);
    let by_limits = usize::try_from(by_limits).unwrap_or(usize::MAX);
    // Also stay within a two-dimensional grid of workgroups.
    let max_dim = limits.max_compute_workgroups_per_dimension as usize;
    let by_grid = max_dim.saturating_mul(max_dim).saturating_mul(WG_SIZE as usize);
    let n = by_limits.min(by_grid).min(MAX_INDEXED_POINTS).min(forced.unwrap_or(DEFAULT_CHUNK_POINTS));
    n.max(1)
}

/// Consecutive ranges of at most `chunk` (≥ 1) of the `n` points.
pub(crate) fn ranges(n: usize, chunk: usize) -> impl Iterator<Item = Range<usize>> {
    let chunk = chunk.max(1);
    (0..n.div_ceil(chunk)).map(move |k| k * chunk..((k + 1) * chunk).min(n))
}

/// A grid of workgroups (x, y) with x·y ≥ `groups` and x within `max_dim`.
pub(crate) fn grid(groups: u32, max_dim: u32) -> (u32, u32) {
    // Written without `Ord::max`: with it, rustc 1.95 (LLVM) miscompiled this function at -O1 and
    // above once inlined into the test below, returning (65536, 2) for (65536, 65535).
    let max_dim = if max_dim == 0 { 1 } else { max_dim };
    let groups = if groups == 0 { 1 } else { groups };
    if groups <= max_dim {
        (groups, 1)
    } else {
        (max_dim, groups.div_ceil(max_dim))
    }
}

/// The buffers of one chunk in flight.
pub(crate) struct Slot {
    /// The points, read and overwritten in place by the kernel.
    pub points: wgpu::Buffer,
    /// Where the results are copied for mapping.
    pub staging: wgpu::Buffer,
    /// The kernel's uniform parameters.
    pub params: wgpu::Buffer,
    /// Per-point scalars, for kernels that take them.
    pub scalars: Option<wgpu::Buffer>,
    /// All of the above, bound.
    pub bind_group: wgpu::BindGroup,
    /// The powers kernel's uniforms and bindings (its output is `scalars`), when it runs.
    pub powers: Option<PowersSlot>,
}

/// The buffers of the powers kernel in one chunk.
pub(crate) struct PowersSlot {
    /// Its uniform parameters.
    pub params: wgpu::Buffer,
    /// `scalars` and `params`, bound for it.
    pub bind_group: wgpu::BindGroup,
}

impl Slot {
    /// Buffers for up to `points_bytes` of points, `params_bytes` of uniforms and, if nonzero,
    /// `scalar_bytes` of per-point scalars, bound for `pipeline`; with `powers`, also the uniforms
    /// of that pipeline (which writes the scalars).
    pub fn new(
        ctx: &GpuContext,
        pipeline: &wgpu::ComputePipeline,
        points_bytes: u64,
        params_bytes: u64,
        scalar_bytes: u64,
        powers: Option<(&wgpu::ComputePipeline, u64)>,
    ) -> Slot {
        let dev = &ctx.device;
        let buf = |label: &str, size: u64, usage: wgpu::BufferUsages| {
            dev.create_buffer(&wgpu::BufferDescriptor { label: Some(label), size, usage, mapped_at_creation: false })
        };
        use wgpu::BufferUsages as U;
        let points = buf("points", points_bytes, U::STORAGE | U::COPY_DST | U::COPY_SRC);
        let staging = buf("staging", points_bytes, U::MAP_READ | U::COPY_DST);
        let params = buf("params", params_bytes, U::UNIFORM | U::COPY_DST);
        let scalars = (scalar_bytes > 0).then(|| buf("scalars", scalar_bytes, U::STORAGE | U::COPY_DST));
        let mut entries = vec![
            wgpu::BindGroupEntry { binding: 0, resource: points.as_entire_binding() },
            wgpu::BindGroupEntry { binding: 1, resource: params.as_entire_binding() },
        ];
        if let Some(s) = &scalars {
            entries.push(wgpu::BindGroupEntry { binding: 2, resource: s.as_entire_binding() });
        }
        let bind_group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("chunk"),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        let powers = match (powers, &scalars) {
            (Some((pp, bytes)), Some(sc)) => {
                let params = buf("powers params", bytes, U::UNIFORM | U::COPY_DST);
                let bind_group = dev.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("powers"),
                    layout: &pp.get_bind_group_layout(0),
                    entries: &[
                        wgpu::BindGroupEntry { binding: 0, resource: sc.as_entire_binding() },
                        wgpu::BindGroupEntry { binding: 1, resource: params.as_entire_binding() },
                    ],
                });
                Some(PowersSlot { params, bind_group })
            }
            _ => None,
        };
        Slot { points, staging, params, scalars, bind_group, powers }
    }
}

/// A submitted chunk whose results are still on the device.
pub(crate) struct Pending {
    /// The submission that computes it.
    pub index: wgpu::SubmissionIndex,
    /// Resolves when the staging buffer is mapped.
    pub mapped: mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>,
    /// Bytes of results in the staging buffer.
    pub len: u64,
}

/// Asks for `slot.staging[..len]` to be mapped once `index` has run.
pub(crate) fn request_readback(slot: &Slot, index: wgpu::SubmissionIndex, len: u64) -> Pending {
    let (tx, rx) = mpsc::channel();
    slot.staging.slice(..len).map_async(wgpu::MapMode::Read, move |r| {
        let _ = tx.send(r);
    });
    Pending { index, mapped: rx, len }
}

/// Waits for `p` and copies its results into `out` (exactly `p.len` bytes).
pub(crate) fn finish_readback(ctx: &GpuContext, slot: &Slot, p: Pending, out: &mut [u8]) -> Result<(), String> {
    ctx.device
        .poll(wgpu::PollType::Wait { submission_index: Some(p.index), timeout: None })
        .map_err(|e| format!("waiting for the GPU: {e}"))?;
    match p.mapped.recv() {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(format!("mapping the results: {e}")),
        Err(_) => return Err("mapping the results: the device dropped the request".into()),
    }
    let r = match slot.staging.slice(..p.len).get_mapped_range() {
        Ok(view) if view.len() == out.len() => {
            out.copy_from_slice(&view);
            Ok(())
        }
        Ok(view) => Err(format!("mapped {} bytes, expected {}", view.len(), out.len())),
        Err(e) => Err(format!("reading the results: {e}")),
    };
    slot.staging.unmap();
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_respects_limits_and_forcing() {
        let mut l = wgpu::Limits {
            max_storage_buffer_binding_size: 128 << 20,
            max_buffer_size: 256 << 20,
            ..Default::default()
        };
        assert_eq!(chunk_points(&l, &[64], None), DEFAULT_CHUNK_POINTS);
        assert_eq!(chunk_points(&l, &[64], Some(100)), 100);
        assert_eq!(chunk_points(&l, &[128, 36], Some(0)), 1);
        l.max_storage_buffer_binding_size = 1 << 20;
        assert_eq!(chunk_points(&l, &[128, 36], None), (1 << 20) / 128);
        l.max_buffer_size = 1 << 16;
        assert_eq!(chunk_points(&l, &[64], None), 1 << 10);
        l.max_buffer_size = 1;
        assert_eq!(chunk_points(&l, &[64], None), 1);
    }

    #[test]
    fn ranges_cover_everything_once() {
        let r: Vec<_> = ranges(10, 4).collect();
        assert_eq!(r, vec![0..4, 4..8, 8..10]);
        assert_eq!(ranges(0, 4).count(), 0);
        assert_eq!(ranges(3, 0).count(), 3);
    }

    #[test]
    fn grid_fits_dimension_limit() {
        assert_eq!(grid(5, 65535), (5, 1));
        assert_eq!(grid(65536, 65535), (65535, 2));
        assert_eq!(grid(0, 65535), (1, 1));
    }
}

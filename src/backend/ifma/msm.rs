//! Multi-scalar multiplication on the vector lanes: Pippenger with signed window digits.
//!
//! The windows (each also split by points when there are fewer windows than threads) are
//! shared out among threads as tasks. Each thread adds its points into its tasks' buckets as
//! batched affine additions, eight per vector, one shared inversion per round of up to
//! [`ROUND`] additions into distinct buckets, and then sums its buckets the same way: short
//! segments of buckets run their running sums side by side. Additions the affine formula
//! cannot take (equal or opposite points, or a lane of a running sum meeting one) go to
//! arkworks, so any input points give the exact sum.

// Limb and lane loops index several arrays in step.
#![allow(clippy::needless_range_loop)]

use std::arch::x86_64::*;

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

use super::engine::VecCurve;
use super::fq::Ctx;
use super::lanes::{Lanes, LANES};
use crate::backend::scalar_each::signed_digits;

/// Additions per round (one shared inversion).
const ROUND: usize = 2048;
/// Buckets per segment of the bucket sums, at most.
const SEGMENT: usize = 64;

/// The natural window width for `n` points.
fn window(n: usize) -> usize {
    (n.max(2).ilog2() as usize).saturating_sub(3).clamp(4, 16)
}

/// Window width and count for `n` scalars of at most `bits` bits: about [`window`]`(n)` wide,
/// the width evened out so the top window is not nearly empty, and no carry window (signed
/// digits of a value below 2^(c·w − 1) fit in w windows).
fn widths(n: usize, bits: usize) -> (usize, usize) {
    let w = (bits + 1).div_ceil(window(n));
    ((bits + 1).div_ceil(w).max(2), w)
}

/// Affine points, one record per point: x, then y, `L::WORDS` words each.
struct Table {
    words: Vec<u64>,
    stride: usize,
}

impl Table {
    fn new<L: Lanes>(len: usize) -> Table {
        Table { words: vec![0u64; len.max(1) * 2 * L::WORDS], stride: 2 * L::WORDS }
    }

    /// The offsets of records `idx`.
    #[target_feature(enable = "avx512f")]
    fn at(&self, idx: &[usize; LANES]) -> __m512i {
        index(&idx.map(|i| (i * self.stride) as i64))
    }

    /// The x and y coordinates of records at offsets `at`.
    #[target_feature(enable = "avx512f")]
    unsafe fn get<L: Lanes>(&self, at: __m512i) -> (L, L) {
        (L::gather(&self.words, at), L::gather(&self.words[L::WORDS..], at))
    }

    /// Writes the lanes set in `m` to records at offsets `at` (distinct).
    #[target_feature(enable = "avx512f")]
    unsafe fn put<L: Lanes>(&mut self, m: __mmask8, at: __m512i, x: &L, y: &L) {
        L::scatter(&mut self.words, m, at, x);
        L::scatter(&mut self.words[L::WORDS..], m, at, y);
    }
}

/// The index vector of lanes `idx`.
#[inline]
#[target_feature(enable = "avx512f")]
fn index(idx: &[i64; LANES]) -> __m512i {
    // SAFETY: eight i64, the 64 bytes one unaligned load reads.
    unsafe { _mm512_loadu_si512(idx.as_ptr().cast()) }
}

/// A point index and its signed bucket: bucket |b| − 1, the negated point when b < 0.
type Pair = (u32, i32);

/// One window's digits over the points `lo..hi`, with `k` copies of its `m` buckets (the
/// copies keep rounds full when a window has few buckets); its buckets start at `base` in its
/// thread's table.
#[derive(Clone)]
struct Task {
    w: usize,
    lo: usize,
    hi: usize,
    m: usize,
    k: usize,
    base: usize,
    pairs: usize,
}

/// A thread's buckets: affine, `full[b]` false while bucket b is still the identity; `spill`
/// the additions left to arkworks, as (bucket, signed point).
struct Buckets<C: VecCurve> {
    table: Table,
    full: Vec<bool>,
    spill: Vec<(usize, Affine<C>)>,
}

/// Adds each listed (point, signed bucket) pair into its bucket, in rounds of distinct
/// buckets. When the pairs left can no longer fill a useful round, they are spilled.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn accumulate<C: VecCurve>(c: &Ctx, bases: &[Affine<C>], pts: &Table, bk: &mut Buckets<C>, pairs: &[Pair]) {
    let nb = bk.full.len();
    let cap = ROUND.min(nb / 2).max(LANES);
    let mut in_round = vec![false; nb];
    let mut round: Vec<Pair> = Vec::with_capacity(cap);
    let (mut retry, mut next_retry): (Vec<Pair>, Vec<Pair>) = (Vec::new(), Vec::new());
    let mut pos = 0;
    let one = C::L::one(c);
    let words = C::L::WORDS;
    let stride = pts.stride;
    let (mut dens, mut scratch, mut vals) = (Vec::new(), Vec::new(), Vec::new());
    let signed = |(i, d): Pair| {
        let p = bases[i as usize];
        (d.unsigned_abs() as usize - 1, if d < 0 { -p } else { p })
    };
    loop {
        round.clear();
        next_retry.clear();
        // Pairs that met a busy bucket go first, then fresh ones until the round is full.
        let mut take = |(i, d): Pair, round: &mut Vec<Pair>, next_retry: &mut Vec<Pair>| {
            let b = d.unsigned_abs() as usize - 1;
            if !bk.full[b] {
                // An empty bucket takes the point as it is.
                let (src, dst) = (i as usize * stride, b * stride);
                bk.table.words[dst..dst + words].copy_from_slice(&pts.words[src..src + words]);
                if d > 0 {
                    bk.table.words[dst + words..dst + stride].copy_from_slice(&pts.words[src + words..src + stride]);
                } else {
                    let y = C::L::gather(&pts.words[words..], index(&[src as i64; LANES]));
                    C::L::scatter(&mut bk.table.words[words..], 1, index(&[dst as i64; LANES]), &C::L::neg(c, &y));
                }
                bk.full[b] = true;
            } else if in_round[b] || round.len() == cap {
                next_retry.push((i, d));
            } else {
                in_round[b] = true;
                round.push((i, d));
                // The bucket is read when the round is full: fetch it meanwhile.
                let rec = bk.table.words.as_ptr().wrapping_add(b * stride).cast::<i8>();
                for line in (0..stride * 8).step_by(64) {
                    _mm_prefetch::<_MM_HINT_T0>(rec.wrapping_add(line));
                }
            }
        };
        for &p in &retry {
            take(p, &mut round, &mut next_retry);
        }
        while round.len() < cap && pos < pairs.len() {
            take(pairs[pos], &mut round, &mut next_retry);
            pos += 1;
        }
        std::mem::swap(&mut retry, &mut next_retry);
        if pos == pairs.len() && round.len() < cap / 8 {
            bk.spill.extend(round.iter().chain(&retry).map(|&p| signed(p)));
            return;
        }
        // Gather, form the denominators, invert them together.
        dens.clear();
        vals.clear();
        for chunk in round.chunks(LANES) {
            let valid: __mmask8 = ((1u16 << chunk.len()) - 1) as __mmask8;
            let lane = |l: usize| chunk.get(l).unwrap_or(&chunk[0]);
            let bi = bk.table.at(&std::array::from_fn(|l| lane(l).1.unsigned_abs() as usize - 1));
            let pi = pts.at(&std::array::from_fn(|l| lane(l).0 as usize));
            let neg: __mmask8 = (0..chunk.len()).filter(|&l| chunk[l].1 < 0).fold(0, |m, l| m | 1 << l);
            let (bx, by) = bk.table.get::<C::L>(bi);
            let (qx, mut qy) = pts.get::<C::L>(pi);
            qy = C::L::select(neg, &qy, &C::L::neg(c, &qy));
            let den = C::L::sub(c, &qx, &bx);
            let zero = C::L::is_zero(c, &den) & valid;
            for l in 0..chunk.len() {
                if zero >> l & 1 == 1 {
                    // Equal or opposite points: arkworks' complete formulas.
                    bk.spill.push(signed(chunk[l]));
                }
            }
            let ok = valid & !zero;
            dens.push(C::L::select(ok, &one, &den));
            vals.push((bx, by, qx, qy, bi, ok));
        }
        if super::engine::batch_invert(c, &mut dens, &mut scratch) {
            for ((bx, by, qx, qy, bi, ok), inv) in vals.iter().zip(&dens) {
                let (x3, y3) = super::engine::add_point(c, bx, by, qx, qy, inv);
                bk.table.put(*ok, *bi, &x3, &y3);
            }
        } else {
            // Cannot happen (every denominator is non-zero by construction); stay exact anyway.
            for (chunk, v) in round.chunks(LANES).zip(&vals) {
                bk.spill.extend((0..chunk.len()).filter(|&l| v.5 >> l & 1 == 1).map(|l| signed(chunk[l])));
            }
        }
        for &(_, d) in &round {
            in_round[d.unsigned_abs() as usize - 1] = false;
        }
        if pos == pairs.len() && retry.is_empty() {
            return;
        }
    }
}

/// Buckets `slots` (fewer than eight: the rest padded) as arkworks points.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn read<C: VecCurve>(c: &Ctx, bk: &Buckets<C>, slots: &[usize]) -> Vec<Affine<C>> {
    let at = bk.table.at(&std::array::from_fn(|l| slots[l.min(slots.len() - 1)]));
    let (x, y) = bk.table.get::<C::L>(at);
    let (xs, ys) = (C::L::store(c, &x), C::L::store(c, &y));
    (0..slots.len())
        .map(|l| if bk.full[slots[l]] { Affine::new_unchecked(xs[l], ys[l]) } else { Affine::identity() })
        .collect()
}

/// Adds the spilled points into their buckets (arkworks sums, written back affine).
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn fold_spill<C: VecCurve>(c: &Ctx, bk: &mut Buckets<C>) {
    if bk.spill.is_empty() {
        return;
    }
    let mut spill = std::mem::take(&mut bk.spill);
    spill.sort_unstable_by_key(|s| s.0);
    let mut slots: Vec<usize> = spill.iter().map(|s| s.0).collect();
    slots.dedup();
    let mut sums: Vec<Projective<C>> = Vec::with_capacity(slots.len());
    for chunk in slots.chunks(LANES) {
        sums.extend(read(c, bk, chunk).iter().map(|p| p.into_group()));
    }
    let mut at = 0;
    for (slot, p) in spill {
        while slots[at] != slot {
            at += 1;
        }
        sums[at] += p;
    }
    let sums = Projective::<C>::normalize_batch(&sums);
    for (s, p) in slots.chunks(LANES).zip(sums.chunks(LANES)) {
        let lane = |l: usize| l.min(s.len() - 1);
        let at = bk.table.at(&std::array::from_fn(|l| s[lane(l)]));
        let x = C::L::load(c, &std::array::from_fn(|l| p[lane(l)].x));
        let y = C::L::load(c, &std::array::from_fn(|l| p[lane(l)].y));
        bk.table.put(((1u16 << s.len()) - 1) as __mmask8, at, &x, &y);
        for (slot, p) in s.iter().zip(p) {
            bk.full[*slot] = !p.is_zero();
        }
    }
}

/// A run of buckets `start..start + len` of window `w`; bucket `start + j` weighs `off + j + 1`.
#[derive(Clone, Copy)]
struct Segment {
    start: usize,
    len: usize,
    w: usize,
    off: usize,
}

/// Points, eight lanes per vector.
struct Points8<L> {
    x: Vec<L>,
    y: Vec<L>,
}

/// The space a batch inversion works in, reused across steps.
struct Scratch<L> {
    dens: Vec<L>,
    pre: Vec<L>,
    ok: Vec<__mmask8>,
}

/// `acc ← acc + q` in the lanes of `add`, `acc ← q` in those of `copy`, for every vector at
/// once; lanes of `add` where acc and q share their x are left alone and returned in `bad`.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn add_or_copy<L: Lanes>(
    c: &Ctx,
    acc: &mut Points8<L>,
    q: &[(L, L)],
    add: &[__mmask8],
    copy: &[__mmask8],
    bad: &mut [__mmask8],
    s: &mut Scratch<L>,
) {
    let one = L::one(c);
    s.dens.clear();
    s.ok.clear();
    s.ok.extend_from_slice(add);
    let ok = &mut s.ok;
    for v in 0..acc.x.len() {
        if add[v] != 0 {
            let den = L::sub(c, &q[v].0, &acc.x[v]);
            let zero = L::is_zero(c, &den) & add[v];
            bad[v] |= zero;
            ok[v] &= !zero;
            s.dens.push(L::select(ok[v], &one, &den));
        }
    }
    if !s.dens.is_empty() && !super::engine::batch_invert(c, &mut s.dens, &mut s.pre) {
        // Cannot happen (zero denominators were replaced); stay exact anyway.
        for v in 0..acc.x.len() {
            bad[v] |= ok[v];
            ok[v] = 0;
        }
    }
    let mut inv = s.dens.iter();
    for v in 0..acc.x.len() {
        if add[v] != 0 {
            let i = inv.next().expect("one denominator per adding vector");
            if ok[v] != 0 {
                let (x3, y3) = super::engine::add_point(c, &acc.x[v], &acc.y[v], &q[v].0, &q[v].1, i);
                acc.x[v] = L::select(ok[v], &acc.x[v], &x3);
                acc.y[v] = L::select(ok[v], &acc.y[v], &y3);
            }
        }
        if copy[v] != 0 {
            acc.x[v] = L::select(copy[v], &acc.x[v], &q[v].0);
            acc.y[v] = L::select(copy[v], &acc.y[v], &q[v].1);
        }
    }
}

/// Σ (off + j + 1)·bucket and Σ bucket over each segment, as arkworks points: running sums
/// side by side, r = Σ buckets so far (top bucket first) and s = Σ r so far.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn segment_sums<C: VecCurve>(c: &Ctx, bk: &Buckets<C>, segs: &[Segment]) -> Vec<(Projective<C>, Projective<C>)> {
    let vecs = segs.len().div_ceil(LANES);
    let steps = segs.iter().map(|s| s.len).max().unwrap_or(0);
    // Any value fills the lanes that take no part.
    let filler = C::L::one(c);
    let mut r = Points8 { x: vec![filler; vecs], y: vec![filler; vecs] };
    let mut s = Points8 { x: vec![filler; vecs], y: vec![filler; vecs] };
    // Lanes with r (s) no longer the identity; lanes that met an exceptional addition (their
    // segments are recomputed by arkworks).
    let (mut rfull, mut sfull, mut bad) = (vec![0u8; vecs], vec![0u8; vecs], vec![0u8; vecs]);
    let mut scratch =
        Scratch { dens: Vec::with_capacity(vecs), pre: Vec::with_capacity(vecs), ok: Vec::with_capacity(vecs) };
    let mut q = Vec::with_capacity(vecs);
    let (mut add, mut copy, mut live) = (vec![0u8; vecs], vec![0u8; vecs], vec![0u8; vecs]);
    for j in 0..steps {
        // r += bucket, where the bucket is not the identity.
        q.clear();
        for v in 0..vecs {
            let mut slot = [0usize; LANES];
            let mut take: __mmask8 = 0;
            live[v] = 0;
            for l in 0..LANES {
                if let Some(s) = segs.get(v * LANES + l) {
                    if j < s.len {
                        live[v] |= 1 << l;
                        slot[l] = s.start + s.len - 1 - j;
                        take |= (bk.full[slot[l]] as u8) << l;
                    }
                }
            }
            live[v] &= !bad[v];
            take &= live[v];
            q.push(if take != 0 { bk.table.get::<C::L>(bk.table.at(&slot)) } else { (filler, filler) });
            add[v] = take & rfull[v];
            copy[v] = take & !rfull[v];
            rfull[v] |= copy[v];
        }
        add_or_copy(c, &mut r, &q, &add, &copy, &mut bad, &mut scratch);
        // s += r, where r is not the identity.
        q.clear();
        for v in 0..vecs {
            let take = live[v] & rfull[v] & !bad[v];
            q.push((r.x[v], r.y[v]));
            add[v] = take & sfull[v];
            copy[v] = take & !sfull[v];
            sfull[v] |= copy[v];
        }
        add_or_copy(c, &mut s, &q, &add, &copy, &mut bad, &mut scratch);
    }
    let mut out = Vec::with_capacity(segs.len());
    for v in 0..vecs {
        let (rx, ry) = (C::L::store(c, &r.x[v]), C::L::store(c, &r.y[v]));
        let (sx, sy) = (C::L::store(c, &s.x[v]), C::L::store(c, &s.y[v]));
        for l in 0..LANES.min(segs.len() - v * LANES) {
            let point = |full: __mmask8, x, y| {
                if full >> l & 1 == 1 {
                    Affine::<C>::new_unchecked(x, y).into_group()
                } else {
                    Projective::<C>::zero()
                }
            };
            if bad[v] >> l & 1 == 1 {
                out.push(exact_segment(c, bk, &segs[v * LANES + l]));
            } else {
                out.push((point(sfull[v], sx[l], sy[l]), point(rfull[v], rx[l], ry[l])));
            }
        }
    }
    out
}

/// One segment's (Σ (j + 1)·bucket, Σ bucket) by arkworks.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn exact_segment<C: VecCurve>(c: &Ctx, bk: &Buckets<C>, s: &Segment) -> (Projective<C>, Projective<C>) {
    let slots: Vec<usize> = (s.start..s.start + s.len).collect();
    let (mut r, mut sum) = (Projective::<C>::zero(), Projective::<C>::zero());
    for chunk in slots.chunks(LANES).rev() {
        for p in read(c, bk, chunk).iter().rev() {
            r += p;
            sum += r;
        }
    }
    (sum, r)
}

/// Σ (b + 1)·bucket_b over each of a thread's tasks, per window: (window, sum) pairs.
#[target_feature(enable = "avx512f,avx512ifma")]
unsafe fn reduce<C: VecCurve>(c: &Ctx, bk: &Buckets<C>, tasks: &[Task]) -> Vec<(usize, Projective<C>)> {
    // Segments short enough that a few hundred of them run side by side.
    let slots: usize = tasks.iter().map(|t| t.m * t.k).sum();
    let seg = (slots / 256).clamp(8, SEGMENT).next_power_of_two();
    let mut segs = Vec::new();
    for t in tasks {
        let len = t.m.min(seg);
        for r in 0..t.k {
            for o in (0..t.m).step_by(len) {
                segs.push(Segment { start: t.base + r * t.m + o, len, w: t.w, off: o });
            }
        }
    }
    let sums = segment_sums(c, bk, &segs);
    // Window total: Σ s + Σ off·r, the second as len·Σ_i i·(Σ r of segments at offset i·len).
    let mut out: Vec<(usize, Projective<C>)> = Vec::new();
    let mut windows: Vec<usize> = tasks.iter().map(|t| t.w).collect();
    windows.dedup();
    for w in windows {
        let mut total = Projective::<C>::zero();
        let mut by_off: Vec<Projective<C>> = Vec::new();
        let mut len = 1;
        for (s, (sum, r)) in segs.iter().zip(&sums).filter(|(s, _)| s.w == w) {
            total += sum;
            len = s.len;
            let i = s.off / s.len;
            if by_off.len() <= i {
                by_off.resize(i + 1, Projective::<C>::zero());
            }
            by_off[i] += r;
        }
        let (mut run, mut acc) = (Projective::<C>::zero(), Projective::<C>::zero());
        for r in by_off.iter().skip(1).rev() {
            run += r;
            acc += run;
        }
        for _ in 0..len.trailing_zeros() {
            acc.double_in_place();
        }
        out.push((w, total + acc));
    }
    out
}

/// Σ scalars_i·bases_i.
#[target_feature(enable = "avx512f,avx512ifma")]
pub unsafe fn msm<C: VecCurve>(bases: &[Affine<C>], scalars: &[Fr]) -> Projective<C> {
    let n = bases.len().min(scalars.len());
    let ints: Vec<_> = scalars[..n].par_iter().map(|s| s.into_bigint()).collect();
    let bits = ints.par_iter().map(|k| k.num_bits() as usize).max().unwrap_or(0);
    if bits == 0 {
        return Projective::<C>::zero();
    }
    let (c, windows) = widths(n, bits);
    // The points as records, converted once, blocks of them in parallel.
    const BLOCK: usize = 1024;
    let mut pts = Table::new::<C::L>(n);
    let stride = pts.stride;
    pts.words.par_chunks_mut(BLOCK * stride).zip(bases[..n].par_chunks(BLOCK)).for_each(|(words, block)| {
        let ctx = Ctx::new();
        for start in (0..block.len()).step_by(LANES) {
            let lanes = LANES.min(block.len() - start);
            let p: [&Affine<C>; LANES] = std::array::from_fn(|l| &block[start + l.min(lanes - 1)]);
            let at = index(&std::array::from_fn(|l| ((start + l.min(lanes - 1)) * stride) as i64));
            let (x, y) = (C::L::load(&ctx, &p.map(|p| p.x)), C::L::load(&ctx, &p.map(|p| p.y)));
            let m = ((1u16 << lanes) - 1) as __mmask8;
            C::L::scatter(words, m, at, &x);
            C::L::scatter(&mut words[C::L::WORDS..], m, at, &y);
        }
    });
    // Digit w of scalar i at i·windows + w; the identity's digits are never used.
    let digits: Vec<i32> = ints.par_iter().flat_map_iter(|k| signed_digits(k.as_ref(), c, windows)).collect();
    let live: Vec<usize> = (0..n).filter(|&i| !bases[i].is_zero()).collect();
    let threads = rayon::current_num_threads().max(1);
    let parts = threads.div_ceil(windows);
    let tasks: Vec<Task> = (0..windows)
        .into_par_iter()
        .flat_map_iter(|w| {
            let most = live.iter().map(|&i| digits[i * windows + w].unsigned_abs() as usize).max().unwrap_or(0);
            let live = &live;
            let digits = &digits;
            (0..parts).filter_map(move |p| {
                let (lo, hi) = (n * p / parts, n * (p + 1) / parts);
                let pairs = live.iter().filter(|&&i| (lo..hi).contains(&i) && digits[i * windows + w] != 0).count();
                let m = most.next_power_of_two();
                let k = ((1usize << (window(hi - lo) - 1)) / m).min(pairs / 32).max(1);
                (pairs > 0).then_some(Task { w, lo, hi, m, k, base: 0, pairs })
            })
        })
        .collect();
    // Contiguous runs of tasks with about equal numbers of additions, one per thread.
    let all: usize = tasks.iter().map(|t| t.pairs).sum();
    let mut groups: Vec<Vec<Task>> = vec![Vec::new()];
    let mut done = 0;
    for t in tasks {
        if done * threads >= all * groups.len() && !groups.last().expect("one group").is_empty() {
            groups.push(Vec::new());
        }
        done += t.pairs;
        groups.last_mut().expect("one group").push(t);
    }
    let sums: Vec<(usize, Projective<C>)> = groups
        .into_par_iter()
        .flat_map_iter(|mut group| {
            let mut slots = 0;
            for t in group.iter_mut() {
                t.base = slots;
                slots += t.m * t.k;
            }
            let mut pairs: Vec<Pair> = Vec::with_capacity(group.iter().map(|t| t.pairs).sum());
            for &i in &live {
                for t in group.iter().filter(|t| (t.lo..t.hi).contains(&i)) {
                    let d = digits[i * windows + t.w];
                    if d != 0 {
                        let b = (t.base + (i % t.k) * t.m) as i32 + d.abs();
                        pairs.push((i as u32, if d < 0 { -b } else { b }));
                    }
                }
            }
            let ctx = Ctx::new();
            let mut bk = Buckets { table: Table::new::<C::L>(slots), full: vec![false; slots], spill: Vec::new() };
            accumulate::<C>(&ctx, bases, &pts, &mut bk, &pairs);
            fold_spill(&ctx, &mut bk);
            reduce(&ctx, &bk, &group)
        })
        .collect();
    let mut per_window = vec![Projective::<C>::zero(); windows];
    for (w, s) in sums {
        per_window[w] += s;
    }
    let mut total = Projective::<C>::zero();
    for s in per_window.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += s;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G1Projective, G2Affine, G2Projective};
    use ark_ec::VariableBaseMSM;
    use ark_ff::UniformRand;
    use ark_std::rand::RngCore;

    #[test]
    fn digits_recompose() {
        let mut rng = ark_std::test_rng();
        for c in [4usize, 9, 13] {
            for k in [Fr::from(0u64), Fr::from(1u64), -Fr::from(1u64), Fr::rand(&mut rng), Fr::from(u64::MAX)] {
                let w = 254usize.div_ceil(c) + 1;
                let d = signed_digits(k.into_bigint().as_ref(), c, w);
                let mut back = Fr::from(0u64);
                for x in d.iter().rev() {
                    back *= Fr::from(1u64 << c);
                    back += if *x < 0 { -Fr::from(x.unsigned_abs() as u64) } else { Fr::from(*x as u64) };
                }
                assert_eq!(back, k, "c={c}");
                assert!(d.iter().all(|x| x.unsigned_abs() <= 1 << (c - 1)));
            }
        }
    }

    #[test]
    fn widths_leave_no_carry() {
        for n in [1usize, 7, 1 << 10, 1 << 16, 1 << 22] {
            for bits in [1usize, 2, 16, 63, 64, 128, 253, 254] {
                let (c, w) = widths(n, bits);
                assert!(c * w > bits && (2..=16).contains(&c), "n={n} bits={bits}: c={c} w={w}");
                // The top digit of 2^bits − 1 must not carry out of the last window.
                let top = ark_ff::BigInt::<4>::from(1u64) << bits as u32;
                let mut k = top;
                k.sub_with_borrow(&ark_ff::BigInt::from(1u64));
                let d = signed_digits(k.as_ref(), c, w + 1);
                assert_eq!(d[w], 0, "n={n} bits={bits}");
            }
            assert_eq!(widths(n, window(n) - 1).1, 1, "n={n}: one window");
        }
    }

    /// Whether this CPU runs the lanes (else the test says it has nothing to check).
    fn lanes_here() -> bool {
        let here = super::super::available();
        if !here {
            eprintln!("no avx512ifma on this CPU: the IFMA MSM test has nothing to check");
        }
        here
    }

    #[test]
    fn matches_arkworks_with_repeated_and_opposite_points() {
        if !lanes_here() {
            return;
        }
        let mut rng = ark_std::test_rng();
        for n in [1usize, 9, 300, 2000] {
            let mut pts: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            let mut ks: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            if n > 10 {
                // Equal points with equal scalars meet in every bucket; opposite ones cancel.
                pts[5] = pts[4];
                ks[5] = ks[4];
                pts[7] = -pts[6];
                ks[7] = ks[6];
                pts[8] = G1Affine::identity();
                ks[9] = Fr::from(0u64);
                for k in ks.iter_mut().skip(10).step_by(3) {
                    *k = Fr::from(rng.next_u64());
                }
            }
            let want = G1Projective::msm_unchecked(&pts, &ks);
            assert_eq!(unsafe { msm(&pts, &ks) }, want, "G1, {n} points");
        }
        let pts: Vec<G2Affine> = (0..500).map(|_| G2Affine::rand(&mut rng)).collect();
        let ks: Vec<Fr> = (0..500).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(unsafe { msm(&pts, &ks) }, G2Projective::msm_unchecked(&pts, &ks), "G2");
        let small: Vec<Fr> = (0..500).map(|i| Fr::from(i as u64 * 0x1234_5678_9abc)).collect();
        assert_eq!(unsafe { msm(&pts, &small) }, G2Projective::msm_unchecked(&pts, &small), "G2, 64-bit scalars");
    }

    #[test]
    fn matches_arkworks_on_degenerate_inputs() {
        if !lanes_here() {
            return;
        }
        let mut rng = ark_std::test_rng();
        let g = G1Affine::rand(&mut rng);
        // One point many times: buckets and running sums are all small multiples of it.
        let same = vec![g; 3000];
        let ks: Vec<Fr> = (0..3000).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(unsafe { msm(&same, &ks) }, G1Projective::msm_unchecked(&same, &ks), "one point");
        let bits: Vec<Fr> = (0..3000).map(|i| Fr::from((i % 2) as u64)).collect();
        assert_eq!(unsafe { msm(&same, &bits) }, g * Fr::from(1500u64), "0/1 scalars");
        // Consecutive multiples with 16-bit scalars: few buckets per window, copied.
        let mults = G1Projective::normalize_batch(&(1..=5000u64).map(|i| g * Fr::from(i)).collect::<Vec<_>>());
        let s16: Vec<Fr> = (0..5000).map(|_| Fr::from(rng.next_u32() & 0xffff)).collect();
        assert_eq!(unsafe { msm(&mults, &s16) }, G1Projective::msm_unchecked(&mults, &s16), "multiples");
        let minus: Vec<Fr> = (0..5000).map(|_| -Fr::from(1u64)).collect();
        assert_eq!(unsafe { msm(&mults, &minus) }, G1Projective::msm_unchecked(&mults, &minus), "r − 1");
        let g2 = G2Affine::rand(&mut rng);
        let same2 = vec![g2; 700];
        let ks2: Vec<Fr> = (0..700).map(|_| Fr::from(rng.next_u64())).collect();
        assert_eq!(unsafe { msm(&same2, &ks2) }, G2Projective::msm_unchecked(&same2, &ks2), "one G2 point");
    }
}

//! Point scaling on the GPU: the CPU-side encodings (the shared GLV/wNAF schedule of
//! `scale_fixed`, the per-point GLV halves of `scale_each`) and the chunked upload, dispatch and
//! readback loop, with two sets of buffers so that chunk k+1 is queued before chunk k is read back.

use ark_bn254::Fr;
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

use super::buffers::{chunk_points, finish_readback, grid, ranges, request_readback, Slot};
use super::context::{GpuContext, Kernel, WG_SIZE};
use super::Arith;
use crate::backend::Group;

/// wNAF width of the shared schedule (table of 8 odd multiples per base in the shader).
const WINDOW: usize = 5;
/// Signed 4-bit digits per GLV half in `scale_each` (128 bits and a final carry).
const EACH_DIGITS: usize = 33;
/// Signed 4-bit digits of an unsplit scalar in the plain layout (256 bits and a final carry).
const PLAIN_DIGITS: usize = 65;
/// u32 words per point of `scale_each`'s scalar buffer: 5 per GLV half (shaders/scale_each.wgsl).
pub(crate) const SCALAR_WORDS: usize = 10;
/// The most ops a program may have (the uniform block's capacity).
const MAX_OPS: usize = 512;
/// Bytes of the uniform block: n, the program length, 2 words of padding, then the program.
const PARAMS_BYTES: usize = 16 + 4 * MAX_OPS;

/// Op bits of shaders/ops.wgsl.
pub(crate) mod op {
    /// acc = 2·acc, first.
    pub const DBL: u32 = 1;
    /// acc = acc + q.
    pub const ADD: u32 = 2;
    /// q = φ(table entry).
    pub const ENDO: u32 = 4;
    /// q = −q (scale_fixed).
    pub const NEG: u32 = 8;
    /// q = the kernel's fixed addend (p2 in scale_fixed, P in scale_each).
    pub const SRC: u32 = 16;
    /// tbl[slot] = acc, after the addition.
    pub const STORE: u32 = 32;
    /// p2 = acc, after the addition (scale_fixed).
    pub const SETP2: u32 = 64;
    /// acc = identity, last.
    pub const RESET: u32 = 128;
    /// The table (scale_fixed) or window (scale_each) index field.
    pub fn idx(i: u32) -> u32 {
        (i & 127) << 8
    }
    /// The table slot field of STORE.
    pub fn slot(j: u32) -> u32 {
        (j & 31) << 16
    }
}

/// An op program (shaders/ops.wgsl), run identically by every invocation.
pub(crate) struct Program {
    ops: Vec<u32>,
}

impl Program {
    /// A program from raw op words (tests of the curve formulas' edge cases).
    pub(crate) fn from_ops(ops: Vec<u32>) -> Program {
        Program { ops }
    }
}

/// Splits k = ±k1 ± k2·λ (arkworks' GLV decomposition for the group's λ; `true` = plus) and
/// checks that the halves recombine.
fn glv_split<C: GLVConfig<ScalarField = Fr>>(k: Fr) -> Result<[(bool, Fr); 2], String> {
    let ((s1, k1), (s2, k2)) = C::scalar_decomposition(k);
    let signed = |s: bool, v: Fr| if s { v } else { -v };
    if signed(s1, k1) + signed(s2, k2) * C::LAMBDA != k {
        return Err("GLV decomposition does not recombine to the scalar".into());
    }
    Ok([(s1, k1), (s2, k2)])
}

/// `scale_fixed`'s program for `k` in `group`: build T = (P, 3P, …, 15P), then walk the signed
/// width-5 NAF digits of both GLV halves, most significant first, with the halves' signs folded
/// into the digits; k = 0 leaves the identity.
pub(crate) fn fixed_program(group: Group, k: Fr) -> Result<Program, String> {
    let [(s1, k1), (s2, k2)] = match group {
        Group::G1 => glv_split::<ark_bn254::g1::Config>(k)?,
        Group::G2 => glv_split::<ark_bn254::g2::Config>(k)?,
    };
    let naf = |v: Fr| v.into_bigint().find_wnaf(WINDOW).ok_or_else(|| "wNAF width out of range".to_string());
    let (d1, d2) = (naf(k1)?, naf(k2)?);
    // acc = P on entry: p2 = 2P, T[1] = P + 2P, T[j] = T[j-1] + 2P.
    let mut ops = vec![op::DBL | op::SETP2, op::ADD | op::idx(0) | op::STORE | op::slot(1)];
    for j in 2..8 {
        ops.push(op::ADD | op::SRC | op::STORE | op::slot(j));
    }
    if let Some(last) = ops.last_mut() {
        *last |= op::RESET;
    }
    let len = d1.len().max(d2.len());
    for (s, i) in (0..len).rev().enumerate() {
        let mut dbl = if s > 0 { op::DBL } else { 0 };
        for (digits, positive, endo) in [(&d1, s1, 0), (&d2, s2, op::ENDO)] {
            let d = digits.get(i).copied().unwrap_or(0);
            if d != 0 {
                let neg = if (d < 0) == positive { op::NEG } else { 0 };
                ops.push(dbl | op::ADD | endo | neg | op::idx((d.unsigned_abs() / 2) as u32));
                dbl = 0;
            }
        }
        if dbl != 0 {
            ops.push(op::DBL);
        }
    }
    if ops.len() > MAX_OPS {
        return Err(format!("GLV halves too long for one program ({len} digits)"));
    }
    Ok(Program { ops })
}

/// The ops that build `scale_each`'s table T = (O, P, 2P, …, 8P) from acc = P (T[j] = T[j−1] + P),
/// leaving acc = O.
fn table_ops() -> Vec<u32> {
    let mut ops: Vec<u32> = (2..=8).map(|j| op::ADD | op::SRC | op::STORE | op::slot(j)).collect();
    if let Some(last) = ops.last_mut() {
        *last |= op::RESET;
    }
    ops
}

/// `scale_each`'s program (the same for every call): build T = (O, P, 2P, …, 8P), then per signed
/// 4-bit digit position of both halves, most significant first: four doublings, add ±T[|d1|],
/// add ±φ(T[|d2|]).
pub(crate) fn each_program() -> Program {
    let mut ops = table_ops();
    let top = EACH_DIGITS as u32 - 1;
    for w in (0..=top).rev() {
        if w < top {
            ops.extend([op::DBL; 3]);
            ops.push(op::DBL | op::ADD | op::idx(w));
        } else {
            ops.push(op::ADD | op::idx(w));
        }
        ops.push(op::ADD | op::ENDO | op::idx(w));
    }
    Program { ops }
}

/// `scale_each`'s program for the plain layout of powers.wgsl (one unsplit scalar of 65 digits,
/// read through the first half's lookup): T = (O, P, …, 8P), then per digit position, most
/// significant first, four doublings and one addition of ±T[|d|].
pub(crate) fn plain_program() -> Program {
    let mut ops = table_ops();
    let top = PLAIN_DIGITS as u32 - 1;
    for w in (0..=top).rev() {
        if w < top {
            ops.extend([op::DBL; 3]);
            ops.push(op::DBL | op::ADD | op::idx(w));
        } else {
            ops.push(op::ADD | op::idx(w));
        }
    }
    Program { ops }
}

/// A GLV half's magnitude (< 2^128) as `scale_each` reads it: 33 signed 4-bit digits in [−8, 7]
/// (two's complement nibbles, least significant first).
fn half_words(v: Fr) -> Result<[u32; 5], String> {
    let l = v.into_bigint().0;
    if l[2] != 0 || l[3] != 0 {
        return Err("GLV half exceeds 128 bits".into());
    }
    let mag = (l[1] as u128) << 64 | l[0] as u128;
    let mut w = [0u32; 5];
    let mut carry = 0u32;
    for j in 0..EACH_DIGITS {
        let nib = if j < 32 { ((mag >> (4 * j)) & 15) as u32 } else { 0 } + carry;
        let (d, c) = if nib >= 8 { (nib as i32 - 16, 1) } else { (nib as i32, 0) };
        carry = c;
        w[j / 8] |= ((d as u32) & 15) << (4 * (j % 8));
    }
    Ok(w)
}

/// `scale_each`'s scalar buffer: per point the two recoded GLV halves (computed in parallel).
pub(crate) fn each_scalars(group: Group, scalars: &[Fr]) -> Result<Vec<u32>, String> {
    let enc = |k: &Fr| -> Result<[u32; SCALAR_WORDS], String> {
        let [(s1, k1), (s2, k2)] = match group {
            Group::G1 => glv_split::<ark_bn254::g1::Config>(*k)?,
            Group::G2 => glv_split::<ark_bn254::g2::Config>(*k)?,
        };
        let mut w = [0u32; SCALAR_WORDS];
        w[0..5].copy_from_slice(&half_words(k1)?);
        w[5..10].copy_from_slice(&half_words(k2)?);
        // The signs (set = negative) in the top bits of the last word, above k2's last digit.
        w[9] |= u32::from(!s1 && !k1.is_zero()) << 30 | u32::from(!s2 && !k2.is_zero()) << 31;
        Ok(w)
    };
    let enc: Vec<[u32; SCALAR_WORDS]> = scalars.par_iter().map(enc).collect::<Result<_, _>>()?;
    Ok(enc.into_iter().flatten().collect())
}

/// What a run computes.
pub(crate) enum Job<'a> {
    /// Every point times the scalar of this program ([`fixed_program`]).
    Fixed(&'a Program),
    /// Point i times the scalar encoded at `[i * SCALAR_WORDS..]` ([`each_scalars`]).
    Each(&'a [u32]),
    /// Point i times first·step^i, the scalars computed on the GPU (shaders/powers.wgsl).
    Powers {
        /// The scalar of point 0.
        first: Fr,
        /// The ratio of consecutive scalars.
        step: Fr,
    },
}

/// Bytes of powers.wgsl's uniform block: n, offset, 2 words, first and step (Montgomery limbs).
const POW_PARAMS_BYTES: usize = 16 + 2 * 32;

/// powers.wgsl's uniform block for the chunk of `len` scalars starting at exponent `offset`.
fn pow_params(len: usize, offset: usize, first: &Fr, step: &Fr) -> Result<[u32; POW_PARAMS_BYTES / 4], String> {
    let offset = u32::try_from(offset).map_err(|_| format!("exponent offset {offset} exceeds 32 bits"))?;
    let mut w = [0u32; POW_PARAMS_BYTES / 4];
    w[0] = len as u32;
    w[1] = offset;
    for (k, v) in [first, step].into_iter().enumerate() {
        for (j, l) in v.0 .0.iter().enumerate() {
            w[4 + 8 * k + 2 * j] = *l as u32;
            w[4 + 8 * k + 2 * j + 1] = (*l >> 32) as u32;
        }
    }
    Ok(w)
}

/// Runs `job` on the LEM points in `bytes` (a whole number of `group` points), in place, in chunks
/// of at most `forced` points (or what the limits allow).
pub(crate) fn run(
    ctx: &GpuContext,
    arith: Arith,
    group: Group,
    bytes: &mut [u8],
    job: Job,
    forced: Option<usize>,
) -> Result<(), String> {
    let size = group.point_size();
    let n = bytes.len() / size;
    if n == 0 {
        return Ok(());
    }
    let each;
    let (kernel, scalar_size, program) = match job {
        Job::Fixed(p) => (Kernel::ScaleFixed, 0, p),
        Job::Each(s) => {
            if s.len() != n * SCALAR_WORDS {
                return Err(format!("{} scalar words for {n} points", s.len()));
            }
            each = each_program();
            (Kernel::ScaleEach, SCALAR_WORDS * 4, &each)
        }
        Job::Powers { .. } => {
            each = plain_program();
            (Kernel::ScaleEach, SCALAR_WORDS * 4, &each)
        }
    };
    let pipeline = ctx.pipeline(kernel, group, arith)?;
    let powers = match job {
        Job::Powers { .. } => Some(ctx.pipeline(Kernel::Powers, Group::G1, arith)?),
        _ => None,
    };
    let chunk = chunk_points(&ctx.limits, &[size as u64, scalar_size as u64], forced).min(n);
    let nslots = if chunk < n { 2 } else { 1 };
    let max_dim = ctx.limits.max_compute_workgroups_per_dimension;
    ctx.scoped(|| {
        let slots: Vec<Slot> = (0..nslots)
            .map(|_| {
                Slot::new(
                    ctx,
                    &pipeline,
                    (chunk * size) as u64,
                    PARAMS_BYTES as u64,
                    (chunk * scalar_size) as u64,
                    powers.as_ref().map(|p| (p, POW_PARAMS_BYTES as u64)),
                )
            })
            .collect();
        let mut params = vec![0u32; PARAMS_BYTES / 4];
        if program.ops.len() > MAX_OPS {
            return Err(format!("program of {} ops exceeds {MAX_OPS}", program.ops.len()));
        }
        params[1] = program.ops.len() as u32;
        params[4..4 + program.ops.len()].copy_from_slice(&program.ops);
        let mut pending = None;
        for (k, r) in ranges(n, chunk).enumerate() {
            let slot = &slots[k % nslots];
            let len = r.len();
            ctx.queue.write_buffer(&slot.points, 0, &bytes[r.start * size..r.end * size]);
            params[0] = len as u32;
            ctx.queue.write_buffer(&slot.params, 0, bytemuck::cast_slice(&params));
            if let (Job::Each(s), Some(buf)) = (&job, &slot.scalars) {
                let words = &s[r.start * SCALAR_WORDS..r.end * SCALAR_WORDS];
                ctx.queue.write_buffer(buf, 0, bytemuck::cast_slice(words));
            }
            if let (Job::Powers { first, step }, Some(pw)) = (&job, &slot.powers) {
                ctx.queue.write_buffer(&pw.params, 0, bytemuck::cast_slice(&pow_params(len, r.start, first, step)?));
            }
            let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("scale") });
            {
                let mut pass =
                    enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes: None });
                if let (Some(pp), Some(pw)) = (&powers, &slot.powers) {
                    // The scalars first, into the buffer the scaling dispatch reads.
                    pass.set_pipeline(pp);
                    pass.set_bind_group(0, &pw.bind_group, &[]);
                    let (x, y) = grid((len as u32).div_ceil(WG_SIZE), max_dim);
                    pass.dispatch_workgroups(x, y, 1);
                }
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &slot.bind_group, &[]);
                let (x, y) = grid((len as u32).div_ceil(WG_SIZE), max_dim);
                pass.dispatch_workgroups(x, y, 1);
            }
            let out_len = (len * size) as u64;
            enc.copy_buffer_to_buffer(&slot.points, 0, &slot.staging, 0, out_len);
            let index = ctx.queue.submit([enc.finish()]);
            let p = request_readback(slot, index, out_len);
            // While chunk k runs, read back chunk k-1.
            if let Some((prev, rp)) = pending.replace((p, r)) {
                finish_readback(ctx, &slots[(k - 1) % nslots], prev, &mut bytes[rp.start * size..rp.end * size])?;
            }
        }
        if let Some((prev, rp)) = pending {
            let last = n.div_ceil(chunk) - 1;
            finish_readback(ctx, &slots[last % nslots], prev, &mut bytes[rp.start * size..rp.end * size])?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{AdditiveGroup, One, Zero};

    /// Runs a program on discrete logs: the point P is `p`, φ multiplies by λ; `digit(half, j)` is
    /// scale_each's signed digit lookup (sign of the half applied).
    fn replay(prog: &Program, lambda: Fr, p: Fr, digit: impl Fn(u32, u32) -> i32) -> Fr {
        let mut tbl = vec![Fr::zero(); 16];
        tbl[0] = p;
        let each = prog.ops.first().is_some_and(|o| o & op::SRC != 0);
        if each {
            tbl[0] = Fr::zero();
            tbl[1] = p;
        }
        let (mut acc, mut p2) = (p, p);
        for &o in &prog.ops {
            let idx = (o >> 8) & 127;
            if o & op::DBL != 0 {
                acc.double_in_place();
            }
            if o & op::ADD != 0 {
                let mut q = if each { p } else { p2 };
                if o & op::SRC == 0 {
                    let endo = o & op::ENDO != 0;
                    if each {
                        let d = digit(endo as u32, idx);
                        q = tbl[d.unsigned_abs() as usize];
                        if d < 0 {
                            q = -q;
                        }
                    } else {
                        q = tbl[idx as usize];
                    }
                    if endo {
                        q *= lambda;
                    }
                }
                if o & op::NEG != 0 {
                    q = -q;
                }
                acc += q;
            }
            if o & op::STORE != 0 {
                tbl[((o >> 16) & 31) as usize] = acc;
            }
            if o & op::SETP2 != 0 {
                p2 = acc;
            }
            if o & op::RESET != 0 {
                acc = Fr::zero();
            }
        }
        acc
    }

    fn lambda(group: Group) -> Fr {
        match group {
            Group::G1 => <ark_bn254::g1::Config as GLVConfig>::LAMBDA,
            Group::G2 => <ark_bn254::g2::Config as GLVConfig>::LAMBDA,
        }
    }

    fn scalars() -> Vec<Fr> {
        let mut rng = ark_std::test_rng();
        let mut ks = vec![Fr::zero(), Fr::one(), -Fr::one(), Fr::from(2u64), lambda(Group::G1), lambda(Group::G2)];
        ks.extend((0..50).map(|_| <Fr as ark_std::UniformRand>::rand(&mut rng)));
        ks
    }

    #[test]
    fn fixed_programs_compute_the_scalar() {
        for g in [Group::G1, Group::G2] {
            for k in scalars() {
                let prog = fixed_program(g, k).unwrap();
                assert!(prog.ops.len() <= 8 + 2 * 130);
                assert_eq!(replay(&prog, lambda(g), Fr::one(), |_, _| 0), k);
            }
        }
    }

    #[test]
    fn plain_program_computes_the_scalar() {
        let prog = plain_program();
        assert!(prog.ops.len() <= MAX_OPS);
        for k in scalars() {
            // The recoding powers.wgsl does, on the CPU: 64 nibbles and a carry, signed.
            let v = k.into_bigint().0;
            let mut ds = Vec::new();
            let mut carry = 0i32;
            for j in 0..PLAIN_DIGITS {
                let nib = if j < 64 { ((v[j / 16] >> (4 * (j % 16))) & 15) as i32 } else { 0 } + carry;
                carry = i32::from(nib >= 8);
                ds.push(if nib >= 8 { nib - 16 } else { nib });
            }
            let digit = |half: u32, j: u32| {
                assert_eq!(half, 0, "the plain program reads only the first half");
                ds[j as usize]
            };
            assert_eq!(replay(&prog, lambda(Group::G1), Fr::one(), digit), k);
        }
    }

    #[test]
    fn each_program_and_scalars_compute_the_scalar() {
        let prog = each_program();
        assert!(prog.ops.len() <= MAX_OPS);
        for g in [Group::G1, Group::G2] {
            let ks = scalars();
            let words = each_scalars(g, &ks).unwrap();
            for (k, w) in ks.iter().zip(words.chunks(SCALAR_WORDS)) {
                let digit = |half: u32, j: u32| {
                    let base = 5 * half as usize;
                    let d = (((w[base + (j as usize >> 3)] >> ((j & 7) * 4)) & 15) as i32) << 28 >> 28;
                    assert!((-8..8).contains(&d));
                    let neg = (w[9] >> (30 + half)) & 1 == 1;
                    if neg {
                        -d
                    } else {
                        d
                    }
                };
                assert_eq!(replay(&prog, lambda(g), Fr::one(), digit), *k);
            }
        }
    }
}

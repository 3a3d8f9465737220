// The scalars of `scale_powers` on the GPU: invocation i writes s_i = first·step^(offset + i)
// (the scalar field Fr: this module is built with Fr's constants in the prelude, so fp.wgsl's
// Montgomery arithmetic works modulo r) in the plain layout of scale_each.wgsl: the canonical
// value recoded into 65 signed 4-bit digits in [−8, 7], least significant first, eight per word
// (words 0..8), word 9 zero (both halves positive).

struct PowParams {
    // Scalars in this dispatch.
    n: u32,
    // Exponent of the first one.
    offset: u32,
    // Always 0: copied to ZERO (fp.wgsl).
    zero: u32,
    pad: u32,
    // Montgomery form (R = 2^256 mod r).
    first: Fp,
    step: Fp,
}

const SCALAR_WORDS: u32 = 10u;

@group(0) @binding(0) var<storage, read_write> scalars: array<u32>;
@group(0) @binding(1) var<uniform> pow_params: PowParams;

// Limb k (0..8) of a.
fn limb(a: Fp, k: u32) -> u32 {
    return select(a.hi[k & 3u], a.lo[k & 3u], k < 4u);
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    ZERO = pow_params.zero;
    let i = (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
    if i >= pow_params.n {
        return;
    }
    let e = pow_params.offset + i;
    // first·step^e, left to right over the 32 bits of e, then out of Montgomery form; one copy
    // of fp_mul: step 2j (j < 32) squares, step 2j+1 multiplies by `step` when bit 31−j of e is
    // set, step 64 multiplies by `first`, step 65 by the plain 1 (r·1·R^-1 = the canonical value).
    let raw_one = Fp(vec4<u32>(1u, 0u, 0u, 0u), vec4<u32>(0u));
    var r = FP_ONE;
    for (var s = ZERO; s < 66u; s++) {
        let odd = (s & 1u) == 1u;
        let bit = 31u - ((s >> 1u) & 31u);
        let tail = s >= 64u;
        if tail || !odd || ((e >> bit) & 1u) == 1u {
            let b = fp_select(fp_select(r, pow_params.step, odd), fp_select(pow_params.first, raw_one, s == 65u), tail);
            r = fp_mul(r, b);
        }
    }
    let v = r;
    let base = i * SCALAR_WORDS;
    var carry = 0u;
    var word = 0u;
    for (var j = ZERO; j < 65u; j++) {
        let nib = select(0u, (limb(v, j >> 3u) >> ((j & 7u) * 4u)) & 15u, j < 64u) + carry;
        carry = select(0u, 1u, nib >= 8u);
        // nib − 16 when nib ≥ 8, as a 4-bit two's complement nibble: the same low 4 bits.
        word |= (nib & 15u) << ((j & 7u) * 4u);
        if (j & 7u) == 7u || j == 64u {
            scalars[base + (j >> 3u)] = word;
            word = 0u;
        }
    }
    scalars[base + 9u] = 0u;
}

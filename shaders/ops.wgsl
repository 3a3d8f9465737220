// The op program shared by the scaling kernels. The CPU sends one program per call, identical for
// every invocation, so every branch on an op is uniform; one loop runs it, with a single call
// site each of pt_add, pt_dbl and pt_endo (which keeps the shader small: the compiler inlines
// every call).
//
// Op word:
//   bit 0  OP_DBL    acc = 2·acc, first
//   bit 1  OP_ADD    acc = acc + q, with q chosen by the bits below
//   bit 2  OP_ENDO   q = φ(table entry)
//   bit 3  OP_NEG    q = −q (scale_fixed)
//   bit 4  OP_SRC    q = the kernel's fixed addend (table building) instead of a table entry
//   bit 5  OP_STORE  tbl[slot] = acc, after the addition
//   bit 6  OP_SETP2  p2 = acc, after the addition (scale_fixed)
//   bit 7  OP_RESET  acc = identity, last
//   bits 8..14   idx: table index (scale_fixed) or digit position (scale_each)
//   bits 16..20  slot: table slot of OP_STORE

const OP_DBL: u32 = 1u;
const OP_ADD: u32 = 2u;
const OP_ENDO: u32 = 4u;
const OP_NEG: u32 = 8u;
const OP_SRC: u32 = 16u;
const OP_STORE: u32 = 32u;
const OP_SETP2: u32 = 64u;
const OP_RESET: u32 = 128u;

struct Params {
    // Points in this dispatch.
    n: u32,
    // Ops in the program.
    nops: u32,
    // Always 0: copied to ZERO (fp.wgsl) at kernel start.
    zero: u32,
    pad: u32,
    // Op s is ops[s / 4][s % 4].
    ops: array<vec4<u32>, 128>,
}

@group(0) @binding(0) var<storage, read_write> points: array<u32>;
@group(0) @binding(1) var<uniform> params: Params;

fn op_word(s: u32) -> u32 {
    return params.ops[s >> 2u][s & 3u];
}

fn op_idx(op: u32) -> u32 {
    return (op >> 8u) & 127u;
}

fn op_slot(op: u32) -> u32 {
    return (op >> 16u) & 31u;
}

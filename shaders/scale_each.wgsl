// Point i times its own scalar k_i = ±k1 ± k2·λ (GLV split on the CPU, |k1|, |k2| < 2^128), each
// magnitude recoded on the CPU into 33 signed 4-bit digits in [−8, 7].
// The program (ops.wgsl, the same for every call) builds T = (O, P, 2P, …, 8P), then walks the
// digit positions, most significant first: four doublings, then ±T[|d1|] and ±φ(T[|d2|]) are added
// unconditionally (T[0] is the identity, which the complete formulas absorb). Data-dependent work
// is limited to table indexing and selects.

// Scalar words per point: k1 in words 0..5, k2 in words 5..10. Digit j of a half (4 bits, two's
// complement) is in bits 4(j mod 8).. of word j/8 of the half; bits 30 and 31 of word 9 are the
// signs of k1 and k2 (set means negative).
// The plain layout (powers.wgsl, with the program of `plain_program` in scale.rs, which uses only
// the first half's digit lookup) is one unsplit scalar of 65 digits in words 0..8, word 9 zero.
const SCALAR_WORDS: u32 = 10u;

@group(0) @binding(2) var<storage, read> scalars: array<u32>;

// Signed digit `j` of the half at scalars[base..base + 5].
fn digit(base: u32, j: u32) -> i32 {
    let w = scalars[base + (j >> 3u)];
    return bitcast<i32>(w << (28u - (j & 7u) * 4u)) >> 28u;
}

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    ZERO = params.zero;
    let i = global_index(wid, nwg, lid);
    let live = i < params.n;
    let src = min(i, params.n - 1u);
    let sb = src * SCALAR_WORDS;
    let neg1 = ((scalars[sb + 9u] >> 30u) & 1u) == 1u;
    let neg2 = (scalars[sb + 9u] >> 31u) == 1u;
    let p = pt_load(src);
    var tbl: array<Point, 9>;
    tbl[0] = pt_identity();
    tbl[1] = p;
    var acc = p;
    for (var s = 0u; s < params.nops; s++) {
        let op = op_word(s);
        if (op & OP_DBL) != 0u {
            acc = pt_dbl(acc);
        }
        if (op & OP_ADD) != 0u {
            var q = p;
            if (op & OP_SRC) == 0u {
                let endo = (op & OP_ENDO) != 0u;
                let d = digit(sb + select(0u, 5u, endo), op_idx(op));
                q = tbl[u32(abs(d))];
                if endo {
                    q = pt_endo(q);
                }
                q = pt_cneg(q, (d < 0) != select(neg1, neg2, endo));
            }
            acc = pt_add(acc, q);
        }
        if (op & OP_STORE) != 0u {
            tbl[op_slot(op)] = acc;
        }
        if (op & OP_RESET) != 0u {
            acc = pt_identity();
        }
    }
    pt_store_affine(acc, i, lid, live);
}

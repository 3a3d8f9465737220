// Every point times one scalar k = ±k1 ± k2·λ (GLV split on the CPU). The program (ops.wgsl)
// first builds T = (P, 3P, …, 15P) (p2 = 2P is the addend), then walks the signed width-5 NAF
// digits of both halves, most significant first: per digit position one doubling, and an
// addition of ±T[|d1|/2] and/or ±φ(T[|d2|/2]), the halves' signs folded into the digits.

@compute @workgroup_size(WG_SIZE)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
    ZERO = params.zero;
    let i = global_index(wid, nwg, lid);
    let live = i < params.n;
    let p = pt_load(min(i, params.n - 1u));
    var tbl: array<Point, 8>;
    tbl[0] = p;
    var p2 = p;
    var acc = p;
    for (var s = 0u; s < params.nops; s++) {
        let op = op_word(s);
        if (op & OP_DBL) != 0u {
            acc = pt_dbl(acc);
        }
        if (op & OP_ADD) != 0u {
            var q = p2;
            if (op & OP_SRC) == 0u {
                q = tbl[op_idx(op)];
                if (op & OP_ENDO) != 0u {
                    q = pt_endo(q);
                }
            }
            acc = pt_add(acc, pt_cneg(q, (op & OP_NEG) != 0u));
        }
        if (op & OP_STORE) != 0u {
            tbl[op_slot(op)] = acc;
        }
        if (op & OP_SETP2) != 0u {
            p2 = acc;
        }
        if (op & OP_RESET) != 0u {
            acc = pt_identity();
        }
    }
    pt_store_affine(acc, i, lid, live);
}

// Short Weierstrass points with a = 0 over the field F bound by g1.wgsl or g2.wgsl, in homogeneous
// projective coordinates (x = X/Z, y = Y/Z) with the complete formulas of Renes–Costello–Batina
// 2016 (Algorithms 7 and 9): no special case for the identity, P + P or P + (−P) (complete for
// every pair of points of a prime-order subgroup). Independent multiplications are batched
// through one copy of f_mul (see fp.wgsl for why).
// Needs: `points` (the kernel's storage buffer), WG_SIZE (prelude).

struct Point {
    x: F,
    y: F,
    z: F,
}

// Two field elements (results of f_mul_b3_2).
struct FPair {
    a: F,
    b: F,
}

fn pt_identity() -> Point {
    return Point(f_zero(), f_one(), f_zero());
}

// Up to six field elements: operands and results of the batched products below.
struct Six {
    v0: F,
    v1: F,
    v2: F,
    v3: F,
    v4: F,
    v5: F,
}

// (a0·b0, a1·b1) with one copy of f_mul.
fn f_mul2(a0: F, b0: F, a1: F, b1: F) -> FPair {
    var r = FPair(a0, a1);
    for (var k = ZERO; k < 2u; k++) {
        let m = f_mul(f_select(a0, a1, k == 1u), f_select(b0, b1, k == 1u));
        r = FPair(f_select(r.a, m, k == 0u), f_select(r.b, m, k == 1u));
    }
    return r;
}

// The first `n` (≤ 6) products a.vk·b.vk with one copy of f_mul; the others are left as a.vk.
fn f_mul_n(a: Six, b: Six, n: u32) -> Six {
    var r = a;
    for (var k = ZERO; k < n; k++) {
        let lo = k < 2u;
        let mid = k < 4u;
        let odd = (k & 1u) == 1u;
        let x = f_select(f_select(f_select(a.v4, a.v5, odd), f_select(a.v2, a.v3, odd), mid), f_select(a.v0, a.v1, odd), lo);
        let y = f_select(f_select(f_select(b.v4, b.v5, odd), f_select(b.v2, b.v3, odd), mid), f_select(b.v0, b.v1, odd), lo);
        let m = f_mul(x, y);
        r = Six(f_select(r.v0, m, k == 0u), f_select(r.v1, m, k == 1u), f_select(r.v2, m, k == 2u),
                f_select(r.v3, m, k == 3u), f_select(r.v4, m, k == 4u), f_select(r.v5, m, k == 5u));
    }
    return r;
}

// RCB16 Algorithm 7 (a = 0): its 12 multiplications as two batches of 6 independent products.
fn pt_add(p: Point, q: Point) -> Point {
    let m = f_mul_n(Six(p.x, p.y, p.z, f_add(p.x, p.y), f_add(p.y, p.z), f_add(p.x, p.z)),
                    Six(q.x, q.y, q.z, f_add(q.x, q.y), f_add(q.y, q.z), f_add(q.x, q.z)), 6u);
    let t0 = m.v0;
    let t1 = m.v1;
    let t2 = m.v2;
    let t3 = f_sub(m.v3, f_add(t0, t1)); // X1·Y2 + X2·Y1
    let t4 = f_sub(m.v4, f_add(t1, t2)); // Y1·Z2 + Y2·Z1
    let y3 = f_sub(m.v5, f_add(t0, t2)); // X1·Z2 + X2·Z1
    let t0x3 = f_add(f_add(t0, t0), t0);
    let b = f_mul_b3_2(t2, y3);
    let z3 = f_add(t1, b.a);
    let t1m = f_sub(t1, b.a);
    let n = f_mul_n(Six(t4, t3, b.b, t1m, t0x3, z3), Six(b.b, t1m, t0x3, z3, t3, t4), 6u);
    return Point(f_sub(n.v1, n.v0), f_add(n.v3, n.v2), f_add(n.v5, n.v4));
}

// RCB16 Algorithm 9 (a = 0): its multiplications as two batches of 4 independent products.
fn pt_dbl(p: Point) -> Point {
    let z = f_zero();
    let m = f_mul_n(Six(p.y, p.y, p.z, p.x, z, z), Six(p.y, p.z, p.z, p.y, z, z), 4u);
    let t0 = m.v0;
    let t1 = m.v1;
    let xy = m.v3;
    let t2 = f_mul_b3(m.v2);
    let z3 = f_add(t0, t0);
    let z3b = f_add(z3, z3);
    let z3c = f_add(z3b, z3b); // 8·Y^2
    let y3 = f_add(t0, t2);
    let t0m = f_sub(t0, f_add(f_add(t2, t2), t2));
    let n = f_mul_n(Six(t2, t1, t0m, t0m, z, z), Six(z3c, z3c, y3, xy, z, z), 4u);
    return Point(f_add(n.v3, n.v3), f_add(n.v0, n.v2), n.v1);
}

// c ? −p : p (no branch).
fn pt_cneg(p: Point, c: bool) -> Point {
    return Point(p.x, f_cneg(p.y, c), p.z);
}

// The GLV endomorphism φ(X:Y:Z) = (βX:Y:Z).
fn pt_endo(p: Point) -> Point {
    return Point(f_endo(p.x), p.y, p.z);
}

// The Fp element at points[base..base + 8].
fn fp_load(base: u32) -> Fp {
    let lo = vec4<u32>(points[base], points[base + 1u], points[base + 2u], points[base + 3u]);
    let hi = vec4<u32>(points[base + 4u], points[base + 5u], points[base + 6u], points[base + 7u]);
    return Fp(lo, hi);
}

fn fp_store(base: u32, v: Fp) {
    points[base] = v.lo.x;
    points[base + 1u] = v.lo.y;
    points[base + 2u] = v.lo.z;
    points[base + 3u] = v.lo.w;
    points[base + 4u] = v.hi.x;
    points[base + 5u] = v.hi.y;
    points[base + 6u] = v.hi.z;
    points[base + 7u] = v.hi.w;
}

// Point `i` of `points` (affine LEM; all zeros = identity) in projective coordinates.
fn pt_load(i: u32) -> Point {
    let base = i * 2u * COORD_WORDS;
    let x = f_load(base);
    let y = f_load(base + COORD_WORDS);
    let inf = f_is_zero(x) && f_is_zero(y);
    return Point(x, f_select(y, f_one(), inf), f_select(f_one(), f_zero(), inf));
}

var<workgroup> wg_pre: array<Fp, WG_SIZE>;
var<workgroup> wg_suf: array<Fp, WG_SIZE>;
var<workgroup> wg_inv: Fp;

// Normalises p to affine and stores it as point `i` of `points` (identity = zeros) when `live`.
// One Fermat inversion per workgroup (Montgomery's trick over inclusive prefix and suffix product
// scans); every invocation of the workgroup must call this (it contains barriers).
fn pt_store_affine(p: Point, i: u32, lid: u32, live: bool) {
    let inf = f_is_zero(p.z);
    let d = fp_select(f_denom(p.z), FP_ONE, inf);
    wg_pre[lid] = d;
    wg_suf[lid] = d;
    workgroupBarrier();
    for (var off = 1u + ZERO; off < WG_SIZE; off <<= 1u) {
        let has_pre = lid >= off;
        let has_suf = lid + off < WG_SIZE;
        let pre = fp_select(FP_ONE, wg_pre[select(0u, lid - off, has_pre)], has_pre);
        let suf = fp_select(FP_ONE, wg_suf[select(0u, lid + off, has_suf)], has_suf);
        let r = fp_mul2(pre, wg_pre[lid], wg_suf[lid], suf);
        workgroupBarrier();
        wg_pre[lid] = r.a;
        wg_suf[lid] = r.b;
        workgroupBarrier();
    }
    if lid == 0u {
        wg_inv = fp_inv(wg_pre[WG_SIZE - 1u]);
    }
    workgroupBarrier();
    let before = fp_select(FP_ONE, wg_pre[select(0u, lid - 1u, lid > 0u)], lid > 0u);
    let after = fp_select(FP_ONE, wg_suf[select(0u, lid + 1u, lid + 1u < WG_SIZE)], lid + 1u < WG_SIZE);
    let dinv = fp_mul3(wg_inv, before, after);
    if live {
        let zi = f_inv_with(p.z, dinv);
        let xy = f_mul2(p.x, zi, p.y, zi);
        let x = f_select(xy.a, f_zero(), inf);
        let y = f_select(xy.b, f_zero(), inf);
        let base = i * 2u * COORD_WORDS;
        f_store(base, x);
        f_store(base + COORD_WORDS, y);
    }
}

// The global index of this invocation for a (possibly two-dimensional) grid of workgroups.
fn global_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return (wid.y * nwg.x + wid.x) * WG_SIZE + lid;
}

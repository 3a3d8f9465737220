// BN254 base field Fp in Montgomery form (R = 2^256): 8 little-endian 32-bit limbs, limbs 0..3 in
// `lo`, 4..7 in `hi` (the order of the files' LEM bytes). Every function takes and returns fully
// reduced values (< p).
//
// Shader size matters more than usual: every call is inlined, and lavapipe's compiler (Mesa
// llvmpipe, which builds every compute shader as an LLVM coroutine) takes time far worse than
// linear in the shader's size: tens of seconds to minutes for kernels with ~100 inlined copies of
// fp_mul. So fp_mul is written out limb by limb (SSA form; `array<u32, 8>` with loops compiled
// quadratically slower still), and independent products are batched through one copy of fp_mul in
// a loop that picks its operands with selects (fp_mul2 here, f_mul2/4/6 in curve.wgsl); private
// arrays indexed in such loops compiled slower, so there are none.
// Needs from the prelude: FP_P, FP_ONE, FP_PM2, FP_NP0; from fp_mac_*.wgsl: mac.

struct Fp {
    lo: vec4<u32>,
    hi: vec4<u32>,
}

fn fp_zero() -> Fp {
    return Fp(vec4<u32>(0u), vec4<u32>(0u));
}

fn fp_is_zero(a: Fp) -> bool {
    return !any((a.lo | a.hi) != vec4<u32>(0u));
}

// c ? b : a (no branch).
fn fp_select(a: Fp, b: Fp, c: bool) -> Fp {
    return Fp(select(a.lo, b.lo, c), select(a.hi, b.hi, c));
}

// a + b + carry_in as (sum, carry_out).
fn adc(a: u32, b: u32, c: u32) -> vec2<u32> {
    let s = a + b;
    let s2 = s + c;
    return vec2<u32>(s2, select(0u, 1u, s < a) | select(0u, 1u, s2 < s));
}

// a − b − borrow_in as (difference, borrow_out).
fn sbb(a: u32, b: u32, br: u32) -> vec2<u32> {
    let d = a - b;
    let d2 = d - br;
    return vec2<u32>(d2, select(0u, 1u, a < b) | select(0u, 1u, d < br));
}

// A 256-bit difference and its borrow (0 or 1).
struct Diff {
    d: Fp,
    borrow: u32,
}

// (a − b mod 2^256, borrow).
fn sub256(a: Fp, b: Fp) -> Diff {
    let d0 = sbb(a.lo.x, b.lo.x, 0u);
    let d1 = sbb(a.lo.y, b.lo.y, d0.y);
    let d2 = sbb(a.lo.z, b.lo.z, d1.y);
    let d3 = sbb(a.lo.w, b.lo.w, d2.y);
    let d4 = sbb(a.hi.x, b.hi.x, d3.y);
    let d5 = sbb(a.hi.y, b.hi.y, d4.y);
    let d6 = sbb(a.hi.z, b.hi.z, d5.y);
    let d7 = sbb(a.hi.w, b.hi.w, d6.y);
    return Diff(Fp(vec4<u32>(d0.x, d1.x, d2.x, d3.x), vec4<u32>(d4.x, d5.x, d6.x, d7.x)), d7.y);
}

// a + b mod 2^256 (callers guarantee no carry out).
fn add256(a: Fp, b: Fp) -> Fp {
    let s0 = adc(a.lo.x, b.lo.x, 0u);
    let s1 = adc(a.lo.y, b.lo.y, s0.y);
    let s2 = adc(a.lo.z, b.lo.z, s1.y);
    let s3 = adc(a.lo.w, b.lo.w, s2.y);
    let s4 = adc(a.hi.x, b.hi.x, s3.y);
    let s5 = adc(a.hi.y, b.hi.y, s4.y);
    let s6 = adc(a.hi.z, b.hi.z, s5.y);
    let s7 = adc(a.hi.w, b.hi.w, s6.y);
    return Fp(vec4<u32>(s0.x, s1.x, s2.x, s3.x), vec4<u32>(s4.x, s5.x, s6.x, s7.x));
}

// a − p when a >= p, for a < 2p.
fn fp_reduce_once(a: Fp) -> Fp {
    let d = sub256(a, FP_P);
    return fp_select(d.d, a, d.borrow == 1u);
}

fn fp_add(a: Fp, b: Fp) -> Fp {
    // a + b < 2p < 2^256: no carry leaves the top limb.
    return fp_reduce_once(add256(a, b));
}

fn fp_sub(a: Fp, b: Fp) -> Fp {
    let d = sub256(a, b);
    // On a borrow, add p back (mod 2^256).
    let mask = vec4<u32>(0u - d.borrow);
    return add256(d.d, Fp(FP_P.lo & mask, FP_P.hi & mask));
}

fn fp_neg(a: Fp) -> Fp {
    return fp_sub(fp_zero(), a);
}

// c ? −a : a (no branch).
fn fp_cneg(a: Fp, c: bool) -> Fp {
    return fp_select(a, fp_neg(a), c);
}

fn fp_dbl(a: Fp) -> Fp {
    return fp_add(a, a);
}

// One round of CIOS Montgomery multiplication: (t + a·bi + m·p) / 2^32, m chosen so that the
// division is exact. The final carry word is not needed because the top limb of p is below
// 2^31 − 1 (gnark-crypto's "no-carry" variant); t stays below 2p.
fn cios_round(t: Fp, a: Fp, bi: u32) -> Fp {
    var r = mac(t.lo.x, a.lo.x, bi, 0u);
    var ha = r.y;
    let m = r.x * FP_NP0;
    var hc = mac(r.x, m, FP_P.lo.x, 0u).y;
    r = mac(t.lo.y, a.lo.y, bi, ha);
    ha = r.y;
    var q = mac(r.x, m, FP_P.lo.y, hc);
    hc = q.y;
    let u0 = q.x;
    r = mac(t.lo.z, a.lo.z, bi, ha);
    ha = r.y;
    q = mac(r.x, m, FP_P.lo.z, hc);
    hc = q.y;
    let u1 = q.x;
    r = mac(t.lo.w, a.lo.w, bi, ha);
    ha = r.y;
    q = mac(r.x, m, FP_P.lo.w, hc);
    hc = q.y;
    let u2 = q.x;
    r = mac(t.hi.x, a.hi.x, bi, ha);
    ha = r.y;
    q = mac(r.x, m, FP_P.hi.x, hc);
    hc = q.y;
    let u3 = q.x;
    r = mac(t.hi.y, a.hi.y, bi, ha);
    ha = r.y;
    q = mac(r.x, m, FP_P.hi.y, hc);
    hc = q.y;
    let u4 = q.x;
    r = mac(t.hi.z, a.hi.z, bi, ha);
    ha = r.y;
    q = mac(r.x, m, FP_P.hi.z, hc);
    hc = q.y;
    let u5 = q.x;
    r = mac(t.hi.w, a.hi.w, bi, ha);
    ha = r.y;
    q = mac(r.x, m, FP_P.hi.w, hc);
    hc = q.y;
    let u6 = q.x;
    return Fp(vec4<u32>(u0, u1, u2, u3), vec4<u32>(u4, u5, u6, hc + ha));
}

// Montgomery product a·b·2^-256 mod p.
fn fp_mul(a: Fp, b: Fp) -> Fp {
    var t = fp_zero();
    t = cios_round(t, a, b.lo.x);
    t = cios_round(t, a, b.lo.y);
    t = cios_round(t, a, b.lo.z);
    t = cios_round(t, a, b.lo.w);
    t = cios_round(t, a, b.hi.x);
    t = cios_round(t, a, b.hi.y);
    t = cios_round(t, a, b.hi.z);
    t = cios_round(t, a, b.hi.w);
    return fp_reduce_once(t);
}

fn fp_sqr(a: Fp) -> Fp {
    return fp_mul(a, a);
}

// A zero the compiler cannot see through (each kernel sets it from its uniform block): loops that
// start at ZERO keep their bodies out of line instead of being unrolled.
var<private> ZERO: u32;

struct FpPair {
    a: Fp,
    b: Fp,
}

// (a0·b0, a1·b1) with one copy of fp_mul.
fn fp_mul2(a0: Fp, b0: Fp, a1: Fp, b1: Fp) -> FpPair {
    var r = FpPair(a0, a1);
    for (var k = ZERO; k < 2u; k++) {
        let m = fp_mul(fp_select(a0, a1, k == 1u), fp_select(b0, b1, k == 1u));
        r = FpPair(fp_select(r.a, m, k == 0u), fp_select(r.b, m, k == 1u));
    }
    return r;
}

// a·b·c with one copy of fp_mul.
fn fp_mul3(a: Fp, b: Fp, c: Fp) -> Fp {
    var r = a;
    for (var s = ZERO; s < 2u; s++) {
        r = fp_mul(r, fp_select(b, c, s == 1u));
    }
    return r;
}

// a^(p−2) (Fermat); 0 maps to 0. The exponent is a constant, so every branch is uniform. One copy
// of fp_mul: step 2j squares, step 2j+1 multiplies by a when bit j (from the top) is set.
fn fp_inv(a: Fp) -> Fp {
    var r = FP_ONE;
    for (var s = ZERO; s < 512u; s++) {
        let bit = 255u - (s >> 1u);
        let word = select(FP_PM2.hi[(bit >> 5u) & 3u], FP_PM2.lo[(bit >> 5u) & 3u], bit < 128u);
        let odd = (s & 1u) == 1u;
        if !odd || ((word >> (bit & 31u)) & 1u) == 1u {
            r = fp_mul(r, fp_select(r, a, odd));
        }
    }
    return r;
}

// G2 (y^2 = x^3 + b' over Fp2, b' = 3/(9+u)): binds the coordinate field F of curve.wgsl to Fp2.
// A point occupies 32 words of `points` (x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1, LEM); all zeros is the identity.

alias F = Fp2;

const COORD_WORDS: u32 = 16u;

fn f_zero() -> F {
    return fp2_zero();
}

fn f_one() -> F {
    return fp2_one();
}

fn f_is_zero(a: F) -> bool {
    return fp2_is_zero(a);
}

fn f_select(a: F, b: F, c: bool) -> F {
    return fp2_select(a, b, c);
}

fn f_add(a: F, b: F) -> F {
    return fp2_add(a, b);
}

fn f_sub(a: F, b: F) -> F {
    return fp2_sub(a, b);
}

fn f_cneg(a: F, c: bool) -> F {
    return fp2_cneg(a, c);
}

fn f_mul(a: F, b: F) -> F {
    return fp2_mul(a, b);
}

fn g2_b3() -> F {
    return Fp2(G2_B3_C0, G2_B3_C1);
}

// 3·b'·a.
fn f_mul_b3(a: F) -> F {
    return fp2_mul(a, g2_b3());
}

// (3b'·a, 3b'·c).
fn f_mul_b3_2(a: F, c: F) -> FPair {
    return f_mul2(a, g2_b3(), c, g2_b3());
}

// The GLV endomorphism acts on x: x·β with β in Fp.
fn f_endo(x: F) -> F {
    let r = fp_mul2(x.c0, FP_BETA, x.c1, FP_BETA);
    return Fp2(r.a, r.b);
}

fn f_load(base: u32) -> F {
    return Fp2(fp_load(base), fp_load(base + 8u));
}

fn f_store(base: u32, v: F) {
    fp_store(base, v.c0);
    fp_store(base + 8u, v.c1);
}

// An Fp element whose inverse yields 1/z: the norm z0^2 + z1^2 (nonzero for z ≠ 0, since u^2 + 1
// is irreducible over Fp).
fn f_denom(z: F) -> Fp {
    let r = fp_mul2(z.c0, z.c0, z.c1, z.c1);
    return fp_add(r.a, r.b);
}

// 1/z = conj(z) / norm(z).
fn f_inv_with(z: F, dinv: Fp) -> F {
    let r = fp_mul2(z.c0, dinv, z.c1, dinv);
    return Fp2(r.a, fp_neg(r.b));
}

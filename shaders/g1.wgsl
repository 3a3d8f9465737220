// G1 (y^2 = x^3 + 3 over Fp): binds the coordinate field F of curve.wgsl to Fp.
// A point occupies 16 words of `points` (x ‖ y, LEM); all zeros is the identity.

alias F = Fp;

const COORD_WORDS: u32 = 8u;

fn f_zero() -> F {
    return fp_zero();
}

fn f_one() -> F {
    return FP_ONE;
}

fn f_is_zero(a: F) -> bool {
    return fp_is_zero(a);
}

fn f_select(a: F, b: F, c: bool) -> F {
    return fp_select(a, b, c);
}

fn f_add(a: F, b: F) -> F {
    return fp_add(a, b);
}

fn f_sub(a: F, b: F) -> F {
    return fp_sub(a, b);
}

fn f_cneg(a: F, c: bool) -> F {
    return fp_cneg(a, c);
}

fn f_mul(a: F, b: F) -> F {
    return fp_mul(a, b);
}

// 3·b·a with b = 3: 9a = 8a + a.
fn f_mul_b3(a: F) -> F {
    let a2 = fp_dbl(a);
    let a4 = fp_dbl(a2);
    return fp_add(fp_dbl(a4), a);
}

// (3b·a, 3b·c).
fn f_mul_b3_2(a: F, c: F) -> FPair {
    return FPair(f_mul_b3(a), f_mul_b3(c));
}

// The GLV endomorphism acts on x: x·β.
fn f_endo(x: F) -> F {
    return fp_mul(x, FP_BETA);
}

fn f_load(base: u32) -> F {
    return fp_load(base);
}

fn f_store(base: u32, v: F) {
    fp_store(base, v);
}

// An Fp element whose inverse yields 1/z (see f_inv_with).
fn f_denom(z: F) -> Fp {
    return z;
}

// 1/z from the inverse of f_denom(z).
fn f_inv_with(z: F, dinv: Fp) -> F {
    return dinv;
}

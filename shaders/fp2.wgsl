// Fp2 = Fp[u]/(u^2 + 1): c0 + c1·u, each coefficient an Fp in Montgomery form (LEM order c0, c1).

struct Fp2 {
    c0: Fp,
    c1: Fp,
}

fn fp2_zero() -> Fp2 {
    return Fp2(fp_zero(), fp_zero());
}

fn fp2_one() -> Fp2 {
    return Fp2(FP_ONE, fp_zero());
}

fn fp2_is_zero(a: Fp2) -> bool {
    return fp_is_zero(a.c0) && fp_is_zero(a.c1);
}

fn fp2_select(a: Fp2, b: Fp2, c: bool) -> Fp2 {
    return Fp2(fp_select(a.c0, b.c0, c), fp_select(a.c1, b.c1, c));
}

fn fp2_add(a: Fp2, b: Fp2) -> Fp2 {
    return Fp2(fp_add(a.c0, b.c0), fp_add(a.c1, b.c1));
}

fn fp2_sub(a: Fp2, b: Fp2) -> Fp2 {
    return Fp2(fp_sub(a.c0, b.c0), fp_sub(a.c1, b.c1));
}

fn fp2_cneg(a: Fp2, c: bool) -> Fp2 {
    return Fp2(fp_cneg(a.c0, c), fp_cneg(a.c1, c));
}

// Karatsuba: (a0b0 − a1b1) + ((a0 + a1)(b0 + b1) − a0b0 − a1b1)·u, its 3 Fp products through one
// copy of fp_mul.
fn fp2_mul(a: Fp2, b: Fp2) -> Fp2 {
    let sa = fp_add(a.c0, a.c1);
    let sb = fp_add(b.c0, b.c1);
    var v0 = fp_zero();
    var v1 = fp_zero();
    var v2 = fp_zero();
    for (var k = ZERO; k < 3u; k++) {
        let x = fp_select(fp_select(a.c0, a.c1, k == 1u), sa, k == 2u);
        let y = fp_select(fp_select(b.c0, b.c1, k == 1u), sb, k == 2u);
        let m = fp_mul(x, y);
        v0 = fp_select(v0, m, k == 0u);
        v1 = fp_select(v1, m, k == 1u);
        v2 = fp_select(v2, m, k == 2u);
    }
    return Fp2(fp_sub(v0, v1), fp_sub(fp_sub(v2, v0), v1));
}

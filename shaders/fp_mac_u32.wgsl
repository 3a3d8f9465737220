// 32x32 -> 64-bit multiply-accumulate with 32-bit integers only (portable path, no SHADER_INT64):
// the product is assembled from four 16x16-bit partial products.
// mac(t, a, b, c) = t + a·b + c as (low word, high word); never overflows 64 bits.
fn mac(t: u32, a: u32, b: u32, c: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // p01 + 2 * (2^16 - 1) < 2^32: no overflow.
    let mid = p01 + (p00 >> 16u) + (p10 & 0xffffu);
    var hi = p11 + (mid >> 16u) + (p10 >> 16u);
    var lo = (mid << 16u) | (p00 & 0xffffu);
    lo += t;
    hi += select(0u, 1u, lo < t);
    lo += c;
    hi += select(0u, 1u, lo < c);
    return vec2<u32>(lo, hi);
}

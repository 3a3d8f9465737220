// 32x32 -> 64-bit multiply-accumulate with native 64-bit integers (needs Features::SHADER_INT64).
// mac(t, a, b, c) = t + a·b + c as (low word, high word); never overflows 64 bits.
fn mac(t: u32, a: u32, b: u32, c: u32) -> vec2<u32> {
    let s = u64(t) + u64(a) * u64(b) + u64(c);
    return vec2<u32>(u32(s), u32(s >> 32u));
}

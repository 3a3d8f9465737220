//! The arithmetic the vector engine needs from eight field elements at once.

use std::arch::x86_64::{__m512i, __mmask8};

use ark_ff::Field;

use super::fq::Ctx;

/// Field elements per vector.
pub const LANES: usize = 8;

/// Eight elements of one field, lane-wise arithmetic. Every method needs avx512f and
/// avx512ifma: callers must have checked [`super::available`].
pub trait Lanes: Copy {
    /// The arkworks field of one lane.
    type Elem: Field;
    /// a·b.
    unsafe fn mul(c: &Ctx, a: &Self, b: &Self) -> Self;
    /// a².
    unsafe fn square(c: &Ctx, a: &Self) -> Self;
    /// a + b.
    unsafe fn add(c: &Ctx, a: &Self, b: &Self) -> Self;
    /// a − b.
    unsafe fn sub(c: &Ctx, a: &Self, b: &Self) -> Self;
    /// −a.
    unsafe fn neg(c: &Ctx, a: &Self) -> Self;
    /// b in the lanes set in m, a in the others.
    unsafe fn select(m: __mmask8, a: &Self, b: &Self) -> Self;
    /// 1 in every lane.
    unsafe fn one(c: &Ctx) -> Self;
    /// Eight arkworks elements.
    unsafe fn load(c: &Ctx, v: &[Self::Elem; LANES]) -> Self;
    /// The eight lanes as arkworks elements.
    unsafe fn store(c: &Ctx, a: &Self) -> [Self::Elem; LANES];
    /// Lane-wise inverses, or `None` if some lane is zero.
    unsafe fn invert(c: &Ctx, a: &Self) -> Option<Self>;
    /// Words of one element in [`Lanes::gather`]'s layout.
    const WORDS: usize;
    /// Lane l from the element whose `WORDS` words start at `data[at[l]]`; every such run
    /// must lie inside `data`.
    unsafe fn gather(data: &[u64], at: __m512i) -> Self;
    /// Writes the lanes set in m to the elements at `data[at[l]]` (runs disjoint, inside `data`).
    unsafe fn scatter(data: &mut [u64], m: __mmask8, at: __m512i, v: &Self);
    /// The lanes that are zero.
    unsafe fn is_zero(c: &Ctx, a: &Self) -> __mmask8;
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use ark_ff::Zero;

    /// Runs [`check_ops`] on consecutive pairs of eight-value blocks of `vals` (a multiple of
    /// eight), when this CPU has the instructions.
    pub fn check_blocks<L: Lanes>(vals: &[L::Elem]) {
        if !super::super::available() {
            eprintln!("no avx512ifma on this CPU: the IFMA field test has nothing to check");
            return;
        }
        // SAFETY: `available` checked the CPU features.
        unsafe {
            let c = Ctx::new();
            for w in vals.chunks_exact(LANES).collect::<Vec<_>>().windows(2) {
                check_ops::<L>(&c, w[0].try_into().unwrap(), w[1].try_into().unwrap());
            }
        }
    }

    /// Checks every operation of `L` on lanes `a`, `b` against arkworks.
    pub unsafe fn check_ops<L: Lanes>(c: &Ctx, a: &[L::Elem; LANES], b: &[L::Elem; LANES]) {
        let (x, y) = (L::load(c, a), L::load(c, b));
        let want =
            |f: &dyn Fn(L::Elem, L::Elem) -> L::Elem| -> [L::Elem; LANES] { std::array::from_fn(|l| f(a[l], b[l])) };
        assert_eq!(L::store(c, &x), *a);
        assert_eq!(L::store(c, &L::mul(c, &x, &y)), want(&|a, b| a * b));
        assert_eq!(L::store(c, &L::square(c, &x)), want(&|a, _| a.square()));
        assert_eq!(L::store(c, &L::add(c, &x, &y)), want(&|a, b| a + b));
        assert_eq!(L::store(c, &L::sub(c, &x, &y)), want(&|a, b| a - b));
        assert_eq!(L::store(c, &L::neg(c, &x)), want(&|a, _| -a));
        assert_eq!(
            L::store(c, &L::select(0b1010_0101, &x, &y)),
            std::array::from_fn(|l| if 0xa5 >> l & 1 == 1 { b[l] } else { a[l] })
        );
        // The top of the range: 2p (−0) is allowed and must still multiply and subtract right.
        let top = L::neg(c, &L::sub(c, &x, &x));
        assert_eq!(L::store(c, &L::mul(c, &top, &y)), [L::Elem::zero(); LANES]);
        assert_eq!(L::store(c, &L::sub(c, &top, &y)), want(&|_, b| -b));
        assert_eq!(L::store(c, &L::mul(c, &L::one(c), &y)), *b);
        let mut data = vec![0u64; 24 * L::WORDS];
        let w = L::WORDS as i64;
        let at = std::arch::x86_64::_mm512_set_epi64(0, 17 * w, 3 * w, 9 * w, 23 * w, w, 12 * w, 5 * w);
        L::scatter(&mut data, 0xff, at, &x);
        assert_eq!(L::store(c, &L::gather(&data, at)), *a);
        L::scatter(&mut data, 0b0000_0110, at, &y);
        let back = L::store(c, &L::gather(&data, at));
        assert_eq!(back, std::array::from_fn(|l| if (1..3).contains(&l) { b[l] } else { a[l] }));
        let zeros = L::is_zero(c, &L::sub(c, &x, &y));
        assert_eq!(zeros, (0..LANES).filter(|&l| a[l] == b[l]).fold(0, |m, l| m | 1 << l));
        assert_eq!(L::is_zero(c, &L::neg(c, &L::sub(c, &x, &x))), 0xff);
        match L::invert(c, &x) {
            Some(inv) => assert_eq!(L::store(c, &inv), a.map(|a| a.inverse().unwrap())),
            None => assert!(a.iter().any(|a| a.is_zero())),
        }
    }
}

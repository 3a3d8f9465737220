//! The arithmetic the vector engine needs from eight field elements at once.

use std::arch::x86_64::__mmask8;

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
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use ark_ff::Zero;

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
        match L::invert(c, &x) {
            Some(inv) => assert_eq!(L::store(c, &inv), a.map(|a| a.inverse().unwrap())),
            None => assert!(a.iter().any(|a| a.is_zero())),
        }
    }
}

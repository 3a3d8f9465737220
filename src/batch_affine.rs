//! Affine point arithmetic on whole batches at once, one field inversion per step shared by
//! the batch (Montgomery's trick). Used where every point runs the same schedule.

use ark_ff::Field;

/// v[i] ← 1 / v[i] for every i (all non-zero), with one inversion; `scratch` is reused memory.
pub fn batch_invert<F: Field>(v: &mut [F], scratch: &mut Vec<F>) -> bool {
    scratch.clear();
    let mut acc = F::one();
    for x in v.iter() {
        scratch.push(acc);
        acc *= x;
    }
    let Some(mut inv) = acc.inverse() else {
        return false;
    };
    for (x, pre) in v.iter_mut().zip(scratch.iter()).rev() {
        let t = inv * *x;
        *x = inv * pre;
        inv = t;
    }
    true
}

/// Affine points of one batch, as separate coordinate vectors.
pub struct Batch<F> {
    /// x coordinates.
    pub x: Vec<F>,
    /// y coordinates.
    pub y: Vec<F>,
}

/// acc ← 2·acc for every point; false (acc undefined) when some y is zero.
pub fn double_all<F: Field>(acc: &mut Batch<F>, den: &mut Vec<F>, scratch: &mut Vec<F>) -> bool {
    den.clear();
    den.extend(acc.y.iter().map(|y| y.double()));
    if !batch_invert(den, scratch) {
        return false;
    }
    for ((x, y), inv) in acc.x.iter_mut().zip(acc.y.iter_mut()).zip(den.iter()) {
        let xx = x.square();
        let l = (xx.double() + xx) * inv;
        let x3 = l.square() - x.double();
        *y = l * (*x - x3) - *y;
        *x = x3;
    }
    true
}

/// acc ← acc ± t for every point; false (acc undefined) when some pair shares its x.
pub fn add_all<F: Field>(acc: &mut Batch<F>, t: &Batch<F>, neg: bool, den: &mut Vec<F>, scratch: &mut Vec<F>) -> bool {
    den.clear();
    den.extend(acc.x.iter().zip(&t.x).map(|(x1, x2)| *x2 - x1));
    if !batch_invert(den, scratch) {
        return false;
    }
    for (i, inv) in den.iter().enumerate() {
        let (x1, y1) = (acc.x[i], acc.y[i]);
        let y2 = if neg { -t.y[i] } else { t.y[i] };
        let l = (y2 - y1) * inv;
        let x3 = l.square() - x1 - t.x[i];
        acc.y[i] = l * (x1 - x3) - y1;
        acc.x[i] = x3;
    }
    true
}

/// acc ← ±t.
pub fn copy_from<F: Field>(acc: &mut Batch<F>, t: &Batch<F>, neg: bool) {
    acc.x.copy_from_slice(&t.x);
    if neg {
        for (a, b) in acc.y.iter_mut().zip(&t.y) {
            *a = -*b;
        }
    } else {
        acc.y.copy_from_slice(&t.y);
    }
}

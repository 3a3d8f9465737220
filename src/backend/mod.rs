//! The seam every heavy operation goes through: scaling many points and multi-scalar
//! multiplication, on points in the files' own LEM encoding.

pub mod cpu;
pub mod crosscheck;
pub mod fixed_scalar;
#[cfg(feature = "gpu")]
pub mod gpu;
#[cfg(target_arch = "x86_64")]
pub mod ifma;
pub mod scalar_each;

use ark_bn254::{Fr, G1Projective, G2Projective};
use ark_ff::Zero;

use crate::error::Result;

pub use cpu::CpuBackend;
pub use crosscheck::CrossChecked;
#[cfg(feature = "gpu")]
pub use gpu::GpuBackend;

/// Which group a run of points belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// BN254 G1 (64-byte LEM points).
    G1,
    /// BN254 G2 (128-byte LEM points).
    G2,
}

impl Group {
    /// Bytes per LEM point.
    pub fn point_size(self) -> usize {
        match self {
            Group::G1 => 64,
            Group::G2 => 128,
        }
    }
}

/// A run of points in file encoding, read from one section; the unit that streams through a backend.
pub struct PointChunk<'a> {
    /// The points' group.
    pub group: Group,
    /// LEM points, back to back; replaced in place by the results.
    pub bytes: &'a mut [u8],
}

/// A projective point of either group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Projective {
    /// A G1 point.
    G1(G1Projective),
    /// A G2 point.
    G2(G2Projective),
}

impl Projective {
    /// The identity of `group`.
    pub fn zero(group: Group) -> Projective {
        match group {
            Group::G1 => Projective::G1(G1Projective::default()),
            Group::G2 => Projective::G2(G2Projective::default()),
        }
    }

    /// Whether this is the identity.
    pub fn is_zero(&self) -> bool {
        match self {
            Projective::G1(p) => p.is_zero(),
            Projective::G2(p) => p.is_zero(),
        }
    }

    /// k · self.
    pub fn scale(&self, k: &Fr) -> Projective {
        match self {
            Projective::G1(p) => Projective::G1(*p * k),
            Projective::G2(p) => Projective::G2(*p * k),
        }
    }

    /// self + other; an error when they lie in different groups.
    pub fn plus(&self, other: &Projective) -> Result<Projective> {
        match (self, other) {
            (Projective::G1(a), Projective::G1(b)) => Ok(Projective::G1(*a + b)),
            (Projective::G2(a), Projective::G2(b)) => Ok(Projective::G2(*a + b)),
            _ => Err(crate::error::Error::Backend {
                backend: "points".into(),
                msg: "a G1 and a G2 point cannot be added".into(),
            }),
        }
    }
}

/// Heavy point arithmetic. Inputs are already validated by the format layer.
pub trait Backend: Send + Sync {
    /// A human-readable description, e.g. "cpu (rayon, 2 threads)".
    fn name(&self) -> String;
    /// Every point times the same scalar.
    fn scale_fixed(&self, points: PointChunk, scalar: &Fr) -> Result<()>;
    /// Point i times first · step^i.
    fn scale_powers(&self, points: PointChunk, first: &Fr, step: &Fr) -> Result<()>;
    /// Point i times scalars[i].
    fn scale_each(&self, points: PointChunk, scalars: &[Fr]) -> Result<()>;
    /// Σ scalars[i] · point_i.
    fn msm(&self, points: &[u8], group: Group, scalars: &[Fr]) -> Result<Projective>;
    /// Points per scaling call that keep this backend busy; verbs with a progress bar cut
    /// sections into calls of this size.
    fn chunk_points(&self) -> usize {
        1 << 16
    }
}

//! circom 2 `.r1cs`: the header and the constraints (sections in any order).

use std::path::Path;

use ark_bn254::Fr;
use ark_ff::{BigInt, PrimeField};

use crate::error::{Error, Result};
use crate::format::binfile::BinFile;
use crate::format::points::fr_from_le_normal;

/// The r1cs header (section 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct R1csHeader {
    /// Number of wires, wire 0 being the constant 1.
    pub n_wires: u32,
    /// Public outputs.
    pub n_pub_out: u32,
    /// Public inputs.
    pub n_pub_in: u32,
    /// Private inputs.
    pub n_prv_in: u32,
    /// Number of labels.
    pub n_labels: u64,
    /// Number of constraints.
    pub n_constraints: u32,
}

impl R1csHeader {
    /// nPublic as snarkjs counts it: public outputs plus public inputs (wire 0 excluded).
    pub fn n_public(&self) -> u32 {
        self.n_pub_out + self.n_pub_in
    }
}

/// One term of a linear combination: wire id and coefficient (normal form).
pub type Term = (u32, Fr);

/// One constraint A·B − C = 0.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraint {
    /// Terms of A.
    pub a: Vec<Term>,
    /// Terms of B.
    pub b: Vec<Term>,
    /// Terms of C.
    pub c: Vec<Term>,
}

/// A parsed r1cs file.
#[derive(Debug, Clone)]
pub struct R1cs {
    /// Section 1.
    pub header: R1csHeader,
    /// Section 2, in file order.
    pub constraints: Vec<Constraint>,
}

/// The BN254 scalar field prime r, little-endian.
pub fn fr_modulus_le() -> [u8; 32] {
    let mut out = [0u8; 32];
    let m: BigInt<4> = Fr::MODULUS;
    for (i, l) in m.0.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&l.to_le_bytes());
    }
    out
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.b.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4).map(|s| u32::from_le_bytes(s.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8).map(|s| u64::from_le_bytes(s.try_into().expect("8 bytes")))
    }
}

impl R1cs {
    /// Reads and checks an r1cs file over BN254.
    pub fn read(path: &Path) -> Result<R1cs> {
        let f = BinFile::open(path, b"r1cs")?;
        let at = f.location();
        let h = f.read_section(1)?;
        let at1 = at.section(1);
        let mut c = Cursor { b: &h, pos: 0 };
        let short = || Error::malformed(at1.clone(), "header section is too short");
        let n8 = c.u32().ok_or_else(short)?;
        if n8 != 32 {
            return Err(Error::malformed(at1, format!("field size {n8} bytes, expected 32 (BN254)")));
        }
        let prime = c.take(32).ok_or_else(short)?;
        if prime != fr_modulus_le() {
            return Err(Error::malformed(
                at1,
                "r1cs curve does not match: the prime is not BN254's scalar field (compile with circom's default bn128 prime)",
            ));
        }
        let header = R1csHeader {
            n_wires: c.u32().ok_or_else(short)?,
            n_pub_out: c.u32().ok_or_else(short)?,
            n_pub_in: c.u32().ok_or_else(short)?,
            n_prv_in: c.u32().ok_or_else(short)?,
            n_labels: c.u64().ok_or_else(short)?,
            n_constraints: c.u32().ok_or_else(short)?,
        };
        if c.pos != h.len() {
            return Err(Error::malformed(at1, format!("header is {} bytes, expected {}", h.len(), c.pos)));
        }
        let publics = 1u64 + header.n_pub_out as u64 + header.n_pub_in as u64 + header.n_prv_in as u64;
        if publics > header.n_wires as u64 {
            return Err(Error::malformed(at1, "more inputs and outputs than wires"));
        }
        // circom always writes the wire-to-label map (section 3), one u64 per wire: it bounds
        // nWires, which sizes every per-wire table of `zkey new`.
        if f.has_section(3) {
            let s = f.section(3)?;
            let want = header.n_wires as u64 * 8;
            if s.size != want {
                return Err(Error::malformed(
                    at.section(3),
                    format!(
                        "wire-to-label map is {} bytes, expected {want} for the header's {} wires",
                        s.size, header.n_wires
                    ),
                ));
            }
        }

        let body = f.read_section(2)?;
        let at2 = at.section(2);
        let mut c = Cursor { b: &body, pos: 0 };
        // Each constraint takes at least 12 bytes, which bounds the allocation on hostile input.
        if (header.n_constraints as u64) * 12 > body.len() as u64 {
            return Err(Error::malformed(at2, format!("section too short for {} constraints", header.n_constraints)));
        }
        let mut constraints = Vec::with_capacity(header.n_constraints as usize);
        for ci in 0..header.n_constraints {
            let at_c = at2.index(ci as u64);
            let mut lc = || -> Result<Vec<Term>> {
                let short = || Error::malformed(at_c.clone(), "constraint is truncated");
                let n = c.u32().ok_or_else(short)?;
                if (n as u64) * 36 > (body.len() - c.pos) as u64 {
                    return Err(short());
                }
                let mut terms = Vec::with_capacity(n as usize);
                for _ in 0..n {
                    let w = c.u32().ok_or_else(short)?;
                    if w >= header.n_wires {
                        return Err(Error::malformed(
                            at_c.clone(),
                            format!("wire {w} out of range (the circuit has {} wires)", header.n_wires),
                        ));
                    }
                    let v = c.take(32).ok_or_else(short)?;
                    let v = fr_from_le_normal(v)
                        .ok_or_else(|| Error::malformed(at_c.clone(), "coefficient is not reduced modulo r"))?;
                    terms.push((w, v));
                }
                Ok(terms)
            };
            let a = lc()?;
            let b = lc()?;
            let cc = lc()?;
            constraints.push(Constraint { a, b, c: cc });
        }
        if c.pos != body.len() {
            return Err(Error::malformed(at2, format!("{} trailing bytes after the constraints", body.len() - c.pos)));
        }
        Ok(R1cs { header, constraints })
    }
}

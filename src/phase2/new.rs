//! `zkey new`: the initial Groth16 key of a circuit from its r1cs and a prepared ptau
//! (reference §4.3), byte-identical to snarkjs.

use std::path::Path;

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, One, PrimeField};
use rayon::prelude::*;

use super::cshash::{cs_hash, h_hash_points, CsHashInput};
use crate::error::{Error, PointFault, Result};
use crate::format::binfile::BinWriter;
use crate::format::points::{fr_to_lem, g1_from_lem, g1s_to_lem, g2_from_lem_on_curve, g2s_to_lem};
use crate::format::ptau::{section as ps, Ptau};
use crate::format::r1cs::R1cs;
use crate::format::subgroup::g2_first_outside;
use crate::format::zkey::{section as zs, Groth16Header, MpcParams, PROTOCOL_GROTH16};
use crate::progress;

/// The initial zkey of a circuit, in memory.
pub struct InitialZkey {
    /// Section 2.
    pub header: Groth16Header,
    /// Section 4's payload.
    pub coeffs: Vec<u8>,
    /// IC points (nPublic + 1).
    pub ic: Vec<G1Affine>,
    /// A points (nVars).
    pub a: Vec<G1Affine>,
    /// B1 points (nVars).
    pub b1: Vec<G1Affine>,
    /// B2 points (nVars).
    pub b2: Vec<G2Affine>,
    /// C points of the private wires.
    pub c: Vec<G1Affine>,
    /// H's payload: odd points of the size-2d Lagrange level, copied from the ptau.
    pub h: Vec<u8>,
    /// The circuit hash.
    pub cs_hash: [u8; 64],
}

/// log2 of the domain snarkjs picks for a circuit.
pub fn circuit_power(r1cs: &R1cs) -> u32 {
    let n = r1cs.header.n_constraints as u64 + r1cs.header.n_public() as u64;
    // floor(log2(n)) + 1, i.e. the bit length of n.
    64 - n.leading_zeros()
}

fn decode_g1(raw: &[u8], ptau: &Ptau, sec: u32, first: u64) -> Result<Vec<G1Affine>> {
    let at = ptau.file.location().section(sec);
    raw.par_chunks(64)
        .enumerate()
        .map(|(i, b)| g1_from_lem(b).map_err(|fault| Error::BadPoint { at: at.index(first + i as u64), fault }))
        .collect()
}

fn decode_g2(raw: &[u8], ptau: &Ptau, sec: u32, first: u64) -> Result<Vec<G2Affine>> {
    let at = ptau.file.location().section(sec);
    let pts = raw
        .par_chunks(128)
        .enumerate()
        .map(|(i, b)| {
            g2_from_lem_on_curve(b).map_err(|fault| Error::BadPoint { at: at.index(first + i as u64), fault })
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(i) = g2_first_outside(&pts) {
        return Err(Error::BadPoint { at: at.index(first + i as u64), fault: PointFault::NotInSubgroup });
    }
    Ok(pts)
}

/// Coefficients of this size take the cheap small-scalar path.
fn small(v: &Fr) -> Option<(bool, u64)> {
    let b = v.into_bigint();
    if b.0[1] == 0 && b.0[2] == 0 && b.0[3] == 0 {
        return Some((false, b.0[0]));
    }
    let n = (-*v).into_bigint();
    if n.0[1] == 0 && n.0[2] == 0 && n.0[3] == 0 {
        return Some((true, n.0[0]));
    }
    None
}

/// Σ v · bases[row] over the terms, exact.
fn lin_comb<G: AffineRepr<ScalarField = Fr>>(terms: &[(u32, Fr)], bases: &[G]) -> G::Group
where
    G::Group: VariableBaseMSM<MulBase = G>,
{
    if terms.len() > 64 {
        let pts: Vec<G> = terms.iter().map(|(r, _)| bases[*r as usize]).collect();
        let sc: Vec<Fr> = terms.iter().map(|(_, v)| *v).collect();
        return G::Group::msm_unchecked(&pts, &sc);
    }
    let mut acc = G::Group::default();
    for (r, v) in terms {
        let p = bases[*r as usize];
        match small(v) {
            Some((neg, 1)) => {
                if neg {
                    acc -= p;
                } else {
                    acc += p;
                }
            }
            Some((neg, k)) => {
                let t = p.mul_bigint([k]);
                if neg {
                    acc -= t;
                } else {
                    acc += t;
                }
            }
            None => acc += p * v,
        }
    }
    acc
}

/// Per-wire term lists (row, coefficient) for A, B and the IC/C combination.
#[derive(Default, Clone)]
struct WireTerms {
    a: Vec<(u32, Fr)>,
    b: Vec<(u32, Fr)>,
    c: Vec<(u32, Fr)>,
}

/// Computes the initial zkey of `r1cs` over the prepared `ptau`.
pub fn compute(r1cs: &R1cs, ptau: &Ptau) -> Result<InitialZkey> {
    let hdr = &r1cs.header;
    let n_public = hdr.n_public();
    let n_vars = hdr.n_wires;
    let n_constr = hdr.n_constraints as u64;
    let cir_power = circuit_power(r1cs);
    if cir_power > ptau.power {
        return Err(Error::Usage(format!(
            "circuit too big for this power of tau ceremony: {} constraints + {} public signals need power {cir_power}, the ptau has power {}",
            n_constr, n_public, ptau.power
        )));
    }
    if cir_power > 27 {
        return Err(Error::Usage(format!("circuit power {cir_power} above 27 is not supported")));
    }
    if !ptau.is_prepared() {
        return Err(Error::Usage(format!(
            "{}: powers of tau is not prepared (run `tauforge ptau prepare-phase2` or `snarkjs powersoftau prepare phase2`)",
            ptau.file.path().display()
        )));
    }
    let d = 1u64 << cir_power;
    let pb = progress::bar(4, "zkey new");
    let rows = n_constr + n_public as u64 + 1;
    let first = d - 1;
    let lg1 = decode_g1(&ptau.points_raw(ps::LAGRANGE_G1, first, rows)?, ptau, ps::LAGRANGE_G1, first)?;
    let lg2 = decode_g2(&ptau.points_raw(ps::LAGRANGE_G2, first, rows)?, ptau, ps::LAGRANGE_G2, first)?;
    let al = decode_g1(&ptau.points_raw(ps::LAGRANGE_ALPHA_G1, first, rows)?, ptau, ps::LAGRANGE_ALPHA_G1, first)?;
    let bl = decode_g1(&ptau.points_raw(ps::LAGRANGE_BETA_G1, first, rows)?, ptau, ps::LAGRANGE_BETA_G1, first)?;

    pb.inc(1);
    // Terms grouped per wire, and section 4 in snarkjs's order.
    let r_fr = Fr::from_bigint(Fr::R).unwrap_or_default();
    let mut wires = vec![WireTerms::default(); n_vars as usize];
    let mut coeffs = Vec::new();
    let mut n_coeffs = 0u32;
    let push_coeff = |coeffs: &mut Vec<u8>, m: u32, c: u32, s: u32, v: &Fr| {
        coeffs.extend_from_slice(&m.to_le_bytes());
        coeffs.extend_from_slice(&c.to_le_bytes());
        coeffs.extend_from_slice(&s.to_le_bytes());
        coeffs.extend_from_slice(&fr_to_lem(&(*v * r_fr)));
    };
    coeffs.extend_from_slice(&[0u8; 4]);
    for (ci, con) in r1cs.constraints.iter().enumerate() {
        let ci = ci as u32;
        for (s, v) in &con.a {
            wires[*s as usize].a.push((ci, *v));
            wires[*s as usize].c.push((ci, *v)); // β·A(τ), applied to βL below
            push_coeff(&mut coeffs, 0, ci, *s, v);
            n_coeffs += 1;
        }
        for (s, v) in &con.b {
            wires[*s as usize].b.push((ci, *v));
            push_coeff(&mut coeffs, 1, ci, *s, v);
            n_coeffs += 1;
        }
    }
    for s in 0..=n_public {
        let row = (n_constr + s as u64) as u32;
        wires[s as usize].a.push((row, Fr::one()));
        wires[s as usize].c.push((row, Fr::one()));
        push_coeff(&mut coeffs, 0, row, s, &Fr::one());
        n_coeffs += 1;
    }
    coeffs[0..4].copy_from_slice(&n_coeffs.to_le_bytes());
    // C-terms of the constraints feed only the IC/C combination with Lg1.
    let mut cterms: Vec<Vec<(u32, Fr)>> = vec![Vec::new(); n_vars as usize];
    for (ci, con) in r1cs.constraints.iter().enumerate() {
        for (s, v) in &con.c {
            cterms[*s as usize].push((ci as u32, *v));
        }
    }

    let a: Vec<G1Projective> = wires.par_iter().map(|w| lin_comb(&w.a, &lg1)).collect();
    let b1: Vec<G1Projective> = wires.par_iter().map(|w| lin_comb(&w.b, &lg1)).collect();
    let b2: Vec<G2Projective> = wires.par_iter().map(|w| lin_comb(&w.b, &lg2)).collect();
    let icc: Vec<G1Projective> = wires
        .par_iter()
        .zip(cterms.par_iter())
        .map(|(w, ct)| lin_comb(&w.c, &bl) + lin_comb(&w.b, &al) + lin_comb(ct, &lg1))
        .collect();
    let a = G1Projective::normalize_batch(&a);
    let b1 = G1Projective::normalize_batch(&b1);
    let b2 = G2Projective::normalize_batch(&b2);
    let icc = G1Projective::normalize_batch(&icc);
    let ic = icc[..=n_public as usize].to_vec();
    let c = icc[n_public as usize + 1..].to_vec();

    pb.inc(1);
    // H: the odd points of Lagrange level cirPower+1, copied byte for byte.
    let level = ptau.lagrange_level_raw(ps::LAGRANGE_G1, cir_power + 1)?;
    let mut h = Vec::with_capacity(d as usize * 64);
    for i in 0..d as usize {
        let b = &level[(2 * i + 1) * 64..(2 * i + 2) * 64];
        let _ = g1_from_lem(b).map_err(|fault| Error::BadPoint {
            at: ptau.file.location().section(ps::LAGRANGE_G1).index(2 * d - 1 + 2 * i as u64 + 1),
            fault,
        })?;
        h.extend_from_slice(b);
    }

    let alpha1 = ptau.g1_point(ps::ALPHA_TAU_G1, 0)?;
    let beta1 = ptau.g1_point(ps::BETA_TAU_G1, 0)?;
    let beta2 = ptau.g2_point(ps::BETA_G2, 0)?;
    pb.inc(1);
    let h_u = h_hash_points(ptau, d)?;
    let cs = cs_hash(&CsHashInput {
        alpha1: &alpha1,
        beta1: &beta1,
        beta2: &beta2,
        ic: &ic,
        domain: d,
        h_u: &h_u,
        c: &c,
        a: &a,
        b1: &b1,
        b2: &b2,
    });
    pb.finish_and_clear();
    let header = Groth16Header {
        n_vars,
        n_public,
        domain_size: d as u32,
        alpha1,
        beta1,
        beta2,
        gamma2: G2Affine::generator(),
        delta1: G1Affine::generator(),
        delta2: G2Affine::generator(),
    };
    Ok(InitialZkey { header, coeffs, ic, a, b1, b2, c, h, cs_hash: cs })
}

impl InitialZkey {
    /// Section 3's payload.
    pub fn ic_bytes(&self) -> Vec<u8> {
        g1s_to_lem(&self.ic)
    }
    /// Section 5's payload.
    pub fn a_bytes(&self) -> Vec<u8> {
        g1s_to_lem(&self.a)
    }
    /// Section 6's payload.
    pub fn b1_bytes(&self) -> Vec<u8> {
        g1s_to_lem(&self.b1)
    }
    /// Section 7's payload.
    pub fn b2_bytes(&self) -> Vec<u8> {
        g2s_to_lem(&self.b2)
    }
    /// Section 8's payload.
    pub fn c_bytes(&self) -> Vec<u8> {
        g1s_to_lem(&self.c)
    }

    /// Writes the zkey in `zkey new`'s section order (1, 2, 4, 3, 9, 8, 5, 6, 7, 10).
    pub fn write(&self, out: &Path) -> Result<()> {
        let mut w = BinWriter::create(out, b"zkey", 10)?;
        w.section(zs::HEADER, &PROTOCOL_GROTH16.to_le_bytes())?;
        w.section(zs::GROTH16, &self.header.to_bytes())?;
        w.section(zs::COEFFS, &self.coeffs)?;
        w.section(zs::IC, &self.ic_bytes())?;
        w.section(zs::H, &self.h)?;
        w.section(zs::C, &self.c_bytes())?;
        w.section(zs::A, &self.a_bytes())?;
        w.section(zs::B1, &self.b1_bytes())?;
        w.section(zs::B2, &self.b2_bytes())?;
        let mpc = MpcParams { cs_hash: self.cs_hash, contributions: Vec::new() };
        w.section(zs::MPC, &mpc.to_bytes())?;
        w.finish()
    }
}

/// `zkey new`: computes and writes the initial zkey; returns its circuit hash.
pub fn zkey_new(r1cs_path: &Path, ptau_path: &Path, out: &Path) -> Result<[u8; 64]> {
    let r1cs = R1cs::read(r1cs_path)?;
    let ptau = Ptau::open(ptau_path)?;
    let z = compute(&r1cs, &ptau)?;
    z.write(out)?;
    Ok(z.cs_hash)
}

/// The bytes of an Fr element in normal form, little-endian (for messages and tests).
pub fn fr_le(v: &Fr) -> Vec<u8> {
    v.into_bigint().to_bytes_le()
}

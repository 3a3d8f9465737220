//! `zkey verify` (reference §6): rebuild the initial key from r1cs + ptau (or, for `zkey
//! verify-init`, read it from the ceremony's first zkey), check the chain of contributions, the
//! fixed sections, and the C and H sections by random linear combinations.

use std::path::Path;
use std::time::Instant;

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use blake2::Digest;
use rayon::prelude::*;

use super::contribute::{check_g1_points, contribution_hash, pk_bytes};
use super::new::{circuit_power, compute, InitialZkey};
use crate::backend::{Backend, Group, Projective};
use crate::crypto::beacon::{beacon_rng, MAX_BEACON_EXP};
use crate::crypto::fft::{fft, root_of_unity};
use crate::crypto::hash_to_g2::hash_to_g2;
use crate::crypto::pairing::same_ratio;
use crate::crypto::sample::{fr_from_rng, g1_from_rng};
use crate::error::{Error, Result};
use crate::format::ptau::{section as ps, Ptau};
use crate::format::r1cs::R1cs;
use crate::format::zkey::{section as zs, Groth16Header, MpcParams, Zkey, KIND_BEACON};
use crate::progress;

/// One contribution as verification reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ContributionInfo {
    /// 1-based position in the chain.
    pub index: usize,
    /// The contributor's name.
    pub name: Option<String>,
    /// The contribution hash, hex.
    pub hash: String,
    /// The beacon value, hex (beacons only).
    pub beacon_hash: Option<String>,
    /// log2 of the beacon iterations (beacons only).
    pub beacon_exp: Option<u8>,
    /// The raw hash, for printing.
    #[serde(skip)]
    pub hash_bytes: [u8; 64],
}

/// The result of a successful verification.
#[derive(Debug, Clone)]
pub struct VerifyReport {
    /// The circuit hash.
    pub cs_hash: [u8; 64],
    /// Every contribution, oldest first.
    pub contributions: Vec<ContributionInfo>,
    /// Seconds in all.
    pub seconds: f64,
    /// The backend used.
    pub backend: String,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::Invalid(msg.into())
}

/// Checks the chain of contribution records (transcripts, proofs of knowledge, beacons) and
/// returns the final delta1 the chain implies and the per-contribution report.
pub fn verify_chain(mpc: &MpcParams) -> Result<(G1Affine, Vec<ContributionInfo>)> {
    let mut cur = G1Affine::generator();
    let mut infos = Vec::new();
    let mut prefix = blake2::Blake2b512::new();
    prefix.update(mpc.cs_hash);
    for (i, c) in mpc.contributions.iter().enumerate() {
        let n = i + 1;
        let mut t = prefix.clone();
        t.update(crate::format::points::g1_to_u(&c.g1_s));
        t.update(crate::format::points::g1_to_u(&c.g1_sx));
        let t: [u8; 64] = t.finalize().into();
        if t != c.transcript {
            return Err(invalid(format!("contribution #{n}: inconsistent transcript (the record does not chain from the contributions before it)")));
        }
        let g2_sp = hash_to_g2(&c.transcript);
        if !same_ratio(&c.g1_s, &c.g1_sx, &g2_sp, &c.g2_spx) {
            return Err(invalid(format!("contribution #{n}: public key G1 and G2 do not have the same ratio")));
        }
        if !same_ratio(&cur, &c.delta_after, &g2_sp, &c.g2_spx) {
            return Err(invalid(format!("contribution #{n}: deltaAfter does not follow the public key")));
        }
        if c.kind == KIND_BEACON {
            let (Some(hash), Some(exp)) = (&c.beacon_hash, c.beacon_exp) else {
                return Err(invalid(format!("contribution #{n}: beacon without its parameters")));
            };
            // beacon_rng panics above 63 (a u8 in the file can say up to 255).
            if exp as u32 > MAX_BEACON_EXP {
                return Err(invalid(format!(
                    "contribution #{n}: beacon iterations exponent {exp} is out of range (at most {MAX_BEACON_EXP})"
                )));
            }
            let mut rng = beacon_rng(hash, exp as u32);
            let delta = zeroize::Zeroizing::new(fr_from_rng(&mut rng));
            let g1_s = g1_from_rng(&mut rng);
            let g1_sx = (g1_s * *delta).into_affine();
            if g1_s != c.g1_s {
                return Err(invalid(format!("contribution #{n}: key of the beacon does not match (g1_s)")));
            }
            if g1_sx != c.g1_sx {
                return Err(invalid(format!("contribution #{n}: key of the beacon does not match (g1_sx)")));
            }
        }
        prefix.update(pk_bytes(c));
        cur = c.delta_after;
        let h = contribution_hash(c);
        infos.push(ContributionInfo {
            index: n,
            name: c.name.clone(),
            hash: hex::encode(h),
            beacon_hash: c.beacon_hash.as_ref().map(hex::encode),
            beacon_exp: c.beacon_exp,
            hash_bytes: h,
        });
    }
    Ok((cur, infos))
}

fn g1_of(p: Projective) -> Result<G1Affine> {
    match p {
        Projective::G1(p) => Ok(p.into_affine()),
        Projective::G2(_) => Err(invalid("internal: backend returned a G2 point for a G1 MSM")),
    }
}

/// The initial key a zkey is verified against: rebuilt from the r1cs and ptau, or read from the
/// ceremony's first zkey (as `snarkjs zkey verify init` trusts it).
pub trait InitialKey {
    /// Its section 2.
    fn header(&self) -> &Groth16Header;
    /// Its circuit hash.
    fn cs_hash(&self) -> [u8; 64];
    /// The payload of section `id`: IC, coefficients, A, B1, B2 or C (points checked).
    fn section(&self, id: u32) -> Result<Vec<u8>>;
    /// Where it comes from, for messages: "the circuit and ptau give" or "the initial zkey has".
    fn origin(&self) -> &'static str;
}

impl InitialKey for InitialZkey {
    fn header(&self) -> &Groth16Header {
        &self.header
    }
    fn cs_hash(&self) -> [u8; 64] {
        self.cs_hash
    }
    fn section(&self, id: u32) -> Result<Vec<u8>> {
        Ok(match id {
            zs::IC => self.ic_bytes(),
            zs::COEFFS => self.coeffs.clone(),
            zs::A => self.a_bytes(),
            zs::B1 => self.b1_bytes(),
            zs::B2 => self.b2_bytes(),
            _ => self.c_bytes(),
        })
    }
    fn origin(&self) -> &'static str {
        "the circuit and ptau give"
    }
}

impl InitialKey for Zkey {
    fn header(&self) -> &Groth16Header {
        &self.header
    }
    fn cs_hash(&self) -> [u8; 64] {
        self.mpc.cs_hash
    }
    fn section(&self, id: u32) -> Result<Vec<u8>> {
        let b = self.file.read_section(id)?;
        if id == zs::C {
            check_g1_points(&b, &self.file, id)?;
        }
        Ok(b)
    }
    fn origin(&self) -> &'static str {
        "the initial zkey has"
    }
}

/// Verifies `zkey` against the initial key `init` and `ptau`.
pub fn verify_against(
    init: &dyn InitialKey,
    ptau: &Ptau,
    zkey: &Zkey,
    backend: &dyn Backend,
) -> Result<Vec<ContributionInfo>> {
    let h = &zkey.header;
    let ih = init.header();
    if h.n_vars != ih.n_vars || h.n_public != ih.n_public || h.domain_size != ih.domain_size {
        return Err(invalid(format!(
            "different circuit parameters: the zkey has {} wires, {} public, domain {}; the circuit has {} wires, {} public, domain {}",
            h.n_vars, h.n_public, h.domain_size, ih.n_vars, ih.n_public, ih.domain_size
        )));
    }
    if h.alpha1 != ih.alpha1 {
        return Err(invalid("alpha1 does not match the ptau (wrong powers of tau?)"));
    }
    if h.beta1 != ih.beta1 {
        return Err(invalid("beta1 does not match the ptau (wrong powers of tau?)"));
    }
    if h.beta2 != ih.beta2 {
        return Err(invalid("beta2 does not match the ptau (wrong powers of tau?)"));
    }
    if h.gamma2 != ih.gamma2 {
        return Err(invalid("gamma2 is not the generator"));
    }
    if zkey.mpc.cs_hash != init.cs_hash() {
        return Err(invalid(format!(
            "circuit does not match: the zkey's circuit hash is {}…, {} {}…",
            hex::encode(&zkey.mpc.cs_hash[..8]),
            init.origin(),
            hex::encode(&init.cs_hash()[..8])
        )));
    }
    let (cur_delta, infos) = verify_chain(&zkey.mpc)?;
    if h.delta1 != cur_delta {
        return Err(invalid("delta1 does not match the last contribution's deltaAfter"));
    }
    if !same_ratio(&G1Affine::generator(), &cur_delta, &ark_bn254::G2Affine::generator(), &h.delta2) {
        return Err(invalid("delta2 is not consistent with delta1"));
    }
    let f = &zkey.file;
    for (id, what) in [(zs::IC, "IC"), (zs::COEFFS, "coefficients"), (zs::A, "A"), (zs::B1, "B1"), (zs::B2, "B2")] {
        if f.read_section(id)? != init.section(id)? {
            return Err(invalid(format!(
                "{what} section (section {id}) is not identical to the one {}",
                init.origin()
            )));
        }
    }

    // Fresh OS randomness for the random linear combinations.
    let mut rng = crate::crypto::entropy::random_rng(&[])?;
    let delta2_init = ih.delta2;
    let delta2 = h.delta2;

    // C (L): Σ r_j·C_init[j] and Σ r_j·C[j] must differ by exactly δ.
    let c = f.read_section(zs::C)?;
    check_g1_points(&c, f, zs::C)?;
    if !c.is_empty() {
        // 64-bit coefficients: a forged section passes with probability ≤ 2^-64.
        let r: Vec<Fr> = (0..c.len() / 64).map(|_| Fr::from(rng.next_u64())).collect();
        let r1 = g1_of(backend.msm(&init.section(zs::C)?, Group::G1, &r)?)?;
        let r2 = g1_of(backend.msm(&c, Group::G1, &r)?)?;
        if !same_ratio(&r1, &r2, &delta2, &delta2_init) {
            return Err(invalid(
                "L section (section 8) does not match: its points are not the circuit's divided by delta",
            ));
        }
    }

    // H: Σ ρ_i·τ^i(τ^d − 1)·g1 from the ptau against Σ σ_i·H[i] (reference §6 step 9).
    let hsec = f.read_section(zs::H)?;
    check_g1_points(&hsec, f, zs::H)?;
    let d = h.domain_size as usize;
    let k = circuit_power_of(d);
    // 64-bit coefficients suffice: a wrong H passes with probability ≤ 2^-64, and the MSMs over
    // the ptau points get four times cheaper than with full-width scalars.
    let mut rho: Vec<Fr> = (0..d).map(|_| Fr::from(rng.next_u64())).collect();
    rho[d - 1] = Fr::from(0u64);
    let low = ptau.points_raw(ps::TAU_G1, 0, (d - 1) as u64)?;
    let high = ptau.points_raw(ps::TAU_G1, d as u64, (d - 1) as u64)?;
    check_g1_points(&low, &ptau.file, ps::TAU_G1)?;
    check_g1_points(&high, &ptau.file, ps::TAU_G1)?;
    let neg: Vec<Fr> = rho[..d - 1].par_iter().map(|x| -*x).collect();
    let r1 = g1_of(backend.msm(&high, Group::G1, &rho[..d - 1])?)?;
    let r1 = (G1Projective::from(r1) + g1_of(backend.msm(&low, Group::G1, &neg)?)?).into_affine();
    let inc = root_of_unity(k + 1);
    let mut cur = -Fr::from(2u64);
    for x in rho.iter_mut() {
        *x *= cur;
        cur *= inc;
    }
    fft(&mut rho, k);
    let r2 = g1_of(backend.msm(&hsec, Group::G1, &rho)?)?;
    if !same_ratio(&r1, &r2, &delta2, &delta2_init) {
        return Err(invalid("H section (section 9) does not match: its points are not the circuit's divided by delta"));
    }
    Ok(infos)
}

fn circuit_power_of(d: usize) -> u32 {
    d.trailing_zeros()
}

/// `zkey verify <r1cs> <ptau> <zkey>`.
pub fn verify_from_r1cs(
    r1cs_path: &Path,
    ptau_path: &Path,
    zkey_path: &Path,
    backend: &dyn Backend,
) -> Result<VerifyReport> {
    let t0 = Instant::now();
    let pb = progress::bar(3, "verifying");
    let r1cs = R1cs::read(r1cs_path)?;
    let ptau = Ptau::open(ptau_path)?;
    let zkey = Zkey::open(zkey_path)?;
    let _ = circuit_power(&r1cs);
    let init = compute(&r1cs, &ptau)?;
    pb.inc(1);
    let contributions = verify_against(&init, &ptau, &zkey, backend)?;
    pb.finish_and_clear();
    Ok(VerifyReport {
        cs_hash: init.cs_hash,
        contributions,
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

/// `zkey verify-init <init.zkey> <ptau> <zkey>` (snarkjs `zkey verify init`): the initial key is
/// read from the ceremony's first zkey instead of rebuilt from the r1cs, and checked to be one
/// (no contributions, δ = 1, alpha and beta from `ptau`); its other sections are trusted.
pub fn verify_from_init(
    init_path: &Path,
    ptau_path: &Path,
    zkey_path: &Path,
    backend: &dyn Backend,
) -> Result<VerifyReport> {
    let t0 = Instant::now();
    let init = Zkey::open(init_path)?;
    let ptau = Ptau::open(ptau_path)?;
    let zkey = Zkey::open(zkey_path)?;
    let not_initial = |why: String| {
        Error::Usage(format!("{}: not an initial zkey (as `zkey new` writes it): {why}", init_path.display()))
    };
    let (ih, n) = (&init.header, init.mpc.contributions.len());
    if n > 0 {
        return Err(not_initial(format!("it has {n} contribution{}", if n == 1 { "" } else { "s" })));
    }
    if ih.delta1 != G1Affine::generator() || ih.delta2 != ark_bn254::G2Affine::generator() {
        return Err(not_initial("delta is not the generator".into()));
    }
    if ih.gamma2 != ark_bn254::G2Affine::generator() {
        return Err(not_initial("gamma2 is not the generator".into()));
    }
    if ih.domain_size as u64 > 1u64 << ptau.power {
        return Err(Error::Usage(format!(
            "{}: power {} is too small for the domain 2^{} of {}",
            ptau_path.display(),
            ptau.power,
            ih.domain_size.trailing_zeros(),
            init_path.display()
        )));
    }
    let from_ptau = ptau.g1_point(ps::ALPHA_TAU_G1, 0)? == ih.alpha1
        && ptau.g1_point(ps::BETA_TAU_G1, 0)? == ih.beta1
        && ptau.g2_point(ps::BETA_G2, 0)? == ih.beta2;
    if !from_ptau {
        return Err(invalid(format!(
            "{}: alpha and beta are not those of {} (wrong powers of tau?)",
            init_path.display(),
            ptau_path.display()
        )));
    }
    let contributions = verify_against(&init, &ptau, &zkey, backend)?;
    Ok(VerifyReport {
        cs_hash: init.mpc.cs_hash,
        contributions,
        seconds: t0.elapsed().as_secs_f64(),
        backend: backend.name(),
    })
}

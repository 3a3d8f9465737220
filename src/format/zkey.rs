//! Groth16 `.zkey`: the header sections, the MPC-params section with its contribution records,
//! and access to the point sections.

use std::path::Path;

use ark_bn254::{G1Affine, G2Affine};

use crate::error::{Error, Location, Result};
use crate::format::binfile::BinFile;
use crate::format::params;
pub use crate::format::params::truncate_name;
use crate::format::points::{g1_from_lem, g1_to_lem, g2_from_lem, g2_to_lem, G1_LEM, G2_LEM};
use crate::format::ptau::fq_modulus_le;
use crate::format::r1cs::fr_modulus_le;

/// Section ids of a zkey file.
pub mod section {
    /// Protocol id.
    pub const HEADER: u32 = 1;
    /// Groth16 header.
    pub const GROTH16: u32 = 2;
    /// IC points.
    pub const IC: u32 = 3;
    /// Coefficients.
    pub const COEFFS: u32 = 4;
    /// A points.
    pub const A: u32 = 5;
    /// B points in G1.
    pub const B1: u32 = 6;
    /// B points in G2.
    pub const B2: u32 = 7;
    /// C (a.k.a. L) points of the private wires.
    pub const C: u32 = 8;
    /// H points.
    pub const H: u32 = 9;
    /// MPC parameters.
    pub const MPC: u32 = 10;
}

/// Section 1's protocol id for Groth16.
pub const PROTOCOL_GROTH16: u32 = 1;
/// Bytes of section 2.
pub const GROTH16_HEADER_LEN: usize = 660;

/// Section 2: sizes and the fixed points of the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groth16Header {
    /// Number of wires (r1cs nWires).
    pub n_vars: u32,
    /// Public outputs + public inputs.
    pub n_public: u32,
    /// FFT domain size.
    pub domain_size: u32,
    /// alpha · g1.
    pub alpha1: G1Affine,
    /// beta · g1.
    pub beta1: G1Affine,
    /// beta · g2.
    pub beta2: G2Affine,
    /// gamma · g2 (= g2).
    pub gamma2: G2Affine,
    /// delta · g1.
    pub delta1: G1Affine,
    /// delta · g2.
    pub delta2: G2Affine,
}

impl Groth16Header {
    /// The 660 bytes of section 2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(GROTH16_HEADER_LEN);
        b.extend_from_slice(&32u32.to_le_bytes());
        b.extend_from_slice(&fq_modulus_le());
        b.extend_from_slice(&32u32.to_le_bytes());
        b.extend_from_slice(&fr_modulus_le());
        b.extend_from_slice(&self.n_vars.to_le_bytes());
        b.extend_from_slice(&self.n_public.to_le_bytes());
        b.extend_from_slice(&self.domain_size.to_le_bytes());
        b.extend_from_slice(&g1_to_lem(&self.alpha1));
        b.extend_from_slice(&g1_to_lem(&self.beta1));
        b.extend_from_slice(&g2_to_lem(&self.beta2));
        b.extend_from_slice(&g2_to_lem(&self.gamma2));
        b.extend_from_slice(&g1_to_lem(&self.delta1));
        b.extend_from_slice(&g2_to_lem(&self.delta2));
        b
    }

    /// Parses section 2, checking the primes and every point.
    pub fn parse(b: &[u8], at: &Location) -> Result<Groth16Header> {
        if b.len() != GROTH16_HEADER_LEN {
            return Err(Error::malformed(
                at.clone(),
                format!("section is {} bytes, expected {GROTH16_HEADER_LEN}", b.len()),
            ));
        }
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        if u32_at(0) != 32 || b[4..36] != fq_modulus_le() || u32_at(36) != 32 || b[40..72] != fr_modulus_le() {
            return Err(Error::malformed(at.clone(), "the primes are not BN254's (only bn128/BN254 is supported)"));
        }
        let g1 = |o: usize, what: &str| {
            g1_from_lem(&b[o..o + G1_LEM]).map_err(|f| Error::malformed(at.clone(), format!("{what}: {f}")))
        };
        let g2 = |o: usize, what: &str| {
            g2_from_lem(&b[o..o + G2_LEM]).map_err(|f| Error::malformed(at.clone(), format!("{what}: {f}")))
        };
        let h = Groth16Header {
            n_vars: u32_at(72),
            n_public: u32_at(76),
            domain_size: u32_at(80),
            alpha1: g1(84, "alpha1")?,
            beta1: g1(148, "beta1")?,
            beta2: g2(212, "beta2")?,
            gamma2: g2(340, "gamma2")?,
            delta1: g1(468, "delta1")?,
            delta2: g2(532, "delta2")?,
        };
        if h.n_public >= h.n_vars {
            return Err(Error::malformed(
                at.clone(),
                format!("nPublic {} is not below nVars {}", h.n_public, h.n_vars),
            ));
        }
        if !h.domain_size.is_power_of_two() || h.domain_size > 1 << 28 {
            return Err(Error::malformed(
                at.clone(),
                format!("domain size {} is not a power of two ≤ 2^28", h.domain_size),
            ));
        }
        Ok(h)
    }
}

/// One phase-2 contribution record of section 10.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// delta1 after this contribution.
    pub delta_after: G1Affine,
    /// Random s · g1.
    pub g1_s: G1Affine,
    /// delta · s · g1.
    pub g1_sx: G1Affine,
    /// delta · hashToG2(transcript).
    pub g2_spx: G2Affine,
    /// Blake2b of the transcript so far and g1_s, g1_sx.
    pub transcript: [u8; 64],
    /// 0 for a normal contribution, 1 for a beacon.
    pub kind: u32,
    /// The contributor's name, if given.
    pub name: Option<String>,
    /// log2 of the beacon's SHA-256 iterations (beacons only).
    pub beacon_exp: Option<u8>,
    /// The beacon value (beacons only).
    pub beacon_hash: Option<Vec<u8>>,
}

pub use crate::format::params::KIND_BEACON;

impl Contribution {
    /// A normal (not beacon) contribution with no name, deltaAfter and the proof given.
    pub fn plain(
        delta_after: G1Affine,
        g1_s: G1Affine,
        g1_sx: G1Affine,
        g2_spx: G2Affine,
        transcript: [u8; 64],
    ) -> Contribution {
        Contribution {
            delta_after,
            g1_s,
            g1_sx,
            g2_spx,
            transcript,
            kind: 0,
            name: None,
            beacon_exp: None,
            beacon_hash: None,
        }
    }

    /// The tag-length-value parameter list exactly as snarkjs writes it.
    pub fn params_bytes(&self) -> Vec<u8> {
        params::encode(self.kind, self.name.as_deref(), self.beacon_exp, self.beacon_hash.as_deref())
    }

    /// Appends the record's bytes.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&g1_to_lem(&self.delta_after));
        out.extend_from_slice(&g1_to_lem(&self.g1_s));
        out.extend_from_slice(&g1_to_lem(&self.g1_sx));
        out.extend_from_slice(&g2_to_lem(&self.g2_spx));
        out.extend_from_slice(&self.transcript);
        out.extend_from_slice(&self.kind.to_le_bytes());
        let p = self.params_bytes();
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&p);
    }
}

/// Section 10: the circuit hash and the contributions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpcParams {
    /// The circuit hash of `zkey new`.
    pub cs_hash: [u8; 64],
    /// Contributions, oldest first.
    pub contributions: Vec<Contribution>,
}

impl MpcParams {
    /// The bytes of section 10.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&self.cs_hash);
        b.extend_from_slice(&(self.contributions.len() as u32).to_le_bytes());
        for c in &self.contributions {
            c.write(&mut b);
        }
        b
    }

    /// Parses section 10, checking every point.
    pub fn parse(b: &[u8], at: &Location) -> Result<MpcParams> {
        let short = |i: u64| Error::malformed(at.index(i), "contribution record is truncated");
        if b.len() < 68 {
            return Err(Error::malformed(at.clone(), "section is too short for the circuit hash and count"));
        }
        let cs_hash: [u8; 64] = b[0..64].try_into().expect("64 bytes");
        let n = u32::from_le_bytes(b[64..68].try_into().expect("4 bytes"));
        let mut pos = 68usize;
        let mut contributions = Vec::new();
        for i in 0..n as u64 {
            let fixed = 3 * G1_LEM + G2_LEM + 64 + 8;
            let rec = b.get(pos..pos + fixed).ok_or_else(|| short(i))?;
            let at_i = at.index(i);
            let g1 = |o: usize, what: &str| {
                g1_from_lem(&rec[o..o + G1_LEM])
                    .map_err(|f| Error::malformed(at_i.clone(), format!("contribution {}: {what}: {f}", i + 1)))
            };
            let delta_after = g1(0, "deltaAfter")?;
            let g1_s = g1(64, "g1_s")?;
            let g1_sx = g1(128, "g1_sx")?;
            let g2_spx = g2_from_lem(&rec[192..320])
                .map_err(|f| Error::malformed(at_i.clone(), format!("contribution {}: g2_spx: {f}", i + 1)))?;
            let transcript: [u8; 64] = rec[320..384].try_into().expect("64 bytes");
            let kind = u32::from_le_bytes(rec[384..388].try_into().expect("4 bytes"));
            let plen = u32::from_le_bytes(rec[388..392].try_into().expect("4 bytes")) as usize;
            pos += fixed;
            let params = b.get(pos..pos.saturating_add(plen)).ok_or_else(|| short(i))?;
            pos += plen;
            let mut c = Contribution {
                delta_after,
                g1_s,
                g1_sx,
                g2_spx,
                transcript,
                kind,
                name: None,
                beacon_exp: None,
                beacon_hash: None,
            };
            parse_params(params, &mut c)
                .map_err(|m| Error::malformed(at_i.clone(), format!("contribution {}: {m}", i + 1)))?;
            contributions.push(c);
        }
        if pos != b.len() {
            return Err(Error::malformed(
                at.clone(),
                format!("{} trailing bytes after the contributions", b.len() - pos),
            ));
        }
        Ok(MpcParams { cs_hash, contributions })
    }
}

fn parse_params(p: &[u8], c: &mut Contribution) -> std::result::Result<(), String> {
    let d = params::decode(p, c.kind)?;
    c.name = d.name;
    c.beacon_exp = d.beacon_exp;
    c.beacon_hash = d.beacon_hash;
    Ok(())
}

/// An open `.zkey` with its header and MPC params parsed and every section size checked.
#[derive(Debug)]
pub struct Zkey {
    /// The container.
    pub file: BinFile,
    /// Section 2.
    pub header: Groth16Header,
    /// Section 10.
    pub mpc: MpcParams,
    /// The number of coefficient records of section 4.
    pub n_coeffs: u32,
}

impl Zkey {
    /// Opens a Groth16 zkey and checks its structure.
    pub fn open(path: &Path) -> Result<Zkey> {
        let file = BinFile::open(path, b"zkey")?;
        let at = file.location();
        let h1 = file.read_section(section::HEADER)?;
        if h1.len() != 4 {
            return Err(Error::malformed(at.section(1), format!("section is {} bytes, expected 4", h1.len())));
        }
        let protocol = u32::from_le_bytes(h1[..4].try_into().expect("4 bytes"));
        if protocol != PROTOCOL_GROTH16 {
            return Err(Error::malformed(at.section(1), format!("protocol {protocol} is not Groth16 (1)")));
        }
        let header = Groth16Header::parse(&file.read_section(section::GROTH16)?, &at.section(section::GROTH16))?;
        let nv = header.n_vars as u64;
        let np = header.n_public as u64;
        file.section_sized(section::IC, (np + 1) * G1_LEM as u64)?;
        let coeffs = file.section(section::COEFFS)?;
        let n_coeffs = if coeffs.size >= 4 {
            u32::from_le_bytes(file.read_range(section::COEFFS, 0, 4)?.try_into().expect("4 bytes"))
        } else {
            return Err(Error::malformed(at.section(section::COEFFS), "section is too short"));
        };
        file.section_sized(section::COEFFS, 4 + n_coeffs as u64 * 44)?;
        file.section_sized(section::A, nv * G1_LEM as u64)?;
        file.section_sized(section::B1, nv * G1_LEM as u64)?;
        file.section_sized(section::B2, nv * G2_LEM as u64)?;
        file.section_sized(section::C, (nv - np - 1) * G1_LEM as u64)?;
        file.section_sized(section::H, header.domain_size as u64 * G1_LEM as u64)?;
        let mpc = MpcParams::parse(&file.read_section(section::MPC)?, &at.section(section::MPC))?;
        Ok(Zkey { file, header, mpc, n_coeffs })
    }
}

//! The MPC-parameters file of kobi/phase2-bn254 (bellman), as `snarkjs zkey export bellman`
//! writes it and `zkey bellman contribute` / `zkey import bellman` read it (snarkjs
//! `src/zkey_export_bellman.js`; the reference does not cover it):
//! no sections, the key's six points, six point arrays each behind a big-endian u32 count, then
//! the circuit hash and every contribution's public key. Points are uncompressed big-endian (U);
//! the arrays write the identity as zeros, the single points flag it 0x40.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use ark_bn254::{G1Affine, G2Affine};

use crate::backend::Group;
use crate::error::{Error, Location, PointFault, Result};
use crate::format::points::{g1_from_u, g1_to_u_flagged, g2_from_u_on_curve, g2_to_u_flagged};
use crate::format::subgroup::g2_in_subgroup_many;
use crate::format::zkey::{Contribution, Groth16Header, MpcParams};

/// Bytes of the key's six points (alpha1, beta1, beta2, gamma2, delta1, delta2).
pub const VK_LEN: u64 = 3 * 64 + 3 * 128;
/// Bytes of one contribution's public key (deltaAfter, g1_s, g1_sx, g2_spx, transcript).
pub const CONTRIBUTION_LEN: u64 = 3 * 64 + 128 + 64;

/// One of the six point arrays, in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The public inputs' points (zkey section 3).
    Ic,
    /// τ^i·t(τ)/δ for i < n−1, the monomial form of zkey section 9.
    H,
    /// The private wires' points (zkey section 8).
    L,
    /// zkey section 5.
    A,
    /// zkey section 6.
    B1,
    /// zkey section 7 (G2).
    B2,
}

/// The arrays in the order the file holds them.
pub const PARTS: [Part; 6] = [Part::Ic, Part::H, Part::L, Part::A, Part::B1, Part::B2];

impl Part {
    /// The name snarkjs's messages use.
    pub fn name(self) -> &'static str {
        match self {
            Part::Ic => "IC",
            Part::H => "H",
            Part::L => "L",
            Part::A => "A",
            Part::B1 => "B1",
            Part::B2 => "B2",
        }
    }

    /// The group of its points.
    pub fn group(self) -> Group {
        if self == Part::B2 {
            Group::G2
        } else {
            Group::G1
        }
    }

    /// The zkey section holding the same points.
    pub fn zkey_section(self) -> u32 {
        use crate::format::zkey::section as zs;
        match self {
            Part::Ic => zs::IC,
            Part::H => zs::H,
            Part::L => zs::C,
            Part::A => zs::A,
            Part::B1 => zs::B1,
            Part::B2 => zs::B2,
        }
    }
}

/// The point counts of the six arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// IC: public signals + 1.
    pub ic: u32,
    /// H: the domain size − 1.
    pub h: u32,
    /// L: the private wires.
    pub l: u32,
    /// A, B1 and B2: every wire.
    pub vars: u32,
}

impl Counts {
    /// The counts a zkey with this header exports.
    pub fn of(h: &Groth16Header) -> Counts {
        Counts { ic: h.n_public + 1, h: h.domain_size - 1, l: h.n_vars - h.n_public - 1, vars: h.n_vars }
    }

    /// The points of one array.
    pub fn get(&self, part: Part) -> u32 {
        match part {
            Part::Ic => self.ic,
            Part::H => self.h,
            Part::L => self.l,
            Part::A | Part::B1 | Part::B2 => self.vars,
        }
    }

    /// The points of all six arrays.
    pub fn total_points(&self) -> u64 {
        PARTS.iter().map(|&p| self.get(p) as u64).sum()
    }

    /// Bytes from the start of the file to the circuit hash.
    pub fn points_len(&self) -> u64 {
        VK_LEN + PARTS.iter().map(|&p| 4 + self.get(p) as u64 * p.group().point_size() as u64).sum::<u64>()
    }
}

/// The six points of a header as the file holds them.
pub fn vk_bytes(h: &Groth16Header) -> Vec<u8> {
    let mut b = Vec::with_capacity(VK_LEN as usize);
    b.extend_from_slice(&g1_to_u_flagged(&h.alpha1));
    b.extend_from_slice(&g1_to_u_flagged(&h.beta1));
    b.extend_from_slice(&g2_to_u_flagged(&h.beta2));
    b.extend_from_slice(&g2_to_u_flagged(&h.gamma2));
    b.extend_from_slice(&g1_to_u_flagged(&h.delta1));
    b.extend_from_slice(&g2_to_u_flagged(&h.delta2));
    b
}

/// The tail of the file: the circuit hash, the count and every contribution's public key.
pub fn tail_bytes(mpc: &MpcParams) -> Vec<u8> {
    let mut b = Vec::with_capacity(68 + mpc.contributions.len() * CONTRIBUTION_LEN as usize);
    b.extend_from_slice(&mpc.cs_hash);
    b.extend_from_slice(&(mpc.contributions.len() as u32).to_be_bytes());
    for c in &mpc.contributions {
        b.extend_from_slice(&g1_to_u_flagged(&c.delta_after));
        b.extend_from_slice(&g1_to_u_flagged(&c.g1_s));
        b.extend_from_slice(&g1_to_u_flagged(&c.g1_sx));
        b.extend_from_slice(&g2_to_u_flagged(&c.g2_spx));
        b.extend_from_slice(&c.transcript);
    }
    b
}

/// A G2 point from its U encoding, checked on the curve and in the prime-order subgroup.
fn g2_from_u(b: &[u8]) -> std::result::Result<G2Affine, PointFault> {
    let p = g2_from_u_on_curve(b)?;
    if !g2_in_subgroup_many(&[p])[0] {
        return Err(PointFault::NotInSubgroup);
    }
    Ok(p)
}

/// Array bytes with any identity written flagged (0x40, as bellman writes it) rewritten as zeros
/// (as snarkjs writes it), so that two encodings of the same points compare equal.
pub fn normalized(raw: &[u8], group: Group) -> Vec<u8> {
    let mut b = raw.to_vec();
    for p in b.chunks_mut(group.point_size()) {
        if p[0] & 0x40 != 0 {
            p.fill(0);
        }
    }
    b
}

/// A file read front to back, its errors naming it and the byte or point where they occur.
pub struct MpcReader {
    path: PathBuf,
    at: Location,
    file: BufReader<File>,
    len: u64,
    pos: u64,
}

impl MpcReader {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<MpcReader> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok(MpcReader {
            path: path.to_path_buf(),
            at: Location::file(path.display().to_string()),
            file: BufReader::with_capacity(1 << 20, file),
            len,
            pos: 0,
        })
    }

    /// The file's location, for errors.
    pub fn at(&self) -> &Location {
        &self.at
    }

    /// The file's size in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The next `n` bytes, which hold `what`.
    pub fn bytes(&mut self, n: u64, what: &str) -> Result<Vec<u8>> {
        if self.pos + n > self.len {
            return Err(Error::malformed(
                self.at.clone(),
                format!("the file ends inside {what} (byte {} of {}, {n} more needed)", self.pos, self.len),
            ));
        }
        let mut buf = vec![0u8; n as usize];
        self.file.read_exact(&mut buf).map_err(|e| Error::io(&self.path, e))?;
        self.pos += n;
        Ok(buf)
    }

    /// Skips to byte `pos`.
    pub fn seek(&mut self, pos: u64) -> Result<()> {
        self.file.seek(SeekFrom::Start(pos)).map_err(|e| Error::io(&self.path, e))?;
        self.pos = pos;
        Ok(())
    }

    /// The next point, a G1 point named `what`.
    pub fn g1(&mut self, what: &str) -> Result<G1Affine> {
        let b = self.bytes(64, what)?;
        g1_from_u(&b).map_err(|f| Error::malformed(self.at.clone(), format!("{what}: {f}")))
    }

    /// The next point, a G2 point named `what`, checked in the prime-order subgroup.
    pub fn g2(&mut self, what: &str) -> Result<G2Affine> {
        let b = self.bytes(128, what)?;
        g2_from_u(&b).map_err(|f| Error::malformed(self.at.clone(), format!("{what}: {f}")))
    }

    /// The count in front of `part`; it must be `expected` when given.
    pub fn count(&mut self, part: Part, expected: Option<u32>) -> Result<u32> {
        let b = self.bytes(4, &format!("the count of {}", part.name()))?;
        let n = u32::from_be_bytes(b.try_into().expect("4 bytes"));
        match expected {
            Some(e) if e != n => Err(Error::malformed(
                self.at.clone(),
                format!("invalid number of points in {}: {n}, expected {e}", part.name()),
            )),
            _ => Ok(n),
        }
    }

    /// Reads the counts of all six arrays, skipping their points, and checks that they fit
    /// together (one circuit's key) and leave room for the tail; leaves the reader at the tail.
    pub fn scan_counts(&mut self) -> Result<Counts> {
        self.seek(VK_LEN)?;
        let mut n = [0u32; 6];
        for (i, part) in PARTS.into_iter().enumerate() {
            n[i] = self.count(part, None)?;
            let skip = n[i] as u64 * part.group().point_size() as u64;
            if self.pos + skip > self.len {
                return Err(Error::malformed(
                    self.at.clone(),
                    format!("the file ends inside {} ({} points announced)", part.name(), n[i]),
                ));
            }
            self.seek(self.pos + skip)?;
        }
        let c = Counts { ic: n[0], h: n[1], l: n[2], vars: n[3] };
        let bad = |msg: String| Err(Error::malformed(self.at.clone(), msg));
        if c.ic == 0 || c.ic as u64 + c.l as u64 != c.vars as u64 {
            return bad(format!("IC ({}) and L ({}) do not add up to the wires of A ({})", c.ic, c.l, c.vars));
        }
        if n[4] != c.vars || n[5] != c.vars {
            return bad(format!("A, B1 and B2 hold {}, {} and {} points; they must be equal", c.vars, n[4], n[5]));
        }
        if !(c.h as u64 + 1).is_power_of_two() || c.h >= 1 << 28 {
            return bad(format!("H holds {} points; it must be a power of two ≤ 2^28, less one", c.h));
        }
        Ok(c)
    }

    /// Reads the tail from the current position to the end: the circuit hash and the
    /// contributions' public keys (every point checked).
    pub fn tail(&mut self) -> Result<MpcParams> {
        let cs_hash: [u8; 64] = self.bytes(64, "the circuit hash")?.try_into().expect("64 bytes");
        let n = u32::from_be_bytes(self.bytes(4, "the contribution count")?.try_into().expect("4 bytes"));
        let left = self.len - self.pos;
        if left != n as u64 * CONTRIBUTION_LEN {
            return Err(Error::malformed(
                self.at.clone(),
                format!(
                    "{n} contributions need {} bytes after the count, the file has {left}",
                    n as u64 * CONTRIBUTION_LEN
                ),
            ));
        }
        let mut contributions = Vec::with_capacity(n as usize);
        for i in 1..=n {
            let delta_after = self.g1(&format!("contribution {i}: deltaAfter"))?;
            let g1_s = self.g1(&format!("contribution {i}: g1_s"))?;
            let g1_sx = self.g1(&format!("contribution {i}: g1_sx"))?;
            let g2_spx = self.g2(&format!("contribution {i}: g2_spx"))?;
            let transcript: [u8; 64] = self.bytes(64, "a transcript")?.try_into().expect("64 bytes");
            contributions.push(Contribution::plain(delta_after, g1_s, g1_sx, g2_spx, transcript));
        }
        Ok(MpcParams { cs_hash, contributions })
    }

    /// Decodes `raw`, points `first..` of G1 array `part`, checking each on the curve.
    pub fn g1_points(&self, raw: &[u8], part: Part, first: u64) -> Result<Vec<G1Affine>> {
        use rayon::prelude::*;
        raw.par_chunks(64)
            .enumerate()
            .map(|(i, b)| {
                g1_from_u(b).map_err(|f| {
                    Error::malformed(
                        self.at.index(first + i as u64),
                        format!("{} point {}: {f}", part.name(), first + i as u64),
                    )
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn the_tail_round_trips_and_its_length_is_checked() {
        let g1 = G1Affine::generator();
        let c = Contribution::plain(g1, g1, G1Affine::identity(), G2Affine::generator(), [7; 64]);
        let mpc = MpcParams { cs_hash: [3; 64], contributions: vec![c.clone(), c] };
        let bytes = tail_bytes(&mpc);
        assert_eq!(bytes.len() as u64, 68 + 2 * CONTRIBUTION_LEN);
        // The identity is flagged, as ffjavascript's toRprUncompressed writes it.
        assert_eq!(bytes[68 + 128], 0x40);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tail");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(MpcReader::open(&path).unwrap().tail().unwrap(), mpc);
        std::fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        let e = MpcReader::open(&path).unwrap().tail().unwrap_err().to_string();
        assert!(e.contains("2 contributions need 768 bytes after the count, the file has 767"), "{e}");
        let mut bad = bytes.clone();
        bad[68 + 64 + 63] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let e = MpcReader::open(&path).unwrap().tail().unwrap_err().to_string();
        assert!(e.contains("contribution 1: g1_s: point is not on the curve"), "{e}");
    }
}

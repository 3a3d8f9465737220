//! Challenge and response files (reference §3.8): the Perpetual Powers of Tau / snarkjs
//! `export challenge`, `challenge contribute` and `import response` formats. A challenge is the
//! previous response hash and every point uncompressed (big-endian); a response is the challenge
//! hash, every new point compressed, and the contributor's public key.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use blake2::Digest;
use zeroize::Zeroizing;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ff::{Field, One};
use rayon::prelude::*;

use super::hashes::{encode_points, first_challenge_hash};
use super::keys::create_key;
use super::new::header_bytes;
use super::point_sections;
use super::verify::response_hash;
use crate::backend::{Backend, Group, PointChunk};
use crate::crypto::blake::{blake2b, Blake2b512};
use crate::crypto::blake2b_state::NobleBlake2b;
use crate::crypto::chacha::ChaChaRng;
use crate::error::{Error, Location, PointFault, Result};
use crate::format::atomic::AtomicFile;
use crate::format::binfile::BinWriter;
use crate::format::params::Params;
use crate::format::points::{
    g1_from_c, g1_from_lem_unchecked, g1_from_u, g1_to_lem, g2_from_c_on_curve, g2_from_lem_on_curve,
    g2_from_u_on_curve, g2_to_lem,
};
use crate::format::ptau::{contributions_to_bytes, section, KeyPart, Ptau, PtauContribution, PtauKey};
use crate::format::subgroup::{g2_first_outside, g2_in_subgroup_many};

/// The power of a challenge file of `len` bytes (384·2^P + 128), if it is one.
pub fn challenge_power(len: u64) -> Option<u32> {
    let n = len.checked_sub(128)? / 384;
    (len == 384 * n + 128 && n.is_power_of_two()).then(|| n.trailing_zeros())
}

/// The byte size of a response file for 2^power.
pub fn response_len(power: u32) -> u64 {
    let n = 1u64 << power;
    64 + (2 * n - 1) * 32 + n * 64 + 2 * n * 32 + 64 + 768
}

/// The name of the part of a challenge or response that holds the points of ptau section `sec`.
fn part_name(sec: u32) -> &'static str {
    match sec {
        section::TAU_G1 => "tauG1",
        section::TAU_G2 => "tauG2",
        section::ALPHA_TAU_G1 => "alphaTauG1",
        section::BETA_TAU_G1 => "betaTauG1",
        _ => "betaG2",
    }
}

/// Point `i` of a part of a challenge or response file (which has no sections) is bad.
fn bad(at: &Location, part: &str, i: usize, fault: PointFault) -> Error {
    Error::malformed(at.index(i as u64), format!("{part}: {fault}"))
}

/// Decodes points `first..` of part `part` with `decode`, checking G2 points in the subgroup,
/// into LEM bytes.
fn to_lem(
    raw: &[u8],
    group: Group,
    size: usize,
    (at, part, first): (&Location, &str, usize),
    decode: fn(&[u8], Group) -> Result<Lem, PointFault>,
) -> Result<Vec<u8>> {
    let pts = raw
        .par_chunks(size)
        .enumerate()
        .map(|(i, b)| decode(b, group).map_err(|f| bad(at, part, first + i, f)))
        .collect::<Result<Vec<Lem>>>()?;
    if group == Group::G2 {
        let g2: Vec<G2Affine> =
            pts.iter().map(|p| if let Lem::G2(q) = p { *q } else { G2Affine::identity() }).collect();
        if let Some(i) = g2_first_outside(&g2) {
            return Err(bad(at, part, first + i, PointFault::NotInSubgroup));
        }
    }
    Ok(pts.par_iter().flat_map_iter(|p| p.lem()).collect())
}

/// A decoded point of either group.
enum Lem {
    G1(G1Affine),
    G2(G2Affine),
}

impl Lem {
    fn lem(&self) -> Vec<u8> {
        match self {
            Lem::G1(p) => g1_to_lem(p).to_vec(),
            Lem::G2(p) => g2_to_lem(p).to_vec(),
        }
    }
}

fn from_u(b: &[u8], g: Group) -> Result<Lem, PointFault> {
    Ok(match g {
        Group::G1 => Lem::G1(g1_from_u(b)?),
        Group::G2 => Lem::G2(g2_from_u_on_curve(b)?),
    })
}

fn from_c(b: &[u8], g: Group) -> Result<Lem, PointFault> {
    Ok(match g {
        Group::G1 => Lem::G1(g1_from_c(b)?),
        Group::G2 => Lem::G2(g2_from_c_on_curve(b)?),
    })
}

/// Points per read of a challenge, a response or a ptau section while streaming one into another.
const STREAM_POINTS: usize = 1 << 16;

/// A file read front to back, its I/O errors naming it.
struct Input<'a> {
    path: &'a Path,
    file: BufReader<File>,
}

impl<'a> Input<'a> {
    fn open(path: &'a Path) -> Result<(Input<'a>, u64)> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
        Ok((Input { path, file: BufReader::with_capacity(1 << 20, file) }, len))
    }

    /// The next `n` bytes.
    fn take(&mut self, n: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; n];
        self.file.read_exact(&mut buf).map_err(|e| Error::io(self.path, e))?;
        Ok(buf)
    }

    /// Back to byte `offset`.
    fn rewind_to(&mut self, offset: u64) -> Result<()> {
        self.file.seek(SeekFrom::Start(offset)).map(drop).map_err(|e| Error::io(self.path, e))
    }
}

/// An output file with a running Blake2b of everything written to it.
struct HashedOutput {
    file: AtomicFile,
    hash: Blake2b512,
}

impl HashedOutput {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hash.update(bytes);
        self.file.write_all(bytes)
    }
}

/// `export challenge`: writes the challenge of the ptau's next contribution; returns its hash.
pub fn export_challenge(ptau_path: &Path, out: &Path) -> Result<[u8; 64]> {
    let ptau = Ptau::open(ptau_path)?;
    let cs = ptau.contributions()?;
    let (prev_response, expected) = match cs.last() {
        Some(c) => (response_hash(c)?, c.next_challenge),
        None => (blake2b(&[]), first_challenge_hash(ptau.power)),
    };
    let mut file = HashedOutput { file: AtomicFile::create(out)?, hash: Blake2b512::new() };
    file.write(&prev_response)?;
    for (sec, group, n) in point_sections(ptau.power) {
        for start in (0..n).step_by(STREAM_POINTS) {
            let m = STREAM_POINTS.min(n - start);
            let raw = ptau.points_raw(sec, start as u64, m as u64)?;
            crate::phase1::contribute::check_points(&raw, group, &ptau, sec, start as u64)?;
            file.write(&encode_points(&raw, group, false))?;
        }
    }
    let hash: [u8; 64] = file.hash.finalize().into();
    if hash != expected {
        return Err(Error::Invalid(format!(
            "{}: the points do not hash to the last contribution's next challenge (the ptau file is corrupted)",
            ptau_path.display()
        )));
    }
    file.file.commit()?;
    Ok(hash)
}

/// `challenge contribute`: reads a challenge, writes the response; returns the response hash.
pub fn challenge_contribute(
    challenge: &Path,
    response: &Path,
    rng: &mut ChaChaRng,
    backend: &dyn Backend,
) -> Result<[u8; 64]> {
    let (mut input, len) = Input::open(challenge)?;
    let at = Location::file(challenge.display().to_string());
    let power = challenge_power(len).filter(|p| (1..=28).contains(p)).ok_or_else(|| {
        Error::malformed(at.clone(), format!("{len} bytes is not the size of a challenge (384·2^P + 128)"))
    })?;
    // Two passes: the key is drawn against the hash of the whole challenge, then the points are
    // read again, scaled and written; the second pass hashes them again so that a file changed in
    // between cannot yield a response to a challenge it does not answer.
    let mut first_pass = Blake2b512::new();
    let mut left = len;
    while left > 0 {
        let n = left.min(16 << 20);
        first_pass.update(input.take(n as usize)?);
        left -= n;
    }
    let challenge_hash: [u8; 64] = first_pass.finalize().into();
    let secrets = create_key(&challenge_hash, rng);
    input.rewind_to(0)?;
    let mut second_pass = Blake2b512::new();
    second_pass.update(input.take(64)?);
    let mut out = HashedOutput { file: AtomicFile::create(response)?, hash: Blake2b512::new() };
    out.write(&challenge_hash)?;
    let one = Fr::one();
    let firsts = [&one, &one, &*secrets.alpha, &*secrets.beta, &*secrets.beta];
    let per_call = backend.chunk_points().max(1);
    for ((sec, group, n), first) in point_sections(power).into_iter().zip(firsts) {
        let size = group.point_size();
        // The running power first·τ^start: as secret as τ.
        let mut t = Zeroizing::new(*first);
        for start in (0..n).step_by(per_call) {
            let m = per_call.min(n - start);
            let raw = input.take(m * size)?;
            second_pass.update(&raw);
            let mut lem = to_lem(&raw, group, size, (&at, part_name(sec), start), from_u)?;
            backend.scale_powers(PointChunk { group, bytes: &mut lem }, &t, &secrets.tau)?;
            *t *= secrets.tau.pow([m as u64]);
            out.write(&encode_points(&lem, group, true))?;
        }
    }
    if <[u8; 64]>::from(second_pass.finalize()) != challenge_hash {
        return Err(Error::Invalid(format!("{}: the challenge changed while it was being read", challenge.display())));
    }
    out.write(&secrets.key.to_u())?;
    drop(secrets);
    let hash = out.hash.finalize().into();
    out.file.commit()?;
    Ok(hash)
}

/// What importing a response did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The response hash.
    pub response_hash: [u8; 64],
    /// The next challenge.
    pub next_challenge: [u8; 64],
}

/// `import response`: applies a response file to `old`, writing `new` with the new record.
pub fn import_response(old: &Path, response: &Path, new: &Path, name: Option<&str>) -> Result<Imported> {
    let ptau = Ptau::open(old)?;
    let mut cs = ptau.contributions()?;
    let (mut input, len) = Input::open(response)?;
    let at = Location::file(response.display().to_string());
    if len != response_len(ptau.power) {
        return Err(Error::malformed(
            at,
            format!(
                "size of the contribution is invalid: {len} bytes, expected {} for power {}",
                response_len(ptau.power),
                ptau.power
            ),
        ));
    }
    let mut last = match cs.last() {
        Some(c) => c.next_challenge,
        None => first_challenge_hash(ptau.power),
    };
    let prev: [u8; 64] = input.take(64)?.try_into().expect("64 bytes");
    if last == [0xff; 64] {
        // A record imported without points: adopt the response's challenge (as snarkjs does).
        last = prev;
        if let Some(c) = cs.last_mut() {
            c.next_challenge = prev;
        }
    }
    if prev != last {
        return Err(Error::Invalid("wrong contribution: this response is not based on the current challenge".into()));
    }
    // First pass: the response hash and its partial state, in snarkjs's update sizes.
    let mut hasher = NobleBlake2b::new();
    hasher.update(&prev);
    for (_, group, n) in point_sections(ptau.power) {
        let (size, csize) = (group.point_size(), group.point_size() / 2);
        // snarkjs feeds the hasher 2^24 bytes' worth of uncompressed points per update.
        let per = (1usize << 24) / size;
        for start in (0..n).step_by(per) {
            hasher.update(&input.take(per.min(n - start) * csize)?);
        }
    }
    let partial_hash = hasher.to_partial();
    let kb = input.take(768)?;
    let bad_key = |what: &str, f: PointFault| Error::malformed(at.clone(), format!("public key {what}: {f}"));
    let g1 = |o: usize, what: &str| g1_from_u(&kb[o..o + 64]).map_err(|f| bad_key(what, f));
    let g2 = |o: usize, what: &str| {
        let p = g2_from_u_on_curve(&kb[o..o + 128]).map_err(|f| bad_key(what, f))?;
        if !g2_in_subgroup_many(&[p])[0] {
            return Err(bad_key(what, PointFault::NotInSubgroup));
        }
        Ok(p)
    };
    let part = |k: usize, name: &str| -> Result<KeyPart> {
        Ok(KeyPart {
            g1_s: g1(k * 128, &format!("{name}.g1_s"))?,
            g1_sx: g1(k * 128 + 64, &format!("{name}.g1_sx"))?,
            g2_spx: g2(384 + k * 128, &format!("{name}.g2_spx"))?,
        })
    };
    let key = PtauKey { tau: part(0, "tau")?, alpha: part(1, "alpha")?, beta: part(2, "beta")? };
    hasher.update(&kb);
    let response_hash = hasher.finalize();

    // Second pass: decode the points into the new ptau, hashing the next challenge on the way and
    // the response again (a file changed in between must not be imported under the first hash).
    input.rewind_to(64)?;
    let mut again = Blake2b512::new();
    again.update(prev);
    let mut next = NobleBlake2b::new();
    next.update(&response_hash);
    let mut w = BinWriter::create(new, b"ptau", 7)?;
    w.section(section::HEADER, &header_bytes(ptau.power, ptau.power))?;
    let mut heads = Vec::new();
    for (sec, group, n) in point_sections(ptau.power) {
        let (size, csize) = (group.point_size(), group.point_size() / 2);
        w.begin_section(sec, (n * size) as u64)?;
        for start in (0..n).step_by(STREAM_POINTS) {
            let raw = input.take(STREAM_POINTS.min(n - start) * csize)?;
            again.update(&raw);
            let lem = to_lem(&raw, group, csize, (&at, part_name(sec), start), from_c)?;
            next.update(&encode_points(&lem, group, false));
            if start == 0 {
                heads.push(lem[..(2 * size).min(lem.len())].to_vec());
            }
            w.write(&lem)?;
        }
    }
    again.update(&kb);
    if <[u8; 64]>::from(again.finalize()) != response_hash {
        return Err(Error::Invalid(format!("{}: the response changed while it was being read", response.display())));
    }
    let next_challenge = next.finalize();
    cs.push(PtauContribution {
        tau_g1: g1_from_lem_unchecked(&heads[0][64..128]).unwrap_or_default(),
        tau_g2: g2_from_lem_on_curve(&heads[1][128..256]).unwrap_or_default(),
        alpha_g1: g1_from_lem_unchecked(&heads[2][..64]).unwrap_or_default(),
        beta_g1: g1_from_lem_unchecked(&heads[3][..64]).unwrap_or_default(),
        beta_g2: g2_from_lem_on_curve(&heads[4][..128]).unwrap_or_default(),
        key,
        partial_hash,
        next_challenge,
        kind: 0,
        params: Params { name: name.map(str::to_string), ..Params::default() },
    });
    w.section(section::CONTRIBUTIONS, &contributions_to_bytes(&cs))?;
    w.finish()?;
    Ok(Imported { response_hash, next_challenge })
}

//! Tamper corpus for `zkey verify`: a valid chain on the small circuit (`zkey new` by tauforge,
//! a snarkjs contribution, a tauforge contribution, a tauforge beacon) is altered in one place at
//! a time so that the file stays well-formed (every point valid, every size right) but is no
//! longer a valid key. tauforge must answer exit code 1 with a specific `tauforge: INVALID:`
//! message, and snarkjs 0.7.6 must reject the same file.
//!
//! Sections are located through the section table (`BinFile`), never by fixed offsets: `zkey new`
//! writes them in the order 1,2,4,3,9,8,5,6,7,10 and contribute/beacon in the order 1..10.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use ark_bn254::{Fr, G1Affine, G2Affine};
use ark_ec::{AffineRepr, CurveGroup};
use common::{fixture, run_ok, snarkjs, tauforge, tempdir};
use tauforge::format::binfile::{BinFile, BinWriter, SectionRef};
use tauforge::format::points::{g1_to_lem, g2_to_lem, G1_LEM, G2_LEM};
use tauforge::format::zkey::{section as zs, MpcParams, Zkey};

/// Offsets in section 2 (reference §4.2.1).
const DELTA1_OFFSET: u64 = 468;
const DELTA2_OFFSET: u64 = 532;
/// Offsets inside a section-10 contribution record (reference §4.2.3).
const REC_G1_SX: u64 = 128;
const REC_G2_SPX: u64 = 192;
const REC_FIXED: u64 = 392;
const BEACON_HEX: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
/// Bytes of the beacon value.
const BEACON_LEN: u64 = BEACON_HEX.len() as u64 / 2;

/// The valid files every variant starts from, built once per test binary.
struct Chain {
    /// small.r1cs + pot10: new → snarkjs contribute → tauforge contribute → tauforge beacon.
    final_zkey: Vec<u8>,
    /// Its section table.
    sections: BTreeMap<u32, SectionRef>,
    /// Its section-10 contribution records: (offset in section 10, length).
    records: Vec<(u64, u64)>,
    /// `zkey new` of merkle.r1cs with pot12 (another circuit).
    merkle_zkey: Vec<u8>,
}

fn small_r1cs() -> PathBuf {
    fixture("circuits/small.r1cs")
}

fn pot10() -> PathBuf {
    fixture("pot10_final.ptau")
}

fn pot12() -> PathBuf {
    fixture("pot12_final.ptau")
}

fn chain() -> &'static Chain {
    static CHAIN: OnceLock<Chain> = OnceLock::new();
    CHAIN.get_or_init(build_chain)
}

fn build_chain() -> Chain {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["--quiet", "zkey", "new"]).args([small_r1cs(), pot10(), p("s0.zkey")]));
    run_ok(
        snarkjs()
            .args(["zkey", "contribute"])
            .args([p("s0.zkey"), p("s1.zkey")])
            .args(["-n=snarkjs contributor", "-e=tamper corpus entropy 1"]),
    );
    run_ok(tauforge().args(["--quiet", "zkey", "contribute"]).args([p("s1.zkey"), p("s2.zkey")]).args([
        "-n",
        "tauforge contributor",
        "-e",
        "tamper corpus entropy 2",
    ]));
    run_ok(tauforge().args(["--quiet", "zkey", "beacon"]).args([p("s2.zkey"), p("s3.zkey")]).args([
        BEACON_HEX,
        "10",
        "-n",
        "final beacon",
    ]));
    run_ok(tauforge().args(["--quiet", "zkey", "new"]).args([fixture("circuits/merkle.r1cs"), pot12(), p("m0.zkey")]));

    let bf = BinFile::open(&p("s3.zkey"), b"zkey").expect("open the final zkey");
    let sections: BTreeMap<u32, SectionRef> =
        (1..=10).map(|id| (id, bf.section(id).expect("section present"))).collect();
    let mpc = bf.read_section(zs::MPC).expect("section 10");
    let n = u32::from_le_bytes(mpc[64..68].try_into().unwrap());
    assert_eq!(n, 3, "the chain has three contributions");
    let mut records = Vec::new();
    let mut pos = 68u64;
    for _ in 0..n {
        let o = (pos + 388) as usize;
        let plen = u32::from_le_bytes(mpc[o..o + 4].try_into().unwrap()) as u64;
        records.push((pos, REC_FIXED + plen));
        pos += REC_FIXED + plen;
    }
    assert_eq!(pos, mpc.len() as u64);
    Chain {
        final_zkey: std::fs::read(p("s3.zkey")).unwrap(),
        sections,
        records,
        merkle_zkey: std::fs::read(p("m0.zkey")).unwrap(),
    }
}

fn g1_point(k: u64) -> G1Affine {
    (G1Affine::generator() * Fr::from(k)).into_affine()
}

/// LEM bytes of k·g1.
fn g1_lem(k: u64) -> [u8; 64] {
    g1_to_lem(&g1_point(k))
}

fn g2_point(k: u64) -> G2Affine {
    (G2Affine::generator() * Fr::from(k)).into_affine()
}

/// A copy of the final zkey with `bytes` written at `offset` inside section `id`.
fn patched(id: u32, offset: u64, bytes: &[u8]) -> Vec<u8> {
    let c = chain();
    let s = c.sections[&id];
    assert!(offset + bytes.len() as u64 <= s.size, "patch inside section {id}");
    let mut z = c.final_zkey.clone();
    let at = (s.offset + offset) as usize;
    assert_ne!(&z[at..at + bytes.len()], bytes, "the patch must change the file");
    z[at..at + bytes.len()].copy_from_slice(bytes);
    z
}

/// The byte at `offset` inside section `id` of the final zkey.
fn byte_at(id: u32, offset: u64) -> u8 {
    let c = chain();
    c.final_zkey[(c.sections[&id].offset + offset) as usize]
}

/// Offset inside section 10 of field `field` of contribution record `i` (0-based).
fn record_field(i: usize, field: u64) -> u64 {
    chain().records[i].0 + field
}

/// The final zkey with its section 10 replaced by `edit(mpc)`, rewritten through the library
/// (same section order as the input).
fn rewritten_mpc(dir: &Path, edit: impl FnOnce(&mut MpcParams)) -> Vec<u8> {
    let src = dir.join("source.zkey");
    std::fs::write(&src, &chain().final_zkey).unwrap();
    let z = Zkey::open(&src).expect("the final zkey opens");
    assert_eq!(
        z.mpc.to_bytes(),
        z.file.read_section(zs::MPC).unwrap(),
        "MpcParams round-trips section 10 byte for byte"
    );
    let mut mpc = z.mpc.clone();
    edit(&mut mpc);
    let out = dir.join("rewritten.zkey");
    let mut w = BinWriter::create(&out, b"zkey", z.file.declared_sections).unwrap();
    for &id in &z.file.order {
        if id == zs::MPC {
            w.section(id, &mpc.to_bytes()).unwrap();
        } else {
            w.section(id, &z.file.read_section(id).unwrap()).unwrap();
        }
    }
    w.finish().unwrap();
    std::fs::read(&out).unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn tauforge_verify(r1cs: &Path, ptau: &Path, zkey: &Path) -> Output {
    tauforge().args(["--quiet", "zkey", "verify"]).args([r1cs, ptau, zkey]).output().expect("run tauforge")
}

fn snarkjs_verify(r1cs: &Path, ptau: &Path, zkey: &Path) -> Output {
    snarkjs().args(["zkey", "verify"]).args([r1cs, ptau, zkey]).output().expect("run snarkjs")
}

/// Whether snarkjs accepted the zkey.
fn snarkjs_accepts(o: &Output) -> bool {
    o.status.success() && text(&o.stdout).contains("ZKey Ok!")
}

/// Writes `zkey` and asserts tauforge says INVALID (exit 1) with `needle` in its message, and
/// (unless `snarkjs_too` is false) that snarkjs rejects it as well.
fn expect_invalid(name: &str, zkey: &[u8], r1cs: &Path, ptau: &Path, needle: &str, snarkjs_too: bool) {
    let dir = tempdir();
    let path = dir.path().join(format!("{name}.zkey"));
    std::fs::write(&path, zkey).unwrap();
    let o = tauforge_verify(r1cs, ptau, &path);
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    let ctx = format!("variant {name}: exit {:?}\n--- stdout ---\n{out}\n--- stderr ---\n{err}", o.status.code());
    assert!(!err.contains("panicked"), "tauforge panicked; {ctx}");
    assert_eq!(o.status.code(), Some(1), "tauforge must say INVALID (exit 1); {ctx}");
    // Graphics drivers probed for a GPU may print their own lines first.
    assert!(err.lines().any(|l| l.starts_with("tauforge: INVALID:")), "{ctx}");
    assert!(err.contains(needle), "stderr must contain {needle:?}; {ctx}");
    assert!(!out.contains("ZKey Ok!"), "{ctx}");
    if snarkjs_too {
        let s = snarkjs_verify(r1cs, ptau, &path);
        assert!(
            !snarkjs_accepts(&s),
            "snarkjs accepted tampered variant {name}:\n{}\n{}",
            text(&s.stdout),
            text(&s.stderr)
        );
    }
}

/// The tampered zkey against the circuit and ptau of the chain.
fn expect_invalid_small(name: &str, zkey: &[u8], needle: &str) {
    expect_invalid(name, zkey, &small_r1cs(), &pot10(), needle, true);
}

#[test]
fn untampered_chain_verifies_with_both_tools() {
    let dir = tempdir();
    let path = dir.path().join("final.zkey");
    std::fs::write(&path, &chain().final_zkey).unwrap();
    let o = tauforge_verify(&small_r1cs(), &pot10(), &path);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("ZKey Ok!"));
    let s = snarkjs_verify(&small_r1cs(), &pot10(), &path);
    assert!(snarkjs_accepts(&s), "{}", text(&s.stdout));
    let b = BinFile::open(&path, b"zkey").unwrap();
    assert_eq!(b.order, (1..=10).collect::<Vec<_>>(), "beacon output order");
}

#[test]
fn l_point_replaced_by_another_valid_point() {
    let z = patched(zs::C, 5 * G1_LEM as u64, &g1_lem(12345));
    expect_invalid_small("l_point", &z, "L section (section 8) does not match");
}

#[test]
fn h_point_replaced_by_another_valid_point() {
    let z = patched(zs::H, 17 * G1_LEM as u64, &g1_lem(54321));
    expect_invalid_small("h_point", &z, "H section (section 9) does not match");
}

#[test]
fn delta1_replaced_by_another_valid_point() {
    let z = patched(zs::GROTH16, DELTA1_OFFSET, &g1_lem(777));
    expect_invalid_small("delta1", &z, "delta1 does not match the last contribution's deltaAfter");
}

#[test]
fn delta2_replaced_by_another_valid_point() {
    let z = patched(zs::GROTH16, DELTA2_OFFSET, &g2_to_lem(&g2_point(777)));
    assert_eq!(G2_LEM, 128);
    expect_invalid_small("delta2", &z, "delta2 is not consistent with delta1");
}

#[test]
fn contribution_g1_sx_replaced_by_another_valid_point() {
    // The tauforge contribution (#2); its transcript no longer matches its key.
    let z = patched(zs::MPC, record_field(1, REC_G1_SX), &g1_lem(999));
    expect_invalid_small("g1_sx_2", &z, "contribution #2: inconsistent transcript");
    // The snarkjs contribution (#1).
    let z = patched(zs::MPC, record_field(0, REC_G1_SX), &g1_lem(998));
    expect_invalid_small("g1_sx_1", &z, "contribution #1: inconsistent transcript");
}

#[test]
fn contribution_g2_spx_replaced_by_another_valid_point() {
    let z = patched(zs::MPC, record_field(1, REC_G2_SPX), &g2_to_lem(&g2_point(31337)));
    expect_invalid_small("g2_spx_2", &z, "contribution #2: public key G1 and G2 do not have the same ratio");
}

#[test]
fn contribution_delta_after_replaced_by_another_valid_point() {
    let z = patched(zs::MPC, record_field(0, 0), &g1_lem(4242));
    expect_invalid_small("delta_after_1", &z, "contribution #1: deltaAfter does not follow the public key");
}

#[test]
fn beacon_parameters_changed() {
    let (rec, len) = chain().records[2];
    // params = 01 len "final beacon" 02 exp 03 len <beacon>: the record ends with the beacon.
    let exp_at = rec + len - BEACON_LEN - 3;
    assert_eq!(byte_at(zs::MPC, exp_at), 10, "the beacon's iterations exponent");
    let z = patched(zs::MPC, exp_at, &[11]);
    expect_invalid_small("beacon_exp", &z, "contribution #3: key of the beacon does not match (g1_s)");
    let z = patched(zs::MPC, rec + len - 1, &[0x21]);
    expect_invalid_small("beacon_hash", &z, "contribution #3: key of the beacon does not match (g1_s)");
}

#[test]
fn beacon_exponent_out_of_range_is_invalid_not_a_panic() {
    // snarkjs would spend 2^40 and more SHA-256 rounds on this (its exponent arithmetic wraps),
    // so only tauforge is run: it must refuse the exponent instead of panicking or hanging.
    let (rec, len) = chain().records[2];
    let exp_at = rec + len - BEACON_LEN - 3;
    assert_eq!(byte_at(zs::MPC, exp_at), 10, "the beacon's iterations exponent");
    let z = patched(zs::MPC, exp_at, &[200]);
    expect_invalid(
        "beacon_exp_200",
        &z,
        &small_r1cs(),
        &pot10(),
        "contribution #3: beacon iterations exponent 200",
        false,
    );
}

#[test]
fn circuit_hash_changed() {
    let z = patched(zs::MPC, 0, &[byte_at(zs::MPC, 0) ^ 1]);
    expect_invalid_small("cs_hash", &z, "circuit does not match");
}

#[test]
fn ic_point_replaced_by_another_valid_point() {
    let z = patched(zs::IC, G1_LEM as u64, &g1_lem(3));
    expect_invalid_small("ic_point", &z, "IC section (section 3) is not identical");
}

#[test]
fn middle_contribution_removed() {
    let dir = tempdir();
    let z = rewritten_mpc(dir.path(), |m| {
        m.contributions.remove(1);
    });
    // The beacon (now #2) was chained on the removed record's public key.
    expect_invalid_small("removed_middle", &z, "contribution #2: inconsistent transcript");
}

#[test]
fn last_contribution_removed() {
    let dir = tempdir();
    let z = rewritten_mpc(dir.path(), |m| {
        m.contributions.pop();
    });
    // The remaining chain is valid, but delta1 is the removed beacon's deltaAfter.
    expect_invalid_small("removed_last", &z, "delta1 does not match the last contribution's deltaAfter");
}

#[test]
fn first_contribution_removed() {
    let dir = tempdir();
    let z = rewritten_mpc(dir.path(), |m| {
        m.contributions.remove(0);
    });
    expect_invalid_small("removed_first", &z, "contribution #1: inconsistent transcript");
}

#[test]
fn two_contributions_swapped() {
    let dir = tempdir();
    let z = rewritten_mpc(dir.path(), |m| m.contributions.swap(0, 1));
    expect_invalid_small("swapped_1_2", &z, "contribution #1: inconsistent transcript");
    let z = rewritten_mpc(dir.path(), |m| m.contributions.swap(1, 2));
    expect_invalid_small("swapped_2_3", &z, "contribution #2: inconsistent transcript");
}

#[test]
fn zkey_of_another_circuit() {
    // merkle's zkey (made with pot12) checked against small.r1cs with the same ptau, and with
    // the ptau of the small chain.
    let z = &chain().merkle_zkey;
    expect_invalid("merkle_vs_small_pot12", z, &small_r1cs(), &pot12(), "different circuit parameters", true);
    expect_invalid("merkle_vs_small_pot10", z, &small_r1cs(), &pot10(), "different circuit parameters", true);
}

#[test]
fn wrong_ptau() {
    // small's chain started from pot10; pot12 fits the circuit too but has other alpha, beta.
    expect_invalid(
        "small_vs_pot12",
        &chain().final_zkey,
        &small_r1cs(),
        &pot12(),
        "alpha1 does not match the ptau",
        true,
    );
}

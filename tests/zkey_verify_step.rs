//! `zkey verify-step <previous> <next>`: accepts every honest step of a mixed snarkjs/tauforge
//! chain (contributions and a beacon) and rejects each kind of bad step with its own reason.

mod common;

use std::path::{Path, PathBuf};

use ark_ec::{AffineRepr, CurveGroup};
use common::step::{accepts, rejects};
use common::{fixture, run_ok, snarkjs, tauforge, tempdir};
use tauforge::format::binfile::BinFile;
use tauforge::format::points::{g1_from_lem, g1_to_lem};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Offsets in section 2 (reference §4.2.1).
const H_DELTA1: u64 = 468;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of `src` with the first G1 point that is not the identity, at or after `offset` of
/// section `id`, replaced by its double.
fn with_doubled_point(src: &Path, dst: PathBuf, id: u32, offset: u64) -> PathBuf {
    let bf = BinFile::open(src, b"zkey").unwrap();
    let sec = bf.sections[&id][0];
    let mut bytes = std::fs::read(src).unwrap();
    let mut at = (sec.offset + offset) as usize;
    let p = loop {
        assert!(at + 64 <= (sec.offset + sec.size) as usize, "section {id} has no point to change");
        let p = g1_from_lem(&bytes[at..at + 64]).unwrap();
        if !p.is_zero() {
            break p;
        }
        at += 64;
    };
    bytes[at..at + 64].copy_from_slice(&g1_to_lem(&(p + p).into_affine()));
    std::fs::write(&dst, bytes).unwrap();
    dst
}

#[test]
fn accepts_honest_steps_and_rejects_each_bad_one() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/small.r1cs"), fixture("pot10_final.ptau"));
    let z: Vec<PathBuf> = (0..5).map(|i| p(&format!("z{i}.zkey"))).collect();
    run_ok(tauforge().args(["-q", "zkey", "new", s(&r1cs), s(&ptau), s(&z[0])]));
    run_ok(snarkjs().args(["zkey", "contribute", s(&z[0]), s(&z[1]), "--name=one (snarkjs)", "-e=one"]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&z[1]), s(&z[2]), "-n", "two (tauforge)", "-e", "two"]));
    run_ok(snarkjs().args(["zkey", "contribute", s(&z[2]), s(&z[3]), "--name=three (snarkjs)", "-e=three"]));
    run_ok(tauforge().args(["-q", "zkey", "beacon", s(&z[3]), s(&z[4]), BEACON, "10", "-n", "beacon"]));

    // Every honest step, on the CPU.
    for w in z.windows(2) {
        accepts("zkey", &w[0], &w[1]);
    }
    let out = accepts("zkey", &z[3], &z[4]);
    assert!(out.contains("contribution #4 beacon:") && out.contains("on top of #3"), "{out}");
    // The JSON summary names the new contribution.
    let j = run_ok(tauforge().args(["--json", "zkey", "verify-step", s(&z[1]), s(&z[2])]));
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j["valid"], true);
    assert_eq!(j["step"]["contribution"]["index"], 2);
    assert_eq!(j["step"]["previous_contributions"], 1);

    // Stale parent: built on z1 while the head is z2.
    let stale = p("stale.zkey");
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&z[1]), s(&stale), "-e", "late"]));
    accepts("zkey", &z[1], &stale);
    rejects("zkey", &z[2], &stale, "stale parent");
    // Chained from contribution 0.
    let from0 = p("from0.zkey");
    run_ok(snarkjs().args(["zkey", "contribute", s(&z[0]), s(&from0), "--name=from zero", "-e=zero"]));
    rejects("zkey", &z[2], &from0, "chained from the initial zkey");
    // Two new contributions at once.
    rejects("zkey", &z[1], &z[3], "2 new contributions");
    // Nothing new; and backwards.
    rejects("zkey", &z[2], &z[2], "no new contribution");
    rejects("zkey", &z[2], &z[1], "older than the previous one");
    // A fork: z2 and the stale contribution share only #1.
    rejects("zkey", &stale, &z[3], "contribution record #2 differs");

    // Tampered points of the new key.
    let l = with_doubled_point(&z[2], p("l.zkey"), 8, 64 * 3);
    rejects("zkey", &z[1], &l, "L or H section");
    let h = with_doubled_point(&z[2], p("h.zkey"), 9, 64 * 5);
    rejects("zkey", &z[1], &h, "L or H section");
    let d = with_doubled_point(&z[2], p("d.zkey"), 2, H_DELTA1);
    rejects("zkey", &z[1], &d, "delta1 does not match");
    let a = with_doubled_point(&z[2], p("a.zkey"), 5, 64);
    rejects("zkey", &z[1], &a, "A section (section 5) differs");
    let b1 = with_doubled_point(&z[2], p("b1.zkey"), 6, 64);
    rejects("zkey", &z[1], &b1, "B1 section (section 6) differs");
    let ic = with_doubled_point(&z[2], p("ic.zkey"), 3, 0);
    rejects("zkey", &z[1], &ic, "IC section (section 3) differs");
    // The zkey of another circuit.
    let other = p("other.zkey");
    run_ok(tauforge().args([
        "-q",
        "zkey",
        "new",
        s(&fixture("circuits/merkle.r1cs")),
        s(&fixture("pot12_final.ptau")),
        s(&other),
    ]));
    rejects("zkey", &z[0], &other, "different circuit");
}

#[test]
fn verify_step_on_the_gpu_backend() {
    // The same check through the (cross-checked) GPU backend: lavapipe in CI.
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/small.r1cs"), fixture("pot10_final.ptau"));
    run_ok(tauforge().args(["-q", "zkey", "new", s(&r1cs), s(&ptau), s(&p("a.zkey"))]));
    run_ok(tauforge().args([
        "-q",
        "zkey",
        "contribute",
        s(&p("a.zkey")),
        s(&p("b.zkey")),
        "-e",
        "x",
        "--backend",
        "gpu",
    ]));
    run_ok(tauforge().args(["-q", "zkey", "verify-step", s(&p("a.zkey")), s(&p("b.zkey")), "--backend", "gpu"]));
    let h = with_doubled_point(&p("b.zkey"), p("h.zkey"), 9, 0);
    let out = tauforge().args(["zkey", "verify-step", s(&p("a.zkey")), s(&h), "--backend", "gpu"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
}

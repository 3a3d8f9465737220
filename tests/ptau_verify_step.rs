//! `ptau verify-step <previous> <next>`: accepts every honest step of a mixed snarkjs/tauforge
//! phase-1 chain (contributions and a beacon) and rejects each kind of bad step with its reason.

mod common;

use std::path::{Path, PathBuf};

use ark_ec::{AffineRepr, CurveGroup};
use common::step::{accepts, rejects};
use common::{run_ok, snarkjs, tauforge, tempdir};
use tauforge::format::binfile::BinFile;
use tauforge::format::points::{g1_from_lem, g1_to_lem};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A copy of `src` with G1 point `index` of section `id` replaced by its double.
fn with_doubled_g1(src: &Path, dst: PathBuf, id: u32, index: u64) -> PathBuf {
    let bf = BinFile::open(src, b"ptau").unwrap();
    let at = (bf.sections[&id][0].offset + 64 * index) as usize;
    let mut bytes = std::fs::read(src).unwrap();
    let p = g1_from_lem(&bytes[at..at + 64]).unwrap();
    assert!(!p.is_zero());
    bytes[at..at + 64].copy_from_slice(&g1_to_lem(&(p + p).into_affine()));
    std::fs::write(&dst, bytes).unwrap();
    dst
}

#[test]
fn accepts_honest_steps_and_rejects_each_bad_one() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let c: Vec<PathBuf> = (0..5).map(|i| p(&format!("c{i}.ptau"))).collect();
    run_ok(tauforge().args(["-q", "ptau", "new", "bn128", "8", s(&c[0])]));
    run_ok(snarkjs().args(["powersoftau", "contribute", s(&c[0]), s(&c[1]), "--name=sj one", "-e=one"]));
    run_ok(tauforge().args(["-q", "ptau", "contribute", s(&c[1]), s(&c[2]), "-n", "tf two", "-e", "two"]));
    // An offline contribution through the challenge/response files.
    run_ok(tauforge().args(["-q", "ptau", "export-challenge", s(&c[2]), s(&p("challenge"))]));
    run_ok(tauforge().args(["-q", "ptau", "challenge-contribute", s(&p("challenge")), s(&p("response")), "-e", "x"]));
    run_ok(tauforge().args(["-q", "ptau", "import-response", s(&c[2]), s(&p("response")), s(&c[3]), "-n", "three"]));
    run_ok(tauforge().args(["-q", "ptau", "beacon", s(&c[3]), s(&c[4]), BEACON, "10", "-n", "beacon"]));

    for w in c.windows(2) {
        accepts("ptau", &w[0], &w[1]);
    }
    let out = accepts("ptau", &c[3], &c[4]);
    assert!(out.contains("contribution #4 beacon:") && out.contains("on top of #3"), "{out}");
    let j = run_ok(tauforge().args(["--json", "ptau", "verify-step", s(&c[1]), s(&c[2])]));
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j["valid"], true);
    assert_eq!(j["step"]["contribution"]["index"], 2);
    assert_eq!(j["step"]["next_challenge"].as_str().map(str::len), Some(128));

    let stale = p("stale.ptau");
    run_ok(tauforge().args(["-q", "ptau", "contribute", s(&c[1]), s(&stale), "-e", "late"]));
    accepts("ptau", &c[1], &stale);
    rejects("ptau", &c[2], &stale, "stale parent");
    let from0 = p("from0.ptau");
    run_ok(tauforge().args(["-q", "ptau", "contribute", s(&c[0]), s(&from0), "-e", "zero"]));
    rejects("ptau", &c[2], &from0, "chained from the initial ptau");
    rejects("ptau", &c[1], &c[3], "2 new contributions");
    rejects("ptau", &c[2], &c[2], "no new contribution");
    rejects("ptau", &c[2], &c[1], "older than the previous one");

    // Tampered powers of the new file.
    rejects("ptau", &c[1], &with_doubled_g1(&c[2], p("t.ptau"), 2, 7), "tauG1 section (section 2)");
    rejects("ptau", &c[1], &with_doubled_g1(&c[2], p("a.ptau"), 4, 3), "alphaTauG1 section (section 4)");
    // Another ceremony.
    let other = p("other.ptau");
    run_ok(tauforge().args(["-q", "ptau", "new", "bn128", "9", s(&other)]));
    rejects("ptau", &c[0], &other, "different ceremony");
}

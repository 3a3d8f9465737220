//! `zkey verify-step <previous> <next>`: accepts every honest step of a mixed snarkjs/tauforge
//! chain (contributions and a beacon) and rejects each kind of bad step with its own reason.

mod common;

use std::path::{Path, PathBuf};

use common::step::{accepts, rejects};
use common::{fixture, run_ok, snarkjs, tauforge, tempdir, with_doubled_point};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// Offsets in section 2 (reference §4.2.1).
const H_DELTA1: u64 = 468;

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
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

#[test]
fn accepts_a_step_imported_from_bellman_and_still_catches_tampering() {
    // snarkjs's phase2-bn254 round trip (export bellman, bellman contribute, import bellman)
    // rebuilds H from the bellman file's n−1 points: the one component no proof uses becomes
    // zero, so H is not exactly the previous H scaled. snarkjs's verify accepts the result, and
    // so must verify-step, zkey verify and transcript verify.
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/small.r1cs"), fixture("pot10_final.ptau"));
    let z: Vec<PathBuf> = (0..4).map(|i| p(&format!("z{i}.zkey"))).collect();
    run_ok(tauforge().args(["-q", "zkey", "new", s(&r1cs), s(&ptau), s(&z[0])]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&z[0]), s(&z[1]), "-n", "one", "-e", "one"]));
    run_ok(snarkjs().args(["zkey", "export", "bellman", s(&z[1]), s(&p("challenge"))]));
    run_ok(snarkjs().args(["zkey", "bellman", "contribute", "bn128", s(&p("challenge")), s(&p("response")), "-e=two"]));
    run_ok(snarkjs().args(["zkey", "import", "bellman", s(&z[1]), s(&p("response")), s(&z[2]), "-n=bellman"]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&z[2]), s(&z[3]), "-n", "three", "-e", "three"]));

    let out = accepts("zkey", &z[1], &z[2]);
    assert!(out.contains("contribution #2 bellman:"), "{out}");
    accepts("zkey", &z[2], &z[3]);
    for verifier in [tauforge().args(["zkey", "verify"]), snarkjs().args(["zkey", "verify"])] {
        assert!(run_ok(verifier.arg(&r1cs).arg(&ptau).arg(&z[3])).contains("ZKey Ok!"));
    }
    // Any other change of H or L is still caught: H's point 0 (whose coefficient the check
    // derives from the others), H's point 5, L's point 3.
    for (id, offset) in [(9, 0), (9, 64 * 5), (8, 64 * 3)] {
        let bad = with_doubled_point(&z[2], p(&format!("bad_{id}_{offset}.zkey")), id, offset);
        rejects("zkey", &z[1], &bad, "L or H section");
    }

    // The whole chain as a transcript.
    let t = p("transcript");
    std::fs::create_dir_all(t.join("small")).unwrap();
    std::fs::copy(&r1cs, t.join("small.r1cs")).unwrap();
    std::fs::copy(&ptau, t.join("pot10.ptau")).unwrap();
    let mut zkeys = Vec::new();
    for (i, zk) in z.iter().enumerate() {
        std::fs::copy(zk, t.join(format!("small/small_{i:04}.zkey"))).unwrap();
        zkeys.push(format!("small/small_{i:04}.zkey"));
    }
    let manifest = serde_json::json!({
        "format": "tauforge-transcript",
        "version": 1,
        "ceremony": "bellman round trip",
        "circuits": [{"name": "small", "r1cs": "small.r1cs", "ptau": "pot10.ptau", "zkeys": zkeys}],
    });
    std::fs::write(t.join("transcript.json"), manifest.to_string()).unwrap();
    run_ok(tauforge().args(["-q", "transcript", "verify", s(&t), "--backend", "cpu"]));
}

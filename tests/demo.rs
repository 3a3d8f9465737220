//! `tauforge demo`: the whole ceremony runs with no arguments, and its outputs stand up to snarkjs.

mod common;

use common::{run_ok, snarkjs, tauforge, tempdir};

#[test]
fn demo_runs_a_ceremony_that_snarkjs_accepts() {
    let dir = tempdir();
    let out = run_ok(tauforge().arg("demo").arg("--dir").arg(dir.path()).arg("--json"));
    let v: serde_json::Value = serde_json::from_str(&out).expect("--json prints one JSON summary");
    assert_eq!(v["valid"], true);
    let steps = v["steps"].as_array().expect("steps");
    for want in ["ptau new (power 12)", "ptau prepare-phase2", "zkey new", "zkey beacon", "zkey verify", "export-vkey"]
    {
        assert!(steps.iter().any(|s| s["step"] == want), "missing step {want}: {out}");
    }
    assert_eq!(v["contributions"].as_array().map(Vec::len), Some(4));
    let p = |n: &str| dir.path().join(n);
    let log = run_ok(snarkjs().args(["powersoftau", "verify"]).arg(p("pot12_final.ptau")));
    assert!(log.contains("Powers of Tau Ok!"), "{log}");
    let log = run_ok(
        snarkjs().args(["zkey", "verify"]).arg(p("merkle.r1cs")).arg(p("pot12_final.ptau")).arg(p("merkle_final.zkey")),
    );
    assert!(log.contains("ZKey Ok!"), "{log}");
    run_ok(snarkjs().args(["zkey", "export", "verificationkey"]).arg(p("merkle_final.zkey")).arg(p("vk_sj.json")));
    assert!(std::fs::read(p("vk_sj.json")).unwrap() == std::fs::read(p("verification_key.json")).unwrap());
}

//! `ptau prepare-phase2` against snarkjs's own prepared files: byte-identical at powers 10 and
//! 12, and a tauforge-prepared ptau accepted by `snarkjs zkey new` / `zkey verify`.

mod common;

use common::{fixture, run_ok, snarkjs, tauforge, tempdir};
use tauforge::format::binfile::{BinFile, BinWriter};

/// Sections 1–7 of a prepared ptau: the file `prepare phase2` was given.
fn unprepared(prepared: &std::path::Path, out: &std::path::Path) {
    let f = BinFile::open(prepared, b"ptau").unwrap();
    let mut w = BinWriter::create(out, b"ptau", 7).unwrap();
    for id in 1..=7 {
        w.section(id, &f.read_section(id).unwrap()).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn prepare_is_byte_identical_to_snarkjs_at_power_10() {
    // The §9.5b pipeline: new, deterministic beacon, prepare; snarkjs made the fixture.
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["ptau", "new", "bn128", "10"]).arg(p("0.ptau")).arg("-q"));
    run_ok(tauforge().args(["ptau", "beacon"]).arg(p("0.ptau")).arg(p("b.ptau")).args([
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "10",
        "-n",
        "det beacon",
        "-q",
    ]));
    run_ok(tauforge().args(["ptau", "prepare-phase2"]).arg(p("b.ptau")).arg(p("final.ptau")).arg("-q"));
    assert!(std::fs::read(p("final.ptau")).unwrap() == std::fs::read(fixture("pot10_final.ptau")).unwrap());
}

#[test]
fn prepare_is_byte_identical_to_snarkjs_at_power_12() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    unprepared(&fixture("pot12_final.ptau"), &p("in.ptau"));
    let out = run_ok(tauforge().args(["ptau", "prepare-phase2"]).arg(p("in.ptau")).arg(p("out.ptau")).arg("--json"));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["power"], 12);
    assert!(std::fs::read(p("out.ptau")).unwrap() == std::fs::read(fixture("pot12_final.ptau")).unwrap());
}

#[test]
fn tauforge_prepared_ptau_feeds_snarkjs_phase2() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["ptau", "new", "bn128", "10"]).arg(p("0.ptau")).arg("-q"));
    run_ok(tauforge().args(["ptau", "contribute"]).arg(p("0.ptau")).arg(p("1.ptau")).args(["-e", "x", "-q"]));
    run_ok(tauforge().args(["ptau", "prepare-phase2"]).arg(p("1.ptau")).arg(p("final.ptau")).arg("-q"));
    let r1cs = fixture("circuits/small.r1cs");
    run_ok(snarkjs().args(["zkey", "new"]).arg(&r1cs).arg(p("final.ptau")).arg(p("s0.zkey")));
    run_ok(snarkjs().args(["zkey", "contribute"]).arg(p("s0.zkey")).arg(p("s1.zkey")).args(["--name=sj", "-e=y"]));
    let log = run_ok(snarkjs().args(["zkey", "verify"]).arg(&r1cs).arg(p("final.ptau")).arg(p("s1.zkey")));
    assert!(log.contains("ZKey Ok!"), "{log}");
    let ours = run_ok(tauforge().args(["zkey", "verify"]).arg(&r1cs).arg(p("final.ptau")).arg(p("s1.zkey")));
    assert!(ours.contains("ZKey Ok!"), "{ours}");
}

//! Phase 1 against the real snarkjs 0.7.6: `ptau new` and `ptau beacon` byte-identical, and
//! chains mixing snarkjs and tauforge contributions accepted by `snarkjs powersoftau verify`.

mod common;

use common::{run_ok, snarkjs, tauforge, tempdir};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn new_and_beacon_identical(power: u32) {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let pw = power.to_string();
    run_ok(tauforge().args(["ptau", "new", "bn128", &pw]).arg(p("tf_0000.ptau")).arg("-q"));
    run_ok(snarkjs().args(["powersoftau", "new", "bn128", &pw]).arg(p("sj_0000.ptau")));
    assert_eq!(
        std::fs::read(p("tf_0000.ptau")).unwrap(),
        std::fs::read(p("sj_0000.ptau")).unwrap(),
        "ptau new, power {power}"
    );

    run_ok(tauforge().args(["ptau", "beacon"]).arg(p("tf_0000.ptau")).arg(p("tf_beacon.ptau")).args([
        BEACON,
        "10",
        "-n",
        "det beacon",
        "-q",
    ]));
    run_ok(snarkjs().args(["powersoftau", "beacon"]).arg(p("sj_0000.ptau")).arg(p("sj_beacon.ptau")).args([
        BEACON,
        "10",
        "-n=det beacon",
    ]));
    assert_eq!(
        std::fs::read(p("tf_beacon.ptau")).unwrap(),
        std::fs::read(p("sj_beacon.ptau")).unwrap(),
        "ptau beacon, power {power}"
    );
}

#[test]
fn new_and_beacon_are_byte_identical_at_power_10() {
    new_and_beacon_identical(10);
    // The reference's deterministic vector (snarkjs-formats.md §9.5b).
    let dir = tempdir();
    let f = dir.path().join("p.ptau");
    run_ok(tauforge().args(["ptau", "new", "bn128", "10"]).arg(&f));
    assert_eq!(common::sha256_file(&f), "a28944526c62a4feb017bf42ccbac359d5503fbe878a9a6f8ddda58fea5d2d6c");
}

#[test]
fn new_and_beacon_are_byte_identical_at_power_12() {
    new_and_beacon_identical(12);
}

#[test]
fn mixed_chain_verifies_with_snarkjs() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["ptau", "new", "bn254", "8"]).arg(p("c0.ptau")).arg("-q"));
    let out = run_ok(tauforge().args(["ptau", "contribute"]).arg(p("c0.ptau")).arg(p("c1.ptau")).args([
        "-n",
        "tf one",
        "-e",
        "entropy one",
        "--json",
    ]));
    let v: serde_json::Value = serde_json::from_str(&out).expect("--json prints JSON");
    assert_eq!(v["contributions"], 1);
    assert_eq!(v["response_hash"].as_str().map(str::len), Some(128));
    run_ok(
        snarkjs()
            .args(["powersoftau", "contribute"])
            .arg(p("c1.ptau"))
            .arg(p("c2.ptau"))
            .args(["--name=sj two", "-e=entropy two"]),
    );
    run_ok(
        tauforge()
            .args(["ptau", "contribute"])
            .arg(p("c2.ptau"))
            .arg(p("c3.ptau"))
            .args(["-n", "tf three", "-e", "x", "-q"]),
    );
    run_ok(tauforge().args(["ptau", "beacon"]).arg(p("c3.ptau")).arg(p("c4.ptau")).args([
        BEACON,
        "10",
        "-n",
        "tf beacon",
        "-q",
    ]));
    let log = run_ok(snarkjs().args(["powersoftau", "verify"]).arg(p("c4.ptau")));
    assert!(log.contains("Powers of Tau Ok!"), "snarkjs rejected the mixed chain:\n{log}");
    for name in ["tf one", "sj two", "tf three", "tf beacon"] {
        assert!(log.contains(name), "snarkjs did not list contribution {name}:\n{log}");
    }
    let info = run_ok(tauforge().args(["ptau", "info"]).arg(p("c4.ptau")));
    assert!(info.contains("contributions: 4"), "{info}");
}

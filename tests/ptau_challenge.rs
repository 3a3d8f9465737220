//! Challenge/response round trips through snarkjs: tauforge's challenge and import are
//! byte-identical to snarkjs's, and responses made by either tool import into the other.

mod common;

use common::{run_ok, snarkjs, tauforge, tempdir};

#[test]
fn challenge_response_round_trips_with_snarkjs() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["ptau", "new", "bn128", "7"]).arg(p("c0.ptau")).arg("-q"));
    run_ok(tauforge().args(["ptau", "contribute"]).arg(p("c0.ptau")).arg(p("c1.ptau")).args(["-e", "x", "-q"]));

    // tauforge exports, snarkjs contributes, both import: identical files.
    run_ok(tauforge().args(["ptau", "export-challenge"]).arg(p("c1.ptau")).arg(p("ch1")));
    run_ok(snarkjs().args(["powersoftau", "export", "challenge"]).arg(p("c1.ptau")).arg(p("ch1_sj")));
    assert!(std::fs::read(p("ch1")).unwrap() == std::fs::read(p("ch1_sj")).unwrap(), "challenge files differ");
    run_ok(
        snarkjs().args(["powersoftau", "challenge", "contribute", "bn128"]).arg(p("ch1")).arg(p("rs1")).arg("-e=abc"),
    );
    run_ok(
        tauforge()
            .args(["ptau", "import-response"])
            .arg(p("c1.ptau"))
            .arg(p("rs1"))
            .arg(p("c2.ptau"))
            .args(["-n", "imported"]),
    );
    run_ok(
        snarkjs()
            .args(["powersoftau", "import", "response"])
            .arg(p("c1.ptau"))
            .arg(p("rs1"))
            .arg(p("c2_sj.ptau"))
            .arg("-n=imported"),
    );
    assert!(std::fs::read(p("c2.ptau")).unwrap() == std::fs::read(p("c2_sj.ptau")).unwrap(), "imports differ");

    // snarkjs exports, tauforge contributes, snarkjs imports; both verify.
    run_ok(snarkjs().args(["powersoftau", "export", "challenge"]).arg(p("c2.ptau")).arg(p("ch2")));
    let out = run_ok(
        tauforge().args(["ptau", "challenge-contribute"]).arg(p("ch2")).arg(p("rs2")).args(["-e", "y", "--json"]),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let hash = v["response_hash"].as_str().unwrap().to_string();
    let log = run_ok(
        snarkjs()
            .args(["powersoftau", "import", "response"])
            .arg(p("c2.ptau"))
            .arg(p("rs2"))
            .arg(p("c3.ptau"))
            .arg("-n=tf response"),
    );
    let printed: String =
        log.split_whitespace().filter(|w| w.len() == 8 && w.chars().all(|c| c.is_ascii_hexdigit())).collect();
    assert!(printed.contains(&hash), "snarkjs imported a different response hash:\n{log}\nwant {hash}");
    let log = run_ok(snarkjs().args(["powersoftau", "verify"]).arg(p("c3.ptau")));
    assert!(log.contains("Powers of Tau Ok!"), "{log}");
    let ours = run_ok(tauforge().args(["ptau", "verify"]).arg(p("c3.ptau")));
    assert!(ours.contains("Powers of Tau Ok!") && ours.contains("tf response"), "{ours}");

    // A response to the wrong challenge is refused.
    let (_, err) = common::run_fail(
        tauforge().args(["ptau", "import-response"]).arg(p("c1.ptau")).arg(p("rs2")).arg(p("bad.ptau")),
    );
    assert!(err.contains("not based on the current challenge"), "{err}");
    assert!(!p("bad.ptau").exists());
}

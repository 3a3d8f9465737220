//! The verbs on the GPU backend (`--backend gpu`; lavapipe in CI): phase-2 contribute and beacon,
//! phase-1 contribute, beacon and prepare-phase2. Outputs must pass snarkjs's verifiers, and beacons must be
//! byte-identical to the CPU backend's and to snarkjs's.
#![cfg(feature = "gpu")]

mod common;

use common::{fixture, run_fail, run_ok, snarkjs, tauforge, tempdir};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn zkey_contribute_and_beacon_on_the_gpu() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/merkle.r1cs"), fixture("pot12_final.ptau"));
    run_ok(tauforge().args(["-q", "zkey", "new"]).arg(&r1cs).arg(&ptau).arg(p("z0.zkey")));
    let text = run_ok(tauforge().args(["zkey", "contribute"]).arg(p("z0.zkey")).arg(p("z1.zkey")).args([
        "--name",
        "gpu one",
        "--entropy",
        "gpu entropy",
        "--backend",
        "gpu",
        "--json",
    ]));
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let backend = j["backend"].as_str().unwrap();
    assert!(backend.starts_with("gpu: ") && backend.contains("cross-checked"), "{backend}");
    run_ok(snarkjs().args(["zkey", "verify"]).arg(&r1cs).arg(&ptau).arg(p("z1.zkey")));

    // The beacon on the GPU, on the CPU and by snarkjs: three identical files.
    for (name, backend) in [("gpu", "gpu"), ("cpu", "cpu")] {
        run_ok(tauforge().args(["-q", "zkey", "beacon"]).arg(p("z1.zkey")).arg(p(&format!("b_{name}.zkey"))).args([
            BEACON,
            "10",
            "-n",
            "final",
            "--backend",
            backend,
        ]));
    }
    run_ok(snarkjs().args(["zkey", "beacon"]).arg(p("z1.zkey")).arg(p("b_sj.zkey")).args([BEACON, "10", "-n=final"]));
    let gpu = std::fs::read(p("b_gpu.zkey")).unwrap();
    assert!(gpu == std::fs::read(p("b_cpu.zkey")).unwrap(), "GPU beacon differs from the CPU backend's");
    assert!(gpu == std::fs::read(p("b_sj.zkey")).unwrap(), "GPU beacon differs from snarkjs's");
    run_ok(snarkjs().args(["zkey", "verify"]).arg(&r1cs).arg(&ptau).arg(p("b_gpu.zkey")));
    // And tauforge's own verifier, through the GPU backend's (cross-checked) MSM.
    run_ok(
        tauforge().args(["-q", "zkey", "verify"]).arg(&r1cs).arg(&ptau).arg(p("b_gpu.zkey")).args(["--backend", "gpu"]),
    );
}

#[test]
fn ptau_contribute_and_beacon_on_the_gpu() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["-q", "ptau", "new", "bn128", "10"]).arg(p("p0.ptau")));
    run_ok(
        tauforge()
            .args(["-q", "ptau", "contribute"])
            .arg(p("p0.ptau"))
            .arg(p("p1.ptau"))
            .args(["--name", "gpu one", "--entropy", "gpu entropy"])
            .env("TAUFORGE_BACKEND", "gpu"),
    );
    run_ok(snarkjs().args(["powersoftau", "verify"]).arg(p("p1.ptau")));

    run_ok(tauforge().args(["-q", "ptau", "beacon"]).arg(p("p1.ptau")).arg(p("b_gpu.ptau")).args([
        BEACON,
        "10",
        "-n",
        "final",
        "--backend",
        "gpu",
    ]));
    run_ok(
        snarkjs()
            .args(["powersoftau", "beacon"])
            .arg(p("p1.ptau"))
            .arg(p("b_sj.ptau"))
            .args([BEACON, "10", "-n=final"]),
    );
    assert!(
        std::fs::read(p("b_gpu.ptau")).unwrap() == std::fs::read(p("b_sj.ptau")).unwrap(),
        "GPU ptau beacon differs from snarkjs's"
    );
    run_ok(snarkjs().args(["powersoftau", "verify"]).arg(p("b_gpu.ptau")));
    run_ok(tauforge().args(["-q", "ptau", "verify"]).arg(p("b_gpu.ptau")).args(["--backend", "gpu"]));

    // prepare-phase2 through the GPU's scalings (1/2^k and the FFT twiddles): the CPU backend's
    // bytes, which are snarkjs's (tests/ptau_prepare.rs).
    for backend in ["gpu", "cpu"] {
        let out = p(&format!("f_{backend}.ptau"));
        run_ok(
            tauforge()
                .args(["-q", "ptau", "prepare-phase2"])
                .arg(p("b_gpu.ptau"))
                .arg(out)
                .args(["--backend", backend]),
        );
    }
    assert!(
        std::fs::read(p("f_gpu.ptau")).unwrap() == std::fs::read(p("f_cpu.ptau")).unwrap(),
        "GPU prepare-phase2 differs from the CPU backend's"
    );
}

#[test]
fn unknown_backend_is_a_usage_error() {
    let dir = tempdir();
    let out = dir.path().join("z.zkey");
    let (_, err) = run_fail(
        tauforge()
            .args(["zkey", "contribute"])
            .arg(fixture("circuits/small.r1cs"))
            .arg(&out)
            .args(["--backend", "tpu"]),
    );
    assert!(err.contains("tpu") && err.contains("possible values"), "{err}");
    assert!(!out.exists());
}

#[test]
fn bench_times_every_op_on_every_backend() {
    let text = run_ok(tauforge().args(["--json", "bench", "--points", "100,2^7", "--repeat", "1"]));
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let backends: Vec<&str> = j["backends"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    assert_eq!(backends.len(), 2, "{backends:?}");
    assert!(backends[0].starts_with("cpu") && backends[1].starts_with("gpu: "), "{backends:?}");
    let rows = j["results"].as_array().unwrap();
    // 2 backends × 2 groups × 4 ops × 2 sizes.
    assert_eq!(rows.len(), 32);
    for op in ["scale-fixed", "scale-each", "scale-powers", "msm"] {
        assert!(rows.iter().any(|r| r["op"] == op && r["group"] == "G2" && r["points"] == 128), "{op}");
    }
    assert!(rows.iter().all(|r| r["points_per_second"].as_f64().unwrap() > 0.0));
    let (_, err) = run_fail(tauforge().args(["bench", "--points", "3^4"]));
    assert!(err.contains("powers of 2"), "{err}");
}

/// `bench --ops zkey-contribute` times whole contributions on a synthetic zkey; with `--dir` it
/// keeps the files, and the GPU's contribution (the last backend timed) is one valid step.
#[test]
fn bench_zkey_contribute_keeps_a_valid_step() {
    let dir = tempdir();
    let d = dir.path().join("files");
    let text = run_ok(
        tauforge()
            .args(["--json", "bench", "--ops", "zkey-contribute", "--points", "2^6", "--repeat", "1"])
            .args(["--backends", "cpu,gpu-checked", "--dir"])
            .arg(&d),
    );
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = j["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r["op"] == "zkey-contribute" && r["points"] == 64 && r["group"] == "G1"));
    assert!(rows[1]["backend"].as_str().unwrap().contains("cross-checked"));
    let step = run_ok(
        tauforge()
            .args(["zkey", "verify-step"])
            .arg(d.join("synthetic-64.zkey"))
            .arg(d.join("synthetic-64-contributed.zkey")),
    );
    assert!(step.contains("Step Ok! (contribution #1 on top of #0)"), "{step}");
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let (_, err) =
        run_fail(tauforge().args(["bench", "--ops", "zkey-contribute", "--points", "64", "--dir"]).arg(&file));
    assert!(err.contains("plain-file"), "{err}");
}

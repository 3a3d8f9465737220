//! `transcript verify <dir>`: a two-circuit transcript (mixed snarkjs/tauforge chains with a
//! beacon) verifies; a valid contribution left beside a chain is found and named; a tampered step,
//! a skipped zkey, a wrong receipt and a chain not starting at the initial zkey are each rejected
//! for the circuit concerned only.

mod common;

use std::path::{Path, PathBuf};

use ark_ec::{AffineRepr, CurveGroup};
use common::{fixture, run_ok, snarkjs, tauforge, tempdir};
use serde_json::{json, Value};
use tauforge::format::binfile::BinFile;
use tauforge::format::points::{g1_from_lem, g1_to_lem};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Builds circuit `name`'s chain in `dir/name/` and returns its manifest entry.
fn build_circuit(dir: &Path, name: &str, r1cs: &str, ptau: &str) -> Value {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(fixture(r1cs), sub.join("circuit.r1cs")).unwrap();
    let ptau_name = Path::new(ptau).file_name().unwrap().to_str().unwrap().to_string();
    if !dir.join(&ptau_name).exists() {
        std::fs::copy(fixture(ptau), dir.join(&ptau_name)).unwrap();
    }
    let z = |i: &str| sub.join(format!("{name}_{i}.zkey"));
    run_ok(tauforge().args([
        "-q",
        "zkey",
        "new",
        s(&sub.join("circuit.r1cs")),
        s(&dir.join(&ptau_name)),
        s(&z("0000")),
    ]));
    run_ok(snarkjs().args(["zkey", "contribute", s(&z("0000")), s(&z("0001")), "--name=alice", "-e=a"]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&z("0001")), s(&z("0002")), "-n", "bob", "-e", "b"]));
    run_ok(tauforge().args(["-q", "zkey", "beacon", s(&z("0002")), s(&z("final")), BEACON, "10", "-n", "beacon"]));
    // A valid contribution on 0001 that never made it onto the chain (the seed ceremony's loss).
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&z("0001")), s(&z("lost")), "-n", "carol", "-e", "c"]));
    let info: Value =
        serde_json::from_str(&run_ok(tauforge().args(["--json", "zkey", "info", s(&z("final"))]))).unwrap();
    let hashes: Vec<Value> = info["contributions"].as_array().unwrap().iter().map(|c| c["hash"].clone()).collect();
    let zkeys: Vec<String> =
        ["0000", "0001", "0002", "final"].iter().map(|i| format!("{name}/{name}_{i}.zkey")).collect();
    json!({
        "name": name,
        "r1cs": format!("{name}/circuit.r1cs"),
        "ptau": ptau_name,
        "zkeys": zkeys,
        "contribution_hashes": hashes,
    })
}

fn write_manifest(dir: &Path, circuits: &[Value]) {
    let m = json!({"format": "tauforge-transcript", "version": 1, "ceremony": "test ceremony", "circuits": circuits});
    std::fs::write(dir.join("transcript.json"), serde_json::to_string_pretty(&m).unwrap()).unwrap();
}

/// Runs `transcript verify`; returns (exit code, report JSON, stdout, stderr).
fn verify(dir: &Path) -> (i32, Value, String, String) {
    let report = dir.join("report.json");
    let out =
        tauforge().args(["transcript", "verify", s(dir), "--report", s(&report), "--backend", "cpu"]).output().unwrap();
    let code = out.status.code().unwrap_or(-1);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rep = std::fs::read_to_string(&report).unwrap_or_else(|_| panic!("no report written:\n{stdout}\n{stderr}"));
    (code, serde_json::from_str(&rep).unwrap(), stdout, stderr)
}

fn circuit<'a>(rep: &'a Value, name: &str) -> &'a Value {
    rep["circuits"].as_array().unwrap().iter().find(|c| c["name"] == name).unwrap()
}

fn double_first_point(path: &Path, id: u32) {
    let bf = BinFile::open(path, b"zkey").unwrap();
    let sec = bf.sections[&id][0];
    let mut bytes = std::fs::read(path).unwrap();
    let mut at = sec.offset as usize;
    let p = loop {
        let p = g1_from_lem(&bytes[at..at + 64]).unwrap();
        if !p.is_zero() {
            break p;
        }
        at += 64;
    };
    bytes[at..at + 64].copy_from_slice(&g1_to_lem(&(p + p).into_affine()));
    std::fs::write(path, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst: PathBuf = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn transcript_verifies_and_each_fault_is_named() {
    let tmp = tempdir();
    let good = tmp.path().join("good");
    let small = build_circuit(&good, "small", "circuits/small.r1cs", "pot10_final.ptau");
    let merkle = build_circuit(&good, "merkle", "circuits/merkle.r1cs", "pot12_final.ptau");
    write_manifest(&good, &[small.clone(), merkle.clone()]);

    let (code, rep, out, err) = verify(&good);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("Transcript Ok!"), "{out}");
    assert_eq!(rep["valid"], true);
    for name in ["small", "merkle"] {
        let c = circuit(&rep, name);
        assert_eq!(c["valid"], true, "{c}");
        assert_eq!(c["contributions"].as_array().unwrap().len(), 3);
        assert_eq!(c["final_beacon"], true);
        // The lost contribution is found, valid, on its parent.
        let uncles = c["uncles"].as_array().unwrap();
        assert_eq!(uncles.len(), 1, "{c}");
        assert_eq!(uncles[0]["file"], format!("{name}/{name}_lost.zkey"));
        assert_eq!(uncles[0]["valid"], true);
        assert_eq!(uncles[0]["parent"], format!("{name}/{name}_0001.zkey"));
        assert!(out.contains(&format!("{name}: not on the chain: {name}/{name}_lost.zkey")), "{out}");
    }
    // The default report location.
    run_ok(tauforge().args(["-q", "transcript", "verify", s(&good)]));
    assert!(good.join("transcript-report.json").is_file());

    // Each fault, in a copy; the other circuit stays valid.
    let case = |label: &str, edit: &dyn Fn(&Path, &mut Vec<Value>), want: &str| {
        let dir = tmp.path().join(label);
        copy_dir(&good, &dir);
        let mut circuits = vec![small.clone(), merkle.clone()];
        edit(&dir, &mut circuits);
        write_manifest(&dir, &circuits);
        let (code, rep, out, err) = verify(&dir);
        assert_eq!(code, 1, "{label}: expected INVALID\n{out}\n{err}");
        let m = circuit(&rep, "merkle");
        assert_eq!(m["valid"], false, "{label}");
        let reason = m["reason"].as_str().unwrap();
        assert!(reason.contains(want), "{label}: expected {want:?} in {reason:?}");
        assert_eq!(circuit(&rep, "small")["valid"], true, "{label}");
    };
    case(
        "tampered_h",
        &|d, _| double_first_point(&d.join("merkle/merkle_0002.zkey"), 9),
        "step merkle/merkle_0001.zkey → merkle/merkle_0002.zkey: L or H section",
    );
    case(
        "skipped",
        &|_, c| {
            c[1]["zkeys"].as_array_mut().unwrap().remove(1);
            c[1]["contribution_hashes"].as_array_mut().unwrap().remove(0);
        },
        "2 new contributions",
    );
    case("receipt", &|_, c| c[1]["contribution_hashes"][1] = json!("00".repeat(64)), "receipt #2");
    case(
        "not_initial",
        &|_, c| {
            c[1]["zkeys"].as_array_mut().unwrap().remove(0);
            c[1]["contribution_hashes"].as_array_mut().unwrap().remove(0);
        },
        "must start with the initial zkey",
    );
    case(
        "wrong_ptau",
        &|_, c| c[1]["ptau"] = json!("pot10_final.ptau"),
        "merkle/circuit.r1cs with pot10_final.ptau: circuit too big",
    );
}

#[test]
fn bad_manifests_are_usage_errors() {
    let tmp = tempdir();
    let out = tauforge().args(["transcript", "verify", s(tmp.path())]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("transcript.json"));
    std::fs::write(
        tmp.path().join("transcript.json"),
        r#"{"format":"tauforge-transcript","version":1,"ceremony":"x","circuits":[{"name":"a","r1cs":"../a.r1cs","ptau":"p","zkeys":["z"]}]}"#,
    )
    .unwrap();
    let out = tauforge().args(["transcript", "verify", s(tmp.path())]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stay inside"), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A chain of `n` tauforge contributions and a beacon for circuit `name` in `dir/name/`; returns
/// its manifest entry (with the receipts).
fn long_chain(dir: &Path, name: &str, r1cs: &str, ptau: &str, n: usize) -> Value {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(fixture(r1cs), sub.join("circuit.r1cs")).unwrap();
    let ptau_name = Path::new(ptau).file_name().unwrap().to_str().unwrap().to_string();
    if !dir.join(&ptau_name).exists() {
        std::fs::copy(fixture(ptau), dir.join(&ptau_name)).unwrap();
    }
    let z = |i: usize| format!("{name}/{i:04}.zkey");
    run_ok(tauforge().args([
        "-q",
        "zkey",
        "new",
        s(&sub.join("circuit.r1cs")),
        s(&dir.join(&ptau_name)),
        s(&dir.join(z(0))),
    ]));
    let mut hashes = Vec::new();
    for i in 1..=n {
        let mut cmd = tauforge();
        cmd.args(["--json", "zkey"]);
        if i < n {
            cmd.args(["contribute", s(&dir.join(z(i - 1))), s(&dir.join(z(i))), "-e", &format!("e{i}")]);
        } else {
            cmd.args(["beacon", s(&dir.join(z(i - 1))), s(&dir.join(z(i))), BEACON, "10"]);
        }
        let j: Value =
            serde_json::from_str(&run_ok(cmd.args(["-n", &format!("{name} #{i}"), "--backend", "cpu"]))).unwrap();
        hashes.push(j["contribution_hash"].clone());
    }
    json!({
        "name": name,
        "r1cs": format!("{name}/circuit.r1cs"),
        "ptau": ptau_name,
        "zkeys": (0..=n).map(z).collect::<Vec<_>>(),
        "contribution_hashes": hashes,
    })
}

#[test]
fn three_circuits_of_twenty_contributions_with_a_fork_and_a_chain_from_zero() {
    let tmp = tempdir();
    let dir = tmp.path().join("t");
    let circuits = vec![
        long_chain(&dir, "small", "circuits/small.r1cs", "pot10_final.ptau", 20),
        long_chain(&dir, "merkle", "circuits/merkle.r1cs", "pot12_final.ptau", 20),
        long_chain(&dir, "chain8000", "circuits/chain8000.r1cs", "pot15_final.ptau", 20),
    ];
    write_manifest(&dir, &circuits);
    let (code, rep, out, err) = verify(&dir);
    assert_eq!(code, 0, "{out}\n{err}");
    for c in rep["circuits"].as_array().unwrap() {
        assert_eq!(c["contributions"].as_array().unwrap().len(), 20, "{c}");
        assert!(c["uncles"].as_array().unwrap().is_empty(), "{c}");
    }

    // Plant a fork (a contribution on zkey 7) and a chain-from-0 file beside the merkle chain.
    let m = dir.join("merkle");
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&m.join("0007.zkey")), s(&m.join("fork.zkey")), "-e", "f"]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&m.join("0000.zkey")), s(&m.join("zero.zkey")), "-e", "z"]));
    let (code, rep, out, err) = verify(&dir);
    assert_eq!(code, 0, "the canonical chains still verify:\n{out}\n{err}");
    let uncles = circuit(&rep, "merkle")["uncles"].as_array().unwrap().clone();
    assert_eq!(uncles.len(), 2, "{uncles:?}");
    let fork = uncles.iter().find(|u| u["file"] == "merkle/fork.zkey").unwrap();
    assert_eq!(fork["parent"], "merkle/0007.zkey");
    assert!(fork["note"].as_str().unwrap().contains("a fork of the chain after zkey #7"), "{fork}");
    let zero = uncles.iter().find(|u| u["file"] == "merkle/zero.zkey").unwrap();
    assert!(zero["note"].as_str().unwrap().contains("chained from the initial zkey"), "{zero}");
    assert!(out.contains("merkle/fork.zkey") && out.contains("merkle/zero.zkey"), "{out}");

    // One tampered step: named, and only that circuit fails.
    double_first_point(&dir.join("chain8000/0013.zkey"), 8);
    let (code, rep, out, err) = verify(&dir);
    assert_eq!(code, 1, "{out}\n{err}");
    let c = circuit(&rep, "chain8000");
    assert_eq!(c["valid"], false);
    let reason = c["reason"].as_str().unwrap();
    assert!(reason.contains("step chain8000/0012.zkey → chain8000/0013.zkey: L or H section"), "{reason}");
    assert_eq!(circuit(&rep, "small")["valid"], true);
    assert_eq!(circuit(&rep, "merkle")["valid"], true);
}

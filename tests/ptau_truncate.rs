//! `ptau truncate` against snarkjs's `powersoftau truncate`: the same file names and bytes; the
//! cut files pass both verifiers and give the same initial zkey as the full ptau; bad input is
//! refused with nothing written.

mod common;

use std::path::Path;

use common::{fixture, run_ok, snarkjs, tauforge, tempdir};

/// The names of the files in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

#[test]
fn truncate_matches_snarkjs_and_the_files_work() {
    let dir = tempdir();
    let (sj, tf, some) = (dir.path().join("sj"), dir.path().join("tf"), dir.path().join("some"));
    for d in [&sj, &tf, &some] {
        std::fs::create_dir(d).unwrap();
    }
    for d in [&sj, &tf] {
        std::fs::copy(fixture("pot10_final.ptau"), d.join("pot10.ptau")).unwrap();
    }
    run_ok(snarkjs().args(["powersoftau", "truncate", "pot10.ptau"]).current_dir(&sj));
    run_ok(tauforge().args(["ptau", "truncate", "pot10.ptau", "-q"]).current_dir(&tf));
    let want: Vec<String> =
        std::iter::once("pot10.ptau".to_string()).chain((1..10).map(|p| format!("pot10_{p:02}.ptau"))).collect();
    assert_eq!(names(&sj), want, "snarkjs wrote other files");
    assert_eq!(names(&tf), want);
    for n in &want {
        assert!(same_bytes(&sj.join(n), &tf.join(n)), "{n} differs from snarkjs's");
    }

    // Only the powers asked for, under another template; the JSON summary lists them.
    let template = format!("{}/cut_", some.display());
    let args = ["--power", "8", "-p", "3", "-p", "7", "--template", &template];
    let json = run_ok(tauforge().args(["--json", "ptau", "truncate"]).arg(tf.join("pot10.ptau")).args(args));
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let powers: Vec<u64> = v["files"].as_array().unwrap().iter().map(|f| f["power"].as_u64().unwrap()).collect();
    assert_eq!(powers, [3, 7, 8]);
    assert_eq!(v["files"][2]["bytes"].as_u64(), Some(std::fs::metadata(some.join("cut_08.ptau")).unwrap().len()));
    assert_eq!(names(&some), ["cut_03.ptau", "cut_07.ptau", "cut_08.ptau"]);
    assert!(same_bytes(&some.join("cut_08.ptau"), &sj.join("pot10_08.ptau")));

    // Both verifiers accept a cut file (its power is below the ceremony's, so neither checks the
    // last challenge hash, computed at power 10).
    let cut = some.join("cut_08.ptau");
    assert!(run_ok(tauforge().args(["ptau", "verify"]).arg(&cut).arg("-q")).contains("Powers of Tau Ok!"));
    assert!(run_ok(snarkjs().args(["powersoftau", "verify"]).arg(&cut)).contains("Powers of Tau Ok!"));
    // The initial zkey of a domain-2^7 circuit is the same from the cut file as from the whole.
    let r1cs = fixture("circuits/chain100.r1cs");
    run_ok(tauforge().args(["zkey", "new"]).arg(&r1cs).arg(&cut).arg(some.join("cut.zkey")).arg("-q"));
    run_ok(
        tauforge()
            .args(["zkey", "new"])
            .arg(&r1cs)
            .arg(fixture("pot10_final.ptau"))
            .arg(dir.path().join("whole.zkey"))
            .arg("-q"),
    );
    assert!(same_bytes(&some.join("cut.zkey"), &dir.path().join("whole.zkey")));
    // With the domain equal to the cut power, zkey new reads the top Lagrange level (computed at
    // power 10) and the csHash quirk reads past the cut tauG1 section: still snarkjs's bytes.
    let cut7 = some.join("cut_07.ptau");
    run_ok(tauforge().args(["zkey", "new"]).arg(&r1cs).arg(&cut7).arg(dir.path().join("tf7.zkey")).arg("-q"));
    run_ok(snarkjs().args(["zkey", "new"]).arg(&r1cs).arg(&cut7).arg(dir.path().join("sj7.zkey")));
    assert!(same_bytes(&dir.path().join("tf7.zkey"), &dir.path().join("sj7.zkey")));
}

#[test]
fn truncate_refuses_bad_input_and_writes_nothing() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    run_ok(tauforge().args(["ptau", "new", "bn128", "6"]).arg(p("raw.ptau")).arg("-q"));
    std::fs::copy(fixture("pot10_final.ptau"), p("pot10.ptau")).unwrap();
    let cases: [(&str, Vec<&str>, &[&str]); 4] = [
        ("raw.ptau", vec![], &["raw.ptau", "section 12", "prepare-phase2"]),
        ("pot10.ptau", vec!["--power", "10"], &["power 10", "1..=9"]),
        ("pot10.ptau", vec!["--power", "0"], &["power 0", "1..=9"]),
        ("missing.ptau", vec![], &["missing.ptau"]),
    ];
    for (input, args, says) in cases {
        let before = names(dir.path());
        let mut cmd = tauforge();
        cmd.args(["ptau", "truncate"]).arg(p(input)).args(&args);
        let out = cmd.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{input} {args:?}: {err}");
        for s in says {
            assert!(err.contains(s), "{input} {args:?}: {s:?} not in {err}");
        }
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(names(dir.path()), before, "{input} {args:?} wrote files");
    }
}

#[test]
fn preparing_a_reduced_file_warns_and_matches_snarkjs() {
    // snarkjs's prepare writes ceremony power = power, so a prepared reduced file no longer
    // verifies; tauforge keeps snarkjs's bytes and says so.
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    std::fs::copy(fixture("pot10_final.ptau"), p("pot10.ptau")).unwrap();
    run_ok(tauforge().args(["-q", "ptau", "truncate"]).arg(p("pot10.ptau")).args(["-p", "6"]));
    // The cut file without its Lagrange sections.
    let cut = tauforge::format::binfile::BinFile::open(&p("pot10_06.ptau"), b"ptau").unwrap();
    let mut w = tauforge::format::binfile::BinWriter::create(&p("reduced.ptau"), b"ptau", 7).unwrap();
    for id in 1..=7 {
        w.copy_section(&cut, id).unwrap();
    }
    w.finish().unwrap();

    let out =
        tauforge().args(["-q", "ptau", "prepare-phase2"]).arg(p("reduced.ptau")).arg(p("tf.ptau")).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("warning") && err.contains("reduced file (power 6 of ceremony power 10)"), "{err}");
    assert!(err.contains("ptau truncate"), "{err}");
    run_ok(snarkjs().args(["powersoftau", "prepare", "phase2"]).arg(p("reduced.ptau")).arg(p("sj.ptau")));
    assert!(same_bytes(&p("tf.ptau"), &p("sj.ptau")));
    let out = tauforge().args(["-q", "ptau", "verify"]).arg(p("tf.ptau")).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "the prepared reduced file verified");
}

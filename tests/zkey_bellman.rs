//! The bellman (kobi/phase2-bn254) round trip: `zkey export-bellman` and `zkey import-bellman`
//! write snarkjs's bytes, a `zkey bellman-contribute` response imports (by either tool) into a
//! zkey both verifiers accept, and bad or foreign MPC-params files are refused by name.

mod common;

use std::path::{Path, PathBuf};

use common::step::{accepts, rejects};
use common::{fixture, run_ok, snarkjs, tauforge, tempdir};
use tauforge::format::mpcparams::{Counts, Part, PARTS, VK_LEN};
use tauforge::format::zkey::Zkey;

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn same_bytes(a: &Path, b: &Path) {
    assert!(std::fs::read(a).unwrap() == std::fs::read(b).unwrap(), "{} and {} differ", a.display(), b.display());
}

/// Byte offsets of each array's count in the MPC params of `zkey`, and of the tail.
fn layout(zkey: &Path) -> (Vec<(Part, u64)>, u64) {
    let counts = Counts::of(&Zkey::open(zkey).unwrap().header);
    let mut at = VK_LEN;
    let mut parts = Vec::new();
    for part in PARTS {
        parts.push((part, at));
        at += 4 + counts.get(part) as u64 * part.group().point_size() as u64;
    }
    (parts, at)
}

fn offset_of(parts: &[(Part, u64)], part: Part) -> u64 {
    parts.iter().find(|(p, _)| *p == part).unwrap().1
}

#[test]
fn export_and_import_are_byte_identical_to_snarkjs_and_the_chain_verifies() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/small.r1cs"), fixture("pot10_final.ptau"));
    run_ok(tauforge().args(["-q", "zkey", "new", s(&r1cs), s(&ptau), s(&p("z0.zkey"))]));
    run_ok(snarkjs().args(["zkey", "contribute", s(&p("z0.zkey")), s(&p("z1.zkey")), "--name=one", "-e=one"]));
    run_ok(tauforge().args(["-q", "zkey", "beacon", s(&p("z1.zkey")), s(&p("z2.zkey")), BEACON, "10", "-n", "b"]));

    // Export: no contribution, one, and a beacon on top.
    for z in ["z0", "z1", "z2"] {
        let zk = p(&format!("{z}.zkey"));
        run_ok(snarkjs().args(["zkey", "export", "bellman", s(&zk), s(&p(&format!("{z}_sj.mpc")))]));
        run_ok(tauforge().args(["-q", "zkey", "export-bellman", s(&zk), s(&p(&format!("{z}_tf.mpc")))]));
        same_bytes(&p(&format!("{z}_sj.mpc")), &p(&format!("{z}_tf.mpc")));
    }

    // A snarkjs bellman contribution, imported by both tools, with and without a name.
    run_ok(snarkjs().args(["zkey", "bellman", "contribute", "bn128", s(&p("z2_sj.mpc")), s(&p("r3.mpc")), "-e=x"]));
    for name in [Some("bellman three"), None] {
        let mut sj = snarkjs();
        sj.args(["zkey", "import", "bellman", s(&p("z2.zkey")), s(&p("r3.mpc")), s(&p("z3_sj.zkey"))]);
        let mut tf = tauforge();
        tf.args(["zkey", "import-bellman", s(&p("z2.zkey")), s(&p("r3.mpc")), s(&p("z3_tf.zkey"))]);
        if let Some(n) = name {
            sj.arg(format!("-n={n}"));
            tf.args(["-n", n]);
        }
        run_ok(&mut sj);
        let out = run_ok(&mut tf);
        assert!(out.contains("contribution #3 imported:"), "{out}");
        same_bytes(&p("z3_sj.zkey"), &p("z3_tf.zkey"));
    }
    // The earlier records (a named contribution, a beacon) keep their kind and parameters.
    let info = run_ok(tauforge().args(["zkey", "info", s(&p("z3_tf.zkey"))]));
    assert!(info.contains("#1 contribution one:") && info.contains("#2 beacon b:"), "{info}");
    accepts("zkey", &p("z2.zkey"), &p("z3_tf.zkey"));

    // A tauforge bellman contribution on top, imported by both tools.
    run_ok(tauforge().args(["-q", "zkey", "export-bellman", s(&p("z3_tf.zkey")), s(&p("c4.mpc"))]));
    let out = run_ok(tauforge().args(["zkey", "bellman-contribute", s(&p("c4.mpc")), s(&p("r4.mpc")), "-e", "four"]));
    assert!(out.contains("Contribution Hash:"), "{out}");
    run_ok(snarkjs().args([
        "zkey",
        "import",
        "bellman",
        s(&p("z3_tf.zkey")),
        s(&p("r4.mpc")),
        s(&p("z4_sj.zkey")),
        "-n=four",
    ]));
    let j = run_ok(tauforge().args([
        "--json",
        "zkey",
        "import-bellman",
        s(&p("z3_tf.zkey")),
        s(&p("r4.mpc")),
        s(&p("z4_tf.zkey")),
        "-n",
        "four",
    ]));
    let j: serde_json::Value = serde_json::from_str(&j).unwrap();
    assert_eq!(j["contributions"], 4);
    assert_eq!(j["added"].as_array().unwrap().len(), 1);
    same_bytes(&p("z4_sj.zkey"), &p("z4_tf.zkey"));
    accepts("zkey", &p("z3_tf.zkey"), &p("z4_tf.zkey"));
    for verifier in [tauforge().args(["zkey", "verify"]), snarkjs().args(["zkey", "verify"])] {
        assert!(run_ok(verifier.arg(&r1cs).arg(&ptau).arg(p("z4_tf.zkey"))).contains("ZKey Ok!"));
    }
    // Its H and L really were scaled: the response is not the challenge with a new record.
    let (parts, _) = layout(&p("z3_tf.zkey"));
    let (c, r) = (std::fs::read(p("c4.mpc")).unwrap(), std::fs::read(p("r4.mpc")).unwrap());
    for part in [Part::H, Part::L] {
        let o = offset_of(&parts, part) as usize + 4;
        assert_ne!(c[o..o + 64], r[o..o + 64], "{} point 0", part.name());
    }
    let ic = offset_of(&parts, Part::Ic) as usize;
    assert_eq!(c[..VK_LEN as usize - 192], r[..VK_LEN as usize - 192]);
    assert_eq!(c[ic..offset_of(&parts, Part::H) as usize], r[ic..offset_of(&parts, Part::H) as usize]);
    let a = offset_of(&parts, Part::A) as usize;
    let (_, tail) = layout(&p("z3_tf.zkey"));
    assert_eq!(c[a..tail as usize], r[a..tail as usize]);
}

#[test]
fn the_round_trip_on_the_gpu_backend() {
    // The FFT twiddles of export/import and the 1/δ scaling through the cross-checked GPU
    // backend (lavapipe in CI): the same bytes as the CPU's, and a contribution that verifies.
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/small.r1cs"), fixture("pot10_final.ptau"));
    run_ok(tauforge().args(["-q", "zkey", "new", s(&r1cs), s(&ptau), s(&p("z0.zkey"))]));
    for be in ["cpu", "gpu"] {
        run_ok(tauforge().args([
            "-q",
            "zkey",
            "export-bellman",
            s(&p("z0.zkey")),
            s(&p(&format!("{be}.mpc"))),
            "--backend",
            be,
        ]));
    }
    same_bytes(&p("cpu.mpc"), &p("gpu.mpc"));
    run_ok(tauforge().args([
        "-q",
        "zkey",
        "bellman-contribute",
        s(&p("gpu.mpc")),
        s(&p("r.mpc")),
        "-e",
        "g",
        "--backend",
        "gpu",
    ]));
    for be in ["cpu", "gpu"] {
        let out = p(&format!("z1_{be}.zkey"));
        run_ok(tauforge().args([
            "-q",
            "zkey",
            "import-bellman",
            s(&p("z0.zkey")),
            s(&p("r.mpc")),
            s(&out),
            "--backend",
            be,
        ]));
    }
    same_bytes(&p("z1_cpu.zkey"), &p("z1_gpu.zkey"));
    accepts("zkey", &p("z0.zkey"), &p("z1_gpu.zkey"));
    assert!(run_ok(snarkjs().args(["zkey", "verify", s(&r1cs), s(&ptau), s(&p("z1_gpu.zkey"))])).contains("ZKey Ok!"));
}

/// Runs `args`, expecting exit 2 with `says` on stderr and no file at `out`.
fn refused(args: &[&str], out: &Path, says: &str) {
    let mut cmd = tauforge();
    cmd.args(args);
    let o = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: expected {says:?} in:\n{err}");
    assert!(!out.exists(), "{args:?} left {}", out.display());
    let left: Vec<PathBuf> = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|f| f.file_name().unwrap().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(left.is_empty(), "temp files left: {left:?}");
}

#[test]
fn bad_and_foreign_mpc_params_are_refused_by_name_with_no_output() {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let (r1cs, ptau) = (fixture("circuits/small.r1cs"), fixture("pot10_final.ptau"));
    run_ok(tauforge().args(["-q", "zkey", "new", s(&r1cs), s(&ptau), s(&p("z0.zkey"))]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&p("z0.zkey")), s(&p("z1.zkey")), "-e", "one"]));
    run_ok(tauforge().args(["-q", "zkey", "contribute", s(&p("z0.zkey")), s(&p("fork.zkey")), "-e", "fork"]));
    run_ok(tauforge().args(["-q", "zkey", "export-bellman", s(&p("z1.zkey")), s(&p("c.mpc"))]));
    run_ok(tauforge().args(["-q", "zkey", "bellman-contribute", s(&p("c.mpc")), s(&p("r.mpc")), "-e", "two"]));
    let good = std::fs::read(p("r.mpc")).unwrap();
    let (parts, tail) = layout(&p("z1.zkey"));
    let at = |part: Part| offset_of(&parts, part) as usize;
    let out = p("out.zkey");
    let import = |file: &str| {
        vec!["zkey".to_string(), "import-bellman".into(), s(&p("z1.zkey")).into(), s(&p(file)).into(), s(&out).into()]
    };
    let variant = |name: &str, edit: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        edit(&mut b);
        std::fs::write(p(name), b).unwrap();
    };
    let check = |name: &str, edit: &dyn Fn(&mut Vec<u8>), says: &str| {
        variant(name, edit);
        let args = import(name);
        refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), &out, says);
    };
    let resp = s(&p("r.mpc")).to_string();

    // Cut short: inside the key, inside H, inside the tail.
    check("cut_vk.mpc", &|b| b.truncate(100), "too short for the MPC params");
    check("cut_h.mpc", &|b| b.truncate(at(Part::H) + 100), "too short for the MPC params");
    check(
        "cut_tail.mpc",
        &|b| b.truncate(tail as usize + 68 + 10),
        "2 contributions need 768 bytes after the count, the file has 10",
    );
    // A point off the curve, named by array and index.
    check(
        "h3.mpc",
        &|b| b[at(Part::H) + 4 + 3 * 64 + 63] ^= 1,
        &format!("{}, index 3: H point 3: point is not on the curve", s(&p("h3.mpc"))),
    );
    check("l2.mpc", &|b| b[at(Part::L) + 4 + 2 * 64 + 63] ^= 1, "L point 2: point is not on the curve");
    check("d1.mpc", &|b| b[VK_LEN as usize - 192 + 63] ^= 1, "delta1: point is not on the curve");
    check("d2.mpc", &|b| b[VK_LEN as usize - 128 + 127] ^= 1, "delta2: point is not on the curve");
    check(
        "g2spx.mpc",
        &|b| b[tail as usize + 68 + 192 + 127] ^= 1,
        "contribution 1: g2_spx: point is not on the curve",
    );
    // Counts that are not this zkey's.
    check("nic.mpc", &|b| b[at(Part::Ic) + 3] += 1, "invalid number of points in IC");
    check("nb2.mpc", &|b| b[at(Part::B2) + 3] ^= 1, "invalid number of points in B2");
    // Points the import keeps from the zkey must be the zkey's.
    check(
        "a.mpc",
        &|b| {
            b[at(Part::A) + 4 + 64..at(Part::A) + 4 + 128]
                .copy_from_slice(&good[VK_LEN as usize - 192..VK_LEN as usize - 128])
        },
        "A point 1 differs from section 5",
    );
    check("alpha.mpc", &|b| b[..64].copy_from_slice(&good[64..128]), "alpha1 differs");
    // Another circuit, another chain, another history.
    check("cs.mpc", &|b| b[tail as usize] ^= 1, "circuit hash differs");
    check("prev.mpc", &|b| b[tail as usize + 68 + 320] ^= 1, "contribution 1 differs");
    let fork_zkey = p("fork.zkey");
    let fork = vec!["zkey", "import-bellman", s(&fork_zkey), &resp, s(&out)];
    refused(&fork, &out, "contribution 1 differs");
    let merkle = p("merkle.zkey");
    run_ok(tauforge().args([
        "-q",
        "zkey",
        "new",
        s(&fixture("circuits/merkle.r1cs")),
        s(&fixture("pot12_final.ptau")),
        s(&merkle),
    ]));
    refused(&["zkey", "import-bellman", s(&merkle), &resp, s(&out)], &out, "too short for the MPC params of");
    // An MPC-params file with no new contribution imports (as in snarkjs) and verify-step says so.
    run_ok(tauforge().args(["-q", "zkey", "import-bellman", s(&p("z1.zkey")), s(&p("c.mpc")), s(&out)]));
    rejects("zkey", &p("z1.zkey"), &out, "no new contribution");
    std::fs::remove_file(&out).unwrap();

    // bellman-contribute refuses challenges that are not one key's.
    let resp_out = p("resp_out.mpc");
    let contribute = |name: &str| {
        vec![
            "zkey".to_string(),
            "bellman-contribute".into(),
            s(&p(name)).into(),
            s(&resp_out).into(),
            "-e".into(),
            "x".into(),
        ]
    };
    let check_c = |name: &str, edit: &dyn Fn(&mut Vec<u8>), says: &str| {
        variant(name, edit);
        let args = contribute(name);
        refused(&args.iter().map(String::as_str).collect::<Vec<_>>(), &resp_out, says);
    };
    check_c("cc_cut.mpc", &|b| b.truncate(at(Part::L) + 10), "the file ends inside L");
    check_c("cc_b1.mpc", &|b| b[at(Part::B1) + 3] ^= 1, "A, B1 and B2 hold 520, 521 and");
    check_c("cc_h.mpc", &|b| b[at(Part::H) + 4 + 5 * 64 + 63] ^= 1, "H point 5: point is not on the curve");
    check_c("cc_tail.mpc", &|b| b.extend_from_slice(&[0; 7]), "need 768 bytes after the count, the file has 775");

    // Cut anywhere near a boundary (in a count, at a first point, in a last point, in the tail):
    // both readers refuse it cleanly.
    let mut cuts = vec![0, 1, 64, VK_LEN as usize - 1, tail as usize, tail as usize + 67, good.len() - 1];
    for (_, o) in &parts {
        let o = *o as usize;
        cuts.extend([o, o + 2, o + 4, o + 4 + 63]);
    }
    for cut in cuts {
        let name = format!("cut_{cut}.mpc");
        variant(&name, &|b| b.truncate(cut));
        for args in [import(&name), contribute(&name)] {
            let o = tauforge().args(&args).output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "cut at {cut}, {}: {err}", args[1]);
            assert!(err.contains("tauforge: error:") && err.contains(&name), "cut at {cut}: {err}");
            assert!(!out.exists() && !resp_out.exists(), "cut at {cut}: an output was left");
        }
    }
}

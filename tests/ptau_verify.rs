//! `ptau verify`: accepts honest chains (snarkjs's and tauforge's), rejects a tamper corpus with
//! specific messages — each tampered file is also rejected by `snarkjs powersoftau verify`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use common::{fixture, run_ok, snarkjs, tauforge, tempdir};
use tauforge::format::binfile::{BinFile, BinWriter};
use tauforge::format::ptau::{contributions_to_bytes, parse_contributions};

const BEACON: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A prepared power-6 chain: tauforge contribution, snarkjs contribution, tauforge beacon.
fn chain() -> &'static (tempfile::TempDir, PathBuf) {
    static C: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    C.get_or_init(|| {
        let dir = tempdir();
        let p = |n: &str| dir.path().join(n);
        run_ok(tauforge().args(["ptau", "new", "bn128", "6"]).arg(p("0.ptau")).arg("-q"));
        run_ok(
            tauforge()
                .args(["ptau", "contribute"])
                .arg(p("0.ptau"))
                .arg(p("1.ptau"))
                .args(["-n", "tf", "-e", "a", "-q"]),
        );
        run_ok(
            snarkjs().args(["powersoftau", "contribute"]).arg(p("1.ptau")).arg(p("2.ptau")).args(["--name=sj", "-e=b"]),
        );
        run_ok(
            tauforge()
                .args(["ptau", "beacon"])
                .arg(p("2.ptau"))
                .arg(p("3.ptau"))
                .args([BEACON, "10", "-n", "bc", "-q"]),
        );
        run_ok(tauforge().args(["ptau", "prepare-phase2"]).arg(p("3.ptau")).arg(p("final.ptau")).arg("-q"));
        let f = p("final.ptau");
        (dir, f)
    })
}

/// Rewrites `src` into `dst` with `edit` applied to the sections (id, payload) in file order.
fn rewrite(src: &Path, dst: &Path, edit: impl Fn(u32, &mut Vec<u8>)) {
    let f = BinFile::open(src, b"ptau").unwrap();
    let mut w = BinWriter::create(dst, b"ptau", f.declared_sections).unwrap();
    for &id in &f.order {
        let mut b = f.read_section(id).unwrap();
        edit(id, &mut b);
        w.section(id, &b).unwrap();
    }
    w.finish().unwrap();
}

/// Rewrites `src` into `dst` with `edit` applied to the contribution records.
fn rewrite_records(src: &Path, dst: &Path, edit: impl Fn(&mut Vec<tauforge::format::ptau::PtauContribution>)) {
    let at = tauforge::error::Location::file("x");
    rewrite(src, dst, |id, b| {
        if id == 7 {
            let mut cs = parse_contributions(b, &at).unwrap();
            edit(&mut cs);
            *b = contributions_to_bytes(&cs);
        }
    });
}

/// A change to one section's payload.
type Edit = Box<dyn Fn(&mut Vec<u8>)>;

/// Swaps points i and j (of `size` bytes) of a section payload.
fn swap(b: &mut [u8], size: usize, i: usize, j: usize) {
    let (a, c) = (b[i * size..(i + 1) * size].to_vec(), b[j * size..(j + 1) * size].to_vec());
    b[i * size..(i + 1) * size].copy_from_slice(&c);
    b[j * size..(j + 1) * size].copy_from_slice(&a);
}

fn assert_rejected(file: &Path, want: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_tauforge")).args(["ptau", "verify"]).arg(file).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "tauforge should reject ({want}); stderr: {stderr}");
    assert!(stderr.contains(want), "expected {want:?} in: {stderr}");
    let sj = snarkjs().args(["powersoftau", "verify"]).arg(file).output().unwrap();
    let log = String::from_utf8_lossy(&sj.stdout);
    assert!(!sj.status.success() || !log.contains("Powers of Tau Ok!"), "snarkjs accepted the tampered file ({want})");
}

#[test]
fn honest_chains_verify() {
    let (_d, f) = chain();
    let out = run_ok(tauforge().args(["ptau", "verify"]).arg(f));
    assert!(out.contains("Powers of Tau Ok!") && out.contains("contribution #2 sj"), "{out}");
    let log = run_ok(snarkjs().args(["powersoftau", "verify"]).arg(f));
    assert!(log.contains("Powers of Tau Ok!"));
    for p in ["pot10_final.ptau", "pot12_final.ptau"] {
        let out = run_ok(tauforge().args(["ptau", "verify"]).arg(fixture(p)).arg("--json"));
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["valid"], true);
        assert_eq!(v["prepared"], true);
    }
}

#[test]
fn tamper_corpus_is_rejected() {
    let (dir, f) = chain();
    let out = |n: &str| dir.path().join(format!("t_{n}.ptau"));
    let cases: Vec<(&str, u32, Edit, &str)> = vec![
        ("taug1", 2, Box::new(|b| swap(b, 64, 5, 6)), "tauG1 section (section 2): the powers do not match"),
        ("taug2", 3, Box::new(|b| swap(b, 128, 5, 6)), "tauG2 section (section 3): the powers do not match"),
        ("alpha", 4, Box::new(|b| swap(b, 64, 5, 6)), "alphaTauG1 section (section 4): the powers do not match"),
        ("beta", 5, Box::new(|b| swap(b, 64, 5, 6)), "betaTauG1 section (section 5): the powers do not match"),
        (
            "betag2",
            6,
            Box::new(|b| {
                b.copy_from_slice(&tauforge::format::points::g2_to_lem(&ark_bn254::G2Affine::new_unchecked(
                    ark_bn254::g2::G2_GENERATOR_X,
                    ark_bn254::g2::G2_GENERATOR_Y,
                )))
            }),
            "betaG2 (section 6) does not match",
        ),
        ("lagrange", 12, Box::new(|b| swap(b, 64, 40, 41)), "Lagrange section 12, level 5"),
        ("lagrange_g2", 13, Box::new(|b| swap(b, 128, 40, 41)), "Lagrange section 13, level 5"),
        ("lagrange_beta", 15, Box::new(|b| swap(b, 64, 3, 4)), "Lagrange section 15, level 2"),
    ];
    for (name, sec, edit, want) in &cases {
        rewrite(f, &out(name), |id, b| {
            if id == *sec {
                edit(b)
            }
        });
        assert_rejected(&out(name), want);
    }

    // The same checks on a file without Lagrange sections.
    let unprepared = dir.path().join("3.ptau");
    rewrite(&unprepared, &out("taug2_unprepared"), |id, b| {
        if id == 3 {
            swap(b, 128, 2, 3)
        }
    });
    assert_rejected(&out("taug2_unprepared"), "tauG2 section (section 3): the powers do not match");

    rewrite_records(f, &out("key"), |cs| cs[1].key.alpha.g1_sx = cs[1].key.beta.g1_sx);
    assert_rejected(&out("key"), "contribution #2: invalid key (alpha)");
    rewrite_records(f, &out("response"), |cs| cs[2].partial_hash[140] ^= 1);
    assert_rejected(&out("response"), "does not match the next challenge");
    rewrite_records(f, &out("removed_last"), |cs| {
        cs.pop();
    });
    assert_rejected(&out("removed_last"), "does not match the last contribution");
    rewrite_records(f, &out("removed_middle"), |cs| {
        cs.remove(1);
    });
    assert_rejected(&out("removed_middle"), "contribution #2");
}

//! Malformed inputs for every verb that reads a file: `zkey verify`, `verify-init` (the bad file
//! as the key to verify), `contribute`, `beacon`,
//! `export-vkey`, `export-bellman`, `info` (zkey input) and `zkey new` / `zkey verify` (r1cs and ptau inputs).
//!
//! Every case must end in a clean error: exit code 2 (never a panic, 101, or an abort), a
//! `tauforge: error:` message naming the file and, where it applies, the section (and the index
//! of a bad point), and no output file — neither the named output nor a `.tauforge-*.tmp`
//! leftover — in the output's folder (each run gets its own empty output folder).
//!
//! Cases are collected and reported together, so one run shows every failing case.
//!
//! Which verbs a case applies to: every zkey verb parses sections 1–4 and 10 and checks every
//! section's size, so header, table and section-10 faults apply to all seven. The point sections
//! 8 (L) and 9 (H) are read only by the verifiers, `contribute`, `beacon` and `export-bellman` (as by
//! snarkjs, `info` and `export-vkey` never read them), and section 3 (IC) points are decoded by
//! `export-vkey` and `export-bellman` (`verify` compares section 3 byte for byte with the key it rebuilds, so a bad IC point is an
//! INVALID key there, exit 1, covered by `tests/zkey_tamper.rs`).

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{Field, One};
use common::container::Container;
use common::malformed::{check_failure, expect, expect_any, Expect};
use common::{fixture, run_ok, tauforge, tempdir};
use tauforge::format::points::{g1_from_lem, g1_to_lem, g2_from_lem, g2_to_lem};

/// BLS12-381's scalar field prime, little-endian: a plausible "other curve" prime.
const BLS12_381_R_LE: [u8; 32] = {
    // 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
    let be: [u8; 32] = [
        0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05, 0x53, 0xbd,
        0xa4, 0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
    ];
    let mut le = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        le[i] = be[31 - i];
        i += 1;
    }
    le
};

const BEACON_HEX: &str = "5ca1ab1e0ddba11c0ffeebadf00d5eedfacefeed1234567890abcdef0fedcba9";

/// Section-2 offsets (reference §4.2.1).
const H_Q: usize = 4;
const H_R: usize = 40;
const H_ALPHA1: usize = 84;
const H_BETA1: usize = 148;
const H_BETA2: usize = 212;
const H_GAMMA2: usize = 340;
const H_DELTA1: usize = 468;
const H_DELTA2: usize = 532;
/// Offset of the first contribution record in section 10, and fields inside a record.
const MPC_REC0: usize = 68;
const REC_DELTA_AFTER: usize = 0;
const REC_G1_S: usize = 64;
const REC_G1_SX: usize = 128;
const REC_G2_SPX: usize = 192;

struct Inputs {
    /// `zkey new` of small.r1cs + pot10 (section order 1,2,4,3,9,8,5,6,7,10, no contribution).
    new_zkey: Container,
    /// A beacon applied to it (order 1..10, one contribution record).
    beacon_zkey: Container,
    r1cs: Container,
    ptau: Container,
}

fn inputs() -> &'static Inputs {
    static INPUTS: OnceLock<Inputs> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let dir = tempdir();
        let new = dir.path().join("new.zkey");
        let beacon = dir.path().join("beacon.zkey");
        run_ok(tauforge().args(["--quiet", "zkey", "new"]).args([
            fixture("circuits/small.r1cs").as_path(),
            fixture("pot10_final.ptau").as_path(),
            &new,
        ]));
        run_ok(tauforge().args(["--quiet", "zkey", "beacon"]).args([&new, &beacon]).args([
            BEACON_HEX,
            "10",
            "-n",
            "malformed corpus beacon",
        ]));
        Inputs {
            new_zkey: Container::read(&new, b"zkey"),
            beacon_zkey: Container::read(&beacon, b"zkey"),
            r1cs: Container::read(&fixture("circuits/small.r1cs"), b"r1cs"),
            ptau: Container::read(&fixture("pot10_final.ptau"), b"ptau"),
        }
    })
}

/// The verbs that read a zkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Verify,
    VerifyInit,
    Contribute,
    Beacon,
    ExportVkey,
    ExportBellman,
    Info,
}

use Verb::*;

const ALL_ZKEY_VERBS: &[Verb] = &[Verify, VerifyInit, Contribute, Beacon, ExportVkey, ExportBellman, Info];
/// The verbs that read the L and H point sections.
const POINT_VERBS: &[Verb] = &[Verify, VerifyInit, Contribute, Beacon, ExportBellman];

fn small_r1cs() -> PathBuf {
    fixture("circuits/small.r1cs")
}

fn pot10() -> PathBuf {
    fixture("pot10_final.ptau")
}

/// A file name for a case: letters, digits, '-' and '_' only.
fn file_name(case: &str, ext: &str) -> String {
    let s: String = case.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("{s}.{ext}")
}

/// Writes `zkey` and runs each verb on it.
fn zkey_case(case: &str, zkey: &[u8], verbs: &[Verb], exp: &Expect, failures: &mut Vec<String>) {
    let dir = tempdir();
    let bad = dir.path().join(file_name(case, "zkey"));
    std::fs::write(&bad, zkey).unwrap();
    for &verb in verbs {
        let out_dir = dir.path().join(format!("out-{verb:?}"));
        std::fs::create_dir(&out_dir).unwrap();
        let mut cmd = tauforge();
        cmd.args(["--quiet", "zkey"]);
        match verb {
            Verify => cmd.arg("verify").args([small_r1cs(), pot10()]).arg(&bad).current_dir(&out_dir),
            VerifyInit => {
                let init = dir.path().join("init.zkey");
                std::fs::write(&init, inputs().new_zkey.bytes()).unwrap();
                cmd.arg("verify-init").arg(&init).arg(pot10()).arg(&bad).current_dir(&out_dir)
            }
            Contribute => cmd.arg("contribute").arg(&bad).arg(out_dir.join("out.zkey")).args([
                "-n",
                "x",
                "-e",
                "malformed test entropy",
            ]),
            Beacon => cmd.arg("beacon").arg(&bad).arg(out_dir.join("out.zkey")).args([BEACON_HEX, "10"]),
            ExportVkey => cmd.arg("export-vkey").arg(&bad).arg(out_dir.join("vk.json")),
            ExportBellman => cmd.arg("export-bellman").arg(&bad).arg(out_dir.join("out.mpcparams")),
            Info => cmd.arg("info").arg(&bad).current_dir(&out_dir),
        };
        check_failure(&format!("{case} / {verb:?}"), cmd, &bad, &out_dir, exp, failures);
    }
}

/// Which input of `zkey new` / `zkey verify` is malformed.
#[derive(Debug, Clone, Copy)]
enum Input {
    R1cs,
    Ptau,
}

/// Writes the bad r1cs or ptau and runs `zkey new` (output into an empty folder) and
/// `zkey verify` (with a valid zkey) on it.
fn circuit_case(case: &str, input: Input, bytes: &[u8], exp: &Expect, failures: &mut Vec<String>) {
    let dir = tempdir();
    let bad = dir.path().join(match input {
        Input::R1cs => file_name(case, "r1cs"),
        Input::Ptau => file_name(case, "ptau"),
    });
    std::fs::write(&bad, bytes).unwrap();
    let (r1cs, ptau) = match input {
        Input::R1cs => (bad.clone(), pot10()),
        Input::Ptau => (small_r1cs(), bad.clone()),
    };
    let out_dir = dir.path().join("out-new");
    std::fs::create_dir(&out_dir).unwrap();
    let mut cmd = tauforge();
    cmd.args(["--quiet", "zkey", "new"]).args([&r1cs, &ptau]).arg(out_dir.join("out.zkey"));
    check_failure(&format!("{case} / new"), cmd, &bad, &out_dir, exp, failures);

    let good_zkey = dir.path().join("good.zkey");
    std::fs::write(&good_zkey, inputs().beacon_zkey.bytes()).unwrap();
    let out_dir = dir.path().join("out-verify");
    std::fs::create_dir(&out_dir).unwrap();
    let mut cmd = tauforge();
    cmd.args(["--quiet", "zkey", "verify"]).args([&r1cs, &ptau, &good_zkey]).current_dir(&out_dir);
    check_failure(&format!("{case} / verify"), cmd, &bad, &out_dir, exp, failures);
}

fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} failing case(s):\n{}", failures.len(), failures.join("\n"));
}

/// Cut points: inside the file header, at and around every section boundary and section
/// header, and inside every payload. Returns (cut, the section whose payload the cut falls in).
fn cut_points(c: &Container) -> Vec<(usize, Option<u32>)> {
    let len = c.bytes().len();
    let mut cuts = vec![0, 1, 3, 4, 7, 8, 11];
    for (_, start, end) in c.layout() {
        let h = start - 12;
        cuts.extend([h - 1, h, h + 1, h + 4, h + 11, start, start + 1]);
        cuts.extend([(start + end) / 2, end.saturating_sub(1)]);
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.retain(|&c| c < len);
    let layout = c.layout();
    cuts.into_iter()
        .map(|cut| {
            let sec = layout.iter().find(|(_, s, e)| *s <= cut && cut < *e).map(|l| l.0);
            (cut, sec)
        })
        .collect()
}

fn truncation_expect(sec: Option<u32>) -> Expect {
    // A cut inside a payload must name that section; elsewhere the header or the section table
    // is incomplete, and the message says the file is truncated or too short.
    match sec {
        Some(s) => expect(Some(s), None, &["truncated"]),
        None => expect_any(&["truncated", "too short"]),
    }
}

// ----------------------------------------------------------------------------------------------
// Truncation
// ----------------------------------------------------------------------------------------------

#[test]
fn truncated_zkey() {
    let mut failures = Vec::new();
    for (label, c) in [("new", &inputs().new_zkey), ("beacon", &inputs().beacon_zkey)] {
        let bytes = c.bytes();
        for (cut, sec) in cut_points(c) {
            zkey_case(
                &format!("truncated {label} zkey at {cut}"),
                &bytes[..cut],
                ALL_ZKEY_VERBS,
                &truncation_expect(sec),
                &mut failures,
            );
        }
    }
    report(failures);
}

#[test]
fn truncated_r1cs() {
    let mut failures = Vec::new();
    let c = &inputs().r1cs;
    let bytes = c.bytes();
    for (cut, sec) in cut_points(c) {
        circuit_case(
            &format!("truncated r1cs at {cut}"),
            Input::R1cs,
            &bytes[..cut],
            &truncation_expect(sec),
            &mut failures,
        );
    }
    report(failures);
}

#[test]
fn truncated_ptau() {
    let mut failures = Vec::new();
    let c = &inputs().ptau;
    let bytes = c.bytes();
    for (cut, sec) in cut_points(c) {
        circuit_case(
            &format!("truncated ptau at {cut}"),
            Input::Ptau,
            &bytes[..cut],
            &truncation_expect(sec),
            &mut failures,
        );
    }
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Magic, version, missing sections, section table
// ----------------------------------------------------------------------------------------------

#[test]
fn wrong_magic_and_version() {
    let mut failures = Vec::new();
    let i = inputs();
    for (label, magic) in [("zkex", *b"zkex"), ("ptau", *b"ptau"), ("ZKEY", *b"ZKEY")] {
        let mut c = i.beacon_zkey.clone();
        c.magic = magic;
        zkey_case(
            &format!("zkey with magic {label}"),
            &c.bytes(),
            ALL_ZKEY_VERBS,
            &expect(None, None, &["wrong magic"]),
            &mut failures,
        );
    }
    // A ptau given where a zkey is expected.
    zkey_case(
        "ptau given as zkey",
        &i.ptau.bytes(),
        ALL_ZKEY_VERBS,
        &expect(None, None, &["wrong magic"]),
        &mut failures,
    );
    let mut c = i.beacon_zkey.clone();
    c.version = 2;
    zkey_case("zkey version 2", &c.bytes(), ALL_ZKEY_VERBS, &expect(None, None, &["version 2"]), &mut failures);
    let mut c = i.r1cs.clone();
    c.magic = *b"r1cz";
    circuit_case("r1cs with magic r1cz", Input::R1cs, &c.bytes(), &expect(None, None, &["wrong magic"]), &mut failures);
    circuit_case(
        "zkey given as r1cs",
        Input::R1cs,
        &i.new_zkey.bytes(),
        &expect(None, None, &["wrong magic"]),
        &mut failures,
    );
    let mut c = i.ptau.clone();
    c.magic = *b"ptaw";
    circuit_case("ptau with magic ptaw", Input::Ptau, &c.bytes(), &expect(None, None, &["wrong magic"]), &mut failures);
    let mut c = i.ptau.clone();
    c.version = 0;
    circuit_case("ptau version 0", Input::Ptau, &c.bytes(), &expect(None, None, &["version 0"]), &mut failures);
    report(failures);
}

#[test]
fn missing_section() {
    let mut failures = Vec::new();
    let i = inputs();
    for (label, c) in [("new", &i.new_zkey), ("beacon", &i.beacon_zkey)] {
        for id in 1..=10 {
            zkey_case(
                &format!("{label} zkey without section {id}"),
                &c.clone().without(id).bytes(),
                ALL_ZKEY_VERBS,
                &expect(Some(id), None, &["missing section"]),
                &mut failures,
            );
        }
    }
    // A duplicated section is as bad as a missing one.
    let mut c = i.beacon_zkey.clone();
    let s8 = c.sections[c.pos(8)].clone();
    c.sections.push(s8);
    c.declared += 1;
    zkey_case(
        "zkey with section 8 twice",
        &c.bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(8), None, &["more than once"]),
        &mut failures,
    );
    // Section 3 of an r1cs (wire labels) is not needed by a Groth16 setup.
    for id in [1, 2] {
        circuit_case(
            &format!("r1cs without section {id}"),
            Input::R1cs,
            &i.r1cs.clone().without(id).bytes(),
            &expect(Some(id), None, &["missing section"]),
            &mut failures,
        );
    }
    // Section 7 (phase-1 contributions) is not needed by a Groth16 setup.
    for id in [1, 2, 3, 4, 5, 6, 13, 14, 15] {
        circuit_case(
            &format!("ptau without section {id}"),
            Input::Ptau,
            &i.ptau.clone().without(id).bytes(),
            &expect(Some(id), None, &["missing section"]),
            &mut failures,
        );
    }
    // Without section 12 the file is an unprepared ptau.
    circuit_case(
        "ptau without section 12",
        Input::Ptau,
        &i.ptau.clone().without(12).bytes(),
        &expect(None, None, &["not prepared"]),
        &mut failures,
    );
    report(failures);
}

/// Expectation for a section table made inconsistent by changing section `id`'s declared
/// size: the message names the file and says the table does not add up.
fn table_expect(c: &Container, id: u32, delta: i64) -> Expect {
    if delta >= 1 << 40 {
        // More than the whole file: this very section is truncated.
        return expect(Some(id), None, &["truncated"]);
    }
    let last = c.sections.last().unwrap().0 == id;
    match (last, delta > 0) {
        // The last section claims more than the file holds.
        (true, true) => expect(Some(id), None, &["truncated"]),
        // The last section ends before the file does.
        (true, false) => expect(None, None, &["trailing bytes"]),
        // The next section header is read from the wrong place: only the file can be named.
        (false, _) => expect_any(&["corrupt section table", "truncated", "trailing bytes", "file ends after"]),
    }
}

#[test]
fn inconsistent_section_table() {
    let mut failures = Vec::new();
    let i = inputs();
    for (label, c) in [("new", &i.new_zkey), ("beacon", &i.beacon_zkey)] {
        for (id, _, _) in &c.sections {
            for delta in [-1i64, 1, 64, 1 << 40] {
                zkey_case(
                    &format!("{label} zkey, section {id} declared {delta:+} bytes"),
                    &c.clone().declare_size(*id, delta).bytes(),
                    ALL_ZKEY_VERBS,
                    &table_expect(c, *id, delta),
                    &mut failures,
                );
            }
        }
        for (what, delta, says) in [("one more", 1i32, "file ends after 10"), ("one fewer", -1, "trailing bytes")] {
            let mut t = c.clone();
            t.declared = t.declared.wrapping_add_signed(delta);
            zkey_case(
                &format!("{label} zkey declaring {what} section"),
                &t.bytes(),
                ALL_ZKEY_VERBS,
                &expect(None, None, &[says]),
                &mut failures,
            );
        }
    }
    for (input, c) in [(Input::R1cs, &i.r1cs), (Input::Ptau, &i.ptau)] {
        for (id, _, _) in &c.sections {
            for delta in [-1i64, 1, 1 << 40] {
                circuit_case(
                    &format!("{input:?}, section {id} declared {delta:+} bytes"),
                    input,
                    &c.clone().declare_size(*id, delta).bytes(),
                    &table_expect(c, *id, delta),
                    &mut failures,
                );
            }
        }
        let mut t = c.clone();
        t.declared += 1;
        circuit_case(
            &format!("{input:?} declaring one more section"),
            input,
            &t.bytes(),
            &expect(None, None, &["file ends after"]),
            &mut failures,
        );
    }
    report(failures);
}

/// `c` with section `id` shortened (negative) or lengthened (zero bytes) by `delta` bytes,
/// its declared size kept consistent.
fn resized(c: &Container, id: u32, delta: i64) -> Container {
    let mut p = c.sections[c.pos(id)].2.clone();
    if delta < 0 {
        p.truncate(p.len() - (-delta) as usize);
    } else {
        p.resize(p.len() + delta as usize, 0);
    }
    c.clone().set_payload(id, p)
}

#[test]
fn section_of_wrong_length_for_its_content() {
    let mut failures = Vec::new();
    let i = inputs();
    for (label, c) in [("new", &i.new_zkey), ("beacon", &i.beacon_zkey)] {
        // (section, change in bytes, words the message must contain)
        let cases: &[(u32, i64, &[&'static str])] = &[
            (1, 4, &["bytes, expected 4"]),
            (2, -1, &["expected 660"]),
            (2, 64, &["expected 660"]),
            (3, -64, &["expected"]),
            (4, -44, &["expected"]),
            (4, 1, &["expected"]),
            (5, -64, &["expected"]),
            (6, 64, &["expected"]),
            (7, -128, &["expected"]),
            (8, -64, &["expected"]),
            (9, 64, &["expected"]),
            (10, 1, &["trailing bytes"]),
        ];
        for &(id, delta, needles) in cases {
            zkey_case(
                &format!("{label} zkey, section {id} resized by {delta:+}"),
                &resized(c, id, delta).bytes(),
                ALL_ZKEY_VERBS,
                &expect(Some(id), None, needles),
                &mut failures,
            );
        }
    }
    // The record of the beacon cut short, and a count promising a record that is not there.
    let c = &i.beacon_zkey;
    zkey_case(
        "beacon zkey, section 10 one byte short",
        &resized(c, 10, -1).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(10), Some(0), &["truncated"]),
        &mut failures,
    );
    zkey_case(
        "beacon zkey, section 10 counting 2 contributions",
        &c.clone().patch(10, 64, &2u32.to_le_bytes()).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(10), Some(1), &["truncated"]),
        &mut failures,
    );
    // Coefficient count that disagrees with the section's length.
    let n = u32::from_le_bytes(c.sections[c.pos(4)].2[0..4].try_into().unwrap());
    zkey_case(
        "zkey, section 4 count one too many",
        &c.clone().patch(4, 0, &(n + 1).to_le_bytes()).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(4), None, &["expected"]),
        &mut failures,
    );
    // Header sizes that disagree with the point sections.
    for (what, off, value, section) in [("nVars", 72, 521u32, 5), ("nPublic", 76, 3, 3), ("domainSize", 80, 2048, 9)] {
        zkey_case(
            &format!("zkey, section 2 {what} changed"),
            &c.clone().patch(2, off, &value.to_le_bytes()).bytes(),
            ALL_ZKEY_VERBS,
            &expect(Some(section), None, &["expected"]),
            &mut failures,
        );
    }
    zkey_case(
        "zkey, section 2 domainSize not a power of two",
        &c.clone().patch(2, 80, &1000u32.to_le_bytes()).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(2), None, &["power of two"]),
        &mut failures,
    );
    zkey_case(
        "zkey, section 1 protocol 2 (PLONK)",
        &c.clone().patch(1, 0, &2u32.to_le_bytes()).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(1), None, &["not Groth16"]),
        &mut failures,
    );

    let r = &i.r1cs;
    circuit_case(
        "r1cs, section 1 four bytes long",
        Input::R1cs,
        &resized(r, 1, 4).bytes(),
        &expect(Some(1), None, &["header is"]),
        &mut failures,
    );
    circuit_case(
        "r1cs, section 1 four bytes short",
        Input::R1cs,
        &resized(r, 1, -4).bytes(),
        &expect(Some(1), None, &["too short"]),
        &mut failures,
    );
    circuit_case(
        "r1cs, section 2 one byte short",
        Input::R1cs,
        &resized(r, 2, -1).bytes(),
        &expect(Some(2), None, &["truncated"]),
        &mut failures,
    );
    circuit_case(
        "r1cs, section 2 one byte long",
        Input::R1cs,
        &resized(r, 2, 1).bytes(),
        &expect(Some(2), None, &["trailing bytes"]),
        &mut failures,
    );
    circuit_case(
        "r1cs, section 3 one label short",
        Input::R1cs,
        &resized(r, 3, -8).bytes(),
        &expect(Some(3), None, &["expected"]),
        &mut failures,
    );
    // nConstraints (header offset 60) larger than section 2 holds.
    circuit_case(
        "r1cs, nConstraints one too many",
        Input::R1cs,
        &r.clone().patch(1, 60, &518u32.to_le_bytes()).bytes(),
        &expect(Some(2), Some(517), &["truncated"]),
        &mut failures,
    );
    // nWires (header offset 36) that the wire-label map (section 3) contradicts; a huge value
    // must not make tauforge try to allocate per-wire tables for four billion wires.
    for wires in [521u32, u32::MAX] {
        circuit_case(
            &format!("r1cs, nWires {wires}"),
            Input::R1cs,
            &r.clone().patch(1, 36, &wires.to_le_bytes()).bytes(),
            &expect(Some(3), None, &["expected"]),
            &mut failures,
        );
    }

    let p = &i.ptau;
    circuit_case(
        "ptau, section 1 one byte short",
        Input::Ptau,
        &resized(p, 1, -1).bytes(),
        &expect(Some(1), None, &["expected 44"]),
        &mut failures,
    );
    for (id, delta) in [(2, -64i64), (3, 128), (4, -64), (5, 64), (6, -128), (12, -64)] {
        circuit_case(
            &format!("ptau, section {id} resized by {delta:+}"),
            Input::Ptau,
            &resized(p, id, delta).bytes(),
            &expect(Some(id), None, &["expected"]),
            &mut failures,
        );
    }
    // The header's power and ceremony power (offsets 36, 40) disagree with the point sections.
    let mut powers = 11u32.to_le_bytes().to_vec();
    powers.extend_from_slice(&11u32.to_le_bytes());
    circuit_case(
        "ptau, power 11 in the header",
        Input::Ptau,
        &p.clone().patch(1, 36, &powers).bytes(),
        &expect(Some(2), None, &["expected"]),
        &mut failures,
    );
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Points
// ----------------------------------------------------------------------------------------------

/// The LEM bytes of `(x, y + 1)` for the G1 point in `lem`: reduced coordinates, off the curve.
fn g1_off_curve(lem: &[u8]) -> [u8; 64] {
    let p = g1_from_lem(lem).expect("valid point");
    assert!(!p.infinity);
    let q = G1Affine::new_unchecked(p.x, p.y + Fq::one());
    assert!(!q.is_on_curve());
    g1_to_lem(&q)
}

/// The LEM bytes of `(x, y + 1)` for the G2 point in `lem`.
fn g2_off_curve(lem: &[u8]) -> [u8; 128] {
    let p = g2_from_lem(lem).expect("valid point");
    assert!(!p.infinity);
    let q = G2Affine::new_unchecked(p.x, p.y + Fq2::one());
    assert!(!q.is_on_curve());
    g2_to_lem(&q)
}

/// A point on the G2 twist curve y² = x³ + b₂ outside the prime-order subgroup.
fn g2_outside_subgroup() -> [u8; 128] {
    let g = G2Affine::generator();
    let b2 = g.y.square() - g.x.square() * g.x;
    for i in 1u64.. {
        let x = Fq2::new(Fq::from(i), Fq::from(7u64));
        let Some(y) = (x.square() * x + b2).sqrt() else {
            continue;
        };
        let p = G2Affine::new_unchecked(x, y);
        assert!(p.is_on_curve());
        if !p.is_in_correct_subgroup_assuming_on_curve() {
            return g2_to_lem(&p);
        }
    }
    unreachable!()
}

/// A G1 point in LEM whose x coordinate is not reduced (x + q as a 256-bit integer).
fn g1_unreduced(lem: &[u8]) -> [u8; 64] {
    let q = tauforge::format::ptau::fq_modulus_le();
    let mut out: [u8; 64] = lem.try_into().unwrap();
    let mut carry = 0u16;
    for k in 0..32 {
        let s = out[k] as u16 + q[k] as u16 + carry;
        out[k] = s as u8;
        carry = s >> 8;
    }
    if carry == 0 {
        return out;
    }
    // x + q overflowed 256 bits: all ones is never reduced either.
    out[..32].fill(0xff);
    out
}

fn payload(c: &Container, id: u32) -> &[u8] {
    &c.sections[c.pos(id)].2
}

#[test]
fn point_off_the_curve() {
    let mut failures = Vec::new();
    let c = &inputs().beacon_zkey;
    let h = payload(c, 2);
    for (what, off) in [("alpha1", H_ALPHA1), ("beta1", H_BETA1), ("delta1", H_DELTA1)] {
        let bad = g1_off_curve(&h[off..off + 64]);
        zkey_case(
            &format!("zkey header {what} off the curve"),
            &c.clone().patch(2, off, &bad).bytes(),
            ALL_ZKEY_VERBS,
            &expect(Some(2), None, &[what, "not on the curve"]),
            &mut failures,
        );
    }
    for (what, off) in [("beta2", H_BETA2), ("gamma2", H_GAMMA2), ("delta2", H_DELTA2)] {
        let bad = g2_off_curve(&h[off..off + 128]);
        zkey_case(
            &format!("zkey header {what} off the curve"),
            &c.clone().patch(2, off, &bad).bytes(),
            ALL_ZKEY_VERBS,
            &expect(Some(2), None, &[what, "not on the curve"]),
            &mut failures,
        );
    }
    zkey_case(
        "zkey header alpha1 with an unreduced coordinate",
        &c.clone().patch(2, H_ALPHA1, &g1_unreduced(&h[H_ALPHA1..H_ALPHA1 + 64])).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(2), None, &["alpha1", "not reduced"]),
        &mut failures,
    );
    // L (section 8) and H (section 9): point 7 of each.
    for id in [8u32, 9] {
        let at = 7 * 64;
        let bad = g1_off_curve(&payload(c, id)[at..at + 64]);
        zkey_case(
            &format!("zkey section {id} point 7 off the curve"),
            &c.clone().patch(id, at, &bad).bytes(),
            POINT_VERBS,
            &expect(Some(id), Some(7), &["not on the curve"]),
            &mut failures,
        );
    }
    // IC (section 3) point 1, decoded by export-vkey and export-bellman.
    let bad = g1_off_curve(&payload(c, 3)[64..128]);
    zkey_case(
        "zkey section 3 point 1 off the curve",
        &c.clone().patch(3, 64, &bad).bytes(),
        &[ExportVkey, ExportBellman],
        &expect(Some(3), Some(1), &["not on the curve"]),
        &mut failures,
    );
    // The contribution record's points.
    let m = payload(c, 10);
    for (what, off) in [("deltaAfter", REC_DELTA_AFTER), ("g1_s", REC_G1_S), ("g1_sx", REC_G1_SX)] {
        let at = MPC_REC0 + off;
        let bad = g1_off_curve(&m[at..at + 64]);
        zkey_case(
            &format!("zkey contribution {what} off the curve"),
            &c.clone().patch(10, at, &bad).bytes(),
            ALL_ZKEY_VERBS,
            &expect(Some(10), Some(0), &[what, "not on the curve"]),
            &mut failures,
        );
    }
    let at = MPC_REC0 + REC_G2_SPX;
    let bad = g2_off_curve(&m[at..at + 128]);
    zkey_case(
        "zkey contribution g2_spx off the curve",
        &c.clone().patch(10, at, &bad).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(10), Some(0), &["g2_spx", "not on the curve"]),
        &mut failures,
    );

    // ptau points that `zkey new` (and verify, which rebuilds the key) read: Lagrange level 10
    // of section 12 starts at point 1023; alphaTauG1[0] is alpha1.
    let p = &inputs().ptau;
    for (id, point) in [(12u32, 1023 + 5), (4, 0)] {
        let at = point * 64;
        let bad = g1_off_curve(&payload(p, id)[at..at + 64]);
        circuit_case(
            &format!("ptau section {id} point {point} off the curve"),
            Input::Ptau,
            &p.clone().patch(id, at, &bad).bytes(),
            &expect(Some(id), Some(point as u64), &["not on the curve"]),
            &mut failures,
        );
    }
    report(failures);
}

#[test]
fn g2_point_outside_the_subgroup() {
    let mut failures = Vec::new();
    let bad = g2_outside_subgroup();
    let c = &inputs().beacon_zkey;
    for (what, off) in [("delta2", H_DELTA2), ("beta2", H_BETA2), ("gamma2", H_GAMMA2)] {
        zkey_case(
            &format!("zkey header {what} outside the subgroup"),
            &c.clone().patch(2, off, &bad).bytes(),
            ALL_ZKEY_VERBS,
            &expect(Some(2), None, &[what, "not in the prime-order subgroup"]),
            &mut failures,
        );
    }
    zkey_case(
        "zkey contribution g2_spx outside the subgroup",
        &c.clone().patch(10, MPC_REC0 + REC_G2_SPX, &bad).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(10), Some(0), &["g2_spx", "not in the prime-order subgroup"]),
        &mut failures,
    );
    // ptau: betaG2 (section 6) and a Lagrange tauG2 point (section 13, level 10 point 3).
    let p = &inputs().ptau;
    for (id, point) in [(6u32, 0usize), (13, 1023 + 3)] {
        circuit_case(
            &format!("ptau section {id} point {point} outside the subgroup"),
            Input::Ptau,
            &p.clone().patch(id, point * 128, &bad).bytes(),
            &expect(Some(id), Some(point as u64), &["not in the prime-order subgroup"]),
            &mut failures,
        );
    }
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Primes
// ----------------------------------------------------------------------------------------------

#[test]
fn wrong_prime() {
    let mut failures = Vec::new();
    let i = inputs();
    let q = tauforge::format::ptau::fq_modulus_le();
    let r = tauforge::format::r1cs::fr_modulus_le();
    let c = &i.beacon_zkey;
    for (what, off, prime) in [
        ("q replaced by r", H_Q, r),
        ("q replaced by BLS12-381 r", H_Q, BLS12_381_R_LE),
        ("r replaced by q", H_R, q),
        ("r replaced by BLS12-381 r", H_R, BLS12_381_R_LE),
    ] {
        zkey_case(
            &format!("zkey section 2 {what}"),
            &c.clone().patch(2, off, &prime).bytes(),
            ALL_ZKEY_VERBS,
            &expect(Some(2), None, &["prime"]),
            &mut failures,
        );
    }
    zkey_case(
        "zkey section 2 n8q = 48",
        &c.clone().patch(2, 0, &48u32.to_le_bytes()).bytes(),
        ALL_ZKEY_VERBS,
        &expect(Some(2), None, &["prime"]),
        &mut failures,
    );
    for (what, prime) in [("q", q), ("BLS12-381 r", BLS12_381_R_LE)] {
        circuit_case(
            &format!("r1cs prime replaced by {what}"),
            Input::R1cs,
            &i.r1cs.clone().patch(1, 4, &prime).bytes(),
            &expect(Some(1), None, &["prime"]),
            &mut failures,
        );
    }
    circuit_case(
        "r1cs field size 48",
        Input::R1cs,
        &i.r1cs.clone().patch(1, 0, &48u32.to_le_bytes()).bytes(),
        &expect(Some(1), None, &["field size 48"]),
        &mut failures,
    );
    for (what, prime) in [("r", r), ("BLS12-381 r", BLS12_381_R_LE)] {
        circuit_case(
            &format!("ptau prime replaced by {what}"),
            Input::Ptau,
            &i.ptau.clone().patch(1, 4, &prime).bytes(),
            &expect(Some(1), None, &["prime"]),
            &mut failures,
        );
    }
    report(failures);
}

//! Malformed inputs for the phase-1 verbs: `ptau verify`, `contribute`, `beacon`,
//! `prepare-phase2`, `truncate`, `info`, `export-challenge` and `import-response` (ptau input), plus the
//! response file of `import-response` and the challenge file of `challenge-contribute`.
//!
//! Every case must end in a clean error: exit code 2 (never a panic, 101, an abort, or 0), a
//! `tauforge: error:` message naming the file and, where it applies, the section (and the index
//! of a bad point), and no output file — neither the named output nor a `.tauforge-*.tmp`
//! leftover — in the output's folder (each run gets its own empty output folder; the verbs
//! without an output run inside theirs).
//!
//! The words a message must contain are looked for in it with the file's name taken out (the
//! file is named after its case). Cases are collected and reported together, so one run shows
//! every failing case. Set `TAUFORGE_SHOW_ERRORS=1` to print every message.
//!
//! Which verbs a case applies to: every verb opens the ptau with the same reader, which checks
//! the header, the section table and every section's size (the Lagrange sections' too, in a
//! prepared file), and every verb parses the contribution records of section 7, so header,
//! table, size and section-7 faults apply to all eight. The points of sections 2–6 are read by
//! `verify`, `contribute`, `beacon`, `prepare-phase2` (which copies section 6 unchanged, after
//! checking it) and `export-challenge`; `info` shows only the header and the records, `truncate`
//! copies the points unread (as snarkjs's `powersoftau truncate`), and
//! `import-response` takes the new points from the response (as snarkjs's `import response`, it
//! never reads the old points). The Lagrange points of sections 12–15 are read only by `verify`
//! (`prepare-phase2` recomputes them; the others, as in snarkjs, ignore them).
//!
//! Challenge and response files have no sections: a bad point there is named by its part
//! (tauG1, tauG2, alphaTauG1, betaTauG1, betaG2) and its index in that part, or by its name in
//! the response's public key.
//!
//! Inputs are small to keep the run fast: a power-8 ptau with one contribution made here, and
//! the snarkjs-made prepared power-10 `tests/fixtures/pot10_final.ptau` for the Lagrange
//! sections. Every command runs with `--backend cpu` (`TAUFORGE_BACKEND`): the faults are
//! found by the readers, before any backend work.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{Field, One};
use common::container::Container;
use common::malformed::{check_failure, expect, expect_any, Expect};
use common::{fixture, run_fail, run_ok, tauforge, tempdir};
use tauforge::format::points::{
    g1_from_lem, g1_from_u, g1_to_lem, g1_to_u, g2_from_lem, g2_from_u_on_curve, g2_to_c, g2_to_lem, g2_to_u,
};
use tauforge::format::ptau::fq_modulus_le;

/// BLS12-381's scalar field prime r, little-endian: a plausible "other curve" prime of 32 bytes.
const BLS12_381_R_LE: [u8; 32] = le_from_be(&[
    0x73, 0xed, 0xa7, 0x53, 0x29, 0x9d, 0x7d, 0x48, 0x33, 0x39, 0xd8, 0x08, 0x09, 0xa1, 0xd8, 0x05, 0x53, 0xbd, 0xa4,
    0x02, 0xff, 0xfe, 0x5b, 0xfe, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01,
]);

/// BLS12-381's base field prime q, little-endian (48 bytes): the header of a BLS12-381 ptau.
const BLS12_381_Q_LE: [u8; 48] = le_from_be(&[
    0x1a, 0x01, 0x11, 0xea, 0x39, 0x7f, 0xe6, 0x9a, 0x4b, 0x1b, 0xa7, 0xb6, 0x43, 0x4b, 0xac, 0xd7, 0x64, 0x77, 0x4b,
    0x84, 0xf3, 0x85, 0x12, 0xbf, 0x67, 0x30, 0xd2, 0xa0, 0xf6, 0xb0, 0xf6, 0x24, 0x1e, 0xab, 0xff, 0xfe, 0xb1, 0x53,
    0xff, 0xff, 0xb9, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xaa, 0xab,
]);

const fn le_from_be<const N: usize>(be: &[u8; N]) -> [u8; N] {
    let mut le = [0u8; N];
    let mut i = 0;
    while i < N {
        le[i] = be[N - 1 - i];
        i += 1;
    }
    le
}

const BEACON_HEX: &str = "5ca1ab1e0ddba11c0ffeebadf00d5eedfacefeed1234567890abcdef0fedcba9";

/// The power of the ptau made here.
const P8: u32 = 8;

/// Offset of the first contribution record in section 7, and fields inside a record
/// (reference §2.3).
const REC0: usize = 4;
const REC_TAU_G1: usize = 0;
const REC_BETA_G2: usize = 320;
const REC_ALPHA_G1_S: usize = 448 + 128;
const REC_BETA_G2_SPX: usize = 832 + 2 * 128;
const REC_PARAMS_LEN: usize = 1500;
const REC_PARAMS: usize = 1504;

/// Which good ptau a case starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// `ptau new bn128 8` then one `ptau contribute` (sections 1..7, one record with a name).
    P8,
    /// `tests/fixtures/pot10_final.ptau`: snarkjs-made, prepared (sections 1..7, 12..15), one
    /// beacon record.
    Pot10,
}

struct Inputs {
    p8: Container,
    pot10: Container,
    /// A response to the challenge of `p8` (so `import-response` of the good `p8` succeeds).
    p8_response: Vec<u8>,
    /// A response to the challenge of `pot10`.
    pot10_response: Vec<u8>,
    /// The challenge of `p8`.
    p8_challenge: Vec<u8>,
}

fn inputs() -> &'static Inputs {
    static INPUTS: OnceLock<Inputs> = OnceLock::new();
    INPUTS.get_or_init(|| {
        let dir = tempdir();
        let p = |n: &str| dir.path().join(n);
        run_ok(cpu(&mut tauforge()).args(["--quiet", "ptau", "new", "bn128", &P8.to_string()]).arg(p("p8_0.ptau")));
        run_ok(
            cpu(&mut tauforge()).args(["--quiet", "ptau", "contribute"]).args([p("p8_0.ptau"), p("p8.ptau")]).args([
                "-n",
                "malformed corpus",
                "-e",
                "malformed corpus entropy",
            ]),
        );
        for (ptau, ch, rs) in [(p("p8.ptau"), "p8.challenge", "p8.response"), (pot10(), "10.challenge", "10.response")]
        {
            run_ok(tauforge().args(["--quiet", "ptau", "export-challenge"]).arg(&ptau).arg(p(ch)));
            run_ok(
                cpu(&mut tauforge())
                    .args(["--quiet", "ptau", "challenge-contribute"])
                    .args([p(ch), p(rs)])
                    .args(["-e", "malformed corpus response"]),
            );
        }
        Inputs {
            p8: Container::read(&p("p8.ptau"), b"ptau"),
            pot10: Container::read(&pot10(), b"ptau"),
            p8_response: std::fs::read(p("p8.response")).unwrap(),
            pot10_response: std::fs::read(p("10.response")).unwrap(),
            p8_challenge: std::fs::read(p("p8.challenge")).unwrap(),
        }
    })
}

impl Base {
    fn container(self) -> &'static Container {
        match self {
            Base::P8 => &inputs().p8,
            Base::Pot10 => &inputs().pot10,
        }
    }

    fn response(self) -> &'static [u8] {
        match self {
            Base::P8 => &inputs().p8_response,
            Base::Pot10 => &inputs().pot10_response,
        }
    }
}

fn pot10() -> std::path::PathBuf {
    fixture("pot10_final.ptau")
}

/// Runs the heavy arithmetic (if it is ever reached) on the CPU.
fn cpu(cmd: &mut Command) -> &mut Command {
    cmd.env("TAUFORGE_BACKEND", "cpu")
}

/// The verbs that read a ptau.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verb {
    Verify,
    Contribute,
    Beacon,
    Prepare,
    Truncate,
    Info,
    ExportChallenge,
    ImportResponse,
}

use Verb::*;

const ALL_VERBS: &[Verb] = &[Verify, Contribute, Beacon, Prepare, Truncate, Info, ExportChallenge, ImportResponse];
/// The verbs that read the points of sections 2–6.
const POINT_VERBS: &[Verb] = &[Verify, Contribute, Beacon, Prepare, ExportChallenge];
/// The verbs that read the Lagrange points of sections 12–15.
const LAGRANGE_VERBS: &[Verb] = &[Verify];

/// A file name for a case: letters, digits, '-' and '_' only.
fn file_name(case: &str, ext: &str) -> String {
    let s: String = case.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    format!("{s}.{ext}")
}

/// The command of `verb` on the ptau `ptau`, writing into `out_dir` (`response`: the response
/// file `import-response` reads).
fn verb_command(verb: Verb, ptau: &Path, response: &Path, out_dir: &Path) -> Command {
    let mut cmd = tauforge();
    cmd.args(["--quiet", "ptau"]);
    let out = out_dir.join("out.ptau");
    match verb {
        Verify => cmd.arg("verify").arg(ptau).current_dir(out_dir),
        Contribute => cmd.arg("contribute").arg(ptau).arg(&out).args(["-e", "malformed test entropy"]),
        Beacon => cmd.arg("beacon").arg(ptau).arg(&out).args([BEACON_HEX, "10"]),
        Prepare => cmd.arg("prepare-phase2").arg(ptau).arg(&out),
        Truncate => cmd.arg("truncate").arg(ptau).arg("--template").arg(out_dir.join("cut_")),
        Info => cmd.arg("info").arg(ptau).current_dir(out_dir),
        ExportChallenge => cmd.arg("export-challenge").arg(ptau).arg(out_dir.join("challenge")),
        ImportResponse => cmd.arg("import-response").arg(ptau).arg(response).arg(&out),
    };
    cmd
}

/// Writes the malformed ptau and runs each verb on it (`import-response` with a good response
/// to `base`'s challenge).
fn ptau_case(case: &str, base: Base, ptau: &[u8], verbs: &[Verb], exp: &Expect, failures: &mut Vec<String>) {
    let dir = tempdir();
    let bad = dir.path().join(file_name(case, "ptau"));
    std::fs::write(&bad, ptau).unwrap();
    let response = dir.path().join("good.response");
    std::fs::write(&response, base.response()).unwrap();
    for &verb in verbs {
        let out_dir = dir.path().join(format!("out-{verb:?}"));
        std::fs::create_dir(&out_dir).unwrap();
        let cmd = verb_command(verb, &bad, &response, &out_dir);
        check_failure(&format!("{case} / {verb:?}"), cmd, &bad, &out_dir, exp, failures);
    }
}

/// Writes the malformed response and imports it into the good power-8 ptau.
fn response_case(case: &str, response: &[u8], exp: &Expect, failures: &mut Vec<String>) {
    let dir = tempdir();
    let good = dir.path().join("good.ptau");
    std::fs::write(&good, inputs().p8.bytes()).unwrap();
    let bad = dir.path().join(file_name(case, "response"));
    std::fs::write(&bad, response).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let cmd = verb_command(ImportResponse, &good, &bad, &out_dir);
    check_failure(case, cmd, &bad, &out_dir, exp, failures);
}

/// Writes the malformed challenge and contributes to it.
fn challenge_case(case: &str, challenge: &[u8], exp: &Expect, failures: &mut Vec<String>) {
    let dir = tempdir();
    let bad = dir.path().join(file_name(case, "challenge"));
    std::fs::write(&bad, challenge).unwrap();
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let mut cmd = tauforge();
    cmd.args(["--quiet", "ptau", "challenge-contribute"])
        .arg(&bad)
        .arg(out_dir.join("response"))
        .args(["-e", "malformed test entropy"]);
    check_failure(case, cmd, &bad, &out_dir, exp, failures);
}

fn report(failures: Vec<String>) {
    assert!(failures.is_empty(), "{} failing case(s):\n{}", failures.len(), failures.join("\n"));
}

// ----------------------------------------------------------------------------------------------
// The good inputs
// ----------------------------------------------------------------------------------------------

/// Every verb accepts the unmodified inputs, so the failures below come from the faults.
#[test]
fn good_inputs_pass_every_verb() {
    let i = inputs();
    let dir = tempdir();
    for base in [Base::P8, Base::Pot10] {
        let ptau = dir.path().join(format!("{base:?}.ptau"));
        std::fs::write(&ptau, base.container().bytes()).unwrap();
        let response = dir.path().join(format!("{base:?}.response"));
        std::fs::write(&response, base.response()).unwrap();
        for &verb in ALL_VERBS {
            let out_dir = dir.path().join(format!("out-{base:?}-{verb:?}"));
            std::fs::create_dir(&out_dir).unwrap();
            let mut cmd = verb_command(verb, &ptau, &response, &out_dir);
            if verb == Truncate && base == Base::P8 {
                // The one verb that needs a prepared ptau says so.
                let (_, err) = run_fail(cpu(&mut cmd));
                assert!(err.contains("section 12") && err.contains("prepare-phase2"), "{err}");
                continue;
            }
            run_ok(cpu(&mut cmd));
        }
    }
    let challenge = dir.path().join("p8.challenge");
    std::fs::write(&challenge, &i.p8_challenge).unwrap();
    run_ok(
        cpu(&mut tauforge())
            .args(["--quiet", "ptau", "challenge-contribute"])
            .arg(&challenge)
            .arg(dir.path().join("p8.response"))
            .args(["-e", "x"]),
    );
}

// ----------------------------------------------------------------------------------------------
// Truncation
// ----------------------------------------------------------------------------------------------

/// Cut points: inside the file header, inside each section's header (the section table), at the
/// start, middle and last byte of each payload, and the file's last byte. Returns (cut, the
/// section whose payload the cut falls in).
fn cut_points(c: &Container, sections: &[u32]) -> Vec<(usize, Option<u32>)> {
    let len = c.bytes().len();
    let mut cuts = vec![0, 3, 4, 8, 11, len - 1];
    for (id, start, end) in c.layout() {
        if !sections.contains(&id) {
            continue;
        }
        let h = start - 12;
        cuts.extend([h, h + 1, h + 11, start + 1, (start + end) / 2, end - 1]);
    }
    cuts.sort_unstable();
    cuts.dedup();
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

#[test]
fn truncated_ptau() {
    let mut failures = Vec::new();
    // Every section of the power-8 file; the Lagrange sections of the prepared file.
    for (base, sections) in [(Base::P8, &[1, 2, 3, 4, 5, 6, 7][..]), (Base::Pot10, &[12, 13, 14, 15][..])] {
        let c = base.container();
        let bytes = c.bytes();
        for (cut, sec) in cut_points(c, sections) {
            ptau_case(
                &format!("truncated {base:?} at {cut}"),
                base,
                &bytes[..cut],
                ALL_VERBS,
                &truncation_expect(sec),
                &mut failures,
            );
        }
    }
    report(failures);
}

#[test]
fn truncated_or_resized_response() {
    let mut failures = Vec::new();
    let good = &inputs().p8_response;
    let len = good.len();
    for cut in [0, 1, 63, 64, 65, len / 2, len - 768, len - 1] {
        response_case(
            &format!("response truncated at {cut}"),
            &good[..cut],
            &expect(None, None, &["size of the contribution is invalid", "expected"]),
            &mut failures,
        );
    }
    let mut long = good.clone();
    long.push(0);
    response_case(
        "response one byte long",
        &long,
        &expect(None, None, &["size of the contribution is invalid", "expected"]),
        &mut failures,
    );
    response_case(
        "response to a power-10 challenge",
        &inputs().pot10_response,
        &expect(None, None, &["size of the contribution is invalid", "expected"]),
        &mut failures,
    );
    report(failures);
}

#[test]
fn truncated_or_resized_challenge() {
    let mut failures = Vec::new();
    let good = &inputs().p8_challenge;
    let len = good.len();
    for cut in [0, 1, 64, 128, 1000, len / 2, len - 128, len - 1] {
        challenge_case(
            &format!("challenge truncated at {cut}"),
            &good[..cut],
            &expect(None, None, &["not the size of a challenge"]),
            &mut failures,
        );
    }
    let mut long = good.clone();
    long.push(0);
    challenge_case(
        "challenge one byte long",
        &long,
        &expect(None, None, &["not the size of a challenge"]),
        &mut failures,
    );
    // A whole ptau is not a challenge.
    challenge_case(
        "ptau given as challenge",
        &inputs().p8.bytes(),
        &expect(None, None, &["not the size of a challenge"]),
        &mut failures,
    );
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Magic, version, missing and duplicate sections, section table
// ----------------------------------------------------------------------------------------------

#[test]
fn wrong_magic_and_version() {
    let mut failures = Vec::new();
    let c = &inputs().p8;
    for (label, magic) in [("ptaw", *b"ptaw"), ("zkey", *b"zkey"), ("PTAU", *b"PTAU")] {
        let mut t = c.clone();
        t.magic = magic;
        ptau_case(
            &format!("ptau with magic {label}"),
            Base::P8,
            &t.bytes(),
            ALL_VERBS,
            &expect(None, None, &["wrong magic"]),
            &mut failures,
        );
    }
    // An r1cs given where a ptau is expected.
    ptau_case(
        "r1cs given as ptau",
        Base::P8,
        &std::fs::read(fixture("circuits/small.r1cs")).unwrap(),
        ALL_VERBS,
        &expect(None, None, &["wrong magic"]),
        &mut failures,
    );
    for (version, says) in [(0u32, "unsupported version 0"), (2, "unsupported version 2")] {
        let mut t = c.clone();
        t.version = version;
        ptau_case(
            &format!("ptau version {version}"),
            Base::P8,
            &t.bytes(),
            ALL_VERBS,
            &expect(None, None, &[says]),
            &mut failures,
        );
    }
    report(failures);
}

#[test]
fn missing_or_duplicate_section() {
    let mut failures = Vec::new();
    let i = inputs();
    for id in 1..=7 {
        ptau_case(
            &format!("P8 without section {id}"),
            Base::P8,
            &i.p8.clone().without(id).bytes(),
            ALL_VERBS,
            &expect(Some(id), None, &["missing section"]),
            &mut failures,
        );
    }
    // A prepared file (one with section 12) must have all four Lagrange sections. Without
    // section 12 the file reads as an unprepared one whose sections 13–15 no verb reads: not a
    // case here, as snarkjs's verify too takes a file without all of 12–15 for unprepared.
    for id in [13, 14, 15] {
        ptau_case(
            &format!("Pot10 without section {id}"),
            Base::Pot10,
            &i.pot10.clone().without(id).bytes(),
            ALL_VERBS,
            &expect(Some(id), None, &["missing section"]),
            &mut failures,
        );
    }
    for (base, c, id) in [(Base::P8, &i.p8, 1), (Base::P8, &i.p8, 2), (Base::P8, &i.p8, 7), (Base::Pot10, &i.pot10, 12)]
    {
        ptau_case(
            &format!("{base:?} with section {id} twice"),
            base,
            &c.clone().duplicated(id).bytes(),
            ALL_VERBS,
            &expect(Some(id), None, &["more than once"]),
            &mut failures,
        );
    }
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
    let c = &inputs().p8;
    for (id, _, _) in &c.sections {
        for delta in [-1i64, 1, 1 << 40] {
            ptau_case(
                &format!("P8, section {id} declared {delta:+} bytes"),
                Base::P8,
                &c.clone().declare_size(*id, delta).bytes(),
                ALL_VERBS,
                &table_expect(c, *id, delta),
                &mut failures,
            );
        }
    }
    for (what, delta, says) in [("one more", 1i32, "file ends after 7"), ("one fewer", -1, "trailing bytes")] {
        let mut t = c.clone();
        t.declared = t.declared.wrapping_add_signed(delta);
        ptau_case(
            &format!("P8 declaring {what} section"),
            Base::P8,
            &t.bytes(),
            ALL_VERBS,
            &expect(None, None, &[says]),
            &mut failures,
        );
    }
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Header and section sizes
// ----------------------------------------------------------------------------------------------

#[test]
fn wrong_prime_or_field_size() {
    let mut failures = Vec::new();
    let c = &inputs().p8;
    let r = tauforge::format::r1cs::fr_modulus_le();
    for (what, prime) in [("BN254 r", r), ("BLS12-381 r", BLS12_381_R_LE)] {
        ptau_case(
            &format!("P8, prime replaced by {what}"),
            Base::P8,
            &c.clone().patch(1, 4, &prime).bytes(),
            ALL_VERBS,
            &expect(Some(1), None, &["prime"]),
            &mut failures,
        );
    }
    for n8 in [0u32, 48] {
        ptau_case(
            &format!("P8, n8q = {n8}"),
            Base::P8,
            &c.clone().patch(1, 0, &n8.to_le_bytes()).bytes(),
            ALL_VERBS,
            &expect(Some(1), None, &["prime"]),
            &mut failures,
        );
    }
    // The header of a BLS12-381 ptau: n8q = 48, its 48-byte q, power, ceremony power.
    let mut h = 48u32.to_le_bytes().to_vec();
    h.extend_from_slice(&BLS12_381_Q_LE);
    h.extend_from_slice(&c.payload(1)[36..44]);
    ptau_case(
        "P8 with a BLS12-381 header",
        Base::P8,
        &c.clone().set_payload(1, h).bytes(),
        ALL_VERBS,
        &Expect { section: Some(1), any: vec!["prime", "expected 44"], ..Expect::default() },
        &mut failures,
    );
    report(failures);
}

#[test]
fn power_out_of_range_or_disagreeing_with_sections() {
    let mut failures = Vec::new();
    let c = &inputs().p8;
    let header = |power: u32, ceremony: u32| {
        let mut b = power.to_le_bytes().to_vec();
        b.extend_from_slice(&ceremony.to_le_bytes());
        c.clone().patch(1, 36, &b).bytes()
    };
    // Out of range in the header itself.
    for (power, ceremony) in [(0, 8), (0, 0), (9, 8), (29, 29), (8, 29), (u32::MAX, u32::MAX)] {
        ptau_case(
            &format!("P8, power {power} ceremony power {ceremony}"),
            Base::P8,
            &header(power, ceremony),
            ALL_VERBS,
            &expect(Some(1), None, &["out of range"]),
            &mut failures,
        );
    }
    // A plausible power the point sections (sized for 2^8) contradict.
    for (power, ceremony) in [(7, 7), (7, 8), (9, 9), (28, 28)] {
        ptau_case(
            &format!("P8, power {power} ceremony power {ceremony}"),
            Base::P8,
            &header(power, ceremony),
            ALL_VERBS,
            &expect(Some(2), None, &["expected"]),
            &mut failures,
        );
    }
    report(failures);
}

#[test]
fn section_of_wrong_length_for_the_power() {
    let mut failures = Vec::new();
    let c = &inputs().p8;
    // (section, change in bytes, words the message must contain)
    let cases: &[(u32, i64, &[&'static str])] = &[
        (1, -1, &["expected 44"]),
        (1, 4, &["expected 44"]),
        (2, -64, &["expected"]),
        (2, 64, &["expected"]),
        (2, -1, &["expected"]),
        (3, -128, &["expected"]),
        (3, 128, &["expected"]),
        (4, -64, &["expected"]),
        (4, 64, &["expected"]),
        (5, -64, &["expected"]),
        (5, 1, &["expected"]),
        (6, -128, &["expected 128"]),
        (6, 128, &["expected 128"]),
        (7, 1, &["trailing bytes"]),
    ];
    for &(id, delta, needles) in cases {
        ptau_case(
            &format!("P8, section {id} resized by {delta:+}"),
            Base::P8,
            &c.resized(id, delta).bytes(),
            ALL_VERBS,
            &expect(Some(id), None, needles),
            &mut failures,
        );
    }
    // The Lagrange sections of a prepared file are sized for its power too.
    let p = &inputs().pot10;
    for (id, delta) in [(12u32, -64i64), (12, 64), (13, -128), (14, 64), (15, -64)] {
        ptau_case(
            &format!("Pot10, section {id} resized by {delta:+}"),
            Base::Pot10,
            &p.resized(id, delta).bytes(),
            ALL_VERBS,
            &expect(Some(id), None, &["expected"]),
            &mut failures,
        );
    }
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Contribution records (section 7)
// ----------------------------------------------------------------------------------------------

#[test]
fn malformed_contribution_records() {
    let mut failures = Vec::new();
    let c = &inputs().p8;
    let s7 = c.payload(7);
    let all = |case: &str, bytes: Vec<u8>, exp: Expect, failures: &mut Vec<String>| {
        ptau_case(case, Base::P8, &bytes, ALL_VERBS, &exp, failures)
    };
    // The record cut short: in its parameters, in its hashes, and nothing but the count left.
    for cut in [1i64, 100, (s7.len() - 4) as i64] {
        all(
            &format!("P8, section 7 {cut} bytes short"),
            c.resized(7, -cut).bytes(),
            expect(Some(7), Some(0), &["contribution 1 is truncated"]),
            &mut failures,
        );
    }
    all(
        "P8, section 7 empty",
        c.clone().set_payload(7, Vec::new()).bytes(),
        expect(Some(7), None, &["too short for the contribution count"]),
        &mut failures,
    );
    // Counts promising records that are not there (an absurd count must not allocate).
    for count in [2u32, 1000, u32::MAX] {
        all(
            &format!("P8, section 7 counting {count} contributions"),
            c.clone().patch(7, 0, &count.to_le_bytes()).bytes(),
            expect(Some(7), Some(1), &["contribution 2 is truncated"]),
            &mut failures,
        );
    }
    all(
        "P8, section 7 counting 0 contributions",
        c.clone().patch(7, 0, &0u32.to_le_bytes()).bytes(),
        expect(Some(7), None, &["trailing bytes"]),
        &mut failures,
    );
    // A parameter list longer than the section, and one whose name runs past its end.
    let plen = u32::from_le_bytes(s7[REC0 + REC_PARAMS_LEN..REC0 + REC_PARAMS_LEN + 4].try_into().unwrap());
    assert!(plen > 2, "the record has a name");
    all(
        "P8, contribution parameter length u32::MAX",
        c.clone().patch(7, REC0 + REC_PARAMS_LEN, &u32::MAX.to_le_bytes()).bytes(),
        expect(Some(7), Some(0), &["contribution 1 is truncated"]),
        &mut failures,
    );
    all(
        "P8, contribution name longer than its parameter list",
        c.clone().patch(7, REC0 + REC_PARAMS + 1, &[255]).bytes(),
        expect(Some(7), Some(0), &["contribution 1", "truncated"]),
        &mut failures,
    );
    // Bad points in the record.
    let rec = &s7[REC0..];
    for (what, off, bad, fault) in [
        ("tauG1", REC_TAU_G1, g1_off_curve(&rec[REC_TAU_G1..]).to_vec(), "not on the curve"),
        ("alpha.g1_s", REC_ALPHA_G1_S, unreduced_lem(&rec[REC_ALPHA_G1_S..REC_ALPHA_G1_S + 64]), "not reduced"),
        ("betaG2", REC_BETA_G2, g2_to_lem(&g2_outside_subgroup()).to_vec(), "not in the prime-order subgroup"),
        ("beta.g2_spx", REC_BETA_G2_SPX, g2_off_curve(&rec[REC_BETA_G2_SPX..]).to_vec(), "not on the curve"),
    ] {
        all(
            &format!("P8, contribution {what}: {fault}"),
            c.clone().patch(7, REC0 + off, &bad).bytes(),
            expect(Some(7), Some(0), &["contribution 1", what, fault]),
            &mut failures,
        );
    }
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Points
// ----------------------------------------------------------------------------------------------

/// The LEM bytes of `(x, y + 1)` for the G1 point at the start of `lem`: reduced coordinates,
/// off the curve.
fn g1_off_curve(lem: &[u8]) -> [u8; 64] {
    let p = g1_from_lem(&lem[..64]).expect("valid point");
    assert!(!p.infinity);
    let q = G1Affine::new_unchecked(p.x, p.y + Fq::one());
    assert!(!q.is_on_curve());
    g1_to_lem(&q)
}

/// The LEM bytes of `(x, y + 1)` for the G2 point at the start of `lem`.
fn g2_off_curve(lem: &[u8]) -> [u8; 128] {
    let p = g2_from_lem(&lem[..128]).expect("valid point");
    assert!(!p.infinity);
    let q = G2Affine::new_unchecked(p.x, p.y + Fq2::one());
    assert!(!q.is_on_curve());
    g2_to_lem(&q)
}

/// A point on the G2 twist curve y² = x³ + b₂ outside the prime-order subgroup.
fn g2_outside_subgroup() -> G2Affine {
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
            return p;
        }
    }
    unreachable!()
}

/// A LEM point (G1 or G2) whose first coordinate is not reduced: x + q as a 256-bit integer,
/// or all ones when that overflows.
fn unreduced_lem(lem: &[u8]) -> Vec<u8> {
    let q = fq_modulus_le();
    let mut out = lem.to_vec();
    let mut carry = 0u16;
    for k in 0..32 {
        let s = out[k] as u16 + q[k] as u16 + carry;
        out[k] = s as u8;
        carry = s >> 8;
    }
    if carry != 0 {
        out[..32].fill(0xff);
    }
    out
}

/// Point `i` of a ptau point section (64-byte G1 or 128-byte G2 points).
fn point(c: &Container, id: u32, size: usize, i: usize) -> &[u8] {
    &c.payload(id)[i * size..(i + 1) * size]
}

#[test]
fn bad_point_in_a_power_section() {
    let mut failures = Vec::new();
    let c = &inputs().p8;
    let outside = g2_to_lem(&g2_outside_subgroup());
    // (section, point size, index, bad bytes, words the message must contain)
    let cases: Vec<(u32, usize, usize, Vec<u8>, &str)> = vec![
        (2, 64, 5, g1_off_curve(point(c, 2, 64, 5)).to_vec(), "not on the curve"),
        // Past 2^8: the powers only section 2 has (and only phase 2 reads).
        (2, 64, 300, g1_off_curve(point(c, 2, 64, 300)).to_vec(), "not on the curve"),
        (2, 64, 4, unreduced_lem(point(c, 2, 64, 4)), "not reduced"),
        (4, 64, 3, g1_off_curve(point(c, 4, 64, 3)).to_vec(), "not on the curve"),
        (5, 64, 7, g1_off_curve(point(c, 5, 64, 7)).to_vec(), "not on the curve"),
        (5, 64, 255, unreduced_lem(point(c, 5, 64, 255)), "not reduced"),
        (3, 128, 3, g2_off_curve(point(c, 3, 128, 3)).to_vec(), "not on the curve"),
        (3, 128, 2, outside.to_vec(), "not in the prime-order subgroup"),
        (3, 128, 6, unreduced_lem(point(c, 3, 128, 6)), "not reduced"),
        (6, 128, 0, g2_off_curve(point(c, 6, 128, 0)).to_vec(), "not on the curve"),
        (6, 128, 0, outside.to_vec(), "not in the prime-order subgroup"),
    ];
    for (id, size, i, bad, fault) in cases {
        ptau_case(
            &format!("P8, section {id} point {i}: {fault}"),
            Base::P8,
            &c.clone().patch(id, i * size, &bad).bytes(),
            POINT_VERBS,
            &expect(Some(id), Some(i as u64), &[fault]),
            &mut failures,
        );
    }
    report(failures);
}

#[test]
fn bad_point_in_a_lagrange_section() {
    let mut failures = Vec::new();
    let c = &inputs().pot10;
    // Section 12 has 2^12 − 1 G1 points (levels 0..=11), 13 has 2^11 − 1 G2 points (0..=10).
    let cases: Vec<(u32, usize, usize, Vec<u8>, &str)> = vec![
        (12, 64, 100, g1_off_curve(point(c, 12, 64, 100)).to_vec(), "not on the curve"),
        (12, 64, 4094, unreduced_lem(point(c, 12, 64, 4094)), "not reduced"),
        (13, 128, 50, g2_off_curve(point(c, 13, 128, 50)).to_vec(), "not on the curve"),
        (13, 128, 1030, g2_to_lem(&g2_outside_subgroup()).to_vec(), "not in the prime-order subgroup"),
        (14, 64, 9, g1_off_curve(point(c, 14, 64, 9)).to_vec(), "not on the curve"),
        (15, 64, 2000, g1_off_curve(point(c, 15, 64, 2000)).to_vec(), "not on the curve"),
    ];
    for (id, size, i, bad, fault) in cases {
        ptau_case(
            &format!("Pot10, section {id} point {i}: {fault}"),
            Base::Pot10,
            &c.clone().patch(id, i * size, &bad).bytes(),
            LAGRANGE_VERBS,
            &expect(Some(id), Some(i as u64), &[fault]),
            &mut failures,
        );
    }
    report(failures);
}

// ----------------------------------------------------------------------------------------------
// Bad points in challenge and response files
// ----------------------------------------------------------------------------------------------

/// The parts of a challenge or response for 2^8: name, group is G2, number of points.
fn parts() -> [(&'static str, bool, usize); 5] {
    let n = 1usize << P8;
    [
        ("tauG1", false, 2 * n - 1),
        ("tauG2", true, n),
        ("alphaTauG1", false, n),
        ("betaTauG1", false, n),
        ("betaG2", true, 1),
    ]
}

/// Byte offset of point `i` of part `name`, for points of `g1` / `g2` bytes after a 64-byte hash.
fn part_offset(name: &str, i: usize, g1: usize, g2: usize) -> usize {
    let mut pos = 64;
    for (part, is_g2, n) in parts() {
        let size = if is_g2 { g2 } else { g1 };
        if part == name {
            assert!(i < n);
            return pos + i * size;
        }
        pos += n * size;
    }
    panic!("no part {name}")
}

fn patched(bytes: &[u8], at: usize, with: &[u8]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    assert_ne!(&b[at..at + with.len()], with, "patch changes nothing");
    b[at..at + with.len()].copy_from_slice(with);
    b
}

/// q, big-endian.
fn q_be() -> [u8; 32] {
    let mut q = fq_modulus_le();
    q.reverse();
    q
}

/// A big-endian coordinate plus q (below 2^255, so no flag bit changes).
fn add_q_be(coord: &[u8]) -> [u8; 32] {
    let q = q_be();
    let mut out: [u8; 32] = coord.try_into().unwrap();
    let mut carry = 0u16;
    for k in (0..32).rev() {
        let s = out[k] as u16 + q[k] as u16 + carry;
        out[k] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
}

/// The compressed encoding of an x with no point on G1 above it (x³ + 3 not a square).
fn g1_c_off_curve() -> [u8; 32] {
    for i in 1u64.. {
        let x = Fq::from(i);
        if (x.square() * x + Fq::from(3u64)).sqrt().is_none() {
            let mut out = [0u8; 32];
            tauforge::format::points::fq_to_be(&x, &mut out);
            return out;
        }
    }
    unreachable!()
}

#[test]
fn bad_point_in_a_challenge() {
    let mut failures = Vec::new();
    let ch = &inputs().p8_challenge;
    let at = |name: &str, i: usize| part_offset(name, i, 64, 128);
    let g1 = |name: &str, i: usize| g1_from_u(&ch[at(name, i)..at(name, i) + 64]).expect("valid point");
    let g2 = |name: &str, i: usize| g2_from_u_on_curve(&ch[at(name, i)..at(name, i) + 128]).expect("valid point");
    let g1_off = |name: &str, i: usize| {
        let p = g1(name, i);
        g1_to_u(&G1Affine::new_unchecked(p.x, p.y + Fq::one())).to_vec()
    };
    let g2_off = |name: &str, i: usize| {
        let p = g2(name, i);
        g2_to_u(&G2Affine::new_unchecked(p.x, p.y + Fq2::one())).to_vec()
    };
    // y + q: x (which carries the flag bits) is left alone.
    let g1_unreduced_y = |name: &str, i: usize| add_q_be(&ch[at(name, i) + 32..at(name, i) + 64]).to_vec();
    let outside = g2_to_u(&g2_outside_subgroup()).to_vec();
    let cases: Vec<(&str, usize, usize, Vec<u8>, &str)> = vec![
        ("tauG1", 5, 0, g1_off("tauG1", 5), "not on the curve"),
        ("tauG1", 7, 32, g1_unreduced_y("tauG1", 7), "not reduced"),
        ("alphaTauG1", 2, 0, g1_off("alphaTauG1", 2), "not on the curve"),
        ("betaTauG1", 200, 0, g1_off("betaTauG1", 200), "not on the curve"),
        ("tauG2", 3, 0, g2_off("tauG2", 3), "not on the curve"),
        ("tauG2", 4, 0, outside.clone(), "not in the prime-order subgroup"),
        ("betaG2", 0, 0, outside, "not in the prime-order subgroup"),
    ];
    for (part, i, inner, bad, fault) in cases {
        challenge_case(
            &format!("challenge {part} point {i}: {fault}"),
            &patched(ch, at(part, i) + inner, &bad),
            &expect(None, Some(i as u64), &[part, fault]),
            &mut failures,
        );
    }
    report(failures);
}

#[test]
fn bad_point_in_a_response() {
    let mut failures = Vec::new();
    let rs = &inputs().p8_response;
    let at = |name: &str, i: usize| part_offset(name, i, 32, 64);
    let off = g1_c_off_curve();
    let outside = g2_to_c(&g2_outside_subgroup());
    let cases: Vec<(&str, usize, Vec<u8>, &str)> = vec![
        ("tauG1", 5, off.to_vec(), "not on the curve"),
        ("tauG1", 6, q_be().to_vec(), "not reduced"),
        ("alphaTauG1", 9, off.to_vec(), "not on the curve"),
        ("betaTauG1", 255, off.to_vec(), "not on the curve"),
        // x.c1 = q.
        ("tauG2", 3, q_be().to_vec(), "not reduced"),
        ("tauG2", 4, outside.to_vec(), "not in the prime-order subgroup"),
        ("betaG2", 0, outside.to_vec(), "not in the prime-order subgroup"),
    ];
    for (part, i, bad, fault) in cases {
        response_case(
            &format!("response {part} point {i}: {fault}"),
            &patched(rs, at(part, i), &bad),
            &expect(None, Some(i as u64), &[part, fault]),
            &mut failures,
        );
    }
    // The public key (uncompressed): 6 G1 then 3 G2 points.
    let key = rs.len() - 768;
    let k = &rs[key..];
    let g1_off = |o: usize| {
        let p = g1_from_u(&k[o..o + 64]).expect("valid point");
        g1_to_u(&G1Affine::new_unchecked(p.x, p.y + Fq::one())).to_vec()
    };
    let g2_off = |o: usize| {
        let p = g2_from_u_on_curve(&k[o..o + 128]).expect("valid point");
        g2_to_u(&G2Affine::new_unchecked(p.x, p.y + Fq2::one())).to_vec()
    };
    let cases: Vec<(&str, usize, Vec<u8>, &str)> = vec![
        ("tau.g1_s", 0, g1_off(0), "not on the curve"),
        ("beta.g1_sx", 320, g1_off(320), "not on the curve"),
        ("alpha.g1_s", 128 + 32, add_q_be(&k[160..192]).to_vec(), "not reduced"),
        ("tau.g2_spx", 384, g2_off(384), "not on the curve"),
        ("beta.g2_spx", 640, g2_to_u(&g2_outside_subgroup()).to_vec(), "not in the prime-order subgroup"),
    ];
    for (what, o, bad, fault) in cases {
        response_case(
            &format!("response key {what}: {fault}"),
            &patched(rs, key + o, &bad),
            &expect(None, None, &[what, fault]),
            &mut failures,
        );
    }
    report(failures);
}

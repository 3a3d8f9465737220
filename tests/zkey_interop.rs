//! Phase-2 interoperability with snarkjs 0.7.6, run live on the committed fixtures.
//!
//! * `zkey new` and `zkey beacon` must be byte-identical to snarkjs's (both are deterministic,
//!   §9.5), on small+pot10 (also pinned to the §9.5b vectors), merkle+pot12 and
//!   chain20000+pot15 (domain 2^15 = 2^P: the csHash garbage-point quirk, §4.4).
//! * `zkey export-vkey` must equal `snarkjs zkey export verificationkey` byte for byte.
//! * Mixed ceremonies (snarkjs and tauforge contributions alternating, closed by a beacon from
//!   either tool) must verify with both tools, and every contribution hash printed by a
//!   `contribute`/`beacon` step must be the one both verifiers print for that position.
//! * `--json` summaries of contribute/beacon/verify parse and carry the hashes / validity.
//!
//! The snarkjs runs dominate the time (chain20000: ~13–17 s for `zkey new`, ~11–18 s per beacon
//! or contribution), so each expensive output is produced once and shared by the asserts of one
//! test function. References to § are to `/work/shared/reference/snarkjs-formats.md`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{fixture, run_ok, sha256_file, snarkjs, tauforge, tempdir};
use serde_json::Value;

/// §9.5b: `snarkjs zkey new small.r1cs p10_final.ptau s_0000.zkey`.
const SHA_S0000: &str = "4d1b265216b789f22ec8c582392ffbdccb1b2e9377d329a8fd1ffff79d02467b";
/// §9.5b: `snarkjs zkey beacon s_0000.zkey s_final.zkey fedcba…10 10 -n="det zkey beacon"`.
const SHA_SFINAL: &str = "5f9a2de384b8cf0b67361a66fbff19bab01f84280f6c151a80da01aeb9f501e1";
/// §9.5b: `snarkjs zkey export verificationkey s_final.zkey vk.json`.
const SHA_VK: &str = "76339d12d7d374caa95e4325f68ba69f546b2dbb5d8a301831ec5b540d939687";
/// §9.5b: csHash of s_0000.zkey.
const CSHASH_SMALL: &str = "80a9c9abeee5b6811c1b4e2ab8c09d2d0359bd6c593b550eb0c0a00bf9f8713b\
                            6e121d2c599649e6c9ed7f7c6332a07b0bc62bc1bcbdadd862b02d333fb8574e";
/// §9.5b: contribution hash of the deterministic zkey beacon.
const BEACON_HASH_SMALL: &str = "97e40629439eece9a3f2193f845424f373d97cc7153ca9dcdf9f95f78851b56d\
                                 55417255ac20cfc33925a3583faa5393b14f3c364080bd14e52a196914397150";
const DET_BEACON: &str = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
const DET_BEACON_NAME: &str = "det zkey beacon";
/// Beacon applied on top of a snarkjs contribution (32 bytes, §5.2's example value).
const CHAIN_BEACON: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";
const CHAIN_BEACON_NAME: &str = "Final Beacon phase2";

// ---------------------------------------------------------------------------------------------
// helpers

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Removes ANSI colour sequences (snarkjs's logger colours its `[INFO]` prefix).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            if it.peek() == Some(&'[') {
                it.next();
                for d in it.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn describe(cmd: &Command) -> String {
    let mut d = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        d.push(' ');
        d.push_str(&a.to_string_lossy());
    }
    d
}

fn output_of(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("failed to start `{}`: {e}", describe(cmd)))
}

/// Runs snarkjs; panics unless it exits 0. Returns stdout and stderr together, ANSI-stripped
/// (its logger's destination is not something to depend on).
fn sj_ok(args: &[&str]) -> String {
    let mut cmd = snarkjs();
    cmd.args(args);
    let out = output_of(&mut cmd);
    let text =
        strip_ansi(&format!("{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    assert!(out.status.success(), "snarkjs failed ({}): `{}`\n{text}", out.status, describe(&cmd));
    text
}

/// Runs tauforge; panics unless it exits 0. Returns stdout.
fn tf_ok(args: &[&str]) -> String {
    run_ok(tauforge().args(args))
}

/// Runs `tauforge --json …`; panics unless it exits 0 and stdout is one JSON value.
fn tf_json(args: &[&str]) -> Value {
    let mut cmd = tauforge();
    cmd.arg("--json").args(args);
    let stdout = run_ok(&mut cmd);
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("`{}` did not print one JSON value: {e}\n--- stdout ---\n{stdout}", describe(&cmd)))
}

/// The 64-byte hash snarkjs/tauforge print after the line containing `label`
/// (4 lines of 4 eight-digit hex words, §misc.formatHash), as 128 lower-case hex digits.
fn hash_after(text: &str, label: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| l.contains(label))
        .unwrap_or_else(|| panic!("no line containing {label:?} in:\n{text}"));
    hash_from_lines(&lines[i + 1..], text)
}

fn hash_from_lines(lines: &[&str], whole: &str) -> String {
    let mut h = String::new();
    for l in lines.iter().take(4) {
        for w in l.split_whitespace() {
            assert!(w.len() == 8 && w.chars().all(|c| c.is_ascii_hexdigit()), "bad hash word {w:?} in:\n{whole}");
            h.push_str(&w.to_ascii_lowercase());
        }
    }
    assert_eq!(h.len(), 128, "hash block not 4×4 words in:\n{whole}");
    h
}

/// One `contribution #k name:` entry of a `zkey verify` listing.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    index: usize,
    name: String,
    hash: String,
    beacon: Option<(String, u32)>,
}

/// Parses the contribution listing that `zkey verify` prints (newest first in both tools);
/// returns it oldest first.
fn verify_listing(text: &str) -> Vec<Listed> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let Some(pos) = l.find("contribution #") else {
            continue;
        };
        let rest = l[pos + "contribution #".len()..].trim_end();
        let rest = rest.strip_suffix(':').unwrap_or(rest);
        let (num, name) = rest.split_once(' ').unwrap_or((rest, ""));
        let index: usize = num.parse().unwrap_or_else(|_| panic!("bad contribution line {l:?}"));
        let hash = hash_from_lines(&lines[i + 1..], text);
        let mut beacon = None;
        if let Some(g) = lines.get(i + 5) {
            if let Some(p) = g.find("Beacon generator: ") {
                let gen = g[p + "Beacon generator: ".len()..].trim().to_string();
                let e = lines
                    .get(i + 6)
                    .and_then(|x| x.split("Beacon iterations Exp: ").nth(1))
                    .unwrap_or_else(|| panic!("beacon without exponent line in:\n{text}"));
                beacon = Some((gen, e.trim().parse().expect("exponent")));
            }
        }
        out.push(Listed { index, name: name.trim().to_string(), hash, beacon });
    }
    out.reverse();
    out
}

/// Asserts two files are byte-identical; on failure reports sizes and the first differing
/// offset (and which zkey section it falls in) rather than dumping megabytes.
fn assert_same_bytes(ours: &Path, theirs: &Path, what: &str) {
    let a = std::fs::read(ours).unwrap_or_else(|e| panic!("read {}: {e}", ours.display()));
    let b = std::fs::read(theirs).unwrap_or_else(|e| panic!("read {}: {e}", theirs.display()));
    if a == b {
        return;
    }
    let first = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    let where_ = section_at(&b, first)
        .map(|(id, start)| format!(" (section {id}, offset {} in it)", first - start))
        .unwrap_or_default();
    let ctx = |v: &[u8]| hex::encode(&v[first.min(v.len())..(first + 16).min(v.len())]);
    panic!(
        "{what}: tauforge {} ({} B) differs from snarkjs {} ({} B); first difference at byte \
         {first}{where_}: tauforge {} vs snarkjs {}",
        ours.display(),
        a.len(),
        theirs.display(),
        b.len(),
        ctx(&a),
        ctx(&b)
    );
}

/// Sections of a binfile (§2.1): (id, data offset, data length), in file order.
fn sections(bytes: &[u8]) -> Vec<(u32, usize, usize)> {
    let u32_at = |o: usize| u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
    let n = u32_at(8) as usize;
    let mut off = 12;
    let mut v = Vec::new();
    for _ in 0..n {
        if off + 12 > bytes.len() {
            break;
        }
        let id = u32_at(off);
        let len = u64_at(off + 4) as usize;
        v.push((id, off + 12, len));
        off += 12 + len;
    }
    v
}

fn section_at(bytes: &[u8], pos: usize) -> Option<(u32, usize)> {
    if bytes.len() < 12 {
        return None;
    }
    sections(bytes)
        .into_iter()
        .find(|&(_, start, len)| pos >= start && pos < start + len)
        .map(|(id, start, _)| (id, start))
}

fn json_str<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("JSON has no string {key:?}: {v}"))
}

/// Checks a successful `tauforge zkey verify` text output against the expected chain and
/// returns its listing.
fn check_tf_verify_text(text: &str, cs_hash: &str, expected: &[Listed]) {
    assert!(text.lines().any(|l| l.trim() == "ZKey Ok!"), "tauforge verify did not print ZKey Ok!:\n{text}");
    assert_eq!(hash_after(text, "Circuit Hash:"), cs_hash, "{text}");
    assert_eq!(verify_listing(text), expected, "tauforge verify listing:\n{text}");
}

fn check_sj_verify_text(text: &str, cs_hash: &str, expected: &[Listed]) {
    assert!(text.contains("ZKey Ok!"), "snarkjs verify did not print ZKey Ok!:\n{text}");
    assert_eq!(hash_after(text, "Circuit Hash:"), cs_hash, "{text}");
    assert_eq!(verify_listing(text), expected, "snarkjs verify listing:\n{text}");
}

fn listed(index: usize, name: &str, hash: &str) -> Listed {
    Listed { index, name: name.to_string(), hash: hash.to_string(), beacon: None }
}

fn listed_beacon(index: usize, name: &str, hash: &str, gen: &str, exp: u32) -> Listed {
    Listed { beacon: Some((gen.to_string(), exp)), ..listed(index, name, hash) }
}

/// What [`new_and_beacon_interop`] produced, for further checks by the caller.
struct Interop {
    dir: tempfile::TempDir,
    cs_hash: String,
    /// `zkey new` output (tauforge's, proven identical to snarkjs's).
    z0: PathBuf,
    /// tauforge beacon applied to `z0` (proven identical to snarkjs's).
    beacon0: PathBuf,
    beacon0_hash: String,
    /// The hash snarkjs printed for its contribution on `z0`.
    sj1_hash: String,
    /// tauforge beacon applied to `sj1` (proven identical to snarkjs's).
    beacon1: PathBuf,
    beacon1_hash: String,
}

/// `zkey new` by both tools → compare; `zkey beacon` by both on the new zkey → compare;
/// a snarkjs contribution, then `zkey beacon` by both on top of it → compare.
fn new_and_beacon_interop(r1cs: &Path, ptau: &Path, beacon0: (&str, &str)) -> Interop {
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);

    // zkey new
    let (tf0, sj0) = (p("tf_0000.zkey"), p("sj_0000.zkey"));
    let tf_new = tf_ok(&["zkey", "new", s(r1cs), s(ptau), s(&tf0)]);
    let sj_new = sj_ok(&["zkey", "new", s(r1cs), s(ptau), s(&sj0)]);
    assert_same_bytes(&tf0, &sj0, "zkey new");
    let cs_hash = hash_after(&sj_new, "Circuit hash:");
    assert_eq!(hash_after(&tf_new, "Circuit hash:"), cs_hash, "printed circuit hash");

    // zkey beacon on the fresh zkey (tauforge with --json)
    let (hex0, name0) = beacon0;
    let (tfb0, sjb0) = (p("tf_beacon0.zkey"), p("sj_beacon0.zkey"));
    let j = tf_json(&["zkey", "beacon", s(&tf0), s(&tfb0), hex0, "10", "--name", name0]);
    let sj_b0 = sj_ok(&["zkey", "beacon", s(&sj0), s(&sjb0), hex0, "10", &format!("-n={name0}")]);
    assert_same_bytes(&tfb0, &sjb0, "zkey beacon on the zkey new output");
    let beacon0_hash = hash_after(&sj_b0, "Contribution Hash:");
    assert_eq!(json_str(&j, "contribution_hash"), beacon0_hash, "beacon --json: {j}");
    assert_eq!(json_str(&j, "circuit_hash"), cs_hash, "beacon --json: {j}");
    assert_eq!(j["contributions"], 1, "beacon --json: {j}");

    // a snarkjs contribution, then a beacon on top of it (tauforge in text mode)
    let sj1 = p("sj_0001.zkey");
    let sj_c = sj_ok(&["zkey", "contribute", s(&sj0), s(&sj1), "--name=snarkjs contributor", "-e=interop entropy"]);
    let sj1_hash = hash_after(&sj_c, "Contribution Hash:");
    let (tfb1, sjb1) = (p("tf_beacon1.zkey"), p("sj_beacon1.zkey"));
    let tf_b1 = tf_ok(&["zkey", "beacon", s(&sj1), s(&tfb1), CHAIN_BEACON, "10", "--name", CHAIN_BEACON_NAME]);
    let sj_b1 = sj_ok(&["zkey", "beacon", s(&sj1), s(&sjb1), CHAIN_BEACON, "10", &format!("-n={CHAIN_BEACON_NAME}")]);
    assert_same_bytes(&tfb1, &sjb1, "zkey beacon after a snarkjs contribution");
    let beacon1_hash = hash_after(&sj_b1, "Contribution Hash:");
    assert_eq!(hash_after(&tf_b1, "Contribution Hash:"), beacon1_hash, "{tf_b1}");
    assert_ne!(beacon1_hash, sj1_hash);

    Interop { dir, cs_hash, z0: tf0, beacon0: tfb0, beacon0_hash, sj1_hash, beacon1: tfb1, beacon1_hash }
}

/// `zkey export-vkey` vs `snarkjs zkey export verificationkey` on `zkey`; returns tauforge's JSON path.
fn vkey_interop(dir: &Path, zkey: &Path, tag: &str) -> PathBuf {
    let (tf, sj) = (dir.join(format!("tf_{tag}_vk.json")), dir.join(format!("sj_{tag}_vk.json")));
    tf_ok(&["zkey", "export-vkey", s(zkey), s(&tf)]);
    sj_ok(&["zkey", "export", "verificationkey", s(zkey), s(&sj)]);
    assert_same_bytes(&tf, &sj, "export-vkey");
    let v: Value = serde_json::from_slice(&std::fs::read(&tf).unwrap()).expect("vkey is JSON");
    assert_eq!(v["protocol"], "groth16");
    assert_eq!(v["curve"], "bn128");
    tf
}

// ---------------------------------------------------------------------------------------------
// tests

/// small + pot10: byte-identical `zkey new`/`beacon`/`export-vkey`, pinned to the §9.5b vectors.
#[test]
fn small_pot10_matches_snarkjs_and_9_5b_vectors() {
    let r1cs = fixture("circuits/small.r1cs");
    let ptau = fixture("pot10_final.ptau");
    let io = new_and_beacon_interop(&r1cs, &ptau, (DET_BEACON, DET_BEACON_NAME));
    assert_eq!(io.cs_hash, CSHASH_SMALL);
    assert_eq!(sha256_file(&io.z0), SHA_S0000, "s_0000.zkey (§9.5b)");
    assert_eq!(sha256_file(&io.beacon0), SHA_SFINAL, "s_final.zkey (§9.5b)");
    assert_eq!(io.beacon0_hash, BEACON_HASH_SMALL, "§9.5b beacon contribution hash");

    let vk = vkey_interop(io.dir.path(), &io.beacon0, "final");
    assert_eq!(sha256_file(&vk), SHA_VK, "vk.json (§9.5b)");
    // and a vkey after a non-empty chain
    vkey_interop(io.dir.path(), &io.beacon1, "chain");

    // tauforge verifies the beacon-after-snarkjs-contribution file, --json
    let j = tf_json(&["zkey", "verify", s(&r1cs), s(&ptau), s(&io.beacon1)]);
    assert_eq!(j["valid"], true, "{j}");
    assert_eq!(json_str(&j, "circuit_hash"), CSHASH_SMALL);
    let cs = j["contributions"].as_array().expect("contributions array");
    assert_eq!(cs.len(), 2, "{j}");
    assert_eq!(json_str(&cs[0], "hash"), io.sj1_hash, "{j}");
    assert_eq!(cs[0]["name"], "snarkjs contributor", "{j}");
    assert_eq!(json_str(&cs[1], "hash"), io.beacon1_hash, "{j}");
    assert_eq!(cs[1]["name"], CHAIN_BEACON_NAME, "{j}");
    assert_eq!(json_str(&cs[1], "beacon_hash"), CHAIN_BEACON, "{j}");
    assert_eq!(cs[1]["beacon_exp"], 10, "{j}");
}

/// merkle + pot12 (domain 2^12 = 2^P): byte-identical `zkey new`/`beacon`/`export-vkey`.
#[test]
fn merkle_pot12_matches_snarkjs() {
    let r1cs = fixture("circuits/merkle.r1cs");
    let ptau = fixture("pot12_final.ptau");
    let io = new_and_beacon_interop(&r1cs, &ptau, (DET_BEACON, DET_BEACON_NAME));
    vkey_interop(io.dir.path(), &io.z0, "new");
    vkey_interop(io.dir.path(), &io.beacon1, "chain");

    // tauforge verify in text mode on the beacon-after-snarkjs-contribution file
    let text = tf_ok(&["zkey", "verify", s(&r1cs), s(&ptau), s(&io.beacon1)]);
    check_tf_verify_text(
        &text,
        &io.cs_hash,
        &[
            listed(1, "snarkjs contributor", &io.sj1_hash),
            listed_beacon(2, CHAIN_BEACON_NAME, &io.beacon1_hash, CHAIN_BEACON, 10),
        ],
    );
}

/// chain20000 + pot15 (domain 2^15 = 2^P: the csHash garbage-point quirk of §4.4).
#[test]
fn chain20000_pot15_matches_snarkjs() {
    let r1cs = fixture("circuits/chain20000.r1cs");
    let ptau = fixture("pot15_final.ptau");
    let io = new_and_beacon_interop(&r1cs, &ptau, (DET_BEACON, DET_BEACON_NAME));
    // tauforge's own verifier accepts the 2^15 chain (its init zkey hits the same quirk)
    let text = tf_ok(&["--quiet", "zkey", "verify", s(&r1cs), s(&ptau), s(&io.beacon1)]);
    check_tf_verify_text(
        &text,
        &io.cs_hash,
        &[
            listed(1, "snarkjs contributor", &io.sj1_hash),
            listed_beacon(2, CHAIN_BEACON_NAME, &io.beacon1_hash, CHAIN_BEACON, 10),
        ],
    );
}

/// A mixed ceremony on merkle + pot12: snarkjs, tauforge, snarkjs, tauforge contributions, then
/// a beacon by tauforge (→ A) or by snarkjs (→ B); both files verified by both tools, and every
/// printed contribution hash matches what both verifiers list.
#[test]
fn mixed_chain_merkle_verified_by_both() {
    let r1cs = fixture("circuits/merkle.r1cs");
    let ptau = fixture("pot12_final.ptau");
    let dir = tempdir();
    let p = |n: &str| dir.path().join(n);
    let z: Vec<PathBuf> = (0..5).map(|i| p(&format!("m_{i:04}.zkey"))).collect();

    let cs_hash = hash_after(&tf_ok(&["zkey", "new", s(&r1cs), s(&ptau), s(&z[0])]), "Circuit hash:");

    // 1: snarkjs
    let t1 = sj_ok(&["zkey", "contribute", s(&z[0]), s(&z[1]), "--name=alice (snarkjs)", "-e=alice entropy"]);
    let h1 = hash_after(&t1, "Contribution Hash:");
    // 2: tauforge, text output
    let t2 = tf_ok(&["zkey", "contribute", s(&z[1]), s(&z[2]), "--name", "bob (tauforge)", "--entropy", "bob entropy"]);
    assert_eq!(hash_after(&t2, "Circuit Hash:"), cs_hash, "{t2}");
    let h2 = hash_after(&t2, "Contribution Hash:");
    // 3: snarkjs
    let t3 = sj_ok(&["zkey", "contribute", s(&z[2]), s(&z[3]), "--name=carol (snarkjs)", "-e=carol entropy"]);
    let h3 = hash_after(&t3, "Contribution Hash:");
    // 4: tauforge, --json output
    let j4 =
        tf_json(&["zkey", "contribute", s(&z[3]), s(&z[4]), "--name", "dave (tauforge)", "--entropy", "dave entropy"]);
    assert_eq!(json_str(&j4, "circuit_hash"), cs_hash, "{j4}");
    assert_eq!(j4["contributions"], 4, "{j4}");
    let h4 = json_str(&j4, "contribution_hash").to_string();
    assert_eq!(h4.len(), 128, "{j4}");
    let all = [&h1, &h2, &h3, &h4];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b, "two contributions with the same hash");
        }
    }

    // 5A: beacon by tauforge (--json); 5B: beacon by snarkjs — deterministic, so identical too
    let (za, zb) = (p("m_final_tf.zkey"), p("m_final_sj.zkey"));
    let j5 = tf_json(&["zkey", "beacon", s(&z[4]), s(&za), CHAIN_BEACON, "10", "--name", CHAIN_BEACON_NAME]);
    let h5 = json_str(&j5, "contribution_hash").to_string();
    assert_eq!(j5["contributions"], 5, "{j5}");
    let t5 = sj_ok(&["zkey", "beacon", s(&z[4]), s(&zb), CHAIN_BEACON, "10", &format!("-n={CHAIN_BEACON_NAME}")]);
    assert_eq!(hash_after(&t5, "Contribution Hash:"), h5);
    assert_same_bytes(&za, &zb, "beacon closing a mixed chain");

    let expected = vec![
        listed(1, "alice (snarkjs)", &h1),
        listed(2, "bob (tauforge)", &h2),
        listed(3, "carol (snarkjs)", &h3),
        listed(4, "dave (tauforge)", &h4),
        listed_beacon(5, CHAIN_BEACON_NAME, &h5, CHAIN_BEACON, 10),
    ];

    // A: ends with the tauforge beacon
    let sa = sj_ok(&["zkey", "verify", s(&r1cs), s(&ptau), s(&za)]);
    check_sj_verify_text(&sa, &cs_hash, &expected);
    let ta = tf_ok(&["zkey", "verify", s(&r1cs), s(&ptau), s(&za)]);
    check_tf_verify_text(&ta, &cs_hash, &expected);

    // B: ends with the snarkjs beacon
    let sb = sj_ok(&["zkey", "verify", s(&r1cs), s(&ptau), s(&zb)]);
    check_sj_verify_text(&sb, &cs_hash, &expected);
    let jb = tf_json(&["zkey", "verify", s(&r1cs), s(&ptau), s(&zb)]);
    assert_eq!(jb["valid"], true, "{jb}");
    assert_eq!(json_str(&jb, "circuit_hash"), cs_hash, "{jb}");
    let listed_json: Vec<(u64, String, String)> = jb["contributions"]
        .as_array()
        .expect("contributions array")
        .iter()
        .map(|c| {
            (
                c["index"].as_u64().expect("index"),
                c["name"].as_str().unwrap_or("").to_string(),
                json_str(c, "hash").to_string(),
            )
        })
        .collect();
    let want: Vec<(u64, String, String)> =
        expected.iter().map(|l| (l.index as u64, l.name.clone(), l.hash.clone())).collect();
    assert_eq!(listed_json, want, "{jb}");

    // the intermediate file right after a tauforge contribution also passes snarkjs
    let s2 = sj_ok(&["zkey", "verify", s(&r1cs), s(&ptau), s(&z[2])]);
    check_sj_verify_text(&s2, &cs_hash, &[listed(1, "alice (snarkjs)", &h1), listed(2, "bob (tauforge)", &h2)]);
}

/// A zkey whose H points are permuted is rejected by both verifiers; tauforge's `--json` says
/// `"valid": false` and exits 1.
#[test]
fn tampered_h_section_rejected_by_both() {
    let r1cs = fixture("circuits/small.r1cs");
    let ptau = fixture("pot10_final.ptau");
    let dir = tempdir();
    let (z0, z1, bad) = (dir.path().join("t_0000.zkey"), dir.path().join("t_0001.zkey"), dir.path().join("t_bad.zkey"));
    tf_ok(&["zkey", "new", s(&r1cs), s(&ptau), s(&z0)]);
    let j = tf_json(&["zkey", "contribute", s(&z0), s(&z1), "--entropy", "tamper test"]);
    assert_eq!(json_str(&j, "contribution_hash").len(), 128, "{j}");
    assert_eq!(json_str(&j, "circuit_hash"), CSHASH_SMALL, "{j}");

    let mut bytes = std::fs::read(&z1).unwrap();
    let (_, h_off, h_len) = sections(&bytes).into_iter().find(|&(id, _, _)| id == 9).expect("section 9 (H)");
    assert!(h_len >= 128);
    let (first, second) = bytes[h_off..h_off + 128].split_at_mut(64);
    assert_ne!(first, second);
    first.swap_with_slice(second);
    std::fs::write(&bad, &bytes).unwrap();

    // the untampered file passes tauforge (so the failure below is about the swap)
    let ok = tf_json(&["zkey", "verify", s(&r1cs), s(&ptau), s(&z1)]);
    assert_eq!(ok["valid"], true, "{ok}");

    let out = output_of(tauforge().args(["--json", "zkey", "verify"]).args([&r1cs, &ptau, &bad]));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "tauforge verify of a tampered zkey: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&stdout).expect("verify --json prints JSON on failure");
    assert_eq!(v["valid"], false, "{v}");
    assert!(!stdout.contains("ZKey Ok!"));

    let mut cmd = snarkjs();
    cmd.args(["zkey", "verify"]).args([&r1cs, &ptau, &bad]);
    let out = output_of(&mut cmd);
    let text = strip_ansi(&format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    assert!(!out.status.success(), "snarkjs accepted the tampered zkey:\n{text}");
    assert!(!text.contains("ZKey Ok!"), "{text}");
    assert!(text.contains("H section does not match"), "{text}");
}

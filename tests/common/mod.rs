//! Shared harness for the integration tests: `mod common;` in each test file.
//!
//! Fixtures live in `tests/fixtures/` (see its README.md); the pinned JavaScript tools
//! (snarkjs 0.7.6, circom2 0.2.23, circomlib 2.0.5) live in `.tools/node_modules/`,
//! installed by `.ci/run`.
#![allow(dead_code)]

pub mod container;
pub mod coordinator;
pub mod malformed;
pub mod step;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path of a file under `tests/fixtures/`, e.g. `fixture("circuits/small.r1cs")`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// The `tauforge` binary built by cargo for this test run.
pub fn tauforge() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tauforge"))
}

/// Path of snarkjs' `cli.cjs`: `$TAUFORGE_SNARKJS` if set, else the pinned copy in `.tools/`.
/// Panics (so interop tests fail rather than skip) if it does not exist.
pub fn snarkjs_cli() -> PathBuf {
    let cli = match std::env::var_os("TAUFORGE_SNARKJS") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/node_modules/snarkjs/build/cli.cjs"),
    };
    if !cli.is_file() {
        panic!(
            "snarkjs not found at {}.\n\
             The snarkjs interop tests need the pinned snarkjs 0.7.6 and node: run `.ci/run` \
             (installs everything and runs the tests), or \
             `npm install --no-audit --no-fund --prefix .tools snarkjs@0.7.6` from the repository \
             root, or set TAUFORGE_SNARKJS to the path of snarkjs' build/cli.cjs.",
            cli.display()
        );
    }
    cli
}

/// `node <snarkjs cli.cjs>`; add the snarkjs arguments with `.args([...])`.
pub fn snarkjs() -> Command {
    let cli = snarkjs_cli();
    let mut cmd = Command::new("node");
    cmd.arg(cli);
    cmd
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn output_of(cmd: &mut Command) -> Output {
    cmd.output().unwrap_or_else(|e| panic!("failed to start `{}`: {e}", describe(cmd)))
}

/// Runs the command; panics with its full stdout and stderr unless it exits with status 0.
/// Returns stdout.
pub fn run_ok(cmd: &mut Command) -> String {
    let out = output_of(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        panic!(
            "command failed ({}): `{}`\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            out.status,
            describe(cmd)
        );
    }
    stdout
}

/// Runs the command and expects it to fail (non-zero exit, or killed by a signal);
/// panics with its output if it exits with status 0. Returns (stdout, stderr).
pub fn run_fail(cmd: &mut Command) -> (String, String) {
    let out = output_of(cmd);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        panic!(
            "command unexpectedly succeeded: `{}`\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
            describe(cmd)
        );
    }
    (stdout, stderr)
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("tauforge-test-").tempdir().expect("create temporary directory")
}

/// Lower-case hex SHA-256 of a file's contents.
pub fn sha256_file(p: &Path) -> String {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(p).unwrap_or_else(|e| panic!("open {} for hashing: {e}", p.display()));
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    hex::encode(h.finalize())
}

/// A copy of `src` with the first G1 point that is not the identity, at or after `offset` of
/// section `id`, replaced by its double.
pub fn with_doubled_point(src: &Path, dst: PathBuf, id: u32, offset: u64) -> PathBuf {
    use ark_ec::{AffineRepr, CurveGroup};
    use tauforge::format::points::{g1_from_lem, g1_to_lem};
    let bf = tauforge::format::binfile::BinFile::open(src, b"zkey").unwrap();
    let sec = bf.sections[&id][0];
    let mut bytes = std::fs::read(src).unwrap();
    let mut at = (sec.offset + offset) as usize;
    let p = loop {
        assert!(at + 64 <= (sec.offset + sec.size) as usize, "section {id} has no point to change");
        let p = g1_from_lem(&bytes[at..at + 64]).unwrap();
        if !p.is_zero() {
            break p;
        }
        at += 64;
    };
    bytes[at..at + 64].copy_from_slice(&g1_to_lem(&(p + p).into_affine()));
    std::fs::write(&dst, bytes).unwrap();
    dst
}

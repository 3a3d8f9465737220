//! The checks every malformed-input case makes: a clean failure (exit 2, no panic, `tauforge:
//! error:` naming the file and, where it applies, the section and index) and nothing left in the
//! output folder.

use std::path::Path;
use std::process::{Command, Output};

/// What a failure message must say.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    /// "section N" must appear.
    pub section: Option<u32>,
    /// "index N" must appear.
    pub index: Option<u64>,
    /// Each of these must appear.
    pub needles: Vec<&'static str>,
    /// At least one of these must appear (when not empty).
    pub any: Vec<&'static str>,
}

pub fn expect(section: Option<u32>, index: Option<u64>, needles: &[&'static str]) -> Expect {
    Expect { section, index, needles: needles.to_vec(), any: Vec::new() }
}

/// Only the file can be named; the message must contain one of `any`.
pub fn expect_any(any: &[&'static str]) -> Expect {
    Expect { any: any.to_vec(), ..Expect::default() }
}

pub fn describe(cmd: &Command) -> String {
    let mut s = String::from("tauforge");
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` (whose output, if any, goes into the empty folder `out_dir`) and checks the
/// failure; problems are appended to `failures`.
pub fn check_failure(
    case: &str,
    mut cmd: Command,
    bad_file: &Path,
    out_dir: &Path,
    exp: &Expect,
    failures: &mut Vec<String>,
) {
    // The CPU backend: malformed input must be refused by the format layer, before any backend.
    let o: Output = cmd.env("TAUFORGE_BACKEND", "cpu").output().expect("run tauforge");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    if std::env::var_os("TAUFORGE_SHOW_ERRORS").is_some() {
        eprintln!("[{case}] {}", err.trim_end());
    }
    let mut problems = Vec::new();
    if o.status.code() != Some(2) {
        problems.push(format!("exit status {:?}, expected 2", o.status));
    }
    if err.contains("panicked") {
        problems.push("it panicked".into());
    }
    // Graphics drivers probed for a GPU may print their own lines first.
    if !err.lines().any(|l| l.starts_with("tauforge: error:")) {
        problems.push("no line of stderr starts with `tauforge: error:`".into());
    }
    let name = bad_file.file_name().unwrap().to_string_lossy();
    if !err.contains(name.as_ref()) {
        problems.push(format!("stderr does not name the file {name}"));
    }
    // What the message says besides the file's name (which contains the case's words).
    let msg = err.replace(name.as_ref(), "<file>");
    if let Some(s) = exp.section {
        if !msg.contains(&format!("section {s}")) {
            problems.push(format!("stderr does not name section {s}"));
        }
    }
    if let Some(i) = exp.index {
        if !msg.contains(&format!("index {i}")) {
            problems.push(format!("stderr does not name index {i}"));
        }
    }
    for n in &exp.needles {
        if !msg.contains(n) {
            problems.push(format!("stderr does not contain {n:?}"));
        }
    }
    if !exp.any.is_empty() && !exp.any.iter().any(|n| msg.contains(n)) {
        problems.push(format!("stderr contains none of {:?}", exp.any));
    }
    let left: Vec<String> =
        std::fs::read_dir(out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    if !left.is_empty() {
        problems.push(format!("files left in the output folder: {left:?}"));
    }
    if !problems.is_empty() {
        failures.push(format!(
            "[{case}] `{}`: {}\n    stderr: {}",
            describe(&cmd),
            problems.join("; "),
            err.trim_end()
        ));
    }
}

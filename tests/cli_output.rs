//! How the binary behaves towards its caller, whatever the verb: a closed stdout.

mod common;

use common::{fixture, tauforge};

#[test]
fn a_closed_stdout_ends_quietly() {
    // `tauforge ptau info … | head -0`: stdout is a pipe nobody reads; no panic message, the
    // shell's SIGPIPE code.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = tauforge().args(["ptau", "info"]).arg(fixture("pot10_final.ptau")).stdout(writer).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(141), "{err}");
}

//! Running `tauforge <ptau|zkey> verify-step` (CPU backend) and checking its verdict.

use std::path::Path;

use super::tauforge;

/// Runs `tauforge <kind> verify-step prev next --backend cpu`: (exit code, stdout, stderr).
pub fn step(kind: &str, prev: &Path, next: &Path) -> (i32, String, String) {
    let out = tauforge().args([kind, "verify-step"]).arg(prev).arg(next).args(["--backend", "cpu"]).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Asserts the step is accepted; returns stdout.
pub fn accepts(kind: &str, prev: &Path, next: &Path) -> String {
    let (code, out, err) = step(kind, prev, next);
    assert_eq!(code, 0, "verify-step {} {} refused:\n{out}\n{err}", prev.display(), next.display());
    assert!(out.contains("Step Ok!"), "{out}");
    out
}

/// Asserts the step is INVALID with `reason` in the message.
pub fn rejects(kind: &str, prev: &Path, next: &Path, reason: &str) {
    let (code, out, err) = step(kind, prev, next);
    assert_eq!(code, 1, "verify-step {} {} should be INVALID:\n{out}\n{err}", prev.display(), next.display());
    assert!(err.contains("INVALID") && err.contains(reason), "expected {reason:?} in:\n{err}");
}

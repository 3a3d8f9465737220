//! How verbs report: human text, or one JSON summary with `--json`; exit codes.

use serde_json::Value;

/// Exit code of a successful verb.
pub const EXIT_OK: i32 = 0;
/// Exit code when a verification finds the input invalid.
pub const EXIT_INVALID: i32 = 1;
/// Exit code when stdout is a closed pipe (`tauforge … | head`): the shell's code for a process
/// ended by SIGPIPE, as C tools end.
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Writes one line to stdout. A closed pipe ends the process quietly with [`EXIT_BROKEN_PIPE`]
/// rather than a panic; any other write error is reported on stderr the same way.
pub fn print_line(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{s}").and_then(|()| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("tauforge: error: writing to stdout: {e}");
        }
        std::process::exit(EXIT_BROKEN_PIPE);
    }
}

/// Output settings shared by every verb.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Print a JSON summary instead of text.
    pub json: bool,
    /// Print less.
    pub quiet: bool,
}

impl Output {
    /// Reports a verification that found its input invalid: `INVALID: msg` on stderr, the JSON
    /// verdict with `--json`; returns [`EXIT_INVALID`].
    pub fn invalid(&self, msg: &str) -> i32 {
        eprintln!("tauforge: INVALID: {msg}");
        self.summary(serde_json::json!({"valid": false, "reason": msg}));
        EXIT_INVALID
    }

    /// Prints a human line (suppressed with `--json`).
    pub fn line(&self, s: impl AsRef<str>) {
        if !self.json {
            print_line(s.as_ref());
        }
    }

    /// Prints the JSON summary (only with `--json`).
    pub fn summary(&self, v: Value) {
        if self.json {
            print_line(&serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()));
        }
    }
}

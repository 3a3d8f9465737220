//! How verbs report: human text, or one JSON summary with `--json`; exit codes.

use serde_json::Value;

/// Exit code of a successful verb.
pub const EXIT_OK: i32 = 0;
/// Exit code when a verification finds the input invalid.
pub const EXIT_INVALID: i32 = 1;

/// Output settings shared by every verb.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Print a JSON summary instead of text.
    pub json: bool,
    /// Print less.
    pub quiet: bool,
}

impl Output {
    /// Prints a human line (suppressed with `--json`).
    pub fn line(&self, s: impl AsRef<str>) {
        if !self.json {
            println!("{}", s.as_ref());
        }
    }

    /// Prints the JSON summary (only with `--json`).
    pub fn summary(&self, v: Value) {
        if self.json {
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_else(|_| v.to_string()));
        }
    }
}

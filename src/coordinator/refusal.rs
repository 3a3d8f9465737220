//! Why the coordinator refused a request: an HTTP status, a machine-readable kind and a reason.

use std::fmt;

use super::protocol::ErrorBody;

/// A refused request (or an internal failure, status 500).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The HTTP status.
    pub status: u16,
    /// A short kind, e.g. `stale_parent`.
    pub kind: &'static str,
    /// The reason in words.
    pub reason: String,
}

impl Refusal {
    /// A refusal with `status`, `kind` and `reason`.
    pub fn new(status: u16, kind: &'static str, reason: impl Into<String>) -> Self {
        Refusal { status, kind, reason: reason.into() }
    }
    /// 400: the request itself is malformed.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(400, "bad_request", reason)
    }
    /// 401: no or an unknown participant token.
    pub fn unauthorized(reason: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", reason)
    }
    /// 500: the coordinator failed.
    pub fn internal(reason: impl Into<String>) -> Self {
        Self::new(500, "internal", reason)
    }
    /// The JSON body sent with the status.
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: self.kind.to_string(), reason: self.reason.clone() }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.kind, self.reason)
    }
}

impl From<rusqlite::Error> for Refusal {
    fn from(e: rusqlite::Error) -> Self {
        Refusal::internal(format!("state database: {e}"))
    }
}

impl From<crate::Error> for Refusal {
    fn from(e: crate::Error) -> Self {
        Refusal::internal(e.to_string())
    }
}

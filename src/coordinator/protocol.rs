//! The coordinator's HTTP protocol, version 1: the JSON bodies and header names that the server
//! and the client share (docs/PROTOCOL.md describes them).

use serde::{Deserialize, Serialize};

/// Every path of the protocol starts with this.
pub const PREFIX: &str = "/v1";
/// Header carrying the lease token of the current turn.
pub const LEASE_HEADER: &str = "x-tauforge-lease";
/// Header naming the parent zkey (its SHA-256, hex) an upload builds on.
pub const PARENT_HEADER: &str = "x-tauforge-parent";
/// Header carrying the SHA-256 (hex) of a downloaded head.
pub const HASH_HEADER: &str = "x-tauforge-hash";
/// Header carrying the chain position (contributions so far) of a downloaded head.
pub const INDEX_HEADER: &str = "x-tauforge-index";

/// `POST /v1/join` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The participant's public name (recorded in the zkeys by the client).
    pub name: String,
    /// A participant token the client drew itself (64 hex digits), which makes a repeated join
    /// (its answer lost) return the same participant; the server draws one when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// `POST /v1/join` answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinResponse {
    /// The participant's id.
    pub participant: i64,
    /// The bearer token for every later request (shown once).
    pub token: String,
    /// 1 = next in line.
    pub position: u64,
}

/// One circuit of an active turn.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurnCircuit {
    /// The circuit's name.
    pub name: String,
    /// SHA-256 (hex) of its current head: the parent an upload must name.
    pub head_hash: String,
    /// Contributions in the head.
    pub head_index: u64,
    /// Size of the head in bytes.
    pub head_size: u64,
    /// `pending`, `uploading`, `accepted`, `failed` or `timeout`.
    pub state: String,
}

/// `GET /v1/turn` answer: where the participant stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TurnView {
    /// `waiting`, `active`, `done`, `expired` (may retry) or `exhausted` (may not).
    pub state: String,
    /// Position in the queue while waiting (1 = next).
    pub position: Option<u64>,
    /// Estimated seconds until the turn starts, from recent turn times.
    pub eta_s: Option<f64>,
    /// How long to wait before asking again, in milliseconds.
    pub poll_ms: u64,
    /// The lease token, while the turn is active.
    pub lease: Option<String>,
    /// Milliseconds since the Unix epoch by which every head must be downloaded.
    pub deadline_download: Option<i64>,
    /// … every upload must have started.
    pub deadline_compute: Option<i64>,
    /// … every upload must have been received.
    pub deadline_upload: Option<i64>,
    /// The circuits of the turn.
    pub circuits: Vec<TurnCircuit>,
    /// Circuits this participant may still retry (when expired).
    pub retryable: Vec<String>,
    /// Why the turn ended, when it did not end in success.
    pub reason: Option<String>,
}

/// The receipt of an accepted contribution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Receipt {
    /// The circuit.
    pub circuit: String,
    /// The contribution's position in the chain (1 = first after the initial zkey).
    pub index: u64,
    /// snarkjs's contribution hash (hex), as `zkey verify` prints it.
    pub contribution_hash: String,
    /// SHA-256 (hex) of the accepted zkey: the next upload's parent.
    pub file_hash: String,
    /// SHA-256 (hex) of the parent it built on.
    pub parent_hash: String,
    /// The participant.
    pub participant: i64,
}

/// Every refusal: an HTTP status with a JSON body naming the reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    /// A short machine-readable kind (`stale_parent`, `chained_from_0`, `lease_expired`, …).
    pub error: String,
    /// The reason in words.
    pub reason: String,
}

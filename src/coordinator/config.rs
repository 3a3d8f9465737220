//! `ceremony.toml`: the circuits, deadlines, retry budget, limits, beacon commitment, listen
//! address and data folder of one ceremony.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// A whole ceremony's configuration, as read from `ceremony.toml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The ceremony's name (status page, transcript).
    pub name: String,
    /// Where the state, the zkeys and the transcript live (relative to the config file).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The address `coordinator serve` listens on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Per-phase deadlines of a turn.
    #[serde(default)]
    pub deadlines: Deadlines,
    /// How often waiting clients are asked to poll, in milliseconds.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
    /// Failed attempts a participant may retry, per circuit.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Request limits.
    #[serde(default)]
    pub limits: Limits,
    /// The final beacon, committed before the ceremony starts.
    pub beacon: BeaconCommitment,
    /// The circuits; one turn covers them all.
    #[serde(rename = "circuit")]
    pub circuits: Vec<CircuitConfig>,
}

/// Seconds allowed for each phase of a turn, counted from the turn's start.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    /// Every circuit's head must be downloaded within this.
    pub download_s: f64,
    /// Then every upload must have started within this.
    pub compute_s: f64,
    /// Then every upload must have been received within this.
    pub upload_s: f64,
    /// A waiting participant not heard from (no `GET /v1/turn`) for this long loses its place
    /// when its turn would start, so a vanished client never holds the slot.
    #[serde(default = "default_idle")]
    pub idle_s: f64,
}

impl Default for Deadlines {
    fn default() -> Self {
        Deadlines { download_s: 120.0, compute_s: 600.0, upload_s: 300.0, idle_s: default_idle() }
    }
}

/// Limits on requests.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Requests per second allowed per client (address and token), sustained.
    #[serde(default = "default_rate")]
    pub requests_per_s: f64,
    /// Requests a client may send in a burst.
    #[serde(default = "default_burst")]
    pub burst: f64,
    /// Bytes an upload may exceed its parent zkey by (a new contribution record is ~1 KiB).
    #[serde(default = "default_upload_slack")]
    pub upload_slack_bytes: u64,
    /// Participants that may wait in the queue at once.
    #[serde(default = "default_queue_cap")]
    pub max_queue: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            requests_per_s: default_rate(),
            burst: default_burst(),
            upload_slack_bytes: default_upload_slack(),
            max_queue: default_queue_cap(),
        }
    }
}

/// The beacon that seals the ceremony, fixed before it starts.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BeaconCommitment {
    /// Where the beacon value will come from (e.g. "drand round 1204000").
    pub source: String,
    /// log2 of the SHA-256 iterations (10..=63).
    pub iterations_exp: u32,
    /// SHA-256 (hex) of the beacon value, when the value itself is committed in advance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_sha256: Option<String>,
}

impl BeaconCommitment {
    /// The commitment recorded at `init`: SHA-256 of the beacon section's canonical JSON.
    pub fn commitment(&self) -> String {
        let text = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(text.as_bytes()))
    }
}

/// One circuit of the ceremony.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitConfig {
    /// A short unique name ([A-Za-z0-9_-], used in URLs and file names).
    pub name: String,
    /// The circuit (.r1cs), relative to the config file.
    pub r1cs: PathBuf,
    /// The prepared ptau, relative to the config file.
    pub ptau: PathBuf,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_listen() -> String {
    "127.0.0.1:8547".into()
}
fn default_idle() -> f64 {
    60.0
}
fn default_poll_ms() -> u64 {
    1000
}
fn default_retries() -> u32 {
    2
}
fn default_rate() -> f64 {
    20.0
}
fn default_burst() -> f64 {
    60.0
}
fn default_upload_slack() -> u64 {
    64 * 1024
}
fn default_queue_cap() -> u64 {
    100_000
}

/// Whether `name` may name a circuit (it appears in URLs and file names).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Config {
    /// Reads and checks `path`; relative paths inside are resolved against its folder.
    pub fn read(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut c: Config = toml::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: not a ceremony config: {e}", path.display())))?;
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        c.data_dir = base.join(&c.data_dir);
        for circuit in &mut c.circuits {
            circuit.r1cs = base.join(&circuit.r1cs);
            circuit.ptau = base.join(&circuit.ptau);
        }
        c.check().map_err(|m| Error::Usage(format!("{}: {m}", path.display())))?;
        Ok(c)
    }

    fn check(&self) -> std::result::Result<(), String> {
        if self.circuits.is_empty() {
            return Err("no [[circuit]] given".into());
        }
        let mut names = std::collections::BTreeSet::new();
        for c in &self.circuits {
            if !valid_name(&c.name) {
                return Err(format!("circuit name {:?}: use 1-64 characters of A-Z a-z 0-9 _ -", c.name));
            }
            if !names.insert(&c.name) {
                return Err(format!("circuit name {:?} appears twice", c.name));
            }
        }
        let d = &self.deadlines;
        for (what, v) in
            [("download_s", d.download_s), ("compute_s", d.compute_s), ("upload_s", d.upload_s), ("idle_s", d.idle_s)]
        {
            if !(v.is_finite() && v > 0.0) {
                return Err(format!("deadlines.{what} must be a positive number of seconds"));
            }
        }
        if !(self.limits.requests_per_s > 0.0 && self.limits.burst >= 1.0) {
            return Err("limits.requests_per_s must be > 0 and limits.burst >= 1".into());
        }
        crate::crypto::beacon::check_beacon_exp(self.beacon.iterations_exp).map_err(|e| format!("beacon: {e}"))?;
        if let Some(h) = &self.beacon.value_sha256 {
            if h.len() != 64 || hex::decode(h).is_err() {
                return Err("beacon.value_sha256 must be 64 hex digits".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ceremony.toml");
        std::fs::write(&p, text).unwrap();
        Config::read(&p)
    }

    const OK: &str = r#"
name = "t"
[beacon]
source = "drand round 1"
iterations_exp = 10
[[circuit]]
name = "a"
r1cs = "a.r1cs"
ptau = "p.ptau"
"#;

    #[test]
    fn reads_defaults_and_rejects_bad_configs() {
        let c = parse(OK).unwrap();
        assert_eq!(c.retries, 2);
        assert!(c.data_dir.ends_with("data"));
        assert!(parse(&OK.replace("name = \"a\"", "name = \"a/b\"")).unwrap_err().to_string().contains("circuit name"));
        assert!(parse(&OK.replace("iterations_exp = 10", "iterations_exp = 3")).is_err());
        assert!(parse(&format!("{OK}\nbogus = 1")).unwrap_err().to_string().contains("unknown field"));
        let twice = format!("{OK}\n[[circuit]]\nname = \"a\"\nr1cs = \"x\"\nptau = \"y\"\n");
        assert!(parse(&twice).unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn commitment_changes_with_the_beacon() {
        let c = parse(OK).unwrap();
        let mut b = c.beacon.clone();
        assert_eq!(b.commitment(), c.beacon.commitment());
        b.source.push('x');
        assert_ne!(b.commitment(), c.beacon.commitment());
    }
}

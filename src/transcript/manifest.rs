//! `transcript.json`: the manifest of a ceremony transcript directory (schema in
//! docs/TRANSCRIPT.md). Paths are relative to the directory and may not leave it.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The manifest's file name inside a transcript directory.
pub const MANIFEST: &str = "transcript.json";
/// The `format` value of every manifest.
pub const FORMAT: &str = "tauforge-transcript";
/// The schema version this build reads and writes.
pub const VERSION: u32 = 1;

/// A ceremony transcript: one entry per circuit.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`].
    pub version: u32,
    /// The ceremony's name.
    pub ceremony: String,
    /// The circuits, in any order.
    pub circuits: Vec<CircuitEntry>,
}

/// One circuit's files.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CircuitEntry {
    /// A unique name (used in reports).
    pub name: String,
    /// The circuit (.r1cs), relative to the directory.
    pub r1cs: String,
    /// The prepared ptau the ceremony started from.
    pub ptau: String,
    /// The chain of zkeys: the initial one, one per accepted contribution in order, the final
    /// (beacon) one last.
    pub zkeys: Vec<String>,
    /// The contribution hashes (hex) the coordinator issued as receipts, one per zkey after the
    /// first, in order; optional. When present each must match the chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contribution_hashes: Option<Vec<String>>,
}

fn bad(path: &Path, msg: impl Into<String>) -> Error {
    Error::Usage(format!("{}: {}", path.display(), msg.into()))
}

impl Manifest {
    /// Reads and checks `dir/transcript.json`.
    pub fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(path.clone(), e))?;
        let m: Manifest =
            serde_json::from_str(&text).map_err(|e| bad(&path, format!("not a transcript manifest: {e}")))?;
        m.check(&path)?;
        Ok(m)
    }

    /// Checks the format, version, names and paths.
    pub fn check(&self, path: &Path) -> Result<()> {
        if self.format != FORMAT {
            return Err(bad(path, format!("format is {:?}, expected {FORMAT:?}", self.format)));
        }
        if self.version != VERSION {
            return Err(bad(
                path,
                format!("version {} is not supported (this tauforge reads {VERSION})", self.version),
            ));
        }
        if self.circuits.is_empty() {
            return Err(bad(path, "no circuits"));
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in self.circuits.iter().enumerate() {
            let at = |msg: String| bad(path, format!("circuit #{i} ({}): {msg}", c.name));
            if c.name.is_empty() || !names.insert(c.name.as_str()) {
                return Err(at("names must be non-empty and unique".into()));
            }
            for p in [&c.r1cs, &c.ptau].into_iter().chain(&c.zkeys) {
                relative(p).map_err(|m| at(format!("path {p:?}: {m}")))?;
            }
            if c.zkeys.is_empty() {
                return Err(at("no zkeys (the chain starts with the initial zkey)".into()));
            }
            if let Some(h) = &c.contribution_hashes {
                if h.len() + 1 != c.zkeys.len() {
                    return Err(at(format!(
                        "{} contribution hashes for {} zkeys (expected one per zkey after the first)",
                        h.len(),
                        c.zkeys.len()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Writes the manifest (pretty JSON) into `dir`, atomically.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MANIFEST);
        let mut text = serde_json::to_string_pretty(self).map_err(|e| bad(&path, e.to_string()))?;
        text.push('\n');
        crate::format::atomic::write_file(&path, text.as_bytes())
    }
}

/// `p` as a path inside the directory: relative, no `..`, not empty.
pub fn relative(p: &str) -> std::result::Result<PathBuf, String> {
    let path = PathBuf::from(p);
    if p.is_empty() {
        return Err("empty".into());
    }
    for c in path.components() {
        match c {
            Component::Normal(_) | Component::CurDir => {}
            _ => return Err("must be relative to the transcript directory and stay inside it".into()),
        }
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Manifest {
        Manifest {
            format: FORMAT.into(),
            version: VERSION,
            ceremony: "t".into(),
            circuits: vec![CircuitEntry {
                name: "a".into(),
                r1cs: "a/a.r1cs".into(),
                ptau: "pot.ptau".into(),
                zkeys: vec!["a/0.zkey".into(), "a/1.zkey".into()],
                contribution_hashes: Some(vec!["00".into()]),
            }],
        }
    }

    #[test]
    fn checks_paths_names_and_counts() {
        let p = Path::new("transcript.json");
        sample().check(p).unwrap();
        let mut m = sample();
        m.circuits[0].zkeys[0] = "../x.zkey".into();
        assert!(m.check(p).unwrap_err().to_string().contains("stay inside"));
        let mut m = sample();
        m.circuits[0].r1cs = "/etc/passwd".into();
        assert!(m.check(p).is_err());
        let mut m = sample();
        m.circuits.push(m.circuits[0].clone());
        assert!(m.check(p).unwrap_err().to_string().contains("unique"));
        let mut m = sample();
        m.circuits[0].contribution_hashes = Some(vec![]);
        assert!(m.check(p).unwrap_err().to_string().contains("0 contribution hashes for 2 zkeys"));
        let mut m = sample();
        m.version = 2;
        assert!(m.check(p).is_err());
    }

    #[test]
    fn round_trips_through_json() {
        let m = sample();
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(serde_json::from_str::<Manifest>(&text).unwrap(), m);
        assert!(serde_json::from_str::<Manifest>(&text.replace("\"ceremony\"", "\"extra\":1,\"ceremony\"")).is_err());
    }
}

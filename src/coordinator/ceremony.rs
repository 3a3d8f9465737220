//! The ceremony's life on disk: `init` (copy the inputs, build the initial zkeys, create the
//! store), start-up recovery (drop what no committed state names), and `finalize` (the committed
//! beacon, the final zkeys and the transcript directory).

use std::path::{Path, PathBuf};

use super::config::Config;
use super::store::{self, NewCircuit, Store, DB_FILE};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::phase2::contribute::{contribute, Source};
use crate::transcript::manifest::{CircuitEntry, Manifest, FORMAT, VERSION};

/// Folder (inside the data folder) where uploads are received before they are verified.
pub const INCOMING: &str = "incoming";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    Ok((store::sha256_hex(&bytes), bytes.len() as u64))
}

/// `coordinator init`: copies every circuit's r1cs and ptau into the data folder, builds the
/// initial zkeys and creates the store. Refuses a data folder that already holds a ceremony.
pub fn init(cfg: &Config) -> Result<Vec<NewCircuit>> {
    let dir = &cfg.data_dir;
    let db = dir.join(DB_FILE);
    if db.exists() {
        return Err(Error::Usage(format!("{}: a ceremony already exists in this data folder", db.display())));
    }
    std::fs::create_dir_all(dir.join("ptau")).map_err(io(dir))?;
    let mut circuits = Vec::new();
    for c in &cfg.circuits {
        let cdir = PathBuf::from("circuits").join(&c.name);
        std::fs::create_dir_all(dir.join(&cdir)).map_err(io(dir))?;
        let r1cs = cdir.join(format!("{}.r1cs", c.name));
        std::fs::copy(&c.r1cs, dir.join(&r1cs)).map_err(io(&c.r1cs))?;
        let ptau_name = c.ptau.file_name().ok_or_else(|| Error::Usage(format!("{}: not a file", c.ptau.display())))?;
        let ptau = PathBuf::from("ptau").join(ptau_name);
        let ptau_abs = dir.join(&ptau);
        if ptau_abs.exists() {
            if std::fs::read(&ptau_abs).map_err(io(&ptau_abs))? != std::fs::read(&c.ptau).map_err(io(&c.ptau))? {
                return Err(Error::Usage(format!(
                    "two different ptau files are both called {}; rename one",
                    ptau_name.to_string_lossy()
                )));
            }
        } else {
            std::fs::copy(&c.ptau, &ptau_abs).map_err(io(&c.ptau))?;
        }
        let initial = store::zkey_path(&c.name, 0);
        crate::phase2::new::zkey_new(&dir.join(&r1cs), &ptau_abs, &dir.join(&initial))?;
        let (hash, size) = sha256_file(&dir.join(&initial))?;
        circuits.push(NewCircuit {
            name: c.name.clone(),
            r1cs: store::rel_string(&r1cs),
            ptau: store::rel_string(&ptau),
            initial_file: store::rel_string(&initial),
            initial_hash: hash,
            initial_size: size,
        });
    }
    std::fs::create_dir_all(dir.join(INCOMING)).map_err(io(dir))?;
    Store::create(&db, cfg, &circuits)?;
    Ok(circuits)
}

/// Start-up recovery: uploads in flight at a crash are forgotten (their circuits pending again),
/// and every file in the chain folders that the committed state does not name is removed, so
/// nothing half-written or unaccepted is ever served or mistaken for part of the chain.
pub fn recover(cfg: &Config, store: &mut Store) -> Result<Vec<PathBuf>> {
    let named = store.recover().map_err(|r| Error::Usage(r.reason))?;
    let named: std::collections::BTreeSet<PathBuf> = named.iter().map(|f| cfg.data_dir.join(f)).collect();
    let mut removed = Vec::new();
    let incoming = cfg.data_dir.join(INCOMING);
    std::fs::create_dir_all(&incoming).map_err(io(&incoming))?;
    let mut folders = vec![incoming];
    for c in &cfg.circuits {
        folders.push(cfg.data_dir.join("circuits").join(&c.name));
    }
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            let stray = name.ends_with(".part")
                || name.ends_with(".tmp")
                || (name.ends_with(".zkey") && !name.ends_with("_final.zkey") && !named.contains(&p));
            if stray && std::fs::remove_file(&p).is_ok() {
                removed.push(p);
            }
        }
    }
    Ok(removed)
}

/// What `finalize` wrote.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finalized {
    /// The transcript directory (the data folder).
    pub transcript: PathBuf,
    /// Per circuit: (name, contributions before the beacon, final zkey, beacon contribution hash).
    pub circuits: Vec<(String, usize, PathBuf, String)>,
}

/// `coordinator finalize`: checks the beacon against the commitment made at `init`, closes the
/// ceremony, applies the beacon to every head and writes `transcript.json`.
pub fn finalize(cfg: &Config, beacon_hex: &str, backend: &dyn Backend) -> Result<Finalized> {
    let dir = &cfg.data_dir;
    let mut store = Store::open(&dir.join(DB_FILE))?;
    let committed = store.meta("beacon_commitment")?.unwrap_or_default();
    if committed != cfg.beacon.commitment() {
        return Err(Error::Usage(
            "the [beacon] section of the config differs from the one committed at init: refusing to finalize".into(),
        ));
    }
    let value = crate::crypto::beacon::parse_beacon_hash(beacon_hex)?;
    if let Some(want) = &cfg.beacon.value_sha256 {
        if store::sha256_hex(&value) != want.to_ascii_lowercase() {
            return Err(Error::Usage(
                "the beacon value does not match the committed hash (beacon.value_sha256): refusing to finalize".into(),
            ));
        }
    }
    let rows = store.circuits().map_err(|r| Error::Usage(r.reason))?;
    for c in &rows {
        if c.head_index == 0 {
            return Err(Error::Usage(format!("circuit {} has no contributions: refusing to finalize", c.name)));
        }
    }
    store.finalize().map_err(|r| Error::Usage(r.reason))?;
    let name = format!("Final beacon ({})", cfg.beacon.source);
    let mut entries = Vec::new();
    let mut done = Vec::new();
    for c in &rows {
        let chain = store.chain(c.id).map_err(|r| Error::Usage(r.reason))?;
        let final_rel = PathBuf::from("circuits").join(&c.name).join(format!("{}_final.zkey", c.name));
        let s = contribute(
            &dir.join(&c.head_file),
            &dir.join(&final_rel),
            Source::Beacon { hash: value.clone(), exp: cfg.beacon.iterations_exp },
            Some(&name),
            backend,
        )?;
        let mut zkeys = vec![c.initial_file.clone()];
        let mut hashes = Vec::new();
        for (f, h) in &chain {
            zkeys.push(f.clone());
            hashes.push(h.clone());
        }
        zkeys.push(store::rel_string(&final_rel));
        hashes.push(hex::encode(s.contribution_hash));
        entries.push(CircuitEntry {
            name: c.name.clone(),
            r1cs: c.r1cs.clone(),
            ptau: c.ptau.clone(),
            zkeys,
            contribution_hashes: Some(hashes),
        });
        done.push((c.name.clone(), chain.len(), dir.join(&final_rel), hex::encode(s.contribution_hash)));
    }
    let m = Manifest { format: FORMAT.into(), version: VERSION, ceremony: cfg.name.clone(), circuits: entries };
    m.write(dir)?;
    Ok(Finalized { transcript: dir.clone(), circuits: done })
}

//! The coordinator's state in SQL: circuits and their heads, participants and the queue, turns
//! with their leases and deadlines, accepted contributions and every attempt.
//!
//! Every change runs in one `BEGIN IMMEDIATE` transaction. A circuit's head advances only with
//! `UPDATE circuit … WHERE id = ? AND head_hash = ?parent` (compare-and-swap) in the transaction
//! that records the contribution. The statements are plain SQL that PostgreSQL also accepts
//! (only the table definitions' id columns differ), so the store can move there when several
//! coordinator processes share one ceremony (docs/PROTOCOL.md).

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::config::Config;
use super::protocol::{JoinResponse, Receipt, TurnCircuit, TurnView};
use super::queue::{self, Deadlines};
use super::refusal::Refusal;

/// The store's file name inside the data folder.
pub const DB_FILE: &str = "state.sqlite";

const SCHEMA: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE circuit (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    r1cs TEXT NOT NULL,
    ptau TEXT NOT NULL,
    initial_file TEXT NOT NULL,
    initial_hash TEXT NOT NULL,
    head_file TEXT NOT NULL,
    head_hash TEXT NOT NULL,
    head_index INTEGER NOT NULL,
    head_size INTEGER NOT NULL
);
CREATE TABLE participant (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    queue_pos INTEGER UNIQUE,
    state TEXT NOT NULL,
    joined_at INTEGER NOT NULL,
    last_seen INTEGER NOT NULL
);
CREATE TABLE turn (
    id INTEGER PRIMARY KEY,
    participant INTEGER NOT NULL REFERENCES participant(id),
    lease_nonce TEXT NOT NULL,
    lease_hash TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    deadline_download INTEGER NOT NULL,
    deadline_compute INTEGER NOT NULL,
    deadline_upload INTEGER NOT NULL,
    ended_at INTEGER,
    reason TEXT
);
CREATE UNIQUE INDEX one_active_turn ON turn (state) WHERE state = 'active';
CREATE TABLE turn_circuit (
    turn INTEGER NOT NULL REFERENCES turn(id),
    circuit INTEGER NOT NULL REFERENCES circuit(id),
    state TEXT NOT NULL,
    downloaded_at INTEGER,
    PRIMARY KEY (turn, circuit)
);
CREATE TABLE contribution (
    circuit INTEGER NOT NULL REFERENCES circuit(id),
    idx INTEGER NOT NULL,
    parent_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    contribution_hash TEXT NOT NULL,
    file TEXT NOT NULL,
    participant INTEGER NOT NULL REFERENCES participant(id),
    turn INTEGER NOT NULL REFERENCES turn(id),
    accepted_at INTEGER NOT NULL,
    PRIMARY KEY (circuit, idx),
    UNIQUE (circuit, parent_hash)
);
CREATE TABLE attempt (
    id INTEGER PRIMARY KEY,
    participant INTEGER NOT NULL REFERENCES participant(id),
    circuit INTEGER REFERENCES circuit(id),
    turn INTEGER REFERENCES turn(id),
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX attempt_by_participant ON attempt (participant, circuit);
"#;

/// Attempt outcomes that use up the retry budget of a (participant, circuit).
const FAILURES: &str = "('invalid', 'timeout')";

/// A circuit as `init` registers it (paths relative to the data folder).
#[derive(Debug, Clone)]
pub struct NewCircuit {
    /// Its name.
    pub name: String,
    /// The copied r1cs.
    pub r1cs: String,
    /// The copied ptau.
    pub ptau: String,
    /// The initial zkey.
    pub initial_file: String,
    /// SHA-256 (hex) of the initial zkey.
    pub initial_hash: String,
    /// Its size in bytes.
    pub initial_size: u64,
}

/// One circuit's row.
#[derive(Debug, Clone)]
pub struct CircuitRow {
    /// Row id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// r1cs path (relative to the data folder).
    pub r1cs: String,
    /// ptau path.
    pub ptau: String,
    /// Initial zkey path.
    pub initial_file: String,
    /// SHA-256 of the initial zkey.
    pub initial_hash: String,
    /// Current head path.
    pub head_file: String,
    /// SHA-256 of the head.
    pub head_hash: String,
    /// Contributions in the head.
    pub head_index: u64,
    /// Head size in bytes.
    pub head_size: u64,
}

/// What a granted download serves.
#[derive(Debug, Clone)]
pub struct Download {
    /// The head file, relative to the data folder.
    pub file: String,
    /// Its SHA-256.
    pub hash: String,
    /// Its chain position.
    pub index: u64,
}

/// A granted upload: the circuit is marked `uploading` until [`Store::accept`] or
/// [`Store::upload_failed`] settles it.
#[derive(Debug, Clone)]
pub struct UploadTicket {
    /// The participant.
    pub participant: i64,
    /// The turn.
    pub turn: i64,
    /// The circuit.
    pub circuit: CircuitRow,
    /// The most bytes the upload may have.
    pub max_size: u64,
    /// Milliseconds since the epoch by which the body must have arrived.
    pub deadline_upload: i64,
}

/// A verified upload, in place at its chain name, ready to be recorded.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// Its path, relative to the data folder.
    pub file: String,
    /// Its SHA-256 (hex).
    pub file_hash: String,
    /// Its size in bytes.
    pub size: u64,
    /// snarkjs's contribution hash (hex).
    pub contribution_hash: String,
}

/// What `begin_upload` decided.
#[derive(Debug, Clone)]
pub enum Upload {
    /// A new upload onto the current head.
    New(UploadTicket),
    /// The same participant re-sending a contribution already accepted (its response was lost):
    /// answered with the same receipt if the body (at most the given bytes) hashes to the
    /// accepted file.
    Replay(Receipt, u64),
}

/// The coordinator's SQL state.
pub struct Store {
    conn: Connection,
    secret: Vec<u8>,
}

/// Equality that takes the same time wherever the inputs differ (lease tokens).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random token (32 bytes, hex).
pub fn random_token() -> Result<String, Refusal> {
    let mut b = [0u8; 32];
    getrandom::getrandom(&mut b).map_err(|e| Refusal::internal(format!("OS random generator: {e}")))?;
    Ok(hex::encode(b))
}

fn circuit_from(r: &rusqlite::Row) -> rusqlite::Result<CircuitRow> {
    Ok(CircuitRow {
        id: r.get(0)?,
        name: r.get(1)?,
        r1cs: r.get(2)?,
        ptau: r.get(3)?,
        initial_file: r.get(4)?,
        initial_hash: r.get(5)?,
        head_file: r.get(6)?,
        head_hash: r.get(7)?,
        head_index: r.get::<_, i64>(8)? as u64,
        head_size: r.get::<_, i64>(9)? as u64,
    })
}

const CIRCUIT_COLS: &str =
    "id, name, r1cs, ptau, initial_file, initial_hash, head_file, head_hash, head_index, head_size";

/// An active turn's row.
#[derive(Debug, Clone)]
struct TurnRow {
    id: i64,
    participant: i64,
    nonce: String,
    deadlines: Deadlines,
}

fn active_turn(tx: &Transaction) -> rusqlite::Result<Option<TurnRow>> {
    tx.query_row(
        "SELECT id, participant, lease_nonce, started_at, deadline_download, deadline_compute, deadline_upload \
         FROM turn WHERE state = 'active'",
        [],
        |r| {
            Ok(TurnRow {
                id: r.get(0)?,
                participant: r.get(1)?,
                nonce: r.get(2)?,
                deadlines: Deadlines { start: r.get(3)?, download: r.get(4)?, compute: r.get(5)?, upload: r.get(6)? },
            })
        },
    )
    .optional()
}

fn participant_by_token(tx: &Transaction, token: &str) -> Result<(i64, String, String), Refusal> {
    tx.query_row("SELECT id, name, state FROM participant WHERE token_hash = ?1", [sha256_hex(token.as_bytes())], |r| {
        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
    })
    .optional()?
    .ok_or_else(|| Refusal::unauthorized("unknown participant token"))
}

fn circuit_by_name(tx: &Transaction, name: &str) -> Result<CircuitRow, Refusal> {
    tx.query_row(&format!("SELECT {CIRCUIT_COLS} FROM circuit WHERE name = ?1"), [name], circuit_from)
        .optional()?
        .ok_or_else(|| Refusal::new(404, "unknown_circuit", format!("no circuit named {name:?} in this ceremony")))
}

fn failures(tx: &Transaction, participant: i64, circuit: i64) -> rusqlite::Result<u32> {
    tx.query_row(
        &format!("SELECT COUNT(*) FROM attempt WHERE participant = ?1 AND circuit = ?2 AND outcome IN {FAILURES}"),
        params![participant, circuit],
        |r| r.get(0),
    )
}

fn record_attempt(
    tx: &Transaction,
    participant: i64,
    circuit: Option<i64>,
    turn: Option<i64>,
    outcome: &str,
    reason: &str,
    now: i64,
) -> rusqlite::Result<()> {
    tx.execute(
        "INSERT INTO attempt (participant, circuit, turn, outcome, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![participant, circuit, turn, outcome, reason, now],
    )?;
    Ok(())
}

/// The circuits `participant` still has to contribute to and may: not yet accepted, retry
/// budget not used up.
fn needed_circuits(tx: &Transaction, participant: i64, retries: u32) -> rusqlite::Result<Vec<(i64, String)>> {
    let mut st = tx.prepare(&format!(
        "SELECT c.id, c.name FROM circuit c \
         WHERE NOT EXISTS (SELECT 1 FROM contribution k WHERE k.circuit = c.id AND k.participant = ?1) \
         AND (SELECT COUNT(*) FROM attempt a WHERE a.participant = ?1 AND a.circuit = c.id \
              AND a.outcome IN {FAILURES}) <= ?2 \
         ORDER BY c.id"
    ))?;
    let rows = st.query_map(params![participant, retries], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

fn all_accepted(tx: &Transaction, participant: i64) -> rusqlite::Result<bool> {
    tx.query_row(
        "SELECT COUNT(*) FROM circuit c WHERE NOT EXISTS \
         (SELECT 1 FROM contribution k WHERE k.circuit = c.id AND k.participant = ?1)",
        [participant],
        |r| r.get::<_, i64>(0).map(|n| n == 0),
    )
}

impl Store {
    /// Creates the store at `path` for a new ceremony.
    pub fn create(path: &Path, cfg: &Config, circuits: &[NewCircuit]) -> crate::Result<Store> {
        let fail = |e: rusqlite::Error| crate::Error::Usage(format!("{}: creating the state: {e}", path.display()));
        if path.exists() {
            return Err(crate::Error::Usage(format!("{}: a ceremony state already exists here", path.display())));
        }
        let mut conn = Connection::open(path).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
        let tx = conn.transaction().map_err(fail)?;
        tx.execute_batch(SCHEMA).map_err(fail)?;
        let secret = random_token().map_err(|r| crate::Error::Usage(r.reason))?;
        for (k, v) in [
            ("schema_version", "1".to_string()),
            ("ceremony", cfg.name.clone()),
            ("beacon_commitment", cfg.beacon.commitment()),
            ("beacon_source", cfg.beacon.source.clone()),
            ("secret", secret),
            ("finalized", "0".into()),
        ] {
            tx.execute("INSERT INTO meta (key, value) VALUES (?1, ?2)", params![k, v]).map_err(fail)?;
        }
        for c in circuits {
            tx.execute(
                "INSERT INTO circuit (name, r1cs, ptau, initial_file, initial_hash, head_file, head_hash, head_index, head_size) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?4, ?5, 0, ?6)",
                params![c.name, c.r1cs, c.ptau, c.initial_file, c.initial_hash, c.initial_size as i64],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        drop(conn);
        Store::open(path)
    }

    /// Opens the store of an initialized ceremony.
    pub fn open(path: &Path) -> crate::Result<Store> {
        let fail = |e: rusqlite::Error| crate::Error::Usage(format!("{}: opening the state: {e}", path.display()));
        if !path.is_file() {
            return Err(crate::Error::Usage(format!(
                "{}: no ceremony state here (run `tauforge coordinator init` first)",
                path.display()
            )));
        }
        let conn = Connection::open(path).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
        conn.pragma_update(None, "foreign_keys", "ON").map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(fail)?;
        let secret: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'secret'", [], |r| r.get(0)).map_err(fail)?;
        Ok(Store { conn, secret: secret.into_bytes() })
    }

    fn tx(&mut self) -> Result<Transaction<'_>, Refusal> {
        Ok(self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    fn lease_for(secret: &[u8], nonce: &str) -> String {
        let mut h = Sha256::new();
        h.update(b"tauforge lease\0");
        h.update(secret);
        h.update(nonce.as_bytes());
        hex::encode(h.finalize())
    }

    /// A `meta` value.
    pub fn meta(&self, key: &str) -> crate::Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| crate::Error::Usage(format!("state database: {e}")))
    }

    fn refuse_if_finalized(tx: &Transaction) -> Result<(), Refusal> {
        let f: String = tx.query_row("SELECT value FROM meta WHERE key = 'finalized'", [], |r| r.get(0))?;
        if f != "0" {
            return Err(Refusal::new(409, "finalized", "the ceremony has been finalized"));
        }
        Ok(())
    }

    /// After a restart: uploads that were in flight never finished, so their circuits are
    /// pending again. Returns the files the state names (everything else in the chain folders
    /// is an unaccepted leftover).
    pub fn recover(&mut self) -> Result<Vec<String>, Refusal> {
        let tx = self.tx()?;
        tx.execute("UPDATE turn_circuit SET state = 'pending' WHERE state = 'uploading'", [])?;
        let mut files = Vec::new();
        {
            let mut st = tx.prepare("SELECT initial_file FROM circuit UNION ALL SELECT file FROM contribution")?;
            for f in st.query_map([], |r| r.get::<_, String>(0))? {
                files.push(f?);
            }
        }
        tx.commit()?;
        Ok(files)
    }

    /// Expires the active turn when a deadline it had to meet has passed, then hands the slot
    /// to the first participant waiting. Runs at the start of every request and on a timer.
    pub fn advance(&mut self, now: i64, cfg: &Config) -> Result<(), Refusal> {
        let secret = self.secret.clone();
        let tx = self.tx()?;
        advance_in(&tx, &secret, now, cfg)?;
        tx.commit()?;
        Ok(())
    }

    /// `POST /v1/join`.
    pub fn join(&mut self, name: &str, token: Option<&str>, now: i64, cfg: &Config) -> Result<JoinResponse, Refusal> {
        queue::check_participant_name(name)?;
        if let Some(t) = token {
            if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Refusal::bad_request("a client-drawn participant token must be 64 hex digits"));
            }
        }
        let secret = self.secret.clone();
        let tx = self.tx()?;
        Self::refuse_if_finalized(&tx)?;
        if let Some(t) = token {
            // The same join again (its answer was lost): the same participant.
            if let Ok((id, _, _)) = participant_by_token(&tx, t) {
                let position = position_of(&tx, id)?.unwrap_or(0);
                return Ok(JoinResponse { participant: id, token: t.to_string(), position });
            }
        }
        let waiting: u64 = tx
            .query_row("SELECT COUNT(*) FROM participant WHERE state = 'waiting'", [], |r| r.get::<_, i64>(0))?
            as u64;
        if waiting >= cfg.limits.max_queue {
            return Err(Refusal::new(503, "queue_full", format!("the queue is full ({waiting} waiting)")));
        }
        let token = match token {
            Some(t) => t.to_string(),
            None => random_token()?,
        };
        tx.execute(
            "INSERT INTO participant (name, token_hash, queue_pos, state, joined_at, last_seen) \
             VALUES (?1, ?2, (SELECT COALESCE(MAX(queue_pos), 0) + 1 FROM participant), 'waiting', ?3, ?3)",
            params![name, sha256_hex(token.as_bytes()), now],
        )?;
        let id = tx.last_insert_rowid();
        advance_in(&tx, &secret, now, cfg)?;
        let position = position_of(&tx, id)?.unwrap_or(0);
        tx.commit()?;
        Ok(JoinResponse { participant: id, token, position })
    }

    /// `GET /v1/turn`: where the participant stands (advancing the queue first).
    pub fn turn_view(&mut self, token: &str, now: i64, cfg: &Config) -> Result<TurnView, Refusal> {
        let secret = self.secret.clone();
        let tx = self.tx()?;
        tx.execute(
            "UPDATE participant SET last_seen = ?2 WHERE token_hash = ?1",
            params![sha256_hex(token.as_bytes()), now],
        )?;
        advance_in(&tx, &secret, now, cfg)?;
        tx.commit()?;
        let tx = self.tx()?;
        let (id, _, state) = participant_by_token(&tx, token)?;
        let mut v = TurnView {
            state: state.clone(),
            position: None,
            eta_s: None,
            poll_ms: cfg.poll_ms,
            lease: None,
            deadline_download: None,
            deadline_compute: None,
            deadline_upload: None,
            circuits: Vec::new(),
            retryable: Vec::new(),
            reason: None,
        };
        match state.as_str() {
            "waiting" => {
                let pos = position_of(&tx, id)?.unwrap_or(1);
                v.position = Some(pos);
                v.eta_s = Some(eta_seconds(&tx, pos, now, cfg)?);
            }
            "active" => {
                let t = active_turn(&tx)?.filter(|t| t.participant == id).ok_or_else(|| {
                    Refusal::internal("participant is active but holds no active turn (state inconsistent)")
                })?;
                v.position = Some(0);
                v.lease = Some(Self::lease_for(&secret, &t.nonce));
                v.deadline_download = Some(t.deadlines.download);
                v.deadline_compute = Some(t.deadlines.compute);
                v.deadline_upload = Some(t.deadlines.upload);
                let mut st = tx.prepare(&format!(
                    "SELECT {}, tc.state FROM turn_circuit tc JOIN circuit c ON c.id = tc.circuit \
                     WHERE tc.turn = ?1 ORDER BY c.id",
                    CIRCUIT_COLS.split(", ").map(|c| format!("c.{c}")).collect::<Vec<_>>().join(", ")
                ))?;
                let rows = st.query_map([t.id], |r| Ok((circuit_from(r)?, r.get::<_, String>(10)?)))?;
                for row in rows {
                    let (c, s) = row?;
                    v.circuits.push(TurnCircuit {
                        name: c.name,
                        head_hash: c.head_hash,
                        head_index: c.head_index,
                        head_size: c.head_size,
                        state: s,
                    });
                }
            }
            "expired" | "exhausted" => {
                v.retryable = needed_circuits(&tx, id, cfg.retries)?.into_iter().map(|(_, n)| n).collect();
                v.reason = tx
                    .query_row("SELECT reason FROM turn WHERE participant = ?1 ORDER BY id DESC LIMIT 1", [id], |r| {
                        r.get::<_, Option<String>>(0)
                    })
                    .optional()?
                    .flatten();
            }
            _ => {}
        }
        tx.commit()?;
        Ok(v)
    }

    /// The participant's active turn, when `lease` is its lease; otherwise why not.
    fn authorize_in(secret: &[u8], tx: &Transaction, token: &str, lease: &str) -> Result<(i64, TurnRow), Refusal> {
        let (id, _, _) = participant_by_token(tx, token)?;
        let lease_hash = sha256_hex(lease.as_bytes());
        if let Some(t) = active_turn(tx)?.filter(|t| t.participant == id) {
            if constant_time_eq(Self::lease_for(secret, &t.nonce).as_bytes(), lease.as_bytes()) {
                return Ok((id, t));
            }
            return Err(Refusal::new(403, "bad_lease", "the lease token is not this turn's lease"));
        }
        let old: Option<Option<String>> = tx
            .query_row(
                "SELECT reason FROM turn WHERE participant = ?1 AND lease_hash = ?2",
                params![id, lease_hash],
                |r| r.get(0),
            )
            .optional()?;
        match old {
            Some(reason) => Err(Refusal::new(
                403,
                "lease_expired",
                format!("the lease has expired: {}", reason.unwrap_or_else(|| "the turn has ended".into())),
            )),
            None => Err(Refusal::new(403, "bad_lease", "no active turn holds this lease token")),
        }
    }

    /// `GET /v1/circuits/{name}/head`: the head to build on, recorded as downloaded.
    pub fn download(
        &mut self,
        token: &str,
        lease: &str,
        circuit: &str,
        now: i64,
        cfg: &Config,
    ) -> Result<Download, Refusal> {
        let secret = self.secret.clone();
        // The queue moves in its own transaction, so a refusal below cannot undo it.
        self.advance(now, cfg)?;
        let tx = self.tx()?;
        let c = circuit_by_name(&tx, circuit)?;
        let (_, t) = Self::authorize_in(&secret, &tx, token, lease)?;
        let n = tx.execute(
            "UPDATE turn_circuit SET downloaded_at = COALESCE(downloaded_at, ?3) WHERE turn = ?1 AND circuit = ?2",
            params![t.id, c.id, now],
        )?;
        if n == 0 {
            return Err(Refusal::new(409, "not_in_turn", format!("circuit {circuit:?} is not part of this turn")));
        }
        tx.commit()?;
        Ok(Download { file: c.head_file, hash: c.head_hash, index: c.head_index })
    }

    /// The cheap checks of an upload, before its body is read: the lease, the deadlines, and the
    /// compare-and-swap precondition (the named parent must be the current head).
    pub fn begin_upload(
        &mut self,
        token: &str,
        lease: &str,
        circuit: &str,
        parent: &str,
        now: i64,
        cfg: &Config,
    ) -> Result<Upload, Refusal> {
        let secret = self.secret.clone();
        // The queue moves in its own transaction, so a refusal below cannot undo it.
        self.advance(now, cfg)?;
        let tx = self.tx()?;
        let (pid, _, _) = participant_by_token(&tx, token)?;
        match Self::upload_checks(&tx, &secret, pid, token, lease, circuit, parent, now, cfg) {
            Ok(u) => {
                tx.commit()?;
                Ok(u)
            }
            Err(e) => {
                // Every refused upload of a known participant is recorded with its reason.
                let cid: Option<i64> =
                    tx.query_row("SELECT id FROM circuit WHERE name = ?1", [circuit], |r| r.get(0)).optional()?;
                let turn = active_turn(&tx)?.filter(|t| t.participant == pid).map(|t| t.id);
                record_attempt(&tx, pid, cid, turn, "refused", &e.reason, now)?;
                tx.commit()?;
                Err(e)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn upload_checks(
        tx: &Transaction,
        secret: &[u8],
        pid: i64,
        token: &str,
        lease: &str,
        circuit: &str,
        parent: &str,
        now: i64,
        cfg: &Config,
    ) -> Result<Upload, Refusal> {
        let c = circuit_by_name(tx, circuit)?;
        let replay = tx
            .query_row(
                "SELECT idx, contribution_hash, hash FROM contribution WHERE circuit = ?1 AND parent_hash = ?2 AND participant = ?3",
                params![c.id, parent, pid],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
            )
            .optional()?;
        if let Some((idx, ch, h)) = replay {
            // Zkeys only grow along a chain: the head bounds every earlier file.
            let max = c.head_size + cfg.limits.upload_slack_bytes;
            return Ok(Upload::Replay(
                Receipt {
                    circuit: c.name,
                    index: idx as u64,
                    contribution_hash: ch,
                    file_hash: h,
                    parent_hash: parent.to_string(),
                    participant: pid,
                },
                max,
            ));
        }
        Self::refuse_if_finalized(tx)?;
        let (_, t) = Self::authorize_in(secret, tx, token, lease)?;
        let state: Option<String> = tx
            .query_row("SELECT state FROM turn_circuit WHERE turn = ?1 AND circuit = ?2", params![t.id, c.id], |r| {
                r.get(0)
            })
            .optional()?;
        match state.as_deref() {
            None => {
                return Err(Refusal::new(409, "not_in_turn", format!("circuit {circuit:?} is not part of this turn")))
            }
            Some("pending") => {}
            Some("uploading") => {
                return Err(Refusal::new(
                    409,
                    "upload_in_progress",
                    "an upload for this circuit is already in progress",
                ))
            }
            Some(s) => {
                return Err(Refusal::new(409, "circuit_settled", format!("this circuit is already {s} in this turn")))
            }
        }
        if now > t.deadlines.compute {
            return Err(Refusal::new(403, "lease_expired", "the lease has expired: the compute deadline has passed"));
        }
        if parent != c.head_hash {
            let (kind, reason) = if parent == c.initial_hash && c.head_index > 0 {
                (
                    "chained_from_0",
                    format!(
                        "chained from 0: the upload builds on the initial zkey, but the head of {circuit:?} has {} contribution(s)",
                        c.head_index
                    ),
                )
            } else {
                (
                    "stale_parent",
                    format!(
                        "stale parent: the upload names parent {}…, the head of {circuit:?} is {}… (after contribution #{})",
                        &parent.get(..16).unwrap_or(parent),
                        &c.head_hash[..16],
                        c.head_index
                    ),
                )
            };
            return Err(Refusal::new(409, kind, reason));
        }
        tx.execute(
            "UPDATE turn_circuit SET state = 'uploading' WHERE turn = ?1 AND circuit = ?2",
            params![t.id, c.id],
        )?;
        let max_size = c.head_size + cfg.limits.upload_slack_bytes;
        Ok(Upload::New(UploadTicket {
            participant: pid,
            turn: t.id,
            deadline_upload: t.deadlines.upload,
            max_size,
            circuit: c,
        }))
    }

    /// Settles a refused upload: records the attempt; failures that count (`invalid`,
    /// `timeout`) use up the retry budget, after which the circuit leaves the turn.
    pub fn upload_failed(
        &mut self,
        t: &UploadTicket,
        outcome: &str,
        reason: &str,
        now: i64,
        cfg: &Config,
    ) -> Result<(), Refusal> {
        let secret = self.secret.clone();
        let tx = self.tx()?;
        record_attempt(&tx, t.participant, Some(t.circuit.id), Some(t.turn), outcome, reason, now)?;
        let next = if failures(&tx, t.participant, t.circuit.id)? > cfg.retries { "failed" } else { "pending" };
        tx.execute(
            "UPDATE turn_circuit SET state = ?3 WHERE turn = ?1 AND circuit = ?2 AND state = 'uploading'",
            params![t.turn, t.circuit.id, next],
        )?;
        settle_turn(&tx, t.turn, now, cfg, None)?;
        advance_in(&tx, &secret, now, cfg)?;
        tx.commit()?;
        Ok(())
    }

    /// Records an accepted, verified contribution whose file is already in place: the head
    /// advances by compare-and-swap in the same transaction. `Err` (stale parent) leaves every
    /// head as it was; the caller then removes the file and calls `upload_failed`.
    pub fn accept(&mut self, t: &UploadTicket, a: &Accepted, now: i64, cfg: &Config) -> Result<Receipt, Refusal> {
        let secret = self.secret.clone();
        let tx = self.tx()?;
        let n = tx.execute(
            "UPDATE circuit SET head_hash = ?1, head_file = ?2, head_size = ?3, head_index = head_index + 1 \
             WHERE id = ?4 AND head_hash = ?5",
            params![a.file_hash, a.file, a.size as i64, t.circuit.id, t.circuit.head_hash],
        )?;
        if n != 1 {
            // The caller settles the circuit with `upload_failed`, as for any refusal.
            return Err(Refusal::new(
                409,
                "stale_parent",
                "stale parent: the head moved while the upload was verified",
            ));
        }
        let index = t.circuit.head_index + 1;
        tx.execute(
            "INSERT INTO contribution (circuit, idx, parent_hash, hash, contribution_hash, file, participant, turn, accepted_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                t.circuit.id,
                index as i64,
                t.circuit.head_hash,
                a.file_hash,
                a.contribution_hash,
                a.file,
                t.participant,
                t.turn,
                now
            ],
        )?;
        record_attempt(&tx, t.participant, Some(t.circuit.id), Some(t.turn), "accepted", "verified step", now)?;
        tx.execute(
            "UPDATE turn_circuit SET state = 'accepted' WHERE turn = ?1 AND circuit = ?2",
            params![t.turn, t.circuit.id],
        )?;
        settle_turn(&tx, t.turn, now, cfg, None)?;
        advance_in(&tx, &secret, now, cfg)?;
        tx.commit()?;
        Ok(Receipt {
            circuit: t.circuit.name.clone(),
            index,
            contribution_hash: a.contribution_hash.clone(),
            file_hash: a.file_hash.clone(),
            parent_hash: t.circuit.head_hash.clone(),
            participant: t.participant,
        })
    }

    /// `POST /v1/retry`: back into the queue for the circuits that failed or timed out, while
    /// the retry budget allows.
    pub fn retry(&mut self, token: &str, now: i64, cfg: &Config) -> Result<JoinResponse, Refusal> {
        let secret = self.secret.clone();
        // The queue moves in its own transaction, so a refusal below cannot undo it.
        self.advance(now, cfg)?;
        let tx = self.tx()?;
        Self::refuse_if_finalized(&tx)?;
        let (id, _, state) = participant_by_token(&tx, token)?;
        if state == "waiting" || state == "active" {
            // Already back in the queue (a repeated retry whose answer was lost).
            let position = position_of(&tx, id)?.unwrap_or(0);
            return Ok(JoinResponse { participant: id, token: String::new(), position });
        }
        if state != "expired" && state != "exhausted" {
            return Err(Refusal::new(409, "nothing_to_retry", format!("nothing to retry: the participant is {state}")));
        }
        if needed_circuits(&tx, id, cfg.retries)?.is_empty() {
            let reason = format!("retry budget exhausted: {} retr(y/ies) per circuit allowed", cfg.retries);
            record_attempt(&tx, id, None, None, "refused", &reason, now)?;
            tx.execute("UPDATE participant SET state = 'exhausted' WHERE id = ?1", [id])?;
            tx.commit()?;
            return Err(Refusal::new(403, "retry_budget_exhausted", reason));
        }
        tx.execute(
            "UPDATE participant SET state = 'waiting', last_seen = ?2, \
             queue_pos = (SELECT COALESCE(MAX(queue_pos), 0) + 1 FROM participant) WHERE id = ?1",
            params![id, now],
        )?;
        advance_in(&tx, &secret, now, cfg)?;
        let position = position_of(&tx, id)?.unwrap_or(0);
        tx.commit()?;
        Ok(JoinResponse { participant: id, token: String::new(), position })
    }

    /// `GET /v1/receipts`: the participant's accepted contributions.
    pub fn receipts(&mut self, token: &str) -> Result<Vec<Receipt>, Refusal> {
        let tx = self.tx()?;
        let (id, _, _) = participant_by_token(&tx, token)?;
        let mut st = tx.prepare(
            "SELECT c.name, k.idx, k.contribution_hash, k.hash, k.parent_hash FROM contribution k \
             JOIN circuit c ON c.id = k.circuit WHERE k.participant = ?1 ORDER BY c.id",
        )?;
        let rows = st.query_map([id], |r| {
            Ok(Receipt {
                circuit: r.get(0)?,
                index: r.get::<_, i64>(1)? as u64,
                contribution_hash: r.get(2)?,
                file_hash: r.get(3)?,
                parent_hash: r.get(4)?,
                participant: id,
            })
        })?;
        let v = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        tx.commit()?;
        Ok(v)
    }

    /// Every circuit.
    pub fn circuits(&mut self) -> Result<Vec<CircuitRow>, Refusal> {
        let mut st = self.conn.prepare(&format!("SELECT {CIRCUIT_COLS} FROM circuit ORDER BY id"))?;
        let rows = st.query_map([], circuit_from)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A circuit's accepted chain, oldest first: (file, contribution hash).
    pub fn chain(&mut self, circuit: i64) -> Result<Vec<(String, String)>, Refusal> {
        let mut st =
            self.conn.prepare("SELECT file, contribution_hash FROM contribution WHERE circuit = ?1 ORDER BY idx")?;
        let rows = st.query_map([circuit], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Marks the ceremony finalized (no more joins or uploads); refused while a turn is active.
    pub fn finalize(&mut self) -> Result<(), Refusal> {
        let tx = self.tx()?;
        if active_turn(&tx)?.is_some() {
            return Err(Refusal::new(409, "turn_active", "a turn is in progress; finalize when it has ended"));
        }
        tx.execute("UPDATE meta SET value = '1' WHERE key = 'finalized'", [])?;
        tx.execute("UPDATE participant SET state = 'closed' WHERE state = 'waiting'", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Everything the status page shows, as JSON.
    pub fn status(&mut self, now: i64, cfg: &Config) -> Result<Value, Refusal> {
        // The queue moves in its own transaction, so a refusal below cannot undo it.
        self.advance(now, cfg)?;
        let tx = self.tx()?;
        let q = |sql: &str, f: &dyn Fn(&rusqlite::Row) -> rusqlite::Result<Value>| -> Result<Vec<Value>, Refusal> {
            let mut st = tx.prepare(sql)?;
            let rows = st.query_map([], |r| f(r))?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        };
        let circuits = q("SELECT name, head_index, head_hash FROM circuit ORDER BY id", &|r| {
            Ok(
                json!({"name": r.get::<_, String>(0)?, "contributions": r.get::<_, i64>(1)?, "head_hash": r.get::<_, String>(2)?}),
            )
        })?;
        let queue = q(
            "SELECT p.id, p.name, p.state FROM participant p WHERE p.state IN ('active', 'waiting') \
             ORDER BY CASE p.state WHEN 'active' THEN 0 ELSE 1 END, p.queue_pos LIMIT 50",
            &|r| {
                Ok(
                    json!({"participant": r.get::<_, i64>(0)?, "name": r.get::<_, String>(1)?, "state": r.get::<_, String>(2)?}),
                )
            },
        )?;
        let recent = q(
            "SELECT c.name, k.idx, p.name, k.contribution_hash, k.accepted_at FROM contribution k \
             JOIN circuit c ON c.id = k.circuit JOIN participant p ON p.id = k.participant \
             ORDER BY k.accepted_at DESC, c.id LIMIT 30",
            &|r| {
                Ok(
                    json!({"circuit": r.get::<_, String>(0)?, "index": r.get::<_, i64>(1)?, "participant": r.get::<_, String>(2)?,
                          "contribution_hash": r.get::<_, String>(3)?, "at": r.get::<_, i64>(4)?}),
                )
            },
        )?;
        let refused = q(
            "SELECT p.name, c.name, a.outcome, a.reason, a.at FROM attempt a JOIN participant p ON p.id = a.participant \
             LEFT JOIN circuit c ON c.id = a.circuit WHERE a.outcome <> 'accepted' ORDER BY a.id DESC LIMIT 30",
            &|r| {
                Ok(json!({"participant": r.get::<_, String>(0)?, "circuit": r.get::<_, Option<String>>(1)?,
                          "outcome": r.get::<_, String>(2)?, "reason": r.get::<_, String>(3)?, "at": r.get::<_, i64>(4)?}))
            },
        )?;
        let count = |sql: &str| -> Result<i64, Refusal> { Ok(tx.query_row(sql, [], |r| r.get(0))?) };
        let waiting = count("SELECT COUNT(*) FROM participant WHERE state = 'waiting'")?;
        let participants = count("SELECT COUNT(*) FROM participant")?;
        let finalized = count("SELECT COUNT(*) FROM meta WHERE key = 'finalized' AND value <> '0'")? > 0;
        let commitment: String =
            tx.query_row("SELECT value FROM meta WHERE key = 'beacon_commitment'", [], |r| r.get(0))?;
        let eta = eta_seconds(&tx, (waiting as u64).max(1), now, cfg)?;
        tx.commit()?;
        Ok(json!({
            "ceremony": cfg.name,
            "finalized": finalized,
            "beacon": {"source": cfg.beacon.source, "iterations_exp": cfg.beacon.iterations_exp, "commitment": commitment},
            "participants": participants,
            "waiting": waiting,
            "queue_eta_s": eta,
            "circuits": circuits,
            "queue": queue,
            "recent": recent,
            "refused": refused,
        }))
    }
}

fn position_of(tx: &Transaction, id: i64) -> rusqlite::Result<Option<u64>> {
    tx.query_row(
        "SELECT (SELECT COUNT(*) FROM participant q WHERE q.state = 'waiting' AND q.queue_pos <= p.queue_pos) \
         FROM participant p WHERE p.id = ?1 AND p.state = 'waiting'",
        [id],
        |r| r.get::<_, i64>(0).map(|n| n as u64),
    )
    .optional()
}

/// Seconds until position `pos` starts: the mean of the last ten turns per turn ahead, less
/// what the active turn has already used.
fn eta_seconds(tx: &Transaction, pos: u64, now: i64, cfg: &Config) -> rusqlite::Result<f64> {
    let mean: Option<f64> = tx.query_row(
        "SELECT AVG(ended_at - started_at) FROM (SELECT ended_at, started_at FROM turn \
         WHERE state IN ('done', 'expired') AND ended_at IS NOT NULL ORDER BY id DESC LIMIT 10)",
        [],
        |r| r.get(0),
    )?;
    let mean_s = mean.map(|m| m / 1000.0).unwrap_or((cfg.deadlines.download_s + cfg.deadlines.compute_s) / 2.0);
    let active_left = match active_turn(tx)? {
        Some(t) => (mean_s - (now - t.deadlines.start) as f64 / 1000.0).max(0.0),
        None => 0.0,
    };
    Ok(active_left + mean_s * pos.saturating_sub(1) as f64)
}

/// Ends `turn` when none of its circuits is pending or uploading any more (or, with `expired`,
/// ends it now with that reason, timing out its pending circuits).
fn settle_turn(tx: &Transaction, turn: i64, now: i64, cfg: &Config, expired: Option<&str>) -> rusqlite::Result<()> {
    let (participant, state): (i64, String) =
        tx.query_row("SELECT participant, state FROM turn WHERE id = ?1", [turn], |r| Ok((r.get(0)?, r.get(1)?)))?;
    if state != "active" {
        return Ok(());
    }
    if let Some(reason) = expired {
        let pending: Vec<i64> = {
            let mut st = tx.prepare("SELECT circuit FROM turn_circuit WHERE turn = ?1 AND state = 'pending'")?;
            let rows = st.query_map([turn], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for c in pending {
            record_attempt(tx, participant, Some(c), Some(turn), "timeout", reason, now)?;
        }
        tx.execute("UPDATE turn_circuit SET state = 'timeout' WHERE turn = ?1 AND state = 'pending'", [turn])?;
    }
    let open: i64 = tx.query_row(
        "SELECT COUNT(*) FROM turn_circuit WHERE turn = ?1 AND state IN ('pending', 'uploading')",
        [turn],
        |r| r.get(0),
    )?;
    if open > 0 {
        return Ok(());
    }
    let all_ok: bool =
        tx.query_row("SELECT COUNT(*) FROM turn_circuit WHERE turn = ?1 AND state <> 'accepted'", [turn], |r| {
            r.get::<_, i64>(0).map(|n| n == 0)
        })?;
    let reason = expired.map(str::to_string).or_else(|| (!all_ok).then(|| "an upload failed verification".to_string()));
    tx.execute(
        "UPDATE turn SET state = ?2, ended_at = ?3, reason = ?4 WHERE id = ?1",
        params![turn, if all_ok { "done" } else { "expired" }, now, reason],
    )?;
    let next = if all_accepted(tx, participant)? {
        "done"
    } else if needed_circuits(tx, participant, cfg.retries)?.is_empty() {
        "exhausted"
    } else {
        "expired"
    };
    tx.execute("UPDATE participant SET state = ?2, queue_pos = NULL WHERE id = ?1", params![participant, next])?;
    Ok(())
}

fn advance_in(tx: &Transaction, secret: &[u8], now: i64, cfg: &Config) -> Result<(), Refusal> {
    if let Some(t) = active_turn(tx)? {
        let mut st = tx.prepare("SELECT state, downloaded_at FROM turn_circuit WHERE turn = ?1")?;
        let rows: Vec<(String, Option<i64>)> =
            st.query_map([t.id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
        drop(st);
        if let Some(reason) = queue::expiry(&t.deadlines, &rows, now) {
            settle_turn(tx, t.id, now, cfg, Some(&reason))?;
        } else {
            settle_turn(tx, t.id, now, cfg, None)?;
        }
    }
    while active_turn(tx)?.is_none() {
        let next: Option<(i64, i64)> = tx
            .query_row(
                "SELECT id, last_seen FROM participant WHERE state = 'waiting' ORDER BY queue_pos LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((p, last_seen)) = next else { break };
        let idle_ms = (cfg.deadlines.idle_s * 1000.0) as i64;
        if now - last_seen > idle_ms {
            // Gone quiet while waiting: it loses its place (it may retry) instead of the slot
            // waiting a whole download deadline for it.
            let reason = format!("left the queue: not heard from for {} s while waiting", (now - last_seen) / 1000);
            record_attempt(tx, p, None, None, "refused", &reason, now)?;
            tx.execute("UPDATE participant SET state = 'expired', queue_pos = NULL WHERE id = ?1", [p])?;
            continue;
        }
        let needed = needed_circuits(tx, p, cfg.retries)?;
        if needed.is_empty() {
            let s = if all_accepted(tx, p)? { "done" } else { "exhausted" };
            tx.execute("UPDATE participant SET state = ?2, queue_pos = NULL WHERE id = ?1", params![p, s])?;
            continue;
        }
        let nonce = random_token()?;
        let lease = Store::lease_for(secret, &nonce);
        let d = Deadlines::starting(now, &cfg.deadlines);
        tx.execute(
            "INSERT INTO turn (participant, lease_nonce, lease_hash, state, started_at, deadline_download, deadline_compute, deadline_upload) \
             VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?7)",
            params![p, nonce, sha256_hex(lease.as_bytes()), d.start, d.download, d.compute, d.upload],
        )?;
        let turn = tx.last_insert_rowid();
        for (c, _) in needed {
            tx.execute("INSERT INTO turn_circuit (turn, circuit, state) VALUES (?1, ?2, 'pending')", params![turn, c])?;
        }
        tx.execute("UPDATE participant SET state = 'active' WHERE id = ?1", [p])?;
    }
    Ok(())
}

/// The data-folder path of contribution `index` of `circuit`.
pub fn zkey_path(circuit: &str, index: u64) -> PathBuf {
    PathBuf::from("circuits").join(circuit).join(format!("{circuit}_{index:04}.zkey"))
}

/// SHA-256 (hex) of a byte string: how the protocol names files.
pub fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// A data-folder path as the state stores it ('/'-separated).
pub fn rel_string(p: &std::path::Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

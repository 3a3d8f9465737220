//! `tauforge contribute --coordinator URL`: the contributor's side of the protocol — join, wait
//! with the position and ETA, then in one turn download every circuit's head, contribute with
//! the local backend (or an external command such as snarkjs), upload naming the parent, and
//! collect the receipts.
//!
//! Transport failures (the coordinator restarting, a dropped connection), 429 and 5xx answers
//! are retried until `patience` has passed without an answer; an upload whose answer was lost
//! is sent again and answered with the same receipt.

use std::path::Path;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::protocol::{
    ErrorBody, JoinRequest, JoinResponse, Receipt, TurnView, HASH_HEADER, INDEX_HEADER, LEASE_HEADER, PARENT_HEADER,
};
use crate::backend::Backend;
use crate::crypto::entropy::random_rng;
use crate::phase2::contribute::{contribute as zkey_contribute, Source};

/// What went wrong talking to a coordinator.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The coordinator answered with a refusal.
    #[error("coordinator refused ({status} {}): {}", body.error, body.reason)]
    Refused {
        /// HTTP status.
        status: u16,
        /// Its JSON body.
        body: ErrorBody,
    },
    /// No answer within the patience.
    #[error("coordinator unreachable: {0}")]
    Unreachable(String),
    /// A local step failed.
    #[error("{0}")]
    Local(#[from] crate::Error),
}

impl ClientError {
    /// The refusal's kind (`stale_parent`, …), if the coordinator refused.
    pub fn kind(&self) -> Option<&str> {
        match self {
            ClientError::Refused { body, .. } => Some(&body.error),
            _ => None,
        }
    }
    /// The HTTP status, if the coordinator refused.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The result type of the client.
pub type ClientResult<T> = std::result::Result<T, ClientError>;

/// A connection to one coordinator, as one participant once joined.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    /// How long transport failures are retried before giving up.
    pub patience: Duration,
}

fn refused(status: u16, resp: ureq::Response) -> ClientError {
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str::<ErrorBody>(&text)
        .unwrap_or(ErrorBody { error: "http".into(), reason: format!("HTTP {status}: {}", text.trim()) });
    ClientError::Refused { status, body }
}

// ureq 2's own error type is large; its closures return it as it is.
#[allow(clippy::result_large_err)]
impl Client {
    /// A client for the coordinator at `base` (e.g. `http://127.0.0.1:8547`).
    pub fn new(base: &str) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(5))
            .timeout_read(Duration::from_secs(900))
            .timeout_write(Duration::from_secs(900))
            .build();
        Client { agent, base: base.trim_end_matches('/').to_string(), token: None, patience: Duration::from_secs(120) }
    }

    /// The participant token (after [`Client::join`]).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Uses an existing participant token.
    pub fn with_token(mut self, token: &str) -> Client {
        self.token = Some(token.to_string());
        self
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let r = self.agent.request(method, &self.url(path));
        match &self.token {
            Some(t) => r.set("Authorization", &format!("Bearer {t}")),
            None => r,
        }
    }

    /// Sends until an answer comes that is not a transport failure, 429 or 5xx (or patience runs out).
    fn send(&self, go: impl Fn() -> Result<ureq::Response, ureq::Error>) -> ClientResult<ureq::Response> {
        let start = Instant::now();
        let mut wait = Duration::from_millis(100);
        loop {
            let why = match go() {
                Ok(r) => return Ok(r),
                // Busy or restarting: worth asking again.
                Err(ureq::Error::Status(code, resp)) if matches!(code, 429 | 502 | 503 | 504) => {
                    refused(code, resp).to_string()
                }
                Err(ureq::Error::Status(code, resp)) => return Err(refused(code, resp)),
                Err(ureq::Error::Transport(t)) => t.to_string(),
            };
            if start.elapsed() > self.patience {
                return Err(ClientError::Unreachable(why));
            }
            std::thread::sleep(wait);
            wait = (wait * 2).min(Duration::from_secs(2));
        }
    }

    fn json<T: DeserializeOwned>(resp: ureq::Response) -> ClientResult<T> {
        resp.into_json().map_err(|e| ClientError::Unreachable(format!("bad answer: {e}")))
    }

    /// `POST /v1/join`; keeps the token.
    pub fn join(&mut self, name: &str) -> ClientResult<JoinResponse> {
        // A token drawn here makes the join safe to repeat when its answer is lost.
        let token = super::store::random_token().map_err(|r| ClientError::Unreachable(r.reason))?;
        let body = JoinRequest { name: name.to_string(), token: Some(token) };
        let r: JoinResponse = Self::json(self.send(|| self.request("POST", "/v1/join").send_json(&body))?)?;
        self.token = Some(r.token.clone());
        Ok(r)
    }

    /// `GET /v1/turn`.
    pub fn turn(&self) -> ClientResult<TurnView> {
        Self::json(self.send(|| self.request("GET", "/v1/turn").call())?)
    }

    /// `POST /v1/retry`.
    pub fn retry(&self) -> ClientResult<JoinResponse> {
        Self::json(self.send(|| self.request("POST", "/v1/retry").call())?)
    }

    /// `GET /v1/receipts`.
    pub fn receipts(&self) -> ClientResult<Vec<Receipt>> {
        Self::json(self.send(|| self.request("GET", "/v1/receipts").call())?)
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> ClientResult<serde_json::Value> {
        Self::json(self.send(|| self.request("GET", "/v1/status").call())?)
    }

    /// Downloads `circuit`'s head into `to` (streamed, hashed on the way); checks it against
    /// the hash the coordinator names. Returns (hash, chain index).
    pub fn download(&self, circuit: &str, lease: &str, to: &Path) -> ClientResult<(String, u64)> {
        let path = format!("/v1/circuits/{circuit}/head");
        let resp = self.send(|| self.request("GET", &path).set(LEASE_HEADER, lease).call())?;
        let hash = resp.header(HASH_HEADER).unwrap_or("").to_string();
        let index = resp.header(INDEX_HEADER).and_then(|v| v.parse().ok()).unwrap_or(0);
        let mut reader = resp.into_reader();
        let mut out = crate::format::atomic::AtomicFile::create(to)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = std::io::Read::read(&mut reader, &mut buf)
                .map_err(|e| ClientError::Unreachable(format!("downloading {circuit}: {e}")))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n])?;
        }
        if hex::encode(hasher.finalize()) != hash {
            return Err(ClientError::Unreachable(format!("downloaded head of {circuit} does not match its hash")));
        }
        out.commit()?;
        Ok((hash, index))
    }

    /// Uploads a contribution to `circuit` built on `parent` (its SHA-256, hex).
    pub fn upload(&self, circuit: &str, lease: &str, parent: &str, zkey: &[u8]) -> ClientResult<Receipt> {
        let path = format!("/v1/circuits/{circuit}/contribution");
        Self::json(self.send(|| self.upload_request(&path, lease, parent).send_bytes(zkey))?)
    }

    /// Uploads the zkey at `file` (streamed from disk).
    pub fn upload_file(&self, circuit: &str, lease: &str, parent: &str, file: &Path) -> ClientResult<Receipt> {
        let path = format!("/v1/circuits/{circuit}/contribution");
        let len = std::fs::metadata(file).map_err(|e| crate::Error::io(file, e))?.len();
        Self::json(self.send(|| {
            let f = std::fs::File::open(file).map_err(ureq::Error::from)?;
            self.upload_request(&path, lease, parent).set("Content-Length", &len.to_string()).send(f)
        })?)
    }

    fn upload_request(&self, path: &str, lease: &str, parent: &str) -> ureq::Request {
        self.request("POST", path)
            .set(LEASE_HEADER, lease)
            .set(PARENT_HEADER, parent)
            .set("Content-Type", "application/octet-stream")
    }
}

/// What the contributor sees while the command runs.
#[derive(Debug, Clone)]
pub enum Event {
    /// Joined the queue.
    Joined {
        /// Participant id.
        participant: i64,
        /// Position.
        position: u64,
    },
    /// Still waiting.
    Waiting {
        /// Position (1 = next).
        position: u64,
        /// Estimated seconds to the turn.
        eta_s: f64,
    },
    /// The turn has started.
    TurnStarted {
        /// Circuits to contribute to.
        circuits: Vec<String>,
    },
    /// One circuit accepted.
    Accepted(Receipt),
    /// One circuit refused (it may be retried).
    Refused {
        /// The circuit.
        circuit: String,
        /// Why.
        reason: String,
    },
    /// Back in the queue for the circuits that failed.
    Retrying(Vec<String>),
}

/// Options of `tauforge contribute --coordinator`.
pub struct ContributeOptions {
    /// The coordinator's URL.
    pub url: String,
    /// The name recorded in every zkey.
    pub name: String,
    /// Entropy text mixed with the OS random generator.
    pub entropy: Zeroizing<String>,
    /// How long transport failures are retried.
    pub patience: Duration,
    /// A shell command that computes each contribution instead of the backend (e.g. snarkjs).
    pub external: Option<String>,
}

/// Runs a whole participation: join, wait, one turn over every circuit (retried while the
/// coordinator allows), and returns the receipts.
pub fn contribute(
    opts: &ContributeOptions,
    backend: &dyn Backend,
    mut on: impl FnMut(Event),
) -> ClientResult<Vec<Receipt>> {
    let tmp = tempfile::tempdir().map_err(|e| crate::Error::io(std::env::temp_dir(), e))?;
    let work = tmp.path();
    let mut client = Client::new(&opts.url);
    client.patience = opts.patience;
    let j = client.join(&opts.name)?;
    on(Event::Joined { participant: j.participant, position: j.position });
    let mut last_turn_circuits: Vec<String> = Vec::new();
    loop {
        let v = client.turn()?;
        match v.state.as_str() {
            "waiting" => {
                on(Event::Waiting { position: v.position.unwrap_or(0), eta_s: v.eta_s.unwrap_or(0.0) });
                std::thread::sleep(Duration::from_millis(v.poll_ms.clamp(50, 5000)));
            }
            "active" => {
                let lease = v.lease.clone().unwrap_or_default();
                let pending: Vec<_> = v.circuits.iter().filter(|c| c.state == "pending").collect();
                let names: Vec<String> = pending.iter().map(|c| c.name.clone()).collect();
                if names != last_turn_circuits {
                    on(Event::TurnStarted { circuits: names.clone() });
                    last_turn_circuits = names;
                }
                if pending.is_empty() {
                    std::thread::sleep(Duration::from_millis(v.poll_ms.clamp(50, 1000)));
                    continue;
                }
                for c in pending {
                    match contribute_one(&client, &lease, &c.name, work, opts, backend) {
                        Ok(r) => on(Event::Accepted(r)),
                        Err(ClientError::Refused { body, .. }) => {
                            on(Event::Refused { circuit: c.name.clone(), reason: body.reason });
                            if body.error == "lease_expired" || body.error == "bad_lease" {
                                break;
                            }
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            "expired" => {
                on(Event::Retrying(v.retryable.clone()));
                client.retry()?;
            }
            "done" => break,
            "exhausted" => {
                return Err(ClientError::Refused {
                    status: 403,
                    body: ErrorBody {
                        error: "retry_budget_exhausted".into(),
                        reason: v.reason.unwrap_or_else(|| "the retry budget is used up".into()),
                    },
                })
            }
            other => {
                return Err(ClientError::Refused {
                    status: 409,
                    body: ErrorBody { error: other.into(), reason: format!("the participant is {other}") },
                })
            }
        }
    }
    client.receipts()
}

fn contribute_one(
    client: &Client,
    lease: &str,
    circuit: &str,
    work: &Path,
    opts: &ContributeOptions,
    backend: &dyn Backend,
) -> ClientResult<Receipt> {
    let head = work.join(format!("{circuit}_head.zkey"));
    let next = work.join(format!("{circuit}_next.zkey"));
    let (parent, _) = client.download(circuit, lease, &head)?;
    match &opts.external {
        Some(cmd) => run_external(cmd, circuit, &opts.name, &head, &next)?,
        None => {
            let mut rng = random_rng(opts.entropy.as_bytes())?;
            zkey_contribute(&head, &next, Source::Random(&mut rng), Some(&opts.name), backend)?;
        }
    }
    let r = client.upload_file(circuit, lease, &parent, &next);
    let _ = std::fs::remove_file(&head);
    let _ = std::fs::remove_file(&next);
    r
}

/// Runs `sh -c cmd` to turn `head` into `next` (paths in `$TAUFORGE_INPUT`, `$TAUFORGE_OUTPUT`;
/// `$TAUFORGE_CIRCUIT`, `$TAUFORGE_NAME` set too), its output on stderr so that `--json` stays
/// one summary; then checks that it wrote a zkey, so that a broken command costs no upload.
fn run_external(cmd: &str, circuit: &str, name: &str, head: &Path, next: &Path) -> crate::Result<()> {
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .env("TAUFORGE_INPUT", head)
        .env("TAUFORGE_OUTPUT", next)
        .env("TAUFORGE_CIRCUIT", circuit)
        .env("TAUFORGE_NAME", name)
        .stdout(std::io::stderr())
        .status()
        .map_err(|e| crate::Error::io("sh", e))?;
    if !status.success() {
        return Err(crate::Error::Usage(format!(
            "circuit {circuit}: the external command failed ({status}); nothing was uploaded"
        )));
    }
    crate::format::zkey::Zkey::open(next).map_err(|e| {
        crate::Error::Usage(format!(
            "circuit {circuit}: the external command wrote no valid zkey: {e}; nothing was uploaded"
        ))
    })?;
    Ok(())
}

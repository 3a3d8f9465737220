//! `coordinator serve`: the HTTP service (axum on tokio). Handlers check the cheap things first
//! (token, lease, deadlines, the parent named by an upload) in the store, then receive, verify
//! and commit; the store runs on blocking threads behind one lock.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use http_body_util::BodyExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::ceremony::{recover, INCOMING};
use super::config::{valid_name, Config};
use super::protocol::{JoinRequest, Receipt, HASH_HEADER, INDEX_HEADER, LEASE_HEADER, PARENT_HEADER};
use super::queue::now_ms;
use super::refusal::Refusal;
use super::store::{rel_string, zkey_path, Accepted, Store, Upload, UploadTicket, DB_FILE};
use crate::backend::Backend;
use crate::error::{Error, Result};

/// Bytes past the limit that are read (and dropped) so an oversized upload still gets its 413.
const DRAIN_LIMIT: u64 = 16 << 20;

/// Per-client token buckets.
struct Limiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<(IpAddr, String), (f64, Instant)>>,
}

impl Limiter {
    fn allow(&self, key: (IpAddr, String)) -> bool {
        let now = Instant::now();
        let mut b = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if b.len() > 100_000 {
            b.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(60));
        }
        let (tokens, at) = b.entry(key).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Everything a handler needs.
pub struct App {
    store: Mutex<Store>,
    cfg: Config,
    backend: Box<dyn Backend>,
    limiter: Limiter,
}

type Shared = Arc<App>;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.body())).into_response()
    }
}

fn reply<T: Serialize>(r: std::result::Result<T, Refusal>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Runs `f` on the store on a blocking thread.
async fn with_store<T, F>(app: &Shared, f: F) -> std::result::Result<T, Refusal>
where
    T: Send + 'static,
    F: FnOnce(&mut Store, &Config) -> std::result::Result<T, Refusal> + Send + 'static,
{
    let app = app.clone();
    tokio::task::spawn_blocking(move || {
        let mut s = app.store.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s, &app.cfg)
    })
    .await
    .map_err(|e| Refusal::internal(format!("store task failed: {e}")))?
}

fn bearer(h: &HeaderMap) -> std::result::Result<String, Refusal> {
    h.get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(|| Refusal::unauthorized("missing `Authorization: Bearer <participant token>`"))
}

fn header_str(h: &HeaderMap, name: &str) -> std::result::Result<String, Refusal> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .ok_or_else(|| Refusal::bad_request(format!("missing header {name}")))
}

fn check_circuit_name(name: &str) -> std::result::Result<(), Refusal> {
    if valid_name(name) {
        Ok(())
    } else {
        Err(Refusal::new(404, "unknown_circuit", "not a circuit name"))
    }
}

async fn rate_limit(
    State(app): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    let token = bearer(req.headers()).map(|t| t.chars().take(16).collect()).unwrap_or_default();
    if !app.limiter.allow((addr.ip(), token)) {
        let mut r = Refusal::new(429, "rate_limited", "too many requests; slow down").into_response();
        r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    }
    next.run(req).await
}

async fn join(
    State(app): State<Shared>,
    body: std::result::Result<Json<JoinRequest>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return Refusal::new(e.status().as_u16(), "bad_request", format!("join body: {e}")).into_response(),
    };
    reply(with_store(&app, move |s, cfg| s.join(&req.name, req.token.as_deref(), now_ms(), cfg)).await)
}

/// Runs `f` on the store for the participant named by the request's bearer token.
async fn as_participant<T, F>(app: &Shared, h: &HeaderMap, f: F) -> Response
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut Store, &Config, &str) -> std::result::Result<T, Refusal> + Send + 'static,
{
    match bearer(h) {
        Ok(token) => reply(with_store(app, move |s, cfg| f(s, cfg, &token)).await),
        Err(e) => e.into_response(),
    }
}

async fn turn(State(app): State<Shared>, h: HeaderMap) -> Response {
    as_participant(&app, &h, |s, cfg, token| s.turn_view(token, now_ms(), cfg)).await
}

async fn retry(State(app): State<Shared>, h: HeaderMap) -> Response {
    as_participant(&app, &h, |s, cfg, token| s.retry(token, now_ms(), cfg)).await
}

async fn receipts(State(app): State<Shared>, h: HeaderMap) -> Response {
    as_participant(&app, &h, |s, _, token| s.receipts(token)).await
}

async fn status_json(State(app): State<Shared>) -> Response {
    reply(with_store(&app, |s, cfg| s.status(now_ms(), cfg)).await)
}

async fn status_page(State(app): State<Shared>) -> Response {
    match with_store(&app, |s, cfg| s.status(now_ms(), cfg)).await {
        Ok(v) => Html(super::status::render(&v)).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn download(State(app): State<Shared>, UrlPath(name): UrlPath<String>, h: HeaderMap) -> Response {
    let run = async {
        check_circuit_name(&name)?;
        let token = bearer(&h)?;
        let lease = header_str(&h, LEASE_HEADER)?;
        let d = with_store(&app, move |s, cfg| s.download(&token, &lease, &name, now_ms(), cfg)).await?;
        let path = app.cfg.data_dir.join(&d.file);
        let read_err = |e: std::io::Error| Refusal::internal(format!("reading the head {}: {e}", d.file));
        let file = tokio::fs::File::open(&path).await.map_err(read_err)?;
        let len = file.metadata().await.map_err(read_err)?.len();
        // Streamed: a large circuit's zkey never sits whole in memory.
        let mut r = Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 1 << 20)).into_response();
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        let hd = r.headers_mut();
        hd.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
        hd.insert(HASH_HEADER, HeaderValue::from_str(&d.hash).map_err(|e| Refusal::internal(e.to_string()))?);
        hd.insert(INDEX_HEADER, HeaderValue::from(d.index));
        Ok::<_, Refusal>(r)
    };
    run.await.unwrap_or_else(IntoResponse::into_response)
}

/// Streams the body into `path`, at most `max` bytes, before `deadline`; returns its SHA-256
/// and size.
async fn receive(
    mut body: Body,
    path: &std::path::Path,
    max: u64,
    deadline: tokio::time::Instant,
) -> std::result::Result<(String, u64), (Refusal, bool)> {
    let io = |e: std::io::Error| (Refusal::internal(format!("writing the upload: {e}")), false);
    let mut f = tokio::fs::File::create(path).await.map_err(io)?;
    let mut hasher = Sha256::new();
    let mut n = 0u64;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                return Err((
                    Refusal::new(
                        408,
                        "upload_deadline",
                        "the lease has expired: the upload deadline passed before the upload was received",
                    ),
                    true,
                ))
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => return Err((Refusal::bad_request(format!("the upload was interrupted: {e}")), false)),
            Ok(Some(Ok(frame))) => frame,
        };
        let Ok(data) = frame.into_data() else { continue };
        n += data.len() as u64;
        if n > max {
            if n > max + DRAIN_LIMIT {
                break;
            }
            continue;
        }
        hasher.update(&data);
        f.write_all(&data).await.map_err(io)?;
    }
    if n > max {
        return Err((
            Refusal::new(
                413,
                "too_large",
                format!("the upload is larger than {max} bytes (the parent zkey plus the allowed slack)"),
            ),
            true,
        ));
    }
    f.sync_all().await.map_err(io)?;
    Ok((hex::encode(hasher.finalize()), n))
}

/// Classifies a failed `verify-step` of an upload: (refusal, counts against the retry budget).
fn verify_refusal(e: Error, tmp: &std::path::Path) -> (Refusal, bool) {
    let msg = e.to_string().replace(&tmp.display().to_string(), "the uploaded zkey");
    match e {
        Error::Invalid(_) if msg.contains("chained from the initial") => {
            (Refusal::new(409, "chained_from_0", format!("chained from 0: {msg}")), true)
        }
        Error::Invalid(_) if msg.contains("stale parent") || msg.contains("older than") => {
            (Refusal::new(409, "stale_parent", msg), true)
        }
        Error::Invalid(_) => (Refusal::new(422, "invalid_contribution", format!("invalid contribution: {msg}")), true),
        Error::Malformed { .. } | Error::BadPoint { .. } | Error::Usage(_) => {
            (Refusal::bad_request(format!("malformed upload: {msg}")), true)
        }
        Error::Io { .. } | Error::Backend { .. } => (Refusal::internal(msg), false),
    }
}

async fn upload(State(app): State<Shared>, UrlPath(name): UrlPath<String>, h: HeaderMap, body: Body) -> Response {
    let begin = async {
        check_circuit_name(&name)?;
        let token = bearer(&h)?;
        let lease = header_str(&h, LEASE_HEADER)?;
        let parent = header_str(&h, PARENT_HEADER)?;
        let n = name.clone();
        with_store(&app, move |s, cfg| s.begin_upload(&token, &lease, &n, &parent, now_ms(), cfg)).await
    };
    let ticket = match begin.await {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let declared = h.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    // The rest runs in its own task: a client that disconnects must not leave the circuit
    // marked as uploading (axum drops the handler's future when the connection goes).
    let task = tokio::spawn(async move {
        match ticket {
            Upload::Replay(receipt, max) => replay(&app, receipt, max, body).await,
            Upload::New(t) => {
                let r = accept_upload(&app, &t, body, declared).await;
                match r {
                    Ok(receipt) => Ok(receipt),
                    Err((refusal, counts)) => {
                        let outcome = if refusal.kind == "upload_deadline" {
                            "timeout"
                        } else if counts {
                            "invalid"
                        } else {
                            "refused"
                        };
                        let reason = refusal.reason.clone();
                        with_store(&app, move |s, cfg| s.upload_failed(&t, outcome, &reason, now_ms(), cfg)).await?;
                        Err(refusal)
                    }
                }
            }
        }
    });
    match task.await {
        Ok(r) => reply(r),
        Err(e) => Refusal::internal(format!("upload task failed: {e}")).into_response(),
    }
}

async fn replay(app: &Shared, receipt: Receipt, max: u64, body: Body) -> std::result::Result<Receipt, Refusal> {
    let tmp = app.cfg.data_dir.join(INCOMING).join(format!("replay-{}.part", super::store::random_token()?));
    let far = tokio::time::Instant::now() + Duration::from_secs(600);
    let r = receive(body, &tmp, max, far).await;
    let _ = tokio::fs::remove_file(&tmp).await;
    match r {
        Ok((hash, _)) if hash == receipt.file_hash => Ok(receipt),
        Ok(_) => Err(Refusal::new(
            409,
            "stale_parent",
            "stale parent: you already contributed on this parent; the head has moved",
        )),
        Err((e, _)) => Err(e),
    }
}

async fn accept_upload(
    app: &Shared,
    t: &UploadTicket,
    body: Body,
    declared: Option<u64>,
) -> std::result::Result<Receipt, (Refusal, bool)> {
    if declared.is_some_and(|n| n > t.max_size + DRAIN_LIMIT) {
        return Err((Refusal::new(413, "too_large", format!("the upload is larger than {} bytes", t.max_size)), true));
    }
    let dir = app.cfg.data_dir.clone();
    let tmp = dir.join(INCOMING).join(format!("{}-turn{}.part", t.circuit.name, t.turn));
    let deadline = deadline_instant(t.deadline_upload);
    let received = receive(body, &tmp, t.max_size, deadline).await;
    let (hash, size) = match received {
        Ok(v) => v,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    let head = dir.join(&t.circuit.head_file);
    let app2 = app.clone();
    let tmp2 = tmp.clone();
    let verified = tokio::task::spawn_blocking(move || {
        crate::phase2::verify_step::verify_step(&head, &tmp2, app2.backend.as_ref())
    })
    .await
    .map_err(|e| (Refusal::internal(format!("verification task failed: {e}")), false))?;
    let report = match verified {
        Ok(r) => r,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(verify_refusal(e, &tmp));
        }
    };
    // In place before the state names it: link (never replace) to its chain name, fsync the folder.
    let index = t.circuit.head_index + 1;
    let rel = zkey_path(&t.circuit.name, index);
    let target = dir.join(&rel);
    let placed = (|| {
        // Only a leftover of a refused upload can lie at a not-yet-accepted index.
        let _ = std::fs::remove_file(&target);
        std::fs::hard_link(&tmp, &target)?;
        std::fs::remove_file(&tmp)?;
        if let Some(p) = target.parent() {
            std::fs::File::open(p)?.sync_all()?;
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = placed {
        let _ = std::fs::remove_file(&tmp);
        return Err((Refusal::internal(format!("placing the accepted zkey: {e}")), false));
    }
    let t2 = t.clone();
    let a = Accepted {
        file: rel_string(&rel),
        file_hash: hash,
        size,
        contribution_hash: hex::encode(report.contribution.hash_bytes),
    };
    let r = with_store(app, move |s, cfg| s.accept(&t2, &a, now_ms(), cfg)).await;
    match r {
        Ok(receipt) => Ok(receipt),
        Err(e) => {
            // A lost compare-and-swap (or a store failure): nothing names the file.
            let _ = std::fs::remove_file(&target);
            Err((e, false))
        }
    }
}

fn deadline_instant(epoch_ms: i64) -> tokio::time::Instant {
    let left = epoch_ms - now_ms();
    tokio::time::Instant::now() + Duration::from_millis(left.max(0) as u64)
}

/// The router of the protocol, the status page and the limits.
fn router(app: Shared) -> Router {
    Router::new()
        .route("/", get(status_page))
        .route("/v1/status", get(status_json))
        .route("/v1/join", post(join))
        .route("/v1/turn", get(turn))
        .route("/v1/retry", post(retry))
        .route("/v1/receipts", get(receipts))
        .route("/v1/circuits/{name}/head", get(download))
        .route("/v1/circuits/{name}/contribution", post(upload))
        .layer(DefaultBodyLimit::max(16 * 1024))
        .layer(middleware::from_fn_with_state(app.clone(), rate_limit))
        .with_state(app)
}

/// Opens the ceremony's store, recovers from any crash, and serves until the process ends.
/// `on_listen` is called with the bound address.
pub fn serve(
    cfg: Config,
    listen: Option<String>,
    backend: Box<dyn Backend>,
    on_listen: impl FnOnce(SocketAddr),
) -> Result<()> {
    let mut store = Store::open(&cfg.data_dir.join(DB_FILE))?;
    let removed = recover(&cfg, &mut store)?;
    for p in removed {
        eprintln!("recovery: removed {} (no committed state names it)", p.display());
    }
    let addr = listen.unwrap_or_else(|| cfg.listen.clone());
    let limiter =
        Limiter { rate: cfg.limits.requests_per_s, burst: cfg.limits.burst, buckets: Mutex::new(HashMap::new()) };
    let app: Shared = Arc::new(App { store: Mutex::new(store), cfg, backend, limiter });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("starting the async runtime: {e}")))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|e| Error::Usage(format!("cannot listen on {addr}: {e}")))?;
        let local = listener.local_addr().map_err(|e| Error::Usage(format!("listening on {addr}: {e}")))?;
        on_listen(local);
        // Deadlines are enforced on every request; the sweep also moves the queue when nobody asks.
        let sweeper = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tick.tick().await;
                let _ = with_store(&sweeper, |s, cfg| s.advance(now_ms(), cfg)).await;
            }
        });
        let svc = router(app).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, svc).await.map_err(|e| Error::Usage(format!("serving on {local}: {e}")))
    })
}

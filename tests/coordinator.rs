//! The coordinator on loopback: many contributors at once, stale and chained-from-0 uploads,
//! stalled turns and the retry budget, malformed uploads and forged leases, rate limits, and
//! SIGKILL at random points.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::coordinator::{check_transcript, contributor, receipts_of, Ceremony, Settings, CIRCUITS};
use tauforge::backend::CpuBackend;
use tauforge::coordinator::client::{Client, ClientError, ContributeOptions};
use tauforge::coordinator::protocol::TurnView;
use tauforge::crypto::entropy::random_rng;
use tauforge::phase2::contribute::{contribute, Source};
use zeroize::Zeroizing;

/// `head` plus one random contribution, written to `out`; returns its bytes.
fn contribute_file(head: &Path, out: &Path) -> Vec<u8> {
    let mut rng = random_rng(b"test").unwrap();
    contribute(head, out, Source::Random(&mut rng), Some("test"), &CpuBackend).unwrap();
    std::fs::read(out).unwrap()
}

fn sha256(b: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(b))
}

/// Polls until the participant's turn is active (or `want` state is reached).
fn wait_for(c: &Client, want: &str, within: Duration) -> TurnView {
    let end = Instant::now() + within;
    loop {
        let v = c.turn().unwrap();
        if v.state == want {
            return v;
        }
        assert!(Instant::now() < end, "participant never became {want}: {v:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn joined(url: &str, name: &str) -> Client {
    let mut c = Client::new(url);
    c.patience = Duration::from_secs(20);
    c.join(name).unwrap();
    c
}

/// (circuit name → (head index, head hash)) from `/v1/status`.
fn heads(c: &Client) -> Vec<(String, u64, String)> {
    let s = c.status().unwrap();
    s["circuits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            (
                x["name"].as_str().unwrap().to_string(),
                x["contributions"].as_u64().unwrap(),
                x["head_hash"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Runs one whole honest turn for `c` (already active) over every pending circuit.
fn honest_turn(c: &Client, v: &TurnView, work: &Path) -> Vec<tauforge::coordinator::protocol::Receipt> {
    let lease = v.lease.as_deref().unwrap();
    let mut out = Vec::new();
    for circ in v.circuits.iter().filter(|x| x.state == "pending") {
        let head = work.join(format!("{}_h.zkey", circ.name));
        let (parent, _) = c.download(&circ.name, lease, &head).unwrap();
        let bytes = contribute_file(&head, &work.join(format!("{}_n.zkey", circ.name)));
        out.push(c.upload(&circ.name, lease, &parent, &bytes).unwrap());
    }
    out
}

fn refusal(r: Result<impl std::fmt::Debug, ClientError>) -> (u16, String, String) {
    match r {
        Err(ClientError::Refused { status, body }) => (status, body.error, body.reason),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn thirty_contributors_at_once_make_three_linear_chains() {
    let c = Ceremony::init(Settings::default());
    let server = c.serve(0);
    let children: Vec<_> = (0..30).map(|i| contributor(&server.url, &format!("p{i:02}"), 120)).collect();
    let receipts: Vec<_> = children.into_iter().flat_map(receipts_of).collect();
    assert_eq!(receipts.len(), 30 * CIRCUITS.len(), "every contributor gets one receipt per circuit");
    // Each circuit's indices are exactly 1..=30: no fork, no gap, no double.
    for name in CIRCUITS {
        let mut idx: Vec<u64> =
            receipts.iter().filter(|r| r["circuit"] == name).map(|r| r["index"].as_u64().unwrap()).collect();
        idx.sort();
        assert_eq!(idx, (1..=30).collect::<Vec<_>>(), "{name}");
    }
    drop(server);
    c.finalize();
    assert_eq!(check_transcript(&c, &receipts), vec![30, 30, 30]);
}

#[test]
fn stale_parent_and_chained_from_0_are_refused_and_change_no_head() {
    let c = Ceremony::init(Settings::default());
    let server = c.serve(0);
    let work = common::tempdir();
    let w = work.path();
    // Two honest turns: every head is at #2. Keep the zkeys after #0 and #1 of `small`.
    let p1 = joined(&server.url, "p1");
    let v1 = wait_for(&p1, "active", Duration::from_secs(10));
    let lease1 = v1.lease.clone().unwrap();
    let h0 = w.join("small_0.zkey");
    p1.download("small", &lease1, &h0).unwrap();
    honest_turn(&p1, &v1, w);
    let p2 = joined(&server.url, "p2");
    let v2 = wait_for(&p2, "active", Duration::from_secs(10));
    let h1 = w.join("small_1.zkey");
    p2.download("small", v2.lease.as_deref().unwrap(), &h1).unwrap();
    honest_turn(&p2, &v2, w);

    let p3 = joined(&server.url, "p3");
    let v3 = wait_for(&p3, "active", Duration::from_secs(10));
    let lease3 = v3.lease.clone().unwrap();
    let before = heads(&p3);
    assert!(before.iter().all(|(_, i, _)| *i == 2), "{before:?}");
    let on0 = contribute_file(&h0, &w.join("on0.zkey"));
    let on1 = contribute_file(&h1, &w.join("on1.zkey"));
    let (hash0, hash1) = (sha256(&std::fs::read(&h0).unwrap()), sha256(&std::fs::read(&h1).unwrap()));

    // Naming its real (old) parent: refused before the body is even looked at.
    let (st, kind, why) = refusal(p3.upload("small", &lease3, &hash1, &on1));
    assert_eq!((st, kind.as_str()), (409, "stale_parent"), "{why}");
    assert!(why.contains("stale parent"), "{why}");
    let (st, kind, why) = refusal(p3.upload("small", &lease3, &hash0, &on0));
    assert_eq!((st, kind.as_str()), (409, "chained_from_0"), "{why}");
    assert!(why.contains("chained from 0"), "{why}");
    // Naming the current head but built on an older zkey: verify-step sees it.
    let head = &before[0].2;
    let (st, kind, why) = refusal(p3.upload("small", &lease3, head, &on1));
    assert_eq!((st, kind.as_str()), (409, "stale_parent"), "{why}");
    let (st, kind, why) = refusal(p3.upload("small", &lease3, head, &on0));
    assert_eq!((st, kind.as_str()), (409, "chained_from_0"), "{why}");
    assert_eq!(heads(&p3), before, "a refused upload moved a head");

    // The same participant then contributes properly on the head.
    let v3 = p3.turn().unwrap();
    let r = honest_turn(&p3, &v3, w);
    assert!(r.iter().all(|r| r.index == 3), "{r:?}");
    let status = p3.status().unwrap();
    let reasons: Vec<&str> =
        status["refused"].as_array().unwrap().iter().map(|a| a["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.contains("stale parent")) && reasons.iter().any(|r| r.contains("chained from 0")));
}

#[test]
fn a_stalled_contributor_loses_the_slot_and_retries_within_its_budget() {
    let c = Ceremony::init(Settings { deadlines: (3.0, 3.0, 5.0), retries: 1, ..Settings::default() });
    let server = c.serve(0);
    let work = common::tempdir();
    let w = work.path();
    let slow = joined(&server.url, "slow");
    let next = joined(&server.url, "next");
    let v = wait_for(&slow, "active", Duration::from_secs(5));
    let lease = v.lease.clone().unwrap();
    // `slow` downloads everything, finishes `small`, then stalls past the compute deadline.
    let mut parents = Vec::new();
    for circ in CIRCUITS {
        let head = w.join(format!("{circ}_h.zkey"));
        parents.push(slow.download(circ, &lease, &head).unwrap().0);
    }
    let small = contribute_file(&w.join("small_h.zkey"), &w.join("small_n.zkey"));
    slow.upload("small", &lease, &parents[0], &small).unwrap();
    let late = contribute_file(&w.join("chain16_h.zkey"), &w.join("chain16_n.zkey"));
    assert_eq!(wait_for(&next, "active", Duration::from_secs(15)).state, "active", "the slot passes on");

    // Its late upload is refused; no head moves.
    let before = heads(&next);
    let (st, kind, why) = refusal(slow.upload("chain16", &lease, &parents[1], &late));
    assert_eq!((st, kind.as_str()), (403, "lease_expired"), "{why}");
    assert!(why.contains("compute deadline"), "{why}");
    assert_eq!(heads(&next), before);
    let sv = slow.turn().unwrap();
    assert_eq!(sv.state, "expired");
    assert_eq!(sv.retryable, vec!["chain16".to_string(), "chain100".to_string()]);

    // The next contributor proceeds; then `slow` retries only its two missing circuits.
    let nv = next.turn().unwrap();
    honest_turn(&next, &nv, w);
    assert_eq!(slow.retry().unwrap().position, 0, "nobody else waits: the turn starts at once");
    let rv = wait_for(&slow, "active", Duration::from_secs(5));
    let names: Vec<_> = rv.circuits.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["chain16", "chain100"], "the retry covers only the failed circuits");
    let lease2 = rv.lease.clone().unwrap();
    let head = w.join("chain16_h2.zkey");
    let (parent, idx) = slow.download("chain16", &lease2, &head).unwrap();
    assert_eq!(idx, 1);
    let bytes = contribute_file(&head, &w.join("chain16_n2.zkey"));
    assert_eq!(slow.upload("chain16", &lease2, &parent, &bytes).unwrap().index, 2, "the retry works");
    // It stalls again on chain100: a second failure there is beyond the budget of one retry.
    let sv = wait_for(&slow, "exhausted", Duration::from_secs(15));
    assert!(sv.retryable.is_empty());
    let (st, kind, why) = refusal(slow.retry());
    assert_eq!((st, kind.as_str()), (403, "retry_budget_exhausted"), "{why}");
    let heads = heads(&next);
    assert_eq!(heads.iter().map(|h| h.1).collect::<Vec<_>>(), vec![2, 2, 1]);
}

#[test]
fn malformed_uploads_forged_leases_and_floods_are_refused() {
    let c = Ceremony::init(Settings { retries: 20, ..Settings::default() });
    let server = c.serve(0);
    let work = common::tempdir();
    let w = work.path();
    let p = joined(&server.url, "p");
    let v = wait_for(&p, "active", Duration::from_secs(5));
    let lease = v.lease.clone().unwrap();
    let (parent, _) = p.download("small", &lease, &w.join("small.zkey")).unwrap();
    let (p16, _) = p.download("chain16", &lease, &w.join("chain16.zkey")).unwrap();
    let good = contribute_file(&w.join("small.zkey"), &w.join("small_n.zkey"));
    let other = contribute_file(&w.join("chain16.zkey"), &w.join("chain16_n.zkey"));
    let before = heads(&p);

    let forged = "ab".repeat(32);
    let (st, kind, _) = refusal(p.upload("small", &forged, &parent, &good));
    assert_eq!((st, kind.as_str()), (403, "bad_lease"));
    let (st, kind, _) = refusal(p.download("small", &forged, &w.join("x.zkey")));
    assert_eq!((st, kind.as_str()), (403, "bad_lease"));
    let stranger = Client::new(&server.url).with_token(&"cd".repeat(32));
    let (st, _, why) = refusal(stranger.upload("small", &lease, &parent, &good));
    assert_eq!(st, 401, "{why}");
    let anonymous = Client::new(&server.url);
    assert_eq!(refusal(anonymous.turn()).0, 401);

    let garbage: Vec<u8> = (0..5000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let (st, kind, why) = refusal(p.upload("small", &lease, &parent, &garbage));
    assert_eq!((st, kind.as_str()), (400, "bad_request"), "{why}");
    assert!(why.starts_with("malformed upload") && why.contains("the uploaded zkey"), "{why}");
    let (st, _, why) = refusal(p.upload("small", &lease, &parent, &good[..good.len() / 2]));
    assert_eq!(st, 400, "{why}");
    assert!(why.contains("section"), "a truncated upload names the section: {why}");
    let mut big = good.clone();
    big.resize(good.len() + 200 * 1024, 0);
    let (st, kind, why) = refusal(p.upload("small", &lease, &parent, &big));
    assert_eq!((st, kind.as_str()), (413, "too_large"), "{why}");
    let (st, kind, why) = refusal(p.upload("small", &lease, &parent, &other));
    assert_eq!((st, kind.as_str()), (422, "invalid_contribution"), "{why}");
    assert!(why.contains("different circuit"), "{why}");
    let (st, kind, _) = refusal(p.upload("nope", &lease, &parent, &good));
    assert_eq!((st, kind.as_str()), (404, "unknown_circuit"));
    let (st, kind, _) = refusal(p.upload("small", &lease, &"00".repeat(32), &good));
    assert_eq!((st, kind.as_str()), (409, "stale_parent"));
    assert_eq!(heads(&p), before, "no refused upload moved a head");
    // Every refusal is recorded with its reason.
    let status = p.status().unwrap();
    assert!(status["refused"].as_array().unwrap().len() >= 6, "{status:#}");

    // After all that, the honest uploads go through.
    assert_eq!(p.upload("small", &lease, &parent, &good).unwrap().index, 1);
    assert_eq!(p.upload("chain16", &lease, &p16, &other).unwrap().index, 1);

    // A name that is too long, and a join body over the limit.
    let mut q = Client::new(&server.url);
    assert_eq!(refusal(q.join(&"x".repeat(100))).0, 400);
    assert_eq!(refusal(q.join(&"x".repeat(20_000))).0, 413);
    drop(server);

    // Request rate: a burst of 5, then 2 per second.
    let c2 = Ceremony::init(Settings { rate: (2.0, 5.0), ..Settings::default() });
    let s2 = c2.serve(0);
    let agent = ureq::AgentBuilder::new().build();
    let codes: Vec<u16> = (0..12)
        .map(|_| match agent.get(&format!("{}/v1/status", s2.url)).call() {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(code, _)) => code,
            Err(e) => panic!("{e}"),
        })
        .collect();
    assert!(codes[..5].iter().all(|c| *c == 200), "{codes:?}");
    assert!(codes.contains(&429), "a flood is limited: {codes:?}");
}

#[test]
fn killed_at_random_points_the_coordinator_loses_nothing() {
    let c = Ceremony::init(Settings::default());
    let mut server = c.serve(0);
    let url = server.url.clone();
    let children: Vec<_> = (0..8).map(|i| contributor(&url, &format!("k{i}"), 90)).collect();
    // SIGKILL and restart at pseudo-random moments while the contributions go on.
    let mut seed = 0x9e3779b97f4a7c15u64 ^ std::process::id() as u64;
    let (mut kills, mut mid_run) = (0, 0);
    let start = Instant::now();
    while mid_run < 6 && start.elapsed() < Duration::from_secs(120) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(100 + seed % 500));
        let killed_at = std::time::SystemTime::now();
        server.restart();
        kills += 1;
        // Nothing half-written survives a restart (uploads begun since are the new server's).
        let leftovers: Vec<PathBuf> = std::fs::read_dir(c.data().join("incoming"))
            .unwrap()
            .flatten()
            .filter(|e| e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < killed_at))
            .map(|e| e.path())
            .collect();
        assert!(leftovers.is_empty(), "recovery left {leftovers:?}");
        let done: u64 = Client::new(&server.url).status().unwrap()["circuits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["contributions"].as_u64().unwrap())
            .sum();
        if done >= 24 {
            break;
        }
        if done > 0 {
            mid_run += 1;
        }
    }
    assert!(mid_run >= 3, "only {mid_run} of {kills} kills fell in the middle of the run");
    let receipts: Vec<_> = children.into_iter().flat_map(receipts_of).collect();
    assert_eq!(receipts.len(), 8 * CIRCUITS.len());
    server.kill();
    let mut s = c.serve(0);
    let status = Client::new(&s.url).status().unwrap();
    for circuit in status["circuits"].as_array().unwrap() {
        assert_eq!(circuit["contributions"], 8, "{status:#}");
    }
    s.kill();
    c.finalize();
    assert_eq!(check_transcript(&c, &receipts), vec![8, 8, 8]);
}

#[test]
fn finalize_refuses_a_changed_beacon_and_an_empty_circuit() {
    let c = Ceremony::init(Settings::default());
    // No contributions yet.
    let (_, err) = common::run_fail(common::tauforge().args(["coordinator", "finalize"]).arg(&c.config).args([
        "--beacon",
        common::coordinator::BEACON,
        "--backend",
        "cpu",
    ]));
    assert!(err.contains("has no contributions"), "{err}");
    let server = c.serve(0);
    let opts = ContributeOptions {
        url: server.url.clone(),
        name: "only".into(),
        entropy: Zeroizing::new("e".into()),
        patience: Duration::from_secs(20),
        external: None,
    };
    let r = tauforge::coordinator::client::contribute(&opts, &CpuBackend, |_| {}).unwrap();
    assert_eq!(r.len(), 3);
    drop(server);
    // A beacon value other than the committed one.
    let (_, err) = common::run_fail(common::tauforge().args(["coordinator", "finalize"]).arg(&c.config).args([
        "--beacon",
        "ff00",
        "--backend",
        "cpu",
    ]));
    assert!(err.contains("does not match the committed hash"), "{err}");
    // A beacon source edited after init.
    let text = std::fs::read_to_string(&c.config).unwrap();
    std::fs::write(&c.config, text.replace("source = \"test beacon\"", "source = \"another beacon\"")).unwrap();
    let (_, err) = common::run_fail(common::tauforge().args(["coordinator", "finalize"]).arg(&c.config).args([
        "--beacon",
        common::coordinator::BEACON,
        "--backend",
        "cpu",
    ]));
    assert!(err.contains("differs from the one committed at init"), "{err}");
    std::fs::write(&c.config, text).unwrap();
    c.finalize();
    assert_eq!(
        check_transcript(&c, &r.iter().map(|x| serde_json::to_value(x).unwrap()).collect::<Vec<_>>()),
        vec![1, 1, 1]
    );
}

#[test]
fn the_readme_config_example_is_a_valid_config() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let start = readme.find("```toml\nname = ").expect("README has a ceremony.toml example") + "```toml\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let dir = common::tempdir();
    let p = dir.path().join("ceremony.toml");
    std::fs::write(&p, &readme[start..end]).unwrap();
    let cfg = tauforge::coordinator::config::Config::read(&p).unwrap();
    assert_eq!(cfg.circuits.len(), 2);
    assert_eq!((cfg.deadlines.download_s, cfg.deadlines.compute_s, cfg.deadlines.upload_s), (120.0, 600.0, 300.0));
    assert_eq!(cfg.beacon.source, "drand round 5000000");
}

#[test]
fn a_participant_that_stops_polling_loses_its_place_not_the_slot() {
    let c = Ceremony::init(Settings { idle_s: 1.0, ..Settings::default() });
    let server = c.serve(0);
    let work = common::tempdir();
    let first = joined(&server.url, "first");
    let gone = joined(&server.url, "gone"); // never asks for its turn
    let last = joined(&server.url, "last");
    let v = wait_for(&first, "active", Duration::from_secs(5));
    assert_eq!(last.turn().unwrap().position, Some(2));
    // While `first` works, `last` keeps polling and `gone` stays silent past idle_s.
    let end = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < end {
        last.turn().unwrap();
        std::thread::sleep(Duration::from_millis(100));
    }
    honest_turn(&first, &v, work.path());
    // The slot goes straight to `last`; `gone` is out of the queue, with the reason recorded.
    let lv = wait_for(&last, "active", Duration::from_secs(2));
    assert_eq!(lv.circuits.len(), 3);
    let gv = gone.turn().unwrap();
    assert_eq!(gv.state, "expired");
    assert_eq!(gv.retryable.len(), 3, "nothing was used of its retry budget");
    let status = gone.status().unwrap();
    let reasons: Vec<&str> =
        status["refused"].as_array().unwrap().iter().map(|a| a["reason"].as_str().unwrap()).collect();
    assert!(reasons.iter().any(|r| r.starts_with("left the queue")), "{reasons:?}");
    // Back in the queue on asking.
    assert_eq!(gone.retry().unwrap().position, 1);
}

#[test]
fn external_commands_compute_contributions_with_snarkjs_or_the_bellman_round_trip() {
    // `--external`: the client coordinates (join, one turn, download, upload naming the parent)
    // while snarkjs computes; its contributions are verified and chained like any other. A short
    // download deadline lets a turn whose command failed give the slot up quickly.
    let c = Ceremony::init(Settings { deadlines: (5.0, 120.0, 60.0), ..Settings::default() });
    let server = c.serve(0);
    let sj = common::snarkjs_cli();
    let with = |name: &str, cmd: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tauforge"))
            .args(["--json", "contribute", "--coordinator", &server.url, "--name", name, "--patience", "60"])
            .args(["--external", cmd])
            .output()
            .unwrap()
    };
    let snarkjs_cmd = format!(
        "node '{}' zkey contribute \"$TAUFORGE_INPUT\" \"$TAUFORGE_OUTPUT\" -n=\"$TAUFORGE_NAME\" -e=\"$TAUFORGE_CIRCUIT\"",
        sj.display()
    );
    let out = with("alice (snarkjs)", &snarkjs_cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // snarkjs's own output went to stderr: stdout is the one JSON summary.
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let mut receipts = v["receipts"].as_array().unwrap().clone();
    assert_eq!(receipts.len(), CIRCUITS.len());
    assert!(receipts.iter().all(|r| r["index"] == 1), "{receipts:?}");
    receipts.extend(receipts_of(contributor(&server.url, "bob", 60)));
    // A phase2-bn254-style contributor: the MPC-params round trip inside the command (tauforge's
    // own bellman-contribute standing in for phase2-bn254).
    let tf = env!("CARGO_BIN_EXE_tauforge");
    let bellman_cmd = format!(
        "d=$(mktemp -d) && '{tf}' -q zkey export-bellman \"$TAUFORGE_INPUT\" $d/c.mpc \
         && '{tf}' -q zkey bellman-contribute $d/c.mpc $d/r.mpc -e erin --backend cpu \
         && '{tf}' -q zkey import-bellman \"$TAUFORGE_INPUT\" $d/r.mpc \"$TAUFORGE_OUTPUT\" -n \"$TAUFORGE_NAME\" \
         && rm -r $d"
    );
    let out = with("erin (bellman)", &bellman_cmd);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let erin = v["receipts"].as_array().unwrap().clone();
    assert!(erin.len() == CIRCUITS.len() && erin.iter().all(|r| r["index"] == 3), "{erin:?}");
    receipts.extend(erin);
    // A command that fails, or writes no zkey, uploads nothing and says which circuit.
    for (cmd, says) in
        [("exit 3", "the external command failed"), ("echo hi", "the external command wrote no valid zkey")]
    {
        let out = with("carol", cmd);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(says) && err.contains("nothing was uploaded"), "{err}");
    }
    let watcher = Client::new(&server.url);
    let heads = heads(&watcher);
    assert!(heads.iter().all(|(_, index, _)| *index == 3), "{heads:?}");
    // The failed turns give the slot up at their download deadline; then the ceremony can close.
    let until = Instant::now() + Duration::from_secs(30);
    while watcher.status().unwrap()["queue"].as_array().unwrap().iter().any(|p| p["state"] == "active") {
        assert!(Instant::now() < until, "a failed turn still holds the slot");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(server);
    c.finalize();
    assert_eq!(check_transcript(&c, &receipts), vec![3, 3, 3]);
    let info =
        common::run_ok(common::tauforge().args(["zkey", "info"]).arg(c.data().join("circuits/small/small_0001.zkey")));
    let info3 =
        common::run_ok(common::tauforge().args(["zkey", "info"]).arg(c.data().join("circuits/small/small_0003.zkey")));
    assert!(info.contains("#1 contribution alice (snarkjs):"), "{info}");
    assert!(info3.contains("#3 contribution erin (bellman):"), "{info3}");
}

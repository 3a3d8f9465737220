//! A ceremony of three small circuits in a temp folder, and its `tauforge coordinator serve`
//! process on loopback (started, killed and restarted by the tests).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{fixture, run_ok, tauforge, tempdir};

/// The circuits every coordinator test uses (all fit the power-10 ptau).
pub const CIRCUITS: [&str; 3] = ["small", "chain16", "chain100"];

/// The beacon value the tests finalize with, and its SHA-256 committed in the config.
pub const BEACON: &str = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20";

/// Settings that differ between tests.
pub struct Settings {
    /// (download, compute, upload) seconds.
    pub deadlines: (f64, f64, f64),
    /// Seconds a waiting participant may stay silent.
    pub idle_s: f64,
    /// Retries per (participant, circuit).
    pub retries: u32,
    /// (requests per second, burst).
    pub rate: (f64, f64),
}

impl Default for Settings {
    fn default() -> Self {
        Settings { deadlines: (60.0, 120.0, 60.0), idle_s: 60.0, retries: 2, rate: (1000.0, 1000.0) }
    }
}

/// An initialized ceremony in its own temp folder.
pub struct Ceremony {
    /// The temp folder (config, inputs, data/).
    pub dir: tempfile::TempDir,
    /// The config file.
    pub config: PathBuf,
}

impl Ceremony {
    /// Writes the config and runs `tauforge coordinator init`.
    pub fn init(s: Settings) -> Ceremony {
        let dir = tempdir();
        let d = dir.path();
        std::fs::copy(fixture("pot10_final.ptau"), d.join("pot10_final.ptau")).unwrap();
        let mut circuits = String::new();
        for c in CIRCUITS {
            std::fs::copy(fixture(&format!("circuits/{c}.r1cs")), d.join(format!("{c}.r1cs"))).unwrap();
            circuits
                .push_str(&format!("[[circuit]]\nname = \"{c}\"\nr1cs = \"{c}.r1cs\"\nptau = \"pot10_final.ptau\"\n"));
        }
        let beacon_sha = {
            use sha2::{Digest, Sha256};
            hex::encode(Sha256::digest(hex::decode(BEACON).unwrap()))
        };
        let text = format!(
            "name = \"test ceremony\"\nlisten = \"127.0.0.1:0\"\npoll_ms = 100\nretries = {}\n\
             [deadlines]\ndownload_s = {}\ncompute_s = {}\nupload_s = {}\nidle_s = {}\n\
             [limits]\nrequests_per_s = {}\nburst = {}\n\
             [beacon]\nsource = \"test beacon\"\niterations_exp = 10\nvalue_sha256 = \"{beacon_sha}\"\n{circuits}",
            s.retries, s.deadlines.0, s.deadlines.1, s.deadlines.2, s.idle_s, s.rate.0, s.rate.1
        );
        let config = d.join("ceremony.toml");
        std::fs::write(&config, text).unwrap();
        run_ok(tauforge().args(["coordinator", "init"]).arg(&config));
        Ceremony { dir, config }
    }

    /// The data folder (also the transcript directory after finalize).
    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts `coordinator serve` on `port` (0: any free port).
    pub fn serve(&self, port: u16) -> Server {
        Server::start(&self.config, port)
    }

    /// `coordinator finalize --beacon BEACON`.
    pub fn finalize(&self) -> String {
        run_ok(tauforge().args(["coordinator", "finalize"]).arg(&self.config).args([
            "--beacon",
            BEACON,
            "--backend",
            "cpu",
        ]))
    }

    /// `transcript verify --json` of the data folder, parsed.
    pub fn verify_transcript(&self) -> serde_json::Value {
        let out =
            run_ok(tauforge().args(["--json", "transcript", "verify"]).arg(self.data()).args(["--backend", "cpu"]));
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("transcript verify --json: {e}\n{out}"));
        v["transcript"].clone()
    }

    /// The transcript manifest written by finalize.
    pub fn manifest(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.data().join("transcript.json")).unwrap()).unwrap()
    }
}

/// A running `coordinator serve`; killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// Its port.
    pub port: u16,
    config: PathBuf,
}

impl Server {
    fn start(config: &Path, port: u16) -> Server {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let mut child = tauforge()
                .args(["coordinator", "serve"])
                .arg(config)
                .args(["--listen", &format!("127.0.0.1:{port}"), "--backend", "cpu"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start coordinator serve");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                let port = url.rsplit(':').next().unwrap().parse().unwrap();
                return Server { child: Some(child), url: url.to_string(), port, config: config.to_path_buf() };
            }
            // The port may still be held for a moment after a kill: try again.
            let _ = child.kill();
            let _ = child.wait();
            assert!(Instant::now() < deadline, "coordinator serve did not start on port {port}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, no goodbye.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Kills and starts again on the same port.
    pub fn restart(&mut self) {
        self.kill();
        let mut s = Server::start(&self.config, self.port);
        self.child = s.child.take();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `tauforge --json contribute --coordinator URL` as a child process.
pub fn contributor(url: &str, name: &str, patience: u64) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tauforge"))
        .args(["--json", "contribute", "--coordinator", url, "--name", name, "--entropy", name])
        .args(["--backend", "cpu", "--patience", &patience.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tauforge contribute")
}

/// Waits for a contributor and returns its receipts (panics unless it succeeded).
pub fn receipts_of(child: Child) -> Vec<serde_json::Value> {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "contributor failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    v["receipts"].as_array().unwrap().clone()
}

/// Checks that the finalized transcript holds every receipt at its index and verifies with
/// no uncles; returns the chain lengths (contributions before the beacon) per circuit.
pub fn check_transcript(c: &Ceremony, receipts: &[serde_json::Value]) -> Vec<usize> {
    let m = c.manifest();
    let report = c.verify_transcript();
    assert_eq!(report["valid"], true, "transcript verify failed: {report:#}");
    let mut lens = Vec::new();
    for circuit in m["circuits"].as_array().unwrap() {
        let name = circuit["name"].as_str().unwrap();
        let hashes: Vec<&str> =
            circuit["contribution_hashes"].as_array().unwrap().iter().map(|h| h.as_str().unwrap()).collect();
        let mine: Vec<_> = receipts.iter().filter(|r| r["circuit"] == name).collect();
        // Every accepted contribution is on the chain, at the index its receipt gave.
        for r in &mine {
            let i = r["index"].as_u64().unwrap() as usize;
            assert_eq!(
                hashes[i - 1],
                r["contribution_hash"].as_str().unwrap(),
                "receipt {r} not at its place in {name}"
            );
        }
        // …and the chain holds nothing else but the beacon.
        assert_eq!(
            hashes.len(),
            mine.len() + 1,
            "{name}: chain has {} entries for {} receipts",
            hashes.len(),
            mine.len()
        );
        let rep = report["circuits"].as_array().unwrap().iter().find(|x| x["name"] == name).unwrap();
        assert_eq!(rep["uncles"].as_array().unwrap().len(), 0, "{name}: uncles {rep:#}");
        assert_eq!(rep["final_beacon"], true);
        lens.push(mine.len());
    }
    lens
}

//! The coordinator's status page, rendered by a real headless Chromium: its DOM names the
//! circuits, the queue, the contributions with their hashes and the refused attempts with their
//! reasons, and the screenshot shows the page's tables in their colours.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::coordinator::{Ceremony, Settings};
use tauforge::backend::CpuBackend;
use tauforge::coordinator::client::{self, Client, ContributeOptions};
use zeroize::Zeroizing;

/// Chromium: `$TAUFORGE_CHROMIUM`, else `chromium` (Debian's package). Panics when missing, so
/// the page test fails rather than skips.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("TAUFORGE_CHROMIUM").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    for p in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(p).is_file() {
            return PathBuf::from(p);
        }
    }
    panic!("Chromium not found: `.ci/run` installs Debian's `chromium`; or set TAUFORGE_CHROMIUM");
}

fn headless(profile: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=1200,1000",
    ])
    .arg(format!("--user-data-dir={}", profile.display()));
    c
}

/// Pixels of `png` within 6 of `rgb` in every channel; (width, height, count).
fn count_colour(png: &Path, want: impl Fn([u8; 3]) -> bool) -> (u32, u32, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(png).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = match info.color_type {
        png::ColorType::Rgba => 4,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected screenshot colour type {other:?}"),
    };
    let n = buf[..info.buffer_size()].chunks(step).filter(|p| want([p[0], p[1], p[2]])).count();
    (info.width, info.height, n)
}

fn near(rgb: [u8; 3]) -> impl Fn([u8; 3]) -> bool {
    move |p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6)
}

#[test]
fn status_page_renders_in_headless_chromium() {
    let c = Ceremony::init(Settings::default());
    let server = c.serve(0);
    // History: one whole contribution, one refused upload, one active turn, one participant waiting.
    let opts = ContributeOptions {
        url: server.url.clone(),
        name: "Alice".into(),
        entropy: Zeroizing::new("a".into()),
        patience: Duration::from_secs(20),
        external: None,
    };
    let receipts = client::contribute(&opts, &CpuBackend, |_| {}).unwrap();
    let mut bob = Client::new(&server.url);
    bob.join("Bob").unwrap();
    let v = bob.turn().unwrap();
    assert_eq!(v.state, "active");
    let refused = bob.upload("small", v.lease.as_deref().unwrap(), &"00".repeat(32), b"not a zkey");
    assert_eq!(refused.unwrap_err().kind(), Some("stale_parent"));
    Client::new(&server.url).join("Carol").unwrap();

    let work = common::tempdir();
    let dom = common::run_ok(headless(&work.path().join("p1")).args(["--dump-dom", &format!("{}/", server.url)]));
    for want in ["test ceremony", "small", "chain16", "chain100", "Alice", "Bob", "Carol", "stale parent", "waiting"] {
        assert!(dom.contains(want), "the rendered page lacks {want:?}:\n{dom}");
    }
    for r in &receipts {
        assert!(dom.contains(&r.contribution_hash[..16]), "contribution hash of {} missing", r.circuit);
    }
    assert!(dom.contains("class=\"refused\"") && dom.contains("class=\"active\""));

    let shot = work.path().join("status.png");
    common::run_ok(
        headless(&work.path().join("p2"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("{}/", server.url)),
    );
    let (w, h, refused_px) = count_colour(&shot, near([0xf8, 0xd7, 0xda]));
    assert_eq!((w, h), (1200, 1000), "screenshot size");
    let (_, _, chain_px) = count_colour(&shot, near([0xd4, 0xed, 0xda]));
    let (_, _, active_px) = count_colour(&shot, near([0xff, 0xf3, 0xcd]));
    let (_, _, text_px) = count_colour(&shot, |p| p.iter().all(|c| *c < 90));
    // The circuits table (three green rows), the active turn (yellow), the refused attempt (red),
    // and text drawn on top.
    assert!(chain_px > 10_000, "green chain rows: {chain_px} px");
    assert!(active_px > 2_000, "yellow active row: {active_px} px");
    assert!(refused_px > 2_000, "red refused row: {refused_px} px");
    assert!(text_px > 2_000, "text: {text_px} px");
}

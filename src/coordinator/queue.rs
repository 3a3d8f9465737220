//! Turns in time: the absolute deadlines of a turn's download, compute and upload phases, when
//! a turn has missed one, and who may join the queue.

use super::config;
use super::refusal::Refusal;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

/// A turn's absolute deadlines (milliseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    /// When the turn started.
    pub start: i64,
    /// Every circuit's head downloaded by then.
    pub download: i64,
    /// Every upload started by then.
    pub compute: i64,
    /// Every upload received by then.
    pub upload: i64,
}

impl Deadlines {
    /// The deadlines of a turn starting at `now`, from the configured phase lengths.
    pub fn starting(now: i64, d: &config::Deadlines) -> Deadlines {
        let ms = |s: f64| (s * 1000.0).round() as i64;
        let download = now + ms(d.download_s);
        let compute = download + ms(d.compute_s);
        Deadlines { start: now, download, compute, upload: compute + ms(d.upload_s) }
    }
}

/// Why a turn has expired at `now`, given its circuits' (state, downloaded_at), or `None` while
/// it may go on. A turn with an upload in flight never expires here: the upload's own deadline
/// ends it, and once the body has arrived verification always completes.
pub fn expiry(d: &Deadlines, circuits: &[(String, Option<i64>)], now: i64) -> Option<String> {
    if circuits.iter().any(|(s, _)| s == "uploading") {
        return None;
    }
    let pending: Vec<_> = circuits.iter().filter(|(s, _)| s == "pending").collect();
    if pending.is_empty() {
        return None;
    }
    if now > d.compute {
        return Some("compute deadline passed before every upload started".into());
    }
    if now > d.download && pending.iter().any(|(_, at)| at.is_none()) {
        return Some("download deadline passed before every head was downloaded".into());
    }
    None
}

/// A participant's name: 1–64 printable characters.
pub fn check_participant_name(name: &str) -> Result<(), Refusal> {
    if name.trim().is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(Refusal::bad_request("a participant name must be 1-64 printable characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_follow_the_phases() {
        let d = Deadlines::starting(
            1000,
            &config::Deadlines { download_s: 1.0, compute_s: 2.0, upload_s: 0.5, idle_s: 60.0 },
        );
        assert_eq!((d.download, d.compute, d.upload), (2000, 4000, 4500));
        let pending = |at| vec![("pending".to_string(), at)];
        assert_eq!(expiry(&d, &pending(None), 1999), None);
        assert!(expiry(&d, &pending(None), 2001).unwrap().contains("download deadline"));
        assert_eq!(expiry(&d, &pending(Some(1500)), 3000), None);
        assert!(expiry(&d, &pending(Some(1500)), 4001).unwrap().contains("compute deadline"));
        let uploading = vec![("uploading".to_string(), Some(1500)), ("pending".to_string(), None)];
        assert_eq!(expiry(&d, &uploading, 9000), None);
        assert_eq!(expiry(&d, &[("accepted".to_string(), Some(1500))], 9000), None);
    }

    #[test]
    fn names() {
        assert!(check_participant_name("Alice").is_ok());
        assert!(check_participant_name("").is_err());
        assert!(check_participant_name("a\nb").is_err());
        assert!(check_participant_name(&"x".repeat(65)).is_err());
    }
}

//! Ceremony transcripts: the `transcript.json` manifest and `transcript verify`.

pub mod manifest;
pub mod verify;

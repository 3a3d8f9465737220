//! The ceremony coordinator: one queue for every circuit, turns with leases and per-phase
//! deadlines, compare-and-swap heads verified with `zkey verify-step`, state in SQL, a status
//! page, and the contributor's client. The protocol is in docs/PROTOCOL.md.

pub mod ceremony;
pub mod client;
pub mod config;
pub mod protocol;
pub mod queue;
pub mod refusal;
pub mod server;
pub mod status;
pub mod store;

//! Logging: JSON lines through `tracing`, level from `RUST_LOG` (default
//! `info`). Field names are constants so every function logs alike.

use tracing_subscriber::EnvFilter;

/// The user an event is about (an opaque id, never a username).
pub const USER_ID: &str = "user_id";
/// Email or text.
pub const METHOD: &str = "method";
/// A masked destination.
pub const DESTINATION: &str = "destination";

/// Installs the JSON subscriber. Call once, first thing in `main`.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_target(false)
        .init();
}

//! The contract between Twofold's functions and its single-page app, and the
//! domain rules that need no I/O: confirmation codes, contact details and how
//! they are masked, and the sign-in policy.
//!
//! Nothing here touches AWS or an async runtime, so the crate builds for
//! `wasm32-unknown-unknown` as well as for the functions.

pub mod admin;
pub mod api;
pub mod code;
pub mod contact;
pub mod error;
pub mod mask;
pub mod policy;

pub use code::ConfirmationCode;
pub use contact::{Email, Method, Phone};
pub use error::ErrorCode;

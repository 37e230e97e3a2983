//! Twofold's server side: the sign-in service, the ports it needs (stores,
//! couriers, clock, random source) and the AWS adapters behind them.
//!
//! Each Lambda function is a thin binary over this crate: it builds
//! [`config::Settings`] and the AWS clients once, then hands every request to
//! [`http`], which parses it, calls a service and maps the result to a
//! response.

pub mod app;
pub mod aws;
pub mod clock;
pub mod config;
pub mod contact;
pub mod courier;
pub mod digest;
pub mod http;
pub mod model;
pub mod password;
pub mod provision;
pub mod random;
pub mod service;
pub mod store;
pub mod telemetry;

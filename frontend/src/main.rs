//! Twofold's single-page app: sign in with a password, then with a
//! confirmation code sent by email or text message.
//!
//! `api` is the only module that talks HTTP, `errors` the only one that turns
//! a failure into words, and each screen is a page of its own under `pages`.
//! [`app::App`] holds which screen is showing and moves between them.

mod api;
mod app;
mod components;
mod errors;
mod pages;

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

//! Sign in, first step: username and password.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use twofold_shared::api::{LoginRequest, LoginResponse, Password};

use crate::api;
use crate::components::card::Card;
use crate::components::error_box::ErrorBox;
use crate::errors::Problem;

/// The sign-in form. Reports the server's answer to a right password through
/// `on_result`: signed in, or a code is needed.
#[component]
pub fn SignIn(
    /// Why the person is here again, shown in the error box.
    notice: Option<String>,
    /// What the server said to a right username and password.
    on_result: Callback<LoginResponse>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let (error, set_error) = signal(notice);

    let sign_in = Action::new_local(move |request: &LoginRequest| {
        let request = request.clone();
        async move {
            match api::login(&request).await {
                Ok(response) => on_result.run(response),
                Err(problem) => {
                    // The password is not kept after a failed try.
                    password.set(String::new());
                    set_error.set(Some(problem.to_string()));
                }
            }
        }
    });
    let busy = sign_in.pending();

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let name = username.get_untracked().trim().to_owned();
        let secret = password.get_untracked();
        if name.is_empty() || secret.is_empty() {
            set_error.set(Some(Problem::MissingCredentials.to_string()));
            return;
        }
        set_error.set(None);
        sign_in.dispatch_local(LoginRequest {
            username: name,
            password: Password(secret),
        });
    };

    view! {
        <Card title="Sign In" busy>
            <form on:submit=submit novalidate>
                <label for="username">"Username"</label>
                <input
                    id="username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    autofocus
                    bind:value=username
                />
                <label for="password">"Password"</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    bind:value=password
                />
                <ErrorBox message=error />
                <button id="sign-in" type="submit" class="primary" disabled=busy>
                    {move || if busy.get() { "Signing in…" } else { "Sign In" }}
                </button>
            </form>
        </Card>
    }
}

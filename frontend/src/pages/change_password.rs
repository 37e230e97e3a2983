//! Sign in, when the password was an initial one set by an administrator: a
//! new one is chosen before signing in goes on.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use twofold_shared::ErrorCode;
use twofold_shared::api::{ChangePasswordRequest, LoginResponse, Password};
use twofold_shared::policy::MIN_PASSWORD_LENGTH;

use crate::api;
use crate::components::card::Card;
use crate::components::error_box::ErrorBox;
use crate::errors::Problem;

/// The new-password form. The server answers as it does to a password, so
/// `on_result` goes on exactly as after signing in.
#[component]
pub fn ChangePassword(
    /// What the server said to the new password.
    on_result: Callback<LoginResponse>,
    /// The pending sign-in is gone; back to the password, with why.
    on_start_over: Callback<Option<String>>,
) -> impl IntoView {
    let new_password = RwSignal::new(String::new());
    let repeated = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<String>);

    let change = Action::new_local(move |request: &ChangePasswordRequest| {
        let request = request.clone();
        async move {
            match api::change_password(&request).await {
                Ok(response) => on_result.run(response),
                Err(problem) if problem.code() == Some(ErrorCode::SignInExpired) => {
                    on_start_over.run(Some(problem.to_string()));
                }
                Err(problem) => set_error.set(Some(problem.to_string())),
            }
        }
    });
    let busy = change.pending();

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let chosen = new_password.get_untracked();
        let problem = if chosen.chars().count() < MIN_PASSWORD_LENGTH {
            Some(Problem::PasswordTooShort)
        } else if chosen != repeated.get_untracked() {
            Some(Problem::PasswordsDiffer)
        } else {
            None
        };
        if let Some(problem) = problem {
            set_error.set(Some(problem.to_string()));
            return;
        }
        set_error.set(None);
        change.dispatch_local(ChangePasswordRequest {
            new_password: Password(chosen),
        });
    };

    view! {
        <Card title="Choose a New Password" busy>
            <p class="hint">
                "Your password was set by your System Administrator. Choose one of your own, \
                 at least " {MIN_PASSWORD_LENGTH} " characters long."
            </p>
            <form on:submit=submit novalidate>
                <label for="new-password">"New password"</label>
                <input
                    id="new-password"
                    name="new-password"
                    type="password"
                    autocomplete="new-password"
                    minlength=MIN_PASSWORD_LENGTH
                    required
                    autofocus
                    bind:value=new_password
                />
                <label for="repeat-password">"New password again"</label>
                <input
                    id="repeat-password"
                    name="repeat-password"
                    type="password"
                    autocomplete="new-password"
                    required
                    bind:value=repeated
                />
                <ErrorBox message=error />
                <button id="change-password" type="submit" class="primary" disabled=busy>
                    {move || if busy.get() { "Saving…" } else { "Save Password" }}
                </button>
                <button
                    type="button"
                    class="link"
                    disabled=busy
                    on:click=move |_| on_start_over.run(None)
                >
                    "Back to sign in"
                </button>
            </form>
        </Card>
    }
}

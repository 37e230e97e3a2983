//! The signed-in home: who you are, your account and its practices, and for
//! System Administrators the way to Settings.

use leptos::prelude::*;
use twofold_shared::ErrorCode;
use twofold_shared::api::{Role, SessionInfo};

use crate::api;
use crate::components::card::Card;
use crate::components::error_box::ErrorBox;

/// `#home`: the session as the server described it, and "Sign Out".
#[component]
pub fn Home(
    /// Who is signed in.
    session: SessionInfo,
    /// The session has ended.
    on_signed_out: Callback<()>,
    /// An administrator asked for Settings.
    on_settings: Callback<SessionInfo>,
) -> impl IntoView {
    let (error, set_error) = signal(None::<String>);
    let sign_out = Action::new_local(move |(): &()| async move {
        match api::logout().await {
            Ok(()) => on_signed_out.run(()),
            // Already signed out elsewhere, or the session ran out: done.
            Err(problem) if problem.code() == Some(ErrorCode::NotSignedIn) => on_signed_out.run(()),
            Err(problem) => set_error.set(Some(problem.to_string())),
        }
    });
    let busy = sign_out.pending();

    // Only administrators see the entry; the server refuses anyone else.
    let settings = (session.user.role == Role::SystemAdministrator).then(|| {
        let session = session.clone();
        view! {
            <button
                id="open-settings"
                type="button"
                class="secondary"
                on:click=move |_| on_settings.run(session.clone())
            >
                "Settings"
            </button>
        }
    });
    let SessionInfo {
        user,
        account,
        practices,
        ..
    } = session;
    let two_factor = if account.two_factor_enabled {
        "On for everyone in the account"
    } else {
        "Off"
    };
    let practices = if practices.is_empty() {
        view! { <p id="practices" class="hint">"No practices yet."</p> }.into_any()
    } else {
        view! {
            <ul id="practices" class="practices">
                {practices
                    .into_iter()
                    .map(|practice| view! { <li>{practice.name}</li> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };

    view! {
        <Card title="Welcome" busy>
            <section id="home" aria-labelledby="home-user">
                <h2 id="home-user">
                    <span id="user-name">{user.name}</span>
                </h2>
                <dl class="facts">
                    <dt>"Username"</dt>
                    <dd id="user-username">{user.username}</dd>
                    <dt>"Role"</dt>
                    <dd id="user-role">{user.role.label()}</dd>
                    <dt>"Account"</dt>
                    <dd id="account-name">{account.name}</dd>
                    <dt>"Two-factor authentication"</dt>
                    <dd id="two-factor">{two_factor}</dd>
                </dl>
                <h3>"Practices"</h3>
                {practices}
            </section>
            {settings}
            <ErrorBox message=error />
            <button
                id="sign-out"
                type="button"
                class="primary"
                disabled=busy
                on:click=move |_| {
                    set_error.set(None);
                    sign_out.dispatch_local(());
                }
            >
                {move || if busy.get() { "Signing out…" } else { "Sign Out" }}
            </button>
        </Card>
    }
}

//! Sign in, last step: the confirmation code.
//!
//! Shows where the code went and how long it stays good, lets the person ask
//! for a new one once the wait is over, or choose another method. A locked
//! account stops the form: only the System Administrator can help then.

use leptos::ev::SubmitEvent;
use leptos::html;
use leptos::prelude::*;
use twofold_shared::api::{SendCodeResponse, SessionInfo};
use twofold_shared::policy::CODE_LENGTH;
use twofold_shared::{ConfirmationCode, ErrorCode, Method};

use crate::api;
use crate::components::card::Card;
use crate::components::clock::{minutes_and_seconds, seconds_until, use_clock};
use crate::components::error_box::ErrorBox;
use crate::errors::Problem;

/// The code form for the code described by `sent`.
#[component]
pub fn EnterCode(
    /// What the server said when it sent the code.
    sent: SendCodeResponse,
    /// The code was right: signed in.
    on_verified: Callback<SessionInfo>,
    /// Back to the choice of method.
    on_choose_another: Callback<()>,
    /// The pending sign-in is gone; back to the password, with why.
    on_start_over: Callback<Option<String>>,
) -> impl IntoView {
    let now = use_clock();
    // Deadlines are counted from the clock's own reading, which may be up to
    // a second old: a countdown may end a moment early, never late.
    let sent_at = now.get_untracked();
    let expires_at = RwSignal::new(deadline(sent_at, sent.expires_in_seconds));
    let resend_at = RwSignal::new(deadline(sent_at, sent.resend_after_seconds));
    let sent = RwSignal::new(sent);

    let code = RwSignal::new(String::new());
    let (error, set_error) = signal(None::<String>);
    let (notice, set_notice) = signal(None::<&'static str>);
    let locked = RwSignal::new(false);
    let code_input = NodeRef::<html::Input>::new();
    let focus_code = move || {
        if let Some(input) = code_input.get_untracked() {
            // Focus is a convenience; a browser that refuses it loses nothing.
            let _ = input.focus();
        }
    };
    Effect::new(move || {
        if code_input.get().is_some() {
            focus_code();
        }
    });

    // What every failure on this page does besides showing its sentence.
    let fail = move |problem: Problem| match problem.code() {
        Some(ErrorCode::SignInExpired) => on_start_over.run(Some(problem.to_string())),
        Some(ErrorCode::AccountLocked) => {
            locked.set(true);
            set_error.set(Some(problem.to_string()));
        }
        _ => {
            if let Some(seconds) = problem.retry_after_seconds() {
                resend_at.set(deadline(now.get_untracked(), seconds));
            }
            set_error.set(Some(problem.to_string()));
        }
    };

    let confirm = Action::new_local(move |typed: &ConfirmationCode| {
        let typed = typed.clone();
        async move {
            match api::verify(&typed).await {
                Ok(verified) => on_verified.run(verified.session),
                Err(problem) => {
                    code.set(String::new());
                    fail(problem);
                    focus_code();
                }
            }
        }
    });
    let resend = Action::new_local(move |method: &Method| {
        let method = *method;
        async move {
            match api::send_code(method).await {
                Ok(again) => {
                    let at = now.get_untracked();
                    expires_at.set(deadline(at, again.expires_in_seconds));
                    resend_at.set(deadline(at, again.resend_after_seconds));
                    sent.set(again);
                    set_notice.set(Some("A new code is on its way."));
                    focus_code();
                }
                Err(problem) => fail(problem),
            }
        }
    });
    let busy = Signal::derive(move || confirm.pending().get() || resend.pending().get());

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() || locked.get_untracked() {
            return;
        }
        set_notice.set(None);
        match ConfirmationCode::parse(&code.get_untracked()) {
            Ok(typed) => {
                set_error.set(None);
                confirm.dispatch_local(typed);
            }
            Err(format) => set_error.set(Some(Problem::CodeFormat(format).to_string())),
        }
    };
    let ask_again = move |_| {
        if busy.get_untracked() {
            return;
        }
        set_error.set(None);
        set_notice.set(None);
        resend.dispatch_local(sent.get_untracked().method);
    };

    let expires_in = move || seconds_until(expires_at.get(), now.get());
    let resend_in = move || seconds_until(resend_at.get(), now.get());
    let where_sent = move || {
        let sent = sent.get();
        let how = match sent.method {
            Method::Email => "We emailed a confirmation code to ",
            Method::Text => "We texted a confirmation code to ",
        };
        view! { {how} <strong class="destination">{sent.destination}</strong> "." }
    };
    let time_left = move || match expires_in() {
        0 => "This code has expired. Ask for a new one.".to_owned(),
        left => format!("It expires in {}.", minutes_and_seconds(left)),
    };
    let resend_blocked = move || busy.get() || locked.get() || resend_in() != 0;
    let resend_label = move || match (resend.pending().get(), resend_in()) {
        (true, _) => "Sending…".to_owned(),
        (false, 0) => "Resend code".to_owned(),
        (false, left) => format!("Resend code in {left} s"),
    };

    view! {
        <Card title="Enter the Confirmation Code" busy>
            <p id="sent-to" class="hint">{where_sent}</p>
            <p id="expires" class="hint" role="timer">{time_left}</p>
            <form on:submit=submit novalidate>
                <label for="code">"Confirmation Code"</label>
                <input
                    id="code"
                    name="code"
                    type="text"
                    class="code"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    pattern="[0-9]*"
                    maxlength=CODE_LENGTH + 1
                    required
                    disabled=move || locked.get()
                    node_ref=code_input
                    bind:value=code
                />
                <ErrorBox message=error />
                <p class="notice" role="status" aria-live="polite">
                    {move || notice.get()}
                </p>
                <button
                    id="confirm"
                    type="submit"
                    class="primary"
                    disabled=move || busy.get() || locked.get()
                >
                    {move || if confirm.pending().get() { "Confirming…" } else { "Confirm" }}
                </button>
                <div class="secondary-actions">
                    <button
                        id="resend"
                        type="button"
                        class="link"
                        disabled=resend_blocked
                        on:click=ask_again
                    >
                        {resend_label}
                    </button>
                    <button
                        id="choose-another"
                        type="button"
                        class="link"
                        disabled=move || busy.get() || locked.get()
                        on:click=move |_| on_choose_another.run(())
                    >
                        "Choose another method"
                    </button>
                    <button
                        id="start-over"
                        type="button"
                        class="link"
                        disabled=busy
                        on:click=move |_| on_start_over.run(None)
                    >
                        "Back to sign in"
                    </button>
                </div>
            </form>
        </Card>
    }
}

/// The moment `seconds` after `from_ms`, in milliseconds.
fn deadline(from_ms: f64, seconds: i64) -> f64 {
    from_ms + seconds as f64 * 1000.0
}

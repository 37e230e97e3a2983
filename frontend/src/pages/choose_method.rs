//! Sign in, second step: where the confirmation code should go.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use twofold_shared::api::{MethodOption, SendCodeResponse};
use twofold_shared::{ErrorCode, Method};

use crate::api;
use crate::components::card::Card;
use crate::components::error_box::ErrorBox;

/// The methods this user has, each with its masked destination; the first is
/// chosen to begin with.
#[component]
pub fn ChooseMethod(
    /// The methods the server offered.
    methods: Vec<MethodOption>,
    /// A code was sent.
    on_sent: Callback<SendCodeResponse>,
    /// The pending sign-in is gone; back to the password, with why.
    on_start_over: Callback<Option<String>>,
) -> impl IntoView {
    let chosen = RwSignal::new(methods.first().map(|option| option.method));
    let (error, set_error) = signal(None::<String>);

    let send = Action::new_local(move |method: &Method| {
        let method = *method;
        async move {
            match api::send_code(method).await {
                Ok(sent) => on_sent.run(sent),
                Err(problem) if problem.code() == Some(ErrorCode::SignInExpired) => {
                    on_start_over.run(Some(problem.to_string()));
                }
                Err(problem) => set_error.set(Some(problem.to_string())),
            }
        }
    });
    let busy = send.pending();

    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        if let Some(method) = chosen.get_untracked() {
            set_error.set(None);
            send.dispatch_local(method);
        }
    };

    let choices = methods
        .into_iter()
        .map(|option| {
            let method = option.method;
            let id = match method {
                Method::Email => "method-email",
                Method::Text => "method-text",
            };
            view! {
                <label class="choice" for=id>
                    <input
                        type="radio"
                        name="method"
                        id=id
                        prop:checked=move || chosen.get() == Some(method)
                        on:change=move |_| chosen.set(Some(method))
                    />
                    <span class="choice-text">
                        <span class="choice-label">{method.label()}</span>
                        <span class="choice-destination">{option.destination}</span>
                    </span>
                </label>
            }
        })
        .collect_view();

    view! {
        <Card title="Choose a Login Method" busy>
            <form on:submit=submit novalidate>
                <fieldset>
                    <legend>"Where should we send your confirmation code?"</legend>
                    {choices}
                </fieldset>
                <ErrorBox message=error />
                <button
                    id="send-code"
                    type="submit"
                    class="primary"
                    disabled=move || busy.get() || chosen.get().is_none()
                >
                    {move || if busy.get() { "Sending code…" } else { "Send Code" }}
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

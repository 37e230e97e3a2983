//! Settings > Options > Two-Factor Authentication, for System Administrators:
//! the account's status, the editor with its one checkbox, and the pop-ups
//! that turn the setting on (explain, choose where the code goes, confirm
//! the code) or off.
//!
//! Nothing changes on the server until the last button of a pop-up; Cancel
//! on any step closes the pop-up and leaves the status and the checkbox as
//! they were.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twofold_shared::admin::{ChangeTwoFactorRequest, Readiness, TwoFactorStatus};
use twofold_shared::api::{MethodOption, SendCodeResponse};
use twofold_shared::policy::CODE_LENGTH;
use twofold_shared::{ConfirmationCode, ErrorCode, Method};

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::components::popup::Popup;
use crate::components::when::readable;
use crate::errors::Problem;

/// What the window shows.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    /// The status and Edit.
    Window,
    /// The checkbox and Save.
    Editor,
    /// The "Enabling Two-Factor Authentication" pop-up, at `EnableStage`.
    Enabling(EnableStage),
    /// The "Disabling Two-Factor Authentication" pop-up.
    Disabling,
}

/// The steps of the enabling pop-up.
#[derive(Clone, Debug, PartialEq)]
enum EnableStage {
    /// What enabling means, and who is not ready.
    Explain,
    /// Where the administrator's code goes.
    ChooseMethod,
    /// The code that was sent.
    EnterCode { sent: SendCodeResponse },
}

/// The two-factor window of the signed-in administrator `admin_id`.
#[component]
pub fn TwoFactor(
    /// The signed-in administrator's user id, to find their own masked
    /// email address and phone among the account's users.
    admin_id: String,
) -> impl IntoView {
    let admin_id = StoredValue::new(admin_id);
    let status = RwSignal::new(None::<TwoFactorStatus>);
    let step = RwSignal::new(Step::Window);
    let wanted = RwSignal::new(false);
    let (error, set_error) = signal(None::<String>);

    let readiness = RwSignal::new(None::<Readiness>);
    let methods = RwSignal::new(Vec::<MethodOption>::new());
    let acknowledged = RwSignal::new(false);
    let chosen = RwSignal::new(None::<Method>);
    let code = RwSignal::new(String::new());
    let locked = RwSignal::new(false);
    let (popup_error, set_popup_error) = signal(None::<String>);

    let load_status = move || {
        spawn_local(async move {
            match api::two_factor_status().await {
                Ok(now) => {
                    wanted.set(now.enabled);
                    status.set(Some(now));
                }
                Err(problem) => set_error.set(Some(problem.to_string())),
            }
        });
    };
    load_status();

    // Back to the window, the checkbox showing the status again.
    let close = move || {
        set_popup_error.set(None);
        code.set(String::new());
        if let Some(now) = status.get_untracked() {
            wanted.set(now.enabled);
        }
        step.set(Step::Window);
    };
    let changed = move |now: TwoFactorStatus| {
        wanted.set(now.enabled);
        status.set(Some(now));
        set_error.set(None);
        close();
    };
    // A refusal in a pop-up: said there; a conflict means the status shown
    // is stale, so it is read again.
    let refused = move |problem: Problem| {
        match problem.code() {
            Some(ErrorCode::AccountLocked) => locked.set(true),
            Some(ErrorCode::Conflict) => load_status(),
            _ => {}
        }
        set_popup_error.set(Some(problem.to_string()));
    };

    let prepare = Action::new_local(move |admin_id: &String| {
        let admin_id = admin_id.clone();
        async move {
            let report = match api::two_factor_readiness().await {
                Ok(report) => report,
                Err(problem) => return refused(problem),
            };
            readiness.set(Some(report));
            match api::users().await {
                Ok(list) => {
                    let own = list.users.into_iter().find(|user| user.id == admin_id);
                    let options: Vec<MethodOption> = own
                        .map(|me| {
                            let email = me.email.map(|destination| MethodOption {
                                method: Method::Email,
                                destination,
                            });
                            let text = me.phone.map(|destination| MethodOption {
                                method: Method::Text,
                                destination,
                            });
                            email.into_iter().chain(text).collect()
                        })
                        .unwrap_or_default();
                    chosen.set(options.first().map(|option| option.method));
                    methods.set(options);
                }
                Err(problem) => refused(problem),
            }
        }
    });
    let send = Action::new_local(move |method: &Method| {
        let method = *method;
        async move {
            match api::send_enabling_code(method).await {
                Ok(sent) => step.set(Step::Enabling(EnableStage::EnterCode { sent })),
                Err(problem) => refused(problem),
            }
        }
    });
    let change = Action::new_local(move |request: &ChangeTwoFactorRequest| {
        let request = request.clone();
        async move {
            match api::change_two_factor(&request).await {
                Ok(now) => changed(now),
                Err(problem) => {
                    code.set(String::new());
                    refused(problem);
                }
            }
        }
    });
    let busy = Signal::derive(move || {
        prepare.pending().get() || send.pending().get() || change.pending().get()
    });

    let save = move |event: SubmitEvent| {
        event.prevent_default();
        let Some(now) = status.get_untracked() else {
            return;
        };
        set_popup_error.set(None);
        match (now.enabled, wanted.get_untracked()) {
            (false, true) => {
                readiness.set(None);
                methods.set(Vec::new());
                acknowledged.set(false);
                locked.set(false);
                step.set(Step::Enabling(EnableStage::Explain));
                prepare.dispatch_local(admin_id.get_value());
            }
            (true, false) => step.set(Step::Disabling),
            // Saved as it is: nothing to ask, nothing to change.
            _ => step.set(Step::Window),
        }
    };
    let confirm = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() || locked.get_untracked() {
            return;
        }
        match ConfirmationCode::parse(&code.get_untracked()) {
            Ok(typed) => {
                set_popup_error.set(None);
                change.dispatch_local(ChangeTwoFactorRequest {
                    enabled: true,
                    code: Some(typed.digits().to_owned()),
                    acknowledge_not_ready: acknowledged.get_untracked(),
                });
            }
            Err(format) => set_popup_error.set(Some(Problem::CodeFormat(format).to_string())),
        }
    };

    let cancel = move || {
        view! {
            <button id="popup-cancel" type="button" class="link" on:click=move |_| close()>
                "Cancel"
            </button>
        }
    };

    let window = move || {
        let Some(now) = status.get() else {
            return view! { <p class="hint">"Loading…"</p> }.into_any();
        };
        let state = if now.enabled { "Enabled" } else { "Disabled" };
        let since = now
            .changed_at
            .map(readable)
            .unwrap_or_else(|| "Never changed".to_owned());
        let by = now.changed_by.unwrap_or_else(|| "—".to_owned());
        view! {
            <dl class="facts">
                <dt>"Status"</dt>
                <dd id="two-factor-status" class:enabled=now.enabled>{state}</dd>
                <dt>"Since"</dt>
                <dd id="two-factor-since">{since}</dd>
                <dt>"Changed by"</dt>
                <dd id="two-factor-by">{by}</dd>
            </dl>
        }
        .into_any()
    };

    let editor = move || {
        (step.get() != Step::Window).then(|| {
            view! {
                <form id="two-factor-editor" class="editor" on:submit=save novalidate>
                    <label class="check" for="enable-two-factor">
                        <input id="enable-two-factor" type="checkbox" bind:checked=wanted />
                        "Enable Two-Factor Authentication"
                    </label>
                    <button id="two-factor-save" type="submit" class="primary" disabled=busy>
                        "Save"
                    </button>
                    <button
                        id="two-factor-editor-cancel"
                        type="button"
                        class="link"
                        on:click=move |_| close()
                    >
                        "Cancel"
                    </button>
                </form>
            }
        })
    };

    let not_ready = move || {
        let Some(report) = readiness.get() else {
            return view! { <p class="hint">"Checking which users are ready…"</p> }.into_any();
        };
        if report.not_ready == 0 {
            return view! {
                <p id="all-ready" class="hint">
                    "Every user has an email address and a mobile phone of their own."
                </p>
            }
            .into_any();
        }
        let count = match report.not_ready {
            1 => "1 user is not ready and will not be able to sign in:".to_owned(),
            n => format!("{n} users are not ready and will not be able to sign in:"),
        };
        let practices = report
            .practices
            .into_iter()
            .map(|practice| {
                let users = practice
                    .users
                    .into_iter()
                    .map(|user| {
                        let lacks = user
                            .problems
                            .iter()
                            .map(|problem| problem.label())
                            .collect::<Vec<_>>()
                            .join(", ");
                        let key = user.username.clone();
                        view! {
                            <li data-username=key>
                                <span class="who">{user.name} " (" {user.username} ")"</span>
                                ": "
                                <span class="lacks">{lacks}</span>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <h3>{practice.practice.name}</h3>
                    <ul>{users}</ul>
                }
            })
            .collect_view();
        view! {
            <div id="not-ready" class="not-ready">
                <p>{count}</p>
                {practices}
                <label class="check" for="acknowledge-not-ready">
                    <input
                        id="acknowledge-not-ready"
                        type="checkbox"
                        bind:checked=acknowledged
                    />
                    "I understand that these users will not be able to sign in until their \
                     contact details are complete."
                </label>
            </div>
        }
        .into_any()
    };
    let may_continue = move || {
        readiness
            .get()
            .is_some_and(|report| report.not_ready == 0 || acknowledged.get())
    };

    let choices = move || {
        let options = methods.get();
        if options.is_empty() && !prepare.pending().get() {
            return view! {
                <p class="hint">
                    "You have no email address or mobile phone to receive a code. \
                     Add one in the Users view first."
                </p>
            }
            .into_any();
        }
        options
            .into_iter()
            .map(|option| {
                let method = option.method;
                let id = match method {
                    Method::Email => "enable-method-email",
                    Method::Text => "enable-method-text",
                };
                let label = match method {
                    Method::Email => "Email Address",
                    Method::Text => "Text Message",
                };
                view! {
                    <label class="choice" for=id>
                        <input
                            type="radio"
                            name="enable-method"
                            id=id
                            prop:checked=move || chosen.get() == Some(method)
                            on:change=move |_| chosen.set(Some(method))
                        />
                        <span class="choice-text">
                            <span class="choice-label">{label}</span>
                            <span class="choice-destination">{option.destination}</span>
                        </span>
                    </label>
                }
            })
            .collect_view()
            .into_any()
    };

    let popup = move || match step.get() {
        Step::Window | Step::Editor => None,
        Step::Disabling => Some(
            view! {
                <Popup id="disable-popup" title="Disabling Two-Factor Authentication">
                    <p>
                        "Users of every practice in this account will sign in with their \
                         username and password only. No confirmation code will be asked for."
                    </p>
                    <ErrorBox id="popup-error" message=popup_error />
                    <div class="actions">
                        <button
                            id="disable-confirm"
                            type="button"
                            class="primary danger"
                            disabled=busy
                            on:click=move |_| {
                                set_popup_error.set(None);
                                change.dispatch_local(ChangeTwoFactorRequest {
                                    enabled: false,
                                    code: None,
                                    acknowledge_not_ready: false,
                                });
                            }
                        >
                            {move || if change.pending().get() { "Disabling…" } else { "Disable" }}
                        </button>
                        {cancel()}
                    </div>
                </Popup>
            }
            .into_any(),
        ),
        Step::Enabling(stage) => {
            let body = match stage {
                EnableStage::Explain => view! {
                    <p>
                        "Every user of every practice in this account will need a confirmation \
                         code, sent by email or text message, each time they sign in."
                    </p>
                    {not_ready}
                    <ErrorBox id="popup-error" message=popup_error />
                    <div class="actions">
                        <button
                            id="enable-continue"
                            type="button"
                            class="primary"
                            disabled=move || busy.get() || !may_continue()
                            on:click=move |_| {
                                set_popup_error.set(None);
                                step.set(Step::Enabling(EnableStage::ChooseMethod));
                            }
                        >
                            "Continue"
                        </button>
                        {cancel()}
                    </div>
                }
                .into_any(),
                EnableStage::ChooseMethod => view! {
                    <form
                        on:submit=move |event: SubmitEvent| {
                            event.prevent_default();
                            if let Some(method) = chosen.get_untracked()
                                && !busy.get_untracked()
                            {
                                set_popup_error.set(None);
                                send.dispatch_local(method);
                            }
                        }
                        novalidate
                    >
                        <fieldset>
                            <legend>"Where should we send your confirmation code?"</legend>
                            {choices}
                        </fieldset>
                        <ErrorBox id="popup-error" message=popup_error />
                        <div class="actions">
                            <button
                                id="enable-send-code"
                                type="submit"
                                class="primary"
                                disabled=move || busy.get() || chosen.get().is_none()
                            >
                                {move || if send.pending().get() { "Sending code…" } else { "Continue" }}
                            </button>
                            {cancel()}
                        </div>
                    </form>
                }
                .into_any(),
                EnableStage::EnterCode { sent } => {
                    let how = match sent.method {
                        Method::Email => "We emailed a confirmation code to ",
                        Method::Text => "We texted a confirmation code to ",
                    };
                    let minutes = (sent.expires_in_seconds + 59) / 60;
                    view! {
                        <p id="enable-sent-to" class="hint">
                            {how} <strong class="destination">{sent.destination}</strong>
                            ". It expires in " {minutes} " minutes."
                        </p>
                        <form on:submit=confirm novalidate>
                            <label for="enable-code">"Confirmation Code"</label>
                            <input
                                id="enable-code"
                                name="enable-code"
                                type="text"
                                class="code"
                                inputmode="numeric"
                                autocomplete="one-time-code"
                                maxlength=CODE_LENGTH + 1
                                required
                                autofocus
                                disabled=move || locked.get()
                                bind:value=code
                            />
                            <ErrorBox id="popup-error" message=popup_error />
                            <div class="actions">
                                <button
                                    id="enable-confirm"
                                    type="submit"
                                    class="primary"
                                    disabled=move || busy.get() || locked.get()
                                >
                                    {move || {
                                        if change.pending().get() { "Confirming…" } else { "Confirm" }
                                    }}
                                </button>
                                {cancel()}
                            </div>
                        </form>
                    }
                    .into_any()
                }
            };
            Some(
                view! {
                    <Popup id="enable-popup" title="Enabling Two-Factor Authentication">
                        {body}
                    </Popup>
                }
                .into_any(),
            )
        }
    };

    view! {
        <section id="two-factor-window" class="window" aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">"Two-Factor Authentication"</h2>
            {window}
            <ErrorBox id="two-factor-error" message=error />
            {move || {
                (step.get() == Step::Window)
                    .then(|| {
                        view! {
                            <button
                                id="two-factor-edit"
                                type="button"
                                class="primary"
                                disabled=move || status.get().is_none()
                                on:click=move |_| step.set(Step::Editor)
                            >
                                "Edit"
                            </button>
                        }
                    })
            }}
            {editor}
            {popup}
        </section>
    }
}

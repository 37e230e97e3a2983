//! Settings > Users: every user of the account, with contacts masked until
//! revealed, Active or Locked (locked rows marked), and whether each is ready
//! for two-factor authentication. Each row edits its user's email address
//! and mobile phone; a locked row can be reactivated.
//!
//! The list is the server's: after any change the changed row is replaced by
//! the row the server answered with, never patched here.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::task::spawn_local;
use twofold_shared::admin::{ContactDetails, UpdateContactRequest, UserState, UserSummary};
use twofold_shared::api::PracticeInfo;

use crate::api;
use crate::components::error_box::ErrorBox;
use crate::errors::Problem;
use crate::pages::add_user::AddUser;

/// `#users-view`.
#[component]
pub fn Users(
    /// The account's practices, offered when adding a user.
    practices: Vec<PracticeInfo>,
) -> impl IntoView {
    let users = RwSignal::new(None::<Vec<UserSummary>>);
    let (error, set_error) = signal(None::<String>);
    spawn_local(async move {
        match api::users().await {
            Ok(list) => users.set(Some(list.users)),
            Err(problem) => set_error.set(Some(problem.to_string())),
        }
    });
    let replace = Callback::new(move |row: UserSummary| {
        users.update(|list| {
            if let Some(list) = list
                && let Some(old) = list.iter_mut().find(|old| old.id == row.id)
            {
                *old = row;
            }
        });
    });
    let added = Callback::new(move |row: UserSummary| {
        users.update(|list| {
            if let Some(list) = list {
                list.push(row);
                list.sort_by(|a, b| a.name.cmp(&b.name));
            }
        });
    });

    let rows = move || {
        let Some(list) = users.get() else {
            return view! {
                <tr>
                    <td colspan="9" class="hint">"Loading…"</td>
                </tr>
            }
            .into_any();
        };
        list.into_iter()
            .map(|user| view! { <UserRow user on_changed=replace /> })
            .collect_view()
            .into_any()
    };

    view! {
        <section id="users-view" class="window" aria-labelledby="users-heading">
            <h2 id="users-heading">"Users"</h2>
            <ErrorBox id="users-error" message=error />
            <div class="table-scroll">
                <table class="users">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Username"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col">"Practices"</th>
                            <th scope="col">"Email"</th>
                            <th scope="col">"Mobile phone"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Two-factor"</th>
                            <th scope="col">"Actions"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <AddUser practices on_added=added />
        </section>
    }
}

/// One user's row, and below it the contact editor when it is open.
#[component]
fn UserRow(
    /// The row as the server sent it.
    user: UserSummary,
    /// The server answered a change with this new row.
    on_changed: Callback<UserSummary>,
) -> impl IntoView {
    let revealed = RwSignal::new(None::<ContactDetails>);
    let editing = RwSignal::new(false);
    let (error, set_error) = signal(None::<String>);
    let id = user.id.clone();

    let reveal = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            match api::reveal_contact(&id).await {
                Ok(details) => revealed.set(Some(details)),
                Err(problem) => set_error.set(Some(problem.to_string())),
            }
        }
    });
    let reactivate = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            match api::reactivate(&id).await {
                Ok(row) => on_changed.run(row),
                Err(problem) => set_error.set(Some(problem.to_string())),
            }
        }
    });

    let locked = user.status == UserState::Locked;
    let username = user.username.clone();
    let practices = user
        .practices
        .iter()
        .map(|practice| practice.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let readiness = if user.problems.is_empty() {
        "Ready".to_owned()
    } else {
        user.problems
            .iter()
            .map(|problem| problem.label())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let masked_email = user.email.clone();
    let masked_phone = user.phone.clone();
    let email = move || match revealed.get() {
        Some(details) => details.email,
        None => masked_email.clone(),
    };
    let phone = move || match revealed.get() {
        Some(details) => details.phone,
        None => masked_phone.clone(),
    };
    let none = || "—".to_owned();

    let reveal_id = id.clone();
    let reactivate_id = id.clone();
    let reactivate_button = locked.then(|| {
        view! {
            <button
                id=format!("reactivate-{username}")
                type="button"
                class="small primary"
                data-user=username.clone()
                disabled=move || reactivate.pending().get()
                on:click=move |_| {
                    set_error.set(None);
                    reactivate.dispatch_local(reactivate_id.clone());
                }
            >
                "Reactivate"
            </button>
        }
    });
    let editor = {
        let user = user.clone();
        move || {
            editing.get().then(|| {
                view! {
                    <tr class="contact-editor-row">
                        <td colspan="9">
                            <ContactEditor
                                user=user.clone()
                                on_saved=Callback::new(move |row: UserSummary| {
                                    editing.set(false);
                                    on_changed.run(row);
                                })
                                on_cancel=Callback::new(move |()| editing.set(false))
                            />
                        </td>
                    </tr>
                }
            })
        }
    };

    view! {
        <tr
            id=format!("user-{}", user.username)
            class="user-row"
            class:locked=locked
            data-username=user.username.clone()
        >
            <td class="name">{user.name.clone()}</td>
            <td class="username">{user.username.clone()}</td>
            <td class="role">{user.role.label()}</td>
            <td class="practices">{practices}</td>
            <td class="email">{move || email().unwrap_or_else(none)}</td>
            <td class="phone">{move || phone().unwrap_or_else(none)}</td>
            <td class="status">
                {if locked {
                    view! { <span class="badge locked">"Locked"</span> }.into_any()
                } else {
                    view! { <span class="badge active">"Active"</span> }.into_any()
                }}
            </td>
            <td class="readiness" class:not-ready=!user.problems.is_empty()>{readiness}</td>
            <td class="actions">
                <button
                    id=format!("reveal-{}", user.username)
                    type="button"
                    class="small"
                    disabled=move || revealed.get().is_some() || reveal.pending().get()
                    on:click=move |_| {
                        set_error.set(None);
                        reveal.dispatch_local(reveal_id.clone());
                    }
                >
                    "Reveal"
                </button>
                <button
                    id=format!("edit-contact-{}", user.username)
                    type="button"
                    class="small"
                    on:click=move |_| editing.update(|open| *open = !*open)
                >
                    "Edit contact"
                </button>
                {reactivate_button}
                <div class="error" role="alert">{move || error.get()}</div>
            </td>
        </tr>
        {editor}
    }
}

/// A user's email address and mobile phone, each with its own error.
#[component]
fn ContactEditor(
    /// Whose contact details.
    user: UserSummary,
    /// Saved: the new row.
    on_saved: Callback<UserSummary>,
    /// Closed without saving.
    on_cancel: Callback<()>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let loaded = RwSignal::new(false);
    let id = user.id.clone();
    let username = user.username.clone();

    // The editor starts from the full values, so saving one field does not
    // remove the other.
    {
        let id = id.clone();
        spawn_local(async move {
            match api::reveal_contact(&id).await {
                Ok(details) => {
                    email.set(details.email.unwrap_or_default());
                    phone.set(details.phone.unwrap_or_default());
                    loaded.set(true);
                }
                Err(refused) => problem.set(Some(refused)),
            }
        });
    }

    let save = Action::new_local(move |request: &(String, UpdateContactRequest)| {
        let (id, request) = request.clone();
        async move {
            match api::update_contact(&id, &request).await {
                Ok(row) => on_saved.run(row),
                Err(refused) => problem.set(Some(refused)),
            }
        }
    });
    let busy = save.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() || !loaded.get_untracked() {
            return;
        }
        problem.set(None);
        let given = |value: String| {
            let value = value.trim().to_owned();
            (!value.is_empty()).then_some(value)
        };
        save.dispatch_local((
            id.clone(),
            UpdateContactRequest {
                email: given(email.get_untracked()),
                phone: given(phone.get_untracked()),
            },
        ));
    };
    let field_error =
        move |name: &'static str| move || problem.get().and_then(|problem| problem.field(name));
    let general = Signal::derive(move || problem.get().map(|problem| problem.for_form()));
    let email_id = format!("contact-email-{username}");
    let phone_id = format!("contact-phone-{username}");
    let (email_for, phone_for) = (email_id.clone(), phone_id.clone());

    view! {
        <form class="contact-editor" on:submit=submit novalidate>
            <div class="field">
                <label for=email_for>"Email address"</label>
                <input id=email_id type="email" autocomplete="off" bind:value=email />
                <p class="field-error" data-field="email">{field_error("email")}</p>
            </div>
            <div class="field">
                <label for=phone_for>"Mobile phone"</label>
                <input id=phone_id type="tel" autocomplete="off" bind:value=phone />
                <p class="field-error" data-field="phone">{field_error("phone")}</p>
            </div>
            <div class="error" role="alert">{move || general.get()}</div>
            <div class="actions">
                <button
                    id=format!("contact-save-{username}")
                    type="submit"
                    class="primary small"
                    disabled=move || busy.get() || !loaded.get()
                >
                    {move || if busy.get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" class="link" on:click=move |_| on_cancel.run(())>
                    "Cancel"
                </button>
            </div>
        </form>
    }
}

//! Settings > Users > Add user: the new user's details and an initial
//! password, which the user must replace at their first sign-in. Each field
//! shows the server's problem with it beside it.

use std::collections::BTreeSet;

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use twofold_shared::admin::{CreateUserRequest, UserSummary};
use twofold_shared::api::{Password, PracticeInfo, Role};

use crate::api;
use crate::errors::Problem;

/// `#add-user`.
#[component]
pub fn AddUser(
    /// The account's practices to choose from.
    practices: Vec<PracticeInfo>,
    /// The server added this user.
    on_added: Callback<UserSummary>,
) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let administrator = RwSignal::new(false);
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let email = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<Problem>);
    let (notice, set_notice) = signal(None::<String>);

    let add = Action::new_local(move |request: &CreateUserRequest| {
        let request = request.clone();
        async move {
            match api::add_user(&request).await {
                Ok(row) => {
                    set_notice.set(Some(format!("{} was added.", row.name)));
                    for field in [username, name, email, phone, password] {
                        field.set(String::new());
                    }
                    administrator.set(false);
                    chosen.set(BTreeSet::new());
                    on_added.run(row);
                }
                Err(refused) => problem.set(Some(refused)),
            }
        }
    });
    let busy = add.pending();
    let submit = move |event: SubmitEvent| {
        event.prevent_default();
        if busy.get_untracked() {
            return;
        }
        problem.set(None);
        set_notice.set(None);
        let given = |value: String| {
            let value = value.trim().to_owned();
            (!value.is_empty()).then_some(value)
        };
        add.dispatch_local(CreateUserRequest {
            username: username.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
            role: if administrator.get_untracked() {
                Role::SystemAdministrator
            } else {
                Role::User
            },
            practice_ids: chosen.get_untracked().into_iter().collect(),
            email: given(email.get_untracked()),
            phone: given(phone.get_untracked()),
            initial_password: Password(password.get_untracked()),
        });
    };
    let field_error = move |field: &'static str| {
        view! {
            <p class="field-error" id=format!("new-{field}-error") data-field=field>
                {move || problem.get().and_then(|problem| problem.field(field))}
            </p>
        }
    };
    let text_field = move |id: &'static str,
                           label: &'static str,
                           kind: &'static str,
                           value: RwSignal<String>,
                           field: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type=kind autocomplete="off" bind:value=value />
                {field_error(field)}
            </div>
        }
    };
    let practice_choices = practices
        .into_iter()
        .map(|practice| {
            let id = format!("new-practice-{}", practice.id);
            let for_id = id.clone();
            let practice_id = practice.id.clone();
            let checked = {
                let practice_id = practice_id.clone();
                move || chosen.get().contains(&practice_id)
            };
            view! {
                <label class="check" for=for_id>
                    <input
                        id=id
                        type="checkbox"
                        prop:checked=checked
                        on:change=move |_| {
                            chosen.update(|set| {
                                if !set.remove(&practice_id) {
                                    set.insert(practice_id.clone());
                                }
                            })
                        }
                    />
                    {practice.name}
                </label>
            }
        })
        .collect_view();

    view! {
        <form id="add-user" class="add-user" on:submit=submit novalidate>
            <h3>"Add user"</h3>
            <div class="fields">
                {text_field("new-username", "Username", "text", username, "username")}
                {text_field("new-name", "Full name", "text", name, "name")}
                <div class="field">
                    <label for="new-role">"Role"</label>
                    <select
                        id="new-role"
                        on:change=move |event| {
                            administrator.set(event_target_value(&event) == "system_administrator")
                        }
                    >
                        <option value="user" selected=move || !administrator.get()>
                            {Role::User.label()}
                        </option>
                        <option
                            value="system_administrator"
                            selected=move || administrator.get()
                        >
                            {Role::SystemAdministrator.label()}
                        </option>
                    </select>
                    {field_error("role")}
                </div>
                <fieldset class="field">
                    <legend>"Practices"</legend>
                    {practice_choices}
                    {field_error("practice_ids")}
                </fieldset>
                {text_field("new-email", "Email address", "email", email, "email")}
                {text_field("new-phone", "Mobile phone", "tel", phone, "phone")}
                {text_field(
                    "new-password",
                    "Initial password",
                    "password",
                    password,
                    "initial_password",
                )}
            </div>
            <p class="hint">"The user chooses a new password at their first sign-in."</p>
            <div id="add-user-error" class="error" role="alert">
                {move || problem.get().map(|problem| problem.for_form())}
            </div>
            <p id="add-user-notice" class="notice" role="status">{move || notice.get()}</p>
            <button id="add-user-save" type="submit" class="primary" disabled=busy>
                {move || if busy.get() { "Adding…" } else { "Add user" }}
            </button>
        </form>
    }
}

//! Settings, for System Administrators: Options (the two-factor window) and
//! Users. The server refuses anyone else whatever this page shows; the home
//! page offers Settings only to administrators.

use leptos::prelude::*;
use twofold_shared::api::SessionInfo;

use crate::components::card::Card;
use crate::pages::two_factor::TwoFactor;
use crate::pages::users::Users;

/// The parts of Settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tab {
    Options,
    Users,
}

/// `#settings`, opened on Options.
#[component]
pub fn Settings(
    /// Who is signed in.
    session: SessionInfo,
    /// Back to the signed-in home.
    on_back: Callback<()>,
) -> impl IntoView {
    let tab = RwSignal::new(Tab::Options);
    let admin_id = session.user.id.clone();
    let practices = session.practices.clone();
    let tab_button = move |id: &'static str, label: &'static str, which: Tab| {
        view! {
            <button
                id=id
                type="button"
                role="tab"
                class="tab"
                aria-selected=move || (tab.get() == which).to_string()
                on:click=move |_| tab.set(which)
            >
                {label}
            </button>
        }
    };

    view! {
        <Card title="Settings" wide=true>
            <section id="settings">
                <nav class="tabs" role="tablist">
                    {tab_button("settings-options", "Options", Tab::Options)}
                    {tab_button("settings-users", "Users", Tab::Users)}
                </nav>
                {move || match tab.get() {
                    Tab::Options => view! { <TwoFactor admin_id=admin_id.clone() /> }.into_any(),
                    Tab::Users => view! { <Users practices=practices.clone() /> }.into_any(),
                }}
            </section>
            <button id="settings-back" type="button" class="link" on:click=move |_| on_back.run(())>
                "Back to home"
            </button>
        </Card>
    }
}

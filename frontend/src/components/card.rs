//! The centred card every screen sits in, with the product name above its
//! title so a person always knows where they are signing in.

use leptos::prelude::*;

/// A titled card. `busy` marks the card for assistive technology while a
/// request it started is on its way.
#[component]
pub fn Card(
    /// The screen's heading.
    title: &'static str,
    /// Whether the card is waiting for the server.
    #[prop(into, optional)]
    busy: Signal<bool>,
    /// Whether the card holds a table and takes the page's width.
    #[prop(optional)]
    wide: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <main class="card" class:wide=wide aria-busy=move || busy.get().to_string()>
            <p class="brand">"Twofold"</p>
            <h1>{title}</h1>
            {children()}
        </main>
    }
}

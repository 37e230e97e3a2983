//! A pop-up window over the page, for a decision that must be made before
//! anything else: it holds the focus of the page until it is closed.

use leptos::prelude::*;

/// A modal dialog with a heading; its buttons are the caller's.
#[component]
pub fn Popup(
    /// The dialog's element id.
    id: &'static str,
    /// The heading.
    title: &'static str,
    children: Children,
) -> impl IntoView {
    let heading = format!("{id}-title");
    let labelled_by = heading.clone();
    view! {
        <div class="overlay">
            <section id=id class="popup" role="dialog" aria-modal="true" aria-labelledby=labelled_by>
                <h2 id=heading>{title}</h2>
                {children()}
            </section>
        </div>
    }
}

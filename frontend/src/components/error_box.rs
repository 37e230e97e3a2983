//! The one box where a page shows what went wrong.
//!
//! The box is always in the page, empty when all is well, so that screen
//! readers announce a message the moment it appears in it.

use leptos::prelude::*;

/// `#error`: shows `message` when there is one.
#[component]
pub fn ErrorBox(
    /// The sentence to show, from [`crate::errors`].
    #[prop(into)]
    message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <div id="error" class="error" role="alert" aria-live="assertive">
            {move || message.get()}
        </div>
    }
}

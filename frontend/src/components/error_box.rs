//! The one box where a page shows what went wrong.
//!
//! The box is always in the page, empty when all is well, so that screen
//! readers announce a message the moment it appears in it.

use leptos::prelude::*;

/// `#error` (or another `id` where a page has more than one box): shows
/// `message` when there is one.
#[component]
pub fn ErrorBox(
    /// The sentence to show, from [`crate::errors`].
    #[prop(into)]
    message: Signal<Option<String>>,
    /// The box's element id.
    #[prop(default = "error")]
    id: &'static str,
) -> impl IntoView {
    view! {
        <div id=id class="error" role="alert" aria-live="assertive">
            {move || message.get()}
        </div>
    }
}

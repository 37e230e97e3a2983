//! Pieces shared by more than one page.

pub mod card;
pub mod clock;
pub mod error_box;
pub mod popup;
pub mod when;

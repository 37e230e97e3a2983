//! One module per screen.

pub mod change_password;
pub mod choose_method;
pub mod enter_code;
pub mod home;
pub mod sign_in;

//! One module per screen.

pub mod add_user;
pub mod change_password;
pub mod choose_method;
pub mod enter_code;
pub mod home;
pub mod settings;
pub mod sign_in;
pub mod two_factor;
pub mod users;

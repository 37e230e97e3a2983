//! Request and response bodies of the HTTP API, shared by the functions that
//! answer and the SPA that asks. Paths are listed in [`paths`].

use serde::{Deserialize, Serialize};

use crate::contact::Method;

/// The API's paths, relative to the site's origin.
pub mod paths {
    /// `POST`: username and password.
    pub const LOGIN: &str = "/api/auth/login";
    /// `POST`: send a confirmation code by the chosen method.
    pub const CODE: &str = "/api/auth/code";
    /// `POST`: check a confirmation code and start a session.
    pub const VERIFY: &str = "/api/auth/verify";
    /// `GET`: who is signed in.
    pub const SESSION: &str = "/api/auth/session";
    /// `POST`: end the session.
    pub const LOGOUT: &str = "/api/auth/logout";
    /// `POST`: choose a new password when the current one was an initial
    /// password set by an administrator.
    pub const PASSWORD: &str = "/api/auth/password";
}

/// How many characters a username may have.
pub const USERNAME_CHARS: std::ops::RangeInclusive<usize> = 3..=64;

/// `POST /api/auth/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user's username, compared without regard to case.
    pub username: String,
    /// The user's password.
    pub password: Password,
}

/// A password on its way in; its `Debug` hides it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The answer to a correct username and password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LoginResponse {
    /// Two-factor authentication is off for the account: signed in.
    SignedIn {
        /// Who is now signed in.
        session: SessionInfo,
    },
    /// The password was an initial one: a new one must be chosen, with
    /// `POST /api/auth/password`, before signing in goes on.
    PasswordChangeRequired {
        /// Seconds the pending sign-in lasts.
        expires_in_seconds: i64,
    },
    /// A code is needed; the user picks where it goes.
    CodeRequired {
        /// The methods this user can use, with masked destinations.
        methods: Vec<MethodOption>,
        /// Seconds the pending sign-in lasts.
        expires_in_seconds: i64,
    },
}

/// `POST /api/auth/password`: the answer is a [`LoginResponse`], as if the
/// user had signed in with the new password.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    /// The new password: at least [`crate::policy::MIN_PASSWORD_LENGTH`]
    /// characters.
    pub new_password: Password,
}

/// One way to receive a code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodOption {
    /// Email or text.
    pub method: Method,
    /// The masked address or number.
    pub destination: String,
}

/// `POST /api/auth/code`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendCodeRequest {
    /// Where the code should go.
    pub method: Method,
}

/// A code was sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendCodeResponse {
    /// How it was sent.
    pub method: Method,
    /// Where it went, masked.
    pub destination: String,
    /// Seconds until the code expires.
    pub expires_in_seconds: i64,
    /// Seconds until another code may be asked for.
    pub resend_after_seconds: i64,
}

/// `POST /api/auth/verify`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The code as typed; spaces and dashes are forgiven.
    pub code: String,
}

/// The code was right: signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyResponse {
    /// Who is now signed in.
    pub session: SessionInfo,
}

/// Who is signed in, to which account, with which practices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The signed-in user.
    pub user: UserInfo,
    /// The account the user belongs to.
    pub account: AccountInfo,
    /// The practices of the account the user works in.
    pub practices: Vec<PracticeInfo>,
    /// Unix time, in seconds, when the session ends.
    pub expires_at: i64,
}

/// A user as the user may see themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// Stable identifier.
    pub id: String,
    /// Username.
    pub username: String,
    /// Full name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
}

/// What a user may do in the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the account's settings and users.
    SystemAdministrator,
    /// Works in one or more practices.
    User,
}

impl Role {
    /// The name a person sees.
    pub fn label(self) -> &'static str {
        match self {
            Role::SystemAdministrator => "System Administrator",
            Role::User => "User",
        }
    }
}

/// An account: one customer, several practices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    /// Stable identifier.
    pub id: String,
    /// The account's name.
    pub name: String,
    /// Whether every user of the account needs a code to sign in.
    pub two_factor_enabled: bool,
}

/// A practice of an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeInfo {
    /// Stable identifier.
    pub id: String,
    /// The practice's name.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_responses_are_tagged_by_status() {
        let response = LoginResponse::CodeRequired {
            methods: vec![MethodOption {
                method: Method::Text,
                destination: "•••-•••-0123".into(),
            }],
            expires_in_seconds: 1200,
        };
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["status"], "code_required");
        assert_eq!(json["methods"][0]["method"], "text");
    }

    #[test]
    fn unknown_fields_are_refused() {
        let parsed = serde_json::from_str::<VerifyRequest>(r#"{"code":"1","extra":1}"#);
        assert!(parsed.is_err());
    }

    #[test]
    fn password_debug_hides_the_password() {
        let request: LoginRequest =
            serde_json::from_str(r#"{"username":"ann","password":"hunter2"}"#).unwrap();
        assert!(!format!("{request:?}").contains("hunter2"));
    }
}

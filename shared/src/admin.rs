//! The System Administrator's API: the account's two-factor setting and the
//! users view. Every endpoint here refuses anyone but a System Administrator
//! of the account concerned.

use serde::{Deserialize, Serialize};

use crate::api::{PracticeInfo, Role};
use crate::contact::Method;

/// Paths of the administrator's API.
pub mod paths {
    /// `GET`: the account's 2FA status. `PUT`: change it.
    pub const TWO_FACTOR: &str = "/api/settings/two-factor";
    /// `GET`: users who could not sign in with 2FA on, by practice.
    pub const TWO_FACTOR_READINESS: &str = "/api/settings/two-factor/readiness";
    /// `POST`: send the administrator a code that turns 2FA on.
    pub const TWO_FACTOR_CODE: &str = "/api/settings/two-factor/code";
    /// `GET`: every user of the account. `POST`: add a user.
    pub const USERS: &str = "/api/users";
    /// Prefix of `/api/users/{id}/contact` (`GET` reveals, `PUT` changes)
    /// and `/api/users/{id}/reactivate` (`POST`).
    pub const USER_PREFIX: &str = "/api/users/";
}

/// The account's two-factor setting as the Options window shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    /// Whether every user needs a code to sign in.
    pub enabled: bool,
    /// Unix time of the last change, if any.
    pub changed_at: Option<i64>,
    /// Name of who made the last change, if any.
    pub changed_by: Option<String>,
}

/// `PUT /api/settings/two-factor`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeTwoFactorRequest {
    /// The wanted state.
    pub enabled: bool,
    /// The administrator's confirmation code; required to enable.
    #[serde(default)]
    pub code: Option<String>,
    /// That users who are not ready will not be able to sign in; required to
    /// enable while any user is not ready.
    #[serde(default)]
    pub acknowledge_not_ready: bool,
}

/// `POST /api/settings/two-factor/code`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwoFactorCodeRequest {
    /// Where the administrator's code goes.
    pub method: Method,
}

/// Why a user could not pass a code challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadinessProblem {
    /// No email address.
    NoEmail,
    /// No mobile phone.
    NoMobilePhone,
    /// Another user has the same email address.
    SharedEmail,
    /// Another user has the same mobile phone.
    SharedMobilePhone,
}

impl ReadinessProblem {
    /// What a person reads.
    pub fn label(self) -> &'static str {
        match self {
            ReadinessProblem::NoEmail => "No email address",
            ReadinessProblem::NoMobilePhone => "No mobile phone",
            ReadinessProblem::SharedEmail => "Email address shared with another user",
            ReadinessProblem::SharedMobilePhone => "Mobile phone shared with another user",
        }
    }
}

/// Users who are not ready, by practice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// Practices that have at least one user who is not ready.
    pub practices: Vec<PracticeReadiness>,
    /// How many users of the account are not ready.
    pub not_ready: usize,
}

/// One practice's users who are not ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeReadiness {
    /// The practice.
    pub practice: PracticeInfo,
    /// Its users who are not ready.
    pub users: Vec<NotReadyUser>,
}

/// A user who is not ready, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotReadyUser {
    /// User id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Username.
    pub username: String,
    /// What the user lacks.
    pub problems: Vec<ReadinessProblem>,
}

/// Whether a user may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserState {
    /// May sign in.
    Active,
    /// Locked after too many wrong codes.
    Locked,
}

/// One row of the users view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    /// User id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Practices the user works in.
    pub practices: Vec<PracticeInfo>,
    /// Masked email address, if any.
    pub email: Option<String>,
    /// Masked mobile phone, if any.
    pub phone: Option<String>,
    /// Active or locked.
    pub status: UserState,
    /// Empty when the user is ready for 2FA.
    pub problems: Vec<ReadinessProblem>,
}

/// `GET /api/users`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersResponse {
    /// Every user of the account, by name.
    pub users: Vec<UserSummary>,
}

/// A user's full contact details, revealed on request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactDetails {
    /// Email address, canonical.
    pub email: Option<String>,
    /// Mobile phone, E.164.
    pub phone: Option<String>,
}

/// `PUT /api/users/{id}/contact`. An empty or missing field removes it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateContactRequest {
    /// New email address.
    #[serde(default)]
    pub email: Option<String>,
    /// New mobile phone, in any common writing.
    #[serde(default)]
    pub phone: Option<String>,
}

/// `POST /api/users`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    /// Username, unique in the system.
    pub username: String,
    /// Full name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Practices of the account the user works in.
    pub practice_ids: Vec<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Mobile phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// The password the user signs in with once, then must change.
    pub initial_password: crate::api::Password,
}

/// One field's problem, so a form can show it beside the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    /// The request field, e.g. `email`.
    pub field: String,
    /// Text for a person.
    pub message: String,
}

//! The records Twofold keeps: accounts, practices, users, pending sign-ins,
//! confirmation-code challenges and sessions.
//!
//! Times are Unix seconds. Everything that expires carries `expires_at`,
//! and every read compares it with the clock: the table's TTL removes items
//! only eventually.

use twofold_shared::api::Role;
use twofold_shared::{Email, Method, Phone};

/// One customer: several practices, many users, one 2FA switch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Stable identifier.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Whether every user needs a code to sign in.
    pub two_factor_enabled: bool,
}

/// A practice of an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Practice {
    /// Stable identifier.
    pub id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Display name.
    pub name: String,
}

/// Whether a user may sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// Locked after too many wrong codes, until reactivated.
    Locked,
}

impl UserStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Locked => "locked",
        }
    }

    /// Reads the stored form.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "active" => Some(UserStatus::Active),
            "locked" => Some(UserStatus::Locked),
            _ => None,
        }
    }
}

/// A person who signs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Stable identifier: letters, digits and dashes.
    pub id: String,
    /// The account the user belongs to.
    pub account_id: String,
    /// Username as entered at creation; compared lower-cased.
    pub username: String,
    /// Full name.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// Practices the user works in.
    pub practice_ids: Vec<String>,
    /// Where email codes go.
    pub email: Option<Email>,
    /// Where text codes go.
    pub phone: Option<Phone>,
    /// Argon2id hash in PHC string form.
    pub password_hash: String,
    /// Active or locked.
    pub status: UserStatus,
    /// Consecutive wrong codes since the last right one.
    pub failed_attempts: u32,
    /// Whether the password is an initial one the user must change.
    pub must_change_password: bool,
}

impl User {
    /// The methods this user can receive a code by, email first.
    pub fn methods(&self) -> Vec<Method> {
        let mut methods = Vec::with_capacity(2);
        if self.email.is_some() {
            methods.push(Method::Email);
        }
        if self.phone.is_some() {
            methods.push(Method::Text);
        }
        methods
    }

    /// The masked destination for `method`, if the user has one.
    pub fn masked_destination(&self, method: Method) -> Option<String> {
        match method {
            Method::Email => self.email.as_ref().map(Email::masked),
            Method::Text => self.phone.as_ref().map(Phone::masked),
        }
    }
}

/// What a confirmation code is for. A code for one purpose never serves
/// another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The second step of signing in.
    SignIn,
    /// A System Administrator turning on 2FA for the account.
    EnableTwoFactor,
}

impl Purpose {
    /// The stored form, also bound into the code's digest.
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign_in",
            Purpose::EnableTwoFactor => "enable_two_factor",
        }
    }
}

/// Password accepted, code not yet entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingSignIn {
    /// Digest of the pending token.
    pub token_digest: String,
    /// Who is signing in.
    pub user_id: String,
    /// When it stops being usable.
    pub expires_at: i64,
    /// Whether it waits for a new password (after an initial one) rather
    /// than for a code: such a sign-in can do nothing else.
    pub password_change: bool,
}

/// The current confirmation code of one user for one purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    /// Whose code it is.
    pub user_id: String,
    /// What it is for.
    pub purpose: Purpose,
    /// HMAC of the code; the code itself is never stored.
    pub digest: String,
    /// What the code was bound to (the pending sign-in's token digest).
    pub binding: String,
    /// How it was sent.
    pub method: Method,
    /// When it was sent.
    pub issued_at: i64,
    /// When it stops being usable.
    pub expires_at: i64,
    /// Start of the current sending window.
    pub window_start: i64,
    /// Codes sent in the current window, this one included.
    pub window_sends: u32,
}

/// A signed-in browser.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Digest of the session token.
    pub token_digest: String,
    /// Who is signed in.
    pub user_id: String,
    /// The user's account.
    pub account_id: String,
    /// Whether a code was passed to start it.
    pub second_factor: bool,
    /// When it started.
    pub created_at: i64,
    /// When it ends.
    pub expires_at: i64,
}

/// An account's two-factor switch, with its last change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoFactorSetting {
    /// Whether every user needs a code to sign in.
    pub enabled: bool,
    /// The last change made through the settings, if any.
    pub last_change: Option<TwoFactorChange>,
    /// While 2FA is on: digest of the session it was turned on in, the one
    /// session started without a second factor that stays valid.
    pub enabling_session: Option<String>,
}

/// One change of an account's two-factor switch: the audit event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TwoFactorChange {
    /// Random id that tells apart events of the same second.
    pub id: String,
    /// The account changed.
    pub account_id: String,
    /// The System Administrator who changed it.
    pub actor_id: String,
    /// That administrator's name at the time.
    pub actor_name: String,
    /// The state before.
    pub from: bool,
    /// The state after.
    pub to: bool,
    /// When.
    pub at: i64,
}

/// Something an administrator did, or that happened to a user, kept for
/// the account's audit trail. Never holds a full address or number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// The account it happened in.
    pub account_id: String,
    /// When.
    pub at: i64,
    /// Who did it: a user id, `system` for the service, `operator` for an
    /// operator command.
    pub actor: String,
    /// What happened, e.g. `user_locked`, `user_reactivated`,
    /// `contact_changed`.
    pub action: String,
    /// The user it happened to, if any.
    pub subject: Option<String>,
    /// Detail safe to keep, e.g. masked destinations.
    pub detail: String,
}

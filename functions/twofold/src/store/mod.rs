//! The store ports: narrow traits over what the services read and write,
//! and their two adapters, DynamoDB and an in-memory one for fast service
//! tests. The DynamoDB adapter is the one whose rules (conditions,
//! atomicity) count; the contract tests in `tests/` run against both.
//!
//! Stores return what they hold, expired or not; the services compare
//! expiry with their clock, because DynamoDB removes expired items only
//! eventually.

use async_trait::async_trait;

use twofold_shared::{Email, Phone};

use crate::model::{
    Account, AuditEvent, Challenge, PendingSignIn, Practice, Purpose, Session, TwoFactorChange,
    TwoFactorSetting, User,
};

pub mod dynamo;
pub mod memory;

/// The store could not answer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The table could not be reached or refused the request.
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
    /// An item did not have the shape Twofold writes.
    #[error("a stored item is malformed: {0}")]
    Corrupt(String),
}

/// The outcome of counting one code entry against a user's limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Counted; this many consecutive wrong-or-pending entries so far, and
    /// the user as the count left it (read by the same write, so a sign-in
    /// needs no second read of the profile).
    Counted(u32, Box<User>),
    /// Not counted: the user is locked.
    Locked,
    /// Not counted: the limit is already taken by entries in flight.
    Exhausted,
}

/// What a step of a sign-in reads, in one request: the pending sign-in,
/// its user, and the user's current challenge for a purpose.
#[derive(Clone, Debug, Default)]
pub struct SignInState {
    /// The pending sign-in, if there is one with that token digest.
    pub pending: Option<PendingSignIn>,
    /// The user the pending sign-in belongs to.
    pub user: Option<User>,
    /// The user's current challenge for the purpose asked for.
    pub challenge: Option<Challenge>,
}

/// The outcome of creating a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Created {
    /// The user exists now.
    Created,
    /// Another user has that username.
    UsernameTaken,
    /// Another user has that email address.
    EmailTaken,
    /// Another user has that mobile phone.
    PhoneTaken,
}

/// The outcome of changing a user's contact details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContactChange {
    /// Changed, and the new details are claimed for this user.
    Changed,
    /// Another user has one of them; nothing changed.
    Taken {
        /// The email address is taken.
        email: bool,
        /// The phone is taken.
        phone: bool,
    },
    /// The user changed meanwhile; nothing changed.
    Conflict,
}

/// The System Administrator's changes to users, and the audit trail.
#[async_trait]
pub trait UserAdmin: Send + Sync {
    /// Replaces the user's email and phone (`None` removes one), claiming
    /// the new ones and releasing the old in one transaction, provided the
    /// user still has the details `user` shows.
    async fn change_contact(
        &self,
        user: &User,
        email: Option<&Email>,
        phone: Option<&Phone>,
    ) -> Result<ContactChange, StoreError>;
    /// Unlocks a locked user of `account_id` and clears the count. `false`
    /// when there is no such locked user in that account.
    async fn reactivate(&self, account_id: &str, user_id: &str) -> Result<bool, StoreError>;
    /// Sets a password the user chose, ending the initial-password state.
    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError>;
    /// Keeps an audit event.
    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError>;
    /// The account's audit events, oldest first.
    async fn audit_trail(&self, account_id: &str) -> Result<Vec<AuditEvent>, StoreError>;
}

/// Accounts, practices and users, as read at sign-in.
#[async_trait]
pub trait Directory: Send + Sync {
    /// The user with this username, compared lower-cased.
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    /// The user with this id.
    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError>;
    /// The account with this id.
    async fn account(&self, account_id: &str) -> Result<Option<Account>, StoreError>;
    /// Every practice of an account.
    async fn practices(&self, account_id: &str) -> Result<Vec<Practice>, StoreError>;
    /// Every user of an account. May lag a write by a moment (an index).
    async fn users_of_account(&self, account_id: &str) -> Result<Vec<User>, StoreError>;
}

/// Writing accounts, practices and users: the operator's commands.
#[async_trait]
pub trait Provisioning: Send + Sync {
    /// Creates or replaces an account.
    async fn put_account(&self, account: &Account) -> Result<(), StoreError>;
    /// Creates or replaces a practice.
    async fn put_practice(&self, practice: &Practice) -> Result<(), StoreError>;
    /// Creates a user whose username no other user has.
    async fn create_user(&self, user: &User) -> Result<Created, StoreError>;
}

/// Pending sign-ins, code challenges and the wrong-code count.
#[async_trait]
pub trait SignInStore: Send + Sync {
    /// Records a pending sign-in.
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), StoreError>;
    /// The pending sign-in with this token digest.
    async fn pending(
        &self,
        user_id: &str,
        token_digest: &str,
    ) -> Result<Option<PendingSignIn>, StoreError>;
    /// The pending sign-in with this token digest, its user and the user's
    /// current challenge for `purpose`, read consistently in one request.
    async fn sign_in_state(
        &self,
        user_id: &str,
        token_digest: &str,
        purpose: Purpose,
    ) -> Result<SignInState, StoreError>;
    /// Forgets a pending sign-in.
    async fn delete_pending(&self, user_id: &str, token_digest: &str) -> Result<(), StoreError>;

    /// The user's current challenge for `purpose`, read consistently.
    async fn challenge(
        &self,
        user_id: &str,
        purpose: Purpose,
    ) -> Result<Option<Challenge>, StoreError>;
    /// Stores `challenge` in place of the one issued at `previous` (`None`:
    /// there was none). `false` when another write came first.
    async fn replace_challenge(
        &self,
        challenge: &Challenge,
        previous: Option<i64>,
    ) -> Result<bool, StoreError>;
    /// Removes `challenge` if it is still the current one.
    async fn withdraw_challenge(&self, challenge: &Challenge) -> Result<(), StoreError>;

    /// Counts one code entry for an active user whose count is below `limit`.
    async fn count_attempt(&self, user_id: &str, limit: u32) -> Result<Attempt, StoreError>;
    /// Uses `challenge` up and clears the user's count, in one write that
    /// succeeds only once and only for an active user. `false` otherwise.
    ///
    /// Given `session`, the code is a sign-in's: the same write also ends
    /// the pending sign-in the code is bound to (`challenge.binding`, which
    /// must still exist) and starts `session`, so a right code starts one
    /// session or none.
    async fn consume_challenge(
        &self,
        challenge: &Challenge,
        session: Option<&Session>,
    ) -> Result<bool, StoreError>;
    /// Wrong passwords tried for `username` (lower-cased) in the window
    /// that started at the returned time, if any.
    async fn password_failures(&self, username: &str) -> Result<Option<(u32, i64)>, StoreError>;
    /// Counts a wrong password for `username`, in the window that started
    /// less than `window` seconds before `now`, or in a new one; returns
    /// the count. Atomic: concurrent failures are all counted.
    async fn record_password_failure(
        &self,
        username: &str,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError>;
    /// Forgets the wrong passwords of `username`.
    async fn clear_password_failures(&self, username: &str) -> Result<(), StoreError>;
    /// Locks an active user whose count has reached `limit`, then removes the
    /// user's pending sign-ins, challenges and sessions. `false` when the
    /// condition did not hold (already locked, or the count was cleared).
    async fn lock_user(&self, user_id: &str, limit: u32, now: i64) -> Result<bool, StoreError>;
}

/// Sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Records a session.
    async fn put_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session with this token digest.
    async fn session(
        &self,
        user_id: &str,
        token_digest: &str,
    ) -> Result<Option<Session>, StoreError>;
    /// Ends a session.
    async fn delete_session(&self, user_id: &str, token_digest: &str) -> Result<(), StoreError>;
}

/// An account's two-factor switch and the audit trail of its changes.
#[async_trait]
pub trait SettingsStore: Send + Sync {
    /// The account's two-factor setting; `None` when there is no such
    /// account. Read consistently.
    async fn two_factor(&self, account_id: &str) -> Result<Option<TwoFactorSetting>, StoreError>;
    /// Turns the switch from `change.from` to `change.to`, keeps `change` as
    /// the last change and as an audit event, in one write that succeeds only
    /// while the switch is still `change.from`. `session` is the digest of
    /// the session the change is made in, kept while 2FA is on. `false` when
    /// the switch was not `change.from` (or there is no such account).
    async fn change_two_factor(
        &self,
        change: &TwoFactorChange,
        session: &str,
    ) -> Result<bool, StoreError>;
    /// Every change of the account's switch, newest first.
    async fn two_factor_changes(
        &self,
        account_id: &str,
    ) -> Result<Vec<TwoFactorChange>, StoreError>;
}

/// Everything the services need from a store.
pub trait Store:
    Directory + Provisioning + SignInStore + SessionStore + SettingsStore + UserAdmin
{
}

impl<T> Store for T where
    T: Directory + Provisioning + SignInStore + SessionStore + SettingsStore + UserAdmin
{
}

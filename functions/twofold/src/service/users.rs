//! The users view: a System Administrator lists the account's users, reveals
//! and changes their contact details, adds users and reactivates locked ones.
//!
//! Invariants:
//! - Only a System Administrator acts, and only on users of the account of
//!   their own session; a user of another account is answered as if it did
//!   not exist.
//! - Email addresses and mobile phones are stored canonical and are unique
//!   across the system, by claims written in one transaction with the change.
//! - While 2FA is on, a change cannot leave a user with neither an email
//!   address nor a mobile phone.
//! - Every change, and every reveal of full details, is an audit event that
//!   names who and whom, with masked destinations only.

use std::sync::Arc;

use phonenumber::country::Id;
use tracing::{info, instrument, warn};
use twofold_shared::admin::{
    ContactDetails, CreateUserRequest, FieldProblem, UpdateContactRequest, UserState, UserSummary,
    UsersResponse,
};
use twofold_shared::api::{PracticeInfo, USERNAME_CHARS};
use twofold_shared::policy::MIN_PASSWORD_LENGTH;
use twofold_shared::{Email, Phone};

use crate::clock::Clock;
use crate::contact;
use crate::digest::Token;
use crate::model::{AuditEvent, Practice, User, UserStatus};
use crate::password;
use crate::service::readiness;
use crate::service::signin::{SignIn, SignInError};
use crate::store::{ContactChange, Created, Store, StoreError};

/// Why a users-view request was refused.
#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// Not signed in or not an administrator: as sign-in says.
    #[error(transparent)]
    SignIn(#[from] SignInError),
    /// No such user in the administrator's account.
    #[error("no such user")]
    NoSuchUser,
    /// Fields are not acceptable.
    #[error("invalid fields")]
    InvalidFields(Vec<FieldProblem>),
    /// Another user has a username, email address or phone.
    #[error("already taken")]
    Taken(Vec<FieldProblem>),
    /// The user changed meanwhile.
    #[error("changed concurrently")]
    Conflict,
    /// The user is not locked.
    #[error("not locked")]
    NotLocked,
    /// A store call failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should always be there was not.
    #[error("internal: {0}")]
    Internal(String),
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// The users service.
#[derive(Clone)]
pub struct Users {
    sign_in: SignIn,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    region: Id,
}

impl Users {
    /// A service over the given ports; national phone numbers are read in
    /// `region`.
    pub fn new(sign_in: SignIn, store: Arc<dyn Store>, clock: Arc<dyn Clock>, region: Id) -> Self {
        Self {
            sign_in,
            store,
            clock,
            region,
        }
    }

    /// The user `user_id` of the administrator's account.
    async fn member(&self, admin: &User, user_id: &str) -> Result<User, UsersError> {
        match self.store.user(user_id).await? {
            Some(user) if user.account_id == admin.account_id => Ok(user),
            _ => Err(UsersError::NoSuchUser),
        }
    }

    async fn audit(&self, admin: &User, action: &str, subject: &User, detail: String) {
        let event = AuditEvent {
            account_id: admin.account_id.clone(),
            at: self.clock.now(),
            actor: admin.id.clone(),
            action: action.to_owned(),
            subject: Some(subject.id.clone()),
            detail,
        };
        if let Err(err) = self.store.record(&event).await {
            tracing::error!(action, error = %err, "audit event not recorded");
        }
    }

    async fn summaries(&self, admin: &User) -> Result<(Vec<User>, Vec<Practice>), UsersError> {
        let users = self.store.users_of_account(&admin.account_id).await?;
        let practices = self.store.practices(&admin.account_id).await?;
        Ok((users, practices))
    }

    fn summary(
        user: &User,
        practices: &[Practice],
        problems: Vec<twofold_shared::admin::ReadinessProblem>,
    ) -> UserSummary {
        let mut theirs: Vec<PracticeInfo> = practices
            .iter()
            .filter(|p| user.practice_ids.contains(&p.id))
            .map(|p| PracticeInfo {
                id: p.id.clone(),
                name: p.name.clone(),
            })
            .collect();
        theirs.sort_by(|a, b| a.name.cmp(&b.name));
        UserSummary {
            id: user.id.clone(),
            username: user.username.clone(),
            name: user.name.clone(),
            role: user.role,
            practices: theirs,
            email: user.email.as_ref().map(Email::masked),
            phone: user.phone.as_ref().map(Phone::masked),
            status: match user.status {
                UserStatus::Active => UserState::Active,
                UserStatus::Locked => UserState::Locked,
            },
            problems,
        }
    }

    /// Every user of the administrator's account, by name.
    #[instrument(skip_all)]
    pub async fn list(&self, token: &Token) -> Result<UsersResponse, UsersError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        let (mut users, practices) = self.summaries(&admin).await?;
        users.sort_by(|a, b| a.name.cmp(&b.name).then(a.username.cmp(&b.username)));
        let mut problems = readiness::problems(&users);
        let users = users
            .iter()
            .map(|u| Self::summary(u, &practices, problems.remove(&u.id).unwrap_or_default()))
            .collect();
        Ok(UsersResponse { users })
    }

    async fn one(&self, admin: &User, user_id: &str) -> Result<UserSummary, UsersError> {
        let (users, practices) = self.summaries(admin).await?;
        let user = self.member(admin, user_id).await?;
        // The index may lag a write: judge readiness with the fresh record.
        let mut all: Vec<User> = users.into_iter().filter(|u| u.id != user.id).collect();
        all.push(user.clone());
        let mut problems = readiness::problems(&all);
        Ok(Self::summary(
            &user,
            &practices,
            problems.remove(&user.id).unwrap_or_default(),
        ))
    }

    /// A user's full email address and phone.
    #[instrument(skip_all)]
    pub async fn reveal(&self, token: &Token, user_id: &str) -> Result<ContactDetails, UsersError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        let user = self.member(&admin, user_id).await?;
        self.audit(&admin, "contact_revealed", &user, String::new())
            .await;
        info!(admin_id = %admin.id, user_id = %user.id, "contact details revealed");
        Ok(ContactDetails {
            email: user.email.as_ref().map(|e| e.as_str().to_owned()),
            phone: user.phone.as_ref().map(|p| p.as_str().to_owned()),
        })
    }

    /// Reads the contact fields of a form; every problem at once.
    fn read_contact(
        &self,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(Option<Email>, Option<Phone>), Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let present = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let email = match present(email) {
            None => None,
            Some(text) => match contact::email(&text) {
                Ok(email) => Some(email),
                Err(message) => {
                    problems.push(problem("email", message));
                    None
                }
            },
        };
        let phone = match present(phone) {
            None => None,
            Some(text) => match contact::mobile(&text, self.region) {
                Ok(phone) => Some(phone),
                Err(message) => {
                    problems.push(problem("phone", message));
                    None
                }
            },
        };
        if problems.is_empty() {
            Ok((email, phone))
        } else {
            Err(problems)
        }
    }

    fn taken(email: bool, phone: bool) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        if email {
            problems.push(problem(
                "email",
                "Another user already has this email address.",
            ));
        }
        if phone {
            problems.push(problem(
                "phone",
                "Another user already has this mobile phone.",
            ));
        }
        problems
    }

    /// Replaces a user's email address and mobile phone.
    #[instrument(skip_all)]
    pub async fn change_contact(
        &self,
        token: &Token,
        user_id: &str,
        request: &UpdateContactRequest,
    ) -> Result<UserSummary, UsersError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        let user = self.member(&admin, user_id).await?;
        let (email, phone) = self
            .read_contact(request.email.as_deref(), request.phone.as_deref())
            .map_err(UsersError::InvalidFields)?;
        if email.is_none() && phone.is_none() {
            let account = self.store.account(&admin.account_id).await?;
            if account.is_some_and(|a| a.two_factor_enabled) {
                return Err(UsersError::InvalidFields(vec![problem(
                    "email",
                    "While two-factor authentication is on, a user needs an email address \
                     or a mobile phone to sign in. Keep at least one.",
                )]));
            }
        }
        match self
            .store
            .change_contact(&user, email.as_ref(), phone.as_ref())
            .await?
        {
            ContactChange::Changed => {}
            ContactChange::Taken { email, phone } => {
                return Err(UsersError::Taken(Self::taken(email, phone)));
            }
            ContactChange::Conflict => return Err(UsersError::Conflict),
        }
        let shown = |e: Option<String>| e.unwrap_or_else(|| "none".into());
        let detail = format!(
            "email {} -> {}, phone {} -> {}",
            shown(user.email.as_ref().map(Email::masked)),
            shown(email.as_ref().map(Email::masked)),
            shown(user.phone.as_ref().map(Phone::masked)),
            shown(phone.as_ref().map(Phone::masked)),
        );
        self.audit(&admin, "contact_changed", &user, detail).await;
        info!(admin_id = %admin.id, user_id = %user.id, "contact details changed");
        self.one(&admin, &user.id).await
    }

    /// Adds a user to the administrator's account, with an initial password
    /// the user must change at first sign-in.
    #[instrument(skip_all)]
    pub async fn create(
        &self,
        token: &Token,
        request: &CreateUserRequest,
    ) -> Result<UserSummary, UsersError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        let mut problems = Vec::new();
        let username = request.username.trim();
        let username_ok = USERNAME_CHARS.contains(&username.chars().count())
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !username_ok {
            problems.push(problem(
                "username",
                "A username is 3 to 64 letters a to z, digits, dots, dashes or underscores.",
            ));
        }
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
            problems.push(problem("name", "Enter the user's full name."));
        }
        let practices = self.store.practices(&admin.account_id).await?;
        let unknown = request
            .practice_ids
            .iter()
            .any(|id| !practices.iter().any(|p| &p.id == id));
        if request.practice_ids.is_empty() || unknown {
            problems.push(problem(
                "practice_ids",
                "Choose one or more practices of this account.",
            ));
        }
        if request.initial_password.0.chars().count() < MIN_PASSWORD_LENGTH {
            problems.push(problem(
                "initial_password",
                format!("An initial password has at least {MIN_PASSWORD_LENGTH} characters."),
            ));
        }
        let contact = self.read_contact(request.email.as_deref(), request.phone.as_deref());
        let (email, phone) = match contact {
            Ok(pair) => pair,
            Err(found) => {
                problems.extend(found);
                (None, None)
            }
        };
        if problems.is_empty() && email.is_none() && phone.is_none() {
            problems.push(problem(
                "email",
                "Enter an email address or a mobile phone, so the user can receive codes.",
            ));
        }
        if !problems.is_empty() {
            return Err(UsersError::InvalidFields(problems));
        }
        let password_hash = password::hash(&request.initial_password.0)
            .map_err(|e| UsersError::Internal(e.to_string()))?;
        let user = User {
            id: uuid::Uuid::new_v4().to_string(),
            account_id: admin.account_id.clone(),
            username: username.to_owned(),
            name: name.to_owned(),
            role: request.role,
            practice_ids: request.practice_ids.clone(),
            email,
            phone,
            password_hash,
            status: UserStatus::Active,
            failed_attempts: 0,
            must_change_password: true,
        };
        match self.store.create_user(&user).await? {
            Created::Created => {}
            Created::UsernameTaken => {
                return Err(UsersError::Taken(vec![problem(
                    "username",
                    "Another user already has this username.",
                )]));
            }
            Created::EmailTaken => return Err(UsersError::Taken(Self::taken(true, false))),
            Created::PhoneTaken => return Err(UsersError::Taken(Self::taken(false, true))),
        }
        self.audit(
            &admin,
            "user_created",
            &user,
            format!("role {}", user.role.label()),
        )
        .await;
        info!(admin_id = %admin.id, user_id = %user.id, "user created");
        self.one(&admin, &user.id).await
    }

    /// Unlocks a locked user of the administrator's account.
    #[instrument(skip_all)]
    pub async fn reactivate(
        &self,
        token: &Token,
        user_id: &str,
    ) -> Result<UserSummary, UsersError> {
        let (admin, _) = self.sign_in.administrator(token).await?;
        let user = self.member(&admin, user_id).await?;
        if !self.store.reactivate(&admin.account_id, &user.id).await? {
            return Err(UsersError::NotLocked);
        }
        self.audit(&admin, "user_reactivated", &user, String::new())
            .await;
        warn!(admin_id = %admin.id, user_id = %user.id, "user reactivated");
        self.one(&admin, &user.id).await
    }
}

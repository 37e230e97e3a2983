//! Signing in: password, then a confirmation code, then a session.
//!
//! Invariants:
//! - An unknown username and a wrong password get the same answer, after the
//!   same work. Wrong passwords are counted per username, known or not; past
//!   the limit, that username waits for the window to end.
//! - A code is stored only as a keyed digest bound to the user, its purpose
//!   and the pending sign-in it was sent for; a new code replaces the last.
//! - Each entry of a code is counted before it is compared, so no burst of
//!   guesses gets more than the attempt limit; a right code is used up and
//!   the count cleared in one write that succeeds once.
//! - Reaching the limit with a wrong code locks the user, and locking removes
//!   the user's pending sign-ins, codes and sessions.
//! - Every read of something that expires is checked against the clock.

use std::sync::Arc;

use tracing::{info, instrument, warn};
use twofold_shared::api::{
    AccountInfo, LoginResponse, MethodOption, PracticeInfo, Role, SendCodeResponse, SessionInfo,
    USERNAME_CHARS, UserInfo,
};
use twofold_shared::policy::{PASSWORD_FAILURE_LIMIT, PASSWORD_WINDOW_SECONDS};
use twofold_shared::{ConfirmationCode, Method};

use crate::clock::Clock;
use crate::config::Policy;
use crate::courier::{Courier, Recipient};
use crate::digest::{CodeKey, Token};
use crate::model::{AuditEvent, Challenge, PendingSignIn, Purpose, Session, User, UserStatus};
use crate::password;
use crate::random::Random;
use crate::store::{Attempt, Store, StoreError};

/// Why a sign-in step was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown username or wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// No pending sign-in, or it expired.
    #[error("pending sign-in missing or expired")]
    SignInExpired,
    /// The user has no destination for that method, or none at all.
    #[error("method unavailable")]
    MethodUnavailable {
        /// Whether the user has no method at all.
        none_at_all: bool,
    },
    /// Asked for a code too soon or too often.
    #[error("code requested too soon")]
    TooManyCodes {
        /// Seconds until a code may be sent.
        retry_after: i64,
    },
    /// Wrong, expired, used or unknown code.
    #[error("invalid code")]
    InvalidCode {
        /// Entries left before the account locks.
        attempts_remaining: u32,
    },
    /// The user is locked.
    #[error("account locked")]
    AccountLocked,
    /// No session.
    #[error("not signed in")]
    NotSignedIn,
    /// Too many wrong passwords for one username.
    #[error("too many wrong passwords")]
    TooManyAttempts {
        /// Seconds until signing in may be tried again.
        retry_after: i64,
    },
    /// The new password is too short, or is the initial one.
    #[error("weak password")]
    WeakPassword,
    /// A pending sign-in is at another step than the one asked for.
    #[error("password change required")]
    PasswordChangeRequired,
    /// Signed in, but not a System Administrator of the account.
    #[error("forbidden")]
    Forbidden,
    /// The email or SMS provider refused the message.
    #[error("delivery failed: {0}")]
    DeliveryFailed(String),
    /// A store call failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Something that should always be there was not.
    #[error("internal: {0}")]
    Internal(String),
}

/// The result of a correct password.
#[derive(Debug)]
pub enum LoginOutcome {
    /// 2FA is off: a session started.
    SignedIn {
        /// Session token for the cookie.
        token: Token,
        /// What the SPA shows.
        info: SessionInfo,
    },
    /// The password was an initial one: a pending sign-in waits for a new
    /// password.
    PasswordChangeRequired {
        /// Pending token for the cookie.
        token: Token,
        /// What the SPA shows.
        response: LoginResponse,
    },
    /// 2FA is on: a pending sign-in waits for a code.
    CodeRequired {
        /// Pending token for the cookie.
        token: Token,
        /// What the SPA shows.
        response: LoginResponse,
    },
}

/// A started session.
#[derive(Debug)]
pub struct Started {
    /// Session token for the cookie.
    pub token: Token,
    /// What the SPA shows.
    pub info: SessionInfo,
}

/// The sign-in service.
#[derive(Clone)]
pub struct SignIn {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    random: Arc<dyn Random>,
    key: CodeKey,
    policy: Policy,
}

impl SignIn {
    /// A service over the given ports.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        random: Arc<dyn Random>,
        key: CodeKey,
        policy: Policy,
    ) -> Self {
        Self {
            store,
            clock,
            random,
            key,
            policy,
        }
    }

    /// The limits this service applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    fn token(&self, user_id: &str) -> Result<Token, SignInError> {
        let secret = self
            .random
            .secret()
            .map_err(|e| SignInError::Internal(e.to_string()))?;
        Ok(Token::new(user_id, secret))
    }

    /// Checks a username and password.
    #[instrument(skip_all)]
    pub async fn login(&self, username: &str, password: &str) -> Result<LoginOutcome, SignInError> {
        // Wrong passwords are counted per username, existing or not, so
        // the limit tells nothing about which usernames exist.
        let key = username.trim().to_lowercase();
        // No user can have a longer name, and a key this long is more than
        // the table takes: refused as any unknown name is, in the same time,
        // without counting (there is nothing to guess).
        if key.chars().count() > *USERNAME_CHARS.end() {
            password::verify_nobody(password);
            info!("sign-in refused: invalid credentials");
            return Err(SignInError::InvalidCredentials);
        }
        let now = self.clock.now();
        // Both are read at once; the user is not needed when the username
        // is refused, but waiting for one read before the other costs every
        // sign-in a round trip.
        let (failures, user) = tokio::try_join!(
            self.store.password_failures(&key),
            self.store.user_by_username(&key),
        )?;
        if let Some((count, start)) = failures {
            let window_end = start + PASSWORD_WINDOW_SECONDS;
            if count >= PASSWORD_FAILURE_LIMIT && window_end > now {
                warn!("sign-in refused: too many wrong passwords for one username");
                return Err(SignInError::TooManyAttempts {
                    retry_after: window_end - now,
                });
            }
        }
        let verified = match &user {
            Some(user) => password::verify(password, &user.password_hash),
            None => {
                password::verify_nobody(password);
                false
            }
        };
        let Some(user) = user.filter(|_| verified) else {
            self.store
                .record_password_failure(&key, now, PASSWORD_WINDOW_SECONDS)
                .await?;
            info!("sign-in refused: invalid credentials");
            return Err(SignInError::InvalidCredentials);
        };
        if failures.is_some() {
            self.store.clear_password_failures(&key).await?;
        }
        if user.status == UserStatus::Locked {
            warn!(user_id = %user.id, "sign-in refused: account locked");
            return Err(SignInError::AccountLocked);
        }
        if user.must_change_password {
            let token = self.token(&user.id)?;
            self.put_pending(&user, &token, true).await?;
            info!(user_id = %user.id, "initial password accepted, new password required");
            return Ok(LoginOutcome::PasswordChangeRequired {
                token,
                response: LoginResponse::PasswordChangeRequired {
                    expires_in_seconds: self.policy.pending_lifetime,
                },
            });
        }
        self.second_step(&user).await
    }

    async fn put_pending(
        &self,
        user: &User,
        token: &Token,
        password_change: bool,
    ) -> Result<(), SignInError> {
        let now = self.clock.now();
        self.store
            .put_pending(&PendingSignIn {
                token_digest: token.digest(),
                user_id: user.id.clone(),
                expires_at: now + self.policy.pending_lifetime,
                password_change,
            })
            .await?;
        Ok(())
    }

    /// After the password: a session when the account has 2FA off, a
    /// pending sign-in waiting for a code when it is on.
    async fn second_step(&self, user: &User) -> Result<LoginOutcome, SignInError> {
        let account = self
            .store
            .account(&user.account_id)
            .await?
            .ok_or_else(|| SignInError::Internal(format!("user {} has no account", user.id)))?;
        if !account.two_factor_enabled {
            let started = self.start_session(user, false).await?;
            info!(user_id = %user.id, second_factor = false, "signed in");
            return Ok(LoginOutcome::SignedIn {
                token: started.token,
                info: started.info,
            });
        }
        let methods: Vec<MethodOption> = user
            .methods()
            .into_iter()
            .filter_map(|method| {
                let destination = user.masked_destination(method)?;
                Some(MethodOption {
                    method,
                    destination,
                })
            })
            .collect();
        if methods.is_empty() {
            warn!(user_id = %user.id, "sign-in refused: no way to send a code");
            return Err(SignInError::MethodUnavailable { none_at_all: true });
        }
        let token = self.token(&user.id)?;
        self.put_pending(user, &token, false).await?;
        info!(user_id = %user.id, "password accepted, code required");
        Ok(LoginOutcome::CodeRequired {
            token,
            response: LoginResponse::CodeRequired {
                methods,
                expires_in_seconds: self.policy.pending_lifetime,
            },
        })
    }

    /// Sets the new password of a sign-in that started with an initial
    /// one, then goes on as a sign-in with that password would.
    #[instrument(skip_all)]
    pub async fn change_password(
        &self,
        token: &Token,
        new_password: &str,
    ) -> Result<LoginOutcome, SignInError> {
        let pending = self.pending_at(token, true).await?;
        let user = self.active_user(&pending.user_id).await?;
        let long_enough =
            new_password.chars().count() >= twofold_shared::policy::MIN_PASSWORD_LENGTH;
        if !long_enough || password::verify(new_password, &user.password_hash) {
            return Err(SignInError::WeakPassword);
        }
        let hash =
            password::hash(new_password).map_err(|e| SignInError::Internal(e.to_string()))?;
        self.store.set_password(&user.id, &hash).await?;
        self.store
            .delete_pending(&user.id, &pending.token_digest)
            .await?;
        info!(user_id = %user.id, "initial password replaced");
        self.second_step(&user).await
    }

    /// The pending sign-in behind `token`, if [`Self::usable`] at the given
    /// stage.
    async fn pending_at(
        &self,
        token: &Token,
        password_change: bool,
    ) -> Result<PendingSignIn, SignInError> {
        let pending = self.store.pending(token.user_id(), &token.digest()).await?;
        self.usable(pending, password_change)
    }

    /// `pending`, if it is still usable and at the given stage: a sign-in
    /// that waits for a new password opens nothing else, and one that waits
    /// for a code cannot change the password.
    fn usable(
        &self,
        pending: Option<PendingSignIn>,
        password_change: bool,
    ) -> Result<PendingSignIn, SignInError> {
        match pending {
            Some(pending) if pending.expires_at <= self.clock.now() => {
                Err(SignInError::SignInExpired)
            }
            Some(pending) if pending.password_change != password_change => {
                Err(SignInError::PasswordChangeRequired)
            }
            Some(pending) => Ok(pending),
            None => Err(SignInError::SignInExpired),
        }
    }

    async fn active_user(&self, user_id: &str) -> Result<User, SignInError> {
        active(self.store.user(user_id).await?)
    }

    /// Sends a new code for the pending sign-in behind `token`.
    #[instrument(skip_all, fields(method = ?method))]
    pub async fn send_code(
        &self,
        courier: &dyn Courier,
        token: &Token,
        method: Method,
    ) -> Result<SendCodeResponse, SignInError> {
        let state = self
            .store
            .sign_in_state(token.user_id(), &token.digest(), Purpose::SignIn)
            .await?;
        let pending = self.usable(state.pending, false)?;
        let user = active(state.user)?;
        self.send_new_code(
            courier,
            &user,
            Purpose::SignIn,
            &pending.token_digest,
            method,
            state.challenge,
        )
        .await
    }

    /// Sends `user` a new code for `purpose`, bound to `binding` (the digest
    /// of the token it serves), in place of any earlier one, within the
    /// sending limits.
    pub async fn issue_code(
        &self,
        courier: &dyn Courier,
        user: &User,
        purpose: Purpose,
        binding: &str,
        method: Method,
    ) -> Result<SendCodeResponse, SignInError> {
        let previous = self.store.challenge(&user.id, purpose).await?;
        self.send_new_code(courier, user, purpose, binding, method, previous)
            .await
    }

    /// Sends a new code in place of `previous`, the user's current
    /// challenge for `purpose` as read before.
    async fn send_new_code(
        &self,
        courier: &dyn Courier,
        user: &User,
        purpose: Purpose,
        binding: &str,
        method: Method,
        previous: Option<Challenge>,
    ) -> Result<SendCodeResponse, SignInError> {
        if user.status != UserStatus::Active {
            return Err(SignInError::AccountLocked);
        }
        let recipient = match method {
            Method::Email => user.email.clone().map(Recipient::Email),
            Method::Text => user.phone.clone().map(Recipient::Text),
        }
        .ok_or(SignInError::MethodUnavailable { none_at_all: false })?;
        let destination = user
            .masked_destination(method)
            .ok_or(SignInError::MethodUnavailable { none_at_all: false })?;

        let now = self.clock.now();
        let (window_start, window_sends) = self.admit_send(previous.as_ref(), now)?;
        let code = self
            .random
            .code()
            .map_err(|e| SignInError::Internal(e.to_string()))?;
        let challenge = Challenge {
            user_id: user.id.clone(),
            purpose,
            digest: self.key.digest(purpose, &user.id, binding, &code),
            binding: binding.to_owned(),
            method,
            issued_at: now,
            expires_at: now + self.policy.code_lifetime,
            window_start,
            window_sends,
        };
        let replaced = self
            .store
            .replace_challenge(&challenge, previous.map(|p| p.issued_at))
            .await?;
        if !replaced {
            // Another request for this user stored a code a moment ago.
            warn!(user_id = %user.id, "code send refused: concurrent request");
            return Err(SignInError::TooManyCodes {
                retry_after: self.policy.resend_after,
            });
        }
        let minutes = (self.policy.code_lifetime + 59) / 60;
        if let Err(err) = courier.deliver(&recipient, &code, purpose, minutes).await {
            // Nobody received this code: withdraw it so the user may retry.
            self.store.withdraw_challenge(&challenge).await?;
            tracing::error!(user_id = %user.id, error = %err, "code delivery failed");
            return Err(SignInError::DeliveryFailed(err.0));
        }
        info!(
            user_id = %user.id,
            purpose = purpose.as_str(),
            method = ?method,
            destination = %destination,
            "code sent"
        );
        Ok(SendCodeResponse {
            method,
            destination,
            expires_in_seconds: self.policy.code_lifetime,
            resend_after_seconds: self.policy.resend_after,
        })
    }

    /// Decides whether another code may be sent now, and the sending window
    /// it will count in.
    fn admit_send(
        &self,
        previous: Option<&Challenge>,
        now: i64,
    ) -> Result<(i64, u32), SignInError> {
        let Some(previous) = previous else {
            return Ok((now, 1));
        };
        let wait = previous.issued_at + self.policy.resend_after - now;
        if wait > 0 {
            return Err(SignInError::TooManyCodes { retry_after: wait });
        }
        let window_end = previous.window_start + self.policy.send_window;
        if window_end <= now {
            return Ok((now, 1));
        }
        if previous.window_sends >= self.policy.sends_per_window {
            return Err(SignInError::TooManyCodes {
                retry_after: window_end - now,
            });
        }
        Ok((previous.window_start, previous.window_sends + 1))
    }

    /// Checks a typed code against the pending sign-in behind `token`.
    #[instrument(skip_all)]
    pub async fn verify(
        &self,
        token: &Token,
        code: &ConfirmationCode,
    ) -> Result<Started, SignInError> {
        let state = self
            .store
            .sign_in_state(token.user_id(), &token.digest(), Purpose::SignIn)
            .await?;
        let pending = self.usable(state.pending, false)?;
        let user_id = pending.user_id.as_str();
        let (session_token, session) = self.new_session(&active(state.user)?, true)?;
        // The user as the entry was counted: active then, and still active
        // when the code was used up, the pending sign-in ended and the
        // session started (that one write requires it).
        let user = self
            .judge_code(
                user_id,
                Purpose::SignIn,
                &pending.token_digest,
                code,
                state.challenge,
                Some(&session),
            )
            .await?;
        let info = self.session_info(&user, &session).await?;
        info!(user_id, second_factor = true, "code verified, signed in");
        Ok(Started {
            token: session_token,
            info,
        })
    }

    /// Checks `code` against the user's current challenge for `purpose`,
    /// bound to `binding`. The entry is counted first; a right code is used
    /// up and the count cleared; a wrong one at the limit locks the user.
    /// A right code returns the user as the entry was counted.
    pub async fn check_code(
        &self,
        user_id: &str,
        purpose: Purpose,
        binding: &str,
        code: &ConfirmationCode,
    ) -> Result<User, SignInError> {
        let challenge = self.store.challenge(user_id, purpose).await?;
        self.judge_code(user_id, purpose, binding, code, challenge, None)
            .await
    }

    /// Checks `code` against `challenge`, the user's challenge for `purpose`
    /// as read before: counts the entry, then uses a right code up (with
    /// `session`, also ending the sign-in and starting the session) or
    /// locks the user at the limit.
    async fn judge_code(
        &self,
        user_id: &str,
        purpose: Purpose,
        binding: &str,
        code: &ConfirmationCode,
        challenge: Option<Challenge>,
        session: Option<&Session>,
    ) -> Result<User, SignInError> {
        let limit = self.policy.attempt_limit;
        let (count, user) = match self.store.count_attempt(user_id, limit).await? {
            Attempt::Counted(count, user) => (count, user),
            Attempt::Locked => {
                warn!(user_id, "code refused: account locked");
                return Err(SignInError::AccountLocked);
            }
            Attempt::Exhausted => {
                warn!(
                    user_id,
                    "code refused: attempt limit taken by entries in flight"
                );
                return Err(SignInError::InvalidCode {
                    attempts_remaining: 0,
                });
            }
        };

        let now = self.clock.now();
        let usable = challenge.filter(|c| {
            c.expires_at > now
                && c.binding == binding
                && self.key.matches(&c.digest, purpose, user_id, binding, code)
        });
        if let Some(challenge) = usable {
            if self.store.consume_challenge(&challenge, session).await? {
                info!(user_id, purpose = purpose.as_str(), "code verified");
                return Ok(*user);
            }
            // Used up a moment ago by a concurrent entry: a replay.
            warn!(user_id, "code refused: already used");
        }

        if count >= limit && self.store.lock_user(user_id, limit, now).await? {
            warn!(
                user_id,
                attempts = count,
                "account locked after wrong codes"
            );
            self.record_lock(user_id, count, now).await;
            return Err(SignInError::AccountLocked);
        }
        info!(
            user_id,
            attempts = count,
            "code refused: wrong, expired or used"
        );
        Err(SignInError::InvalidCode {
            attempts_remaining: limit.saturating_sub(count),
        })
    }

    /// Keeps the lock in the account's audit trail. The lock holds whether
    /// or not this write succeeds, so a failure is logged, not returned.
    async fn record_lock(&self, user_id: &str, count: u32, now: i64) {
        let account_id = match self.store.user(user_id).await {
            Ok(Some(user)) => user.account_id,
            _ => return tracing::error!(user_id, "locked user missing from the audit trail"),
        };
        let event = AuditEvent {
            account_id,
            at: now,
            actor: "system".into(),
            action: "user_locked".into(),
            subject: Some(user_id.to_owned()),
            detail: format!("{count} wrong confirmation codes in a row"),
        };
        if let Err(err) = self.store.record(&event).await {
            tracing::error!(user_id, error = %err, "lock not recorded in the audit trail");
        }
    }

    async fn start_session(
        &self,
        user: &User,
        second_factor: bool,
    ) -> Result<Started, SignInError> {
        let (token, session) = self.new_session(user, second_factor)?;
        self.store.put_session(&session).await?;
        let info = self.session_info(user, &session).await?;
        Ok(Started { token, info })
    }

    /// A new session for `user`, not yet stored, and its token.
    fn new_session(
        &self,
        user: &User,
        second_factor: bool,
    ) -> Result<(Token, Session), SignInError> {
        let token = self.token(&user.id)?;
        let now = self.clock.now();
        let session = Session {
            token_digest: token.digest(),
            user_id: user.id.clone(),
            account_id: user.account_id.clone(),
            second_factor,
            created_at: now,
            expires_at: now + self.policy.session_lifetime,
        };
        Ok((token, session))
    }

    async fn session_info(
        &self,
        user: &User,
        session: &Session,
    ) -> Result<SessionInfo, SignInError> {
        // Two independent reads, made at once.
        let (account, practices) = tokio::try_join!(
            self.store.account(&user.account_id),
            self.store.practices(&user.account_id),
        )?;
        let account = account
            .ok_or_else(|| SignInError::Internal(format!("user {} has no account", user.id)))?;
        let mut practices: Vec<PracticeInfo> = practices
            .into_iter()
            .filter(|p| user.role == Role::SystemAdministrator || user.practice_ids.contains(&p.id))
            .map(|p| PracticeInfo {
                id: p.id,
                name: p.name,
            })
            .collect();
        practices.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(SessionInfo {
            user: UserInfo {
                id: user.id.clone(),
                username: user.username.clone(),
                name: user.name.clone(),
                role: user.role,
            },
            account: AccountInfo {
                id: account.id,
                name: account.name,
                two_factor_enabled: account.two_factor_enabled,
            },
            practices,
            expires_at: session.expires_at,
        })
    }

    /// The user and session behind a session token, if both are current.
    ///
    /// While the account has 2FA on, a session started without a second
    /// factor is ended, unless it is the one 2FA was turned on in: this holds
    /// for sessions started before the change and for any started while it
    /// was being made, without a scan of the account's sessions.
    pub async fn authenticate(&self, token: &Token) -> Result<(User, Session), SignInError> {
        let session = self.store.session(token.user_id(), &token.digest()).await?;
        let session = match session {
            Some(session) if session.expires_at > self.clock.now() => session,
            _ => return Err(SignInError::NotSignedIn),
        };
        if !session.second_factor && self.second_factor_required(&session).await? {
            self.store
                .delete_session(&session.user_id, &session.token_digest)
                .await?;
            info!(
                user_id = %session.user_id,
                "session ended: started without a second factor, which is now required"
            );
            return Err(SignInError::NotSignedIn);
        }
        match self.store.user(&session.user_id).await? {
            Some(user) if user.status == UserStatus::Active => Ok((user, session)),
            _ => Err(SignInError::NotSignedIn),
        }
    }

    /// Whether the session's account now has 2FA on and the session is not
    /// the one it was turned on in.
    async fn second_factor_required(&self, session: &Session) -> Result<bool, SignInError> {
        let setting = self.store.two_factor(&session.account_id).await?;
        Ok(setting.is_some_and(|s| {
            s.enabled && s.enabling_session.as_deref() != Some(session.token_digest.as_str())
        }))
    }

    /// Like [`Self::authenticate`], for System Administrators only.
    pub async fn administrator(&self, token: &Token) -> Result<(User, Session), SignInError> {
        let (user, session) = self.authenticate(token).await?;
        if user.role != Role::SystemAdministrator {
            warn!(user_id = %user.id, "administrator action refused: not an administrator");
            return Err(SignInError::Forbidden);
        }
        Ok((user, session))
    }

    /// Who is signed in with `token`.
    #[instrument(skip_all)]
    pub async fn session(&self, token: &Token) -> Result<SessionInfo, SignInError> {
        let (user, session) = self.authenticate(token).await?;
        self.session_info(&user, &session).await
    }

    /// Ends the session behind `token`, if any.
    #[instrument(skip_all)]
    pub async fn logout(&self, token: &Token) -> Result<(), SignInError> {
        self.store
            .delete_session(token.user_id(), &token.digest())
            .await?;
        info!(user_id = token.user_id(), "signed out");
        Ok(())
    }
}

/// `user`, if it exists and is active.
fn active(user: Option<User>) -> Result<User, SignInError> {
    match user {
        Some(user) if user.status == UserStatus::Active => Ok(user),
        Some(_) => Err(SignInError::AccountLocked),
        None => Err(SignInError::SignInExpired),
    }
}

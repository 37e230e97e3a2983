//! An in-memory store with the same rules as the DynamoDB one, for fast
//! service tests. Every method takes one lock, which makes each call atomic
//! as the conditional writes it stands in for are.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::{
    Attempt, Created, Directory, Provisioning, SessionStore, SignInState, SignInStore, StoreError,
};
use crate::model::{
    Account, AuditEvent, Challenge, PendingSignIn, Practice, Purpose, Session, User, UserStatus,
};

mod settings;
mod users;

#[derive(Debug, Default)]
struct State {
    accounts: HashMap<String, Account>,
    practices: Vec<Practice>,
    users: HashMap<String, User>,
    usernames: HashMap<String, String>,
    pending: HashMap<(String, String), PendingSignIn>,
    challenges: HashMap<(String, Purpose), Challenge>,
    sessions: HashMap<(String, String), Session>,
    two_factor: settings::TwoFactorState,
    /// Owner of each claimed email address and phone, by claim key.
    claims: HashMap<String, String>,
    /// Wrong passwords by lower-cased username: count and window start.
    password_failures: HashMap<String, (u32, i64)>,
    audit: Vec<AuditEvent>,
}

/// A store held in memory.
#[derive(Debug, Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> Result<MutexGuard<'_, State>, StoreError> {
        self.0
            .lock()
            .map_err(|_| StoreError::Unavailable("memory store poisoned".into()))
    }
}

#[async_trait]
impl Directory for MemoryStore {
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let state = self.state()?;
        let id = state.usernames.get(&username.to_lowercase());
        Ok(id.and_then(|id| state.users.get(id)).cloned())
    }

    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.state()?.users.get(user_id).cloned())
    }

    async fn account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        Ok(self.state()?.accounts.get(account_id).cloned())
    }

    async fn practices(&self, account_id: &str) -> Result<Vec<Practice>, StoreError> {
        let state = self.state()?;
        let practices = state
            .practices
            .iter()
            .filter(|p| p.account_id == account_id);
        Ok(practices.cloned().collect())
    }

    async fn users_of_account(&self, account_id: &str) -> Result<Vec<User>, StoreError> {
        let state = self.state()?;
        let users = state.users.values().filter(|u| u.account_id == account_id);
        Ok(users.cloned().collect())
    }
}

#[async_trait]
impl Provisioning for MemoryStore {
    async fn put_account(&self, account: &Account) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state.accounts.insert(account.id.clone(), account.clone());
        Ok(())
    }

    async fn put_practice(&self, practice: &Practice) -> Result<(), StoreError> {
        let mut state = self.state()?;
        state
            .practices
            .retain(|p| p.id != practice.id || p.account_id != practice.account_id);
        state.practices.push(practice.clone());
        Ok(())
    }

    async fn create_user(&self, user: &User) -> Result<Created, StoreError> {
        let mut state = self.state()?;
        let username = user.username.to_lowercase();
        if state.usernames.contains_key(&username) || state.users.contains_key(&user.id) {
            return Ok(Created::UsernameTaken);
        }
        let email = user.email.as_ref().map(users::email_key);
        let phone = user.phone.as_ref().map(users::phone_key);
        if email.as_ref().is_some_and(|k| state.claims.contains_key(k)) {
            return Ok(Created::EmailTaken);
        }
        if phone.as_ref().is_some_and(|k| state.claims.contains_key(k)) {
            return Ok(Created::PhoneTaken);
        }
        for key in email.into_iter().chain(phone) {
            state.claims.insert(key, user.id.clone());
        }
        state.usernames.insert(username, user.id.clone());
        state.users.insert(user.id.clone(), user.clone());
        Ok(Created::Created)
    }
}

#[async_trait]
impl SignInStore for MemoryStore {
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), StoreError> {
        let key = (pending.user_id.clone(), pending.token_digest.clone());
        self.state()?.pending.insert(key, pending.clone());
        Ok(())
    }

    async fn pending(
        &self,
        user_id: &str,
        token_digest: &str,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let key = (user_id.to_owned(), token_digest.to_owned());
        Ok(self.state()?.pending.get(&key).cloned())
    }

    async fn sign_in_state(
        &self,
        user_id: &str,
        token_digest: &str,
        purpose: Purpose,
    ) -> Result<SignInState, StoreError> {
        let state = self.state()?;
        let pending = (user_id.to_owned(), token_digest.to_owned());
        Ok(SignInState {
            pending: state.pending.get(&pending).cloned(),
            user: state.users.get(user_id).cloned(),
            challenge: state
                .challenges
                .get(&(user_id.to_owned(), purpose))
                .cloned(),
        })
    }

    async fn delete_pending(&self, user_id: &str, token_digest: &str) -> Result<(), StoreError> {
        let key = (user_id.to_owned(), token_digest.to_owned());
        self.state()?.pending.remove(&key);
        Ok(())
    }

    async fn challenge(
        &self,
        user_id: &str,
        purpose: Purpose,
    ) -> Result<Option<Challenge>, StoreError> {
        let key = (user_id.to_owned(), purpose);
        Ok(self.state()?.challenges.get(&key).cloned())
    }

    async fn replace_challenge(
        &self,
        challenge: &Challenge,
        previous: Option<i64>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let key = (challenge.user_id.clone(), challenge.purpose);
        let current = state.challenges.get(&key).map(|c| c.issued_at);
        if current != previous {
            return Ok(false);
        }
        state.challenges.insert(key, challenge.clone());
        Ok(true)
    }

    async fn withdraw_challenge(&self, challenge: &Challenge) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let key = (challenge.user_id.clone(), challenge.purpose);
        if state
            .challenges
            .get(&key)
            .is_some_and(|c| c.digest == challenge.digest)
        {
            state.challenges.remove(&key);
        }
        Ok(())
    }

    async fn count_attempt(&self, user_id: &str, limit: u32) -> Result<Attempt, StoreError> {
        let mut state = self.state()?;
        let Some(user) = state.users.get_mut(user_id) else {
            return Ok(Attempt::Locked);
        };
        if user.status != UserStatus::Active {
            return Ok(Attempt::Locked);
        }
        if user.failed_attempts >= limit {
            return Ok(Attempt::Exhausted);
        }
        user.failed_attempts += 1;
        Ok(Attempt::Counted(
            user.failed_attempts,
            Box::new(user.clone()),
        ))
    }

    async fn consume_challenge(
        &self,
        challenge: &Challenge,
        session: Option<&Session>,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let key = (challenge.user_id.clone(), challenge.purpose);
        let current = state
            .challenges
            .get(&key)
            .is_some_and(|c| c.digest == challenge.digest);
        let active = state
            .users
            .get(&challenge.user_id)
            .is_some_and(|u| u.status == UserStatus::Active);
        let pending = (challenge.user_id.clone(), challenge.binding.clone());
        let pending_ends = session.is_none() || state.pending.contains_key(&pending);
        if !current || !active || !pending_ends {
            return Ok(false);
        }
        state.challenges.remove(&key);
        if let Some(session) = session {
            state.pending.remove(&pending);
            let key = (session.user_id.clone(), session.token_digest.clone());
            state.sessions.insert(key, session.clone());
        }
        if let Some(user) = state.users.get_mut(&challenge.user_id) {
            user.failed_attempts = 0;
        }
        Ok(true)
    }

    async fn password_failures(&self, username: &str) -> Result<Option<(u32, i64)>, StoreError> {
        let state = self.state()?;
        Ok(state
            .password_failures
            .get(&username.to_lowercase())
            .copied())
    }

    async fn record_password_failure(
        &self,
        username: &str,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError> {
        let mut state = self.state()?;
        let entry = state
            .password_failures
            .entry(username.to_lowercase())
            .or_insert((0, now));
        if entry.1 <= now - window {
            *entry = (0, now);
        }
        entry.0 += 1;
        Ok(entry.0)
    }

    async fn clear_password_failures(&self, username: &str) -> Result<(), StoreError> {
        self.state()?
            .password_failures
            .remove(&username.to_lowercase());
        Ok(())
    }

    async fn lock_user(&self, user_id: &str, limit: u32, _now: i64) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(user) = state.users.get_mut(user_id) else {
            return Ok(false);
        };
        if user.status != UserStatus::Active || user.failed_attempts < limit {
            return Ok(false);
        }
        user.status = UserStatus::Locked;
        state.pending.retain(|(owner, _), _| owner != user_id);
        state.challenges.retain(|(owner, _), _| owner != user_id);
        state.sessions.retain(|(owner, _), _| owner != user_id);
        Ok(true)
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        let key = (session.user_id.clone(), session.token_digest.clone());
        self.state()?.sessions.insert(key, session.clone());
        Ok(())
    }

    async fn session(
        &self,
        user_id: &str,
        token_digest: &str,
    ) -> Result<Option<Session>, StoreError> {
        let key = (user_id.to_owned(), token_digest.to_owned());
        Ok(self.state()?.sessions.get(&key).cloned())
    }

    async fn delete_session(&self, user_id: &str, token_digest: &str) -> Result<(), StoreError> {
        let key = (user_id.to_owned(), token_digest.to_owned());
        self.state()?.sessions.remove(&key);
        Ok(())
    }
}

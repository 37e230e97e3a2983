//! The in-memory side of changing users: the same claims and conditions as
//! the DynamoDB adapter, each call under the one lock.

use async_trait::async_trait;
use twofold_shared::{Email, Phone};

use super::MemoryStore;
use crate::model::{AuditEvent, User, UserStatus};
use crate::store::{ContactChange, StoreError, UserAdmin};

pub(super) fn email_key(email: &Email) -> String {
    format!("EMAIL#{}", email.as_str())
}

pub(super) fn phone_key(phone: &Phone) -> String {
    format!("PHONE#{}", phone.as_str())
}

#[async_trait]
impl UserAdmin for MemoryStore {
    async fn change_contact(
        &self,
        user: &User,
        email: Option<&Email>,
        phone: Option<&Phone>,
    ) -> Result<ContactChange, StoreError> {
        let mut state = self.state()?;
        let current = state.users.get(&user.id).cloned();
        let Some(mut current) = current else {
            return Ok(ContactChange::Conflict);
        };
        if current.email != user.email || current.phone != user.phone {
            return Ok(ContactChange::Conflict);
        }
        let taken = |key: Option<String>| {
            key.and_then(|k| state.claims.get(&k).cloned())
                .is_some_and(|owner| owner != user.id)
        };
        let (email_taken, phone_taken) = (taken(email.map(email_key)), taken(phone.map(phone_key)));
        if email_taken || phone_taken {
            return Ok(ContactChange::Taken {
                email: email_taken,
                phone: phone_taken,
            });
        }
        let old = [
            user.email.as_ref().map(email_key),
            user.phone.as_ref().map(phone_key),
        ];
        for old in old.into_iter().flatten() {
            state.claims.remove(&old);
        }
        for new in [email.map(email_key), phone.map(phone_key)]
            .into_iter()
            .flatten()
        {
            state.claims.insert(new, user.id.clone());
        }
        current.email = email.cloned();
        current.phone = phone.cloned();
        state.users.insert(user.id.clone(), current);
        Ok(ContactChange::Changed)
    }

    async fn reactivate(&self, account_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        match state.users.get_mut(user_id) {
            Some(user) if user.account_id == account_id && user.status == UserStatus::Locked => {
                user.status = UserStatus::Active;
                user.failed_attempts = 0;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        let mut state = self.state()?;
        let user = state
            .users
            .get_mut(user_id)
            .ok_or_else(|| StoreError::Unavailable("no such user".into()))?;
        user.password_hash = password_hash.to_owned();
        user.must_change_password = false;
        Ok(())
    }

    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        self.state()?.audit.push(event.clone());
        Ok(())
    }

    async fn audit_trail(&self, account_id: &str) -> Result<Vec<AuditEvent>, StoreError> {
        let state = self.state()?;
        let mut events: Vec<AuditEvent> = state
            .audit
            .iter()
            .filter(|e| e.account_id == account_id)
            .cloned()
            .collect();
        events.sort_by_key(|e| e.at);
        Ok(events)
    }
}

//! The account's two-factor switch in memory: the switch itself is the
//! account's `two_factor_enabled`, as sign-in reads it; the last change, the
//! enabling session and the audit trail are kept beside the accounts. A
//! change checks and writes under the store's one lock, as the DynamoDB
//! transaction does.

use std::collections::HashMap;

use async_trait::async_trait;

use super::MemoryStore;
use crate::model::{TwoFactorChange, TwoFactorSetting};
use crate::store::{SettingsStore, StoreError};

/// What the memory store keeps about two-factor changes.
#[derive(Debug, Default)]
pub(super) struct TwoFactorState {
    /// Last change and enabling session, by account id.
    latest: HashMap<String, (TwoFactorChange, String)>,
    /// Every change, oldest first.
    events: Vec<TwoFactorChange>,
}

#[async_trait]
impl SettingsStore for MemoryStore {
    async fn two_factor(&self, account_id: &str) -> Result<Option<TwoFactorSetting>, StoreError> {
        let state = self.state()?;
        let Some(account) = state.accounts.get(account_id) else {
            return Ok(None);
        };
        let enabled = account.two_factor_enabled;
        let latest = state.two_factor.latest.get(account_id);
        Ok(Some(TwoFactorSetting {
            enabled,
            last_change: latest.map(|(change, _)| change.clone()),
            enabling_session: latest
                .filter(|(change, _)| enabled && change.to)
                .map(|(_, session)| session.clone()),
        }))
    }

    async fn change_two_factor(
        &self,
        change: &TwoFactorChange,
        session: &str,
    ) -> Result<bool, StoreError> {
        let mut state = self.state()?;
        let Some(account) = state.accounts.get_mut(&change.account_id) else {
            return Ok(false);
        };
        if account.two_factor_enabled != change.from {
            return Ok(false);
        }
        account.two_factor_enabled = change.to;
        state.two_factor.latest.insert(
            change.account_id.clone(),
            (change.clone(), session.to_owned()),
        );
        state.two_factor.events.push(change.clone());
        Ok(true)
    }

    async fn two_factor_changes(
        &self,
        account_id: &str,
    ) -> Result<Vec<TwoFactorChange>, StoreError> {
        let state = self.state()?;
        let mut changes: Vec<TwoFactorChange> = state
            .two_factor
            .events
            .iter()
            .filter(|c| c.account_id == account_id)
            .cloned()
            .collect();
        changes.reverse();
        Ok(changes)
    }
}

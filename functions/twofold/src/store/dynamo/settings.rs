//! The account's two-factor switch on DynamoDB.
//!
//! The switch is `two_factor_enabled` on the account item (`ACCOUNT#{id}`,
//! `ACCOUNT`), which sign-in reads; beside it the item keeps the last change
//! (`two_factor_changed_*`) for the status, and while 2FA is on the digest of
//! the session it was turned on in (`two_factor_enabling_session`). Every
//! change is also an audit item in the account's partition:
//!
//! | item        | pk             | sk                         |
//! |-------------|----------------|----------------------------|
//! | audit event | `ACCOUNT#{id}` | `AUDIT#{at:012}#{event id}` |
//!
//! in the shape of every audit event of the account (`at`, `actor`,
//! `action`, `detail`), `action` being `two_factor_enabled` or
//! `two_factor_disabled`, plus the actor's name, `from` and `to`. No TTL.
//!
//! Invariant: a change is one transaction, an update of the account item
//! conditioned on the switch's current value and the put of its audit item,
//! so two administrators saving at once get exactly one change and one event.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};

use super::{DynamoStore, Item, applied, get_bool, get_n, get_opt_s, get_s, n, s};
use crate::model::{TwoFactorChange, TwoFactorSetting};
use crate::store::{SettingsStore, StoreError};

/// The audit actions of two-factor changes.
const ENABLED: &str = "two_factor_enabled";
const DISABLED: &str = "two_factor_disabled";

fn account_pk(account_id: &str) -> String {
    format!("ACCOUNT#{account_id}")
}

fn audit_sk(change: &TwoFactorChange) -> String {
    // Zero-padded, so sort keys order by time.
    format!("AUDIT#{:012}#{}", change.at, change.id)
}

fn setting_from(item: &Item) -> Result<TwoFactorSetting, StoreError> {
    let enabled = get_bool(item, "two_factor_enabled")?;
    let last_change = match get_opt_s(item, "two_factor_change_id") {
        Some(id) => Some(TwoFactorChange {
            id,
            account_id: get_s(item, "account_id")?,
            actor_id: get_s(item, "two_factor_changed_by")?,
            actor_name: get_s(item, "two_factor_changed_by_name")?,
            from: !enabled,
            to: enabled,
            at: get_n(item, "two_factor_changed_at")?,
        }),
        None => None,
    };
    let enabling_session = get_opt_s(item, "two_factor_enabling_session").filter(|_| enabled);
    Ok(TwoFactorSetting {
        enabled,
        last_change,
        enabling_session,
    })
}

fn change_from(item: &Item) -> Result<TwoFactorChange, StoreError> {
    Ok(TwoFactorChange {
        id: get_s(item, "event_id")?,
        account_id: get_s(item, "account_id")?,
        actor_id: get_s(item, "actor")?,
        actor_name: get_s(item, "actor_name")?,
        from: get_bool(item, "from")?,
        to: get_bool(item, "to")?,
        at: get_n(item, "at")?,
    })
}

fn audit_item(change: &TwoFactorChange) -> Item {
    let (action, detail) = if change.to {
        (ENABLED, "Two-factor authentication turned on")
    } else {
        (DISABLED, "Two-factor authentication turned off")
    };
    Item::from([
        ("pk".into(), s(account_pk(&change.account_id))),
        ("sk".into(), s(audit_sk(change))),
        ("event_id".into(), s(&change.id)),
        ("account_id".into(), s(&change.account_id)),
        ("actor".into(), s(&change.actor_id)),
        ("actor_name".into(), s(&change.actor_name)),
        ("action".into(), s(action)),
        ("detail".into(), s(detail)),
        ("from".into(), AttributeValue::Bool(change.from)),
        ("to".into(), AttributeValue::Bool(change.to)),
        ("at".into(), n(change.at)),
    ])
}

#[async_trait]
impl SettingsStore for DynamoStore {
    async fn two_factor(&self, account_id: &str) -> Result<Option<TwoFactorSetting>, StoreError> {
        let item = self.get(account_pk(account_id), "ACCOUNT".into()).await?;
        item.as_ref().map(setting_from).transpose()
    }

    async fn change_two_factor(
        &self,
        change: &TwoFactorChange,
        session: &str,
    ) -> Result<bool, StoreError> {
        let set = "SET two_factor_enabled = :to, two_factor_changed_at = :at, \
                   two_factor_changed_by = :by, two_factor_changed_by_name = :name, \
                   two_factor_change_id = :id";
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(account_pk(&change.account_id)))
            .key("sk", s("ACCOUNT"))
            .condition_expression("two_factor_enabled = :from")
            .expression_attribute_values(":from", AttributeValue::Bool(change.from))
            .expression_attribute_values(":to", AttributeValue::Bool(change.to))
            .expression_attribute_values(":at", n(change.at))
            .expression_attribute_values(":by", s(&change.actor_id))
            .expression_attribute_values(":name", s(&change.actor_name))
            .expression_attribute_values(":id", s(&change.id));
        let update = if change.to {
            update
                .update_expression(format!("{set}, two_factor_enabling_session = :session"))
                .expression_attribute_values(":session", s(session))
        } else {
            update.update_expression(format!("{set} REMOVE two_factor_enabling_session"))
        };
        let update = update
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let event = Put::builder()
            .table_name(&self.table)
            .set_item(Some(audit_item(change)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().put(event).build())
            .send()
            .await;
        applied(result)
    }

    async fn two_factor_changes(
        &self,
        account_id: &str,
    ) -> Result<Vec<TwoFactorChange>, StoreError> {
        let items = self.query_prefix(account_pk(account_id), "AUDIT#").await?;
        let mut changes = items
            .iter()
            .filter(|item| {
                let action = get_opt_s(item, "action");
                matches!(action.as_deref(), Some(ENABLED | DISABLED))
            })
            .map(change_from)
            .collect::<Result<Vec<_>, _>>()?;
        changes.reverse();
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_keys_sort_by_time() {
        let change = |at| TwoFactorChange {
            id: "e".into(),
            account_id: "a".into(),
            actor_id: "u".into(),
            actor_name: "U".into(),
            from: false,
            to: true,
            at,
        };
        assert!(audit_sk(&change(999_999_999)) < audit_sk(&change(1_800_000_000)));
    }
}

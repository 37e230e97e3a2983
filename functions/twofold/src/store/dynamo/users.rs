//! Changing users: contact details under system-wide uniqueness claims,
//! reactivation, passwords, and the audit trail.
//!
//! | item         | pk                   | sk                    |
//! |--------------|----------------------|-----------------------|
//! | email claim  | `EMAIL#{canonical}`  | `CLAIM`               |
//! | phone claim  | `PHONE#{e164}`       | `CLAIM`               |
//! | audit event  | `ACCOUNT#{account}`  | `AUDIT#{time}#{id}`   |
//!
//! A claim names its owner. A contact change updates the profile (if it
//! still shows the old details), puts the new claims (if free or already
//! this user's) and deletes the old ones (if still this user's), all in one
//! transaction: two administrators saving one address at once cannot both
//! succeed.

use async_trait::async_trait;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use twofold_shared::{Email, Phone};

use super::{
    DynamoStore, Item, applied, condition_failed, get_n, get_opt_s, get_s, n, s, unavailable,
    user_pk,
};
use crate::model::{AuditEvent, User, UserStatus};
use crate::store::{ContactChange, StoreError, UserAdmin};

pub(super) fn email_pk(email: &Email) -> String {
    format!("EMAIL#{}", email.as_str())
}

pub(super) fn phone_pk(phone: &Phone) -> String {
    format!("PHONE#{}", phone.as_str())
}

fn built<T, E: std::fmt::Display>(result: Result<T, E>) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::Unavailable(e.to_string()))
}

/// A put that claims `pk` for `user_id`, unless another user holds it.
pub(super) fn claim(
    table: &str,
    pk: String,
    user_id: &str,
) -> Result<TransactWriteItem, StoreError> {
    let put = built(
        Put::builder()
            .table_name(table)
            .item("pk", s(pk))
            .item("sk", s("CLAIM"))
            .item("user_id", s(user_id))
            .condition_expression("attribute_not_exists(pk) OR user_id = :me")
            .expression_attribute_values(":me", s(user_id))
            .build(),
    )?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn release(table: &str, pk: String, user_id: &str) -> Result<TransactWriteItem, StoreError> {
    let delete = built(
        Delete::builder()
            .table_name(table)
            .key("pk", s(pk))
            .key("sk", s("CLAIM"))
            .condition_expression("attribute_not_exists(pk) OR user_id = :me")
            .expression_attribute_values(":me", s(user_id))
            .build(),
    )?;
    Ok(TransactWriteItem::builder().delete(delete).build())
}

/// For a cancelled transaction, whether each item's condition failed, in
/// the order the items were given.
pub(super) fn failed_items<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<bool>> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(cancelled) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code() == Some("ConditionalCheckFailed"))
                .collect(),
        ),
        _ => None,
    }
}

/// `expected = :value`, or absence when there is no value.
fn matches_now(
    name: &str,
    placeholder: &str,
    value: Option<&str>,
    values: &mut Vec<(String, AttributeValue)>,
) -> String {
    match value {
        Some(value) => {
            values.push((placeholder.to_owned(), s(value)));
            format!("{name} = {placeholder}")
        }
        None => format!("attribute_not_exists({name})"),
    }
}

#[async_trait]
impl UserAdmin for DynamoStore {
    async fn change_contact(
        &self,
        user: &User,
        email: Option<&Email>,
        phone: Option<&Phone>,
    ) -> Result<ContactChange, StoreError> {
        let mut values = Vec::new();
        let condition = format!(
            "{} AND {}",
            matches_now(
                "email",
                ":old_email",
                user.email.as_ref().map(Email::as_str),
                &mut values
            ),
            matches_now(
                "phone",
                ":old_phone",
                user.phone.as_ref().map(Phone::as_str),
                &mut values
            ),
        );
        let mut set = Vec::new();
        let mut remove = Vec::new();
        match email {
            Some(email) => {
                set.push("email = :email");
                values.push((":email".into(), s(email.as_str())));
            }
            None => remove.push("email"),
        }
        match phone {
            Some(phone) => {
                set.push("phone = :phone");
                values.push((":phone".into(), s(phone.as_str())));
            }
            None => remove.push("phone"),
        }
        let mut expression = String::new();
        if !set.is_empty() {
            expression.push_str(&format!("SET {}", set.join(", ")));
        }
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(user_pk(&user.id)))
            .key("sk", s("PROFILE"))
            .update_expression(expression.trim())
            .condition_expression(condition);
        for (name, value) in values {
            update = update.expression_attribute_values(name, value);
        }
        let mut items = vec![
            TransactWriteItem::builder()
                .update(built(update.build())?)
                .build(),
        ];
        // Positions of the new claims in `items`, to tell which was taken.
        let mut email_at = None;
        let mut phone_at = None;
        if let Some(email) = email {
            email_at = Some(items.len());
            items.push(claim(&self.table, email_pk(email), &user.id)?);
        }
        if let Some(phone) = phone {
            phone_at = Some(items.len());
            items.push(claim(&self.table, phone_pk(phone), &user.id)?);
        }
        if let Some(old) = user.email.as_ref().filter(|old| Some(*old) != email) {
            items.push(release(&self.table, email_pk(old), &user.id)?);
        }
        if let Some(old) = user.phone.as_ref().filter(|old| Some(*old) != phone) {
            items.push(release(&self.table, phone_pk(old), &user.id)?);
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => Ok(ContactChange::Changed),
            Err(err) => match failed_items(&err) {
                Some(failed) => {
                    let at =
                        |i: Option<usize>| i.and_then(|i| failed.get(i).copied()) == Some(true);
                    let (email, phone) = (at(email_at), at(phone_at));
                    if email || phone {
                        Ok(ContactChange::Taken { email, phone })
                    } else {
                        Ok(ContactChange::Conflict)
                    }
                }
                None if condition_failed(&err) => Ok(ContactChange::Conflict),
                None => Err(unavailable(err)),
            },
        }
    }

    async fn reactivate(&self, account_id: &str, user_id: &str) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(user_pk(user_id)))
            .key("sk", s("PROFILE"))
            .update_expression("SET #status = :active, failed_attempts = :zero REMOVE locked_at")
            .condition_expression("account_id = :account AND #status = :locked")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":active", s(UserStatus::Active.as_str()))
            .expression_attribute_values(":locked", s(UserStatus::Locked.as_str()))
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":account", s(account_id))
            .send()
            .await;
        applied(result)
    }

    async fn set_password(&self, user_id: &str, password_hash: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(user_pk(user_id)))
            .key("sk", s("PROFILE"))
            .update_expression("SET password_hash = :hash, must_change_password = :no")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":hash", s(password_hash))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn record(&self, event: &AuditEvent) -> Result<(), StoreError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut item = Item::from([
            ("pk".into(), s(format!("ACCOUNT#{}", event.account_id))),
            ("sk".into(), s(format!("AUDIT#{:012}#{id}", event.at))),
            ("account_id".into(), s(&event.account_id)),
            ("at".into(), n(event.at)),
            ("actor".into(), s(&event.actor)),
            ("action".into(), s(&event.action)),
            ("detail".into(), s(&event.detail)),
        ]);
        if let Some(subject) = &event.subject {
            item.insert("subject".into(), s(subject));
        }
        self.put(item).await
    }

    async fn audit_trail(&self, account_id: &str) -> Result<Vec<AuditEvent>, StoreError> {
        let items = self
            .query_prefix(format!("ACCOUNT#{account_id}"), "AUDIT#")
            .await?;
        items
            .iter()
            .map(|item| {
                Ok(AuditEvent {
                    account_id: get_s(item, "account_id")?,
                    at: get_n(item, "at")?,
                    actor: get_s(item, "actor")?,
                    action: get_s(item, "action")?,
                    subject: get_opt_s(item, "subject"),
                    detail: get_s(item, "detail")?,
                })
            })
            .collect()
    }
}

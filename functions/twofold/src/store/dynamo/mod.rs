//! The DynamoDB adapter: one table, keys `pk` and `sk`, TTL on `ttl`.
//!
//! Layout (single-table):
//!
//! | item            | pk                  | sk                   |
//! |-----------------|---------------------|----------------------|
//! | account         | `ACCOUNT#{id}`      | `ACCOUNT`            |
//! | practice        | `ACCOUNT#{account}` | `PRACTICE#{id}`      |
//! | user            | `USER#{id}`         | `PROFILE`            |
//! | username claim  | `USERNAME#{lower}`  | `USERNAME`           |
//! | pending sign-in | `USER#{id}`         | `PENDING#{digest}`   |
//! | challenge       | `USER#{id}`         | `CHALLENGE#{purpose}`|
//! | session         | `USER#{id}`         | `SESSION#{digest}`   |
//! | wrong passwords | `LOGIN#{lower}`     | `FAILURES`           |
//!
//! User profiles also carry `gsi1pk = ACCOUNT#{account}` and
//! `gsi1sk = USER#{id}`, so index `ByAccount` lists an account's users.
//!
//! Everything a user holds lives in the user's partition, so locking can
//! find and remove it with one query. Every rule that must hold under
//! concurrency is a condition on a single write or a transaction.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use twofold_shared::api::Role;
use twofold_shared::{Email, Method, Phone};

use super::{
    Attempt, Created, Directory, Provisioning, SessionStore, SignInState, SignInStore, StoreError,
};
use crate::model::{
    Account, Challenge, PendingSignIn, Practice, Purpose, Session, User, UserStatus,
};

mod settings;
mod users;

type Item = HashMap<String, AttributeValue>;

const CONDITION_FAILED: &str = "ConditionalCheckFailedException";

/// The index that lists an account's users.
pub const BY_ACCOUNT_INDEX: &str = "ByAccount";

/// DynamoDB behind the store ports.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// A store over `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    async fn get(&self, pk: String, sk: String) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(unavailable)?;
        Ok(out.item)
    }

    /// The items at `keys` that exist, read consistently in one request
    /// (more only for keys DynamoDB leaves unprocessed), by key.
    async fn get_many(
        &self,
        keys: &[(String, String)],
    ) -> Result<HashMap<(String, String), Item>, StoreError> {
        let wanted = keys
            .iter()
            .map(|(pk, sk)| Item::from([("pk".into(), s(pk)), ("sk".into(), s(sk))]))
            .collect();
        let mut request = Some(
            KeysAndAttributes::builder()
                .set_keys(Some(wanted))
                .consistent_read(true)
                .build()
                .map_err(|e| StoreError::Unavailable(e.to_string()))?,
        );
        let mut found = HashMap::new();
        for retry in 0..4u32 {
            let Some(wanted) = request.take() else { break };
            if retry > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << retry)).await;
            }
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, wanted)
                .send()
                .await
                .map_err(unavailable)?;
            let items = out.responses.and_then(|mut r| r.remove(&self.table));
            for item in items.unwrap_or_default() {
                found.insert((get_s(&item, "pk")?, get_s(&item, "sk")?), item);
            }
            request = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .filter(|left| !left.keys.is_empty());
        }
        match request {
            None => Ok(found),
            Some(_) => Err(StoreError::Unavailable(
                "the table left keys of a batch read unprocessed".into(),
            )),
        }
    }

    async fn delete(&self, pk: String, sk: String) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn put(&self, item: Item) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    /// Every item of a partition whose sort key starts with `prefix`.
    async fn query_prefix(&self, pk: String, prefix: &str) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":prefix", s(prefix.to_owned()))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(items),
            }
        }
    }
}

pub(super) fn user_pk(user_id: &str) -> String {
    format!("USER#{user_id}")
}

fn login_pk(username: &str) -> String {
    format!("LOGIN#{}", username.to_lowercase())
}

pub(super) fn username_pk(username: &str) -> String {
    format!("USERNAME#{}", username.to_lowercase())
}

fn pending_sk(token_digest: &str) -> String {
    format!("PENDING#{token_digest}")
}

pub(super) fn challenge_sk(purpose: Purpose) -> String {
    format!("CHALLENGE#{}", purpose.as_str())
}

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(super) fn unavailable<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
}

/// A conditional write's outcome: whether it was applied, `false` when its
/// condition did not hold.
pub(super) fn applied<O, E, R>(result: Result<O, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: std::error::Error + ProvideErrorMetadata + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if condition_failed(&err) => Ok(false),
        Err(err) => Err(unavailable(err)),
    }
}

/// Whether a write failed only because its condition did not hold.
pub(super) fn condition_failed<E, R>(err: &SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    let code = err.as_service_error().and_then(ProvideErrorMetadata::code);
    matches!(
        code,
        Some(CONDITION_FAILED) | Some("TransactionCanceledException")
    )
}

pub(super) fn get_s(item: &Item, name: &str) -> Result<String, StoreError> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(StoreError::Corrupt(format!(
            "missing text attribute {name}"
        ))),
    }
}

pub(super) fn get_opt_s(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

pub(super) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("attribute {name} is not a number"))),
        _ => Err(StoreError::Corrupt(format!(
            "missing number attribute {name}"
        ))),
    }
}

pub(super) fn get_bool(item: &Item, name: &str) -> Result<bool, StoreError> {
    match item.get(name) {
        Some(AttributeValue::Bool(value)) => Ok(*value),
        _ => Err(StoreError::Corrupt(format!(
            "missing boolean attribute {name}"
        ))),
    }
}

pub(super) fn role_str(role: Role) -> &'static str {
    match role {
        Role::SystemAdministrator => "system_administrator",
        Role::User => "user",
    }
}

pub(super) fn method_str(method: Method) -> &'static str {
    match method {
        Method::Email => "email",
        Method::Text => "text",
    }
}

pub(super) fn account_from(item: &Item) -> Result<Account, StoreError> {
    Ok(Account {
        id: get_s(item, "account_id")?,
        name: get_s(item, "name")?,
        two_factor_enabled: get_bool(item, "two_factor_enabled")?,
    })
}

pub(super) fn practice_from(item: &Item) -> Result<Practice, StoreError> {
    Ok(Practice {
        id: get_s(item, "practice_id")?,
        account_id: get_s(item, "account_id")?,
        name: get_s(item, "name")?,
    })
}

pub(super) fn user_item(user: &User) -> Item {
    let mut item = Item::from([
        ("pk".into(), s(user_pk(&user.id))),
        ("sk".into(), s("PROFILE")),
        ("user_id".into(), s(&user.id)),
        ("account_id".into(), s(&user.account_id)),
        ("username".into(), s(&user.username)),
        ("name".into(), s(&user.name)),
        ("role".into(), s(role_str(user.role))),
        ("password_hash".into(), s(&user.password_hash)),
        ("status".into(), s(user.status.as_str())),
        ("failed_attempts".into(), n(user.failed_attempts)),
        (
            "must_change_password".into(),
            AttributeValue::Bool(user.must_change_password),
        ),
        ("gsi1pk".into(), s(format!("ACCOUNT#{}", user.account_id))),
        ("gsi1sk".into(), s(format!("USER#{}", user.id))),
    ]);
    if !user.practice_ids.is_empty() {
        item.insert(
            "practice_ids".into(),
            AttributeValue::Ss(user.practice_ids.clone()),
        );
    }
    if let Some(email) = &user.email {
        item.insert("email".into(), s(email.as_str()));
    }
    if let Some(phone) = &user.phone {
        item.insert("phone".into(), s(phone.as_str()));
    }
    item
}

pub(super) fn user_from(item: &Item) -> Result<User, StoreError> {
    let role = match get_s(item, "role")?.as_str() {
        "system_administrator" => Role::SystemAdministrator,
        "user" => Role::User,
        other => return Err(StoreError::Corrupt(format!("unknown role {other}"))),
    };
    let status = UserStatus::parse(&get_s(item, "status")?)
        .ok_or_else(|| StoreError::Corrupt("unknown user status".into()))?;
    let email = match get_opt_s(item, "email") {
        Some(text) => {
            Some(Email::stored(&text).map_err(|_| StoreError::Corrupt("stored email".into()))?)
        }
        None => None,
    };
    let phone = match get_opt_s(item, "phone") {
        Some(text) => Some(
            Phone::from_e164(&text).ok_or_else(|| StoreError::Corrupt("stored phone".into()))?,
        ),
        None => None,
    };
    let mut practice_ids = match item.get("practice_ids") {
        Some(AttributeValue::Ss(ids)) => ids.clone(),
        _ => Vec::new(),
    };
    practice_ids.sort();
    Ok(User {
        id: get_s(item, "user_id")?,
        account_id: get_s(item, "account_id")?,
        username: get_s(item, "username")?,
        name: get_s(item, "name")?,
        role,
        practice_ids,
        email,
        phone,
        password_hash: get_s(item, "password_hash")?,
        status,
        failed_attempts: get_n(item, "failed_attempts")?,
        must_change_password: get_bool(item, "must_change_password").unwrap_or(false),
    })
}

fn pending_from(item: &Item, token_digest: &str) -> Result<PendingSignIn, StoreError> {
    Ok(PendingSignIn {
        token_digest: token_digest.to_owned(),
        user_id: get_s(item, "user_id")?,
        expires_at: get_n(item, "expires_at")?,
        password_change: get_bool(item, "password_change")?,
    })
}

fn session_item(session: &Session) -> Item {
    Item::from([
        ("pk".into(), s(user_pk(&session.user_id))),
        ("sk".into(), s(format!("SESSION#{}", session.token_digest))),
        ("user_id".into(), s(&session.user_id)),
        ("account_id".into(), s(&session.account_id)),
        (
            "second_factor".into(),
            AttributeValue::Bool(session.second_factor),
        ),
        ("created_at".into(), n(session.created_at)),
        ("expires_at".into(), n(session.expires_at)),
        ("ttl".into(), n(session.expires_at)),
    ])
}

fn challenge_item(challenge: &Challenge) -> Item {
    Item::from([
        ("pk".into(), s(user_pk(&challenge.user_id))),
        ("sk".into(), s(challenge_sk(challenge.purpose))),
        ("user_id".into(), s(&challenge.user_id)),
        ("digest".into(), s(&challenge.digest)),
        ("binding".into(), s(&challenge.binding)),
        ("method".into(), s(method_str(challenge.method))),
        ("issued_at".into(), n(challenge.issued_at)),
        ("expires_at".into(), n(challenge.expires_at)),
        ("window_start".into(), n(challenge.window_start)),
        ("window_sends".into(), n(challenge.window_sends)),
        (
            "ttl".into(),
            n(challenge.expires_at.max(challenge.window_start)),
        ),
    ])
}

fn challenge_from(item: &Item, purpose: Purpose) -> Result<Challenge, StoreError> {
    let method = match get_s(item, "method")?.as_str() {
        "email" => Method::Email,
        "text" => Method::Text,
        other => return Err(StoreError::Corrupt(format!("unknown method {other}"))),
    };
    Ok(Challenge {
        user_id: get_s(item, "user_id")?,
        purpose,
        digest: get_s(item, "digest")?,
        binding: get_s(item, "binding")?,
        method,
        issued_at: get_n(item, "issued_at")?,
        expires_at: get_n(item, "expires_at")?,
        window_start: get_n(item, "window_start")?,
        window_sends: get_n(item, "window_sends")?,
    })
}

#[async_trait]
impl Directory for DynamoStore {
    async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let Some(claim) = self.get(username_pk(username), "USERNAME".into()).await? else {
            return Ok(None);
        };
        self.user(&get_s(&claim, "user_id")?).await
    }

    async fn user(&self, user_id: &str) -> Result<Option<User>, StoreError> {
        let item = self.get(user_pk(user_id), "PROFILE".into()).await?;
        item.as_ref().map(user_from).transpose()
    }

    async fn account(&self, account_id: &str) -> Result<Option<Account>, StoreError> {
        let item = self
            .get(format!("ACCOUNT#{account_id}"), "ACCOUNT".into())
            .await?;
        item.as_ref().map(account_from).transpose()
    }

    async fn practices(&self, account_id: &str) -> Result<Vec<Practice>, StoreError> {
        let items = self
            .query_prefix(format!("ACCOUNT#{account_id}"), "PRACTICE#")
            .await?;
        items.iter().map(practice_from).collect()
    }

    async fn users_of_account(&self, account_id: &str) -> Result<Vec<User>, StoreError> {
        let mut users = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_ACCOUNT_INDEX)
                .key_condition_expression("gsi1pk = :account")
                .expression_attribute_values(":account", s(format!("ACCOUNT#{account_id}")))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(unavailable)?;
            for item in out.items.unwrap_or_default() {
                users.push(user_from(&item)?);
            }
            match out.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => return Ok(users),
            }
        }
    }
}

#[async_trait]
impl Provisioning for DynamoStore {
    async fn put_account(&self, account: &Account) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(format!("ACCOUNT#{}", account.id))),
            ("sk".into(), s("ACCOUNT")),
            ("account_id".into(), s(&account.id)),
            ("name".into(), s(&account.name)),
            (
                "two_factor_enabled".into(),
                AttributeValue::Bool(account.two_factor_enabled),
            ),
        ]))
        .await
    }

    async fn put_practice(&self, practice: &Practice) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(format!("ACCOUNT#{}", practice.account_id))),
            ("sk".into(), s(format!("PRACTICE#{}", practice.id))),
            ("practice_id".into(), s(&practice.id)),
            ("account_id".into(), s(&practice.account_id)),
            ("name".into(), s(&practice.name)),
        ]))
        .await
    }

    async fn create_user(&self, user: &User) -> Result<Created, StoreError> {
        let claim_username = Put::builder()
            .table_name(&self.table)
            .item("pk", s(username_pk(&user.username)))
            .item("sk", s("USERNAME"))
            .item("user_id", s(&user.id))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let profile = Put::builder()
            .table_name(&self.table)
            .set_item(Some(user_item(user)))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let mut request = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(claim_username).build())
            .transact_items(TransactWriteItem::builder().put(profile).build());
        if let Some(email) = &user.email {
            let claim = users::claim(&self.table, users::email_pk(email), &user.id)?;
            request = request.transact_items(claim);
        }
        if let Some(phone) = &user.phone {
            let claim = users::claim(&self.table, users::phone_pk(phone), &user.id)?;
            request = request.transact_items(claim);
        }
        match request.send().await {
            Ok(_) => Ok(Created::Created),
            Err(err) => match users::failed_items(&err) {
                Some(failed) if failed.first() == Some(&true) => Ok(Created::UsernameTaken),
                Some(failed) if failed.get(1) == Some(&true) => Ok(Created::UsernameTaken),
                Some(failed) if user.email.is_some() && failed.get(2) == Some(&true) => {
                    Ok(Created::EmailTaken)
                }
                Some(_) if user.phone.is_some() => Ok(Created::PhoneTaken),
                _ if condition_failed(&err) => Ok(Created::UsernameTaken),
                _ => Err(unavailable(err)),
            },
        }
    }
}

#[async_trait]
impl SignInStore for DynamoStore {
    async fn put_pending(&self, pending: &PendingSignIn) -> Result<(), StoreError> {
        self.put(Item::from([
            ("pk".into(), s(user_pk(&pending.user_id))),
            ("sk".into(), s(pending_sk(&pending.token_digest))),
            ("user_id".into(), s(&pending.user_id)),
            ("expires_at".into(), n(pending.expires_at)),
            ("ttl".into(), n(pending.expires_at)),
            (
                "password_change".into(),
                AttributeValue::Bool(pending.password_change),
            ),
        ]))
        .await
    }

    async fn pending(
        &self,
        user_id: &str,
        token_digest: &str,
    ) -> Result<Option<PendingSignIn>, StoreError> {
        let item = self.get(user_pk(user_id), pending_sk(token_digest)).await?;
        item.map(|item| pending_from(&item, token_digest))
            .transpose()
    }

    async fn sign_in_state(
        &self,
        user_id: &str,
        token_digest: &str,
        purpose: Purpose,
    ) -> Result<SignInState, StoreError> {
        let pk = user_pk(user_id);
        let keys = [
            pending_sk(token_digest),
            "PROFILE".into(),
            challenge_sk(purpose),
        ]
        .map(|sk| (pk.clone(), sk));
        let mut found = self.get_many(&keys).await?;
        let [pending, user, challenge] = keys.map(|key| found.remove(&key));
        Ok(SignInState {
            pending: pending
                .map(|item| pending_from(&item, token_digest))
                .transpose()?,
            user: user.as_ref().map(user_from).transpose()?,
            challenge: challenge
                .map(|item| challenge_from(&item, purpose))
                .transpose()?,
        })
    }

    async fn delete_pending(&self, user_id: &str, token_digest: &str) -> Result<(), StoreError> {
        self.delete(user_pk(user_id), pending_sk(token_digest))
            .await
    }

    async fn challenge(
        &self,
        user_id: &str,
        purpose: Purpose,
    ) -> Result<Option<Challenge>, StoreError> {
        let item = self.get(user_pk(user_id), challenge_sk(purpose)).await?;
        item.map(|item| challenge_from(&item, purpose)).transpose()
    }

    async fn replace_challenge(
        &self,
        challenge: &Challenge,
        previous: Option<i64>,
    ) -> Result<bool, StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(challenge_item(challenge)));
        let request = match previous {
            None => request.condition_expression("attribute_not_exists(pk)"),
            Some(issued_at) => request
                .condition_expression("issued_at = :previous")
                .expression_attribute_values(":previous", n(issued_at)),
        };
        applied(request.send().await)
    }

    async fn withdraw_challenge(&self, challenge: &Challenge) -> Result<(), StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(user_pk(&challenge.user_id)))
            .key("sk", s(challenge_sk(challenge.purpose)))
            .condition_expression("digest = :digest")
            .expression_attribute_values(":digest", s(&challenge.digest))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if condition_failed(&err) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn count_attempt(&self, user_id: &str, limit: u32) -> Result<Attempt, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(user_pk(user_id)))
            .key("sk", s("PROFILE"))
            .update_expression("ADD failed_attempts :one")
            .condition_expression("#status = :active AND failed_attempts < :limit")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":active", s(UserStatus::Active.as_str()))
            .expression_attribute_values(":limit", n(limit))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let attributes = out.attributes.unwrap_or_default();
                Ok(Attempt::Counted(
                    get_n(&attributes, "failed_attempts")?,
                    Box::new(user_from(&attributes)?),
                ))
            }
            Err(err) if condition_failed(&err) => match self.user(user_id).await? {
                Some(user) if user.status == UserStatus::Active => Ok(Attempt::Exhausted),
                _ => Ok(Attempt::Locked),
            },
            Err(err) => Err(unavailable(err)),
        }
    }

    async fn consume_challenge(
        &self,
        challenge: &Challenge,
        session: Option<&Session>,
    ) -> Result<bool, StoreError> {
        let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Unavailable(e.to_string());
        let used = Delete::builder()
            .table_name(&self.table)
            .key("pk", s(user_pk(&challenge.user_id)))
            .key("sk", s(challenge_sk(challenge.purpose)))
            .condition_expression("digest = :digest")
            .expression_attribute_values(":digest", s(&challenge.digest))
            .build()
            .map_err(built)?;
        let cleared = Update::builder()
            .table_name(&self.table)
            .key("pk", s(user_pk(&challenge.user_id)))
            .key("sk", s("PROFILE"))
            .update_expression("SET failed_attempts = :zero")
            .condition_expression("#status = :active")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":active", s(UserStatus::Active.as_str()))
            .build()
            .map_err(built)?;
        let mut items = vec![
            TransactWriteItem::builder().delete(used).build(),
            TransactWriteItem::builder().update(cleared).build(),
        ];
        if let Some(session) = session {
            let ended = Delete::builder()
                .table_name(&self.table)
                .key("pk", s(user_pk(&challenge.user_id)))
                .key("sk", s(pending_sk(&challenge.binding)))
                .condition_expression("attribute_exists(pk)")
                .build()
                .map_err(built)?;
            let started = Put::builder()
                .table_name(&self.table)
                .set_item(Some(session_item(session)))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(built)?;
            items.push(TransactWriteItem::builder().delete(ended).build());
            items.push(TransactWriteItem::builder().put(started).build());
        }
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        applied(result)
    }

    async fn password_failures(&self, username: &str) -> Result<Option<(u32, i64)>, StoreError> {
        let item = self.get(login_pk(username), "FAILURES".into()).await?;
        item.map(|item| Ok((get_n(&item, "failures")?, get_n(&item, "window_start")?)))
            .transpose()
    }

    async fn record_password_failure(
        &self,
        username: &str,
        now: i64,
        window: i64,
    ) -> Result<u32, StoreError> {
        // Count in the current window if it is still open, else open a new
        // one unless another request just did; then count in that one.
        for _ in 0..3 {
            let counted = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("pk", s(login_pk(username)))
                .key("sk", s("FAILURES"))
                .update_expression("ADD failures :one")
                .condition_expression("window_start > :stale")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":stale", n(now - window))
                .return_values(ReturnValue::UpdatedNew)
                .send()
                .await;
            match counted {
                Ok(out) => return get_n(&out.attributes.unwrap_or_default(), "failures"),
                Err(err) if condition_failed(&err) => {}
                Err(err) => return Err(unavailable(err)),
            }
            let opened = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(login_pk(username)))
                .item("sk", s("FAILURES"))
                .item("failures", n(1))
                .item("window_start", n(now))
                .item("ttl", n(now + window))
                .condition_expression("attribute_not_exists(pk) OR window_start <= :stale")
                .expression_attribute_values(":stale", n(now - window))
                .send()
                .await;
            match opened {
                Ok(_) => return Ok(1),
                Err(err) if condition_failed(&err) => {}
                Err(err) => return Err(unavailable(err)),
            }
        }
        Err(StoreError::Unavailable(
            "the wrong-password count kept changing under us".into(),
        ))
    }

    async fn clear_password_failures(&self, username: &str) -> Result<(), StoreError> {
        self.delete(login_pk(username), "FAILURES".into()).await
    }

    async fn lock_user(&self, user_id: &str, limit: u32, now: i64) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(user_pk(user_id)))
            .key("sk", s("PROFILE"))
            .update_expression("SET #status = :locked, locked_at = :now")
            .condition_expression("#status = :active AND failed_attempts >= :limit")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":locked", s(UserStatus::Locked.as_str()))
            .expression_attribute_values(":active", s(UserStatus::Active.as_str()))
            .expression_attribute_values(":limit", n(limit))
            .expression_attribute_values(":now", n(now))
            .send()
            .await;
        match result {
            Ok(_) => {}
            Err(err) if condition_failed(&err) => return Ok(false),
            Err(err) => return Err(unavailable(err)),
        }
        // The lock already refuses everything below; removing what the user
        // held keeps a later reactivation from reviving old codes or sessions.
        for prefix in ["PENDING#", "CHALLENGE#", "SESSION#"] {
            for item in self.query_prefix(user_pk(user_id), prefix).await? {
                self.delete(user_pk(user_id), get_s(&item, "sk")?).await?;
            }
        }
        Ok(true)
    }
}

#[async_trait]
impl SessionStore for DynamoStore {
    async fn put_session(&self, session: &Session) -> Result<(), StoreError> {
        self.put(session_item(session)).await
    }

    async fn session(
        &self,
        user_id: &str,
        token_digest: &str,
    ) -> Result<Option<Session>, StoreError> {
        let item = self
            .get(user_pk(user_id), format!("SESSION#{token_digest}"))
            .await?;
        item.map(|item| {
            Ok(Session {
                token_digest: token_digest.to_owned(),
                user_id: get_s(&item, "user_id")?,
                account_id: get_s(&item, "account_id")?,
                second_factor: get_bool(&item, "second_factor")?,
                created_at: get_n(&item, "created_at")?,
                expires_at: get_n(&item, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn delete_session(&self, user_id: &str, token_digest: &str) -> Result<(), StoreError> {
        self.delete(user_pk(user_id), format!("SESSION#{token_digest}"))
            .await
    }
}

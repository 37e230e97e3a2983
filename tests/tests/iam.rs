//! The local emulator holds each function to its IAM policy in
//! infra/template.yaml (scripts/template_iam.py), so a call the deployed
//! role would refuse fails here too, in every end-to-end test that makes
//! it. These tests show that the check is there and reads the template.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::{QueryError, QueryOutput};
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use twofold_e2e::Stack;

/// A DynamoDB client configured as the function `function` configures its
/// own.
async fn client_of(function: &str) -> Client {
    let config = twofold::aws::sdk_config(Some(function)).await;
    twofold::aws::dynamodb(&config)
}

fn key() -> [(String, AttributeValue); 2] {
    let pk = format!("IAM-TEST#{}", uuid::Uuid::new_v4().simple());
    [
        ("pk".into(), AttributeValue::S(pk)),
        ("sk".into(), AttributeValue::S("PROFILE".into())),
    ]
}

/// A query of the index of an account's users, for an account that does
/// not exist.
async fn users_of_no_account(
    client: &Client,
    table: &str,
) -> Result<QueryOutput, SdkError<QueryError, HttpResponse>> {
    client
        .query()
        .table_name(table)
        .index_name("ByAccount")
        .key_condition_expression("gsi1pk = :account")
        .expression_attribute_values(":account", AttributeValue::S("ACCOUNT#none".into()))
        .send()
        .await
}

#[tokio::test]
async fn a_function_is_refused_what_its_role_does_not_allow() {
    let table = Stack::from_env().table;
    let session = client_of("session").await;

    // The session function reads, but never writes a new item.
    let read = session
        .get_item()
        .table_name(&table)
        .set_key(Some(key().into()))
        .send()
        .await;
    assert!(read.is_ok(), "GetItem is allowed: {read:?}");
    let written = session
        .put_item()
        .table_name(&table)
        .set_item(Some(key().into()))
        .send()
        .await
        .expect_err("PutItem is not in the session function's policy");
    assert_eq!(written.code(), Some("AccessDeniedException"));
    assert!(
        written
            .message()
            .is_some_and(|m| m.contains("dynamodb:PutItem")),
        "the refusal names the action: {written:?}"
    );

    // Its reads of an account's users go through the index, which only the
    // settings and users functions may query.
    let listed = users_of_no_account(&session, &table)
        .await
        .expect_err("the index is not in the session function's policy");
    assert_eq!(listed.code(), Some("AccessDeniedException"));
}

#[tokio::test]
async fn a_function_may_make_the_calls_its_role_allows() {
    let table = Stack::from_env().table;
    let keys = KeysAndAttributes::builder()
        .keys(key().into())
        .consistent_read(true)
        .build()
        .unwrap();
    let batch = client_of("send-code")
        .await
        .batch_get_item()
        .request_items(&table, keys)
        .send()
        .await;
    assert!(batch.is_ok(), "send-code may batch its reads: {batch:?}");

    let users = users_of_no_account(&client_of("users").await, &table).await;
    assert!(
        users.is_ok(),
        "users may list an account's users: {users:?}"
    );
}

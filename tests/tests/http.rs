//! Sign-in over HTTP against the running local stack: the functions under
//! `cargo lambda watch`, DynamoDB, SES v2 and SNS on the emulator. Codes are
//! read back from the emulator's outbox, as a person reads their mail.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use twofold_e2e::{Client, PASSWORD, Stack, TestUser};

const PENDING: &str = "twofold_pending";
const SESSION: &str = "twofold_session";

async fn login(stack: &Stack, user: &TestUser) -> Client {
    let mut client = Client::new(&stack.api);
    let answer = client
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(answer.body["status"], "code_required");
    client
}

/// Asks for a code by `method` and reads it from the emulator.
async fn send_and_read(
    stack: &Stack,
    client: &mut Client,
    user: &TestUser,
    method: &str,
) -> String {
    let to = if method == "email" {
        &user.email
    } else {
        &user.phone
    };
    let seen = stack.sent_to(to).await.unwrap();
    let answer = client
        .post("/api/auth/code", &json!({"method": method}))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    stack.code_sent_to(to, seen).await.unwrap()
}

async fn signs_in_by(method: &str) {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    assert!(client.has_cookie(PENDING));
    let code = send_and_read(&stack, &mut client, &user, method).await;

    let answer = client
        .post("/api/auth/verify", &json!({"code": code}))
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(
        answer.body["session"]["user"]["username"],
        user.username.as_str()
    );
    assert!(client.has_cookie(SESSION));
    assert!(
        !client.has_cookie(PENDING),
        "the pending sign-in outlived the code"
    );

    let who = client.get("/api/auth/session").await.unwrap();
    assert_eq!(who.status, 200);
    assert_eq!(who.body["user"]["id"], user.id.as_str());
    assert_eq!(who.body["account"]["two_factor_enabled"], true);

    let out = client.post("/api/auth/logout", &json!({})).await.unwrap();
    assert_eq!(out.status, 200);
    let after = client.get("/api/auth/session").await.unwrap();
    assert_eq!(after.status, 401);
    assert_eq!(after.error_code(), "not_signed_in");
}

#[tokio::test]
async fn a_user_signs_in_with_a_code_sent_by_email() {
    signs_in_by("email").await;
}

#[tokio::test]
async fn a_user_signs_in_with_a_code_sent_by_text_message() {
    signs_in_by("text").await;
}

#[tokio::test]
async fn the_login_answer_masks_destinations_and_sets_a_strict_cookie() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = Client::new(&stack.api);
    let answer = client
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "password": PASSWORD}),
        )
        .await
        .unwrap();
    let methods = answer.body["methods"].as_array().unwrap();
    let email = methods.iter().find(|m| m["method"] == "email").unwrap();
    let text = methods.iter().find(|m| m["method"] == "text").unwrap();
    assert_eq!(email["destination"], "u•••@riverside.test");
    assert_eq!(
        text["destination"],
        format!("•••-•••-{}", &user.phone[user.phone.len() - 4..])
    );
    let body = answer.body.to_string();
    assert!(
        !body.contains(&user.email) && !body.contains(&user.phone),
        "{body}"
    );
    let cookie = client
        .last_set_cookies
        .iter()
        .find(|c| c.starts_with(PENDING))
        .unwrap();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
    }
}

#[tokio::test]
async fn a_wrong_username_and_a_wrong_password_get_one_answer() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = Client::new(&stack.api);
    let unknown = client
        .post(
            "/api/auth/login",
            &json!({"username": "no-such-user", "password": PASSWORD}),
        )
        .await
        .unwrap();
    let wrong = client
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "password": "nope"}),
        )
        .await
        .unwrap();
    assert_eq!(unknown.status, 401);
    assert_eq!((unknown.status, &unknown.body), (wrong.status, &wrong.body));
    assert_eq!(unknown.error_code(), "invalid_credentials");
    assert!(!client.has_cookie(PENDING));
}

#[tokio::test]
async fn a_username_longer_than_any_user_can_have_is_refused_as_unknown() {
    let stack = Stack::from_env();
    let mut client = Client::new(&stack.api);
    // Longer than a DynamoDB key may be, and than a username may be.
    let long = "a".repeat(3000);
    let answer = client
        .post(
            "/api/auth/login",
            &json!({"username": long, "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 401, "{}", answer.body);
    assert_eq!(answer.error_code(), "invalid_credentials");
    assert!(!client.has_cookie(PENDING));
}

#[tokio::test]
async fn with_two_factor_off_the_password_alone_starts_a_session() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(false).await.unwrap();
    let mut client = Client::new(&stack.api);
    let answer = client
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(answer.body["status"], "signed_in", "{:?}", answer.body);
    assert_eq!(client.get("/api/auth/session").await.unwrap().status, 200);
}

#[tokio::test]
async fn a_wrong_code_says_how_many_attempts_remain_and_the_right_one_still_works() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    let code = send_and_read(&stack, &mut client, &user, "email").await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let answer = client
        .post("/api/auth/verify", &json!({"code": wrong}))
        .await
        .unwrap();
    assert_eq!(answer.status, 401);
    assert_eq!(answer.error_code(), "invalid_code");
    assert_eq!(answer.body["error"]["attempts_remaining"], 6);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("6 attempts")
    );
    let right = client
        .post("/api/auth/verify", &json!({"code": code}))
        .await
        .unwrap();
    assert_eq!(right.status, 200, "{:?}", right.body);
    assert_eq!(stack.failed_attempts(&user).await.unwrap(), "0");
}

#[tokio::test]
async fn a_used_code_cannot_be_replayed_from_another_sign_in() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut first = login(&stack, &user).await;
    let code = send_and_read(&stack, &mut first, &user, "email").await;
    let pending = first.cookie(PENDING).unwrap().to_owned();
    assert_eq!(
        first
            .post("/api/auth/verify", &json!({"code": code}))
            .await
            .unwrap()
            .status,
        200
    );

    // The old pending cookie, replayed: gone with the code.
    let mut thief = Client::new(&stack.api);
    thief.set_cookie(PENDING, &pending);
    let replay = thief
        .post("/api/auth/verify", &json!({"code": code}))
        .await
        .unwrap();
    assert_eq!(replay.error_code(), "sign_in_expired");

    // A second sign-in of the same user: the used code is no good there.
    let mut second = login(&stack, &user).await;
    let answer = second
        .post("/api/auth/verify", &json!({"code": code}))
        .await
        .unwrap();
    assert_eq!(answer.error_code(), "invalid_code");
}

#[tokio::test]
async fn an_expired_code_is_refused_even_while_the_item_remains() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    let code = send_and_read(&stack, &mut client, &user, "email").await;
    // Age the stored code past its expiry, as time would.
    stack
        .dynamodb()
        .await
        .update_item()
        .table_name(&stack.table)
        .key("pk", AttributeValue::S(format!("USER#{}", user.id)))
        .key("sk", AttributeValue::S("CHALLENGE#sign_in".into()))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".into()))
        .send()
        .await
        .unwrap();
    let answer = client
        .post("/api/auth/verify", &json!({"code": code}))
        .await
        .unwrap();
    assert_eq!(answer.status, 401);
    assert_eq!(answer.error_code(), "invalid_code");
}

#[tokio::test]
async fn asking_for_codes_too_fast_is_throttled() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    send_and_read(&stack, &mut client, &user, "email").await;
    let seen = stack.sent_to(&user.phone).await.unwrap();
    let again = client
        .post("/api/auth/code", &json!({"method": "text"}))
        .await
        .unwrap();
    assert_eq!(again.status, 429);
    assert_eq!(again.error_code(), "too_many_codes");
    assert!(again.body["error"]["retry_after_seconds"].as_i64().unwrap() > 0);
    assert_eq!(
        stack.sent_to(&user.phone).await.unwrap(),
        seen,
        "a throttled code was sent"
    );
}

#[tokio::test]
async fn a_pending_sign_in_opens_nothing_but_its_code() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    let pending = client.cookie(PENDING).unwrap().to_owned();
    // Presented as a session, the pending token is refused.
    client.set_cookie(SESSION, &pending);
    let answer = client.get("/api/auth/session").await.unwrap();
    assert_eq!(answer.status, 401);
    assert_eq!(answer.error_code(), "not_signed_in");
}

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_change_nothing() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    send_and_read(&stack, &mut client, &user, "email").await;
    let post = reqwest::Method::POST;
    let json_type = "application/json";
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "/api/auth/verify",
            json_type,
            b"{not json".to_vec(),
            400,
            "invalid_request",
        ),
        (
            "/api/auth/verify",
            json_type,
            br#"{"code": 123456}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "/api/auth/verify",
            json_type,
            b"{}".to_vec(),
            400,
            "invalid_request",
        ),
        (
            "/api/auth/verify",
            json_type,
            br#"{"code": "12ab56"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "/api/auth/verify",
            "text/plain",
            br#"{"code":"123456"}"#.to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "/api/auth/verify",
            json_type,
            vec![b' '; 8 * 1024],
            413,
            "payload_too_large",
        ),
        (
            "/api/auth/code",
            json_type,
            br#"{"method": "pigeon"}"#.to_vec(),
            400,
            "invalid_request",
        ),
        (
            "/api/auth/login",
            json_type,
            br#"{"username": "x"}"#.to_vec(),
            400,
            "invalid_request",
        ),
    ];
    for (path, content_type, body, status, code) in cases {
        let answer = client
            .send_raw(post.clone(), path, Some((content_type, body)))
            .await
            .unwrap();
        assert_eq!(
            (answer.status, answer.error_code()),
            (status, code),
            "{path} {:?}",
            answer.body
        );
        let message = answer.body["error"]["message"].as_str().unwrap();
        assert!(message.len() > 10, "{message:?}");
    }
    let missing = client
        .send_raw(
            post.clone(),
            "/api/auth/verify",
            Some((json_type, b"{}".to_vec())),
        )
        .await
        .unwrap();
    let message = missing.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("code"),
        "the message names the missing field: {message}"
    );
    assert_eq!(
        stack.failed_attempts(&user).await.unwrap(),
        "0",
        "a malformed entry was counted"
    );
}

#[tokio::test]
async fn nothing_secret_is_in_any_answer() {
    let stack = Stack::from_env();
    let user = stack.fresh_user(true).await.unwrap();
    let mut client = login(&stack, &user).await;
    let answer = client
        .post("/api/auth/code", &json!({"method": "email"}))
        .await
        .unwrap();
    let code = stack.code_sent_to(&user.email, 0).await.unwrap();
    let text = answer.body.to_string();
    assert!(
        !text.contains(&code) && !text.contains(&user.email),
        "{text}"
    );
    let expected: Value = json!("u•••@riverside.test");
    assert_eq!(answer.body["destination"], expected);
    assert_eq!(answer.body["expires_in_seconds"], 900);
}

//! The account's two-factor setting over HTTP against the running local
//! stack: a System Administrator turns it on with a code read back from the
//! emulator's outbox and off again, and every refusal of the way answers the
//! standard error body.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{Value, json};
use twofold_e2e::{Answer, Client, PASSWORD, Stack, TestAccount, TestUser, add_user_in};
use twofold_shared::api::Role;

const TWO_FACTOR: &str = "/api/settings/two-factor";
const READINESS: &str = "/api/settings/two-factor/readiness";
const CODE: &str = "/api/settings/two-factor/code";

async fn login(stack: &Stack, user: &TestUser) -> (Client, Answer) {
    let mut client = Client::new(&stack.api);
    let answer = client
        .post(
            "/api/auth/login",
            &json!({"username": user.username, "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    (client, answer)
}

/// Has the enabling code sent to `admin` by `method` and reads it.
async fn enabling_code(
    stack: &Stack,
    client: &mut Client,
    admin: &TestUser,
    method: &str,
) -> String {
    let to = if method == "email" {
        &admin.email
    } else {
        &admin.phone
    };
    let seen = stack.sent_to(to).await.unwrap();
    let sent = client.post(CODE, &json!({"method": method})).await.unwrap();
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    stack.code_sent_to(to, seen).await.unwrap()
}

async fn put(client: &mut Client, body: &Value) -> Answer {
    let bytes = serde_json::to_vec(body).unwrap();
    client
        .send_raw(
            reqwest::Method::PUT,
            TWO_FACTOR,
            Some(("application/json", bytes)),
        )
        .await
        .unwrap()
}

/// Asserts a refusal: status, code, and a message for people.
fn refused(answer: &Answer, status: u16, code: &str) {
    assert_eq!(
        (answer.status, answer.error_code()),
        (status, code),
        "{:?}",
        answer.body
    );
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(message.len() > 10 && message.ends_with('.'), "{message:?}");
}

async fn enabled(stack: &Stack, account: &TestAccount) -> bool {
    let item = stack
        .dynamodb()
        .await
        .get_item()
        .table_name(&stack.table)
        .key("pk", AttributeValue::S(format!("ACCOUNT#{}", account.id)))
        .key("sk", AttributeValue::S("ACCOUNT".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    match item.item.unwrap().get("two_factor_enabled") {
        Some(AttributeValue::Bool(on)) => *on,
        other => panic!("no switch: {other:?}"),
    }
}

/// The account's audit items of two-factor changes: (actor, from, to).
async fn audit(stack: &Stack, account: &TestAccount) -> Vec<(String, bool, bool)> {
    let out = stack
        .dynamodb()
        .await
        .query()
        .table_name(&stack.table)
        .key_condition_expression("pk = :pk AND begins_with(sk, :audit)")
        .expression_attribute_values(":pk", AttributeValue::S(format!("ACCOUNT#{}", account.id)))
        .expression_attribute_values(":audit", AttributeValue::S("AUDIT#".into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    out.items
        .unwrap_or_default()
        .iter()
        .filter(|item| {
            let action = item.get("action").and_then(|a| a.as_s().ok());
            action.is_some_and(|a| a.starts_with("two_factor_"))
        })
        .map(|item| {
            let text = |name: &str| item[name].as_s().unwrap().clone();
            let flag = |name: &str| *item[name].as_bool().unwrap();
            (text("actor"), flag("from"), flag("to"))
        })
        .collect()
}

fn another_code_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn an_administrator_enables_two_factor_for_every_practice_and_disables_it() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();

    let status = admin.get(TWO_FACTOR).await.unwrap();
    assert_eq!(status.status, 200, "{:?}", status.body);
    assert_eq!(
        status.body,
        json!({"enabled": false, "changed_at": null, "changed_by": null})
    );
    let readiness = admin.get(READINESS).await.unwrap();
    assert_eq!(readiness.status, 200, "{:?}", readiness.body);
    assert_eq!(readiness.body["not_ready"], 0);

    // The code goes to the administrator, masked in the answer.
    let seen = stack.sent_to(&account.admin.email).await.unwrap();
    let sent = admin.post(CODE, &json!({"method": "email"})).await.unwrap();
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    assert_eq!(sent.body["destination"], "u•••@riverside.test");
    assert_eq!(sent.body["expires_in_seconds"], 900);
    let code = stack
        .code_sent_to(&account.admin.email, seen)
        .await
        .unwrap();
    assert!(!sent.body.to_string().contains(&code));

    let on = put(&mut admin, &json!({"enabled": true, "code": code})).await;
    assert_eq!(on.status, 200, "{:?}", on.body);
    assert_eq!(on.body["enabled"], true);
    assert!(on.body["changed_at"].as_i64().unwrap() > 1_700_000_000);
    let admin_name = on.body["changed_by"].as_str().unwrap().to_owned();
    assert!(admin_name.starts_with("Terry "), "{admin_name}");
    assert_eq!(admin.get(TWO_FACTOR).await.unwrap().body, on.body);
    assert!(enabled(&stack, &account).await);

    // A user of the other practice is now asked for a code.
    let (_, sam) = login(&stack, &account.sam).await;
    assert_eq!(sam.body["status"], "code_required", "{:?}", sam.body);
    // The enabling administrator's own session goes on.
    assert_eq!(admin.get("/api/auth/session").await.unwrap().status, 200);

    let off = put(&mut admin, &json!({"enabled": false})).await;
    assert_eq!(off.status, 200, "{:?}", off.body);
    assert_eq!(off.body["enabled"], false);
    assert_eq!(off.body["changed_by"], admin_name.as_str());
    let (mut sam, answer) = login(&stack, &account.sam).await;
    assert_eq!(answer.body["status"], "signed_in", "{:?}", answer.body);
    assert_eq!(sam.get("/api/auth/session").await.unwrap().status, 200);

    let admin_id = account.admin.id.clone();
    let mut trail = audit(&stack, &account).await;
    trail.sort_by_key(|(_, from, _)| *from);
    assert_eq!(
        trail,
        vec![(admin_id.clone(), false, true), (admin_id, true, false)]
    );
}

#[tokio::test]
async fn the_enabling_code_can_go_by_text_message() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let code = enabling_code(&stack, &mut admin, &account.admin, "text").await;
    let on = put(&mut admin, &json!({"enabled": true, "code": code})).await;
    assert_eq!(on.status, 200, "{:?}", on.body);
    assert!(enabled(&stack, &account).await);
}

#[tokio::test]
async fn a_user_who_is_not_an_administrator_is_refused_everything() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut pat = stack.signed_in(&account.pat).await.unwrap();
    refused(&pat.get(TWO_FACTOR).await.unwrap(), 403, "forbidden");
    refused(&pat.get(READINESS).await.unwrap(), 403, "forbidden");
    let seen = stack.sent_to(&account.pat.email).await.unwrap();
    let code = pat.post(CODE, &json!({"method": "email"})).await.unwrap();
    refused(&code, 403, "forbidden");
    let on = put(&mut pat, &json!({"enabled": true, "code": "123456"})).await;
    refused(&on, 403, "forbidden");
    refused(
        &put(&mut pat, &json!({"enabled": false})).await,
        403,
        "forbidden",
    );
    assert_eq!(stack.sent_to(&account.pat.email).await.unwrap(), seen);
    assert!(!enabled(&stack, &account).await);
}

#[tokio::test]
async fn without_a_session_every_route_answers_not_signed_in() {
    let stack = Stack::from_env();
    let mut nobody = Client::new(&stack.api);
    refused(&nobody.get(TWO_FACTOR).await.unwrap(), 401, "not_signed_in");
    refused(&nobody.get(READINESS).await.unwrap(), 401, "not_signed_in");
    let code = nobody
        .post(CODE, &json!({"method": "email"}))
        .await
        .unwrap();
    refused(&code, 401, "not_signed_in");
    let off = put(&mut nobody, &json!({"enabled": false})).await;
    refused(&off, 401, "not_signed_in");
}

#[tokio::test]
async fn an_administrator_of_another_account_reaches_only_their_own() {
    // No route names an account: the account is the session's, so another
    // account's setting cannot even be addressed.
    let stack = Stack::from_env();
    let ours = stack.fresh_account(false).await.unwrap();
    let theirs = stack.fresh_account(false).await.unwrap();
    let mut stranger = stack.signed_in(&theirs.admin).await.unwrap();
    // Naming our account in the body is refused outright.
    let named = put(
        &mut stranger,
        &json!({"enabled": true, "code": "123456", "account_id": ours.id}),
    )
    .await;
    refused(&named, 400, "invalid_request");

    let code = enabling_code(&stack, &mut stranger, &theirs.admin, "email").await;
    let on = put(&mut stranger, &json!({"enabled": true, "code": code})).await;
    assert_eq!(on.status, 200, "{:?}", on.body);
    assert!(enabled(&stack, &theirs).await);
    assert!(!enabled(&stack, &ours).await, "another account was changed");
    assert!(audit(&stack, &ours).await.is_empty());

    let mut admin = stack.signed_in(&ours.admin).await.unwrap();
    assert_eq!(admin.get(TWO_FACTOR).await.unwrap().body["enabled"], false);
}

#[tokio::test]
async fn enabling_without_a_code_answers_code_required() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    refused(
        &put(&mut admin, &json!({"enabled": true})).await,
        422,
        "code_required",
    );
    refused(
        &put(&mut admin, &json!({"enabled": true, "code": ""})).await,
        422,
        "code_required",
    );
    assert!(!enabled(&stack, &account).await);
}

#[tokio::test]
async fn users_who_are_not_ready_need_the_acknowledgement() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    // Sam has no mobile phone any more.
    stack
        .dynamodb()
        .await
        .update_item()
        .table_name(&stack.table)
        .key("pk", AttributeValue::S(format!("USER#{}", account.sam.id)))
        .key("sk", AttributeValue::S("PROFILE".into()))
        .update_expression("REMOVE phone")
        .send()
        .await
        .unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let readiness = admin.get(READINESS).await.unwrap();
    assert_eq!(readiness.body["not_ready"], 1, "{:?}", readiness.body);
    let group = &readiness.body["practices"][0];
    assert_eq!(group["practice"]["name"], "Hillcrest Pediatrics");
    assert_eq!(group["users"][0]["id"], account.sam.id.as_str());
    assert_eq!(group["users"][0]["problems"], json!(["no_mobile_phone"]));

    let code = enabling_code(&stack, &mut admin, &account.admin, "email").await;
    let unacknowledged = put(&mut admin, &json!({"enabled": true, "code": code})).await;
    refused(&unacknowledged, 422, "acknowledgement_required");
    assert!(!enabled(&stack, &account).await);
    assert_eq!(stack.failed_attempts(&account.admin).await.unwrap(), "0");

    // The refusal did not spend the code.
    let acknowledged = put(
        &mut admin,
        &json!({"enabled": true, "code": code, "acknowledge_not_ready": true}),
    )
    .await;
    assert_eq!(acknowledged.status, 200, "{:?}", acknowledged.body);
    assert!(enabled(&stack, &account).await);
}

#[tokio::test]
async fn a_sign_in_code_does_not_turn_two_factor_on() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(true).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    // A second sign-in of the administrator waits with a live sign-in code.
    let (mut elsewhere, _) = login(&stack, &account.admin).await;
    // (The first sign-in's code was used up, and with it the resend gap.)
    let seen = stack.sent_to(&account.admin.email).await.unwrap();
    let sent = elsewhere
        .post("/api/auth/code", &json!({"method": "email"}))
        .await
        .unwrap();
    assert_eq!(sent.status, 200, "{:?}", sent.body);
    let sign_in_code = stack
        .code_sent_to(&account.admin.email, seen)
        .await
        .unwrap();

    let off = put(&mut admin, &json!({"enabled": false})).await;
    assert_eq!(off.status, 200, "{:?}", off.body);
    let on = put(&mut admin, &json!({"enabled": true, "code": sign_in_code})).await;
    refused(&on, 401, "invalid_code");
    assert!(!enabled(&stack, &account).await);
}

#[tokio::test]
async fn the_enabling_code_signs_nobody_in() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let practices: Vec<&str> = account.practices.iter().map(String::as_str).collect();
    let store = stack.store().await;
    let second = add_user_in(&store, &account.id, Role::SystemAdministrator, &practices)
        .await
        .unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let admin_code = enabling_code(&stack, &mut admin, &account.admin, "email").await;
    let mut other = stack.signed_in(&second).await.unwrap();
    let other_code = enabling_code(&stack, &mut other, &second, "email").await;
    let on = put(&mut other, &json!({"enabled": true, "code": other_code})).await;
    assert_eq!(on.status, 200, "{:?}", on.body);

    // The first administrator signs in again and offers the enabling code.
    let (mut client, answer) = login(&stack, &account.admin).await;
    assert_eq!(answer.body["status"], "code_required");
    let verify = client
        .post("/api/auth/verify", &json!({"code": admin_code}))
        .await
        .unwrap();
    refused(&verify, 401, "invalid_code");
}

#[tokio::test]
async fn an_expired_enabling_code_is_refused_even_while_the_item_remains() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let code = enabling_code(&stack, &mut admin, &account.admin, "email").await;
    stack
        .dynamodb()
        .await
        .update_item()
        .table_name(&stack.table)
        .key(
            "pk",
            AttributeValue::S(format!("USER#{}", account.admin.id)),
        )
        .key(
            "sk",
            AttributeValue::S("CHALLENGE#enable_two_factor".into()),
        )
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".into()))
        .send()
        .await
        .unwrap();
    let on = put(&mut admin, &json!({"enabled": true, "code": code})).await;
    refused(&on, 401, "invalid_code");
    assert!(!enabled(&stack, &account).await);
}

#[tokio::test]
async fn a_used_enabling_code_cannot_be_replayed() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let code = enabling_code(&stack, &mut admin, &account.admin, "email").await;
    let body = json!({"enabled": true, "code": code});
    assert_eq!(put(&mut admin, &body).await.status, 200);
    assert_eq!(
        put(&mut admin, &json!({"enabled": false})).await.status,
        200
    );
    refused(&put(&mut admin, &body).await, 401, "invalid_code");
    assert!(!enabled(&stack, &account).await);
}

#[tokio::test]
async fn a_wrong_enabling_code_counts_toward_the_administrators_lockout() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let code = enabling_code(&stack, &mut admin, &account.admin, "email").await;
    let wrong = json!({"enabled": true, "code": another_code_than(&code)});
    let answer = put(&mut admin, &wrong).await;
    refused(&answer, 401, "invalid_code");
    assert_eq!(answer.body["error"]["attempts_remaining"], 6);
    assert_eq!(stack.failed_attempts(&account.admin).await.unwrap(), "1");
    let right = put(&mut admin, &json!({"enabled": true, "code": code})).await;
    assert_eq!(right.status, 200, "{:?}", right.body);
    assert_eq!(stack.failed_attempts(&account.admin).await.unwrap(), "0");
}

#[tokio::test]
async fn saving_the_state_the_setting_has_answers_it_and_records_nothing() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let same = put(&mut admin, &json!({"enabled": false})).await;
    assert_eq!(same.status, 200, "{:?}", same.body);
    assert_eq!(
        same.body,
        json!({"enabled": false, "changed_at": null, "changed_by": null})
    );
    assert!(audit(&stack, &account).await.is_empty());
}

#[tokio::test]
async fn a_code_is_not_sent_while_two_factor_is_already_on() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(true).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let seen = stack.sent_to(&account.admin.phone).await.unwrap();
    let answer = admin.post(CODE, &json!({"method": "text"})).await.unwrap();
    refused(&answer, 409, "conflict");
    assert_eq!(stack.sent_to(&account.admin.phone).await.unwrap(), seen);
}

#[tokio::test]
async fn sessions_started_without_a_second_factor_end_except_the_enabling_one() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    let mut admin_elsewhere = stack.signed_in(&account.admin).await.unwrap();
    let mut pat = stack.signed_in(&account.pat).await.unwrap();
    let code = enabling_code(&stack, &mut admin, &account.admin, "email").await;
    let on = put(&mut admin, &json!({"enabled": true, "code": code})).await;
    assert_eq!(on.status, 200, "{:?}", on.body);

    let pat_session = pat.get("/api/auth/session").await.unwrap();
    refused(&pat_session, 401, "not_signed_in");
    let elsewhere = admin_elsewhere.get(TWO_FACTOR).await.unwrap();
    refused(&elsewhere, 401, "not_signed_in");
    assert_eq!(admin.get("/api/auth/session").await.unwrap().status, 200);
    assert_eq!(admin.get(TWO_FACTOR).await.unwrap().status, 200);

    // Pat signs in again, now with a code.
    let mut pat = stack.signed_in(&account.pat).await.unwrap();
    assert_eq!(pat.get("/api/auth/session").await.unwrap().status, 200);
}

#[tokio::test]
async fn two_administrators_saving_at_once_make_one_change() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let practices: Vec<&str> = account.practices.iter().map(String::as_str).collect();
    let store = stack.store().await;
    let second = add_user_in(&store, &account.id, Role::SystemAdministrator, &practices)
        .await
        .unwrap();
    let mut first_client = stack.signed_in(&account.admin).await.unwrap();
    let mut second_client = stack.signed_in(&second).await.unwrap();
    let first_code = enabling_code(&stack, &mut first_client, &account.admin, "email").await;
    let second_code = enabling_code(&stack, &mut second_client, &second, "email").await;
    let first_body = json!({"enabled": true, "code": first_code});
    let second_body = json!({"enabled": true, "code": second_code});
    let (first, second) = tokio::join!(
        put(&mut first_client, &first_body),
        put(&mut second_client, &second_body)
    );
    for answer in [&first, &second] {
        // The loser is told of the conflict; or, if it came after the winner
        // wrote, finds its own session ended (as every session started
        // without a second factor but the enabling one), or, if it read
        // between the two, the setting as it wanted it.
        match answer.status {
            200 => assert_eq!(answer.body["enabled"], true),
            401 => refused(answer, 401, "not_signed_in"),
            _ => refused(answer, 409, "conflict"),
        }
    }
    assert_eq!(audit(&stack, &account).await.len(), 1);
    assert!(enabled(&stack, &account).await);
}

/// Method, path, content type, body, and the status and code it must get.
type BadRequest = (
    reqwest::Method,
    &'static str,
    &'static str,
    &'static [u8],
    u16,
    &'static str,
);

#[tokio::test]
async fn bad_requests_get_a_clear_4xx_and_change_nothing() {
    let stack = Stack::from_env();
    let account = stack.fresh_account(false).await.unwrap();
    let mut admin = stack.signed_in(&account.admin).await.unwrap();
    enabling_code(&stack, &mut admin, &account.admin, "email").await;
    let json_type = "application/json";
    let cases: Vec<BadRequest> = vec![
        (
            reqwest::Method::PUT,
            TWO_FACTOR,
            json_type,
            b"{not json",
            400,
            "invalid_request",
        ),
        (
            reqwest::Method::PUT,
            TWO_FACTOR,
            json_type,
            br#"{"code": "123456"}"#,
            400,
            "invalid_request",
        ),
        (
            reqwest::Method::PUT,
            TWO_FACTOR,
            json_type,
            br#"{"enabled": true, "code": "12ab56"}"#,
            400,
            "invalid_request",
        ),
        (
            reqwest::Method::PUT,
            TWO_FACTOR,
            "text/plain",
            br#"{"enabled": false}"#,
            415,
            "unsupported_media_type",
        ),
        (
            reqwest::Method::POST,
            CODE,
            json_type,
            br#"{"method": "pigeon"}"#,
            400,
            "invalid_request",
        ),
    ];
    for (method, path, content_type, body, status, code) in cases {
        let answer = admin
            .send_raw(method, path, Some((content_type, body.to_vec())))
            .await
            .unwrap();
        refused(&answer, status, code);
    }
    assert_eq!(stack.failed_attempts(&account.admin).await.unwrap(), "0");
    assert!(!enabled(&stack, &account).await);
}

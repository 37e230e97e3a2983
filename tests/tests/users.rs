//! The users view over HTTP against the local stack: who may see and change
//! users, the contact rules, uniqueness, lockout and reactivation.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use serde_json::{Value, json};
use twofold_e2e::{Client, PASSWORD, Stack, TestAccount, TestUser, fictional_phone};

async fn account(stack: &Stack) -> TestAccount {
    stack.fresh_account(true).await.unwrap()
}

fn row<'a>(list: &'a Value, user: &TestUser) -> &'a Value {
    list["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == user.id.as_str())
        .unwrap_or_else(|| panic!("{} missing from {list}", user.username))
}

#[tokio::test]
async fn the_list_shows_every_user_of_the_account_masked() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let other = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let list = admin.get("/api/users").await.unwrap();
    assert_eq!(list.status, 200, "{:?}", list.body);
    assert_eq!(list.body["users"].as_array().unwrap().len(), 3);
    let pat = row(&list.body, &acct.pat);
    assert_eq!(pat["status"], "active");
    assert_eq!(pat["email"], "u•••@riverside.test");
    assert!(pat["problems"].as_array().unwrap().is_empty());
    assert_eq!(pat["practices"][0]["name"], "Riverside Clinic");
    let text = list.body.to_string();
    assert!(
        !text.contains(&acct.pat.email) && !text.contains(&acct.pat.phone),
        "{text}"
    );
    assert!(
        !text.contains(&other.pat.id),
        "another account's user is listed"
    );
}

#[tokio::test]
async fn only_a_system_administrator_of_the_account_sees_or_changes_users() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let other = account(&stack).await;
    let mut pat = stack.signed_in(&acct.pat).await.unwrap();
    assert_eq!(
        pat.get("/api/users").await.unwrap().error_code(),
        "forbidden"
    );
    let path = format!("/api/users/{}/contact", acct.sam.id);
    assert_eq!(pat.get(&path).await.unwrap().status, 403);

    // An administrator of another account: as if the user did not exist.
    let mut stranger = stack.signed_in(&other.admin).await.unwrap();
    let answer = stranger.get(&path).await.unwrap();
    assert_eq!((answer.status, answer.error_code()), (404, "not_found"));
    let path = format!("/api/users/{}/reactivate", acct.sam.id);
    assert_eq!(stranger.post(&path, &json!({})).await.unwrap().status, 404);

    let mut nobody = Client::new(&stack.api);
    assert_eq!(
        nobody.get("/api/users").await.unwrap().error_code(),
        "not_signed_in"
    );
}

#[tokio::test]
async fn revealing_shows_the_full_contact_details() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let shown = admin
        .get(&format!("/api/users/{}/contact", acct.pat.id))
        .await
        .unwrap();
    assert_eq!(shown.status, 200);
    assert_eq!(
        shown.body,
        json!({"email": acct.pat.email, "phone": acct.pat.phone})
    );
}

#[tokio::test]
async fn phones_in_any_writing_become_one_e164_number() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let phone = fictional_phone();
    let (area, line) = (&phone[2..5], &phone[8..]);
    let path = format!("/api/users/{}/contact", acct.pat.id);
    for typed in [
        format!("({area}) 555-{line}"),
        format!("+1 {area} 555 {line}"),
        format!("011 1 {area} 555 {line}"),
    ] {
        let answer = admin
            .send_raw(
                reqwest::Method::PUT,
                &path,
                Some((
                    "application/json",
                    serde_json::to_vec(&json!({"email": acct.pat.email, "phone": typed})).unwrap(),
                )),
            )
            .await
            .unwrap();
        assert_eq!(answer.status, 200, "{typed}: {:?}", answer.body);
        let shown = admin.get(&path).await.unwrap();
        assert_eq!(shown.body["phone"], phone.as_str(), "{typed}");
    }
}

async fn put_contact(client: &mut Client, user: &TestUser, body: Value) -> twofold_e2e::Answer {
    client
        .send_raw(
            reqwest::Method::PUT,
            &format!("/api/users/{}/contact", user.id),
            Some(("application/json", serde_json::to_vec(&body).unwrap())),
        )
        .await
        .unwrap()
}

#[tokio::test]
async fn each_bad_field_gets_its_own_error_and_nothing_changes() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let answer = put_contact(
        &mut admin,
        &acct.pat,
        json!({"email": "not-an-address", "phone": "020 7946 0018"}),
    )
    .await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (422, "invalid_fields")
    );
    let fields: Vec<&str> = answer.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "phone"]);
    // A London landline read as a US number is no mobile either way.
    let landline = put_contact(&mut admin, &acct.pat, json!({"phone": "+44 20 7946 0018"})).await;
    assert_eq!(landline.error_code(), "invalid_fields");
    assert!(
        landline.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("mobile")
    );
    let shown = admin
        .get(&format!("/api/users/{}/contact", acct.pat.id))
        .await
        .unwrap();
    assert_eq!(shown.body["email"], acct.pat.email.as_str());
    assert_eq!(shown.body["phone"], acct.pat.phone.as_str());
}

#[tokio::test]
async fn an_address_another_user_has_is_refused_whatever_its_case_or_width() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let other = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let shouted = other.pat.email.to_uppercase();
    let answer = put_contact(&mut admin, &acct.pat, json!({"email": shouted})).await;
    assert_eq!((answer.status, answer.error_code()), (409, "already_taken"));
    assert_eq!(answer.body["error"]["fields"][0]["field"], "email");
    let wide: String = other
        .pat
        .email
        .chars()
        .map(|c| match c {
            'a'..='z' => char::from_u32(c as u32 - 'a' as u32 + 0xFF41).unwrap(),
            '@' => '＠',
            _ => c,
        })
        .collect();
    let answer = put_contact(&mut admin, &acct.pat, json!({"email": wide})).await;
    assert_eq!(answer.error_code(), "already_taken", "{wide}");
    let phone = put_contact(
        &mut admin,
        &acct.pat,
        json!({"email": acct.pat.email, "phone": other.sam.phone}),
    )
    .await;
    // Test phones are shaped, not all dialable: taken or refused, never saved.
    assert!(matches!(
        phone.error_code(),
        "already_taken" | "invalid_fields"
    ));
}

#[tokio::test]
async fn a_freed_address_can_be_taken_by_another_user() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let new_email = format!("moved-{}", acct.pat.email);
    let moved = put_contact(&mut admin, &acct.pat, json!({"email": new_email})).await;
    assert_eq!(moved.status, 200, "{:?}", moved.body);
    let taken = put_contact(&mut admin, &acct.sam, json!({"email": acct.pat.email})).await;
    assert_eq!(taken.status, 200, "{:?}", taken.body);
}

#[tokio::test]
async fn while_two_factor_is_on_the_last_contact_cannot_be_removed() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let answer = put_contact(&mut admin, &acct.pat, json!({"email": "", "phone": ""})).await;
    assert_eq!(
        (answer.status, answer.error_code()),
        (422, "invalid_fields")
    );
    let only_email = put_contact(&mut admin, &acct.pat, json!({"email": acct.pat.email})).await;
    assert_eq!(only_email.status, 200);
    assert_eq!(only_email.body["problems"], json!(["no_mobile_phone"]));
}

#[tokio::test]
async fn seven_wrong_codes_lock_until_an_administrator_reactivates() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut pat = Client::new(&stack.api);
    pat.post(
        "/api/auth/login",
        &json!({"username": acct.pat.username, "password": PASSWORD}),
    )
    .await
    .unwrap();
    let seen = stack.sent_to(&acct.pat.email).await.unwrap();
    pat.post("/api/auth/code", &json!({"method": "email"}))
        .await
        .unwrap();
    let code = stack.code_sent_to(&acct.pat.email, seen).await.unwrap();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for left in (1..=6).rev() {
        let answer = pat
            .post("/api/auth/verify", &json!({"code": wrong}))
            .await
            .unwrap();
        assert_eq!(answer.body["error"]["attempts_remaining"], left);
    }
    let seventh = pat
        .post("/api/auth/verify", &json!({"code": wrong}))
        .await
        .unwrap();
    assert_eq!(
        (seventh.status, seventh.error_code()),
        (423, "account_locked")
    );
    assert!(
        seventh.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("System Administrator")
    );

    // Locked: refused at sign-in, and no code is sent.
    let mut again = Client::new(&stack.api);
    let login = again
        .post(
            "/api/auth/login",
            &json!({"username": acct.pat.username, "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(login.error_code(), "account_locked");
    let before = stack.sent_to(&acct.pat.email).await.unwrap();
    let _ = again
        .post("/api/auth/code", &json!({"method": "email"}))
        .await
        .unwrap();
    assert_eq!(stack.sent_to(&acct.pat.email).await.unwrap(), before);

    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let list = admin.get("/api/users").await.unwrap();
    assert_eq!(row(&list.body, &acct.pat)["status"], "locked");
    let path = format!("/api/users/{}/reactivate", acct.pat.id);
    let reactivated = admin.post(&path, &json!({})).await.unwrap();
    assert_eq!(reactivated.status, 200, "{:?}", reactivated.body);
    assert_eq!(reactivated.body["status"], "active");
    assert_eq!(
        admin.post(&path, &json!({})).await.unwrap().error_code(),
        "conflict"
    );

    // The count starts from zero: the user signs in.
    stack.signed_in(&acct.pat).await.unwrap();
}

#[tokio::test]
async fn an_added_user_changes_the_initial_password_before_signing_in() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..10];
    let username = format!("new-{suffix}");
    let email = format!("new-{suffix}@riverside.test");
    let request = json!({
        "username": username,
        "name": "Noor Newcomer",
        "role": "user",
        "practice_ids": [acct.practices[0]],
        "email": email,
        "phone": fictional_phone(),
        "initial_password": "given by the admin",
    });
    let created = admin.post("/api/users", &request).await.unwrap();
    assert_eq!(created.status, 201, "{:?}", created.body);
    let again = admin.post("/api/users", &request).await.unwrap();
    assert_eq!(again.error_code(), "already_taken");

    let mut newbie = Client::new(&stack.api);
    let login = newbie
        .post(
            "/api/auth/login",
            &json!({"username": username, "password": "given by the admin"}),
        )
        .await
        .unwrap();
    assert_eq!(
        login.body["status"], "password_change_required",
        "{:?}",
        login.body
    );
    let blocked = newbie
        .post("/api/auth/code", &json!({"method": "email"}))
        .await
        .unwrap();
    assert_eq!(blocked.error_code(), "password_change_required");
    let weak = newbie
        .post("/api/auth/password", &json!({"new_password": "short"}))
        .await
        .unwrap();
    assert_eq!(weak.error_code(), "invalid_fields");
    let changed = newbie
        .post(
            "/api/auth/password",
            &json!({"new_password": "my own long passphrase"}),
        )
        .await
        .unwrap();
    assert_eq!(
        changed.body["status"], "code_required",
        "{:?}",
        changed.body
    );
}

#[tokio::test]
async fn a_new_user_with_bad_fields_gets_every_problem_at_once() {
    let stack = Stack::from_env();
    let acct = account(&stack).await;
    let mut admin = stack.signed_in(&acct.admin).await.unwrap();
    let answer = admin
        .post(
            "/api/users",
            &json!({
                "username": "x",
                "name": "",
                "role": "user",
                "practice_ids": ["not-a-practice"],
                "email": "nope",
                "initial_password": "short",
            }),
        )
        .await
        .unwrap();
    assert_eq!(
        (answer.status, answer.error_code()),
        (422, "invalid_fields")
    );
    let mut fields: Vec<&str> = answer.body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "email",
            "initial_password",
            "name",
            "practice_ids",
            "username"
        ]
    );
}

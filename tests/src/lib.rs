//! Support for the tests that run against the local stack: where the stack
//! is, a small HTTP client that keeps cookies as a browser would, fresh users
//! in the stack's table, and the emulator's mailbox, where the codes land.
//!
//! The stack is brought up by `scripts/test`, which sets the variables read
//! by [`Stack::from_env`].

#![allow(
    clippy::expect_used,
    reason = "test support: a failure here fails the test"
)]

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use twofold::model::{Account, Practice, User, UserStatus};
use twofold::store::dynamo::DynamoStore;
use twofold::store::{Created, Provisioning};
use twofold::{password, provision::TableDefinition};
use twofold_shared::api::Role;
use twofold_shared::{Email, Phone};

/// The password of every user these tests create.
pub const PASSWORD: &str = "a long test password";

/// Where the running local stack is.
#[derive(Clone, Debug)]
pub struct Stack {
    /// Base URL of the functions (`cargo lambda watch`).
    pub api: String,
    /// Base URL of the SPA (`trunk serve`, proxying `/api`).
    pub web: String,
    /// The emulator's endpoint.
    pub aws: String,
    /// The table the functions use.
    pub table: String,
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

impl Stack {
    /// Reads the stack's addresses from the environment `scripts/test` sets.
    pub fn from_env() -> Self {
        Self {
            api: var("TWOFOLD_API_URL", "http://127.0.0.1:9001"),
            web: var("TWOFOLD_WEB_URL", "http://127.0.0.1:8081"),
            aws: var("AWS_ENDPOINT_URL", "http://127.0.0.1:5056"),
            table: var("TWOFOLD_TABLE", "twofold"),
        }
    }

    /// A DynamoDB client on the emulator.
    pub async fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(&self.aws)
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await;
        aws_sdk_dynamodb::Client::new(&config)
    }

    /// The store over the stack's table.
    pub async fn store(&self) -> DynamoStore {
        DynamoStore::new(self.dynamodb().await, &self.table)
    }

    /// A new, empty table made from `infra/template.yaml`, for store tests
    /// that must not meet anything else.
    pub async fn fresh_table(&self) -> Result<DynamoStore> {
        let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
        let yaml = std::fs::read_to_string(template).context("reading the SAM template")?;
        let name = format!("store-test-{}", uuid::Uuid::new_v4().simple());
        let client = self.dynamodb().await;
        TableDefinition::from_template(&yaml)?
            .create(&client, &name)
            .await?;
        Ok(DynamoStore::new(client, name))
    }

    /// Creates an account of its own with one user, with email and phone.
    pub async fn fresh_user(&self, two_factor: bool) -> Result<TestUser> {
        let store = self.store().await;
        fresh_user_in(&store, two_factor).await
    }

    /// Every message the emulator has accepted, email and text.
    pub async fn outbox(&self) -> Result<Vec<Sent>> {
        let url = format!("{}/moto-api/data.json", self.aws);
        let data: Value = reqwest::get(&url).await?.json().await?;
        let mut sent = Vec::new();
        for mail in data["ses"]["Message"].as_array().into_iter().flatten() {
            for to in mail["destinations"]["ToAddresses"]
                .as_array()
                .into_iter()
                .flatten()
            {
                sent.push(Sent {
                    to: to.as_str().unwrap_or_default().to_owned(),
                    body: mail["body"].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
        for text in data["sns"]["SMS"].as_array().into_iter().flatten() {
            sent.push(Sent {
                to: text["phone_number"].as_str().unwrap_or_default().to_owned(),
                body: text["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        Ok(sent)
    }

    /// How many messages went to `to` so far.
    pub async fn sent_to(&self, to: &str) -> Result<usize> {
        Ok(self.outbox().await?.iter().filter(|m| m.to == to).count())
    }

    /// The code in the newest message to `to`, waiting up to five seconds
    /// for one beyond the first `seen`.
    pub async fn code_sent_to(&self, to: &str, seen: usize) -> Result<String> {
        for _ in 0..50 {
            let mine: Vec<Sent> = self
                .outbox()
                .await?
                .into_iter()
                .filter(|m| m.to == to)
                .collect();
            if mine.len() > seen {
                let body = &mine[mine.len() - 1].body;
                return six_digits(body).with_context(|| format!("no code in {body:?}"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("no new message reached {to}")
    }
}

impl Stack {
    /// A client signed in as `user` with [`PASSWORD`], through an emailed
    /// code when the account needs one.
    pub async fn signed_in(&self, user: &TestUser) -> Result<Client> {
        let mut client = Client::new(&self.api);
        let login = client
            .post(
                "/api/auth/login",
                &serde_json::json!({"username": user.username, "password": PASSWORD}),
            )
            .await?;
        anyhow::ensure!(login.status == 200, "login answered {:?}", login.body);
        if login.body["status"] == "signed_in" {
            return Ok(client);
        }
        anyhow::ensure!(login.body["status"] == "code_required", "{:?}", login.body);
        let seen = self.sent_to(&user.email).await?;
        let sent = client
            .post("/api/auth/code", &serde_json::json!({"method": "email"}))
            .await?;
        anyhow::ensure!(
            sent.status == 200,
            "sending a code answered {:?}",
            sent.body
        );
        let code = self.code_sent_to(&user.email, seen).await?;
        let verified = client
            .post("/api/auth/verify", &serde_json::json!({"code": code}))
            .await?;
        anyhow::ensure!(
            verified.status == 200,
            "verifying answered {:?}",
            verified.body
        );
        Ok(client)
    }

    /// The user's count of wrong codes, as stored.
    pub async fn failed_attempts(&self, user: &TestUser) -> Result<String> {
        let item = self
            .dynamodb()
            .await
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("USER#{}", user.id)))
            .key("sk", AttributeValue::S("PROFILE".into()))
            .consistent_read(true)
            .send()
            .await?;
        match item.item.as_ref().and_then(|i| i.get("failed_attempts")) {
            Some(AttributeValue::N(n)) => Ok(n.clone()),
            other => bail!("no count for {}: {other:?}", user.id),
        }
    }
}

/// The first run of exactly six digits in `text`.
pub fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .map(str::to_owned)
}

/// One message the emulator accepted.
#[derive(Clone, Debug)]
pub struct Sent {
    /// Email address or phone number.
    pub to: String,
    /// The text.
    pub body: String,
}

/// A user made for one test.
#[derive(Clone, Debug)]
pub struct TestUser {
    /// User id.
    pub id: String,
    /// Account id.
    pub account_id: String,
    /// Username.
    pub username: String,
    /// Email address.
    pub email: String,
    /// E.164 phone.
    pub phone: String,
}

/// A random number from the North American range set aside for fiction
/// (555-0100 to 555-0199), under one of several real area codes.
pub fn fictional_phone() -> String {
    const AREAS: [u16; 12] = [206, 212, 303, 312, 404, 415, 503, 617, 702, 713, 808, 919];
    let draw = uuid::Uuid::new_v4().as_u128();
    let area = AREAS[(draw % AREAS.len() as u128) as usize];
    let line = 100 + (draw / 16 % 100) as u16;
    format!("+1{area}5550{line}")
}

/// Creates an account with one user in `store`.
pub async fn fresh_user_in<S: Provisioning>(store: &S, two_factor: bool) -> Result<TestUser> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let account_id = format!("acct-{}", &id[..12]);
    store
        .put_account(&Account {
            id: account_id.clone(),
            name: "Test Practice Group".into(),
            two_factor_enabled: two_factor,
        })
        .await?;
    add_user_in(store, &account_id, Role::User, &[]).await
}

/// A browser-like client: one cookie jar, JSON in and out.
pub struct Client {
    http: reqwest::Client,
    base: String,
    cookies: HashMap<String, String>,
    /// The raw `Set-Cookie` values of the last response.
    pub last_set_cookies: Vec<String>,
}

/// A response: status and JSON body.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Parsed body (`null` when it was not JSON).
    pub body: Value,
}

impl Answer {
    /// The `error.code` of a failure body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

impl Client {
    /// A client for `base`, with no cookies.
    pub fn new(base: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: base.trim_end_matches('/').to_owned(),
            cookies: HashMap::new(),
            last_set_cookies: Vec::new(),
        }
    }

    /// Whether the jar holds cookie `name`.
    pub fn has_cookie(&self, name: &str) -> bool {
        self.cookies.contains_key(name)
    }

    /// Sets a cookie by hand, as an attacker could.
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_owned(), value.to_owned());
    }

    /// The value of cookie `name`.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    /// POSTs JSON.
    pub async fn post(&mut self, path: &str, body: &Value) -> Result<Answer> {
        self.send_raw(
            reqwest::Method::POST,
            path,
            Some(("application/json", serde_json::to_vec(body)?)),
        )
        .await
    }

    /// GETs.
    pub async fn get(&mut self, path: &str) -> Result<Answer> {
        self.send_raw(reqwest::Method::GET, path, None).await
    }

    /// Sends any body with any content type.
    pub async fn send_raw(
        &mut self,
        method: reqwest::Method,
        path: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Answer> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            request = request.header("cookie", jar.join("; "));
        }
        if let Some((content_type, bytes)) = body {
            request = request.header("content-type", content_type).body(bytes);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        self.last_set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for set in &self.last_set_cookies {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let removed = value.is_empty() || set.contains("Max-Age=0");
                if removed {
                    self.cookies.remove(name.trim());
                } else {
                    self.cookies
                        .insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        let bytes = response.bytes().await?;
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }
}

/// An account made for one test: two practices, a System Administrator of
/// both, and one user in each.
#[derive(Clone, Debug)]
pub struct TestAccount {
    /// Account id.
    pub id: String,
    /// The practices' ids: Riverside Clinic, then Hillcrest Pediatrics.
    pub practices: [String; 2],
    /// The System Administrator.
    pub admin: TestUser,
    /// A user of the first practice.
    pub pat: TestUser,
    /// A user of the second practice.
    pub sam: TestUser,
}

impl Stack {
    /// Creates an account of its own with two practices, an administrator
    /// and a user in each practice, each with an email and a phone no other
    /// user has.
    pub async fn fresh_account(&self, two_factor: bool) -> Result<TestAccount> {
        let store = self.store().await;
        fresh_account_in(&store, two_factor).await
    }
}

/// Creates an account with two practices, an administrator of both and a
/// user in each, in `store`.
pub async fn fresh_account_in<S: Provisioning>(store: &S, two_factor: bool) -> Result<TestAccount> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let account_id = format!("acct-{}", &id[..12]);
    store
        .put_account(&Account {
            id: account_id.clone(),
            name: "Riverside Test Group".into(),
            two_factor_enabled: two_factor,
        })
        .await?;
    let practices = [
        format!("{account_id}-riverside"),
        format!("{account_id}-hillcrest"),
    ];
    for (practice_id, name) in practices
        .iter()
        .zip(["Riverside Clinic", "Hillcrest Pediatrics"])
    {
        store
            .put_practice(&Practice {
                id: practice_id.clone(),
                account_id: account_id.clone(),
                name: name.into(),
            })
            .await?;
    }
    let both: Vec<&str> = practices.iter().map(String::as_str).collect();
    let admin = add_user_in(store, &account_id, Role::SystemAdministrator, &both).await?;
    let pat = add_user_in(store, &account_id, Role::User, &both[..1]).await?;
    let sam = add_user_in(store, &account_id, Role::User, &both[1..]).await?;
    Ok(TestAccount {
        id: account_id,
        practices,
        admin,
        pat,
        sam,
    })
}

/// Adds a user with `role` in `practice_ids` of `account_id` to `store`,
/// with an email and a phone no other user has, and [`PASSWORD`].
pub async fn add_user_in<S: Provisioning>(
    store: &S,
    account_id: &str,
    role: Role,
    practice_ids: &[&str],
) -> Result<TestUser> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let email = format!("user-{}@riverside.test", &id[..12]);
    let mut user = User {
        id: format!("user-{}", &id[..20]),
        account_id: account_id.to_owned(),
        username: format!("tester-{}", &id[..12]),
        name: format!("Terry {}", &id[..6]),
        role,
        practice_ids: practice_ids.iter().map(|p| (*p).to_owned()).collect(),
        email: Some(Email::parse(&email).map_err(|e| anyhow::anyhow!("{e:?}"))?),
        phone: None,
        password_hash: password::hash(PASSWORD)?,
        status: UserStatus::Active,
        failed_attempts: 0,
        must_change_password: false,
    };
    // Phones are claimed once across the table: draw fictional numbers
    // again on a clash.
    let mut attempts = 0;
    let phone = loop {
        let phone = fictional_phone();
        user.phone = Some(Phone::from_e164(&phone).context("phone")?);
        attempts += 1;
        match store.create_user(&user).await? {
            Created::Created => break phone,
            Created::PhoneTaken if attempts < 30 => continue,
            other => bail!("creating a test user: {other:?}"),
        }
    };
    Ok(TestUser {
        id: user.id,
        account_id: account_id.to_owned(),
        username: user.username,
        email,
        phone,
    })
}

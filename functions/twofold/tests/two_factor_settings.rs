//! The two-factor settings service on the in-memory store, with a clock the
//! test controls: who may read and change the setting, what turning it on
//! takes, what turning it off takes, what each change records, and which
//! sessions survive it. The store's conditional change is also tested on the
//! DynamoDB emulator, in `tests/tests/settings_store.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use twofold::clock::{Clock, ManualClock};
use twofold::config::Policy;
use twofold::courier::{Courier, DeliveryFailed, Recipient};
use twofold::digest::{CodeKey, Token};
use twofold::model::{Account, Practice, Purpose, Session, User, UserStatus};
use twofold::password;
use twofold::random::OsRandom;
use twofold::service::settings::{SettingsError, TwoFactorSettings};
use twofold::service::signin::{LoginOutcome, SignIn, SignInError};
use twofold::store::memory::MemoryStore;
use twofold::store::{Directory, Provisioning, SessionStore, SettingsStore};
use twofold_shared::admin::ChangeTwoFactorRequest;
use twofold_shared::api::Role;
use twofold_shared::{ConfirmationCode, Email, Method, Phone};

const START: i64 = 1_800_000_000;
const PASSWORD: &str = "correct horse battery";

/// Records every code it delivers, with where and what for.
#[derive(Default)]
struct Outbox(Mutex<Vec<(String, Purpose, String)>>);

#[async_trait]
impl Courier for Outbox {
    async fn deliver(
        &self,
        to: &Recipient,
        code: &ConfirmationCode,
        purpose: Purpose,
        _minutes: i64,
    ) -> Result<(), DeliveryFailed> {
        let to = match to {
            Recipient::Email(e) => e.as_str().to_owned(),
            Recipient::Text(p) => p.as_str().to_owned(),
        };
        let sent = (to, purpose, code.digits().to_owned());
        self.0.lock().unwrap().push(sent);
        Ok(())
    }
}

impl Outbox {
    /// The last code sent for `purpose`.
    fn last(&self, purpose: Purpose) -> String {
        let sent = self.0.lock().unwrap();
        let found = sent.iter().rev().find(|(_, p, _)| *p == purpose);
        found.map(|(_, _, code)| code.clone()).unwrap()
    }
}

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    outbox: Outbox,
    sign_in: SignIn,
    settings: TwoFactorSettings,
}

fn user(id: &str, account: &str, role: Role, practices: &[&str], phone: Option<&str>) -> User {
    User {
        id: id.into(),
        account_id: account.into(),
        username: id.into(),
        name: format!("{} Example", id.to_uppercase()),
        role,
        practice_ids: practices.iter().map(|p| p.to_string()).collect(),
        email: Some(Email::parse(&format!("{id}@example.com")).unwrap()),
        phone: phone.map(|p| Phone::from_e164(p).unwrap()),
        password_hash: password::hash(PASSWORD).unwrap(),
        status: UserStatus::Active,
        failed_attempts: 0,
        must_change_password: false,
    }
}

/// Account `acct`: practices Riverside (p1) and Hillcrest (p2); `ada` and
/// `ben` administer both, `pat` works in p1 and `sam` in p2, all ready.
/// Account `other`: its administrator `otto`.
async fn world(two_factor: bool) -> World {
    let store = Arc::new(MemoryStore::new());
    for (id, on) in [("acct", two_factor), ("other", false)] {
        let account = Account {
            id: id.into(),
            name: format!("{id} group"),
            two_factor_enabled: on,
        };
        store.put_account(&account).await.unwrap();
    }
    for (id, name) in [("p1", "Riverside"), ("p2", "Hillcrest")] {
        let practice = Practice {
            id: id.into(),
            account_id: "acct".into(),
            name: name.into(),
        };
        store.put_practice(&practice).await.unwrap();
    }
    let admin = Role::SystemAdministrator;
    let users = [
        user("ada", "acct", admin, &["p1", "p2"], Some("+447700900001")),
        user("ben", "acct", admin, &["p1", "p2"], Some("+447700900002")),
        user("pat", "acct", Role::User, &["p1"], Some("+447700900003")),
        user("sam", "acct", Role::User, &["p2"], Some("+447700900004")),
        user("otto", "other", admin, &[], Some("+447700900005")),
    ];
    for user in &users {
        store.create_user(user).await.unwrap();
    }
    let clock = Arc::new(ManualClock::at(START));
    let sign_in = SignIn::new(
        store.clone(),
        clock.clone(),
        Arc::new(OsRandom),
        CodeKey::from_hex(&"42".repeat(32)).unwrap(),
        Policy::default(),
    );
    let settings = TwoFactorSettings::new(
        sign_in.clone(),
        store.clone(),
        clock.clone(),
        Arc::new(OsRandom),
    );
    World {
        store,
        clock,
        outbox: Outbox::default(),
        sign_in,
        settings,
    }
}

fn enable(code: Option<&str>, acknowledge: bool) -> ChangeTwoFactorRequest {
    ChangeTwoFactorRequest {
        enabled: true,
        code: code.map(str::to_owned),
        acknowledge_not_ready: acknowledge,
    }
}

fn disable() -> ChangeTwoFactorRequest {
    ChangeTwoFactorRequest {
        enabled: false,
        code: None,
        acknowledge_not_ready: false,
    }
}

/// Another six-digit code than `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

impl World {
    /// Signs `username` in, with a sign-in code when the account needs one.
    async fn session(&self, username: &str) -> Token {
        match self.sign_in.login(username, PASSWORD).await.unwrap() {
            LoginOutcome::SignedIn { token, .. } => token,
            LoginOutcome::CodeRequired { token, .. } => {
                self.sign_in
                    .send_code(&self.outbox, &token, Method::Email)
                    .await
                    .unwrap();
                // Another code to the same user must wait out the resend gap.
                self.clock.advance(Policy::default().resend_after);
                let code = ConfirmationCode::parse(&self.outbox.last(Purpose::SignIn)).unwrap();
                self.sign_in.verify(&token, &code).await.unwrap().token
            }
            other => panic!("unexpected login outcome {other:?}"),
        }
    }

    /// Has the enabling code sent to the administrator of `token`.
    async fn enabling_code(&self, token: &Token) -> String {
        self.settings
            .send_code(&self.outbox, token, Method::Email)
            .await
            .unwrap();
        self.clock.advance(Policy::default().resend_after);
        self.outbox.last(Purpose::EnableTwoFactor)
    }

    async fn enabled(&self) -> bool {
        self.store
            .account("acct")
            .await
            .unwrap()
            .unwrap()
            .two_factor_enabled
    }

    async fn changes(&self) -> usize {
        self.store.two_factor_changes("acct").await.unwrap().len()
    }

    async fn failed_attempts(&self, user_id: &str) -> u32 {
        let user = self.store.user(user_id).await.unwrap().unwrap();
        user.failed_attempts
    }
}

#[tokio::test]
async fn an_administrator_enables_with_a_code_and_the_change_is_recorded() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let before = w.settings.status(&ada).await.unwrap();
    assert!(!before.enabled);
    assert_eq!((before.changed_at, before.changed_by), (None, None));

    let code = w.enabling_code(&ada).await;
    let now = w.clock.now();
    let status = w
        .settings
        .change(&ada, &enable(Some(&code), false))
        .await
        .unwrap();
    assert!(status.enabled);
    assert_eq!(status.changed_at, Some(now));
    assert_eq!(status.changed_by.as_deref(), Some("ADA Example"));
    assert_eq!(w.settings.status(&ada).await.unwrap(), status);
    assert!(w.enabled().await);

    let changes = w.store.two_factor_changes("acct").await.unwrap();
    assert_eq!(changes.len(), 1);
    let change = &changes[0];
    assert_eq!(
        (change.actor_id.as_str(), change.from, change.to, change.at),
        ("ada", false, true, now)
    );
}

#[tokio::test]
async fn after_enabling_every_user_of_every_practice_needs_a_code() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let code = w.enabling_code(&ada).await;
    w.settings
        .change(&ada, &enable(Some(&code), false))
        .await
        .unwrap();
    for username in ["pat", "sam", "ben"] {
        let outcome = w.sign_in.login(username, PASSWORD).await.unwrap();
        assert!(
            matches!(outcome, LoginOutcome::CodeRequired { .. }),
            "{username}: {outcome:?}"
        );
    }
}

#[tokio::test]
async fn disabling_takes_no_code_and_then_the_password_alone_signs_in() {
    let w = world(true).await;
    let ada = w.session("ada").await;
    let status = w.settings.change(&ada, &disable()).await.unwrap();
    assert!(!status.enabled);
    assert_eq!(status.changed_by.as_deref(), Some("ADA Example"));
    assert!(!w.enabled().await);
    let change = &w.store.two_factor_changes("acct").await.unwrap()[0];
    assert_eq!((change.from, change.to), (true, false));
    let outcome = w.sign_in.login("sam", PASSWORD).await.unwrap();
    assert!(
        matches!(outcome, LoginOutcome::SignedIn { .. }),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_user_who_is_not_an_administrator_is_refused_everything() {
    let w = world(false).await;
    let pat = w.session("pat").await;
    let forbidden = |result: Result<(), SettingsError>| {
        matches!(result, Err(SettingsError::SignIn(SignInError::Forbidden)))
    };
    assert!(forbidden(w.settings.status(&pat).await.map(|_| ())));
    assert!(forbidden(w.settings.readiness(&pat).await.map(|_| ())));
    assert!(forbidden(
        w.settings
            .send_code(&w.outbox, &pat, Method::Email)
            .await
            .map(|_| ())
    ));
    let enabling = enable(Some("123456"), true);
    let result = w.settings.change(&pat, &enabling).await;
    assert!(forbidden(result.map(|_| ())));
    assert!(forbidden(
        w.settings.change(&pat, &disable()).await.map(|_| ())
    ));
    assert!(w.outbox.0.lock().unwrap().is_empty(), "a code was sent");
    assert!(!w.enabled().await);
}

#[tokio::test]
async fn without_a_session_nothing_is_answered() {
    let w = world(false).await;
    let stranger = Token::new("ada", [7; 32]);
    let result = w.settings.status(&stranger).await;
    assert!(matches!(
        result,
        Err(SettingsError::SignIn(SignInError::NotSignedIn))
    ));
}

#[tokio::test]
async fn an_administrator_of_another_account_reaches_only_their_own() {
    // No request names an account: it is always the session's.
    let w = world(false).await;
    let otto = w.session("otto").await;
    let code = w.enabling_code(&otto).await;
    let status = w
        .settings
        .change(&otto, &enable(Some(&code), false))
        .await
        .unwrap();
    assert!(status.enabled);
    assert!(!w.enabled().await, "another account's setting changed");
    assert_eq!(w.changes().await, 0);
    let other = w.store.account("other").await.unwrap().unwrap();
    assert!(other.two_factor_enabled);
    let readiness = w.settings.readiness(&otto).await.unwrap();
    assert!(readiness.practices.is_empty());
}

#[tokio::test]
async fn enabling_without_a_code_is_refused_and_changes_nothing() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    for missing in [None, Some(""), Some("  ")] {
        let result = w.settings.change(&ada, &enable(missing, true)).await;
        assert!(
            matches!(result, Err(SettingsError::CodeRequired)),
            "{result:?}"
        );
    }
    assert!(!w.enabled().await);
    assert_eq!(w.changes().await, 0);
}

#[tokio::test]
async fn a_malformed_code_is_refused_without_being_counted() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    w.enabling_code(&ada).await;
    let result = w
        .settings
        .change(&ada, &enable(Some("12ab56"), false))
        .await;
    assert!(
        matches!(result, Err(SettingsError::MalformedCode)),
        "{result:?}"
    );
    assert_eq!(w.failed_attempts("ada").await, 0);
}

#[tokio::test]
async fn a_wrong_code_counts_toward_the_administrators_own_lockout() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let code = w.enabling_code(&ada).await;
    let wrong = other_than(&code);
    let result = w.settings.change(&ada, &enable(Some(&wrong), false)).await;
    assert!(
        matches!(
            result,
            Err(SettingsError::SignIn(SignInError::InvalidCode {
                attempts_remaining: 6
            }))
        ),
        "{result:?}"
    );
    assert_eq!(w.failed_attempts("ada").await, 1);
    for _ in 0..5 {
        let _ = w.settings.change(&ada, &enable(Some(&wrong), false)).await;
    }
    let seventh = w.settings.change(&ada, &enable(Some(&wrong), false)).await;
    assert!(
        matches!(
            seventh,
            Err(SettingsError::SignIn(SignInError::AccountLocked))
        ),
        "{seventh:?}"
    );
    let ada_now = w.store.user("ada").await.unwrap().unwrap();
    assert_eq!(ada_now.status, UserStatus::Locked);
    // Locking ends the administrator's sessions; the right code is no use.
    let after = w.settings.change(&ada, &enable(Some(&code), false)).await;
    assert!(after.is_err());
    assert!(!w.enabled().await);
}

#[tokio::test]
async fn a_sign_in_code_does_not_enable_two_factor() {
    let w = world(true).await;
    let ada = w.session("ada").await;
    // A second sign-in of ada waits with a live sign-in code...
    let LoginOutcome::CodeRequired { token: pending, .. } =
        w.sign_in.login("ada", PASSWORD).await.unwrap()
    else {
        panic!("expected a code to be required");
    };
    w.sign_in
        .send_code(&w.outbox, &pending, Method::Email)
        .await
        .unwrap();
    let sign_in_code = w.outbox.last(Purpose::SignIn);
    w.settings.change(&ada, &disable()).await.unwrap();
    // ...which does not turn 2FA back on.
    let result = w
        .settings
        .change(&ada, &enable(Some(&sign_in_code), false))
        .await;
    assert!(
        matches!(
            result,
            Err(SettingsError::SignIn(SignInError::InvalidCode { .. }))
        ),
        "{result:?}"
    );
    assert!(!w.enabled().await);
    // It still serves its own sign-in.
    let code = ConfirmationCode::parse(&sign_in_code).unwrap();
    assert!(w.sign_in.verify(&pending, &code).await.is_ok());
}

#[tokio::test]
async fn the_enabling_code_signs_nobody_in() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let ada_code = w.enabling_code(&ada).await;
    let ben = w.session("ben").await;
    let ben_code = w.enabling_code(&ben).await;
    w.settings
        .change(&ben, &enable(Some(&ben_code), false))
        .await
        .unwrap();
    let LoginOutcome::CodeRequired { token: pending, .. } =
        w.sign_in.login("ada", PASSWORD).await.unwrap()
    else {
        panic!("expected a code to be required");
    };
    let code = ConfirmationCode::parse(&ada_code).unwrap();
    let result = w.sign_in.verify(&pending, &code).await;
    assert!(
        matches!(result, Err(SignInError::InvalidCode { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_enabling_code_serves_only_the_session_it_was_sent_for() {
    let w = world(false).await;
    let first = w.session("ada").await;
    let second = w.session("ada").await;
    let code = w.enabling_code(&first).await;
    let result = w
        .settings
        .change(&second, &enable(Some(&code), false))
        .await;
    assert!(
        matches!(
            result,
            Err(SettingsError::SignIn(SignInError::InvalidCode { .. }))
        ),
        "{result:?}"
    );
    assert!(!w.enabled().await);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let code = w.enabling_code(&ada).await;
    w.clock.advance(Policy::default().code_lifetime);
    let result = w.settings.change(&ada, &enable(Some(&code), false)).await;
    assert!(
        matches!(
            result,
            Err(SettingsError::SignIn(SignInError::InvalidCode { .. }))
        ),
        "{result:?}"
    );
    assert!(!w.enabled().await);
}

#[tokio::test]
async fn a_used_code_cannot_be_replayed() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let code = w.enabling_code(&ada).await;
    w.settings
        .change(&ada, &enable(Some(&code), false))
        .await
        .unwrap();
    w.settings.change(&ada, &disable()).await.unwrap();
    let replay = w.settings.change(&ada, &enable(Some(&code), false)).await;
    assert!(
        matches!(
            replay,
            Err(SettingsError::SignIn(SignInError::InvalidCode { .. }))
        ),
        "{replay:?}"
    );
    assert!(!w.enabled().await);
    assert_eq!(w.changes().await, 2);
}

#[tokio::test]
async fn users_who_are_not_ready_need_the_administrators_acknowledgement() {
    let w = world(false).await;
    let cy = user("cy", "acct", Role::User, &["p2"], None);
    w.store.create_user(&cy).await.unwrap();
    let ada = w.session("ada").await;
    let readiness = w.settings.readiness(&ada).await.unwrap();
    assert_eq!(readiness.not_ready, 1);
    assert_eq!(readiness.practices[0].practice.name, "Hillcrest");
    assert_eq!(readiness.practices[0].users[0].id, "cy");

    let code = w.enabling_code(&ada).await;
    let refused = w.settings.change(&ada, &enable(Some(&code), false)).await;
    assert!(
        matches!(
            refused,
            Err(SettingsError::AcknowledgementRequired { not_ready: 1 })
        ),
        "{refused:?}"
    );
    assert!(!w.enabled().await);
    assert_eq!(w.failed_attempts("ada").await, 0, "the code was counted");
    // The refused attempt did not spend the code.
    let status = w
        .settings
        .change(&ada, &enable(Some(&code), true))
        .await
        .unwrap();
    assert!(status.enabled);
}

#[tokio::test]
async fn saving_the_state_the_setting_has_changes_and_records_nothing() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let status = w.settings.change(&ada, &disable()).await.unwrap();
    assert!(!status.enabled);
    assert_eq!(status.changed_at, None);
    assert_eq!(w.changes().await, 0);

    let code = w.enabling_code(&ada).await;
    w.settings
        .change(&ada, &enable(Some(&code), false))
        .await
        .unwrap();
    // Already on: no code is needed to say so again, and none is sent.
    let again = w.settings.change(&ada, &enable(None, false)).await.unwrap();
    assert!(again.enabled);
    assert_eq!(w.changes().await, 1);
    let send = w.settings.send_code(&w.outbox, &ada, Method::Email).await;
    assert!(
        matches!(send, Err(SettingsError::AlreadyEnabled)),
        "{send:?}"
    );
}

#[tokio::test]
async fn sessions_without_a_second_factor_end_except_the_enabling_administrators() {
    let w = world(false).await;
    let ada = w.session("ada").await;
    let ada_elsewhere = w.session("ada").await;
    let pat = w.session("pat").await;
    let sam = w.session("sam").await;
    let code = w.enabling_code(&ada).await;
    w.settings
        .change(&ada, &enable(Some(&code), false))
        .await
        .unwrap();

    for (who, token) in [
        ("pat", &pat),
        ("sam", &sam),
        ("ada elsewhere", &ada_elsewhere),
    ] {
        let result = w.sign_in.session(token).await;
        assert!(
            matches!(result, Err(SignInError::NotSignedIn)),
            "{who}: {result:?}"
        );
        // Ended for good, not only refused.
        let stored = w
            .store
            .session(token.user_id(), &token.digest())
            .await
            .unwrap();
        assert!(stored.is_none(), "{who}'s session is still stored");
    }
    assert!(w.sign_in.session(&ada).await.is_ok());
    assert!(w.settings.status(&ada).await.unwrap().enabled);

    // A session started with a code survives the next change.
    let pat_again = w.session("pat").await;
    w.settings.change(&ada, &disable()).await.unwrap();
    assert!(w.sign_in.session(&pat_again).await.is_ok());
}

#[tokio::test]
async fn a_session_started_without_a_second_factor_after_enabling_ends_too() {
    // A login that read the account just before the change can start a
    // session without a second factor just after it.
    let w = world(false).await;
    let ada = w.session("ada").await;
    let code = w.enabling_code(&ada).await;
    w.settings
        .change(&ada, &enable(Some(&code), false))
        .await
        .unwrap();
    w.clock.advance(1);
    let late = Token::new("pat", [9; 32]);
    let session = Session {
        token_digest: late.digest(),
        user_id: "pat".into(),
        account_id: "acct".into(),
        second_factor: false,
        created_at: w.clock.now(),
        expires_at: w.clock.now() + 3600,
    };
    w.store.put_session(&session).await.unwrap();
    let result = w.sign_in.session(&late).await;
    assert!(
        matches!(result, Err(SignInError::NotSignedIn)),
        "{result:?}"
    );
}

//! The sign-in service on the in-memory store, with a clock and codes the
//! test controls. The same rules are tested against the DynamoDB emulator in
//! `tests/`; these run in milliseconds and cover every branch.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use twofold::clock::ManualClock;
use twofold::config::Policy;
use twofold::courier::{Courier, DeliveryFailed, Recipient};
use twofold::digest::{CodeKey, Token};
use twofold::model::{Account, Purpose, User, UserStatus};
use twofold::password;
use twofold::random::{OsRandom, Random, RandomUnavailable};
use twofold::service::signin::{LoginOutcome, SignIn, SignInError};
use twofold::store::memory::MemoryStore;
use twofold::store::{Created, Directory, Provisioning, SignInStore};
use twofold_shared::api::{LoginResponse, Role};
use twofold_shared::{ConfirmationCode, Email, Method, Phone};

const START: i64 = 1_800_000_000;
const PASSWORD: &str = "correct horse battery";

/// Codes handed out in order; secrets from the OS.
struct ScriptedCodes(Mutex<VecDeque<&'static str>>);

impl Random for ScriptedCodes {
    fn code(&self) -> Result<ConfirmationCode, RandomUnavailable> {
        let next = self
            .0
            .lock()
            .unwrap()
            .pop_front()
            .ok_or(RandomUnavailable)?;
        Ok(ConfirmationCode::parse(next).unwrap())
    }

    fn secret(&self) -> Result<[u8; 32], RandomUnavailable> {
        OsRandom.secret()
    }
}

/// Records what it delivers; fails when told to.
#[derive(Default)]
struct Outbox {
    sent: Mutex<Vec<(String, String)>>,
    failing: Mutex<bool>,
}

#[async_trait]
impl Courier for Outbox {
    async fn deliver(
        &self,
        to: &Recipient,
        code: &ConfirmationCode,
        _purpose: Purpose,
        _minutes: i64,
    ) -> Result<(), DeliveryFailed> {
        if *self.failing.lock().unwrap() {
            return Err(DeliveryFailed("provider down".into()));
        }
        let to = match to {
            Recipient::Email(e) => e.as_str().to_owned(),
            Recipient::Text(p) => p.as_str().to_owned(),
        };
        self.sent
            .lock()
            .unwrap()
            .push((to, code.digits().to_owned()));
        Ok(())
    }
}

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    outbox: Outbox,
    service: SignIn,
}

async fn world(two_factor: bool, codes: &[&'static str]) -> World {
    let store = Arc::new(MemoryStore::new());
    store
        .put_account(&Account {
            id: "acct".into(),
            name: "Riverside".into(),
            two_factor_enabled: two_factor,
        })
        .await
        .unwrap();
    store.create_user(&user("u1", "pat")).await.unwrap();
    let clock = Arc::new(ManualClock::at(START));
    let service = SignIn::new(
        store.clone(),
        clock.clone(),
        Arc::new(ScriptedCodes(Mutex::new(codes.iter().copied().collect()))),
        CodeKey::from_hex(&"42".repeat(32)).unwrap(),
        Policy::default(),
    );
    World {
        store,
        clock,
        outbox: Outbox::default(),
        service,
    }
}

fn user(id: &str, username: &str) -> User {
    User {
        id: id.into(),
        account_id: "acct".into(),
        username: username.into(),
        name: "Pat Quinn".into(),
        role: Role::User,
        practice_ids: vec![],
        email: Some(Email::parse("pat.quinn@example.com").unwrap()),
        phone: Some(Phone::from_e164("+447700900123").unwrap()),
        password_hash: password::hash(PASSWORD).unwrap(),
        status: UserStatus::Active,
        failed_attempts: 0,
        must_change_password: false,
    }
}

fn code(digits: &str) -> ConfirmationCode {
    ConfirmationCode::parse(digits).unwrap()
}

impl World {
    async fn pending(&self) -> Token {
        match self.service.login("pat", PASSWORD).await.unwrap() {
            LoginOutcome::CodeRequired { token, .. } => token,
            other => panic!("expected a code to be required, got {other:?}"),
        }
    }

    async fn send(&self, token: &Token) -> Result<(), SignInError> {
        self.service
            .send_code(&self.outbox, token, Method::Email)
            .await
            .map(|_| ())
    }

    async fn failed_attempts(&self) -> u32 {
        self.store
            .user("u1")
            .await
            .unwrap()
            .unwrap()
            .failed_attempts
    }
}

#[tokio::test]
async fn unknown_username_and_wrong_password_get_the_same_answer() {
    let w = world(true, &[]).await;
    let unknown = w.service.login("nobody", PASSWORD).await.unwrap_err();
    let wrong = w.service.login("pat", "wrong").await.unwrap_err();
    assert!(matches!(unknown, SignInError::InvalidCredentials));
    assert!(matches!(wrong, SignInError::InvalidCredentials));
}

#[tokio::test]
async fn with_two_factor_off_the_password_alone_signs_in() {
    let w = world(false, &[]).await;
    let outcome = w.service.login("PAT", PASSWORD).await.unwrap();
    let LoginOutcome::SignedIn { token, info } = outcome else {
        panic!("expected a session");
    };
    assert_eq!(info.user.username, "pat");
    assert_eq!(
        w.service.session(&token).await.unwrap().account.name,
        "Riverside"
    );
}

#[tokio::test]
async fn with_two_factor_on_the_methods_are_listed_masked() {
    let w = world(true, &[]).await;
    let LoginOutcome::CodeRequired { response, .. } =
        w.service.login("pat", PASSWORD).await.unwrap()
    else {
        panic!("expected a code to be required");
    };
    let LoginResponse::CodeRequired { methods, .. } = response else {
        panic!("expected code_required");
    };
    let shown: Vec<(Method, &str)> = methods
        .iter()
        .map(|m| (m.method, m.destination.as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            (Method::Email, "p•••@example.com"),
            (Method::Text, "•••-•••-0123")
        ]
    );
}

#[tokio::test]
async fn a_pending_sign_in_is_not_a_session() {
    let w = world(true, &[]).await;
    let pending = w.pending().await;
    let err = w.service.session(&pending).await.unwrap_err();
    assert!(matches!(err, SignInError::NotSignedIn));
}

#[tokio::test]
async fn the_right_code_starts_one_session_and_cannot_be_replayed() {
    let w = world(true, &["314159"]).await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    assert_eq!(
        w.outbox.sent.lock().unwrap()[0],
        ("pat.quinn@example.com".into(), "314159".into())
    );
    let started = w.service.verify(&pending, &code("314159")).await.unwrap();
    assert_eq!(
        w.service.session(&started.token).await.unwrap().user.id,
        "u1"
    );
    // The pending sign-in is gone with its code: a replay finds nothing.
    let replay = w
        .service
        .verify(&pending, &code("314159"))
        .await
        .unwrap_err();
    assert!(matches!(replay, SignInError::SignInExpired), "{replay:?}");
    assert_eq!(w.failed_attempts().await, 0);
}

#[tokio::test]
async fn a_wrong_code_says_how_many_attempts_remain() {
    let w = world(true, &["111111"]).await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    for remaining in [6, 5, 4] {
        let err = w
            .service
            .verify(&pending, &code("222222"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SignInError::InvalidCode { attempts_remaining } if attempts_remaining == remaining),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn the_seventh_wrong_code_locks_the_account() {
    let w = world(true, &["111111"]).await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    for _ in 0..6 {
        let err = w
            .service
            .verify(&pending, &code("999999"))
            .await
            .unwrap_err();
        assert!(matches!(err, SignInError::InvalidCode { .. }));
    }
    let seventh = w
        .service
        .verify(&pending, &code("999999"))
        .await
        .unwrap_err();
    assert!(matches!(seventh, SignInError::AccountLocked), "{seventh:?}");
    let user = w.store.user("u1").await.unwrap().unwrap();
    assert_eq!(user.status, UserStatus::Locked);
    // The code and the pending sign-in went with the lock.
    assert!(
        w.store
            .challenge("u1", Purpose::SignIn)
            .await
            .unwrap()
            .is_none()
    );
    let right = w
        .service
        .verify(&pending, &code("111111"))
        .await
        .unwrap_err();
    assert!(matches!(right, SignInError::SignInExpired), "{right:?}");
    let login = w.service.login("pat", PASSWORD).await.unwrap_err();
    assert!(matches!(login, SignInError::AccountLocked));
}

#[tokio::test]
async fn a_new_code_does_not_reset_the_count_but_a_right_one_does() {
    let w = world(true, &["111111", "222222", "333333"]).await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    for _ in 0..3 {
        let _ = w.service.verify(&pending, &code("000000")).await;
    }
    w.clock.advance(60);
    w.send(&pending).await.unwrap();
    assert_eq!(w.failed_attempts().await, 3);
    // The replaced code is no longer any good.
    let old = w
        .service
        .verify(&pending, &code("111111"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            old,
            SignInError::InvalidCode {
                attempts_remaining: 3
            }
        ),
        "{old:?}"
    );
    w.service.verify(&pending, &code("222222")).await.unwrap();
    assert_eq!(w.failed_attempts().await, 0);
}

#[tokio::test]
async fn an_expired_code_is_refused_though_still_stored() {
    let w = world(true, &["123123"]).await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    w.clock.advance(15 * 60);
    assert!(
        w.store
            .challenge("u1", Purpose::SignIn)
            .await
            .unwrap()
            .is_some()
    );
    let err = w
        .service
        .verify(&pending, &code("123123"))
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::InvalidCode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_code_serves_only_the_sign_in_it_was_sent_for() {
    let w = world(true, &["555555"]).await;
    let first = w.pending().await;
    let second = w.pending().await;
    w.send(&first).await.unwrap();
    let err = w
        .service
        .verify(&second, &code("555555"))
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::InvalidCode { .. }), "{err:?}");
    w.service.verify(&first, &code("555555")).await.unwrap();
}

#[tokio::test]
async fn codes_are_throttled_per_user() {
    let w = world(
        true,
        &["100000", "200000", "300000", "400000", "500000", "600000"],
    )
    .await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    let soon = w.send(&pending).await.unwrap_err();
    assert!(
        matches!(soon, SignInError::TooManyCodes { retry_after: 30 }),
        "{soon:?}"
    );
    for _ in 0..4 {
        w.clock.advance(30);
        w.send(&pending).await.unwrap();
    }
    w.clock.advance(30);
    let window = w.send(&pending).await.unwrap_err();
    assert!(
        matches!(window, SignInError::TooManyCodes { retry_after } if retry_after == 3600 - 150),
        "{window:?}"
    );
    assert_eq!(w.outbox.sent.lock().unwrap().len(), 5);
}

#[tokio::test]
async fn a_failed_delivery_leaves_no_code_behind() {
    let w = world(true, &["777777", "888888"]).await;
    let pending = w.pending().await;
    *w.outbox.failing.lock().unwrap() = true;
    let err = w.send(&pending).await.unwrap_err();
    assert!(matches!(err, SignInError::DeliveryFailed(_)));
    assert!(
        w.store
            .challenge("u1", Purpose::SignIn)
            .await
            .unwrap()
            .is_none()
    );
    *w.outbox.failing.lock().unwrap() = false;
    w.send(&pending).await.unwrap();
}

#[tokio::test]
async fn an_expired_pending_sign_in_can_send_and_verify_nothing() {
    let w = world(true, &["121212"]).await;
    let pending = w.pending().await;
    w.clock.advance(20 * 60);
    assert!(matches!(
        w.send(&pending).await.unwrap_err(),
        SignInError::SignInExpired
    ));
    let err = w
        .service
        .verify(&pending, &code("121212"))
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::SignInExpired));
}

#[tokio::test]
async fn sessions_end_at_logout_and_at_expiry() {
    let w = world(false, &[]).await;
    let LoginOutcome::SignedIn { token, .. } = w.service.login("pat", PASSWORD).await.unwrap()
    else {
        panic!("expected a session");
    };
    w.service.logout(&token).await.unwrap();
    assert!(matches!(
        w.service.session(&token).await,
        Err(SignInError::NotSignedIn)
    ));

    let LoginOutcome::SignedIn { token, .. } = w.service.login("pat", PASSWORD).await.unwrap()
    else {
        panic!("expected a session");
    };
    w.clock.advance(12 * 60 * 60);
    assert!(matches!(
        w.service.session(&token).await,
        Err(SignInError::NotSignedIn)
    ));
}

#[tokio::test]
async fn a_burst_of_wrong_codes_counts_exactly_the_limit() {
    let w = Arc::new(world(true, &["246810"]).await);
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (w, pending) = (w.clone(), pending.clone());
            tokio::spawn(async move { w.service.verify(&pending, &code("135790")).await })
        })
        .collect();
    for task in tasks {
        assert!(task.await.unwrap().is_err());
    }
    let user = w.store.user("u1").await.unwrap().unwrap();
    assert_eq!(user.failed_attempts, 7);
    assert_eq!(user.status, UserStatus::Locked);
}

#[tokio::test]
async fn an_initial_password_opens_nothing_until_it_is_replaced() {
    let w = world(true, &["424242"]).await;
    let mut fresh = user("u2", "newbie");
    fresh.must_change_password = true;
    fresh.email = Some(Email::parse("newbie@example.com").unwrap());
    fresh.phone = Some(Phone::from_e164("+12065550177").unwrap());
    assert_eq!(w.store.create_user(&fresh).await.unwrap(), Created::Created);
    let LoginOutcome::PasswordChangeRequired { token, .. } =
        w.service.login("newbie", PASSWORD).await.unwrap()
    else {
        panic!("expected a password change");
    };
    let send = w.service.send_code(&w.outbox, &token, Method::Email).await;
    assert!(
        matches!(send, Err(SignInError::PasswordChangeRequired)),
        "{send:?}"
    );
    let short = w.service.change_password(&token, "short").await;
    assert!(matches!(short, Err(SignInError::WeakPassword)), "{short:?}");
    let same = w.service.change_password(&token, PASSWORD).await;
    assert!(matches!(same, Err(SignInError::WeakPassword)), "{same:?}");
    let next = w
        .service
        .change_password(&token, "a brand new passphrase")
        .await;
    assert!(
        matches!(next, Ok(LoginOutcome::CodeRequired { .. })),
        "{next:?}"
    );
    // The old password no longer works; the new one does, with no detour.
    assert!(w.service.login("newbie", PASSWORD).await.is_err());
    let again = w
        .service
        .login("newbie", "a brand new passphrase")
        .await
        .unwrap();
    assert!(matches!(again, LoginOutcome::CodeRequired { .. }));
}

#[tokio::test]
async fn a_lock_is_kept_in_the_audit_trail() {
    use twofold::store::UserAdmin;
    let w = world(true, &["111111"]).await;
    let pending = w.pending().await;
    w.send(&pending).await.unwrap();
    for _ in 0..7 {
        let _ = w.service.verify(&pending, &code("999999")).await;
    }
    let trail = w.store.audit_trail("acct").await.unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0].action, "user_locked");
    assert_eq!(trail[0].subject.as_deref(), Some("u1"));
}

#[tokio::test]
async fn ten_wrong_passwords_make_a_username_wait_known_or_not() {
    let w = world(false, &[]).await;
    for _ in 0..10 {
        let err = w.service.login("pat", "wrong").await.unwrap_err();
        assert!(matches!(err, SignInError::InvalidCredentials), "{err:?}");
        let err = w.service.login("nobody", "wrong").await.unwrap_err();
        assert!(matches!(err, SignInError::InvalidCredentials), "{err:?}");
    }
    // The right password waits too, and an unknown name answers alike.
    for name in ["PAT", "nobody"] {
        let err = w.service.login(name, PASSWORD).await.unwrap_err();
        assert!(
            matches!(err, SignInError::TooManyAttempts { retry_after: 900 }),
            "{name}: {err:?}"
        );
    }
    w.clock.advance(15 * 60);
    assert!(w.service.login("pat", PASSWORD).await.is_ok());
    // A right password clears the count.
    for _ in 0..9 {
        let _ = w.service.login("pat", "wrong").await;
    }
    assert!(w.service.login("pat", PASSWORD).await.is_ok());
    assert!(w.service.login("pat", "wrong").await.is_err());
    assert!(w.service.login("pat", PASSWORD).await.is_ok());
}

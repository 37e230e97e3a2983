//! The store contract, run against the DynamoDB emulator and the in-memory
//! store alike: conditions, atomicity under concurrent use, expiry, and what
//! locking removes. Each DynamoDB case gets a fresh table made from the SAM
//! template.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use std::sync::{Arc, Mutex};

use twofold::clock::ManualClock;
use twofold::config::Policy;
use twofold::courier::{Courier, DeliveryFailed, Recipient};
use twofold::digest::{CodeKey, Token};
use twofold::model::{Purpose, Session, UserStatus};
use twofold::random::OsRandom;
use twofold::service::signin::{LoginOutcome, SignIn, SignInError};
use twofold::store::dynamo::DynamoStore;
use twofold::store::memory::MemoryStore;
use twofold::store::{Created, Directory, Provisioning, Store};
use twofold_e2e::{PASSWORD, Stack, TestUser, fictional_phone, fresh_user_in};
use twofold_shared::{ConfirmationCode, Email, Method, Phone};

const START: i64 = 1_800_000_000;

/// Keeps the last code it was asked to deliver.
#[derive(Default)]
struct LastCode(Mutex<Option<String>>);

#[async_trait::async_trait]
impl Courier for LastCode {
    async fn deliver(
        &self,
        _to: &Recipient,
        code: &ConfirmationCode,
        _purpose: Purpose,
        _minutes: i64,
    ) -> Result<(), DeliveryFailed> {
        *self.0.lock().unwrap() = Some(code.digits().to_owned());
        Ok(())
    }
}

async fn dynamo() -> Arc<DynamoStore> {
    Arc::new(
        Stack::from_env()
            .fresh_table()
            .await
            .expect("a fresh table on the emulator"),
    )
}

fn service<S: Store + 'static>(store: Arc<S>, clock: Arc<ManualClock>) -> SignIn {
    SignIn::new(
        store,
        clock,
        Arc::new(OsRandom),
        CodeKey::from_hex(&"5a".repeat(32)).unwrap(),
        Policy::default(),
    )
}

/// Signs in with the password and has a code sent; returns the pending
/// token and the code.
async fn pending_with_code(sign_in: &SignIn, user: &TestUser) -> (Token, String) {
    let LoginOutcome::CodeRequired { token, .. } =
        sign_in.login(&user.username, PASSWORD).await.unwrap()
    else {
        panic!("expected a code to be required");
    };
    let courier = LastCode::default();
    sign_in
        .send_code(&courier, &token, Method::Email)
        .await
        .unwrap();
    let code = courier.0.lock().unwrap().clone().unwrap();
    (token, code)
}

fn wrong(code: &str) -> ConfirmationCode {
    let n: u32 = code.parse().unwrap();
    ConfirmationCode::from_number((n + 1) % 1_000_000).unwrap()
}

async fn burst_of_wrong_codes_counts_exactly_the_limit<S: Store + Provisioning + 'static>(
    store: Arc<S>,
    burst: usize,
) {
    let user = fresh_user_in(store.as_ref(), true).await.unwrap();
    let sign_in = service(store.clone(), Arc::new(ManualClock::at(START)));
    let (pending, code) = pending_with_code(&sign_in, &user).await;
    let guesses: Vec<_> = (0..burst)
        .map(|_| {
            let (sign_in, pending, guess) = (sign_in.clone(), pending.clone(), wrong(&code));
            tokio::spawn(async move { sign_in.verify(&pending, &guess).await })
        })
        .collect();
    for guess in guesses {
        // Locking removes the pending sign-in, so late guesses find none.
        match guess.await.unwrap() {
            Err(
                SignInError::AccountLocked
                | SignInError::InvalidCode { .. }
                | SignInError::SignInExpired,
            ) => {}
            other => panic!("a wrong code got {other:?}"),
        }
    }
    let after = store.user(&user.id).await.unwrap().unwrap();
    assert_eq!(after.failed_attempts, 7, "wrong codes counted");
    assert_eq!(after.status, UserStatus::Locked);
    let right = ConfirmationCode::parse(&code).unwrap();
    assert!(
        sign_in.verify(&pending, &right).await.is_err(),
        "the right code after the lock"
    );
    assert!(
        store
            .challenge(&user.id, Purpose::SignIn)
            .await
            .unwrap()
            .is_none()
    );
}

async fn right_codes_at_once_start_exactly_one_session<S: Store + Provisioning + 'static>(
    store: Arc<S>,
) {
    let user = fresh_user_in(store.as_ref(), true).await.unwrap();
    let sign_in = service(store.clone(), Arc::new(ManualClock::at(START)));
    let (pending, code) = pending_with_code(&sign_in, &user).await;
    let entries: Vec<_> = (0..10)
        .map(|_| {
            let (sign_in, pending) = (sign_in.clone(), pending.clone());
            let code = ConfirmationCode::parse(&code).unwrap();
            tokio::spawn(async move { sign_in.verify(&pending, &code).await })
        })
        .collect();
    let mut sessions = 0;
    for entry in entries {
        match entry.await.unwrap() {
            Ok(_) => sessions += 1,
            Err(SignInError::AccountLocked) => panic!("a right code locked the account"),
            Err(_) => {}
        }
    }
    assert_eq!(sessions, 1);
    let after = store.user(&user.id).await.unwrap().unwrap();
    assert_eq!(after.status, UserStatus::Active);
    assert!(after.failed_attempts < 7, "count {}", after.failed_attempts);
}

async fn one_username_one_user<S: Provisioning + Directory + 'static>(store: Arc<S>) {
    let first = fresh_user_in(store.as_ref(), true).await.unwrap();
    let mut twin = store.user(&first.id).await.unwrap().unwrap();
    twin.id = format!("{}-twin", first.id);
    twin.username = first.username.to_uppercase();
    twin.email = Some(Email::parse(&format!("twin-{}", first.email)).unwrap());
    twin.phone = Some(Phone::from_e164(&fictional_phone()).unwrap());
    assert_eq!(
        store.create_user(&twin).await.unwrap(),
        Created::UsernameTaken
    );

    let base = store.user(&first.id).await.unwrap().unwrap();
    let attempts: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let mut user = base.clone();
            user.id = format!("{}-race-{i}", base.id);
            user.username = format!("{}-race", base.username);
            // Each racer's own contacts, so only the username is contested.
            let email = format!("race-{i}-{}", base.email.as_ref().unwrap().as_str());
            user.email = Some(Email::parse(&email).unwrap());
            user.phone = Some(Phone::from_e164(&fictional_phone()).unwrap());
            tokio::spawn(async move { store.create_user(&user).await.unwrap() })
        })
        .collect();
    let mut created = 0;
    for attempt in attempts {
        if attempt.await.unwrap() == Created::Created {
            created += 1;
        }
    }
    assert_eq!(created, 1);
}

async fn expired_items_are_kept_but_refused<S: Store + Provisioning + 'static>(store: Arc<S>) {
    let user = fresh_user_in(store.as_ref(), true).await.unwrap();
    let clock = Arc::new(ManualClock::at(START));
    let sign_in = service(store.clone(), clock.clone());
    let (pending, code) = pending_with_code(&sign_in, &user).await;
    clock.advance(15 * 60);
    // The store still holds the code (as DynamoDB may, until TTL runs)...
    assert!(
        store
            .challenge(&user.id, Purpose::SignIn)
            .await
            .unwrap()
            .is_some()
    );
    // ...and the service refuses it all the same.
    let err = sign_in
        .verify(&pending, &ConfirmationCode::parse(&code).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, SignInError::InvalidCode { .. }), "{err:?}");
}

async fn a_new_code_replaces_the_last_only_once<S: Store + Provisioning + 'static>(store: Arc<S>) {
    let user = fresh_user_in(store.as_ref(), true).await.unwrap();
    let sign_in = service(store.clone(), Arc::new(ManualClock::at(START)));
    let _ = pending_with_code(&sign_in, &user).await;
    let current = store
        .challenge(&user.id, Purpose::SignIn)
        .await
        .unwrap()
        .unwrap();
    let mut next = current.clone();
    next.issued_at += 60;
    next.digest = "new".into();
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            let previous = Some(current.issued_at);
            tokio::spawn(async move { store.replace_challenge(&next, previous).await.unwrap() })
        })
        .collect();
    let mut won = 0;
    for racer in racers {
        if racer.await.unwrap() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

/// A right sign-in code uses itself up, ends its pending sign-in and starts
/// the session in one write; when the pending sign-in is already gone, none
/// of the three happens.
async fn a_right_code_ends_the_sign_in_and_starts_the_session_at_once<
    S: Store + Provisioning + 'static,
>(
    store: Arc<S>,
) {
    let user = fresh_user_in(store.as_ref(), true).await.unwrap();
    let clock = Arc::new(ManualClock::at(START));
    let sign_in = service(store.clone(), clock.clone());
    let session = |digest: char| Session {
        token_digest: digest.to_string().repeat(64),
        user_id: user.id.clone(),
        account_id: user.account_id.clone(),
        second_factor: true,
        created_at: START,
        expires_at: START + 3600,
    };

    // The pending sign-in has gone (ended by a lock, say): nothing changes.
    let (pending, _code) = pending_with_code(&sign_in, &user).await;
    let read = |pending: &Token| {
        let (store, digest) = (store.clone(), pending.digest());
        let user_id = user.id.clone();
        async move {
            store
                .sign_in_state(&user_id, &digest, Purpose::SignIn)
                .await
                .unwrap()
        }
    };
    let state = read(&pending).await;
    assert_eq!(
        state.user.as_ref().map(|u| u.id.as_str()),
        Some(user.id.as_str())
    );
    assert!(state.pending.is_some());
    let challenge = state.challenge.expect("the code just sent");
    store
        .delete_pending(&user.id, &pending.digest())
        .await
        .unwrap();
    let orphan = session('a');
    assert!(
        !store
            .consume_challenge(&challenge, Some(&orphan))
            .await
            .unwrap()
    );
    assert!(read(&pending).await.challenge.is_some(), "code used up");
    let stored = store.session(&user.id, &orphan.token_digest).await.unwrap();
    assert!(stored.is_none(), "a session without its sign-in");

    // With its pending sign-in: all three at once, and only once. (A new
    // code is sent once the resend wait is over.)
    clock.advance(60);
    let (pending, _code) = pending_with_code(&sign_in, &user).await;
    let challenge = read(&pending).await.challenge.unwrap();
    let started = session('b');
    assert!(
        store
            .consume_challenge(&challenge, Some(&started))
            .await
            .unwrap()
    );
    let after = read(&pending).await;
    assert!(after.pending.is_none() && after.challenge.is_none());
    let stored = store
        .session(&user.id, &started.token_digest)
        .await
        .unwrap();
    assert_eq!(stored, Some(started));
    assert!(
        !store
            .consume_challenge(&challenge, Some(&session('c')))
            .await
            .unwrap()
    );

    // Nothing of a user that does not exist.
    let nobody = store
        .sign_in_state("nobody", &pending.digest(), Purpose::SignIn)
        .await
        .unwrap();
    assert!(nobody.pending.is_none() && nobody.user.is_none() && nobody.challenge.is_none());
}

async fn locking_removes_codes_and_sessions<S: Store + Provisioning + 'static>(store: Arc<S>) {
    let user = fresh_user_in(store.as_ref(), true).await.unwrap();
    let sign_in = service(store.clone(), Arc::new(ManualClock::at(START)));
    let (pending, _code) = pending_with_code(&sign_in, &user).await;
    let session = Session {
        token_digest: "d".repeat(64),
        user_id: user.id.clone(),
        account_id: user.account_id.clone(),
        second_factor: true,
        created_at: START,
        expires_at: START + 3600,
    };
    store.put_session(&session).await.unwrap();
    // Below the limit the lock does not take.
    assert!(!store.lock_user(&user.id, 7, START).await.unwrap());
    for _ in 0..7 {
        store.count_attempt(&user.id, 7).await.unwrap();
    }
    assert!(store.lock_user(&user.id, 7, START).await.unwrap());
    assert!(
        !store.lock_user(&user.id, 7, START).await.unwrap(),
        "locked twice"
    );
    assert!(
        store
            .session(&user.id, &session.token_digest)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .pending(&user.id, &pending.digest())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .challenge(&user.id, Purpose::SignIn)
            .await
            .unwrap()
            .is_none()
    );
}

async fn one_address_one_user_even_when_saved_at_once<S: Store + 'static>(store: Arc<S>) {
    use twofold::store::ContactChange;
    let mut users = Vec::new();
    for _ in 0..6 {
        let made = fresh_user_in(store.as_ref(), true).await.unwrap();
        users.push(store.user(&made.id).await.unwrap().unwrap());
    }
    let contested = Email::parse(&format!(
        "shared-{}",
        users[0].email.as_ref().unwrap().as_str()
    ))
    .unwrap();
    let saves: Vec<_> = users
        .iter()
        .map(|user| {
            let (store, user, email) = (store.clone(), user.clone(), contested.clone());
            tokio::spawn(async move {
                store
                    .change_contact(&user, Some(&email), user.phone.as_ref())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut changed = 0;
    for save in saves {
        match save.await.unwrap() {
            ContactChange::Changed => changed += 1,
            ContactChange::Taken {
                email: true,
                phone: false,
            } => {}
            other => panic!("a save of the contested address got {other:?}"),
        }
    }
    assert_eq!(changed, 1);
    // The winner's old address is free again; the losers kept theirs.
    let holders: Vec<_> = {
        let mut found = Vec::new();
        for user in &users {
            let now = store.user(&user.id).await.unwrap().unwrap();
            if now.email.as_ref() == Some(&contested) {
                found.push(user.clone());
            }
        }
        found
    };
    assert_eq!(holders.len(), 1);
    let winner = &holders[0];
    let loser = users.iter().find(|u| u.id != winner.id).unwrap();
    let freed = winner.email.as_ref();
    let reuse = store
        .change_contact(loser, freed, loser.phone.as_ref())
        .await
        .unwrap();
    assert_eq!(
        reuse,
        ContactChange::Changed,
        "the released address stayed claimed"
    );
}

async fn concurrent_wrong_passwords_are_all_counted<S: Store + 'static>(store: Arc<S>) {
    let name = format!("someone-{}", uuid::Uuid::new_v4().simple());
    let tries: Vec<_> = (0..20)
        .map(|_| {
            let (store, name) = (store.clone(), name.clone());
            tokio::spawn(async move {
                store
                    .record_password_failure(&name, START, 900)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for attempt in tries {
        counts.push(attempt.await.unwrap());
    }
    counts.sort();
    // The first opens the window; every other is counted in it, once.
    assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
    assert_eq!(
        store.password_failures(&name).await.unwrap(),
        Some((20, START))
    );
    // After the window a new one opens.
    assert_eq!(
        store
            .record_password_failure(&name, START + 900, 900)
            .await
            .unwrap(),
        1
    );
    store.clear_password_failures(&name).await.unwrap();
    assert_eq!(store.password_failures(&name).await.unwrap(), None);
}

macro_rules! on_both_stores {
    ($($case:ident $(, $arg:expr)?;)*) => {
        mod dynamodb {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(dynamo().await $(, $arg)?).await;
                }
            )*
        }
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(Arc::new(MemoryStore::new()) $(, $arg)?).await;
                }
            )*
        }
    };
}

on_both_stores! {
    burst_of_wrong_codes_counts_exactly_the_limit, 200;
    right_codes_at_once_start_exactly_one_session;
    one_username_one_user;
    expired_items_are_kept_but_refused;
    a_new_code_replaces_the_last_only_once;
    a_right_code_ends_the_sign_in_and_starts_the_session_at_once;
    locking_removes_codes_and_sessions;
    one_address_one_user_even_when_saved_at_once;
    concurrent_wrong_passwords_are_all_counted;
}

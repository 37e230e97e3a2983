//! The store contract of the account's two-factor switch, run against the
//! DynamoDB emulator and the in-memory store alike: a change is one
//! conditional write with its audit event, so of many administrators saving
//! at once exactly one changes it. Each DynamoDB case gets a fresh table made
//! from the SAM template.

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
use twofold::model::{Purpose, TwoFactorChange};
use twofold::random::OsRandom;
use twofold::service::settings::{SettingsError, TwoFactorSettings};
use twofold::service::signin::{LoginOutcome, SignIn, SignInError};
use twofold::store::dynamo::DynamoStore;
use twofold::store::memory::MemoryStore;
use twofold::store::{Provisioning, SettingsStore, Store, UserAdmin};
use twofold_e2e::{PASSWORD, Stack, TestUser, add_user_in, fresh_account_in};
use twofold_shared::admin::ChangeTwoFactorRequest;
use twofold_shared::api::Role;
use twofold_shared::{ConfirmationCode, Method};

const START: i64 = 1_800_000_000;

async fn dynamo() -> Arc<DynamoStore> {
    Arc::new(
        Stack::from_env()
            .fresh_table()
            .await
            .expect("a fresh table on the emulator"),
    )
}

fn change(account_id: &str, id: usize, from: bool, at: i64) -> TwoFactorChange {
    TwoFactorChange {
        id: format!("event-{id}"),
        account_id: account_id.to_owned(),
        actor_id: format!("admin-{id}"),
        actor_name: format!("Admin {id}"),
        from,
        to: !from,
        at,
    }
}

async fn of_many_enables_at_once_exactly_one_wins<S: Store + Provisioning + 'static>(
    store: Arc<S>,
) {
    let account = fresh_account_in(store.as_ref(), false).await.unwrap();
    let racers: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            let change = change(&account.id, i, false, START);
            tokio::spawn(async move {
                let won = store
                    .change_two_factor(&change, &format!("session-{i}"))
                    .await
                    .unwrap();
                (i, won)
            })
        })
        .collect();
    let mut winners = Vec::new();
    for racer in racers {
        let (i, won) = racer.await.unwrap();
        if won {
            winners.push(i);
        }
    }
    assert_eq!(winners.len(), 1, "winners: {winners:?}");
    let winner = winners[0];

    let setting = store.two_factor(&account.id).await.unwrap().unwrap();
    assert!(setting.enabled);
    let last = setting.last_change.unwrap();
    assert_eq!(last.id, format!("event-{winner}"));
    assert_eq!(last.actor_name, format!("Admin {winner}"));
    assert_eq!(
        setting.enabling_session.as_deref(),
        Some(format!("session-{winner}").as_str())
    );
    let changes = store.two_factor_changes(&account.id).await.unwrap();
    assert_eq!(changes, vec![last]);
    // Sign-in reads the same switch.
    let read = store.account(&account.id).await.unwrap().unwrap();
    assert!(read.two_factor_enabled);
}

async fn a_change_from_a_state_the_switch_no_longer_has_is_refused<
    S: Store + Provisioning + 'static,
>(
    store: Arc<S>,
) {
    let account = fresh_account_in(store.as_ref(), true).await.unwrap();
    let stale = change(&account.id, 1, false, START);
    assert!(!store.change_two_factor(&stale, "s").await.unwrap());
    let setting = store.two_factor(&account.id).await.unwrap().unwrap();
    assert!(setting.enabled);
    assert_eq!(setting.last_change, None);
    assert!(
        store
            .two_factor_changes(&account.id)
            .await
            .unwrap()
            .is_empty(),
        "a refused change was recorded"
    );
}

async fn an_account_that_does_not_exist_is_neither_read_nor_created<
    S: Store + Provisioning + 'static,
>(
    store: Arc<S>,
) {
    assert_eq!(store.two_factor("no-such-account").await.unwrap(), None);
    let change = change("no-such-account", 1, false, START);
    assert!(!store.change_two_factor(&change, "s").await.unwrap());
    assert_eq!(store.account("no-such-account").await.unwrap(), None);
}

async fn changes_read_newest_first_and_disabling_forgets_the_enabling_session<
    S: Store + Provisioning + 'static,
>(
    store: Arc<S>,
) {
    let account = fresh_account_in(store.as_ref(), false).await.unwrap();
    let on = change(&account.id, 1, false, START);
    let off = change(&account.id, 2, true, START + 60);
    assert!(store.change_two_factor(&on, "first").await.unwrap());
    assert!(store.change_two_factor(&off, "second").await.unwrap());
    let setting = store.two_factor(&account.id).await.unwrap().unwrap();
    assert!(!setting.enabled);
    assert_eq!(setting.enabling_session, None);
    assert_eq!(setting.last_change.as_ref(), Some(&off));
    let changes = store.two_factor_changes(&account.id).await.unwrap();
    assert_eq!(changes, vec![off, on]);
    // The audit items share the account's partition with its practices.
    assert_eq!(store.practices(&account.id).await.unwrap().len(), 2);
}

/// Keeps the last code it was asked to deliver, by recipient.
#[derive(Default)]
struct Codes(Mutex<Vec<(String, String)>>);

#[async_trait::async_trait]
impl Courier for Codes {
    async fn deliver(
        &self,
        to: &Recipient,
        code: &ConfirmationCode,
        _purpose: Purpose,
        _minutes: i64,
    ) -> Result<(), DeliveryFailed> {
        let to = match to {
            Recipient::Email(e) => e.as_str().to_owned(),
            Recipient::Text(p) => p.as_str().to_owned(),
        };
        self.0.lock().unwrap().push((to, code.digits().to_owned()));
        Ok(())
    }
}

impl Codes {
    fn to(&self, user: &TestUser) -> String {
        let sent = self.0.lock().unwrap();
        let mine = sent.iter().rev().find(|(to, _)| *to == user.email);
        mine.map(|(_, code)| code.clone()).unwrap()
    }
}

async fn two_administrators_enabling_at_once_make_one_change<S: Store + Provisioning + 'static>(
    store: Arc<S>,
) {
    let account = fresh_account_in(store.as_ref(), false).await.unwrap();
    let practices: Vec<&str> = account.practices.iter().map(String::as_str).collect();
    let second = add_user_in(
        store.as_ref(),
        &account.id,
        Role::SystemAdministrator,
        &practices,
    )
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::at(START));
    let sign_in = SignIn::new(
        store.clone(),
        clock.clone(),
        Arc::new(OsRandom),
        CodeKey::from_hex(&"5a".repeat(32)).unwrap(),
        Policy::default(),
    );
    let settings =
        TwoFactorSettings::new(sign_in.clone(), store.clone(), clock, Arc::new(OsRandom));
    let courier = Codes::default();
    let mut requests: Vec<(Token, ChangeTwoFactorRequest)> = Vec::new();
    for admin in [&account.admin, &second] {
        let LoginOutcome::SignedIn { token, .. } =
            sign_in.login(&admin.username, PASSWORD).await.unwrap()
        else {
            panic!("expected a session");
        };
        settings
            .send_code(&courier, &token, Method::Email)
            .await
            .unwrap();
        let request = ChangeTwoFactorRequest {
            enabled: true,
            code: Some(courier.to(admin)),
            acknowledge_not_ready: false,
        };
        requests.push((token, request));
    }
    let saves: Vec<_> = requests
        .into_iter()
        .map(|(token, request)| {
            let settings = settings.clone();
            tokio::spawn(async move { settings.change(&token, &request).await })
        })
        .collect();
    for save in saves {
        // The loser is told of the conflict; or, if it came after the
        // winner wrote, finds its own session ended, as every session
        // started without a second factor but the enabling one.
        match save.await.unwrap() {
            Ok(status) => assert!(status.enabled),
            Err(SettingsError::Conflict | SettingsError::SignIn(SignInError::NotSignedIn)) => {}
            Err(other) => panic!("a save got {other:?}"),
        }
    }
    assert_eq!(
        store.two_factor_changes(&account.id).await.unwrap().len(),
        1
    );
    assert!(
        store
            .two_factor(&account.id)
            .await
            .unwrap()
            .unwrap()
            .enabled
    );
}

macro_rules! on_both_stores {
    ($($case:ident;)*) => {
        mod dynamodb {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(dynamo().await).await;
                }
            )*
        }
        mod memory {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    super::$case(Arc::new(MemoryStore::new())).await;
                }
            )*
        }
    };
}

on_both_stores! {
    of_many_enables_at_once_exactly_one_wins;
    a_change_from_a_state_the_switch_no_longer_has_is_refused;
    an_account_that_does_not_exist_is_neither_read_nor_created;
    changes_read_newest_first_and_disabling_forgets_the_enabling_session;
    two_administrators_enabling_at_once_make_one_change;
}

/// The account's audit trail, as the users view reads it, shows the
/// two-factor changes beside the other events.
#[tokio::test]
async fn two_factor_changes_are_part_of_the_accounts_audit_trail() {
    let store = dynamo().await;
    let account = fresh_account_in(store.as_ref(), false).await.unwrap();
    let on = change(&account.id, 1, false, START);
    assert!(store.change_two_factor(&on, "s").await.unwrap());
    let trail = store.audit_trail(&account.id).await.unwrap();
    assert_eq!(trail.len(), 1, "{trail:?}");
    assert_eq!(trail[0].action, "two_factor_enabled");
    assert_eq!(trail[0].actor, "admin-1");
    assert_eq!(trail[0].at, START);
}

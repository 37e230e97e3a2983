//! The SPA in a real headless Chromium, driven over WebDriver against the
//! running local stack: sign in as the seeded demo user, choose email, read
//! the code from the emulator's outbox, see a wrong code refused with the
//! attempts left, sign in with the right one, reload, sign out.
//!
//! A second test locks a fresh user of its own out with wrong codes and
//! checks the page says to contact the System Administrator.
//!
//! Two more, each on a fresh account of its own, walk the System
//! Administrator's Settings: turning two-factor authentication on through
//! the enabling pop-up (not-ready users acknowledged, the code read back from
//! the emulator) and off through the disabling one, Cancel on both leaving
//! the status as it was; and reactivating, in the Users view, a user locked
//! out by seven wrong codes, who then signs in.
//!
//! Each screen is saved (sign-in, choose-method, enter-code, wrong-code,
//! home, locked, two-factor-window, two-factor-editor, enable-popup,
//! disable-popup, users-view) to `TWOFOLD_SCREENSHOT_DIR`, by default
//! `~/.cache/twofold/screenshots`: outside the clone, so a test run leaves
//! the tree clean and a running `scripts/dev` sees no change. Set it to
//! `docs/screenshots` to refresh the README's pictures.
//!
//! ChromeDriver is started on a free port with a fresh browser profile,
//! unless `TWOFOLD_WEBDRIVER_URL` names one already running. The user comes
//! from `TWOFOLD_TEST_USER` and `TWOFOLD_TEST_PASSWORD` (the demo user `pat`
//! by default), the name and account it must show from `TWOFOLD_TEST_NAME`
//! and `TWOFOLD_TEST_ACCOUNT`.
//!
//! Every run sends the user one code, and a user may be sent five an hour:
//! against a long-running `scripts/dev` stack, a sixth run within the hour
//! is throttled. `scripts/test` starts a fresh emulator each time.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking, helpers included"
)]

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use twofold_e2e::{PASSWORD, Stack, TestUser, six_digits};
use twofold_shared::policy::ATTEMPT_LIMIT;

/// How long a screen may take to appear: a debug build of the functions
/// hashes passwords slowly, and the first call to each function starts it.
const PATIENCE: Duration = Duration::from_secs(30);

/// The flags every Chromium here runs with: no GPU, no sandbox (containers),
/// and nothing that reaches the network on its own.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1000,900",
];

fn var(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::test]
async fn a_person_signs_in_with_an_emailed_code_and_signs_out() {
    in_browser(sign_in_and_out).await;
}

#[tokio::test]
async fn seventh_wrong_code_locks_the_account_and_names_who_can_help() {
    in_browser(lock_out).await;
}

#[tokio::test]
async fn an_administrator_turns_two_factor_on_and_off_through_the_pop_ups() {
    in_browser(enable_and_disable).await;
}

#[tokio::test]
async fn an_administrator_reactivates_a_locked_user_who_then_signs_in() {
    in_browser(reactivate_after_lockout).await;
}

/// Runs `test` in a fresh headless Chromium and closes it, whatever happened.
async fn in_browser(test: impl AsyncFnOnce(&Client, &Stack) -> Result<()>) {
    let driver = WebDriver::start()
        .await
        .expect("a WebDriver to drive Chromium");
    let browser = driver.browser().await.expect("a headless Chromium");
    let outcome = test(&browser, &Stack::from_env()).await;
    if outcome.is_err() {
        // What the page showed when it went wrong, for whoever reads the log.
        let shot = driver.profile.with_extension("failure.png");
        if let Ok(png) = browser.screenshot().await
            && std::fs::write(&shot, png).is_ok()
        {
            eprintln!("the page at the failure: {}", shot.display());
        }
    }
    let _ = browser.close().await;
    outcome.unwrap();
}

async fn sign_in_and_out(browser: &Client, stack: &Stack) -> Result<()> {
    let username = var("TWOFOLD_TEST_USER", "pat");
    let password = var("TWOFOLD_TEST_PASSWORD", "twofold-demo-1");
    let name = var("TWOFOLD_TEST_NAME", "Pat Quinn");
    let account = var("TWOFOLD_TEST_ACCOUNT", "Riverside Family Health");
    let page = Page(browser);

    browser.goto(&stack.web).await?;
    page.type_into("#username", &username).await?;
    page.type_into("#password", &password).await?;
    page.screenshot("sign-in").await?;
    page.click("#sign-in").await?;

    page.wait_for("#method-email").await?;
    page.screenshot("choose-method").await?;
    let shown_address = page
        .text("label[for='method-email'] .choice-destination")
        .await?;
    page.click("#method-email").await?;
    let before = emails_to(stack, &shown_address).await?;
    page.click("#send-code").await?;

    page.wait_for("#code").await?;
    let code = new_code_for(stack, before, &shown_address).await?;
    let hint = page.text("#sent-to").await?;
    ensure!(
        hint.contains(&shown_address),
        "the page says where the code went: {hint:?}"
    );
    ensure!(
        !page.find("#resend").await?.is_enabled().await?,
        "a new code cannot be asked for at once"
    );
    page.screenshot("enter-code").await?;

    page.type_into("#code", &wrong(&code)).await?;
    page.click("#confirm").await?;
    let refusal = page.wait_for_text("#error", "attempt").await?;
    ensure!(
        refusal.contains("not valid"),
        "a wrong code is refused: {refusal:?}"
    );
    page.screenshot("wrong-code").await?;

    page.type_into("#code", &code).await?;
    page.click("#confirm").await?;
    page.wait_for("#home").await?;
    ensure!(
        page.text("#user-name").await? == name,
        "the home page names the user"
    );
    ensure!(
        page.text("#account-name").await? == account,
        "and the account"
    );
    ensure!(
        !page.text("#practices").await?.is_empty(),
        "and lists practices"
    );
    page.screenshot("home").await?;

    // The session outlives the page: a reload asks the server and stays in.
    browser.refresh().await?;
    page.wait_for("#home").await?;

    page.click("#sign-out").await?;
    page.wait_for("#username").await?;
    browser.refresh().await?;
    page.wait_for("#username").await?;
    ensure!(page.find_now("#home").await.is_err(), "signed out for good");
    Ok(())
}

/// A user of its own, so locking it disturbs no other test or person.
async fn lock_out(browser: &Client, stack: &Stack) -> Result<()> {
    let user = stack.fresh_user(true).await?;
    let page = Page(browser);
    browser.goto(&stack.web).await?;
    enter_wrong_codes_until_locked(&page, stack, &user).await?;
    page.screenshot("locked").await?;
    Ok(())
}

/// Signs `user` in up to the code and enters wrong codes until the account
/// locks, checking the attempts left each time and the locked message.
async fn enter_wrong_codes_until_locked(
    page: &Page<'_>,
    stack: &Stack,
    user: &TestUser,
) -> Result<()> {
    page.type_into("#username", &user.username).await?;
    page.type_into("#password", PASSWORD).await?;
    page.click("#sign-in").await?;
    page.click("#method-email").await?;
    let before = stack.sent_to(&user.email).await?;
    page.click("#send-code").await?;
    page.wait_for("#code").await?;
    let wrong_code = wrong(&stack.code_sent_to(&user.email, before).await?);

    for left in (1..ATTEMPT_LIMIT).rev() {
        page.type_into("#code", &wrong_code).await?;
        page.click("#confirm").await?;
        page.wait_for_text("#error", &format!("{left} attempt"))
            .await?;
    }
    page.type_into("#code", &wrong_code).await?;
    page.click("#confirm").await?;
    let locked = page.wait_for_text("#error", "System Administrator").await?;
    ensure!(
        locked.contains("locked"),
        "the account is locked: {locked:?}"
    );
    ensure!(
        !page.find("#confirm").await?.is_enabled().await?,
        "no more codes can be tried"
    );
    Ok(())
}

/// Signs `user` in with the code emailed to them, from the sign-in form to
/// the home page. A code asked for too soon after the last is asked for
/// again once the wait is over.
async fn sign_in_with_code(page: &Page<'_>, stack: &Stack, user: &TestUser) -> Result<()> {
    page.type_into("#username", &user.username).await?;
    page.type_into("#password", PASSWORD).await?;
    page.click("#sign-in").await?;
    page.click("#method-email").await?;
    let before = stack.sent_to(&user.email).await?;
    let deadline = Instant::now() + Duration::from_secs(60);
    page.click("#send-code").await?;
    while page.find_now("#code").await.is_err() {
        // The message may be replaced between finding and reading it (a
        // stale element): read again on the next turn.
        let said = match page.find_now("#error").await {
            Ok(error) => error.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if Instant::now() > deadline {
            bail!("no code was sent to {}: {said:?}", user.username);
        }
        if !said.trim().is_empty() {
            tokio::time::sleep(Duration::from_secs(3)).await;
            page.click("#send-code").await?;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let code = stack.code_sent_to(&user.email, before).await?;
    page.type_into("#code", &code).await?;
    page.click("#confirm").await?;
    page.wait_for("#home").await?;
    Ok(())
}

/// Signs `user` in where two-factor authentication is off: the password
/// alone leads home.
async fn sign_in_with_password(page: &Page<'_>, user: &TestUser) -> Result<()> {
    page.type_into("#username", &user.username).await?;
    page.type_into("#password", PASSWORD).await?;
    page.click("#sign-in").await?;
    page.wait_for("#home").await?;
    Ok(())
}

/// Whether `css` is in the page right now.
async fn shown(page: &Page<'_>, css: &str) -> bool {
    page.find_now(css).await.is_ok()
}

/// Issue 3: the window, the editor, both pop-ups with Cancel, enabling with
/// an acknowledged not-ready user and a code from the emulator, disabling.
async fn enable_and_disable(browser: &Client, stack: &Stack) -> Result<()> {
    let account = stack.fresh_account(false).await?;
    let (admin, pat) = (&account.admin, &account.pat);
    let page = Page(browser);
    browser.goto(&stack.web).await?;
    sign_in_with_password(&page, admin).await?;
    page.click("#open-settings").await?;
    page.wait_for_text("#two-factor-status", "Disabled").await?;
    page.screenshot("two-factor-window").await?;

    // A user without a mobile phone is not ready: the Users view's contact
    // editor takes it away.
    page.click("#settings-users").await?;
    page.click(&format!("#edit-contact-{}", pat.username))
        .await?;
    let save = format!("#contact-save-{}", pat.username);
    page.wait_for(&save).await?;
    let phone = format!("#contact-phone-{}", pat.username);
    page.wait_for_value(&phone, &pat.phone).await?;
    // Clearing alone fires no input event; a typed space, trimmed away by
    // the page, does, and leaves the field empty to the server.
    page.type_into(&phone, " ").await?;
    page.click(&save).await?;
    let row = format!("#user-{}", pat.username);
    page.wait_for_text(&format!("{row} .readiness"), "No mobile phone")
        .await?;

    // Enabling, then Cancel: nothing changes.
    page.click("#settings-options").await?;
    page.click("#two-factor-edit").await?;
    page.click("#enable-two-factor").await?;
    page.screenshot("two-factor-editor").await?;
    page.click("#two-factor-save").await?;
    let popup = page
        .wait_for_text("#enable-popup", "No mobile phone")
        .await?;
    ensure!(
        popup.contains(&pat.username) && popup.contains("Riverside Clinic"),
        "the pop-up names the user who is not ready, under the practice: {popup:?}"
    );
    ensure!(
        !page.find("#enable-continue").await?.is_enabled().await?,
        "Continue waits for the acknowledgement"
    );
    page.screenshot("enable-popup").await?;
    page.click("#popup-cancel").await?;
    ensure!(
        !shown(&page, "#enable-popup").await,
        "Cancel closes the pop-up"
    );
    page.wait_for_text("#two-factor-status", "Disabled").await?;

    // Enabling for real, through every step.
    page.click("#two-factor-edit").await?;
    page.click("#enable-two-factor").await?;
    page.click("#two-factor-save").await?;
    page.click("#acknowledge-not-ready").await?;
    page.click("#enable-continue").await?;
    page.click("#enable-method-email").await?;
    let before = stack.sent_to(&admin.email).await?;
    page.click("#enable-send-code").await?;
    page.wait_for("#enable-code").await?;
    let code = stack.code_sent_to(&admin.email, before).await?;
    page.type_into("#enable-code", &wrong(&code)).await?;
    page.click("#enable-confirm").await?;
    let refusal = page.wait_for_text("#popup-error", "attempt").await?;
    ensure!(
        refusal.contains("not valid"),
        "a wrong code is refused: {refusal:?}"
    );
    page.type_into("#enable-code", &code).await?;
    page.click("#enable-confirm").await?;
    page.wait_for_text("#two-factor-status", "Enabled").await?;
    ensure!(!shown(&page, "#enable-popup").await, "the pop-up is closed");
    let by = page.text("#two-factor-by").await?;
    ensure!(
        by.starts_with("Terry"),
        "the window says who enabled it: {by:?}"
    );

    // Disabling, then Cancel: still on.
    page.click("#two-factor-edit").await?;
    page.click("#enable-two-factor").await?;
    page.click("#two-factor-save").await?;
    let popup = page
        .wait_for_text("#disable-popup", "username and password only")
        .await?;
    ensure!(!popup.is_empty(), "the disabling pop-up explains");
    page.screenshot("disable-popup").await?;
    page.click("#popup-cancel").await?;
    ensure!(
        !shown(&page, "#disable-popup").await,
        "Cancel closes the pop-up"
    );
    page.wait_for_text("#two-factor-status", "Enabled").await?;

    page.click("#two-factor-edit").await?;
    page.click("#enable-two-factor").await?;
    page.click("#two-factor-save").await?;
    page.click("#disable-confirm").await?;
    page.wait_for_text("#two-factor-status", "Disabled").await?;
    Ok(())
}

/// Issue 4: seven wrong codes lock a user; the administrator of the same
/// account reactivates them in the Users view; the user signs in.
async fn reactivate_after_lockout(browser: &Client, stack: &Stack) -> Result<()> {
    let account = stack.fresh_account(true).await?;
    let (admin, pat) = (&account.admin, &account.pat);
    let page = Page(browser);
    browser.goto(&stack.web).await?;
    enter_wrong_codes_until_locked(&page, stack, pat).await?;

    page.click("#start-over").await?;
    sign_in_with_code(&page, stack, admin).await?;
    page.click("#open-settings").await?;
    page.click("#settings-users").await?;
    let row = format!("#user-{}", pat.username);
    page.wait_for_text(&format!("{row} .status"), "Locked")
        .await?;
    let class = page
        .find(&row)
        .await?
        .attr("class")
        .await?
        .unwrap_or_default();
    ensure!(
        class.contains("locked"),
        "the locked row is marked: {class:?}"
    );
    page.screenshot("users-view").await?;
    page.click(&format!("#reactivate-{}", pat.username)).await?;
    page.wait_for_text(&format!("{row} .status"), "Active")
        .await?;
    ensure!(
        !shown(&page, &format!("#reactivate-{}", pat.username)).await,
        "an active user has nothing to reactivate"
    );

    page.click("#settings-back").await?;
    page.click("#sign-out").await?;
    page.wait_for("#username").await?;
    sign_in_with_code(&page, stack, pat).await?;
    Ok(())
}

/// How many emails went to addresses that mask to `masked`.
async fn emails_to(stack: &Stack, masked: &str) -> Result<usize> {
    let outbox = stack.outbox().await?;
    Ok(outbox
        .iter()
        .filter(|sent| masks_to(&sent.to, masked))
        .count())
}

/// The code in the newest email to an address that masks to `masked`, once
/// there are more than `before` of them. The page shows only the masked
/// address, so that is how the test finds the message the page speaks of.
async fn new_code_for(stack: &Stack, before: usize, masked: &str) -> Result<String> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let outbox = stack.outbox().await?;
        let mine: Vec<_> = outbox
            .iter()
            .filter(|sent| masks_to(&sent.to, masked))
            .collect();
        if let Some(sent) = mine.last().filter(|_| mine.len() > before) {
            return six_digits(&sent.body).with_context(|| format!("no code in {:?}", sent.body));
        }
        if Instant::now() > deadline {
            bail!("no new email reached {masked}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn masks_to(address: &str, masked: &str) -> bool {
    twofold_shared::mask::email(address) == masked
}

/// A code that is surely wrong: every digit moved on by one.
fn wrong(code: &str) -> String {
    code.chars()
        .map(|c| match c.to_digit(10) {
            Some(d) => char::from_digit((d + 1) % 10, 10).unwrap_or('0'),
            None => c,
        })
        .collect()
}

/// The page in the browser, found by the ids the SPA promises.
struct Page<'a>(&'a Client);

impl Page<'_> {
    async fn wait_for(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.0
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("waiting for {css}"))
    }

    async fn find(&self, css: &str) -> Result<fantoccini::elements::Element> {
        self.wait_for(css).await
    }

    async fn find_now(&self, css: &str) -> Result<fantoccini::elements::Element> {
        Ok(self.0.find(Locator::Css(css)).await?)
    }

    async fn click(&self, css: &str) -> Result<()> {
        let element = self.wait_for(css).await?;
        // Buttons are disabled while a request is out; wait for them.
        let deadline = Instant::now() + PATIENCE;
        while !element.is_enabled().await? {
            if Instant::now() > deadline {
                bail!("{css} stayed disabled");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        element
            .click()
            .await
            .with_context(|| format!("clicking {css}"))
    }

    async fn type_into(&self, css: &str, text: &str) -> Result<()> {
        let input = self.wait_for(css).await?;
        input.clear().await?;
        input.send_keys(text).await?;
        Ok(())
    }

    async fn text(&self, css: &str) -> Result<String> {
        Ok(self.wait_for(css).await?.text().await?.trim().to_owned())
    }

    /// The text of `css` once it contains `needle`.
    async fn wait_for_text(&self, css: &str, needle: &str) -> Result<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text(css).await?;
            if text.contains(needle) {
                return Ok(text);
            }
            if Instant::now() > deadline {
                bail!("{css} never said {needle:?}; it says {text:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the input `css` holds `value`.
    async fn wait_for_value(&self, css: &str, value: &str) -> Result<()> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.wait_for(css).await?.prop("value").await?;
            if now.as_deref() == Some(value) {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("{css} never held {value:?}; it holds {now:?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn screenshot(&self, name: &str) -> Result<()> {
        let dir = match std::env::var_os("TWOFOLD_SCREENSHOT_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/twofold/screenshots"),
        };
        std::fs::create_dir_all(&dir)?;
        let png = self.0.screenshot().await?;
        std::fs::write(dir.join(format!("{name}.png")), png)?;
        Ok(())
    }
}

/// A WebDriver endpoint: one named by `TWOFOLD_WEBDRIVER_URL`, or a
/// ChromeDriver of our own, stopped when this is dropped.
struct WebDriver {
    url: String,
    chromedriver: Option<Child>,
    profile: PathBuf,
}

impl WebDriver {
    async fn start() -> Result<Self> {
        let profile =
            std::env::temp_dir().join(format!("twofold-browser-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&profile)?;
        if let Ok(url) = std::env::var("TWOFOLD_WEBDRIVER_URL") {
            return Ok(Self {
                url,
                chromedriver: None,
                profile,
            });
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(var("TWOFOLD_CHROMEDRIVER", "/usr/bin/chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting chromedriver")?;
        let driver = Self {
            url: format!("http://127.0.0.1:{port}"),
            chromedriver: Some(child),
            profile,
        };
        driver.wait_until_ready().await?;
        Ok(driver)
    }

    async fn wait_until_ready(&self) -> Result<()> {
        let status = format!("{}/status", self.url);
        for _ in 0..100 {
            if let Ok(answer) = reqwest::get(&status).await {
                let body: serde_json::Value = answer.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("chromedriver did not answer at {status}")
    }

    async fn browser(&self) -> Result<Client> {
        // Once per process; a second call finds it done, which is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!("--user-data-dir={}", self.profile.display()));
        let options = json!({
            "binary": var("TWOFOLD_CHROMIUM", "/usr/bin/chromium"),
            "args": args,
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        Ok(ClientBuilder::rustls()?
            .capabilities(capabilities)
            .connect(&self.url)
            .await?)
    }
}

impl Drop for WebDriver {
    fn drop(&mut self) {
        if let Some(child) = &mut self.chromedriver {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

//! Operator commands, run with the deployment's AWS credentials (or, locally,
//! against the emulator through `AWS_ENDPOINT_URL`):
//!
//! - `local-setup --template FILE`: create the table from the template, the
//!   SES identity of the sender, and the demo account; print how to sign in.
//! - `create-table --template FILE`: only the table.
//! - `create-account --account NAME --practice NAME [--practice NAME...]
//!   --admin-username U --admin-name N --email E --phone P [--region US]`:
//!   a fresh deployment's first account and System Administrator.
//! - `reactivate --username NAME`: unlock a locked user, for when the
//!   account's only System Administrator is the one locked.
//!
//! The demo password is fixed and printed: it is for a local stack only.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use twofold::model::{Account, AuditEvent, Practice, User, UserStatus};
use twofold::provision::TableDefinition;
use twofold::store::dynamo::DynamoStore;
use twofold::store::{Created, Directory, Provisioning, UserAdmin};
use twofold::{aws, config, password};
use twofold_shared::api::Role;
use twofold_shared::{Email, Phone};

const USAGE: &str = "usage:
  twofold-admin local-setup --template FILE
  twofold-admin create-table --template FILE
  twofold-admin create-account --account NAME --practice NAME [--practice NAME...]
      --admin-username USERNAME --admin-name NAME --email EMAIL --phone PHONE [--region US]
  twofold-admin reactivate --username USERNAME";

/// The password of every demo user.
const DEMO_PASSWORD: &str = "twofold-demo-1";

struct DemoUser {
    id: &'static str,
    username: &'static str,
    name: &'static str,
    role: Role,
    practices: &'static [&'static str],
    email: &'static str,
    phone: &'static str,
}

// Phone numbers are from the range the North American plan sets aside for
// fiction (555-0100 to 555-0199), so no real phone is ever texted.
const DEMO_USERS: [DemoUser; 3] = [
    DemoUser {
        id: "demo-admin",
        username: "admin",
        name: "Alex Morgan",
        role: Role::SystemAdministrator,
        practices: &["riverside-clinic", "hillcrest-pediatrics"],
        email: "alex.morgan@riverside.test",
        phone: "+12065550100",
    },
    DemoUser {
        id: "demo-pat",
        username: "pat",
        name: "Pat Quinn",
        role: Role::User,
        practices: &["riverside-clinic"],
        email: "pat.quinn@riverside.test",
        phone: "+12065550123",
    },
    DemoUser {
        id: "demo-sam",
        username: "sam",
        name: "Sam Rivera",
        role: Role::User,
        practices: &["hillcrest-pediatrics"],
        email: "sam.rivera@riverside.test",
        phone: "+12065550145",
    },
];

fn table_name() -> Result<String> {
    std::env::var(config::TABLE).with_context(|| format!("{} is not set", config::TABLE))
}

fn template_arg(args: &[String]) -> Result<String> {
    match args {
        [flag, path] if flag == "--template" => Ok(path.clone()),
        _ => bail!("expected --template FILE"),
    }
}

async fn create_table(sdk: &aws_config::SdkConfig, template: &str) -> Result<()> {
    let yaml = std::fs::read_to_string(template).with_context(|| format!("reading {template}"))?;
    let definition = TableDefinition::from_template(&yaml)?;
    let name = table_name()?;
    let created = definition.create(&aws::dynamodb(sdk), &name).await?;
    println!(
        "table {name}: {}",
        if created { "created" } else { "already there" }
    );
    Ok(())
}

async fn create_sender_identity(sdk: &aws_config::SdkConfig) -> Result<()> {
    let from = std::env::var(config::EMAIL_FROM)
        .with_context(|| format!("{} is not set", config::EMAIL_FROM))?;
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>'))
        .context("the sender has no domain")?;
    let ses = aws::sesv2(sdk);
    // Creating an identity that exists fails; either way it exists after.
    let _ = ses
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await;
    println!("email identity {domain}: ready");
    Ok(())
}

/// Puts the code-digest key where the functions read it: the SSM
/// parameter named by `TWOFOLD_CODE_KEY_PARAMETER`.
async fn store_code_key(sdk: &aws_config::SdkConfig) -> Result<()> {
    let name = std::env::var(config::CODE_KEY_PARAMETER)
        .with_context(|| format!("{} is not set", config::CODE_KEY_PARAMETER))?;
    let key = std::env::var(config::CODE_KEY)
        .with_context(|| format!("{} is not set", config::CODE_KEY))?;
    twofold::digest::CodeKey::from_hex(&key)?;
    aws::put_secure_parameter(sdk, &name, &key)
        .await
        .map_err(anyhow::Error::msg)?;
    println!("code key: in SSM parameter {name}");
    Ok(())
}

async fn seed_demo(sdk: &aws_config::SdkConfig) -> Result<()> {
    let store = Arc::new(DynamoStore::new(aws::dynamodb(sdk), table_name()?));
    let account_id = "riverside";
    store
        .put_account(&Account {
            id: account_id.into(),
            name: "Riverside Family Health".into(),
            two_factor_enabled: true,
        })
        .await?;
    for (id, name) in [
        ("riverside-clinic", "Riverside Clinic"),
        ("hillcrest-pediatrics", "Hillcrest Pediatrics"),
    ] {
        store
            .put_practice(&Practice {
                id: id.into(),
                account_id: account_id.into(),
                name: name.into(),
            })
            .await?;
    }
    let password_hash = password::hash(DEMO_PASSWORD)?;
    println!("\nDemo account \"Riverside Family Health\", two-factor authentication on.");
    println!("Every demo user's password is {DEMO_PASSWORD:?} (fixed, local only):");
    for demo in &DEMO_USERS {
        let user = User {
            id: demo.id.into(),
            account_id: account_id.into(),
            username: demo.username.into(),
            name: demo.name.into(),
            role: demo.role,
            practice_ids: demo.practices.iter().map(|p| p.to_string()).collect(),
            email: Some(Email::parse(demo.email).map_err(|e| anyhow::anyhow!("{e:?}"))?),
            phone: Some(Phone::from_e164(demo.phone).context("demo phone")?),
            password_hash: password_hash.clone(),
            status: UserStatus::Active,
            failed_attempts: 0,
            must_change_password: false,
        };
        let state = match store.create_user(&user).await? {
            Created::Created => "created",
            Created::UsernameTaken => "already there",
            Created::EmailTaken | Created::PhoneTaken => {
                anyhow::bail!("{}: another user has this email or phone", demo.username)
            }
        };
        println!(
            "  {:<6} {:<12} {:<21} {} / {}  ({state})",
            demo.username,
            demo.name,
            demo.role.label(),
            demo.email,
            demo.phone
        );
    }
    Ok(())
}

/// Values of `--name value` flags; a repeated flag keeps every value.
fn flags(args: &[String]) -> Result<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let name = flag
            .strip_prefix("--")
            .with_context(|| format!("unexpected {flag:?}"))?;
        let value = rest
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        pairs.push((name.to_owned(), value.clone()));
    }
    Ok(pairs)
}

fn one<'a>(pairs: &'a [(String, String)], name: &str) -> Result<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .with_context(|| format!("--{name} is required"))
}

/// Creates an account, its practices and its first System Administrator,
/// with two-factor authentication off and a random initial password that
/// the administrator must change at first sign-in. Prints that password
/// once; it is stored only as a hash.
async fn create_account(sdk: &aws_config::SdkConfig, args: &[String]) -> Result<()> {
    let pairs = flags(args)?;
    let region_code = pairs
        .iter()
        .find(|(n, _)| n == "region")
        .map_or("US", |(_, v)| v);
    let region = twofold::contact::region(region_code).context("--region: a country code")?;
    let email = twofold::contact::email(one(&pairs, "email")?).map_err(anyhow::Error::msg)?;
    let phone =
        twofold::contact::mobile(one(&pairs, "phone")?, region).map_err(anyhow::Error::msg)?;
    let practices: Vec<&str> = pairs
        .iter()
        .filter(|(n, _)| n == "practice")
        .map(|(_, v)| v.as_str())
        .collect();
    if practices.is_empty() {
        bail!("--practice NAME is required, once per practice");
    }
    let store = DynamoStore::new(aws::dynamodb(sdk), table_name()?);
    let account_id = uuid::Uuid::new_v4().to_string();
    store
        .put_account(&Account {
            id: account_id.clone(),
            name: one(&pairs, "account")?.to_owned(),
            two_factor_enabled: false,
        })
        .await?;
    let mut practice_ids = Vec::new();
    for name in practices {
        let id = uuid::Uuid::new_v4().to_string();
        store
            .put_practice(&Practice {
                id: id.clone(),
                account_id: account_id.clone(),
                name: name.to_owned(),
            })
            .await?;
        practice_ids.push(id);
    }
    let mut secret = [0u8; 18];
    getrandom::fill(&mut secret).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    let initial = hex::encode(secret);
    let username = one(&pairs, "admin-username")?;
    let user = User {
        id: uuid::Uuid::new_v4().to_string(),
        account_id: account_id.clone(),
        username: username.to_owned(),
        name: one(&pairs, "admin-name")?.to_owned(),
        role: Role::SystemAdministrator,
        practice_ids,
        email: Some(email),
        phone: Some(phone),
        password_hash: password::hash(&initial)?,
        status: UserStatus::Active,
        failed_attempts: 0,
        must_change_password: true,
    };
    match store.create_user(&user).await? {
        Created::Created => {}
        Created::UsernameTaken => bail!("not created: another user has username {username}"),
        Created::EmailTaken => bail!("not created: another user has that email address"),
        Created::PhoneTaken => bail!("not created: another user has that mobile phone"),
    }
    println!("account {account_id} created, two-factor authentication off");
    println!("System Administrator {username}: initial password {initial}");
    println!("(shown once; it must be changed at first sign-in)");
    Ok(())
}

/// Unlocks a locked user, for when no System Administrator of the account
/// can: the account's only administrator is the one locked.
async fn reactivate(sdk: &aws_config::SdkConfig, username: &str) -> Result<()> {
    let store = DynamoStore::new(aws::dynamodb(sdk), table_name()?);
    let user = store
        .user_by_username(username)
        .await?
        .with_context(|| format!("no user {username:?}"))?;
    if !store.reactivate(&user.account_id, &user.id).await? {
        bail!("{username} is not locked");
    }
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    store
        .record(&AuditEvent {
            account_id: user.account_id.clone(),
            at: i64::try_from(at)?,
            actor: "operator".into(),
            action: "user_reactivated".into(),
            subject: Some(user.id.clone()),
            detail: "by the operator command".into(),
        })
        .await?;
    println!(
        "{username} ({}) is active again; the wrong-code count is zero.",
        user.name
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sdk = aws::sdk_config(None).await;
    match args.split_first() {
        Some((command, rest)) if command == "local-setup" => {
            create_table(&sdk, &template_arg(rest)?).await?;
            create_sender_identity(&sdk).await?;
            store_code_key(&sdk).await?;
            seed_demo(&sdk).await
        }
        Some((command, rest)) if command == "create-table" => {
            create_table(&sdk, &template_arg(rest)?).await
        }
        Some((command, rest)) if command == "create-account" => create_account(&sdk, rest).await,
        Some((command, [flag, username])) if command == "reactivate" && flag == "--username" => {
            reactivate(&sdk, username).await
        }
        Some((command, _)) if command == "--help" || command == "help" => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

//! `scripts/bench`: latency of a 2FA sign-in against its AWS floor, DynamoDB
//! requests per sign-in, cold starts, package and SPA sizes, and the cost of
//! a million sign-ins. `scripts/bench` brings up the stack and builds what
//! this reads; run on its own it needs the same variables.
//!
//! Nothing here prints a code, a password or a token.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fantoccini::ClientBuilder;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use twofold::courier::{AwsCourier, Courier, Recipient};
use twofold::model::{Challenge, PendingSignIn, Purpose, Session};
use twofold::password;
use twofold::store::{Attempt, Directory, SignInStore};
use twofold_e2e::{Client, PASSWORD, Stack, TestUser, fresh_user_in};
use twofold_shared::{ConfirmationCode, Email, Method};

/// AWS list prices, us-east-1, as published in 2024-11 (DynamoDB on-demand
/// after its 2024-11-01 cut); not fetched at run time.
mod price {
    pub const AS_OF: &str = "2024-11, us-east-1";
    /// Lambda on arm64, per GB-second.
    pub const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
    /// Lambda, per request.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// API Gateway HTTP API, per request (first 300 million a month).
    pub const HTTP_API_REQUEST: f64 = 1.00 / 1e6;
    /// DynamoDB on-demand, per write request unit.
    pub const WRITE_UNIT: f64 = 0.625 / 1e6;
    /// DynamoDB on-demand, per read request unit.
    pub const READ_UNIT: f64 = 0.125 / 1e6;
    /// SES, per email.
    pub const EMAIL: f64 = 0.10 / 1000.0;
    /// SNS SMS to a US number, per message, before carrier fees.
    pub const SMS_US: f64 = 0.005_81;
}

/// Lambda gives a function CPU in proportion to its memory size: one whole
/// vCPU at 1,769 MB (AWS Lambda developer guide, "memory and computing
/// power").
const FULL_VCPU_MB: f64 = 1769.0;

/// Memory sizes the Lambda table weighs against each other.
const MEMORY_CHOICES: [f64; 5] = [128.0, 256.0, 512.0, 1024.0, 1769.0];

const FUNCTIONS: [&str; 6] = [
    "login",
    "send-code",
    "verify-code",
    "session",
    "settings",
    "users",
];

struct Args {
    n: usize,
    starts: usize,
    loads: usize,
    bin_dir: PathBuf,
    zip_dir: PathBuf,
    dist: PathBuf,
    python: String,
    out: PathBuf,
    template: PathBuf,
    command: String,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        n: 30,
        starts: 10,
        loads: 10,
        bin_dir: PathBuf::from("target/release"),
        zip_dir: PathBuf::from("target/lambda"),
        dist: PathBuf::from("dist"),
        python: "python3".into(),
        out: PathBuf::from("docs/benchmarks.md"),
        template: PathBuf::from("infra/template.yaml"),
        command: "scripts/bench".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--n" => args.n = value.parse().context("--n")?,
            "--starts" => args.starts = value.parse().context("--starts")?,
            "--loads" => args.loads = value.parse().context("--loads")?,
            "--bin-dir" => args.bin_dir = value.into(),
            "--zip-dir" => args.zip_dir = value.into(),
            "--dist" => args.dist = value.into(),
            "--python" => args.python = value,
            "--out" => args.out = value.into(),
            "--template" => args.template = value.into(),
            "--command" => args.command = value,
            _ => bail!("unknown flag {flag}"),
        }
    }
    if args.n == 0 || args.starts == 0 || args.loads == 0 {
        bail!("--n, --starts and --loads must be at least 1");
    }
    Ok(args)
}

/// Median and 95th percentile (nearest rank), in milliseconds.
#[derive(Clone, Copy, Default)]
struct Spread {
    median: f64,
    p95: f64,
}

fn spread(samples: &[Duration]) -> Spread {
    let mut ms: Vec<f64> = samples.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    if ms.is_empty() {
        return Spread::default();
    }
    let rank = |q: f64| ms[((q * ms.len() as f64).ceil() as usize).clamp(1, ms.len()) - 1];
    let median = if ms.len() % 2 == 1 {
        ms[ms.len() / 2]
    } else {
        (ms[ms.len() / 2 - 1] + ms[ms.len() / 2]) / 2.0
    };
    Spread {
        median,
        p95: rank(0.95),
    }
}

/// The timings of the three steps, over HTTP and bare.
#[derive(Default)]
struct Steps {
    login: Vec<Duration>,
    send: Vec<Duration>,
    verify: Vec<Duration>,
}

impl Steps {
    fn append(&mut self, mut other: Steps) {
        self.login.append(&mut other.login);
        self.send.append(&mut other.send);
        self.verify.append(&mut other.verify);
    }
}

async fn timed<T>(f: impl Future<Output = Result<T>>) -> Result<(T, Duration)> {
    let start = Instant::now();
    let out = f.await?;
    Ok((out, start.elapsed()))
}

fn expect_ok(step: &str, answer: &twofold_e2e::Answer) -> Result<()> {
    if answer.status != 200 {
        bail!(
            "{step} answered HTTP {} ({})",
            answer.status,
            answer.error_code()
        );
    }
    Ok(())
}

/// N full sign-ins through the functions, one fresh user each (the resend
/// limit allows one code a minute per user).
async fn sign_ins(stack: &Stack, users: &[TestUser]) -> Result<Steps> {
    let mut steps = Steps::default();
    let method = serde_json::to_value(Method::Email)?;
    for user in users {
        let mut client = Client::new(&stack.api);
        let login = json!({"username": user.username, "password": PASSWORD});
        let (answer, took) = timed(client.post("/api/auth/login", &login)).await?;
        expect_ok("login", &answer)?;
        steps.login.push(took);
        let body = json!({ "method": method });
        let (answer, took) = timed(client.post("/api/auth/code", &body)).await?;
        expect_ok("send code", &answer)?;
        steps.send.push(took);
        let code = stack.code_sent_to(&user.email, 0).await?;
        let body = json!({ "code": code });
        let (answer, took) = timed(client.post("/api/auth/verify", &body)).await?;
        expect_ok("verify", &answer)?;
        steps.verify.push(took);
    }
    Ok(steps)
}

/// The same store calls each step makes, in the same order and with the
/// same ones made at once, straight to the emulator: each is one SDK
/// request (two for the username lookup), and
/// the item mapping around it costs microseconds. No HTTP in front, no
/// Lambda runtime, no password hash, no JSON. A user's first sign-in, so
/// there are no wrong passwords to clear.
async fn floor(stack: &Stack, users: &[TestUser]) -> Result<Steps> {
    let store = stack.store().await;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&stack.aws)
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await;
    let from = std::env::var("TWOFOLD_EMAIL_FROM").unwrap_or("no-reply@twofold.test".into());
    let courier = AwsCourier::new(
        twofold::aws::sesv2(&config),
        twofold::aws::sns(&config),
        from,
        twofold::courier::SmsPolicy::default(),
    );
    let code = ConfirmationCode::parse("000000").map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut steps = Steps::default();
    for (i, user) in users.iter().enumerate() {
        let now = 1_900_000_000 + i as i64;
        let digest = format!("bench-{}", uuid::Uuid::new_v4().simple());
        let email = Email::parse(&user.email).map_err(|e| anyhow::anyhow!("{e:?}"))?;

        let ((), took) = timed(async {
            let (_, found) = tokio::try_join!(
                store.password_failures(&user.username),
                store.user_by_username(&user.username),
            )?;
            let found = found.context("floor user missing")?;
            store.account(&found.account_id).await?;
            store
                .put_pending(&PendingSignIn {
                    token_digest: digest.clone(),
                    user_id: user.id.clone(),
                    expires_at: now + 600,
                    password_change: false,
                })
                .await?;
            Ok(())
        })
        .await?;
        steps.login.push(took);

        let challenge = Challenge {
            user_id: user.id.clone(),
            purpose: Purpose::SignIn,
            digest: format!("{digest}-code"),
            binding: digest.clone(),
            method: Method::Email,
            issued_at: now,
            expires_at: now + 900,
            window_start: now,
            window_sends: 1,
        };
        let ((), took) = timed(async {
            let state = store
                .sign_in_state(&user.id, &digest, Purpose::SignIn)
                .await?;
            let replaced = store
                .replace_challenge(&challenge, state.challenge.map(|p| p.issued_at))
                .await?;
            if !replaced {
                bail!("floor challenge not stored");
            }
            courier
                .deliver(&Recipient::Email(email.clone()), &code, Purpose::SignIn, 15)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.0))?;
            Ok(())
        })
        .await?;
        steps.send.push(took);

        let ((), took) = timed(async {
            let state = store
                .sign_in_state(&user.id, &digest, Purpose::SignIn)
                .await?;
            let Attempt::Counted(_, found) = store.count_attempt(&user.id, 7).await? else {
                bail!("floor entry not counted");
            };
            let current = state.challenge.context("floor challenge missing")?;
            let session = Session {
                token_digest: format!("{digest}-session"),
                user_id: user.id.clone(),
                account_id: found.account_id.clone(),
                second_factor: true,
                created_at: now,
                expires_at: now + 3600,
            };
            if !store.consume_challenge(&current, Some(&session)).await? {
                bail!("floor challenge not consumed");
            }
            tokio::try_join!(
                store.account(&found.account_id),
                store.practices(&found.account_id),
            )?;
            Ok(())
        })
        .await?;
        steps.verify.push(took);
    }
    Ok(steps)
}

/// Requests the emulator has counted so far, by operation.
async fn emulator_counts(stack: &Stack) -> Result<BTreeMap<String, u64>> {
    let url = format!("{}/twofold/requests", stack.aws);
    let counts: BTreeMap<String, u64> = reqwest::get(&url)
        .await?
        .error_for_status()
        .context("the emulator does not count requests (start it with --count-requests)")?
        .json()
        .await?;
    Ok(counts)
}

fn difference(
    after: &BTreeMap<String, u64>,
    before: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(op, n)| (op.clone(), n - before.get(op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// Spawn to the first `GET /runtime/invocation/next`, against a Runtime API
/// of our own that answers nothing else.
async fn cold_start(binary: &Path, memory_mb: f64) -> Result<Duration> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let api = listener.local_addr()?.to_string();
    let mut command = tokio::process::Command::new(binary);
    command
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", format!("{memory_mb:.0}"))
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    // As in AWS, and as the stack runs them: the key comes from SSM when a
    // parameter is named.
    if std::env::var_os("TWOFOLD_CODE_KEY_PARAMETER").is_some() {
        command.env_remove("TWOFOLD_CODE_KEY");
    }
    let start = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let wait = async {
        let (mut socket, _) = listener.accept().await?;
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let read = socket.read(&mut buf).await?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buf[..read]);
        }
        anyhow::Ok(head)
    };
    let head = tokio::select! {
        head = tokio::time::timeout(Duration::from_secs(30), wait) => head??,
        status = child.wait() => bail!("{} exited before asking for work: {status:?}", binary.display()),
    };
    let took = start.elapsed();
    let _ = child.kill().await;
    if !head.starts_with(b"GET /2018-06-01/runtime/invocation/next") {
        bail!(
            "{} asked the Runtime API something else first",
            binary.display()
        );
    }
    Ok(took)
}

/// Raw, gzip -9 and brotli q11 sizes of the SPA's files of one kind.
fn transfer_sizes(python: &str, dist: &Path) -> Result<BTreeMap<String, [u64; 3]>> {
    let script = r#"
import brotli, gzip, json, pathlib, sys
sizes = {}
for path in sorted(pathlib.Path(sys.argv[1]).rglob("*")):
    kind = path.suffix.lstrip(".")
    if kind not in ("wasm", "js", "css"):
        continue
    data = path.read_bytes()
    row = sizes.setdefault(kind, [0, 0, 0])
    row[0] += len(data)
    row[1] += len(gzip.compress(data, 9))
    row[2] += len(brotli.compress(data, quality=11))
print(json.dumps(sizes))
"#;
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(dist)
        .output()
        .context("running python for the compressed sizes")?;
    if !out.status.success() {
        bail!(
            "compressing the SPA failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(serde_json::from_slice(&out.stdout)?)
}

const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--window-size=1000,900",
];

/// Navigation start to the sign-in button present, by `performance.now()`
/// read in the page when a poll (every 10 ms) first finds it; a new browser
/// with an empty profile for each load, so nothing is cached.
async fn first_renders(web: &str, loads: usize) -> Result<Vec<Duration>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut driver = Command::new(
        std::env::var("TWOFOLD_CHROMEDRIVER").unwrap_or("/usr/bin/chromedriver".into()),
    )
    .arg(format!("--port={port}"))
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .context("starting chromedriver")?;
    let result = async {
        let url = format!("http://127.0.0.1:{port}");
        let mut ready = false;
        for _ in 0..100 {
            if let Ok(answer) = reqwest::get(format!("{url}/status")).await {
                let body: Value = answer.json().await.unwrap_or_default();
                if body["value"]["ready"] == true {
                    ready = true;
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !ready {
            bail!("chromedriver did not start");
        }
        let mut renders = Vec::new();
        for _ in 0..loads {
            let profile = std::env::temp_dir()
                .join(format!("twofold-bench-{}", uuid::Uuid::new_v4().simple()));
            let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
            args.push(format!("--user-data-dir={}", profile.display()));
            let mut capabilities = serde_json::Map::new();
            capabilities.insert(
                "goog:chromeOptions".into(),
                json!({
                    "binary": std::env::var("TWOFOLD_CHROMIUM").unwrap_or("/usr/bin/chromium".into()),
                    "args": args,
                }),
            );
            // Do not wait for the load event: poll from the start.
            capabilities.insert("pageLoadStrategy".into(), json!("none"));
            let browser = ClientBuilder::rustls()?
                .capabilities(capabilities)
                .connect(&url)
                .await?;
            let measured = async {
                browser.goto(&format!("{web}/")).await?;
                let deadline = Instant::now() + Duration::from_secs(60);
                loop {
                    let probe = browser
                        .execute(
                            "return document.querySelector('#sign-in') \
                             ? performance.now() : null;",
                            vec![],
                        )
                        .await;
                    if let Ok(Value::Number(ms)) = probe {
                        let ms = ms.as_f64().unwrap_or_default();
                        return anyhow::Ok(Duration::from_secs_f64(ms / 1e3));
                    }
                    if Instant::now() > deadline {
                        bail!("the sign-in form never appeared");
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            .await;
            let _ = browser.close().await;
            let _ = std::fs::remove_dir_all(&profile);
            renders.push(measured?);
        }
        Ok(renders)
    }
    .await;
    let _ = driver.kill();
    let _ = driver.wait();
    result
}

fn argon2_verify(n: usize) -> Result<Vec<Duration>> {
    let stored = password::hash(PASSWORD)?;
    let mut samples = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        if !password::verify(PASSWORD, &stored) {
            bail!("argon2id verify refused its own password");
        }
        samples.push(start.elapsed());
    }
    Ok(samples)
}

/// Each function's memory size in the SAM template, by binary: its own
/// `MemorySize`, or the one under `Globals`.
fn memory_sizes(template: &Path) -> Result<BTreeMap<String, f64>> {
    let text = std::fs::read_to_string(template)
        .with_context(|| format!("reading {}", template.display()))?;
    let doc: serde_yaml::Value = serde_yaml::from_str(&text)?;
    let size = |v: &serde_yaml::Value| v["MemorySize"].as_f64();
    let global = size(&doc["Globals"]["Function"]);
    let mut sizes = BTreeMap::new();
    if let Some(resources) = doc["Resources"].as_mapping() {
        for resource in resources.values() {
            if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
                continue;
            }
            let Some(binary) = resource["Metadata"]["BuildProperties"]["Binary"].as_str() else {
                continue;
            };
            let mb = size(&resource["Properties"])
                .or(global)
                .with_context(|| format!("no MemorySize for {binary} in the template"))?;
            sizes.insert(binary.to_owned(), mb);
        }
    }
    Ok(sizes)
}

/// Clock ticks a second, the unit of /proc's CPU times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU time, user and system, of every thread so far, summed over the
/// running processes of `binary` (the functions `cargo lambda watch` runs).
fn cpu_time(binary: &Path) -> Result<Duration> {
    let binary = binary
        .canonicalize()
        .with_context(|| format!("{} is not built", binary.display()))?;
    let ticks = clock_ticks();
    let mut total = 0u64;
    let mut found = false;
    for entry in std::fs::read_dir("/proc")?.flatten() {
        if std::fs::read_link(entry.path().join("exe")).ok().as_deref() != Some(&binary) {
            continue;
        }
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // After the command name in parentheses: state is field 3, utime 14
        // and stime 15 (proc(5)).
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok());
        if let (Some(user), Some(system)) = (field(11), field(12)) {
            total += user + system;
            found = true;
        }
    }
    if !found {
        bail!("no running process of {}", binary.display());
    }
    Ok(Duration::from_secs_f64(total as f64 / ticks))
}

/// A step's duration in Lambda at `memory` MB, from its wall time and CPU
/// time here: the wait stays as it is, the CPU work stretches by the share
/// of a vCPU that size gets. Assumes a Lambda vCPU does what a core here
/// does.
fn lambda_ms(wall: f64, cpu: f64, memory: f64) -> f64 {
    let share = (memory / FULL_VCPU_MB).min(1.0);
    (wall - cpu).max(0.0) + cpu / share
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = parse_args()?;
    let stack = Stack::from_env();
    let store = stack.store().await;
    let mut md = String::new();
    let say = |md: &mut String, line: String| {
        println!("{line}");
        md.push_str(&line);
        md.push('\n');
    };

    // Users for the sign-ins and for the floor, made before counting.
    eprintln!(
        "==> bench: {} users for the sign-ins, {} for the floor",
        args.n, args.n
    );
    let mut users = Vec::new();
    let mut floor_users = Vec::new();
    for _ in 0..args.n {
        users.push(fresh_user_in(&store, true).await?);
        floor_users.push(fresh_user_in(&store, true).await?);
    }

    let memory = memory_sizes(&args.template)?;
    let step_functions = ["login", "send-code", "verify-code"];
    let cpu_all = |bin_dir: &Path| -> Result<Vec<Duration>> {
        step_functions
            .iter()
            .map(|f| cpu_time(&bin_dir.join(f)))
            .collect()
    };

    // Each sign-in through the functions is followed by one floor
    // sign-in, so both meet a table of the same size: the emulator's
    // transactions take longer as its table grows. Requests and CPU time
    // are counted around the sign-ins through the functions only.
    eprintln!(
        "==> bench: {} sign-ins through the functions, each followed by its floor",
        args.n
    );
    let mut steps = Steps::default();
    let mut bare = Steps::default();
    let mut per_run: BTreeMap<String, u64> = BTreeMap::new();
    let mut cpu_spent = vec![Duration::ZERO; step_functions.len()];
    for (user, floor_user) in users.iter().zip(&floor_users) {
        let before = emulator_counts(&stack).await?;
        let cpu_before = cpu_all(&args.bin_dir)?;
        steps.append(sign_ins(&stack, std::slice::from_ref(user)).await?);
        let cpu_after = cpu_all(&args.bin_dir)?;
        let after = emulator_counts(&stack).await?;
        for (op, count) in difference(&after, &before) {
            *per_run.entry(op).or_default() += count;
        }
        for (spent, (a, b)) in cpu_spent.iter_mut().zip(cpu_after.iter().zip(&cpu_before)) {
            *spent += a.saturating_sub(*b);
        }
        bare.append(floor(&stack, std::slice::from_ref(floor_user)).await?);
    }
    // CPU milliseconds per sign-in, by step.
    let cpu_ms: Vec<f64> = cpu_spent
        .iter()
        .map(|spent| spent.as_secs_f64() * 1e3 / args.n as f64)
        .collect();

    eprintln!("==> bench: argon2id verify, {} times", args.n);
    let argon = spread(&argon2_verify(args.n)?);

    eprintln!("==> bench: cold starts, {} per function", args.starts);
    let mut colds = Vec::new();
    for function in FUNCTIONS {
        let binary = args.bin_dir.join(function);
        let mut samples = Vec::new();
        let mb = memory.get(function).copied().unwrap_or(FULL_VCPU_MB);
        for _ in 0..args.starts {
            samples.push(cold_start(&binary, mb).await?);
        }
        colds.push((function, spread(&samples)));
    }

    eprintln!("==> bench: SPA sizes and {} loads in Chromium", args.loads);
    let sizes = transfer_sizes(&args.python, &args.dist)?;
    let web = std::env::var("TWOFOLD_WEB_URL").unwrap_or(stack.web.clone());
    let render = spread(&first_renders(&web, args.loads).await?);

    // The report.
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    say(&mut md, "# Benchmarks".into());
    say(&mut md, String::new());
    say(
        &mut md,
        format!("Made on {date} by `{}`, on this machine:", args.command),
    );
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    say(
        &mut md,
        format!(
            "{cores} cores ({cpu}), moto on one thread, functions in release under `cargo lambda watch`."
        ),
    );
    say(&mut md, String::new());

    say(&mut md, format!("## A 2FA sign-in, {} times (ms)", args.n));
    say(&mut md, String::new());
    say(
        &mut md,
        "| step | median | p95 | floor median | floor p95 | step / floor |".into(),
    );
    say(&mut md, "|---|---:|---:|---:|---:|---:|".into());
    let rows = [
        (
            "login (POST /api/auth/login)",
            &steps.login,
            &bare.login,
            argon.median,
        ),
        (
            "send code by email (POST /api/auth/code)",
            &steps.send,
            &bare.send,
            0.0,
        ),
        (
            "verify (POST /api/auth/verify)",
            &steps.verify,
            &bare.verify,
            0.0,
        ),
    ];
    for (name, step, floor_samples, less) in rows {
        let s = spread(step);
        let f = spread(floor_samples);
        let ratio = (s.median - less) / f.median;
        let note = if less > 0.0 { " (less argon2id)" } else { "" };
        say(
            &mut md,
            format!(
                "| {name} | {:.1} | {:.1} | {:.1} | {:.1} | {ratio:.2}{note} |",
                s.median, s.p95, f.median, f.p95
            ),
        );
    }
    say(
        &mut md,
        format!(
            "| argon2id verify alone (in process) | {:.1} | {:.1} | | | |",
            argon.median, argon.p95
        ),
    );
    say(&mut md, String::new());
    say(
        &mut md,
        "The floor is the same DynamoDB and SES calls each step makes, in order, made \
         from this process straight to the same emulator through the store adapter \
         (one SDK request per call) and the SES courier, for another user right after \
         each sign-in through the functions: the emulator copies its table for each \
         item of a transaction, so verify's time grows with the table and both must \
         meet the same one. The login ratio is taken after subtracting the median \
         argon2id verify, which is deliberate work."
            .into(),
    );
    say(&mut md, String::new());

    say(
        &mut md,
        "## Requests per sign-in, counted at the emulator".into(),
    );
    say(&mut md, String::new());
    say(&mut md, "| operation | per sign-in |".into());
    say(&mut md, "|---|---:|".into());
    let n = args.n as f64;
    let mut per = BTreeMap::new();
    for (op, count) in &per_run {
        let name = op.trim_start_matches("DynamoDB_20120810.");
        let each = *count as f64 / n;
        per.insert(name.to_owned(), each);
        say(&mut md, format!("| {name} | {each:.2} |"));
    }
    let dynamo: f64 = per_run
        .iter()
        .filter(|(op, _)| op.starts_with("DynamoDB_") && !op.ends_with(" items"))
        .map(|(_, c)| *c as f64 / n)
        .sum();
    say(&mut md, format!("| **DynamoDB, all** | **{dynamo:.2}** |"));
    say(&mut md, String::new());
    say(
        &mut md,
        "Counted by `scripts/moto_server.py --count-requests` (X-Amz-Target, or method \
         and path for SES v2) around each sign-in through the functions; reading \
         the codes from moto's data is not counted. An \"items\" line counts the items \
         inside that operation's requests, which is what DynamoDB bills them by."
            .into(),
    );
    say(&mut md, String::new());

    say(
        &mut md,
        format!("## Cold start, median of {} starts (ms)", args.starts),
    );
    say(&mut md, String::new());
    say(&mut md, "| function | median | p95 | arm64 zip |".into());
    say(&mut md, "|---|---:|---:|---:|".into());
    for (function, s) in &colds {
        let zip = args.zip_dir.join(function).join("bootstrap.zip");
        let size = std::fs::metadata(&zip)
            .map(|m| kib(m.len()))
            .unwrap_or("missing".into());
        say(
            &mut md,
            format!("| {function} | {:.1} | {:.1} | {size} |", s.median, s.p95),
        );
    }
    say(&mut md, String::new());
    say(
        &mut md,
        "From spawning the x86_64 release binary to its first \
         `GET /2018-06-01/runtime/invocation/next` on a Runtime API the bench serves: \
         logging, settings, the SDK clients (and the code key from SSM when \
         TWOFOLD_CODE_KEY_PARAMETER is set). The zip is \
         `cargo lambda build --release --arm64 --output-format zip`."
            .into(),
    );
    say(&mut md, String::new());

    say(&mut md, "## The SPA".into());
    say(&mut md, String::new());
    say(&mut md, "| files | raw | gzip -9 | brotli 11 |".into());
    say(&mut md, "|---|---:|---:|---:|".into());
    let mut total = [0u64; 3];
    for (kind, [raw, gz, br]) in &sizes {
        total[0] += raw;
        total[1] += gz;
        total[2] += br;
        say(
            &mut md,
            format!("| {kind} | {} | {} | {} |", kib(*raw), kib(*gz), kib(*br)),
        );
    }
    say(
        &mut md,
        format!(
            "| **all** | **{}** | **{}** | **{}** |",
            kib(total[0]),
            kib(total[1]),
            kib(total[2])
        ),
    );
    say(&mut md, String::new());
    say(
        &mut md,
        format!(
            "First render, median of {} loads: **{:.0} ms** (p95 {:.0} ms), navigation \
             start to the sign-in button present, read as `performance.now()` by a \
             10 ms poll, in headless Chromium with an empty cache each load, from \
             `trunk serve --release` on this machine.",
            args.loads, render.median, render.p95
        ),
    );
    say(&mut md, String::new());

    // Each step in Lambda: its CPU stretched by the vCPU share a memory
    // size gets, billed by the millisecond at that size.
    let walls: Vec<f64> = [&steps.login, &steps.send, &steps.verify]
        .iter()
        .map(|s| spread(s).median)
        .collect();
    let billed_at = |step: usize, mb: f64| lambda_ms(walls[step], cpu_ms[step], mb).ceil();
    let duration_cost = |ms: f64, mb: f64| ms / 1e3 * mb / 1024.0 * price::LAMBDA_GB_SECOND;
    let template_mb: Vec<f64> = step_functions
        .iter()
        .map(|f| memory.get(*f).copied().unwrap_or(FULL_VCPU_MB))
        .collect();
    say(
        &mut md,
        "## Each step in Lambda, by memory size (ms)".into(),
    );
    say(&mut md, String::new());
    let sizes_head: String = MEMORY_CHOICES
        .iter()
        .map(|mb| format!(" {mb:.0} MB |"))
        .collect();
    say(
        &mut md,
        format!("| step | wall here | CPU here |{sizes_head} template |"),
    );
    say(
        &mut md,
        format!(
            "|---|---:|---:|{} ---: |",
            " ---: |".repeat(MEMORY_CHOICES.len())
        ),
    );
    for (i, function) in step_functions.iter().enumerate() {
        let estimates: String = MEMORY_CHOICES
            .iter()
            .map(|mb| format!(" {:.0} |", billed_at(i, *mb)))
            .collect();
        say(
            &mut md,
            format!(
                "| {function} | {:.1} | {:.1} |{estimates} {:.0} at {:.0} MB |",
                walls[i],
                cpu_ms[i],
                billed_at(i, template_mb[i]),
                template_mb[i]
            ),
        );
    }
    let costs: String = MEMORY_CHOICES
        .iter()
        .map(|mb| {
            let all: f64 = (0..3).map(|i| duration_cost(billed_at(i, *mb), *mb)).sum();
            format!(" ${:.2} |", all * 1e6)
        })
        .collect();
    let template_cost: f64 = (0..3)
        .map(|i| duration_cost(billed_at(i, template_mb[i]), template_mb[i]))
        .sum();
    say(
        &mut md,
        format!(
            "| duration cost, a million sign-ins | | |{costs} ${:.2} |",
            template_cost * 1e6
        ),
    );
    say(&mut md, String::new());
    say(
        &mut md,
        format!(
            "CPU here is the user and system time the function's process spent per \
             sign-in, read from /proc around each of the {} sign-ins, in clock ticks \
             ({:.2} ms a sign-in at this count). Lambda gives a \
             function a share of a vCPU in proportion to its memory, all of one at \
             {FULL_VCPU_MB:.0} MB; an estimate keeps the rest of the wall time as it is \
             and stretches the CPU time by that share, rounded up to the billed \
             millisecond. It assumes a Lambda arm64 vCPU does what a core here does, \
             and it counts the emulator's and the local router's time as waiting: \
             an estimate, not a measurement in AWS.",
            args.n,
            1e3 / clock_ticks() / args.n as f64
        ),
    );
    say(&mut md, String::new());

    // Cost: three invocations, three HTTP API requests, the counted units.
    let billed: f64 = (0..3).map(|i| billed_at(i, template_mb[i])).sum();
    let lambda = 3.0 * price::LAMBDA_REQUEST + template_cost;
    let api = 3.0 * price::HTTP_API_REQUEST;
    let count = |op: &str| per.get(op).copied().unwrap_or(0.0);
    // Items here are under 1 KB (writes) and 4 KB (reads, and what each
    // query returns); reads are strongly consistent (1 unit an item); an
    // item in a transaction costs 2 units. Batches and transactions are
    // priced by the items the emulator counted in them.
    let reads = count("GetItem")
        + count("Query")
        + count("BatchGetItem items")
        + 2.0 * count("TransactGetItems items");
    let writes = count("PutItem")
        + count("UpdateItem")
        + count("DeleteItem")
        + count("BatchWriteItem items")
        + 2.0 * count("TransactWriteItems items");
    let dynamo_cost = reads * price::READ_UNIT + writes * price::WRITE_UNIT;
    let million = 1e6;
    say(&mut md, "## Cost of one million 2FA sign-ins".into());
    say(&mut md, String::new());
    say(&mut md, "| item | per million |".into());
    say(&mut md, "|---|---:|".into());
    say(
        &mut md,
        format!(
            "| Lambda arm64 at the template's sizes: 3 requests, {billed:.0} ms billed | ${:.2} |",
            lambda * million
        ),
    );
    say(
        &mut md,
        format!("| HTTP API: 3 requests | ${:.2} |", api * million),
    );
    say(
        &mut md,
        format!(
            "| DynamoDB on-demand: {reads:.0} read units, {writes:.0} write units | ${:.2} |",
            dynamo_cost * million
        ),
    );
    say(
        &mut md,
        format!(
            "| **platform, all** | **${:.2}** |",
            (lambda + api + dynamo_cost) * million
        ),
    );
    say(
        &mut md,
        format!(
            "| apart: SES, one email each | ${:.2} |",
            price::EMAIL * million
        ),
    );
    say(
        &mut md,
        format!(
            "| apart: SNS, one US text each instead | ${:.2} |",
            price::SMS_US * million
        ),
    );
    say(&mut md, String::new());
    say(
        &mut md,
        format!(
            "List prices as of {} (in tests/src/bin/bench.rs). Lambda duration is each \
             step's estimate at its function's memory size in the template, from the \
             table above. Not counted: the `GET /api/auth/session` the SPA makes once when it \
             loads (one more Lambda and HTTP API request, and a session read). Left out: the free \
             tiers, CloudWatch Logs, data transfer, SMS carrier fees.",
            price::AS_OF
        ),
    );
    say(&mut md, String::new());

    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, md).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("==> bench: written to {}", args.out.display());
    Ok(())
}

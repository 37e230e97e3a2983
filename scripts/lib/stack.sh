# shellcheck shell=bash
# The local stack, started and stopped the same way by scripts/dev and
# scripts/test. Sourced after common.sh, never run.
#
#   moto     AWS emulator (DynamoDB, SES v2, SNS), one request at a time,
#            each function held to its IAM policy in infra/template.yaml
#   admin    creates the table from infra/template.yaml, the SES identity and
#            the demo accounts (runs once, then exits)
#   api      `cargo lambda watch`: every function, routed by path as the
#            [workspace.metadata.lambda.watch.router] in Cargo.toml says
#   web      `trunk serve` of frontend/, with /api/ proxied to the api
#   mailbox  prints each email and text moto has accepted
#
# Each long-running part is started in its own session, so it has its own
# process group: stopping the group also stops what it started (cargo-lambda's
# `cargo run` and the functions, trunk's cargo build). stack_stop runs from
# the callers' EXIT trap, so a failure or Ctrl-C leaves nothing behind.

# Host builds all go through the workspace's default members (everything but
# frontend): `cargo lambda watch` runs `cargo run --bin NAME` from the root,
# which resolves features over the default members, so `cargo build --bins`
# from the root compiles exactly what it will run, and no feature difference
# makes it compile the AWS SDK a second time. (`cargo build --workspace`
# would add frontend's features, and `-p NAME` drop the other members'.)
ADMIN_BIN=twofold-admin

declare -A STACK_PID=()
STACK_ORDER=()

# stack_configure NAME: NAME is "dev" or "test"; it prefixes log files
# (dev: logs/moto.log, test: logs/test-moto.log) and keeps the two stacks'
# build outputs apart. Ports come from TWOFOLD_{MOTO,API,WEB}_PORT.
stack_configure() {
    STACK_NAME="$1"
    STACK_LOG_PREFIX=""
    [ "$STACK_NAME" = dev ] || STACK_LOG_PREFIX="$STACK_NAME-"
    MOTO_URL="http://127.0.0.1:$TWOFOLD_MOTO_PORT"
    API_URL="http://127.0.0.1:$TWOFOLD_API_PORT"
    WEB_URL="http://127.0.0.1:$TWOFOLD_WEB_PORT"

    # What the functions and the admin command read. Dummy credentials: the
    # SDK insists on some, and moto accepts any.
    export AWS_ENDPOINT_URL="$MOTO_URL"
    export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
    unset AWS_SESSION_TOKEN AWS_PROFILE
    export TWOFOLD_TABLE="${TWOFOLD_TABLE:-twofold}"
    export TWOFOLD_EMAIL_FROM="${TWOFOLD_EMAIL_FROM:-no-reply@twofold.test}"
    export RUST_LOG="${RUST_LOG:-info}"
    if [ -z "${TWOFOLD_CODE_KEY:-}" ]; then
        local key_file="$TWOFOLD_RUN/code-key"
        if [ ! -s "$key_file" ]; then
            (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' \
                >"$key_file")
        fi
        TWOFOLD_CODE_KEY="$(cat "$key_file")"
    fi
    export TWOFOLD_CODE_KEY
    # The functions read the key from this SSM SecureString parameter, as in
    # AWS; local-setup writes it there from TWOFOLD_CODE_KEY.
    export TWOFOLD_CODE_KEY_PARAMETER="${TWOFOLD_CODE_KEY_PARAMETER:-/twofold/local/code-key}"
}

stack_log() { echo "$TWOFOLD_LOGS/$STACK_LOG_PREFIX$1.log"; }

# Fails unless every port of the stack is free, naming the one that is not.
stack_check_ports() {
    local var port
    for var in TWOFOLD_MOTO_PORT TWOFOLD_API_PORT TWOFOLD_WEB_PORT; do
        port="${!var}"
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            die "port $port is in use (is another scripts/dev or scripts/test running?);" \
                "set $var to use another"
        fi
    done
}

# stack_spawn PART DIR COMMAND...: starts COMMAND in DIR, in its own session
# (so its pid is also its process group), output to the part's log; the
# mailbox keeps standard output on the terminal.
stack_spawn() {
    local part="$1" dir="$2" log
    shift 2
    log="$(stack_log "$part")"
    : >"$log"
    if [ "$part" = mailbox ]; then
        (cd "$dir" && exec setsid "$@") 2>>"$log" </dev/null &
    else
        (cd "$dir" && exec setsid "$@") >>"$log" 2>&1 </dev/null &
    fi
    STACK_PID[$part]=$!
    STACK_ORDER+=("$part")
    note "$part: started, log $log"
}

stack_alive() {
    local pid="${STACK_PID[$1]:-}"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

stack_fail() {
    local part="$1" log
    shift
    log="$(stack_log "$part")"
    printf 'error: %s\n' "$*" >&2
    if [ -s "$log" ]; then
        printf -- '--- last lines of %s:\n' "$log" >&2
        tail -n 25 "$log" >&2
        printf -- '---\n' >&2
    fi
    return 1
}

# stack_wait PART URL SECONDS [--ok]: waits until URL answers, with any HTTP
# status or, given --ok, with a success.
stack_wait() {
    local part="$1" url="$2" limit="$3" start="$SECONDS" fail=()
    [ "${4:-}" = --ok ] && fail=(-f)
    until curl -s "${fail[@]}" -o /dev/null --max-time 5 "$url"; do
        if ! stack_alive "$part"; then
            stack_fail "$part" "$part stopped while starting"
            return 1
        fi
        if ((SECONDS - start > limit)); then
            stack_fail "$part" "$part did not answer at $url within ${limit}s"
            return 1
        fi
        sleep 1
    done
}

# stack_start_moto [FLAG...]: the emulator, holding each function to its
# IAM policy in the template as AWS would (scripts/template_iam.py); FLAGs go
# to scripts/moto_server.py as well.
stack_start_moto() {
    stack_spawn moto "$TWOFOLD_ROOT" "$VENV/bin/python" scripts/moto_server.py \
        --host 127.0.0.1 --port "$TWOFOLD_MOTO_PORT" --policies infra/template.yaml "$@"
    stack_wait moto "$MOTO_URL/moto-api/data.json" 60
}

# Compiles the functions and the admin command in one go, the way
# `cargo lambda watch` will (see the note at the top).
stack_build() {
    local log
    log="$(stack_log build)"
    note "cargo build --bins (the first build compiles the AWS SDK: minutes); log $log"
    if ! (cd "$TWOFOLD_ROOT" && cargo build --bins) >"$log" 2>&1; then
        stack_fail build "cargo build --bins failed"
        return 1
    fi
}

# The admin command: table (from infra/template.yaml), SES identity, demo
# accounts. Its output names the demo accounts, so it is shown as well.
stack_local_setup() {
    local log
    log="$(stack_log admin)"
    if ! (cd "$TWOFOLD_ROOT" && cargo run -q --bin "$ADMIN_BIN" -- local-setup \
        --template infra/template.yaml) 2>&1 | tee "$log"; then
        stack_fail admin "local-setup failed"
        return 1
    fi
}

# stack_start_api [--ignore-changes]: the functions behind one port. It
# inherits this shell's environment, which cargo-lambda passes through to
# every function it runs. Its watcher rebuilds on any change in the
# workspace, which is why no log of ours is written inside it.
stack_start_api() {
    stack_spawn api "$TWOFOLD_ROOT" env -u TWOFOLD_CODE_KEY "$VENV/bin/cargo-lambda" lambda watch \
        --invoke-address 127.0.0.1 --invoke-port "$TWOFOLD_API_PORT" "$@"
    stack_wait api "$API_URL/" 120
}

# One request to each route, so each function is started (and, if needed,
# linked) before anyone waits on it. The status only has to be an answer:
# these requests are deliberately empty and are refused.
stack_warm() {
    local route method path status start data
    for route in "POST /api/auth/login" "POST /api/auth/code" "POST /api/auth/verify" \
        "GET /api/auth/session" "GET /api/settings/two-factor" "GET /api/users"; do
        method="${route% *}"
        path="${route#* }"
        data=()
        [ "$method" = POST ] && data=(--data '{}')
        start="$(now)"
        status="$(curl -s -o /dev/null -w '%{http_code}' --max-time 600 -X "$method" \
            -H 'content-type: application/json' "${data[@]}" "$API_URL$path" || true)"
        note "warm $route: HTTP $status ($(elapsed "$start"))"
        case "$status" in
            000 | 5*) warn "$route answered $status; see $(stack_log api)" ;;
        esac
    done
}

# stack_start_web: trunk serve of frontend/ on this stack's port, proxying
# /api/ to this stack's functions. frontend/Trunk.toml names port 9000 in a
# [[proxy]], and trunk's --proxy-backend adds a second proxy on the same path
# (which trunk refuses) instead of replacing it, so the stack runs trunk on a
# JSON copy of Trunk.toml (trunk reads JSON too) with the proxy, the port and
# the output folder changed. The copy and the built assets live outside the
# clone, so the function watcher never sees them.
stack_start_web() {
    local dist="$TWOFOLD_RUN/$STACK_NAME-dist" config="$TWOFOLD_RUN/$STACK_NAME-Trunk.json"
    mkdir -p "$dist"
    "$VENV/bin/python" - "$TWOFOLD_ROOT/frontend" "$config" "$dist" "$API_URL/api/" \
        "$TWOFOLD_WEB_PORT" <<'PY' || return 1
import json, pathlib, sys, tomllib

frontend, out, dist, api, port = sys.argv[1:]
frontend = pathlib.Path(frontend)
config = tomllib.loads((frontend / "Trunk.toml").read_text(encoding="utf-8"))
build = config.setdefault("build", {})
# Relative paths in a config are read from the config's own folder.
build["target"] = str(frontend / build.get("target", "index.html"))
build["dist"] = dist
serve = config.setdefault("serve", {})
serve["addresses"] = ["127.0.0.1"]
serve["port"] = int(port)
proxies = [p for p in config.get("proxy", []) if not p.get("backend", "").endswith("/api/")]
config["proxy"] = proxies + [{"backend": api}]
pathlib.Path(out).write_text(json.dumps(config, indent=2), encoding="utf-8")
PY
    stack_spawn web "$TWOFOLD_ROOT/frontend" trunk serve --config "$config" \
        --offline --skip-version-check
    # The first build compiles the SPA for wasm32: minutes on a fresh cache.
    stack_wait web "$WEB_URL/" 1800 --ok
}

stack_start_mailbox() {
    stack_spawn mailbox "$TWOFOLD_ROOT" "$VENV/bin/python" scripts/mailbox.py \
        --endpoint "$MOTO_URL" --log "$(stack_log mailbox)"
}

# Stops every part, last started first: TERM to its process group, then
# KILL to whatever is left after 10 seconds.
stack_stop() {
    local i part pid deadline
    ((${#STACK_ORDER[@]})) || return 0
    for ((i = ${#STACK_ORDER[@]} - 1; i >= 0; i--)); do
        part="${STACK_ORDER[i]}"
        pid="${STACK_PID[$part]:-}"
        [ -n "$pid" ] || continue
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    deadline=$((SECONDS + 10))
    for part in "${STACK_ORDER[@]}"; do
        pid="${STACK_PID[$part]:-}"
        [ -n "$pid" ] || continue
        while kill -0 -- "-$pid" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.2
        done
        kill -KILL -- "-$pid" 2>/dev/null || true
    done
    STACK_ORDER=()
    STACK_PID=()
    say "stack stopped"
}

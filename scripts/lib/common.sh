# shellcheck shell=bash disable=SC2034 # its variables are for the scripts that source it
# Paths, pinned tool versions and small helpers shared by scripts/setup,
# scripts/dev and scripts/test. Sourced, never run.
#
# Everything that outlives one run and is not source lives outside the clone,
# under $TWOFOLD_CACHE, so a fresh clone (as in CI) reuses the compiled
# dependencies, and so `cargo lambda watch`, which rebuilds on any change in
# the workspace, never sees a log line being written.

TWOFOLD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TWOFOLD_CACHE="${TWOFOLD_CACHE:-$HOME/.cache/twofold}"
TWOFOLD_LOGS="$TWOFOLD_CACHE/logs"
TWOFOLD_RUN="$TWOFOLD_CACHE/run"
TWOFOLD_TOOLS="$TWOFOLD_CACHE/tools"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$TWOFOLD_CACHE/target}"

VENV="$TWOFOLD_ROOT/.venv"
SAM_VENV="$TWOFOLD_ROOT/.venv-sam"

# Pinned tools. wasm-bindgen-cli must equal the wasm-bindgen crate in
# Cargo.lock, so its version is read from there (see wasm_bindgen_version).
TRUNK_VERSION="0.21.14"

# cargo install puts binaries here; the npm-installed wasm-opt lives in the
# tools folder.
export PATH="$HOME/.cargo/bin:$TWOFOLD_TOOLS/node_modules/.bin:$PATH"

mkdir -p "$TWOFOLD_LOGS" "$TWOFOLD_RUN" "$TWOFOLD_TOOLS" "$CARGO_TARGET_DIR"

say() { printf '==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

# The version of the wasm-bindgen crate that Cargo.lock resolved.
wasm_bindgen_version() {
    awk '
        /^name = "wasm-bindgen"$/ { found = 1; next }
        found && /^version = / { gsub(/"/, "", $3); print $3; exit }
    ' "$TWOFOLD_ROOT/Cargo.lock"
}

# Seconds since the epoch, with a fraction, for phase timings.
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

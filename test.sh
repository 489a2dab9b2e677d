#!/usr/bin/env bash
# Runs every test: Rust unit and integration tests (real DuckDB files, real
# clickhouse-server processes, one server and two shards, a SIGKILL crash
# test), the SDK's and dashboard's unit tests and size budget, the
# end-to-end tests in headless Chromium against the real binary, on DuckDB
# and again on ClickHouse, and schemathesis against the live API.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fovea/target}"
step() { printf '\n==> %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/sbin/clickhouse-server ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "installing Debian's chromium and clickhouse-server for the tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium clickhouse-server >/dev/null
  else
    echo "the tests need Debian's chromium and clickhouse-server: sudo apt-get install chromium clickhouse-server" >&2
    exit 1
  fi
fi

# The binary embeds the dashboard, so the front ends are built first.
step "building the SDK and the dashboard"
(cd sdk && npm ci --no-audit --no-fund && npm run build)
(cd dashboard && npm ci --no-audit --no-fund && npm run build)

step "rust: format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "rust: unit and integration tests"
cargo test --workspace

step "sdk: unit tests and size budget"
(cd sdk && npm test)

step "dashboard: unit tests"
(cd dashboard && npm test)

step "end-to-end: headless Chromium against the real fovea binary"
cargo build --workspace --all-targets --quiet  # same selection as above: no second DuckDB build
(cd demo && npm ci --no-audit --no-fund)
(cd e2e && npm ci --no-audit --no-fund && FOVEA_BIN="$CARGO_TARGET_DIR/debug/fovea" node --test --test-concurrency=1)

step "schemathesis over /api/openapi.json of a live server"
if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
  else
    echo "schemathesis needs Python's venv: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi
e2e/schemathesis/run.sh "$CARGO_TARGET_DIR/debug/fovea"

step "end-to-end again, with fovea storing in ClickHouse"
(cd e2e && FOVEA_E2E_STORE=clickhouse FOVEA_BIN="$CARGO_TARGET_DIR/debug/fovea" node --test --test-concurrency=1)

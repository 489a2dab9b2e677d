#!/usr/bin/env bash
# Builds everything and starts Fovea on the embedded DuckDB store, with the
# demo site next to it. With Chromium installed, a few demo sessions are
# played right away so the dashboard has data within a minute.
#
#   FOVEA_PORT (8080), DEMO_PORT (8081), FOVEA_DATA_DIR (./data)
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fovea/target}"
PORT="${FOVEA_PORT:-8080}"
DEMO_PORT="${DEMO_PORT:-8081}"
DATA="${FOVEA_DATA_DIR:-$PWD/data}"
step() { printf '\n==> %s\n' "$*"; }

for tool in cargo node npm; do
  command -v "$tool" >/dev/null || { echo "fovea needs $tool on the PATH" >&2; exit 1; }
done

step "building the SDK, the dashboard and fovea (the first build compiles DuckDB: allow 30-45 minutes on 2 cores)"
(cd sdk && npm ci --no-audit --no-fund --silent && npm run build --silent)
(cd dashboard && npm ci --no-audit --no-fund --silent && npm run build --silent)
(cd e2e && npm ci --no-audit --no-fund --silent)
(cd demo && npm ci --no-audit --no-fund --silent)
# The same package selection as ./test.sh, so both share one DuckDB build
# (cargo picks build-script features per selection).
cargo build --workspace --all-targets

mkdir -p "$DATA"
# The demo's admin password is made once and kept with the data.
if [ ! -s "$DATA/admin-password" ]; then
  head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DATA/admin-password"
fi
cat > "$DATA/demo.toml" <<TOML
[[apps]]
id = "demo"
name = "Demo shop"
ingest_key = "demo-ingest-key"
server_key = "demo-server-key"
origins = ["http://127.0.0.1:$DEMO_PORT", "http://localhost:$DEMO_PORT"]
# The demo sessions are played by headless Chromium: kept, tagged as automated.
bots = "tag"
TOML

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

step "starting fovea on http://127.0.0.1:$PORT"
FOVEA_ADMIN_PASSWORD="$(cat "$DATA/admin-password")" "$CARGO_TARGET_DIR/debug/fovea" serve \
  --listen "127.0.0.1:$PORT" --data-dir "$DATA" --config "$DATA/demo.toml" &
pids+=($!)
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done

step "starting the demo site on http://127.0.0.1:$DEMO_PORT"
node demo/serve.mjs --port "$DEMO_PORT" --fovea "http://127.0.0.1:$PORT" --key demo-ingest-key --server-key demo-server-key &
pids+=($!)

if [ -x /usr/bin/chromium ]; then
  step "playing 12 demo sessions in headless Chromium"
  node demo/traffic.mjs --demo "http://127.0.0.1:$DEMO_PORT" --sessions 12 || echo "demo traffic failed; browse the demo yourself"
else
  echo "(no /usr/bin/chromium: open the demo site in your browser to produce data)"
fi

cat <<MSG

  Fovea dashboard   http://127.0.0.1:$PORT/   (user admin, password $(cat "$DATA/admin-password"))
  Demo site         http://127.0.0.1:$DEMO_PORT/   (every click there shows up in Fovea)
  Data              $DATA

  Ctrl-C stops both.
MSG
wait

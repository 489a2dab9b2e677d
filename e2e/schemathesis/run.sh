#!/usr/bin/env bash
# Property-based API tests with schemathesis against a live fovea.
#
#   e2e/schemathesis/run.sh path/to/fovea
#
# Starts the binary on a free loopback port with a temporary data directory
# (DuckDB store) and an admin token, creates an app and seeds it (seed.py),
# then runs schemathesis over the server's own /api/openapi.json (every
# route: intakes, probes, login, the query and admin API) with
# schemathesis.toml (the checks, ids, rules between parameters in
# hooks.py). Afterwards a fresh event must still reach the store (a
# poisoned writer or store thread answers nothing, so only this shows it),
# and the server log must hold no panic. Exits non-zero on any failure; the work
# directory (server log, JUnit and NDJSON reports) is kept then.
#
# Environment: FOVEA_ST_VENV, the virtualenv to use or create (default
# ~/.cache/fovea/schemathesis-venv); FOVEA_ST_MAX_EXAMPLES (default 50).
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
  echo "usage: $0 path/to/fovea" >&2
  exit 2
fi
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
VENV="${FOVEA_ST_VENV:-$HOME/.cache/fovea/schemathesis-venv}"
MAX_EXAMPLES="${FOVEA_ST_MAX_EXAMPLES:-50}"
step() { printf '\n==> %s\n' "$*"; }

# --- the virtualenv, with the pinned schemathesis -------------------------
if [ "$("$VENV/bin/st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  step "installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# --- the server ------------------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fovea-schemathesis.XXXXXX")"
SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 150); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
export FOVEA_ADMIN_TOKEN="st-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
step "starting $BIN on $BASE (data in $WORK/data)"
FOVEA_LOG=info "$BIN" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" \
  --writer-flush-ms 100 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  curl -sf "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "fovea exited at start" >&2; exit 1; }
  sleep 0.1
done
curl -sf "$BASE/readyz" >/dev/null || { echo "fovea is not ready after 30 s" >&2; exit 1; }

step "creating an app and seeding it"
seeded="$(python3 "$HERE/seed.py" "$BASE" "$FOVEA_ADMIN_TOKEN")"
eval "$(sed 's/^/export /' <<<"$seeded")" # FOVEA_APP, FOVEA_KEY, FOVEA_SERVER_KEY
export FOVEA_ST_DIR="$HERE"

# --- the runs --------------------------------------------------------------
failures=()

# A new app, one view, and the session must be listed within 20 s.
canary() {
  python3 - "$BASE" "$FOVEA_ADMIN_TOKEN" <<'EOF'
import json, sys, time, urllib.request, uuid
base, token = sys.argv[1], sys.argv[2]
def call(method, path, body=None, auth=True):
    h = {"Content-Type": "application/json",
         "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"}
    if auth:
        h["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, json.dumps(body).encode() if body else None, h, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")
app = call("POST", "/api/v1/apps", {"name": "canary"})
session = f"canary-{uuid.uuid4()}"
now = int(time.time() * 1000)
call("POST", f"/api/v1/intake?key={app['ingest_key']}", {"session": {"id": session}, "events": [{
    "type": "view", "event_id": str(uuid.uuid4()), "view_id": "v", "version": 1, "ts": now,
    "url": "https://canary.example/", "lcp": 100}]}, auth=False)
for _ in range(200):
    if any(s["id"] == session for s in call("GET", f"/api/v1/apps/{app['id']}/sessions")["sessions"]):
        sys.exit(0)
    time.sleep(0.1)
sys.exit("an event accepted by the intake was not stored within 20 s")
EOF
}

run_st() {
  local name="$1" schema="$2"
  shift 2
  step "schemathesis: $name"
  # In $WORK: schemathesis and hypothesis keep their caches in the current directory.
  (cd "$WORK" && "$VENV/bin/st" --config-file "$HERE/schemathesis.toml" run "$schema" "$@" \
    --max-examples "$MAX_EXAMPLES" --no-color \
    --report junit,ndjson --report-dir "$WORK/reports/$name") || failures+=("schemathesis: $name")
  step "is the server still storing events?"
  canary || failures+=("no event stored after the $name run (the writer or the store thread died: see $WORK/server.log)")
}

started=$SECONDS
run_st api "$BASE/api/openapi.json"

stop_server
if grep -q "panicked at" "$WORK/server.log"; then
  grep -A1 "panicked at" "$WORK/server.log" | grep -v '^--$' | sort | uniq -c >&2
  failures+=("the server panicked (see above and $WORK/server.log)")
fi

echo
echo "schemathesis runs took $((SECONDS - started)) s"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failures[@]}" >&2
  echo "server log and reports kept in $WORK" >&2
  exit 1
fi
rm -rf "$WORK"
echo "schemathesis: no failures"

#!/usr/bin/env bash
# The API contract: what a live server answers must be what /openapi.json says. Schemathesis, a
# schema-driven fuzzer, sends requests made from the document (valid and invalid) to
# `anshin serve` on SQLite and then on PostgreSQL, and fails on any answer that is a server error,
# has a status the operation does not list, or a body, content type or header its schema does
# not allow, and on any request the schema forbids that the server accepts.
#
# Per engine: every operation without credentials; the session operations (/v1/me…, /v1/ops…,
# /v1/merchants…)
# with a wallet's token and with an operator's (both obtained through the API, codes read from
# the dev mailbox); sign-out last, since it ends the session. Bounded by a fixed number of
# examples per operation and a fixed seed, so a run is repeatable.
#
# Needs: python3 with schemathesis (`.ci/run` installs it), PostgreSQL at $ANSHIN_TEST_PG_URL
# (ANSHIN_TEST_SKIP_POSTGRES=1 skips that half on a laptop, as for the tests; CI never sets it).
# ANSHIN_CONTRACT_EXAMPLES (examples per operation, default 40) and ANSHIN_CONTRACT_SEED change
# the bounds. About two minutes in all.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

examples="${ANSHIN_CONTRACT_EXAMPLES:-40}"
seed="${ANSHIN_CONTRACT_SEED:-20261130}"
pg_url="${ANSHIN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
checks="$checks,response_headers_conformance,negative_data_rejection"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build --quiet -p anshin --bin anshin
bin="$CARGO_TARGET_DIR/debug/anshin"

work="$(mktemp -d)"
server_pid=""
bank_pid=""
network_pid=""
ekyc_pid=""
pg_db=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  local status=$?
  stop_server
  for pid in "$bank_pid" "$network_pid" "$ekyc_pid"; do
    if [ -n "$pid" ]; then
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [ "$status" -ne 0 ] && [ -f "$work/server.log" ]; then
    echo "--- last lines of the server's log ---" >&2
    tail -n 40 "$work/server.log" | sed "s/\x1b\[[0-9;]*m//g" >&2
  fi
  if [ -n "$pg_db" ]; then
    psql "$pg_url" -qAtc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The binary on this engine's database (`engine_env`: none for SQLite in the data directory).
# Through `env`, which execs it, so a background server's pid is the server's own.
engine_env=()
anshin() {
  env "${engine_env[@]}" "$bin" "$@"
}

# The URL process $1 prints to $2 (matched by the sed script $4) once it listens; waits up to
# 60 s, and fails with its log ($3) if it exits first. $5 names it in the message.
listening_url() {
  local pid="$1" out="$2" log="$3" script="$4" what="$5" url=""
  for _ in $(seq 1 120); do
    url="$(sed -n "$script" "$out")"
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "FATAL: $what did not start" >&2; exit 1; }
    sleep 0.5
  done
  echo "FATAL: $what did not say where it listens" >&2
  exit 1
}

# The bank at the world's edge: `anshin sim bank` on a free loopback port, so bank links and
# top-ups reach a real bank over HTTP instead of answering 503 for want of one.
export ANSHIN_BANK_API_KEY="contract-bank-key-$$-0123456789"
"$bin" sim bank --listen 127.0.0.1:0 >"$work/bank.out" 2>"$work/bank.log" &
bank_pid=$!
bank_url="$(listening_url "$bank_pid" "$work/bank.out" "$work/bank.log" 's|^Bank simulator listening on \(http://[^ ]*\)$|\1|p' "the bank simulator")"

# The card network likewise: `anshin sim card-network`, so card registrations and card top-ups
# reach 3-D Secure and the network over HTTP.
export ANSHIN_CARD_NETWORK_API_KEY="contract-network-key-$$-0123456789"
"$bin" sim card-network --listen 127.0.0.1:0 >"$work/network.out" 2>"$work/network.log" &
network_pid=$!
network_url="$(listening_url "$network_pid" "$work/network.out" "$work/network.log" 's|^Card network simulator .* listening on \(http://[^ ]*\)$|\1|p' "the card network simulator")"

# The eKYC provider likewise: `anshin sim ekyc`, so identity verification submissions reach a
# provider over HTTP instead of answering 503 for want of one.
export ANSHIN_EKYC_API_KEY="contract-ekyc-key-$$-0123456789"
"$bin" sim ekyc --listen 127.0.0.1:0 >"$work/ekyc.out" 2>"$work/ekyc.log" &
ekyc_pid=$!
ekyc_url="$(listening_url "$ekyc_pid" "$work/ekyc.out" "$work/ekyc.log" 's|^eKYC provider simulator listening on \(http://[^ ]*\)$|\1|p' "the eKYC simulator")"

# Start `anshin serve` on a free loopback port; sets $base. Generous time limit for a loaded
# machine; every security control stays on.
start_server() {
  rm -rf "$work/data" "$work/server.out" "$work/server.log"
  : >"$work/server.out"
  env "${engine_env[@]}" "$bin" serve --data-dir "$work/data" --listen 127.0.0.1:0 \
    --request-timeout-secs 20 --bank-url "$bank_url" --card-network-url "$network_url" \
    --ekyc-url "$ekyc_url" >>"$work/server.out" 2>"$work/server.log" &
  server_pid=$!
  base="$(listening_url "$server_pid" "$work/server.out" "$work/server.log" 's|^Anshin is listening on \(http://[^ ]*\)/$|\1|p' "the server")"
}

fuzz() {
  local what="$1"
  shift
  echo "=== schemathesis: $what ==="
  # From the work directory, so nothing it writes lands in the checkout.
  (cd "$work" && timeout 600 python3 -m schemathesis.cli run "$base/openapi.json" \
    --checks "${fuzz_checks:-$checks}" --max-examples "$examples" --seed "$seed" --workers 1 --no-color \
    --generation-database none --request-timeout 30 "$@")
}

# The contract on one engine: `contract NAME [VAR=value…]` (the server's environment).
contract() {
  local engine="$1"
  shift
  engine_env=("$@")
  echo "### the API contract on $engine"
  start_server
  fuzz "$engine, no credentials"
  local wallet operator_password operator
  wallet="$(python3 "$root/.ci/api_sessions.py" wallet "$base")"
  operator_password="$(anshin admin create-operator --data-dir "$work/data" \
    --email contract-ops@example.jp --name "Contract Operator" | sed -n 's/^initial password (shown once): //p')"
  operator="$(python3 "$root/.ci/api_sessions.py" operator "$base" contract-ops@example.jp "$operator_password")"
  # The session operations, with a check that each refuses a missing or wrong token.
  local sessions='^/v1/(me|ops|merchants)(/|$)'
  fuzz_checks="$checks,ignored_auth" fuzz "$engine, a wallet's session" \
    -H "Authorization: Bearer $wallet" --include-path-regex "$sessions"
  fuzz_checks="$checks,ignored_auth" fuzz "$engine, an operator's session" \
    -H "Authorization: Bearer $operator" --include-path-regex "$sessions"
  for token in "$wallet" "$operator"; do
    fuzz "$engine, signing out" -H "Authorization: Bearer $token" --include-path /v1/sessions/current
  done
  stop_server
}

started=$SECONDS
contract SQLite
if [ "${ANSHIN_TEST_SKIP_POSTGRES:-}" = "1" ]; then
  echo "SKIPPING the API contract on PostgreSQL (ANSHIN_TEST_SKIP_POSTGRES=1)"
  exit 0
fi
pg_db="anshin_contract_$$"
psql "$pg_url" -qAtc "CREATE DATABASE $pg_db" >/dev/null
contract PostgreSQL DATABASE_URL="${pg_url%/*}/$pg_db"
echo "The API contract holds on SQLite and PostgreSQL ($((SECONDS - started)) s)"

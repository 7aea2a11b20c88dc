#!/usr/bin/env bash
# Whole requests over sockets: the example backend (examples/axum/backend.rs) in release, a
# token from the example auth service, then wrk on GET /ping (no authentication), GET /me
# (the AccessToken extractor) and GET /profile (the RequireAuthLayer::user layer).
#
#   scripts/wrk-axum.sh [SECONDS] [CONNECTIONS]     # 10 s, 32 connections by default
#
# Needs wrk (Debian: apt-get install wrk) and curl. Client and server share the machine, so
# compare the routes with each other, not with another machine's figures. Prints a Markdown
# table; the services are stopped on exit.
set -euo pipefail
SECONDS_EACH="${1:-10}"
CONNECTIONS="${2:-32}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }

cargo build -q --release -p jwt-config-axum --example axum_backend --example axum_auth
export AUTH_PORT="${AUTH_PORT:-3901}" BACKEND_PORT="${BACKEND_PORT:-3902}"
export BACKEND_URL="http://127.0.0.1:$BACKEND_PORT"
target/release/examples/axum_backend examples/env/development.env 2>/dev/null &
BACKEND=$!
target/release/examples/axum_auth examples/env/development.env 2>/dev/null &
AUTH=$!
trap 'kill $BACKEND $AUTH 2>/dev/null || true' EXIT

for _ in $(seq 50); do
  curl -sf "http://127.0.0.1:$BACKEND_PORT/ping" >/dev/null &&
    curl -sf "http://127.0.0.1:$AUTH_PORT/health" >/dev/null && break
  sleep 0.1
done
TOKEN="$(curl -sf -X POST "http://127.0.0.1:$AUTH_PORT/login" -H 'content-type: application/json' \
  -d '{"user":"alice"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')"
for route in me profile; do
  code="$(curl -s -o /dev/null -w '%{http_code}' -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$BACKEND_PORT/$route")"
  [ "$code" = 200 ] || { echo "/$route answered $code with the token" >&2; exit 1; }
done

echo "| route | what | requests/s | mean latency | p99 latency |"
echo "|---|---|---:|---:|---:|"
for spec in "ping|no authentication" "me|AccessToken extractor" "profile|RequireAuthLayer::user layer"; do
  route="${spec%%|*}" what="${spec#*|}"
  out="$(wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_EACH}s" --latency \
    -H "authorization: Bearer $TOKEN" "http://127.0.0.1:$BACKEND_PORT/$route")"
  rps="$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")"
  mean="$(awk '$1 == "Latency" {print $2; exit}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  if grep -q "Non-2xx" <<<"$out"; then echo "/$route: non-2xx answers" >&2; exit 1; fi
  echo "| /$route | $what | $rps | $mean | $p99 |"
done

#!/usr/bin/env bash
# The tests: `cargo test --workspace`, after installing what they need beyond the Rust
# toolchain, from Debian's packages where missing: `redis-server` (jwt-config-redis tests its
# replay guard against a real Redis that each test starts on a free loopback port) and
# `prometheus` for `promtool` (jwt-config-axum checks and unit-tests docs/alerts.yaml).
#
#   scripts/test.sh                      # cargo test --workspace
#   scripts/test.sh -p jwt-config-redis  # with arguments: cargo test ARGUMENTS
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_SERVER:-}" ]; then
    missing+=(redis-server)
fi
if ! command -v promtool >/dev/null 2>&1 && [ -z "${PROMTOOL:-}" ]; then
    missing+=(prometheus)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "test.sh: installing ${missing[*]} (Debian's packages the tests need)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "test.sh: ${missing[*]} missing and this user cannot install them (no sudo): apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$#" -eq 0 ]; then
    set -- --workspace
fi
exec cargo test "$@"

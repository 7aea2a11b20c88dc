#!/usr/bin/env bash
# The tests: `cargo test --workspace`, after installing what they need beyond the Rust
# toolchain. jwt-config-redis tests its replay guard against a real Redis that each test starts
# on a free loopback port, so `redis-server` (Debian's package) is installed where missing.
#
#   scripts/test.sh                      # cargo test --workspace
#   scripts/test.sh -p jwt-config-redis  # with arguments: cargo test ARGUMENTS
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1 && [ -z "${REDIS_SERVER:-}" ]; then
    echo "test.sh: installing redis-server (the tests of jwt-config-redis start one)" >&2
    if [ "$(id -u)" -eq 0 ]; then
        sudo=()
    elif command -v sudo >/dev/null 2>&1; then
        sudo=(sudo)
    else
        echo "test.sh: redis-server is missing and this user cannot install it (no sudo): apt-get install redis-server" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends redis-server >/dev/null
fi

if [ "$#" -eq 0 ]; then
    set -- --workspace
fi
exec cargo test "$@"

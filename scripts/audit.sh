#!/usr/bin/env bash
# `cargo audit` of Cargo.lock against a local copy of the RustSec advisory database, for
# machines that cannot fetch it (CI here has no network; that is why this is not in .ci/run).
#
#   scripts/audit.sh [ADVISORY_DB_DIR]     (or ADVISORY_DB=DIR scripts/audit.sh)
#
# Extra arguments after the directory go to `cargo audit` (e.g. `--json`). The lock file
# covers both crypto backends: an advisory of the `rsa` crate applies to `rust-crypto` builds
# only (see the README's security section).
set -euo pipefail
cd "$(dirname "$0")/.."

db=${1:-${ADVISORY_DB:-}}
[[ $# -gt 0 ]] && shift
if [[ -z $db ]]; then
    cat >&2 <<'EOF'
audit.sh: no advisory database given; nothing was audited.

Give a local copy of the RustSec advisory database as the first argument or in ADVISORY_DB.
On a machine with network access:

    git clone --depth 1 https://github.com/rustsec/advisory-db.git advisory-db
    # or run `cargo audit` once there: it clones the database into ~/.cargo/advisory-db

copy the directory here (scp, rsync, an artifact) and run:

    scripts/audit.sh path/to/advisory-db
EOF
    exit 2
fi
if [[ ! -d $db/crates ]]; then
    echo "audit.sh: $db is not a RustSec advisory database (it has no crates/ directory)" >&2
    exit 2
fi

if ! cargo audit --version >/dev/null 2>&1; then
    echo "audit.sh: installing cargo-audit (cargo install --locked cargo-audit)" >&2
    cargo install --locked cargo-audit
fi

# --no-fetch: never reach the network; the database's age is printed by cargo audit itself.
exec cargo audit --db "$db" --no-fetch "$@"

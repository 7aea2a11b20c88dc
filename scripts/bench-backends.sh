#!/usr/bin/env bash
# The README's backend table: `benches/backends.rs` run once per crypto backend, the two
# alternating for ROUNDS rounds (default 3) so that the machine's load falls on both alike;
# each cell is the median of the rounds' medians, in microseconds per call.
#
#   scripts/bench-backends.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=${1:-3}
aws_lc=(--no-default-features --features jwt,service-auth,aws-lc)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

cargo bench --bench backends --no-run
cargo bench --bench backends --no-run "${aws_lc[@]}"
for round in $(seq "$rounds"); do
    cargo bench --bench backends -q >"$out/rust-crypto.$round"
    cargo bench --bench backends -q "${aws_lc[@]}" >"$out/aws-lc.$round"
done

# One line per algorithm: the median over the rounds of the sign and verify columns.
medians() {
    cat "$out/$1".* | awk '$1 ~ /^(HS256|RS256|ES256|EdDSA)$/ { print $1, $2, $3 }' |
        sort -k1,1 -k2,2g | awk -v n="$rounds" '
            { sign[$1, ++count[$1]] = $2; verify[$1, count[$1]] = $3; order[$1] = 1 }
            END {
                for (alg in order) {
                    # sign is sorted by the pipe; sort verify here (n is small)
                    for (i = 1; i <= n; i++) v[i] = verify[alg, i]
                    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
                        if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
                    m = int((n + 1) / 2)
                    print alg, sign[alg, m], v[m]
                }
            }'
}
medians rust-crypto | sort >"$out/rc"
medians aws-lc | sort >"$out/al"

echo "| algorithm | sign, rust-crypto | sign, aws-lc | verify, rust-crypto | verify, aws-lc |"
echo "| --- | ---: | ---: | ---: | ---: |"
for alg in HS256 RS256 ES256 EdDSA; do
    read -r _ rs rv < <(grep "^$alg " "$out/rc")
    read -r _ as av < <(grep "^$alg " "$out/al")
    echo "| $alg | $rs | $as | $rv | $av |"
done

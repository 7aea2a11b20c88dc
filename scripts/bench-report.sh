#!/usr/bin/env bash
# Every speed figure of the README in one run, printed as Markdown: first the headline table
# (each figure beside its target), then each benchmark's own table. Run it on a quiet machine
# and paste its output into the README's "Speed" section with the date; any change to the
# derive, the loader, the token paths or jwt-config-axum re-runs it before it lands.
#
#   scripts/bench-report.sh            # everything (about 15 minutes on 2 cores)
#   BENCH_QUICK=1 scripts/bench-report.sh   # without the crypto backends and wrk
#
# Needs valgrind (instruction counts), crates.io (the compile-scale peers), and for the full
# run wrk and redis-server (Debian: apt-get install valgrind wrk redis-server).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }

log() { echo "bench-report: $*" >&2; }

# The ratio printed on the line of `name` in a bench's `report` output ("1.15x baseline").
ratio() { # $1 file, $2 fixed string that starts the line
  grep -F -- "$2" "$1" | head -1 | sed -E 's/.* ([0-9.]+)x baseline.*/\1/'
}
nanos() { # $1 file, $2 fixed string that starts the line
  grep -F -- "$2" "$1" | head -1 | sed -E 's/.* (-?[0-9]+) ns(\/op)?.*/\1/'
}
met() { # $1 value, $2 limit: "yes" when value <= limit
  awk -v v="$1" -v l="$2" 'BEGIN { print (v + 0 <= l + 0) ? "yes" : "**no**" }'
}

log "loader: time (cargo bench --bench load)"
cargo bench -q --bench load >"$OUT/load.txt" 2>/dev/null
load_bin="$(cargo bench --bench load --no-run 2>&1 | sed -nE 's/.*Executable .*\((.*)\)/\1/p' | tail -1)"

# Instructions per load: the difference between 2000 and 1000 loads, divided by 1000, counted
# in `repeat_case` alone (process start and the schema's one-time table left out).
instructions() { # $1 case, $2 extra variables
  local n total=()
  for n in 1000 2000; do
    total+=("$(LOAD_BENCH_EXTRA="$2" valgrind --tool=callgrind --trace-children=yes \
      --collect-atstart=no --toggle-collect='*repeat_case*' \
      --callgrind-out-file="$OUT/callgrind.%p" "$load_bin" --repeat "$1" "$n" 2>&1 |
      awk '/Collected/ { sum += $4 } END { print sum }')")
  done
  echo $(( (total[1] - total[0]) / 1000 ))
}
log "loader: instructions (callgrind)"
declare -A ins
for extra in 0 100; do
  for case in hand-written-jwt-like jwt-like hand-written from_env from_source; do
    ins[$case.$extra]="$(instructions "$case" "$extra")"
  done
done
iratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

log "compile scale (scripts/compile-scale.sh 50)"
scripts/compile-scale.sh 50 >"$OUT/compile.txt"
build() { grep -F "| $1 |" "$OUT/compile.txt" | awk -F'|' -v col="$2" '{ gsub(/ /, "", $col); print $col }'; }

log "tokens (cargo bench --bench decode, --bench service_auth)"
cargo bench -q --bench decode >"$OUT/decode.txt" 2>/dev/null
cargo bench -q --bench service_auth >"$OUT/service.txt" 2>/dev/null
log "jwt-config-axum (cargo bench -p jwt-config-axum --bench extract)"
cargo bench -q -p jwt-config-axum --bench extract >"$OUT/extract.txt" 2>/dev/null
log "audit (cargo bench -p jwt-config-cli --bench audit)"
cargo bench -q -p jwt-config-cli --bench audit >"$OUT/audit.txt" 2>/dev/null
if command -v redis-server >/dev/null; then
  log "Redis replay guard (cargo bench -p jwt-config-redis --bench guard)"
  cargo bench -q -p jwt-config-redis --bench guard >"$OUT/guard.txt" 2>/dev/null
fi
if [ -z "${BENCH_QUICK:-}" ]; then
  log "crypto backends (scripts/bench-backends.sh 1)"
  scripts/bench-backends.sh 1 >"$OUT/backends.txt" 2>/dev/null
  if command -v wrk >/dev/null; then
    log "whole requests (scripts/wrk-axum.sh 5)"
    scripts/wrk-axum.sh 5 >"$OUT/wrk.txt" 2>/dev/null
  fi
fi

t13="$(ratio "$OUT/load.txt" "derived, from_env (13 variables)")"
t113="$(ratio "$OUT/load.txt" "derived, from_env (113 variables)")"
i13="$(iratio "${ins[jwt-like.0]}" "${ins[hand-written-jwt-like.0]}")"
i113="$(iratio "${ins[jwt-like.100]}" "${ins[hand-written-jwt-like.100]}")"
ours_release="$(build ours 3)"; envconfig_release="$(build envconfig 3)"
ours_check="$(build ours 4)"; confique_check="$(build confique 4)"
release_ratio="$(iratio "$ours_release" "$envconfig_release")"
check_ratio="$(iratio "$ours_check" "$confique_check")"
sign_ratio="$(ratio "$OUT/service.txt" "service_headers_with_fingerprint")"
verify_ratio="$(ratio "$OUT/service.txt" "verify_service_call_with + drift comparison")"
extractor_ns="$(nanos "$OUT/extract.txt" "extractor overhead over decode (extractor - plain - decode)")"
extractor_us="$(awk -v a="$extractor_ns" 'BEGIN { printf "%.2f", a / 1000 }')"
by_hand_ns="$(nanos "$OUT/extract.txt" "extractor overhead over decode in a handler (extractor - by hand)")"
by_hand_us="$(awk -v a="$by_hand_ns" 'BEGIN { printf "%.2f", a / 1000 }')"

echo "Measured $(date -u +%Y-%m-%d) with \`scripts/bench-report.sh\` on $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end."
echo
echo "| figure | measured | target | met |"
echo "| --- | ---: | ---: | :---: |"
echo "| JWT-like load, \`from_env\` vs hand-written, 13 variables: time | ${t13}x | 1.2x | $(met "$t13" 1.2) |"
echo "| the same, 113 variables: time | ${t113}x | 1.2x | $(met "$t113" 1.2) |"
echo "| the same, 13 variables: instructions | ${i13}x (${ins[jwt-like.0]} / ${ins[hand-written-jwt-like.0]}) | 1.2x | $(met "$i13" 1.2) |"
echo "| the same, 113 variables: instructions | ${i113}x (${ins[jwt-like.100]} / ${ins[hand-written-jwt-like.100]}) | 1.2x | $(met "$i113" 1.2) |"
echo "| 1,000 derived fields, release build after a touch, vs envconfig | ${release_ratio}x (${ours_release} / ${envconfig_release} s) | 1.0x | $(met "$release_ratio" 1.0) |"
echo "| 1,000 derived fields, \`cargo check\` after a touch, vs confique | ${check_ratio}x (${ours_check} / ${confique_check} s) | 1.0x | $(met "$check_ratio" 1.0) |"
echo "| \`service_headers_with_fingerprint\` vs \`jsonwebtoken::encode\` of the same claims | ${sign_ratio}x | 1.1x | $(met "$sign_ratio" 1.1) |"
echo "| \`verify_service_call_with\` + drift comparison vs \`jsonwebtoken::decode\` of the same claims | ${verify_ratio}x | 1.15x | $(met "$verify_ratio" 1.15) |"
echo "| jwt-config-axum \`AccessToken\` extractor over a handler that calls \`decode\` itself | ${by_hand_us} us | 0.5 us | $(met "$by_hand_us" 0.5) |"
echo "| the same, over \`decode\` timed alone in a loop (extractor - no authentication - decode) | ${extractor_us} us | 0.5 us | $(met "$extractor_us" 0.5) |"
echo
echo "Instructions per load (callgrind, \`repeat_case\` only; 2,000 loads minus 1,000, divided by 1,000):"
echo
echo "| case (\`--repeat\` name) | 13 variables | vs hand-written | 113 variables | vs hand-written |"
echo "| --- | ---: | ---: | ---: | ---: |"
for pair in "hand-written-jwt-like hand-written-jwt-like" "jwt-like hand-written-jwt-like" "hand-written hand-written" "from_env hand-written" "from_source hand-written"; do
  set -- $pair
  echo "| \`$1\` | ${ins[$1.0]} | $(iratio "${ins[$1.0]}" "${ins[$2.0]}")x | ${ins[$1.100]} | $(iratio "${ins[$1.100]}" "${ins[$2.100]}")x |"
done
for section in "load:Loader time (\`cargo bench --bench load\`)" \
  "compile:Compile time (\`scripts/compile-scale.sh 50\`)" \
  "decode:Access tokens (\`cargo bench --bench decode\`)" \
  "service:Service tokens (\`cargo bench --bench service_auth\`)" \
  "extract:jwt-config-axum in process (\`cargo bench -p jwt-config-axum --bench extract\`)" \
  "audit:Fleet audit (\`cargo bench -p jwt-config-cli --bench audit\`)" \
  "guard:Redis replay guard on loopback, µs (\`cargo bench -p jwt-config-redis --bench guard\`)" \
  "backends:Crypto backends, µs a call (\`scripts/bench-backends.sh 1\`)" \
  "wrk:Whole requests (\`scripts/wrk-axum.sh 5\`)"; do
  file="$OUT/${section%%:*}.txt"
  [ -s "$file" ] || continue
  echo
  echo "${section#*:}:"
  echo
  if grep -q '^|' "$file"; then cat "$file"; else echo '```text'; cat "$file"; echo '```'; fi
done

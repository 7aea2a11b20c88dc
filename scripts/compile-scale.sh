#!/usr/bin/env bash
# Compile time at scale: N derived structs of 20 fields (defaults, required strings, options,
# bools, numbers) through our derive and two peers (confique, envconfig), each in its own
# crate that also calls every loader (so the loaders are compiled, not only declared). Each
# crate is built once to warm its dependencies, then its lib.rs is touched and the rebuild
# timed, in release and with `cargo check`: ROUNDS rounds (3 by default), the flavours in
# turn within each, the median of each.
#
#   scripts/compile-scale.sh [N]        # N = 50 by default: 1,000 fields
#
# Needs crates.io for the peers. Prints a Markdown table; nothing is left behind.
set -euo pipefail
N="${1:-50}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

field_kinds() { # $1 struct index, $2 field index -> "type|default-or-empty"
  case $(( $2 % 5 )) in
    0) echo "u32|$(( $2 * 10 + 1 ))" ;;
    1) echo "String|" ;;
    2) echo "Option<String>|" ;;
    3) echo "bool|false" ;;
    4) echo "u64|$(( $2 + 100 ))" ;;
  esac
}

generate() { # $1 flavour: ours | confique | envconfig
  local out="$WORK/$1/src/lib.rs"
  mkdir -p "$WORK/$1/src"
  : > "$out"
  # envconfig's derive names its trait unqualified.
  [ "$1" = envconfig ] && echo "use envconfig::Envconfig;" >> "$out"
  for s in $(seq 0 $(( N - 1 ))); do
    case "$1" in
      ours) echo "#[derive(jwt_config::Config, Debug)]" ;;
      confique) echo "#[derive(confique::Config, Debug)]" ;;
      envconfig) echo "#[derive(envconfig::Envconfig, Debug)]" ;;
    esac >> "$out"
    echo "pub struct S$s {" >> "$out"
    for f in $(seq 0 19); do
      IFS='|' read -r ty default <<< "$(field_kinds "$s" "$f")"
      name="S${s}_F${f}"
      case "$1" in
        ours) attr="env = \"$name\"${default:+, default = $default}"; echo "    #[config($attr)]" ;;
        confique) attr="env = \"$name\"${default:+, default = $default}"; echo "    #[config($attr)]" ;;
        envconfig) attr="from = \"$name\"${default:+, default = \"$default\"}"; echo "    #[envconfig($attr)]" ;;
      esac >> "$out"
      echo "    pub f$f: $ty," >> "$out"
    done
    echo "}" >> "$out"
  done
  echo "pub fn load_all() -> usize {" >> "$out"
  echo "    let mut loaded = 0;" >> "$out"
  for s in $(seq 0 $(( N - 1 ))); do
    case "$1" in
      ours) echo "    loaded += usize::from(<S$s as jwt_config::Config>::from_env().is_ok());" ;;
      confique) echo "    loaded += usize::from(<S$s as confique::Config>::builder().env().load().is_ok());" ;;
      envconfig) echo "    loaded += usize::from(<S$s as envconfig::Envconfig>::init_from_env().is_ok());" ;;
    esac >> "$out"
  done
  echo "    loaded" >> "$out"
  echo "}" >> "$out"
}

cat > "$WORK/Cargo.toml" <<TOML
[workspace]
members = ["ours", "confique", "envconfig"]
resolver = "3"
TOML
mkdir -p "$WORK/ours"
cat > "$WORK/ours/Cargo.toml" <<TOML
[package]
name = "scale-ours"
version = "0.0.0"
edition = "2024"
[dependencies]
jwt-config = { path = "$ROOT", default-features = false }
TOML
mkdir -p "$WORK/confique" "$WORK/envconfig"
cat > "$WORK/confique/Cargo.toml" <<TOML
[package]
name = "scale-confique"
version = "0.0.0"
edition = "2024"
[dependencies]
confique = { version = "0.4", default-features = false }
TOML
cat > "$WORK/envconfig/Cargo.toml" <<TOML
[package]
name = "scale-envconfig"
version = "0.0.0"
edition = "2024"
[dependencies]
envconfig = "0.11"
TOML
for flavour in ours confique envconfig; do generate "$flavour"; done

cd "$WORK"
seconds() { local start end; start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N); echo "$end - $start" | bc; }
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ROUNDS="${ROUNDS:-3}"
for flavour in ours confique envconfig; do
  cargo build --release -q -p "scale-$flavour"
  cargo check -q -p "scale-$flavour"
done
# The flavours alternate within each round, so that the machine's moments fall on all alike;
# each figure is the median of the rounds.
for round in $(seq "$ROUNDS"); do
  for flavour in ours confique envconfig; do
    touch "$flavour/src/lib.rs"
    seconds cargo build --release -p "scale-$flavour" >>"$WORK/$flavour.release"
    touch "$flavour/src/lib.rs"
    seconds cargo check -p "scale-$flavour" >>"$WORK/$flavour.check"
  done
done
echo "| derive ($N structs x 20 fields) | release build after a touch (s) | cargo check after a touch (s) |"
echo "| --- | ---: | ---: |"
for flavour in ours confique envconfig; do
  printf '| %s | %.2f | %.2f |\n' "$flavour" "$(median <"$WORK/$flavour.release")" "$(median <"$WORK/$flavour.check")"
done

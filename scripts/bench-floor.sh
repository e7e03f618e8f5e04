#!/usr/bin/env bash
# Measures `tagc build` on generated projects against a floor: the time `jq -c .` takes to read
# and rewrite the same emitted JSON. Prints, per project, the build time, the floor, their
# ratio, the time per policy, the peak memory (RSS) and its ratio to the bytes emitted; then the
# fixed part of that memory: the program alone, and the program with the built-in catalog.
#
# Needs jq and GNU time (Debian: `sudo apt-get install jq time`). Run from anywhere:
#
#   scripts/bench-floor.sh            # the default sizes
#   RUNS=5 scripts/bench-floor.sh     # best of 5 runs per measurement (default 3)
#
# The binary is built with --release and without the `aws` and `online` features, which
# `build` does not use. The projects come from benches/generator.rs (the `generate-project`
# example), the same ones `cargo bench` measures.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in jq /usr/bin/time; do
  if ! command -v "$tool" >/dev/null; then
    echo "missing $tool: install it with 'sudo apt-get install jq time'" >&2
    exit 1
  fi
done

RUNS=${RUNS:-3}
SHAPES=${SHAPES:-"policies 10, policies 100, policies 1000, wildcards 10, wildcards 100, wildcards 1000, tags 10000"}

cargo build --quiet --release --no-default-features --bin tagc --example generate-project
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
tagc="$target_dir/release/tagc"
generate="$target_dir/release/examples/generate-project"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Runs a command $RUNS times and prints "WALL CPU USER" in seconds, each the smallest of the
# runs (CPU is user + system time: on a machine shared with other work it is steadier than wall
# time; USER is the program's own work, without the kernel's: for `tagc build` the system time
# is mostly the file system creating and replacing the output's files, which on a shared disk
# varies by more than the build takes); the largest peak RSS of the runs, in KiB, goes to
# $work/rss.
best_of() {
  local wall="" cpu="" usr="" rss=0 start end w c kib
  for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    /usr/bin/time -f "%U %S %M" -o "$work/time" "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    read -r user sys kib < <(tail -1 "$work/time")
    w=$(awk -v n=$((end - start)) 'BEGIN { printf "%.3f", n / 1e9 }')
    c=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$w; fi
    if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
    if [ -z "$usr" ] || awk -v a="$user" -v b="$usr" 'BEGIN { exit !(a < b) }'; then usr=$user; fi
    if [ "$kib" -gt "$rss" ]; then rss=$kib; fi
  done
  echo "$rss" >"$work/rss"
  echo "$wall $cpu $usr"
}

echo "best of $RUNS runs; wall, CPU (user + system) and user seconds; ratio = tagc build / jq -c ."
printf '%-15s %8s %8s %8s %8s %8s %8s %6s %6s %6s %9s %8s %8s %7s\n' \
  project wall_s cpu_s user_s jq_wall jq_cpu jq_user ratio r_cpu r_user us/policy out_KiB \
  rss_KiB rss/out
IFS=',' read -ra shapes <<<"$SHAPES"
for spec in "${shapes[@]}"; do
  read -r kind n <<<"$spec"
  dir="$work/$kind-$n"
  "$generate" "$dir/src" "$kind" "$n"
  read -r wall cpu usr < <(best_of "$tagc" build "$dir/src" --out "$dir/out")
  rss=$(cat "$work/rss")
  # The floor: jq reads every emitted document and writes it back out, into one file.
  find "$dir/out" -name '*.json' ! -name manifest.json | sort >"$dir/files"
  emitted=$(xargs cat <"$dir/files" | wc -c)
  read -r jq_wall jq_cpu jq_usr < <(best_of sh -c "xargs jq -c . <'$dir/files' >'$dir/rewritten.json'")
  policies=$([ "$kind" = tags ] && echo 1 || echo "$n")
  awk -v k="$kind-$n" -v w="$wall" -v c="$cpu" -v u="$usr" -v jw="$jq_wall" -v jc="$jq_cpu" \
    -v ju="$jq_usr" -v p="$policies" -v e="$emitted" -v r="$rss" 'BEGIN {
      printf "%-15s %8.3f %8.2f %8.2f %8.3f %8.2f %8.2f %6.2f %6.2f %6.2f %9.0f %8.0f %8d %7.2f\n",
        k, w, c, u, jw, jc, ju, (jw > 0 ? w / jw : 0), (jc > 0 ? c / jc : 0), (ju > 0 ? u / ju : 0),
        w * 1e6 / p, e / 1024, r, r * 1024 / e }'
done

# The fixed cost in memory: the program alone (`--version` does not parse the catalog), and a
# build of one policy, which is the program with the built-in catalog parsed in full.
/usr/bin/time -f "%M" -o "$work/time" "$tagc" --version >/dev/null
alone=$(tail -1 "$work/time")
"$generate" "$work/one/src" policies 1
/usr/bin/time -f "%M" -o "$work/time" "$tagc" build "$work/one/src" --out "$work/one/out" >/dev/null 2>&1
one=$(tail -1 "$work/time")
echo "fixed peak RSS: program alone ${alone} KiB; program and built-in catalog (one policy) ${one} KiB"

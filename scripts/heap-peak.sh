#!/usr/bin/env bash
# What is on the heap at the peak of `tagc build` on a generated project, by the part of the
# compiler that allocated it: the catalog's records, the syntax trees, the checked project, the
# source texts, the documents and artifacts. The figures in docs/architecture.md (Memory) come
# from here.
#
# Needs heaptrack and jq (Debian: `sudo apt-get install heaptrack jq`). Uses the debug build, whose
# symbols name the allocating functions; its allocations are those of the release build.
#
#   scripts/heap-peak.sh                   # 1,000 policies with wildcard patterns
#   scripts/heap-peak.sh policies 1000     # any shape of benches/generator.rs
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in heaptrack heaptrack_print jq; do
  if ! command -v "$tool" >/dev/null; then
    echo "missing $tool: install it with 'sudo apt-get install heaptrack jq'" >&2
    exit 1
  fi
done

kind=${1:-wildcards}
n=${2:-1000}

cargo build --quiet --no-default-features --bin tagc --example generate-project
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$target_dir/debug/examples/generate-project" "$work/src" "$kind" "$n"
if ! heaptrack -o "$work/heap" "$target_dir/debug/tagc" build "$work/src" --out "$work/out" \
  >"$work/heaptrack.log" 2>&1; then
  cat "$work/heaptrack.log" >&2
  exit 1
fi
# heaptrack names its file after the compression it was built with (.zst or .gz).
heaptrack_print "$work"/heap.* --print-flamegraph "$work/peak" --flamegraph-cost-type peak |
  grep -E '^peak (heap|RSS)'

# Each line of the stacks is `frame;frame;…;frame cost`, the innermost frame last; the cost is
# the most that stack held at once (heaptrack's "peak" cost). A stack counts for the innermost
# part of tagc in it. When the parts add up to the peak heap, they were all alive at the peak.
awk '
  {
    cost = $NF
    n = split(substr($0, 1, length($0) - length(cost) - 1), frames, ";")
    part = "other (runtime, clap, allocator)"
    for (i = n; i > 0; i--) {
      f = frames[i]
      if (f ~ /check::allow::/) { part = "allow comments"; break }
      if (f ~ /catalog::/) { part = "catalog records"; break }
      if (f ~ /syntax::|Builder/) { part = "syntax trees"; break }
      if (f ~ /check::|model::/) { part = "checked project"; break }
      if (f ~ /emit::|lower::|output::|artifact::|size_report/) { part = "documents, artifacts, manifest"; break }
      if (f ~ /compile_paths|load::|decode/) { part = "source texts"; break }
    }
    held[part] += cost
    total += cost
  }
  END {
    for (p in held) printf "%6.2f MiB  %s\n", held[p] / 1048576, p
    printf "%6.2f MiB  %s\n", total / 1048576, "all of them"
  }' "$work/peak" | sort -rn

#!/usr/bin/env bash
# Instructions per call of the analysis core (callgrind: repeatable where times on a shared
# machine are not), on one ~100-character review: precise segmentation, segmentation with tags,
# and classification, each as the instructions of analysing it 1,000 times less those of only
# building the analyzer, and each as a ratio to precise segmentation (BENCHMARKS.md, "The core
# alone"). Needs valgrind.
#
#   bash bench/instructions.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "needs valgrind" >&2; exit 1; }
CALLS=${CALLS:-1000}
cargo build --release --locked --quiet --example instructions
BIN=target/release/examples/instructions
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$1" "$2" 2>&1 >/dev/null |
    awk '/refs:/ { gsub(",", "", $4); print $4 }'
}
base=$(count precise 0)
precise=0
for what in precise pos classify; do
  per_call=$((($(count "$what" "$CALLS") - base) / CALLS))
  [ "$what" = precise ] && precise=$per_call
  awk -v w="$what" -v n="$per_call" -v p="$precise" \
    'BEGIN { printf "%-9s %9d instructions a call  %.2fx precise\n", w, n, n / p }'
done

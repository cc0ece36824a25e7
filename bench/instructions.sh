#!/usr/bin/env bash
# Instructions per call of the analysis core (callgrind: repeatable where times on a shared
# machine are not), on one ~100-character review: precise segmentation, segmentation with tags,
# classification, and precise segmentation on a tenant's profile of 1,000 words of its own
# (those two on all of seeds/ at once as well),
# each as the instructions of analysing it 1,001 times less those of building its analyzer
# and analysing it once (what a first call makes once for all drops out), each as a ratio to
# precise segmentation (BENCHMARKS.md, "The core alone", "Dictionary profiles"). Needs valgrind.
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
precise=0
for what in precise pos classify tenant; do
  per_call=$((($(count "$what" "$CALLS") - $(count "$what" 0)) / CALLS))
  [ "$what" = precise ] && precise=$per_call
  awk -v w="$what" -v n="$per_call" -v p="$precise" \
    'BEGIN { printf "%-9s %9d instructions a call  %.2fx precise\n", w, n, n / p }'
done
# The default and a tenant's profile on a long text: all of seeds/ (97 KB) at once.
SEEDS=$(mktemp)
trap 'rm -f "$SEEDS"' EXIT
cat seeds/*.txt >"$SEEDS"
for what in precise tenant; do
  per_call=$((($(TEXT_FILE=$SEEDS count "$what" 3) - $(TEXT_FILE=$SEEDS count "$what" 0)) / 3))
  [ "$what" = precise ] && precise=$per_call
  awk -v w="$what" -v n="$per_call" -v p="$precise" \
    'BEGIN { printf "%-9s %9d instructions a call on seeds/  %.2fx precise\n", w, n, n / p }'
done

#!/usr/bin/env bash
# Memory and start-up of one server with 1, 2, 5 and 8 dictionary profiles (COUNTS; the default
# plus 0, 1, 4 and 7 named ones, each a copy of examples/profiles/medical), against as many
# single-profile servers. Each count is started RUNS times (default 3); the table gives the
# median VmRSS one second after the server reports SERVING, and the median time to SERVING.
# Writes target/bench/profiles.md and prints it (BENCHMARKS.md, "Dictionary profiles"). The
# one-profile row is the server's idle memory as shipped (default dictionary and models).
#
#   bash bench/profiles.sh
#   COUNTS=1 RUNS=5 SERVER=/tmp/other-build bash bench/profiles.sh   # idle RSS of another build
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-target/bench}
RUNS=${RUNS:-3}
PORT=50071
mkdir -p "$OUT"

# shellcheck source=bench/lib.sh
source bench/lib.sh


# One start with `named` named profiles: prints "rss_kb startup_ms".
measure() {
  local named=$1 dict=$work/dict-$1
  rm -rf "$dict"
  mkdir -p "$dict/profiles"
  for i in $(seq 1 "$named"); do
    cp -r examples/profiles/medical "$dict/profiles/p$i"
  done
  local start_ns rss
  start_ns=$(date +%s%N)
  "$SERVER" --addr "127.0.0.1:$PORT" --dictionary-dir "$dict" --state-dir "$work/state-$named" \
    --watch-interval-ms 0 2>>"$OUT/profiles-server.log" &
  pid=$!
  wait_serving "$PORT"
  local startup_ms=$((($(date +%s%N) - start_ns) / 1000000))
  sleep 1
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
  echo "$rss $startup_ms"
}

table=$OUT/profiles.md
{
  echo "| profiles | RSS, one server | RSS, that many one-profile servers | each profile past the first | start-up |"
  echo "|---|---|---|---|---|"
} >"$table"
single_kb=
for profiles in ${COUNTS:-1 2 5 8}; do
  named=$((profiles - 1))
  results=$(for _ in $(seq 1 "$RUNS"); do measure "$named"; done)
  rss_kb=$(awk '{print $1}' <<<"$results" | median)
  startup_ms=$(awk '{print $2}' <<<"$results" | median)
  [ -n "$single_kb" ] || single_kb=$rss_kb
  log "$profiles profiles: RSS $((rss_kb / 1024)) MB, start-up $startup_ms ms"
  each=$([ "$profiles" -gt 1 ] && echo "$(((rss_kb - single_kb) / named / 1024)) MB" || echo "-")
  echo "| $profiles | $((rss_kb / 1024)) MB | $((single_kb * profiles / 1024)) MB | $each | $startup_ms ms |" >>"$table"
done
cat "$table"

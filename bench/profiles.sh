#!/usr/bin/env bash
# Memory and start-up of one server with 1, 2, 11, 101 and 1,001 dictionary profiles (COUNTS:
# the default plus 0, 1, 10, 100 and 1,000 named ones), each named profile a tenant's user
# dictionary of WORDS (1,000) words of its own (compounds of two built-in words, no two
# profiles alike; every tenth without a frequency), against as many single-profile servers.
# Each count is started RUNS times (default 3); the table gives the median VmRSS one second
# after the server reports SERVING, and the median time from exec to SERVING. Writes
# target/bench/profiles.md and prints it (BENCHMARKS.md, "Dictionary profiles"). The
# one-profile row is the server's idle memory as shipped (default dictionary and models).
#
#   bash bench/profiles.sh
#   COUNTS=1 RUNS=5 SERVER=/tmp/other-build bash bench/profiles.sh   # idle RSS of another build
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-target/bench}
RUNS=${RUNS:-3}
WORDS=${WORDS:-1000}
PORT=50071
mkdir -p "$OUT"

# shellcheck source=bench/lib.sh
source bench/lib.sh

# A dictionary directory with `named` tenant profiles, p1 to pN, in $work/dict-N.
make_profiles() {
  local named=$1 dict=$work/dict-$1
  rm -rf "$dict"
  mkdir -p "$dict/profiles"
  LC_ALL=C awk -v named="$named" -v words="$WORDS" -v dir="$dict/profiles" '
    length($1) == 6 { two[n++] = $1 }   # two-character words (UTF-8)
    END {
      for (p = 1; p <= named; p++) {
        system("mkdir -p " dir "/p" p)
        file = dir "/p" p "/words.dict"
        for (w = 0; w < words; w++) {
          k = (p - 1) * words + w
          word = two[(k * 7919) % n] two[(k * 104729 + p) % n]
          if (w % 10 == 0) print word > file
          else print word, 10 + w % 90, "nz" > file
        }
        close(file)
      }
    }' data/jieba/dict.txt
}

# One start with the `named` profiles made before: prints "rss_kb startup_ms".
measure() {
  local named=$1 dict=$work/dict-$1
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
for profiles in ${COUNTS:-1 2 11 101 1001}; do
  named=$((profiles - 1))
  make_profiles "$named"
  results=$(for _ in $(seq 1 "$RUNS"); do measure "$named"; done)
  rss_kb=$(awk '{print $1}' <<<"$results" | median)
  startup_ms=$(awk '{print $2}' <<<"$results" | median)
  [ -n "$single_kb" ] || single_kb=$rss_kb
  log "$profiles profiles: RSS $((rss_kb / 1024)) MB, start-up $startup_ms ms"
  each=$([ "$profiles" -gt 1 ] && echo "$(((rss_kb - single_kb) / named)) kB" || echo "-")
  echo "| $profiles | $((rss_kb / 1024)) MB | $((single_kb * profiles / 1024)) MB | $each | $startup_ms ms |" >>"$table"
done
cat "$table"

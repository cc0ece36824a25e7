#!/usr/bin/env bash
# Memory and start-up of one server with 1, 2, 11, 101 and 1,001 dictionary profiles (COUNTS:
# the default plus 0, 1, 10, 100 and 1,000 named ones), each named profile a tenant's user
# dictionary of WORDS (1,000) words of its own (compounds of two built-in words, no two
# profiles alike; every tenth without a frequency), against as many single-profile servers.
# Each count is started RUNS times (default 3); the table gives the median VmRSS one second
# after the server reports SERVING, and the median time from exec to SERVING. Writes
# target/bench/profiles.md and prints it (BENCHMARKS.md, "Dictionary profiles"). The
# one-profile row is the server's idle memory as shipped (default dictionary and models).
# Then (CREATES times, default 5) two replicas share a dictionary directory, a tenant's profile
# of WORDS words is created through one (`POST /v1/admin/profiles:create`), and the script
# times the call and how long until the other replica segments with it (the median of each).
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

# One profile of $WORDS words created through the replica on port $1, in JSON (name: $3);
# prints "create_ms served_ms", the second when the replica on port $2 cuts the profile's
# first word whole (without the profile it is two words).
create_once() {
  local a=$1 b=$2 name=$3 body=$work/create.json first start_ns created_ns
  LC_ALL=C awk -v words="$WORDS" -v name="$name" -v seed="$4" '
    length($1) == 6 { two[n++] = $1 }
    END {
      printf "{\"profile\":\"%s\",\"words\":[", name
      for (w = 0; w < words; w++) {
        k = seed * words + w
        printf "%s{\"word\":\"%s%s\",\"freq\":%d,\"tag\":\"nz\"}", (w ? "," : ""),
          two[(k * 7919) % n], two[(k * 104729 + seed) % n], 10 + w % 90
      }
      print "]}"
    }' data/jieba/dict.txt >"$body"
  first=$(grep -o '"word":"[^"]*"' "$body" | head -1 | cut -d'"' -f4)
  start_ns=$(date +%s%N)
  curl -sf -H "authorization: Bearer bench-token" -d @"$body" \
    "http://127.0.0.1:$a/v1/admin/profiles:create" >/dev/null
  created_ns=$(date +%s%N)
  local deadline=$((SECONDS + 10))
  until curl -s -d "{\"text\":\"$first\",\"profile\":\"$name\"}" \
    "http://127.0.0.1:$b/v1/segment" | grep -q "\"word\":\"$first\""; do
    [ "$SECONDS" -lt "$deadline" ] || { log "port $b did not serve $name within 10 s"; exit 1; }
    sleep 0.01
  done
  echo "$(((created_ns - start_ns) / 1000000)) $((($(date +%s%N) - start_ns) / 1000000))"
}

if [ "${CREATES:-5}" -gt 0 ]; then
  shared=$work/dict-shared
  mkdir -p "$shared"
  echo bench-token >"$work/tokens"
  a=$((PORT + 1)) b=$((PORT + 2))
  "$SERVER" --addr "127.0.0.1:$a" --dictionary-dir "$shared" --state-dir "$work/state-a" \
    --admin-token-file "$work/tokens" 2>>"$OUT/profiles-server.log" &
  pid=$!
  wait_serving "$a"
  "$SERVER" --addr "127.0.0.1:$b" --dictionary-dir "$shared" --state-dir "$work/state-b" \
    --admin-token-file "$work/tokens" 2>>"$OUT/profiles-server.log" &
  other_pid=$!
  wait_serving "$b"
  results=$(for k in $(seq 1 "${CREATES:-5}"); do create_once "$a" "$b" "t$k" "$((5000 + k))"; done)
  create_ms=$(awk '{print $1}' <<<"$results" | median)
  served_ms=$(awk '{print $2}' <<<"$results" | median)
  echo "Creating a profile of $WORDS words through one replica: the call $create_ms ms, served by \
the other $served_ms ms after the call began (median of ${CREATES:-5}; the watch's default 250 ms)."
fi

#!/usr/bin/env bash
# The load benchmark, side by side in one run (see BENCHMARKS.md):
#   (a) jieba-rs in-process (textanalysis-load --in-process --answer words: `cut`), the ceiling;
#   (b) the textanalysis server;
#   (c) a Python grpcio + jieba 0.42.1 server implementing the same Segment (python_server.py).
# Servers run pinned to CPU 0 and the load client (textanalysis-load) to CPU 1, so each side has
# one core; the two-core rows unpin both. Installs what it needs (a Python venv under
# target/bench), writes target/bench/results.json, target/bench/tables.md and
# target/bench/throughput.svg, and prints the tables.
#
#   bash bench/run.sh                      # about 16 minutes with the 5-minute soak
#   BENCH_SECS=3 BENCH_SOAK_SECS=30 bash bench/run.sh   # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-target/bench}
SECS=${BENCH_SECS:-10}
SOAK_SECS=${BENCH_SOAK_SECS:-300}
OURS_PORT=50061
PY_PORT=50062
EMPTY_PORT=50063
SERVER_CPU=0
CLIENT_CPU=1
mkdir -p "$OUT"
log() { printf 'bench: %s\n' "$*" >&2; }

[ "$(nproc)" -ge 2 ] || { log "needs two CPUs (server on one, client on the other)"; exit 1; }
command -v taskset >/dev/null || { log "needs taskset (util-linux)"; exit 1; }

log "building (release)"
cargo build --release --locked --quiet --bin textanalysis --bin textanalysis-load --bin textanalysis-empty
SERVER=target/release/textanalysis
LOAD=target/release/textanalysis-load
EMPTY=target/release/textanalysis-empty

if [ ! -x "$OUT/venv/bin/python" ]; then
  log "creating the Python environment (jieba 0.42.1, grpcio, matplotlib)"
  python3 -m venv "$OUT/venv"
fi
PY=$OUT/venv/bin/python
PIP_ROOT_USER_ACTION=ignore "$PY" -m pip install --quiet --disable-pip-version-check \
  jieba==0.42.1 grpcio==1.85.1 grpcio-tools==1.85.1 matplotlib==3.11.2
"$PY" -m grpc_tools.protoc -I proto --python_out="$OUT" --grpc_python_out="$OUT" \
  proto/textanalysis/v1/textanalysis.proto
"$PY" bench/texts.py seeds "$OUT"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

wait_port() {
  for _ in $(seq 1 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  log "nothing listens on port $1"
  exit 1
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# A load run against a port: prints the client's JSON with the server's CPU time per call.
# Arguments: label, server pid, port, then textanalysis-load flags.
measure() {
  local label=$1 pid=$2 port=$3
  shift 3
  local before after json
  before=$(cpu_ticks "$pid")
  json=$($CLIENT_PIN "$LOAD" --addr "http://127.0.0.1:$port" --warmup 1 --json "$@")
  after=$(cpu_ticks "$pid")
  "$PY" - "$label" "$before" "$after" "$(getconf CLK_TCK)" "$json" <<'EOF'
import json, sys
label, before, after, hz, raw = sys.argv[1:]
r = json.loads(raw)
r["label"] = label
# The server's CPU over warm-up and measurement, per measured call: an upper bound.
calls = max(r["calls"], 1)
r["server_cpu_us_per_call"] = (int(after) - int(before)) / int(hz) * 1e6 / calls
print(json.dumps(r))
EOF
}

results=$OUT/results.jsonl
: >"$results"
: >"$OUT/server.log"
record() {
  tee -a "$results" | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
print("bench:   %s: %.0f/s, %.2f MB/s, p99 %s us, failed %s" % (
    r["label"], r.get("rps", 0), r.get("mb_per_s", 0), r.get("p99_us", "-"), r.get("failed", 0)))
' >&2
}

SHORT=$OUT/short.txt
# Short texts at each concurrency against one server: side (b, c or d), pid, port.
short_curve() {
  for c in 1 2 4 8 16 32 64; do
    measure "$1 short c$c" "$2" "$3" --texts "$SHORT" --concurrency "$c" --duration "$SECS" | record
  done
}
LONG=$OUT/long.txt
CLIENT_PIN="taskset -c $CLIENT_CPU"

log "(a) jieba-rs in-process (its long-document runs alternate with the server's, below)"
labelled() { "$PY" -c 'import json,sys; r=json.load(sys.stdin); r["label"]=sys.argv[1]; print(json.dumps(r))' "$1"; }
taskset -c $SERVER_CPU "$LOAD" --in-process --answer words --texts "$SHORT" --concurrency 1 --duration "$SECS" --json |
  labelled "a short 1 core" | record

log "(b) textanalysis, pinned to CPU $SERVER_CPU"
# Start-up and idle memory: three starts, one after the other (a single start on a shared VM
# moves by 2× with the neighbours); the report takes the median and lists all three. The
# third server stays up for the load runs.
for run in 1 2 3; do
  start_ns=$(date +%s%N)
  taskset -c $SERVER_CPU "$SERVER" --addr "127.0.0.1:$OURS_PORT" --workers 1 2>>"$OUT/server.log" &
  ours=$!
  pids+=("$ours")
  until "$SERVER" health --addr "127.0.0.1:$OURS_PORT" --timeout-secs 1 >/dev/null 2>&1; do sleep 0.01; done
  startup_ms=$((($(date +%s%N) - start_ns) / 1000000))
  sleep 1
  idle_rss=$(rss_kb "$ours")
  printf '{"label": "b startup %s", "startup_ms": %s, "idle_rss_kb": %s}\n' "$run" "$startup_ms" "$idle_rss" | record
  if [ "$run" -lt 3 ]; then
    kill "$ours"
    wait "$ours" || true
  fi
done
short_curve b "$ours" $OURS_PORT
# The long-document ratio, (b) over (a): three pairs run one after the other, so that both
# sides of a pair see the same neighbours; the report takes the median pair. (a) runs on the
# server's core while the server idles.
# The long document in each answer shape, each beside its ceiling run just before it: the full
# answer (offsets) against jieba-rs `tokenize`, the compact ones against `cut`.
for run in 1 2 3; do
  for answer in tokens words boundaries; do
    ceiling=$([ $answer = tokens ] && echo tokens || echo words)
    taskset -c $SERVER_CPU "$LOAD" --in-process --answer "$ceiling" --texts "$LONG" --whole --concurrency 1 --duration "$SECS" --json |
      labelled "a long $answer $run" | record
    measure "b long $answer $run" "$ours" $OURS_PORT --texts "$LONG" --whole --concurrency 2 --answer "$answer" --duration "$SECS" | record
  done
done
saturation=$(grep '"b short c' "$results" | "$PY" -c 'import json,sys; print(max(json.loads(l)["rps"] for l in sys.stdin))')
half=$("$PY" -c "print(round($saturation / 2))")
# The tail of an open-loop run on a shared VM moves with the neighbours' load: three runs, and
# the report takes the median (listing all three).
for run in 1 2 3; do
  measure "b short at half saturation $run" "$ours" $OURS_PORT --texts "$SHORT" --rate "$half" --concurrency 64 --duration "$SECS" | record
done
kill "$ours"
wait "$ours" || true

log "(c) Python grpcio + jieba, pinned to CPU $SERVER_CPU"
taskset -c $SERVER_CPU "$PY" bench/python_server.py --addr "127.0.0.1:$PY_PORT" --stubs "$OUT" >/dev/null &
python=$!
pids+=("$python")
wait_port $PY_PORT
short_curve c "$python" $PY_PORT
measure "c long 1 core" "$python" $PY_PORT --texts "$LONG" --whole --concurrency 2 --duration "$SECS" | record
kill "$python"
wait "$python" || true

log "(d) an empty tonic server on the same API (answers without analysing), pinned to CPU $SERVER_CPU"
taskset -c $SERVER_CPU "$EMPTY" --addr "127.0.0.1:$EMPTY_PORT" &
empty=$!
pids+=("$empty")
wait_port $EMPTY_PORT
short_curve d "$empty" $EMPTY_PORT
kill "$empty"
wait "$empty" || true

log "(b) textanalysis on both cores (the client unpinned too), for the soak"
"$SERVER" --addr "127.0.0.1:$OURS_PORT" 2>>"$OUT/server.log" &
ours=$!
pids+=("$ours")
until "$SERVER" health --addr "127.0.0.1:$OURS_PORT" --timeout-secs 1 >/dev/null 2>&1; do sleep 0.01; done

# Analyze does segmentation, keywords and classification: about three times Segment's work, so
# it runs at a third of Segment's half-saturation rate.
soak_rate=$("$PY" -c "print(round($half / 3))")
log "soak: $SOAK_SECS s of mixed calls (Analyze on short texts at $soak_rate/s, Segment on the long document at 5/s)"
rss_log=$OUT/soak-rss.txt
: >"$rss_log"
# RSS every 5 s while the load runs, from the end of the warm-up.
(sleep 6; while kill -0 "$ours" 2>/dev/null; do rss_kb "$ours" >>"$rss_log"; sleep 5; done) &
sampler=$!
pids+=("$sampler")
"$LOAD" --addr "http://127.0.0.1:$OURS_PORT" --texts "$LONG" --whole --rate 5 --concurrency 4 \
  --warmup 5 --duration "$SOAK_SECS" --json >"$OUT/soak-long.json" &
soak_long=$!
soak_json=$("$LOAD" --addr "http://127.0.0.1:$OURS_PORT" --rpc analyze --texts "$SHORT" \
  --rate "$soak_rate" --concurrency 64 --warmup 5 --duration "$SOAK_SECS" --json)
wait $soak_long
kill "$sampler"
"$PY" - "$soak_json" "$(cat "$OUT/soak-long.json")" "$rss_log" <<'EOF' | record
import json, sys
r, long = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rss = [int(l) for l in open(sys.argv[3]) if l.strip()]
r["label"] = "b soak"
r["calls"] += long["calls"]
r["failed"] += long["failed"]
r["rss_kb_min"], r["rss_kb_max"], r["rss_kb_first"], r["rss_kb_last"] = min(rss), max(rss), rss[0], rss[-1]
# After the first minute (allocator and thread pools warmed up): the range of the rest.
settled = rss[12:] or rss
r["rss_kb_settled_min"], r["rss_kb_settled_max"] = min(settled), max(settled)
r["rss_kb_settled_mean"] = sum(settled) / len(settled)
print(json.dumps(r))
EOF
kill "$ours"
wait "$ours" || true

"$PY" bench/report.py "$results" "$OUT"

#!/usr/bin/env bash
# The accurate segmenter's figures (BENCHMARKS.md, "Accurate segmenter"), in one run:
#   - word F1, out-of-vocabulary recall and tagging accuracy of the built-in model on the dev
#     lines of data/pku-1998-01 (0-based line number 9 modulo 10), and F1 on the same lines in
#     Traditional (gold-traditional.txt) sent as they are and through script AUTO;
#   - training time, and whether `train-segmenter` rebuilds models/accurate.segmenter byte for
#     byte;
#   - the server's memory before and after its first ACCURATE call (the model is made then) and
#     its start-up to SERVING;
#   - through the server, ACCURATE (with and without tags) beside PRECISE on the long document
#     (every seed as one text), the server pinned to one CPU and the load client to the other,
#     three rounds alternating, the median ratio reported.
# The in-process speed (MB/s on one core) is criterion's: `cargo bench --bench core -- accurate/`.
# Writes target/bench/accurate.md and prints it.
#
#   bash bench/accurate.sh                 # about 5 minutes
#   BENCH_SECS=3 bash bench/accurate.sh    # a quick look
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-target/bench}
SECS=${BENCH_SECS:-10}
PORT=50064
mkdir -p "$OUT"
log() { printf 'bench: %s\n' "$*" >&2; }
[ "$(nproc)" -ge 2 ] || { log "needs two CPUs (server on one, client on the other)"; exit 1; }

log "building (release)"
cargo build --release --locked --quiet --bin textanalysis --bin textanalysis-load
SERVER=target/release/textanalysis
LOAD=target/release/textanalysis-load
python3 bench/texts.py seeds "$OUT"

pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
field() { sed -n "s/^$1: .*$2 \\([0-9.]*\\).*/\\1/p"; }

log "accuracy on the dev lines"
dev=$("$SERVER" eval-segmenter --input data/pku-1998-01/gold.txt --hold-out 10)
echo "$dev" >"$OUT/accurate-dev.txt"
f1=$(field words F1 <<<"$dev")
oov=$(field "out-of-vocabulary words" recall <<<"$dev")
pos=$(field "tags on words segmented right" accuracy <<<"$dev")
trad_sent=$("$SERVER" eval-segmenter --input data/pku-1998-01/gold-traditional.txt --hold-out 10 --script simplified | field words F1)
trad_auto=$("$SERVER" eval-segmenter --input data/pku-1998-01/gold-traditional.txt --hold-out 10 --script auto | field words F1)

log "training (train-segmenter on data/pku-1998-01, every line but the dev ones)"
start_ns=$(date +%s%N)
"$SERVER" train-segmenter --input data/pku-1998-01/gold.txt --hold-out 10 \
  --output "$OUT/accurate.segmenter" 2>"$OUT/accurate-train.log"
train_s=$((($(date +%s%N) - start_ns) / 1000000000))
if cmp -s "$OUT/accurate.segmenter" models/accurate.segmenter; then
  rebuilt="yes, byte for byte"
else
  rebuilt="NO: the rebuilt model differs from models/accurate.segmenter"
fi

log "the server: start-up, memory before and after the first ACCURATE call"
start_ns=$(date +%s%N)
taskset -c 0 "$SERVER" --addr "127.0.0.1:$PORT" --workers 1 2>>"$OUT/accurate-server.log" &
pid=$!
until "$SERVER" health --addr "127.0.0.1:$PORT" --timeout-secs 1 >/dev/null 2>&1; do sleep 0.01; done
startup_ms=$((($(date +%s%N) - start_ns) / 1000000))
sleep 1
idle_kb=$(rss_kb "$pid")
taskset -c 1 "$LOAD" --addr "http://127.0.0.1:$PORT" --rpc accurate-pos --texts "$OUT/long.txt" \
  --whole --concurrency 1 --warmup 0 --duration 1 --json >/dev/null
sleep 1
loaded_kb=$(rss_kb "$pid")

log "through the server: ACCURATE beside PRECISE on the long document"
rate() {
  taskset -c 1 "$LOAD" --addr "http://127.0.0.1:$PORT" --rpc "$1" --texts "$OUT/long.txt" \
    --whole --concurrency 2 --warmup 1 --duration "$SECS" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["mb_per_s"])'
}
ratios=()
ratios_pos=()
for round in 1 2 3; do
  precise=$(rate segment)
  accurate=$(rate accurate)
  accurate_pos=$(rate accurate-pos)
  log "round $round: MB/s PRECISE $precise, ACCURATE $accurate, ACCURATE with tags $accurate_pos"
  ratios+=("$(python3 -c "print(f'{$accurate / $precise:.3f}')")")
  ratios_pos+=("$(python3 -c "print(f'{$accurate_pos / $precise:.3f}')")")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }

table=$OUT/accurate.md
cat >"$table" <<TABLE
| figure | measured |
|---|---|
| word F1, dev lines of PKU 1998-01 | $f1 |
| out-of-vocabulary recall, dev | $oov |
| tagging accuracy on words segmented right, dev | $pos |
| word F1, the dev lines in Traditional: as sent / script AUTO | $trad_sent / $trad_auto |
| training on PKU 1998-01 (17,536 sentences) | $train_s s; rebuilt: $rebuilt |
| start-up to SERVING | $startup_ms ms |
| RSS idle / after the first ACCURATE call (model made) | $((idle_kb / 1024)) MB / $((loaded_kb / 1024)) MB (+$(((loaded_kb - idle_kb) / 1024)) MB) |
| through the server, long document: ACCURATE / PRECISE (median of 3; all) | $(median "${ratios[@]}") (${ratios[*]}) |
| the same with tags | $(median "${ratios_pos[@]}") (${ratios_pos[*]}) |
TABLE
cat "$table"

#!/usr/bin/env bash
# The HTTP/JSON door against gRPC, side by side in one run: Segment of a 1 KB text (a seed
# document's first 340 characters) sent by the same load generator, h2load (Debian's
# nghttp2-client, installed if missing), as gRPC over HTTP/2, as JSON over HTTP/2 (h2c) and as
# JSON over HTTP/1.1 keep-alive. The server runs on CPU 0 (with RUST_LOG=warn, as a loaded
# service would) and h2load on CPU 1, each run sending REQUESTS calls over 8 connections with up
# to 8 calls in flight each; the three doors take turns, ROUNDS times. For each run: calls per
# second, and the server's CPU per call (utime + stime from /proc, over the calls). Prints the
# medians and the ratios to gRPC, and writes target/bench/http.md (BENCHMARKS.md, "HTTP/JSON").
#
#   bash bench/http.sh
#   ROUNDS=5 REQUESTS=100000 bash bench/http.sh
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${BENCH_OUT:-target/bench}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-60000}
PORT=50072
mkdir -p "$OUT"

# shellcheck source=bench/lib.sh
source bench/lib.sh
if ! command -v h2load >/dev/null; then
  log "installing h2load (nghttp2-client)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nghttp2-client >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nghttp2-client >/dev/null; }
fi

# The two bodies of the same request: JSON, and the gRPC message (a 5-byte prefix, then field 1,
# the text, as protobuf writes a string).
python3 - "$work" <<'PY'
import json, pathlib, sys
work = pathlib.Path(sys.argv[1])
text = pathlib.Path("seeds/000_0d2741181010ae04.txt").read_text(encoding="utf-8")[:340]
(work / "body.json").write_text(json.dumps({"text": text}, ensure_ascii=False), encoding="utf-8")
data = text.encode("utf-8")
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)
message = b"\x0a" + varint(len(data)) + data
(work / "body.grpc").write_bytes(b"\x00" + len(message).to_bytes(4, "big") + message)
print(f"bench: text of {len(text)} characters, {len(data)} bytes", file=sys.stderr)
PY

RUST_LOG=warn taskset -c 0 "$SERVER" --addr "127.0.0.1:$PORT" --watch-interval-ms 0 2>>"$OUT/http-server.log" &
pid=$!
wait_serving "$PORT"
url=http://127.0.0.1:$PORT

# Each door answers the request correctly before it is timed.
grpc_answer=$(curl -sS --http2-prior-knowledge -H 'content-type: application/grpc' -H 'te: trailers' \
  --data-binary @"$work/body.grpc" -D "$work/grpc.head" "$url/textanalysis.v1.TextAnalysis/Segment" | wc -c)
[ "$grpc_answer" -gt 1000 ] || { log "the gRPC call did not answer tokens"; exit 1; }
json_words=$(curl -sS --data-binary @"$work/body.json" "$url/v1/segment" | grep -o '"word"' | wc -l)
[ "$json_words" -gt 100 ] || { log "the JSON call did not answer tokens"; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)

# One run: prints "calls_per_second cpu_us_per_call".
run() { # door
  local args=() path
  case $1 in
    grpc) args=(-H 'content-type: application/grpc' -H 'te: trailers' -d "$work/body.grpc"); path=/textanalysis.v1.TextAnalysis/Segment ;;
    json-h2) args=(-H 'content-type: application/json' -d "$work/body.json"); path=/v1/segment ;;
    json-h1) args=(--h1 -H 'content-type: application/json' -d "$work/body.json"); path=/v1/segment ;;
  esac
  local before after out
  before=$(ticks)
  out=$(taskset -c 1 h2load -n "$REQUESTS" -c 8 -m 8 "${args[@]}" "$url$path")
  after=$(ticks)
  local ok rps
  ok=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
  [ "$ok" = "$REQUESTS" ] || { log "$1: only $ok of $REQUESTS calls succeeded"; echo "$out" >&2; exit 1; }
  grep -q "status codes: $REQUESTS 2xx" <<<"$out" || { log "$1: not every answer was 2xx"; echo "$out" >&2; exit 1; }
  rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
  awk -v rps="$rps" -v t=$((after - before)) -v hz="$hz" -v n="$REQUESTS" \
    'BEGIN {printf "%.0f %.1f\n", rps, t / hz / n * 1e6}'
}


doors=(grpc json-h2 json-h1)
for door in "${doors[@]}"; do : >"$work/$door"; done
run grpc >/dev/null # warm-up
for round in $(seq 1 "$ROUNDS"); do
  for door in "${doors[@]}"; do
    result=$(run "$door")
    log "round $round, $door: $result (calls/s, server CPU µs/call)"
    echo "$result" >>"$work/$door"
  done
done

{
  echo "| door | calls/s (median of $ROUNDS) | ratio to gRPC | server CPU µs/call | ratio to gRPC |"
  echo "|---|---|---|---|---|"
  g_rps=$(cut -d' ' -f1 "$work/grpc" | median)
  g_cpu=$(cut -d' ' -f2 "$work/grpc" | median)
  for door in "${doors[@]}"; do
    rps=$(cut -d' ' -f1 "$work/$door" | median)
    cpu=$(cut -d' ' -f2 "$work/$door" | median)
    awk -v d="$door" -v r="$rps" -v c="$cpu" -v gr="$g_rps" -v gc="$g_cpu" \
      'BEGIN {printf "| %s | %d | %.2fx | %.1f | %.2fx |\n", d, r, r / gr, c, c / gc}'
  done
} | tee "$OUT/http.md"

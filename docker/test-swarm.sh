#!/usr/bin/env bash
# End-to-end test of docker/stack.yaml on a real Docker Swarm:
#   bash docker/test-swarm.sh
# Makes a single-node swarm if the engine is not in one (and leaves it afterwards only if it
# made it), builds the image as a user does, deploys the stack under a name of its own with the
# balancer and Prometheus on free ports, and, with the retrying client loop running through the
# balancer in every phase:
#   - calls Segment through the balancer with grpcurl and, as HTTP/JSON, with curl;
#   - adds a word through the balancer and times until every replica (asked directly, from a
#     container on the stack's network) serves it;
#   - rolls the replicas (`docker service update --force`: start-first, one at a time);
#   - kills one replica with SIGKILL (the swarm replaces it);
#   - scales from 3 to 5 replicas, checking through Prometheus that each one answers calls;
#   - creates a tenant's profile through the balancer, checking through Prometheus that all 5
#     serve it and report one profiles_version.
# Every phase must end with 0 failed calls. The stack, its volumes and the image tag are removed
# at the end, also on failure. The last line gives the figures.
#
# Environment: GRPCURL, TEXTANALYSIS_LOAD (as docker/test.sh). Helpers: docker/lib.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

test_name=swarm-test
# shellcheck source=docker/lib.sh
source docker/lib.sh

stack=tatest$$
service=${stack}_textanalysis
new_run
image=textanalysis:swarm-$$
export TEXTANALYSIS_IMAGE=$image TEXTANALYSIS_PORT=$port PROMETHEUS_PORT=$prometheus_port \
  TEXTANALYSIS_ADMIN_TOKEN_SECRET=$work/admin-token
made_swarm=0

stack_containers() { docker ps -aq --filter "label=com.docker.stack.namespace=$stack"; }
cleanup() {
  local status=$?
  if [ $status -ne 0 ]; then
    log "state of the stack:"
    docker stack ps --no-trunc "$stack" >&2 2>&1 || true
    log "logs of the replicas and the balancer (last lines):"
    docker service logs --tail 20 "$service" >&2 2>&1 || true
    docker service logs --tail 20 "${stack}_balancer" >&2 2>&1 || true
  fi
  docker rm -f "$stack-probe" >/dev/null 2>&1 || true
  docker stack rm "$stack" >/dev/null 2>&1 || true
  # The volumes and the network go once the stack's containers are gone (within 60 s).
  local deadline=$(($(date +%s) + 60))
  while [ -n "$(stack_containers)" ] && [ "$(date +%s)" -lt "$deadline" ]; do sleep 1; done
  docker volume rm "${stack}_dictionary" "${stack}_prometheus" >/dev/null 2>&1 || true
  docker image rm "$image" >/dev/null 2>&1 || true
  if [ "$made_swarm" = 1 ]; then
    docker swarm leave --force >/dev/null 2>&1 || true
    # The bridge that `swarm init` made goes with the swarm.
    docker network rm docker_gwbridge >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

find_tools
started=$(date +%s)
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" != active ]; then
  log "docker swarm init (a single-node swarm, left at the end)"
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  made_swarm=1
fi
build_image "$image"

log "docker stack deploy $stack (3 replicas, HAProxy on port $port, Prometheus on $prometheus_port)"
docker stack deploy --resolve-image never -c docker/stack.yaml "$stack" >/dev/null

healthy_replicas() {
  docker ps -q --filter "label=com.docker.swarm.service.name=$service" --filter health=healthy | wc -l
}
wait_healthy 3
log "3 replicas healthy after $(($(date +%s) - started)) s since the start of the test"
expect "Segment" '"word": "北京大学"' "$(call "$balancer" Segment '{"text": "我来到北京清华大学和北京大学"}')"
expect "curl /v1/segment" '"word":"北京大学"' \
  "$(curl -fsS --max-time 10 -d '{"text":"我来到北京清华大学和北京大学"}' "http://$balancer/v1/segment")"
wait_prometheus "every replica up" 'count(up{job="textanalysis"} == 1)' 3

# A word edit through the balancer. A probe on the stack's network asks every replica directly
# until all serve the word, and prints when they did.
word=云原生数据湖
text="${word}正在改变数据分析"
grpcurl_binary=$(command -v "$GRPCURL")
docker run -d --name "$stack-probe" --network "${stack}_default" \
  -v "$(realpath "$grpcurl_binary"):/usr/local/bin/grpcurl:ro" "${RUNTIME_IMAGE:-debian:bookworm-slim}" \
  sh -c '
    deadline=$(($(date +%s) + 60))
    while [ "$(date +%s)" -lt "$deadline" ]; do
      n=0; serving=0
      for ip in $(getent ahostsv4 textanalysis | cut -d " " -f 1 | sort -u); do
        n=$((n + 1))
        grpcurl -plaintext -max-time 2 -d "{\"text\": \"$2\"}" "$ip:50051" \
          textanalysis.v1.TextAnalysis/Segment 2>/dev/null | grep -q "\"word\": \"$1\"" &&
          serving=$((serving + 1))
      done
      if [ "$n" -gt 0 ] && [ "$serving" -eq "$n" ]; then date +%s.%N; echo "$n"; exit 0; fi
      sleep 0.1
    done
    exit 1' probe "$word" "$text" >/dev/null
edit() {
  add_word "$word" "$token"
  edit_done=$(date +%s.%N)
  [ "$(docker wait "$stack-probe")" = 0 ] || fail "not every replica served $word within 60 s"
}
load_during "$work/edit.json" edit
probed=$(docker logs "$stack-probe")
converged=$(awk -v a="$edit_done" -v b="$(echo "$probed" | head -n 1)" 'BEGIN { printf "%.2f", b - a }')
finish_phase edit "$work/edit.json" "all $(echo "$probed" | tail -n 1) replicas served the word ${converged}s after AddWords returned"

update() {
  local update_started
  update_started=$(date +%s.%N)
  docker service update --force --quiet "$service" >/dev/null
  update_secs=$(seconds_since "$update_started")
}
load_during "$work/update.json" update
finish_phase "rolling update" "$work/update.json" "the update took ${update_secs}s"
wait_healthy 3

kill_one() {
  local victim
  victim=$(docker ps -q --filter "label=com.docker.swarm.service.name=$service" | head -n 1)
  kill -KILL "$(docker inspect -f '{{.State.Pid}}' "$victim")"
  wait_healthy 3
}
load_during "$work/kill.json" kill_one
finish_phase kill "$work/kill.json" "the swarm replaced the replica"

scale() {
  docker service scale --detach=false "$service=5" >/dev/null
  wait_healthy 5
  # Calls for the new replicas: the balancer finds them by DNS within seconds.
  sleep 6
}
load_during "$work/scale.json" scale
finish_phase scale "$work/scale.json"
wait_prometheus "5 replicas up" 'count(up{job="textanalysis"} == 1)' 5
wait_prometheus "every replica answered calls" \
  'count(textanalysis_calls_total{method="Analyze",code="Ok"} > 0)' 5
wait_prometheus "one content version across 5" \
  'count(count by (content_version) (textanalysis_serving_info))' 1

# A tenant's profile created through the balancer: all 5 replicas serve it, and the same set
# of profiles (one profiles_version across them).
"$GRPCURL" -plaintext -max-time 10 -H "authorization: Bearer $token" \
  -d '{"profile": "acme", "words": [{"word": "数据湖仓一体", "tag": "nz"}]}' \
  "$balancer" textanalysis.v1.Admin/CreateProfile >/dev/null || fail "CreateProfile through the balancer"
wait_prometheus "all 5 serve the new profile" 'count(textanalysis_dictionary_profiles == 2)' 5
wait_prometheus "one set of profiles across 5" \
  'count(count by (profiles_version) (textanalysis_dictionary_profiles_info))' 1

echo "swarm-test: passed in $(($(date +%s) - started)) s: $calls_total calls, $failed_total failed (${phases[*]}); edit served everywhere in ${converged}s; rolling update ${update_secs}s"

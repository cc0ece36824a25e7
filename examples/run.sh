#!/usr/bin/env bash
# Runs the client examples against a real server, as CI does:
#   bash examples/run.sh
# Builds the server and `cargo run --example client`, starts the server on a free port of
# 127.0.0.1, waits for it to be SERVING, runs the Rust client and the Python client (its stubs
# generated from proto/ with grpcio-tools in a venv under target/examples/), and stops the
# server. Exits non-zero if either client fails.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'examples: %s\n' "$*" >&2; }
out=target/examples
mkdir -p "$out"

cargo build --locked --quiet --bin textanalysis --example client
bin=${CARGO_TARGET_DIR:-target}/debug
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin"/textanalysis --addr "127.0.0.1:$port" --log-format json 2>"$out/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

deadline=$((SECONDS + 60))
until "$bin"/textanalysis health --addr "127.0.0.1:$port" --timeout-secs 1 2>/dev/null; do
  kill -0 "$server" 2>/dev/null || { cat "$out/server.log" >&2; log "the server exited"; exit 1; }
  [ "$SECONDS" -lt "$deadline" ] || { log "the server was not SERVING within 60 s"; exit 1; }
  sleep 0.2
done

passed=0
log "Rust client (cargo run --example client)"
"$bin"/examples/client "http://127.0.0.1:$port"
passed=$((passed + 1))

log "Python client (examples/python/client.py)"
if [ ! -x "$out/venv/bin/python" ]; then
  python3 -m venv "$out/venv"
fi
PIP_ROOT_USER_ACTION=ignore "$out/venv/bin/python" -m pip install --quiet \
  --disable-pip-version-check -r examples/python/requirements.txt
mkdir -p "$out/python"
"$out/venv/bin/python" -m grpc_tools.protoc -I proto --python_out="$out/python" \
  --grpc_python_out="$out/python" proto/textanalysis/v1/textanalysis.proto
PYTHONPATH="$out/python" "$out/venv/bin/python" examples/python/client.py "127.0.0.1:$port"
passed=$((passed + 1))

echo "examples: $passed passed, 0 failed"

# Shared by the bench scripts that start the server themselves (source it from the repository's
# root): `log`, `median`, the server binary in $SERVER (built in release unless given), a
# scratch directory $work, and $pid, the server started last (and $other_pid, a second one),
# stopped on exit.
log() { printf 'bench: %s\n' "$*" >&2; }
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

if [ -z "${SERVER:-}" ]; then
  log "building (release)"
  cargo build --release --locked --quiet --bin textanalysis
  SERVER=target/release/textanalysis
fi

work=$(mktemp -d)
pid=
other_pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  [ -n "$other_pid" ] && kill "$other_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Waits (up to 60 s) until the server on 127.0.0.1:$1 is SERVING.
wait_serving() {
  local deadline=$((SECONDS + 60))
  until "$SERVER" health --addr "127.0.0.1:$1" --timeout-secs 1 >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || { log "no SERVING within 60 s"; exit 1; }
    sleep 0.01
  done
}

#!/usr/bin/env bash
# Fuzzes the service with libFuzzer for a bounded time per target, and prints each target's
# figures (runs and seconds):
#   requests  any bytes decoded as a TextAnalysis request, through the real service;
#   admin     any bytes decoded as an Admin request (Reload, AddWords, RemoveWords);
#   json      any bytes as each HTTP/JSON route's body and answer, through the JSON door's codec.
#
#   bash fuzz/run.sh                       # 120 s a target
#   FUZZ_SECS=60 FUZZ_TARGETS=requests bash fuzz/run.sh
#
# Needs the nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz, which it installs
# from crates.io if missing. It fails (exit 1) when a target does not build, crashes, or ends
# without libFuzzer's run summary; a crash leaves its input in fuzz/artifacts/TARGET/.
set -uo pipefail
cd "$(dirname "$0")"
SECS=${FUZZ_SECS:-120}
TARGETS=${FUZZ_TARGETS:-requests admin json}
fail() { echo "fuzz: FAILED: $*"; exit 1; }

rustup toolchain list 2>/dev/null | grep -q '^nightly' || fail "no nightly toolchain (rustup toolchain list)"
if ! command -v cargo-fuzz >/dev/null; then
  cargo install cargo-fuzz --locked --version 0.13.1 --quiet || fail "cannot install cargo-fuzz"
fi

# Seeds: a well-formed request of each kind (the first byte picks the call), so the fuzzer
# starts from messages the service accepts.
mkdir -p corpus/requests corpus/admin corpus/json
printf '\x00\x0a\x1b\xe6\x88\x91\xe6\x9d\xa5\xe5\x88\xb0\xe5\x8c\x97\xe4\xba\xac\xe6\xb8\x85\xe5\x8d\x8e\xe5\xa4\xa7\xe5\xad\xa6\x20\x01' >corpus/requests/segment
printf '\x00\x0a\x09\xe6\xb1\x9f\xe6\xb3\xbd\xe6\xb0\x91\x10\x03\x20\x01' >corpus/requests/accurate
printf '\x01\x0a\x0c\xe4\xba\xba\xe5\xb7\xa5\xe6\x99\xba\xe8\x83\xbd\x10\x01\x18\x05' >corpus/requests/keywords
printf '\x02\x0a\x09\xe5\xbe\x88\xe5\xa5\xbd\xe5\x90\x83\x12\x00\x1a\x00\x22\x00' >corpus/requests/analyze
printf '\x00\x12\x0b\x0a\x09\xe4\xba\x91\xe5\x8e\x9f\xe7\x94\x9f' >corpus/admin/add
printf '\x01\x12\x09\xe4\xba\x91\xe5\x8e\x9f\xe7\x94\x9f' >corpus/admin/remove
printf '\x02' >corpus/admin/reload
printf '\x00{"text":"\xe6\x88\x91\xe6\x9d\xa5\xe5\x88\xb0","mode":"ACCURATE","withPos":true}' >corpus/json/segment
printf '\x03{"documents":[{"id":"a","text":"\xe5\xa5\xbd","segment":{}}]}' >corpus/json/batch
printf '\x08{"words":[{"word":"\xe4\xba\x91","freq":"3","tag":"n"}]}' >corpus/json/add

status=0
for target in $TARGETS; do
  log=$(mktemp)
  cargo +nightly fuzz run "$target" "corpus/$target" -- -max_total_time="$SECS" -max_len=4096 \
    >"$log" 2>&1
  code=$?
  grep -E '^#[0-9]+.*(pulse|DONE)|ERROR|panicked|SUMMARY|^error' "$log" | tail -n 20
  summary=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -n 1)
  if grep -q -E 'ERROR: libFuzzer|panicked|SUMMARY: ' "$log"; then
    echo "fuzz: $target: CRASH (${summary:-no summary}): see fuzz/artifacts/$target/"
    status=1
  elif [ "$code" -ne 0 ] || [ -z "$summary" ]; then
    tail -n 30 "$log"
    echo "fuzz: $target: FAILED: cargo fuzz exited $code without a run summary (did it build?)"
    status=1
  else
    echo "fuzz: $target: $summary; no crash"
  fi
  rm -f "$log"
done
exit $status

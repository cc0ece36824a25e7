#!/usr/bin/env bash
# Fuzzes request decoding and the whole service (validation, analysis, conversion) for a
# bounded time, and prints the figures: executions, time, and whether anything was found.
#   bash fuzz/run.sh            # 120 s
#   FUZZ_SECS=600 bash fuzz/run.sh
# Needs a nightly toolchain (libFuzzer's instrumentation) and cargo-fuzz, which it installs
# from crates.io if missing. A crash leaves its input in fuzz/artifacts/requests/.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${FUZZ_SECS:-120}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
mkdir -p corpus/requests
# Seeds: a request of each kind, so the fuzzer starts from well-formed messages.
printf '\x00\x0a\x1b\xe6\x88\x91\xe6\x9d\xa5\xe5\x88\xb0\xe5\x8c\x97\xe4\xba\xac\xe6\xb8\x85\xe5\x8d\x8e\xe5\xa4\xa7\xe5\xad\xa6\x20\x01' >corpus/requests/segment
printf '\x01\x0a\x0c\xe4\xba\xba\xe5\xb7\xa5\xe6\x99\xba\xe8\x83\xbd\x10\x01\x18\x05' >corpus/requests/keywords
printf '\x02\x0a\x09\xe5\xbe\x88\xe5\xa5\xbd\xe5\x90\x83\x12\x00\x1a\x00\x22\x00' >corpus/requests/analyze
log=$(mktemp)
status=0
cargo +nightly fuzz run requests corpus/requests -- -max_total_time="$SECS" -max_len=4096 2>&1 | tee "$log" | grep -E '^#[0-9]+.*(pulse|DONE)|ERROR|panicked|SUMMARY' || true
if grep -q -E 'ERROR: libFuzzer|panicked|SUMMARY: ' "$log"; then status=1; fi
runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' "$log" | tail -n 1)
echo "fuzz: ${runs:-no summary}; $( [ $status -eq 0 ] && echo 'no crash' || echo 'CRASH: see fuzz/artifacts/requests/' )"
exit $status

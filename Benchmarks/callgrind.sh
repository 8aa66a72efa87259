#!/usr/bin/env bash
# Instructions per codec operation, counted by valgrind's callgrind (deterministic: no timing involved).
# Usage: callgrind.sh <path to codec-op> [--payload NAME] [operation …]   (default: 31B-ascii, every operation)
# → one JSON object on stdout.
# Each operation runs twice, N1 and N2 times; (I(N2) − I(N1)) / (N2 − N1) cancels process start-up, the sample
# checks in CodecBench.init and one-time lazy work. SWIFT_DETERMINISTIC_HASHING=1 fixes the hash seed, so
# Foundation's dictionary-ordered work repeats exactly.
set -euo pipefail
bin="$1"
shift
payload=31B-ascii
if [ "${1:-}" = "--payload" ]; then
    payload="$2"
    shift 2
fi
operations=("$@")
if [ ${#operations[@]} -eq 0 ]; then
    operations=(pb-hand-encode pb-hand-encode-new-array pb-hand-decode pb-swift-protobuf-encode
        pb-swift-protobuf-decode json-hand-encode json-hand-decode json-foundation-encode json-foundation-decode)
fi
n1=200
n2=1200
count() {
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" "$payload" 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '{"payload": "%s", "iterations": [%d, %d], "instructions_per_op": {' "$payload" "$n1" "$n2"
separator=""
for operation in "${operations[@]}"; do
    low=$(count "$operation" "$n1")
    high=$(count "$operation" "$n2")
    [ -n "$low" ] && [ -n "$high" ] || { echo "callgrind.sh: no count for $operation" >&2; exit 1; }
    printf '%s"%s": %s' "$separator" "$operation" "$(( (high - low) / (n2 - n1) ))"
    separator=", "
done
printf '}}\n'

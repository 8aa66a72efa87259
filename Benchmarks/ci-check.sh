#!/usr/bin/env bash
# The deterministic benchmark gates of issue 9, for CI: byte counts (B2), malloc counts (B1a) and callgrind
# instruction ratios (B1). No wall-clock figure is asserted anywhere (this machine's timings swing up to 3×).
#
# The bounds are regression gates set from the measured values (BENCHMARKS.md), not the issue's targets where a
# target is missed; each line says which. Tighten a bound when the code gets better.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
export CHAT_PROTOCOL_ONLY=1  # the root package without its server dependencies: only ChatProtocol is needed here

if ! command -v valgrind >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind
fi

echo "== build codec-bench and codec-op (release)"
swift build -c release --product codec-bench
swift build -c release --product codec-op
bin="$(swift build -c release --show-bin-path)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== B2 frame sizes"
"$bin/codec-bench" sizes >"$work/sizes.json"
echo "== B1a malloc counts (malloc-interposer preloaded)"
LD_PRELOAD="$bin/libMallocInterposerSwift.so" "$bin/codec-bench" mallocs >"$work/mallocs.json"
echo "== B1 callgrind instruction counts"
start=$(date +%s)
"$here/callgrind.sh" "$bin/codec-op" >"$work/callgrind.json"
echo "callgrind took $(($(date +%s) - start)) s"

python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
load = lambda name: json.load(open(os.path.join(work, name)))
frames = load("sizes.json")["frames"]
mallocs = {k: v["mallocs_per_op"] for k, v in load("mallocs.json")["operations"].items()}
instructions = load("callgrind.json")["instructions_per_op"]

def wire_ratio(name):
    return frames[name]["wire_bytes"] / frames["v1-json"]["wire_bytes"]

def instruction_ratio(baseline, hand):
    return instructions[baseline] / instructions[hand]

# (what, measured, comparison, bound, note)
checks = [
    ("B2 v2 protobuf push to the peer and to the acked sender (no client_msg_id) / v1 JSON, wire bytes",
     wire_ratio("v2-protobuf-no-client-msg-id"), "<=", 0.45, "issue target"),
    ("B2 v2 protobuf push to the author's other connections (UUID client_msg_id) / v1 JSON, wire bytes",
     wire_ratio("v2-protobuf"), "<=", 0.70, "regression gate; only the author's other connections get the key"),
    ("B1a pb-hand-encode mallocs/op (reused buffer)", mallocs["pb-hand-encode"], "<=", 0, "issue target"),
    ("B1a pb-hand-encode-new-array mallocs/op", mallocs["pb-hand-encode-new-array"], "<=", 1, "the result array"),
    ("B1a pb-hand-decode mallocs/op", mallocs["pb-hand-decode"], "<=", 2,
     "informational; one per string > 15 bytes: text and client_msg_id"),
    ("B1a pb-hand-decode of the peer's and the acked sender's push (no client_msg_id) mallocs/op",
     load("mallocs.json")["pb-hand-decode-peer-push"]["mallocs_per_op"], "<=", 1, "issue target (the text)"),
    ("B1a json-hand-encode mallocs/op", mallocs["json-hand-encode"], "<=", 1, "the result array"),
    ("B1a json-hand-decode mallocs/op", mallocs["json-hand-decode"], "<=", 1, "issue target (the payload)"),
    ("B1 instructions swift-protobuf / hand, encode", instruction_ratio("pb-swift-protobuf-encode", "pb-hand-encode"),
     ">=", 2.0, "issue target; measured 2.35"),
    ("B1 instructions swift-protobuf / hand, encode into a new array",
     instruction_ratio("pb-swift-protobuf-encode", "pb-hand-encode-new-array"), ">=", 1.75,
     "regression gate; measured 2.01, target 2"),
    ("B1 instructions swift-protobuf / hand, decode", instruction_ratio("pb-swift-protobuf-decode", "pb-hand-decode"),
     ">=", 2.0, "regression gate; measured 2.19, target 1.3"),
    ("B1 instructions Foundation / hand JSON, encode",
     instruction_ratio("json-foundation-encode", "json-hand-encode"), ">=", 8.0, "issue target; measured 9.9"),
    ("B1 instructions Foundation / hand JSON, decode",
     instruction_ratio("json-foundation-decode", "json-hand-decode"), ">=", 22.0,
     "regression gate above the issue target 20; measured 24.4"),
    ("B1 instructions per op, hand JSON decode", instructions["json-hand-decode"], "<=", 1900,
     "regression gate; measured 1,727 (20x Foundation is about 2,100)"),
    ("B1 instructions per op, hand protobuf decode", instructions["pb-hand-decode"], "<=", 3750,
     "regression gate; measured 3,451"),
]
passed = failed = 0
for what, value, op, bound, note in checks:
    ok = value <= bound if op == "<=" else value >= bound
    passed += ok
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {value:.3f} {op} {bound} ({note})")
print(f"benchmark gates: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY

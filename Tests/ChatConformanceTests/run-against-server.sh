#!/usr/bin/env bash
# Runs chat-conformance against a freshly started reference server (chat-server) on a free port, with a temporary
# data directory and the small limits the limit scenarios need, then stops the server. The reference server claims
# the upstream-defect fixes of PROTOCOL.md, so the run is --strict; its known gaps are skipped through
# conformance-skip.txt next to this script.
#
# Usage: Tests/ChatConformanceTests/run-against-server.sh [v1|v2] [output-dir]
# Writes <output-dir>/conformance-<profile>.json and .xml (default .build/conformance); exits non-zero on a failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
profile="${1:-v1}"
out="${2:-$root/.build/conformance}"

cd "$root"
swift build --product chat-server >/dev/null
swift build --product chat-conformance >/dev/null
bin="$(swift build --show-bin-path)"
data="$(mktemp -d)"
secret="conformance-secret-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
limits=(--max-messages-per-channel 20 --history-page-size 4 --max-upload-size 4096 --upload-burst 5 --upload-rate 5
    --ping-interval 2
    --match-confirm-timeout 3 --match-wait-timeout 8 --max-sends-per-second 10)
"$bin/chat-server" --port "$port" --data-dir "$data" --jwt-secret "$secret" --log-level error "${limits[@]}" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

mkdir -p "$out"
"$bin/chat-conformance" --server "http://127.0.0.1:$port" --profile "$profile" --jwt-secret "$secret" \
    --message-cap 20 --history-page-size 4 --max-upload-size 4096 --upload-burst 5 --ping-interval 2 \
    --skip-list "$here/conformance-skip.txt" --strict \
    --json "$out/conformance-$profile.json" --junit "$out/conformance-$profile.xml"

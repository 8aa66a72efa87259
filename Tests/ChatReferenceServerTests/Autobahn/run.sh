#!/usr/bin/env bash
# Autobahn (kosoku) against the reference server's websocket stack: cases 1-7, 10 and 9 (limits) on the
# loopback-only echo route of `chat-server --conformance-echo true`, which runs the same websocket configuration
# as /api/chat (UTF-8 validation on, auto-ping, close echo). Passes when no case is FAILED or UNIMPLEMENTED and
# every NON-STRICT/INFORMATIONAL case is listed in autobahn-allowlist.json.
#
# Needs: pip install kosoku==0.1.0
# Usage: Tests/ChatReferenceServerTests/Autobahn/run.sh [output-dir]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$root/.build/autobahn}"
command -v kosoku >/dev/null || { echo "kosoku not found: pip install kosoku==0.1.0" >&2; exit 2; }

cd "$root"
swift build --product chat-server
bin="$(swift build --show-bin-path)/chat-server"
data="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" --port "$port" --data-dir "$data" --conformance-echo true --log-level error &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done

rm -rf "$out" && mkdir -p "$out"
kosoku -x '9.*' -x '11.*' -x '12.*' -x '13.*' -o "$out/core" "127.0.0.1:$port" >/dev/null
kosoku -i '9.*' -o "$out/limits" "127.0.0.1:$port" >/dev/null

python3 - "$here/autobahn-allowlist.json" "$out/core/index.json" "$out/limits/index.json" <<'PY'
import json, sys
allow = {k: v for k, v in json.load(open(sys.argv[1])).items() if not k.startswith("_")}
bad, counts = [], {}
for path in sys.argv[2:]:
    for agent, cases in json.load(open(path)).items():
        for case, result in cases.items():
            behavior = result["behavior"]
            counts[behavior] = counts.get(behavior, 0) + 1
            close = result.get("behaviorClose", "OK")
            if behavior in ("FAILED", "UNIMPLEMENTED") or close in ("FAILED", "UNIMPLEMENTED"):
                bad.append(f"{case}: {behavior}/{close}")
            elif (behavior != "OK" or close not in ("OK", "INFORMATIONAL")) and case not in allow:
                bad.append(f"{case}: {behavior}/{close} is not in the allow-list")
print("autobahn:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
if bad:
    print("autobahn: not conformant:\n  " + "\n  ".join(bad))
    sys.exit(1)
print("autobahn: 0 FAILED; every NON-STRICT/INFORMATIONAL case is allow-listed")
PY

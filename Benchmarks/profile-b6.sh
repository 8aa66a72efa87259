#!/usr/bin/env bash
# A cheap profile of B6: perf (software cpu-clock event, user space, call graphs) on a release chat-server while
# server-bench signs up 2N guests and matches N pairs. Build first (server.sh does). Writes
# results/latest/server-b6-profile-<protocol>.txt: the top symbols by self and by inclusive samples.
#
#   Benchmarks/profile-b6.sh [pairs] [v1|v2]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
pairs="${1:-1000}"
protocol="${2:-v1}"
bin="$(cd "$root" && swift build -c release --show-bin-path)"
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/chat-server" --port "$port" --data-dir "$work/data" --jwt-secret "profile-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" \
    --log-level error >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 500); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.01; done
perf record -q -e cpu-clock:u -F 1999 -g -p "$server_pid" -o "$work/perf.data" 2>/dev/null &
perf_pid=$!
sleep 0.5
"$bin/server-bench" match --server "http://127.0.0.1:$port" --protocol "$protocol" --pairs "$pairs" \
    --server-pid "$server_pid" >"$work/match.json"
kill -INT "$perf_pid"
wait "$perf_pid" 2>/dev/null || true
out="$here/results/latest/server-b6-profile-$protocol.txt"
{
    echo "perf cpu-clock:u samples of chat-server during B6 ($pairs pairs, $protocol, sign-up included)"
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("pairs/s", round(r["pairs_per_second"]), "cpu", r["cpu_seconds_while_matching"])' "$work/match.json"
    echo
    echo "== self (no children), top 40"
    perf report -i "$work/perf.data" --no-children --sort symbol --stdio -g none --percent-limit 0.7 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | head -40 | cut -c1-200
    echo
    echo "== inclusive (children), top 60"
    perf report -i "$work/perf.data" --children --sort symbol --stdio -g none --percent-limit 2 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | head -60 | cut -c1-200
} >"$out"
cat "$out"

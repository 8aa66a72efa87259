#!/usr/bin/env bash
# System calls per chat message at B4's fixed load (1,000 connections, 500 msg/s open loop): the chat server (v1 and
# v2, wsload) against the C fan-out floor (its own open-loop client), each counted by `strace -c -f` over 6 s inside
# the sending window, every thread of the server. strace slows the server down, so the CPU figures of these runs mean
# nothing; the counts per message do. Writes results/latest/server-b4-syscalls.json.
#
#   Benchmarks/probe-b4-syscalls.sh [protocols, default "v1 v2"]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
protocols="${1:-v1 v2}"
conns=1000
rate=500
window=6
command -v strace >/dev/null || { echo "strace is needed (apt-get install strace)" >&2; exit 1; }
# shellcheck source=probe-common.sh
. "$here/probe-common.sh"
cc -O2 -o "$work/fanout" "$here/c/fanout.c"

# strace -c's table for $server_pid over $window seconds, into $1.
count() {
    timeout -s INT "$window" strace -c -f -p "$server_pid" -o "$1" >/dev/null 2>&1 || true
}

say() { printf '%s\n' "$*" >&2; }

say "C fan-out floor: $conns connections, $rate msg/s open loop"
"$work/fanout" server >"$work/fanout.port" &
server_pid=$!
while [ ! -s "$work/fanout.port" ]; do sleep 0.02; done
"$work/fanout" client "$(cat "$work/fanout.port")" $((conns / 2)) 12 "$server_pid" "$rate" >"$work/c.json" &
load_pid=$!
sleep 3
count "$work/c.strace"
wait "$load_pid" || true
stop_server

for protocol in $protocols; do
    say "chat-server $protocol: $conns connections, $rate msg/s open loop (wsload)"
    start_b4_server "$work/data-$protocol" "$protocol"
    "$work/wsload" --port "$port" --conns "$work/tokens.txt" --protocol "$protocol" --rates "$rate" --seconds 12 \
        --warmup 2 --drain 3 --all-steps >"$work/$protocol.json" &
    load_pid=$!
    sleep 3.5  # connect (about 1 s), settle, warm-up
    count "$work/$protocol.strace"
    wait "$load_pid" || true
    stop_server
done

python3 - "$here/results/latest/server-b4-syscalls.json" "$work" "$protocols" "$rate" "$window" <<'PY'
import json, re, sys
dst, work, protocols, rate, window = sys.argv[1], sys.argv[2], sys.argv[3].split(), int(sys.argv[4]), int(sys.argv[5])

def table(path):
    calls = {}
    for line in open(path):
        # % time, seconds, usecs/call, calls, [errors,] syscall
        m = re.match(r"\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\w+)\s*$", line)
        if m and m.group(3) != "total":
            calls[m.group(3)] = int(m.group(1))
    return calls

messages = rate * window
out = {"probe": f"system calls per chat message, {rate} msg/s over 1,000 connections, strace -c -f for {window} s "
                f"inside the sending window (≈ {messages} messages; per message = calls ÷ {messages})",
       "servers": {}}
for name in ["c"] + protocols:
    calls = table(f"{work}/{name}.strace")
    per = {k: round(v / messages, 3) for k, v in sorted(calls.items(), key=lambda kv: -kv[1])}
    out["servers"]["C fan-out" if name == "c" else f"chat-server {name}"] = {
        "per_message_total": round(sum(calls.values()) / messages, 2), "per_message": per}
json.dump(out, open(dst, "w"), indent=2)
print(json.dumps(out, indent=2))
PY

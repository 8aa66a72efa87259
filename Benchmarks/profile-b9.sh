#!/usr/bin/env bash
# A cheap profile of B9: perf (software cpu-clock event, user space) on a release chat-server during one 100 MiB
# presigned PUT. Build first (server.sh does). Writes results/latest/server-b9-profile.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
bin="$(cd "$root" && swift build -c release --show-bin-path)"
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin/chat-server" --port "$port" --data-dir "$work/data" --jwt-secret "profile-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')" \
    --log-level error --max-upload-size 134217728 >"$work/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 500); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.01; done
head -c $((100 * 1024 * 1024)) /dev/urandom >"$work/upload.bin"
token=$("$bin/server-bench" token --server "http://127.0.0.1:$port" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
put_url=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/uploader/upload/presigned?ext=bin" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
perf record -q -e cpu-clock:u -F 1999 -g -p "$server_pid" -o "$work/perf.data" 2>/dev/null &
perf_pid=$!
sleep 0.5
before=$(ticks)
put=$(curl -fsS -o /dev/null -T "$work/upload.bin" -X PUT -w '%{time_total} %{speed_upload}' "$put_url")
after=$(ticks)
kill -INT "$perf_pid"
wait "$perf_pid" 2>/dev/null || true
out="$here/results/latest/server-b9-profile.txt"
{
    echo "perf cpu-clock:u samples of chat-server during one 100 MiB presigned PUT (under perf)"
    echo "curl: seconds, bytes/s = $put; server CPU seconds (user+system) = $(( after - before )) ticks / $(getconf CLK_TCK)"
    echo
    echo "== self (no children)"
    perf report -i "$work/perf.data" --no-children --sort dso,symbol --stdio -g none --percent-limit 1 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | head -30 | cut -c1-180
    echo
    echo "== inclusive (children)"
    perf report -i "$work/perf.data" --children --sort symbol --stdio -g none --percent-limit 4 2>/dev/null \
        | grep -v '^#' | grep -v '^$' | head -45 | cut -c1-180
} | sed 's/ *$//' >"$out"
cat "$out"

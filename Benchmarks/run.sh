#!/usr/bin/env bash
# Runs the benchmarks of issue 9 that exist so far and writes ../BENCHMARKS.md.
#
#   Benchmarks/run.sh [--no-server] [--no-ordo] [--rounds N] [--bots N]
#
# B1 wall clock (interleaved rounds, ratios within each round), B1 callgrind instruction counts, B1a malloc counts
# (malloc-interposer preloaded), B2 frame sizes, for the 31-byte sample text (the targets') and, informational, a
# 1 KB mixed UTF-8 and a 4,000-byte text; then, unless --no-ordo, the same operations under
# ordo-one/benchmark; then, unless --no-server, a B3 smoke: a release chat-server on a free port with a temporary
# data folder and BotFleet with --bots connections (default 200) at 1 message/s per channel for 20 s.
# Raw results go to Benchmarks/results/latest/ (JSON, callgrind profiles, the ordo-one table).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
server=1
ordo=1
rounds=7
bots=200
while [ $# -gt 0 ]; do
    case "$1" in
    --no-server) server=0 ;;
    --no-ordo) ordo=0 ;;
    --rounds) rounds="$2"; shift ;;
    --bots) bots="$2"; shift ;;
    *) echo "usage: $0 [--no-server] [--no-ordo] [--rounds N] [--bots N]" >&2; exit 64 ;;
    esac
    shift
done
results="$here/results/latest"
# The code measured: HEAD, and whether anything but earlier results differs from it.
commit="$(git -C "$root" rev-parse --short HEAD)"
git -C "$root" diff --quiet HEAD -- . ':!BENCHMARKS.md' ':!Benchmarks/results' \
    || commit="$commit (with uncommitted changes)"
# Server benchmarks (server.sh, server-*) are run separately and kept.
mkdir -p "$results"
find "$results" -mindepth 1 -maxdepth 1 ! -name 'server-*' -exec rm -rf {} +
say() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

say "machine"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $commit"
    echo "nproc: $(nproc)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "uname: $(uname -a)"
    echo "swift: $(swift --version 2>&1 | head -1)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$results/machine.txt"

say "build codec-bench and codec-op (release; root package in protocol-only mode)"
cd "$here"
export CHAT_PROTOCOL_ONLY=1
swift build -c release --product codec-bench
swift build -c release --product codec-op
bin="$(swift build -c release --show-bin-path)"

say "B2 frame sizes"
"$bin/codec-bench" sizes | tee "$results/sizes.json"
say "B1a malloc counts"
LD_PRELOAD="$bin/libMallocInterposerSwift.so" "$bin/codec-bench" mallocs | tee "$results/mallocs.json"
say "B1 wall clock, $rounds interleaved rounds"
"$bin/codec-bench" time "$rounds" 20 | tee "$results/time.json"
say "B1 callgrind instruction counts"
"$here/callgrind.sh" "$bin/codec-op" | tee "$results/callgrind.json"
for payload in 1KB-utf8 4000B-ascii; do
    say "B1, B1a, B2 with the $payload text (informational)"
    "$bin/codec-bench" sizes "$payload" >"$results/sizes.$payload.json"
    LD_PRELOAD="$bin/libMallocInterposerSwift.so" "$bin/codec-bench" mallocs "$payload" >"$results/mallocs.$payload.json"
    "$bin/codec-bench" time "$rounds" 20 "$payload" >"$results/time.$payload.json"
    "$here/callgrind.sh" "$bin/codec-op" --payload "$payload" | tee "$results/callgrind.$payload.json"
done
for operation in pb-hand-encode pb-hand-decode json-hand-encode json-hand-decode; do
    SWIFT_DETERMINISTIC_HASHING=1 valgrind --tool=callgrind --callgrind-out-file="$results/cg.$operation.out" \
        "$bin/codec-op" "$operation" 20000 >/dev/null 2>&1
    callgrind_annotate --inclusive=no "$results/cg.$operation.out" 2>/dev/null \
        | sed -n '/file:function/,$p' | sed -n '3,14p' | sed -e "s#$root/##g" -e 's/ \[[^]]*\]$//' \
        | cut -c1-200 >"$results/profile.$operation.txt"
    rm -f "$results/cg.$operation.out"
done

if [ "$ordo" = 1 ]; then
    say "ordo-one/benchmark (same operations)"
    swift package --allow-writing-to-package-directory benchmark --format markdown --no-progress 2>&1 \
        | grep -v -e '^\[[0-9]*/[0-9]*\]' -e '^Building for' | tee "$results/ordo-benchmark.md" \
        || echo "ordo-one/benchmark failed; see $results/ordo-benchmark.md"
fi
unset CHAT_PROTOCOL_ONLY

if [ "$server" = 1 ]; then
    say "B3 smoke: release chat-server + BotFleet, $bots connections"
    cd "$root"
    swift build -c release --product chat-server
    swift build -c release --product BotFleet
    rootbin="$(swift build -c release --show-bin-path)"
    work="$(mktemp -d)"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    secret="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
    "$rootbin/chat-server" --port "$port" --data-dir "$work/data" --jwt-secret "$secret" --log-level error \
        >"$work/server.log" 2>&1 &
    server_pid=$!
    trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
    cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
    before=$(cpu_ticks)
    rc=0
    timeout 300 "$rootbin/BotFleet" --server "http://127.0.0.1:$port" --bots "$bots" --rate 1 --duration 20 \
        --drain 10 --setup-timeout 120 --json >"$results/botfleet.json" || rc=$?
    after=$(cpu_ticks)
    python3 - "$results/botfleet.json" "$before" "$after" "$(getconf CLK_TCK)" "$server_pid" "$rc" <<'PY'
import json, sys
path, before, after, tck, pid, rc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
status = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status") if ":" in line)
kb = lambda key: int(status[key].split()[0])
try:
    report = json.load(open(path))
except ValueError:
    report = {"error": open(path).read()[-2000:]}
report["botfleet_exit_status"] = rc
report["server_cpu_seconds"] = (after - before) / tck
report["server_rss_kb_end"] = kb("VmRSS")
report["server_rss_kb_peak"] = kb("VmHWM")
json.dump(report, open(path, "w"), indent=2, sort_keys=True)
print(json.dumps(report, indent=2, sort_keys=True))
PY
fi

say "write BENCHMARKS.md"
python3 "$here/report.py" "$results" "$root/BENCHMARKS.md"
echo "wrote $root/BENCHMARKS.md"

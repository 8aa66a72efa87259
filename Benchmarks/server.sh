#!/usr/bin/env bash
# Server-level benchmarks of issue 9, run by hand (too slow and noisy for CI): B6 matching, B9 upload, B5 idle
# memory per connection, B7 restart recovery, B3 latency at 1,000 connections (BotFleet, staggered), B4 CPU per chat
# message and saturation against a C epoll fan-out built from Benchmarks/c (cc -O2), B8 idle CPU with 9,000
# connections. Each starts a fresh release chat-server (temporary data folder, free port) and writes
# results/latest/server-<id>*.json and .txt; at the end server-report.py rewrites BENCHMARKS.md's server section and
# its summary rows (--no-report skips that, for a run whose BENCHMARKS.md is written elsewhere).
#
#   Benchmarks/server.sh [--only b6,b9,b5,b7,b3,b4,b8] [--pairs N] [--b6-rounds 5] [--idle "1000 9000"] [--b5-rounds 3]
#                        [--restart-conns N] [--b7-jitter "1000 default"] [--protocols "v1 v2"]
#                        [--b3-bots "1000 10000"] [--b3-rounds 3] [--b4-rounds 3] [--b4-conns 1000] [--b4-rate 500]
#                        [--b4-steps "500 1000 …"] [--b4-c-steps "64000 …"] [--b4-variants "v1 v2 v1@2 v2@2"]
#                        [--b8-runs "v1:30 v1:54 v2:30"] [--b8-conns 9000] [--b8-seconds 150] [--no-report]
#                        [--b3-seconds 30] [--no-b3-profile] [--no-b5-baseline] [--results DIR]
#
# --results writes the JSON and text files to DIR instead of results/latest (and implies --no-report): CI's smoke
# (server-smoke.sh) uses it so that a run never overwrites the committed results.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
only="b6,b9,b5,b7,b3,b4,b8"
pairs=1000
idle="1000 9000"
restart_conns=1000
b6_rounds=5  # the box moves B6 by ±15 % between rounds; the median of five is steadier than of three
b7_policies="1000 default"  # reconnect jitter window J in ms, or the SDK's default exponential policy
protocols="v1 v2"
b4_rounds=3
b4_variants="v1 v2 v1@2 v2@2"  # protocol, or protocol@N for a server with --event-loop-threads N (default: half the cores)
b3_bots="1000 10000"
b3_seconds=30  # BotFleet's sending time per round
b3_rounds=3  # BotFleet runs per connection count (fresh server each); the result is the median round by p50
b5_rounds=3  # chat runs per connection count (fresh server each); the result is the median round, with all rounds
b4_conns=1000
b4_rate=500
b4_steps="500 1000 1500 2000 3000 4000 6000 8000 12000 16000 24000 32000 48000"
b4_c_steps="64000 96000 128000"  # the C floor's open-loop sweep goes on past the chat server's steps
b8_runs="v1:30 v1:54 v2:30"  # protocol:ping interval in seconds (30 = the server's default, 54 = upstream's)
b8_conns=9000
b8_seconds=150
b3_profile=true  # one more B3 round per connection count, profiled with perf (not counted)
b5_baseline=true  # B5's bare-websocket baseline on the same stack after each connection count
results="$here/results/latest"
report=true
while [ $# -gt 0 ]; do
    case "$1" in
    --only) only="$2"; shift ;;
    --pairs) pairs="$2"; shift ;;
    --b6-rounds) b6_rounds="$2"; shift ;;
    --idle) idle="$2"; shift ;;
    --restart-conns) restart_conns="$2"; shift ;;
    --b7-jitter) b7_policies="$2"; shift ;;
    --protocols) protocols="$2"; shift ;;
    --b4-rounds) b4_rounds="$2"; shift ;;
    --b4-variants) b4_variants="$2"; shift ;;
    --b3-bots) b3_bots="$2"; shift ;;
    --b3-rounds) b3_rounds="$2"; shift ;;
    --b5-rounds) b5_rounds="$2"; shift ;;
    --b4-conns) b4_conns="$2"; shift ;;
    --b4-rate) b4_rate="$2"; shift ;;
    --b4-steps) b4_steps="$2"; shift ;;
    --b4-c-steps) b4_c_steps="$2"; shift ;;
    --b8-runs) b8_runs="$2"; shift ;;
    --b8-conns) b8_conns="$2"; shift ;;
    --b8-seconds) b8_seconds="$2"; shift ;;
    --no-report) report=false; shift 0 ;;
    --b3-seconds) b3_seconds="$2"; shift ;;
    --no-b5-baseline) b5_baseline=false; shift 0 ;;
    --no-b3-profile) b3_profile=false; shift 0 ;;
    --results) results="$2"; report=false; shift ;;
    *) echo "usage: $0 [--only b6,b9,b5,b7,b3,b4,b8] [--pairs N] [--b6-rounds R] [--idle \"K …\"] [--b5-rounds R] [--restart-conns N] [--b7-jitter \"J|default …\"] [--protocols \"v1 v2\"] [--b3-bots \"N …\"] [--b3-rounds R] [--b4-rounds R] [--b4-variants \"v1 v1@1 …\"] [--b4-conns N] [--b4-rate R] [--b4-steps \"R …\"] [--b4-c-steps \"R …\"] [--b8-runs \"v1:30 …\"] [--b8-conns N] [--b8-seconds S] [--no-report] [--b3-seconds S] [--no-b3-profile] [--no-b5-baseline] [--results DIR]" >&2
       exit 64 ;;
    esac
    shift
done
wants() { [[ ",$only," == *",$1,"* ]]; }
mkdir -p "$results"
say() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)" >&2; }
ulimit -n "$(ulimit -Hn)"

say "build (release): chat-server in the root package, server-bench in Benchmarks/ServerBench"
# ServerBench builds into the root package's .build (same Package.resolved pins, same dependency modules), so it
# reuses the root's compiled dependencies instead of a second cold build of NIO, NIOSSL and AsyncHTTPClient.
(cd "$root" && swift build -c release --product chat-server >&2)
(cd "$here/ServerBench" && swift build -c release --scratch-path "$root/.build" --product server-bench >&2)
server_bin="$(cd "$root" && swift build -c release --show-bin-path)/chat-server"
bench_bin="$(dirname "$server_bin")/server-bench"

commit="$(git -C "$root" rev-parse --short HEAD)"
git -C "$root" diff --quiet HEAD -- . ':!BENCHMARKS.md' ':!Benchmarks/results' \
    || commit="$commit (with uncommitted changes)"
machine() {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $commit"
    echo "nproc: $(nproc)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p')"
    echo "uname: $(uname -a)"
    echo "swift: $(swift --version 2>&1 | head -1)"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "fd limit: $(ulimit -n)"
}

work="$(mktemp -d)"
# shellcheck source=server-control.sh
. "$here/server-control.sh"
trap 'stop_server; rm -rf "$work"' EXIT
secret="bench-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
port=0
data=""
# Starts a server on $port with data folder $data (a fresh one unless reuse is passed).
start_server() {
    if [ "${1:-}" != reuse ]; then
        data="$work/data-$RANDOM$RANDOM"
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    fi
    "$server_bin" --port "$port" --data-dir "$data" --jwt-secret "$secret" --log-level error \
        --max-upload-size 134217728 ${server_flags:-} >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1000); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        sleep 0.01
    done
    echo "server did not start" >&2
    tail -20 "$work/server.log" >&2
    exit 1
}
url() { echo "http://127.0.0.1:$port"; }
kb() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$server_pid/status"; }
slab_kb() { awk '$1 == "Slab:" {print $2}' /proc/meminfo; }
# glibc's heap from /metrics, in KB, and the memory reclaimer's trims so far: "in_use free trims".
heap_kb() {
    curl -fs "$(url)/metrics" | awk '$1 == "malloc_in_use_bytes" {u = $2} $1 == "malloc_free_bytes" {f = $2}
        $1 == "malloc_trims_total" {t = $2} END {printf "%d %d %d\n", u / 1024, f / 1024, t}'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
wait_file() { while [ ! -e "$1" ]; do sleep 0.02; done; }

# perf (software cpu-clock event, user and kernel, call graphs) on process $1 (shown as $2) for $4 seconds; writes a
# text profile to $3: the process's threads, shared objects and top symbols by self samples (demangled).
profile_process() {
    local pid="$1" name="$2" out="$3" secs="$4" title="$5"
    if ! command -v perf >/dev/null; then
        echo "perf not installed: no profile" >"$out"
        return 0
    fi
    local data="$work/perf-$pid.data"
    perf record -q -e cpu-clock -F 999 -g -p "$pid" -o "$data" -- sleep "$secs" 2>/dev/null || true
    {
        echo "$title"
        echo "perf record -e cpu-clock -F 999 -g -p <$name> -- sleep $secs (user + kernel samples)"
        echo
        echo "== by thread"
        perf report -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | sed -n '1,12p'
        echo
        echo "== by shared object"
        perf report -i "$data" --no-children --sort dso --stdio -g none 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | sed -n '1,12p'
        echo
        echo "== self (no children), top 50"
        perf report -i "$data" --no-children --sort symbol --stdio -g none --percent-limit 0.4 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | sed -n '1,50p' | swift demangle --simplified | cut -c1-220
        echo
        echo "== inclusive (children), top 50"
        perf report -i "$data" --children --sort symbol --stdio -g none --percent-limit 3 2>/dev/null \
            | grep -v '^#' | grep -v '^$' | sed -n '1,50p' | swift demangle --simplified | cut -c1-220
    } >"$out" || true  # a profile is best effort (and SIGPIPE or an empty grep must not end the run)
    rm -f "$data"
}
profile_server() { profile_process "$server_pid" chat-server "$@"; }

if wants b6; then
    # Rounds interleave the protocols (v1, v2, v1, v2, …), each on a fresh server; the report takes the median round.
    for round in $(seq "$b6_rounds"); do
        for protocol in $protocols; do
            say "B6 matching: $pairs pairs, $protocol, round $round of $b6_rounds"
            start_server
            machine >"$results/server-b6-$protocol.txt"
            before=$(cpu_ticks)
            "$bench_bin" match --server "$(url)" --protocol "$protocol" --pairs "$pairs" --server-pid "$server_pid" \
                >"$work/b6.json"
            after=$(cpu_ticks)
            python3 - "$work/b6.json" "$work/b6-$protocol-$round.json" "$before" "$after" "$(getconf CLK_TCK)" \
                "$(kb VmHWM)" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
src, dst, before, after, tck, hwm, load = sys.argv[1:]
r = json.load(open(src))
r["server_cpu_seconds_signup_and_match"] = (int(after) - int(before)) / int(tck)
r["server_rss_peak_kb"] = int(hwm)
r["load_average_after"] = load
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps(r, indent=2, sort_keys=True))
PY
            stop_server
        done
    done
    for protocol in $protocols; do
        python3 - "$results/server-b6-$protocol.json" "$work"/b6-"$protocol"-*.json <<'PY'
import json, sys
rounds = sorted((json.load(open(path)) for path in sys.argv[2:]), key=lambda r: r["pairs_per_second"])
median = dict(rounds[len(rounds) // 2])
median["rounds_pairs_per_second"] = [r["pairs_per_second"] for r in rounds]
median["rounds"] = len(rounds)
json.dump(median, open(sys.argv[1], "w"), indent=2, sort_keys=True)
PY
    done
fi

if wants b9; then
    say "B9 upload: 100 MiB presigned PUTs (curl's default Expect: 100-continue, and without it) and a GET"
    start_server
    machine >"$results/server-b9.txt"
    head -c $((100 * 1024 * 1024)) /dev/urandom >"$work/upload.bin"
    token=$("$bench_bin" token --server "$(url)" --protocol v1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
    presign() {
        curl -fsS -H "Authorization: Bearer $token" "$(url)/api/uploader/$1" \
            | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("url", ""), d.get("objectKey", d.get("object_key", "")))'
    }
    sampler() { while kill -0 "$server_pid" 2>/dev/null; do kb VmRSS; sleep 0.02; done; }
    # One transfer: label, then curl arguments. Appends "label status seconds bytes/s rss0 hwm0 rss1 hwm1 peak cpu".
    transfer() {
        local label="$1"; shift
        local rss0 hwm0 cpu0 sampler_pid result
        rss0=$(kb VmRSS); hwm0=$(kb VmHWM); cpu0=$(cpu_ticks)
        sampler >"$work/rss-$label.txt" &
        sampler_pid=$!
        result=$(curl -fsS "$@")
        kill "$sampler_pid"; wait "$sampler_pid" 2>/dev/null || true
        local peak
        peak=$(sort -n "$work/rss-$label.txt" | tail -1)
        echo "$label $result $rss0 $hwm0 $(kb VmRSS) $(kb VmHWM) ${peak:-0} $(( $(cpu_ticks) - cpu0 ))" >>"$work/b9.txt"
    }
    curl -fsS -o /dev/null "$(url)/health"  # warm the HTTP path
    : >"$work/b9.txt"
    read -r put_url key < <(presign "upload/presigned?ext=bin")
    transfer put-default -o /dev/null -T "$work/upload.bin" -X PUT -w '%{http_code} %{time_total} %{speed_upload}' "$put_url"
    read -r put_url key < <(presign "upload/presigned?ext=bin")
    transfer put-no-expect -o /dev/null -T "$work/upload.bin" -X PUT -H 'Expect:' \
        -w '%{http_code} %{time_total} %{speed_upload}' "$put_url"
    # Does the server answer Expect: 100-continue at once (an interim 100 before curl's 1 s timeout)?
    read -r put_url _ < <(presign "upload/presigned?ext=bin")
    head -c $((2 * 1024 * 1024)) "$work/upload.bin" >"$work/small.bin"
    expect_answered=$(curl -sv -o /dev/null -T "$work/small.bin" -X PUT "$put_url" 2>&1 \
        | grep -q '^< HTTP/1.1 100 Continue' && echo true || echo false)
    okb64=$(printf '%s' "$key" | base64 -w0 | tr '+/' '-_')
    read -r get_url _ < <(presign "download/presigned?okb64=$okb64")
    transfer get -o "$work/download.bin" -w '%{http_code} %{time_total} %{speed_download}' "$get_url"
    same=$(cmp -s "$work/upload.bin" "$work/download.bin" && echo true || echo false)
    # Same-run disk floor: the same 100 MiB written to the data folder's file system with fdatasync (the object
    # store fsyncs each upload before renaming it into place).
    disk=$(dd if="$work/upload.bin" of="$data/dd-floor.bin" bs=1M conv=fdatasync 2>&1 | tail -1)
    rm -f "$work/upload.bin" "$work/small.bin" "$work/download.bin" "$data/dd-floor.bin"
    python3 - "$results/server-b9.json" "$work/b9.txt" "$same" "$disk" "$(getconf CLK_TCK)" "$expect_answered" <<'PY'
import json, sys
dst, table, same, disk, tck, expect_answered = sys.argv[1:]
mib = 1024 * 1024
r = {
    "benchmark": "B9 upload: 100 MiB presigned PUT and GET through the server's object endpoint (curl, loopback)",
    "bytes": 100 * mib, "download_identical": same == "true",
    "disk_floor_dd_fdatasync": disk,
    "expect_100_continue_answered": expect_answered == "true",
    "note": "growth_kb = max(VmHWM after, sampled VmRSS peak) - VmRSS before; cpu = server user+system seconds",
}
for line in open(table):
    label, status, secs, rate, rss0, hwm0, rss1, hwm1, peak, ticks = line.split()
    r[label] = {
        "status": int(status), "seconds": float(secs),
        "mb_per_second": float(rate) / 1e6, "mib_per_second": float(rate) / mib,
        "rss_kb_before": int(rss0), "hwm_kb_before": int(hwm0), "rss_kb_after": int(rss1), "hwm_kb_after": int(hwm1),
        "rss_kb_sampled_peak": int(peak), "growth_kb": max(int(hwm1), int(peak)) - int(rss0),
        "server_cpu_seconds": int(ticks) / int(tck),
    }
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps(r, indent=2, sort_keys=True))
PY
    stop_server
fi

if wants b5; then
    for conns in $idle; do
      for round in $(seq "$b5_rounds"); do
        say "B5 idle memory: $conns authenticated chat connections (v1), round $round of $b5_rounds"
        start_server
        machine >"$results/server-b5-$conns.txt"
        control="$work/b5-$conns-$round"  # a fresh folder per round: its files are the signals
        mkdir -p "$control"
        "$bench_bin" idle --server "$(url)" --protocol v1 --conns "$conns" --control "$control" &
        bench_pid=$!
        wait_file "$control/matched"
        # Each sample waits longer than the memory reclaimer's 10 s interval after the last burst of work, so both
        # are taken after a check (whether it trimmed is recorded: malloc_trims_*).
        sleep 12
        rss0=$(kb VmRSS); slab0=$(slab_kb); threads0=$(kb Threads); heap0=$(heap_kb)
        touch "$control/go"  # an empty file: its existence is the signal
        wait_file "$control/connected"
        sleep 12
        rss1=$(kb VmRSS); slab1=$(slab_kb); hwm1=$(kb VmHWM); threads1=$(kb Threads); heap1=$(heap_kb)
        open_fds=$(ls "/proc/$server_pid/fd" | wc -l)
        touch "$control/done"
        wait "$bench_pid" || true
        python3 - "$work/b5-$conns-$round.json" "$conns" "$rss0 $rss1 $slab0 $slab1 $hwm1 $threads0 $threads1" \
            "$open_fds" "$control/connected" "$heap0 $heap1" <<'PY'
import json, sys
dst, conns, mem, fds, connected, heap = sys.argv[1:]
rss0, rss1, slab0, slab1, hwm1, t0, t1 = map(int, mem.split())
used0, free0, trims0, used1, free1, trims1 = map(int, heap.split())
c = json.load(open(connected))
n = c["connected"]
r = {
    "benchmark": "B5 idle memory per authenticated chat connection (v1, SDK clients in another process)",
    "connections_requested": int(conns), "connections": n, "failed": c["failed"],
    "connect_seconds": c["connect_seconds"],
    "server_rss_kb_before": rss0, "server_rss_kb_after": rss1, "server_hwm_kb": hwm1,
    "server_threads_before": t0, "server_threads_after": t1, "server_open_fds": int(fds),
    "rss_kb_per_connection": (rss1 - rss0) / n if n else None,
    "kernel_slab_kb_per_connection_pair": (slab1 - slab0) / n if n else None,
    "malloc_in_use_kb_before": used0, "malloc_in_use_kb_after": used1,
    "malloc_free_kb_before": free0, "malloc_free_kb_after": free1,
    "malloc_in_use_kb_per_connection": (used1 - used0) / n if n else None,
    "malloc_trims_before": trims0, "malloc_trims_after": trims1,
    "note": "slab counts both ends of each loopback connection, and anything else the machine did meanwhile; "
            "malloc_* is glibc's mallinfo2 from /metrics: live heap bytes (in use) and freed bytes it holds (free)",
}
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps(r, indent=2, sort_keys=True))
PY
        stop_server
      done
        python3 - "$results/server-b5-$conns.json" "$work" "$conns" "$b5_rounds" <<'PY'
import json, sys
dst, work, conns, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
runs = [json.load(open(f"{work}/b5-{conns}-{k}.json")) for k in range(1, rounds + 1)]
ordered = sorted(runs, key=lambda r: r["rss_kb_per_connection"] if r["rss_kb_per_connection"] is not None else 1e9)
r = dict(ordered[(len(ordered) - 1) // 2])  # the median round (the lower middle one for an even count)
r["rounds"] = rounds
r["rounds_rss_kb_per_connection"] = [x["rss_kb_per_connection"] for x in runs]
r["rounds_malloc_in_use_kb_per_connection"] = [x["malloc_in_use_kb_per_connection"] for x in runs]
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
PY

        $b5_baseline || continue
        say "B5 baseline: $conns bare websockets on the same stack (/conformance/echo, no auth, no chat state)"
        server_flags="--conformance-echo true"
        start_server
        server_flags=""
        control="$work/b5-echo-$conns"
        mkdir -p "$control"
        curl -fs "$(url)/health" >/dev/null
        sleep 12
        rss0=$(kb VmRSS); slab0=$(slab_kb); heap0=$(heap_kb)
        python3 "$here/ws-holder.py" "$port" /conformance/echo "$conns" "$control" &
        holder_pid=$!
        wait_file "$control/connected"
        sleep 12
        rss1=$(kb VmRSS); slab1=$(slab_kb); heap1=$(heap_kb)
        touch "$control/done"
        wait "$holder_pid" || true
        python3 - "$results/server-b5-echo-$conns.json" "$rss0 $rss1 $slab0 $slab1" "$control/connected" \
            "$heap0 $heap1" <<'PY'
import json, sys
dst, mem, connected, heap = sys.argv[1:]
rss0, rss1, slab0, slab1 = map(int, mem.split())
used0, free0, trims0, used1, free1, trims1 = map(int, heap.split())
c = json.load(open(connected))
n = c["connected"]
r = {
    "benchmark": "B5 baseline: bare websocket connections to /conformance/echo (Hummingbird websocket, no chat state)",
    "connections": n, "failed": c["failed"], "connect_seconds": c["connect_seconds"],
    "server_rss_kb_before": rss0, "server_rss_kb_after": rss1,
    "rss_kb_per_connection": (rss1 - rss0) / n if n else None,
    "kernel_slab_kb_per_connection_pair": (slab1 - slab0) / n if n else None,
    "malloc_in_use_kb_before": used0, "malloc_in_use_kb_after": used1,
    "malloc_free_kb_before": free0, "malloc_free_kb_after": free1,
    "malloc_in_use_kb_per_connection": (used1 - used0) / n if n else None,
    "malloc_trims_before": trims0, "malloc_trims_after": trims1,
}
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps(r, indent=2, sort_keys=True))
PY
        stop_server
    done
fi

if wants b7; then
  for policy in $b7_policies; do
    for protocol in $protocols; do
        [ "$policy" = default ] && [ "$protocol" != v1 ] && continue  # the SDK-default policy: v1 only, for reference
        say "B7 restart recovery: $restart_conns clients, $protocol, reconnect jitter $policy ms, SIGKILL"
        name="server-b7-$protocol-j$policy"
        jitter=()
        [ "$policy" != default ] && jitter=(--jitter-ms "$policy")
        start_server
        machine >"$results/$name.txt"
        control="$work/$name"
        mkdir -p "$control"
        "$bench_bin" restart --server "$(url)" --protocol "$protocol" --conns "$restart_conns" --control "$control" \
            "${jitter[@]}" >"$work/b7.json" &
        bench_pid=$!
        wait_file "$control/ready"
        sleep 2
        kill -9 "$server_pid"
        wait "$server_pid" 2>/dev/null || true
        date +%s%N >"$control/killed.tmp" && mv "$control/killed.tmp" "$control/killed"
        server_pid=""
        sleep 0.5  # clients see the outage and queue their next messages
        start_server reuse
        date +%s%N >"$control/listening.tmp" && mv "$control/listening.tmp" "$control/listening"
        wait "$bench_pid" || true
        python3 - "$work/b7.json" "$results/$name.json" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["load_average_after"] = sys.argv[3]
json.dump(r, open(sys.argv[2], "w"), indent=2, sort_keys=True)
print(json.dumps(r, indent=2, sort_keys=True))
PY
        stop_server
    done
  done
fi
if wants b3; then
    (cd "$root" && swift build -c release --product BotFleet >&2)
    for bots in $b3_bots; do
        # Rounds on fresh servers; the result is the round with the median p50, with every round's figures beside it
        # (this machine's latency varies by tens of percent between runs).
        for round in $(seq "$b3_rounds"); do
            say "B3: BotFleet, $bots connections ($((bots / 2)) channels), 1 msg/s per channel, staggered phases, $b3_seconds s, round $round of $b3_rounds"
            start_server
            machine >"$results/server-b3-$bots.txt"
            before=$(cpu_ticks)
            rc=0
            # The bot process's CPU (user + system) comes from its rusage, read by the Python wrapper.
            python3 -c 'import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(str(r.ru_utime + r.ru_stime))
sys.exit(rc)' "$work/b3-client-cpu" timeout 600 "$(dirname "$server_bin")/BotFleet" --server "$(url)" --bots "$bots" \
                --rate 1 --duration "$b3_seconds" --drain 10 --setup-timeout 300 --stagger --json >"$work/b3.json" || rc=$?
            after=$(cpu_ticks)
            python3 - "$work/b3.json" "$work/b3-$bots-$round.json" "$before" "$after" "$(getconf CLK_TCK)" "$rc" \
                "$(kb VmRSS)" "$(kb VmHWM)" "$work/b3-client-cpu" <<'PY'
import json, os, sys
src, dst, before, after, tck, rc, rss, hwm, client = sys.argv[1:]
try:
    r = json.load(open(src))
except ValueError:
    r = {"error": open(src).read()[-2000:]}
r["botfleet_exit_status"] = int(rc)
r["server_cpu_seconds_whole_run"] = (int(after) - int(before)) / int(tck)
r["server_rss_kb_end"], r["server_rss_kb_peak"] = int(rss), int(hwm)
if os.path.exists(client):
    r["process_cpu_seconds"] = float(open(client).read())
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps({k: v for k, v in r.items() if k != "histogram"}, indent=2, sort_keys=True))
PY
            stop_server
        done
        python3 - "$results/server-b3-$bots.json" "$b3_rounds" "$work"/b3-"$bots"-*.json <<'PY'
import json, sys
dst, rounds, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = [json.load(open(p)) for p in paths]
ok = [r for r in runs if "latency" in r]
ranked = sorted(ok, key=lambda r: r["latency"]["p50_ms"]) or runs
median = dict(ranked[(len(ranked) - 1) // 2])
median["rounds"] = rounds
median["rounds_latency_ms"] = [{k: r["latency"][k] for k in ("p50_ms", "p99_ms", "p99_9_ms")} for r in ok]
median["rounds_lost"] = [r.get("lost") for r in runs]
json.dump(median, open(dst, "w"), indent=2, sort_keys=True)
PY
        if $b3_profile && command -v perf >/dev/null; then
            # One more round, not counted: perf on the bots and on the server for 8 s of the sending, both at once,
            # to show where the latency's CPU goes (a profiled round runs slower, so its figures are not used).
            say "B3 profile round (not counted): $bots connections, perf on BotFleet and chat-server for 8 s"
            start_server
            # Emptied here, not by the background job's redirection: the loop below could otherwise still read the
            # previous connection count's "channels ready" and profile this count's set-up instead of its sending.
            : >"$work/b3-profile.err"
            "$(dirname "$server_bin")/BotFleet" --server "$(url)" --bots "$bots" --rate 1 --duration 15 --drain 5 \
                --setup-timeout 300 --stagger --json >"$work/b3-profile.json" 2>"$work/b3-profile.err" &
            fleet_pid=$!
            until grep -q "channels ready" "$work/b3-profile.err" 2>/dev/null || ! kill -0 "$fleet_pid" 2>/dev/null; do
                sleep 0.2
            done
            sleep 3
            title="B3 at $bots connections ($((bots / 2)) channels, 1 msg/s each, staggered), a profile round"
            profile_process "$fleet_pid" BotFleet "$work/b3-profile-bots.txt" 8 "BotFleet, $title" &
            profile_pid=$!
            profile_server "$work/b3-profile-server.txt" 8 "chat-server, $title"
            wait "$profile_pid" || true
            wait "$fleet_pid" || true
            cat "$work/b3-profile-bots.txt" <(echo) "$work/b3-profile-server.txt" >"$results/server-b3-profile-$bots.txt"
            stop_server
        fi
    done
fi

if wants b4; then
    # Rounds interleave the C floor, v1 and v2 (C, v1, v2, C, v1, v2, …); ratios are taken within each round against
    # that round's C figures, and the report takes the median round. The first round also profiles the server at the
    # fixed rate (a separate, unmeasured pass: perf's sampling would bias the CPU figure).
    say "B4: build the C fan-out floor and the websocket load generator (cc -O2, Benchmarks/c)"
    cc -O2 -o "$work/fanout" "$here/c/fanout.c"
    cc -O2 -o "$work/wsload" "$here/c/wsload.c"
    # A fresh C fan-out server for each measurement: $fanout_pid, $fanout_port.
    start_fanout() {
        "$work/fanout" server >"$work/fanout.port" &
        fanout_pid=$!
        while [ ! -s "$work/fanout.port" ]; do sleep 0.02; done
        fanout_port="$(cat "$work/fanout.port")"
    }
    stop_fanout() {
        kill "$fanout_pid"
        wait "$fanout_pid" 2>/dev/null || true
        rm -f "$work/fanout.port"
    }
    for round in $(seq "$b4_rounds"); do
        say "B4 round $round of $b4_rounds: C epoll fan-out floor, 100 channels, closed loop, 5 s"
        machine >"$results/server-b4.txt"
        start_fanout
        "$work/fanout" client "$fanout_port" 100 5 "$fanout_pid" >"$work/b4-c-$round.json"
        stop_fanout
        cat "$work/b4-c-$round.json" >&2
        say "B4 round $round: C epoll fan-out floor at the chat server's load: $b4_conns connections, $b4_rate msg/s open loop, 12 s"
        start_fanout
        "$work/fanout" client "$fanout_port" $((b4_conns / 2)) 12 "$fanout_pid" "$b4_rate" \
            >"$work/b4-c-open-$round.json"
        stop_fanout
        cat "$work/b4-c-open-$round.json" >&2
        say "B4 round $round: C epoll fan-out floor swept open loop like the chat server: $b4_conns connections, steps $b4_steps $b4_c_steps"
        # The chat server's saturation rule applied to the C floor: steps of 6 s (after 0.5 s of warm-up, a fresh
        # client per step), the last step with p99 <= 10 ms that kept up with its rate, before the first failure.
        start_fanout
        : >"$work/b4-c-sweep-steps-$round.jsonl"
        for rate in $b4_steps $b4_c_steps; do
            "$work/fanout" client "$fanout_port" $((b4_conns / 2)) 6 "$fanout_pid" "$rate" \
                >"$work/b4-c-step.json" || true
            python3 - "$work/b4-c-step.json" "$rate" <<'PY' | tee -a "$work/b4-c-sweep-steps-$round.jsonl" >&2
import json, sys
try:
    r = json.load(open(sys.argv[1]))
except ValueError:
    r = {"error": "the client ended without a result"}
r["rate"] = float(sys.argv[2])
r["pass"] = "error" not in r and r["latency_us"]["p99"] <= 10000 and r["chat_messages_per_second"] >= 0.98 * r["rate"]
print(json.dumps(r))
PY
            tail -1 "$work/b4-c-sweep-steps-$round.jsonl" | grep -q '"pass": true' || break
        done
        stop_fanout
        for variant in $b4_variants; do
            protocol="${variant%@*}"
            threads=""
            [ "$variant" != "$protocol" ] && threads="${variant#*@}"
            say "B4 round $round: $variant, $b4_conns connections, $b4_rate msg/s for CPU per message, then steps $b4_steps"
            # The server's default per-channel message cap (5,000) and v2 send rate limit (20/s per connection) would
            # refuse the sweep's messages; both are lifted.
            server_flags="--max-messages-per-channel 100000000 --max-sends-per-second 1000000"
            [ -n "$threads" ] && server_flags="$server_flags --event-loop-threads $threads"
            start_server
            server_flags=""
            "$bench_bin" tokens --server "$(url)" --protocol "$protocol" --conns "$b4_conns" --out "$work/tokens.txt"
            load_avg="$(cut -d' ' -f1-3 /proc/loadavg)"
            "$work/wsload" --port "$port" --conns "$work/tokens.txt" --protocol "$protocol" --rates "$b4_rate" \
                --seconds 12 --warmup 2 --drain 5 --server-pid "$server_pid" --all-steps >"$work/b4-fixed.json"
            cat "$work/b4-fixed.json" >&2
            "$work/wsload" --port "$port" --conns "$work/tokens.txt" --protocol "$protocol" --rates "$b4_steps" \
                --seconds 6 --warmup 1 --drain 3 --stop-p99-ms 50 --server-pid "$server_pid" >"$work/b4-sweep.json"
            cat "$work/b4-sweep.json" >&2
            if [ "$round" = 1 ] && [ -z "$threads" ]; then
                say "B4 profile: $protocol at $b4_rate msg/s (perf, not measured)"
                "$work/wsload" --port "$port" --conns "$work/tokens.txt" --protocol "$protocol" --rates "$b4_rate" \
                    --seconds 14 --warmup 1 --drain 3 --all-steps >"$work/b4-profile-load.json" &
                load_pid=$!
                sleep 3
                profile_server "$results/server-b4-profile-$protocol.txt" 8 \
                    "chat-server, B4 $protocol: $b4_conns connections, $b4_rate chat msg/s (wsload), round 1"
                wait "$load_pid" || true
            fi
            python3 - "$work/b4-$variant-$round.json" "$work/b4-fixed.json" "$work/b4-sweep.json" "$load_avg" \
                "$(kb VmRSS)" "${threads:-default}" <<'PY'
import json, sys
dst, fixed, sweep, load, rss, threads = sys.argv[1:]
json.dump({"fixed": json.load(open(fixed)), "sweep": json.load(open(sweep)), "load_average_before": load,
           "server_rss_kb_end": int(rss), "event_loop_threads": threads}, open(dst, "w"), indent=2, sort_keys=True)
PY
            stop_server
        done
    done
    python3 - "$results/server-b4.json" "$work" "$b4_rounds" "$b4_variants" <<'PY'
import json, statistics, sys
dst, work, rounds, protocols = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split()
c = [json.load(open(f"{work}/b4-c-{k}.json")) for k in range(1, rounds + 1)]
c_open = [json.load(open(f"{work}/b4-c-open-{k}.json")) for k in range(1, rounds + 1)]
c_sweep = []
for k in range(1, rounds + 1):
    steps = [json.loads(line) for line in open(f"{work}/b4-c-sweep-steps-{k}.jsonl") if line.strip()]
    passed = [st["rate"] for st in steps if st["pass"]]
    # The last passing step before the first failure (every step passed: the last one, a lower bound).
    c_sweep.append({"steps": steps, "saturation_rate": passed[-1] if passed else 0})
r = {
    "benchmark": "B4 server CPU per chat message (1 in, 2 out, persisted) and saturation rate, vs a C epoll fan-out "
                 "measured in the same rounds",
    "rounds": rounds,
    "variants": protocols,
    "c_floor": {"rounds": c,
                "median_chat_messages_per_second": statistics.median(x["chat_messages_per_second"] for x in c),
                "median_server_cpu_us_per_message": statistics.median(x["server_cpu_us_per_message"] for x in c)},
    # The same C server and client, open loop at the chat server's fixed rate and connection count: its CPU per
    # message includes the per-wake-up cost the closed-loop figure shares among many messages.
    "c_floor_same_load": {"rounds": c_open,
                          "median_server_cpu_us_per_message":
                              statistics.median(x["server_cpu_us_per_message"] for x in c_open),
                          "median_latency_us_p50": statistics.median(x["latency_us"]["p50"] for x in c_open),
                          "median_latency_us_p99": statistics.median(x["latency_us"]["p99"] for x in c_open)},
    # The same C server and client swept open loop over the chat server's connections and steps, with the chat
    # server's saturation rule (p99 <= 10 ms, kept up): the like-for-like saturation rate.
    "c_floor_open_loop_sweep": {"rounds": c_sweep,
                                "median_saturation_rate": statistics.median(x["saturation_rate"] for x in c_sweep)},
}
for p in protocols:
    runs = [json.load(open(f"{work}/b4-{p}-{k}.json")) for k in range(1, rounds + 1)]
    per_round = []
    for k, run in enumerate(runs):
        step = run["fixed"]["steps"][0]
        per_round.append({
            "cpu_us_per_message": step["server_cpu_us_per_message"],
            "cpu_ratio_to_c": step["server_cpu_us_per_message"] / c[k]["server_cpu_us_per_message"],
            "cpu_ratio_to_c_same_load": step["server_cpu_us_per_message"] / c_open[k]["server_cpu_us_per_message"],
            "saturation_rate": run["sweep"]["saturation_rate"],
            "saturation_ratio_to_c": run["sweep"]["saturation_rate"] / c[k]["chat_messages_per_second"],
            "saturation_ratio_to_c_open_loop": run["sweep"]["saturation_rate"] / c_sweep[k]["saturation_rate"]
            if c_sweep[k]["saturation_rate"] else 0,
            "fixed_rate_pass": step["pass"],
            "fixed_rate_latency_ms": step["latency_ms"],
            "load_average_before": run["load_average_before"],
        })
    r[p] = {
        "runs": runs,
        "per_round": per_round,
        "median_cpu_us_per_message": statistics.median(x["cpu_us_per_message"] for x in per_round),
        "median_cpu_ratio_to_c": statistics.median(x["cpu_ratio_to_c"] for x in per_round),
        "median_cpu_ratio_to_c_same_load": statistics.median(x["cpu_ratio_to_c_same_load"] for x in per_round),
        "median_saturation_rate": statistics.median(x["saturation_rate"] for x in per_round),
        "median_saturation_ratio_to_c": statistics.median(x["saturation_ratio_to_c"] for x in per_round),
        "median_saturation_ratio_to_c_open_loop":
            statistics.median(x["saturation_ratio_to_c_open_loop"] for x in per_round),
    }
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps({k: v for k, v in r.items() if k not in protocols} | {
    p: {k: v for k, v in r[p].items() if k != "runs"} for p in protocols}, indent=2, sort_keys=True))
PY
fi

if wants b8; then
    # Idle CPU: K authenticated chat connections held by server-bench idle (SDK clients, no client pings; the
    # clients answer the server's pings). The server's CPU is read over --b8-seconds once every connection is up,
    # and for 20 s before they connect (matched guests, no chat sockets: the floor of timers and housekeeping).
    for run in $b8_runs; do
        protocol="${run%%:*}"
        interval="${run##*:}"
        say "B8 idle CPU: $b8_conns $protocol chat connections, ping interval $interval s, $b8_seconds s"
        server_flags="--ping-interval $interval"
        start_server
        server_flags=""
        machine >"$results/server-b8-$protocol-ping$interval.txt"
        control="$work/b8-$protocol-$interval"
        mkdir -p "$control"
        "$bench_bin" idle --server "$(url)" --protocol "$protocol" --conns "$b8_conns" --control "$control" &
        bench_pid=$!
        wait_file "$control/matched"
        sleep 2
        t0=$(date +%s.%N); c0=$(cpu_ticks)
        sleep 20
        t1=$(date +%s.%N); c1=$(cpu_ticks)
        touch "$control/go"
        wait_file "$control/connected"
        sleep 10  # connection set-up settles
        load_avg="$(cut -d' ' -f1-3 /proc/loadavg)"
        t2=$(date +%s.%N); c2=$(cpu_ticks)
        : >"$work/b8-samples.txt"
        for _ in $(seq $((b8_seconds / 10))); do
            sleep 10
            echo "$(date +%s.%N) $(cpu_ticks)" >>"$work/b8-samples.txt"
        done
        t3=$(date +%s.%N); c3=$(cpu_ticks)
        open_fds=$(ls "/proc/$server_pid/fd" | wc -l)
        threads=$(kb Threads)
        profile_server "$results/server-b8-profile-$protocol-ping$interval.txt" 30 \
            "chat-server, B8: $b8_conns idle $protocol chat connections, ping interval $interval s"
        touch "$control/done"
        wait "$bench_pid" || true
        python3 - "$results/server-b8-$protocol-ping$interval.json" "$control/connected" "$work/b8-samples.txt" \
            "$protocol" "$interval" "$b8_conns" "$(getconf CLK_TCK)" "$t0 $c0 $t1 $c1 $t2 $c2 $t3 $c3" \
            "$open_fds" "$threads" "$load_avg" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import json, sys
dst, connected, samples, protocol, interval, conns, tck, marks, fds, threads, load0, load1 = sys.argv[1:]
tck = int(tck)
t0, c0, t1, c1, t2, c2, t3, c3 = (float(x) for x in marks.split())
c = json.load(open(connected))
n = c["connected"]
base = (c1 - c0) / tck / (t1 - t0)  # cores, no chat connections
busy = (c3 - c2) / tck / (t3 - t2)  # cores, n idle chat connections
interval = float(interval)
series, prev = [], (t2, c2)
for line in open(samples):
    t, ticks = (float(x) for x in line.split())
    series.append(round((ticks - prev[1]) / tck / (t - prev[0]) * 100, 3))
    prev = (t, ticks)
per10k = busy * 100 * 10000 / n if n else None
# At upstream's 54 s period: the connection-driven part scales with the ping rate (interval / 54); the floor does not.
per10k_54 = ((busy - base) * interval / 54 + base) * 100 * 10000 / n if n else None
r = {
    "benchmark": "B8 server CPU with idle authenticated chat connections (pings only)",
    "protocol": protocol, "ping_interval_seconds": interval, "connections_requested": int(conns),
    "connections": n, "failed": c["failed"], "connect_seconds": c["connect_seconds"],
    "measured_seconds": t3 - t2, "server_cpu_seconds": (c3 - c2) / tck,
    "server_cpu_percent_of_one_core": busy * 100,
    "server_cpu_percent_before_connections": base * 100, "before_connections_seconds": t1 - t0,
    "server_cpu_percent_per_10k_connections": per10k,
    "server_cpu_percent_per_10k_connections_at_54s": per10k_54,
    "cpu_percent_every_10s": series, "server_open_fds": int(fds), "server_threads": int(threads),
    "ping_rate_per_second": n / interval if n else 0,
    "cpu_us_per_ping": (c3 - c2) / tck * 1e6 / (n * (t3 - t2) / interval) if n else None,
    "load_average_before": load0, "load_average_after": load1,
    "note": "percent of one core = server user+system CPU seconds / wall seconds x 100 (/proc/<pid>/stat 14+15); "
            "per-10k-at-54 s scales the part above the no-connection floor by interval/54",
}
json.dump(r, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps(r, indent=2, sort_keys=True))
PY
        stop_server
    done
fi

if $report; then
    say "write the server section of BENCHMARKS.md"
    python3 "$here/server-report.py" "$results" "$root/BENCHMARKS.md"
fi
say "done; results in $results"

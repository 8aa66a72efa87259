#!/usr/bin/env bash
# Where does B4's latency tail come from? A/B probe at B4's fixed load (v1, 1,000 connections, 500 msg/s, wsload):
# the server's data folder on the disk (as in server.sh) vs on tmpfs (/dev/shm: SQLite's fsyncs cost nothing),
# interleaved rounds, each on a fresh server. Alongside every run it sums the run-queue delay of all server threads
# (/proc/<pid>/task/*/schedstat field 2: time runnable but waiting for a CPU) over the measured window. Writes
# results/latest/server-b4-tail.json.
#
#   Benchmarks/probe-b4-tail.sh [rounds]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
rounds="${1:-2}"
# shellcheck source=probe-common.sh
. "$here/probe-common.sh"
shm="$(mktemp -d /dev/shm/b4-tail.XXXXXX)"
cleanup="$shm"
run_delay_ns() { cat /proc/"$server_pid"/task/*/schedstat 2>/dev/null | awk '{s += $2} END {printf "%.0f\n", s}'; }
oncpu_ns() { cat /proc/"$server_pid"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'; }
: >"$work/runs.txt"
for round in $(seq "$rounds"); do
    for where in disk tmpfs; do
        data="$work/data-$round"
        [ "$where" = tmpfs ] && data="$shm/data-$round"
        start_b4_server "$data" v1
        "$work/wsload" --port "$port" --conns "$work/tokens.txt" --protocol v1 --rates 500 --seconds 12 --warmup 2 \
            --drain 5 --server-pid "$server_pid" --all-steps >"$work/load.json" &
        load_pid=$!
        sleep 3.2  # connect (≈1 s) + 1 s settle + the 2 s warm-up, roughly
        d0=$(run_delay_ns); o0=$(oncpu_ns); t0=$(date +%s%N)
        sleep 8
        d1=$(run_delay_ns); o1=$(oncpu_ns); t1=$(date +%s%N)
        wait "$load_pid"
        echo "$round $where $((d1 - d0)) $((o1 - o0)) $((t1 - t0)) $(cut -d' ' -f1-3 /proc/loadavg) $(tr -d '\n' <"$work/load.json")" \
            >>"$work/runs.txt"
        echo "round $round, $where: $(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["steps"][0]; print(s["latency_ms"], s["server_cpu_us_per_message"], "us/msg")' "$work/load.json")" >&2
        stop_server
    done
done
python3 - "$here/results/latest/server-b4-tail.json" "$work/runs.txt" <<'PY'
import json, sys
dst, runs = sys.argv[1:]
out = {"probe": "B4 latency tail: v1, 1,000 connections, 500 msg/s (wsload, 12 s, 2 s warm-up); data folder on disk "
                "vs tmpfs; run_delay = time server threads were runnable but waiting for a CPU "
                "(/proc/<pid>/task/*/schedstat field 2), summed over threads, over 8 s inside the window",
       "runs": []}
for line in open(runs):
    parts = line.split(" ", 8)
    rnd, where, delay, oncpu, wall, l1, l5, l15, load = parts
    step = json.loads(load)["steps"][0]
    out["runs"].append({
        "round": int(rnd), "data": where, "latency_ms": step["latency_ms"],
        "server_cpu_us_per_message": step["server_cpu_us_per_message"], "lost": step["lost"],
        "server_run_delay_ms_per_second": int(delay) / 1e6 / (int(wall) / 1e9),
        "server_on_cpu_ms_per_second": int(oncpu) / 1e6 / (int(wall) / 1e9),
        "load_average": f"{l1} {l5} {l15}",
    })
json.dump(out, open(dst, "w"), indent=2, sort_keys=True)
print(json.dumps(out, indent=2, sort_keys=True))
PY

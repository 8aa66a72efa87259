#!/usr/bin/env bash
# CI's smoke of the server benchmarks (issue 9): B5 idle memory and B3 latency at 200 connections, release builds,
# with generous bounds. It runs server.sh (--only b5,b3, one round each, results in a temporary folder, so the
# committed results and BENCHMARKS.md are never touched) and fails when a bound is broken. The bounds catch a
# regression by a large factor (a leak per connection, a lost message, a stalled path), not a few percent: this
# machine's timings swing up to 3× between runs, and the real figures come from server.sh's full runs.
#
#   Benchmarks/server-smoke.sh [--conns 200] [--seconds 10]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
conns=200
seconds=10
while [ $# -gt 0 ]; do
    case "$1" in
    --conns) conns="$2"; shift ;;
    --seconds) seconds="$2"; shift ;;
    *) echo "usage: $0 [--conns N] [--seconds S]" >&2; exit 64 ;;
    esac
    shift
done
results="$(mktemp -d)"
trap 'rm -rf "$results"' EXIT

"$here/server.sh" --only b5,b3 --idle "$conns" --b5-rounds 1 --no-b5-baseline \
    --b3-bots "$conns" --b3-rounds 1 --b3-seconds "$seconds" --no-b3-profile --results "$results"

python3 - "$results" "$conns" <<'PY'
import json, os, sys
results, conns = sys.argv[1], int(sys.argv[2])
b5 = json.load(open(os.path.join(results, f"server-b5-{conns}.json")))
b3 = json.load(open(os.path.join(results, f"server-b3-{conns}.json")))
latency = b3.get("latency", {})
# (what, measured, bound, why this bound)
checks = [
    ("B5 connections held", b5["connections"], conns, "every requested connection authenticated and idle", ">="),
    ("B5 server RSS per idle connection, KB", b5["rss_kb_per_connection"], 40,
     "4x the target (10 KB): at 200 connections the server's fixed costs and RSS's pages and arenas weigh more "
     "per connection (17 KB measured, against 7-8 KB at 1,000 and 9,000)", "<="),
    ("B5 server heap in use per idle connection, KB", b5["malloc_in_use_kb_per_connection"], 16,
     "glibc's in-use bytes are steadier than RSS: 8.3 KB measured at 200, 5.0-5.3 KB at 1,000 and 9,000", "<="),
    ("B3 BotFleet exit status", b3.get("botfleet_exit_status"), 0, "the fleet finished", "<="),
    ("B3 messages lost", b3.get("lost"), 0, "zero loss", "<="),
    ("B3 duplicates", b3.get("duplicates"), 0, "no message twice", "<="),
    ("B3 out of order", b3.get("out_of_order"), 0, "each channel's order kept", "<="),
    ("B3 messages delivered", b3.get("delivered"), b3.get("sent") or 1, "every message sent (and at least one)", ">="),
    ("B3 p50 one-way latency, ms", latency.get("p50_ms"), 3, "20x the target (0.15 ms); 0.64 ms measured at 200",
     "<="),
    ("B3 p99 one-way latency, ms", latency.get("p99_ms"), 10, "10x the target (1 ms); 1.2 ms measured at 200", "<="),
]
failed = False
for what, value, bound, why, op in checks:
    ok = value is not None and (value <= bound if op == "<=" else value >= bound)
    failed |= not ok
    shown = f"{value:.3f}" if isinstance(value, float) else str(value)
    print(f"{'ok  ' if ok else 'FAIL'} {what}: {shown} (bound {op} {bound}: {why})")
sys.exit(1 if failed else 0)
PY

#!/usr/bin/env python3
"""BENCHMARKS.md's server section (B3, B4, B5, B6, B7, B8, B9) from results/latest/server-*.json, written by server.sh.

    server-report.py RESULTS BENCHMARKS.md   patches the file in place: the B3-B9 rows of the summary table
                                             and the part between the server-benchmarks markers (appended if absent)

report.py imports rows() and section() so that run.sh keeps the server figures.
"""
import json
import os
import sys

BEGIN = "<!-- server-benchmarks:begin (Benchmarks/server.sh, server-report.py) -->"
END = "<!-- server-benchmarks:end -->"


def _load(results, name):
    path = os.path.join(results, name)
    return json.load(open(path)) if os.path.exists(path) else None


def _text(results, name):
    path = os.path.join(results, name)
    return open(path).read().rstrip() if os.path.exists(path) else None


def _verdict(ok):
    return "meets" if ok else "**misses**"


def _b4_rows(results):
    b4 = _load(results, "server-b4.json")
    if not b4:
        return []
    c = b4["c_floor"]
    out = []
    for p in ("v1", "v2"):
        r = b4.get(p)
        if not r:
            continue
        cpu, ratio = r["median_cpu_us_per_message"], r["median_cpu_ratio_to_c"]
        sat, sat_ratio = r["median_saturation_rate"], r["median_saturation_ratio_to_c"]
        rate = r["runs"][0]["fixed"]["steps"][0]["rate"]
        conns = r["runs"][0]["fixed"]["connections"]
        ok_cpu = cpu <= 30 and ratio <= 3
        ok_sat = sat_ratio >= 0.5
        name = "v1 JSON" if p == "v1" else "v2 protobuf"
        out.append(f"| B4 | {name}: server CPU per chat message (1 in, 2 out, persisted) at {rate:,.0f} msg/s, "
                   f"{conns:,} connections (C load generator), median of {b4['rounds']} rounds | ≤ 30 µs and ≤ 3× "
                   f"the C fan-out's CPU/msg | {cpu:.1f} µs = {ratio:.1f}× C ({c['median_server_cpu_us_per_message']:.1f} µs) "
                   f"| – | {_verdict(ok_cpu)} |")
        best = _median([run["sweep"].get("highest_passing_rate", 0) for run in r["runs"]])
        out.append(f"| B4 | {name}: saturation (last open-loop step with p99 ≤ 10 ms and zero loss before the first "
                   f"failing step), median of rounds | ≥ 0.5× the C fan-out's rate | {sat:,.0f} msg/s = {sat_ratio:.3f}× C "
                   f"({c['median_chat_messages_per_second']:,.0f} msg/s, closed loop); highest passing step, median: "
                   f"{best:,.0f} msg/s = {best / c['median_chat_messages_per_second']:.3f}× | – | {_verdict(ok_sat)} |")
    return out


def _median(values):
    values = sorted(values)
    return values[len(values) // 2] if len(values) % 2 else (values[len(values) // 2 - 1] + values[len(values) // 2]) / 2


def _b8_runs(results):
    if not os.path.isdir(results):
        return []
    runs = [_load(results, f) for f in sorted(os.listdir(results))
            if f.startswith("server-b8-") and f.endswith(".json")]
    return sorted((r for r in runs if r), key=lambda r: (r["protocol"], r["ping_interval_seconds"]))


def _b8_rows(results):
    runs = _b8_runs(results)
    if not runs:
        return []
    out = []
    for r in runs:
        # Since the NIO hot path every idle cost is per ping period (event-loop timers), so both protocols scale.
        v = r["server_cpu_percent_per_10k_connections_at_54s"]
        how = ("measured at 54 s" if r["ping_interval_seconds"] == 54
               else f"measured at {r['ping_interval_seconds']:g} s, scaled to 54 s")
        out.append(f"| B8 | server CPU, {r['connections']:,} idle {r['protocol']} chat connections, server ping every "
                   f"{r['ping_interval_seconds']:g} s, {r['measured_seconds']:.0f} s | ≤ 0.5 % of one core per 10k "
                   f"connections at 54 s | {r['server_cpu_percent_of_one_core']:.2f} % of a core; per 10k: "
                   f"{v:.2f} % ({how}; {v / 0.5:.1f}×) | – | {_verdict(v <= 0.5)} |")
    return out


def _b8_per10k_cell(r):
    return f"{r['server_cpu_percent_per_10k_connections_at_54s']:.2f} %"


def _b4_section(results):
    b4 = _load(results, "server-b4.json")
    if not b4:
        return []
    lines = []
    add = lines.append
    c = b4["c_floor"]
    add("### B4 CPU per chat message and saturation (targets ≤ 30 µs and ≤ 3× C; saturation ≥ 0.5× C)")
    add("")
    add("Same job, interleaved rounds (C, v1, v2, C, v1, v2, …), each chat-server run on a fresh server:")
    add("")
    add("* **C floor** (`Benchmarks/c/fanout.c`, performance-notes Appendix A, built by server.sh with `cc -O2`): a")
    add("  single-thread epoll server writes each 128-byte frame read from connection *i* to *i* and *i*^1 (one")
    add("  `write()` each); a single-thread epoll C client runs 100 channels closed loop (the even member sends a")
    add("  stamped frame, the odd member records the latency and triggers the next send), 5 s after 0.5 s of")
    add("  warm-up. Server CPU = `/proc/<pid>/stat` fields 14 + 15 over the measured window ÷ chat messages.")
    add("* **chat-server**: `server-bench tokens` signs up and matches the guests through the SDK; then")
    add("  `Benchmarks/c/wsload.c`, a single-thread epoll C client, opens the chat websockets itself (v1: `uid` and")
    add("  `access_token` in the query, JSON text frames; v2: `rc.v2.proto`, `Authorization: Bearer`, protobuf")
    add("  `send` commands with command id 0, so no ack: 1 frame in, 2 out as in v1). Open loop: message *k* of a")
    add("  step is scheduled at t0 + *k*/rate and sent by connection *k* mod N, so every connection sends")
    add("  rate/N per second, evenly staggered; latency runs from the *scheduled* time to the peer's receipt")
    add("  (31-byte text carrying sender and time). Each message is stored (SQLite) before fan-out, as in")
    add("  production. The server's per-channel message cap and v2 send rate limit are lifted for the sweep.")
    add("  CPU per message: server CPU between the end of the warm-up and the end of the sending ÷ messages")
    add("  scheduled in between. Saturation: steps of increasing rate (6 s each, 1 s warm-up, up to 3 s drain);")
    add("  the last step with p99 ≤ 10 ms, every message delivered to both members and no connection closed.")
    add("")
    add("| round | C: msgs/s (p99) | C: CPU/msg | protocol | CPU/msg at fixed rate (÷ C) | p50 / p99 at fixed rate "
        "| saturation (÷ C) | highest passing step | load average before |")
    add("|---|---|---|---|---|---|---|---|---|")
    for k, cr in enumerate(c["rounds"]):
        for p in ("v1", "v2"):
            r = b4.get(p)
            if not r:
                continue
            x = r["per_round"][k]
            lat = x["fixed_rate_latency_ms"]
            add(f"| {k + 1} | {cr['chat_messages_per_second']:,.0f} ({cr['latency_us']['p99'] / 1000:.1f} ms) | "
                f"{cr['server_cpu_us_per_message']:.1f} µs | {p} | {x['cpu_us_per_message']:.1f} µs "
                f"({x['cpu_ratio_to_c']:.1f}×) | {lat['p50']:.2f} / {lat['p99']:.2f} ms | {x['saturation_rate']:,.0f} "
                f"({x['saturation_ratio_to_c']:.3f}×) | {r['runs'][k]['sweep'].get('highest_passing_rate', 0):,.0f} | "
                f"{x['load_average_before']} |")
    add("")
    for p in ("v1", "v2"):
        r = b4.get(p)
        if not r:
            continue
        add(f"Sweep, {p}, round 1 (rate → p50 / p99, lost, server CPU/msg, server CPU %):")
        add("")
        add("| rate | p50 | p99 | p99.9 | lost (peer / echo) | closed | server CPU/msg | server CPU | generator CPU/msg "
            "| pass |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for s in r["runs"][0]["sweep"]["steps"]:
            lat = s["latency_ms"]
            add(f"| {s['rate']:,.0f} | {lat['p50']:.2f} ms | {lat['p99']:.2f} ms | {lat['p99.9']:.2f} ms | "
                f"{s['lost']} / {s['lost_echoes']} | {s['closed_connections']} | {s['server_cpu_us_per_message']:.1f} µs "
                f"| {s['server_cpu_percent']:.0f} % | {s['client_cpu_us_per_message']:.1f} µs | "
                f"{'yes' if s['pass'] else 'no'} |")
        add("")
    add("Medians over the rounds: " + "; ".join(
        f"{p}: {b4[p]['median_cpu_us_per_message']:.1f} µs/msg ({b4[p]['median_cpu_ratio_to_c']:.1f}× C), "
        f"saturation {b4[p]['median_saturation_rate']:,.0f} msg/s ({b4[p]['median_saturation_ratio_to_c']:.3f}× C)"
        for p in ("v1", "v2") if p in b4) + f"; C floor {c['median_server_cpu_us_per_message']:.1f} µs/msg, "
        f"{c['median_chat_messages_per_second']:,.0f} msg/s.")
    add("")
    lines.extend(_b4_analysis(b4))
    tail = _load(results, "server-b4-tail.json")
    if tail:
        add("")
        add("**Tail probe** (`probe-b4-tail.sh`, v1 at the fixed load, interleaved rounds on fresh servers, a separate "
            "run from the rounds above): the data folder on the disk (as above) vs on tmpfs, where fsync costs nothing; *run delay* is the time "
            "the server's threads were runnable but waiting for a CPU (`/proc/<pid>/task/*/schedstat`), summed over "
            "threads, per second of wall time.")
        add("")
        add("| round | data folder | p50 | p99 | p99.9 | server CPU/msg | server on CPU | server run delay | load "
            "average |")
        add("|---|---|---|---|---|---|---|---|---|")
        for r in tail["runs"]:
            lat = r["latency_ms"]
            add(f"| {r['round']} | {r['data']} | {lat['p50']:.2f} ms | {lat['p99']:.2f} ms | {lat['p99.9']:.2f} ms | "
                f"{r['server_cpu_us_per_message']:.0f} µs | {r['server_on_cpu_ms_per_second']:.0f} ms/s | "
                f"{r['server_run_delay_ms_per_second']:.0f} ms/s | {r['load_average']} |")
        add("")
        lines.extend(_tail_reading(tail, b4))
    add("")
    add(EARLIER_B4_RUN)
    for p in ("v1", "v2"):
        text = _text(results, f"server-b4-profile-{p}.txt")
        if text:
            add("")
            add(f"Profile, {p} (first lines of `server-b4-profile-{p}.txt`):")
            add("")
            add("```")
            lines.extend(text.split("\n")[:40])
            add("```")
    add("")
    lines.extend(_machine(results, "server-b4.txt"))
    add("")
    return lines


def _b8_section(results):
    runs = _b8_runs(results)
    if not runs:
        return []
    lines = []
    add = lines.append
    add("### B8 idle CPU (target ≤ 0.5 % of one core per 10,000 idle connections at upstream's 54 s ping period)")
    add("")
    add("`server-bench idle --conns K`: K SDK clients sign up and match (K/2 channels, match sockets closed), then")
    add("hold K authenticated chat sessions that send nothing (client pings off; they answer the server's pings:")
    add("websocket pings on v1, `ping` pushes on v2). The server's CPU (`/proc/<pid>/stat` 14 + 15) is read for 20 s")
    add("before the chat sessions connect (the floor: timers and housekeeping with no chat connection) and, 10 s after")
    add("all are connected, over the measured window. The server pings every `--ping-interval` seconds (default 30;")
    add("upstream 54). Per 10k at 54 s = ((CPU − floor) × interval / 54 + floor) × 10,000 / K; a run at 54 s needs")
    add("no scaling. A perf profile (30 s, after the window) is in `server-b8-profile-*.txt`.")
    add("")
    add("| protocol | connections | ping interval | window | server CPU | floor (no connections) | per 10k at 54 s | "
        "CPU per ping (all server CPU ÷ pings) | every 10 s | load average |")
    add("|---|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        series = ", ".join(f"{x:.2f}" for x in r["cpu_percent_every_10s"])
        add(f"| {r['protocol']} | {r['connections']:,} | {r['ping_interval_seconds']:g} s | {r['measured_seconds']:.0f} s"
            f" | {r['server_cpu_percent_of_one_core']:.2f} % | {r['server_cpu_percent_before_connections']:.2f} % | "
            f"{_b8_per10k_cell(r)} | {r['cpu_us_per_ping']:.0f} µs | "
            f"{series} % | {r['load_average_before']} |")
    lines.extend(_b8_analysis(runs))
    add("")
    lines.extend(_machine(results, f"server-b8-{runs[0]['protocol']}-ping{runs[0]['ping_interval_seconds']:g}.txt"))
    add("")
    return lines


def _b4_analysis(b4):
    """The reading of B4. Figures come from server-b4.json; the profile shares quoted in the prose are those of the
    committed run's server-b4-profile-*.txt (perf, round 1) and must be re-read when the run is repeated."""
    c = b4["c_floor"]
    v1, v2 = b4.get("v1"), b4.get("v2")
    if not v1 or not v2:
        return []
    out = []
    add = out.append
    steps = v1["runs"][0]["sweep"]["steps"]
    low, high = steps[0], steps[-1]
    c_p99 = [x["latency_us"]["p99"] / 1000 for x in c["rounds"]]
    fixed = [r["fixed"]["steps"][0] for r in v1["runs"]]
    add(f"**Both B4 targets missed, by far.** v1 costs {v1['median_cpu_us_per_message']:.0f} µs of server CPU per chat "
        f"message at the fixed rate ({v1['median_cpu_ratio_to_c']:.0f}× the C floor's "
        f"{c['median_server_cpu_us_per_message']:.1f} µs; target ≤ 3× and ≤ 30 µs), v2 "
        f"{v2['median_cpu_us_per_message']:.0f} µs ({v2['median_cpu_ratio_to_c']:.0f}×). Saturation (p99 ≤ 10 ms, zero "
        f"loss) is {v1['median_saturation_rate']:,.0f} msg/s for v1 ({v1['median_saturation_ratio_to_c']:.3f}× C) and "
        f"{v2['median_saturation_rate']:,.0f} msg/s for v2 ({v2['median_saturation_ratio_to_c']:.3f}× C) against "
        f"{c['median_chat_messages_per_second']:,.0f} msg/s for C (target ≥ 0.5×).")
    add("")
    def first_fail(run):
        return next((st for st in run["sweep"]["steps"] if not st["pass"]), None)

    def best(run):
        passing = [st for st in run["sweep"]["steps"] if st["pass"]]
        return max(passing, key=lambda st: st["rate"]) if passing else None

    parts = []
    for p, r in (("v1", v1), ("v2", v2)):
        for k, run in enumerate(r["runs"]):
            f, b = first_fail(run), best(run)
            text = f"{p} round {k + 1}: "
            text += (f"first failure at {f['rate']:,.0f} msg/s (p99 {f['latency_ms']['p99']:.1f} ms, server at "
                     f"{f['server_cpu_percent']:.0f} % of a core)") if f else "no failure"
            if b:
                text += f", highest passing {b['rate']:,.0f} msg/s ({b['server_cpu_percent']:.0f} %)"
            parts.append(text)
    add("* **Saturation is set by the p99 bound, and the bound is noisy.** " + "; ".join(parts) + ". A single p99 "
        "blip above 10 ms at a low step ends the sweep under the notes' rule (the last passing step before the first "
        f"failure), so the figure swings between rounds (v1: {min(x['saturation_rate'] for x in v1['per_round']):,.0f}"
        f"–{max(x['saturation_rate'] for x in v1['per_round']):,.0f} msg/s in this run); steps "
        "that pass after a failure show the server has CPU left (100 % = one core; both vCPUs are usable). The C "
        f"floor's own p99 at its closed-loop rate is {min(c_p99):.0f}–{max(c_p99):.0f} ms (100 frames always in "
        "flight), so its rate is a throughput, not a p99 ≤ 10 ms figure; the ratio follows the notes' definition, "
        "and at these ratios the verdict does not depend on it. The other engineers' builds share the two vCPUs "
        "(load average in the table); see the tail probe below.")
    top = best(v1["runs"][0]) or high
    add(f"* **CPU per message falls with the rate** (v1 round 1: {low['server_cpu_us_per_message']:.0f} µs at "
        f"{low['rate']:,.0f} msg/s, {top['server_cpu_us_per_message']:.0f} µs at {top['rate']:,.0f}): most of it is "
        "paid per wake-up, not per byte. Since the NIO hot path (websockets as channel handlers, no task per "
        "connection) the frame is read, decoded and fanned out on the event loops, and since the message append "
        "runs GRDB's synchronous write on the drain task's thread (no hop to GRDB's writer queue and back; the run "
        "before that change, in git history at fe1a2ed, measured v1 270 µs = 28.8× and v2 174 µs = 18.6× its C "
        "floor, saturation 1,500 / 4,000 msg/s) a message makes one hop: event loop → its connection's drain task "
        "on the Swift pool (persist, fan out) → the event loops write. The v1 profile "
        "(`server-b4-profile-v1.txt`: perf cpu-clock, user + kernel, 500 msg/s, round 1) has 55 % of its samples in "
        "the kernel (wake-ups, futexes, context switches, the socket writes), the Swift pool ≈ 52 % (drain tasks, "
        "SQLite ≈ 10 %) and the two event loops ≈ 48 %; GRDB's writer threads are gone from it (< 1 %). At 500 "
        "msg/s nearly every message still wakes a sleeping pool thread and two event loops.")
    add("* **What would move it:** (1) no hop to the Swift pool for a message: run the session's logic on the event "
        "loop (or NIO's event loop installed as the global executor, performance-notes §2.3); (2) group commit — "
        "append the messages that arrive in one loop tick in one transaction; (3) flush once per read batch. The syscall floor per message is ≈ 4.4 µs (notes §4 B4); the C floor "
        f"measured here is {c['median_server_cpu_us_per_message']:.1f} µs.")
    return out


# The same server.sh --only b4 earlier in the same session, on a busier machine; its results are in git history.
EARLIER_B4_RUN = (
    "An earlier run of the same script in the same session (results in git history at commit bdedbcf; load "
    "average ≈ 5 against ≈ 2–4 here) measured: C floor 40,485 msg/s, 8.3 µs/msg; v1 328 µs/msg (39.7×), "
    "saturation 1,500 msg/s (0.037×); v2 742 µs/msg (88×), saturation 500 msg/s (0.014×); fixed-rate p99 "
    "6.5–9.1 ms. CPU per message moved by ≈ 15 %, the C floor's rate by 1.7× and the saturation figures by up to "
    "4×: on this VM the ratios of CPU per message are the robust figures."
)


def _tail_reading(tail, b4):
    runs = tail["runs"]
    disk = [r for r in runs if r["data"] == "disk"]
    tmpfs = [r for r in runs if r["data"] == "tmpfs"]
    if not disk or not tmpfs:
        return []

    def span(rs, f):
        values = [f(r) for r in rs]
        return f"{min(values):.1f}–{max(values):.1f}"

    delay = [r["server_run_delay_ms_per_second"] / r["server_on_cpu_ms_per_second"] for r in runs]
    return [
        f"Reading: p99 was {span(disk, lambda r: r['latency_ms']['p99'])} ms with the data on disk and "
        f"{span(tmpfs, lambda r: r['latency_ms']['p99'])} ms on tmpfs, so the disk is part of the tail but not all of "
        "it (GRDB runs SQLite's WAL with `synchronous = NORMAL`: no fsync per commit, but each automatic checkpoint, "
        "every ≈ 1,000 WAL pages, writes the pages back and fsyncs on the writer's thread while the next appends "
        "wait). The server's threads spent "
        f"{min(delay) * 100:.0f}–{max(delay) * 100:.0f} % as much time waiting in the run queue as running, on a "
        "machine shared with other engineers' builds — CPU contention is the other part, which is why the "
        "saturation figure, set by a p99 bound, moves with the machine's load (compare the earlier run below). "
        "The CPU per message does not depend on where the data lives."
    ]


def _b8_analysis(runs):
    """The reading of B8, from the server-b8-*.json results and the committed server-b8-profile-*.txt."""
    out = []
    add = out.append
    by = {(r["protocol"], r["ping_interval_seconds"]): r for r in runs}
    v1 = [r for r in runs if r["protocol"] == "v1"]
    v2 = [r for r in runs if r["protocol"] == "v2"]
    for r in v1:
        v = r["server_cpu_percent_per_10k_connections_at_54s"]
        add(f"* v1, pings every {r['ping_interval_seconds']:g} s: {r['server_cpu_percent_of_one_core']:.2f} % of a core "
            f"for {r['connections']:,} connections ({r['ping_rate_per_second']:.0f} pings/s, "
            f"{r['cpu_us_per_ping']:.0f} µs of server CPU per ping and pong including everything else the idle "
            f"server does) → {v:.2f} % per 10k at 54 s: {_verdict(v <= 0.5)}.")
    if v1:
        add("")
        add("Where the idle CPU goes (`server-b8-profile-*.txt`, perf over 30 s after the window; few samples, so "
            "shares are rough): since the NIO hot path each connection's pings come from one NIO scheduled task on "
            "its event loop (`WebSocketConnection.heartbeat`), the pong is read by the channel handler, and no Swift "
            "task wakes; the event loops hold most of the samples, the kernel ≈ 35–45 % (`finish_task_switch`), and "
            "the Swift pool's share is the server's fixed timers (the matchmaker's 100 ms tick), part of the floor "
            "measured before connecting and subtracted. The notes estimated ≈ 3 µs for a ping write plus a pong "
            f"read; the measured {v1[0]['cpu_us_per_ping']:.0f} µs per ping (floor included) is "
            f"{v1[0]['cpu_us_per_ping'] / 3:.0f}× that: 9,000 separately scheduled tasks (`ScheduledTask` copies, "
            "timer heap) that fire together because every connection connected within a few seconds, each a "
            "wake-up, a write and a flush. What would close it: one timer per event loop walking its connections "
            "(pings batched into one flush per loop tick), and constant ping data.")
    for r in v2:
        v = r["server_cpu_percent_per_10k_connections_at_54s"]
        add("")
        add(f"v2, pings every {r['ping_interval_seconds']:g} s: {r['server_cpu_percent_of_one_core']:.2f} % of a core "
            f"for {r['connections']:,} idle connections, {v:.2f} % per 10k at 54 s ({v / 0.5:.1f}× the target): "
            f"{_verdict(v <= 0.5)}. Per period a v2 connection gets a websocket ping and the v2 `ping` push (two "
            f"frames, two answers), {r['cpu_us_per_ping']:.0f} µs per period in all. Before the NIO hot path the "
            "same run cost 58.9 % per 10k (a 100 ms poll task per connection; results at commit 40bf257).")
    if not out:
        return []
    out.insert(0, "")
    return out


def rows(results):
    """Summary-table rows keyed by target id; ids without results are absent."""
    out = {}
    b6 = {p: _load(results, f"server-b6-{p}.json") for p in ("v1", "v2")}
    b6 = {p: r for p, r in b6.items() if r}
    if b6:
        def spread(r):
            values = r.get("rounds_pairs_per_second", [])
            return f", range {min(values):,.0f}–{max(values):,.0f} over {len(values)} rounds" if len(values) > 1 else ""
        parts = [f"{p}: {r['pairs_per_second']:,.0f} pairs/s ({r['pairs_per_second'] / 1500:.2f}×{spread(r)})"
                 for p, r in b6.items()]
        ok = all(r["pairs_per_second"] >= 1500 for r in b6.values())
        n = next(iter(b6.values()))["pairs_requested"]
        out["B6"] = [f"| B6 | matching end to end, {n:,} pairs at once over real websockets (SDK `match()`) | "
                     f"≥ 1,500 pairs/s | {'; '.join(parts)} | – | {_verdict(ok)} |"]
    b5 = sorted((r for r in (_load(results, f) for f in os.listdir(results) if f.startswith("server-b5-")
                             and f.endswith(".json") and "echo" not in f) if r),
                key=lambda r: r["connections"]) if os.path.isdir(results) else []
    if b5:
        big = b5[-1]
        echo = _load(results, f"server-b5-echo-{big['connections_requested']}.json")
        extra = f"; bare websocket on the same stack {echo['rss_kb_per_connection']:.1f} KB" if echo else ""
        out["B5"] = [f"| B5 | idle memory per authenticated v1 chat connection (server RSS delta ÷ K, memory reclaimer "
                     f"on) | ≤ 10 KB at "
                     f"9,000 | {big['rss_kb_per_connection']:.1f} KB at {big['connections']:,} "
                     f"({big['rss_kb_per_connection'] / 10:.1f}×){extra} | – | "
                     f"{_verdict(big['rss_kb_per_connection'] <= 10 and big['connections'] >= 9000)} |"]
    b7 = []
    for p in ("v1", "v2"):
        r = _load(results, f"server-b7-{p}-j1000.json")
        if r:
            t = r["listening_to_all_caught_up_seconds"]
            ok = t is not None and t <= 2.0 and r["messages_lost"] == 0 and r["caught_up"] == r["clients"]
            b7.append((p, r, t, ok))
    if b7:
        parts = [f"{p}: {t:.2f} s, {r['messages_lost']} lost" for p, r, t, _ in b7]
        out["B7"] = [f"| B7 | restart recovery after SIGKILL, {b7[0][1]['clients']:,} SDK clients, jitter window "
                     f"J = 1 s | all caught up ≤ J + 1 s = 2 s after the server listens, zero loss | "
                     f"{'; '.join(parts)} | – | {_verdict(all(ok for *_, ok in b7))} |"]
    b3 = _load(results, "server-b3-1000.json")
    if b3 and "latency" in b3:
        lat = b3["latency"]
        out["B3+"] = [f"| B3 | one-way latency, {b3['bots']:,} connections, {b3['channels'] * b3['rate_per_channel']:g} "
                      f"msg/s, staggered, open loop (BotFleet, {b3['duration_seconds']:g} s) | p50 ≤ 0.15 ms, p99 ≤ 1 ms | "
                      f"p50 {lat['p50_ms']} ms ({lat['p50_ms'] / 0.15:.1f}×), p99 {lat['p99_ms']} ms "
                      f"({lat['p99_ms']:.1f}×), p99.9 {lat['p99_9_ms']} ms, {b3['lost']} lost | – | "
                      f"{_verdict(lat['p50_ms'] <= 0.15 and lat['p99_ms'] <= 1)} |"]
    b9 = _load(results, "server-b9.json")
    if b9 and "put-default" in b9:
        put, get = b9["put-default"], b9["get"]
        ok = put["mb_per_second"] >= 100 and put["growth_kb"] <= 16 * 1024
        out["B9"] = [f"| B9 | one 100 MiB presigned PUT through the object endpoint (curl) | ≥ 100 MB/s, RSS growth "
                     f"≤ 16 MB | {put['mb_per_second']:,.0f} MB/s, growth {put['growth_kb'] / 1024:.1f} MB "
                     f"(GET {get['mb_per_second']:,.0f} MB/s, growth {get['growth_kb'] / 1024:.1f} MB) | – | "
                     f"{_verdict(ok)} |"]
    if _b4_rows(results):
        out["B4"] = _b4_rows(results)
    if _b8_rows(results):
        out["B8"] = _b8_rows(results)
    return out


def _machine(results, name):
    text = _text(results, name)
    return ["```", text, "```"] if text else []


def section(results):
    """The server section's lines (without the markers)."""
    lines = []
    add = lines.append
    add("## Server benchmarks (B3, B4, B5, B6, B7, B8, B9)")
    add("")
    add("Written by `Benchmarks/server.sh` (then `server-report.py`), run by hand: each target starts a fresh release")
    add("`chat-server` (temporary data folder, free port, `--log-level error`) and drives it from a second process,")
    add("`server-bench` (`Benchmarks/ServerBench`, built on ChatClientSDK) or curl. Server and clients share the two")
    add("vCPUs (≈1.1 cores of capacity, performance-notes §1) with each other and with other engineers' builds; the")
    add("load average is recorded with each result. One run each; figures on this VM move by up to 3× between runs.")
    add("Raw results: `Benchmarks/results/latest/server-*.json` (machine info in the matching `.txt`).")
    add("")

    b6 = [(p, _load(results, f"server-b6-{p}.json")) for p in ("v1", "v2")]
    b6 = [(p, r) for p, r in b6 if r]
    if b6:
        add("### B6 matching (target ≥ 1,500 pairs/s end to end)")
        add("")
        add("`server-bench match --pairs N`: 2N SDK clients sign up (not timed), then all 2N call `match()` at the same")
        add("moment; the clock runs from that moment to the last `match()` return. v1: the server sends the token on")
        add("the match socket and the SDK then asks `GET /api/chat/users` for the peer id; v2 (protobuf): `enqueue`,")
        add("`proposed`, both `confirm`, `matched`. Every channel is checked to have exactly two members. Rounds")
        add("interleave v1 and v2, each on a fresh server; the table shows the median round, with all rounds' rates.")
        add("")
        add("| protocol | pairs | wall | pairs/s (median round) | all rounds | ÷ target | match latency p50 / p99 / max "
            "| server CPU while matching | client CPU | errors |")
        add("|---|---|---|---|---|---|---|---|---|---|")
        for p, r in b6:
            lat = r["match_latency_ms"]
            cpu = r.get("cpu_seconds_while_matching", {})
            server = cpu.get("server_cpu_seconds")
            per_pair = f"{server:.2f} s ({server / r['pairs_complete'] * 1000:.2f} ms/pair)" if server else "–"
            client = f"{cpu['client_cpu_seconds']:.2f} s" if "client_cpu_seconds" in cpu else "–"
            rounds = ", ".join(f"{v:,.0f}" for v in r.get("rounds_pairs_per_second", [r["pairs_per_second"]]))
            add(f"| {p} | {r['pairs_complete']:,} | {r['wall_seconds']:.2f} s | {r['pairs_per_second']:,.0f} | "
                f"{rounds} | {r['pairs_per_second'] / 1500:.2f}× | {lat['p50']:.0f} / {lat['p99']:.0f} / {lat['max']:.0f} ms | "
                f"{per_pair} | {client} | {r['errors']} |")
        add("")
        first = b6[0][1]
        cpu = first.get("cpu_seconds_while_matching", {})
        server_ms = cpu.get("server_cpu_seconds", 0) / first["pairs_complete"] * 1000
        used = (cpu.get("server_cpu_seconds", 0) + cpu.get("client_cpu_seconds", 0)) / first["wall_seconds"]
        add(f"**Missed.** In the {b6[0][0]} median round server and client together used {used:.1f} CPU-seconds per")
        add("second of wall time, above the ≈1.1 cores performance-notes §1 measured as the box's parallel capacity:")
        add(f"the run was CPU-bound. The server alone spends {server_ms:.2f} ms of CPU")
        add("per pair (two websocket upgrades, session checks, channel creation, JWT signing, and in v1 the two")
        add(f"`GET /api/chat/users`), so even with a whole core to itself it would top out near {1000 / server_ms:,.0f}")
        add("pairs/s; 1,500 pairs/s needs that cost roughly halved *and* a client that")
        add("costs less. Since the last profile (`server-b6-profile-v1.txt`, `Benchmarks/profile-b6.sh`, taken before")
        add("these changes: ≈40 % of samples in Swift concurrency jobs, ≈24 % on the event loops, GRDB's statement")
        add("authorizer ≈4.5 %, i.e. statements compiled per query) every query goes through GRDB's statement cache,")
        add("a session lookup is a read (not a write transaction), and the websocket upgrade runs our own channel")
        add("handlers with no second session lookup after the 101 — from 1.54 to about 1 ms of server CPU per pair.")
        add("What is left is spread over the HTTP/upgrade path, JWT signing, channel creation (a write transaction")
        add("per pair) and thread hops; the client (SDK `match()`, also on these two vCPUs) costs nearly as much.")
        add("Not re-profiled in this run.")
        add("")
        for p, _ in b6[:1]:
            lines.extend(_machine(results, f"server-b6-{p}.txt"))
        add("")

    b9 = _load(results, "server-b9.json")
    if b9 and "put-default" in b9:
        add("### B9 upload (targets ≥ 100 MB/s for 100 MB, server RSS growth ≤ 16 MB)")
        add("")
        add("curl against a presigned URL (`GET /api/uploader/upload/presigned?ext=bin` with the channel token), one")
        add("100 MiB random file, loopback. Memory: server `VmRSS` before, `VmHWM` after and `VmRSS` sampled every")
        add("20 ms during the transfer; growth = max(HWM after, sampled peak) − RSS before. MB = 10^6 bytes.")
        add("")
        add("| transfer | seconds | MB/s | growth | server CPU |")
        add("|---|---|---|---|---|")
        for label, what in (("put-default", "PUT, curl defaults (sends `Expect: 100-continue`)"),
                            ("put-no-expect", "PUT without `Expect`"), ("get", "GET (presigned download)")):
            r = b9.get(label)
            if r:
                add(f"| {what} | {r['seconds']:.3f} | {r['mb_per_second']:,.0f} | {r['growth_kb'] / 1024:.1f} MB | "
                    f"{r['server_cpu_seconds']:.2f} s |")
        add("")
        add(f"Same-run disk floor (`dd … conv=fdatasync` into the data folder): {b9['disk_floor_dd_fdatasync']}; the")
        add("VM's disk is far faster today than the 155 MB/s of performance-notes §1, so the disk is not the limit.")
        add(f"Download identical to the upload: {'yes' if b9['download_identical'] else '**no**'}.")
        if "expect_100_continue_answered" in b9:
            answered = "yes" if b9["expect_100_continue_answered"] else "**no**"
            add(f"Server answers `Expect: 100-continue` with an interim `100 Continue` (2 MiB PUT, `curl -v`): {answered}.")
        add("")
        add("**Meets**, after a server fix made in this run: the server did not answer `Expect: 100-continue`, so curl")
        add("(which sends it for bodies over 1 MB, as S3-style SDKs do for PUTs) waited its 1 s expect timeout before")
        add("sending the body — the first measurement (results at commit 0294f2c) was 1.16 s, 90 MB/s (0.90×), with")
        add("the server idle (0.1 s of CPU, `profile-b9.sh`). `ExpectContinueHandler` now sends the interim")
        add("`100 Continue` (RFC 9110 §10.1.1). The")
        add(f"GET's growth ({b9['get']['growth_kb'] / 1024:.1f} MB here; 6.6–14 MB across this session's runs) is")
        add("within the bound but well above the PUT's; the GET goes through Hummingbird's `FileIO.loadFile`, and")
        add("where that memory sits (read-ahead chunks or NIO's outbound buffer on a fast loopback) was not profiled.")
        add("")
        lines.extend(_machine(results, "server-b9.txt"))
        add("")

    b5 = []
    if os.path.isdir(results):
        for f in sorted(os.listdir(results)):
            if f.startswith("server-b5-") and f.endswith(".json") and "echo" not in f:
                b5.append(_load(results, f))
    b5.sort(key=lambda r: r["connections"])
    if b5:
        add("### B5 idle memory per connection (target ≤ 10 KB at 9,000 connections)")
        add("")
        add("`server-bench idle --conns K`: K SDK clients sign up and match (K/2 channels; match sockets closed);")
        add("12 s later the script reads the server's `VmRSS`, `/proc/meminfo` Slab and `/metrics` (glibc's heap:")
        add("`malloc_in_use_bytes`, `malloc_free_bytes`, `malloc_trims_total`), the K v1 chat sessions connect (all")
        add("at once; each waits for `connected`), and 12 s later it reads them again. The waits are longer than the")
        add("server's memory reclaimer interval (10 s, on by default, so the figures are with it), so both samples come")
        add("after a check. Per connection = delta ÷ K. Baseline in the same run: K bare websockets (RFC 6455 handshake")
        add("only, `ws-holder.py`) to `/conformance/echo`, a websocket route with no authentication and no chat state")
        add("(same NIO handlers). `ulimit -n` is 20,000 (hard), so 9,000 is the largest count with the clients in one")
        add("process.")
        add("")
        add("| connections | chat: RSS per connection | chat: live heap per connection | bare websocket: RSS "
            "(live heap) per connection | kernel slab per connection pair (chat) | trims (chat) | connect time | "
            "failed |")
        add("|---|---|---|---|---|---|---|---|")

        def heap(r):
            value = r.get("malloc_in_use_kb_per_connection")
            return f"{value:.1f} KB" if value is not None else "–"

        for r in b5:
            echo = _load(results, f"server-b5-echo-{r['connections_requested']}.json")
            bare = f"{echo['rss_kb_per_connection']:.1f} KB ({heap(echo)})" if echo else "–"
            trims = r.get("malloc_trims_after")
            add(f"| {r['connections']:,} | {r['rss_kb_per_connection']:.1f} KB | {heap(r)} | {bare} | "
                f"{r['kernel_slab_kb_per_connection_pair']:.1f} KB | {trims if trims is not None else '–'} | "
                f"{r['connect_seconds']:.1f} s | {r['failed']} |")
        big = b5[-1]
        echo = _load(results, f"server-b5-echo-{big['connections_requested']}.json")
        met = big["rss_kb_per_connection"] <= 10 and big["connections"] >= 9000
        add("")
        add(f"**{'Met' if met else 'Missed'}**: {big['rss_kb_per_connection']:.1f} KB at {big['connections']:,} "
            f"({big['rss_kb_per_connection'] / 10:.2f}× the target), with little margin: the part above the live heap")
        add("depends on how the connection burst interleaves: five runs of this build gave 8.1–10.7 KB at 9,000 and")
        add("three 7.7–11.1 KB at 1,000, always with the same live heap (5.3 and 5.1 KB). How the figure came down")
        add("(each step a commit on the `mem` branch, same machine and procedure):")
        add("")
        add("| server | chat 1,000 | chat 9,000 | live heap, chat 9,000 | bare websocket 9,000 |")
        add("|---|---|---|---|---|")
        add("| before (9e60462; BENCHMARKS.md's earlier run at 9033e25 had 31.2 and 30.7 KB) | 21.8 KB | 18.0 KB | "
            "6.8 KB | 6.2 KB |")
        add("| + `MemoryReclaimer` (`malloc_trim`) | 9.9 KB | 16.9 KB | 6.9 KB | 6.2 KB |")
        add("| + 512-byte receive buffer, at most 64 handshakes at once | 7.7–11.1 KB | 8.1–10.7 KB | 5.3 KB | 4.7 KB |")
        add("")
        add("What a connection costs (heaptrack of the release server holding 9,000 chat connections, and the heap")
        add("gauges above): the live heap of an idle chat connection is about 0.5 KB more than a bare websocket's —")
        add("the chat session, its outbox and hub entry (≈ 0.4 KB). The rest is the websocket: NIO's socket channel,")
        add("pipeline and pending-writes ring (≈ 2.3 KB), the frame decoder and encoder handlers (≈ 0.6 KB), the")
        add("pooled receive buffer, `WebSocketConnection` (0.3 KB) and its heartbeat timer (0.2 KB). The receive buffer")
        add("was the largest single item, 2.1 KB: NIO keeps one per connection for reuse, at the adaptive allocator's")
        add("initial size (2048). The server now starts it at 512 bytes (a handshake fits; it doubles on full reads, so")
        add("uploads still reach 64 KiB reads: B9 measured 1,027 MB/s after the change), which took about 1.5 KB off")
        add("chat and bare connections alike.")
        add("")
        add("Everything above the live heap is memory already freed that glibc kept resident (a bare websocket has")
        add("none: its RSS per connection equals its live heap). Before this work the upgrade burst ran all 9,000")
        add("handshakes at once, each task holding about 12 KB of async frames (a 225 MB heap peak), and the")
        add("connections' long-lived objects were allocated in between, so the freed holes were scattered and mostly")
        add("smaller than a page. Now at most 64 handshakes run the router at once (later ones wait as a closure, with")
        add("no task; the heap peak is 56–94 MB), and the `MemoryReclaimer` service (docs/SERVER.md, Memory) calls")
        add("`malloc_trim(0)` every 10 s when the allocator holds at least 8 MiB of freed memory that became resident")
        add("since its last trim. A trim returns whole free pages (here 5–100 MB), not the holes between live objects,")
        add("which are the rest of the figure. What would take more off: bounding the connections that are accepted")
        add("and whose upgrade request is parsed but not yet handshaken (all of a burst's are at once; their garbage")
        add("is what fragments the heap now), and fewer long-lived allocations per NIO channel.")
        add("")
        lines.extend(_machine(results, f"server-b5-{big['connections_requested']}.txt"))
        add("")

    b7 = [(name, _load(results, f"server-b7-{name}.json")) for name in ("v1-j1000", "v2-j1000", "v1-jdefault")]
    b7 = [(n, r) for n, r in b7 if r]
    if b7:
        add("### B7 restart recovery (target: all reconnected and caught up within J + 1 s, zero loss)")
        add("")
        add("`server-bench restart --conns K`: K SDK clients in K/2 channels; each member sends 3 messages and waits")
        add("for its peer's 3. Then the script kills the server with SIGKILL, each member sends 1 more message while")
        add("the server is down (the SDK queues it), after 0.5 s the script starts the server again on the same data")
        add("folder and port and records when `/health` first answers (\"listening\"). A member is caught up when it")
        add("holds all 4 of its peer's messages (deduplicated by text). With `--jitter-ms 1000` every retry after the")
        add("first (immediate) one waits a uniform 0–1 s, so the jitter window J is exactly 1 s and the target is 2 s")
        add("after listening; the SDK's default policy (exponential full jitter, bounds 0.5 s, 1 s, 2 s …) is shown")
        add("for reference — its window depends on how many retries failed during the outage.")
        add("")
        add("| run | clients | kill → listening | listening → all reconnected | listening → all caught up | caught-up "
            "p50 / p99 | lost | duplicates |")
        add("|---|---|---|---|---|---|---|---|")
        for name, r in b7:
            cu = r["caught_up_after_listening_ms"]
            lbl = {"v1-j1000": "v1, J = 1 s", "v2-j1000": "v2 (protobuf), J = 1 s",
                   "v1-jdefault": "v1, SDK default policy"}[name]
            add(f"| {lbl} | {r['clients']:,} | {r['killed_to_listening_seconds']:.2f} s | "
                f"{r['listening_to_all_reconnected_seconds']:.2f} s | {r['listening_to_all_caught_up_seconds']:.2f} s "
                f"| {cu.get('p50', 0):.0f} / {cu.get('p99', 0):.0f} ms | {r['messages_lost']} | {r['duplicates']} |")
        add("")
        starts = [r["killed_to_listening_seconds"] - 0.5 for _, r in b7]
        add(f"Kill → listening includes the script's 0.5 s pause, so the server answered `/health` "
            f"{min(starts):.2f}–{max(starts):.2f} s")
        add("after it was started (process start plus opening the store). Verdict in the summary table; runs move by")
        add("a few hundred ms (a development run of v2 took 1.91 s). Not run: SIGTERM, 10,000 clients (J + 3 s).")
        add("")
        lines.extend(_machine(results, f"server-b7-{b7[0][0]}.txt"))
        add("")
    b3 = _load(results, "server-b3-1000.json")
    if b3 and "latency" in b3:
        lat = b3["latency"]
        add("### B3 latency at 1,000 connections (targets p50 ≤ 150 µs, p99 ≤ 1 ms)")
        add("")
        add(f"`BotFleet --bots 1000 --rate 1 --duration {b3['duration_seconds']:g} --drain 10 --stagger` (v1 JSON): 500")
        add("channels, one message per second per channel (500 msg/s in, 1,000 deliveries/s), every bot at its own")
        add("random phase; one-way latency from the *scheduled* send time to the peer's SDK callback (HdrHistogram).")
        add("No warm-up is excluded and server and bots are not pinned to separate vCPUs.")
        add("")
        add("| sent | delivered | lost | dup | p50 | p90 | p99 | p99.9 | max | server CPU, whole run | server RSS peak |")
        add("|---|---|---|---|---|---|---|---|---|---|---|")
        add(f"| {b3['sent']:,} | {b3['delivered']:,} | {b3['lost']} | {b3['duplicates']} | {lat['p50_ms']} ms | "
            f"{lat['p90_ms']} ms | {lat['p99_ms']} ms | {lat['p99_9_ms']} ms | {lat['max_ms']} ms | "
            f"{b3['server_cpu_seconds_whole_run']:.1f} s | {b3['server_rss_kb_peak'] / 1024:.0f} MB |")
        add("")
        add(f"**Missed**: p50 is {lat['p50_ms'] / 0.15:.1f}× and p99 {lat['p99_ms']:.1f}× the targets. The server CPU")
        add("covers sign-up, matching and connecting too, so it bounds B4's per-message figure from above only")
        add(f"({b3['server_cpu_seconds_whole_run'] / b3['sent'] * 1e6:,.0f} µs per message sent). Same causes as B4/B5 in")
        add("issue 9: each message still hops from the event loop to a drain task on the Swift pool and to GRDB's")
        add("writer queue (one transaction per message) and back, and the 1,000 SDK clients in the bot process share")
        add("the ≈1.1 cores with the server (their receive path is async sequences too). The NIO hot path moved p99")
        add("from 8.3 ms (session 2) and 3.6 ms (same session, before) to this; see B4 for the hops. 10,000 connections")
        add("not run.")
        add("")
        lines.extend(_machine(results, "server-b3-1000.txt"))
        add("")
    lines.extend(_b4_section(results))
    lines.extend(_b8_section(results))
    if not _load(results, "server-b4.json") or not _b8_runs(results):
        add("Not measured in these results: " + ", ".join(
            x for x, ok in (("B4 (CPU per message against a C fan-out)", _load(results, "server-b4.json")),
                            ("B8 (idle CPU)", _b8_runs(results))) if not ok) + ".")
    return lines


def patch(results, path):
    text = open(path).read()
    new_rows = rows(results)
    server_b3 = new_rows.pop("B3+", [])
    # Earlier server B3 rows go; the new ones follow the last remaining B3 row (the run.sh smoke).
    lines = [line for line in text.split("\n") if "open loop (BotFleet" not in line]
    last_b3 = max((i for i, line in enumerate(lines) if line.startswith("| B3 |")), default=None)
    if last_b3 is None:  # the server row was the only B3 row: it goes where B3 belongs, after the B2 rows
        last_b3 = max((i for i, line in enumerate(lines) if line.startswith(("| B1", "| B2 |"))), default=None)
    out = []
    replaced = set()
    for index, line in enumerate(lines):
        ident = line.split("|")[1].strip() if line.startswith("| B") else None
        if ident in replaced:
            continue  # a target with several rows: all of them were written with its first row
        if ident in new_rows:
            out.extend(new_rows.pop(ident))
            replaced.add(ident)
        else:
            out.append(line)
        if index == last_b3:
            out.extend(server_b3)
    text = "\n".join(out)
    block = BEGIN + "\n\n" + "\n".join(section(results)) + "\n\n" + END
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    open(path, "w").write(text)


if __name__ == "__main__":
    patch(sys.argv[1], sys.argv[2])

#!/usr/bin/env bash
# Proves the examples against a freshly started reference server (issue 8):
#   1. EchoBot echoes texts and a file to a scripted SDK client (EchoCheck);
#   2. TerminalChat, driven through tmux, matches EchoBot, chats, sees the echo, and exits 0 on /quit;
#   3. BotFleet runs 50 channels for ~5 s with zero losses and zero duplicates, in v1 (JSON) and v2 (protobuf).
# Every wait is bounded; the server and the bots are stopped on exit.
#
# Usage: Examples/ci-check.sh   (needs tmux, curl, python3)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

say() { printf '\n--- %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }
fail() {
    echo "ci-check: FAIL: $*" >&2
    exit 1
}

work="$(mktemp -d)"

say "build the server and the examples (a no-op after CI's build step)"
swift build >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; fail "swift build"; }
bin="$(swift build --show-bin-path)"
for product in chat-server EchoBot EchoCheck TerminalChat BotFleet ElizaBot; do
    [ -x "$bin/$product" ] || fail "$bin/$product was not built"
done
tmux_socket="ci-check-$$"
pids=()
cleanup() {
    tmux -L "$tmux_socket" kill-server 2>/dev/null || true
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

say "start chat-server"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
server="http://127.0.0.1:$port"
secret="ci-check-secret-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"
"$bin/chat-server" --port "$port" --data-dir "$work/data" --jwt-secret "$secret" --log-level error \
    >"$work/server.log" 2>&1 &
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 100); do curl -fs "$server/health" >/dev/null && break; sleep 0.1; done
curl -fs "$server/health" >/dev/null || fail "chat-server did not come up on $server"
echo "chat-server on $server"

# Starts EchoBot in the background and waits until it is in the match queue.
start_echobot() {
    "$bin/EchoBot" --server "$server" >"$work/echobot.log" 2>&1 &
    echobot_pid=$!
    pids+=("$echobot_pid")
    for _ in $(seq 100); do grep -q "waiting for a match" "$work/echobot.log" && return 0; sleep 0.1; done
    cat "$work/echobot.log" >&2
    fail "EchoBot did not start"
}

# Sends SIGINT to EchoBot and checks it leaves and exits 0 within 10 s.
stop_echobot() {
    kill -INT "$echobot_pid"
    local rc=0
    timeout 10 tail --pid="$echobot_pid" -f /dev/null || fail "EchoBot did not exit within 10 s of SIGINT"
    wait "$echobot_pid" || rc=$?
    [ "$rc" -eq 0 ] || { cat "$work/echobot.log" >&2; fail "EchoBot exited $rc on SIGINT"; }
    echo "EchoBot exited 0 on SIGINT"
}

say "1. EchoBot against a scripted SDK client (EchoCheck)"
start_echobot
timeout 60 "$bin/EchoCheck" --server "$server" --texts 5 --timeout 45 || {
    cat "$work/echobot.log" >&2
    fail "EchoCheck"
}
# EchoCheck left the channel; the bot must go back to the queue for the next check.
for _ in $(seq 100); do [ "$(grep -c "waiting for a match" "$work/echobot.log")" -ge 2 ] && break; sleep 0.1; done
[ "$(grep -c "waiting for a match" "$work/echobot.log")" -ge 2 ] || fail "EchoBot did not re-queue after the peer left"
echo "EchoBot re-queued after the peer left"

say "2. TerminalChat through tmux, matched with EchoBot"
screen() { tmux -L "$tmux_socket" capture-pane -p -t chat -S -200; }
wait_screen() { # pattern, seconds
    local deadline=$((SECONDS + $2))
    while [ $SECONDS -lt $deadline ]; do
        screen | grep -q -- "$1" && return 0
        sleep 0.2
    done
    echo "--- screen:" >&2
    screen >&2 || true
    fail "'$1' did not appear on the TerminalChat screen within $2 s"
}
tmux -L "$tmux_socket" new-session -d -s chat -x 160 -y 50 \
    "'$bin/TerminalChat' --server '$server' --name tmux-user; echo \"TerminalChat exited \$?\" > '$work/terminal.rc'; sleep 30"
wait_screen "matched with EchoBot" 30
tmux -L "$tmux_socket" send-keys -t chat "hello from tmux" Enter
wait_screen "EchoBot: hello from tmux" 20
wait_screen "seen: hello from tmux" 20
tmux -L "$tmux_socket" send-keys -t chat "/quit" Enter
for _ in $(seq 150); do [ -s "$work/terminal.rc" ] && break; sleep 0.1; done
[ -s "$work/terminal.rc" ] || { screen >&2; fail "TerminalChat did not exit within 15 s of /quit"; }
cat "$work/terminal.rc"
grep -qx "TerminalChat exited 0" "$work/terminal.rc" || { screen >&2; fail "TerminalChat did not exit 0"; }
echo "--- TerminalChat screen:"
screen | sed '/^$/d'
tmux -L "$tmux_socket" kill-server 2>/dev/null || true
stop_echobot

fleet() {  # fleet <label> <BotFleet options…>: 50 channels for 5 s, zero losses and zero duplicates
    local label="$1"
    shift
    say "3. BotFleet ($label): 50 channels, 5 s, zero losses and duplicates"
    timeout 120 "$bin/BotFleet" --server "$server" --bots 100 --rate 10 --duration 5 --drain 10 --setup-timeout 60 \
        --json "$@" >"$work/fleet.json" || { cat "$work/fleet.json" >&2; fail "BotFleet ($label) exited non-zero"; }
    cat "$work/fleet.json"
    python3 - "$work/fleet.json" "$label" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["channels"] == 50, report
assert report["sent"] > 0 and report["lost"] == 0 and report["duplicates"] == 0, report
print(f"BotFleet ({sys.argv[2]}): {report['sent']} sent, {report['delivered']} delivered, 0 lost, 0 duplicates, "
      f"p99 {report['latency']['p99_ms']} ms")
EOF
}
fleet "v1 JSON" --protocol v1
fleet "v2 protobuf" --protocol v2 --encoding protobuf

say "examples: all checks passed"

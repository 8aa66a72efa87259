# Shared by the B4 probes (probe-b4-tail.sh, probe-b4-syscalls.sh); sourced, not run. Builds chat-server and
# server-bench (release; ServerBench into the root package's .build, as server.sh does) and wsload, and gives:
#   $bin, $work (removed on exit, with anything in $cleanup), $secret;
#   start_b4_server DATA PROTOCOL: a fresh chat-server on a free port ($port, $server_pid) with B4's lifted caps, and
#     1,000 matched guests' tokens in $work/tokens.txt;
#   stop_server (server-control.sh, which server.sh sources too).
(cd "$root" && swift build -c release --product chat-server >&2)
(cd "$here/ServerBench" && swift build -c release --scratch-path "$root/.build" --product server-bench >&2)
bin="$(cd "$root" && swift build -c release --show-bin-path)"
work="$(mktemp -d)"
cleanup=""
# shellcheck source=server-control.sh
. "$here/server-control.sh"
# shellcheck disable=SC2064,SC2086
trap 'stop_server; rm -rf "$work" $cleanup' EXIT
cc -O2 -o "$work/wsload" "$here/c/wsload.c"
secret="probe-$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')"

start_b4_server() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$bin/chat-server" --port "$port" --data-dir "$1" --jwt-secret "$secret" --log-level error \
        --max-messages-per-channel 100000000 --max-sends-per-second 1000000 >>"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1000); do curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break; sleep 0.01; done
    "$bin/server-bench" tokens --server "http://127.0.0.1:$port" --protocol "$2" --conns 1000 \
        --out "$work/tokens.txt" 2>/dev/null
}

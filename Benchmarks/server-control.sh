# Sourced by server.sh and probe-common.sh, not run: the chat-server they start ($server_pid, empty when none runs)
# and stop_server, which stops it and waits for it to exit.
server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}

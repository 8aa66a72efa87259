#!/usr/bin/env python3
"""Opens K raw websocket connections (RFC 6455 handshake, nothing else) to a path and holds them.

    ws-holder.py PORT PATH K CONTROL_DIR

Posts CONTROL_DIR/connected ({"connected": n, "failed": f, "connect_seconds": s}) once every handshake is answered,
then holds the sockets until CONTROL_DIR/done exists. B5's baseline: the server's websocket stack with no chat state.
"""
import json
import os
import socket
import sys
import time

port, path, count, control = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
sockets, failed = [], 0
start = time.monotonic()
for _ in range(count):
    try:
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
        if answer.startswith(b"HTTP/1.1 101"):
            sockets.append(s)
        else:
            failed += 1
            s.close()
    except OSError:
        failed += 1
seconds = time.monotonic() - start
with open(os.path.join(control, "connected.tmp"), "w") as f:
    json.dump({"connected": len(sockets), "failed": failed, "connect_seconds": seconds}, f)
os.rename(os.path.join(control, "connected.tmp"), os.path.join(control, "connected"))
while not os.path.exists(os.path.join(control, "done")):
    time.sleep(0.05)

#!/usr/bin/env python3
"""Test fixture for openapi/check.sh: signs up two guests and matches them over GET /api/match, protocol v2 JSON
(rc.v2.json: enqueue, proposed, confirm, matched), with a raw RFC 6455 handshake (standard library only), presigns an
upload and a download of one object key of their channel, then prints shell assignments: SID (first user's session),
USER_ID, JWT (the first user's v2 channel token, which every v1 endpoint accepts too), and
OBJ_CHANNEL, OBJ_FILE, PUT_MAX, PUT_EXP, PUT_SIG, GET_MAX, GET_EXP, GET_SIG (the presigned URLs' parts).

Usage: openapi/fixture.py http://127.0.0.1:PORT
"""
import base64
import json
import os
import socket
import sys
import threading
import urllib.request
from urllib.parse import parse_qs, urlparse

base = sys.argv[1].rstrip("/")
url = urlparse(base)


def sign_up(name):
    request = urllib.request.Request(base + "/api/user", data=json.dumps({"name": name}).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201, response.status
        sid = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        return sid, json.load(response)["id"]


def read_frame(sock):
    """One unmasked server frame: (opcode, payload)."""
    def exactly(n):
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        return data

    first, second = exactly(2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(exactly(2), "big")
    elif length == 127:
        length = int.from_bytes(exactly(8), "big")
    return first & 0x0F, exactly(length)


def send_text(sock, text):
    """One masked client text frame."""
    payload = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    if len(payload) < 126:
        head += bytes([0x80 | len(payload)])
    else:
        head += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))


def read_until(sock, body):
    """Reads v2 JSON frames until one has `body`; returns that body."""
    while True:
        opcode, payload = read_frame(sock)
        assert opcode == 1, opcode
        frame = json.loads(payload)
        if body in frame:
            return frame[body]


def match(sid, results, index):
    sock = socket.create_connection((url.hostname, url.port), timeout=20)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((
        "GET /api/match HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: rc.v2.json\r\n"
        "Cookie: sid=%s\r\n\r\n" % (url.hostname, url.port, key, sid)
    ).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    read_until(sock, "hello")
    send_text(sock, '{"id":1,"enqueue":{}}')
    proposed = read_until(sock, "proposed")
    send_text(sock, json.dumps({"id": 2, "confirm": {"match_id": proposed["match_id"]}}))
    results[index] = read_until(sock, "matched")["access_token"]
    sock.close()


first_sid, first_uid = sign_up("fuzzer")
second_sid, _ = sign_up("peer")
tokens = [None, None]
threads = [threading.Thread(target=match, args=(sid, tokens, i)) for i, sid in enumerate([first_sid, second_sid])]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
assert tokens[0] and tokens[1] and tokens[0] != tokens[1], tokens


def presigned(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + tokens[0]})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


upload = presigned("/api/uploader/upload/presigned?ext=png")
key = upload["object_key"]
download = presigned("/api/uploader/download/presigned?okb64=" + base64.urlsafe_b64encode(key.encode()).decode())
put_query = parse_qs(urlparse(upload["url"]).query)
get_query = parse_qs(urlparse(download["url"]).query)
channel, file = key.split("/")
print("SID=%s USER_ID=%s JWT=%s" % (first_sid, first_uid, tokens[0]))
print("OBJ_CHANNEL=%s OBJ_FILE=%s" % (channel, file))
print("PUT_MAX=%s PUT_EXP=%s PUT_SIG=%s" % (put_query["max"][0], put_query["exp"][0], put_query["sig"][0]))
print("GET_MAX=%s GET_EXP=%s GET_SIG=%s" % (get_query["max"][0], get_query["exp"][0], get_query["sig"][0]))

#!/usr/bin/env python3
"""A browser-style SIP-over-WebSocket client (RFC 7118) for Carillon's interop tests.

  ws_client.py --port P [--host 127.0.0.1] [--timeout SECONDS]

Uses the `websockets` package (pip install websockets), as a browser's JsSIP or SIP.js would
talk to a SIP WebSocket server:

1. opens a connection WITHOUT the `sip` sub-protocol and checks the server refuses the
   handshake (RFC 7118 §4: the server must not accept it; Carillon answers HTTP 400);
2. opens a connection with sub-protocol `sip`, checks the server selected `sip`, then sends an
   OPTIONS and a MESSAGE (one SIP message per text frame, Via `SIP/2.0/WS` with an `.invalid`
   host as browsers do) and checks each is answered `200` with the matching Call-ID and CSeq.

Prints one line per check and `OK` (exit 0) when all pass, `FAILED` (exit 1) otherwise.
"""
import argparse
import sys
import uuid

import websockets
from websockets.sync.client import connect


def request(method, host, port, cseq, body=""):
    me = uuid.uuid4().hex[:12]
    call_id = uuid.uuid4().hex
    lines = [
        f"{method} sip:carillon@{host}:{port};transport=ws SIP/2.0",
        f"Via: SIP/2.0/WS {me}.invalid;branch=z9hG4bK{uuid.uuid4().hex[:16]}",
        "Max-Forwards: 70",
        f"To: <sip:carillon@{host}>",
        f"From: <sip:browser@{me}.invalid>;tag={uuid.uuid4().hex[:10]}",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} {method}",
        f"Contact: <sip:browser@{me}.invalid;transport=ws>",
        "User-Agent: carillon-ws-client (python websockets)",
    ]
    if body:
        lines.append("Content-Type: text/plain")
    lines.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(lines) + "\r\n\r\n" + body, call_id


def header(message, name):
    for line in message.split("\r\n")[1:]:
        if not line:
            break
        key, _, value = line.partition(":")
        if key.strip().lower() == name.lower():
            return value.strip()
    return None


def exchange(ws, method, host, port, cseq, timeout, body=""):
    text, call_id = request(method, host, port, cseq, body)
    ws.send(text)
    while True:
        reply = ws.recv(timeout=timeout)
        if isinstance(reply, bytes):
            reply = reply.decode("utf-8", "replace")
        status_line = reply.split("\r\n", 1)[0]
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or parts[0] != "SIP/2.0":
            raise RuntimeError(f"{method}: not a response: {status_line!r}")
        status = int(parts[1])
        if status < 200:
            continue  # provisional: wait for the final response
        if header(reply, "Call-ID") != call_id or header(reply, "CSeq") != f"{cseq} {method}":
            raise RuntimeError(f"{method}: response for another request:\n{reply}")
        return status, status_line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    uri = f"ws://{args.host}:{args.port}"
    ok = True

    # 1. No `sip` sub-protocol: the handshake must be refused.
    try:
        with connect(uri, open_timeout=args.timeout) as ws:
            print(f"FAIL: handshake without sub-protocol accepted (subprotocol={ws.subprotocol!r})")
            ok = False
    except websockets.exceptions.InvalidStatus as e:
        print(f"no sub-protocol: refused with HTTP {e.response.status_code}")
    except websockets.exceptions.InvalidHandshake as e:
        print(f"no sub-protocol: refused ({e})")

    # 2. With `sip`: OPTIONS and MESSAGE, each answered 200.
    try:
        with connect(uri, subprotocols=["sip"], open_timeout=args.timeout) as ws:
            if ws.subprotocol != "sip":
                print(f"FAIL: server selected sub-protocol {ws.subprotocol!r}, not 'sip'")
                ok = False
            for cseq, (method, body) in enumerate(
                [("OPTIONS", ""), ("MESSAGE", "hello from a browser-style client")], start=1
            ):
                status, line = exchange(ws, method, args.host, args.port, cseq, args.timeout, body)
                print(f"{method}: {line}")
                if status != 200:
                    print(f"FAIL: {method} answered {status}")
                    ok = False
    except Exception as e:  # noqa: BLE001 - any failure is reported and fails the run
        print(f"FAIL: {type(e).__name__}: {e}")
        ok = False

    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

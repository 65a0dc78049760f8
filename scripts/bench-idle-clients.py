#!/usr/bin/env python3
"""Open N TLS connections to 127.0.0.1:PORT, complete every handshake, and hold them open.

Prints "ready N" once all are established (or "ready K failed F"), then waits until stdin
closes or it is killed. Used by scripts/bench-gateway to measure a server's memory with many idle
TLS connections. At most 200 handshakes are in flight at a time.
"""
import selectors
import socket
import ssl
import sys

port, total = int(sys.argv[1]), int(sys.argv[2])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
sel = selectors.DefaultSelector()
established, failed, started, in_flight = [], 0, 0, 0


def start_one():
    global started, in_flight, failed
    started += 1
    raw = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    raw.setblocking(False)
    raw.connect_ex(("127.0.0.1", port))
    tls = ctx.wrap_socket(raw, do_handshake_on_connect=False, server_hostname="localhost")
    sel.register(tls, selectors.EVENT_WRITE)
    in_flight += 1


while len(established) + failed < total:
    while in_flight < 200 and started < total:
        start_one()
    for key, _ in sel.select(timeout=10):
        tls = key.fileobj
        try:
            tls.do_handshake()
        except ssl.SSLWantReadError:
            sel.modify(tls, selectors.EVENT_READ)
            continue
        except ssl.SSLWantWriteError:
            sel.modify(tls, selectors.EVENT_WRITE)
            continue
        except OSError:
            sel.unregister(tls)
            tls.close()
            failed += 1
            in_flight -= 1
            continue
        sel.unregister(tls)
        established.append(tls)
        in_flight -= 1

print(f"ready {len(established)} failed {failed}", flush=True)
sys.stdin.read()

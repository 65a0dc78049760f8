#!/usr/bin/env python3
"""A scripted TLS 1.3 peer that breaks the handshake right after a well-formed ServerHello, so a
TLS 1.3 client's error paths meet bytes on a socket:

- answers a TLS 1.3 ClientHello with a ServerHello (TLS_AES_128_GCM_SHA256, an x25519 "share" of
  random bytes, the client's session ID echoed, supported_versions 0x0304) and a
  change_cipher_spec, as a real server does,
- then sends an application_data record of random bytes where the encrypted EncryptedExtensions
  should be (no key could decrypt it), and keeps the connection open.

Usage: tls13_garbage_server.py  → prints "PORT <n>" and serves until killed.
"""
import os, socket, socketserver, struct
from peer_wire import read_exact, record, serve

class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10)
        try:
            header = read_exact(sock, 5)
            body = read_exact(sock, struct.unpack('>H', header[3:5])[0])
            if header[0] != 22 or body[0] != 1:
                return
            hello = body[4:]
            sid_len = hello[34]
            session_id = hello[35:35 + sid_len]
            exts = struct.pack('>HHH', 43, 2, 0x0304)
            exts += struct.pack('>HHHH', 51, 36, 0x001D, 32) + os.urandom(32)
            sh = struct.pack('>H', 0x0303) + os.urandom(32) + bytes([sid_len]) + session_id
            sh += struct.pack('>HB', 0x1301, 0) + struct.pack('>H', len(exts)) + exts
            message = bytes([2]) + len(sh).to_bytes(3, 'big') + sh
            sock.sendall(record(22, 0x0303, message) + record(20, 0x0303, b'\x01') + record(23, 0x0303, os.urandom(60)))
            while sock.recv(4096):
                pass
        except (EOFError, OSError, IndexError, struct.error):
            pass

if __name__ == '__main__':
    serve(Handler)

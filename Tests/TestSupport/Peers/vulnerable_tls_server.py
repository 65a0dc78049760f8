#!/usr/bin/env python3
"""A scripted TLS 1.2-and-below peer with the weaknesses no maintained TLS library still has, so the
scanner's "vulnerable" paths are tested against bytes on a socket:

- answers any version from SSL 3.0 to TLS 1.2 with RSA key-exchange CBC suites (POODLE, BEAST,
  no forward secrecy), ignores TLS_FALLBACK_SCSV, sends no renegotiation_info (RFC 5746),
- picks DEFLATE compression when offered (CRIME),
- negotiates heartbeat and answers an oversized heartbeat request with the claimed length
  (Heartbleed; the extra bytes are a fixed filler, not real memory),
- accepts an early ChangeCipherSpec and answers a second one with an "encrypted" alert
  (CCS injection, CVE-2014-0224).

It never completes a handshake: it speaks only as far as a scanner's probes go.
Usage: vulnerable_tls_server.py  → prints "PORT <n>" and serves until killed.
"""
import os, socket, socketserver, struct, sys
from peer_wire import read_record, record, handshake, serve

SUITES = [0x002F, 0x0035, 0x003C, 0x009C, 0x009D]  # RSA key exchange only

class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(5)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
            if not first or first[0] & 0x80:
                return  # SSL 2.0 format: no answer
            ctype, _, body = read_record(sock)
            if ctype != 22 or body[0] != 1:
                return
            hello = body[4:]
            client_version = struct.unpack('>H', hello[0:2])[0]
            i = 2 + 32
            sid_len = hello[i]; i += 1 + sid_len
            cs_len = struct.unpack('>H', hello[i:i+2])[0]; i += 2
            suites = [struct.unpack('>H', hello[i+j:i+j+2])[0] for j in range(0, cs_len, 2)]; i += cs_len
            comp_len = hello[i]; comps = list(hello[i+1:i+1+comp_len]); i += 1 + comp_len
            exts = {}
            if i + 2 <= len(hello):
                end = i + 2 + struct.unpack('>H', hello[i:i+2])[0]; i += 2
                while i + 4 <= end:
                    t, l = struct.unpack('>HH', hello[i:i+4]); exts[t] = hello[i+4:i+4+l]; i += 4 + l
            version = min(client_version, 0x0303)
            if version < 0x0300:
                return
            chosen = next((s for s in suites if s in SUITES), None)
            if chosen is None:
                sock.sendall(record(21, version, bytes([2, 40])))
                return
            compression = 1 if 1 in comps else 0
            sh_exts = b''
            if 15 in exts:  # heartbeat: peer_allowed_to_send
                sh_exts += struct.pack('>HHB', 15, 1, 1)
            sh = struct.pack('>H', version) + os.urandom(32) + b'\x00' + struct.pack('>HB', chosen, compression)
            if sh_exts:
                sh += struct.pack('>H', len(sh_exts)) + sh_exts
            flight = handshake(2, sh) + handshake(11, b'\x00\x00\x00') + handshake(14, b'')
            sock.sendall(record(22, version, flight))
            ccs_seen = 0
            while True:
                ctype, _, body = read_record(sock)
                if ctype == 24 and body and body[0] == 1:
                    claimed = struct.unpack('>H', body[1:3])[0]
                    payload = (body[3:3+claimed] + b'M' * claimed)[:claimed]
                    sock.sendall(record(24, version, b'\x02' + struct.pack('>H', claimed) + payload + b'\x00' * 16))
                elif ctype == 20:
                    ccs_seen += 1
                    if ccs_seen == 2:
                        sock.sendall(record(21, version, os.urandom(26)))
        except (EOFError, OSError, IndexError, struct.error):
            pass

if __name__ == '__main__':
    serve(Handler)

#!/usr/bin/env python3
"""A TLS server that misbehaves in one chosen way on every connection, so the scanner's "no result
without evidence" rule meets real bytes on a socket. Each mode answers any ClientHello:

  silent             reads the hello and never answers (keeps the connection open)
  garbage            a handshake record header, then a body of random bytes, then silence
  stall-record       a record header announcing 16385 bytes, then silence
  drip               a well-formed ServerHello (the client's first suite, its version capped at
                     TLS 1.2), one byte a second
  rst                reads the hello, then resets the connection (SO_LINGER 0)
  giant-record       a record header with length 0xFFFF, then silence
  giant-handshake    a handshake header announcing 2^24-1 bytes, then silence
  endless            warning alerts (user_canceled), one record after another, for 30 s
  huge-chain         a ServerHello, then a Certificate message of 2 MB (16 KiB records)
  unoffered-suite    a ServerHello choosing 0x82DE, which no client offers
  unoffered-version  a ServerHello for TLS 1.2 (the client's first suite) whatever was asked

Usage: hostile_server.py MODE  → prints "PORT <n>" and serves until killed.
Record layout: RFC 8446 §5.1; ServerHello: RFC 5246 §7.4.1.3.
"""
import os, socket, socketserver, struct, sys, time
from peer_wire import handshake, read_exact, record, serve

MODE = sys.argv[1] if len(sys.argv) > 1 else 'silent'


def parse_hello(sock):
    """(legacy version, session id, first non-GREASE/non-SCSV suite) of the ClientHello."""
    header = read_exact(sock, 5)
    body = read_exact(sock, struct.unpack('>H', header[3:5])[0])
    if header[0] != 22 or body[0] != 1:
        raise EOFError
    hello = body[4:]
    version = struct.unpack('>H', hello[0:2])[0]
    sid_len = hello[34]
    session_id = hello[35:35 + sid_len]
    at = 35 + sid_len
    suites_len = struct.unpack('>H', hello[at:at + 2])[0]
    suites = [struct.unpack('>H', hello[at + 2 + i:at + 4 + i])[0] for i in range(0, suites_len, 2)]
    usable = [s for s in suites if (s & 0x0F0F) != 0x0A0A and s not in (0x00FF, 0x5600)]
    return version, session_id, (usable or [0x002F])[0]


def server_hello(version, session_id, suite):
    body = struct.pack('>H', version) + os.urandom(32) + bytes([len(session_id)]) + session_id
    body += struct.pack('>HB', suite, 0) + struct.pack('>H', 0)
    return record(22, 0x0303, handshake(2, body))


def hold(sock, seconds=30):
    """Keeps the connection open (reading and discarding) until the client closes or time is up."""
    sock.settimeout(seconds)
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10)
        try:
            version, session_id, suite = parse_hello(sock)
            capped = min(version, 0x0303)
            if MODE == 'silent':
                hold(sock)
            elif MODE == 'garbage':
                sock.sendall(b'\x16\x03\x03\x00\x40' + os.urandom(64))
                hold(sock)
            elif MODE == 'stall-record':
                sock.sendall(b'\x16\x03\x03\x40\x01')
                hold(sock)
            elif MODE == 'drip':
                for byte in server_hello(capped, session_id, suite):
                    sock.sendall(bytes([byte]))
                    time.sleep(1)
            elif MODE == 'rst':
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                sock.close()
            elif MODE == 'giant-record':
                sock.sendall(b'\x16\x03\x03\xff\xff' + os.urandom(64))
                hold(sock)
            elif MODE == 'giant-handshake':
                sock.sendall(b'\x16\x03\x03\x00\x04\x0b\xff\xff\xff')
                hold(sock)
            elif MODE == 'endless':
                chunk = record(21, 0x0303, b'\x01\x5a') * 512
                deadline = time.time() + 30
                while time.time() < deadline:
                    sock.sendall(chunk)
            elif MODE == 'huge-chain':
                sock.sendall(server_hello(capped, session_id, suite))
                cert = os.urandom(60000)
                certs = b''.join(len(cert).to_bytes(3, 'big') + cert for _ in range(35))
                message = handshake(11, len(certs).to_bytes(3, 'big') + certs)
                for at in range(0, len(message), 16384):
                    sock.sendall(record(22, 0x0303, message[at:at + 16384]))
                hold(sock)
            elif MODE == 'unoffered-suite':
                sock.sendall(server_hello(capped, session_id, 0x82DE))
                hold(sock)
            elif MODE == 'unoffered-version':
                sock.sendall(server_hello(0x0303, session_id, suite))
                hold(sock)
        except (EOFError, OSError, IndexError, struct.error):
            pass


if __name__ == '__main__':
    serve(Handler)

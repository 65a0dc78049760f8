#!/usr/bin/env python3
"""A scripted TLS 1.0-1.2 peer with RSA key exchange that is, or is not, a Bleichenbacher oracle
(ROBOT), so the scanner's ROBOT probe meets real RSA decryption on a socket.

It decrypts the ClientKeyExchange with the server's private key (pow(c, d, n)) and checks the
PKCS#1 v1.5 padding (RFC 8017 §7.2.2) like the vulnerable servers of the ROBOT paper did:

- oracle=strong: bad padding (wrong first bytes, no 0x00 separator, a premaster secret that is not
  48 bytes) is answered at once with a fatal decrypt_error alert; good padding waits for the
  Finished and gets bad_record_mac. That difference is the oracle.
- oracle=none: every ClientKeyExchange waits for the Finished and gets bad_record_mac, as
  RFC 5246 §7.4.7.1 requires.

It never completes a handshake.
Usage: robot_oracle_server.py CERT.pem KEY.pem strong|none  → prints "PORT <n>", serves until killed.
"""
import re, socket, socketserver, struct, subprocess, sys, os
from peer_wire import read_record, record, handshake, serve

RSA_SUITES = [0x002F, 0x0035, 0x009C, 0x009D, 0x003C, 0x003D, 0x000A]

def openssl(*args):
    return subprocess.run(['openssl', *args], check=True, capture_output=True).stdout

CERT, KEY, ORACLE = sys.argv[1], sys.argv[2], sys.argv[3]
CERT_DER = openssl('x509', '-in', CERT, '-outform', 'DER')
TEXT = openssl('rsa', '-in', KEY, '-noout', '-text').decode()

def field(name):
    m = re.search(name + r':\s*\n((?:\s+[0-9a-f:]+\n)+)', TEXT)
    return int(re.sub(r'[\s:]', '', m.group(1)), 16)

N = field('modulus')
D = field('privateExponent')
K = (N.bit_length() + 7) // 8

def padding_ok(block):
    if block[0:2] != b'\x00\x02':
        return False
    try:
        sep = block.index(0, 2)
    except ValueError:
        return False
    return sep >= 10 and len(block) - sep - 1 == 48

class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(5)
        try:
            ctype, _, body = read_record(sock)
            if ctype != 22 or body[0] != 1:
                return
            hello = body[4:]
            version = min(struct.unpack('>H', hello[0:2])[0], 0x0303)
            i = 2 + 32
            i += 1 + hello[i]
            cs_len = struct.unpack('>H', hello[i:i+2])[0]; i += 2
            suites = [struct.unpack('>H', hello[i+j:i+j+2])[0] for j in range(0, cs_len, 2)]
            chosen = next((s for s in suites if s in RSA_SUITES), None)
            if chosen is None or version < 0x0301:
                sock.sendall(record(21, max(version, 0x0301), bytes([2, 40])))
                return
            sh = struct.pack('>H', version) + os.urandom(32) + b'\x00' + struct.pack('>HB', chosen, 0)
            cert = len(CERT_DER).to_bytes(3, 'big') + CERT_DER
            flight = handshake(2, sh) + handshake(11, len(cert).to_bytes(3, 'big') + cert) + handshake(14, b'')
            sock.sendall(record(22, version, flight))
            ctype, _, body = read_record(sock)
            if ctype != 22 or body[0] != 16:
                return
            c = int.from_bytes(body[4+2:], 'big')
            block = pow(c, D, N).to_bytes(K, 'big')
            if ORACLE == 'strong' and not padding_ok(block):
                sock.sendall(record(21, version, bytes([2, 51])))  # decrypt_error, at once
                return
            # Wait for ChangeCipherSpec and the Finished, then fail it.
            while True:
                ctype, _, body = read_record(sock)
                if ctype == 22:
                    sock.sendall(record(21, version, bytes([2, 20])))  # bad_record_mac
                    return
        except (EOFError, OSError, IndexError, struct.error, ValueError):
            pass

if __name__ == '__main__':
    serve(Handler)

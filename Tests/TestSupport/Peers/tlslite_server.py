#!/usr/bin/env python3
"""A TLS server on tlslite-ng (PyPI), a pure-Python TLS implementation independent of OpenSSL and
GnuTLS, for the scanner's integration tests. Run with the Python of the test venv that
scripts/install-test-deps makes (.build/test-peers/venv).

Profiles (--profile):
  legacy  TLS 1.0-1.3; RSA, DHE and ECDHE key exchange; AES-GCM, ChaCha20, AES-CBC, 3DES and RC4
          (tlslite-ng ships RC4 and 3DES but leaves them out of its defaults); server order.
  modern  TLS 1.2-1.3; ECDHE with AES-GCM and ChaCha20 only.

--no-fallback-scsv makes the server ignore TLS_FALLBACK_SCSV (RFC 7507). tlslite-ng has no setting
for that: its server always answers a downgraded hello carrying the SCSV with inappropriate_fallback
(tlsconnection.py, "Detect if the client performed an inappropriate fallback"). The option hides the
SCSV's code point from that check, so 0x5600 is just an unknown suite, as it is to a server written
before RFC 7507 (RFC 5246 §7.4.1.2: unknown suites are ignored).

A completed handshake gets one HTTP/1.1 response (so a scanner's HTTP check has something to read);
--after-handshake close closes the connection instead, --after-handshake garbage writes bytes that
are no TLS record. --max-version 1.0|1.1|1.2 caps the versions.
Usage: tlslite_server.py --cert CERT.pem --key KEY.pem [--profile legacy|modern] [--no-fallback-scsv]
                         [--max-version 1.0|1.1|1.2] [--after-handshake http|close|garbage]
Prints "PORT <n>" once listening on 127.0.0.1 and serves until killed.
       tlslite_server.py --list-suites [--profile legacy|modern]
Prints, as JSON, the suites tlslite-ng's server would choose from with an RSA certificate, per
version, in its order of preference (it picks the first of its own list that the client offers).
"""
import argparse
import json
import socketserver
import sys

from tlslite.api import (HandshakeSettings, SessionCache, TLSConnection, X509CertChain,
                         parsePEMKey)
from tlslite.constants import CipherSuite


def settings_for(profile):
    s = HandshakeSettings()
    if profile == "legacy":
        s.minVersion = (3, 1)
        s.maxVersion = (3, 4)
        s.cipherNames = ["aes256gcm", "aes128gcm", "chacha20-poly1305", "aes256", "aes128",
                         "3des", "rc4"]
        s.macNames = ["aead", "sha384", "sha256", "sha"]
        s.keyExchangeNames = ["ecdhe_rsa", "dhe_rsa", "rsa"]
    else:
        s.minVersion = (3, 3)
        s.maxVersion = (3, 4)
        s.cipherNames = ["aes256gcm", "aes128gcm", "chacha20-poly1305"]
        s.macNames = ["aead"]
        s.keyExchangeNames = ["ecdhe_rsa"]
    return s


def suites_by_version(settings):
    """tlslite-ng's own suite lists for an RSA certificate (TLSConnection._serverGetClientHello
    builds its choice from the same CipherSuite helpers), as {"TLSv1.2": [code, ...]}."""
    settings = settings.validate()
    names = {(3, 1): "TLSv1.0", (3, 2): "TLSv1.1", (3, 3): "TLSv1.2", (3, 4): "TLSv1.3"}
    out = {}
    for version, name in names.items():
        if not settings.minVersion <= version <= settings.maxVersion:
            continue
        if version == (3, 4):
            out[name] = CipherSuite.getTLS13Suites(settings, version)
        else:
            out[name] = (CipherSuite.getEcdheCertSuites(settings, version)
                         + CipherSuite.getDheCertSuites(settings, version)
                         + CipherSuite.getCertSuites(settings, version))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--profile", choices=["legacy", "modern"], default="legacy")
    parser.add_argument("--no-fallback-scsv", action="store_true")
    parser.add_argument("--list-suites", action="store_true")
    parser.add_argument("--max-version", choices=["1.0", "1.1", "1.2"])
    parser.add_argument("--after-handshake", choices=["http", "close", "garbage"], default="http")
    args = parser.parse_args()
    if args.list_suites:
        print(json.dumps(suites_by_version(settings_for(args.profile))))
        return 0
    if not args.cert or not args.key:
        parser.error("--cert and --key are needed to serve")

    with open(args.cert) as f:
        chain = X509CertChain()
        chain.parsePemList(f.read())
    with open(args.key) as f:
        key = parsePEMKey(f.read(), private=True)
    settings = settings_for(args.profile)
    if args.max_version:
        # tlslite-ng 0.8 negotiates from `versions`, not only min/maxVersion.
        settings.maxVersion = (3, {"1.0": 1, "1.1": 2, "1.2": 3}[args.max_version])
        settings.versions = [v for v in settings.versions if v <= settings.maxVersion]
    cache = SessionCache()
    if args.no_fallback_scsv:
        # See the module docstring: no real ClientHello carries -1.
        CipherSuite.TLS_FALLBACK_SCSV = -1

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            self.request.settimeout(10)
            conn = TLSConnection(self.request)
            try:
                # alpn: tlslite-ng 0.8.2's TLS 1.3 server fails on a client's ALPN extension
                # when it has no ALPN list of its own (a TypeError, the connection dropped).
                conn.handshakeServer(certChain=chain, privateKey=key, settings=settings,
                                     sessionCache=cache, alpn=[bytearray(b"http/1.1")])
                if args.after_handshake == "close":
                    return
                if args.after_handshake == "garbage":
                    # 0x47 is no TLS content type: "GARBAGE" read as a record header is malformed.
                    self.request.sendall(b"GARBAGE after the handshake\r\n")
                    return
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 16384:
                    data = conn.recv(4096)
                    if not data:
                        return
                    request += data
                body = b"tlslite-ng test peer\n"
                conn.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                           b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
                conn.close()
            except Exception:
                # Scanner probes stop after the ServerHello or send hostile records: every failed
                # handshake is expected here, and the socket is simply dropped.
                pass
            finally:
                try:
                    self.request.close()
                except OSError:
                    pass

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True
        request_queue_size = 64

    server = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())

"""One TLS handshake with tlslite-ng (pure Python). Usage: tlslite_client.py (default|tls1.0|tls1.1) HOST PORT

Default HandshakeSettings, or settings limited to one legacy version (minVersion = maxVersion).
"""
import socket
import sys

from tlslite.api import HandshakeSettings, TLSConnection

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = HandshakeSettings()
limits = {"tls1.0": (3, 1), "tls1.1": (3, 2)}
if mode in limits:
    settings.minVersion = settings.maxVersion = limits[mode]
elif mode != "default":
    sys.exit("unknown mode " + mode)
sock = socket.create_connection((host, port), timeout=10)
try:
    TLSConnection(sock).handshakeClientCert(settings=settings, serverName=host)
except Exception as error:  # the capture listener closes the connection: expected
    print(type(error).__name__, error, file=sys.stderr)
    sys.exit(1)

"""One HTTPS GET with Python's standard library or requests, as a program using it would make it.

Usage: python_client.py MODE URL
  urllib          urllib.request.urlopen(URL): http.client's default context (ALPN http/1.1)
  context         urlopen with ssl.create_default_context() passed in (no ALPN)
  context-tls1.0  the same context limited to TLS 1.0 (minimum_version = maximum_version)
  context-tls1.1  the same context limited to TLS 1.1
  requests        requests.get(URL)
"""
import ssl
import sys
import urllib.request

mode, url = sys.argv[1], sys.argv[2]
try:
    if mode == "urllib":
        urllib.request.urlopen(url, timeout=10).read()
    elif mode.startswith("context"):
        context = ssl.create_default_context()
        limit = {"context-tls1.0": ssl.TLSVersion.TLSv1, "context-tls1.1": ssl.TLSVersion.TLSv1_1}.get(mode)
        if limit is not None:
            context.minimum_version = limit
            context.maximum_version = limit
        urllib.request.urlopen(url, timeout=10, context=context).read()
    elif mode == "requests":
        import requests
        requests.get(url, timeout=10)
    else:
        sys.exit("unknown mode " + mode)
except Exception as error:  # the capture listener closes the connection: that is expected
    print(type(error).__name__, error, file=sys.stderr)
    sys.exit(1)

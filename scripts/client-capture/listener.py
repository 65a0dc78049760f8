"""Capture listeners for scripts/capture-client-hellos.

HelloListener accepts TCP connections on 127.0.0.1 and keeps, per connection, the TLS records
that carry the client's ClientHello (the first flight up to the end of that handshake message),
then closes the connection without answering. UserAgentListener is a plain HTTP/1.1 server that
keeps each request's User-Agent header and answers 200.

Only framing is read here (RFC 8446 §5.1 records, §4 handshake header; SSL 2.0 format per
RFC 5246 §E.2); the hello itself is parsed, and its fingerprints computed, by TLSWire.
"""
import socket
import threading

MAX_FLIGHT = 64 * 1024


def first_flight_length(data):
    """Bytes of `data` that carry the first handshake message, or None while incomplete."""
    if not data:
        return None
    if data[0] & 0x80:
        # SSL 2.0 record: 2-byte length with the high bit set, then the message.
        if len(data) < 2:
            return None
        total = 2 + (((data[0] & 0x7F) << 8) | data[1])
        return total if len(data) >= total else None
    handshake = b""
    offset = 0
    while True:
        if len(data) < offset + 5:
            return None
        if data[offset] != 22:
            raise ValueError("record type %d before the ClientHello" % data[offset])
        length = (data[offset + 3] << 8) | data[offset + 4]
        if len(data) < offset + 5 + length:
            return None
        handshake += data[offset + 5:offset + 5 + length]
        offset += 5 + length
        if len(handshake) >= 4:
            body = (handshake[1] << 16) | (handshake[2] << 8) | handshake[3]
            if len(handshake) >= 4 + body:
                return offset


class _Listener:
    def __init__(self, host="127.0.0.1", timeout=10.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.timeout = timeout
        self.results = []
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_guarded, args=(conn,), daemon=True).start()

    def _serve_guarded(self, conn):
        try:
            conn.settimeout(self.timeout)
            result = self.serve(conn)
        except (OSError, ValueError) as error:
            result = {"error": str(error)}
        finally:
            try:
                conn.close()
            except OSError:
                pass
        with self.lock:
            self.results.append(result)

    def snapshot(self):
        with self.lock:
            return list(self.results)

    def stop(self):
        self.stopped = True
        self.thread.join(2)
        self.sock.close()


class HelloListener(_Listener):
    """Keeps each connection's ClientHello records ({"records": bytes}) and closes."""

    def serve(self, conn):
        data = b""
        while True:
            done = first_flight_length(data)
            if done is not None:
                return {"records": data[:done]}
            if len(data) > MAX_FLIGHT:
                return {"error": "first flight longer than %d bytes" % MAX_FLIGHT}
            chunk = conn.recv(16384)
            if not chunk:
                return {"error": "closed after %d bytes" % len(data), "partial": data}
            data += chunk


class UserAgentListener(_Listener):
    """Keeps each HTTP request's User-Agent ({"userAgent": str or None}) and answers 200."""

    def serve(self, conn):
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(16384)
            if not chunk:
                break
            data += chunk
            if len(data) > MAX_FLIGHT:
                break
        head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        lines = head.split("\r\n")
        agent = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "user-agent":
                agent = value.strip()
        body = b"ok\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (len(body), body))
        try:
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(4096):
                pass
        except OSError:
            pass
        return {"userAgent": agent, "requestLine": lines[0] if lines else ""}

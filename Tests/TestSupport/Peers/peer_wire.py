"""Shared by the scripted TLS peers: TLS record and handshake framing on a socket, and the
threaded loopback server that prints "PORT <n>" (what ScriptedPeer reads) and serves until killed.
Record layout: RFC 8446 §5.1 (and RFC 5246 §6.2.1); handshake header: RFC 8446 §4."""
import socketserver, struct

def read_exact(sock, n):
    data = b''
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data

def read_record(sock):
    """(content type, record version, fragment) of the next record."""
    header = read_exact(sock, 5)
    length = struct.unpack('>H', header[3:5])[0]
    return header[0], struct.unpack('>H', header[1:3])[0], read_exact(sock, length)

def record(ctype, version, body):
    return struct.pack('>BHH', ctype, version, len(body)) + body

def handshake(msg_type, body):
    return struct.pack('>B', msg_type) + len(body).to_bytes(3, 'big') + body

class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True

def serve(handler):
    with Server(('127.0.0.1', 0), handler) as server:
        print('PORT', server.server_address[1], flush=True)
        server.serve_forever()

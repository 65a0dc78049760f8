// Test support: plain (non-TLS) TCP peers on 127.0.0.1 and port helpers. Foundation + libc sockets only.

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Low-level helpers

enum TestSocket {
    #if canImport(Darwin)
    static let streamType = SOCK_STREAM
    static let sendFlags: Int32 = 0  // SO_NOSIGPIPE is set on each socket instead
    #elseif canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)  // never SIGPIPE the test process on a reset peer
    #else
    static let streamType = Int32(SOCK_STREAM)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #endif

    static func loopbackAddress(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        return address
    }

    static func makeSocket() throws -> Int32 {
        let fd = socket(AF_INET, streamType, 0)
        guard fd >= 0 else { throw TestSupportError.socket("socket(): \(String(cString: strerror(errno)))") }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        return fd
    }

    /// Binds `fd` to 127.0.0.1:`port` (0 = any free port) and returns the bound port.
    static func bindLoopback(_ fd: Int32, port: Int = 0) throws -> Int {
        var address = loopbackAddress(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard rc == 0 else { throw TestSupportError.socket("bind(): \(String(cString: strerror(errno)))") }
        return try boundPort(fd)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (the socket that found it is closed again).
    static func freePort() throws -> Int {
        let fd = try makeSocket()
        defer { close(fd) }
        return try bindLoopback(fd)
    }

    static func boundPort(_ fd: Int32) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard rc == 0 else { throw TestSupportError.socket("getsockname(): \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a TCP connection to 127.0.0.1:`port` is accepted (connected and immediately closed).
    static func canConnect(port: Int) -> Bool {
        guard let fd = try? makeSocket() else { return false }
        defer { close(fd) }
        var address = loopbackAddress(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }

    static func setReceiveTimeout(_ fd: Int32, seconds: TimeInterval) {
        var tv = timeval()
        tv.tv_sec = Int(seconds)
        tv.tv_usec = .init(Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Connects to 127.0.0.1:`port`, sends `bytes`, reads until the peer closes (at most
    /// `timeout` seconds) and closes: a client that is not TLS, for the gateway's records.
    static func sendAndClose(port: Int, _ bytes: [UInt8], timeout: TimeInterval = 2) throws {
        let fd = try makeSocket()
        defer { close(fd) }
        var address = loopbackAddress(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw TestSupportError.socket("connect(): \(String(cString: strerror(errno)))") }
        sendAll(fd, bytes)
        setReceiveTimeout(fd, seconds: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while buffer.withUnsafeMutableBytes({ recv(fd, $0.baseAddress, $0.count, 0) }) > 0 {}
    }

    /// Writes all of `bytes` (best effort: stops on error).
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in
                send(fd, raw.baseAddress! + offset, bytes.count - offset, sendFlags)
            }
            if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { return }
        }
    }
}


/// Sockets kept bound (but never listening) so that their ports stay refused for the whole process.
private let reservedClosedPorts = TestLocked([Int32]())

/// A port on 127.0.0.1 where nothing listens: connecting to it is refused (RST). The port is held by a
/// bound, non-listening socket for the rest of the process, so no other test can start listening there.
func closedPort() throws -> Int {
    let fd = try TestSocket.makeSocket()
    do {
        let port = try TestSocket.bindLoopback(fd)
        reservedClosedPorts.withLock { $0.append(fd) }
        return port
    } catch {
        close(fd)
        throw error
    }
}

// MARK: - PlainTCPServer

/// A TCP listener on 127.0.0.1 that is not TLS: for every connection it reads what the client sends
/// first (waiting at most `readTimeout`), answers with fixed bytes, half-closes, drains, and closes.
/// Connections are served concurrently. Reading before closing makes the close a FIN, not an RST, so the
/// client reliably sees the reply.
///
/// `@unchecked Sendable`: it owns a raw file descriptor and an accept thread; the only mutable state
/// (stopped flag, counters, received bytes) lives in `TestLocked` boxes, and `port`/`reply` are lets.
final class PlainTCPServer: @unchecked Sendable {
    let port: Int
    let reply: [UInt8]

    private struct State {
        var stopped = false
        var connections = 0
        var received: [[UInt8]] = []
    }

    private let listenFD: Int32
    private let state: TestLocked<State>
    private let acceptLoopDone = DispatchSemaphore(value: 0)

    /// Connections accepted so far.
    var connectionCount: Int { state.withLock { $0.connections } }
    /// The first bytes each connection sent (in accept order, up to 16 KiB each; empty if it sent none in time).
    var receivedData: [[UInt8]] { state.withLock { $0.received } }

    static func start(reply: String, readTimeout: TimeInterval = 0.5) throws -> PlainTCPServer {
        try start(replyBytes: Array(reply.utf8), readTimeout: readTimeout)
    }

    static func start(replyBytes: [UInt8], readTimeout: TimeInterval = 0.5) throws -> PlainTCPServer {
        let fd = try TestSocket.makeSocket()
        do {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let port = try TestSocket.bindLoopback(fd)
            guard listen(fd, 64) == 0 else {
                throw TestSupportError.socket("listen(): \(String(cString: strerror(errno)))")
            }
            return PlainTCPServer(fd: fd, port: port, reply: replyBytes, readTimeout: readTimeout)
        } catch {
            close(fd)
            throw error
        }
    }

    private init(fd: Int32, port: Int, reply: [UInt8], readTimeout: TimeInterval) {
        self.listenFD = fd
        self.port = port
        self.reply = reply
        let state = TestLocked(State())
        self.state = state
        let done = acceptLoopDone
        // The thread captures only what it needs (not self), so deinit can still run and stop it.
        let thread = Thread {
            Self.acceptLoop(fd: fd, reply: reply, readTimeout: readTimeout, state: state)
            done.signal()
        }
        thread.name = "PlainTCPServer:\(port)"
        thread.start()
    }

    private static func acceptLoop(fd: Int32, reply: [UInt8], readTimeout: TimeInterval, state: TestLocked<State>) {
        while !state.withLock({ $0.stopped }) {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 50)
            guard ready > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            let index: Int = state.withLock {
                $0.connections += 1
                $0.received.append([])
                return $0.received.count - 1
            }
            let worker = Thread {
                serve(client: client, index: index, reply: reply, readTimeout: readTimeout, state: state)
            }
            worker.start()
        }
    }

    private static func serve(client: Int32, index: Int, reply: [UInt8], readTimeout: TimeInterval, state: TestLocked<State>) {
        defer { close(client) }
        #if canImport(Darwin)
        var one: Int32 = 1
        setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
        #endif
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        TestSocket.setReceiveTimeout(client, seconds: readTimeout)
        let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            let bytes = Array(buffer[0..<n])
            state.withLock { $0.received[index] = bytes }
        }
        TestSocket.sendAll(client, reply)
        shutdown(client, Int32(SHUT_WR))
        // Drain until the client closes (at most ~2 s), so our close sends FIN rather than RST.
        TestSocket.setReceiveTimeout(client, seconds: 0.25)
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            let m = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if m == 0 { break }
            if m < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { break }
        }
    }

    /// Stops accepting and closes the listening socket. Idempotent; also called from deinit.
    /// Connections already being served finish on their own (within readTimeout + 2 s).
    func stop() {
        let wasStopped = state.withLock { s -> Bool in
            defer { s.stopped = true }
            return s.stopped
        }
        guard !wasStopped else { return }
        _ = acceptLoopDone.wait(timeout: .now() + 2)
        close(listenFD)
    }

    deinit { stop() }
}

// Test support: a capture listener on 127.0.0.1 that keeps what each client sends first (a TLS
// client's first flight) and closes without answering, as scripts/capture-client-hellos does.
// Foundation + libc sockets only: the caller says when the bytes are complete (TLSWire's
// ClientHelloReader, in a test that links TLSWire).

import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// For every connection: reads until `isComplete(bytes)` says the first flight is whole (or the
/// client closes, or `readTimeout` passes, or 64 KiB arrived), keeps the bytes, and closes.
///
/// `@unchecked Sendable`: it owns a raw file descriptor and an accept thread; the mutable state
/// lives in `TestLocked` boxes and everything else is a let.
final class FirstFlightServer: @unchecked Sendable {
    let port: Int

    private struct State {
        var stopped = false
        var flights: [[UInt8]] = []
    }

    private let listenFD: Int32
    private let state = TestLocked(State())
    private let acceptLoopDone = DispatchSemaphore(value: 0)

    /// The bytes each finished connection sent, in the order the connections finished.
    var flights: [[UInt8]] { state.withLock { $0.flights } }

    init(readTimeout: TimeInterval = 10, isComplete: @escaping @Sendable ([UInt8]) -> Bool) throws {
        let fd = try TestSocket.makeSocket()
        do {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            port = try TestSocket.bindLoopback(fd)
            guard listen(fd, 16) == 0 else { throw TestSupportError.socket("listen(): \(String(cString: strerror(errno)))") }
        } catch {
            close(fd)
            throw error
        }
        listenFD = fd
        let state = self.state
        let done = acceptLoopDone
        let thread = Thread {
            while !state.withLock({ $0.stopped }) {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, 50) > 0 else { continue }
                let client = accept(fd, nil, nil)
                guard client >= 0 else { continue }
                Thread { Self.serve(client, readTimeout: readTimeout, isComplete: isComplete, state: state) }.start()
            }
            done.signal()
        }
        thread.name = "FirstFlightServer:\(port)"
        thread.start()
    }

    private static func serve(_ client: Int32, readTimeout: TimeInterval, isComplete: @Sendable ([UInt8]) -> Bool,
                              state: TestLocked<State>) {
        defer { close(client) }
        TestSocket.setReceiveTimeout(client, seconds: readTimeout)
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !isComplete(bytes), bytes.count < 64 * 1024 {
            let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += buffer[0..<n]
        }
        state.withLock { $0.flights.append(bytes) }
    }

    /// Waits until `count` connections have finished (at most `timeout`); returns the flights so far.
    func waitForFlights(_ count: Int, timeout: TimeInterval = 10) -> [[UInt8]] {
        let deadline = Date().addingTimeInterval(timeout)
        while flights.count < count, Date() < deadline { usleep(20_000) }
        return flights
    }

    /// Stops accepting and closes the listening socket. Idempotent; also called from deinit.
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

import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import TLSReport
@testable import TLSScanner
import TLSWire

/// A TCP server that accepts and never answers, and counts the connections opened and closed.
final class SilentServer: Sendable {
    let channel: Channel
    let opened: NIOLockedValueBox<Int>
    let closed: NIOLockedValueBox<Int>

    private init(channel: Channel, opened: NIOLockedValueBox<Int>, closed: NIOLockedValueBox<Int>) {
        self.channel = channel
        self.opened = opened
        self.closed = closed
    }

    var address: SocketAddress { channel.localAddress! }

    static func start() async throws -> SilentServer {
        let opened = NIOLockedValueBox(0)
        let closed = NIOLockedValueBox(0)
        let channel = try await ServerBootstrap(group: ConnectionDriverTests.group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Tracker(opened: opened, closed: closed))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return SilentServer(channel: channel, opened: opened, closed: closed)
    }

    func stop() async { try? await channel.close() }

    /// Polls `condition` every 10 ms for at most `seconds`.
    func wait(_ seconds: Double = 2, until condition: () -> Bool) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while !condition() {
            if ContinuousClock.now > end { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private final class Tracker: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let opened: NIOLockedValueBox<Int>
        let closed: NIOLockedValueBox<Int>
        init(opened: NIOLockedValueBox<Int>, closed: NIOLockedValueBox<Int>) {
            self.opened = opened
            self.closed = closed
        }
        func channelActive(context: ChannelHandlerContext) { opened.withLockedValue { $0 += 1 } }
        func channelInactive(context: ChannelHandlerContext) { closed.withLockedValue { $0 += 1 } }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {} // read and never answer
    }
}

/// `ConnectionDriver`: a cancelled task closes its connection and returns at once, for every kind
/// of connection the scanner makes.
@Suite("Connection driver cancellation")
struct ConnectionDriverTests {
    /// Loops of their own: other suites running in parallel may keep the shared loops busy (ROBOT's
    /// BigInt follow-ups in a debug build), which would time these tests, not the driver.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    static let hello = ClientHelloBuilder(version: .tls12, cipherSuites: [CipherSuite(0xC02F)], serverName: nil)
        .build().records(recordVersion: .tls10)

    /// Starts `operation` against a silent server, cancels it once the server has the connection,
    /// and checks it returned long before its 30 s read deadline (so only the cancellation can have
    /// ended it) and the connection closed. The bound is not a speed target: on a loaded 2-core CI
    /// run the cancelled task itself may wait a second or more for a thread of the cooperative pool.
    func cancelMidConnection<T: Sendable>(_ operation: @escaping @Sendable (SocketAddress) async -> T) async throws -> T {
        let server = try await SilentServer.start()
        let address = server.address
        let task = Task { await operation(address) }
        #expect(await server.wait(10) { server.opened.withLockedValue { $0 } == 1 }, "the server never saw the connection")
        let start = ContinuousClock.now
        task.cancel()
        let value = await task.value
        #expect(ContinuousClock.now - start < .seconds(10))
        // Polled generously: a busy test run can delay this task, not the close.
        #expect(await server.wait(5) { server.closed.withLockedValue { $0 } == 1 }, "the connection stayed open")
        await server.stop()
        return value
    }

    @Test func cancelledProbeReturnsAtOnceAndCloses() async throws {
        let outcome = try await cancelMidConnection { address in
            await ProbeTransport(group: Self.group, connectTimeout: .seconds(2), readTimeout: .seconds(30))
                .probe(address, send: Self.hello, stopAt: .serverHello)
        }
        guard case .ioError("cancelled") = outcome else { Issue.record("\(outcome)"); return }
    }

    @Test func cancelledHandshakeClientReturnsAtOnceAndCloses() async throws {
        let result = try await cancelMidConnection { address in
            await HandshakeClient(group: Self.group, connectTimeout: .seconds(2), readTimeout: .seconds(30))
                .run(address, TLS13ClientStateMachine(.init(serverName: "localhost")))
        }
        #expect(result.error?.code == .cancelled)
        #expect(!result.established)
    }

    @Test func cancelledFullHandshakeReturnsAtOnceAndCloses() async throws {
        let result = try await cancelMidConnection { address in
            await FullHandshake(address: address, serverName: "localhost", timeout: .seconds(30), group: Self.group).run()
        }
        #expect(result.error == "cancelled")
        #expect(result.version == nil)
    }

    @Test func alreadyCancelledTaskDoesNotConnect() async throws {
        let server = try await SilentServer.start()
        let address = server.address
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await ProbeTransport(group: Self.group, connectTimeout: .seconds(2), readTimeout: .seconds(30))
                .probe(address, send: Self.hello, stopAt: .serverHello)
        }
        let outcome = await task.value
        guard case .ioError("cancelled") = outcome else { Issue.record("\(outcome)"); return }
        try? await Task.sleep(for: .milliseconds(100))
        #expect(server.opened.withLockedValue { $0 } == 0)
        await server.stop()
    }

    /// The read deadline still ends a silent connection (no cancellation involved).
    @Test func silentServerTimesOutAtTheReadDeadline() async throws {
        let server = try await SilentServer.start()
        let start = ContinuousClock.now
        let outcome = await ProbeTransport(group: Self.group, connectTimeout: .seconds(2), readTimeout: .milliseconds(300))
            .probe(server.address, send: Self.hello, stopAt: .serverHello)
        guard case .timedOut(let flight) = outcome else { Issue.record("\(outcome)"); return }
        #expect(flight.bytesReceived == 0)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(await server.wait(5) { server.closed.withLockedValue { $0 } == 1 })
        await server.stop()
    }
}

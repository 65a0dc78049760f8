import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS

/// A TLS client connection that stays open between requests (swift-nio-ssl), for tests that
/// need one connection to outlive a reload or to be in flight during a drain.
final class TestTLSClient: Sendable {
    private let channel: Channel
    private let collector: Collector

    private init(channel: Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects and completes the handshake; returns the peer certificate's subject.
    static func connect(port: Int, serverName: String = "localhost") async throws -> (TestTLSClient, [UInt8]) {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        tls.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: tls)
        let collector = Collector(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: serverName))
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                }
                .connect(host: "127.0.0.1", port: port).get()
        } catch {
            collector.handshakeDone.fail(error)  // every promise completes, or NIO traps in debug
            throw error
        }
        // The collector reads the certificate when the handshake completes, before the server
        // could close an idle connection under the test's feet.
        let certificate = try await collector.handshakeDone.futureResult.get()
        return (TestTLSClient(channel: channel, collector: collector), certificate)
    }

    /// Sends one GET with keep-alive and returns the whole response text (Content-Length framed).
    func get(_ path: String, host: String = "localhost", timeout: TimeInterval = 10) async throws -> String {
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: test-tls-client\r\n\r\n"
        let promise = channel.eventLoop.makePromise(of: String.self)
        collector.expect(promise)
        // Every path completes the promise (NIO traps on a leaked one in debug builds).
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            promise.fail(ChannelError.connectTimeout(.seconds(Int64(timeout))))
        }
        promise.futureResult.whenComplete { _ in deadline.cancel() }
        do {
            try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        } catch {
            promise.fail(error)
            throw error
        }
        return try await promise.futureResult.get()
    }

    /// Sends raw bytes (a partial request, say) without waiting for an answer.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    var isActive: Bool { channel.isActive }

    /// Resolves when the connection is closed.
    func closed() async { try? await channel.closeFuture.get() }

    func close() async { try? await channel.close() }

    /// Collects response bytes and completes the waiting promise when a response is whole.
    ///
    /// `@unchecked Sendable`: all state is touched only on the channel's event loop.
    private final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        private var buffer = ""
        private var waiting: EventLoopPromise<String>?
        /// The peer certificate (DER), once the handshake is done.
        let handshakeDone: EventLoopPromise<[UInt8]>

        init(eventLoop: EventLoop) { handshakeDone = eventLoop.makePromise() }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event {
                let certificate = (try? context.pipeline.syncOperations.nioSSL_peerCertificate()).flatMap { $0 }
                handshakeDone.succeed((try? certificate?.toDERBytes()) ?? [])
            }
            context.fireUserInboundEventTriggered(event)
        }

        private var closed = false

        func expect(_ promise: EventLoopPromise<String>) {
            promise.futureResult.eventLoop.execute {
                if self.closed {
                    promise.fail(ChannelError.eof)
                } else {
                    self.waiting = promise
                    self.check()
                }
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            buffer += String(buffer: unwrapInboundIn(data))
            check()
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed = true
            handshakeDone.fail(ChannelError.eof)
            waiting?.fail(ChannelError.eof)
            waiting = nil
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            handshakeDone.fail(error)
            waiting?.fail(error)
            waiting = nil
            context.close(promise: nil)
        }

        private func check() {
            guard let waiting, let headEnd = buffer.range(of: "\r\n\r\n") else { return }
            let head = buffer[..<headEnd.lowerBound].lowercased()
            var length = 0
            if let line = head.split(separator: "\r\n").first(where: { $0.hasPrefix("content-length:") }) {
                length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) ?? 0
            }
            let body = buffer[headEnd.upperBound...]
            guard body.utf8.count >= length else { return }
            let end = buffer.utf8.index(headEnd.upperBound, offsetBy: length)
            let response = String(buffer[..<end])
            buffer = String(buffer[end...])
            self.waiting = nil
            waiting.succeed(response)
        }
    }
}

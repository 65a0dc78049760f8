import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A tiny HTTP/1.1 upstream on 127.0.0.1 for the gateway tests.
///
/// - `GET /slow?ms=N`: answers after N ms.
/// - `GET /big?bytes=N`: N bytes of `x`, chunked, in 16 KiB pieces.
/// - `GET /drop-next`: answers, then closes the connection without answering when the next
///   request arrives on it (an upstream whose keep-alive timer fired as the request came in).
/// - anything else: a JSON echo of method, path, the request headers, the body length and the
///   connection's number (so keep-alive reuse is visible).
final class TestUpstream: Sendable {
    let port: Int
    private let channel: Channel
    private let counter: NIOLockedBox
    private let requests: NIOLockedBox

    private init(port: Int, channel: Channel, counter: NIOLockedBox, requests: NIOLockedBox) {
        self.port = port
        self.channel = channel
        self.counter = counter
        self.requests = requests
    }

    /// How many TCP connections the upstream accepted.
    var connectionCount: Int { counter.value }
    /// How many request heads it has received.
    var requestCount: Int { requests.value }

    static func start() async throws -> TestUpstream {
        let counter = NIOLockedBox()
        let requests = NIOLockedBox()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let number = counter.increment()
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(EchoHandler(connectionNumber: number, requests: requests))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return TestUpstream(port: channel.localAddress!.port!, channel: channel, counter: counter, requests: requests)
    }

    func stop() async {
        try? await channel.close()
    }
}

/// A lock-protected counter.
final class NIOLockedBox: @unchecked Sendable {
    // NSLock guards `count`.
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

private final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let connectionNumber: Int
    let requests: NIOLockedBox
    private var head: HTTPRequestHead?
    private var bodyBytes = 0
    private var dropNext = false

    init(connectionNumber: Int, requests: NIOLockedBox) {
        self.connectionNumber = connectionNumber
        self.requests = requests
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            _ = requests.increment()
            bodyBytes = 0
        case .body(let b):
            bodyBytes += b.readableBytes
        case .end:
            guard let head else { return }
            if dropNext {
                context.close(promise: nil)
                return
            }
            if head.uri == "/drop-next" { dropNext = true }
            respond(head, context: context)
        }
    }

    private func respond(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let components = URLComponents(string: head.uri)
        let query = Dictionary((components?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        switch components?.path {
        case "/slow":
            let ms = Int64(query["ms"] ?? "1000") ?? 1000
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(ms)) {
                let (handler, context) = bound.value
                handler.sendJSON(["slow": "\(ms)"], head: head, context: context)
            }
        case "/big":
            let total = Int(query["bytes"] ?? "0") ?? 0
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
            var left = total
            while left > 0 {
                let n = min(left, 16 * 1024)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(repeating: UInt8(ascii: "x"), count: n)))), promise: nil)
                left -= n
            }
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        default:
            var echoed: [String: String] = [
                "method": head.method.rawValue, "path": head.uri, "bodyBytes": String(bodyBytes),
                "connection": String(connectionNumber),
            ]
            for (name, value) in head.headers { echoed["h:" + name.lowercased()] = value }
            sendJSON(echoed, head: head, context: context)
        }
    }

    private func sendJSON(_ object: [String: String], head: HTTPRequestHead, context: ChannelHandlerContext) {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(data.count))
        headers.add(name: "X-Upstream", value: "test")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: data)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

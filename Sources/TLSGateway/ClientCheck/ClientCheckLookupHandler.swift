import NIOCore
import NIOHTTP1

/// The plain-HTTP lookup: answers with the client check for the last ClientHello seen from the
/// caller's address on any listener — the answer for clients that cannot finish a handshake.
final class ClientCheckLookupHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let core: GatewayCore
    private var head: HTTPRequestHead?

    init(core: GatewayCore) { self.core = core }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            respond(head, context: context)
        }
    }

    private func respond(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        let keepAlive = head.isKeepAlive && !core.isDraining
        let ttl = core.runtime.configuration.clientCheck?.historyTTL ?? .hours(1)
        let core = self.core
        let (responseHead, body) = ClientCheckHTTP.respond(
            method: head.method, uri: head.uri, prefix: "", version: head.version, keepAlive: keepAlive,
            clientAddress: address, historyMinutes: Int(ttl.nanoseconds / 60_000_000_000)
        ) {
            guard var observation = core.history?.last(from: address, now: core.clock.now()) else { return nil }
            observation.userAgent = observation.userAgent ?? head.headers.first(name: "user-agent")
            return core.clientCheckReport(observation, live: false)
        }
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

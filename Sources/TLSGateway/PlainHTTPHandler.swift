import NIOCore
import NIOHTTP1

/// A plain-HTTP handler that answers each whole request with one whole response: the admin
/// listener (`AdminResponses`) and the client check's lookup listener (`ClientCheckLookup`).
/// They say what to answer; reading the request parts, writing the response, closing after
/// `Connection: close` and closing idle connections are done here.
final class PlainHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    /// The answer to a whole request; `keepAlive` says whether the connection stays open.
    typealias Respond = @Sendable (_ head: HTTPRequestHead, _ remoteAddress: SocketAddress?)
        -> (head: HTTPResponseHead, body: String, keepAlive: Bool)

    private let respond: Respond
    /// The head of the request being read.
    private var pendingHead: HTTPRequestHead?

    init(_ respond: @escaping Respond) { self.respond = respond }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): pendingHead = h
        case .body: break
        case .end:
            guard let head = pendingHead else { return }
            pendingHead = nil
            let (responseHead, body, keepAlive) = respond(head, context.channel.remoteAddress)
            context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
            if !body.isEmpty { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil) }
            let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if !keepAlive { done.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) } }
        }
    }

    /// An idle connection (`IdleStateHandler` in front) is closed.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

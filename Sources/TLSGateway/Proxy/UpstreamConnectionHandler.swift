import NIOCore
import NIOHTTP1

/// Receives what an upstream connection produces while it serves one request.
protocol UpstreamDelegate: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    /// The end of one read burst: the time to flush what was written to the client.
    func upstreamReadComplete()
    func upstreamClosed(error: Error?)
    func upstreamWritabilityChanged(writable: Bool)
}

/// The client side of one upstream HTTP/1.1 connection: forwards response parts to whoever is
/// using the connection now.
final class UpstreamConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    weak var delegate: UpstreamDelegate?
    /// Whether the last response allowed reuse (HTTP/1.1 keep-alive, RFC 9112 §9.3).
    var reusable = true

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part { reusable = head.isKeepAlive }
        delegate?.upstreamReceived(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        delegate?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        reusable = false
        let d = delegate
        delegate = nil
        d?.upstreamClosed(error: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        reusable = false
        let d = delegate
        delegate = nil
        d?.upstreamClosed(error: error)
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(writable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }
}

import NIOCore
import NIOPosix

/// Relays the decrypted byte stream to the upstream over plain TCP, and back: for non-HTTP
/// services behind the gateway.
///
/// Bytes that arrive before the upstream connection is up are queued (reads stop meanwhile);
/// each side stops reading while the other cannot take more; either side closing closes both.
final class TCPRelayHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let core: GatewayCore
    private let upstream: GatewayConfiguration.Upstream
    private var partner: Channel?
    private var queued: [ByteBuffer] = []
    private var pendingRead = false
    private var connecting = true
    private var closed = false

    init(core: GatewayCore, upstream: GatewayConfiguration.Upstream) {
        self.core = core
        self.upstream = upstream
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let downstream = context.channel
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(upstream.connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelayBackHandler(downstream: downstream))
                }
            }
            .connect(host: upstream.host, port: upstream.port)
            .whenComplete { result in
                let (handler, context) = bound.value
                handler.connected(result, context: context)
            }
    }

    private func connected(_ result: Result<Channel, Error>, context: ChannelHandlerContext) {
        connecting = false
        switch result {
        case .failure(let error):
            core.logger.warning("upstream unavailable for the TCP relay", metadata: ["upstream": "\(upstream.authority)", "error": "\(error)"])
            context.close(promise: nil)
        case .success(let channel):
            if closed {
                channel.close(promise: nil)
                return
            }
            partner = channel
            for buffer in queued { channel.write(buffer, promise: nil) }
            queued.removeAll()
            channel.flush()
            if pendingRead {
                pendingRead = false
                context.read()
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        if let partner {
            partner.writeAndFlush(buffer, promise: nil)
        } else {
            queued.append(buffer)
        }
    }

    func read(context: ChannelHandlerContext) {
        if connecting || partner?.isWritable == false {
            pendingRead = true
        } else {
            context.read()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The client can take more: let the upstream side read again.
        partner?.setOption(.autoRead, value: context.channel.isWritable).whenComplete { _ in }
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent || event is GatewayDrainEvent {
            // No traffic either way for the idle timeout, or draining: a relay has no request boundary to wait for.
            if event is GatewayDrainEvent || (event as? IdleStateHandler.IdleStateEvent) == .all {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        partner?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// The upstream side of the relay: writes what the upstream sends to the client channel.
private final class RelayBackHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let downstream: Channel

    init(downstream: Channel) { self.downstream = downstream }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        downstream.writeAndFlush(buffer, promise: nil)
        if !downstream.isWritable {
            context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // The upstream can take more: let the client side read again.
        if context.channel.isWritable { downstream.read() }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        downstream.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

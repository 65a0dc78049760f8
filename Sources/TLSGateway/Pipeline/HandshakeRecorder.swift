import NIOCore
import NIOSSL
import NIOTLS

/// Records the connection when swift-nio-ssl finishes the handshake (or fails it), then leaves
/// the pipeline.
final class HandshakeRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let core: GatewayCore
    private let state: ConnectionState
    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?

    /// `timeout` bounds the handshake after the ClientHello (a client that stops mid-handshake).
    init(core: GatewayCore, state: ConnectionState, timeout: TimeAmount) {
        self.core = core
        self.state = state
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            if let decision = handler.state.decision {
                handler.core.finish(handler.state, outcome: .abandoned, rule: decision.rule, mode: decision.mode,
                                    version: "unknown", detail: "the handshake did not finish within the hello timeout")
            }
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted(let alpn) = event, let decision = state.decision {
            let version = (try? context.pipeline.syncOperations.nioSSL_tlsVersion()).flatMap { $0 }.map(Self.name) ?? "unknown"
            core.finish(state, outcome: decision.acceptedOutcome, rule: decision.rule, mode: decision.mode,
                        version: version, negotiatedVersion: version, alpn: alpn, detail: decision.detail)
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let decision = state.decision {
            core.finish(state, outcome: .handshakeFailed, rule: decision.rule, mode: decision.mode,
                        version: "unknown", detail: "\(error)")
        }
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let decision = state.decision {
            core.finish(state, outcome: .abandoned, rule: decision.rule, mode: decision.mode, version: "unknown",
                        detail: "closed during the handshake")
        }
        context.fireChannelInactive()
    }

    static func name(_ version: TLSVersion) -> String {
        switch version {
        case .tlsv1: return "TLSv1.0"
        case .tlsv11: return "TLSv1.1"
        case .tlsv12: return "TLSv1.2"
        case .tlsv13: return "TLSv1.3"
        }
    }
}

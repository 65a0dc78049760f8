import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSWire

/// Our own TLS 1.2 client, for the checks that need a completed handshake under our control:
/// session resumption (by ID and by ticket, with the master secret kept between connections) and
/// client-initiated renegotiation. swift-nio-ssl (BoringSSL) exposes neither: it cannot offer a
/// chosen session or ticket, and BoringSSL clients never renegotiate.
///
/// One `run` is one connection: the I/O of a `TLS12ClientStateMachine`, with a connect deadline
/// and a read deadline on every wait for the server.
struct TLS12Client: Sendable {
    var group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    var connectTimeout: TimeAmount
    var readTimeout: TimeAmount

    func run(_ address: SocketAddress, _ configuration: TLS12ClientStateMachine.Configuration) async -> TLS12HandshakeResult {
        await withCheckedContinuation { (continuation: CheckedContinuation<TLS12HandshakeResult, Never>) in
            let once = TLS12ResumeOnce(continuation)
            let readTimeout = self.readTimeout
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            TLS12ClientHandler(machine: TLS12ClientStateMachine(configuration), readTimeout: readTimeout, once: once))
                    }
                }
            bootstrap.connect(to: address).whenFailure { error in
                var r = TLS12HandshakeResult()
                r.error = TLS12ClientError(.connection, describeConnectError(error))
                once.resume(r)
            }
        }
    }
}

/// Resumes a continuation exactly once, from whichever path gets there first.
final class TLS12ResumeOnce: Sendable {
    private let state: NIOLockedValueBox<CheckedContinuation<TLS12HandshakeResult, Never>?>
    init(_ c: CheckedContinuation<TLS12HandshakeResult, Never>) { state = NIOLockedValueBox(c) }
    func resume(_ result: TLS12HandshakeResult) {
        let c = state.withLockedValue { s -> CheckedContinuation<TLS12HandshakeResult, Never>? in
            defer { s = nil }
            return s
        }
        c?.resume(returning: result)
    }
}

/// Performs the state machine's actions on one channel. Every wait for the server has its own
/// deadline (re-armed when we send), so a server that trickles bytes cannot hold us either.
final class TLS12ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: TLS12ClientStateMachine
    private let readTimeout: TimeAmount
    private let once: TLS12ResumeOnce
    private var deadline: Scheduled<Void>?
    private var finished = false

    init(machine: TLS12ClientStateMachine, readTimeout: TimeAmount, once: TLS12ResumeOnce) {
        self.machine = machine
        self.readTimeout = readTimeout
        self.once = once
    }

    func channelActive(context: ChannelHandlerContext) {
        send(machine.start(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        perform(machine.received(unwrapInboundIn(data)), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(machine.peerClosed(), context: context)
        if !finished {
            var r = TLS12HandshakeResult()
            r.error = TLS12ClientError(.closed, "the connection closed")
            finish(r, context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset is how many servers end a refused handshake or renegotiation: treat it as a close.
        perform(machine.peerClosed(), context: context)
        if !finished {
            var r = TLS12HandshakeResult()
            r.error = TLS12ClientError(.connection, describeConnectError(error))
            finish(r, context: context)
        }
    }

    private func perform(_ action: TLS12ClientStateMachine.Action, context: ChannelHandlerContext) {
        guard !finished else { return }
        switch action {
        case .none:
            break
        case .send(let bytes):
            send(bytes, context: context)
        case .finish(let bytes, let result):
            if let bytes { context.writeAndFlush(wrapOutboundOut(bytes), promise: nil) }
            finish(result, context: context)
        }
    }

    private func send(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: readTimeout) {
            let (handler, context) = loopBound.value
            handler.perform(handler.machine.timedOut(), context: context)
        }
    }

    private func finish(_ result: TLS12HandshakeResult, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        once.resume(result)
        context.close(promise: nil)
    }
}

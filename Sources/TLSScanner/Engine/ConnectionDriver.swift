import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Runs one `ConnectionConversation` over one TCP connection: connect (under the connect deadline),
/// add the pipeline setup's handlers (e.g. swift-nio-ssl) and the driver's, perform the
/// conversation's actions, enforce its read deadlines, close the channel the moment the result is
/// final, and resume the caller exactly once — with the conversation's result, the connect failure,
/// or, when the caller's task is cancelled, the conversation's "cancelled" result (the channel is
/// closed at once; nothing is left running).
///
/// The raw probes (`ProbeTransport`), our TLS 1.2/1.3 clients (`HandshakeClient`) and the
/// swift-nio-ssl handshakes (`FullHandshake`) all connect through this one driver.
struct ConnectionDriver: Sendable {
    /// Adds handlers before the driver's (called from the channel initializer, on the event loop).
    typealias PipelineSetup = @Sendable (Channel) throws -> Void

    var group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    var connectTimeout: TimeAmount
    /// How long every `.send` waits for the server.
    var readTimeout: TimeAmount

    func run<C: ConnectionConversation>(_ address: SocketAddress, _ conversation: C, setUp: PipelineSetup? = nil) async -> C.Result {
        let bridge = ConnectionBridge<C.Result>()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<C.Result, Never>) in
                guard bridge.install(continuation) else {
                    continuation.resume(returning: conversation.cancelled())
                    return
                }
                connect(address, conversation, setUp: setUp, bridge: bridge)
            }
        } onCancel: {
            bridge.cancel(with: conversation.cancelled())
        }
    }

    private func connect<C: ConnectionConversation>(_ address: SocketAddress, _ conversation: C, setUp: PipelineSetup?,
                                                    bridge: ConnectionBridge<C.Result>) {
        let readTimeout = self.readTimeout
        ClientBootstrap(group: group)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Cancelled before the channel existed: fail the connect, nothing to close.
                    guard bridge.attach(channel) else { throw CancellationError() }
                    try setUp?(channel)
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionDriverHandler(conversation, readTimeout: readTimeout, bridge: bridge))
                }
            }
            .connect(to: address)
            .whenFailure { error in bridge.resume(conversation.connectFailed(error)) }
    }
}

/// Between the caller's task and the channel: resumes the continuation exactly once, from whichever
/// path gets there first (the handler finishing, the connect failing, the task being cancelled),
/// and on cancellation closes the channel. No promise or continuation can leak.
final class ConnectionBridge<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, Never>?
        var channel: Channel?
        var cancelled = false
    }
    private let state = NIOLockedValueBox(State())

    /// Keeps the caller's continuation; false when the task was cancelled first (the caller then
    /// resumes it itself and does not connect).
    func install(_ continuation: CheckedContinuation<Value, Never>) -> Bool {
        state.withLockedValue { s in
            guard !s.cancelled else { return false }
            s.continuation = continuation
            return true
        }
    }

    /// Notes the channel as soon as it exists; false when the task was cancelled already.
    func attach(_ channel: Channel) -> Bool {
        state.withLockedValue { s in
            guard !s.cancelled, s.continuation != nil else { return false }
            s.channel = channel
            return true
        }
    }

    func resume(_ value: Value) {
        take()?.continuation.resume(returning: value)
    }

    /// The task was cancelled: resume with `value` and close the channel (its handler then sees the
    /// close and finishes; its resume finds nothing left to resume).
    func cancel(with value: Value) {
        guard let (continuation, channel) = take(cancelling: true) else { return }
        continuation.resume(returning: value)
        channel?.close(promise: nil)
    }

    private func take(cancelling: Bool = false) -> (continuation: CheckedContinuation<Value, Never>, channel: Channel?)? {
        state.withLockedValue { s in
            defer { s.continuation = nil; s.channel = nil }
            if cancelling { s.cancelled = true }
            return s.continuation.map { ($0, s.channel) }
        }
    }
}

/// Performs a conversation's actions on its channel. Every wait for the server has a deadline
/// (re-armed when we send), so a server that trickles bytes cannot hold a connection either.
final class ConnectionDriverHandler<C: ConnectionConversation>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var conversation: C
    private let readTimeout: TimeAmount
    private let bridge: ConnectionBridge<C.Result>
    private var deadline: Scheduled<Void>?
    private var finished = false

    init(_ conversation: C, readTimeout: TimeAmount, bridge: ConnectionBridge<C.Result>) {
        self.conversation = conversation
        self.readTimeout = readTimeout
        self.bridge = bridge
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(conversation.start(), context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        perform(conversation.received(unwrapInboundIn(data)), context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !finished { perform(conversation.userEvent(event), context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !finished { finish(send: nil, conversation.peerClosed(), context: context) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if !finished { finish(send: nil, conversation.failed(error), context: context) }
    }

    private func perform(_ action: ConnectionAction<C.Result>, context: ChannelHandlerContext) {
        guard !finished else { return }
        switch action {
        case .none:
            break
        case .send(let bytes):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            arm(readTimeout, context: context)
        case .wait(let time):
            arm(time, context: context)
        case .sendThenWait(let bytes, let time):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
            arm(time, context: context)
        case .finish(let bytes, let result):
            finish(send: bytes, result, context: context)
        }
    }

    private func arm(_ time: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: time) {
            let (handler, context) = loopBound.value
            guard !handler.finished else { return }
            let end = handler.conversation.timedOut()
            handler.finish(send: end.send, end.result, context: context)
        }
    }

    private func finish(send bytes: ByteBuffer?, _ result: C.Result, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        deadline = nil
        if let bytes { context.writeAndFlush(wrapOutboundOut(bytes), promise: nil) }
        bridge.resume(result)
        context.close(promise: nil)
    }
}

import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSReport
import TLSWire

/// What a client state machine asks its driver to do after an event.
enum HandshakeAction<Result: Sendable>: Sendable {
    case none
    case send(ByteBuffer)
    /// Wait at most this long (less than the read deadline) for more bytes, then call `timedOut()`:
    /// for messages that may or may not come (TLS 1.3 NewSessionTickets after the first).
    case waitBriefly(TimeAmount)
    /// Send, then wait at most this long for an answer that may not come (TLS 1.3: the first
    /// NewSessionTicket after our Finished; many servers send none).
    case sendThenWaitBriefly(ByteBuffer, TimeAmount)
    /// Send the bytes (if any), then close: the result is final.
    case finish(send: ByteBuffer?, Result)
}

/// What every client result says, for the driver's caller: how far the server got, and the error.
protocol HandshakeOutcome: Sendable {
    var serverHello: ServerHello? { get }
    var error: TLSClientError? { get }
}

extension TLS12HandshakeResult: HandshakeOutcome {}
extension TLS13HandshakeResult: HandshakeOutcome {}

/// The protocol logic of one of our clients (TLS 1.2, TLS 1.3): bytes in, actions out, no I/O.
protocol HandshakeStateMachine: Sendable {
    associatedtype Result: Sendable
    /// The first flight.
    mutating func start() -> ByteBuffer
    /// Bytes from the server, in any chunking.
    mutating func received(_ bytes: ByteBuffer) -> HandshakeAction<Result>
    mutating func peerClosed() -> HandshakeAction<Result>
    mutating func timedOut() -> HandshakeAction<Result>
    /// The result of a connection that failed outside the protocol (connect, socket errors).
    static func failure(_ error: TLSClientError) -> Result
}

/// Runs our own clients (`TLS12ClientStateMachine`, `TLS13ClientStateMachine`) on NIOPosix: the
/// checks that need a handshake under our control, which swift-nio-ssl (BoringSSL) cannot do — it
/// cannot offer a chosen session or ticket, send 0-RTT data of our choosing, or renegotiate.
///
/// One `run` is one connection, with a connect deadline and a read deadline on every wait for the server.
struct HandshakeClient: Sendable {
    var group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    var connectTimeout: TimeAmount
    var readTimeout: TimeAmount

    func run<Machine: HandshakeStateMachine>(_ address: SocketAddress, _ machine: Machine) async -> Machine.Result {
        await withCheckedContinuation { (continuation: CheckedContinuation<Machine.Result, Never>) in
            let once = ResumeOnce(continuation)
            let readTimeout = self.readTimeout
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            HandshakeClientHandler(machine: machine, readTimeout: readTimeout, once: once))
                    }
                }
            bootstrap.connect(to: address).whenFailure { error in
                once.resume(Machine.failure(TLSClientError(.connection, describeConnectError(error))))
            }
        }
    }

    func run(_ address: SocketAddress, _ configuration: TLS12ClientStateMachine.Configuration) async -> TLS12HandshakeResult {
        await run(address, TLS12ClientStateMachine(configuration))
    }
}

/// Performs the state machine's actions on one channel. Every wait for the server has its own
/// deadline (re-armed when we send), so a server that trickles bytes cannot hold us either.
final class HandshakeClientHandler<Machine: HandshakeStateMachine>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var machine: Machine
    private let readTimeout: TimeAmount
    private let once: ResumeOnce<Machine.Result>
    private var deadline: Scheduled<Void>?
    private var finished = false

    init(machine: Machine, readTimeout: TimeAmount, once: ResumeOnce<Machine.Result>) {
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
        if !finished { finish(Machine.failure(TLSClientError(.closed, "the connection closed")), context: context) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset is how many servers end a refused handshake or renegotiation: treat it as a close.
        perform(machine.peerClosed(), context: context)
        if !finished { finish(Machine.failure(TLSClientError(.connection, describeConnectError(error))), context: context) }
    }

    private func perform(_ action: HandshakeAction<Machine.Result>, context: ChannelHandlerContext) {
        guard !finished else { return }
        switch action {
        case .none:
            break
        case .send(let bytes):
            send(bytes, context: context)
        case .waitBriefly(let time):
            arm(min(time, readTimeout), context: context)
        case .sendThenWaitBriefly(let bytes, let time):
            send(bytes, context: context)
            arm(min(time, readTimeout), context: context)
        case .finish(let bytes, let result):
            if let bytes { context.writeAndFlush(wrapOutboundOut(bytes), promise: nil) }
            finish(result, context: context)
        }
    }

    private func send(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        arm(readTimeout, context: context)
    }

    private func arm(_ time: TimeAmount, context: ChannelHandlerContext) {
        deadline?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: time) {
            let (handler, context) = loopBound.value
            handler.perform(handler.machine.timedOut(), context: context)
        }
    }

    private func finish(_ result: Machine.Result, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        once.resume(result)
        context.close(promise: nil)
    }
}

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
/// One `run` is one connection through `ConnectionDriver`, with a connect deadline and a read
/// deadline on every wait for the server.
struct HandshakeClient: Sendable {
    var group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    var connectTimeout: TimeAmount
    var readTimeout: TimeAmount

    func run<Machine: HandshakeStateMachine>(_ address: SocketAddress, _ machine: Machine) async -> Machine.Result {
        await ConnectionDriver(group: group, connectTimeout: connectTimeout, readTimeout: readTimeout)
            .run(address, HandshakeConversation(machine: machine, readTimeout: readTimeout))
    }

    func run(_ address: SocketAddress, _ configuration: TLS12ClientStateMachine.Configuration) async -> TLS12HandshakeResult {
        await run(address, TLS12ClientStateMachine(configuration))
    }
}

/// A client state machine as a `ConnectionDriver` conversation: its brief waits are capped by the
/// read deadline, and the ends it has no answer for (a close or a socket error once it is done
/// waiting) become failures.
struct HandshakeConversation<Machine: HandshakeStateMachine>: ConnectionConversation {
    typealias Result = Machine.Result

    var machine: Machine
    let readTimeout: TimeAmount

    mutating func start() -> ConnectionAction<Result> { .send(machine.start()) }

    mutating func received(_ bytes: ByteBuffer) -> ConnectionAction<Result> { action(machine.received(bytes)) }

    mutating func timedOut() -> (send: ByteBuffer?, result: Result) {
        if case .finish(let bytes, let result) = machine.timedOut() { return (bytes, result) }
        return (nil, Machine.failure(TLSClientError(.timedOut, "no answer within the read deadline")))
    }

    mutating func peerClosed() -> Result {
        if case .finish(_, let result) = machine.peerClosed() { return result }
        return Machine.failure(TLSClientError(.closed, "the connection closed"))
    }

    mutating func failed(_ error: Error) -> Result {
        // A reset is how many servers end a refused handshake or renegotiation: treat it as a close.
        if case .finish(_, let result) = machine.peerClosed() { return result }
        return Machine.failure(TLSClientError(.connection, describeConnectError(error)))
    }

    func connectFailed(_ error: Error) -> Result { Machine.failure(TLSClientError(.connection, describeConnectError(error))) }

    func cancelled() -> Result { Machine.failure(TLSClientError(.cancelled, "cancelled")) }

    private func action(_ a: HandshakeAction<Result>) -> ConnectionAction<Result> {
        switch a {
        case .none: return .none
        case .send(let bytes): return .send(bytes)
        case .waitBriefly(let time): return .wait(min(time, readTimeout))
        case .sendThenWaitBriefly(let bytes, let time): return .sendThenWait(bytes, min(time, readTimeout))
        case .finish(let bytes, let result): return .finish(send: bytes, result)
        }
    }
}

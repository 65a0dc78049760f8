import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import TLSWire

/// What one probe connection ended with.
public enum ProbeOutcome: Sendable {
    /// The server answered with TLS up to the stop point (a ServerHello, an alert, an SSL 2.0 answer).
    case answered(ServerFlight)
    /// The server closed the connection before answering (or mid-answer).
    case closed(ServerFlight)
    /// No complete answer before the read deadline.
    case timedOut(ServerFlight)
    /// The bytes that came back are not TLS; the first of them, for the error message.
    case notTLS([UInt8])
    /// TLS, but malformed.
    case malformed(TLSWireError)
    /// TCP connect failed (refused, unreachable, timed out).
    case connectFailed(String)
    /// The connection broke after connecting (e.g. reset by peer).
    case ioError(String)

    public var flight: ServerFlight? {
        switch self {
        case .answered(let f), .closed(let f), .timedOut(let f): return f
        default: return nil
        }
    }
    public var serverHello: ServerHello? { flight?.serverHello }
}

/// Runs single probe connections: connect, send the hello, read the answer up to a stop point,
/// close. Nothing the server sends can keep a probe past its deadlines.
public struct ProbeTransport: Sendable {
    public var group: EventLoopGroup
    public var connectTimeout: TimeAmount
    public var readTimeout: TimeAmount

    public init(group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, connectTimeout: TimeAmount, readTimeout: TimeAmount) {
        self.group = group
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
    }

    public func probe(_ address: SocketAddress, send bytes: ByteBuffer, stopAt: ServerFlightParser.StopPoint) async -> ProbeOutcome {
        await withCheckedContinuation { (continuation: CheckedContinuation<ProbeOutcome, Never>) in
            let once = ResumeOnce(continuation)
            let readTimeout = self.readTimeout
            let bootstrap = ClientBootstrap(group: group)
                .connectTimeout(connectTimeout)
                .channelOption(.socketOption(.so_reuseaddr), value: 1)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ProbeHandler(hello: bytes, stopAt: stopAt, readTimeout: readTimeout, once: once))
                    }
                }
            bootstrap.connect(to: address).whenFailure { error in
                once.resume(.connectFailed(describeConnectError(error)))
            }
        }
    }
}

/// Resumes a continuation exactly once, from whichever path gets there first.
final class ResumeOnce: Sendable {
    private let state: NIOLockedValueBox<CheckedContinuation<ProbeOutcome, Never>?>
    init(_ c: CheckedContinuation<ProbeOutcome, Never>) { state = NIOLockedValueBox(c) }
    func resume(_ outcome: ProbeOutcome) {
        let c = state.withLockedValue { s -> CheckedContinuation<ProbeOutcome, Never>? in
            defer { s = nil }
            return s
        }
        c?.resume(returning: outcome)
    }
    var isDone: Bool { state.withLockedValue { $0 == nil } }
}

final class ProbeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let hello: ByteBuffer
    private var parser: ServerFlightParser
    private let readTimeout: TimeAmount
    private let once: ResumeOnce
    private var deadline: Scheduled<Void>?
    private var finished = false

    init(hello: ByteBuffer, stopAt: ServerFlightParser.StopPoint, readTimeout: TimeAmount, once: ResumeOnce) {
        self.hello = hello
        self.parser = ServerFlightParser(stopAt: stopAt)
        self.readTimeout = readTimeout
        self.once = once
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadline = context.eventLoop.scheduleTask(in: readTimeout) {
            let (handler, context) = loopBound.value
            handler.finish(.timedOut(handler.parser.flight), context: context)
        }
        context.writeAndFlush(wrapOutboundOut(hello), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !finished else { return }
        let bytes = unwrapInboundIn(data)
        do {
            if try parser.feed(bytes) { finish(.answered(parser.flight), context: context) }
        } catch let error as TLSWireError {
            if error.code == .notTLS {
                finish(.notTLS(error.bytes.isEmpty ? Array(bytes.readableBytesView.prefix(64)) : error.bytes), context: context)
            } else {
                finish(.malformed(error), context: context)
            }
        } catch {
            finish(.ioError("\(error)"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.closed(parser.flight), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A reset after the server answered is how many servers end a refused handshake.
        if parser.flight.serverHello != nil || parser.flight.alert != nil {
            finish(.closed(parser.flight), context: context)
        } else {
            finish(.ioError(describeConnectError(error)), context: context)
        }
    }

    private func finish(_ outcome: ProbeOutcome, context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        once.resume(outcome)
        context.close(promise: nil)
    }
}

/// One line for a connect or socket error: "connection refused", not an errno dump.
func describeConnectError(_ error: Error) -> String {
    if let e = error as? IOError {
        switch e.errnoCode {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset by peer"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "connection timed out"
        case EPIPE: return "connection closed by peer"
        default: return e.description
        }
    }
    if error is ChannelError, case ChannelError.connectTimeout(let t) = error as! ChannelError {
        return "connect timed out after \(Double(t.nanoseconds) / 1e9) s"
    }
    if let e = error as? NIOConnectionError {
        if let first = e.connectionErrors.first { return describeConnectError(first.error) }
        if e.dnsAError != nil || e.dnsAAAAError != nil { return "cannot resolve host '\(e.host)'" }
    }
    return "\(error)"
}
